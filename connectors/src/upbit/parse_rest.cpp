// Upbit REST answers -> our events (private_data.hpp): simdjson DOM through the shared item
// reader (json_dom.hpp); decimals are strings here.
#include <simdjson.h>

#include <array>
#include <optional>

#include "../json_dom.hpp"
#include "figures.hpp"
#include "oms/connectors/upbit/private_data.hpp"

namespace oms::upbit {
namespace {

using venue::dom::array;
using venue::dom::as_array;
using venue::dom::as_object;
using venue::dom::element;
using venue::dom::Fail;
using venue::dom::Item;
using venue::dom::object;

struct ErrorCode {
  std::string_view name;
  std::int32_t code;
};
// Upbit's documented error names (docs.upbit.com: REST API 사용 및 에러 안내, 주문 생성's 400 / 403
// examples), grouped by the HTTP status they come with. Append only: the numbers are stable.
// clang-format off
constexpr ErrorCode kErrorCodes[] = {
  {"create_ask_error", 40001},       {"create_bid_error", 40002},
  {"insufficient_funds_ask", 40003}, {"insufficient_funds_bid", 40004},
  {"under_min_total_ask", 40005},    {"under_min_total_bid", 40006},
  {"withdraw_address_not_registered", 40007}, {"validation_error", 40008},
  {"invalid_parameter", 40009},      {"invalid_time_in_force", 40010},
  {"invalid_price_ask", 40011},      {"invalid_price_bid", 40012},
  {"over_krw_funds_ask", 40013},     {"over_krw_funds_bid", 40014},
  {"notfoundmarket", 40015},         {"invalid_volume_ask", 40016},
  {"invalid_volume_bid", 40017},
  {"invalid_query_payload", 40101},  {"jwt_verification", 40102},
  {"expired_access_key", 40103},     {"nonce_used", 40104},
  {"no_authorization_i_p", 40105},   {"out_of_scope", 40106},
  {"market_offline", 40301},
  {"order_not_found", 40401},
};
// clang-format on

Decimal rounded(const Item& it, std::string_view field, Rounding mode, std::vector<std::string>& notes,
                bool required = true) {
  const std::string text = it.text(field, required);
  if (text.empty()) {
    if (required) throw Fail{it.where() + "." + std::string(field) + ": empty"};
    return Decimal{};
  }
  bool cut = false;
  const auto d = detail::round_text(text, mode, cut);
  if (!d) throw Fail{it.where() + "." + std::string(field) + ": not a decimal that fits '" + text + "'"};
  if (cut)
    notes.push_back(it.where() + "." + std::string(field) + ": '" + text + "' rounded to " + d->to_string() +
                    " (more than 9 decimals)");
  return *d;
}

// The body: an answer, or the venue's {"error":{name, message}} as a refusal.
struct Answer {
  simdjson::dom::parser parser;
  simdjson::padded_string padded;
  element doc;
};
Result<Unit, RestError> open(Answer& a, std::string_view body, std::string_view what) {
  a.padded = simdjson::padded_string(body);
  if (auto e = a.parser.parse(a.padded).get(a.doc); e != simdjson::SUCCESS)
    return Unexpected{RestError{false, {}, std::string(what) + ": malformed JSON: " + simdjson::error_message(e)}};
  object err;
  if (a.doc["error"].get_object().get(err) == simdjson::SUCCESS) {
    std::string_view name, message;
    if (err["name"].get_string().get(name) != simdjson::SUCCESS)
      return Unexpected{RestError{false, {}, std::string(what) + ".error.name: missing"}};
    if (err["message"].get_string().get(message) != simdjson::SUCCESS) message = "";
    VenueRefusal r{code_of(name), std::string(name), std::string(message)};
    std::string text = std::string(what) + ": " + r.name + " (" + std::to_string(r.code) + "): " + r.message;
    return Unexpected{RestError{true, std::move(r), std::move(text)}};
  }
  return Unit{};
}

RestError rest_fail(const Fail& f) { return RestError{false, {}, f.message}; }

Side side_of(const Item& it) {
  const std::string s = it.text("side");
  if (s == "bid") return Side::kBuy;
  if (s == "ask") return Side::kSell;
  throw Fail{it.where() + ".side: '" + s + "' is not bid or ask"};
}

ClientOrderIdText client_id(const Item& it) {
  ClientOrderIdText id;
  if (!id.assign(it.text("identifier", false))) throw Fail{it.where() + ".identifier: longer than a client order id"};
  return id;
}

// The order's status; cancel as in private_data.hpp (the user's for a limit order without
// ioc / fok).
OrderStatus status_of(const Item& it, Decimal cum) {
  const std::string s = it.text("state");
  if (s == "wait" || s == "watch") return cum.is_positive() ? OrderStatus::kPartiallyFilled : OrderStatus::kAccepted;
  if (s == "done") return OrderStatus::kFilled;
  if (s == "prevented") return OrderStatus::kExpired;
  if (s == "cancel") {
    const std::string type = it.text("ord_type", false), tif = it.text("time_in_force", false);
    const bool user = (type == "limit" || type.empty()) && tif != "ioc" && tif != "fok";
    return user ? OrderStatus::kCanceled : OrderStatus::kExpired;
  }
  throw Fail{it.where() + ".state: '" + s + "' is not wait, watch, done, cancel or prevented"};
}

const Instrument* instrument_of(const Item& it, const AccountContext& ctx, std::vector<std::string>& skipped) {
  const std::string market = it.text("market");
  const Instrument* inst = ctx.find ? ctx.find(market) : nullptr;
  if (inst == nullptr) skipped.push_back(it.where() + ": market " + market + " is not a configured instrument");
  return inst;
}

struct Trade {
  Decimal price, volume, funds;
  std::string uuid;
  TimeNs at = 0;
};

std::vector<Trade> trades_of(object order, const std::string& where) {
  std::vector<Trade> out;
  array arr;
  if (order["trades"].get_array().get(arr) != simdjson::SUCCESS) return out;
  std::size_t i = 0;
  for (element e : arr) {
    const std::string at = where + ".trades[" + std::to_string(i++) + "]";
    const Item t(as_object(e, at), at);
    Trade tr;
    tr.uuid = t.text("uuid");
    tr.price = t.decimal("price");
    tr.volume = t.decimal("volume");
    if (!tr.volume.is_positive()) throw Fail{at + ".volume: not positive"};
    tr.funds = t.decimal("funds");
    const std::string created = t.text("created_at", false);
    if (!created.empty()) {
      const auto ns = detail::iso_time(created);
      if (!ns) throw Fail{at + ".created_at: not an ISO time '" + created + "'"};
      tr.at = *ns;
    }
    out.push_back(std::move(tr));
  }
  return out;
}

Decimal sub(Decimal a, Decimal b, const std::string& what) {
  const auto r = a.sub(b);
  if (!r) throw Fail{what + ": " + to_string(r.error())};
  return *r;
}

// avg = sum(funds) / sum(volume) of the trades, else executed_funds / executed_volume; rounded
// to the nearest (noted).
Decimal average(const Item& it, const std::vector<Trade>& trades, Decimal cum, std::vector<std::string>& notes) {
  Decimal funds, volume;
  if (!trades.empty()) {
    for (const auto& t : trades) {
      const auto f = funds.add(t.funds);
      const auto v = volume.add(t.volume);
      if (!f || !v) throw Fail{it.where() + ".trades: sum overflows"};
      funds = *f;
      volume = *v;
    }
  } else if (!it.text("executed_funds", false).empty() && cum.is_positive()) {
    funds = rounded(it, "executed_funds", Rounding::kHalfEven, notes);
    volume = cum;
  } else {
    return Decimal{};
  }
  if (!volume.is_positive()) return Decimal{};
  const auto exact = funds.div(volume, Rounding::kExact);
  if (exact) return *exact;
  const auto near = funds.div(volume, Rounding::kHalfEven);
  if (!near) throw Fail{it.where() + ": average price: " + to_string(near.error())};
  notes.push_back(it.where() + ": average price " + funds.to_string() + " / " + volume.to_string() +
                  " rounded to " + near->to_string());
  return *near;
}

OrderStatusReconciled reconciled_of(const Item& it, const Instrument& inst, const AccountContext& ctx,
                                    const std::vector<Trade>& trades, std::vector<std::string>& notes) {
  OrderStatusReconciled r;
  r.account = ctx.account;
  r.instrument = inst.id;
  r.client_order_id = client_id(it);
  if (!r.venue_order_id.assign(it.text("uuid"))) throw Fail{it.where() + ".uuid: too long"};
  r.cum_qty = it.decimal("executed_volume", false);
  r.status = status_of(it, r.cum_qty);
  r.avg_price = average(it, trades, r.cum_qty, notes);
  return r;
}

}  // namespace

std::int32_t code_of(std::string_view name) noexcept {
  for (const auto& e : kErrorCodes)
    if (e.name == name) return e.code;
  return -1;
}

ReasonText reason_of(const VenueRefusal& r) {
  std::string text = r.name;
  if (!r.message.empty()) text += ": " + r.message;
  std::size_t n = std::min(text.size(), ReasonText::kCapacity);
  // Back off to a UTF-8 boundary: never cut a character in two.
  while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) --n;
  ReasonText out;
  (void)out.assign(std::string_view(text).substr(0, n));
  return out;
}

