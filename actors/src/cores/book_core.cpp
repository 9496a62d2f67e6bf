// BookCore: sequence rules, snapshot/diff buffering, chunk assembly and the two sorted sides.
#include "oms/cores/book_core.hpp"

#include "oms/cores/state_codec.hpp"

#include <algorithm>
#include <functional>

namespace oms {

const char* to_string(BookIssue i) noexcept {
  switch (i) {
    case BookIssue::kNone:
      return "none";
    case BookIssue::kSequenceGap:
      return "book 6001: sequence gap";
    case BookIssue::kFirstDiffMismatch:
      return "book 6002: first diff does not cover the snapshot";
    case BookIssue::kChunkOutOfOrder:
      return "book 6003: chunk out of order";
    case BookIssue::kInvalidLevel:
      return "book 6004: invalid level";
  }
  return "book: unknown issue";
}

const char* to_string(BookState s) noexcept {
  switch (s) {
    case BookState::kSyncing:
      return "syncing";
    case BookState::kLive:
      return "live";
    case BookState::kResyncNeeded:
      return "resync_needed";
  }
  return "unknown";
}

const char* to_string(BookApplyStatus s) noexcept {
  switch (s) {
    case BookApplyStatus::kApplied:
      return "applied";
    case BookApplyStatus::kChunkPending:
      return "chunk_pending";
    case BookApplyStatus::kBuffered:
      return "buffered";
    case BookApplyStatus::kStale:
      return "stale";
    case BookApplyStatus::kResyncNeeded:
      return "resync_needed";
  }
  return "unknown";
}

namespace {

constexpr BookApplyResult with_status(BookApplyStatus s) noexcept {
  BookApplyResult r;
  r.status = s;
  return r;
}

constexpr BookApplyResult resync(BookIssue issue, std::uint64_t expected,
                                 std::uint64_t got) noexcept {
  return BookApplyResult{BookApplyStatus::kResyncNeeded, issue, expected, got, false};
}

// Prices must be positive and quantities non-negative (zero removes a level).
bool levels_valid(std::span<const BookLevel> levels) noexcept {
  return std::all_of(levels.begin(), levels.end(), [](const BookLevel& l) {
    return l.price.is_positive() && !l.quantity.is_negative();
  });
}

}  // namespace

BookCore::BookCore(BookCoreConfig config) : config_(config) {}

// ---- state ---------------------------------------------------------------------------------

namespace {

void save_levels(actors::StateWriter& w, const LevelSide& side) {
  w.put(static_cast<std::uint32_t>(side.size()));
  side.for_each([&](const PriceLevel& l) { w(l.price, l.quantity); });
}

void load_levels(actors::StateReader& r, LevelSide& side) {
  const std::uint32_t n = r.count();
  std::vector<PriceLevel> levels;
  levels.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    PriceLevel l;
    r(l.price, l.quantity);
    levels.push_back(l);
  }
  if (r.ok() && !side.assign(levels)) r.fail("a book side's levels are not in book order");
}

}  // namespace

void BookCore::save(actors::StateWriter& w) const {
  w(state_, last_update_id_, awaiting_first_diff_, crossed_);
  save_levels(w, bids_);
  save_levels(w, asks_);
  // A message in assembly (its levels only while it is open: a finished one's are not read).
  for (const Assembly* a : {&snapshot_assembly_, &delta_assembly_}) {
    w(a->active, a->next_chunk, a->header.first_update_id, a->header.last_update_id,
      a->header.prev_update_id);
    if (a->active) w.put(a->levels);
  }
  w.put(static_cast<std::uint32_t>(buffered_.size()));
  for (const auto& b : buffered_) {
    w(b.header.first_update_id, b.header.last_update_id, b.header.prev_update_id,
      static_cast<std::uint64_t>(b.begin), static_cast<std::uint64_t>(b.end));
  }
  w.put(buffered_levels_);
}

