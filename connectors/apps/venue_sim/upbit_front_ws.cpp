// venue-sim's Upbit front: what the venue's changes do (fees charged in the quote, order states,
// the public trade record) and the WebSockets that push them.
//   /websocket/v1: one request (a JSON array [{"ticket"}, {"type","codes",...}..., {"format"}])
//     subscribes the connection (a later request replaces it): orderbook (whole snapshots of 15
//     units, or N with a code "KRW-BTC.N"; SNAPSHOT at subscription then REALTIME, timestamps
//     strictly increasing), trade, ticker (SNAPSHOT of the last state, then each trade);
//     is_only_snapshot / is_only_realtime; format DEFAULT or SIMPLE. "PING" text: {"status":"UP"}.
//     Errors as Upbit sends them: {"error":{"name":"NO_TICKET"|"NO_TYPE"|"NO_CODES"|
//     "INVALID_PARAM"|"WRONG_FORMAT","message":..}}.
//   /websocket/v1/private: the upgrade carries Authorization: Bearer <JWT> (access_key, nonce; no
//     query_hash); a bad token is refused at the upgrade (HTTP 401 with the REST refusal's body:
//     jwt_verification, invalid_access_key, nonce_used ...); then myOrder (wait, trade, done,
//     cancel, prevented per change) and myAsset (the currencies a change touched).
// Private pushes go through the fault injector (duplicate, reorder, drop_ws) and the latency model.
#include <algorithm>
#include <cctype>

#include "upbit_front_impl.hpp"

