// RiskCore: the pre-trade check and the hot-path state it reads (see the header).
//
// Arithmetic: amounts are Decimal raw (Int128 at 1e-9). check() compares exact 128-bit products
// at scale 1e-18 against limit x 1e9, so a passing order needs no division and no rounding;
// values are brought back to Decimal (rounded away from zero) only to report a rejection. Every
// product is checked and every kept amount bounded (kMaxAmount): a result out of range rejects
// with kOverflow rather than wrap. An instrument quoted in another currency than USDT has its
// amounts converted whole (to_usdt18 / to_usdt_raw: quantity x price at 1e-18, then one quotient
// by the rate, rounded up for a check, half-even for state); only that conversion divides.
#include "oms/cores/risk_core.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace oms::actors {
namespace {

constexpr Int128 kOne = Decimal::kOne;
// The bound of every amount the core keeps (1.3e27 units or USDT at 1e-9): far beyond any
// book, and small enough that a sum of a few of them never leaves an Int128.
constexpr Int128 kMaxAmount = Int128{1} << 120;
// Order-rate tokens are kept x 1e9 so that a refill of rate/s is rate units per nanosecond.
constexpr std::int64_t kTokenUnit = 1'000'000'000;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;
// Rates above 1e9 orders/s are no limit in practice; the cap keeps rate x 1e9 in int64.
constexpr std::int64_t kMaxRate = 1'000'000'000;
constexpr Int128 kBpsPerUnit = 10'000;

// Magnitudes of bounded amounts (|v| <= a few kMaxAmount), never the most negative Int128.
constexpr Int128 abs128(Int128 v) noexcept { return v < 0 ? -v : v; }
constexpr bool fits_raw(Int128 v) noexcept { return v >= -kMaxAmount && v <= kMaxAmount; }
// a x b, false when the product leaves an Int128.
bool mul128(Int128 a, Int128 b, Int128& out) noexcept { return !__builtin_mul_overflow(a, b, &out); }

// Scale 1e-18 -> Decimal, away from zero (a reported excess is never understated).
Decimal from18(Int128 v) noexcept {
  Int128 out = 0;
  (void)round_quotient(v, kOne, Rounding::kUp, out);  // kUp never fails
  return Decimal::from_raw(out);
}
Decimal count(std::int64_t n) noexcept { return Decimal::from_raw(Int128{n} * kOne); }

struct ScopeRef {
  LimitScope scope;
  std::uint32_t id;
  const RiskLimitTable::LimitSet* limits;
};

}  // namespace

RiskCore::RiskCore(std::size_t accounts, std::size_t strategies, std::size_t instruments)
    : limits_(accounts, strategies + 1, instruments),
      instruments_(instruments),
      accounts_(accounts),
      strategies_(strategies + 1),
      instrument_books_(instruments),
      cells_(accounts * instruments),
      marks_(instruments, 0),
      sources_(instruments),
      priced_by_(instruments),
      holders_(instruments, 0) {
  held_fees_.reserve(kMaxHeldFills);  // held on the hot path without allocating
}

bool RiskCore::set_quote_source(InstrumentId i, QuoteSource source) {
  if (i.index() >= instruments_) return false;
  const QuoteSource old = sources_[i.index()];
  if (source.unpriced) source.rate = InstrumentId{};
  if (source.rate.valid()) {
    const std::size_t r = source.rate.index();
    if (r >= instruments_) return false;
    // One step only: the rate instrument is priced in USDT, or by itself (USDT/KRW's KRW).
    if (r != i.index() && sources_[r].rate.valid() && sources_[r].rate.index() != r) return false;
    // An instrument that prices others keeps a USDT quote, or prices itself.
    for (const std::uint32_t j : priced_by_[i.index()]) {
      if (j != i.index() && r != i.index()) return false;
    }
  }
  if (old.rate.valid()) std::erase(priced_by_[old.rate.index()], static_cast<std::uint32_t>(i.index()));
  sources_[i.index()] = source;
  if (source.rate.valid()) priced_by_[source.rate.index()].push_back(static_cast<std::uint32_t>(i.index()));
  if (held_.capacity() < kMaxHeldFills) held_.reserve(kMaxHeldFills);
  return true;
}

bool RiskCore::to_usdt18(std::size_t i, Int128 quote18, Rounding r, Int128& out) const noexcept {
  const QuoteSource& s = sources_[i];
  if (s.unpriced) return false;
  if (!s.rate.valid()) {
    out = quote18;
    return true;
  }
  const Int128 rate = marks_[s.rate.index()];
  if (rate <= 0) return false;
  return s.inverse ? mul_div(quote18, kOne, rate, r, out) : mul_div(quote18, rate, kOne, r, out);
}

