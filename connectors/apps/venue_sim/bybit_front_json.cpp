// venue-sim's Bybit front: ids, decimals as Bybit prints them, and the v5 renderings of an
// order, an execution, a position and the unified wallet (REST items and topic items alike).
#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "bybit_front_impl.hpp"

namespace oms::venue_sim {

namespace bysim {

Decimal dmul(Decimal a, Decimal b, Rounding r) { return or_zero(a.mul(b, r)); }
Decimal ddiv(Decimal a, Decimal b, Rounding r) { return b.is_zero() ? Decimal{} : or_zero(a.div(b, r)); }

int price_decimals(const Instrument& in) noexcept {
  constexpr int kMinPriceScale = 2;  // Bybit's priceScale: BTCUSDT linear ticks 0.10, prints 2
  return std::max(kMinPriceScale, in.rules.tick_size.decimals());
}
int qty_decimals(const Instrument& in) noexcept { return in.rules.step_size.decimals(); }

std::string fixed(Decimal d, int decimals) {
  if (decimals >= 0) {
    if (auto f = d.to_fixed(decimals); f.ok()) return *f;
  }
  return d.to_string();
}
std::string text(Decimal d) { return d.to_string(); }
std::string hex16(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}
std::string ms_text(std::int64_t ms) { return std::to_string(ms); }
const char* side_text(Side s) noexcept { return s == Side::kBuy ? "Buy" : "Sell"; }
int position_idx(PositionSide s) noexcept {
  switch (s) {
    case PositionSide::kLong: return 1;
    case PositionSide::kShort: return 2;
    case PositionSide::kBoth: break;
  }
  return 0;
}

namespace {

// Spot ids: 19-digit numbers as Bybit's ("1321003749386327552"): base + salt + symbol + id.
constexpr std::uint64_t kSpotOrderBase = 1'000'000'000'000'000'000ULL;
constexpr std::uint64_t kSpotExecBase = 2'000'000'000'000'000'000ULL;
constexpr std::uint64_t kSpotPrintBase = 3'000'000'000'000'000'000ULL;
constexpr std::uint64_t kSaltUnit = 10'000'000'000'000'000ULL;  // 100 salts
constexpr std::uint64_t kSymbolUnit = 1'000'000'000'000ULL;     // 10,000 symbols, 10^12 ids
constexpr std::uint64_t kSalts = 100;

std::string spot_number(std::uint64_t base, std::uint64_t salt, sim::SymbolIndex s, std::uint64_t n) {
  return std::to_string(base + (salt % kSalts) * kSaltUnit + s * kSymbolUnit + n % kSymbolUnit);
}

// Linear ids: UUID text ("c6f055d9-7f21-4079-913d-e6523a9cfffa"): salt-symbol-version+salt-
// variant+salt-id, the version nibble telling orders (4), executions (5) and prints (6) apart.
std::string uuid(std::uint64_t salt, char version, char variant, sim::SymbolIndex s, std::uint64_t n) {
  char buf[48];
  const auto u64 = [](auto v) { return static_cast<std::uint64_t>(v); };
  std::snprintf(buf, sizeof buf, "%08" PRIx64 "-%04x-%c%03" PRIx64 "-%c%03" PRIx64 "-%012" PRIx64,
                u64(salt & 0xffffffffULL), s & 0xffffU, version, u64((salt >> 32U) & 0xfffULL), variant,
                u64((salt >> 44U) & 0xfffULL), u64(n & 0xffffffffffffULL));
  return buf;
}

bool hex_field(std::string_view t, std::size_t at, std::size_t len, std::uint64_t& out) {
  const auto r = std::from_chars(t.data() + at, t.data() + at + len, out, 16);
  return r.ec == std::errc() && r.ptr == t.data() + at + len;
}

}  // namespace

std::string order_id_text(const Category& c, std::uint64_t salt, sim::SymbolIndex s, std::int64_t id) {
  const auto n = static_cast<std::uint64_t>(id);
  return c.spot() ? spot_number(kSpotOrderBase, salt, s, n) : uuid(salt, '4', '8', s, n);
}

std::optional<std::pair<sim::SymbolIndex, std::int64_t>> parse_order_id(const Category& c,
                                                                      std::uint64_t salt,
                                                                      std::string_view t) {
  std::uint64_t s = 0, id = 0;
  if (c.spot()) {
    std::uint64_t v = 0;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size() || v < kSpotOrderBase) return std::nullopt;
    v -= kSpotOrderBase;
    if (v / kSaltUnit != salt % kSalts) return std::nullopt;
    s = (v % kSaltUnit) / kSymbolUnit;
    id = v % kSymbolUnit;
  } else {
    constexpr std::size_t kUuidChars = 36;
    if (t.size() != kUuidChars || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' || t[14] != '4' ||
        t[19] != '8')
      return std::nullopt;
    std::uint64_t g1 = 0, g3 = 0, g4 = 0;
    if (!hex_field(t, 0, 8, g1) || !hex_field(t, 9, 4, s) || !hex_field(t, 15, 3, g3) || !hex_field(t, 20, 3, g4) ||
        !hex_field(t, 24, 12, id))
      return std::nullopt;
    if (g1 != (salt & 0xffffffffULL) || g3 != ((salt >> 32U) & 0xfffULL) || g4 != ((salt >> 44U) & 0xfffULL))
      return std::nullopt;
  }
  if (id == 0 || s >= c.symbols.size()) return std::nullopt;
  return std::pair{static_cast<sim::SymbolIndex>(s), static_cast<std::int64_t>(id)};
}

std::string exec_id_text(const Category& c, std::uint64_t salt, sim::SymbolIndex s, std::int64_t trade_id,
                         bool maker) {
  // Maker and taker of one trade share the venue's trade id; their executions do not.
  const std::uint64_t n = static_cast<std::uint64_t>(trade_id) * 2U + (maker ? 1U : 0U);
  return c.spot() ? spot_number(kSpotExecBase, salt, s, n) : uuid(salt, '5', 'a', s, n);
}

std::string print_id_text(const Category& c, std::uint64_t salt, sim::SymbolIndex s, std::uint64_t n) {
  return c.spot() ? spot_number(kSpotPrintBase, salt, s, n) : uuid(salt, '6', 'b', s, n);
}

OrderRow row_of(const sim::OrderView& o) {
  OrderRow r;
  r.symbol = o.symbol;
  r.order_id = o.order_id;
  r.client_id = o.client_order_id;
  r.side = o.side;
  r.type = o.type;
  r.tif = o.tif;
  r.price = o.price;
  r.quantity = o.quantity;
  r.stop_price = o.stop_price;
  r.quote_order_qty = o.quote_order_qty;
  r.cum_qty = o.executed_qty;
  r.cum_quote = o.cum_quote;
  r.status = o.status;
  r.reduce_only = o.reduce_only;
  r.position_side = o.position_side;
  r.created = o.time;
  r.updated = o.update_time;
  return r;
}

OrderRow row_of(const sim::ExecutionReport& e) {
  OrderRow r;
  r.symbol = e.symbol;
  r.order_id = e.order_id;
  r.client_id = e.client_order_id;
  r.side = e.side;
  r.type = e.type;
  r.tif = e.tif;
  r.price = e.price;
  r.quantity = e.quantity;
  r.stop_price = e.stop_price;
  r.quote_order_qty = e.quote_order_qty;
  r.cum_qty = e.cum_qty;
  r.cum_quote = e.cum_quote;
  r.status = e.status;
  r.reduce_only = e.reduce_only;
  r.position_side = e.position_side;
  r.created = e.order_time;
  r.updated = e.transaction_time;
  return r;
}

}  // namespace bysim

