#include "oms/persistence/failpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdlib>

namespace oms::failpoints {
namespace {

constexpr std::size_t kPoints = static_cast<std::size_t>(Point::kCount);
// The hit that kills, per point (0: not armed). Written before any thread starts.
std::array<std::uint64_t, kPoints> g_kill_at{};
// Hits so far, per point: a point may be reached on several threads (the shard, the journal's
// publisher, the snapshot writer). relaxed: the count is the only thing shared.
std::array<std::atomic<std::uint64_t>, kPoints> g_hits{};

std::string known_names() {
  std::string out;
  for (const auto n : kNames) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// "failpoint NAME hit N: killing the process (SIGKILL)\n" without allocating.
void write_line(Point point, std::uint64_t n) noexcept {
  char buf[160];
  std::size_t len = 0;
  const auto put = [&](std::string_view s) {
    for (const char c : s) {
      if (len < sizeof buf) buf[len++] = c;
    }
  };
  put("failpoint ");
  put(kNames[static_cast<std::size_t>(point)]);
  put(" hit ");
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  put(ec == std::errc{} ? std::string_view(digits, static_cast<std::size_t>(end - digits)) : "?");
  put(": killing the process (SIGKILL)\n");
  for (std::size_t done = 0; done < len;) {
    const ssize_t w = ::write(STDERR_FILENO, buf + done, len - done);
    if (w <= 0) break;
    done += static_cast<std::size_t>(w);
  }
}

}  // namespace

std::optional<std::string> parse(std::string_view value, std::vector<Arm>& out) {
  out.clear();
  bool more = !value.empty();
  while (more) {
    const auto comma = value.find(',');
    const std::string_view item = value.substr(0, comma);
    more = comma != std::string_view::npos;
    value = more ? value.substr(comma + 1) : std::string_view{};
    if (item.empty()) return std::string("an empty entry (name[@hit],... expected)");
    const auto at = item.find('@');
    const std::string_view name = item.substr(0, at);
    Arm arm;
    for (std::size_t i = 0; i < kNames.size(); ++i) {
      if (kNames[i] == name) arm.point = static_cast<Point>(i);
    }
    if (arm.point == Point::kCount) {
      return "unknown failpoint '" + std::string(name) + "' (known: " + known_names() + ")";
    }
    if (at != std::string_view::npos) {
      const std::string_view hit = item.substr(at + 1);
      const auto [end, ec] = std::from_chars(hit.data(), hit.data() + hit.size(), arm.hit);
      if (hit.empty() || ec != std::errc{} || end != hit.data() + hit.size() || arm.hit < 1 ||
          arm.hit > kMaxHit) {
        return "failpoint '" + std::string(name) + "': hit count '" + std::string(hit) +
               "' is not a whole number in 1.." + std::to_string(kMaxHit);
      }
    }
    for (const Arm& a : out) {
      if (a.point == arm.point) return "failpoint '" + std::string(name) + "' named twice";
    }
    out.push_back(arm);
  }
  return std::nullopt;
}

std::optional<std::string> arm_from_env(std::string& armed_text) {
  armed_text.clear();
  const char* raw = std::getenv(std::string(kVariable).c_str());
  if (raw == nullptr || *raw == '\0') return std::nullopt;
  const std::string value(raw);
  const std::string where = std::string(kVariable) + "='" + value + "': ";
  if (!compiled_in()) {
    return where + "this build has no failpoints (configured with -DOMS_FAILPOINTS=OFF); unset it";
  }
  std::vector<Arm> arms;
  if (auto why = parse(value, arms)) return where + *why;
  for (const Arm& a : arms) {
    g_kill_at[static_cast<std::size_t>(a.point)] = a.hit;
    if (!armed_text.empty()) armed_text += ',';
    armed_text += std::string(kNames[static_cast<std::size_t>(a.point)]) + "@" + std::to_string(a.hit);
  }
  detail::armed = !arms.empty();
  return std::nullopt;
}

namespace detail {

void reached(Point point) noexcept {
  const auto i = static_cast<std::size_t>(point);
  const std::uint64_t kill_at = g_kill_at[i];
  if (kill_at == 0) return;
  const std::uint64_t n = g_hits[i].fetch_add(1, std::memory_order_relaxed) + 1;
  if (n != kill_at) return;
  write_line(point, n);
  ::kill(::getpid(), SIGKILL);
  std::_Exit(128 + SIGKILL);  // not reached: SIGKILL cannot be caught or blocked
}

}  // namespace detail

}  // namespace oms::failpoints
