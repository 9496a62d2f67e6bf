// PositionCore, NetPosition arithmetic and the InstrumentTable (see position_core.hpp for
// the exactness rules). Checks first, then commits, so an error changes nothing.
#include "oms/cores/position_core.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace oms::actors {

namespace {

constexpr Int128 kOne = Decimal::kOne;

bool add_checked(Int128 a, Int128 b, Int128& out) noexcept {
  return !__builtin_add_overflow(a, b, &out);
}
bool mul_checked(Int128 a, Int128 b, Int128& out) noexcept {
  return !__builtin_mul_overflow(a, b, &out);
}

// cost x k / s rounded half-even, for 0 < k <= s.
bool cost_share(Int128 cost, Int128 k, Int128 s, Int128& out) noexcept {
  const Int128 q = cost / s;
  const Int128 r = cost % s;  // |r| < s
  Int128 whole = 0, rk = 0, part = 0;
  if (!mul_checked(q, k, whole) || !mul_checked(r, k, rk)) return false;
  if (!round_quotient(rk, s, Rounding::kHalfEven, part)) return false;
  return add_checked(whole, part, out);
}

bool assign_asset(AssetCode& out, const std::string& text) {
  return out.assign(text);
}

}  // namespace

// ---- InstrumentTable --------------------------------------------------------------------------
Result<InstrumentTable, std::string> InstrumentTable::from(
    std::span<const Instrument> instruments) {
  InstrumentTable t;
  for (const Instrument& in : instruments) {
    const std::string name =
        "instrument " + std::to_string(in.id.value) + " (" + in.venue_symbol + ")";
    if (!in.id.valid()) return Unexpected{name + ": id is invalid"};
    if (in.id.index() >= t.by_id_.size()) t.by_id_.resize(in.id.index() + 1);
    InstrumentAssets& a = t.by_id_[in.id.index()];
    if (a.known) return Unexpected{name + ": id defined twice"};
    if (!assign_asset(a.base, in.symbol.base)) return Unexpected{name + ": base longer than 15"};
    if (!assign_asset(a.quote, in.symbol.quote)) return Unexpected{name + ": quote longer than 15"};
    if (!assign_asset(a.settle, in.symbol.settle))
      return Unexpected{name + ": settle longer than 15"};
    if (a.base.empty() || a.quote.empty()) return Unexpected{name + ": base or quote is empty"};
    if ((in.market == Market::kSpot) != a.settle.empty())
      return Unexpected{name + ": settle must be empty exactly for spot"};
    a.exchange = in.exchange;
    a.market = in.market;
    a.canonical = in.symbol.to_string();
    a.known = true;
  }
  return t;
}

// ---- NetPosition ------------------------------------------------------------------------------
bool round_e18(Int128 v, Decimal& out) noexcept {
  Int128 q = 0;
  if (!round_quotient(v, kOne, Rounding::kHalfEven, q)) return false;
  out = Decimal::from_raw(q);  // |v| / 1e9 always fits
  return true;
}

Decimal NetPosition::entry_price() const noexcept {
  if (size.is_zero()) return {};
  Int128 q = 0;
  (void)round_quotient(cost_e18, size.raw(), Rounding::kHalfEven, q);  // cost/size = avg x 1e9
  return Decimal::from_raw(q);
}

std::optional<Int128> NetPosition::unrealized_e18(Decimal mark) const noexcept {
  Int128 value = 0, out = 0;
  if (!product_e18(size, mark, value) || __builtin_sub_overflow(value, cost_e18, &out)) return std::nullopt;
  return out;
}

