// Benchmarks of the hot path's order processing (actors/pipeline.hpp):
//   order_path       a SubmitOrder command in -> the signed Binance request out, through the
//                    inline pipeline: signal (pass-through), risk (200 accounts x 10 strategies
//                    x 50 instruments, every limit set) + the intent log append in /dev/shm,
//                    encode (spot_new_order + HMAC-SHA256 signature). p50/p99/p99.9 per order.
//   core_throughput  risk check + OrderCore (submitted, sent) per order, on one core: orders/s.
// Orders rotate over a seeded random set, as in risk_bench (risk_setup.hpp).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>
#include <vector>

#include "latency.hpp"
#include "oms/actors/order_core.hpp"
#include "oms/actors/pipeline.hpp"
#include "oms/connectors/binance/wire_encoder.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/persistence/intent_log.hpp"
#include "risk_setup.hpp"

namespace {

using namespace oms::perf::desk;
using oms::actors::InlinePipeline;

constexpr std::string_view kSecret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
constexpr std::string_view kApiKey =
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

std::vector<oms::Instrument> instruments() {
  std::vector<oms::Instrument> out;
  for (std::uint32_t i = 0; i < kInstruments; ++i) {
    oms::Instrument in;
    in.id = oms::InstrumentId(i);
    in.exchange = oms::ExchangeId::kBinance;
    in.market = oms::Market::kSpot;
    in.venue_symbol = "SYM" + std::to_string(i) + "USDT";
    in.symbol.base = "SYM" + std::to_string(i);
    in.symbol.quote = "USDT";
    out.push_back(std::move(in));
  }
  return out;
}

std::vector<oms::Command> commands(const std::vector<OrderRequest>& reqs) {
  std::vector<oms::Command> out;
  for (std::size_t k = 0; k < reqs.size(); ++k) {
    oms::SubmitOrder o{};
    o.account = reqs[k].account;
    o.strategy = reqs[k].strategy;
    o.instrument = reqs[k].instrument;
    (void)o.client_order_id.assign("C1BENCH" + std::to_string(100000 + k));
    o.side = reqs[k].side;
    o.price = reqs[k].price;
    o.quantity = reqs[k].quantity;
    out.push_back(oms::Command{oms::Envelope{k + 1, 0, 0, 0, 0, 0}, o});
  }
  return out;
}

// The session stage's stand-in: the publisher's side of the intent log (marks each order
// done, as the store's acknowledgement would) and a check that the bytes were produced.
struct MarkDoneSink {
  oms::persistence::IntentLog* log = nullptr;
  std::uint64_t seq = 0;
  std::size_t bytes = 0;
  std::size_t rejected = 0;
  void send(const oms::actors::WireOrder& w) {
    bytes += w.size;
    log->mark_done(++seq);
  }
  void reject(const oms::actors::RiskRejection&) { ++rejected; }
};

void bench_order_path(benchmark::State& state) {
  std::mt19937 rng(kSeed);
  RiskCore core(kAccounts, kStrategies, kInstruments);
  set_limits(core);
  hold_positions(core, rng);
  const auto batch = commands(orders(rng));

  const std::string path = "/dev/shm/oms-bench-order-path-" + std::to_string(::getpid()) + ".log";
  auto log = oms::persistence::IntentLog::open(path);
  if (!log) std::abort();
  std::vector<std::string> subjects(kAccounts * kInstruments, "orders.binance.bench.spot.SYM-USDT");

  std::vector<oms::BookCoreConfig> none;
  oms::actors::BookStage books(none);
  oms::actors::SignalStage signal({}, kInstruments, 1);
  // Live books: the risk stage's price band takes the mid as its reference.
  for (std::uint32_t i = 0; i < kInstruments; ++i) {
    const auto mid = units(100 + i);
    oms::actors::TopOfBook top{oms::InstrumentId(i), 1, oms::Decimal::from_raw(mid.raw() - 1'000'000),
                               units(1), oms::Decimal::from_raw(mid.raw() + 1'000'000), units(1), 0};
    std::array<oms::actors::OrderIntent, oms::actors::SignalStage::kMaxOut> none_out;
    (void)signal.on(top, 0, none_out);
  }
  oms::actors::RiskStage risk(core, log->get(), subjects, kInstruments, 1);
  auto signer = oms::signing::BinanceSigner::hmac(kSecret);
  if (!signer) std::abort();
  oms::binance::WireEncoder encoder(instruments(), {kApiKey, &signer.value(), 5000});
  oms::actors::EncodeStage<oms::binance::WireEncoder> encode(encoder);
  MarkDoneSink sink{log->get()};
  InlinePipeline<oms::binance::WireEncoder, MarkDoneSink> pipeline(books, signal, risk, encode, sink);

  oms::TimeNs now = 1'700'000'000'000'000'000;
  oms::perf::run_timed(state, [&](std::size_t i) {
    now += kOrderGapNs;
    pipeline.on_command(batch[i & (kOrders - 1)], now);
  });
  ::unlink(path.c_str());
  if (sink.rejected != 0 || encode.failures() != 0) {
    state.SkipWithError(("rejected " + std::to_string(sink.rejected) + ", not encoded " + std::to_string(encode.failures())).c_str());
  }
  benchmark::DoNotOptimize(sink.bytes);
}

void bench_core_throughput(benchmark::State& state) {
  std::mt19937 rng(kSeed);
  RiskCore core(kAccounts, kStrategies, kInstruments);
  set_limits(core);
  hold_positions(core, rng);
  const auto reqs = orders(rng);
  const auto batch = commands(reqs);
  oms::TimeNs now = 1'700'000'000'000'000'000;
  std::size_t failed = 0;
  std::size_t n = 0;
  for (auto _ : state) {
    const std::size_t k = n++ & (kOrders - 1);
    now += kOrderGapNs;
    const auto d = core.check(reqs[k], now);
    if (!d.passed()) ++failed;
    const auto& s = std::get<oms::SubmitOrder>(batch[k].payload);
    oms::OrderCore order;
    const auto a = order.apply(oms::OrderSubmitted{s.account, s.strategy, s.instrument,
                                                   s.client_order_id, s.side, s.order_type,
                                                   s.tif, s.price, s.stop_price, s.quantity,
                                                   s.reduce_only});
    const auto b = order.apply(oms::OrderSendRequested{{}, {}, s.client_order_id});
    if (!a || !b) ++failed;
    core.on_order_opened(s.account, s.strategy, s.instrument);
    core.on_order_closed(s.account, s.strategy, s.instrument);
    benchmark::DoNotOptimize(order);
  }
  state.counters["orders_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  if (failed != 0) state.SkipWithError("a benchmark order failed");
}

}  // namespace

BENCHMARK(bench_order_path)->Name("order_path");
BENCHMARK(bench_core_throughput)->Name("core_throughput");

BENCHMARK_MAIN();
