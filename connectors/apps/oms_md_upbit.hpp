// oms-md --venue upbit: replays Upbit public WebSocket captures (cryptofeed raw v1 text, the
// payloads written as Python bytes literals b'...') through the Upbit parser and one BookCore per
// market; oms_md.cpp's help text says what it prints.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oms_md {

// Replays the files in order as one capture; fixed = fractional digits of printed decimals, or
// -1 for the canonical form. Returns the exit status (0; 1 BookCore's top differs from the
// message's; 2 a parse error or a book BookCore refused; 66 unreadable file).
int run_upbit(const std::vector<std::string>& files, int fixed);

// A Python bytes literal's content (b'...' or b"..."; \\ \' \" \n \r \t \xHH unescaped) into
// out; false (out unspecified) when text is not one.
bool python_bytes_literal(std::string_view text, std::string& out);

}  // namespace oms_md
