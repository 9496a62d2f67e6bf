// OKX v5 public market data (books, bbo-tbt, trades, tickers, events, pong) and the BookChecker:
// exact values from real messages (nautilus fixtures, the cryptofeed OKX capture read at test
// time), checksums against the venue's own, the seqId chain mapped onto BookCore, and errors
// naming the field.
#include <doctest/doctest.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <random>
#include <string>

#include "../../../connectors/src/okx/book_scan.hpp"  // the two readers it pins
#include "oms/connectors/okx/book_checker.hpp"
#include "oms/connectors/okx/market_data.hpp"
#include "oms/cores/book_core.hpp"
#include "testkit/mutate.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::okx;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }

constexpr InstrumentId kBtcUsdt{7};
constexpr InstrumentId kBtcSwap{8};

// BTC-USDT (spot) and BTC-USDT-SWAP (ctVal 0.01 BTC) known; anything else not.
const InstrumentFinder kFind = [](std::string_view inst) -> std::optional<InstrumentRef> {
  if (inst == "BTC-USDT") return InstrumentRef{kBtcUsdt};
  if (inst == "BTC-USDT-SWAP") return InstrumentRef{kBtcSwap, d("0.01")};
  return std::nullopt;
};
// Every instId known, contract value 1 (the capture's three instruments).
const InstrumentFinder kAny = [](std::string_view) -> std::optional<InstrumentRef> {
  return InstrumentRef{InstrumentId{1}};
};

std::string fixture(const char* name) {
  return testkit::read_file(testkit::shared_data() / "nautilus" / "okx" / name);
}

// The received payloads of the cryptofeed OKX capture ("<ts>: <payload>" lines), in order.
const std::vector<std::string>& capture() {
  static const std::vector<std::string> kPayloads = [] {
    std::ifstream in(testkit::shared_data() / "cryptofeed" / "OKX.ws.1.0");
    REQUIRE(in.good());
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("wss://")) continue;
      out.push_back(line.substr(line.find(": ") + 2));
    }
    return out;
  }();
  return kPayloads;
}
// The first payload of the capture containing needle.
const std::string& captured(std::string_view needle) {
  for (const auto& p : capture())
    if (p.find(needle) != std::string::npos) return p;
  FAIL("no captured message contains " << needle);
  static const std::string kNone;
  return kNone;
}

MarketMessage parsed(std::string_view json, MarketMessageKind kind,
                     const InstrumentFinder& find = kFind) {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, json, find, m);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CHECK(*r == kind);
  CHECK(m.kind == kind);
  return m;
}

std::string error_of(std::string_view json, const InstrumentFinder& find = kFind) {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, json, find, m);
  return r.ok() ? std::string("ok") : r.error().message;
}

std::string with(std::string_view base, std::string_view from, std::string_view to) {
  std::string s(base);
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}

// A books push of the current protocol (seqId / prevSeqId), small enough to read.
std::string books(std::string_view action, std::string_view asks, std::string_view bids,
                  std::int64_t checksum, std::int64_t prev, std::int64_t seq) {
  return std::string(R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":")") +
         std::string(action) + R"(","data":[{"asks":[)" + std::string(asks) + R"(],"bids":[)" +
         std::string(bids) + R"(],"ts":"1700000000000","checksum":)" + std::to_string(checksum) +
         R"(,"prevSeqId":)" + std::to_string(prev) + R"(,"seqId":)" + std::to_string(seq) +
         "}]}";
}
// The checksum a book of these levels has (the texts as given).
std::int32_t sum_of(std::initializer_list<TextLevel> bids, std::initializer_list<TextLevel> asks) {
  return book_checksum(std::span<const TextLevel>(bids.begin(), bids.size()),
                       std::span<const TextLevel>(asks.begin(), asks.size()));
}
}  // namespace

// ---- the checksum ---------------------------------------------------------------------------------
TEST_CASE("crc32 equals zlib's for every length 0..1100 and continued states") {
  std::mt19937 rng(20220513);
  std::string bytes(1100, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng() & 0xFFU);
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const auto want = static_cast<std::uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n)));
    REQUIRE_MESSAGE(okx::crc32(std::string_view(bytes).substr(0, n)) == want, "length " << n);
  }
  // Continued: crc(a + b) == crc(b, crc(a)).
  const auto whole = okx::crc32(bytes);
  CHECK(okx::crc32(std::string_view(bytes).substr(333), okx::crc32(std::string_view(bytes).substr(0, 333))) == whole);
  CHECK(okx::crc32("123456789") == 0xCBF43926U);  // the CRC-32 check value
}

