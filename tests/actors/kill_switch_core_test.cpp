// KillSwitchCore: each trip reason at its exact threshold, the steps of a trip in order, the
// operator's reset and what trips again after it.
#include <doctest/doctest.h>

#include "oms/cores/kill_switch_core.hpp"

using namespace oms;
using namespace oms::actors;
using namespace oms::decimal_literals;

namespace {

using Kind = KillSwitchStep::Kind;
constexpr TimeNs kSec = 1'000'000'000;

KillSwitchRules rules() {
  KillSwitchRules r;
  r.enabled = true;
  r.cancel_open_orders = true;
  r.flatten_positions = false;
  r.accounts.resize(2);
  r.strategies.resize(1);
  return r;
}

ScopeFigures loss(const char* d, std::int64_t consecutive = 0) {
  return ScopeFigures{Decimal::parse(d).value(), consecutive};
}

}  // namespace

TEST_CASE("kill switch core: daily loss trips above max_daily_loss, not at it; halted then cancel, each step once") {
  auto r = rules();
  r.accounts[1].max_daily_loss = "100"_d;
  KillSwitchCore k(r, 2, 1);
  CHECK(k.watches_figures());
  std::vector<KillSwitchStep> out;
  k.on_figures(LimitScope::kAccount, 1, loss("99.999999999"), 1 * kSec, out);
  k.on_figures(LimitScope::kAccount, 1, loss("100"), 2 * kSec, out);
  CHECK(out.empty());
  k.on_figures(LimitScope::kAccount, 0, loss("1000"), 3 * kSec, out);  // account 0: no threshold
  CHECK(out.empty());
  k.on_figures(LimitScope::kAccount, 1, loss("100.000000001"), 4 * kSec, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == KillSwitchStep{Kind::kTrip, LimitScope::kAccount, 1, TripReason::kDailyLoss,
                                 KillSwitchState::kHalted, "100.000000001"_d, "100"_d, 4 * kSec});
  CHECK(out[1] == KillSwitchStep{Kind::kCancelOpenOrders, LimitScope::kAccount, 1, TripReason::kDailyLoss,
                                 KillSwitchState::kHalted, "100.000000001"_d, "100"_d, 4 * kSec});
  CHECK(describe(out[0]) == "auto 3220 daily_loss: 100.000000001 > 100 (account 1)");
  CHECK(k.state(LimitScope::kAccount, 1) == KillSwitchState::kHalted);
  CHECK(k.trips(TripReason::kDailyLoss) == 1);
  out.clear();
  k.on_figures(LimitScope::kAccount, 1, loss("150"), 5 * kSec, out);  // halted: no second trip
  CHECK(out.empty());
}

TEST_CASE("kill switch core: consecutive losses trip at max_consecutive_losses; flatten makes it REDUCING_ONLY with a flatten step") {
  auto r = rules();
  r.flatten_positions = true;
  r.global.max_consecutive_losses = 3;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_figures(LimitScope::kGlobal, 0, loss("5", 2), 1 * kSec, out);
  CHECK(out.empty());
  k.on_figures(LimitScope::kGlobal, 0, loss("6", 3), 2 * kSec, out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].kind == Kind::kTrip);
  CHECK(out[1].kind == Kind::kCancelOpenOrders);
  CHECK(out[2].kind == Kind::kFlatten);
  for (const auto& s : out) {
    CHECK(s.reason == TripReason::kConsecutiveLosses);
    CHECK(s.state == KillSwitchState::kReducingOnly);
    CHECK(s.value == "3"_d);
    CHECK(s.limit == "3"_d);
  }
  CHECK(describe(out[0]) == "auto 3221 consecutive_losses: 3 >= 3 (global)");
}

TEST_CASE("kill switch core: a strategy scope trips to HALTED and is never flattened; cancel_open_orders false leaves the trip alone") {
  auto r = rules();
  r.flatten_positions = true;
  r.cancel_open_orders = false;
  r.strategies[0].max_daily_loss = "10"_d;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_figures(LimitScope::kStrategy, 0, loss("10.5"), 1 * kSec, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == Kind::kTrip);
  CHECK(out[0].state == KillSwitchState::kHalted);
}

