// OrderDesk: decide (const) and apply. See order_desk.hpp for the contract.
#include "oms/cores/order_desk.hpp"

#include "oms/messages/client_order_id.hpp"

#include <algorithm>
#include <utility>

#include "oms/cores/order_events.hpp"
#include "oms/messages/codec.hpp"

namespace oms::actors {

namespace {

// Events the desk records itself (requests, timeouts); every other event names the venue's answer.
bool ours(const EventPayload& p) {
  return std::holds_alternative<OrderSubmitted>(p) || std::holds_alternative<OrderSendRequested>(p) ||
         std::holds_alternative<OrderAckTimedOut>(p) ||
         std::holds_alternative<OrderCancelRequested>(p) ||
         std::holds_alternative<OrderAmendRequested>(p);
}

// The terminal status a venue's report states on its own (a fill's end is the fill's), and the
// cumulative quantity it states with it.
struct StatedEnd {
  OrderStatus status;
  Decimal cum_qty;
};
std::optional<StatedEnd> stated_end(const EventPayload& p) {
  if (const auto* e = std::get_if<OrderExpired>(&p)) return StatedEnd{OrderStatus::kExpired, e->cum_qty};
  if (const auto* e = std::get_if<OrderCanceled>(&p)) return StatedEnd{OrderStatus::kCanceled, e->cum_qty};
  if (std::holds_alternative<OrderRejected>(p)) return StatedEnd{OrderStatus::kRejected, Decimal{}};
  if (const auto* e = std::get_if<OrderStatusReconciled>(&p)) {  // a status query's answer
    if (is_terminal(e->status)) return StatedEnd{e->status, e->cum_qty};
  }
  return std::nullopt;
}

// The report tells the order's end again and nothing more: the same status, no quantity the
// order does not know of (a higher cumulative quantity is news -- a fill missed -- and stays a
// refusal, loudly).
bool same_end(const OrderCore& o, const EventPayload& p) {
  const auto end = stated_end(p);
  return end && is_terminal(o.status()) && end->status == o.status() &&
         end->cum_qty <= std::max(o.cum_qty(), o.venue_cum_qty());
}

CommandAck refused(std::uint16_t code, std::string message, OrderStatus status = {}) {
  return CommandAck{false, false, code, std::move(message), status};
}
CommandAck refused(CommandCode code, std::string message, OrderStatus status = {}) {
  return refused(static_cast<std::uint16_t>(code), std::move(message), status);
}

ReasonText reason_of(std::string_view text) {
  ReasonText r;
  (void)r.assign(text.substr(0, std::min(text.size(), ReasonText::kCapacity)));
  return r;
}

// FNV-1a of the client order id: the part of a desk-made cause that names the order.
std::uint64_t id_hash(std::string_view id) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

// An order that left memory: its key in the window of recent keys. Group keys are 56-bit, so a
// key with the top bit set is never one of them.
std::uint64_t retired_key(std::string_view id) noexcept { return id_hash(id) | (std::uint64_t{1} << 63U); }

std::string retired_text(std::string_view id) {
  return "order '" + std::string(id) +
         "' is closed and has left memory (closed-order retention); its events are in the store";
}

// Causes of the groups the desk makes on its own (a timer, a reconciliation, one order of a
// cancel-all): derived from what they are about, so the same decision made again (a restart
// before anything else happened to the order) derives the same event ids and is stored once.
enum class Salt : std::uint64_t { kTimer = 1, kReconcile = 2, kCancelAll = 3 };
EventId derived_cause(Salt salt, std::uint64_t a, std::uint64_t b) noexcept {
  return group_key(a ^ (b * 0x9E3779B97F4A7C15ULL) ^ (static_cast<std::uint64_t>(salt) << 56U)) + 1;
}

// What an external order would have been as ours (AccountCore's lock, a view's figures).
OrderSubmitted submitted_of(const ExternalOrderFound& e) {
  return OrderSubmitted{e.account,  StrategyId{}, e.instrument, e.client_order_id, e.side, e.order_type,
                        e.tif,      e.price,      e.stop_price, e.quantity,        e.reduce_only};
}

OrderQuery query_of(const OrderCore& o) {
  return OrderQuery{o.account(), o.instrument(), o.client_order_id()};
}

}  // namespace

OrderDesk::OrderDesk(OrderDeskConfig config)
    : config_(std::move(config)),
      account_(config_.account, *config_.instruments),
      positions_(*config_.instruments, config_.account.index() + 1) {}

// ---- decide ---------------------------------------------------------------------------------

bool OrderDesk::needs_risk(const Command& command) const {
  const auto* s = std::get_if<SubmitOrder>(&command.payload);
  return s != nullptr && command.envelope.id != 0 &&
         find(s->client_order_id.view()) == nullptr &&
         !retired(s->client_order_id.view());
}

DeskDecision OrderDesk::on_command(const Command& command, const RiskDecision* risk,
                                   TimeNs /*now*/) const {
  DeskDecision d;
  if (command.envelope.id == 0) {
    d.ack = refused(CommandCode::kNoCommandId, "command without an id");
    return d;
  }
  if (const auto* s = std::get_if<SubmitOrder>(&command.payload)) {
    return on_submit(command, *s, risk);
  }
  if (std::holds_alternative<CancelOrder>(command.payload) ||
      std::holds_alternative<AmendOrder>(command.payload)) {
    CommandAck ack;
    if (auto g = order_request(command.envelope, command.payload, ack)) {
      d.groups.push_back(std::move(*g));
    }
    d.ack = std::move(ack);
    return d;
  }
  if (const auto* all = std::get_if<CancelAllOrders>(&command.payload)) {
    std::size_t n = 0;
    for (const auto& [id, o] : orders_) {
      if (is_terminal(o.core.status())) continue;
      if (o.core.external()) continue;  // another client's: only a cancel naming it
      if (all->instrument.valid() && o.core.instrument() != all->instrument) continue;
      Envelope cause = command.envelope;
      cause.id = derived_cause(Salt::kCancelAll, command.envelope.id, id_hash(id));
      CommandAck one;
      auto g = order_request(
          cause, CancelOrder{all->account, o.core.instrument(), o.core.client_order_id()}, one);
      if (g && !g->events.empty()) {
        d.groups.push_back(std::move(*g));
        ++n;
      }
    }
    d.ack = CommandAck{true, false, 0, std::to_string(n) + " cancels sent", {}};
    return d;
  }
  d.ack = refused(CommandCode::kNotAnAccountCommand, std::string("not an account command: ") + std::string(message_name(command)));
  return d;
}

DeskDecision OrderDesk::on_submit(const Command& command, const SubmitOrder& order,
                                  const RiskDecision* risk) const {
  DeskDecision d;
  if (const Order* o = find(order.client_order_id.view())) {
    d.ack = CommandAck{true, true, 0, {}, o->core.status()};
    return d;
  }
  if (retired(order.client_order_id.view())) {
    d.ack = refused(CommandCode::kOrderRetired, retired_text(order.client_order_id.view()));
    return d;
  }
  if (risk == nullptr) {
    d.ack = refused(CommandCode::kRiskUnavailable, "no risk decision for a new order");
    return d;
  }
  const OrderSubmitted sub{order.account,     order.strategy,   order.instrument,
                           order.client_order_id, order.side,   order.order_type,
                           order.tif,         order.price,      order.stop_price,
                           order.quantity,    order.reduce_only};
  DeskGroup g;
  g.cause = command.envelope;
  const RiskNote release{RiskNote::Kind::kOrderClosed, order.account, order.strategy,
                         order.instrument, {}, {}};
  if (!risk->passed()) {
    const auto text = describe(*risk);
    const OrderRejected rej{order.account, order.instrument, order.client_order_id,
                            static_cast<std::uint16_t>(risk->code), 0, reason_of(text)};
    g.events = {sub, to_event(*risk), rej};
    d.groups.push_back(std::move(g));
    d.ack = refused(static_cast<std::uint16_t>(risk->code), text, OrderStatus::kRejected);
    return d;
  }
  // Risk counted it open: every way out below gives the slot back unless the order lives.
  d.risk_on_failure.push_back(release);
  // The account must hold what the order locks: never a negative balance.
  if (auto r = account_.check_submit(sub); !r) {
    const auto text = to_string(r.error());
    const OrderRejected rej{order.account, order.instrument, order.client_order_id,
                            static_cast<std::uint16_t>(r.error().code), 0, reason_of(text)};
    g.events = {sub, rej};
    g.risk.push_back(release);
    d.groups.push_back(std::move(g));
    d.ack = refused(static_cast<std::uint16_t>(r.error().code), text, OrderStatus::kRejected);
    return d;
  }
  g.events = {sub, OrderSendRequested{order.account, order.instrument, order.client_order_id}};
  g.requests.emplace_back(sub);
  g.opened_for_risk = order.client_order_id;
  d.groups.push_back(std::move(g));
  d.ack = CommandAck{true, false, 0, {}, OrderStatus::kSubmitted};
  return d;
}

std::optional<DeskGroup> OrderDesk::order_request(const Envelope& cause,
                                                  const CommandPayload& request,
                                                  CommandAck& ack) const {
  const auto* cancel = std::get_if<CancelOrder>(&request);
  const auto* amend = std::get_if<AmendOrder>(&request);
  const std::string_view id = cancel ? cancel->client_order_id.view() : amend->client_order_id.view();
  const Order* found = find(id);
  if (found == nullptr) {
    ack = retired(id) ? refused(CommandCode::kOrderRetired, retired_text(id))
                      : refused(CommandCode::kUnknownClientOrderId,
                                "unknown client order id '" + std::string(id) + "'");
    return std::nullopt;
  }
  const OrderCore& core = found->core;
  if (is_terminal(core.status())) {
    ack = CommandAck{true, true, 0, {}, core.status()};
    return std::nullopt;
  }
  DeskGroup g;
  g.cause = cause;
  if (cancel != nullptr) {
    g.events.emplace_back(OrderCancelRequested{core.account(), core.instrument(), core.client_order_id()});
    g.requests.emplace_back(CancelOrder{core.account(), core.instrument(), core.client_order_id()});
  } else {
    g.events.emplace_back(OrderAmendRequested{core.account(), core.instrument(),
                                              core.client_order_id(), amend->new_price,
                                              amend->new_quantity});
    AmendOrder a = *amend;
    a.account = core.account();
    a.instrument = core.instrument();
    g.requests.emplace_back(a);
  }
  OrderCore trial = core;
  const auto oe = to_order_event(g.events.front());
  auto r = trial.apply(*oe);
  if (!r) {
    ack = refused(static_cast<std::uint16_t>(r.error().code), to_string(r.error()), core.status());
    return std::nullopt;
  }
  ack = CommandAck{true, false, 0, {}, trial.status()};
  return g;
}

namespace {

// A status answer saying the venue does not know the order (Binance -2013: rejected, no venue
// order id).
bool unknown_to_venue(const OrderStatusReconciled* r) {
  return r != nullptr && r->status == OrderStatus::kRejected && r->venue_order_id.empty();
}

}  // namespace

std::optional<OrderSubmitted> OrderDesk::resend_of(const VenueReport& report, TimeNs now) const {
  const auto* reconciled = std::get_if<OrderStatusReconciled>(&report.payload);
  if (!unknown_to_venue(reconciled)) return std::nullopt;
  const Order* o = find(reconciled->client_order_id.view());
  if (o == nullptr || !o->resend_if_unknown || recent_.contains(group_key(report.report_id))) return std::nullopt;
  if (config_.in_doubt_ttl > 0 && now - o->submitted_at >= config_.in_doubt_ttl) return std::nullopt;
  return o->submitted;
}

DeskDecision OrderDesk::refuse_unpriced_resend(const VenueReport& report, TimeNs now) const {
  const auto* reconciled = std::get_if<OrderStatusReconciled>(&report.payload);
  const Order* o = reconciled != nullptr ? find(reconciled->client_order_id.view()) : nullptr;
  if (o == nullptr || !o->resend_if_unknown || !unknown_to_venue(reconciled)) return on_report(report, now);
  DeskDecision d;
  const std::string id(reconciled->client_order_id.view());
  if (reconciling_.count(id) != 0) d.reconciled = id;  // this answer ends it
  DeskGroup g;
  g.cause = Envelope{report.report_id, 0, report.venue_time, 0, 0, 0};
  g.event_time = report.venue_time;
  const OrderSubmitted& sub = o->submitted;
  d.detail = "not resent after a restart: the venue never had it, " +
             std::to_string((now - o->submitted_at) / 1'000'000) +
             " ms after its submission, and no market price came since the restart to check it against";
  g.events = {OrderRejected{sub.account, sub.instrument, sub.client_order_id,
                            static_cast<std::uint16_t>(CommandCode::kResendUnpriced), 0,
                            reason_of(d.detail)}};
  g.answered = o->core.client_order_id();
  d.groups.push_back(std::move(g));
  return d;
}

DeskDecision OrderDesk::on_report(const VenueReport& report, TimeNs now,
                                  const RiskDecision* resend_risk) const {
  DeskDecision d;
  const auto* reconciled = std::get_if<OrderStatusReconciled>(&report.payload);
  const auto id = client_order_id_of(report.payload);
  // A status answer ends that order's reconciliation after a restart -- unless it makes the
  // desk resend the order: then the answer to the query after the resend ends it.
  if (reconciled != nullptr && reconciling_.count(id) != 0) d.reconciled = std::string(id);
  if (recent_.contains(group_key(report.report_id))) {
    d.note = ReportNote::kDuplicate;  // delivered again (reconnect, status query): committed
    return d;
  }
  DeskGroup g;
  g.cause = Envelope{report.report_id, 0, report.venue_time, 0, 0, 0};
  g.event_time = report.venue_time;
  g.events.push_back(report.payload);
  if (id.empty()) {
    // Balances, positions, funding: committed as the venue said them.
    d.groups.push_back(std::move(g));
    return d;
  }
  const Order* found = find(id);
  if (const auto* ext = std::get_if<ExternalOrderFound>(&report.payload)) {
    return on_external(*ext, std::move(g), found != nullptr || retired(id));
  }
  if (found == nullptr && retired(id)) {
    d.note = ReportNote::kIgnored;  // a late copy of a report of an order already closed
    d.detail = "report for " + retired_text(id);
    return d;
  }
  if (found == nullptr) {
    d.note = ReportNote::kUnmatched;
    d.detail = "report for unknown client order id '" + std::string(id) + "' (not ours?)";
    return d;
  }
  const Order& o = *found;
  if (o.resend_if_unknown && unknown_to_venue(reconciled)) {
    // Rebuilt before any answer and the venue never saw it: the intent was durable, the send
    // was lost with the crash.
    const OrderSubmitted& sub = o.submitted;
    const TimeNs age = now - o.submitted_at;
    if (config_.in_doubt_ttl > 0 && age >= config_.in_doubt_ttl) {
      // Too old to send now (the market it was meant for has moved on): it ends here, with
      // the reason; this answer ends its reconciliation.
      d.detail = "not resent after a restart: the venue never had it, " + std::to_string(age / 1'000'000) +
                 " ms after its submission (time to live " + std::to_string(config_.in_doubt_ttl / 1'000'000) +
                 " ms)";
      g.events = {OrderRejected{sub.account, sub.instrument, sub.client_order_id,
                                static_cast<std::uint16_t>(CommandCode::kResendTooLate), 0,
                                reason_of(d.detail)}};
      g.answered = o.core.client_order_id();
      d.groups.push_back(std::move(g));
      return d;
    }
    if (resend_risk != nullptr && !resend_risk->passed()) {
      // Risk at today's marks says no: recorded as a new order's refusal is.
      d.detail = "not resent after a restart: " + describe(*resend_risk);
      g.events = {to_event(*resend_risk),
                  OrderRejected{sub.account, sub.instrument, sub.client_order_id,
                                static_cast<std::uint16_t>(resend_risk->code), 0, reason_of(d.detail)}};
      g.answered = o.core.client_order_id();
      d.groups.push_back(std::move(g));
      return d;
    }
    // Send it again, same client order id (the venue refuses a duplicate), then ask again:
    // that answer ends the reconciliation.
    g.events.clear();
    g.requests.emplace_back(sub);
    g.requests.emplace_back(query_of(o.core));
    g.resent = o.core.client_order_id();
    if (resend_risk != nullptr && !o.risk_open) {
      // Risk counted it open again: the slot goes back when it ends (or the commit fails).
      g.opened_for_risk = o.core.client_order_id();
      d.risk_on_failure.push_back(RiskNote{RiskNote::Kind::kOrderClosed, sub.account, sub.strategy, sub.instrument, {}, {}});
    }
    d.groups.push_back(std::move(g));
    d.reconciled.reset();
    return d;
  }
  if (unknown_to_venue(reconciled) && o.core.venue_order_id().empty() &&
      !o.core.cum_qty().is_positive() &&
      (o.core.status() == OrderStatus::kSubmitted || o.core.status() == OrderStatus::kUnknown) &&
      config_.in_doubt_ttl > 0 && now - o.submitted_at < config_.in_doubt_ttl) {
    // Never answered, and the venue does not know it: the send may have timed out at the
    // venue and still execute. In doubt: nothing committed, the venue asked again later.
    g.events.clear();
    g.arm_timer = o.core.client_order_id();
    d.groups.push_back(std::move(g));
    d.note = ReportNote::kInDoubt;
    d.detail = "order " + std::string(id) + " unknown to the venue " +
               std::to_string((now - o.submitted_at) / 1'000'000) + " ms after it was submitted: in doubt for " +
               std::to_string((config_.in_doubt_ttl - (now - o.submitted_at)) / 1'000'000) + " ms more";
    return d;
  }
  OrderCore trial = o.core;
  const auto oe = to_order_event(report.payload);
  auto applied = trial.apply(*oe);
  if (!applied && same_end(o.core, report.payload)) {
    // The same end told again by another source (the REST answer and the stream, a status
    // query's answer): nothing new, not a refusal.
    d.note = ReportNote::kIgnored;
    d.detail = "report " + std::to_string(report.report_id) + ": order already " +
               std::string(enum_name(o.core.status()));
    return d;
  }
  if (!applied) {
    d.note = ReportNote::kRefusedByOrder;
    d.detail = "report " + std::to_string(report.report_id) + " refused by order core: " +
               to_string(applied.error());
    return d;
  }
  if (applied->ignored ||
      (applied->from == applied->to && !std::holds_alternative<FillReceived>(report.payload) &&
       reconciled == nullptr)) {
    d.note = ReportNote::kIgnored;  // a duplicate fill, or a stale report a terminal state absorbs
    return d;
  }
  // A venue's fill names the order, not the strategy: the order's strategy goes with it (PnL
  // and positions per strategy).
  if (auto* fill = std::get_if<FillReceived>(&g.events.front()); fill && !fill->strategy.valid()) {
    fill->strategy = o.core.strategy();
  }
  g.answered = o.core.client_order_id();
  d.groups.push_back(std::move(g));
  return d;
}

DeskDecision OrderDesk::on_external(const ExternalOrderFound& e, DeskGroup g, bool known) const {
  DeskDecision d;
  if (known) return d;  // the venue's description of an order of ours: nothing to record
  const std::string_view id = e.client_order_id.view();
  if (const auto parsed = parse_client_order_id(id); parsed && parsed->account == config_.account) {
    // omsd's own form for this account: an order of ours that left memory long ago (a late
    // catch-up), never another client's.
    d.note = ReportNote::kUnmatched;
    d.detail = "venue lists order '" + std::string(id) + "' in omsd's own id form, no longer on the desk";
    return d;
  }
  OrderCore trial;
  if (auto r = trial.apply(e); !r) {
    d.note = ReportNote::kRefusedByOrder;
    d.detail = "external order '" + std::string(id) + "' not taken: " + to_string(r.error());
    return d;
  }
  d.note = ReportNote::kExternal;
  d.detail = "external order '" + std::string(id) + "' (venue order " + e.venue_order_id.str() + "): " +
             std::string(enum_name(e.side)) + " " + e.quantity.to_string() + " " +
             std::string(enum_name(e.order_type)) +
             (e.price.is_positive() ? " at " + e.price.to_string() : std::string()) +
             ", placed by another client; omsd never cancels or amends it on its own";
  g.answered = e.client_order_id;
  d.groups.push_back(std::move(g));
  return d;
}

DeskDecision OrderDesk::on_timer(const OrderTimer& timer, TimeNs /*now*/) const {
  DeskDecision d;
  const Order* found = find(timer.client_order_id.view());
  if (found == nullptr) return d;
  const Order& o = *found;
  if (timer.generation != o.generation || !awaits_venue(o.core.status())) return d;  // moot
  // No answer in time: never assume; record it and ask the venue.
  DeskGroup g;
  const EventId cause = derived_cause(Salt::kTimer, id_hash(timer.client_order_id.view()), o.generation);
  g.cause = Envelope{cause, 0, 0, 0, 0, 0};
  g.events.emplace_back(OrderAckTimedOut{o.core.account(), o.core.instrument(), o.core.client_order_id()});
  g.requests.emplace_back(query_of(o.core));
  d.groups.push_back(std::move(g));
  return d;
}

DeskDecision OrderDesk::on_reconcile(TimeNs /*now*/) const {
  DeskDecision d;
  std::vector<const Order*> live;
  for (const auto& [id, o] : orders_) {
    if (!is_terminal(o.core.status())) live.push_back(&o);
  }
  std::sort(live.begin(), live.end(),
            [](const Order* a, const Order* b) { return a->first_seq < b->first_seq; });
  for (const Order* o : live) {
    const OrderCore& c = o->core;
    DeskGroup g;
    const EventId cause = derived_cause(Salt::kReconcile, id_hash(c.client_order_id().view()), o->generation);
    g.cause = Envelope{cause, 0, 0, 0, 0, 0};
    if (c.status() == OrderStatus::kPendingSubmit || c.status() == OrderStatus::kSubmitted) {
      // Committed, maybe sent, never answered: its state is unknown until the venue says.
      if (c.status() == OrderStatus::kPendingSubmit) {
        g.events.emplace_back(OrderSendRequested{c.account(), c.instrument(), c.client_order_id()});
      }
      g.events.emplace_back(OrderAckTimedOut{c.account(), c.instrument(), c.client_order_id()});
      g.resend_if_unknown = c.client_order_id();
    }
    if (c.status() == OrderStatus::kPendingCancel) {
      // The cancel was committed; whether it left before the crash is unknown. A cancel is
      // idempotent at the venue (an ended order answers -2011): send it again.
      g.requests.emplace_back(CancelOrder{c.account(), c.instrument(), c.client_order_id()});
    }
    g.requests.emplace_back(query_of(c));
    g.arm_timer = c.client_order_id();  // the query may go unanswered too
    d.reconciling.insert(c.client_order_id().str());
    d.groups.push_back(std::move(g));
  }
  return d;
}

// ---- apply ----------------------------------------------------------------------------------

OrderDesk::Order* OrderDesk::fold(const Event& e, std::optional<AccountError>& refusal) {
  recent_.insert(group_of(e.envelope.id));
  const auto* external = std::get_if<ExternalOrderFound>(&e.payload);
  // An external order locks what our own would (AccountCore); the venue's balance updates
  // stay authoritative.
  const Event as_account_event =
      external == nullptr ? Event{} : Event{e.envelope, submitted_of(*external)};
  if (auto r = account_.apply(external == nullptr ? e : as_account_event); !r) {
    ++account_refusals_;
    refusal = r.error();
  }
  (void)positions_.apply(e);  // fills only; a refusal is AccountCore's to report
  if (const auto* fill = std::get_if<FillReceived>(&e.payload)) {
    if (recent_fills_.size() == AccountView::kRecentFills) recent_fills_.pop_front();
    recent_fills_.push_back(*fill);
  }
  const auto id = client_order_id_of(e.payload);
  if (id.empty()) return nullptr;
  Order* found = find(id);
  if (found == nullptr) {
    const auto it = orders_.emplace(std::string(id), Order{}).first;
    found = &it->second;
    index_.by_id.emplace(it->first, found);
  }
  Order& o = *found;
  if (o.events == 0) o.first_seq = e.envelope.global_seq;
  if (external != nullptr) {
    o.submitted = submitted_of(*external);
    o.submitted_at = e.envelope.init_time;
  }
  if (const auto* sub = std::get_if<OrderSubmitted>(&e.payload)) {
    o.submitted = *sub;
    o.submitted_at = e.envelope.init_time;
    if (const auto parsed = parse_client_order_id(sub->client_order_id.view());
        parsed && parsed->strategy.valid()) {
      auto& last = strategy_sequences_[parsed->desk];
      last = std::max(last, parsed->sequence);
    }
  }
  const bool desk_or_reject = std::holds_alternative<OrderSubmitted>(e.payload) ||
                              std::holds_alternative<OrderRejected>(e.payload) ||
                              std::holds_alternative<OrderSendRequested>(e.payload) ||
                              std::holds_alternative<OrderAckTimedOut>(e.payload);
  if (!desk_or_reject && o.core.status() == OrderStatus::kPendingSubmit) {
    // Streams written before the send was journaled: the venue's answer proves the send.
    (void)o.core.apply(OrderSendRequested{o.core.account(), o.core.instrument(), o.core.client_order_id()});
  }
  if (const auto oe = to_order_event(e.payload)) (void)o.core.apply(*oe);
  if (std::holds_alternative<OrderAckTimedOut>(e.payload)) {
    ++o.ack_timeouts;
  } else if (!ours(e.payload)) {
    o.ack_timeouts = 0;  // the venue answered
  }
  if (o.closed_at == 0 && is_terminal(o.core.status())) {
    o.closed_at = e.envelope.init_time;
    closing_.emplace_back(o.closed_at, o.core.client_order_id());
  }
  ++o.events;
  ++o.generation;
  return &o;
}

std::optional<AccountError> OrderDesk::apply(const Event& event) {
  std::optional<AccountError> refusal;
  (void)fold(event, refusal);
  return refusal;
}

DeskEffects OrderDesk::apply(const DeskGroup& group, std::span<const Event> committed, TimeNs now) {
  DeskEffects fx;
  fx.risk = group.risk;
  std::vector<Order*> touched;
  std::vector<Order*> was_rejected;  // rejected before this group
  for (const Event& e : committed) {
    if (const auto id = client_order_id_of(e.payload); !id.empty()) {
      if (Order* prior = find(id); prior != nullptr && prior->core.status() == OrderStatus::kRejected &&
                                   std::find(touched.begin(), touched.end(), prior) == touched.end()) {
        was_rejected.push_back(prior);
      }
    }
    std::optional<AccountError> refusal;
    Order* o = fold(e, refusal);
    if (o == nullptr) continue;
    if (std::find(touched.begin(), touched.end(), o) == touched.end()) touched.push_back(o);
    if (const auto* fill = std::get_if<FillReceived>(&e.payload)) {
      fx.risk.push_back(RiskNote{RiskNote::Kind::kFill, fill->account, fill->strategy,
                                 fill->instrument,
                                 RiskFill{fill->account, fill->strategy, fill->instrument,
                                          fill->side, fill->price, fill->quantity, fill->fee, {}, {}},
                                 fill->fee_asset});
    }
  }
  const auto named = [this](const std::optional<ClientOrderIdText>& id) -> Order* {
    return id ? find(id->view()) : nullptr;
  };
  if (Order* o = named(group.opened_for_risk)) o->risk_open = true;
  if (Order* o = named(group.resend_if_unknown)) o->resend_if_unknown = true;
  if (Order* o = named(group.answered)) o->resend_if_unknown = false;
  const auto touch = [&](Order* o) {
    if (o != nullptr && std::find(touched.begin(), touched.end(), o) == touched.end()) {
      touched.push_back(o);
    }
  };
  if (Order* o = named(group.resent)) {
    o->resend_if_unknown = false;
    touch(o);
  }
  touch(named(group.arm_timer));
  for (Order* o : touched) {
    const OrderStatus s = o->core.status();
    if (!is_terminal(s) && !o->risk_open &&
        std::find(was_rejected.begin(), was_rejected.end(), o) != was_rejected.end()) {
      // The venue executed an order we had taken as rejected: risk counts it open again (and
      // hears its end like any other's).
      o->risk_open = true;
      fx.risk.push_back(RiskNote{RiskNote::Kind::kOrderOpened, o->core.account(), o->core.strategy(),
                                 o->core.instrument(), {}, {}});
    }
    if (is_terminal(s) && o->risk_open) {
      o->risk_open = false;
      fx.risk.push_back(RiskNote{RiskNote::Kind::kOrderClosed, o->core.account(),
                                 o->core.strategy(), o->core.instrument(), {}, {}});
    }
    if (awaits_venue(s)) {
      // After a timeout the next wait doubles (1, 2, 4, 8, then 16 ack timeouts).
      const auto shift = std::min<std::uint32_t>(o->ack_timeouts > 0 ? o->ack_timeouts - 1 : 0, 4);
      fx.timers.push_back(OrderTimer{o->core.client_order_id(), o->generation,
                                     now + config_.ack_timeout * (TimeNs{1} << shift)});
    }
  }
  return fx;
}

bool OrderDesk::finish(const DeskDecision& decision) {
  for (const auto& id : decision.reconciling) reconciling_.insert(id);
  if (!decision.reconciled) return false;
  const auto it = reconciling_.find(*decision.reconciled);
  if (it == reconciling_.end()) return false;
  reconciling_.erase(it);
  return reconciling_.empty();
}

// ---- read -----------------------------------------------------------------------------------

OrderDesk::Order* OrderDesk::find(std::string_view client_order_id) const {
  if (index_.by_id.size() != orders_.size()) {  // a copy's, or a loaded state's: rebuilt
    index_.by_id.clear();
    index_.by_id.reserve(orders_.size());
    // The index hands out the nodes for change; only the desk's non-const members change them.
    for (auto& [id, o] : const_cast<std::map<std::string, Order, std::less<>>&>(orders_)) {
      index_.by_id.emplace(std::string_view(id), &o);
    }
  }
  const auto it = index_.by_id.find(client_order_id);
  return it == index_.by_id.end() ? nullptr : it->second;
}

std::optional<OrderStatus> OrderDesk::status(std::string_view client_order_id) const {
  const Order* o = find(client_order_id);
  if (o == nullptr) return std::nullopt;
  return o->core.status();
}

const OrderCore* OrderDesk::order(std::string_view client_order_id) const {
  const Order* o = find(client_order_id);
  return o == nullptr ? nullptr : &o->core;
}

AccountView OrderDesk::view() const {
  AccountView v;
  v.account = config_.account;
  v.name = config_.name;
  v.orders.reserve(orders_.size());
  for (const auto& [id, o] : orders_) v.orders.push_back(OrderView{o.core, o.events});
  v.balances.assign(account_.balances().begin(), account_.balances().end());
  v.futures.assign(account_.positions().begin(), account_.positions().end());
  for (std::uint32_t i = 0; i < config_.instruments->size(); ++i) {
    if (const auto* leg = positions_.net(config_.account, InstrumentId(i))) v.positions.push_back(*leg);
  }
  v.recent_fills.assign(recent_fills_.begin(), recent_fills_.end());
  v.account_refusals = account_refusals_;
  return v;
}

AccountView OrderDesk::summary() const {
  AccountView v;
  v.account = config_.account;
  v.name = config_.name;
  v.summary = true;
  for (const auto& [id, o] : orders_) {
    const OrderStatus st = o.core.status();
    ++v.tally.by_status[st];
    v.tally.fills += o.core.trade_ids().size();
    if (st == OrderStatus::kRejected && o.core.last_error()) ++v.tally.rejects_by_code[o.core.last_error()->code];
    switch (st) {
      case OrderStatus::kAccepted: case OrderStatus::kPartiallyFilled: case OrderStatus::kPendingCancel:
      case OrderStatus::kPendingAmend: case OrderStatus::kAmended: case OrderStatus::kSubmitted:
      case OrderStatus::kPendingSubmit: case OrderStatus::kUnknown:
        ++v.tally.open;
        break;
      default: break;
    }
  }
  v.balances.assign(account_.balances().begin(), account_.balances().end());
  v.futures.assign(account_.positions().begin(), account_.positions().end());
  for (std::uint32_t i = 0; i < config_.instruments->size(); ++i) {
    if (const auto* leg = positions_.net(config_.account, InstrumentId(i))) v.positions.push_back(*leg);
  }
  v.account_refusals = account_refusals_;
  return v;
}

std::uint64_t OrderDesk::last_strategy_sequence(std::uint16_t desk) const {
  const auto it = strategy_sequences_.find(desk);
  return it == strategy_sequences_.end() ? 0 : it->second;
}

bool OrderDesk::retired(std::string_view client_order_id) const {
  return recent_.contains(retired_key(client_order_id));
}

// ---- memory ---------------------------------------------------------------------------------

std::size_t OrderDesk::retire_closed(TimeNs now, TimeNs retention) {
  std::size_t n = 0;
  std::vector<std::pair<TimeNs, ClientOrderIdText>> later;
  while (!closing_.empty() && now - closing_.front().first >= retention) {
    const ClientOrderIdText id = closing_.front().second;
    closing_.pop_front();
    const auto it = orders_.find(id.view());
    if (it == orders_.end()) continue;
    const Order& o = it->second;
    // Fills the venue reported but not yet seen, risk still counting it, a status query out:
    // it stays another retention.
    if (o.core.fill_gap() != Decimal{} || o.risk_open || reconciling_.count(it->first) != 0) {
      later.emplace_back(now, id);
      continue;
    }
    recent_.insert(retired_key(it->first));
    index_.by_id.erase(std::string_view(it->first));
    orders_.erase(it);
    ++n;
  }
  closing_.insert(closing_.end(), later.begin(), later.end());
  return n;
}

// ---- compacted state ------------------------------------------------------------------------

std::string OrderDesk::save(const Directory& names) const {
  StateWriter w(names);
  save(w);
  return std::move(w).take();
}

void OrderDesk::save(StateWriter& w) const {
  w.put(kStateVersion);
  account_.save(w);
  positions_.save(w);
  w.put(recent_.keys());
  w.put(static_cast<std::uint32_t>(orders_.size()));
  for (const auto& [id, o] : orders_) {
    o.core.save(w);
    w(o.submitted, o.events, o.first_seq, o.generation, o.closed_at, o.ack_timeouts, o.submitted_at);
  }
  w(recent_fills_, account_refusals_);
  w.put(static_cast<std::uint32_t>(strategy_sequences_.size()));
  for (const auto& [desk, seq] : strategy_sequences_) w(desk, seq);
}

std::optional<std::string> OrderDesk::load(std::string_view bytes, const Directory& names) {
  StateReader r(bytes, names);
  return load(r, /*whole=*/true);
}

std::optional<std::string> OrderDesk::load(StateReader& r) { return load(r, /*whole=*/false); }

std::optional<std::string> OrderDesk::load(StateReader& r, bool whole) {
  std::uint32_t version = 0;
  r.get(version);
  if (r.ok() && version != kStateVersion) {
    return "desk state version " + std::to_string(version) + ", this build reads " +
           std::to_string(kStateVersion);
  }
  AccountCore account(config_.account, *config_.instruments);
  PositionCore positions(*config_.instruments, config_.account.index() + 1);
  r.context("balances");
  account.load(r);
  r.context("positions");
  positions.load(r);
  r.context("recent groups");
  std::vector<std::uint64_t> keys;
  r.get(keys);
  RecentGroups recent;
  for (const std::uint64_t k : keys) recent.insert(k);
  std::map<std::string, Order, std::less<>> orders;
  r.context("orders");
  const std::uint32_t n = r.count();
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    Order o;
    o.core.load(r);
    r(o.submitted, o.events, o.first_seq, o.generation, o.closed_at, o.ack_timeouts, o.submitted_at);
    if (!r.ok()) break;
    if (o.core.account() != config_.account) {
      r.fail("order '" + o.core.client_order_id().str() + "' is of another account");
      break;
    }
    const std::string id = o.core.client_order_id().str();
    if (!orders.emplace(id, std::move(o)).second) r.fail("order '" + id + "' twice");
  }
  std::deque<FillReceived> fills;
  std::uint64_t refusals = 0;
  r.context("recent fills");
  r(fills, refusals);
  std::map<std::uint16_t, std::uint64_t> sequences;
  r.context("strategy sequences");
  const std::uint32_t m = r.count();
  for (std::uint32_t i = 0; i < m && r.ok(); ++i) {
    std::uint16_t desk = 0;
    std::uint64_t seq = 0;
    r(desk, seq);
    sequences[desk] = seq;
  }
  r.context({});
  if (whole && r.ok() && r.remaining() != 0) r.fail(std::to_string(r.remaining()) + " bytes after the state");
  if (!r.ok()) return *r.error();
  account_ = std::move(account);
  positions_ = std::move(positions);
  recent_ = std::move(recent);
  orders_ = std::move(orders);
  index_.by_id.clear();  // rebuilt at the next lookup
  recent_fills_ = std::move(fills);
  account_refusals_ = refusals;
  strategy_sequences_ = std::move(sequences);
  reconciling_.clear();
  closing_.clear();
  for (const auto& [id, o] : orders_) {
    if (o.closed_at != 0) closing_.emplace_back(o.closed_at, o.core.client_order_id());
  }
  std::sort(closing_.begin(), closing_.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  return std::nullopt;
}

void OrderDesk::save_run(StateWriter& w) const {
  w.put(static_cast<std::uint32_t>(orders_.size()));
  for (const auto& [id, o] : orders_) w(o.risk_open, o.resend_if_unknown);
  w.put(static_cast<std::uint32_t>(reconciling_.size()));
  for (const auto& id : reconciling_) w.put(id);
  w.put(static_cast<std::uint32_t>(closing_.size()));
  for (const auto& [at, id] : closing_) w(at, id);
}

std::optional<std::string> OrderDesk::load_run(StateReader& r) {
  const std::uint32_t n = r.count();
  if (r.ok() && n != orders_.size()) {
    r.fail("run state of " + std::to_string(n) + " orders for a desk of " + std::to_string(orders_.size()));
  }
  std::vector<std::pair<bool, bool>> flags(r.ok() ? n : 0);
  for (auto& [risk_open, resend] : flags) r(risk_open, resend);
  std::set<std::string, std::less<>> reconciling;
  const std::uint32_t q = r.count();
  for (std::uint32_t i = 0; i < q && r.ok(); ++i) {
    std::string id;
    r.get(id);
    if (r.ok() && orders_.count(id) == 0) r.fail("reconciling order '" + id + "' is not on the desk");
    reconciling.insert(std::move(id));
  }
  std::deque<std::pair<TimeNs, ClientOrderIdText>> closing;
  const std::uint32_t c = r.count();
  for (std::uint32_t i = 0; i < c && r.ok(); ++i) {
    auto& [at, id] = closing.emplace_back();
    r(at, id);
  }
  if (!r.ok()) return *r.error();
  std::size_t i = 0;
  for (auto& [id, o] : orders_) {
    o.risk_open = flags[i].first;
    o.resend_if_unknown = flags[i].second;
    ++i;
  }
  reconciling_ = std::move(reconciling);
  closing_ = std::move(closing);
  return std::nullopt;
}

bool operator==(const OrderDesk& a, const OrderDesk& b) {
  return a.account_ == b.account_ && a.positions_ == b.positions_ && a.recent_ == b.recent_ &&
         a.orders_ == b.orders_ && a.recent_fills_ == b.recent_fills_ &&
         a.account_refusals_ == b.account_refusals_ &&
         a.strategy_sequences_ == b.strategy_sequences_;
}

}  // namespace oms::actors
