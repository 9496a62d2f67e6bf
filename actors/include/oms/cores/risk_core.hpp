// RiskCore: pre-trade checks for the hot path, pure logic (time is an argument).
//
// Limits and kill switches live in a RiskLimitTable (atomics, operators write them from any
// thread). Positions, exposures, PnL, open-order counts and rate buckets are owned by the
// hot-path thread: check() and the on_* calls must all come from that one thread.
//
// Every scope is checked on its own, so the tightest limit wins whatever its level; when
// several trip, the first in the order global, account, strategy, instrument is reported.
// Check order: ids and order shape, kill switches, loss limits, order size, price band,
// position, exposure, leverage, open orders, order rate (its token is taken only when every
// other check passed).
//
// Orders that reduce the position (opposite side, quantity <= |position|) always pass the
// loss limits, and pass position, exposure and leverage limits when those do not grow.
// Exposure is valued at the last mark (on_mark), or at the order's reference price for an
// instrument without a mark. Open orders do not count towards position or exposure.
//
// Every limit in money (order notional, exposure, daily loss, equity) is in USDT. An instrument
// quoted in another currency (Upbit's BTC/KRW, a BTC-quoted ETH/BTC) names a QuoteSource: the
// spot instrument whose mark converts its quote to USDT (USDT/KRW: divide by the mark; BTC/USDT:
// multiply). Its prices are converted on the way in -- an order's price and the marks when
// checked, a fill's price and fee when counted (cost basis and realized PnL in USDT at that
// fill's rate) -- and its cells are revalued when the rate's mark moves. Until the rate
// instrument has a mark an order that adds risk is refused (kNoQuoteRate; a reducing order
// passes the USDT-valued checks unvalued), and a fill is held and counted when the rate comes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/risk_limits.hpp"
#include "oms/cores/state_codec.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/envelope.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

struct OrderRequest {
  AccountId account;
  StrategyId strategy;
  InstrumentId instrument;
  Side side = Side::kBuy;
  Decimal price;      // limit price; zero = market order, valued at the reference price
  Decimal quantity;   // base units, > 0
  bool reduce_only = false;
  Decimal reference;  // mark / mid for the price band; zero = none
};

// The verdict: passed, or the first limit that tripped with the numbers that tripped it.
struct RiskDecision {
  RiskCode code = RiskCode::kPassed;
  LimitScope scope = LimitScope::kGlobal;
  std::uint32_t scope_id = 0;  // the account, strategy or instrument index; 0 for global
  Decimal value;               // what the order would make it (counts as whole numbers)
  Decimal limit;
  AccountId account;
  StrategyId strategy;
  InstrumentId instrument;
  // kVenueRule: the venue's filter the order breaks (FilterCode, 31xx); value and limit are the
  // filter's (FilterReject).
  FilterCode rule{};

  [[nodiscard]] bool passed() const noexcept { return code == RiskCode::kPassed; }
};

// Off the hot path: "risk 2003: notional 125000 USDT > limit 100000 (account 3)".
[[nodiscard]] std::string describe(const RiskDecision& d, std::string_view quote = "USDT");
// The journal event of a rejection.
[[nodiscard]] RiskBreached to_event(const RiskDecision& d) noexcept;

struct RiskFill {
  AccountId account;
  StrategyId strategy;
  InstrumentId instrument;
  Side side = Side::kBuy;
  Decimal price;
  Decimal quantity;  // > 0
  Decimal fee;       // in the quote currency, counted as a realized loss
  // A fee charged in another asset (BNB...), counted as a realized loss too: fee_other units
  // valued at the mark of fee_rate (a spot ASSET/USDT instrument), or as USDT itself when
  // fee_rate is invalid. Without a mark yet the fee is held and counted when the mark comes.
  Decimal fee_other;
  InstrumentId fee_rate;
};

// How an instrument's quote converts to USDT (see the header comment).
struct QuoteSource {
  InstrumentId rate;      // invalid: the quote is USDT itself (the default)
  bool inverse = false;   // the rate instrument is USDT/QUOTE (divide by its mark), else QUOTE/USDT
  bool unpriced = false;  // no instrument gives the quote a rate: never valued (fail closed)
};

class RiskCore {
 public:
  // strategies: the configured ones; a book for orders of no strategy is added (strategy_slot).
  RiskCore(std::size_t accounts, std::size_t strategies, std::size_t instruments);

