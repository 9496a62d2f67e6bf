// End-to-end: OUR OKX connector (OkxVenue -> Exchange) against venue-sim's OKX front over real
// loopback TLS (HttpsServer on 127.0.0.1:0, testkit certificates, CA verification on). Nothing
// is scripted: the simulator matches, its private channels push, its book publishes with the
// checksum. The instruments come from the front's own public/instruments answer through our
// parser (contract values included), as omsd reads them.
#include "e2e_fixture.hpp"
#include "oms/cores/book_core.hpp"

namespace oms::okx {

using namespace e2e;
using namespace std::chrono_literals;

TEST_CASE("okx e2e spot: a crossing limit buy fills -- accepted, the fill with its fee, filled -- and the balances move") {
  E2e e(Market::kSpot);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  const auto before = e.ex().balances();
  REQUIRE_MESSAGE(before.ok(), (before.ok() ? "" : before.error().message));
  e.ex().place(e.order("sp1", Side::kBuy, OrderType::kLimit, "0.5", "60001"));
  const auto acc = e.reports.wait_for<OrderAccepted>("sp1");
  REQUIRE(acc);
  CHECK(!acc->venue_order_id.empty());
  const auto fill = e.reports.wait_for<FillReceived>("sp1");
  REQUIRE(fill);
  CHECK(fill->price == d("60001"));
  CHECK(fill->quantity == d("0.5"));
  CHECK(fill->liquidity == Liquidity::kTaker);
  CHECK(fill->fee.is_positive());  // OKX's negative fee (charged) is our positive fee paid
  CHECK(fill->fee_asset.view() == "BTC");  // a spot buy pays in what it receives
  const auto filled = e.reports.wait_for<OrderFilled>("sp1");
  REQUIRE(filled);
  CHECK(filled->cum_qty == d("0.5"));
  CHECK(filled->avg_price == d("60001"));
  // The same fill read back by REST: one trade id, equal to the stream's.
  const auto trades = e.ex().my_trades(kSpotBtc, 0);
  REQUIRE_MESSAGE(trades.ok(), (trades.ok() ? "" : trades.error().message));
  REQUIRE(trades->size() == 1);
  CHECK((*trades)[0].trade_id == fill->trade_id);
  CHECK((*trades)[0].fee == fill->fee);
  const auto after = e.ex().balances();
  REQUIRE(after.ok());
  Decimal btc_before, btc_after;
  for (const auto& b : *before) if (b.asset.view() == "BTC") btc_before = b.free;
  for (const auto& b : *after) if (b.asset.view() == "BTC") btc_after = b.free;
  CHECK(btc_after == Decimal::from_raw(btc_before.raw() + d("0.5").raw() - fill->fee.raw()));
}

TEST_CASE("okx e2e swap: sizes in contracts both ways; amended, cancelled, a refused cancel answered by a query; an unknown order") {
  E2e e(Market::kUsdm);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  e.ex().place(e.order("ln1", Side::kBuy, OrderType::kLimit, "0.01", "59000"));  // 1 contract of 0.01 BTC
  REQUIRE(e.reports.wait_for<OrderAccepted>("ln1"));
  const auto open = e.ex().open_orders(InstrumentId{});
  REQUIRE_MESSAGE(open.ok(), (open.ok() ? "" : open.error().message));
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].client_order_id.view() == "ln1");
  AmendOrder a;
  a.account = AccountId(3);
  a.instrument = kSwapBtc;
  a.client_order_id = cid_text("ln1");
  a.new_price = d("59100");
  a.new_quantity = d("0.02");
  e.ex().amend(a);
  const auto amended = e.reports.wait_for<OrderAmended>("ln1");
  REQUIRE(amended);
  CHECK(amended->price == d("59100"));
  CHECK(amended->quantity == d("0.02"));
  CancelOrder c;
  c.account = AccountId(3);
  c.instrument = kSwapBtc;
  c.client_order_id = cid_text("ln1");
  e.ex().cancel(c);
  const auto canceled = e.reports.wait_for<OrderCanceled>("ln1");
  REQUIRE(canceled);
  CHECK(canceled->cum_qty.is_zero());
  // Cancelling it again: the venue refuses, the connector asks and reports the state.
  e.ex().cancel(c);
  const auto st = e.reports.wait_for<OrderStatusReconciled>("ln1");
  REQUIRE(st);
  CHECK(st->status == OrderStatus::kCanceled);
  e.ex().query(kSwapBtc, cid_text("neversent"));
  const auto unknown = e.reports.wait_for<OrderStatusReconciled>("neversent");
  REQUIRE(unknown);
  CHECK(unknown->status == OrderStatus::kRejected);
  CHECK(unknown->venue_order_id.empty());
  // A quantity that is not a whole number of contracts never leaves: refused, naming sz.
  e.ex().place(e.order("ln9", Side::kBuy, OrderType::kLimit, "0.00015", "59000"));  // 0.015 contracts, lot 0.01
  const auto bad = e.reports.wait_for<OrderRejected>("ln9");
  REQUIRE(bad);
  CHECK(bad->code == static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest));
  CHECK(std::string(bad->reason.view()).find("sz") != std::string::npos);
}

