// venue-sim's Bybit front: the v5 WebSocket sessions.
//   /v5/public/spot, /v5/public/linear: op subscribe / unsubscribe (a snapshot of each orderbook
//     and tickers topic right after the ack), ping (pong in the public form);
//   /v5/private: op auth [api key, expires ms, hex HMAC-SHA256(secret, "GET/realtime" + expires)]
//     (refused: unknown key, expired, bad signature, twice), then subscribe to order, execution,
//     execution.fast, position, wallet (or their categorised topics); ping (the private pong).
#include <charconv>

#include "bybit_front_impl.hpp"

namespace oms::venue_sim {

using namespace bysim;

// ---- sessions -----------------------------------------------------------------------------------
void BybitFront::Impl::ws_open(const std::shared_ptr<net::WsSession>& s, Sub::Kind kind) {
  Sub sub;
  sub.session = s;
  sub.kind = kind;
  std::uint64_t x = cfg.seed ^ (0x636f6e6e6964ULL + s->id());
  sub.conn_id = hex16(splitmix(x)) + "-" + std::to_string(s->id());
  subs[s->id()] = std::move(sub);
}

void BybitFront::Impl::ws_close(net::WsSession& s) { subs.erase(s.id()); }

namespace {

// {"success","ret_msg","conn_id","req_id","op"}: the public streams always carry req_id ("" when
// the request had none), the private one only when it had one (v5 docs' examples).
std::string op_reply(bool success, std::string_view ret_msg, const Sub& sub, const nlohmann::json& req_id,
                     std::string_view op) {
  JsonOut j;
  j.obj().kb("success", success).kv("ret_msg", ret_msg).kv("conn_id", sub.conn_id);
  if (!req_id.is_null()) j.key("req_id").raw(req_id.dump());
  else if (sub.kind != Sub::Kind::kPrivate) j.kv("req_id", "");
  j.kv("op", op).end_obj();
  return j.take();
}

// A public topic of category c: orderbook.{depth}.{symbol}, publicTrade.{symbol},
// tickers.{symbol}; the symbol index, or nullopt with why.
std::optional<sim::SymbolIndex> public_topic(const Category& c, std::string_view t, std::string& why) {
  std::string_view symbol;
  if (t.rfind("orderbook.", 0) == 0) {
    const auto rest = t.substr(10);
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) return why = "no depth", std::nullopt;
    const auto depth = rest.substr(0, dot);
    const bool ok = depth == "1" || depth == "50" || depth == "200" || (!c.spot() && depth == "500");
    if (!ok) return why = "depth " + std::string(depth) + " is not served on " + std::string(c.name()), std::nullopt;
    symbol = rest.substr(dot + 1);
  } else if (t.rfind("publicTrade.", 0) == 0) {
    symbol = t.substr(12);
  } else if (t.rfind("tickers.", 0) == 0) {
    symbol = t.substr(8);
  } else {
    return why = "unknown topic", std::nullopt;
  }
  const auto s = c.venue->find_symbol(symbol);
  if (!s) why = "symbol " + std::string(symbol) + " is not listed on " + std::string(c.name());
  return s;
}

bool private_topic(std::string_view t) {
  for (const char* k : {"order", "order.spot", "order.linear", "execution", "execution.spot", "execution.linear",
                        "execution.fast", "execution.fast.spot", "execution.fast.linear", "position",
                        "position.linear", "wallet"}) {
    if (t == k) return true;
  }
  return false;
}

}  // namespace

