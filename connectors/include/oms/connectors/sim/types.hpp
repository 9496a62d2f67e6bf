// The venue simulator's vocabulary: order requests in Binance's terms, the venue's error
// answers (Binance codes and messages), execution reports and account updates -- what a
// REST handler returns and what the user-data stream pushes. Pure data, no behaviour.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/envelope.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::sim {

// Binance order types, spot and USD-M. Futures STOP / TAKE_PROFIT are the *_LIMIT kinds,
// STOP_MARKET / TAKE_PROFIT_MARKET the market kinds (wire names in to_string below).
enum class SimOrderType : std::uint8_t {
  kLimit, kMarket, kLimitMaker,          // LIMIT_MAKER: spot post-only
  kStopLoss, kStopLossLimit,             // spot STOP_LOSS(_LIMIT); futures STOP_MARKET / STOP
  kTakeProfit, kTakeProfitLimit,         // spot TAKE_PROFIT(_LIMIT); futures *_MARKET / TAKE_PROFIT
};
enum class SimTif : std::uint8_t { kGtc, kIoc, kFok, kGtx };  // GTX: post-only, expires if it would cross
// Self-trade prevention (selfTradePreventionMode), the taker's: what happens when it would match
// a resting order of the same account. EXPIRE_MAKER is the venue's default.
enum class SimStp : std::uint8_t { kNone, kExpireTaker, kExpireMaker, kExpireBoth };
[[nodiscard]] const char* to_string(SimStp s) noexcept;  // "EXPIRE_MAKER"
enum class ExecType : std::uint8_t { kNew, kCanceled, kReplaced, kRejected, kTrade, kExpired, kAmendment };
enum class SimStatus : std::uint8_t {
  kNew, kPartiallyFilled, kFilled, kCanceled, kRejected, kExpired,
  kExpiredInMatch,  // spot: expired by self-trade prevention
};

[[nodiscard]] const char* to_string(SimOrderType t, Market m) noexcept;  // "STOP_LOSS_LIMIT"/"STOP"
[[nodiscard]] const char* to_string(SimTif t) noexcept;                  // "GTC"
[[nodiscard]] const char* to_string(ExecType t) noexcept;                // "TRADE"
[[nodiscard]] const char* to_string(SimStatus s) noexcept;               // "PARTIALLY_FILLED"
[[nodiscard]] constexpr bool is_stop(SimOrderType t) noexcept {
  return t != SimOrderType::kLimit && t != SimOrderType::kMarket && t != SimOrderType::kLimitMaker;
}
[[nodiscard]] constexpr bool has_limit(SimOrderType t) noexcept {
  return t == SimOrderType::kLimit || t == SimOrderType::kLimitMaker ||
         t == SimOrderType::kStopLossLimit || t == SimOrderType::kTakeProfitLimit;
}

// The venue's refusal: Binance's numeric code and message, as the REST body carries them
// ({"code":-2010,"msg":"..."}).
struct VenueError {
  int code = 0;
  std::string msg;
  friend bool operator==(const VenueError&, const VenueError&) = default;
};

using ApiKeyId = std::uint32_t;  // index of an account (api key) in the venue
using SymbolIndex = std::uint32_t;

// POST /api/v3/order, POST /fapi/v1/order.
struct NewOrder {
  ApiKeyId account = 0;
  SymbolIndex symbol = 0;
  std::string client_order_id;  // empty: the venue makes one
  Side side = Side::kBuy;
  SimOrderType type = SimOrderType::kLimit;
  SimTif tif = SimTif::kGtc;
  Decimal price;             // limit price (limit kinds)
  Decimal quantity;          // base quantity; zero with quote_order_qty (spot MARKET)
  Decimal quote_order_qty;   // spot MARKET only: spend / receive this much quote
  Decimal stop_price;        // stop kinds
  bool reduce_only = false;  // futures
  PositionSide position_side = PositionSide::kBoth;  // futures hedge mode: LONG / SHORT
  SimStp stp = SimStp::kExpireMaker;
};

