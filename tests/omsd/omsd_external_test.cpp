// External orders, end to end (issue 13): a second client signs and places orders with
// binance_main's paper key straight at venue-sim (VenueView::place_limit, a signed HTTPS POST)
// while omsd runs, and while it is down. omsd shows them as external orders with their fills;
// its orders, fills and balances equal the venue's, the position counts their fills (so does
// risk: a position limit refuses an order of ours the external fill brought over it); omsd
// never cancels them on its own (cancel-all is of its own orders) and `omsctl cancel` of one,
// by venue order id or by client order id, cancels it at the venue.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

const nlohmann::json* find_order(const nlohmann::json& orders, const std::string& id) {
  for (const auto& o : orders)
    if (o.at("client_order_id") == id) return &o;
  return nullptr;
}

bool external_with_status(const nlohmann::json& orders, const std::string& id, const std::string& status) {
  const auto* o = find_order(orders, id);
  return o != nullptr && o->at("external") == true && o->at("status") == status;
}

// Net size of the venue's trades (buys minus sells), as omsd's position should read.
Decimal venue_net(VenueView& v) {
  Int128 net = 0;
  for (const auto& f : v.fills()) net += f.side == Side::kBuy ? f.quantity.raw() : -f.quantity.raw();
  return Decimal::from_raw(net);
}

std::string position_size(const Stack& s, const std::string& instrument) {
  const auto all = omsctl_json(s, {"positions", "--account", "binance_main"});
  for (const auto& p : all.at("positions")) {
    if (p.at("instrument") == instrument) return p.at("size");
  }
  return "0";
}

}  // namespace

