// SmartOrder: a smart-routed parent order and its children (smart_router.hpp).
#include <algorithm>
#include <limits>

#include "oms/cores/arb_saga.hpp"
#include "oms/cores/smart_router.hpp"
#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

namespace {

std::string text(Decimal d) { return d.to_string(); }

}  // namespace

SorParent sor_parent(const SubmitSor& c) noexcept {
  return SorParent{c.side, c.quantity, c.limit_price, c.urgency_bps,
                   static_cast<std::uint16_t>(kMaxSorChildren)};
}

Result<SmartOrder, SorRefusal> SmartOrder::start(const SubmitSor& c, std::uint64_t id,
                                                 const SorPlan& plan, std::uint16_t desk,
                                                 std::uint64_t* sequence,
                                                 std::vector<QuoteAction>& out) {
  if (plan.children.empty()) {
    return Unexpected{SorRefusal{SorError::kNothingRoutable, "the plan has no child"}};
  }
  if (plan.children.size() > kMaxSorChildren) {
    return Unexpected{SorRefusal{SorError::kTooManyChildren,
                                 "the plan has " + std::to_string(plan.children.size()) +
                                     " children, a parent at most " + std::to_string(kMaxSorChildren)}};
  }
  SmartOrder o;
  SorStep& s = o.s_;
  s.account = c.account;
  s.strategy = c.strategy;
  s.instrument = c.instrument;
  s.parent = id;
  s.number = 1;
  s.state = AlgoState::kRunning;
  s.side = c.side;
  s.quantity = c.quantity;
  s.limit_price = c.limit_price;
  s.urgency_bps = c.urgency_bps;
  s.planned = plan.planned;
  const std::size_t first = out.size();
  for (const SorChild& ch : plan.children) {
    const auto coid = format_client_order_id(ClientOrderId{desk, ch.account, c.strategy, ++*sequence});
    if (!coid) {
      out.resize(first);
      return Unexpected{SorRefusal{SorError::kBadChildId, "desk: " + std::to_string(desk) +
                                                              " is above " + std::to_string(kMaxDesk)}};
    }
    SorChildStep st;
    st.account = ch.account;
    st.instrument = ch.instrument;
    st.client_order_id = *coid;
    st.quantity = ch.quantity;
    st.limit_price = ch.limit_price;
    s.children.items[s.children.count++] = st;
    QuoteAction a;
    a.kind = QuoteAction::Kind::kPlace;
    a.order = SubmitOrder{ch.account,        c.strategy,         ch.instrument,  *coid,     c.side,
                          OrderType::kLimit, TimeInForce::kIoc, ch.limit_price, Decimal{}, ch.quantity,
                          false};
    out.push_back(a);
  }
  (void)s.reason.assign("split: " + std::to_string(plan.children.size()) + " children, planned " +
                        text(plan.planned) + " at avg " + text(plan.avg_price()) + ", left " +
                        text(plan.left));
  return o;
}

bool SmartOrder::owns(std::string_view client_order_id) const noexcept {
  for (std::size_t i = 0; i < s_.children.count; ++i) {
    const SorChildStep& c = s_.children.items[i];
    if (!c.ended && c.client_order_id.view() == client_order_id) return true;
  }
  return false;
}

bool SmartOrder::done() const noexcept {
  if (!is_terminal(s_.state)) return false;
  for (std::size_t i = 0; i < s_.children.count; ++i) {
    if (!s_.children.items[i].ended) return false;
  }
  return true;
}

Int128 SmartOrder::notional_e18() const noexcept { return exact_e18(s_.notional).value_or(0); }

bool SmartOrder::on_child_end(std::string_view client_order_id, const SorChildFill& fill) {
  for (std::size_t i = 0; i < s_.children.count; ++i) {
    SorChildStep& c = s_.children.items[i];
    if (c.ended || c.client_order_id.view() != client_order_id) continue;
    c.ended = true;
    c.filled = fill.cum_qty;
    child_notional_[i] = fill.notional_e18;
    s_.filled = Decimal::from_raw(s_.filled.raw() + fill.cum_qty.raw());
    (void)to_exact(notional_e18() + fill.notional_e18, s_.notional);
    ++s_.number;
    (void)s_.reason.assign("child " + std::string(client_order_id) + " ended: " + text(fill.cum_qty) +
                           " of " + text(c.quantity) + " filled");
    settle();
    return true;
  }
  return false;
}

Result<Unit, SorRefusal> SmartOrder::cancel(std::vector<QuoteAction>& out) {
  if (is_terminal(s_.state)) {
    return Unexpected{SorRefusal{SorError::kNotRunning, "parent " + std::to_string(s_.parent) +
                                                            " has ended (" +
                                                            std::string(enum_name(s_.state)) + ")"}};
  }
  s_.state = AlgoState::kCanceled;
  ++s_.number;
  std::size_t cancels = 0;
  for (std::size_t i = 0; i < s_.children.count; ++i) {
    const SorChildStep& c = s_.children.items[i];
    if (c.ended) continue;
    QuoteAction a;
    a.kind = QuoteAction::Kind::kCancel;
    a.cancel = CancelOrder{c.account, c.instrument, c.client_order_id};
    out.push_back(a);
    ++cancels;
  }
  (void)s_.reason.assign("canceled: " + std::to_string(cancels) + " children out cancelled");
  return Unit{};
}

void SmartOrder::settle() {
  if (is_terminal(s_.state)) return;
  for (std::size_t i = 0; i < s_.children.count; ++i) {
    if (!s_.children.items[i].ended) return;
  }
  s_.state = s_.filled >= s_.quantity ? AlgoState::kCompleted : AlgoState::kFailed;
}

Decimal SmartOrder::avg_price() const noexcept {
  if (!s_.filled.is_positive()) return {};
  return Decimal::from_raw(notional_e18() / s_.filled.raw());
}

}  // namespace oms::actors
