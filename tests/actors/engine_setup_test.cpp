// EngineSetup (setup/engine_setup.hpp): what omsd builds its engine from, recorded as JSON in
// each run's start record -- it must come back exactly, and build the same engine twice.
#include "oms/setup/engine_setup.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace oms;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

setup::EngineSetup sample() {
  setup::EngineSetup s;
  s.config = configs::read_config_texts(OMS_SOURCE_DIR "/configs");
  Instrument spot;
  spot.exchange = ExchangeId::kBinance;
  spot.market = Market::kSpot;
  spot.venue_symbol = "BTCUSDT";
  spot.symbol = *parse_canonical("BTC/USDT");
  spot.rules.tick_size = d("0.01");
  spot.rules.step_size = d("0.00001");
  spot.rules.min_notional = d("5");
  spot.rules.bid_band = {d("5"), d("0.2")};
  spot.rules.max_num_orders = 200;
  spot.rules.min_notional_applies_to_market = false;
  Instrument perp = spot;
  perp.market = Market::kUsdm;
  perp.symbol = *parse_canonical("BTC/USDT:USDT");
  perp.rules = {};
  perp.rules.tick_size = d("0.1");
  perp.rules.step_size = d("0.001");
  perp.rules.max_notional_applies_to_market = true;
  perp.trading = false;
  s.instruments = {spot, perp};
  s.accounts = {{"binance_main", ExchangeId::kBinance, {Market::kSpot, Market::kUsdm}},
                {"binance_basis", ExchangeId::kBinance, {Market::kUsdm}}};
  s.desk = 3;
  s.ack_timeout = std::chrono::milliseconds(750);
  s.snapshot_every = 250;
  s.snapshot_interval = std::chrono::minutes(7);
  s.closed_order_retention = std::chrono::milliseconds(9000);
  return s;
}

}  // namespace

TEST_CASE("engine setup: the JSON comes back exactly, rules, accounts and settings included") {
  const auto s = sample();
  const std::string json = setup::encode_setup(s);
  auto back = setup::decode_setup(json);
  REQUIRE_MESSAGE(back.ok(), back.error());
  CHECK(back->config.accounts == s.config.accounts);
  CHECK(back->config.risk == s.config.risk);
  CHECK(back->config.strategies == s.config.strategies);
  CHECK(back->config.exchanges == s.config.exchanges);
  REQUIRE(back->instruments.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& a = back->instruments[i];
    const auto& b = s.instruments[i];
    CHECK(a.market == b.market);
    CHECK(a.venue_symbol == b.venue_symbol);
    CHECK(a.symbol == b.symbol);
    CHECK(a.trading == b.trading);
    CHECK(a.rules.tick_size == b.rules.tick_size);
    CHECK(a.rules.step_size == b.rules.step_size);
    CHECK(a.rules.min_notional == b.rules.min_notional);
    CHECK(a.rules.bid_band.up == b.rules.bid_band.up);
    CHECK(a.rules.bid_band.down == b.rules.bid_band.down);
    CHECK(a.rules.max_num_orders == b.rules.max_num_orders);
    CHECK(a.rules.min_notional_applies_to_market == b.rules.min_notional_applies_to_market);
    CHECK(a.rules.max_notional_applies_to_market == b.rules.max_notional_applies_to_market);
  }
  CHECK(back->accounts == s.accounts);
  CHECK(back->desk == 3);
  CHECK(back->ack_timeout == s.ack_timeout);
  CHECK(back->snapshot_every == 250);
  CHECK(back->snapshot_interval == s.snapshot_interval);
  CHECK(back->closed_order_retention == s.closed_order_retention);
  CHECK(setup::encode_setup(*back) == json);  // and again the same text
}

TEST_CASE("engine setup: a damaged setup is refused, naming the field") {
  CHECK(setup::decode_setup("[]").error() == "setup: expected an object");
  CHECK(setup::decode_setup(R"({"version":2})").error() == "setup.version 2: this build reads 1");
  auto json = nlohmann::json::parse(setup::encode_setup(sample()));
  json["instruments"][1]["rules"]["tick_size"] = "0.1x";
  const auto bad = setup::decode_setup(json.dump());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("setup.instruments[1].rules.tick_size: '0.1x'") == 0);
  json = nlohmann::json::parse(setup::encode_setup(sample()));
  json["accounts"][0].erase("name");
  CHECK(setup::decode_setup(json.dump()).error() == "setup.accounts[0].name: missing");
}

