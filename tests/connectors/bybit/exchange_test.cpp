// BybitVenue over real loopback TLS against a scripted Bybit: signed requests (the X-BAPI-*
// headers checked against the account's secret, as the venue does), acks and refusals as
// reports, report ids shared by the REST ack and the private stream, outcomes that are unknown
// (no report), a refused cancel answered by a query, the venue's limit headers holding the
// account back, private auth (accepted, refused) and the catch-up after a reconnect, and the
// public feed (snapshot, deltas, a gap answered by subscribing again). What venue-sim itself
// answers is the e2e suite's (tests/connectors/bybit/e2e_test.cpp).
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "oms/connectors/bybit/exchange_bybit.hpp"
#include "oms/connectors/bybit/rest_request.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/signing.hpp"
#include "connectors/report_collector.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::bybit {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr InstrumentId kBtc(7);
const std::map<std::string, std::string> kSecrets = {{"key-main", "secret-main-0123456789abcdef"},
                                                     {"key-arb", "secret-arb-fedcba9876543210"}};

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds bound = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

struct Recorded {
  std::string method, path, query, body, api_key;
  bool signature_ok = false;
  std::chrono::steady_clock::time_point at;
  [[nodiscard]] json body_json() const { return json::parse(body.empty() ? "{}" : body); }
};

