#include "oms/cores/strategy_core.hpp"

#include <algorithm>

namespace oms::actors {

namespace {

std::string_view input_name(StrategyInput in) {
  switch (in) {
    case StrategyInput::kStart: return "start";
    case StrategyInput::kStop: return "stop";
    case StrategyInput::kReduceOnly: return "reduce-only";
    case StrategyInput::kHalt: return "halt";
    case StrategyInput::kReset: return "reset";
  }
  return "?";
}

}  // namespace

Result<std::vector<EventPayload>, StrategyError> StrategyCore::move(StrategyInput in,
                                                                   std::string_view reason) const {
  StrategyState next = state_;
  if (!strategy_transition(state_, in, next)) {
    return Unexpected(StrategyError{
        StrategyErrorCode::kInvalidTransition, state_,
        "strategy 8001: cannot " + std::string(input_name(in)) + " while " +
            std::string(enum_name(state_)) +
            (state_ == StrategyState::kHalted || state_ == StrategyState::kReducing
                 ? " (reset the kill switch first)"
                 : "")});
  }
  std::vector<EventPayload> out;
  if (next != state_) {
    StrategyStateChanged e{id_, next, {}};
    (void)e.reason.assign(reason.substr(0, std::min(reason.size(), ReasonText::kCapacity)));
    out.emplace_back(e);
  }
  return out;
}

Result<std::vector<EventPayload>, StrategyError> StrategyCore::decide(const Command& c) const {
  return std::visit(
      [&](const auto& p) -> Result<std::vector<EventPayload>, StrategyError> {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, StartStrategy> || std::is_same_v<T, StopStrategy> ||
                      std::is_same_v<T, SetStrategyParam>) {
          if (p.strategy != id_) {
            return Unexpected(StrategyError{StrategyErrorCode::kWrongStrategy, state_,
                                            "strategy 8002: command for another strategy"});
          }
        }
        if constexpr (std::is_same_v<T, StartStrategy>) {
          return move(StrategyInput::kStart, "started by operator");
        } else if constexpr (std::is_same_v<T, StopStrategy>) {
          return move(StrategyInput::kStop, p.reason.empty() ? "stopped by operator" : p.reason.view());
        } else if constexpr (std::is_same_v<T, SetStrategyParam>) {
          if (p.key.empty()) {
            return Unexpected(StrategyError{StrategyErrorCode::kInvalidParam, state_,
                                            "strategy 8003: SetStrategyParam.key is empty"});
          }
          const auto* cur = param(p.key.view());
          if (cur != nullptr && *cur == p.value.view()) return std::vector<EventPayload>{};
          return std::vector<EventPayload>{StrategyParamSet{id_, p.key, p.value}};
        } else {
          return Unexpected(StrategyError{StrategyErrorCode::kWrongStrategy, state_,
                                          "strategy 8002: not a strategy command"});
        }
      },
      c.payload);
}

Result<std::vector<EventPayload>, StrategyError> StrategyCore::decide(
    const KillSwitchTripped& k) const {
  const auto reason = k.reason.view();
  switch (k.state) {
    case KillSwitchState::kHalted: return move(StrategyInput::kHalt, reason);
    case KillSwitchState::kReducingOnly: return move(StrategyInput::kReduceOnly, reason);
    case KillSwitchState::kActive: return move(StrategyInput::kReset, reason);
  }
  return std::vector<EventPayload>{};
}

void StrategyCore::apply(const EventPayload& e) {
  if (const auto* s = std::get_if<StrategyStateChanged>(&e); s != nullptr && s->strategy == id_) {
    state_ = s->state;
  } else if (const auto* p = std::get_if<StrategyParamSet>(&e); p != nullptr && p->strategy == id_) {
    const auto key = p->key.str();
    const auto it = std::lower_bound(params_.begin(), params_.end(), key,
                                     [](const auto& kv, const std::string& k) { return kv.first < k; });
    if (it != params_.end() && it->first == key) it->second = p->value.str();
    else params_.insert(it, {key, p->value.str()});
  }
}

const std::string* StrategyCore::param(std::string_view key) const {
  const auto it = std::lower_bound(params_.begin(), params_.end(), key,
                                   [](const auto& kv, std::string_view k) { return kv.first < k; });
  return it != params_.end() && it->first == key ? &it->second : nullptr;
}

}  // namespace oms::actors
