// Fills the venue executed after telling us it did not know the order (issue: nothing lost
// under faults). venue-sim's late_exec fault answers every new order 503 -1007 ("execution
// status unknown"), knows nothing of it for 2.5 s -- a status query answers -2013 -- then
// executes it. omsd's ack timer (300 ms here) asks several times inside that window.
#include <doctest/doctest.h>

#include <fstream>
#include <thread>
#include <iterator>

#include "oms/connectors/net/https_client.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// A stack whose venue bans the IP at the third new order (each venue counts its own) for 4 s,
// and no strategy sends orders of its own: the orders counted are the test's.
StackOptions banning_venue() {
  StackOptions o;
  o.venue_flags = {"--random-walk", "17", "--walk-interval-ms", "50", "--seed", "9",
                   "--faults", "ban_after=3,ban_s=4"};
  o.edit_configs = [](const std::filesystem::path& configs) {
    std::string text = testkit::read_file(configs / "strategies.yaml");
    for (std::size_t at; (at = text.find("enabled: true")) != std::string::npos;) text.replace(at, 13, "enabled: false");
    std::ofstream(configs / "strategies.yaml") << text;
  };
  return o;
}

StackOptions late_venue(std::vector<std::string> omsd_flags) {
  StackOptions o;
  o.venue_flags = {"--random-walk", "11", "--walk-interval-ms", "50", "--seed", "5",
                   "--faults", "late_exec=1,late_ms=2500"};
  o.omsd_flags = {"--ack-timeout-ms", "300"};
  o.omsd_flags.insert(o.omsd_flags.end(), omsd_flags.begin(), omsd_flags.end());
  return o;
}

// A market buy, a resting limit buy under the market and a market sell: every one answered
// -1007, unknown when asked, executed 2.5 s later. Returns whether any of them was seen
// rejected on the way (omsctl polled all along).
bool trade_through_the_fault(Stack& s, VenueView& venue, const std::string& tag) {
  const Decimal mid = wait_mid(venue);
  for (const auto& [id, side, price, type] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {tag + "-1", "buy", "", "market"},
           {tag + "-2", "buy", tick(mid.raw() - mid.raw() / 200).to_string(), "limit"},
           {tag + "-3", "sell", "", "market"}}) {
    auto r = submit(s, id, side, "0.001", price, type);
    REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  }
  // The venue has none of them yet: the queries in the first 2.5 s answer -2013.
  CHECK(venue.orders().empty());
  bool rejected = false;
  wait_orders(s, [&](const nlohmann::json& o) {
    for (const char* n : {"-1", "-2", "-3"}) rejected = rejected || status_of(o, tag + n) == "rejected";
    return status_of(o, tag + "-1") == "filled" && status_of(o, tag + "-2") == "accepted" &&
           status_of(o, tag + "-3") == "filled";
  });
  CHECK(venue.orders().size() == 3);
  return rejected;
}

// omsd's daily trades file of binance_main (today, UTC) holds every fill of the account's stream,
// each as {"seq":N,"event":<stored>}, in stream order.
void check_trades_file(Stack& s) {
  const persistence::StreamLayout layout({{ExchangeId::kBinance, "binance_main"}}, {ExchangeId::kBinance});
  auto store = persistence::JetStreamStore::open(layout, s.nats_options("omsd-faults-test"));
  REQUIRE_MESSAGE(store.ok(), store.error().message);
  std::string want;
  auto n = (*store)->read(persistence::ReadRequest{"ACCOUNT_binance_binance_main", 1, 0, ""},
                          [&](const persistence::StoredRecord& r) {
                            if (r.payload.find("\"type\":\"FillReceived\"") != std::string_view::npos) {
                              want += "{\"seq\":" + std::to_string(r.sequence) + ",\"event\":" +
                                      std::string(r.payload) + "}\n";
                            }
                            return true;
                          });
  REQUIRE(n.ok());
  std::ifstream in(s.data() / "logs" / utc_now_text("%Y/%m/%d") / "binance_main" / "trades.jsonl",
                  std::ios::binary);
  const std::string got{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK(!want.empty());
  CHECK(got == want);
}

}  // namespace

