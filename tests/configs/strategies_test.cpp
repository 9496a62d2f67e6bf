// strategies.yaml on its own: types, pairs, instruments, durations and rates.
#include "oms/configs/strategies.hpp"

#include <doctest/doctest.h>

#include <variant>

#include "fixtures.hpp"

namespace oms::configs {
namespace {

using test::error_of;
using test::kStrategies;
using test::replace_once;

constexpr std::string_view kMarketMaking = R"(strategies:
  mm:
    type: market_making
    enabled: true
    instruments:
      - symbol: BTC/USDT
        exchange: binance
        account: binance_mm
        spread_bps: 10
        quote_size: 0.1
        max_inventory: 1.0
        refresh_rate: 1s
    risk_limits: {max_daily_loss: 1000, max_position_value: 50000, auto_stop_loss: 0.02}
)";

constexpr std::string_view kTrend = R"(strategies:
  trend:
    type: trend_following
    enabled: false
    instruments:
      - symbol: BTC/USDT:USDT
        exchange: binance
        account: futures
        timeframe: 1m
        fast_period: 20
        slow_period: 50
        order_size: 0.01
        max_position: 0.05
        leverage: 3
)";

std::string strategies_error(std::string_view yaml) {
  return error_of([&] { return load_strategies_from_string(yaml, "strategies.yaml"); });
}

std::string arb_with(std::string_view from, std::string_view to) {
  return replace_once(std::string(kStrategies), from, to);
}

const ArbitrageParams& arb_params(const StrategiesConfig& cfg) {
  return std::get<ArbitrageParams>(cfg.strategies.at(0).params);
}

TEST_CASE("the fixture arbitrage strategy loads with exact values") {
  const auto cfg = load_strategies_from_string(kStrategies, "strategies.yaml");
  REQUIRE(cfg.strategies.size() == 1);
  CHECK(cfg.strategies[0].id == StrategyId(0));
  CHECK(cfg.ids.find("arb") == StrategyId(0));
  const ArbitrageParams& p = arb_params(cfg);
  REQUIRE(p.pairs.size() == 1);
  CHECK(p.pairs[0].min_profit_rate == Decimal::parse("0.001").value());
  CHECK(p.pairs[0].exchanges == std::vector<ExchangeId>{ExchangeId::kBinance, ExchangeId::kOkx});
  CHECK(p.execution.timeout == std::chrono::milliseconds(500));
  CHECK(p.accounts[static_cast<std::size_t>(ExchangeId::kBinance)] == "arb");
  CHECK(p.accounts[static_cast<std::size_t>(ExchangeId::kBybit)].empty());
}

