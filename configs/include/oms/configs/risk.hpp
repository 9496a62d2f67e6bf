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
//     cancel_open_orders: true
//     flatten_positions: false
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

// Trips for the whole daemon: stops new orders, then does what the flags say.
struct KillSwitchConfig {
  bool enabled = true;
  Decimal max_daily_loss{};
  int max_consecutive_losses = 0;
  bool cancel_open_orders = true;
  bool flatten_positions = false;
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
