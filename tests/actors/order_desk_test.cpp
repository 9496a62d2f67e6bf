// OrderDesk: every decision of one account, exact. A test "commits" a group the way the
// EventLog does (group event ids from the cause, a rising global sequence) and applies it.
#include "oms/cores/order_desk.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <set>
#include <vector>

#include "oms/messages/client_order_id.hpp"

using namespace oms;
using namespace oms::actors;

namespace {

constexpr TimeNs kT0 = 1'700'000'000'000'000'000;
constexpr TimeNs kAckTimeout = 5'000'000'000;

Decimal dec(const char* s) { return *Decimal::parse(s); }

InstrumentTable table() {
  std::vector<Instrument> ins(1);
  ins[0].id = InstrumentId(0);
  ins[0].symbol.base = "BTC";
  ins[0].symbol.quote = "USDT";
  ins[0].venue_symbol = "BTCUSDT";
  return *InstrumentTable::from(ins);
}

struct Fixture {
  InstrumentTable instruments = table();
  OrderDesk desk{OrderDeskConfig{AccountId(0), "acct-a", &instruments, kAckTimeout}};
  std::uint64_t seq = 0;
  std::vector<Event> journal;  // everything committed, in order

  // Commits and applies every group of a decision; returns the effects of the last one.
  DeskEffects run(const DeskDecision& d, TimeNs now = kT0) {
    DeskEffects last;
    for (const DeskGroup& g : d.groups) {
      std::vector<Event> committed;
      for (std::size_t i = 0; i < g.events.size(); ++i) {
        committed.push_back(Event{Envelope{group_event_id(g.cause.id, i, g.events.size()), ++seq,
                                           g.event_time ? g.event_time : now, now, g.cause.id,
                                           g.cause.id},
                                  g.events[i]});
      }
      journal.insert(journal.end(), committed.begin(), committed.end());
      last = desk.apply(g, committed, now);
    }
    (void)desk.finish(d);
    return last;
  }

  void fund(const char* usdt) {
    BalanceUpdated b{};
    b.account = AccountId(0);
    b.asset = "USDT";
    b.free = dec(usdt);
    run(desk.on_report(VenueReport{777, kT0, b}, kT0));
  }
};

Command submit(EventId id, const char* clid, const char* qty = "0.1", const char* price = "100") {
  SubmitOrder o{};
  o.account = AccountId(0);
  o.strategy = StrategyId(0);
  o.instrument = InstrumentId(0);
  (void)o.client_order_id.assign(clid);
  o.side = Side::kBuy;
  o.price = dec(price);
  o.quantity = dec(qty);
  return Command{Envelope{id, 0, kT0, kT0, 0, id}, o};
}

Command cancel(EventId id, const char* clid) {
  CancelOrder c{};
  c.account = AccountId(0);
  c.instrument = InstrumentId(0);
  (void)c.client_order_id.assign(clid);
  return Command{Envelope{id, 0, kT0, kT0, 0, id}, c};
}

const RiskDecision kPass{};

template <class T>
const T& as(const EventPayload& p) {
  REQUIRE(std::holds_alternative<T>(p));
  return std::get<T>(p);
}

VenueReport accepted(EventId report, const char* clid) {
  OrderAccepted a{};
  a.account = AccountId(0);
  a.instrument = InstrumentId(0);
  (void)a.client_order_id.assign(clid);
  (void)a.venue_order_id.assign("V1");
  return VenueReport{report, kT0, a};
}

VenueReport reconciled(EventId report, const char* clid, OrderStatus status, const char* venue_id) {
  OrderStatusReconciled r{};
  r.account = AccountId(0);
  r.instrument = InstrumentId(0);
  (void)r.client_order_id.assign(clid);
  (void)r.venue_order_id.assign(venue_id);
  r.status = status;
  return VenueReport{report, kT0, r};
}

VenueReport fill(EventId report, const char* clid, const char* trade, const char* qty) {
  FillReceived f{};
  f.account = AccountId(0);
  f.instrument = InstrumentId(0);
  (void)f.client_order_id.assign(clid);
  (void)f.trade_id.assign(trade);
  f.side = Side::kBuy;
  f.price = dec("100");
  f.quantity = dec(qty);
  f.fee_asset = "USDT";
  return VenueReport{report, kT0, f};
}

}  // namespace

TEST_CASE("order desk: a new order is submitted and sent in one group, locks its quote, arms its ack timer") {
  Fixture f;
  f.fund("1000");
  const Command c = submit(10, "C1");
  REQUIRE(f.desk.needs_risk(c));
  const DeskDecision d = f.desk.on_command(c, &kPass, kT0);
  REQUIRE(d.groups.size() == 1);
  const DeskGroup& g = d.groups[0];
  CHECK(g.cause.id == 10);
  REQUIRE(g.events.size() == 2);
  CHECK(as<OrderSubmitted>(g.events[0]).quantity == dec("0.1"));
  CHECK(as<OrderSendRequested>(g.events[1]).client_order_id.view() == "C1");
  REQUIRE(g.requests.size() == 1);
  CHECK(std::get<OrderSubmitted>(g.requests[0]).client_order_id.view() == "C1");
  REQUIRE(d.ack);
  CHECK(d.ack->accepted);
  CHECK(d.ack->status == OrderStatus::kSubmitted);
  CHECK(d.risk_on_failure.size() == 1);  // risk counted it open: a store refusal gives it back

  const DeskEffects fx = f.run(d);
  CHECK(f.desk.status("C1") == OrderStatus::kSubmitted);
  const Balance* usdt = f.desk.account().balance(Market::kSpot, AssetCode("USDT"));
  REQUIRE(usdt != nullptr);
  CHECK(usdt->free == dec("990"));
  CHECK(usdt->locked == dec("10"));
  REQUIRE(fx.timers.size() == 1);
  CHECK(fx.timers[0].client_order_id.view() == "C1");
  CHECK(fx.timers[0].due == kT0 + kAckTimeout);
  CHECK(fx.risk.empty());
}