net::HttpResponse answer(unsigned status, std::string body, std::vector<net::Header> headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

std::string ok(const std::string& result) {
  return R"({"retCode":0,"retMsg":"OK","result":)" + result + R"(,"retExtInfo":{},"time":1700000000000})";
}
std::string refused(int code, const std::string& msg) {
  return R"({"retCode":)" + std::to_string(code) + R"(,"retMsg":")" + msg + R"(","result":{},"retExtInfo":{},"time":1700000000000})";
}

class ScriptedBybit {
 public:
  using Script = std::function<net::HttpResponse(const Recorded&)>;

  ScriptedBybit() : server_(config(), [this](const net::HttpRequest& r) { return handle(r); }) {
    net::WsHandler priv;
    priv.on_open = [this](const std::shared_ptr<net::WsSession>& s) {
      std::lock_guard lk(mutex_);
      private_ws_ = s;
    };
    priv.on_text = [this](net::WsSession& s, std::string_view text) { on_private(s, text); };
    server_.add_websocket("/v5/private", priv);
    net::WsHandler pub;
    pub.on_open = [this](const std::shared_ptr<net::WsSession>& s) {
      std::lock_guard lk(mutex_);
      public_ws_ = s;
    };
    pub.on_text = [this](net::WsSession&, std::string_view text) {
      std::lock_guard lk(mutex_);
      public_sent_.emplace_back(text);
    };
    server_.add_websocket("/v5/public/linear", pub);
    server_.start();
  }
  ~ScriptedBybit() { server_.stop(); }

  void script(Script s) {
    std::lock_guard lk(mutex_);
    script_ = std::move(s);
  }
  void refuse_auth(bool refuse) {
    std::lock_guard lk(mutex_);
    refuse_auth_ = refuse;
  }
  [[nodiscard]] std::vector<Recorded> requests(std::string_view path = {}) const {
    std::lock_guard lk(mutex_);
    std::vector<Recorded> out;
    for (const auto& r : requests_) {
      if (path.empty() || r.path == path) out.push_back(r);
    }
    return out;
  }
  bool wait_requests(std::string_view path, std::size_t n, std::chrono::milliseconds bound = 5s) {
    return wait_until([&] { return requests(path).size() >= n; }, bound);
  }
  [[nodiscard]] std::vector<std::string> private_sent() const {
    std::lock_guard lk(mutex_);
    return private_sent_;
  }
  [[nodiscard]] std::vector<std::string> public_sent() const {
    std::lock_guard lk(mutex_);
    return public_sent_;
  }
  [[nodiscard]] bool authed() const {
    std::lock_guard lk(mutex_);
    return authed_;
  }
  void push_private(std::string msg) {
    std::lock_guard lk(mutex_);
    REQUIRE(private_ws_ != nullptr);
    private_ws_->send(std::move(msg));
  }
  void drop_private() {
    std::lock_guard lk(mutex_);
    REQUIRE(private_ws_ != nullptr);
    private_ws_->drop();
    private_ws_.reset();
    authed_ = false;
  }
  void push_public(std::string msg) {
    std::lock_guard lk(mutex_);
    REQUIRE(public_ws_ != nullptr);
    public_ws_->send(std::move(msg));
  }

  BybitConfig client_config(Market market, std::size_t accounts = 1) const {
    BybitConfig c;
    c.market = market;
    c.rest = {"127.0.0.1", server_.port()};
    c.stream = {"127.0.0.1", server_.port()};
    c.tls.ca_file = certs_.ca.string();
    c.request_timeout = 2s;
    Instrument in;
    in.id = kBtc;
    in.exchange = ExchangeId::kBybit;
    in.market = market;
    in.venue_symbol = "BTCUSDT";
    in.symbol = market == Market::kSpot ? CanonicalSymbol{"BTC", "USDT", "", ""} : CanonicalSymbol{"BTC", "USDT", "USDT", ""};
    c.instruments.push_back(in);
    const char* keys[] = {"key-main", "key-arb"};
    for (std::size_t i = 0; i < accounts && i < 2; ++i) {
      BybitAccountConfig a;
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
    r.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    r.body = req.body;
    std::string ts, rw, sign;
    for (const auto& [k, v] : req.headers) {
      if (k == "X-BAPI-API-KEY") r.api_key = v;
      if (k == "X-BAPI-TIMESTAMP") ts = v;
      if (k == "X-BAPI-RECV-WINDOW") rw = v;
      if (k == "X-BAPI-SIGN") sign = v;
    }
    if (kSecrets.count(r.api_key) != 0 && !ts.empty()) {
      auto mac = signing::HmacSha256::create(kSecrets.at(r.api_key)).value();
      std::string hex;
      REQUIRE(mac.sign_hex(ts + r.api_key + rw + (req.method == "GET" ? r.query : r.body), hex).ok());
      r.signature_ok = hex == sign;
    }
    Script s;
    {
      std::lock_guard lk(mutex_);
      requests_.push_back(r);
      s = script_;
    }
    if (r.path == "/v5/market/time") {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      return answer(200, R"({"retCode":0,"retMsg":"OK","result":{"timeSecond":"0","timeNano":"0"},"retExtInfo":{},"time":)" +
                             std::to_string(now + 3000) + "}");
    }
    if (s) return s(r);
    return answer(404, refused(10001, "no script"));
  }

  void on_private(net::WsSession& s, std::string_view text) {
    const json j = json::parse(text);
    std::lock_guard lk(mutex_);
    private_sent_.emplace_back(text);
    if (j.value("op", "") == "auth") {
      const auto& args = j.at("args");
      const std::string key = args.at(0);
      const std::int64_t expires = args.at(1);
      auto mac = signing::HmacSha256::create(kSecrets.at(key)).value();
      std::string hex;
      REQUIRE(mac.sign_hex("GET/realtime" + std::to_string(expires), hex).ok());
      const bool good = hex == args.at(2).get<std::string>() && !refuse_auth_;
      authed_ = good;
      s.send(std::string(R"({"success":)") + (good ? "true" : "false") + R"(,"ret_msg":")" +
             (good ? "" : "Params Error") + R"(","op":"auth","conn_id":"c1"})");
    } else if (j.value("op", "") == "subscribe") {
      s.send(R"({"success":true,"ret_msg":"","op":"subscribe","conn_id":"c1"})");
    }
  }

  testkit::TempDir tmp_{"oms-bybit-exchange"};
  testkit::TlsCerts certs_ = testkit::make_tls_certs(tmp_.path() / "certs");
  mutable std::mutex mutex_;
  std::vector<Recorded> requests_;
  std::vector<std::string> private_sent_, public_sent_;
  Script script_;
  bool refuse_auth_ = false;
  bool authed_ = false;
  std::shared_ptr<net::WsSession> private_ws_, public_ws_;
  net::HttpsServer server_;
};

