// The strategy stage in the daemon: a basis pair in strategies.yaml (spot BTC/USDT against the
// USD-M perpetual, `legs`) trades on venue-sim replaying the recorded BTCUSDT streams. Each
// signal sends both legs down the one order path (risk, desk, journal, encode + sign on the
// shard); omsd and the venue agree on every order and fill of both legs; each order is the
// strategy's and was traced from its depth message to the socket.
#include <doctest/doctest.h>

#include <set>
#include <sstream>

#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;


namespace {

// The strategy's PnL (omsctl strategy show, quote USDT) is its fills' (it trades `account` alone):
// realized PnL minus the cost still open equals the fills' cash flow (average cost: what a close
// releases cancels out), exactly but for the figures' 1e-9 (the entry price per unit, realized
// PnL); its fees are their sum; net = realized + unrealized - fees.
void check_pnl_is_fills(Stack& s, const std::string& strategy, const std::string& account,
                        const nlohmann::json& fills) {
  const auto dec = [](const nlohmann::json& v) { return *Decimal::parse(v.get<std::string>()); };
  Int128 cash = 0;  // scale 1e-18
  Decimal fee_sum;
  for (const auto& f : fills) {
    const Int128 flow = dec(f.at("quantity")).raw() * dec(f.at("price")).raw();
    cash += f.at("side") == "sell" ? flow : -flow;
    if (f.at("fee_asset") == "USDT") fee_sum = *fee_sum.add(dec(f.at("fee")));
  }
  const auto shown = omsctl_json(s, {"strategy", "show", strategy});
  const auto positions = omsctl_json(s, {"positions", "--account", account});
  // On a failure: the figures, and what omsd said of its accounts (a refusal, a rebuild).
  std::string text = shown.dump() + "\n" + positions.dump() + "\n";
  std::istringstream log(testkit::read_file(s.omsd_log()));
  for (std::string line; std::getline(log, line);) {
    if (line.find("refused") != std::string::npos || line.find("rebuilt") != std::string::npos) text += line + "\n";
  }
  INFO(text);
  Int128 open_cost = 0, tolerance = 500'000'000;  // 1e-18: realized PnL's rounding
  for (const auto& p : positions.at("positions")) {
    const Decimal size = dec(p.at("size"));
    if (size.is_zero()) continue;
    open_cost += size.raw() * dec(p.at("entry_price")).raw();
    tolerance += (size.raw() < 0 ? -size.raw() : size.raw()) / 2;  // |size| x 0.5e-9
  }
  const nlohmann::json* usdt = nullptr;
  for (const auto& p : shown.at("strategies")[0].at("pnl")) {
    if (p.at("quote") == "USDT") usdt = &p;
  }
  if (fills.empty() && usdt == nullptr) return;  // never traded: no figures
  REQUIRE(usdt != nullptr);
  const Decimal realized = dec(usdt->at("realized")), unrealized = dec(usdt->at("unrealized"));
  const Decimal fees = dec(usdt->at("fees")), net = dec(usdt->at("net"));
  CHECK(fees == fee_sum);
  CHECK(net == *realized.add(unrealized)->sub(fees));
  const Int128 off = realized.raw() * Decimal::kOne - open_cost - cash;
  CHECK_MESSAGE((off < 0 ? -off : off) <= tolerance,
                "realized " << realized.to_string() << ", fills' cash flow "
                            << Decimal::from_raw(cash / Decimal::kOne).to_string() << ", open cost "
                            << Decimal::from_raw(open_cost / Decimal::kOne).to_string());
}

}  // namespace

