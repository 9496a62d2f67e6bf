// Bybit v5 instruments-info -> instrument rules, on the shared fixtures (nautilus_trader's
// captured answers) and on bodies with one thing wrong.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "oms/connectors/bybit/instruments.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::bybit;

namespace {

std::string fixture(const char* name) {
  std::ifstream f(testkit::shared_data() / "nautilus" / "bybit" / name);
  REQUIRE(f.good());
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Decimal d(const char* s) { return *Decimal::parse(s); }

}  // namespace

TEST_CASE("bybit instruments: spot BTCUSDT and ETHUSDT rules from the fixture") {
  const auto page = parse_instruments_info(fixture("http_get_instruments_spot.json"), Market::kSpot);
  REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().message));
  REQUIRE(page->instruments.size() == 2);
  CHECK(page->skipped.empty());
  CHECK(page->next_page_cursor.empty());
  const Instrument& btc = page->instruments[0];
  CHECK(btc.exchange == ExchangeId::kBybit);
  CHECK(btc.venue_symbol == "BTCUSDT");
  CHECK(btc.symbol.to_string() == "BTC/USDT");
  CHECK(btc.trading);
  CHECK(btc.rules.tick_size == d("0.1"));
  CHECK(btc.rules.step_size == d("0.0001"));
  CHECK(btc.rules.min_qty == d("0.001"));
  CHECK(btc.rules.max_qty == d("100"));  // no maxLimitOrderQty in this answer: maxOrderQty
  CHECK(btc.rules.min_notional == d("10"));
  CHECK(btc.rules.max_notional == d("1000000"));
  CHECK(btc.rules.market_max_qty.is_zero());
  CHECK(page->instruments[1].rules.step_size == d("0.00001"));
}

TEST_CASE("bybit instruments: linear perpetuals carry price bounds, market lots and the settle coin") {
  const auto page = parse_instruments_info(fixture("http_get_instruments_linear.json"), Market::kUsdm);
  REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().message));
  REQUIRE(page->instruments.size() == 2);
  const Instrument& btc = page->instruments[0];
  CHECK(btc.symbol.to_string() == "BTC/USDT:USDT");
  CHECK(btc.rules.tick_size == d("0.5"));
  CHECK(btc.rules.min_price == d("1"));
  CHECK(btc.rules.max_price == d("1000000"));
  CHECK(btc.rules.step_size == d("0.001"));
  CHECK(btc.rules.min_qty == d("0.001"));
  CHECK(btc.rules.max_qty == d("100"));
  CHECK(btc.rules.market_max_qty == d("50"));
  CHECK(btc.rules.market_step_size == d("0.001"));
  CHECK(btc.rules.min_notional == d("5"));
  CHECK(page->next_page_cursor.empty());  // null on the last page
  const auto stock = parse_instruments_info(fixture("http_get_instruments_linear_symbol_type.json"), Market::kUsdm);
  REQUIRE(stock.ok());
  REQUIRE(stock->instruments.size() == 1);
  CHECK(stock->instruments[0].symbol.to_string() == "TSLA/USDT:USDT");
  CHECK(stock->instruments[0].rules.market_max_qty.is_zero());  // no maxMktOrderQty: none
}

TEST_CASE("bybit instruments: deliveries and symbols that are not base + quote are reported as skipped, never dropped") {
  const std::string body = R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"abc%3D","list":[
    {"symbol":"BTCUSDT-27DEC24","contractType":"LinearFutures","status":"Trading","baseCoin":"BTC","quoteCoin":"USDT","settleCoin":"USDT",
     "priceFilter":{"minPrice":"1","maxPrice":"2","tickSize":"0.5"},"lotSizeFilter":{"maxOrderQty":"1","minOrderQty":"0.001","qtyStep":"0.001"}},
    {"symbol":"BTCPERP","contractType":"LinearPerpetual","status":"Trading","baseCoin":"BTC","quoteCoin":"USDC","settleCoin":"USDC",
     "priceFilter":{"minPrice":"1","maxPrice":"2","tickSize":"0.5"},"lotSizeFilter":{"maxOrderQty":"1","minOrderQty":"0.001","qtyStep":"0.001"}},
    {"symbol":"ETHUSDT","contractType":"LinearPerpetual","status":"PreLaunch","baseCoin":"ETH","quoteCoin":"USDT","settleCoin":"USDT",
     "priceFilter":{"minPrice":"0.1","maxPrice":"100000","tickSize":"0.05"},"lotSizeFilter":{"maxOrderQty":"1000","minOrderQty":"0.01","qtyStep":"0.01"}}]}})";
  const auto page = parse_instruments_info(body, Market::kUsdm);
  REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().message));
  REQUIRE(page->instruments.size() == 1);
  CHECK(page->instruments[0].venue_symbol == "ETHUSDT");
  CHECK_FALSE(page->instruments[0].trading);
  REQUIRE(page->skipped.size() == 2);
  CHECK(page->skipped[0].venue_symbol == "BTCUSDT-27DEC24");
  CHECK(page->skipped[0].reason == "contractType 'LinearFutures': only linear perpetuals are mapped");
  CHECK(page->skipped[1].venue_symbol == "BTCPERP");
  CHECK(page->skipped[1].reason == "bybit symbol 'BTCPERP' is not 'BTC' + 'USDC'");
  CHECK(page->next_page_cursor == "abc%3D");
}

TEST_CASE("bybit instruments: errors name the instrument and the field") {
  const auto err = [](std::string_view body, Market m) {
    const auto r = parse_instruments_info(body, m);
    REQUIRE(!r.ok());
    return r.error().message;
  };
  CHECK(err(R"({"retCode":10001,"retMsg":"params error: category","result":{}})", Market::kSpot) ==
        "instruments-info: retCode 10001: params error: category");
  CHECK(err("{", Market::kSpot).rfind("instruments-info: malformed JSON", 0) == 0);
  CHECK(err(R"({"retCode":0,"result":{"list":[{"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","status":"Trading",
      "priceFilter":{"tickSize":"0.1"},"lotSizeFilter":{"basePrecision":"0.0001","minOrderQty":"0.001","maxOrderQty":"x","minOrderAmt":"10"}}]}})",
            Market::kSpot) == "instruments-info: list[0] (BTCUSDT).lotSizeFilter.maxOrderQty: not a decimal number: 'x'");
  CHECK(err(R"({"retCode":0,"result":{"list":[{"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","status":"Trading",
      "lotSizeFilter":{}}]}})", Market::kSpot) == "instruments-info: list[0] (BTCUSDT).priceFilter: expected an object");
  CHECK(err(R"({"retCode":0,"result":{"list":[{"symbol":"BTCUSDT","contractType":"LinearPerpetual","baseCoin":"BTC","quoteCoin":"USDT","settleCoin":"USDT",
      "priceFilter":{"minPrice":"1","maxPrice":"2"},"lotSizeFilter":{}}]}})", Market::kUsdm) ==
        "instruments-info: list[0] (BTCUSDT).priceFilter.tickSize: missing");
  CHECK(err("{}", Market::kCoinm) == "instruments-info: inverse contracts are not traded");
}