using namespace bysim;

namespace {

std::int64_t ms(TimeNs t) { return t / 1'000'000; }

const char* tif_text(sim::SimTif t, bool market) {
  if (market) return "IOC";  // "Market order will always use IOC"
  switch (t) {
    case sim::SimTif::kIoc: return "IOC";
    case sim::SimTif::kFok: return "FOK";
    case sim::SimTif::kGtx: return "PostOnly";
    case sim::SimTif::kGtc: break;
  }
  return "GTC";
}

}  // namespace

const char* bysim::order_status_text(const Category& c, const OrderRow& r, const OrderMeta& m) {
  switch (r.status) {
    case sim::SimStatus::kNew: return m.conditional && !m.triggered ? "Untriggered" : "New";
    case sim::SimStatus::kPartiallyFilled: return "PartiallyFilled";
    case sim::SimStatus::kFilled: return "Filled";
    case sim::SimStatus::kRejected: return "Rejected";
    case sim::SimStatus::kCanceled:
    case sim::SimStatus::kExpired:
    case sim::SimStatus::kExpiredInMatch: break;
  }
  if (m.conditional && !m.triggered) return "Deactivated";
  if (c.spot() && r.cum_qty.is_positive()) return "PartiallyFilledCanceled";
  return "Cancelled";
}