TEST_CASE("order desk: deciding changes nothing; a duplicate client order id commits nothing") {
  Fixture f;
  f.fund("1000");
  const Command c = submit(10, "C1");
  const DeskDecision a = f.desk.on_command(c, &kPass, kT0);
  const DeskDecision b = f.desk.on_command(c, &kPass, kT0);
  CHECK(a.groups[0].events == b.groups[0].events);
  CHECK(f.desk.status("C1") == std::nullopt);
  f.run(a);
  CHECK_FALSE(f.desk.needs_risk(submit(11, "C1")));
  const DeskDecision dup = f.desk.on_command(submit(11, "C1"), nullptr, kT0);
  CHECK(dup.groups.empty());
  REQUIRE(dup.ack);
  CHECK(dup.ack->accepted);
  CHECK(dup.ack->duplicate);
  CHECK(dup.ack->status == OrderStatus::kSubmitted);
}

TEST_CASE("order desk: a risk refusal is recorded as submitted, breached, rejected") {
  Fixture f;
  f.fund("1000");
  RiskDecision no{};
  no.code = RiskCode::kOrderNotional;
  no.scope = LimitScope::kAccount;
  no.value = dec("10");
  no.limit = dec("5");
  const DeskDecision d = f.desk.on_command(submit(10, "C1"), &no, kT0);
  REQUIRE(d.groups.size() == 1);
  REQUIRE(d.groups[0].events.size() == 3);
  CHECK(std::holds_alternative<OrderSubmitted>(d.groups[0].events[0]));
  CHECK(as<RiskBreached>(d.groups[0].events[1]).code == static_cast<std::uint16_t>(RiskCode::kOrderNotional));
  CHECK(as<OrderRejected>(d.groups[0].events[2]).code == static_cast<std::uint16_t>(RiskCode::kOrderNotional));
  CHECK(d.groups[0].requests.empty());
  CHECK(d.risk_on_failure.empty());  // risk never counted it open
  REQUIRE(d.ack);
  CHECK_FALSE(d.ack->accepted);
  CHECK(d.ack->status == OrderStatus::kRejected);
  const DeskEffects fx = f.run(d);
  CHECK(f.desk.status("C1") == OrderStatus::kRejected);
  CHECK(fx.timers.empty());
  CHECK(f.desk.account().balance(Market::kSpot, AssetCode("USDT"))->free == dec("1000"));
}

TEST_CASE("order desk: an order the free balance cannot cover is rejected (7001) and risk gets its slot back") {
  Fixture f;
  f.fund("5");
  const DeskDecision d = f.desk.on_command(submit(10, "C1"), &kPass, kT0);
  REQUIRE(d.groups.size() == 1);
  REQUIRE(d.groups[0].events.size() == 2);
  const auto& rej = as<OrderRejected>(d.groups[0].events[1]);
  CHECK(rej.code == 7001);
  CHECK(std::string(rej.reason.view()).find("USDT") != std::string::npos);
  REQUIRE(d.groups[0].risk.size() == 1);
  CHECK(d.groups[0].risk[0].kind == RiskNote::Kind::kOrderClosed);
  CHECK(d.ack->code == 7001);
  const DeskEffects fx = f.run(d);
  CHECK(fx.risk.size() == 1);
  CHECK(f.desk.status("C1") == OrderStatus::kRejected);
  CHECK(f.desk.account().balance(Market::kSpot, AssetCode("USDT"))->free == dec("5"));
}

TEST_CASE("order desk: the ack timer records the timeout and queries; a timer of an older generation is moot") {
  Fixture f;
  f.fund("1000");
  const DeskEffects sent = f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  REQUIRE(sent.timers.size() == 1);
  const OrderTimer timer = sent.timers[0];

  SUBCASE("no answer: unknown, asked for, timer again") {
    const DeskDecision d = f.desk.on_timer(timer, timer.due);
    REQUIRE(d.groups.size() == 1);
    REQUIRE(d.groups[0].events.size() == 1);
    CHECK(std::holds_alternative<OrderAckTimedOut>(d.groups[0].events[0]));
    REQUIRE(d.groups[0].requests.size() == 1);
    CHECK(std::get<OrderQuery>(d.groups[0].requests[0]).client_order_id.view() == "C1");
    // The same timer decided again derives the same cause (a restart stores it once).
    CHECK(f.desk.on_timer(timer, timer.due + 1).groups[0].cause.id == d.groups[0].cause.id);
    const DeskEffects fx = f.run(d, timer.due);
    CHECK(f.desk.status("C1") == OrderStatus::kUnknown);
    REQUIRE(fx.timers.size() == 1);
    CHECK(fx.timers[0].due == timer.due + kAckTimeout);
    CHECK(f.desk.on_timer(timer, timer.due).groups.empty());  // the old one is moot now
    // The venue stays silent: each next wait doubles, up to 16 ack timeouts.
    OrderTimer next = fx.timers[0];
    for (const TimeNs factor : {2, 4, 8, 16, 16}) {
      const DeskEffects again = f.run(f.desk.on_timer(next, next.due), next.due);
      REQUIRE(again.timers.size() == 1);
      CHECK(again.timers[0].due == next.due + factor * kAckTimeout);
      next = again.timers[0];
    }
    // An answer from the venue ends the row: the next request's timer is one ack timeout again.
    f.run(f.desk.on_report(accepted(500, "C1"), next.due), next.due);
    const DeskEffects cancel_fx = f.run(f.desk.on_command(cancel(11, "C1"), nullptr, next.due), next.due);
    REQUIRE(cancel_fx.timers.size() == 1);
    CHECK(cancel_fx.timers[0].due == next.due + kAckTimeout);
  }
  SUBCASE("the venue answered first: the timer is moot") {
    f.run(f.desk.on_report(accepted(500, "C1"), kT0));
    CHECK(f.desk.status("C1") == OrderStatus::kAccepted);
    CHECK(f.desk.on_timer(timer, timer.due).groups.empty());
  }
}

