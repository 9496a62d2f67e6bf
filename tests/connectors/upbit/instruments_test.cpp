// Upbit's tick tables (every band's edges) and /v1/market/all (+ /v1/orderbook/instruments) ->
// Instruments, on cryptofeed's 2021 capture (UPBIT.0: 294 markets, 117 KRW, 161 BTC, 16 USDT)
// and on the is_details form with market_event and the instruments answer.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "oms/connectors/upbit/instruments.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::upbit;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

std::string tick(const char* quote, const char* price) {
  auto t = tick_size(quote, d(price));
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? std::string() : t.error().message));
  return t->to_string();
}

MarketsPage parse(std::string_view all, std::string_view instruments = {}) {
  auto p = parse_markets(all, instruments);
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? std::string() : p.error().message));
  return std::move(p).value();
}

const UpbitInstrument* find(const MarketsPage& p, std::string_view market) {
  for (const auto& i : p.instruments) {
    if (i.instrument.venue_symbol == market) return &i;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("KRW tick table (2025-07-31): each band at its lower edge and just below it") {
  CHECK(tick("KRW", "150000000") == "1000");
  CHECK(tick("KRW", "2000000") == "1000");
  CHECK(tick("KRW", "1000000") == "1000");
  CHECK(tick("KRW", "999999") == "500");
  CHECK(tick("KRW", "500000") == "500");
  CHECK(tick("KRW", "499999") == "100");
  CHECK(tick("KRW", "100000") == "100");
  CHECK(tick("KRW", "99999") == "50");
  CHECK(tick("KRW", "50000") == "50");
  CHECK(tick("KRW", "49999") == "10");
  CHECK(tick("KRW", "10000") == "10");
  CHECK(tick("KRW", "9999") == "5");
  CHECK(tick("KRW", "5000") == "5");
  CHECK(tick("KRW", "4999") == "1");
  CHECK(tick("KRW", "1000") == "1");
  CHECK(tick("KRW", "100") == "1");
  CHECK(tick("KRW", "99.9") == "0.1");
  CHECK(tick("KRW", "10") == "0.1");
  CHECK(tick("KRW", "9.99") == "0.01");
  CHECK(tick("KRW", "1") == "0.01");
  CHECK(tick("KRW", "0.999") == "0.001");
  CHECK(tick("KRW", "0.1") == "0.001");
  CHECK(tick("KRW", "0.0999") == "0.0001");
  CHECK(tick("KRW", "0.01") == "0.0001");
  CHECK(tick("KRW", "0.00999") == "0.00001");
  CHECK(tick("KRW", "0.001") == "0.00001");
  CHECK(tick("KRW", "0.000999") == "0.000001");
  CHECK(tick("KRW", "0.0001") == "0.000001");
  CHECK(tick("KRW", "0.0000999") == "0.0000001");
  CHECK(tick("KRW", "0.00001") == "0.0000001");
  CHECK(tick("KRW", "0.00000999") == "0.00000001");
  CHECK(tick("KRW", "0.00000001") == "0.00000001");
}

TEST_CASE("USDT and BTC tick tables; unknown quote and non-positive price refused") {
  CHECK(tick("USDT", "73249.665") == "0.01");
  CHECK(tick("USDT", "10") == "0.01");
  CHECK(tick("USDT", "9.999") == "0.001");
  CHECK(tick("USDT", "1") == "0.001");
  CHECK(tick("USDT", "0.9999") == "0.0001");
  CHECK(tick("USDT", "0.1") == "0.0001");
  CHECK(tick("USDT", "0.01") == "0.00001");
  CHECK(tick("USDT", "0.001") == "0.000001");
  CHECK(tick("USDT", "0.0001") == "0.0000001");
  CHECK(tick("USDT", "0.00009999") == "0.00000001");
  CHECK(tick("BTC", "0.0294") == "0.00000001");
  CHECK(tick("BTC", "5") == "0.00000001");
  CHECK(tick_size("SGD", d("1")).error().message == "tick_size: quote 'SGD' has no table here (KRW, BTC, USDT)");
  CHECK(tick_size("KRW", Decimal{}).error().message == "tick_size: price must be positive");
  CHECK(min_order_amount("KRW")->to_string() == "5000");
  CHECK(min_order_amount("BTC")->to_string() == "0.00005");
  CHECK(min_order_amount("USDT")->to_string() == "0.5");
  CHECK(!min_order_amount("THB").ok());
}

TEST_CASE("market/all from cryptofeed's 2021 capture: every market, quote first, rules by market") {
  std::istringstream in(testkit::read_file(testkit::shared_data() / "cryptofeed" / "UPBIT.0"));
  std::string line;
  REQUIRE(std::getline(in, line));
  REQUIRE(line.rfind("https://api.upbit.com/v1/market/all -> ", 0) == 0);
  const MarketsPage p = parse(line.substr(line.find(": ") + 2));
  CHECK(p.instruments.size() == 294);
  CHECK(p.skipped.empty());
  std::size_t krw = 0, btc = 0, usdt = 0;
  for (const auto& i : p.instruments) {
    CHECK(i.instrument.exchange == ExchangeId::kUpbit);
    CHECK(i.instrument.market == Market::kSpot);
    CHECK(i.instrument.trading);
    CHECK(!i.warning);  // the 2021 list has no market_warning field
    CHECK(!i.tick_from_venue);
    const std::string& q = i.instrument.symbol.quote;
    krw += q == "KRW";
    btc += q == "BTC";
    usdt += q == "USDT";
  }
  CHECK(krw == 117);
  CHECK(btc == 161);
  CHECK(usdt == 16);
  const auto* k = find(p, "KRW-BTC");
  REQUIRE(k != nullptr);
  CHECK(k->instrument.symbol.to_string() == "BTC/KRW");
  CHECK(k->english_name == "Bitcoin");
  CHECK(k->price_banded);
  CHECK(k->instrument.rules.tick_size.is_zero());
  CHECK(k->instrument.rules.min_notional == d("5000"));
  CHECK(k->instrument.rules.max_notional.is_zero());
  CHECK(k->instrument.rules.step_size == d("0.00000001"));
  const auto* b = find(p, "BTC-ETH");
  REQUIRE(b != nullptr);
  CHECK(b->instrument.symbol.to_string() == "ETH/BTC");
  CHECK(!b->price_banded);
  CHECK(b->instrument.rules.tick_size == d("0.00000001"));
  CHECK(b->instrument.rules.min_notional == d("0.00005"));
  CHECK(b->instrument.rules.max_notional == d("10"));
  const auto* last = find(p, "BTC-SNX");
  REQUIRE(last != nullptr);
  CHECK(last->instrument.symbol.base == "SNX");
}

TEST_CASE("is_details form: warnings and cautions noted; the instruments answer's tick wins; regional quotes skipped") {
  const std::string all = R"([
    {"market":"KRW-BTC","korean_name":"비트코인","english_name":"Bitcoin",
     "market_event":{"warning":false,"caution":{"PRICE_FLUCTUATIONS":false,"TRADING_VOLUME_SOARING":false}}},
    {"market":"KRW-XYZ","korean_name":"x","english_name":"Xyz",
     "market_event":{"warning":true,"caution":{"PRICE_FLUCTUATIONS":true,"TRADING_VOLUME_SOARING":false}}},
    {"market":"USDT-ETH","korean_name":"e","english_name":"Ethereum","market_warning":"CAUTION"},
    {"market":"SGD-BTC","korean_name":"b","english_name":"Bitcoin"}])";
  const std::string ticks = R"([
    {"market":"KRW-BTC","quote_currency":"KRW","tick_size":"1000","supported_levels":["0","10000"]},
    {"market":"USDT-ETH","quote_currency":"USDT","tick_size":"0.01","supported_levels":["0"]},
    {"market":"KRW-GONE","quote_currency":"KRW","tick_size":"1","supported_levels":["0"]}])";
  const MarketsPage p = parse(all, ticks);
  REQUIRE(p.instruments.size() == 3);
  REQUIRE(p.skipped.size() == 1);
  CHECK(p.skipped[0].market == "SGD-BTC");
  CHECK(p.skipped[0].reason == "quote SGD: a regional market (rules not known here)");
  const auto* k = find(p, "KRW-BTC");
  REQUIRE(k != nullptr);
  CHECK(k->tick_from_venue);
  CHECK(k->price_banded);
  CHECK(k->instrument.rules.tick_size == d("1000"));
  CHECK(!k->warning);
  CHECK(!k->caution);
  const auto* x = find(p, "KRW-XYZ");
  REQUIRE(x != nullptr);
  CHECK(x->warning);
  CHECK(x->caution);
  CHECK(x->instrument.rules.tick_size.is_zero());
  const auto* u = find(p, "USDT-ETH");
  REQUIRE(u != nullptr);
  CHECK(u->warning);
  CHECK(u->instrument.rules.tick_size == d("0.01"));
  CHECK(u->instrument.rules.min_notional == d("0.5"));
}

