// venue-sim's Bybit front: the public /v5/market endpoints (time, instruments-info, orderbook,
// tickers, recent-trade, kline, risk-limit), the default instruments, and the trade record the
// tickers and klines are computed from.
#include <algorithm>
#include <chrono>

#include "bybit_front_impl.hpp"

namespace oms::venue_sim {

using namespace bysim;

namespace {

Decimal dec(const char* s) { return *Decimal::parse(s); }

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;
// Linear leverage: 1..100 in whole steps (Bybit's leverageFilter allows 0.01 steps; the venue
// core keeps whole leverage, so venue-sim lists step 1).
constexpr int kMaxLeverage = 100;
// Bybit's funding interval for USDT perpetuals (8 h). venue-sim charges no funding: its rate is 0.
constexpr std::int64_t kFundingIntervalMs = 8 * kHourMs;

std::int64_t parse_limit(const Args& p, std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
  const auto l = p.integer("limit");
  if (!l) return fallback;
  if (*l < lo || *l > hi) params_error("limit: " + std::to_string(*l) + " is not in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return *l;
}

// Start of the kline bucket holding t (ms since the epoch, UTC).
std::int64_t bucket_start(std::int64_t t, std::string_view interval) {
  using namespace std::chrono;
  if (interval == "D") return t - t % kDayMs;
  if (interval == "W") {  // weeks start on Monday 00:00 UTC; 1970-01-01 was a Thursday
    constexpr std::int64_t kMonday = 4 * kDayMs, kWeek = 7 * kDayMs;
    return (t - kMonday) - (t - kMonday) % kWeek + kMonday;
  }
  if (interval == "M") {
    const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(t)));
    const year_month_day ymd(day);
    return duration_cast<milliseconds>(sys_days(ymd.year() / ymd.month() / 1).time_since_epoch()).count();
  }
  std::int64_t minutes = 0;
  for (const char ch : interval) minutes = minutes * 10 + (ch - '0');
  const std::int64_t span = minutes * kMinuteMs;
  return t - t % span;
}

bool valid_interval(std::string_view i) {
  static constexpr std::string_view kIntervals[] = {"1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"};
  return std::find(std::begin(kIntervals), std::end(kIntervals), i) != std::end(kIntervals);
}

void levels_json(JsonOut& j, const std::vector<sim::PriceQty>& lv, std::size_t n, int pd, int qd) {
  j.arr();
  for (std::size_t i = 0; i < lv.size() && i < n; ++i) j.arr().str(fixed(lv[i].price, pd)).str(fixed(lv[i].qty, qd)).end_arr();
  j.end_arr();
}

}  // namespace

std::vector<Instrument> default_bybit_instruments(Market m) {
  // Figures from Bybit's own answers: BTCUSDT spot and linear are the v5 docs' Get Instruments
  // Info examples (spot: tick 0.01, basePrecision 0.000001, minOrderQty 0.000048, maxOrderQty
  // 71.73956243, minOrderAmt 1, maxOrderAmt 2000000; linear: tick 0.10, price 0.10..1999999.80,
  // qtyStep 0.001, minOrderQty 0.001, maxOrderQty 1190, maxMktOrderQty 500, minNotionalValue 5,
  // leverage up to 100). ETHUSDT follows Bybit's listing of it (spot basePrecision 0.00001;
  // linear tick 0.01, qtyStep 0.01); its maximum quantities are venue-sim's choice, of the
  // same notional order as BTCUSDT's. Open-order caps as Bybit documents them (create order):
  // 500 active orders a symbol, 10 conditional (linear) / 30 (spot).
  std::vector<Instrument> out;
  const bool spot = m == Market::kSpot;
  for (const char* base : {"BTC", "ETH"}) {
    const bool btc = std::string_view(base) == "BTC";
    Instrument ins;
    ins.exchange = ExchangeId::kBybit;
    ins.market = m;
    ins.venue_symbol = std::string(base) + "USDT";
    ins.symbol.base = base;
    ins.symbol.quote = "USDT";
    if (!spot) ins.symbol.settle = "USDT";
    auto& r = ins.rules;
    if (spot) {
      r.tick_size = dec("0.01");
      r.min_price = r.tick_size;
      r.max_price = dec("10000000");
      r.step_size = btc ? dec("0.000001") : dec("0.00001");
      r.min_qty = btc ? dec("0.000048") : dec("0.00062");
      r.max_qty = btc ? dec("71.73956243") : dec("1229.2336343");
      r.market_max_qty = r.max_qty;
      r.min_notional = dec("1");
      r.max_notional = dec("2000000");
      r.max_num_algo_orders = 30;
    } else {
      r.tick_size = btc ? dec("0.1") : dec("0.01");
      r.min_price = r.tick_size;
      r.max_price = btc ? dec("1999999.8") : dec("199999.98");
      r.step_size = btc ? dec("0.001") : dec("0.01");
      r.min_qty = r.step_size;
      r.max_qty = btc ? dec("1190") : dec("7240");
      r.market_max_qty = btc ? dec("500") : dec("3620");
      r.market_step_size = r.step_size;
      r.min_notional = dec("5");
      r.max_num_algo_orders = 10;
    }
    r.max_num_orders = 500;
    out.push_back(ins);
  }
  return out;
}

