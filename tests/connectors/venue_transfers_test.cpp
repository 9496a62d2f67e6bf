// Bybit v5 and OKX v5 transfers between a master account and its sub-accounts: the request
// builders (exact bodies, each refusal naming its field) and the answers' parsers (exact rows,
// the venue's refusals and malformed answers named) -- the wire formats of the venues' docs
// (Bybit: Create Universal Transfer, Get Universal Transfer Records; OKX: Funds transfer, Get
// funds transfer state).
#include <doctest/doctest.h>

#include <string>

#include "oms/connectors/bybit/private_data.hpp"
#include "oms/connectors/bybit/requests.hpp"
#include "oms/connectors/okx/private_data.hpp"
#include "oms/connectors/okx/requests.hpp"

using namespace oms;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

template <class R>
std::string body(const R& r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return r->payload();
}
template <class R>
std::string refusal(const R& r) {
  REQUIRE(!r.ok());
  return r.error().message;
}

constexpr const char* kUuid = "be7a2462-1138-4e27-80b1-62653f24925e";

}  // namespace

TEST_CASE("bybit universal_transfer: the documented body, UIDs as JSON numbers, signed POST") {
  using namespace oms::bybit;
  const UniversalTransfer t{kUuid, "ETH", d("0.5"), 592334, 691355, "CONTRACT", "UNIFIED"};
  const auto r = universal_transfer(t);
  REQUIRE(r.ok());
  CHECK(r->method == HttpMethod::kPost);
  CHECK(r->path == "/v5/asset/transfer/universal-transfer");
  CHECK(r->security == Security::kSigned);
  CHECK(body(r) ==
        R"({"transferId":"be7a2462-1138-4e27-80b1-62653f24925e","coin":"ETH","amount":"0.5","fromMemberId":592334,"toMemberId":691355,"fromAccountType":"CONTRACT","toAccountType":"UNIFIED"})");
  UniversalTransfer bad = t;
  bad.transfer_id = "oms42";
  CHECK(refusal(universal_transfer(bad)) ==
        "universal_transfer: transfer_id: a UUID (8-4-4-4-12 hex digits), the venue's idempotency key");
  bad = t;
  bad.to_member_id = bad.from_member_id;
  CHECK(refusal(universal_transfer(bad)) ==
        "universal_transfer: to_member_id: the same UID as from_member_id (inter_transfer moves within one UID)");
  bad = t;
  bad.from_member_id = 0;
  CHECK(refusal(universal_transfer(bad)) == "universal_transfer: from_member_id / to_member_id: required (the UIDs)");
  bad = t;
  bad.to_account_type = "MARGIN";
  CHECK(refusal(universal_transfer(bad)) ==
        "universal_transfer: to_account_type: 'MARGIN' is not one of UNIFIED CONTRACT SPOT INVESTMENT OPTION FUND");
  bad = t;
  bad.amount = d("0");
  CHECK(refusal(universal_transfer(bad)) == "universal_transfer: amount: must be positive");
  bad = t;
  bad.coin = "";
  CHECK(refusal(universal_transfer(bad)) == "universal_transfer: coin: required");
}

TEST_CASE("bybit universal_transfers: one transfer by its UUID, or a window") {
  using namespace oms::bybit;
  const auto r = universal_transfers(kUuid);
  REQUIRE(r.ok());
  CHECK(r->method == HttpMethod::kGet);
  CHECK(r->path == "/v5/asset/transfer/query-universal-transfer-list");
  CHECK(body(r) == "transferId=be7a2462-1138-4e27-80b1-62653f24925e");
  HistoryQuery q;
  q.start_time_ms = 1672190000000;
  q.limit = 50;
  CHECK(body(universal_transfers({}, "USDT", q)) == "coin=USDT&startTime=1672190000000&limit=50");
  q.limit = 51;
  CHECK(refusal(universal_transfers({}, {}, q)) == "universal_transfers: limit: 1 to 50");
  CHECK(refusal(universal_transfers("nope")) == "universal_transfers: transfer_id: a UUID (8-4-4-4-12 hex digits)");
  CHECK(valid_uuid("BE7A2462-1138-4E27-80B1-62653F24925E"));
  CHECK_FALSE(valid_uuid("be7a2462-1138-4e27-80b1-62653f24925"));
  CHECK_FALSE(valid_uuid("be7a2462x1138-4e27-80b1-62653f24925e"));
}

