// ExecAlgo: the schedule (slice times, cumulative targets, lot rounding with nothing lost, VWAP
// weights over curve buckets), the slices it sends (catch-up bound, participation cap, limit
// price, minimums), its children's ends (filled, average price, completed / failed), the
// operator's controls, and an algo resumed from its recorded step deciding as the one that ran.
#include "oms/cores/exec_algo.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "oms/messages/client_order_id.hpp"

using namespace oms;
using namespace oms::actors;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }
constexpr TimeNs kSec = 1'000'000'000;
constexpr TimeNs kStart = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC
constexpr std::uint16_t kDesk = 3;
const StrategyId kStrategy(1);
const AccountId kAccount(2);
const InstrumentId kInstrument(0);
const AlgoRules kRules{d("0.01"), d("0.001"), d("0.001"), d("5")};

SubmitAlgo twap(const char* qty, std::uint32_t slices, TimeNs span = 60 * kSec) {
  SubmitAlgo c;
  c.account = kAccount;
  c.strategy = kStrategy;
  c.instrument = kInstrument;
  c.kind = AlgoKind::kTwap;
  c.side = Side::kBuy;
  c.quantity = d(qty);
  c.start = kStart;
  c.end = kStart + span;
  c.slices = slices;
  return c;
}

VolumeCurveWeights curve(std::initializer_list<std::uint32_t> w) {
  VolumeCurveWeights c;
  for (auto x : w) c.items[c.count++] = x;
  return c;
}

ExecAlgo make(const SubmitAlgo& c, const VolumeCurveWeights& w = {}) {
  auto a = ExecAlgo::make(c, 7, w, kRules);
  REQUIRE(a.ok());
  return *a;
}

std::string id(std::uint64_t sequence) {
  return format_client_order_id(ClientOrderId{kDesk, kAccount, kStrategy, sequence})->str();
}

struct World {
  std::uint64_t sequence = 0;
  AlgoContext ctx(const char* bid = "59999.99", const char* ask = "60000.00") {
    AlgoContext c;
    c.desk = kDesk;
    c.sequence = &sequence;
    c.bid = d(bid);
    c.ask = d(ask);
    return c;
  }
};

AlgoFill filled(const char* qty, const char* price = "0") {
  return AlgoFill{d(qty), static_cast<Int128>(d(qty).raw()) * d(price).raw()};
}

void check_child(const QuoteAction& a, std::uint64_t seq, Side side, const char* qty, const char* price) {
  CHECK(a.kind == QuoteAction::Kind::kPlace);
  CHECK(a.order.client_order_id.str() == id(seq));
  CHECK(a.order.account == kAccount);
  CHECK(a.order.strategy == kStrategy);
  CHECK(a.order.instrument == kInstrument);
  CHECK(a.order.side == side);
  CHECK(a.order.order_type == OrderType::kLimit);
  CHECK(a.order.tif == TimeInForce::kIoc);
  CHECK(a.order.quantity == d(qty));
  CHECK(a.order.price == d(price));
}

}  // namespace

TEST_CASE("twap schedule: slice times floored, lots spread by the running sum, the last slice ends exactly") {
  const ExecAlgo a = make(twap("0.010", 3));
  CHECK(a.slice_time(0) == kStart);
  CHECK(a.slice_time(1) == kStart + 20 * kSec);
  CHECK(a.slice_time(2) == kStart + 40 * kSec);
  CHECK(a.target_through(0) == d("0.003"));
  CHECK(a.target_through(1) == d("0.006"));
  CHECK(a.target_through(2) == d("0.010"));

  // 10 lots over 7 slices: floor(10 k / 7) = 1 2 4 5 7 8 10 -> slices 1 1 2 1 2 1 2.
  const ExecAlgo b = make(twap("0.010", 7, 1000));
  const char* want[] = {"0.001", "0.002", "0.004", "0.005", "0.007", "0.008", "0.010"};
  const TimeNs times[] = {0, 142, 285, 428, 571, 714, 857};
  for (std::uint32_t k = 0; k < 7; ++k) {
    CAPTURE(k);
    CHECK(b.target_through(k) == d(want[k]));
    CHECK(b.slice_time(k) == kStart + times[k]);
  }
  CHECK(b.step().state == AlgoState::kRunning);
  CHECK(b.step().number == 1);
  CHECK(b.next_due() == kStart);
}

