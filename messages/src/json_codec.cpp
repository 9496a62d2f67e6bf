// JSON codec: canonical writer by hand (stable order, no spaces), strict reader on simdjson.
#include <simdjson.h>

#include <cstring>
#include <limits>
#include <vector>

#include "oms/messages/traits.hpp"
#include "oms/messages/codec.hpp"

namespace oms {
namespace {

using namespace codec;

Unexpected<CodecError> fail(std::string msg) { return Unexpected{CodecError{std::move(msg)}}; }

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n;
  std::uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1Fu; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0Fu; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07u; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n;
}

// ---- writing -----------------------------------------------------------------------------
class Writer {
 public:
  Writer(std::string& out, const Directory& dir) : out_(out), dir_(dir) {}

  template <class F>
  void operator()(std::string_view name, const F& f) {
    if (!error_.empty()) return;
    out_ += first_ ? "\"" : ",\"";
    first_ = false;
    out_ += name;
    out_ += "\":";
    path_.push_back(name);
    put(f);
    path_.pop_back();
  }

  template <class F>
  void put(const F& f) {
    if constexpr (std::is_same_v<F, Decimal>) {
      char buf[Decimal::kMaxChars];
      out_ += '"';
      out_.append(buf, f.format(buf));
      out_ += '"';
    } else if constexpr (std::is_same_v<F, AccountId>) {
      put_name(dir_.accounts, f);
    } else if constexpr (std::is_same_v<F, StrategyId>) {
      put_name(dir_.strategies, f);
    } else if constexpr (std::is_same_v<F, InstrumentId>) {
      put_name(dir_.instruments, f);
    } else if constexpr (std::is_same_v<F, bool>) {
      out_ += f ? "true" : "false";
    } else if constexpr (std::is_enum_v<F>) {
      const auto i = static_cast<std::size_t>(f);
      if (i >= EnumNames<F>::kNames.size()) return set_error("enum value " + std::to_string(i) + " out of range");
      put_string(EnumNames<F>::kNames[i]);
    } else if constexpr (std::is_integral_v<F>) {
      out_ += std::to_string(f);
    } else if constexpr (is_fixed_string<F>::value) {
      put_string(f.view());
    } else if constexpr (is_counted_array<F>::value) {
      out_ += '[';
      for (std::size_t i = 0; i < f.count; ++i) {
        if (i != 0) out_ += ',';
        put(f.items[i]);
      }
      out_ += ']';
    } else {
      out_ += '{';
      const bool saved = first_;
      first_ = true;
      describe(f, *this);
      first_ = saved;
      out_ += '}';
    }
  }

  void begin(std::string_view type) {
    out_ += "{\"type\":";
    put_string(type);
    first_ = false;
  }
  void end() { out_ += '}'; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  template <class Id>
  void put_name(const Interner<Id>& names, Id id) {
    if (!id.valid()) {
      out_ += "null";
    } else if (id.index() >= names.size()) {
      set_error("id " + std::to_string(id.value) + " is not in the directory");
    } else {
      put_string(names.name(id));
    }
  }

  void put_string(std::string_view s) {
    out_ += '"';
    for (std::size_t i = 0; i < s.size();) {
      const char c = s[i];
      const auto uc = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
        ++i;
      } else if (uc < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += kHex[uc >> 4];
        out_ += kHex[uc & 0xF];
        ++i;
      } else {
        const std::size_t n = utf8_sequence(s, i);
        if (n == 0) return set_error("text is not valid UTF-8 at byte " + std::to_string(i));
        out_.append(s.substr(i, n));
        i += n;
      }
    }
    out_ += '"';
  }

  void set_error(std::string what) {
    if (!error_.empty()) return;
    std::string p;
    for (auto part : path_) {
      if (!p.empty()) p += '.';
      p += part;
    }
    error_ = p + ": " + what;
  }

  std::string& out_;
  const Directory& dir_;
  bool first_ = true;
  std::vector<std::string_view> path_;
  std::string error_;
};

template <class Message>
Result<std::string, CodecError> encode(const Message& m, const Directory& d) {
  std::string out;
  out.reserve(256);
  Writer w(out, d);
  std::string_view type;
  std::visit([&](const auto& p) { type = message_name(&p); }, m.payload);
  w.begin(type);
  w("envelope", m.envelope);
  std::visit([&](const auto& p) { describe(p, w); }, m.payload);
  w.end();
  if (!w.error().empty()) return fail(std::string(type) + "." + w.error());
  return out;
}

// ---- reading -----------------------------------------------------------------------------
// simdjson DOM (not nlohmann) for reading: replay reads journals at millions of events per
// second, and nlohmann's tree of std::map costs ~6 us per event against ~1 us here.
using Element = simdjson::dom::element;
using ElementType = simdjson::dom::element_type;

class Reader {
 public:
  Reader(const Directory& dir, std::string_view root) : dir_(dir) { push(root); }

