// oms-backtest on the shared 2024-08-08 BTCUSDT spot + USD-M recordings with the configs' basis
// pair (perp_arbitrage as legs spot BTC/USDT vs the perpetual, no taker fees, the smallest
// profit rate): the same engine trades against the simulator's matching core in-process. The
// report agrees with itself and with the venue, two runs give the same bytes, a latency model
// changes the outcome, and headless Chromium draws report.html with report.json's numbers.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "oms/connectors/binance/exchange_info.hpp"
#include "oms/replay/backtest.hpp"
#include "testkit/child_process.hpp"
#include "testkit/paths.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void replace(std::string& s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  s.replace(at, from.size(), to);
}

// The repository's configs with the basis pair (as tests/omsd's use_basis_pair).
configs::ConfigTexts basis_configs() {
  const std::filesystem::path dir = OMS_SOURCE_DIR "/configs";
  configs::ConfigTexts t = configs::read_config_texts(dir);
  replace(t.strategies,
          "      - symbol: BTC/USDT:USDT\n        exchanges: [binance, bybit]\n"
          "        min_profit_rate: 0.0008\n        max_position: 20000\n",
          "      - legs: [binance:BTC/USDT, binance:BTC/USDT:USDT]\n"
          "        min_profit_rate: 0.000001\n        max_position: 100\n");
  replace(t.strategies, "      timeout: 2s\n", "      timeout: 250ms\n");
  replace(t.exchanges, "          taker_bps: 10\n", "          taker_bps: 0\n");
  replace(t.exchanges, "          taker_bps: 5\n", "          taker_bps: 0\n");
  // binance_basis's gross exposure: risk.yaml's 60,000 USDT (accounts.yaml's max_position_usdt,
  // 30,000, raised to it: the day trades until risk.yaml's limit stops it).
  replace(t.accounts, "      max_position_usdt: 30000\n", "      max_position_usdt: 60000\n");
  return t;
}

std::vector<Instrument> btcusdt() {
  std::vector<Instrument> out;
  const auto cf = testkit::shared_data() / "cryptofeed";
  for (const auto& [file, m] : {std::pair{"BINANCE_spot_exchangeInfo_20211012.json", Market::kSpot},
                               std::pair{"BINANCE_FUTURES_usdm_exchangeInfo_20210722.json", Market::kUsdm}}) {
    auto parsed = binance::parse_exchange_info(slurp(cf / file), m);
    REQUIRE(parsed.ok());
    for (auto& i : *parsed) {
      if (i.venue_symbol == "BTCUSDT") out.push_back(std::move(i));
    }
  }
  REQUIRE(out.size() == 2);
  return out;
}

replay::BacktestOptions options(const std::filesystem::path& out) {
  replay::BacktestOptions o;
  o.setup.config = basis_configs();
  o.setup.instruments = btcusdt();
  o.setup.accounts = {{"binance_basis", ExchangeId::kBinance, {Market::kSpot, Market::kUsdm}}};
  const auto hb = testkit::shared_data() / "hftbacktest";
  for (const char* f : {"spot_btcusdt_20240808.gz", "usdm_btcusdt_20240808.gz"}) {
    auto df = replay::data_file(hb / f);
    REQUIRE(df.ok());
    o.data.push_back(*df);
  }
  o.journal = out / "journal";
  o.cache = out / "cache";
  return o;
}

Decimal dec(const nlohmann::json& j) { return *Decimal::parse(j.get<std::string>()); }

}  // namespace

