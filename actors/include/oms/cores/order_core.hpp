// OrderCore: the full lifecycle of one order, as a pure fold over its events.
//
// Pure: no I/O, no threads, no clock reads. The ack timeout is the order desk's timer input; its
// expiry is recorded as an OrderAckTimedOut event, so a rebuild and a replay see it.
//
// Rules the table and apply() follow (DESIGN.md "an order whose ack was lost is never assumed
// rejected"):
// - A lost ack (or a lost cancel/amend ack) moves to kUnknown; only the venue moves it on,
//   through a status query (OrderStatusReconciled) or a late report. Connectors report a
//   queried order the venue does not know (Binance -2013) as status kRejected: the venue said
//   so, we did not assume it. The order desk holds such an answer back while the order is in
//   doubt (never answered, younger than its time to live): a send that timed out at the venue
//   (-1007, a 5xx) may still execute. And a rejected order that fills after all keeps its
//   fills (the table below): nothing the venue executed is dropped.
// - Fills race cancels and amends: a fill in pending-cancel / pending-amend still counts and
//   only leaves the pending state when it completes the order.
// - Two sources of "how much filled": FillReceived (one trade each, dedup by venue trade id)
//   and the venue's cumulative reports (OrderPartiallyFilled, OrderFilled, OrderCanceled,
//   OrderExpired, OrderStatusReconciled). The venue's cumulative figure is authoritative for
//   the STATUS; the fills are authoritative for cum_qty / avg price / the position. When a
//   report runs ahead of the fills, fill_gap() says how much is missing (the shell fetches the
//   trades); stale reports never move the status backwards (terminal states absorb them).
// - Either source beyond the order quantity is an overfill: raised (kOverfill), never absorbed.
// - An order another client placed on the account enters with ExternalOrderFound (as if
//   submitted, sent and acked in one step, of no strategy) and is marked external(); from then
//   on the venue's reports move it like any other.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "oms/cores/state_codec.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms {

// Every input of the order table. Venue events map one to one; a FillReceived maps to
// kPartiallyFilled or kFilled by the cum_qty it leads to; an OrderStatusReconciled maps to the
// kind of the status the venue reports. The rest are the order desk's own events.
enum class OrderEventKind : std::uint8_t {
  kSubmitted,        // OrderSubmitted: risk passed, the order exists
  kSendRequested,    // OrderSendRequested: handed to the venue session
  kAccepted,         // OrderAccepted, or a status query saying "open, nothing filled"
  kRejected,         // OrderRejected (risk or venue), or a status query saying rejected/not found
  kPartiallyFilled,  // FillReceived / OrderPartiallyFilled that leaves quantity open
  kFilled,           // FillReceived completing the quantity / OrderFilled
  kCancelRequested,  // OrderCancelRequested: cancel sent
  kCanceled,         // OrderCanceled
  kCancelRejected,   // OrderCancelRejected: the venue refused the cancel
  kAmendRequested,   // OrderAmendRequested: amend sent
  kAmended,          // OrderAmended
  kAmendRejected,    // OrderAmendRejected: the venue refused the amend
  kExpired,          // OrderExpired (IOC/FOK remainder, GTD)
  kAckTimedOut,      // OrderAckTimedOut: no answer to a send/cancel/amend in time
};
inline constexpr std::size_t kOrderEventKindCount = 14;
inline constexpr std::size_t kOrderStatusCount = 13;
[[nodiscard]] std::string_view to_string(OrderEventKind k) noexcept;

// Table results that are not states. Outside OrderStatus's enumerators on purpose (the
// underlying type is fixed, so the values are valid), so they never collide with a state.
inline constexpr OrderStatus kInvalidStatus = static_cast<OrderStatus>(0xFF);
// "Back to the live state before the cancel/amend request" (apply() keeps that state).
inline constexpr OrderStatus kPriorLiveStatus = static_cast<OrderStatus>(0xFE);

constexpr std::uint16_t pair(OrderStatus s, OrderEventKind e) noexcept {
  return static_cast<std::uint16_t>((static_cast<unsigned>(s) << 8U) | static_cast<unsigned>(e));
}