TEST_CASE("leg risk: defaults, each key read exactly, bad values named with file:line:col") {
  const auto defaults = arb_params(load_strategies_from_string(kStrategies, "strategies.yaml")).execution;
  CHECK(defaults.leg_risk == LegRiskPolicy::kHedge);
  CHECK_FALSE(defaults.repair_market);
  CHECK(defaults.repair_band_bps == Decimal::parse("10").value());
  CHECK(defaults.leg_risk_time_limit == std::chrono::milliseconds(10'000));
  CHECK(defaults.max_book_age == std::chrono::milliseconds(1'000));
  const std::string keys = "retry: 3, leg_risk: unwind, repair_order: market, repair_band_bps: 2.5, "
                           "leg_risk_time_limit: 3s, max_book_age: 250ms";
  const auto set = arb_params(load_strategies_from_string(arb_with("retry: 3", keys), "strategies.yaml")).execution;
  CHECK(set.leg_risk == LegRiskPolicy::kUnwind);
  CHECK(set.repair_market);
  CHECK(set.repair_band_bps == Decimal::parse("2.5").value());
  CHECK(set.leg_risk_time_limit == std::chrono::milliseconds(3'000));
  CHECK(set.max_book_age == std::chrono::milliseconds(250));
  CHECK(strategies_error(arb_with("retry: 3", "retry: 3, leg_risk: pray")) ==
        "strategies.yaml:10:71: 'leg_risk' in execution of strategy 'arb' must be hedge or "
        "unwind, got 'pray'");
  CHECK(strategies_error(arb_with("retry: 3", "retry: 3, repair_order: stop")) ==
        "strategies.yaml:10:75: 'repair_order' in execution of strategy 'arb' must be limit or "
        "market, got 'stop'");
  CHECK(strategies_error(arb_with("retry: 3", "retry: 3, repair_band_bps: 1001")) ==
        "strategies.yaml:10:78: 'repair_band_bps' in execution of strategy 'arb' must be >= 0 "
        "and <= 1000, got '1001'");
  CHECK(strategies_error(arb_with("retry: 3", "retry: 3, max_book_age: 0s")).find(
            "'max_book_age' in execution of strategy 'arb' must be a positive duration") !=
        std::string::npos);
}

TEST_CASE("durations parse exactly with ms, s, m and h") {
  const auto timeout = [](std::string_view text) {
    const auto cfg = load_strategies_from_string(
        arb_with("timeout: 500ms", "timeout: " + std::string(text)), "strategies.yaml");
    return arb_params(cfg).execution.timeout;
  };
  CHECK(timeout("1ms") == std::chrono::milliseconds(1));
  CHECK(timeout("1s") == std::chrono::milliseconds(1'000));
  CHECK(timeout("2m") == std::chrono::milliseconds(120'000));
  CHECK(timeout("1h") == std::chrono::milliseconds(3'600'000));
}

TEST_CASE("a duration with a bad unit, no unit or zero is rejected") {
  CHECK(
      strategies_error(arb_with("timeout: 500ms", "timeout: 500us")) ==
      "strategies.yaml:10:44: 'timeout' in execution of strategy 'arb' must be a positive duration "
      "such as 500ms, 1s, 2m or 1h, got '500us'");
  CHECK(
      strategies_error(arb_with("timeout: 500ms", "timeout: 500")) ==
      "strategies.yaml:10:44: 'timeout' in execution of strategy 'arb' must be a positive duration "
      "such as 500ms, 1s, 2m or 1h, got '500'");
  CHECK(
      strategies_error(arb_with("timeout: 500ms", "timeout: 0s")) ==
      "strategies.yaml:10:44: 'timeout' in execution of strategy 'arb' must be a positive duration "
      "such as 500ms, 1s, 2m or 1h, got '0s'");
  CHECK(
      strategies_error(arb_with("timeout: 500ms", "timeout: 1.5s")) ==
      "strategies.yaml:10:44: 'timeout' in execution of strategy 'arb' must be a positive duration "
      "such as 500ms, 1s, 2m or 1h, got '1.5s'");
}

TEST_CASE("rates are decimals in (0, 1), parsed exactly") {
  CHECK(
      strategies_error(arb_with("min_profit_rate: 0.001", "min_profit_rate: 1.2.3")) ==
      "strategies.yaml:8:26: 'min_profit_rate' in pair 1 of strategy 'arb' must be a decimal, got "
      "'1.2.3' (not a decimal number)");
  CHECK(
      strategies_error(arb_with("min_profit_rate: 0.001", "min_profit_rate: 0.1234567891")) ==
      "strategies.yaml:8:26: 'min_profit_rate' in pair 1 of strategy 'arb' must be a decimal, got "
      "'0.1234567891' (more than 9 fractional digits)");
  CHECK(strategies_error(arb_with("min_profit_rate: 0.001", "min_profit_rate: 1")) ==
        "strategies.yaml:8:26: 'min_profit_rate' in pair 1 of strategy 'arb' must be > 0 and < 1, "
        "got '1'");
  CHECK(strategies_error(arb_with("min_profit_rate: 0.001", "min_profit_rate: 0")) ==
        "strategies.yaml:8:26: 'min_profit_rate' in pair 1 of strategy 'arb' must be > 0 and < 1, "
        "got '0'");
  const auto cfg = load_strategies_from_string(
      arb_with("min_profit_rate: 0.001", "min_profit_rate: 0.12345678"), "strategies.yaml");
  CHECK(arb_params(cfg).pairs[0].min_profit_rate.raw() == 123'456'780);
}

TEST_CASE("negative position and out-of-range retry are rejected") {
  CHECK(
      strategies_error(arb_with("max_position: 10000", "max_position: -10000")) ==
      "strategies.yaml:9:23: 'max_position' in pair 1 of strategy 'arb' must be > 0, got '-10000'");
  CHECK(strategies_error(arb_with("retry: 3", "retry: 11")) ==
        "strategies.yaml:10:58: 'retry' in execution of strategy 'arb' must be >= 0 and <= 10, got "
        "'11'");
}

TEST_CASE("unknown strategy type, execution mode and keys") {
  CHECK(strategies_error(arb_with("type: arbitrage", "type: scalping")) ==
        "strategies.yaml:3:11: 'type' in strategy 'arb' must be arbitrage, market_making or "
        "trend_following, got 'scalping'");
  CHECK(
      strategies_error(arb_with("mode: aggressive", "mode: yolo")) ==
      "strategies.yaml:10:23: 'mode' in execution of strategy 'arb' must be aggressive, passive or "
      "hybrid, got 'yolo'");
  CHECK(strategies_error(arb_with("        max_position: 10000\n",
                                  "        max_position: 10000\n        max_slippage: 5\n")) ==
        "strategies.yaml:10:9: unknown key 'max_slippage' in pair 1 of strategy 'arb'");
  CHECK(strategies_error(
            arb_with("    enabled: true\n", "    enabled: true\n    instruments: []\n")) ==
        "strategies.yaml:5:5: unknown key 'instruments' in strategy 'arb'");
}

TEST_CASE("a pair needs two distinct exchanges, each with an account") {
  CHECK(strategies_error(arb_with("exchanges: [binance, okx]", "exchanges: [binance]")) ==
        "strategies.yaml:7:20: 'exchanges' in pair 1 of strategy 'arb' must list at least 2 "
        "exchanges");
  CHECK(strategies_error(arb_with("exchanges: [binance, okx]", "exchanges: [binance, binance]")) ==
        "strategies.yaml:7:30: 'exchanges' in pair 1 of strategy 'arb' lists 'binance' twice");
  CHECK(strategies_error(arb_with("exchanges: [binance, okx]", "exchanges: [binance, kraken]")) ==
        "strategies.yaml:7:30: 'exchanges' in pair 1 of strategy 'arb' names unknown exchange "
        "'kraken' "
        "(known: binance, bybit, okx, upbit)");
  CHECK(strategies_error(
            arb_with("accounts: {binance: arb, okx: okx_main}", "accounts: {binance: arb}")) ==
        "strategies.yaml:7:30: pair 'BTC/USDT' of strategy 'arb' trades on okx, but 'accounts' in "
        "strategy 'arb' has no account for okx");
}

TEST_CASE("a symbol listed twice is a duplicate pair") {
  CHECK(
      strategies_error(arb_with("    execution:",
                                "      - {symbol: BTC/USDT, exchanges: [okx, binance], "
                                "min_profit_rate: 0.002, max_position: 1}\n    execution:")) ==
      "strategies.yaml:10:9: pair 2 of strategy 'arb' repeats symbol 'BTC/USDT' (first in pair 1)");
}

TEST_CASE("a pair given as legs: a spot symbol against its perpetual on one exchange") {
  const auto cfg = load_strategies_from_string(
      arb_with("    execution:",
               "      - legs: [binance:ETH/USDT, binance:ETH/USDT:USDT]\n"
               "        min_profit_rate: 0.0005\n        max_position: 2000\n    execution:"),
      "strategies.yaml");
  const ArbitrageParams& p = arb_params(cfg);
  REQUIRE(p.pairs.size() == 2);
  // The symbol form lists one leg per exchange.
  REQUIRE(p.pairs[0].legs.size() == 2);
  CHECK(p.pairs[0].legs[1].exchange == ExchangeId::kOkx);
  CHECK(p.pairs[0].legs[1].market == Market::kSpot);
  const ArbitragePair& basis = p.pairs[1];
  REQUIRE(basis.legs.size() == 2);
  CHECK(basis.legs[0].exchange == ExchangeId::kBinance);
  CHECK(basis.legs[0].symbol.to_string() == "ETH/USDT");
  CHECK(basis.legs[0].market == Market::kSpot);
  CHECK(basis.legs[1].symbol.to_string() == "ETH/USDT:USDT");
  CHECK(basis.legs[1].market == Market::kUsdm);
  CHECK(basis.exchanges == std::vector<ExchangeId>{ExchangeId::kBinance});
  CHECK(basis.min_profit_rate == Decimal::parse("0.0005").value());
  CHECK(basis.max_position == Decimal::parse("2000").value());
}

TEST_CASE("legs: each EXCHANGE:SYMBOL, at least two, not beside symbol/exchanges") {
  const auto with_legs = [](std::string_view legs) {
    return strategies_error(arb_with("    execution:", "      - legs: " + std::string(legs) +
                                                         "\n        min_profit_rate: 0.001\n"
                                                         "        max_position: 1\n    execution:"));
  };
  CHECK(with_legs("[binance:BTC/USDT]") ==
        "strategies.yaml:10:15: 'legs' in pair 2 of strategy 'arb' must list at least 2 legs");
  CHECK(with_legs("[kraken:BTC/USDT, binance:BTC/USDT:USDT]") ==
        "strategies.yaml:10:16: 'legs' in pair 2 of strategy 'arb': 'kraken:BTC/USDT' is not "
        "EXCHANGE:SYMBOL with a known exchange (known: binance, bybit, okx, upbit)");
  CHECK(with_legs("[binance:BTC/USDT, binance:BTC/USDT]") ==
        "strategies.yaml:10:34: 'legs' in pair 2 of strategy 'arb' lists 'binance:BTC/USDT' twice");
  CHECK(with_legs("[binance:BTCUSDT, binance:BTC/USDT:USDT]").find(
            "'binance:BTCUSDT' is not EXCHANGE:SYMBOL") != std::string::npos);
  CHECK(with_legs("[binance:BTC/USDT, bybit:BTC/USDT:USDT]") ==
        "strategies.yaml:10:34: leg 'bybit:BTC/USDT:USDT' of strategy 'arb' trades on bybit, but "
        "'accounts' in strategy 'arb' has no account for bybit");
  CHECK(strategies_error(arb_with("        exchanges: [binance, okx]\n",
                                  "        exchanges: [binance, okx]\n"
                                  "        legs: [binance:BTC/USDT, okx:BTC/USDT]\n"))
            .find("'legs' in pair 1 of strategy 'arb' replaces 'symbol' and 'exchanges'") !=
        std::string::npos);
}

TEST_CASE("pairs must be a non-empty list of mappings") {
  CHECK(strategies_error(arb_with("    pairs:\n", "    pairs: []\n    old_pairs:\n")) ==
        "strategies.yaml:6:5: unknown key 'old_pairs' in strategy 'arb'\n"
        "strategies.yaml:5:12: 'pairs' in strategy 'arb' must not be empty");
}

TEST_CASE("a strategy name repeated is a duplicate YAML key") {
  const std::string yaml = std::string(kStrategies) + "  arb:\n    type: arbitrage\n";
  CHECK(strategies_error(yaml) ==
        "strategies.yaml:12:3: duplicate key 'arb' in strategies (first at line 2)");
}

TEST_CASE("market making: exact values and per-instrument checks") {
  const auto cfg = load_strategies_from_string(kMarketMaking, "strategies.yaml");
  const auto& p = std::get<MarketMakingParams>(cfg.strategies.at(0).params);
  REQUIRE(p.instruments.size() == 1);
  CHECK(p.instruments[0].quote_size == Decimal::parse("0.1").value());
  CHECK(p.instruments[0].refresh_rate == std::chrono::milliseconds(1000));
  CHECK(p.risk_limits.auto_stop_loss == Decimal::parse("0.02").value());

  const std::string mm(kMarketMaking);
  CHECK(strategies_error(replace_once(mm, "max_inventory: 1.0", "max_inventory: 0.05")) ==
        "strategies.yaml:11:24: 'max_inventory' in instrument 1 of strategy 'mm' is 0.05, below "
        "quote_size 0.1");
  CHECK(strategies_error(replace_once(mm, "spread_bps: 10", "spread_bps: 0")) ==
        "strategies.yaml:9:21: 'spread_bps' in instrument 1 of strategy 'mm' must be > 0 and <= "
        "10000, got '0'");
  CHECK(strategies_error(replace_once(mm, "auto_stop_loss: 0.02", "auto_stop_loss: 2")) ==
        "strategies.yaml:13:84: 'auto_stop_loss' in risk_limits of strategy 'mm' must be > 0 and < "
        "1, got '2'");
  CHECK(strategies_error(replace_once(mm, "refresh_rate: 1s", "refresh_rate: 1 s")) ==
        "strategies.yaml:12:23: 'refresh_rate' in instrument 1 of strategy 'mm' must be a positive "
        "duration such as 500ms, 1s, 2m or 1h, got '1 s'");
  CHECK(strategies_error(
            replace_once(mm, "    risk_limits:",
                         "      - {symbol: BTC/USDT, exchange: binance, account: binance_mm, "
                         "spread_bps: 20, quote_size: 0.2, max_inventory: 2, "
                         "refresh_rate: 2s}\n    risk_limits:")) ==
        "strategies.yaml:13:9: instrument 2 of strategy 'mm' repeats BTC/USDT on binance with "
        "account "
        "'binance_mm' (first in instrument 1)");
}

TEST_CASE("market making: the optional quoting keys, their defaults and their errors") {
  const auto defaults = load_strategies_from_string(kMarketMaking, "strategies.yaml");
  const auto& d = std::get<MarketMakingParams>(defaults.strategies.at(0).params).instruments.at(0);
  CHECK(d.levels == 1);
  CHECK(d.level_step_bps == Decimal::parse("5").value());
  CHECK(d.requote_bps == Decimal::parse("2.5").value());
  CHECK(d.skew_bps.is_zero());
  CHECK_FALSE(d.micro_price);
  CHECK(d.stale_after.count() == 0);
  CHECK(d.max_actions_per_second == 0);

  const std::string mm(kMarketMaking);
  const auto cfg = load_strategies_from_string(
      replace_once(mm, "refresh_rate: 1s",
                   "refresh_rate: 1s\n        levels: 3\n        level_step_bps: 2.5\n"
                   "        fair: micro\n        skew_bps: 4\n        requote_bps: 1\n"
                   "        vol_multiplier: 1.5\n        vol_interval: 500ms\n"
                   "        vol_samples: 30\n        shock_move: 0.004\n"
                   "        shock_window: 2s\n        shock_pause: 10s\n        stale_after: 3s\n"
                   "        max_actions_per_second: 8"),
      "strategies.yaml");
  const auto& q = std::get<MarketMakingParams>(cfg.strategies.at(0).params).instruments.at(0);
  CHECK(q.levels == 3);
  CHECK(q.level_step_bps == Decimal::parse("2.5").value());
  CHECK(q.micro_price);
  CHECK(q.skew_bps == Decimal::parse("4").value());
  CHECK(q.requote_bps == Decimal::parse("1").value());
  CHECK(q.vol_multiplier == Decimal::parse("1.5").value());
  CHECK(q.vol_interval.count() == 500);
  CHECK(q.vol_samples == 30);
  CHECK(q.shock_move == Decimal::parse("0.004").value());
  CHECK(q.shock_window.count() == 2000);
  CHECK(q.shock_pause.count() == 10000);
  CHECK(q.stale_after.count() == 3000);
  CHECK(q.max_actions_per_second == 8);

  CHECK(strategies_error(replace_once(mm, "refresh_rate: 1s", "refresh_rate: 1s\n        fair: last")) ==
        "strategies.yaml:13:15: 'fair' in instrument 1 of strategy 'mm' must be mid or micro, got "
        "'last'");
  CHECK(strategies_error(replace_once(mm, "refresh_rate: 1s", "refresh_rate: 1s\n        levels: 0")) ==
        "strategies.yaml:13:17: 'levels' in instrument 1 of strategy 'mm' must be >= 1 and <= 20, "
        "got '0'");
  CHECK(strategies_error(replace_once(mm, "refresh_rate: 1s",
                                      "refresh_rate: 1s\n        shock_move: 1.5")) ==
        "strategies.yaml:13:21: 'shock_move' in instrument 1 of strategy 'mm' must be > 0 and < 1, "
        "got '1.5'");
  CHECK(strategies_error(replace_once(mm, "refresh_rate: 1s", "refresh_rate: 1s\n        skew: 4")) ==
        "strategies.yaml:13:9: unknown key 'skew' in instrument 1 of strategy 'mm'");
}

TEST_CASE("schedules: UTC windows with days; in_schedule at their edges; errors named") {
  const std::string mm(kMarketMaking);
  const auto cfg = load_strategies_from_string(
      replace_once(mm, "    enabled: true\n",
                   "    enabled: true\n    schedule:\n      - {days: [mon, tue, wed, thu, fri], from: \"08:00\", to: \"17:30\"}\n"
                   "      - {from: \"22:00\", to: \"24:00\"}\n"),
      "strategies.yaml");
  const auto& w = cfg.strategies.at(0).schedule;
  REQUIRE(w.size() == 2);
  CHECK(w[0] == ScheduleWindow{0x1f, 480, 1050});
  CHECK(w[1] == ScheduleWindow{0x7f, 1320, 1440});
  constexpr std::int64_t kMin = 60'000'000'000;
  const std::int64_t thu = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC, a Thursday
  CHECK_FALSE(in_schedule(w, thu + 479 * kMin));
  CHECK(in_schedule(w, thu + 480 * kMin));
  CHECK(in_schedule(w, thu + 1049 * kMin));
  CHECK_FALSE(in_schedule(w, thu + 1050 * kMin));
  CHECK(in_schedule(w, thu + 1439 * kMin));
  const std::int64_t sat = thu + 2 * 1440 * kMin;
  CHECK_FALSE(in_schedule(w, sat + 600 * kMin));  // weekdays only
  CHECK(in_schedule(w, sat + 1380 * kMin));        // every day
  CHECK(in_schedule({}, sat));                     // no schedule: always

  CHECK(strategies_error(replace_once(mm, "    enabled: true\n",
                                      "    enabled: true\n    schedule:\n      - {from: \"9:00\", to: \"17:00\"}\n")) ==
        "strategies.yaml:6:16: 'from' in schedule window 1 of strategy 'mm' must be a UTC time HH:MM, got '9:00'");
  CHECK(strategies_error(replace_once(mm, "    enabled: true\n",
                                      "    enabled: true\n    schedule:\n      - {from: \"17:00\", to: \"09:00\"}\n")) ==
        "strategies.yaml:6:29: 'to' in schedule window 1 of strategy 'mm' must be after from (17:00); a window across midnight is two windows");
  CHECK(strategies_error(replace_once(mm, "    enabled: true\n",
                                      "    enabled: true\n    schedule:\n      - {days: [monday], from: \"09:00\", to: \"17:00\"}\n")) ==
        "strategies.yaml:6:17: 'days' in schedule window 1 of strategy 'mm' must list mon, tue, wed, thu, fri, sat, sun; got 'monday'");
}

TEST_CASE("quoting: two strategies may not quote one instrument with one account") {
  std::string two(kMarketMaking);
  two += "  mm2:\n    type: market_making\n    enabled: false\n    instruments:\n"
         "      - {symbol: ETH/USDT, exchange: binance, account: binance_mm, spread_bps: 10, quote_size: 1, max_inventory: 2, refresh_rate: 1s}\n"
         "      - {symbol: BTC/USDT, exchange: binance, account: binance_mm, spread_bps: 10, quote_size: 0.1, max_inventory: 1, refresh_rate: 1s}\n"
         "    risk_limits: {max_daily_loss: 100, max_position_value: 1000, auto_stop_loss: 0.02}\n";
  CHECK(strategies_error(two) ==
        "strategies.yaml:19:9: instrument 2 of strategy 'mm2' quotes BTC/USDT on binance with account "
        "'binance_mm', which strategy 'mm' quotes (instrument 1): one quoting strategy per account and instrument");
}

TEST_CASE("trend following: periods, sizes and leverage") {
  const auto cfg = load_strategies_from_string(kTrend, "strategies.yaml");
  const auto& p = std::get<TrendFollowingParams>(cfg.strategies.at(0).params);
  REQUIRE(p.instruments.size() == 1);
  CHECK(p.instruments[0].timeframe == std::chrono::milliseconds(60'000));
  CHECK(p.instruments[0].market == Market::kUsdm);
  CHECK(p.instruments[0].leverage == 3);

  const std::string trend(kTrend);
  CHECK(strategies_error(replace_once(trend, "slow_period: 50", "slow_period: 20")) ==
        "strategies.yaml:11:22: 'slow_period' in instrument 1 of strategy 'trend' must be greater "
        "than "
        "fast_period 20, got '20'");
  CHECK(strategies_error(replace_once(trend, "symbol: BTC/USDT:USDT", "symbol: BTC/USDT")) ==
        "strategies.yaml:14:19: 'leverage' in instrument 1 of strategy 'trend' must be 1 for spot "
        "symbol 'BTC/USDT', got '3'");
  CHECK(strategies_error(replace_once(trend, "leverage: 3", "leverage: 126")) ==
        "strategies.yaml:14:19: 'leverage' in instrument 1 of strategy 'trend' must be >= 1 and <= "
        "125, got '126'");
  CHECK(strategies_error(replace_once(trend, "        exchange: binance\n", "")) ==
        "strategies.yaml:6:9: missing required key 'exchange' in instrument 1 of strategy 'trend'");
}

}  // namespace
}  // namespace oms::configs
