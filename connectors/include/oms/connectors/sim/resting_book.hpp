// Where the simulator's own (client) resting orders wait, in price-time priority. An
// interface so the same venue runs on the fast book here and on a naive reference in the
// tests (STYLE.md: one test suite, two implementations).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::sim {

using OrderSlot = std::uint32_t;  // the venue's handle of an order

struct LevelView {
  Decimal price;
  std::span<const OrderSlot> orders;  // oldest first
};

class RestingBook {
 public:
  virtual ~RestingBook() = default;
  // Appends slot to the back of the queue at price on side.
  virtual void add(OrderSlot slot, Side side, Decimal price) = 0;
  // Removes slot (which must be resting at price on side).
  virtual void remove(OrderSlot slot, Side side, Decimal price) = 0;
  [[nodiscard]] virtual std::size_t level_count(Side side) const = 0;
  // The rank-th best level of side (0 = best: highest bid, lowest ask); rank < level_count.
  // The view is valid until the next add/remove/level call.
  [[nodiscard]] virtual LevelView level(Side side, std::size_t rank) const = 0;
};

using BookFactory = std::unique_ptr<RestingBook> (*)();

// Per side a vector of levels sorted worst-to-best, so the best level is at the back and
// the common changes (near the touch) move few elements; each level a FIFO of slots.
class LevelBook final : public RestingBook {
 public:
  void add(OrderSlot slot, Side side, Decimal price) override;
  void remove(OrderSlot slot, Side side, Decimal price) override;
  [[nodiscard]] std::size_t level_count(Side side) const override;
  [[nodiscard]] LevelView level(Side side, std::size_t rank) const override;
  [[nodiscard]] static std::unique_ptr<RestingBook> make();

 private:
  struct Level {
    Decimal price;
    std::vector<OrderSlot> orders;
  };
  std::vector<Level> sides_[2];
};

}  // namespace oms::sim
