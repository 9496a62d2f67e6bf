#include <doctest/doctest.h>

#include "oms/connectors/rate_limits.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::binance;

namespace {

constexpr TimeNs ms(std::int64_t v) { return v * 1'000'000; }
// 2023-11-14T22:14:00Z: a clock-minute boundary (1'700'000'040'000 ms = 28'333'334 minutes).
constexpr TimeNs kMinute0 = ms(1'700'000'040'000);

std::vector<RateLimitRule> spot_rules() {
  return {{RateLimitType::kRequestWeight, 60'000, "1M", 6000},
          {RateLimitType::kOrders, 10'000, "10S", 100},
          {RateLimitType::kOrders, 86'400'000, "1D", 200'000}};
}

std::vector<net::Header> hdr(std::string name, std::string value) { return {{std::move(name), std::move(value)}}; }

}  // namespace

TEST_CASE("rateLimits parse from the recorded spot and futures exchangeInfo") {
  const auto spot = parse_rate_limits(testkit::read_file(
      testkit::shared_data() / "nautilus/binance/integration_resources/http_responses/http_spot_market_exchange_info.json"));
  REQUIRE_MESSAGE(spot.ok(), (spot.ok() ? "" : spot.error().message));
  REQUIRE(spot->size() == 4);
  CHECK((*spot)[0].type == RateLimitType::kRequestWeight);
  CHECK((*spot)[0].interval_ms == 60'000);
  CHECK((*spot)[0].header_suffix == "1M");
  CHECK((*spot)[0].limit == 1200);
  CHECK((*spot)[1].type == RateLimitType::kOrders);
  CHECK((*spot)[1].interval_ms == 10'000);
  CHECK((*spot)[1].header_suffix == "10S");
  CHECK((*spot)[1].limit == 50);
  CHECK((*spot)[2].header_suffix == "1D");
  CHECK((*spot)[2].interval_ms == 86'400'000);
  CHECK((*spot)[2].limit == 160'000);
  CHECK((*spot)[3].type == RateLimitType::kRawRequests);
  CHECK((*spot)[3].header_suffix == "5M");
  CHECK((*spot)[3].interval_ms == 300'000);

  const auto fut = parse_rate_limits(testkit::read_file(
      testkit::shared_data() / "nautilus/binance/integration_resources/http_responses/http_futures_market_exchange_info.json"));
  REQUIRE(fut.ok());
  REQUIRE(fut->size() == 3);
  CHECK((*fut)[0].limit == 6000);
  CHECK((*fut)[1].header_suffix == "1M");
  CHECK((*fut)[1].limit == 1200);
  CHECK((*fut)[2].header_suffix == "10S");
  CHECK((*fut)[2].limit == 300);
}

TEST_CASE("rateLimits parse errors name the entry and field") {
  const auto bad_interval = parse_rate_limits(
      R"({"rateLimits":[{"rateLimitType":"ORDERS","interval":"WEEK","intervalNum":1,"limit":5}]})");
  REQUIRE(!bad_interval.ok());
  CHECK(bad_interval.error().message == "rateLimits[0].interval: unknown value 'WEEK'");
  const auto no_limit = parse_rate_limits(
      R"({"rateLimits":[{"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":5},)"
      R"({"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1}]})");
  REQUIRE(!no_limit.ok());
  CHECK(no_limit.error().message == "rateLimits[1].limit: expected a positive 32-bit integer");
  CHECK(parse_rate_limits("{").error().message == "exchangeInfo: malformed JSON");
  CHECK(parse_rate_limits("{}").error().message == "exchangeInfo.rateLimits: missing or not an array");
}

TEST_CASE("weight window rolls over on the clock minute boundary, not 60 s after first use") {
  RateLimiter rl(spot_rules(), 1);
  REQUIRE(rl.admit(0, {5000, 0}, kMinute0 + ms(59'000)).kind == AdmitKind::kAdmitted);
  const auto wait = rl.admit(0, {500, 0}, kMinute0 + ms(59'500));
  CHECK(wait.kind == AdmitKind::kWaitUntil);
  CHECK(wait.until_ns == kMinute0 + ms(60'000));
  CHECK(wait.bucket == "REQUEST_WEIGHT 1M");
  CHECK(wait.used == 5000);
  CHECK(wait.cost == 500);
  CHECK(wait.limit == 5400);  // 90 % of 6000
  CHECK(wait.venue_limit == 6000);
  CHECK(rl.used(RateLimitType::kRequestWeight, "1M", 0, kMinute0 + ms(59'999)) == 5000);
  // One millisecond into the next minute the budget is fresh.
  CHECK(rl.admit(0, {500, 0}, kMinute0 + ms(60'000)).kind == AdmitKind::kAdmitted);
  CHECK(rl.used(RateLimitType::kRequestWeight, "1M", 0, kMinute0 + ms(60'000)) == 500);
}

TEST_CASE("a wait beyond max_wait is refused with the numbers, and charges nothing") {
  RateLimiter rl(spot_rules(), 1);
  REQUIRE(rl.admit(0, {5400, 0}, kMinute0 + ms(1'000)).kind == AdmitKind::kAdmitted);
  const auto r = rl.admit(0, {1, 0}, kMinute0 + ms(2'000));
  CHECK(r.kind == AdmitKind::kRefused);
  CHECK(r.reason == RefusalReason::kWaitTooLong);
  CHECK(r.until_ns == kMinute0 + ms(60'000));
  CHECK(r.describe() ==
        "REQUEST_WEIGHT 1M: used 5400 + cost 1 > limit 5400 (venue limit 6000); frees at 1700000100000 ms "
        "[refused 4202]");
  CHECK(rl.used(RateLimitType::kRequestWeight, "1M", 0, kMinute0 + ms(2'000)) == 5400);
}

TEST_CASE("a cost above the margined limit is refused outright") {
  RateLimiter rl(spot_rules(), 1);
  const auto r = rl.admit(0, {5401, 0}, kMinute0);
  CHECK(r.kind == AdmitKind::kRefused);
  CHECK(r.reason == RefusalReason::kCostAboveLimit);
  CHECK(r.until_ns == 0);
  CHECK(r.limit == 5400);
  CHECK(rl.admit(0, {5400, 0}, kMinute0).kind == AdmitKind::kAdmitted);
}

TEST_CASE("order count: the 10 s window is per account, the weight bucket is shared by the IP") {
  RateLimiter rl(spot_rules(), 2);
  for (int i = 0; i < 90; ++i) REQUIRE(rl.admit(0, {1, 1}, kMinute0 + ms(i)).kind == AdmitKind::kAdmitted);
  const auto full = rl.admit(0, {1, 1}, kMinute0 + ms(5'000));
  CHECK(full.kind == AdmitKind::kWaitUntil);
  CHECK(full.bucket == "ORDERS 10S");
  CHECK(full.used == 90);
  CHECK(full.limit == 90);
  CHECK(full.until_ns == kMinute0 + ms(10'000));
  // Account 1 has its own order budget ...
  CHECK(rl.admit(1, {1, 1}, kMinute0 + ms(5'000)).kind == AdmitKind::kAdmitted);
  // ... but shares the IP's weight: 90 + 1 so far, plus the refused one charged nothing.
  CHECK(rl.used(RateLimitType::kRequestWeight, "1M", 1, kMinute0 + ms(5'000)) == 91);
  CHECK(rl.used(RateLimitType::kOrders, "1D", 0, kMinute0 + ms(5'000)) == 90);
  CHECK(rl.used(RateLimitType::kOrders, "1D", 1, kMinute0 + ms(5'000)) == 1);
  CHECK(rl.admit(0, {1, 1}, kMinute0 + ms(10'000)).kind == AdmitKind::kAdmitted);
  CHECK(rl.admit(2, {1, 1}, kMinute0).reason == RefusalReason::kUnknownAccount);
}

TEST_CASE("the venue's header counts replace our estimate, up or down") {
  RateLimiter rl(spot_rules(), 2);
  REQUIRE(rl.admit(0, {100, 0}, kMinute0).kind == AdmitKind::kAdmitted);
  auto out = rl.on_response(0, hdr("X-MBX-USED-WEIGHT-1M", "5300"), 200, kMinute0 + ms(10));
  CHECK(out.header_error.empty());
  CHECK(rl.used(RateLimitType::kRequestWeight, "1M", 0, kMinute0 + ms(10)) == 5300);
  const auto a = rl.admit(1, {200, 0}, kMinute0 + ms(20));  // 60 s away: refused, not queued
  CHECK(a.reason == RefusalReason::kWaitTooLong);
  CHECK(a.used == 5300);
  // Lower than our estimate (other requests counted elsewhere expired): the venue wins.
  (void)rl.on_response(0, hdr("x-mbx-used-weight-1m", "10"), 200, kMinute0 + ms(30));
  CHECK(rl.used(RateLimitType::kRequestWeight, "1M", 0, kMinute0 + ms(30)) == 10);
  // Order counts are per account.
  (void)rl.on_response(1, {{"X-MBX-ORDER-COUNT-10S", "90"}, {"X-MBX-ORDER-COUNT-1D", "1234"}}, 200,
                       kMinute0 + ms(40));
  CHECK(rl.used(RateLimitType::kOrders, "10S", 1, kMinute0 + ms(40)) == 90);
  CHECK(rl.used(RateLimitType::kOrders, "1D", 1, kMinute0 + ms(40)) == 1234);
  CHECK(rl.used(RateLimitType::kOrders, "10S", 0, kMinute0 + ms(40)) == 0);
  CHECK(rl.admit(1, {1, 1}, kMinute0 + ms(50)).bucket == "ORDERS 10S");
}

TEST_CASE("a malformed count header is reported and changes nothing, but a 429 is still honoured") {
  RateLimiter rl(spot_rules(), 1);
  REQUIRE(rl.admit(0, {100, 0}, kMinute0).kind == AdmitKind::kAdmitted);
  const auto out = rl.on_response(
      0, {{"X-MBX-USED-WEIGHT-1M", "12x"}, {"X-MBX-ORDER-COUNT-10S", "5"}, {"Retry-After", "3"}}, 429, kMinute0);
  CHECK(out.header_error == "X-MBX-USED-WEIGHT-1M: expected a count, got '12x'");
  CHECK(rl.used(RateLimitType::kRequestWeight, "1M", 0, kMinute0) == 100);
  CHECK(rl.used(RateLimitType::kOrders, "10S", 0, kMinute0) == 0);
  CHECK(out.blocked_until_ns == kMinute0 + ms(3'000));
}

TEST_CASE("429 honours Retry-After, then backs off exponentially without it") {
  RateLimiter rl(spot_rules(), 2);
  auto out = rl.on_response(0, hdr("Retry-After", "7"), 429, kMinute0);
  CHECK(!out.ban_alert);
  CHECK(out.blocked_until_ns == kMinute0 + ms(7'000));
  auto a = rl.admit(1, {1, 0}, kMinute0 + ms(1'000));  // the IP is blocked for every account
  CHECK(a.kind == AdmitKind::kWaitUntil);
  CHECK(a.bucket == "429 backoff");
  CHECK(a.until_ns == kMinute0 + ms(7'000));
  CHECK(rl.admit(0, {1, 0}, kMinute0 + ms(7'000)).kind == AdmitKind::kAdmitted);
  // No Retry-After: 1 s, 2 s, 4 s ...
  CHECK(rl.on_response(0, {}, 429, kMinute0 + ms(8'000)).blocked_until_ns == kMinute0 + ms(9'000));
  CHECK(rl.on_response(0, {}, 429, kMinute0 + ms(9'000)).blocked_until_ns == kMinute0 + ms(11'000));
  CHECK(rl.on_response(0, {}, 429, kMinute0 + ms(11'000)).blocked_until_ns == kMinute0 + ms(15'000));
  // ... reset by a normal response.
  (void)rl.on_response(0, {}, 200, kMinute0 + ms(15'000));
  CHECK(rl.on_response(0, {}, 429, kMinute0 + ms(16'000)).blocked_until_ns == kMinute0 + ms(17'000));
  // A Retry-After beyond max_wait (10 s) refuses instead of queueing.
  (void)rl.on_response(0, hdr("Retry-After", "30"), 429, kMinute0 + ms(20'000));
  a = rl.admit(0, {1, 0}, kMinute0 + ms(20'000));
  CHECK(a.kind == AdmitKind::kRefused);
  CHECK(a.reason == RefusalReason::kWaitTooLong);
  CHECK(a.until_ns == kMinute0 + ms(50'000));
}

TEST_CASE("418 bans the IP until Retry-After, raises the alert flag, then releases") {
  RateLimiter rl(spot_rules(), 2);
  const auto out = rl.on_response(1, hdr("Retry-After", "120"), 418, kMinute0);
  CHECK(out.ban_alert);
  CHECK(out.blocked_until_ns == kMinute0 + ms(120'000));
  for (std::size_t acct : {0u, 1u}) {
    const auto a = rl.admit(acct, {1, 0}, kMinute0 + ms(119'999));
    CHECK(a.kind == AdmitKind::kRefused);
    CHECK(a.reason == RefusalReason::kBanned);
    CHECK(a.until_ns == kMinute0 + ms(120'000));
    CHECK(a.describe() == "418 ban: blocked; frees at 1700000160000 ms [refused 4203]");
  }
  CHECK(rl.admit(0, {1, 0}, kMinute0 + ms(120'000)).kind == AdmitKind::kAdmitted);
}

TEST_CASE("418 without Retry-After bans for the conservative default") {
  RateLimitConfig cfg;
  cfg.default_ban_ms = 3'600'000;
  RateLimiter rl(spot_rules(), 1, cfg);
  const auto out = rl.on_response(0, {}, 418, kMinute0);
  CHECK(out.ban_alert);
  CHECK(out.blocked_until_ns == kMinute0 + ms(3'600'000));
  CHECK(rl.admit(0, {1, 0}, kMinute0 + ms(3'599'999)).reason == RefusalReason::kBanned);
  CHECK(rl.admit(0, {1, 0}, kMinute0 + ms(3'600'000)).kind == AdmitKind::kAdmitted);
}

TEST_CASE("the safety margin is configurable") {
  RateLimitConfig cfg;
  cfg.use_percent = 50;
  RateLimiter rl(spot_rules(), 1, cfg);
  CHECK(rl.admit(0, {3000, 0}, kMinute0).kind == AdmitKind::kAdmitted);
  const auto a = rl.admit(0, {1, 0}, kMinute0 + ms(55'000));
  CHECK(a.kind == AdmitKind::kWaitUntil);
  CHECK(a.limit == 3000);
}

TEST_CASE("orders_left: the least of the account's order buckets' margined room, per account; none during a 429 backoff") {
  RateLimiter rl(spot_rules(), 2);
  CHECK(rl.orders_left(0, kMinute0) == 90);  // 90 % of 100 in 10 s (the day's 180000 is wider)
  for (int i = 0; i < 30; ++i) REQUIRE(rl.admit(0, {1, 1}, kMinute0 + ms(i)).kind == AdmitKind::kAdmitted);
  CHECK(rl.orders_left(0, kMinute0 + ms(100)) == 60);
  CHECK(rl.orders_left(1, kMinute0 + ms(100)) == 90);
  CHECK(rl.orders_left(0, kMinute0 + ms(10'000)) == 90);  // the 10 s window rolled over
  CHECK(rl.orders_left(2, kMinute0) == 0);               // no such account
  (void)rl.on_response(1, hdr("Retry-After", "3"), 429, kMinute0 + ms(10'000));
  CHECK(rl.orders_left(1, kMinute0 + ms(11'000)) == 0);
  CHECK(rl.orders_left(1, kMinute0 + ms(13'000)) == 90);
}
