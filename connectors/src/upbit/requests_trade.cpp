// Upbit order builders: place (limit / price / market / best), cancel-and-new, cancel one, by
// ids, and the batch cancel.
#include <array>

#include "oms/messages/symbols.hpp"
#include "requests_common.hpp"

namespace oms::upbit {

using detail::error;
using detail::make;

namespace detail {

RequestError error(std::string_view what, std::string_view msg) {
  std::string m(what);
  m.append(": ");
  m.append(msg);
  return RequestError{std::move(m)};
}

std::string decimal_text(Decimal d) {
  std::array<char, Decimal::kMaxChars> buf{};
  return std::string(buf.data(), d.format(buf.data()));
}

RestRequest make(HttpMethod m, std::string_view path, Security s, std::uint32_t order_count) {
  RestRequest r;
  r.method = m;
  r.path.assign(path);
  r.security = s;
  r.order_count = order_count;
  return r;
}

Result<Unit, RequestError> add_order_ref(RestRequest& r, const OrderRef& ref, std::string_view what,
                                         std::string_view uuid_key, std::string_view identifier_key) {
  if (ref.uuid.empty() == ref.identifier.empty())
    return Unexpected{error(what, std::string(uuid_key) + " / " + std::string(identifier_key) +
                                      ": name the order by one of them")};
  if (!ref.uuid.empty()) {
    if (!valid_identifier(ref.uuid)) return Unexpected{error(what, std::string(uuid_key) + ": not a uuid")};
    r.add(uuid_key, ref.uuid);
  } else {
    if (!valid_identifier(ref.identifier))
      return Unexpected{error(what, std::string(identifier_key) + ": 1 to 64 letters, digits, '-' or '_'")};
    r.add(identifier_key, ref.identifier);
  }
  return Unit{};
}

Result<Unit, RequestError> add_id_lists(RestRequest& r, std::span<const std::string_view> uuids,
                                        std::span<const std::string_view> identifiers, std::size_t max,
                                        std::string_view what) {
  if (uuids.empty() == identifiers.empty())
    return Unexpected{error(what, "uuids / identifiers: one list, not both and not neither")};
  const bool by_uuid = !uuids.empty();
  const auto ids = by_uuid ? uuids : identifiers;
  const std::string field = by_uuid ? "uuids" : "identifiers";
  if (ids.size() > max) return Unexpected{error(what, field + ": at most " + std::to_string(max) + " a request")};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!valid_identifier(ids[i]))
      return Unexpected{error(what, field + "[" + std::to_string(i) + "]: 1 to 64 letters, digits, '-' or '_'")};
    r.add(field + "[]", ids[i]);
  }
  return Unit{};
}

Result<std::string, RequestError> market_list(std::span<const std::string_view> markets, std::size_t max,
                                              std::string_view field, std::string_view what) {
  if (markets.empty()) return Unexpected{error(what, std::string(field) + ": at least one market")};
  if (max != 0 && markets.size() > max)
    return Unexpected{error(what, std::string(field) + ": at most " + std::to_string(max))};
  std::string out;
  for (std::size_t i = 0; i < markets.size(); ++i) {
    if (auto c = check_market(markets[i], std::string(field) + "[" + std::to_string(i) + "]"); !c)
      return Unexpected{error(what, c.error().message)};
    if (i > 0) out.push_back(',');
    out.append(markets[i]);
  }
  return out;
}

std::string_view to_string(OrderBy o) noexcept { return o == OrderBy::kAsc ? "asc" : "desc"; }

std::string_view to_string(SelfMatch s) noexcept {
  switch (s) {
    case SelfMatch::kReduce: return "reduce";
    case SelfMatch::kCancelMaker: return "cancel_maker";
    case SelfMatch::kCancelTaker: return "cancel_taker";
    case SelfMatch::kNone: break;
  }
  return {};
}

}  // namespace detail