void BybitFront::Impl::order_json(JsonOut& j, const Category& c, const OrderRow& r, const OrderMeta& m,
                                  bool ws, const char* status_override) {
  const Instrument& ins = c.venue->instrument(r.symbol);
  const int pd = price_decimals(ins), qd = qty_decimals(ins);
  const bool limit = sim::has_limit(r.type);
  const bool open = r.status == sim::SimStatus::kNew || r.status == sim::SimStatus::kPartiallyFilled;
  const Decimal leaves = open ? dsub(r.quantity, r.cum_qty) : Decimal{};
  j.obj();
  if (ws) j.kv("category", c.name());
  j.kv("symbol", ins.venue_symbol).kv("orderId", order_id(c, r.symbol, r.order_id));
  j.kv("orderLinkId", m.link_given ? r.client_id : std::string());
  j.kv("blockTradeId", "").kv("side", side_text(r.side)).kv("orderType", limit ? "Limit" : "Market");
  j.kv("price", limit ? fixed(r.price, pd) : std::string("0"));
  // A spot market order by quote amount keeps its qty in the quote coin (marketUnit quoteCoin).
  j.kv("qty", m.quote_unit ? text(r.quote_order_qty) : fixed(r.quantity, qd));
  j.kv("timeInForce", tif_text(r.tif, !limit));
  j.kv("orderStatus", status_override != nullptr ? status_override : order_status_text(c, r, m));
  const bool ended = !open && status_override == nullptr;
  j.kv("cancelType", ended && !m.cancel_type.empty() ? m.cancel_type : std::string("UNKNOWN"));
  j.kv("rejectReason", ended && !m.reject_reason.empty() ? m.reject_reason : std::string("EC_NoError"));
  j.kv("avgPrice", r.cum_qty.is_positive() ? text(ddiv(r.cum_quote, r.cum_qty)) : std::string());
  j.kv("leavesQty", fixed(leaves, qd)).kv("leavesValue", limit ? text(dmul(leaves, r.price)) : std::string("0"));
  j.kv("cumExecQty", fixed(r.cum_qty, qd)).kv("cumExecValue", text(r.cum_quote));
  j.kv("cumExecFee", text(m.cum_fee)).kv("feeCurrency", m.fee_currency);
  if (ws) j.kv("closedPnl", text(m.closed_pnl));
  j.kv("isLeverage", c.spot() ? "0" : "").kn("positionIdx", position_idx(r.position_side));
  if (!c.spot()) j.kv("createType", "CreateByUser");
  j.kv("stopOrderType", m.conditional ? "Stop" : "").kv("orderIv", "");
  j.kv("marketUnit", c.spot() && !limit ? (m.quote_unit ? "quoteCoin" : "baseCoin") : "");
  j.kv("triggerPrice", m.conditional ? fixed(r.stop_price, pd) : std::string("0"));
  j.kn("triggerDirection", m.trigger_direction).kv("triggerBy", m.conditional ? "LastPrice" : "");
  j.kv("takeProfit", "0").kv("stopLoss", "0").kv("tpslMode", "").kv("tpLimitPrice", "0").kv("slLimitPrice", "0");
  j.kv("tpTriggerBy", "").kv("slTriggerBy", "");
  j.kv("lastPriceOnCreated", text(m.last_price_on_created)).kb("reduceOnly", m.reduce_only);
  j.kb("closeOnTrigger", false).kv("placeType", "").kv("smpType", m.smp_type).kn("smpGroup", 0);
  j.kv("smpOrderId", "").kv("slippageToleranceType", "UNKNOWN").kv("slippageTolerance", "0");
  j.kv("createdTime", ms_text(ms(r.created))).kv("updatedTime", ms_text(ms(r.updated)));
  j.end_obj();
}