TEST_CASE("order desk: cancel requests are recorded and sent; unknown and ended orders answer without one") {
  Fixture f;
  f.fund("1000");
  f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  f.run(f.desk.on_report(accepted(500, "C1"), kT0));

  const DeskDecision unknown = f.desk.on_command(cancel(11, "nope"), nullptr, kT0);
  CHECK(unknown.groups.empty());
  CHECK(unknown.ack->code == 3007);

  const DeskDecision d = f.desk.on_command(cancel(12, "C1"), nullptr, kT0);
  REQUIRE(d.groups.size() == 1);
  CHECK(std::holds_alternative<OrderCancelRequested>(d.groups[0].events.at(0)));
  CHECK(std::holds_alternative<CancelOrder>(d.groups[0].requests.at(0)));
  CHECK(d.ack->status == OrderStatus::kPendingCancel);
  const DeskEffects fx = f.run(d);
  CHECK(f.desk.status("C1") == OrderStatus::kPendingCancel);
  CHECK(fx.timers.size() == 1);

  OrderCanceled x{};
  x.account = AccountId(0);
  x.instrument = InstrumentId(0);
  (void)x.client_order_id.assign("C1");
  f.run(f.desk.on_report(VenueReport{501, kT0, x}, kT0));
  CHECK(f.desk.status("C1") == OrderStatus::kCanceled);
  CHECK(f.desk.account().balance(Market::kSpot, AssetCode("USDT"))->free == dec("1000"));
  const DeskDecision again = f.desk.on_command(cancel(13, "C1"), nullptr, kT0);
  CHECK(again.groups.empty());
  CHECK(again.ack->duplicate);
}

TEST_CASE("order desk: cancel-all makes one group per live order, each with its own cause") {
  Fixture f;
  f.fund("1000");
  f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  f.run(f.desk.on_command(submit(11, "C2"), &kPass, kT0));
  f.run(f.desk.on_command(submit(12, "C3"), &kPass, kT0));
  f.run(f.desk.on_report(fill(600, "C3", "t1", "0.1"), kT0));  // ended: not canceled
  CancelAllOrders all{};
  all.account = AccountId(0);
  const DeskDecision d = f.desk.on_command(Command{Envelope{20, 0, kT0, kT0, 0, 20}, all}, nullptr, kT0);
  REQUIRE(d.groups.size() == 2);
  CHECK(d.groups[0].cause.id != d.groups[1].cause.id);
  CHECK(d.ack->message == "2 cancels sent");
}

TEST_CASE("order desk: a report delivered twice is committed once; a fill moves risk and ends the order") {
  Fixture f;
  f.fund("1000");
  f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  // The venue's fill names the order only; the committed fill carries the order's strategy.
  const DeskDecision first = f.desk.on_report(fill(600, "C1", "t1", "0.1"), kT0);
  REQUIRE(first.groups.size() == 1);
  CHECK(as<FillReceived>(first.groups[0].events.at(0)).strategy == StrategyId(0));
  const DeskEffects fx = f.run(first);
  CHECK(f.desk.status("C1") == OrderStatus::kFilled);
  REQUIRE(fx.risk.size() == 2);
  CHECK(fx.risk[0].kind == RiskNote::Kind::kFill);
  CHECK(fx.risk[0].fill.quantity == dec("0.1"));
  CHECK(fx.risk[1].kind == RiskNote::Kind::kOrderClosed);
  const DeskDecision again = f.desk.on_report(fill(600, "C1", "t1", "0.1"), kT0);
  CHECK(again.groups.empty());
  CHECK(again.note == ReportNote::kDuplicate);
  // The same trade under another report id: the order core counts it once.
  const DeskDecision other = f.desk.on_report(fill(601, "C1", "t1", "0.1"), kT0);
  CHECK(other.groups.empty());
  CHECK(other.note == ReportNote::kIgnored);
  CHECK(f.desk.on_report(fill(602, "zz", "t9", "0.1"), kT0).note == ReportNote::kUnmatched);
}

TEST_CASE("order desk: an unanswered order the venue does not know is in doubt until its time to live; then rejected; a fill after that is kept") {
  constexpr TimeNs kTtl = 60'000'000'000;
  Fixture f;
  f.desk = OrderDesk(OrderDeskConfig{AccountId(0), "acct-a", &f.instruments, kAckTimeout, kTtl});
  f.fund("1000");
  const DeskEffects sent = f.run(f.desk.on_command(submit(10, "C1", "0.1"), &kPass, kT0));
  REQUIRE(sent.timers.size() == 1);
  // No answer (the send timed out at the venue, -1007): the ack timer asks.
  DeskEffects fx = f.run(f.desk.on_timer(sent.timers[0], sent.timers[0].due), sent.timers[0].due);
  CHECK(f.desk.status("C1") == OrderStatus::kUnknown);
  REQUIRE(fx.timers.size() == 1);
  const std::size_t committed = f.journal.size();

  // "Order does not exist" within the time to live: nothing committed, asked again later.
  const TimeNs early = kT0 + 10'000'000'000;
  const DeskDecision doubt = f.desk.on_report(reconciled(600, "C1", OrderStatus::kRejected, ""), early);
  CHECK(doubt.note == ReportNote::kInDoubt);
  CHECK(doubt.detail == "order C1 unknown to the venue 10000 ms after it was submitted: in doubt for 50000 ms more");
  REQUIRE(doubt.groups.size() == 1);
  CHECK(doubt.groups[0].events.empty());
  CHECK(doubt.groups[0].requests.empty());
  fx = f.run(doubt, early);
  CHECK(f.journal.size() == committed);
  CHECK(f.desk.status("C1") == OrderStatus::kUnknown);
  REQUIRE(fx.timers.size() == 1);  // the timer runs again, with the backoff so far
  CHECK(fx.timers[0].due == early + kAckTimeout);

  SUBCASE("the order executes while in doubt: filled, as if nothing had happened") {
    f.run(f.desk.on_report(fill(601, "C1", "T1", "0.1"), early + 1), early + 1);
    CHECK(f.desk.status("C1") == OrderStatus::kFilled);
  }
  SUBCASE("past its time to live the same answer rejects it; a fill that still comes is kept") {
    const TimeNs late = kT0 + kTtl;
    const DeskDecision end = f.desk.on_report(reconciled(602, "C1", OrderStatus::kRejected, ""), late);
    CHECK(end.note == ReportNote::kNone);
    REQUIRE(end.groups.size() == 1);
    CHECK(std::holds_alternative<OrderStatusReconciled>(end.groups[0].events.at(0)));
    f.run(end, late);
    CHECK(f.desk.status("C1") == OrderStatus::kRejected);
    const DeskDecision fill_late = f.desk.on_report(fill(603, "C1", "T1", "0.04"), late + 5);
    CHECK(fill_late.note == ReportNote::kNone);
    REQUIRE(fill_late.groups.size() == 1);
    const DeskEffects back = f.run(fill_late, late + 5);
    CHECK(f.desk.status("C1") == OrderStatus::kPartiallyFilled);
    // Risk hears the fill and counts the order open again; its end gives the slot back.
    REQUIRE(back.risk.size() == 2);
    CHECK(back.risk[0].kind == RiskNote::Kind::kFill);
    CHECK(back.risk[1].kind == RiskNote::Kind::kOrderOpened);
    const auto fills = f.desk.view().recent_fills;
    REQUIRE_FALSE(fills.empty());
    CHECK(fills.back().trade_id.view() == "T1");
    CHECK(fills.back().quantity == dec("0.04"));
    const DeskEffects rest = f.run(f.desk.on_report(fill(604, "C1", "T2", "0.06"), late + 6), late + 6);
    CHECK(f.desk.status("C1") == OrderStatus::kFilled);
    REQUIRE(rest.risk.size() == 2);
    CHECK(rest.risk[1].kind == RiskNote::Kind::kOrderClosed);
  }
  SUBCASE("an in-doubt rule of zero: the first such answer rejects it") {
    Fixture g;
    g.fund("1000");
    const DeskEffects s2 = g.run(g.desk.on_command(submit(10, "C1", "0.1"), &kPass, kT0));
    g.run(g.desk.on_timer(s2.timers[0], s2.timers[0].due), s2.timers[0].due);
    const DeskDecision end = g.desk.on_report(reconciled(600, "C1", OrderStatus::kRejected, ""), early);
    CHECK(end.note == ReportNote::kNone);
    g.run(end, early);
    CHECK(g.desk.status("C1") == OrderStatus::kRejected);
  }
}

