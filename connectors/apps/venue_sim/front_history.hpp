// Binance's history selection for allOrders and myTrades / userTrades, as its docs state it:
// `limit` (default 500, at most 1000); an id parameter (orderId for orders, fromId for trades)
// gives the records from that id up; otherwise the most recent; startTime / endTime bound the
// records' time, at most 24 hours apart on spot and 7 days on USD-M (-1127); myTrades takes a
// trade id with no time bound (-1128), and orderId there picks one order's trades.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "front_impl.hpp"

namespace oms::venue_sim {

struct HistoryRule {
  const char* id_param;        // "orderId" (allOrders) or "fromId" (trades)
  std::int64_t max_window_ms;  // between startTime and endTime
  bool trades = false;         // fromId excludes startTime / endTime; orderId filters
};

// The records (each with .time in ns and the id `id_of` gives) that the request selects, in
// ascending id order; or Binance's error.
template <class T, class IdOf>
std::variant<std::vector<T>, Reply> history_page(std::vector<T> all, const Params& p, const HistoryRule& rule,
                                                  IdOf id_of) {
  const auto number = [&p](const char* name, std::int64_t& out) -> bool {
    const std::string* v = p.find(name);
    if (v == nullptr) return false;
    out = std::strtoll(v->c_str(), nullptr, 10);
    return true;
  };
  std::int64_t limit = 500, from_id = 0, start = 0, end = 0, order_id = 0;
  if (number("limit", limit) && (limit < 1 || limit > 1000)) limit = std::clamp<std::int64_t>(limit, 1, 1000);
  const bool has_id = number(rule.id_param, from_id);
  const bool has_start = number("startTime", start), has_end = number("endTime", end);
  const bool has_order = rule.trades && number("orderId", order_id);
  if (rule.trades && has_id && (has_start || has_end)) {
    return Reply::error(400, -1128, "Combination of optional parameters invalid.");
  }
  if (has_start && has_end && end - start > rule.max_window_ms) {
    return Reply::error(400, -1127, "More than " + std::to_string(rule.max_window_ms / 3'600'000) +
                                        " hours between startTime and endTime.");
  }
  std::sort(all.begin(), all.end(), [&](const T& a, const T& b) { return id_of(a) < id_of(b); });
  std::vector<T> in;
  for (const T& r : all) {
    const std::int64_t t = r.time / 1'000'000;
    if (has_order && r.order_id != order_id) continue;
    if (has_id && id_of(r) < from_id) continue;
    if (has_start && t < start) continue;
    if (has_end && t > end) continue;
    in.push_back(r);
  }
  const auto n = static_cast<std::size_t>(limit);
  if (in.size() <= n) return in;
  // From an id or a start: the first `limit` from there; otherwise the most recent.
  if (has_id || has_start) return std::vector<T>(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
  return std::vector<T>(in.end() - static_cast<std::ptrdiff_t>(n), in.end());
}

}  // namespace oms::venue_sim
