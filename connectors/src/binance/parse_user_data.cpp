// Binance user-data events: the event type "e" is found first (also inside a wrapper), then
// the message's fields are read in one pass with that kind's meaning.
#include <array>

#include "oms/connectors/binance/user_data.hpp"
#include "parse_detail.hpp"

namespace oms::binance {
namespace {

bool side(Ctx& ctx, od::value v, std::string_view field, Side& out) {
  std::string_view s;
  if (!ctx.text(v, field, s)) return false;
  if (s == "BUY") out = Side::kBuy;
  else if (s == "SELL") out = Side::kSell;
  else return ctx.fail(field, "expected BUY or SELL, got '" + std::string(s) + "'");
  return true;
}

bool execution_type(Ctx& ctx, od::value v, ExecutionType& out) {
  std::string_view s;
  if (!ctx.text(v, "x", s)) return false;
  static constexpr std::array<std::pair<std::string_view, ExecutionType>, 9> kTypes{{
      {"NEW", ExecutionType::kNew}, {"CANCELED", ExecutionType::kCanceled},
      {"REPLACED", ExecutionType::kReplaced}, {"REJECTED", ExecutionType::kRejected},
      {"TRADE", ExecutionType::kTrade}, {"EXPIRED", ExecutionType::kExpired},
      {"TRADE_PREVENTION", ExecutionType::kTradePrevention},
      {"AMENDMENT", ExecutionType::kAmendment}, {"CALCULATED", ExecutionType::kCalculated},
  }};
  for (const auto& [name, t] : kTypes)
    if (s == name) return out = t, true;
  return ctx.fail("x", "unknown execution type '" + std::string(s) + "'");
}

bool order_status(Ctx& ctx, od::value v, std::string_view field, FixedString<31>& text,
                  OrderStatus& out) {
  if (!ctx.text(v, field, text)) return false;
  const std::string_view s = text.view();
  static constexpr std::array<std::pair<std::string_view, OrderStatus>, 11> kStatuses{{
      {"NEW", OrderStatus::kAccepted}, {"PARTIALLY_FILLED", OrderStatus::kPartiallyFilled},
      {"FILLED", OrderStatus::kFilled}, {"CANCELED", OrderStatus::kCanceled},
      {"PENDING_CANCEL", OrderStatus::kPendingCancel}, {"REJECTED", OrderStatus::kRejected},
      {"EXPIRED", OrderStatus::kExpired}, {"EXPIRED_IN_MATCH", OrderStatus::kExpired},
      {"PENDING_NEW", OrderStatus::kSubmitted}, {"NEW_INSURANCE", OrderStatus::kAccepted},
      {"NEW_ADL", OrderStatus::kAccepted},
  }};
  for (const auto& [name, st] : kStatuses)
    if (s == name) return out = st, true;
  return ctx.fail(field, "unknown order status '" + std::string(s) + "'");
}

bool margin_type(Ctx& ctx, od::value v, std::string_view field, MarginType& out) {
  std::string_view s;
  if (!ctx.text(v, field, s)) return false;
  if (s == "cross" || s == "CROSSED" || s == "crossed") out = MarginType::kCross;
  else if (s == "isolated" || s == "ISOLATED") out = MarginType::kIsolated;
  else return ctx.fail(field, "unknown margin type '" + std::string(s) + "'");
  return true;
}

bool position_side(Ctx& ctx, od::value v, std::string_view field, PositionSide& out) {
  std::string_view s;
  if (!ctx.text(v, field, s)) return false;
  if (s == "BOTH") out = PositionSide::kBoth;
  else if (s == "LONG") out = PositionSide::kLong;
  else if (s == "SHORT") out = PositionSide::kShort;
  else return ctx.fail(field, "unknown position side '" + std::string(s) + "'");
  return true;
}

// ---- order updates -------------------------------------------------------------------------
constexpr std::string_view kOrderRequired[] = {"s", "c", "S", "o", "q", "p", "x", "X",
                                               "i", "l", "z", "L"};

// One field of an executionReport / ORDER_TRADE_UPDATE.o; seen gets kOrderRequired bits.
bool order_field(Ctx& ctx, std::string_view k, od::value v, OrderUpdate& o, std::uint64_t& seen) {
  const auto req = [&](std::size_t i) { seen |= std::uint64_t{1} << i; };
  if (k.size() == 1) {
    switch (k[0]) {
      case 's': req(0); return ctx.text(v, "s", o.symbol);
      case 'c': req(1); return ctx.text(v, "c", o.client_order_id);
      case 'S': req(2); return side(ctx, v, "S", o.side);
      case 'o': req(3); return ctx.text(v, "o", o.order_type);
      case 'q': req(4); return ctx.dec(v, "q", o.quantity);
      case 'p': req(5); return ctx.dec(v, "p", o.price);
      case 'x': req(6); return execution_type(ctx, v, o.execution_type);
      case 'X': req(7); return order_status(ctx, v, "X", o.venue_status, o.status);
      case 'i': req(8); return ctx.u64(v, "i", o.order_id);
      case 'l': req(9); return ctx.dec(v, "l", o.last_qty);
      case 'z': req(10); return ctx.dec(v, "z", o.cum_qty);
      case 'L': req(11); return ctx.dec(v, "L", o.last_price);
      case 'f': return ctx.text(v, "f", o.time_in_force);
      case 'P': return ctx.opt_dec(v, "P", o.stop_price);
      case 'C': return ctx.text_or_null(v, "C", o.orig_client_order_id);
      case 'r': return ctx.text(v, "r", o.reject_reason);
      case 'n': return ctx.opt_dec(v, "n", o.commission);
      case 'N': return ctx.text_or_null(v, "N", o.commission_asset);
      case 'T': return ctx.u64(v, "T", o.transaction_time);
      case 't': return ctx.i64(v, "t", o.trade_id);
      case 'm': return ctx.boolean(v, "m", o.is_maker);
      case 'Z': return ctx.opt_dec(v, "Z", o.cum_quote);
      case 'R': return ctx.boolean(v, "R", o.reduce_only);
      default: return true;
    }
  }
  if (k == "sp") return ctx.opt_dec(v, k, o.stop_price);
  if (k == "ap") return ctx.opt_dec(v, k, o.avg_price);
  if (k == "rp") return ctx.opt_dec(v, k, o.realized_pnl);
  if (k == "ps") return ctx.text(v, k, o.position_side);
  return true;
}

bool execution_report(Ctx& ctx, od::object obj, OrderUpdate& o) {
  o = OrderUpdate{};
  std::uint64_t seen = 0;
  bool has_time = false;
  const bool ok = for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
    if (k == "E") return has_time = true, ctx.u64(v, "E", o.event_time);
    return order_field(ctx, k, v, o, seen);
  });
  if (!ok) return false;
  if (!has_time) return ctx.missing("E");
  return check_required(ctx, seen, kOrderRequired);
}