TEST_CASE("book_checksum: OKX's documented example and uneven sides") {
  CHECK(book_checksum(std::vector<TextLevel>{{"3366.1", "7"}, {"3366", "6"}},
                      std::vector<TextLevel>{{"3366.8", "9"}, {"3368", "8"}}) == -1881014294);
  // OKX's docs: bids [3366.1, 7], [3366, 6], asks [3366.8, 9], [3368, 8] are the text
  // "3366.1:7:3366.8:9:3366:6:3368:8"; its CRC32 read as signed is -1881014294.
  CHECK(book_checksum(std::vector<TextLevel>{{"3366.1", "7"}, {"3366", "6"}},
                      std::vector<TextLevel>{{"3366.8", "9"}, {"3368", "8"}}) ==
        static_cast<std::int32_t>(::crc32(0, reinterpret_cast<const Bytef*>("3366.1:7:3366.8:9:3366:6:3368:8"), 31)));
  // More bids than asks: the extra bids follow alone; beyond 25 nothing counts.
  std::vector<TextLevel> bids, asks{{"101", "1"}};
  std::vector<std::string> px;
  for (int i = 0; i < 30; ++i) px.push_back(std::to_string(100 - i));
  for (const auto& p : px) bids.push_back({p, "2"});
  std::string text = "100:2:101:1";
  for (int i = 1; i < 25; ++i) text += ":" + px[static_cast<std::size_t>(i)] + ":2";
  CHECK(book_checksum(bids, asks) ==
        static_cast<std::int32_t>(::crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()))));
}

// ---- books --------------------------------------------------------------------------------------
TEST_CASE("books snapshot (nautilus ws_books_snapshot): every field exact") {
  const auto m = parsed(fixture("ws_books_snapshot.json"), MarketMessageKind::kBook);
  CHECK(m.channel.view() == "books");
  const auto& b = m.book;
  CHECK(b.channel == BookChannel::kBooks);
  CHECK(b.inst_id.view() == "BTC-USDT");
  CHECK(b.instrument == InstrumentRef{kBtcUsdt});
  CHECK(b.snapshot);
  CHECK(b.ts == 1597026383085u);
  CHECK(b.checksum == -855196043);
  CHECK(b.prev_seq_id == -1);
  CHECK(b.seq_id == 123456);
  REQUIRE(b.asks.size() == 8);
  REQUIRE(b.bids.size() == 8);
  CHECK(b.asks[0] == OrderBookLevel{d("8476.98"), d("415"), "8476.98", "415", 13});
  CHECK(b.asks[1] == OrderBookLevel{d("8477"), d("7"), "8477", "7", 2});
  CHECK(b.asks[7] == OrderBookLevel{d("8506.96"), d("100"), "8506.96", "100", 2});
  CHECK(b.bids[0] == OrderBookLevel{d("8476.97"), d("256"), "8476.97", "256", 12});
  CHECK(b.bids[3] == OrderBookLevel{d("8475.3"), d("1"), "8475.3", "1", 1});
  CHECK(b.bids[7] == OrderBookLevel{d("8446"), d("95"), "8446", "95", 3});
}

TEST_CASE("books: the nautilus fixtures' checksum is not their book's: the checker says so") {
  // The fixture's levels give CRC32 -2102840145 (Python zlib.crc32 over "8476.97:256:8476.98:
  // 415:..."); it carries -855196043, a made-up value.
  auto snap = parsed(fixture("ws_books_snapshot.json"), MarketMessageKind::kBook);
  BookChecker c;
  const auto r = c.apply(snap.book);
  CHECK(r.status == BookCheckStatus::kChecksumMismatch);
  CHECK(r.compared);
  CHECK(r.expected == -855196043);
  CHECK(r.computed == -2102840145);
  CHECK_FALSE(c.live());  // waits for a snapshot: the caller resubscribes

  // The same snapshot with its true checksum verifies; the update fixture (prevSeqId 123456,
  // seqId 123457, the same levels again: nothing changes) then fails on its made-up checksum.
  snap = parsed(with(fixture("ws_books_snapshot.json"), "-855196043", "-2102840145"),
                MarketMessageKind::kBook);
  auto r2 = c.apply(snap.book);
  CHECK(r2.status == BookCheckStatus::kVerified);
  CHECK(r2.sequence.seq_id == 123456u);
  const auto upd = parsed(fixture("ws_books_update.json"), MarketMessageKind::kBook);
  CHECK_FALSE(upd.book.snapshot);
  CHECK(upd.book.prev_seq_id == 123456);
  CHECK(upd.book.seq_id == 123457);
  REQUIRE(upd.book.asks.size() == 8);
  r2 = c.apply(upd.book);
  CHECK(r2.status == BookCheckStatus::kChecksumMismatch);
  CHECK(r2.computed == -2102840145);
  CHECK(r2.sequence.seq_id == 123457u);
  CHECK(r2.sequence.prev_seq_id == 123456u);
}

