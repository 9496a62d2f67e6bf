// Upbit order queries, account and quotation (public market data) builders.
#include "requests_common.hpp"

namespace oms::upbit {

using detail::error;
using detail::make;

namespace {

constexpr std::size_t kMaxQueryIds = 100;        // GET /v1/orders/uuids
constexpr std::uint32_t kMaxOpenLimit = 100;     // GET /v1/orders/open
constexpr std::uint32_t kMaxClosedLimit = 1000;  // GET /v1/orders/closed
constexpr std::int64_t kMaxClosedWindowMs = 7LL * 24 * 3'600'000;  // the venue's 7-day window
constexpr std::uint32_t kMaxTrades = 500;        // GET /v1/trades/ticks count
constexpr std::uint32_t kMaxTradesDaysAgo = 7;
constexpr std::uint32_t kMaxCandles = 200;       // GET /v1/candles/* count

Result<Unit, RequestError> add_market(RestRequest& r, std::string_view market, std::string_view what) {
  if (market.empty()) return Unit{};
  if (auto c = check_market(market, "market"); !c) return Unexpected{error(what, c.error().message)};
  r.add("market", market);
  return Unit{};
}

// One state as state=, several as states[] (the venue takes either form).
Result<Unit, RequestError> add_states(RestRequest& r, std::span<const std::string_view> states,
                                      std::initializer_list<std::string_view> allowed, std::string_view what) {
  for (std::size_t i = 0; i < states.size(); ++i) {
    bool ok = false;
    for (const std::string_view a : allowed) ok = ok || a == states[i];
    if (!ok) {
      std::string list;
      for (const std::string_view a : allowed) list.append(list.empty() ? "" : ", ").append(a);
      return Unexpected{error(what, "states[" + std::to_string(i) + "]: '" + std::string(states[i]) + "' (one of " + list + ")")};
    }
  }
  if (states.size() == 1) r.add("state", states[0]);
  else for (const std::string_view s : states) r.add("states[]", s);
  return Unit{};
}

Req markets_get(std::string_view path, std::span<const std::string_view> markets, std::string_view what) {
  auto list = detail::market_list(markets, 0, "markets", what);
  if (!list) return Unexpected{list.error()};
  RestRequest r = make(HttpMethod::kGet, path, Security::kNone);
  r.add("markets", *list);
  return r;
}

}  // namespace

// ---- Order queries --------------------------------------------------------------------------

Req get_order(const OrderRef& ref) {
  RestRequest r = make(HttpMethod::kGet, "/v1/order", Security::kSigned);
  if (auto a = detail::add_order_ref(r, ref, "get_order"); !a) return Unexpected{a.error()};
  return r;
}

Req orders_by_ids(std::string_view market, std::span<const std::string_view> uuids,
                  std::span<const std::string_view> identifiers, OrderBy order_by) {
  constexpr std::string_view kWhat = "orders_by_ids";
  RestRequest r = make(HttpMethod::kGet, "/v1/orders/uuids", Security::kSigned);
  if (auto a = add_market(r, market, kWhat); !a) return Unexpected{a.error()};
  if (auto a = detail::add_id_lists(r, uuids, identifiers, kMaxQueryIds, kWhat); !a) return Unexpected{a.error()};
  if (order_by != OrderBy::kDefault) r.add("order_by", detail::to_string(order_by));
  return r;
}

Req open_orders(const OpenOrdersQuery& q) {
  constexpr std::string_view kWhat = "open_orders";
  if (q.limit > kMaxOpenLimit) return Unexpected{error(kWhat, "limit: at most 100")};
  RestRequest r = make(HttpMethod::kGet, "/v1/orders/open", Security::kSigned);
  if (auto a = add_market(r, q.market, kWhat); !a) return Unexpected{a.error()};
  if (auto a = add_states(r, q.states, {"wait", "watch"}, kWhat); !a) return Unexpected{a.error()};
  if (q.page != 0) r.add_int("page", q.page);
  if (q.limit != 0) r.add_int("limit", q.limit);
  if (q.order_by != OrderBy::kDefault) r.add("order_by", detail::to_string(q.order_by));
  return r;
}

Req closed_orders(const ClosedOrdersQuery& q) {
  constexpr std::string_view kWhat = "closed_orders";
  if (q.limit > kMaxClosedLimit) return Unexpected{error(kWhat, "limit: at most 1000")};
  if (q.start_ms < 0 || q.end_ms < 0) return Unexpected{error(kWhat, "start_ms / end_ms: cannot be negative")};
  if (q.start_ms != 0 && q.end_ms != 0) {
    if (q.end_ms < q.start_ms) return Unexpected{error(kWhat, "end_ms: before start_ms")};
    if (q.end_ms - q.start_ms > kMaxClosedWindowMs) return Unexpected{error(kWhat, "end_ms: more than 7 days after start_ms")};
  }
  RestRequest r = make(HttpMethod::kGet, "/v1/orders/closed", Security::kSigned);
  if (auto a = add_market(r, q.market, kWhat); !a) return Unexpected{a.error()};
  if (auto a = add_states(r, q.states, {"done", "cancel"}, kWhat); !a) return Unexpected{a.error()};
  if (q.start_ms != 0) r.add_int("start_time", q.start_ms);
  if (q.end_ms != 0) r.add_int("end_time", q.end_ms);
  if (q.limit != 0) r.add_int("limit", q.limit);
  if (q.order_by != OrderBy::kDefault) r.add("order_by", detail::to_string(q.order_by));
  return r;
}

Req order_chance(std::string_view market) {
  if (auto c = check_market(market, "market"); !c) return Unexpected{error("order_chance", c.error().message)};
  RestRequest r = make(HttpMethod::kGet, "/v1/orders/chance", Security::kSigned);
  r.add("market", market);
  return r;
}

Req accounts() { return make(HttpMethod::kGet, "/v1/accounts", Security::kSigned); }

// ---- Quotation ------------------------------------------------------------------------------

Req market_all(bool details) {
  RestRequest r = make(HttpMethod::kGet, "/v1/market/all", Security::kNone);
  if (details) r.add_bool("is_details", true);
  return r;
}

Req orderbook(std::span<const std::string_view> markets, Decimal level, std::uint32_t count) {
  if (level.is_negative()) return Unexpected{error("orderbook", "level: cannot be negative")};
  auto r = markets_get("/v1/orderbook", markets, "orderbook");
  if (!r) return r;
  if (level.is_positive()) r->add("level", level);
  if (count != 0) r->add_int("count", count);
  return r;
}

Req orderbook_instruments(std::span<const std::string_view> markets) {
  return markets_get("/v1/orderbook/instruments", markets, "orderbook_instruments");
}

Req ticker(std::span<const std::string_view> markets) { return markets_get("/v1/ticker", markets, "ticker"); }

Req ticker_all(std::span<const std::string_view> quote_currencies) {
  RestRequest r = make(HttpMethod::kGet, "/v1/ticker/all", Security::kNone);
  std::string list;
  for (std::size_t i = 0; i < quote_currencies.size(); ++i) {
    const std::string_view q = quote_currencies[i];
    bool ok = !q.empty();
    for (const char c : q) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    if (!ok) return Unexpected{error("ticker_all", "quote_currencies[" + std::to_string(i) + "]: not a currency code")};
    if (i > 0) list.push_back(',');
    list.append(q);
  }
  if (list.empty()) return Unexpected{error("ticker_all", "quote_currencies: at least one")};
  r.add("quote_currencies", list);
  return r;
}

Req trades(const TradesQuery& q) {
  constexpr std::string_view kWhat = "trades";
  if (auto c = check_market(q.market, "market"); !c) return Unexpected{error(kWhat, c.error().message)};
  if (q.count > kMaxTrades) return Unexpected{error(kWhat, "count: at most 500")};
  if (q.days_ago > kMaxTradesDaysAgo) return Unexpected{error(kWhat, "days_ago: 1 to 7")};
  RestRequest r = make(HttpMethod::kGet, "/v1/trades/ticks", Security::kNone);
  r.add("market", q.market);
  if (!q.to.empty()) r.add("to", q.to);
  if (q.count != 0) r.add_int("count", q.count);
  if (!q.cursor.empty()) r.add("cursor", q.cursor);
  if (q.days_ago != 0) r.add_int("days_ago", q.days_ago);
  return r;
}

Req candles(const CandlesQuery& q) {
  constexpr std::string_view kWhat = "candles";
  if (auto c = check_market(q.market, "market"); !c) return Unexpected{error(kWhat, c.error().message)};
  if (q.count > kMaxCandles) return Unexpected{error(kWhat, "count: at most 200")};
  std::string path = "/v1/candles/";
  switch (q.unit) {
    case CandleUnit::kSeconds: path.append("seconds"); break;
    case CandleUnit::kMinutes: {
      constexpr std::uint32_t kUnits[] = {1, 3, 5, 10, 15, 30, 60, 240};
      bool ok = false;
      for (const auto u : kUnits) ok = ok || u == q.minutes;
      if (!ok) return Unexpected{error(kWhat, "minutes: one of 1, 3, 5, 10, 15, 30, 60, 240")};
      path.append("minutes/").append(std::to_string(q.minutes));
      break;
    }
    case CandleUnit::kDays: path.append("days"); break;
    case CandleUnit::kWeeks: path.append("weeks"); break;
    case CandleUnit::kMonths: path.append("months"); break;
    case CandleUnit::kYears: path.append("years"); break;
  }
  RestRequest r = make(HttpMethod::kGet, path, Security::kNone);
  r.add("market", q.market);
  if (!q.to.empty()) r.add("to", q.to);
  if (q.count != 0) r.add_int("count", q.count);
  return r;
}

}  // namespace oms::upbit