void BookCore::load(actors::StateReader& r) {
  BookCore b(config_);
  r(b.state_, b.last_update_id_, b.awaiting_first_diff_, b.crossed_);
  load_levels(r, b.bids_);
  load_levels(r, b.asks_);
  for (Assembly* a : {&b.snapshot_assembly_, &b.delta_assembly_}) {
    r(a->active, a->next_chunk, a->header.first_update_id, a->header.last_update_id,
      a->header.prev_update_id);
    if (a->active) r.get(a->levels);
  }
  const std::uint32_t n = r.count();
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    BufferedDiff d;
    std::uint64_t begin = 0, end = 0;
    r(d.header.first_update_id, d.header.last_update_id, d.header.prev_update_id, begin, end);
    d.begin = static_cast<std::size_t>(begin);
    d.end = static_cast<std::size_t>(end);
    b.buffered_.push_back(d);
  }
  r.get(b.buffered_levels_);
  for (const auto& d : b.buffered_) {
    if (d.begin > d.end || d.end > b.buffered_levels_.size()) {
      r.fail("a buffered diff's levels lie outside the buffer");
      break;
    }
  }
  if (r.ok()) *this = std::move(b);
}

// ---- chunks ------------------------------------------------------------------------------

BookCore::ChunkStep BookCore::collect(Assembly& a, std::uint16_t chunk, bool last_chunk,
                                      const MessageHeader& h, const BookLevels& levels,
                                      BookApplyResult* broken) {
  if (chunk == 0) {
    // A new message; one still open lost its tail. Report it; keep assembling the new message
    // unless it is already complete (then it goes with the broken one: a resync follows).
    const bool lost_tail = a.active;
    if (lost_tail) *broken = resync(BookIssue::kChunkOutOfOrder, a.next_chunk, 0);
    a.active = true;
    a.next_chunk = 0;
    a.header = h;
    a.levels.clear();
    if (lost_tail) {
      a.levels.insert(a.levels.end(), levels.begin(), levels.end());
      a.next_chunk = 1;
      if (last_chunk) a.active = false;
      return ChunkStep::kBroken;
    }
  } else if (!a.active || chunk != a.next_chunk || !(h == a.header)) {
    *broken = resync(BookIssue::kChunkOutOfOrder, a.active ? a.next_chunk : 0, chunk);
    a.active = false;
    a.levels.clear();
    return ChunkStep::kBroken;
  }
  a.levels.insert(a.levels.end(), levels.begin(), levels.end());
  ++a.next_chunk;
  if (!last_chunk) return ChunkStep::kPending;
  a.active = false;
  return ChunkStep::kComplete;
}

BookApplyResult BookCore::apply(const BookSnapshot& s) {
  const MessageHeader h{0, s.last_update_id, 0};
  // Fast path: a whole message in one chunk is used in place, without a copy.
  if (s.chunk == 0 && s.last_chunk && !snapshot_assembly_.active) {
    return on_snapshot_message(s.last_update_id, {s.levels.begin(), s.levels.end()});
  }
  BookApplyResult broken;
  switch (collect(snapshot_assembly_, s.chunk, s.last_chunk, h, s.levels, &broken)) {
    case ChunkStep::kPending:
      return with_status(BookApplyStatus::kChunkPending);
    case ChunkStep::kBroken:
      return enter_resync(broken);
    case ChunkStep::kComplete:
      break;
  }
  return on_snapshot_message(s.last_update_id, snapshot_assembly_.levels);
}

BookApplyResult BookCore::apply(const BookDelta& d) {
  const MessageHeader h{d.first_update_id, d.last_update_id, d.prev_update_id};
  if (d.chunk == 0 && d.last_chunk && !delta_assembly_.active) {
    return on_delta_message(h, {d.levels.begin(), d.levels.end()});
  }
  BookApplyResult broken;
  switch (collect(delta_assembly_, d.chunk, d.last_chunk, h, d.levels, &broken)) {
    case ChunkStep::kPending:
      return with_status(BookApplyStatus::kChunkPending);
    case ChunkStep::kBroken: {
      // The broken message is lost: nothing that follows can be trusted until a snapshot.
      BookApplyResult r = enter_resync(broken);
      buffered_.clear();
      buffered_levels_.clear();
      return r;
    }
    case ChunkStep::kComplete:
      break;
  }
  return on_delta_message(h, delta_assembly_.levels);
}

