// venue-sim's Bybit universal transfers, in-process, with our v5 builders and parsers: a master
// (alice) and its sub-account (bob), another master (carol). Balances move between UIDs of one
// family once; a repeated transferId is 131214 and moves nothing; UIDs outside the family 131209,
// unknown 131202; a sub-account's key moves only to its master; the record list by transferId.
#include <doctest/doctest.h>

#include "bybit_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::bybit_test;
namespace bb = oms::bybit;

namespace {

constexpr std::uint64_t kAlice = 100'000'001, kBob = 100'000'002, kCarol = 555;
const Keys kCarolKeys{"carol-bybit-key", "carol-bybit-secret"};

BybitFrontConfig family_config(const std::shared_ptr<std::atomic<std::int64_t>>& clock) {
  BybitFrontConfig c = BybitFixture::config(clock);
  c.accounts[1].parent = "alice";  // bob: alice's sub-account
  c.accounts.push_back(default_bybit_account("carol", kCarolKeys.key, kCarolKeys.secret));
  c.accounts[2].member_id = kCarol;
  return c;
}

Decimal usdt(BybitFixture& f, const Keys& k) {
  const auto a = f.send(bb::wallet_balance("USDT"), k);
  auto b = bb::parse_wallet_balance(a.body, f.reg.context(Market::kSpot));
  INFO(a.body);
  REQUIRE(b.ok());
  for (const auto& x : *b) {
    if (x.asset.view() == "USDT") return x.free;
  }
  return Decimal{};
}

bb::UniversalTransfer move(const char* id, const char* amount, std::uint64_t from, std::uint64_t to) {
  return {id, "USDT", d(amount), from, to, "UNIFIED", "UNIFIED"};
}

}  // namespace

TEST_CASE("venue-sim bybit universal transfer: within a master's family, once per transferId, named refusals") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  BybitFixture f(family_config(clock));
  const Decimal a0 = usdt(f, f.alice), b0 = usdt(f, f.bob), c0 = usdt(f, kCarolKeys);
  const char* id1 = "6f6d7300-0000-4000-8000-000001000000";
  const auto t = f.send(bb::universal_transfer(move(id1, "250", kAlice, kBob)), f.alice);
  auto ack = bb::parse_transfer_ack(t.body);
  REQUIRE_MESSAGE(ack.ok(), t.body);
  CHECK(ack->transfer_id == id1);
  CHECK(ack->status == bb::TransferStatus::kSuccess);
  CHECK(usdt(f, f.alice) == Decimal::from_raw(a0.raw() - d("250").raw()));
  CHECK(usdt(f, f.bob) == Decimal::from_raw(b0.raw() + d("250").raw()));
  // The same transferId again: refused, nothing moves.
  const auto again = f.send(bb::universal_transfer(move(id1, "250", kAlice, kBob)), f.alice);
  CHECK(again.code() == 131214);
  CHECK(again.msg() == "TransferId exist");
  CHECK(usdt(f, f.bob) == Decimal::from_raw(b0.raw() + d("250").raw()));
  // Outside the family, unknown UIDs, the same UID, too much.
  CHECK(f.send(bb::universal_transfer(move("6f6d7300-0000-4000-8000-000002000000", "1", kAlice, kCarol)), f.alice).code() == 131209);
  CHECK(f.send(bb::universal_transfer(move("6f6d7300-0000-4000-8000-000003000000", "1", kAlice, 999)), f.alice).code() == 131202);
  CHECK(f.send(bb::universal_transfer(move("6f6d7300-0000-4000-8000-000004000000", "1e9", kAlice, kBob)), f.alice).code() == 131212);
  clock->fetch_add(1'000);  // universal-transfer: 5 a second per UID
  CHECK(f.post("/v5/asset/transfer/universal-transfer",
               R"({"transferId":"6f6d7300-0000-4000-8000-000005000000","coin":"USDT","amount":"1","fromMemberId":100000001,"toMemberId":100000001,"fromAccountType":"UNIFIED","toAccountType":"UNIFIED"})",
               f.alice).code() == 131002);
  // The sub-account's key: to its master only.
  CHECK(f.send(bb::universal_transfer(move("6f6d7300-0000-4000-8000-000006000000", "10", kBob, kAlice)), f.bob).code() == 0);
  CHECK(f.send(bb::universal_transfer(move("6f6d7300-0000-4000-8000-000007000000", "10", kAlice, kBob)), f.bob).code() == 131209);
  CHECK(usdt(f, f.alice) == Decimal::from_raw(a0.raw() - d("240").raw()));
  CHECK(usdt(f, kCarolKeys) == c0);

  // The records: by transferId, from the master's key (its family's) and the sub's (its own).
  const auto rows = f.send(bb::universal_transfers(id1), f.alice);
  auto page = bb::parse_transfers(rows.body);
  REQUIRE_MESSAGE(page.ok(), rows.body);
  REQUIRE(page->rows.size() == 1);
  CHECK(page->rows[0].transfer_id == id1);
  CHECK(page->rows[0].amount == d("250"));
  CHECK(page->rows[0].from_member_id == "100000001");
  CHECK(page->rows[0].to_member_id == "100000002");
  CHECK(page->rows[0].from_account_type == "UNIFIED");
  CHECK(page->rows[0].status == bb::TransferStatus::kSuccess);
  auto all = bb::parse_transfers(f.send(bb::universal_transfers({}), f.bob).body);
  REQUIRE(all.ok());
  CHECK(all->rows.size() == 2);
  CHECK(bb::parse_transfers(f.send(bb::universal_transfers({}), kCarolKeys).body)->rows.empty());
  CHECK(bb::parse_transfers(f.send(bb::universal_transfers("6f6d7300-0000-4000-8000-000009000000"), f.alice).body)->rows.empty());
}

