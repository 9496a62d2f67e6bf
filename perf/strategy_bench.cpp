// Benchmarks of the strategy stage's decisions, each event timed on its own (the TSC read
// before and after: ~8 ns against decisions of hundreds of ns and more), so p50/p99/p99.9 are
// of single decisions, not batch means:
//   arb_detect  a top of book, once the book applied its update -> SignalStage::on -> both
//               legs' order intents: five cross-venue pairs over ten instruments, the pair
//               crossing on every timed update (a decision each time; updates that do not cross
//               are fed between them, untimed)
//   mm_quote    a top of book -> MarketMaker::on_top -> a fresh two-sided ladder (two levels a
//               side) -> each new quote encoded and HMAC-signed as the shard sends it
//               (WireEncoder::encode, spot). Between two timed tops the quoter's previous quotes
//               end (cancelled while the strategy is paused, untimed), so every timed top
//               places all four quotes.
//   sor_split   a smart-routed parent (smart_router.hpp) over three venues' books of 50 ask
//               levels (fees 10, 5 and 2 bp; two accounts a venue, one capped by its balance)
//               -> plan_split -> SmartOrder::start -> the IOC children's orders. The parent
//               (20 BTC) takes about 60 of the 150 levels in five children; the books shift
//               by a few dollars between decisions (untimed) so the merge order changes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "latency.hpp"
#include "oms/connectors/binance/wire_encoder.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/cores/market_maker.hpp"
#include "oms/cores/market_stages.hpp"
#include "oms/cores/smart_router.hpp"

namespace {

using namespace oms;
using namespace oms::actors;

constexpr std::string_view kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
constexpr std::string_view kApiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

Decimal px(std::int64_t cents) { return Decimal::from_raw(Int128{cents} * 10'000'000); }

// Per-event samples (ticks) -> p50/p99/p99.9 in ns.
struct Samples {
  std::vector<std::uint64_t> v;
  explicit Samples(std::size_t n) { v.reserve(n); }
  void report(benchmark::State& state) {
    if (v.empty()) return;
    const double scale = perf::ns_per_tick();
    const auto at = [&](double q) {
      auto rank = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))), 1, v.size());
      std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
      return static_cast<double>(v[rank - 1]) * scale;
    };
    state.counters["p50_ns"] = benchmark::Counter(at(0.5));
    state.counters["p99_ns"] = benchmark::Counter(at(0.99));
    state.counters["p999_ns"] = benchmark::Counter(at(0.999));
    state.counters["decisions"] = benchmark::Counter(static_cast<double>(v.size()));
  }
};

