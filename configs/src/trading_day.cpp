#include "oms/configs/trading_day.hpp"

#include <date/tz.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace oms::configs {
namespace {

using std::chrono::duration_cast;
using std::chrono::hours;
using std::chrono::nanoseconds;
using Days = date::days;

constexpr std::int64_t kDayNs = 86'400'000'000'000;

// floor division (t may be before 1970)
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

std::optional<TradingDayCalendar> TradingDayCalendar::make(const TradingDaySpec& spec, std::string* why) {
  if (spec.start_hour < 0 || spec.start_hour > 23) {
    if (why != nullptr) *why = "start_hour must be 0..23, got " + std::to_string(spec.start_hour);
    return std::nullopt;
  }
  TradingDayCalendar c;
  c.spec_ = spec;
  if (spec.time_zone != "UTC" && spec.time_zone != "Etc/UTC") {
    try {
      c.zone_ = date::locate_zone(spec.time_zone);
    } catch (const std::exception&) {
      if (why != nullptr) *why = "time zone '" + spec.time_zone + "' is not in the system's tzdata (/usr/share/zoneinfo)";
      return std::nullopt;
    }
  }
  return c;
}

TradingDay TradingDayCalendar::day_of(TimeNs t) const {
  const std::int64_t offset = std::int64_t{spec_.start_hour} * 3'600'000'000'000;
  if (zone_ == nullptr) {
    const std::int64_t d = floor_div(t - offset, kDayNs);
    return TradingDay{static_cast<std::int32_t>(d), d * kDayNs + offset, (d + 1) * kDayNs + offset};
  }
  // The start of local day d: start_hour on that local date, as a UTC instant.
  const auto start_of = [&](std::int64_t d) -> TimeNs {
    const date::local_time<nanoseconds> local{duration_cast<nanoseconds>(Days(d) + hours(spec_.start_hour))};
    const date::local_info info = zone_->get_info(date::local_seconds{
        std::chrono::floor<std::chrono::seconds>(local.time_since_epoch())});
    date::sys_time<nanoseconds> sys;
    switch (info.result) {
      case date::local_info::unique: sys = date::sys_time<nanoseconds>{local.time_since_epoch() - info.first.offset}; break;
      case date::local_info::ambiguous:  // the first of the two
        sys = date::sys_time<nanoseconds>{local.time_since_epoch() - info.first.offset};
        break;
      case date::local_info::nonexistent:  // in the gap: when the clocks jump
        sys = date::sys_time<nanoseconds>{duration_cast<nanoseconds>(info.second.begin.time_since_epoch())};
        break;
    }
    return sys.time_since_epoch().count();
  };
  const date::sys_time<nanoseconds> at{nanoseconds(t)};
  const auto local = zone_->to_local(at);
  std::int64_t d = std::chrono::floor<Days>(local).time_since_epoch().count();
  // The local date's start may lie after t (before start_hour) -- then the day began the date before.
  if (start_of(d) > t) --d;
  else if (start_of(d + 1) <= t) ++d;  // a DST jump can put t past the next date's start
  return TradingDay{static_cast<std::int32_t>(d), start_of(d), start_of(d + 1)};
}

std::string TradingDayCalendar::describe() const {
  char hh[8];
  std::snprintf(hh, sizeof hh, "%02d:00", spec_.start_hour);
  return spec_.time_zone + " " + hh;
}

}  // namespace oms::configs
