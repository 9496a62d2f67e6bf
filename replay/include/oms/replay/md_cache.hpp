// Recorded market data converted once into the project's own recording format, and kept: a
// capture file (the hftbacktest collector's gzip JSON lines, backtest.hpp's DataFile) parsed
// through the Binance market-data parser into the events the engine consumes -- book snapshot
// and diff chunks, best bid/offer, trades -- stored as input records (actors/input_record.hpp,
// the binary codec) in a file journal's MD_binance stream, exactly as omsd records what its
// engine consumed. A backtest then reads binary records instead of parsing JSON again.
//
// The cache of a file is a directory named after the file, its size and modification time
// and the format version (a changed file gets a new cache); it counts once the conversion
// wrote its COMPLETE marker (an interrupted conversion is redone). Records carry instrument
// id 0: the backtest gives each file's records its instrument.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "oms/messages/result.hpp"
#include "oms/replay/backtest.hpp"

namespace oms::replay {

inline constexpr int kMdCacheVersion = 1;

struct ConvertStats {
  std::uint64_t lines = 0, messages = 0, records = 0, skipped = 0;
  double seconds = 0;
};

// The cache directory of a data file under root.
[[nodiscard]] std::filesystem::path md_cache_dir(const std::filesystem::path& root, const DataFile& f);
// True when dir holds a complete conversion.
[[nodiscard]] bool md_cache_ready(const std::filesystem::path& dir);
// Converts f into dir (replacing what is there). Errors name the file and line.
[[nodiscard]] Result<ConvertStats, std::string> convert_capture(const DataFile& f,
                                                               const std::filesystem::path& dir);

}  // namespace oms::replay
