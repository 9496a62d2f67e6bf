// What replay and backtest print for people: progress of a long run on stderr (on a terminal
// one line redrawn in place -- a bar, records, records/s, ETA -- otherwise a plain line every
// few seconds), and times as UTC text.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "oms/messages/envelope.hpp"

namespace oms::replay {

// "2024-08-08T23:54:13.937085Z": UTC with `digits` fractional digits (3 = ms, 6 = us).
[[nodiscard]] std::string utc_text(TimeNs t, int digits);

class ProgressPrinter {
 public:
  // what: "replay" / "backtest"; unit: what is counted ("records").
  ProgressPrinter(std::string what, std::string unit, std::FILE* out = stderr);
  // done of total (total 0: unknown) after seconds.
  void update(std::uint64_t done, std::uint64_t total, double seconds);
  // The last line (on a terminal: ends the redrawn line).
  void finish(std::uint64_t done, double seconds);
  [[nodiscard]] static std::string line(const std::string& what, const std::string& unit,
                                        std::uint64_t done, std::uint64_t total, double seconds,
                                        bool bar);

 private:
  std::string what_, unit_;
  std::FILE* out_;
  bool tty_;
  double last_plain_ = -1e9;
};

}  // namespace oms::replay
