// AccountCore: dispatch, balances, spot order locks and spot fills (futures, transfers and the
// AccountBook are in account_core_futures.cpp). Checks first, then commits.
#include "oms/cores/account_core.hpp"

#include <algorithm>
#include <string>
#include <type_traits>

namespace oms::actors {

std::string_view to_string(AccountErrorCode c) noexcept {
  switch (c) {
    case AccountErrorCode::kInsufficientBalance:
      return "insufficient balance";
    case AccountErrorCode::kUnknownInstrument:
      return "unknown instrument";
    case AccountErrorCode::kWrongAccount:
      return "wrong account";
    case AccountErrorCode::kArithmetic:
      return "arithmetic overflow";
    case AccountErrorCode::kInvalidEvent:
      return "invalid event";
    case AccountErrorCode::kLegOverclose:
      return "hedge leg overclosed";
    case AccountErrorCode::kMissingPositionSide:
      return "missing or unexpected position side";
    case AccountErrorCode::kDuplicateOrder:
      return "duplicate order";
    case AccountErrorCode::kUnknownOrder:
      return "unknown order";
    case AccountErrorCode::kOpenPositions:
      return "positions open";
  }
  return "?";
}

std::string to_string(const AccountError& e) {
  std::string s = "account " + std::to_string(static_cast<unsigned>(e.code)) + " " +
                  std::string(to_string(e.code));
  if (e.code == AccountErrorCode::kInsufficientBalance)
    s += ": " + e.asset.str() + " has " + e.have.to_string() + " < " + e.need.to_string();
  s += " (account " + std::to_string(e.account.value);
  if (e.instrument.valid()) s += ", instrument " + std::to_string(e.instrument.value);
  if (!e.client_order_id.empty()) s += ", order " + e.client_order_id.str();
  return s + ")";
}

AccountError AccountCore::error(AccountErrorCode c, InstrumentId instrument) const {
  AccountError e;
  e.code = c;
  e.account = id_;
  e.instrument = instrument;
  return e;
}

// ---- dispatch ---------------------------------------------------------------------------------
Result<Unit, AccountError> AccountCore::apply(const Event& event) {
  return std::visit(
      [&](const auto& e) -> Result<Unit, AccountError> {
        using T = std::decay_t<decltype(e)>;
        constexpr bool kAccountEvent =
            std::is_same_v<T, OrderSubmitted> || std::is_same_v<T, OrderAccepted> ||
            std::is_same_v<T, OrderRejected> || std::is_same_v<T, OrderPartiallyFilled> ||
            std::is_same_v<T, OrderFilled> || std::is_same_v<T, OrderCanceled> ||
            std::is_same_v<T, OrderAmended> || std::is_same_v<T, OrderExpired> ||
            std::is_same_v<T, OrderStatusReconciled> || std::is_same_v<T, FillReceived> ||
            std::is_same_v<T, BalanceUpdated> || std::is_same_v<T, PositionUpdated> ||
            std::is_same_v<T, FundingPaid> || std::is_same_v<T, PositionModeChanged> ||
            std::is_same_v<T, LeverageChanged> || std::is_same_v<T, MarginTypeChanged> ||
            std::is_same_v<T, IsolatedMarginChanged> || std::is_same_v<T, OrderPositionSideSet>;
        if constexpr (kAccountEvent) {
          if (e.account != id_) return Unexpected{error(AccountErrorCode::kWrongAccount)};
        }
        if constexpr (std::is_same_v<T, OrderRejected>) {
          return on_terminal(e.client_order_id, Decimal{});
        } else if constexpr (std::is_same_v<T, OrderFilled> || std::is_same_v<T, OrderCanceled> ||
                             std::is_same_v<T, OrderExpired>) {
          return on_terminal(e.client_order_id, e.cum_qty);
        } else if constexpr (std::is_same_v<T, OrderStatusReconciled>) {
          if (e.status == OrderStatus::kFilled || e.status == OrderStatus::kCanceled ||
              e.status == OrderStatus::kExpired)
            return on_terminal(e.client_order_id, e.cum_qty);
          if (e.status == OrderStatus::kRejected) return on_terminal(e.client_order_id, Decimal{});
          return Unit{};
        } else if constexpr (std::is_same_v<T, OrderAccepted> ||
                             std::is_same_v<T, OrderPartiallyFilled>) {
          return Unit{};  // no balance effect: fills move balances, terminal reports release
        } else if constexpr (requires { this->on(e); }) {
          return on(e);
        } else {
          return Unit{};  // market data, strategy and risk events
        }
      },
      event.payload);
}

AccountCore AccountCore::from_events(AccountId id, const InstrumentTable& instruments,
                                     std::span<const Event> events) {
  AccountCore core(id, instruments);
  for (const Event& e : events) (void)core.apply(e);
  return core;
}

// ---- balances ---------------------------------------------------------------------------------
Balance* AccountCore::find_balance(Market market, const AssetCode& asset) noexcept {
  for (Balance& b : balances_)
    if (b.market == market && b.asset == asset) return &b;
  return nullptr;
}

const Balance* AccountCore::balance(Market market, const AssetCode& asset) const noexcept {
  for (const Balance& b : balances_)
    if (b.market == market && b.asset == asset) return &b;
  return nullptr;
}

Balance& AccountCore::balance_slot(Market market, const AssetCode& asset) {
  if (Balance* b = find_balance(market, asset)) return *b;
  balances_.push_back(Balance{market, asset, {}, {}, {}, {}});
  return balances_.back();
}

Result<AccountCore::Plan, AccountError> AccountCore::plan(std::span<const Delta> deltas,
                                                         const ClientOrderIdText& order,
                                                         InstrumentId instrument) const {
  // Merge by (market, asset), then check every balance.
  Plan p;
  for (const Delta& d : deltas) {
    if (d.free_raw == 0 && d.locked_raw == 0) continue;
    auto* it = std::find_if(p.merged.begin(), p.merged.begin() + static_cast<std::ptrdiff_t>(p.n),
                            [&](const Delta& m) { return m.market == d.market && m.asset == d.asset; });
    if (it == p.merged.begin() + static_cast<std::ptrdiff_t>(p.n)) {
      p.merged[p.n++] = d;
    } else if (__builtin_add_overflow(it->free_raw, d.free_raw, &it->free_raw) ||
               __builtin_add_overflow(it->locked_raw, d.locked_raw, &it->locked_raw)) {
      return Unexpected{error(AccountErrorCode::kArithmetic, instrument)};
    }
  }
  for (std::size_t i = 0; i < p.n; ++i) {
    const Balance* b = balance(p.merged[i].market, p.merged[i].asset);
    const Int128 f = b ? b->free.raw() : 0, l = b ? b->locked.raw() : 0;
    if (__builtin_add_overflow(f, p.merged[i].free_raw, &p.free_after[i]) ||
        __builtin_add_overflow(l, p.merged[i].locked_raw, &p.locked_after[i]))
      return Unexpected{error(AccountErrorCode::kArithmetic, instrument)};
    if (p.free_after[i] < 0 || p.locked_after[i] < 0) {
      AccountError e = error(AccountErrorCode::kInsufficientBalance, instrument);
      e.asset = p.merged[i].asset;
      e.client_order_id = order;
      const bool on_free = p.free_after[i] < 0;
      e.have = Decimal::from_raw(on_free ? f : l);
      e.need = Decimal::from_raw(on_free ? -p.merged[i].free_raw : -p.merged[i].locked_raw);
      return Unexpected{e};
    }
  }
  return p;
}

Result<Unit, AccountError> AccountCore::change(std::span<const Delta> deltas,
                                               const ClientOrderIdText& order,
                                               InstrumentId instrument) {
  auto p = plan(deltas, order, instrument);
  if (!p) return Unexpected{p.error()};
  for (std::size_t i = 0; i < p->n; ++i) {
    Balance& b = balance_slot(p->merged[i].market, p->merged[i].asset);
    b.free = Decimal::from_raw(p->free_after[i]);
    b.locked = Decimal::from_raw(p->locked_after[i]);
  }
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const BalanceUpdated& e) {
  if (e.free.is_negative() || e.locked.is_negative() || e.asset.empty())
    return Unexpected{error(AccountErrorCode::kInvalidEvent)};
  const Balance* cur = balance(e.market, e.asset);
  const Decimal f = cur ? cur->free : Decimal{}, l = cur ? cur->locked : Decimal{};
  auto df = e.free.sub(f);
  auto dl = e.locked.sub(l);
  if (!df || !dl) return Unexpected{error(AccountErrorCode::kArithmetic)};
  Balance& b = balance_slot(e.market, e.asset);
  b.free = e.free;
  b.locked = e.locked;
  b.drift_free = *df;
  b.drift_locked = *dl;
  return Unit{};
}

// ---- orders and locks -------------------------------------------------------------------------
OrderLock* AccountCore::find_order(const ClientOrderIdText& id) noexcept {
  for (OrderLock& o : orders_)
    if (o.client_order_id == id) return &o;
  return nullptr;
}

Result<AccountCore::SubmitPlan, AccountError> AccountCore::plan_submit(
    const OrderSubmitted& e) const {
  const InstrumentAssets* inst = instruments_->find(e.instrument);
  if (inst == nullptr || inst->market == Market::kCoinm)
    return Unexpected{error(AccountErrorCode::kUnknownInstrument, e.instrument)};
  if (!e.quantity.is_positive() || e.price.is_negative() ||
      (has_limit_price(e.order_type) && !e.price.is_positive()))
    return Unexpected{error(AccountErrorCode::kInvalidEvent, e.instrument)};
  for (const OrderLock& o : orders_) {
    if (o.client_order_id != e.client_order_id) continue;
    AccountError err = error(AccountErrorCode::kDuplicateOrder, e.instrument);
    err.client_order_id = e.client_order_id;
    return Unexpected{err};
  }
  SubmitPlan p;
  p.lock = OrderLock{e.client_order_id, e.instrument, e.side, PositionSide::kBoth, false, {},
                     e.quantity, {}, {}, {}};
  if (inst->market == Market::kSpot) {
    if (e.side == Side::kBuy) {
      p.lock.lock_price = e.price;  // zero for a market buy without a price: locks nothing
      auto amount = e.price.mul(e.quantity, Rounding::kUp);
      if (!amount) return Unexpected{error(AccountErrorCode::kArithmetic, e.instrument)};
      p.lock.locked = *amount;
    } else {
      p.lock.locked = e.quantity;
    }
    const AssetCode& asset = e.side == Side::kBuy ? inst->quote : inst->base;
    const Delta d{Market::kSpot, asset, -p.lock.locked.raw(), p.lock.locked.raw()};
    auto balances = plan({&d, 1}, e.client_order_id, e.instrument);
    if (!balances) return Unexpected{balances.error()};
    p.balances = *balances;
  }
  return p;
}

Result<Unit, AccountError> AccountCore::check_submit(const OrderSubmitted& e) const {
  auto p = plan_submit(e);
  if (!p) return Unexpected{p.error()};
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const OrderSubmitted& e) {
  auto p = plan_submit(e);
  if (!p) return Unexpected{p.error()};
  for (std::size_t i = 0; i < p->balances.n; ++i) {
    Balance& b = balance_slot(p->balances.merged[i].market, p->balances.merged[i].asset);
    b.free = Decimal::from_raw(p->balances.free_after[i]);
    b.locked = Decimal::from_raw(p->balances.locked_after[i]);
  }
  orders_.push_back(p->lock);
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const OrderPositionSideSet& e) {
  OrderLock* o = find_order(e.client_order_id);
  if (o == nullptr) {
    AccountError err = error(AccountErrorCode::kUnknownOrder, e.instrument);
    err.client_order_id = e.client_order_id;
    return Unexpected{err};
  }
  o->position_side = e.position_side;
  return Unit{};
}

// The share of a buy's lock that covers qty (lock price x qty, rounded up, capped by locked).
static Result<Decimal, AccountError> lock_share(const OrderLock& o, Decimal qty, AccountError err) {
  if (o.side == Side::kSell) return std::min(o.locked, qty);
  auto share = o.lock_price.mul(qty, Rounding::kUp);
  if (!share) return Unexpected{err};
  return std::min(o.locked, *share);
}

// Releases `amount` of the order's lock, capped by what the balance has locked.
static BalanceDelta release_delta(const Balance* b, Market m, const AssetCode& asset,
                                  Decimal amount) {
  const Int128 r = std::min(amount.raw(), b ? b->locked.raw() : Int128{0});
  return BalanceDelta{m, asset, r, -r};
}

Result<Unit, AccountError> AccountCore::on_terminal(const ClientOrderIdText& id,
                                                    Decimal venue_cum) {
  OrderLock* o = find_order(id);
  if (o == nullptr) return Unit{};  // not ours, or already settled
  const InstrumentAssets* inst = instruments_->find(o->instrument);
  const Decimal pending = std::max(Decimal{}, Decimal::from_raw(venue_cum.raw() - o->filled.raw()));
  auto keep = lock_share(*o, pending, error(AccountErrorCode::kArithmetic, o->instrument));
  if (!keep) return Unexpected{keep.error()};
  if (inst != nullptr && inst->market == Market::kSpot) {
    const AssetCode& asset = o->side == Side::kBuy ? inst->quote : inst->base;
    const Delta d = release_delta(balance(Market::kSpot, asset), Market::kSpot, asset,
                                  Decimal::from_raw(o->locked.raw() - keep->raw()));
    if (auto r = change({&d, 1}, id, o->instrument); !r) return r;
  }
  if (pending.is_zero()) {
    orders_.erase(orders_.begin() + (o - orders_.data()));
  } else {
    o->terminal = true;
    o->venue_cum = venue_cum;
    o->locked = *keep;
  }
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const OrderAmended& e) {
  OrderLock* o = find_order(e.client_order_id);
  if (o == nullptr) {
    AccountError err = error(AccountErrorCode::kUnknownOrder, e.instrument);
    err.client_order_id = e.client_order_id;
    return Unexpected{err};
  }
  if (!e.quantity.is_positive() || e.quantity < o->filled || e.price.is_negative())
    return Unexpected{error(AccountErrorCode::kInvalidEvent, o->instrument)};
  OrderLock next = *o;
  next.quantity = e.quantity;
  const Decimal open = Decimal::from_raw(e.quantity.raw() - o->filled.raw());
  const InstrumentAssets* inst = instruments_->find(o->instrument);
  if (inst != nullptr && inst->market == Market::kSpot) {
    if (o->side == Side::kBuy) {
      if (e.price.is_positive()) next.lock_price = e.price;
      auto amount = next.lock_price.mul(open, Rounding::kUp);
      if (!amount) return Unexpected{error(AccountErrorCode::kArithmetic, o->instrument)};
      next.locked = *amount;
    } else {
      next.locked = open;
    }
    const AssetCode& asset = o->side == Side::kBuy ? inst->quote : inst->base;
    const Int128 more = next.locked.raw() - o->locked.raw();
    Delta d{Market::kSpot, asset, -more, more};
    if (more < 0)
      d = release_delta(balance(Market::kSpot, asset), Market::kSpot, asset,
                        Decimal::from_raw(-more));
    if (auto r = change({&d, 1}, e.client_order_id, o->instrument); !r) return r;
  }
  *o = next;
  return Unit{};
}

// ---- fills ------------------------------------------------------------------------------------
Result<Unit, AccountError> AccountCore::on(const FillReceived& e) {
  const InstrumentAssets* inst = instruments_->find(e.instrument);
  if (inst == nullptr || inst->market == Market::kCoinm)
    return Unexpected{error(AccountErrorCode::kUnknownInstrument, e.instrument)};
  if (!e.quantity.is_positive() || !e.price.is_positive() || e.fee.is_negative() ||
      (e.fee.is_positive() && e.fee_asset.empty()))
    return Unexpected{error(AccountErrorCode::kInvalidEvent, e.instrument)};
  return inst->market == Market::kSpot ? on_spot_fill(e, *inst) : on_futures_fill(e, *inst);
}

Result<Unit, AccountError> AccountCore::on_spot_fill(const FillReceived& e,
                                                     const InstrumentAssets& inst) {
  const bool buy = e.side == Side::kBuy;
  const AssetCode& lock_asset = buy ? inst.quote : inst.base;
  auto notional = e.price.mul(e.quantity, buy ? Rounding::kUp : Rounding::kDown);
  if (!notional) return Unexpected{error(AccountErrorCode::kArithmetic, e.instrument)};
  OrderLock* o = find_order(e.client_order_id);
  Decimal share;  // the order's lock this fill releases
  bool done = false;
  if (o != nullptr) {
    done = fill_completes(*o, e.quantity);
    auto s = lock_share(*o, e.quantity, error(AccountErrorCode::kArithmetic, e.instrument));
    if (!s) return Unexpected{s.error()};
    share = done ? o->locked : *s;
  }
  const Delta deltas[] = {
      release_delta(balance(Market::kSpot, lock_asset), Market::kSpot, lock_asset, share),
      {Market::kSpot, inst.quote, buy ? -notional->raw() : notional->raw(), 0},
      {Market::kSpot, inst.base, buy ? e.quantity.raw() : -e.quantity.raw(), 0},
      {Market::kSpot, e.fee_asset, -e.fee.raw(), 0},
  };
  if (auto r = change(deltas, e.client_order_id, e.instrument); !r) return r;
  if (o != nullptr) settle_fill(*o, e.quantity, share, done);
  return Unit{};
}

bool AccountCore::fill_completes(const OrderLock& o, Decimal qty) noexcept {
  Int128 filled = 0;
  if (__builtin_add_overflow(o.filled.raw(), qty.raw(), &filled)) return true;  // beyond any qty
  return filled >= o.quantity.raw() || (o.terminal && filled >= o.venue_cum.raw());
}

void AccountCore::settle_fill(OrderLock& o, Decimal qty, Decimal share, bool done) {
  if (done) {
    orders_.erase(orders_.begin() + (&o - orders_.data()));
    return;
  }
  o.filled = Decimal::from_raw(o.filled.raw() + qty.raw());
  o.locked = Decimal::from_raw(o.locked.raw() - share.raw());
}

}  // namespace oms::actors

namespace oms::actors {

// ---- compacted state ------------------------------------------------------------------------

void AccountCore::save(StateWriter& w) const {
  w.put(id_);
  state(*this, w);
}

void AccountCore::load(StateReader& r) {
  AccountId saved;
  r.get(saved);
  if (r.ok() && saved != id_) r.fail("the account state is of another account");
  AccountCore loaded(id_, *instruments_);
  state(loaded, r);
  if (r.ok()) *this = std::move(loaded);
}

}  // namespace oms::actors
