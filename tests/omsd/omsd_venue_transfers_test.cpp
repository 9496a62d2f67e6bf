// Bybit and OKX transfers through omsd, end to end on the paper stack (omsd + venue-sim +
// nats-server): omsctl transfer main -> sub and back on Bybit (universal transfer, UIDs from
// accounts.yaml's member_id) and on OKX (funds transfer types 1 / 2, subAcct from its
// sub_account); each side's balance at venue-sim (read with the account's own paper key through
// our connectors) moves once, omsd's balances (from the venues' private streams only) come to
// equal venue-sim's, `omsctl transfers` lists them, TRANSFERS holds each step once. Then omsd is
// SIGKILLed with two transfers recorded without an outcome on each venue -- one the venue had
// booked before the crash (its transferId / clientId), one it never got -- and the restarted
// omsd resumes them: the booked one is found, not sent again; the other is sent once (the
// venue's records of each id are counted).
#include <doctest/doctest.h>

#include "omsd_checks.hpp"
#include "venue_keys.hpp"
#include "oms/messages/codec.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "oms/transfers/venue_wallets.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// omsd's free USDT of an account's spot balances, or -1 when it has none.
Decimal omsd_usdt(const Stack& s, const std::string& account) {
  const auto j = omsctl_json(s, {"balances", "--account", account});
  for (const auto& b : j["balances"]) {
    if (b["market"] == "spot" && b["asset"] == "USDT") return dec(b["free"].get<std::string>());
  }
  return dec("-1");
}

std::vector<std::string> transfer_args(const std::string& from, const std::string& to, const std::string& amount,
                                       const std::string& id) {
  return {"transfer", "--from", from, "--to", to, "--asset", "USDT", "--amount", amount,
          "--from-market", "spot", "--to-market", "spot", "--id", id};
}

// Records a TransferRequested without an outcome in TRANSFERS (as a crash right after the
// request was recorded leaves it).
void record_request(const Stack& s, const std::string& from, const std::string& to, std::uint64_t id,
                    const std::string& amount, ExchangeId exchange) {
  const persistence::StreamLayout layout({{exchange, from}}, {exchange});
  auto store = persistence::JetStreamStore::open(layout, s.nats_options("omsd-venue-transfers-" + std::to_string(id)));
  REQUIRE(store.ok());
  Directory dir;
  (void)dir.accounts.intern(from);
  (void)dir.accounts.intern(to);
  const TimeNs now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  Event e;
  e.envelope = Envelope{0x7E58'0000ULL + id, 0, now, now, 0, 0};
  TransferRequested r;
  r.transfer_id = id;
  r.from_account = AccountId(0);
  r.to_account = AccountId(1);
  r.asset = "USDT";
  r.amount = dec(amount);
  e.payload = r;
  auto text = encode_json(e, dir);
  REQUIRE(text.ok());
  bool stored = false;
  (*store)->append({"transfers." + from + "." + to, *text, e.envelope.id, now}, [&](const auto& res) { stored = res.ok(); });
  REQUIRE((*store)->flush(10s).ok());
  REQUIRE(stored);
}

}  // namespace

