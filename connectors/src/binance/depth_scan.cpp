// The depthUpdate fast path (depth_scan.hpp): a strict scanner over the one shape Binance sends,
// e.g. {"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,
// "b":[["61737.63000000","0.00000000"]],"a":[...]} (futures add "T" and "pu", COIN-M "ps"), bare or as
// {"stream":"btcusdt@depth@100ms","data":{...}}. Where the time of the general reader went: about
// half in simdjson's document set-up and walk (the depth_parse_raw baseline), the rest in eight
// Decimal parses; this scan walks the bytes once and parses the decimals in 64 bits.
#include <cstdint>
#include <cstring>

#include "depth_scan.hpp"
#include "oms/messages/digits.hpp"

namespace oms::binance::detail {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  [[nodiscard]] bool at_end() const { return p_ == end_; }

  bool lit(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool lit(std::string_view text) {
    if (static_cast<std::size_t>(end_ - p_) < text.size() ||
        std::memcmp(p_, text.data(), text.size()) != 0)
      return false;
    p_ += text.size();
    return true;
  }

  // A string of printable ASCII without escapes (anything else: the general reader's, which
  // unescapes and validates UTF-8).
  bool str(std::string_view& out) {
    if (!lit('"')) return false;
    const char* begin = p_;
    while (end_ - p_ >= 8) {  // eight bytes at a time to the first that is not plain
      const unsigned k = digits::first_special(digits::load8(p_));
      p_ += k;
      if (k < 8) break;
    }
    for (; p_ != end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
    }
    return false;
  }

  // An object key and its colon; a one-letter key ("E":) read at once.
  bool key(std::string_view& out) {
    if (end_ - p_ >= 4 && p_[0] == '"' && p_[2] == '"' && p_[3] == ':') {
      out = std::string_view(p_ + 1, 1);  // an escape or control byte here is no key we know
      p_ += 4;
      return true;
    }
    return str(out) && lit(':');
  }

  // An unsigned integer as JSON writes one: no sign, no leading zero, no fraction or exponent,
  // at most 2^64 - 1.
  bool u64(std::uint64_t& out) {
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
      out = 0;
      return p_ == end_ || !is_number_char(*p_);
    }
    std::uint64_t v = 0;
    int count = 0;
    while (end_ - p_ >= 8 && count <= 11) {  // eight digits at a time while 19 surely fit
      const std::uint64_t word = digits::load8(p_);
      if (!digits::all_digits(word)) break;
      v = v * 100'000'000ULL + digits::eight_digits(word);
      count += 8;
      p_ += 8;
    }
    for (; p_ != end_ && *p_ >= '0' && *p_ <= '9'; ++p_, ++count) {
      const auto digit = static_cast<std::uint64_t>(*p_ - '0');
      if (count < 19) {  // 19 digits always fit
        v = v * 10 + digit;
      } else if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, digit, &v)) {
        return false;
      }
    }
    out = v;
    return p_ == end_ || !is_number_char(*p_);
  }

  // A decimal string: read in place up to its closing quote in the usual case; otherwise the
  // text up to the next quote, which Decimal::parse then takes whole or refuses (an escape, a
  // control byte or anything else in it is not decimal syntax).
  bool decimal(Decimal& out) {
    if (!lit('"')) return false;
    const char* begin = p_;
    Int128 m = 0;
    if (const char* stop = digits::scan_plain_decimal(p_, end_, m); stop != nullptr && stop != end_ && *stop == '"') {
      out = Decimal::from_raw(m);
      p_ = stop + 1;
      return true;
    }
    while (end_ - p_ >= 8) {
      const unsigned k = digits::first_byte(digits::load8(p_), '"');
      p_ += k;
      if (k < 8) break;
    }
    while (p_ != end_ && *p_ != '"') ++p_;
    if (p_ == end_) return false;
    const auto d = Decimal::parse(std::string_view(begin, static_cast<std::size_t>(p_ - begin)));
    ++p_;
    if (!d) return false;
    out = *d;
    return true;
  }

  // [["price","qty"], ...]
  bool levels(std::vector<PriceQty>& out) {
    if (!lit('[')) return false;
    if (lit(']')) return true;
    do {
      PriceQty level;
      if (!lit('[') || !decimal(level.price) || !lit(',') || !decimal(level.quantity) || !lit(']'))
        return false;
      out.push_back(level);
    } while (lit(','));
    return lit(']');
  }

 private:
  static bool is_number_char(char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
  }

  const char* p_;
  const char* end_;
};

