// Binary codec: fixed size per kind, little-endian, field order from OMS_DESCRIBE.
#include <algorithm>
#include <bit>
#include <cstring>

#include "oms/messages/traits.hpp"
#include "oms/messages/codec.hpp"

namespace oms {
namespace {

static_assert(std::endian::native == std::endian::little, "wire format is little-endian");
using namespace codec;

constexpr std::size_t kHeaderSize = 4;  // [u8 family][u8 kind][u16 size]

template <class F>
constexpr std::size_t field_size();

struct SizeVisitor {
  std::size_t n = 0;
  template <class F>
  constexpr void operator()(std::string_view, const F&) {
    n += field_size<F>();
  }
};

template <class T>
constexpr std::size_t struct_size() {
  SizeVisitor v;
  const T x{};
  describe(x, v);
  return v.n;
}

template <class F>
constexpr std::size_t field_size() {
  if constexpr (std::is_same_v<F, Decimal>) return sizeof(Int128);
  else if constexpr (is_dense_id<F>::value) return sizeof(typename F::rep_type);
  else if constexpr (std::is_enum_v<F> || std::is_same_v<F, bool>) return 1;
  else if constexpr (std::is_integral_v<F>) return sizeof(F);
  else if constexpr (is_fixed_string<F>::value) return 1 + F::kCapacity;
  else if constexpr (is_counted_array<F>::value)
    return 1 + F::kCapacity * field_size<std::remove_cvref_t<decltype(F{}.items[0])>>();
  else return struct_size<F>();
}

template <class Message>
constexpr std::size_t message_size() {
  return kHeaderSize + struct_size<Envelope>() + struct_size<Message>();
}

// ---- writing -----------------------------------------------------------------------------
struct Writer {
  std::byte* p;
  template <class F>
  void operator()(std::string_view, const F& f) noexcept { put(f); }

  template <class F>
  void put(const F& f) noexcept {
    if constexpr (std::is_same_v<F, Decimal>) {
      raw(f.raw());
    } else if constexpr (is_dense_id<F>::value) {
      raw(f.value);
    } else if constexpr (std::is_enum_v<F> || std::is_same_v<F, bool>) {
      raw(static_cast<std::uint8_t>(f));
    } else if constexpr (std::is_integral_v<F>) {
      raw(f);
    } else if constexpr (is_fixed_string<F>::value) {
      raw(static_cast<std::uint8_t>(f.size()));
      std::memcpy(p, f.data(), F::kCapacity);  // unused tail is zero (FixedString keeps it so)
      p += F::kCapacity;
    } else if constexpr (is_counted_array<F>::value) {
      raw(f.count);
      for (std::size_t i = 0; i < f.count; ++i) put(f.items[i]);
      using Item = std::remove_cvref_t<decltype(f.items[0])>;
      const std::size_t unused = (F::kCapacity - f.count) * field_size<Item>();
      std::memset(p, 0, unused);
      p += unused;
    } else {
      describe(f, *this);
    }
  }
  template <class I>
  void raw(I v) noexcept {
    std::memcpy(p, &v, sizeof v);
    p += sizeof v;
  }
};

// ---- reading -----------------------------------------------------------------------------
struct Reader {
  const std::byte* p;
  bool ok = true;
  template <class F>
  void operator()(std::string_view, F& f) noexcept { get(f); }

