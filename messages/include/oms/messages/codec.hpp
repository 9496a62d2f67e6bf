// Codecs for events and commands.
//
// JSON (journals, APIs, daily files): one canonical encoding — fields in their OMS_DESCRIBE
// order, no spaces, decimals as exact strings, enums by name, accounts / strategies /
// instruments by their configured names (a journal stays readable and valid when a config
// adds accounts and dense ids shift). Decoding is strict: every field present, no unknown
// field, right types; an error names the message and the field.
//   {"type":"OrderAccepted","envelope":{"id":7,...},"account":"sub_spot_arb",...}
//
// Binary (hot-path rings, in-process): a fixed size per message kind, little-endian, with
// dense ids; header [u8 family][u8 kind][u16 size]. No allocation, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms {

// Names of the dense ids, as interned at config load. Instruments are named
// "exchange:market:CANONICAL" ("binance:spot:BTC/USDT").
struct Directory {
  Interner<AccountId> accounts;
  Interner<StrategyId> strategies;
  Interner<InstrumentId> instruments;
};

struct CodecError {
  std::string message;  // "OrderAccepted.venue_order_id: expected a string"
};

[[nodiscard]] Result<std::string, CodecError> encode_json(const Event& e, const Directory& d);
[[nodiscard]] Result<std::string, CodecError> encode_json(const Command& c, const Directory& d);
[[nodiscard]] Result<Event, CodecError> decode_event_json(std::string_view text,
                                                          const Directory& d);
[[nodiscard]] Result<Command, CodecError> decode_command_json(std::string_view text,
                                                              const Directory& d);

// The message name of an event or command ("OrderAccepted").
[[nodiscard]] std::string_view message_name(const Event& e) noexcept;
[[nodiscard]] std::string_view message_name(const Command& c) noexcept;

enum class BinaryError : std::uint8_t {
  kBufferTooSmall = 1,
  kBadHeader = 2,      // wrong family, unknown kind, or size not the kind's size
  kBadValue = 3,       // an enum, count or text length out of range
};
[[nodiscard]] const char* to_string(BinaryError e) noexcept;

inline constexpr std::size_t kMaxBinarySize = 1024;
enum class BinaryFamily : std::uint8_t { kEvent = 0xE1, kCommand = 0xC1 };

// Size of the encoding of this message (fixed per kind).
[[nodiscard]] std::size_t binary_size(const Event& e) noexcept;
[[nodiscard]] std::size_t binary_size(const Command& c) noexcept;
// Writes the encoding into out; returns the bytes written.
[[nodiscard]] Result<std::size_t, BinaryError> encode_binary(const Event& e,
                                                             std::span<std::byte> out) noexcept;
[[nodiscard]] Result<std::size_t, BinaryError> encode_binary(const Command& c,
                                                             std::span<std::byte> out) noexcept;
// Reads one message from the front of in (which may hold more bytes after it).
[[nodiscard]] Result<Event, BinaryError> decode_event_binary(std::span<const std::byte> in) noexcept;
[[nodiscard]] Result<Command, BinaryError> decode_command_binary(
    std::span<const std::byte> in) noexcept;
// Hot-path forms: decode in place into out (a ring slot), without copying the ~700-byte
// message through a result. On error out holds a partly decoded value: do not use it.
[[nodiscard]] std::optional<BinaryError> decode_binary(std::span<const std::byte> in,
                                                       Event& out) noexcept;
[[nodiscard]] std::optional<BinaryError> decode_binary(std::span<const std::byte> in,
                                                       Command& out) noexcept;

}  // namespace oms
