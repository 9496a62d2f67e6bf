// MarketMaker: one instrument's two-sided quotes on one account, as a pure core in the engine's
// strategy stage (DESIGN.md "One order path"): it decides on book tops, on its orders' outcomes
// and on the strategy stage's tick; it reads no clock and keeps no order state of its own beyond
// which of its orders it is waiting on (the desk owns every order). Its decisions are commands
// (new post-only quotes, cancels) that take the API's path: risk, desk, journal, venue.
//
// The quotes (all in exact integers; a "fraction" is a Decimal's mantissa: 1e-9 units, so
// 1 bp = 100,000):
//   fair      the mid, or the micro-price (bid x ask_qty + ask x bid_qty) / (bid_qty + ask_qty)
//   sigma     EWMA (span vol_samples) of the squared fair-price return between samples taken
//             every vol_interval; sigma is its integer square root
//   half      max(spread_bps / 2, vol_multiplier x sigma)
//   center    fair x (1 - skew_bps x q) where q = inventory / max_inventory in [-1, 1]: a long
//             position moves both quotes down (sell sooner, buy later), a short one up
//   level i   bid = center x (1 - half - i x level_step_bps) floored to the tick, ask = center
//             x (1 + ...) ceiled; a bid never at or above the best ask, an ask never at or below
//             the best bid (post-only: a quote never takes)
//   size      quote_size per level, less what would take inventory + the resting bids above
//             max_inventory (asks: below -max_inventory), rounded down to the lot; a level
//             under one lot, the minimum quantity or the minimum notional is not quoted
//
// When it requotes: no quotes yet, the fair price moved more than requote_bps since the last
// quotes (at most once per refresh interval), one of its orders filled or ended (at once). A
// requote cancels each quote whose price or size is no longer wanted and places a quote where
// a slot is empty -- a replaced quote is placed once its cancel is confirmed, so resting size
// never exceeds what the inventory allows. A quote the venue refuses (post-only: the venue's
// book had moved through it) is not sent again before the fair price changes; refusals in a row
// (a risk stop, a venue refusing everything) hold every new quote back, 100 ms after the second
// and twice as long after each next one (at most 51.2 s), until a quote is accepted again. Places and cancels count against
// max_actions_per_second (the venue's order-rate limits); what the budget holds back goes out
// at the next tick.
//
// When it pulls every quote (cancels, not counted against the budget) and stops quoting:
//   shock        the fair price's range within shock_window exceeds shock_rate: for shock_pause
//   stale        no book update for stale_after: until the next update
//   inactive     the strategy is not running, its venue is down (the context says): until back
//   loss stop    the strategy's PnL today (the trading day the context names; at the marks,
//                net of fees) fell by more than max_daily_loss: for the rest of the day
//   stop loss    the inventory's loss at the mark exceeds stop_loss_rate of its value at the
//                fair price (auto_stop_loss): once every quote is gone, the inventory is closed
//                by IOC orders at the touch (one out at a time, again at each tick or end
//                until flat), then quoting resumes after shock_pause
// Inventory and PnL are the desk's (PositionCore's strategy leg: exact, journaled, rebuilt),
// handed in with each decision.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/market_stages.hpp"
#include "oms/cores/state_codec.hpp"
#include "oms/cores/strategy_action.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/decimal.hpp"

namespace oms::actors {

enum class FairPrice : std::uint8_t { kMid, kMicro };

struct QuoterConfig {
  StrategyId strategy;
  AccountId account;
  InstrumentId instrument;
  Decimal tick, lot, min_qty, min_notional;  // the instrument's rules (zero: none)
  FairPrice fair = FairPrice::kMid;
  Decimal spread_bps;      // the full spread's floor (each side: half)
  Decimal quote_size;      // base units per level
  std::uint32_t levels = 1;
  Decimal level_step_bps;  // between two levels of a side
  Decimal max_inventory;   // base units, either sign (> 0)
  Decimal max_position_value;  // quote units at the fair price; zero: none
  Decimal skew_bps;        // the center's shift at full inventory
  Decimal requote_bps;     // a fair move that calls for new quotes
  TimeNs refresh = 0;      // requotes on price moves at most this often (fills: at once)
  TimeNs vol_interval = 1'000'000'000;
  std::uint32_t vol_samples = 60;  // EWMA span (alpha = 2 / (span + 1))
  Decimal vol_multiplier;  // zero: the spread is the floor
  Decimal shock_rate;      // fraction (0.005 = 0.5 %); zero: no shock check
  TimeNs shock_window = 1'000'000'000;
  TimeNs shock_pause = 5'000'000'000;
  TimeNs stale_after = 0;  // zero: no staleness check
  Decimal max_daily_loss;  // quote units; zero: none
  std::uint32_t max_actions_per_second = 0;  // places + cancels; zero: no cap
  Decimal stop_loss_rate;  // auto stop loss: fraction of the inventory's value; zero: none
};

// What the engine knows that the quoter needs, at each decision.
struct QuoterContext {
  Decimal inventory;      // the strategy's position in the instrument on the account
  Int128 pnl_e18 = 0;     // its PnL at the mark, net of fees in the quote asset (1e-18)
  Int128 unrealized_e18 = 0;  // the inventory's PnL at the mark against its entry (1e-18)
  bool active = true;     // the strategy runs and its account's venue is up
  std::int64_t trading_day = 0;  // the engine's trading day (risk.yaml trading_day)
  std::uint16_t desk = 1;
  std::uint64_t* sequence = nullptr;  // the strategy stage's client order id sequence
};

enum class QuoterState : std::uint8_t { kQuoting, kInactive, kShock, kStale, kLossStop, kStopLoss };
[[nodiscard]] std::string_view to_string(QuoterState s) noexcept;

class MarketMaker {
 public:
  explicit MarketMaker(QuoterConfig config);
  // New parameters (an operator's change): the state stays; the next decision requotes
  // (requote false: a checkpoint's configuration put back, nothing owed).
  void set_config(QuoterConfig config, bool requote = true);