// ---- messages ----------------------------------------------------------------------------

BookApplyResult BookCore::on_delta_message(const MessageHeader& h,
                                           std::span<const BookLevel> levels) {
  if (!levels_valid(levels)) {
    BookApplyResult r = enter_resync(resync(BookIssue::kInvalidLevel, 0, h.last_update_id));
    buffered_.clear();
    buffered_levels_.clear();
    return r;
  }
  if (state_ != BookState::kLive) return buffer(h, levels);
  const BookApplyResult r = check_sequence(h);
  if (r.status == BookApplyStatus::kStale) return r;
  if (r.status == BookApplyStatus::kResyncNeeded) {
    // The diff itself is fine and may connect to the next snapshot: keep it.
    const BookApplyResult out = enter_resync(r);
    (void)buffer(h, levels);
    return out;
  }
  apply_levels(levels);
  last_update_id_ = h.last_update_id;
  awaiting_first_diff_ = false;
  return finish(with_status(BookApplyStatus::kApplied));
}

BookApplyResult BookCore::on_snapshot_message(std::uint64_t last_update_id,
                                              std::span<const BookLevel> levels) {
  if (!levels_valid(levels)) {
    return enter_resync(resync(BookIssue::kInvalidLevel, 0, last_update_id));
  }
  // Each side in book order (the best last). Stable sort: for a repeated price the later level
  // wins.
  std::vector<PriceLevel> bids, asks;
  for (const BookLevel& l : levels) {
    if (l.quantity.is_zero()) continue;
    (l.side == BookSide::kBid ? bids : asks).push_back(PriceLevel{l.price, l.quantity});
  }
  std::stable_sort(bids.begin(), bids.end(),
                   [](const PriceLevel& a, const PriceLevel& b) { return a.price < b.price; });
  std::stable_sort(asks.begin(), asks.end(),
                   [](const PriceLevel& a, const PriceLevel& b) { return a.price > b.price; });
  for (auto* side : {&bids, &asks}) {
    auto last_of_run =
        std::unique(side->rbegin(), side->rend(),
                    [](const PriceLevel& a, const PriceLevel& b) { return a.price == b.price; });
    side->erase(side->begin(), last_of_run.base());
  }
  (void)bids_.assign(bids);  // in book order, distinct, positive: cannot refuse
  (void)asks_.assign(asks);
  state_ = BookState::kLive;
  last_update_id_ = last_update_id;
  awaiting_first_diff_ = true;

  // Replay the diffs that arrived before the snapshot, in order.
  for (std::size_t i = 0; i < buffered_.size(); ++i) {
    const BufferedDiff& b = buffered_[i];
    const BookApplyResult r = check_sequence(b.header);
    if (r.status == BookApplyStatus::kStale) continue;
    if (r.status == BookApplyStatus::kResyncNeeded) {
      // Keep this diff and the later ones: they may connect to the next snapshot.
      const std::size_t shift = b.begin;
      buffered_levels_.erase(buffered_levels_.begin(),
                             buffered_levels_.begin() + static_cast<std::ptrdiff_t>(shift));
      buffered_.erase(buffered_.begin(), buffered_.begin() + static_cast<std::ptrdiff_t>(i));
      for (BufferedDiff& rest : buffered_) {
        rest.begin -= shift;
        rest.end -= shift;
      }
      return enter_resync(r);
    }
    apply_levels(std::span<const BookLevel>(buffered_levels_).subspan(b.begin, b.end - b.begin));
    last_update_id_ = b.header.last_update_id;
    awaiting_first_diff_ = false;
  }
  buffered_.clear();
  buffered_levels_.clear();
  return finish(with_status(BookApplyStatus::kApplied));
}