sim::SymbolIndex BybitFront::Impl::symbol_named(const Category& c, std::string_view name) {
  const auto s = c.venue->find_symbol(name);
  if (!s) params_error("symbol: '" + std::string(name) + "' is not listed on " + std::string(c.name()));
  return *s;
}

sim::SymbolIndex BybitFront::Impl::symbol_of(const Category& c, const Args& p) {
  return symbol_named(c, p.required_text("symbol"));
}

BybitFront::Impl::Answer BybitFront::Impl::market_time() {
  const std::int64_t now = now_ms();
  JsonOut j;
  j.obj().kv("timeSecond", std::to_string(now / 1000)).kv("timeNano", std::to_string(now) + "000000").end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::instruments_info(const Args& p) {
  p.only({"category", "symbol", "status", "baseCoin", "limit", "cursor"});
  // Inverse contracts and options exist on Bybit; venue-sim lists none of them (an empty list,
  // as a client loading every category expects), and trades neither.
  if (const auto cat = p.text("category"); cat && (*cat == "inverse" || *cat == "option")) {
    return {R"({"category":")" + *cat + R"(","list":[],"nextPageCursor":""})"};
  }
  Category& c = category_of(p);
  const auto symbol = p.text("symbol");
  const auto status = p.text("status");
  const auto base = p.text("baseCoin");
  if (base && c.spot()) params_error("baseCoin: applies to linear, not spot");
  const auto limit = static_cast<std::size_t>(parse_limit(p, 1, 1'000, 500));
  std::size_t from = 0;
  if (const auto cur = p.text("cursor")) {
    if (c.spot()) params_error("cursor: spot has no pages");
    from = static_cast<std::size_t>(std::strtoull(cur->c_str(), nullptr, 10));
  }
  std::vector<sim::SymbolIndex> match;
  for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) {
    const Instrument& ins = c.venue->instrument(s);
    if (symbol && *symbol != ins.venue_symbol) continue;
    if (base && *base != ins.symbol.base) continue;
    if (status && *status != (ins.trading ? "Trading" : "Closed")) continue;
    match.push_back(s);
  }
  JsonOut j;
  j.obj().kv("category", c.name()).key("list").arr();
  const std::size_t end = c.spot() ? match.size() : std::min(match.size(), from + limit);
  for (std::size_t k = c.spot() ? 0 : from; k < end; ++k) {
    const Instrument& ins = c.venue->instrument(match[k]);
    const auto& r = ins.rules;
    const int pd = price_decimals(ins), qd = qty_decimals(ins);
    j.obj().kv("symbol", ins.venue_symbol);
    if (c.spot()) {
      j.kv("baseCoin", ins.symbol.base).kv("quoteCoin", ins.symbol.quote).kv("innovation", "0");
      j.kv("status", ins.trading ? "Trading" : "Closed").kv("marginTrading", "none").kv("stTag", "0");
      j.key("lotSizeFilter").obj().kv("basePrecision", text(r.step_size)).kv("quotePrecision", "0.00000001");
      j.kv("minOrderQty", text(r.min_qty)).kv("maxOrderQty", text(r.max_qty)).kv("maxLimitOrderQty", text(r.max_qty));
      j.kv("maxMarketOrderQty", text(r.market_max_qty.is_zero() ? r.max_qty : r.market_max_qty));
      j.kv("minOrderAmt", text(r.min_notional)).kv("maxOrderAmt", text(r.max_notional)).end_obj();
      j.key("priceFilter").obj().kv("tickSize", fixed(r.tick_size, pd)).end_obj();
    } else {
      j.kv("contractType", "LinearPerpetual").kv("status", ins.trading ? "Trading" : "Closed");
      j.kv("baseCoin", ins.symbol.base).kv("quoteCoin", ins.symbol.quote).kv("launchTime", "1585526400000");
      j.kv("deliveryTime", "0").kv("deliveryFeeRate", "").kv("priceScale", std::to_string(pd));
      j.key("leverageFilter").obj().kv("minLeverage", "1").kv("maxLeverage", fixed(Decimal::from_raw(kMaxLeverage * Decimal::kOne), 2));
      j.kv("leverageStep", "1").end_obj();
      j.key("priceFilter").obj().kv("minPrice", fixed(r.min_price, pd)).kv("maxPrice", fixed(r.max_price, pd));
      j.kv("tickSize", fixed(r.tick_size, pd)).end_obj();
      j.key("lotSizeFilter").obj().kv("maxOrderQty", fixed(r.max_qty, qd)).kv("minOrderQty", fixed(r.min_qty, qd));
      j.kv("qtyStep", fixed(r.step_size, qd)).kv("postOnlyMaxOrderQty", fixed(r.max_qty, qd));
      j.kv("maxMktOrderQty", fixed(r.market_max_qty.is_zero() ? r.max_qty : r.market_max_qty, qd));
      j.kv("minNotionalValue", text(r.min_notional)).end_obj();
      j.kb("unifiedMarginTrade", true).kn("fundingInterval", kFundingIntervalMs / kMinuteMs);
      j.kv("settleCoin", ins.symbol.settle).kv("copyTrading", "none");
      j.kv("upperFundingRate", "0").kv("lowerFundingRate", "0").kb("isPreListing", false).key("preListingInfo").null();
    }
    j.end_obj();
  }
  j.end_arr().kv("nextPageCursor", !c.spot() && end < match.size() ? std::to_string(end) : std::string());
  j.end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::orderbook(const Args& p) {
  p.only({"category", "symbol", "limit"});
  Category& c = category_of(p);
  const sim::SymbolIndex s = symbol_of(c, p);
  // Bybit: spot [1, 200] default 1; linear [1, 500] default 25.
  const auto n = static_cast<std::size_t>(c.spot() ? parse_limit(p, 1, 200, 1) : parse_limit(p, 1, 500, 25));
  const Instrument& ins = c.venue->instrument(s);
  const SymbolFeed& f = c.feeds[s];
  const Book& b = f.books.back();  // the deepest stream's book: its u is REST's
  const std::int64_t now = now_ms();
  JsonOut j;
  j.obj().kv("s", ins.venue_symbol).key("b");
  levels_json(j, b.bids, n, price_decimals(ins), qty_decimals(ins));
  j.key("a");
  levels_json(j, b.asks, n, price_decimals(ins), qty_decimals(ins));
  j.kn("ts", now).kn("u", static_cast<std::int64_t>(b.u)).kn("seq", static_cast<std::int64_t>(f.seq)).kn("cts", now);
  j.end_obj();
  return {j.take()};
}

std::vector<std::pair<std::string, std::string>> BybitFront::Impl::ticker_fields(const Category& c, sim::SymbolIndex s) {
  const Instrument& ins = c.venue->instrument(s);
  const int pd = price_decimals(ins), qd = qty_decimals(ins);
  const SymbolFeed& f = c.feeds[s];
  const std::int64_t now = now_ms();
  // 24 h and 1 h figures from the one-minute candles, newest first back to the first candle
  // before the window (its close is the price 24 h ago; without one, the window's first open).
  std::optional<Decimal> high, low, prev24, prev1;
  Decimal volume, turnover;
  bool hour_found = false;
  for (auto it = f.candles.rbegin(); it != f.candles.rend(); ++it) {
    const Candle& k = *it;
    if (!hour_found) {  // the same rule for the price an hour ago
      hour_found = k.start_ms + kMinuteMs <= now - kHourMs;
      prev1 = hour_found ? k.close : k.open;
    }
    if (k.start_ms + kMinuteMs <= now - kDayMs) {
      prev24 = k.close;
      break;
    }
    high = high ? std::max(*high, k.high) : k.high;
    low = low ? std::min(*low, k.low) : k.low;
    volume = dadd(volume, k.volume);
    turnover = dadd(turnover, k.turnover);
    prev24 = k.open;
  }
  const auto px = [&](const std::optional<Decimal>& v) { return v ? fixed(*v, pd) : std::string(); };
  std::string pcnt;
  if (f.last_price && prev24 && prev24->is_positive()) {
    // Bybit prints the 24 h change as a ratio: 4 decimals on spot, 6 on linear.
    const int places = c.spot() ? 4 : 6;
    const Decimal step = Decimal::from_raw(c.spot() ? 100'000 : 1'000);  // 1e-4 / 1e-6
    const Decimal ratio = ddiv(dsub(*f.last_price, *prev24), *prev24);
    pcnt = fixed(or_zero(ratio.round_to(step, Rounding::kHalfEven)), places);
  }
  const auto top = c.venue->top(s);
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("symbol", ins.venue_symbol);
  if (!c.spot()) out.emplace_back("tickDirection", f.tick_direction);
  out.emplace_back("lastPrice", px(f.last_price));
  out.emplace_back("prevPrice24h", px(prev24));
  out.emplace_back("price24hPcnt", pcnt);
  out.emplace_back("highPrice24h", px(high));
  out.emplace_back("lowPrice24h", px(low));
  out.emplace_back("turnover24h", text(turnover));
  out.emplace_back("volume24h", fixed(volume, qd));
  if (c.spot()) {
    out.emplace_back("usdIndexPrice", px(f.last_price));
    return out;
  }
  // venue-sim has no index: index and mark are the book's mid (the core's mark, else last).
  const auto mark = c.venue->mark_price(s);
  Decimal oi;  // venue-sim's open interest: the long positions its accounts hold
  for (const auto& a : accounts) {
    for (const auto& pos : c.venue->positions(a.linear_id)) {
      if (pos.symbol == s && pos.amount.is_positive()) oi = dadd(oi, pos.amount);
    }
  }
  out.emplace_back("prevPrice1h", px(prev1));
  out.emplace_back("markPrice", px(mark));
  out.emplace_back("indexPrice", px(mark));
  out.emplace_back("openInterest", fixed(oi, qd));
  out.emplace_back("openInterestValue", text(dmul(oi, mark.value_or(Decimal{}))));
  out.emplace_back("nextFundingTime", std::to_string(now - now % kFundingIntervalMs + kFundingIntervalMs));
  out.emplace_back("fundingRate", "0");  // no funding is charged in venue-sim
  out.emplace_back("bid1Price", top.bid ? fixed(top.bid->price, pd) : std::string());
  out.emplace_back("bid1Size", top.bid ? fixed(top.bid->qty, qd) : std::string());
  out.emplace_back("ask1Price", top.ask ? fixed(top.ask->price, pd) : std::string());
  out.emplace_back("ask1Size", top.ask ? fixed(top.ask->qty, qd) : std::string());
  return out;
}

BybitFront::Impl::Answer BybitFront::Impl::tickers(const Args& p) {
  p.only({"category", "symbol"});
  Category& c = category_of(p);
  std::optional<sim::SymbolIndex> only;
  if (p.has("symbol")) only = symbol_of(c, p);
  JsonOut j;
  j.obj().kv("category", c.name()).key("list").arr();
  for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) {
    if (only && *only != s) continue;
    j.obj();
    for (const auto& [k, v] : ticker_fields(c, s)) j.kv(k, v);
    if (c.spot()) {  // the REST spot ticker has the book top (the spot topic does not)
      const auto top = c.venue->top(s);
      const Instrument& ins = c.venue->instrument(s);
      j.kv("bid1Price", top.bid ? fixed(top.bid->price, price_decimals(ins)) : std::string());
      j.kv("bid1Size", top.bid ? fixed(top.bid->qty, qty_decimals(ins)) : std::string());
      j.kv("ask1Price", top.ask ? fixed(top.ask->price, price_decimals(ins)) : std::string());
      j.kv("ask1Size", top.ask ? fixed(top.ask->qty, qty_decimals(ins)) : std::string());
    } else {
      j.kv("deliveryTime", "0").kv("basisRate", "").kv("basis", "").kv("deliveryFeeRate", "");
      j.kv("predictedDeliveryPrice", "").kv("preOpenPrice", "").kv("preQty", "").kv("curPreListingPhase", "");
    }
    j.end_obj();
  }
  j.end_arr().end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::recent_trades(const Args& p) {
  p.only({"category", "symbol", "limit"});
  Category& c = category_of(p);
  const sim::SymbolIndex s = symbol_of(c, p);
  // Bybit: spot [1, 60] default 60; linear [1, 1000] default 500.
  const auto n = static_cast<std::size_t>(c.spot() ? parse_limit(p, 1, 60, 60) : parse_limit(p, 1, 1'000, 500));
  const Instrument& ins = c.venue->instrument(s);
  const auto& prints = c.feeds[s].prints;
  JsonOut j;
  j.obj().kv("category", c.name()).key("list").arr();
  std::size_t k = 0;
  for (auto it = prints.rbegin(); it != prints.rend() && k < n; ++it, ++k) {
    j.obj().kv("execId", it->id).kv("symbol", ins.venue_symbol).kv("price", fixed(it->price, price_decimals(ins)));
    j.kv("size", fixed(it->qty, qty_decimals(ins))).kv("side", side_text(it->taker)).kv("time", ms_text(it->time_ms));
    j.kb("isBlockTrade", false).kb("isRPITrade", false).end_obj();
  }
  j.end_arr().end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::kline(const Args& p) {
  p.only({"category", "symbol", "interval", "start", "end", "limit"});
  // "When category is not passed, use linear by default."
  Category& c = p.has("category") ? category_of(p) : linear;
  const sim::SymbolIndex s = symbol_of(c, p);
  const std::string interval = p.required_text("interval");
  if (!valid_interval(interval)) params_error("interval: '" + interval + "' is not one of 1 3 5 15 30 60 120 240 360 720 D W M");
  const auto start = p.integer("start");
  const auto end = p.integer("end");
  const auto limit = static_cast<std::size_t>(parse_limit(p, 1, 1'000, 200));
  const Instrument& ins = c.venue->instrument(s);
  const int pd = price_decimals(ins), qd = qty_decimals(ins);
  std::vector<Candle> buckets;  // oldest first
  for (const Candle& k : c.feeds[s].candles) {
    const std::int64_t b = bucket_start(k.start_ms, interval);
    if (buckets.empty() || buckets.back().start_ms != b) {
      buckets.push_back(Candle{b, k.open, k.high, k.low, k.close, k.volume, k.turnover});
      continue;
    }
    Candle& cur = buckets.back();
    cur.high = std::max(cur.high, k.high);
    cur.low = std::min(cur.low, k.low);
    cur.close = k.close;
    cur.volume = dadd(cur.volume, k.volume);
    cur.turnover = dadd(cur.turnover, k.turnover);
  }
  JsonOut j;
  j.obj().kv("category", c.name()).kv("symbol", ins.venue_symbol).key("list").arr();
  std::size_t n = 0;
  for (auto it = buckets.rbegin(); it != buckets.rend() && n < limit; ++it) {
    if ((start && it->start_ms < *start) || (end && it->start_ms > *end)) continue;
    j.arr().str(ms_text(it->start_ms)).str(fixed(it->open, pd)).str(fixed(it->high, pd)).str(fixed(it->low, pd));
    j.str(fixed(it->close, pd)).str(fixed(it->volume, qd)).str(text(it->turnover)).end_arr();
    ++n;
  }
  j.end_arr().end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::risk_limit(const Args& p) {
  p.only({"category", "symbol", "cursor"});
  Category& c = category_of(p);
  if (c.spot()) params_error("category: risk limits are a linear contract's, not spot's");
  std::optional<sim::SymbolIndex> only;
  if (p.has("symbol")) only = symbol_of(c, p);
  // One tier a symbol: venue-sim margins every position at 1 / leverage (up to 100x) and has
  // no maintenance margin or liquidation.
  JsonOut j;
  j.obj().kv("category", "linear").key("list").arr();
  for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) {
    if (only && *only != s) continue;
    j.obj().kn("id", 1).kv("symbol", c.symbols[s]).kv("riskLimitValue", "2000000").kv("maintenanceMargin", "0");
    j.kv("initialMargin", "0.01").kn("isLowestRisk", 1).kv("maxLeverage", "100.00").kv("mmDeduction", "").end_obj();
  }
  j.end_arr().kv("nextPageCursor", "").end_obj();
  return {j.take()};
}

void BybitFront::Impl::record_trade(Category& c, sim::SymbolIndex s, Decimal price, Decimal qty, Side taker,
                                    std::int64_t ms) {
  SymbolFeed& f = c.feeds[s];
  ++f.seq;
  Print pr{print_id_text(c, salt, s, ++f.prints_made), price, qty, taker, ms, f.seq};
  if (f.last_price) {
    const bool up = f.tick_direction == "PlusTick" || f.tick_direction == "ZeroPlusTick";
    if (price > *f.last_price) f.tick_direction = "PlusTick";
    else if (price < *f.last_price) f.tick_direction = "MinusTick";
    else f.tick_direction = up ? "ZeroPlusTick" : "ZeroMinusTick";
  } else {
    f.tick_direction = "PlusTick";
  }
  f.last_price = price;
  const std::int64_t minute = ms - ms % kMinuteMs;
  if (f.candles.empty() || f.candles.back().start_ms != minute) {
    f.candles.push_back(Candle{minute, price, price, price, price, qty, dmul(price, qty)});
    if (f.candles.size() > kKeptCandles) f.candles.pop_front();
  } else {
    Candle& k = f.candles.back();
    k.high = std::max(k.high, price);
    k.low = std::min(k.low, price);
    k.close = price;
    k.volume = dadd(k.volume, qty);
    k.turnover = dadd(k.turnover, dmul(price, qty));
  }
  const Instrument& ins = c.venue->instrument(s);
  JsonOut j;
  j.obj().kv("topic", "publicTrade." + ins.venue_symbol).kv("type", "snapshot").kn("ts", ms).key("data").arr();
  j.obj().kn("T", ms).kv("s", ins.venue_symbol).kv("S", side_text(taker)).kv("v", fixed(qty, qty_decimals(ins)));
  j.kv("p", fixed(price, price_decimals(ins)));
  if (!c.spot()) j.kv("L", f.tick_direction);
  j.kv("i", pr.id).kb("BT", false).kn("seq", static_cast<std::int64_t>(f.seq)).end_obj();
  j.end_arr().end_obj();
  send_public(c, "publicTrade." + ins.venue_symbol, j.text());
  f.prints.push_back(std::move(pr));
  if (f.prints.size() > kKeptPrints) f.prints.pop_front();
}

}  // namespace oms::venue_sim
