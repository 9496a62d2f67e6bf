// Shared set-up for the venue simulator tests: a spot and a USD-M BTCUSDT, and a seeded
// random order flow used by the determinism and reference-vs-fast tests (and the benchmark).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oms/connectors/sim/venue.hpp"

namespace oms::sim::testing {

inline Decimal d(const char* s) { return *Decimal::parse(s); }

inline Instrument btcusdt(Market m) {
  Instrument ins;
  ins.market = m;
  ins.venue_symbol = "BTCUSDT";
  ins.symbol.base = "BTC";
  ins.symbol.quote = "USDT";
  if (m == Market::kUsdm) ins.symbol.settle = "USDT";
  ins.rules.tick_size = d("0.01");
  ins.rules.min_price = d("0.01");
  ins.rules.max_price = d("1000000");
  ins.rules.step_size = d("0.001");
  ins.rules.min_qty = d("0.001");
  ins.rules.max_qty = d("1000");
  return ins;
}

inline NewOrder limit(ApiKeyId a, Side side, const char* qty, const char* price, SimTif tif = SimTif::kGtc) {
  NewOrder o;
  o.account = a;
  o.side = side;
  o.type = SimOrderType::kLimit;
  o.tif = tif;
  o.quantity = d(qty);
  o.price = d(price);
  return o;
}
inline NewOrder market(ApiKeyId a, Side side, const char* qty) {
  NewOrder o;
  o.account = a;
  o.side = side;
  o.type = SimOrderType::kMarket;
  o.quantity = d(qty);
  return o;
}

// A seeded flow of limit / market / cancel requests from a few accounts against a random
// walk background; every answer and report is appended to `log` (as text, to compare).
struct FlowResult {
  std::vector<ExecutionReport> reports;
  std::vector<AccountUpdate> updates;
  std::vector<int> errors;
  std::size_t orders = 0;
};

inline std::uint64_t mix(std::uint64_t& s) {  // splitmix64
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Runs `steps` requests; when keep is false the outbox is cleared after each request (the
// benchmark), else collected into the result.
inline FlowResult run_flow(Venue& v, std::uint64_t seed, std::size_t steps, bool keep) {
  FlowResult res;
  const bool fut = v.market() == Market::kUsdm;
  const SymbolIndex s = v.add_instrument(btcusdt(v.market()));
  constexpr ApiKeyId kAccounts = 4;
  Outbox out;
  for (ApiKeyId a = 0; a < kAccounts; ++a) {
    (void)v.add_account({"key" + std::to_string(a), d("0.0002"), d("0.0004")});
    (void)v.deposit(a, "USDT", d("100000000"), 0, out);
    if (!fut) (void)v.deposit(a, "BTC", d("100000"), 0, out);
  }
  RandomWalk walk({d("60000"), d("0.01"), d("0.001"), 500, 10, seed});
  std::uint64_t rng = seed ^ 0x5eedULL;
  TimeNs now = 1'700'000'000'000'000'000;
  std::vector<std::int64_t> ids;
  for (std::size_t k = 0; k < steps; ++k) {
    now += 1000;
    const std::uint64_t r = mix(rng);
    if (k % 16 == 0) {
      auto st = walk.next();
      v.on_snapshot(s, st.book, now, out);
      v.on_trade(s, st.trade, now, out);
    }
    const auto a = static_cast<ApiKeyId>(r % kAccounts);
    const Side side = (r >> 8) % 2 == 0 ? Side::kBuy : Side::kSell;
    const auto ticks = static_cast<std::int64_t>((r >> 16) % 41) - 20;  // +/- 20 ticks from the mid
    const Decimal price = Decimal::from_raw(walk.mid().raw() + ticks * 10'000'000);  // 0.01
    const Decimal qty = Decimal::from_raw(static_cast<std::int64_t>(1 + (r >> 24) % 50) * 1'000'000);  // 0.001
    const unsigned kind = static_cast<unsigned>((r >> 32) % 10);
    if (kind < 2 && !ids.empty()) {
      const std::int64_t id = ids[(r >> 40) % ids.size()];
      auto c = v.cancel(a, s, OrderRef{id, {}}, now, out);
      if (!c.ok()) res.errors.push_back(c.error().code);
      continue;
    }
    NewOrder o;
    o.account = a;
    o.symbol = s;
    o.side = side;
    o.quantity = qty;
    if (kind < 8) {
      o.type = SimOrderType::kLimit;
      o.price = price;
      o.tif = kind == 7 ? SimTif::kIoc : SimTif::kGtc;
    } else {
      o.type = SimOrderType::kMarket;
    }
    auto p = v.place(o, now, out);
    ++res.orders;
    if (p.ok()) {
      ids.push_back(p.value().order_id);
    } else {
      res.errors.push_back(p.error().code);
    }
    if (keep) {
      res.reports.insert(res.reports.end(), out.reports.begin(), out.reports.end());
      res.updates.insert(res.updates.end(), out.account_updates.begin(), out.account_updates.end());
    }
    out.clear();
  }
  return res;
}

}  // namespace oms::sim::testing
