// FollowFeed: the followers' background as the first's, shifted by a basis (follow_feed.hpp).
#include "follow_feed.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace oms::venue_sim {

namespace {

void apply(std::map<Int128, Int128>& side, const std::vector<sim::PriceQty>& levels) {
  for (const auto& l : levels) {
    if (l.qty.is_zero()) side.erase(l.price.raw());
    else side[l.price.raw()] = l.qty.raw();
  }
}
}  // namespace

FollowFeed::FollowFeed(LiquiditySink& first, LiquiditySink& second, std::vector<Instrument> second_instruments,
                       std::int64_t basis_bps)
    : first_(first) {
  add(second, std::move(second_instruments), basis_bps);
}

void FollowFeed::add(LiquiditySink& follower, std::vector<Instrument> instruments, std::int64_t basis_bps, Rename rename) {
  std::lock_guard lk(mutex_);
  auto f = std::make_unique<Follower>();
  f->sink = &follower;
  f->instruments = std::move(instruments);
  f->basis_bps = basis_bps;
  f->rename = std::move(rename);
  for (const auto& in : f->instruments) f->follows[{in.market, in.venue_symbol}] = Follow{&in, std::nullopt, {}, {}};
  followers_.push_back(std::move(f));
}

void FollowFeed::add(LiquiditySink& follower, std::vector<Instrument> instruments, Conversion conversion, Rename rename) {
  if (!conversion.multiplier.is_positive() || !conversion.tick_at)
    throw std::invalid_argument("FollowFeed: a conversion needs a positive multiplier and a tick table");
  std::lock_guard lk(mutex_);
  auto f = std::make_unique<Follower>();
  f->sink = &follower;
  f->instruments = std::move(instruments);
  f->rename = std::move(rename);
  f->conversion = std::move(conversion);
  for (const auto& in : f->instruments) {
    f->follows[{in.market, in.venue_symbol}] = Follow{&in, std::nullopt, {}, {}, &*f->conversion};
  }
  followers_.push_back(std::move(f));
}

namespace {
// The follower's price of a recorded one through a conversion: price x multiplier, to the tick at
// that price (bids down, asks up).
Int128 converted(const FollowFeed::Conversion& c, Int128 price, Side side) {
  const Int128 q = price * c.multiplier.raw();  // scale 1e18
  const auto at = Decimal::from_raw(q / Decimal::kOne);
  const Int128 tick = c.tick_at(at.is_positive() ? at : Decimal::from_raw(1)).raw();
  const Int128 unit = tick * Decimal::kOne;
  const Int128 n = side == Side::kBuy ? q / unit : (q + unit - 1) / unit;
  return n * tick;
}
}  // namespace

FollowFeed::Follow* FollowFeed::find(Follower& f, Market m, std::string_view symbol, std::string& name) {
  if (f.rename) {
    const auto n = f.rename(m, symbol);
    if (!n) return nullptr;
    name = *n;
  } else {
    name = std::string(symbol);
  }
  const auto it = f.follows.find(std::pair{m, name});
  return it == f.follows.end() ? nullptr : &it->second;
}

Int128 FollowFeed::tick_of(const Follow& f, Int128 price, Side side) {
  if (f.conversion != nullptr) return converted(*f.conversion, price, side);
  const Int128 tick = f.instrument->rules.tick_size.raw();
  return side == Side::kBuy ? price / tick : (price + tick - 1) / tick;  // bids down, asks up
}

sim::PriceQty FollowFeed::level(const Follow& f, Int128 t, Side side) {
  const Int128 tick = f.instrument->rules.tick_size.raw();
  const Int128 lot = f.instrument->rules.step_size.raw();
  if (f.conversion != nullptr) {
    // The recorded prices mapping to t lie within two of its ticks of t / multiplier (the map is
    // monotonic); each is checked.
    const auto& book = side == Side::kBuy ? f.bids : f.asks;
    const Int128 mult = f.conversion->multiplier.raw();
    const Int128 span = 2 * f.conversion->tick_at(Decimal::from_raw(t)).raw();
    const Int128 lo = std::max<Int128>(0, (t - span) * Decimal::kOne / mult - 1);
    const Int128 hi = (t + span) * Decimal::kOne / mult + 1;
    Int128 sum = 0;
    for (auto it = book.lower_bound(lo); it != book.end() && it->first <= hi; ++it) {
      if (converted(*f.conversion, it->first, side) == t) sum += it->second;
    }
    if (lot > 0) sum = sum / lot * lot;
    return sim::PriceQty{Decimal::from_raw(t), Decimal::from_raw(sum)};
  }
  // The recorded prices on tick t: bids [t*tick, (t+1)*tick), asks ((t-1)*tick, t*tick].
  const auto& book = side == Side::kBuy ? f.bids : f.asks;
  const Int128 lo = side == Side::kBuy ? t * tick : (t - 1) * tick + 1;
  const Int128 hi = side == Side::kBuy ? (t + 1) * tick - 1 : t * tick;
  Int128 qty = 0;
  for (auto it = book.lower_bound(lo); it != book.end() && it->first <= hi; ++it) qty += it->second;
  if (lot > 0) qty = qty / lot * lot;
  return sim::PriceQty{Decimal::from_raw((t + *f.shift_ticks) * tick), Decimal::from_raw(qty)};
}

