// venue-sim's Upbit front: order queries (GET /v1/order with its trades, /v1/orders/open,
// /v1/orders/closed in windows of at most 7 days, /v1/orders/uuids; newest first unless order_by
// asc) and the account (GET /v1/accounts, /v1/orders/chance).
#include <algorithm>
#include <cstdio>

#include "upbit_front_impl.hpp"

namespace oms::venue_sim {

using namespace upsim;

namespace {

constexpr std::int64_t kWeekMs = 7LL * 24 * 3'600'000;

}  // namespace

UpbitFront::Impl::Answer UpbitFront::Impl::get_order(Account& a, const Args& p) {
  p.only({"uuid", "identifier"});
  JsonOut j;
  order_json(j, find_order(a, p, "uuid", "identifier"), true);
  return {200, j.take()};
}

namespace {

struct ListQuery {
  std::optional<sim::SymbolIndex> market;
  std::set<std::string, std::less<>> states;
  std::size_t limit = 100;
  std::size_t page = 1;
  bool asc = false;
  std::int64_t start = 0, end = 0;
};

}  // namespace

static UpbitFront::Impl::Answer list(UpbitFront::Impl& im, UpbitFront::Impl::Account& a, const ListQuery& q, const std::vector<std::string>* only) {
  const auto ai = static_cast<std::size_t>(&a - im.accounts.data());
  std::vector<std::string> seq = only != nullptr ? *only : im.order_seq;
  if (!q.asc) std::reverse(seq.begin(), seq.end());
  JsonOut j;
  j.arr();
  std::size_t skipped = 0, n = 0;
  for (const auto& uuid : seq) {
    const auto it = im.orders.find(uuid);
    if (it == im.orders.end()) continue;
    const OrderMeta& m = it->second;
    if (m.account != ai) continue;
    if (q.market && *q.market != m.symbol) continue;
    if (!q.states.empty() && !q.states.count(m.state == "prevented" ? "cancel" : m.state)) continue;
    // start_time / end_time select by the order's creation time ("주문 생성시각 기준").
    if ((q.start != 0 || q.end != 0) && (m.created_ms < q.start || m.created_ms > q.end)) continue;
    if (skipped < (q.page - 1) * q.limit) {
      ++skipped;
      continue;
    }
    if (n++ >= q.limit) break;
    im.order_json(j, m, false);
  }
  j.end_arr();
  return {200, j.take()};
}

namespace {

std::set<std::string, std::less<>> states_of(const UpbitFront::Impl::Args& p, std::initializer_list<std::string_view> allowed) {
  std::set<std::string, std::less<>> out;
  std::vector<std::string> given = p.list("states");
  if (const auto one = p.text("state")) given.push_back(*one);
  for (const auto& s : given) {
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) validation("states: '" + s + "' is not a state of this list");
    out.insert(s);
  }
  return out;
}

bool asc_of(const UpbitFront::Impl::Args& p) {
  const std::string o = p.text("order_by").value_or("desc");
  if (o != "asc" && o != "desc") validation("order_by: asc or desc");
  return o == "asc";
}

std::int64_t time_param(const UpbitFront::Impl::Args& p, const char* k) {
  // ISO 8601 with an offset ("2024-03-13T00:00:00+09:00") or Unix milliseconds.
  const auto t = p.text(k);
  if (!t) return 0;
  if (std::all_of(t->begin(), t->end(), [](char c) { return c >= '0' && c <= '9'; })) return *p.integer(k);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, oh = 0, om = 0;
  char sign = '+';
  if (std::sscanf(t->c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d", &y, &mo, &d, &h, &mi, &se, &sign, &oh, &om) < 6)
    validation(std::string(k) + ": '" + *t + "' is not ISO 8601 (2024-03-13T00:00:00+09:00) or milliseconds");
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) validation(std::string(k) + ": '" + *t + "' is not a date");
  std::int64_t ms = duration_cast<milliseconds>(sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi) + seconds(se)).count();
  const std::int64_t off = (oh * 60LL + om) * 60'000LL;
  if (sign == '+') ms -= off;
  else if (sign == '-') ms += off;
  return ms;
}

}  // namespace

UpbitFront::Impl::Answer UpbitFront::Impl::open_orders(Account& a, const Args& p) {
  p.only({"market", "state", "states", "page", "limit", "order_by"});
  ListQuery q;
  if (const auto m = p.text("market")) q.market = market_of(*m, "market");
  const auto st = states_of(p, {"wait", "watch"});
  if (st.count("watch") && st.size() == 1) return {200, "[]"};  // venue-sim has no reserved orders
  q.states = {"wait"};
  const auto page = p.integer("page").value_or(1);
  const auto limit = p.integer("limit").value_or(100);
  if (page < 1) validation("page: from 1");
  if (limit < 1 || limit > 100) validation("limit: 1 to 100");
  q.page = static_cast<std::size_t>(page);
  q.limit = static_cast<std::size_t>(limit);
  q.asc = asc_of(p);
  return list(*this, a, q, nullptr);
}

