// Binance Spot (/api/v3) and USD-M futures (/fapi) REST request builders. Pure functions:
// our commands and plain parameter structs in, a RestRequest out (render() it to send).
// Parameter names and paths follow the venue's current API; weights follow its docs.
// Errors name the field; nothing is rounded here (apply the instrument filters first).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/binance/rest_request.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::binance {

enum class ResponseType : std::uint8_t { kDefault, kAck, kResult, kFull };

// Venue parameters a SubmitOrder does not carry. Zero / empty = not sent.
struct OrderExtras {
  std::optional<PositionSide>
      position_side;         // USD-M hedge mode: LONG/SHORT (reduceOnly is then implied)
  Decimal quote_quantity;    // spot MARKET: spend/receive this much quote (quantity zero)
  Decimal iceberg_quantity;  // spot icebergQty
  std::string_view self_trade_prevention;  // "EXPIRE_MAKER", "EXPIRE_TAKER", "EXPIRE_BOTH"
  std::uint32_t trailing_delta_bips = 0;   // spot trailing stop / take-profit
  Decimal callback_rate;                   // USD-M TRAILING_STOP_MARKET, percent (0.1..10)
  Decimal activation_price;                // USD-M trailing activation
  std::string_view price_match;            // USD-M "OPPONENT", "QUEUE", ... (then no price)
  std::string_view working_type;           // USD-M "MARK_PRICE" / "CONTRACT_PRICE"
  ResponseType response_type = ResponseType::kDefault;  // kDefault: not sent (venue default)
  bool trailing = false;  // USD-M: TRAILING_STOP_MARKET (needs callback_rate)
  bool test = false;      // spot: POST /api/v3/order/test (validated, not placed)
};

// Names an existing order: venue order id, or our client order id.
struct OrderRef {
  std::uint64_t order_id = 0;
  std::string_view client_order_id;
};

// Time window and page size for history queries; zero = not sent.
struct HistoryQuery {
  std::int64_t start_time_ms = 0;
  std::int64_t end_time_ms = 0;
  std::uint32_t limit = 0;
  std::uint64_t from_id = 0;
  std::uint64_t order_id = 0;  // myTrades / userTrades: trades of one order
};

struct KlineQuery {
  std::string_view interval = "1m";
  std::int64_t start_time_ms = 0;
  std::int64_t end_time_ms = 0;
  std::uint32_t limit = 0;
};

using Req = Result<RestRequest, RequestError>;

// ---- Spot /api/v3 --------------------------------------------------------------------------
[[nodiscard]] Req spot_new_order(const Instrument& in, const SubmitOrder& o,
                                 const OrderExtras& x = {});
[[nodiscard]] Req spot_cancel_order(const Instrument& in, const OrderRef& ref);
[[nodiscard]] Req spot_cancel_order(const Instrument& in, const CancelOrder& c);
[[nodiscard]] Req spot_cancel_all(const Instrument& in);  // DELETE /api/v3/openOrders
// POST /api/v3/order/cancelReplace, STOP_ON_FAILURE: cancel `cancel`, then place `o`.
[[nodiscard]] Req spot_cancel_replace(const Instrument& in, const OrderRef& cancel,
                                      const SubmitOrder& o, const OrderExtras& x = {});
[[nodiscard]] Req spot_query_order(const Instrument& in, const OrderRef& ref);
[[nodiscard]] Req spot_open_orders(const Instrument* in);  // nullptr: every symbol
[[nodiscard]] Req spot_all_orders(const Instrument& in, const HistoryQuery& q = {});
[[nodiscard]] Req spot_my_trades(const Instrument& in, const HistoryQuery& q = {});
[[nodiscard]] Req spot_account(bool omit_zero_balances = false);
[[nodiscard]] Req spot_commission(const Instrument& in);  // GET /api/v3/account/commission
// listenKey: POST creates; PUT keeps alive and DELETE closes `listen_key`.
[[nodiscard]] Req spot_listen_key(HttpMethod m, std::string_view listen_key = {});