TEST_CASE("bybit transfer answers: the ack, the list rows, the refusals") {
  using namespace oms::bybit;
  const auto ack = parse_transfer_ack(
      R"({"retCode":0,"retMsg":"success","result":{"transferId":"be7a2462-1138-4e27-80b1-62653f24925e","status":"SUCCESS"},"retExtInfo":{},"time":1672189449697})");
  REQUIRE(ack.ok());
  CHECK(ack->transfer_id == kUuid);
  CHECK(ack->status == TransferStatus::kSuccess);
  const auto unknown = parse_transfer_ack(R"({"retCode":0,"retMsg":"success","result":{"transferId":"x-1","status":"STATUS_UNKNOWN"}})");
  REQUIRE(unknown.ok());
  CHECK(unknown->status == TransferStatus::kPending);
  const auto bare = parse_transfer_ack(R"({"retCode":0,"retMsg":"success","result":{"transferId":"x-2"}})");
  REQUIRE(bare.ok());
  CHECK_FALSE(bare->status.has_value());
  const auto dup = parse_transfer_ack(R"({"retCode":131214,"retMsg":"TransferId exist","result":{},"retExtInfo":{}})");
  REQUIRE(!dup.ok());
  CHECK(dup.error().refused);
  CHECK(dup.error().refusal.ret_code == 131214);
  CHECK(dup.error().refusal.ret_msg == "TransferId exist");
  const auto odd = parse_transfer_ack(R"({"retCode":0,"retMsg":"success","result":{"transferId":"x","status":"DONE"}})");
  REQUIRE(!odd.ok());
  CHECK_FALSE(odd.error().refused);
  CHECK(odd.error().message == "transfer.result.status: 'DONE' is not SUCCESS, PENDING, FAILED or STATUS_UNKNOWN");

  const auto page = parse_transfers(
      R"({"retCode":0,"retMsg":"success","result":{"list":[{"transferId":"be7a2462-1138-4e27-80b1-62653f24925e","coin":"USDT","amount":"12.5","fromMemberId":"592334","toMemberId":"691355","fromAccountType":"UNIFIED","toAccountType":"UNIFIED","timestamp":"1672190762000","status":"SUCCESS"},{"transferId":"0e4f1c2a-0000-4000-8000-000000000001","coin":"BTC","amount":"0.01","fromMemberId":"691355","toMemberId":"592334","fromAccountType":"FUND","toAccountType":"UNIFIED","timestamp":"1672190761000","status":"FAILED"}],"nextPageCursor":"eyJtaW5JRCI6MTc5NjU3OCwibWF4SUQiOjE3OTY1Nzh9"},"retExtInfo":{},"time":1672190762800})");
  REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().message));
  REQUIRE(page->rows.size() == 2);
  const TransferRow& a = page->rows[0];
  CHECK(a.transfer_id == kUuid);
  CHECK(a.coin == "USDT");
  CHECK(a.amount == d("12.5"));
  CHECK(a.from_member_id == "592334");
  CHECK(a.to_member_id == "691355");
  CHECK(a.from_account_type == "UNIFIED");
  CHECK(a.to_account_type == "UNIFIED");
  CHECK(a.time_ms == 1672190762000);
  CHECK(a.status == TransferStatus::kSuccess);
  CHECK(page->rows[1].status == TransferStatus::kFailed);
  CHECK(page->rows[1].amount == d("0.01"));
  CHECK(page->next_page_cursor == "eyJtaW5JRCI6MTc5NjU3OCwibWF4SUQiOjE3OTY1Nzh9");
  const auto empty = parse_transfers(R"({"retCode":0,"retMsg":"success","result":{"list":[],"nextPageCursor":""}})");
  REQUIRE(empty.ok());
  CHECK(empty->rows.empty());
  const auto missing = parse_transfers(R"({"retCode":0,"retMsg":"success","result":{"list":[{"transferId":"a","coin":"USDT","fromAccountType":"UNIFIED","toAccountType":"FUND","timestamp":"1","status":"SUCCESS"}]}})");
  REQUIRE(!missing.ok());
  CHECK(missing.error().message == "transfers.result.list[0].amount: missing");
}

