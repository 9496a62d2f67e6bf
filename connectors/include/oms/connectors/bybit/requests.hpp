// Bybit v5 REST request builders (unified trading account; spot and linear USDT contracts).
// Pure functions: our commands and plain parameter structs in, a RestRequest out (render() it
// to send). Paths, field names and value words follow the v5 API reference; quantities and
// prices are exact decimal strings. Errors name the field; nothing is rounded here (apply the
// instrument's lot and tick first).
//
// Categories: Market::kSpot is "spot", Market::kUsdm is "linear". Inverse contracts and
// options are not traded here: a builder refuses their instruments by name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "oms/connectors/bybit/rest_request.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::bybit {

enum class Category : std::uint8_t { kSpot, kLinear };
[[nodiscard]] std::string_view to_string(Category c) noexcept;
// The category of a market; an error for inverse contracts.
[[nodiscard]] Result<Category, RequestError> category_of(Market m);

using Req = Result<RestRequest, RequestError>;

// Which way the price must cross a conditional order's trigger price.
enum class TriggerDirection : std::uint8_t {
  kFromType = 0,  // from the order: a stop buys rising / sells falling, a take-profit the reverse
  kRises = 1,
  kFalls = 2,
};

// Venue parameters a SubmitOrder does not carry. Zero / empty = not sent.
struct OrderExtras {
  // linear hedge mode: positionIdx 1 (long side) / 2 (short side); one-way sends nothing (0).
  std::optional<PositionSide> position_side;
  // spot MARKET: trade this much quote (marketUnit quoteCoin, quantity zero)
  Decimal quote_quantity;
  // take-profit / stop-loss attached to the order (the position's on linear)
  Decimal take_profit, stop_loss;
  TriggerDirection trigger_direction = TriggerDirection::kFromType;
  std::string_view trigger_by;  // "LastPrice" (venue default), "MarkPrice", "IndexPrice"
  std::string_view smp_type;    // self-trade prevention: "CancelMaker", "CancelTaker", "CancelBoth"
};

// Names an existing order: the venue's order id (a text on Bybit), or our orderLinkId.
struct OrderRef {
  std::string_view order_id;
  std::string_view order_link_id;
};

// Which kind of order a cancel or query names on spot (orderFilter): plain orders, TP/SL
// orders, conditional (stop) orders, OCO and bidirectional TP/SL orders. Linear orders of every
// kind share one book (cancel-all there takes Order or StopOrder, none: every kind).
enum class OrderFilter : std::uint8_t { kDefault, kOrder, kTpsl, kStop, kOco, kBidirectionalTpsl };

// Time window, page and filters of the history queries; zero / empty = not sent.
struct HistoryQuery {
  std::int64_t start_time_ms = 0;
  std::int64_t end_time_ms = 0;
  std::uint32_t limit = 0;
  std::string_view cursor;        // nextPageCursor of the previous page
  std::string_view order_id;      // one order's history / executions
  std::string_view order_link_id; // the same by our client order id
  std::string_view order_status;  // "Filled", "Cancelled", "Rejected", ... (order history)
  std::string_view exec_type;     // "Trade", "Funding", "BustTrade", ... (executions)
  OrderFilter filter = OrderFilter::kDefault;
};

// ---- Orders (/v5/order) ------------------------------------------------------------------
// POST /v5/order/create. Conditional orders (kStopLoss*, kTakeProfit*) carry triggerPrice and
// triggerDirection (linear) or orderFilter StopOrder (spot). A spot market buy of a base
// quantity says marketUnit baseCoin (the venue's default for a market buy is quote).
[[nodiscard]] Req new_order(const Instrument& in, const SubmitOrder& o, const OrderExtras& x = {});
// POST /v5/order/amend: a new price and/or a new total quantity (zero: unchanged).
[[nodiscard]] Req amend_order(const Instrument& in, const OrderRef& ref, Decimal quantity,
                              Decimal price);
[[nodiscard]] Req amend_order(const Instrument& in, const AmendOrder& a);
// POST /v5/order/cancel.
[[nodiscard]] Req cancel_order(const Instrument& in, const OrderRef& ref,
                               OrderFilter filter = OrderFilter::kDefault);
[[nodiscard]] Req cancel_order(const Instrument& in, const CancelOrder& c);
// POST /v5/order/cancel-all: one symbol's open orders (stop orders only with kStop).
[[nodiscard]] Req cancel_all(const Instrument& in, OrderFilter filter = OrderFilter::kDefault);
// POST /v5/order/create-batch | amend-batch | cancel-batch: one category, each order answered on
// its own; at most max_batch() orders a request.
struct BatchItem {
  const Instrument* instrument = nullptr;
  SubmitOrder order;
  OrderExtras extras;
};
struct AmendItem {
  const Instrument* instrument = nullptr;
  OrderRef ref;
  Decimal quantity, price;
};
struct CancelItem {
  const Instrument* instrument = nullptr;
  OrderRef ref;
};
[[nodiscard]] Req batch_create(std::span<const BatchItem> items);
[[nodiscard]] Req batch_amend(std::span<const AmendItem> items);
[[nodiscard]] Req batch_cancel(std::span<const CancelItem> items);
enum class BatchKind : std::uint8_t { kCreate, kAmend, kCancel };
// create: 10 spot, 20 linear; amend and cancel: 10 (the smaller figure the v5 pages give).
[[nodiscard]] std::size_t max_batch(Category c, BatchKind k) noexcept;
// GET /v5/order/realtime: open orders (and those closed in the last minutes) of a category,
// one symbol (in) and/or one order (ref); linear without a symbol asks by settleCoin USDT.
[[nodiscard]] Req open_orders(Category c, const Instrument* in, const OrderRef& ref = {},
                              OrderFilter filter = OrderFilter::kDefault);