TEST_CASE("books from the capture (2022, no seqId): 400-level snapshot and update verify") {
  const auto snap = parsed(captured(R"("instId":"BTC-USDT"},"action":"snapshot")"),
                           MarketMessageKind::kBook, kAny);
  REQUIRE(snap.book.bids.size() == 400);
  REQUIRE(snap.book.asks.size() == 400);
  CHECK_FALSE(snap.book.seq_id.has_value());
  CHECK_FALSE(snap.book.prev_seq_id.has_value());
  CHECK(snap.book.checksum == 47640993);
  CHECK(snap.book.ts == 1652459225381u);
  CHECK(snap.book.bids.front() == OrderBookLevel{d("30243.4"), d("0.0012029"), "30243.4", "0.0012029", 1});
  CHECK(snap.book.asks.front() == OrderBookLevel{d("30243.5"), d("1.44679"), "30243.5", "1.44679", 6});
  CHECK(snap.book.bids.back() == OrderBookLevel{d("29999.7"), d("0.00276686"), "29999.7", "0.00276686", 3});

  BookChecker c;
  auto r = c.apply(snap.book);
  CHECK(r.status == BookCheckStatus::kVerified);
  CHECK(r.compared);
  CHECK(r.computed == 47640993);
  CHECK(r.sequence.seq_id == 1u);  // synthesized: the venue sent none
  CHECK(c.level_count(BookSide::kBid) == 400);
  CHECK(c.level(BookSide::kAsk, 0).size == "1.44679");

  const auto upd = parsed(captured(R"("instId":"BTC-USDT"},"action":"update")"),
                          MarketMessageKind::kBook, kAny);
  CHECK(upd.book.checksum == -652563973);
  CHECK(upd.book.bids.front() == OrderBookLevel{d("30237.2"), d("0"), "30237.2", "0", 0});
  r = c.apply(upd.book);
  CHECK(r.status == BookCheckStatus::kVerified);
  CHECK(r.computed == -652563973);
  CHECK(r.sequence.prev_seq_id == 1u);
  CHECK(r.sequence.seq_id == 2u);
  CHECK(c.level(BookSide::kAsk, 0).price == "30243.5");
  CHECK(c.level(BookSide::kAsk, 0).size == "1.2112");
}

TEST_CASE("the whole capture: every snapshot and update verifies, BookCore follows") {
  JsonParser p;
  MarketMessage m;
  std::map<std::string, BookChecker> checkers;
  std::map<std::string, BookCore> cores;
  std::vector<BookSnapshot> snaps;
  std::vector<BookDelta> deltas;
  std::size_t verified = 0, books_seen = 0;
  for (const auto& payload : capture()) {
    auto r = parse_market_data(p, payload, kAny, m);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    if (*r != MarketMessageKind::kBook) continue;
    ++books_seen;
    const std::string inst = m.book.inst_id.str();
    const auto res = checkers[inst].apply(m.book);
    REQUIRE_MESSAGE(res.status == BookCheckStatus::kVerified, inst);
    verified += res.compared ? 1 : 0;
    auto [core, fresh] = cores.try_emplace(inst, BookCoreConfig{InstrumentId{1}, BookSequencing::kBinanceSpot});
    BookApplyResult applied;
    if (m.book.snapshot) {
      to_book_snapshots(m.book, res.sequence.seq_id, snaps);
      for (const auto& s : snaps) applied = core->second.apply(s);
    } else {
      to_book_deltas(m.book, res.sequence, deltas);
      for (const auto& x : deltas) applied = core->second.apply(x);
    }
    REQUIRE(applied.status == BookApplyStatus::kApplied);
    // BookCore's top is the checked book's top.
    const auto& c = checkers[inst];
    CHECK(core->second.best_bid()->price == *Decimal::parse(c.level(BookSide::kBid, 0).price));
    CHECK(core->second.best_ask()->quantity == *Decimal::parse(c.level(BookSide::kAsk, 0).size));
  }
  CHECK(books_seen == 290);
  CHECK(verified == 290);
  CHECK(checkers.size() == 3);
}

TEST_CASE("checker: a tampered level in the top 25 is a mismatch; below it, not") {
  const std::string& text = captured(R"("instId":"BTC-USDT"},"action":"snapshot")");
  JsonParser p;
  MarketMessage m;
  BookChecker c;
  // The 2nd ask's size 0.08 -> 0.09: inside the checksum's 25 levels.
  REQUIRE(parse_market_data(p, with(text, R"(["30244","0.08","0","1"])", R"(["30244","0.09","0","1"])"), kAny, m).ok());
  auto r = c.apply(m.book);
  CHECK(r.status == BookCheckStatus::kChecksumMismatch);
  CHECK(r.expected == 47640993);
  CHECK(r.computed != 47640993);
  // The last bid (the 400th level) changed: outside the checksum, verified.
  REQUIRE(parse_market_data(p, with(text, R"(["29999.7","0.00276686","0","3"])", R"(["29999.7","0.00276687","0","3"])"), kAny, m).ok());
  r = c.apply(m.book);
  CHECK(r.status == BookCheckStatus::kVerified);
}

TEST_CASE("checker: texts are kept as sent, \"0.10\" is not \"0.1\"") {
  const std::int32_t as_sent = sum_of({{"100.10", "0.10"}}, {{"100.2", "1"}});
  const std::int32_t normalized = sum_of({{"100.1", "0.1"}}, {{"100.2", "1"}});
  REQUIRE(as_sent != normalized);
  BookChecker c;
  auto m = parsed(books("snapshot", R"(["100.2","1","0","1"])", R"(["100.10","0.10","0","2"])",
                        as_sent, -1, 10),
                  MarketMessageKind::kBook);
  CHECK(m.book.bids[0].price == d("100.1"));
  CHECK(m.book.bids[0].price_text.view() == "100.10");
  CHECK(m.book.bids[0].size_text.view() == "0.10");
  CHECK(c.apply(m.book).status == BookCheckStatus::kVerified);
  CHECK(c.level(BookSide::kBid, 0).price == "100.10");
  CHECK(c.level(BookSide::kBid, 0).size == "0.10");
  // An update sending the same price as "100.1" replaces the level's texts.
  const std::int32_t after = sum_of({{"100.1", "0.20"}}, {{"100.2", "1"}});
  m = parsed(books("update", "", R"(["100.1","0.20","0","1"])", after, 10, 11),
             MarketMessageKind::kBook);
  CHECK(c.apply(m.book).status == BookCheckStatus::kVerified);
  CHECK(c.level_count(BookSide::kBid) == 1);
  CHECK(c.level(BookSide::kBid, 0).price == "100.1");
}

