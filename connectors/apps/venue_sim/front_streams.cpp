// venue-sim front: WebSocket streams. User data at /ws/<listenKey>; market data at
// /ws/<stream> and /stream?streams=a/b (combined) -- spot on those paths, USD-M under the
// "/fstream" prefix (/fstream/ws/<stream>, /fstream/stream?streams=...), since one server
// stands in for both api.binance.com and fstream.binance.com. Depth diffs are the venue's own
// book changes (background + client orders), one update id per change, so snapshot + diffs
// are gap-free by construction.
#include <cctype>

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "front_impl.hpp"

namespace oms::venue_sim {

namespace {

std::int64_t ms(TimeNs t) { return t / 1'000'000; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void levels(JsonOut& j, const std::vector<sim::PriceQty>& lv, bool spot) {
  j.arr();
  for (const auto& l : lv) {
    j.arr().str(spot ? fixed8(l.price) : canon(l.price)).str(spot ? fixed8(l.qty) : canon(l.qty));
    j.end_arr();
  }
  j.end_arr();
}

bool is_depth_stream(std::string_view stream, std::string_view sym_depth) {
  if (stream.substr(0, sym_depth.size()) != sym_depth) return false;
  const auto rest = stream.substr(sym_depth.size());
  return rest.empty() || rest[0] == '@';
}

}  // namespace

// A level that left (or fell out of the published depth) with quantity 0, a new or changed one
// with its quantity, in price order best first: one linear walk over the two lists.
void diff_side(std::vector<sim::PriceQty>&& now, Side side, std::vector<sim::PriceQty>& pub,
               std::vector<sim::PriceQty>& changes) {
  const auto better = [side](Decimal a, Decimal b) { return side == Side::kBuy ? a > b : a < b; };
  std::size_t i = 0, k = 0;  // i into pub, k into now
  while (i < pub.size() || k < now.size()) {
    if (k == now.size() || (i < pub.size() && better(pub[i].price, now[k].price))) {
      changes.push_back({pub[i++].price, Decimal{}});
    } else if (i == pub.size() || better(now[k].price, pub[i].price)) {
      changes.push_back(now[k++]);
    } else {  // one price in both
      if (pub[i].qty != now[k].qty) changes.push_back(now[k]);
      ++i;
      ++k;
    }
  }
  pub = std::move(now);
}

std::size_t Front::Impl::account_index(Market m, sim::ApiKeyId id) const {
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (accounts[i].spec.market == m && accounts[i].id == id) return i;
  }
  return accounts.size();
}

void Front::Impl::send_stream(Market m, std::string_view stream, bool depth_family,
                              const std::string& data) {
  for (auto& [id, sub] : subs) {
    if (sub.user_data || sub.market != m) continue;
    for (const auto& name : sub.streams) {
      if (depth_family ? !is_depth_stream(name, stream) : name != stream) continue;
      if (sub.combined) {
        JsonOut j;
        j.obj().kv("stream", name).key("data").raw(data).end_obj();
        sub.session->send(j.take());
      } else {
        sub.session->send(data);
      }
    }
  }
}

void Front::Impl::publish_book(Market m, sim::SymbolIndex s, TimeNs now) {
  MarketState& st = state(m);
  auto& pub = st.published[s];
  const bool spot = m == Market::kSpot;
  std::vector<sim::PriceQty> bids, asks;
  diff_side(st.venue->depth(s, Side::kBuy, cfg.stream_depth_levels), Side::kBuy, pub.bids, bids);
  diff_side(st.venue->depth(s, Side::kSell, cfg.stream_depth_levels), Side::kSell, pub.asks, asks);
  const std::string sym = lower(st.symbols[s]);
  if (!bids.empty() || !asks.empty()) {
    const std::uint64_t prev = pub.update_id++;
    const auto id = static_cast<std::int64_t>(pub.update_id);
    JsonOut j;
    j.obj().kv("e", "depthUpdate").kn("E", ms(now));
    if (!spot) j.kn("T", ms(now));
    j.kv("s", st.symbols[s]).kn("U", id).kn("u", id);
    if (!spot) j.kn("pu", static_cast<std::int64_t>(prev));
    j.key("b");
    levels(j, bids, spot);
    j.key("a");
    levels(j, asks, spot);
    j.end_obj();
    send_stream(m, sym + "@depth", true, j.text());
  }
  std::optional<sim::PriceQty> bid, ask;
  if (!pub.bids.empty()) bid = pub.bids.front();
  if (!pub.asks.empty()) ask = pub.asks.front();
  if (bid != pub.bid || ask != pub.ask) {
    pub.bid = bid;
    pub.ask = ask;
    auto f = [&](const std::optional<sim::PriceQty>& x, bool price) {
      const Decimal d = x ? (price ? x->price : x->qty) : Decimal{};
      return spot ? fixed8(d) : canon(d);
    };
    JsonOut j;
    j.obj();
    if (!spot) j.kv("e", "bookTicker");
    j.kn("u", static_cast<std::int64_t>(pub.update_id));
    if (!spot) j.kn("E", ms(now)).kn("T", ms(now));
    j.kv("s", st.symbols[s]).kv("b", f(bid, true)).kv("B", f(bid, false));
    j.kv("a", f(ask, true)).kv("A", f(ask, false)).end_obj();
    send_stream(m, sym + "@bookTicker", false, j.text());
  }
}

void Front::Impl::publish_trade(Market m, sim::SymbolIndex s, Decimal price, Decimal qty,
                                bool buyer_maker, TimeNs now) {
  MarketState& st = state(m);
  const bool spot = m == Market::kSpot;
  auto& pub = st.published[s];
  const std::int64_t id = ++pub.trade_id;
  JsonOut j;
  if (spot) {
    // <symbol>@trade: one trade.
    j.obj().kv("e", "trade").kn("E", ms(now)).kv("s", st.symbols[s]).kn("t", id);
    j.kv("p", fixed8(price)).kv("q", fixed8(qty)).kn("T", ms(now)).kb("m", buyer_maker).kb("M", true);
    j.end_obj();
    send_stream(m, lower(st.symbols[s]) + "@trade", false, j.text());
    return;
  }
  // USD-M streams aggregate trades only (<symbol>@aggTrade): each print here is one trade, so
  // one aggregate of first = last trade id.
  j.obj().kv("e", "aggTrade").kn("E", ms(now)).kv("s", st.symbols[s]).kn("a", id);
  j.kv("p", canon(price)).kv("q", canon(qty)).kn("f", id).kn("l", id).kn("T", ms(now));
  j.kb("m", buyer_maker).end_obj();
  send_stream(m, lower(st.symbols[s]) + "@aggTrade", false, j.text());
}

void Front::Impl::send_user(std::size_t account, std::vector<std::string> events) {
  if (events.empty()) return;
  const auto& f = cfg.faults;
  // Faults are drawn per event in a fixed order, so a seed gives the same faults.
  std::vector<std::string> wire;
  for (auto& e : events) {
    wire.push_back(e);
    if (draw(f.duplicate)) wire.push_back(e);
  }
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    if (draw(f.reorder)) {
      std::swap(wire[i], wire[i + 1]);
      ++i;
    }
  }
  // One latency draw per push: the events of one request for one account travel together.
  const auto latency = cfg.latency.draw(latency_rng);
  for (auto& [id, sub] : subs) {
    if (!sub.user_data || sub.account != account) continue;
    if (draw(f.drop_ws)) {
      sub.session->drop();
      continue;
    }
    for (const auto& w : wire) sub.session->send_after(latency, w);
  }
}

