// Transfers through omsd, end to end: omsctl transfer (main -> sub, spot -> usdm) runs the saga in
// omsd's transfer service against venue-sim's /sapi endpoints; the venue's balances move once
// and omsd's balances (from the venue's user-data stream only -- the transfer events are not
// folded into the engine) come to equal the venue's; the same id again is a duplicate; bad input
// names its field; rebalance --dry-run prints the plan. Then omsd is SIGKILLed and two transfers
// are left recorded without an outcome -- one the venue had already booked (by its clientTranId),
// one it never got -- and the restarted omsd resumes both: the booked one is found, not sent
// again; the other is sent once. The TRANSFERS stream and transfers.jsonl hold every step once;
// rebalance --run carries the plan out.
#include <doctest/doctest.h>

#include <fstream>

#include "omsd_checks.hpp"
#include "oms/connectors/binance/exchange_binance.hpp"
#include "oms/messages/codec.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// omsd's free USDT of an account's market (ListBalances), or -1 when it has none.
Decimal omsd_usdt(const Stack& s, const std::string& account, const std::string& market) {
  const auto j = omsctl_json(s, {"balances", "--account", account});
  for (const auto& b : j["balances"]) {
    if (b["market"] == market && b["asset"] == "USDT") return dec(b["free"].get<std::string>());
  }
  return dec("-1");
}

std::vector<std::string> transfer_args(const std::string& from, const std::string& to, const std::string& amount,
                                       const std::string& id, const std::string& from_market = "spot",
                                       const std::string& to_market = "spot") {
  return {"transfer", "--from", from, "--to", to, "--asset", "USDT", "--amount", amount,
          "--from-market", from_market, "--to-market", to_market, "--id", id};
}

// binance_main's key at venue-sim (spot), through our connector: a transfer booked behind omsd's
// back, and the sub-account transfer history.
std::unique_ptr<binance::BinanceVenue> main_key(const Stack& s) {
  std::ifstream in(s.data() / "paper-keys.json");
  const auto keys = nlohmann::json::parse(in);
  const auto& k = keys.at("binance_main");
  binance::BinanceConfig c;
  c.market = Market::kSpot;
  c.rest = {"127.0.0.1", static_cast<std::uint16_t>(s.venue_port())};
  c.stream = c.rest;
  c.tls.ca_file = (s.data() / "tls" / "ca.pem").string();
  c.user_data_stream = false;
  binance::BinanceAccountConfig a;
  a.account = AccountId(0);
  a.credentials.api_key = std::move(secrets::SecureBuffer::copy_of(k.at("api_key").get<std::string>())).value();
  a.credentials.api_secret = std::move(secrets::SecureBuffer::copy_of(k.at("api_secret").get<std::string>())).value();
  c.accounts.push_back(std::move(a));
  auto v = std::make_unique<binance::BinanceVenue>(std::move(c));
  REQUIRE(v->start().ok());
  return v;
}

}  // namespace

