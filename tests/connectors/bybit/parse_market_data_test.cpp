// Bybit v5 market-data parsing (orderbook, publicTrade, tickers, op replies, other topics):
// exact values from real messages (nautilus fixtures, the cryptofeed capture read at test
// time), the exact error naming the field for bad input, and the mapping into book events.
#include <doctest/doctest.h>

#include <string>

#include "capture.hpp"
#include "oms/connectors/bybit/market_data.hpp"
#include "oms/cores/book_core.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::bybit;
namespace capture = oms::testkit::bybit_capture;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }

using State = TickerField<Decimal>::State;

std::string error_of(std::string_view json) {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, json, m);
  return r.ok() ? std::string("ok") : r.error().message;
}

std::string fixture(const char* name) {
  return testkit::read_file(testkit::shared_data() / "nautilus" / "bybit" / name);
}

MarketMessage parsed(std::string_view json, MarketMessageKind kind) {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, json, m);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CHECK(*r == kind);
  CHECK(m.kind == kind);
  return m;
}

// A delta of the capture's shape, for the error cases.
constexpr std::string_view kDelta =
    R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1786310818130,)"
    R"("data":{"s":"BTCUSDT","b":[["65095.30","0.005"],["65093.10","0"]],)"
    R"("a":[["65116.60","0"]],"u":15076953,"seq":753843913870},"cts":1786310818129})";

std::string with(std::string_view base, std::string_view from, std::string_view to) {
  std::string s(base);
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}
}  // namespace

// ---- orderbook --------------------------------------------------------------------------------
TEST_CASE("orderbook snapshot (nautilus ws_orderbook_snapshot): every field exact") {
  const auto m = parsed(fixture("ws_orderbook_snapshot.json"), MarketMessageKind::kOrderBook);
  CHECK(m.topic.view() == "orderbook.1.BTCUSDT");
  const auto& b = m.book;
  CHECK(b.snapshot);
  CHECK(b.depth == 1);
  CHECK(b.symbol.view() == "BTCUSDT");
  CHECK(b.ts == 1709891679000u);
  CHECK_FALSE(b.cts.has_value());
  CHECK(b.update_id == 123456789u);
  CHECK(b.cross_sequence == 987654321u);
  REQUIRE(b.bids.size() == 2);
  CHECK(b.bids[0] == PriceQty{d("27450.00"), d("0.500")});
  CHECK(b.bids[1] == PriceQty{d("27449.50"), d("1.000")});
  REQUIRE(b.asks.size() == 2);
  CHECK(b.asks[0] == PriceQty{d("27451.00"), d("0.750")});
  CHECK(b.asks[1] == PriceQty{d("27451.50"), d("0.900")});
}

TEST_CASE("orderbook delta (nautilus ws_orderbook_delta): a zero quantity removes") {
  const auto m = parsed(fixture("ws_orderbook_delta.json"), MarketMessageKind::kOrderBook);
  CHECK_FALSE(m.book.snapshot);
  CHECK(m.book.update_id == 123456790u);
  CHECK(m.book.cross_sequence == 987654322u);
  REQUIRE(m.book.bids.size() == 1);
  CHECK(m.book.bids[0] == PriceQty{d("27450.00"), d("0.400")});
  REQUIRE(m.book.asks.size() == 1);
  CHECK(m.book.asks[0] == PriceQty{d("27451.00"), d("0")});
}

