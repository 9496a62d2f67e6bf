// venue-sim's OKX WebSockets over loopback TLS: the public books channel (snapshot then updates
// whose seqIds chain and whose checksum verifies over the texts received), bbo-tbt and trades;
// the private login refusals and the orders / positions / account pushes of REST orders.
#include <doctest/doctest.h>

#include <map>

#include "okx_fixture.hpp"
#include "oms/connectors/okx/book_checksum.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::okx_test;
using nlohmann::json;

namespace {

// A client's book of text levels, keyed by the price's value (bids and asks kept best first).
struct TextBook {
  std::map<Decimal, std::pair<std::string, std::string>, std::greater<>> bids;
  std::map<Decimal, std::pair<std::string, std::string>> asks;
  void apply(const json& data) {
    for (const auto& l : data.at("bids")) {
      const Decimal px = d(l[0].get<std::string>().c_str());
      if (l[1] == "0") bids.erase(px);
      else bids[px] = {l[0], l[1]};
    }
    for (const auto& l : data.at("asks")) {
      const Decimal px = d(l[0].get<std::string>().c_str());
      if (l[1] == "0") asks.erase(px);
      else asks[px] = {l[0], l[1]};
    }
  }
  [[nodiscard]] std::int32_t checksum() const {
    std::vector<okx::TextLevel> b, a;
    for (const auto& [k, v] : bids) b.push_back({v.first, v.second});
    for (const auto& [k, v] : asks) a.push_back({v.first, v.second});
    return okx::book_checksum(b, a);
  }
};

bool is_event(const json& j, const char* ev) { return j.value("event", "") == ev; }

}  // namespace

TEST_CASE("okx books channel: a snapshot, then updates whose prevSeqId chains and whose checksum verifies") {
  OkxServer s;
  auto& in = s.open("/ws/v5/public");
  const auto ack = s.request(0, in, R"({"id":"7","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"}]})",
                             [](const json& j) { return j.contains("event"); });
  CHECK(ack.at("event") == "subscribe");
  CHECK(ack.at("id") == "7");
  CHECK(ack.at("arg") == json({{"channel", "books"}, {"instId", "BTC-USDT-SWAP"}}));
  REQUIRE(wait_for([&] { return !in.channel("books").empty(); }));
  // Changes: a delta of the background, our order resting on the book, a taker through a level.
  sim::BookDeltaIn dl;
  dl.bids = {{d("59999"), d("0.5")}, {d("59990"), d("2")}};
  dl.asks = {{d("60002"), d("0")}};
  s.f.front->on_delta(Market::kUsdm, "BTC-USDT-SWAP", dl);
  REQUIRE(s.f.post("/api/v5/trade/order", {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "limit"}, {"sz", "3"}, {"px", "59999.5"}}, s.f.alice).code() == "0");
  REQUIRE(s.f.post("/api/v5/trade/order", {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "120"}}, s.f.bob).code() == "0");
  for (int i = 0; i < 30; ++i) {
    sim::BookDeltaIn x;
    x.asks = {{Decimal::from_raw(d("60010").raw() + i * Decimal::kOne), d("0.25")}};
    s.f.front->on_delta(Market::kUsdm, "BTC-USDT-SWAP", x);
  }
  REQUIRE(wait_for([&] { return in.channel("books").size() >= 34; }));
  const auto msgs = in.channel("books");
  REQUIRE(msgs[0].at("action") == "snapshot");
  const auto& snap = msgs[0].at("data")[0];
  CHECK(snap.at("prevSeqId") == -1);
  CHECK(snap.at("bids")[0] == json::array({"59999", "100", "0", "1"}));
  TextBook book;
  book.apply(snap);
  CHECK(snap.at("checksum").get<std::int32_t>() == book.checksum());
  std::int64_t seq = snap.at("seqId");
  for (std::size_t i = 1; i < msgs.size(); ++i) {
    CAPTURE(i);
    const auto& m = msgs[i];
    CHECK(m.at("action") == "update");
    const auto& data = m.at("data")[0];
    CHECK(data.at("prevSeqId").get<std::int64_t>() == seq);
    CHECK(data.at("seqId").get<std::int64_t>() > seq);
    seq = data.at("seqId");
    book.apply(data);
    CHECK(data.at("checksum").get<std::int32_t>() == book.checksum());
  }
  // The delta's 0.5 BTC at 59999 is 50 contracts; our 3 contracts rest at 59999.5, best bid.
  REQUIRE(!book.bids.empty());
  CHECK(book.bids.begin()->second == std::pair<std::string, std::string>{"59999.5", "3"});
  CHECK(book.bids.at(d("59999")).second == "50");
  CHECK(book.asks.count(d("60001")) == 0);  // Bob's 120 contracts took 60001 (100) and 20 of 60003
  CHECK(book.asks.at(d("60003")).second == "80");
}

