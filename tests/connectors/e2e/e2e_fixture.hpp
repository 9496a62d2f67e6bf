// End-to-end: OUR Binance connector (BinanceVenue -> Exchange) against venue-sim's front over
// real loopback TLS (HttpsServer on 127.0.0.1:0, testkit certs, CA verification on). Nothing is
// scripted: the simulator matches. The "truth" (what the simulator holds) is read through the
// front's own handle() in-process with signed requests, independent of the connector.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/report_collector.hpp"
#include "front.hpp"
#include "oms/connectors/binance/exchange_binance.hpp"
#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/signing.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::e2e {

using namespace std::chrono_literals;

inline Decimal d(const char* s) { return *Decimal::parse(s); }

inline constexpr InstrumentId kSpotBtc(7);
inline constexpr InstrumentId kUsdmBtc(8);
inline constexpr AccountId kAlice(3);  // spot, ours
inline constexpr AccountId kFut(5);    // USD-M, ours

inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds bound = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

inline ClientOrderIdText cid(std::string_view s) {
  ClientOrderIdText t;
  (void)t.assign(s);
  return t;
}

inline VenueOrderId vid(std::uint64_t id) {
  VenueOrderId t;
  (void)t.assign(std::to_string(id));
  return t;
}

// Reports from the connector's threads: the shared collector, under the names these tests use.
class Reports : public testkit::ReportCollector {
 public:
  // Waits for a report of type T (for client id c when given); returns the first.
  template <class T>
  std::optional<T> wait_for_event(std::string_view c = {}, std::chrono::milliseconds bound = 5s) {
    return wait_for<T>(c, bound);
  }
  // Every report of type T so far (for client id c when given).
  template <class T>
  [[nodiscard]] std::vector<T> of(std::string_view c = {}) const {
    std::vector<T> out;
    for (const auto& r : all()) {
      if (const T* p = std::get_if<T>(&r.payload)) {
        if constexpr (requires { p->client_order_id; }) {
          if (!c.empty() && p->client_order_id.view() != c) continue;
        }
        out.push_back(*p);
      }
    }
    return out;
  }
};

struct Keys {
  const char* key;
  const char* secret;
};
inline constexpr Keys kAliceKeys{"alice-key", "alice-secret"};
inline constexpr Keys kBobKeys{"bob-key", "bob-secret"};
inline constexpr Keys kFutKeys{"fut-key", "fut-secret"};
inline constexpr Keys kMakerKeys{"maker-key", "maker-secret"};

inline venue_sim::FrontConfig default_front_config() {
  venue_sim::FrontConfig c;
  c.spot_instruments = venue_sim::default_instruments(Market::kSpot);
  c.usdm_instruments = venue_sim::default_instruments(Market::kUsdm);
  using venue_sim::AccountSpec;
  c.accounts = {
      AccountSpec{"alice", Market::kSpot, kAliceKeys.key, kAliceKeys.secret, d("0.0005"),
                  d("0.001"), {{"USDT", d("10000")}, {"BTC", d("1")}}},
      AccountSpec{"bob", Market::kSpot, kBobKeys.key, kBobKeys.secret, d("0.0005"), d("0.001"),
                  {{"USDT", d("100000")}, {"BTC", d("100")}}},
      AccountSpec{"fut", Market::kUsdm, kFutKeys.key, kFutKeys.secret, d("0.0002"), d("0.0004"),
                  {{"USDT", d("10000")}}},
      AccountSpec{"maker", Market::kUsdm, kMakerKeys.key, kMakerKeys.secret, d("0.0002"),
                  d("0.0004"), {{"USDT", d("1000000")}}}};
  c.seed = 11;
  return c;
}

inline Instrument instrument(Market m) {
  Instrument in = venue_sim::default_instruments(m).at(0);  // BTCUSDT
  in.id = m == Market::kSpot ? kSpotBtc : kUsdmBtc;
  return in;
}