TEST_CASE("kill switch core: drawdown from the day's peak PnL, not from zero; the day roll starts the peak again") {
  auto r = rules();
  r.accounts[0].max_drawdown = "50"_d;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_figures(LimitScope::kAccount, 0, loss("-120"), 1 * kSec, out);  // +120 today: the peak
  CHECK(k.peak(LimitScope::kAccount, 0) == "120"_d);
  k.on_figures(LimitScope::kAccount, 0, loss("-70"), 2 * kSec, out);   // 50 below: not above
  CHECK(out.empty());
  k.on_figures(LimitScope::kAccount, 0, loss("-80"), 3 * kSec, out);
  k.on_figures(LimitScope::kAccount, 0, loss("-69.999999999"), 4 * kSec, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == KillSwitchStep{Kind::kTrip, LimitScope::kAccount, 0, TripReason::kDrawdown,
                                 KillSwitchState::kHalted, "50.000000001"_d, "50"_d, 4 * kSec});
  CHECK(describe(out[0]) == "auto 3222 drawdown: 50.000000001 > 50 (account 0)");

  // A second account from the start of a day: a loss of 50 is a drawdown of 50 (not above).
  r.accounts[1].max_drawdown = "50"_d;
  KillSwitchCore k2(r, 2, 1);
  out.clear();
  k2.on_figures(LimitScope::kAccount, 1, loss("30"), 1 * kSec, out);
  k2.on_figures(LimitScope::kAccount, 1, loss("-10"), 2 * kSec, out);  // peak 10
  k2.roll_day();
  CHECK(k2.peak(LimitScope::kAccount, 1) == Decimal{});
  k2.on_figures(LimitScope::kAccount, 1, loss("45"), 3 * kSec, out);   // 45 below the new 0
  CHECK(out.empty());
}

TEST_CASE("kill switch core: the max_rejects-th venue reject within the window trips; older ones have left it") {
  auto r = rules();
  r.accounts[0].max_rejects = 3;
  r.accounts[0].reject_window = 10 * kSec;
  KillSwitchCore k(r, 2, 1);
  CHECK_FALSE(k.watches_figures());
  std::vector<KillSwitchStep> out;
  k.on_reject(AccountId(0), 0 * kSec, out);
  k.on_reject(AccountId(0), 5 * kSec, out);
  k.on_reject(AccountId(0), 10 * kSec, out);  // the one at 0 is 10 s old: out of the window
  CHECK(out.empty());
  k.on_reject(AccountId(1), 11 * kSec, out);  // another account: counted for it alone
  CHECK(out.empty());
  k.on_reject(AccountId(0), 14 * kSec, out);  // 5, 10, 14: three within 10 s
  REQUIRE(out.size() == 2);
  CHECK(out[0] == KillSwitchStep{Kind::kTrip, LimitScope::kAccount, 0, TripReason::kRejectRate,
                                 KillSwitchState::kHalted, "3"_d, "3"_d, 14 * kSec});
  CHECK(out[1].kind == Kind::kCancelOpenOrders);
  CHECK(k.trips(TripReason::kRejectRate) == 1);
}

TEST_CASE("kill switch core: the global reject rate counts every account's rejects") {
  auto r = rules();
  r.global.max_rejects = 2;
  r.global.reject_window = 60 * kSec;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_reject(AccountId(0), 1 * kSec, out);
  CHECK(out.empty());
  k.on_reject(AccountId(1), 2 * kSec, out);
  REQUIRE_FALSE(out.empty());
  CHECK(out[0].scope == LimitScope::kGlobal);
  CHECK(out[0].reason == TripReason::kRejectRate);
}

TEST_CASE("kill switch core: a venue ban trips its account once per ban; a longer ban after a reset trips again") {
  auto r = rules();
  r.global.venue_ban = true;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_venue_ban(AccountId(1), 100 * kSec, 1 * kSec, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == KillSwitchStep{Kind::kTrip, LimitScope::kAccount, 1, TripReason::kVenueBan,
                                 KillSwitchState::kHalted, "100"_d, Decimal{}, 1 * kSec});
  CHECK(describe(out[0]) == "auto 3224 venue_ban: banned until 100 s (account 1)");
  out.clear();
  k.on_state(LimitScope::kAccount, 1, KillSwitchState::kActive);  // the operator's reset
  k.on_venue_ban(AccountId(1), 100 * kSec, 2 * kSec, out);         // the same ban, reported again
  CHECK(out.empty());
  k.on_venue_ban(AccountId(1), 200 * kSec, 3 * kSec, out);
  CHECK(out.size() == 2);
  CHECK(k.trips(TripReason::kVenueBan) == 2);

  auto off = rules();  // venue_ban not configured: a ban trips nothing
  KillSwitchCore k2(off, 2, 1);
  out.clear();
  k2.on_venue_ban(AccountId(0), 100 * kSec, 1 * kSec, out);
  CHECK(out.empty());
}