  // At setup, before trading (allocates): the instrument's quote is valued through `source`.
  // False (nothing changes) for an id out of range, a rate instrument that is itself rated, or
  // an instrument that prices others.
  bool set_quote_source(InstrumentId instrument, QuoteSource source);
  [[nodiscard]] QuoteSource quote_source(InstrumentId instrument) const noexcept {
    return instrument.index() < sources_.size() ? sources_[instrument.index()] : QuoteSource{};
  }
  // Fills held until their instrument's quote has a rate (at most kMaxHeldFills; beyond that the
  // fill's account is halted and the fill refused with kNoQuoteRate).
  static constexpr std::size_t kMaxHeldFills = 4096;
  [[nodiscard]] std::size_t held_fills() const noexcept { return held_.size(); }
  // Fees in another asset held until its instrument's mark (RiskFill::fee_other; at most
  // kMaxHeldFills, beyond that the account is halted).
  [[nodiscard]] std::size_t held_fees() const noexcept { return held_fees_.size(); }

  // Operators and the shell change limits and kill switches here, from any thread.
  [[nodiscard]] RiskLimitTable& limits() noexcept { return limits_; }
  [[nodiscard]] const RiskLimitTable& limits() const noexcept { return limits_; }

  // The pre-trade check. No allocation, no exception, no lock; takes an order-rate token from
  // every scope with a rate limit when (and only when) the order passes.
  [[nodiscard]] RiskDecision check(const OrderRequest& order, TimeNs now) noexcept;

  // Hot-path state. An error (kUnknownId, kInvalidOrder, kOverflow) leaves the state as it
  // was; on kOverflow the account's kill switch is set to halted (fail closed).
  [[nodiscard]] Result<Unit, RiskCode> on_fill(const RiskFill& fill) noexcept;
  [[nodiscard]] Result<Unit, RiskCode> on_mark(InstrumentId instrument, Decimal price) noexcept;
  // The last mark of the instrument (zero: none yet, or an id out of range).
  [[nodiscard]] Decimal mark(InstrumentId instrument) const noexcept {
    return instrument.valid() && instrument.index() < marks_.size()
               ? Decimal::from_raw(marks_[instrument.index()])
               : Decimal{};
  }
  void on_order_opened(AccountId a, StrategyId s, InstrumentId i) noexcept;
  void on_order_closed(AccountId a, StrategyId s, InstrumentId i) noexcept;
  // Equity (quote currency) for the leverage cap; the global equity is the sum.
  [[nodiscard]] Result<Unit, RiskCode> set_equity(AccountId a, Decimal equity) noexcept;
  // A new trading day: realized PnL to zero and the unrealized PnL of now as the baseline.
  void roll_day() noexcept;
  // Forgets what was counted -- positions, exposures, PnL, losses in a row, open orders, rate
  // tokens, held fills and fees -- keeping the limits, the quote sources and the marks (an
  // engine's start, before it counts again from the stores). keep_live: the rate tokens and the
  // equities stay too (a fold again while trading: an order rate the stores do not hold, and the
  // equity the shell sets, are not forgotten).
  void clear_counts(bool keep_live = false) noexcept;
  void reset_consecutive_losses() noexcept;

  // Read-outs (hot-path thread). daily_loss is signed: negative is a profit today.
  [[nodiscard]] Decimal position(AccountId a, InstrumentId i) const noexcept;
  [[nodiscard]] Decimal gross_exposure(LimitScope scope, std::uint32_t id) const noexcept;
  [[nodiscard]] Decimal net_exposure(LimitScope scope, std::uint32_t id) const noexcept;
  [[nodiscard]] Decimal daily_loss(LimitScope scope, std::uint32_t id) const noexcept;
  [[nodiscard]] std::int64_t consecutive_losses(LimitScope scope, std::uint32_t id) const noexcept;
  [[nodiscard]] std::int64_t open_orders(LimitScope scope, std::uint32_t id) const noexcept;