TEST_CASE("vwap schedule: slice weights are the curve's share of each slice") {
  SubmitAlgo c = twap("0.016", 4);
  c.kind = AlgoKind::kVwap;
  // Buckets [0, 30 s) weight 1, [30, 60 s) weight 3: slices 2 2 6 6 of 16.
  const ExecAlgo a = make(c, curve({1, 3}));
  CHECK(a.target_through(0) == d("0.002"));
  CHECK(a.target_through(1) == d("0.004"));
  CHECK(a.target_through(2) == d("0.010"));
  CHECK(a.target_through(3) == d("0.016"));
  // Three slices over two buckets: the middle slice is half in each: 2, 1 + 3, 6 of 12.
  c.quantity = d("0.010");
  c.slices = 3;
  const ExecAlgo b = make(c, curve({1, 3}));
  CHECK(b.target_through(0) == d("0.001"));  // 10 x 2 / 12 = 1.67 lots
  CHECK(b.target_through(1) == d("0.005"));  // 10 x 6 / 12
  CHECK(b.target_through(2) == d("0.010"));
}

TEST_CASE("a submission is checked field by field") {
  const auto err = [](SubmitAlgo c, const VolumeCurveWeights& w = {}) {
    auto a = ExecAlgo::make(c, 1, w, kRules);
    REQUIRE_FALSE(a.ok());
    return a.error();
  };
  CHECK(err(twap("0", 3)) == "quantity: 0 is not positive");
  CHECK(err(twap("0.0105", 3)) == "quantity: 0.0105 is not a multiple of the lot step 0.001");
  CHECK(err(twap("0.01", 0)) == "slices: 0 is not in 1..100000");
  CHECK(err(twap("0.01", 3, 0)) == "end: not after start");
  SubmitAlgo c = twap("0.01", 3);
  c.participation = d("1.5");
  CHECK(err(c) == "participation: 1.5 is not in 0..1");
  c = twap("0.01", 3);
  c.curve = curve({1});
  CHECK(err(c) == "curve: only for vwap");
  c = twap("0.01", 3);
  c.kind = AlgoKind::kVwap;
  CHECK(err(c, curve({0, 0})) == "curve: no volume (every weight zero)");
}