bool apply_fill(NetPosition& p, Side side, Decimal qty, Decimal price,
                Int128& realized_delta_e18) noexcept {
  // qty > 0, so -qty never overflows; s is a Decimal's mantissa (its negation checked).
  const Int128 d = side == Side::kBuy ? qty.raw() : -qty.raw();  // signed fill
  const Int128 s = p.size.raw();
  NetPosition next = p;
  realized_delta_e18 = 0;
  if (s == 0 || (s > 0) == (d > 0)) {  // open or increase
    Int128 ns = 0, added = 0;
    if (!add_checked(s, d, ns) || !mul_checked(d, price.raw(), added)) return false;
    if (!add_checked(p.cost_e18, added, next.cost_e18)) return false;
    next.size = Decimal::from_raw(ns);
  } else {  // reduce, close or flip
    Int128 abs_s = s;
    if (s < 0 && __builtin_sub_overflow(Int128{0}, s, &abs_s)) return false;
    const Int128 k = std::min(qty.raw(), abs_s);
    Int128 released = 0, proceeds = 0;
    if (!cost_share(p.cost_e18, k, abs_s, released)) return false;
    if (!mul_checked(s > 0 ? k : -k, price.raw(), proceeds)) return false;
    if (__builtin_sub_overflow(proceeds, released, &realized_delta_e18)) return false;
    if (!add_checked(p.realized_e18, realized_delta_e18, next.realized_e18)) return false;
    const Int128 rest = qty.raw() - k;  // what flips
    if (rest == 0) {
      next.size = Decimal::from_raw(s > 0 ? s - k : s + k);
      next.cost_e18 = p.cost_e18 - released;
    } else {
      const Int128 opened = d > 0 ? rest : -rest;
      next.size = Decimal::from_raw(opened);
      if (!mul_checked(opened, price.raw(), next.cost_e18)) return false;
    }
  }
  p = next;
  return true;
}

// ---- errors -----------------------------------------------------------------------------------
std::string_view to_string(PositionErrorCode c) noexcept {
  switch (c) {
    case PositionErrorCode::kUnknownInstrument:
      return "unknown instrument";
    case PositionErrorCode::kInvalidFill:
      return "invalid fill";
    case PositionErrorCode::kArithmetic:
      return "arithmetic overflow";
  }
  return "?";
}

std::string to_string(const PositionError& e) {
  return "position " + std::to_string(static_cast<unsigned>(e.code)) + " " +
         std::string(to_string(e.code)) + ": qty " + e.quantity.to_string() + " price " +
         e.price.to_string() + " (account " + std::to_string(e.account.value) + ", strategy " +
         std::to_string(e.strategy.value) + ", instrument " + std::to_string(e.instrument.value) +
         ")";
}

// ---- PositionCore -----------------------------------------------------------------------------
// Marks are kept dense by instrument up to the highest one marked (a table of thousands of
// instruments, one core per account: 64 KiB each when sized to the table up front).
PositionCore::PositionCore(const InstrumentTable& instruments, std::size_t accounts)
    : instruments_(&instruments), accounts_(accounts) {}

namespace {
auto leg_less = [](const PositionCore::Leg& l, std::pair<InstrumentId, StrategyId> k) {
  return std::pair(l.instrument, l.strategy) < k;
};

template <class Legs>
auto find_or_null(Legs& legs, InstrumentId i, StrategyId s) -> decltype(&*legs.begin()) {
  auto it = std::lower_bound(legs.begin(), legs.end(), std::pair(i, s), leg_less);
  if (it != legs.end() && it->instrument == i && it->strategy == s) return &*it;
  return nullptr;
}

// The leg after the fill, computed on a copy (nothing is written on failure).
bool next_leg(const PositionCore::Leg* cur, const FillReceived& f, bool fee_in_quote,
              InstrumentId i, StrategyId s, PositionCore::Leg& out) {
  out = cur ? *cur : PositionCore::Leg{i, s, {}, 0};
  Int128 realized = 0;
  if (!apply_fill(out.position, f.side, f.quantity, f.price, realized)) return false;
  Int128 fee = 0;
  if (fee_in_quote && (!mul_checked(f.fee.raw(), kOne, fee) || !add_checked(out.fees_e18, fee, out.fees_e18)))
    return false;
  return true;
}

void put_leg(std::vector<PositionCore::Leg>& legs, const PositionCore::Leg& leg) {
  auto it =
      std::lower_bound(legs.begin(), legs.end(), std::pair(leg.instrument, leg.strategy), leg_less);
  if (it != legs.end() && it->instrument == leg.instrument && it->strategy == leg.strategy)
    *it = leg;
  else
    legs.insert(it, leg);
}
}  // namespace

