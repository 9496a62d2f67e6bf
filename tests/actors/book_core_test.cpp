// Pins actors/src/book_core.cpp and book_core_consolidated.cpp: Binance sequence rules
// (buffering, stale drops, first-diff conditions, gaps), chunks, levels, crossed books, the
// consolidated fee-inclusive top; then a replay of recorded Binance streams
// (shared/data/hftbacktest) checked against the venue's own bookTicker and against a naive
// std::map reference book.
#include "oms/cores/book_core.hpp"
#include "oms/cores/state_codec.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "testkit/paths.hpp"
#include "testkit/printers.hpp"

namespace {

using namespace oms;
using namespace oms::decimal_literals;

// ---- a naive reference book: std::map sides, the rules written out plainly -------------------
class ReferenceBook {
 public:
  explicit ReferenceBook(BookCoreConfig c)
      : futures_(c.sequencing == BookSequencing::kBinanceFutures) {}

  BookApplyResult apply(const BookSnapshot& s) {
    collected_.insert(collected_.end(), s.levels.begin(), s.levels.end());
    if (!s.last_chunk) return status(BookApplyStatus::kChunkPending);
    bids_.clear();
    asks_.clear();
    set_levels(collected_);
    collected_.clear();
    live_ = true;
    resync_ = false;
    first_ = true;
    last_ = s.last_update_id;
    std::vector<Diff> pending;
    pending.swap(pending_);
    for (std::size_t i = 0; i < pending.size(); ++i) {
      BookApplyResult r = step(pending[i]);
      if (r.status == BookApplyStatus::kResyncNeeded) {
        pending_.assign(pending.begin() + static_cast<std::ptrdiff_t>(i), pending.end());
        return r;
      }
    }
    return with_crossed(status(BookApplyStatus::kApplied));
  }

  BookApplyResult apply(const BookDelta& d) {
    collected_.insert(collected_.end(), d.levels.begin(), d.levels.end());
    if (!d.last_chunk) return status(BookApplyStatus::kChunkPending);
    Diff diff{d.first_update_id, d.last_update_id, d.prev_update_id, collected_};
    collected_.clear();
    if (!live_) {
      pending_.push_back(diff);
      return status(BookApplyStatus::kBuffered);
    }
    BookApplyResult r = step(diff);
    return r.status == BookApplyStatus::kApplied ? with_crossed(r) : r;
  }

  BookState state() const {
    return live_ ? BookState::kLive : resync_ ? BookState::kResyncNeeded : BookState::kSyncing;
  }
  std::uint64_t last_update_id() const { return last_; }
  std::optional<PriceLevel> best_bid() const {
    if (bids_.empty()) return std::nullopt;
    return PriceLevel{bids_.rbegin()->first, bids_.rbegin()->second};
  }
  std::optional<PriceLevel> best_ask() const {
    if (asks_.empty()) return std::nullopt;
    return PriceLevel{asks_.begin()->first, asks_.begin()->second};
  }
  std::size_t depth(BookSide side, std::span<PriceLevel> out) const {
    std::size_t n = 0;
    if (side == BookSide::kBid) {
      for (auto it = bids_.rbegin(); it != bids_.rend() && n < out.size(); ++it)
        out[n++] = PriceLevel{it->first, it->second};
    } else {
      for (auto it = asks_.begin(); it != asks_.end() && n < out.size(); ++it)
        out[n++] = PriceLevel{it->first, it->second};
    }
    return n;
  }

 private:
  struct Diff {
    std::uint64_t first, last, prev;
    std::vector<BookLevel> levels;
  };
  static BookApplyResult status(BookApplyStatus s) {
    return BookApplyResult{s, BookIssue::kNone, 0, 0, false};
  }
  BookApplyResult with_crossed(BookApplyResult r) const {
    r.crossed = !bids_.empty() && !asks_.empty() && bids_.rbegin()->first >= asks_.begin()->first;
    return r;
  }
  void set_levels(const std::vector<BookLevel>& levels) {
    for (const BookLevel& l : levels) {
      auto& side = l.side == BookSide::kBid ? bids_ : asks_;
      if (l.quantity.is_zero())
        side.erase(l.price);
      else
        side[l.price] = l.quantity;
    }
  }
  BookApplyResult step(const Diff& d) {
    bool stale = false, ok = false;
    std::uint64_t expected = 0, got = 0;
    if (!futures_) {
      stale = d.last <= last_;
      ok = first_ ? d.first <= last_ + 1 : d.first == last_ + 1;
      expected = last_ + 1;
      got = d.first;
    } else {
      stale = first_ ? d.last < last_ : d.last <= last_;
      ok = first_ ? d.first <= last_ : d.prev == last_;
      expected = last_;
      got = first_ ? d.first : d.prev;
    }
    if (stale) return status(BookApplyStatus::kStale);
    if (!ok) {
      const BookIssue issue = first_ ? BookIssue::kFirstDiffMismatch : BookIssue::kSequenceGap;
      live_ = false;
      resync_ = true;
      bids_.clear();
      asks_.clear();
      pending_.push_back(d);
      return BookApplyResult{BookApplyStatus::kResyncNeeded, issue, expected, got, false};
    }
    set_levels(d.levels);
    last_ = d.last;
    first_ = false;
    return status(BookApplyStatus::kApplied);
  }