void BybitFront::Impl::execution_json(JsonOut& j, const Category& c, const Execution& e, bool ws) {
  const Instrument& ins = c.venue->instrument(e.symbol);
  const int pd = price_decimals(ins), qd = qty_decimals(ins);
  j.obj();
  if (ws) j.kv("category", c.name());
  j.kv("symbol", ins.venue_symbol).kv("orderId", order_id(c, e.symbol, e.order_id)).kv("orderLinkId", e.link_id);
  j.kv("side", side_text(e.side)).kv("orderPrice", e.market_order ? std::string("0") : fixed(e.order_price, pd));
  j.kv("orderQty", text(e.order_qty)).kv("leavesQty", fixed(e.leaves_qty, qd));
  if (!c.spot()) j.kv("createType", "CreateByUser");
  j.kv("orderType", e.market_order ? "Market" : "Limit").kv("stopOrderType", e.conditional ? "Stop" : "");
  j.kv("execFee", text(e.fee)).kv("execId", e.exec_id).kv("execPrice", fixed(e.price, pd));
  j.kv("execQty", fixed(e.qty, qd)).kv("execType", "Trade").kv("execValue", text(dmul(e.price, e.qty)));
  j.kv("execTime", ms_text(e.time_ms)).kv("feeCurrency", e.fee_currency).kb("isMaker", e.maker);
  j.kv("feeRate", text(e.fee_rate)).kv("tradeIv", "").kv("markIv", "");
  j.kv("markPrice", c.spot() ? std::string() : fixed(e.mark, pd)).kv("indexPrice", "").kv("underlyingPrice", "");
  j.kv("blockTradeId", "").kv("closedSize", fixed(e.closed_size, qd));
  if (ws) j.kv("execPnl", text(e.pnl));
  if (c.spot()) j.kv("isLeverage", "0");
  j.kn("seq", static_cast<std::int64_t>(e.seq)).end_obj();
}

void BybitFront::Impl::position_json(JsonOut& j, UtaAccount& a, const sim::PositionView& p, bool ws) {
  const Instrument& ins = linear.venue->instrument(p.symbol);
  const int pd = price_decimals(ins), qd = qty_decimals(ins);
  const Decimal size = dabs(p.amount);
  const Decimal mark = linear.venue->mark_price(p.symbol).value_or(Decimal{});
  const Decimal value = dmul(size, p.entry_price);
  const Decimal im = ddiv(value, Decimal::from_raw(p.leverage * Decimal::kOne), Rounding::kUp);
  const int idx = position_idx(p.position_side);
  const PositionTimes& t = a.positions[{p.symbol, idx}];
  j.obj();
  if (ws) j.kv("category", "linear");
  j.kv("symbol", ins.venue_symbol).kn("positionIdx", idx).kn("riskId", 1).kv("riskLimitValue", "2000000");
  j.kv("side", p.amount.is_positive() ? "Buy" : p.amount.is_negative() ? "Sell" : "");
  j.kv("size", fixed(size, qd)).kv(ws ? "entryPrice" : "avgPrice", fixed(p.entry_price, pd));
  j.kv("sessionAvgPrice", "").kv("positionValue", text(value));
  // UTA 2.0 reports tradeMode 0 always (the margin mode is the account's: /v5/account/info).
  j.kn("tradeMode", 0).kn("autoAddMargin", 0).kv("positionStatus", "Normal");
  j.kv("leverage", std::to_string(p.leverage)).kv("markPrice", fixed(mark, pd));
  // No liquidation in venue-sim: no liquidation or bankruptcy price, no maintenance margin.
  j.kv("liqPrice", "").kv("bustPrice", "").kv("positionIM", text(im)).kv("positionMM", "0");
  j.kv("positionBalance", text(im)).kv("takeProfit", "0").kv("stopLoss", "0").kv("trailingStop", "0");
  j.kv("unrealisedPnl", text(p.unrealized_pnl)).kv("curRealisedPnl", text(dsub(p.realized_pnl, t.realized_at_open)));
  j.kv("cumRealisedPnl", text(p.realized_pnl)).kn("adlRankIndicator", size.is_zero() ? 0 : 1);
  j.kb("isReduceOnly", false).kv("mmrSysUpdatedTime", "").kv("leverageSysUpdatedTime", "");
  j.kv("tpslMode", "Full").kv("createdTime", ms_text(t.created_ms)).kv("updatedTime", ms_text(t.updated_ms));
  j.kn("seq", static_cast<std::int64_t>(linear.feeds[p.symbol].seq)).end_obj();
}