TEST_CASE("order desk: an end told again by another source (REST answer, stream, a query's answer) is ignored; another end or a larger quantity is refused") {
  Fixture f;
  f.fund("1000");
  f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  f.run(f.desk.on_report(accepted(500, "C1"), kT0));
  const auto expired = [](EventId report) {
    OrderExpired e{};
    e.account = AccountId(0);
    e.instrument = InstrumentId(0);
    (void)e.client_order_id.assign("C1");
    return VenueReport{report, kT0, e};
  };
  f.run(f.desk.on_report(expired(501), kT0));
  CHECK(f.desk.status("C1") == OrderStatus::kExpired);
  // The same end from the other source, under its own report id: nothing to commit, no refusal.
  const DeskDecision again = f.desk.on_report(expired(502), kT0);
  CHECK(again.groups.empty());
  CHECK(again.note == ReportNote::kIgnored);
  CHECK(again.detail == "report 502: order already expired");
  // A status query's answer that came after the end (the query was asked while the order
  // waited): the same end, nothing new -- ignored, not a refusal.
  const DeskDecision answer = f.desk.on_report(reconciled(504, "C1", OrderStatus::kExpired, "V1"), kT0);
  CHECK(answer.groups.empty());
  CHECK(answer.note == ReportNote::kIgnored);
  CHECK(answer.detail == "report 504: order already expired");
  // The same end with a quantity the order does not know (a fill missed): news, refused loudly.
  VenueReport more = reconciled(505, "C1", OrderStatus::kExpired, "V1");
  std::get<OrderStatusReconciled>(more.payload).cum_qty = dec("0.05");
  const DeskDecision news = f.desk.on_report(more, kT0);
  CHECK(news.groups.empty());
  CHECK(news.note == ReportNote::kRefusedByOrder);
  // A different end for an ended order is a contradiction the order core refuses, said loudly.
  OrderCanceled c{};
  c.account = AccountId(0);
  c.instrument = InstrumentId(0);
  (void)c.client_order_id.assign("C1");
  const DeskDecision other = f.desk.on_report(VenueReport{503, kT0, c}, kT0);
  CHECK(other.groups.empty());
  CHECK(other.note == ReportNote::kRefusedByOrder);
  CHECK(f.desk.status("C1") == OrderStatus::kExpired);
}

TEST_CASE("order desk: after a restart an unanswered order is marked unknown, resent when the venue lacks it, and the answer after the resend ends the reconciliation") {
  Fixture live;
  live.fund("1000");
  live.run(live.desk.on_command(submit(10, "C1"), &kPass, kT0));
  live.run(live.desk.on_command(submit(11, "C2"), &kPass, kT0));
  live.run(live.desk.on_report(accepted(500, "C2"), kT0));

  Fixture f;  // the restarted desk, rebuilt from the journal
  for (const Event& e : live.journal) CHECK_FALSE(f.desk.apply(e).has_value());
  CHECK(f.desk.status("C1") == OrderStatus::kSubmitted);
  const DeskDecision r = f.desk.on_reconcile(kT0);
  REQUIRE(r.groups.size() == 2);
  CHECK(r.groups[0].events.size() == 1);  // C1 (first submitted): unknown until the venue says
  CHECK(std::holds_alternative<OrderAckTimedOut>(r.groups[0].events[0]));
  CHECK(std::get<OrderQuery>(r.groups[0].requests.at(0)).client_order_id.view() == "C1");
  CHECK(r.groups[1].events.empty());  // C2 was accepted: just asked for
  CHECK(r.reconciling.size() == 2);
  f.seq = live.seq;
  f.run(r);
  CHECK(f.desk.reconciling());
  CHECK(f.desk.status("C1") == OrderStatus::kUnknown);

  // The venue does not know C1: send it again, then ask again.
  const DeskDecision lacks = f.desk.on_report(reconciled(700, "C1", OrderStatus::kRejected, ""), kT0);
  REQUIRE(lacks.groups.size() == 1);
  CHECK(lacks.groups[0].events.empty());
  REQUIRE(lacks.groups[0].requests.size() == 2);
  CHECK(std::get<OrderSubmitted>(lacks.groups[0].requests[0]).client_order_id.view() == "C1");
  CHECK(std::holds_alternative<OrderQuery>(lacks.groups[0].requests[1]));
  CHECK_FALSE(lacks.reconciled);
  f.run(lacks);
  CHECK(f.desk.reconciling_count() == 2);
  f.run(f.desk.on_report(reconciled(701, "C2", OrderStatus::kAccepted, "V2"), kT0));
  CHECK(f.desk.reconciling_count() == 1);
  // Now the answer after the resend: it lives. That ends the reconciliation.
  const DeskDecision lives = f.desk.on_report(reconciled(702, "C1", OrderStatus::kAccepted, "V1"), kT0);
  REQUIRE(lives.groups.size() == 1);
  CHECK(lives.reconciled == std::string("C1"));
  f.run(lives);
  CHECK_FALSE(f.desk.reconciling());
  CHECK(f.desk.status("C1") == OrderStatus::kAccepted);
}