using Reports = testkit::ReportCollector;

template <class T>
const T& as(const ExchangeReport& r) {
  REQUIRE(std::holds_alternative<T>(r.payload));
  return std::get<T>(r.payload);
}

SubmitOrder limit_buy(std::string_view cid) {
  SubmitOrder o;
  o.account = AccountId(3);
  o.instrument = kBtc;
  (void)o.client_order_id.assign(cid);
  o.side = Side::kBuy;
  o.order_type = OrderType::kLimit;
  o.price = *Decimal::parse("61000.5");
  o.quantity = *Decimal::parse("0.002");
  return o;
}

ClientOrderIdText cid_text(std::string_view s) {
  ClientOrderIdText t;
  (void)t.assign(s);
  return t;
}

struct Fixture {
  ScriptedBybit venue;
  Reports reports;
  std::unique_ptr<BybitVenue> client;
  std::vector<std::string> alerts;
  std::mutex alerts_mutex;
  explicit Fixture(bool stream = true, const std::function<void(BybitConfig&)>& tweak = {}) {
    auto cfg = venue.client_config(Market::kUsdm);
    cfg.private_stream = stream;
    cfg.on_alert = [this](std::string_view a) {
      std::lock_guard lk(alerts_mutex);
      alerts.emplace_back(a);
    };
    if (tweak) tweak(cfg);
    client = std::make_unique<BybitVenue>(std::move(cfg));
    REQUIRE(client->start().ok());
    REQUIRE(client->account(0).start(reports.sink()).ok());
  }
};

const char* kOrderNew = R"({"topic":"order","id":"1","creationTime":1700000000100,"data":[{"category":"linear","symbol":"BTCUSDT","orderId":"f1","orderLinkId":"c-1","side":"Buy","orderType":"Limit","price":"61000.5","qty":"0.002","timeInForce":"GTC","orderStatus":"New","cancelType":"UNKNOWN","leavesQty":"0.002","cumExecQty":"0","avgPrice":"","rejectReason":"EC_NoError","createdTime":"1700000000000","updatedTime":"1700000000050"}]})";
const char* kExecution = R"({"topic":"execution","id":"2","creationTime":1700000000200,"data":[{"category":"linear","symbol":"BTCUSDT","execId":"x-1","execPrice":"61000.5","execQty":"0.002","execType":"Trade","execFee":"0.0671","feeRate":"0.00055","orderId":"f1","orderLinkId":"c-1","side":"Buy","isMaker":false,"execTime":"1700000000150"}]})";
const char* kOrderFilled = R"({"topic":"order","id":"3","creationTime":1700000000210,"data":[{"category":"linear","symbol":"BTCUSDT","orderId":"f1","orderLinkId":"c-1","side":"Buy","orderType":"Limit","price":"61000.5","qty":"0.002","timeInForce":"GTC","orderStatus":"Filled","cancelType":"UNKNOWN","leavesQty":"0","cumExecQty":"0.002","avgPrice":"61000.5","rejectReason":"EC_NoError","createdTime":"1700000000000","updatedTime":"1700000000150"}]})";

}  // namespace