TEST_CASE("okx public: bbo-tbt and trades follow a taker; tickers; ping; an unknown channel is 60018") {
  OkxServer s;
  auto& in = s.open("/ws/v5/public");
  s.socket(0).send("ping");
  REQUIRE(wait_for([&] {
    for (const auto& m : in.all()) {
      if (m == "pong") return true;
    }
    return false;
  }));
  const auto err = s.request(0, in, R"({"op":"subscribe","args":[{"channel":"books","instId":"DOGE-USDT"}]})",
                             [](const json& j) { return j.contains("event"); });
  CHECK(err.at("event") == "error");
  CHECK(err.at("code") == "60018");
  const auto priv = s.request(0, in, R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})",
                              [](const json& j) { return j.contains("event"); });
  CHECK(priv.at("code") == "60018");
  s.request(0, in, R"({"op":"subscribe","args":[{"channel":"bbo-tbt","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT"},{"channel":"tickers","instId":"BTC-USDT"}]})",
            [](const json& j) { return is_event(j, "subscribe") && j["arg"]["channel"] == "tickers"; });
  REQUIRE(s.f.post("/api/v5/trade/order", {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "1.5"}, {"tgtCcy", "base_ccy"}}, s.f.alice).code() == "0");
  REQUIRE(wait_for([&] { return in.channel("trades").size() >= 2 && !in.channel("bbo-tbt").empty(); }));
  const auto trades = in.channel("trades");
  CHECK(trades[0].at("data")[0].at("px") == "60001");
  CHECK(trades[0].at("data")[0].at("sz") == "1");
  CHECK(trades[0].at("data")[0].at("side") == "buy");
  CHECK(trades[1].at("data")[0].at("px") == "60002");
  CHECK(trades[1].at("data")[0].at("sz") == "0.5");
  const auto bbo = in.channel("bbo-tbt").back().at("data")[0];
  CHECK(bbo.at("asks")[0] == json::array({"60002", "0.5", "0", "1"}));
  // The ticker at subscription (no trade yet: last "") came first; the one the taker's fills move
  // follows the trades and the bbo, so it is waited for, not assumed to be there already.
  REQUIRE(wait_for([&] {
    const auto t = in.channel("tickers");
    return !t.empty() && t.back().at("data")[0].at("last") != "";
  }));
  CHECK(in.channel("tickers").back().at("data")[0].at("last") == "60002");
}

TEST_CASE("okx private login: refusals with OKX's codes, then login") {
  OkxServer s;
  auto& in = s.open("/ws/v5/private");
  const auto before = s.request(0, in, R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})",
                                [](const json& j) { return j.contains("event"); });
  CHECK(before.at("code") == "60011");
  CHECK(s.login(0, in, s.f.alice, 0, "not-the-secret").at("code") == "60007");
  CHECK(s.login(0, in, s.f.alice, -40).at("code") == "60006");
  Keys wrong = s.f.alice;
  wrong.passphrase = "nope";
  CHECK(s.login(0, in, wrong).at("code") == "60024");
  wrong = s.f.alice;
  wrong.key = "nobody";
  CHECK(s.login(0, in, wrong).at("code") == "60005");
  const auto ok = s.login(0, in, s.f.alice);
  CHECK(ok.at("event") == "login");
  CHECK(ok.at("code") == "0");
  CHECK(!ok.at("connId").get<std::string>().empty());
}

