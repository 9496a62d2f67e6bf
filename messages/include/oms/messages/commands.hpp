// Commands: requests, imperative. Fixed-size like events; they are journaled as the inputs
// a replay feeds back, so they carry the same envelope.
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

struct SubmitOrder {
  AccountId account; StrategyId strategy; InstrumentId instrument;
  ClientOrderIdText client_order_id;
  Side side = Side::kBuy; OrderType order_type = OrderType::kLimit; TimeInForce tif = TimeInForce::kGtc;
  Decimal price, stop_price, quantity;
  bool reduce_only = false;
  friend bool operator==(const SubmitOrder&, const SubmitOrder&) = default;
};
OMS_DESCRIBE(SubmitOrder, account, strategy, instrument, client_order_id, side, order_type, tif, price,
             stop_price, quantity, reduce_only)

struct AmendOrder {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  Decimal new_price, new_quantity;
  friend bool operator==(const AmendOrder&, const AmendOrder&) = default;
};
OMS_DESCRIBE(AmendOrder, account, instrument, client_order_id, new_price, new_quantity)

struct CancelOrder {
  AccountId account; InstrumentId instrument; ClientOrderIdText client_order_id;
  friend bool operator==(const CancelOrder&, const CancelOrder&) = default;
};
OMS_DESCRIBE(CancelOrder, account, instrument, client_order_id)

// Cancels every open order of the account; on one instrument when it is valid.
struct CancelAllOrders {
  AccountId account; InstrumentId instrument;
  friend bool operator==(const CancelAllOrders&, const CancelAllOrders&) = default;
};
OMS_DESCRIBE(CancelAllOrders, account, instrument)

// Up to kMaxBatchOrders orders sent as one venue batch (Binance USD-M accepts 5; larger
// batches are split by the router before they become commands).
inline constexpr std::size_t kMaxBatchOrders = 5;
using BatchOrders = CountedArray<SubmitOrder, kMaxBatchOrders>;
struct SubmitBatch {
  AccountId account;
  BatchOrders orders;  // every order must name the same account
  friend bool operator==(const SubmitBatch&, const SubmitBatch&) = default;
};
OMS_DESCRIBE(SubmitBatch, account, orders)

struct RequestTransfer {
  std::uint64_t transfer_id = 0;
  AccountId from_account, to_account;
  Market from_market = Market::kSpot, to_market = Market::kSpot;
  AssetCode asset; Decimal amount;
  friend bool operator==(const RequestTransfer&, const RequestTransfer&) = default;
};
OMS_DESCRIBE(RequestTransfer, transfer_id, from_account, to_account, from_market, to_market,
             asset, amount)

struct StartStrategy {
  StrategyId strategy;
  friend bool operator==(const StartStrategy&, const StartStrategy&) = default;
};
OMS_DESCRIBE(StartStrategy, strategy)

struct StopStrategy {
  StrategyId strategy; ReasonText reason;
  friend bool operator==(const StopStrategy&, const StopStrategy&) = default;
};
OMS_DESCRIBE(StopStrategy, strategy, reason)

// One parameter by name; the strategy validates the value text (a Decimal, a duration...).
struct SetStrategyParam {
  StrategyId strategy; FixedString<31> key; FixedString<63> value;
  friend bool operator==(const SetStrategyParam&, const SetStrategyParam&) = default;
};
OMS_DESCRIBE(SetStrategyParam, strategy, key, value)

struct TripKillSwitch {
  LimitScope scope = LimitScope::kGlobal;
  AccountId account; StrategyId strategy;
  KillSwitchState state = KillSwitchState::kHalted;
  ReasonText reason;
  friend bool operator==(const TripKillSwitch&, const TripKillSwitch&) = default;
};
OMS_DESCRIBE(TripKillSwitch, scope, account, strategy, state, reason)

struct ResetKillSwitch {
  LimitScope scope = LimitScope::kGlobal;
  AccountId account; StrategyId strategy;
  friend bool operator==(const ResetKillSwitch&, const ResetKillSwitch&) = default;
};
OMS_DESCRIBE(ResetKillSwitch, scope, account, strategy)

// One pre-trade limit at one scope (the ids beside the scope say which entry; the others are
// invalid). value: a Decimal for Decimal kinds, a whole number for count kinds (limit_is_count);
// unlimited clears the limit (value ignored).
struct SetRiskLimit {
  LimitScope scope = LimitScope::kGlobal;
  AccountId account; StrategyId strategy; InstrumentId instrument;
  LimitKind kind = LimitKind::kOrderNotional;
  Decimal value;
  bool unlimited = false;
  friend bool operator==(const SetRiskLimit&, const SetRiskLimit&) = default;
};
OMS_DESCRIBE(SetRiskLimit, scope, account, strategy, instrument, kind, value, unlimited)