TEST_CASE("faults: orders the venue did not know when asked, then executed, stay in doubt and end as the venue has them; nothing is lost") {
  Stack s(late_venue({}));  // the default time to live (120 s)
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  // In doubt while the venue does not know them: never seen rejected on the way.
  CHECK_FALSE(trade_through_the_fault(s, venue, "LX"));
  (void)omsctl_json(s, {"cancel", "--account", "binance_main", "--instrument", "BTC/USDT", "--id", "LX-2"});
  wait_orders(s, [](const nlohmann::json& o) { return status_of(o, "LX-2") == "canceled"; });
  check_agree(s, venue);
  CHECK(s.stop_omsd() == 0);
  // The daily trades file (written from the store) holds the same fills.
  check_trades_file(s);
}

TEST_CASE("faults: with no time to live the first unknown answer rejects the order -- and when the venue executes it after all, its fills are kept and it ends as the venue has it") {
  Stack s(late_venue({"--in-doubt-ttl", "0"}));
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  auto r = submit(s, "LZ-1", "buy", "0.001", "", "market");
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  r = submit(s, "LZ-2", "buy", "0.001", tick(mid.raw() - mid.raw() / 200).to_string());
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  // First rejected (the venue said it does not know them) ...
  wait_orders(s, [](const nlohmann::json& o) {
    return status_of(o, "LZ-1") == "rejected" && status_of(o, "LZ-2") == "rejected";
  });
  // ... then the venue's execution overturns that: filled, and resting.
  wait_orders(s, [](const nlohmann::json& o) {
    return status_of(o, "LZ-1") == "filled" && status_of(o, "LZ-2") == "accepted";
  });
  (void)omsctl_json(s, {"cancel", "--account", "binance_main", "--instrument", "BTC/USDT", "--id", "LZ-2"});
  wait_orders(s, [](const nlohmann::json& o) { return status_of(o, "LZ-2") == "canceled"; });
  check_agree(s, venue);
  CHECK(s.stop_omsd() == 0);
}

namespace {

// The OrderRejected record of `id` in binance_main's stream (omsd stopped), as stored.
std::string stored_rejection(const Stack& s, const std::string& id) {
  const persistence::StreamLayout layout({{ExchangeId::kBinance, "binance_main"}}, {ExchangeId::kBinance});
  auto store = persistence::JetStreamStore::open(layout, s.nats_options("omsd-faults-test"));
  REQUIRE_MESSAGE(store.ok(), store.error().message);
  std::string rejection;
  REQUIRE((*store)->read(persistence::ReadRequest{"ACCOUNT_binance_binance_main", 1, 0, ""},
                         [&](const persistence::StoredRecord& rec) {
                           if (rec.payload.find("\"type\":\"OrderRejected\"") != std::string_view::npos &&
                               rec.payload.find("\"" + id + "\"") != std::string_view::npos) {
                             rejection = std::string(rec.payload);
                           }
                           return true;
                         }).ok());
  return rejection;
}

}  // namespace

TEST_CASE("faults: an order the crash kept from the venue is not sent after a restart past its time to live; it ends rejected with the reason") {
  StackOptions o;
  // Every new order's connection is dropped unexecuted: omsd cannot tell whether it left.
  o.venue_flags = {"--random-walk", "13", "--walk-interval-ms", "50", "--seed", "7",
                   "--faults", "drop_new=1"};
  o.omsd_flags = {"--in-doubt-ttl", "2"};  // the ack timeout stays 5 s: no answer before the kill
  Stack s(o);
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  (void)wait_mid(venue);
  auto r = submit(s, "DR-1", "buy", "0.001", "", "market");
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  std::this_thread::sleep_for(500ms);
  s.kill_omsd();
  std::this_thread::sleep_for(2500ms);  // down longer than the order's time to live
  s.start_omsd();
  // Reconciliation: the venue does not know it; too old to send now.
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "DR-1") == "rejected"; });
  CHECK(venue.orders().count("DR-1") == 0);
  CHECK(s.stop_omsd() == 0);
  // The reason is in the account's stream.
  const std::string rejection = stored_rejection(s, "DR-1");
  INFO(rejection);
  CHECK(rejection.find("\"code\":3013") != std::string::npos);
  CHECK(rejection.find("not resent after a restart: the venue never had it") != std::string::npos);
}

