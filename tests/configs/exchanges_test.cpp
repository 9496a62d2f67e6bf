// exchanges.yaml on its own: venues, markets, URLs, rate limits and fees.
#include "oms/configs/exchanges.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"

namespace oms::configs {
namespace {

using test::error_of;
using test::kExchanges;
using test::replace_once;

std::string exchanges_error(std::string_view yaml) {
  return error_of([&] { return load_exchanges_from_string(yaml, "exchanges.yaml"); });
}

std::string fixture_with(std::string_view from, std::string_view to) {
  return replace_once(std::string(kExchanges), from, to);
}

const MarketConfig& market(const ExchangesConfig& cfg, ExchangeId e, Market m) {
  return *cfg.find(e)->markets[static_cast<std::size_t>(m)];
}

TEST_CASE("the fixture exchanges.yaml loads with exact limits and fees") {
  const auto cfg = load_exchanges_from_string(kExchanges, "exchanges.yaml");
  CHECK(cfg.trades(ExchangeId::kBinance, Market::kSpot));
  CHECK(cfg.trades(ExchangeId::kBinance, Market::kUsdm));
  CHECK(cfg.trades(ExchangeId::kOkx, Market::kSpot));
  CHECK_FALSE(cfg.trades(ExchangeId::kOkx, Market::kUsdm));
  CHECK(cfg.find(ExchangeId::kBybit) == nullptr);
  CHECK_FALSE(cfg.trades(ExchangeId::kBybit, Market::kSpot));
  const MarketConfig& usdm = market(cfg, ExchangeId::kBinance, Market::kUsdm);
  CHECK(usdm.rate_limits.weight_per_minute == 2400);
  CHECK(usdm.rate_limits.orders_per_10s == 300);
  CHECK_FALSE(usdm.rate_limits.orders_per_day.has_value());
  CHECK(usdm.fees.maker_bps == Decimal::parse("2").value());
  CHECK_FALSE(cfg.find(ExchangeId::kBinance)->recv_window.has_value());
}

TEST_CASE("a maker rebate, a daily order cap and a recv window load") {
  std::string yaml = fixture_with("fees: {maker_bps: 2, taker_bps: 5}\n  okx:",
                                  "fees: {maker_bps: -0.5, taker_bps: 2.25}\n  okx:");
  yaml = replace_once(yaml, "{weight_per_minute: 6000, orders_per_10s: 100}",
                      "{weight_per_minute: 6000, orders_per_10s: 100, orders_per_day: 200000}");
  yaml = replace_once(yaml, "  binance:\n    enabled: true\n",
                      "  binance:\n    enabled: true\n    recv_window_ms: 5000\n");
  const auto cfg = load_exchanges_from_string(yaml, "exchanges.yaml");
  const MarketConfig& usdm = market(cfg, ExchangeId::kBinance, Market::kUsdm);
  CHECK(usdm.fees.maker_bps == Decimal::parse("-0.5").value());
  CHECK(usdm.fees.taker_bps == Decimal::parse("2.25").value());
  CHECK(market(cfg, ExchangeId::kBinance, Market::kSpot).rate_limits.orders_per_day == 200000);
  CHECK(cfg.find(ExchangeId::kBinance)->recv_window == std::chrono::milliseconds(5000));
}

TEST_CASE("an IP ban's length when the venue names none: ip_ban_s, 1 s to a day") {
  const auto cfg = load_exchanges_from_string(
      replace_once(fixture_with("  okx:", "  okx:"), "  binance:\n    enabled: true\n",
                   "  binance:\n    enabled: true\n    ip_ban_s: 120\n"),
      "exchanges.yaml");
  CHECK(cfg.find(ExchangeId::kBinance)->ip_ban == std::chrono::seconds(120));
  CHECK_FALSE(cfg.find(ExchangeId::kOkx)->ip_ban.has_value());
  CHECK(exchanges_error(fixture_with("  binance:\n    enabled: true\n",
                                     "  binance:\n    enabled: true\n    ip_ban_s: 0\n")) ==
        "exchanges.yaml:4:15: 'ip_ban_s' in exchanges.binance must be >= 1 and <= 86400, got '0'");
}

TEST_CASE("unknown exchange and unknown market") {
  CHECK(exchanges_error(fixture_with("  okx:", "  kraken:")) ==
        "exchanges.yaml:18:3: unknown exchange 'kraken' (known: binance, bybit, okx, upbit)");
  CHECK(exchanges_error(fixture_with("      usdm:\n        enabled: true",
                                     "      futures:\n        enabled: true")) ==
        "exchanges.yaml:12:7: unknown market 'futures' in exchanges.binance.markets (known: spot, "
        "usdm, coinm)");
}

TEST_CASE("orders and keys travel over TLS only") {
  CHECK(
      exchanges_error(
          fixture_with("rest_url: https://api.binance.com", "rest_url: http://api.binance.com")) ==
      "exchanges.yaml:8:19: 'rest_url' in exchanges.binance.markets.spot must start with https://, "
      "got 'http://api.binance.com'");
  CHECK(exchanges_error(fixture_with("ws_url: wss://fstream.binance.com",
                                     "ws_url: ws://fstream.binance.com")) ==
        "exchanges.yaml:15:17: 'ws_url' in exchanges.binance.markets.usdm must start with wss://, "
        "got "
        "'ws://fstream.binance.com'");
}

TEST_CASE("fees outside their bps range") {
  CHECK(exchanges_error(fixture_with("fees: {maker_bps: 10, taker_bps: 10}",
                                     "fees: {maker_bps: 10, taker_bps: 150}")) ==
        "exchanges.yaml:11:42: 'taker_bps' in exchanges.binance.markets.spot.fees must be >= 0 and "
        "<= 100, got '150'");
  CHECK(exchanges_error(fixture_with("fees: {maker_bps: 10, taker_bps: 10}",
                                     "fees: {maker_bps: -101, taker_bps: 10}")) ==
        "exchanges.yaml:11:27: 'maker_bps' in exchanges.binance.markets.spot.fees must be >= -100 "
        "and <= 100, got '-101'");
}

TEST_CASE("rate limits and recv window out of range") {
  CHECK(exchanges_error(fixture_with("{weight_per_minute: 6000,", "{weight_per_minute: 0,")) ==
        "exchanges.yaml:10:42: 'weight_per_minute' in exchanges.binance.markets.spot.rate_limits "
        "must be >= 1 and <= 2147483647, got '0'");
  CHECK(
      exchanges_error(fixture_with("  binance:\n    enabled: true\n",
                                   "  binance:\n    enabled: true\n    recv_window_ms: 60001\n")) ==
      "exchanges.yaml:4:21: 'recv_window_ms' in exchanges.binance must be >= 1 and <= 60000, got "
      "'60001'");
}

TEST_CASE("missing market keys are reported at the market") {
  CHECK(exchanges_error(fixture_with("        fees: {maker_bps: 10, taker_bps: 10}\n", "")) ==
        "exchanges.yaml:6:7: missing required key 'fees' in exchanges.binance.markets.spot");
}

TEST_CASE("an enabled exchange needs an enabled market") {
  CHECK(exchanges_error(
            fixture_with("        enabled: true\n        rest_url: https://www.okx.com",
                         "        enabled: false\n        rest_url: https://www.okx.com")) ==
        "exchanges.yaml:21:5: exchange 'okx' is enabled but none of its markets is");
}

TEST_CASE("a wrong type in a flow mapping points at the value") {
  CHECK(exchanges_error(fixture_with("  okx:\n    enabled: true\n    testnet: false",
                                     "  okx:\n    enabled: true\n    testnet: {}")) ==
        "exchanges.yaml:20:14: 'testnet' in exchanges.okx must be a scalar, got a mapping");
}

}  // namespace
}  // namespace oms::configs
