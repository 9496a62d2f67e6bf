// OrderCore: apply() checks everything first, then commits, so an error changes nothing.
#include "oms/cores/order_core.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <string>

namespace oms {

namespace {

constexpr std::array<std::string_view, kOrderEventKindCount> kKindNames{
    "submitted", "send_requested",   "accepted", "rejected",        "partially_filled",
    "filled",    "cancel_requested", "canceled", "cancel_rejected", "amend_requested",
    "amended",   "amend_rejected",   "expired",  "ack_timed_out"};

std::string_view status_name(OrderStatus s) noexcept {
  if (s == kInvalidStatus) return "invalid";
  if (s == kPriorLiveStatus) return "prior_live";
  return enum_name(s);
}

// Avg price rounding: half-even (no bias across many orders); the exact notional is kept
// beside it so nothing downstream has to trust the rounded figure.
constexpr Rounding kAvgPriceRounding = Rounding::kHalfEven;

// A live status that has seen fills is partially filled, whatever it was before.
OrderStatus live_with_fills(OrderStatus prior, bool any_fill) noexcept {
  return any_fill ? OrderStatus::kPartiallyFilled : prior;
}

const ClientOrderIdText& event_client_order_id(const OrderEvent& event) noexcept {
  return std::visit([](const auto& e) -> const ClientOrderIdText& { return e.client_order_id; },
                    event);
}

// The kind an event stands for before its content is read, by OrderEvent index (for errors
// raised before classification). A fill reads as partial, a status query as "open".
constexpr std::array<OrderEventKind, std::variant_size_v<OrderEvent>> kNominalKind{
    OrderEventKind::kSubmitted,       OrderEventKind::kSendRequested,
    OrderEventKind::kAccepted,        OrderEventKind::kRejected,
    OrderEventKind::kPartiallyFilled, OrderEventKind::kFilled,
    OrderEventKind::kPartiallyFilled, OrderEventKind::kCancelRequested,
    OrderEventKind::kCanceled,        OrderEventKind::kCancelRejected,
    OrderEventKind::kAmendRequested,  OrderEventKind::kAmended,
    OrderEventKind::kAmendRejected,   OrderEventKind::kExpired,
    OrderEventKind::kAckTimedOut,     OrderEventKind::kAccepted,
    OrderEventKind::kAccepted};

}  // namespace

std::string_view to_string(OrderEventKind k) noexcept {
  const auto i = static_cast<std::size_t>(k);
  return i < kKindNames.size() ? kKindNames[i] : std::string_view{"?"};
}

std::string_view to_string(OrderErrorCode c) noexcept {
  switch (c) {
    case OrderErrorCode::kInvalidTransition:
      return "invalid transition";
    case OrderErrorCode::kOverfill:
      return "overfill";
    case OrderErrorCode::kDuplicateFill:
      return "duplicate fill";
    case OrderErrorCode::kMismatchedOrder:
      return "mismatched order";
    case OrderErrorCode::kArithmetic:
      return "arithmetic";
    case OrderErrorCode::kInvalidReport:
      return "invalid report";
  }
  return "?";
}

std::string to_string(const OrderError& e) {
  std::string s = "order " + std::to_string(static_cast<unsigned>(e.code)) + " " +
                  std::string(to_string(e.code)) + ": ";
  switch (e.code) {
    case OrderErrorCode::kOverfill:
      s += std::string(to_string(e.kind)) + " " + e.value.to_string() + " against cum_qty " +
           e.cum_qty.to_string() + " exceeds quantity " + e.quantity.to_string();
      break;
    case OrderErrorCode::kMismatchedOrder:
      s += "event for " + e.event_client_order_id.str();
      break;
    case OrderErrorCode::kArithmetic:
      s += std::string(to_string(e.kind)) + " " + e.value.to_string() + ": " +
           to_string(e.decimal_error);
      break;
    case OrderErrorCode::kInvalidReport:
      s += std::string(to_string(e.kind)) + " with value " + e.value.to_string();
      break;
    case OrderErrorCode::kInvalidTransition:
    case OrderErrorCode::kDuplicateFill:
      s += std::string(to_string(e.kind)) + " in " + std::string(status_name(e.status));
      break;
  }
  return s + " (" + e.client_order_id.str() + ", " + std::string(status_name(e.status)) + ")";
}

Decimal OrderCore::fill_gap() const noexcept {
  // Both are in [0, quantity], so the difference cannot overflow.
  return venue_cum_qty_ > cum_qty_ ? Decimal::from_raw(venue_cum_qty_.raw() - cum_qty_.raw())
                                   : Decimal{};
}

OrderError OrderCore::error(OrderErrorCode c, OrderEventKind k, Decimal against,
                            Decimal value) const {
  OrderError e;
  e.code = c;
  e.status = status_;
  e.kind = k;
  e.client_order_id = client_order_id_;
  e.event_client_order_id = client_order_id_;
  e.quantity = quantity_;
  e.cum_qty = against;
  e.value = value;
  return e;
}

bool OrderCore::seen(const TradeId& id) const noexcept {
  return std::find(trade_ids_.begin(), trade_ids_.end(), id) != trade_ids_.end();
}

Result<OrderStatus, OrderError> OrderCore::next_status(OrderEventKind k) const {
  const OrderStatus next = transition(status_, k);
  if (next == kInvalidStatus)
    return Unexpected{error(OrderErrorCode::kInvalidTransition, k, cum_qty_)};
  if (next == kPriorLiveStatus)
    return live_with_fills(prior_live_status_,
                           cum_qty_.is_positive() || venue_cum_qty_.is_positive());
  return next;
}

Applied OrderCore::commit(OrderEventKind k, OrderStatus next) {
  const OrderStatus from = status_;
  const bool entering_pending =
      (next == OrderStatus::kPendingCancel || next == OrderStatus::kPendingAmend) && next != from;
  if (entering_pending) prior_live_status_ = from;
  // A late ack while a request is pending: a refused request now returns to "accepted".
  if (k == OrderEventKind::kAccepted && (prior_live_status_ == OrderStatus::kSubmitted ||
                                         prior_live_status_ == OrderStatus::kUnknown))
    prior_live_status_ = OrderStatus::kAccepted;
  status_ = next;
  if (is_terminal(status_)) {
    leaves_qty_ = Decimal{};
  } else {
    // quantity >= max(cum, venue cum) >= 0 is an invariant, so this cannot overflow.
    leaves_qty_ = Decimal::from_raw(quantity_.raw() - std::max(cum_qty_, venue_cum_qty_).raw());
  }
  return Applied{k, from, status_, std::nullopt};
}

Result<Applied, OrderError> OrderCore::apply(const OrderEvent& event) {
  // Before OrderSubmitted the core has no id to compare; the table refuses everything else.
  const ClientOrderIdText& id = event_client_order_id(event);
  if (status_ != OrderStatus::kInitialized && !(id == client_order_id_)) {
    OrderError e = error(OrderErrorCode::kMismatchedOrder, kNominalKind[event.index()], cum_qty_);
    e.event_client_order_id = id;
    return Unexpected{e};
  }
  return std::visit([this](const auto& e) { return on(e); }, event);
}

OrderCore OrderCore::from_events(std::span<const OrderEvent> events) {
  OrderCore core;
  for (const OrderEvent& e : events) (void)core.apply(e);  // errors changed nothing live either
  return core;
}

// ---- venue and risk events --------------------------------------------------------------------

Result<Applied, OrderError> OrderCore::on(const OrderSubmitted& e) {
  const auto next = next_status(OrderEventKind::kSubmitted);
  if (!next) return Unexpected{next.error()};
  if (!e.quantity.is_positive())
    return Unexpected{
        error(OrderErrorCode::kInvalidReport, OrderEventKind::kSubmitted, {}, e.quantity)};
  if (e.price.is_negative())
    return Unexpected{
        error(OrderErrorCode::kInvalidReport, OrderEventKind::kSubmitted, {}, e.price)};
  account_ = e.account;
  strategy_ = e.strategy;
  instrument_ = e.instrument;
  client_order_id_ = e.client_order_id;
  side_ = e.side;
  order_type_ = e.order_type;
  tif_ = e.tif;
  price_ = e.price;
  quantity_ = e.quantity;
  return commit(OrderEventKind::kSubmitted, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderAccepted& e) {
  const auto next = next_status(OrderEventKind::kAccepted);
  if (!next) return Unexpected{next.error()};
  if (!e.venue_order_id.empty()) venue_order_id_ = e.venue_order_id;
  return commit(OrderEventKind::kAccepted, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderRejected& e) {
  const auto next = next_status(OrderEventKind::kRejected);
  if (!next) return Unexpected{next.error()};
  last_error_ = OrderLastError{e.code, e.venue_code, e.reason};
  return commit(OrderEventKind::kRejected, *next);
}

Result<Applied, OrderError> OrderCore::on(const FillReceived& e) {
  using K = OrderEventKind;
  if (seen(e.trade_id))
    return Applied{K::kPartiallyFilled, status_, status_, OrderErrorCode::kDuplicateFill};
  // Whether a fill is welcome at all does not depend on its size: ask the table first.
  if (transition(status_, K::kPartiallyFilled) == kInvalidStatus &&
      transition(status_, K::kFilled) == kInvalidStatus)
    return Unexpected{
        error(OrderErrorCode::kInvalidTransition, K::kPartiallyFilled, cum_qty_, e.quantity)};
  if (e.trade_id.empty() || !e.quantity.is_positive() || !e.price.is_positive() || e.side != side_)
    return Unexpected{
        error(OrderErrorCode::kInvalidReport, K::kPartiallyFilled, cum_qty_, e.quantity)};
  const auto new_cum = cum_qty_.add(e.quantity);
  if (!new_cum) {
    OrderError err = error(OrderErrorCode::kArithmetic, K::kPartiallyFilled, cum_qty_, e.quantity);
    err.decimal_error = new_cum.error();
    return Unexpected{err};
  }
  if (*new_cum > quantity_)
    return Unexpected{error(OrderErrorCode::kOverfill, K::kFilled, cum_qty_, e.quantity)};
  const K kind = *new_cum == quantity_ ? K::kFilled : K::kPartiallyFilled;
  const auto next = next_status(kind);
  if (!next) return Unexpected{next.error()};

  // Exact notional at scale 1e-18: every term is <= quantity * price < 2^126 in total,
  // because the quantities summed never exceed quantity_ (checked above), so no overflow.
  const Int128 notional = notional_e18_ + static_cast<Int128>(e.price.raw()) * e.quantity.raw();
  Int128 avg = 0;
  if (!round_quotient(notional, new_cum->raw(), kAvgPriceRounding, avg) ||
      avg > std::numeric_limits<std::int64_t>::max()) {
    OrderError err = error(OrderErrorCode::kArithmetic, kind, cum_qty_, e.price);
    err.decimal_error = DecimalError::kOverflow;
    return Unexpected{err};
  }
  cum_qty_ = *new_cum;
  notional_e18_ = notional;
  avg_price_ = Decimal::from_raw(static_cast<std::int64_t>(avg));
  trade_ids_.push_back(e.trade_id);
  if (!e.fee.is_zero()) {
    if (fee_asset_.empty()) fee_asset_ = e.fee_asset;
    const auto sum = fee_.add(e.fee);
    if (fee_asset_ == e.fee_asset && sum) fee_ = *sum;
    else fee_other_ = true;  // the fill counts; its fee is told apart, never dropped silently
  }
  return commit(kind, *next);
}

Result<Applied, OrderError> OrderCore::on_cum_report(OrderEventKind k, Decimal reported_cum) {
  const auto next = next_status(k);
  if (!next) return Unexpected{next.error()};
  if (reported_cum.is_negative())
    return Unexpected{error(OrderErrorCode::kInvalidReport, k, venue_cum_qty_, reported_cum)};
  if (reported_cum > quantity_)
    return Unexpected{error(OrderErrorCode::kOverfill, k, venue_cum_qty_, reported_cum)};
  // Reports can arrive out of order: the venue's cumulative figure only grows.
  venue_cum_qty_ = std::max(venue_cum_qty_, reported_cum);
  return commit(k, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderPartiallyFilled& e) {
  return on_cum_report(OrderEventKind::kPartiallyFilled, e.cum_qty);
}
Result<Applied, OrderError> OrderCore::on(const OrderFilled& e) {
  return on_cum_report(OrderEventKind::kFilled, e.cum_qty);
}
Result<Applied, OrderError> OrderCore::on(const OrderCanceled& e) {
  return on_cum_report(OrderEventKind::kCanceled, e.cum_qty);
}
Result<Applied, OrderError> OrderCore::on(const OrderExpired& e) {
  return on_cum_report(OrderEventKind::kExpired, e.cum_qty);
}

Result<Applied, OrderError> OrderCore::on(const OrderStatusReconciled& e) {
  using K = OrderEventKind;
  using S = OrderStatus;
  const bool any_fill =
      e.cum_qty.is_positive() || cum_qty_.is_positive() || venue_cum_qty_.is_positive();
  K kind = K::kAccepted;
  switch (e.status) {
    case S::kAccepted:
    case S::kAmended:
      kind = any_fill ? K::kPartiallyFilled : K::kAccepted;
      break;
    case S::kPartiallyFilled:
      kind = K::kPartiallyFilled;
      break;
    case S::kFilled:
      kind = K::kFilled;
      break;
    case S::kCanceled:
      kind = K::kCanceled;
      break;
    case S::kExpired:
      kind = K::kExpired;
      break;
    case S::kRejected:
      kind = K::kRejected;
      break;  // rejected, or not found on the venue
    case S::kInitialized:
    case S::kPendingSubmit:
    case S::kSubmitted:
    case S::kPendingCancel:
    case S::kPendingAmend:
    case S::kUnknown:
      // Our own bookkeeping states: a venue cannot report them, so the query told us nothing.
      return Unexpected{
          error(OrderErrorCode::kInvalidReport, K::kAccepted, venue_cum_qty_, e.cum_qty)};
  }
  const VenueOrderId venue_id = venue_order_id_;
  if (!e.venue_order_id.empty()) venue_order_id_ = e.venue_order_id;
  auto applied = on_cum_report(kind, e.cum_qty);
  if (!applied) venue_order_id_ = venue_id;  // unchanged on error
  return applied;
}

Result<Applied, OrderError> OrderCore::on(const OrderAmended& e) {
  const auto next = next_status(OrderEventKind::kAmended);
  if (!next) return Unexpected{next.error()};
  if (!e.quantity.is_positive() || e.price.is_negative())
    return Unexpected{
        error(OrderErrorCode::kInvalidReport, OrderEventKind::kAmended, cum_qty_, e.quantity)};
  const Decimal filled = std::max(cum_qty_, venue_cum_qty_);
  if (e.quantity < filled)
    return Unexpected{
        error(OrderErrorCode::kOverfill, OrderEventKind::kAmended, filled, e.quantity)};
  price_ = e.price;
  quantity_ = e.quantity;
  return commit(OrderEventKind::kAmended, *next);
}

// ---- local transitions ------------------------------------------------------------------------

Result<Applied, OrderError> OrderCore::on(const OrderSendRequested&) {
  const auto next = next_status(OrderEventKind::kSendRequested);
  if (!next) return Unexpected{next.error()};
  return commit(OrderEventKind::kSendRequested, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderCancelRequested&) {
  const auto next = next_status(OrderEventKind::kCancelRequested);
  if (!next) return Unexpected{next.error()};
  return commit(OrderEventKind::kCancelRequested, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderAmendRequested&) {
  const auto next = next_status(OrderEventKind::kAmendRequested);
  if (!next) return Unexpected{next.error()};
  return commit(OrderEventKind::kAmendRequested, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderCancelRejected& e) {
  const auto next = next_status(OrderEventKind::kCancelRejected);
  if (!next) return Unexpected{next.error()};
  last_error_ = OrderLastError{e.code, e.venue_code, e.reason};
  return commit(OrderEventKind::kCancelRejected, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderAmendRejected& e) {
  const auto next = next_status(OrderEventKind::kAmendRejected);
  if (!next) return Unexpected{next.error()};
  last_error_ = OrderLastError{e.code, e.venue_code, e.reason};
  return commit(OrderEventKind::kAmendRejected, *next);
}

Result<Applied, OrderError> OrderCore::on(const OrderAckTimedOut&) {
  const auto next = next_status(OrderEventKind::kAckTimedOut);
  if (!next) return Unexpected{next.error()};
  return commit(OrderEventKind::kAckTimedOut, *next);
}

// Another client's order, found open (or already further) at the venue: it enters as our own
// would after submit, send and ack -- the same checks, in one step -- and stays marked external.
Result<Applied, OrderError> OrderCore::on(const ExternalOrderFound& e) {
  if (status_ != OrderStatus::kInitialized) {
    return Unexpected{error(OrderErrorCode::kInvalidTransition, OrderEventKind::kSubmitted, cum_qty_)};
  }
  OrderCore trial = *this;
  const OrderSubmitted sub{e.account, StrategyId{}, e.instrument, e.client_order_id, e.side,
                           e.order_type, e.tif, e.price, e.stop_price, e.quantity, e.reduce_only};
  if (auto r = trial.on(sub); !r) return Unexpected{r.error()};
  if (auto r = trial.on(OrderSendRequested{e.account, e.instrument, e.client_order_id}); !r) {
    return Unexpected{r.error()};
  }
  auto accepted = trial.on(OrderAccepted{e.account, e.instrument, e.client_order_id, e.venue_order_id});
  if (!accepted) return Unexpected{accepted.error()};
  trial.external_ = true;
  *this = std::move(trial);
  return Applied{OrderEventKind::kAccepted, OrderStatus::kInitialized, status_, std::nullopt};
}

}  // namespace oms
