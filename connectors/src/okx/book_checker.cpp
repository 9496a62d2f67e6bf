#include "oms/connectors/okx/book_checker.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <iterator>

namespace oms::okx {
namespace {

// Position of price in a side kept with the best last: bids ascending, asks descending.
template <class Levels>
auto find_slot(Levels& side, bool bids, Decimal price) {
  return bids ? std::lower_bound(side.begin(), side.end(), price,
                                 [](const auto& l, Decimal p) { return l.price < p; })
              : std::lower_bound(side.begin(), side.end(), price,
                                 [](const auto& l, Decimal p) { return l.price > p; });
}

BookCheckResult with_status(BookCheckStatus s) noexcept {
  BookCheckResult r;
  r.status = s;
  return r;
}

}  // namespace

const char* to_string(BookCheckStatus s) noexcept {
  switch (s) {
    case BookCheckStatus::kVerified: return "verified";
    case BookCheckStatus::kHeartbeat: return "no change";
    case BookCheckStatus::kChecksumMismatch: return "checksum mismatch";
    case BookCheckStatus::kSequenceGap: return "sequence gap";
    case BookCheckStatus::kSequenceReset: return "sequence reset";
    case BookCheckStatus::kSequenceMixed: return "seqId on the snapshot or the update only";
    case BookCheckStatus::kNoSnapshot: return "no snapshot";
  }
  return "?";
}

void BookChecker::apply_level(Levels& side, bool bids, const OrderBookLevel& l) {
  const auto it = find_slot(side, bids, l.price);
  const bool found = it != side.end() && it->price == l.price;
  if (l.quantity.is_zero()) {
    if (found) side.erase(it);  // absent: nothing to remove
    return;
  }
  if (found) {
    it->price_text = l.price_text;
    it->size_text = l.size_text;
  } else {
    side.insert(it, Level{l.price, l.price_text, l.size_text});
  }
}

void BookChecker::load_snapshot(const OrderBookUpdate& m) {
  const auto load = [](Levels& side, bool bids, const std::vector<OrderBookLevel>& levels) {
    side.clear();
    // Sent best first: reversed they are in our order, checked; otherwise inserted one by one.
    bool ordered = true;
    for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
      if (it->quantity.is_zero()) continue;
      if (!side.empty() && (bids ? !(side.back().price < it->price)
                                 : !(side.back().price > it->price))) {
        ordered = false;
        break;
      }
      side.push_back(Level{it->price, it->price_text, it->size_text});
    }
    if (ordered) return;
    side.clear();
    for (const auto& l : levels) apply_level(side, bids, l);
  };
  load(bids_, true, m.bids);
  load(asks_, false, m.asks);
}

BookCheckResult BookChecker::refuse(BookCheckResult r) noexcept {
  live_ = false;
  return r;
}

BookCheckResult BookChecker::apply(const OrderBookUpdate& m) {
  BookCheckResult r;
  if (m.snapshot) {
    venue_sequence_ = m.seq_id.has_value();
    last_seq_ = venue_sequence_ ? static_cast<std::uint64_t>(std::max<std::int64_t>(*m.seq_id, 0))
                                : ++counter_;
    load_snapshot(m);
    live_ = true;
    r.sequence = {last_seq_, last_seq_};
  } else {
    if (!live_) return refuse(with_status(BookCheckStatus::kNoSnapshot));
    if (m.seq_id.has_value() != venue_sequence_ || m.prev_seq_id.has_value() != venue_sequence_)
      return refuse(with_status(BookCheckStatus::kSequenceMixed));
    if (venue_sequence_) {
      const std::int64_t seq = *m.seq_id, prev = *m.prev_seq_id;
      if (prev < 0 || static_cast<std::uint64_t>(prev) != last_seq_) {
        r.status = BookCheckStatus::kSequenceGap;
        r.gap_expected = last_seq_;
        r.gap_got = static_cast<std::uint64_t>(std::max<std::int64_t>(prev, 0));
        return refuse(r);
      }
      const bool no_change = seq == prev && m.bids.empty() && m.asks.empty();
      if (seq < prev || (seq == prev && !no_change))
        return refuse(with_status(BookCheckStatus::kSequenceReset));
      r.sequence = {static_cast<std::uint64_t>(seq), last_seq_};
      if (no_change) r.status = BookCheckStatus::kHeartbeat;
    } else {
      ++counter_;
      r.sequence = {counter_, last_seq_};
    }
    for (const auto& l : m.bids) apply_level(bids_, true, l);
    for (const auto& l : m.asks) apply_level(asks_, false, l);
    last_seq_ = r.sequence.seq_id;
  }
  if (m.checksum) {
    r.compared = true;
    r.expected = *m.checksum;
    r.computed = checksum();
    if (r.expected != r.computed) {
      r.status = BookCheckStatus::kChecksumMismatch;
      return refuse(r);
    }
  }
  return r;
}

std::size_t BookChecker::level_count(BookSide side) const noexcept {
  return side == BookSide::kBid ? bids_.size() : asks_.size();
}

TextLevel BookChecker::level(BookSide side, std::size_t i) const noexcept {
  const Levels& s = side == BookSide::kBid ? bids_ : asks_;
  const Level& l = s[s.size() - 1 - i];
  return TextLevel{l.price_text.view(), l.size_text.view()};
}

std::int32_t BookChecker::checksum() const noexcept {
  // book_checksum's text built straight from the levels: each text copied as its whole fixed
  // storage (kLevelTextMax bytes: one inlined move, no call per piece), the end advanced by its
  // length, so the next piece overwrites the rest. Room: 50 levels of two texts and two ':'.
  constexpr std::size_t kPiece = kLevelTextMax;
  std::array<char, 2 * kChecksumDepth * 2 * (kPiece + 1) + kPiece> text;
  std::size_t used = 0;
  bool first = true;
  const auto put = [&](const LevelText& t) {
    std::memcpy(text.data() + used, t.data(), kPiece);
    used += t.size();
  };
  const auto level = [&](const Level& l) {
    if (!first) text[used++] = ':';
    first = false;
    put(l.price_text);
    text[used++] = ':';
    put(l.size_text);
  };
  const std::size_t nb = std::min(bids_.size(), kChecksumDepth);
  const std::size_t na = std::min(asks_.size(), kChecksumDepth);
  for (std::size_t i = 0; i < std::max(nb, na); ++i) {
    if (i < nb) level(bids_[bids_.size() - 1 - i]);
    if (i < na) level(asks_[asks_.size() - 1 - i]);
  }
  return static_cast<std::int32_t>(crc32(std::string_view(text.data(), used)));
}

}  // namespace oms::okx