TEST_CASE("faults: an order the crash kept from the venue, while the market moved 5 %: the restart resends it only after risk checked it at the first price since the restart -- refused by the price band, never at the venue") {
  StackOptions o;
  // Every new order's connection is dropped unexecuted; SIGUSR1 moves the books 5 % up.
  o.venue_flags = {"--random-walk", "13", "--walk-interval-ms", "50", "--seed", "7",
                   "--faults", "drop_new=1", "--shock-bps", "500"};
  Stack s(o);  // --in-doubt-ttl: omsd's default, 120 s
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  // 0.2 % under the mid: inside every price band of risk.yaml.
  const std::string price = tick(mid.raw() - mid.raw() / 500).to_string();
  auto r = submit(s, "SH-1", "buy", "0.001", price);
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  std::this_thread::sleep_for(500ms);  // sent, its connection dropped; no answer before the kill
  s.kill_omsd();
  s.shock_venue();
  Decimal moved;
  REQUIRE(wait_until([&] {
    moved = venue.mid();
    return moved.raw() > mid.raw() + mid.raw() / 25;  // 4 % and more up: the shock is in the books
  }, 10s));
  MESSAGE("mid " << mid.to_string() << " -> " << moved.to_string() << "; the order's price " << price);
  s.start_omsd();
  // The venue does not know it; risk at today's price says no.
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "SH-1") == "rejected"; });
  CHECK(venue.orders().count("SH-1") == 0);
  CHECK(s.stop_omsd() == 0);
  const std::string rejection = stored_rejection(s, "SH-1");
  INFO(rejection);
  CHECK(rejection.find("\"code\":2009") != std::string::npos);
  CHECK(rejection.find("not resent after a restart: risk 2009: price band") != std::string::npos);
  // Whether the venue's answer came before the first price (then the resend waited for it: without
  // that wait risk had no price to check against, and refused 2017) or after, the refusal is the
  // price band's. engine_resend_test.cpp orders the two for certain.
  const bool waited = testkit::read_file(s.omsd_log()).find("its resend waits for a market price of BTC/USDT") != std::string::npos;
  MESSAGE("the resend " << (waited ? "waited for the first price" : "found a price already"));
}

