// The books fast path (book_scan.hpp). Where the time of the general reader went: simdjson's
// document and walk (okx_depth_parse_raw), a std::string_view per value, two decimals per level;
// this scan reads each level's texts and values in place.
#include "book_scan.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include "../json_scan.hpp"

namespace oms::okx::detail {
namespace {

using venue::Scanner;

// A string of digits as OKX sends counts and times ("13", "1652459225453"): read as the general
// reader reads it (std::from_chars over the whole text).
template <class T>
bool digits_text(Scanner& sc, T& out) {
  std::string_view s;
  if (!sc.str(s) || s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// A level's price or size: the text as sent, its value exact.
bool level_text(Scanner& sc, LevelText& text, Decimal& value) {
  std::string_view s;
  if (!sc.str(s) || !text.assign(s)) return false;
  if (Int128 m = 0; digits::parse_plain_decimal(s, m)) {
    value = Decimal::from_raw(m);
    return true;
  }
  const auto d = Decimal::parse(s);
  if (!d) return false;
  value = *d;
  return true;
}

// [[px, sz, "0", numOrders], ...]
bool levels(Scanner& sc, Decimal contract_value, std::vector<OrderBookLevel>& out) {
  if (!sc.lit('[')) return false;
  if (sc.lit(']')) return true;
  const bool whole = contract_value.raw() == Decimal::kOne;
  do {
    OrderBookLevel& level = out.emplace_back();
    Decimal contracts;
    std::string_view liquidated;  // the deprecated third element: read, not kept
    if (!sc.lit('[') || !level_text(sc, level.price_text, level.price) || !sc.lit(',') ||
        !level_text(sc, level.size_text, contracts) || !sc.lit(',') || !sc.str(liquidated) ||
        !sc.lit(',') || !digits_text(sc, level.orders) || !sc.lit(']'))
      return false;
    if (whole) {
      level.quantity = contracts;
    } else {
      const auto q = contracts.mul(contract_value, Rounding::kExact);
      if (!q) return false;
      level.quantity = *q;
    }
  } while (sc.lit(','));
  return sc.lit(']');
}

enum : std::uint32_t {
  kAsks = 1u << 0, kBids = 1u << 1, kTs = 1u << 2, kChecksum = 1u << 3, kSeq = 1u << 4,
  kPrevSeq = 1u << 5,
};

std::uint32_t item_bit(std::string_view k) {
  if (k == "asks") return kAsks;
  if (k == "bids") return kBids;
  if (k == "ts") return kTs;
  if (k == "checksum") return kChecksum;
  if (k == "seqId") return kSeq;
  if (k == "prevSeqId") return kPrevSeq;
  return 0;
}

// The one data item.
bool item(Scanner& sc, OrderBookUpdate& b) {
  if (!sc.lit('{')) return false;
  std::uint32_t seen = 0;
  do {
    std::string_view k;
    if (!sc.key(k)) return false;
    const std::uint32_t bit = item_bit(k);
    if (bit == 0 || (seen & bit) != 0) return false;
    seen |= bit;
    bool ok = false;
    switch (bit) {
      case kAsks: ok = levels(sc, b.instrument.contract_value, b.asks); break;
      case kBids: ok = levels(sc, b.instrument.contract_value, b.bids); break;
      case kTs: ok = digits_text(sc, b.ts); break;
      case kChecksum: {
        std::int64_t c = 0;
        ok = sc.i64(c) && c >= std::numeric_limits<std::int32_t>::min() &&
             c <= std::numeric_limits<std::int32_t>::max();
        if (ok) b.checksum = static_cast<std::int32_t>(c);
        break;
      }
      case kSeq:
      case kPrevSeq: {
        std::int64_t n = 0;
        ok = sc.i64(n);
        if (ok) (bit == kSeq ? b.seq_id : b.prev_seq_id) = n;
        break;
      }
      default: break;
    }
    if (!ok) return false;
  } while (sc.lit(','));
  constexpr std::uint32_t kRequired = kAsks | kBids | kTs;
  return sc.lit('}') && (seen & kRequired) == kRequired;
}

// {"channel":"books","instId":"BTC-USDT"}: a book channel with an action, and its instrument.
bool arg(Scanner& sc, const InstrumentFinder& find, MarketMessage& out) {
  if (!sc.lit('{')) return false;
  std::string_view channel, inst_id;
  bool has_channel = false, has_inst = false;
  do {
    std::string_view k;
    if (!sc.key(k)) return false;
    if (k == "channel" && !has_channel) {
      has_channel = sc.str(channel);
      if (!has_channel) return false;
    } else if (k == "instId" && !has_inst) {
      has_inst = sc.str(inst_id);
      if (!has_inst) return false;
    } else {
      return false;
    }
  } while (sc.lit(','));
  if (!sc.lit('}') || !has_channel || !has_inst || inst_id.empty()) return false;
  OrderBookUpdate& b = out.book;
  if (channel == "books") b.channel = BookChannel::kBooks;
  else if (channel == "books-l2-tbt") b.channel = BookChannel::kBooksL2Tbt;
  else if (channel == "books50-l2-tbt") b.channel = BookChannel::kBooks50L2Tbt;
  else return false;  // books5, bbo-tbt (no action), trades, ...: the general reader's
  if (!out.channel.assign(channel) || !b.inst_id.assign(inst_id)) return false;
  const auto ref = find ? find(inst_id) : std::nullopt;
  if (!ref || !ref->contract_value.is_positive()) return false;
  b.instrument = *ref;
  out.event.channel = out.channel;
  out.event.inst_id = b.inst_id;
  return true;
}

}  // namespace

bool scan_book(std::string_view text, const InstrumentFinder& find, MarketMessage& out) {
  if (!text.starts_with(R"({"arg":{)")) return false;
  reset_message(out);
  Scanner sc(text);
  (void)sc.lit(R"({"arg":)");
  if (!arg(sc, find, out)) return false;
  bool has_action = false, has_data = false;
  while (sc.lit(',')) {
    std::string_view k;
    if (!sc.key(k)) return false;
    if (k == "action" && !has_action) {
      std::string_view action;
      if (!sc.str(action) || (action != "snapshot" && action != "update")) return false;
      out.book.snapshot = action == "snapshot";
      has_action = true;
    } else if (k == "data" && !has_data) {
      if (!sc.lit('[') || !item(sc, out.book) || !sc.lit(']')) return false;
      has_data = true;
    } else {
      return false;
    }
  }
  if (!sc.lit('}') || !sc.at_end() || !has_action || !has_data) return false;
  out.kind = MarketMessageKind::kBook;
  return true;
}

}  // namespace oms::okx::detail