// A configured volume curve (VWAP): relative weights of equal buckets over [start, end].
inline constexpr std::size_t kMaxCurveBuckets = 24;
using VolumeCurve = CountedArray<std::uint32_t, kMaxCurveBuckets>;

// An execution algo (a parent order, exec_algo.hpp): `quantity` of `instrument` bought or sold
// in `slices` child orders over [start, end] (ns, the engine clock). TWAP: equal slices; VWAP:
// slices weighted by `curve`, or, when it is empty, by the traded volume the engine recorded at
// the slices' times of day. limit_price: never buy above / sell below (zero: none).
// participation: a slice at most this fraction of the volume traded since the last one (zero:
// no cap). catch_up: a slice at most this many times its scheduled quantity when earlier slices
// fell short (zero: no catch-up -- what a slice did not fill stays behind until the end).
// algo: its id (zero: the command's envelope id).
struct SubmitAlgo {
  AccountId account; StrategyId strategy; InstrumentId instrument;
  std::uint64_t algo = 0;
  AlgoKind kind = AlgoKind::kTwap; Side side = Side::kBuy;
  Decimal quantity, limit_price, participation, catch_up;
  std::int64_t start = 0, end = 0;
  std::uint32_t slices = 1;
  VolumeCurve curve;
  friend bool operator==(const SubmitAlgo&, const SubmitAlgo&) = default;
};
OMS_DESCRIBE(SubmitAlgo, account, strategy, instrument, algo, kind, side, quantity, limit_price,
             participation, catch_up, start, end, slices, curve)

// Cancels (its open child too), pauses or resumes an execution algo of the account.
struct ControlAlgo {
  AccountId account; std::uint64_t algo = 0;
  AlgoAction action = AlgoAction::kCancel;
  friend bool operator==(const ControlAlgo&, const ControlAlgo&) = default;
};
OMS_DESCRIBE(ControlAlgo, account, algo, action)

// ---- smart order routing (appended, issue 17) ----------------------------------------------
// An account a smart-routed parent may use, with its order budget left when the parent was
// submitted: the connectors' rate-limit buckets are not engine state, so the budget travels in
// the command and a replay decides the same split.
inline constexpr std::size_t kMaxSorParentAccounts = 16;
struct SorBudget {
  AccountId account;
  std::uint32_t orders_left = 0;
  friend bool operator==(const SorBudget&, const SorBudget&) = default;
};
OMS_DESCRIBE(SorBudget, account, orders_left)
using SorBudgets = CountedArray<SorBudget, kMaxSorParentAccounts>;

// A smart-routed parent order (smart_router.hpp): `quantity` of `instrument`'s pair, split
// across the venues of the engine that list the pair in the same market and the `accounts`
// that trade there, as IOC children. urgency_bps: how far past its venue's deepest planned
// level a child's limit may go. `account` owns the parent (its steps are recorded under it);
// parent: its id (zero: the command's envelope id). Cancel: ControlAlgo kCancel with the id.
struct SubmitSor {
  AccountId account; StrategyId strategy; InstrumentId instrument;
  std::uint64_t parent = 0;
  Side side = Side::kBuy;
  Decimal quantity, limit_price;
  std::uint32_t urgency_bps = 0;
  SorBudgets accounts;
  friend bool operator==(const SubmitSor&, const SubmitSor&) = default;
};
OMS_DESCRIBE(SubmitSor, account, strategy, instrument, parent, side, quantity, limit_price,
             urgency_bps, accounts)

// Every command; the index is the wire kind (append only).
using CommandPayload =
    std::variant<SubmitOrder, AmendOrder, CancelOrder, CancelAllOrders, SubmitBatch,
                 RequestTransfer, StartStrategy, StopStrategy, SetStrategyParam, TripKillSwitch,
                 ResetKillSwitch, SetRiskLimit, SubmitAlgo, ControlAlgo, SubmitSor>;

struct Command {
  Envelope envelope;
  CommandPayload payload;
  friend bool operator==(const Command&, const Command&) = default;
};
static_assert(std::is_trivially_copyable_v<Command>, "commands travel the rings by copy");

}  // namespace oms
