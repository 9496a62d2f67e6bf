// Smart order routing: a parent order (instrument, side, quantity, limit, urgency) split across
// venues and accounts from the consolidated book of the venues that list the instrument, as a
// pure core (no clock, no I/O; the books and each account's figures of the moment are
// arguments). Two parts:
//   plan_split  the decision: which account on which venue takes how much, at what limit
//   SmartOrder  the parent: its IOC children out, their ends folded (status, cum qty, average
//               price), cancel parent -> cancel every child still out
//
// The split (exact Decimals, deterministic):
//   1. The venues' levels on the side the parent takes (buy: asks, sell: bids), best first, are
//      merged by their fee-inclusive price (as ConsolidatedBook: buy price x (1 + taker fee)
//      rounded up, sell price x (1 - taker fee) rounded down -- against us). A tie goes to the
//      venue listed first, then to the shallower level: the order of `venues` decides.
//   2. A level beyond the parent's limit (buy: price > limit, sell: price < limit; the venue's
//      own price, the price the child is sent at) ends that venue's walk.
//   3. A level's quantity goes to the venue's accounts in the account router's order (most
//      orders left in the budget, then most free balance, then the order listed), each taking
//      what its caps leave; what no account can take stays in the book.
//   4. An account's child is one order: an account with no order budget left takes nothing, and
//      its child is capped by the risk limits for one order (max quantity; max notional at the
//      child's limit price) and by its free balance (buy: quote for quantity x limit x (1 + fee),
//      rounded against us; sell: the base asset). Every child on a venue goes at the venue's
//      limit (below), so the order in which the venue gets them does not change what they fill
//      together; the caps are checked at that limit, and a deeper level whose limit would break
//      the cap of an account that already took ends the venue's walk.
//   5. Children are floored to the venue's lot as they grow; a child under the venue's minimum
//      quantity or minimum notional (at its limit price) is dropped and the walk runs again
//      without that account (at most once per account), so its levels go to the others.
// What is left when every level within the limit is taken or capped is `left` (not routed).
//
// The slippage bound (documented, tested against venue-sim): each child is an IOC limit order
// at its venue's deepest planned level's price ("worst") moved by `urgency_bps` against the
// parent (buy up, sell down), to the venue's tick away from the book, never through the
// parent's limit. The venue fills it at that price or better, so:
//   buy:  every child's average fill price <= its limit <= worst x (1 + urgency_bps / 10^4) + tick
//   sell: every child's average fill price >= its limit >= worst x (1 - urgency_bps / 10^4) - tick
// With urgency 0 the limit is the worst level's price: on an unchanged book each venue's
// children fill exactly the plan's levels (the children in the plan's order: each its own
// planned levels; in another order: the same levels between them), so the parent's quantity and
// notional are the plan's; on a book that moved, children fill less (never worse). Urgency
// buys fill probability against a book that moves between the plan and the fill.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/book_core.hpp"
#include "oms/cores/exec_algo.hpp"
#include "oms/cores/level_side.hpp"
#include "oms/cores/strategy_action.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

// Smart order routing errors: order range, 3200-3219.
enum class SorError : std::uint16_t {
  kBadQuantity = 3200,    // the parent's quantity is not positive
  kBadLimit = 3201,       // a negative limit price
  kBadUrgency = 3202,     // urgency above kMaxUrgencyBps
  kBadFee = 3203,         // a venue's taker fee outside [0, 1)
  kTooManyVenues = 3204,  // more than kMaxSorVenues venues or kMaxSorAccounts accounts on one
  kNothingRoutable = 3205,  // no level within the limit that an account can take
  kOverflow = 3206,       // a figure beyond the Decimal range
  kNotRunning = 3207,     // a cancel of a parent that has ended
  kBadChildId = 3208,     // a child's client order id could not be formed (desk > kMaxDesk)
  kTooManyChildren = 3209,  // a plan of more children than a SorStep holds
  kNoSuchParent = 3210,   // a cancel of a parent this engine does not run
  kNoVenue = 3211,        // no venue of the engine lists the instrument's pair with a usable book
};

inline constexpr std::size_t kMaxSorVenues = 8;
inline constexpr std::size_t kMaxSorAccounts = 16;  // per venue
// 10% away from the deepest level: beyond it a parent is a market order, not a routed one.
inline constexpr std::uint32_t kMaxUrgencyBps = 1000;

struct SorRefusal {
  SorError code = SorError::kNothingRoutable;
  std::string why;  // names the field or the figure
};

// One account that may trade the instrument on a venue, with its figures of the moment.
struct SorAccount {
  AccountId account;
  InstrumentId instrument;        // the instrument on this account's venue
  Decimal free;                   // free balance of what the parent spends: buy quote, sell base
  std::uint32_t orders_left = 0;  // order budget left in its tightest window; 0: not routed to
  Decimal max_qty, max_notional;  // risk limits for one order (zero: none)
};

