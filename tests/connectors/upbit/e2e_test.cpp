// End-to-end: OUR Upbit connector (UpbitVenue -> Exchange) against venue-sim's Upbit front over
// real loopback TLS (HttpsServer on 127.0.0.1:0, testkit certificates, CA verification on).
// Nothing is scripted: the simulator matches, its private stream (authenticated on the upgrade
// with our JWT) pushes, its orderbook publishes. The instruments come from the front's own
// market/all and tick-size answers through our parser, as omsd reads them.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "connectors/report_collector.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/upbit/exchange_upbit.hpp"
#include "oms/connectors/upbit/instruments.hpp"
#include "oms/connectors/upbit/requests.hpp"
#include "oms/connectors/upbit/rest_request.hpp"
#include "oms/cores/book_core.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"
#include "upbit_front.hpp"

namespace oms::upbit {
namespace {

using namespace std::chrono_literals;

Decimal d(const char* s) { return *Decimal::parse(s); }

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds bound = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

using Reports = testkit::ReportCollector;

constexpr InstrumentId kKrwBtc(31);

struct E2e {
  testkit::TempDir tmp{"oms-upbit-e2e"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  std::unique_ptr<venue_sim::UpbitFront> front;
  std::unique_ptr<net::HttpsServer> server;
  std::unique_ptr<UpbitVenue> venue;
  Reports reports;

  explicit E2e(std::string secret = "alice-upbit-secret",
               const std::function<void(venue_sim::UpbitFrontConfig&)>& front_edit = {},
               const std::function<void(UpbitConfig&)>& edit = {}) {
    venue_sim::UpbitFrontConfig fc;
    fc.markets = venue_sim::default_upbit_markets();
    fc.accounts = {venue_sim::default_upbit_account("alice", "alice-upbit-access", "alice-upbit-secret")};
    fc.seed = 5;
    if (front_edit) front_edit(fc);
    front = std::make_unique<venue_sim::UpbitFront>(std::move(fc));
    net::HttpsServerConfig sc;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(sc, [this](const net::HttpRequest& r) { return front->handle(r); });
    front->attach(*server);
    server->start();
    // Background book around 80,000,000 KRW on the 1,000 KRW tick.
    sim::BookSnapshotIn s;
    s.bids = {{d("79999000"), d("1")}, {d("79998000"), d("1")}, {d("79997000"), d("1")}};
    s.asks = {{d("80001000"), d("1")}, {d("80002000"), d("1")}, {d("80003000"), d("1")}};
    front->on_snapshot(Market::kSpot, "KRW-BTC", s);
    UpbitConfig c;
    c.rest = {"127.0.0.1", server->port()};
    c.stream = c.rest;
    c.tls.ca_file = certs.ca.string();
    c.request_timeout = 3s;
    // The instruments as omsd reads them: market/all and the tick sizes through our parser.
    const auto all = front->handle(net::HttpRequest{"GET", "/v1/market/all?is_details=true", {}, {}});
    REQUIRE(all.response.status == 200);
    auto page = parse_markets(all.response.body);
    REQUIRE_MESSAGE(page.ok(), (page.ok() ? "" : page.error().message));
    for (auto& in : page->instruments) {
      if (in.instrument.venue_symbol != "KRW-BTC") continue;
      in.instrument.id = kKrwBtc;
      c.instruments.push_back(in.instrument);
    }
    REQUIRE(c.instruments.size() == 1);
    UpbitAccountConfig a;
    a.account = AccountId(3);
    a.credentials.api_key = secrets::SecureBuffer::copy_of("alice-upbit-access").value();
    a.credentials.api_secret = secrets::SecureBuffer::copy_of(secret).value();
    c.accounts.push_back(std::move(a));
    c.on_alert = [this](std::string_view text) {
      std::lock_guard lk(alerts_mutex);
      alerts.emplace_back(text);
    };
    if (edit) edit(c);
    venue = std::make_unique<UpbitVenue>(std::move(c));
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

  static SubmitOrder order(std::string_view cid, Side side, OrderType t, const char* qty, const char* price = "0",
                           TimeInForce tif = TimeInForce::kGtc) {
    SubmitOrder o;
    o.account = AccountId(3);
    o.instrument = kKrwBtc;
    (void)o.client_order_id.assign(cid);
    o.side = side;
    o.order_type = t;
    o.tif = tif;
    o.quantity = d(qty);
    o.price = d(price);
    return o;
  }
};

ClientOrderIdText cid_text(std::string_view s) {
  ClientOrderIdText t;
  (void)t.assign(s);
  return t;
}

}  // namespace

TEST_CASE("upbit e2e: an IOC limit buy at the touch fills -- accepted, the fill with its KRW fee, filled -- and the balances move") {
  E2e e;
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  const auto before = e.ex().balances();
  REQUIRE_MESSAGE(before.ok(), (before.ok() ? "" : before.error().message));
  e.ex().place(E2e::order("up1", Side::kBuy, OrderType::kLimit, "0.5", "80001000", TimeInForce::kIoc));
  const auto acc = e.reports.wait_for<OrderAccepted>("up1");
  REQUIRE(acc);
  CHECK(!acc->venue_order_id.empty());
  const auto fill = e.reports.wait_for<FillReceived>("up1");
  REQUIRE(fill);
  CHECK(fill->price == d("80001000"));
  CHECK(fill->quantity == d("0.5"));
  CHECK(fill->fee_asset.view() == "KRW");  // Upbit charges the quote on both sides
  CHECK(fill->fee == d("20000.25"));       // 0.05 % of 40,000,500 KRW
  const auto filled = e.reports.wait_for<OrderFilled>("up1");
  REQUIRE(filled);
  CHECK(filled->cum_qty == d("0.5"));
  // The same fill read back by REST (the order's trades): one trade id, equal to the stream's.
  const auto trades = e.ex().my_trades(kKrwBtc, 0);
  REQUIRE_MESSAGE(trades.ok(), (trades.ok() ? "" : trades.error().message));
  REQUIRE(trades->size() == 1);
  CHECK((*trades)[0].trade_id == fill->trade_id);
  CHECK((*trades)[0].fee == fill->fee);
  const auto after = e.ex().balances();
  REQUIRE(after.ok());
  Decimal btc_before, btc_after, krw_before, krw_after;
  for (const auto& b : *before) {
    if (b.asset.view() == "BTC") btc_before = b.free;
    if (b.asset.view() == "KRW") krw_before = b.free;
  }
  for (const auto& b : *after) {
    if (b.asset.view() == "BTC") btc_after = b.free;
    if (b.asset.view() == "KRW") krw_after = b.free;
  }
  CHECK(btc_after == Decimal::from_raw(btc_before.raw() + d("0.5").raw()));
  CHECK(krw_after == Decimal::from_raw(krw_before.raw() - d("40000500").raw() - d("20000.25").raw()));
}

TEST_CASE("upbit e2e: a resting order cancelled; a refused cancel answered by a query; an amend answered by a query; an unknown order; refusals named") {
  E2e e;
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  e.ex().place(E2e::order("up2", Side::kBuy, OrderType::kLimit, "0.01", "79000000"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("up2"));
  const auto open = e.ex().open_orders(InstrumentId{});
  REQUIRE_MESSAGE(open.ok(), (open.ok() ? "" : open.error().message));
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].client_order_id.view() == "up2");
  AmendOrder a;
  a.account = AccountId(3);
  a.instrument = kKrwBtc;
  a.client_order_id = cid_text("up2");
  a.new_price = d("79100000");
  e.ex().amend(a);  // Upbit has no amend: the venue is asked, the order unchanged
  const auto asked = e.reports.wait_for<OrderStatusReconciled>("up2");
  REQUIRE(asked);
  CHECK(asked->status == OrderStatus::kAccepted);
  CHECK(e.reports.count<OrderAmended>() == 0);
  CancelOrder c;
  c.account = AccountId(3);
  c.instrument = kKrwBtc;
  c.client_order_id = cid_text("up2");
  e.ex().cancel(c);
  const auto canceled = e.reports.wait_for<OrderCanceled>("up2");
  REQUIRE(canceled);
  CHECK(canceled->cum_qty.is_zero());
  e.ex().query(kKrwBtc, cid_text("neversent"));
  const auto unknown = e.reports.wait_for<OrderStatusReconciled>("neversent");
  REQUIRE(unknown);
  CHECK(unknown->status == OrderStatus::kRejected);
  CHECK(unknown->venue_order_id.empty());
  // Off the KRW tick band (1,000 KRW at this price): the venue refuses it, named.
  e.ex().place(E2e::order("up3", Side::kBuy, OrderType::kLimit, "0.01", "79000500"));
  const auto rej = e.reports.wait_for<OrderRejected>("up3");
  REQUIRE(rej);
  CHECK(rej->code == 4403);
  CHECK(rej->venue_code != 0);
  // A market buy by base quantity cannot be said on Upbit: refused before it leaves.
  e.ex().place(E2e::order("up4", Side::kBuy, OrderType::kMarket, "0.01"));
  const auto mkt = e.reports.wait_for<OrderRejected>("up4");
  REQUIRE(mkt);
  CHECK(mkt->code == static_cast<std::uint16_t>(ExchangeErrorCode::kUnsupported));
}

TEST_CASE("upbit e2e: a wrong secret -- the private stream refused (alert), the REST calls refused with jwt_verification") {
  E2e e("not-the-secret");
  REQUIRE(wait_until([&] {
    std::lock_guard lk(e.alerts_mutex);
    return !e.alerts.empty();
  }));
  CHECK_FALSE(e.ex().user_stream_connected());
  const auto b = e.ex().balances();
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().code == ExchangeErrorCode::kVenueRejected);
  CHECK(b.error().message.find("jwt_verification") != std::string::npos);
}

TEST_CASE("upbit e2e market data: each orderbook a whole snapshot the book equals; a trade prints") {
  E2e e;
  std::mutex m;
  std::vector<EventPayload> events;
  const InstrumentId ids[] = {kKrwBtc};
  REQUIRE(e.ex().subscribe_market_data(ids, MarketDataStreams{}, [&](TimeNs, const EventPayload& ev, TimeNs) {
    std::lock_guard lk(m);
    events.push_back(ev);
  }).ok());
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    return std::any_of(events.begin(), events.end(), [](const EventPayload& ev) { return std::holds_alternative<BookSnapshot>(ev); });
  }));
  sim::BookDeltaIn dl;
  dl.bids = {{d("80000000"), d("0.7")}, {d("79997000"), d("0")}};
  e.front->on_delta(Market::kSpot, "KRW-BTC", dl);
  e.front->on_trade(Market::kSpot, "KRW-BTC", sim::TradePrintIn{d("80001000"), d("0.1"), false});
  BookCore book(BookCoreConfig{kKrwBtc, BookSequencing::kBinanceSpot});
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    book = BookCore(BookCoreConfig{kKrwBtc, BookSequencing::kBinanceSpot});
    bool traded = false;
    for (const auto& ev : events) {
      if (const auto* s = std::get_if<BookSnapshot>(&ev)) (void)book.apply(*s);
      if (const auto* t = std::get_if<TradePrinted>(&ev)) traded = traded || t->quantity == d("0.1");
    }
    const auto bid = book.best_bid();
    return traded && bid && bid->price == d("80000000");
  }));
  CHECK(book.best_bid()->quantity == d("0.7"));
  CHECK(book.best_ask()->price == d("80001000"));
  CHECK(book.level_count(BookSide::kBid) == 3);  // 80,000,000, 79,999,000, 79,998,000
}

