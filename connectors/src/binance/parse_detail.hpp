// Shared helpers of the Binance parsers (private to connectors/src/binance).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/binance/parse.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/fixed_string.hpp"

namespace oms::binance {

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

// The error of one parse: the first failure wins. kind is the message kind named in errors.
class Ctx {
 public:
  explicit Ctx(std::string_view kind) : kind_(kind) {}

  void set_kind(std::string_view kind) { kind_ = kind; }
  // Prepended to field names in errors while reading a nested object ("o.").
  void set_prefix(std::string_view prefix) { prefix_ = prefix; }
  [[nodiscard]] std::string_view kind() const { return kind_; }

  bool fail(std::string_view field, std::string_view what) {
    if (error_.empty()) {
      error_.reserve(kind_.size() + field.size() + what.size() + 4);
      error_.append(kind_);
      if (!field.empty() || !prefix_.empty()) error_.append(".").append(prefix_).append(field);
      error_.append(": ").append(what);
    }
    return false;
  }
  bool json_fail(std::string_view field, simdjson::error_code e) {
    return fail(field, std::string("malformed JSON (") + simdjson::error_message(e) + ")");
  }
  bool missing(std::string_view field) { return fail(field, "missing"); }
  [[nodiscard]] bool failed() const { return !error_.empty(); }
  [[nodiscard]] ParseError error() && { return ParseError{std::move(error_)}; }

  // Decimal from a JSON string ("61837.63") or a JSON number (exact text).
  bool dec(od::value v, std::string_view field, Decimal& out) {
    return dec_named(v, [field] { return std::string(field); }, out);
  }
  // The same with the field's name built only on failure (name() -> std::string): for
  // indexed names such as "b[3][0]" on the hot path.
  template <class Name>
  bool dec_named(od::value v, Name&& name, Decimal& out) {
    std::string_view text;
    if (v.get_string().get(text) != simdjson::SUCCESS) {  // the usual case first
      od::json_type t;
      if (auto e = v.type().get(t)) return json_fail(name(), e);
      if (t != od::json_type::number) return fail(name(), "expected a decimal string");
      text = v.raw_json_token();
      while (!text.empty() && (text.back() == ' ' || text.back() == '\n' ||
                               text.back() == '\r' || text.back() == '\t'))
        text.remove_suffix(1);
    }
    const auto d = Decimal::parse(text);
    if (!d) {
      std::string what = to_string(d.error());
      what.append(" '").append(text).append("'");
      return fail(name(), what);
    }
    out = *d;
    return true;
  }
  // An optional decimal: null keeps zero.
  bool opt_dec(od::value v, std::string_view field, Decimal& out) {
    bool is_null = false;
    if (!null(v, field, is_null)) return false;
    if (is_null) {
      out = Decimal{};
      return true;
    }
    return dec(v, field, out);
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
  // A string, or null (kept empty).
  // Whether a value is JSON null; a malformed value is an error.
  bool null(od::value v, std::string_view field, bool& is_null) {
    if (auto e = v.is_null().get(is_null)) return json_fail(field, e);
    return true;
  }
  template <std::size_t N>
  bool text_or_null(od::value v, std::string_view field, FixedString<N>& out) {
    bool is_null = false;
    if (!null(v, field, is_null)) return false;
    if (is_null) {
      out = FixedString<N>{};
      return true;
    }
    return text(v, field, out);
  }
  // A string or a number, kept as text (order ids in some responses).
  template <std::size_t N>
  bool token(od::value v, std::string_view field, FixedString<N>& out) {
    od::json_type t;
    if (auto e = v.type().get(t)) return json_fail(field, e);
    if (t == od::json_type::string) return text(v, field, out);
    if (t != od::json_type::number) return fail(field, "expected a string or a number");
    std::string_view s = v.raw_json_token();
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
      s.remove_suffix(1);
    if (!out.assign(s)) return fail(field, "longer than " + std::to_string(N) + " characters");
    return true;
  }

 private:
  std::string_view kind_;
  std::string_view prefix_;
  std::string error_;
};

// Required-field bookkeeping: bit i set when field names[i] was seen.
template <std::size_t N>
bool check_required(Ctx& ctx, std::uint64_t seen, const std::string_view (&names)[N],
                    std::string_view prefix = {}) {
  for (std::size_t i = 0; i < N; ++i) {
    if ((seen & (std::uint64_t{1} << i)) == 0) {
      if (prefix.empty()) return ctx.missing(names[i]);
      return ctx.missing(std::string(prefix) + std::string(names[i]));
    }
  }
  return true;
}

// Iterates the fields of an object: fn(key, value) -> bool (false stops with ctx's error).
template <class Fn>
bool for_each_field(Ctx& ctx, od::object obj, std::string_view where, Fn&& fn) {
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return ctx.json_fail(where, e);
    od::value v;
    if (auto e = field.value().get(v)) return ctx.json_fail(key, e);
    if (!fn(key, v)) return false;
  }
  return true;
}

// The object of a value, or an error naming the field.
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

// Each element of an array: fn(index, value) -> bool.
template <class Fn>
bool for_each_element(Ctx& ctx, od::array arr, std::string_view field, Fn&& fn) {
  std::size_t i = 0;
  for (auto element : arr) {
    od::value v;
    if (auto e = std::move(element).get(v)) return ctx.json_fail(field, e);
    if (!fn(i, v)) return false;
    ++i;
  }
  return true;
}

// "<field>[i]" for nested error names (built only when there is something to name).
inline std::string indexed(std::string_view field, std::size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// Shared between the user-data sources.
bool parse_side(Ctx& ctx, od::value v, std::string_view field, Side& out);
bool parse_margin_type(Ctx& ctx, od::value v, std::string_view field, MarginType& out);
bool parse_position_side(Ctx& ctx, od::value v, std::string_view field, PositionSide& out);
bool parse_order_status(Ctx& ctx, od::value v, std::string_view field, FixedString<31>& text,
                        OrderStatus& out);

}  // namespace oms::binance