TEST_CASE("slices: a child at the far touch, the shortfall stays behind without catch-up") {
  World w;
  ExecAlgo a = make(twap("0.010", 3));
  std::vector<QuoteAction> out;
  CHECK_FALSE(a.on_timer(kStart - 1, w.ctx(), out));
  REQUIRE(a.on_timer(kStart, w.ctx(), out));
  REQUIRE(out.size() == 1);
  check_child(out[0], 1, Side::kBuy, "0.003", "60000.00");
  CHECK(a.step().number == 2);
  CHECK(a.step().slice == 1);
  CHECK(a.step().target == d("0.003"));
  CHECK(a.step().sent == d("0.003"));
  CHECK(a.step().child.str() == id(1));
  CHECK(a.step().reason.str() == "slice 1/3: 0.003 at 60000");
  CHECK_FALSE(a.next_due().has_value());  // a child is out
  out.clear();
  CHECK_FALSE(a.on_child_end(id(9), filled("0.003", "1"), kStart + 1, w.ctx(), out));
  REQUIRE(a.on_child_end(id(1), filled("0.002", "60000"), kStart + 1, w.ctx(), out));
  CHECK(out.empty());
  CHECK(a.step().filled == d("0.002"));
  CHECK(a.step().child.empty());
  CHECK(a.avg_price() == d("60000"));
  CHECK(a.next_due() == kStart + 20 * kSec);
  // Slice 2: target 0.006, 0.004 behind, but its own 0.003 only.
  REQUIRE(a.on_timer(kStart + 20 * kSec, w.ctx("60001.00", "60003.00"), out));
  REQUIRE(out.size() == 1);
  check_child(out[0], 2, Side::kBuy, "0.003", "60003.00");
  out.clear();
  REQUIRE(a.on_child_end(id(2), filled("0.003", "60003"), kStart + 20 * kSec + 5, w.ctx(), out));
  CHECK(a.step().filled == d("0.005"));
  CHECK(a.avg_price() == d("60001.8"));  // (0.002 x 60000 + 0.003 x 60003) / 0.005
  // The last slice: 0.005 behind but its own 0.004 only; it fills, 0.001 is left: failed.
  REQUIRE(a.on_timer(kStart + 40 * kSec, w.ctx(), out));
  check_child(out.at(0), 3, Side::kBuy, "0.004", "60000.00");
  out.clear();
  REQUIRE(a.on_child_end(id(3), filled("0.004", "60000"), kStart + 40 * kSec + 5, w.ctx(), out));
  CHECK(a.step().state == AlgoState::kFailed);
  CHECK(a.step().filled == d("0.009"));
  CHECK(a.step().reason.str() ==
        "child " + id(3) + " ended: 0.004 of 0.004 filled; the schedule ended with 0.001 unfilled");
  CHECK(a.done());
  CHECK_FALSE(a.next_due().has_value());
}

TEST_CASE("catch-up: a slice takes what earlier ones left, at most catch_up x its own") {
  World w;
  SubmitAlgo c = twap("0.010", 3);
  c.catch_up = d("2");
  ExecAlgo a = make(c);
  std::vector<QuoteAction> out;
  REQUIRE(a.on_timer(kStart, w.ctx(), out));
  out.clear();
  REQUIRE(a.on_child_end(id(1), filled("0"), kStart + 1, w.ctx(), out));  // nothing filled
  REQUIRE(a.on_timer(kStart + 20 * kSec, w.ctx(), out));
  check_child(out.at(0), 2, Side::kBuy, "0.006", "60000.00");  // 0.006 behind, bound 2 x 0.003
  out.clear();
  REQUIRE(a.on_child_end(id(2), filled("0.001", "60000"), kStart + 20 * kSec + 1, w.ctx(), out));
  // The last: 0.009 behind, bound 2 x 0.004 = 0.008.
  REQUIRE(a.on_timer(kStart + 40 * kSec, w.ctx(), out));
  check_child(out.at(0), 3, Side::kBuy, "0.008", "60000.00");
  out.clear();
  REQUIRE(a.on_child_end(id(3), filled("0.008", "60000"), kStart + 40 * kSec + 1, w.ctx(), out));
  CHECK(a.step().state == AlgoState::kFailed);
  CHECK(a.step().filled == d("0.009"));

  // With room to catch up all of it the algo completes.
  c.catch_up = d("3");
  ExecAlgo b = make(c);
  std::uint64_t seq = w.sequence;
  REQUIRE(b.on_timer(kStart + 40 * kSec, w.ctx(), out));  // started late: the last slice is due
  check_child(out.at(0), seq + 1, Side::kBuy, "0.010", "60000.00");  // 0.010 behind, bound 0.012
  CHECK(b.step().slice == 3);
  out.clear();
  REQUIRE(b.on_child_end(id(seq + 1), filled("0.010", "60000"), kStart + 41 * kSec, w.ctx(), out));
  CHECK(b.step().state == AlgoState::kCompleted);
  CHECK(b.step().reason.str() == "child " + id(seq + 1) + " ended: 0.01 of 0.01 filled; all 0.01 filled");
}