// The order state machine: next status for (status, event kind); kInvalidStatus otherwise.
// Terminal states (filled, canceled, expired) absorb: late acks, fills and reports that trail
// a terminal report are counted (fills) but never move the status. Rejected is the exception:
// the venue's later evidence that the order lived (a fill, an ack, its end) moves it on.
// clang-format off
constexpr OrderStatus transition(OrderStatus s, OrderEventKind e) noexcept {
  using S = OrderStatus;
  using enum OrderEventKind;
  switch (pair(s, e)) {
    case pair(S::kInitialized,     kSubmitted):       return S::kPendingSubmit;

    case pair(S::kPendingSubmit,   kSendRequested):   return S::kSubmitted;
    case pair(S::kPendingSubmit,   kRejected):        return S::kRejected;       // risk said no

    case pair(S::kSubmitted,       kAccepted):        return S::kAccepted;
    case pair(S::kSubmitted,       kRejected):        return S::kRejected;
    case pair(S::kSubmitted,       kPartiallyFilled): return S::kPartiallyFilled; // fill beat the ack
    case pair(S::kSubmitted,       kFilled):          return S::kFilled;
    case pair(S::kSubmitted,       kCancelRequested): return S::kPendingCancel;   // cancel by client id
    case pair(S::kSubmitted,       kCanceled):        return S::kCanceled;
    case pair(S::kSubmitted,       kExpired):         return S::kExpired;         // IOC remainder
    case pair(S::kSubmitted,       kAckTimedOut):     return S::kUnknown;         // never assume rejected

    case pair(S::kAccepted,        kAccepted):        return S::kAccepted;        // duplicate ack / query
    case pair(S::kAccepted,        kPartiallyFilled): return S::kPartiallyFilled;
    case pair(S::kAccepted,        kFilled):          return S::kFilled;
    case pair(S::kAccepted,        kCancelRequested): return S::kPendingCancel;
    case pair(S::kAccepted,        kCanceled):        return S::kCanceled;        // unsolicited (STP, ops)
    case pair(S::kAccepted,        kAmendRequested):  return S::kPendingAmend;
    case pair(S::kAccepted,        kExpired):         return S::kExpired;

    case pair(S::kPartiallyFilled, kAccepted):        return S::kPartiallyFilled; // late ack
    case pair(S::kPartiallyFilled, kPartiallyFilled): return S::kPartiallyFilled;
    case pair(S::kPartiallyFilled, kFilled):          return S::kFilled;
    case pair(S::kPartiallyFilled, kCancelRequested): return S::kPendingCancel;
    case pair(S::kPartiallyFilled, kCanceled):        return S::kCanceled;
    case pair(S::kPartiallyFilled, kAmendRequested):  return S::kPendingAmend;
    case pair(S::kPartiallyFilled, kExpired):         return S::kExpired;

    case pair(S::kFilled,          kAccepted):        return S::kFilled;          // late ack
    case pair(S::kFilled,          kPartiallyFilled): return S::kFilled;          // trailing fill/report
    case pair(S::kFilled,          kFilled):          return S::kFilled;
    case pair(S::kFilled,          kCancelRejected):  return S::kFilled;          // cancel lost the race
    case pair(S::kFilled,          kAmendRejected):   return S::kFilled;          // amend lost the race

    case pair(S::kPendingCancel,   kAccepted):        return S::kPendingCancel;   // late ack
    case pair(S::kPendingCancel,   kRejected):        return S::kRejected;        // the order itself
    case pair(S::kPendingCancel,   kPartiallyFilled): return S::kPendingCancel;   // fill races the cancel
    case pair(S::kPendingCancel,   kFilled):          return S::kFilled;          // fill won the race
    case pair(S::kPendingCancel,   kCanceled):        return S::kCanceled;
    case pair(S::kPendingCancel,   kCancelRejected):  return kPriorLiveStatus;
    case pair(S::kPendingCancel,   kExpired):         return S::kExpired;
    case pair(S::kPendingCancel,   kAckTimedOut):     return S::kUnknown;         // canceled? ask

    case pair(S::kCanceled,        kAccepted):        return S::kCanceled;        // late ack
    case pair(S::kCanceled,        kPartiallyFilled): return S::kCanceled;        // fill before the cancel
    case pair(S::kCanceled,        kFilled):          return S::kCanceled;

    case pair(S::kPendingAmend,    kAccepted):        return S::kPendingAmend;    // query: still open
    case pair(S::kPendingAmend,    kPartiallyFilled): return S::kPendingAmend;    // fill races the amend
    case pair(S::kPendingAmend,    kFilled):          return S::kFilled;
    case pair(S::kPendingAmend,    kCanceled):        return S::kCanceled;
    case pair(S::kPendingAmend,    kAmended):         return S::kAmended;
    case pair(S::kPendingAmend,    kAmendRejected):   return kPriorLiveStatus;
    case pair(S::kPendingAmend,    kExpired):         return S::kExpired;
    case pair(S::kPendingAmend,    kAckTimedOut):     return S::kUnknown;

    case pair(S::kAmended,         kAccepted):        return S::kAmended;         // query: still open
    case pair(S::kAmended,         kPartiallyFilled): return S::kPartiallyFilled;
    case pair(S::kAmended,         kFilled):          return S::kFilled;
    case pair(S::kAmended,         kCancelRequested): return S::kPendingCancel;
    case pair(S::kAmended,         kCanceled):        return S::kCanceled;
    case pair(S::kAmended,         kAmendRequested):  return S::kPendingAmend;
    case pair(S::kAmended,         kExpired):         return S::kExpired;

    case pair(S::kExpired,         kAccepted):        return S::kExpired;         // late ack
    case pair(S::kExpired,         kPartiallyFilled): return S::kExpired;         // fill before expiry
    case pair(S::kExpired,         kFilled):          return S::kExpired;

    // A rejection that the venue's later word proves wrong: an order the venue did not know
    // when asked (in doubt past its time to live) that executes after all. A fill is a fact
    // and is always kept; an ack, a cancel or an expiry says the order lived.
    case pair(S::kRejected,        kAccepted):        return S::kAccepted;
    case pair(S::kRejected,        kPartiallyFilled): return S::kPartiallyFilled;
    case pair(S::kRejected,        kFilled):          return S::kFilled;
    case pair(S::kRejected,        kCanceled):        return S::kCanceled;
    case pair(S::kRejected,        kExpired):         return S::kExpired;

    case pair(S::kUnknown,         kAccepted):        return S::kAccepted;        // resolved by the venue
    case pair(S::kUnknown,         kRejected):        return S::kRejected;        // only if the venue says
    case pair(S::kUnknown,         kPartiallyFilled): return S::kPartiallyFilled; // a fill proves it lives
    case pair(S::kUnknown,         kFilled):          return S::kFilled;
    case pair(S::kUnknown,         kCancelRequested): return S::kPendingCancel;   // cancel by client id
    case pair(S::kUnknown,         kCanceled):        return S::kCanceled;
    case pair(S::kUnknown,         kExpired):         return S::kExpired;
    case pair(S::kUnknown,         kAckTimedOut):     return S::kUnknown;         // query again

    default:                                          return kInvalidStatus;
  }
}
// clang-format on

