#include "oms/cores/arb_saga.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

namespace {

constexpr Int128 kOne = Decimal::kOne;  // ExactAmount's units -> 1e-18

Int128 abs128(Int128 v) noexcept { return v < 0 ? -v : v; }

// A Decimal from a raw 1e-9 integer (every Int128 is one).
bool to_decimal(Int128 raw, Decimal& out) noexcept {
  out = Decimal::from_raw(raw);
  return true;
}

std::string text(Int128 raw) {
  Decimal d;
  return to_decimal(raw, d) ? d.to_string() : std::string("(beyond range)");
}

// A price `rate` through the touch, on the tick: a sell below the bid (rounded down), a buy
// above the ask (rounded up). Zero when it cannot be formed.
Decimal through(Decimal touch, Decimal rate, Side side, Decimal tick) {
  const Decimal one = Decimal::from_raw(Decimal::kOne);
  const auto factor = side == Side::kSell ? one.sub(rate) : one.add(rate);
  if (!factor || !factor->is_positive()) return {};
  auto p = touch.mul(*factor, side == Side::kSell ? Rounding::kDown : Rounding::kUp);
  if (!p) return {};
  if (tick.is_positive()) {
    p = p->round_to(tick, side == Side::kSell ? Rounding::kDown : Rounding::kUp);
    if (!p) return {};
  }
  return p->is_positive() ? *p : Decimal{};
}

// The step's reason: cut to the field's capacity (a long figure never loses the step).
void say(ReasonText& r, std::string_view why) noexcept {
  (void)r.assign(why.substr(0, std::min(why.size(), ReasonText::kCapacity)));
}

}  // namespace

std::optional<Int128> exact_e18(const ExactAmount& a) noexcept {
  Int128 units = 0, out = 0;
  if (__builtin_mul_overflow(a.units.raw(), kOne, &units) || __builtin_add_overflow(units, Int128{a.rest}, &out)) {
    return std::nullopt;
  }
  return out;
}

bool to_exact(Int128 e18, ExactAmount& out) noexcept {
  out.units = Decimal::from_raw(e18 / kOne);
  out.rest = static_cast<std::int64_t>(e18 % kOne);
  return true;
}

ArbSaga::ArbSaga(std::uint64_t saga, const SubmitOrder& buy, const SubmitOrder& sell, SagaLeg buy_leg,
                 SagaLeg sell_leg, SagaPolicy policy, TimeNs now)
    : buy_(buy_leg), sell_(sell_leg), policy_(policy) {
  s_.strategy = buy.strategy;
  s_.saga = saga;
  s_.state = SagaState::kLegsOut;
  s_.started = now;
  s_.phase_started = now;
  s_.buy_account = buy.account;
  s_.buy_instrument = buy.instrument;
  s_.buy_order = buy.client_order_id;
  s_.sell_account = sell.account;
  s_.sell_instrument = sell.instrument;
  s_.sell_order = sell.client_order_id;
  s_.quantity = buy.quantity;
  s_.buy_price = buy.price;
  s_.sell_price = sell.price;
  say(s_.reason, "legs out");
}

ArbSaga::ArbSaga(const ArbSagaStep& last, SagaLeg buy_leg, SagaLeg sell_leg, SagaPolicy policy)
    : s_(last), buy_(buy_leg), sell_(sell_leg), policy_(policy) {
  buy_answered_ = sell_answered_ = last.legs_acked != 0;
  repair_sent_ = last.phase_started;
}

Int128 ArbSaga::imbalance() const noexcept {
  return static_cast<Int128>(s_.bought.raw()) - s_.sold.raw();
}

bool ArbSaga::owns(std::string_view id) const noexcept {
  if (id.empty()) return false;
  return ((s_.legs_ended & kBuyEnded) == 0 && s_.buy_order.view() == id) ||
         ((s_.legs_ended & kSellEnded) == 0 && s_.sell_order.view() == id) ||
         (!s_.repair_order.empty() && s_.repair_order.view() == id);
}

void ArbSaga::on_answer(std::string_view id, TimeNs now) noexcept {
  if (s_.legs_acked != 0) return;
  if (s_.buy_order.view() == id) buy_answered_ = true;
  if (s_.sell_order.view() == id) sell_answered_ = true;
  if (buy_answered_ && sell_answered_) s_.legs_acked = now;
}

