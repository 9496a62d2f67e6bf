// risk.yaml: pre-trade limits in a hierarchy global -> account -> strategy -> instrument,
// and the kill switch. A limit set at a lower level may only tighten the one above it.
//
//   global:      {max_order_notional: 250000, max_gross_exposure: 2000000, ...}
//   accounts:    {binance_spot_arb: {max_order_notional: 50000, ...}}
//   strategies:  {arbitrage: {max_open_orders: 40, ...}}
//   instruments:
//     - {exchange: binance, symbol: BTC/USDT, account: binance_spot_arb,   # account optional
//        max_order_qty: 1, max_position: 2, price_band_bps: 100}
//   trading_day: {time_zone: Asia/Seoul, start_hour: 9}   # optional; absent: UTC, 00:00
//   kill_switch:
//     enabled: true
//     max_daily_loss: 5000
//     max_consecutive_losses: 10
//     max_drawdown: 3000                                  # optional
//     max_rejects: 20, reject_window_seconds: 60          # optional, together
//     venue_ban: true                                     # optional
//     cancel_open_orders: true
//     flatten_positions: false
//     flatten_band_bps: 50                                # optional
//     accounts: {binance_mm: {max_daily_loss: 800, max_rejects: 10, reject_window_seconds: 60}}
//     strategies: {arbitrage: {max_consecutive_losses: 5}}
//     emergency_contacts: [{slack: "#trading-alerts"}, {email: trader@example.com},
//                          {telegram: "-1001234567890"}]
//   alerts:                               # how the contacts are reached (optional block)
//     dedup_window: 5m                    # one alert key sent once per window
//     max_per_minute: 20                  # per sink; past it held back, counted in the next one
//     queue: 256                          # alerts waiting to be sent; full: the oldest dropped
//     ca_file: /etc/oms/alerts-ca.pem     # optional: trust this CA instead of the system's
//     slack: {webhook_url: env:OMS_SLACK_WEBHOOK_URL}
//     telegram: {bot_token: file:secrets/telegram-bot-token, api_url: https://api.telegram.org}
//     smtp: {host: smtp.example.com, port: 587, user: oms-alerts,
//            password: env:OMS_SMTP_PASSWORD, from: oms@example.com}
//
// Secrets (the webhook URL, the bot token, the SMTP password) are never written in the file:
// `env:NAME` (an environment variable of omsd) or `file:PATH` (a file of mode 0600, relative
// to omsd's --data dir), read by omsd at start.
//
// Notionals, exposures and losses are in USDT; quantities and positions in base units.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/configs/trading_day.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/symbols.hpp"

