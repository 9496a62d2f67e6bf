// BookCore: the L2 order book of one instrument on one venue, built from a REST snapshot and
// the venue's diff stream, with the venue's sequence rules. ConsolidatedBook: the best bid and
// ask across several venues' books, taker fees folded in.
//
// Pure: no I/O, no threads, no clock reads. Prices and quantities are exact Decimals.
// Sequence rules (Binance "how to manage a local order book correctly"):
//   spot:            a diff follows the previous one when U == prev.u + 1;
//                    after a snapshot L, drop u <= L, the first applied diff has U <= L+1 <= u.
//   USD-M / COIN-M:  a diff follows the previous one when pu == prev.u;
//                    after a snapshot L, drop u < L, the first applied diff has U <= L <= u.
// Diffs received before the snapshot (or while a resync is pending) are buffered and replayed
// when the snapshot arrives. Any gap puts the book in kResyncNeeded: nothing is applied until
// a new snapshot, the levels are cleared so nobody reads a stale book.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "oms/cores/level_side.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {
class StateWriter;
class StateReader;
}  // namespace oms::actors

namespace oms {

// Which sequence rule the venue's diff stream follows.
enum class BookSequencing : std::uint8_t {
  kBinanceSpot,     // U == prev.u + 1
  kBinanceFutures,  // pu == prev.u (USD-M and COIN-M)
};

enum class BookState : std::uint8_t {
  kSyncing,       // no snapshot yet: diffs are buffered
  kLive,          // snapshot applied and every diff since then followed its predecessor
  kResyncNeeded,  // a gap was seen: diffs are buffered, nothing applied until a new snapshot
};

// What apply() did with one event.
enum class BookApplyStatus : std::uint8_t {
  kApplied,       // the message (its last chunk) was applied; for a snapshot: the book is live
  kChunkPending,  // a chunk of a message was kept; the message is handled at its last chunk
  kBuffered,      // no usable snapshot yet (syncing or resync pending): the diff was kept
  kStale,         // the diff is older than the book (u at or below the last applied id): dropped
  kResyncNeeded,  // the book cannot continue: see BookIssue, expected vs got
};

// Why a book needs a resync. Book errors, range 6xxx.
enum class BookIssue : std::uint16_t {
  kNone = 0,
  kSequenceGap = 6001,        // spot: U != prev.u + 1; futures: pu != prev.u
  kFirstDiffMismatch = 6002,  // the first diff after the snapshot does not cover it
  kChunkOutOfOrder = 6003,    // a chunk is missing, repeated or belongs to another message
  kInvalidLevel = 6004,       // a negative quantity or a non-positive price
};
[[nodiscard]] const char* to_string(BookIssue i) noexcept;
[[nodiscard]] const char* to_string(BookState s) noexcept;
[[nodiscard]] const char* to_string(BookApplyStatus s) noexcept;

struct BookApplyResult {
  BookApplyStatus status = BookApplyStatus::kApplied;
  BookIssue issue = BookIssue::kNone;
  // On kSequenceGap / kFirstDiffMismatch: the update id the rule expected (spot: U, futures:
  // pu; for a first diff: the snapshot's id to be covered) and the one the diff carried.
  // On kChunkOutOfOrder: the chunk number expected and received.
  std::uint64_t expected = 0;
  std::uint64_t got = 0;
  bool crossed = false;  // after this message the best bid >= the best ask
  friend bool operator==(const BookApplyResult&, const BookApplyResult&) = default;
};

struct BookCoreConfig {
  InstrumentId instrument;
  BookSequencing sequencing = BookSequencing::kBinanceSpot;
  // Levels kept from diffs that arrive before the snapshot (Binance: a few seconds of a 100 ms
  // or 0 ms stream). Beyond it the oldest diffs are dropped: safe, since the snapshot replay
  // checks that what is left connects to the snapshot (else kResyncNeeded).
  std::size_t max_buffered_levels = std::size_t{1} << 20;
};

class BookCore {
 public:
  explicit BookCore(BookCoreConfig config);

  // Applies a snapshot chunk; at the last chunk the book is replaced, the buffered diffs
  // that follow it are applied, and the book goes live (or kResyncNeeded if they do not
  // connect to it).
  BookApplyResult apply(const BookSnapshot& s);
  // Applies a diff chunk; at the last chunk the message is sequence-checked once and applied,
  // buffered, dropped as stale, or refused with kResyncNeeded.
  BookApplyResult apply(const BookDelta& d);

  [[nodiscard]] BookState state() const noexcept { return state_; }
  // The last update id the book reflects (snapshot lastUpdateId, then each diff's u); 0 before
  // the first snapshot.
  [[nodiscard]] std::uint64_t last_update_id() const noexcept { return last_update_id_; }
  [[nodiscard]] bool crossed() const noexcept { return crossed_; }
  [[nodiscard]] InstrumentId instrument() const noexcept { return config_.instrument; }
  [[nodiscard]] BookSequencing sequencing() const noexcept { return config_.sequencing; }

