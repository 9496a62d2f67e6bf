// End-to-end: OUR OKX connector's stop / take-profit orders (OKX algo orders) against venue-sim's
// OKX front: placed on trade/order-algo and followed on the business stream's orders-algo
// channel, listed open, queried, refused an amend by name, canceled (cancel-algos before the
// trigger, cancel-order by the placed ordId after); triggered by venue-sim's last price, the
// order OKX places reporting its fill and end under OUR client order id; the business stream
// dropped and caught up.
#include <set>
#include <string>

#include "e2e_fixture.hpp"

namespace oms::okx {

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// A print on the venue's tape: its last price, which algo orders trigger on.
void print(E2e& e, const char* px) {
  e.front->on_trade(e.market, e.market == Market::kSpot ? "BTC-USDT" : "BTC-USDT-SWAP", sim::TradePrintIn{d(px), d("0.01"), false});
}

SubmitOrder stop(const E2e& e, std::string_view cid, Side side, OrderType t, const char* qty, const char* trigger,
                 const char* price = "0") {
  SubmitOrder o = e.order(cid, side, t, qty, price);
  o.stop_price = d(trigger);
  return o;
}

CancelOrder cancel_of(std::string_view cid, InstrumentId instrument) {
  CancelOrder c;
  c.account = AccountId(3);
  c.instrument = instrument;
  c.client_order_id = cid_text(cid);
  return c;
}

// The distinct facts (report ids) of one kind for one client order id: an ack and the stream's
// news of the same fact share one.
std::set<EventId> facts_for(const Reports& r, std::string_view cid, std::size_t index) {
  std::set<EventId> ids;
  for (const auto& x : r.all()) {
    if (x.payload.index() != index) continue;
    std::visit(
        [&](const auto& ev) {
          if constexpr (requires { ev.client_order_id; }) {
            if (ev.client_order_id.view() == cid) ids.insert(x.report_id);
          }
        },
        x.payload);
  }
  return ids;
}

}  // namespace

TEST_CASE("okx e2e algo: a swap stop-market waits -- accepted under its algoId, listed open, queried, amend refused by name, canceled") {
  E2e e(Market::kUsdm);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  print(e, "60000");
  e.ex().place(stop(e, "sl1", Side::kSell, OrderType::kStopLoss, "0.05", "59000"));  // 5 contracts
  const auto acc = e.reports.wait_for<OrderAccepted>("sl1");
  REQUIRE(acc);
  const std::string algo_id(acc->venue_order_id.view());
  CHECK(!algo_id.empty());
  const auto open = e.ex().open_orders(InstrumentId{});
  REQUIRE_MESSAGE(open.ok(), (open.ok() ? "" : open.error().message));
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].client_order_id.view() == "sl1");
  CHECK((*open)[0].venue_order_id.view() == algo_id);
  CHECK((*open)[0].status == OrderStatus::kAccepted);
  e.ex().query(kSwapBtc, cid_text("sl1"));
  const auto st = e.reports.wait_for<OrderStatusReconciled>("sl1");
  REQUIRE(st);
  CHECK(st->status == OrderStatus::kAccepted);
  CHECK(st->venue_order_id.view() == algo_id);
  // Amending it before its trigger: refused before anything leaves, naming why.
  AmendOrder a;
  a.account = AccountId(3);
  a.instrument = kSwapBtc;
  a.client_order_id = cid_text("sl1");
  a.new_quantity = d("0.06");
  e.ex().amend(a);
  const auto refused = e.reports.wait_for<OrderAmendRejected>("sl1");
  REQUIRE(refused);
  CHECK(refused->code == static_cast<std::uint16_t>(ExchangeErrorCode::kUnsupported));
  CHECK(std::string(refused->reason.view()).find("stop / take-profit order cannot be amended before its trigger") != std::string::npos);
  e.ex().cancel(cancel_of("sl1", kSwapBtc));
  const auto canceled = e.reports.wait_for<OrderCanceled>("sl1");
  REQUIRE(canceled);
  CHECK(canceled->cum_qty.is_zero());
  // The ack and orders-algo's canceled are one fact: one report id, kept once by the stores.
  REQUIRE(e.reports.wait([](const std::vector<ExchangeReport>& all) {
    return std::count_if(all.begin(), all.end(), [](const ExchangeReport& r) { return std::holds_alternative<OrderCanceled>(r.payload); }) >= 1;
  }));
  std::this_thread::sleep_for(200ms);  // orders-algo's canceled, if it comes after the ack
  CHECK(facts_for(e.reports, "sl1", EventPayload(OrderCanceled{}).index()).size() == 1);
  const auto after = e.ex().open_orders(kSwapBtc);
  REQUIRE(after.ok());
  CHECK(after->empty());
  // A trigger on the wrong side of the last price: OKX's code, named.
  e.ex().place(stop(e, "sl2", Side::kSell, OrderType::kStopLoss, "0.05", "61000"));
  const auto rej = e.reports.wait_for<OrderRejected>("sl2");
  REQUIRE(rej);
  CHECK(rej->venue_code == 51280);
}