bool order_trade_update(Ctx& ctx, od::object obj, OrderUpdate& o) {
  o = OrderUpdate{};
  o.futures = true;
  o.trade_id = 0;
  std::uint64_t seen = 0;
  bool has_time = false, has_order = false;
  std::uint64_t top_tx_time = 0;
  const bool ok = for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
    if (k == "E") return has_time = true, ctx.u64(v, "E", o.event_time);
    if (k == "T") return ctx.u64(v, "T", top_tx_time);
    if (k != "o") return true;
    has_order = true;
    od::object inner;
    if (!as_object(ctx, v, "o", inner)) return false;
    ctx.set_prefix("o.");  // errors name "ORDER_TRADE_UPDATE.o.X"
    const bool inner_ok = for_each_field(ctx, inner, "", [&](std::string_view ik, od::value iv) {
      return order_field(ctx, ik, iv, o, seen);
    });
    ctx.set_prefix("");
    return inner_ok;
  });
  if (!ok) return false;
  if (!has_time) return ctx.missing("E");
  if (!has_order) return ctx.missing("o");
  if (o.transaction_time == 0) o.transaction_time = top_tx_time;
  return check_required(ctx, seen, kOrderRequired, "o.");
}

// ---- balances and lists --------------------------------------------------------------------
bool account_position(Ctx& ctx, od::object obj, AccountPosition& p) {
  p.event_time = p.last_update_time = 0;
  p.balances.clear();
  bool has_b = false, has_e = false;
  const bool ok = for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
    if (k == "E") return has_e = true, ctx.u64(v, "E", p.event_time);
    if (k == "u") return ctx.u64(v, "u", p.last_update_time);
    if (k != "B") return true;
    has_b = true;
    od::array arr;
    if (!as_array(ctx, v, "B", arr)) return false;
    return for_each_element(ctx, arr, "B", [&](std::size_t i, od::value item) {
      const std::string where = indexed("B", i);
      od::object o;
      if (!as_object(ctx, item, where, o)) return false;
      AssetBalance b;
      std::uint64_t seen = 0;
      if (!for_each_field(ctx, o, where, [&](std::string_view bk, od::value bv) {
            if (bk == "a") return seen |= 1, ctx.text(bv, where + ".a", b.asset);
            if (bk == "f") return seen |= 2, ctx.dec(bv, where + ".f", b.free);
            if (bk == "l") return seen |= 4, ctx.dec(bv, where + ".l", b.locked);
            return true;
          }))
        return false;
      constexpr std::string_view kNames[] = {"a", "f", "l"};
      if (!check_required(ctx, seen, kNames, where + ".")) return false;
      p.balances.push_back(b);
      return true;
    });
  });
  if (!ok) return false;
  if (!has_e) return ctx.missing("E");
  if (!has_b) return ctx.missing("B");
  return true;
}