// ---- USD-M /fapi ---------------------------------------------------------------------------
// Plain orders go to /fapi/v1/order; conditional ones (stop / take-profit / trailing) to
// /fapi/v1/algoOrder with algoType=CONDITIONAL and triggerPrice, as the venue now requires.
[[nodiscard]] Req usdm_new_order(const Instrument& in, const SubmitOrder& o,
                                 const OrderExtras& x = {});
[[nodiscard]] Req usdm_cancel_order(const Instrument& in, const OrderRef& ref);
[[nodiscard]] Req usdm_cancel_order(const Instrument& in, const CancelOrder& c);
[[nodiscard]] Req usdm_cancel_algo_order(const Instrument& in,
                                         const OrderRef& ref);  // algoId / clientAlgoId
[[nodiscard]] Req usdm_cancel_all(const Instrument& in);        // DELETE /fapi/v1/allOpenOrders
// DELETE /fapi/v1/algoOpenOrders: every open conditional (algo) order of the symbol, which
// allOpenOrders no longer reaches.
[[nodiscard]] Req usdm_cancel_all_algo(const Instrument& in);
// PUT /fapi/v1/order: new price and quantity of an open LIMIT order (side is required).
[[nodiscard]] Req usdm_modify_order(const Instrument& in, const OrderRef& ref, Side side,
                                    Decimal quantity, Decimal price);
[[nodiscard]] Req usdm_modify_order(const Instrument& in, const AmendOrder& a, Side side);
struct BatchItem {
  const Instrument* instrument = nullptr;
  SubmitOrder order;
  OrderExtras extras;
};
struct ModifyItem {
  const Instrument* instrument = nullptr;
  OrderRef ref;
  Side side = Side::kBuy;
  Decimal quantity, price;
};
[[nodiscard]] Req usdm_batch_orders(std::span<const BatchItem> items);   // POST, 1..5 orders
[[nodiscard]] Req usdm_batch_modify(std::span<const ModifyItem> items);  // PUT, 1..5 orders
// DELETE /fapi/v1/batchOrders by venue ids or by client ids (not both), 1..10.
[[nodiscard]] Req usdm_batch_cancel(const Instrument& in, std::span<const std::uint64_t> order_ids,
                                    std::span<const std::string_view> client_order_ids);
[[nodiscard]] Req usdm_query_order(const Instrument& in, const OrderRef& ref);
[[nodiscard]] Req usdm_query_algo_order(const Instrument& in, const OrderRef& ref);
[[nodiscard]] Req usdm_open_order(const Instrument& in,
                                  const OrderRef& ref);  // GET /fapi/v1/openOrder
[[nodiscard]] Req usdm_open_orders(const Instrument* in);
// GET /fapi/v1/openAlgoOrders: open conditional orders (weight 1; 40 without a symbol).
[[nodiscard]] Req usdm_open_algo_orders(const Instrument* in);
[[nodiscard]] Req usdm_all_orders(const Instrument& in, const HistoryQuery& q = {});
[[nodiscard]] Req usdm_all_algo_orders(const Instrument& in, const HistoryQuery& q = {});
[[nodiscard]] Req usdm_user_trades(const Instrument& in, const HistoryQuery& q = {});
[[nodiscard]] Req usdm_commission_rate(const Instrument& in);  // GET /fapi/v1/commissionRate
[[nodiscard]] Req usdm_balance();                 // GET /fapi/v2/balance
[[nodiscard]] Req usdm_account(int version = 3);  // GET /fapi/v2|v3/account
[[nodiscard]] Req usdm_position_risk(const Instrument* in,
                                     int version = 3);  // /fapi/v2|v3/positionRisk
[[nodiscard]] Req usdm_set_leverage(const Instrument& in, std::uint32_t leverage);
[[nodiscard]] Req usdm_set_margin_type(const Instrument& in, MarginType t);
[[nodiscard]] Req usdm_set_position_mode(bool dual_side);
[[nodiscard]] Req usdm_get_position_mode();
[[nodiscard]] Req usdm_symbol_config(const Instrument* in);  // leverage + margin type per symbol
[[nodiscard]] Req usdm_account_config();                     // fee tier, flags
[[nodiscard]] Req usdm_listen_key(HttpMethod m);  // POST / PUT / DELETE /fapi/v1/listenKey

