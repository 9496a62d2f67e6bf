// venue-sim's Upbit WebSockets over loopback TLS: /websocket/v1's orderbook (SNAPSHOT then
// REALTIME, timestamps increasing), trade and ticker in DEFAULT and SIMPLE, PING -> {"status":"UP"},
// request errors; /websocket/v1/private authenticated on the upgrade (myOrder, myAsset), a bad
// token refused there.
#include <doctest/doctest.h>

#include "upbit_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::upbit_test;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

const json* last_of(const std::vector<json>& v) { return v.empty() ? nullptr : &v.back(); }

}  // namespace

TEST_CASE("upbit public socket, DEFAULT: orderbook snapshot then realtime, trade and ticker of a fill") {
  UpbitServer s;
  Inbox& in = s.open("/websocket/v1");
  s.socket(0).send(R"([{"ticket":"t-1"},{"type":"orderbook","codes":["KRW-BTC"]},{"type":"trade","codes":["KRW-BTC"]},{"type":"ticker","codes":["KRW-BTC"]},{"format":"DEFAULT"}])");
  REQUIRE(wait_for([&] { return !in.of("orderbook").empty() && !in.of("ticker").empty(); }));
  const json snap = in.of("orderbook").front();
  CHECK(snap.value("stream_type", "") == "SNAPSHOT");
  CHECK(snap.value("code", "") == "KRW-BTC");
  REQUIRE(snap.at("orderbook_units").size() == 3);
  CHECK(dj(snap["orderbook_units"][0].at("ask_price")) == d("81001000"));
  CHECK(dj(snap["orderbook_units"][0].at("bid_size")) == d("0.1"));
  CHECK(in.of("ticker").front().value("stream_type", "") == "SNAPSHOT");

  // bob lifts 0.01 of the ask: a trade (BID: the taker bought), a ticker, a new book.
  REQUIRE(s.f.order(s.f.bob, ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"price", "810010"}, {"ord_type", "price"}}).status == 201);
  REQUIRE(wait_for([&] { return !in.of("trade").empty() && in.of("orderbook").size() >= 2 && in.of("ticker").size() >= 2; }));
  const json trade = in.of("trade").front();
  CHECK(trade.value("ask_bid", "") == "BID");
  CHECK(dj(trade.at("trade_price")) == d("81001000"));
  CHECK(dj(trade.at("trade_volume")) == d("0.01"));
  CHECK(trade.value("stream_type", "") == "REALTIME");
  CHECK(trade.contains("sequential_id"));
  const auto books = in.of("orderbook");
  const json& rt = books.back();
  CHECK(rt.value("stream_type", "") == "REALTIME");
  CHECK(dj(rt["orderbook_units"][0].at("ask_size")) == d("0.09"));
  for (std::size_t i = 1; i < books.size(); ++i) CHECK(books[i].value("timestamp", 0LL) > books[i - 1].value("timestamp", 0LL));
  CHECK(dj(last_of(in.of("ticker"))->at("trade_price")) == d("81001000"));

  // "PING" text: {"status":"UP"}.
  s.socket(0).send("PING");
  REQUIRE(wait_for([&] {
    for (const auto& m : in.all()) {
      if (m == R"({"status":"UP"})") return true;
    }
    return false;
  }));
}

TEST_CASE("upbit public socket, SIMPLE: the short names, orderbook units by code suffix") {
  UpbitServer s;
  Inbox& in = s.open("/websocket/v1");
  s.socket(0).send(R"([{"ticket":"t-2"},{"type":"orderbook","codes":["KRW-BTC.1"]},{"type":"trade","codes":["KRW-BTC"]},{"format":"SIMPLE"}])");
  REQUIRE(wait_for([&] { return !in.of("orderbook").empty(); }));
  const json snap = in.of("orderbook").front();
  CHECK(snap.value("cd", "") == "KRW-BTC");
  CHECK(snap.value("st", "") == "SNAPSHOT");
  CHECK(!snap.contains("code"));
  REQUIRE(snap.at("obu").size() == 1);
  CHECK(dj(snap["obu"][0].at("bp")) == d("81000000"));
  REQUIRE(s.f.order(s.f.bob, ojson{{"market", "KRW-BTC"}, {"side", "ask"}, {"volume", "0.02"}, {"ord_type", "market"}}).status == 201);
  REQUIRE(wait_for([&] { return !in.of("trade").empty(); }));
  const json t = in.of("trade").front();
  CHECK(t.value("ab", "") == "ASK");
  CHECK(dj(t.at("tp")) == d("81000000"));
  CHECK(dj(t.at("tv")) == d("0.02"));
  CHECK(t.contains("sid"));
  CHECK(!t.contains("trade_price"));
}

