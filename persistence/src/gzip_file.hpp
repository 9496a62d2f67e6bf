// gzip members for the daily files (daily_files.cpp): what `zcat file.gz | jq` and zlib's
// gzread read back. Concatenated members read as one stream, which is how a late record of
// an already compressed day is added without rewriting the day.
#pragma once

#include <string>
#include <string_view>

#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence::gzip {

// Compresses the bytes of in_fd, from its current offset to its end, into one gzip member
// written at the current offset of out_fd. kIo names the file that failed (in_name/out_name).
[[nodiscard]] Result<Unit, StoreError> write_member(int in_fd, std::string_view in_name, int out_fd,
                                                    std::string_view out_name);

// True when the decompressed content of gz_path (all its members) ends with `tail` and the
// tail starts a line (at the start of the content or right after a '\n'). kCorrupt when the
// file is not gzip or is truncated, kIo when it cannot be read.
[[nodiscard]] Result<bool, StoreError> content_ends_with_lines(const std::string& gz_path,
                                                               std::string_view tail);

}  // namespace oms::persistence::gzip