TEST_CASE("okx e2e swap: a market sell opens a short the position list and the stream agree on; a refused order names the venue's code") {
  E2e e(Market::kUsdm);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  e.ex().place(e.order("ln2", Side::kSell, OrderType::kMarket, "0.02"));
  REQUIRE(e.reports.wait_for<OrderFilled>("ln2"));
  const auto fill = e.reports.wait_for<FillReceived>("ln2");
  REQUIRE(fill);
  CHECK(fill->price == d("59999"));
  CHECK(fill->quantity == d("0.02"));
  CHECK(fill->fee_asset.view() == "USDT");
  REQUIRE(wait_until([&] { return e.reports.count<PositionUpdated>() > 0; }));
  const auto pos = e.ex().positions();
  REQUIRE_MESSAGE(pos.ok(), (pos.ok() ? "" : pos.error().message));
  bool found = false;
  for (const auto& p : *pos) {
    if (p.instrument != kSwapBtc) continue;
    found = true;
    CHECK(p.size == d("-0.02"));
    CHECK(p.entry_price == d("59999"));
  }
  CHECK(found);
  // Far more than the account can margin: the venue refuses with its sCode.
  e.ex().place(e.order("ln3", Side::kBuy, OrderType::kLimit, "500", "59000"));
  const auto rej = e.reports.wait_for<OrderRejected>("ln3");
  REQUIRE(rej);
  CHECK(rej->code == 4403);
  CHECK(rej->venue_code > 50000);
}

TEST_CASE("okx e2e: a wrong passphrase -- the login is refused, an alert, and the account's REST calls refused with 50105") {
  E2e e(Market::kSpot, "wrong-pass");
  REQUIRE(wait_until([&] {
    std::lock_guard lk(e.alerts_mutex);
    return !e.alerts.empty();
  }));
  CHECK_FALSE(e.ex().user_stream_connected());
  {
    std::lock_guard lk(e.alerts_mutex);
    CHECK(e.alerts[0].find("login refused") != std::string::npos);
  }
  const auto b = e.ex().balances();
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().venue_code == 50105);
}

TEST_CASE("okx e2e market data: every checksum verified; the book the connector passes on rebuilds the venue's; a trade prints") {
  E2e e(Market::kUsdm);
  std::mutex m;
  std::vector<EventPayload> events;
  const InstrumentId ids[] = {kSwapBtc};
  REQUIRE(e.ex().subscribe_market_data(ids, MarketDataStreams{}, [&](TimeNs, const EventPayload& ev, TimeNs) {
    std::lock_guard lk(m);
    events.push_back(ev);
  }).ok());
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    return std::any_of(events.begin(), events.end(), [](const EventPayload& ev) { return std::holds_alternative<BookSnapshot>(ev); });
  }));
  sim::BookDeltaIn dl;
  dl.bids = {{d("60000"), d("0.7")}, {d("59997"), d("0")}};
  e.front->on_delta(Market::kUsdm, "BTC-USDT-SWAP", dl);
  e.front->on_trade(Market::kUsdm, "BTC-USDT-SWAP", sim::TradePrintIn{d("60001"), d("0.1"), false});
  BookCore book(BookCoreConfig{kSwapBtc, BookSequencing::kBinanceSpot});
  REQUIRE(wait_until([&] {
    std::lock_guard lk(m);
    book = BookCore(BookCoreConfig{kSwapBtc, BookSequencing::kBinanceSpot});
    bool traded = false;
    for (const auto& ev : events) {
      if (const auto* s = std::get_if<BookSnapshot>(&ev)) (void)book.apply(*s);
      if (const auto* dd = std::get_if<BookDelta>(&ev)) (void)book.apply(*dd);
      if (const auto* t = std::get_if<TradePrinted>(&ev)) traded = traded || t->quantity == d("0.1");
    }
    const auto bid = book.best_bid();
    return traded && bid && bid->price == d("60000");
  }));
  CHECK(book.state() == BookState::kLive);
  CHECK(book.best_bid()->quantity == d("0.7"));  // 70 contracts x 0.01
  CHECK(book.best_ask()->price == d("60001"));
  CHECK(book.level_count(BookSide::kBid) == 3);  // 60000, 59999, 59998
  CHECK(e.venue->book_resyncs() == 0);           // every checksum and seqId held
}

TEST_CASE("okx e2e fee rates: trade-fee's sign turned (negative there = charged): SPOT by instrument, USDT swaps in makerU / takerU") {
  {
    E2e e(Market::kSpot);
    const auto r = e.ex().fee_rates(kSpotBtc);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(r->maker == d("0.0008"));
    CHECK(r->taker == d("0.001"));
  }
  E2e e(Market::kUsdm);
  const auto r = e.ex().fee_rates(kSwapBtc);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->maker == d("0.0002"));
  CHECK(r->taker == d("0.0005"));
  CHECK_FALSE(e.ex().fee_rates(InstrumentId(999)).ok());
}