namespace {
Fixture busy_run();  // below: a run touching every part of the desk's state
}  // namespace

TEST_CASE("order desk: rebuilding from the journal of a live run gives the same orders, balances and positions") {
  const Fixture live = busy_run();
  Fixture rebuilt;
  for (const Event& e : live.journal) (void)rebuilt.desk.apply(e);
  const AccountView a = live.desk.view(), b = rebuilt.desk.view();
  REQUIRE(a.orders.size() == b.orders.size());
  for (std::size_t i = 0; i < a.orders.size(); ++i) {
    CHECK(a.orders[i].core == b.orders[i].core);
    CHECK(a.orders[i].events == b.orders[i].events);
  }
  CHECK(a.balances == b.balances);
  const auto& la = live.desk.account();
  const auto& ra = rebuilt.desk.account();
  CHECK(std::equal(la.open_orders().begin(), la.open_orders().end(), ra.open_orders().begin(),
                   ra.open_orders().end()));
  CHECK(a.positions.size() == b.positions.size());
  CHECK(rebuilt.desk.status("C2") == OrderStatus::kPendingCancel);
  CHECK(rebuilt.desk.status("C3") == OrderStatus::kUnknown);
}

TEST_CASE("order desk: after a restart an order the crash kept from leaving is resent only inside its time to live and after a fresh risk check; else it ends rejected with the reason") {
  constexpr TimeNs kTtl = 60'000'000'000;
  Fixture live;
  live.fund("1000");
  live.run(live.desk.on_command(submit(10, "C1"), &kPass, kT0));
  const auto restarted = [&] {
    auto f = std::make_unique<Fixture>();
    f->desk = OrderDesk(OrderDeskConfig{AccountId(0), "acct-a", &f->instruments, kAckTimeout, kTtl});
    for (const Event& e : live.journal) CHECK_FALSE(f->desk.apply(e).has_value());
    f->seq = live.seq;
    f->run(f->desk.on_reconcile(kT0));
    CHECK(f->desk.status("C1") == OrderStatus::kUnknown);
    return f;
  };
  const VenueReport lacks = reconciled(700, "C1", OrderStatus::kRejected, "");

  SUBCASE("inside its time to live, risk passes: sent again, counted open by risk") {
    auto f = restarted();
    const TimeNs now = kT0 + kTtl - 1;
    const auto sub = f->desk.resend_of(lacks, now);
    REQUIRE(sub);
    CHECK(sub->client_order_id.view() == "C1");
    const DeskDecision d = f->desk.on_report(lacks, now, &kPass);
    REQUIRE(d.groups.size() == 1);
    CHECK(d.groups[0].events.empty());
    REQUIRE(d.groups[0].requests.size() == 2);
    CHECK(std::get<OrderSubmitted>(d.groups[0].requests[0]).client_order_id.view() == "C1");
    REQUIRE(d.groups[0].opened_for_risk);
    CHECK(d.groups[0].opened_for_risk->view() == "C1");
    CHECK(d.risk_on_failure.size() == 1);
  }
  SUBCASE("inside its time to live, risk refuses at today's marks: recorded as a new order's refusal, not sent") {
    auto f = restarted();
    RiskDecision no;
    no.code = RiskCode::kPriceBand;
    const DeskDecision d = f->desk.on_report(lacks, kT0 + 1, &no);
    REQUIRE(d.groups.size() == 1);
    CHECK(d.groups[0].requests.empty());
    REQUIRE(d.groups[0].events.size() == 2);
    CHECK(std::holds_alternative<RiskBreached>(d.groups[0].events[0]));
    CHECK(as<OrderRejected>(d.groups[0].events[1]).code == static_cast<std::uint16_t>(RiskCode::kPriceBand));
    CHECK(d.reconciled == std::string("C1"));  // this answer ends its reconciliation
    f->run(d, kT0 + 1);
    CHECK(f->desk.status("C1") == OrderStatus::kRejected);
  }
  SUBCASE("past its time to live: not sent; rejected with the reason") {
    auto f = restarted();
    const TimeNs now = kT0 + kTtl;
    CHECK_FALSE(f->desk.resend_of(lacks, now));
    const DeskDecision d = f->desk.on_report(lacks, now, nullptr);
    REQUIRE(d.groups.size() == 1);
    CHECK(d.groups[0].requests.empty());
    REQUIRE(d.groups[0].events.size() == 1);
    const auto& rej = as<OrderRejected>(d.groups[0].events[0]);
    CHECK(rej.code == static_cast<std::uint16_t>(CommandCode::kResendTooLate));
    CHECK(rej.reason.view().starts_with("not resent after a restart: the venue never had it, 60000 ms"));
    f->run(d, now);
    CHECK(f->desk.status("C1") == OrderStatus::kRejected);
    CHECK_FALSE(f->desk.reconciling());
  }
}

TEST_CASE("order desk: after a restart a cancel that was committed is sent again before the status query") {
  Fixture live;
  live.fund("1000");
  live.run(live.desk.on_command(submit(10, "C1"), &kPass, kT0));
  live.run(live.desk.on_report(accepted(500, "C1"), kT0));
  live.run(live.desk.on_command(cancel(11, "C1"), nullptr, kT0));  // then the crash

  Fixture f;
  for (const Event& e : live.journal) (void)f.desk.apply(e);
  REQUIRE(f.desk.status("C1") == OrderStatus::kPendingCancel);
  const DeskDecision r = f.desk.on_reconcile(kT0);
  REQUIRE(r.groups.size() == 1);
  CHECK(r.groups[0].events.empty());
  REQUIRE(r.groups[0].requests.size() == 2);
  CHECK(std::get<CancelOrder>(r.groups[0].requests[0]).client_order_id.view() == "C1");
  CHECK(std::holds_alternative<OrderQuery>(r.groups[0].requests[1]));
}

// ---- compacted state (snapshots) and closed-order retention ---------------------------------

