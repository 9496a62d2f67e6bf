#include "oms/connectors/sim/resting_book.hpp"

#include <algorithm>

namespace oms::sim {
namespace {
// Worst-to-best order: bids ascending, asks descending.
bool worse(Side side, Decimal a, Decimal b) { return side == Side::kBuy ? a < b : a > b; }
std::size_t index_of(Side side) { return side == Side::kBuy ? 0 : 1; }
}  // namespace

void LevelBook::add(OrderSlot slot, Side side, Decimal price) {
  auto& levels = sides_[index_of(side)];
  auto it = std::lower_bound(levels.begin(), levels.end(), price,
                             [&](const Level& l, Decimal p) { return worse(side, l.price, p); });
  if (it == levels.end() || it->price != price) it = levels.insert(it, Level{price, {}});
  it->orders.push_back(slot);
}

void LevelBook::remove(OrderSlot slot, Side side, Decimal price) {
  auto& levels = sides_[index_of(side)];
  auto it = std::lower_bound(levels.begin(), levels.end(), price,
                             [&](const Level& l, Decimal p) { return worse(side, l.price, p); });
  if (it == levels.end() || it->price != price) return;
  auto& q = it->orders;
  if (auto o = std::find(q.begin(), q.end(), slot); o != q.end()) q.erase(o);
  if (q.empty()) levels.erase(it);
}

std::size_t LevelBook::level_count(Side side) const { return sides_[index_of(side)].size(); }

LevelView LevelBook::level(Side side, std::size_t rank) const {
  const auto& levels = sides_[index_of(side)];
  const Level& l = levels[levels.size() - 1 - rank];
  return LevelView{l.price, std::span<const OrderSlot>(l.orders)};
}

std::unique_ptr<RestingBook> LevelBook::make() { return std::make_unique<LevelBook>(); }

}  // namespace oms::sim