// GET /v5/order/history: closed orders, newest first, paged by cursor.
[[nodiscard]] Req order_history(Category c, const Instrument* in, const HistoryQuery& q = {});
// GET /v5/execution/list: our executions (trades, funding, liquidations by exec_type).
[[nodiscard]] Req executions(Category c, const Instrument* in, const HistoryQuery& q = {});

// ---- Positions and account ---------------------------------------------------------------
[[nodiscard]] Req positions(const Instrument* in);  // GET /v5/position/list (linear)
// POST /v5/position/set-leverage: the same leverage for both sides.
[[nodiscard]] Req set_leverage(const Instrument& in, Decimal leverage);
// POST /v5/position/switch-mode: hedge (both sides, mode 3) or one-way (mode 0), one symbol.
[[nodiscard]] Req switch_position_mode(const Instrument& in, bool hedge);
// POST /v5/position/trading-stop: the position's take-profit / stop-loss / trailing distance
// (zero fields not sent; at least one must be set).
struct TradingStop {
  Decimal take_profit, stop_loss, trailing_stop;
  std::optional<PositionSide> position_side;  // hedge mode
};
[[nodiscard]] Req set_trading_stop(const Instrument& in, const TradingStop& t);
// POST /v5/account/set-margin-mode: the unified account's mode, cross (REGULAR_MARGIN) or
// isolated (ISOLATED_MARGIN) for every contract.
[[nodiscard]] Req set_margin_mode(MarginType t);
[[nodiscard]] Req wallet_balance(std::string_view coin = {});  // GET, accountType UNIFIED
[[nodiscard]] Req fee_rate(const Instrument& in);               // GET /v5/account/fee-rate
[[nodiscard]] Req account_info();                               // GET /v5/account/info
// GET /v5/account/transaction-log: the unified account's ledger (trades, fees, funding,
// transfers), paged by cursor.
[[nodiscard]] Req transaction_log(const HistoryQuery& q = {});

// ---- Transfers (/v5/asset) ---------------------------------------------------------------
// Account types: "UNIFIED", "FUND" (funding), "CONTRACT" (classic).
struct Transfer {
  std::string_view transfer_id;  // our UUID: the venue's idempotency key
  std::string_view coin;
  Decimal amount;
  std::string_view from_account_type, to_account_type;
};
[[nodiscard]] Req inter_transfer(const Transfer& t);  // POST /v5/asset/transfer/inter-transfer
[[nodiscard]] Req inter_transfers(std::string_view coin, const HistoryQuery& q = {});
// Between two UIDs of one master account (main <-> sub, sub <-> sub), signed by the master's
// key: POST /v5/asset/transfer/universal-transfer. transferId: a UUID (8-4-4-4-12 hex), the
// venue's idempotency key (a repeat is refused 131214 "TransferId exist", nothing moves);
// fromMemberId / toMemberId: the UIDs, JSON numbers, never equal; account types: UNIFIED,
// CONTRACT, SPOT, INVESTMENT, OPTION, FUND.
struct UniversalTransfer {
  std::string_view transfer_id;
  std::string_view coin;
  Decimal amount;
  std::uint64_t from_member_id = 0, to_member_id = 0;
  std::string_view from_account_type, to_account_type;
};
[[nodiscard]] Req universal_transfer(const UniversalTransfer& t);
// GET /v5/asset/transfer/query-universal-transfer-list: one transfer by its transferId (empty:
// the window of q, at most 7 days; limit 1..50).
[[nodiscard]] Req universal_transfers(std::string_view transfer_id, std::string_view coin = {},
                                      const HistoryQuery& q = {});
// A UUID text Bybit takes as transferId: 36 characters, hex digits and '-' at 8, 13, 18, 23.
[[nodiscard]] bool valid_uuid(std::string_view id) noexcept;
[[nodiscard]] Req deposit_records(std::string_view coin, const HistoryQuery& q = {});

// ---- Public market data (/v5/market) ------------------------------------------------------
[[nodiscard]] Req instruments_info(Category c, const Instrument* in = nullptr,
                                   std::string_view cursor = {});
[[nodiscard]] Req orderbook(const Instrument& in, std::uint32_t limit = 0);  // 0: venue default
[[nodiscard]] Req tickers(Category c, const Instrument* in);  // nullptr: every symbol
[[nodiscard]] Req kline(const Instrument& in, std::string_view interval, std::uint32_t limit = 0,
                        std::int64_t start_ms = 0, std::int64_t end_ms = 0);
[[nodiscard]] Req recent_trades(const Instrument& in, std::uint32_t limit = 0);
[[nodiscard]] Req risk_limit(const Instrument* in);  // linear risk tiers
[[nodiscard]] Req server_time();

}  // namespace oms::bybit