TEST_CASE("backtest: the basis pair on the shared BTCUSDT day trades through the engine against the in-process venue; the report holds together") {
  spdlog::set_level(spdlog::level::warn);
  testkit::TempDir dir{"backtest"};
  const auto o = options(dir.path());
  auto r = replay::run_backtest(o);
  REQUIRE_MESSAGE(r.ok(), r.error());
  REQUIRE(replay::write_report(*r, o, dir.path() / "a").ok());
  CHECK(r->messages > 100'000);
  CHECK(r->orders.size() > 100);
  CHECK(r->fills.size() > 100);
  const auto report = nlohmann::json::parse(slurp(dir.path() / "a" / "report.json"));
  const auto& t = report.at("totals");
  // INFO keeps a reference: the text must outlive the assertions it annotates.
  const std::string totals_text = t.dump(2);
  INFO(totals_text);
  // Every order is the strategy's, sent as pairs; the fills in fills.csv are the report's.
  CHECK(t.at("orders") == r->orders.size());
  CHECK(t.at("fills") == r->fills.size());
  CHECK(t.at("arbitrage_signals").get<std::uint64_t>() * 2 == r->orders.size());
  CHECK(t.at("arbitrage_both_legs_filled").get<std::uint64_t>() > 100);
  const auto csv = slurp(dir.path() / "a" / "fills.csv");
  CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == r->fills.size() + 1);
  // Each leg's position is what its fills add up to, and the venue agrees (position_end).
  for (const auto& [name, ins] : report.at("instruments").items()) {
    Decimal net;
    for (const auto& f : r->fills) {
      if (f.instrument != name) continue;
      net = Decimal::from_raw(net.raw() + (f.side == Side::kBuy ? f.quantity.raw() : -f.quantity.raw()));
    }
    CHECK_MESSAGE(dec(ins.at("position_end")) == net, name);
    CHECK(dec(ins.at("position_end")) == Decimal::from_raw(dec(ins.at("bought")).raw() - dec(ins.at("sold")).raw()));
  }
  // The basis pair sells spot and buys the perpetual (the recorded spot price is above).
  CHECK(dec(report.at("instruments").at("BTC/USDT").at("sold")).raw() > 0);
  CHECK(dec(report.at("instruments").at("BTC/USDT:USDT").at("bought")).raw() > 0);
  // Risk stops it: binance_basis's max_gross_exposure (60,000 USDT) is reached; the signals after
  // that are refused before either leg leaves (both legs pass risk or neither goes), counted
  // with the reason -- no leg ever leaves alone.
  const auto& sagas = report.at("arbitrage_sagas");
  const std::string sagas_text = sagas.dump(2);
  INFO(sagas_text);
  CHECK(sagas.at("signals_refused").get<std::uint64_t>() > 100);
  CHECK(sagas.at("last_refusal").get<std::string>().find("gross exposure") != std::string::npos);
  CHECK(t.at("orders_refused_by_risk") == 0);
  CHECK(t.at("orders_rejected_by_venue") == 0);
  std::size_t refused = 0;
  for (const auto& ord : r->orders) refused += ord.refused ? 1U : 0U;
  CHECK(t.at("orders_refused_by_risk") == refused);
  // Every saga ended, each a signal; a saga's legs that filled unequally were repaired.
  CHECK(sagas.at("sagas") == t.at("arbitrage_signals"));
  CHECK(sagas.at("open") == 0);
  CHECK(sagas.at("failed") == 0);
  CHECK(sagas.at("closed").get<std::uint64_t>() + sagas.at("missed").get<std::uint64_t>() +
            sagas.at("unwound").get<std::uint64_t>() ==
        sagas.at("sagas").get<std::uint64_t>());
  CHECK(sagas.at("closed").get<std::uint64_t>() >= t.at("arbitrage_both_legs_filled").get<std::uint64_t>());
  CHECK(report.at("strategies").at("perp_arbitrage").at("arbitrage_sagas").at("sagas") == sagas.at("sagas"));
  // The sagas' PnL is their fills' (both legs' spread net of fees): the report's own sum.
  Decimal saga_pnl;
  for (const auto& sg : r->sagas) saga_pnl = Decimal::from_raw(saga_pnl.raw() + sg.pnl.raw());
  CHECK(dec(sagas.at("saga_pnl")) == saga_pnl);
  CHECK(dec(t.at("turnover_usdt")).raw() < Decimal::from_raw(61'000'000'000'000).raw());
  CHECK(dec(t.at("turnover_usdt")).raw() > Decimal::from_raw(55'000'000'000'000).raw());
  // The fills traded at recorded prices: every one within 0.5 % of the mid then.
  for (const auto& f : r->fills) {
    const auto diff = std::abs(static_cast<double>(f.price.raw() - f.mid.raw()));
    CHECK(diff < 0.005 * static_cast<double>(f.mid.raw()));
  }

  SUBCASE("two runs give the same files, byte for byte") {
    auto again = replay::run_backtest(o);
    REQUIRE(again.ok());
    REQUIRE(replay::write_report(*again, o, dir.path() / "b").ok());
    for (const char* f : {"report.json", "fills.csv", "equity.csv", "report.html"}) {
      CHECK_MESSAGE(slurp(dir.path() / "a" / f) == slurp(dir.path() / "b" / f), f);
    }
  }
  SUBCASE("a latency model changes the fills; its seed decides them") {
    auto slow = o;
    slow.latency = *replay::parse_latency("fixed_us=20000,jitter_us=30000,seed=7");
    auto s1 = replay::run_backtest(slow);
    auto s2 = replay::run_backtest(slow);
    REQUIRE(s1.ok());
    REQUIRE(s2.ok());
    REQUIRE(replay::write_report(*s1, slow, dir.path() / "s1").ok());
    REQUIRE(replay::write_report(*s2, slow, dir.path() / "s2").ok());
    CHECK(slurp(dir.path() / "s1" / "fills.csv") == slurp(dir.path() / "s2" / "fills.csv"));
    CHECK(slurp(dir.path() / "s1" / "fills.csv") != slurp(dir.path() / "a" / "fills.csv"));
    // The first fill comes at least the order latency after the first order.
    REQUIRE_FALSE(s1->fills.empty());
    CHECK(s1->fills.front().time - s1->orders.front().time >= 20'000'000);
  }
  SUBCASE("the recorded feed delay as latency: its own fills, the same twice") {
    auto rec = o;
    rec.latency = *replay::parse_latency("recorded");
    auto r1 = replay::run_backtest(rec);
    auto r2 = replay::run_backtest(rec);
    REQUIRE(r1.ok());
    REQUIRE(r2.ok());
    REQUIRE(replay::write_report(*r1, rec, dir.path() / "r1").ok());
    REQUIRE(replay::write_report(*r2, rec, dir.path() / "r2").ok());
    CHECK(slurp(dir.path() / "r1" / "fills.csv") == slurp(dir.path() / "r2" / "fills.csv"));
    CHECK(slurp(dir.path() / "r1" / "fills.csv") != slurp(dir.path() / "a" / "fills.csv"));
    // Some order waited for the venue: a fill after its order by the recorded delay.
    bool delayed = false;
    for (const auto& f : r1->fills) {
      for (const auto& ord : r1->orders) {
        if (ord.client_order_id == f.client_order_id && f.time > ord.time) delayed = true;
      }
    }
    CHECK(delayed);
  }
  SUBCASE("headless Chromium draws report.html: the charts have data, the numbers are report.json's") {
    const std::string url = "file://" + (dir.path() / "a" / "report.html").string();
    const auto dom = testkit::run_process({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                           "--dump-dom", url}, 60s);
    REQUIRE_MESSAGE(dom.code == 0, "chromium (deploy/setup installs it): " << dom.err);
    for (const auto& [k, v] : t.items()) {
      const std::string shown = v.is_string() ? v.get<std::string>() : v.dump();
      CHECK_MESSAGE(dom.out.find("<td id=\"" + k + "\">" + shown + "</td>") != std::string::npos, k);
    }
    // Each chart is an SVG with drawn series; the fills chart has a marker per fill.
    for (const char* id : {"chart-pnl", "chart-position", "chart-fills-BTC-USDT", "chart-fills-BTC-USDT-USDT"}) {
      CHECK_MESSAGE(dom.out.find(std::string("id=\"") + id + "\"") != std::string::npos, id);
    }
    std::size_t drawn = 0;
    for (std::size_t at = dom.out.find("<polyline class=\"series\""); at != std::string::npos;
         at = dom.out.find("<polyline class=\"series\"", at + 1)) {
      const auto p = dom.out.find("points=\"", at);
      const auto end = dom.out.find('"', p + 8);
      const std::string pts = dom.out.substr(p + 8, end - p - 8);
      drawn += std::count(pts.begin(), pts.end(), ',') > 10 ? 1U : 0U;
    }
    CHECK(drawn >= 5);  // PnL, drawdown, two positions, two prices (at least)
    std::size_t markers = 0;
    for (std::size_t at = dom.out.find("class=\"fill\""); at != std::string::npos; at = dom.out.find("class=\"fill\"", at + 1)) ++markers;
    CHECK(markers == r->fills.size());
    // A screenshot: the page with its charts against the same window of an empty page.
    const auto shot = dir.path() / "report.png";
    const auto blank_html = dir.path() / "blank.html";
    { std::ofstream(blank_html) << "<!DOCTYPE html><html><body></body></html>"; }
    const auto blank = dir.path() / "blank.png";
    for (const auto& [page, png] : {std::pair{url, shot}, std::pair{"file://" + blank_html.string(), blank}}) {
      const auto s = testkit::run_process({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                           "--window-size=1000,1800", "--screenshot=" + png.string(), page}, 60s);
      REQUIRE_MESSAGE(s.code == 0, s.err);
      REQUIRE(std::filesystem::exists(png));
    }
    CHECK(std::filesystem::file_size(shot) > 20 * std::filesystem::file_size(blank));
  }
}

