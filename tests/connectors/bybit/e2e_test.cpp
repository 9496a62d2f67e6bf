// End-to-end: OUR Bybit connector (BybitVenue -> Exchange) against venue-sim's Bybit front over
// real loopback TLS (HttpsServer on 127.0.0.1:0, testkit certificates, CA verification on).
// Nothing is scripted: the simulator matches, its private stream pushes, its book publishes.
// The truth is read from the front in-process with signed requests, apart from the connector.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bybit_front.hpp"
#include "oms/connectors/bybit/exchange_bybit.hpp"
#include "oms/connectors/bybit/market_data.hpp"
#include "oms/connectors/bybit/requests.hpp"
#include "oms/connectors/bybit/rest_request.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/cores/book_core.hpp"
#include "connectors/report_collector.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::bybit {
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

constexpr InstrumentId kSpotBtc(11), kLinearBtc(12);

struct E2e {
  testkit::TempDir tmp{"oms-bybit-e2e"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  std::unique_ptr<venue_sim::BybitFront> front;
  std::unique_ptr<net::HttpsServer> server;
  std::unique_ptr<BybitVenue> venue;
  Reports reports;
  Market market;

  explicit E2e(Market m, const std::function<void(venue_sim::BybitFrontConfig&)>& front_edit = {},
               const std::function<void(BybitConfig&)>& edit = {})
      : market(m) {
    venue_sim::BybitFrontConfig fc;
    fc.spot_instruments = venue_sim::default_bybit_instruments(Market::kSpot);
    fc.linear_instruments = venue_sim::default_bybit_instruments(Market::kUsdm);
    fc.accounts = {venue_sim::default_bybit_account("alice", "alice-key", "alice-secret")};
    fc.seed = 5;
    if (front_edit) front_edit(fc);
    front = std::make_unique<venue_sim::BybitFront>(std::move(fc));
    net::HttpsServerConfig sc;
    sc.tls = {certs.cert.string(), certs.key.string()};
    sc.threads = 2;
    server = std::make_unique<net::HttpsServer>(sc, [this](const net::HttpRequest& r) { return front->handle(r); });
    front->attach(*server);
    server->start();
    // Background book: 1 BTC a level, three levels a side around 60000.
    for (const Market mk : {Market::kSpot, Market::kUsdm}) {
      sim::BookSnapshotIn s;
      s.bids = {{d("59999"), d("1")}, {d("59998"), d("1")}, {d("59997"), d("1")}};
      s.asks = {{d("60001"), d("1")}, {d("60002"), d("1")}, {d("60003"), d("1")}};
      front->on_snapshot(mk, "BTCUSDT", s);
    }
    BybitConfig c;
    c.market = m;
    c.rest = {"127.0.0.1", server->port()};
    c.stream = c.rest;
    c.tls.ca_file = certs.ca.string();
    c.request_timeout = 3s;
    Instrument in = venue_sim::default_bybit_instruments(m).at(0);
    in.id = m == Market::kSpot ? kSpotBtc : kLinearBtc;
    c.instruments.push_back(in);
    BybitAccountConfig a;
    a.account = AccountId(3);
    a.credentials.api_key = secrets::SecureBuffer::copy_of("alice-key").value();
    a.credentials.api_secret = secrets::SecureBuffer::copy_of("alice-secret").value();
    c.accounts.push_back(std::move(a));
    if (edit) edit(c);
    venue = std::make_unique<BybitVenue>(std::move(c));
    REQUIRE(venue->start().ok());
    REQUIRE(ex().start(reports.sink()).ok());
    REQUIRE(wait_until([&] { return ex().user_stream_connected(); }));
  }
  ~E2e() {
    venue->stop();
    venue.reset();
    server->stop();
  }
  E2e(const E2e&) = delete;
  E2e& operator=(const E2e&) = delete;

  Exchange& ex() { return venue->account(0); }
  [[nodiscard]] InstrumentId id() const { return market == Market::kSpot ? kSpotBtc : kLinearBtc; }

  SubmitOrder order(std::string_view cid, Side side, OrderType t, const char* qty, const char* price = "0") const {
    SubmitOrder o;
    o.account = AccountId(3);
    o.instrument = id();
    (void)o.client_order_id.assign(cid);
    o.side = side;
    o.order_type = t;
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

TEST_CASE("bybit e2e spot: a crossing limit buy fills against the book -- accepted, the fill with its fee, filled -- and the balances move") {
  E2e e(Market::kSpot);
  const auto before = e.ex().balances();
  REQUIRE(before.ok());
  e.ex().place(e.order("sp-1", Side::kBuy, OrderType::kLimit, "0.5", "60001"));
  const auto acc = e.reports.wait_for<OrderAccepted>("sp-1");
  REQUIRE(acc);
  CHECK(!acc->venue_order_id.empty());
  const auto fill = e.reports.wait_for<FillReceived>("sp-1");
  REQUIRE(fill);
  CHECK(fill->price == d("60001"));
  CHECK(fill->quantity == d("0.5"));
  CHECK(fill->liquidity == Liquidity::kTaker);
  CHECK(fill->fee.is_positive());
  CHECK(fill->fee_asset.view() == "BTC");  // a spot buy pays in what it receives
  const auto filled = e.reports.wait_for<OrderFilled>("sp-1");
  REQUIRE(filled);
  CHECK(filled->cum_qty == d("0.5"));
  CHECK(filled->avg_price == d("60001"));
  // The same fill read back by REST: one trade id, equal to the stream's.
  const auto trades = e.ex().my_trades(kSpotBtc, 0);
  REQUIRE(trades.ok());
  REQUIRE(trades->size() == 1);
  CHECK((*trades)[0].trade_id == fill->trade_id);
  const auto after = e.ex().balances();
  REQUIRE(after.ok());
  Decimal btc_before, btc_after;
  for (const auto& b : *before) if (b.asset.view() == "BTC") btc_before = b.free;
  for (const auto& b : *after) if (b.asset.view() == "BTC") btc_after = b.free;
  CHECK(btc_after == Decimal::from_raw(btc_before.raw() + d("0.5").raw() - fill->fee.raw()));
}

TEST_CASE("bybit e2e linear: a resting order amended then cancelled; a refused cancel answered by a query; an unknown order") {
  E2e e(Market::kUsdm);
  e.ex().place(e.order("ln-1", Side::kBuy, OrderType::kLimit, "0.01", "59000"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("ln-1"));
  AmendOrder a;
  a.account = AccountId(3);
  a.instrument = kLinearBtc;
  a.client_order_id = cid_text("ln-1");
  a.new_price = d("59100");
  e.ex().amend(a);
  const auto amended = e.reports.wait_for<OrderAmended>("ln-1");
  REQUIRE(amended);
  CHECK(amended->price == d("59100"));
  CHECK(amended->quantity == d("0.01"));
  const auto open = e.ex().open_orders(InstrumentId{});
  REQUIRE(open.ok());
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].client_order_id.view() == "ln-1");
  CancelOrder c;
  c.account = AccountId(3);
  c.instrument = kLinearBtc;
  c.client_order_id = cid_text("ln-1");
  e.ex().cancel(c);
  const auto canceled = e.reports.wait_for<OrderCanceled>("ln-1");
  REQUIRE(canceled);
  CHECK(canceled->cum_qty.is_zero());
  // Cancelling it again: the venue refuses, the connector asks and reports the state.
  e.ex().cancel(c);
  const auto st = e.reports.wait_for<OrderStatusReconciled>("ln-1");
  REQUIRE(st);
  CHECK(st->status == OrderStatus::kCanceled);
  e.ex().query(kLinearBtc, cid_text("never-sent"));
  const auto unknown = e.reports.wait_for<OrderStatusReconciled>("never-sent");
  REQUIRE(unknown);
  CHECK(unknown->status == OrderStatus::kRejected);
  CHECK(unknown->venue_order_id.empty());
}

TEST_CASE("bybit e2e linear: a market sell opens a short the position list and the stream agree on; a refused order names the venue's code") {
  E2e e(Market::kUsdm);
  e.ex().place(e.order("ln-2", Side::kSell, OrderType::kMarket, "0.02"));
  REQUIRE(e.reports.wait_for<OrderFilled>("ln-2"));
  const auto fill = e.reports.wait_for<FillReceived>("ln-2");
  REQUIRE(fill);
  CHECK(fill->price == d("59999"));
  CHECK(fill->fee_asset.view() == "USDT");
  REQUIRE(wait_until([&] { return e.reports.count<PositionUpdated>() > 0; }));
  const auto pos = e.ex().positions();
  REQUIRE(pos.ok());
  bool found = false;
  for (const auto& p : *pos) {
    if (p.instrument != kLinearBtc) continue;
    found = true;
    CHECK(p.size == d("-0.02"));
    CHECK(p.entry_price == d("59999"));
  }
  CHECK(found);
  // Far more than the account can margin: the venue refuses, a rejection with its retCode.
  e.ex().place(e.order("ln-3", Side::kBuy, OrderType::kLimit, "500", "59000"));
  const auto rej = e.reports.wait_for<OrderRejected>("ln-3");
  REQUIRE(rej);
  CHECK(rej->code == 4403);
  CHECK(rej->venue_code != 0);
}

TEST_CASE("bybit e2e market data: the book the connector passes on rebuilds the venue's, and a trade prints") {
  E2e e(Market::kUsdm);
  std::mutex m;
  std::vector<EventPayload> events;
  const InstrumentId ids[] = {kLinearBtc};
  REQUIRE(e.ex().subscribe_market_data(ids, MarketDataStreams{}, [&](TimeNs, const EventPayload& ev, TimeNs) {
    std::lock_guard lk(m);
    events.push_back(ev);
  }).ok());
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    return std::any_of(events.begin(), events.end(), [](const EventPayload& ev) { return std::holds_alternative<BookSnapshot>(ev); });
  }));
  // The book moves: a new level, one gone, a trade.
  sim::BookDeltaIn dl;
  dl.bids = {{d("60000"), d("0.7")}, {d("59997"), d("0")}};
  e.front->on_delta(Market::kUsdm, "BTCUSDT", dl);
  e.front->on_trade(Market::kUsdm, "BTCUSDT", sim::TradePrintIn{d("60001"), d("0.1"), false});
  BookCore book(BookCoreConfig{kLinearBtc, BookSequencing::kBinanceSpot});
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    book = BookCore(BookCoreConfig{kLinearBtc, BookSequencing::kBinanceSpot});
    bool traded = false;
    for (const auto& ev : events) {
      if (const auto* s = std::get_if<BookSnapshot>(&ev)) (void)book.apply(*s);
      if (const auto* dd = std::get_if<BookDelta>(&ev)) (void)book.apply(*dd);
      if (std::holds_alternative<TradePrinted>(ev)) traded = true;
    }
    const auto bid = book.best_bid();
    return traded && bid && bid->price == d("60000");
  }));
  CHECK(book.state() == BookState::kLive);
  CHECK(book.best_bid()->quantity == d("0.7"));
  CHECK(book.best_ask()->price == d("60001"));
  CHECK(book.level_count(BookSide::kBid) == 3);  // 60000, 59999, 59998
}