bool ArbSaga::on_end(std::string_view id, const SagaFill& fill, TimeNs now, const SagaContext& c,
                     std::vector<QuoteAction>& out) {
  if (terminal() || !owns(id)) return false;
  ++s_.number;
  on_answer(id, now);  // an end is an answer too
  // Which order: a leg, or the repair (a repair on a leg's own instrument has its own id).
  Side side = Side::kBuy;
  std::uint8_t leg = 0;
  if ((s_.legs_ended & kBuyEnded) == 0 && s_.buy_order.view() == id) {
    leg = kBuyEnded;
  } else if ((s_.legs_ended & kSellEnded) == 0 && s_.sell_order.view() == id) {
    leg = kSellEnded;
    side = Side::kSell;
  } else {
    // The repair: it sells when the saga is long, buys when short.
    side = imbalance() > 0 ? Side::kSell : Side::kBuy;
  }
  // Fold its figures.
  const auto add = [&](Decimal& qty, ExactAmount& value) {
    const auto q = qty.add(fill.cum_qty);
    const auto before = exact_e18(value);
    ExactAmount v;
    Int128 sum = 0;
    if (q && before && !__builtin_add_overflow(*before, fill.notional_e18, &sum) && to_exact(sum, v)) {
      qty = *q;
      value = v;
      return true;
    }
    return false;
  };
  ExactAmount fees;
  const auto fees_before = exact_e18(s_.fees);
  Int128 fee = 0, fees_after = 0;
  const bool folded = (side == Side::kBuy ? add(s_.bought, s_.paid) : add(s_.sold, s_.received)) &&
                      fees_before && !__builtin_mul_overflow(fill.fee_quote.raw(), kOne, &fee) &&
                      !__builtin_add_overflow(*fees_before, fee, &fees_after) && to_exact(fees_after, fees);
  if (folded) s_.fees = fees;
  s_.fees_other = s_.fees_other || fill.fee_other;
  if (!folded) {
    finish(SagaState::kFailed, c, "its figures went beyond Decimal's range");
    return true;
  }
  if (leg != 0) {
    s_.legs_ended = static_cast<std::uint8_t>(s_.legs_ended | leg);
    const std::string which = leg == kBuyEnded ? "buy" : "sell";
    say(s_.reason, which + " leg ended: " + fill.cum_qty.to_string() + " of " +
                           s_.quantity.to_string() + " filled");
    if ((s_.legs_ended & (kBuyEnded | kSellEnded)) == (kBuyEnded | kSellEnded)) after_legs(now, c, out);
  } else {
    say(s_.reason, "repair " + std::string(id) + " ended: " + fill.cum_qty.to_string() +
                           " filled");
    s_.repair_order = ClientOrderIdText{};
    repair_cancelled_ = false;
    after_repair(now, c, out);
  }
  return true;
}

void ArbSaga::after_legs(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out) {
  // Slippage: the detected spread minus the filled one, per base unit (both legs filled some).
  if (s_.bought.is_positive() && s_.sold.is_positive()) {
    Int128 buy_avg = 0, sell_avg = 0;
    const auto paid = exact_e18(s_.paid), received = exact_e18(s_.received);
    if (paid && received && round_quotient(*paid, s_.bought.raw(), Rounding::kHalfEven, buy_avg) &&
        round_quotient(*received, s_.sold.raw(), Rounding::kHalfEven, sell_avg)) {
      const Int128 detected = s_.sell_price.raw() - s_.buy_price.raw();
      Decimal slip;
      if (to_decimal(detected - (sell_avg - buy_avg), slip)) s_.slippage = slip;
    }
  }
  const Int128 d = imbalance();
  if (d == 0) {
    if (s_.bought.is_positive()) finish(SagaState::kClosed, c, "both legs filled equally");
    else finish(SagaState::kMissed, c, "neither leg filled");
    return;
  }
  const std::string why = "legs filled unequally: bought " + s_.bought.to_string() + ", sold " +
                          s_.sold.to_string();
  say(s_.reason, why);
  const bool hedge = policy_.leg_risk == LegRisk::kHedge && !c.unwind_only;
  enter(hedge ? SagaState::kHedging : SagaState::kUnwinding, now, c, out);
}

