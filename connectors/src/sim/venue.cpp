// Venue set-up, background liquidity events, queries and market data.
#include "oms/connectors/sim/venue.hpp"

#include <algorithm>

#include "venue_impl.hpp"

namespace oms::sim {

const char* to_string(SimStp s) noexcept {
  switch (s) {
    case SimStp::kNone: return "NONE";
    case SimStp::kExpireTaker: return "EXPIRE_TAKER";
    case SimStp::kExpireMaker: return "EXPIRE_MAKER";
    case SimStp::kExpireBoth: return "EXPIRE_BOTH";
  }
  return "EXPIRE_MAKER";
}

const char* to_string(SimOrderType t, Market m) noexcept {
  const bool fut = m != Market::kSpot;
  switch (t) {
    case SimOrderType::kLimit: return "LIMIT";
    case SimOrderType::kMarket: return "MARKET";
    case SimOrderType::kLimitMaker: return "LIMIT_MAKER";
    case SimOrderType::kStopLoss: return fut ? "STOP_MARKET" : "STOP_LOSS";
    case SimOrderType::kStopLossLimit: return fut ? "STOP" : "STOP_LOSS_LIMIT";
    case SimOrderType::kTakeProfit: return fut ? "TAKE_PROFIT_MARKET" : "TAKE_PROFIT";
    case SimOrderType::kTakeProfitLimit: return fut ? "TAKE_PROFIT" : "TAKE_PROFIT_LIMIT";
  }
  return "?";
}
const char* to_string(SimTif t) noexcept {
  switch (t) {
    case SimTif::kGtc: return "GTC";
    case SimTif::kIoc: return "IOC";
    case SimTif::kFok: return "FOK";
    case SimTif::kGtx: return "GTX";
  }
  return "?";
}
const char* to_string(ExecType t) noexcept {
  switch (t) {
    case ExecType::kNew: return "NEW";
    case ExecType::kCanceled: return "CANCELED";
    case ExecType::kReplaced: return "REPLACED";
    case ExecType::kRejected: return "REJECTED";
    case ExecType::kTrade: return "TRADE";
    case ExecType::kExpired: return "EXPIRED";
    case ExecType::kAmendment: return "AMENDMENT";
  }
  return "?";
}
const char* to_string(SimStatus s) noexcept {
  switch (s) {
    case SimStatus::kNew: return "NEW";
    case SimStatus::kPartiallyFilled: return "PARTIALLY_FILLED";
    case SimStatus::kFilled: return "FILLED";
    case SimStatus::kCanceled: return "CANCELED";
    case SimStatus::kRejected: return "REJECTED";
    case SimStatus::kExpired: return "EXPIRED";
    case SimStatus::kExpiredInMatch: return "EXPIRED_IN_MATCH";
  }
  return "?";
}

Venue::Venue(Market market, BookFactory books) : market_(market), impl_(std::make_unique<Impl>()) {
  impl_->market = market;
  impl_->books = books;
}
Venue::~Venue() = default;

SymbolIndex Venue::add_instrument(const Instrument& instrument) {
  SymbolBook b;
  b.ins = instrument;
  b.resting = impl_->books();
  b.base = impl_->asset(instrument.symbol.base);
  b.quote = impl_->asset(instrument.symbol.quote);
  b.settle = impl_->asset(instrument.symbol.settle.empty() ? instrument.symbol.quote : instrument.symbol.settle);
  impl_->symbols.push_back(std::move(b));
  return static_cast<SymbolIndex>(impl_->symbols.size() - 1);
}

ApiKeyId Venue::add_account(const AccountConfig& config) {
  Account a;
  a.cfg = config;
  impl_->accounts.push_back(std::move(a));
  return static_cast<ApiKeyId>(impl_->accounts.size() - 1);
}

std::optional<SymbolIndex> Venue::find_symbol(std::string_view venue_symbol) const {
  for (std::size_t k = 0; k < impl_->symbols.size(); ++k) {
    if (impl_->symbols[k].ins.venue_symbol == venue_symbol) return static_cast<SymbolIndex>(k);
  }
  return std::nullopt;
}
std::optional<ApiKeyId> Venue::find_account(std::string_view api_key) const {
  for (std::size_t k = 0; k < impl_->accounts.size(); ++k) {
    if (impl_->accounts[k].cfg.api_key == api_key) return static_cast<ApiKeyId>(k);
  }
  return std::nullopt;
}

Result<Unit, VenueError> Venue::deposit(ApiKeyId account, std::string_view asset, Decimal amount, TimeNs now,
                                        Outbox& out) {
  if (account >= impl_->accounts.size()) return Unexpected{error(-2015, "Invalid API-key, IP, or permissions for action.")};
  if (impl_->futures() && asset != "USDT" && asset != "USDC")
    return Unexpected{error(-1013, "Futures wallets hold the settle asset only.")};
  const AssetId id = impl_->asset(asset);
  auto r = impl_->balance(account, id).free.add(amount);
  if (!r.ok() || r.value().is_negative()) return Unexpected{error(-1013, "Invalid amount.")};
  impl_->balance(account, id).free = r.value();
  impl_->touch(account);
  impl_->flush_account_updates(now, out);
  return Unit{};
}

Result<Unit, VenueError> Venue::set_leverage(ApiKeyId account, SymbolIndex symbol, int leverage) {
  constexpr int kMaxLeverage = 125;  // Binance USD-M's highest bracket
  if (!impl_->futures() || account >= impl_->accounts.size() || symbol >= impl_->symbols.size())
    return Unexpected{error(-1121, "Invalid symbol.")};
  if (leverage < 1 || leverage > kMaxLeverage) return Unexpected{error(-4028, "Leverage " + std::to_string(leverage) + " is not valid")};
  impl_->accounts[account].settings[symbol].leverage = leverage;
  return Unit{};
}

Result<Unit, VenueError> Venue::set_margin_type(ApiKeyId account, SymbolIndex symbol, MarginType t) {
  if (!impl_->futures() || account >= impl_->accounts.size() || symbol >= impl_->symbols.size())
    return Unexpected{error(-1121, "Invalid symbol.")};
  auto& s = impl_->accounts[account].settings[symbol];
  if (s.margin == t) return Unexpected{error(-4046, "No need to change margin type.")};
  for (const auto& [key, p] : impl_->accounts[account].positions) {
    if (key.first == symbol && !p.amount.is_zero())
      return Unexpected{error(-4048, "Margin type cannot be changed if there exists position.")};
  }
  s.margin = t;
  return Unit{};
}

Result<Unit, VenueError> Venue::set_hedge_mode(ApiKeyId account, bool hedge) {
  if (!impl_->futures() || account >= impl_->accounts.size()) return Unexpected{error(-1121, "Invalid symbol.")};
  Account& a = impl_->accounts[account];
  if (a.hedge == hedge) return Unexpected{error(-4059, "No need to change position side.")};
  for (const auto& [key, p] : a.positions) {
    if (!p.amount.is_zero()) return Unexpected{error(-4068, "Position side cannot be changed if there exists position.")};
  }
  for (const SimOrder& o : impl_->orders) {
    if (o.v.account == account && o.open()) return Unexpected{error(-4067, "Position side cannot be changed if there exists open orders.")};
  }
  a.hedge = hedge;
  return Unit{};
}

void Venue::on_snapshot(SymbolIndex symbol, const BookSnapshotIn& s, TimeNs now, Outbox& out) {
  SymbolBook& b = impl_->symbols[symbol];
  b.background.apply_snapshot(s);
  // Within the snapshot's price range an absent level is empty; beyond its deepest level
  // the snapshot says nothing, so those orders keep their queue position.
  for (const Side side : {Side::kBuy, Side::kSell}) {
    const auto& given = side == Side::kBuy ? s.bids : s.asks;
    std::optional<Decimal> deepest;  // none: the side is empty, every level is known empty
    for (const PriceQty& pq : given) {
      if (!deepest || (side == Side::kBuy ? pq.price < *deepest : pq.price > *deepest)) deepest = pq.price;
    }
    for (std::size_t r = 0; r < b.resting->level_count(side); ++r) {
      const LevelView lv = b.resting->level(side, r);
      if (deepest && (side == Side::kBuy ? lv.price < *deepest : lv.price > *deepest)) break;
      const Decimal avail = b.background.available(side, lv.price);
      for (const OrderSlot slot : lv.orders) impl_->orders[slot].queue_ahead = min(impl_->orders[slot].queue_ahead, avail);
    }
  }
  impl_->cross_resting(symbol, now, out);
}

void Venue::on_delta(SymbolIndex symbol, const BookDeltaIn& d, TimeNs now, Outbox& out) {
  SymbolBook& b = impl_->symbols[symbol];
  b.background.apply_delta(d);
  // Cancels ahead of us: a level never holds more ahead of an order than it holds.
  for (const Side side : {Side::kBuy, Side::kSell}) {
    const auto& changed = side == Side::kBuy ? d.bids : d.asks;
    for (const PriceQty& pq : changed) {
      for (std::size_t r = 0; r < b.resting->level_count(side); ++r) {
        const LevelView lv = b.resting->level(side, r);
        if (lv.price != pq.price) continue;
        for (const OrderSlot slot : lv.orders) impl_->orders[slot].queue_ahead = min(impl_->orders[slot].queue_ahead, pq.qty);
        break;
      }
    }
  }
  impl_->cross_resting(symbol, now, out);
}

void Venue::on_trade(SymbolIndex symbol, const TradePrintIn& t, TimeNs now, Outbox& out) {
  Impl& m = *impl_;
  SymbolBook& b = m.symbols[symbol];
  b.last = t.price;
  // The side that was hit: a seller-initiated print (buyer is maker) hits bids.
  const Side hit = t.buyer_is_maker ? Side::kBuy : Side::kSell;
  Int128 budget = t.qty.raw();
  std::vector<std::pair<OrderSlot, Decimal>> fills;
  for (std::size_t r = 0; r < b.resting->level_count(hit) && budget > 0; ++r) {
    const LevelView lv = b.resting->level(hit, r);
    const bool at = lv.price == t.price;
    const bool through = hit == Side::kBuy ? lv.price > t.price : lv.price < t.price;
    if (!at && !through) break;
    for (const OrderSlot slot : lv.orders) {
      SimOrder& o = m.orders[slot];
      if (through) o.queue_ahead = Decimal();
      const Int128 eaten = std::min(o.queue_ahead.raw(), budget);
      o.queue_ahead = Decimal::from_raw(o.queue_ahead.raw() - eaten);
      budget -= eaten;
      Int128 fill = std::min(o.remaining().raw(), budget);
      if (const Decimal cap = m.reduce_cap(o); cap.raw() >= 0) fill = std::min(fill, cap.raw());
      if (fill > 0) fills.emplace_back(slot, Decimal::from_raw(fill));
      budget -= fill;
      if (budget == 0) break;
    }
  }
  for (const auto& [slot, qty] : fills) m.fill_maker(slot, m.orders[slot].v.price, qty, now, out);
  b.last = t.price;
  m.trigger_stops(symbol, now, out);
  m.flush_account_updates(now, out);
}

Result<OrderView, VenueError> Venue::query(ApiKeyId account, SymbolIndex symbol, const OrderRef& ref) const {
  auto slot = impl_->find(account, symbol, ref);
  if (!slot.ok()) return Unexpected{slot.error()};
  OrderView v = impl_->orders[*slot].v;
  v.working = impl_->orders[*slot].resting;
  return v;
}

std::vector<OrderView> Venue::open_orders(ApiKeyId account, SymbolIndex symbol) const {
  std::vector<OrderView> out;
  for (const SimOrder& o : impl_->orders) {
    if (o.v.account == account && o.v.symbol == symbol && o.open()) {
      out.push_back(o.v);
      out.back().working = o.resting;
    }
  }
  return out;
}

std::vector<OrderView> Venue::all_orders(ApiKeyId account, SymbolIndex symbol) const {
  std::vector<OrderView> out;
  for (const SimOrder& o : impl_->orders) {
    if (o.v.account == account && o.v.symbol == symbol) {
      out.push_back(o.v);
      out.back().working = o.resting;
    }
  }
  return out;
}

std::vector<TradeView> Venue::my_trades(ApiKeyId account, SymbolIndex symbol) const {
  std::vector<TradeView> out;
  if (account >= impl_->accounts.size()) return out;
  for (const TradeView& t : impl_->accounts[account].trades) {
    if (t.symbol == symbol) out.push_back(t);
  }
  return out;
}

std::vector<BalanceView> Venue::balances(ApiKeyId account) const {
  std::vector<BalanceView> out;
  if (account >= impl_->accounts.size()) return out;
  return impl_->balance_views(account);
}

std::vector<PositionView> Venue::positions(ApiKeyId account) const {
  std::vector<PositionView> out;
  if (account >= impl_->accounts.size()) return out;
  for (const auto& [key, p] : impl_->accounts[account].positions) {
    if (!p.amount.is_zero()) out.push_back(impl_->position_view(account, key.first, key.second, p));
  }
  return out;
}

PositionView Venue::position(ApiKeyId account, SymbolIndex symbol, PositionSide ps) const {
  const auto& positions = impl_->accounts.at(account).positions;
  auto it = positions.find({symbol, ps});
  return impl_->position_view(account, symbol, ps, it == positions.end() ? Position{} : it->second);
}

Decimal Venue::wallet_balance(ApiKeyId account) const {
  Decimal sum;
  for (const Balance& b : impl_->accounts.at(account).balances) sum = add(sum, b.free);
  return sum;
}
Decimal Venue::available_balance(ApiKeyId account) const { return impl_->available(account); }

std::vector<PriceQty> Venue::depth(SymbolIndex symbol, Side side, std::size_t levels) const {
  // One merge walk over two lists that are both best-first (background levels by key, resting
  // levels by rank): O(levels), no sort. A price in both lists is one level, summed.
  const SymbolBook& b = impl_->symbols.at(symbol);
  auto bg = b.background.walk(side);
  const std::size_t rest_count = b.resting->level_count(side);
  std::size_t rank = 0;
  std::vector<PriceQty> merged;
  merged.reserve(std::min(levels, b.background.level_count(side) + rest_count));
  for (bg.skip_empty(); merged.size() < levels && (!bg.done() || rank < rest_count); bg.skip_empty()) {
    const bool has_bg = !bg.done();
    const bool has_rest = rank < rest_count;
    const Decimal bgp = has_bg ? bg.price() : Decimal();
    const LevelView lv = has_rest ? b.resting->level(side, rank) : LevelView{};
    // The better of the two heads; both when they are at one price.
    const bool take_bg = has_bg && (!has_rest || bgp == lv.price ||
                                    (side == Side::kBuy ? bgp > lv.price : bgp < lv.price));
    const bool take_rest = has_rest && (!take_bg || bgp == lv.price);
    PriceQty level{take_bg ? bgp : lv.price, Decimal()};
    if (take_bg) {
      level.qty = bg.available();
      bg.next();
    }
    if (take_rest) {
      for (const OrderSlot slot : lv.orders)
        level.qty = add(level.qty, impl_->orders[slot].remaining());
      ++rank;
    }
    merged.push_back(level);
  }
  return merged;
}

BookTop Venue::top(SymbolIndex symbol) const {
  BookTop t;
  if (auto b = depth(symbol, Side::kBuy, 1); !b.empty()) t.bid = b.front();
  if (auto a = depth(symbol, Side::kSell, 1); !a.empty()) t.ask = a.front();
  return t;
}

std::optional<Decimal> Venue::Impl::mark(SymbolIndex s) const {
  const SymbolBook& b = symbols[s];
  std::optional<Decimal> bid = b.background.best(Side::kBuy), ask = b.background.best(Side::kSell);
  if (b.resting->level_count(Side::kBuy) > 0) {
    const Decimal p = b.resting->level(Side::kBuy, 0).price;
    if (!bid || p > *bid) bid = p;
  }
  if (b.resting->level_count(Side::kSell) > 0) {
    const Decimal p = b.resting->level(Side::kSell, 0).price;
    if (!ask || p < *ask) ask = p;
  }
  if (bid && ask) return Decimal::from_raw(bid->raw() / 2 + ask->raw() / 2 + (bid->raw() % 2 + ask->raw() % 2) / 2);
  return b.last;
}

std::optional<Decimal> Venue::last_price(SymbolIndex symbol) const { return impl_->symbols.at(symbol).last; }
std::optional<Decimal> Venue::mark_price(SymbolIndex symbol) const { return impl_->mark(symbol); }
const Instrument& Venue::instrument(SymbolIndex symbol) const { return impl_->symbols.at(symbol).ins; }

}  // namespace oms::sim
