// End-to-end transfers on Binance: BinanceTransferRunner (actors/src/transfers) driving
// TransferSaga through OUR BinanceVenue's /sapi calls against venue-sim's front over loopback
// TLS. The recorded steps are kept in order as the TRANSFERS stream would hold them; a
// "restart" is a new runner (and a new BinanceVenue) resuming from them. The simulator's
// balances are read straight from the front (the truth), and the connector's own user-data
// stream must report the spot side's new balance.
#include "e2e_fixture.hpp"
#include "oms/transfers/binance_transfers.hpp"

namespace oms::e2e {
namespace {

using actors::TransferRoute;
using actors::TransferSagaState;
using transfers::BinanceTransferEnds;
using transfers::BinanceTransferRunner;

constexpr Keys kAliceUsdmKeys{"aliceu-key", "aliceu-secret"};
constexpr Keys kArbKeys{"arb-key", "arb-secret"};

// alice (the master: spot + alice.usdm) and a spot sub-account arb@desk.example.
venue_sim::FrontConfig transfer_front_config() {
  venue_sim::FrontConfig c = default_front_config();
  using venue_sim::AccountSpec;
  c.accounts = {
      AccountSpec{"alice", Market::kSpot, kAliceKeys.key, kAliceKeys.secret, d("0.0005"),
                  d("0.001"), {{"USDT", d("10000")}, {"BTC", d("1")}}},
      AccountSpec{"alice.usdm", Market::kUsdm, kAliceUsdmKeys.key, kAliceUsdmKeys.secret,
                  d("0.0002"), d("0.0004"), {{"USDT", d("500")}}},
      AccountSpec{"arb", Market::kSpot, kArbKeys.key, kArbKeys.secret, d("0.0005"), d("0.001"),
                  {{"USDT", d("0")}}, "arb@desk.example"}};
  return c;
}

Decimal spot_usdt(E2e& f, Keys k) {
  const auto account = f.truth(binance::spot_account(), k);
  for (const auto& b : account["balances"]) {
    if (b["asset"] == "USDT") return d(b["free"].get<std::string>().c_str());
  }
  return Decimal{};
}
Decimal usdm_usdt(E2e& f) {
  for (const auto& b : f.truth(binance::usdm_balance(), kAliceUsdmKeys)) {
    if (b["asset"] == "USDT") return d(b["balance"].get<std::string>().c_str());
  }
  return Decimal{};
}

TransferRequested request(std::uint64_t id, AccountId to, Market from_m, Market to_m,
                          const char* amount) {
  TransferRequested r;
  r.transfer_id = id;
  r.from_account = kAlice;
  r.to_account = to;
  r.from_market = from_m;
  r.to_market = to_m;
  r.asset = "USDT";
  r.amount = d(amount);
  return r;
}

// The recorded steps (the TRANSFERS stream's order), each with the time it was recorded.
struct Recorder {
  std::vector<Event> events;
  bool crash_before_outcome = false;  // the process dies before it records an outcome
  BinanceTransferRunner::Persist persist() {
    return [this](const EventPayload& p) {
      if (crash_before_outcome && !std::holds_alternative<TransferRequested>(p)) return false;
      Event e;
      e.envelope.event_time = wall_ms_now() * 1'000'000;
      e.payload = p;
      events.push_back(e);
      return true;
    };
  }
  static std::int64_t wall_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

const BinanceTransferEnds kToArb{TransferRoute::kSubAccount, 0, "", "arb@desk.example"};
const BinanceTransferEnds kToFutures{TransferRoute::kWallet, 0, "", ""};

}  // namespace

TEST_CASE("binance transfers: main -> sub and spot -> futures complete; balances move once") {
  E2e f(Market::kSpot, transfer_front_config());
  Recorder rec;
  BinanceTransferRunner runner(*f.venue, rec.persist());

  auto to_arb = runner.start(request(1, AccountId{9}, Market::kSpot, Market::kSpot, "1200"),
                             kToArb, Recorder::wall_ms_now());
  CHECK(to_arb.state() == TransferSagaState::kCompleted);
  CHECK_FALSE(to_arb.venue_id().empty());
  auto to_fut = runner.start(request(2, kAlice, Market::kSpot, Market::kUsdm, "300"), kToFutures,
                             Recorder::wall_ms_now());
  CHECK(to_fut.state() == TransferSagaState::kCompleted);
  CHECK(runner.sends() == 2);
  CHECK(spot_usdt(f, kAliceKeys) == d("8500"));
  CHECK(spot_usdt(f, kArbKeys) == d("1200"));
  CHECK(usdm_usdt(f) == d("800"));

  // The stream: request, outcome, request, outcome.
  REQUIRE(rec.events.size() == 4);
  CHECK(std::holds_alternative<TransferRequested>(rec.events[0].payload));
  CHECK(std::get<TransferCompleted>(rec.events[1].payload).venue_transfer_id == to_arb.venue_id());
  CHECK(std::get<TransferCompleted>(rec.events[3].payload).transfer_id == 2);

  // The connector's user-data stream reports alice's spot USDT after both transfers.
  CHECK(wait_for([&] {
    for (const auto& b : f.reports.of<BalanceUpdated>()) {
      if (b.asset.view() == "USDT" && b.free == d("8500")) return true;
    }
    return false;
  }));

  // A refusal (more than alice holds): failed with the venue's code, nothing moved.
  auto broke = runner.start(request(3, AccountId{9}, Market::kSpot, Market::kSpot, "9000"),
                            kToArb, Recorder::wall_ms_now());
  CHECK(broke.state() == TransferSagaState::kFailed);
  REQUIRE(rec.events.size() == 6);
  CHECK(std::get<TransferFailed>(rec.events[5].payload).venue_code == -5013);
  CHECK(spot_usdt(f, kAliceKeys) == d("8500"));
}

TEST_CASE("binance transfers: a restart between requested and completed asks the venue, never sends twice") {
  E2e f(Market::kSpot, transfer_front_config());
  Recorder rec;
  rec.crash_before_outcome = true;
  {
    // Sent and booked, but the process dies before the outcome is recorded.
    BinanceTransferRunner first(*f.venue, rec.persist());
    (void)first.start(request(7, AccountId{9}, Market::kSpot, Market::kSpot, "250"), kToArb,
                      Recorder::wall_ms_now());
    (void)first.start(request(8, kAlice, Market::kSpot, Market::kUsdm, "125"), kToFutures,
                      Recorder::wall_ms_now());
    CHECK(first.sends() == 2);
  }
  REQUIRE(rec.events.size() == 2);  // the two requests only
  CHECK(spot_usdt(f, kArbKeys) == d("250"));
  CHECK(usdm_usdt(f) == d("625"));

  // A request recorded but never sent (the crash came first): transfer 9.
  Event never_sent;
  never_sent.envelope.event_time = Recorder::wall_ms_now() * 1'000'000;
  never_sent.payload = request(9, AccountId{9}, Market::kSpot, Market::kSpot, "50");
  rec.events.push_back(never_sent);

  // Restart: a new connector and runner over the recorded steps.
  f.venue->stop();
  f.venue = std::make_unique<binance::BinanceVenue>(f.client_config());
  REQUIRE(f.venue->start().ok());
  rec.crash_before_outcome = false;
  BinanceTransferRunner second(*f.venue, rec.persist());
  const auto recorded = actors::recorded_transfers(rec.events);
  REQUIRE(recorded.size() == 3);
  auto t7 = second.resume(recorded[0], kToArb);
  auto t8 = second.resume(recorded[1], kToFutures);
  REQUIRE(t7.has_value());
  REQUIRE(t8.has_value());
  CHECK(t7->state() == TransferSagaState::kCompleted);
  CHECK(t8->state() == TransferSagaState::kCompleted);
  CHECK(second.sends() == 0);  // both found at the venue: nothing sent again
  auto t9 = second.resume(recorded[2], kToArb);
  REQUIRE(t9.has_value());
  CHECK(t9->state() == TransferSagaState::kCompleted);
  CHECK(second.sends() == 1);  // the venue had none: sent once

  CHECK(spot_usdt(f, kAliceKeys) == d("9575"));  // 10000 - 250 - 125 - 50
  CHECK(spot_usdt(f, kArbKeys) == d("300"));
  CHECK(usdm_usdt(f) == d("625"));
  // The outcomes recorded now; a second restart finds everything finished and does nothing.
  const auto again = actors::recorded_transfers(rec.events);
  REQUIRE(again.size() == 3);
  for (const auto& t : again) CHECK(t.finished());
  BinanceTransferRunner third(*f.venue, rec.persist());
  for (const auto& t : again) {
    auto s = third.resume(t, t.request.to_market == Market::kUsdm ? kToFutures : kToArb);
    REQUIRE(s.has_value());
    CHECK(s->finished());
  }
  CHECK(third.sends() == 0);
  CHECK(spot_usdt(f, kAliceKeys) == d("9575"));
}

}  // namespace oms::e2e