TEST_CASE("bybit connector: a signed create, its ack and the stream's New share one report; the fill and the fill's end follow") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    if (r.path == "/v5/order/create") return answer(200, ok(R"({"orderId":"f1","orderLinkId":"c-1"})"));
    return answer(404, refused(10001, "unexpected"));
  });
  REQUIRE(wait_until([&] { return f.venue.authed(); }));
  REQUIRE(wait_until([&] { return f.client->account(0).user_stream_connected(); }));
  f.client->account(0).place(limit_buy("c-1"));
  REQUIRE(f.reports.wait(1));
  const auto reqs = f.venue.requests("/v5/order/create");
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].signature_ok);
  CHECK(reqs[0].api_key == "key-main");
  const json body = reqs[0].body_json();
  CHECK(body["category"] == "linear");
  CHECK(body["orderLinkId"] == "c-1");
  CHECK(body["qty"] == "0.002");
  const auto first = f.reports.all().at(0);
  const auto& acc = as<OrderAccepted>(first);
  CHECK(acc.venue_order_id.view() == "f1");
  CHECK(acc.client_order_id.view() == "c-1");
  // The stream's New is the same fact: the same report id.
  f.venue.push_private(kOrderNew);
  f.venue.push_private(kExecution);
  f.venue.push_private(kOrderFilled);
  REQUIRE(f.reports.wait(4));
  const auto all = f.reports.all();
  CHECK(all[1].report_id == first.report_id);
  const auto& fill = as<FillReceived>(all[2]);
  CHECK(fill.trade_id.view() == "x-1");
  CHECK(fill.fee.to_string() == "0.0671");
  CHECK(fill.fee_asset.view() == "USDT");
  CHECK(all[2].venue_time == 1'700'000'000'150'000'000);
  CHECK(as<OrderFilled>(all[3]).cum_qty.to_string() == "0.002");
}

TEST_CASE("bybit connector: refusals are rejections with the venue's code; unknown outcomes give no report") {
  Fixture f(false);
  int n = 0;
  f.venue.script([&n](const Recorded& r) {
    if (r.path != "/v5/order/create") return answer(404, refused(10001, "unexpected"));
    switch (n++) {
      case 0: return answer(200, refused(110007, "ab not enough for new order"));
      case 1: return answer(200, refused(10006, "Too many visits!"));
      case 2: return answer(200, refused(10000, "Server Timeout"));
      default: return answer(503, "<html>unavailable</html>");
    }
  });
  auto& ex = f.client->account(0);
  ex.place(limit_buy("r-1"));
  ex.place(limit_buy("r-2"));
  ex.place(limit_buy("r-3"));
  ex.place(limit_buy("r-4"));
  REQUIRE(f.venue.wait_requests("/v5/order/create", 4));
  REQUIRE(f.reports.wait(2));
  std::this_thread::sleep_for(200ms);  // the two last must stay silent
  const auto all = f.reports.all();
  REQUIRE(all.size() == 2);
  const auto& r1 = as<OrderRejected>(all[0]);
  CHECK(r1.client_order_id.view() == "r-1");
  CHECK(r1.code == 4403);
  CHECK(r1.venue_code == 110007);
  CHECK(r1.reason.view() == "ab not enough for new order");
  const auto& r2 = as<OrderRejected>(all[1]);
  CHECK(r2.code == 4404);
  CHECK(r2.venue_code == 10006);
}

