// Random events and commands for property tests and benchmarks: every field of every kind
// filled through OMS_DESCRIBE, so a new message or field is covered without editing this.
#pragma once

#include <random>

#include "oms/messages/codec.hpp"
#include "oms/messages/traits.hpp"

namespace oms::testkit {

// A directory with a few accounts, strategies and instruments.
Directory sample_directory();

class RandomMessages {
 public:
  RandomMessages(std::uint64_t seed, const Directory& dir) : rng_(seed), dir_(dir) {}

  // An event of the given kind (index into EventPayload), every field random.
  Event event(std::size_t kind);
  Command command(std::size_t kind);
  Event event() { return event(pick(std::variant_size_v<EventPayload>)); }
  Command command() { return command(pick(std::variant_size_v<CommandPayload>)); }

  template <class F>
  void fill(F& f) {
    using namespace codec;
    if constexpr (std::is_same_v<F, Decimal>) {
      f = Decimal::from_raw(decimal_raw());
    } else if constexpr (std::is_same_v<F, AccountId>) {
      f = id<AccountId>(dir_.accounts.size());
    } else if constexpr (std::is_same_v<F, StrategyId>) {
      f = id<StrategyId>(dir_.strategies.size());
    } else if constexpr (std::is_same_v<F, InstrumentId>) {
      f = id<InstrumentId>(dir_.instruments.size());
    } else if constexpr (std::is_same_v<F, bool>) {
      f = (rng_() & 1) != 0;
    } else if constexpr (std::is_enum_v<F>) {
      f = static_cast<F>(pick(EnumNames<F>::kNames.size()));
    } else if constexpr (std::is_integral_v<F>) {
      f = static_cast<F>(rng_());
    } else if constexpr (is_fixed_string<F>::value) {
      (void)f.assign(text(F::kCapacity));
    } else if constexpr (is_counted_array<F>::value) {
      f.count = static_cast<std::uint8_t>(pick(F::kCapacity + 1));
      for (std::size_t i = 0; i < f.count; ++i) fill(f.items[i]);
    } else {
      describe(f, [this](std::string_view, auto& field) { fill(field); });
    }
  }

 private:
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  std::int64_t decimal_raw();
  std::string text(std::size_t capacity);
  template <class Id>
  Id id(std::size_t n) {
    if (pick(8) == 0) return Id{};
    return Id(static_cast<typename Id::rep_type>(pick(n)));
  }

  std::mt19937_64 rng_;
  const Directory& dir_;
};

}  // namespace oms::testkit