  bool futures_;
  bool live_ = false, resync_ = false, first_ = false;
  std::uint64_t last_ = 0;
  std::map<Decimal, Decimal> bids_, asks_;
  std::vector<BookLevel> collected_;
  std::vector<Diff> pending_;
};

// ---- event builders --------------------------------------------------------------------------
BookLevel bid(const char* p, const char* q) {
  return BookLevel{BookSide::kBid, *Decimal::parse(p), *Decimal::parse(q)};
}
BookLevel ask(const char* p, const char* q) {
  return BookLevel{BookSide::kAsk, *Decimal::parse(p), *Decimal::parse(q)};
}

// Cuts one venue message into chunks of kBookChunkLevels (at least one chunk).
template <class Event>
std::vector<Event> chunks(Event header, std::span<const BookLevel> levels) {
  std::vector<Event> out;
  std::size_t i = 0;
  do {
    Event e = header;
    e.levels = BookLevels{};
    e.chunk = static_cast<std::uint16_t>(out.size());
    for (; i < levels.size() && e.levels.size() < kBookChunkLevels; ++i)
      (void)e.levels.push_back(levels[i]);
    e.last_chunk = i == levels.size();
    out.push_back(e);
  } while (i < levels.size());
  return out;
}

BookDelta delta(std::uint64_t first, std::uint64_t last, std::uint64_t prev,
                std::initializer_list<BookLevel> levels) {
  BookDelta d;
  d.instrument = InstrumentId(0);
  d.first_update_id = first;
  d.last_update_id = last;
  d.prev_update_id = prev;
  for (const BookLevel& l : levels) REQUIRE(d.levels.push_back(l));
  return d;
}

BookSnapshot snapshot(std::uint64_t last, std::initializer_list<BookLevel> levels) {
  BookSnapshot s;
  s.instrument = InstrumentId(0);
  s.last_update_id = last;
  for (const BookLevel& l : levels) REQUIRE(s.levels.push_back(l));
  return s;
}

BookApplyResult result(BookApplyStatus s, BookIssue issue = BookIssue::kNone,
                       std::uint64_t expected = 0, std::uint64_t got = 0, bool crossed = false) {
  return BookApplyResult{s, issue, expected, got, crossed};
}

const BookApplyResult kApplied = result(BookApplyStatus::kApplied);
const BookApplyResult kBuffered = result(BookApplyStatus::kBuffered);
const BookApplyResult kStale = result(BookApplyStatus::kStale);

BookCoreConfig spot() {
  return BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceSpot};
}
BookCoreConfig futures() {
  return BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceFutures};
}

template <class Book>
std::vector<PriceLevel> top(const Book& b, BookSide side, std::size_t n) {
  std::vector<PriceLevel> out(n);
  out.resize(b.depth(side, out));
  return out;
}

}  // namespace

namespace doctest {
template <>
struct StringMaker<BookApplyResult> {
  static String convert(const BookApplyResult& r) {
    std::string s = std::string(to_string(r.status)) + " " + to_string(r.issue) + " expected " +
                    std::to_string(r.expected) + " got " + std::to_string(r.got) +
                    (r.crossed ? " crossed" : "");
    return s.c_str();
  }
};
template <>
struct StringMaker<PriceLevel> {
  static String convert(const PriceLevel& l) {
    return (l.quantity.to_string() + " @ " + l.price.to_string()).c_str();
  }
};
}  // namespace doctest

// ================= rules: the same cases run on the fast book and the naive reference ==========

TEST_CASE_TEMPLATE(
    "spot: diffs before the snapshot are buffered, stale ones dropped, first diff covers L+1", Book,
    BookCore, ReferenceBook) {
  Book b(spot());
  CHECK(b.state() == BookState::kSyncing);
  CHECK(b.apply(delta(90, 99, 0, {bid("10", "9")})) == kBuffered);    // u < L: dropped at snapshot
  CHECK(b.apply(delta(100, 100, 0, {bid("10", "8")})) == kBuffered);  // u == L: dropped too
  CHECK(b.apply(delta(101, 105, 0, {bid("10", "1"), ask("11", "0")})) == kBuffered);  // U == L+1
  CHECK(b.apply(delta(106, 107, 0, {ask("12", "3")})) == kBuffered);
  CHECK(b.state() == BookState::kSyncing);
  CHECK_FALSE(b.best_bid().has_value());

  CHECK(b.apply(snapshot(100, {bid("10", "5"), bid("9", "2"), ask("11", "4"), ask("13", "6")})) ==
        kApplied);
  CHECK(b.state() == BookState::kLive);
  CHECK(b.last_update_id() == 107);
  CHECK(top(b, BookSide::kBid, 5) == std::vector<PriceLevel>{{"10"_d, "1"_d}, {"9"_d, "2"_d}});
  CHECK(top(b, BookSide::kAsk, 5) == std::vector<PriceLevel>{{"12"_d, "3"_d}, {"13"_d, "6"_d}});
  CHECK(b.apply(delta(108, 108, 0, {bid("9", "0")})) == kApplied);  // quantity zero removes
  CHECK(top(b, BookSide::kBid, 5) == std::vector<PriceLevel>{{"10"_d, "1"_d}});
}

