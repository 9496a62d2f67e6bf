#include "oms/setup/risk_setup.hpp"

#include <algorithm>
#include <functional>

namespace oms::setup {
namespace {

using actors::RiskLimitTable;

void apply(const configs::RiskLimits& l, LimitScope scope, std::uint32_t id, RiskLimitTable& t,
           const std::string& where, std::vector<std::string>& problems) {
  const auto set = [&](LimitKind kind, std::int64_t raw) {
    if (!actors::limit_applies(kind, scope)) return;  // the config loader already said where
    // Tightest wins when several entries land on one scope (instrument limits per account).
    const std::int64_t current = t.get(scope, id, kind);
    if (!t.set(scope, id, kind, std::min(current, raw))) {
      problems.push_back(where + ": " + std::string(enum_name(kind)) + " not applicable");
    }
  };
  const auto dec = [&](LimitKind k, const std::optional<Decimal>& v) {
    if (!v) return;
    if (*v > actors::kMaxLimit) {  // the config loader refuses these first
      problems.push_back(where + ": " + std::string(enum_name(k)) + " " + v->to_string() +
                         " beyond the largest limit " + actors::kMaxLimit.to_string());
      return;
    }
    set(k, static_cast<std::int64_t>(v->raw()));
  };
  const auto count = [&](LimitKind k, const std::optional<int>& v) {
    if (v) set(k, *v);
  };
  dec(LimitKind::kOrderNotional, l.max_order_notional);
  dec(LimitKind::kOrderQuantity, l.max_order_qty);
  dec(LimitKind::kPosition, l.max_position);
  dec(LimitKind::kGrossExposure, l.max_gross_exposure);
  dec(LimitKind::kNetExposure, l.max_net_exposure);
  if (l.max_leverage) set(LimitKind::kLeverage, std::int64_t{*l.max_leverage} * Decimal::kOne);
  dec(LimitKind::kPriceBandBps, l.price_band_bps);
  count(LimitKind::kOpenOrders, l.max_open_orders);
  count(LimitKind::kOrderRate, l.order_rate_per_second);
  dec(LimitKind::kDailyLoss, l.max_daily_loss);
  count(LimitKind::kConsecutiveLosses, l.max_consecutive_losses);
}

}  // namespace

std::vector<std::string> apply_risk_config(const configs::RiskConfig& risk,
                                           const Directory& directory, RiskLimitTable& table) {
  std::vector<std::string> problems;
  apply(risk.global, LimitScope::kGlobal, 0, table, "risk.yaml global", problems);
  for (const auto& a : risk.accounts) {
    const auto id = directory.accounts.find(a.name);
    if (!id) {
      problems.push_back("risk.yaml accounts." + a.name + ": no such account");
      continue;
    }
    apply(a.limits, LimitScope::kAccount, static_cast<std::uint32_t>(id->index()), table, "risk.yaml accounts." + a.name,
          problems);
  }
  for (const auto& s : risk.strategies) {
    const auto id = directory.strategies.find(s.name);
    if (!id) {
      problems.push_back("risk.yaml strategies." + s.name + ": no such strategy");
      continue;
    }
    apply(s.limits, LimitScope::kStrategy, static_cast<std::uint32_t>(id->index()), table, "risk.yaml strategies." + s.name,
          problems);
  }
  for (const auto& i : risk.instruments) {
    const std::string name = std::string(to_string(i.exchange)) + ":" +
                             std::string(to_string(i.market)) + ":" + i.symbol.to_string();
    const auto id = directory.instruments.find(name);
    if (!id) {
      problems.push_back("risk.yaml instruments " + name + ": not listed by the venue (skipped)");
      continue;
    }
    apply(i.limits, LimitScope::kInstrument, static_cast<std::uint32_t>(id->index()), table, "risk.yaml instruments " + name,
          problems);
  }
  return problems;
}

}  // namespace oms::setup
