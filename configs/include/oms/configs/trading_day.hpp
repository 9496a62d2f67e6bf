// The trading day: when the day's loss limits start again (risk.yaml `trading_day`).
//
//   trading_day: {time_zone: Asia/Seoul, start_hour: 9}   # absent: UTC, 00:00
//
// A day starts at start_hour:00 local time in the zone (an IANA name from the system's tzdata,
// daylight saving followed); it is named by the local date it starts on. On a day whose
// start_hour does not exist (a spring-forward gap) it starts when the clocks jump; on one where
// it comes twice (fall back), at the first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "oms/messages/envelope.hpp"

namespace date {
class time_zone;
}

namespace oms::configs {

struct TradingDaySpec {
  std::string time_zone = "UTC";
  int start_hour = 0;  // 0..23
  friend bool operator==(const TradingDaySpec&, const TradingDaySpec&) = default;
};

// One trading day: its name (the local date it starts on, days since 1970-01-01) and its span.
struct TradingDay {
  std::int32_t day = 0;
  TimeNs start = 0;  // the first instant of the day (UTC ns)
  TimeNs next = 0;   // the first instant of the next one
  friend bool operator==(const TradingDay&, const TradingDay&) = default;
};

class TradingDayCalendar {
 public:
  TradingDayCalendar() = default;  // UTC, 00:00
  // nullopt: the zone is not in the system's tzdata, or the hour is out of 0..23 (`why` says).
  [[nodiscard]] static std::optional<TradingDayCalendar> make(const TradingDaySpec& spec, std::string* why = nullptr);

  // The trading day holding instant t.
  [[nodiscard]] TradingDay day_of(TimeNs t) const;
  [[nodiscard]] const TradingDaySpec& spec() const noexcept { return spec_; }
  // "Asia/Seoul 09:00"
  [[nodiscard]] std::string describe() const;

 private:
  TradingDaySpec spec_;
  const date::time_zone* zone_ = nullptr;  // null: UTC
};

}  // namespace oms::configs
