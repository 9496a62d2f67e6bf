// venue-sim's Upbit front: orders (POST /v1/orders and /v1/orders/test, cancel_and_new, DELETE
// /v1/order, /v1/orders/open, /v1/orders/uuids) and the order rendering the queries share
// (upbit_front_queries.cpp).
//
// Refusals, in Upbit's names (HTTP 400 unless said): validation_error (a parameter missing,
// malformed or unknown, a used identifier, an order no longer open), create_bid_error /
// create_ask_error (a parameter the ord_type does not take: a price on a market ask, a volume on a
// price bid), invalid_price_bid / _ask (a limit price off its band's tick), invalid_volume_bid /
// _ask (a volume not positive), under_min_total_bid / _ask (under the market's minimum total),
// insufficient_funds_bid / _ask (funds plus the fee / volume past what is free), order_not_found
// (404), market_does_not_exist (404).
#include <algorithm>

#include "oms/connectors/upbit/instruments.hpp"
#include "upbit_front_impl.hpp"

namespace oms::venue_sim {

using namespace upsim;

namespace {

constexpr std::size_t kMaxIdentifier = 64;  // venue-sim's bound (Upbit documents none)

const char* side_text(Side s) { return s == Side::kBuy ? "bid" : "ask"; }
std::string sfx(Side s) { return s == Side::kBuy ? "_bid" : "_ask"; }

Decimal fee_of(Decimal funds, Decimal rate) { return dmul(funds, rate, Rounding::kUp); }

}  // namespace

sim::OrderView UpbitFront::Impl::view_of(const OrderMeta& m) const {
  auto v = venue->query(accounts[m.account].id, m.symbol, sim::OrderRef{m.order_id, {}});
  if (!v.ok()) throw std::logic_error("upbit front: an order the core does not know (" + m.uuid + ")");
  return *v;
}

Decimal UpbitFront::Impl::reserved_fees(const Account& a, std::string_view currency) {
  Decimal sum;
  const auto ai = static_cast<std::size_t>(&a - accounts.data());
  for (const auto& [uuid, m] : orders) {
    if (m.account == ai && m.state == "wait" && quote(m.symbol) == currency) sum = dadd(sum, remaining_fee(m));
  }
  return sum;
}

Decimal UpbitFront::Impl::spendable(const Account& a, std::string_view currency) {
  Decimal free;
  for (const auto& b : venue->balances(a.id)) {
    if (b.asset == currency) free = b.free;
  }
  return std::max(Decimal{}, dsub(free, reserved_fees(a, currency)));
}

void UpbitFront::Impl::order_json(JsonOut& j, const OrderMeta& m, bool with_trades) {
  const sim::OrderView v = view_of(m);
  const bool by_total = m.ord_type == "price" || (m.ord_type == "best" && m.side == Side::kBuy);
  const bool market_ask = m.ord_type == "market" || (m.ord_type == "best" && m.side == Side::kSell);
  const bool open = m.state == "wait";
  Decimal remaining_volume = open ? dsub(v.quantity, v.executed_qty) : Decimal{};
  Decimal locked;
  if (open) {
    if (m.side == Side::kBuy) {
      const Decimal funds_left = by_total ? dsub(m.price, v.cum_quote) : dmul(m.price, remaining_volume);
      locked = dadd(funds_left, remaining_fee(m));
    } else {
      locked = remaining_volume;
    }
  }
  j.obj().kv("uuid", m.uuid).kv("side", side_text(m.side)).kv("ord_type", m.ord_type);
  if (market_ask) j.key("price").null();
  else j.kv("price", text(m.price));
  j.kv("state", m.state).kv("market", markets[m.symbol].venue.venue_symbol).kv("created_at", kst(m.created_ms));
  if (by_total) {
    j.key("volume").null().key("remaining_volume").null();
  } else {
    j.kv("volume", text(m.volume)).kv("remaining_volume", text(remaining_volume));
  }
  j.kv("reserved_fee", text(m.reserved_fee)).kv("remaining_fee", text(remaining_fee(m))).kv("paid_fee", text(m.paid_fee));
  j.kv("locked", text(locked)).kv("executed_volume", text(v.executed_qty)).kv("executed_funds", text(v.cum_quote));
  j.kn("trades_count", static_cast<std::int64_t>(m.trades.size()));
  if (!m.time_in_force.empty()) j.kv("time_in_force", m.time_in_force);
  if (!m.identifier.empty()) j.kv("identifier", m.identifier);
  if (!m.smp_type.empty()) j.kv("smp_type", m.smp_type);
  j.kv("prevented_volume", text(m.prevented_volume)).kv("prevented_locked", "0");
  if (with_trades) {
    j.key("trades").arr();
    for (const auto& t : m.trades) {
      j.obj().kv("market", markets[m.symbol].venue.venue_symbol).kv("uuid", t.uuid).kv("price", text(t.price));
      j.kv("volume", text(t.volume)).kv("funds", text(t.funds)).kv("trend", m.side == Side::kBuy ? "up" : "down");
      j.kv("created_at", kst(t.ms)).kv("side", side_text(m.side)).end_obj();
    }
    j.end_arr();
  }
  j.end_obj();
}

OrderMeta& UpbitFront::Impl::place_one(Account& a, sim::SymbolIndex s, Side side, const std::string& ord_type,
                                       std::optional<Decimal> price, std::optional<Decimal> volume, const std::string& tif,
                                       const std::string& smp, const std::string& identifier) {
  const UpbitMarket& mk = markets[s];
  const std::string& q = mk.venue.symbol.quote;
  const std::string create_error = side == Side::kBuy ? "create_bid_error" : "create_ask_error";
  const auto need = [&](const std::optional<Decimal>& x, const char* name) {
    if (!x) validation(std::string(name) + ": required for ord_type " + ord_type + (side == Side::kBuy ? " bid" : " ask"));
  };
  const auto not_taken = [&](const std::optional<Decimal>& x, const char* name) {
    if (x) refuse(400, create_error, std::string(name) + ": ord_type " + ord_type + " does not take it (주문 요청 정보가 올바르지 않습니다)");
  };
  if (ord_type == "limit") {
    need(price, "price");
    need(volume, "volume");
    if (!tif.empty() && tif != "ioc" && tif != "fok" && tif != "post_only") validation("time_in_force: '" + tif + "' (ioc, fok or post_only)");
    if (tif == "post_only" && !smp.empty()) validation("time_in_force post_only does not go with smp_type");
  } else if (ord_type == "price") {
    if (side != Side::kBuy) refuse(400, create_error, "ord_type price is a market bid (a market ask is ord_type market)");
    need(price, "price");
    not_taken(volume, "volume");
    if (!tif.empty()) validation("time_in_force: not for ord_type price");
  } else if (ord_type == "market") {
    if (side != Side::kSell) refuse(400, create_error, "ord_type market is a market ask (a market bid is ord_type price)");
    need(volume, "volume");
    not_taken(price, "price");
    if (!tif.empty()) validation("time_in_force: not for ord_type market");
  } else if (ord_type == "best") {
    if (tif != "ioc" && tif != "fok") validation("time_in_force: ord_type best needs ioc or fok");
    if (side == Side::kBuy) {
      need(price, "price");
      not_taken(volume, "volume");
    } else {
      need(volume, "volume");
      not_taken(price, "price");
    }
  } else {
    validation("ord_type: '" + ord_type + "' (limit, price, market or best)");
  }
  if (smp == "reduce") validation("smp_type reduce: venue-sim does not model it (cancel_maker or cancel_taker)");
  if (!smp.empty() && smp != "cancel_maker" && smp != "cancel_taker") validation("smp_type: '" + smp + "'");
  if (price && !price->is_positive()) refuse(400, "invalid_price" + sfx(side), "price: must be positive, got " + text(*price));
  if (volume && !volume->is_positive()) refuse(400, "invalid_volume" + sfx(side), "volume: must be positive, got " + text(*volume));
  if (ord_type == "limit") {
    const auto tick = upbit::tick_size(q, *price);
    if (!tick.ok() || !price->is_multiple_of(*tick))
      refuse(400, "invalid_price" + sfx(side), "주문가격 단위를 잘못 입력하셨습니다. (price " + text(*price) + ": the tick at this price is " +
                                                   (tick.ok() ? text(*tick) : "unknown") + " " + q + ")");
  }
  if (!identifier.empty()) {
    if (identifier.size() > kMaxIdentifier) validation("identifier: at most 64 characters");
    if (const auto it = a.by_identifier.find(identifier); it != a.by_identifier.end())
      validation("identifier: '" + identifier + "' was used by order " + it->second + " (an identifier is unique per account, for ever)");
  }

  // The total the order moves (quote), for the minimum and the funds.
  const auto top = venue->top(s);
  Decimal total;
  if (ord_type == "limit") total = dmul(*price, *volume);
  else if (side == Side::kBuy) total = *price;
  else {
    const auto last = venue->last_price(s);
    const Decimal ref = top.bid ? top.bid->price : last.value_or(Decimal{});
    total = dmul(*volume, ref);
  }
  if (total < mk.min_total)
    refuse(400, "under_min_total" + sfx(side), "최소주문금액 이상으로 주문해주세요 (total " + text(total) + " " + q + " < " + text(mk.min_total) + ")");
  const Decimal rate = std::max(a.spec.maker, a.spec.taker);
  Decimal reserved;
  if (side == Side::kBuy) {
    reserved = fee_of(total, rate);
    const Decimal have = spendable(a, q);
    if (dadd(total, reserved) > have)
      refuse(400, "insufficient_funds_bid", "매수가능 금액이 부족합니다. (needs " + text(dadd(total, reserved)) + " " + q + " with the fee, " + text(have) + " free)");
  } else {
    Decimal free;
    for (const auto& b : venue->balances(a.id)) {
      if (b.asset == mk.venue.symbol.base) free = b.free;
    }
    if (*volume > free)
      refuse(400, "insufficient_funds_ask", "매도가능 잔고가 부족합니다. (volume " + text(*volume) + " " + mk.venue.symbol.base + ", " + text(free) + " free)");
  }

  sim::NewOrder o;
  o.account = a.id;
  o.symbol = s;
  o.side = side;
  o.stp = smp == "cancel_maker" ? sim::SimStp::kExpireMaker : smp == "cancel_taker" ? sim::SimStp::kExpireTaker : sim::SimStp::kNone;
  if (ord_type == "limit") {
    o.type = sim::SimOrderType::kLimit;
    o.price = *price;
    o.quantity = *volume;
    o.tif = tif == "ioc" ? sim::SimTif::kIoc : tif == "fok" ? sim::SimTif::kFok : tif == "post_only" ? sim::SimTif::kGtx : sim::SimTif::kGtc;
  } else if (ord_type == "price") {
    o.type = sim::SimOrderType::kMarket;
    o.quote_order_qty = *price;
  } else if (ord_type == "market") {
    o.type = sim::SimOrderType::kMarket;
    o.quantity = *volume;
  } else {
    // best: a limit at the best opposite price, ioc / fok (a bid buys what its total pays for there).
    const auto& best = side == Side::kBuy ? top.ask : top.bid;
    if (!best) validation("ord_type best: the book has no " + std::string(side == Side::kBuy ? "ask" : "bid") + " to take");
    o.type = sim::SimOrderType::kLimit;
    o.price = best->price;
    // A bid's volume: what the total pays for, down to Upbit's 8 decimals.
    const auto bought = ddiv(*price, best->price, Rounding::kDown).round_to(mk.venue.rules.step_size, Rounding::kDown);
    o.quantity = side == Side::kBuy ? (bought.ok() ? *bought : Decimal{}) : *volume;
    o.tif = tif == "ioc" ? sim::SimTif::kIoc : sim::SimTif::kFok;
    if (!o.quantity.is_positive()) refuse(400, "under_min_total_bid", "price: buys nothing at the best ask " + text(best->price));
  }
  const std::string uuid = new_uuid();
  o.client_order_id = uuid;
  const std::int64_t now = now_ms();
  if (test_only) {
    // /v1/orders/test: every check above passed; nothing is placed (Upbit answers the would-be
    // order; venue-sim keeps no trace of it).
    test_order = OrderMeta{};
    test_order.uuid = uuid;
    test_order.identifier = identifier;
    test_order.account = static_cast<std::size_t>(&a - accounts.data());
    test_order.symbol = s;
    test_order.side = side;
    test_order.ord_type = ord_type;
    test_order.time_in_force = tif;
    test_order.smp_type = smp;
    test_order.price = price.value_or(Decimal{});
    test_order.volume = volume.value_or(Decimal{});
    test_order.reserved_fee = reserved;
    test_order.created_ms = now;
    return test_order;
  }
  // The meta exists before the core runs: its reports (fills, the end) are accounted in flush().
  OrderMeta& m = orders[uuid];
  m.uuid = uuid;
  m.identifier = identifier;
  m.account = static_cast<std::size_t>(&a - accounts.data());
  m.symbol = s;
  m.side = side;
  m.ord_type = ord_type;
  m.time_in_force = tif;
  m.smp_type = smp;
  m.price = price.value_or(Decimal{});
  m.volume = volume.value_or(Decimal{});
  m.reserved_fee = reserved;
  m.created_ms = now;
  sim::Outbox out;
  auto r = venue->place(o, now_ns(), out);
  if (!r.ok()) {
    orders.erase(uuid);
    flush(out);
    const auto& e = r.error();
    if (e.msg.find("insufficient balance") != std::string::npos)
      refuse(400, "insufficient_funds" + sfx(side), "잔고가 부족합니다. (" + e.msg + ")");
    validation("venue-sim refused the order: " + std::to_string(e.code) + " " + e.msg);
  }
  m.order_id = r->order_id;
  by_core[{s, r->order_id}] = uuid;
  order_seq.push_back(uuid);
  if (!identifier.empty()) a.by_identifier[identifier] = uuid;
  flush(out);
  return orders.at(uuid);
}

UpbitFront::Impl::Answer UpbitFront::Impl::place(Account& a, const Args& p) {
  p.only({"market", "side", "volume", "price", "ord_type", "identifier", "time_in_force", "smp_type"});
  const auto code = p.text("market");
  if (!code) validation("market: required");
  const sim::SymbolIndex s = market_of(*code, "market");
  const auto side = p.text("side");
  if (!side || (*side != "bid" && *side != "ask")) validation("side: bid or ask, got '" + side.value_or("") + "'");
  const auto ord_type = p.text("ord_type");
  if (!ord_type) validation("ord_type: required");
  OrderMeta& m = place_one(a, s, *side == "bid" ? Side::kBuy : Side::kSell, *ord_type, p.decimal("price"), p.decimal("volume"),
                           p.text("time_in_force").value_or(""), p.text("smp_type").value_or(""), p.text("identifier").value_or(""));
  JsonOut j;
  if (test_only) {
    // The would-be order as placed (wait, nothing executed); the core never saw it.
    const bool by_total = m.ord_type == "price" || (m.ord_type == "best" && m.side == Side::kBuy);
    j.obj().kv("uuid", m.uuid).kv("side", side_text(m.side)).kv("ord_type", m.ord_type);
    if (m.price.is_zero()) j.key("price").null();
    else j.kv("price", text(m.price));
    j.kv("state", "wait").kv("market", *code).kv("created_at", kst(m.created_ms));
    if (by_total) j.key("volume").null().key("remaining_volume").null();
    else j.kv("volume", text(m.volume)).kv("remaining_volume", text(m.volume));
    j.kv("reserved_fee", text(m.reserved_fee)).kv("remaining_fee", text(m.reserved_fee)).kv("paid_fee", "0");
    const Decimal locked = m.side == Side::kBuy ? dadd(by_total ? m.price : dmul(m.price, m.volume), m.reserved_fee) : m.volume;
    j.kv("locked", text(locked)).kv("executed_volume", "0").kv("executed_funds", "0").kn("trades_count", 0);
    if (!m.time_in_force.empty()) j.kv("time_in_force", m.time_in_force);
    if (!m.identifier.empty()) j.kv("identifier", m.identifier);
    j.end_obj();
    return {201, j.take()};
  }
  // Upbit answers the order as it was accepted (state wait, before any execution).
  order_json(j, m, false);
  return {201, j.take()};
}

OrderMeta& UpbitFront::Impl::find_order(Account& a, const Args& p, const char* uuid_key, const char* id_key) {
  const auto uuid = p.text(uuid_key);
  const auto ident = p.text(id_key);
  if (!uuid && !ident) validation(std::string(uuid_key) + " or " + id_key + ": one is required");
  if (uuid && ident) validation(std::string(uuid_key) + " and " + id_key + ": send one of them");
  const auto ai = static_cast<std::size_t>(&a - accounts.data());
  std::string key = uuid.value_or("");
  if (ident) {
    const auto it = a.by_identifier.find(*ident);
    if (it == a.by_identifier.end()) refuse(404, "order_not_found", "주문을 찾지 못했습니다. (identifier " + *ident + ")");
    key = it->second;
  }
  const auto it = orders.find(key);
  if (it == orders.end() || it->second.account != ai) refuse(404, "order_not_found", "주문을 찾지 못했습니다. (uuid " + key + ")");
  return it->second;
}

std::string UpbitFront::Impl::cancel_one(OrderMeta& m) {
  if (m.state != "wait") validation("the order is " + m.state + ": only an order in wait can be canceled");
  // Upbit answers the order as it stood when the cancel was accepted (state wait); the cancel
  // itself shows on myOrder and in the next query.
  JsonOut j;
  order_json(j, m, false);
  sim::Outbox out;
  auto r = venue->cancel(accounts[m.account].id, m.symbol, sim::OrderRef{m.order_id, {}}, now_ns(), out);
  flush(out);
  if (!r.ok()) validation("the order could not be canceled: " + r.error().msg);
  return j.take();
}

UpbitFront::Impl::Answer UpbitFront::Impl::cancel(Account& a, const Args& p) {
  p.only({"uuid", "identifier"});
  OrderMeta& m = find_order(a, p, "uuid", "identifier");
  return {200, cancel_one(m)};
}

UpbitFront::Impl::Answer UpbitFront::Impl::cancel_and_new(Account& a, const Args& p) {
  p.only({"prev_order_uuid", "prev_order_identifier", "new_ord_type", "new_volume", "new_price", "new_identifier",
          "new_time_in_force", "new_smp_type"});
  OrderMeta& old = find_order(a, p, "prev_order_uuid", "prev_order_identifier");
  if (old.state != "wait") validation("prev order is " + old.state + ": only an order in wait can be replaced");
  const auto new_type = p.text("new_ord_type");
  if (!new_type) validation("new_ord_type: required");
  const std::string new_id = p.text("new_identifier").value_or("");
  if (!new_id.empty() && new_id == old.identifier) validation("new_identifier: must differ from the canceled order's");
  std::optional<Decimal> volume;
  const auto vol_text = p.text("new_volume");
  const std::string old_uuid = old.uuid;
  const sim::SymbolIndex s = old.symbol;
  const Side side = old.side;
  {
    const sim::OrderView v = view_of(old);
    if (vol_text == "remain_only") volume = dsub(v.quantity, v.executed_qty);
    else volume = p.decimal("new_volume");
  }
  // Cancel first (Upbit places the new order once the old one is canceled).
  (void)cancel_one(old);
  OrderMeta& m = place_one(a, s, side, *new_type, p.decimal("new_price"), volume, p.text("new_time_in_force").value_or(""),
                           p.text("new_smp_type").value_or(""), new_id);
  JsonOut j;
  j.obj().kv("uuid", old_uuid).kv("new_order_uuid", m.uuid);
  if (!new_id.empty()) j.kv("new_order_identifier", new_id);
  j.end_obj();
  return {201, j.take()};
}

UpbitFront::Impl::Answer UpbitFront::Impl::cancel_open(Account& a, const Args& p) {
  p.only({"cancel_side", "pairs", "excluded_pairs", "quote_currencies", "count", "order_by"});
  const std::string side = p.text("cancel_side").value_or("all");
  if (side != "all" && side != "bid" && side != "ask") validation("cancel_side: all, bid or ask");
  const auto split = [](std::string_view t) {
    std::set<std::string, std::less<>> out;
    while (!t.empty()) {
      const auto c = t.find(',');
      out.emplace(t.substr(0, c));
      t = c == std::string_view::npos ? std::string_view{} : t.substr(c + 1);
    }
    return out;
  };
  const auto pairs = split(p.text("pairs").value_or(""));
  const auto excluded = split(p.text("excluded_pairs").value_or(""));
  const auto quotes = split(p.text("quote_currencies").value_or(""));
  if (!pairs.empty() && !quotes.empty()) validation("pairs and quote_currencies: send one of them");
  constexpr std::int64_t kMaxCount = 300, kDefaultCount = 20;
  const auto count = p.integer("count").value_or(kDefaultCount);
  if (count < 1 || count > kMaxCount) validation("count: 1 to 300");
  const std::string order_by = p.text("order_by").value_or("desc");
  if (order_by != "asc" && order_by != "desc") validation("order_by: asc or desc");
  const auto ai = static_cast<std::size_t>(&a - accounts.data());
  std::vector<std::string> chosen;
  std::vector<std::string> seq = order_seq;
  if (order_by == "desc") std::reverse(seq.begin(), seq.end());
  for (const auto& uuid : seq) {
    const OrderMeta& m = orders.at(uuid);
    const auto& code = markets[m.symbol].venue.venue_symbol;
    if (m.account != ai || m.state != "wait") continue;
    if (side != "all" && side != side_text(m.side)) continue;
    if (!pairs.empty() && !pairs.count(code)) continue;
    if (excluded.count(code) || (!quotes.empty() && !quotes.count(quote(m.symbol)))) continue;
    if (static_cast<std::int64_t>(chosen.size()) >= count) break;
    chosen.push_back(uuid);
  }
  JsonOut j;
  j.obj().key("success").obj().kn("count", static_cast<std::int64_t>(chosen.size())).key("orders").arr();
  for (const auto& uuid : chosen) {
    OrderMeta& m = orders.at(uuid);
    j.obj().kv("uuid", uuid).kv("market", markets[m.symbol].venue.venue_symbol);
    if (!m.identifier.empty()) j.kv("identifier", m.identifier);
    j.end_obj();
    (void)cancel_one(m);
  }
  j.end_arr().end_obj().key("failed").obj().kn("count", 0).key("orders").arr().end_arr().end_obj().end_obj();
  return {200, j.take()};
}

UpbitFront::Impl::Answer UpbitFront::Impl::cancel_uuids(Account& a, const Args& p) {
  p.only({"uuids", "identifiers"});
  const auto uuids = p.list("uuids");
  const auto idents = p.list("identifiers");
  if (uuids.empty() == idents.empty()) validation("uuids[] or identifiers[]: send one of them");
  constexpr std::size_t kMax = 20;
  if (uuids.size() > kMax || idents.size() > kMax) validation("uuids[] / identifiers[]: at most 20");
  JsonOut ok, bad;
  std::int64_t n_ok = 0, n_bad = 0;
  ok.arr();
  bad.arr();
  const auto ai = static_cast<std::size_t>(&a - accounts.data());
  for (const auto& id : uuids.empty() ? idents : uuids) {
    std::string uuid = id;
    if (uuids.empty()) {
      const auto it = a.by_identifier.find(id);
      uuid = it == a.by_identifier.end() ? std::string() : it->second;
    }
    const auto it = orders.find(uuid);
    if (it == orders.end() || it->second.account != ai || it->second.state != "wait") {
      bad.obj().kv(uuids.empty() ? "identifier" : "uuid", id).end_obj();
      ++n_bad;
      continue;
    }
    ok.obj().kv("uuid", uuid).kv("market", markets[it->second.symbol].venue.venue_symbol);
    if (!it->second.identifier.empty()) ok.kv("identifier", it->second.identifier);
    ok.end_obj();
    ++n_ok;
    (void)cancel_one(it->second);
  }
  ok.end_arr();
  bad.end_arr();
  JsonOut j;
  j.obj().key("success").obj().kn("count", n_ok).key("orders").raw(ok.text()).end_obj();
  j.key("failed").obj().kn("count", n_bad).key("orders").raw(bad.text()).end_obj().end_obj();
  return {200, j.take()};
}

}  // namespace oms::venue_sim
