#include "oms/actors/input_record.hpp"

#include <array>
#include <cstring>

#include "oms/messages/codec.hpp"

namespace oms::actors {

namespace {

constexpr std::uint8_t kVersion = 4;  // 4: Decimals are 128-bit at 1e-9
constexpr std::size_t kFixed = 1 + 1 + 2 + 8 + 8 + 8 + 8 + 8 + 4 + 4 + 16 + 1;  // .. value, body kind
// A message body (kinds 1, 2) starts with its full size (u16); its trailing zero bytes -- the
// unused slots of a book chunk's levels, empty strings -- are not stored.
constexpr std::size_t kBodySize = 2;

template <class T>
void put(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);  // little endian (x86-64, aarch64)
  out.append(b, sizeof v);
}
template <class T>
T get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

constexpr std::uint64_t mix(std::uint64_t z) noexcept {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

}  // namespace

std::string_view to_string(InputStep step) noexcept {
  switch (step) {
    case InputStep::kCommand: return "command";
    case InputStep::kReport: return "report";
    case InputStep::kMarketData: return "market_data";
    case InputStep::kMark: return "mark";
    case InputStep::kRestart: return "restart";
    case InputStep::kReconcile: return "reconcile";
    case InputStep::kTimers: return "timers";
    case InputStep::kHousekeeping: return "housekeeping";
    case InputStep::kValuation: return "valuation";
    case InputStep::kStart: return "start";
    case InputStep::kCheckpoint: return "checkpoint";
    case InputStep::kVenueBan: return "venue_ban";
  }
  return "unknown";
}

bool encode_input(const InputRecord& r, std::string& out) {
  out.clear();
  put(out, kVersion);
  put(out, static_cast<std::uint8_t>(r.step));
  put(out, r.desk);
  put(out, r.run);
  put(out, r.seq);
  put(out, r.global_seq);
  put(out, r.now);
  put(out, r.received_ns);
  put(out, static_cast<std::uint32_t>(r.account.value));
  put(out, static_cast<std::uint32_t>(r.instrument.value));
  put(out, r.value.raw());
  put(out, static_cast<std::uint8_t>(r.body.index()));
  if (const auto* text = std::get_if<std::string>(&r.body)) {
    out += *text;
    return true;
  }
  std::array<std::byte, kMaxBinarySize> body;
  std::size_t n = 0;
  if (const auto* c = std::get_if<Command>(&r.body)) {
    auto e = encode_binary(*c, body);
    if (!e) return false;
    n = *e;
  } else if (const auto* ev = std::get_if<Event>(&r.body)) {
    auto e = encode_binary(*ev, body);
    if (!e) return false;
    n = *e;
  } else {
    return true;
  }
  put(out, static_cast<std::uint16_t>(n));
  std::size_t kept = n;
  while (kept > 0 && body[kept - 1] == std::byte{0}) --kept;
  out.append(reinterpret_cast<const char*>(body.data()), kept);
  return true;
}

std::optional<std::string> decode_input_into(std::string_view payload, InputRecord& r) {
  if (payload.size() < kFixed) {
    return "input record of " + std::to_string(payload.size()) + " bytes (at least " +
           std::to_string(kFixed) + ")";
  }
  const char* p = payload.data();
  const auto version = get<std::uint8_t>(p);
  if (version != kVersion) {
    return "input record version " + std::to_string(version) + " (this build reads " +
           std::to_string(kVersion) + ")";
  }
  const auto step = get<std::uint8_t>(p);
  if (step < 1 || step > static_cast<std::uint8_t>(InputStep::kVenueBan)) {
    return "input record: unknown step " + std::to_string(step);
  }
  r.step = static_cast<InputStep>(step);
  r.desk = get<std::uint16_t>(p);
  r.run = get<std::uint64_t>(p);
  r.seq = get<std::uint64_t>(p);
  r.global_seq = get<std::uint64_t>(p);
  r.now = get<TimeNs>(p);
  r.received_ns = get<TimeNs>(p);
  r.account = AccountId(static_cast<AccountId::rep_type>(get<std::uint32_t>(p)));
  r.instrument = InstrumentId(get<std::uint32_t>(p));
  r.value = Decimal::from_raw(get<Int128>(p));
  const auto kind = get<std::uint8_t>(p);
  const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(p),
                                        payload.size() - kFixed);
  switch (kind) {
    case 0:
      if (!body.empty()) return std::string("input record: bytes after a record without a body");
      r.body = std::monostate{};
      break;
    case 1:
    case 2: {
      // The message at its full size again, the trimmed zeros put back.
      if (body.size() < kBodySize) return std::string("input record: message size missing");
      std::uint16_t full = 0;
      std::memcpy(&full, body.data(), kBodySize);
      const auto stored = body.subspan(kBodySize);
      if (full > kMaxBinarySize || stored.size() > full) {
        return "input record: message of " + std::to_string(stored.size()) + " bytes, size " +
               std::to_string(full);
      }
      std::array<std::byte, kMaxBinarySize> buf;
      std::memcpy(buf.data(), stored.data(), stored.size());
      std::memset(buf.data() + stored.size(), 0, full - stored.size());
      const std::span<const std::byte> message(buf.data(), full);
      if (kind == 1) {
        if (!std::holds_alternative<Command>(r.body)) r.body.emplace<Command>();
        if (auto e = decode_binary(message, std::get<Command>(r.body))) {
          return std::string("input record: command: ") + to_string(*e);
        }
      } else {
        if (!std::holds_alternative<Event>(r.body)) r.body.emplace<Event>();
        if (auto e = decode_binary(message, std::get<Event>(r.body))) {
          return std::string("input record: event: ") + to_string(*e);
        }
      }
      break;
    }
    case 3: r.body = std::string(p, body.size()); break;
    default: return "input record: unknown body kind " + std::to_string(kind);
  }
  return std::nullopt;
}

Result<InputRecord, std::string> decode_input(std::string_view payload) {
  InputRecord r;
  if (auto e = decode_input_into(payload, r)) return Unexpected(std::move(*e));
  return r;
}

std::string input_subject(std::uint16_t desk, InputStep step) {
  return "inputs." + std::to_string(desk) + "." + std::string(to_string(step));
}

EventId input_msg_id(std::uint16_t desk, std::uint64_t run, std::uint64_t seq) noexcept {
  const std::uint64_t key = mix(mix(run ^ (std::uint64_t{desk} << 48U)) ^ seq) & ~std::uint64_t{0xF};
  return key != 0 ? key : 0x10;
}

}  // namespace oms::actors