Result<OrderAck, RestError> parse_order_ack(std::string_view body) {
  Answer a;
  if (auto o = open(a, body, "order"); !o) return Unexpected{o.error()};
  try {
    const Item it(as_object(a.doc, "order"), "order");
    OrderAck ack{it.text("uuid"), it.text("identifier", false), it.text("state"), it.text("market")};
    if (ack.uuid.empty()) throw Fail{"order.uuid: empty"};
    return ack;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<BatchCancelAnswer, RestError> parse_batch_cancel(std::string_view body) {
  Answer a;
  if (auto o = open(a, body, "batch cancel"); !o) return Unexpected{o.error()};
  try {
    const object root = as_object(a.doc, "batch cancel");
    BatchCancelAnswer out;
    for (const char* part : {"success", "failed"}) {
      const bool failed = std::string_view(part) == "failed";
      element e;
      if (root[part].get(e) != simdjson::SUCCESS) {
        if (failed) continue;  // nothing failed
        throw Fail{std::string("batch cancel.") + part + ": missing"};
      }
      const std::string where = std::string("batch cancel.") + part;
      const object o = as_object(e, where);
      std::size_t i = 0;
      auto& list = failed ? out.failed : out.canceled;
      for (element item : as_array(o, "orders", where)) {
        const std::string at = where + ".orders[" + std::to_string(i++) + "]";
        const Item it(as_object(item, at), at);
        OrderAck ack{it.text("uuid"), it.text("identifier", false), {}, it.text("market", false)};
        if (failed) {
          const std::string code = it.text("error_code", false), msg = it.text("error_message", false);
          ack.state = code.empty() ? msg : msg.empty() ? code : code + " " + msg;
        }
        list.push_back(std::move(ack));
      }
      const std::int64_t count = Item(o, where).integer("count", -1);
      if (count >= 0 && static_cast<std::size_t>(count) != list.size())
        throw Fail{where + ".count: " + std::to_string(count) + " but " + std::to_string(list.size()) + " orders"};
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<OrderAnswer, RestError> parse_order(std::string_view body, const AccountContext& ctx) {
  Answer a;
  if (auto o = open(a, body, "order"); !o) return Unexpected{o.error()};
  try {
    const object obj = as_object(a.doc, "order");
    const Item it(obj, "order");
    OrderAnswer out;
    std::vector<std::string> skipped;
    const Instrument* inst = instrument_of(it, ctx, skipped);
    if (inst == nullptr) throw Fail{skipped.front()};
    const std::vector<Trade> trades = trades_of(obj, "order");
    out.order = reconciled_of(it, *inst, ctx, trades, out.notes);
    // The order's paid_fee over its trades, pro rata by funds; the last takes the remainder.
    const Decimal paid = rounded(it, "paid_fee", Rounding::kUp, out.notes, false);
    Decimal funds_total, fee_left = paid;
    for (const auto& t : trades) {
      const auto sum = funds_total.add(t.funds);
      if (!sum) throw Fail{"order.trades: funds overflow"};
      funds_total = *sum;
    }
    const Side side = side_of(it);
    const std::string quote(detail::quote_of(it.text("market")));
    for (std::size_t i = 0; i < trades.size(); ++i) {
      const Trade& t = trades[i];
      FillReceived f;
      f.account = ctx.account;
      f.instrument = inst->id;
      f.client_order_id = out.order.client_order_id;
      if (!f.trade_id.assign(t.uuid)) throw Fail{"order.trades[" + std::to_string(i) + "].uuid: too long"};
      f.side = side;
      f.price = t.price;
      f.quantity = t.volume;
      if (i + 1 == trades.size() || !funds_total.is_positive()) {
        f.fee = i + 1 == trades.size() ? fee_left : Decimal{};
      } else {
        // paid x funds / total funds: one exact product (checked), one rounding; the share is
        // below paid.
        Int128 product = 0, share = 0;
        if (__builtin_mul_overflow(paid.raw(), t.funds.raw(), &product) ||
            !round_quotient(product, funds_total.raw(), Rounding::kHalfEven, share))
          throw Fail{"order.paid_fee: cannot split over the trades (beyond 128 bits)"};
        f.fee = Decimal::from_raw(share);
      }
      fee_left = sub(fee_left, f.fee, "order.paid_fee");
      if (!f.fee_asset.assign(quote) || f.fee_asset.empty()) throw Fail{"order.market: no quote currency"};
      f.liquidity = Liquidity::kTaker;  // not given by the REST answer
      out.fills.push_back(VenueEvent{t.at, out.order.venue_order_id.str(), f});
    }
    if (trades.size() > 1) out.notes.push_back("order: paid_fee " + paid.to_string() + " split over " +
                                               std::to_string(trades.size()) + " trades pro rata by funds");
    if (!trades.empty()) out.notes.push_back("order: trades' maker / taker not given, taker assumed");
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<OrdersPage, RestError> parse_orders(std::string_view body, const AccountContext& ctx) {
  Answer a;
  if (auto o = open(a, body, "orders"); !o) return Unexpected{o.error()};
  try {
    array arr;
    if (a.doc.get_array().get(arr) != simdjson::SUCCESS) throw Fail{"orders: expected an array"};
    OrdersPage page;
    for (element e : arr) {
      const std::string at = "orders[" + std::to_string(page.count++) + "]";
      const object obj = as_object(e, at);
      const Item it(obj, at);
      const Instrument* inst = instrument_of(it, ctx, page.skipped);
      if (inst == nullptr) continue;
      page.orders.push_back(reconciled_of(it, *inst, ctx, trades_of(obj, at), page.notes));
    }
    return page;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<BalancesAnswer, RestError> parse_accounts(std::string_view body, const AccountContext& ctx) {
  Answer a;
  if (auto o = open(a, body, "accounts"); !o) return Unexpected{o.error()};
  try {
    array arr;
    if (a.doc.get_array().get(arr) != simdjson::SUCCESS) throw Fail{"accounts: expected an array"};
    BalancesAnswer out;
    std::size_t i = 0;
    for (element e : arr) {
      const std::string at = "accounts[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      BalanceUpdated b;
      b.account = ctx.account;
      b.exchange = ExchangeId::kUpbit;
      b.market = Market::kSpot;
      if (!b.asset.assign(it.text("currency"))) throw Fail{at + ".currency: too long"};
      b.free = rounded(it, "balance", Rounding::kDown, out.notes);
      b.locked = rounded(it, "locked", Rounding::kUp, out.notes);
      out.balances.push_back(b);
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<FeeRates, RestError> parse_chance_fees(std::string_view body) {
  Answer a;
  if (auto o = open(a, body, "orders/chance"); !o) return Unexpected{o.error()};
  try {
    object root;
    if (a.doc.get_object().get(root) != simdjson::SUCCESS) throw Fail{"orders/chance: expected an object"};
    const Item it(root, "orders/chance");
    const Decimal taker = it.decimal("bid_fee");
    const Decimal maker = it.decimal("maker_bid_fee", false);
    return FeeRates{maker.is_zero() ? taker : maker, taker};
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

}  // namespace oms::upbit
