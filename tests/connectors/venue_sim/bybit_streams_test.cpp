// venue-sim's Bybit front over real loopback TLS (our WssClient): the public streams (subscribe
// ack, orderbook snapshot then deltas with u + 1 that rebuild, through our v5 parser and
// BookCore, the book REST /v5/market/orderbook serves; publicTrade; tickers; ping) and the
// private stream (auth with the shared signing vector, its refusals, then order, execution,
// execution.fast, position and wallet pushes read by parse_private into the expected events).
#include <doctest/doctest.h>

#include "bybit_fixture.hpp"
#include "oms/connectors/bybit/market_data.hpp"
#include "oms/cores/book_core.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::bybit_test;
namespace bb = oms::bybit;

namespace {

// Every orderbook message of `topic`, in order.
std::vector<std::string> book_messages(Inbox& in, const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& s : in.all()) {
    if (s.find("\"topic\":\"" + topic + "\"") != std::string::npos) out.push_back(s);
  }
  return out;
}

// Rebuilds a book from one stream through parse_market_data and BookCore (Bybit's rule, as
// market_data.hpp configures it); checks u + 1 from message to message.
struct Rebuilt {
  BookCore book{BookCoreConfig{InstrumentId{0}, BookSequencing::kBinanceSpot}};
  std::size_t snapshots = 0, deltas = 0, gaps = 0;
  std::uint64_t last_u = 0;
  std::optional<std::uint64_t> last_seq;
};

Rebuilt rebuild(const std::vector<std::string>& msgs) {
  Rebuilt r;
  bb::JsonParser parser;
  bb::MarketMessage msg;
  std::vector<BookSnapshot> snaps;
  std::vector<BookDelta> deltas;
  for (const auto& s : msgs) {
    const auto k = bb::parse_market_data(parser, s, msg);
    INFO(s);
    REQUIRE(k.ok());
    REQUIRE(*k == bb::MarketMessageKind::kOrderBook);
    if (msg.book.snapshot) {
      REQUIRE(r.snapshots == 0);  // one snapshot, at the subscription
      ++r.snapshots;
      bb::to_book_snapshots(msg.book, InstrumentId{0}, snaps);
      for (const auto& c : snaps) (void)r.book.apply(c);
    } else {
      ++r.deltas;
      if (msg.book.update_id != r.last_u + 1) ++r.gaps;
      if (r.last_seq && msg.book.cross_sequence && *msg.book.cross_sequence <= *r.last_seq) ++r.gaps;
      bb::to_book_deltas(msg.book, InstrumentId{0}, deltas);
      for (const auto& c : deltas) {
        const auto res = r.book.apply(c);
        if (res.status == BookApplyStatus::kResyncNeeded) ++r.gaps;
      }
    }
    r.last_u = msg.book.update_id;
    r.last_seq = msg.book.cross_sequence;
  }
  return r;
}

void same_book(BookCore& book, const nlohmann::json& rest) {
  REQUIRE(book.level_count(BookSide::kBid) == rest["b"].size());
  REQUIRE(book.level_count(BookSide::kAsk) == rest["a"].size());
  for (std::size_t i = 0; i < rest["b"].size(); ++i) {
    CHECK(book.level(BookSide::kBid, i).price == d(rest["b"][i][0].get<std::string>().c_str()));
    CHECK(book.level(BookSide::kBid, i).quantity == d(rest["b"][i][1].get<std::string>().c_str()));
  }
  for (std::size_t i = 0; i < rest["a"].size(); ++i) {
    CHECK(book.level(BookSide::kAsk, i).price == d(rest["a"][i][0].get<std::string>().c_str()));
    CHECK(book.level(BookSide::kAsk, i).quantity == d(rest["a"][i][1].get<std::string>().c_str()));
  }
}