namespace {

constexpr std::size_t kMaxIdentifier = 64;
constexpr std::size_t kMaxCancelIds = 20;     // DELETE /v1/orders/uuids
constexpr std::size_t kMaxBatchPairs = 20;    // DELETE /v1/orders/open pairs / excluded_pairs
constexpr std::uint32_t kMaxBatchCount = 300; // DELETE /v1/orders/open count

// An order's shape, shared by POST /v1/orders and cancel_and_new (whose fields say new_...).
struct OrderSpec {
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;
  Decimal price, quantity, quote;
  bool best = false;
  bool reduce_only = false;
  SelfMatch self_match = SelfMatch::kNone;
  std::string_view identifier;
};

std::string key(std::string_view prefix, std::string_view name) {
  std::string k(prefix);
  k.append(name);
  return k;
}

// replace: a cancel_and_new order, whose zero volume means "remain_only".
Result<Unit, RequestError> add_order_fields(RestRequest& r, const OrderSpec& s, bool replace,
                                            std::string_view what) {
  const std::string_view p = replace ? "new_" : "";
  if (has_stop_price(s.type))
    return Unexpected{error(what, "order_type: Upbit takes no stop / take-profit orders over the API")};
  if (s.reduce_only) return Unexpected{error(what, "reduce_only: Upbit is spot only (no positions)")};
  if (s.price.is_negative() || s.quantity.is_negative() || s.quote.is_negative())
    return Unexpected{error(what, "price / quantity / quote_quantity: cannot be negative")};
  if (!s.identifier.empty() && !valid_identifier(s.identifier))
    return Unexpected{error(what, key(p, "identifier") + ": 1 to 64 letters, digits, '-' or '_'")};
  if (s.tif == TimeInForce::kPostOnly && s.self_match != SelfMatch::kNone)
    return Unexpected{error(what, "tif: post_only cannot go with smp_type (Upbit refuses both)")};
  const bool buy = s.side == Side::kBuy;
  const std::string_view tif = s.tif == TimeInForce::kIoc   ? "ioc"
                               : s.tif == TimeInForce::kFok ? "fok"
                               : s.tif == TimeInForce::kPostOnly ? "post_only"
                                                                 : "";
  if (s.type == OrderType::kLimit) {
    if (s.best) return Unexpected{error(what, "best: a best-price order is a market order at the best price")};
    if (!s.quote.is_zero()) return Unexpected{error(what, "quote_quantity: only a market or best buy spends a quote amount")};
    if (!s.price.is_positive()) return Unexpected{error(what, key(p, "price") + ": must be positive for a limit order")};
    if (!replace && !s.quantity.is_positive()) return Unexpected{error(what, "volume: must be positive")};
    r.add(key(p, "ord_type"), "limit");
    r.add(key(p, "price"), s.price);
    if (s.quantity.is_zero()) r.add(key(p, "volume"), "remain_only");
    else r.add(key(p, "volume"), s.quantity);
  } else {
    if (!s.price.is_zero())
      return Unexpected{error(what, "price: must be zero for a market order (a market buy's total is quote_quantity)")};
    if (s.best) {
      if (s.tif != TimeInForce::kIoc && s.tif != TimeInForce::kFok)
        return Unexpected{error(what, "tif: a best-price order takes ioc or fok")};
    } else if (s.tif != TimeInForce::kGtc) {
      return Unexpected{error(what, "tif: an Upbit market order takes no time in force (a best-price order takes ioc / fok)")};
    }
    if (buy) {
      if (!s.quantity.is_zero() || !s.quote.is_positive())
        return Unexpected{error(what, "quantity: a market buy on Upbit spends a quote amount (ord_type price): "
                                      "set quote_quantity to the total and leave quantity zero")};
      r.add(key(p, "ord_type"), s.best ? "best" : "price");
      r.add(key(p, "price"), s.quote);
    } else {
      if (!s.quote.is_zero()) return Unexpected{error(what, "quote_quantity: a market sell is sized by volume")};
      if (!replace && !s.quantity.is_positive()) return Unexpected{error(what, "volume: must be positive")};
      r.add(key(p, "ord_type"), s.best ? "best" : "market");
      if (s.quantity.is_zero()) r.add(key(p, "volume"), "remain_only");
      else r.add(key(p, "volume"), s.quantity);
    }
  }
  if (!tif.empty()) r.add(key(p, "time_in_force"), tif);
  if (s.self_match != SelfMatch::kNone) r.add(key(p, "smp_type"), detail::to_string(s.self_match));
  if (!s.identifier.empty()) r.add(key(p, "identifier"), s.identifier);
  return Unit{};
}

Result<Unit, RequestError> add_markets(RestRequest& r, std::string_view key_name,
                                       std::span<const std::string_view> markets, std::size_t max,
                                       std::string_view what) {
  if (markets.empty()) return Unit{};
  auto list = detail::market_list(markets, max, key_name, what);
  if (!list) return Unexpected{list.error()};
  r.add(key_name, *list);
  return Unit{};
}

}  // namespace

bool valid_identifier(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdentifier) return false;
  for (const char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  }
  return true;
}

Result<Unit, RequestError> check_market(std::string_view market, std::string_view field) {
  auto s = from_venue(ExchangeId::kUpbit, Market::kSpot, market);
  if (!s || market.find('-') != market.rfind('-'))
    return Unexpected{RequestError{std::string(field) + ": '" + std::string(market) + "' is not a market code (QUOTE-BASE, e.g. KRW-BTC)"}};
  return Unit{};
}

