// KillSwitchCore: the automatic kill switch (risk.yaml kill_switch:). Pure: it decides trips
// from the figures and reports the engine's shard gives it, with the time of the input that
// carried them; no clock, no I/O. The shell carries out what it decides.
//
// Trips, per scope (global, each account, each strategy), each with its own threshold:
//   3220 daily loss          daily loss (RiskCore::daily_loss) > max_daily_loss
//   3221 consecutive losses  closing fills at a loss in a row >= max_consecutive_losses
//   3222 drawdown            the day's peak PnL (from 0 at the day's start) - PnL now > max_drawdown
//   3223 reject rate         the max_rejects-th venue reject within reject_window (global, account)
//   3224 venue ban           the venue banned the account's connection (a new or longer ban)
// Only a scope whose switch is ACTIVE trips. A trip is the steps, in order:
//   kTrip              the switch goes HALTED (REDUCING_ONLY when positions are flattened, so the
//                      flattening orders pass risk)
//   kCancelOpenOrders  when cancel_open_orders: every open order of the scope is cancelled
//   kFlatten           when flatten_positions (global and account scope): every position closed,
//                      reduce-only market, or limit within flatten_band_bps of the mark
// Reset only by an operator (on_state(kActive)): a reason whose condition still holds then does
// not trip again until it has cleared once (the loss back under its threshold, a winning fill,
// the day rolled); the reject window starts empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/state_codec.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/envelope.hpp"
#include "oms/messages/ids.hpp"

namespace oms::actors {

// Why a kill switch tripped by itself (the range 3220-3119).
enum class TripReason : std::uint16_t {
  kDailyLoss = 3220,
  kConsecutiveLosses = 3221,
  kDrawdown = 3222,
  kRejectRate = 3223,
  kVenueBan = 3224,
};
inline constexpr std::size_t kTripReasonCount = 5;
[[nodiscard]] std::string_view to_string(TripReason r) noexcept;  // "daily_loss", ...
[[nodiscard]] constexpr std::size_t reason_index(TripReason r) noexcept {
  return static_cast<std::size_t>(r) - static_cast<std::size_t>(TripReason::kDailyLoss);
}

// One scope's thresholds; an absent one never trips.
struct TripThresholds {
  std::optional<Decimal> max_daily_loss;       // USDT
  std::optional<std::int64_t> max_consecutive_losses;
  std::optional<Decimal> max_drawdown;         // USDT below the day's peak PnL
  std::optional<std::int64_t> max_rejects;     // within reject_window (global, account)
  TimeNs reject_window = 0;
  bool venue_ban = false;                      // account scope
};

struct KillSwitchRules {
  bool enabled = false;  // false: nothing trips by itself
  bool cancel_open_orders = true;
  bool flatten_positions = false;
  std::optional<Decimal> flatten_band_bps;  // absent: flatten at market
  TripThresholds global;
  std::vector<TripThresholds> accounts;     // by AccountId index (missing: none)
  std::vector<TripThresholds> strategies;   // by StrategyId index (missing: none)
};

// A scope's figures now (RiskCore's books, given after a fill or a mark moved them).
struct ScopeFigures {
  Decimal daily_loss;  // signed: negative is a profit today
  std::int64_t consecutive_losses = 0;
};

struct KillSwitchStep {
  enum class Kind : std::uint8_t { kTrip, kCancelOpenOrders, kFlatten };
  Kind kind = Kind::kTrip;
  LimitScope scope = LimitScope::kGlobal;
  std::uint32_t id = 0;  // the account or strategy index; 0 for global
  TripReason reason = TripReason::kDailyLoss;
  KillSwitchState state = KillSwitchState::kHalted;  // kTrip: the switch's new state
  Decimal value;  // what tripped it (counts as whole numbers)
  Decimal limit;
  TimeNs at = 0;  // the input's time
  friend bool operator==(const KillSwitchStep&, const KillSwitchStep&) = default;
};

// "auto 3220 daily_loss: 12.5 > 10 (account 2)": the KillSwitchTripped event's reason.
[[nodiscard]] std::string describe(const KillSwitchStep& s);

class KillSwitchCore {
 public:
  KillSwitchCore(KillSwitchRules rules, std::size_t accounts, std::size_t strategies);

  [[nodiscard]] const KillSwitchRules& rules() const noexcept { return rules_; }
  // Whether any scope's figures can trip (the shell skips the read-outs otherwise).
  [[nodiscard]] bool watches_figures() const noexcept { return watches_figures_; }

  // A scope's figures after a fill or mark (account and strategy scopes by index).
  void on_figures(LimitScope scope, std::uint32_t id, const ScopeFigures& f, TimeNs now,
                  std::vector<KillSwitchStep>& out);
  // A venue rejected an order of the account (counted for the account and global scopes).
  void on_reject(AccountId account, TimeNs now, std::vector<KillSwitchStep>& out);
  // The venue banned the account's connection until `until` (its own clock, ns).
  void on_venue_ban(AccountId account, TimeNs until, TimeNs now, std::vector<KillSwitchStep>& out);
  // The switch's state as set by anyone (an operator's trip or reset, a restart's restore):
  // ACTIVE after another state is a reset.
  void on_state(LimitScope scope, std::uint32_t id, KillSwitchState state);
  // A new trading day: the peaks start again from zero (the figures given after it clear what
  // no longer holds).
  void roll_day();

  [[nodiscard]] KillSwitchState state(LimitScope scope, std::uint32_t id) const noexcept;
  // Trips since start by reason (every scope).
  [[nodiscard]] std::uint64_t trips(TripReason r) const noexcept { return trips_[reason_index(r)]; }
  // The day's peak PnL of a scope (drawdown's reference).
  [[nodiscard]] Decimal peak(LimitScope scope, std::uint32_t id) const noexcept;

  // What the core has counted (the engine's checkpoints): every scope's state, peak, conditions,
  // reject window and ban, and the trips. load() needs the same sizes; on an error nothing changes.
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  struct Scope {
    KillSwitchState state = KillSwitchState::kActive;
    Decimal peak;                            // the day's highest PnL, >= 0
    std::uint8_t over = 0;                   // reasons whose condition held at the last look
    std::uint8_t suppressed = 0;             // reasons held at a reset: not tripping until clear
    std::deque<TimeNs> rejects;              // times of the rejects within the window
    TimeNs banned_until = 0;
  };
  [[nodiscard]] Scope* scope(LimitScope s, std::uint32_t id) noexcept;
  [[nodiscard]] const TripThresholds* thresholds(LimitScope s, std::uint32_t id) const noexcept;
  // Records the condition of `r`; true when it trips now.
  bool condition(Scope& sc, TripReason r, bool holds) noexcept;
  void trip(Scope& sc, LimitScope s, std::uint32_t id, TripReason r, Decimal value, Decimal limit,
            TimeNs now, std::vector<KillSwitchStep>& out);
  void count_reject(Scope& sc, LimitScope s, std::uint32_t id, const TripThresholds& t, TimeNs now,
                    std::vector<KillSwitchStep>& out);

  KillSwitchRules rules_;
  bool watches_figures_ = false;
  Scope global_;
  std::vector<Scope> accounts_, strategies_;
  std::uint64_t trips_[kTripReasonCount] = {};
};

}  // namespace oms::actors
