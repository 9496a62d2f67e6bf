// venue-sim's Bybit front: order and execution queries, positions and their settings, the
// unified account (wallet, fee rates, info, margin mode, transaction log) and internal
// transfers between the unified and the funding account.
#include <algorithm>

#include <set>

#include "bybit_front_impl.hpp"
#include "unified_wallet.hpp"

namespace oms::venue_sim {

using namespace bysim;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kWeekMs = 7 * kDayMs;
constexpr std::int64_t kMonthMs = 30 * kDayMs;
constexpr int kMaxLeverage = 100;  // default_bybit_instruments' leverageFilter

std::int64_t ms(TimeNs t) { return t / 1'000'000; }

std::size_t limit_of(const Args& p, std::int64_t hi, std::int64_t fallback) {
  const auto l = p.integer("limit");
  if (!l) return static_cast<std::size_t>(fallback);
  if (*l < 1 || *l > hi) params_error("limit: " + std::to_string(*l) + " is not in [1, " + std::to_string(hi) + "]");
  return static_cast<std::size_t>(*l);
}

// Cursors venue-sim gives are the offset of the next page.
std::size_t cursor_of(const Args& p) {
  const auto c = p.text("cursor");
  if (!c) return 0;
  std::size_t v = 0;
  for (const char ch : *c) {
    if (ch < '0' || ch > '9') params_error("cursor: '" + *c + "' is not a cursor venue-sim gave");
    v = v * 10 + static_cast<std::size_t>(ch - '0');
  }
  return v;
}

// [start, end] of a query: both given at most `span` apart; one given, `span` from it; none,
// the last `span`.
std::pair<std::int64_t, std::int64_t> window(const Args& p, std::int64_t span, std::int64_t now) {
  const auto start = p.integer("startTime");
  const auto end = p.integer("endTime");
  if (start && end) {
    if (*start > *end) params_error("startTime: after endTime");
    if (*end - *start > span) params_error("startTime, endTime: at most " + std::to_string(span / kDayMs) + " days apart");
    return {*start, *end};
  }
  if (start) return {*start, *start + span};
  if (end) return {*end - span, *end};
  return {now - span, now};
}

bool open_status(sim::SimStatus s) { return s == sim::SimStatus::kNew || s == sim::SimStatus::kPartiallyFilled; }

bool valid_status(std::string_view s) {
  for (const char* k : {"New", "PartiallyFilled", "Untriggered", "Rejected", "PartiallyFilledCanceled", "Filled",
                        "Cancelled", "Triggered", "Deactivated"}) {
    if (s == k) return true;
  }
  return false;
}

bool valid_uuid(std::string_view t) {
  constexpr std::size_t kUuidChars = 36;
  if (t.size() != kUuidChars) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char ch = t[i];
    const bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
    if (dash ? ch != '-' : !hex) return false;
  }
  return true;
}

}  // namespace

// ---- orders -----------------------------------------------------------------------------------
namespace {

struct Found {
  sim::SymbolIndex symbol;
  sim::OrderView view;
};

// The orders a realtime / history query names, newest first.
std::vector<Found> select_orders(BybitFront::Impl& f, const UtaAccount& a, const Category& c, const Args& p,
                                 bool closed_only, bool open_only) {
  const sim::ApiKeyId id = f.venue_id(a, c);
  std::optional<sim::SymbolIndex> sym;
  if (p.has("symbol")) sym = f.symbol_of(c, p);
  const auto base = p.text("baseCoin");
  const auto settle = p.text("settleCoin");
  if (settle && c.spot()) params_error("settleCoin: not supported on spot");
  std::vector<Found> out;
  const auto add_if = [&](sim::SymbolIndex s, const sim::OrderView& v) {
    if (closed_only && open_status(v.status)) return;
    if (open_only && !open_status(v.status)) return;
    out.push_back({s, v});
  };
  if (const auto oid = p.text("orderId")) {  // orderId > orderLinkId > symbol > baseCoin
    const auto parsed = parse_order_id(c, f.salt, *oid);
    if (parsed && (!sym || *sym == parsed->first)) {
      if (auto r = c.venue->query(id, parsed->first, sim::OrderRef{parsed->second, {}}); r.ok()) out.push_back({parsed->first, *r});
    }
    return out;
  }
  if (const auto link = p.text("orderLinkId")) {
    for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) {
      if (sym && *sym != s) continue;
      auto r = c.venue->query(id, s, sim::OrderRef{0, *link});
      if (r.ok() && f.meta(c, s, r->order_id).link_given) out.push_back({s, *r});
    }
    return out;
  }
  for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) {
    if (sym && *sym != s) continue;
    const auto& ins = c.venue->instrument(s).symbol;
    if (base && ins.base != *base) continue;
    if (settle && ins.settle != *settle) continue;
    for (const auto& v : open_only ? c.venue->open_orders(id, s) : c.venue->all_orders(id, s)) add_if(s, v);
  }
  std::stable_sort(out.begin(), out.end(), [](const Found& x, const Found& y) {
    return x.view.time != y.view.time ? x.view.time > y.view.time : x.view.order_id > y.view.order_id;
  });
  return out;
}