bool RiskCore::to_usdt_raw(std::size_t i, Int128 quote18, Rounding r, Int128& out) const noexcept {
  const QuoteSource& s = sources_[i];
  if (s.unpriced) return false;
  Int128 v = 0;
  if (!s.rate.valid()) {
    if (!mul_div(quote18, 1, kOne, r, v)) return false;
  } else {
    const Int128 rate = marks_[s.rate.index()];
    if (rate <= 0) return false;
    if (!(s.inverse ? mul_div(quote18, 1, rate, r, v) : mul_div(quote18, rate, kOne * kOne, r, v))) return false;
  }
  if (!fits_raw(v)) return false;
  out = v;
  return true;
}

bool RiskCore::value_raw(std::size_t i, Int128 qty, Int128 price, Int128& out) const noexcept {
  Int128 q18 = 0;
  return mul128(qty, price, q18) && to_usdt_raw(i, q18, Rounding::kHalfEven, out);
}

RiskCore::Book* RiskCore::book(LimitScope scope, std::uint32_t id) noexcept {
  return const_cast<Book*>(std::as_const(*this).book(scope, id));
}

const RiskCore::Book* RiskCore::book(LimitScope scope, std::uint32_t id) const noexcept {
  switch (scope) {
    case LimitScope::kGlobal: return &global_;
    case LimitScope::kAccount: return id < accounts_.size() ? &accounts_[id] : nullptr;
    case LimitScope::kStrategy: return id < strategies_.size() ? &strategies_[id] : nullptr;
    case LimitScope::kInstrument:
      return id < instrument_books_.size() ? &instrument_books_[id] : nullptr;
  }
  return nullptr;
}