TEST_CASE("kill switch core: after an operator's reset a loss still over waits until it clears once, then trips again") {
  auto r = rules();
  r.accounts[0].max_daily_loss = "100"_d;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_figures(LimitScope::kAccount, 0, loss("101"), 1 * kSec, out);
  CHECK(out.size() == 2);
  out.clear();
  k.on_state(LimitScope::kAccount, 0, KillSwitchState::kActive);
  k.on_figures(LimitScope::kAccount, 0, loss("130"), 2 * kSec, out);  // still over: suppressed
  CHECK(out.empty());
  CHECK(k.state(LimitScope::kAccount, 0) == KillSwitchState::kActive);
  k.on_figures(LimitScope::kAccount, 0, loss("90"), 3 * kSec, out);   // cleared
  k.on_figures(LimitScope::kAccount, 0, loss("100.5"), 4 * kSec, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].value == "100.5"_d);
  CHECK(k.trips(TripReason::kDailyLoss) == 2);
}

TEST_CASE("kill switch core: a switch an operator set is left alone; disabled rules never trip") {
  auto r = rules();
  r.accounts[0].max_daily_loss = "100"_d;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_state(LimitScope::kAccount, 0, KillSwitchState::kReducingOnly);
  k.on_figures(LimitScope::kAccount, 0, loss("500"), 1 * kSec, out);
  CHECK(out.empty());
  r.enabled = false;
  KillSwitchCore off(r, 2, 1);
  CHECK_FALSE(off.watches_figures());
  off.on_figures(LimitScope::kAccount, 0, loss("500"), 1 * kSec, out);
  off.on_reject(AccountId(0), 1, out);
  CHECK(out.empty());
}

TEST_CASE("kill switch core: several conditions at once -- daily loss is reported, the others are remembered for the reset") {
  auto r = rules();
  r.global.max_daily_loss = "100"_d;
  r.global.max_consecutive_losses = 2;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_figures(LimitScope::kGlobal, 0, loss("200", 5), 1 * kSec, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].reason == TripReason::kDailyLoss);
  out.clear();
  k.on_state(LimitScope::kGlobal, 0, KillSwitchState::kActive);
  k.on_figures(LimitScope::kGlobal, 0, loss("50", 5), 2 * kSec, out);  // loss cleared, losses hold
  CHECK(out.empty());
  k.on_figures(LimitScope::kGlobal, 0, loss("50", 0), 3 * kSec, out);  // a win: cleared
  k.on_figures(LimitScope::kGlobal, 0, loss("60", 2), 4 * kSec, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].reason == TripReason::kConsecutiveLosses);
}

TEST_CASE("kill switch core: a checkpoint continues with the same decisions (peak, suppression, reject window, trips)") {
  auto r = rules();
  r.accounts[0].max_drawdown = "10"_d;
  r.accounts[0].max_daily_loss = "100"_d;
  r.accounts[1].max_rejects = 2;
  r.accounts[1].reject_window = 10 * kSec;
  KillSwitchCore k(r, 2, 1);
  std::vector<KillSwitchStep> out;
  k.on_figures(LimitScope::kAccount, 0, loss("-50"), 1 * kSec, out);   // peak 50
  k.on_figures(LimitScope::kAccount, 0, loss("101"), 2 * kSec, out);   // trips (daily loss)
  k.on_state(LimitScope::kAccount, 0, KillSwitchState::kActive);       // reset: loss suppressed
  k.on_reject(AccountId(1), 3 * kSec, out);                            // one in the window
  Directory names;
  StateWriter w(names);
  k.save(w);
  KillSwitchCore back(r, 2, 1);
  StateReader rd(w.bytes(), names);
  back.load(rd);
  REQUIRE(rd.ok());
  StateWriter w2(names);
  back.save(w2);
  CHECK(w.bytes() == w2.bytes());
  CHECK(back.peak(LimitScope::kAccount, 0) == "50"_d);
  CHECK(back.trips(TripReason::kDailyLoss) == 1);
  std::vector<KillSwitchStep> a, b;
  for (auto* core : {&k, &back}) {
    auto& o = core == &k ? a : b;
    core->on_figures(LimitScope::kAccount, 0, loss("102"), 4 * kSec, o);  // suppressed: nothing
    core->on_reject(AccountId(1), 5 * kSec, o);                          // the second: trips
  }
  CHECK(a == b);
  REQUIRE(a.size() == 2);
  CHECK(a[0].reason == TripReason::kRejectRate);
  // Another size is refused, nothing changed.
  KillSwitchCore other(r, 3, 1);
  StateReader rd2(w.bytes(), names);
  other.load(rd2);
  CHECK_FALSE(rd2.ok());
  CHECK(other.peak(LimitScope::kAccount, 0) == Decimal{});
}
