// plan_split: the smart order router's split decision (smart_router.hpp says the rules).
#include <algorithm>
#include <array>
#include <limits>

#include "oms/cores/smart_router.hpp"

namespace oms::actors {

namespace {

constexpr Int128 kOne = Decimal::kOne;
constexpr Int128 kBpsDenominator = 10'000;

// Floors a positive raw quantity to the step (zero step: as is).
Int128 floor_to_step(Int128 raw, Decimal step) noexcept {
  if (!step.is_positive()) return raw;
  return raw - raw % step.raw();
}

// Rounds a raw price to the step away from the book (buy up, sell down).
Int128 tick_out(Int128 raw, Decimal tick, Side side) noexcept {
  if (!tick.is_positive()) return raw;
  const Int128 r = raw % tick.raw();
  if (r == 0) return raw;
  return side == Side::kBuy ? raw - r + tick.raw() : raw - r;
}

bool beyond_limit(Int128 price, const SorParent& p) noexcept {
  if (!p.limit_price.is_positive()) return false;
  return p.side == Side::kBuy ? price > p.limit_price.raw() : price < p.limit_price.raw();
}

Unexpected<SorRefusal> refuse(SorError code, std::string why) {
  return Unexpected{SorRefusal{code, std::move(why)}};
}

// A venue's walk: its head level and its accounts' children as they grow.
struct AccountRun {
  std::uint8_t index = 0;  // in SorVenue::accounts
  bool full = false;       // a cap is reached: it takes nothing deeper
  bool excluded = false;   // dropped under the venue's minimum (later passes)
  Int128 qty = 0, notional_e18 = 0;
  std::uint16_t levels = 0;
};

struct VenueRun {
  std::size_t next = 0;  // the level after the head
  bool done = false;
  Int128 price = 0, effective = 0, left = 0;  // the head level
  Int128 limit = 0, worst = 0;                // the children's limit and deepest level so far
  Int128 buy_factor = 0, sell_factor = 0;     // 1 + fee, 1 - fee
  std::size_t accounts = 0;
  std::array<AccountRun, kMaxSorAccounts> acc{};
};

// The child's limit at a level price: moved by urgency, to the tick away from the book, never
// through the parent's limit.
Int128 child_limit(Int128 price, const SorParent& p, Decimal tick) noexcept {
  const Int128 factor = p.side == Side::kBuy ? kBpsDenominator + p.urgency_bps
                                             : kBpsDenominator - p.urgency_bps;
  Int128 moved = price;
  if (p.urgency_bps != 0) {
    // Cannot fail: a level price times at most 1.1.
    (void)mul_div(price, factor, kBpsDenominator,
                  p.side == Side::kBuy ? Rounding::kCeiling : Rounding::kFloor, moved);
  }
  moved = tick_out(moved, tick, p.side);
  if (p.limit_price.is_positive()) {
    moved = p.side == Side::kBuy ? std::min(moved, p.limit_price.raw()) : std::max(moved, p.limit_price.raw());
  }
  return moved;
}

// The most an account's child may hold at limit price `limit` (raw quantity); negative: none.
Int128 account_cap(const SorAccount& a, const VenueRun& v, Int128 limit, Side side) noexcept {
  Int128 cap = a.max_qty.is_positive() ? a.max_qty.raw() : std::numeric_limits<Int128>::max();
  Int128 q = 0;
  if (a.max_notional.is_positive() && limit > 0 && mul_div(a.max_notional.raw(), kOne, limit, Rounding::kFloor, q)) {
    cap = std::min(cap, q);
  }
  if (side == Side::kSell) return std::min(cap, a.free.raw());
  // Buy: quote for quantity x limit x (1 + fee), the unit cost rounded up.
  Int128 unit = 0;
  if (!mul_div(limit, v.buy_factor, kOne, Rounding::kCeiling, unit) || unit <= 0) return -1;
  if (!mul_div(a.free.raw(), kOne, unit, Rounding::kFloor, q)) return -1;
  return std::min(cap, q);
}

// Loads the venue's next usable level as its head; done when none is left within the limit.
bool load_head(VenueRun& r, const SorVenue& v, const SorParent& p) noexcept {
  while (r.next < v.levels.size()) {
    const PriceLevel& l = v.levels[r.next++];
    if (!l.price.is_positive() || !l.quantity.is_positive()) continue;
    if (beyond_limit(l.price.raw(), p)) break;
    r.price = l.price.raw();
    r.left = l.quantity.raw();
    const bool buy = p.side == Side::kBuy;
    if (!mul_div(r.price, buy ? r.buy_factor : r.sell_factor, kOne,
                 buy ? Rounding::kCeiling : Rounding::kFloor, r.effective)) {
      return false;
    }
    return true;
  }
  r.done = true;
  return true;
}

// Every child of the venue goes at the venue's limit (so the order in which the venue gets
// them does not matter): the accounts that already took must fit under a deeper one.
bool limit_fits(const VenueRun& r, const SorVenue& v, Int128 limit, Side side) noexcept {
  for (std::size_t k = 0; k < r.accounts; ++k) {
    const AccountRun& a = r.acc[k];
    if (a.qty > 0 && account_cap(v.accounts[a.index], r, limit, side) < a.qty) return false;
  }
  return true;
}

bool better(const VenueRun& a, const VenueRun& b, Side side) noexcept {
  return side == Side::kBuy ? a.effective < b.effective : a.effective > b.effective;
}

// One walk over the merged book; false on an overflow.
bool walk(const SorParent& p, std::span<const SorVenue> venues, std::span<VenueRun> runs) {
  Int128 remaining = p.quantity.raw();
  std::size_t children = 0;  // accounts that took something
  const std::size_t max_children = p.max_children == 0 ? std::numeric_limits<std::size_t>::max() : p.max_children;
  for (std::size_t i = 0; i < venues.size(); ++i) {
    VenueRun& r = runs[i];
    r.next = 0;
    r.done = r.accounts == 0;
    r.limit = r.worst = 0;
    for (std::size_t k = 0; k < r.accounts; ++k) {
      AccountRun& a = r.acc[k];
      const SorAccount& sa = venues[i].accounts[a.index];
      a.full = a.excluded || sa.orders_left == 0;
      a.qty = a.notional_e18 = 0;
      a.levels = 0;
    }
    if (!r.done && !load_head(r, venues[i], p)) return false;
  }
  while (remaining > 0) {
    std::size_t best = venues.size();
    for (std::size_t i = 0; i < venues.size(); ++i) {
      if (runs[i].done) continue;
      if (best == venues.size() || better(runs[i], runs[best], p.side)) best = i;  // ties: first
    }
    if (best == venues.size()) break;
    VenueRun& r = runs[best];
    const SorVenue& v = venues[best];
    const Int128 limit = child_limit(r.price, p, v.rules.tick);
    if (limit != r.limit && !limit_fits(r, v, limit, p.side)) {
      r.done = true;  // deeper, an account's child already out would break a cap
      continue;
    }
    bool any_open = false;
    for (std::size_t k = 0; k < r.accounts && r.left > 0 && remaining > 0; ++k) {
      AccountRun& a = r.acc[k];
      if (a.full || (a.qty == 0 && children >= max_children)) continue;
      const Int128 room = account_cap(v.accounts[a.index], r, limit, p.side) - a.qty;
      if (room <= 0) {
        a.full = true;
        continue;
      }
      any_open = true;
      const Int128 want = std::min({r.left, remaining, room});
      const Int128 x = floor_to_step(a.qty + want, v.rules.lot) - a.qty;
      if (x <= 0) continue;  // under one lot: the level's rest is for another account or venue
      Int128 n = 0;
      if (__builtin_mul_overflow(r.price, x, &n) || __builtin_add_overflow(a.notional_e18, n, &a.notional_e18)) {
        return false;
      }
      if (a.qty == 0) ++children;
      a.qty += x;
      r.worst = r.price;
      r.limit = limit;
      ++a.levels;
      r.left -= x;
      remaining -= x;
    }
    if (!any_open) {
      bool open = false;
      for (std::size_t k = 0; k < r.accounts; ++k) open = open || !r.acc[k].full;
      if (!open) {
        r.done = true;
        continue;
      }
    }
    if (!load_head(r, v, p)) return false;
  }
  return true;
}

}  // namespace

Decimal SorPlan::avg_price() const noexcept {
  if (!planned.is_positive()) return {};
  return Decimal::from_raw(notional_e18 / planned.raw());
}

Result<Unit, SorRefusal> plan_split(const SorParent& parent, std::span<const SorVenue> venues,
                                    SorPlan& out) {
  out.children.clear();
  out.planned = {};
  out.left = parent.quantity;
  out.notional_e18 = 0;
  out.cost = {};
  out.passes = 0;
  if (!parent.quantity.is_positive()) {
    return refuse(SorError::kBadQuantity, "quantity: " + parent.quantity.to_string() + " is not positive");
  }
  if (parent.limit_price.is_negative()) {
    return refuse(SorError::kBadLimit, "limit_price: " + parent.limit_price.to_string() + " is negative");
  }
  if (parent.urgency_bps > kMaxUrgencyBps) {
    return refuse(SorError::kBadUrgency, "urgency: " + std::to_string(parent.urgency_bps) +
                                             " bp is above " + std::to_string(kMaxUrgencyBps));
  }
  if (venues.size() > kMaxSorVenues) {
    return refuse(SorError::kTooManyVenues, "venues: " + std::to_string(venues.size()) + " > " +
                                                std::to_string(kMaxSorVenues));
  }
  std::array<VenueRun, kMaxSorVenues> runs;
  for (std::size_t i = 0; i < venues.size(); ++i) {
    const SorVenue& v = venues[i];
    if (v.taker_fee.is_negative() || v.taker_fee.raw() >= kOne) {
      return refuse(SorError::kBadFee, "venues[" + std::to_string(i) + "].taker_fee: " +
                                           v.taker_fee.to_string() + " is outside [0, 1)");
    }
    if (v.accounts.size() > kMaxSorAccounts) {
      return refuse(SorError::kTooManyVenues, "venues[" + std::to_string(i) + "].accounts: " +
                                                  std::to_string(v.accounts.size()) + " > " +
                                                  std::to_string(kMaxSorAccounts));
    }
    VenueRun& r = runs[i];
    r.buy_factor = kOne + v.taker_fee.raw();
    r.sell_factor = kOne - v.taker_fee.raw();
    r.accounts = v.accounts.size();
    // The account router's order: most orders left, then most free balance, then as listed.
    for (std::size_t k = 0; k < r.accounts; ++k) r.acc[k] = AccountRun{static_cast<std::uint8_t>(k)};
    std::stable_sort(r.acc.begin(), r.acc.begin() + static_cast<std::ptrdiff_t>(r.accounts),
                     [&](const AccountRun& a, const AccountRun& b) {
                       const SorAccount& x = v.accounts[a.index];
                       const SorAccount& y = v.accounts[b.index];
                       if (x.orders_left != y.orders_left) return x.orders_left > y.orders_left;
                       return x.free > y.free;
                     });
  }
  const auto span_runs = std::span<VenueRun>(runs.data(), venues.size());
  // A child under its venue's minimum drops its account and the walk runs again.
  for (;;) {
    ++out.passes;
    if (!walk(parent, venues, span_runs)) return refuse(SorError::kOverflow, "a level's notional overflows");
    bool dropped = false;
    for (std::size_t i = 0; i < venues.size(); ++i) {
      const AlgoRules& rules = venues[i].rules;
      for (std::size_t k = 0; k < runs[i].accounts; ++k) {
        AccountRun& a = runs[i].acc[k];
        if (a.qty <= 0) continue;
        Int128 at_limit = 0;
        const bool small_qty = rules.min_qty.is_positive() && a.qty < rules.min_qty.raw();
        const bool small_notional = rules.min_notional.is_positive() &&
                                    (!mul_div(a.qty, runs[i].limit, kOne, Rounding::kFloor, at_limit) ||
                                     at_limit < rules.min_notional.raw());
        if (small_qty || small_notional) {
          a.excluded = true;
          dropped = true;
        }
      }
    }
    if (!dropped) break;
  }
  for (std::size_t i = 0; i < venues.size(); ++i) {
    const SorVenue& v = venues[i];
    const VenueRun& r = runs[i];
    // Children in the order the walk served the venue's accounts (the router's order).
    for (std::size_t k = 0; k < r.accounts; ++k) {
      const AccountRun& a = r.acc[k];
      if (a.qty <= 0) continue;
      const SorAccount& sa = v.accounts[a.index];
      SorChild c;
      c.venue = static_cast<std::uint16_t>(i);
      c.account = sa.account;
      c.instrument = sa.instrument;
      c.quantity = Decimal::from_raw(a.qty);
      c.limit_price = Decimal::from_raw(r.limit);
      c.worst_price = Decimal::from_raw(r.worst);
      c.notional_e18 = a.notional_e18;
      const bool buy = parent.side == Side::kBuy;
      Int128 cost = 0;
      if (!mul_div(a.notional_e18, buy ? r.buy_factor : r.sell_factor, kOne * kOne,
                   buy ? Rounding::kCeiling : Rounding::kFloor, cost)) {
        return refuse(SorError::kOverflow, "a child's cost overflows");
      }
      c.cost = Decimal::from_raw(cost);
      c.levels = a.levels;
      out.planned = Decimal::from_raw(out.planned.raw() + a.qty);
      out.notional_e18 += a.notional_e18;
      out.cost = Decimal::from_raw(out.cost.raw() + cost);
      out.children.push_back(c);
    }
  }
  out.left = Decimal::from_raw(parent.quantity.raw() - out.planned.raw());
  if (out.children.empty()) {
    return refuse(SorError::kNothingRoutable,
                  "no level within the limit that an account with budget and balance can take");
  }
  return Unit{};
}

}  // namespace oms::actors