TEST_CASE("participation cap: a slice at most X of the volume traded since the last") {
  World w;
  SubmitAlgo c = twap("0.010", 2);
  c.participation = d("0.1");
  ExecAlgo a = make(c);
  std::vector<QuoteAction> out;
  a.on_trade(d("0.015"));
  a.on_trade(d("0.010"));
  REQUIRE(a.on_timer(kStart, w.ctx(), out));  // own 0.005, cap 0.1 x 0.025 = 0.0025 -> 0.002
  check_child(out.at(0), 1, Side::kBuy, "0.002", "60000.00");
  CHECK(a.step().reason.str() == "slice 1/2 capped at 0.1 x volume 0.025: 0.002 at 60000");
  CHECK(a.step().volume == d("0"));  // counted again from this slice
  out.clear();
  REQUIRE(a.on_child_end(id(1), filled("0.002", "60000"), kStart + 1, w.ctx(), out));
  // No volume since: the last slice sends nothing and the algo ends failed.
  REQUIRE(a.on_timer(kStart + 30 * kSec, w.ctx(), out));
  CHECK(out.empty());
  CHECK(a.step().state == AlgoState::kFailed);
  CHECK(a.step().reason.str() ==
        "slice 2/2 capped at 0.1 x volume 0: nothing to send; the schedule ended with 0.008 unfilled");
}

TEST_CASE("limit price: never buy above or sell below it; no touch: at the limit; neither: skipped") {
  World w;
  SubmitAlgo c = twap("0.010", 4);
  c.limit_price = d("59990.005");
  ExecAlgo buy = make(c);
  std::vector<QuoteAction> out;
  REQUIRE(buy.on_timer(kStart, w.ctx(), out));
  check_child(out.at(0), 1, Side::kBuy, "0.002", "59990.00");  // limit, down to the tick
  out.clear();
  REQUIRE(buy.on_child_end(id(1), filled("0"), kStart, w.ctx(), out));
  REQUIRE(buy.on_timer(kStart + 15 * kSec, w.ctx("59980.00", "59985.00"), out));
  check_child(out.at(0), 2, Side::kBuy, "0.003", "59985.00");  // the ask is under the limit
  out.clear();
  REQUIRE(buy.on_child_end(id(2), filled("0"), kStart, w.ctx(), out));
  REQUIRE(buy.on_timer(kStart + 30 * kSec, w.ctx("0", "0"), out));
  check_child(out.at(0), 3, Side::kBuy, "0.002", "59990.00");  // no touch: at the limit

  c.side = Side::kSell;
  c.limit_price = d("60010");
  ExecAlgo sell = make(c);
  out.clear();
  REQUIRE(sell.on_timer(kStart, w.ctx(), out));
  check_child(out.at(0), 4, Side::kSell, "0.002", "60010");

  c.limit_price = {};
  ExecAlgo none = make(c);
  out.clear();
  REQUIRE(none.on_timer(kStart, w.ctx("0", "0"), out));
  CHECK(out.empty());
  CHECK(none.step().slice == 1);
  CHECK(none.step().reason.str() == "slice 1/4: no price (no touch and no limit); 0.002 behind");
  CHECK(none.next_due() == kStart + 15 * kSec);
}

TEST_CASE("minimums: a child under the minimum notional is not sent, its quantity rolls") {
  World w;
  ExecAlgo a = make(twap("0.010", 10));
  std::vector<QuoteAction> out;
  REQUIRE(a.on_timer(kStart, w.ctx("1.00", "1.00"), out));  // 0.001 x 1 < 5
  CHECK(out.empty());
  CHECK(a.step().reason.str() == "slice 1/10: 0.001 x 1 under the minimum notional 5; 0.001 behind");
  CHECK(a.step().sent == d("0"));
}

