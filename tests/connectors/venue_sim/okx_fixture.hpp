// venue-sim's OKX front in tests: the front in-process (REST through OkxFront::handle, requests
// signed here as OKX documents: Base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath +
// body))) and, for the WebSockets, behind a real HttpsServer on 127.0.0.1:0 with test
// certificates and our WssClient. The OKX request builders are another module's; these tests
// write the wire text themselves, as a client would.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "okx_front.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/net/wss_client.hpp"
#include "oms/connectors/signing.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::venue_sim::okx_test {

using namespace std::chrono_literals;

inline Decimal d(const char* s) { return *Decimal::parse(s); }

inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds bound = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

struct Keys {
  std::string key, secret, passphrase;
};

// "2023-11-14T22:13:20.000Z" (OKX's OK-ACCESS-TIMESTAMP form).
inline std::string iso(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(ms)};
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

inline std::string sign(const std::string& secret, const std::string& payload) {
  auto mac = signing::HmacSha256::create(secret);
  std::string out;
  if (!mac.ok() || !mac->sign_base64(payload, out).ok()) throw std::runtime_error("sign");
  return out;
}

struct Answer {
  unsigned status = 0;
  std::string body;
  nlohmann::json json;
  [[nodiscard]] std::string code() const { return json.value("code", "?"); }
  [[nodiscard]] std::string msg() const { return json.value("msg", ""); }
  [[nodiscard]] const nlohmann::json& data() const { return json.at("data"); }
  [[nodiscard]] const nlohmann::json& first() const { return json.at("data").at(0); }
};

struct OkxFixture {
  Keys alice{"alice-okx-key", "alice-okx-secret", "Alice-pass-1"}, bob{"bob-okx-key", "bob-okx-secret", "Bob-pass-1"};
  std::shared_ptr<std::atomic<std::int64_t>> clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  std::unique_ptr<OkxFront> front;

  // A virtual clock by default; real = true: the system clock (WebSocket login checks it).
  static OkxFrontConfig config(const std::shared_ptr<std::atomic<std::int64_t>>& clock, bool real = false) {
    OkxFrontConfig c;
    c.spot_instruments = default_okx_instruments(Market::kSpot);
    c.swap_instruments = default_okx_instruments(Market::kUsdm);
    c.accounts = {default_okx_account("alice", "alice-okx-key", "alice-okx-secret", "Alice-pass-1"),
                  default_okx_account("bob", "bob-okx-key", "bob-okx-secret", "Bob-pass-1")};
    c.seed = 13;
    if (!real) c.clock_ms = [clock] { return clock->load(); };
    return c;
  }

  explicit OkxFixture(OkxFrontConfig cfg) : front(std::make_unique<OkxFront>(std::move(cfg))) { background(); }
  OkxFixture() {
    front = std::make_unique<OkxFront>(config(clock));
    background();
  }

  // Background books, in base units: BTC-USDT and BTC-USDT-SWAP 59999 / 60001, 1 BTC a level
  // (100 contracts on the SWAP), 3 levels a side.
  void background() {
    for (const auto& [m, sym] : {std::pair{Market::kSpot, "BTC-USDT"}, std::pair{Market::kUsdm, "BTC-USDT-SWAP"}}) {
      sim::BookSnapshotIn s;
      s.bids = {{d("59999"), d("1")}, {d("59998"), d("1")}, {d("59997"), d("1")}};
      s.asks = {{d("60001"), d("1")}, {d("60002"), d("1")}, {d("60003"), d("1")}};
      front->on_snapshot(m, sym, s);
    }
  }

  void advance(std::int64_t ms) { clock->fetch_add(ms); }
  [[nodiscard]] std::int64_t now() const { return front->now_ms(); }

  static Answer answer_of(const net::DelayedResponse& r) {
    Answer a;
    a.status = r.response.status;
    a.body = r.response.body;
    a.json = nlohmann::json::parse(a.body, nullptr, false);
    return a;
  }

