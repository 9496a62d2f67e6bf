// Market-data parsing (depthUpdate, bookTicker, trade, aggTrade, snapshot, combined-stream
// wrapper): exact values, events, and the exact error for bad input.
#include <doctest/doctest.h>

#include <string>

#include "oms/connectors/binance/market_data.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::binance;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }

std::string error_of(std::string_view json) {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, json, m);
  return r.ok() ? std::string("ok") : r.error().message;
}

std::string fixture(const char* rel) {
  return testkit::read_file(testkit::shared_data() / "nautilus" / "binance" / rel);
}

constexpr std::string_view kSpotDepth =
    R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,)"
    R"("s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],)"
    R"(["61837.63000000","3.78826000"]],"a":[["61837.64000000","1.54698000"]]}})";
}  // namespace

TEST_CASE("spot depthUpdate in the combined-stream wrapper: every field exact") {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, kSpotDepth, m);
  REQUIRE(r.ok());
  CHECK(*r == MarketMessageKind::kDepthUpdate);
  CHECK(m.stream.view() == "btcusdt@depth@100ms");
  CHECK(m.depth.symbol.view() == "BTCUSDT");
  CHECK(m.depth.event_time == 1723161255208u);
  CHECK(m.depth.first_update_id == 50093239189u);
  CHECK(m.depth.last_update_id == 50093239202u);
  CHECK_FALSE(m.depth.has_prev_update_id);
  REQUIRE(m.depth.bids.size() == 2);
  CHECK(m.depth.bids[0] == PriceQty{d("61737.63"), d("0")});
  CHECK(m.depth.bids[1] == PriceQty{d("61837.63"), d("3.78826")});
  REQUIRE(m.depth.asks.size() == 1);
  CHECK(m.depth.asks[0] == PriceQty{d("61837.64"), d("1.54698")});
}

TEST_CASE("futures depthUpdate carries pu and T (nautilus ws_futures_depth_update)") {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, fixture("integration_resources/ws_messages/ws_futures_depth_update.json"), m);
  REQUIRE(r.ok());
  CHECK(m.depth.first_update_id == 390497796u);
  CHECK(m.depth.last_update_id == 390497878u);
  CHECK(m.depth.has_prev_update_id);
  CHECK(m.depth.prev_update_id == 390497794u);
  CHECK(m.depth.transaction_time == 1571889248276u);
  REQUIRE(m.depth.bids.size() == 5);
  CHECK(m.depth.bids[4] == PriceQty{d("7405.43"), d("2.562")});
  CHECK(m.depth.asks[0] == PriceQty{d("7405.96"), d("3.340")});
}

TEST_CASE("bookTicker: spot (no e, wrapped) and futures shapes") {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, fixture("integration_resources/ws_messages/ws_spot_ticker_book.json"), m);
  REQUIRE(r.ok());
  CHECK(*r == MarketMessageKind::kBookTicker);
  CHECK(m.book_ticker.symbol.view() == "ETHUSDT");
  CHECK(m.book_ticker.update_id == 12711621188u);
  CHECK(m.book_ticker.bid_price == d("4507.24"));
  CHECK(m.book_ticker.bid_qty == d("2.3595"));
  CHECK(m.book_ticker.ask_price == d("4507.25"));
  CHECK(m.book_ticker.ask_qty == d("2.8457"));

  r = parse_market_data(p, fixture("crate_test_data/futures/market_data_json/book_ticker_stream.json"), m);
  REQUIRE(r.ok());
  CHECK(*r == MarketMessageKind::kBookTicker);
  CHECK(m.book_ticker.symbol.view() == "BNBUSDT");
  CHECK(m.book_ticker.update_id == 400900217u);
  CHECK(m.book_ticker.transaction_time == 1568014460891u);
  CHECK(to_best_bid_offer(m.book_ticker, InstrumentId{7}) ==
        BestBidOffer{InstrumentId{7}, 400900217u, d("25.3519"), d("31.21"), d("25.3652"),
                     d("40.66")});
}

TEST_CASE("trade and aggTrade: ids, prices and the aggressor") {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(
      p,
      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}})",
      m);
  REQUIRE(r.ok());
  CHECK(*r == MarketMessageKind::kTrade);
  CHECK(m.trade.trade_id == 3735683259u);
  CHECK(m.trade.trade_time == 1723161255342u);
  CHECK(m.trade.buyer_is_maker);
  const TradePrinted t = to_trade_printed(m.trade, InstrumentId{3});
  CHECK(t.trade_id.view() == "3735683259");
  CHECK(t.price == d("61837.63"));
  CHECK(t.quantity == d("0.02"));
  CHECK(t.aggressor == Side::kSell);

  r = parse_market_data(p, fixture("crate_test_data/futures/market_data_json/agg_trade_stream.json"), m);
  REQUIRE(r.ok());
  CHECK(*r == MarketMessageKind::kAggTrade);
  CHECK(m.trade.aggregate);
}

