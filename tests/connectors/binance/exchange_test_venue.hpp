// A minimal scripted Binance for the connector tests: HTTPS + WSS on loopback (oms::net::
// HttpsServer, deploy/gen-certs certificates). It records every request (with the HMAC
// signature checked against the account's secret, as the venue does), answers through a
// per-test script, and pushes user-data events on the listenKey stream.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oms/connectors/binance/exchange_binance.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/signing.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::binance::test {

using namespace std::chrono_literals;

inline constexpr std::string_view kListenKey =
    "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1";
inline const std::map<std::string, std::string> kSecrets = {
    {"key-main", "secret-main-NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"},
    {"key-arb", "secret-arb-lH3ELTNiFxCQTmi9pPcWWikhsjO04Yoqw3euoHUuOLC3GYBW"}};

struct Recorded {
  std::string method, path, params;  // params: query string or form body
  std::string api_key;
  bool signature_ok = false;  // present and equal to HMAC(secret of api_key, payload)
  std::chrono::steady_clock::time_point at;
  [[nodiscard]] std::string param(std::string_view key) const {
    std::size_t pos = 0;
    while (pos <= params.size()) {
      const auto amp = params.find('&', pos);
      const std::string_view kv(params.data() + pos,
                                (amp == std::string::npos ? params.size() : amp) - pos);
      if (kv.substr(0, key.size()) == key && kv.size() > key.size() && kv[key.size()] == '=')
        return std::string(kv.substr(key.size() + 1));
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
    return "<absent>";
  }
};

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds bound = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

inline net::HttpResponse json(unsigned status, std::string body,
                              std::vector<net::Header> headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json;charset=UTF-8");
  r.body = std::move(body);
  return r;
}

class TestVenue {
 public:
  using Script = std::function<net::HttpResponse(const Recorded&)>;

  TestVenue() : server_(config(), [this](const net::HttpRequest& r) { return handle(r); }) {
    net::WsHandler h;
    h.on_open = [this](const std::shared_ptr<net::WsSession>& s) {
      std::lock_guard lk(mutex_);
      ws_ = s;
    };
    server_.add_websocket("/ws/" + std::string(kListenKey), h);
    net::WsHandler md;
    md.on_open = [this](const std::shared_ptr<net::WsSession>& s) {
      std::lock_guard lk(mutex_);
      md_ws_ = s;
    };
    server_.add_websocket("/stream", md);
    server_.start();
  }
  ~TestVenue() { server_.stop(); }

  void script(Script s) {
    std::lock_guard lk(mutex_);
    script_ = std::move(s);
  }
  [[nodiscard]] std::vector<Recorded> requests(std::string_view path = {}) const {
    std::lock_guard lk(mutex_);
    std::vector<Recorded> out;
    for (const auto& r : requests_)
      if (path.empty() || r.path == path) out.push_back(r);
    return out;
  }
  bool wait_requests(std::string_view path, std::size_t n, std::chrono::milliseconds bound = 5s) {
    return wait_until([&] { return requests(path).size() >= n; }, bound);
  }
  bool wait_stream(std::chrono::milliseconds bound = 5s) {
    return wait_until(
        [&] {
          std::lock_guard lk(mutex_);
          return ws_ != nullptr;
        },
        bound);
  }
  // The market-data stream's upgrade target (with its query), once connected.
  bool wait_md_stream(std::string& target, std::chrono::milliseconds bound = 5s) {
    const bool ok = wait_until(
        [&] {
          std::lock_guard lk(mutex_);
          return md_ws_ != nullptr;
        },
        bound);
    if (ok) {
      std::lock_guard lk(mutex_);
      target = md_ws_->target();
    }
    return ok;
  }
  void push_md(std::string event) {
    std::lock_guard lk(mutex_);
    REQUIRE(md_ws_ != nullptr);
    md_ws_->send(std::move(event));
  }
  void push(std::string event) {
    std::lock_guard lk(mutex_);
    REQUIRE(ws_ != nullptr);
    ws_->send(std::move(event));
  }

