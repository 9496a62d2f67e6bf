// venue-sim's Bybit front in tests: the front in-process (REST through BybitFront::handle with
// our request builders, rendered and signed as our connector sends them) and, for the
// WebSockets, behind a real HttpsServer on 127.0.0.1:0 with deploy/gen-certs certificates and
// our WssClient. Answers are read with our own Bybit parsers wherever one exists.
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

#include "bybit_front.hpp"
#include "oms/connectors/bybit/private_data.hpp"
#include "oms/connectors/bybit/requests.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/net/wss_client.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::venue_sim::bybit_test {

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

struct Keys {
  std::string key, secret;
};

// The instruments as our connector knows them (ids for the parsers' events).
struct Registry {
  std::vector<Instrument> spot = default_bybit_instruments(Market::kSpot);
  std::vector<Instrument> linear = default_bybit_instruments(Market::kUsdm);
  Registry() {
    std::uint32_t id = 1;
    for (auto* list : {&spot, &linear}) {
      for (auto& i : *list) i.id = InstrumentId{id++};
    }
  }
  const Instrument& btc(Market m) const { return m == Market::kSpot ? spot[0] : linear[0]; }
  const Instrument& eth(Market m) const { return m == Market::kSpot ? spot[1] : linear[1]; }
  bybit::AccountContext context(Market m) const {
    bybit::AccountContext c;
    c.account = AccountId{7};
    c.market = m;
    c.find = [this](Market mk, std::string_view symbol) -> const Instrument* {
      for (const auto& i : mk == Market::kSpot ? spot : linear) {
        if (i.venue_symbol == symbol) return &i;
      }
      return nullptr;
    };
    return c;
  }
};

// An answer: HTTP status, headers, the parsed JSON and its text.
struct Answer {
  unsigned status = 0;
  std::vector<net::Header> headers;
  std::string body;
  nlohmann::json json;
  [[nodiscard]] int code() const { return json.value("retCode", -1); }
  [[nodiscard]] std::string msg() const { return json.value("retMsg", ""); }
  [[nodiscard]] const nlohmann::json& result() const { return json.at("result"); }
  [[nodiscard]] std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

struct BybitFixture {
  Keys alice{"alice-bybit-key", "alice-bybit-secret"}, bob{"bob-bybit-key", "bob-bybit-secret"};
  Registry reg;
  std::shared_ptr<std::atomic<std::int64_t>> clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  std::unique_ptr<BybitFront> front;

  // A virtual clock by default (rate limits, windows); real = true: the system clock.
  static BybitFrontConfig config(const std::shared_ptr<std::atomic<std::int64_t>>& clock, bool real = false) {
    BybitFrontConfig c;
    c.spot_instruments = default_bybit_instruments(Market::kSpot);
    c.linear_instruments = default_bybit_instruments(Market::kUsdm);
    c.accounts = {default_bybit_account("alice", "alice-bybit-key", "alice-bybit-secret"),
                  default_bybit_account("bob", "bob-bybit-key", "bob-bybit-secret")};
    c.seed = 11;
    if (!real) c.clock_ms = [clock] { return clock->load(); };
    return c;
  }

  // cfg's clock is its own (advance() moves only the default fixture's clock).
  explicit BybitFixture(BybitFrontConfig cfg) : front(std::make_unique<BybitFront>(std::move(cfg))) { background(); }
  BybitFixture() {
    front = std::make_unique<BybitFront>(config(clock));
    background();
  }

  // Background books: spot BTCUSDT 59999.00 / 60001.00 (1 BTC a level, 3 levels a side),
  // linear BTCUSDT 59999.0 / 60001.0 the same.
  void background() {
    for (const Market m : {Market::kSpot, Market::kUsdm}) {
      sim::BookSnapshotIn s;
      s.bids = {{d("59999"), d("1")}, {d("59998"), d("1")}, {d("59997"), d("1")}};
      s.asks = {{d("60001"), d("1")}, {d("60002"), d("1")}, {d("60003"), d("1")}};
      front->on_snapshot(m, "BTCUSDT", s);
    }
  }

  void advance(std::int64_t ms) { clock->fetch_add(ms); }
  [[nodiscard]] std::int64_t now() const { return front->now_ms(); }

  static Answer answer_of(const net::DelayedResponse& r) {
    Answer a;
    a.status = r.response.status;
    a.headers = r.response.headers;
    a.body = r.response.body;
    a.json = nlohmann::json::parse(a.body, nullptr, false);
    return a;
  }