constexpr bool is_terminal(OrderStatus s) noexcept {
  return s == OrderStatus::kFilled || s == OrderStatus::kCanceled || s == OrderStatus::kRejected ||
         s == OrderStatus::kExpired;
}

// One input of an OrderCore: the order's bus events (envelope stripped by the shell), the
// venue's and the order desk's (send/cancel/amend requested, cancel/amend rejected, ack timed
// out). Every alternative names its client order id.
using OrderEvent =
    std::variant<OrderSubmitted, OrderSendRequested, OrderAccepted, OrderRejected,
                 OrderPartiallyFilled, OrderFilled, FillReceived, OrderCancelRequested,
                 OrderCanceled, OrderCancelRejected, OrderAmendRequested, OrderAmended,
                 OrderAmendRejected, OrderExpired, OrderAckTimedOut, OrderStatusReconciled,
                 ExternalOrderFound>;

// ---- results ----------------------------------------------------------------------------------
// Order errors, range 3xxx.
enum class OrderErrorCode : std::uint16_t {
  kInvalidTransition = 3001,  // (status, kind) not in the table
  kOverfill = 3002,           // a fill or a venue report beyond the order quantity
  kDuplicateFill = 3003,      // a trade id already counted: reported in Applied, not an error
  kMismatchedOrder = 3004,    // the event names another client order id
  kArithmetic = 3005,         // a Decimal operation failed (overflow)
  kInvalidReport = 3006,      // malformed content: non-positive qty/price, empty trade id,
                              // wrong side, a status a venue cannot report
};
[[nodiscard]] std::string_view to_string(OrderErrorCode c) noexcept;

