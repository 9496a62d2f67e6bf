// Matching: the merged walk over background levels and client resting orders (plan), and
// applying its steps (execute), resting, stops, and the reports those produce.
#include <algorithm>

#include "venue_impl.hpp"

namespace oms::sim {
namespace {
Side opposite(Side s) { return s == Side::kBuy ? Side::kSell : Side::kBuy; }
// True when a is a better price than b for the side resting at it (bids: higher).
bool better(Side resting, Decimal a, Decimal b) { return resting == Side::kBuy ? a > b : a < b; }
// A taker with this limit may trade at price p.
bool within(Side taker, Decimal limit, Decimal p) { return taker == Side::kBuy ? p <= limit : p >= limit; }
constexpr std::int64_t kNoCap = -1;
}  // namespace

ExecutionReport Venue::Impl::report(const SimOrder& o, ExecType x, TimeNs now) const {
  ExecutionReport r;
  const OrderView& v = o.v;
  r.account = v.account;
  r.symbol = v.symbol;
  r.order_id = v.order_id;
  r.client_order_id = v.client_order_id;
  r.side = v.side;
  r.type = v.type;
  r.tif = v.tif;
  r.stp = v.stp;
  r.price = v.price;
  r.quantity = v.quantity;
  r.stop_price = v.stop_price;
  r.quote_order_qty = v.quote_order_qty;
  r.exec_type = x;
  r.status = v.status;
  r.cum_qty = v.executed_qty;
  r.cum_quote = v.cum_quote;
  r.working = o.resting;
  r.transaction_time = now;
  r.event_time = now;
  r.order_time = v.time;
  r.reduce_only = v.reduce_only;
  r.position_side = v.position_side;
  if (!v.executed_qty.is_zero()) r.avg_price = v.cum_quote.div(v.executed_qty, Rounding::kHalfEven).value();
  return r;
}

void Venue::Impl::set_status(SimOrder& o, SimStatus s) {
  const bool was_open = o.open();
  o.v.status = s;
  if (was_open && !o.open() && !is_stop(o.v.type)) --accounts[o.v.account].open_orders[o.v.symbol];
}

void Venue::Impl::close(SimOrder& o, SimStatus status, ExecType x, TimeNs now, Outbox& out,
                        const char* reason) {
  if (o.resting) unrest(static_cast<OrderSlot>(&o - orders.data()));
  if (o.stop_waiting) {
    auto& stops = symbols[o.v.symbol].stops;
    stops.erase(std::find(stops.begin(), stops.end(), static_cast<OrderSlot>(&o - orders.data())));
    o.stop_waiting = false;
  }
  set_status(o, status);
  o.v.update_time = now;
  release_all(o);
  ExecutionReport r = report(o, x, now);
  r.expiry_reason = reason;
  out.reports.push_back(std::move(r));
}

void Venue::Impl::rest(OrderSlot slot) {
  SimOrder& o = orders[slot];
  SymbolBook& b = symbols[o.v.symbol];
  o.queue_ahead = b.background.available(o.v.side, o.v.price);
  o.resting = true;
  b.resting->add(slot, o.v.side, o.v.price);
}

void Venue::Impl::unrest(OrderSlot slot) {
  SimOrder& o = orders[slot];
  symbols[o.v.symbol].resting->remove(slot, o.v.side, o.v.price);
  o.resting = false;
}

Decimal Venue::Impl::reduce_cap(const SimOrder& o) const {
  if (!futures()) return Decimal::from_raw(kNoCap);
  const auto& acct = accounts[o.v.account];
  const bool closing_hedge = acct.hedge && ((o.v.position_side == PositionSide::kLong && o.v.side == Side::kSell) ||
                                            (o.v.position_side == PositionSide::kShort && o.v.side == Side::kBuy));
  if (!o.v.reduce_only && !closing_hedge) return Decimal::from_raw(kNoCap);
  auto it = acct.positions.find({o.v.symbol, o.v.position_side});
  const Decimal amount = it == acct.positions.end() ? Decimal() : it->second.amount;
  const bool reduces = (o.v.side == Side::kSell && amount.is_positive()) ||
                       (o.v.side == Side::kBuy && amount.is_negative());
  return reduces ? amount.abs().value() : Decimal();
}

bool Venue::Impl::crosses(const SimOrder& o) const {
  const SymbolBook& b = symbols[o.v.symbol];
  const Side opp = opposite(o.v.side);
  if (const auto best = b.background.best(opp); best && within(o.v.side, o.v.price, *best)) return true;
  return b.resting->level_count(opp) > 0 && within(o.v.side, o.v.price, b.resting->level(opp, 0).price);
}

void Venue::Impl::plan(const SimOrder& taker, Decimal max_qty, Decimal max_quote, std::vector<MatchStep>& steps,
                       Decimal& filled_qty, Decimal& filled_quote) const {
  steps.clear();
  const SymbolBook& b = symbols[taker.v.symbol];
  const Side opp = opposite(taker.v.side);
  const bool limited = has_limit(taker.v.type);
  const bool by_quote = max_quote.raw() != kNoCap;
  const Decimal step = b.ins.rules.market_step_size.is_zero() ? b.ins.rules.step_size : b.ins.rules.market_step_size;
  auto bg = b.background.walk(opp);
  std::size_t rank = 0;
  const std::size_t nlev = b.resting->level_count(opp);
  Int128 left = max_qty.raw();
  Decimal quote_left = max_quote;
  filled_qty = Decimal();
  filled_quote = Decimal();
  bool stop = false;
  // Takes up to avail at price; false when the taker is done.
  const auto take = [&](Decimal price, Decimal avail, OrderSlot maker) {
    Decimal q = Decimal::from_raw(std::min(left, avail.raw()));
    if (by_quote) {
      Decimal affordable = quote_left.div(price, Rounding::kDown).value();
      if (!step.is_zero()) affordable = affordable.round_to(step, Rounding::kDown).value();
      q = min(q, affordable);
    }
    if (!q.is_positive()) return false;
    steps.push_back(MatchStep{maker, price, q, false, false});
    left -= q.raw();
    const Decimal quote = mul(price, q);
    filled_qty = add(filled_qty, q);
    filled_quote = add(filled_quote, quote);
    if (by_quote) quote_left = sub(quote_left, quote);
    return left > 0;
  };
  while (left > 0 && !stop) {
    bg.skip_empty();
    const bool has_bg = !bg.done();
    const bool has_rest = rank < nlev;
    if (!has_bg && !has_rest) break;
    const Decimal bgp = has_bg ? bg.price() : Decimal();
    const LevelView lv = has_rest ? b.resting->level(opp, rank) : LevelView{};
    Decimal price;
    if (has_bg && has_rest) price = better(opp, lv.price, bgp) ? lv.price : bgp;
    else price = has_bg ? bgp : lv.price;
    if (limited && !within(taker.v.side, taker.v.price, price)) break;
    if (has_bg && bgp == price) {  // the background is ahead of clients at one price
      if (!take(price, bg.available(), kNoSlot)) stop = true;
      bg.next();
    }
    if (!stop && has_rest && lv.price == price) {
      for (const OrderSlot slot : lv.orders) {
        const SimOrder& maker = orders[slot];
        if (maker.v.account == taker.v.account && taker.v.stp != SimStp::kNone) {
          // Self-trade prevention, by the taker's mode.
          if (taker.v.stp == SimStp::kExpireMaker) {
            steps.push_back(MatchStep{slot, price, Decimal(), true, false});
            continue;
          }
          if (taker.v.stp == SimStp::kExpireBoth) steps.push_back(MatchStep{slot, price, Decimal(), true, false});
          steps.push_back(MatchStep{slot, price, Decimal(), false, true});
          stop = true;
          break;
        }
        Decimal avail = maker.remaining();
        if (const Decimal cap = reduce_cap(maker); cap.raw() != kNoCap) avail = min(avail, cap);
        if (!avail.is_positive()) continue;  // a reduce-only maker with nothing left to reduce
        if (!take(price, avail, slot)) {
          stop = true;
          break;
        }
      }
      ++rank;
    }
  }
}

void Venue::Impl::cross_resting(SymbolIndex symbol, TimeNs now, Outbox& out) {
  // The background moved through a client's resting order (a recorded ask fell to or below
  // our bid): on the venue that incoming liquidity would have traded with our order, so it
  // does here -- our order fills as the maker at its own price, in time priority, and the
  // background liquidity it took is consumed. The book served is then never crossed.
  SymbolBook& b = symbols[symbol];
  struct Fill {
    OrderSlot slot;
    Decimal price, qty;
    Side bg_side;
    Decimal bg_price;
  };
  std::vector<Fill> fills;
  for (const Side side : {Side::kBuy, Side::kSell}) {
    const Side opp = opposite(side);
    auto bg = b.background.walk(opp);
    Decimal bg_left;  // what is left at bg's level after the fills so far
    const auto next_bg = [&] {
      bg.skip_empty();
      if (!bg.done()) bg_left = bg.available();
    };
    next_bg();
    for (std::size_t r = 0; r < b.resting->level_count(side) && !bg.done(); ++r) {
      const LevelView lv = b.resting->level(side, r);
      if (!within(side, lv.price, bg.price())) break;
      for (const OrderSlot slot : lv.orders) {
        const SimOrder& o = orders[slot];
        Decimal want = o.remaining();
        if (const Decimal cap = reduce_cap(o); cap.raw() != kNoCap) want = min(want, cap);
        while (want.is_positive() && !bg.done() && within(side, lv.price, bg.price())) {
          const Decimal q = min(want, bg_left);
          fills.push_back({slot, lv.price, q, opp, bg.price()});
          want = sub(want, q);
          bg_left = sub(bg_left, q);
          if (!bg_left.is_positive()) {
            bg.next();
            next_bg();
          }
        }
      }
    }
  }
  if (fills.empty()) return;
  for (const Fill& f : fills) {
    b.background.consume(f.bg_side, f.bg_price, f.qty);
    if (orders[f.slot].open()) fill_maker(f.slot, f.price, f.qty, now, out);
  }
  trigger_stops(symbol, now, out);
  flush_account_updates(now, out);
}

void Venue::Impl::fill_maker(OrderSlot slot, Decimal price, Decimal qty, TimeNs now, Outbox& out) {
  SimOrder& m = orders[slot];
  SymbolBook& b = symbols[m.v.symbol];
  Decimal fee;
  std::string fee_asset;
  const std::int64_t trade_id = b.next_trade_id++;
  const Decimal rp = settle_fill(m, price, qty, true, fee, fee_asset);
  m.v.executed_qty = add(m.v.executed_qty, qty);
  m.v.cum_quote = add(m.v.cum_quote, mul(price, qty));
  m.v.update_time = now;
  const bool done = m.remaining().is_zero();
  set_status(m, done ? SimStatus::kFilled : SimStatus::kPartiallyFilled);
  if (done && m.resting) unrest(slot);
  relock(m);
  ExecutionReport r = report(m, ExecType::kTrade, now);
  r.last_qty = qty;
  r.last_price = price;
  r.commission = fee;
  r.commission_asset = fee_asset;
  r.trade_id = trade_id;
  r.maker = true;
  r.realized_profit = rp;
  out.reports.push_back(std::move(r));
  accounts[m.v.account].trades.push_back(TradeView{m.v.symbol, trade_id, m.v.order_id, m.v.side, price, qty,
                                                   mul(price, qty), fee, rp, fee_asset, true, now,
                                                   m.v.position_side});
  b.last = price;
  // A reduce-only order whose position is gone has nothing left to do.
  if (m.open() && reduce_cap(m).is_zero()) close(m, SimStatus::kExpired, ExecType::kExpired, now, out, "REDUCE_ONLY");
}

bool Venue::Impl::execute(OrderSlot taker, const std::vector<MatchStep>& steps, TimeNs now, Outbox& out) {
  for (const MatchStep& s : steps) {
    if (s.expire_taker) return true;
    if (s.expire_maker) {
      SimOrder& m = orders[s.maker];
      if (!m.open()) continue;
      close(m, futures() ? SimStatus::kExpired : SimStatus::kExpiredInMatch, ExecType::kExpired, now, out,
            "STP_EXPIRE_MAKER");
      continue;
    }
    SymbolBook& b = symbols[orders[taker].v.symbol];
    std::int64_t trade_id = 0;
    if (s.maker == kNoSlot) {
      b.background.consume(opposite(orders[taker].v.side), s.price, s.qty);
      trade_id = b.next_trade_id++;
    } else {
      fill_maker(s.maker, s.price, s.qty, now, out);
      trade_id = b.next_trade_id - 1;  // one trade: maker and taker share its id
    }
    SimOrder& t = orders[taker];
    Decimal fee;
    std::string fee_asset;
    const Decimal rp = settle_fill(t, s.price, s.qty, false, fee, fee_asset);
    t.v.executed_qty = add(t.v.executed_qty, s.qty);
    t.v.cum_quote = add(t.v.cum_quote, mul(s.price, s.qty));
    t.v.update_time = now;
    set_status(t, t.remaining().is_zero() ? SimStatus::kFilled : SimStatus::kPartiallyFilled);
    relock(t);
    ExecutionReport r = report(t, ExecType::kTrade, now);
    r.last_qty = s.qty;
    r.last_price = s.price;
    r.commission = fee;
    r.commission_asset = fee_asset;
    r.trade_id = trade_id;
    r.realized_profit = rp;
    out.reports.push_back(std::move(r));
    accounts[t.v.account].trades.push_back(TradeView{t.v.symbol, trade_id, t.v.order_id, t.v.side, s.price,
                                                     s.qty, mul(s.price, s.qty), fee, rp, fee_asset, false, now,
                                                     t.v.position_side});
    b.last = s.price;
  }
  return false;
}

void Venue::Impl::run_taker(OrderSlot slot, TimeNs now, Outbox& out) {
  SimOrder& o = orders[slot];
  const bool post_only = o.v.type == SimOrderType::kLimitMaker || o.v.tif == SimTif::kGtx;
  if (post_only && crosses(o)) {  // spot LIMIT_MAKER is refused before this (place)
    close(o, SimStatus::kExpired, ExecType::kExpired, now, out, "GTX_WOULD_CROSS");
    return;
  }
  const Decimal cap = reduce_cap(o);
  Decimal max_qty = o.remaining();
  const bool by_quote = !o.v.quote_order_qty.is_zero() && o.v.executed_qty.is_zero() && o.v.quantity.is_zero();
  if (by_quote) max_qty = Decimal::from_raw(INT64_MAX);
  if (cap.raw() != kNoCap) max_qty = min(max_qty, cap);
  Decimal fq, fquote;
  std::vector<MatchStep> steps = std::move(steps_scratch);  // run_taker may recurse (stops)
  plan(o, max_qty, by_quote ? o.v.quote_order_qty : Decimal::from_raw(kNoCap), steps, fq, fquote);
  if (o.v.tif == SimTif::kFok && fq < o.remaining()) {
    close(o, SimStatus::kExpired, ExecType::kExpired, now, out, "FOK");
    steps_scratch = std::move(steps);
    return;
  }
  if (!has_limit(o.v.type) && !o.v.reduce_only) {
    // A market order pays from what is free now (a triggered stop was not locked at entry).
    bool enough = true;
    if (!futures()) {
      const SymbolBook& b = symbols[o.v.symbol];
      const auto& bal = accounts[o.v.account].balances;
      const AssetId pay = o.v.side == Side::kBuy ? b.quote : b.base;
      const Decimal need = o.v.side == Side::kBuy ? fquote : fq;
      enough = pay < bal.size() && need <= bal[pay].free;
    } else if (fq.is_positive()) {
      const Decimal avg = fquote.div(fq, Rounding::kUp).value();
      enough = order_margin(o.v.account, o.v.symbol, o.v.side, o.v.position_side, avg, fq) <= available(o.v.account);
    }
    if (!enough) {
      close(o, SimStatus::kExpired, ExecType::kExpired, now, out, "INSUFFICIENT_BALANCE");
      steps_scratch = std::move(steps);
      return;
    }
  }
  if (by_quote) o.v.quantity = fq;  // Binance reports origQty = what the quote bought
  const bool stp_expired = execute(slot, steps, now, out);
  steps_scratch = std::move(steps);
  SimOrder& t = orders[slot];  // execute may not reallocate, but stay safe
  if (stp_expired) {
    close(t, futures() ? SimStatus::kExpired : SimStatus::kExpiredInMatch, ExecType::kExpired, now, out,
          "STP_EXPIRE_TAKER");
  } else if (t.remaining().is_zero() && !t.v.quantity.is_zero()) {
    set_status(t, SimStatus::kFilled);
  } else if (t.v.type == SimOrderType::kMarket || t.v.type == SimOrderType::kStopLoss ||
             t.v.type == SimOrderType::kTakeProfit || t.v.tif == SimTif::kIoc || t.v.tif == SimTif::kFok ||
             by_quote) {
    close(t, SimStatus::kExpired, ExecType::kExpired, now, out, "IOC");
  } else if (cap.raw() != kNoCap && reduce_cap(t).is_zero()) {
    close(t, SimStatus::kExpired, ExecType::kExpired, now, out, "REDUCE_ONLY");
  } else if (!t.resting) {
    rest(slot);
  }
  trigger_stops(t.v.symbol, now, out);
}

void Venue::Impl::trigger_stops(SymbolIndex s, TimeNs now, Outbox& out) {
  for (bool again = true; again;) {
    again = false;
    SymbolBook& b = symbols[s];
    if (!b.last) return;
    const Decimal last = *b.last;
    for (std::size_t k = 0; k < b.stops.size(); ++k) {
      const OrderSlot slot = b.stops[k];
      const SimOrder& o = orders[slot];
      const bool stop_loss = o.v.type == SimOrderType::kStopLoss || o.v.type == SimOrderType::kStopLossLimit;
      // Stop-loss buys above, sells below; take-profit the other way (Binance spot and USD-M).
      const bool up = (o.v.side == Side::kBuy) == stop_loss;
      if (up ? last >= o.v.stop_price : last <= o.v.stop_price) {
        b.stops.erase(b.stops.begin() + static_cast<std::ptrdiff_t>(k));
        orders[slot].stop_waiting = false;
        run_taker(slot, now, out);
        again = true;
        break;
      }
    }
  }
}

}  // namespace oms::sim