RiskDecision RiskCore::check(const OrderRequest& o, TimeNs now) noexcept {
  RiskDecision d;
  d.account = o.account;
  d.strategy = o.strategy;
  d.instrument = o.instrument;
  const auto reject = [&d](RiskCode code, LimitScope scope, std::uint32_t id, Decimal value,
                           Decimal limit) noexcept {
    d.code = code;
    d.scope = scope;
    d.scope_id = scope == LimitScope::kGlobal ? 0 : id;
    d.value = value;
    d.limit = limit;
    return d;
  };

  // 1. ids and order shape.
  const std::size_t strategy = strategy_slot(o.strategy);
  if (o.account.index() >= accounts_.size() || strategy >= strategies_.size() ||
      o.instrument.index() >= instruments_) {
    return reject(RiskCode::kUnknownId, LimitScope::kGlobal, 0, {}, {});
  }
  const auto strategy_id = static_cast<std::uint32_t>(strategy);
  const Decimal price = o.price.is_zero() ? o.reference : o.price;
  if (!o.quantity.is_positive() || o.price.is_negative() || !price.is_positive()) {
    return reject(RiskCode::kInvalidOrder, LimitScope::kGlobal, 0, o.quantity, price);
  }
  // Amounts beyond the bound the core keeps: refused before any sum could leave an Int128.
  if (!fits_raw(o.quantity.raw()) || !fits_raw(price.raw()) || !fits_raw(o.reference.raw())) {
    return reject(RiskCode::kOverflow, LimitScope::kGlobal, 0, o.quantity, price);
  }
  const std::array<ScopeRef, kScopeCount> scopes{{
      {LimitScope::kGlobal, 0, &limits_.at(LimitScope::kGlobal, 0)},
      {LimitScope::kAccount, o.account.value, &limits_.at(LimitScope::kAccount, o.account.value)},
      {LimitScope::kStrategy, strategy_id, &limits_.at(LimitScope::kStrategy, strategy_id)},
      {LimitScope::kInstrument, o.instrument.value,
       &limits_.at(LimitScope::kInstrument, o.instrument.value)},
  }};
  const std::array<Book*, kScopeCount> books{&global_, &accounts_[o.account.index()],
                                             &strategies_[strategy],
                                             &instrument_books_[o.instrument.index()]};
  const Cell& c = cell(o.account, o.instrument);
  const Int128 qty = o.quantity.raw();
  const Int128 signed_qty = o.side == Side::kBuy ? qty : -qty;
  const Int128 pos = c.position;
  const bool reducing = pos != 0 && ((pos > 0) != (signed_qty > 0)) && qty <= abs128(pos);

  // 2. kill switches (global, account, strategy): halted anywhere first, then reducing-only.
  for (std::size_t s = 0; s < 3; ++s) {
    if (scopes[s].limits->load_kill_switch() == KillSwitchState::kHalted) {
      return reject(RiskCode::kKillSwitchHalted, scopes[s].scope, scopes[s].id, {}, {});
    }
  }
  for (std::size_t s = 0; s < 3; ++s) {
    if (scopes[s].limits->load_kill_switch() == KillSwitchState::kReducingOnly && !reducing) {
      return reject(RiskCode::kReducingOnly, scopes[s].scope, scopes[s].id, o.quantity,
                    Decimal::from_raw(abs128(pos)));
    }
  }
  if (o.reduce_only && !reducing) {
    return reject(RiskCode::kReducingOnly, LimitScope::kAccount, o.account.value, o.quantity,
                  Decimal::from_raw(abs128(pos)));
  }

  // 3. loss limits: only orders that add risk.
  if (!reducing) {
    for (std::size_t s = 0; s < 3; ++s) {
      const std::int64_t limit = scopes[s].limits->load(LimitKind::kDailyLoss);
      if (limit == kNoLimit) continue;
      const Book& b = *books[s];
      const Int128 loss = -(b.realized + b.unrealized - b.unrealized_day0);
      if (loss > limit) {
        return reject(RiskCode::kDailyLoss, scopes[s].scope, scopes[s].id, Decimal::from_raw(loss),
                      Decimal::from_raw(limit));
      }
    }
    for (std::size_t s = 0; s < 3; ++s) {
      const std::int64_t limit = scopes[s].limits->load(LimitKind::kConsecutiveLosses);
      if (books[s]->consecutive_losses >= limit) {
        return reject(RiskCode::kConsecutiveLosses, scopes[s].scope, scopes[s].id,
                      count(books[s]->consecutive_losses), count(limit));
      }
    }
  }

  // 4. order size, in USDT. No rate for the quote yet: an order that adds risk is refused; a
  // reducing one passes the checks in USDT unvalued (an exit never waits for a rate feed).
  const std::size_t ins = o.instrument.index();
  const bool rated = has_rate(ins);
  if (!rated && !reducing) {
    return reject(RiskCode::kNoQuoteRate, LimitScope::kInstrument, o.instrument.value, price, {});
  }
  // price x qty at 1e-18 in the quote, converted whole (unvalued without a rate): exact for a
  // USDT quote, one rounding up otherwise.
  Int128 notional = 0;
  if (rated && (!mul128(price.raw(), qty, notional) ||
                !to_usdt18(ins, notional, Rounding::kUp, notional))) {
    return reject(RiskCode::kOverflow, LimitScope::kGlobal, 0, o.quantity, price);
  }
  for (const ScopeRef& s : scopes) {
    const std::int64_t limit = s.limits->load(LimitKind::kOrderNotional);
    if (rated && limit != kNoLimit && notional > Int128{limit} * kOne) {
      return reject(RiskCode::kOrderNotional, s.scope, s.id, from18(notional),
                    Decimal::from_raw(limit));
    }
  }
  for (const ScopeRef& s : scopes) {
    const std::int64_t limit = s.limits->load(LimitKind::kOrderQuantity);
    if (limit != kNoLimit && qty > limit) {
      return reject(RiskCode::kOrderQuantity, s.scope, s.id, o.quantity, Decimal::from_raw(limit));
    }
  }

  // 5. price band (limit orders): |price - reference| x 1e4 / reference > band bps.
  if (!o.price.is_zero()) {
    const Int128 distance = abs128(o.price.raw() - o.reference.raw());  // both bounded
    for (const ScopeRef& s : scopes) {
      const std::int64_t limit = s.limits->load(LimitKind::kPriceBandBps);
      if (limit == kNoLimit) continue;
      if (!o.reference.is_positive()) {
        return reject(RiskCode::kNoReferencePrice, s.scope, s.id, o.reference,
                      Decimal::from_raw(limit));
      }
      // bps at 1e-9 x reference; a distance too large to scale is beyond any band.
      Int128 scaled = 0, band = 0;
      const bool scaled_fits = mul128(distance, kBpsPerUnit * kOne, scaled);
      const bool band_fits = mul128(Int128{limit}, o.reference.raw(), band);
      if (!scaled_fits || (band_fits && scaled > band)) {
        Int128 bps = 0;
        if (scaled_fits) {
          (void)round_quotient(scaled, o.reference.raw(), Rounding::kUp, bps);
        } else {
          bps = kMaxAmount;
        }
        return reject(RiskCode::kPriceBand, s.scope, s.id, Decimal::from_raw(bps),
                      Decimal::from_raw(limit));
      }
    }
  }

  // 6. position (per account per instrument; limits at global, account, instrument).
  const Int128 new_pos = pos + signed_qty;
  if (!fits_raw(new_pos)) {
    return reject(RiskCode::kOverflow, LimitScope::kAccount, o.account.value, o.quantity, {});
  }
  if (abs128(new_pos) > abs128(pos)) {
    for (const ScopeRef& s : scopes) {
      const std::int64_t limit = s.limits->load(LimitKind::kPosition);
      if (limit != kNoLimit && abs128(new_pos) > limit) {
        return reject(RiskCode::kPosition, s.scope, s.id, Decimal::from_raw(abs128(new_pos)),
                      Decimal::from_raw(limit));
      }
    }
  }

  // 7. exposure and leverage (global, account), valued at the mark in USDT.
  const Int128 native_mark = marks_[ins] != 0            ? marks_[ins]
                             : o.reference.is_positive() ? o.reference.raw()
                                                         : price.raw();
  // Scale 1e-18: kept amounts (below kMaxAmount) times 1e9 can leave an Int128, so checked.
  Int128 old_cell = 0, new_cell = 0;
  if (rated && (!mul128(c.notional, kOne, old_cell) || !mul128(new_pos, native_mark, new_cell) ||
                !to_usdt18(ins, new_cell, Rounding::kHalfEven, new_cell))) {
    return reject(RiskCode::kOverflow, LimitScope::kAccount, o.account.value, o.quantity, {});
  }
  for (std::size_t s = 0; s < (rated ? 2U : 0U); ++s) {
    const Book& b = *books[s];
    Int128 gross = 0, net = 0, new_gross = 0, new_net = 0;
    if (!mul128(b.gross, kOne, gross) || !mul128(b.net, kOne, net) ||
        __builtin_sub_overflow(gross, abs128(old_cell), &new_gross) ||
        __builtin_add_overflow(new_gross, abs128(new_cell), &new_gross) ||
        __builtin_sub_overflow(net, old_cell, &new_net) ||
        __builtin_add_overflow(new_net, new_cell, &new_net)) {
      return reject(RiskCode::kOverflow, scopes[s].scope, scopes[s].id, o.quantity, {});
    }
    if (new_gross > gross) {
      const std::int64_t limit = scopes[s].limits->load(LimitKind::kGrossExposure);
      if (limit != kNoLimit && new_gross > Int128{limit} * kOne) {
        return reject(RiskCode::kGrossExposure, scopes[s].scope, scopes[s].id, from18(new_gross),
                      Decimal::from_raw(limit));
      }
      const std::int64_t leverage = scopes[s].limits->load(LimitKind::kLeverage);
      Int128 allowed = 0;
      if (leverage != kNoLimit &&
          (!mul128(Int128{leverage}, b.equity, allowed) || new_gross > allowed)) {
        // Leverage x 1e9 = gross(1e-18) / equity(1e-9); no equity: shown as the maximum.
        Int128 value = kMaxAmount;
        if (b.equity > 0) (void)round_quotient(new_gross, b.equity, Rounding::kUp, value);
        return reject(RiskCode::kLeverage, scopes[s].scope, scopes[s].id, Decimal::from_raw(value),
                      Decimal::from_raw(leverage));
      }
    }
    if (abs128(new_net) > abs128(net)) {
      const std::int64_t limit = scopes[s].limits->load(LimitKind::kNetExposure);
      if (limit != kNoLimit && abs128(new_net) > Int128{limit} * kOne) {
        return reject(RiskCode::kNetExposure, scopes[s].scope, scopes[s].id,
                      from18(abs128(new_net)), Decimal::from_raw(limit));
      }
    }
  }

  // 8. open orders.
  for (std::size_t s = 0; s < kScopeCount; ++s) {
    const std::int64_t limit = scopes[s].limits->load(LimitKind::kOpenOrders);
    if (books[s]->open_orders >= limit) {
      return reject(RiskCode::kOpenOrders, scopes[s].scope, scopes[s].id,
                    count(books[s]->open_orders + 1), count(limit));
    }
  }

  // 9. order rate: a token bucket per scope, refilled from `now`; taken only on a pass.
  std::array<std::int64_t, kScopeCount> tokens{};
  std::array<bool, kScopeCount> limited{};
  for (std::size_t s = 0; s < kScopeCount; ++s) {
    const std::int64_t limit = scopes[s].limits->load(LimitKind::kOrderRate);
    if (limit == kNoLimit) continue;
    const std::int64_t rate = std::min(limit, kMaxRate);
    const std::int64_t capacity = rate * kTokenUnit;  // `rate` orders
    const Book& b = *books[s];
    std::int64_t t = capacity;
    if (b.refilled != kNeverRefilled) {
      // A bucket is full after one second; clamping the gap keeps gap x rate in range.
      const std::int64_t gap = std::clamp<std::int64_t>(now - b.refilled, 0, kNsPerSecond);
      t = std::min(capacity, b.tokens + gap * rate);
    }
    if (t < kTokenUnit) {
      // Tokens left, as a Decimal (a token unit is a Decimal's 1e-9).
      static_assert(kTokenUnit == Decimal::kOne);
      return reject(RiskCode::kOrderRate, scopes[s].scope, scopes[s].id, Decimal::from_raw(t),
                    count(limit));
    }
    tokens[s] = t - kTokenUnit;
    limited[s] = true;
  }
  for (std::size_t s = 0; s < kScopeCount; ++s) {
    if (!limited[s]) continue;
    books[s]->tokens = tokens[s];
    books[s]->refilled = now;
  }
  return d;
}

