// FollowFeed: the second venue's background as the first's, shifted by a basis (follow_feed.hpp).
#include "follow_feed.hpp"

namespace oms::venue_sim {

namespace {
__extension__ typedef __int128 i128;  // a price times basis points: past int64 for large prices
}  // namespace

FollowFeed::FollowFeed(LiquiditySink& first, LiquiditySink& second,
                       std::vector<Instrument> second_instruments, std::int64_t basis_bps)
    : first_(first), second_(second), instruments_(std::move(second_instruments)), basis_bps_(basis_bps) {
  for (const auto& in : instruments_) follows_[{in.market, in.venue_symbol}] = Follow{&in, std::nullopt};
}

FollowFeed::Follow* FollowFeed::find(Market m, std::string_view symbol) {
  const auto it = follows_.find(std::pair{m, std::string(symbol)});
  return it == follows_.end() ? nullptr : &it->second;
}

std::optional<sim::PriceQty> FollowFeed::map(const Follow& f, const sim::PriceQty& pq) const {
  const std::int64_t tick = f.instrument->rules.tick_size.raw();
  const std::int64_t lot = f.instrument->rules.step_size.raw();
  if (tick <= 0) return std::nullopt;
  // The recorded price on the second venue's tick (nearest; both venues list these markets at
  // the same or a finer tick, so distinct recorded levels stay distinct), then the basis.
  const std::int64_t ticks = (pq.price.raw() + tick / 2) / tick + *f.shift_ticks;
  if (ticks <= 0) return std::nullopt;
  const std::int64_t qty = lot > 0 ? pq.qty.raw() / lot * lot : pq.qty.raw();
  return sim::PriceQty{Decimal::from_raw(ticks * tick), Decimal::from_raw(qty)};
}

std::vector<sim::PriceQty> FollowFeed::map(const Follow& f, const std::vector<sim::PriceQty>& in) const {
  std::vector<sim::PriceQty> out;
  out.reserve(in.size());
  for (const auto& pq : in) {
    if (auto m = map(f, pq)) out.push_back(*m);
  }
  return out;
}

void FollowFeed::on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) {
  first_.on_snapshot(m, symbol, s);
  sim::BookSnapshotIn copy;
  {
    std::lock_guard lk(mutex_);
    Follow* f = find(m, symbol);
    if (f == nullptr) return;
    if (!f->shift_ticks) {
      const std::vector<sim::PriceQty>& side = !s.bids.empty() ? s.bids : s.asks;
      if (side.empty()) return;  // nothing to take the basis from yet
      const std::int64_t tick = f->instrument->rules.tick_size.raw();
      // basis_bps of the best price, in whole ticks (nearest).
      const i128 move = static_cast<i128>(side.front().price.raw()) * basis_bps_;
      const i128 per_tick = static_cast<i128>(tick) * 10'000;
      const i128 half = per_tick / 2;
      f->shift_ticks = static_cast<std::int64_t>(move >= 0 ? (move + half) / per_tick : -((-move + half) / per_tick));
    }
    copy.bids = map(*f, s.bids);
    copy.asks = map(*f, s.asks);
    // A level under a lot is absent from a snapshot.
    std::erase_if(copy.bids, [](const sim::PriceQty& pq) { return pq.qty.is_zero(); });
    std::erase_if(copy.asks, [](const sim::PriceQty& pq) { return pq.qty.is_zero(); });
  }
  second_.on_snapshot(m, symbol, copy);
}

void FollowFeed::on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) {
  first_.on_delta(m, symbol, d);
  sim::BookDeltaIn copy;
  {
    std::lock_guard lk(mutex_);
    Follow* f = find(m, symbol);
    if (f == nullptr || !f->shift_ticks) return;  // before its first snapshot: nothing to move
    copy.bids = map(*f, d.bids);
    copy.asks = map(*f, d.asks);
  }
  second_.on_delta(m, symbol, copy);
}

void FollowFeed::on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) {
  first_.on_trade(m, symbol, t);
  sim::TradePrintIn copy = t;
  {
    std::lock_guard lk(mutex_);
    Follow* f = find(m, symbol);
    if (f == nullptr || !f->shift_ticks) return;
    const auto pq = map(*f, sim::PriceQty{t.price, t.qty});
    if (!pq || pq->qty.is_zero()) return;  // a print under a lot: the second venue had none
    copy.price = pq->price;
    copy.qty = pq->qty;
  }
  second_.on_trade(m, symbol, copy);
}

std::optional<Decimal> FollowFeed::shift(Market m, std::string_view symbol) const {
  std::lock_guard lk(mutex_);
  const auto it = follows_.find(std::pair{m, std::string(symbol)});
  if (it == follows_.end() || !it->second.shift_ticks) return std::nullopt;
  return Decimal::from_raw(*it->second.shift_ticks * it->second.instrument->rules.tick_size.raw());
}

}  // namespace oms::venue_sim
