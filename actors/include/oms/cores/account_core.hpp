// AccountCore: the state of ONE venue account, rebuilt only from its events.
//
// Pure: no I/O, no threads, no clock reads. apply() checks everything first, then commits:
// an error changes nothing. from_events() replays a recorded list (failed events fail again).
//
// Spot wallet (balances per (market, asset): free and locked)
// - OrderSubmitted locks: a buy locks price x qty of the quote (rounded up to 1e-9); a sell
//   locks qty of the base. Market buy rule: it locks price x qty when the order carries a
//   price (the caller's protection / reference price), else nothing, and its fills then
//   spend free quote directly. Futures orders lock nothing (order margin is not modelled: the
//   venue's BalanceUpdated carries it).
// - A fill releases the lock of its share (buy: limit price x qty, rounded up; sell: qty),
//   spends/receives the notional (buy: price x qty rounded UP; sell: rounded DOWN, so our
//   estimate never exceeds the venue's) and deducts the fee from the free balance of the fee
//   asset, whatever it is (quote, base, BNB). Fills are NOT deduplicated here: the shell
//   forwards only fills its OrderCore counted (OrderCore dedups by trade id).
// - OrderCanceled / OrderExpired / OrderRejected / OrderFilled / a terminal reconciled status
//   release the lock, keeping the share of fills the venue reported (cum_qty) but we have not
//   seen yet; the order's lock record goes when those fills arrive. OrderAmended re-locks.
//   A release never takes `locked` below zero: after a venue override the balance's locked
//   figure is the venue's, and the release is capped by it.
// - BalanceUpdated is authoritative: it replaces (free, locked) and records the drift
//   (venue - ours) on the balance.
// - Balances never go negative: an event that would make free or locked negative is refused
//   with kInsufficientBalance (7001), naming the asset, what there is and what is needed.
//
// Futures wallet and positions (USD-M, linear; quantities in base units)
// - One-way mode: one signed position per instrument (PositionSide kBoth). Hedge mode
//   (PositionModeChanged): a long and a short leg; a fill trades the leg its order named with
//   OrderPositionSideSet. Position arithmetic (entry weighted on increase, unchanged on
//   reduce, reset on flip, exact realized PnL) is NetPosition's (position_core.hpp).
// - Realized PnL and fees and funding (FundingPaid) go into the wallet balance of the settle
//   asset (fees: of their own asset). The wallet gets round(total realized) - round(realized
//   before), half-even, so rounding never accumulates.
// - PositionUpdated is authoritative: it replaces size, entry (cost = size x entry), leverage,
//   margin type and isolated margin, keeps the venue's PnL figures and records the size drift.
//
// Error codes, range 70xx (account; PositionCore uses 71xx): see AccountErrorCode.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/position_core.hpp"
#include "oms/cores/state_codec.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

enum class AccountErrorCode : std::uint16_t {
  kInsufficientBalance = 7001,  // free or locked would go negative
  kUnknownInstrument = 7002,    // not in the instrument table, or a market we do not model
  kWrongAccount = 7003,         // the event names another account
  kArithmetic = 7004,           // a figure would overflow
  kInvalidEvent = 7005,         // non-positive qty/price, negative fee, leverage 0, ...
  kLegOverclose = 7006,         // a hedge-mode fill would take a leg through zero
  kMissingPositionSide = 7007,  // hedge-mode fill without a leg, or a leg in one-way mode
  kDuplicateOrder = 7008,       // OrderSubmitted for a client order id already open
  kUnknownOrder = 7009,         // OrderPositionSideSet / OrderAmended for no open order
  kOpenPositions = 7010,        // position mode change with positions open
};
[[nodiscard]] std::string_view to_string(AccountErrorCode c) noexcept;

struct AccountError {
  AccountErrorCode code = AccountErrorCode::kInvalidEvent;
  AccountId account;
  InstrumentId instrument;
  AssetCode asset;
  Decimal have, need;  // kInsufficientBalance: the balance and the amount it would lose
  ClientOrderIdText client_order_id;
  friend bool operator==(const AccountError&, const AccountError&) = default;
};
// "account 7001 insufficient balance: USDT free 10 < 12.5 (account 1, order C1)".
[[nodiscard]] std::string to_string(const AccountError& e);

struct Balance {
  Market market = Market::kSpot;
  AssetCode asset;
  Decimal free, locked;
  Decimal drift_free, drift_locked;  // venue - ours at the last BalanceUpdated
  friend bool operator==(const Balance&, const Balance&) = default;
};
OMS_DESCRIBE(Balance, market, asset, free, locked, drift_free, drift_locked)

