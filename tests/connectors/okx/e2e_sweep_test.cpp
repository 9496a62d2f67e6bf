// End-to-end: OkxAccount::cancel_all (the sweep) against venue-sim's OKX front. OKX has no
// cancel-all for SPOT / SWAP: the connector lists orders-algo-pending and orders-pending and
// cancels in batches (cancel-algos, cancel-batch-orders). Two plain orders of ours, a stop of
// ours (an algo order) and one placed behind our back with the same key: after the sweep the
// venue's own pending lists are empty, ours are reported canceled, the count is right, and a
// second sweep with nothing open is 0, not an error.
#include <nlohmann/json.hpp>

#include "e2e_fixture.hpp"
#include "oms/connectors/okx/requests.hpp"
#include "oms/connectors/okx/rest_request.hpp"
#include "oms/connectors/signing.hpp"

namespace oms::okx {

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// A signed request straight into the front with alice's key: another session, or the truth.
nlohmann::json raw(E2e& e, const Req& req) {
  REQUIRE(req.ok());
  auto signer = signing::HmacSha256::create("alice-secret");
  REQUIRE(signer.ok());
  auto http = render(*req, Credentials{"alice-key", "Alice-pass-1", &*signer, false}, e.front->now_ms());
  REQUIRE(http.ok());
  const auto r = e.front->handle(*http).response;
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto j = nlohmann::json::parse(r.body);
  REQUIRE(j["code"] == "0");
  return j;
}

// The instrument as the connector's builders see it (the venue's list through our parser).
InstrumentSpec spec_of(E2e& e) {
  const bool spot = e.market == Market::kSpot;
  net::HttpRequest get{"GET", std::string("/api/v5/public/instruments?instType=") + (spot ? "SPOT" : "SWAP"), {}, {}};
  const auto answer = e.front->handle(get);
  auto page = parse_instruments(answer.response.body);
  REQUIRE(page.ok());
  for (const auto& in : page->instruments) {
    if (in.instrument.venue_symbol == (spot ? "BTC-USDT" : "BTC-USDT-SWAP"))
      return in.spec(spot ? TradeMode::kCash : TradeMode::kCross);
  }
  FAIL("BTC-USDT not listed");
  return {};
}

// The venue's own pending lists on the instrument: the client ids (clOrdId / algoClOrdId).
std::vector<std::string> venue_open(E2e& e, const InstrumentSpec& spec) {
  ListQuery q;
  q.inst_type = e.market == Market::kSpot ? InstType::kSpot : InstType::kSwap;
  q.instrument = &spec;
  std::vector<std::string> out;
  const auto plain = raw(e, orders_pending(q));
  for (const auto& o : plain["data"]) out.push_back(o.value("clOrdId", ""));
  const auto algos = raw(e, algo_orders_pending(AlgoOrdType::kConditional, q));
  for (const auto& o : algos["data"]) out.push_back(o.value("algoClOrdId", ""));
  std::sort(out.begin(), out.end());
  return out;
}

void sweep_case(Market m) {
  E2e e(m);
  REQUIRE(wait_until([&] { return e.ex().user_stream_connected(); }));
  e.front->on_trade(m, m == Market::kSpot ? "BTC-USDT" : "BTC-USDT-SWAP", sim::TradePrintIn{d("60000"), d("0.01"), false});
  const char* qty = m == Market::kSpot ? "0.01" : "0.05";  // swap: 5 contracts
  e.ex().place(e.order("sw1", Side::kBuy, OrderType::kLimit, qty, "59000"));
  e.ex().place(e.order("sw2", Side::kSell, OrderType::kLimit, qty, "61000"));
  SubmitOrder stop = e.order("sw3", Side::kSell, OrderType::kStopLoss, qty);
  stop.stop_price = d("59000");
  e.ex().place(stop);
  for (const char* c : {"sw1", "sw2", "sw3"}) REQUIRE(e.reports.wait_for<OrderAccepted>(c));
  const InstrumentSpec spec = spec_of(e);
  (void)raw(e, new_order(spec, e.order("othersession1", Side::kBuy, OrderType::kLimit, qty, "58500")));
  REQUIRE(venue_open(e, spec) == std::vector<std::string>{"othersession1", "sw1", "sw2", "sw3"});

  const auto n = e.ex().cancel_all(e.id());
  REQUIRE_MESSAGE(n.ok(), (n.ok() ? "" : n.error().message));
  CHECK(*n == 4);
  CHECK(venue_open(e, spec).empty());
  for (const char* c : {"sw1", "sw2", "sw3"}) {
    const auto canceled = e.reports.wait_for<OrderCanceled>(c);
    REQUIRE(canceled);
    CHECK(canceled->cum_qty.is_zero());
  }
  const auto again = e.ex().cancel_all(e.id());
  REQUIRE_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
  CHECK(*again == 0);
  const auto unknown = e.ex().cancel_all(InstrumentId{77});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ExchangeErrorCode::kUnknownInstrument);
}

}  // namespace

TEST_CASE("okx e2e sweep spot: cancel_all lists and cancels ours, a stop (algo) and one placed behind our back; again: 0") {
  sweep_case(Market::kSpot);
}

TEST_CASE("okx e2e sweep swap: cancel_all lists and cancels ours, a stop (algo) and one placed behind our back; again: 0") {
  sweep_case(Market::kUsdm);
}

}  // namespace oms::okx
