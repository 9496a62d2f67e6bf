// venue-sim's Upbit front in tests: the front in-process (REST through UpbitFront::handle, each
// request's JWT written here as Upbit documents it: base64url(header).base64url(payload), HMAC with
// the secret key text, query_hash = hex SHA-512 of the unencoded query) and, for the WebSockets,
// behind a real HttpsServer on 127.0.0.1:0 with test certificates and our WssClient. The tokens
// are made with OpenSSL directly, not with the client module's signer, so the two are checked
// against each other only where a test says so.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/net/wss_client.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"
#include "upbit_front.hpp"

namespace oms::venue_sim::upbit_test {

using namespace std::chrono_literals;

inline Decimal d(const char* s) { return *Decimal::parse(s); }
inline Decimal dj(const nlohmann::json& j) { return *Decimal::parse(j.is_string() ? j.get<std::string>() : j.dump()); }

inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds bound = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

struct Keys {
  std::string access, secret;
};

inline std::string b64url(std::string_view in) {
  static constexpr char kA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char ch : in) {
    acc = (acc << 8U) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kA[(acc >> static_cast<unsigned>(bits)) & 63U]);
    }
  }
  if (bits > 0) out.push_back(kA[(acc << static_cast<unsigned>(6 - bits)) & 63U]);
  return out;
}

inline std::string sha512_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha512(), nullptr);
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4U]);
    out.push_back(kHex[md[i] & 15U]);
  }
  return out;
}

