// The DOM-side helpers of the venue account-data parsers (private to connectors/src): an item of
// a venue answer whose reads throw Fail naming the item and the field ("orders.data[0].fillSz:
// missing"), and typed object / array access. simdjson DOM: account messages are few and
// nested; the market-data path uses on-demand (json_detail.hpp).
#pragma once

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "oms/messages/decimal.hpp"
#include "oms/messages/envelope.hpp"

namespace oms::venue::dom {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

struct Fail {
  std::string message;
};

class Item {
 public:
  Item(object o, std::string where) : o_(o), where_(std::move(where)) {}

  [[nodiscard]] std::string text(std::string_view field, bool required = true) const {
    std::string_view v;
    const auto e = o_[field].get_string().get(v);
    if (e == simdjson::SUCCESS) return std::string(v);
    if (!required && (e == simdjson::NO_SUCH_FIELD || o_[field].is_null())) return {};
    throw Fail{where_ + field_name(field) + (e == simdjson::NO_SUCH_FIELD ? ": missing" : ": expected a string")};
  }
  // A decimal string; optional ones read "", null or absent as zero.
  [[nodiscard]] Decimal decimal(std::string_view field, bool required = true) const {
    element e;
    if (o_[field].get(e) != simdjson::SUCCESS || e.is_null()) {
      if (!required) return Decimal{};
      throw Fail{where_ + field_name(field) + ": missing"};
    }
    std::string_view v;
    if (e.get_string().get(v) != simdjson::SUCCESS) throw Fail{where_ + field_name(field) + ": expected a decimal string"};
    if (v.empty()) {
      if (!required) return Decimal{};
      throw Fail{where_ + field_name(field) + ": empty"};
    }
    const auto d = Decimal::parse(v);
    if (!d) throw Fail{where_ + field_name(field) + ": " + to_string(d.error()) + " '" + std::string(v) + "'"};
    return *d;
  }
  // Milliseconds written as a string ("1700000005000") or a number.
  [[nodiscard]] TimeNs millis(std::string_view field) const {
    element e;
    if (o_[field].get(e) != simdjson::SUCCESS) throw Fail{where_ + field_name(field) + ": missing"};
    std::int64_t ms = 0;
    if (e.get_int64().get(ms) != simdjson::SUCCESS) {
      std::string_view v;
      if (e.get_string().get(v) != simdjson::SUCCESS ||
          std::from_chars(v.data(), v.data() + v.size(), ms).ptr != v.data() + v.size() || v.empty())
        throw Fail{where_ + field_name(field) + ": expected milliseconds"};
    }
    constexpr TimeNs kNsPerMs = 1'000'000;
    return ms * kNsPerMs;
  }
  [[nodiscard]] bool flag(std::string_view field) const {
    bool b = false;
    if (o_[field].get_bool().get(b) == simdjson::SUCCESS) return b;
    if (o_[field].error() == simdjson::NO_SUCH_FIELD) return false;
    throw Fail{where_ + field_name(field) + ": expected true or false"};
  }
  [[nodiscard]] std::int64_t integer(std::string_view field, std::int64_t fallback) const {
    std::int64_t v = 0;
    if (o_[field].get_int64().get(v) == simdjson::SUCCESS) return v;
    if (o_[field].error() == simdjson::NO_SUCH_FIELD) return fallback;
    throw Fail{where_ + field_name(field) + ": expected an integer"};
  }
  [[nodiscard]] const std::string& where() const { return where_; }
  [[nodiscard]] object fields() const { return o_; }  // for a field that is not a scalar

 private:
  static std::string field_name(std::string_view f) { return "." + std::string(f); }
  object o_;
  std::string where_;
};

inline object as_object(element e, const std::string& where) {
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) throw Fail{where + ": expected an object"};
  return o;
}

inline array as_array(object o, std::string_view field, const std::string& where) {
  array a;
  if (o[field].get_array().get(a) != simdjson::SUCCESS) throw Fail{where + "." + std::string(field) + ": expected an array"};
  return a;
}

}  // namespace oms::venue::dom