void RiskCore::halt(AccountId a) noexcept {
  (void)limits_.set_kill_switch(LimitScope::kAccount, a.value, KillSwitchState::kHalted);
}

Result<Unit, RiskCode> RiskCore::on_fill(const RiskFill& f) noexcept {
  if (f.account.index() >= accounts_.size() || strategy_slot(f.strategy) >= strategies_.size() ||
      f.instrument.index() >= instruments_ || (f.fee_rate.valid() && f.fee_rate.index() >= instruments_)) {
    return Unexpected{RiskCode::kUnknownId};
  }
  if (!f.quantity.is_positive() || !f.price.is_positive() || f.fee.is_negative() || f.fee_other.is_negative()) {
    return Unexpected{RiskCode::kInvalidOrder};
  }
  if (has_rate(f.instrument.index())) return apply_fill(f);
  // Held (in order) until the rate comes; the reserve is taken at set_quote_source.
  if (held_.size() >= kMaxHeldFills) {
    halt(f.account);
    return Unexpected{RiskCode::kNoQuoteRate};
  }
  held_.push_back(f);
  return Unit{};
}

Result<Unit, RiskCode> RiskCore::apply_fill(const RiskFill& f) noexcept {
  const auto overflow = [this, &f]() noexcept {
    halt(f.account);
    return Unexpected{RiskCode::kOverflow};
  };
  const std::size_t ins = f.instrument.index();
  // Amounts in USDT at this fill's rate: qty x price converted whole (one rounding, half-even),
  // the fee rounded up (a cost never understated).
  const Int128 price = f.price.raw();
  Int128 fee18 = 0, fee = 0;
  if (!mul128(f.fee.raw(), kOne, fee18) || !to_usdt_raw(ins, fee18, Rounding::kUp, fee)) return overflow();
  // A fee in another asset: at its mark now, or held for it (the fill counts at once).
  bool hold_fee = false;
  if (f.fee_other.is_positive()) {
    Int128 other = 0;
    if (other_fee_usdt(f, other)) fee += other;
    else hold_fee = true;
    if (!fits_raw(fee)) return overflow();
    if (hold_fee && held_fees_.size() >= kMaxHeldFills) {
      halt(f.account);
      return Unexpected{RiskCode::kNoQuoteRate};
    }
  }
  if (!fits_raw(f.quantity.raw())) return overflow();
  Cell& c = cell(f.account, f.instrument);
  Cell next = c;
  const Int128 q = f.side == Side::kBuy ? f.quantity.raw() : -f.quantity.raw();
  Int128 realized = 0;
  bool closing = false;
  if (c.position == 0 || (c.position > 0) == (q > 0)) {
    Int128 added = 0;
    if (!value_raw(ins, q, price, added)) return overflow();
    const Int128 pos = c.position + q;
    const Int128 cost = c.cost + added;
    if (!fits_raw(pos) || !fits_raw(cost)) return overflow();
    next.position = pos;
    next.cost = cost;
  } else {
    closing = true;
    const Int128 held = abs128(c.position);
    const Int128 closed = std::min<Int128>(held, abs128(q));
    Int128 closed_cost = 0;  // the share of the cost basis the closed quantity carried
    Int128 share = 0;
    if (!mul128(c.cost, closed, share)) return overflow();
    (void)round_quotient(share, held, Rounding::kHalfEven, closed_cost);
    Int128 proceeds = 0;  // closed x price, signed like the position
    if (!value_raw(ins, c.position > 0 ? closed : -closed, price, proceeds)) return overflow();
    realized = proceeds - closed_cost;
    const Int128 left = abs128(q) - closed;  // beyond the position: a new one the other way
    if (left > 0) {
      const Int128 signed_left = q > 0 ? left : -left;
      Int128 cost = 0;
      if (!value_raw(ins, signed_left, price, cost)) return overflow();
      next.position = signed_left;
      next.cost = cost;
    } else {
      next.position = c.position + q;
      next.cost = c.cost - closed_cost;
    }
  }
  realized -= fee;

  Int128& mark = marks_[ins];
  const bool first_mark = mark == 0;
  const Int128 valued_at = first_mark ? f.price.raw() : mark;  // its own quote
  if (!value_raw(ins, next.position, valued_at, next.notional)) return overflow();

  // Every book this fill moves, checked before anything changes.
  Book& account = accounts_[f.account.index()];
  Book& strategy = strategies_[strategy_slot(f.strategy)];
  const Int128 d_gross = abs128(next.notional) - abs128(c.notional);
  const Int128 d_net = next.notional - c.notional;
  const Int128 d_unrealized = (next.notional - next.cost) - (c.notional - c.cost);
  for (const Book* b : {&account, &global_}) {
    if (!fits_raw(b->gross + d_gross) || !fits_raw(b->net + d_net) ||
        !fits_raw(b->unrealized + d_unrealized) || !fits_raw(b->realized + realized)) {
      return overflow();
    }
  }
  if (!fits_raw(strategy.realized + realized)) return overflow();

  mark = valued_at;
  if (c.position == 0 && next.position != 0) ++holders_[ins];
  if (c.position != 0 && next.position == 0) --holders_[ins];
  c = next;
  const bool loss = closing && realized < 0;
  const bool win = closing && realized > 0;
  for (Book* b : {&account, &global_}) {
    b->gross += d_gross;
    b->net += d_net;
    b->unrealized += d_unrealized;
  }
  for (Book* b : {&account, &strategy, &global_}) {
    b->realized += realized;
    if (loss) ++b->consecutive_losses;
    if (win) b->consecutive_losses = 0;
  }
  if (hold_fee) held_fees_.push_back(HeldFee{f.account, f.strategy, f.fee_rate, f.fee_other});
  // A fill's price as the first mark of an instrument that prices others: their rate now.
  if (first_mark && !priced_by_[ins].empty() && !on_rate(ins)) return Unexpected{RiskCode::kOverflow};
  return Unit{};
}

