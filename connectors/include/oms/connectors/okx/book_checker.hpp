// BookChecker: one instrument's OKX book kept as the venue's texts, to verify the `checksum` of
// every snapshot and update, and the seqId chain, before the book events reach BookCore.
//
// Pure: no I/O, no clock. The levels are two flat vectors sorted with the best LAST (most
// changes happen near the top: inserting or erasing there moves few levels), each level its
// exact price (for ordering) and its price and size texts inline, as sent ("0.10" stays "0.10":
// the checksum is over the texts). A 400-level book is two vectors of ~22 KB.
//
// Sequence (OKX "order book" channel): a snapshot sets seqId; an update must have prevSeqId ==
// the last seqId. seqId == prevSeqId with no levels is OKX's keep-alive (no change): checked,
// nothing applied. seqId < prevSeqId is the venue's reset after maintenance: the update is not
// applied and the book waits for a snapshot (BookCore cannot move its ids back; the caller
// resubscribes). Messages without seqId (OKX before 2022-2023: the shared capture) get a
// consecutive counter per checker -- a snapshot takes the next number, an update the one after
// -- so BookCore's rule holds trivially and the checksum is the only integrity check there.
//
// After a mismatch, a gap, or a reset the checker refuses updates (kNoSnapshot) until the next
// snapshot: the caller counts it and resubscribes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "oms/connectors/okx/book_checksum.hpp"
#include "oms/connectors/okx/market_data.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"

namespace oms::okx {

enum class BookCheckStatus : std::uint8_t {
  kVerified,          // applied; the checksum equal (or the message had none: see compared)
  kHeartbeat,         // seqId == prevSeqId, no levels: nothing applied, checksum still compared
  kChecksumMismatch,  // applied, and the book's checksum differs from the message's
  kSequenceGap,       // prevSeqId != the last seqId: not applied
  kSequenceReset,     // seqId < prevSeqId (or == with levels): not applied
  kSequenceMixed,     // seqId present on the snapshot but not on the update, or the reverse
  kNoSnapshot,        // an update before a snapshot, or after one of the failures above
};
[[nodiscard]] const char* to_string(BookCheckStatus s) noexcept;

struct BookCheckResult {
  BookCheckStatus status = BookCheckStatus::kVerified;
  bool compared = false;     // the message carried a checksum and it was compared
  std::int32_t expected = 0;  // the message's checksum
  std::int32_t computed = 0;  // the book's, after applying
  // The ids for BookCore (market_data.hpp), venue's or synthesized; for a gap: expected =
  // the last seqId, got = prevSeqId.
  BookSequence sequence;
  std::uint64_t gap_expected = 0, gap_got = 0;
  [[nodiscard]] bool ok() const noexcept {
    return status == BookCheckStatus::kVerified || status == BookCheckStatus::kHeartbeat;
  }
};

class BookChecker {
 public:
  // Applies a book push of the books / books-l2-tbt / books50-l2-tbt channels (books5 and
  // bbo-tbt pushes are snapshots and work too). The update's levels apply in order: size 0
  // removes the price (absent: nothing to do), else the texts replace the level's.
  BookCheckResult apply(const OrderBookUpdate& m);

  [[nodiscard]] bool live() const noexcept { return live_; }
  [[nodiscard]] std::size_t level_count(BookSide side) const noexcept;
  // The i-th best level of a side (0 = best); i < level_count(side).
  [[nodiscard]] TextLevel level(BookSide side, std::size_t i) const noexcept;
  // book_checksum over the current top 25 of each side.
  [[nodiscard]] std::int32_t checksum() const noexcept;

 private:
  struct Level {
    Decimal price;
    LevelText price_text, size_text;
  };
  using Levels = std::vector<Level>;  // the best last

  static void apply_level(Levels& side, bool bids, const OrderBookLevel& l);
  void load_snapshot(const OrderBookUpdate& m);
  BookCheckResult refuse(BookCheckResult r) noexcept;

  Levels bids_, asks_;  // bids ascending, asks descending: the best last
  bool live_ = false;
  bool venue_sequence_ = false;   // the snapshot carried seqId
  std::uint64_t last_seq_ = 0;    // the venue's last seqId, or the counter
  std::uint64_t counter_ = 0;     // synthesized ids (never reset: a new snapshot goes on)
};

}  // namespace oms::okx
