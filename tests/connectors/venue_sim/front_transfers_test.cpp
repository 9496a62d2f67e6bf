// venue-sim's Binance wallet transfers (connectors/apps/venue_sim/front_transfers.cpp), driven
// with the connector's own /sapi builders and parsers: balances move between the accounts'
// wallets, each side's user-data stream hears of it, clientTranId is refused when repeated,
// and the query endpoints find a transfer again.
#include <doctest/doctest.h>

#include "front_fixture.hpp"
#include "oms/connectors/binance/rest_response.hpp"

namespace oms::venue_sim::test {
namespace {

// master: spot "master" + USD-M "master.usdm"; one sub-account "arb" (spot + USD-M) with an
// email on its spot wallet; a USD-M-only sub-account "trend".
FrontConfig transfer_config() {
  FrontConfig c = FrontFixture::default_config();
  AccountSpec ms{"master", Market::kSpot, "master-key", "master-secret", d("0.001"), d("0.001"),
                 {{"USDT", d("1000")}, {"BTC", d("1")}}};
  AccountSpec mu{"master.usdm", Market::kUsdm, "masteru-key", "masteru-secret", d("0.0002"),
                 d("0.0004"), {{"USDT", d("500")}}};
  AccountSpec as{"arb", Market::kSpot, "arb-key", "arb-secret", d("0.001"), d("0.001"),
                 {{"USDT", d("10")}}, "arb@desk.example"};
  AccountSpec au{"arb.usdm", Market::kUsdm, "arbu-key", "arbu-secret", d("0.0002"), d("0.0004"),
                 {{"USDT", d("0")}}};
  AccountSpec tu{"trend.usdm", Market::kUsdm, "trend-key", "trend-secret", d("0.0002"),
                 d("0.0004"), {{"USDT", d("0")}}, "trend@desk.example"};
  c.accounts = {ms, mu, as, au, tu};
  return c;
}

const Account kMaster{"master-key", "master-secret"}, kMasterUsdm{"masteru-key", "masteru-secret"},
    kArb{"arb-key", "arb-secret"}, kArbUsdm{"arbu-key", "arbu-secret"},
    kTrend{"trend-key", "trend-secret"};

Decimal spot_free(FrontFixture& f, const Account& a, const std::string& asset) {
  auto j = body(f.send(binance::spot_account(), a));
  for (const auto& b : j["balances"]) {
    if (b["asset"] == asset) return d(b["free"].get<std::string>().c_str());
  }
  return Decimal{};
}
Decimal usdm_wallet(FrontFixture& f, const Account& a) {
  auto j = body(f.send(binance::usdm_balance(), a));
  for (const auto& b : j) {
    if (b["asset"] == "USDT") return d(b["balance"].get<std::string>().c_str());
  }
  return Decimal{};
}

}  // namespace

TEST_CASE("venue-sim: MAIN_UMFUTURE / UMFUTURE_MAIN move the account's own wallets; history lists them") {
  FrontFixture f(transfer_config());
  auto lk_spot = body(f.send(binance::spot_listen_key(binance::HttpMethod::kPost), kMaster));
  auto lk_usdm = body(f.send(binance::usdm_listen_key(binance::HttpMethod::kPost), kMasterUsdm));
  auto& spot_inbox = f.open_ws("/ws/" + lk_spot["listenKey"].get<std::string>(), std::make_shared<Inbox>());
  auto& usdm_inbox =
      f.open_ws("/fstream/ws/" + lk_usdm["listenKey"].get<std::string>(), std::make_shared<Inbox>());

  auto r = f.send(binance::asset_transfer({Market::kSpot, Market::kUsdm, "USDT", d("250.5")}), kMaster);
  REQUIRE(r.status == 200);
  binance::JsonParser parser;
  binance::TransferRecord ack;
  REQUIRE(binance::parse_transfer_ack(parser, r.body, ack).ok());
  CHECK(ack.tran_id != 0);
  CHECK(spot_free(f, kMaster, "USDT") == d("749.5"));
  CHECK(usdm_wallet(f, kMasterUsdm) == d("750.5"));

  // Each side's stream: spot balanceUpdate (the delta) + outboundAccountPosition (the total);
  // USD-M ACCOUNT_UPDATE, reason DEPOSIT.
  REQUIRE(wait_for([&] { return !spot_inbox.events("outboundAccountPosition").empty(); }));
  auto bu = spot_inbox.events("balanceUpdate");
  REQUIRE(bu.size() == 1);
  CHECK(bu[0]["a"] == "USDT");
  CHECK(d(bu[0]["d"].get<std::string>().c_str()) == d("-250.5"));
  auto pos = spot_inbox.events("outboundAccountPosition").back();
  std::string usdt_free;
  for (const auto& b : pos["B"]) {
    if (b["a"] == "USDT") usdt_free = b["f"].get<std::string>();
  }
  REQUIRE_FALSE(usdt_free.empty());
  CHECK(d(usdt_free.c_str()) == d("749.5"));
  REQUIRE(wait_for([&] { return !usdm_inbox.events("ACCOUNT_UPDATE").empty(); }));
  auto au = usdm_inbox.events("ACCOUNT_UPDATE").back();
  CHECK(au["a"]["m"] == "DEPOSIT");
  CHECK(au["a"]["B"][0]["wb"] == "750.5");

  // Back, signed with the USD-M key (the /sapi endpoints are the account's, either key).
  auto back = f.send(binance::asset_transfer({Market::kUsdm, Market::kSpot, "USDT", d("0.5")}), kMasterUsdm);
  REQUIRE(back.status == 200);
  CHECK(spot_free(f, kMaster, "USDT") == d("750"));
  CHECK(usdm_wallet(f, kMasterUsdm) == d("750"));
  REQUIRE(wait_for([&] {
    auto e = usdm_inbox.events("ACCOUNT_UPDATE");
    return !e.empty() && e.back()["a"]["m"] == "WITHDRAW";
  }));

  // The history by type finds each one (rows newest first); another account sees none.
  std::vector<binance::TransferRecord> rows;
  auto h = f.send(binance::asset_transfer_history(Market::kSpot, Market::kUsdm), kMaster);
  REQUIRE(h.status == 200);
  REQUIRE(binance::parse_transfer_records(parser, h.body, rows).ok());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].tran_id == ack.tran_id);
  CHECK(rows[0].amount == d("250.5"));
  CHECK(rows[0].state == binance::TransferState::kSucceeded);
  CHECK(rows[0].type.view() == "MAIN_UMFUTURE");
  auto other = f.send(binance::asset_transfer_history(Market::kSpot, Market::kUsdm), kArb);
  REQUIRE(binance::parse_transfer_records(parser, other.body, rows).ok());
  CHECK(rows.empty());

  // Refusals: more than the source holds; a non-settle asset into USD-M. Nothing moved.
  auto too_much = f.send(binance::asset_transfer({Market::kSpot, Market::kUsdm, "USDT", d("750.01")}), kMaster);
  CHECK(too_much.status == 400);
  CHECK(body(too_much)["code"] == -5013);
  auto btc = f.send(binance::asset_transfer({Market::kSpot, Market::kUsdm, "BTC", d("0.1")}), kMaster);
  CHECK(btc.status == 400);
  CHECK(spot_free(f, kMaster, "USDT") == d("750"));
  CHECK(spot_free(f, kMaster, "BTC") == d("1"));
  CHECK(usdm_wallet(f, kMasterUsdm) == d("750"));
}