Result<Unit, RiskCode> RiskCore::revalue(AccountId a, InstrumentId i) noexcept {
  Cell& c = cell(a, i);
  if (!has_rate(i.index()) || marks_[i.index()] == 0) return Unit{};  // valued when both come
  Int128 notional = 0;
  if (!value_raw(i.index(), c.position, marks_[i.index()], notional)) return Unexpected{RiskCode::kOverflow};
  Book& account = accounts_[a.index()];
  const Int128 d_gross = abs128(notional) - abs128(c.notional);
  const Int128 d_net = notional - c.notional;
  for (const Book* b : {&account, &global_}) {
    if (!fits_raw(b->gross + d_gross) || !fits_raw(b->net + d_net) ||
        !fits_raw(b->unrealized + d_net)) {
      return Unexpected{RiskCode::kOverflow};
    }
  }
  for (Book* b : {&account, &global_}) {
    b->gross += d_gross;
    b->net += d_net;
    b->unrealized += d_net;  // cost unchanged
  }
  c.notional = notional;
  return Unit{};
}

Result<Unit, RiskCode> RiskCore::on_mark(InstrumentId i, Decimal price) noexcept {
  if (i.index() >= instruments_) return Unexpected{RiskCode::kUnknownId};
  if (!price.is_positive()) return Unexpected{RiskCode::kInvalidOrder};
  if (!fits_raw(price.raw())) return Unexpected{RiskCode::kOverflow};
  marks_[i.index()] = price.raw();
  bool ok = true;
  for (std::size_t a = 0; a < accounts_.size() && holders_[i.index()] > 0; ++a) {
    const AccountId account(static_cast<AccountId::rep_type>(a));
    if (cell(account, i).position == 0) continue;
    if (!revalue(account, i)) {
      halt(account);
      ok = false;
    }
  }
  if (!priced_by_[i.index()].empty()) ok = on_rate(i.index()) && ok;
  // Fees held for this mark, in the order they came.
  if (!held_fees_.empty()) {
    std::size_t kept = 0;
    for (std::size_t k = 0; k < held_fees_.size(); ++k) {
      const HeldFee h = held_fees_[k];
      if (h.rate != i) {
        held_fees_[kept++] = h;
        continue;
      }
      Int128 fee = 0;
      if (!other_fee_usdt(RiskFill{h.account, h.strategy, {}, Side::kBuy, {}, {}, {}, h.amount, h.rate}, fee) ||
          !charge_fee(h.account, h.strategy, fee)) {
        halt(h.account);
        ok = false;
      }
    }
    held_fees_.resize(kept);
  }
  if (!ok) return Unexpected{RiskCode::kOverflow};
  return Unit{};
}

