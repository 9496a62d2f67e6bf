#include "oms/connectors/rate_limits.hpp"

#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <charconv>

namespace oms::binance {
namespace {

constexpr TimeNs kNsPerMs = 1'000'000;
constexpr std::string_view kWeightHeader = "x-mbx-used-weight-";
constexpr std::string_view kOrderHeader = "x-mbx-order-count-";

struct IntervalUnit {
  std::string_view name;
  char letter;
  std::int64_t ms;
};
constexpr IntervalUnit kUnits[] = {
    {"SECOND", 'S', 1'000}, {"MINUTE", 'M', 60'000}, {"HOUR", 'H', 3'600'000}, {"DAY", 'D', 86'400'000}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

// A non-negative decimal integer, the whole string.
bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

TimeNs window_of(TimeNs now, std::int64_t interval_ms) {
  const TimeNs len = interval_ms * kNsPerMs;
  // Floor division: clock-aligned windows (Binance counts per clock minute / UTC day).
  TimeNs q = now / len;
  if (now % len < 0) --q;
  return q * len;
}

std::string name_of(const RateLimitRule& r) {
  switch (r.type) {
    case RateLimitType::kRequestWeight: return "REQUEST_WEIGHT " + r.header_suffix;
    case RateLimitType::kOrders: return "ORDERS " + r.header_suffix;
    case RateLimitType::kRawRequests: return "RAW_REQUESTS " + r.header_suffix;
  }
  return "?";
}

}  // namespace

Result<std::vector<RateLimitRule>, RateLimitError> parse_rate_limits(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS)
    return Unexpected(RateLimitError{"exchangeInfo: malformed JSON"});
  simdjson::dom::array arr;
  if (root["rateLimits"].get_array().get(arr) != simdjson::SUCCESS)
    return Unexpected(RateLimitError{"exchangeInfo.rateLimits: missing or not an array"});
  std::vector<RateLimitRule> out;
  std::size_t i = 0;
  for (simdjson::dom::element e : arr) {
    const std::string where = "rateLimits[" + std::to_string(i++) + "].";
    const auto fail = [&](std::string_view field, std::string what) {
      return Unexpected(RateLimitError{where + std::string(field) + ": " + std::move(what)});
    };
    std::string_view type, interval;
    std::uint64_t num = 0, limit = 0;
    if (e["rateLimitType"].get_string().get(type) != simdjson::SUCCESS)
      return fail("rateLimitType", "missing or not a string");
    if (e["interval"].get_string().get(interval) != simdjson::SUCCESS)
      return fail("interval", "missing or not a string");
    if (e["intervalNum"].get_uint64().get(num) != simdjson::SUCCESS || num == 0 || num > 1000)
      return fail("intervalNum", "expected an integer in 1..1000");
    if (e["limit"].get_uint64().get(limit) != simdjson::SUCCESS || limit == 0 || limit > UINT32_MAX)
      return fail("limit", "expected a positive 32-bit integer");
    RateLimitRule r;
    if (type == "REQUEST_WEIGHT") r.type = RateLimitType::kRequestWeight;
    else if (type == "ORDERS") r.type = RateLimitType::kOrders;
    else if (type == "RAW_REQUESTS") r.type = RateLimitType::kRawRequests;
    else return fail("rateLimitType", "unknown value '" + std::string(type) + "'");
    const auto* unit = std::find_if(std::begin(kUnits), std::end(kUnits),
                                    [&](const IntervalUnit& u) { return u.name == interval; });
    if (unit == std::end(kUnits)) return fail("interval", "unknown value '" + std::string(interval) + "'");
    r.interval_ms = unit->ms * static_cast<std::int64_t>(num);
    r.header_suffix = std::to_string(num) + unit->letter;
    r.limit = static_cast<std::uint32_t>(limit);
    out.push_back(std::move(r));
  }
  return out;
}

std::string Admission::describe() const {
  if (kind == AdmitKind::kAdmitted) return "admitted";
  std::string s = bucket + ": ";
  if (reason == RefusalReason::kBanned || bucket == "429 backoff") {
    s += "blocked";
  } else {
    s += "used " + std::to_string(used) + " + cost " + std::to_string(cost) + " > limit " +
         std::to_string(limit) + " (venue limit " + std::to_string(venue_limit) + ")";
  }
  if (until_ns != 0) s += "; frees at " + std::to_string(until_ns / kNsPerMs) + " ms";
  if (kind == AdmitKind::kRefused) s += " [refused " + std::to_string(static_cast<int>(reason)) + "]";
  return s;
}

RateLimiter::Bucket RateLimiter::make_bucket(const RateLimitRule& r) const {
  Bucket b;
  b.rule = r;
  // 64-bit product: limit (< 2^32) x percent (<= 100) cannot overflow.
  b.margined_limit = static_cast<std::uint32_t>(static_cast<std::uint64_t>(r.limit) *
                                                std::min<std::uint32_t>(config_.use_percent, 100) / 100);
  return b;
}

RateLimiter::RateLimiter(std::vector<RateLimitRule> rules, std::size_t accounts, RateLimitConfig config)
    : accounts_(accounts), config_(config) {
  next_backoff_ms_ = config_.default_429_backoff_ms;
  for (const auto& r : rules) {
    if (r.type == RateLimitType::kOrders) {
      for (auto& a : accounts_) a.push_back(make_bucket(r));
    } else {
      ip_.push_back(make_bucket(r));
    }
  }
}

TimeNs RateLimiter::orders_free_at(std::size_t account, std::uint32_t orders, TimeNs now) const {
  if (orders == 0 || account >= accounts_.size()) return 0;
  TimeNs until = 0;
  for (const Bucket& b : accounts_[account]) {
    const TimeNs w = window_of(now, b.rule.interval_ms);
    const std::uint32_t used = w == b.window_start ? b.used : 0;
    if (orders > b.margined_limit || static_cast<std::uint64_t>(used) + orders <= b.margined_limit) continue;
    const TimeNs next = w + b.rule.interval_ms * kNsPerMs;
    if (next - now > config_.max_wait_ms * kNsPerMs) return 0;  // admit() refuses it, naming why
    until = std::max(until, next);
  }
  return until;
}

std::uint32_t RateLimiter::orders_left(std::size_t account, TimeNs now) const {
  if (account >= accounts_.size() || now < banned_until_ || now < blocked_until_) return 0;
  std::uint32_t left = std::numeric_limits<std::uint32_t>::max();
  for (const Bucket& b : accounts_[account]) {
    const std::uint32_t used = window_of(now, b.rule.interval_ms) == b.window_start ? b.used : 0;
    left = std::min(left, used >= b.margined_limit ? 0U : b.margined_limit - used);
  }
  return left;
}

Admission RateLimiter::admit(std::size_t account, RequestCost cost, TimeNs now) {
  Admission a;
  if (account >= accounts_.size()) {
    a.kind = AdmitKind::kRefused;
    a.reason = RefusalReason::kUnknownAccount;
    a.bucket = "account " + std::to_string(account) + " (have " + std::to_string(accounts_.size()) + ")";
    return a;
  }
  if (now < banned_until_) {
    a.kind = AdmitKind::kRefused;
    a.reason = RefusalReason::kBanned;
    a.bucket = "418 ban";
    a.until_ns = banned_until_;
    return a;
  }
  if (now < blocked_until_) {
    a.bucket = "429 backoff";
    a.until_ns = blocked_until_;
    if (blocked_until_ - now > config_.max_wait_ms * kNsPerMs) {
      a.kind = AdmitKind::kRefused;
      a.reason = RefusalReason::kWaitTooLong;
    } else {
      a.kind = AdmitKind::kWaitUntil;
    }
    return a;
  }
  // 1. Roll windows and check every bucket without charging (a refusal changes nothing).
  const auto check = [&](Bucket& b, std::uint32_t c) {
    const TimeNs w = window_of(now, b.rule.interval_ms);
    if (w != b.window_start) {
      b.window_start = w;
      b.used = 0;
    }
    if (c == 0 || static_cast<std::uint64_t>(b.used) + c <= b.margined_limit) return true;
    a.bucket = name_of(b.rule);
    a.used = b.used;
    a.cost = c;
    a.limit = b.margined_limit;
    a.venue_limit = b.rule.limit;
    const TimeNs next = w + b.rule.interval_ms * kNsPerMs;
    if (c > b.margined_limit) {
      a.kind = AdmitKind::kRefused;
      a.reason = RefusalReason::kCostAboveLimit;
      a.until_ns = 0;
    } else if (next - now > config_.max_wait_ms * kNsPerMs) {
      a.kind = AdmitKind::kRefused;
      a.reason = RefusalReason::kWaitTooLong;
      a.until_ns = next;
    } else {
      a.kind = AdmitKind::kWaitUntil;
      a.until_ns = next;
    }
    return false;
  };
  const auto ip_cost = [&](const Bucket& b) {
    return b.rule.type == RateLimitType::kRequestWeight ? cost.weight : 1u;
  };
  for (auto& b : ip_)
    if (!check(b, ip_cost(b))) return a;
  for (auto& b : accounts_[account])
    if (!check(b, cost.orders)) return a;
  // 2. Charge.
  for (auto& b : ip_) b.used += ip_cost(b);
  for (auto& b : accounts_[account]) b.used += cost.orders;
  return a;
}

ResponseOutcome RateLimiter::on_response(std::size_t account, const std::vector<net::Header>& headers,
                                         unsigned status, TimeNs now) {
  ResponseOutcome out;
  // 1. Parse every X-MBX-* header first; apply only if all are well formed.
  struct Update {
    Bucket* bucket;
    std::uint32_t used;
  };
  std::vector<Update> updates;
  for (const auto& [name, value] : headers) {
    const std::string n = lower(name);
    const bool weight = n.starts_with(kWeightHeader);
    const bool orders = n.starts_with(kOrderHeader);
    if (!weight && !orders) continue;
    const std::string suffix = n.substr(weight ? kWeightHeader.size() : kOrderHeader.size());
    std::uint64_t v = 0;
    if (!parse_u64(value, v) || v > UINT32_MAX) {
      out.header_error = name + ": expected a count, got '" + value + "'";
      updates.clear();
      break;
    }
    std::vector<Bucket>* set = weight ? &ip_ : (account < accounts_.size() ? &accounts_[account] : nullptr);
    if (set == nullptr) continue;
    const auto want = weight ? RateLimitType::kRequestWeight : RateLimitType::kOrders;
    for (auto& b : *set)
      if (b.rule.type == want && iequals(b.rule.header_suffix, suffix))
        updates.push_back({&b, static_cast<std::uint32_t>(v)});
  }
  for (const auto& u : updates) {
    // The venue's count wins; it is attributed to the window containing now.
    u.bucket->window_start = window_of(now, u.bucket->rule.interval_ms);
    u.bucket->used = u.used;
  }
  // 2. Status: 429 backs off, 418 bans; Retry-After (seconds) wins over our defaults.
  std::int64_t retry_after_ms = -1;
  for (const auto& [name, value] : headers) {
    std::uint64_t s = 0;
    if (iequals(name, "retry-after") && parse_u64(value, s) && s < 10'000'000)
      retry_after_ms = static_cast<std::int64_t>(s) * 1'000;
  }
  if (status == 418) {
    const std::int64_t ms = retry_after_ms >= 0 ? retry_after_ms : config_.default_ban_ms;
    banned_until_ = std::max(banned_until_, now + ms * kNsPerMs);
    out.ban_alert = true;
    out.blocked_until_ns = banned_until_;
  } else if (status == 429) {
    std::int64_t ms = retry_after_ms;
    if (ms < 0) {
      ms = next_backoff_ms_;
      next_backoff_ms_ = std::min(next_backoff_ms_ * 2, config_.max_429_backoff_ms);
    }
    blocked_until_ = std::max(blocked_until_, now + ms * kNsPerMs);
    out.blocked_until_ns = blocked_until_;
  } else {
    next_backoff_ms_ = config_.default_429_backoff_ms;
  }
  return out;
}

std::uint32_t RateLimiter::used(RateLimitType type, std::string_view suffix, std::size_t account,
                                TimeNs now) const {
  const std::vector<Bucket>* set = type == RateLimitType::kOrders
                                       ? (account < accounts_.size() ? &accounts_[account] : nullptr)
                                       : &ip_;
  if (set == nullptr) return 0;
  for (const auto& b : *set)
    if (b.rule.type == type && b.rule.header_suffix == suffix)
      return b.window_start == window_of(now, b.rule.interval_ms) ? b.used : 0;
  return 0;
}

}  // namespace oms::binance
