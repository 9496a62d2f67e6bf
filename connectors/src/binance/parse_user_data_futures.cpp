// Binance USD-M / COIN-M account events (ACCOUNT_UPDATE, TRADE_LITE, MARGIN_CALL,
// listenKeyExpired) and the mapping of user-data messages into our events.
#include <cstdio>

#include "oms/connectors/binance/user_data.hpp"
#include "parse_detail.hpp"

namespace oms::binance {

bool parse_account_update(Ctx& ctx, od::object obj, AccountUpdate& u) {
  u.balances.clear();
  u.positions.clear();
  u.reason = {};
  u.event_time = u.transaction_time = 0;
  bool has_e = false, has_a = false;
  const bool ok = for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
    if (k == "E") return has_e = true, ctx.u64(v, "E", u.event_time);
    if (k == "T") return ctx.u64(v, "T", u.transaction_time);
    if (k != "a") return true;
    has_a = true;
    od::object a;
    if (!as_object(ctx, v, "a", a)) return false;
    bool has_b = false, has_p = false;
    const bool a_ok = for_each_field(ctx, a, "a", [&](std::string_view ak, od::value av) {
      if (ak == "m") return ctx.text(av, "a.m", u.reason);
      if (ak == "B") {
        has_b = true;
        od::array arr;
        if (!as_array(ctx, av, "a.B", arr)) return false;
        return for_each_element(ctx, arr, "a.B", [&](std::size_t i, od::value item) {
          const std::string where = indexed("a.B", i);
          od::object o;
          if (!as_object(ctx, item, where, o)) return false;
          FuturesBalanceChange b;
          std::uint64_t seen = 0;
          if (!for_each_field(ctx, o, where, [&](std::string_view bk, od::value bv) {
                if (bk == "a") return seen |= 1, ctx.text(bv, where + ".a", b.asset);
                if (bk == "wb") return seen |= 2, ctx.dec(bv, where + ".wb", b.wallet_balance);
                if (bk == "cw") return seen |= 4, ctx.dec(bv, where + ".cw", b.cross_wallet_balance);
                if (bk == "bc") return ctx.dec(bv, where + ".bc", b.balance_change);
                return true;
              }))
            return false;
          constexpr std::string_view kNames[] = {"a", "wb", "cw"};
          if (!check_required(ctx, seen, kNames, where + ".")) return false;
          u.balances.push_back(b);
          return true;
        });
      }
      if (ak == "P") {
        has_p = true;
        od::array arr;
        if (!as_array(ctx, av, "a.P", arr)) return false;
        return for_each_element(ctx, arr, "a.P", [&](std::size_t i, od::value item) {
          const std::string where = indexed("a.P", i);
          od::object o;
          if (!as_object(ctx, item, where, o)) return false;
          FuturesPosition p;
          std::uint64_t seen = 0;
          if (!for_each_field(ctx, o, where, [&](std::string_view pk, od::value pv) {
                const std::string f = where + "." + std::string(pk);
                if (pk == "s") return seen |= 1, ctx.text(pv, f, p.symbol);
                if (pk == "pa") return seen |= 2, ctx.dec(pv, f, p.amount);
                if (pk == "ep") return seen |= 4, ctx.dec(pv, f, p.entry_price);
                if (pk == "ps") return seen |= 8, parse_position_side(ctx, pv, f, p.position_side);
                if (pk == "bep") return ctx.dec(pv, f, p.breakeven_price);
                if (pk == "cr") return ctx.dec(pv, f, p.realized_pnl);
                if (pk == "up") return ctx.dec(pv, f, p.unrealized_pnl);
                if (pk == "mt") return parse_margin_type(ctx, pv, f, p.margin_type);
                if (pk == "iw") return ctx.dec(pv, f, p.isolated_wallet);
                return true;
              }))
            return false;
          constexpr std::string_view kNames[] = {"s", "pa", "ep", "ps"};
          if (!check_required(ctx, seen, kNames, where + ".")) return false;
          u.positions.push_back(p);
          return true;
        });
      }
      return true;
    });
    if (!a_ok) return false;
    if (!has_b) return ctx.missing("a.B");
    if (!has_p) return ctx.missing("a.P");
    return true;
  });
  if (!ok) return false;
  if (!has_e) return ctx.missing("E");
  if (!has_a) return ctx.missing("a");
  return true;
}