void Front::Impl::flush(Market m, sim::Outbox& out) {
  MarketState& st = state(m);
  const bool spot = m == Market::kSpot;
  std::map<std::size_t, std::vector<std::string>> per_account;
  std::set<sim::SymbolIndex> touched;
  const TimeNs now = now_ns();
  for (const auto& r : out.reports) {
    touched.insert(r.symbol);
    auto& ev = per_account[account_index(m, r.account)];
    if (spot) {
      ev.push_back(spot_execution_report(*st.venue, r));
    } else {
      if (r.exec_type == sim::ExecType::kTrade) ev.push_back(usdm_trade_lite(*st.venue, r));
      ev.push_back(usdm_order_update(*st.venue, r));
    }
    if (r.exec_type == sim::ExecType::kTrade && !r.maker) {
      publish_trade(m, r.symbol, r.last_price, r.last_qty, r.side == Side::kSell, now);
    }
  }
  for (const auto& u : out.account_updates) {
    auto& ev = per_account[account_index(m, u.account)];
    ev.push_back(spot ? spot_account_position(u) : usdm_account_update(*st.venue, u));
  }
  for (auto& [acct, ev] : per_account) {
    if (acct < accounts.size()) send_user(acct, std::move(ev));
  }
  for (const auto s : touched) publish_book(m, s, now);
  if (m == Market::kUsdm) {
    algo_follow(out);
    algo_trigger();  // the prices may have moved
  }
}

