// Fuzz target: the event and command decoders as the stores, snapshots and rings read them --
// JSON (decode_event_json / decode_command_json) and the binary codec -- on the same bytes.
// Whatever decodes must encode again and decode to the same message (a decoder that accepts
// what the encoder cannot reproduce would change a replayed event).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "oms/messages/codec.hpp"
#include "testkit/random_messages.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "codec round trip broken: %s\n", what);
  std::abort();
}

template <class Message>
void json_round_trip(const Message& first, const oms::Directory& dir,
                     oms::Result<Message, oms::CodecError> (*decode)(std::string_view, const oms::Directory&)) {
  const auto text = oms::encode_json(first, dir);
  if (!text) fail("a decoded JSON message does not encode");
  const auto again = decode(*text, dir);
  if (!again || !(*again == first)) fail("JSON: decode(encode(decoded)) differs");
}

template <class Message>
void binary_round_trip(const Message& first) {
  std::array<std::byte, oms::kMaxBinarySize> buffer{};
  const auto n = oms::encode_binary(first, buffer);
  if (!n) fail("a decoded binary message does not encode");
  Message again{};
  if (oms::decode_binary(std::span<const std::byte>(buffer.data(), *n), again) || !(again == first))
    fail("binary: decode(encode(decoded)) differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const oms::Directory dir = oms::testkit::sample_directory();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto e = oms::decode_event_json(text, dir)) json_round_trip<oms::Event>(*e, dir, &oms::decode_event_json);
  if (const auto c = oms::decode_command_json(text, dir)) json_round_trip<oms::Command>(*c, dir, &oms::decode_command_json);
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  if (const auto e = oms::decode_event_binary(bytes)) binary_round_trip(*e);
  if (const auto c = oms::decode_command_binary(bytes)) binary_round_trip(*c);
  return 0;
}