TEST_CASE("okx e2e algo: a swap stop-market buy triggers when the price crosses -- its fill and end under OUR client order id") {
  E2e e(Market::kUsdm);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  print(e, "60000");
  e.ex().place(stop(e, "sb1", Side::kBuy, OrderType::kStopLoss, "0.05", "60005"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("sb1"));
  print(e, "60002");  // below the trigger: nothing
  std::this_thread::sleep_for(100ms);
  CHECK(e.reports.count<FillReceived>() == 0);
  print(e, "60005");
  const auto fill = e.reports.wait_for<FillReceived>("sb1");
  REQUIRE(fill);
  CHECK(fill->price == d("60001"));
  CHECK(fill->quantity == d("0.05"));  // 5 contracts x 0.01
  CHECK(fill->side == Side::kBuy);
  const auto filled = e.reports.wait_for<OrderFilled>("sb1");
  REQUIRE(filled);
  CHECK(filled->cum_qty == d("0.05"));
  CHECK(filled->avg_price == d("60001"));
  // One order from new to filled: the order placed at the trigger is not accepted again.
  CHECK(facts_for(e.reports, "sb1", EventPayload(OrderAccepted{}).index()).size() == 1);
  // Queried after: the algo order's id, the placed order's state and the same fill (one trade id).
  e.ex().query(kSwapBtc, cid_text("sb1"));
  const auto st = e.reports.wait_for<OrderStatusReconciled>("sb1");
  REQUIRE(st);
  CHECK(st->status == OrderStatus::kFilled);
  CHECK(st->cum_qty == d("0.05"));
  std::set<std::string> trade_ids;
  for (const auto& r : e.reports.all()) {
    if (const auto* f = std::get_if<FillReceived>(&r.payload)) {
      CHECK(f->client_order_id.view() == "sb1");
      trade_ids.insert(std::string(f->trade_id.view()));
    }
  }
  CHECK(trade_ids.size() == 1);
  const auto trades = e.ex().my_trades(kSwapBtc, 0);
  REQUIRE(trades.ok());
  REQUIRE(trades->size() == 1);
  CHECK((*trades)[0].client_order_id.view() == "sb1");  // trade/fills has no client id: named by its ordId
}

TEST_CASE("okx e2e algo: a spot take-profit limit triggers, its limit rests, is listed and canceled by its ordId") {
  E2e e(Market::kSpot);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  print(e, "60000");
  e.ex().place(stop(e, "tp1", Side::kSell, OrderType::kTakeProfitLimit, "0.1", "60010", "60010"));
  const auto acc = e.reports.wait_for<OrderAccepted>("tp1");
  REQUIRE(acc);
  print(e, "60010");
  // Triggered: its limit sell rests (the best bid is 59999), listed as ours.
  REQUIRE(wait_until([&] {
    const auto open = e.ex().open_orders(kSpotBtc);
    return open.ok() && open->size() == 1 && (*open)[0].client_order_id.view() == "tp1" &&
           (*open)[0].venue_order_id.view() != acc->venue_order_id.view();
  }));
  e.ex().cancel(cancel_of("tp1", kSpotBtc));
  const auto canceled = e.reports.wait_for<OrderCanceled>("tp1");
  REQUIRE(canceled);
  CHECK(canceled->cum_qty.is_zero());
  const auto after = e.ex().open_orders(kSpotBtc);
  REQUIRE(after.ok());
  CHECK(after->empty());
}

TEST_CASE("okx e2e algo: a batch with a stop order places it one by one after the plain orders") {
  E2e e(Market::kUsdm);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  print(e, "60000");
  SubmitBatch b;
  REQUIRE(b.orders.push_back(e.order("bl1", Side::kBuy, OrderType::kLimit, "0.01", "59000")));
  REQUIRE(b.orders.push_back(stop(e, "bs1", Side::kSell, OrderType::kStopLoss, "0.01", "59000")));
  REQUIRE(b.orders.push_back(stop(e, "bs2", Side::kBuy, OrderType::kTakeProfitLimit, "0.01", "58000", "58000")));
  e.ex().place_batch(b);
  REQUIRE(e.reports.wait_for<OrderAccepted>("bl1"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("bs1"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("bs2"));
  const auto open = e.ex().open_orders(kSwapBtc);
  REQUIRE(open.ok());
  CHECK(open->size() == 3);
}

TEST_CASE("okx e2e algo: every push drops its socket -- the business stream reconnects, and the trigger's fill still arrives under our id") {
  venue_sim::FaultSpec faults;
  faults.drop_ws = 1.0;  // each private / business push drops the socket it was meant for
  E2e e(Market::kUsdm, "Alice-pass-1", [&](venue_sim::OkxFrontConfig& fc) { fc.faults = faults; });
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  print(e, "60000");
  e.ex().place(stop(e, "rc1", Side::kBuy, OrderType::kStopLoss, "0.05", "60005"));
  REQUIRE(e.reports.wait_for<OrderAccepted>("rc1"));  // the REST answer; orders-algo's live dropped the socket
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }, 10s));
  print(e, "60005");
  // Both sockets dropped by the trigger's pushes: the catch-ups read the fill and the order.
  const auto fill = e.reports.wait_for<FillReceived>("rc1", 15s);
  REQUIRE(fill);
  CHECK(fill->quantity == d("0.05"));
  const auto st = e.reports.wait([](const std::vector<ExchangeReport>& all) {
    return std::any_of(all.begin(), all.end(), [](const ExchangeReport& r) {
      const auto* s = std::get_if<OrderStatusReconciled>(&r.payload);
      return s != nullptr && s->client_order_id.view() == "rc1" && s->status == OrderStatus::kFilled;
    });
  }, 15s);
  CHECK(st);
}

}  // namespace oms::okx
