// OKX v5 account data as our events: the private WebSocket channels (orders, account,
// positions, and the login / subscribe / error / pong replies) and the REST answers an account
// connection reads (order acks and batch acks, one order, pending orders and order history,
// fills, balance, positions, server time).
//
// OKX sends one `orders` message per change of an order, carrying the order's state and
// cumulative figures AND, when it traded, that one fill (tradeId, fillSz, fillPx, fillFee):
//   state live                  -> OrderAccepted (an amend's answer comes as live too, with
//                                  amendResult; the connector records OrderAmended from its ack)
//   state partially_filled      -> FillReceived (the fill) then OrderPartiallyFilled
//   state filled                -> FillReceived then OrderFilled
//   state canceled/mmp_canceled -> OrderCanceled when cancelSource is 1 (canceled by the user),
//                                  else OrderExpired (IOC / FOK remainder, post-only would
//                                  take, self-trade prevention, the venue's risk engine ...)
//   amendResult 0               -> OrderAmended (px, sz) after the state's event; -1 / 1 (the
//                                  amendment failed after the venue took it; 1: and canceled
//                                  the order) -> amend_failed, for the connector to query
// Fills: trade id = tradeId; quantity = fillSz x the contract value (SWAP sizes are in
// contracts, spot in base units); fee = -fillFee in fillFeeCcy (OKX: negative = charged; ours:
// positive = paid, a maker rebate is a negative fee); maker when execType is M.
//   account:   per currency BalanceUpdated (free = availBal, else cashBal - frozenBal; locked =
//              frozenBal).
//   positions: PositionUpdated (net mode: pos signed; long/short legs positive), sizes x ctVal.
// A fee or balance with more than 9 decimals (OKX sends up to 18: "100.5276856979784612") cannot
// be exact in a Decimal (1e-9): a fee is rounded
// away from zero (never less than charged), a free balance toward zero (never more than held), a
// locked one away from zero, and the message's `notes` say so for the connector to log. Anything else malformed is an error naming
// the field; an instrument the caller does not know is skipped with its id.
//
// Algo orders (stop / take-profit: OKX's conditional and trigger orders) are ours under their
// algoClOrdId. One waits as state live without an ordId; when the price reaches its trigger OKX
// places its order (state effective, the ordId) and that order's items on the orders channel
// and in the order queries carry clOrdId "" and the algo's algoClOrdId: the client order id is
// clOrdId, else algoClOrdId, so the order is one of ours from acceptance to its fills. The
// orders-algo channel (on /ws/v5/business) and the algo queries give AlgoOrderItem; its own
// event is algo_event()'s. trade/fills items carry neither: the connector names their order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/exchange.hpp"
#include "oms/connectors/json_parser.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::okx {

using ParseError = venue::ParseError;

// instId -> the instrument (the caller's registry) and its contract value (SWAP ctVal; 1 for
// spot). instrument nullptr: not one of ours.
struct InstrumentEntry {
  const Instrument* instrument = nullptr;
  Decimal contract_value = Decimal::from_raw(Decimal::kOne);
};
using InstrumentLookup = std::function<InstrumentEntry(std::string_view inst_id)>;

struct AccountContext {
  AccountId account;
  // The connection's market (kSpot: instType SPOT; kUsdm: SWAP): what BalanceUpdated is
  // recorded under; order items of the other instType are skipped (the other market's
  // connection of the same unified account reads them).
  Market market = Market::kSpot;
  InstrumentLookup find;
};

// One venue fact as our event, with what identifies it at the venue (the connector derives the
// report id from it: the same fact twice gives the same id).
struct VenueEvent {
  TimeNs venue_time = 0;
  std::string venue_order_id;  // empty for balances and positions
  EventPayload payload;
};