TEST_CASE("bybit connector: a refused cancel asks the order's state -- history, its executions, then the status") {
  Fixture f(false);
  f.venue.script([](const Recorded& r) {
    if (r.path == "/v5/order/cancel") return answer(200, refused(110001, "order not exists or too late to cancel"));
    if (r.path == "/v5/order/realtime") return answer(200, ok(R"({"list":[],"nextPageCursor":"","category":"linear"})"));
    if (r.path == "/v5/order/history")
      return answer(200, ok(R"({"list":[{"symbol":"BTCUSDT","orderId":"f9","orderLinkId":"c-9","orderStatus":"Filled","cumExecQty":"0.002","avgPrice":"61000.5","cancelType":"UNKNOWN","leavesQty":"0"}],"nextPageCursor":""})"));
    if (r.path == "/v5/execution/list")
      return answer(200, ok(R"({"list":[{"symbol":"BTCUSDT","execId":"x-9","execPrice":"61000.5","execQty":"0.002","execType":"Trade","execFee":"0.0671","feeCurrency":"USDT","orderId":"f9","orderLinkId":"c-9","side":"Buy","isMaker":true,"execTime":"1700000000150"}],"nextPageCursor":""})"));
    return answer(404, refused(10001, "unexpected"));
  });
  CancelOrder c;
  c.account = AccountId(3);
  c.instrument = kBtc;
  c.client_order_id = cid_text("c-9");
  f.client->account(0).cancel(c);
  REQUIRE(f.reports.wait(2));
  const auto all = f.reports.all();
  CHECK(as<FillReceived>(all[0]).trade_id.view() == "x-9");
  CHECK(as<FillReceived>(all[0]).liquidity == Liquidity::kMaker);
  const auto& st = as<OrderStatusReconciled>(all[1]);
  CHECK(st.status == OrderStatus::kFilled);
  CHECK(st.venue_order_id.view() == "f9");
  CHECK(f.venue.requests("/v5/order/realtime").at(0).query.find("orderLinkId=c-9") != std::string::npos);
  CHECK(f.venue.requests("/v5/execution/list").at(0).query.find("orderId=f9") != std::string::npos);
}

TEST_CASE("bybit connector: a query of an order the venue never took answers rejected, without a venue id") {
  Fixture f(false);
  f.venue.script([](const Recorded& r) {
    if (r.path == "/v5/order/realtime" || r.path == "/v5/order/history")
      return answer(200, ok(R"({"list":[],"nextPageCursor":""})"));
    return answer(404, refused(10001, "unexpected"));
  });
  f.client->account(0).query(kBtc, cid_text("ghost"));
  REQUIRE(f.reports.wait(1));
  const auto all = f.reports.all();  // a copy: the reference below must not outlive it
  const auto& st = as<OrderStatusReconciled>(all.at(0));
  CHECK(st.status == OrderStatus::kRejected);
  CHECK(st.venue_order_id.empty());
  CHECK(st.client_order_id.view() == "ghost");
}

TEST_CASE("bybit connector: a spent budget in the venue's limit headers holds the account's next order until the reset") {
  Fixture f(false);
  f.venue.script([](const Recorded& r) {
    if (r.path != "/v5/order/create") return answer(404, refused(10001, "unexpected"));
    const auto reset = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count() + 3000 + 400;  // venue clock: +3 s
    return answer(200, ok(R"({"orderId":"f","orderLinkId":""})"),
                  {{"X-Bapi-Limit", "10"}, {"X-Bapi-Limit-Status", "0"}, {"X-Bapi-Limit-Reset-Timestamp", std::to_string(reset)}});
  });
  auto& ex = f.client->account(0);
  ex.place(limit_buy("h-1"));
  ex.place(limit_buy("h-2"));
  REQUIRE(f.venue.wait_requests("/v5/order/create", 2));
  const auto reqs = f.venue.requests("/v5/order/create");
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(reqs[1].at - reqs[0].at);
  CHECK(gap >= 300ms);
}

TEST_CASE("bybit connector: private auth refused is an alert and the stream counts as down") {
  ScriptedBybit venue;
  venue.refuse_auth(true);
  auto cfg = venue.client_config(Market::kUsdm);
  std::mutex m;
  std::vector<std::string> alerts;
  cfg.on_alert = [&](std::string_view a) {
    std::lock_guard lk(m);
    alerts.emplace_back(a);
  };
  BybitVenue client(std::move(cfg));
  REQUIRE(client.start().ok());
  Reports reports;
  REQUIRE(client.account(0).start(reports.sink()).ok());
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    return !alerts.empty();
  }));
  {
    std::lock_guard lk(m);
    CHECK(alerts[0] == "bybit account 3: private stream auth refused: Params Error");
  }
  CHECK_FALSE(client.account(0).user_stream_connected());
  // The auth it sent: the key, an expiry in the venue's clock, the HMAC of GET/realtime+expiry.
  const auto sent = json::parse(venue.private_sent().at(0));
  CHECK(sent["op"] == "auth");
  CHECK(sent["args"][0] == "key-main");
}