BookApplyResult BookCore::check_sequence(const MessageHeader& h) const noexcept {
  const std::uint64_t first = h.first_update_id, last = h.last_update_id;
  const std::uint64_t book = last_update_id_;
  if (config_.sequencing == BookSequencing::kBinanceSpot) {
    if (last <= book) return with_status(BookApplyStatus::kStale);
    if (awaiting_first_diff_) {  // U <= L+1 <= u (u >= L+1 holds: not stale)
      if (first <= book + 1) return with_status(BookApplyStatus::kApplied);
      return resync(BookIssue::kFirstDiffMismatch, book + 1, first);
    }
    if (first == book + 1) return with_status(BookApplyStatus::kApplied);
    return resync(BookIssue::kSequenceGap, book + 1, first);
  }
  // Futures. After a snapshot Binance drops only u < L: a diff ending exactly at L covers it
  // (U <= L <= u) and the next diff's pu is L, so dropping it would fail a valid stream.
  if (awaiting_first_diff_) {
    if (last < book) return with_status(BookApplyStatus::kStale);
    if (first <= book) return with_status(BookApplyStatus::kApplied);
    return resync(BookIssue::kFirstDiffMismatch, book, first);
  }
  if (last <= book) return with_status(BookApplyStatus::kStale);
  if (h.prev_update_id == book) return with_status(BookApplyStatus::kApplied);
  return resync(BookIssue::kSequenceGap, book, h.prev_update_id);
}

BookApplyResult BookCore::buffer(const MessageHeader& h, std::span<const BookLevel> levels) {
  // Over the cap, drop the oldest diffs (the snapshot replay checks what is left connects).
  std::size_t drop = 0, dropped_levels = 0;
  while (drop < buffered_.size() &&
         buffered_levels_.size() - dropped_levels + levels.size() > config_.max_buffered_levels) {
    dropped_levels = buffered_[drop].end;
    ++drop;
  }
  if (drop > 0) {
    buffered_levels_.erase(buffered_levels_.begin(),
                           buffered_levels_.begin() + static_cast<std::ptrdiff_t>(dropped_levels));
    buffered_.erase(buffered_.begin(), buffered_.begin() + static_cast<std::ptrdiff_t>(drop));
    for (BufferedDiff& b : buffered_) {
      b.begin -= dropped_levels;
      b.end -= dropped_levels;
    }
  }
  const std::size_t begin = buffered_levels_.size();
  buffered_levels_.insert(buffered_levels_.end(), levels.begin(), levels.end());
  buffered_.push_back(BufferedDiff{h, begin, buffered_levels_.size()});
  return with_status(BookApplyStatus::kBuffered);
}

BookApplyResult BookCore::enter_resync(BookApplyResult r) noexcept {
  state_ = BookState::kResyncNeeded;
  awaiting_first_diff_ = false;
  crossed_ = false;
  bids_.clear();
  asks_.clear();
  r.status = BookApplyStatus::kResyncNeeded;
  r.crossed = false;
  return r;
}

BookApplyResult BookCore::finish(BookApplyResult r) noexcept {
  crossed_ = !bids_.empty() && !asks_.empty() && bids_.best().price >= asks_.best().price;
  r.crossed = crossed_;
  return r;
}

// ---- levels ------------------------------------------------------------------------------

void BookCore::apply_levels(std::span<const BookLevel> levels) {
  for (const BookLevel& l : levels) (l.side == BookSide::kBid ? bids_ : asks_).set(l.price, l.quantity);
}

std::optional<PriceLevel> BookCore::best_bid() const noexcept {
  if (bids_.empty()) return std::nullopt;
  return bids_.best();
}

std::optional<PriceLevel> BookCore::best_ask() const noexcept {
  if (asks_.empty()) return std::nullopt;
  return asks_.best();
}

std::size_t BookCore::level_count(BookSide side) const noexcept {
  return side == BookSide::kBid ? bids_.size() : asks_.size();
}

PriceLevel BookCore::level(BookSide side, std::size_t i) const noexcept {
  return (side == BookSide::kBid ? bids_ : asks_).from_best(i);
}

std::size_t BookCore::depth(BookSide side, std::span<PriceLevel> out) const noexcept {
  return (side == BookSide::kBid ? bids_ : asks_).copy_best_first(out);
}

}  // namespace oms