TEST_CASE("seqId chain: BookCore's spot rule is OKX's; no-change updates; gaps; resets") {
  const std::int32_t one = sum_of({{"99", "1"}}, {{"101", "2"}});
  const std::int32_t two = sum_of({{"99", "3"}}, {{"101", "2"}});
  BookChecker c;
  BookCore core(BookCoreConfig{kBtcUsdt, BookSequencing::kBinanceSpot});
  std::vector<BookSnapshot> snaps;
  std::vector<BookDelta> deltas;
  const auto feed = [&](const MarketMessage& m, const BookCheckResult& r) {
    BookApplyResult out;
    if (m.book.snapshot) {
      to_book_snapshots(m.book, r.sequence.seq_id, snaps);
      for (const auto& s : snaps) out = core.apply(s);
    } else {
      to_book_deltas(m.book, r.sequence, deltas);
      for (const auto& x : deltas) out = core.apply(x);
    }
    return out;
  };

  auto m = parsed(books("snapshot", R"(["101","2","0","1"])", R"(["99","1","0","1"])", one, -1, 1000),
                  MarketMessageKind::kBook);
  auto r = c.apply(m.book);
  REQUIRE(r.status == BookCheckStatus::kVerified);
  CHECK(feed(m, r).status == BookApplyStatus::kApplied);
  CHECK(core.last_update_id() == 1000u);

  // OKX's keep-alive: seqId == prevSeqId, no levels. Checked, no event, BookCore untouched.
  m = parsed(books("update", "", "", one, 1000, 1000), MarketMessageKind::kBook);
  r = c.apply(m.book);
  CHECK(r.status == BookCheckStatus::kHeartbeat);
  CHECK(r.compared);
  to_book_deltas(m.book, r.sequence, deltas);
  CHECK(deltas.empty());
  // ... and its checksum is still compared: a wrong one is a mismatch even with no change.
  BookChecker copy = c;
  m = parsed(books("update", "", "", one + 1, 1000, 1000), MarketMessageKind::kBook);
  CHECK(copy.apply(m.book).status == BookCheckStatus::kChecksumMismatch);

  // The next update names seqId 1000 as its predecessor; ids need not be consecutive.
  m = parsed(books("update", "", R"(["99","3","0","2"])", two, 1000, 1017), MarketMessageKind::kBook);
  r = c.apply(m.book);
  CHECK(r.status == BookCheckStatus::kVerified);
  CHECK(r.sequence.prev_seq_id == 1000u);
  CHECK(r.sequence.seq_id == 1017u);
  to_book_deltas(m.book, r.sequence, deltas);
  REQUIRE(deltas.size() == 1);
  CHECK(deltas[0].first_update_id == 1001u);
  CHECK(deltas[0].last_update_id == 1017u);
  CHECK(deltas[0].prev_update_id == 1000u);
  CHECK(feed(m, r).status == BookApplyStatus::kApplied);
  CHECK(core.best_bid()->quantity == d("3"));

  // A gap: prevSeqId 1020 after 1017. Not applied (the levels stay), refused until a snapshot;
  // BookCore, given the same ids, sees the same gap.
  const auto gap = parsed(books("update", "", R"(["99","5","0","2"])", two, 1020, 1030),
                          MarketMessageKind::kBook);
  BookChecker before_gap = c;
  r = c.apply(gap.book);
  CHECK(r.status == BookCheckStatus::kSequenceGap);
  CHECK(r.gap_expected == 1017u);
  CHECK(r.gap_got == 1020u);
  CHECK(c.level(BookSide::kBid, 0).size == "3");
  CHECK_FALSE(c.live());
  to_book_deltas(gap.book, BookSequence{1030, 1020}, deltas);
  const auto core_gap = core.apply(deltas[0]);
  CHECK(core_gap.status == BookApplyStatus::kResyncNeeded);
  CHECK(core_gap.issue == BookIssue::kSequenceGap);
  m = parsed(books("update", "", "", two, 1017, 1018), MarketMessageKind::kBook);
  CHECK(c.apply(m.book).status == BookCheckStatus::kNoSnapshot);

  // A reset (the venue's maintenance): seqId below prevSeqId. Not applied: resubscribe.
  m = parsed(books("update", "", R"(["99","4","0","2"])", two, 1017, 5), MarketMessageKind::kBook);
  r = before_gap.apply(m.book);
  CHECK(r.status == BookCheckStatus::kSequenceReset);
  CHECK(before_gap.level(BookSide::kBid, 0).size == "3");

  // An update without seqId after a snapshot with one.
  BookChecker mixed;
  m = parsed(books("snapshot", R"(["101","2","0","1"])", R"(["99","1","0","1"])", one, -1, 7),
             MarketMessageKind::kBook);
  REQUIRE(mixed.apply(m.book).ok());
  m = parsed(R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","checksum":0}]})",
             MarketMessageKind::kBook);
  CHECK(mixed.apply(m.book).status == BookCheckStatus::kSequenceMixed);
}

