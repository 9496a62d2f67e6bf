// venue-sim's Upbit front: the quotation endpoints (market/all, orderbook, orderbook/instruments,
// ticker, trades/ticks), the default markets, and the renderings the WebSocket shares with them
// (orderbook, trade, ticker in Upbit's DEFAULT names or SIMPLE's short ones).
#include <algorithm>

#include "oms/connectors/upbit/instruments.hpp"
#include "upbit_front_impl.hpp"

namespace oms::venue_sim {

using namespace upsim;

namespace {

using i128 = Int128;  // 24 h turnovers summed as raws

Decimal dec(const char* s) { return *Decimal::parse(s); }
constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1'000;

// A sum of raw decimals (1e-9 units) as a JSON number's text.
std::string raw_text(i128 raw) {
  const bool neg = raw < 0;
  if (neg) raw = -raw;
  const auto whole = static_cast<unsigned long long>(raw / Decimal::kOne);
  auto frac = static_cast<unsigned long long>(raw % Decimal::kOne);
  std::string s = (neg ? "-" : "") + std::to_string(whole);
  if (frac == 0) return s + ".0";
  std::string f = std::to_string(frac);
  f.insert(0, static_cast<std::size_t>(Decimal::kScale) - f.size(), '0');
  while (!f.empty() && f.back() == '0') f.pop_back();
  return s + "." + f;
}

std::string date_of(std::int64_t ms, bool dashes, std::int64_t offset_ms = 0) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(ms + offset_ms)};
  const year_month_day ymd(floor<days>(t));
  char buf[16];
  std::snprintf(buf, sizeof buf, dashes ? "%04d-%02u-%02u" : "%04d%02u%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string time_of(std::int64_t ms, bool colons, std::int64_t offset_ms = 0) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(ms + offset_ms)};
  const hh_mm_ss hms(t - floor<days>(t));
  char buf[16];
  std::snprintf(buf, sizeof buf, colons ? "%02d:%02d:%02d" : "%02d%02d%02d", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}
constexpr std::int64_t kKstMs = 9 * 3'600'000;

// A field in the format asked: the DEFAULT name or SIMPLE's short one.
struct Fields {
  JsonOut& j;
  bool simple;
  JsonOut& k(std::string_view full, std::string_view brief) { return j.key(simple ? brief : full); }
};

const char* change_of(Decimal last, Decimal prev) { return last > prev ? "RISE" : last < prev ? "FALL" : "EVEN"; }

}  // namespace

UpbitMarket upbit_market(std::string_view code, std::string korean_name, std::string english_name) {
  const auto dash = code.find('-');
  if (dash == std::string_view::npos) throw std::invalid_argument("upbit market '" + std::string(code) + "': expected QUOTE-BASE");
  UpbitMarket m;
  Instrument& ins = m.venue;
  ins.exchange = ExchangeId::kUpbit;
  ins.market = Market::kSpot;
  ins.venue_symbol = std::string(code);
  ins.symbol.quote = std::string(code.substr(0, dash));
  ins.symbol.base = std::string(code.substr(dash + 1));
  const auto min_total = upbit::min_order_amount(ins.symbol.quote);
  if (!min_total.ok()) throw std::invalid_argument("upbit market " + std::string(code) + ": " + min_total.error().message);
  m.min_total = *min_total;
  // The core's filters stay out of the way: the band tick and the minimum total are the
  // front's (with Upbit's error names); volumes at 1e-8 as Upbit takes them.
  auto& r = ins.rules;
  r.tick_size = Decimal::from_raw(1);
  r.min_price = Decimal::from_raw(1);
  r.max_price = dec("10000000000");
  r.step_size = dec("0.00000001");
  r.min_qty = dec("0.00000001");
  r.max_qty = dec("1000000");
  r.market_max_qty = r.max_qty;
  r.max_num_orders = 500;
  m.korean_name = std::move(korean_name);
  m.english_name = std::move(english_name);
  return m;
}

std::vector<UpbitMarket> default_upbit_markets() {
  return {upbit_market("KRW-BTC", "비트코인", "Bitcoin"), upbit_market("KRW-ETH", "이더리움", "Ethereum"),
          upbit_market("KRW-USDT", "테더", "Tether")};
}

std::vector<Instrument> core_instruments(const std::vector<UpbitMarket>& list) {
  std::vector<Instrument> out;
  for (const auto& m : list) out.push_back(m.venue);
  return out;
}

std::vector<sim::SymbolIndex> UpbitFront::Impl::markets_param(const Args& p) {
  const auto t = p.text("markets");
  if (!t) validation("markets: required (KRW-BTC,KRW-ETH)");
  std::vector<sim::SymbolIndex> out;
  std::string_view rest = *t;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view code = rest.substr(0, comma);
    while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
    out.push_back(market_of(code, "markets"));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return out;
}

UpbitFront::Impl::Answer UpbitFront::Impl::market_all(const Args& p) {
  p.only({"is_details"});
  const std::string details = p.text("is_details").value_or("false");
  if (details != "true" && details != "false") validation("is_details: true or false");
  JsonOut j;
  j.arr();
  for (const auto& m : markets) {
    j.obj().kv("market", m.venue.venue_symbol).kv("korean_name", m.korean_name).kv("english_name", m.english_name);
    if (details == "true") {
      j.kv("market_warning", m.warning ? "CAUTION" : "NONE");
      j.key("market_event").obj().kb("warning", m.warning).key("caution").obj();
      for (const char* k : {"PRICE_FLUCTUATIONS", "TRADING_VOLUME_SOARING", "DEPOSIT_AMOUNT_SOARING", "GLOBAL_PRICE_DIFFERENCES",
                            "CONCENTRATION_OF_SMALL_ACCOUNTS"})
        j.kb(k, false);
      j.end_obj().end_obj();
    }
    j.end_obj();
  }
  j.end_arr();
  return {200, j.take()};
}

void UpbitFront::Impl::orderbook_json(JsonOut& j, sim::SymbolIndex s, std::size_t units, bool simple, const char* stream_type,
                                      std::int64_t ms, bool ws) {
  Fields f{j, simple};
  const auto bids = venue->depth(s, Side::kBuy, units);
  const auto asks = venue->depth(s, Side::kSell, units);
  Decimal tb, ta;
  for (const auto& l : bids) tb = dadd(tb, l.qty);
  for (const auto& l : asks) ta = dadd(ta, l.qty);
  j.obj();
  if (ws) f.k("type", "ty").str("orderbook");
  f.k(ws ? "code" : "market", ws ? "cd" : "market").str(markets[s].venue.venue_symbol);
  f.k("timestamp", "tms").num(ms);
  f.k("total_ask_size", "tas").raw(num(ta));
  f.k("total_bid_size", "tbs").raw(num(tb));
  f.k("orderbook_units", "obu").arr();
  // Upbit pairs the i-th ask with the i-th bid; a side shorter than the other sends 0s.
  for (std::size_t i = 0; i < std::max(bids.size(), asks.size()); ++i) {
    j.obj();
    f.k("ask_price", "ap").raw(i < asks.size() ? num(asks[i].price) : "0.0");
    f.k("bid_price", "bp").raw(i < bids.size() ? num(bids[i].price) : "0.0");
    f.k("ask_size", "as").raw(i < asks.size() ? num(asks[i].qty) : "0.0");
    f.k("bid_size", "bs").raw(i < bids.size() ? num(bids[i].qty) : "0.0");
    j.end_obj();
  }
  j.end_arr();
  if (ws) f.k("stream_type", "st").str(stream_type);
  f.k("level", "lv").num(0);
  j.end_obj();
}

UpbitFront::Impl::Answer UpbitFront::Impl::orderbook(const Args& p) {
  p.only({"markets", "level", "count"});
  const auto list = markets_param(p);
  if (const auto level = p.decimal("level"); level && !level->is_zero())
    validation("level: venue-sim serves level 0 only (no price grouping)");
  const auto count = p.integer("count").value_or(static_cast<std::int64_t>(kBookUnits));
  constexpr std::int64_t kMaxUnits = 30;
  if (count < 1 || count > kMaxUnits) validation("count: 1 to 30");
  JsonOut j;
  j.arr();
  for (const auto s : list) orderbook_json(j, s, static_cast<std::size_t>(count), false, nullptr, now_ms(), false);
  j.end_arr();
  return {200, j.take()};
}

UpbitFront::Impl::Answer UpbitFront::Impl::orderbook_instruments(const Args& p) {
  p.only({"markets"});
  const auto list = markets_param(p);
  JsonOut j;
  j.arr();
  for (const auto s : list) {
    const auto top = venue->top(s);
    const auto last = venue->last_price(s);
    const Decimal ref = top.bid ? top.bid->price : top.ask ? top.ask->price : last.value_or(Decimal::from_raw(Decimal::kOne));
    const auto tick = upbit::tick_size(quote(s), ref);
    j.obj().kv("market", markets[s].venue.venue_symbol).kv("quote_currency", quote(s));
    j.kv("tick_size", tick.ok() ? text(*tick) : "0").key("supported_levels").arr().str("0").end_arr().end_obj();
  }
  j.end_arr();
  return {200, j.take()};
}

void UpbitFront::Impl::ticker_json(JsonOut& j, sim::SymbolIndex s, bool simple, bool ws, const char* stream_type) {
  Fields f{j, simple};
  const Feed& fd = feeds[s];
  const std::int64_t now = now_ms();
  const auto last = venue->last_price(s);
  const Decimal close = last.value_or(Decimal{});
  const Decimal prev = fd.prev_close.is_zero() ? close : fd.prev_close;
  Decimal open, high, low;
  i128 vol = 0, turnover = 0, ask_vol = 0, bid_vol = 0;
  bool any = false;
  for (const auto& pr : fd.day) {
    if (pr.time_ms < now - kDayMs) continue;
    if (!any) open = high = low = pr.price;
    any = true;
    high = std::max(high, pr.price);
    low = std::min(low, pr.price);
    vol += pr.qty.raw();
    turnover += static_cast<i128>(pr.price.raw()) * pr.qty.raw() / Decimal::kOne;
    (pr.taker == Side::kBuy ? bid_vol : ask_vol) += pr.qty.raw();
  }
  if (!any) open = high = low = close;
  const Decimal change = dsub(close, prev);
  const Decimal abs_change = change.is_negative() ? Decimal::from_raw(-change.raw()) : change;
  const Decimal rate = prev.is_zero() ? Decimal{} : ddiv(abs_change, prev);
  const Decimal signed_rate = change.is_negative() ? Decimal::from_raw(-rate.raw()) : rate;
  const std::int64_t trade_ms = fd.prints.empty() ? now : fd.prints.back().time_ms;
  j.obj();
  if (ws) f.k("type", "ty").str("ticker");
  f.k(ws ? "code" : "market", ws ? "cd" : "market").str(markets[s].venue.venue_symbol);
  if (!ws) {
    j.kv("trade_date", date_of(trade_ms, false)).kv("trade_time", time_of(trade_ms, false));
    j.kv("trade_date_kst", date_of(trade_ms, false, kKstMs)).kv("trade_time_kst", time_of(trade_ms, false, kKstMs));
    j.kn("trade_timestamp", trade_ms);
  }
  f.k("opening_price", "op").raw(num(open));
  f.k("high_price", "hp").raw(num(high));
  f.k("low_price", "lp").raw(num(low));
  f.k("trade_price", "tp").raw(num(close));
  f.k("prev_closing_price", "pcp").raw(num(prev));
  f.k("change", "c").str(change_of(close, prev));
  f.k("change_price", "cp").raw(num(abs_change));
  f.k("signed_change_price", "scp").raw(num(change));
  f.k("change_rate", "cr").raw(num(rate));
  f.k("signed_change_rate", "scr").raw(num(signed_rate));
  f.k("trade_volume", "tv").raw(num(fd.prints.empty() ? Decimal{} : fd.prints.back().qty));
  // venue-sim's day: the last 24 h of the trades it saw (acc_* = the *_24h figures).
  f.k("acc_trade_volume", "atv").raw(raw_text(vol));
  f.k("acc_trade_volume_24h", "atv24h").raw(raw_text(vol));
  f.k("acc_trade_price", "atp").raw(raw_text(turnover));
  f.k("acc_trade_price_24h", "atp24h").raw(raw_text(turnover));
  if (ws) {
    f.k("trade_date", "tdt").str(date_of(trade_ms, false));
    f.k("trade_time", "ttm").str(time_of(trade_ms, false));
    f.k("trade_timestamp", "ttms").num(trade_ms);
    f.k("ask_bid", "ab").str(!fd.prints.empty() && fd.prints.back().taker == Side::kSell ? "ASK" : "BID");
    f.k("acc_ask_volume", "aav").raw(raw_text(ask_vol));
    f.k("acc_bid_volume", "abv").raw(raw_text(bid_vol));
  }
  f.k("highest_52_week_price", "h52wp").raw(num(high));
  f.k("highest_52_week_date", "h52wdt").str(date_of(now, true));
  f.k("lowest_52_week_price", "l52wp").raw(num(low));
  f.k("lowest_52_week_date", "l52wdt").str(date_of(now, true));
  if (ws) {
    f.k("market_state", "ms").str("ACTIVE");
    f.k("is_trading_suspended", "its").boolean(false);
    f.k("delisting_date", "dd").null();
    f.k("market_warning", "mw").str(markets[s].warning ? "CAUTION" : "NONE");
  }
  f.k("timestamp", "tms").num(now);
  if (ws) f.k("stream_type", "st").str(stream_type);
  j.end_obj();
}

UpbitFront::Impl::Answer UpbitFront::Impl::ticker(const Args& p) {
  p.only({"markets"});
  const auto list = markets_param(p);
  JsonOut j;
  j.arr();
  for (const auto s : list) ticker_json(j, s, false, false, nullptr);
  j.end_arr();
  return {200, j.take()};
}

void UpbitFront::Impl::trade_json(JsonOut& j, sim::SymbolIndex s, const Print& p, bool simple, bool ws, const char* stream_type) {
  Fields f{j, simple};
  const Feed& fd = feeds[s];
  const Decimal prev = fd.prev_close.is_zero() ? p.price : fd.prev_close;
  const Decimal change = dsub(p.price, prev);
  j.obj();
  if (ws) {
    f.k("type", "ty").str("trade");
    f.k("code", "cd").str(markets[s].venue.venue_symbol);
    f.k("timestamp", "tms").num(now_ms());
    f.k("trade_date", "td").str(date_of(p.time_ms, true));
    f.k("trade_time", "ttm").str(time_of(p.time_ms, true));
    f.k("trade_timestamp", "ttms").num(p.time_ms);
  } else {
    j.kv("market", markets[s].venue.venue_symbol).kv("trade_date_utc", date_of(p.time_ms, true));
    j.kv("trade_time_utc", time_of(p.time_ms, true)).kn("timestamp", p.time_ms);
  }
  f.k("trade_price", "tp").raw(num(p.price));
  f.k("trade_volume", "tv").raw(num(p.qty));
  // ask_bid: the taker's side (a buyer lifting the ask prints BID).
  f.k("ask_bid", "ab").str(p.taker == Side::kBuy ? "BID" : "ASK");
  f.k("prev_closing_price", "pcp").raw(num(prev));
  if (ws) f.k("change", "c").str(change_of(p.price, prev));
  f.k("change_price", "cp").raw(num(change.is_negative() ? Decimal::from_raw(-change.raw()) : change));
  f.k("sequential_id", "sid").num(p.sequential_id);
  if (ws) {
    const auto top = venue->top(s);
    f.k("best_ask_price", "bap").raw(num(top.ask ? top.ask->price : Decimal{}));
    f.k("best_ask_size", "bas").raw(num(top.ask ? top.ask->qty : Decimal{}));
    f.k("best_bid_price", "bbp").raw(num(top.bid ? top.bid->price : Decimal{}));
    f.k("best_bid_size", "bbs").raw(num(top.bid ? top.bid->qty : Decimal{}));
    f.k("stream_type", "st").str(stream_type);
  }
  j.end_obj();
}

UpbitFront::Impl::Answer UpbitFront::Impl::trades_ticks(const Args& p) {
  p.only({"market", "to", "count", "cursor", "days_ago"});
  const auto code = p.text("market");
  if (!code) validation("market: required");
  const sim::SymbolIndex s = market_of(*code, "market");
  const auto count = p.integer("count").value_or(1);
  constexpr std::int64_t kMaxCount = 500;
  if (count < 1 || count > kMaxCount) validation("count: 1 to 500");
  if (p.has("to") || p.has("days_ago")) validation("to / days_ago: venue-sim keeps today's last 500 trades only (send count and cursor)");
  const auto cursor = p.integer("cursor");
  JsonOut j;
  j.arr();
  std::int64_t n = 0;
  const auto& prints = feeds[s].prints;
  for (auto it = prints.rbegin(); it != prints.rend() && n < count; ++it) {
    if (cursor && it->sequential_id >= *cursor) continue;
    trade_json(j, s, *it, false, false, nullptr);
    ++n;
  }
  j.end_arr();
  return {200, j.take()};
}

void UpbitFront::Impl::record_trade(sim::SymbolIndex s, Decimal px, Decimal qty, Side taker, std::int64_t ms) {
  Feed& f = feeds[s];
  if (f.prev_close.is_zero()) f.prev_close = px;
  // Upbit's sequential_id grows with time (ms x 1000 + a counter); unique and increasing here.
  next_sequential_id = std::max(next_sequential_id + 1, ms * 1'000);
  Print p{next_sequential_id, px, qty, taker, ms};
  f.prints.push_back(p);
  if (f.prints.size() > kKeptPrints) f.prints.pop_front();
  f.day.push_back(p);
  while (!f.day.empty() && f.day.front().time_ms < ms - kDayMs) f.day.pop_front();
  publish_trade(s, p);
}

}  // namespace oms::venue_sim
