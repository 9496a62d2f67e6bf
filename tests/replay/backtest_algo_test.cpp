// Execution algos in oms-backtest on the shared 2024-08-08 BTCUSDT spot recording: a TWAP and
// a VWAP (a configured curve, catch-up and a participation cap) submitted as commands at their
// virtual times, sliced on the engine's timer steps, their IOC children matched by the
// simulator's core against the recorded book. The schedule and every fill are pinned, and a
// second run gives the same.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "oms/connectors/binance/exchange_info.hpp"
#include "oms/replay/backtest.hpp"
#include "oms/setup/engine_setup.hpp"
#include "testkit/paths.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }
constexpr TimeNs kSec = 1'000'000'000;
constexpr TimeNs kStart = 1'723'161'300 * kSec;  // 2024-08-08 23:55:00 UTC

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<Instrument> btcusdt_spot() {
  const auto cf = testkit::shared_data() / "cryptofeed";
  auto parsed = binance::parse_exchange_info(slurp(cf / "BINANCE_spot_exchangeInfo_20211012.json"), Market::kSpot);
  REQUIRE(parsed.ok());
  std::vector<Instrument> out;
  for (auto& i : *parsed) {
    if (i.venue_symbol == "BTCUSDT") out.push_back(std::move(i));
  }
  REQUIRE(out.size() == 1);
  out[0].id = InstrumentId(0);
  return out;
}

replay::BacktestOptions options(const std::filesystem::path& out) {
  replay::BacktestOptions o;
  o.setup.config = configs::read_config_texts(OMS_SOURCE_DIR "/configs");
  o.setup.instruments = btcusdt_spot();
  o.setup.accounts = {{"binance_basis", ExchangeId::kBinance, {Market::kSpot}}};
  auto df = replay::data_file(testkit::shared_data() / "hftbacktest" / "spot_btcusdt_20240808.gz");
  REQUIRE(df.ok());
  o.data.push_back(*df);
  o.journal = out / "journal";
  o.cache = out / "cache";
  // The ids the commands name, as the backtest's engine interns them.
  const auto built = setup::build_engine(o.setup);
  const AccountId account = *built->directory.accounts.find("binance_basis");
  const StrategyId strategy = *built->directory.strategies.find("perp_arbitrage");
  SubmitAlgo twap;
  twap.account = account;
  twap.strategy = strategy;
  twap.instrument = InstrumentId(0);
  twap.algo = 1;
  twap.kind = AlgoKind::kTwap;
  twap.side = Side::kBuy;
  twap.quantity = d("0.05");
  twap.start = kStart;
  twap.end = kStart + 240 * kSec;
  twap.slices = 8;
  twap.limit_price = d("61760");  // never above: the first slices' asks are over it
  twap.catch_up = d("3");
  SubmitAlgo vwap = twap;
  vwap.algo = 2;
  vwap.kind = AlgoKind::kVwap;
  vwap.side = Side::kSell;
  vwap.quantity = d("0.04");
  vwap.slices = 6;
  vwap.catch_up = d("2");
  vwap.participation = d("0.5");
  for (const std::uint32_t w : {1U, 2U, 3U, 2U}) vwap.curve.items[vwap.curve.count++] = w;
  o.commands = {Command{Envelope{101, 0, kStart - 30 * kSec, kStart - 30 * kSec, 0, 101}, twap},
                Command{Envelope{102, 0, kStart - 30 * kSec, kStart - 30 * kSec, 0, 102}, vwap}};
  return o;
}

// One line per algo child fill: time, client order id, side, quantity, price.
std::vector<std::string> fills_of(const replay::BacktestResult& r) {
  std::vector<std::string> out;
  for (const auto& f : r.fills) {
    out.push_back(std::to_string(f.time) + " " + f.client_order_id + " " + std::string(enum_name(f.side)) +
                  " " + f.quantity.to_string() + " @ " + f.price.to_string());
  }
  return out;
}

std::string algo_line(const AlgoStep& a) {
  return std::to_string(a.algo) + " " + std::string(enum_name(a.state)) + " slice " + std::to_string(a.slice) +
         "/" + std::to_string(a.slices) + " sent " + a.sent.to_string() + " filled " + a.filled.to_string() +
         " children " + std::to_string(a.children) + ": " + a.reason.str();
}

}  // namespace