TEST_CASE("swap sizes: contracts times the contract value, exactly; the checksum over contracts") {
  const std::string text =
      R"({"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"snapshot","data":[{)"
      R"("asks":[["30000.1","12","0","3"]],"bids":[["29999.9","0.5","0","1"]],"ts":"1",)"
      R"("checksum":)" + std::to_string(sum_of({{"29999.9", "0.5"}}, {{"30000.1", "12"}})) +
      R"(,"prevSeqId":-1,"seqId":5}]})";
  const auto m = parsed(text, MarketMessageKind::kBook);
  CHECK(m.book.instrument == InstrumentRef{kBtcSwap, d("0.01")});
  CHECK(m.book.asks[0].quantity == d("0.12"));
  CHECK(m.book.asks[0].size_text.view() == "12");
  CHECK(m.book.bids[0].quantity == d("0.005"));
  BookChecker c;
  CHECK(c.apply(m.book).status == BookCheckStatus::kVerified);
  std::vector<BookSnapshot> snaps;
  to_book_snapshots(m.book, 5, snaps);
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0].instrument == kBtcSwap);
  CHECK(snaps[0].last_update_id == 5u);
  REQUIRE(snaps[0].levels.size() == 2);
  CHECK(snaps[0].levels.begin()[0] == BookLevel{BookSide::kBid, d("29999.9"), d("0.005")});
  CHECK(snaps[0].levels.begin()[1] == BookLevel{BookSide::kAsk, d("30000.1"), d("0.12")});

  // A product finer than 1e-9 is refused, not rounded.
  const InstrumentFinder tiny = [](std::string_view) -> std::optional<InstrumentRef> {
    return InstrumentRef{kBtcSwap, d("0.000000001")};
  };
  CHECK(error_of(text, tiny) ==
        "books.data[0].bids[0][1]: 0.5 contracts x ctVal 0.000000001: " +
            std::string(to_string(DecimalError::kInexact)));
}

TEST_CASE("level numbers: every form Decimal reads, the same value (fast path or not)") {
  for (const char* text : {"0", "7", "30243.4", "0.00087743", "0.00000001", "0.000000001", "9999999999.99999999", "9999999999.999999999",
                           "10000000000", "92233720368.54775807", "1.500000000", "007.50", "1e3",
                           "2.5E-2", ".5", "5."}) {
    CAPTURE(text);
    const std::string json = books("snapshot", "", std::string(R"([")") + text + R"(","1","0","1"])",
                                   0, -1, 1);
    const auto m = parsed(json, MarketMessageKind::kBook);
    REQUIRE(m.book.bids.size() == 1);
    CHECK(m.book.bids[0].price == *Decimal::parse(text));
    CHECK(m.book.bids[0].price_text.view() == text);
  }
  CHECK(error_of(books("snapshot", "", R"(["0.0000000001","1","0","1"])", 0, -1, 1)) ==
        "books.data[0].bids[0][0]: " + std::string(to_string(DecimalError::kTooPrecise)) +
            " '0.0000000001'");
  CHECK(error_of(books("snapshot", "", R"(["-","1","0","1"])", 0, -1, 1)) ==
        "books.data[0].bids[0][0]: " + std::string(to_string(DecimalError::kSyntax)) + " '-'");
}

// ---- bbo-tbt, books5 ----------------------------------------------------------------------------
TEST_CASE("bbo-tbt (nautilus ws_bbo_tbt): the best bid and offer with seqId as update id") {
  const auto m = parsed(fixture("ws_bbo_tbt.json"), MarketMessageKind::kBbo);
  CHECK(m.book.channel == BookChannel::kBboTbt);
  CHECK(m.book.snapshot);
  CHECK_FALSE(m.book.checksum.has_value());
  CHECK(m.book.seq_id == 123456);
  CHECK_FALSE(m.book.prev_seq_id.has_value());
  CHECK(m.book.ts == 1597026383085u);
  const auto bbo = to_best_bid_offer(m.book);
  REQUIRE(bbo.has_value());
  CHECK(*bbo == BestBidOffer{kBtcUsdt, 123456, d("8476.97"), d("256"), d("8476.98"), d("415")});
}

TEST_CASE("books5: no action, each push a snapshot of the top") {
  const auto m = parsed(
      R"({"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[["8476.98","415","0","13"]],)"
      R"("bids":[["8476.97","256","0","12"]],"instId":"BTC-USDT","ts":"1597026383085","seqId":123456}]})",
      MarketMessageKind::kBook);
  CHECK(m.book.channel == BookChannel::kBooks5);
  CHECK(m.book.snapshot);
  CHECK(m.book.seq_id == 123456);
  CHECK(m.book.asks[0].orders == 13u);
}

