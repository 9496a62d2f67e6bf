// Accounts: spot balances (free / locked), futures wallet, positions, margin and fees.
#include "venue_impl.hpp"

namespace oms::sim {

AssetId Venue::Impl::asset(std::string_view name) {
  if (auto it = asset_by_name.find(name); it != asset_by_name.end()) return it->second;
  const auto id = static_cast<AssetId>(asset_names.size());
  asset_names.emplace_back(name);
  asset_by_name.emplace(std::string(name), id);
  return id;
}

std::vector<BalanceView> Venue::Impl::balance_views(ApiKeyId a) const {
  std::vector<BalanceView> out;
  const auto& v = accounts[a].balances;
  for (const auto& [name, id] : asset_by_name) {
    if (id < v.size() && v[id].held) out.push_back({name, v[id].free, v[id].locked});
  }
  return out;
}

void Venue::Impl::touch(ApiKeyId a) {
  for (const ApiKeyId t : touched) {
    if (t == a) return;
  }
  touched.push_back(a);
}

int Venue::Impl::leverage(ApiKeyId a, SymbolIndex s) const {
  const auto& st = accounts[a].settings;
  auto it = st.find(s);
  return it == st.end() ? SymbolSettings{}.leverage : it->second.leverage;
}

PositionView Venue::Impl::position_view(ApiKeyId a, SymbolIndex s, PositionSide ps, const Position& p) const {
  PositionView v;
  v.symbol = s;
  v.position_side = ps;
  v.amount = p.amount;
  v.entry_price = p.entry;
  v.realized_pnl = p.realized;
  if (const auto m = mark(s); m && !p.amount.is_zero()) v.unrealized_pnl = mul(p.amount, sub(*m, p.entry));
  auto it = accounts[a].settings.find(s);
  if (it != accounts[a].settings.end()) v.margin_type = it->second.margin;
  v.leverage = leverage(a, s);
  return v;
}

void Venue::Impl::flush_account_updates(TimeNs now, Outbox& out) {
  for (const ApiKeyId a : touched) {
    AccountUpdate u;
    u.account = a;
    u.event_time = now;
    u.balances = balance_views(a);
    if (futures()) {
      for (const auto& [key, p] : accounts[a].positions) u.positions.push_back(position_view(a, key.first, key.second, p));
    }
    out.account_updates.push_back(std::move(u));
  }
  touched.clear();
}

Decimal Venue::Impl::unrealized(ApiKeyId a) const {
  Decimal sum;
  for (const auto& [key, p] : accounts[a].positions) {
    if (p.amount.is_zero()) continue;
    if (const auto m = mark(key.first)) sum = add(sum, mul(p.amount, sub(*m, p.entry)));
  }
  return sum;
}

Decimal Venue::Impl::available(ApiKeyId a) const {
  const Account& acct = accounts[a];
  Decimal wallet;
  for (const Balance& bal : acct.balances) wallet = add(wallet, bal.free);  // futures: one asset
  Decimal used = acct.order_margin;
  for (const auto& [key, p] : acct.positions) {
    if (p.amount.is_zero()) continue;
    const Decimal notional = mul(p.amount.abs().value(), p.entry);
    used = add(used, notional.div(Decimal::from_raw(leverage(a, key.first) * Decimal::kOne), Rounding::kUp).value());
  }
  return sub(add(wallet, unrealized(a)), used);
}

Decimal Venue::Impl::order_margin(ApiKeyId a, SymbolIndex s, Side side, PositionSide ps, Decimal price,
                                  Decimal qty) const {
  const Account& acct = accounts[a];
  Decimal opening = qty;
  if (acct.hedge) {
    const bool opens = (ps == PositionSide::kLong) == (side == Side::kBuy);
    if (!opens) opening = Decimal();
  } else {
    auto it = acct.positions.find({s, PositionSide::kBoth});
    const Decimal amount = it == acct.positions.end() ? Decimal() : it->second.amount;
    const bool opposite = (side == Side::kBuy) ? amount.is_negative() : amount.is_positive();
    if (opposite) {
      const Decimal held = amount.abs().value();
      opening = qty > held ? sub(qty, held) : Decimal();
    }
  }
  return mul(price, opening).div(Decimal::from_raw(leverage(a, s) * Decimal::kOne), Rounding::kUp).value();
}

Decimal Venue::Impl::settle_fill(SimOrder& o, Decimal price, Decimal qty, bool maker, Decimal& fee,
                                 std::string& fee_asset) {
  Account& acct = accounts[o.v.account];
  const SymbolBook& b = symbols[o.v.symbol];
  const Decimal rate = maker ? acct.cfg.maker_rate : acct.cfg.taker_rate;
  const Decimal quote = mul(price, qty);
  touch(o.v.account);
  if (!futures()) {
    Balance& base = balance(o.v.account, b.base);
    Balance& q = balance(o.v.account, b.quote);
    const bool locked = has_limit(o.v.type);
    if (o.v.side == Side::kBuy) {
      // Binance charges the asset received (no BNB discount here): the base of a buy.
      fee = mul(qty, rate, Rounding::kUp);
      fee_asset = b.ins.symbol.base;
      if (locked) {
        q.locked = sub(q.locked, quote);
        o.locked = sub(o.locked, quote);
      } else {
        q.free = sub(q.free, quote);
      }
      base.free = add(base.free, sub(qty, fee));
    } else {
      fee = mul(quote, rate, Rounding::kUp);
      fee_asset = b.ins.symbol.quote;
      if (locked) {
        base.locked = sub(base.locked, qty);
        o.locked = sub(o.locked, qty);
      } else {
        base.free = sub(base.free, qty);
      }
      q.free = add(q.free, sub(quote, fee));
    }
    return Decimal();
  }
  // USD-M: fee in the settle asset on the notional; realized PnL on the reduced part.
  fee = mul(quote, rate, Rounding::kUp);
  fee_asset = asset_names[b.settle];
  Position& p = position(o.v.account, o.v.symbol, o.v.position_side);
  const Decimal signed_qty = o.v.side == Side::kBuy ? qty : qty.neg().value();
  Decimal realized;
  if (p.amount.is_zero() || p.amount.sign() == signed_qty.sign()) {
    const Decimal held = p.amount.abs().value();
    const Decimal total = add(held, qty);
    // Weighted average: (held*entry + qty*price) / total, half-even at 1e-9 (amounts within an
    // instrument's filters: the products stay in 128 bits).
    const Int128 num = held.raw() * p.entry.raw() + qty.raw() * price.raw();
    Int128 avg = 0;
    round_quotient(num, total.raw(), Rounding::kHalfEven, avg);
    p.entry = Decimal::from_raw(avg);
    p.amount = add(p.amount, signed_qty);
  } else {
    const Decimal held = p.amount.abs().value();
    const Decimal closing = min(held, qty);
    const Decimal diff = p.amount.is_positive() ? sub(price, p.entry) : sub(p.entry, price);
    realized = mul(closing, diff);
    p.amount = add(p.amount, signed_qty);
    if (p.amount.is_zero()) {
      p.entry = Decimal();
    } else if (qty > held) {
      p.entry = price;  // flipped: the remainder opened at this price
    }
    p.realized = add(p.realized, realized);
  }
  Balance& wallet = balance(o.v.account, b.settle);
  wallet.free = sub(add(wallet.free, realized), fee);
  return realized;
}

void Venue::Impl::relock(SimOrder& o) {
  if (!o.open()) {
    release_all(o);
    return;
  }
  const SymbolBook& b = symbols[o.v.symbol];
  if (!futures()) {
    if (!has_limit(o.v.type)) return;
    const bool buy = o.v.side == Side::kBuy;
    const Decimal required = buy ? mul(o.v.price, o.remaining(), Rounding::kUp) : o.remaining();
    if (o.locked > required) {
      Balance& bal = balance(o.v.account, buy ? b.quote : b.base);
      const Decimal extra = sub(o.locked, required);
      bal.locked = sub(bal.locked, extra);
      bal.free = add(bal.free, extra);
      o.locked = required;
      touch(o.v.account);
    }
    return;
  }
  if (!has_limit(o.v.type) || o.v.reduce_only) return;
  const Decimal required = order_margin(o.v.account, o.v.symbol, o.v.side, o.v.position_side, o.v.price, o.remaining());
  Account& acct = accounts[o.v.account];
  acct.order_margin = add(sub(acct.order_margin, o.locked), required);
  o.locked = required;
}

void Venue::Impl::release_all(SimOrder& o) {
  if (o.locked.is_zero()) return;
  if (!futures()) {
    const SymbolBook& b = symbols[o.v.symbol];
    Balance& bal = balance(o.v.account, o.v.side == Side::kBuy ? b.quote : b.base);
    bal.locked = sub(bal.locked, o.locked);
    bal.free = add(bal.free, o.locked);
    touch(o.v.account);
  } else {
    Account& acct = accounts[o.v.account];
    acct.order_margin = sub(acct.order_margin, o.locked);
  }
  o.locked = Decimal();
}

}  // namespace oms::sim
