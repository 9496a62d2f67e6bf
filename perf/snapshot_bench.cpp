// A snapshot of one account with a long history: the engine's own steps, timed per snapshot.
//   snapshot_write_N   an account that has traded N orders (each submitted, sent, accepted and
//                      filled, on a spot and a USD-M instrument, with 20 orders still open) and
//                      has run its closed-order retention, as omsd's housekeeping does: the desk's
//                      compacted state encoded (OrderDesk::save, on the engine's shard) and the
//                      file written durably (SnapshotStore::write: temp, fsync, rename, fsync).
//                      p50/p99 over 40 snapshots, each timed alone (milliseconds: a clock read is
//                      nothing beside them); encode_us is the shard's part, bytes the file's size.
// The goal is the same figure for 1,000 and 100,000 past orders: a snapshot's cost follows what
// the account holds (open orders, the last 10,000 fills, balances, positions), not its history.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "oms/cores/order_desk.hpp"
#include "oms/persistence/snapshot.hpp"

namespace {

using namespace oms;
using namespace oms::actors;

constexpr TimeNs kT0 = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC
constexpr TimeNs kRetention = 300'000'000'000;
constexpr int kSnapshots = 40;
constexpr std::uint64_t kOpen = 20;

InstrumentTable table() {
  std::vector<Instrument> ins(2);
  ins[0].id = InstrumentId(0);
  ins[0].symbol.base = "BTC";
  ins[0].symbol.quote = "USDT";
  ins[0].venue_symbol = "BTCUSDT";
  ins[1].id = InstrumentId(1);
  ins[1].market = Market::kUsdm;
  ins[1].symbol.base = "BTC";
  ins[1].symbol.quote = "USDT";
  ins[1].symbol.settle = "USDT";
  ins[1].venue_symbol = "BTCUSDT";
  return *InstrumentTable::from(ins);
}

Directory names() {
  Directory d;
  (void)d.accounts.intern("main");
  (void)d.strategies.intern("basis");
  (void)d.instruments.intern("binance:spot:BTC/USDT");
  (void)d.instruments.intern("binance:usdm:BTC/USDT:USDT");
  return d;
}

Decimal dec(const char* s) { return *Decimal::parse(s); }

struct History {
  std::uint64_t seq = 0;
  OrderDesk& desk;
  void apply(TimeNs t, EventPayload p) {
    ++seq;
    (void)desk.apply(Event{Envelope{seq << 8U | 1U, seq, t, t, 0, 0}, p});
  }
};

// N orders through their whole life, then the ones still open, then the retention.
void trade(OrderDesk& desk, std::uint64_t past) {
  History h{0, desk};
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    BalanceUpdated b{};
    b.account = AccountId(0);
    b.market = m;
    b.asset = "USDT";
    b.free = dec("100000000");
    h.apply(kT0, b);
  }
  BalanceUpdated btc{};
  btc.account = AccountId(0);
  btc.asset = "BTC";
  btc.free = dec("100000");
  h.apply(kT0, btc);
  for (std::uint64_t i = 0; i < past + kOpen; ++i) {
    const TimeNs t = kT0 + static_cast<TimeNs>(i) * 1'000'000;
    const InstrumentId ins(static_cast<std::uint32_t>(i % 2));
    ClientOrderIdText id;
    (void)id.assign("O" + std::to_string(i));
    const Side side = i % 4 < 2 ? Side::kBuy : Side::kSell;
    h.apply(t, OrderSubmitted{AccountId(0), StrategyId(0), ins, id, side, OrderType::kLimit,
                              TimeInForce::kGtc, dec("60000"), Decimal{}, dec("0.01"), false});
    h.apply(t, OrderSendRequested{AccountId(0), ins, id});
    OrderAccepted a{};
    a.account = AccountId(0);
    a.instrument = ins;
    a.client_order_id = id;
    (void)a.venue_order_id.assign(std::to_string(1'000'000 + i));
    h.apply(t, a);
    if (i >= past) continue;  // the last ones stay open
    FillReceived f{};
    f.account = AccountId(0);
    f.strategy = StrategyId(0);
    f.instrument = ins;
    f.client_order_id = id;
    (void)f.trade_id.assign(std::to_string(5'000'000 + i));
    f.side = side;
    f.price = dec("60000");
    f.quantity = dec("0.01");
    f.fee = dec("0.24");
    f.fee_asset = "USDT";
    h.apply(t, f);
  }
  const TimeNs end = kT0 + static_cast<TimeNs>(past + kOpen) * 1'000'000;
  (void)desk.retire_closed(end + kRetention, kRetention);
}

void snapshot_write(benchmark::State& state, std::uint64_t past) {
  const InstrumentTable instruments = table();
  const Directory dir_names = names();
  OrderDesk desk(OrderDeskConfig{AccountId(0), "main", &instruments, 5'000'000'000});
  trade(desk, past);
  const auto root = std::filesystem::temp_directory_path() /
                    ("oms-snapshot-bench-" + std::to_string(::getpid()));
  std::vector<double> total_ms, encode_us;
  std::size_t bytes = 0;
  {
    persistence::SnapshotStore store(root);
    std::uint64_t sequence = 0;
    for (auto _ : state) {
      for (int i = 0; i < kSnapshots; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::string s = desk.save(dir_names);
        const auto t1 = std::chrono::steady_clock::now();
        auto w = store.write("main", "ACCOUNT_binance_main", ++sequence, kT0, s);
        const auto t2 = std::chrono::steady_clock::now();
        if (!w) {
          state.SkipWithError(w.error().message.c_str());
          break;
        }
        bytes = s.size();
        encode_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        total_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
      }
    }
  }
  std::filesystem::remove_all(root);
  const auto pct = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  state.counters["p50_ms"] = pct(total_ms, 0.5);
  state.counters["p99_ms"] = pct(total_ms, 0.99);
  state.counters["encode_us"] = pct(encode_us, 0.5);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["orders_held"] = static_cast<double>(desk.order_count());
}

void snapshot_write_1k(benchmark::State& state) { snapshot_write(state, 1'000); }
void snapshot_write_100k(benchmark::State& state) { snapshot_write(state, 100'000); }
BENCHMARK(snapshot_write_1k)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);
BENCHMARK(snapshot_write_100k)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