TEST_CASE("orderbook.200 from the capture: linear snapshot and delta, spot delta") {
  auto m = parsed(capture::message("linear", R"({"topic":"orderbook.200.BTCUSDT","type":"snapshot")"),
                  MarketMessageKind::kOrderBook);
  CHECK(m.book.snapshot);
  CHECK(m.book.depth == 200);
  CHECK(m.book.ts == 1786310818129u);
  CHECK(m.book.cts == 1786310818027u);
  CHECK(m.book.update_id == 15076952u);
  CHECK(m.book.cross_sequence == 753843911359u);
  REQUIRE(m.book.bids.size() == 200);
  REQUIRE(m.book.asks.size() == 200);
  CHECK(m.book.bids.front() == PriceQty{d("65114.20"), d("6.054")});
  CHECK(m.book.bids.back() == PriceQty{d("65086.00"), d("0.001")});
  CHECK(m.book.asks.front() == PriceQty{d("65114.30"), d("10.486")});
  CHECK(m.book.asks.back() == PriceQty{d("65146.70"), d("0.020")});

  m = parsed(capture::message("linear", R"({"topic":"orderbook.200.BTCUSDT","type":"delta")"),
             MarketMessageKind::kOrderBook);
  CHECK_FALSE(m.book.snapshot);
  CHECK(m.book.ts == 1786310818130u);
  CHECK(m.book.cts == 1786310818129u);
  CHECK(m.book.update_id == 15076953u);
  CHECK(m.book.cross_sequence == 753843913870u);
  REQUIRE(m.book.bids.size() == 6);
  CHECK(m.book.bids[0] == PriceQty{d("65095.30"), d("0.005")});
  CHECK(m.book.bids[2] == PriceQty{d("65093.10"), d("0")});
  CHECK(m.book.bids[5] == PriceQty{d("65088.40"), d("0.445")});
  REQUIRE(m.book.asks.size() == 16);
  CHECK(m.book.asks[0] == PriceQty{d("65116.60"), d("0")});
  CHECK(m.book.asks[15] == PriceQty{d("65146.70"), d("0")});

  // Spot sends ts before type and prices without trailing zeros.
  m = parsed(capture::message("spot", R"({"topic":"orderbook.200.BTCUSDT","ts":)", R"("type":"delta")"),
             MarketMessageKind::kOrderBook);
  CHECK(m.book.update_id == 62505425u);
  CHECK(m.book.cross_sequence == 112488545865u);
  CHECK(m.book.ts == 1786310816618u);
  CHECK(m.book.cts == 1786310816585u);
  REQUIRE(m.book.bids.size() == 1);
  CHECK(m.book.bids[0] == PriceQty{d("65140.4"), d("0.875077")});
  REQUIRE(m.book.asks.size() == 4);
  CHECK(m.book.asks[2] == PriceQty{d("65239"), d("0.155135")});
  CHECK(m.book.asks[3] == PriceQty{d("65239.1"), d("0")});
}

TEST_CASE("the parser and the message are reused: a small delta after a 200-level snapshot") {
  JsonParser p;
  MarketMessage m;
  REQUIRE(parse_market_data(p, capture::message("linear", R"({"topic":"orderbook.200.ETHUSDT","type":"snapshot")"), m).ok());
  const auto capacity = m.book.bids.capacity();
  CHECK(capacity >= 200);
  REQUIRE(parse_market_data(p, kDelta, m).ok());
  CHECK(m.book.bids.size() == 2);
  CHECK(m.book.asks.size() == 1);
  CHECK(m.book.bids.capacity() == capacity);
  CHECK(m.book.symbol.view() == "BTCUSDT");
  CHECK(m.book.depth == 50);
}

TEST_CASE("field order does not matter: data before topic reads the same") {
  const std::string reordered =
      R"({"data":{"u":15076953,"seq":753843913870,"a":[["65116.60","0"]],)"
      R"("b":[["65095.30","0.005"],["65093.10","0"]],"s":"BTCUSDT"},"cts":1786310818129,)"
      R"("ts":1786310818130,"type":"delta","topic":"orderbook.50.BTCUSDT"})";
  const auto a = parsed(kDelta, MarketMessageKind::kOrderBook);
  const auto b = parsed(reordered, MarketMessageKind::kOrderBook);
  CHECK(a.book.bids == b.book.bids);
  CHECK(a.book.asks == b.book.asks);
  CHECK(a.book.update_id == b.book.update_id);
  CHECK(a.book.cross_sequence == b.book.cross_sequence);
  CHECK(a.book.ts == b.book.ts);
  CHECK(a.book.cts == b.book.cts);
  CHECK(a.book.symbol == b.book.symbol);
  CHECK_FALSE(b.book.snapshot);

  const auto c = parsed(R"({"type":"snapshot","data":{"s":"BTCUSDT","b":[],"a":[["1.5","2"]],"u":9},)"
                        R"("ts":1,"topic":"orderbook.1.BTCUSDT"})",
                        MarketMessageKind::kOrderBook);
  CHECK(c.book.snapshot);
  CHECK(c.book.bids.empty());
  REQUIRE(c.book.asks.size() == 1);
  CHECK(c.book.asks[0] == PriceQty{d("1.5"), d("2")});
  CHECK(error_of(R"({"type":"partial","data":{"s":"BTCUSDT","b":[],"a":[],"u":9},"ts":1,)"
                 R"("topic":"orderbook.1.BTCUSDT"})") ==
        "orderbook.type: expected snapshot or delta, got 'partial'");
}

