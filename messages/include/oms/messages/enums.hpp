// The small closed vocabularies of orders, positions, strategies and risk, with the text
// names the JSON codec, the APIs and the logs use.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "oms/messages/describe.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/instrument.hpp"

namespace oms {

enum class OrderStatus : std::uint8_t {
  kInitialized, kPendingSubmit, kSubmitted, kAccepted, kPartiallyFilled, kFilled,
  kPendingCancel, kCanceled, kPendingAmend, kAmended, kRejected, kExpired, kUnknown,
};
enum class Liquidity : std::uint8_t { kTaker, kMaker };
enum class PositionSide : std::uint8_t { kBoth, kLong, kShort };  // one-way = kBoth
enum class MarginType : std::uint8_t { kCross, kIsolated };
enum class StrategyState : std::uint8_t { kStopped, kStarting, kRunning, kReducing, kHalted };
// An arbitrage saga (leg risk): both legs out, then repairing an unequal fill (hedging on the
// other leg's venue, or unwinding on the filled leg's own), then one of four ends: closed (the
// legs, or the legs and a hedge, filled equally), missed (no leg filled), unwound (the excess
// reversed), failed (gave up with a position left: an operator's).
enum class SagaState : std::uint8_t {
  kLegsOut, kHedging, kUnwinding, kClosed, kMissed, kUnwound, kFailed
};
[[nodiscard]] constexpr bool is_terminal(SagaState s) noexcept { return s >= SagaState::kClosed; }
// An execution algo (a parent order, exec_algo.hpp): how its quantity is spread over time, and
// where it is -- running, paused by an operator, or one of three ends: completed (all filled),
// canceled (by an operator, its children cancelled), failed (its end time passed unfilled, or
// a child could not be placed).
enum class AlgoKind : std::uint8_t { kTwap, kVwap };
enum class AlgoState : std::uint8_t { kRunning, kPaused, kCompleted, kCanceled, kFailed };
[[nodiscard]] constexpr bool is_terminal(AlgoState s) noexcept { return s >= AlgoState::kCompleted; }
enum class AlgoAction : std::uint8_t { kCancel, kPause, kResume };
enum class LimitScope : std::uint8_t { kGlobal, kAccount, kStrategy, kInstrument };
enum class KillSwitchState : std::uint8_t { kActive, kReducingOnly, kHalted };
enum class BookSide : std::uint8_t { kBid, kAsk };
// What a risk limit bounds, and how its value is read:
//   a Decimal: order notional, order quantity, position, gross/net exposure, leverage (5x = 5),
//     price band (bps), daily loss;
//   a plain count (a whole number): open orders, order rate (orders per second), consecutive
//     losses.
enum class LimitKind : std::uint8_t {
  kOrderNotional,
  kOrderQuantity,
  kPosition,           // |position| per account per instrument, base units
  kGrossExposure,      // sum of |position x mark|
  kNetExposure,        // |sum of position x mark|
  kLeverage,           // gross exposure / equity
  kPriceBandBps,       // |price - reference| / reference, in basis points
  kOpenOrders,
  kOrderRate,          // token bucket: capacity = rate, refilled rate per second
  kDailyLoss,          // -(realized + unrealized change since the day roll), when positive
  kConsecutiveLosses,  // losing closing fills in a row
};
[[nodiscard]] constexpr bool limit_is_count(LimitKind k) noexcept {
  return k == LimitKind::kOpenOrders || k == LimitKind::kOrderRate ||
         k == LimitKind::kConsecutiveLosses;
}

template <> struct EnumNames<ExchangeId> {
  static constexpr std::array<std::string_view, 4> kNames{"binance", "bybit", "okx", "upbit"};
};
template <> struct EnumNames<Market> {
  static constexpr std::array<std::string_view, 3> kNames{"spot", "usdm", "coinm"};
};
template <> struct EnumNames<Side> {
  static constexpr std::array<std::string_view, 2> kNames{"buy", "sell"};
};
template <> struct EnumNames<OrderType> {
  static constexpr std::array<std::string_view, 6> kNames{
      "limit", "market", "stop_loss", "stop_loss_limit", "take_profit", "take_profit_limit"};
};
template <> struct EnumNames<TimeInForce> {
  static constexpr std::array<std::string_view, 4> kNames{"gtc", "ioc", "fok", "post_only"};
};
template <> struct EnumNames<OrderStatus> {
  static constexpr std::array<std::string_view, 13> kNames{
      "initialized", "pending_submit", "submitted", "accepted", "partially_filled",
      "filled", "pending_cancel", "canceled", "pending_amend", "amended", "rejected",
      "expired", "unknown"};
};
template <> struct EnumNames<Liquidity> {
  static constexpr std::array<std::string_view, 2> kNames{"taker", "maker"};
};
template <> struct EnumNames<PositionSide> {
  static constexpr std::array<std::string_view, 3> kNames{"both", "long", "short"};
};
template <> struct EnumNames<MarginType> {
  static constexpr std::array<std::string_view, 2> kNames{"cross", "isolated"};
};
template <> struct EnumNames<StrategyState> {
  static constexpr std::array<std::string_view, 5> kNames{"stopped", "starting", "running",
                                                          "reducing", "halted"};
};
template <> struct EnumNames<SagaState> {
  static constexpr std::array<std::string_view, 7> kNames{
      "legs_out", "hedging", "unwinding", "closed", "missed", "unwound", "failed"};
};
template <> struct EnumNames<AlgoKind> {
  static constexpr std::array<std::string_view, 2> kNames{"twap", "vwap"};
};
template <> struct EnumNames<AlgoState> {
  static constexpr std::array<std::string_view, 5> kNames{"running", "paused", "completed",
                                                          "canceled", "failed"};
};
template <> struct EnumNames<AlgoAction> {
  static constexpr std::array<std::string_view, 3> kNames{"cancel", "pause", "resume"};
};
template <> struct EnumNames<LimitScope> {
  static constexpr std::array<std::string_view, 4> kNames{"global", "account", "strategy",
                                                          "instrument"};
};
template <> struct EnumNames<KillSwitchState> {
  static constexpr std::array<std::string_view, 3> kNames{"active", "reducing_only", "halted"};
};
template <> struct EnumNames<LimitKind> {
  static constexpr std::array<std::string_view, 11> kNames{
      "order_notional", "order_quantity", "position",    "gross_exposure",
      "net_exposure",   "leverage",       "price_band_bps", "open_orders",
      "order_rate",     "daily_loss",     "consecutive_losses"};
};
template <> struct EnumNames<BookSide> {
  static constexpr std::array<std::string_view, 2> kNames{"bid", "ask"};
};

}  // namespace oms
