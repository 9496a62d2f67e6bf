// venue-sim background liquidity drivers: replay of recorded Binance raw streams (the
// hftbacktest collector format: gzip, "<recv_ns> <raw JSON>" lines) and a seeded random walk.
// Both feed a Front from the caller's thread and return when done or when `stop` is set.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "front.hpp"

namespace oms::venue_sim {

struct ReplayStats {
  std::size_t snapshots = 0, deltas = 0, trades = 0, skipped = 0, errors = 0;
};

// Files in order are one stream. The market comes from the file name ("usdm_" = USD-M, "spot_"
// = spot) and the symbol from its second part ("spot_btcusdt_20240808.gz" -> BTCUSDT).
// speed: 0 = as fast as possible, 1 = recorded pace, 10 = ten times faster. Throws
// std::runtime_error naming the file when it cannot be read or named.
ReplayStats replay_files(Front& front, const std::vector<std::string>& files, double speed,
                         const std::atomic<bool>& stop);

// One random-walk step per interval for `ins` (spot or USD-M), starting at start_mid, until
// stop (or max_steps > 0 steps).
void random_walk(Front& front, const Instrument& ins, Decimal start_mid, std::uint64_t seed,
                 std::chrono::milliseconds interval, const std::atomic<bool>& stop,
                 std::size_t max_steps = 0);

}  // namespace oms::venue_sim