TEST_CASE("bybit e2e fee rates: /v5/account/fee-rate by category and symbol") {
  {
    E2e e(Market::kSpot);
    const auto r = e.ex().fee_rates(kSpotBtc);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(r->maker == d("0.001"));
    CHECK(r->taker == d("0.001"));
  }
  E2e e(Market::kUsdm);
  const auto r = e.ex().fee_rates(kLinearBtc);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->maker == d("0.0002"));
  CHECK(r->taker == d("0.00055"));
  CHECK_FALSE(e.ex().fee_rates(InstrumentId(999)).ok());
}

TEST_CASE("bybit e2e history: all_orders and my_trades from 20 days back walk 7-day windows, a page of 2 followed by cursor -- every order and trade") {
  // venue-sim's clock 20 days back, then 10, then now; at each, four buys: two rest and are
  // cancelled, one takes the ask, one rests (open). Before the walk, a startTime alone gave
  // [since, since + 7 d] of the history -- the first three -- and no open order.
  constexpr std::int64_t kDayMs = 86'400'000;
  std::atomic<std::int64_t> shift{-20 * kDayMs};
  using testkit::wall_ms;
  E2e e(
      Market::kSpot, [&](venue_sim::BybitFrontConfig& fc) { fc.clock_ms = [&] { return wall_ms() + shift.load(); }; },
      [](BybitConfig& c) { c.history_page_limit = 2; });
  std::set<std::string> cids;
  for (const std::int64_t days : {-20, -10, 0}) {
    shift = days * kDayMs;
    REQUIRE(e.venue->sync_time().ok());  // the connector signs with the venue's time
    const std::string at = "h" + std::to_string(-days) + "-";
    for (int i = 0; i < 4; ++i) {
      e.ex().place(e.order(at + std::to_string(i), Side::kBuy, OrderType::kLimit, "0.01", i == 2 ? "60001" : "59000"));
      REQUIRE(e.reports.wait_for<OrderAccepted>(at + std::to_string(i)));
      cids.insert(at + std::to_string(i));
    }
    REQUIRE(e.reports.wait_for<OrderFilled>(at + "2"));
    for (int i = 0; i < 2; ++i) {
      CancelOrder c;
      c.account = AccountId(3);
      c.instrument = kSpotBtc;
      c.client_order_id = cid_text(at + std::to_string(i));
      e.ex().cancel(c);
      REQUIRE(e.reports.wait_for<OrderCanceled>(at + std::to_string(i)));
    }
  }
  const TimeNs since = (wall_ms() - 21 * kDayMs) * 1'000'000;
  const auto all = e.ex().all_orders(kSpotBtc, since);
  REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.error().message));
  CHECK(testkit::client_ids(*all) == std::multiset<std::string>(cids.begin(), cids.end()));  // each once
  const auto trades = e.ex().my_trades(kSpotBtc, since);
  REQUIRE_MESSAGE(trades.ok(), (trades.ok() ? "" : trades.error().message));
  CHECK(testkit::client_ids(*trades) == std::multiset<std::string>{"h20-2", "h10-2", "h0-2"});
  // From 5 days back: one window -- its three closed orders -- and the open ones whatever their age.
  const auto recent = e.ex().all_orders(kSpotBtc, (wall_ms() - 5 * kDayMs) * 1'000'000);
  REQUIRE(recent.ok());
  CHECK(testkit::client_ids(*recent) == std::multiset<std::string>{"h0-0", "h0-1", "h0-2", "h0-3", "h10-3", "h20-3"});
}

