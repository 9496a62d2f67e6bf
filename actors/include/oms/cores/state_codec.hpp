// The cores' compacted state in bytes: what a snapshot holds (DESIGN.md "Snapshots hold the
// cores' compacted state, not the event history").
//
// Little-endian, each core saving its own fields in its own order (the core's `state()` list is
// the one place that names them, for saving and loading alike). Dense ids are written as their
// numbers, and the bytes start with the name tables they were written under (accounts,
// strategies, instruments): a state saved under one configuration loads under another, every id
// mapped by name, and a name the configuration lacks is an error naming it. Text is
// length-prefixed; containers carry their count, checked against the bytes left.
//
// StateReader never throws: the first problem (bytes run out, a value out of range, an unknown
// name) is kept with what was being read, every later read yields zeros, and the caller asks
// error() at the end. A state that does not load is not used (the snapshot falls back).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "oms/messages/codec.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/traits.hpp"

namespace oms::actors {

template <class T> struct is_std_vector : std::false_type {};
template <class T, class A> struct is_std_vector<std::vector<T, A>> : std::true_type {};
template <class T> struct is_std_deque : std::false_type {};
template <class T, class A> struct is_std_deque<std::deque<T, A>> : std::true_type {};
template <class T> struct is_std_array : std::false_type {};
template <class T, std::size_t N> struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T> struct is_std_optional : std::false_type {};
template <class T> struct is_std_optional<std::optional<T>> : std::true_type {};

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires { EnumNames<E>::kNames.size(); };

class StateWriter {
 public:
  // Starts the bytes with the name tables of `names`.
  explicit StateWriter(const Directory& names);

  template <class F>
  void put(const F& f) {
    if constexpr (std::is_same_v<F, Decimal>) {
      raw(f.raw());
    } else if constexpr (std::is_same_v<F, Int128> || std::is_same_v<F, UInt128>) {
      raw(f);
    } else if constexpr (codec::is_dense_id<F>::value) {
      raw(f.value);
    } else if constexpr (std::is_same_v<F, bool>) {
      raw(static_cast<std::uint8_t>(f ? 1 : 0));
    } else if constexpr (std::is_enum_v<F>) {
      raw(static_cast<std::underlying_type_t<F>>(f));
    } else if constexpr (std::is_integral_v<F>) {
      raw(f);
    } else if constexpr (codec::is_fixed_string<F>::value) {
      raw(static_cast<std::uint8_t>(f.size()));
      out_.append(f.data(), f.size());
    } else if constexpr (std::is_same_v<F, std::string>) {
      raw(static_cast<std::uint32_t>(f.size()));
      out_.append(f);
    } else if constexpr (codec::is_counted_array<F>::value) {
      raw(f.count);
      for (std::size_t i = 0; i < f.count; ++i) put(f.items[i]);
    } else if constexpr (is_std_vector<F>::value || is_std_deque<F>::value) {
      raw(static_cast<std::uint32_t>(f.size()));
      for (const auto& item : f) put(item);
    } else if constexpr (is_std_array<F>::value) {
      for (const auto& item : f) put(item);
    } else if constexpr (is_std_optional<F>::value) {
      put(f.has_value());
      if (f) put(*f);
    } else if constexpr (codec::Described<F>) {
      describe(f, [this](std::string_view, const auto& field) { put(field); });
    } else {
      static_assert(sizeof(F) == 0, "no state encoding for this type");
    }
  }
  // Any number of fields, in order.
  template <class... F>
  void operator()(const F&... f) { (put(f), ...); }

  [[nodiscard]] const std::string& bytes() const noexcept { return out_; }
  [[nodiscard]] std::string take() && { return std::move(out_); }

 private:
  template <class I>
  void raw(I v) {
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    out_.append(b, sizeof v);
  }
  std::string out_;
};

class StateReader {
 public:
  // Reads the name tables at the front of `bytes` and maps them onto `names` (the current
  // configuration). A name it lacks is an error only when an id of it is read.
  StateReader(std::string_view bytes, const Directory& names);