// ---- trades, tickers ------------------------------------------------------------------------------
TEST_CASE("trades (nautilus ws_trades): the taker side, exact values") {
  const InstrumentFinder btc_usd = [](std::string_view i) -> std::optional<InstrumentRef> {
    if (i == "BTC-USD") return InstrumentRef{InstrumentId{3}};
    return std::nullopt;
  };
  const auto m = parsed(fixture("ws_trades.json"), MarketMessageKind::kTrades, btc_usd);
  REQUIRE(m.trades.size() == 1);
  const auto& t = m.trades[0];
  CHECK(t.inst_id.view() == "BTC-USD");
  CHECK(t.trade_id.view() == "130639474");
  CHECK(t.price == d("42219.9"));
  CHECK(t.quantity == d("0.12060306"));
  CHECK(t.taker_side == Side::kBuy);
  CHECK(t.ts == 1630048897897u);
  CHECK(t.count == 3u);
  CHECK_FALSE(t.seq_id.has_value());
  CHECK(to_trade_printed(t) ==
        TradePrinted{InstrumentId{3}, "130639474", d("42219.9"), d("0.12060306"), Side::kBuy});
}

TEST_CASE("trades from the capture and on a swap: sell side, contracts converted") {
  auto m = parsed(captured(R"("channel":"trades","instId":"UNI-USD-SWAP"},"data")"),
                  MarketMessageKind::kTrades, kAny);
  REQUIRE(m.trades.size() == 1);
  CHECK(m.trades[0].trade_id.view() == "12883020");
  CHECK(m.trades[0].price == d("5.123"));
  CHECK(m.trades[0].quantity == d("100"));  // contracts: the lookup gave 1
  CHECK(m.trades[0].taker_side == Side::kSell);
  CHECK(m.trades[0].ts == 1652459215150u);
  CHECK_FALSE(m.trades[0].count.has_value());

  m = parsed(R"({"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[)"
             R"({"instId":"BTC-USDT-SWAP","tradeId":"1","px":"30000","sz":"3","side":"sell","ts":"2","count":"1","seqId":99},)"
             R"({"instId":"BTC-USDT-SWAP","tradeId":"2","px":"30000.5","sz":"250","side":"buy","ts":"3","count":"2","seqId":100}]})",
             MarketMessageKind::kTrades);
  REQUIRE(m.trades.size() == 2);
  CHECK(m.trades[0].quantity == d("0.03"));
  CHECK(m.trades[0].seq_id == 99u);
  CHECK(m.trades[1].quantity == d("2.5"));
  CHECK(to_trade_printed(m.trades[1]).aggressor == Side::kBuy);
}

TEST_CASE("tickers (nautilus ws_tickers): every field, the best bid and offer") {
  const auto m = parsed(fixture("ws_tickers.json"), MarketMessageKind::kTicker);
  const auto& t = m.ticker;
  CHECK(t.inst_id.view() == "BTC-USDT");
  CHECK(t.inst_type.view() == "SPOT");
  CHECK(t.ts == 1597026383085u);
  CHECK(t.last == d("9999.99"));
  CHECK(t.last_size == d("0.1"));
  CHECK(t.ask_price == d("9999.99"));
  CHECK(t.ask_size == d("11"));
  CHECK(t.bid_price == d("8888.88"));
  CHECK(t.bid_size == d("5"));
  CHECK(t.open_24h == d("9000"));
  CHECK(t.high_24h == d("10000"));
  CHECK(t.low_24h == d("8888.88"));
  CHECK(t.vol_ccy_24h == d("2222"));
  CHECK(t.vol_24h == d("2222"));
  CHECK(t.sod_utc0 == d("2222"));
  CHECK(t.sod_utc8 == d("2222"));
  CHECK(to_best_bid_offer(t) ==
        BestBidOffer{kBtcUsdt, 1597026383085u, d("8888.88"), d("5"), d("9999.99"), d("11")});
  // An empty side ("") has no value: no best bid and offer.
  const auto empty = parsed(with(fixture("ws_tickers.json"), R"("bidPx": "8888.88")", R"("bidPx": "")"),
                            MarketMessageKind::kTicker);
  CHECK_FALSE(empty.ticker.bid_price.has_value());
  CHECK_FALSE(to_best_bid_offer(empty.ticker).has_value());
}

// ---- events, pong, other --------------------------------------------------------------------------
TEST_CASE("events: subscribe, error with code and msg, login, notice; pong; other channels") {
  auto m = parsed(captured(R"({"event":"subscribe","arg":{"channel":"books","instId":"UNI-USD-SWAP"}})"),
                  MarketMessageKind::kEvent);
  CHECK(m.event.event.view() == "subscribe");
  CHECK(m.event.channel.view() == "books");
  CHECK(m.event.inst_id.view() == "UNI-USD-SWAP");
  CHECK_FALSE(m.event.is_error());

  m = parsed(R"({"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"})",
             MarketMessageKind::kEvent);
  CHECK(m.event.is_error());
  CHECK(m.event.code == 60012);
  CHECK(m.event.msg == R"(Invalid request: {"op": "subscribe"})");
  CHECK(m.event.conn_id.view() == "a4d3ae55");

  m = parsed(R"({"event":"login","code":"0","msg":"","connId":"a4d3ae55"})", MarketMessageKind::kEvent);
  CHECK(m.event.code == 0);
  CHECK_FALSE(m.event.is_error());
  m = parsed(R"({"event":"unsubscribe","arg":{"channel":"tickers","instId":"BTC-USDT"},"connId":"x"})",
             MarketMessageKind::kEvent);
  CHECK(m.event.event.view() == "unsubscribe");
  m = parsed(R"({"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade.","connId":"x"})",
             MarketMessageKind::kEvent);
  CHECK(m.event.is_error());  // a non-zero code: the caller reconnects
  CHECK(m.event.code == 64008);

  m = parsed("pong", MarketMessageKind::kPong);
  m = parsed(R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1597026383085","8533","8553.74","8527.17","8548.26","45247","529.5858061","529.58","0"]]})",
             MarketMessageKind::kOther);
  CHECK(m.channel.view() == "candle1m");
}