TEST_CASE("bybit config: a history page outside [1, 50] is refused naming the field") {
  for (const std::uint32_t limit : {0U, 51U}) {
    BybitConfig c;
    c.history_page_limit = limit;
    CHECK_THROWS_WITH_AS(BybitVenue{std::move(c)}, doctest::Contains("history_page_limit"), std::runtime_error);
  }
}

}  // namespace oms::bybit

namespace oms::bybit {
namespace {

// A signed request straight into the front with alice's key: another session, or the truth.
nlohmann::json raw(E2e& e, const Req& req) {
  REQUIRE(req.ok());
  auto signer = signing::HmacSha256::create("alice-secret");
  REQUIRE(signer.ok());
  Credentials cr{"alice-key", &*signer, 5'000};
  auto http = render(*req, cr, e.front->now_ms());
  REQUIRE(http.ok());
  const auto r = e.front->handle(*http).response;
  REQUIRE(r.status == 200);
  auto j = nlohmann::json::parse(r.body);
  REQUIRE(j["retCode"] == 0);
  return j;
}

// The venue's own open-orders answer (GET /v5/order/realtime on the symbol): the link ids of
// the orders still open or waiting for their trigger.
std::vector<std::string> venue_open(E2e& e) {
  Instrument in = venue_sim::default_bybit_instruments(e.market).at(0);
  const Category c = e.market == Market::kSpot ? Category::kSpot : Category::kLinear;
  std::vector<std::string> out;
  for (const OrderFilter f : e.market == Market::kSpot
                                 ? std::vector<OrderFilter>{OrderFilter::kOrder, OrderFilter::kStop}
                                 : std::vector<OrderFilter>{OrderFilter::kDefault}) {
    const auto answer = raw(e, open_orders(c, &in, {}, f));
    for (const auto& o : answer["result"]["list"]) {
      const std::string st = o["orderStatus"];
      if (st == "New" || st == "PartiallyFilled" || st == "Untriggered") out.push_back(o["orderLinkId"]);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void sweep_case(Market m) {
  E2e e(m);
  const char* qty = "0.01";
  e.ex().place(e.order("sw-1", Side::kBuy, OrderType::kLimit, qty, "59000"));
  e.ex().place(e.order("sw-2", Side::kSell, OrderType::kLimit, qty, "61000"));
  SubmitOrder stop = e.order("sw-3", Side::kSell, OrderType::kStopLossLimit, qty, "58000");
  stop.stop_price = d("58100");
  e.ex().place(stop);
  for (const char* c : {"sw-1", "sw-2", "sw-3"}) REQUIRE(e.reports.wait_for<OrderAccepted>(c));
  // Another session with the same key, the connector unaware.
  Instrument in = venue_sim::default_bybit_instruments(m).at(0);
  SubmitOrder other = e.order("other-session-1", Side::kBuy, OrderType::kLimit, qty, "58500");
  (void)raw(e, new_order(in, other));
  const auto before = venue_open(e);
  std::string listed;
  for (const auto& x : before) listed += x + " ";
  INFO("open at the venue: " << listed);
  REQUIRE(before == std::vector<std::string>{"other-session-1", "sw-1", "sw-2", "sw-3"});

  const auto n = e.ex().cancel_all(e.id());
  REQUIRE(n.ok());
  CHECK(*n == 4);
  CHECK(venue_open(e).empty());
  for (const char* c : {"sw-1", "sw-2", "sw-3"}) {
    const auto canceled = e.reports.wait_for<OrderCanceled>(c);
    REQUIRE(canceled);
    CHECK(canceled->cum_qty.is_zero());
  }
  const auto again = e.ex().cancel_all(e.id());
  REQUIRE(again.ok());
  CHECK(*again == 0);
  const auto unknown = e.ex().cancel_all(InstrumentId{77});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ExchangeErrorCode::kUnknownInstrument);
}

}  // namespace

TEST_CASE("bybit e2e spot sweep: cancel_all takes off ours, a StopOrder and one placed behind our back; again: 0") {
  sweep_case(Market::kSpot);
}

TEST_CASE("bybit e2e linear sweep: one cancel-all takes off ours, a conditional and one placed behind our back; again: 0") {
  sweep_case(Market::kUsdm);
}

}  // namespace oms::bybit

namespace oms::bybit {
namespace {

std::string reason_text(const OrderRejected& r) { return std::string(r.reason.view()); }
TimeNs wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("bybit e2e IP ban: the order answered HTTP 403 is refused naming the ban; nothing is sent while it lasts (orders, queries), one alert; it lifts by itself") {
  std::mutex alerts_mu;
  std::vector<std::string> alerts;
  // The venue bans the IP at the second new order for 2 s and, as Bybit, says no Retry-After:
  // the connector holds off for its fallback (here 2.5 s; Bybit's: 10 minutes).
  E2e e(Market::kSpot, [](venue_sim::BybitFrontConfig& fc) {
    fc.faults.ban_after = 2;
    fc.faults.ban_s = 2;
  }, [&](BybitConfig& c) {
    c.ip_ban_fallback = 2500ms;
    c.on_alert = [&](std::string_view text) {
      std::lock_guard lock(alerts_mu);
      alerts.emplace_back(text);
    };
  });
  e.ex().place(e.order("ban-1", Side::kBuy, OrderType::kLimit, "0.001", "59000"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("ban-1"));
  CHECK(e.venue->banned_until_ns() == 0);

  const auto before = wall_ns();
  e.ex().place(e.order("ban-2", Side::kBuy, OrderType::kLimit, "0.001", "59000"));
  const auto answered = e.reports.wait_for<OrderRejected>("ban-2");
  REQUIRE(answered);
  CHECK(answered->code == 4404);
  CHECK_MESSAGE(reason_text(*answered).find("HTTP 403") != std::string::npos, reason_text(*answered));
  CHECK(reason_text(*answered).find("banned this IP until") != std::string::npos);
  const TimeNs until = e.venue->banned_until_ns();
  CHECK(until >= before + 2'500'000'000);
  CHECK(until <= wall_ns() + 2'500'000'000);

  // While it lasts: an order and a query are refused here, never sent.
  e.ex().place(e.order("ban-3", Side::kBuy, OrderType::kLimit, "0.001", "59000"));
  const auto refused = e.reports.wait_for<OrderRejected>("ban-3");
  REQUIRE(refused);
  CHECK(refused->code == 4404);
  CHECK_MESSAGE(reason_text(*refused).find("not sent, bybit spot's IP ban (HTTP 403) frees at") != std::string::npos,
                reason_text(*refused));
  const auto open_during = e.ex().open_orders(e.id());
  REQUIRE_FALSE(open_during.ok());
  CHECK(open_during.error().code == ExchangeErrorCode::kRateLimited);
  CHECK(open_during.error().message.find("not sent") != std::string::npos);
  {
    std::lock_guard lock(alerts_mu);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].find("HTTP 403: the venue banned this IP (127.0.0.1) until") != std::string::npos);
  }

  // It ends: orders go out again, nothing to do. The venue holds ban-1 and ban-4 only.
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::nanoseconds(until)) + 50ms);
  e.ex().place(e.order("ban-4", Side::kBuy, OrderType::kLimit, "0.001", "59000"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("ban-4"));
  const auto open = e.ex().open_orders(e.id());
  REQUIRE(open.ok());
  std::set<std::string> ids;
  for (const auto& o : *open) ids.insert(std::string(o.client_order_id.view()));
  CHECK(ids == std::set<std::string>{"ban-1", "ban-4"});
  std::lock_guard lock(alerts_mu);
  CHECK(alerts.size() == 1);
}

}  // namespace oms::bybit