bool filter_ok(const Args& p, const Category& c, const OrderMeta& m) {
  const auto f = p.text("orderFilter");
  if (!f) return true;  // every kind by default (UTA)
  const bool waiting = m.conditional && !m.triggered;
  if (*f == "Order") return !waiting;
  if (*f == "StopOrder") return waiting;
  if (*f == "tpslOrder" || *f == "OcoOrder" || *f == "BidirectionalTpslOrder") {
    if (!c.spot()) params_error("orderFilter: " + *f + " is a spot filter");
    return false;  // venue-sim has none of those
  }
  params_error("orderFilter: '" + *f + "' is not Order, StopOrder, tpslOrder, OcoOrder or BidirectionalTpslOrder");
}

}  // namespace

BybitFront::Impl::Answer BybitFront::Impl::open_orders(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "baseCoin", "settleCoin", "orderId", "orderLinkId", "openOnly", "orderFilter", "limit",
          "cursor"});
  Category& c = category_of(p);
  const bool one = p.has("orderId") || p.has("orderLinkId");
  if (!one && !c.spot() && !p.has("symbol") && !p.has("baseCoin") && !p.has("settleCoin"))
    params_error("symbol, baseCoin or settleCoin: one of them is required on linear");
  const std::int64_t open_only = p.integer("openOnly").value_or(0);
  if (open_only != 0 && open_only != 1) params_error("openOnly: " + std::to_string(open_only) + " is not 0 or 1");
  const std::size_t limit = limit_of(p, 50, 20);
  const std::size_t from = cursor_of(p);
  // openOnly 0: open orders; 1: the recent closed ones (500 kept); an orderId / orderLinkId
  // names its order whatever its status ("openOnly param will be ignored").
  constexpr std::size_t kRecentClosed = 500;
  auto found = select_orders(*this, a, c, p, !one && open_only == 1, !one && open_only == 0);
  if (!one && open_only == 1 && found.size() > kRecentClosed) found.resize(kRecentClosed);
  JsonOut j;
  j.obj().kv("category", c.name()).key("list").arr();
  std::size_t shown = 0, k = 0;
  bool more = false;
  for (const auto& fo : found) {
    const OrderMeta& m = meta(c, fo.symbol, fo.view.order_id);
    if (!filter_ok(p, c, m)) continue;
    if (k++ < from) continue;
    if (shown == limit) {
      more = true;
      break;
    }
    order_json(j, c, row_of(fo.view), m, false);
    ++shown;
  }
  j.end_arr().kv("nextPageCursor", more ? std::to_string(from + limit) : std::string()).end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::order_history(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "baseCoin", "settleCoin", "orderId", "orderLinkId", "orderFilter", "orderStatus",
          "startTime", "endTime", "limit", "cursor"});
  Category& c = category_of(p);
  const auto status = p.text("orderStatus");
  if (status && !valid_status(*status)) params_error("orderStatus: '" + *status + "' is not a v5 order status");
  const auto [start, end] = window(p, kWeekMs, now_ms());
  const std::size_t limit = limit_of(p, 50, 20);
  const std::size_t from = cursor_of(p);
  // Closed orders unless an orderStatus asks for another one.
  const auto found = select_orders(*this, a, c, p, !status, false);
  JsonOut j;
  j.obj().kv("category", c.name()).key("list").arr();
  std::size_t shown = 0, k = 0;
  bool more = false;
  for (const auto& fo : found) {
    const OrderMeta& m = meta(c, fo.symbol, fo.view.order_id);
    const auto row = row_of(fo.view);
    if (!filter_ok(p, c, m)) continue;
    if (status && *status != order_status_text(c, row, m)) continue;
    if (ms(fo.view.time) < start || ms(fo.view.time) > end) continue;
    if (k++ < from) continue;
    if (shown == limit) {
      more = true;
      break;
    }
    order_json(j, c, row, m, false);
    ++shown;
  }
  j.end_arr().kv("nextPageCursor", more ? std::to_string(from + limit) : std::string()).end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::executions(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "orderId", "orderLinkId", "baseCoin", "startTime", "endTime", "execType", "limit",
          "cursor"});
  Category& c = category_of(p);
  std::optional<sim::SymbolIndex> sym;
  if (p.has("symbol")) sym = symbol_of(c, p);
  const auto oid = p.text("orderId");
  const auto link = p.text("orderLinkId");
  const auto base = p.text("baseCoin");
  const auto type = p.text("execType");
  if (type) {
    bool known = false;
    for (const char* k : {"Trade", "AdlTrade", "Funding", "BustTrade", "Delivery", "Settle", "BlockTrade", "MovePosition"})
      known = known || *type == k;
    if (!known) params_error("execType: '" + *type + "' is not a v5 execution type");
  }
  // venue-sim executions are all Trade: no funding, liquidation, delivery or block trades.
  const bool trades = !type || *type == "Trade";
  const auto [start, end] = window(p, kWeekMs, now_ms());
  const std::size_t limit = limit_of(p, 100, 50);
  const std::size_t from = cursor_of(p);
  JsonOut j;
  j.obj().kv("category", c.name()).key("list").arr();
  std::size_t shown = 0, k = 0;
  bool more = false;
  for (auto it = a.executions.rbegin(); trades && it != a.executions.rend(); ++it) {
    const Execution& e = *it;
    if (e.market != c.market || (sym && *sym != e.symbol)) continue;
    if (oid && *oid != order_id(c, e.symbol, e.order_id)) continue;
    if (!oid && link && *link != e.link_id) continue;
    if (base && c.venue->instrument(e.symbol).symbol.base != *base) continue;
    if (!oid && !link && (e.time_ms < start || e.time_ms > end)) continue;
    if (k++ < from) continue;
    if (shown == limit) {
      more = true;
      break;
    }
    execution_json(j, c, e, false);
    ++shown;
  }
  j.end_arr().kv("nextPageCursor", more ? std::to_string(from + limit) : std::string()).end_obj();
  return {j.take()};
}

