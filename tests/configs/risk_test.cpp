// risk.yaml on its own: limit ranges, the hierarchy rule and the kill switch.
#include "oms/configs/risk.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

#include "fixtures.hpp"

namespace oms::configs {
namespace {

using test::error_of;
using test::kRisk;
using test::replace_once;

std::string risk_error(std::string_view yaml) {
  return error_of([&] { return load_risk_from_string(yaml, "risk.yaml"); });
}

// kRisk with `block` inserted before kill_switch (so from line 3).
std::string risk_with(std::string_view block) {
  return replace_once(std::string(kRisk), "kill_switch:\n", std::string(block) + "kill_switch:\n");
}

TEST_CASE("limits at every level load exactly") {
  const auto cfg =
      load_risk_from_string(risk_with("accounts:\n"
                                      "  arb: {max_order_notional: 50000, max_leverage: 3}\n"
                                      "strategies:\n"
                                      "  mm: {max_open_orders: 40, order_rate_per_second: 5}\n"
                                      "instruments:\n"
                                      "  - {exchange: binance, symbol: BTC/USDT, account: arb, "
                                      "max_order_qty: 0.00000001, max_position: 2}\n"),
                            "risk.yaml");
  CHECK(cfg.global.max_order_notional == Decimal::parse("100000").value());
  CHECK_FALSE(cfg.global.max_leverage.has_value());
  REQUIRE(cfg.accounts.size() == 1);
  CHECK(cfg.accounts[0].name == "arb");
  CHECK(cfg.accounts[0].limits.max_leverage == 3);
  REQUIRE(cfg.strategies.size() == 1);
  CHECK(cfg.strategies[0].limits.order_rate_per_second == 5);
  REQUIRE(cfg.instruments.size() == 1);
  CHECK(cfg.instruments[0].limits.max_order_qty->raw() == 10);
  CHECK(cfg.instruments[0].market == Market::kSpot);
  CHECK(cfg.kill_switch.max_daily_loss == Decimal::parse("5000").value());
  CHECK(cfg.kill_switch.emergency_contacts.empty());
}

TEST_CASE("a lower level may not loosen a limit of the level above") {
  CHECK(risk_error(risk_with("accounts:\n  arb:\n    max_order_notional: 150000\n")) ==
        "risk.yaml:5:25: 'max_order_notional' in accounts.arb is 150000, above 100000 in global");
  CHECK(risk_error(risk_with(
            "accounts:\n"
            "  arb: {max_leverage: 3}\n"
            "instruments:\n"
            "  - {exchange: binance, symbol: BTC/USDT:USDT, account: arb, max_leverage: 5}\n")) ==
        "risk.yaml:6:76: 'max_leverage' in instrument 1 is 5, above 3 in accounts.arb");
  CHECK(risk_error(risk_with("strategies:\n  arb: {max_order_notional: 100000.00000001}\n")) ==
        "risk.yaml:4:29: 'max_order_notional' in strategies.arb is 100000.00000001, above 100000 "
        "in global");
}

TEST_CASE("per-unit limits belong to instruments") {
  CHECK(
      risk_error(replace_once(std::string(kRisk), "global:\n", "global:\n  max_order_qty: 1\n")) ==
      "risk.yaml:2:3: 'max_order_qty' in global is a per-instrument limit (base units); set it "
      "under "
      "instruments");
}

TEST_CASE("limit values out of range") {
  CHECK(
      risk_error(replace_once(std::string(kRisk), "global:\n", "global:\n  price_band_bps: 0\n")) ==
      "risk.yaml:2:19: 'price_band_bps' in global must be > 0 and <= 10000, got '0'");
  CHECK(risk_error(risk_with("accounts:\n  arb: {max_leverage: 0}\n")) ==
        "risk.yaml:4:23: 'max_leverage' in accounts.arb must be >= 1 and <= 125, got '0'");
  CHECK(risk_error(
            replace_once(std::string(kRisk), "max_daily_loss: 5000", "max_daily_loss: -5000")) ==
        "risk.yaml:5:19: 'max_daily_loss' in kill_switch must be > 0, got '-5000'");
  CHECK(risk_error(replace_once(std::string(kRisk), "max_order_notional: 100000",
                                "max_order_notionl: 100000")) ==
        "risk.yaml:2:3: unknown key 'max_order_notionl' in global");
}

TEST_CASE("trading_day: a zone of the system's tzdata and a start hour; absent, UTC at 00:00") {
  CHECK(load_risk_from_string(kRisk, "risk.yaml").trading_day == TradingDaySpec{"UTC", 0});
  const RiskConfig seoul =
      load_risk_from_string(risk_with("trading_day: {time_zone: Asia/Seoul, start_hour: 9}\n"), "risk.yaml");
  CHECK(seoul.trading_day == TradingDaySpec{"Asia/Seoul", 9});
  CHECK(risk_error(risk_with("trading_day: {time_zone: Mars/Olympus, start_hour: 9}\n")) ==
        "risk.yaml:3:26: trading_day: time zone 'Mars/Olympus' is not in the system's tzdata "
        "(/usr/share/zoneinfo)");
  CHECK(risk_error(risk_with("trading_day: {time_zone: UTC, start_hour: 24}\n")) ==
        "risk.yaml:3:43: 'start_hour' in trading_day must be >= 0 and <= 23, got '24'");
  CHECK(risk_error(risk_with("trading_day: {time_zone: UTC}\n")) ==
        "risk.yaml:3:1: missing required key 'start_hour' in trading_day");
  CHECK(risk_error(risk_with("trading_day: {time_zone: UTC, start_hour: 0, hour: 1}\n")) ==
        "risk.yaml:3:46: unknown key 'hour' in trading_day");
}

namespace {
TimeNs utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  const std::int64_t days = date::sys_days(date::year(y) / date::month(m) / date::day(d)).time_since_epoch().count();
  return ((days * 24 + h) * 60 + min) * 60'000'000'000LL;
}
std::int32_t day_number(int y, unsigned m, unsigned d) {
  return static_cast<std::int32_t>(date::sys_days(date::year(y) / date::month(m) / date::day(d)).time_since_epoch().count());
}
}  // namespace

TEST_CASE("trading day calendar: UTC midnight, an hour in UTC, Seoul 09:00, and New York across both DST changes") {
  const TradingDayCalendar utc0;
  CHECK(utc0.day_of(utc(2024, 8, 8, 0)) == TradingDay{day_number(2024, 8, 8), utc(2024, 8, 8, 0), utc(2024, 8, 9, 0)});
  CHECK(utc0.day_of(utc(2024, 8, 8, 23, 59)).day == day_number(2024, 8, 8));
  CHECK(utc0.day_of(utc(1969, 12, 31, 12)).day == -1);

  const auto utc22 = TradingDayCalendar::make({"UTC", 22});
  REQUIRE(utc22);
  CHECK(utc22->day_of(utc(2024, 8, 8, 21, 59)) == TradingDay{day_number(2024, 8, 7), utc(2024, 8, 7, 22), utc(2024, 8, 8, 22)});
  CHECK(utc22->day_of(utc(2024, 8, 8, 22)).day == day_number(2024, 8, 8));

  // Seoul is UTC+9 all year: its 09:00 is 00:00 UTC.
  const auto seoul = TradingDayCalendar::make({"Asia/Seoul", 9});
  REQUIRE(seoul);
  CHECK(seoul->day_of(utc(2024, 8, 8, 0)) == TradingDay{day_number(2024, 8, 8), utc(2024, 8, 8, 0), utc(2024, 8, 9, 0)});
  CHECK(seoul->day_of(utc(2024, 8, 7, 23, 59)).day == day_number(2024, 8, 7));
  CHECK(seoul->describe() == "Asia/Seoul 09:00");

  // New York 17:00: 21:00 UTC in summer (EDT), 22:00 UTC in winter (EST). Clocks fall back on
  // Sunday 2024-11-03 at 02:00: the day that starts on Saturday 11-02 at 17:00 EDT ends on Sunday
  // at 17:00 EST, 25 hours later.
  const auto ny = TradingDayCalendar::make({"America/New_York", 17});
  REQUIRE(ny);
  CHECK(ny->day_of(utc(2024, 8, 8, 21)) == TradingDay{day_number(2024, 8, 8), utc(2024, 8, 8, 21), utc(2024, 8, 9, 21)});
  CHECK(ny->day_of(utc(2024, 8, 8, 20, 59)).day == day_number(2024, 8, 7));
  CHECK(ny->day_of(utc(2024, 11, 2, 22)) == TradingDay{day_number(2024, 11, 2), utc(2024, 11, 2, 21), utc(2024, 11, 3, 22)});
  CHECK(ny->day_of(utc(2024, 11, 3, 22)).day == day_number(2024, 11, 3));
  // Spring forward (2025-03-09 02:00 EST -> 03:00 EDT): 17:00 exists; the day of 03-08 is 23 h.
  CHECK(ny->day_of(utc(2025, 3, 9, 12)) == TradingDay{day_number(2025, 3, 8), utc(2025, 3, 8, 22), utc(2025, 3, 9, 21)});

  // An hour inside the spring-forward gap (02:00 on 2025-03-09 does not exist): that day starts
  // when the clocks jump (07:00 UTC).
  const auto ny2 = TradingDayCalendar::make({"America/New_York", 2});
  REQUIRE(ny2);
  CHECK(ny2->day_of(utc(2025, 3, 9, 7)) == TradingDay{day_number(2025, 3, 9), utc(2025, 3, 9, 7), utc(2025, 3, 10, 6)});
  CHECK(ny2->day_of(utc(2025, 3, 9, 6, 59)).day == day_number(2025, 3, 8));

  std::string why;
  CHECK_FALSE(TradingDayCalendar::make({"UTC", -1}, &why));
  CHECK(why == "start_hour must be 0..23, got -1");
}

TEST_CASE("an instrument listed twice for the same account is a duplicate") {
  CHECK(risk_error(
            risk_with("instruments:\n"
                      "  - {exchange: binance, symbol: BTC/USDT, max_position: 1}\n"
                      "  - {exchange: binance, symbol: BTC/USDT, account: arb, max_position: 1}\n"
                      "  - {exchange: binance, symbol: BTC/USDT, max_position: 2}\n")) ==
        "risk.yaml:6:5: instrument 3 repeats BTC/USDT on binance for all accounts (first in "
        "instrument 1)");
}

TEST_CASE("instruments need an exchange and a symbol") {
  CHECK(
      risk_error(risk_with("instruments:\n  - {exchange: kraken, max_position: 1}\n")) ==
      "risk.yaml:4:5: missing required key 'symbol' in instrument 1\n"
      "risk.yaml:4:16: 'exchange' in instrument 1 names unknown exchange 'kraken' (known: binance, "
      "bybit, okx, upbit)");
}

TEST_CASE("kill switch contacts and required keys") {
  CHECK(
      risk_error(std::string(kRisk) + "  emergency_contacts:\n"
                                      "    - slack: trading-alerts\n"
                                      "    - {email: trader.example.com}\n"
                                      "    - {slack: \"#a\", email: a@b.c}\n"
                                      "    - pagerduty: R0UT1NGK3Y\n") ==
      "risk.yaml:10:14: 'slack' in contact 1 in kill_switch.emergency_contacts must be a channel "
      "like "
      "#trading-alerts, got 'trading-alerts'\n"
      "risk.yaml:11:15: 'email' in contact 2 in kill_switch.emergency_contacts must be an e-mail "
      "address, got 'trader.example.com'\n"
      "risk.yaml:12:7: contact 3 in kill_switch.emergency_contacts must have exactly one of slack, "
      "email, pagerduty, telegram");
  CHECK(risk_error(replace_once(std::string(kRisk), "  flatten_positions: false\n", "")) ==
        "risk.yaml:3:1: missing required key 'flatten_positions' in kill_switch");
  CHECK(risk_error("global: {}\n") ==
        "risk.yaml:1:1: missing required key 'kill_switch' at top level");
}

// kRisk with contacts and an alerts block (the contacts from line 9, alerts after them).
std::string risk_alerts(std::string_view contacts, std::string_view alerts) {
  return std::string(kRisk) + "  emergency_contacts:\n" + std::string(contacts) + "alerts:\n" +
         std::string(alerts);
}

TEST_CASE("alerts: every sink and its secrets load exactly") {
  const auto cfg = load_risk_from_string(
      risk_alerts("    - slack: \"#desk\"\n"
                  "    - telegram: \"-1001234567890\"\n"
                  "    - email: desk@example.com\n",
                  "  dedup_window: 2m\n"
                  "  max_per_minute: 7\n"
                  "  queue: 16\n"
                  "  ca_file: /tmp/ca.pem\n"
                  "  slack: {webhook_url: env:OMS_SLACK_WEBHOOK_URL}\n"
                  "  telegram: {bot_token: file:secrets/tg.token, api_url: \"https://127.0.0.1:8443/\"}\n"
                  "  smtp: {host: smtp.example.com, port: 2525, user: oms, password: env:SMTP_PW, "
                  "from: oms@example.com}\n"),
      "risk.yaml");
  REQUIRE(cfg.kill_switch.emergency_contacts.size() == 3);
  CHECK(cfg.kill_switch.emergency_contacts[1].kind == ContactKind::kTelegram);
  CHECK(cfg.kill_switch.emergency_contacts[1].target == "-1001234567890");
  REQUIRE(cfg.alerts.has_value());
  const AlertsConfig& a = *cfg.alerts;
  CHECK(a.dedup_window == std::chrono::minutes(2));
  CHECK(a.max_per_minute == 7);
  CHECK(a.queue == 16);
  CHECK(a.ca_file == "/tmp/ca.pem");
  REQUIRE(a.slack.has_value());
  CHECK(a.slack->webhook_url.source == SecretRef::Source::kEnv);
  CHECK(a.slack->webhook_url.str() == "env:OMS_SLACK_WEBHOOK_URL");
  REQUIRE(a.telegram.has_value());
  CHECK(a.telegram->bot_token.str() == "file:secrets/tg.token");
  CHECK(a.telegram->api_url == "https://127.0.0.1:8443");
  REQUIRE(a.smtp.has_value());
  CHECK(a.smtp->host == "smtp.example.com");
  CHECK(a.smtp->port == 2525);
  CHECK(a.smtp->user == "oms");
  CHECK(a.smtp->password->str() == "env:SMTP_PW");
  CHECK(a.smtp->from == "oms@example.com");
  // Without the block: no alerts, the contacts listed only.
  CHECK_FALSE(load_risk_from_string(kRisk, "risk.yaml").alerts.has_value());
}

TEST_CASE("alerts: a secret written in the file is refused without echoing it") {
  const std::string err = risk_error(risk_alerts(
      "    - slack: \"#desk\"\n",
      "  slack: {webhook_url: \"https://hooks.slack.com/services/T000/B000/XXXXSECRET\"}\n"));
  CHECK(err ==
        "risk.yaml:12:24: 'webhook_url' in alerts.slack must be env:NAME or file:PATH (the secret "
        "itself never goes in a config file; the value given is not shown)");
  CHECK(err.find("XXXXSECRET") == std::string::npos);
  CHECK(risk_error(risk_alerts("    - telegram: \"@desk\"\n",
                               "  telegram: {bot_token: \"env:1BAD\"}\n")) ==
        "risk.yaml:12:25: 'bot_token' in alerts.telegram must be env:NAME or file:PATH (the secret "
        "itself never goes in a config file; the value given is not shown)");
}

TEST_CASE("alerts: bad values are named with file:line:col") {
  CHECK(risk_error(risk_alerts("    - telegram: desk\n"
                               "    - email: a@b.c\n",
                               "  dedup_window: 5\n"
                               "  max_per_minute: 0\n"
                               "  telegram: {bot_token: env:T, api_url: \"http://api.telegram.org\"}\n"
                               "  smtp: {host: h, user: u, from: nobody}\n"
                               "  pager: {}\n")) ==
        "risk.yaml:10:17: 'telegram' in contact 1 in kill_switch.emergency_contacts must be a chat "
        "id like -1001234567890 or a channel like @desk_alerts, got 'desk'\n"
        "risk.yaml:17:3: unknown key 'pager' in alerts\n"
        "risk.yaml:13:17: 'dedup_window' in alerts must be a positive duration such as 500ms, 1s, 2m or 1h, got '5'\n"
        "risk.yaml:14:19: 'max_per_minute' in alerts must be >= 1 and <= 600, got '0'\n"
        "risk.yaml:15:41: 'api_url' in alerts.telegram must be https://HOST[:PORT], got "
        "'http://api.telegram.org'\n"
        "risk.yaml:16:19: 'user' in alerts.smtp is given without 'password'\n"
        "risk.yaml:16:34: 'from' in alerts.smtp must be an e-mail address, got 'nobody'");
}

TEST_CASE("alerts: every contact needs its sink and every sink a contact") {
  CHECK(risk_error(risk_alerts("    - slack: \"#desk\"\n"
                               "    - email: a@b.c\n"
                               "    - pagerduty: R0UT1NGK3Y\n",
                               "  telegram: {bot_token: env:T}\n")) ==
        "risk.yaml:10:7: contact 1 in kill_switch.emergency_contacts is a slack channel, but alerts "
        "has no slack block\n"
        "risk.yaml:11:7: contact 2 in kill_switch.emergency_contacts is an e-mail address, but "
        "alerts has no smtp block\n"
        "risk.yaml:12:7: contact 3 in kill_switch.emergency_contacts is pagerduty, which omsd does "
        "not send to (planned); alerts go to slack, telegram and email\n"
        "risk.yaml:13:1: alerts.telegram has no telegram contact in kill_switch.emergency_contacts");
}

TEST_CASE("kill switch trips: drawdown, reject rate, venue ban, flatten band and per-scope thresholds load exactly") {
  const auto cfg = load_risk_from_string(
      replace_once(std::string(kRisk), "flatten_positions: false", "flatten_positions: true") +
          "  max_drawdown: 2500.5\n"
          "  max_rejects: 20\n"
          "  reject_window_seconds: 60\n"
          "  venue_ban: true\n"
          "  flatten_band_bps: 50\n"
          "  accounts:\n"
          "    arb: {max_daily_loss: 800, max_consecutive_losses: 4, max_rejects: 5, reject_window_seconds: 10, venue_ban: false}\n"
          "  strategies:\n"
          "    mm: {max_drawdown: 300}\n",
      "risk.yaml");
  const KillSwitchConfig& k = cfg.kill_switch;
  CHECK(k.max_drawdown == Decimal::parse("2500.5").value());
  CHECK(k.max_rejects == 20);
  CHECK(k.reject_window_seconds == 60);
  CHECK(k.venue_ban);
  CHECK(k.flatten_band_bps == Decimal::parse("50").value());
  REQUIRE(k.accounts.size() == 1);
  CHECK(k.accounts[0].name == "arb");
  CHECK(k.accounts[0].trips.max_daily_loss == Decimal::parse("800").value());
  CHECK(k.accounts[0].trips.max_consecutive_losses == 4);
  CHECK(k.accounts[0].trips.max_rejects == 5);
  CHECK(k.accounts[0].trips.reject_window_seconds == 10);
  CHECK_FALSE(k.accounts[0].trips.max_drawdown.has_value());
  REQUIRE(k.strategies.size() == 1);
  CHECK(k.strategies[0].trips.max_drawdown == Decimal::parse("300").value());
  // Absent: none.
  const auto plain = load_risk_from_string(kRisk, "risk.yaml");
  CHECK_FALSE(plain.kill_switch.max_drawdown.has_value());
  CHECK_FALSE(plain.kill_switch.max_rejects.has_value());
  CHECK_FALSE(plain.kill_switch.venue_ban);
  CHECK(plain.kill_switch.accounts.empty());
}

TEST_CASE("kill switch trips: errors name file, line and column") {
  CHECK(risk_error(std::string(kRisk) + "  max_drawdown: 0\n") ==
        "risk.yaml:9:17: 'max_drawdown' in kill_switch must be > 0, got '0'");
  CHECK(risk_error(std::string(kRisk) + "  max_rejects: 3\n") ==
        "risk.yaml:9:3: 'max_rejects' in kill_switch needs 'reject_window_seconds' beside it");
  CHECK(risk_error(std::string(kRisk) + "  max_rejects: 3\n  reject_window_seconds: 0\n") ==
        "risk.yaml:10:26: 'reject_window_seconds' in kill_switch must be >= 1 and <= 86400, got '0'");
  CHECK(risk_error(std::string(kRisk) + "  flatten_band_bps: 20\n") ==
        "risk.yaml:9:3: 'flatten_band_bps' in kill_switch needs flatten_positions: true");
  CHECK(risk_error(std::string(kRisk) + "  accounts:\n    arb: {venue_ban: maybe}\n") ==
        "risk.yaml:10:22: 'venue_ban' in kill_switch.accounts.arb must be true or false, got 'maybe'");
  CHECK(risk_error(std::string(kRisk) + "  strategies:\n    mm: {max_rejects: 3}\n") ==
        "risk.yaml:10:10: unknown key 'max_rejects' in kill_switch.strategies.mm");
  CHECK(risk_error(std::string(kRisk) + "  accounts:\n    arb: {reject_window_seconds: 5}\n") ==
        "risk.yaml:10:11: 'reject_window_seconds' in kill_switch.accounts.arb needs 'max_rejects' beside it");
}

}  // namespace
}  // namespace oms::configs
