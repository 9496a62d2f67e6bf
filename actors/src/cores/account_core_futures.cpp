// AccountCore: futures positions, funding, settings, transfers; and the AccountBook.
#include <algorithm>
#include <string>

#include "oms/cores/account_core.hpp"

namespace oms::actors {

namespace {
constexpr std::size_t leg_index(PositionSide s) noexcept {
  return static_cast<std::size_t>(s);
}

bool rounded(Int128 v, Decimal& out) noexcept {
  return round_e18(v, out);
}
}  // namespace

const FuturesPosition* AccountCore::position(InstrumentId instrument) const noexcept {
  for (const FuturesPosition& p : futures_)
    if (p.instrument == instrument) return &p;
  return nullptr;
}

FuturesPosition& AccountCore::position_slot(InstrumentId instrument) {
  for (FuturesPosition& p : futures_)
    if (p.instrument == instrument) return p;
  futures_.push_back(FuturesPosition{});
  futures_.back().instrument = instrument;
  return futures_.back();
}

std::optional<Int128> AccountCore::unrealized_e18(InstrumentId instrument, PositionSide side,
                                                  Decimal mark) const noexcept {
  const FuturesPosition* p = position(instrument);
  return p ? p->leg(side).position.unrealized_e18(mark) : Int128{0};
}

Result<Unit, AccountError> AccountCore::on_futures_fill(const FillReceived& e,
                                                        const InstrumentAssets& inst) {
  OrderLock* o = find_order(e.client_order_id);
  PositionSide side = PositionSide::kBoth;
  if (hedge_mode_) {
    if (o == nullptr || o->position_side == PositionSide::kBoth) {
      AccountError err = error(AccountErrorCode::kMissingPositionSide, e.instrument);
      err.client_order_id = e.client_order_id;
      return Unexpected{err};
    }
    side = o->position_side;
  } else if (o != nullptr && o->position_side != PositionSide::kBoth) {
    AccountError err = error(AccountErrorCode::kMissingPositionSide, e.instrument);
    err.client_order_id = e.client_order_id;
    return Unexpected{err};
  }
  const FuturesPosition* cur = position(e.instrument);
  NetPosition next = cur ? cur->leg(side).position : NetPosition{};
  // A hedge leg reduces at most to zero: long legs never go short, short legs never long.
  const bool reducing = (side == PositionSide::kLong && e.side == Side::kSell) ||
                        (side == PositionSide::kShort && e.side == Side::kBuy);
  if (reducing && e.quantity.raw() > (next.size.raw() < 0 ? -next.size.raw() : next.size.raw())) {
    AccountError err = error(AccountErrorCode::kLegOverclose, e.instrument);
    err.client_order_id = e.client_order_id;
    err.have = next.size;
    err.need = e.quantity;
    return Unexpected{err};
  }
  const Int128 realized_before = next.realized_e18;
  Int128 realized_delta = 0;
  Decimal before, after;
  if (!apply_fill(next, e.side, e.quantity, e.price, realized_delta) ||
      !rounded(realized_before, before) || !rounded(next.realized_e18, after))
    return Unexpected{error(AccountErrorCode::kArithmetic, e.instrument)};
  bool done = false;
  if (o != nullptr) done = fill_completes(*o, e.quantity);
  const Delta deltas[] = {
      {Market::kUsdm, inst.settle, after.raw() - before.raw(), 0},
      {Market::kUsdm, e.fee_asset, -e.fee.raw(), 0},
  };
  if (auto r = change(deltas, e.client_order_id, e.instrument); !r) return r;
  position_slot(e.instrument).legs[leg_index(side)].position = next;
  if (o != nullptr) settle_fill(*find_order(e.client_order_id), e.quantity, Decimal{}, done);
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const PositionUpdated& e) {
  if (instruments_->find(e.instrument) == nullptr)
    return Unexpected{error(AccountErrorCode::kUnknownInstrument, e.instrument)};
  if (e.leverage == 0 || e.entry_price.is_negative() || e.isolated_margin.is_negative() ||
      (e.position_side != PositionSide::kBoth && e.size.is_negative()))
    return Unexpected{error(AccountErrorCode::kInvalidEvent, e.instrument)};
  if ((e.position_side == PositionSide::kBoth) == hedge_mode_ && !e.size.is_zero())
    return Unexpected{error(AccountErrorCode::kMissingPositionSide, e.instrument)};
  const Decimal size =
      e.position_side == PositionSide::kShort ? Decimal::from_raw(-e.size.raw()) : e.size;
  const FuturesPosition* cur = position(e.instrument);
  const Decimal ours = cur ? cur->leg(e.position_side).position.size : Decimal{};
  auto drift = size.sub(ours);
  if (!drift) return Unexpected{error(AccountErrorCode::kArithmetic, e.instrument)};
  Int128 cost = 0;
  if (!product_e18(size, e.entry_price, cost)) return Unexpected{error(AccountErrorCode::kArithmetic, e.instrument)};
  FuturesPosition& p = position_slot(e.instrument);
  FuturesLeg& leg = p.legs[leg_index(e.position_side)];
  leg.position.size = size;
  leg.position.cost_e18 = cost;  // our realized PnL stays ours
  leg.isolated_margin = e.isolated_margin;
  leg.venue_unrealized = e.unrealized_pnl;
  leg.venue_realized = e.realized_pnl;
  leg.size_drift = *drift;
  p.leverage = e.leverage;
  p.margin_type = e.margin_type;
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const FundingPaid& e) {
  if (instruments_->find(e.instrument) == nullptr)
    return Unexpected{error(AccountErrorCode::kUnknownInstrument, e.instrument)};
  const FuturesPosition* cur = position(e.instrument);
  auto funding = (cur ? cur->funding : Decimal{}).add(e.amount);
  if (!funding) return Unexpected{error(AccountErrorCode::kArithmetic, e.instrument)};
  const Delta d{Market::kUsdm, e.asset, e.amount.raw(), 0};
  if (auto r = change({&d, 1}, {}, e.instrument); !r) return r;
  position_slot(e.instrument).funding = *funding;
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const PositionModeChanged& e) {
  if (e.market != Market::kUsdm) return Unexpected{error(AccountErrorCode::kInvalidEvent)};
  for (const FuturesPosition& p : futures_)
    for (const FuturesLeg& l : p.legs)
      if (!l.position.size.is_zero())
        return Unexpected{error(AccountErrorCode::kOpenPositions, p.instrument)};
  hedge_mode_ = e.hedge_mode;
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const LeverageChanged& e) {
  if (instruments_->find(e.instrument) == nullptr)
    return Unexpected{error(AccountErrorCode::kUnknownInstrument, e.instrument)};
  if (e.leverage == 0) return Unexpected{error(AccountErrorCode::kInvalidEvent, e.instrument)};
  position_slot(e.instrument).leverage = e.leverage;
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const MarginTypeChanged& e) {
  if (instruments_->find(e.instrument) == nullptr)
    return Unexpected{error(AccountErrorCode::kUnknownInstrument, e.instrument)};
  position_slot(e.instrument).margin_type = e.margin_type;
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const IsolatedMarginChanged& e) {
  if (instruments_->find(e.instrument) == nullptr)
    return Unexpected{error(AccountErrorCode::kUnknownInstrument, e.instrument)};
  const FuturesPosition* cur = position(e.instrument);
  const Decimal have = cur ? cur->leg(e.position_side).isolated_margin : Decimal{};
  auto next = have.add(e.amount);
  if (!next) return Unexpected{error(AccountErrorCode::kArithmetic, e.instrument)};
  if (next->is_negative()) {
    AccountError err = error(AccountErrorCode::kInsufficientBalance, e.instrument);
    err.asset = e.asset;
    err.have = have;
    err.need = Decimal::from_raw(-e.amount.raw());
    return Unexpected{err};
  }
  const Delta d{Market::kUsdm, e.asset, -e.amount.raw(), 0};
  if (auto r = change({&d, 1}, {}, e.instrument); !r) return r;
  position_slot(e.instrument).legs[leg_index(e.position_side)].isolated_margin = *next;
  return Unit{};
}

// ---- transfers: the amount leaves `free` at the request (held in `locked` of the source
// market until the outcome), and arrives in the destination's `free` on completion.
Result<Unit, AccountError> AccountCore::on(const TransferRequested& e) {
  const bool out = e.from_account == id_, in = e.to_account == id_;
  if (!out && !in) return Unexpected{error(AccountErrorCode::kWrongAccount)};
  if (!e.amount.is_positive() || e.asset.empty())
    return Unexpected{error(AccountErrorCode::kInvalidEvent)};
  if (out) {
    const Delta d{e.from_market, e.asset, -e.amount.raw(), e.amount.raw()};
    if (auto r = change({&d, 1}, {}, {}); !r) return r;
  }
  transfers_.push_back(
      PendingTransfer{e.transfer_id, out, in, e.from_market, e.to_market, e.asset, e.amount});
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const TransferCompleted& e) {
  auto it = std::find_if(transfers_.begin(), transfers_.end(),
                         [&](const PendingTransfer& t) { return t.transfer_id == e.transfer_id; });
  if (it == transfers_.end()) return Unit{};  // not ours
  const Delta deltas[] = {
      {it->from_market, it->asset, 0, it->outgoing ? -it->amount.raw() : 0},
      {it->to_market, it->asset, it->incoming ? it->amount.raw() : 0, 0},
  };
  if (auto r = change(deltas, {}, {}); !r) return r;
  transfers_.erase(it);
  return Unit{};
}

Result<Unit, AccountError> AccountCore::on(const TransferFailed& e) {
  auto it = std::find_if(transfers_.begin(), transfers_.end(),
                         [&](const PendingTransfer& t) { return t.transfer_id == e.transfer_id; });
  if (it == transfers_.end()) return Unit{};
  if (it->outgoing) {
    const Delta d{it->from_market, it->asset, it->amount.raw(), -it->amount.raw()};
    if (auto r = change({&d, 1}, {}, {}); !r) return r;
  }
  transfers_.erase(it);
  return Unit{};
}

// ---- AccountBook ------------------------------------------------------------------------------
AccountBook::AccountBook(const InstrumentTable& instruments, std::size_t accounts) {
  accounts_.reserve(accounts);
  for (std::size_t i = 0; i < accounts; ++i)
    accounts_.emplace_back(AccountId(static_cast<AccountId::rep_type>(i)), instruments);
}

Result<Unit, AccountError> AccountBook::apply(const Event& event) {
  auto one = [&](AccountId id) -> Result<Unit, AccountError> {
    if (!id.valid() || id.index() >= accounts_.size()) {
      AccountError err;
      err.code = AccountErrorCode::kWrongAccount;
      err.account = id;
      return Unexpected{err};
    }
    return accounts_[id.index()].apply(event);
  };
  if (const auto* t = std::get_if<TransferRequested>(&event.payload)) {
    // Both ends or neither: check the source first (it may refuse), then the destination.
    if (auto r = one(t->from_account); !r) return r;
    if (t->to_account != t->from_account) return one(t->to_account);
    return Unit{};
  }
  if (std::holds_alternative<TransferCompleted>(event.payload) ||
      std::holds_alternative<TransferFailed>(event.payload)) {
    for (AccountCore& a : accounts_)
      if (auto r = a.apply(event); !r) return r;
    return Unit{};
  }
  return std::visit(
      [&](const auto& e) -> Result<Unit, AccountError> {
        if constexpr (requires { e.account; }) {
          if (e.account.valid()) return one(e.account);
        }
        return Unit{};
      },
      event.payload);
}

}  // namespace oms::actors