TEST_CASE("paper stack: a basis pair in strategies.yaml trades both legs through the engine; omsd and the venue agree") {
  const std::filesystem::path shared = OMS_DEFAULT_SHARED_DATA "/hftbacktest";
  const auto spot = shared / "spot_btcusdt_20240808.gz";
  const auto usdm = shared / "usdm_btcusdt_20240808.gz";
  REQUIRE_MESSAGE(std::filesystem::exists(usdm), usdm.string());
  StackOptions o;
  o.venue_flags = {"--replay", spot.string(), usdm.string(), "--speed", "1"};
  o.venue_config = basis_pair_venue_config();
  Stack s(o);
  const auto cfg = s.configs();
  // perp_arbitrage: the basis pair, no fees, the smallest profit rate: it fires whenever the
  // books cross (the recorded basis keeps them crossed), once per 250 ms, 100 USDT a leg.
  use_basis_pair(cfg);
  s.start_omsd();
  REQUIRE(wait_until([&] {
    return omsctl_json(s, {"orders", "--account", "binance_basis"}).at("orders").size() >= 8;
  }, 30s));
  const auto metrics = s.http_get("/metrics").second;
  // The strategy stops with the daemon; started again without it, nothing new is sent and the
  // comparison holds still.
  CHECK(s.stop_omsd() == 0);
  replace_in_file(cfg / "strategies.yaml", "  perp_arbitrage:\n    type: arbitrage\n    enabled: true\n",
             "  perp_arbitrage:\n    type: arbitrage\n    enabled: false\n");
  s.start_omsd();
  const auto orders = wait_quiet(s, "binance_basis");

  REQUIRE(orders.size() >= 8);
  std::map<std::string, int> by_instrument;
  for (const auto& order : orders) {
    // INFO keeps a reference: the text must outlive the assertions it annotates.
    const std::string order_text = order.dump();
    INFO(order_text);
    CHECK(order.at("strategy") == "perp_arbitrage");
    CHECK(order.at("tif") == "ioc");  // aggressive legs, and any repair
    // Within the venue's order-rate limits: none refused for them (HTTP 429: -1015, -1003).
    CHECK(order.value("error", "").find("/-1015") == std::string::npos);
    CHECK(order.value("error", "").find("/-1003") == std::string::npos);
    CHECK(order.at("order_type") == "limit");
    // 200 USDT a leg at ~61,800: 0.003 BTC at the perpetual's lot step (over its 100 USDT
    // minimum notional); a repair trades at most that.
    const Decimal qty = *Decimal::parse(order.at("quantity").get<std::string>());
    CHECK(qty.is_positive());
    CHECK(qty <= *Decimal::parse("0.003"));
    ++by_instrument[order.at("instrument")];
  }
  // Every saga ended (the strategy stopped: its open sagas finish), each with both legs sent
  // together; what repaired a leg is counted apart.
  const auto shown = omsctl_json(s, {"strategy", "show", "perp_arbitrage"});
  const std::string shown_text = shown.dump();
  INFO(shown_text);
  const auto& sagas = shown.at("strategies")[0].at("sagas");
  const auto count = [&](const char* k) {
    return sagas.contains(k) ? std::stoull(sagas.at(k).get<std::string>()) : 0ULL;  // uint64: a JSON string
  };
  CHECK(count("opened") >= 4);
  CHECK(count("open") == 0);
  CHECK(count("opened") == count("closed") + count("missed") + count("unwound") + count("failed"));
  CHECK(by_instrument["BTC/USDT"] >= count("opened"));
  CHECK(by_instrument["BTC/USDT:USDT"] >= count("opened"));
  CHECK(orders.size() >= 2 * count("opened"));
  VenueView venue_spot(s.data(), s.venue_port(), "binance_basis", Market::kSpot);
  VenueView venue_usdm(s.data(), s.venue_port(), "binance_basis.usdm", Market::kUsdm);
  const auto spot_orders = venue_spot.orders();
  const auto usdm_orders = venue_usdm.orders();
  CHECK(check_orders_agree(orders, "BTC/USDT", spot_orders) == spot_orders.size());
  CHECK(check_orders_agree(orders, "BTC/USDT:USDT", usdm_orders) == usdm_orders.size());
  CHECK(spot_orders.size() + usdm_orders.size() >= 8);
  // Fills: the venue's trades, once each (a trade id is unique per instrument).
  std::set<std::string> ours;
  const auto fills = omsctl_json(s, {"fills", "--account", "binance_basis"});
  for (const auto& f : fills.at("fills")) {
    CHECK_MESSAGE(f.at("strategy") == "perp_arbitrage", f.dump());  // the order's strategy
    CHECK(ours.insert(f.at("instrument").get<std::string>() + " " + f.at("trade_id").get<std::string>()).second);
  }
  std::set<std::string> theirs;
  for (const auto& f : venue_spot.fills()) theirs.insert("BTC/USDT " + f.trade_id.str());
  for (const auto& f : venue_usdm.fills()) theirs.insert("BTC/USDT:USDT " + f.trade_id.str());
  std::string diff;
  for (const auto& t : ours)
    if (!theirs.count(t)) diff += " omsd-only:" + t;
  for (const auto& t : theirs)
    if (!ours.count(t)) diff += " venue-only:" + t;
  CHECK_MESSAGE(ours == theirs, ours.size() << " vs " << theirs.size() << diff);

  check_pnl_is_fills(s, "perp_arbitrage", "binance_basis", fills.at("fills"));
  // Every order the stage sent was traced from its depth message to the socket.
  const std::string key = "oms_order_to_wire_count{origin=\"market_data\"} ";
  const auto at = metrics.find(key);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(metrics.substr(at + key.size())) >= 8);
  CHECK(s.stop_omsd() == 0);
}