  // A signed request as OKX's docs describe it (target = path with its query).
  net::HttpRequest signed_request(const std::string& method, const std::string& target, const std::string& body,
                                  const Keys& k, std::int64_t ts_ms) const {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    const std::string ts = iso(ts_ms);
    r.headers = {{"Content-Type", "application/json"}, {"OK-ACCESS-KEY", k.key},
                 {"OK-ACCESS-SIGN", sign(k.secret, ts + method + target + body)},
                 {"OK-ACCESS-TIMESTAMP", ts}, {"OK-ACCESS-PASSPHRASE", k.passphrase}};
    return r;
  }
  Answer send_raw(const net::HttpRequest& r) { return answer_of(front->handle(r)); }
  Answer get(const std::string& target, const Keys& k) { return send_raw(signed_request("GET", target, "", k, now())); }
  Answer post(const std::string& path, const nlohmann::json& body, const Keys& k) {
    return send_raw(signed_request("POST", path, body.dump(), k, now()));
  }
  Answer get_public(const std::string& target) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    return send_raw(r);
  }
  // The USDT, BTC ... row of account/balance.
  nlohmann::json balance(const Keys& k, const std::string& ccy) {
    const auto a = get("/api/v5/account/balance?ccy=" + ccy, k);
    for (const auto& row : a.first().at("details")) {
      if (row.at("ccy") == ccy) return row;
    }
    return nlohmann::json::object();
  }
};

struct Inbox {
  std::mutex m;
  std::vector<std::string> msgs;
  void push(std::string_view s) {
    std::lock_guard lock(m);
    msgs.emplace_back(s);
  }
  std::vector<std::string> all() {
    std::lock_guard lock(m);
    return msgs;
  }
  // Pushes of one channel (messages with arg.channel and data).
  std::vector<nlohmann::json> channel(std::string_view name) {
    std::vector<nlohmann::json> out;
    for (const auto& s : all()) {
      auto j = nlohmann::json::parse(s, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.contains("data") && j["arg"].value("channel", "") == name) out.push_back(j);
    }
    return out;
  }
  std::vector<nlohmann::json> events(std::string_view ev) {
    std::vector<nlohmann::json> out;
    for (const auto& s : all()) {
      auto j = nlohmann::json::parse(s, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.value("event", "") == ev) out.push_back(j);
    }
    return out;
  }
};

// The front behind a loopback HTTPS + WSS server (real clock: the login check uses it).
struct OkxServer {
  testkit::TempDir tmp{"oms-venue-sim-okx"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  OkxFixture f;
  std::unique_ptr<net::HttpsServer> server;
  std::vector<std::unique_ptr<net::WssClient>> sockets;
  std::vector<std::shared_ptr<Inbox>> inboxes;

  explicit OkxServer(OkxFrontConfig cfg) : f(std::move(cfg)) {
    net::HttpsServerConfig sc;
    sc.port = 0;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(sc, [this](const net::HttpRequest& r) { return f.front->handle(r); });
    f.front->attach(*server);
    server->start();
  }
  OkxServer() : OkxServer(OkxFixture::config(nullptr, true)) {}
  ~OkxServer() {
    sockets.clear();
    server->stop();
  }

  Inbox& open(const std::string& path) {
    net::WssConfig c;
    c.host = "127.0.0.1";
    c.port = server->port();
    c.target = path;
    c.tls.ca_file = certs.ca.string();
    auto inbox = std::make_shared<Inbox>();
    net::WssHandlers h;
    h.on_message = [inbox](std::string_view m) { inbox->push(m); };
    sockets.push_back(std::make_unique<net::WssClient>(c, h));
    inboxes.push_back(inbox);
    sockets.back()->start();
    if (!wait_for([&] { return sockets.back()->is_open(); })) throw std::runtime_error("ws did not open");
    return *inbox;
  }
  net::WssClient& socket(std::size_t i) { return *sockets.at(i); }
  // Sends a request and waits for the first new message that `done` accepts.
  nlohmann::json request(std::size_t i, Inbox& in, const std::string& text, const std::function<bool(const nlohmann::json&)>& done) {
    const std::size_t before = in.all().size();
    socket(i).send(text);
    nlohmann::json reply;
    const bool got = wait_for([&] {
      const auto all = in.all();
      for (std::size_t k = before; k < all.size(); ++k) {
        auto j = nlohmann::json::parse(all[k], nullptr, false);
        if (!j.is_discarded() && done(j)) {
          reply = j;
          return true;
        }
      }
      return false;
    });
    if (!got) throw std::runtime_error("no reply to " + text);
    return reply;
  }
  nlohmann::json login(std::size_t i, Inbox& in, const Keys& k, std::int64_t skew_s = 0, const std::string& secret = {}) {
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + skew_s;
    const std::string ts = std::to_string(now_s);
    nlohmann::json req = {{"op", "login"},
                          {"args", {{{"apiKey", k.key}, {"passphrase", k.passphrase}, {"timestamp", ts},
                                     {"sign", sign(secret.empty() ? k.secret : secret, ts + "GET/users/self/verify")}}}}};
    return request(i, in, req.dump(), [](const nlohmann::json& j) { return j.contains("event"); });
  }
};

}  // namespace oms::venue_sim::okx_test
