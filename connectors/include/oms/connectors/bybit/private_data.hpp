// Bybit v5 account data as our events: the private WebSocket topics (order, execution,
// execution.fast, wallet, position, and the auth / subscribe / pong replies) and the REST
// answers an account connection reads (order acks and batch acks, open orders and order
// history, executions, wallet balance, positions).
//
// Bybit splits what Binance sends as one executionReport: the `order` topic carries the
// order's status and cumulative figures, the `execution` topic each fill with its fee. So:
//   order:     New / Untriggered / Triggered -> OrderAccepted; PartiallyFilled ->
//              OrderPartiallyFilled; Filled -> OrderFilled; Cancelled, PartiallyFilledCanceled,
//              Deactivated -> OrderCanceled when cancelType is CancelByUser, else OrderExpired
//              (an IOC / FOK / market remainder, self-trade prevention, reduce-only, the
//              venue's risk engine); Rejected -> OrderRejected (4403, the reject reason), or
//              OrderExpired when part of it had filled (the fills stand).
//   execution: Trade, AdlTrade, BustTrade, BlockTrade, Delivery -> FillReceived (trade id =
//              execId; fee = execFee in feeCurrency, else the settle coin on linear and the
//              received asset on spot -- base bought, quote sold, Bybit's rule); Funding ->
//              FundingPaid (execFee is what we paid: amount = -execFee). execution.fast carries
//              no fee: its fills are FillReceived with fee zero and a flag, to be completed by
//              the execution topic (same execId).
//   wallet:    per coin BalanceUpdated (locked = the coin's locked; free = walletBalance - locked).
//   position:  PositionUpdated (one-way: size signed by side; hedge legs positive).
// A symbol the caller does not know is an error naming it. Amendments are not marked in the
// order topic; the connector records OrderAmended from its amend ack.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/bybit/parse.hpp"
#include "oms/connectors/exchange.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::bybit {

// Category + symbol -> the instrument (the caller's registry); nullptr when unknown.
using InstrumentFinder = std::function<const Instrument*(Market market, std::string_view symbol)>;

struct AccountContext {
  AccountId account;
  // The connection's market: what BalanceUpdated is recorded under, the category of an order
  // or execution item that names none (v5 names it; older captures do not). Order and
  // execution items of the other category are skipped (the other market's connection reads
  // them from its own stream of the same unified account).
  Market market = Market::kSpot;
  InstrumentFinder find;
};

// One venue fact as our event, with what identifies it at the venue (the connector derives
// the report id from it: the same fact twice gives the same id).
struct VenueEvent {
  TimeNs venue_time = 0;
  std::string venue_order_id;  // empty for balances
  bool fee_pending = false;    // an execution.fast fill: its fee comes with the execution topic
  EventPayload payload;
};

enum class PrivateKind : std::uint8_t {
  kOrder, kExecution, kExecutionFast, kWallet, kPosition,
  kAuth,       // {"op":"auth","success":...}
  kSubscribe,  // {"op":"subscribe","success":...}
  kPong,       // {"op":"pong"} or {"op":"ping","ret_msg":"pong"}
  kOther,      // a well-formed message of a topic we do not read (greeks, dcp ...)
};

struct PrivateMessage {
  PrivateKind kind = PrivateKind::kOther;
  bool success = true;     // op replies
  std::string ret_msg;     // op replies: the venue's text (why auth failed)
  std::string topic;       // as received
  std::vector<VenueEvent> events;
  // Items of categories we do not trade (inverse, option) and execution types that are no
  // fill (Settle, MovePosition), each with where and why: for the connector to log.
  std::vector<std::string> skipped;
};

// Parses one private WebSocket message into out (events cleared first).
[[nodiscard]] Result<PrivateKind, ParseError> parse_private(std::string_view json,
                                                            const AccountContext& ctx,
                                                            PrivateMessage& out);