namespace {

Directory names_of(std::initializer_list<const char*> instruments) {
  Directory d;
  (void)d.accounts.intern("acct-a");
  (void)d.strategies.intern("arb");
  for (const char* i : instruments) (void)d.instruments.intern(i);
  return d;
}

// A live run touching every part of the desk's state: balances and locks, fills and positions,
// a cancel in flight, an unanswered order, a closed order, a strategy's own client order id.
Fixture busy_run() {
  Fixture live;
  live.fund("1000");
  live.run(live.desk.on_command(submit(10, "C1", "0.2"), &kPass, kT0));
  live.run(live.desk.on_report(accepted(500, "C1"), kT0));
  live.run(live.desk.on_report(fill(600, "C1", "t1", "0.05"), kT0));
  live.run(live.desk.on_command(submit(11, "C2"), &kPass, kT0));
  live.run(live.desk.on_command(cancel(12, "C2"), nullptr, kT0));
  const auto own = format_client_order_id(ClientOrderId{3, AccountId(0), StrategyId(0), 41});
  live.run(live.desk.on_command(submit(13, own->str().c_str()), &kPass, kT0));
  live.run(live.desk.on_report(fill(601, own->str().c_str(), "t2", "0.1"), kT0 + 1000));
  const auto timers = live.run(live.desk.on_command(submit(14, "C3"), &kPass, kT0)).timers;
  live.run(live.desk.on_timer(timers.at(0), timers.at(0).due));
  live.run(live.desk.on_report(fill(602, "C1", "t3", "0.15"), kT0 + 2000));
  return live;
}

}  // namespace

TEST_CASE("desk state: saved at any point of a run and loaded, then fed the rest, it equals the desk rebuilt from the whole journal") {
  const Fixture live = busy_run();
  const Directory names = names_of({"binance:spot:BTC/USDT"});
  Fixture whole;
  for (const Event& e : live.journal) (void)whole.desk.apply(e);
  CHECK(whole.desk.last_strategy_sequence(3) == 41);
  for (std::size_t cut = 0; cut <= live.journal.size(); ++cut) {
    CAPTURE(cut);
    Fixture before;
    for (std::size_t i = 0; i < cut; ++i) (void)before.desk.apply(live.journal[i]);
    const std::string bytes = before.desk.save(names);
    Fixture after;
    const auto error = after.desk.load(bytes, names);
    REQUIRE_FALSE(error.has_value());
    CHECK(after.desk == before.desk);
    CHECK(after.desk.save(names) == bytes);  // the same state saves to the same bytes
    for (std::size_t i = cut; i < live.journal.size(); ++i) (void)after.desk.apply(live.journal[i]);
    CHECK(after.desk == whole.desk);
  }
  // What a view shows comes back too.
  Fixture loaded;
  REQUIRE_FALSE(loaded.desk.load(whole.desk.save(names), names).has_value());
  const AccountView a = whole.desk.view(), b = loaded.desk.view();
  CHECK(a.balances == b.balances);
  CHECK(a.recent_fills.size() == 3);
  CHECK(b.recent_fills.size() == 3);
  CHECK(loaded.desk.status("C2") == OrderStatus::kPendingCancel);
  CHECK(loaded.desk.status("C3") == OrderStatus::kUnknown);
  CHECK(loaded.desk.last_strategy_sequence(3) == 41);
  // A report delivered again after the load is still recognised.
  CHECK(loaded.desk.on_report(fill(602, "C1", "t3", "0.15"), kT0).note == ReportNote::kDuplicate);
}

TEST_CASE("desk state: ids are mapped by name, so a state loads under a configuration that numbers instruments otherwise") {
  const Fixture live = busy_run();
  const std::string bytes = live.desk.save(names_of({"binance:spot:BTC/USDT"}));

  // The new configuration put ETH/USDT first: BTC/USDT is instrument 1 now.
  std::vector<Instrument> ins(2);
  ins[0].id = InstrumentId(0);
  ins[0].symbol.base = "ETH";
  ins[0].symbol.quote = "USDT";
  ins[0].venue_symbol = "ETHUSDT";
  ins[1].id = InstrumentId(1);
  ins[1].symbol.base = "BTC";
  ins[1].symbol.quote = "USDT";
  ins[1].venue_symbol = "BTCUSDT";
  const InstrumentTable table2 = *InstrumentTable::from(ins);
  OrderDesk desk(OrderDeskConfig{AccountId(0), "acct-a", &table2, kAckTimeout});
  REQUIRE_FALSE(desk.load(bytes, names_of({"binance:spot:ETH/USDT", "binance:spot:BTC/USDT"})).has_value());
  REQUIRE(desk.order("C1") != nullptr);
  CHECK(desk.order("C1")->instrument() == InstrumentId(1));
  CHECK(desk.order("C1")->cum_qty() == dec("0.2"));
  REQUIRE(desk.account().open_orders().size() == live.desk.account().open_orders().size());
  for (const auto& lock : desk.account().open_orders()) CHECK(lock.instrument == InstrumentId(1));
  REQUIRE(desk.positions().net(AccountId(0), InstrumentId(1)) != nullptr);
  CHECK(desk.positions().net(AccountId(0), InstrumentId(1))->position ==
        live.desk.positions().net(AccountId(0), InstrumentId(0))->position);
  CHECK(desk.positions().net(AccountId(0), InstrumentId(0)) == nullptr);
}

TEST_CASE("desk state: a name the configuration lacks, another version, damaged bytes -- an error naming what, and the desk unchanged") {
  const Fixture live = busy_run();
  const Directory names = names_of({"binance:spot:BTC/USDT"});
  const std::string bytes = live.desk.save(names);
  Fixture f;
  f.fund("5");
  const std::string untouched = f.desk.save(names);

  const auto missing = f.desk.load(bytes, names_of({"binance:spot:SOL/USDT"}));
  REQUIRE(missing.has_value());
  CHECK_MESSAGE(missing->find("instrument 'binance:spot:BTC/USDT' is not in the configuration") !=
                    std::string::npos, *missing);
  CHECK(f.desk.save(names) == untouched);

  // The version follows the three name tables.
  std::string other = bytes;
  const std::size_t version_at = other.find("binance:spot:BTC/USDT") + std::strlen("binance:spot:BTC/USDT");
  other[version_at] = 9;
  const auto version = f.desk.load(other, names);
  REQUIRE(version.has_value());
  CHECK(*version == "desk state version 9, this build reads " +
                     std::to_string(OrderDesk::kStateVersion));

  // Cut anywhere: never loads, never crashes, never changes the desk.
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    CAPTURE(n);
    const auto cut = f.desk.load(std::string_view(bytes).substr(0, n), names);
    REQUIRE(cut.has_value());
  }
  const auto longer = f.desk.load(bytes + "x", names);
  REQUIRE(longer.has_value());
  CHECK(*longer == "1 bytes after the state");
  CHECK(f.desk.save(names) == untouched);
}

