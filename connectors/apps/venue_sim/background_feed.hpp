// venue-sim background liquidity drivers: replay of recorded Binance raw streams (the
// hftbacktest collector format: gzip, "<recv_ns> <raw JSON>" lines) and a seeded random walk.
// Both feed a Front from the caller's thread and return when done or when `stop` is set.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "front.hpp"
#include "oms/connectors/binance/market_data.hpp"

namespace oms::venue_sim {

struct ReplayStats {
  std::size_t snapshots = 0;
  std::size_t deltas = 0;    // applied to the venue's book
  std::size_t buffered = 0;  // diffs held for the snapshot (those that connect are in it)
  std::size_t stale = 0;     // diffs older than the book: dropped, as a client drops them
  std::size_t gaps = 0;      // diffs (or a snapshot) that do not follow: the book stops there
  std::size_t trades = 0, skipped = 0, errors = 0;
};

// Files in order are one stream per market and symbol. The market comes from the file name
// ("usdm_" = USD-M, "spot_" = spot) and the symbol from its second part
// ("spot_btcusdt_20240808.gz" -> BTCUSDT). Depth follows Binance's local-book rules (BookCore):
// nothing reaches the venue's book before the stream's REST snapshot, and a gap stops that
// book where it was (counted in gaps) -- a recording without a snapshot serves no depth.
// speed: 0 = as fast as possible, 1 = recorded pace, 10 = ten times faster. Throws
// std::runtime_error naming the file when it cannot be read or named.
// Called after each parsed message; book_update_id is the recorded update id the venue's book
// of that symbol reflects now (0 while it waits for its snapshot or after a gap).
using ReplayObserver = std::function<void(Market, std::string_view symbol,
                                           const binance::MarketMessage&,
                                           std::uint64_t book_update_id)>;
ReplayStats replay_files(LiquiditySink& front, const std::vector<std::string>& files, double speed,
                         const std::atomic<bool>& stop, const ReplayObserver& observe = {});

// Price shocks for the walks: each one counted in `count` moves every walk by `bps` at its next
// step (RandomWalk::shift_bps).
struct WalkShocks {
  std::atomic<std::uint64_t> count{0};
  std::int64_t bps = 0;
};

// One random-walk step per interval for `ins` (spot or USD-M / linear) into `sink` (Binance's
// Front or BybitFront), starting at start_mid, until stop (or max_steps > 0 steps). Levels hold
// 1..100 lots of `lot` (zero: the instrument's step size). shocks: null, none.
void random_walk(LiquiditySink& sink, const Instrument& ins, Decimal start_mid, std::uint64_t seed,
                 std::chrono::milliseconds interval, const std::atomic<bool>& stop,
                 std::size_t max_steps = 0, Decimal lot = Decimal{}, const WalkShocks* shocks = nullptr);

}  // namespace oms::venue_sim
