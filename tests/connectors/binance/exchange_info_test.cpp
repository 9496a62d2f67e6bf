#include <doctest/doctest.h>

#include <set>

#include "oms/connectors/binance/exchange_info.hpp"
#include "testkit/paths.hpp"
#include "testkit/printers.hpp"

using namespace oms;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }

std::vector<Instrument> load(const char* file, Market m) {
  const auto body = testkit::read_file(testkit::shared_data() / "cryptofeed" / file);
  auto r = binance::parse_exchange_info(body, m);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return std::move(r).value();
}

const Instrument& find(const std::vector<Instrument>& v, std::string_view symbol) {
  for (const auto& i : v)
    if (i.venue_symbol == symbol) return i;
  FAIL("no symbol " << symbol);
  return v.front();
}

// Every instrument maps to canonical and back to the same venue symbol, and no two share
// either form.
void check_round_trip(const std::vector<Instrument>& v, Market m) {
  SymbolMap map;
  for (const auto& i : v) {
    const auto venue = to_venue(ExchangeId::kBinance, m, i.symbol);
    REQUIRE_MESSAGE(venue.ok(), i.venue_symbol);
    CHECK_MESSAGE(*venue == i.venue_symbol, i.symbol.to_string());
    const auto canonical = parse_canonical(i.symbol.to_string());
    REQUIRE(canonical.ok());
    CHECK(*canonical == i.symbol);
    const auto added = map.add(i.venue_symbol, i.symbol);
    CHECK_MESSAGE(added.ok(), i.venue_symbol);
  }
  CHECK(map.size() == v.size());
}
}  // namespace

TEST_CASE("spot exchangeInfo 2021-10-12: 1695 symbols, each round-trips") {
  const auto v = load("BINANCE_spot_exchangeInfo_20211012.json", Market::kSpot);
  CHECK(v.size() == 1695);
  check_round_trip(v, Market::kSpot);
  std::size_t trading = 0;
  for (const auto& i : v) trading += i.trading ? 1 : 0;
  CHECK(trading == 1262);

  const auto& eth = find(v, "ETHBTC");
  CHECK(eth.symbol.to_string() == "ETH/BTC");
  CHECK(eth.rules.tick_size == d("0.000001"));
  CHECK(eth.rules.min_price == d("0.000001"));
  CHECK(eth.rules.max_price == d("922327"));
  CHECK(eth.rules.step_size == d("0.0001"));
  CHECK(eth.rules.min_qty == d("0.0001"));
  CHECK(eth.rules.max_qty == d("100000"));
  CHECK(eth.rules.market_max_qty == d("873.90727776"));
  CHECK(eth.rules.market_step_size == d("0"));
  CHECK(eth.rules.min_notional == d("0.0001"));
  CHECK(eth.rules.min_notional_applies_to_market);
  CHECK(eth.rules.bid_band.up == d("5"));
  CHECK(eth.rules.bid_band.down == d("0.2"));
  CHECK(eth.rules.ask_band.up == d("5"));
  CHECK(eth.rules.max_num_orders == 200);
  CHECK(eth.rules.max_num_algo_orders == 5);
}

TEST_CASE("usdm exchangeInfo 2021-07-22: 122 symbols incl. deliveries, each round-trips") {
  const auto v = load("BINANCE_FUTURES_usdm_exchangeInfo_20210722.json", Market::kUsdm);
  CHECK(v.size() == 122);
  check_round_trip(v, Market::kUsdm);
  const auto& btc = find(v, "BTCUSDT");
  CHECK(btc.symbol.to_string() == "BTC/USDT:USDT");
  CHECK(btc.rules.tick_size == d("0.01"));
  CHECK(btc.rules.min_price == d("556.72"));
  CHECK(btc.rules.max_price == d("1000000"));
  CHECK(btc.rules.step_size == d("0.001"));
  CHECK(btc.rules.max_qty == d("1000"));
  CHECK(btc.rules.min_notional == d("5"));
  CHECK(btc.rules.bid_band.up == d("1.15"));
  CHECK(btc.rules.bid_band.down == d("0.85"));
  CHECK(btc.rules.max_num_orders == 200);
  CHECK(btc.rules.max_num_algo_orders == 10);
  CHECK(find(v, "BTCUSDT_210924").symbol.to_string() == "BTC/USDT:USDT-210924");
  CHECK_FALSE(find(v, "BTCSTUSDT").trading);  // PENDING_TRADING
}

TEST_CASE("every filter example of the Binance docs is understood") {
  const auto text = testkit::read_file(testkit::shared_data() / "binance-spot-api-docs" /
                                       "filters.examples.json");
  // Wrap each symbol filter example in a one-symbol exchangeInfo.
  std::set<std::string> seen;
  std::size_t pos = 0;
  int parsed = 0;
  while ((pos = text.find("\"example\": {", pos)) != std::string::npos) {
    pos += 11;
    int depth = 0;
    std::size_t end = pos;
    for (; end < text.size(); ++end) {
      if (text[end] == '{') ++depth;
      if (text[end] == '}' && --depth == 0) break;
    }
    const std::string filter = text.substr(pos, end - pos + 1);
    if (filter.find("\"filterType\"") == std::string::npos || filter.find("EXCHANGE_") != std::string::npos) continue;
    const std::string body = R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","filters":[)" + filter + "]}]}";
    const auto r = binance::parse_exchange_info(body, Market::kSpot);
    CHECK_MESSAGE(r.ok(), filter);
    ++parsed;
  }
  CHECK(parsed >= 10);
}

TEST_CASE("a malformed filter value is an error naming symbol, filter and field") {
  const auto body = std::string(R"({"symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC","filters":[{"filterType":"PRICE_FILTER","minPrice":"0.00000100","maxPrice":"922327.00000000","tickSize":"0.0000000001"}]}]})");
  const auto r = binance::parse_exchange_info(body, Market::kSpot);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "exchangeInfo: symbols[0] (ETHBTC).filters[0] PRICE_FILTER.tickSize: more than 9 "
        "fractional digits: '0.0000000001'");
  const auto missing = binance::parse_exchange_info(
      R"({"symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC","filters":[{"filterType":"LOT_SIZE","minQty":"1","maxQty":"2"}]}]})",
      Market::kSpot);
  CHECK(missing.error().message == "exchangeInfo: symbols[0] (ETHBTC).filters[0] LOT_SIZE.stepSize: missing");
  CHECK(binance::parse_exchange_info("{", Market::kSpot).error().message.starts_with("exchangeInfo: malformed JSON"));
  CHECK(binance::parse_exchange_info("{}", Market::kSpot).error().message == "exchangeInfo: missing array 'symbols'");
  CHECK(binance::parse_exchange_info(R"({"symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"BTC","quoteAsset":"ETH","filters":[]}]})", Market::kSpot).error().message ==
        "exchangeInfo: symbols[0] (ETHBTC): binance symbol 'ETHBTC' is not 'BTC' + 'ETH'");
}