  template <class F>
  void get(F& f) {
    if constexpr (std::is_same_v<F, Decimal>) {
      f = Decimal::from_raw(raw<Int128>());
    } else if constexpr (std::is_same_v<F, Int128> || std::is_same_v<F, UInt128>) {
      f = raw<F>();
    } else if constexpr (codec::is_dense_id<F>::value) {
      f.value = map_id(f, raw<typename F::rep_type>());
    } else if constexpr (std::is_same_v<F, bool>) {
      const auto b = raw<std::uint8_t>();
      if (b > 1) fail("a flag is " + std::to_string(b));
      f = b == 1;
    } else if constexpr (std::is_enum_v<F>) {
      const auto v = raw<std::underlying_type_t<F>>();
      if constexpr (NamedEnum<F>) {
        if (static_cast<std::size_t>(v) >= EnumNames<F>::kNames.size()) {
          fail("enum value " + std::to_string(v) + " out of range");
        }
      }
      f = static_cast<F>(v);
    } else if constexpr (std::is_integral_v<F>) {
      f = raw<F>();
    } else if constexpr (codec::is_fixed_string<F>::value) {
      const auto n = raw<std::uint8_t>();
      if (n > F::kCapacity) fail("text of " + std::to_string(n) + " bytes where at most " + std::to_string(F::kCapacity) + " fit");
      if (!ok() || !take(n)) return;
      (void)f.assign(std::string_view(at_ - n, n));
    } else if constexpr (std::is_same_v<F, std::string>) {
      const auto n = raw<std::uint32_t>();
      if (!take(n)) return;
      f.assign(at_ - n, n);
    } else if constexpr (codec::is_counted_array<F>::value) {
      const auto n = raw<std::uint8_t>();
      if (n > f.kCapacity) fail("a list of " + std::to_string(n) + " where at most " + std::to_string(f.kCapacity) + " fit");
      if (!ok()) return;
      f.count = n;
      for (std::size_t i = 0; i < n; ++i) get(f.items[i]);
    } else if constexpr (is_std_vector<F>::value || is_std_deque<F>::value) {
      const auto n = count();
      f.clear();
      if constexpr (is_std_vector<F>::value) f.reserve(n);
      for (std::uint32_t i = 0; i < n && ok(); ++i) get(f.emplace_back());
    } else if constexpr (is_std_array<F>::value) {
      for (auto& item : f) get(item);
    } else if constexpr (is_std_optional<F>::value) {
      bool has = false;
      get(has);
      if (has) get(f.emplace());
      else f.reset();
    } else if constexpr (codec::Described<F>) {
      describe(f, [this](std::string_view, auto& field) { get(field); });
    } else {
      static_assert(sizeof(F) == 0, "no state encoding for this type");
    }
  }
  template <class... F>
  void operator()(F&... f) { (get(f), ...); }

  // A container's count, checked against the bytes left (every item takes at least one byte).
  [[nodiscard]] std::uint32_t count();
  // Records a problem (the first one is kept); `what` names it ("orders[3]: ...").
  void fail(std::string what);
  // Reading stopped at the first problem: reads after it yield zeros.
  [[nodiscard]] bool ok() const noexcept { return !error_; }
  [[nodiscard]] const std::optional<std::string>& error() const noexcept { return error_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - at_); }
  // The bytes were written under exactly these names, each with the same id (a state kept by
  // position -- a vector by id -- reads only then).
  [[nodiscard]] bool same_names(const Directory& names) const;
  // The context named in a later error ("order X"); empty: none.
  void context(std::string c) { context_ = std::move(c); }

 private:
  bool take(std::size_t n);
  template <class I>
  I raw() {
    I v{};
    if (!take(sizeof v)) return I{};
    std::memcpy(&v, at_ - sizeof v, sizeof v);
    return v;
  }
  template <class Id>
  typename Id::rep_type map_id(const Id&, typename Id::rep_type saved);

  const char* at_;
  const char* end_;
  std::optional<std::string> error_;
  std::string context_;
  // Saved id -> current id, by kind; kInvalid where the configuration lacks the name.
  struct Table {
    std::vector<std::string> names;
    std::vector<std::uint32_t> now;
  };
  Table accounts_, strategies_, instruments_;
  static constexpr std::uint32_t kMissing = 0xFFFFFFFFU;
};

template <class Id>
typename Id::rep_type StateReader::map_id(const Id&, typename Id::rep_type saved) {
  if (saved == Id::kInvalid) return Id::kInvalid;
  const Table* t = nullptr;
  const char* kind = "";
  if constexpr (std::is_same_v<Id, AccountId>) {
    t = &accounts_;
    kind = "account";
  } else if constexpr (std::is_same_v<Id, StrategyId>) {
    t = &strategies_;
    kind = "strategy";
  } else {
    static_assert(std::is_same_v<Id, InstrumentId>);
    t = &instruments_;
    kind = "instrument";
  }
  if (saved >= t->names.size()) {
    fail(std::string(kind) + " id " + std::to_string(saved) + " is not in the saved name table");
    return Id::kInvalid;
  }
  if (t->now[saved] == kMissing) {
    fail(std::string(kind) + " '" + t->names[saved] + "' is not in the configuration");
    return Id::kInvalid;
  }
  return static_cast<typename Id::rep_type>(t->now[saved]);
}

}  // namespace oms::actors