TEST_CASE("backtest algos: a twap and a vwap over the shared BTCUSDT spot day, schedule and fills pinned, twice the same") {
  spdlog::set_level(spdlog::level::warn);
  testkit::TempDir dir{"backtest-algo"};
  auto o = options(dir.path());
  auto r = replay::run_backtest(o);
  REQUIRE_MESSAGE(r.ok(), r.error());
  CHECK(r->commands_not_run.empty());
  REQUIRE(r->algos.size() == 2);
  std::vector<std::string> algos;
  for (const auto& a : r->algos) algos.push_back(algo_line(a));
  const auto fills = fills_of(*r);
  std::vector<std::string> orders;
  for (const auto& ord : r->orders) {
    orders.push_back(std::to_string(ord.time) + " " + ord.client_order_id + " " + ord.quantity.to_string() +
                     " filled " + ord.filled.to_string() + (ord.refused ? " refused" : ""));
  }
  // TWAP 0.05 in 8 slices of 0.00625 every 30 s, limit 61760, catch-up 3: the first three
  // slices' IOCs at the limit meet asks above it and expire; the fourth takes 0.01875 (its own
  // x 3) at an ask under the limit, the fifth the 0.0125 left behind, then one lot each.
  // VWAP 0.04 sold in 6 slices every 40 s over buckets 1 2 3 2: slice weights 4 6 8 12 10 8 of
  // 48 -> 0.00333 0.005 0.00667 0.01 0.00833 0.00667, each at the bid.
  const std::vector<std::string> want_algos{
      "2 completed slice 6/6 sent 0.04 filled 0.04 children 6: child C10100040001000000000000d ended: 0.00667 of 0.00667 filled; all 0.04 filled",
      "1 completed slice 8/8 sent 0.0875 filled 0.05 children 8: child C10100040001000000000000e ended: 0.00625 of 0.00625 filled; all 0.05 filled",
  };
  const std::vector<std::string> want_fills{
      "1723161300037085768 C101000400010000000000002 sell 0.00333 @ 61831.99",
      "1723161340026215973 C101000400010000000000004 sell 0.005 @ 61822.01",
      "1723161380037085768 C101000400010000000000006 sell 0.00667 @ 61820.99",
      "1723161390037085768 C101000400010000000000007 buy 0.01875 @ 61758.93",
      "1723161420014033913 C101000400010000000000008 buy 0.0125 @ 61727.66",
      "1723161420014033913 C101000400010000000000009 sell 0.01 @ 61820.99",
      "1723161450026509592 C10100040001000000000000a buy 0.00625 @ 61735.99",
      "1723161460035835491 C10100040001000000000000b sell 0.00833 @ 61820.99",
      "1723161480005236219 C10100040001000000000000c buy 0.00625 @ 61661.39",
      "1723161500022779819 C10100040001000000000000d sell 0.00667 @ 61820.99",
      "1723161510000485507 C10100040001000000000000e buy 0.00625 @ 61674",
  };
  const std::vector<std::string> want_orders{
      "1723161300037085768 C101000400010000000000001 0.00625 filled 0",
      "1723161300037085768 C101000400010000000000002 0.00333 filled 0.00333",
      "1723161330037085768 C101000400010000000000003 0.0125 filled 0",
      "1723161340026215973 C101000400010000000000004 0.005 filled 0.005",
      "1723161360037085768 C101000400010000000000005 0.01875 filled 0",
      "1723161380037085768 C101000400010000000000006 0.00667 filled 0.00667",
      "1723161390037085768 C101000400010000000000007 0.01875 filled 0.01875",
      "1723161420014033913 C101000400010000000000008 0.0125 filled 0.0125",
      "1723161420014033913 C101000400010000000000009 0.01 filled 0.01",
      "1723161450026509592 C10100040001000000000000a 0.00625 filled 0.00625",
      "1723161460035835491 C10100040001000000000000b 0.00833 filled 0.00833",
      "1723161480005236219 C10100040001000000000000c 0.00625 filled 0.00625",
      "1723161500022779819 C10100040001000000000000d 0.00667 filled 0.00667",
      "1723161510000485507 C10100040001000000000000e 0.00625 filled 0.00625",
  };
  CHECK(algos == want_algos);
  CHECK(fills == want_fills);
  CHECK(orders == want_orders);

  // The same again: the same schedule, the same fills.
  o.journal = dir.path() / "journal2";
  auto again = replay::run_backtest(o);
  REQUIRE_MESSAGE(again.ok(), again.error());
  CHECK(fills_of(*again) == fills);
  REQUIRE(again->algos.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) CHECK(again->algos[i] == r->algos[i]);
}