// A JWT as Upbit describes it. query: the unencoded query string ("" = no query_hash claim).
// alg: "HS512" or "HS256"; claims_override: replaces the payload (tampering tests).
inline std::string jwt(const Keys& k, const std::string& nonce, const std::string& query, const std::string& alg = "HS512",
                       const nlohmann::json* claims_override = nullptr) {
  nlohmann::ordered_json claims = {{"access_key", k.access}, {"nonce", nonce}};
  if (!query.empty()) {
    claims["query_hash"] = sha512_hex(query);
    claims["query_hash_alg"] = "SHA512";
  }
  const std::string payload = claims_override != nullptr ? claims_override->dump() : claims.dump();
  const std::string head = nlohmann::ordered_json{{"alg", alg}, {"typ", "JWT"}}.dump();
  const std::string signing_input = b64url(head) + "." + b64url(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  HMAC(alg == "HS256" ? EVP_sha256() : EVP_sha512(), k.secret.data(), static_cast<int>(k.secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &n);
  return signing_input + "." + b64url(std::string_view(reinterpret_cast<const char*>(mac), n));
}

struct Answer {
  unsigned status = 0;
  std::string body;
  nlohmann::json json;
  std::string remaining;  // Remaining-Req
  [[nodiscard]] std::string error() const {
    return json.is_object() && json.contains("error") ? json["error"].value("name", "?") : std::string();
  }
  [[nodiscard]] std::string message() const {
    return json.is_object() && json.contains("error") ? json["error"].value("message", "") : std::string();
  }
};

// The background book: KRW-BTC 81,000,000 / 81,001,000 (the 1000 KRW band), 0.1 BTC a level, 3
// levels a side.
struct UpbitFixture {
  Keys alice{"alice-upbit-access-key", "alice-upbit-secret-key"}, bob{"bob-upbit-access-key", "bob-upbit-secret-key"};
  std::shared_ptr<std::atomic<std::int64_t>> clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  std::unique_ptr<UpbitFront> front;
  std::uint64_t nonce_counter = 0;

  static UpbitFrontConfig config(const std::shared_ptr<std::atomic<std::int64_t>>& clock) {
    UpbitFrontConfig c;
    c.markets = default_upbit_markets();
    c.accounts = {default_upbit_account("alice", "alice-upbit-access-key", "alice-upbit-secret-key"),
                  default_upbit_account("bob", "bob-upbit-access-key", "bob-upbit-secret-key")};
    c.seed = 17;
    if (clock) c.clock_ms = [clock] { return clock->load(); };
    return c;
  }

  // The default configuration on this fixture's clock, changed by `tweak` first.
  explicit UpbitFixture(const std::function<void(UpbitFrontConfig&)>& tweak) {
    auto cfg = config(clock);
    tweak(cfg);
    front = std::make_unique<UpbitFront>(std::move(cfg));
    background();
  }
  UpbitFixture() {
    front = std::make_unique<UpbitFront>(config(clock));
    background();
  }

  void background() {
    sim::BookSnapshotIn s;
    s.bids = {{d("81000000"), d("0.1")}, {d("80999000"), d("0.1")}, {d("80998000"), d("0.1")}};
    s.asks = {{d("81001000"), d("0.1")}, {d("81002000"), d("0.1")}, {d("81003000"), d("0.1")}};
    front->on_snapshot(Market::kSpot, "KRW-BTC", s);
  }

  void advance(std::int64_t ms) { clock->fetch_add(ms); }
  std::string nonce() { return "nonce-" + std::to_string(++nonce_counter); }

  static Answer answer_of(const net::DelayedResponse& r) {
    Answer a;
    a.status = r.response.status;
    a.body = r.response.body;
    a.json = nlohmann::json::parse(a.body, nullptr, false);
    for (const auto& [k, v] : r.response.headers) {
      if (k == "Remaining-Req") a.remaining = v;
    }
    return a;
  }
  // Requests are 150 ms apart on the virtual clock (inside Upbit's per-second groups).
  Answer send_raw(const net::HttpRequest& r) {
    advance(150);
    return answer_of(front->handle(r));
  }
  // GET / DELETE with a query as sent (the hash over the same text: our values need no escaping).
  Answer call(const std::string& method, const std::string& path, const std::string& query, const Keys& k) {
    net::HttpRequest r;
    r.method = method;
    r.target = query.empty() ? path : path + "?" + query;
    r.headers = {{"Authorization", "Bearer " + jwt(k, nonce(), query)}};
    return send_raw(r);
  }
  Answer get(const std::string& path, const std::string& query, const Keys& k) { return call("GET", path, query, k); }
  Answer del(const std::string& path, const std::string& query, const Keys& k) { return call("DELETE", path, query, k); }
  // POST: the JSON body; the hash over its fields as a query string, in body order.
  Answer post(const std::string& path, const nlohmann::ordered_json& body, const Keys& k) {
    std::string q;
    for (const auto& [key, v] : body.items()) {
      if (!q.empty()) q += '&';
      q += key + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    net::HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.body = body.dump();
    r.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"Authorization", "Bearer " + jwt(k, nonce(), q)}};
    return send_raw(r);
  }
  Answer get_public(const std::string& target) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    return send_raw(r);
  }
  Answer order(const Keys& k, nlohmann::ordered_json body) { return post("/v1/orders", body, k); }
  // The account's row of a currency (balance, locked as decimals).
  std::pair<Decimal, Decimal> balance(const Keys& k, const std::string& ccy) {
    const auto a = get("/v1/accounts", "", k);
    for (const auto& row : a.json) {
      if (row.at("currency") == ccy) return {dj(row.at("balance")), dj(row.at("locked"))};
    }
    return {};
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
  // Messages whose type (DEFAULT "type" or SIMPLE "ty") is `type`.
  std::vector<nlohmann::json> of(std::string_view type) {
    std::vector<nlohmann::json> out;
    for (const auto& s : all()) {
      auto j = nlohmann::json::parse(s, nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;
      if (j.value("type", j.value("ty", "")) == type) out.push_back(j);
    }
    return out;
  }
};

// The front behind a loopback HTTPS + WSS server (the virtual clock still drives it).
struct UpbitServer {
  testkit::TempDir tmp{"oms-venue-sim-upbit"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  UpbitFixture f;
  std::unique_ptr<net::HttpsServer> server;
  std::vector<std::unique_ptr<net::WssClient>> sockets;
  std::vector<std::shared_ptr<Inbox>> inboxes;

  UpbitServer() {
    net::HttpsServerConfig sc;
    sc.port = 0;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(sc, [this](const net::HttpRequest& r) { return f.front->handle(r); });
    f.front->attach(*server);
    server->start();
  }
  ~UpbitServer() {
    sockets.clear();
    server->stop();
  }

  // A socket on path; authorization: the upgrade's Authorization header ("" = none).
  Inbox& open(const std::string& path, const std::string& authorization = {}) {
    net::WssConfig c;
    c.host = "127.0.0.1";
    c.port = server->port();
    c.target = path;
    c.tls.ca_file = certs.ca.string();
    if (!authorization.empty()) {
      c.upgrade_headers = [authorization] {
        return std::vector<std::pair<std::string, std::string>>{{"Authorization", authorization}};
      };
    }
    auto inbox = std::make_shared<Inbox>();
    net::WssHandlers h;
    h.on_message = [inbox](std::string_view m) { inbox->push(m); };
    sockets.push_back(std::make_unique<net::WssClient>(c, h));
    inboxes.push_back(inbox);
    sockets.back()->start();
    if (!wait_for([&] { return sockets.back()->is_open() || !inbox->all().empty(); })) throw std::runtime_error("ws did not open");
    return *inbox;
  }
  net::WssClient& socket(std::size_t i) { return *sockets.at(i); }

  // A socket whose upgrade the server should refuse: the first failure's reason ("" if it opened
  // or nothing happened within the bound).
  std::string refused(const std::string& path, const std::string& authorization = {}) {
    net::WssConfig c;
    c.host = "127.0.0.1";
    c.port = server->port();
    c.target = path;
    c.tls.ca_file = certs.ca.string();
    c.backoff_initial = std::chrono::milliseconds(5'000);  // no second attempt within the test
    if (!authorization.empty()) {
      c.upgrade_headers = [authorization] {
        return std::vector<std::pair<std::string, std::string>>{{"Authorization", authorization}};
      };
    }
    auto reason = std::make_shared<std::string>();
    auto mu = std::make_shared<std::mutex>();
    net::WssHandlers h;
    h.on_message = [](std::string_view) {};
    h.on_disconnected = [reason, mu](const net::WssDisconnect& d) {
      std::lock_guard lock(*mu);
      if (reason->empty() && !d.was_open) *reason = d.reason;
    };
    net::WssClient client(c, h);
    client.start();
    wait_for([&] {
      std::lock_guard lock(*mu);
      return !reason->empty() || client.is_open();
    });
    const bool opened = client.is_open();
    client.stop();
    std::lock_guard lock(*mu);
    return opened ? std::string() : *reason;
  }
};

}  // namespace oms::venue_sim::upbit_test
