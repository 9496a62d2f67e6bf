// venue-sim's OKX front: the v5 WebSocket sessions -- /ws/v5/public (subscribe / unsubscribe to
// books, books5, bbo-tbt, trades, tickers; a books snapshot right after the ack), /ws/v5/private
// and /ws/v5/business (login [apiKey, passphrase, timestamp in seconds, sign = Base64(HMAC(secret,
// timestamp + "GET/users/self/verify"))] within 30 s of the clock; then orders, positions,
// account -- the last two with a snapshot -- or orders-algo); "ping" answered "pong"; error
// events 60012 (invalid request), 60018 (unknown channel or instrument), 60011 (not logged in),
// 60019 (op), 60028 (login on the public URL), 60030 (a second login) and the login refusals
// 60005 (key), 60024 (passphrase), 60006 (timestamp), 60007 (sign), 60009 (malformed).
#include "okx_front_impl.hpp"

namespace oms::venue_sim {

using namespace okxsim;

// ---- sessions -----------------------------------------------------------------------------------
void OkxFront::Impl::ws_open(const std::shared_ptr<net::WsSession>& s, Sub::Kind kind) {
  Sub sub;
  sub.session = s;
  sub.kind = kind;
  std::uint64_t x = cfg.seed ^ (0x6f6b78636f6eULL + s->id());
  sub.conn_id = bysim::hex16(splitmix(x)).substr(0, 8);
  subs[s->id()] = std::move(sub);
}

void OkxFront::Impl::ws_close(net::WsSession& s) { subs.erase(s.id()); }

namespace {

std::string event(std::string_view ev, const Sub& sub, const nlohmann::json& id, const nlohmann::json* arg, int code,
                  std::string_view msg) {
  JsonOut j;
  j.obj();
  if (!id.is_null()) j.key("id").raw(id.dump());
  j.kv("event", ev);
  if (arg != nullptr) j.key("arg").raw(arg->dump());
  if (ev == "error" || ev == "login") j.kv("code", std::to_string(code)).kv("msg", msg);
  j.kv("connId", sub.conn_id).end_obj();
  return j.take();
}

constexpr std::int64_t kLoginWindowS = 30;  // login timestamp: within 30 s of the server's clock

}  // namespace

void OkxFront::Impl::ws_text(net::WsSession& s, std::string_view text_in) {
  const auto it = subs.find(s.id());
  if (it == subs.end()) return;
  Sub& sub = it->second;
  if (text_in == "ping") return s.send("pong");
  const auto doc = nlohmann::json::parse(text_in, nullptr, false);
  const nlohmann::json none;
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("op") || !doc["op"].is_string())
    return s.send(event("error", sub, none, nullptr, 60012, "Invalid request: " + std::string(text_in)));
  const nlohmann::json id = doc.contains("id") ? doc["id"] : nlohmann::json();
  const std::string op = doc["op"].get<std::string>();
  const nlohmann::json args = doc.contains("args") ? doc["args"] : nlohmann::json();
  const bool priv = sub.kind != Sub::Kind::kPublic;  // private and business: login first
  if (op == "login") {
    if (!priv) return s.send(event("error", sub, id, nullptr, 60028, "The current operation is not supported by this URL. Please use the correct WebSocket URL for the operation."));
    if (sub.logged_in) return s.send(event("error", sub, id, nullptr, 60030, "The WebSocket endpoint does not allow multiple or repeated logins."));
    if (!args.is_array() || args.size() != 1 || !args[0].is_object())
      return s.send(event("error", sub, id, nullptr, 60009, "Login failed. (args: one {apiKey, passphrase, timestamp, sign})"));
    const auto& a0 = args[0];
    const auto str = [&](const char* k) { return a0.contains(k) && a0[k].is_string() ? a0[k].get<std::string>() : std::string(); };
    const std::string key = str("apiKey"), pass = str("passphrase"), sign = str("sign");
    std::string ts = str("timestamp");
    if (ts.empty() && a0.contains("timestamp") && a0["timestamp"].is_number()) ts = a0["timestamp"].dump();
    if (key.empty() || pass.empty() || sign.empty() || ts.empty())
      return s.send(event("error", sub, id, nullptr, 60009, "Login failed. (apiKey, passphrase, timestamp and sign are required)"));
    const auto acc = by_key.find(key);
    if (acc == by_key.end()) return s.send(event("error", sub, id, nullptr, 60005, "Invalid OK-ACCESS-KEY"));
    Account& a = accounts[acc->second];
    // The timestamp is Unix seconds ("1704876947", decimals allowed).
    const auto sec = Decimal::parse(ts);
    if (!sec.ok()) return s.send(event("error", sub, id, nullptr, 60004, "Invalid timestamp"));
    const Int128 at_s = sec->raw() / Decimal::kOne;
    const std::int64_t now_s = now_ms() / 1'000;
    if (at_s < now_s - kLoginWindowS || at_s > now_s + kLoginWindowS)
      return s.send(event("error", sub, id, nullptr, 60006, "Timestamp request expired"));
    if (pass != a.spec.passphrase) return s.send(event("error", sub, id, nullptr, 60024, "Wrong passphrase"));
    std::string expect;
    if (!a.mac->sign_base64(ts + "GET/users/self/verify", expect).ok() || expect != sign)
      return s.send(event("error", sub, id, nullptr, 60007, "Invalid sign"));
    sub.logged_in = true;
    sub.account = acc->second;
    return s.send(event("login", sub, id, nullptr, 0, ""));
  }
  if (op != "subscribe" && op != "unsubscribe") return s.send(event("error", sub, id, nullptr, 60019, "Invalid op: " + op));
  if (!args.is_array() || args.empty()) return s.send(event("error", sub, id, nullptr, 60012, "Invalid request: args is not a list of channels"));
  for (const auto& arg : args) {
    if (!arg.is_object() || !arg.contains("channel") || !arg["channel"].is_string()) {
      s.send(event("error", sub, id, nullptr, 60012, "Invalid request: " + arg.dump()));
      continue;
    }
    const std::string ch = arg["channel"].get<std::string>();
    const std::string inst = arg.value("instId", "");
    const auto wrong = [&] {
      s.send(event("error", sub, id, nullptr, 60018,
                   "Wrong URL or channel:" + ch + (inst.empty() ? "" : ",instId:" + inst) +
                       " doesn't exist. Please use the correct URL, channel and parameters referring to API document."));
    };
    bool ok_arg = true;
    for (const auto& [k, v] : arg.items()) {
      if (!v.is_string()) ok_arg = false;
    }
    if (!ok_arg) {
      s.send(event("error", sub, id, nullptr, 60012, "Invalid request: " + arg.dump()));
      continue;
    }
    std::string key;
    std::optional<std::pair<Category*, sim::SymbolIndex>> target;
    if (!priv) {
      if (ch != "books" && ch != "books5" && ch != "bbo-tbt" && ch != "trades" && ch != "tickers") {
        wrong();
        continue;
      }
      target = instrument(inst);
      if (!target) {
        wrong();
        continue;
      }
      key = ch + "|" + inst;
    } else {
      const bool served = sub.kind == Sub::Kind::kBusiness ? ch == "orders-algo" : (ch == "orders" || ch == "positions" || ch == "account");
      if (!served) {
        wrong();
        continue;
      }
      if (!sub.logged_in) {
        s.send(event("error", sub, id, nullptr, 60011, "Please log in"));
        continue;
      }
      const std::string type = arg.value("instType", "");
      if (ch != "account") {
        const bool valid = type == "ANY" || type == "SPOT" || type == "SWAP" || type == "MARGIN" || type == "FUTURES" || type == "OPTION";
        if (!valid || (ch == "positions" && type == "SPOT")) {
          wrong();
          continue;
        }
      }
      key = ch + "|" + type + "|" + arg.value("instFamily", "") + "|" + inst + "|" + arg.value("ccy", "");
    }
    if (op == "unsubscribe") {
      sub.channels.erase(key);
      s.send(event("unsubscribe", sub, id, &arg, 0, ""));
      continue;
    }
    sub.channels[key] = arg;
    s.send(event("subscribe", sub, id, &arg, 0, ""));
    if (!priv) {
      Category& c = *target->first;
      const sim::SymbolIndex sym = target->second;
      Feed& f = c.feeds[sym];
      if (ch == "books") {
        s.send(books_json(c, sym, "books", "snapshot", f.bids, f.asks, f.seq, -1, true));
      } else if (ch == "books5") {
        const auto n = [](const std::vector<sim::PriceQty>& v) { return std::min<std::size_t>(5, v.size()); };
        s.send(books_json(c, sym, "books5", nullptr, {f.bids.begin(), f.bids.begin() + static_cast<std::ptrdiff_t>(n(f.bids))},
                          {f.asks.begin(), f.asks.begin() + static_cast<std::ptrdiff_t>(n(f.asks))}, f.seq, 0, false));
      } else if (ch == "tickers") {
        c.feeds[sym].ticker.clear();
        publish_ticker(c, sym);
      }
    } else if (ch == "positions" || ch == "account") {
      // positions and account: a snapshot at subscription.
      Account& a = accounts[sub.account];
      nlohmann::json echoed = arg;
      echoed["uid"] = a.uid;
      JsonOut j;
      j.obj().key("arg").raw(echoed.dump()).key("data").arr();
      if (ch == "account") {
        std::set<std::string, std::less<>> only;
        if (arg.contains("ccy")) only.insert(arg["ccy"].get<std::string>());
        balance_json(j, a, only.empty() ? nullptr : &only);
      } else {
        const std::string type = arg.value("instType", "");
        if (type == "ANY" || type == "SWAP") {
          for (const auto& p : swap.venue->positions(a.swap_id)) {
            if (!inst.empty() && swap.instruments[p.symbol].venue.venue_symbol != inst) continue;
            position_json(j, a, p);
          }
        }
      }
      j.end_arr().end_obj();
      s.send(j.take());
    }
  }
}

void OkxFront::attach(net::HttpsServer& server) {
  Impl* impl = impl_.get();
  for (const auto& [path, kind] : {std::pair{"/ws/v5/public", Sub::Kind::kPublic}, std::pair{"/ws/v5/private", Sub::Kind::kPrivate},
                                   std::pair{"/ws/v5/business", Sub::Kind::kBusiness}}) {
    net::WsHandler h;
    h.on_open = [impl, kind = kind](const std::shared_ptr<net::WsSession>& s) {
      std::lock_guard lock(impl->mu);
      impl->ws_open(s, kind);
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
