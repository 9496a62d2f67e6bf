// The simulator's USD-M Algo Service: conditional orders (STOP / STOP_MARKET / TAKE_PROFIT /
// TAKE_PROFIT_MARKET) held outside the matching engine until their trigger, as Binance runs
// them since the move of conditional orders to /fapi/v1/algoOrder (late 2025).
//
// Pure data and rules, no I/O and no clock (every call takes the venue time); the front places
// the triggered order into the matching core (Venue::place) and pushes the ALGO_UPDATE events.
//
// Trigger (documented once here):
//   workingType CONTRACT_PRICE (the default): the venue's last trade price (ours or background);
//   MARK_PRICE: the simulator's mark (mid, else last).
//   STOP* buy and TAKE_PROFIT* sell trigger when the price is >= triggerPrice; STOP* sell and
//   TAKE_PROFIT* buy when it is <= triggerPrice. An order that would trigger at once is refused
//   (-2021 "Order would immediately trigger."), as for the old stop orders.
// Lifecycle: NEW -> TRIGGERED (placed into the matching engine as MARKET, or LIMIT at `price`
// for STOP / TAKE_PROFIT, with the algo order's client id as its clientOrderId) -> FINISHED
// (the placed order filled, canceled or expired); NEW -> CANCELED (user); a trigger the
// matching engine refuses -> REJECTED; closePosition with no position at the trigger ->
// EXPIRED.
// Assumed where Binance does not document it: an unknown algoId / clientAlgoId answers -2011
// "Unknown order sent." on DELETE and -2013 "Order does not exist." on GET (the codes of
// /fapi/v1/order); a clientAlgoId already used by an open algo order answers -4116
// "ClientOrderId is duplicated."; algo ids count up from 1000000001 per venue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oms/connectors/sim/types.hpp"
#include "oms/messages/result.hpp"

namespace oms::sim {

enum class AlgoStatus : std::uint8_t {
  kNew,
  kTriggering,
  kTriggered,
  kFinished,
  kCanceled,
  kExpired,
  kRejected,
};
[[nodiscard]] inline const char* to_string(AlgoStatus s) noexcept {
  switch (s) {
    case AlgoStatus::kNew:
      return "NEW";
    case AlgoStatus::kTriggering:
      return "TRIGGERING";
    case AlgoStatus::kTriggered:
      return "TRIGGERED";
    case AlgoStatus::kFinished:
      return "FINISHED";
    case AlgoStatus::kCanceled:
      return "CANCELED";
    case AlgoStatus::kExpired:
      return "EXPIRED";
    case AlgoStatus::kRejected:
      return "REJECTED";
  }
  return "NEW";
}

struct AlgoOrder {
  std::int64_t algo_id = 0;
  std::string client_algo_id;
  // account, symbol, side, type (a stop kind), tif, price, quantity, stop_price (the
  // triggerPrice), reduce_only, position_side; client_order_id is client_algo_id.
  NewOrder order;
  bool close_position = false;
  bool mark_price_trigger = false;  // workingType MARK_PRICE
  AlgoStatus status = AlgoStatus::kNew;
  std::int64_t actual_order_id = 0;  // the matching engine's order after the trigger
  SimOrderType actual_type = SimOrderType::kMarket;
  Decimal executed_qty, avg_price;  // of the actual order
  std::string reject_reason;
  TimeNs create_time = 0, update_time = 0, trigger_time = 0;
  [[nodiscard]] bool is_open() const noexcept {
    return status == AlgoStatus::kNew || status == AlgoStatus::kTriggering;
  }
};

struct AlgoRef {  // algoId wins when non-zero
  std::int64_t algo_id = 0;
  std::string client_algo_id;
};

// True when `price` satisfies the order's trigger condition.
[[nodiscard]] inline bool algo_triggers(const AlgoOrder& a, Decimal price) noexcept {
  const bool stop =
      a.order.type == SimOrderType::kStopLoss || a.order.type == SimOrderType::kStopLossLimit;
  const bool rising = stop == (a.order.side == Side::kBuy);
  return rising ? price >= a.order.stop_price : price <= a.order.stop_price;
}

class AlgoBook {
 public:
  // `reference`: the trigger price now (last or mark, as the order's workingType says).
  Result<AlgoOrder, VenueError> place(AlgoOrder a, std::optional<Decimal> reference, TimeNs now) {
    if (!is_stop(a.order.type)) return fail(-1116, "Invalid orderType.");
    if (!a.order.stop_price.is_positive())
      return fail(-1102,
                  "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or "
                  "malformed.");
    if (a.close_position && a.order.reduce_only)
      return fail(-1106, "Parameter 'reduceOnly' sent when not required.");
    if (a.close_position && has_limit(a.order.type))
      return fail(-1106, "Parameter 'closePosition' sent when not required.");
    if (!a.close_position && !a.order.quantity.is_positive())
      return fail(-1102,
                  "Mandatory parameter 'quantity' was not sent, was empty/null, or "
                  "malformed.");
    if (reference && algo_triggers(a, *reference))
      return fail(-2021, "Order would immediately trigger.");
    if (!a.client_algo_id.empty()) {
      for (const auto& o : orders_) {
        if (o.order.account == a.order.account && o.is_open() &&
            o.client_algo_id == a.client_algo_id)
          return fail(-4116, "ClientOrderId is duplicated.");
      }
    }
    a.algo_id = next_id_++;
    if (a.client_algo_id.empty()) a.client_algo_id = "algo-" + std::to_string(a.algo_id);
    a.order.client_order_id = a.client_algo_id;
    a.status = AlgoStatus::kNew;
    a.create_time = a.update_time = now;
    orders_.push_back(std::move(a));
    return orders_.back();
  }

