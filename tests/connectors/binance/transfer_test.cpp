// Pins connectors/src/binance/requests_transfer.cpp and parse_transfer.cpp: the /sapi transfer
// requests as the venue documents them (paths, parameter order and names, the email rules)
// and its documented response bodies.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/binance/rest_response.hpp"

namespace bn = oms::binance;
using oms::Decimal;
using oms::Market;

namespace {
Decimal d(std::string_view s) { return Decimal::parse(s).value(); }
}  // namespace

TEST_CASE("user universal transfer: MAIN_UMFUTURE / UMFUTURE_MAIN, signed POST body") {
  auto r = bn::asset_transfer({Market::kSpot, Market::kUsdm, "USDT", d("125.50")});
  REQUIRE(r.ok());
  CHECK(r->method == bn::HttpMethod::kPost);
  CHECK(r->path == "/sapi/v1/asset/transfer");
  CHECK(r->security == bn::Security::kSigned);
  CHECK(r->encoded_params() == "type=MAIN_UMFUTURE&asset=USDT&amount=125.5");
  auto back = bn::asset_transfer({Market::kUsdm, Market::kSpot, "USDT", d("1")});
  REQUIRE(back.ok());
  CHECK(back->encoded_params() == "type=UMFUTURE_MAIN&asset=USDT&amount=1");

  auto signer = oms::signing::BinanceSigner::hmac("secret");
  REQUIRE(signer.ok());
  auto http = bn::render(*r, bn::Credentials{"key", &signer.value(), 5000}, 1700000000000);
  REQUIRE(http.ok());
  CHECK(http->target == "/sapi/v1/asset/transfer");
  CHECK(http->body.starts_with(
      "type=MAIN_UMFUTURE&asset=USDT&amount=125.5&recvWindow=5000&timestamp=1700000000000&"
      "signature="));
}

TEST_CASE("user universal transfer: refused naming the field") {
  auto same = bn::asset_transfer({Market::kSpot, Market::kSpot, "USDT", d("1")});
  REQUIRE_FALSE(same.ok());
  CHECK(same.error().message == "asset_transfer: from/to: spot -> usdm or usdm -> spot");
  auto zero = bn::asset_transfer({Market::kSpot, Market::kUsdm, "USDT", d("0")});
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().message == "asset_transfer: amount: must be positive");
  auto no_asset = bn::asset_transfer({Market::kSpot, Market::kUsdm, "", d("1")});
  REQUIRE_FALSE(no_asset.ok());
  CHECK(no_asset.error().message == "asset_transfer: asset: required");
}

TEST_CASE("user universal transfer history: GET by type, window and size") {
  auto r = bn::asset_transfer_history(Market::kSpot, Market::kUsdm,
                                      {.start_time_ms = 1700000000000, .limit = 100});
  REQUIRE(r.ok());
  CHECK(r->method == bn::HttpMethod::kGet);
  CHECK(r->path == "/sapi/v1/asset/transfer");
  CHECK(r->encoded_params() == "type=MAIN_UMFUTURE&startTime=1700000000000&size=100");
  CHECK_FALSE(bn::asset_transfer_history(Market::kSpot, Market::kUsdm, {.limit = 101}).ok());
}

TEST_CASE("sub-account universal transfer: emails, account types, clientTranId") {
  auto to_sub = bn::sub_account_transfer({.from_email = "",
                                          .to_email = "arb-1@desk.example",
                                          .from_market = Market::kSpot,
                                          .to_market = Market::kUsdm,
                                          .asset = "USDT",
                                          .amount = d("250"),
                                          .client_tran_id = "oms-t-42"});
  REQUIRE(to_sub.ok());
  CHECK(to_sub->method == bn::HttpMethod::kPost);
  CHECK(to_sub->path == "/sapi/v1/sub-account/universalTransfer");
  CHECK(to_sub->encoded_params() ==
        "toEmail=arb-1%40desk.example&fromAccountType=SPOT&toAccountType=USDT_FUTURE&"
        "clientTranId=oms-t-42&asset=USDT&amount=250");
  auto sub_to_sub = bn::sub_account_transfer({.from_email = "a@x.io",
                                              .to_email = "b@x.io",
                                              .asset = "BTC",
                                              .amount = d("0.001"),
                                              .client_tran_id = "c1"});
  REQUIRE(sub_to_sub.ok());
  CHECK(sub_to_sub->encoded_params() ==
        "fromEmail=a%40x.io&toEmail=b%40x.io&fromAccountType=SPOT&toAccountType=SPOT&"
        "clientTranId=c1&asset=BTC&amount=0.001");
}

TEST_CASE("sub-account universal transfer: refused naming the field") {
  bn::SubAccountTransfer t{.to_email = "b@x.io", .asset = "USDT", .amount = d("1"),
                           .client_tran_id = "c"};
  auto ok = bn::sub_account_transfer(t);
  CHECK(ok.ok());
  auto no_email = t;
  no_email.to_email = "";
  CHECK(bn::sub_account_transfer(no_email).error().message ==
        "sub_account_transfer: from_email / to_email: at least one sub-account email");
  auto no_id = t;
  no_id.client_tran_id = "";
  CHECK(bn::sub_account_transfer(no_id).error().message ==
        "sub_account_transfer: client_tran_id: required (the venue's idempotency key)");
  auto coinm = t;
  coinm.to_market = Market::kCoinm;
  CHECK(bn::sub_account_transfer(coinm).error().message ==
        "sub_account_transfer: to_market: spot or usdm");
  auto self = t;
  self.from_email = "b@x.io";
  CHECK(bn::sub_account_transfer(self).error().message ==
        "sub_account_transfer: to_email: the same account and market as the source");
  auto negative = t;
  negative.amount = d("-1");
  CHECK(bn::sub_account_transfer(negative).error().message ==
        "sub_account_transfer: amount: must be positive");
}