void bench_arb_detect(benchmark::State& state) {
  constexpr std::uint32_t kInstruments = 10;
  std::vector<ArbGroup> groups;
  for (std::uint32_t g = 0; g < kInstruments / 2; ++g) {
    ArbGroup a;
    a.legs = {ArbLeg{InstrumentId(2 * g), AccountId(0), Decimal::from_raw(1'000'000), Decimal::from_raw(1'000'000), {}, {}, {}},
              ArbLeg{InstrumentId(2 * g + 1), AccountId(1), Decimal::from_raw(500'000), Decimal::from_raw(10'000'000), {}, {}, {}}};
    a.strategy = StrategyId(0);
    a.min_edge_rate = Decimal::from_raw(100'000);  // 1 bp after fees
    a.max_notional = Decimal::from_raw(1'000 * Decimal::kOne);
    groups.push_back(std::move(a));
  }
  SignalStage signal(groups, kInstruments, 1);
  (void)perf::ns_per_tick();
  Samples samples(static_cast<std::size_t>(state.max_iterations) + 1);
  std::array<OrderIntent, SignalStage::kMaxOut> out;
  std::uint64_t update = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint32_t g = static_cast<std::uint32_t>(i++ % (kInstruments / 2));
    const std::int64_t base = 6'000'000 + static_cast<std::int64_t>(i % 97);  // cents: ~60,000
    // The cheap leg at base, untimed; then the rich leg 0.25 % above (fees: 15 bp): it crosses.
    const TopOfBook cheap{InstrumentId(2 * g), ++update, px(base - 1), Decimal::from_raw(500'000'000),
                          px(base), Decimal::from_raw(500'000'000), 0};
    (void)signal.on(cheap, static_cast<TimeNs>(update), out);
    const TopOfBook rich{InstrumentId(2 * g + 1), ++update, px(base + 15000), Decimal::from_raw(500'000'000),
                         px(base + 15001), Decimal::from_raw(500'000'000), 0};
    const std::uint64_t t0 = perf::ticks();
    const std::size_t n = signal.on(rich, static_cast<TimeNs>(update), out);
    const std::uint64_t t1 = perf::ticks();
    if (n != 2) std::abort();  // every timed update is a decision
    benchmark::DoNotOptimize(out.data());
    samples.v.push_back(t1 - t0);
  }
  samples.report(state);
}

void bench_mm_quote(benchmark::State& state) {
  QuoterConfig q;
  q.strategy = StrategyId(1);
  q.account = AccountId(0);
  q.instrument = InstrumentId(0);
  q.tick = Decimal::from_raw(10'000'000);
  q.lot = Decimal::from_raw(10'000);
  q.spread_bps = Decimal::from_raw(2 * Decimal::kOne);
  q.quote_size = Decimal::from_raw(10'000'000);
  q.levels = 2;
  q.level_step_bps = Decimal::from_raw(Decimal::kOne);
  q.max_inventory = Decimal::from_raw(Decimal::kOne);
  q.skew_bps = Decimal::from_raw(4 * Decimal::kOne);
  q.vol_multiplier = Decimal::from_raw(Decimal::kOne);
  MarketMaker mm(q);
  auto signer = signing::BinanceSigner::hmac(kSecret);
  if (!signer) std::abort();
  Instrument btc;
  btc.id = InstrumentId(0);
  btc.exchange = ExchangeId::kBinance;
  btc.market = Market::kSpot;
  btc.venue_symbol = "BTCUSDT";
  const binance::WireEncoder encoder(Market::kSpot);
  const binance::Credentials creds{kApiKey, &signer.value(), 5000};
  std::vector<binance::EncodedOrder> encoded(8);
  std::uint64_t sequence = 0;
  QuoterContext ctx;
  ctx.sequence = &sequence;
  std::vector<QuoteAction> actions;
  actions.reserve(16);
  std::vector<ClientOrderIdText> live;
  (void)perf::ns_per_tick();
  Samples samples(static_cast<std::size_t>(state.max_iterations) + 1);
  TimeNs now = 1'723'075'200'000'000'000;
  std::int64_t ts = 1'723'075'200'000;
  std::size_t i = 0;
  for (auto _ : state) {
    // Untimed: the previous quotes end while the strategy is paused (nothing placed).
    ctx.active = false;
    for (const auto& id : live) {
      actions.clear();
      (void)mm.on_order(id.view(), OrderStatus::kCanceled, false, now, ctx, actions);
    }
    live.clear();
    ctx.active = true;
    now += 1'000'000;
    const std::int64_t mid = 6'000'000 + static_cast<std::int64_t>(i++ % 211);
    const TopOfBook top{InstrumentId(0), i, px(mid), Decimal::from_raw(300'000'000), px(mid + 1),
                        Decimal::from_raw(200'000'000), now};
    actions.clear();
    const std::uint64_t t0 = perf::ticks();
    mm.on_top(top, now, ctx, actions);
    std::size_t k = 0;
    for (const QuoteAction& a : actions) {
      if (a.kind != QuoteAction::Kind::kPlace) continue;
      if (!encoder.encode(btc, a.order, creds, ++ts, encoded[k++]).ok()) std::abort();
    }
    const std::uint64_t t1 = perf::ticks();
    if (k != 4) std::abort();  // a fresh two-level ladder each time
    for (const QuoteAction& a : actions) {
      if (a.kind == QuoteAction::Kind::kPlace) live.push_back(a.order.client_order_id);
    }
    benchmark::DoNotOptimize(encoded.data());
    samples.v.push_back(t1 - t0);
  }
  samples.report(state);
}

void bench_sor_split(benchmark::State& state) {
  constexpr std::size_t kVenues = 3, kLevels = 50;
  const std::array<const char*, kVenues> fees{"0.001", "0.0005", "0.0002"};
  std::array<std::vector<PriceLevel>, kVenues> books;
  std::array<std::vector<SorAccount>, kVenues> accounts;
  std::vector<SorVenue> venues;
  for (std::size_t v = 0; v < kVenues; ++v) {
    books[v].resize(kLevels);
    for (std::uint16_t a = 0; a < 2; ++a) {
      SorAccount acc;
      acc.account = AccountId(static_cast<std::uint16_t>(v * 2 + a));
      acc.instrument = InstrumentId(static_cast<std::uint16_t>(v));
      acc.free = *Decimal::parse(a == 0 ? "400000" : "150000");
      acc.orders_left = 50 - a;
      accounts[v].push_back(acc);
    }
    venues.push_back(SorVenue{BookVenue{static_cast<ExchangeId>(v), Market::kSpot}, books[v],
                              *Decimal::parse(fees[v]),
                              AlgoRules{px(1), Decimal::from_raw(100'000), {}, *Decimal::parse("5")},
                              accounts[v]});
  }
  SubmitSor command;
  command.account = AccountId(0);
  command.strategy = StrategyId(0);
  command.instrument = InstrumentId(0);
  command.side = Side::kBuy;
  command.quantity = *Decimal::parse("20");
  command.urgency_bps = 5;
  const SorParent parent = sor_parent(command);
  SorPlan plan;
  plan.children.reserve(kVenues * 2);
  std::vector<QuoteAction> actions;
  actions.reserve(kVenues * 2);
  std::uint64_t sequence = 0;
  (void)perf::ns_per_tick();
  Samples samples(static_cast<std::size_t>(state.max_iterations) + 1);
  std::size_t i = 0;
  std::size_t children = 0;
  for (auto _ : state) {
    // Untimed: each venue's asks a dollar apart, its best 5 dollars below the previous venue's
    // and moving by a few dollars (the fees, 3-8 bp apart, are 18-48 dollars: every venue's
    // book is reached), 0.30-0.34 BTC a level.
    ++i;
    for (std::size_t v = 0; v < kVenues; ++v) {
      const std::int64_t best = 6'000'000 + static_cast<std::int64_t>((i * (v + 3)) % 7) * 100 -
                                static_cast<std::int64_t>(v) * 500;
      for (std::size_t l = 0; l < kLevels; ++l) {
        books[v][l] = PriceLevel{px(best + static_cast<std::int64_t>(l) * 100),
                                 Decimal::from_raw(300'000'000 + static_cast<Int128>((l + v) % 5) * 10'000'000)};
      }
    }
    actions.clear();
    const std::uint64_t t0 = perf::ticks();
    if (!plan_split(parent, venues, plan)) std::abort();
    auto order = SmartOrder::start(command, i, plan, 0, &sequence, actions);
    const std::uint64_t t1 = perf::ticks();
    if (!order || actions.empty()) std::abort();
    children += actions.size();
    benchmark::DoNotOptimize(order);
    samples.v.push_back(t1 - t0);
  }
  samples.report(state);
  state.counters["children"] = benchmark::Counter(static_cast<double>(children) / static_cast<double>(i));
}

}  // namespace

BENCHMARK(bench_arb_detect)->Name("arb_detect")->Iterations(200'000);
BENCHMARK(bench_mm_quote)->Name("mm_quote")->Iterations(100'000);
BENCHMARK(bench_sor_split)->Name("sor_split")->Iterations(50'000)->UseRealTime();

BENCHMARK_MAIN();