TEST_CASE("external orders: another client's orders on binance_main spot show in omsctl as external with their fills; balances, positions and risk count them; omsd never cancels them on its own; omsctl cancel does; ones placed while omsd is down appear after its restart") {
  Stack s;
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  const std::string bid = tick(mid.raw() - mid.raw() / 20).to_string();    // 5 % under: rests
  const std::string lift = tick(mid.raw() + mid.raw() / 100).to_string();  // 1 % over: takes

  // A position limit of 0.0015 BTC on the account: an external fill of 0.001 leaves room for
  // no further 0.001 of ours.
  const auto lim = s.omsctl({"set-limit", "--scope", "account", "--account", "binance_main", "--kind",
                             "position", "--value", "0.0015"});
  REQUIRE_MESSAGE(lim.code == 0, (lim.out + lim.err));

  venue.place_limit("ext-rest-1", Side::kBuy, "0.001", bid);
  venue.place_limit("ext-take-1", Side::kBuy, "0.001", lift);
  auto orders = wait_orders(s, [](const nlohmann::json& o) {
    return external_with_status(o, "ext-rest-1", "accepted") && external_with_status(o, "ext-take-1", "filled");
  });
  CHECK(find_order(orders, "ext-take-1")->at("cum_qty") == "0.001");
  CHECK(find_order(orders, "ext-rest-1")->at("strategy") == "");
  CHECK(testkit::read_file(s.omsd_log()).find("external order 'ext-rest-1'") != std::string::npos);
  // Orders, fills (with fees) and balances equal the venue's; the position counts the fill.
  check_agree(s, venue);
  CHECK(position_size(s, "BTC/USDT") == venue_net(venue).to_string());
  // The day's orders from the store list them too, external.
  const auto day = omsctl_json(s, {"orders", "--account", "binance_main", "--day", utc_now_text("%Y-%m-%d")});
  CHECK_MESSAGE(external_with_status(day.at("orders"), "ext-take-1", "filled"), day.dump());
  // Risk counted the external fill: our own 0.001 more would pass 0.0015.
  const auto refused = submit(s, "OURS-1", "buy", "0.001", tick(mid.raw() - mid.raw() / 200).to_string());
  CHECK_MESSAGE(refused.at("accepted") == false, refused.dump());
  CHECK_MESSAGE(refused.value("message", std::string()).find("position") != std::string::npos, refused.dump());

  // cancel-all is of omsd's own orders: the external one still rests, at the venue and in omsd.
  const auto all = s.omsctl({"cancel-all", "--account", "binance_main", "--instrument", "BTC/USDT"});
  CHECK_MESSAGE(all.code == 0, (all.out + all.err));
  std::this_thread::sleep_for(1s);
  auto open = venue.open_orders();
  CHECK(std::find(open.begin(), open.end(), "ext-rest-1") != open.end());
  CHECK(status_of(omsctl_json(s, {"orders", "--account", "binance_main"}).at("orders"), "ext-rest-1") == "accepted");

  // The operator's cancel by the venue's order id.
  const std::string vid = find_order(orders, "ext-rest-1")->at("venue_order_id");
  REQUIRE_FALSE(vid.empty());
  const auto c = omsctl_json(s, {"cancel", "--account", "binance_main", "--instrument", "BTC/USDT",
                                 "--venue-id", vid});
  CHECK_MESSAGE(c.at("accepted") == true, c.dump());
  CHECK(c.at("client_order_id") == "ext-rest-1");
  (void)wait_orders(s, [](const nlohmann::json& o) { return external_with_status(o, "ext-rest-1", "canceled"); });
  CHECK(venue.orders().at("ext-rest-1").status == "canceled");
  // No such venue order id: refused, naming the field.
  const auto none = s.omsctl({"cancel", "--account", "binance_main", "--instrument", "BTC/USDT", "--venue-id", "999999999"});
  CHECK(none.code != 0);
  CHECK_MESSAGE(none.err.find("venue_order_id") != std::string::npos, none.err);

  // omsd down: one rests, one fills; after the restart both are there (the start's catch-up).
  REQUIRE(s.stop_omsd() == 0);
  venue.place_limit("ext-down-rest", Side::kBuy, "0.001", bid);
  venue.place_limit("ext-down-take", Side::kBuy, "0.001", lift);
  s.start_omsd();
  (void)wait_orders(s, [](const nlohmann::json& o) {
    return external_with_status(o, "ext-down-rest", "accepted") && external_with_status(o, "ext-down-take", "filled") &&
           external_with_status(o, "ext-rest-1", "canceled");
  });
  check_agree(s, venue);
  CHECK(position_size(s, "BTC/USDT") == venue_net(venue).to_string());
  // It rests untouched while omsd runs on (no sweep, no timer of ours cancels it) ...
  std::this_thread::sleep_for(2s);
  open = venue.open_orders();
  CHECK(std::find(open.begin(), open.end(), "ext-down-rest") != open.end());
  // ... until the operator cancels it by its client order id.
  const auto c2 = omsctl_json(s, {"cancel", "--account", "binance_main", "--instrument", "BTC/USDT",
                                  "--id", "ext-down-rest"});
  CHECK_MESSAGE(c2.at("accepted") == true, c2.dump());
  (void)wait_orders(s, [](const nlohmann::json& o) { return external_with_status(o, "ext-down-rest", "canceled"); });
  CHECK(venue.orders().at("ext-down-rest").status == "canceled");
  check_agree(s, venue);
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("external orders: another client's USD-M orders on binance_main show as external with their fills; the position is the venue's; a restart keeps them") {
  Stack s;
  s.start_omsd();
  VenueView usdm(s.data(), s.venue_port(), "binance_main.usdm", Market::kUsdm);
  const Decimal mid = wait_mid(usdm);
  const Decimal bid = tick(mid.raw() - mid.raw() / 20, 100'000'000);  // USD-M's 0.1 step
  const Decimal lift = tick(mid.raw() + mid.raw() / 100, 100'000'000);
  // Over the venue's 100 USDT minimum notional, in 0.001 lots.
  const Decimal qty = Decimal::from_raw((Int128{150'000'000'000} / (bid.raw() / 1000) + 1) * 1'000'000);
  usdm.place_limit("ext-f-rest", Side::kBuy, qty.to_string(), bid.to_string());
  usdm.place_limit("ext-f-take", Side::kBuy, qty.to_string(), lift.to_string());
  const auto orders = wait_orders(s, [](const nlohmann::json& o) {
    return external_with_status(o, "ext-f-rest", "accepted") && external_with_status(o, "ext-f-take", "filled");
  });
  CHECK(find_order(orders, "ext-f-take")->at("instrument") == "BTC/USDT:USDT");
  CHECK(find_order(orders, "ext-f-take")->at("cum_qty") == qty.to_string());
  // The fill with its fee, as the venue has it.
  const auto trades = usdm.fills();
  REQUIRE(trades.size() >= 1);
  std::size_t seen = 0;
  const auto fills = omsctl_json(s, {"fills", "--account", "binance_main"});
  for (const auto& f : fills.at("fills")) {
    if (f.at("instrument") != "BTC/USDT:USDT") continue;
    ++seen;
    CHECK(f.at("client_order_id") == "ext-f-take");
    const auto it = std::find_if(trades.begin(), trades.end(),
                                 [&](const FillReceived& t) { return t.trade_id.str() == f.at("trade_id"); });
    REQUIRE_MESSAGE(it != trades.end(), f.dump());
    CHECK(f.at("quantity") == it->quantity.to_string());
    CHECK(f.at("fee") == it->fee.to_string());
  }
  CHECK(seen == trades.size());
  CHECK(wait_until([&] { return position_size(s, "BTC/USDT:USDT") == usdm.position().first.to_string(); }, 10s));
  // omsd restarted: the external orders are rebuilt from the store, still external.
  REQUIRE(s.stop_omsd() == 0);
  s.start_omsd();
  (void)wait_orders(s, [](const nlohmann::json& o) {
    return external_with_status(o, "ext-f-rest", "accepted") && external_with_status(o, "ext-f-take", "filled");
  });
  CHECK(position_size(s, "BTC/USDT:USDT") == usdm.position().first.to_string());
  const auto c = omsctl_json(s, {"cancel", "--account", "binance_main", "--instrument", "BTC/USDT:USDT",
                                 "--id", "ext-f-rest"});
  CHECK_MESSAGE(c.at("accepted") == true, c.dump());
  (void)wait_orders(s, [](const nlohmann::json& o) { return external_with_status(o, "ext-f-rest", "canceled"); });
  CHECK(usdm.orders().at("ext-f-rest").status == "canceled");
  CHECK(s.stop_omsd() == 0);
}
