// venue-sim's OKX front: order queries (trade/order, orders-pending, orders-history(-archive),
// fills(-history), newest first with OKX's after / before / limit paging by ordId or billId,
// each history endpoint keeping its own span: 7 days / 3 months, 3 days / 3 months),
// the unified account (account/balance, positions, set-leverage, set-position-mode, config,
// trade-fee) and the renderings the orders, account and positions channels share.
#include <algorithm>
#include <charconv>
#include <set>

#include "okx_front_impl.hpp"

namespace oms::venue_sim {

using namespace okxsim;

namespace {

constexpr std::int64_t kMaxLimit = 100;  // "Number of results per request. The maximum is 100"
// What each history endpoint keeps (OKX's docs): orders-history the orders placed or completed in
// the last 7 days, orders-history-archive in the last 3 months; trade/fills the last 3 days,
// fills-history the last 3 months. Older records are simply not there (no error).
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kOrdersRecentMs = 7 * kDayMs;
constexpr std::int64_t kFillsRecentMs = 3 * kDayMs;
constexpr std::int64_t kArchiveMs = 90 * kDayMs;

bool is_open(sim::SimStatus s) { return s == sim::SimStatus::kNew || s == sim::SimStatus::kPartiallyFilled; }

const char* state_text(sim::SimStatus s) {
  switch (s) {
    case sim::SimStatus::kNew: return "live";
    case sim::SimStatus::kPartiallyFilled: return "partially_filled";
    case sim::SimStatus::kFilled: return "filled";
    default: return "canceled";
  }
}

std::optional<std::uint64_t> id_param(const Args& p, const char* k) {
  const auto t = p.text(k);
  if (!t) return std::nullopt;
  std::uint64_t n = 0;
  const auto r = std::from_chars(t->data(), t->data() + t->size(), n);
  if (r.ec != std::errc() || r.ptr != t->data() + t->size()) param_error(k, *t);
  return n;
}

std::size_t limit_of(const Args& p) {
  const auto l = p.integer("limit");
  if (!l) return kMaxLimit;
  if (*l < 1 || *l > kMaxLimit) param_error("limit", std::to_string(*l) + " is not in [1, 100]");
  return static_cast<std::size_t>(*l);
}

// Whether an id falls in the page OKX's after (older than) / before (newer than) describe.
bool in_page(std::uint64_t id, std::optional<std::uint64_t> after, std::optional<std::uint64_t> before) {
  return (!after || id < *after) && (!before || id > *before);
}

std::string neg(Decimal d) { return text(Decimal::from_raw(-d.raw())); }

}  // namespace

OrderRow okxsim::row_of(const sim::OrderView& v) {
  return OrderRow{v.symbol, v.order_id, v.client_order_id, v.side, v.price, v.quantity, v.executed_qty, v.cum_quote, v.status};
}
OrderRow okxsim::row_of(const sim::ExecutionReport& r) {
  return OrderRow{r.symbol, r.order_id, r.client_order_id, r.side, r.price, r.quantity, r.cum_qty, r.cum_quote, r.status};
}

const char* OkxFront::Impl::pos_side_text(const Account& a, PositionSide ps) const {
  if (!a.hedge) return "net";
  return ps == PositionSide::kShort ? "short" : "long";
}

void OkxFront::Impl::order_json(JsonOut& j, const Category& c, const OrderRow& r, const OrderMeta& m,
                                const sim::ExecutionReport* fill, bool ws) {
  const OkxInstrument& oi = c.instruments[r.symbol];
  const bool market = m.ord_type == "market";
  const Decimal avg = r.cum_qty.is_zero() ? Decimal{} : ddiv(r.cum_quote, r.cum_qty);
  const bool filled_once = !m.last_trade_id.empty();
  j.obj().kv("instType", c.type()).kv("instId", oi.venue.venue_symbol).kv("tgtCcy", m.tgt_ccy).kv("ccy", "");
  j.kv("ordId", std::to_string(m.ord_id)).kv("clOrdId", m.cl_given ? r.client_id : std::string()).kv("tag", m.tag);
  j.kv("px", market ? std::string() : text(r.price)).kv("pxUsd", "").kv("pxVol", "").kv("pxType", "");
  j.kv("sz", text(m.sz)).kv("pnl", text(m.pnl)).kv("ordType", m.ord_type).kv("side", r.side == Side::kBuy ? "buy" : "sell");
  j.kv("posSide", c.spot() ? "" : m.pos_side).kv("tdMode", m.td_mode).kv("accFillSz", text(to_okx(oi, r.cum_qty)));
  const bool this_fill = fill != nullptr && fill->exec_type == sim::ExecType::kTrade;
  j.kv("fillPx", this_fill ? text(fill->last_price) : filled_once && !ws ? text(m.last_px) : std::string());
  j.kv("tradeId", this_fill ? m.last_trade_id : filled_once && !ws ? m.last_trade_id : std::string());
  j.kv("fillSz", this_fill ? text(to_okx(oi, fill->last_qty)) : filled_once && !ws ? text(to_okx(oi, m.last_sz)) : "0");
  j.kv("fillTime", this_fill || (filled_once && !ws) ? std::to_string(m.fill_time) : std::string());
  j.kv("avgPx", r.cum_qty.is_zero() ? std::string() : text(avg)).kv("state", state_text(r.status));
  j.kv("stpId", "").kv("stpMode", m.stp_mode).kv("lever", c.spot() ? std::string() : std::to_string(m.lever));
  j.kv("attachAlgoClOrdId", "").kv("tpTriggerPx", "").kv("tpTriggerPxType", "").kv("tpOrdPx", "");
  j.kv("slTriggerPx", "").kv("slTriggerPxType", "").kv("slOrdPx", "").key("attachAlgoOrds").arr().end_arr();
  j.kv("feeCcy", m.fee_ccy).kv("fee", text(m.fee)).kv("rebateCcy", m.fee_ccy).kv("rebate", "0").kv("source", "");
  j.kv("category", "normal").kv("reduceOnly", m.reduce_only ? "true" : "false").kv("isTpLimit", "false");
  j.kv("cancelSource", is_open(r.status) || r.status == sim::SimStatus::kFilled ? std::string() : m.cancel_source);
  j.kv("cancelSourceReason", is_open(r.status) || r.status == sim::SimStatus::kFilled ? std::string() : m.cancel_reason);
  j.kv("quickMgnType", "").kv("algoClOrdId", m.algo_cl).kv("algoId", m.algo_id == 0 ? std::string() : std::to_string(m.algo_id));
  if (ws) {
    // The orders channel's own fields: this push's fill (fee of that fill, OKX's sign).
    j.kv("fillFee", this_fill ? neg(fill->commission) : "0").kv("fillFeeCcy", this_fill ? fill->commission_asset : "");
    j.kv("execType", this_fill ? (fill->maker ? "M" : "T") : "");
    j.kv("fillNotionalUsd", this_fill ? text(dmul(fill->last_price, fill->last_qty)) : "");
    j.kv("notionalUsd", text(market && m.tgt_ccy == "quote_ccy" ? m.sz : dmul(r.price.is_zero() ? avg : r.price, r.quantity)));
    j.kv("fillMarkPx", "").kv("amendResult", "").kv("reqId", "").kv("code", "0").kv("msg", "").kv("amendSource", "");
  }
  j.kv("uTime", std::to_string(m.updated_ms)).kv("cTime", std::to_string(m.created_ms)).end_obj();
}

OkxFront::Impl::Answer OkxFront::Impl::get_order(Account& a, const Args& p) {
  p.only({"instId", "ordId", "clOrdId"});
  auto [cp, s] = instrument_of(p);
  const sim::OrderView v = find_order(a, *cp, s, p, kNoOrder);
  JsonOut j;
  j.arr();
  order_json(j, *cp, row_of(v), meta(*cp, s, v.order_id), nullptr, false);
  j.end_arr();
  return {kOk, "", j.take()};
}

namespace {

struct OrderFilter {
  std::optional<std::string> inst_type, inst_id, family, ord_type, state;
};

}  // namespace

// pending: orders-pending; else the history, keeping the last keep_ms (placed or completed in it).
static OkxFront::Impl::Answer list_orders(OkxFront::Impl& im, UnifiedAccount& a, const Args& p, bool pending,
                                          std::int64_t keep_ms = 0) {
  if (pending) {
    p.only({"instType", "uly", "instFamily", "instId", "ordType", "state", "after", "before", "limit"});
  } else {
    p.only({"instType", "uly", "instFamily", "instId", "ordType", "state", "category", "after", "before", "begin", "end", "limit"});
  }
  OrderFilter f;
  f.inst_type = pending ? p.text("instType") : std::optional<std::string>(p.required("instType"));
  f.inst_id = p.text("instId");
  f.family = p.text("instFamily") ? p.text("instFamily") : p.text("uly");
  f.ord_type = p.text("ordType");
  f.state = p.text("state");
  if (f.state) {
    const bool ok = pending ? (*f.state == "live" || *f.state == "partially_filled") : (*f.state == "filled" || *f.state == "canceled");
    if (!ok) param_error("state", *f.state);
  }
  if (const auto cat = p.text("category"); cat && *cat != "normal") {
    // venue-sim's orders are all "normal" (no twap, adl, liquidation ...): nothing matches.
    return {kOk, "", "[]"};
  }
  const auto after = id_param(p, "after"), before = id_param(p, "before");
  const auto begin = p.integer("begin"), end = p.integer("end");
  const std::size_t limit = limit_of(p);
  const std::int64_t oldest = im.now_ms() - keep_ms;
  const auto ai = static_cast<std::size_t>(&a - im.accounts.data());
  JsonOut j;
  j.arr();
  std::size_t n = 0;
  for (auto it = im.by_ord_id.rbegin(); it != im.by_ord_id.rend() && n < limit; ++it) {
    if (!in_page(it->first, after, before)) continue;
    const OrderKey& k = it->second;
    const OrderMeta& m = im.orders[k];
    if (m.account != ai) continue;
    auto& c = im.category(k.market);
    const auto& in = c.instruments[k.symbol].venue;
    if (f.inst_type && *f.inst_type != "ANY" && *f.inst_type != c.type()) continue;
    if (f.inst_id && *f.inst_id != in.venue_symbol) continue;
    if (f.family && *f.family != in.symbol.base + "-" + in.symbol.quote) continue;
    if (f.ord_type && *f.ord_type != m.ord_type) continue;
    // begin / end filter the creation time (cTime); the history keeps what was placed or
    // completed within its span.
    if (begin && m.created_ms < *begin) continue;
    if (end && m.created_ms > *end) continue;
    if (!pending && std::max(m.created_ms, m.updated_ms) < oldest) continue;
    const auto v = c.venue->query(im.venue_id(a, c), k.symbol, sim::OrderRef{k.order_id, {}});
    if (!v.ok() || is_open(v->status) != pending) continue;
    if (f.state && *f.state != state_text(v->status)) continue;
    im.order_json(j, c, row_of(*v), m, nullptr, false);
    ++n;
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::orders_pending(Account& a, const Args& p) { return list_orders(*this, a, p, true); }
OkxFront::Impl::Answer OkxFront::Impl::orders_history(Account& a, const Args& p, bool archive) {
  return list_orders(*this, a, p, false, archive ? kArchiveMs : kOrdersRecentMs);
}

OkxFront::Impl::Answer OkxFront::Impl::fills(Account& a, const Args& p, bool history) {
  p.only({"instType", "uly", "instFamily", "instId", "ordId", "subType", "after", "before", "begin", "end", "limit"});
  const auto type = p.text("instType");
  const auto inst = p.text("instId");
  const auto family = p.text("instFamily") ? p.text("instFamily") : p.text("uly");
  const auto ord = id_param(p, "ordId");
  const auto after = id_param(p, "after"), before = id_param(p, "before");
  const auto begin = p.integer("begin"), end = p.integer("end");
  const std::size_t limit = limit_of(p);
  const std::int64_t oldest = now_ms() - (history ? kArchiveMs : kFillsRecentMs);
  JsonOut j;
  j.arr();
  std::size_t n = 0;
  for (auto it = a.fills.rbegin(); it != a.fills.rend() && n < limit; ++it) {
    const Fill& f = *it;
    if (!in_page(f.bill_id, after, before)) continue;
    const Category& c = category(f.market);
    const OkxInstrument& oi = c.instruments[f.symbol];
    if (type && *type != "ANY" && *type != c.type()) continue;
    if (inst && *inst != oi.venue.venue_symbol) continue;
    if (family && *family != oi.venue.symbol.base + "-" + oi.venue.symbol.quote) continue;
    if (ord && *ord != f.ord_id) continue;
    if ((begin && f.ts < *begin) || (end && f.ts > *end)) continue;
    if (f.ts < oldest) continue;  // not kept by this endpoint
    j.obj().kv("instType", c.type()).kv("instId", oi.venue.venue_symbol).kv("tradeId", f.trade_id);
    j.kv("ordId", std::to_string(f.ord_id)).kv("clOrdId", f.cl_ord_id).kv("billId", std::to_string(f.bill_id));
    j.kv("subType", f.side == Side::kBuy ? "1" : "2").kv("tag", f.tag).kv("fillPx", text(f.px));
    j.kv("fillSz", text(to_okx(oi, f.qty))).kv("fillIdxPx", "").kv("fillPnl", "0").kv("fillPxVol", "").kv("fillPxUsd", "");
    j.kv("fillMarkVol", "").kv("fillFwdPx", "").kv("fillMarkPx", "").kv("side", f.side == Side::kBuy ? "buy" : "sell");
    j.kv("posSide", c.spot() ? "" : f.pos_side).kv("execType", f.maker ? "M" : "T").kv("feeCcy", f.fee_ccy);
    j.kv("fee", text(f.fee)).kv("ts", std::to_string(f.ts)).kv("fillTime", std::to_string(f.ts)).end_obj();
    ++n;
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

std::optional<Decimal> OkxFront::Impl::usd_price(std::string_view ccy) const {
  if (ccy == "USDT" || ccy == "USDC" || ccy == "USD") return Decimal::from_raw(Decimal::kOne);
  const auto s = spot.venue->find_symbol(std::string(ccy) + "-USDT");
  if (!s) return std::nullopt;
  const auto top = spot.venue->top(*s);
  if (top.bid && top.ask) return ddiv(dadd(top.bid->price, top.ask->price), Decimal::from_raw(2 * Decimal::kOne));
  return spot.venue->last_price(*s);
}

void OkxFront::Impl::balance_json(JsonOut& j, const Account& a, const std::set<std::string, std::less<>>* only) {
  struct Row {
    Decimal cash, avail, ord_frozen, upl;
  };
  std::map<std::string, Row, std::less<>> rows;
  for (const auto& b : spot.venue->balances(a.spot_id)) {
    Row& r = rows[b.asset];
    r.cash = dadd(r.cash, dadd(b.free, b.locked));
    r.avail = dadd(r.avail, b.free);
    r.ord_frozen = dadd(r.ord_frozen, b.locked);
  }
  Decimal upl;
  for (const auto& p : swap.venue->positions(a.swap_id)) upl = dadd(upl, p.unrealized_pnl);
  const Decimal wallet = swap.venue->wallet_balance(a.swap_id);
  const Decimal swap_avail = swap.venue->available_balance(a.swap_id);
  if (!wallet.is_zero() || !upl.is_zero() || rows.count("USDT")) {
    Row& r = rows["USDT"];
    r.cash = dadd(r.cash, wallet);
    r.upl = upl;
    // The SWAP wallet's available part: wallet + upl - margins (the core's figure), never
    // above the wallet itself (OKX's availBal leaves unrealised profit out).
    r.avail = dadd(r.avail, std::min(wallet, std::max(Decimal{}, swap_avail)));
  }
  const std::string now = std::to_string(now_ms());
  Decimal total, total_upl;
  JsonOut details;
  details.arr();
  for (const auto& [ccy, r] : rows) {
    const Decimal eq = dadd(r.cash, r.upl);
    const auto usd = usd_price(ccy);
    const Decimal eq_usd = usd ? dmul(eq, *usd) : Decimal{};
    total = dadd(total, eq_usd);
    total_upl = dadd(total_upl, usd ? dmul(r.upl, *usd) : Decimal{});
    if (only != nullptr && !only->count(ccy)) continue;
    if (r.cash.is_zero() && r.upl.is_zero() && only == nullptr) continue;
    details.obj().kv("ccy", ccy).kv("eq", text(eq)).kv("cashBal", text(r.cash)).kv("uTime", now);
    details.kv("isoEq", "0").kv("availEq", text(r.avail)).kv("disEq", text(eq_usd)).kv("fixedBal", "0");
    details.kv("availBal", text(r.avail)).kv("frozenBal", text(dsub(eq, r.avail))).kv("ordFrozen", text(r.ord_frozen));
    details.kv("liab", "").kv("upl", text(r.upl)).kv("uplLiab", "").kv("crossLiab", "").kv("isoLiab", "");
    details.kv("mgnRatio", "").kv("interest", "").kv("twap", "0").kv("maxLoan", "").kv("eqUsd", text(eq_usd));
    details.kv("borrowFroz", "").kv("notionalLever", "").kv("stgyEq", "0").kv("isoUpl", "0").kv("spotInUseAmt", "");
    details.kv("clSpotInUseAmt", "").kv("maxSpotInUse", "").kv("spotIsoBal", "0").kv("imr", "").kv("mmr", "");
    details.kv("smtSyncEq", "0").kv("spotCopyTradingEq", "0").kv("spotBal", "").kv("openAvgPx", "").kv("accAvgPx", "");
    details.kv("spotUpl", "").kv("spotUplRatio", "").kv("totalPnl", "").kv("totalPnlRatio", "").kv("rewardBal", "0");
    details.kb("collateralEnabled", false).end_obj();
  }
  details.end_arr();
  j.obj().kv("uTime", now).kv("totalEq", text(total)).kv("isoEq", "0").kv("adjEq", "").kv("availEq", "");
  j.kv("ordFroz", "").kv("imr", "").kv("mmr", "").kv("borrowFroz", "").kv("mgnRatio", "").kv("notionalUsd", "");
  j.kv("notionalUsdForBorrow", "").kv("notionalUsdForSwap", "").kv("notionalUsdForFutures", "");
  j.kv("notionalUsdForOption", "").kv("upl", text(total_upl)).key("details").raw(details.text()).end_obj();
}

OkxFront::Impl::Answer OkxFront::Impl::balance(Account& a, const Args& p) {
  p.only({"ccy"});
  std::set<std::string, std::less<>> only;
  if (const auto ccy = p.text("ccy")) {
    std::string_view rest = *ccy;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      only.emplace(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    constexpr std::size_t kMaxCcys = 20;  // "Multiple currencies (no more than 20)"
    if (only.size() > kMaxCcys) param_error("ccy", "no more than 20 currencies");
  }
  JsonOut j;
  j.arr();
  balance_json(j, a, only.empty() ? nullptr : &only);
  j.end_arr();
  return {kOk, "", j.take()};
}

void OkxFront::Impl::position_json(JsonOut& j, Account& a, const sim::PositionView& p) {
  const OkxInstrument& oi = swap.instruments[p.symbol];
  const int idx = p.position_side == PositionSide::kLong ? 1 : p.position_side == PositionSide::kShort ? 2 : 0;
  PositionState& st = a.positions[{p.symbol, idx}];
  const Decimal contracts = to_okx(oi, p.amount);
  const Decimal pos = a.hedge ? dabs(contracts) : contracts;
  const auto mark = swap.venue->mark_price(p.symbol);
  const auto last = swap.venue->last_price(p.symbol);
  const Decimal notional = mark ? dmul(dabs(p.amount), *mark) : Decimal{};
  const Decimal margin = p.leverage > 0 ? ddiv(dmul(dabs(p.amount), p.entry_price), Decimal::from_raw(p.leverage * Decimal::kOne)) : Decimal{};
  const Decimal pnl = dsub(p.realized_pnl, st.realized_at_open);
  j.obj().kv("adl", "1").kv("availPos", p.amount.is_zero() ? "" : text(dabs(contracts))).kv("avgPx", p.amount.is_zero() ? "" : text(p.entry_price));
  j.kv("cTime", std::to_string(st.created_ms)).kv("ccy", oi.venue.symbol.settle).kv("deltaBS", "").kv("deltaPA", "");
  j.kv("gammaBS", "").kv("gammaPA", "").kv("thetaBS", "").kv("thetaPA", "").kv("vegaBS", "").kv("vegaPA", "");
  j.kv("imr", st.mgn_mode == "cross" ? text(margin) : "").kv("instId", oi.venue.venue_symbol).kv("instType", "SWAP");
  j.kv("interest", "").kv("idxPx", mark ? text(*mark) : "").kv("last", last ? text(*last) : "");
  j.kv("usdPx", "").kv("bePx", "").kv("lever", std::to_string(p.leverage)).kv("liab", "").kv("liabCcy", "");
  j.kv("liqPx", "").kv("markPx", mark ? text(*mark) : "").kv("margin", st.mgn_mode == "isolated" ? text(margin) : "");
  j.kv("mgnMode", st.mgn_mode).kv("mgnRatio", "").kv("mmr", "0").kv("notionalUsd", text(notional)).kv("optVal", "");
  j.kv("pendingCloseOrdLiabVal", "").kv("pos", text(pos)).kv("baseBorrowed", "").kv("baseInterest", "");
  j.kv("quoteBorrowed", "").kv("quoteInterest", "").kv("posCcy", "").kv("posId", std::to_string(st.pos_id));
  j.kv("posSide", pos_side_text(a, p.position_side)).kv("spotInUseAmt", "").kv("spotInUseCcy", "").kv("clSpotInUseAmt", "");
  j.kv("maxSpotInUseAmt", "").kv("bizRefId", "").kv("bizRefType", "").kv("tradeId", st.last_trade_id);
  j.kv("upl", text(p.unrealized_pnl)).kv("uplLastPx", text(p.unrealized_pnl));
  const Decimal base_margin = dmul(dabs(p.amount), p.entry_price);
  j.kv("uplRatio", margin.is_zero() || base_margin.is_zero() ? "0" : text(ddiv(p.unrealized_pnl, margin)));
  j.kv("uplRatioLastPx", margin.is_zero() ? "0" : text(ddiv(p.unrealized_pnl, margin)));
  j.kv("realizedPnl", text(dadd(pnl, st.fee))).kv("pnl", text(pnl)).kv("fee", text(st.fee)).kv("fundingFee", "0");
  j.kv("liqPenalty", "0").key("closeOrderAlgo").arr().end_arr().kv("uTime", std::to_string(st.updated_ms)).end_obj();
}

OkxFront::Impl::Answer OkxFront::Impl::positions(Account& a, const Args& p) {
  p.only({"instType", "instId", "posId"});
  const auto type = p.text("instType");
  if (type && *type != "SWAP" && *type != "MARGIN" && *type != "FUTURES" && *type != "OPTION") param_error("instType", *type);
  const auto inst = p.text("instId");
  std::set<std::string, std::less<>> ids;
  if (const auto pid = p.text("posId")) {
    std::string_view rest = *pid;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      ids.emplace(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  JsonOut j;
  j.arr();
  if (!type || *type == "SWAP") {
    for (const auto& pv : swap.venue->positions(a.swap_id)) {
      if (inst && *inst != swap.instruments[pv.symbol].venue.venue_symbol) continue;
      const int idx = pv.position_side == PositionSide::kLong ? 1 : pv.position_side == PositionSide::kShort ? 2 : 0;
      if (!ids.empty() && !ids.count(std::to_string(a.positions[{pv.symbol, idx}].pos_id))) continue;
      position_json(j, a, pv);
    }
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::set_leverage(Account& a, const Args& p) {
  p.only({"instId", "ccy", "lever", "mgnMode", "posSide"});
  if (p.has("ccy") && !p.has("instId")) param_error("ccy", "spot margin leverage is not supported by venue-sim");
  auto [cp, s] = instrument_of(p);
  if (cp->spot()) param_error("instId", "leverage is for SWAP (spot margin is not supported by venue-sim)");
  const std::string mode = p.required("mgnMode");
  if (mode != "cross" && mode != "isolated") param_error("mgnMode", mode);
  if (const auto ps = p.text("posSide"); ps && (mode != "isolated" || !a.hedge || (*ps != "long" && *ps != "short")))
    param_error("posSide", *ps + " (only for isolated margin in long_short_mode)");
  const auto lever = p.decimal("lever");
  if (!lever) empty_param("lever");
  const OkxInstrument& oi = cp->instruments[s];
  if (!lever->is_multiple_of(Decimal::from_raw(Decimal::kOne)) || *lever < Decimal::from_raw(Decimal::kOne) ||
      *lever > Decimal::from_raw(oi.max_lever * Decimal::kOne))
    param_error("lever", text(*lever) + " (venue-sim keeps whole leverage, 1 to " + std::to_string(oi.max_lever) + ")");
  const int n = static_cast<int>(lever->raw() / Decimal::kOne);
  if (auto r = swap.venue->set_leverage(a.swap_id, s, n); !r.ok()) param_error("lever", r.error().msg);
  a.lever[{s, mode}] = n;
  JsonOut j;
  j.arr().obj().kv("lever", std::to_string(n)).kv("mgnMode", mode).kv("instId", oi.venue.venue_symbol);
  j.kv("posSide", p.text("posSide").value_or("")).end_obj().end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::set_position_mode(Account& a, const Args& p) {
  p.only({"posMode"});
  const std::string mode = p.required("posMode");
  if (mode != "long_short_mode" && mode != "net_mode") param_error("posMode", mode);
  const bool hedge = mode == "long_short_mode";
  if (hedge != a.hedge) {
    bool busy = !swap.venue->positions(a.swap_id).empty();
    for (sim::SymbolIndex s = 0; s < swap.instruments.size() && !busy; ++s) busy = !swap.venue->open_orders(a.swap_id, s).empty();
    if (busy) refuse(kSettings, "Settings failed. Please close any open positions or pending orders before modifying settings.");
    if (auto r = swap.venue->set_hedge_mode(a.swap_id, hedge); !r.ok()) refuse(kSettings, "Settings failed. (" + r.error().msg + ")");
    a.hedge = hedge;
  }
  JsonOut j;
  j.arr().obj().kv("posMode", mode).end_obj().end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::account_config(Account& a) {
  JsonOut j;
  j.arr().obj().kv("uid", a.uid).kv("mainUid", a.uid).kv("acctLv", "2").kv("acctStpMode", "cancel_maker");
  j.kv("posMode", a.hedge ? "long_short_mode" : "net_mode").kb("autoLoan", false).kv("greeksType", "PA");
  j.kv("level", "Lv1").kv("levelTmp", "").kv("ctIsoMode", "automatic").kv("mgnIsoMode", "automatic");
  j.kv("spotOffsetType", "").kv("roleType", "0").key("traderInsts").arr().end_arr().kv("spotRoleType", "0");
  j.key("spotTraderInsts").arr().end_arr().kv("opAuth", "0").kv("kycLv", "1").kv("label", a.spec.name);
  j.kv("ip", "").kv("perm", "read_only,trade").kv("liquidationGear", "-1").kb("enableSpotBorrow", false);
  j.kb("spotBorrowAutoRepay", false).kv("type", "0").kv("settleCcy", "USDT").key("settleCcyList").arr().str("USDT").end_arr();
  j.end_obj().end_arr();
  return {kOk, "", j.take()};
}

// GET /api/v5/asset/currencies: the currencies the instruments trade, each on one chain named
// as OKX names chains (CCY-network); venue-sim has no deposits or withdrawals, so none is open
// (canDep / canWd false) -- what a client reads from a venue that has suspended them.
OkxFront::Impl::Answer OkxFront::Impl::currencies(const Args& p) {
  p.only({"ccy"});
  std::set<std::string, std::less<>> listed;
  for (const Category* c : {&spot, &swap}) {
    for (const auto& oi : c->instruments) {
      listed.insert(oi.venue.symbol.base);
      listed.insert(oi.venue.symbol.quote);
    }
  }
  std::set<std::string, std::less<>> asked;
  if (const auto t = p.text("ccy")) {
    std::string_view rest = *t;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      asked.emplace(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  JsonOut j;
  j.arr();
  for (const auto& ccy : listed) {
    if (!asked.empty() && asked.count(ccy) == 0) continue;
    j.obj().kv("ccy", ccy).kv("name", ccy).kv("logoLink", "").kv("chain", ccy + "-venue-sim").kv("ctAddr", "");
    j.kb("canDep", false).kb("canWd", false).kb("canInternal", false).kv("depEstOpenTime", "").kv("wdEstOpenTime", "");
    j.kv("minDep", "0").kv("minWd", "0").kv("maxWd", "0").kv("wdTickSz", "8").kv("wdQuota", "0").kv("usedWdQuota", "0");
    j.kv("fee", "0").kv("minFee", "0").kv("maxFee", "0").kv("minFeeForCtAddr", "").kv("maxFeeForCtAddr", "");
    j.kv("burningFeeRate", "").kb("mainNet", true).kb("needTag", false).kv("minDepArrivalConfirm", "0");
    j.kv("minWdUnlockConfirm", "0").kv("depQuotaFixed", "").kv("usedDepQuotaFixed", "").kv("depQuoteDailyLayer2", "");
    j.end_obj();
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::trade_fee(Account& a, const Args& p) {
  p.only({"instType", "instId", "uly", "instFamily", "ruleType"});
  const std::string type = p.required("instType");
  if (type != "SPOT" && type != "SWAP" && type != "MARGIN" && type != "FUTURES" && type != "OPTION") param_error("instType", type);
  if (const auto id = p.text("instId")) {
    const auto r = instrument(*id);
    if (!r || r->first->type() != type) refuse(kNoInstrument, "Instrument ID does not exist. (" + *id + ")");
  }
  // OKX's sign: negative = a commission charged (maker and taker both charged at Lv1). SPOT
  // rates in maker / taker; USDT-margined contracts in makerU / takerU.
  const bool spot_t = type == "SPOT" || type == "MARGIN";
  const auto& s = a.spec;
  JsonOut j;
  j.arr().obj().kv("category", "1").kv("delivery", "").kv("exercise", "").kv("instType", type).kv("level", "Lv1");
  j.kv("maker", spot_t ? neg(s.spot_maker) : "").kv("taker", spot_t ? neg(s.spot_taker) : "");
  j.kv("makerU", spot_t ? "" : neg(s.swap_maker)).kv("takerU", spot_t ? "" : neg(s.swap_taker));
  j.kv("makerUSDC", "").kv("takerUSDC", "").kv("ruleType", "normal").key("fiat").arr().end_arr();
  j.kv("ts", std::to_string(now_ms())).end_obj().end_arr();
  return {kOk, "", j.take()};
}

}  // namespace oms::venue_sim