UpbitFront::Impl::Answer UpbitFront::Impl::closed_orders(Account& a, const Args& p) {
  p.only({"market", "state", "states", "start_time", "end_time", "limit", "order_by"});
  ListQuery q;
  if (const auto m = p.text("market")) q.market = market_of(*m, "market");
  q.states = states_of(p, {"done", "cancel"});
  if (q.states.empty()) q.states = {"done", "cancel"};
  const auto limit = p.integer("limit").value_or(100);
  if (limit < 1 || limit > 1000) validation("limit: 1 to 1000");
  q.limit = static_cast<std::size_t>(limit);
  q.asc = asc_of(p);
  // The window (orders created in it): at most 7 days; only an end: the 7 days before it; only a
  // start: 7 days from it; neither: the last 7 days. At most `limit` of it (newest first unless
  // order_by asc), no cursor: a window holding more must be asked in parts.
  std::int64_t start = time_param(p, "start_time"), end = time_param(p, "end_time");
  if (start == 0 && end == 0) end = now_ms();
  if (start == 0) start = end - kWeekMs;
  if (end == 0) end = start + kWeekMs;
  if (end < start || end - start > kWeekMs) validation("start_time / end_time: a window of at most 7 days");
  q.start = start;
  q.end = end;
  return list(*this, a, q, nullptr);
}

UpbitFront::Impl::Answer UpbitFront::Impl::orders_uuids(Account& a, const Args& p) {
  p.only({"market", "uuids", "identifiers", "order_by"});
  const auto uuids = p.list("uuids");
  const auto idents = p.list("identifiers");
  if (uuids.empty() == idents.empty()) validation("uuids[] or identifiers[]: send one of them");
  constexpr std::size_t kMax = 100;
  if (uuids.size() > kMax || idents.size() > kMax) validation("uuids[] / identifiers[]: at most 100");
  std::vector<std::string> wanted;
  for (const auto& id : uuids.empty() ? idents : uuids) {
    if (uuids.empty()) {
      const auto it = a.by_identifier.find(id);
      if (it != a.by_identifier.end()) wanted.push_back(it->second);
    } else {
      wanted.push_back(id);
    }
  }
  std::vector<std::string> seq;
  for (const auto& u : order_seq) {
    if (std::find(wanted.begin(), wanted.end(), u) != wanted.end()) seq.push_back(u);
  }
  ListQuery q;
  if (const auto m = p.text("market")) q.market = market_of(*m, "market");
  q.limit = kMax;
  q.asc = asc_of(p);
  return list(*this, a, q, &seq);
}

UpbitFront::Impl::Answer UpbitFront::Impl::accounts_list(Account& a) {
  JsonOut j;
  j.arr();
  for (const auto& b : venue->balances(a.id)) {
    const Decimal reserve = reserved_fees(a, b.asset);
    const Decimal balance = dsub(b.free, reserve), locked = dadd(b.locked, reserve);
    if (balance.is_zero() && locked.is_zero()) continue;
    const auto avg = a.avg_buy.find(b.asset);
    j.obj().kv("currency", b.asset).kv("balance", text(balance)).kv("locked", text(locked));
    j.kv("avg_buy_price", avg == a.avg_buy.end() ? "0" : text(avg->second)).kb("avg_buy_price_modified", false);
    j.kv("unit_currency", "KRW").end_obj();
  }
  j.end_arr();
  return {200, j.take()};
}

UpbitFront::Impl::Answer UpbitFront::Impl::chance(Account& a, const Args& p) {
  p.only({"market"});
  const auto code = p.text("market");
  if (!code) validation("market: required");
  const sim::SymbolIndex s = market_of(*code, "market");
  const UpbitMarket& mk = markets[s];
  const auto row = [&](JsonOut& j, const std::string& ccy) {
    Decimal free, locked;
    for (const auto& b : venue->balances(a.id)) {
      if (b.asset == ccy) {
        free = b.free;
        locked = b.locked;
      }
    }
    const Decimal reserve = reserved_fees(a, ccy);
    const auto avg = a.avg_buy.find(ccy);
    j.obj().kv("currency", ccy).kv("balance", text(dsub(free, reserve))).kv("locked", text(dadd(locked, reserve)));
    j.kv("avg_buy_price", avg == a.avg_buy.end() ? "0" : text(avg->second)).kb("avg_buy_price_modified", false);
    j.kv("unit_currency", "KRW").end_obj();
  };
  JsonOut j;
  j.obj().kv("bid_fee", text(a.spec.taker)).kv("ask_fee", text(a.spec.taker));
  j.kv("maker_bid_fee", text(a.spec.maker)).kv("maker_ask_fee", text(a.spec.maker));
  j.key("market").obj().kv("id", mk.venue.venue_symbol).kv("name", mk.venue.symbol.base + "/" + mk.venue.symbol.quote);
  j.key("order_types").arr().str("limit").end_arr();
  j.key("order_sides").arr().str("ask").str("bid").end_arr();
  j.key("bid_types").arr().str("best_fok").str("best_ioc").str("limit").str("limit_fok").str("limit_ioc").str("price").end_arr();
  j.key("ask_types").arr().str("best_fok").str("best_ioc").str("limit").str("limit_fok").str("limit_ioc").str("market").end_arr();
  j.key("bid").obj().kv("currency", mk.venue.symbol.quote).kv("min_total", text(mk.min_total)).end_obj();
  j.key("ask").obj().kv("currency", mk.venue.symbol.quote).kv("min_total", text(mk.min_total)).end_obj();
  j.kv("max_total", "1000000000").kv("state", "active").end_obj();
  j.key("bid_account");
  row(j, mk.venue.symbol.quote);
  j.key("ask_account");
  row(j, mk.venue.symbol.base);
  j.end_obj();
  return {200, j.take()};
}

}  // namespace oms::venue_sim