TEST_CASE("bybit connector: after the private stream comes back, what happened meanwhile is read by REST") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    if (r.path == "/v5/execution/list")
      return answer(200, ok(R"({"list":[{"symbol":"BTCUSDT","execId":"x-away","execPrice":"61000","execQty":"0.001","execType":"Trade","execFee":"0.01","feeCurrency":"USDT","orderId":"f7","orderLinkId":"c-7","side":"Sell","isMaker":true,"execTime":"1700000000150"}],"nextPageCursor":""})"));
    if (r.path == "/v5/order/history" || r.path == "/v5/order/realtime") return answer(200, ok(R"({"list":[],"nextPageCursor":""})"));
    return answer(404, refused(10001, "unexpected"));
  });
  REQUIRE(wait_until([&] { return f.venue.authed(); }));
  // The subscription after auth: the four private topics.
  REQUIRE(wait_until([&] { return f.venue.private_sent().size() >= 2; }));
  const auto sub = json::parse(f.venue.private_sent().at(1));
  CHECK(sub["op"] == "subscribe");
  CHECK(sub["args"] == json::array({"order", "execution", "wallet", "position"}));
  f.venue.drop_private();
  REQUIRE(wait_until([&] { return !f.client->account(0).user_stream_connected(); }));
  REQUIRE(wait_until([&] { return f.venue.authed(); }, 10s));  // reconnected (backoff) and authed again
  REQUIRE(f.venue.wait_requests("/v5/execution/list", 1));
  REQUIRE(f.reports.wait(1));
  CHECK(as<FillReceived>(f.reports.all().at(0)).trade_id.view() == "x-away");
  CHECK(f.venue.requests("/v5/execution/list").at(0).query.find("startTime=") != std::string::npos);
}

TEST_CASE("bybit connector: the public feed -- topics, snapshot and deltas as book events, a gap subscribed again") {
  Fixture f(false);
  std::mutex m;
  std::vector<EventPayload> events;
  const InstrumentId ids[] = {kBtc};
  REQUIRE(f.client->account(0)
              .subscribe_market_data(ids, MarketDataStreams{},
                                     [&](TimeNs, const EventPayload& e, TimeNs) {
                                       std::lock_guard lk(m);
                                       events.push_back(e);
                                     })
              .ok());
  REQUIRE(wait_until([&] { return !f.venue.public_sent().empty(); }));
  const auto sub = json::parse(f.venue.public_sent().at(0));
  CHECK(sub["args"] == json::array({"orderbook.50.BTCUSDT", "orderbook.1.BTCUSDT", "publicTrade.BTCUSDT"}));
  f.venue.push_public(R"({"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1700000000000,"data":{"s":"BTCUSDT","b":[["61000.1","1.5"]],"a":[["61000.2","0.5"]],"u":100,"seq":9000},"cts":1699999999990})");
  f.venue.push_public(R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1700000000010,"data":{"s":"BTCUSDT","b":[["61000.1","0"]],"a":[],"u":101,"seq":9001},"cts":1700000000000})");
  f.venue.push_public(R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1700000000020,"data":{"s":"BTCUSDT","b":[],"a":[["61000.3","1"]],"u":103,"seq":9003},"cts":1700000000010})");
  f.venue.push_public(R"({"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1700000000030,"data":{"s":"BTCUSDT","b":[["61000.0","2"]],"a":[["61000.2","0.5"]],"u":55,"seq":9004},"cts":1700000000020})");
  f.venue.push_public(R"({"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1700000000040,"data":[{"T":1700000000035,"s":"BTCUSDT","S":"Sell","v":"0.01","p":"61000.0","L":"MinusTick","i":"t-1","BT":false}]})");
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    return events.size() >= 4;
  }));
  REQUIRE(wait_until([&] { return f.venue.public_sent().size() >= 3; }));
  std::lock_guard lk(m);
  REQUIRE(events.size() == 4);  // the delta after the gap is not passed on
  CHECK(std::get<BookSnapshot>(events[0]).last_update_id == 100);
  CHECK(std::get<BookDelta>(events[1]).first_update_id == 101);
  CHECK(std::get<BookDelta>(events[1]).last_update_id == 101);
  const auto& top = std::get<BestBidOffer>(events[2]);
  CHECK(top.bid_price.to_string() == "61000");
  CHECK(top.ask_qty.to_string() == "0.5");
  const auto& tr = std::get<TradePrinted>(events[3]);
  CHECK(tr.aggressor == Side::kSell);
  CHECK(tr.trade_id.view() == "t-1");
  const auto sent = f.venue.public_sent();
  CHECK(json::parse(sent[1]) == json::parse(R"({"op":"unsubscribe","args":["orderbook.50.BTCUSDT"]})"));
  CHECK(json::parse(sent[2]) == json::parse(R"({"op":"subscribe","args":["orderbook.50.BTCUSDT"]})"));
}


