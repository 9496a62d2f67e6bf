// Type traits the codecs (and tests that walk messages) share: which kind of field a type is.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "oms/messages/counted_array.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/describe.hpp"
#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"

namespace oms::codec {

template <class T> struct is_fixed_string : std::false_type {};
template <std::size_t N> struct is_fixed_string<FixedString<N>> : std::true_type {};

template <class T> struct is_counted_array : std::false_type {};
template <class T, std::size_t N> struct is_counted_array<CountedArray<T, N>> : std::true_type {};

template <class T> struct is_dense_id : std::false_type {};
template <class Tag, class Rep> struct is_dense_id<DenseId<Tag, Rep>> : std::true_type {};

struct NoopVisitor {
  template <class F>
  constexpr void operator()(std::string_view, const F&) const noexcept {}
};
template <class T>
concept Described = requires(const T& t) { describe(t, NoopVisitor{}); };

// Calls f.template operator()<I>() for the variant alternative with runtime index i.
template <class Variant, class F, std::size_t... I>
constexpr bool with_alternative_impl(std::size_t i, F&& f, std::index_sequence<I...>) {
  return ((i == I ? (f.template operator()<I>(), true) : false) || ...);
}
template <class Variant, class F>
constexpr bool with_alternative(std::size_t i, F&& f) {
  return with_alternative_impl<Variant>(
      i, std::forward<F>(f), std::make_index_sequence<std::variant_size_v<Variant>>{});
}

}  // namespace oms::codec