TEST_CASE("upbit e2e fee rates: orders/chance's maker_bid_fee and bid_fee") {
  E2e e;
  const auto r = e.ex().fee_rates(kKrwBtc);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->maker == d("0.0005"));
  CHECK(r->taker == d("0.0005"));
  CHECK_FALSE(e.ex().fee_rates(InstrumentId(999)).ok());
}

TEST_CASE("upbit e2e history: all_orders and my_trades from 20 days back walk 7-day windows and split a full page's window (page limit 2) -- every order and trade") {
  // venue-sim's clock 20 days back, then 10, then now, an hour on for each order; at each, four
  // bids: two rest and are cancelled, one takes the ask (IOC), one rests (open). Before the
  // split, a window of three closed orders and a page of two lost the oldest (a warning only).
  constexpr std::int64_t kDayMs = 86'400'000, kHourMs = 3'600'000;
  std::atomic<std::int64_t> shift{-20 * kDayMs};
  using testkit::wall_ms;
  E2e e(
      "alice-upbit-secret", [&](venue_sim::UpbitFrontConfig& fc) { fc.clock_ms = [&] { return wall_ms() + shift.load(); }; },
      [](UpbitConfig& c) { c.history_page_limit = 2; });
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));  // the fills come by the stream
  std::multiset<std::string> cids;
  for (const std::int64_t days : {-20, -10, 0}) {
    const std::string at = "h" + std::to_string(-days) + "-";
    for (int i = 0; i < 4; ++i) {
      shift = days * kDayMs - (4 - i) * kHourMs;
      const std::string cid = at + std::to_string(i);
      e.ex().place(i == 2 ? E2e::order(cid, Side::kBuy, OrderType::kLimit, "0.01", "80001000", TimeInForce::kIoc)
                          : E2e::order(cid, Side::kBuy, OrderType::kLimit, "0.01", "79000000"));
      REQUIRE(e.reports.wait_for<OrderAccepted>(cid));
      cids.insert(cid);
    }
    REQUIRE(e.reports.wait_for<OrderFilled>(at + "2"));
    for (int i = 0; i < 2; ++i) {
      CancelOrder c;
      c.account = AccountId(3);
      c.instrument = kKrwBtc;
      c.client_order_id = cid_text(at + std::to_string(i));
      e.ex().cancel(c);
      REQUIRE(e.reports.wait_for<OrderCanceled>(at + std::to_string(i)));
    }
  }
  shift = 0;
  const TimeNs since = (wall_ms() - 21 * kDayMs) * 1'000'000;
  const auto all = e.ex().all_orders(kKrwBtc, since);
  REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.error().message));
  CHECK(testkit::client_ids(*all) == cids);  // each once
  const auto trades = e.ex().my_trades(kKrwBtc, since);
  REQUIRE_MESSAGE(trades.ok(), (trades.ok() ? "" : trades.error().message));
  CHECK(testkit::client_ids(*trades) == std::multiset<std::string>{"h20-2", "h10-2", "h0-2"});
  // From 5 days back: one window's three closed orders, and the open ones whatever their age.
  const auto recent = e.ex().all_orders(kKrwBtc, (wall_ms() - 5 * kDayMs) * 1'000'000);
  REQUIRE(recent.ok());
  CHECK(testkit::client_ids(*recent) == std::multiset<std::string>{"h0-0", "h0-1", "h0-2", "h0-3", "h10-3", "h20-3"});
}

