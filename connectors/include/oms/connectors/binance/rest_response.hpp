// Binance REST response bodies (spot /api/v3, USD-M /fapi, COIN-M /dapi): error bodies, order
// responses (new order ACK / RESULT / FULL, query, cancel, futures order), open/all orders,
// account balances, futures balances, positionRisk, myTrades / userTrades. The depth snapshot
// is parsed by parse_market_data (market_data.hpp) or parse_depth_snapshot below.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oms/connectors/binance/market_data.hpp"
#include "oms/connectors/binance/parse.hpp"
#include "oms/connectors/binance/user_data.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"

namespace oms::binance {

// {"code":-2010,"msg":"Account has insufficient balance for requested action."}
struct ErrorBody {
  std::int32_t code = 0;
  std::string msg;
  friend bool operator==(const ErrorBody&, const ErrorBody&) = default;
};
// Error "error body.code: missing" when the body is not an error body.
[[nodiscard]] Result<ErrorBody, ParseError> parse_error_body(JsonParser& parser,
                                                           std::string_view json);

struct OrderFill {
  Decimal price, quantity, commission;
  AssetCode commission_asset;
  std::int64_t trade_id = 0;
  friend bool operator==(const OrderFill&, const OrderFill&) = default;
};

// One order as REST returns it. ACK responses carry only the ids and transactTime: then
// has_details is false and the rest is zero.
struct OrderInfo {
  VenueSymbol symbol;                     // symbol
  std::uint64_t order_id = 0;             // orderId
  std::int64_t order_list_id = -1;        // orderListId (spot)
  ClientOrderIdText client_order_id;      // clientOrderId
  ClientOrderIdText orig_client_order_id; // origClientOrderId (cancel)
  std::uint64_t time = 0;                 // transactTime / time / updateTime, first seen
  bool has_details = false;               // status present
  OrderStatus status = OrderStatus::kUnknown;
  FixedString<31> venue_status;           // status as received
  Decimal price, orig_qty, executed_qty;  // price, origQty, executedQty
  Decimal cum_quote;                      // cummulativeQuoteQty (spot) / cumQuote (futures)
  Decimal avg_price;                      // avgPrice (futures)
  Decimal stop_price;                     // stopPrice
  FixedString<15> time_in_force;          // timeInForce
  FixedString<31> order_type;             // type
  Side side = Side::kBuy;                 // side
  bool reduce_only = false;               // reduceOnly (futures)
  FixedString<7> position_side;           // positionSide (futures)
  std::vector<OrderFill> fills;           // FULL responses (spot)
};
[[nodiscard]] Result<Unit, ParseError> parse_order(JsonParser& parser, std::string_view json,
                                                   OrderInfo& out);
// A JSON array of orders: openOrders, allOrders, DELETE openOrders (spot). An order list in
// it (cancel-all returns OCO lists beside plain orders) contributes its "orderReports".
[[nodiscard]] Result<Unit, ParseError> parse_orders(JsonParser& parser, std::string_view json,
                                                    std::vector<OrderInfo>& out);

// GET /api/v3/account: "balances" [{asset, free, locked}].
[[nodiscard]] Result<Unit, ParseError> parse_spot_account(JsonParser& parser,
                                                          std::string_view json,
                                                          std::vector<AssetBalance>& out);

// The account's commission on one symbol, as fractions (0.001 = 0.1 %).
struct CommissionRates {
  Decimal maker, taker;
};
// GET /api/v3/account/commission: standardCommission + specialCommission (when present) +
// taxCommission, maker and taker each (the BNB discount is not applied: rates in the quote).
[[nodiscard]] Result<Unit, ParseError> parse_spot_commission(JsonParser& parser, std::string_view json,
                                                             CommissionRates& out);
// GET /fapi/v1/commissionRate: makerCommissionRate, takerCommissionRate.
[[nodiscard]] Result<Unit, ParseError> parse_usdm_commission_rate(JsonParser& parser, std::string_view json,
                                                                  CommissionRates& out);

struct FuturesAssetBalance {
  AssetCode asset;
  Decimal wallet_balance;        // balance (v2/balance) / walletBalance (account)
  Decimal cross_wallet_balance;  // crossWalletBalance
  Decimal available_balance;     // availableBalance
  Decimal unrealized_pnl;        // crossUnPnl / unrealizedProfit
};
// GET /fapi/v2/balance (an array) or /fapi/v2/account (its "assets").
[[nodiscard]] Result<Unit, ParseError> parse_futures_balances(
    JsonParser& parser, std::string_view json, std::vector<FuturesAssetBalance>& out);

struct PositionRisk {
  VenueSymbol symbol;
  Decimal position_amt, entry_price, mark_price, unrealized_pnl, liquidation_price;
  std::uint16_t leverage = 0;  // 0 when absent (v3 moved it to symbolConfig)
  MarginType margin_type = MarginType::kCross;
  Decimal isolated_margin;
  PositionSide position_side = PositionSide::kBoth;
};
// GET /fapi/v2/positionRisk (v3 too).
[[nodiscard]] Result<Unit, ParseError> parse_position_risk(JsonParser& parser,
                                                           std::string_view json,
                                                           std::vector<PositionRisk>& out);

struct AccountTrade {
  VenueSymbol symbol;
  std::int64_t id = 0;
  std::uint64_t order_id = 0;
  Decimal price, quantity, quote_qty, commission;
  AssetCode commission_asset;
  std::uint64_t time = 0;
  Side side = Side::kBuy;    // isBuyer (spot) / buyer or side (futures)
  bool is_maker = false;     // isMaker / maker
  Decimal realized_pnl;      // futures
};
// GET /api/v3/myTrades, /fapi/v1/userTrades.
[[nodiscard]] Result<Unit, ParseError> parse_account_trades(JsonParser& parser,
                                                            std::string_view json,
                                                            std::vector<AccountTrade>& out);

// GET depth: the snapshot (an error if the body is anything else).
[[nodiscard]] Result<Unit, ParseError> parse_depth_snapshot(JsonParser& parser,
                                                            std::string_view json,
                                                            MarketMessage& scratch);

// ---- transfers (/sapi) -------------------------------------------------------------------------
// How a venue transfer ended, as far as the venue says.
enum class TransferState : std::uint8_t { kPending, kSucceeded, kFailed };
// One transfer: the POST answers ({"tranId":..} and, for sub-account transfers,
// "clientTranId") fill tran_id / client_tran_id only (has_details false); the query rows fill
// the rest.
struct TransferRecord {
  std::uint64_t tran_id = 0;        // tranId
  std::string client_tran_id;       // clientTranId (sub-account transfers)
  bool has_details = false;         // status present
  TransferState state = TransferState::kPending;
  FixedString<15> venue_status;     // PENDING / CONFIRMED / FAILED; PROCESS / SUCCESS / FAILURE
  AssetCode asset;                  // asset
  Decimal amount;                   // amount
  FixedString<31> type;             // type (asset transfer: MAIN_UMFUTURE, ...)
  FixedString<15> from_account_type, to_account_type;  // sub-account: SPOT / USDT_FUTURE
  std::string from_email, to_email; // sub-account
  std::uint64_t time = 0;           // timestamp / createTimeStamp
};
// POST /sapi/v1/asset/transfer and /sapi/v1/sub-account/universalTransfer: tranId required.
[[nodiscard]] Result<Unit, ParseError> parse_transfer_ack(JsonParser& parser, std::string_view json,
                                                          TransferRecord& out);
// GET /sapi/v1/asset/transfer ({"total":n,"rows":[...]}, rows absent when none) and GET
// /sapi/v1/sub-account/universalTransfer ({"result":[...],"totalCount":n}).
[[nodiscard]] Result<Unit, ParseError> parse_transfer_records(JsonParser& parser,
                                                              std::string_view json,
                                                              std::vector<TransferRecord>& out);

}  // namespace oms::binance