TEST_CASE_TEMPLATE(
    "spot: first diff straddling L+1 is applied, one starting after L+1 needs a resync", Book,
    BookCore, ReferenceBook) {
  SUBCASE("straddles") {
    Book b(spot());
    CHECK(b.apply(delta(95, 103, 0, {bid("10", "1")})) == kBuffered);  // U <= 101 <= u
    CHECK(b.apply(snapshot(100, {bid("10", "5"), ask("11", "1")})) == kApplied);
    CHECK(b.last_update_id() == 103);
    CHECK(b.best_bid() == PriceLevel{"10"_d, "1"_d});
  }
  SUBCASE("buffered diff starts too late") {
    Book b(spot());
    CHECK(b.apply(delta(102, 103, 0, {bid("10", "1")})) == kBuffered);
    CHECK(b.apply(snapshot(100, {bid("10", "5")})) ==
          result(BookApplyStatus::kResyncNeeded, BookIssue::kFirstDiffMismatch, 101, 102));
    CHECK(b.state() == BookState::kResyncNeeded);
    CHECK_FALSE(b.best_bid().has_value());
    // The kept diff connects to a newer snapshot.
    CHECK(b.apply(snapshot(101, {bid("10", "5")})) == kApplied);
    CHECK(b.last_update_id() == 103);
    CHECK(b.best_bid() == PriceLevel{"10"_d, "1"_d});
  }
  SUBCASE("no buffered diff: the next live diff must cover L+1") {
    Book b(spot());
    CHECK(b.apply(snapshot(100, {bid("10", "5")})) == kApplied);
    CHECK(b.apply(delta(99, 100, 0, {bid("10", "7")})) == kStale);
    CHECK(b.apply(delta(102, 104, 0, {bid("10", "7")})) ==
          result(BookApplyStatus::kResyncNeeded, BookIssue::kFirstDiffMismatch, 101, 102));
  }
}

TEST_CASE_TEMPLATE(
    "spot: a gap after the first diff needs a resync; nothing applied until a new snapshot", Book,
    BookCore, ReferenceBook) {
  Book b(spot());
  CHECK(b.apply(snapshot(100, {bid("10", "5"), ask("11", "4")})) == kApplied);
  CHECK(b.apply(delta(101, 102, 0, {bid("10", "6")})) == kApplied);
  CHECK(b.apply(delta(101, 102, 0, {bid("10", "1")})) == kStale);  // a repeat: dropped
  CHECK(b.best_bid() == PriceLevel{"10"_d, "6"_d});
  CHECK(b.apply(delta(104, 106, 0, {bid("10", "7")})) ==
        result(BookApplyStatus::kResyncNeeded, BookIssue::kSequenceGap, 103, 104));
  CHECK(b.state() == BookState::kResyncNeeded);
  CHECK(b.last_update_id() == 102);
  CHECK_FALSE(b.best_bid().has_value());
  CHECK(b.apply(delta(107, 108, 0, {ask("11", "2")})) == kBuffered);  // kept, not applied
  CHECK_FALSE(b.best_ask().has_value());
  CHECK(b.apply(snapshot(105, {bid("10", "9"), ask("11", "9")})) ==
        kApplied);  // 104..106 covers 106
  CHECK(b.state() == BookState::kLive);
  CHECK(b.last_update_id() == 108);
  CHECK(b.best_bid() == PriceLevel{"10"_d, "7"_d});
  CHECK(b.best_ask() == PriceLevel{"11"_d, "2"_d});
}

TEST_CASE_TEMPLATE("futures: pu chains diffs; first diff has U <= L <= u, u == L counts", Book,
                   BookCore, ReferenceBook) {
  Book b(futures());
  CHECK(b.apply(delta(80, 90, 70, {bid("10", "1")})) == kBuffered);   // u < L: dropped
  CHECK(b.apply(delta(91, 100, 90, {bid("10", "2")})) == kBuffered);  // u == L: applied (covers L)
  CHECK(b.apply(delta(101, 110, 100, {bid("10", "3")})) == kBuffered);
  CHECK(b.apply(snapshot(100, {bid("10", "5"), ask("11", "4")})) == kApplied);
  CHECK(b.last_update_id() == 110);
  CHECK(b.best_bid() == PriceLevel{"10"_d, "3"_d});
  CHECK(b.apply(delta(105, 110, 104, {bid("10", "4")})) == kStale);
  CHECK(b.apply(delta(111, 120, 110, {ask("11", "0"), ask("12", "1")})) == kApplied);
  CHECK(b.best_ask() == PriceLevel{"12"_d, "1"_d});
  CHECK(b.apply(delta(131, 140, 130, {bid("10", "9")})) ==
        result(BookApplyStatus::kResyncNeeded, BookIssue::kSequenceGap, 120, 130));
  CHECK(b.state() == BookState::kResyncNeeded);
  CHECK_FALSE(b.best_bid().has_value());

  Book late(futures());
  CHECK(late.apply(delta(101, 110, 100, {bid("10", "3")})) == kBuffered);
  CHECK(late.apply(snapshot(100, {bid("10", "5")})) ==
        result(BookApplyStatus::kResyncNeeded, BookIssue::kFirstDiffMismatch, 100, 101));
}

TEST_CASE_TEMPLATE("levels: zero removes, unknown zero is a no-op, crossed book is reported", Book,
                   BookCore, ReferenceBook) {
  Book b(spot());
  CHECK(b.apply(snapshot(1, {bid("100", "1"), bid("99", "2"), bid("98", "3"), ask("101", "1"),
                             ask("102", "2")})) == kApplied);
  CHECK(b.apply(delta(2, 2, 0, {bid("97", "0"), bid("99", "0"), ask("101.5", "7")})) == kApplied);
  CHECK(top(b, BookSide::kBid, 10) == std::vector<PriceLevel>{{"100"_d, "1"_d}, {"98"_d, "3"_d}});
  CHECK(top(b, BookSide::kAsk, 2) == std::vector<PriceLevel>{{"101"_d, "1"_d}, {"101.5"_d, "7"_d}});
  CHECK(b.apply(delta(3, 3, 0, {bid("101", "4")})) ==
        result(BookApplyStatus::kApplied, BookIssue::kNone, 0, 0, true));  // bid == ask: crossed
  CHECK(b.apply(delta(4, 4, 0, {ask("101", "0")})) == kApplied);           // uncrossed again
  CHECK(b.best_ask() == PriceLevel{"101.5"_d, "7"_d});
}

