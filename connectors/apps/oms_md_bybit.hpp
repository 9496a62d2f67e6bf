// oms-md --venue bybit: replays Bybit v5 public captures (cryptofeed format 2, zstd JSON lines)
// through the Bybit parser and BookCore; oms_md.cpp's help text says what it prints.
#pragma once

#include <string>
#include <vector>

namespace oms_md {

// Replays the files in order as one capture; fixed = fractional digits of printed decimals, or
// -1 for the canonical form. Returns the exit status (0, 1 mismatch, 2 gap / parse error,
// 66 unreadable file).
int run_bybit(const std::vector<std::string>& files, int fixed);

}  // namespace oms_md
