// Shared steps of the omsd end-to-end tests: omsctl with --json, waits, and the comparison of
// omsd's view of an account with the venue's books.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stack.hpp"
#include "venue_view.hpp"

namespace oms::omsd::test {

using namespace std::chrono_literals;

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

// Now (UTC) in a strftime format.
inline std::string utc_now_text(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// omsctl --json ARGS: the parsed document (exit 0, or 3 = refused by the daemon).
inline nlohmann::json omsctl_json(const Stack& s, std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  const auto r = s.omsctl(args);
  INFO("omsctl stderr: " << r.err);
  REQUIRE((r.code == 0 || r.code == 3));
  return nlohmann::json::parse(r.out);
}

inline nlohmann::json submit(const Stack& s, const std::string& id, const std::string& side,
                             const std::string& qty, const std::string& price,
                             const std::string& type = "limit") {
  std::vector<std::string> args{"submit", "--account", "binance_main", "--instrument", "BTC/USDT",
                                "--side", side, "--qty", qty, "--type", type, "--id", id};
  if (!price.empty()) {
    args.push_back("--price");
    args.push_back(price);
  }
  return omsctl_json(s, args);
}

inline std::string status_of(const nlohmann::json& orders, const std::string& id) {
  for (const auto& o : orders)
    if (o.at("client_order_id") == id) return o.at("status");
  return "<absent>";
}

// Polls omsctl orders (binance_main by default) until pred holds; fails the test after 30 s.
inline nlohmann::json wait_orders(const Stack& s, const std::function<bool(const nlohmann::json&)>& pred,
                                  const std::string& account = "binance_main") {
  nlohmann::json orders;
  const bool ok = wait_until([&] {
    orders = omsctl_json(s, {"orders", "--account", account}).at("orders");
    return pred(orders);
  }, 30s);
  REQUIRE_MESSAGE(ok, orders.dump());
  return orders;
}

// No order waits for the venue, and nothing changed over three polls.
inline bool pending(const std::string& st) {
  return st == "pending_submit" || st == "submitted" || st == "pending_cancel" ||
         st == "pending_amend" || st == "unknown";
}
inline nlohmann::json wait_quiet(const Stack& s, const std::string& account = "binance_main") {
  nlohmann::json last;
  int stable = 0;
  const bool ok = wait_until([&] {
    auto orders = omsctl_json(s, {"orders", "--account", account}).at("orders");
    bool any = false;
    for (const auto& o : orders) any = any || pending(o.at("status"));
    stable = (!any && orders == last) ? stable + 1 : 0;
    last = std::move(orders);
    return stable >= 3;
  }, 60s);
  REQUIRE_MESSAGE(ok, last.dump());
  return last;
}

// Down to the price step (at 1e-9): 0.01 by default (Binance spot BTCUSDT); USD-M BTCUSDT steps 0.1.
inline Decimal tick(Int128 raw, Int128 step = 10'000'000) { return Decimal::from_raw(raw - raw % step); }

inline Decimal wait_mid(VenueView& venue) {
  Decimal mid;
  REQUIRE(wait_until([&] { mid = venue.mid(); return mid.is_positive(); }, 20s));
  return mid;
}

// omsd's orders of one instrument equal the venue's (status, cum qty; none missing on either
// side); returns how many omsd has with a venue order id.
inline std::size_t check_orders_agree(const nlohmann::json& orders, const std::string& instrument,
                                      const std::map<std::string, VenueOrder>& venue_orders) {
  std::size_t with_venue_id = 0;
  for (const auto& o : orders) {
    if (o.at("instrument") != instrument) continue;
    const std::string id = o.at("client_order_id");
    const auto it = venue_orders.find(id);
    if (o.at("venue_order_id") == "") {
      // Never reached the venue: refused before it left (risk, balance) or unknown to it.
      CHECK_MESSAGE(o.at("status") == "rejected", id);
      CHECK_MESSAGE(it == venue_orders.end(), id);
      continue;
    }
    ++with_venue_id;
    REQUIRE_MESSAGE(it != venue_orders.end(), "omsd has " << id << ", the venue does not");
    CHECK_MESSAGE(o.at("status") == it->second.status, id);
    CHECK_MESSAGE(o.at("cum_qty") == it->second.cum_qty, id);
  }
  return with_venue_id;
}

// Runs omsctl ARGS and SIGKILLs omsd `delay` after it started -- while the command may be
// anywhere: not yet received, committed, sent, acknowledged; the client never hangs.
inline void kill_during(Stack& s, const std::vector<std::string>& args, const std::string& id,
                        std::chrono::milliseconds delay) {
  std::vector<std::string> argv{OMSCTL_BIN, "--json", "--address",
                                "127.0.0.1:" + std::to_string(s.grpc_port()), "--data",
                                s.data().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  testkit::ChildProcess client(argv, s.data() / ("omsctl-" + id + ".err"));
  std::this_thread::sleep_for(delay);
  s.kill_omsd();
  CHECK(client.wait(30s) != -1);  // answered or refused (UNAVAILABLE): never hangs
}

// omsd's orders, fills and balances of binance_main on BTC/USDT equal the venue's.
inline void check_agree(const Stack& s, VenueView& venue) {
  const auto orders = wait_quiet(s);
  const auto venue_orders = venue.orders();
  const std::size_t with_venue_id = check_orders_agree(orders, "BTC/USDT", venue_orders);
  // No ghost: every venue order is known to omsd.
  for (const auto& [id, vo] : venue_orders) {
    CHECK_MESSAGE(status_of(orders, id) != "<absent>", "the venue has " << id << ", omsd does not");
  }
  CHECK(with_venue_id == venue_orders.size());
  // Fills: the same trade ids, prices, quantities and fees.
  const auto fills = omsctl_json(s, {"fills", "--account", "binance_main"}).at("fills");
  const auto trades = venue.trades();
  std::size_t ours = 0;
  for (const auto& f : fills) {
    if (f.at("instrument") != "BTC/USDT") continue;
    ++ours;
    const auto it = trades.find(f.at("trade_id"));
    REQUIRE_MESSAGE(it != trades.end(), f.dump());
    CHECK(f.at("price") == it->second.price);
    CHECK(f.at("quantity") == it->second.quantity);
    CHECK(f.at("fee") == it->second.fee);
  }
  CHECK(ours == trades.size());
  // Balances, free and locked, per asset.
  const auto balances = omsctl_json(s, {"balances", "--account", "binance_main"}).at("balances");
  for (const auto& [asset, fl] : venue.balances()) {
    bool found = false;
    for (const auto& b : balances) {
      if (b.at("market") != "spot" || b.at("asset") != asset) continue;
      found = true;
      CHECK_MESSAGE(b.at("free") == fl.first, asset);
      CHECK_MESSAGE(b.at("locked") == fl.second, asset);
    }
    CHECK_MESSAGE(found, asset);
  }
}

// No paper key or secret appears in omsd's or venue-sim's logs.
inline void check_no_secrets(const Stack& s) {
  std::ifstream in(s.data() / "paper-keys.json");
  const auto keys = nlohmann::json::parse(in);
  std::vector<std::string> logs;
  for (const auto& p : {s.omsd_log(), s.venue_log(), s.data() / "log" / "omsd.log"}) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    logs.push_back(ss.str());
  }
  for (const auto& [name, k] : keys.items()) {
    for (const char* field : {"api_key", "api_secret"}) {
      const std::string secret = k.at(field);
      for (const auto& text : logs) CHECK_MESSAGE(text.find(secret) == std::string::npos, name);
    }
  }
}

}  // namespace oms::omsd::test