TEST_CASE("backtest: bad inputs are named") {
  CHECK(replay::data_file("/x/btcusdt.gz").error() == "/x/btcusdt.gz: the file name is not <market>_<symbol>_<date>.gz");
  CHECK(replay::data_file("/x/coin_btcusd_20240808.gz").error() == "/x/coin_btcusd_20240808.gz: market 'coin' is not spot or usdm");
  CHECK(replay::parse_latency("fixed_us=abc").error() == "latency: fixed_us: 'abc' is not a whole number");
  CHECK(replay::parse_latency("fast=1").error() == "latency: unknown key 'fast' (recorded, fixed_us, jitter_us, seed)");
  CHECK(replay::parse_latency("recorded")->recorded);
  CHECK(replay::parse_latency("recorded,fixed_us=100")->fixed_ns == 100'000);
  CHECK(replay::parse_latency("jitter_us=5").error() == "latency: fixed_us=N is required (or 'zero', or 'recorded')");
  const auto m = replay::parse_latency("fixed_us=250,jitter_us=100,seed=9");
  REQUIRE(m.ok());
  CHECK(m->fixed_ns == 250'000);
  CHECK(m->jitter_ns == 100'000);
  CHECK(m->seed == 9);
  testkit::TempDir dir{"backtest-bad"};
  auto o = options(dir.path());
  o.data.push_back(replay::DataFile{dir.path() / "spot_ethusdt_1.gz", Market::kSpot, "ETHUSDT"});
  auto r = replay::run_backtest(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == (dir.path() / "spot_ethusdt_1.gz").string() + ": cannot open");
}

namespace {

// The repository's configs with market making on binance_mm's BTC/USDT quoting a tight
// two-level ladder (the shared recordings are minutes long), the arbitrage strategies off.
configs::ConfigTexts market_making_configs() {
  const std::filesystem::path dir = OMS_SOURCE_DIR "/configs";
  configs::ConfigTexts t = configs::read_config_texts(dir);
  replace(t.strategies,
          "        spread_bps: 10            # 0.1 %: the full spread's floor (half each side)\n"
          "        quote_size: 0.05          # BTC per level (binance_mm's order notional limit: 5000)\n"
          "        max_inventory: 1.0        # BTC, either sign: the side that adds stops quoting there\n",
          "        spread_bps: 2\n        quote_size: 0.05\n        max_inventory: 0.12\n"
          "        levels: 2\n        skew_bps: 4\n"
          "        shock_move: 0.005\n        stale_after: 5s\n        max_actions_per_second: 10\n");
  return t;
}

}  // namespace

TEST_CASE("backtest: market making quotes both sides of the shared BTCUSDT spot days through the engine; inventory, order rate and PnL hold") {
  spdlog::set_level(spdlog::level::warn);
  testkit::TempDir dir{"backtest-mm"};
  for (const std::string day : {"20240808", "20240809"}) {
    INFO(day);
    replay::BacktestOptions o;
    o.setup.config = market_making_configs();
    o.setup.instruments = btcusdt();
    o.setup.accounts = {{"binance_mm", ExchangeId::kBinance, {Market::kSpot}}};
    auto df = replay::data_file(testkit::shared_data() / "hftbacktest" / ("spot_btcusdt_" + day + ".gz"));
    REQUIRE(df.ok());
    o.data.push_back(*df);
    o.fees = std::pair{Decimal{}, Decimal{}};
    o.journal = dir.path() / day / "journal";
    o.cache = dir.path() / "cache";
    auto r = replay::run_backtest(o);
    REQUIRE_MESSAGE(r.ok(), r.error());
    REQUIRE(replay::write_report(*r, o, dir.path() / day / "a").ok());
    const auto report = nlohmann::json::parse(slurp(dir.path() / day / "a" / "report.json"));
    const auto& mm = report.at("strategies").at("market_making");
    // INFO keeps a reference: the text must outlive the assertions it annotates.
    const std::string mm_text = mm.dump(2);
    INFO(mm_text);
    CHECK(mm.at("type") == "market_making");
    CHECK(mm.at("orders").get<std::uint64_t>() > 50);
    CHECK(mm.at("fills").get<std::uint64_t>() > 20);
    CHECK(mm.at("arbitrage_signals") == 0);
    // Every fill is a resting quote's (post-only: a quote never takes); both sides trade.
    CHECK(report.at("totals").at("maker_fills") == report.at("totals").at("fills"));
    bool bought = false, sold = false;
    for (const auto& f : r->fills) {
      CHECK(f.strategy == "market_making");
      (f.side == Side::kBuy ? bought : sold) = true;
    }
    CHECK(bought);
    CHECK(sold);
    // The inventory never leaves +-max_inventory (0.12: bids stop, asks shrink at the cap).
    Decimal pos, top;
    for (const auto& f : r->fills) {
      pos = Decimal::from_raw(pos.raw() + (f.side == Side::kBuy ? f.quantity.raw() : -f.quantity.raw()));
      top = std::max(top, Decimal::from_raw(pos.raw() < 0 ? -pos.raw() : pos.raw()));
      CHECK(top <= Decimal::from_raw(120'000'000));
    }
    CHECK(dec(mm.at("max_inventory")) == top);
    // At most max_actions_per_second new quotes in any second.
    std::map<TimeNs, int> per_second;
    for (const auto& ord : r->orders) ++per_second[ord.time / 1'000'000'000];
    for (const auto& [second, n] : per_second) CHECK_MESSAGE(n <= 10, second);
    // The strategy's PnL is what its fills add up to at the closing mid (no fees here).
    const Decimal mid = r->equity.back().mid.at("BTC/USDT");
    Int128 pnl = 0;
    for (const auto& f : r->fills) {
      const Int128 diff = f.side == Side::kBuy ? mid.raw() - f.price.raw() : f.price.raw() - mid.raw();
      pnl += diff * f.quantity.raw();
    }
    const Int128 rounded = (pnl + (pnl >= 0 ? 500'000'000 : -500'000'000)) / Decimal::kOne;
    const Int128 gap = dec(mm.at("pnl_usdt")).raw() - rounded;
    CHECK((gap < 0 ? -gap : gap) <= static_cast<Int128>(r->fills.size()));
    // Two runs: the same files.
    o.journal = dir.path() / day / "journal2";
    auto again = replay::run_backtest(o);
    REQUIRE(again.ok());
    REQUIRE(replay::write_report(*again, o, dir.path() / day / "b").ok());
    for (const char* f : {"report.json", "fills.csv", "equity.csv"}) {
      CHECK_MESSAGE(slurp(dir.path() / day / "a" / f) == slurp(dir.path() / day / "b" / f), f);
    }
    const auto& totals = report.at("totals");
    MESSAGE(day << ": " << mm.dump() << " sharpe " << totals.at("sharpe").get<std::string>()
                << ", max drawdown " << totals.at("max_drawdown_usdt").get<std::string>() << " USDT");
  }
}