TEST_CASE("closed orders leave memory after the retention; their ids stay recognised; live ones and ones owed fills stay") {
  Fixture f;
  f.fund("1000");
  f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  f.run(f.desk.on_report(fill(600, "C1", "t1", "0.1"), kT0));  // filled at kT0
  f.run(f.desk.on_command(submit(11, "C2"), &kPass, kT0));       // stays open
  f.run(f.desk.on_command(submit(12, "C3"), &kPass, kT0));
  // The venue says C3 filled 0.1 but its fill has not arrived: it is owed a fill.
  VenueReport owed = reconciled(601, "C3", OrderStatus::kFilled, "V3");
  std::get<OrderStatusReconciled>(owed.payload).cum_qty = dec("0.1");
  f.run(f.desk.on_report(owed, kT0));
  REQUIRE(f.desk.order("C3")->fill_gap() == dec("0.1"));
  REQUIRE(f.desk.status("C3") == OrderStatus::kFilled);
  constexpr TimeNs kRetention = 60'000'000'000;

  CHECK(f.desk.retire_closed(kT0 + kRetention - 1, kRetention) == 0);
  CHECK(f.desk.retire_closed(kT0 + kRetention, kRetention) == 1);
  CHECK(f.desk.order_count() == 2);
  CHECK_FALSE(f.desk.status("C1").has_value());
  CHECK(f.desk.retired("C1"));
  CHECK_FALSE(f.desk.retired("C2"));
  // A retry of the command, a new command reusing the id, a cancel: refused, nothing committed.
  for (const Command& c : {submit(10, "C1"), submit(99, "C1")}) {
    CHECK_FALSE(f.desk.needs_risk(c));
    const DeskDecision d = f.desk.on_command(c, &kPass, kT0);
    CHECK(d.groups.empty());
    REQUIRE(d.ack);
    CHECK(d.ack->code == static_cast<std::uint16_t>(CommandCode::kOrderRetired));
  }
  const DeskDecision c = f.desk.on_command(cancel(98, "C1"), nullptr, kT0);
  CHECK(c.groups.empty());
  CHECK(c.ack->code == static_cast<std::uint16_t>(CommandCode::kOrderRetired));
  // A late copy of one of its reports under a new id: ignored, not "unmatched".
  CHECK(f.desk.on_report(fill(700, "C1", "t1", "0.1"), kT0).note == ReportNote::kIgnored);

  // C3's fill arrives: it has everything now and leaves one retention later.
  f.run(f.desk.on_report(fill(602, "C3", "t3", "0.1"), kT0 + 1));
  CHECK(f.desk.retire_closed(kT0 + 2 * kRetention - 1, kRetention) == 0);
  CHECK(f.desk.retire_closed(kT0 + 2 * kRetention, kRetention) == 1);
  CHECK(f.desk.order_count() == 1);
  CHECK(f.desk.status("C2") == OrderStatus::kSubmitted);
  // Balances and positions keep what the retired orders did.
  CHECK(f.desk.positions().net(AccountId(0), InstrumentId(0))->position.size == dec("0.2"));

  // The retirement survives a snapshot.
  const Directory names = names_of({"binance:spot:BTC/USDT"});
  Fixture loaded;
  REQUIRE_FALSE(loaded.desk.load(f.desk.save(names), names).has_value());
  CHECK(loaded.desk.retired("C1"));
  CHECK(loaded.desk.order_count() == 1);
}

TEST_CASE("recent groups: the flat window answers as a plain ring and set would, across evictions and probe runs") {
  for (const std::size_t capacity : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{1000}, std::size_t{8192}}) {
    CAPTURE(capacity);
    RecentGroups window(capacity);
    std::deque<std::uint64_t> ring;
    std::set<std::uint64_t> set;
    std::uint64_t x = 88172645463325252ULL;
    for (int step = 0; step < 20'000; ++step) {
      x ^= x << 13U;
      x ^= x >> 7U;
      x ^= x << 17U;
      // Few distinct keys, some clustered (equal low bits): repeats and long probe runs.
      const std::uint64_t key = 1 + (step % 3 == 0 ? (x % (capacity * 2 + 3)) : ((x % 97) << 40U));
      const bool fresh = set.count(key) == 0;
      CHECK(window.insert(key) == fresh);
      if (fresh) {
        if (ring.size() == capacity) {
          set.erase(ring.front());
          ring.pop_front();
        }
        ring.push_back(key);
        set.insert(key);
      }
      if (step % 97 == 0) {
        for (std::uint64_t k = 1; k < capacity * 2 + 4; ++k) REQUIRE(window.contains(k) == (set.count(k) == 1));
        REQUIRE(window.keys() == std::vector<std::uint64_t>(ring.begin(), ring.end()));
      }
    }
  }
}