// ---- errors ---------------------------------------------------------------------------------------
TEST_CASE("malformed input: the error names the field; the checker is not touched") {
  const std::string snap = books("snapshot", R"(["101","2","0","1"],["102","3","0","1"])",
                                 R"(["99","1","0","1"])", 0, -1, 1);
  CHECK(error_of(with(snap, R"(["102","3")", R"(["1x2","3")")) ==
        "books.data[0].asks[1][0]: not a decimal number '1x2'");
  CHECK(error_of(with(snap, R"(["102","3")", R"(["102",3)")) ==
        "books.data[0].asks[1][1]: expected a string");
  CHECK(error_of(with(snap, R"(["102","3","0","1"])", R"(["102","3","0"])")) ==
        "books.data[0].asks[1]: expected [px, sz, \"0\", numOrders]");
  CHECK(error_of(with(snap, R"("0","1"],["102")", R"("0","x"],["102")")) ==
        "books.data[0].asks[0][3]: expected an unsigned integer, got 'x'");
  CHECK(error_of(with(snap, R"("ts":"1700000000000",)", "")) == "books.data[0].ts: missing");
  CHECK(error_of(with(snap, R"("checksum":0)", R"("checksum":"0")")) ==
        "books.data[0].checksum: expected an integer");
  CHECK(error_of(with(snap, R"("checksum":0)", R"("checksum":4294967295)")) ==
        "books.data[0].checksum: not a signed 32-bit integer: 4294967295");
  CHECK(error_of(with(snap, R"("seqId":1)", R"("seqId":"1")")) ==
        "books.data[0].seqId: expected an integer");
  CHECK(error_of(with(snap, R"("action":"snapshot")", R"("action":"partial")")) ==
        "books.action: expected snapshot or update, got 'partial'");
  CHECK(error_of(with(snap, R"("action":"snapshot",)", "")) == "books.action: missing");
  CHECK(error_of(with(snap, R"("instId":"BTC-USDT")", R"("instId":"DOGE-USDT")")) ==
        "books.arg.instId: unknown instrument 'DOGE-USDT'");
  CHECK(error_of(with(snap, R"(["101","2")", R"(["101","0.12345678901234567890123")")) ==
        "books.data[0].asks[0][1]: longer than 23 characters");
  CHECK(error_of(R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"ETH-USDT","tradeId":"1","px":"1","sz":"1","side":"buy","ts":"1"}]})") ==
        "trades.data[0].instId: 'ETH-USDT' is not the arg's instId 'BTC-USDT'");
  CHECK(error_of(R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"short","ts":"1"}]})") ==
        "trades.data[0].side: expected buy or sell, got 'short'");
  CHECK(error_of(R"({"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","bidPx":"x","ts":"1"}]})") ==
        "tickers.data[0].bidPx: not a decimal number 'x'");
  CHECK(error_of(R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1"},{"asks":[],"bids":[],"ts":"1"}]})") ==
        "books.data: expected one item, got more");
  CHECK(error_of(R"({"data":[]})") == "market data.arg: missing (neither a push nor an event)");
  CHECK(error_of("ping") == "market data: expected a JSON object or \"pong\"");
  CHECK(error_of(R"({"arg":{"channel":"books")").starts_with("market data: malformed JSON ("));
  CHECK(error_of("[1]") == "market data: expected a JSON object or \"pong\"");

  // A message that fails to parse never reaches the checker: its book stays as it was.
  const std::int32_t one = sum_of({{"99", "1"}}, {{"101", "2"}});
  BookChecker c;
  JsonParser p;
  MarketMessage m;
  REQUIRE(parse_market_data(p, books("snapshot", R"(["101","2","0","1"])", R"(["99","1","0","1"])", one, -1, 1), kFind, m).ok());
  REQUIRE(c.apply(m.book).ok());
  const auto bad = parse_market_data(
      p, books("update", R"(["101","0","0","0"],["1o2","3","0","1"])", "", one, 1, 2), kFind, m);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "books.data[0].asks[1][0]: not a decimal number '1o2'");
  CHECK(c.checksum() == one);
  CHECK(c.level(BookSide::kAsk, 0).price == "101");
  CHECK(c.live());
}