// ---- positions --------------------------------------------------------------------------------
BybitFront::Impl::Answer BybitFront::Impl::positions(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "baseCoin", "settleCoin", "limit", "cursor"});
  Category& c = category_of(p);
  if (c.spot()) params_error("category: spot has no positions (linear)");
  if (p.has("baseCoin")) params_error("baseCoin: an option parameter");
  const auto settle = p.text("settleCoin");
  if (!p.has("symbol") && !settle) params_error("symbol or settleCoin: one of them is required");
  if (settle && *settle != "USDT") params_error("settleCoin: venue-sim settles linear contracts in USDT, not " + *settle);
  const std::size_t limit = limit_of(p, 200, 20);
  const std::size_t from = cursor_of(p);
  std::vector<sim::PositionView> list;
  if (p.has("symbol")) {  // "If symbol passed, it returns data regardless of having position or not."
    const sim::SymbolIndex s = symbol_of(c, p);
    if (a.hedge) {
      list.push_back(c.venue->position(a.linear_id, s, PositionSide::kLong));
      list.push_back(c.venue->position(a.linear_id, s, PositionSide::kShort));
    } else {
      list.push_back(c.venue->position(a.linear_id, s, PositionSide::kBoth));
    }
  } else {  // by settleCoin: the positions with size > 0
    list = c.venue->positions(a.linear_id);
  }
  JsonOut j;
  j.obj().key("list").arr();
  for (std::size_t k = from; k < list.size() && k < from + limit; ++k) position_json(j, a, list[k], false);
  j.end_arr().kv("nextPageCursor", from + limit < list.size() ? std::to_string(from + limit) : std::string());
  j.kv("category", "linear").end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::set_leverage(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "buyLeverage", "sellLeverage"});
  Category& c = category_of(p);
  if (c.spot()) params_error("category: leverage is a linear contract's setting");
  const sim::SymbolIndex s = symbol_of(c, p);
  const auto buy = p.decimal("buyLeverage");
  const auto sell = p.decimal("sellLeverage");
  if (!buy) params_error("buyLeverage: required");
  if (!sell) params_error("sellLeverage: required");
  if (*buy != *sell) params_error("buyLeverage, sellLeverage: must be equal (venue-sim keeps one leverage a symbol)");
  if (!buy->is_multiple_of(Decimal::from_raw(Decimal::kOne)))
    params_error("buyLeverage: venue-sim takes whole leverage, got " + text(*buy));
  const Int128 whole = buy->raw() / Decimal::kOne;
  if (whole < 1 || whole > kMaxLeverage)
    refuse(kParamsError, "leverage invalid: " + text(*buy) + " is not in [1, " + std::to_string(kMaxLeverage) + "]");
  const auto lev = static_cast<std::int64_t>(whole);
  if (c.venue->position(a.linear_id, s).leverage == lev) refuse(kLeverageNotModified, "Set leverage has not been modified.");
  if (auto r = c.venue->set_leverage(a.linear_id, s, static_cast<int>(lev)); !r.ok()) venue_refusal(c, r.error(), nullptr);
  a.settings_updated_ms = now_ms();
  // The position topic tells the new leverage (one item per side of the symbol).
  JsonOut items;
  items.arr();
  for (const auto ps : a.hedge ? std::vector{PositionSide::kLong, PositionSide::kShort} : std::vector{PositionSide::kBoth})
    position_json(items, a, c.venue->position(a.linear_id, s, ps), true);
  items.end_arr();
  send_private(static_cast<std::size_t>(&a - accounts.data()), {{"position", "linear", items.take()}});
  return {};
}