// ================= fast book only: chunks, invalid input, accessors ===========================

TEST_CASE("chunks: one message in three chunks is checked once and applied at the last chunk") {
  BookCore b(spot());
  CHECK(b.apply(snapshot(100, {bid("1", "1"), ask("1000", "1")})) == kApplied);
  std::vector<BookLevel> levels;
  for (int i = 0; i < 60; ++i) {
    const std::string price = std::to_string(2 + i);
    levels.push_back(bid(price.c_str(), "1"));
  }
  BookDelta header = delta(101, 130, 0, {});
  auto parts = chunks(header, levels);
  REQUIRE(parts.size() == 3);
  CHECK(b.apply(parts[0]) == result(BookApplyStatus::kChunkPending));
  CHECK(b.apply(parts[1]) == result(BookApplyStatus::kChunkPending));
  CHECK(b.last_update_id() == 100);
  CHECK(b.level_count(BookSide::kBid) == 1);  // nothing applied mid-message
  CHECK(b.apply(parts[2]) == kApplied);
  CHECK(b.last_update_id() == 130);
  CHECK(b.level_count(BookSide::kBid) == 61);
  CHECK(b.best_bid() == PriceLevel{"61"_d, "1"_d});
  CHECK(b.level(BookSide::kBid, 60) == PriceLevel{"1"_d, "1"_d});

  SUBCASE("a missing chunk needs a resync") {
    auto next = chunks(delta(131, 140, 0, {}), levels);
    CHECK(b.apply(next[0]) == result(BookApplyStatus::kChunkPending));
    CHECK(b.apply(next[2]) ==
          result(BookApplyStatus::kResyncNeeded, BookIssue::kChunkOutOfOrder, 1, 2));
    CHECK(b.state() == BookState::kResyncNeeded);
  }
  SUBCASE("a chunk of another message needs a resync") {
    auto next = chunks(delta(131, 140, 0, {}), levels);
    auto other = chunks(delta(141, 150, 0, {}), levels);
    CHECK(b.apply(next[0]) == result(BookApplyStatus::kChunkPending));
    CHECK(b.apply(other[1]) ==
          result(BookApplyStatus::kResyncNeeded, BookIssue::kChunkOutOfOrder, 1, 1));
  }
  SUBCASE("a message whose tail was lost needs a resync") {
    auto next = chunks(delta(131, 140, 0, {}), levels);
    CHECK(b.apply(next[0]) == result(BookApplyStatus::kChunkPending));
    CHECK(b.apply(delta(141, 141, 0, {})) ==
          result(BookApplyStatus::kResyncNeeded, BookIssue::kChunkOutOfOrder, 1, 0));
  }
  SUBCASE("a chunked snapshot replaces the book at its last chunk") {
    BookSnapshot s = snapshot(500, {});
    auto snap_parts = chunks(s, levels);
    CHECK(b.apply(snap_parts[0]) == result(BookApplyStatus::kChunkPending));
    CHECK(b.apply(snap_parts[1]) == result(BookApplyStatus::kChunkPending));
    CHECK(b.apply(snap_parts[2]) == kApplied);
    CHECK(b.last_update_id() == 500);
    CHECK(b.level_count(BookSide::kBid) == 60);
    CHECK(b.level_count(BookSide::kAsk) == 0);
  }
}

TEST_CASE("invalid levels need a resync; depth copies best first") {
  BookCore b(spot());
  CHECK(b.apply(snapshot(1, {bid("10", "1"), bid("9", "1"), ask("11", "1")})) == kApplied);
  std::array<PriceLevel, 1> one{};
  CHECK(b.depth(BookSide::kBid, one) == 1);
  CHECK(one[0] == PriceLevel{"10"_d, "1"_d});
  CHECK(b.apply(delta(2, 2, 0, {bid("10", "-1")})) ==
        result(BookApplyStatus::kResyncNeeded, BookIssue::kInvalidLevel, 0, 2));
  CHECK(b.state() == BookState::kResyncNeeded);
  CHECK(b.apply(snapshot(5, {ask("0", "1")})) ==
        result(BookApplyStatus::kResyncNeeded, BookIssue::kInvalidLevel, 0, 5));
}

// ================= consolidated ==============================================================

