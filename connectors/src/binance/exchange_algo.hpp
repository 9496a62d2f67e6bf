// USD-M Algo Service answers (New / Query Algo Order, openAlgoOrders items, the ALGO_UPDATE
// event's "o") and their events; used by BinanceUsdm (exchange_usdm.cpp, which documents the
// mapping). Internal to oms_binance.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exchange_internal.hpp"

namespace oms::binance::algo {

inline constexpr std::uint64_t kAlgoKeyBit = std::uint64_t{1} << 63;
inline std::uint64_t algo_key(std::uint64_t algo_id) {
  return algo_id | kAlgoKeyBit;
}

struct AlgoInfo {
  std::uint64_t algo_id = 0;                  // algoId / aid
  ClientOrderIdText client_algo_id;           // clientAlgoId / caid
  std::string symbol;                         // symbol / s
  std::string status;                         // algoStatus / X
  std::uint64_t actual_order_id = 0;          // actualOrderId / ai ("" until triggered: 0)
  Decimal quantity, executed_qty, avg_price;  // quantity / q; aq, ap (the event only)
  std::uint64_t time = 0;                     // updateTime / E (ms)
  std::string reject_reason;                  // rm (the event only, when present)
};

using Json = nlohmann::json;

inline bool get_u64(const Json& o, const char* k, std::uint64_t& out, std::string& err,
                    bool required) {
  const auto it = o.find(k);
  if (it == o.end() || it->is_null()) {
    if (required) err = std::string(k) + ": missing";
    return !required;
  }
  if (it->is_number_unsigned()) {
    out = it->get<std::uint64_t>();
    return true;
  }
  if (it->is_string()) {  // actualOrderId / ai are strings ("" before the trigger)
    const auto& s = it->get_ref<const std::string&>();
    if (s.empty()) return true;
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) {
        err = std::string(k) + ": not an unsigned integer";
        return false;
      }
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
  }
  err = std::string(k) + ": not an unsigned integer";
  return false;
}

inline bool get_str(const Json& o, const char* k, std::string& out, std::string& err,
                    bool required) {
  const auto it = o.find(k);
  if (it == o.end() || it->is_null()) {
    if (required) err = std::string(k) + ": missing";
    return !required;
  }
  if (!it->is_string()) {
    err = std::string(k) + ": not a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

inline bool get_dec(const Json& o, const char* k, Decimal& out, std::string& err) {
  std::string s;
  if (!get_str(o, k, s, err, false)) return false;
  if (s.empty()) return true;
  auto d = Decimal::parse(s);
  if (!d) {
    err = std::string(k) + ": not a decimal: " + s;
    return false;
  }
  out = *d;
  return true;
}

// A REST algo order (New / Query Algo Order, an openAlgoOrders item) or, with `event`, the
// "o" of ALGO_UPDATE. Errors name the field.
inline Result<AlgoInfo, std::string> parse_algo(const Json& o, bool event) {
  if (!o.is_object()) return Unexpected{std::string("not a JSON object")};
  AlgoInfo a;
  std::string err, cid;
  const bool ok =
      get_u64(o, event ? "aid" : "algoId", a.algo_id, err, true) &&
      get_str(o, event ? "caid" : "clientAlgoId", cid, err, true) &&
      get_str(o, event ? "s" : "symbol", a.symbol, err, true) &&
      get_str(o, event ? "X" : "algoStatus", a.status, err, true) &&
      get_u64(o, event ? "ai" : "actualOrderId", a.actual_order_id, err, false) &&
      get_dec(o, event ? "q" : "quantity", a.quantity, err) &&
      (!event || (get_dec(o, "aq", a.executed_qty, err) && get_dec(o, "ap", a.avg_price, err) &&
                  get_str(o, "rm", a.reject_reason, err, false))) &&
      (event || get_u64(o, "updateTime", a.time, err, false));
  if (!ok) return Unexpected{std::move(err)};
  if (!a.client_algo_id.assign(cid))
    return Unexpected{std::string(event ? "caid" : "clientAlgoId") +
                      ": longer than 36 characters (not an order of ours)"};
  return a;
}

// The algo order's own events (see above). key: the venue order key for report_id.
inline void algo_events(const AlgoInfo& a, AccountId account, InstrumentId instrument,
                        std::vector<EventPayload>& out, std::uint64_t& key) {
  key = algo_key(a.algo_id);
  const ClientOrderIdText& cid = a.client_algo_id;
  if (a.status == "NEW") {
    VenueOrderId vid;
    (void)vid.assign(order_id_text(a.algo_id));
    out.emplace_back(OrderAccepted{account, instrument, cid, vid});
  } else if (a.status == "CANCELED") {
    out.emplace_back(OrderCanceled{account, instrument, cid, Decimal{}});
  } else if (a.status == "EXPIRED") {
    out.emplace_back(OrderExpired{account, instrument, cid, Decimal{}});
  } else if (a.status == "REJECTED") {
    OrderRejected r{account, instrument,
                    cid,     static_cast<std::uint16_t>(ExchangeErrorCode::kVenueRejected),
                    0,       {}};
    const std::string reason = "algo order rejected: " + a.reject_reason;
    (void)r.reason.assign(std::string_view(reason).substr(0, ReasonText::kCapacity));
    out.emplace_back(r);
  } else if (a.status == "FINISHED" && a.actual_order_id != 0 && a.executed_qty.is_positive() &&
             a.executed_qty == a.quantity) {
    key = a.actual_order_id;
    out.emplace_back(OrderFilled{account, instrument, cid, a.executed_qty, a.avg_price});
  }
}

}  // namespace oms::binance::algo
