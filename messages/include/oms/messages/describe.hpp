// OMS_DESCRIBE(Type, field...): one list of a message's fields, in wire order, that both
// codecs (JSON and binary) and the tests walk. Adding a field is one edit here.
#pragma once

#include <array>
#include <optional>
#include <string_view>

// C++20 __VA_OPT__ for-each (up to 4^4 = 256 fields).
#define OMS_PARENS ()
#define OMS_EXPAND(...) OMS_EXPAND3(OMS_EXPAND3(OMS_EXPAND3(OMS_EXPAND3(__VA_ARGS__))))
#define OMS_EXPAND3(...) OMS_EXPAND2(OMS_EXPAND2(OMS_EXPAND2(OMS_EXPAND2(__VA_ARGS__))))
#define OMS_EXPAND2(...) OMS_EXPAND1(OMS_EXPAND1(OMS_EXPAND1(OMS_EXPAND1(__VA_ARGS__))))
#define OMS_EXPAND1(...) __VA_ARGS__
#define OMS_FOR_EACH(macro, ...) __VA_OPT__(OMS_EXPAND(OMS_FOR_EACH_HELPER(macro, __VA_ARGS__)))
#define OMS_FOR_EACH_HELPER(macro, a1, ...) \
  macro(a1) __VA_OPT__(OMS_FOR_EACH_AGAIN OMS_PARENS(macro, __VA_ARGS__))
#define OMS_FOR_EACH_AGAIN() OMS_FOR_EACH_HELPER

#define OMS_DESCRIBE_FIELD_(name) v(#name, x.name);
#define OMS_DESCRIBE(Type, ...)                                     \
  template <class V>                                                \
  constexpr void describe(Type& x, V&& v) {                         \
    OMS_FOR_EACH(OMS_DESCRIBE_FIELD_, __VA_ARGS__)                  \
  }                                                                 \
  template <class V>                                                \
  constexpr void describe(const Type& x, V&& v) {                   \
    OMS_FOR_EACH(OMS_DESCRIBE_FIELD_, __VA_ARGS__)                  \
  }                                                                 \
  constexpr std::string_view message_name(const Type*) { return #Type; }

namespace oms {

// Text names of an enum's values, for the JSON codec: specialize with
// `static constexpr std::array<std::string_view, K> kNames{...}` (index = underlying value).
template <class E>
struct EnumNames;

template <class E>
constexpr std::string_view enum_name(E e) {
  const auto i = static_cast<std::size_t>(e);
  return i < EnumNames<E>::kNames.size() ? EnumNames<E>::kNames[i] : std::string_view{"?"};
}

template <class E>
constexpr std::optional<E> enum_parse(std::string_view s) {
  for (std::size_t i = 0; i < EnumNames<E>::kNames.size(); ++i)
    if (EnumNames<E>::kNames[i] == s) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace oms