TEST_CASE("venue-sim: sub-account universal transfer by email; clientTranId refused twice; query by it") {
  FrontFixture f(transfer_config());
  auto lk_arb = body(f.send(binance::spot_listen_key(binance::HttpMethod::kPost), kArb));
  auto& arb_inbox = f.open_ws("/ws/" + lk_arb["listenKey"].get<std::string>(), std::make_shared<Inbox>());

  const binance::SubAccountTransfer to_arb{.to_email = "arb@desk.example",
                                           .asset = "USDT",
                                           .amount = d("300"),
                                           .client_tran_id = "oms-1"};
  auto r = f.send(binance::sub_account_transfer(to_arb), kMaster);
  REQUIRE(r.status == 200);
  binance::JsonParser parser;
  binance::TransferRecord ack;
  REQUIRE(binance::parse_transfer_ack(parser, r.body, ack).ok());
  CHECK(ack.client_tran_id == "oms-1");
  CHECK(spot_free(f, kMaster, "USDT") == d("700"));
  CHECK(spot_free(f, kArb, "USDT") == d("310"));
  REQUIRE(wait_for([&] { return !arb_inbox.events("balanceUpdate").empty(); }));
  CHECK(d(arb_inbox.events("balanceUpdate")[0]["d"].get<std::string>().c_str()) == d("300"));

  // The same clientTranId again: refused, nothing moves (the venue's idempotency).
  auto again = f.send(binance::sub_account_transfer(to_arb), kMaster);
  CHECK(again.status == 400);
  CHECK(body(again)["code"] == -4111);
  CHECK(spot_free(f, kMaster, "USDT") == d("700"));
  CHECK(spot_free(f, kArb, "USDT") == d("310"));

  // Master spot -> a USD-M-only sub-account's futures wallet (its email is on that wallet);
  // then sub -> sub: arb spot -> trend USD-M.
  auto fut = f.send(binance::sub_account_transfer({.to_email = "trend@desk.example",
                                                   .to_market = Market::kUsdm,
                                                   .asset = "USDT",
                                                   .amount = d("100"),
                                                   .client_tran_id = "oms-2"}),
                    kMaster);
  REQUIRE(fut.status == 200);
  CHECK(usdm_wallet(f, kTrend) == d("100"));
  auto s2s = f.send(binance::sub_account_transfer({.from_email = "arb@desk.example",
                                                   .to_email = "trend@desk.example",
                                                   .to_market = Market::kUsdm,
                                                   .asset = "USDT",
                                                   .amount = d("10"),
                                                   .client_tran_id = "oms-3"}),
                    kMaster);
  REQUIRE(s2s.status == 200);
  CHECK(spot_free(f, kArb, "USDT") == d("300"));
  CHECK(usdm_wallet(f, kTrend) == d("110"));

  // Query by clientTranId: exactly that transfer, with its ends.
  std::vector<binance::TransferRecord> rows;
  auto q = f.send(binance::sub_account_transfer_history({.client_tran_id = "oms-2"}), kMaster);
  REQUIRE(q.status == 200);
  REQUIRE(binance::parse_transfer_records(parser, q.body, rows).ok());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].client_tran_id == "oms-2");
  CHECK(rows[0].to_email == "trend@desk.example");
  CHECK(rows[0].from_email.empty());
  CHECK(rows[0].from_account_type.view() == "SPOT");
  CHECK(rows[0].to_account_type.view() == "USDT_FUTURE");
  CHECK(rows[0].amount == d("100"));
  CHECK(rows[0].state == binance::TransferState::kSucceeded);
  auto unknown = f.send(binance::sub_account_transfer_history({.client_tran_id = "never-sent"}), kMaster);
  REQUIRE(binance::parse_transfer_records(parser, unknown.body, rows).ok());
  CHECK(rows.empty());
  // By the sub-account's email (one side): the two transfers into trend, newest first.
  auto into = f.send(binance::sub_account_transfer_history({.to_email = "trend@desk.example"}), kMaster);
  REQUIRE(binance::parse_transfer_records(parser, into.body, rows).ok());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].client_tran_id == "oms-3");
  CHECK(rows[1].client_tran_id == "oms-2");

  // Refusals: an unknown email, no email at all, more than the sub-account holds.
  auto nobody = f.send(binance::sub_account_transfer({.to_email = "nobody@desk.example",
                                                      .asset = "USDT",
                                                      .amount = d("1"),
                                                      .client_tran_id = "oms-4"}),
                       kMaster);
  CHECK(nobody.status == 400);
  CHECK(body(nobody)["code"] == -1102);
  auto broke = f.send(binance::sub_account_transfer({.from_email = "arb@desk.example",
                                                     .asset = "USDT",
                                                     .amount = d("300.01"),
                                                     .client_tran_id = "oms-5"}),
                      kMaster);
  CHECK(broke.status == 400);
  CHECK(body(broke)["code"] == -5013);
  CHECK(spot_free(f, kArb, "USDT") == d("300"));
  CHECK(spot_free(f, kMaster, "USDT") == d("600"));
  (void)kArbUsdm;
}

}  // namespace oms::venue_sim::test