// One venue's book for the instrument and the accounts that trade there.
struct SorVenue {
  BookVenue venue;
  std::span<const PriceLevel> levels;  // the side the parent takes (buy: asks), best first
  Decimal taker_fee;                   // 0.001 = 10 bp
  AlgoRules rules;                     // tick, lot, minimum quantity and notional (zero: none)
  std::span<const SorAccount> accounts;
};

struct SorParent {
  Side side = Side::kBuy;
  Decimal quantity;
  Decimal limit_price;           // zero: none
  std::uint32_t urgency_bps = 0;  // how far a child's limit may go past its deepest level
  std::uint16_t max_children = 0;  // at most this many children (zero: no cap); an account
                                   // that has taken nothing takes nothing once it is reached
};

// One child of the plan: an IOC limit order of `account` on venue `venue` (index in venues).
struct SorChild {
  std::uint16_t venue = 0;
  AccountId account;
  InstrumentId instrument;
  Decimal quantity;
  Decimal limit_price;     // the IOC's price (the slippage bound; the same for a venue's children)
  Decimal worst_price;     // the venue's deepest planned level
  Int128 notional_e18 = 0;  // planned: sum of level price x quantity, exact (scale 10^-18), when
                            // the venue gets the children in the plan's order
  Decimal cost;            // planned notional with the taker fee, rounded against us
  std::uint16_t levels = 0;  // levels it takes from
  friend bool operator==(const SorChild&, const SorChild&) = default;
};

struct SorPlan {
  std::vector<SorChild> children;  // by venue, each venue's in the order to send them
  Decimal planned;                 // sum of the children's quantities
  Decimal left;                    // the parent's quantity not routed
  Int128 notional_e18 = 0;         // sum of the children's notionals
  Decimal cost;                    // sum of the children's costs (fees included)
  std::uint16_t passes = 0;        // walks run (1 + children dropped under a venue minimum)
  // Planned average venue price (notional / planned), rounded down; zero when nothing planned.
  [[nodiscard]] Decimal avg_price() const noexcept;
};

// The split of `parent` across `venues` into `out` (cleared first; its capacity is reused, so a
// caller that keeps one SorPlan allocates nothing after the first call). The error names the
// field; kNothingRoutable when no child can be formed (out.left is then the whole quantity).
[[nodiscard]] Result<Unit, SorRefusal> plan_split(const SorParent& parent,
                                                  std::span<const SorVenue> venues, SorPlan& out);

// ---- the parent order -----------------------------------------------------------------------

// A child's end as the desk reports it (nothing more fills it).
struct SorChildFill {
  Decimal cum_qty;
  Int128 notional_e18 = 0;  // exact sum of fill price x quantity
};

// The plan's parent from its command (max_children: what a SorStep holds).
[[nodiscard]] SorParent sor_parent(const SubmitSor& c) noexcept;

// A parent order worked through the children of one plan; its state is a SorStep (the last
// recorded step is all a restart needs). Status: running while a child is out; completed when
// the children filled the whole quantity; canceled after cancel() (the children's fills still
// count); failed when they ended short (an IOC that met a book that moved, a child the desk or
// risk refused, a quantity the plan left).
class SmartOrder {
 public:
  // The children as IOC limit orders (QuoteAction kPlace, ids drawn from ++*sequence) into out;
  // its first step. Refused (nothing in out): a plan with no child or more than kMaxSorChildren.
  [[nodiscard]] static Result<SmartOrder, SorRefusal> start(const SubmitSor& c, std::uint64_t id,
                                                            const SorPlan& plan, std::uint16_t desk,
                                                            std::uint64_t* sequence,
                                                            std::vector<QuoteAction>& out);
  // A parent resumed from its last recorded step.
  explicit SmartOrder(const SorStep& last) : s_(last) {}

  // A child ended: its fills folded, a new step. False for an id that is not a child out.
  bool on_child_end(std::string_view client_order_id, const SorChildFill& fill);
  // Cancel parent: a cancel for every child still out (into out); the parent ends canceled.
  [[nodiscard]] Result<Unit, SorRefusal> cancel(std::vector<QuoteAction>& out);

  [[nodiscard]] const SorStep& step() const noexcept { return s_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return s_.parent; }
  [[nodiscard]] AlgoState status() const noexcept { return s_.state; }
  [[nodiscard]] bool done() const noexcept;  // ended and no child out
  [[nodiscard]] Decimal cum_qty() const noexcept { return s_.filled; }
  [[nodiscard]] Int128 notional_e18() const noexcept;
  // Average fill price over the children's fills (rounded down); zero before a fill.
  [[nodiscard]] Decimal avg_price() const noexcept;
  [[nodiscard]] bool owns(std::string_view client_order_id) const noexcept;  // a child out
  // A child's fill notional (run-local: zero for a child that ended before a restart).
  [[nodiscard]] Int128 child_notional_e18(std::size_t i) const noexcept { return child_notional_[i]; }

 private:
  SmartOrder() = default;
  void settle();  // the status once no child is out

  SorStep s_;
  std::array<Int128, kMaxSorChildren> child_notional_{};
};

}  // namespace oms::actors
