// Binance-style rate-limit budgets as a pure core: time is an argument, nothing reads a clock.
//
// One RateLimiter per outgoing IP. It holds the IP's REQUEST_WEIGHT buckets (shared by every
// account that sends from that IP) and one set of ORDERS buckets per account (switching
// account is an index). Windows are fixed and aligned to the clock (Binance counts per clock
// minute / 10 s / UTC day), not sliding.
//
//   admit(account, cost, now)   before a request leaves: admitted (and charged), wait until t,
//                               or refused with the numbers that tripped it;
//   on_response(account, ...)   after: the venue's X-MBX-USED-WEIGHT-* / X-MBX-ORDER-COUNT-*
//                               headers replace our estimate; 429 blocks the IP until
//                               Retry-After (or an exponential default); 418 bans the IP until
//                               Retry-After (or a conservative default) and raises alert.
//
// A safety margin (default 90 %) keeps us below the venue's limit, so a 418 should never come.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/net/http.hpp"
#include "oms/messages/envelope.hpp"
#include "oms/messages/result.hpp"

namespace oms::binance {

enum class RateLimitType : std::uint8_t { kRequestWeight, kOrders, kRawRequests };

// One entry of exchangeInfo "rateLimits": {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE",
// "intervalNum":1,"limit":6000}.
struct RateLimitRule {
  RateLimitType type = RateLimitType::kRequestWeight;
  std::int64_t interval_ms = 60'000;  // interval x intervalNum
  std::string header_suffix;          // "1M", "10S", "1D": X-MBX-USED-WEIGHT-<suffix>
  std::uint32_t limit = 0;
};

struct RateLimitError {
  std::string message;  // names the field: "rateLimits[1].interval: unknown value 'WEEK'"
};

// The rateLimits array of an exchangeInfo body (spot /api/v3 or futures /fapi/v1).
[[nodiscard]] Result<std::vector<RateLimitRule>, RateLimitError> parse_rate_limits(
    std::string_view exchange_info_body);

struct RateLimitConfig {
  std::uint32_t use_percent = 90;             // of each venue limit; the rest is headroom
  std::int64_t max_wait_ms = 10'000;          // a longer wait is refused, not queued
  std::int64_t default_429_backoff_ms = 1'000;  // no Retry-After: 1 s, doubling per 429 ...
  std::int64_t max_429_backoff_ms = 60'000;     // ... up to this
  std::int64_t default_ban_ms = 3'600'000;    // 418 without Retry-After: an hour (conservative)
};

// What one request costs: REQUEST_WEIGHT units (IP) and orders placed (account).
struct RequestCost {
  std::uint32_t weight = 1;
  std::uint32_t orders = 0;
};

enum class AdmitKind : std::uint8_t { kAdmitted, kWaitUntil, kRefused };

enum class RefusalReason : std::uint16_t {
  kNone = 0,
  kCostAboveLimit = 4201,   // the cost alone exceeds the (margined) limit: can never pass
  kWaitTooLong = 4202,      // the budget frees later than now + max_wait_ms
  kBanned = 4203,           // a 418 ban is in force on this IP
  kUnknownAccount = 4204,   // account index out of range
};

struct Admission {
  AdmitKind kind = AdmitKind::kAdmitted;
  RefusalReason reason = RefusalReason::kNone;
  TimeNs until_ns = 0;       // kWaitUntil: retry at; kRefused: when it would pass (0 = never)
  // The bucket that decided (empty when admitted): "REQUEST_WEIGHT 1M", "ORDERS 10S",
  // "429 backoff", "418 ban", with its numbers.
  std::string bucket;
  std::uint32_t used = 0;    // in the current window, before this request
  std::uint32_t cost = 0;
  std::uint32_t limit = 0;   // the margined limit we enforce
  std::uint32_t venue_limit = 0;
  // "REQUEST_WEIGHT 1M: used 5390 + cost 20 > limit 5400 (90% of 6000); frees at ..."
  [[nodiscard]] std::string describe() const;
};

struct ResponseOutcome {
  bool ban_alert = false;      // a 418 arrived: the caller emits an alert event
  TimeNs blocked_until_ns = 0; // 429 backoff or 418 ban end (0 = not blocked)
  std::string header_error;    // a malformed X-MBX-* header (its numbers were not applied)
};

class RateLimiter {
 public:
  // rules: from parse_rate_limits (RAW_REQUESTS rules are kept but counted as weight-1 requests).
  RateLimiter(std::vector<RateLimitRule> rules, std::size_t accounts, RateLimitConfig config = {});

  // Decides one request before it leaves. Admitted requests are charged to every bucket.
  [[nodiscard]] Admission admit(std::size_t account, RequestCost cost, TimeNs now);

  // When the account's own order buckets (ORDERS 10S, 1D...) would let `orders` more pass: 0 when
  // they would now (or when the wait is longer than max_wait_ms: admit() then refuses it). The
  // IP-wide buckets are not looked at. Changes nothing.
  [[nodiscard]] TimeNs orders_free_at(std::size_t account, std::uint32_t orders, TimeNs now) const;

  // How many orders the account's own order buckets would let pass now: the least of each
  // bucket's margined limit minus its use in the current window (account routing). 0 for an
  // unknown account or while a 429 backoff or 418 ban is in force.
  [[nodiscard]] std::uint32_t orders_left(std::size_t account, TimeNs now) const;

  // Folds a response in. The venue's header numbers win over our estimate. A malformed
  // header is reported and its numbers ignored, but a 429/418 status is always honoured.
  ResponseOutcome on_response(std::size_t account, const std::vector<net::Header>& headers,
                              unsigned status, TimeNs now);

  // Used count of the bucket with this header suffix in the window containing now (0 if the
  // window has rolled over). Order buckets are per account; weight buckets ignore account.
  [[nodiscard]] std::uint32_t used(RateLimitType type, std::string_view suffix,
                                   std::size_t account, TimeNs now) const;
  [[nodiscard]] std::size_t accounts() const noexcept { return accounts_.size(); }
  // The end of the venue's 418 ban of this IP (0: never banned; in the past: over).
  [[nodiscard]] TimeNs banned_until() const noexcept { return banned_until_; }

 private:
  struct Bucket {
    RateLimitRule rule;
    std::uint32_t margined_limit = 0;
    TimeNs window_start = 0;
    std::uint32_t used = 0;
  };
  std::vector<Bucket> ip_;                     // REQUEST_WEIGHT and RAW_REQUESTS
  std::vector<std::vector<Bucket>> accounts_;  // ORDERS, per account
  RateLimitConfig config_;
  TimeNs blocked_until_ = 0;   // 429 backoff on this IP
  TimeNs banned_until_ = 0;    // 418 ban on this IP
  std::int64_t next_backoff_ms_ = 0;

  Bucket make_bucket(const RateLimitRule& r) const;
};

}  // namespace oms::binance