namespace oms::configs {

// Every field is optional: an absent limit is inherited from the level above (or none).
struct RiskLimits {
  std::optional<Decimal> max_order_notional{};
  std::optional<Decimal> max_order_qty{};  // instrument level only (base units)
  std::optional<Decimal> max_position{};   // instrument level only (base units, either sign)
  std::optional<Decimal> max_gross_exposure{};
  std::optional<Decimal> max_net_exposure{};
  std::optional<int> max_leverage{};        // 1..kMaxLeverage
  std::optional<Decimal> price_band_bps{};  // max distance of a limit price from the mark
  std::optional<int> max_open_orders{};
  std::optional<int> order_rate_per_second{};
  std::optional<Decimal> max_daily_loss{};
  std::optional<int> max_consecutive_losses{};
};

struct NamedRiskLimits {
  std::string name;  // an account or strategy name
  RiskLimits limits{};
};

struct InstrumentRiskLimits {
  ExchangeId exchange = ExchangeId::kBinance;
  CanonicalSymbol symbol;
  Market market = Market::kSpot;
  std::string account;  // empty: every account trading the instrument
  RiskLimits limits{};
};

enum class ContactKind : std::uint8_t { kSlack, kEmail, kPagerDuty, kTelegram };

struct EmergencyContact {
  ContactKind kind = ContactKind::kSlack;
  // "#channel", "desk@example.com", a PagerDuty routing key, a Telegram chat id ("-100123...")
  // or "@channelusername"
  std::string target;
};

// Where a secret comes from: the config names it, never holds it.
struct SecretRef {
  enum class Source : std::uint8_t { kEnv, kFile };
  Source source = Source::kEnv;
  std::string name;  // the variable's name, or the file's path (relative: under --data)
  // "env:NAME" / "file:PATH": how logs and errors name it.
  [[nodiscard]] std::string str() const { return (source == Source::kEnv ? "env:" : "file:") + name; }
};

struct SlackAlerts {
  SecretRef webhook_url;  // https://hooks.slack.com/services/T.../B.../... (a secret)
};

struct TelegramAlerts {
  SecretRef bot_token;
  std::string api_url = "https://api.telegram.org";  // https://HOST[:PORT], no path
};

// E-mail over SMTP submission with STARTTLS (always; a server without it is refused).
struct SmtpAlerts {
  std::string host;
  std::uint16_t port = 587;
  std::string user;                   // empty: no AUTH
  std::optional<SecretRef> password;  // required with user
  std::string from;
};

// How the emergency contacts are reached, and how often.
struct AlertsConfig {
  std::chrono::milliseconds dedup_window{std::chrono::minutes(5)};
  int max_per_minute = 20;
  int queue = 256;
  std::string ca_file;  // empty: the system trust store
  std::optional<SlackAlerts> slack;
  std::optional<TelegramAlerts> telegram;
  std::optional<SmtpAlerts> smtp;
};

// What trips one scope's kill switch by itself; an absent threshold never trips.
struct KillSwitchTrips {
  std::optional<Decimal> max_daily_loss{};       // USDT
  std::optional<int> max_consecutive_losses{};
  std::optional<Decimal> max_drawdown{};         // USDT below the day's peak PnL
  std::optional<int> max_rejects{};              // venue rejects within reject_window_seconds
  std::optional<int> reject_window_seconds{};    // set with max_rejects
  bool venue_ban = false;                        // a venue's ban of the account's connection
};

struct NamedKillSwitchTrips {
  std::string name;  // an account or strategy
  KillSwitchTrips trips{};
};

// Trips by itself (the engine, from its recorded inputs): stops new orders, then does what the
// flags say. The top-level thresholds are the global scope's (every account together; a
// venue_ban there applies to every account); accounts: and strategies: give their own scopes'.
struct KillSwitchConfig {
  bool enabled = true;
  Decimal max_daily_loss{};
  int max_consecutive_losses = 0;
  std::optional<Decimal> max_drawdown{};
  std::optional<int> max_rejects{};
  std::optional<int> reject_window_seconds{};
  bool venue_ban = false;
  bool cancel_open_orders = true;
  bool flatten_positions = false;
  std::optional<Decimal> flatten_band_bps{};  // flatten with limit orders this far past the mark
  std::vector<NamedKillSwitchTrips> accounts;    // file order
  std::vector<NamedKillSwitchTrips> strategies;  // file order (no reject rate or venue ban)
  std::vector<EmergencyContact> emergency_contacts;
};

struct RiskConfig {
  RiskLimits global{};
  std::vector<NamedRiskLimits> accounts;    // file order
  std::vector<NamedRiskLimits> strategies;  // file order
  std::vector<InstrumentRiskLimits> instruments;
  // When the day's loss limits (max_daily_loss, the kill switch's daily loss and drawdown)
  // start again (trading_day.hpp).
  TradingDaySpec trading_day{};
  KillSwitchConfig kill_switch{};
  std::optional<AlertsConfig> alerts;  // absent: no alerts are sent (the contacts are listed only)
};

// Parses and validates risk.yaml text on its own (account, strategy and exchange names are
// checked by load_config_*). Throws ConfigError with all problems found.
[[nodiscard]] RiskConfig load_risk_from_string(std::string_view text, std::string_view filename);

}  // namespace oms::configs