// ---- publicTrade ------------------------------------------------------------------------------
TEST_CASE("publicTrade from the capture: linear (L, UUID id) and spot (no L, numeric id)") {
  auto m = parsed(capture::message("linear", R"({"topic":"publicTrade.BTCUSDT")"),
                  MarketMessageKind::kTrades);
  CHECK(m.trades.symbol.view() == "BTCUSDT");
  CHECK(m.trades.ts == 1786310819681u);
  REQUIRE(m.trades.trades.size() == 1);
  const auto& t = m.trades.trades[0];
  CHECK(t.trade_time == 1786310819680u);
  CHECK(t.symbol.view() == "BTCUSDT");
  CHECK(t.taker_side == Side::kSell);
  CHECK(t.quantity == d("0.004"));
  CHECK(t.price == d("65114.20"));
  CHECK(t.tick_direction.view() == "MinusTick");
  CHECK(t.trade_id.view() == "a9188a0a-82bc-50de-be60-03eedbe3cdd7");
  CHECK_FALSE(t.block_trade);
  CHECK(t.rpi == false);
  CHECK(t.cross_sequence == 753843954913u);

  const auto p = to_trade_printed(t, InstrumentId{7});
  CHECK(p.instrument == InstrumentId{7});
  CHECK(p.trade_id.view() == "a9188a0a-82bc-50de-be60-03eedbe3cdd7");
  CHECK(p.price == d("65114.2"));
  CHECK(p.quantity == d("0.004"));
  CHECK(p.aggressor == Side::kSell);

  m = parsed(capture::message("spot", R"({"topic":"publicTrade.ETHUSDT")"), MarketMessageKind::kTrades);
  REQUIRE(m.trades.trades.size() == 1);
  const auto& s = m.trades.trades[0];
  CHECK(s.trade_id.view() == "2280000001739247417");
  CHECK(s.trade_time == 1786310821917u);
  CHECK(s.price == d("1923.28"));
  CHECK(s.quantity == d("0.04537"));
  CHECK(s.taker_side == Side::kSell);
  CHECK(s.tick_direction.empty());
  CHECK(s.cross_sequence == 178477362706u);
}

TEST_CASE("publicTrade with several trades keeps them in order") {
  const auto m = parsed(capture::message("linear", R"({"topic":"publicTrade.ETHUSDT")",
                                         "19d7df56-4f10-5290-a969-d9d9f2c74cc3"),
                        MarketMessageKind::kTrades);
  REQUIRE(m.trades.trades.size() >= 5);
  CHECK(m.trades.trades[0].trade_id.view() == "19d7df56-4f10-5290-a969-d9d9f2c74cc3");
  CHECK(m.trades.trades[0].quantity == d("0.01"));
  CHECK(m.trades.trades[0].tick_direction.view() == "PlusTick");
  CHECK(m.trades.trades[1].trade_id.view() == "4d4ad26c-901f-5146-adc0-1db29b6b9ab6");
  CHECK(m.trades.trades[1].quantity == d("1.30"));
  CHECK(m.trades.trades[1].tick_direction.view() == "ZeroPlusTick");
  CHECK(m.trades.trades[4].quantity == d("0.16"));
  for (const auto& t : m.trades.trades) CHECK(t.taker_side == Side::kBuy);
}

TEST_CASE("nautilus ws_public_trade: its topic is not a v5 topic; its data is a v5 trade") {
  const std::string text = fixture("ws_public_trade.json");
  auto m = parsed(text, MarketMessageKind::kOther);  // "trade.linear.BTCUSDT"
  CHECK(m.topic.view() == "trade.linear.BTCUSDT");
  m = parsed(with(text, "trade.linear.BTCUSDT", "publicTrade.BTCUSDT"), MarketMessageKind::kTrades);
  REQUIRE(m.trades.trades.size() == 1);
  const auto& t = m.trades.trades[0];
  CHECK(t.taker_side == Side::kBuy);
  CHECK(t.price == d("27451.00"));
  CHECK(t.quantity == d("0.010"));
  CHECK(t.trade_id.view() == "9dc75fca-4bdd-4773-9f78-6f5d7ab2a110");
  CHECK(t.tick_direction.empty());
  CHECK_FALSE(t.rpi.has_value());
  CHECK_FALSE(t.cross_sequence.has_value());
}

// ---- tickers ----------------------------------------------------------------------------------
TEST_CASE("linear ticker snapshot (nautilus ws_ticker_linear): every field exact") {
  const auto m = parsed(fixture("ws_ticker_linear.json"), MarketMessageKind::kTicker);
  const auto& t = m.ticker;
  CHECK(t.snapshot);
  CHECK(t.symbol.view() == "BTCUSDT");
  CHECK(t.ts == 1673272861686u);
  CHECK(t.cross_sequence == 24987956059u);
  CHECK(t.tick_direction.view() == "PlusTick");
  CHECK(t.price_24h_pcnt.value == d("0.017103"));
  CHECK(t.last_price.value == d("17216.00"));
  CHECK(t.prev_price_24h.value == d("16926.50"));
  CHECK(t.high_price_24h.value == d("17281.50"));
  CHECK(t.low_price_24h.value == d("16915.00"));
  CHECK(t.prev_price_1h.value == d("17238.00"));
  CHECK(t.mark_price.value == d("17217.33"));
  CHECK(t.index_price.value == d("17227.36"));
  CHECK(t.open_interest.value == d("68744.761"));
  CHECK(t.open_interest_value.value == d("1183601235.91"));
  CHECK(t.turnover_24h.value == d("1570383121.943499"));
  CHECK(t.volume_24h.value == d("91705.276"));
  CHECK(t.next_funding_time.has_value());
  CHECK(t.next_funding_time.value == 1673280000000u);
  CHECK(t.funding_rate.value == d("-0.000212"));
  CHECK(t.bid1_price.value == d("17215.50"));
  CHECK(t.bid1_size.value == d("84.489"));
  CHECK(t.ask1_price.value == d("17216.00"));
  CHECK(t.ask1_size.value == d("83.020"));
  CHECK(t.funding_interval_hour.value == 8u);
  CHECK(t.bid1_price.state == State::kValue);
  CHECK(t.usd_index_price.state == State::kAbsent);  // spot only
  CHECK(t.basis_rate.state == State::kAbsent);       // futures only
}