bool balance_update(Ctx& ctx, od::object obj, BalanceDelta& b) {
  b = BalanceDelta{};
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
        if (k == "E") return seen |= 1, ctx.u64(v, "E", b.event_time);
        if (k == "a") return seen |= 2, ctx.text(v, "a", b.asset);
        if (k == "d") return seen |= 4, ctx.dec(v, "d", b.delta);
        if (k == "T") return ctx.u64(v, "T", b.clear_time);
        return true;
      }))
    return false;
  constexpr std::string_view kNames[] = {"E", "a", "d"};
  return check_required(ctx, seen, kNames);
}

bool list_status(Ctx& ctx, od::object obj, ListStatus& l) {
  l.orders.clear();
  l.symbol = {};
  l.reject_reason = {};
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
        if (k == "E") return seen |= 1, ctx.u64(v, "E", l.event_time);
        if (k == "s") return seen |= 2, ctx.text(v, "s", l.symbol);
        if (k == "g") return seen |= 4, ctx.i64(v, "g", l.order_list_id);
        if (k == "c") return seen |= 8, ctx.text(v, "c", l.contingency_type);
        if (k == "l") return seen |= 16, ctx.text(v, "l", l.list_status_type);
        if (k == "L") return seen |= 32, ctx.text(v, "L", l.list_order_status);
        if (k == "C") return seen |= 64, ctx.text(v, "C", l.list_client_order_id);
        if (k == "r") return ctx.text(v, "r", l.reject_reason);
        if (k == "T") return ctx.u64(v, "T", l.transaction_time);
        if (k != "O") return true;
        seen |= 128;
        od::array arr;
        if (!as_array(ctx, v, "O", arr)) return false;
        return for_each_element(ctx, arr, "O", [&](std::size_t i, od::value item) {
          const std::string where = indexed("O", i);
          od::object o;
          if (!as_object(ctx, item, where, o)) return false;
          ListOrder lo;
          std::uint64_t s = 0;
          if (!for_each_field(ctx, o, where, [&](std::string_view ok, od::value ov) {
                if (ok == "s") return s |= 1, ctx.text(ov, where + ".s", lo.symbol);
                if (ok == "i") return s |= 2, ctx.u64(ov, where + ".i", lo.order_id);
                if (ok == "c") return s |= 4, ctx.text(ov, where + ".c", lo.client_order_id);
                return true;
              }))
            return false;
          constexpr std::string_view kNames[] = {"s", "i", "c"};
          if (!check_required(ctx, s, kNames, where + ".")) return false;
          l.orders.push_back(lo);
          return true;
        });
      }))
    return false;
  constexpr std::string_view kNames[] = {"E", "s", "g", "c", "l", "L", "C", "O"};
  return check_required(ctx, seen, kNames);
}

}  // namespace

// Futures account events live in parse_user_data_futures.cpp.
bool parse_account_update(Ctx& ctx, od::object obj, AccountUpdate& u);
bool parse_trade_lite(Ctx& ctx, od::object obj, TradeLite& t);
bool parse_margin_call(Ctx& ctx, od::object obj, MarginCall& m);
bool parse_listen_key_expired(Ctx& ctx, od::object obj, ListenKeyExpired& l);

bool parse_side(Ctx& ctx, od::value v, std::string_view field, Side& out) {
  return side(ctx, v, field, out);
}
bool parse_margin_type(Ctx& ctx, od::value v, std::string_view field, MarginType& out) {
  return margin_type(ctx, v, field, out);
}
bool parse_position_side(Ctx& ctx, od::value v, std::string_view field, PositionSide& out) {
  return position_side(ctx, v, field, out);
}
bool parse_order_status(Ctx& ctx, od::value v, std::string_view field, FixedString<31>& text,
                        OrderStatus& out) {
  return order_status(ctx, v, field, text, out);
}