// ---- sessions --------------------------------------------------------------------------------
void Front::Impl::ws_open(const std::shared_ptr<net::WsSession>& s, bool usdm_server) {
  Subscriber sub;
  sub.session = s;
  std::string_view target = s->target();
  if (usdm_server) sub.market = Market::kUsdm;
  if (target.substr(0, 8) == "/fstream") {
    sub.market = Market::kUsdm;
    target.remove_prefix(8);
  }
  std::string names;
  if (target.substr(0, 4) == "/ws/") {
    names = std::string(target.substr(4));
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      if (accounts[i].listen_key == names) {
        sub.user_data = true;
        sub.account = i;
        sub.market = accounts[i].spec.market;
      }
    }
  } else if (const auto at = target.find("streams="); at != std::string_view::npos) {
    sub.combined = true;
    names = std::string(target.substr(at + 8));
    if (const auto amp = names.find('&'); amp != std::string::npos) names.resize(amp);
  }
  if (!sub.user_data) {
    std::string_view rest = names;
    while (!rest.empty()) {
      const auto slash = rest.find('/');
      if (!rest.substr(0, slash).empty()) sub.streams.insert(std::string(rest.substr(0, slash)));
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
  }
  subs[s->id()] = std::move(sub);
}

void Front::Impl::ws_close(net::WsSession& s) { subs.erase(s.id()); }

// {"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS","params":[...],"id":N}
void Front::Impl::ws_text(net::WsSession& s, std::string_view text) {
  const auto it = subs.find(s.id());
  if (it == subs.end()) return;
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("method")) {
    s.send(R"({"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"}})");
    return;
  }
  const auto id = doc.value("id", nlohmann::json());
  const std::string method = doc["method"].is_string() ? doc["method"].get<std::string>() : "";
  nlohmann::json reply = {{"result", nullptr}, {"id", id}};
  if (method == "SUBSCRIBE" || method == "UNSUBSCRIBE") {
    if (doc.contains("params") && doc["params"].is_array()) {
      for (const auto& p : doc["params"]) {
        if (!p.is_string()) continue;
        if (method == "SUBSCRIBE") it->second.streams.insert(p.get<std::string>());
        else it->second.streams.erase(p.get<std::string>());
      }
    }
  } else if (method == "LIST_SUBSCRIPTIONS") {
    reply["result"] = nlohmann::json::array();
    for (const auto& n : it->second.streams) reply["result"].push_back(n);
  } else {
    s.send(R"({"error":{"code":2,"msg":"Invalid request: unknown method"}})");
    return;
  }
  s.send(reply.dump());
}