TEST_CASE("linear ticker from the capture: empty strings are kEmpty, not zero") {
  const auto m = parsed(capture::message("linear", R"({"topic":"tickers.BTCUSDT","type":"snapshot")"),
                        MarketMessageKind::kTicker);
  const auto& t = m.ticker;
  CHECK(t.cross_sequence == 753843900397u);
  CHECK(t.ts == 1786310817583u);
  CHECK(t.tick_direction.view() == "ZeroPlusTick");
  CHECK(t.funding_cap.value == d("0.005"));
  CHECK(t.next_funding_time.value == 1786320000000u);
  CHECK(t.bid1_price.value == d("65114.20"));
  CHECK(t.bid1_size.value == d("5.954"));
  CHECK(t.ask1_price.value == d("65114.30"));
  CHECK(t.ask1_size.value == d("10.470"));
  CHECK(t.pre_open_price.state == State::kEmpty);
  CHECK(t.pre_qty.state == State::kEmpty);
  CHECK(t.pre_open_price.present());
  CHECK_FALSE(t.pre_open_price.has_value());
}

TEST_CASE("linear ticker delta: fields it does not carry are absent, and folding keeps them") {
  JsonParser p;
  MarketMessage m;
  REQUIRE(parse_market_data(p, capture::message("linear", R"({"topic":"tickers.BTCUSDT","type":"snapshot")"), m).ok());
  Ticker state = m.ticker;

  REQUIRE(parse_market_data(p, capture::message("linear", R"({"topic":"tickers.BTCUSDT","type":"delta")"), m).ok());
  const auto& t = m.ticker;
  CHECK_FALSE(t.snapshot);
  CHECK(t.cross_sequence == 753843907770u);
  CHECK(t.ts == 1786310817883u);
  CHECK(t.bid1_price.value == d("65114.20"));
  CHECK(t.bid1_size.value == d("6.054"));
  CHECK(t.ask1_price.value == d("65114.30"));
  CHECK(t.ask1_size.value == d("10.486"));
  for (const auto* f : {&t.last_price, &t.mark_price, &t.index_price, &t.funding_rate,
                        &t.open_interest, &t.volume_24h, &t.pre_open_price}) {
    CHECK(f->state == State::kAbsent);
    CHECK_FALSE(f->present());
  }
  CHECK_FALSE(t.next_funding_time.present());
  CHECK(t.tick_direction.empty());

  REQUIRE(fold_ticker(t, state).ok());
  CHECK(state.bid1_size.value == d("6.054"));        // from the delta
  CHECK(state.last_price.value == d("65114.30"));    // kept from the snapshot
  CHECK(state.mark_price.value == d("65117.44"));
  CHECK(state.tick_direction.view() == "ZeroPlusTick");
  CHECK(state.cross_sequence == 753843907770u);
  const auto bbo = to_best_bid_offer(state, InstrumentId{3});
  REQUIRE(bbo.has_value());
  CHECK(*bbo == BestBidOffer{InstrumentId{3}, 753843907770u, d("65114.2"), d("6.054"),
                             d("65114.3"), d("10.486")});

  // An index-only delta carries no bid1/ask1 at all.
  REQUIRE(parse_market_data(p, capture::message("linear", R"({"topic":"tickers.ETHUSDT","type":"delta")",
                                                R"("data":{"symbol":"ETHUSDT","indexPrice":"1923.19"})"), m).ok());
  CHECK(m.ticker.index_price.value == d("1923.19"));
  CHECK_FALSE(m.ticker.bid1_price.present());
  CHECK_FALSE(m.ticker.ask1_size.present());
  CHECK(m.ticker.cross_sequence == 430879422342u);
  // ... and folding it into BTCUSDT's ticker is refused by name.
  const auto folded = fold_ticker(m.ticker, state);
  REQUIRE_FALSE(folded.ok());
  CHECK(folded.error().message ==
        "tickers.data.symbol: a delta for 'ETHUSDT' folded into the ticker of 'BTCUSDT'");
}

