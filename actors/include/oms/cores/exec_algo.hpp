// ExecAlgo: one execution algo -- a parent order worked through child orders over time -- as
// a pure core of the engine's strategy stage (no clock reads, no I/O). The shell asks it when
// its next slice is due (next_due), fires it on the timer input that comes back, feeds it the
// traded volume (TradePrinted), its children's ends (figures from the desk) and the operator's
// controls, and carries out the orders and cancels it decides (QuoteAction): the children take
// the one order path (risk, desk, journal, venue) like every strategy order.
//
// The schedule (exact integers, nothing lost):
//   slice k (0 <= k < slices) is due at start + (end - start) x k / slices (floored, ns)
//   its weight: TWAP 1; VWAP the curve's weight over the slice's share of [start, end] (the
//     curve's buckets split [start, end] equally; a slice over parts of two buckets takes each
//     part's share)
//   target_through(k) = quantity x W(0..k) / W(all), floored to the lot step: the last slice's
//     target is the quantity itself (it must be a lot multiple), so the lots a floor left behind
//     land exactly once, on the slices where the running sum crosses them
// A slice sends one child for what the schedule wants done through it less what filled:
//   catch-up   what earlier slices left unfilled rolls into the next one, bounded: a slice at
//              most catch_up x its own scheduled quantity (catch_up < 1 or zero: its own only;
//              the shortfall stays behind)
//   cap        participation > 0: at most participation x the volume traded since the last
//              slice, floored to the lot
//   price      a limit IOC at the far touch (buy at the ask, sell at the bid), never through
//              limit_price (buy: min(ask, limit), sell: max(bid, limit)); with no touch yet, at
//              the limit; with neither, the slice is skipped (its quantity rolls)
//   minimums   a child under one lot, the minimum quantity or the minimum notional is not sent
//              (the slice is skipped, its quantity rolls)
// Children are IOC: one is out at a time; a slice due while one is out goes when it ends.
// Slices due while paused are not sent; on resume the next due slice takes their targets
// (bounded by the catch-up). Cancel: the child out is cancelled, the algo ends canceled (its
// child's fills still count when it ends). Completed: every unit filled. Failed: the last
// slice's child ended short (or the last slice could not be sent).
//
// Every change is a step: step() is the algo's whole state, recorded as an AlgoStep event (the
// STRATEGIES stream); a restart resumes it from its last step (ExecAlgo(step, rules)); a slice
// already recorded is never sent again. The parent order's figures (filled, average price) are
// folded from its children's ends. Other parent kinds (a smart order router splitting across
// venues) fit the same shell: a step per change, children tracked by client order id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/state_codec.hpp"
#include "oms/cores/strategy_action.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

// The instrument's trading rules (zero: none).
struct AlgoRules {
  Decimal tick, lot, min_qty, min_notional;
};

// What the algo reads of the world when it decides.
struct AlgoContext {
  std::uint16_t desk = 0;
  std::uint64_t* sequence = nullptr;  // the client order id sequence (drawn from: ++*sequence)
  Decimal bid, ask;                   // the instrument's touch now; zero: unknown
};

// A child's figures when it ended (from the desk's OrderCore).
struct AlgoFill {
  Decimal cum_qty;
  Int128 notional_e18 = 0;  // exact sum of price x quantity
};

class ExecAlgo {
 public:
  // A new algo from its command; the error names the field. `curve`: the weights it runs with
  // (VWAP: the command's, or the engine's from recorded trades; TWAP: ignored).
  [[nodiscard]] static Result<ExecAlgo, std::string> make(const SubmitAlgo& c, std::uint64_t id,
                                                          const VolumeCurveWeights& curve,
                                                          AlgoRules rules);
  // An algo resumed from its last recorded step.
  ExecAlgo(const AlgoStep& last, AlgoRules rules);

  // ---- the schedule ----
  [[nodiscard]] TimeNs slice_time(std::uint32_t k) const noexcept;
  [[nodiscard]] Decimal target_through(std::uint32_t k) const noexcept;
  // When it next wants to run: the next slice's time while running with no child out;
  // nullopt: nothing is due by time (paused, ended, a child out, every slice sent).
  [[nodiscard]] std::optional<TimeNs> next_due() const noexcept;

  // ---- inputs ----
  // Volume traded on its instrument (participation cap). Not a step.
  void on_trade(Decimal quantity) noexcept;
  // Time: sends the slice due (if any). True: a step.
  bool on_timer(TimeNs now, const AlgoContext& c, std::vector<QuoteAction>& out);
  // Its child ended (nothing more fills it): its fills folded, then the next slice if it is
  // already due. True: a step; false for an id that is not its child out.
  bool on_child_end(std::string_view client_order_id, const AlgoFill& fill, TimeNs now,
                    const AlgoContext& c, std::vector<QuoteAction>& out);
  // An operator's cancel, pause or resume; the error says why not (nothing changed).
  [[nodiscard]] Result<Unit, std::string> control(AlgoAction action, TimeNs now,
                                                  const AlgoContext& c,
                                                  std::vector<QuoteAction>& out);

  [[nodiscard]] const AlgoStep& step() const noexcept { return s_; }
  [[nodiscard]] bool terminal() const noexcept { return is_terminal(s_.state); }
  // Ended and no child out: nothing more can change it.
  [[nodiscard]] bool done() const noexcept { return terminal() && s_.child.empty(); }
  [[nodiscard]] Decimal avg_price() const noexcept;
  [[nodiscard]] bool owns(std::string_view client_order_id) const noexcept {
    return !s_.child.empty() && s_.child.view() == client_order_id;
  }
  // The whole state, run-local flags included (the engine's checkpoints).
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  ExecAlgo() = default;
  // Slices whose time has come by now (0..slices).
  [[nodiscard]] std::uint32_t due_count(TimeNs now) const noexcept;
  [[nodiscard]] Int128 weight_through(std::uint32_t k) const noexcept;  // W(0..k)
  void slice(TimeNs now, const AlgoContext& c, std::vector<QuoteAction>& out);
  void cancel_child(std::vector<QuoteAction>& out);
  void finish(AlgoState end, std::string_view why);
  void note(std::string_view why);  // a new step with this reason

  AlgoStep s_;
  AlgoRules rules_;
  bool child_cancelled_ = false;  // run-local: a cancel of the child out was asked
};

}  // namespace oms::actors