bool RiskCore::other_fee_usdt(const RiskFill& f, Int128& out) const noexcept {
  if (!f.fee_rate.valid()) {
    out = f.fee_other.raw();
    return fits_raw(out);
  }
  if (f.fee_rate.index() >= instruments_ || marks_[f.fee_rate.index()] == 0) return false;
  Int128 v18 = 0;
  if (!mul128(f.fee_other.raw(), marks_[f.fee_rate.index()], v18)) return false;
  return round_quotient(v18, kOne, Rounding::kUp, out) && fits_raw(out);
}

bool RiskCore::charge_fee(AccountId a, StrategyId s, Int128 fee) noexcept {
  if (a.index() >= accounts_.size() || strategy_slot(s) >= strategies_.size()) return false;
  Book& account = accounts_[a.index()];
  Book& strategy = strategies_[strategy_slot(s)];
  for (const Book* b : {&account, &strategy, &global_}) {
    if (!fits_raw(b->realized - fee)) return false;
  }
  for (Book* b : {&account, &strategy, &global_}) b->realized -= fee;
  return true;
}

bool RiskCore::on_rate(std::size_t r) noexcept {
  bool ok = true;
  for (const std::uint32_t j : priced_by_[r]) {
    if (j == r || holders_[j] == 0) continue;  // r's own cells: revalued by on_mark
    const InstrumentId instrument(static_cast<InstrumentId::rep_type>(j));
    for (std::size_t a = 0; a < accounts_.size(); ++a) {
      const AccountId account(static_cast<AccountId::rep_type>(a));
      if (cell(account, instrument).position == 0) continue;
      if (!revalue(account, instrument)) {
        halt(account);
        ok = false;
      }
    }
  }
  // Held fills whose rate is known now, in the order they came (the rest keep theirs).
  std::size_t kept = 0;
  for (std::size_t k = 0; k < held_.size(); ++k) {
    const RiskFill f = held_[k];
    if (has_rate(f.instrument.index())) {
      ok = static_cast<bool>(apply_fill(f)) && ok;  // apply_fill halts the account on an error
    } else {
      held_[kept++] = f;
    }
  }
  held_.resize(kept);
  return ok;
}