void Front::expire_listen_key(std::string_view account_name) {
  std::lock_guard lock(impl_->mu);
  for (std::size_t i = 0; i < impl_->accounts.size(); ++i) {
    Account& a = impl_->accounts[i];
    if (a.spec.name != account_name) continue;
    a.listen_key_open = false;
    JsonOut j;
    j.obj().kv("e", "listenKeyExpired").kn("E", impl_->now_ms()).kv("listenKey", a.listen_key);
    if (a.spec.market == Market::kUsdm) j.kn("T", impl_->now_ms());  // a futures event has T
    j.end_obj();
    const std::string msg = j.take();
    for (auto& [id, sub] : impl_->subs) {
      if (!sub.user_data || sub.account != i) continue;
      sub.session->send(msg);
      sub.session->close();
    }
    return;
  }
  throw std::invalid_argument("expire_listen_key: unknown account '" + std::string(account_name) + "'");
}

void Front::attach(net::HttpsServer& server) { attach_streams(server, false); }

void Front::attach_usdm_streams(net::HttpsServer& server) { attach_streams(server, true); }

void Front::attach_streams(net::HttpsServer& server, bool usdm_server) {
  Impl* impl = impl_.get();
  net::WsHandler h;
  h.on_open = [impl, usdm_server](const std::shared_ptr<net::WsSession>& s) {
    std::lock_guard lock(impl->mu);
    impl->ws_open(s, usdm_server);
  };
  h.on_close = [impl](net::WsSession& s) {
    std::lock_guard lock(impl->mu);
    impl->ws_close(s);
  };
  h.on_text = [impl](net::WsSession& s, std::string_view text) {
    std::lock_guard lock(impl->mu);
    impl->ws_text(s, text);
  };
  std::lock_guard lock(impl->mu);
  if (usdm_server) {  // fstream.binance.com's own paths, without the /fstream prefix
    for (const auto& a : impl->accounts) server.add_websocket("/ws/" + a.listen_key, h);
    server.add_websocket("/stream", h);
    for (const auto& sym : impl->usdm_m.symbols) {
      for (const char* suffix : {"@depth", "@depth@100ms", "@depth@250ms", "@depth@500ms",
                                 "@depth@0ms", "@bookTicker", "@aggTrade"}) {
        server.add_websocket("/ws/" + lower(sym) + suffix, h);
      }
    }
    return;
  }
  for (const auto& a : impl->accounts) {
    server.add_websocket("/ws/" + a.listen_key, h);
    server.add_websocket("/fstream/ws/" + a.listen_key, h);
  }
  server.add_websocket("/stream", h);
  server.add_websocket("/fstream/stream", h);
  for (const MarketState* st : {&impl->spot_m, &impl->usdm_m}) {
    const std::string prefix = st->market == Market::kSpot ? "/ws/" : "/fstream/ws/";
    for (const auto& sym : st->symbols) {
      const std::string l = lower(sym);
      const char* trades = st->market == Market::kSpot ? "@trade" : "@aggTrade";
      for (const char* suffix : {"@depth", "@depth@100ms", "@depth@250ms", "@depth@500ms",
                                 "@depth@0ms", "@bookTicker", trades}) {
        server.add_websocket(prefix + l + suffix, h);
      }
    }
  }
}

// ---- background ------------------------------------------------------------------------------
void Front::on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) {
  std::lock_guard lock(impl_->mu);
  auto& st = impl_->state(m);
  const auto idx = st.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  st.venue->on_snapshot(*idx, s, impl_->now_ns(), out);
  impl_->flush(m, out);
  impl_->publish_book(m, *idx, impl_->now_ns());
}

void Front::on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) {
  std::lock_guard lock(impl_->mu);
  auto& st = impl_->state(m);
  const auto idx = st.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  st.venue->on_delta(*idx, d, impl_->now_ns(), out);
  impl_->flush(m, out);
  impl_->publish_book(m, *idx, impl_->now_ns());
}

void Front::on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) {
  std::lock_guard lock(impl_->mu);
  auto& st = impl_->state(m);
  const auto idx = st.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  const TimeNs now = impl_->now_ns();
  st.venue->on_trade(*idx, t, now, out);
  impl_->publish_trade(m, *idx, t.price, t.qty, t.buyer_is_maker, now);
  impl_->flush(m, out);
}

}  // namespace oms::venue_sim