enum : std::uint32_t {
  kEvent = 1u << 0, kEventTime = 1u << 1, kTxTime = 1u << 2, kSymbol = 1u << 3,
  kFirstId = 1u << 4, kLastId = 1u << 5, kPrevId = 1u << 6, kBids = 1u << 7, kAsks = 1u << 8,
  kPair = 1u << 9,  // COIN-M's "ps" (the pair): read as a string, not kept (as the general reader)
};
constexpr std::uint32_t kRequired = kEvent | kEventTime | kSymbol | kFirstId | kLastId | kBids | kAsks;

std::uint32_t bit_of(std::string_view k) {
  if (k == "pu") return kPrevId;
  if (k == "ps") return kPair;
  if (k.size() != 1) return 0;
  switch (k[0]) {
    case 'e': return kEvent;
    case 'E': return kEventTime;
    case 'T': return kTxTime;
    case 's': return kSymbol;
    case 'U': return kFirstId;
    case 'u': return kLastId;
    case 'b': return kBids;
    case 'a': return kAsks;
    default: return 0;
  }
}

// The depthUpdate object itself.
bool depth_object(Scanner& sc, MarketMessage& out) {
  if (!sc.lit('{')) return false;
  DepthUpdate& d = out.depth;
  std::uint32_t seen = 0;
  do {
    std::string_view k;
    if (!sc.key(k)) return false;
    const std::uint32_t bit = bit_of(k);
    if (bit == 0 || (seen & bit) != 0) return false;  // unknown or repeated: the general reader's
    seen |= bit;
    bool ok = false;
    switch (bit) {
      case kEvent: {
        std::string_view e;
        ok = sc.str(e) && e == "depthUpdate" && out.event.assign(e);
        break;
      }
      case kEventTime: ok = sc.u64(d.event_time); break;
      case kTxTime: ok = sc.u64(d.transaction_time); break;
      case kSymbol: {
        std::string_view s;
        ok = sc.str(s) && d.symbol.assign(s);
        break;
      }
      case kFirstId: ok = sc.u64(d.first_update_id); break;
      case kLastId: ok = sc.u64(d.last_update_id); break;
      case kPrevId: ok = sc.u64(d.prev_update_id); break;
      case kBids: ok = sc.levels(d.bids); break;
      case kAsks: ok = sc.levels(d.asks); break;
      case kPair: {
        std::string_view pair;
        ok = sc.str(pair);
        break;
      }
      default: break;
    }
    if (!ok) return false;
  } while (sc.lit(','));
  if (!sc.lit('}') || (seen & kRequired) != kRequired) return false;
  d.has_prev_update_id = (seen & kPrevId) != 0;
  return true;
}

}  // namespace

bool scan_depth_update(std::string_view json, MarketMessage& out) {
  // Cheap refusals first: every other kind goes the general way without a partial scan.
  if (json.size() < 16 || json[0] != '{' || json[1] != '"') return false;
  reset_message(out);
  Scanner sc(json);
  if (sc.lit(R"({"stream":)")) {
    std::string_view stream;
    if (!sc.str(stream) || !out.stream.assign(stream) || !sc.lit(R"(,"data":)") ||
        !depth_object(sc, out) || !sc.lit('}'))
      return false;
  } else if (!depth_object(sc, out)) {
    return false;
  }
  if (!sc.at_end()) return false;
  out.kind = MarketMessageKind::kDepthUpdate;
  return true;
}

}  // namespace oms::binance::detail