const char* to_string(ExecutionType t) noexcept {
  switch (t) {
    case ExecutionType::kNew: return "NEW";
    case ExecutionType::kCanceled: return "CANCELED";
    case ExecutionType::kReplaced: return "REPLACED";
    case ExecutionType::kRejected: return "REJECTED";
    case ExecutionType::kTrade: return "TRADE";
    case ExecutionType::kExpired: return "EXPIRED";
    case ExecutionType::kTradePrevention: return "TRADE_PREVENTION";
    case ExecutionType::kAmendment: return "AMENDMENT";
    case ExecutionType::kCalculated: return "CALCULATED";
  }
  return "?";
}

Result<UserDataKind, ParseError> parse_user_data(JsonParser& parser, std::string_view json,
                                                UserDataMessage& out) {
  Ctx ctx("user data");
  const auto failed = [&]() -> Result<UserDataKind, ParseError> {
    return Unexpected{std::move(ctx).error()};
  };
  od::document doc;
  if (auto e = parser.impl().load(json, doc)) return ctx.json_fail("", e), failed();
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) ctx.fail("", "expected a JSON object");
    else ctx.json_fail("", e);
    return failed();
  }
  // Find "e", looking inside {"subscriptionId":..,"event":{..}} / {"stream":..,"data":{..}}.
  std::string_view e;
  auto err = obj.find_field_unordered("e").get_string().get(e);
  if (err == simdjson::NO_SUCH_FIELD) {
    od::object inner;
    auto found = obj.find_field_unordered("event").get_object().get(inner);
    if (found == simdjson::NO_SUCH_FIELD) {
      found = obj.find_field_unordered("data").get_object().get(inner);
    }
    if (found == simdjson::NO_SUCH_FIELD) return ctx.missing("e"), failed();
    if (found) return ctx.json_fail("event", found), failed();
    obj = inner;
    err = obj.find_field_unordered("e").get_string().get(e);
  }
  if (err == simdjson::NO_SUCH_FIELD) return ctx.missing("e"), failed();
  if (err == simdjson::INCORRECT_TYPE) return ctx.fail("e", "expected a string"), failed();
  if (err) return ctx.json_fail("e", err), failed();
  if (!out.event.assign(e)) return ctx.fail("e", "unknown event type (too long)"), failed();
  if (auto r = obj.reset(); r.error()) return ctx.json_fail("", r.error()), failed();
  ctx.set_kind(out.event.view());

  const std::string_view kind = out.event.view();
  bool ok = true;
  UserDataKind k = UserDataKind::kOther;
  if (kind == "executionReport") {
    k = UserDataKind::kExecutionReport;
    ok = execution_report(ctx, obj, out.order);
  } else if (kind == "ORDER_TRADE_UPDATE") {
    k = UserDataKind::kOrderTradeUpdate;
    ok = order_trade_update(ctx, obj, out.order);
  } else if (kind == "outboundAccountPosition") {
    k = UserDataKind::kAccountPosition;
    ok = account_position(ctx, obj, out.account_position);
  } else if (kind == "balanceUpdate") {
    k = UserDataKind::kBalanceUpdate;
    ok = balance_update(ctx, obj, out.balance_delta);
  } else if (kind == "listStatus") {
    k = UserDataKind::kListStatus;
    ok = list_status(ctx, obj, out.list_status);
  } else if (kind == "ACCOUNT_UPDATE") {
    k = UserDataKind::kAccountUpdate;
    ok = parse_account_update(ctx, obj, out.account_update);
  } else if (kind == "TRADE_LITE") {
    k = UserDataKind::kTradeLite;
    ok = parse_trade_lite(ctx, obj, out.trade_lite);
  } else if (kind == "MARGIN_CALL") {
    k = UserDataKind::kMarginCall;
    ok = parse_margin_call(ctx, obj, out.margin_call);
  } else if (kind == "listenKeyExpired") {
    k = UserDataKind::kListenKeyExpired;
    ok = parse_listen_key_expired(ctx, obj, out.listen_key_expired);
  } else {
    // Walk it anyway so malformed JSON is still an error.
    ok = for_each_field(ctx, obj, "", [](std::string_view, od::value) { return true; });
  }
  if (!ok) return failed();
  out.kind = k;
  return k;
}

}  // namespace oms::binance