Result<Unit, PositionError> PositionCore::apply(const Event& event) {
  if (const auto* f = std::get_if<FillReceived>(&event.payload)) return on_fill(*f);
  return Unit{};
}

Result<Unit, PositionError> PositionCore::on_fill(const FillReceived& f) {
  PositionError err{
      PositionErrorCode::kInvalidFill, f.account, f.strategy, f.instrument, f.quantity, f.price};
  // A fill of no strategy (a manual order) moves the account's net position only.
  if (!f.quantity.is_positive() || !f.price.is_positive() || f.fee.is_negative() ||
      !f.account.valid())
    return Unexpected{err};
  const InstrumentAssets* inst = instruments_->find(f.instrument);
  if (inst == nullptr) {
    err.code = PositionErrorCode::kUnknownInstrument;
    return Unexpected{err};
  }
  const AssetCode& quote = inst->market == Market::kSpot ? inst->quote : inst->settle;
  const bool fee_in_quote = f.fee.is_zero() || f.fee_asset == quote;

  if (f.account.index() >= accounts_.size()) accounts_.resize(f.account.index() + 1);
  AccountBook& book = accounts_[f.account.index()];
  err.code = PositionErrorCode::kArithmetic;
  Leg net_leg, strat_leg;
  if (!next_leg(find_or_null(book.net, f.instrument, StrategyId{}), f, fee_in_quote, f.instrument,
                StrategyId{}, net_leg) ||
      (f.strategy.valid() &&
       !next_leg(find_or_null(book.strategies, f.instrument, f.strategy), f, fee_in_quote,
                 f.instrument, f.strategy, strat_leg)))
    return Unexpected{err};
  auto fee_it = std::find_if(book.other_fees.begin(), book.other_fees.end(),
                             [&](const FeeAmount& a) { return a.asset == f.fee_asset; });
  Decimal fee_sum = f.fee;
  if (!fee_in_quote && fee_it != book.other_fees.end()) {
    auto sum = fee_it->amount.add(f.fee);
    if (!sum) return Unexpected{err};
    fee_sum = *sum;
  }
  // Commit.
  put_leg(book.net, net_leg);
  if (f.strategy.valid()) put_leg(book.strategies, strat_leg);
  if (!fee_in_quote) {
    if (fee_it != book.other_fees.end())
      fee_it->amount = fee_sum;
    else
      book.other_fees.push_back({f.fee_asset, fee_sum});
  }
  return Unit{};
}

PositionCore PositionCore::from_events(const InstrumentTable& instruments, std::size_t accounts,
                                       std::span<const Event> events) {
  PositionCore core(instruments, accounts);
  for (const Event& e : events) (void)core.apply(e);
  return core;
}

void PositionCore::set_mark(InstrumentId instrument, Decimal mark) {
  if (!instrument.valid()) return;
  if (instrument.index() >= marks_.size()) marks_.resize(instrument.index() + 1);
  marks_[instrument.index()] = mark;
}

bool PositionCore::same_marks(const std::vector<Decimal>& a, const std::vector<Decimal>& b) noexcept {
  const std::vector<Decimal>& longer = a.size() >= b.size() ? a : b;
  const std::size_t common = std::min(a.size(), b.size());
  if (!std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(common), b.begin())) return false;
  // Past the shorter one: unmarked (zero) on both sides.
  return std::all_of(longer.begin() + static_cast<std::ptrdiff_t>(common), longer.end(),
                     [](const Decimal& m) { return m == Decimal{}; });
}

Decimal PositionCore::mark(InstrumentId instrument) const noexcept {
  return instrument.valid() && instrument.index() < marks_.size() ? marks_[instrument.index()]
                                                                  : Decimal{};
}

const PositionCore::Leg* PositionCore::net(AccountId account,
                                           InstrumentId instrument) const noexcept {
  if (!account.valid() || account.index() >= accounts_.size()) return nullptr;
  return find_or_null(accounts_[account.index()].net, instrument, StrategyId{});
}