bool parse_trade_lite(Ctx& ctx, od::object obj, TradeLite& t) {
  t = TradeLite{};
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
        if (k.size() != 1) return true;
        switch (k[0]) {
          case 'E': seen |= 1; return ctx.u64(v, "E", t.event_time);
          case 's': seen |= 2; return ctx.text(v, "s", t.symbol);
          case 'c': seen |= 4; return ctx.text(v, "c", t.client_order_id);
          case 'S': seen |= 8; return parse_side(ctx, v, "S", t.side);
          case 'q': seen |= 16; return ctx.dec(v, "q", t.quantity);
          case 'p': seen |= 32; return ctx.dec(v, "p", t.price);
          case 'i': seen |= 64; return ctx.u64(v, "i", t.order_id);
          case 'l': seen |= 128; return ctx.dec(v, "l", t.last_qty);
          case 'L': seen |= 256; return ctx.dec(v, "L", t.last_price);
          case 't': seen |= 512; return ctx.i64(v, "t", t.trade_id);
          case 'm': return ctx.boolean(v, "m", t.is_maker);
          case 'T': return ctx.u64(v, "T", t.transaction_time);
          default: return true;
        }
      }))
    return false;
  constexpr std::string_view kNames[] = {"E", "s", "c", "S", "q", "p", "i", "l", "L", "t"};
  return check_required(ctx, seen, kNames);
}

bool parse_margin_call(Ctx& ctx, od::object obj, MarginCall& m) {
  m.positions.clear();
  m.cross_wallet_balance = Decimal{};
  bool has_e = false, has_p = false;
  if (!for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
        if (k == "E") return has_e = true, ctx.u64(v, "E", m.event_time);
        if (k == "cw") return ctx.dec(v, "cw", m.cross_wallet_balance);
        if (k != "p") return true;
        has_p = true;
        od::array arr;
        if (!as_array(ctx, v, "p", arr)) return false;
        return for_each_element(ctx, arr, "p", [&](std::size_t i, od::value item) {
          const std::string where = indexed("p", i);
          od::object o;
          if (!as_object(ctx, item, where, o)) return false;
          MarginCallPosition p;
          std::uint64_t seen = 0;
          if (!for_each_field(ctx, o, where, [&](std::string_view pk, od::value pv) {
                const std::string f = where + "." + std::string(pk);
                if (pk == "s") return seen |= 1, ctx.text(pv, f, p.symbol);
                if (pk == "pa") return seen |= 2, ctx.dec(pv, f, p.amount);
                if (pk == "mp") return seen |= 4, ctx.dec(pv, f, p.mark_price);
                if (pk == "ps") return parse_position_side(ctx, pv, f, p.position_side);
                if (pk == "up") return ctx.dec(pv, f, p.unrealized_pnl);
                if (pk == "mm") return ctx.dec(pv, f, p.maintenance_margin);
                if (pk == "mt") return parse_margin_type(ctx, pv, f, p.margin_type);
                if (pk == "iw") return ctx.dec(pv, f, p.isolated_wallet);
                return true;
              }))
            return false;
          constexpr std::string_view kNames[] = {"s", "pa", "mp"};
          if (!check_required(ctx, seen, kNames, where + ".")) return false;
          m.positions.push_back(p);
          return true;
        });
      }))
    return false;
  if (!has_e) return ctx.missing("E");
  if (!has_p) return ctx.missing("p");
  return true;
}

bool parse_listen_key_expired(Ctx& ctx, od::object obj, ListenKeyExpired& l) {
  l = ListenKeyExpired{};
  bool has_e = false;
  if (!for_each_field(ctx, obj, "", [&](std::string_view k, od::value v) {
        if (k == "E") {
          // A number, or a string of digits in some futures docs.
          has_e = true;
          std::string_view s;
          if (v.get_string().get(s) == simdjson::SUCCESS) {
            std::uint64_t n = 0;
            if (s.empty()) return ctx.fail("E", "expected a time");
            for (char c : s) {
              if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) return ctx.fail("E", "expected a time");
              n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            l.event_time = n;
            return true;
          }
          return ctx.u64(v, "E", l.event_time);
        }
        if (k == "listenKey") return ctx.text(v, "listenKey", l.listen_key);
        return true;
      }))
    return false;
  if (!has_e) return ctx.missing("E");
  return true;
}

