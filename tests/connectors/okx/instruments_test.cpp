// OKX v5 public/instruments -> instrument rules in base units, on the shared captures
// (cryptofeed's 2022 OKX.0: SPOT, SWAP, FUTURES, OPTION; nautilus_trader's spot and swap
// fixtures). Values pinned from the files.
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "oms/connectors/okx/instruments.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::okx;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

// OKX.0 lines: "<url> -> <ts>: <body>". The first five are one snapshot of every instType.
std::vector<std::pair<std::string, std::string>> okx_capture() {
  std::istringstream in(testkit::read_file(testkit::shared_data() / "cryptofeed" / "OKX.0"));
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string line; std::getline(in, line);) {
    const auto arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    const auto colon = line.find(": ", arrow);
    REQUIRE(colon != std::string::npos);
    out.emplace_back(line.substr(0, arrow), line.substr(colon + 2));
  }
  return out;
}

InstrumentsPage parse(const std::string& body) {
  auto p = parse_instruments(body);
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? std::string() : p.error().message));
  return std::move(p).value();
}

const OkxInstrument& find(const InstrumentsPage& p, std::string_view id) {
  for (const auto& i : p.instruments) {
    if (i.instrument.venue_symbol == id) return i;
  }
  FAIL("instrument not mapped: " << id);
  throw std::logic_error("unreachable");
}

std::map<std::string, int> reasons(const InstrumentsPage& p) {
  std::map<std::string, int> out;
  for (const auto& s : p.skipped) ++out[s.reason];
  return out;
}

}  // namespace

TEST_CASE("okx instruments (cryptofeed 2022): SPOT -> kSpot, tick / lot / min / max in base units") {
  const auto cap = okx_capture();
  REQUIRE(cap.size() == 25);
  REQUIRE(cap[0].first == "https://www.okx.com/api/v5/public/instruments?instType=SPOT");
  const auto page = parse(cap[0].second);
  // 513 listed: 499 mapped (SHIB-USDT's 0.000000001 tick among them since the Decimal range
  // change), 14 with a tick finer than 1e-9 skipped.
  CHECK(page.instruments.size() == 499);
  CHECK(page.skipped.size() == 14);
  CHECK(reasons(page) == std::map<std::string, int>{{"tickSz '0.0000000001': finer than 1e-9", 5},
                                                    {"tickSz '0.00000000001': finer than 1e-9", 4},
                                                    {"tickSz '0.000000000001': finer than 1e-9", 5}});

  const auto& btc = find(page, "BTC-USDT");
  CHECK(btc.instrument.exchange == ExchangeId::kOkx);
  CHECK(btc.instrument.market == Market::kSpot);
  CHECK(btc.instrument.symbol.to_string() == "BTC/USDT");
  CHECK(btc.instrument.trading);
  CHECK(btc.inst_type == InstType::kSpot);
  CHECK(btc.contract_value == d("1"));
  CHECK(btc.instrument.rules.tick_size == d("0.1"));
  CHECK(btc.instrument.rules.step_size == d("0.00000001"));
  CHECK(btc.instrument.rules.min_qty == d("0.00001"));
  CHECK(btc.instrument.rules.max_qty == d("9999999999"));
  CHECK(btc.instrument.rules.market_max_qty.is_zero());  // spot maxMktSz is quote (USDT)
  const auto& eth_btc = find(page, "ETH-BTC");
  CHECK(eth_btc.instrument.symbol.to_string() == "ETH/BTC");
  CHECK(eth_btc.instrument.rules.tick_size == d("0.00001"));
  CHECK(eth_btc.instrument.rules.step_size == d("0.000001"));
  CHECK(eth_btc.instrument.rules.min_qty == d("0.001"));
  CHECK(eth_btc.instrument.rules.max_qty == d("999999999999"));  // within range since 1e-9 x 2^127
  const InstrumentSpec spec = btc.spec(TradeMode::kCash);
  CHECK(spec.inst_id == "BTC-USDT");
  CHECK(spec.lot_size == d("0.00000001"));
}

TEST_CASE("okx instruments (cryptofeed 2022): linear SWAP -> kUsdm in base units (x ctVal), inverse skipped") {
  const auto cap = okx_capture();
  REQUIRE(cap[1].first == "https://www.okx.com/api/v5/public/instruments?instType=SWAP");
  const auto page = parse(cap[1].second);
  // 166 listed: 126 linear (124 mapped -- those with a 1e-9 tick among them --, 2 finer), 40
  // coin-margined.
  CHECK(page.instruments.size() == 124);
  const auto r = reasons(page);
  CHECK(r.at("SWAP ctType inverse: coin-margined swaps are not traded") == 40);
  CHECK(page.skipped.size() == 42);
  const auto& btc = find(page, "BTC-USDT-SWAP");
  CHECK(btc.instrument.market == Market::kUsdm);
  CHECK(btc.instrument.symbol.to_string() == "BTC/USDT:USDT");
  CHECK(btc.inst_type == InstType::kSwap);
  CHECK(btc.contract_value == d("0.01"));
  CHECK(btc.lot_size == d("1"));
  CHECK(btc.instrument.rules.tick_size == d("0.1"));
  CHECK(btc.instrument.rules.step_size == d("0.01"));
  CHECK(btc.instrument.rules.min_qty == d("0.01"));
  CHECK(btc.instrument.rules.max_qty == d("1000000"));      // 100000000 contracts
  CHECK(btc.instrument.rules.market_max_qty == d("16"));    // 1600 contracts
  const auto& ada = find(page, "ADA-USDT-SWAP");
  CHECK(ada.contract_value == d("100"));
  CHECK(ada.instrument.rules.step_size == d("100"));
  CHECK(ada.instrument.rules.tick_size == d("0.00001"));
  CHECK(ada.instrument.rules.market_max_qty == d("200000"));  // 2000 contracts
  const auto& shib = find(page, "SHIB-USDT-SWAP");
  CHECK(shib.contract_value == d("1000000"));
  CHECK(shib.instrument.rules.step_size == d("1000000"));
  CHECK(shib.instrument.rules.max_qty == d("100000000000000000"));  // 1e11 contracts x 1e6
  const InstrumentSpec spec = btc.spec(TradeMode::kCross, true);
  CHECK(spec.inst_type == InstType::kSwap);
  CHECK(spec.contract_value == d("0.01"));
  CHECK(spec.trade_mode == TradeMode::kCross);
  CHECK(spec.long_short_mode);
  CHECK(to_size(spec, d("0.05"), "sz").value() == d("5"));
}