TEST_CASE("malformed answers: errors name the item and the field") {
  CHECK(parse_markets("{}").error().message.rfind("market/all: expected a JSON array", 0) == 0);
  CHECK(parse_markets(R"([{"market":"KRW-BTC"},{"korean_name":"x"}])").error().message == "market/all: [1].market: missing");
  CHECK(parse_markets(R"([{"market":"KRWBTC"}])").error().message.rfind("market/all: [0].market: upbit symbol", 0) == 0);
  CHECK(parse_markets(R"([{"market":"KRW-BTC"}])", R"([{"market":"KRW-BTC","tick_size":1000}])").error().message ==
        "orderbook/instruments: [0] (KRW-BTC).tick_size: missing or not a string");
  CHECK(parse_markets(R"([{"market":"KRW-BTC"}])", R"([{"market":"KRW-BTC","tick_size":"0"}])").error().message ==
        "orderbook/instruments: [0] (KRW-BTC).tick_size: '0' is not a positive decimal at 1e-9");
  CHECK(parse_markets(R"([{"market":"KRW-BTC"}])", R"([{"market":"KRW-BTC","tick_size":"0.0000000001"}])").error().message ==
        "orderbook/instruments: [0] (KRW-BTC).tick_size: '0.0000000001' is not a positive decimal at 1e-9");
}
