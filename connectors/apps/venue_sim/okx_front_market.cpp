// venue-sim's OKX front: the public endpoints (public/time, public/instruments, market/books,
// market/ticker(s), market/trades), the default instruments and the trade record the tickers
// are computed from.
#include <algorithm>

#include "okx_front_impl.hpp"

namespace oms::venue_sim {

using namespace okxsim;

namespace {

Decimal dec(const char* s) { return *Decimal::parse(s); }

constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1'000;

std::int64_t limit_of(const Args& p, const char* key, std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
  const auto l = p.integer(key);
  if (!l) return fallback;
  if (*l < lo || *l > hi) param_error(key, std::to_string(*l) + " is not in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return *l;
}

void inst_type_check(const Category& c, const Args& p) {
  if (const auto t = p.text("instType"); t && *t != c.type()) param_error("instType", *t + " does not match the instrument's " + c.type());
}

}  // namespace

std::vector<OkxInstrument> default_okx_instruments(Market m) {
  // SPOT figures from OKX's public/instruments answers for BTC-USD / ETH-USD (the shared
  // nautilus fixtures), which OKX lists alike for the USDT pairs: BTC tick 0.1, lot 0.00000001,
  // minSz 0.00001; ETH tick 0.01, lot 0.000001, minSz 0.0001; maxLmtSz 9999999999, maxMktSz
  // 1000000 (USDT). SWAP: ctVal 0.01 BTC / 0.1 ETH, tick 0.1 / 0.01, lot and minSz 0.01
  // contracts, maxLmtSz 100000000 (the fixtures' ETH-USDT-SWAP); maxMktSz 20000 contracts for
  // ETH (the fixture), 12000 for BTC (venue-sim's choice, the same notional order). OKX has no
  // minimum notional. Pending orders: 500 an instrument (venue-sim's cap, as on Bybit).
  std::vector<OkxInstrument> out;
  const bool spot = m == Market::kSpot;
  for (const char* base : {"BTC", "ETH"}) {
    const bool btc = std::string_view(base) == "BTC";
    OkxInstrument o;
    o.tick_sz = btc ? dec("0.1") : dec("0.01");
    if (spot) {
      o.lot_sz = btc ? dec("0.00000001") : dec("0.000001");
      o.min_sz = btc ? dec("0.00001") : dec("0.0001");
      o.max_lmt_sz = dec("9999999999");
      o.max_mkt_sz = dec("1000000");
    } else {
      o.ct_val = btc ? dec("0.01") : dec("0.1");
      o.lot_sz = dec("0.01");
      o.min_sz = dec("0.01");
      o.max_lmt_sz = dec("100000000");
      o.max_mkt_sz = btc ? dec("12000") : dec("20000");
    }
    Instrument& ins = o.venue;
    ins.exchange = ExchangeId::kOkx;
    ins.market = m;
    ins.venue_symbol = std::string(base) + "-USDT" + (spot ? "" : "-SWAP");
    ins.symbol.base = base;
    ins.symbol.quote = "USDT";
    if (!spot) ins.symbol.settle = "USDT";
    auto& r = ins.rules;
    r.tick_size = o.tick_sz;
    r.min_price = o.tick_sz;
    r.max_price = dec("100000000");
    r.step_size = to_core(o, o.lot_sz);
    r.min_qty = to_core(o, o.min_sz);
    r.max_qty = to_core(o, o.max_lmt_sz);
    // SPOT maxMktSz is quote (checked by the front on a quote-sized order); the core's market cap
    // is the limit one there.
    r.market_max_qty = spot ? r.max_qty : to_core(o, o.max_mkt_sz);
    r.max_num_orders = 500;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<Instrument> core_instruments(const std::vector<OkxInstrument>& list) {
  std::vector<Instrument> out;
  for (const auto& o : list) out.push_back(o.venue);
  return out;
}

OkxFront::Impl::Answer OkxFront::Impl::public_time() {
  JsonOut j;
  j.arr().obj().kv("ts", std::to_string(now_ms())).end_obj().end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::public_instruments(const Args& p) {
  p.only({"instType", "instId", "uly", "instFamily"});
  const std::string type = p.required("instType");
  if (type != "SPOT" && type != "SWAP" && type != "MARGIN" && type != "FUTURES" && type != "OPTION") param_error("instType", type);
  const auto id = p.text("instId");
  JsonOut j;
  j.arr();
  for (const Category* c : {&spot, &swap}) {
    if (type != c->type()) continue;
    for (const auto& o : c->instruments) {
      const Instrument& in = o.venue;
      if (id && *id != in.venue_symbol) continue;
      const std::string family = in.symbol.base + "-" + in.symbol.quote;
      j.obj().kv("instType", c->type()).kv("instId", in.venue_symbol).kv("uly", c->spot() ? "" : family);
      j.kv("instFamily", c->spot() ? "" : family).kv("category", "1");
      j.kv("baseCcy", c->spot() ? in.symbol.base : "").kv("quoteCcy", c->spot() ? in.symbol.quote : "");
      j.kv("settleCcy", c->spot() ? "" : in.symbol.settle).kv("ctVal", c->spot() ? "" : text(o.ct_val));
      j.kv("ctMult", c->spot() ? "" : "1").kv("ctValCcy", c->spot() ? "" : in.symbol.base);
      j.kv("ctType", c->spot() ? "" : "linear").kv("optType", "").kv("stk", "").kv("listTime", "1548133413000");
      j.kv("expTime", "").kv("lever", c->spot() ? "" : std::to_string(o.max_lever)).kv("tickSz", text(o.tick_sz));
      j.kv("lotSz", text(o.lot_sz)).kv("minSz", text(o.min_sz)).kv("maxLmtSz", text(o.max_lmt_sz));
      j.kv("maxMktSz", text(o.max_mkt_sz)).kv("maxLmtAmt", "20000000").kv("maxMktAmt", c->spot() ? "1000000" : "");
      j.kv("maxTwapSz", "").kv("maxIcebergSz", "").kv("maxTriggerSz", "").kv("maxStopSz", text(o.max_mkt_sz));
      j.kv("ruleType", "normal").kv("alias", "").kv("state", in.trading ? "live" : "suspend").end_obj();
    }
  }
  j.end_arr();
  if (id && j.text() == "[]") refuse(kNoInstrument, "Instrument ID does not exist. (" + *id + ")");
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::market_books(const Args& p) {
  p.only({"instId", "sz"});
  auto [c, s] = instrument_of(p);
  const auto n = static_cast<std::size_t>(limit_of(p, "sz", 1, static_cast<std::int64_t>(kBooksDepth), 1));
  const OkxInstrument& o = c->instruments[s];
  JsonOut j;
  j.arr().obj();
  for (const Side side : {Side::kSell, Side::kBuy}) {
    j.key(side == Side::kSell ? "asks" : "bids").arr();
    for (const auto& l : c->venue->depth(s, side, n))
      j.arr().str(text(l.price)).str(text(to_okx(o, l.qty))).str("0").str("1").end_arr();
    j.end_arr();
  }
  j.kv("ts", std::to_string(now_ms())).end_obj().end_arr();
  return {kOk, "", j.take()};
}

void OkxFront::Impl::ticker_json(JsonOut& j, const Category& c, sim::SymbolIndex s) {
  const OkxInstrument& o = c.instruments[s];
  const Feed& f = c.feeds[s];
  const auto top = c.venue->top(s);
  const auto last = c.venue->last_price(s);
  Decimal open, high, low, vol, vol_ccy;
  const std::int64_t now = now_ms();
  bool any = false;
  for (std::size_t i = 0; i < f.day.size(); ++i) {
    if (f.day[i].first < now - kDayMs) continue;
    const Decimal px = f.day[i].second, qty = f.day_qty[i].second;
    if (!any) open = high = low = px;
    any = true;
    high = std::max(high, px);
    low = std::min(low, px);
    vol = dadd(vol, qty);
    vol_ccy = dadd(vol_ccy, dmul(qty, px));
  }
  const std::string last_text = last ? text(*last) : "";
  j.obj().kv("instType", c.type()).kv("instId", o.venue.venue_symbol).kv("last", last_text);
  j.kv("lastSz", f.prints.empty() ? "0" : text(to_okx(o, f.prints.back().qty)));
  j.kv("askPx", top.ask ? text(top.ask->price) : "").kv("askSz", top.ask ? text(to_okx(o, top.ask->qty)) : "");
  j.kv("bidPx", top.bid ? text(top.bid->price) : "").kv("bidSz", top.bid ? text(to_okx(o, top.bid->qty)) : "");
  j.kv("open24h", any ? text(open) : last_text).kv("high24h", any ? text(high) : last_text).kv("low24h", any ? text(low) : last_text);
  // SPOT: vol24h base, volCcy24h quote; SWAP: vol24h contracts, volCcy24h base (OKX's units).
  j.kv("volCcy24h", text(c.spot() ? vol_ccy : vol)).kv("vol24h", text(c.spot() ? vol : to_okx(o, vol)));
  j.kv("sodUtc0", any ? text(open) : last_text).kv("sodUtc8", any ? text(open) : last_text);
  j.kv("ts", std::to_string(now)).end_obj();
}

OkxFront::Impl::Answer OkxFront::Impl::market_ticker(const Args& p, bool all) {
  JsonOut j;
  j.arr();
  if (!all) {
    p.only({"instId"});
    auto [c, s] = instrument_of(p);
    ticker_json(j, *c, s);
  } else {
    p.only({"instType", "uly", "instFamily"});
    const std::string type = p.required("instType");
    if (type != "SPOT" && type != "SWAP" && type != "FUTURES" && type != "OPTION") param_error("instType", type);
    const auto family = p.text("instFamily") ? p.text("instFamily") : p.text("uly");
    for (Category* c : {&spot, &swap}) {
      if (type != c->type()) continue;
      for (sim::SymbolIndex s = 0; s < c->instruments.size(); ++s) {
        const auto& sym = c->instruments[s].venue.symbol;
        if (family && *family != sym.base + "-" + sym.quote) continue;
        ticker_json(j, *c, s);
      }
    }
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::market_trades(const Args& p) {
  p.only({"instId", "limit"});
  auto [c, s] = instrument_of(p);
  inst_type_check(*c, p);
  const auto n = static_cast<std::size_t>(limit_of(p, "limit", 1, 500, 100));
  const OkxInstrument& o = c->instruments[s];
  const Feed& f = c->feeds[s];
  JsonOut j;
  j.arr();
  std::size_t k = 0;
  for (auto it = f.prints.rbegin(); it != f.prints.rend() && k < n; ++it, ++k) {
    j.obj().kv("instId", o.venue.venue_symbol).kv("side", it->taker == Side::kBuy ? "buy" : "sell");
    j.kv("sz", text(to_okx(o, it->qty))).kv("px", text(it->price)).kv("tradeId", it->trade_id);
    j.kv("ts", std::to_string(it->time_ms)).kv("count", "1").end_obj();
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

void OkxFront::Impl::record_trade(Category& c, sim::SymbolIndex s, Decimal px, Decimal qty, Side taker, std::int64_t ms) {
  Feed& f = c.feeds[s];
  Print p{std::to_string(next_trade_id++), px, qty, taker, ms};
  f.prints.push_back(p);
  if (f.prints.size() > kKeptPrints) f.prints.pop_front();
  f.day.emplace_back(ms, px);
  f.day_qty.emplace_back(ms, qty);
  while (!f.day.empty() && f.day.front().first < ms - kDayMs) {
    f.day.pop_front();
    f.day_qty.pop_front();
  }
  publish_trade(c, s, p);
}

}  // namespace oms::venue_sim