std::span<const PositionCore::Leg> PositionCore::net_legs(AccountId account) const noexcept {
  if (!account.valid() || account.index() >= accounts_.size()) return {};
  return accounts_[account.index()].net;
}

std::span<const PositionCore::Leg> PositionCore::strategy_legs(AccountId account) const noexcept {
  if (!account.valid() || account.index() >= accounts_.size()) return {};
  return accounts_[account.index()].strategies;
}

const PositionCore::Leg* PositionCore::strategy_leg(AccountId account, StrategyId strategy,
                                                    InstrumentId instrument) const noexcept {
  if (!account.valid() || account.index() >= accounts_.size()) return nullptr;
  return find_or_null(accounts_[account.index()].strategies, instrument, strategy);
}

void PositionCore::add_figures(std::vector<PnlFigures>& out, const Leg& leg) const {
  const InstrumentAssets* inst = instruments_->find(leg.instrument);
  if (inst == nullptr) return;  // cannot happen: fills on unknown instruments are refused
  const AssetCode& quote = inst->market == Market::kSpot ? inst->quote : inst->settle;
  auto it =
      std::find_if(out.begin(), out.end(), [&](const PnlFigures& p) { return p.quote == quote; });
  if (it == out.end()) {
    out.push_back(PnlFigures{quote, 0, 0, 0, 0, false});
    it = out.end() - 1;
  }
  if (!add_checked(it->realized_e18, leg.position.realized_e18, it->realized_e18) ||
      !add_checked(it->fees_e18, leg.fees_e18, it->fees_e18)) {
    it->overflow = true;
  }
  const Decimal m = mark(leg.instrument);
  if (m.is_zero()) {
    if (!leg.position.size.is_zero()) ++it->unmarked;
  } else if (const auto unrealized = leg.position.unrealized_e18(m);
             !unrealized || !add_checked(it->unrealized_e18, *unrealized, it->unrealized_e18)) {
    it->overflow = true;
  }
  Int128 total = 0, net = 0;  // total_e18() and net_e18() must stay in range too
  if (!add_checked(it->realized_e18, it->unrealized_e18, total) ||
      __builtin_sub_overflow(total, it->fees_e18, &net)) {
    it->overflow = true;
  }
}

namespace {
void sort_by_quote(std::vector<PnlFigures>& v) {
  std::sort(v.begin(), v.end(), [](const PnlFigures& a, const PnlFigures& b) {
    return a.quote.view() < b.quote.view();
  });
}
}  // namespace

PnlFigures PositionCore::pnl(AccountId account, InstrumentId instrument) const {
  std::vector<PnlFigures> out;
  if (const Leg* leg = net(account, instrument)) add_figures(out, *leg);
  return out.empty() ? PnlFigures{} : out.front();
}

std::vector<PnlFigures> PositionCore::account_pnl(AccountId account) const {
  std::vector<PnlFigures> out;
  if (account.valid() && account.index() < accounts_.size())
    for (const Leg& leg : accounts_[account.index()].net) add_figures(out, leg);
  sort_by_quote(out);
  return out;
}

std::vector<PnlFigures> PositionCore::venue_pnl(ExchangeId exchange) const {
  std::vector<PnlFigures> out;
  for (const AccountBook& book : accounts_)
    for (const Leg& leg : book.net) {
      const InstrumentAssets* inst = instruments_->find(leg.instrument);
      if (inst != nullptr && inst->exchange == exchange) add_figures(out, leg);
    }
  sort_by_quote(out);
  return out;
}

std::vector<PnlFigures> PositionCore::strategy_pnl(StrategyId strategy) const {
  std::vector<PnlFigures> out;
  for (const AccountBook& book : accounts_)
    for (const Leg& leg : book.strategies)
      if (leg.strategy == strategy) add_figures(out, leg);
  sort_by_quote(out);
  return out;
}

