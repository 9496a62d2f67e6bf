// risk.yaml: pre-trade limits in a hierarchy global -> account -> strategy -> instrument,
// and the kill switch. A limit set at a lower level may only tighten the one above it.
//
//   global:      {max_order_notional: 250000, max_gross_exposure: 2000000, ...}
//   accounts:    {binance_spot_arb: {max_order_notional: 50000, ...}}
//   strategies:  {arbitrage: {max_open_orders: 40, ...}}
//   instruments:
//     - {exchange: binance, symbol: BTC/USDT, account: binance_spot_arb,   # account optional
//        max_order_qty: 1, max_position: 2, price_band_bps: 100}
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
//     emergency_contacts: [{slack: "#trading-alerts"}, {email: trader@example.com}]
//
// Notionals, exposures and losses are in USDT; quantities and positions in base units.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

enum class ContactKind : std::uint8_t { kSlack, kEmail, kPagerDuty };

struct EmergencyContact {
  ContactKind kind = ContactKind::kSlack;
  std::string target;  // "#channel", "desk@example.com", a PagerDuty routing key
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
  KillSwitchConfig kill_switch{};
};

// Parses and validates risk.yaml text on its own (account, strategy and exchange names are
// checked by load_config_*). Throws ConfigError with all problems found.
[[nodiscard]] RiskConfig load_risk_from_string(std::string_view text, std::string_view filename);

}  // namespace oms::configs