  // A new top of its instrument's book.
  void on_top(const TopOfBook& top, TimeNs now, const QuoterContext& ctx,
              std::vector<QuoteAction>& out);
  // One of its orders changed (after the desk applied it): live, filled or partly, ended.
  // Returns false when the order is not one of its quotes.
  bool on_order(std::string_view client_order_id, OrderStatus status, bool filled,
                TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out);
  // The strategy stage's tick: staleness, the end of a pause, a new day, what the action budget
  // or the refresh interval held back.
  void on_tick(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out);
  // A live order of this strategy on its account and instrument found after a restart (not in
  // a checkpoint): taken in as a quote to cancel.
  void adopt(const ClientOrderIdText& id, Side side, Decimal price, Decimal quantity);

  // The prices and sizes it would quote now (levels, bids then asks); for tests and views.
  struct Level { Side side = Side::kBuy; std::uint8_t level = 0; Decimal price, quantity; };
  [[nodiscard]] std::vector<Level> desired(const QuoterContext& ctx) const;

  [[nodiscard]] const QuoterConfig& config() const noexcept { return config_; }
  [[nodiscard]] QuoterState state() const noexcept { return state_; }
  [[nodiscard]] Decimal fair() const noexcept { return fair_; }
  // sigma as a fraction (1e-9 units) per vol_interval.
  [[nodiscard]] std::int64_t sigma() const noexcept;
  [[nodiscard]] std::size_t quotes() const noexcept { return quotes_.size(); }
  [[nodiscard]] std::uint64_t actions() const noexcept { return actions_total_; }
  [[nodiscard]] std::uint64_t pulls() const noexcept { return pulls_; }

  // The whole state (the engine's checkpoints).
  void save(StateWriter& w) const;
  void load(StateReader& r);

  // One resting (or requested) quote.
  struct Quote {
    ClientOrderIdText id;
    Side side = Side::kBuy;
    std::uint8_t level = 0;  // kStray: adopted after a restart
    std::uint8_t phase = 0;  // 0 sent, 1 live, 2 cancel sent
    Decimal price, quantity;
  };
  static constexpr std::uint8_t kStray = 255;

 private:
  void requote(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out);
  void cancel(Quote& q, std::vector<QuoteAction>& out);  // its cancel, out now
  void pull_all(std::vector<QuoteAction>& out);
  void enter(QuoterState s, TimeNs now, std::vector<QuoteAction>& out);
  // Sets state_ from the context and the clock; true when quoting is allowed.
  bool may_quote(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out);
  // A requote is due: owed after a fill or an end, none yet, or the fair price moved beyond
  // requote_bps and the refresh interval passed.
  [[nodiscard]] bool owed(TimeNs now) const;
  bool spend(TimeNs now);  // one action from this second's budget
  void sample(TimeNs now);
  // Stop loss: true while it holds (entered now, or the inventory not flat yet).
  bool stop_loss(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out);
  [[nodiscard]] Decimal effective_max_inventory() const;

  QuoterConfig config_;
  QuoterState state_ = QuoterState::kInactive;
  TopOfBook top_{};
  TimeNs last_book_ = 0;
  Decimal fair_, quoted_fair_;
  TimeNs last_requote_ = 0;
  bool dirty_ = true;  // a requote is owed
  // Volatility: the last sample, the EWMA of squared returns (fraction^2, 1e-18 units).
  Decimal sample_fair_;
  TimeNs next_sample_ = 0;
  std::int64_t variance_ = 0;
  // Shock: the fair price's low and high per sixteenth of the window.
  static constexpr std::size_t kBuckets = 16;
  struct Bucket { std::int64_t slot = -1; Decimal low, high; };
  std::array<Bucket, kBuckets> buckets_{};
  TimeNs paused_until_ = 0;
  // Loss stop: the trading day and the PnL when it began.
  std::int64_t day_ = -1;
  Int128 day_start_pnl_e18 = 0;
  // The action budget: this second and what it spent.
  std::int64_t budget_second_ = -1;
  std::uint32_t budget_spent_ = 0;
  std::vector<Quote> quotes_;
  // By side (bid, ask): the fair price when the venue last refused a quote of that side; the
  // side is not quoted again at that fair price.
  std::array<Decimal, 2> refused_at_{};
  // Stop loss: the closing order out (empty: none).
  ClientOrderIdText closing_;
  std::uint32_t refusals_ = 0;  // refused quotes since one was last accepted
  TimeNs hold_until_ = 0;       // no new quote before (refusals in a row back off)
  std::uint64_t actions_total_ = 0, pulls_ = 0;
};

}  // namespace oms::actors