TEST_CASE("upbit public socket: request errors by name") {
  UpbitServer s;
  Inbox& in = s.open("/websocket/v1");
  const auto error_after = [&](const std::string& text) {
    const std::size_t before = in.all().size();
    s.socket(0).send(text);
    std::string name;
    wait_for([&] {
      const auto all = in.all();
      for (std::size_t k = before; k < all.size(); ++k) {
        const auto j = json::parse(all[k], nullptr, false);
        if (j.is_object() && j.contains("error")) {
          name = j["error"].value("name", "");
          return true;
        }
      }
      return false;
    });
    return name;
  };
  CHECK(error_after(R"([{"type":"trade","codes":["KRW-BTC"]}])") == "NO_TICKET");
  CHECK(error_after(R"([{"ticket":"x"},{"type":"trade"}])") == "NO_CODES");
  CHECK(error_after(R"([{"ticket":"x"},{"type":"trade","codes":["KRW-XRP"]}])") == "INVALID_PARAM");
  CHECK(error_after(R"([{"ticket":"x"},{"type":"myOrder"}])") == "INVALID_PARAM");
  CHECK(error_after(R"([{"ticket":"x"},{"type":"trade","codes":["KRW-BTC"]},{"format":"JSON_LIST"}])") == "INVALID_PARAM");
  CHECK(error_after(R"({"ticket":"x"})") == "WRONG_FORMAT");
}

TEST_CASE("upbit private socket: the JWT on the upgrade, then myOrder and myAsset in the format asked") {
  UpbitServer s;
  Inbox& def = s.open("/websocket/v1/private", "Bearer " + jwt(s.f.alice, "ws-nonce-1", ""));
  Inbox& simple = s.open("/websocket/v1/private", "Bearer " + jwt(s.f.alice, "ws-nonce-2", ""));
  s.socket(0).send(R"([{"ticket":"p-1"},{"type":"myOrder","codes":["KRW-BTC"]},{"type":"myAsset"}])");
  s.socket(1).send(R"([{"ticket":"p-2"},{"type":"myOrder"},{"type":"myAsset"},{"format":"SIMPLE"}])");
  std::this_thread::sleep_for(100ms);  // the requests are read before the order
  // alice bids 0.02 at the ask: 0.02 of the 0.1 there fills at once.
  const auto placed = s.f.order(s.f.alice, ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"volume", "0.02"}, {"price", "81001000"},
                                                  {"ord_type", "limit"}, {"identifier", "ws-1"}});
  REQUIRE(placed.status == 201);
  REQUIRE(wait_for([&] { return def.of("myOrder").size() >= 3 && !def.of("myAsset").empty(); }));
  const auto orders = def.of("myOrder");
  CHECK(orders[0].value("state", "") == "wait");
  CHECK(orders[1].value("state", "") == "trade");
  CHECK(orders[2].value("state", "") == "done");
  const json& tr = orders[1];
  CHECK(tr.value("uuid", "") == placed.json.value("uuid", "?"));
  CHECK(tr.value("ask_bid", "") == "BID");
  CHECK(tr.value("identifier", "") == "ws-1");
  CHECK(dj(tr.at("price")) == d("81001000"));
  CHECK(dj(tr.at("volume")) == d("0.02"));
  CHECK(dj(tr.at("trade_fee")) == d("810.01"));  // 1,620,020 x 0.05 %
  CHECK(tr.value("is_maker", true) == false);
  CHECK(!tr.value("trade_uuid", "").empty());
  const json asset = def.of("myAsset").back();
  bool krw = false;
  for (const auto& a : asset.at("assets")) {
    if (a.value("currency", "") == "KRW") {
      krw = true;
      CHECK(dj(a.at("balance")) == d("498379169.99"));  // 500,000,000 - 1,620,020 - 810.01
    }
  }
  CHECK(krw);
  REQUIRE(wait_for([&] { return simple.of("myOrder").size() >= 3 && !simple.of("myAsset").empty(); }));
  const json st = simple.of("myOrder")[1];
  CHECK(st.value("s", "") == "trade");
  CHECK(st.value("ab", "") == "BID");
  CHECK(st.value("id", "") == "ws-1");
  CHECK(dj(st.at("tf")) == d("810.01"));
  CHECK(!st.contains("state"));
  CHECK(simple.of("myAsset").back().contains("ast"));
  // bob's orders reach neither of alice's sockets.
  const std::size_t before = def.all().size();
  REQUIRE(s.f.order(s.f.bob, ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"volume", "0.01"}, {"price", "80000000"}, {"ord_type", "limit"}}).status == 201);
  std::this_thread::sleep_for(100ms);
  CHECK(def.all().size() == before);
}

TEST_CASE("upbit private socket: a bad, missing or reused token is refused at the upgrade (HTTP 401, no socket)") {
  UpbitServer s;
  const std::string wrong = s.refused("/websocket/v1/private", "Bearer " + jwt(Keys{s.f.alice.access, "wrong"}, "n-1", ""));
  CHECK(wrong.find("declined") != std::string::npos);
  CHECK(s.refused("/websocket/v1/private").find("declined") != std::string::npos);
  const std::string token = "Bearer " + jwt(s.f.alice, "n-2", "");
  CHECK(s.refused("/websocket/v1/private", token).empty());  // accepted: it opened
  CHECK(s.refused("/websocket/v1/private", token).find("declined") != std::string::npos);  // nonce_used
  // The public socket takes no token.
  CHECK(s.refused("/websocket/v1").empty());
}
