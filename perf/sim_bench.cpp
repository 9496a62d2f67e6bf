// Benchmark of the venue simulator's matching core (connectors/src/sim/): place() and
// cancel() of a seeded random flow -- 70 % GTC limits within +/-20 ticks of a random-walk
// mid (so about half cross and trade, the rest rest), 10 % IOC limits, 10 % market orders,
// 10 % cancels of earlier order ids -- from four accounts, against a 10-level background
// book republished (seeded random walk) every 64 requests. Baseline in the same process:
// the same flow on the naive reference book of the tests (tests/connectors/sim/naive_book.hpp).
// Reports orders/s (wall time) and p50/p99/p99.9 per request (latency.hpp).
//
// The venue keeps every order for its queries (allOrders, myTrades), so it grows; it is
// rebuilt, outside the timed region, every kOrdersPerVenue requests.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "latency.hpp"
#include "naive_book.hpp"
#include "oms/connectors/sim/venue.hpp"

namespace {

using oms::Decimal;
using oms::sim::Venue;

constexpr std::size_t kOps = 1 << 16;  // pre-generated requests; a power of two
constexpr std::size_t kOrdersPerVenue = kOps;
constexpr std::size_t kBookEvery = 64;
constexpr std::uint64_t kSeed = 20240808;
constexpr std::int64_t kOne = Decimal::kOne;

struct Op {
  enum Kind : std::uint8_t { kPlace, kCancel, kBook } kind = kPlace;
  oms::sim::NewOrder order;
  std::int64_t cancel_id = 0;
  std::size_t book = 0;  // index into the walk's steps
};

std::uint64_t mix(std::uint64_t& s) {  // splitmix64
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

oms::Instrument btcusdt() {
  oms::Instrument ins;
  ins.venue_symbol = "BTCUSDT";
  ins.symbol.base = "BTC";
  ins.symbol.quote = "USDT";
  ins.rules.tick_size = Decimal::from_raw(kOne / 100);
  ins.rules.step_size = Decimal::from_raw(kOne / 1000);
  ins.rules.min_qty = Decimal::from_raw(kOne / 1000);
  return ins;
}

struct Flow {
  std::vector<Op> ops;
  std::vector<oms::sim::RandomWalk::Step> books;
};

Flow make_flow() {
  Flow f;
  oms::sim::RandomWalk walk({Decimal::from_raw(60'000 * kOne), Decimal::from_raw(kOne / 100),
                             Decimal::from_raw(kOne / 1000), 500, 10, kSeed});
  std::uint64_t rng = kSeed;
  std::int64_t placed = 0;
  for (std::size_t k = 0; k < kOps; ++k) {
    Op op;
    if (k % kBookEvery == 0) {
      op.kind = Op::kBook;
      op.book = f.books.size();
      f.books.push_back(walk.next());
      f.ops.push_back(op);
      continue;
    }
    const std::uint64_t r = mix(rng);
    const unsigned kind = static_cast<unsigned>((r >> 32) % 10);
    if (kind == 0 && placed > 0) {
      op.kind = Op::kCancel;
      op.cancel_id = 1 + static_cast<std::int64_t>((r >> 40) % static_cast<std::uint64_t>(placed));
      op.order.account = static_cast<oms::sim::ApiKeyId>(r % 4);
      f.ops.push_back(op);
      continue;
    }
    auto& o = op.order;
    o.account = static_cast<oms::sim::ApiKeyId>(r % 4);
    o.side = (r >> 8) % 2 == 0 ? oms::Side::kBuy : oms::Side::kSell;
    o.quantity = Decimal::from_raw(static_cast<std::int64_t>(1 + (r >> 24) % 50) * kOne / 1000);
    if (kind <= 1) {
      o.type = oms::sim::SimOrderType::kMarket;
    } else {
      const auto ticks = static_cast<std::int64_t>((r >> 16) % 41) - 20;
      o.type = oms::sim::SimOrderType::kLimit;
      o.price = Decimal::from_raw(walk.mid().raw() + ticks * kOne / 100);
      o.tif = kind == 2 ? oms::sim::SimTif::kIoc : oms::sim::SimTif::kGtc;
    }
    ++placed;
    f.ops.push_back(op);
  }
  return f;
}

std::unique_ptr<Venue> make_venue(oms::sim::BookFactory books) {
  auto v = std::make_unique<Venue>(oms::Market::kSpot, books);
  (void)v->add_instrument(btcusdt());
  oms::sim::Outbox out;
  for (int a = 0; a < 4; ++a) {
    const auto id = v->add_account({"k", Decimal::from_raw(kOne / 5000), Decimal::from_raw(kOne / 2500)});
    (void)v->deposit(id, "USDT", Decimal::from_raw(oms::Int128{10'000'000'000} * kOne / 100), 0, out);
    (void)v->deposit(id, "BTC", Decimal::from_raw(1'000'000 * kOne), 0, out);
  }
  return v;
}

void run(benchmark::State& state, oms::sim::BookFactory books) {
  static const Flow flow = make_flow();
  std::unique_ptr<Venue> venue = make_venue(books);
  oms::sim::Outbox out;
  oms::TimeNs now = 1'700'000'000'000'000'000;
  std::size_t i = 0, since_rebuild = 0, orders = 0;
  oms::perf::LatencyRecorder recorder(state);
  recorder.start();
  while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(oms::perf::kBatch))) {
    for (std::size_t k = 0; k < oms::perf::kBatch; ++k) {
      const Op& op = flow.ops[i++ & (kOps - 1)];
      now += 1000;
      switch (op.kind) {
        case Op::kBook:
          venue->on_snapshot(0, flow.books[op.book].book, now, out);
          venue->on_trade(0, flow.books[op.book].trade, now, out);
          break;
        case Op::kCancel:
          benchmark::DoNotOptimize(venue->cancel(op.order.account, 0, oms::sim::OrderRef{op.cancel_id, {}}, now, out));
          break;
        case Op::kPlace:
          benchmark::DoNotOptimize(venue->place(op.order, now, out));
          ++orders;
          break;
      }
      out.clear();
    }
    recorder.lap();
    since_rebuild += oms::perf::kBatch;
    if (since_rebuild >= kOrdersPerVenue) {
      state.PauseTiming();
      venue = make_venue(books);
      since_rebuild = 0;
      state.ResumeTiming();
      recorder.start();
    }
  }
  recorder.report(state);
  state.counters["orders_per_s"] = benchmark::Counter(static_cast<double>(orders), benchmark::Counter::kIsRate);
}

void bench_sim_match(benchmark::State& state) { run(state, &oms::sim::LevelBook::make); }
void bench_sim_match_naive(benchmark::State& state) { run(state, &oms::sim::testing::NaiveBook::make); }

}  // namespace

BENCHMARK(bench_sim_match)->Name("sim_match")->UseRealTime();
BENCHMARK(bench_sim_match_naive)->Name("sim_match_naive")->UseRealTime();

BENCHMARK_MAIN();