TEST_CASE("transfers through omsd: omsctl transfer moves the venue's balances once, omsd's equal the venue's, TRANSFERS and transfers.jsonl hold each step once; a restart resumes pending transfers without sending twice; rebalance --dry-run") {
  Stack s;
  s.start_omsd();
  VenueView main_spot(s.data(), s.venue_port(), "binance_main");
  VenueView main_usdm(s.data(), s.venue_port(), "binance_main.usdm", Market::kUsdm);
  VenueView arb(s.data(), s.venue_port(), "binance_spot_arb");
  const Decimal main0 = venue_usdt(main_spot), usdm0 = venue_usdt(main_usdm), arb0 = venue_usdt(arb);
  REQUIRE(main0.is_positive());

  // main -> sub, then one account's spot -> USD-M.
  const auto t1 = omsctl_json(s, transfer_args("binance_main", "binance_spot_arb", "1200", "101"));
  CHECK(t1["transfer"]["status"] == "completed");
  CHECK_FALSE(t1["transfer"]["venue_transfer_id"].get<std::string>().empty());
  CHECK(t1["duplicate"] == false);
  const auto t2 = omsctl_json(s, transfer_args("binance_main", "binance_main", "300", "102", "spot", "usdm"));
  CHECK(t2["transfer"]["status"] == "completed");
  // The same id again: the first's transfer, nothing sent.
  const auto again = omsctl_json(s, transfer_args("binance_main", "binance_spot_arb", "1200", "101"));
  CHECK(again["duplicate"] == true);
  CHECK(again["transfer"]["venue_transfer_id"] == t1["transfer"]["venue_transfer_id"]);

  // The venue moved each once.
  CHECK(venue_usdt(main_spot) == minus(main0, "1500"));
  CHECK(venue_usdt(arb) == plus(arb0, "1200"));
  CHECK(venue_usdt(main_usdm) == plus(usdm0, "300"));
  // omsd's balances: the venue's (moved once, by the user-data stream), for each side.
  CHECK(wait_until([&] { return omsd_usdt(s, "binance_main", "spot") == venue_usdt(main_spot); }, 15s));
  CHECK(wait_until([&] { return omsd_usdt(s, "binance_spot_arb", "spot") == venue_usdt(arb); }, 15s));
  CHECK(wait_until([&] { return omsd_usdt(s, "binance_main", "usdm") == venue_usdt(main_usdm); }, 15s));
  // ... and they stay there (nothing folds the transfer a second time).
  std::this_thread::sleep_for(1s);
  CHECK(omsd_usdt(s, "binance_main", "spot") == minus(main0, "1500"));
  CHECK(omsd_usdt(s, "binance_spot_arb", "spot") == plus(arb0, "1200"));

  // Bad input names the field; a pair the venue cannot move is refused by name.
  const auto bad = s.omsctl(transfer_args("binance_main", "binance_spot_arb", "-5", "103"));
  CHECK(bad.code == 1);
  CHECK(bad.err.find("amount: ") != std::string::npos);
  const auto cross = s.omsctl(transfer_args("binance_main", "bybit_main", "5", "104"));
  CHECK(cross.code == 1);
  CHECK(cross.err.find("to_account: ") != std::string::npos);

  // The list, newest first.
  const auto list = omsctl_json(s, {"transfers"});
  REQUIRE(list["transfers"].size() == 2);
  CHECK(list["transfers"][0]["transfer_id"] == "102");
  CHECK(list["transfers"][1]["status"] == "completed");

  // The rebalancing plan from omsd's balances: binance_spot_arb holds more than its cap
  // (max_balance_usdt 10000): the excess goes up to binance_main.
  const auto plan = s.omsctl({"rebalance", "--dry-run"});
  REQUIRE_MESSAGE(plan.code == 0, plan.err);
  INFO(plan.out);
  CHECK(plan.out.find("dry_run: true") != std::string::npos);
  const std::string arb_excess = minus(plus(arb0, "1200"), "10000").to_string();
  CHECK(plan.out.find("binance_spot_arb  binance_main") != std::string::npos);
  CHECK(plan.out.find(arb_excess) != std::string::npos);

  // Crash; two transfers recorded without an outcome: 777 the venue booked (clientTranId
  // oms777, sent before the crash), 778 it never got.
  s.kill_omsd();
  auto key = main_key(s);
  auto booked = key->sub_account_transfer(0, {.from_email = "", .to_email = "spot-arb@desk.example",
                                              .from_market = Market::kSpot, .to_market = Market::kSpot,
                                              .asset = "USDT", .amount = dec("50"), .client_tran_id = "oms777"});
  REQUIRE(booked.ok());
  {
    const persistence::StreamLayout layout({{ExchangeId::kBinance, "binance_main"}}, {ExchangeId::kBinance});
    auto store = persistence::JetStreamStore::open(layout, s.nats_options("omsd-transfers-test"));
    REQUIRE(store.ok());
    Directory dir;
    (void)dir.accounts.intern("binance_main");
    (void)dir.accounts.intern("binance_spot_arb");
    const TimeNs now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    for (const std::uint64_t id : {777U, 778U}) {
      Event e;
      e.envelope = Envelope{0x7E57'0000ULL + id, 0, now, now, 0, 0};
      TransferRequested r;
      r.transfer_id = id;
      r.from_account = AccountId(0);
      r.to_account = AccountId(1);
      r.asset = "USDT";
      r.amount = id == 777 ? dec("50") : dec("70");
      e.payload = r;
      auto text = encode_json(e, dir);
      REQUIRE(text.ok());
      bool stored = false;
      (*store)->append({"transfers.binance_main.binance_spot_arb", *text, e.envelope.id, now},
                       [&](const auto& res) { stored = res.ok(); });
      REQUIRE((*store)->flush(10s).ok());
      REQUIRE(stored);
    }
  }
  s.start_omsd();
  CHECK(wait_until([&] {
    const auto l = omsctl_json(s, {"transfers"});
    int done = 0;
    for (const auto& t : l["transfers"]) done += t["status"] == "completed" ? 1 : 0;
    return done == 4;
  }, 20s));
  // 50 once (found at the venue, not sent again) + 70 once (the venue had none: sent once):
  // binance_spot_arb holds 1200 + 120 more than at the start.
  CHECK(venue_usdt(arb) == plus(arb0, "1320"));
  for (const char* id : {"oms777", "oms778"}) {
    auto rows = key->sub_account_transfer_history(0, {.client_tran_id = id});
    REQUIRE(rows.ok());
    CHECK_MESSAGE(rows->size() == 1, id);
  }
  CHECK(wait_until([&] { return omsd_usdt(s, "binance_spot_arb", "spot") == venue_usdt(arb); }, 15s));
  CHECK(testkit::read_file(s.omsd_log()).find("transfer 777: resumed after a restart: completed (sends by this run so far: 0)") !=
        std::string::npos);
  const auto listed = omsctl_json(s, {"transfers"});
  REQUIRE(listed["transfers"].size() == 4);
  CHECK(listed["transfers"][0]["status"] == "completed");

  // The TRANSFERS stream: each transfer's request and outcome, once each.
  {
    const persistence::StreamLayout layout({{ExchangeId::kBinance, "binance_main"}}, {ExchangeId::kBinance});
    auto store = persistence::JetStreamStore::open(layout, s.nats_options("omsd-transfers-test-2"));
    REQUIRE(store.ok());
    std::map<std::string, int> steps;  // "101 TransferRequested" -> count
    REQUIRE((*store)->read({"TRANSFERS", 1, 0, {}}, [&](const persistence::StoredRecord& r) {
      const auto j = nlohmann::json::parse(r.payload);
      const auto& id = j.at("transfer_id");
      steps[(id.is_string() ? id.get<std::string>() : id.dump()) + " " + j.at("type").get<std::string>()]++;
      return true;
    }).ok());
    for (const char* id : {"101", "102", "777", "778"}) {
      CHECK_MESSAGE(steps[std::string(id) + " TransferRequested"] == 1, id);
      CHECK_MESSAGE(steps[std::string(id) + " TransferCompleted"] == 1, id);
    }
    CHECK(steps.size() == 8);
  }
  // transfers.jsonl (the daily writer, once a second): every step, once.
  const auto jsonl = s.data() / "transfers" / utc_now_text("%Y") / utc_now_text("%m") / "transfers.jsonl";
  CHECK(wait_until([&] {
    if (!std::filesystem::exists(jsonl)) return false;
    std::ifstream in(jsonl);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    return n == 8;
  }, 10s));

  // rebalance --run: one transfer per planned one; binance_spot_arb's excess goes up, leaving it
  // its cap at the venue.
  const auto run = omsctl_json(s, {"rebalance", "--run"});
  CHECK(run["dry_run"] == false);
  bool arb_up = false;
  for (const auto& t : run["transfers"]) {
    if (t["from_account"] != "binance_spot_arb") continue;
    arb_up = true;
    CHECK(t["status"] == "completed");
    CHECK(t["to_account"] == "binance_main");
  }
  CHECK(arb_up);
  CHECK(venue_usdt(arb) == dec("10000"));
  CHECK(s.stop_omsd() == 0);
}