TEST_CASE("consolidated: best buy and sell across venues with taker fees, rounded against us") {
  BookCore binance(spot()), okx(spot()), syncing(spot());
  CHECK(binance.apply(snapshot(1, {bid("100.00", "1"), ask("100.10", "2")})) == kApplied);
  CHECK(okx.apply(snapshot(1, {bid("100.05", "3"), ask("100.12", "4")})) == kApplied);
  ConsolidatedBook c;
  CHECK(c.add({ExchangeId::kBinance, Market::kSpot}, binance, "0.001"_d).ok());
  CHECK(c.add({ExchangeId::kOkx, Market::kSpot}, okx, "0.0008"_d).ok());
  CHECK(c.add({ExchangeId::kBybit, Market::kSpot}, syncing, "0"_d).ok());  // not live: ignored
  CHECK(c.add({ExchangeId::kBybit, Market::kSpot}, syncing, "1"_d).error() ==
        ConsolidatedError::kInvalidFee);
  CHECK(c.add({ExchangeId::kBybit, Market::kSpot}, syncing, "-0.1"_d).error() ==
        ConsolidatedError::kInvalidFee);

  // Buy: 100.10 * 1.001 = 100.2001; 100.12 * 1.0008 = 100.200096 -> OKX cheaper.
  auto buy = c.best_buy();
  REQUIRE(buy.ok());
  REQUIRE(buy->has_value());
  CHECK(**buy ==
        ConsolidatedQuote{"100.200096"_d, "100.12"_d, "4"_d, {ExchangeId::kOkx, Market::kSpot}, 1});
  // Sell: 100.00 * 0.999 = 99.9; 100.05 * 0.9992 = 99.96996 -> OKX.
  auto sell = c.best_sell();
  REQUIRE(sell.ok());
  REQUIRE(sell->has_value());
  CHECK(**sell ==
        ConsolidatedQuote{"99.96996"_d, "100.05"_d, "3"_d, {ExchangeId::kOkx, Market::kSpot}, 1});

  SUBCASE("rounding beyond 1e-9 goes against us") {
    BookCore odd(spot());
    CHECK(odd.apply(snapshot(1, {bid("0.000000003", "1"), ask("0.000000003", "1")})) ==
          result(BookApplyStatus::kApplied, BookIssue::kNone, 0, 0, true));
    BookCore a(spot()), bk(spot());
    CHECK(a.apply(snapshot(1, {bid("0.000000003", "1")})) == kApplied);
    CHECK(bk.apply(snapshot(1, {ask("0.000000003", "1")})) == kApplied);
    ConsolidatedBook tiny;
    CHECK(tiny.add({}, a, "0.1"_d).ok());
    CHECK(tiny.add({}, bk, "0.1"_d).ok());
    CHECK(tiny.best_sell()->value().effective_price == "0.000000002"_d);  // 2.7e-9 down
    CHECK(tiny.best_buy()->value().effective_price == "0.000000004"_d);   // 3.3e-9 up
    ConsolidatedBook crossed_only;
    CHECK(crossed_only.add({}, odd, "0"_d).ok());
    CHECK_FALSE(crossed_only.best_buy()->has_value());  // a crossed book is not quoted
  }
  SUBCASE("ties keep the first book; a book in resync drops out") {
    ConsolidatedBook t;
    CHECK(t.add({ExchangeId::kBinance, Market::kSpot}, binance, "0"_d).ok());
    CHECK(t.add({ExchangeId::kOkx, Market::kSpot}, binance, "0"_d).ok());
    CHECK(t.best_buy()->value().venue.exchange == ExchangeId::kBinance);
    CHECK(binance.apply(delta(5, 5, 0, {})).status == BookApplyStatus::kResyncNeeded);
    CHECK_FALSE(t.best_buy()->has_value());
  }
}

// ================= replay of recorded Binance streams ==========================================

