// venue-sim's OKX funds transfers, in-process, with our v5 builders and parsers: a master
// (alice) and its sub-account (bob, subAcct "bobsub"). Types 1 and 2 on the master's key move
// the trading balances once; a repeated clientId is refused (51000) and moves nothing; a
// sub-account's key cannot use types 1 / 2; transfer-state by clientId answers the row, none for
// an unknown one.
#include <doctest/doctest.h>

#include "okx_fixture.hpp"
#include "oms/connectors/okx/private_data.hpp"
#include "oms/connectors/okx/requests.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::okx_test;

namespace {

Decimal usdt(OkxFixture& f, const Keys& k) {
  const auto a = f.get("/api/v5/account/balance?ccy=USDT", k);
  INFO(a.body);
  REQUIRE(a.code() == "0");
  for (const auto& det : a.first().at("details")) {
    if (det.at("ccy") == "USDT") return *Decimal::parse(det.at("cashBal").get<std::string>());
  }
  return Decimal{};
}

Answer send(OkxFixture& f, const okx::Req& r, const Keys& k) {
  REQUIRE(r.ok());
  return r->method == okx::HttpMethod::kGet ? f.get(r->path + "?" + r->payload(), k)
                                            : f.post(r->path, nlohmann::json::parse(r->payload()), k);
}

okx::Transfer move(const char* client_id, const char* amount, okx::TransferType type) {
  return {"USDT", *Decimal::parse(amount), okx::AccountType::kTrading, okx::AccountType::kTrading, client_id, type,
          "bobsub"};
}

// alice and her sub-account bob (subAcct "bobsub").
OkxFrontConfig family_config(const std::shared_ptr<std::atomic<std::int64_t>>& clock) {
  OkxFrontConfig c = OkxFixture::config(clock);
  c.accounts[1].parent = "alice";
  c.accounts[1].sub_account = "bobsub";
  return c;
}

}  // namespace

TEST_CASE("venue-sim okx funds transfer: master <-> sub (types 1, 2) once per clientId; transfer-state by clientId") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  OkxFixture f(family_config(clock));
  const Decimal a0 = usdt(f, f.alice), b0 = usdt(f, f.bob);
  const auto t = send(f, okx::transfer(move("oms1", "300", okx::TransferType::kMasterToSub)), f.alice);
  auto ack = okx::parse_transfer_ack(t.body);
  REQUIRE_MESSAGE(ack.ok(), t.body);
  CHECK(ack->client_id == "oms1");
  CHECK_FALSE(ack->trans_id.empty());
  CHECK(usdt(f, f.alice) == Decimal::from_raw(a0.raw() - Decimal::parse("300")->raw()));
  CHECK(usdt(f, f.bob) == Decimal::from_raw(b0.raw() + Decimal::parse("300")->raw()));
  // The same clientId again: refused naming it, nothing moves.
  const auto again = send(f, okx::transfer(move("oms1", "300", okx::TransferType::kMasterToSub)), f.alice);
  CHECK(again.code() == "51000");
  CHECK(again.msg().find("clientId") != std::string::npos);
  CHECK(usdt(f, f.bob) == Decimal::from_raw(b0.raw() + Decimal::parse("300")->raw()));
  // Back up (type 2); a sub-account's key cannot; too much is 58350.
  CHECK(send(f, okx::transfer(move("oms2", "100", okx::TransferType::kSubToMaster)), f.alice).code() == "0");
  CHECK(send(f, okx::transfer(move("oms3", "1", okx::TransferType::kSubToMaster)), f.bob).code() == "50030");
  CHECK(send(f, okx::transfer(move("oms4", "1e9", okx::TransferType::kMasterToSub)), f.alice).code() == "58350");
  CHECK(usdt(f, f.alice) == Decimal::from_raw(a0.raw() - Decimal::parse("200")->raw()));

  const auto st = send(f, okx::transfer_state({}, "oms1", okx::TransferType::kMasterToSub), f.alice);
  auto rows = okx::parse_transfer_state(st.body);
  REQUIRE_MESSAGE(rows.ok(), st.body);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].client_id == "oms1");
  CHECK((*rows)[0].trans_id == ack->trans_id);
  CHECK((*rows)[0].amount == *Decimal::parse("300"));
  CHECK((*rows)[0].sub_account == "bobsub");
  CHECK((*rows)[0].type == "1");
  CHECK((*rows)[0].state == okx::TransferState::kSuccess);
  auto none = okx::parse_transfer_state(send(f, okx::transfer_state({}, "oms9"), f.alice).body);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("venue-sim okx funds transfer: out of the trading account draws on the spot part, then the SWAP USDT, as one unified wallet") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  OkxFixture f(family_config(clock));
  // alice's trading account: spot 100000 + SWAP 100000 USDT (account/balance shows the sum).
  const Decimal a0 = usdt(f, f.alice), b0 = usdt(f, f.bob);
  REQUIRE(a0 == *Decimal::parse("200000"));
  CHECK(send(f, okx::transfer(move("big1", "200000.00000001", okx::TransferType::kMasterToSub)), f.alice).code() == "58350");
  CHECK(usdt(f, f.alice) == a0);
  const auto t = send(f, okx::transfer(move("big2", "150000", okx::TransferType::kMasterToSub)), f.alice);
  REQUIRE_MESSAGE(t.code() == "0", t.body);
  CHECK(usdt(f, f.alice) == *Decimal::parse("50000"));
  CHECK(usdt(f, f.bob) == Decimal::from_raw(b0.raw() + Decimal::parse("150000")->raw()));
  // And back: bob's spot part takes it.
  REQUIRE(send(f, okx::transfer(move("big3", "150000", okx::TransferType::kSubToMaster)), f.alice).code() == "0");
  CHECK(usdt(f, f.alice) == a0);
  CHECK(usdt(f, f.bob) == b0);
}