std::vector<UnifiedLine> PositionCore::unified() const {
  std::vector<UnifiedLine> out;
  for (const AccountBook& book : accounts_)
    for (const Leg& leg : book.net) {
      const InstrumentAssets* inst = instruments_->find(leg.instrument);
      if (inst == nullptr) continue;
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const UnifiedLine& l) { return l.canonical == inst->canonical; });
      if (it == out.end()) {
        out.push_back(UnifiedLine{inst->canonical, 0, {}});
        it = out.end() - 1;
      }
      std::vector<PnlFigures> one;
      add_figures(one, leg);
      const PnlFigures& f = one.front();
      it->pnl.quote = f.quote;
      it->pnl.unmarked += f.unmarked;
      // Sizes of one canonical instrument across venues share units (base asset).
      if (f.overflow || !add_checked(it->pnl.realized_e18, f.realized_e18, it->pnl.realized_e18) ||
          !add_checked(it->pnl.unrealized_e18, f.unrealized_e18, it->pnl.unrealized_e18) ||
          !add_checked(it->pnl.fees_e18, f.fees_e18, it->pnl.fees_e18) ||
          !add_checked(it->size_e9, leg.position.size.raw(), it->size_e9)) {
        it->pnl.overflow = true;
      }
      Int128 total = 0, net = 0;
      if (!add_checked(it->pnl.realized_e18, it->pnl.unrealized_e18, total) ||
          __builtin_sub_overflow(total, it->pnl.fees_e18, &net)) {
        it->pnl.overflow = true;
      }
    }
  std::sort(out.begin(), out.end(),
            [](const UnifiedLine& a, const UnifiedLine& b) { return a.canonical < b.canonical; });
  return out;
}

std::span<const FeeAmount> PositionCore::other_fees(AccountId account) const noexcept {
  if (!account.valid() || account.index() >= accounts_.size()) return {};
  return accounts_[account.index()].other_fees;
}

}  // namespace oms::actors

namespace oms::actors {

// ---- compacted state ------------------------------------------------------------------------

void PositionCore::save(StateWriter& w) const {
  std::uint32_t traded = 0;
  for (const AccountBook& b : accounts_) traded += b == AccountBook{} ? 0U : 1U;
  w.put(traded);
  for (std::size_t i = 0; i < accounts_.size(); ++i) {
    const AccountBook& b = accounts_[i];
    if (b == AccountBook{}) continue;
    w(AccountId(static_cast<AccountId::rep_type>(i)), b.net, b.strategies, b.other_fees);
  }
  std::uint32_t marked = 0;
  for (const Decimal& m : marks_) marked += m == Decimal{} ? 0U : 1U;
  w.put(marked);
  for (std::size_t i = 0; i < marks_.size(); ++i) {
    if (marks_[i] != Decimal{}) w(InstrumentId(static_cast<InstrumentId::rep_type>(i)), marks_[i]);
  }
}

void PositionCore::load(StateReader& r) {
  std::vector<AccountBook> accounts(accounts_.size());
  std::vector<Decimal> marks;  // as set_mark: up to the highest instrument marked
  const auto by_key = [](const Leg& a, const Leg& b) {
    return std::pair(a.instrument, a.strategy) < std::pair(b.instrument, b.strategy);
  };
  const std::uint32_t traded = r.count();
  for (std::uint32_t n = 0; n < traded && r.ok(); ++n) {
    AccountId id;
    AccountBook b;
    r(id, b.net, b.strategies, b.other_fees);
    if (!r.ok()) break;
    // Ids were remapped by name: the legs' order follows the current ids.
    std::sort(b.net.begin(), b.net.end(), by_key);
    std::sort(b.strategies.begin(), b.strategies.end(), by_key);
    if (id.index() >= accounts.size()) accounts.resize(id.index() + 1);
    accounts[id.index()] = std::move(b);
  }
  const std::uint32_t marked = r.count();
  for (std::uint32_t n = 0; n < marked && r.ok(); ++n) {
    InstrumentId id;
    Decimal m;
    r(id, m);
    if (!r.ok()) break;
    if (!id.valid() || id.index() >= instruments_->size()) {
      r.fail("a mark of an instrument outside the table");
      break;
    }
    if (id.index() >= marks.size()) marks.resize(id.index() + 1);
    marks[id.index()] = m;
  }
  if (!r.ok()) return;
  accounts_ = std::move(accounts);
  marks_ = std::move(marks);
}

}  // namespace oms::actors