std::vector<sim::PriceQty> FollowFeed::levels(const Follow& f, const std::vector<sim::PriceQty>& changed, Side side) {
  std::set<Int128> ticks;
  for (const auto& l : changed) ticks.insert(tick_of(f, l.price.raw(), side));
  std::vector<sim::PriceQty> out;
  for (const auto t : ticks) {
    if (t + *f.shift_ticks <= 0) continue;  // (a conversion's shift is 0: t is the price)
    out.push_back(level(f, t, side));
  }
  if (side == Side::kBuy) std::reverse(out.begin(), out.end());  // best first
  return out;
}

void FollowFeed::on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) {
  first_.on_snapshot(m, symbol, s);
  for (auto& fl : followers_) {
    sim::BookSnapshotIn copy;
    std::string name;
    {
      std::lock_guard lk(mutex_);
      Follow* f = find(*fl, m, symbol, name);
      if (f == nullptr || f->instrument->rules.tick_size.raw() <= 0) continue;
      if (!f->shift_ticks && f->conversion != nullptr) f->shift_ticks = 0;  // prices map through it
      if (!f->shift_ticks) {
        const std::vector<sim::PriceQty>& side = !s.bids.empty() ? s.bids : s.asks;
        if (side.empty()) continue;  // nothing to take the basis from yet
        const Int128 tick = f->instrument->rules.tick_size.raw();
        // basis_bps of the best price, in whole ticks (nearest).
        const Int128 move = side.front().price.raw() * fl->basis_bps;
        const Int128 per_tick = tick * 10'000;
        const Int128 half = per_tick / 2;
        f->shift_ticks = move >= 0 ? (move + half) / per_tick : -((-move + half) / per_tick);
      }
      f->bids.clear();
      f->asks.clear();
      apply(f->bids, s.bids);
      apply(f->asks, s.asks);
      copy.bids = levels(*f, s.bids, Side::kBuy);
      copy.asks = levels(*f, s.asks, Side::kSell);
      // A level under a lot is absent from a snapshot.
      std::erase_if(copy.bids, [](const sim::PriceQty& pq) { return pq.qty.is_zero(); });
      std::erase_if(copy.asks, [](const sim::PriceQty& pq) { return pq.qty.is_zero(); });
    }
    fl->sink->on_snapshot(m, name, copy);
  }
}

void FollowFeed::on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) {
  first_.on_delta(m, symbol, d);
  for (auto& fl : followers_) {
    sim::BookDeltaIn copy;
    std::string name;
    {
      std::lock_guard lk(mutex_);
      Follow* f = find(*fl, m, symbol, name);
      if (f == nullptr || !f->shift_ticks) continue;  // before its first snapshot: nothing to move
      apply(f->bids, d.bids);
      apply(f->asks, d.asks);
      copy.bids = levels(*f, d.bids, Side::kBuy);
      copy.asks = levels(*f, d.asks, Side::kSell);
    }
    fl->sink->on_delta(m, name, copy);
  }
}

void FollowFeed::on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) {
  first_.on_trade(m, symbol, t);
  for (auto& fl : followers_) {
    sim::TradePrintIn copy = t;
    std::string name;
    {
      std::lock_guard lk(mutex_);
      Follow* f = find(*fl, m, symbol, name);
      if (f == nullptr || !f->shift_ticks) continue;
      // A seller hitting the bid trades on the bid's tick, a buyer lifting the ask on the ask's.
      const Int128 tick = f->instrument->rules.tick_size.raw();
      const Int128 lot = f->instrument->rules.step_size.raw();
      const Int128 ticks = tick_of(*f, t.price.raw(), t.buyer_is_maker ? Side::kBuy : Side::kSell) + *f->shift_ticks;
      const Int128 qty = lot > 0 ? t.qty.raw() / lot * lot : t.qty.raw();
      if (ticks <= 0 || qty == 0) continue;  // a print under a lot: the follower had none
      copy.price = Decimal::from_raw(f->conversion != nullptr ? ticks : ticks * tick);
      copy.qty = Decimal::from_raw(qty);
    }
    fl->sink->on_trade(m, name, copy);
  }
}

std::optional<Decimal> FollowFeed::shift(Market m, std::string_view symbol) const {
  std::lock_guard lk(mutex_);
  for (const auto& fl : followers_) {
    const auto it = fl->follows.find(std::pair{m, std::string(symbol)});
    if (it == fl->follows.end() || !it->second.shift_ticks) continue;
    return Decimal::from_raw(*it->second.shift_ticks * it->second.instrument->rules.tick_size.raw());
  }
  return std::nullopt;
}

}  // namespace oms::venue_sim
