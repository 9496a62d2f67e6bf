// Result<T, E>: a value or an error, never an exception. Used by every core and codec.
// (std::expected is C++23; g++ 12 in C++20 mode does not have it.)
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace oms {

// The value of a Result that carries no value: Result<Unit, E> is "done, or why not".
struct Unit {
  friend constexpr bool operator==(Unit, Unit) noexcept { return true; }
};

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Unexpected<E> err) : v_(std::in_place_index<1>, std::move(err.error)) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & { assert(ok()); return *std::get_if<0>(&v_); }
  [[nodiscard]] const T& value() const& { assert(ok()); return *std::get_if<0>(&v_); }
  [[nodiscard]] T&& value() && { assert(ok()); return std::move(*std::get_if<0>(&v_)); }
  [[nodiscard]] const E& error() const& { assert(!ok()); return *std::get_if<1>(&v_); }
  [[nodiscard]] E&& error() && { assert(!ok()); return std::move(*std::get_if<1>(&v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> v_;
};

}  // namespace oms