TEST_CASE("a delta that empties a field is kEmpty: folding clears it, no best bid/offer") {
  Ticker state = parsed(fixture("ws_ticker_linear.json"), MarketMessageKind::kTicker).ticker;
  const auto m = parsed(R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT",)"
                        R"("bid1Price":"","bid1Size":""},"cs":24987956060,"ts":1673272861786})",
                        MarketMessageKind::kTicker);
  CHECK(m.ticker.bid1_price.state == State::kEmpty);
  REQUIRE(fold_ticker(m.ticker, state).ok());
  CHECK(state.bid1_price.state == State::kEmpty);
  CHECK(state.ask1_price.value == d("17216.00"));
  CHECK_FALSE(to_best_bid_offer(state, InstrumentId{1}).has_value());
}

TEST_CASE("spot ticker (capture): usdIndexPrice, no bid1/ask1, cs before data") {
  const auto m = parsed(capture::message("spot", R"({"topic":"tickers.BTCUSDT")"), MarketMessageKind::kTicker);
  const auto& t = m.ticker;
  CHECK(t.snapshot);
  CHECK(t.cross_sequence == 112488546160u);
  CHECK(t.ts == 1786310819126u);
  CHECK(t.last_price.value == d("65140.5"));
  CHECK(t.volume_24h.value == d("2953.835931"));
  CHECK(t.turnover_24h.value == d("191907024.69597728"));
  CHECK(t.price_24h_pcnt.value == d("0.0015"));
  CHECK(t.usd_index_price.value == d("65091.459221"));
  CHECK_FALSE(t.bid1_price.present());
  CHECK_FALSE(t.mark_price.present());
  CHECK_FALSE(t.funding_rate.present());
}

TEST_CASE("option ticker (nautilus ws_ticker_option): common fields, no cs") {
  const auto m = parsed(fixture("ws_ticker_option.json"), MarketMessageKind::kTicker);
  const auto& t = m.ticker;
  CHECK(t.symbol.view() == "BTC-6JAN23-17500-C");
  CHECK_FALSE(t.cross_sequence.has_value());
  CHECK(t.mark_price.value == d("7.86976724"));
  CHECK(t.index_price.value == d("16823.73"));
  CHECK(t.predicted_delivery_price.value == d("0"));
  CHECK_FALSE(t.bid1_price.present());  // options send bidPrice, which is not read
}

// ---- op replies and other topics -------------------------------------------------------------
TEST_CASE("op replies: subscribe acks and failures, auth, both pong forms") {
  auto m = parsed(fixture("ws_subscription_ack.json"), MarketMessageKind::kOpReply);
  CHECK(m.op_reply.op.view() == "subscribe");
  CHECK(m.op_reply.success == true);
  CHECK(m.op_reply.ret_msg.empty());
  CHECK(m.op_reply.conn_id.view() == "cejreaspqfm9se7usbrg-2xh");
  CHECK(m.op_reply.req_id.view() == "sub-orderbook-1");
  CHECK_FALSE(m.op_reply.is_pong());
  CHECK(m.topic.empty());

  m = parsed(fixture("ws_subscription_failure.json"), MarketMessageKind::kOpReply);
  CHECK(m.op_reply.success == false);
  CHECK(m.op_reply.ret_msg == "Invalid topic: invalid.topic.BTCUSDT");
  CHECK(m.op_reply.req_id.empty());

  m = parsed(fixture("ws_auth_failure.json"), MarketMessageKind::kOpReply);
  CHECK(m.op_reply.op.view() == "auth");
  CHECK(m.op_reply.success == false);
  CHECK(m.op_reply.ret_code == 10003);
  CHECK(m.op_reply.ret_msg == "Invalid apikey");
  CHECK(m.op_reply.conn_id.view() == "cejreaspqfm9se7usbrg-3ab");

  m = parsed(capture::message("spot", R"({"success":true)"), MarketMessageKind::kOpReply);
  CHECK(m.op_reply.op.view() == "subscribe");
  CHECK(m.op_reply.ret_msg == "subscribe");
  CHECK(m.op_reply.conn_id.view() == "d9avt8shteepr00gfc1g-4zd1x");

  m = parsed(R"({"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a-a679-ff7f55e0b16a","op":"ping"})",
             MarketMessageKind::kOpReply);
  CHECK(m.op_reply.is_pong());
  m = parsed(R"({"req_id":"100001","op":"pong","args":["1675418560633"],"conn_id":"cfcb4ocsvfriu23r3er0-1b"})",
             MarketMessageKind::kOpReply);
  CHECK(m.op_reply.is_pong());
  CHECK_FALSE(m.op_reply.success.has_value());
  CHECK(m.op_reply.req_id.view() == "100001");
}