namespace {

std::size_t live_quotes(const nlohmann::json& orders) {
  std::size_t n = 0;
  for (const auto& o : orders) {
    const std::string st = o.at("status");
    if (o.at("strategy") == "market_making" &&
        (st == "accepted" || st == "partially_filled" || pending(st))) {
      ++n;
    }
  }
  return n;
}

}  // namespace

TEST_CASE("paper stack: market making quotes the recorded BTCUSDT on venue-sim; omsctl strategy list/show/set/stop/start controls it; omsd and the venue agree") {
  const std::filesystem::path shared = OMS_DEFAULT_SHARED_DATA "/hftbacktest";
  const auto spot = shared / "spot_btcusdt_20240808.gz";
  REQUIRE_MESSAGE(std::filesystem::exists(spot), spot.string());
  StackOptions o;
  o.venue_flags = {"--replay", spot.string(), "--speed", "1"};
  // A tight two-level ladder on binance_mm (the recording is minutes long), 600 USDT a quote.
  o.edit_configs = [](const std::filesystem::path& cfg) {
    replace_in_file(cfg / "strategies.yaml",
                    "        spread_bps: 10            # 0.1 %: the full spread's floor (half each side)\n"
                    "        quote_size: 0.05          # BTC per level (binance_mm's order notional limit: 5000)\n"
                    "        max_inventory: 1.0        # BTC, either sign: the side that adds stops quoting there\n",
                    "        spread_bps: 2\n        quote_size: 0.01\n        max_inventory: 0.03\n"
                    "        levels: 2\n        max_actions_per_second: 10\n");
  };
  Stack s(o);
  s.start_omsd();
  // Running (enabled in strategies.yaml) and quoting both sides.
  nlohmann::json list;
  REQUIRE(wait_until([&] {
    list = omsctl_json(s, {"strategy", "list"});
    for (const auto& st : list.at("strategies")) {
      if (st.at("name") != "market_making") continue;
      return st.at("state") == "running" && !st.at("quoters").empty() &&
             st.at("quoters")[0].at("state") == "quoting" && std::stoull(st.at("orders").get<std::string>()) >= 4;  // uint64: a JSON string
    }
    return false;
  }, 30s));
  const auto table = s.omsctl({"strategy", "list"});
  CHECK(table.code == 0);
  std::istringstream rows(table.out);
  std::string row;
  bool listed = false;
  while (std::getline(rows, row)) {
    std::istringstream cols(row);
    std::string name, type, state;
    cols >> name >> type >> state;
    listed = listed || (name == "market_making" && type == "market_making" && state == "running");
  }
  CHECK_MESSAGE(listed, table.out);

  // omsctl top shows it from the state board (written at each valuation): running, orders open.
  testkit::RunResult top;
  const bool on_board = wait_until([&] {
    top = s.omsctl({"top", "--once"});
    std::istringstream lines(top.out);
    std::string line;
    bool strategies = false;
    while (std::getline(lines, line)) {
      strategies = strategies || line == "STRATEGIES";
      std::istringstream cols(line);
      std::string id, state;
      cols >> id >> state;
      if (strategies && id == "#2" && state == "running") return true;  // market_making's id
    }
    return false;
  }, 10s);
  CHECK_MESSAGE(on_board, top.out << top.err);
  // /metrics: the strategy runs, its quoter quotes and has acted.
  std::string metrics;
  const bool measured = wait_until([&] {
    metrics = s.http_get("/metrics").second;
    return metrics.find("oms_strategy_running{strategy=\"market_making\",state=\"running\"} 1") != std::string::npos &&
           metrics.find("oms_quoter_quoting{strategy=\"market_making\",account=\"binance_mm\",instrument=\"binance:spot:BTC/USDT\",state=\"quoting\"} 1") != std::string::npos;
  }, 10s);
  CHECK_MESSAGE(measured, metrics);
  CHECK(metrics.find("oms_quoter_actions_total{strategy=\"market_making\",account=\"binance_mm\",instrument=\"binance:spot:BTC/USDT\"} 0\n") == std::string::npos);
  // A bad parameter is refused naming it; good ones are recorded and shown.
  const auto bad = s.omsctl({"strategy", "set", "market_making", "spread_bps=wide"});
  CHECK(bad.code == 3);
  CHECK_MESSAGE(bad.err.find("8003: strategy 8003: parameter 'spread_bps': 'wide' is not bps above 0, at most 10000") !=
                    std::string::npos, bad.err);
  CHECK(s.omsctl({"strategy", "set", "market_making", "spread_bps=4", "skew_bps=2"}).code == 0);
  const auto shown = s.omsctl({"strategy", "show", "market_making"});
  CHECK(shown.code == 0);
  CHECK_MESSAGE(shown.out.find("  skew_bps=2\n  spread_bps=4\n") != std::string::npos, shown.out);
  CHECK(shown.out.find("quoter binance_mm BTC/USDT: quoting") != std::string::npos);

  // Stopped: every quote is pulled and nothing new is sent.
  CHECK(s.omsctl({"strategy", "stop", "market_making", "--reason", "end of test window"}).code == 0);
  REQUIRE(wait_until([&] {
    return live_quotes(omsctl_json(s, {"orders", "--account", "binance_mm"}).at("orders")) == 0;
  }, 20s));
  const auto stopped = omsctl_json(s, {"strategy", "show", "market_making"}).at("strategies")[0];
  CHECK(stopped.at("state") == "stopped");
  CHECK(stopped.at("quoters")[0].at("state") == "inactive");
  std::this_thread::sleep_for(500ms);
  CHECK(omsctl_json(s, {"strategy", "show", "market_making"}).at("strategies")[0].at("orders") ==
        stopped.at("orders"));
  // Started again: quotes again.
  CHECK(s.omsctl({"strategy", "start", "market_making"}).code == 0);
  REQUIRE(wait_until([&] {
    return live_quotes(omsctl_json(s, {"orders", "--account", "binance_mm"}).at("orders")) > 0;
  }, 20s));
  CHECK(s.omsctl({"strategy", "start", "nope"}).code == 1);  // INVALID_ARGUMENT: unknown strategy

  CHECK(s.omsctl({"strategy", "stop", "market_making"}).code == 0);
  const auto orders = wait_quiet(s, "binance_mm");
  REQUIRE(orders.size() >= 4);
  for (const auto& order : orders) {
    CHECK(order.at("strategy") == "market_making");
    CHECK(order.at("tif") == "post_only");
    CHECK(order.value("error", "").find("/-1015") == std::string::npos);  // order-rate limits
    CHECK(order.value("error", "").find("/-1003") == std::string::npos);
  }
  VenueView venue(s.data(), s.venue_port(), "binance_mm", Market::kSpot);
  const auto venue_orders = venue.orders();
  CHECK(check_orders_agree(orders, "BTC/USDT", venue_orders) == venue_orders.size());
  // Every fill rested first (post-only: the quoter never takes), and the inventory never
  // went beyond max_inventory.
  const auto fills = omsctl_json(s, {"fills", "--account", "binance_mm"}).at("fills");
  Decimal pos;
  for (const auto& f : fills) {
    CHECK(f.at("liquidity") == "maker");
    const auto q = *Decimal::parse(f.at("quantity").get<std::string>());
    pos = Decimal::from_raw(pos.raw() + (f.at("side") == "buy" ? q.raw() : -q.raw()));
    CHECK(pos.abs().value() <= *Decimal::parse("0.03"));  // max_inventory
  }
  MESSAGE("market making on venue-sim: " << orders.size() << " orders, " << fills.size() << " fills");
  check_pnl_is_fills(s, "market_making", "binance_mm", fills);
  if (!fills.empty()) {  // its PnL in /metrics once it traded (refreshed every second)
    CHECK(wait_until([&] {
      return s.http_get("/metrics").second.find(
                 "oms_strategy_pnl{strategy=\"market_making\",quote=\"USDT\",kind=\"net\"}") !=
             std::string::npos;
    }, 10s));
  }
  CHECK(s.stop_omsd() == 0);
}