  net::HttpRequest render(const bybit::Req& req, const Keys& k, std::int64_t ts, std::uint32_t recv_window = 5'000) {
    if (!req.ok()) throw std::runtime_error("request: " + req.error().message);
    auto signer = signing::HmacSha256::create(k.secret);
    if (!signer.ok()) throw std::runtime_error("signer");
    bybit::Credentials cr{k.key, &*signer, recv_window};
    auto http = bybit::render(*req, cr, ts);
    if (!http.ok()) throw std::runtime_error("render: " + http.error().message);
    return *http;
  }
  // A built request, signed with k's keys now, answered in-process.
  Answer send(const bybit::Req& req, const Keys& k) { return answer_of(front->handle(render(req, k, now()))); }
  Answer send_raw(const net::HttpRequest& r) { return answer_of(front->handle(r)); }
  // A signed POST of a hand-written body (what a builder would not send).
  Answer post(const std::string& path, const std::string& body, const Keys& k) {
    const std::int64_t ts = now();
    auto signer = signing::HmacSha256::create(k.secret);
    std::string sign;
    if (!signer.ok() || !bybit::append_signature(*signer, ts, k.key, 5'000, body, sign).ok())
      throw std::runtime_error("sign");
    net::HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.body = body;
    r.headers = {{"Content-Type", "application/json"}, {std::string(bybit::kApiKeyHeader), k.key},
                 {std::string(bybit::kTimestampHeader), std::to_string(ts)},
                 {std::string(bybit::kRecvWindowHeader), "5000"}, {std::string(bybit::kSignHeader), sign}};
    return send_raw(r);
  }
  Answer get_public(const std::string& target) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    return send_raw(r);
  }
};

inline SubmitOrder order(Side side, const char* qty, const char* price, const char* link,
                         OrderType t = OrderType::kLimit, TimeInForce tif = TimeInForce::kGtc) {
  SubmitOrder o;
  o.side = side;
  o.order_type = t;
  o.tif = tif;
  o.quantity = d(qty);
  if (price != nullptr) o.price = d(price);
  if (link != nullptr) (void)o.client_order_id.assign(link);
  return o;
}

// Messages received on one WebSocket, thread-safe.
struct Inbox {
  std::mutex m;
  std::vector<std::string> msgs;
  std::atomic<int> drops{0};  // disconnects seen by the client
  void push(std::string_view s) {
    std::lock_guard lock(m);
    msgs.emplace_back(s);
  }
  std::vector<std::string> all() {
    std::lock_guard lock(m);
    return msgs;
  }
  std::vector<nlohmann::json> with(std::string_view key, std::string_view value) {
    std::vector<nlohmann::json> out;
    for (const auto& s : all()) {
      auto j = nlohmann::json::parse(s, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.value(std::string(key), "") == value) out.push_back(j);
    }
    return out;
  }
};

// The front behind a loopback HTTPS + WSS server (real clock: auth expiry is checked on it).
struct BybitServer {
  testkit::TempDir tmp{"oms-venue-sim-bybit"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  BybitFixture f;
  std::unique_ptr<net::HttpsServer> server;
  std::vector<std::unique_ptr<net::WssClient>> sockets;
  std::vector<std::shared_ptr<Inbox>> inboxes;

  explicit BybitServer(BybitFrontConfig cfg) : f(std::move(cfg)) {
    net::HttpsServerConfig sc;
    sc.port = 0;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(sc, [this](const net::HttpRequest& r) { return f.front->handle(r); });
    f.front->attach(*server);
    server->start();
  }
  BybitServer() : BybitServer(BybitFixture::config(nullptr, true)) {}
  ~BybitServer() {
    sockets.clear();
    server->stop();
  }

  // Opens wss://127.0.0.1:port<path>; returns once it is open.
  Inbox& open(const std::string& path) {
    net::WssConfig c;
    c.host = "127.0.0.1";
    c.port = server->port();
    c.target = path;
    c.tls.ca_file = certs.ca.string();
    auto inbox = std::make_shared<Inbox>();
    net::WssHandlers h;
    h.on_message = [inbox](std::string_view m) { inbox->push(m); };
    h.on_disconnected = [inbox](const net::WssDisconnect& why) {
      if (why.was_open) ++inbox->drops;
    };
    sockets.push_back(std::make_unique<net::WssClient>(c, h));
    inboxes.push_back(inbox);
    sockets.back()->start();
    if (!wait_for([&] { return sockets.back()->is_open(); })) throw std::runtime_error("ws did not open");
    return *inbox;
  }
  net::WssClient& socket(std::size_t i) { return *sockets.at(i); }
  // Sends op and waits for the reply whose "op" is reply_op (and req_id, when given).
  nlohmann::json op(std::size_t i, Inbox& in, const nlohmann::json& request, std::string_view reply_op) {
    const std::size_t before = in.all().size();
    socket(i).send(request.dump());
    nlohmann::json reply;
    const bool got = wait_for([&] {
      const auto all = in.all();
      for (std::size_t k = before; k < all.size(); ++k) {
        auto j = nlohmann::json::parse(all[k], nullptr, false);
        if (!j.is_discarded() && j.value("op", "") == reply_op) {
          reply = j;
          return true;
        }
      }
      return false;
    });
    if (!got) throw std::runtime_error("no '" + std::string(reply_op) + "' reply to " + request.dump());
    return reply;
  }
};

}  // namespace oms::venue_sim::bybit_test
