// The OKX e2e fixture: OUR OKX connector (OkxVenue -> Exchange) against venue-sim's OKX front
// over real loopback TLS (HttpsServer on 127.0.0.1:0, testkit certificates, CA verification
// on), the instruments from the front's own public/instruments answer through our parser.
// Shared by e2e_test.cpp and e2e_algo_test.cpp.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "okx_front.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/okx/exchange_okx.hpp"
#include "oms/connectors/okx/instruments.hpp"
#include "connectors/report_collector.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::okx::e2e {

using namespace std::chrono_literals;

inline Decimal d(const char* s) { return *Decimal::parse(s); }

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds bound = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

using Reports = testkit::ReportCollector;

constexpr InstrumentId kSpotBtc(21), kSwapBtc(22);

struct E2e {
  testkit::TempDir tmp{"oms-okx-e2e"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  std::unique_ptr<venue_sim::OkxFront> front;
  std::unique_ptr<net::HttpsServer> server;
  std::unique_ptr<OkxVenue> venue;
  Reports reports;
  Market market;

  explicit E2e(Market m, std::string passphrase = "Alice-pass-1",
               const std::function<void(venue_sim::OkxFrontConfig&)>& front_edit = {},
               const std::function<void(OkxConfig&)>& edit = {})
      : market(m) {
    venue_sim::OkxFrontConfig fc;
    fc.spot_instruments = venue_sim::default_okx_instruments(Market::kSpot);
    fc.swap_instruments = venue_sim::default_okx_instruments(Market::kUsdm);
    fc.accounts = {venue_sim::default_okx_account("alice", "alice-key", "alice-secret", "Alice-pass-1")};
    fc.seed = 5;
    if (front_edit) front_edit(fc);
    front = std::make_unique<venue_sim::OkxFront>(std::move(fc));
    net::HttpsServerConfig sc;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(sc, [this](const net::HttpRequest& r) { return front->handle(r); });
    front->attach(*server);
    server->start();
    // Background book: three levels a side around 60000 (1 BTC spot, 100 contracts = 1 BTC swap).
    for (const Market mk : {Market::kSpot, Market::kUsdm}) {
      sim::BookSnapshotIn s;
      s.bids = {{d("59999"), d("1")}, {d("59998"), d("1")}, {d("59997"), d("1")}};
      s.asks = {{d("60001"), d("1")}, {d("60002"), d("1")}, {d("60003"), d("1")}};
      front->on_snapshot(mk, mk == Market::kSpot ? "BTC-USDT" : "BTC-USDT-SWAP", s);
    }
    OkxConfig c;
    c.market = m;
    c.rest = {"127.0.0.1", server->port()};
    c.stream = c.rest;
    c.tls.ca_file = certs.ca.string();
    c.request_timeout = 3s;
    // The instruments as omsd reads them: the venue's answer through our parser.
    net::HttpRequest get{"GET", std::string("/api/v5/public/instruments?instType=") + (m == Market::kSpot ? "SPOT" : "SWAP"), {}, {}};
    const auto answer = front->handle(get);
    REQUIRE(answer.response.status == 200);
    auto page = parse_instruments(answer.response.body);
    REQUIRE_MESSAGE(page.ok(), (page.ok() ? "" : page.error().message));
    for (auto& in : page->instruments) {
      if (in.instrument.venue_symbol != (m == Market::kSpot ? "BTC-USDT" : "BTC-USDT-SWAP")) continue;
      in.instrument.id = m == Market::kSpot ? kSpotBtc : kSwapBtc;
      c.instruments.push_back(in);
    }
    REQUIRE(c.instruments.size() == 1);
    OkxAccountConfig a;
    a.account = AccountId(3);
    a.credentials.api_key = secrets::SecureBuffer::copy_of("alice-key").value();
    a.credentials.api_secret = secrets::SecureBuffer::copy_of("alice-secret").value();
    a.credentials.passphrase = secrets::SecureBuffer::copy_of(passphrase).value();
    c.accounts.push_back(std::move(a));
    c.on_alert = [this](std::string_view text) {
      std::lock_guard lk(alerts_mutex);
      alerts.emplace_back(text);
    };
    if (edit) edit(c);
    venue = std::make_unique<OkxVenue>(std::move(c));
    REQUIRE(venue->start().ok());
    REQUIRE(ex().start(reports.sink()).ok());
  }
  ~E2e() {
    venue->stop();
    venue.reset();
    server->stop();
  }
  E2e(const E2e&) = delete;
  E2e& operator=(const E2e&) = delete;

  std::mutex alerts_mutex;
  std::vector<std::string> alerts;

  Exchange& ex() { return venue->account(0); }
  [[nodiscard]] InstrumentId id() const { return market == Market::kSpot ? kSpotBtc : kSwapBtc; }

  SubmitOrder order(std::string_view cid, Side side, OrderType t, const char* qty, const char* price = "0",
                    TimeInForce tif = TimeInForce::kGtc) const {
    SubmitOrder o;
    o.account = AccountId(3);
    o.instrument = id();
    (void)o.client_order_id.assign(cid);
    o.side = side;
    o.order_type = t;
    o.tif = tif;
    o.quantity = d(qty);
    o.price = d(price);
    return o;
  }
};

inline ClientOrderIdText cid_text(std::string_view s) {
  ClientOrderIdText t;
  (void)t.assign(s);
  return t;
}

}  // namespace oms::okx::e2e