TEST_CASE("pause, resume, cancel: slices due while paused go at the resume, bounded") {
  World w;
  SubmitAlgo c = twap("0.010", 3);
  c.catch_up = d("1.5");
  ExecAlgo a = make(c);
  std::vector<QuoteAction> out;
  REQUIRE(a.control(AlgoAction::kPause, kStart - 10, w.ctx(), out).ok());
  CHECK(a.step().state == AlgoState::kPaused);
  CHECK(a.step().number == 2);
  CHECK_FALSE(a.next_due().has_value());
  CHECK_FALSE(a.on_timer(kStart + 25 * kSec, w.ctx(), out));
  CHECK(a.control(AlgoAction::kPause, kStart, w.ctx(), out).error() == "algo 7 is paused: it cannot be paused");
  // Resumed in slice 2: its target 0.006, own 0.003 x 1.5 = 0.0045 -> 0.004.
  REQUIRE(a.control(AlgoAction::kResume, kStart + 25 * kSec, w.ctx(), out).ok());
  check_child(out.at(0), 1, Side::kBuy, "0.004", "60000.00");
  CHECK(a.step().slice == 2);
  CHECK(a.step().state == AlgoState::kRunning);
  out.clear();
  // Canceled with its child out: the child is cancelled, its fills still count.
  REQUIRE(a.control(AlgoAction::kCancel, kStart + 26 * kSec, w.ctx(), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == QuoteAction::Kind::kCancel);
  CHECK(out[0].cancel.client_order_id.str() == id(1));
  CHECK(a.step().state == AlgoState::kCanceled);
  CHECK_FALSE(a.done());
  CHECK(a.control(AlgoAction::kCancel, kStart, w.ctx(), out).error() ==
        "algo 7 is canceled: it cannot be canceled");
  out.clear();
  REQUIRE(a.on_child_end(id(1), filled("0.001", "60000"), kStart + 27 * kSec, w.ctx(), out));
  CHECK(out.empty());
  CHECK(a.step().state == AlgoState::kCanceled);
  CHECK(a.step().filled == d("0.001"));
  CHECK(a.done());
  CHECK_FALSE(a.on_timer(kStart + 40 * kSec, w.ctx(), out));
}

TEST_CASE("resumed from its recorded step, it decides as the one that ran on") {
  SubmitAlgo c = twap("0.050", 5);
  c.kind = AlgoKind::kVwap;
  c.catch_up = d("2");
  c.participation = d("0.5");
  World w1, w2;
  ExecAlgo live = make(c, curve({5, 1, 2}));
  std::vector<QuoteAction> out1, out2;
  live.on_trade(d("1"));
  REQUIRE(live.on_timer(kStart + 13 * kSec, w1.ctx(), out1));
  REQUIRE(live.on_child_end(id(1), filled("0.004", "60000"), kStart + 14 * kSec, w1.ctx(), out1));
  ExecAlgo resumed(live.step(), kRules);
  w2.sequence = w1.sequence;
  CHECK(resumed.step() == live.step());
  for (TimeNs t : {30 * kSec, 31 * kSec, 50 * kSec}) {
    live.on_trade(d("0.02"));
    resumed.on_trade(d("0.02"));
    out1.clear();
    out2.clear();
    CHECK(live.on_timer(kStart + t, w1.ctx(), out1) == resumed.on_timer(kStart + t, w2.ctx(), out2));
    REQUIRE(out1.size() == out2.size());
    for (std::size_t i = 0; i < out1.size(); ++i) CHECK(out1[i].order == out2[i].order);
    if (!out1.empty()) {
      const std::string child = out1[0].order.client_order_id.str();
      CHECK(live.on_child_end(child, filled("0.001", "60000"), kStart + t + 1, w1.ctx(), out1) ==
            resumed.on_child_end(child, filled("0.001", "60000"), kStart + t + 1, w2.ctx(), out2));
    }
    CHECK(live.step() == resumed.step());
  }
}