// One change of one order: everything executionReport (spot) and ORDER_TRADE_UPDATE
// (futures) carry. Amounts are zero where Binance sends "0".
struct ExecutionReport {
  ApiKeyId account = 0;
  SymbolIndex symbol = 0;
  std::int64_t order_id = 0;
  std::string client_order_id;
  std::string orig_client_order_id;  // spot "C": the canceled order's id on CANCELED
  Side side = Side::kBuy;
  SimOrderType type = SimOrderType::kLimit;
  SimTif tif = SimTif::kGtc;
  Decimal price, quantity, stop_price, quote_order_qty;
  SimStp stp = SimStp::kExpireMaker;  // "V"
  ExecType exec_type = ExecType::kNew;
  SimStatus status = SimStatus::kNew;
  int reject_code = 0;               // with kRejected
  Decimal last_qty, last_price, cum_qty, cum_quote;
  Decimal commission;
  std::string commission_asset;      // empty when no trade
  std::int64_t trade_id = -1;        // -1 when no trade (Binance "t": -1)
  bool maker = false;
  bool working = false;              // spot "w": on the book
  TimeNs transaction_time = 0;       // "T"
  TimeNs event_time = 0;             // "E"
  TimeNs order_time = 0;             // "O" creation time
  bool reduce_only = false;
  PositionSide position_side = PositionSide::kBoth;
  Decimal realized_profit;           // futures "rp"
  Decimal avg_price;                 // futures "ap"
  std::string expiry_reason;         // "STP_EXPIRE_MAKER", "GTX_WOULD_CROSS", "IOC", "FOK", ...
  friend bool operator==(const ExecutionReport&, const ExecutionReport&) = default;
};

struct BalanceView {
  std::string asset;
  Decimal free, locked;
  friend bool operator==(const BalanceView&, const BalanceView&) = default;
};
struct PositionView {
  SymbolIndex symbol = 0;
  PositionSide position_side = PositionSide::kBoth;
  Decimal amount;           // signed: > 0 long
  Decimal entry_price;      // weighted average of the opening fills
  Decimal realized_pnl;     // accumulated
  Decimal unrealized_pnl;   // from the mark
  MarginType margin_type = MarginType::kCross;
  Decimal isolated_wallet;
  int leverage = 20;
  friend bool operator==(const PositionView&, const PositionView&) = default;
};
// outboundAccountPosition (spot: the balances that changed) or ACCOUNT_UPDATE (futures:
// wallet balance and the positions that changed; reason "ORDER").
struct AccountUpdate {
  ApiKeyId account = 0;
  TimeNs event_time = 0;
  std::vector<BalanceView> balances;   // futures: one USDT row, free = wallet balance
  std::vector<PositionView> positions;
  friend bool operator==(const AccountUpdate&, const AccountUpdate&) = default;
};

// What one call pushes on the user-data streams, in order.
struct Outbox {
  std::vector<ExecutionReport> reports;
  std::vector<AccountUpdate> account_updates;
  void clear() {
    reports.clear();
    account_updates.clear();
  }
};

// A venue answer: the order as it stands after the call (the REST response body), or an
// error; the outbox is filled in both cases (a REJECTED report is not pushed by Binance, so
// rejections leave it empty).
struct OrderView {
  ApiKeyId account = 0;
  SymbolIndex symbol = 0;
  std::int64_t order_id = 0;
  std::string client_order_id;
  Side side = Side::kBuy;
  SimOrderType type = SimOrderType::kLimit;
  SimTif tif = SimTif::kGtc;
  Decimal price, quantity, stop_price, quote_order_qty, executed_qty, cum_quote;
  SimStatus status = SimStatus::kNew;
  bool reduce_only = false;
  PositionSide position_side = PositionSide::kBoth;
  SimStp stp = SimStp::kExpireMaker;
  TimeNs time = 0, update_time = 0;
  bool working = false;  // resting on the book (false while a stop waits for its trigger)
  friend bool operator==(const OrderView&, const OrderView&) = default;
};

struct TradeView {  // GET myTrades / userTrades
  SymbolIndex symbol = 0;
  std::int64_t trade_id = 0, order_id = 0;
  Side side = Side::kBuy;
  Decimal price, qty, quote_qty, commission, realized_pnl;
  std::string commission_asset;
  bool maker = false;
  TimeNs time = 0;
  PositionSide position_side = PositionSide::kBoth;
  friend bool operator==(const TradeView&, const TradeView&) = default;
};

// Background liquidity inputs (a parser of recorded depth / trade streams feeds these).
struct PriceQty {
  Decimal price, qty;
  friend bool operator==(const PriceQty&, const PriceQty&) = default;
};
struct BookSnapshotIn {  // REST depth snapshot: replaces every background level
  std::vector<PriceQty> bids, asks;
};
struct BookDeltaIn {  // depthUpdate: each level's new absolute quantity (0 removes it)
  std::vector<PriceQty> bids, asks;
};
struct TradePrintIn {  // @trade: a trade between other participants
  Decimal price, qty;
  bool buyer_is_maker = false;  // "m": true = a seller hit the bid
};

}  // namespace oms::sim
