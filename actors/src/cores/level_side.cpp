#include "oms/cores/level_side.hpp"

#include <algorithm>

namespace oms {

namespace {

// The first of n ascending keys not below k (n when none), without a data-dependent branch: a
// book's updates land at random depths, so a branching search mispredicts about every other step.
std::size_t lower_bound_branchless(const Int128* keys, std::size_t n, Int128 k) noexcept {
  if (n == 0) return 0;
  const Int128* base = keys;
  while (n > 1) {
    const std::size_t half = n / 2;
    // As arithmetic on the comparison's 0/1: GCC compiles a conditional choice between two
    // pointers on an Int128 comparison into a branch (cmp/sbb/jge), mispredicted half the time.
    const auto below = static_cast<std::size_t>(base[half - 1] < k);
    base += half & (std::size_t{0} - below);
    n -= half;
  }
  return static_cast<std::size_t>(base - keys) + (*base < k ? 1 : 0);
}

}  // namespace

LevelSide::LevelSide(const LevelSide& other)
    : bids_(other.bids_), lasts_(other.lasts_), size_(other.size_) {
  blocks_.reserve(other.blocks_.size());
  for (const auto& b : other.blocks_) blocks_.push_back(std::make_unique<Block>(*b));
}

LevelSide& LevelSide::operator=(const LevelSide& other) {
  if (this != &other) {
    LevelSide copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void LevelSide::insert_block(std::size_t at, std::unique_ptr<Block> b) {
  lasts_.insert(lasts_.begin() + static_cast<std::ptrdiff_t>(at), b->keys[b->count - 1]);
  blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(at), std::move(b));
}

void LevelSide::erase_block(std::size_t at) {
  lasts_.erase(lasts_.begin() + static_cast<std::ptrdiff_t>(at));
  blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(at));
}

std::size_t LevelSide::block_for(Int128 k) const noexcept {
  // The top of book's block first: most changes land there.
  const std::size_t last = blocks_.size() - 1;
  if (k >= blocks_[last]->keys[0]) return last;
  // The first block whose last key is not below k: k lies in it (or just before its first). One
  // exists before the last: the last block's first key is above k.
  return lower_bound_branchless(lasts_.data(), last, k);
}

void LevelSide::set(Decimal price, Decimal quantity) {
  const Int128 k = key(price);
  if (blocks_.empty()) {
    if (quantity.is_zero()) return;
    auto b = std::make_unique<Block>();
    b->keys[0] = k;
    b->quantities[0] = quantity;
    b->count = 1;
    insert_block(0, std::move(b));
    size_ = 1;
    return;
  }
  std::size_t bi = block_for(k);
  Block* b = blocks_[bi].get();
  // Over the whole block: the unused slots' kNoKey lie above every key.
  auto pos = static_cast<std::uint32_t>(lower_bound_branchless(b->keys.data(), kBlock, k));
  if (pos < b->count && b->keys[pos] == k) {
    if (quantity.is_zero()) erase_at(bi, pos);
    else b->quantities[pos] = quantity;
    return;
  }
  if (quantity.is_zero()) return;
  if (b->count == kBlock) {
    // Split: the upper half moves to a new block after this one.
    auto upper = std::make_unique<Block>();
    constexpr std::uint32_t kHalf = kBlock / 2;
    std::copy(b->keys.begin() + kHalf, b->keys.end(), upper->keys.begin());
    std::copy(b->quantities.begin() + kHalf, b->quantities.end(), upper->quantities.begin());
    upper->count = kBlock - kHalf;
    b->count = kHalf;
    std::fill(b->keys.begin() + kHalf, b->keys.end(), kNoKey);
    lasts_[bi] = b->keys[kHalf - 1];
    insert_block(bi + 1, std::move(upper));
    if (pos > kHalf) {
      ++bi;
      pos -= kHalf;
      b = blocks_[bi].get();
    }
  }
  std::copy_backward(b->keys.begin() + pos, b->keys.begin() + b->count, b->keys.begin() + b->count + 1);
  std::copy_backward(b->quantities.begin() + pos, b->quantities.begin() + b->count,
                     b->quantities.begin() + b->count + 1);
  b->keys[pos] = k;
  b->quantities[pos] = quantity;
  ++b->count;
  if (pos + 1 == b->count) lasts_[bi] = k;
  ++size_;
}

void LevelSide::erase_at(std::size_t bi, std::uint32_t pos) {
  Block& b = *blocks_[bi];
  std::copy(b.keys.begin() + pos + 1, b.keys.begin() + b.count, b.keys.begin() + pos);
  std::copy(b.quantities.begin() + pos + 1, b.quantities.begin() + b.count, b.quantities.begin() + pos);
  --b.count;
  b.keys[b.count] = kNoKey;
  --size_;
  if (b.count == 0) {
    erase_block(bi);
    return;
  }
  lasts_[bi] = b.keys[b.count - 1];
  // A block that ran nearly empty joins a neighbour with room (no block of a few levels each
  // where a book thins out).
  if (b.count >= kBlock / 4) return;
  const auto join = [this](std::size_t into, std::size_t from) {
    Block& a = *blocks_[into];
    const Block& c = *blocks_[from];
    std::copy(c.keys.begin(), c.keys.begin() + c.count, a.keys.begin() + a.count);
    std::copy(c.quantities.begin(), c.quantities.begin() + c.count, a.quantities.begin() + a.count);
    a.count += c.count;
    lasts_[into] = a.keys[a.count - 1];
    erase_block(from);
  };
  if (bi > 0 && blocks_[bi - 1]->count + b.count <= kBlock / 2) {
    join(bi - 1, bi);
  } else if (bi + 1 < blocks_.size() && blocks_[bi + 1]->count + b.count <= kBlock / 2) {
    join(bi, bi + 1);
  }
}

bool LevelSide::assign(std::span<const PriceLevel> levels) {
  clear();
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (!levels[i].quantity.is_positive() ||
        (i > 0 && key(levels[i - 1].price) >= key(levels[i].price))) {
      return false;
    }
  }
  // Blocks half full: room for the inserts that follow.
  constexpr std::size_t kFill = kBlock / 2;
  for (std::size_t i = 0; i < levels.size(); i += kFill) {
    auto b = std::make_unique<Block>();
    b->count = static_cast<std::uint32_t>(std::min(kFill, levels.size() - i));
    for (std::uint32_t j = 0; j < b->count; ++j) {
      b->keys[j] = key(levels[i + j].price);
      b->quantities[j] = levels[i + j].quantity;
    }
    insert_block(blocks_.size(), std::move(b));
  }
  size_ = levels.size();
  return true;
}

