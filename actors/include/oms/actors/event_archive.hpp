// EventArchive: an account's folded events, kept compact for its snapshots -- each event in the
// binary codec (messages/codec.hpp: ~60-150 bytes for an order event, against 680 for an Event
// in memory) in 1 MiB chunks, so the archive grows by a chunk at a time, never by copying
// itself (a chunk's pages become resident as they fill). Appending is an encode into the last
// chunk; reading decodes in order.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "oms/messages/codec.hpp"
#include "oms/messages/events.hpp"

namespace oms::actors {

class EventArchive {
 public:
  static constexpr std::size_t kChunk = 1 << 20;

  // False (nothing stored) when the event does not encode (a field past its codec's bounds).
  bool append(const Event& e) {
    std::array<std::byte, kMaxBinarySize> buf;
    const auto n = encode_binary(e, buf);
    if (!n) return false;
    if (chunks_.empty() || kChunk - used_ < *n + 2) {
      if (!chunks_.empty()) chunk_end_.push_back(used_);
      // Not zero-filled: a page is touched (resident) only once events are written into it.
      chunks_.push_back(std::make_unique_for_overwrite<std::byte[]>(kChunk));
      used_ = 0;
    }
    std::byte* p = chunks_.back().get() + used_;
    p[0] = static_cast<std::byte>(*n & 0xff);
    p[1] = static_cast<std::byte>(*n >> 8);
    std::copy(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n), p + 2);
    used_ += *n + 2;
    ++count_;
    bytes_ += *n + 2;
    return true;
  }

  // Calls f(event) for every event in append order; false when one does not decode (then f has
  // seen the ones before it).
  bool for_each(const std::function<void(const Event&)>& f) const {
    Event e;
    for (std::size_t c = 0; c < chunks_.size(); ++c) {
      const std::byte* base = chunks_[c].get();
      const std::size_t end = c + 1 == chunks_.size() ? used_ : chunk_end_[c];
      std::size_t off = 0;
      while (off < end) {
        const auto n = static_cast<std::size_t>(base[off]) | (static_cast<std::size_t>(base[off + 1]) << 8);
        if (decode_binary(std::span<const std::byte>(base + off + 2, n), e)) return false;
        f(e);
        off += n + 2;
      }
    }
    return true;
  }

  // A copy holding only the bytes in use (a snapshot's input, handed to its writer thread).
  [[nodiscard]] EventArchive clone() const {
    EventArchive out;
    for (std::size_t c = 0; c < chunks_.size(); ++c) {
      const std::size_t n = c + 1 == chunks_.size() ? used_ : chunk_end_[c];
      // A copy is only read: each chunk exactly as long as its bytes.
      out.chunks_.push_back(std::make_unique_for_overwrite<std::byte[]>(std::max<std::size_t>(n, 1)));
      std::copy(chunks_[c].get(), chunks_[c].get() + n, out.chunks_.back().get());
      if (c + 1 < chunks_.size()) out.chunk_end_.push_back(n);
    }
    out.used_ = used_;
    out.count_ = count_;
    out.bytes_ = bytes_;
    return out;
  }

  void clear() {
    chunks_.clear();
    chunk_end_.clear();
    used_ = count_ = bytes_ = 0;
  }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::vector<std::size_t> chunk_end_;  // bytes used in each full chunk (all but the last)
  std::size_t used_ = 0;                // bytes used in the last chunk
  std::size_t count_ = 0, bytes_ = 0;
};

}  // namespace oms::actors