BybitFront::Impl::Answer BybitFront::Impl::switch_mode(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "coin", "mode"});
  Category& c = category_of(p);
  if (c.spot()) params_error("category: position mode is a linear contract's setting");
  if (p.has("symbol")) (void)symbol_of(c, p);
  else if (const auto coin = p.text("coin"); !coin) params_error("symbol or coin: one of them is required");
  else if (*coin != "USDT") params_error("coin: venue-sim's linear contracts settle in USDT, not " + *coin);
  const auto mode = p.integer("mode");
  if (!mode) params_error("mode: required (0 one-way, 3 both sides)");
  if (*mode != 0 && *mode != 3) params_error("mode: " + std::to_string(*mode) + " is not 0 (one-way) or 3 (both sides)");
  const bool hedge = *mode == 3;
  if (hedge == a.hedge) refuse(kModeNotModified, "Position mode is not modified");
  // venue-sim keeps one position mode for every linear symbol of the account (Bybit keeps one a
  // symbol): the switch applies to all, refused while any linear position or order is open.
  if (auto r = c.venue->set_hedge_mode(a.linear_id, hedge); !r.ok()) {
    if (r.error().code == -4068) refuse(kHasPositionNoModeSwitch, "You have an existing position, so the position mode cannot be switched.");
    if (r.error().code == -4067) refuse(kHasOrdersNoModeSwitch, "You have existing open orders, so the position mode cannot be switched.");
    venue_refusal(c, r.error(), nullptr);
  }
  a.hedge = hedge;
  a.settings_updated_ms = now_ms();
  return {};
}