TEST_CASE("bybit connector: replace_credentials (key rotation) -- the next request and the next private login use the new key; a key that cannot sign is refused and the old one stays") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    if (r.path == "/v5/order/create") return answer(200, ok(R"({"orderId":"f1","orderLinkId":"c-1"})"));
    return answer(404, refused(10001, "unexpected"));
  });
  REQUIRE(wait_until([&] { return f.venue.authed(); }));
  f.client->account(0).place(limit_buy("c-1"));
  REQUIRE(f.venue.wait_requests("/v5/order/create", 1));
  CHECK(f.venue.requests("/v5/order/create").at(0).api_key == "key-main");

  secrets::ApiCredentials pem;
  pem.api_key = secrets::SecureBuffer::copy_of("key-pem").value();
  pem.private_key = secrets::SecureBuffer::copy_of("-----BEGIN PRIVATE KEY-----").value();
  const auto refused_key = f.client->replace_credentials(0, std::move(pem));
  REQUIRE(refused_key.has_value());
  CHECK(refused_key->find("RSA keys are not supported") != std::string::npos);
  f.client->account(0).place(limit_buy("c-2"));
  REQUIRE(f.venue.wait_requests("/v5/order/create", 2));
  CHECK(f.venue.requests("/v5/order/create").at(1).api_key == "key-main");

  secrets::ApiCredentials rotated;
  rotated.api_key = secrets::SecureBuffer::copy_of("key-arb").value();
  rotated.api_secret = secrets::SecureBuffer::copy_of(kSecrets.at("key-arb")).value();
  CHECK_FALSE(f.client->replace_credentials(0, std::move(rotated)).has_value());
  f.client->account(0).place(limit_buy("c-3"));
  REQUIRE(f.venue.wait_requests("/v5/order/create", 3));
  const auto third = f.venue.requests("/v5/order/create").at(2);
  CHECK(third.api_key == "key-arb");
  CHECK(third.signature_ok);  // signed with the new secret
  // The private stream's next login (after a drop) authenticates with the new key.
  f.venue.drop_private();
  REQUIRE(wait_until([&] { return f.venue.authed(); }, 10s));
  const auto sent = f.venue.private_sent();
  std::string last_auth;
  for (const auto& m : sent) {
    if (m.find("\"op\":\"auth\"") != std::string::npos) last_auth = m;
  }
  CHECK(last_auth.find("\"key-arb\"") != std::string::npos);
}

}  // namespace oms::bybit