TEST_CASE("okx e2e history: all_orders and my_trades from 20 days back take the archive and fills-history, a page of 2 followed by after -- every order and trade") {
  // venue-sim's clock 20 days back, then 10, then now, an hour on for each order; at each, four
  // buys: two rest and are cancelled, one takes the ask, one rests (open). orders-history keeps
  // 7 days and trade/fills 3: a walk on them would lose the first eight orders and two fills.
  constexpr std::int64_t kDayMs = 86'400'000, kHourMs = 3'600'000;
  std::atomic<std::int64_t> shift{-20 * kDayMs};
  using testkit::wall_ms;
  E2e e(
      Market::kSpot, "Alice-pass-1",
      [&](venue_sim::OkxFrontConfig& fc) { fc.clock_ms = [&] { return wall_ms() + shift.load(); }; },
      [](OkxConfig& c) { c.history_page_limit = 2; });
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));  // the fills come by the stream
  std::multiset<std::string> cids;
  for (const std::int64_t days : {-20, -10, 0}) {
    const std::string at = "h" + std::to_string(-days) + "x";
    for (int i = 0; i < 4; ++i) {
      shift = days * kDayMs - (4 - i) * kHourMs;
      REQUIRE(e.venue->sync_time().ok());  // the connector signs with the venue's time
      const std::string cid = at + std::to_string(i);
      e.ex().place(e.order(cid, Side::kBuy, OrderType::kLimit, "0.01", i == 2 ? "60001" : "59000"));
      REQUIRE(e.reports.wait_for<OrderAccepted>(cid));
      cids.insert(cid);
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
  shift = 0;
  REQUIRE(e.venue->sync_time().ok());
  const TimeNs since = (wall_ms() - 21 * kDayMs) * 1'000'000;
  const auto all = e.ex().all_orders(kSpotBtc, since);
  REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.error().message));
  CHECK(testkit::client_ids(*all) == cids);  // each once
  const auto trades = e.ex().my_trades(kSpotBtc, since);
  REQUIRE_MESSAGE(trades.ok(), (trades.ok() ? "" : trades.error().message));
  CHECK(testkit::client_ids(*trades) == std::multiset<std::string>{"h20x2", "h10x2", "h0x2"});
  // From 5 days back: orders-history, its three closed orders, and the open ones whatever their
  // age; from 2 days back, trade/fills: the last fill.
  const auto recent = e.ex().all_orders(kSpotBtc, (wall_ms() - 5 * kDayMs) * 1'000'000);
  REQUIRE(recent.ok());
  CHECK(testkit::client_ids(*recent) == std::multiset<std::string>{"h0x0", "h0x1", "h0x2", "h0x3", "h10x3", "h20x3"});
  const auto recent_trades = e.ex().my_trades(kSpotBtc, (wall_ms() - 2 * kDayMs) * 1'000'000);
  REQUIRE(recent_trades.ok());
  CHECK(testkit::client_ids(*recent_trades) == std::multiset<std::string>{"h0x2"});
}

TEST_CASE("okx config: a history page outside [1, 100] is refused naming the field") {
  for (const std::uint32_t limit : {0U, 101U}) {
    OkxConfig c;
    c.history_page_limit = limit;
    CHECK_THROWS_WITH_AS(OkxVenue{std::move(c)}, doctest::Contains("history_page_limit"), std::runtime_error);
  }
}


TEST_CASE("okx e2e: replace_credentials (key rotation) -- the next request signs with the key rotated in: a wrong passphrase's 50105 ends with the right one, and comes back with a wrong one") {
  E2e e(Market::kSpot, "wrong-pass");
  auto b = e.ex().balances();
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().venue_code == 50105);
  const auto creds = [](const char* passphrase) {
    secrets::ApiCredentials c;
    c.api_key = secrets::SecureBuffer::copy_of("alice-key").value();
    c.api_secret = secrets::SecureBuffer::copy_of("alice-secret").value();
    if (*passphrase != 0) c.passphrase = secrets::SecureBuffer::copy_of(passphrase).value();
    return c;
  };
  CHECK_FALSE(e.venue->replace_credentials(0, creds("Alice-pass-1")).has_value());
  b = e.ex().balances();
  CHECK_MESSAGE(b.ok(), (b.ok() ? "" : b.error().message));
  // A key OKX could not use (no passphrase) is refused; the one in use stays.
  const auto refused = e.venue->replace_credentials(0, creds(""));
  REQUIRE(refused.has_value());
  CHECK(refused->find("no passphrase") != std::string::npos);
  CHECK(e.ex().balances().ok());
  CHECK_FALSE(e.venue->replace_credentials(0, creds("another-wrong-pass")).has_value());
  b = e.ex().balances();
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().venue_code == 50105);
}

}  // namespace oms::okx