// The lock (and the hedge leg) of one open order.
struct OrderLock {
  ClientOrderIdText client_order_id;
  InstrumentId instrument;
  Side side = Side::kBuy;
  PositionSide position_side = PositionSide::kBoth;
  bool terminal = false;  // the venue ended it; waiting for fills up to venue_cum
  Decimal lock_price;     // buys: quote locked per unit; zero for sells (base locked 1:1)
  Decimal quantity, filled, venue_cum;
  Decimal locked;  // still locked for this order, in the lock asset
  friend bool operator==(const OrderLock&, const OrderLock&) = default;
};
OMS_DESCRIBE(OrderLock, client_order_id, instrument, side, position_side, terminal, lock_price,
             quantity, filled, venue_cum, locked)

// One futures position leg.
struct FuturesLeg {
  NetPosition position;  // signed: the short leg's size is negative
  Decimal isolated_margin;
  Decimal venue_unrealized, venue_realized;  // as the last PositionUpdated said
  Decimal size_drift;                        // venue - ours at the last PositionUpdated
  friend bool operator==(const FuturesLeg&, const FuturesLeg&) = default;
};
OMS_DESCRIBE(FuturesLeg, position, isolated_margin, venue_unrealized, venue_realized, size_drift)

struct FuturesPosition {
  InstrumentId instrument;
  std::uint16_t leverage = 1;
  MarginType margin_type = MarginType::kCross;
  Decimal funding;                 // sum of FundingPaid (negative: paid)
  std::array<FuturesLeg, 3> legs;  // indexed by PositionSide: both, long, short
  [[nodiscard]] const FuturesLeg& leg(PositionSide s) const noexcept {
    return legs[static_cast<std::size_t>(s)];
  }
  friend bool operator==(const FuturesPosition&, const FuturesPosition&) = default;
};
OMS_DESCRIBE(FuturesPosition, instrument, leverage, margin_type, funding, legs)

struct PendingTransfer {
  std::uint64_t transfer_id = 0;
  bool outgoing = false, incoming = false;
  Market from_market = Market::kSpot, to_market = Market::kSpot;
  AssetCode asset;
  Decimal amount;
  friend bool operator==(const PendingTransfer&, const PendingTransfer&) = default;
};
OMS_DESCRIBE(PendingTransfer, transfer_id, outgoing, incoming, from_market, to_market, asset, amount)

// A pending change of one balance, in mantissas (1e-9); AccountCore checks a set of them
// before it commits any.
struct BalanceDelta {
  Market market = Market::kSpot;
  AssetCode asset;
  Int128 free_raw = 0, locked_raw = 0;
};

class AccountCore {
 public:
  // The table must outlive the core (it is shared by every account).
  AccountCore(AccountId id, const InstrumentTable& instruments) noexcept
      : id_(id), instruments_(&instruments) {}

  // Folds one event. Events of no concern to an account (market data, strategy state) are
  // accepted and change nothing; an event naming another account is kWrongAccount.
  [[nodiscard]] Result<Unit, AccountError> apply(const Event& event);
  [[nodiscard]] static AccountCore from_events(AccountId id, const InstrumentTable& instruments,
                                               std::span<const Event> events);

  // Would OrderSubmitted be folded (instrument known, figures valid, not a duplicate, the lock
  // covered by the free balance)? The same checks apply() runs, without changing anything.
  [[nodiscard]] Result<Unit, AccountError> check_submit(const OrderSubmitted& e) const;

  [[nodiscard]] AccountId id() const noexcept { return id_; }
  [[nodiscard]] bool hedge_mode() const noexcept { return hedge_mode_; }
  // nullptr when the account never held the asset on that market.
  [[nodiscard]] const Balance* balance(Market market, const AssetCode& asset) const noexcept;
  [[nodiscard]] std::span<const Balance> balances() const noexcept { return balances_; }
  [[nodiscard]] std::span<const OrderLock> open_orders() const noexcept { return orders_; }
  [[nodiscard]] const FuturesPosition* position(InstrumentId instrument) const noexcept;
  [[nodiscard]] std::span<const FuturesPosition> positions() const noexcept { return futures_; }
  // size x mark - cost of one leg, exact at 1e-18 (0 when there is no such position).
  [[nodiscard]] std::optional<Int128> unrealized_e18(InstrumentId instrument, PositionSide side,
                                      Decimal mark) const noexcept;

  // Same state (the instrument table it reads is not compared).
  friend bool operator==(const AccountCore& a, const AccountCore& b) {
    return a.id_ == b.id_ && a.hedge_mode_ == b.hedge_mode_ && a.balances_ == b.balances_ &&
           a.orders_ == b.orders_ && a.futures_ == b.futures_ && a.transfers_ == b.transfers_;
  }

