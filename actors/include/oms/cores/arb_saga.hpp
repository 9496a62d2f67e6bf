// ArbSaga: one cross-venue arbitrage from its two legs to its end, as a pure core (no clock
// reads, no I/O). Leg risk -- the legs filling unequally -- is handled by the configured policy:
//
//   legs_out --(both legs ended)--> equal fills: closed (some filled) / missed (none filled)
//            \--------------------> unequal: hedging (policy hedge) or unwinding (policy unwind)
//   hedging   : trade the difference on the other leg's venue (buy what was not bought, sell
//               what was not sold): the arbitrage completed.   --equal--> closed
//   unwinding : reverse the excess on its own venue (sell what was bought, buy back what was
//               sold): the arbitrage undone.                    --equal--> unwound
//   A phase sends one repair order at a time (an IOC limit `band_rate` through the touch, or a
//   market order), `retries` more after the first, while the phase is younger than
//   `time_limit`; then hedging turns to unwinding and unwinding gives up: failed (a position is
//   left, an operator's). A difference below the instrument's lot or minimum quantity ends the
//   saga with that dust named; one under the venue's minimum notional cannot be traded there
//   (hedging turns to unwinding, unwinding fails).
//
// Every change of state, and every order of the saga that ends, is a step: step() is the saga's
// whole state, recorded as an ArbSagaStep event (the STRATEGIES stream); a restart resumes a
// saga from its last step (ArbSaga(step, ...)). The shell feeds it the ends of its orders (with
// their figures from the desk), the venue's first answers (leg latency) and the strategy
// stage's tick, and carries out the orders and cancels it decides (QuoteAction).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "oms/cores/state_codec.hpp"
#include "oms/cores/strategy_action.hpp"
#include "oms/messages/describe.hpp"
#include "oms/messages/events.hpp"

namespace oms::actors {

enum class LegRisk : std::uint8_t { kHedge, kUnwind };

struct SagaPolicy {
  LegRisk leg_risk = LegRisk::kHedge;
  bool market = false;        // repairs as market orders; else IOC limits through the touch
  Decimal band_rate;          // a limit repair's reach through the touch (0.001 = 10 bp)
  std::uint32_t retries = 0;  // repair orders after the first, per phase
  TimeNs order_timeout = 0;   // an order of the saga open this long is cancelled; 0: never
  TimeNs time_limit = 0;      // a phase's limit (ns); 0: none
};
OMS_DESCRIBE(SagaPolicy, leg_risk, market, band_rate, retries, order_timeout, time_limit)

// One leg's instrument and account, with the instrument's trading rules.
struct SagaLeg {
  InstrumentId instrument;
  AccountId account;
  Decimal tick, lot, min_qty, min_notional;
};
OMS_DESCRIBE(SagaLeg, instrument, account, tick, lot, min_qty, min_notional)

// What the saga reads of the world when it decides.
struct SagaContext {
  std::uint16_t desk = 0;
  std::uint64_t* sequence = nullptr;  // the client order id sequence (drawn from: ++*sequence)
  Decimal buy_bid, buy_ask;           // the buy leg's instrument's touch now; zero: unknown
  Decimal sell_bid, sell_ask;         // the sell leg's
  bool unwind_only = false;           // the strategy is halted: no hedging, only unwinding
};

// An ended order's figures (from the desk's OrderCore).
struct SagaFill {
  Decimal cum_qty;
  Int128 notional_e18 = 0;  // exact sum of price x quantity
  Decimal fee_quote;        // fees paid in the instrument's quote (settle) asset
  bool fee_other = false;   // some fee in another asset
};

// ExactAmount <-> the 1e-18 integer; false when the amount does not fit (|units| > int64).
// nullopt when the amount leaves an Int128 (a decoded amount out of range).
[[nodiscard]] std::optional<Int128> exact_e18(const ExactAmount& a) noexcept;
[[nodiscard]] bool to_exact(Int128 e18, ExactAmount& out) noexcept;

class ArbSaga {
 public:
  // A new saga: both legs decided (their client order ids set); `saga` ids it.
  ArbSaga(std::uint64_t saga, const SubmitOrder& buy, const SubmitOrder& sell, SagaLeg buy_leg,
          SagaLeg sell_leg, SagaPolicy policy, TimeNs now);
  // A saga resumed from its last recorded step.
  ArbSaga(const ArbSagaStep& last, SagaLeg buy_leg, SagaLeg sell_leg, SagaPolicy policy);

  // Whether the client order id is one of its orders still out (legs not ended, the repair).
  [[nodiscard]] bool owns(std::string_view client_order_id) const noexcept;
  // The venue's first answer to one of its legs (accepted, filled, rejected): leg latency is
  // the time from the legs going out to both answered. Not a step of its own.
  void on_answer(std::string_view client_order_id, TimeNs now) noexcept;
  // One of its orders ended (nothing more fills it): its figures folded, then what follows is
  // decided. True: a step (record step()). Ids it does not own change nothing (false).
  bool on_end(std::string_view client_order_id, const SagaFill& fill, TimeNs now,
              const SagaContext& c, std::vector<QuoteAction>& out);
  // Time: orders past their timeout are cancelled (once), a phase past its limit moves on, a
  // repair that waited for a price goes. True: a step.
  bool on_tick(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out);

  [[nodiscard]] const ArbSagaStep& step() const noexcept { return s_; }
  [[nodiscard]] bool terminal() const noexcept { return is_terminal(s_.state); }
  [[nodiscard]] const SagaPolicy& policy() const noexcept { return policy_; }
  void set_policy(const SagaPolicy& p) noexcept { policy_ = p; }
  // Base units bought minus sold over its ended orders (> 0: long).
  [[nodiscard]] Int128 imbalance() const noexcept;
  // The whole state, run-local flags included (the engine's checkpoints).
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  static constexpr std::uint8_t kBuyEnded = 1, kSellEnded = 2;
  void after_legs(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out);
  void after_repair(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out);
  void enter(SagaState phase, TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out);
  // Sends the phase's next repair order; false when it cannot (no price yet: retried at a tick).
  bool repair(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out);
  void next_phase(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out,
                  std::string_view why);
  void finish(SagaState end, const SagaContext& c, std::string_view why);
  void cancel(const SagaLeg& leg, const ClientOrderIdText& id, std::vector<QuoteAction>& out);
  [[nodiscard]] bool phase_over(TimeNs now) const noexcept;
  bool tick(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out);

  ArbSagaStep s_;
  SagaLeg buy_, sell_;
  SagaPolicy policy_;
  // Run-local: cancels already asked (a restart asks again once), first answers seen.
  bool buy_cancelled_ = false, sell_cancelled_ = false, repair_cancelled_ = false;
  bool buy_answered_ = false, sell_answered_ = false;
  TimeNs repair_sent_ = 0;
};

}  // namespace oms::actors
