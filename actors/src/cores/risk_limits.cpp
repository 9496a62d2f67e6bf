// RiskLimitTable: the operator-facing half of the risk core (atomics; see the header).
#include "oms/cores/risk_limits.hpp"

namespace oms::actors {

std::string_view to_string(RiskCode c) noexcept {
  switch (c) {
    case RiskCode::kPassed: return "passed";
    case RiskCode::kKillSwitchHalted: return "kill switch halted";
    case RiskCode::kReducingOnly: return "reducing-only";
    case RiskCode::kOrderNotional: return "notional";
    case RiskCode::kOrderQuantity: return "quantity";
    case RiskCode::kPosition: return "position";
    case RiskCode::kGrossExposure: return "gross exposure";
    case RiskCode::kNetExposure: return "net exposure";
    case RiskCode::kLeverage: return "leverage";
    case RiskCode::kPriceBand: return "price band";
    case RiskCode::kOpenOrders: return "open orders";
    case RiskCode::kOrderRate: return "order rate";
    case RiskCode::kDailyLoss: return "daily loss";
    case RiskCode::kConsecutiveLosses: return "consecutive losses";
    case RiskCode::kOverflow: return "overflow";
    case RiskCode::kUnknownId: return "unknown id";
    case RiskCode::kInvalidOrder: return "invalid order";
    case RiskCode::kNoReferencePrice: return "no reference price";
    case RiskCode::kSelfTrade: return "self-trade";
    case RiskCode::kNoQuoteRate: return "no USDT rate for the quote";
    case RiskCode::kVenueRule: return "venue rule";
  }
  return "unknown";
}

RiskLimitTable::RiskLimitTable(std::size_t accounts, std::size_t strategies,
                               std::size_t instruments)
    : sizes_{1, accounts, strategies, instruments} {
  for (std::size_t s = 0; s < kScopeCount; ++s) {
    sets_[s] = std::make_unique<LimitSet[]>(sizes_[s]);
    for (std::size_t i = 0; i < sizes_[s]; ++i) {
      // relaxed: construction, before the table is shared with any other thread.
      for (auto& l : sets_[s][i].limits) l.store(kNoLimit, std::memory_order_relaxed);
      sets_[s][i].kill_switch.store(static_cast<std::uint8_t>(KillSwitchState::kActive),
                                    std::memory_order_relaxed);
    }
  }
}

RiskLimitTable::LimitSet* RiskLimitTable::find(LimitScope scope, std::uint32_t id) const noexcept {
  const auto s = static_cast<std::size_t>(scope);
  if (s >= kScopeCount) return nullptr;
  const std::size_t index = scope == LimitScope::kGlobal ? 0 : id;
  if (index >= sizes_[s]) return nullptr;
  return &sets_[s][index];
}

bool RiskLimitTable::set(LimitScope scope, std::uint32_t id, LimitKind kind,
                         std::int64_t raw) noexcept {
  if (static_cast<std::size_t>(kind) >= kLimitKindCount || !limit_applies(kind, scope) ||
      raw < 0) {
    return false;
  }
  LimitSet* set = find(scope, id);
  if (set == nullptr) return false;
  // relaxed: an independent scalar; the hot path's next relaxed load sees it (header).
  set->limits[static_cast<std::size_t>(kind)].store(raw, std::memory_order_relaxed);
  return true;
}

bool RiskLimitTable::set_kill_switch(LimitScope scope, std::uint32_t id,
                                     KillSwitchState state) noexcept {
  if (scope == LimitScope::kInstrument) return false;
  LimitSet* set = find(scope, id);
  if (set == nullptr) return false;
  // relaxed: as for limits; the next check() on the hot path loads it.
  set->kill_switch.store(static_cast<std::uint8_t>(state), std::memory_order_relaxed);
  return true;
}

std::int64_t RiskLimitTable::get(LimitScope scope, std::uint32_t id,
                                 LimitKind kind) const noexcept {
  const LimitSet* set = find(scope, id);
  if (set == nullptr || static_cast<std::size_t>(kind) >= kLimitKindCount) return kNoLimit;
  return set->load(kind);
}

KillSwitchState RiskLimitTable::kill_switch(LimitScope scope, std::uint32_t id) const noexcept {
  const LimitSet* set = find(scope, id);
  return set == nullptr ? KillSwitchState::kActive : set->load_kill_switch();
}

}  // namespace oms::actors