void run_public_case(Market m) {
  BybitServer srv;
  auto& f = srv.f;
  const bool spot = m == Market::kSpot;
  const std::string deep = spot ? "200" : "500";
  auto& in = srv.open(spot ? "/v5/public/spot" : "/v5/public/linear");
  const nlohmann::json sub = {{"op", "subscribe"}, {"req_id", "sub-1"},
                              {"args", {"orderbook." + deep + ".BTCUSDT", "orderbook.1.BTCUSDT", "publicTrade.BTCUSDT", "tickers.BTCUSDT"}}};
  const auto ackj = srv.op(0, in, sub, "subscribe");
  CHECK(ackj["success"] == true);
  CHECK(ackj["req_id"] == "sub-1");
  CHECK(ackj["ret_msg"] == (spot ? "subscribe" : ""));
  {
    bb::JsonParser parser;
    bb::MarketMessage msg;
    const auto k = bb::parse_market_data(parser, ackj.dump(), msg);
    REQUIRE(k.ok());
    CHECK(*k == bb::MarketMessageKind::kOpReply);
    CHECK(msg.op_reply.success == std::optional<bool>(true));
    CHECK(!msg.op_reply.conn_id.view().empty());
  }
  // Refusals: an unknown topic, a depth the category does not serve, a second subscription.
  const auto bad = srv.op(0, in, {{"op", "subscribe"}, {"args", {"orderbook.7.BTCUSDT"}}}, "subscribe");
  CHECK(bad["success"] == false);
  CHECK(bad["ret_msg"].get<std::string>().rfind("Invalid topic: orderbook.7.BTCUSDT", 0) == 0);
  const auto twice = srv.op(0, in, {{"op", "subscribe"}, {"args", {"publicTrade.BTCUSDT"}}}, "subscribe");
  CHECK(twice["ret_msg"] == "error:already subscribed,topic:publicTrade.BTCUSDT");
  const auto pong = srv.op(0, in, {{"op", "ping"}, {"req_id", "p1"}}, "ping");
  CHECK(pong["ret_msg"] == "pong");

  // Changes: a background delta, our resting bid, our market buy taking the best ask, a print.
  const auto& ins = f.reg.btc(m);
  sim::BookDeltaIn dl;
  dl.bids = {{d("59996"), d("2")}};
  f.front->on_delta(m, "BTCUSDT", dl);
  REQUIRE(f.send(bb::new_order(ins, order(Side::kBuy, "0.5", "59999.5", "rest-1")), f.alice).code() == 0);
  REQUIRE(f.send(bb::new_order(ins, order(Side::kBuy, "1", nullptr, "take-1", OrderType::kMarket)), f.bob).code() == 0);
  f.front->on_trade(m, "BTCUSDT", {d("60002"), d("0.3"), false});
  const auto rest = f.get_public("/v5/market/orderbook?category=" + std::string(spot ? "spot" : "linear") +
                                 "&symbol=BTCUSDT&limit=" + deep);
  REQUIRE(rest.code() == 0);
  const auto last_u = rest.result()["u"].get<std::uint64_t>();
  const std::string topic = "orderbook." + deep + ".BTCUSDT";
  REQUIRE(wait_for([&] {
    const auto msgs = book_messages(in, topic);
    return !msgs.empty() && nlohmann::json::parse(msgs.back())["data"]["u"].get<std::uint64_t>() == last_u;
  }));
  auto r = rebuild(book_messages(in, topic));
  CHECK(r.snapshots == 1);
  CHECK(r.deltas == 3);  // the delta, the resting bid, the taken ask (the print changes no level)
  CHECK(r.gaps == 0);
  CHECK(r.book.state() == BookState::kLive);
  CHECK(r.book.last_update_id() == last_u);
  same_book(r.book, rest.result());
  // orderbook.1: its own u, contiguous, its best levels the REST book's first.
  auto top = rebuild(book_messages(in, "orderbook.1.BTCUSDT"));
  CHECK(top.gaps == 0);
  REQUIRE(top.book.best_bid());
  CHECK(top.book.best_bid()->price == d(rest.result()["b"][0][0].get<std::string>().c_str()));
  CHECK(top.book.best_ask()->price == d(rest.result()["a"][0][0].get<std::string>().c_str()));

  // publicTrade: our taker buy and the background print, read by our parser.
  REQUIRE(wait_for([&] { return in.with("topic", "publicTrade.BTCUSDT").size() == 2; }));
  bb::JsonParser parser;
  bb::MarketMessage msg;
  std::vector<std::pair<Side, Decimal>> seen;
  for (const auto& j : in.with("topic", "publicTrade.BTCUSDT")) {
    REQUIRE(bb::parse_market_data(parser, j.dump(), msg).ok());
    REQUIRE(msg.trades.trades.size() == 1);
    seen.emplace_back(msg.trades.trades[0].taker_side, msg.trades.trades[0].price);
    CHECK(msg.trades.trades[0].tick_direction.view().empty() == spot);  // "L": contracts only
  }
  CHECK(seen[0] == std::pair{Side::kBuy, d("60001")});
  CHECK(seen[1] == std::pair{Side::kBuy, d("60002")});
  // tickers: a snapshot at the subscription; folded, the last price is the print's.
  bb::Ticker state;
  for (const auto& j : in.with("topic", "tickers.BTCUSDT")) {
    REQUIRE(bb::parse_market_data(parser, j.dump(), msg).ok());
    REQUIRE(bb::fold_ticker(msg.ticker, state).ok());
  }
  REQUIRE(wait_for([&] {
    for (const auto& j : in.with("topic", "tickers.BTCUSDT")) {
      if (j["data"].value("lastPrice", "") == "60002.00") return true;
    }
    return false;
  }));
  for (const auto& j : in.with("topic", "tickers.BTCUSDT")) {
    REQUIRE(bb::parse_market_data(parser, j.dump(), msg).ok());
    if (msg.ticker.snapshot) state = bb::Ticker{};
    REQUIRE(bb::fold_ticker(msg.ticker, state).ok());
  }
  CHECK(state.last_price.has_value());
  CHECK(state.last_price.value == d("60002"));
  if (!spot) {
    const auto bbo = bb::to_best_bid_offer(state, InstrumentId{0});
    REQUIRE(bbo);
    CHECK(bbo->bid_price == d(rest.result()["b"][0][0].get<std::string>().c_str()));
  }
}