TEST_CASE("kline and allLiquidation are kOther with their topic") {
  auto m = parsed(fixture("ws_kline.json"), MarketMessageKind::kOther);
  CHECK(m.topic.view() == "kline.5.BTCUSDT");
  m = parsed(capture::message("spot", R"({"type":"snapshot","topic":"kline.1.BTCUSDT")"), MarketMessageKind::kOther);
  CHECK(m.topic.view() == "kline.1.BTCUSDT");
  m = parsed(R"({"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1739502303204,)"
             R"("data":[{"T":1739502302929,"s":"BTCUSDT","S":"Sell","v":"0.003","p":"94912.10"}]})",
             MarketMessageKind::kOther);
  CHECK(m.topic.view() == "allLiquidation.BTCUSDT");
}

// ---- errors name the field --------------------------------------------------------------------
TEST_CASE("orderbook errors name the field") {
  CHECK(error_of(with(kDelta, R"(,"u":15076953)", "")) == "orderbook.data.u: missing");
  CHECK(error_of(with(kDelta, R"("s":"BTCUSDT",)", "")) == "orderbook.data.s: missing");
  CHECK(error_of(with(kDelta, R"("a":[["65116.60","0"]],)", "")) == "orderbook.data.a: missing");
  CHECK(error_of(with(kDelta, R"("ts":1786310818130,)", "")) == "orderbook.ts: missing");
  CHECK(error_of(with(kDelta, R"("type":"delta",)", "")) == "orderbook.type: missing");
  CHECK(error_of(with(kDelta, R"(,"data":{"s":"BTCUSDT","b":[["65095.30","0.005"],["65093.10","0"]],"a":[["65116.60","0"]],"u":15076953,"seq":753843913870})", "")) ==
        "orderbook.data: missing");
  CHECK(error_of(with(kDelta, R"("u":15076953)", R"("u":"15076953")")) ==
        "orderbook.data.u: expected an unsigned integer");
  CHECK(error_of(with(kDelta, R"("seq":753843913870)", R"("seq":-1)")) ==
        "orderbook.data.seq: expected an unsigned integer");
  CHECK(error_of(with(kDelta, R"("ts":1786310818130)", R"("ts":"now")")) ==
        "orderbook.ts: expected an unsigned integer");
  CHECK(error_of(with(kDelta, R"(["65093.10","0"])", R"(["65093.1O","0"])")) ==
        "orderbook.data.b[1][0]: not a decimal number '65093.1O'");
  CHECK(error_of(with(kDelta, R"(["65116.60","0"])", R"(["65116.60","0.0000000001"])")) ==
        "orderbook.data.a[0][1]: more than 9 fractional digits '0.0000000001'");
  CHECK(error_of(with(kDelta, R"(["65116.60","0"])", R"(["65116.60",true])")) ==
        "orderbook.data.a[0][1]: expected a decimal string");
  CHECK(error_of(with(kDelta, R"(["65116.60","0"])", R"(["65116.60"])")) ==
        "orderbook.data.a[0]: expected [price, qty]");
  CHECK(error_of(with(kDelta, R"(["65116.60","0"])", R"("65116.60")")) ==
        "orderbook.data.a[0]: expected [price, qty]");
  CHECK(error_of(with(kDelta, R"("b":[)", R"("b":{"x":1},"z":[)")) == "orderbook.data.b: expected an array");
  CHECK(error_of(with(kDelta, R"("type":"delta")", R"("type":"partial")")) ==
        "orderbook.type: expected snapshot or delta, got 'partial'");
  CHECK(error_of(with(kDelta, R"("s":"BTCUSDT")", R"("s":"ETHUSDT")")) ==
        "orderbook.data.s: 'ETHUSDT' is not the topic's symbol 'BTCUSDT'");
  CHECK(error_of(with(kDelta, "orderbook.50.BTCUSDT", "orderbook.x.BTCUSDT")) ==
        "orderbook.topic: expected orderbook.{depth}.{symbol}, got 'orderbook.x.BTCUSDT'");
  CHECK(error_of(with(kDelta, "orderbook.50.BTCUSDT", "orderbook.50.")) ==
        "orderbook.topic: no symbol in 'orderbook.50.'");
  CHECK(error_of(with(kDelta, R"("data":{)", R"("data":[],"x":{)")) == "orderbook.data: expected an object");
}