Req new_order(std::string_view market, const SubmitOrder& o, const OrderExtras& x) {
  constexpr std::string_view kWhat = "new_order";
  if (auto c = check_market(market, "market"); !c) return Unexpected{error(kWhat, c.error().message)};
  RestRequest r = make(HttpMethod::kPost, x.test ? "/v1/orders/test" : "/v1/orders", Security::kSigned, x.test ? 0 : 1);
  r.add("market", market);
  r.add("side", o.side == Side::kBuy ? "bid" : "ask");
  const OrderSpec s{o.side, o.order_type, o.tif, o.price, o.quantity, x.quote_quantity, x.best, o.reduce_only,
                    x.self_match, o.client_order_id.view()};
  if (!o.stop_price.is_zero() && !has_stop_price(o.order_type))
    return Unexpected{error(kWhat, "stop_price: Upbit takes no stop orders over the API")};
  if (auto f = add_order_fields(r, s, false, kWhat); !f) return Unexpected{f.error()};
  return r;
}

Req cancel_and_new(const ReplaceOrder& q) {
  constexpr std::string_view kWhat = "cancel_and_new";
  RestRequest r = make(HttpMethod::kPost, "/v1/orders/cancel_and_new", Security::kSigned, 1);
  if (auto a = detail::add_order_ref(r, q.prev, kWhat, "prev_order_uuid", "prev_order_identifier"); !a)
    return Unexpected{a.error()};
  if (!q.new_identifier.empty() && q.new_identifier == q.prev.identifier)
    return Unexpected{error(kWhat, "new_identifier: must differ from prev_order_identifier")};
  const OrderSpec s{q.side, q.order_type, q.tif, q.price, q.volume, q.quote_quantity, q.best, false,
                    q.self_match, q.new_identifier};
  if (auto f = add_order_fields(r, s, true, kWhat); !f) return Unexpected{f.error()};
  return r;
}

Req amend_order(const AmendOrder& a, Side side, std::string_view new_identifier) {
  if (a.client_order_id.empty()) return Unexpected{error("amend_order", "client_order_id: required")};
  if (!a.new_price.is_positive())
    return Unexpected{error("amend_order", "new_price: required (cancel_and_new keeps no old price)")};
  ReplaceOrder q;
  q.prev.identifier = a.client_order_id.view();
  q.side = side;
  q.price = a.new_price;
  q.volume = a.new_quantity;
  q.new_identifier = new_identifier;
  return cancel_and_new(q);
}

Req cancel_order(const OrderRef& ref) {
  RestRequest r = make(HttpMethod::kDelete, "/v1/order", Security::kSigned);
  if (auto a = detail::add_order_ref(r, ref, "cancel_order"); !a) return Unexpected{a.error()};
  return r;
}

Req cancel_order(const CancelOrder& c) { return cancel_order(OrderRef{{}, c.client_order_id.view()}); }

Req cancel_orders(std::span<const std::string_view> uuids, std::span<const std::string_view> identifiers) {
  RestRequest r = make(HttpMethod::kDelete, "/v1/orders/uuids", Security::kSigned);
  if (auto a = detail::add_id_lists(r, uuids, identifiers, kMaxCancelIds, "cancel_orders"); !a)
    return Unexpected{a.error()};
  return r;
}

Req cancel_open_orders(const BatchCancel& b) {
  constexpr std::string_view kWhat = "cancel_open_orders";
  if (!b.pairs.empty() && !b.quote_currencies.empty())
    return Unexpected{error(kWhat, "pairs / quote_currencies: one of them, not both")};
  if (b.count > kMaxBatchCount) return Unexpected{error(kWhat, "count: at most 300")};
  RestRequest r = make(HttpMethod::kDelete, "/v1/orders/open", Security::kSigned);
  if (b.side != CancelSide::kAll) r.add("cancel_side", b.side == CancelSide::kBid ? "bid" : "ask");
  if (auto a = add_markets(r, "pairs", b.pairs, kMaxBatchPairs, kWhat); !a) return Unexpected{a.error()};
  if (auto a = add_markets(r, "excluded_pairs", b.excluded_pairs, kMaxBatchPairs, kWhat); !a)
    return Unexpected{a.error()};
  if (!b.quote_currencies.empty()) {
    std::string list;
    for (std::size_t i = 0; i < b.quote_currencies.size(); ++i) {
      const std::string_view q = b.quote_currencies[i];
      bool ok = !q.empty();
      for (const char c : q) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
      if (!ok) return Unexpected{error(kWhat, "quote_currencies[" + std::to_string(i) + "]: not a currency code")};
      if (i > 0) list.push_back(',');
      list.append(q);
    }
    r.add("quote_currencies", list);
  }
  if (b.count != 0) r.add_int("count", b.count);
  if (b.order_by != OrderBy::kDefault) r.add("order_by", detail::to_string(b.order_by));
  return r;
}

Req cancel_all(std::string_view market) {
  BatchCancel b;
  const std::array<std::string_view, 1> one{market};
  if (!market.empty()) b.pairs = one;
  b.count = kMaxBatchCount;
  return cancel_open_orders(b);
}

}  // namespace oms::upbit