std::optional<Decimal> BybitFront::Impl::usd_price(std::string_view coin) const {
  // USDT counts 1:1 (Bybit values it at its USD index, about 1); other coins at venue-sim's
  // spot <coin>USDT mid, else its last trade.
  if (coin == "USDT") return Decimal::from_raw(Decimal::kOne);
  const auto s = spot.venue->find_symbol(std::string(coin) + "USDT");
  if (!s) return std::nullopt;
  return spot.venue->mark_price(*s);
}

void BybitFront::Impl::wallet_json(JsonOut& j, const UtaAccount& a, const std::set<std::string, std::less<>>* only) {
  const sim::Venue& lv = *linear.venue;
  const Decimal lin_wallet = lv.wallet_balance(a.linear_id);
  Decimal upnl, pos_im;
  for (const auto& p : lv.positions(a.linear_id)) {
    upnl = dadd(upnl, p.unrealized_pnl);
    pos_im = dadd(pos_im, ddiv(dmul(dabs(p.amount), p.entry_price), Decimal::from_raw(p.leverage * Decimal::kOne),
                               Rounding::kUp));
  }
  // The venue's available = wallet + unrealised - position IM - order IM: order IM follows.
  Decimal order_im = dsub(dsub(dadd(lin_wallet, upnl), pos_im), lv.available_balance(a.linear_id));
  if (order_im.is_negative()) order_im = Decimal{};
  std::map<std::string, std::pair<Decimal, Decimal>, std::less<>> coins;  // coin -> wallet, locked
  for (const auto& b : spot.venue->balances(a.spot_id)) coins[b.asset] = {dadd(b.free, b.locked), b.locked};
  coins["USDT"].first = dadd(coins["USDT"].first, lin_wallet);
  Decimal total_wallet, total_equity;
  JsonOut list;
  list.arr();
  for (const auto& [coin, wl] : coins) {
    const bool usdt = coin == "USDT";
    const Decimal equity = usdt ? dadd(wl.first, upnl) : wl.first;
    if (only != nullptr ? only->count(coin) == 0 : (wl.first.is_zero() && equity.is_zero())) continue;
    const Decimal px = usd_price(coin).value_or(Decimal{});
    const Decimal usd = dmul(equity, px);
    total_wallet = dadd(total_wallet, dmul(wl.first, px));
    total_equity = dadd(total_equity, usd);
    list.obj().kv("coin", coin).kv("equity", text(equity)).kv("usdValue", text(usd));
    list.kv("walletBalance", text(wl.first)).kv("locked", text(wl.second)).kv("spotHedgingQty", "0");
    list.kv("borrowAmount", "0").kv("availableToWithdraw", "").kv("availableToBorrow", "");
    list.kv("accruedInterest", "0").kv("totalOrderIM", usdt ? text(order_im) : std::string("0"));
    list.kv("totalPositionIM", usdt ? text(pos_im) : std::string("0")).kv("totalPositionMM", "0");
    list.kv("unrealisedPnl", usdt ? text(upnl) : std::string("0"));
    list.kv("cumRealisedPnl", usdt ? text(a.linear_realized) : std::string("0")).kv("bonus", "0");
    list.kb("collateralSwitch", true).kb("marginCollateral", true).end_obj();
  }
  list.end_arr();
  // UtaAccount-wide figures in USD. venue-sim margins linear orders with the linear wallet alone;
  // these totals are the unified account's view (spot coins count as collateral).
  const Decimal margin = dadd(total_wallet, upnl);
  const Decimal im = dadd(pos_im, order_im);
  constexpr Decimal kRateStep = Decimal::from_raw(100'000);  // rates to 1e-4 as Bybit prints them
  j.obj().kv("accountType", "UNIFIED").kv("accountLTV", "");
  j.kv("accountIMRate", text(or_zero(ddiv(im, margin).round_to(kRateStep, Rounding::kHalfEven))));
  j.kv("accountMMRate", "0").kv("totalEquity", text(total_equity)).kv("totalWalletBalance", text(total_wallet));
  j.kv("totalMarginBalance", text(margin)).kv("totalAvailableBalance", text(dsub(margin, im)));
  j.kv("totalPerpUPL", text(upnl)).kv("totalInitialMargin", text(im)).kv("totalMaintenanceMargin", "0");
  j.key("coin").raw(list.text()).end_obj();
}

}  // namespace oms::venue_sim