  // Reads the described fields of f from object j; every field required, no others, once.
  template <class T>
  void object(Element j, T& f, bool top_level = false) {
    simdjson::dom::object obj;
    if (j.get_object().get(obj) != simdjson::SUCCESS) return set_error("expected an object");
    std::size_t expected = top_level ? 2 : 0;  // "type" and "envelope" are read by the caller
    // A stored event's integrity check (persistence/record_integrity.hpp), verified by the
    // store's readers, not here: a string at the top level, passed over.
    Element mac;
    if (top_level && obj.at_key("mac").get(mac) == simdjson::SUCCESS) {
      if (!mac.is_string()) return set_error("mac: expected a string");
      ++expected;
    }
    describe(f, [&](std::string_view name, auto& field) {
      if (failed_) return;
      ++expected;
      Element e;
      push(name);
      if (obj.at_key(name).get(e) != simdjson::SUCCESS) {
        set_error("missing");
      } else {
        get(e, field);
      }
      pop();
    });
    if (failed_ || obj.size() == expected) return;
    // More keys than fields: name the first unknown or repeated one.
    std::size_t index = 0;
    for (auto [key, value] : obj) {
      bool known = top_level && (key == "type" || key == "envelope" || key == "mac");
      describe(f, [&, k = key](std::string_view name, const auto&) { known = known || name == k; });
      if (!known) return set_error("unknown field '" + std::string(key) + "'");
      std::size_t earlier = 0;
      for (auto [other, v] : obj) {
        if (earlier++ == index) break;
        if (other == key) return set_error("duplicate field '" + std::string(key) + "'");
      }
      ++index;
    }
  }

  template <class F>
  void get(Element j, F& f) {
    if constexpr (std::is_same_v<F, Decimal>) {
      std::string_view text;
      if (j.get_string().get(text) != simdjson::SUCCESS) return set_error("expected a decimal string");
      const auto d = Decimal::parse(text);
      if (!d) return set_error(std::string(to_string(d.error())) + ": '" + std::string(text) + "'");
      f = *d;
    } else if constexpr (std::is_same_v<F, AccountId>) {
      get_name(j, dir_.accounts, f, "account");
    } else if constexpr (std::is_same_v<F, StrategyId>) {
      get_name(j, dir_.strategies, f, "strategy");
    } else if constexpr (std::is_same_v<F, InstrumentId>) {
      get_name(j, dir_.instruments, f, "instrument");
    } else if constexpr (std::is_same_v<F, bool>) {
      if (j.get_bool().get(f) != simdjson::SUCCESS) return set_error("expected true or false");
    } else if constexpr (std::is_enum_v<F>) {
      std::string_view text;
      if (j.get_string().get(text) != simdjson::SUCCESS) return set_error("expected a name");
      const auto v = enum_parse<F>(text);
      if (!v) return set_error("unknown value '" + std::string(text) + "'");
      f = *v;
    } else if constexpr (std::is_integral_v<F>) {
      const auto type = j.type();
      if (type != ElementType::INT64 && type != ElementType::UINT64)
        return set_error("expected an integer");
      if constexpr (std::is_signed_v<F>) {
        std::int64_t v;
        if (j.get_int64().get(v) != simdjson::SUCCESS || v < std::numeric_limits<F>::min() ||
            v > std::numeric_limits<F>::max())
          return set_error("integer out of range");
        f = static_cast<F>(v);
      } else {
        std::uint64_t v;
        if (j.get_uint64().get(v) != simdjson::SUCCESS)
          return set_error("expected a non-negative integer");
        if (v > std::numeric_limits<F>::max()) return set_error("integer out of range");
        f = static_cast<F>(v);
      }
    } else if constexpr (is_fixed_string<F>::value) {
      std::string_view text;
      if (j.get_string().get(text) != simdjson::SUCCESS) return set_error("expected a string");
      if (!f.assign(text))
        return set_error("text of " + std::to_string(text.size()) + " bytes exceeds " +
                         std::to_string(F::kCapacity));
    } else if constexpr (is_counted_array<F>::value) {
      simdjson::dom::array arr;
      if (j.get_array().get(arr) != simdjson::SUCCESS) return set_error("expected an array");
      if (arr.size() > F::kCapacity)
        return set_error(std::to_string(arr.size()) + " items exceed " + std::to_string(F::kCapacity));
      f.count = static_cast<std::uint8_t>(arr.size());
      std::size_t i = 0;
      for (Element item : arr) {
        if (failed_) return;
        push_index(i);
        get(item, f.items[i++]);
        pop();
      }
    } else {
      object(j, f);
    }
  }