namespace {

struct Ticker {
  std::uint64_t update_id;
  PriceLevel bid, ask;
};

// One recorded line turned into what the book sees; bookTickers kept as the oracle.
struct Recorded {
  enum class Kind : std::uint8_t { kSnapshot, kDelta, kTicker } kind;
  std::uint64_t first = 0, last = 0, prev = 0;
  std::vector<BookLevel> levels;
  Ticker ticker{};
};

std::string gunzip(const std::filesystem::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  REQUIRE_MESSAGE(f != nullptr, p.string());
  std::string out;
  std::array<char, 1 << 16> buf{};
  int n = 0;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0)
    out.append(buf.data(), static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

Decimal dec(simdjson::dom::element e) {
  std::string_view s = e.get_string().value();
  auto d = Decimal::parse(s);
  REQUIRE_MESSAGE(d.ok(), std::string(s));
  return *d;
}

void add_levels(simdjson::dom::array a, BookSide side, std::vector<BookLevel>& out) {
  for (simdjson::dom::element l : a) {
    simdjson::dom::array pq = l.get_array().value();
    out.push_back(BookLevel{side, dec(pq.at(0).value()), dec(pq.at(1).value())});
  }
}

void load(const std::filesystem::path& p, std::vector<Recorded>& out) {
  const std::string text = gunzip(p);
  simdjson::dom::parser parser;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    simdjson::padded_string json(line.substr(space + 1));
    simdjson::dom::object o = parser.parse(json).get_object().value();
    Recorded r{};
    if (simdjson::dom::element id; o["lastUpdateId"].get(id) == simdjson::SUCCESS) {
      r.kind = Recorded::Kind::kSnapshot;
      r.last = id.get_uint64().value();
      add_levels(o["bids"].get_array().value(), BookSide::kBid, r.levels);
      add_levels(o["asks"].get_array().value(), BookSide::kAsk, r.levels);
      out.push_back(std::move(r));
      continue;
    }
    const std::string_view stream = o["stream"].get_string().value();
    simdjson::dom::object data = o["data"].get_object().value();
    if (stream.find("@depth") != std::string_view::npos) {
      r.kind = Recorded::Kind::kDelta;
      r.first = data["U"].get_uint64().value();
      r.last = data["u"].get_uint64().value();
      if (simdjson::dom::element pu; data["pu"].get(pu) == simdjson::SUCCESS)
        r.prev = pu.get_uint64().value();
      add_levels(data["b"].get_array().value(), BookSide::kBid, r.levels);
      add_levels(data["a"].get_array().value(), BookSide::kAsk, r.levels);
      out.push_back(std::move(r));
    } else if (stream.find("@bookTicker") != std::string_view::npos) {
      r.kind = Recorded::Kind::kTicker;
      r.ticker = Ticker{data["u"].get_uint64().value(),
                        {dec(data["b"].value()), dec(data["B"].value())},
                        {dec(data["a"].value()), dec(data["A"].value())}};
      out.push_back(std::move(r));
    }
  }
}

const std::vector<Recorded>& spot_btcusdt() {
  static const std::vector<Recorded> all = [] {
    std::vector<Recorded> v;
    const auto dir = testkit::shared_data() / "hftbacktest";
    load(dir / "spot_btcusdt_20240808.gz", v);
    load(dir / "spot_btcusdt_20240809.gz", v);  // the sequence continues across midnight
    return v;
  }();
  return all;
}

const std::vector<Recorded>& usdm_btcusdt() {
  static const std::vector<Recorded> all = [] {
    std::vector<Recorded> v;
    load(testkit::shared_data() / "hftbacktest" / "usdm_btcusdt_20240808.gz", v);
    return v;
  }();
  return all;
}

// Feeds one recorded message as chunks; returns the result of its last chunk.
template <class Book>
BookApplyResult feed(Book& b, const Recorded& r) {
  BookApplyResult last;
  if (r.kind == Recorded::Kind::kSnapshot) {
    BookSnapshot h;
    h.instrument = InstrumentId(0);
    h.last_update_id = r.last;
    for (const BookSnapshot& c : chunks(h, r.levels)) last = b.apply(c);
  } else {
    BookDelta h;
    h.instrument = InstrumentId(0);
    h.first_update_id = r.first;
    h.last_update_id = r.last;
    h.prev_update_id = r.prev;
    for (const BookDelta& c : chunks(h, r.levels)) last = b.apply(c);
  }
  return last;
}

struct ReplayReport {
  std::size_t deltas = 0, applied = 0, buffered = 0, stale = 0, resyncs = 0;
  std::size_t ticker_matches = 0, ticker_mismatches = 0, crossed = 0;
  BookState final_state = BookState::kSyncing;
  std::uint64_t final_update_id = 0;
  bool final_top_checked = false, final_top_equal = false;
};

// Replays all messages; joins the book's top after each applied diff with the bookTicker of
// the same update id (either may come first in the recording).
template <class Book>
ReplayReport replay(const std::vector<Recorded>& msgs, BookSequencing seq) {
  Book b(BookCoreConfig{InstrumentId(0), seq});
  ReplayReport rep;
  std::unordered_map<std::uint64_t, std::pair<PriceLevel, PriceLevel>> tops;
  std::vector<Ticker> tickers;
  for (const Recorded& m : msgs) {
    if (m.kind == Recorded::Kind::kTicker) {
      tickers.push_back(m.ticker);
      continue;
    }
    rep.deltas += m.kind == Recorded::Kind::kDelta;
    const BookApplyResult r = feed(b, m);
    rep.applied += r.status == BookApplyStatus::kApplied;
    rep.buffered += r.status == BookApplyStatus::kBuffered;
    rep.stale += r.status == BookApplyStatus::kStale;
    rep.resyncs += r.status == BookApplyStatus::kResyncNeeded;
    rep.crossed += r.crossed;
    if (b.state() == BookState::kLive && b.best_bid() && b.best_ask())
      tops[b.last_update_id()] = {*b.best_bid(), *b.best_ask()};
  }
  for (const Ticker& t : tickers) {
    auto it = tops.find(t.update_id);
    if (it == tops.end()) continue;
    const bool equal = it->second.first == t.bid && it->second.second == t.ask;
    (equal ? rep.ticker_matches : rep.ticker_mismatches) += 1;
    if (!equal) {
      MESSAGE("mismatch at u=" << t.update_id << " book " << it->second.first.price.to_string()
                               << "/" << it->second.second.price.to_string() << " ticker "
                               << t.bid.price.to_string() << "/" << t.ask.price.to_string());
    }
  }
  rep.final_state = b.state();
  rep.final_update_id = b.last_update_id();
  // The final top against the newest bookTicker at or below the final update id: a bookTicker
  // is pushed on every change of the best levels, so none newer means the top is unchanged.
  const Ticker* newest = nullptr;
  for (const Ticker& t : tickers)
    if (t.update_id <= rep.final_update_id &&
        (newest == nullptr || t.update_id > newest->update_id))
      newest = &t;
  if (newest != nullptr) {
    rep.final_top_checked = true;
    rep.final_top_equal = b.best_bid() == newest->bid && b.best_ask() == newest->ask;
    MESSAGE("final u " << rep.final_update_id << " newest ticker u " << newest->update_id);
  }
  // Same idea after every applied diff (informational: counts, not asserted).
  std::vector<const Ticker*> sorted;
  for (const Ticker& t : tickers) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(),
            [](const Ticker* a, const Ticker* c) { return a->update_id < c->update_id; });
  std::size_t ok = 0, bad = 0;
  for (const auto& [u, t] : tops) {
    auto it = std::upper_bound(sorted.begin(), sorted.end(), u,
                               [](std::uint64_t v, const Ticker* x) { return v < x->update_id; });
    if (it == sorted.begin()) continue;
    const Ticker* n = *(it - 1);
    (t.first == n->bid && t.second == n->ask ? ok : bad) += 1;
  }
  MESSAGE("newest-ticker-at-or-below: equal " << ok << " different " << bad);
  return rep;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "replay spot BTCUSDT 0808+0809: gap-free, top equals bookTicker at the same update id", Book,
    BookCore, ReferenceBook) {
  const ReplayReport rep = replay<Book>(spot_btcusdt(), BookSequencing::kBinanceSpot);
  MESSAGE("spot deltas " << rep.deltas << " applied " << rep.applied << " buffered " << rep.buffered
                         << " stale " << rep.stale << " ticker matches " << rep.ticker_matches
                         << " final u " << rep.final_update_id);
  CHECK(rep.deltas == 3451 + 3044);
  CHECK(rep.resyncs == 0);
  CHECK(rep.crossed == 0);
  CHECK(rep.buffered == 3);  // three diffs before the snapshot line (lastUpdateId 50093239218):
  CHECK(rep.stale == 0);     // the two ending at or before it are dropped inside the snapshot
  CHECK(rep.applied == rep.deltas - rep.buffered + 1);  // every live diff, plus the snapshot
  CHECK(rep.final_state == BookState::kLive);
  CHECK(rep.ticker_mismatches == 0);
  CHECK(rep.ticker_matches == 1072);  // exact joins of book u and ticker u, checked
  CHECK(rep.final_top_checked);
  CHECK(rep.final_top_equal);
}

