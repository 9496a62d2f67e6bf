// RiskLimitTable: the pre-trade limits and kill switches, global -> account -> strategy ->
// instrument, as atomics that operators (any thread) change while the hot path reads them.
//
// Threading: every limit is one independent std::atomic<std::int64_t> and every kill switch
// one std::atomic<std::uint8_t>. Nothing else is published with a limit (no pointer, no
// second field that must be read together), so every access is memory_order_relaxed: the
// atomic rules out torn values, and coherence makes a store visible to the next loads of the
// same location within a bounded (in practice sub-microsecond) delay. A change of several
// limits is observed one limit at a time; each limit is meaningful on its own.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>

#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"

namespace oms::actors {

// Risk rejection codes, range 2xxx (STYLE.md "Errors").
enum class RiskCode : std::uint16_t {
  kPassed = 0,
  kKillSwitchHalted = 2001,
  kReducingOnly = 2002,      // kill switch reducing-only, or reduce_only flag on an increasing order
  kOrderNotional = 2003,
  kOrderQuantity = 2004,
  kPosition = 2005,
  kGrossExposure = 2006,
  kNetExposure = 2007,
  kLeverage = 2008,
  kPriceBand = 2009,
  kOpenOrders = 2010,
  kOrderRate = 2011,
  kDailyLoss = 2012,
  kConsecutiveLosses = 2013,
  kOverflow = 2014,          // a product or sum left the Decimal range: fail closed
  kUnknownId = 2015,         // account, strategy or instrument beyond the sizes given
  kInvalidOrder = 2016,      // quantity <= 0, negative price, or no price at all
  kNoReferencePrice = 2017,  // a price band is set but the order carries no reference price
  kSelfTrade = 2018,         // it would trade against a resting order of ours (SelfTradeGuard)
  kNoQuoteRate = 2019,       // the instrument's quote has no USDT rate yet (RiskCore::QuoteSource)
  kVenueRule = 2020,         // breaks the venue's trading rules (RiskDecision::rule says which)
};
[[nodiscard]] std::string_view to_string(RiskCode c) noexcept;

// LimitKind (messages/enums.hpp): what a limit bounds, and how its int64 is read.
using oms::LimitKind;
inline constexpr std::size_t kLimitKindCount = 11;
inline constexpr std::size_t kScopeCount = 4;

// No limit: the largest int64. Amounts go beyond it (128-bit Decimals), so the checks test for it.
inline constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();
// The largest limit one can set, as a Decimal: the int64 below kNoLimit at 1e-9.
inline constexpr Decimal kMaxLimit = Decimal::from_raw(kNoLimit - 1);

// Which scope a kind applies at. Position state exists per account x instrument, exposure
// and equity per account (and their sums), realized PnL per strategy but not per instrument.
// clang-format off
inline constexpr std::array<std::array<bool, kScopeCount>, kLimitKindCount> kLimitApplies{{
  //  global account strategy instrument
    {{true,  true,   true,    true }},  // order notional
    {{true,  true,   true,    true }},  // order quantity
    {{true,  true,   false,   true }},  // position
    {{true,  true,   false,   false}},  // gross exposure
    {{true,  true,   false,   false}},  // net exposure
    {{true,  true,   false,   false}},  // leverage
    {{true,  true,   true,    true }},  // price band
    {{true,  true,   true,    true }},  // open orders
    {{true,  true,   true,    true }},  // order rate
    {{true,  true,   true,    false}},  // daily loss (strategy: realized only)
    {{true,  true,   true,    false}},  // consecutive losses
}};
// clang-format on
[[nodiscard]] constexpr bool limit_applies(LimitKind k, LimitScope s) noexcept {
  return kLimitApplies[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)];
}

class RiskLimitTable {
 public:
  // One limit set per account, strategy and instrument (dense ids), plus the global one.
  // Every limit starts at kNoLimit, every kill switch at kActive.
  RiskLimitTable(std::size_t accounts, std::size_t strategies, std::size_t instruments);
  RiskLimitTable(const RiskLimitTable&) = delete;
  RiskLimitTable& operator=(const RiskLimitTable&) = delete;

  // Any thread. False (and nothing changed) when the kind does not apply at the scope, the id
  // is out of range, or the value is negative. id is ignored for kGlobal.
  [[nodiscard]] bool set(LimitScope scope, std::uint32_t id, LimitKind kind,
                         std::int64_t raw) noexcept;
  // A limit is one int64 of Decimal raw (1e-9), so at most kMaxLimit (9,223,372,036.85 units
  // or USDT); a larger value is refused (false), never cut. Amounts themselves go further.
  [[nodiscard]] bool set(LimitScope scope, std::uint32_t id, LimitKind kind,
                         Decimal value) noexcept {
    if (value.raw() > kNoLimit - 1 || value.raw() < 0) return false;
    return set(scope, id, kind, static_cast<std::int64_t>(value.raw()));
  }
  [[nodiscard]] bool clear(LimitScope scope, std::uint32_t id, LimitKind kind) noexcept {
    return set(scope, id, kind, kNoLimit);
  }
  // Kill switches exist at global, account and strategy scope (false for instrument).
  [[nodiscard]] bool set_kill_switch(LimitScope scope, std::uint32_t id,
                                     KillSwitchState state) noexcept;

  // Any thread; kNoLimit / kActive for an id out of range.
  [[nodiscard]] std::int64_t get(LimitScope scope, std::uint32_t id,
                                 LimitKind kind) const noexcept;
  [[nodiscard]] KillSwitchState kill_switch(LimitScope scope, std::uint32_t id) const noexcept;

  [[nodiscard]] std::size_t accounts() const noexcept { return sizes_[1]; }
  [[nodiscard]] std::size_t strategies() const noexcept { return sizes_[2]; }
  [[nodiscard]] std::size_t instruments() const noexcept { return sizes_[3]; }

  // Hot path: the limit set of one scope entry, read with load(relaxed) (see top of file).
  struct alignas(64) LimitSet {
    std::array<std::atomic<std::int64_t>, kLimitKindCount> limits;
    std::atomic<std::uint8_t> kill_switch;
    [[nodiscard]] std::int64_t load(LimitKind k) const noexcept {
      // relaxed: an independent scalar, nothing published with it (top of file).
      return limits[static_cast<std::size_t>(k)].load(std::memory_order_relaxed);
    }
    [[nodiscard]] KillSwitchState load_kill_switch() const noexcept {
      // relaxed: as above; the next check after the store sees it (coherence).
      return static_cast<KillSwitchState>(kill_switch.load(std::memory_order_relaxed));
    }
  };
  // The set of (scope, id); id must be in range (global: any id).
  [[nodiscard]] const LimitSet& at(LimitScope scope, std::uint32_t id) const noexcept {
    return sets_[static_cast<std::size_t>(scope)][scope == LimitScope::kGlobal ? 0 : id];
  }

 private:
  [[nodiscard]] LimitSet* find(LimitScope scope, std::uint32_t id) const noexcept;

  std::array<std::size_t, kScopeCount> sizes_{};
  std::array<std::unique_ptr<LimitSet[]>, kScopeCount> sets_;
};

}  // namespace oms::actors