TEST_CASE("venue-sim bybit universal transfer: out of UNIFIED draws on the spot part, then the linear wallet's available USDT, as one unified wallet; never what margins an order") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  BybitFixture f(family_config(clock));
  // alice's unified wallet: spot 100000 + linear 100000 USDT. A linear order margins part of it.
  const Decimal a0 = usdt(f, f.alice), b0 = usdt(f, f.bob);
  REQUIRE(a0 == d("200000"));
  const auto order = f.post("/v5/order/create",
                            R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.5","price":"59000"})",
                            f.alice);
  REQUIRE_MESSAGE(order.code() == 0, order.body);
  // The order's initial margin, as the wallet lists it (the linear wallet's share no transfer takes).
  const auto wallet = f.send(bb::wallet_balance("USDT"), f.alice);
  const Decimal margined = d(wallet.result()["list"][0]["coin"][0]["totalOrderIM"].get<std::string>().c_str());
  REQUIRE_MESSAGE(margined.is_positive(), wallet.body);
  // All but one USDT: more than the wallet's unmargined part -- refused, nothing moves.
  CHECK(f.send(bb::universal_transfer(move("6f6d7300-0000-4000-8000-000011000000", "199999", kAlice, kBob)), f.alice).code() == 131212);
  CHECK(usdt(f, f.alice) == a0);
  CHECK(usdt(f, f.bob) == b0);
  // 150000: the spot part's 100000 and 50000 of the linear wallet.
  clock->fetch_add(1'000);
  const auto t = f.send(bb::universal_transfer(move("6f6d7300-0000-4000-8000-000012000000", "150000", kAlice, kBob)), f.alice);
  REQUIRE_MESSAGE(t.code() == 0, t.body);
  CHECK(usdt(f, f.alice) == Decimal::from_raw(a0.raw() - d("150000").raw()));
  CHECK(usdt(f, f.bob) == Decimal::from_raw(b0.raw() + d("150000").raw()));
  // The rest of what no order margins moves; one unit more does not.
  clock->fetch_add(1'000);
  const Decimal left = Decimal::from_raw(usdt(f, f.alice).raw() - margined.raw());
  const Decimal over = Decimal::from_raw(left.raw() + d("0.00000001").raw());
  CHECK(f.send(bb::universal_transfer({"6f6d7300-0000-4000-8000-000013000000", "USDT", over, kAlice, kBob, "UNIFIED", "UNIFIED"}), f.alice).code() == 131212);
  CHECK(f.send(bb::universal_transfer({"6f6d7300-0000-4000-8000-000014000000", "USDT", left, kAlice, kBob, "UNIFIED", "UNIFIED"}), f.alice).code() == 0);
  CHECK(usdt(f, f.alice) == margined);
}
