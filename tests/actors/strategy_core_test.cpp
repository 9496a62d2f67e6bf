// StrategyCore: the lifecycle table row by row, parameters, kill switches.
#include "oms/cores/strategy_core.hpp"

#include <doctest/doctest.h>

using namespace oms;
using namespace oms::actors;

namespace {

Command cmd(CommandPayload p) { return Command{Envelope{1, 0, 0, 0, 0, 0}, p}; }

StrategyCore in_state(StrategyState s) {
  StrategyCore c(StrategyId(3));
  c.apply(StrategyStateChanged{StrategyId(3), s, {}});
  return c;
}

}  // namespace

TEST_CASE("strategy table: every (state, input) pair") {
  using S = StrategyState;
  using I = StrategyInput;
  struct Row { S from; I in; bool ok; S to; };
  // clang-format off
  const Row rows[] = {
    {S::kStopped,  I::kStart, true,  S::kRunning},  {S::kRunning,  I::kStart, true,  S::kRunning},
    {S::kStarting, I::kStart, false, S::kStarting}, {S::kReducing, I::kStart, false, S::kReducing},
    {S::kHalted,   I::kStart, false, S::kHalted},
    {S::kStopped,  I::kStop,  true,  S::kStopped},  {S::kStarting, I::kStop,  true,  S::kStopped},
    {S::kRunning,  I::kStop,  true,  S::kStopped},  {S::kReducing, I::kStop,  true,  S::kStopped},
    {S::kHalted,   I::kStop,  false, S::kHalted},
    {S::kStopped,  I::kReduceOnly, true, S::kReducing}, {S::kStarting, I::kReduceOnly, true, S::kReducing},
    {S::kRunning,  I::kReduceOnly, true, S::kReducing}, {S::kReducing, I::kReduceOnly, true, S::kReducing},
    {S::kHalted,   I::kReduceOnly, false, S::kHalted},
    {S::kStopped,  I::kHalt, true, S::kHalted}, {S::kStarting, I::kHalt, true, S::kHalted},
    {S::kRunning,  I::kHalt, true, S::kHalted}, {S::kReducing, I::kHalt, true, S::kHalted},
    {S::kHalted,   I::kHalt, true, S::kHalted},
    {S::kStopped,  I::kReset, true, S::kStopped},  {S::kStarting, I::kReset, true, S::kStarting},
    {S::kRunning,  I::kReset, true, S::kRunning},  {S::kReducing, I::kReset, true, S::kStopped},
    {S::kHalted,   I::kReset, true, S::kStopped},
  };
  // clang-format on
  CHECK(std::size(rows) == 25);  // 5 states x 5 inputs
  for (const Row& r : rows) {
    S out = r.from;
    CAPTURE(static_cast<int>(r.from));
    CAPTURE(static_cast<int>(r.in));
    CHECK(strategy_transition(r.from, r.in, out) == r.ok);
    if (r.ok) CHECK(out == r.to);
  }
}

TEST_CASE("strategy: start emits a state change, a second start emits nothing") {
  StrategyCore c(StrategyId(3));
  auto d = c.decide(cmd(StartStrategy{StrategyId(3)}));
  REQUIRE(d.ok());
  REQUIRE(d->size() == 1);
  CHECK(std::get<StrategyStateChanged>((*d)[0]).state == StrategyState::kRunning);
  c.apply((*d)[0]);
  CHECK(c.state() == StrategyState::kRunning);
  auto again = c.decide(cmd(StartStrategy{StrategyId(3)}));
  REQUIRE(again.ok());
  CHECK(again->empty());
}

TEST_CASE("strategy: start while halted is refused with 8001 until the kill switch is reset") {
  StrategyCore c = in_state(StrategyState::kHalted);
  auto d = c.decide(cmd(StartStrategy{StrategyId(3)}));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == StrategyErrorCode::kInvalidTransition);
  CHECK(d.error().message == "strategy 8001: cannot start while halted (reset the kill switch first)");
  auto reset = c.decide(KillSwitchTripped{LimitScope::kStrategy, {}, StrategyId(3), KillSwitchState::kActive, {}});
  REQUIRE(reset.ok());
  c.apply((*reset)[0]);
  CHECK(c.state() == StrategyState::kStopped);
  CHECK(c.decide(cmd(StartStrategy{StrategyId(3)})).ok());
}

TEST_CASE("strategy: parameters are recorded once, sorted, and replace older values") {
  StrategyCore c(StrategyId(3));
  SetStrategyParam p{StrategyId(3), "min_edge", "0.5"};
  auto d = c.decide(cmd(p));
  REQUIRE(d.ok());
  REQUIRE(d->size() == 1);
  c.apply((*d)[0]);
  CHECK(c.decide(cmd(p))->empty());  // same value: nothing to record
  c.apply(StrategyParamSet{StrategyId(3), "clip", "2"});
  c.apply(StrategyParamSet{StrategyId(3), "min_edge", "0.7"});
  REQUIRE(c.params().size() == 2);
  CHECK(c.params()[0].first == "clip");
  CHECK(*c.param("min_edge") == "0.7");
  auto empty = c.decide(cmd(SetStrategyParam{StrategyId(3), "", "1"}));
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == StrategyErrorCode::kInvalidParam);
}

TEST_CASE("strategy: a command for another strategy is refused (8002) and changes nothing") {
  StrategyCore c(StrategyId(3));
  auto d = c.decide(cmd(StartStrategy{StrategyId(4)}));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == StrategyErrorCode::kWrongStrategy);
  CHECK(c.state() == StrategyState::kStopped);
}
