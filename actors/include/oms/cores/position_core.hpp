// PositionCore: positions and PnL per (account, instrument) and per (account, strategy,
// instrument), aggregated per account, per venue, per strategy and across all accounts (per
// canonical instrument), marked to market from a price per instrument given as input.
//
// Pure: no I/O, no threads, no clock reads. Also home of the position arithmetic that
// AccountCore shares (NetPosition, apply_fill) and of the InstrumentTable both cores read.
//
// Exactness and rounding (the one place PnL is rounded is when a figure is shown):
// - A position keeps its signed size (Decimal) and its signed cost: the exact sum of
//   size x price of the open part at scale 1e-18 (Int128; two Decimal scales, no rounding).
// - Increasing adds qty x price to the cost. Reducing by k of |size| releases the share
//   cost x k / |size| of the cost, rounded half-even at 1e-18 (the only rounding), and the
//   realized PnL is sign(size) x k x price - released. The remaining cost is cost - released,
//   so no cost is ever lost or doubled: rounding moves 1e-18 between realized and unrealized
//   but never changes their sum.
// - A fill beyond the size flips: the whole position closes, the rest opens at the fill price
//   (entry reset). Entry price = cost / size, rounded half-even to 1e-9 (display only).
// - Unrealized PnL at mark m = size x m - cost (exact, 1e-18).
// Identity (pinned by the property tests), for any fill sequence on one position:
//   realized + unrealized(m) == sum over fills of (-signed_qty x price) + size x m
// exactly at 1e-18, where signed_qty is +qty for a buy and -qty for a sell. Fees are kept
// apart (per asset); net PnL in the quote asset = realized + unrealized - fees in quote.
// Products: price and qty are 128-bit mantissas, so every product is checked (product_e18: a
// quantity times a price up to 1.7e20 fits; beyond it the fill is refused with kArithmetic,
// never wrapped), and a cost share is (cost / s) x k + (cost % s) x k / s, each term checked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/state_codec.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

// ---- instruments ------------------------------------------------------------------------------
// What the account and position cores need of an instrument: its assets and venue. USD-M
// contracts are linear with quantity in base units (contract multiplier 1), PnL in `settle`.
struct InstrumentAssets {
  AssetCode base, quote, settle;  // settle empty for spot
  ExchangeId exchange = ExchangeId::kBinance;
  Market market = Market::kSpot;
  bool known = false;
  std::string canonical;  // "BTC/USDT", "BTC/USDT:USDT": the key of the unified view
};

// Dense by InstrumentId, built once at config load and shared (read-only) by every core.
class InstrumentTable {
 public:
  // Error (naming the instrument and the field) on an asset longer than 15 characters, an
  // invalid or repeated id, a spot instrument with a settle asset or a future without one.
  [[nodiscard]] static Result<InstrumentTable, std::string> from(
      std::span<const Instrument> instruments);
  // nullptr for an id not in the table.
  [[nodiscard]] const InstrumentAssets* find(InstrumentId id) const noexcept {
    if (!id.valid() || id.index() >= by_id_.size() || !by_id_[id.index()].known) return nullptr;
    return &by_id_[id.index()];
  }
  [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }

 private:
  std::vector<InstrumentAssets> by_id_;
};

// ---- position arithmetic (shared with AccountCore) --------------------------------------------
struct NetPosition {
  Decimal size;             // signed: > 0 long, < 0 short
  Int128 cost_e18 = 0;      // signed exact cost of the open part, scale 1e-18
  Int128 realized_e18 = 0;  // cumulative realized PnL, scale 1e-18

  // cost / size rounded half-even to 1e-9; zero when flat.
  [[nodiscard]] Decimal entry_price() const noexcept;
  // size x mark - cost, exact at 1e-18; nullopt when it leaves an Int128.
  [[nodiscard]] std::optional<Int128> unrealized_e18(Decimal mark) const noexcept;
  friend bool operator==(const NetPosition&, const NetPosition&) = default;
};
OMS_DESCRIBE(NetPosition, size, cost_e18, realized_e18)

// Exact products at scale 1e-18; false when the product leaves an Int128 (|a x b| > 1.7e20).
[[nodiscard]] inline bool product_e18(Decimal a, Decimal b, Int128& out) noexcept {
  return !__builtin_mul_overflow(a.raw(), b.raw(), &out);
}
// A 1e-18 figure rounded half-even to a Decimal; false on overflow.
[[nodiscard]] bool round_e18(Int128 v, Decimal& out) noexcept;

// Folds one fill (qty > 0, price > 0) into p. Returns false (p unchanged) when a figure
// would overflow. realized_delta_e18 receives the PnL this fill realized.
[[nodiscard]] bool apply_fill(NetPosition& p, Side side, Decimal qty, Decimal price,
                              Int128& realized_delta_e18) noexcept;

// ---- errors -----------------------------------------------------------------------------------
// Position errors, range 71xx (the account/position range is 7xxx; AccountCore uses 70xx).
enum class PositionErrorCode : std::uint16_t {
  kUnknownInstrument = 7101,  // the fill names an instrument the table does not have
  kInvalidFill = 7102,        // non-positive qty or price, invalid account (a fill of no strategy
                              // -- a manual order -- moves the net position only)
  kArithmetic = 7103,         // a figure would overflow
};
[[nodiscard]] std::string_view to_string(PositionErrorCode c) noexcept;

struct PositionError {
  PositionErrorCode code = PositionErrorCode::kInvalidFill;
  AccountId account;
  StrategyId strategy;
  InstrumentId instrument;
  Decimal quantity, price;
  friend bool operator==(const PositionError&, const PositionError&) = default;
};
// "position 7102 invalid fill: qty 0 price 100 (account 1, strategy 2, instrument 3)".
[[nodiscard]] std::string to_string(const PositionError& e);