void ArbSaga::after_repair(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out) {
  if (imbalance() == 0) {
    finish(s_.state == SagaState::kHedging ? SagaState::kClosed : SagaState::kUnwound, c,
           s_.state == SagaState::kHedging ? "hedged" : "unwound");
    return;
  }
  if (s_.state == SagaState::kHedging && c.unwind_only) {
    return next_phase(now, c, out, "the strategy is halted");
  }
  if (s_.attempts > policy_.retries) {
    return next_phase(now, c, out, std::to_string(s_.attempts) + " repair orders sent");
  }
  if (phase_over(now)) return next_phase(now, c, out, "time limit");
  (void)repair(now, c, out);
}

bool ArbSaga::phase_over(TimeNs now) const noexcept {
  return policy_.time_limit > 0 && now - s_.phase_started >= policy_.time_limit;
}

void ArbSaga::enter(SagaState phase, TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out) {
  s_.state = phase;
  s_.attempts = 0;
  s_.phase_started = now;
  (void)repair(now, c, out);
}

void ArbSaga::next_phase(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out,
                         std::string_view why) {
  const std::string left = text(imbalance());
  if (s_.state == SagaState::kHedging) {
    say(s_.reason, "hedging gave up (" + std::string(why) + "): " + left + " left; unwinding");
    enter(SagaState::kUnwinding, now, c, out);
    return;
  }
  finish(SagaState::kFailed, c, "unwinding gave up (" + std::string(why) + "): " + left +
                                    " left for an operator");
}

bool ArbSaga::repair(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out) {
  const Int128 d = imbalance();
  const Side side = d > 0 ? Side::kSell : Side::kBuy;
  // Hedging trades on the venue the short leg was meant for; unwinding on the long leg's own.
  const bool hedging = s_.state == SagaState::kHedging;
  const SagaLeg& leg = hedging ? (d > 0 ? sell_ : buy_) : (d > 0 ? buy_ : sell_);
  Decimal qty;
  if (!to_decimal(abs128(d), qty)) {
    finish(SagaState::kFailed, c, "the difference is beyond Decimal's range");
    return false;
  }
  if (leg.lot.is_positive()) {
    const auto lots = qty.round_to(leg.lot, Rounding::kDown);
    qty = lots ? *lots : Decimal{};
  }
  if (!qty.is_positive() || (leg.min_qty.is_positive() && qty < leg.min_qty)) {
    finish(hedging ? SagaState::kClosed : SagaState::kUnwound, c,
           "dust of " + text(d) + " below the lot or minimum left");
    return false;
  }
  SubmitOrder o;
  o.account = leg.account;
  o.strategy = s_.strategy;
  o.instrument = leg.instrument;
  o.side = side;
  o.quantity = qty;
  const bool on_buy_leg = leg.instrument == buy_.instrument && leg.account == buy_.account;
  const Decimal touch = side == Side::kSell ? (on_buy_leg ? c.buy_bid : c.sell_bid)
                                            : (on_buy_leg ? c.buy_ask : c.sell_ask);
  if (policy_.market) {
    o.order_type = OrderType::kMarket;
  } else {
    o.price = touch.is_positive() ? through(touch, policy_.band_rate, side, leg.tick) : Decimal{};
    if (!o.price.is_positive()) {
      say(s_.reason, "repair waits for a price on its instrument");
      return false;
    }
    o.order_type = OrderType::kLimit;
    o.tif = TimeInForce::kIoc;
  }
  // Under the venue's minimum notional (at the touch) the venue would refuse it: not there.
  if (leg.min_notional.is_positive() && touch.is_positive()) {
    const auto notional = qty.mul(touch, Rounding::kDown);
    if (!notional || *notional < leg.min_notional) {
      next_phase(now, c, out, text(abs128(d)) + " is under the instrument's minimum notional " +
                                  leg.min_notional.to_string());
      return false;
    }
  }
  if (c.sequence == nullptr) return false;
  const auto id = format_client_order_id(ClientOrderId{c.desk, leg.account, s_.strategy, ++*c.sequence});
  if (!id) return false;
  o.client_order_id = *id;
  s_.repair_order = *id;
  ++s_.attempts;
  repair_sent_ = now;
  repair_cancelled_ = false;
  QuoteAction a;
  a.kind = QuoteAction::Kind::kPlace;
  a.order = o;
  out.push_back(a);
  return true;
}