// What tripped, with the numbers. The core is unchanged when apply() returns an error.
struct OrderError {
  OrderErrorCode code = OrderErrorCode::kInvalidTransition;
  OrderStatus status = OrderStatus::kInitialized;  // the (unchanged) status
  OrderEventKind kind = OrderEventKind::kSubmitted;
  ClientOrderIdText client_order_id;        // the order's
  ClientOrderIdText event_client_order_id;  // the event's (differs for kMismatchedOrder)
  Decimal quantity;                         // order quantity
  Decimal cum_qty;  // the figure the offending value was checked against (fills or venue cum)
  Decimal value;    // the offending value: fill qty, reported cum, amended quantity
  DecimalError decimal_error = DecimalError::kOverflow;  // kArithmetic only
  friend bool operator==(const OrderError&, const OrderError&) = default;
};
// "order 3002 overfill: fill 0.6 on cum_qty 0.5 exceeds quantity 1 (C1..., accepted)".
[[nodiscard]] std::string to_string(const OrderError& e);

struct Applied {
  OrderEventKind kind = OrderEventKind::kSubmitted;
  OrderStatus from = OrderStatus::kInitialized;
  OrderStatus to = OrderStatus::kInitialized;
  // kDuplicateFill when the fill's trade id was already counted: ignored, core unchanged.
  std::optional<OrderErrorCode> ignored;
  friend bool operator==(const Applied&, const Applied&) = default;
};

// The last refusal the venue (or risk) gave this order: reject, cancel reject, amend reject.
struct OrderLastError {
  std::uint16_t code = 0;
  std::int32_t venue_code = 0;
  ReasonText reason;
  friend bool operator==(const OrderLastError&, const OrderLastError&) = default;
};
OMS_DESCRIBE(OrderLastError, code, venue_code, reason)

// ---- the core ---------------------------------------------------------------------------------
class OrderCore {
 public:
  // The first event of an order is OrderSubmitted; a default core is kInitialized.
  OrderCore() = default;

  // Folds one event. On error nothing changes (status, figures, ids, last_error) and the
  // error says why with the numbers; a duplicate fill is Ok with Applied::ignored set.
  [[nodiscard]] Result<Applied, OrderError> apply(const OrderEvent& event);

  // Rebuilds from a recorded event list. Events that failed live fail again here and, as
  // live, change nothing; so replaying the full recorded list gives the live state.
  [[nodiscard]] static OrderCore from_events(std::span<const OrderEvent> events);

  [[nodiscard]] OrderStatus status() const noexcept { return status_; }
  [[nodiscard]] AccountId account() const noexcept { return account_; }
  [[nodiscard]] StrategyId strategy() const noexcept { return strategy_; }
  [[nodiscard]] InstrumentId instrument() const noexcept { return instrument_; }
  [[nodiscard]] const ClientOrderIdText& client_order_id() const noexcept {
    return client_order_id_;
  }
  [[nodiscard]] const VenueOrderId& venue_order_id() const noexcept { return venue_order_id_; }
  [[nodiscard]] Side side() const noexcept { return side_; }
  [[nodiscard]] OrderType order_type() const noexcept { return order_type_; }
  [[nodiscard]] TimeInForce tif() const noexcept { return tif_; }
  [[nodiscard]] Decimal price() const noexcept { return price_; }
  [[nodiscard]] Decimal quantity() const noexcept { return quantity_; }
  // Sum of unique fills (FillReceived).
  [[nodiscard]] Decimal cum_qty() const noexcept { return cum_qty_; }
  // Highest cumulative quantity the venue has reported.
  [[nodiscard]] Decimal venue_cum_qty() const noexcept { return venue_cum_qty_; }
  // Open quantity: 0 in a terminal state, else quantity - max(cum_qty, venue_cum_qty).
  [[nodiscard]] Decimal leaves_qty() const noexcept { return leaves_qty_; }
  // How far the venue's reports run ahead of the fills seen (0 when in step).
  [[nodiscard]] Decimal fill_gap() const noexcept;
  // notional / cum_qty rounded half-even to 1e-9; 0 before the first fill.
  [[nodiscard]] Decimal avg_price() const noexcept { return avg_price_; }
  // Exact sum of price * qty over the fills, scaled by 1e-18 (two Decimal scales): no rounding.
  [[nodiscard]] Int128 notional_e18() const noexcept { return notional_e18_; }
  [[nodiscard]] const std::vector<TradeId>& trade_ids() const noexcept { return trade_ids_; }
  // The fees of its fills in the first fee asset seen (zero, empty before a fee); fee_other()
  // when some fee is not in fee(): paid in another asset, or beyond Decimal's range.
  [[nodiscard]] Decimal fee() const noexcept { return fee_; }
  [[nodiscard]] const AssetCode& fee_asset() const noexcept { return fee_asset_; }
  [[nodiscard]] bool fee_other() const noexcept { return fee_other_; }
  [[nodiscard]] const std::optional<OrderLastError>& last_error() const noexcept {
    return last_error_;
  }
  // Placed by another client on the account (ExternalOrderFound): omsd never cancels or amends
  // it on its own.
  [[nodiscard]] bool external() const noexcept { return external_; }