void RiskCore::on_order_opened(AccountId a, StrategyId s, InstrumentId i) noexcept {
  if (a.index() >= accounts_.size() || strategy_slot(s) >= strategies_.size() || i.index() >= instruments_)
    return;
  for (Book* b : {&global_, &accounts_[a.index()], &strategies_[strategy_slot(s)],
                  &instrument_books_[i.index()]}) {
    ++b->open_orders;
  }
}

void RiskCore::on_order_closed(AccountId a, StrategyId s, InstrumentId i) noexcept {
  if (a.index() >= accounts_.size() || strategy_slot(s) >= strategies_.size() || i.index() >= instruments_)
    return;
  for (Book* b : {&global_, &accounts_[a.index()], &strategies_[strategy_slot(s)],
                  &instrument_books_[i.index()]}) {
    if (b->open_orders > 0) --b->open_orders;  // a close we never saw open: stay at zero
  }
}

Result<Unit, RiskCode> RiskCore::set_equity(AccountId a, Decimal equity) noexcept {
  if (a.index() >= accounts_.size()) return Unexpected{RiskCode::kUnknownId};
  Book& b = accounts_[a.index()];
  if (!fits_raw(equity.raw())) return Unexpected{RiskCode::kOverflow};
  const Int128 total = global_.equity - b.equity + equity.raw();
  if (!fits_raw(total)) return Unexpected{RiskCode::kOverflow};
  global_.equity = total;
  b.equity = equity.raw();
  return Unit{};
}

void RiskCore::roll_day() noexcept {
  global_.realized = 0;
  global_.unrealized_day0 = global_.unrealized;
  for (auto* books : {&accounts_, &strategies_}) {
    for (Book& b : *books) {
      b.realized = 0;
      b.unrealized_day0 = b.unrealized;
    }
  }
}

void RiskCore::clear_counts(bool keep_live) noexcept {
  const auto clear = [keep_live](Book& b) noexcept {
    Book fresh;
    if (keep_live) {
      fresh.equity = b.equity;
      fresh.tokens = b.tokens;
      fresh.refilled = b.refilled;
    }
    b = fresh;
  };
  clear(global_);
  for (auto* books : {&accounts_, &strategies_, &instrument_books_}) {
    for (Book& b : *books) clear(b);
  }
  std::fill(cells_.begin(), cells_.end(), Cell{});
  std::fill(holders_.begin(), holders_.end(), 0);
  held_.clear();  // the reserves stay
  held_fees_.clear();
}

void RiskCore::reset_consecutive_losses() noexcept {
  global_.consecutive_losses = 0;
  for (auto* books : {&accounts_, &strategies_}) {
    for (Book& b : *books) b.consecutive_losses = 0;
  }
}

Decimal RiskCore::position(AccountId a, InstrumentId i) const noexcept {
  if (a.index() >= accounts_.size() || i.index() >= instruments_) return {};
  return Decimal::from_raw(cells_[a.index() * instruments_ + i.index()].position);
}

Decimal RiskCore::gross_exposure(LimitScope scope, std::uint32_t id) const noexcept {
  const Book* b = book(scope, id);
  return b == nullptr ? Decimal{} : Decimal::from_raw(b->gross);
}

Decimal RiskCore::net_exposure(LimitScope scope, std::uint32_t id) const noexcept {
  const Book* b = book(scope, id);
  return b == nullptr ? Decimal{} : Decimal::from_raw(b->net);
}

Decimal RiskCore::daily_loss(LimitScope scope, std::uint32_t id) const noexcept {
  const Book* b = book(scope, id);
  if (b == nullptr) return {};
  return Decimal::from_raw(-(b->realized + b->unrealized - b->unrealized_day0));
}

std::int64_t RiskCore::consecutive_losses(LimitScope scope, std::uint32_t id) const noexcept {
  const Book* b = book(scope, id);
  return b == nullptr ? 0 : b->consecutive_losses;
}