  // What the core has counted (the engine's checkpoints): every scope's exposure, PnL, losses,
  // open orders and rate tokens, the account x instrument cells, the marks -- not the limits
  // and kill switches, which the recorded risk events restore. load() needs the same sizes; on
  // a reader error nothing changes.
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  // One account x instrument cell.
  // Amounts are Decimal raw (1e-9), each kept within +/-kMaxAmount (risk_core.cpp) so that a
  // few of them add without overflow; products are checked.
  struct Cell {
    Int128 position = 0;  // signed
    Int128 cost = 0;      // position x average entry price (USDT)
    Int128 notional = 0;  // position x mark (USDT)
  };
  // Per scope entry (global, each account, strategy, instrument).
  struct Book {
    Int128 gross = 0, net = 0, equity = 0;                   // global, account
    Int128 realized = 0, unrealized = 0, unrealized_day0 = 0;
    std::int64_t consecutive_losses = 0;
    std::int64_t open_orders = 0;
    std::int64_t tokens = 0;        // order-rate tokens x 1e9
    TimeNs refilled = kNeverRefilled;
  };
  static constexpr TimeNs kNeverRefilled = std::numeric_limits<TimeNs>::min();

  [[nodiscard]] Book* book(LimitScope scope, std::uint32_t id) noexcept;
  [[nodiscard]] const Book* book(LimitScope scope, std::uint32_t id) const noexcept;
  [[nodiscard]] Cell& cell(AccountId a, InstrumentId i) noexcept {
    return cells_[a.index() * instruments_ + i.index()];
  }
  [[nodiscard]] Result<Unit, RiskCode> revalue(AccountId a, InstrumentId i) noexcept;
  void halt(AccountId a) noexcept;
  // A product of two raws (quote amount at 1e-18) in USDT, with one rounding: at 1e-18 (to18) or
  // as a Decimal raw (to_usdt_raw). A large quantity times a price is converted whole, never a
  // rounded unit price times the quantity. False: no rate yet, or out of range.
  [[nodiscard]] bool to_usdt18(std::size_t i, Int128 quote18, Rounding r, Int128& out) const noexcept;
  [[nodiscard]] bool to_usdt_raw(std::size_t i, Int128 quote18, Rounding r, Int128& out) const noexcept;
  // qty x price (raws, the instrument's quote) in USDT as a Decimal raw, half-even, bounded.
  [[nodiscard]] bool value_raw(std::size_t i, Int128 qty, Int128 price, Int128& out) const noexcept;
  [[nodiscard]] bool has_rate(std::size_t i) const noexcept {
    const QuoteSource& s = sources_[i];
    return !s.unpriced && (!s.rate.valid() || marks_[s.rate.index()] != 0);
  }
  // The rate instrument r's mark moved: every cell of the instruments it prices revalued, and
  // the held fills whose rate is known now counted.
  [[nodiscard]] bool on_rate(std::size_t r) noexcept;
  [[nodiscard]] Result<Unit, RiskCode> apply_fill(const RiskFill& fill) noexcept;

  RiskLimitTable limits_;
  std::size_t instruments_;
  Book global_;
  // Strategy books and limit sets: one per configured strategy, plus the last for orders of no
  // strategy (manual orders through the API), whose limits are the global/account/instrument
  // ones only unless an operator sets the slot's.
  [[nodiscard]] std::size_t strategy_slot(StrategyId s) const noexcept {
    if (!s.valid()) return strategies_.size() - 1;
    return s.index() < strategies_.size() - 1 ? s.index() : strategies_.size();  // size: unknown
  }
  std::vector<Book> accounts_, strategies_, instrument_books_;
  std::vector<Cell> cells_;      // accounts x instruments
  std::vector<Int128> marks_;    // Decimal raw per instrument (its own quote); 0 = none yet
  std::vector<QuoteSource> sources_;             // per instrument
  std::vector<std::vector<std::uint32_t>> priced_by_;  // per rate instrument: what it prices
  std::vector<RiskFill> held_;                   // fills waiting for their quote's rate
  struct HeldFee {
    AccountId account;
    StrategyId strategy;
    InstrumentId rate;
    Decimal amount;
  };
  std::vector<HeldFee> held_fees_;               // fees waiting for their asset's mark
  // A fee in USDT (raw) as a realized loss of the account's, the strategy's and the global book.
  [[nodiscard]] bool charge_fee(AccountId a, StrategyId s, Int128 fee) noexcept;
  // fee_other of f in USDT (raw, rounded up); false: no mark yet (or out of range).
  [[nodiscard]] bool other_fee_usdt(const RiskFill& f, Int128& out) const noexcept;
  std::vector<std::uint32_t> holders_;           // per instrument: accounts with a position
};

}  // namespace oms::actors