TEST_CASE_TEMPLATE(
    "replay USD-M BTCUSDT 0808: gap-free, top equals bookTicker at the same update id", Book,
    BookCore, ReferenceBook) {
  const ReplayReport rep = replay<Book>(usdm_btcusdt(), BookSequencing::kBinanceFutures);
  MESSAGE("usdm deltas " << rep.deltas << " applied " << rep.applied << " buffered " << rep.buffered
                         << " stale " << rep.stale << " ticker matches " << rep.ticker_matches
                         << " final u " << rep.final_update_id);
  CHECK(rep.deltas == 6551);
  CHECK(rep.buffered == 6);  // the snapshot is line 55
  CHECK(rep.stale == 0);
  CHECK(rep.applied == rep.deltas - rep.buffered + 1);
  CHECK(rep.resyncs == 0);
  CHECK(rep.crossed == 0);
  CHECK(rep.final_state == BookState::kLive);
  CHECK(rep.ticker_mismatches == 0);
  CHECK(rep.ticker_matches == 629);
  CHECK(rep.final_top_checked);
  CHECK(rep.final_top_equal);
}

namespace {

// Drops the n-th diff after the snapshot; the next diff must be refused with the exact ids.
void check_synthetic_gap(const std::vector<Recorded>& msgs, BookSequencing seq, std::size_t n) {
  BookCore b(BookCoreConfig{InstrumentId(0), seq});
  std::size_t after_snapshot = 0;
  bool seen_snapshot = false, dropped = false;
  std::uint64_t prev_u = 0;
  const Recorded* gone = nullptr;
  for (const Recorded& m : msgs) {
    if (m.kind == Recorded::Kind::kTicker) continue;
    if (m.kind == Recorded::Kind::kSnapshot) seen_snapshot = true;
    if (m.kind == Recorded::Kind::kDelta && seen_snapshot && ++after_snapshot == n) {
      gone = &m;
      dropped = true;
      continue;
    }
    const BookApplyResult r = feed(b, m);
    if (dropped) {
      REQUIRE(gone != nullptr);
      const BookApplyResult want =
          seq == BookSequencing::kBinanceSpot
              ? result(BookApplyStatus::kResyncNeeded, BookIssue::kSequenceGap, prev_u + 1,
                       gone->last + 1)
              : result(BookApplyStatus::kResyncNeeded, BookIssue::kSequenceGap, prev_u, gone->last);
      CHECK(r == want);
      CHECK(b.state() == BookState::kResyncNeeded);
      CHECK(b.last_update_id() == prev_u);
      CHECK_FALSE(b.best_bid().has_value());
      return;
    }
    if (b.state() == BookState::kLive) prev_u = b.last_update_id();
  }
  FAIL("the gap was never reached");
}

}  // namespace

TEST_CASE("replay with one diff dropped: resync at the exact expected sequence") {
  check_synthetic_gap(spot_btcusdt(), BookSequencing::kBinanceSpot, 500);
  check_synthetic_gap(spot_btcusdt(), BookSequencing::kBinanceSpot, 3500);  // in the 0809 file
  check_synthetic_gap(usdm_btcusdt(), BookSequencing::kBinanceFutures, 1000);
}

TEST_CASE(
    "replay lockstep: fast book and naive reference show the same top 20 after every message") {
  for (const auto* msgs : {&spot_btcusdt(), &usdm_btcusdt()}) {
    const BookSequencing seq =
        msgs == &spot_btcusdt() ? BookSequencing::kBinanceSpot : BookSequencing::kBinanceFutures;
    BookCore fast(BookCoreConfig{InstrumentId(0), seq});
    ReferenceBook ref(BookCoreConfig{InstrumentId(0), seq});
    std::size_t compared = 0, differing = 0;
    constexpr std::size_t kTop = 20;
    for (const Recorded& m : *msgs) {
      if (m.kind == Recorded::Kind::kTicker) continue;
      const BookApplyResult a = feed(fast, m), r = feed(ref, m);
      const bool same = a == r && fast.state() == ref.state() &&
                        fast.last_update_id() == ref.last_update_id() &&
                        top(fast, BookSide::kBid, kTop) == top(ref, BookSide::kBid, kTop) &&
                        top(fast, BookSide::kAsk, kTop) == top(ref, BookSide::kAsk, kTop);
      ++compared;
      differing += !same;
    }
    MESSAGE("lockstep messages compared " << compared);
    CHECK(compared == msgs->size() - static_cast<std::size_t>(std::count_if(
                                         msgs->begin(), msgs->end(), [](const Recorded& x) {
                                           return x.kind == Recorded::Kind::kTicker;
                                         })));
    CHECK(compared > 6000);
    CHECK(differing == 0);
  }
}

