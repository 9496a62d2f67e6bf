#include <doctest/doctest.h>

#include "oms/messages/symbols.hpp"

using namespace oms;

namespace {
CanonicalSymbol sym(const char* s) {
  auto r = parse_canonical(s);
  REQUIRE_MESSAGE(r.ok(), s);
  return *r;
}
std::string venue(ExchangeId e, Market m, const char* s) {
  auto r = to_venue(e, m, sym(s));
  REQUIRE_MESSAGE(r.ok(), s);
  return *r;
}
}  // namespace

TEST_CASE("canonical symbols parse and print back") {
  for (const char* s : {"BTC/USDT", "BTC/USDT:USDT", "BTC/USD:BTC", "BTC/USDT:USDT-210924",
                        "BTC/KRW", "1000SHIB/USDT:USDT"}) {
    CHECK(sym(s).to_string() == s);
  }
  CHECK(sym("BTC/USDT").kind() == ContractKind::kSpot);
  CHECK(sym("BTC/USDT:USDT").kind() == ContractKind::kPerpetual);
  CHECK(sym("BTC/USDT:USDT-210924").kind() == ContractKind::kDelivery);
}

TEST_CASE("malformed canonical symbols name what is wrong") {
  CHECK(parse_canonical("BTCUSDT").error().message == "symbol 'BTCUSDT': expected BASE/QUOTE");
  CHECK(parse_canonical("btc/USDT").error().message == "symbol 'btc/USDT': bad base asset 'btc'");
  CHECK(parse_canonical("BTC/").error().message == "symbol 'BTC/': bad quote asset ''");
  CHECK(parse_canonical("BTC/USDT:").error().message ==
        "symbol 'BTC/USDT:': empty settle asset after ':'");
  CHECK(parse_canonical("BTC/USDT:USDT-2109").error().message ==
        "symbol 'BTC/USDT:USDT-2109': bad expiry '2109' (want YYMMDD)");
  CHECK(parse_canonical("BTC.X/USDT").error().message ==
        "symbol 'BTC.X/USDT': bad base asset 'BTC.X'");
}

TEST_CASE("canonical to each venue's form") {
  CHECK(venue(ExchangeId::kBinance, Market::kSpot, "BTC/USDT") == "BTCUSDT");
  CHECK(venue(ExchangeId::kBinance, Market::kUsdm, "BTC/USDT:USDT") == "BTCUSDT");
  CHECK(venue(ExchangeId::kBinance, Market::kUsdm, "BTC/USDT:USDT-210924") == "BTCUSDT_210924");
  CHECK(venue(ExchangeId::kBinance, Market::kCoinm, "BTC/USD:BTC") == "BTCUSD_PERP");
  CHECK(venue(ExchangeId::kBybit, Market::kSpot, "BTC/USDT") == "BTCUSDT");
  CHECK(venue(ExchangeId::kBybit, Market::kUsdm, "BTC/USDT:USDT") == "BTCUSDT");
  CHECK(venue(ExchangeId::kOkx, Market::kSpot, "BTC/USDT") == "BTC-USDT");
  CHECK(venue(ExchangeId::kOkx, Market::kUsdm, "BTC/USDT:USDT") == "BTC-USDT-SWAP");
  CHECK(venue(ExchangeId::kOkx, Market::kCoinm, "BTC/USD:BTC") == "BTC-USD-SWAP");
  CHECK(venue(ExchangeId::kOkx, Market::kCoinm, "BTC/USD:BTC-220527") == "BTC-USD-220527");
  CHECK(venue(ExchangeId::kUpbit, Market::kSpot, "BTC/KRW") == "KRW-BTC");
}

TEST_CASE("a contract on the wrong market is refused") {
  CHECK(to_venue(ExchangeId::kBinance, Market::kSpot, sym("BTC/USDT:USDT")).error().message ==
        "symbol 'BTC/USDT:USDT' cannot trade on binance spot");
  CHECK(to_venue(ExchangeId::kBinance, Market::kUsdm, sym("BTC/USDT")).error().message ==
        "symbol 'BTC/USDT' cannot trade on binance usdm");
  CHECK(to_venue(ExchangeId::kBinance, Market::kUsdm, sym("BTC/USD:BTC")).error().message ==
        "symbol 'BTC/USD:BTC': usdm contracts settle in the quote asset");
  CHECK_FALSE(to_venue(ExchangeId::kUpbit, Market::kUsdm, sym("BTC/KRW:KRW")).ok());
}

TEST_CASE("venue forms back to canonical") {
  CHECK(from_venue(ExchangeId::kOkx, Market::kSpot, "BTC-USDT")->to_string() == "BTC/USDT");
  CHECK(from_venue(ExchangeId::kOkx, Market::kUsdm, "BTC-USDT-SWAP")->to_string() ==
        "BTC/USDT:USDT");
  CHECK(from_venue(ExchangeId::kOkx, Market::kCoinm, "BTC-USD-220527")->to_string() ==
        "BTC/USD:BTC-220527");
  CHECK(from_venue(ExchangeId::kUpbit, Market::kSpot, "KRW-BTC")->to_string() == "BTC/KRW");
  CHECK(from_venue(ExchangeId::kBinance, Market::kSpot, "BTCUSDT", "BTC", "USDT")->to_string() ==
        "BTC/USDT");
  CHECK(from_venue(ExchangeId::kBinance, Market::kUsdm, "BTCUSDT_210924", "BTC", "USDT")
            ->to_string() == "BTC/USDT:USDT-210924");
  CHECK(from_venue(ExchangeId::kBybit, Market::kUsdm, "BTCUSDT", "BTC", "USDT")->to_string() ==
        "BTC/USDT:USDT");
  // Concatenated symbols are never guessed.
  CHECK(from_venue(ExchangeId::kBinance, Market::kSpot, "BTCUSDT").error().message ==
        "binance symbol 'BTCUSDT': base and quote come from the instrument list");
  CHECK(from_venue(ExchangeId::kBinance, Market::kSpot, "ETHBTC", "BTC", "ETH").error().message ==
        "binance symbol 'ETHBTC' is not 'BTC' + 'ETH'");
  CHECK_FALSE(from_venue(ExchangeId::kOkx, Market::kSpot, "BTC-USDT-SWAP").ok());
  CHECK_FALSE(from_venue(ExchangeId::kUpbit, Market::kSpot, "KRWBTC").ok());
}

TEST_CASE("symbol map refuses conflicting pairs") {
  SymbolMap map;
  CHECK(map.add("BTCUSDT", sym("BTC/USDT")).ok());
  CHECK(map.add("BTCUSDT", sym("BTC/USDT")).ok());  // same pair again is fine
  CHECK(map.add("BTCUSDT", sym("BTC/USDC")).error().message ==
        "venue symbol 'BTCUSDT' maps to both 'BTC/USDT' and 'BTC/USDC'");
  CHECK(map.add("XBTUSDT", sym("BTC/USDT")).error().message ==
        "symbol 'BTC/USDT' maps to both 'BTCUSDT' and 'XBTUSDT'");
  REQUIRE(map.canonical("BTCUSDT") != nullptr);
  CHECK(map.canonical("BTCUSDT")->to_string() == "BTC/USDT");
  CHECK(*map.venue("BTC/USDT") == "BTCUSDT");
  CHECK(map.size() == 1);
}