TEST_CASE("recent groups: a window asked larger than 65,535 groups holds 65,535, the oldest leaving first") {
  RecentGroups window(100'000);
  for (std::uint64_t k = 1; k <= 70'000; ++k) REQUIRE(window.insert(k));
  const auto keys = window.keys();
  REQUIRE(keys.size() == RecentGroups::kMaxCapacity);
  CHECK(keys.front() == 70'000 - RecentGroups::kMaxCapacity + 1);
  CHECK(keys.back() == 70'000);
  CHECK_FALSE(window.contains(70'000 - RecentGroups::kMaxCapacity));
  CHECK(window.contains(70'000 - RecentGroups::kMaxCapacity + 1));
  CHECK_FALSE(window.insert(69'999));  // still there
  CHECK(window.insert(1));             // left long ago: new again
  CHECK_FALSE(window.contains(70'000 - RecentGroups::kMaxCapacity + 1));
}

// ---- external orders (issue 13) ----------------------------------------------------------------
namespace {

VenueReport external(EventId report, const char* clid, const char* venue_id, const char* qty = "0.2",
                     const char* price = "100") {
  ExternalOrderFound e{};
  e.account = AccountId(0);
  e.instrument = InstrumentId(0);
  (void)e.client_order_id.assign(clid);
  (void)e.venue_order_id.assign(venue_id);
  e.side = Side::kBuy;
  e.price = dec(price);
  e.quantity = dec(qty);
  return VenueReport{report, kT0, e};
}

}  // namespace

TEST_CASE("order desk: an order another client placed is recorded as external from its description; its fill moves balances, positions and risk") {
  Fixture f;
  f.fund("1000");
  // Without the description a report of an unknown id stays unmatched (nothing committed).
  CHECK(f.desk.on_report(accepted(900, "ext-1"), kT0).note == ReportNote::kUnmatched);
  const DeskDecision d = f.desk.on_report(external(901, "ext-1", "V9"), kT0);
  CHECK(d.note == ReportNote::kExternal);
  CHECK(d.detail.find("ext-1") != std::string::npos);
  REQUIRE(d.groups.size() == 1);
  CHECK(d.groups[0].requests.empty());
  CHECK(d.groups[0].risk.empty());
  const DeskEffects fx = f.run(d);
  CHECK(fx.timers.empty());  // nothing of ours awaits the venue
  const OrderCore* o = f.desk.order("ext-1");
  REQUIRE(o != nullptr);
  CHECK(o->external());
  CHECK(o->status() == OrderStatus::kAccepted);
  CHECK(o->venue_order_id().view() == "V9");
  CHECK_FALSE(o->strategy().valid());
  CHECK(o->quantity() == dec("0.2"));
  // It locks what the venue locks for it.
  CHECK(f.desk.account().balance(Market::kSpot, AssetCode("USDT"))->locked == dec("20"));
  // The same description again (the stream and a catch-up): nothing.
  CHECK(f.desk.on_report(external(901, "ext-1", "V9"), kT0).note == ReportNote::kDuplicate);
  const DeskDecision again = f.desk.on_report(external(902, "ext-1", "V9"), kT0);
  CHECK(again.groups.empty());
  // Its fill: the order, the balances, the position and risk move as for one of ours.
  const DeskDecision fd = f.desk.on_report(fill(903, "ext-1", "t1", "0.05"), kT0);
  REQUIRE(fd.groups.size() == 1);
  const DeskEffects ffx = f.run(fd);
  CHECK(f.desk.status("ext-1") == OrderStatus::kPartiallyFilled);
  CHECK(f.desk.order("ext-1")->cum_qty() == dec("0.05"));
  CHECK(f.desk.account().balance(Market::kSpot, AssetCode("BTC"))->free == dec("0.05"));
  CHECK(f.desk.account().balance(Market::kSpot, AssetCode("USDT"))->locked == dec("15"));
  REQUIRE(ffx.risk.size() == 1);
  CHECK(ffx.risk[0].kind == RiskNote::Kind::kFill);
  CHECK(ffx.risk[0].fill.quantity == dec("0.05"));
  const AccountView v = f.desk.view();
  REQUIRE(v.positions.size() == 1);
  CHECK(v.positions[0].position.size == dec("0.05"));
  // A description of one of our own orders records nothing.
  f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  const DeskDecision own = f.desk.on_report(external(904, "C1", "V1"), kT0);
  CHECK(own.groups.empty());
  CHECK(own.note == ReportNote::kNone);
  CHECK_FALSE(f.desk.order("C1")->external());
}

TEST_CASE("order desk: cancel-all leaves external orders alone; a cancel naming one goes to the venue; an id in omsd's own form is never taken for external") {
  Fixture f;
  f.fund("1000");
  f.run(f.desk.on_report(external(901, "ext-1", "V9"), kT0));
  f.run(f.desk.on_command(submit(10, "C1"), &kPass, kT0));
  CancelAllOrders all{};
  all.account = AccountId(0);
  const DeskDecision d = f.desk.on_command(Command{Envelope{20, 0, kT0, kT0, 0, 20}, all}, nullptr, kT0);
  REQUIRE(d.groups.size() == 1);
  CHECK(as<OrderCancelRequested>(d.groups[0].events[0]).client_order_id.view() == "C1");
  // The operator's cancel of the external order.
  const DeskDecision c = f.desk.on_command(cancel(21, "ext-1"), nullptr, kT0);
  REQUIRE(c.groups.size() == 1);
  REQUIRE(c.groups[0].requests.size() == 1);
  CHECK(std::get<CancelOrder>(c.groups[0].requests[0]).client_order_id.view() == "ext-1");
  f.run(c);
  CHECK(f.desk.status("ext-1") == OrderStatus::kPendingCancel);
  OrderCanceled done{};
  done.account = AccountId(0);
  done.instrument = InstrumentId(0);
  (void)done.client_order_id.assign("ext-1");
  f.run(f.desk.on_report(VenueReport{905, kT0, done}, kT0));
  CHECK(f.desk.status("ext-1") == OrderStatus::kCanceled);
  CHECK(f.desk.account().balance(Market::kSpot, AssetCode("USDT"))->locked == dec("10"));  // C1's
  // omsd's own form for this account: a late listing of an order of ours, not another client's.
  const auto ours = format_client_order_id(ClientOrderId{3, AccountId(0), StrategyId(1), 99});
  REQUIRE(ours.has_value());
  const DeskDecision late = f.desk.on_report(external(906, ours->str().c_str(), "V7"), kT0);
  CHECK(late.groups.empty());
  CHECK(late.note == ReportNote::kUnmatched);
}

TEST_CASE("order desk: external orders rebuild and load the same (their origin is in the events)") {
  Fixture live;
  live.fund("1000");
  live.run(live.desk.on_report(external(901, "ext-1", "V9"), kT0));
  live.run(live.desk.on_report(fill(903, "ext-1", "t1", "0.05"), kT0));
  Fixture rebuilt;
  for (const Event& e : live.journal) (void)rebuilt.desk.apply(e);
  CHECK(rebuilt.desk == live.desk);
  REQUIRE(rebuilt.desk.order("ext-1") != nullptr);
  CHECK(rebuilt.desk.order("ext-1")->external());
  const Directory names = names_of({"binance:spot:BTC/USDT"});
  Fixture loaded;
  REQUIRE_FALSE(loaded.desk.load(live.desk.save(names), names).has_value());
  CHECK(loaded.desk == live.desk);
  CHECK(loaded.desk.order("ext-1")->external());
}