// ---- the books fast path ------------------------------------------------------------------------
namespace {
bool same_book(const MarketMessage& a, const MarketMessage& b) {
  const auto& x = a.book;
  const auto& y = b.book;
  return a.kind == b.kind && a.channel.view() == b.channel.view() &&
         a.event.channel.view() == b.event.channel.view() &&
         a.event.inst_id.view() == b.event.inst_id.view() && a.event.event.view() == b.event.event.view() &&
         x.channel == y.channel && x.inst_id.view() == y.inst_id.view() && x.instrument == y.instrument &&
         x.snapshot == y.snapshot && x.ts == y.ts && x.checksum == y.checksum && x.seq_id == y.seq_id &&
         x.prev_seq_id == y.prev_seq_id && x.bids == y.bids && x.asks == y.asks && a.trades.empty() &&
         b.trades.empty();
}
// The scan and the general reader on one text: a taken scan agrees. Whether it was taken.
bool scan_agrees(JsonParser& p, const std::string& text, const InstrumentFinder& find) {
  MarketMessage fast, general;
  const bool taken = detail::scan_book(text, find, fast);
  const auto r = detail::read_market_data(p, text, find, general);
  if (taken) {
    INFO(text);
    REQUIRE(r.ok());
    REQUIRE(*r == MarketMessageKind::kBook);
    REQUIRE(same_book(fast, general));
  }
  return taken;
}
}  // namespace

TEST_CASE("books scan: takes every recorded books push and agrees with the general reader; mutations never disagree") {
  JsonParser p;
  std::size_t books_pushes = 0, taken = 0;
  std::vector<std::string> samples;
  for (const auto& payload : capture()) {
    MarketMessage general;
    const auto r = detail::read_market_data(p, payload, kAny, general);
    REQUIRE_MESSAGE(r.ok(), payload.substr(0, 200));
    const bool is_books = *r == MarketMessageKind::kBook && general.book.channel == BookChannel::kBooks;
    books_pushes += is_books ? 1 : 0;
    if (scan_agrees(p, payload, kAny)) ++taken;
    if (is_books && payload.size() < 4000) samples.push_back(payload);
  }
  MESSAGE("books pushes in the capture: ", books_pushes, ", taken by the scan: ", taken);
  CHECK(books_pushes > 100);
  CHECK(taken == books_pushes);
  // The current protocol (seqId / prevSeqId) and a swap (sizes x ctVal 0.01), as built here.
  const std::string spot = books("update", R"(["30243.5","1.2112","0","6"],["30244","0","0","0"])",
                                 R"(["30243.4","0.5","0","2"])", -652563973, 41, 42);
  samples.push_back(spot);
  samples.push_back(with(spot, "BTC-USDT", "BTC-USDT-SWAP"));
  REQUIRE(scan_agrees(p, spot, kFind));
  REQUIRE(scan_agrees(p, samples.back(), kFind));
  {
    MarketMessage m;
    REQUIRE(detail::scan_book(samples.back(), kFind, m));
    CHECK(m.book.asks.front().quantity == d("0.012112"));  // 1.2112 contracts of 0.01 BTC
    CHECK(m.book.asks.front().size_text == "1.2112");
    CHECK(m.book.seq_id == 42);
    CHECK(m.book.prev_seq_id == 41);
  }
  REQUIRE(samples.size() > 50);
  std::mt19937_64 rng(23);
  std::size_t tried = 0, mutated_taken = 0;
  for (std::size_t i = 0; i < samples.size(); i += 1 + samples.size() / 120) {
    for (int m = 0; m < 250; ++m) {
      const std::string s = testkit::mutate(samples[i], rng);
      ++tried;
      if (scan_agrees(p, s, kFind)) ++mutated_taken;
    }
  }
  MESSAGE("mutations ", tried, " taken by the scan ", mutated_taken);
  CHECK(mutated_taken > 0);
  CHECK(mutated_taken < tried);
}

TEST_CASE("books scan: what it does not take, the general reader reads or names") {
  JsonParser p;
  const std::string base = books("snapshot", R"(["30243.5","1.2","0","6"])", R"(["30243.4","0.5","0","2"])", 7, -1, 5);
  MarketMessage m;
  REQUIRE(detail::scan_book(base, kFind, m));
  CHECK(m.book.snapshot);
  CHECK(m.book.prev_seq_id == -1);
  for (const std::string& text : {
           with(base, R"({"arg")", R"({ "arg")"),                      // whitespace
           with(base, R"("ts":"1700000000000")", R"("ts":1700000000000)"),  // ts as a number
           with(base, R"("checksum":7)", R"("checksum":7,"x":1)"),       // an unknown key
           with(base, R"("data")", R"("extra":0,"data")"),               // an unknown top key
       }) {
    INFO(text);
    CHECK_FALSE(detail::scan_book(text, kFind, m));
    const auto r = parse_market_data(p, text, kFind, m);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(*r == MarketMessageKind::kBook);
    CHECK(m.book.asks.front().price == d("30243.5"));
  }
  CHECK_FALSE(detail::scan_book(with(base, "BTC-USDT", "DOGE-USDT"), kFind, m));
  CHECK(error_of(with(base, "BTC-USDT", "DOGE-USDT")) == "books.arg.instId: unknown instrument 'DOGE-USDT'");
  CHECK(error_of(with(base, R"("1.2")", R"("1.2x")")).find("asks[0][1]") != std::string::npos);
  CHECK_FALSE(detail::scan_book(with(base, R"("30243.5")", "30243.5"), kFind, m));
  CHECK(error_of(with(base, R"("30243.5")", "30243.5")) == "books.data[0].asks[0][0]: expected a string");
}