TEST_CASE("REST depth snapshot: lastUpdateId and levels; chunked into BookSnapshot events") {
  JsonParser p;
  MarketMessage m;
  std::string body = R"({"lastUpdateId":1027024,"bids":[)";
  for (int i = 0; i < 30; ++i) body += (i ? "," : "") + std::string(R"(["4.0000)") + std::to_string(10 + i) + R"(","431.00000000"])";
  body += R"(],"asks":[["4.00000200","12.00000000"]]})";
  auto r = parse_market_data(p, body, m);
  REQUIRE(r.ok());
  CHECK(*r == MarketMessageKind::kDepthSnapshot);
  CHECK(m.snapshot.last_update_id == 1027024u);
  CHECK(m.snapshot.bids.size() == 30);
  CHECK(m.snapshot.bids[29] == PriceQty{d("4.000039"), d("431")});
  std::vector<BookSnapshot> chunks;
  to_book_snapshots(m.snapshot, InstrumentId{1}, chunks);
  REQUIRE(chunks.size() == 2);  // 31 levels: 24 + 7
  CHECK(chunks[0].chunk == 0);
  CHECK_FALSE(chunks[0].last_chunk);
  CHECK(chunks[0].levels.size() == kBookChunkLevels);
  CHECK(chunks[1].chunk == 1);
  CHECK(chunks[1].last_chunk);
  CHECK(chunks[1].levels.size() == 7);
  CHECK(chunks[1].levels.items[6] == BookLevel{BookSide::kAsk, d("4.000002"), d("12")});
  CHECK(chunks[1].last_update_id == 1027024u);
}

TEST_CASE("a depth diff with no levels is one empty last chunk") {
  JsonParser p;
  MarketMessage m;
  REQUIRE(parse_market_data(p, R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[],"a":[]})", m).ok());
  std::vector<BookDelta> out;
  to_book_deltas(m.depth, InstrumentId{2}, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].last_chunk);
  CHECK(out[0].levels.size() == 0);
  CHECK(out[0].first_update_id == 5u);
  CHECK(out[0].last_update_id == 6u);
}

TEST_CASE("the parser object is reused: a second message leaves nothing of the first") {
  JsonParser p;
  MarketMessage m;
  REQUIRE(parse_market_data(p, kSpotDepth, m).ok());
  REQUIRE(parse_market_data(p, R"({"e":"depthUpdate","E":1,"s":"ETHUSDT","U":7,"u":8,"b":[],"a":[["1","2"]]})", m).ok());
  CHECK(m.stream.view() == "");
  CHECK(m.depth.symbol.view() == "ETHUSDT");
  CHECK(m.depth.bids.empty());
  CHECK(m.depth.asks.size() == 1);
}

TEST_CASE("unknown fields are ignored; unknown event kinds are kOther") {
  CHECK(error_of(R"({"e":"depthUpdate","zz":{"x":[1,2]},"E":1,"s":"X","U":5,"u":6,"b":[],"a":[],"extra":"y"})") == "ok");
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, R"({"e":"kline","E":1,"s":"X","k":{"t":1}})", m);
  REQUIRE(r.ok());
  CHECK(*r == MarketMessageKind::kOther);
  CHECK(m.event.view() == "kline");
}

TEST_CASE("bad market data gives the exact error naming the kind and the field") {
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","u":6,"b":[],"a":[]})") ==
        "depthUpdate.U: missing");
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":"5","u":6,"b":[],"a":[]})") ==
        "depthUpdate.U: expected an unsigned integer");
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[["1.5",true]],"a":[]})") ==
        "depthUpdate.b[0][1]: expected a decimal string");
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[["1.5"]],"a":[]})") ==
        "depthUpdate.b[0]: expected [price, qty]");
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[],"a":[["1.0000000001","1"]]})") ==
        "depthUpdate.a[0][0]: more than 9 fractional digits '1.0000000001'");
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[],"a":[["1e30","1"]]})") ==
        "depthUpdate.a[0][0]: decimal overflow (beyond +/-1.7e29) '1e30'");
  CHECK(error_of(R"({"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000"})") ==
        "bookTicker.A: missing");
  CHECK(error_of(R"({"e":"trade","E":1,"s":"X","t":1,"p":"1","q":"x","T":1,"m":true})") ==
        "trade.q: not a decimal number 'x'");
  CHECK(error_of("[1,2]") == "market data: expected a JSON object");
  CHECK(error_of(R"({"x":1})") == "market data.e: missing (not a market-data message we know)");
}

TEST_CASE("truncated or malformed JSON is an error, never a crash") {
  const std::string full(kSpotDepth);
  for (std::size_t n = 0; n < full.size(); ++n) {
    CAPTURE(n);
    const std::string e = error_of(full.substr(0, n));
    CHECK(e != "ok");
  }
  const std::string kStructure =
      "malformed JSON (The JSON document has an improper structure: missing or superfluous "
      "commas, braces, missing keys, etc.)";
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[],"a":[})") ==
        "depthUpdate.a[0]: expected [price, qty]");
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[],"a":[]]})") ==
        "depthUpdate: " + kStructure);
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[],"a":[],})") ==
        "depthUpdate: " + kStructure);
  CHECK(error_of(R"({"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[],"a":[]}x)") != "ok");
}