  BinanceConfig client_config(Market market, std::size_t accounts = 1) const {
    BinanceConfig c;
    c.market = market;
    c.rest = {"127.0.0.1", server_.port()};
    c.stream = {"127.0.0.1", server_.port()};
    c.tls.ca_file = certs_.ca.string();
    c.request_timeout = 2s;
    c.start_catch_up = 0ms;  // the tests script each request; the catch-up is e2e's and omsd's
    Instrument in;
    in.id = InstrumentId(7);
    in.market = market;
    in.venue_symbol = "BTCUSDT";
    in.symbol = market == Market::kSpot ? CanonicalSymbol{"BTC", "USDT", "", ""}
                                        : CanonicalSymbol{"BTC", "USDT", "USDT", ""};
    c.instruments.push_back(in);
    const char* keys[] = {"key-main", "key-arb"};
    for (std::size_t i = 0; i < accounts && i < 2; ++i) {
      BinanceAccountConfig a;
      a.account = AccountId(static_cast<std::uint16_t>(3 + i));
      a.credentials.api_key = secrets::SecureBuffer::copy_of(keys[i]).value();
      a.credentials.api_secret = secrets::SecureBuffer::copy_of(kSecrets.at(keys[i])).value();
      c.accounts.push_back(std::move(a));
    }
    return c;
  }

 private:
  net::HttpsServerConfig config() {
    net::HttpsServerConfig c;
    c.tls = {certs_.cert.string(), certs_.key.string()};
    c.threads = 2;
    return c;
  }

  net::HttpResponse handle(const net::HttpRequest& req) {
    Recorded r;
    r.at = std::chrono::steady_clock::now();
    r.method = req.method;
    const auto q = req.target.find('?');
    r.path = req.target.substr(0, q);
    r.params = q == std::string::npos ? req.body : req.target.substr(q + 1);
    if (!req.body.empty() && q != std::string::npos) r.params += "&" + req.body;
    for (const auto& [k, v] : req.headers)
      if (k == "X-MBX-APIKEY") r.api_key = v;
    const auto sig = r.params.rfind("&signature=");
    if (sig != std::string::npos && kSecrets.count(r.api_key) != 0) {
      auto mac = signing::HmacSha256::create(kSecrets.at(r.api_key)).value();
      std::string hex;
      REQUIRE(mac.sign_hex(std::string_view(r.params).substr(0, sig), hex).ok());
      r.signature_ok = r.params.substr(sig + 11) == hex;
    }
    Script s;
    {
      std::lock_guard lk(mutex_);
      requests_.push_back(r);
      s = script_;
    }
    if (r.path == "/api/v3/time" || r.path == "/fapi/v1/time") {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      return json(200, "{\"serverTime\":" + std::to_string(now + 5000) + "}");
    }
    if (r.path == "/api/v3/userDataStream" || r.path == "/fapi/v1/listenKey")
      return json(
          200, r.method == "POST" ? "{\"listenKey\":\"" + std::string(kListenKey) + "\"}" : "{}");
    if (s) return s(r);
    return json(404, R"({"code":-1000,"msg":"no script"})");
  }

  testkit::TempDir tmp_{"oms-binance-exchange"};
  testkit::TlsCerts certs_ = testkit::make_tls_certs(tmp_.path() / "certs");
  mutable std::mutex mutex_;
  std::vector<Recorded> requests_;
  Script script_;
  std::shared_ptr<net::WsSession> ws_;
  std::shared_ptr<net::WsSession> md_ws_;
  net::HttpsServer server_;
};

// Reports from the connector's threads. The orders' descriptions (ExternalOrderFound, sent
// before each order update for the order desk to tell another client's orders from ours) are
// kept apart: all() is the order's own reports, descriptions() those.
class Reports {
 public:
  ReportSink sink() {
    return [this](const ExchangeReport& r) {
      std::lock_guard lk(mutex_);
      if (std::holds_alternative<ExternalOrderFound>(r.payload)) {
        descriptions_.push_back(r);
      } else {
        reports_.push_back(r);
      }
      cv_.notify_all();
    };
  }
  [[nodiscard]] std::vector<ExchangeReport> descriptions() const {
    std::lock_guard lk(mutex_);
    return descriptions_;
  }
  bool wait(std::size_t n, std::chrono::milliseconds bound = 5s) {
    std::unique_lock lk(mutex_);
    return cv_.wait_for(lk, bound, [&] { return reports_.size() >= n; });
  }
  [[nodiscard]] std::vector<ExchangeReport> all() const {
    std::lock_guard lk(mutex_);
    return reports_;
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lk(mutex_);
    return reports_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ExchangeReport> reports_;
  std::vector<ExchangeReport> descriptions_;
};

}  // namespace oms::binance::test
