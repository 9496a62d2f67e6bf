// Identifiers: dense small integers, interned once at config load. Strings live only at the
// edges (configs, venues, APIs); inside, an account switch is an array index.
#pragma once

#include <compare>
#include <functional>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oms {

// Venues we have connectors for. A closed set: adding a venue adds code, not config.
enum class ExchangeId : std::uint8_t { kBinance = 0, kBybit = 1, kOkx = 2, kUpbit = 3 };
inline constexpr std::size_t kExchangeCount = 4;

// Product lines of a venue: which API and which settlement.
enum class Market : std::uint8_t {
  kSpot = 0,
  kUsdm = 1,   // linear (USDT/USDC-margined) perpetuals and deliveries
  kCoinm = 2,  // inverse (coin-margined); later
};
inline constexpr std::size_t kMarketCount = 3;

// Wire/config names: "binance", "bybit", "okx", "upbit"; "spot", "usdm", "coinm".
[[nodiscard]] std::string_view to_string(ExchangeId e) noexcept;
[[nodiscard]] std::string_view to_string(Market m) noexcept;
[[nodiscard]] std::optional<ExchangeId> parse_exchange(std::string_view s) noexcept;
[[nodiscard]] std::optional<Market> parse_market(std::string_view s) noexcept;

// A strongly typed dense index. Value kInvalid means "none".
template <class Tag, class Rep>
struct DenseId {
  using rep_type = Rep;
  static constexpr Rep kInvalid = static_cast<Rep>(~Rep{0});
  Rep value = kInvalid;

  constexpr DenseId() noexcept = default;
  constexpr explicit DenseId(Rep v) noexcept : value(v) {}
  [[nodiscard]] constexpr bool valid() const noexcept { return value != kInvalid; }
  [[nodiscard]] constexpr std::size_t index() const noexcept { return value; }
  friend constexpr auto operator<=>(DenseId, DenseId) noexcept = default;
};

using AccountId = DenseId<struct AccountTag, std::uint16_t>;
using StrategyId = DenseId<struct StrategyTag, std::uint16_t>;
using InstrumentId = DenseId<struct InstrumentTag, std::uint32_t>;

// Maps names to dense ids in order of first appearance, and back. Built at config load,
// read-only afterwards (lookups by name are for the edges).
template <class Id>
class Interner {
 public:
  // Returns the id of name, adding it if new; nullopt when the id space is full.
  std::optional<Id> intern(std::string_view name) {
    if (auto it = by_name_.find(name); it != by_name_.end()) return it->second;
    if (names_.size() >= Id::kInvalid) return std::nullopt;
    Id id(static_cast<typename Id::rep_type>(names_.size()));
    names_.emplace_back(name);
    by_name_.emplace(names_.back(), id);
    return id;
  }
  [[nodiscard]] std::optional<Id> find(std::string_view name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
  }
  // The name of a valid id of this interner.
  [[nodiscard]] const std::string& name(Id id) const { return names_.at(id.index()); }
  [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }

 private:
  struct Hash {
    using is_transparent = void;  // find(string_view) without building a std::string
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, Id, Hash, std::equal_to<>> by_name_;
};

}  // namespace oms