BybitFront::Impl::Answer BybitFront::Impl::trading_stop(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "takeProfit", "stopLoss", "trailingStop", "tpTriggerBy", "slTriggerBy", "activePrice",
          "tpslMode", "tpSize", "slSize", "tpLimitPrice", "slLimitPrice", "tpOrderType", "slOrderType", "positionIdx"});
  Category& c = category_of(p);
  if (c.spot()) params_error("category: trading-stop is a linear position's");
  const sim::SymbolIndex s = symbol_of(c, p);
  const auto idx = p.integer("positionIdx");
  if (!idx) params_error("positionIdx: required");
  if ((*idx != 0) != a.hedge || *idx < 0 || *idx > 2) refuse(kParamsError, "position idx not match position mode");
  const auto mode = p.text("tpslMode");
  if (!mode) params_error("tpslMode: required (Full or Partial)");
  if (*mode != "Full" && *mode != "Partial") params_error("tpslMode: '" + *mode + "' is not Full or Partial");
  const PositionSide ps = *idx == 1 ? PositionSide::kLong : *idx == 2 ? PositionSide::kShort : PositionSide::kBoth;
  if (c.venue->position(a.linear_id, s, ps).amount.is_zero()) params_error("can not set tp/sl/ts for zero position");
  params_error("takeProfit / stopLoss / trailingStop: a position's TP/SL and trailing stop (trading-stop) are not "
               "supported by venue-sim (place conditional reduceOnly orders)");
}

// ---- account ----------------------------------------------------------------------------------
BybitFront::Impl::Answer BybitFront::Impl::set_margin_mode(UtaAccount& a, const Args& p) {
  p.only({"setMarginMode"});
  const std::string mode = p.required_text("setMarginMode");
  if (mode == "PORTFOLIO_MARGIN") refuse(kMarginModeFailed, "Set margin mode failed (venue-sim has no portfolio margin)");
  if (mode != "ISOLATED_MARGIN" && mode != "REGULAR_MARGIN")
    params_error("setMarginMode: '" + mode + "' is not ISOLATED_MARGIN, REGULAR_MARGIN or PORTFOLIO_MARGIN");
  const bool iso = mode == "ISOLATED_MARGIN";
  if (iso != a.isolated_margin) {
    // The venue core records isolated margin per symbol and accounts it as cross (sim/venue.hpp).
    for (sim::SymbolIndex s = 0; s < linear.symbols.size(); ++s) {
      for (const auto ps : {PositionSide::kBoth, PositionSide::kLong, PositionSide::kShort}) {
        if (!linear.venue->position(a.linear_id, s, ps).amount.is_zero())
          refuse(kMarginModeFailed, "Set margin mode failed (venue-sim: a " + linear.symbols[s] + " position is open)");
      }
    }
    for (sim::SymbolIndex s = 0; s < linear.symbols.size(); ++s) {
      if (auto r = linear.venue->set_margin_type(a.linear_id, s, iso ? MarginType::kIsolated : MarginType::kCross);
          !r.ok() && r.error().code != -4046)
        refuse(kMarginModeFailed, "Set margin mode failed (" + r.error().msg + ")");
    }
    a.isolated_margin = iso;
    a.settings_updated_ms = now_ms();
  }
  return {R"({"reasons":[]})"};
}

