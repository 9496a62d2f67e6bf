#include "oms/replay/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace oms::replay {

std::string utc_text(TimeNs t, int digits) {
  const std::time_t s = static_cast<std::time_t>(t / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (digits > 0) {
    // The nanoseconds as 9 digits, cut to `digits` (at most 9).
    char f[16];
    std::snprintf(f, sizeof f, "%09lld", static_cast<long long>(((t % 1'000'000'000) + 1'000'000'000) % 1'000'000'000));
    out += '.';
    out.append(f, static_cast<std::size_t>(std::min(digits, 9)));
  }
  return out + "Z";
}

ProgressPrinter::ProgressPrinter(std::string what, std::string unit, std::FILE* out)
    : what_(std::move(what)), unit_(std::move(unit)), out_(out), tty_(::isatty(::fileno(out)) != 0) {}

std::string ProgressPrinter::line(const std::string& what, const std::string& unit,
                                  std::uint64_t done, std::uint64_t total, double seconds,
                                  bool bar) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  char buf[256];
  std::string out = what + " ";
  if (bar && total > 0) {
    constexpr int kWidth = 30;
    const double f = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int filled = static_cast<int>(std::lround(f * kWidth));
    out += "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] ";
    std::snprintf(buf, sizeof buf, "%3.0f%% ", f * 100.0);
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "%llu %s, %.0f %s/s", static_cast<unsigned long long>(done),
                unit.c_str(), rate, unit.c_str());
  out += buf;
  if (total > done && rate > 0) {
    const double eta = static_cast<double>(total - done) / rate;
    std::snprintf(buf, sizeof buf, ", ETA %.0f s", eta);
    out += buf;
  }
  return out;
}

void ProgressPrinter::update(std::uint64_t done, std::uint64_t total, double seconds) {
  if (tty_) {
    std::fprintf(out_, "\r%s\033[K", line(what_, unit_, done, total, seconds, true).c_str());
    std::fflush(out_);
  } else if (seconds - last_plain_ >= 5.0) {
    last_plain_ = seconds;
    std::fprintf(out_, "%s\n", line(what_, unit_, done, total, seconds, false).c_str());
  }
}

void ProgressPrinter::finish(std::uint64_t done, double seconds) {
  if (tty_) {
    std::fprintf(out_, "\r%s\033[K\n", line(what_, unit_, done, done, seconds, true).c_str());
  } else if (seconds != last_plain_) {  // not the line update() just printed
    std::fprintf(out_, "%s\n", line(what_, unit_, done, 0, seconds, false).c_str());
  }
  std::fflush(out_);
}

}  // namespace oms::replay