TEST_CASE("okx private channels: orders, positions and account pushed for a SWAP fill and a SPOT order") {
  OkxServer s;
  auto& in = s.open("/ws/v5/private");
  REQUIRE(s.login(0, in, s.f.alice).at("code") == "0");
  s.request(0, in, R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"},{"channel":"positions","instType":"SWAP"},{"channel":"account","ccy":"USDT"}]})",
            [](const json& j) { return is_event(j, "subscribe") && j["arg"]["channel"] == "account"; });
  // Snapshots at subscription: no position, the USDT row.
  REQUIRE(wait_for([&] { return !in.channel("account").empty() && !in.channel("positions").empty(); }));
  CHECK(in.channel("positions")[0].at("data").empty());
  CHECK(in.channel("account")[0].at("data")[0].at("details")[0].at("cashBal") == "200000");
  const auto a = s.f.post("/api/v5/trade/order", {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "10"}, {"clOrdId", "sw1"}}, s.f.alice);
  REQUIRE(a.code() == "0");
  REQUIRE(wait_for([&] { return in.channel("positions").size() >= 2 && in.channel("account").size() >= 2 && in.channel("orders").size() >= 2; }));
  const auto orders = in.channel("orders");
  const auto& live = orders[0].at("data")[0];
  CHECK(orders[0].at("arg").at("instType") == "ANY");
  CHECK(!orders[0].at("arg").at("uid").get<std::string>().empty());
  CHECK(live.at("state") == "live");
  CHECK(live.at("clOrdId") == "sw1");
  const auto& fill = orders[1].at("data")[0];
  CHECK(fill.at("state") == "filled");
  CHECK(fill.at("ordId") == a.first().at("ordId"));
  CHECK(fill.at("instType") == "SWAP");
  CHECK(fill.at("fillSz") == "10");
  CHECK(fill.at("accFillSz") == "10");
  CHECK(fill.at("fillPx") == "60001");
  CHECK(fill.at("avgPx") == "60001");
  CHECK(fill.at("execType") == "T");
  CHECK(!fill.at("tradeId").get<std::string>().empty());
  // 0.05 % of 0.1 BTC x 60001 = 3.00005 USDT charged.
  CHECK(fill.at("fillFee") == "-3.00005");
  CHECK(fill.at("fee") == "-3.00005");
  CHECK(fill.at("feeCcy") == "USDT");
  const auto pos = in.channel("positions").back().at("data")[0];
  CHECK(pos.at("instId") == "BTC-USDT-SWAP");
  CHECK(pos.at("pos") == "10");
  CHECK(pos.at("avgPx") == "60001");
  CHECK(pos.at("posSide") == "net");
  CHECK(pos.at("tradeId") == fill.at("tradeId"));
  const auto acct = in.channel("account").back().at("data")[0].at("details");
  REQUIRE(acct.size() == 1);
  CHECK(acct[0].at("ccy") == "USDT");
  CHECK(acct[0].at("cashBal") == "199996.99995");
  // A SPOT order: pushed on the ANY subscription, no position push.
  const std::size_t positions_before = in.channel("positions").size();
  REQUIRE(s.f.post("/api/v5/trade/order", {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "limit"}, {"sz", "0.01"}, {"px", "50000"}}, s.f.alice).code() == "0");
  REQUIRE(wait_for([&] { return in.channel("orders").size() >= 3; }));
  CHECK(in.channel("orders")[2].at("data")[0].at("instType") == "SPOT");
  CHECK(in.channel("orders")[2].at("data")[0].at("state") == "live");
  std::this_thread::sleep_for(50ms);
  CHECK(in.channel("positions").size() == positions_before);
  // Bob's orders never reach Alice.
  REQUIRE(s.f.post("/api/v5/trade/order", {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "limit"}, {"sz", "0.01"}, {"px", "50000"}}, s.f.bob).code() == "0");
  std::this_thread::sleep_for(50ms);
  CHECK(in.channel("orders").size() == 3);
}
