#include "oms/connectors/net/backoff.hpp"

#include <algorithm>

namespace oms::net {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                 std::uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds{1})),
      max_(std::max(max, initial_)),
      rng_(seed) {}

std::chrono::milliseconds Backoff::next() {
  std::int64_t base = initial_.count();
  for (unsigned i = 0; i < attempt_ && base < max_.count(); ++i) base *= 2;
  base = std::min(base, max_.count());
  if (attempt_ < 63) ++attempt_;
  // Uniform in [base/2, base] without std::uniform_int_distribution (its output differs between
  // standard libraries; this one is the same everywhere for a seed).
  const auto low = base / 2;
  const auto span = static_cast<std::uint64_t>(base - low) + 1;
  return std::chrono::milliseconds{low + static_cast<std::int64_t>(rng_() % span)};
}

}  // namespace oms::net