// ---- PnL figures --------------------------------------------------------------------------------
// Sums at 1e-18, in one quote asset (sums never mix assets). Fees are the fees paid in the
// quote asset itself; fees in other assets (BNB) are listed apart (PositionCore::other_fees).
struct PnlFigures {
  AssetCode quote;
  Int128 realized_e18 = 0;
  Int128 unrealized_e18 = 0;
  Int128 fees_e18 = 0;
  std::uint32_t unmarked = 0;  // open positions without a mark (counted with unrealized 0)
  bool overflow = false;       // a sum or product left an Int128: the figures are not shown
  [[nodiscard]] Int128 total_e18() const noexcept { return realized_e18 + unrealized_e18; }
  [[nodiscard]] Int128 net_e18() const noexcept { return total_e18() - fees_e18; }
  friend bool operator==(const PnlFigures&, const PnlFigures&) = default;
};

// One line of the unified view: every account's position in one canonical instrument.
struct UnifiedLine {
  std::string canonical;
  Int128 size_e9 = 0;  // sum of the accounts' sizes (Decimal mantissas, checked)
  PnlFigures pnl;
  friend bool operator==(const UnifiedLine&, const UnifiedLine&) = default;
};

struct FeeAmount {
  AssetCode asset;
  Decimal amount;
  friend bool operator==(const FeeAmount&, const FeeAmount&) = default;
};
OMS_DESCRIBE(FeeAmount, asset, amount)

// ---- the core -----------------------------------------------------------------------------------
class PositionCore {
 public:
  // A position of an account in an instrument, net (strategy invalid) or per strategy.
  struct Leg {
    InstrumentId instrument;
    StrategyId strategy;  // invalid for the account's net position
    NetPosition position;
    Int128 fees_e18 = 0;  // fees paid in the instrument's quote (settle) asset
    friend bool operator==(const Leg&, const Leg&) = default;
  };

  // The table must outlive the core. `accounts` sizes the dense per-account vector (it grows
  // on a fill for a higher id).
  PositionCore(const InstrumentTable& instruments, std::size_t accounts);

  // Folds a FillReceived; every other event is accepted and ignored. On error nothing changes.
  [[nodiscard]] Result<Unit, PositionError> apply(const Event& event);
  [[nodiscard]] Result<Unit, PositionError> on_fill(const FillReceived& fill);
  // Rebuilds from recorded events; events that failed live fail again and change nothing.
  [[nodiscard]] static PositionCore from_events(const InstrumentTable& instruments,
                                                std::size_t accounts,
                                                std::span<const Event> events);

  // Mark price per instrument (book mid or last trade, chosen by the caller); zero = none.
  void set_mark(InstrumentId instrument, Decimal mark);
  [[nodiscard]] Decimal mark(InstrumentId instrument) const noexcept;

  // Net position of an account in an instrument (nullptr when it never traded it).
  [[nodiscard]] const Leg* net(AccountId account, InstrumentId instrument) const noexcept;
  // Every net position of an account, by instrument (empty when it never traded).
  [[nodiscard]] std::span<const Leg> net_legs(AccountId account) const noexcept;
  // Every strategy's share of the account's positions, by (instrument, strategy).
  [[nodiscard]] std::span<const Leg> strategy_legs(AccountId account) const noexcept;
  // A strategy's share of it (nullptr when the strategy never traded it on that account).
  [[nodiscard]] const Leg* strategy_leg(AccountId account, StrategyId strategy,
                                        InstrumentId instrument) const noexcept;
  [[nodiscard]] PnlFigures pnl(AccountId account, InstrumentId instrument) const;

  // Aggregates, one line per quote asset, sorted by asset.
  [[nodiscard]] std::vector<PnlFigures> account_pnl(AccountId account) const;
  [[nodiscard]] std::vector<PnlFigures> venue_pnl(ExchangeId exchange) const;
  [[nodiscard]] std::vector<PnlFigures> strategy_pnl(StrategyId strategy) const;
  // Across all accounts (net legs), one line per canonical instrument, sorted by name.
  [[nodiscard]] std::vector<UnifiedLine> unified() const;
  // Fees an account paid in assets other than the instrument's quote, per asset.
  [[nodiscard]] std::span<const FeeAmount> other_fees(AccountId account) const noexcept;
  [[nodiscard]] std::size_t accounts() const noexcept { return accounts_.size(); }

  friend bool operator==(const PositionCore& a, const PositionCore& b) {
    return a.accounts_ == b.accounts_ && same_marks(a.marks_, b.marks_);
  }

  // Compacted state (snapshots, state_codec.hpp): the accounts that traded and the marks set,
  // each under its id (remapped by name on load). load() replaces this core's state.
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  struct AccountBook {
    std::vector<Leg> net;         // sorted by instrument
    std::vector<Leg> strategies;  // sorted by (instrument, strategy)
    std::vector<FeeAmount> other_fees;
    friend bool operator==(const AccountBook&, const AccountBook&) = default;
  };
  void add_figures(std::vector<PnlFigures>& out, const Leg& leg) const;

  // Equal marks: an instrument past the end of one is unmarked there.
  static bool same_marks(const std::vector<Decimal>& a, const std::vector<Decimal>& b) noexcept;

  const InstrumentTable* instruments_;
  std::vector<AccountBook> accounts_;  // dense by AccountId
  std::vector<Decimal> marks_;         // dense by InstrumentId, up to the highest marked
};
OMS_DESCRIBE(PositionCore::Leg, instrument, strategy, position, fees_e18)


}  // namespace oms::actors
