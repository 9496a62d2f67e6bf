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
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "oms/cores/position_core.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/stream_layout.hpp"
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

// A decimal from its text (a test's literal, omsd's or venue-sim's JSON); fails the test when it
// does not parse.
inline Decimal dec(const std::string& text) {
  const auto v = Decimal::parse(text);
  REQUIRE_MESSAGE(v.ok(), "not a decimal: '" << text << "'");
  return *v;
}
inline Decimal plus(Decimal a, const std::string& b) { return Decimal::from_raw(a.raw() + dec(b).raw()); }
inline Decimal minus(Decimal a, const std::string& b) { return Decimal::from_raw(a.raw() - dec(b).raw()); }

// venue-sim's free USDT of the account it views (zero when it holds none).
inline Decimal venue_usdt(VenueView& v) {
  const auto b = v.balances();
  const auto it = b.find("USDT");
  return it == b.end() ? Decimal{} : dec(it->second.first);
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

// ---- two accounts, two markets: positions and PnL; the store's records ----------------------

// One account's instrument as omsd and the venue name it.
struct Leg {
  std::string account, entry, instrument;  // entry: paper-keys.json's (VenueView)
  Market market;
};

// binance_main and binance_basis, each on spot BTC/USDT and USD-M BTC/USDT:USDT.
inline const std::vector<Leg>& two_account_legs() {
  static const std::vector<Leg> all{
      {"binance_main", "binance_main", "BTC/USDT", Market::kSpot},
      {"binance_main", "binance_main.usdm", "BTC/USDT:USDT", Market::kUsdm},
      {"binance_basis", "binance_basis", "BTC/USDT", Market::kSpot},
      {"binance_basis", "binance_basis.usdm", "BTC/USDT:USDT", Market::kUsdm}};
  return all;
}

// The venue's trades folded into a PositionCore, in the venue's trade order.
inline actors::PositionCore::Leg replay_fills(const std::vector<FillReceived>& fills, Market market) {
  std::vector<Instrument> ins(1);
  ins[0].id = InstrumentId(0);
  ins[0].market = market;
  ins[0].symbol.base = "BTC";
  ins[0].symbol.quote = "USDT";
  if (market == Market::kUsdm) ins[0].symbol.settle = "USDT";
  ins[0].venue_symbol = "BTCUSDT";
  const auto table = *actors::InstrumentTable::from(ins);
  actors::PositionCore core(table, 1);
  for (FillReceived f : fills) {
    f.account = AccountId(0);
    f.instrument = InstrumentId(0);
    REQUIRE(core.on_fill(f).ok());
  }
  const auto* leg = core.net(AccountId(0), InstrumentId(0));
  return leg != nullptr ? *leg : actors::PositionCore::Leg{};
}

inline std::string e18_text(Int128 v) {
  Decimal d;
  REQUIRE(actors::round_e18(v, d));
  return d.to_string();
}

// One leg, omsd against the venue: orders (no ghost on either side), fills (the same trades,
// once each), the position's size, realized PnL and fees as the venue's trades give them when
// folded in the venue's own trade order (USD-M: the size is the venue's position too).
inline void check_leg(const Stack& s, const Leg& leg, VenueView& venue) {
  INFO(leg.account << " " << leg.instrument);
  const auto orders = wait_quiet(s, leg.account);
  const auto venue_orders = venue.orders();
  CHECK(check_orders_agree(orders, leg.instrument, venue_orders) == venue_orders.size());
  const auto venue_fills = venue.fills();
  std::set<std::string> venue_trades;
  for (const auto& f : venue_fills) venue_trades.insert(f.trade_id.str());
  std::set<std::string> our_trades;
  const auto fills = omsctl_json(s, {"fills", "--account", leg.account});
  for (const auto& f : fills.at("fills")) {
    if (f.at("instrument") != leg.instrument) continue;
    CHECK_MESSAGE(our_trades.insert(f.at("trade_id")).second, f.dump());
  }
  CHECK_MESSAGE(our_trades == venue_trades,
                "omsd " << our_trades.size() << " trades, the venue " << venue_trades.size());
  const auto expected = replay_fills(venue_fills, leg.market);
  nlohmann::json ours_leg;
  const auto positions = omsctl_json(s, {"positions", "--account", leg.account});
  for (const auto& p : positions.at("positions")) {
    if (p.at("instrument") == leg.instrument) ours_leg = p;
  }
  if (venue_fills.empty()) {
    CHECK((ours_leg.is_null() || ours_leg.at("size") == "0"));
    return;
  }
  REQUIRE_MESSAGE(!ours_leg.is_null(), "no position for " << leg.instrument << " in " << positions.dump());
  CHECK(ours_leg.at("size") == expected.position.size.to_string());
  CHECK(ours_leg.at("realized_pnl") == e18_text(expected.position.realized_e18));
  CHECK(ours_leg.at("fees") == e18_text(expected.fees_e18));
  if (leg.market == Market::kUsdm) {
    CHECK(ours_leg.at("size") == venue.position().first.to_string());
  }
}

// A spot account's balances, free and locked per asset, equal the venue's.
inline void check_spot_balances(const Stack& s, const std::string& account, VenueView& venue) {
  const auto balances = omsctl_json(s, {"balances", "--account", account}).at("balances");
  for (const auto& [asset, fl] : venue.balances()) {
    bool found = false;
    for (const auto& b : balances) {
      if (b.at("market") != "spot" || b.at("asset") != asset) continue;
      found = true;
      CHECK_MESSAGE(b.at("free") == fl.first, account << " " << asset);
      CHECK_MESSAGE(b.at("locked") == fl.second, account << " " << asset);
    }
    CHECK_MESSAGE(found, account << " " << asset);
  }
}

// Every stream of the accounts' layout read from the store: its records, how many event ids
// were stored more than once, and each account's fills by "instrument/trade id" with how often
// each was stored.
struct StoreCount {
  std::map<std::string, std::size_t> records, duplicate_ids;
  std::map<std::string, std::map<std::string, int>> trade_ids;  // by account
};

// options: the store as omsd opened it (the duplicate window the streams keep, a retry
// deadline it must outlast); nats_options() with omsd's defaults unless the test changed them.
inline StoreCount count_store(const std::vector<std::string>& accounts,
                              persistence::JetStreamOptions options) {
  std::vector<persistence::StreamLayout::AccountRef> refs;
  for (const auto& a : accounts) refs.push_back({ExchangeId::kBinance, a});
  const persistence::StreamLayout layout(refs, {ExchangeId::kBinance});
  auto store = persistence::JetStreamStore::open(layout, options);
  REQUIRE_MESSAGE(store.ok(), store.error().message);
  StoreCount out;
  for (const auto& spec : layout.streams()) {
    std::string account;
    for (const auto& a : accounts) {
      if (spec.name == persistence::StreamLayout::account_stream(ExchangeId::kBinance, a)) account = a;
    }
    std::set<EventId> ids;
    auto n = (*store)->read(persistence::ReadRequest{spec.name, 1, 0, ""}, [&](const persistence::StoredRecord& r) {
      if (!ids.insert(r.msg_id).second) ++out.duplicate_ids[spec.name];
      if (!account.empty() && r.payload.find("\"type\":\"FillReceived\"") != std::string_view::npos) {
        const auto j = nlohmann::json::parse(r.payload);
        ++out.trade_ids[account][j.at("instrument").get<std::string>() + "/" + j.at("trade_id").get<std::string>()];
      }
      return true;
    });
    REQUIRE_MESSAGE(n.ok(), spec.name << ": " << n.error().message);
    out.records[spec.name] = *n;
  }
  return out;
}

// The store holds every event once: no event id twice in any stream of the accounts, every
// fill's trade once.
inline void check_store_once(const StoreCount& stored) {
  for (const auto& [stream, dup] : stored.duplicate_ids) CHECK_MESSAGE(dup == 0, stream);
  for (const auto& [account, trades] : stored.trade_ids) {
    for (const auto& [trade, times] : trades) CHECK_MESSAGE(times == 1, account << " " << trade);
  }
}

}  // namespace oms::omsd::test
