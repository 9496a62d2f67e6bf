// oms-md --venue okx: replays OKX v5 public captures (cryptofeed raw v1 text: "<ts>: <payload>"
// lines) through the OKX parser, a BookChecker and BookCore per instrument; oms_md.cpp's help
// text says what it prints.
#pragma once

#include <string>
#include <vector>

namespace oms_md {

// Replays the files in order as one capture; fixed = fractional digits of printed decimals, or
// -1 for the canonical form. Returns the exit status (0, 1 checksum mismatch, 2 gap / parse
// error, 66 unreadable file).
int run_okx(const std::vector<std::string>& files, int fixed);

}  // namespace oms_md
