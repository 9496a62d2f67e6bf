// venue::IpBan (connectors/src/venue_common.hpp): the ban of the venues after Binance (Bybit's
// 403, Upbit's 418) -- started by the ban status only, its length the answer's Retry-After or the
// fallback, lengthened never shortened, a refusal naming its end while it lasts.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "venue_common.hpp"

using namespace oms;
using namespace std::chrono_literals;

namespace {

net::HttpResponse answer(unsigned status, const char* retry_after = nullptr) {
  net::HttpResponse r;
  r.status = status;
  if (retry_after != nullptr) r.headers.emplace_back("Retry-After", retry_after);
  return r;
}

constexpr TimeNs kT0 = 1'800'000'000'000'000'000;
constexpr TimeNs kSecond = 1'000'000'000;

}  // namespace

TEST_CASE("IP ban: the ban status starts it for Retry-After or the fallback; other answers do not; it refuses until its end") {
  venue::IpBan ban("bybit spot", 403, 600s);
  CHECK_FALSE(ban.refuse("new order", kT0));
  CHECK_FALSE(ban.note(answer(429), kT0));  // a rate limit, not a ban
  CHECK_FALSE(ban.note(answer(200), kT0));
  CHECK(ban.until_ns() == 0);

  // No Retry-After: the fallback.
  CHECK(ban.note(answer(403), kT0));
  CHECK(ban.until_ns() == kT0 + 600 * kSecond);
  const auto refused = ban.refuse("new order", kT0 + kSecond);
  REQUIRE(refused);
  CHECK(refused->code == ExchangeErrorCode::kRateLimited);
  CHECK(refused->message == "new order: not sent, bybit spot's IP ban (HTTP 403) frees at " +
                                std::to_string((kT0 + 600 * kSecond) / 1'000'000) + " ms (in 599000 ms)");
  // Another answer of the same ban (requests that were in flight): no new alert, not shortened.
  CHECK_FALSE(ban.note(answer(403, "30"), kT0 + kSecond));
  CHECK(ban.until_ns() == kT0 + 600 * kSecond);
  // Lengthened while it lasts (no new alert), and over at its end.
  CHECK_FALSE(ban.note(answer(403, "1200"), kT0 + 2 * kSecond));
  CHECK(ban.until_ns() == kT0 + 1202 * kSecond);
  CHECK(ban.refuse("query", kT0 + 1202 * kSecond - 1));
  CHECK_FALSE(ban.refuse("query", kT0 + 1202 * kSecond));
  // A new ban after the first ended: a new alert; Retry-After in seconds.
  CHECK(ban.note(answer(403, "5"), kT0 + 2000 * kSecond));
  CHECK(ban.until_ns() == kT0 + 2005 * kSecond);
  // A Retry-After past a week is read as a week (never wrapped into the past).
  venue::IpBan other("upbit", 418, 300s);
  CHECK(other.note(answer(418, "99999999999999"), kT0));
  CHECK(other.until_ns() == kT0 + 7 * 24 * 3600 * kSecond);
}

TEST_CASE("IP ban: an answer of the ban status is the request's error, naming the ban's end then the venue's words; the alert once per ban") {
  venue::IpBan ban("upbit", 418, 300s, "blocked this connection");
  std::vector<std::string> alerts;
  const auto alert = [&](std::string_view text) { alerts.emplace_back(text); };
  CHECK_FALSE(ban.answered(answer(200), "new order", kT0, alert, "api.upbit.com"));
  auto r = answer(418);
  r.body = R"({"error":{"name":"too_many_requests","message":"blocked"}})";
  const auto e = ban.answered(r, "new order", kT0, alert, "api.upbit.com");
  REQUIRE(e);
  CHECK(e->code == ExchangeErrorCode::kRateLimited);
  CHECK(e->message == "new order: HTTP 418, the venue blocked this connection until " +
                          std::to_string((kT0 + 300 * kSecond) / 1'000'000) +
                          R"( ms (nothing is sent until then): {"error":{"name":"too_many_requests","message":"blocked"}})");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0] == "HTTP 418: the venue blocked this connection (api.upbit.com) until " +
                         std::to_string((kT0 + 300 * kSecond) / 1'000'000) + " ms");
  CHECK(ban.answered(r, "query", kT0 + kSecond, alert, "api.upbit.com"));  // in flight before: no second alert
  CHECK(alerts.size() == 1);
}
