// venue-sim front tests: the front in-process behind a real HttpsServer on 127.0.0.1:0 with
// deploy/gen-certs certificates; the client side is our HttpsClient / WssClient and the Binance
// request builders, rendered with real HMAC signing.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "front.hpp"
#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/net/https_client.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/net/wss_client.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::venue_sim::test {

using namespace std::chrono_literals;

inline Decimal d(const char* s) { return *Decimal::parse(s); }

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds bound = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Messages received on one WebSocket, thread-safe.
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
  // Parsed messages whose "e" is `event` (or all when empty).
  std::vector<nlohmann::json> events(std::string_view event = {}) {
    std::vector<nlohmann::json> out;
    for (const auto& s : all()) {
      auto j = nlohmann::json::parse(s, nullptr, false);
      if (j.is_discarded()) continue;
      if (event.empty() || (j.is_object() && j.value("e", "") == event)) out.push_back(j);
    }
    return out;
  }
};

struct Account {
  std::string key, secret;
};

struct FrontFixture {
  testkit::TempDir tmp{"oms-venue-sim"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  Account alice{"alice-key", "alice-secret"}, bob{"bob-key", "bob-secret"}, fut{"fut-key", "fut-secret"};
  std::unique_ptr<Front> front;
  std::unique_ptr<net::HttpsServer> server;
  std::unique_ptr<net::HttpsClient> client;
  std::vector<std::unique_ptr<net::WssClient>> sockets;

  static FrontConfig default_config() {
    FrontConfig c;
    c.spot_instruments = default_instruments(Market::kSpot);
    c.usdm_instruments = default_instruments(Market::kUsdm);
    AccountSpec a{"alice", Market::kSpot, "alice-key", "alice-secret", d("0.0005"), d("0.001"),
                  {{"USDT", d("10000")}, {"BTC", d("1")}}};
    AccountSpec b{"bob", Market::kSpot, "bob-key", "bob-secret", d("0.0005"), d("0.001"),
                  {{"USDT", d("10000")}, {"BTC", d("1")}}};
    AccountSpec f{"fut", Market::kUsdm, "fut-key", "fut-secret", d("0.0002"), d("0.0004"),
                  {{"USDT", d("10000")}}};
    c.accounts = {a, b, f};
    c.seed = 7;
    return c;
  }

  explicit FrontFixture(FrontConfig cfg = default_config()) {
    front = std::make_unique<Front>(std::move(cfg));
    net::HttpsServerConfig sc;
    sc.port = 0;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(
        sc, [this](const net::HttpRequest& r) { return front->handle(r); });
    front->attach(*server);
    server->start();
    client = std::make_unique<net::HttpsClient>(net::Origin{"127.0.0.1", server->port()},
                                                net::TlsClientConfig{certs.ca.string()});
    // Background books: spot BTCUSDT 99.50/99.00 x 100.00/100.01; USD-M BTCUSDT around 60000.
    sim::BookSnapshotIn s;
    s.bids = {{d("99.50"), d("1")}, {d("99.00"), d("2")}};
    s.asks = {{d("100.00"), d("1")}, {d("100.01"), d("2")}};
    front->on_snapshot(Market::kSpot, "BTCUSDT", s);
    sim::BookSnapshotIn f;
    f.bids = {{d("59999.9"), d("1")}};
    f.asks = {{d("60000.0"), d("1")}, {d("60000.1"), d("2")}};
    front->on_snapshot(Market::kUsdm, "BTCUSDT", f);
  }
  ~FrontFixture() {
    sockets.clear();
    server->stop();
  }

  const Instrument& ins(Market m) {
    static const std::vector<Instrument> spot = default_instruments(Market::kSpot);
    static const std::vector<Instrument> usdm = default_instruments(Market::kUsdm);
    return m == Market::kSpot ? spot[0] : usdm[0];
  }

  // Sends a built request signed with acct's keys; returns the response (REQUIREs transport ok).
  net::HttpResponse send(const binance::Req& req, const Account& acct,
                         std::int64_t ts = wall_ms()) {
    if (!req.ok()) throw std::runtime_error("request: " + req.error().message);
    auto signer = signing::BinanceSigner::hmac(acct.secret);
    binance::Credentials cr{acct.key, &*signer, 5'000};
    auto http = binance::render(*req, cr, ts);
    if (!http.ok()) throw std::runtime_error("render: " + http.error().message);
    auto r = client->request(*http);
    if (!r.ok()) throw std::runtime_error("transport: " + r.error().message);
    return *r;
  }
  net::HttpResponse get_public(const std::string& target) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    auto resp = client->request(r);
    if (!resp.ok()) throw std::runtime_error("transport: " + resp.error().message);
    return *resp;
  }

  // Opens wss://127.0.0.1:port<target> and waits until the server has registered it (a
  // LIST_SUBSCRIPTIONS round trip answers only after the session's on_open ran).
  Inbox& open_ws(const std::string& target, std::shared_ptr<Inbox> inbox) {
    net::WssConfig c;
    c.host = "127.0.0.1";
    c.port = server->port();
    c.target = target;
    c.tls.ca_file = certs.ca.string();
    net::WssHandlers h;
    h.on_message = [inbox](std::string_view m) { inbox->push(m); };
    sockets.push_back(std::make_unique<net::WssClient>(c, h));
    inboxes.push_back(inbox);
    auto& ws = *sockets.back();
    ws.start();
    if (!wait_for([&] { return ws.is_open(); })) throw std::runtime_error("ws did not open");
    ws.send(R"({"method":"LIST_SUBSCRIPTIONS","id":99})");
    if (!wait_for([&] {
          for (const auto& m : inbox->all()) {
            if (m.find("\"id\":99") != std::string::npos) return true;
          }
          return false;
        })) {
      throw std::runtime_error("ws not registered");
    }
    return *inbox;
  }
  std::vector<std::shared_ptr<Inbox>> inboxes;
};

inline SubmitOrder order(Side side, const char* qty, const char* price, const char* cid,
                         OrderType t = OrderType::kLimit, TimeInForce tif = TimeInForce::kGtc) {
  SubmitOrder o;
  o.side = side;
  o.order_type = t;
  o.tif = tif;
  o.quantity = d(qty);
  if (price != nullptr) o.price = d(price);
  (void)o.client_order_id.assign(cid);
  return o;
}

inline nlohmann::json body(const net::HttpResponse& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

}  // namespace oms::venue_sim::test