enum class PrivateKind : std::uint8_t {
  kOrders, kAccount, kPositions,
  kOrdersAlgo,  // the business stream's orders-algo channel
  kLogin,      // {"event":"login","code":"0"}
  kSubscribe,  // {"event":"subscribe","arg":{...}}
  kError,      // {"event":"error","code":"60012","msg":"..."}
  kPong,       // the text "pong"
  kOther,      // a well-formed message of a channel we do not read (channel-conn-count ...)
};

struct AmendFailure {
  InstrumentId instrument;
  ClientOrderIdText client_order_id;
};

// OKX's algo order states: live (waiting for its trigger), effective (its order placed; also
// partially_effective), canceled, order_failed (the order at the trigger failed; also
// partially_failed); pause and any other word: kOther (no event).
enum class AlgoState : std::uint8_t { kLive, kEffective, kCanceled, kFailed, kOther };

// One algo order of ours as the venue reports it.
struct AlgoOrderItem {
  InstrumentId instrument;
  ClientOrderIdText client_order_id;  // algoClOrdId (clOrdId, its former name, when empty)
  std::string algo_id;
  std::string ord_id;  // the order placed at the trigger; empty before
  AlgoState state = AlgoState::kOther;
  std::string state_text;  // as received
  std::string fail_code;   // failCode when the order at the trigger failed
  TimeNs venue_time = 0;   // uTime
};

// The algo order's own event (account = ours):
//   live         -> OrderAccepted (venue order id = algoId)
//   canceled     -> OrderCanceled (cum 0: nothing traded before the trigger)
//   order_failed -> OrderExpired (cum 0: the venue ended it; the order at the trigger failed)
//   effective    -> none: the order placed reports, under the same client order id
//   other        -> none
[[nodiscard]] std::optional<EventPayload> algo_event(const AlgoOrderItem& a, AccountId account);

struct PrivateMessage {
  PrivateKind kind = PrivateKind::kOther;
  std::string code;     // login / error replies: the venue's code ("0" = success)
  std::string msg;      // the venue's text (why login failed)
  std::string channel;  // as received (kSubscribe: the channel the venue acknowledged)
  std::vector<VenueEvent> events;
  // Items we do not record (another instType, an unknown instrument, a currency that does not
  // fit), each with where and why; and notes on what was adjusted (a fee rounded): for the log.
  std::vector<std::string> skipped;
  std::vector<std::string> notes;
  std::vector<AmendFailure> amend_failed;
  std::vector<AlgoOrderItem> algos;  // kOrdersAlgo
};

// Parses one private WebSocket message (JSON, or the text "pong") into out (cleared first).
[[nodiscard]] Result<PrivateKind, ParseError> parse_private(std::string_view message,
                                                            const AccountContext& ctx,
                                                            PrivateMessage& out);

// ---- REST answers ---------------------------------------------------------------------------
// The v5 envelope {"code":"0","msg":"","data":[...]}: code "0" is success; anything else is
// the venue's refusal -- for order operations the item's sCode / sMsg when it names one.
struct VenueRefusal {
  std::int32_t code = 0;
  std::string msg;
};
struct RestError {
  bool refused = false;  // true: the venue refused (see refusal)
  VenueRefusal refusal;
  std::string message;  // names the field when !refused
};

// An answer whose data we do not read (set-leverage, set-position-mode): the envelope only.
[[nodiscard]] Result<Unit, RestError> parse_envelope(std::string_view body);
// /api/v5/public/time -> the venue's clock in milliseconds.
[[nodiscard]] Result<std::int64_t, RestError> parse_server_time(std::string_view body);

struct OrderAck {
  std::string order_id;
  std::string client_order_id;
};
// trade/order | cancel-order | amend-order: the one item's ids; its sCode != 0 is a refusal.
[[nodiscard]] Result<OrderAck, RestError> parse_order_ack(std::string_view body);
// batch-orders | cancel-batch-orders | amend-batch-orders: one answer per item, in order.
struct BatchItemAnswer {
  OrderAck ack;
  VenueRefusal refusal;  // code 0: the item was done
};
[[nodiscard]] Result<std::vector<BatchItemAnswer>, RestError> parse_batch_ack(std::string_view body);