// ---- Public market data (spot and USD-M: `market` picks the API) -----------------------------
[[nodiscard]] Req depth(const Instrument& in,
                        std::uint32_t limit = 0);  // 0: venue default (100 / 500)
[[nodiscard]] Req usdm_rpi_depth(const Instrument& in, std::uint32_t limit);
[[nodiscard]] Req exchange_info(Market m);
[[nodiscard]] Req server_time(Market m);
// bookTicker / 24hr ticker / last price for one instrument, several (spot: symbols=[...]),
// or every symbol (empty span).
[[nodiscard]] Req book_ticker(Market m, std::span<const Instrument* const> ins);
[[nodiscard]] Req ticker_24hr(Market m, std::span<const Instrument* const> ins);
[[nodiscard]] Req ticker_price(Market m, std::span<const Instrument* const> ins);
[[nodiscard]] Req spot_rolling_ticker(std::span<const Instrument* const> ins);  // /api/v3/ticker
enum class KlinePrice : std::uint8_t { kTrade, kMark, kIndex };
[[nodiscard]] Req klines(const Instrument& in, const KlineQuery& q,
                         KlinePrice p = KlinePrice::kTrade);
[[nodiscard]] Req agg_trades(const Instrument& in, const HistoryQuery& q = {});
[[nodiscard]] Req usdm_premium_index(const Instrument* in);  // mark price + funding rate

// ---- Wallet and sub-account transfers (/sapi) ------------------------------------------------
// Binance's account types for a transfer's ends: spot and USD-M futures (the two markets the
// connector trades). COIN-M, margin and funding wallets are not modelled.
// POST /sapi/v1/asset/transfer ("user universal transfer"): between the spot and USD-M wallets
// of the account the key belongs to; type MAIN_UMFUTURE or UMFUTURE_MAIN. The venue takes no
// client id here: after a restart the outcome is looked up with asset_transfer_history.
// Weight: 900 in the UID bucket (the venue docs); 1 counted here against the IP bucket.
struct WalletTransfer {
  Market from = Market::kSpot, to = Market::kUsdm;
  std::string_view asset{};
  Decimal amount{};
};
[[nodiscard]] Req asset_transfer(const WalletTransfer& t);
// GET /sapi/v1/asset/transfer: the transfers of one type (from -> to), newest first; q's
// start/end time and limit (sent as size, at most 100) narrow it.
[[nodiscard]] Req asset_transfer_history(Market from, Market to, const HistoryQuery& q = {});
// "MAIN_UMFUTURE" / "UMFUTURE_MAIN"; empty for any other pair.
[[nodiscard]] std::string_view wallet_transfer_type(Market from, Market to) noexcept;

// POST /sapi/v1/sub-account/universalTransfer (master key): master <-> sub and sub <-> sub,
// each end SPOT or USDT_FUTURE. An empty email is the master account; at least one of the
// two is a sub-account. client_tran_id is the venue's idempotency key (it refuses a repeat).
struct SubAccountTransfer {
  std::string_view from_email{}, to_email{};  // empty: the master account
  Market from_market = Market::kSpot, to_market = Market::kSpot;
  std::string_view asset{};
  Decimal amount{};
  std::string_view client_tran_id{};
};
[[nodiscard]] Req sub_account_transfer(const SubAccountTransfer& t);
// GET /sapi/v1/sub-account/universalTransfer: by clientTranId (then nothing else is needed),
// or by one side's email (not both) and the time window of q.
struct SubAccountTransferQuery {
  std::string_view client_tran_id{};
  std::string_view from_email{}, to_email{};
  HistoryQuery window{};
};
[[nodiscard]] Req sub_account_transfer_history(const SubAccountTransferQuery& q);
// "SPOT" / "USDT_FUTURE"; empty for another market.
[[nodiscard]] std::string_view sub_account_type(Market m) noexcept;

}  // namespace oms::binance