  // Compacted state (snapshots, state_codec.hpp). load() reads into this core (built for its
  // account and table); a state of another account fails the reader.
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  template <class Self, class V>
  static void state(Self& s, V&& v) {
    v(s.hedge_mode_, s.balances_, s.orders_, s.futures_, s.transfers_);
  }
  using Delta = BalanceDelta;
  static constexpr std::size_t kMaxDeltas = 4;
  // A checked set of balance changes: the merged deltas and the figures they lead to.
  struct Plan {
    std::array<Delta, kMaxDeltas> merged{};
    std::array<Int128, kMaxDeltas> free_after{}, locked_after{};
    std::size_t n = 0;
  };
  struct SubmitPlan {
    OrderLock lock;
    Plan balances;
  };
  [[nodiscard]] Result<Plan, AccountError> plan(std::span<const Delta> deltas,
                                                const ClientOrderIdText& order,
                                                InstrumentId instrument) const;
  [[nodiscard]] Result<SubmitPlan, AccountError> plan_submit(const OrderSubmitted& e) const;
  Result<Unit, AccountError> on(const OrderSubmitted& e);
  Result<Unit, AccountError> on(const OrderPositionSideSet& e);
  Result<Unit, AccountError> on(const OrderAmended& e);
  Result<Unit, AccountError> on_terminal(const ClientOrderIdText& id, Decimal venue_cum);
  Result<Unit, AccountError> on(const FillReceived& e);
  Result<Unit, AccountError> on_spot_fill(const FillReceived& e, const InstrumentAssets& inst);
  Result<Unit, AccountError> on_futures_fill(const FillReceived& e, const InstrumentAssets& inst);
  // True when qty more of fills completes the order (its quantity, or the venue's final cum).
  [[nodiscard]] static bool fill_completes(const OrderLock& o, Decimal qty) noexcept;
  // Counts a fill on its order's lock record; drops the record when the order is done.
  void settle_fill(OrderLock& o, Decimal qty, Decimal share, bool done);
  Result<Unit, AccountError> on(const BalanceUpdated& e);
  Result<Unit, AccountError> on(const PositionUpdated& e);
  Result<Unit, AccountError> on(const FundingPaid& e);
  Result<Unit, AccountError> on(const PositionModeChanged& e);
  Result<Unit, AccountError> on(const LeverageChanged& e);
  Result<Unit, AccountError> on(const MarginTypeChanged& e);
  Result<Unit, AccountError> on(const IsolatedMarginChanged& e);
  Result<Unit, AccountError> on(const TransferRequested& e);
  Result<Unit, AccountError> on(const TransferCompleted& e);
  Result<Unit, AccountError> on(const TransferFailed& e);

  // Checks a set of balance changes (none may leave free or locked negative), then commits.
  Result<Unit, AccountError> change(std::span<const Delta> deltas, const ClientOrderIdText& order,
                                    InstrumentId instrument);
  [[nodiscard]] Balance* find_balance(Market market, const AssetCode& asset) noexcept;
  Balance& balance_slot(Market market, const AssetCode& asset);
  [[nodiscard]] OrderLock* find_order(const ClientOrderIdText& id) noexcept;
  FuturesPosition& position_slot(InstrumentId instrument);
  [[nodiscard]] AccountError error(AccountErrorCode c, InstrumentId instrument = {}) const;

  AccountId id_;
  const InstrumentTable* instruments_;
  bool hedge_mode_ = false;
  // Small flat vectors: a handful of assets, open orders and positions per account.
  std::vector<Balance> balances_;
  std::vector<OrderLock> orders_;
  std::vector<FuturesPosition> futures_;
  std::vector<PendingTransfer> transfers_;
};

// Every account, dense by AccountId: an account switch is an array index.
class AccountBook {
 public:
  AccountBook(const InstrumentTable& instruments, std::size_t accounts);
  [[nodiscard]] AccountCore& operator[](AccountId id) noexcept { return accounts_[id.index()]; }
  [[nodiscard]] const AccountCore& operator[](AccountId id) const noexcept {
    return accounts_[id.index()];
  }
  [[nodiscard]] std::size_t size() const noexcept { return accounts_.size(); }
  // Routes an event to the account(s) it names (a transfer: both ends; a transfer outcome,
  // which names no account: every account with that transfer pending). Events for no account
  // are accepted; an account id out of range is kWrongAccount.
  [[nodiscard]] Result<Unit, AccountError> apply(const Event& event);

 private:
  std::vector<AccountCore> accounts_;
};

}  // namespace oms::actors