std::int64_t RiskCore::open_orders(LimitScope scope, std::uint32_t id) const noexcept {
  const Book* b = book(scope, id);
  return b == nullptr ? 0 : b->open_orders;
}

// ---- state ---------------------------------------------------------------------------------

namespace {

template <class Book>
void put_book(StateWriter& w, const Book& b) {
  w(b.gross, b.net, b.equity, b.realized, b.unrealized, b.unrealized_day0, b.consecutive_losses,
    b.open_orders, b.tokens, b.refilled);
}

template <class Book>
void get_book(StateReader& r, Book& b) {
  r(b.gross, b.net, b.equity, b.realized, b.unrealized, b.unrealized_day0, b.consecutive_losses,
    b.open_orders, b.tokens, b.refilled);
}

}  // namespace

void RiskCore::save(StateWriter& w) const {
  w(static_cast<std::uint32_t>(accounts_.size()), static_cast<std::uint32_t>(strategies_.size()),
    static_cast<std::uint32_t>(instrument_books_.size()));
  put_book(w, global_);
  for (const auto* v : {&accounts_, &strategies_, &instrument_books_}) {
    for (const Book& b : *v) put_book(w, b);
  }
  for (const Cell& c : cells_) w(c.position, c.cost, c.notional);
  w(marks_);
  w(static_cast<std::uint32_t>(held_.size()));
  for (const RiskFill& f : held_) {
    w(f.account, f.strategy, f.instrument, f.side, f.price, f.quantity, f.fee, f.fee_other, f.fee_rate);
  }
  w(static_cast<std::uint32_t>(held_fees_.size()));
  for (const HeldFee& h : held_fees_) w(h.account, h.strategy, h.rate, h.amount);
}

void RiskCore::load(StateReader& r) {
  std::uint32_t accounts = 0, strategies = 0, instruments = 0;
  r(accounts, strategies, instruments);
  if (r.ok() && (accounts != accounts_.size() || strategies != strategies_.size() ||
                 instruments != instrument_books_.size())) {
    r.fail("risk of " + std::to_string(accounts) + " accounts, " + std::to_string(strategies) +
           " strategy books and " + std::to_string(instruments) + " instruments saved; this one has " +
           std::to_string(accounts_.size()) + ", " + std::to_string(strategies_.size()) + " and " +
           std::to_string(instrument_books_.size()));
    return;
  }
  Book global;
  get_book(r, global);
  std::vector<Book> a(accounts_.size()), s(strategies_.size()), i(instrument_books_.size());
  for (auto* v : {&a, &s, &i}) {
    for (Book& b : *v) get_book(r, b);
  }
  std::vector<Cell> cells(cells_.size());
  for (Cell& c : cells) r(c.position, c.cost, c.notional);
  std::vector<Int128> marks;
  r(marks);
  if (r.ok() && marks.size() != marks_.size()) r.fail("risk: marks of another instrument count");
  std::uint32_t held_count = 0;
  r(held_count);
  if (r.ok() && held_count > kMaxHeldFills) r.fail("risk: " + std::to_string(held_count) + " held fills");
  std::vector<RiskFill> held(r.ok() ? held_count : 0);
  for (RiskFill& f : held) r(f.account, f.strategy, f.instrument, f.side, f.price, f.quantity, f.fee, f.fee_other, f.fee_rate);
  std::uint32_t fee_count = 0;
  r(fee_count);
  if (r.ok() && fee_count > kMaxHeldFills) r.fail("risk: " + std::to_string(fee_count) + " held fees");
  std::vector<HeldFee> fees(r.ok() ? fee_count : 0);
  for (HeldFee& h : fees) r(h.account, h.strategy, h.rate, h.amount);
  for (const HeldFee& h : fees) {
    if (r.ok() && (h.account.index() >= accounts_.size() || !h.rate.valid() || h.rate.index() >= instruments_)) {
      r.fail("risk: a held fee of an account or instrument out of range");
    }
  }
  for (const RiskFill& f : held) {
    if (r.ok() && (f.account.index() >= accounts_.size() || f.instrument.index() >= instruments_)) {
      r.fail("risk: a held fill of an account or instrument out of range");
    }
  }
  if (!r.ok()) return;
  global_ = global;
  accounts_ = std::move(a);
  strategies_ = std::move(s);
  instrument_books_ = std::move(i);
  cells_ = std::move(cells);
  marks_ = std::move(marks);
  held_.clear();  // the reserve stays
  held_.insert(held_.end(), held.begin(), held.end());
  held_fees_.clear();
  held_fees_.insert(held_fees_.end(), fees.begin(), fees.end());
  std::fill(holders_.begin(), holders_.end(), 0);
  for (std::size_t k = 0; k < cells_.size(); ++k) {
    if (cells_[k].position != 0) ++holders_[k % instruments_];
  }
}

}  // namespace oms::actors
