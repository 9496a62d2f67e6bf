// The example configs shipped in configs/ load cleanly and mean what they say.
#include <doctest/doctest.h>

#include <variant>

#include "oms/configs/config.hpp"
#include "testkit/paths.hpp"

namespace oms::configs {
namespace {

Decimal dec(std::string_view s) {
  return Decimal::parse(s).value();
}

const Config& examples() {
  static const Config cfg = load_config_dir(testkit::source_dir() / "configs");
  return cfg;
}

TEST_CASE("example exchanges.yaml lists four venues with their markets, limits and fees") {
  const ExchangesConfig& ex = examples().exchanges;
  const ExchangeConfig* binance = ex.find(ExchangeId::kBinance);
  REQUIRE(binance != nullptr);
  CHECK(binance->enabled);
  CHECK_FALSE(binance->testnet);
  CHECK(binance->recv_window == std::chrono::milliseconds(5000));
  REQUIRE(binance->markets[static_cast<std::size_t>(Market::kSpot)].has_value());
  const MarketConfig& spot = *binance->markets[static_cast<std::size_t>(Market::kSpot)];
  CHECK(spot.rest_url == "https://api.binance.com");
  CHECK(spot.ws_url == "wss://stream.binance.com:9443");
  CHECK(spot.rate_limits.weight_per_minute == 6000);
  CHECK(spot.rate_limits.orders_per_10s == 100);
  CHECK(spot.rate_limits.orders_per_day == 200000);
  CHECK(spot.fees.maker_bps == dec("10"));
  const MarketConfig& usdm = *binance->markets[static_cast<std::size_t>(Market::kUsdm)];
  CHECK(usdm.rate_limits.weight_per_minute == 2400);
  CHECK_FALSE(usdm.rate_limits.orders_per_day.has_value());
  CHECK(usdm.fees.taker_bps == dec("5"));

  const ExchangeConfig* bybit = ex.find(ExchangeId::kBybit);
  REQUIRE(bybit != nullptr);
  CHECK(bybit->markets[static_cast<std::size_t>(Market::kUsdm)]->fees.taker_bps == dec("5.5"));

  CHECK(ex.trades(ExchangeId::kBinance, Market::kSpot));
  CHECK(ex.trades(ExchangeId::kBinance, Market::kUsdm));
  CHECK_FALSE(ex.trades(ExchangeId::kBinance, Market::kCoinm));
  CHECK(ex.trades(ExchangeId::kOkx, Market::kSpot));
  CHECK_FALSE(ex.trades(ExchangeId::kOkx, Market::kUsdm));  // listed but disabled
  CHECK(ex.trades(ExchangeId::kUpbit, Market::kSpot));
  CHECK_FALSE(ex.trades(ExchangeId::kUpbit, Market::kUsdm));
  CHECK_FALSE(ex.find(ExchangeId::kUpbit)->recv_window.has_value());
}

TEST_CASE("example accounts.yaml interns ten accounts densely in file order") {
  const AccountsConfig& acc = examples().accounts;
  const std::vector<std::string> expected = {
      "binance_main", "binance_spot_arb", "binance_futures_trend",
      "binance_mm",   "binance_basis",    "bybit_main",
      "bybit_arb",    "okx_main",         "okx_arb",
      "upbit_main"};
  REQUIRE(acc.accounts.size() == expected.size());
  REQUIRE(examples().account_ids().size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(acc.accounts[i].name == expected[i]);
    CHECK(acc.accounts[i].id == AccountId(static_cast<std::uint16_t>(i)));
    CHECK(examples().account_ids().find(expected[i]) == AccountId(static_cast<std::uint16_t>(i)));
    CHECK(examples().account_ids().name(AccountId(static_cast<std::uint16_t>(i))) == expected[i]);
  }
}

TEST_CASE("example accounts.yaml: main and sub-accounts with their limits") {
  const AccountsConfig& acc = examples().accounts;
  const Account& main = *acc.find("binance_main");
  CHECK(main.type == AccountType::kMain);
  CHECK_FALSE(main.parent.valid());
  CHECK(main.exchange == ExchangeId::kBinance);
  CHECK(main.spot_enabled);
  CHECK(main.futures_enabled);
  CHECK(main.strategy.empty());

  const Account& arb = *acc.find("binance_spot_arb");
  CHECK(arb.type == AccountType::kSub);
  CHECK(arb.parent == main.id);
  CHECK(arb.api_key_vault_path == "binance_sub_spot_arb");
  CHECK(arb.trades(Market::kSpot));
  CHECK_FALSE(arb.trades(Market::kUsdm));
  CHECK(arb.strategy == "arbitrage");
  CHECK(arb.max_balance_usdt == dec("10000"));
  CHECK_FALSE(arb.max_leverage.has_value());

  const Account& trend = *acc.find("binance_futures_trend");
  CHECK(trend.max_leverage == 10);
  CHECK(trend.max_position_usdt == dec("50000"));
  CHECK_FALSE(trend.spot_enabled);

  CHECK(acc.find("bybit_arb")->parent == acc.find("bybit_main")->id);
  CHECK(acc.find("okx_arb")->parent == acc.find("okx_main")->id);
  CHECK(acc.find("upbit_main")->exchange == ExchangeId::kUpbit);
  CHECK(acc.find("nobody") == nullptr);
}

TEST_CASE("example account_routing: default, routes, balance rules and a daily rebalance") {
  const AccountsConfig& acc = examples().accounts;
  const AccountRouting& r = acc.routing;
  CHECK(r.default_account == acc.find("binance_main")->id);
  REQUIRE(r.strategies.size() == 4);
  CHECK(r.strategies[0].strategy == "arbitrage");
  CHECK(r.strategies[0].accounts == std::vector<AccountId>{acc.find("binance_spot_arb")->id});
  CHECK(r.strategies[3].strategy == "market_making");
  CHECK(r.strategies[3].accounts == std::vector<AccountId>{acc.find("binance_mm")->id});
  REQUIRE(r.instruments.size() == 1);
  CHECK(r.instruments[0].instrument == "binance:usdm:BTC/USDT:USDT");
  CHECK(r.instruments[0].accounts == std::vector<AccountId>{acc.find("binance_basis")->id});
  REQUIRE(r.balance_rules.has_value());
  CHECK(r.balance_rules->min_main_balance == dec("100000"));
  CHECK(r.balance_rules->max_sub_balance == dec("50000"));
  REQUIRE(r.rebalance.has_value());
  CHECK(r.rebalance->enabled);
  CHECK(r.rebalance->schedule == RebalanceSchedule::kDaily);
  CHECK(r.rebalance->time_utc == std::chrono::minutes(0));
}

TEST_CASE("example strategies.yaml: four strategies, ids in file order, exact parameters") {
  const StrategiesConfig& st = examples().strategies;
  REQUIRE(st.strategies.size() == 4);
  const std::vector<std::string> names = {"arbitrage", "perp_arbitrage", "market_making",
                                          "trend_following"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(st.strategies[i].name == names[i]);
    CHECK(st.strategies[i].id == StrategyId(static_cast<std::uint16_t>(i)));
    CHECK(examples().strategy_ids().find(names[i]) == StrategyId(static_cast<std::uint16_t>(i)));
  }

  const Strategy& arb = *st.find("arbitrage");
  CHECK(arb.type == StrategyType::kArbitrage);
  CHECK(arb.enabled);
  const auto& ap = std::get<ArbitrageParams>(arb.params);
  REQUIRE(ap.pairs.size() == 2);
  CHECK(ap.pairs[0].symbol.to_string() == "BTC/USDT");
  CHECK(ap.pairs[0].market == Market::kSpot);
  CHECK(ap.pairs[0].exchanges ==
        std::vector<ExchangeId>{ExchangeId::kBinance, ExchangeId::kUpbit, ExchangeId::kBybit});
  CHECK(ap.pairs[0].min_profit_rate == dec("0.001"));
  CHECK(ap.pairs[0].min_profit_rate.raw() == 1'000'000);  // exactly 0.001, not a binary float
  CHECK(ap.pairs[0].max_position == dec("10000"));
  CHECK(ap.pairs[1].min_profit_rate == dec("0.0015"));
  CHECK(ap.execution.mode == ExecutionMode::kAggressive);
  CHECK(ap.execution.timeout == std::chrono::milliseconds(500));
  CHECK(ap.execution.retry == 3);
  CHECK(ap.accounts[static_cast<std::size_t>(ExchangeId::kUpbit)] == "upbit_main");
  CHECK(ap.accounts[static_cast<std::size_t>(ExchangeId::kOkx)] == "okx_arb");

  const auto& perp = std::get<ArbitrageParams>(st.find("perp_arbitrage")->params);
  REQUIRE(perp.pairs.size() == 1);
  CHECK(perp.pairs[0].market == Market::kUsdm);
  CHECK(perp.execution.timeout == std::chrono::milliseconds(2000));

  const Strategy& mm = *st.find("market_making");
  CHECK(mm.type == StrategyType::kMarketMaking);
  const auto& mp = std::get<MarketMakingParams>(mm.params);
  REQUIRE(mp.instruments.size() == 2);
  CHECK(mp.instruments[0].symbol.to_string() == "BTC/USDT");
  CHECK(mp.instruments[0].exchange == ExchangeId::kBinance);
  CHECK(mp.instruments[0].account == "binance_mm");
  CHECK(mp.instruments[0].spread_bps == dec("10"));
  CHECK(mp.instruments[0].quote_size == dec("0.05"));
  CHECK(mp.instruments[0].max_inventory == dec("1"));
  CHECK(mp.instruments[0].refresh_rate == std::chrono::milliseconds(1000));
  CHECK(mp.instruments[1].refresh_rate == std::chrono::milliseconds(2000));
  CHECK(mp.risk_limits.max_daily_loss == dec("1000"));
  CHECK(mp.risk_limits.max_position_value == dec("50000"));
  CHECK(mp.risk_limits.auto_stop_loss == dec("0.02"));

  const Strategy& trend = *st.find("trend_following");
  CHECK_FALSE(trend.enabled);
  const auto& tp = std::get<TrendFollowingParams>(trend.params);
  REQUIRE(tp.instruments.size() == 1);
  CHECK(tp.instruments[0].market == Market::kUsdm);
  CHECK(tp.instruments[0].timeframe == std::chrono::milliseconds(60'000));
  CHECK(tp.instruments[0].fast_period == 20);
  CHECK(tp.instruments[0].slow_period == 50);
  CHECK(tp.instruments[0].order_size == dec("0.01"));
  CHECK(tp.instruments[0].max_position == dec("0.05"));
  CHECK(tp.instruments[0].leverage == 3);
}

TEST_CASE("example risk.yaml: the limit hierarchy and the kill switch") {
  const RiskConfig& r = examples().risk;
  CHECK(r.global.max_order_notional == dec("250000"));
  CHECK(r.global.max_leverage == 10);
  CHECK(r.global.price_band_bps == dec("500"));
  CHECK(r.global.max_consecutive_losses == 20);
  CHECK_FALSE(r.global.max_order_qty.has_value());
  CHECK(r.trading_day == TradingDaySpec{"UTC", 0});
  REQUIRE(r.accounts.size() == 4);
  CHECK(r.accounts[0].name == "binance_spot_arb");
  CHECK(r.accounts[0].limits.max_order_notional == dec("10000"));
  CHECK_FALSE(r.accounts[0].limits.max_leverage.has_value());
  REQUIRE(r.strategies.size() == 2);
  CHECK(r.strategies[1].name == "market_making");
  CHECK(r.strategies[1].limits.max_open_orders == 100);
  REQUIRE(r.instruments.size() == 3);
  CHECK(r.instruments[0].exchange == ExchangeId::kBinance);
  CHECK(r.instruments[0].symbol.to_string() == "BTC/USDT");
  CHECK(r.instruments[0].account == "binance_mm");
  CHECK(r.instruments[0].limits.max_order_qty == dec("0.5"));
  CHECK(r.instruments[1].market == Market::kUsdm);
  CHECK(r.instruments[1].limits.max_leverage == 3);
  CHECK(r.instruments[2].account.empty());
  CHECK(r.instruments[2].limits.price_band_bps == dec("200"));

  const KillSwitchConfig& k = r.kill_switch;
  CHECK(k.enabled);
  CHECK(k.max_daily_loss == dec("5000"));
  CHECK(k.max_consecutive_losses == 10);
  CHECK(k.cancel_open_orders);
  CHECK_FALSE(k.flatten_positions);
  REQUIRE(k.emergency_contacts.size() == 2);
  CHECK(k.emergency_contacts[0].kind == ContactKind::kSlack);
  CHECK(k.emergency_contacts[0].target == "#trading-alerts");
  CHECK(k.emergency_contacts[1].kind == ContactKind::kEmail);
  CHECK(k.emergency_contacts[1].target == "trader@example.com");

  // How they are reached: the secrets named, never written.
  REQUIRE(r.alerts.has_value());
  const AlertsConfig& a = *r.alerts;
  CHECK(a.dedup_window == std::chrono::minutes(5));
  CHECK(a.max_per_minute == 20);
  CHECK(a.queue == 256);
  CHECK(a.ca_file.empty());
  REQUIRE(a.slack.has_value());
  CHECK(a.slack->webhook_url.str() == "env:OMS_SLACK_WEBHOOK_URL");
  CHECK_FALSE(a.telegram.has_value());
  REQUIRE(a.smtp.has_value());
  CHECK(a.smtp->host == "smtp.example.com");
  CHECK(a.smtp->port == 587);
  CHECK(a.smtp->user == "oms-alerts");
  CHECK(a.smtp->password->str() == "env:OMS_SMTP_PASSWORD");
  CHECK(a.smtp->from == "oms-alerts@example.com");
}

}  // namespace
}  // namespace oms::configs
