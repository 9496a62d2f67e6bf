// LevelSide: one side of an L2 order book -- its price levels in book order (the worst first,
// the best last) -- for BookCore. A venue's depth stream changes levels deep in a book of
// thousands as often as near the top (a Binance spot diff carries ~30 levels, most of them far
// from the best), so the levels are kept in blocks of at most kBlock: a change moves at most
// one block's levels, a full block splits in two, a block that runs nearly empty joins its
// neighbour. A level's place is found by its key -- the price's raw value, negated on the ask
// side, so that the worse price has the smaller key on both sides -- in the last block first
// (where the top of book lives), else by a binary search over the blocks' last keys (kept
// contiguous beside the blocks), then one over the block's keys.
#pragma once

#include <array>
#include <cstddef>
#include <climits>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "oms/messages/decimal.hpp"

namespace oms {

struct PriceLevel {
  Decimal price, quantity;
  friend bool operator==(const PriceLevel&, const PriceLevel&) = default;
};

class LevelSide {
 public:
  static constexpr std::size_t kBlock = 64;

  // bids: prices ascending (the best is the highest); asks: descending.
  explicit LevelSide(bool bids) : bids_(bids) {}
  LevelSide(const LevelSide& other);
  LevelSide& operator=(const LevelSide& other);
  LevelSide(LevelSide&&) noexcept = default;
  LevelSide& operator=(LevelSide&&) noexcept = default;
  ~LevelSide() = default;

  // Sets the level at price to quantity; zero removes it (a missing level: nothing to do).
  void set(Decimal price, Decimal quantity);
  void clear() noexcept {
    blocks_.clear();
    lasts_.clear();
    size_ = 0;
  }
  // Replaces every level by these: in book order (worst first), distinct prices, quantities
  // positive. False (and the side left empty) when they are not.
  bool assign(std::span<const PriceLevel> levels);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  // The best level; the side must not be empty.
  [[nodiscard]] PriceLevel best() const noexcept {
    const Block& b = *blocks_.back();
    return level(b, b.count - 1);
  }
  // The i-th best level (0: the best); i < size().
  [[nodiscard]] PriceLevel from_best(std::size_t i) const noexcept;
  // Copies up to out.size() levels, best first; returns how many.
  std::size_t copy_best_first(std::span<PriceLevel> out) const noexcept;
  // The quantity at price (zero when the side has no level there).
  [[nodiscard]] Decimal quantity_at(Decimal price) const noexcept;
  // A walk over the levels best first; valid while the side is not changed.
  class BestFirst {
   public:
    [[nodiscard]] bool done() const noexcept { return block_ == kDone; }
    [[nodiscard]] PriceLevel level() const noexcept { return side_->level(*side_->blocks_[block_], pos_); }
    void next() noexcept {
      if (pos_ > 0) {
        --pos_;
      } else if (block_ == 0) {
        block_ = kDone;
      } else {
        --block_;
        pos_ = side_->blocks_[block_]->count - 1;
      }
    }

   private:
    friend class LevelSide;
    static constexpr std::size_t kDone = SIZE_MAX;
    explicit BestFirst(const LevelSide& s) noexcept : side_(&s) {
      if (s.blocks_.empty()) return;
      block_ = s.blocks_.size() - 1;
      pos_ = s.blocks_.back()->count - 1;
    }
    const LevelSide* side_;
    std::size_t block_ = kDone;
    std::uint32_t pos_ = 0;
  };
  [[nodiscard]] BestFirst best_first() const noexcept { return BestFirst(*this); }
  // Every level, worst first.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& b : blocks_) {
      for (std::uint32_t i = 0; i < b->count; ++i) f(level(*b, i));
    }
  }
  friend bool operator==(const LevelSide& a, const LevelSide& b);

 private:
  // Keys are the prices' Int128 raw values (a negated price never overflows: |raw| < 2^127).
  static constexpr Int128 kNoKey = static_cast<Int128>(~UInt128{0} >> 1);
  struct Block {
    Block() { keys.fill(kNoKey); }
    std::uint32_t count = 0;
    // Ascending; the unused slots hold kNoKey, so a search runs over the whole array without
    // a branch on the count.
    std::array<Int128, kBlock> keys;
    std::array<Decimal, kBlock> quantities;
  };
  [[nodiscard]] Int128 key(Decimal price) const noexcept { return bids_ ? price.raw() : -price.raw(); }
  [[nodiscard]] PriceLevel level(const Block& b, std::uint32_t i) const noexcept {
    return PriceLevel{Decimal::from_raw(bids_ ? b.keys[i] : -b.keys[i]), b.quantities[i]};
  }
  [[nodiscard]] std::size_t block_for(Int128 k) const noexcept;
  void erase_at(std::size_t block, std::uint32_t pos);
  void insert_block(std::size_t at, std::unique_ptr<Block> b);
  void erase_block(std::size_t at);

  bool bids_;
  std::vector<std::unique_ptr<Block>> blocks_;  // book order; none empty
  std::vector<Int128> lasts_;                   // each block's last (highest) key
  std::size_t size_ = 0;
};

}  // namespace oms