struct E2e {
  testkit::TempDir tmp{"oms-e2e"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  std::unique_ptr<venue_sim::Front> front;
  std::unique_ptr<net::HttpsServer> server;
  std::unique_ptr<net::HttpsServer> fstream;  // USD-M: the fstream.binance.com stand-in
  std::unique_ptr<binance::BinanceVenue> venue;
  Reports reports;
  Market market;

  explicit E2e(Market m, venue_sim::FrontConfig cfg = default_front_config(),
               const std::function<void(binance::BinanceConfig&)>& tweak = {})
      : market(m) {
    front = std::make_unique<venue_sim::Front>(std::move(cfg));
    net::HttpsServerConfig sc;
    sc.port = 0;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(
        sc, [this](const net::HttpRequest& r) { return front->handle(r); });
    front->attach(*server);
    server->start();
    if (m == Market::kUsdm) {
      fstream = std::make_unique<net::HttpsServer>(
          sc, [this](const net::HttpRequest& r) { return front->handle(r); });
      front->attach_usdm_streams(*fstream);
      fstream->start();
    }
    seed_books();
    binance::BinanceConfig bc = client_config();
    if (tweak) tweak(bc);
    venue = std::make_unique<binance::BinanceVenue>(std::move(bc));
    REQUIRE(venue->start().ok());
    REQUIRE(ex().start(reports.sink()).ok());
    // The user-data stream open before a test acts: venue-sim does not replay what it sent
    // while no stream listened (under load the TLS handshake can take longer than a test's
    // first orders and sweep -- an algo order's cancel went unheard once in CI).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!ex().user_stream_connected() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    REQUIRE(ex().user_stream_connected());
  }
  ~E2e() {
    if (venue) venue->stop();
    venue.reset();
    if (fstream) fstream->stop();
    server->stop();
  }
  E2e(const E2e&) = delete;
  E2e& operator=(const E2e&) = delete;

  Exchange& ex() { return venue->account(0); }
  [[nodiscard]] Instrument ins() const { return instrument(market); }

  binance::BinanceConfig client_config() const {
    binance::BinanceConfig c;
    c.market = market;
    c.rest = {"127.0.0.1", server->port()};
    c.stream = {"127.0.0.1", fstream ? fstream->port() : server->port()};
    c.tls.ca_file = certs.ca.string();
    c.request_timeout = 1500ms;
    c.instruments = {instrument(market)};
    const Keys k = market == Market::kSpot ? kAliceKeys : kFutKeys;
    binance::BinanceAccountConfig a;
    a.account = market == Market::kSpot ? kAlice : kFut;
    a.credentials.api_key = secrets::SecureBuffer::copy_of(k.key).value();
    a.credentials.api_secret = secrets::SecureBuffer::copy_of(k.secret).value();
    c.accounts.push_back(std::move(a));
    return c;
  }

  // Background liquidity (no account): spot 99.50/99.00 x 100.00/100.01; USD-M 59999.9 x 60000.
  void seed_books() {
    sim::BookSnapshotIn s;
    s.bids = {{d("99.50"), d("1")}, {d("99.00"), d("2")}};
    s.asks = {{d("100.00"), d("1")}, {d("100.01"), d("2")}};
    front->on_snapshot(Market::kSpot, "BTCUSDT", s);
    sim::BookSnapshotIn f;
    f.bids = {{d("59999.9"), d("1")}, {d("59999.0"), d("5")}};
    f.asks = {{d("60000.0"), d("1")}, {d("60000.1"), d("2")}};
    front->on_snapshot(Market::kUsdm, "BTCUSDT", f);
  }

  // A signed request straight into the front (the simulator's truth, no network, no connector).
  // A 503 (error_5xx fault) executed nothing: asked again, bounded.
  nlohmann::json truth(const binance::Req& req, Keys k = {}) {
    if (k.key == nullptr) k = market == Market::kSpot ? kAliceKeys : kFutKeys;
    if (!req.ok()) throw std::runtime_error("request: " + req.error().message);
    auto signer = signing::BinanceSigner::hmac(k.secret);
    binance::Credentials cr{k.key, &*signer, 5'000};
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto http = binance::render(*req, cr, front->now_ms());
      if (!http.ok()) throw std::runtime_error("render: " + http.error().message);
      const auto r = front->handle(*http).response;
      if (r.status == 503) continue;
      if (r.status != 200) throw std::runtime_error("truth: HTTP " + std::to_string(r.status) + " " + r.body);
      return nlohmann::json::parse(r.body);
    }
    throw std::runtime_error("truth: 503 a hundred times");
  }
  // Administration through the connector, asked again while a 5xx fault answers.
  template <class F>
  auto admin(F&& call) {
    auto r = call();
    for (int i = 0; i < 50 && !r.ok() && (r.error().code == ExchangeErrorCode::kMaybeSent ||
                                          r.error().code == ExchangeErrorCode::kHttpStatus);
         ++i) {
      r = call();
    }
    return r;
  }
};

inline SubmitOrder order(Market m, Side side, const char* qty, const char* price,
                         std::string_view c, OrderType t = OrderType::kLimit,
                         TimeInForce tif = TimeInForce::kGtc) {
  SubmitOrder o;
  o.account = m == Market::kSpot ? kAlice : kFut;
  o.instrument = m == Market::kSpot ? kSpotBtc : kUsdmBtc;
  o.side = side;
  o.order_type = t;
  o.tif = tif;
  o.quantity = d(qty);
  if (price != nullptr) o.price = d(price);
  (void)o.client_order_id.assign(c);
  return o;
}

}  // namespace oms::e2e

namespace oms::e2e {
// The reports once each (report_id), in arrival order: what the event store keeps.
inline std::vector<ExchangeReport> unique_reports(const std::vector<ExchangeReport>& all) {
  std::vector<ExchangeReport> out;
  std::vector<EventId> seen;
  for (const auto& r : all) {
    if (std::find(seen.begin(), seen.end(), r.report_id) != seen.end()) continue;
    seen.push_back(r.report_id);
    out.push_back(r);
  }
  return out;
}
template <class T>
std::vector<T> only(const std::vector<ExchangeReport>& all, std::string_view c = {}) {
  std::vector<T> out;
  for (const auto& r : all) {
    if (const T* p = std::get_if<T>(&r.payload)) {
      if constexpr (requires { p->client_order_id; }) {
        if (!c.empty() && p->client_order_id.view() != c) continue;
      }
      out.push_back(*p);
    }
  }
  return out;
}
}  // namespace oms::e2e
