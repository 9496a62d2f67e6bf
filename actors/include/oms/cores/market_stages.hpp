// The engine's market-data stages (engine.hpp, step 0), each a pure core:
//
//   1. book     Event (BookSnapshot / BookDelta)  -> BookCore per instrument -> TopOfBook
//   2. signal   TopOfBook -> ArbSignal (cross-venue, fees folded in)         -> OrderIntent
//
// The engine turns an OrderIntent into a SubmitOrder that takes the API's path (risk, desk,
// commit, send). Everything here is fixed-size and trivially copyable; nothing allocates per
// message.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/arb_saga.hpp"
#include "oms/cores/book_core.hpp"
#include "oms/cores/state_codec.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"

namespace oms::actors {

// ---- messages between stages -----------------------------------------------------------------
struct TopOfBook {
  InstrumentId instrument;
  std::uint64_t update_id = 0;
  Decimal bid, bid_qty, ask, ask_qty;  // zero when the side is empty
  TimeNs time = 0;                     // when the update entered the engine
};

struct OrderIntent {
  SubmitOrder order;
  Decimal reference;  // mark / mid for the price band; zero = none
  EventId cause = 0;  // the command or the book update that led to it
  TimeNs time = 0;    // when its input entered the engine
  std::uint32_t group = 0;  // the signal stage's group that decided it
};

// ---- stage 1: books ----------------------------------------------------------------------------
class BookStage {
 public:
  // One book per instrument id (dense); sequencing per instrument.
  explicit BookStage(std::span<const BookCoreConfig> books);
  // Applies a book event; emits the top of book when a message completed and the book is live.
  // Other events are ignored (0). A book that needs a resync emits nothing until resynced
  // (the shell sees it through book(i).state()).
  std::size_t on(const Event& e, TimeNs now, std::span<TopOfBook> out);
  [[nodiscard]] const BookCore& book(InstrumentId i) const { return books_.at(i.index()); }
  // Every book's state (the engine's checkpoints); load() needs the same number of books.
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  std::vector<BookCore> books_;
};

// ---- stage 2: signal ---------------------------------------------------------------------------
// Cross-venue arbitrage detection: instruments of a group are the same asset pair on several
// venues; when one venue's bid, taker fee deducted, exceeds another's ask, fee added, by at
// least min_edge (a price difference), emit a buy on the cheap venue and a sell on the rich one
// for the smaller top quantity, clipped to max_quantity and max_notional and rounded down to
// the coarser lot step of the two legs (both legs trade the same quantity; no signal when a leg
// would be under its instrument's minimum quantity or notional): IOC limits at the
// touch, or (resting_legs) GTC limits there that the saga cancels at its order timeout. No
// signal while either top is older than max_book_age, nor while the group is held (its saga
// still open: the engine holds it). What follows the legs -- leg risk -- is the saga's
// (arb_saga.hpp). Client order ids: this desk's, sequence after the highest observe_sequence()
// saw.
struct ArbLeg {
  InstrumentId instrument;
  AccountId account;
  Decimal taker_fee;  // rate: 0.001 = 10 bp
  Decimal lot_step;   // the instrument's quantity step; zero: none
  Decimal tick;       // its price step; zero: none
  Decimal min_qty;    // its minimum quantity; zero: none
  Decimal min_notional;  // its minimum price x quantity (the venue refuses less); zero: none
};
struct ArbGroup {
  std::vector<ArbLeg> legs;
  StrategyId strategy;
  Decimal min_edge;       // price difference after fees; the edge must be positive in any case
  Decimal max_quantity;   // per leg; zero: no cap of its own
  Decimal min_edge_rate;  // the edge as a fraction of the buy cost (0.001 = 10 bp); zero: none
  Decimal max_notional;   // per leg at the buy price (quote currency); zero: no cap
  TimeNs cooldown = 0;    // after a signal, none from this group for this long (ns)
  TimeNs max_book_age = 0;  // no signal when either top is older (ns); 0: no guard
  bool resting_legs = false;  // legs as GTC limits (passive / hybrid execution), else IOC
  SagaPolicy saga;        // leg risk: what the saga does with unequal fills
};

class SignalStage {
 public:
  SignalStage(std::vector<ArbGroup> groups, std::size_t instrument_count, std::uint16_t desk);
  static constexpr std::size_t kMaxOut = 2;
  std::size_t on(const TopOfBook& t, TimeNs now, std::span<OrderIntent> out);
  [[nodiscard]] std::uint64_t signals() const noexcept { return signals_; }
  // A client order id sequence already used (the orders rebuilt from the store): new ids
  // continue after the highest, so a restart never reuses one.
  void observe_sequence(std::uint64_t sequence) noexcept {
    if (sequence > sequence_) sequence_ = sequence;
  }
  // A group's new parameters (an operator's change); its legs stay.
  void set_group(std::size_t index, ArbGroup group) {
    if (index < groups_.size()) groups_[index] = std::move(group);
  }
  // No signal from the group while held (its saga is open).
  void hold(std::size_t index, bool held) {
    if (index < held_.size()) held_[index] = held;
  }
  [[nodiscard]] const std::vector<ArbGroup>& groups() const noexcept { return groups_; }
  [[nodiscard]] const TopOfBook& top(InstrumentId i) const { return tops_.at(i.index()); }
  // The client order id sequence every strategy of the stage draws from (the market makers too).
  [[nodiscard]] std::uint64_t* sequence() noexcept { return &sequence_; }
  // The stage's state (the engine's checkpoints): the tops, the id sequence, the cooldowns.
  // load() needs the same instruments and groups.
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  std::vector<ArbGroup> groups_;
  std::vector<std::int32_t> group_of_;  // instrument -> group index, -1 none
  std::vector<TopOfBook> tops_;         // by instrument
  std::uint16_t desk_;
  std::uint64_t sequence_ = 0;
  std::uint64_t signals_ = 0;
  std::vector<TimeNs> quiet_until_;  // by group: the cooldown's end
  std::vector<bool> held_;           // by group: a saga open (the engine's, not saved here)
};

}  // namespace oms::actors