TEST_CASE("publicTrade and tickers errors name the field") {
  constexpr std::string_view kTrades =
      R"({"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1786310819681,"data":[)"
      R"({"T":1786310819680,"s":"BTCUSDT","S":"Sell","v":"0.004","p":"65114.20","L":"MinusTick","i":"a","BT":false},)"
      R"({"T":1786310819680,"s":"BTCUSDT","S":"Buy","v":"0.010","p":"65114.30","L":"PlusTick","i":"b","BT":false}]})";
  CHECK(error_of(kTrades) == "ok");
  CHECK(error_of(with(kTrades, R"("p":"65114.30",)", "")) == "publicTrade.data[1].p: missing");
  CHECK(error_of(with(kTrades, R"("S":"Sell")", R"("S":"Hold")")) ==
        "publicTrade.data[0].S: expected Buy or Sell, got 'Hold'");
  CHECK(error_of(with(kTrades, R"("v":"0.004")", R"("v":"lots")")) ==
        "publicTrade.data[0].v: not a decimal number 'lots'");
  CHECK(error_of(with(kTrades, R"("BT":false})", R"("BT":"false"})")) ==
        "publicTrade.data[0].BT: expected true or false");
  CHECK(error_of(with(kTrades, R"("i":"b")", R"("i":7)")) == "publicTrade.data[1].i: expected a string");
  CHECK(error_of(with(kTrades, R"("s":"BTCUSDT","S":"Buy")", R"("s":"ETHUSDT","S":"Buy")")) ==
        "publicTrade.data[1].s: 'ETHUSDT' is not the topic's symbol 'BTCUSDT'");
  CHECK(error_of(with(kTrades, R"("data":[)", R"("data":{},"x":[)")) == "publicTrade.data: expected an array");
  CHECK(error_of(with(kTrades, R"("ts":1786310819681,)", "")) == "publicTrade.ts: missing");

  constexpr std::string_view kTicker =
      R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"65114.20",)"
      R"("bid1Size":"6.054","nextFundingTime":"1786320000000"},"cs":753843907770,"ts":1786310817883})";
  CHECK(error_of(kTicker) == "ok");
  CHECK(error_of(with(kTicker, R"("bid1Price":"65114.20")", R"("bid1Price":"1.2.3")")) ==
        "tickers.data.bid1Price: not a decimal number '1.2.3'");
  CHECK(error_of(with(kTicker, R"("bid1Size":"6.054")", R"("bid1Size":[6])")) ==
        "tickers.data.bid1Size: expected a decimal string");
  CHECK(error_of(with(kTicker, R"("1786320000000")", R"("soon")")) ==
        "tickers.data.nextFundingTime: expected an unsigned integer 'soon'");
  CHECK(error_of(with(kTicker, R"("symbol":"BTCUSDT",)", "")) == "tickers.data.symbol: missing");
  CHECK(error_of(with(kTicker, R"("cs":753843907770)", R"("cs":"x")")) ==
        "tickers.cs: expected an unsigned integer");
  CHECK(error_of(with(kTicker, R"("symbol":"BTCUSDT")", R"("symbol":"BTCUSDC")")) ==
        "tickers.data.symbol: 'BTCUSDC' is not the topic's symbol 'BTCUSDT'");
}

TEST_CASE("messages that are no market data we know") {
  CHECK(error_of(R"({"foo":1})") == "market data.topic: missing (neither a topic nor an op)");
  CHECK(error_of("[1,2]") == "market data: expected a JSON object");
  CHECK(error_of(R"({"topic":"orderbook.1.BTCUSDT",)").find(": malformed JSON (") != std::string::npos);
  CHECK(error_of(R"({"topic":7})") == "market data.topic: expected a string");
  CHECK(error_of(R"({"op":"subscribe","success":"yes"})") ==
        "market data.success: expected true or false");
}

// ---- into book events: Bybit's sequence rule through BookCore's spot rule --------------------
namespace {
MarketMessage book_message(std::uint64_t u, bool snapshot, const char* bid, const char* bid_qty) {
  MarketMessage m;
  m.book.snapshot = snapshot;
  m.book.symbol = "BTCUSDT";
  m.book.update_id = u;
  m.book.bids.push_back(PriceQty{d(bid), d(bid_qty)});
  if (snapshot) m.book.asks.push_back(PriceQty{d("101"), d("1")});
  return m;
}
BookApplyResult apply(BookCore& core, const OrderBookUpdate& b) {
  BookApplyResult r;
  if (b.snapshot) {
    std::vector<BookSnapshot> out;
    to_book_snapshots(b, core.instrument(), out);
    for (const auto& s : out) r = core.apply(s);
  } else {
    std::vector<BookDelta> out;
    to_book_deltas(b, core.instrument(), out);
    for (const auto& s : out) r = core.apply(s);
  }
  return r;
}
}  // namespace