BybitFront::Impl::Answer BybitFront::Impl::wallet_balance(UtaAccount& a, const Args& p) {
  p.only({"accountType", "coin"});
  const std::string type = p.required_text("accountType");
  if (type != "UNIFIED") params_error("accountType: venue-sim's accounts are UNIFIED, not " + type);
  std::set<std::string, std::less<>> coins;
  if (const auto list = p.text("coin")) {
    std::string_view rest = *list;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (!rest.substr(0, comma).empty()) coins.emplace(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  JsonOut j;
  j.obj().key("list").arr();
  wallet_json(j, a, coins.empty() ? nullptr : &coins);
  j.end_arr().end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::fee_rate(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "baseCoin"});
  Category& c = category_of(p);
  if (p.has("baseCoin")) params_error("baseCoin: an option parameter");
  std::optional<sim::SymbolIndex> only;
  if (p.has("symbol")) only = symbol_of(c, p);
  const Decimal maker = c.spot() ? a.spec.spot_maker : a.spec.linear_maker;
  const Decimal taker = c.spot() ? a.spec.spot_taker : a.spec.linear_taker;
  JsonOut j;
  j.obj();
  if (c.spot()) j.kv("category", "spot");
  j.key("list").arr();
  for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) {
    if (only && *only != s) continue;
    j.obj().kv("symbol", c.symbols[s]).kv("takerFeeRate", text(taker)).kv("makerFeeRate", text(maker));
    if (c.spot()) j.kv("baseCoin", "");
    j.end_obj();
  }
  j.end_arr().end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::account_info(UtaAccount& a) {
  constexpr int kUta2 = 5;  // unifiedMarginStatus: UTA 2.0
  JsonOut j;
  j.obj().kn("unifiedMarginStatus", kUta2).kv("marginMode", a.isolated_margin ? "ISOLATED_MARGIN" : "REGULAR_MARGIN");
  j.kb("isMasterTrader", false).kv("spotHedgingStatus", "OFF").kv("updatedTime", ms_text(a.settings_updated_ms));
  j.kv("dcpStatus", "OFF").kn("timeWindow", 0).kn("smpGroup", 0).end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::transaction_log(UtaAccount& a, const Args& p) {
  p.only({"accountType", "category", "currency", "baseCoin", "type", "startTime", "endTime", "limit", "cursor"});
  if (const auto t = p.text("accountType"); t && *t != "UNIFIED") params_error("accountType: venue-sim's accounts are UNIFIED, not " + *t);
  std::optional<std::string> cat;
  if (p.has("category")) cat = std::string(category_of(p).name());
  const auto currency = p.text("currency");
  const auto base = p.text("baseCoin");
  const auto type = p.text("type");
  if (type && !std::all_of(type->begin(), type->end(), [](char ch) { return (ch >= 'A' && ch <= 'Z') || ch == '_'; }))
    params_error("type: '" + *type + "' is not a transaction-log type");
  const auto [start, end] = window(p, kWeekMs, now_ms());
  const std::size_t limit = limit_of(p, 50, 20);
  const std::size_t from = cursor_of(p);
  JsonOut j;
  j.obj().key("list").arr();
  std::size_t shown = 0, k = 0;
  bool more = false;
  for (auto it = a.ledger.rbegin(); it != a.ledger.rend(); ++it) {
    const LedgerRow& r = *it;
    if ((cat && r.category != *cat) || (currency && r.currency != *currency) || (type && r.type != *type)) continue;
    if (base && r.symbol.rfind(*base, 0) != 0) continue;
    if (r.time_ms < start || r.time_ms > end) continue;
    if (k++ < from) continue;
    if (shown == limit) {
      more = true;
      break;
    }
    j.obj().kv("id", r.id).kv("symbol", r.symbol).kv("category", r.category).kv("side", r.side);
    j.kv("transactionTime", ms_text(r.time_ms)).kv("type", r.type).kv("qty", text(r.qty)).kv("size", text(r.size));
    j.kv("currency", r.currency).kv("tradePrice", r.trade_price.is_zero() ? std::string() : text(r.trade_price));
    j.kv("funding", "").kv("fee", text(r.fee)).kv("cashFlow", text(r.cash_flow)).kv("change", text(r.change));
    j.kv("cashBalance", text(r.cash_balance)).kv("feeRate", text(r.fee_rate)).kv("bonusChange", "");
    j.kv("tradeId", r.trade_id).kv("orderId", r.order_id).kv("orderLinkId", r.link_id).end_obj();
    ++shown;
  }
  j.end_arr().kv("nextPageCursor", more ? std::to_string(from + limit) : std::string()).end_obj();
  return {j.take()};
}

// ---- transfers ----------------------------------------------------------------------------------
// venue-sim's accounts: UNIFIED (the unified trading account; a transfer out takes the spot
// venue's balance of the coin, then the linear USDT -- unified_wallet.hpp --, one in goes to
// the spot venue) and FUND (a funding wallet that only transfers touch).
BybitFront::Impl::Answer BybitFront::Impl::transfer(UtaAccount& a, const Args& p) {
  p.only({"transferId", "coin", "amount", "fromAccountType", "toAccountType"});
  const auto id = p.text("transferId");
  if (!id || !valid_uuid(*id)) refuse(kTransferParam, "Parameter error: transferId must be a UUID");
  for (const auto& t : a.transfers) {
    if (t.transfer_id == *id) refuse(kTransferIdExists, "TransferId exist");
  }
  const auto coin = p.text("coin");
  if (!coin) refuse(kTransferParam, "Parameter error: coin is required");
  const auto amount = p.decimal("amount");
  if (!amount || !amount->is_positive()) refuse(kTransferAmount, "Amount error: amount must be positive");
  const std::string from = p.required_text("fromAccountType");
  const std::string to = p.required_text("toAccountType");
  for (const auto& [field, v] : {std::pair{"fromAccountType", from}, std::pair{"toAccountType", to}}) {
    if (v != "UNIFIED" && v != "FUND")
      refuse(kTransferParam, std::string("Parameter error: ") + field + " '" + v + "' (venue-sim has UNIFIED and FUND)");
  }
  if (from == to) refuse(kTransferSameAccount, "fromAccountType can't be the same as toAccountType");
  sim::Outbox out, linear_out;
  Decimal& fund = a.fund[*coin];
  if (from == "UNIFIED") {
    if (!take_unified(*spot.venue, a.spot_id, *linear.venue, a.linear_id, *coin, *amount, now_ns(), out, linear_out))
      refuse(kTransferBalance, "Insufficient balance (" + *coin + " free in the unified account is less than " + text(*amount) + ")");
    fund = dadd(fund, *amount);
  } else {
    if (fund < *amount) refuse(kTransferBalance, "Insufficient balance (" + *coin + " in FUND: " + text(fund) + ")");
    if (auto r = spot.venue->deposit(a.spot_id, *coin, *amount, now_ns(), out); !r.ok())
      refuse(kTransferParam, "Parameter error: " + r.error().msg);
    fund = dsub(fund, *amount);
  }
  const std::int64_t now = now_ms();
  a.transfers.push_back(TransferRow{*id, *coin, from, to, *amount, now});
  LedgerRow row;
  row.id = "transfer-" + *id;
  row.type = from == "UNIFIED" ? "TRANSFER_OUT" : "TRANSFER_IN";
  row.side = "None";
  row.currency = *coin;
  row.qty = from == "UNIFIED" ? Decimal::from_raw(-amount->raw()) : *amount;
  row.cash_flow = row.qty;
  row.change = row.qty;
  row.time_ms = now;
  Decimal wallet;
  for (const auto& b : spot.venue->balances(a.spot_id)) {
    if (b.asset == *coin) wallet = dadd(b.free, b.locked);
  }
  if (*coin == "USDT") wallet = dadd(wallet, linear.venue->wallet_balance(a.linear_id));
  row.cash_balance = wallet;
  a.ledger.push_back(std::move(row));
  flush(spot, out);  // the wallet topic
  flush(linear, linear_out);
  JsonOut j;
  j.obj().kv("transferId", *id).kv("status", "SUCCESS").end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::transfers(UtaAccount& a, const Args& p) {
  p.only({"transferId", "coin", "status", "startTime", "endTime", "limit", "cursor"});
  const auto id = p.text("transferId");
  const auto coin = p.text("coin");
  const auto status = p.text("status");
  if (status && *status != "SUCCESS" && *status != "PENDING" && *status != "FAILED")
    params_error("status: '" + *status + "' is not SUCCESS, PENDING or FAILED");
  const auto [start, end] = window(p, kMonthMs, now_ms());
  const std::size_t limit = limit_of(p, 50, 20);
  const std::size_t from = cursor_of(p);
  JsonOut j;
  j.obj().key("list").arr();
  std::size_t shown = 0, k = 0;
  bool more = false;
  for (auto it = a.transfers.rbegin(); it != a.transfers.rend(); ++it) {
    if ((id && it->transfer_id != *id) || (coin && it->coin != *coin) || (status && *status != "SUCCESS")) continue;
    if (it->time_ms < start || it->time_ms > end) continue;
    if (k++ < from) continue;
    if (shown == limit) {
      more = true;
      break;
    }
    j.obj().kv("transferId", it->transfer_id).kv("coin", it->coin).kv("amount", text(it->amount));
    j.kv("fromAccountType", it->from).kv("toAccountType", it->to).kv("timestamp", ms_text(it->time_ms));
    j.kv("status", "SUCCESS").end_obj();
    ++shown;
  }
  j.end_arr().kv("nextPageCursor", more ? std::to_string(from + limit) : std::string()).end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::deposits(const Args& p) {
  p.only({"coin", "startTime", "endTime", "limit", "cursor"});
  (void)window(p, kMonthMs, now_ms());
  (void)limit_of(p, 50, 50);
  (void)cursor_of(p);
  // venue-sim has no on-chain deposits (starting balances come from its configuration).
  return {R"({"rows":[],"nextPageCursor":""})"};
}

// GET /v5/asset/coin/query-info: the coins the instruments trade, each on one chain named after
// the coin; venue-sim has no deposits or withdrawals, so neither is open on any chain
// (chainDeposit / chainWithdraw "0": what a client reads from a venue that suspended them).
BybitFront::Impl::Answer BybitFront::Impl::coin_info(const Args& p) {
  p.only({"coin"});
  const auto only = p.text("coin");
  std::set<std::string, std::less<>> coins;
  for (const Category* c : {&spot, &linear}) {
    for (sim::SymbolIndex s = 0; s < c->symbols.size(); ++s) {
      const Instrument& ins = c->venue->instrument(s);
      coins.insert(ins.symbol.base);
      coins.insert(ins.symbol.quote);
    }
  }
  JsonOut j;
  j.obj().key("rows").arr();
  for (const auto& coin : coins) {
    if (only && *only != coin) continue;
    j.obj().kv("name", coin).kv("coin", coin).kv("remainAmount", "0").key("chains").arr().obj();
    j.kv("chainType", coin).kv("confirmation", "0").kv("withdrawFee", "0").kv("depositMin", "0");
    j.kv("withdrawMin", "0").kv("chain", coin).kv("chainDeposit", "0").kv("chainWithdraw", "0");
    j.kv("minAccuracy", "8").kv("withdrawPercentageFee", "0").kv("contractAddress", "").kv("safeConfirmNumber", "0");
    j.end_obj().end_arr().end_obj();
  }
  j.end_arr().end_obj();
  return {j.take()};
}

// GET /v5/user/query-api: the key's own information (isMaster / parentUid: the account's
// family, from its spec's parent). venue-sim's keys are read-write, unified (UTA: "uta" 1), with trade and transfer permissions, no IP binding.
BybitFront::Impl::Answer BybitFront::Impl::api_key_info(const UtaAccount& a, std::size_t index) {
  const std::string uid = std::to_string(uid_of(index));
  const std::size_t master = master_of(index);
  JsonOut j;
  j.obj().kv("id", uid).kv("note", a.spec.name).kv("apiKey", a.spec.api_key).kn("readOnly", 0).kv("secret", "");
  j.key("permissions").obj();
  j.key("ContractTrade").arr().str("Order").str("Position").end_arr();
  j.key("Spot").arr().str("SpotTrade").end_arr();
  j.key("Wallet").arr().str("AccountTransfer").end_arr();
  for (const char* none : {"Options", "Derivatives", "CopyTrading", "BlockTrade", "Exchange", "NFT", "Affiliate"}) {
    j.key(none).arr().end_arr();
  }
  j.end_obj().key("ips").arr().str("*").end_arr().kn("type", 1).kn("deadlineDay", -1).kv("expiredAt", "");
  j.kv("createdAt", "2024-01-01T00:00:00Z").kn("unified", 0).kn("uta", 1).kv("userID", uid).kn("inviterID", 0);
  j.kv("vipLevel", "No VIP").kv("mktMakerLevel", "0").kn("affiliateID", 0).kv("rsaPublicKey", "");
  j.kb("isMaster", master == index).kv("parentUid", master == index ? std::string("0") : std::to_string(uid_of(master))).kv("kycLevel", "LEVEL_DEFAULT").kv("kycRegion", "").end_obj();
  return {j.take()};
}

}  // namespace oms::venue_sim