// ---- REST answers ---------------------------------------------------------------------------
// The v5 envelope: retCode 0 is success; anything else is the venue's refusal.
struct VenueRefusal {
  std::int32_t ret_code = 0;
  std::string ret_msg;
};
// A REST answer we could not use (ParseError), or the venue's refusal.
struct RestError {
  bool refused = false;  // true: the venue answered retCode != 0 (see refusal)
  VenueRefusal refusal;
  std::string message;  // names the field when !refused
};

// An answer whose result we do not read (set-leverage, switch-mode, set-margin-mode): the
// envelope only.
[[nodiscard]] Result<Unit, RestError> parse_envelope(std::string_view body);

struct OrderAck {
  std::string order_id;
  std::string order_link_id;
};
// /v5/order/create | amend | cancel.
[[nodiscard]] Result<OrderAck, RestError> parse_order_ack(std::string_view body);
// /v5/order/create-batch | amend-batch | cancel-batch: one answer per item, in order
// (result.list[i] with retExtInfo.list[i]: code 0 = done, else that item's refusal).
struct BatchItemAnswer {
  OrderAck ack;
  VenueRefusal refusal;  // ret_code 0: the item was done
};
[[nodiscard]] Result<std::vector<BatchItemAnswer>, RestError> parse_batch_ack(std::string_view body);
// /v5/order/cancel-all: the orders it canceled (result.list; "success" "1").
[[nodiscard]] Result<std::vector<OrderAck>, RestError> parse_cancel_all(std::string_view body);

// /v5/order/realtime and /v5/order/history -> OrderStatusReconciled per order.
struct OrdersPage {
  std::vector<OrderStatusReconciled> orders;
  std::string next_page_cursor;
};
[[nodiscard]] Result<OrdersPage, RestError> parse_orders(std::string_view body, Market market,
                                                         const AccountContext& ctx);
// /v5/execution/list -> FillReceived (and FundingPaid) as the execution topic maps them.
struct ExecutionsPage {
  std::vector<VenueEvent> events;
  std::vector<std::string> skipped;  // executions that are no fill (Settle, MovePosition), why
  std::string next_page_cursor;
};
[[nodiscard]] Result<ExecutionsPage, RestError> parse_executions(std::string_view body, Market market,
                                                                 const AccountContext& ctx);
// /v5/account/wallet-balance -> BalanceUpdated per coin.
[[nodiscard]] Result<std::vector<BalanceUpdated>, RestError> parse_wallet_balance(
    std::string_view body, const AccountContext& ctx);
// /v5/account/fee-rate (one symbol) -> its makerFeeRate and takerFeeRate.
[[nodiscard]] Result<FeeRates, RestError> parse_fee_rate(std::string_view body);
// /v5/position/list -> PositionUpdated per position (flat ones included: size 0).
[[nodiscard]] Result<std::vector<PositionUpdated>, RestError> parse_positions(std::string_view body,
                                                                              const AccountContext& ctx);

// ---- transfers (/v5/asset/transfer) ---------------------------------------------------------
// A transfer's status as Bybit words it: SUCCESS, PENDING, FAILED (STATUS_UNKNOWN, which the
// venue may answer while it books, reads as kPending: ask again).
enum class TransferStatus : std::uint8_t { kSuccess, kPending, kFailed };
// inter-transfer | universal-transfer: result {"transferId", "status"}. status: nullopt when
// the answer has none (older answers: the transfer was booked; ask the list to be sure).
struct TransferAck {
  std::string transfer_id;
  std::optional<TransferStatus> status;
};
[[nodiscard]] Result<TransferAck, RestError> parse_transfer_ack(std::string_view body);
// query-inter-transfer-list | query-universal-transfer-list: result.list rows (member ids
// empty on the inter-transfer list), newest first as the venue sends them.
struct TransferRow {
  std::string transfer_id, coin;
  Decimal amount;
  std::string from_member_id, to_member_id;
  std::string from_account_type, to_account_type;
  std::int64_t time_ms = 0;
  TransferStatus status = TransferStatus::kPending;
};
struct TransfersPage {
  std::vector<TransferRow> rows;
  std::string next_page_cursor;
};
[[nodiscard]] Result<TransfersPage, RestError> parse_transfers(std::string_view body);

}  // namespace oms::bybit