namespace oms::venue_sim {

using namespace upsim;

namespace {

std::string ws_error(std::string_view name, std::string_view message) {
  JsonOut j;
  j.obj().key("error").obj().kv("name", name).kv("message", message).end_obj().end_obj();
  return j.take();
}

Decimal fee_of(Decimal funds, Decimal rate) { return dmul(funds, rate, Rounding::kUp); }

struct Fields {
  JsonOut& j;
  bool simple;
  JsonOut& k(std::string_view full, std::string_view brief) { return j.key(simple ? brief : full); }
};

}  // namespace

// ---- the venue's changes --------------------------------------------------------------------------
void UpbitFront::Impl::flush(sim::Outbox& out) {
  const std::int64_t now = now_ms();
  std::set<sim::SymbolIndex> touched;
  struct Push {
    std::string type, code, def, simple;
  };
  std::map<std::size_t, std::vector<Push>> pushes;
  std::map<std::size_t, std::set<std::string, std::less<>>> assets;  // account -> currencies changed
  for (const auto& r : out.reports) {
    touched.insert(r.symbol);
    const auto it = by_core.find({r.symbol, r.order_id});
    if (it == by_core.end()) continue;
    OrderMeta& m = orders.at(it->second);
    Account& a = accounts[m.account];
    const std::string& q = quote(m.symbol);
    const std::string& b = base(m.symbol);
    assets[m.account].insert(q);
    assets[m.account].insert(b);
    const sim::ExecutionReport* fill = nullptr;
    if (r.exec_type == sim::ExecType::kTrade) {
      fill = &r;
      const Decimal funds = dmul(r.last_price, r.last_qty);
      Decimal fee = fee_of(funds, r.maker ? a.spec.maker : a.spec.taker);
      // The fee leaves the quote balance (a bid reserved it at placement; an ask pays it out of
      // the funds just received).
      sim::Outbox ignored;
      if (!fee.is_zero() && !venue->deposit(a.id, q, Decimal::from_raw(-fee.raw()), now * 1'000'000, ignored).ok()) fee = Decimal{};
      m.paid_fee = dadd(m.paid_fee, fee);
      if (m.side == Side::kBuy) {
        Decimal held;
        for (const auto& bal : venue->balances(a.id)) {
          if (bal.asset == b) held = dadd(bal.free, bal.locked);
        }
        const Decimal before = dsub(held, r.last_qty);
        Decimal& avg = a.avg_buy[b];
        avg = held.is_zero() ? Decimal{} : ddiv(dadd(dmul(avg, before), funds), held);
      }
      m.trades.push_back(Trade{new_uuid(), r.last_price, r.last_qty, funds, fee, r.maker, now});
      if (!r.maker) record_trade(r.symbol, r.last_price, r.last_qty, r.side, now);
    }
    switch (r.status) {
      case sim::SimStatus::kFilled: m.state = "done"; break;
      case sim::SimStatus::kCanceled:
      case sim::SimStatus::kExpired:
      case sim::SimStatus::kRejected:
      case sim::SimStatus::kExpiredInMatch:
        m.state = r.expiry_reason.rfind("STP_", 0) == 0 ? "prevented" : "cancel";
        if (m.state == "prevented") m.prevented_volume = dsub(r.quantity, r.cum_qty);
        break;
      default: break;
    }
    if (m.state != "wait" && m.done_ms == 0) m.done_ms = now;
    // myOrder: wait when accepted, trade per fill, then done / cancel / prevented.
    const auto add = [&](const sim::ExecutionReport* f, const std::string& state) {
      const std::string saved = m.state;
      m.state = state;
      pushes[m.account].push_back(Push{"myOrder", markets[m.symbol].venue.venue_symbol, my_order_json(m, f, false), my_order_json(m, f, true)});
      m.state = saved;
    };
    switch (r.exec_type) {
      case sim::ExecType::kNew: add(nullptr, "wait"); break;
      case sim::ExecType::kTrade:
        add(fill, "trade");
        if (r.status == sim::SimStatus::kFilled) add(nullptr, "done");
        break;
      case sim::ExecType::kCanceled:
      case sim::ExecType::kExpired:
      case sim::ExecType::kRejected: add(nullptr, m.state); break;
      default: break;
    }
  }
  for (const auto& u : out.account_updates) {
    for (auto& a : accounts) {
      if (a.id != u.account) continue;
      const auto ai = static_cast<std::size_t>(&a - accounts.data());
      for (const auto& bal : u.balances) assets[ai].insert(bal.asset);
    }
  }
  // One push per account: its myOrder messages, then myAsset of the currencies touched.
  std::set<std::size_t> who;
  for (const auto& [ai, l] : pushes) who.insert(ai);
  for (const auto& [ai, l] : assets) who.insert(ai);
  for (const std::size_t ai : who) {
    std::vector<Push> msgs = pushes[ai];
    if (assets.count(ai)) msgs.push_back(Push{"myAsset", "", my_asset_json(accounts[ai], assets[ai], false), my_asset_json(accounts[ai], assets[ai], true)});
    for (auto& [sid, sub] : subs) {
      if (!sub.priv || sub.account != ai || sub.types.empty()) continue;
      std::vector<const Push*> mine;
      for (const auto& p : msgs) {
        const auto t = sub.types.find(p.type);
        if (t == sub.types.end()) continue;
        if (!p.code.empty() && !t->second.empty() && !t->second.count(p.code)) continue;
        mine.push_back(&p);
      }
      if (mine.empty()) continue;
      if (draw(cfg.faults.drop_ws)) {
        sub.session->drop();
        continue;
      }
      for (std::size_t i = 0; i + 1 < mine.size(); ++i) {
        if (draw(cfg.faults.reorder)) std::swap(mine[i], mine[i + 1]);
      }
      const auto delay = cfg.latency.draw(latency_rng);
      for (const Push* p : mine) {
        const std::string& text_out = sub.simple ? p->simple : p->def;
        sub.session->send_after(delay, text_out);
        if (draw(cfg.faults.duplicate)) sub.session->send_after(delay, text_out);
      }
    }
  }
  for (const auto s : touched) publish_book(s);
}

std::string UpbitFront::Impl::my_order_json(const OrderMeta& m, const sim::ExecutionReport* fill, bool simple) {
  const sim::OrderView v = view_of(m);
  JsonOut j;
  Fields f{j, simple};
  const bool by_total = m.ord_type == "price" || (m.ord_type == "best" && m.side == Side::kBuy);
  const bool open = m.state == "wait" || m.state == "trade";
  const Decimal remaining = open && !by_total ? dsub(v.quantity, v.executed_qty) : Decimal{};
  const Decimal avg = v.executed_qty.is_zero() ? Decimal{} : ddiv(v.cum_quote, v.executed_qty);
  const Decimal rem_fee = open && m.side == Side::kBuy ? std::max(Decimal{}, dsub(m.reserved_fee, m.paid_fee)) : Decimal{};
  Decimal locked;
  if (open) locked = m.side == Side::kBuy ? dadd(by_total ? dsub(m.price, v.cum_quote) : dmul(m.price, remaining), rem_fee) : remaining;
  j.obj();
  f.k("type", "ty").str("myOrder");
  f.k("code", "cd").str(markets[m.symbol].venue.venue_symbol);
  f.k("uuid", "uid").str(m.uuid);
  f.k("ask_bid", "ab").str(m.side == Side::kBuy ? "BID" : "ASK");
  f.k("order_type", "ot").str(m.ord_type);
  f.k("state", "s").str(m.state);
  if (fill != nullptr) f.k("trade_uuid", "tuid").str(m.trades.empty() ? "" : m.trades.back().uuid);
  else f.k("trade_uuid", "tuid").null();
  // price / volume: the fill's on a trade, else the order's.
  f.k("price", "p").raw(num(fill != nullptr ? fill->last_price : m.price));
  f.k("avg_price", "ap").raw(num(avg));
  if (fill != nullptr) f.k("volume", "v").raw(num(fill->last_qty));
  else if (by_total) f.k("volume", "v").null();
  else f.k("volume", "v").raw(num(m.volume));
  if (by_total) f.k("remaining_volume", "rv").null();
  else f.k("remaining_volume", "rv").raw(num(remaining));
  f.k("executed_volume", "ev").raw(num(v.executed_qty));
  f.k("trades_count", "tc").num(static_cast<std::int64_t>(m.trades.size()));
  f.k("reserved_fee", "rsf").raw(num(m.reserved_fee));
  f.k("remaining_fee", "rmf").raw(num(rem_fee));
  f.k("paid_fee", "pf").raw(num(m.paid_fee));
  f.k("locked", "l").raw(num(locked));
  f.k("executed_funds", "ef").raw(num(v.cum_quote));
  if (m.time_in_force.empty()) f.k("time_in_force", "tif").null();
  else f.k("time_in_force", "tif").str(m.time_in_force);
  if (fill != nullptr) {
    f.k("trade_fee", "tf").raw(num(m.trades.back().fee));
    f.k("is_maker", "im").boolean(fill->maker);
  } else {
    f.k("trade_fee", "tf").null();
    f.k("is_maker", "im").null();
  }
  if (m.identifier.empty()) f.k("identifier", "id").null();
  else f.k("identifier", "id").str(m.identifier);
  if (m.smp_type.empty()) f.k("smp_type", "smpt").null();
  else f.k("smp_type", "smpt").str(m.smp_type);
  f.k("prevented_volume", "pv").raw(num(m.prevented_volume));
  f.k("prevented_locked", "pl").raw(num(Decimal{}));
  const std::int64_t now = now_ms();
  if (fill != nullptr) f.k("trade_timestamp", "ttms").num(m.trades.back().ms);
  else f.k("trade_timestamp", "ttms").null();
  f.k("order_timestamp", "otms").num(m.created_ms);
  f.k("timestamp", "tms").num(now);
  f.k("stream_type", "st").str("REALTIME");
  j.end_obj();
  return j.take();
}

std::string UpbitFront::Impl::my_asset_json(const Account& a, const std::set<std::string, std::less<>>& currencies, bool simple) {
  JsonOut j;
  Fields f{j, simple};
  const std::int64_t now = now_ms();
  j.obj();
  f.k("type", "ty").str("myAsset");
  f.k("asset_uuid", "astuid").str(new_uuid());
  f.k("assets", "ast").arr();
  for (const auto& b : venue->balances(a.id)) {
    if (!currencies.count(b.asset)) continue;
    const Decimal reserve = reserved_fees(a, b.asset);
    j.obj();
    f.k("currency", "cu").str(b.asset);
    f.k("balance", "b").raw(num(dsub(b.free, reserve)));
    f.k("locked", "l").raw(num(dadd(b.locked, reserve)));
    j.end_obj();
  }
  j.end_arr();
  f.k("asset_timestamp", "asttms").num(now);
  f.k("timestamp", "tms").num(now);
  f.k("stream_type", "st").str("REALTIME");
  j.end_obj();
  return j.take();
}

// ---- public pushes --------------------------------------------------------------------------------
void UpbitFront::Impl::send_public(std::string_view type, sim::SymbolIndex s, const std::function<std::string(bool)>& render) {
  std::string def, simple;
  const std::string& code = markets[s].venue.venue_symbol;
  for (auto& [sid, sub] : subs) {
    if (sub.priv || sub.snapshot_only) continue;
    const auto t = sub.types.find(type);
    if (t == sub.types.end() || !t->second.count(code)) continue;
    std::string& text_out = sub.simple ? simple : def;
    if (text_out.empty()) text_out = render(sub.simple);
    sub.session->send(text_out);
  }
}

void UpbitFront::Impl::publish_book(sim::SymbolIndex s) {
  Feed& f = feeds[s];
  JsonOut probe;
  orderbook_json(probe, s, kBookUnits, false, "REALTIME", 0, true);
  if (probe.text() == f.book_text) return;  // nothing a subscriber would see changed
  f.book_text = probe.take();
  f.book_ms = std::max(now_ms(), f.book_ms + 1);  // strictly increasing per market
  const std::string& code = markets[s].venue.venue_symbol;
  for (auto& [sid, sub] : subs) {
    if (sub.priv || sub.snapshot_only) continue;
    const auto t = sub.types.find("orderbook");
    if (t == sub.types.end()) continue;
    for (const auto& c : t->second) {
      // "KRW-BTC" or "KRW-BTC.N": N units.
      if (c.rfind(code, 0) != 0 || (c.size() != code.size() && c[code.size()] != '.')) continue;
      const std::size_t units = c.size() == code.size() ? kBookUnits : static_cast<std::size_t>(std::stoul(c.substr(code.size() + 1)));
      JsonOut j;
      orderbook_json(j, s, units, sub.simple, "REALTIME", f.book_ms, true);
      sub.session->send(j.take());
    }
  }
}

void UpbitFront::Impl::publish_trade(sim::SymbolIndex s, const Print& p) {
  send_public("trade", s, [&](bool simple) {
    JsonOut j;
    trade_json(j, s, p, simple, true, "REALTIME");
    return j.take();
  });
  publish_ticker(s);
}

void UpbitFront::Impl::publish_ticker(sim::SymbolIndex s) {
  send_public("ticker", s, [&](bool simple) {
    JsonOut j;
    ticker_json(j, s, simple, true, "REALTIME");
    return j.take();
  });
}

// ---- background liquidity -------------------------------------------------------------------------
void UpbitFront::on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) {
  if (m != Market::kSpot) return;
  std::lock_guard lock(impl_->mu);
  const auto sym = impl_->venue->find_symbol(symbol);
  if (!sym) return;
  sim::Outbox out;
  impl_->venue->on_snapshot(*sym, s, impl_->now_ns(), out);
  impl_->flush(out);
  impl_->publish_book(*sym);
}

