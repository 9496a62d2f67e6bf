// The depthUpdate fast path (depth_scan.hpp): a strict scanner over the one shape Binance sends,
// e.g. {"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,
// "b":[["61737.63000000","0.00000000"]],"a":[...]} (futures add "T" and "pu", COIN-M "ps"), bare or as
// {"stream":"btcusdt@depth@100ms","data":{...}}. Where the time of the general reader went: about
// half in simdjson's document set-up and walk (the depth_parse_raw baseline), the rest in eight
// Decimal parses; this scan walks the bytes once and parses the decimals in 64 bits.
#include <cstdint>

#include "../json_scan.hpp"
#include "depth_scan.hpp"

namespace oms::binance::detail {
namespace {

using venue::Scanner;

// [["price","qty"], ...]
bool levels(Scanner& sc, std::vector<PriceQty>& out) {
  if (!sc.lit('[')) return false;
  if (sc.lit(']')) return true;
  do {
    PriceQty level;
    if (!sc.lit('[') || !sc.decimal(level.price) || !sc.lit(',') || !sc.decimal(level.quantity) ||
        !sc.lit(']'))
      return false;
    out.push_back(level);
  } while (sc.lit(','));
  return sc.lit(']');
}

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
      case kBids: ok = levels(sc, d.bids); break;
      case kAsks: ok = levels(sc, d.asks); break;
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