TEST_CASE("Bybit and OKX transfers through omsd: main -> sub and back move venue-sim's balances once, omsd's equal them; a restart resumes without sending twice") {
  Stack s;
  s.start_omsd();
  auto by_main = bybit_key(s, "bybit_main");
  auto by_arb = bybit_key(s, "bybit_arb");
  auto ok_main = okx_key(s, "okx_main");
  auto ok_arb = okx_key(s, "okx_arb");
  const Decimal bm0 = connector_usdt(*by_main), ba0 = connector_usdt(*by_arb);
  const Decimal om0 = connector_usdt(*ok_main), oa0 = connector_usdt(*ok_arb);
  REQUIRE(bm0.is_positive());
  REQUIRE(om0.is_positive());

  // Bybit: main -> sub 1500, sub -> main 400.
  const auto b1 = omsctl_json(s, transfer_args("bybit_main", "bybit_arb", "1500", "201"));
  CHECK(b1["transfer"]["status"] == "completed");
  CHECK(b1["transfer"]["venue_transfer_id"] == transfers::bybit_transfer_uuid(201));
  const auto b2 = omsctl_json(s, transfer_args("bybit_arb", "bybit_main", "400", "202"));
  CHECK(b2["transfer"]["status"] == "completed");
  CHECK(connector_usdt(*by_main) == plus(minus(bm0, "1500"), "400"));
  CHECK(connector_usdt(*by_arb) == minus(plus(ba0, "1500"), "400"));
  // OKX: main -> sub 700 (type 1), sub -> main 250 (type 2).
  const auto o1 = omsctl_json(s, transfer_args("okx_main", "okx_arb", "700", "301"));
  CHECK(o1["transfer"]["status"] == "completed");
  CHECK_FALSE(o1["transfer"]["venue_transfer_id"].get<std::string>().empty());
  const auto o2 = omsctl_json(s, transfer_args("okx_arb", "okx_main", "250", "302"));
  CHECK(o2["transfer"]["status"] == "completed");
  CHECK(connector_usdt(*ok_main) == plus(minus(om0, "700"), "250"));
  CHECK(connector_usdt(*ok_arb) == minus(plus(oa0, "700"), "250"));

  // omsd's balances: venue-sim's (moved once, by the private streams).
  CHECK(wait_until([&] { return omsd_usdt(s, "bybit_main") == connector_usdt(*by_main); }, 15s));
  CHECK(wait_until([&] { return omsd_usdt(s, "bybit_arb") == connector_usdt(*by_arb); }, 15s));
  CHECK(wait_until([&] { return omsd_usdt(s, "okx_main") == connector_usdt(*ok_main); }, 15s));
  CHECK(wait_until([&] { return omsd_usdt(s, "okx_arb") == connector_usdt(*ok_arb); }, 15s));

  // Refused by name: OKX sub <-> sub is not made, cross-venue is a withdrawal.
  const auto cross = s.omsctl(transfer_args("bybit_main", "okx_main", "5", "203"));
  CHECK(cross.code == 1);
  CHECK(cross.err.find("'bybit_main' -> 'okx_main': the accounts are on bybit and okx") != std::string::npos);

  const auto list = omsctl_json(s, {"transfers"});
  REQUIRE(list["transfers"].size() == 4);
  CHECK(list["transfers"][0]["transfer_id"] == "302");
  CHECK(list["transfers"][3]["transfer_id"] == "201");

  // Crash. Bybit 777 booked at the venue before it (its transferId), 778 never sent; OKX 887
  // booked (clientId oms887), 888 never sent.
  s.kill_omsd();
  const std::string uuid777 = transfers::bybit_transfer_uuid(777);
  bybit::UniversalTransfer bt{uuid777, "USDT", dec("60"), 100000101, 100000102, "UNIFIED", "UNIFIED"};
  const auto booked_bybit = by_main->universal_transfer(0, bt);
  REQUIRE_MESSAGE(booked_bybit.ok(), (booked_bybit.ok() ? std::string() : booked_bybit.error().message));
  okx::Transfer ot{"USDT", dec("80"), okx::AccountType::kTrading, okx::AccountType::kTrading, "oms887",
                   okx::TransferType::kMasterToSub, "okxarb"};
  const auto booked_okx = ok_main->transfer(0, ot);
  REQUIRE_MESSAGE(booked_okx.ok(), (booked_okx.ok() ? std::string() : booked_okx.error().message));
  record_request(s, "bybit_main", "bybit_arb", 777, "60", ExchangeId::kBybit);
  record_request(s, "bybit_main", "bybit_arb", 778, "70", ExchangeId::kBybit);
  record_request(s, "okx_main", "okx_arb", 887, "80", ExchangeId::kOkx);
  record_request(s, "okx_main", "okx_arb", 888, "90", ExchangeId::kOkx);
  s.start_omsd();
  CHECK(wait_until([&] {
    const auto l = omsctl_json(s, {"transfers"});
    int done = 0;
    for (const auto& t : l["transfers"]) done += t["status"] == "completed" ? 1 : 0;
    return done == 8;
  }, 20s));
  // Each once: the booked ones found at the venue, the others sent once.
  CHECK(connector_usdt(*by_arb) == plus(minus(plus(ba0, "1500"), "400"), "130"));
  CHECK(connector_usdt(*ok_arb) == plus(minus(plus(oa0, "700"), "250"), "170"));
  for (const std::uint64_t id : {777U, 778U}) {
    auto rows = by_main->universal_transfer_history(0, transfers::bybit_transfer_uuid(id));
    REQUIRE(rows.ok());
    CHECK_MESSAGE(rows->size() == 1, id);
  }
  for (const char* id : {"oms887", "oms888"}) {
    auto rows = ok_main->transfer_state(0, id, okx::TransferType::kMasterToSub);
    REQUIRE(rows.ok());
    CHECK_MESSAGE(rows->size() == 1, id);
  }
  const std::string log = testkit::read_file(s.omsd_log());
  CHECK(log.find("transfer 777: resumed after a restart: completed (sends by this run so far: 0)") != std::string::npos);
  // Resumed in the order recorded: 778's one send came before 887 was asked about.
  CHECK(log.find("transfer 778: resumed after a restart: completed (sends by this run so far: 1)") != std::string::npos);
  CHECK(log.find("transfer 887: resumed after a restart: completed (sends by this run so far: 1)") != std::string::npos);
  CHECK(log.find("transfer 888: resumed after a restart: completed (sends by this run so far: 2)") != std::string::npos);
  CHECK(wait_until([&] { return omsd_usdt(s, "bybit_arb") == connector_usdt(*by_arb); }, 15s));
  CHECK(wait_until([&] { return omsd_usdt(s, "okx_arb") == connector_usdt(*ok_arb); }, 15s));

  // TRANSFERS: each transfer's request and outcome, once each.
  {
    const persistence::StreamLayout layout({{ExchangeId::kBybit, "bybit_main"}}, {ExchangeId::kBybit});
    auto store = persistence::JetStreamStore::open(layout, s.nats_options("omsd-venue-transfers-read"));
    REQUIRE(store.ok());
    std::map<std::string, int> steps;
    REQUIRE((*store)->read({"TRANSFERS", 1, 0, {}}, [&](const persistence::StoredRecord& r) {
      const auto j = nlohmann::json::parse(r.payload);
      const auto& id = j.at("transfer_id");
      steps[(id.is_string() ? id.get<std::string>() : id.dump()) + " " + j.at("type").get<std::string>()]++;
      return true;
    }).ok());
    for (const char* id : {"201", "202", "301", "302", "777", "778", "887", "888"}) {
      CHECK_MESSAGE(steps[std::string(id) + " TransferRequested"] == 1, id);
      CHECK_MESSAGE(steps[std::string(id) + " TransferCompleted"] == 1, id);
    }
    CHECK(steps.size() == 16);
  }
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("Bybit and OKX transfers through omsd when venue-sim loses every answer: asked before any resend, booked once") {
  // lost_ack=1: every transfer POST is carried out and its answer dropped (the connection
  // closes), as a venue that booked it and never said so.
  StackOptions o;
  o.venue_flags = {"--random-walk", "7", "--walk-interval-ms", "50", "--faults", "lost_ack=1"};
  Stack s(o);
  s.start_omsd();
  auto by_main = bybit_key(s, "bybit_main");
  auto by_arb = bybit_key(s, "bybit_arb");
  auto ok_main = okx_key(s, "okx_main");
  auto ok_arb = okx_key(s, "okx_arb");
  const Decimal ba0 = connector_usdt(*by_arb), oa0 = connector_usdt(*ok_arb);

  const auto b = omsctl_json(s, transfer_args("bybit_main", "bybit_arb", "500", "401"));
  CHECK(b["transfer"]["status"] == "completed");
  const auto o1 = omsctl_json(s, transfer_args("okx_main", "okx_arb", "600", "402"));
  CHECK(o1["transfer"]["status"] == "completed");
  CHECK(connector_usdt(*by_arb) == plus(ba0, "500"));
  CHECK(connector_usdt(*ok_arb) == plus(oa0, "600"));
  auto by_rows = by_main->universal_transfer_history(0, transfers::bybit_transfer_uuid(401));
  REQUIRE(by_rows.ok());
  CHECK(by_rows->size() == 1);
  auto ok_rows = ok_main->transfer_state(0, "oms402", okx::TransferType::kMasterToSub);
  REQUIRE(ok_rows.ok());
  CHECK(ok_rows->size() == 1);
  // The answers were lost: omsd asked the venue instead of sending again.
  const std::string log = testkit::read_file(s.omsd_log());
  CHECK(log.find("transfer 401: outcome not known from the send (universal transfer: ") != std::string::npos);
  CHECK(log.find("transfer 402: outcome not known from the send (funds transfer: ") != std::string::npos);
  CHECK(wait_until([&] { return omsd_usdt(s, "bybit_arb") == connector_usdt(*by_arb); }, 15s));
  CHECK(wait_until([&] { return omsd_usdt(s, "okx_arb") == connector_usdt(*ok_arb); }, 15s));
  CHECK(s.stop_omsd() == 0);
}