void UpbitFront::on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) {
  if (m != Market::kSpot) return;
  std::lock_guard lock(impl_->mu);
  const auto sym = impl_->venue->find_symbol(symbol);
  if (!sym) return;
  sim::Outbox out;
  impl_->venue->on_delta(*sym, d, impl_->now_ns(), out);
  impl_->flush(out);
  impl_->publish_book(*sym);
}

void UpbitFront::on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) {
  if (m != Market::kSpot) return;
  std::lock_guard lock(impl_->mu);
  const auto sym = impl_->venue->find_symbol(symbol);
  if (!sym) return;
  sim::Outbox out;
  const std::int64_t now = impl_->now_ms();
  impl_->venue->on_trade(*sym, t, now * 1'000'000, out);
  impl_->record_trade(*sym, t.price, t.qty, t.buyer_is_maker ? Side::kSell : Side::kBuy, now);
  impl_->flush(out);
  impl_->publish_book(*sym);
}

// ---- sessions -------------------------------------------------------------------------------------
void UpbitFront::Impl::ws_open(const std::shared_ptr<net::WsSession>& s, bool priv) {
  Sub sub;
  sub.session = s;
  sub.priv = priv;
  if (priv) {
    // The upgrade's Authorization header was checked by upgrade() (the token's nonce is spent
    // there): its account. Without that check (a server that does not call it), checked here.
    const std::string* auth = s->header("Authorization");
    const auto it = auth == nullptr ? upgraded_tokens.end() : upgraded_tokens.find(*auth);
    if (it != upgraded_tokens.end()) {
      sub.account = it->second;
      upgraded_tokens.erase(it);
    } else {
      net::HttpRequest req;
      req.method = "GET";
      req.target = s->target();
      if (auth != nullptr) req.headers.emplace_back("Authorization", *auth);
      try {
        sub.account = static_cast<std::size_t>(&authenticate(req, Args::from_query(""), "") - accounts.data());
      } catch (const Refusal& r) {
        s->send(ws_error("INVALID_AUTH", r.name + ": " + r.message));
        s->close();
        return;
      }
    }
  }
  subs[s->id()] = std::move(sub);
}

