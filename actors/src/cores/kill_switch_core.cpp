// KillSwitchCore: automatic trips (see the header).
#include "oms/cores/kill_switch_core.hpp"

#include <utility>

namespace oms::actors {
namespace {

constexpr std::uint8_t bit(TripReason r) noexcept {
  return static_cast<std::uint8_t>(1U << reason_index(r));
}
Decimal count(std::int64_t n) noexcept { return Decimal::from_raw(Int128{n} * Decimal::kOne); }

std::string_view scope_name(LimitScope s) noexcept {
  switch (s) {
    case LimitScope::kGlobal: return "global";
    case LimitScope::kAccount: return "account";
    case LimitScope::kStrategy: return "strategy";
    case LimitScope::kInstrument: return "instrument";
  }
  return "?";
}

}  // namespace

std::string_view to_string(TripReason r) noexcept {
  switch (r) {
    case TripReason::kDailyLoss: return "daily_loss";
    case TripReason::kConsecutiveLosses: return "consecutive_losses";
    case TripReason::kDrawdown: return "drawdown";
    case TripReason::kRejectRate: return "reject_rate";
    case TripReason::kVenueBan: return "venue_ban";
  }
  return "?";
}

std::string describe(const KillSwitchStep& s) {
  std::string out = "auto " + std::to_string(static_cast<unsigned>(s.reason)) + " " +
                    std::string(to_string(s.reason)) + ": ";
  switch (s.reason) {
    case TripReason::kDailyLoss:
    case TripReason::kDrawdown: out += s.value.to_string() + " > " + s.limit.to_string(); break;
    case TripReason::kConsecutiveLosses:
    case TripReason::kRejectRate: out += s.value.to_string() + " >= " + s.limit.to_string(); break;
    case TripReason::kVenueBan: out += "banned until " + s.value.to_string() + " s"; break;
  }
  out += " (" + std::string(scope_name(s.scope));
  if (s.scope != LimitScope::kGlobal) out += " " + std::to_string(s.id);
  return out + ")";
}

KillSwitchCore::KillSwitchCore(KillSwitchRules rules, std::size_t accounts, std::size_t strategies)
    : rules_(std::move(rules)), accounts_(accounts), strategies_(strategies) {
  rules_.accounts.resize(accounts);
  rules_.strategies.resize(strategies);
  const auto watches = [](const TripThresholds& t) {
    return t.max_daily_loss || t.max_consecutive_losses || t.max_drawdown;
  };
  watches_figures_ = rules_.enabled && watches(rules_.global);
  for (const auto* v : {&rules_.accounts, &rules_.strategies}) {
    for (const TripThresholds& t : *v) watches_figures_ = watches_figures_ || (rules_.enabled && watches(t));
  }
}

KillSwitchCore::Scope* KillSwitchCore::scope(LimitScope s, std::uint32_t id) noexcept {
  switch (s) {
    case LimitScope::kGlobal: return &global_;
    case LimitScope::kAccount: return id < accounts_.size() ? &accounts_[id] : nullptr;
    case LimitScope::kStrategy: return id < strategies_.size() ? &strategies_[id] : nullptr;
    case LimitScope::kInstrument: return nullptr;
  }
  return nullptr;
}

const TripThresholds* KillSwitchCore::thresholds(LimitScope s, std::uint32_t id) const noexcept {
  switch (s) {
    case LimitScope::kGlobal: return &rules_.global;
    case LimitScope::kAccount: return id < rules_.accounts.size() ? &rules_.accounts[id] : nullptr;
    case LimitScope::kStrategy: return id < rules_.strategies.size() ? &rules_.strategies[id] : nullptr;
    case LimitScope::kInstrument: return nullptr;
  }
  return nullptr;
}

KillSwitchState KillSwitchCore::state(LimitScope s, std::uint32_t id) const noexcept {
  const Scope* sc = const_cast<KillSwitchCore*>(this)->scope(s, id);
  return sc == nullptr ? KillSwitchState::kActive : sc->state;
}

Decimal KillSwitchCore::peak(LimitScope s, std::uint32_t id) const noexcept {
  const Scope* sc = const_cast<KillSwitchCore*>(this)->scope(s, id);
  return sc == nullptr ? Decimal{} : sc->peak;
}

bool KillSwitchCore::condition(Scope& sc, TripReason r, bool holds) noexcept {
  const std::uint8_t b = bit(r);
  if (!holds) {
    sc.over = static_cast<std::uint8_t>(sc.over & ~b);
    sc.suppressed = static_cast<std::uint8_t>(sc.suppressed & ~b);  // cleared once: armed again
    return false;
  }
  sc.over = static_cast<std::uint8_t>(sc.over | b);
  return sc.state == KillSwitchState::kActive && (sc.suppressed & b) == 0;
}

void KillSwitchCore::trip(Scope& sc, LimitScope s, std::uint32_t id, TripReason r, Decimal value,
                          Decimal limit, TimeNs now, std::vector<KillSwitchStep>& out) {
  const bool flatten = rules_.flatten_positions && s != LimitScope::kStrategy;
  sc.state = flatten ? KillSwitchState::kReducingOnly : KillSwitchState::kHalted;
  ++trips_[reason_index(r)];
  KillSwitchStep step{KillSwitchStep::Kind::kTrip, s, id, r, sc.state, value, limit, now};
  out.push_back(step);
  if (rules_.cancel_open_orders) {
    step.kind = KillSwitchStep::Kind::kCancelOpenOrders;
    out.push_back(step);
  }
  if (flatten) {
    step.kind = KillSwitchStep::Kind::kFlatten;
    out.push_back(step);
  }
}

void KillSwitchCore::on_figures(LimitScope s, std::uint32_t id, const ScopeFigures& f, TimeNs now,
                                std::vector<KillSwitchStep>& out) {
  Scope* sc = scope(s, id);
  const TripThresholds* t = thresholds(s, id);
  if (!rules_.enabled || sc == nullptr || t == nullptr) return;
  // PnL today, and the day's peak of it (from zero: the day starts at its peak).
  const Decimal pnl = Decimal::from_raw(-f.daily_loss.raw());
  if (pnl > sc->peak) sc->peak = pnl;
  const Decimal drawdown = Decimal::from_raw(sc->peak.raw() - pnl.raw());
  // Each condition is recorded, whichever trips first: a reset then knows what still holds.
  const bool loss = t->max_daily_loss && f.daily_loss > *t->max_daily_loss;
  const bool losses = t->max_consecutive_losses && f.consecutive_losses >= *t->max_consecutive_losses;
  const bool dd = t->max_drawdown && drawdown > *t->max_drawdown;
  const bool trip_loss = condition(*sc, TripReason::kDailyLoss, loss);
  const bool trip_losses = condition(*sc, TripReason::kConsecutiveLosses, losses);
  const bool trip_dd = condition(*sc, TripReason::kDrawdown, dd);
  if (trip_loss) {
    trip(*sc, s, id, TripReason::kDailyLoss, f.daily_loss, *t->max_daily_loss, now, out);
  } else if (trip_losses) {
    trip(*sc, s, id, TripReason::kConsecutiveLosses, count(f.consecutive_losses),
         count(*t->max_consecutive_losses), now, out);
  } else if (trip_dd) {
    trip(*sc, s, id, TripReason::kDrawdown, drawdown, *t->max_drawdown, now, out);
  }
}

void KillSwitchCore::count_reject(Scope& sc, LimitScope s, std::uint32_t id, const TripThresholds& t,
                                  TimeNs now, std::vector<KillSwitchStep>& out) {
  if (!t.max_rejects) return;
  sc.rejects.push_back(now);
  while (!sc.rejects.empty() && sc.rejects.front() <= now - t.reject_window) sc.rejects.pop_front();
  const auto n = static_cast<std::int64_t>(sc.rejects.size());
  if (n >= *t.max_rejects && sc.state == KillSwitchState::kActive) {
    sc.rejects.clear();
    trip(sc, s, id, TripReason::kRejectRate, count(n), count(*t.max_rejects), now, out);
  }
}

void KillSwitchCore::on_reject(AccountId account, TimeNs now, std::vector<KillSwitchStep>& out) {
  if (!rules_.enabled) return;
  const auto id = static_cast<std::uint32_t>(account.index());
  if (Scope* sc = scope(LimitScope::kAccount, id)) {
    count_reject(*sc, LimitScope::kAccount, id, rules_.accounts[id], now, out);
  }
  count_reject(global_, LimitScope::kGlobal, 0, rules_.global, now, out);
}

void KillSwitchCore::on_venue_ban(AccountId account, TimeNs until, TimeNs now,
                                  std::vector<KillSwitchStep>& out) {
  const auto id = static_cast<std::uint32_t>(account.index());
  Scope* sc = scope(LimitScope::kAccount, id);
  if (!rules_.enabled || sc == nullptr || until <= sc->banned_until) return;
  sc->banned_until = until;  // a ban reported again (every refused call) trips once
  const bool on = rules_.global.venue_ban || rules_.accounts[id].venue_ban;
  if (!on || sc->state != KillSwitchState::kActive) return;
  // The ban's end in whole seconds of the venue's clock, for the record.
  trip(*sc, LimitScope::kAccount, id, TripReason::kVenueBan, Decimal::from_raw(Int128{until} / 1'000'000'000 * Decimal::kOne),
       {}, now, out);
}

void KillSwitchCore::on_state(LimitScope s, std::uint32_t id, KillSwitchState state) {
  Scope* sc = scope(s, id);
  if (sc == nullptr) return;
  if (state == KillSwitchState::kActive && sc->state != KillSwitchState::kActive) {
    sc->suppressed = sc->over;  // what still holds waits until it has cleared once
    sc->rejects.clear();
  }
  sc->state = state;
}

void KillSwitchCore::save(StateWriter& w) const {
  w(static_cast<std::uint32_t>(accounts_.size()), static_cast<std::uint32_t>(strategies_.size()));
  const auto put = [&w](const Scope& sc) { w(sc.state, sc.peak, sc.over, sc.suppressed, sc.rejects, sc.banned_until); };
  put(global_);
  for (const auto* v : {&accounts_, &strategies_}) {
    for (const Scope& sc : *v) put(sc);
  }
  for (const std::uint64_t n : trips_) w.put(n);
}

void KillSwitchCore::load(StateReader& r) {
  std::uint32_t accounts = 0, strategies = 0;
  r(accounts, strategies);
  if (r.ok() && (accounts != accounts_.size() || strategies != strategies_.size())) {
    r.fail("kill switch of " + std::to_string(accounts) + " accounts and " + std::to_string(strategies) +
           " strategies saved; this one has " + std::to_string(accounts_.size()) + " and " +
           std::to_string(strategies_.size()));
    return;
  }
  const auto get = [&r](Scope& sc) { r(sc.state, sc.peak, sc.over, sc.suppressed, sc.rejects, sc.banned_until); };
  Scope global;
  get(global);
  std::vector<Scope> a(accounts_.size()), s(strategies_.size());
  for (auto* v : {&a, &s}) {
    for (Scope& sc : *v) get(sc);
  }
  std::uint64_t trips[kTripReasonCount] = {};
  for (std::uint64_t& n : trips) r(n);
  if (!r.ok()) return;
  global_ = std::move(global);
  accounts_ = std::move(a);
  strategies_ = std::move(s);
  for (std::size_t i = 0; i < kTripReasonCount; ++i) trips_[i] = trips[i];
}

void KillSwitchCore::roll_day() {
  global_.peak = Decimal{};
  for (auto* v : {&accounts_, &strategies_}) {
    for (Scope& sc : *v) sc.peak = Decimal{};
  }
}

}  // namespace oms::actors