TEST_CASE("engine setup: built twice, the same engine -- ids, limits, books, pairs") {
  const auto a = setup::build_engine(sample());
  const auto b = setup::build_engine(setup::decode_setup(setup::encode_setup(sample())).value());
  // Accounts and strategies in config order, then the instruments in the setup's order.
  CHECK(a->directory.accounts.size() == b->directory.accounts.size());
  for (std::size_t i = 0; i < a->directory.accounts.size(); ++i) {
    const AccountId id(static_cast<AccountId::rep_type>(i));
    CHECK(a->directory.accounts.name(id) == b->directory.accounts.name(id));
  }
  CHECK(a->instruments[0].id == InstrumentId(0));
  CHECK(a->instruments[1].id == InstrumentId(1));
  CHECK(*a->directory.instruments.find("binance:usdm:BTC/USDT:USDT") == InstrumentId(1));
  CHECK(a->account_ids == b->account_ids);
  CHECK(a->account_ids[0] == *a->directory.accounts.find("binance_main"));
  CHECK(a->books.size() == 2);
  CHECK(a->books[1].sequencing == BookSequencing::kBinanceFutures);
  CHECK(a->notes == b->notes);
  // risk.yaml's limits placed alike.
  for (std::size_t i = 0; i < a->directory.accounts.size(); ++i) {
    for (const auto kind : {LimitKind::kOrderNotional, LimitKind::kGrossExposure, LimitKind::kLeverage}) {
      CHECK(a->risk->limits().get(LimitScope::kAccount, static_cast<std::uint32_t>(i), kind) ==
            b->risk->limits().get(LimitScope::kAccount, static_cast<std::uint32_t>(i), kind));
    }
  }
  const auto oa = a->engine_options();
  CHECK(oa.desk == 3);
  CHECK(oa.ack_timeout == std::chrono::milliseconds(750));
  CHECK(oa.setup == setup::encode_setup(sample()));
  const auto accounts = a->engine_accounts();
  REQUIRE(accounts.size() == 2);
  CHECK(accounts[0].name == "binance_main");
  CHECK(accounts[0].stream == "ACCOUNT_binance_binance_main");
  CHECK(accounts[1].session == nullptr);
}

TEST_CASE("engine setup: daemons sharing a desk -- another daemon's strategies are marked elsewhere, a strategy split between two daemons is refused") {
  // The example configs: market_making trades binance_mm only; arbitrage trades
  // binance_spot_arb, upbit_main, bybit_arb and okx_arb; perp_arbitrage binance_basis and
  // bybit_arb; trend_following binance_futures_trend.
  auto s = sample();
  s.other_accounts = {"binance_mm", "binance_spot_arb", "upbit_main", "bybit_arb", "okx_arb", "binance_basis"};
  const auto json = setup::encode_setup(s);
  const auto back = setup::decode_setup(json);
  REQUIRE_MESSAGE(back.ok(), back.error());
  CHECK(back->other_accounts == s.other_accounts);
  CHECK(setup::encode_setup(*back) == json);
  const auto b = setup::build_engine(s);
  const auto o = b->engine_options();
  const auto elsewhere = [&](const char* name) {
    const auto id = b->directory.strategies.find(name);
    REQUIRE(id.has_value());
    for (const auto& st : o.strategies) {
      if (st.id == *id) return st.elsewhere;
    }
    FAIL("no such strategy in the options: " << name);
    return false;
  };
  CHECK(elsewhere("market_making"));
  CHECK(elsewhere("arbitrage"));
  CHECK(elsewhere("perp_arbitrage"));
  CHECK_FALSE(elsewhere("trend_following"));
  // A setup that runs every account marks nothing elsewhere (and records no other accounts).
  const auto all = setup::build_engine(sample())->engine_options();
  for (const auto& st : all.strategies) CHECK_FALSE(st.elsewhere);
  CHECK(nlohmann::json::parse(setup::encode_setup(sample())).contains("other_accounts") == false);

  // arbitrage trades bybit_arb beside three accounts run here: one daemon must run them all.
  s.other_accounts = {"bybit_arb"};
  try {
    (void)setup::build_engine(s);
    FAIL("a strategy split between two daemons was built");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.starts_with("strategy 'arbitrage' trades binance_spot_arb, "), what);
    CHECK_MESSAGE(what.find(" (run here) and bybit_arb (left to another daemon by --accounts): a strategy's "
                            "accounts run on one daemon") != std::string::npos, what);
  }
  s.other_accounts = {"no_such_account"};
  try {
    (void)setup::build_engine(s);
    FAIL("an unknown other account was taken");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "setup.other_accounts: 'no_such_account' is not in accounts.yaml");
  }
}