void BybitFront::Impl::ws_text(net::WsSession& s, std::string_view text) {
  const auto it = subs.find(s.id());
  if (it == subs.end()) return;
  Sub& sub = it->second;
  const bool priv = sub.kind == Sub::Kind::kPrivate;
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("op") || !doc["op"].is_string()) {
    s.send(op_reply(false, "error:request is not a JSON object with an op", sub, nullptr, ""));
    return;
  }
  const std::string op = doc["op"].get<std::string>();
  const nlohmann::json req_id = doc.contains("req_id") ? doc["req_id"] : nlohmann::json();
  const nlohmann::json args = doc.contains("args") ? doc["args"] : nlohmann::json::array();
  if (op == "ping") {
    if (!priv) {
      s.send(op_reply(true, "pong", sub, req_id, "ping"));
      return;
    }
    JsonOut j;
    j.obj();
    if (!req_id.is_null()) j.key("req_id").raw(req_id.dump());
    j.kv("op", "pong").key("args").arr().str(std::to_string(now_ms())).end_arr().kv("conn_id", sub.conn_id).end_obj();
    s.send(j.take());
    return;
  }
  if (op == "auth") {
    if (!priv) return s.send(op_reply(false, "auth is for /v5/private", sub, req_id, "auth"));
    if (sub.authed) return s.send(op_reply(false, "You are already authenticated", sub, req_id, "auth"));
    if (!args.is_array() || args.size() != 3 || !args[0].is_string() || !args[2].is_string())
      return s.send(op_reply(false, "Params Error: args are [api_key, expires, signature]", sub, req_id, "auth"));
    const auto key = by_key.find(args[0].get<std::string>());
    if (key == by_key.end()) return s.send(op_reply(false, "Invalid apikey", sub, req_id, "auth"));
    std::int64_t expires = 0;
    if (args[1].is_number_integer()) {
      expires = args[1].get<std::int64_t>();
    } else if (args[1].is_string()) {
      const auto& e = args[1].get_ref<const std::string&>();
      if (std::from_chars(e.data(), e.data() + e.size(), expires).ptr != e.data() + e.size()) expires = 0;
    }
    if (expires <= 0) return s.send(op_reply(false, "Params Error: expires is not a number of milliseconds", sub, req_id, "auth"));
    const std::int64_t now = now_ms();
    if (expires <= now)
      return s.send(op_reply(false, "Request expired: expires[" + std::to_string(expires) + "] <= now[" + std::to_string(now) + "]", sub, req_id, "auth"));
    UtaAccount& a = accounts[key->second];
    std::string expect;
    if (!a.mac->sign_hex("GET/realtime" + std::to_string(expires), expect).ok() || expect != args[2].get<std::string>())
      return s.send(op_reply(false, "Error sign, please check your signature generation algorithm.", sub, req_id, "auth"));
    sub.authed = true;
    sub.account = key->second;
    return s.send(op_reply(true, "", sub, req_id, "auth"));
  }
  if (op != "subscribe" && op != "unsubscribe") return s.send(op_reply(false, "error:op " + op + " is not supported", sub, req_id, op));
  if (priv && !sub.authed) return s.send(op_reply(false, "Request not authorized", sub, req_id, op));
  if (!args.is_array() || args.empty()) return s.send(op_reply(false, "error:args is not a list of topics", sub, req_id, op));
  constexpr std::size_t kSpotArgs = 10;  // "Spot can input up to 10 args for each subscription request"
  if (sub.kind == Sub::Kind::kSpot && args.size() > kSpotArgs) return s.send(op_reply(false, "error:args size >10", sub, req_id, op));
  Category& c = sub.kind == Sub::Kind::kLinear ? linear : spot;
  std::vector<std::string> topics;
  for (const auto& a : args) {
    if (!a.is_string()) return s.send(op_reply(false, "error:topic " + a.dump() + " is not a string", sub, req_id, op));
    const std::string t = a.get<std::string>();
    std::string why;
    if (priv ? !private_topic(t) : !public_topic(c, t, why))
      return s.send(op_reply(false, "Invalid topic: " + t + (why.empty() ? "" : " (" + why + ")"), sub, req_id, op));
    if (op == "subscribe" && sub.topics.count(t)) return s.send(op_reply(false, "error:already subscribed,topic:" + t, sub, req_id, op));
    topics.push_back(t);
  }
  if (priv) {  // "All-In-One topic and Categorised topic cannot be in the same subscription request"
    for (const auto& t : topics) {
      for (const auto& u : topics) {
        if (u.size() > t.size() && u.rfind(t + ".", 0) == 0 && private_topic(u) && (t != "execution" || u.rfind("execution.fast", 0) != 0))
          return s.send(op_reply(false, "error:" + t + " and " + u + " cannot be in one request", sub, req_id, op));
      }
    }
  }
  for (const auto& t : topics) {
    if (op == "subscribe") sub.topics.insert(t);
    else sub.topics.erase(t);
  }
  // The spot stream acks with ret_msg "subscribe", linear and private with "" (v5 docs).
  s.send(op_reply(true, op == "subscribe" && sub.kind == Sub::Kind::kSpot ? "subscribe" : "", sub, req_id, op));
  if (op != "subscribe" || priv) return;
  for (const auto& t : topics) {
    std::string why;
    const sim::SymbolIndex sym = *public_topic(c, t, why);
    SymbolFeed& f = c.feeds[sym];
    if (t.rfind("orderbook.", 0) == 0) {
      for (const Book& b : f.books) {
        if ("orderbook." + std::to_string(b.depth) + "." + c.symbols[sym] != t) continue;
        JsonOut j;
        book_json(j, c, sym, b, b.bids, b.asks, true, f.seq, now_ms());
        s.send(j.take());
      }
    } else if (t.rfind("tickers.", 0) == 0) {
      sub.topics.erase(t);  // bring the others up to date first, then the snapshot for this one
      (void)publish_ticker(c, sym, false);
      sub.topics.insert(t);
      s.send(publish_ticker(c, sym, true));
    }
  }
}

void BybitFront::attach(net::HttpsServer& server) {
  Impl* impl = impl_.get();
  for (const auto& [path, kind] : {std::pair{"/v5/public/spot", Sub::Kind::kSpot},
                                   std::pair{"/v5/public/linear", Sub::Kind::kLinear},
                                   std::pair{"/v5/private", Sub::Kind::kPrivate}}) {
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