  template <class F>
  void get(F& f) noexcept {
    if constexpr (std::is_same_v<F, Decimal>) {
      f = Decimal::from_raw(raw<Int128>());
    } else if constexpr (is_dense_id<F>::value) {
      f.value = raw<typename F::rep_type>();
    } else if constexpr (std::is_same_v<F, bool>) {
      const auto b = raw<std::uint8_t>();
      ok = ok && b <= 1;
      f = b == 1;
    } else if constexpr (std::is_enum_v<F>) {
      const auto b = raw<std::uint8_t>();
      ok = ok && b < EnumNames<F>::kNames.size();
      f = static_cast<F>(b);
    } else if constexpr (std::is_integral_v<F>) {
      f = raw<F>();
    } else if constexpr (is_fixed_string<F>::value) {
      const auto len = raw<std::uint8_t>();
      if (len > F::kCapacity) {
        ok = false;
      } else {
        (void)f.assign(std::string_view(reinterpret_cast<const char*>(p), len));
      }
      p += F::kCapacity;
    } else if constexpr (is_counted_array<F>::value) {
      const auto count = raw<std::uint8_t>();
      using Item = std::remove_cvref_t<decltype(f.items[0])>;
      if (count > F::kCapacity) {
        ok = false;
        p += F::kCapacity * field_size<Item>();
        return;
      }
      f.count = count;
      for (std::size_t i = 0; i < count; ++i) get(f.items[i]);
      p += (F::kCapacity - count) * field_size<Item>();
    } else {
      describe(f, *this);
    }
  }
  template <class I>
  I raw() noexcept {
    I v;
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
  }
};

template <class Variant, std::size_t... I>
constexpr std::array<std::size_t, sizeof...(I)> sizes_of(std::index_sequence<I...>) {
  return {message_size<std::variant_alternative_t<I, Variant>>()...};
}
template <class Variant>
constexpr auto kSizes = sizes_of<Variant>(std::make_index_sequence<std::variant_size_v<Variant>>{});

static_assert(*std::max_element(kSizes<EventPayload>.begin(), kSizes<EventPayload>.end()) <= kMaxBinarySize);
static_assert(*std::max_element(kSizes<CommandPayload>.begin(), kSizes<CommandPayload>.end()) <= kMaxBinarySize);

template <class Message>
Result<std::size_t, BinaryError> encode(const Message& m, BinaryFamily family,
                                        std::span<std::byte> out) noexcept {
  const std::size_t kind = m.payload.index();
  const std::size_t size = kSizes<decltype(m.payload)>[kind];
  if (out.size() < size) return Unexpected{BinaryError::kBufferTooSmall};
  Writer w{out.data()};
  w.raw(static_cast<std::uint8_t>(family));
  w.raw(static_cast<std::uint8_t>(kind));
  w.raw(static_cast<std::uint16_t>(size));
  w.put(m.envelope);
  std::visit([&](const auto& payload) { w.put(payload); }, m.payload);
  return size;
}

template <class Message>
std::optional<BinaryError> decode(BinaryFamily family, std::span<const std::byte> in,
                                  Message& m) noexcept {
  using Payload = decltype(m.payload);
  if (in.size() < kHeaderSize) return BinaryError::kBufferTooSmall;
  Reader r{in.data()};
  const auto fam = r.raw<std::uint8_t>();
  const auto kind = r.raw<std::uint8_t>();
  const auto size = r.raw<std::uint16_t>();
  if (fam != static_cast<std::uint8_t>(family) || kind >= std::variant_size_v<Payload> ||
      size != kSizes<Payload>[kind])
    return BinaryError::kBadHeader;
  if (in.size() < size) return BinaryError::kBufferTooSmall;
  r.get(m.envelope);
  with_alternative<Payload>(kind, [&]<std::size_t I>() {
    auto& alt = m.payload.template emplace<I>();
    r.get(alt);
  });
  if (!r.ok) return BinaryError::kBadValue;
  return std::nullopt;
}

}  // namespace

const char* to_string(BinaryError e) noexcept {
  switch (e) {
    case BinaryError::kBufferTooSmall: return "buffer too small";
    case BinaryError::kBadHeader: return "bad header (family, kind or size)";
    case BinaryError::kBadValue: return "value out of range";
  }
  return "?";
}

std::size_t binary_size(const Event& e) noexcept { return kSizes<EventPayload>[e.payload.index()]; }
std::size_t binary_size(const Command& c) noexcept {
  return kSizes<CommandPayload>[c.payload.index()];
}

Result<std::size_t, BinaryError> encode_binary(const Event& e, std::span<std::byte> out) noexcept {
  return encode(e, BinaryFamily::kEvent, out);
}
Result<std::size_t, BinaryError> encode_binary(const Command& c,
                                               std::span<std::byte> out) noexcept {
  return encode(c, BinaryFamily::kCommand, out);
}
std::optional<BinaryError> decode_binary(std::span<const std::byte> in, Event& out) noexcept {
  return decode(BinaryFamily::kEvent, in, out);
}
std::optional<BinaryError> decode_binary(std::span<const std::byte> in, Command& out) noexcept {
  return decode(BinaryFamily::kCommand, in, out);
}
Result<Event, BinaryError> decode_event_binary(std::span<const std::byte> in) noexcept {
  Event e;
  if (auto err = decode(BinaryFamily::kEvent, in, e)) return Unexpected{*err};
  return e;
}
Result<Command, BinaryError> decode_command_binary(std::span<const std::byte> in) noexcept {
  Command c;
  if (auto err = decode(BinaryFamily::kCommand, in, c)) return Unexpected{*err};
  return c;
}

}  // namespace oms