  // DELETE: only an open (not yet triggered) algo order; else -2011.
  Result<AlgoOrder, VenueError> cancel(ApiKeyId account, const AlgoRef& ref, TimeNs now) {
    AlgoOrder* a = find(account, ref);
    if (a == nullptr || !a->is_open()) return fail(-2011, "Unknown order sent.");
    a->status = AlgoStatus::kCanceled;
    a->update_time = now;
    return *a;
  }

  // DELETE algoOpenOrders: every open algo order of the account on the symbol, canceled (none
  // open is no error, as on the venue).
  std::vector<AlgoOrder> cancel_all(ApiKeyId account, SymbolIndex symbol, TimeNs now) {
    std::vector<AlgoOrder> out;
    for (auto& o : orders_) {
      if (o.order.account != account || o.order.symbol != symbol || !o.is_open()) continue;
      o.status = AlgoStatus::kCanceled;
      o.update_time = now;
      out.push_back(o);
    }
    return out;
  }

  [[nodiscard]] Result<AlgoOrder, VenueError> query(ApiKeyId account, const AlgoRef& ref) const {
    for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) {
      if (matches(*it, account, ref)) return *it;
    }
    return fail(-2013, "Order does not exist.");
  }

  [[nodiscard]] std::vector<AlgoOrder> open(ApiKeyId account,
                                            std::optional<SymbolIndex> symbol) const {
    std::vector<AlgoOrder> out;
    for (const auto& o : orders_) {
      if (o.order.account == account && o.is_open() && (!symbol || o.order.symbol == *symbol))
        out.push_back(o);
    }
    return out;
  }
  [[nodiscard]] std::vector<AlgoOrder> all(ApiKeyId account, SymbolIndex symbol) const {
    std::vector<AlgoOrder> out;
    for (const auto& o : orders_)
      if (o.order.account == account && o.order.symbol == symbol) out.push_back(o);
    return out;
  }

  // The oldest open algo order on `symbol` whose trigger holds; nullptr when none.
  AlgoOrder* next_due(SymbolIndex symbol, std::optional<Decimal> last,
                      std::optional<Decimal> mark) {
    for (auto& o : orders_) {
      if (o.status != AlgoStatus::kNew || o.order.symbol != symbol) continue;
      const std::optional<Decimal>& ref = o.mark_price_trigger ? mark : last;
      if (ref && algo_triggers(o, *ref)) return &o;
    }
    return nullptr;
  }
  // The TRIGGERED algo order whose matching-engine order this is; nullptr when none.
  AlgoOrder* by_actual(SymbolIndex symbol, std::int64_t order_id) {
    for (auto& o : orders_) {
      if (o.status == AlgoStatus::kTriggered && o.order.symbol == symbol &&
          o.actual_order_id == order_id)
        return &o;
    }
    return nullptr;
  }
  [[nodiscard]] bool any_open() const noexcept {
    for (const auto& o : orders_)
      if (o.status == AlgoStatus::kNew) return true;
    return false;
  }

 private:
  static Unexpected<VenueError> fail(int code, std::string msg) {
    return Unexpected{VenueError{code, std::move(msg)}};
  }
  static bool matches(const AlgoOrder& o, ApiKeyId account, const AlgoRef& ref) {
    if (o.order.account != account) return false;
    return ref.algo_id != 0 ? o.algo_id == ref.algo_id
                            : !ref.client_algo_id.empty() && o.client_algo_id == ref.client_algo_id;
  }
  AlgoOrder* find(ApiKeyId account, const AlgoRef& ref) {
    for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) {
      if (matches(*it, account, ref)) return &*it;
    }
    return nullptr;
  }

  std::vector<AlgoOrder> orders_;  // by algo id, ascending
  std::int64_t next_id_ = 1'000'000'001;
};

}  // namespace oms::sim
