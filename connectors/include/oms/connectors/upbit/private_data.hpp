// Upbit account data as our events: the private WebSocket (wss://api.upbit.com/websocket/v1/
// private: myOrder, myAsset, in the DEFAULT or the SIMPLE names) and the REST answers an account
// connection reads (POST /v1/orders and DELETE /v1/order, GET /v1/order with its trades,
// GET /v1/orders/open | closed, GET /v1/accounts, the error body).
//
// myOrder: one message per change of an order (state), a trade carrying that one fill:
//   wait, watch            -> OrderAccepted (watch: a reserved order waiting for its trigger)
//   trade                  -> FillReceived (trade_uuid, price, volume, trade_fee, is_maker) then
//                             OrderPartiallyFilled (cum = executed_volume, leaves =
//                             remaining_volume) -- none when remaining_volume is 0: the done
//                             message that follows says filled
//   done                   -> OrderFilled (cum = executed_volume, avg_price)
//   cancel                 -> OrderCanceled when the user's (a limit order without ioc / fok),
//                             else OrderExpired: the venue ended the rest of an ioc / fok order
//                             or of a market / best order (price, market, best)
//   prevented              -> OrderExpired (self-trade prevention cancelled the rest)
// A market buy by amount (order_type price) has no volume: its leaves are unknown, reported 0.
// Fees are in the market's quote currency (the code's first part: KRW for KRW-BTC), which is
// where Upbit charges them on both sides. Upbit writes them as doubles with up to 15 decimals
// (the docs' example: 22.467660028283017): past Decimal's 8 they are rounded away from zero
// (never less than charged) and the message's notes say so; avg_price is rounded to the nearest
// (half even), noted; a balance toward zero (free: never more than held), locked away from zero,
// noted. Prices and volumes must be exact: a ninth decimal there is an error naming the field.
// myAsset: per currency BalanceUpdated (free = balance, locked = locked; market kSpot).
//
// REST: decimals are strings ("0.005"). Errors: the body {"error":{"name":..,"message":..}} is a
// refusal with the name kept (RestError::refusal.name) and a stable number for it (code_of:
// 400xx bad request, 401xx authentication, 403xx refused by policy, 404xx not found, -1 for a
// name not in the table; the table only grows). An order's trades in GET /v1/order carry no fee
// of their own: the order's paid_fee is split over them pro rata by funds (Upbit's fee is a rate
// of the funds), the last taking the remainder so that they add up to paid_fee exactly, and
// noted when there is more than one; their maker / taker side is not given (taker assumed,
// noted).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/exchange.hpp"
#include "oms/connectors/json_parser.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::upbit {

using ParseError = venue::ParseError;

// code ("KRW-BTC") -> the caller's instrument; nullptr: not one of ours (skipped, noted).
using InstrumentLookup = std::function<const Instrument*(std::string_view code)>;

struct AccountContext {
  AccountId account;
  InstrumentLookup find;
};

// One venue fact as our event, with what identifies it at the venue.
struct VenueEvent {
  TimeNs venue_time = 0;
  std::string venue_order_id;  // the order's uuid; empty for balances
  EventPayload payload;
};

enum class PrivateKind : std::uint8_t {
  kMyOrder,
  kMyAsset,
  kStatus,  // {"status":"UP"}
  kError,   // {"error":{"name":"INVALID_AUTH",..}}
  kOther,   // a well-formed message of a type we do not read
};

struct PrivateMessage {
  PrivateKind kind = PrivateKind::kOther;
  std::string type;           // as received ("myOrder")
  std::string error_name;     // kError
  std::string error_message;  // kError
  std::vector<VenueEvent> events;
  std::vector<std::string> skipped;  // items not ours (an unknown market), with where and why
  std::vector<std::string> notes;    // figures rounded (see above)
};

// Parses one private WebSocket message into out (cleared first). Errors name the field as sent:
// "myOrder.tf: expected a number", "myAsset.assets[1].balance: missing".
[[nodiscard]] Result<PrivateKind, ParseError> parse_private(venue::JsonParser& parser,
                                                            std::string_view message,
                                                            const AccountContext& ctx,
                                                            PrivateMessage& out);

// ---- REST answers ---------------------------------------------------------------------------
struct VenueRefusal {
  std::int32_t code = 0;  // code_of(name)
  std::string name;       // "insufficient_funds_bid"
  std::string message;    // the venue's text (Korean)
};
struct RestError {
  bool refused = false;  // true: the venue's {"error":..} (see refusal)
  VenueRefusal refusal;
  std::string message;  // names the field when !refused
};
// The stable number of an error name; -1 when the table does not have it.
[[nodiscard]] std::int32_t code_of(std::string_view name) noexcept;
// The refusal as an OrderRejected reason: "name: message", cut (on a UTF-8 boundary) to fit.
[[nodiscard]] ReasonText reason_of(const VenueRefusal& r);

// POST /v1/orders, DELETE /v1/order: the order as the venue took it.
struct OrderAck {
  std::string uuid;
  std::string identifier;  // our client id, when we sent one
  std::string state;       // wait, watch, done, cancel (a cancel request's answer keeps the
                           // state before it took effect)
  std::string market;
};
[[nodiscard]] Result<OrderAck, RestError> parse_order_ack(std::string_view body);

// DELETE /v1/orders/open | /v1/orders/uuids: the cancellations the venue took
// ({"success":{"count","orders":[{uuid, market, identifier}]}, "failed":{... "error_code"}}).
struct BatchCancelAnswer {
  std::vector<OrderAck> canceled;  // state left empty
  std::vector<OrderAck> failed;    // state: the venue's reason (error_code / error_message)
};
[[nodiscard]] Result<BatchCancelAnswer, RestError> parse_batch_cancel(std::string_view body);

// GET /v1/order: the order and its trades.
struct OrderAnswer {
  OrderStatusReconciled order;
  std::vector<VenueEvent> fills;  // FillReceived per trades[] item
  std::vector<std::string> notes;
};
[[nodiscard]] Result<OrderAnswer, RestError> parse_order(std::string_view body,
                                                         const AccountContext& ctx);
// GET /v1/orders/open | closed | uuids: OrderStatusReconciled per order of ours (others in
// skipped).
struct OrdersPage {
  std::vector<OrderStatusReconciled> orders;
  std::vector<std::string> skipped;
  std::vector<std::string> notes;
  std::size_t count = 0;  // items in the page, skipped included
};
[[nodiscard]] Result<OrdersPage, RestError> parse_orders(std::string_view body,
                                                         const AccountContext& ctx);
// GET /v1/orders/chance -> the market's fees: maker_bid_fee (maker; bid_fee when absent) and
// bid_fee (taker) -- Upbit charges the same on both sides.
[[nodiscard]] Result<FeeRates, RestError> parse_chance_fees(std::string_view body);
// GET /v1/accounts -> BalanceUpdated per currency.
struct BalancesAnswer {
  std::vector<BalanceUpdated> balances;
  std::vector<std::string> notes;
};
[[nodiscard]] Result<BalancesAnswer, RestError> parse_accounts(std::string_view body,
                                                               const AccountContext& ctx);

}  // namespace oms::upbit
