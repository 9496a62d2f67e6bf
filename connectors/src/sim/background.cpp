#include "oms/connectors/sim/background.hpp"

#include <algorithm>

namespace oms::sim {

void BackgroundBook::set(Side side, const PriceQty& pq) {
  (side == Side::kBuy ? bids_ : asks_).set(pq.price, pq.qty);
  // A level published again replaces what our orders took from it.
  if (auto& c = consumed_[side == Side::kBuy ? 0 : 1]; !c.empty()) c.erase(pq.price.raw());
}

void BackgroundBook::apply_snapshot(const BookSnapshotIn& s) {
  bids_.clear();
  asks_.clear();
  for (auto& c : consumed_) c.clear();
  for (const auto& pq : s.bids) set(Side::kBuy, pq);
  for (const auto& pq : s.asks) set(Side::kSell, pq);
}

void BackgroundBook::apply_delta(const BookDeltaIn& d) {
  for (const auto& pq : d.bids) set(Side::kBuy, pq);
  for (const auto& pq : d.asks) set(Side::kSell, pq);
}

void BackgroundBook::consume(Side side, Decimal price, Decimal qty) {
  if (of(side).quantity_at(price).is_zero()) return;  // no such level
  auto& c = consumed_[side == Side::kBuy ? 0 : 1][price.raw()];
  c = Decimal::from_raw(c.raw() + qty.raw());
}

Decimal BackgroundBook::available(Side side, Decimal price) const {
  const Decimal q = of(side).quantity_at(price);
  if (q.is_zero()) return Decimal();
  const auto& c = taken(side);
  const auto it = c.find(price.raw());
  return it == c.end() ? q : Decimal::from_raw(q.raw() - it->second.raw());
}

RandomWalk::RandomWalk(const Config& c)
    : cfg_(c), mid_ticks_(c.tick.is_zero() ? 0 : c.start_mid.raw() / c.tick.raw()), s_(c.seed) {}

// splitmix64 (Steele, Lea, Flood 2014): a full-period 64-bit generator in three lines.
std::uint64_t RandomWalk::draw() {
  std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void RandomWalk::shift_bps(std::int64_t bps) {
  const Int128 floor = static_cast<Int128>(cfg_.depth) + 2;
  mid_ticks_ = std::max(floor, mid_ticks_ + mid_ticks_ * bps / 10'000);
}

RandomWalk::Step RandomWalk::next() {
  Step st;
  const auto move = static_cast<std::int64_t>(draw() % 3) - 1;
  // The mid stays on a tick; best bid = mid - tick, best ask = mid + tick (two-tick spread),
  // and it never walks below depth + 1 ticks so every price stays positive.
  if (mid_ticks_ + move > static_cast<Int128>(cfg_.depth) + 1) mid_ticks_ += move;
  const Int128 tick = cfg_.tick.raw();
  const auto lots = [&] {
    return Decimal::from_raw(static_cast<Int128>(1 + draw() % cfg_.max_lots) * cfg_.lot.raw());
  };
  st.book.bids.reserve(cfg_.depth);
  st.book.asks.reserve(cfg_.depth);
  for (std::uint32_t k = 1; k <= cfg_.depth; ++k) {
    st.book.bids.push_back({Decimal::from_raw((mid_ticks_ - k) * tick), lots()});
    st.book.asks.push_back({Decimal::from_raw((mid_ticks_ + k) * tick), lots()});
  }
  st.trade.buyer_is_maker = draw() % 2 == 0;
  st.trade.price = st.trade.buyer_is_maker ? st.book.bids.front().price : st.book.asks.front().price;
  st.trade.qty = lots();
  return st;
}

}  // namespace oms::sim