  // Reads below a named member of the root (the envelope).
  void enter(std::string_view name) { push(name); }
  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  template <class Id>
  void get_name(Element j, const Interner<Id>& names, Id& id, const char* what) {
    if (j.is_null()) {
      id = Id{};
      return;
    }
    std::string_view text;
    if (j.get_string().get(text) != simdjson::SUCCESS)
      return set_error(std::string("expected an ") + what + " name or null");
    const auto found = names.find(text);
    if (!found) return set_error(std::string("unknown ") + what + " '" + std::string(text) + "'");
    id = *found;
  }

  // The path to the field being read, kept as views and built into text only on error.
  struct PathPart {
    std::string_view name;
    std::size_t index = 0;
    bool is_index = false;
  };
  void push(std::string_view name) { path_.push_back({name, 0, false}); }
  void push_index(std::size_t i) { path_.push_back({{}, i, true}); }
  void pop() { path_.pop_back(); }

  void set_error(std::string what) {
    if (failed_) return;
    failed_ = true;
    for (std::size_t i = 0; i < path_.size(); ++i) {
      if (path_[i].is_index) {
        error_ += "[" + std::to_string(path_[i].index) + "]";
      } else {
        if (i != 0) error_ += '.';
        error_ += path_[i].name;
      }
    }
    error_ += ": " + what;
  }

  const Directory& dir_;
  std::vector<PathPart> path_;
  bool failed_ = false;
  std::string error_;
};

// One parser and padded buffer per thread: simdjson needs SIMDJSON_PADDING readable bytes
// past the text, and reusing the parser avoids allocating per message.
simdjson::dom::element parse(std::string_view text, simdjson::error_code& ec) {
  thread_local simdjson::dom::parser parser;
  thread_local std::vector<char> buffer;
  if (buffer.size() < text.size() + simdjson::SIMDJSON_PADDING)
    buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
  // (an empty text may have no data at all: memcpy's source must not be null)
  if (!text.empty()) std::memcpy(buffer.data(), text.data(), text.size());
  Element root;
  ec = parser.parse(buffer.data(), text.size(), /*realloc_if_needed=*/false).get(root);
  return root;
}

template <class Message>
Result<Message, CodecError> decode(std::string_view text, const Directory& d, const char* family) {
  using Payload = decltype(Message{}.payload);
  simdjson::error_code ec;
  const Element root = parse(text, ec);
  if (ec != simdjson::SUCCESS) return fail(std::string(family) + ": malformed JSON");
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS)
    return fail(std::string(family) + ": expected a JSON object");
  std::string_view type;
  if (obj.at_key("type").get_string().get(type) != simdjson::SUCCESS)
    return fail(std::string(family) + ": missing string field 'type'");
  Message m;
  bool known = false;
  std::string error;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((known || message_name(static_cast<std::variant_alternative_t<I, Payload>*>(nullptr)) != type
          ? void()
          : [&] {
              known = true;
              auto& alt = m.payload.template emplace<I>();
              Reader r(d, type);
              Element env;
              if (obj.at_key("envelope").get(env) != simdjson::SUCCESS) {
                error = std::string(type) + ".envelope: missing";
                return;
              }
              Reader er(d, type);
              er.enter("envelope");
              er.get(env, m.envelope);
              if (er.failed()) {
                error = er.error();
                return;
              }
              r.object(root, alt, /*top_level=*/true);
              error = r.error();
            }()),
     ...);
  }(std::make_index_sequence<std::variant_size_v<Payload>>{});
  if (!known) return fail(std::string(family) + ": unknown type '" + std::string(type) + "'");
  if (!error.empty()) return fail(error);
  return m;
}

}  // namespace

std::string_view message_name(const Event& e) noexcept {
  return std::visit([](const auto& p) { return message_name(&p); }, e.payload);
}
std::string_view message_name(const Command& c) noexcept {
  return std::visit([](const auto& p) { return message_name(&p); }, c.payload);
}

Result<std::string, CodecError> encode_json(const Event& e, const Directory& d) { return encode(e, d); }
Result<std::string, CodecError> encode_json(const Command& c, const Directory& d) { return encode(c, d); }
Result<Event, CodecError> decode_event_json(std::string_view text, const Directory& d) {
  return decode<Event>(text, d, "event");
}
Result<Command, CodecError> decode_command_json(std::string_view text, const Directory& d) {
  return decode<Command>(text, d, "command");
}

}  // namespace oms