TEST_CASE("upbit config: a history page outside [1, 1000] is refused naming the field") {
  for (const std::uint32_t limit : {0U, 1001U}) {
    UpbitConfig c;
    c.history_page_limit = limit;
    CHECK_THROWS_WITH_AS(UpbitVenue{std::move(c)}, doctest::Contains("history_page_limit"), std::runtime_error);
  }
}

namespace {

// A signed request straight into the front with alice's key: another session, or the truth.
nlohmann::json raw(E2e& e, const Req& req) {
  REQUIRE(req.ok());
  auto signer = JwtSigner::create("alice-upbit-secret");
  REQUIRE(signer.ok());
  auto nonce = new_nonce();
  REQUIRE(nonce.ok());
  auto http = render(*req, Credentials{"alice-upbit-access", &*signer}, *nonce);
  REQUIRE(http.ok());
  const auto r = e.front->handle(*http).response;
  INFO(r.body);
  REQUIRE((r.status == 200 || r.status == 201));
  return nlohmann::json::parse(r.body);
}

// The venue's own open-orders answer on KRW-BTC (wait and watch): the identifiers.
std::vector<std::string> venue_open(E2e& e) {
  OpenOrdersQuery q;
  q.market = "KRW-BTC";
  const std::array<std::string_view, 2> states{"wait", "watch"};
  q.states = states;
  const auto answer = raw(e, open_orders(q));
  std::vector<std::string> out;
  for (const auto& o : answer) out.push_back(o.value("identifier", std::string("(no identifier) ") + o.value("uuid", "")));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("upbit e2e sweep: cancel_all (DELETE /v1/orders/open) takes off ours and one placed behind our back; again: 0, paced") {
  E2e e;
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  e.ex().place(E2e::order("sw1", Side::kBuy, OrderType::kLimit, "0.01", "79000000"));
  e.ex().place(E2e::order("sw2", Side::kSell, OrderType::kLimit, "0.01", "81000000"));
  for (const char* c : {"sw1", "sw2"}) REQUIRE(e.reports.wait_for<OrderAccepted>(c));
  (void)raw(e, new_order("KRW-BTC", E2e::order("other-session-1", Side::kBuy, OrderType::kLimit, "0.01", "78000000")));
  REQUIRE(venue_open(e) == std::vector<std::string>{"other-session-1", "sw1", "sw2"});

  const auto n = e.ex().cancel_all(kKrwBtc);
  REQUIRE_MESSAGE(n.ok(), (n.ok() ? "" : n.error().message));
  CHECK(*n == 3);
  CHECK(venue_open(e).empty());
  for (const char* c : {"sw1", "sw2"}) {
    const auto canceled = e.reports.wait_for<OrderCanceled>(c);
    REQUIRE(canceled);
    CHECK(canceled->cum_qty.is_zero());
  }
  // Upbit allows one batch cancel per 2 s: the second waits its turn instead of a 429.
  const auto started = std::chrono::steady_clock::now();
  const auto again = e.ex().cancel_all(kKrwBtc);
  REQUIRE_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
  CHECK(*again == 0);
  CHECK(std::chrono::steady_clock::now() - started >= 1500ms);
  const auto unknown = e.ex().cancel_all(InstrumentId{77});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ExchangeErrorCode::kUnknownInstrument);
}


TEST_CASE("upbit e2e block: the order answered HTTP 418 is refused naming the block; nothing is sent while it lasts, one alert; it lifts by itself") {
  // The venue blocks at the second new order for 2 s, its length only in the message: the
  // connector holds off for its fallback (here 2.5 s).
  E2e e("alice-upbit-secret", [](venue_sim::UpbitFrontConfig& fc) {
    fc.faults.ban_after = 2;
    fc.faults.ban_s = 2;
  }, [](UpbitConfig& c) { c.ip_ban_fallback = 2500ms; });
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  const auto reason = [](const OrderRejected& r) { return std::string(r.reason.view()); };
  e.ex().place(E2e::order("blk-1", Side::kBuy, OrderType::kLimit, "0.001", "79000000"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("blk-1"));
  CHECK(e.venue->banned_until_ns() == 0);
  e.ex().place(E2e::order("blk-2", Side::kBuy, OrderType::kLimit, "0.001", "79000000"));
  const auto answered = e.reports.wait_for<OrderRejected>("blk-2");
  REQUIRE(answered);
  CHECK(answered->code == static_cast<std::uint16_t>(ExchangeErrorCode::kRateLimited));
  CHECK_MESSAGE(reason(*answered).find("HTTP 418") != std::string::npos, reason(*answered));
  CHECK(reason(*answered).find("blocked this connection until") != std::string::npos);
  const TimeNs until = e.venue->banned_until_ns();
  CHECK(until > 0);
  e.ex().place(E2e::order("blk-3", Side::kBuy, OrderType::kLimit, "0.001", "79000000"));
  const auto refused = e.reports.wait_for<OrderRejected>("blk-3");
  REQUIRE(refused);
  CHECK_MESSAGE(reason(*refused).find("not sent, upbit's IP ban (HTTP 418) frees at") != std::string::npos, reason(*refused));
  const auto open_during = e.ex().open_orders(kKrwBtc);
  REQUIRE_FALSE(open_during.ok());
  CHECK(open_during.error().code == ExchangeErrorCode::kRateLimited);
  {
    std::lock_guard lk(e.alerts_mutex);
    REQUIRE(e.alerts.size() == 1);
    CHECK(e.alerts[0].find("HTTP 418: the venue blocked this connection (127.0.0.1) until") != std::string::npos);
  }
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::nanoseconds(until)) + 50ms);
  e.ex().place(E2e::order("blk-4", Side::kBuy, OrderType::kLimit, "0.001", "79000000"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("blk-4"));
  const auto open = e.ex().open_orders(kKrwBtc);
  REQUIRE_MESSAGE(open.ok(), (open.ok() ? "" : open.error().message));
  std::set<std::string> ids;
  for (const auto& o : *open) ids.insert(std::string(o.client_order_id.view()));
  CHECK(ids == std::set<std::string>{"blk-1", "blk-4"});
  std::lock_guard lk(e.alerts_mutex);
  CHECK(e.alerts.size() == 1);
}


TEST_CASE("upbit e2e: replace_credentials (key rotation) -- the next request signs with the key rotated in: jwt_verification ends with the right secret, and comes back with a wrong one") {
  E2e e("not-the-secret");
  auto b = e.ex().balances();
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message.find("jwt_verification") != std::string::npos);
  const auto creds = [](const char* secret) {
    secrets::ApiCredentials c;
    c.api_key = secrets::SecureBuffer::copy_of("alice-upbit-access").value();
    c.api_secret = secrets::SecureBuffer::copy_of(secret).value();
    return c;
  };
  CHECK_FALSE(e.venue->replace_credentials(0, creds("alice-upbit-secret")).has_value());
  b = e.ex().balances();
  CHECK_MESSAGE(b.ok(), (b.ok() ? "" : b.error().message));
  CHECK_FALSE(e.venue->replace_credentials(0, creds("another-wrong-secret")).has_value());
  b = e.ex().balances();
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message.find("jwt_verification") != std::string::npos);
}

}  // namespace oms::upbit