// One private push's events, read as our connector reads them.
std::vector<bb::VenueEvent> events_of(Inbox& in, std::string_view topic, const bb::AccountContext& ctx) {
  std::vector<bb::VenueEvent> out;
  for (const auto& j : in.with("topic", topic)) {
    bb::PrivateMessage msg;
    const auto k = bb::parse_private(j.dump(), ctx, msg);
    INFO(j.dump());
    REQUIRE(k.ok());
    CHECK(msg.skipped.empty());
    for (auto& e : msg.events) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TEST_CASE("bybit spot public stream: snapshot then contiguous deltas rebuild REST's orderbook; trades; tickers") {
  run_public_case(Market::kSpot);
}

TEST_CASE("bybit linear public stream: orderbook.500 deltas rebuild REST's book; trades with tick direction; ticker deltas") {
  run_public_case(Market::kUsdm);
}

TEST_CASE("bybit private stream: auth (shared vector) and its refusals, then order / execution / position / wallet as our events") {
  // The signing vector's key, secret and expiry (bybit_v5_ws_auth), on a clock just before it.
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'699'999'990'000);
  auto cfg = BybitFixture::config(clock);
  cfg.accounts.push_back(default_bybit_account("vector", "test_api_key", "test_secret"));
  BybitServer srv(cfg);
  auto& f = srv.f;
  auto& in = srv.open("/v5/private");
  const auto early = srv.op(0, in, {{"op", "subscribe"}, {"args", {"order"}}}, "subscribe");
  CHECK(early["success"] == false);
  CHECK(early["ret_msg"] == "Request not authorized");
  const std::string vector_sig = "bacffe7500499eb829bb58c45d36d1b3e5ac67c14eaeba91df5e99ccee013925";
  auto wrong = srv.op(0, in, {{"op", "auth"}, {"args", {"test_api_key", 1700000000000, std::string(64, '0')}}}, "auth");
  CHECK(wrong["success"] == false);
  CHECK(wrong["ret_msg"] == "Error sign, please check your signature generation algorithm.");
  CHECK(srv.op(0, in, {{"op", "auth"}, {"args", {"nobody", 1700000000000, vector_sig}}}, "auth")["ret_msg"] == "Invalid apikey");
  clock->store(1'700'000'000'000);  // the expiry has come
  CHECK(srv.op(0, in, {{"op", "auth"}, {"args", {"test_api_key", 1700000000000, vector_sig}}}, "auth")["ret_msg"] ==
        "Request expired: expires[1700000000000] <= now[1700000000000]");
  clock->store(1'699'999'990'000);
  const auto good = srv.op(0, in, {{"op", "auth"}, {"req_id", "a1"}, {"args", {"test_api_key", 1700000000000, vector_sig}}}, "auth");
  bb::PrivateMessage pm;
  REQUIRE(bb::parse_private(good.dump(), f.reg.context(Market::kUsdm), pm).ok());
  CHECK(pm.kind == bb::PrivateKind::kAuth);
  CHECK(pm.success);
  CHECK(srv.op(0, in, {{"op", "auth"}, {"args", {"test_api_key", 1700000000000, vector_sig}}}, "auth")["success"] == false);

  // alice's stream, and a fill.
  auto& ain = srv.open("/v5/private");
  const std::int64_t expires = clock->load() + 10'000;
  auto mac = signing::HmacSha256::create(f.alice.secret);
  std::string sig;
  REQUIRE(mac->sign_hex("GET/realtime" + std::to_string(expires), sig).ok());
  CHECK(srv.op(1, ain, {{"op", "auth"}, {"args", {f.alice.key, std::to_string(expires), sig}}}, "auth")["success"] == true);
  const auto subbed = srv.op(1, ain, {{"op", "subscribe"}, {"args", {"order", "execution", "execution.fast", "position", "wallet"}}}, "subscribe");
  CHECK(subbed["success"] == true);
  REQUIRE(bb::parse_private(srv.op(1, ain, {{"op", "ping"}}, "pong").dump(), f.reg.context(Market::kUsdm), pm).ok());
  CHECK(pm.kind == bb::PrivateKind::kPong);

  const auto& lin = f.reg.btc(Market::kUsdm);
  const auto placed = f.send(bb::new_order(lin, order(Side::kBuy, "0.1", nullptr, "ws-1", OrderType::kMarket)), f.alice);
  REQUIRE(placed.code() == 0);
  const std::string venue_id = placed.result()["orderId"];
  REQUIRE(wait_for([&] { return !ain.with("topic", "wallet").empty() && !ain.with("topic", "position").empty(); }));
  const auto ctx = f.reg.context(Market::kUsdm);
  const auto orders = events_of(ain, "order", ctx);
  REQUIRE(orders.size() == 2);
  const auto& accepted = std::get<OrderAccepted>(orders[0].payload);
  CHECK(accepted.client_order_id.view() == "ws-1");
  CHECK(accepted.venue_order_id.view() == venue_id);
  CHECK(accepted.instrument == lin.id);
  CHECK(std::get<OrderFilled>(orders[1].payload) == OrderFilled{ctx.account, lin.id, accepted.client_order_id, d("0.1"), d("60001")});
  const auto fills = events_of(ain, "execution", ctx);
  REQUIRE(fills.size() == 1);
  const auto& fill = std::get<FillReceived>(fills[0].payload);
  CHECK(fill.price == d("60001"));
  CHECK(fill.quantity == d("0.1"));
  CHECK(fill.fee == d("3.300055"));  // 0.055 % of 6000.1
  CHECK(fill.fee_asset.view() == "USDT");
  CHECK(fill.liquidity == Liquidity::kTaker);
  const auto fast = events_of(ain, "execution.fast", ctx);
  REQUIRE(fast.size() == 1);
  CHECK(fast[0].fee_pending);
  CHECK(std::get<FillReceived>(fast[0].payload).trade_id == fill.trade_id);
  const auto pos = events_of(ain, "position", ctx);
  REQUIRE(pos.size() == 1);
  const auto& p = std::get<PositionUpdated>(pos[0].payload);
  CHECK(p.size == d("0.1"));
  CHECK(p.entry_price == d("60001"));
  CHECK(p.leverage == 20);
  CHECK(p.unrealized_pnl == d("-0.1"));
  const auto wallet = events_of(ain, "wallet", ctx);
  bool usdt = false;
  for (const auto& e : wallet) {
    const auto& b = std::get<BalanceUpdated>(e.payload);
    if (b.asset.view() != "USDT") continue;
    usdt = true;
    CHECK(b.free == d("199996.699945"));  // spot 100000 + linear 100000 - the fee
    CHECK(b.locked == d("0"));
    CHECK(b.exchange == ExchangeId::kBybit);
  }
  CHECK(usdt);

  // A resting order cancelled by us, and a conditional order triggered by the last trade.
  const std::size_t before = ain.with("topic", "order").size();
  REQUIRE(f.send(bb::new_order(lin, order(Side::kBuy, "0.1", "59000", "ws-2")), f.alice).code() == 0);
  const std::string link = "ws-2";
  REQUIRE(f.send(bb::cancel_order(lin, bb::OrderRef{{}, link}), f.alice).code() == 0);
  f.front->on_trade(Market::kUsdm, "BTCUSDT", {d("60000"), d("0.01"), false});
  SubmitOrder stop = order(Side::kBuy, "0.1", nullptr, "ws-3", OrderType::kStopLoss);
  stop.stop_price = d("60100");
  REQUIRE(f.send(bb::new_order(lin, stop), f.alice).code() == 0);
  f.front->on_trade(Market::kUsdm, "BTCUSDT", {d("60100"), d("0.01"), false});
  REQUIRE(wait_for([&] { return ain.with("topic", "order").size() >= before + 4; }));
  std::vector<std::string> statuses;
  const auto order_msgs = ain.with("topic", "order");
  for (std::size_t i = before; i < order_msgs.size(); ++i) {
    for (const auto& item : order_msgs[i]["data"]) statuses.push_back(item["orderLinkId"].get<std::string>() + ":" + item["orderStatus"].get<std::string>());
  }
  CHECK(statuses == std::vector<std::string>{"ws-2:New", "ws-2:Cancelled", "ws-3:Untriggered", "ws-3:Triggered", "ws-3:Filled"});
  const auto later = events_of(ain, "order", ctx);
  bool canceled = false;
  for (const auto& e : later) {
    if (const auto* c = std::get_if<OrderCanceled>(&e.payload)) canceled = canceled || c->client_order_id.view() == "ws-2";
  }
  CHECK(canceled);  // cancelType CancelByUser: canceled by us, not expired
}

TEST_CASE("bybit drop_ws fault: the private push drops the socket instead of sending; public streams are not touched") {
  auto cfg = BybitFixture::config(nullptr, true);
  cfg.faults = parse_faults("drop_ws=1");
  BybitServer srv(cfg);
  auto& f = srv.f;
  auto& in = srv.open("/v5/private");
  const std::int64_t expires = wall_ms() + 10'000;
  auto mac = signing::HmacSha256::create(f.alice.secret);
  std::string sig;
  REQUIRE(mac->sign_hex("GET/realtime" + std::to_string(expires), sig).ok());
  REQUIRE(srv.op(0, in, {{"op", "auth"}, {"args", {f.alice.key, expires, sig}}}, "auth")["success"] == true);
  REQUIRE(srv.op(0, in, {{"op", "subscribe"}, {"args", {"order"}}}, "subscribe")["success"] == true);
  auto& pub = srv.open("/v5/public/linear");
  REQUIRE(srv.op(1, pub, {{"op", "subscribe"}, {"args", {"publicTrade.BTCUSDT"}}}, "subscribe")["success"] == true);
  REQUIRE(f.send(bb::new_order(f.reg.btc(Market::kUsdm), order(Side::kBuy, "0.1", nullptr, "d-1", OrderType::kMarket)), f.alice).code() == 0);
  CHECK(wait_for([&] { return in.drops.load() == 1; }));
  CHECK(in.with("topic", "order").empty());
  CHECK(wait_for([&] { return pub.with("topic", "publicTrade.BTCUSDT").size() == 1; }));
  CHECK(pub.drops.load() == 0);
}