TEST_CASE("okx transfer: master <-> sub-account (types 1 and 2, subAcct, clientId)") {
  using namespace oms::okx;
  Transfer t{"USDT", d("10"), AccountType::kTrading, AccountType::kTrading, "oms1733500000000000001",
             TransferType::kMasterToSub, "desk01"};
  const auto r = transfer(t);
  REQUIRE(r.ok());
  CHECK(r->method == HttpMethod::kPost);
  CHECK(r->path == "/api/v5/asset/transfer");
  CHECK(body(r) ==
        R"({"ccy":"USDT","amt":"10","type":"1","from":"18","to":"18","subAcct":"desk01","clientId":"oms1733500000000000001"})");
  t.type = TransferType::kSubToMaster;
  t.from = AccountType::kFunding;
  CHECK(body(transfer(t)) ==
        R"({"ccy":"USDT","amt":"10","type":"2","from":"6","to":"18","subAcct":"desk01","clientId":"oms1733500000000000001"})");
  t.sub_account = {};
  CHECK(refusal(transfer(t)) == "transfer: sub_account: required by a master <-> sub-account transfer (type 1 or 2)");
  Transfer own{"USDT", d("1"), AccountType::kTrading, AccountType::kFunding, {}, TransferType::kWithinAccount, "desk01"};
  CHECK(refusal(transfer(own)) == "transfer: sub_account: only a master <-> sub-account transfer (type 1 or 2) names one");
  Transfer bad_id{"USDT", d("1"), AccountType::kTrading, AccountType::kTrading, "oms-1", TransferType::kMasterToSub, "desk01"};
  CHECK(refusal(transfer(bad_id)) == "transfer: client_id: 1 to 32 letters and digits");
  // The ccxt case (type 0) is unchanged.
  CHECK(body(transfer(Transfer{"TUSD", d("100"), AccountType::kTrading, AccountType::kFunding, {},
                                 TransferType::kWithinAccount, {}})) ==
        R"({"ccy":"TUSD","amt":"100","type":"0","from":"18","to":"6"})");
  CHECK(body(transfer_state({}, "oms1733500000000000001", TransferType::kMasterToSub)) ==
        "clientId=oms1733500000000000001&type=1");
  CHECK(body(transfer_state("754147")) == "transId=754147");
  CHECK(refusal(transfer_state("1", "a")) == "transfer_state: trans_id / client_id: exactly one");
}

TEST_CASE("okx transfer answers: the ack, transfer-state rows, refusals") {
  using namespace oms::okx;
  const auto ack = parse_transfer_ack(
      R"({"code":"0","msg":"","data":[{"transId":"754147","ccy":"USDT","clientId":"oms1","from":"18","amt":"10","to":"18"}]})");
  REQUIRE(ack.ok());
  CHECK(ack->trans_id == "754147");
  CHECK(ack->client_id == "oms1");
  const auto refused = parse_transfer_ack(R"({"code":"58350","msg":"Insufficient balance","data":[]})");
  REQUIRE(!refused.ok());
  CHECK(refused.error().refused);
  CHECK(refused.error().refusal.code == 58350);
  const auto none = parse_transfer_ack(R"({"code":"0","msg":"","data":[]})");
  REQUIRE(!none.ok());
  CHECK(none.error().message == "transfer.data: expected one item, got 0");

  const auto rows = parse_transfer_state(
      R"({"code":"0","msg":"","data":[{"amt":"1.5","ccy":"USDT","clientId":"oms7","from":"18","instId":"","state":"success","subAcct":"desk01","to":"18","toInstId":"","transId":"1","type":"1"}]})");
  REQUIRE_MESSAGE(rows.ok(), (rows.ok() ? std::string() : rows.error().message));
  REQUIRE(rows->size() == 1);
  const TransferStateRow& r = (*rows)[0];
  CHECK(r.trans_id == "1");
  CHECK(r.client_id == "oms7");
  CHECK(r.currency == "USDT");
  CHECK(r.amount == d("1.5"));
  CHECK(r.from == "18");
  CHECK(r.to == "18");
  CHECK(r.type == "1");
  CHECK(r.sub_account == "desk01");
  CHECK(r.state == TransferState::kSuccess);
  const auto pending = parse_transfer_state(
      R"({"code":"0","msg":"","data":[{"amt":"1","ccy":"BTC","clientId":"","from":"6","state":"pending","subAcct":"","to":"18","transId":"2","type":"0"}]})");
  REQUIRE(pending.ok());
  CHECK((*pending)[0].state == TransferState::kPending);
  const auto empty = parse_transfer_state(R"({"code":"0","msg":"","data":[]})");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  const auto odd = parse_transfer_state(
      R"({"code":"0","msg":"","data":[{"amt":"1","ccy":"BTC","from":"6","state":"done","to":"18","transId":"2"}]})");
  REQUIRE(!odd.ok());
  CHECK(odd.error().message == "transfer-state.data[0].state: 'done' is not success, pending or failed");
}
