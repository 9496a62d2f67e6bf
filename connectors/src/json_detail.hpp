// The helpers of the venue parsers built on json_parser.hpp (private to connectors/src): the
// parser's padded buffer, the error context that names the field, typed reads of strings and
// numbers. Venues send numbers as strings ("65114.20", "1786320000000") or as JSON numbers; both
// are read exactly.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "oms/connectors/json_parser.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/fixed_string.hpp"

namespace oms::venue {

namespace od = simdjson::ondemand;

struct JsonParser::Impl {
  od::parser parser;
  std::vector<char> buffer;  // input + SIMDJSON_PADDING, grown only

  // Copies json into the padded buffer and starts a document.
  simdjson::error_code load(std::string_view json, od::document& doc) {
    const std::size_t need = json.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < need) buffer.resize(need);
    std::copy(json.begin(), json.end(), buffer.begin());
    return parser.iterate(buffer.data(), json.size(), buffer.size()).get(doc);
  }
};

// The error of one parse: the first failure wins. Field names in errors are
// "<kind>.<scope>[<index>].<field>": "publicTrade.data[2].p", built only on failure.
class Ctx {
 public:
  explicit Ctx(std::string_view kind) : kind_(kind) {}

  void set_kind(std::string_view kind) { kind_ = kind; }
  [[nodiscard]] std::string_view kind() const { return kind_; }
  // Fields read from here on are inside scope ("data"), element index of an array scope.
  void enter(std::string_view scope, std::optional<std::size_t> index = std::nullopt) {
    scope_ = scope;
    index_ = index;
  }
  void leave() {
    scope_ = {};
    index_.reset();
  }

  bool fail(std::string_view field, std::string_view what) {
    if (!error_.empty()) return false;
    error_.append(kind_);
    if (!scope_.empty()) {
      error_.append(".").append(scope_);
      if (index_) error_.append("[").append(std::to_string(*index_)).append("]");
    }
    if (!field.empty()) error_.append(".").append(field);
    error_.append(": ").append(what);
    return false;
  }
  bool json_fail(std::string_view field, simdjson::error_code e) {
    return fail(field, std::string("malformed JSON (") + simdjson::error_message(e) + ")");
  }
  bool missing(std::string_view field) { return fail(field, "missing"); }
  [[nodiscard]] bool failed() const { return !error_.empty(); }
  [[nodiscard]] ParseError error() && { return ParseError{std::move(error_)}; }

  // Decimal from a JSON string ("65114.20", the venue's form) or a JSON number (exact text).
  bool dec(od::value v, std::string_view field, Decimal& out) {
    return dec_named(v, [field] { return std::string(field); }, out);
  }
  // The same with the field's name built only on failure: "b[3][0]" on the hot path.
  template <class Name>
  bool dec_named(od::value v, Name&& name, Decimal& out) {
    std::string_view text;
    if (v.get_string().get(text) != simdjson::SUCCESS) {  // the usual case first
      if (!number_text(v, name, text)) return false;
    }
    return parse_decimal(text, name, out);
  }
  // A ticker field: "" or null -> kEmpty, else a decimal.
  template <class T>
  bool ticker_field(od::value v, std::string_view field, T& out) {
    std::string_view text;
    if (v.get_string().get(text) != simdjson::SUCCESS) {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return json_fail(field, e);
      if (is_null) {
        out.state = T::State::kEmpty;
        return true;
      }
      if (!number_text(v, [field] { return std::string(field); }, text)) return false;
    } else if (text.empty()) {
      out.state = T::State::kEmpty;
      return true;
    }
    out.state = T::State::kValue;
    if constexpr (std::is_same_v<decltype(out.value), Decimal>) {
      return parse_decimal(text, [field] { return std::string(field); }, out.value);
    } else {
      return digits(text, field, out.value);
    }
  }
  bool u64(od::value v, std::string_view field, std::uint64_t& out) {
    if (v.get_uint64().get(out) != simdjson::SUCCESS)
      return fail(field, "expected an unsigned integer");
    return true;
  }
  bool i64(od::value v, std::string_view field, std::int64_t& out) {
    if (v.get_int64().get(out) != simdjson::SUCCESS) return fail(field, "expected an integer");
    return true;
  }
  bool boolean(od::value v, std::string_view field, bool& out) {
    if (v.get_bool().get(out) != simdjson::SUCCESS) return fail(field, "expected true or false");
    return true;
  }
  bool text(od::value v, std::string_view field, std::string_view& out) {
    if (v.get_string().get(out) != simdjson::SUCCESS) return fail(field, "expected a string");
    return true;
  }
  template <std::size_t N>
  bool text(od::value v, std::string_view field, FixedString<N>& out) {
    std::string_view s;
    if (!text(v, field, s)) return false;
    if (!out.assign(s)) return fail(field, "longer than " + std::to_string(N) + " characters");
    return true;
  }

 private:
  // The exact text of a JSON number (trailing whitespace cut), or an error for other types.
  template <class Name>
  bool number_text(od::value v, Name&& name, std::string_view& text) {
    od::json_type t;
    if (auto e = v.type().get(t)) return json_fail(name(), e);
    if (t != od::json_type::number) return fail(name(), "expected a decimal string");
    text = v.raw_json_token();
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                             text.back() == '\t'))
      text.remove_suffix(1);
    return true;
  }
  template <class Name>
  bool parse_decimal(std::string_view text, Name&& name, Decimal& out) {
    const auto d = Decimal::parse(text);
    if (!d) {
      std::string what = to_string(d.error());
      what.append(" '").append(text).append("'");
      return fail(name(), what);
    }
    out = *d;
    return true;
  }
  // An unsigned integer written as text ("1786320000000").
  bool digits(std::string_view text, std::string_view field, std::uint64_t& out) {
    const auto* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, out);
    if (r.ec != std::errc{} || r.ptr != end)
      return fail(field, "expected an unsigned integer '" + std::string(text) + "'");
    return true;
  }

  std::string_view kind_;
  std::string_view scope_;
  std::optional<std::size_t> index_;
  std::string error_;
};

// The object / array of a value, or an error naming the field.
inline bool as_object(Ctx& ctx, od::value v, std::string_view field, od::object& out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return ctx.json_fail(field, e);
  if (t != od::json_type::object) return ctx.fail(field, "expected an object");
  if (auto e = v.get_object().get(out)) return ctx.json_fail(field, e);
  return true;
}
inline bool as_array(Ctx& ctx, od::value v, std::string_view field, od::array& out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return ctx.json_fail(field, e);
  if (t != od::json_type::array) return ctx.fail(field, "expected an array");
  if (auto e = v.get_array().get(out)) return ctx.json_fail(field, e);
  return true;
}

// Iterates the fields of an object: fn(key, value) -> bool (false stops with ctx's error).
template <class Fn>
bool for_each_field(Ctx& ctx, od::object obj, Fn&& fn) {
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return ctx.json_fail("", e);
    od::value v;
    if (auto e = field.value().get(v)) return ctx.json_fail(key, e);
    if (!fn(key, v)) return false;
  }
  return true;
}

// "<field>[i]" for nested error names (built only when there is something to name).
inline std::string indexed(std::string_view field, std::size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

}  // namespace oms::venue