TEST_CASE("faults: the venue bans the IP (418) -- orders for it are refused with the ban and its end, nothing is sent meanwhile, trading resumes by itself when it ends") {
  // The third new order is answered 418 and bans the market's IP for 4 s.
  Stack s(banning_venue());
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  const std::string below = tick(mid.raw() - mid.raw() / 200).to_string();  // rests 0.5 % under
  const auto error_of = [](const nlohmann::json& orders, const std::string& id) -> std::string {
    for (const auto& order : orders)
      if (order.at("client_order_id") == id) return order.at("error");
    return "<absent>";
  };
  for (const char* id : {"BAN-1", "BAN-2", "BAN-3", "BAN-4"}) {
    const auto r = submit(s, id, "buy", "0.001", below);
    REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
    // Each answered before the next: BAN-3 meets the ban, BAN-4 comes while it lasts.
    wait_orders(s, [&](const nlohmann::json& list) {
      const auto st = status_of(list, id);
      return st == "accepted" || st == "rejected";
    });
  }
  const auto banned = wait_orders(s, [](const nlohmann::json&) { return true; });
  CHECK(status_of(banned, "BAN-1") == "accepted");
  CHECK(status_of(banned, "BAN-2") == "accepted");
  // The order the venue answered 418: rejected with the venue's words and the ban's end ...
  CHECK(status_of(banned, "BAN-3") == "rejected");
  CHECK_MESSAGE(error_of(banned, "BAN-3").find("HTTP 418") != std::string::npos, error_of(banned, "BAN-3"));
  CHECK(error_of(banned, "BAN-3").find("banned until") != std::string::npos);
  // ... and the next one never sent: refused naming the ban and when it frees.
  CHECK(status_of(banned, "BAN-4") == "rejected");
  CHECK_MESSAGE(error_of(banned, "BAN-4").find("not sent, 418 ban") != std::string::npos, error_of(banned, "BAN-4"));
  CHECK(error_of(banned, "BAN-4").find("frees at") != std::string::npos);
  // /health says why while the ban lasts.
  std::string health;
  CHECK(wait_until([&] {
    health = s.http_get("/health/binance/binance_main").second;
    return health.find("banned this IP (HTTP 418)") != std::string::npos;
  }, 5s));
  CHECK_MESSAGE(nlohmann::json::parse(health).at("status") == "degraded", health);
  // The ban ends (4 s): orders go out again, nothing for an operator to do.
  std::this_thread::sleep_for(4s);
  const auto r5 = submit(s, "BAN-5", "buy", "0.001", below);
  REQUIRE_MESSAGE(r5.at("accepted") == true, r5.dump());
  wait_orders(s, [](const nlohmann::json& list) { return status_of(list, "BAN-5") == "accepted"; });
  // (asked after the ban: venue-sim bans every client of the address, this test's too)
  const auto at_venue = venue.orders();
  CHECK(at_venue.size() == 3);
  CHECK(at_venue.count("BAN-3") == 0);
  CHECK(at_venue.count("BAN-4") == 0);
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("faults: Bybit bans the IP (HTTP 403, no end named) -- orders for it are refused naming the ban and its end (exchanges.yaml ip_ban_s), /health says why, trading resumes by itself") {
  // The third Bybit order (POST /v5/order/create) is answered 403 and bans venue-sim's IP for 4 s.
  StackOptions o = banning_venue();
  o.edit_configs = [no_strategies = o.edit_configs](const std::filesystem::path& configs) {
    no_strategies(configs);
    // Bybit names no end: omsd holds off ip_ban_s (its default, 600 s, is past the test).
    std::string ex = testkit::read_file(configs / "exchanges.yaml");
    const std::string from = "  bybit:\n    enabled: true\n";
    const auto at = ex.find(from);
    REQUIRE(at != std::string::npos);
    ex.replace(at, from.size(), from + "    ip_ban_s: 4\n");
    std::ofstream(configs / "exchanges.yaml") << ex;
  };
  Stack s(o);
  s.start_omsd();
  // Bybit's best bid, from its public book (the walk moves it; 0.5 % under rests).
  const auto bid = [&] {
    net::HttpsClient client({"127.0.0.1", static_cast<std::uint16_t>(s.venue_port())},
                            net::TlsClientConfig{(s.data() / "tls" / "ca.pem").string()});
    Decimal best;
    REQUIRE(wait_until([&] {
      auto r = client.request(net::HttpRequest{"GET", "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1", {}, {}, 5s});
      if (!r || r->status != 200) return false;
      const auto j = nlohmann::json::parse(r->body);
      if (j.at("result").at("b").empty()) return false;
      best = dec(j.at("result").at("b").at(0).at(0));
      return best.is_positive();
    }, 20s));
    return best;
  }();
  const std::string below = tick(bid.raw() - bid.raw() / 200).to_string();
  const auto place = [&](const std::string& id) {
    return omsctl_json(s, {"submit", "--account", "bybit_main", "--instrument", "BTC/USDT", "--side", "buy",
                           "--qty", "0.001", "--type", "limit", "--price", below, "--id", id});
  };
  const auto error_of = [](const nlohmann::json& orders, const std::string& id) -> std::string {
    for (const auto& order : orders)
      if (order.at("client_order_id") == id) return order.at("error");
    return "<absent>";
  };
  for (const char* id : {"BB-1", "BB-2", "BB-3", "BB-4"}) {
    const auto r = place(id);
    REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
    wait_orders(s, [&](const nlohmann::json& list) {
      const auto st = status_of(list, id);
      return st == "accepted" || st == "rejected";
    }, "bybit_main");
  }
  const auto banned = wait_orders(s, [](const nlohmann::json&) { return true; }, "bybit_main");
  CHECK(status_of(banned, "BB-1") == "accepted");
  CHECK(status_of(banned, "BB-2") == "accepted");
  // The order the venue answered 403: rejected with the ban and its end ...
  CHECK(status_of(banned, "BB-3") == "rejected");
  CHECK_MESSAGE(error_of(banned, "BB-3").find("HTTP 403, the venue banned this IP until") != std::string::npos,
                error_of(banned, "BB-3"));
  // ... and the next one never sent: refused naming the ban and when it frees.
  CHECK(status_of(banned, "BB-4") == "rejected");
  CHECK_MESSAGE(error_of(banned, "BB-4").find("not sent, bybit spot's IP ban (HTTP 403) frees at") != std::string::npos,
                error_of(banned, "BB-4"));
  std::string health;
  CHECK(wait_until([&] {
    health = s.http_get("/health/bybit/bybit_main").second;
    return health.find("banned this IP (HTTP 403)") != std::string::npos;
  }, 5s));
  CHECK_MESSAGE(nlohmann::json::parse(health).at("status") == "degraded", health);
  // The ban ends (4 s): orders go out again.
  std::this_thread::sleep_for(4s);
  const auto r5 = place("BB-5");
  REQUIRE_MESSAGE(r5.at("accepted") == true, r5.dump());
  wait_orders(s, [](const nlohmann::json& list) { return status_of(list, "BB-5") == "accepted"; }, "bybit_main");
  CHECK(s.stop_omsd() == 0);
}
