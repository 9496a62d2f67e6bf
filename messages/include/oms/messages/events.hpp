// Events: facts, past tense. Each is a fixed-size, trivially copyable struct (so the same
// value travels the hot-path rings), described once with OMS_DESCRIBE for both codecs.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>
#include <variant>

#include "oms/messages/counted_array.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/envelope.hpp"
#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"

namespace oms {

// VWAP weights (the same as commands.hpp's VolumeCurve; events do not include commands).
inline constexpr std::size_t kMaxCurveWeights = 24;
using VolumeCurveWeights = CountedArray<std::uint32_t, kMaxCurveWeights>;

// ---- orders ------------------------------------------------------------------------------
struct OrderSubmitted {
  AccountId account; StrategyId strategy; InstrumentId instrument;
  ClientOrderIdText client_order_id;
  Side side = Side::kBuy; OrderType order_type = OrderType::kLimit; TimeInForce tif = TimeInForce::kGtc;
  Decimal price, stop_price, quantity;
  bool reduce_only = false;
  friend bool operator==(const OrderSubmitted&, const OrderSubmitted&) = default;
};
OMS_DESCRIBE(OrderSubmitted, account, strategy, instrument, client_order_id, side, order_type, tif,
             price, stop_price, quantity, reduce_only)

struct OrderAccepted {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  VenueOrderId venue_order_id;
  friend bool operator==(const OrderAccepted&, const OrderAccepted&) = default;
};
OMS_DESCRIBE(OrderAccepted, account, instrument, client_order_id, venue_order_id)

struct OrderRejected {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  std::uint16_t code = 0;        // ours: risk 2xxx, order 3xxx, venue 4xxx
  std::int32_t venue_code = 0;   // the venue's own code (Binance -2010), 0 when ours
  ReasonText reason;
  friend bool operator==(const OrderRejected&, const OrderRejected&) = default;
};
OMS_DESCRIBE(OrderRejected, account, instrument, client_order_id, code, venue_code, reason)

struct OrderPartiallyFilled {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  Decimal cum_qty, leaves_qty, avg_price;
  friend bool operator==(const OrderPartiallyFilled&, const OrderPartiallyFilled&) = default;
};
OMS_DESCRIBE(OrderPartiallyFilled, account, instrument, client_order_id, cum_qty, leaves_qty,
             avg_price)

struct OrderFilled {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  Decimal cum_qty, avg_price;
  friend bool operator==(const OrderFilled&, const OrderFilled&) = default;
};
OMS_DESCRIBE(OrderFilled, account, instrument, client_order_id, cum_qty, avg_price)

struct OrderCanceled {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  Decimal cum_qty;  // what filled before the cancel took effect
  friend bool operator==(const OrderCanceled&, const OrderCanceled&) = default;
};
OMS_DESCRIBE(OrderCanceled, account, instrument, client_order_id, cum_qty)

struct OrderAmended {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  Decimal price, quantity;
  friend bool operator==(const OrderAmended&, const OrderAmended&) = default;
};
OMS_DESCRIBE(OrderAmended, account, instrument, client_order_id, price, quantity)

struct OrderExpired {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  Decimal cum_qty;
  friend bool operator==(const OrderExpired&, const OrderExpired&) = default;
};
OMS_DESCRIBE(OrderExpired, account, instrument, client_order_id, cum_qty)

// The venue's answer to a status query (after a lost ack or a restart).
struct OrderStatusReconciled {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  VenueOrderId venue_order_id;
  OrderStatus status = OrderStatus::kUnknown;
  Decimal cum_qty, avg_price;
  friend bool operator==(const OrderStatusReconciled&, const OrderStatusReconciled&) = default;
};
OMS_DESCRIBE(OrderStatusReconciled, account, instrument, client_order_id, venue_order_id, status,
             cum_qty, avg_price)

struct FillReceived {
  AccountId account; StrategyId strategy; InstrumentId instrument;
  ClientOrderIdText client_order_id;
  TradeId trade_id;  // deduplication key, per instrument
  Side side = Side::kBuy;
  Decimal price, quantity, fee;
  AssetCode fee_asset;
  Liquidity liquidity = Liquidity::kTaker;
  friend bool operator==(const FillReceived&, const FillReceived&) = default;
};
OMS_DESCRIBE(FillReceived, account, strategy, instrument, client_order_id, trade_id, side, price,
             quantity, fee, fee_asset, liquidity)

// ---- accounts and positions ----------------------------------------------------------------
struct BalanceUpdated {
  AccountId account; ExchangeId exchange = ExchangeId::kBinance; Market market = Market::kSpot;
  AssetCode asset;
  Decimal free, locked;
  friend bool operator==(const BalanceUpdated&, const BalanceUpdated&) = default;
};
OMS_DESCRIBE(BalanceUpdated, account, exchange, market, asset, free, locked)

struct PositionUpdated {
  AccountId account; InstrumentId instrument;
  PositionSide position_side = PositionSide::kBoth;
  Decimal size;  // signed in one-way mode; positive for a hedge-mode leg
  Decimal entry_price;
  std::uint16_t leverage = 1;
  MarginType margin_type = MarginType::kCross;
  Decimal isolated_margin, unrealized_pnl, realized_pnl;
  friend bool operator==(const PositionUpdated&, const PositionUpdated&) = default;
};
OMS_DESCRIBE(PositionUpdated, account, instrument, position_side, size, entry_price, leverage,
             margin_type, isolated_margin, unrealized_pnl, realized_pnl)

struct FundingPaid {
  AccountId account; InstrumentId instrument; AssetCode asset;
  Decimal amount;  // negative: paid; positive: received
  friend bool operator==(const FundingPaid&, const FundingPaid&) = default;
};
OMS_DESCRIBE(FundingPaid, account, instrument, asset, amount)

// ---- transfers -------------------------------------------------------------------------------
struct TransferRequested {
  std::uint64_t transfer_id = 0;
  AccountId from_account, to_account;
  Market from_market = Market::kSpot, to_market = Market::kSpot;
  AssetCode asset; Decimal amount;
  friend bool operator==(const TransferRequested&, const TransferRequested&) = default;
};
OMS_DESCRIBE(TransferRequested, transfer_id, from_account, to_account, from_market, to_market,
             asset, amount)

struct TransferCompleted {
  std::uint64_t transfer_id = 0;
  VenueOrderId venue_transfer_id;
  friend bool operator==(const TransferCompleted&, const TransferCompleted&) = default;
};
OMS_DESCRIBE(TransferCompleted, transfer_id, venue_transfer_id)

struct TransferFailed {
  std::uint64_t transfer_id = 0;
  std::uint16_t code = 0; std::int32_t venue_code = 0; ReasonText reason;
  friend bool operator==(const TransferFailed&, const TransferFailed&) = default;
};
OMS_DESCRIBE(TransferFailed, transfer_id, code, venue_code, reason)

// ---- strategies and risk ---------------------------------------------------------------------
struct StrategyStateChanged {
  StrategyId strategy; StrategyState state = StrategyState::kStopped; ReasonText reason;
  friend bool operator==(const StrategyStateChanged&, const StrategyStateChanged&) = default;
};
OMS_DESCRIBE(StrategyStateChanged, strategy, state, reason)

struct RiskBreached {
  LimitScope scope = LimitScope::kGlobal;
  AccountId account; StrategyId strategy; InstrumentId instrument;
  std::uint16_t code = 0;  // risk 2xxx
  Decimal value, limit;
  friend bool operator==(const RiskBreached&, const RiskBreached&) = default;
};
OMS_DESCRIBE(RiskBreached, scope, account, strategy, instrument, code, value, limit)

struct KillSwitchTripped {
  LimitScope scope = LimitScope::kGlobal;
  AccountId account; StrategyId strategy;
  KillSwitchState state = KillSwitchState::kHalted;
  ReasonText reason;
  friend bool operator==(const KillSwitchTripped&, const KillSwitchTripped&) = default;
};
OMS_DESCRIBE(KillSwitchTripped, scope, account, strategy, state, reason)

// A pre-trade limit changed (operator, API); recorded in STRATEGIES and restored at start.
struct RiskLimitSet {
  LimitScope scope = LimitScope::kGlobal;
  AccountId account; StrategyId strategy; InstrumentId instrument;
  LimitKind kind = LimitKind::kOrderNotional;
  Decimal value;
  bool unlimited = false;
  friend bool operator==(const RiskLimitSet&, const RiskLimitSet&) = default;
};
OMS_DESCRIBE(RiskLimitSet, scope, account, strategy, instrument, kind, value, unlimited)

// ---- market data -----------------------------------------------------------------------------
struct BookLevel {
  BookSide side = BookSide::kBid;
  Decimal price, quantity;  // quantity zero = remove the level
  friend bool operator==(const BookLevel&, const BookLevel&) = default;
};
OMS_DESCRIBE(BookLevel, side, price, quantity)

// A venue book message is cut into chunks of at most kBookChunkLevels levels so that every
// event is fixed-size; chunks of one message share its sequence numbers, `chunk` counts
// from 0 and `last_chunk` marks the end (the book applies the message then).
inline constexpr std::size_t kBookChunkLevels = 24;
using BookLevels = CountedArray<BookLevel, kBookChunkLevels>;

struct BookSnapshot {
  InstrumentId instrument;
  std::uint64_t last_update_id = 0;  // Binance lastUpdateId
  std::uint16_t chunk = 0; bool last_chunk = true;
  BookLevels levels;
  friend bool operator==(const BookSnapshot&, const BookSnapshot&) = default;
};
OMS_DESCRIBE(BookSnapshot, instrument, last_update_id, chunk, last_chunk, levels)

struct BookDelta {
  InstrumentId instrument;
  std::uint64_t first_update_id = 0;  // Binance U
  std::uint64_t last_update_id = 0;   // Binance u
  std::uint64_t prev_update_id = 0;   // Binance futures pu (0 where the venue has none)
  std::uint16_t chunk = 0; bool last_chunk = true;
  BookLevels levels;
  friend bool operator==(const BookDelta&, const BookDelta&) = default;
};
OMS_DESCRIBE(BookDelta, instrument, first_update_id, last_update_id, prev_update_id, chunk,
             last_chunk, levels)

struct TradePrinted {
  InstrumentId instrument; TradeId trade_id;
  Decimal price, quantity;
  Side aggressor = Side::kBuy;
  friend bool operator==(const TradePrinted&, const TradePrinted&) = default;
};
OMS_DESCRIBE(TradePrinted, instrument, trade_id, price, quantity, aggressor)

struct BestBidOffer {
  InstrumentId instrument; std::uint64_t update_id = 0;
  Decimal bid_price, bid_qty, ask_price, ask_qty;
  friend bool operator==(const BestBidOffer&, const BestBidOffer&) = default;
};
OMS_DESCRIBE(BestBidOffer, instrument, update_id, bid_price, bid_qty, ask_price, ask_qty)

// ---- futures account settings (appended for AccountCore, issue 5) --------------------------
// The account's position mode on a futures market: one-way (kBoth) or hedge (long/short legs).
struct PositionModeChanged {
  AccountId account; ExchangeId exchange = ExchangeId::kBinance; Market market = Market::kUsdm;
  bool hedge_mode = false;
  friend bool operator==(const PositionModeChanged&, const PositionModeChanged&) = default;
};
OMS_DESCRIBE(PositionModeChanged, account, exchange, market, hedge_mode)

struct LeverageChanged {
  AccountId account; InstrumentId instrument;
  std::uint16_t leverage = 1;
  friend bool operator==(const LeverageChanged&, const LeverageChanged&) = default;
};
OMS_DESCRIBE(LeverageChanged, account, instrument, leverage)

struct MarginTypeChanged {
  AccountId account; InstrumentId instrument;
  MarginType margin_type = MarginType::kCross;
  friend bool operator==(const MarginTypeChanged&, const MarginTypeChanged&) = default;
};
OMS_DESCRIBE(MarginTypeChanged, account, instrument, margin_type)

// Margin moved between the wallet and an isolated position: amount > 0 adds to the
// position's isolated margin (taken from the wallet), < 0 returns it to the wallet.
struct IsolatedMarginChanged {
  AccountId account; InstrumentId instrument;
  PositionSide position_side = PositionSide::kBoth;
  AssetCode asset;
  Decimal amount;
  friend bool operator==(const IsolatedMarginChanged&, const IsolatedMarginChanged&) = default;
};
OMS_DESCRIBE(IsolatedMarginChanged, account, instrument, position_side, asset, amount)

// The hedge-mode leg an order trades (Binance positionSide LONG/SHORT), recorded with its
// OrderSubmitted: FillReceived does not carry it, so the account reads it from here.
struct OrderPositionSideSet {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  PositionSide position_side = PositionSide::kBoth;
  friend bool operator==(const OrderPositionSideSet&, const OrderPositionSideSet&) = default;
};
OMS_DESCRIBE(OrderPositionSideSet, account, instrument, client_order_id, position_side)

// An operator or the orchestrator set one of a strategy's parameters (the strategy validated
// the value before it was recorded).
struct StrategyParamSet {
  StrategyId strategy; FixedString<31> key; FixedString<63> value;
  friend bool operator==(const StrategyParamSet&, const StrategyParamSet&) = default;
};
OMS_DESCRIBE(StrategyParamSet, strategy, key, value)

// An exact amount at 1e-18 (a sum of price x quantity products), in two parts so each fits the
// codecs: `units` at 1e-9, truncated toward zero, and `rest`, the remaining 1e-18 digits (same
// sign, |rest| < 10^9). amount_e18 = units.raw() * 10^9 + rest.
struct ExactAmount {
  Decimal units;
  std::int64_t rest = 0;
  friend bool operator==(const ExactAmount&, const ExactAmount&) = default;
};
OMS_DESCRIBE(ExactAmount, units, rest)

// A step of an arbitrage saga: the saga's whole state after the step (its last step is all a
// restart needs). `saga` is its buy leg's client order sequence. Figures over the saga's ended
// orders (legs and repairs): base units bought and sold, what they cost and brought in the
// quote asset, the fees paid in the quote asset (`fees_other`: some fee in another asset, e.g.
// BNB -- in the account's figures, not here). `pnl`: set at the end -- received - paid - fees,
// a position left valued at the mark. `slippage`: the detected spread minus the legs' filled
// spread, per base unit (price units; > 0 is worse than detected). `reason`: why this step.
struct ArbSagaStep {
  StrategyId strategy;
  std::uint64_t saga = 0;
  std::uint32_t number = 1;       // the step's number in its saga, from 1
  SagaState state = SagaState::kLegsOut;
  std::uint16_t attempts = 0;     // repair orders sent in this phase
  std::uint8_t legs_ended = 0;    // bit 0: the buy leg ended, bit 1: the sell leg
  std::int64_t started = 0;       // when the legs went out (engine clock, ns)
  std::int64_t phase_started = 0; // when this phase began
  std::int64_t legs_acked = 0;    // when both legs had the venue's first answer; 0: not yet
  AccountId buy_account; InstrumentId buy_instrument; ClientOrderIdText buy_order;
  AccountId sell_account; InstrumentId sell_instrument; ClientOrderIdText sell_order;
  ClientOrderIdText repair_order;  // the repair order out; empty: none
  Decimal quantity, buy_price, sell_price;
  Decimal bought, sold;
  ExactAmount paid, received, fees;
  bool fees_other = false;
  ExactAmount pnl;
  Decimal slippage;
  ReasonText reason;
  friend bool operator==(const ArbSagaStep&, const ArbSagaStep&) = default;
};
OMS_DESCRIBE(ArbSagaStep, strategy, saga, number, state, attempts, legs_ended, started, phase_started,
             legs_acked, buy_account, buy_instrument, buy_order, sell_account, sell_instrument,
             sell_order, repair_order, quantity, buy_price, sell_price, bought, sold, paid,
             received, fees, fees_other, pnl, slippage, reason)

// ---- the order desk's own decisions (journaled, so a rebuild and a replay see them) ------------
// The order was handed to the venue session (in the same group as its OrderSubmitted).
struct OrderSendRequested {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  friend bool operator==(const OrderSendRequested&, const OrderSendRequested&) = default;
};
OMS_DESCRIBE(OrderSendRequested, account, instrument, client_order_id)

struct OrderCancelRequested {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  friend bool operator==(const OrderCancelRequested&, const OrderCancelRequested&) = default;
};
OMS_DESCRIBE(OrderCancelRequested, account, instrument, client_order_id)

// What was asked (zero = unchanged); OrderAmended says what the venue did.
struct OrderAmendRequested {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  Decimal new_price, new_quantity;
  friend bool operator==(const OrderAmendRequested&, const OrderAmendRequested&) = default;
};
OMS_DESCRIBE(OrderAmendRequested, account, instrument, client_order_id, new_price, new_quantity)

struct OrderCancelRejected {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  std::uint16_t code = 0; std::int32_t venue_code = 0; ReasonText reason;
  friend bool operator==(const OrderCancelRejected&, const OrderCancelRejected&) = default;
};
OMS_DESCRIBE(OrderCancelRejected, account, instrument, client_order_id, code, venue_code, reason)

struct OrderAmendRejected {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  std::uint16_t code = 0; std::int32_t venue_code = 0; ReasonText reason;
  friend bool operator==(const OrderAmendRejected&, const OrderAmendRejected&) = default;
};
OMS_DESCRIBE(OrderAmendRejected, account, instrument, client_order_id, code, venue_code, reason)

// No answer to a send, cancel or amend within the ack timeout (a timer input), or an order
// found unanswered after a restart: its state is unknown until the venue says (never assumed
// rejected).
struct OrderAckTimedOut {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  friend bool operator==(const OrderAckTimedOut&, const OrderAckTimedOut&) = default;
};
OMS_DESCRIBE(OrderAckTimedOut, account, instrument, client_order_id)

// ---- execution algos (appended, issue 17) ---------------------------------------------------
// A step of an execution algo (a parent order, exec_algo.hpp): its whole state after the step
// (the last step is all a restart needs), recorded in STRATEGIES. The parameters are
// SubmitAlgo's (curve: the weights it runs with, VWAP). `slice`: the slices handled so far
// (a child sent or the slice skipped);
// `target`: what the schedule wanted done through them; `sent`: the children's quantities
// (children risk or the desk refused included);
// `filled` / `notional`: their fills (avg = notional / filled); `child`: the child order out
// (empty: none) with its quantity and what of it filled; `volume`: the traded volume seen since
// the last slice (participation cap). `reason`: why this step.
struct AlgoStep {
  AccountId account; StrategyId strategy; InstrumentId instrument;
  std::uint64_t algo = 0;
  std::uint32_t number = 1;
  AlgoKind kind = AlgoKind::kTwap; AlgoState state = AlgoState::kRunning; Side side = Side::kBuy;
  Decimal quantity, limit_price, participation, catch_up;
  std::int64_t start = 0, end = 0;
  std::uint32_t slices = 1, slice = 0;
  VolumeCurveWeights curve;
  Decimal target, sent, filled;
  ExactAmount notional;
  ClientOrderIdText child;
  Decimal child_qty, child_filled, volume;
  std::uint32_t children = 0;  // child orders sent so far (the next child's sequence part)
  ReasonText reason;
  friend bool operator==(const AlgoStep&, const AlgoStep&) = default;
};
OMS_DESCRIBE(AlgoStep, account, strategy, instrument, algo, number, kind, state, side, quantity,
             limit_price, participation, catch_up, start, end, slices, slice, curve, target, sent,
             filled, notional, child, child_qty, child_filled, volume, children, reason)

// ---- external orders (appended, issue 13) -----------------------------------------------------
// An order on the account that another client placed (not omsd: a second program on the same
// key, the venue's web page), as the venue describes it: a user-data update, or the orders a
// catch-up or the start lists. The connector sends it before the order's other reports; the order
// desk records it only for a client order id it does not have -- the order then lives on the desk
// as an external order (status, fills, fees, positions, balances, risk), which omsd never cancels
// or amends on its own (an operator's cancel goes through).
struct ExternalOrderFound {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  VenueOrderId venue_order_id;
  Side side = Side::kBuy; OrderType order_type = OrderType::kLimit; TimeInForce tif = TimeInForce::kGtc;
  Decimal price, stop_price, quantity;
  bool reduce_only = false;
  friend bool operator==(const ExternalOrderFound&, const ExternalOrderFound&) = default;
};
OMS_DESCRIBE(ExternalOrderFound, account, instrument, client_order_id, venue_order_id, side,
             order_type, tif, price, stop_price, quantity, reduce_only)
// ---- smart order routing (appended, issue 17) ----------------------------------------------
// A smart-routed parent's step (smart_router.hpp): its whole state after the step, recorded in
// STRATEGIES. `planned`: what the split routed; `filled` / `notional`: its children's fills
// (avg = notional / filled); each child: its order, its IOC limit, what it filled when it
// ended. `reason`: why this step.
inline constexpr std::size_t kMaxSorChildren = 6;  // the binary codec's 1,024 bytes an event
struct SorChildStep {
  AccountId account; InstrumentId instrument;
  ClientOrderIdText client_order_id;
  Decimal quantity, limit_price, filled;
  bool ended = false;
  friend bool operator==(const SorChildStep&, const SorChildStep&) = default;
};
OMS_DESCRIBE(SorChildStep, account, instrument, client_order_id, quantity, limit_price, filled, ended)
using SorChildSteps = CountedArray<SorChildStep, kMaxSorChildren>;

struct SorStep {
  AccountId account; StrategyId strategy; InstrumentId instrument;
  std::uint64_t parent = 0;
  std::uint32_t number = 1;
  AlgoState state = AlgoState::kRunning; Side side = Side::kBuy;
  Decimal quantity, limit_price;
  std::uint32_t urgency_bps = 0;
  Decimal planned, filled;
  ExactAmount notional;
  SorChildSteps children;
  ReasonText reason;
  friend bool operator==(const SorStep&, const SorStep&) = default;
};
OMS_DESCRIBE(SorStep, account, strategy, instrument, parent, number, state, side, quantity,
             limit_price, urgency_bps, planned, filled, notional, children, reason)

// Every event. The index is the event's wire kind: append only, never reorder.
using EventPayload =
    std::variant<OrderSubmitted, OrderAccepted, OrderRejected, OrderPartiallyFilled, OrderFilled,
                 OrderCanceled, OrderAmended, OrderExpired, OrderStatusReconciled, FillReceived,
                 BalanceUpdated, PositionUpdated, FundingPaid, TransferRequested,
                 TransferCompleted, TransferFailed, StrategyStateChanged, RiskBreached,
                 KillSwitchTripped, BookSnapshot, BookDelta, TradePrinted, BestBidOffer,
                 PositionModeChanged, LeverageChanged, MarginTypeChanged, IsolatedMarginChanged,
                 OrderPositionSideSet, StrategyParamSet, RiskLimitSet, OrderSendRequested,
                 OrderCancelRequested, OrderAmendRequested, OrderCancelRejected,
                 OrderAmendRejected, OrderAckTimedOut, ArbSagaStep, AlgoStep,
                 ExternalOrderFound, SorStep>;

struct Event {
  Envelope envelope;
  EventPayload payload;
  friend bool operator==(const Event&, const Event&) = default;
};
static_assert(std::is_trivially_copyable_v<Event>, "events travel the rings by copy");

}  // namespace oms
