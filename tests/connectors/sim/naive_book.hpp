// The reference RestingBook: every resting order in one vector, levels found by sorting on
// each call. Obviously correct, deliberately slow; the venue must give the same reports on
// it as on LevelBook.
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "oms/connectors/sim/resting_book.hpp"

namespace oms::sim::testing {

class NaiveBook final : public RestingBook {
 public:
  void add(OrderSlot slot, Side side, Decimal price) override { all_.push_back({slot, side, price, seq_++}); }
  void remove(OrderSlot slot, Side, Decimal) override {
    all_.erase(std::remove_if(all_.begin(), all_.end(), [&](const Entry& e) { return e.slot == slot; }), all_.end());
  }
  [[nodiscard]] std::size_t level_count(Side side) const override { return prices(side).size(); }
  [[nodiscard]] LevelView level(Side side, std::size_t rank) const override {
    const Decimal price = prices(side)[rank];
    std::vector<Entry> at;
    for (const Entry& e : all_) {
      if (e.side == side && e.price == price) at.push_back(e);
    }
    std::sort(at.begin(), at.end(), [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
    scratch_.clear();
    for (const Entry& e : at) scratch_.push_back(e.slot);
    return LevelView{price, std::span<const OrderSlot>(scratch_)};
  }
  static std::unique_ptr<RestingBook> make() { return std::make_unique<NaiveBook>(); }

 private:
  struct Entry {
    OrderSlot slot;
    Side side;
    Decimal price;
    std::uint64_t seq;
  };
  [[nodiscard]] std::vector<Decimal> prices(Side side) const {
    std::vector<Decimal> p;
    for (const Entry& e : all_) {
      if (e.side == side && std::find(p.begin(), p.end(), e.price) == p.end()) p.push_back(e.price);
    }
    std::sort(p.begin(), p.end(), [&](Decimal a, Decimal b) { return side == Side::kBuy ? a > b : a < b; });
    return p;
  }
  std::vector<Entry> all_;
  std::uint64_t seq_ = 0;
  mutable std::vector<OrderSlot> scratch_;
};

}  // namespace oms::sim::testing
