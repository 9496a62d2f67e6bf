// SmartOrder: a smart-routed parent order and its children (smart_router.hpp).
#include "oms/cores/smart_router.hpp"
#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

Result<SmartOrder, SorRefusal> SmartOrder::start(std::uint64_t id, StrategyId strategy,
                                                 const SorParent& parent, const SorPlan& plan,
                                                 std::uint16_t desk, std::uint64_t* sequence,
                                                 std::vector<QuoteAction>& out) {
  if (plan.children.empty()) {
    return Unexpected{SorRefusal{SorError::kNothingRoutable, "the plan has no child"}};
  }
  SmartOrder o;
  o.id_ = id;
  o.parent_ = parent;
  o.children_.reserve(plan.children.size());
  const std::size_t first = out.size();
  for (const SorChild& c : plan.children) {
    const auto text = format_client_order_id(ClientOrderId{desk, c.account, strategy, ++*sequence});
    if (!text) {
      out.resize(first);
      return Unexpected{SorRefusal{SorError::kBadChildId, "desk: " + std::to_string(desk) +
                                                              " is above " + std::to_string(kMaxDesk)}};
    }
    SorChildState s;
    s.plan = c;
    s.client_order_id = *text;
    o.children_.push_back(s);
    QuoteAction a;
    a.kind = QuoteAction::Kind::kPlace;
    a.order = SubmitOrder{c.account,    strategy,           c.instrument, *text,   parent.side,
                          OrderType::kLimit, TimeInForce::kIoc, c.limit_price, Decimal{}, c.quantity,
                          false};
    out.push_back(a);
  }
  o.out_ = o.children_.size();
  return o;
}

bool SmartOrder::owns(std::string_view client_order_id) const noexcept {
  for (const SorChildState& c : children_) {
    if (!c.ended && c.client_order_id.view() == client_order_id) return true;
  }
  return false;
}

bool SmartOrder::on_child_end(std::string_view client_order_id, const SorChildFill& fill) {
  for (SorChildState& c : children_) {
    if (c.ended || c.client_order_id.view() != client_order_id) continue;
    c.ended = true;
    c.filled = fill.cum_qty;
    c.notional_e18 = fill.notional_e18;
    filled_ = Decimal::from_raw(filled_.raw() + fill.cum_qty.raw());
    notional_e18_ += fill.notional_e18;
    --out_;
    settle();
    return true;
  }
  return false;
}

Result<Unit, SorRefusal> SmartOrder::cancel(std::vector<QuoteAction>& out) {
  if (is_terminal(status_)) {
    return Unexpected{SorRefusal{SorError::kNotRunning, "parent " + std::to_string(id_) + " has ended (" +
                                                            std::string(enum_name(status_)) + ")"}};
  }
  status_ = AlgoState::kCanceled;
  for (SorChildState& c : children_) {
    if (c.ended || c.cancel_asked) continue;
    c.cancel_asked = true;
    QuoteAction a;
    a.kind = QuoteAction::Kind::kCancel;
    a.cancel = CancelOrder{c.plan.account, c.plan.instrument, c.client_order_id};
    out.push_back(a);
  }
  return Unit{};
}

void SmartOrder::settle() {
  if (out_ != 0 || is_terminal(status_)) return;
  status_ = filled_ >= parent_.quantity ? AlgoState::kCompleted : AlgoState::kFailed;
}

Decimal SmartOrder::avg_price() const noexcept {
  if (!filled_.is_positive()) return {};
  return Decimal::from_raw(notional_e18_ / filled_.raw());
}

}  // namespace oms::actors