TEST_CASE("state: a book saved with a snapshot half assembled and diffs waiting loads into a fresh one that goes on alike") {
  std::vector<BookLevel> levels;
  for (int i = 0; i < 60; ++i) {
    const std::string price = std::to_string(100 + i);
    levels.push_back(i % 2 == 0 ? bid(price.c_str(), "1") : ask(std::to_string(1000 + i).c_str(), "2"));
  }
  BookCore b(spot());
  CHECK(b.apply(delta(101, 105, 0, {bid("150", "3")})) == result(BookApplyStatus::kBuffered));
  CHECK(b.apply(delta(106, 110, 0, {ask("1005", "0")})) == result(BookApplyStatus::kBuffered));
  auto snap = chunks(snapshot(103, {}), levels);
  REQUIRE(snap.size() == 3);
  CHECK(b.apply(snap[0]) == result(BookApplyStatus::kChunkPending));

  const Directory names;
  actors::StateWriter w(names);
  b.save(w);
  BookCore c(spot());
  actors::StateReader r(w.bytes(), names);
  c.load(r);
  REQUIRE_MESSAGE(r.ok(), r.error().value_or(""));
  CHECK(r.remaining() == 0);
  CHECK(c.buffered_messages() == 2);
  actors::StateWriter again(names);
  c.save(again);
  CHECK(again.bytes() == w.bytes());

  // The rest of the snapshot, then a diff: both books answer and end alike.
  for (std::size_t i = 1; i < snap.size(); ++i) CHECK(b.apply(snap[i]) == c.apply(snap[i]));
  CHECK(b.apply(delta(111, 111, 0, {bid("151", "1")})) == c.apply(delta(111, 111, 0, {bid("151", "1")})));
  CHECK(c.state() == BookState::kLive);
  CHECK(c.last_update_id() == 111);
  CHECK(b.best_bid() == c.best_bid());
  CHECK(b.best_ask() == c.best_ask());
  CHECK(b.level_count(BookSide::kBid) == c.level_count(BookSide::kBid));

  SUBCASE("cut short: the reader names it and the book is unchanged") {
    BookCore d(spot());
    CHECK(d.apply(snapshot(7, {bid("1", "1"), ask("2", "1")})) == kApplied);
    actors::StateReader cut(std::string_view(w.bytes()).substr(0, w.bytes().size() - 5), names);
    d.load(cut);
    CHECK_FALSE(cut.ok());
    CHECK(d.last_update_id() == 7);
    CHECK(d.best_bid() == PriceLevel{"1"_d, "1"_d});
  }
}

TEST_CASE("level side: random sets against a std::map, through block splits and joins, on both sides") {
  for (const bool bids : {true, false}) {
    LevelSide side(bids);
    std::map<std::int64_t, std::int64_t> ref;  // price raw -> quantity raw
    std::uint64_t x = 88172645463325252ULL;
    const auto next = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    for (int step = 0; step < 200'000; ++step) {
      // Phases: grow to thousands of levels, then thin out (joins), then grow again.
      const int phase = (step / 50'000) % 2;
      const auto price = static_cast<std::int64_t>(1 + next() % 4'000) * 100;
      const bool remove = next() % 100 < (phase == 0 ? 30 : 75);
      const auto qty = remove ? 0 : static_cast<std::int64_t>(1 + next() % 1000);
      side.set(Decimal::from_raw(price), Decimal::from_raw(qty));
      if (qty == 0) ref.erase(price);
      else ref[price] = qty;
      if (step % 997 == 0 || step == 199'999) {
        REQUIRE(side.size() == ref.size());
        std::vector<PriceLevel> all;
        side.for_each([&](const PriceLevel& l) { all.push_back(l); });
        std::vector<PriceLevel> want;
        for (const auto& [p, q] : ref) want.push_back(PriceLevel{Decimal::from_raw(p), Decimal::from_raw(q)});
        if (!bids) std::reverse(want.begin(), want.end());  // asks: descending, the best last
        REQUIRE(all == want);
        if (!ref.empty()) {
          CHECK(side.best() == want.back());
          CHECK(side.from_best(0) == want.back());
          CHECK(side.from_best(want.size() - 1) == want.front());
          std::array<PriceLevel, 100> top{};
          const auto n = side.copy_best_first(top);
          REQUIRE(n == std::min<std::size_t>(100, want.size()));
          for (std::size_t i = 0; i < n; ++i) CHECK(top[i] == want[want.size() - 1 - i]);
        }
        LevelSide copy = side;
        CHECK(copy == side);
      }
    }
  }
}

TEST_CASE("level side: assign takes levels in book order only") {
  LevelSide bids(true);
  const std::vector<PriceLevel> up{{"1"_d, "1"_d}, {"2"_d, "1"_d}, {"3"_d, "2"_d}};
  CHECK(bids.assign(up));
  CHECK(bids.best() == PriceLevel{"3"_d, "2"_d});
  const std::vector<PriceLevel> down{{"3"_d, "1"_d}, {"2"_d, "1"_d}};
  CHECK_FALSE(bids.assign(down));
  CHECK(bids.empty());
  const std::vector<PriceLevel> zero{{"1"_d, "0"_d}};
  CHECK_FALSE(bids.assign(zero));
  LevelSide asks(false);
  CHECK(asks.assign(down));
  CHECK(asks.best() == PriceLevel{"2"_d, "1"_d});
}