// ---- into our events ------------------------------------------------------------------------
Result<Unit, ParseError> to_events(const OrderUpdate& u, AccountId account,
                                   InstrumentId instrument, std::vector<EventPayload>& out) {
  const std::string_view kind = u.futures ? "ORDER_TRADE_UPDATE" : "executionReport";
  // A cancel names the canceled order in C (spot); c is the cancel request's own id.
  const bool by_orig = !u.futures && u.execution_type == ExecutionType::kCanceled &&
                       !u.orig_client_order_id.empty();
  ClientOrderIdText cid;
  if (!cid.assign(by_orig ? u.orig_client_order_id.view() : u.client_order_id.view()))
    return Unexpected{ParseError{std::string(kind) + (by_orig ? ".C" : ".c") +
                                 ": longer than 36 characters (not an order of ours)"}};
  switch (u.execution_type) {
    case ExecutionType::kNew: {
      OrderAccepted e{account, instrument, cid, {}};
      char buf[24];
      const int n = std::snprintf(buf, sizeof buf, "%llu",
                                  static_cast<unsigned long long>(u.order_id));
      (void)e.venue_order_id.assign(std::string_view(buf, static_cast<std::size_t>(n)));
      out.emplace_back(e);
      break;
    }
    case ExecutionType::kTrade:
    case ExecutionType::kCalculated: {
      FillReceived f;
      f.account = account;
      f.instrument = instrument;
      f.client_order_id = cid;
      char buf[24];
      const int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(u.trade_id));
      (void)f.trade_id.assign(std::string_view(buf, static_cast<std::size_t>(n)));
      f.side = u.side;
      f.price = u.last_price;
      f.quantity = u.last_qty;
      f.fee = u.commission;
      f.fee_asset = u.commission_asset;
      f.liquidity = u.is_maker ? Liquidity::kMaker : Liquidity::kTaker;
      out.emplace_back(f);
      // Average price: futures give ap; spot: Z / z.
      Decimal avg = u.avg_price;
      if (!u.futures && u.cum_qty.is_positive()) {
        auto a = u.cum_quote.div(u.cum_qty, Rounding::kHalfEven);
        if (!a) return Unexpected{ParseError{std::string(kind) + ".Z: average price " +
                                             to_string(a.error())}};
        avg = *a;
      }
      if (u.status == OrderStatus::kFilled) {
        out.emplace_back(OrderFilled{account, instrument, cid, u.cum_qty, avg});
      } else {
        auto leaves = u.quantity.sub(u.cum_qty);
        if (!leaves) return Unexpected{ParseError{std::string(kind) + ".z: " +
                                                  to_string(leaves.error())}};
        out.emplace_back(OrderPartiallyFilled{account, instrument, cid, u.cum_qty, *leaves, avg});
      }
      break;
    }
    case ExecutionType::kCanceled:
      out.emplace_back(OrderCanceled{account, instrument, cid, u.cum_qty});
      break;
    case ExecutionType::kRejected: {
      OrderRejected r{account, instrument, cid, 4000, 0, {}};
      (void)r.reason.assign(u.reject_reason.view());
      out.emplace_back(r);
      break;
    }
    case ExecutionType::kExpired:
    case ExecutionType::kTradePrevention:
      if (u.status == OrderStatus::kCanceled)
        out.emplace_back(OrderCanceled{account, instrument, cid, u.cum_qty});
      else
        out.emplace_back(OrderExpired{account, instrument, cid, u.cum_qty});
      break;
    case ExecutionType::kReplaced:
    case ExecutionType::kAmendment:
      out.emplace_back(OrderAmended{account, instrument, cid, u.price, u.quantity});
      break;
  }
  return Unit{};
}

void to_balance_events(const AccountPosition& p, AccountId account, Market market,
                       std::vector<EventPayload>& out) {
  for (const auto& b : p.balances)
    out.emplace_back(BalanceUpdated{account, ExchangeId::kBinance, market, b.asset, b.free,
                                    b.locked});
}

Result<Unit, ParseError> to_account_events(const AccountUpdate& u, AccountId account,
                                           Market market, const InstrumentLookup& lookup,
                                           std::vector<EventPayload>& out) {
  // Look every symbol up first: an unknown one changes nothing.
  std::vector<InstrumentId> ids;
  ids.reserve(u.positions.size());
  for (const auto& p : u.positions) {
    auto id = lookup_instrument(lookup, "ACCOUNT_UPDATE.a.P", p.symbol.view());
    if (!id) return Unexpected{std::move(id).error()};
    ids.push_back(*id);
  }
  for (const auto& b : u.balances)
    out.emplace_back(BalanceUpdated{account, ExchangeId::kBinance, market, b.asset,
                                    b.wallet_balance, Decimal{}});
  for (std::size_t i = 0; i < u.positions.size(); ++i) {
    const auto& p = u.positions[i];
    PositionUpdated e;
    e.account = account;
    e.instrument = ids[i];
    e.position_side = p.position_side;
    e.size = p.amount;
    e.entry_price = p.entry_price;
    e.margin_type = p.margin_type;
    e.isolated_margin = p.isolated_wallet;
    e.unrealized_pnl = p.unrealized_pnl;
    e.realized_pnl = p.realized_pnl;
    out.emplace_back(e);
  }
  return Unit{};
}

}  // namespace oms::binance