TEST_CASE("engine setup: accounts.yaml's max_position_usdt and max_leverage apply where tighter than risk.yaml's") {
  const auto b = setup::build_engine(sample());
  const auto limit = [&](const char* account, LimitKind kind) {
    const auto id = b->directory.accounts.find(account);
    REQUIRE(id.has_value());
    return b->risk->limits().get(LimitScope::kAccount, static_cast<std::uint32_t>(id->index()), kind);
  };
  // binance_basis: accounts.yaml 30000 USDT and 3x; risk.yaml 60000 and 3x.
  CHECK(limit("binance_basis", LimitKind::kGrossExposure) == d("30000").raw());
  CHECK(limit("binance_basis", LimitKind::kLeverage) == d("3").raw());
  // binance_futures_trend: accounts.yaml 50000 and 10x; risk.yaml 50000 and 5x (tighter, kept).
  CHECK(limit("binance_futures_trend", LimitKind::kGrossExposure) == d("50000").raw());
  CHECK(limit("binance_futures_trend", LimitKind::kLeverage) == d("5").raw());
  // bybit_arb: accounts.yaml 3x; risk.yaml names no limit of its own.
  CHECK(limit("bybit_arb", LimitKind::kLeverage) == d("3").raw());
  CHECK(limit("bybit_arb", LimitKind::kGrossExposure) == actors::kNoLimit);
  // binance_mm: neither file bounds its gross exposure.
  CHECK(limit("binance_mm", LimitKind::kGrossExposure) == actors::kNoLimit);
}

TEST_CASE("engine setup: risk.yaml's trading_day gives the engine its days -- UTC midnight as shipped, Asia/Seoul 09:00 when set, recorded with the setup") {
  constexpr TimeNs kAug8 = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC
  constexpr TimeNs kHour = 3'600'000'000'000;
  const auto shipped = setup::build_engine(sample())->engine_options();
  REQUIRE(shipped.trading_day);
  CHECK(shipped.trading_day(kAug8 + kHour).start == kAug8);
  CHECK(shipped.trading_day(kAug8 + kHour).next == kAug8 + 24 * kHour);

  auto s = sample();
  const std::string line = "trading_day: {time_zone: UTC, start_hour: 0}";
  const auto at = s.config.risk.find(line);
  REQUIRE(at != std::string::npos);
  s.config.risk.replace(at, line.size(), "trading_day: {time_zone: Asia/Seoul, start_hour: 9}");
  // Built from the recorded setup (a replay's way): the same days.
  const auto seoul = setup::build_engine(setup::decode_setup(setup::encode_setup(s)).value())->engine_options();
  // 09:00 in Seoul is 00:00 UTC: 2024-08-07 23:00 UTC is still the day that began 08-07 00:00 UTC.
  CHECK(seoul.trading_day(kAug8 - kHour).start == kAug8 - 24 * kHour);
  CHECK(seoul.trading_day(kAug8 + 3 * kHour).start == kAug8);
  const auto utc22 = [&] {
    auto u = sample();
    u.config.risk.replace(u.config.risk.find(line), line.size(), "trading_day: {time_zone: UTC, start_hour: 22}");
    return setup::build_engine(u)->engine_options();
  }();
  CHECK(utc22.trading_day(kAug8 + 23 * kHour).start == kAug8 + 22 * kHour);
}