TEST_CASE("okx instruments (cryptofeed 2022): FUTURES and OPTION answers are skipped, each with its reason") {
  const auto cap = okx_capture();
  const auto futures = parse(cap[2].second);
  CHECK(futures.instruments.empty());
  CHECK(futures.skipped.size() == 104);
  CHECK(futures.skipped[0].reason == "FUTURES: deliveries are not traded");
  const auto options = parse(cap[3].second);
  CHECK(options.instruments.empty());
  CHECK(options.skipped.size() == 346);
  CHECK(options.skipped[0].reason == "OPTION: options are not traded");
  // Every later snapshot of the capture parses too (25 answers).
  for (const auto& [url, body] : cap) CHECK(parse_instruments(body).ok());
}

TEST_CASE("okx instruments (nautilus fixtures): current listings -- lotSz 0.01 contracts, USD spot pairs") {
  const auto swap = parse(testkit::read_file(testkit::shared_data() / "nautilus" / "okx" / "http_get_instruments_swap.json"));
  CHECK(swap.instruments.size() == 2);
  REQUIRE(swap.skipped.size() == 1);
  CHECK(swap.skipped[0].inst_id == "BTC-USD-SWAP");
  CHECK(swap.skipped[0].reason == "SWAP ctType inverse: coin-margined swaps are not traded");
  const auto& eth = find(swap, "ETH-USDT-SWAP");
  CHECK(eth.instrument.symbol.to_string() == "ETH/USDT:USDT");
  CHECK(eth.contract_value == d("0.1"));
  CHECK(eth.lot_size == d("0.01"));
  CHECK(eth.instrument.rules.step_size == d("0.001"));
  CHECK(eth.instrument.rules.min_qty == d("0.001"));
  CHECK(eth.instrument.rules.max_qty == d("10000000"));
  CHECK(eth.instrument.rules.market_max_qty == d("2000"));
  CHECK(eth.instrument.rules.tick_size == d("0.01"));
  const auto& btc = find(swap, "BTC-USDT-SWAP");
  CHECK(btc.instrument.rules.step_size == d("0.0001"));
  CHECK(btc.instrument.rules.market_max_qty == d("120"));

  const auto spot = parse(testkit::read_file(testkit::shared_data() / "nautilus" / "okx" / "http_get_instruments_spot.json"));
  CHECK(spot.instruments.size() == 5);
  CHECK(spot.skipped.empty());
  const auto& usdt = find(spot, "USDT-USD");
  CHECK(usdt.instrument.symbol.to_string() == "USDT/USD");
  CHECK(usdt.instrument.rules.tick_size == d("0.0001"));
  CHECK(usdt.instrument.rules.step_size == d("0.0001"));
  CHECK(usdt.instrument.rules.min_qty == d("1"));
  CHECK(usdt.instrument.rules.max_qty == d("99999999999999"));
  CHECK(find(spot, "BTC-USD").instrument.rules.max_qty == d("9999999999"));
}

TEST_CASE("okx instruments: errors name the field; a non-zero code quotes code and msg; states other than live skip") {
  CHECK(parse_instruments(R"({"code":"50011","msg":"Too Many Requests","data":[]})").error().message ==
        "instruments: code 50011: Too Many Requests");
  CHECK(parse_instruments("{").error().message.rfind("instruments: malformed JSON", 0) == 0);
  const std::string bad =
      R"({"code":"0","msg":"","data":[{"instId":"BTC-USDT","instType":"SPOT","baseCcy":"BTC","quoteCcy":"USDT",)"
      R"("state":"live","tickSz":"0.1","lotSz":"x","minSz":"1","maxLmtSz":"1","maxMktSz":"1"}]})";
  CHECK(parse_instruments(bad).error().message == "instruments: data[0] (BTC-USDT).lotSz: not a decimal number: 'x'");
  const std::string no_ctval =
      R"({"code":"0","msg":"","data":[{"instId":"BTC-USDT-SWAP","instType":"SWAP","ctType":"linear","uly":"BTC-USDT",)"
      R"("settleCcy":"USDT","state":"live","tickSz":"0.1","lotSz":"1","minSz":"1","maxLmtSz":"1","maxMktSz":"1"}]})";
  CHECK(parse_instruments(no_ctval).error().message == "instruments: data[0] (BTC-USDT-SWAP).ctVal: missing");
  const std::string suspended =
      R"({"code":"0","msg":"","data":[{"instId":"BTC-USDT","instType":"SPOT","baseCcy":"BTC","quoteCcy":"USDT",)"
      R"("state":"suspend","tickSz":"0.1","lotSz":"1","minSz":"1","maxLmtSz":"1","maxMktSz":"1"}]})";
  const auto p = parse(suspended);
  CHECK(p.instruments.empty());
  REQUIRE(p.skipped.size() == 1);
  CHECK(p.skipped[0].reason == "state 'suspend': not live");
}