// trade/order, orders-pending, orders-history(-archive) -> OrderStatusReconciled per order of
// ours (others in skipped). last_order_id: the page's last ordId (OKX pages with after=ordId).
struct OrdersPage {
  std::vector<OrderStatusReconciled> orders;
  std::vector<std::string> skipped;
  std::string last_order_id;
  std::size_t count = 0;  // items in the page, skipped included (a full page asks for more)
};
[[nodiscard]] Result<OrdersPage, RestError> parse_orders(std::string_view body,
                                                         const AccountContext& ctx);
// order-algo (one item), orders-algo-pending, orders-algo-history -> the algo orders of ours
// (others in skipped). last_algo_id: the page's last algoId (paged with after=algoId).
struct AlgoOrdersPage {
  std::vector<AlgoOrderItem> algos;
  std::vector<std::string> skipped;
  std::string last_algo_id;
  std::size_t count = 0;
};
[[nodiscard]] Result<AlgoOrdersPage, RestError> parse_algo_orders(std::string_view body,
                                                                  const AccountContext& ctx);
// POST order-algo (one item) | cancel-algos (one per item): each item's algoId, algoClOrdId and
// sCode; an accepted order-algo item without an algoId is an error.
struct AlgoAck {
  std::string algo_id;
  std::string algo_client_id;
  VenueRefusal refusal;  // code 0: done
};
[[nodiscard]] Result<std::vector<AlgoAck>, RestError> parse_algo_acks(std::string_view body);

// trade/fills, fills-history -> FillReceived. last_bill_id: the page's last billId.
struct FillsPage {
  std::vector<VenueEvent> events;
  std::vector<std::string> skipped;
  std::vector<std::string> notes;
  std::string last_bill_id;
  std::size_t count = 0;
};
[[nodiscard]] Result<FillsPage, RestError> parse_fills(std::string_view body,
                                                       const AccountContext& ctx);
// account/balance -> BalanceUpdated per currency (notes: figures rounded, as above).
struct BalancesAnswer {
  std::vector<BalanceUpdated> balances;
  std::vector<std::string> notes;
};
// /api/v5/account/trade-fee -> the rates as fractions charged: OKX's sign is the other way
// (negative = a commission charged), so -maker / -taker (SPOT), -makerU / -takerU (USDT swaps).
[[nodiscard]] Result<FeeRates, RestError> parse_trade_fee(std::string_view body, bool usdt_swap);
[[nodiscard]] Result<BalancesAnswer, RestError> parse_balance(std::string_view body,
                                                              const AccountContext& ctx);
// account/positions -> PositionUpdated per position of ours (flat ones included: size 0).
[[nodiscard]] Result<std::vector<PositionUpdated>, RestError> parse_positions(
    std::string_view body, const AccountContext& ctx);

// ---- funds transfers (/api/v5/asset/transfer, transfer-state) --------------------------------
// POST transfer -> data[0] {"transId", "clientId", "ccy", "amt", "from", "to"}: the venue took it
// (its outcome: transfer-state).
struct TransferAck {
  std::string trans_id, client_id;
};
[[nodiscard]] Result<TransferAck, RestError> parse_transfer_ack(std::string_view body);
// transfer-state -> its rows (none: the venue has no such transfer). state: success, pending,
// failed (OKX's words).
enum class TransferState : std::uint8_t { kSuccess, kPending, kFailed };
struct TransferStateRow {
  std::string trans_id, client_id, currency;
  Decimal amount;
  std::string from, to, type, sub_account;  // as sent: "6" / "18", "0" / "1" / "2"
  TransferState state = TransferState::kPending;
};
[[nodiscard]] Result<std::vector<TransferStateRow>, RestError> parse_transfer_state(std::string_view body);

}  // namespace oms::okx