  friend bool operator==(const OrderCore&, const OrderCore&) = default;

  // Compacted state (snapshots, state_codec.hpp); load() replaces this core's state when the
  // reader stays ok.
  void save(actors::StateWriter& w) const { state(*this, w); }
  void load(actors::StateReader& r) {
    OrderCore loaded;
    state(loaded, r);
    if (r.ok()) *this = std::move(loaded);
  }

 private:
  template <class Self, class V>
  static void state(Self& s, V&& v) {
    v(s.account_, s.strategy_, s.instrument_, s.client_order_id_, s.side_, s.order_type_, s.tif_,
      s.price_, s.quantity_, s.cum_qty_, s.venue_cum_qty_, s.leaves_qty_, s.avg_price_,
      s.notional_e18_, s.venue_order_id_, s.status_, s.prior_live_status_, s.trade_ids_,
      s.last_error_, s.fee_, s.fee_asset_, s.fee_other_, s.external_);
  }
  Result<Applied, OrderError> on(const OrderSubmitted& e);
  Result<Applied, OrderError> on(const OrderAccepted& e);
  Result<Applied, OrderError> on(const OrderRejected& e);
  Result<Applied, OrderError> on(const FillReceived& e);
  Result<Applied, OrderError> on(const OrderAmended& e);
  Result<Applied, OrderError> on(const OrderStatusReconciled& e);
  Result<Applied, OrderError> on(const OrderPartiallyFilled& e);
  Result<Applied, OrderError> on(const OrderFilled& e);
  Result<Applied, OrderError> on(const OrderCanceled& e);
  Result<Applied, OrderError> on(const OrderExpired& e);
  Result<Applied, OrderError> on(const OrderSendRequested& e);
  Result<Applied, OrderError> on(const OrderCancelRequested& e);
  Result<Applied, OrderError> on(const OrderAmendRequested& e);
  Result<Applied, OrderError> on(const OrderCancelRejected& e);
  Result<Applied, OrderError> on(const OrderAmendRejected& e);
  Result<Applied, OrderError> on(const OrderAckTimedOut& e);
  Result<Applied, OrderError> on(const ExternalOrderFound& e);

  // The table's answer with kPriorLiveStatus resolved; an error for an invalid pair.
  [[nodiscard]] Result<OrderStatus, OrderError> next_status(OrderEventKind k) const;
  // A venue's cumulative report: checks it, then moves to next and records the figure.
  Result<Applied, OrderError> on_cum_report(OrderEventKind k, Decimal reported_cum);
  // Commits a checked transition; keeps the prior live state and leaves_qty in step.
  Applied commit(OrderEventKind k, OrderStatus next);
  [[nodiscard]] OrderError error(OrderErrorCode c, OrderEventKind k, Decimal against = {},
                                 Decimal value = {}) const;
  [[nodiscard]] bool seen(const TradeId& id) const noexcept;

  AccountId account_;
  StrategyId strategy_;
  InstrumentId instrument_;
  ClientOrderIdText client_order_id_;
  Side side_ = Side::kBuy;
  OrderType order_type_ = OrderType::kLimit;
  TimeInForce tif_ = TimeInForce::kGtc;
  Decimal price_, quantity_;
  Decimal cum_qty_, venue_cum_qty_, leaves_qty_, avg_price_;
  Int128 notional_e18_ = 0;
  Decimal fee_;
  AssetCode fee_asset_;
  bool fee_other_ = false;
  bool external_ = false;  // ExternalOrderFound: another client's order
  VenueOrderId venue_order_id_;
  OrderStatus status_ = OrderStatus::kInitialized;
  // The live status a pending cancel/amend returns to when the venue refuses it.
  OrderStatus prior_live_status_ = OrderStatus::kInitialized;
  // Venue trade ids counted so far: a few per order, so a flat vector beats a hash set.
  std::vector<TradeId> trade_ids_;
  std::optional<OrderLastError> last_error_;
};

}  // namespace oms
