// StrategyCore: the lifecycle of one strategy as a pure fold, plus its parameters. The trading
// logic (arbitrage, market making) lives in its own cores; this one answers "may it trade,
// and how": stopped -> running on start; running/reducing -> stopped on stop; a kill switch
// on the strategy (or above it) moves it to reducing-only or halted; a reset of the switch
// leaves it stopped until an operator starts it again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

// Strategy errors, range 8xxx.
enum class StrategyErrorCode : std::uint16_t {
  kInvalidTransition = 8001,  // e.g. start while halted (reset the kill switch first)
  kWrongStrategy = 8002,      // the input names another strategy
  kInvalidParam = 8003,       // empty key
};

struct StrategyError {
  StrategyErrorCode code = StrategyErrorCode::kInvalidTransition;
  StrategyState state = StrategyState::kStopped;
  std::string message;
};

// clang-format off
// The next state on an operator command or a kill switch; nullopt-like kStopped + error via
// the core. Rows: (state, input) -> state.
enum class StrategyInput : std::uint8_t { kStart, kStop, kReduceOnly, kHalt, kReset };
constexpr bool strategy_transition(StrategyState s, StrategyInput in, StrategyState& out) noexcept {
  using S = StrategyState;
  using I = StrategyInput;
  switch (in) {
    case I::kStart:      if (s == S::kStopped)                       { out = S::kRunning;  return true; }
                         if (s == S::kRunning)                       { out = S::kRunning;  return true; }  // idempotent
                         return false;                                // reducing / halted: reset first
    case I::kStop:       if (s == S::kHalted)                        return false;  // stays halted until reset
                         out = S::kStopped; return true;
    case I::kReduceOnly: if (s == S::kHalted)                        return false;
                         out = S::kReducing; return true;
    case I::kHalt:       out = S::kHalted; return true;
    case I::kReset:      if (s == S::kHalted || s == S::kReducing)   { out = S::kStopped; return true; }
                         out = s; return true;                        // nothing tripped: no change
  }
  return false;
}
// clang-format on

class StrategyCore {
 public:
  explicit StrategyCore(StrategyId id) noexcept : id_(id) {}

  // The events a command leads to (empty: nothing changes), or why it is refused.
  [[nodiscard]] Result<std::vector<EventPayload>, StrategyError> decide(const Command& c) const;
  // The events a kill switch on this strategy leads to.
  [[nodiscard]] Result<std::vector<EventPayload>, StrategyError> decide(
      const KillSwitchTripped& k) const;
  // Folds StrategyStateChanged and StrategyParamSet of this strategy; others are ignored.
  void apply(const EventPayload& e);

  [[nodiscard]] StrategyId id() const noexcept { return id_; }
  [[nodiscard]] StrategyState state() const noexcept { return state_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& params() const noexcept {
    return params_;
  }
  [[nodiscard]] const std::string* param(std::string_view key) const;

 private:
  [[nodiscard]] Result<std::vector<EventPayload>, StrategyError> move(StrategyInput in,
                                                                      std::string_view reason) const;
  StrategyId id_;
  StrategyState state_ = StrategyState::kStopped;
  std::vector<std::pair<std::string, std::string>> params_;  // sorted by key
};

}  // namespace oms::actors
