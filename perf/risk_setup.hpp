// The risk benchmarks' desk: 200 accounts x 10 strategies x 50 instruments, limits at every
// scope, positions held, and a rotating set of passing orders (shared by risk_bench and
// pipeline_bench, so both measure the same load).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "oms/cores/risk_core.hpp"

namespace oms::perf::desk {

using oms::Decimal;
using oms::LimitScope;
using oms::actors::LimitKind;
using oms::actors::OrderRequest;
using oms::actors::RiskCore;

inline constexpr std::size_t kAccounts = 200, kStrategies = 10, kInstruments = 50;
inline constexpr std::size_t kOrders = 4096;  // a power of two: index with a mask
inline constexpr std::uint32_t kSeed = 20240611;
inline constexpr std::int64_t kOne = Decimal::kOne;
// 10 us between orders: 100k orders/s, the seed's order rate.
inline constexpr oms::TimeNs kOrderGapNs = 10'000;

inline Decimal units(std::int64_t n) { return Decimal::from_raw(Int128{n} * kOne); }

// Loose enough that the rotating orders always pass, tight enough that none is "no limit".
inline void set_limits(RiskCore& core) {
  auto& l = core.limits();
  const auto all = [&](LimitScope scope, std::size_t count) {
    for (std::uint32_t id = 0; id < count; ++id) {
      bool ok = l.set(scope, id, LimitKind::kOrderNotional, units(1'000'000));
      ok = ok && l.set(scope, id, LimitKind::kOrderQuantity, units(1'000));
      ok = ok && l.set(scope, id, LimitKind::kPriceBandBps, units(500));
      ok = ok && l.set(scope, id, LimitKind::kOpenOrders, 1'000'000);
      ok = ok && l.set(scope, id, LimitKind::kOrderRate, 1'000'000);
      if (scope != LimitScope::kStrategy) {
        ok = ok && l.set(scope, id, LimitKind::kPosition, units(1'000'000));
      }
      if (scope == LimitScope::kGlobal || scope == LimitScope::kAccount) {
        // A limit is at most ~9.2e9 (one int64 at 1e-9): 5e9 USDT, loose for these books.
        ok = ok && l.set(scope, id, LimitKind::kGrossExposure, units(5'000'000'000));
        ok = ok && l.set(scope, id, LimitKind::kNetExposure, units(5'000'000'000));
        ok = ok && l.set(scope, id, LimitKind::kLeverage, units(100));
      }
      if (scope != LimitScope::kInstrument) {
        ok = ok && l.set(scope, id, LimitKind::kDailyLoss, units(1'000'000'000));
        ok = ok && l.set(scope, id, LimitKind::kConsecutiveLosses, 1'000'000);
      }
      if (!ok) std::abort();
    }
  };
  all(LimitScope::kGlobal, 1);
  all(LimitScope::kAccount, kAccounts);
  all(LimitScope::kStrategy, kStrategies);
  all(LimitScope::kInstrument, kInstruments);
}

// Equity, marks and a position in every account x instrument, so exposure sums are real.
inline void hold_positions(RiskCore& core, std::mt19937& rng) {
  for (std::uint16_t a = 0; a < kAccounts; ++a) {
    if (!core.set_equity(oms::AccountId(a), units(100'000'000))) std::abort();
  }
  for (std::uint32_t i = 0; i < kInstruments; ++i) {
    if (!core.on_mark(oms::InstrumentId(i), units(100 + i))) std::abort();
    for (std::uint16_t a = 0; a < kAccounts; ++a) {
      oms::actors::RiskFill f;
      f.account = oms::AccountId(a);
      f.strategy = oms::StrategyId(static_cast<std::uint16_t>(rng() % kStrategies));
      f.instrument = oms::InstrumentId(i);
      f.side = rng() % 2 == 0 ? oms::Side::kBuy : oms::Side::kSell;
      f.price = units(100 + i);
      f.quantity = units(1 + static_cast<std::int64_t>(rng() % 50));
      if (!core.on_fill(f)) std::abort();
    }
  }
}

inline std::vector<OrderRequest> orders(std::mt19937& rng) {
  std::vector<OrderRequest> out;
  out.reserve(kOrders);
  for (std::size_t k = 0; k < kOrders; ++k) {
    OrderRequest o;
    o.account = oms::AccountId(static_cast<std::uint16_t>(rng() % kAccounts));
    o.strategy = oms::StrategyId(static_cast<std::uint16_t>(rng() % kStrategies));
    const std::uint32_t instrument = static_cast<std::uint32_t>(rng() % kInstruments);
    o.instrument = oms::InstrumentId(instrument);
    o.side = rng() % 2 == 0 ? oms::Side::kBuy : oms::Side::kSell;
    o.reference = units(100 + instrument);
    // Within 1 % of the reference in 0.01 ticks: buys below it, sells above it, so no order of
    // the set trades against another (the engine refuses an order crossing one of ours).
    const auto away = static_cast<std::int64_t>(1 + rng() % 100);
    const auto ticks = o.side == oms::Side::kBuy ? -away : away;
    o.price = Decimal::from_raw(o.reference.raw() + ticks * (100 + instrument) * kOne / 10'000);
    o.quantity = Decimal::from_raw(static_cast<std::int64_t>(1 + rng() % 1000) * kOne / 100);
    out.push_back(o);
  }
  return out;
}

}  // namespace oms::perf::desk
