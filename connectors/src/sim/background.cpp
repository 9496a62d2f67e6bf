#include "oms/connectors/sim/background.hpp"

namespace oms::sim {

void BackgroundBook::set(Side side, const PriceQty& pq) {
  auto& m = side == Side::kBuy ? bids_ : asks_;
  const Int128 key = key_of(side, pq.price);
  if (pq.qty.is_zero()) {
    m.erase(key);
  } else {
    m[key] = Level{pq.qty, Decimal()};
  }
}

void BackgroundBook::apply_snapshot(const BookSnapshotIn& s) {
  bids_.clear();
  asks_.clear();
  for (const auto& pq : s.bids) set(Side::kBuy, pq);
  for (const auto& pq : s.asks) set(Side::kSell, pq);
}

void BackgroundBook::apply_delta(const BookDeltaIn& d) {
  for (const auto& pq : d.bids) set(Side::kBuy, pq);
  for (const auto& pq : d.asks) set(Side::kSell, pq);
}

void BackgroundBook::consume(Side side, Decimal price, Decimal qty) {
  auto& m = side == Side::kBuy ? bids_ : asks_;
  auto it = m.find(key_of(side, price));
  if (it == m.end()) return;
  it->second.consumed = Decimal::from_raw(it->second.consumed.raw() + qty.raw());
}

Decimal BackgroundBook::available(Side side, Decimal price) const {
  const auto& m = levels(side);
  auto it = m.find(key_of(side, price));
  return it == m.end() ? Decimal() : it->second.available();
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