void UpbitFront::Impl::ws_close(net::WsSession& s) { subs.erase(s.id()); }

std::optional<net::HttpResponse> UpbitFront::Impl::upgrade(const net::HttpRequest& req) {
  // Upbit authenticates the private socket on the upgrade: a bad token is an HTTP 401 with the
  // REST refusal's body, no socket.
  try {
    const std::size_t account = static_cast<std::size_t>(&authenticate(req, Args::from_query(""), "") - accounts.data());
    for (const auto& [k, v] : req.headers) {
      if (k.size() == 13 && std::equal(k.begin(), k.end(), "authorization", [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          }))
        upgraded_tokens[v] = account;
    }
    return std::nullopt;
  } catch (const Refusal& r) {
    net::HttpResponse resp;
    resp.status = r.status;
    resp.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    resp.body = ws_error(r.name, r.message);
    return resp;
  }
}

void UpbitFront::Impl::ws_text(net::WsSession& s, std::string_view text_in) {
  const auto it = subs.find(s.id());
  if (it == subs.end()) return;
  Sub& sub = it->second;
  if (text_in == "PING") return s.send(R"({"status":"UP"})");
  const auto doc = nlohmann::json::parse(text_in, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) return s.send(ws_error("WRONG_FORMAT", "a request is a JSON array of objects"));
  bool ticket = false;
  bool simple = false;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> types;
  bool only_snapshot = false, only_realtime = false;
  for (const auto& o : doc) {
    if (!o.is_object()) return s.send(ws_error("WRONG_FORMAT", "each element is an object: " + o.dump()));
    if (o.contains("ticket")) {
      if (!o["ticket"].is_string() || o["ticket"].get<std::string>().empty()) return s.send(ws_error("NO_TICKET", "ticket: a non-empty string"));
      ticket = true;
      continue;
    }
    if (o.contains("format")) {
      const std::string fmt = o["format"].is_string() ? o["format"].get<std::string>() : "";
      if (fmt == "SIMPLE") simple = true;
      else if (fmt != "DEFAULT")
        return s.send(ws_error("INVALID_PARAM", "format '" + fmt + "': venue-sim sends DEFAULT or SIMPLE (not the list formats)"));
      continue;
    }
    if (!o.contains("type") || !o["type"].is_string()) return s.send(ws_error("NO_TYPE", "an element without ticket, type or format: " + o.dump()));
    const std::string type = o["type"].get<std::string>();
    const bool private_type = type == "myOrder" || type == "myAsset";
    if (sub.priv != private_type) {
      return s.send(ws_error("INVALID_PARAM", "type '" + type + "' is not served on " +
                                                  (sub.priv ? "/websocket/v1/private (myOrder, myAsset)" : "/websocket/v1 (orderbook, trade, ticker)")));
    }
    if (!private_type && type != "orderbook" && type != "trade" && type != "ticker")
      return s.send(ws_error("INVALID_PARAM", "type '" + type + "': venue-sim serves orderbook, trade and ticker"));
    std::set<std::string, std::less<>> codes;
    if (o.contains("codes")) {
      if (!o["codes"].is_array()) return s.send(ws_error("INVALID_PARAM", "codes: a list"));
      for (const auto& c : o["codes"]) {
        if (!c.is_string()) return s.send(ws_error("INVALID_PARAM", "codes: strings"));
        std::string code = c.get<std::string>();
        const auto dot = code.find('.');
        const std::string market = code.substr(0, dot);
        if (type == "myAsset") return s.send(ws_error("INVALID_PARAM", "myAsset takes no codes"));
        if (!venue->find_symbol(market)) return s.send(ws_error("INVALID_PARAM", "codes: '" + code + "' is not a market venue-sim lists"));
        if (dot != std::string::npos) {
          const std::string n = code.substr(dot + 1);
          if (type != "orderbook" || (n != "1" && n != "5" && n != "15" && n != "30"))
            return s.send(ws_error("INVALID_PARAM", "codes: '" + code + "' (orderbook units: .1, .5, .15, .30)"));
        }
        codes.insert(code);
      }
    }
    if (!private_type && codes.empty()) return s.send(ws_error("NO_CODES", "codes: required for " + type));
    if (o.contains("level") && !(o["level"].is_number() && o["level"].get<double>() == 0))
      return s.send(ws_error("INVALID_PARAM", "level: venue-sim serves level 0 only"));
    if (o.value("is_only_snapshot", false)) only_snapshot = true;
    if (o.value("is_only_realtime", false)) only_realtime = true;
    types[type].insert(codes.begin(), codes.end());
  }
  if (!ticket) return s.send(ws_error("NO_TICKET", "the first element is {\"ticket\":\"...\"}"));
  if (types.empty()) return s.send(ws_error("NO_TYPE", "no type requested"));
  // A new request replaces the connection's subscriptions.
  sub.types = std::move(types);
  sub.simple = simple;
  sub.snapshot_only = only_snapshot;
  sub.realtime_only = only_realtime;
  if (sub.priv || only_realtime) return;
  // SNAPSHOT: each orderbook / ticker subscribed, at once.
  for (const auto& [type, codes] : sub.types) {
    for (const auto& code : codes) {
      const auto dot = code.find('.');
      const sim::SymbolIndex sym = *venue->find_symbol(code.substr(0, dot));
      JsonOut j;
      if (type == "orderbook") {
        const std::size_t units = dot == std::string::npos ? kBookUnits : static_cast<std::size_t>(std::stoul(code.substr(dot + 1)));
        Feed& f = feeds[sym];
        f.book_ms = std::max(now_ms(), f.book_ms + 1);
        orderbook_json(j, sym, units, simple, "SNAPSHOT", f.book_ms, true);
      } else if (type == "ticker") {
        ticker_json(j, sym, simple, true, "SNAPSHOT");
      } else if (!feeds[sym].prints.empty()) {
        trade_json(j, sym, feeds[sym].prints.back(), simple, true, "SNAPSHOT");
      } else {
        continue;
      }
      s.send(j.take());
    }
  }
}

void UpbitFront::attach(net::HttpsServer& server) {
  Impl* impl = impl_.get();
  for (const auto& [path, priv] : {std::pair{"/websocket/v1", false}, std::pair{"/websocket/v1/private", true}}) {
    net::WsHandler h;
    if (priv) {
      h.on_upgrade = [impl](const net::HttpRequest& req) {
        std::lock_guard lock(impl->mu);
        return impl->upgrade(req);
      };
    }
    h.on_open = [impl, priv = priv](const std::shared_ptr<net::WsSession>& s) {
      std::lock_guard lock(impl->mu);
      impl->ws_open(s, priv);
    };
    h.on_close = [impl](net::WsSession& s) {
      std::lock_guard lock(impl->mu);
      impl->ws_close(s);
    };
    h.on_text = [impl](net::WsSession& s, std::string_view text) {
      std::lock_guard lock(impl->mu);
      impl->ws_text(s, text);
    };
    server.add_websocket(path, h);
  }
}

}  // namespace oms::venue_sim