TEST_CASE("Bybit's rule through BookCore: u == previous u + 1, a snapshot replaces the book") {
  const BookCoreConfig config{InstrumentId{1}, BookSequencing::kBinanceSpot};
  BookCore core(config);
  CHECK(apply(core, book_message(100, true, "99", "1").book).status == BookApplyStatus::kApplied);
  CHECK(apply(core, book_message(101, false, "99.5", "2").book).status == BookApplyStatus::kApplied);
  CHECK(core.best_bid()->price == d("99.5"));
  CHECK(apply(core, book_message(101, false, "99.5", "3").book).status == BookApplyStatus::kStale);
  CHECK(apply(core, book_message(102, false, "99.5", "3").book).status == BookApplyStatus::kApplied);

  // A restarted venue on a live book: a snapshot with a smaller u replaces it.
  CHECK(apply(core, book_message(5, true, "98", "4").book).status == BookApplyStatus::kApplied);
  CHECK(core.state() == BookState::kLive);
  CHECK(core.best_bid()->price == d("98"));
  CHECK(core.level_count(BookSide::kBid) == 1);
  CHECK(apply(core, book_message(6, false, "98", "0").book).status == BookApplyStatus::kApplied);
  CHECK_FALSE(core.best_bid().has_value());

  auto r = apply(core, book_message(8, false, "99.6", "1").book);
  CHECK(r.status == BookApplyStatus::kResyncNeeded);
  CHECK(r.issue == BookIssue::kSequenceGap);
  CHECK(r.expected == 7u);
  CHECK(r.got == 8u);

  // The first delta after a snapshot must be u == L + 1 exactly (each snapshot on a fresh core).
  core = BookCore(config);
  CHECK(apply(core, book_message(50, true, "97", "1").book).status == BookApplyStatus::kApplied);
  r = apply(core, book_message(52, false, "97", "2").book);
  CHECK(r.status == BookApplyStatus::kResyncNeeded);
  CHECK(r.issue == BookIssue::kFirstDiffMismatch);
  CHECK(r.expected == 51u);
  CHECK(r.got == 52u);
  core = BookCore(config);
  CHECK(apply(core, book_message(50, true, "97", "1").book).status == BookApplyStatus::kApplied);
  CHECK(apply(core, book_message(50, false, "97", "2").book).status == BookApplyStatus::kStale);
  CHECK(apply(core, book_message(51, false, "97", "2").book).status == BookApplyStatus::kApplied);
}

TEST_CASE("why each Bybit snapshot goes to a fresh BookCore: a kept delta would not connect") {
  // BookCore keeps the delta that showed a gap (for Binance it may connect to the REST
  // snapshot); a restarted Bybit venue's snapshot starts u again, so replaying it fails.
  BookCore core({InstrumentId{1}, BookSequencing::kBinanceSpot});
  CHECK(apply(core, book_message(100, true, "99", "1").book).status == BookApplyStatus::kApplied);
  CHECK(apply(core, book_message(103, false, "99", "2").book).status == BookApplyStatus::kResyncNeeded);
  CHECK(core.buffered_messages() == 1);
  const auto r = apply(core, book_message(5, true, "98", "4").book);
  CHECK(r.status == BookApplyStatus::kResyncNeeded);
  CHECK(r.issue == BookIssue::kFirstDiffMismatch);
  CHECK(r.got == 103u);
}

TEST_CASE("to_book_snapshots / to_book_deltas: chunks of kBookChunkLevels, U = u") {
  const auto m = parsed(capture::message("linear", R"({"topic":"orderbook.200.BTCUSDT","type":"snapshot")"),
                        MarketMessageKind::kOrderBook);
  std::vector<BookSnapshot> snaps;
  to_book_snapshots(m.book, InstrumentId{2}, snaps);
  REQUIRE(snaps.size() == (400 + kBookChunkLevels - 1) / kBookChunkLevels);
  CHECK(snaps.front().last_update_id == 15076952u);
  CHECK(*snaps.front().levels.begin() == BookLevel{BookSide::kBid, d("65114.20"), d("6.054")});
  CHECK_FALSE(snaps.front().last_chunk);
  CHECK(snaps.back().last_chunk);
  CHECK(snaps.back().chunk == snaps.size() - 1);
  CHECK(*(snaps.back().levels.end() - 1) == BookLevel{BookSide::kAsk, d("65146.70"), d("0.020")});

  MarketMessage empty = book_message(7, false, "1", "1");
  empty.book.bids.clear();
  std::vector<BookDelta> deltas;
  to_book_deltas(empty.book, InstrumentId{2}, deltas);
  REQUIRE(deltas.size() == 1);
  CHECK(deltas[0].first_update_id == 7u);
  CHECK(deltas[0].last_update_id == 7u);
  CHECK(deltas[0].prev_update_id == 0u);
  CHECK(deltas[0].last_chunk);
  CHECK(deltas[0].levels.size() == 0);
}