  // Best level of a side; nullopt when the side is empty.
  [[nodiscard]] std::optional<PriceLevel> best_bid() const noexcept;
  [[nodiscard]] std::optional<PriceLevel> best_ask() const noexcept;
  [[nodiscard]] std::size_t level_count(BookSide side) const noexcept;
  // The i-th best level of a side (0 = best); i < level_count(side).
  [[nodiscard]] PriceLevel level(BookSide side, std::size_t i) const noexcept;
  // Copies up to out.size() levels of a side, best first; returns how many.
  std::size_t depth(BookSide side, std::span<PriceLevel> out) const noexcept;
  // Diffs waiting for a snapshot.
  [[nodiscard]] std::size_t buffered_messages() const noexcept { return buffered_.size(); }

  // The book's whole state (the engine's checkpoints, state_codec.hpp): levels, sequence
  // position, a message half assembled from its chunks, the diffs waiting for a snapshot.
  // load() replaces it (the configuration stays); on a reader error the book is unchanged.
  void save(actors::StateWriter& w) const;
  void load(actors::StateReader& r);

 private:
  struct MessageHeader {
    std::uint64_t first_update_id = 0, last_update_id = 0, prev_update_id = 0;
    friend bool operator==(const MessageHeader&, const MessageHeader&) = default;
  };
  struct BufferedDiff {
    MessageHeader header;
    std::size_t begin = 0, end = 0;  // range in buffered_levels_
  };

  // A message being assembled from its chunks (one for snapshots, one for diffs).
  struct Assembly {
    bool active = false;
    std::uint16_t next_chunk = 0;
    MessageHeader header;
    std::vector<BookLevel> levels;
  };
  enum class ChunkStep : std::uint8_t { kPending, kComplete, kBroken };
  // Adds a chunk; kBroken (with the issue in *broken) when a chunk is missing or foreign.
  static ChunkStep collect(Assembly& a, std::uint16_t chunk, bool last_chunk,
                           const MessageHeader& h, const BookLevels& levels,
                           BookApplyResult* broken);
  BookApplyResult on_delta_message(const MessageHeader& h, std::span<const BookLevel> levels);
  BookApplyResult on_snapshot_message(std::uint64_t last_update_id,
                                      std::span<const BookLevel> levels);
  // Sequence rule for a diff against the live book: kApplied (go), kStale or kResyncNeeded.
  BookApplyResult check_sequence(const MessageHeader& h) const noexcept;
  BookApplyResult buffer(const MessageHeader& h, std::span<const BookLevel> levels);
  void apply_levels(std::span<const BookLevel> levels);
  BookApplyResult enter_resync(BookApplyResult r) noexcept;
  BookApplyResult finish(BookApplyResult r) noexcept;  // sets crossed on an applied result

  BookCoreConfig config_;
  BookState state_ = BookState::kSyncing;
  std::uint64_t last_update_id_ = 0;
  bool awaiting_first_diff_ = false;  // snapshot applied, no diff applied after it yet
  bool crossed_ = false;
  LevelSide bids_{true}, asks_{false};  // the best last

  Assembly snapshot_assembly_, delta_assembly_;

  std::vector<BufferedDiff> buffered_;
  std::vector<BookLevel> buffered_levels_;
};

// A venue (and product line) a consolidated quote comes from.
struct BookVenue {
  ExchangeId exchange = ExchangeId::kBinance;
  Market market = Market::kSpot;
  friend bool operator==(const BookVenue&, const BookVenue&) = default;
};

// The best price to trade at across venues, fee included.
struct ConsolidatedQuote {
  Decimal effective_price;  // buy: ask * (1 + fee) rounded up; sell: bid * (1 - fee) down
  Decimal price;            // the venue's book price
  Decimal quantity;         // quantity at that level
  BookVenue venue;
  std::size_t source = 0;  // index of the book in the order it was added
  friend bool operator==(const ConsolidatedQuote&, const ConsolidatedQuote&) = default;
};

enum class ConsolidatedError : std::uint16_t {
  kInvalidFee = 6101,  // a taker fee outside [0, 1)
  kOverflow = 6102,    // price * (1 +/- fee) beyond the Decimal range
};

// A read-only view over books owned elsewhere (they must outlive it). Only live, uncrossed
// books count. Ties go to the book added first, so the answer is deterministic.
class ConsolidatedBook {
 public:
  // Adds a book with its taker fee rate (0.001 = 10 bp); error kInvalidFee outside [0, 1).
  Result<Unit, ConsolidatedError> add(BookVenue venue, const BookCore& book, Decimal taker_fee);

  // The cheapest ask to buy at, fee included (rounded up: against us); nullopt when no book
  // has an ask.
  [[nodiscard]] Result<std::optional<ConsolidatedQuote>, ConsolidatedError> best_buy() const;
  // The highest bid to sell at, fee deducted (rounded down: against us).
  [[nodiscard]] Result<std::optional<ConsolidatedQuote>, ConsolidatedError> best_sell() const;
  [[nodiscard]] std::size_t size() const noexcept { return sources_.size(); }

 private:
  struct Source {
    BookVenue venue;
    const BookCore* book = nullptr;
    Decimal buy_factor;   // 1 + fee
    Decimal sell_factor;  // 1 - fee
  };
  std::vector<Source> sources_;
};

}  // namespace oms