void ArbSaga::finish(SagaState end, const SagaContext& c, std::string_view why) {
  s_.state = end;
  s_.repair_order = ClientOrderIdText{};
  const auto received = exact_e18(s_.received), paid = exact_e18(s_.paid), fees = exact_e18(s_.fees);
  Int128 pnl = 0;
  bool pnl_fits = received && paid && fees && !__builtin_sub_overflow(*received, *paid, &pnl) &&
                  !__builtin_sub_overflow(pnl, *fees, &pnl);
  std::string reason(why);
  const Int128 d = imbalance();
  if (d != 0) {
    // A position left: valued at the mid of the instrument it was bought (sold) on.
    const bool long_buy = d > 0;
    const Decimal bid = long_buy ? c.buy_bid : c.sell_bid;
    const Decimal ask = long_buy ? c.buy_ask : c.sell_ask;
    if (bid.is_positive() && ask.is_positive()) {
      const Int128 mid = bid.raw() / 2 + ask.raw() / 2 + (bid.raw() % 2 + ask.raw() % 2) / 2;
      Int128 value = 0;
      pnl_fits = pnl_fits && !__builtin_mul_overflow(d, mid, &value) && !__builtin_add_overflow(pnl, value, &pnl);
      reason += "; " + text(d) + " left, valued at the mid " + text(mid);
    } else {
      reason += "; " + text(d) + " left, not valued (no price)";
    }
  }
  ExactAmount p;
  if (pnl_fits && to_exact(pnl, p)) s_.pnl = p;
  if (!pnl_fits) reason += "; its PnL went beyond 128 bits (not counted)";
  say(s_.reason, reason);
}

void ArbSaga::cancel(const SagaLeg& leg, const ClientOrderIdText& id, std::vector<QuoteAction>& out) {
  QuoteAction a;
  a.kind = QuoteAction::Kind::kCancel;
  a.cancel = CancelOrder{leg.account, leg.instrument, id};
  out.push_back(a);
}

bool ArbSaga::on_tick(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out) {
  const std::uint32_t number = s_.number;
  if (!tick(now, c, out)) return false;
  s_.number = number + 1;
  return true;
}

void ArbSaga::save(StateWriter& w) const {
  w(s_, buy_, sell_, policy_, buy_cancelled_, sell_cancelled_, repair_cancelled_, buy_answered_,
    sell_answered_, repair_sent_);
}

void ArbSaga::load(StateReader& r) {
  ArbSaga l = *this;
  r(l.s_, l.buy_, l.sell_, l.policy_, l.buy_cancelled_, l.sell_cancelled_, l.repair_cancelled_,
    l.buy_answered_, l.sell_answered_, l.repair_sent_);
  if (r.ok()) *this = l;
}

bool ArbSaga::tick(TimeNs now, const SagaContext& c, std::vector<QuoteAction>& out) {
  if (terminal()) return false;
  if (policy_.order_timeout > 0) {
    if (s_.state == SagaState::kLegsOut && now - s_.started >= policy_.order_timeout) {
      if ((s_.legs_ended & kBuyEnded) == 0 && !buy_cancelled_) {
        buy_cancelled_ = true;
        cancel(buy_, s_.buy_order, out);
      }
      if ((s_.legs_ended & kSellEnded) == 0 && !sell_cancelled_) {
        sell_cancelled_ = true;
        cancel(sell_, s_.sell_order, out);
      }
    }
    if (!s_.repair_order.empty() && !repair_cancelled_ && now - repair_sent_ >= policy_.order_timeout) {
      repair_cancelled_ = true;
      const Int128 d = imbalance();
      const bool hedging = s_.state == SagaState::kHedging;
      cancel(hedging ? (d > 0 ? sell_ : buy_) : (d > 0 ? buy_ : sell_), s_.repair_order, out);
    }
  }
  // A repair phase with no order out: it waited for a price, or its limit passed.
  if ((s_.state == SagaState::kHedging || s_.state == SagaState::kUnwinding) && s_.repair_order.empty()) {
    if (phase_over(now)) {
      next_phase(now, c, out, "time limit");
      return true;
    }
    return repair(now, c, out) || terminal();
  }
  return false;
}

}  // namespace oms::actors