Decimal LevelSide::quantity_at(Decimal price) const noexcept {
  if (blocks_.empty()) return Decimal();
  const Int128 k = key(price);
  const Block& b = *blocks_[block_for(k)];
  const auto pos = lower_bound_branchless(b.keys.data(), kBlock, k);
  return pos < b.count && b.keys[pos] == k ? b.quantities[pos] : Decimal();
}

PriceLevel LevelSide::from_best(std::size_t i) const noexcept {
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    const Block& b = **it;
    if (i < b.count) return level(b, static_cast<std::uint32_t>(b.count - 1 - i));
    i -= b.count;
  }
  return {};  // i out of range: the caller's error
}

std::size_t LevelSide::copy_best_first(std::span<PriceLevel> out) const noexcept {
  std::size_t n = 0;
  for (auto it = blocks_.rbegin(); it != blocks_.rend() && n < out.size(); ++it) {
    const Block& b = **it;
    for (std::uint32_t i = b.count; i > 0 && n < out.size(); --i) out[n++] = level(b, i - 1);
  }
  return n;
}

bool operator==(const LevelSide& a, const LevelSide& b) {
  if (a.bids_ != b.bids_ || a.size_ != b.size_) return false;
  std::vector<PriceLevel> x, y;
  x.reserve(a.size_);
  y.reserve(b.size_);
  a.for_each([&](const PriceLevel& l) { x.push_back(l); });
  b.for_each([&](const PriceLevel& l) { y.push_back(l); });
  return x == y;
}

}  // namespace oms