TEST_CASE("sub-account transfer history: by clientTranId; one email side only") {
  auto r = bn::sub_account_transfer_history({.client_tran_id = "oms-t-42"});
  REQUIRE(r.ok());
  CHECK(r->method == bn::HttpMethod::kGet);
  CHECK(r->path == "/sapi/v1/sub-account/universalTransfer");
  CHECK(r->encoded_params() == "clientTranId=oms-t-42");
  auto both = bn::sub_account_transfer_history({.from_email = "a@x.io", .to_email = "b@x.io"});
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().message ==
        "sub_account_transfer_history: from_email / to_email: one side only (the venue's rule)");
  auto window = bn::sub_account_transfer_history(
      {.to_email = "b@x.io", .window = {.start_time_ms = 1, .end_time_ms = 2, .limit = 500}});
  REQUIRE(window.ok());
  CHECK(window->encoded_params() == "toEmail=b%40x.io&startTime=1&endTime=2&limit=500");
}

TEST_CASE("transfer acknowledgements: tranId, and clientTranId for sub-account transfers") {
  bn::JsonParser p;
  bn::TransferRecord t;
  REQUIRE(bn::parse_transfer_ack(p, R"({"tranId":13526853623})", t).ok());
  CHECK(t.tran_id == 13526853623U);
  CHECK(t.client_tran_id.empty());
  CHECK_FALSE(t.has_details);
  REQUIRE(bn::parse_transfer_ack(p, R"({"tranId":11945860693,"clientTranId":"test"})", t).ok());
  CHECK(t.tran_id == 11945860693U);
  CHECK(t.client_tran_id == "test");
  auto missing = bn::parse_transfer_ack(p, R"({"clientTranId":"test"})", t);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "transfer.tranId: missing");
  CHECK_FALSE(bn::parse_transfer_ack(p, R"([1])", t).ok());
}

TEST_CASE("transfer queries: the documented bodies of both endpoints") {
  bn::JsonParser p;
  std::vector<bn::TransferRecord> rows;
  // GET /sapi/v1/asset/transfer, the venue's documented example.
  REQUIRE(bn::parse_transfer_records(p, R"({"total":2,"rows":[
      {"asset":"USDT","amount":"1","type":"MAIN_UMFUTURE","status":"CONFIRMED",
       "tranId":11415955596,"timestamp":1544433328000},
      {"asset":"USDT","amount":"2","type":"MAIN_UMFUTURE","status":"FAILED",
       "tranId":11366865406,"timestamp":1544433328000}]})",
                                     rows)
              .ok());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].tran_id == 11415955596U);
  CHECK(rows[0].state == bn::TransferState::kSucceeded);
  CHECK(rows[0].amount == d("1"));
  CHECK(rows[0].type.view() == "MAIN_UMFUTURE");
  CHECK(rows[0].time == 1544433328000U);
  CHECK(rows[1].state == bn::TransferState::kFailed);
  REQUIRE(bn::parse_transfer_records(p, R"({"total":0})", rows).ok());
  CHECK(rows.empty());
  // GET /sapi/v1/sub-account/universalTransfer, the venue's documented example.
  REQUIRE(bn::parse_transfer_records(p, R"({"result":[{"tranId":92275823339,
      "fromEmail":"abctest@gmail.com","toEmail":"deftest@gmail.com","asset":"BNB",
      "amount":"0.01","createTimeStamp":1640317374000,"fromAccountType":"USDT_FUTURE",
      "toAccountType":"SPOT","status":"SUCCESS","clientTranId":"test"}],"totalCount":1})",
                                     rows)
              .ok());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].client_tran_id == "test");
  CHECK(rows[0].from_email == "abctest@gmail.com");
  CHECK(rows[0].to_email == "deftest@gmail.com");
  CHECK(rows[0].from_account_type.view() == "USDT_FUTURE");
  CHECK(rows[0].to_account_type.view() == "SPOT");
  CHECK(rows[0].state == bn::TransferState::kSucceeded);
  CHECK(rows[0].amount == d("0.01"));
  CHECK(rows[0].time == 1640317374000U);
  auto bad = bn::parse_transfer_records(
      p, R"({"total":1,"rows":[{"asset":"USDT","amount":"1","status":"WHAT","tranId":1}]})",
      rows);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "transfers.rows[0].status: unknown transfer status");
  auto no_amount = bn::parse_transfer_records(
      p, R"({"total":1,"rows":[{"asset":"USDT","status":"PENDING","tranId":1}]})", rows);
  REQUIRE_FALSE(no_amount.ok());
  CHECK(no_amount.error().message == "transfers.rows[0].amount: missing");
}
