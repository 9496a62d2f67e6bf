#include "oms/cores/market_maker.hpp"

#include <algorithm>
#include <utility>

#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

std::string_view to_string(QuoterState s) noexcept {
  switch (s) {
    case QuoterState::kQuoting: return "quoting";
    case QuoterState::kInactive: return "inactive";
    case QuoterState::kShock: return "shock";
    case QuoterState::kStale: return "stale";
    case QuoterState::kLossStop: return "loss_stop";
    case QuoterState::kStopLoss: return "stop_loss";
  }
  return "?";
}

namespace {

constexpr std::int64_t kOne = Decimal::kOne;  // a fraction's 1 (a Decimal's mantissa, 1e9)
// Prices and quantities the quoter works with: at most 2^96 raw (7.9e19 units), so that one of
// them times a fraction (below 2^31 x kOne) stays in an Int128. A book beyond it is not quoted.
constexpr Int128 kMaxAmount = Int128{1} << 96;
constexpr bool in_range(Decimal d) noexcept { return d.raw() > -kMaxAmount && d.raw() < kMaxAmount; }
constexpr TimeNs kSecond = 1'000'000'000;

// bps (a Decimal: 10 = 10 bp) as a fraction's mantissa (1 bp = 100,000).
constexpr Int128 bps_fraction(Decimal bps) noexcept { return bps.raw() / 10'000; }

// Integer division rounding toward -infinity or +infinity.
constexpr Int128 div_floor(Int128 n, Int128 d) noexcept {
  const Int128 q = n / d;
  return (n % d != 0 && ((n < 0) != (d < 0))) ? q - 1 : q;
}
constexpr Int128 div_ceil(Int128 n, Int128 d) noexcept {
  const Int128 q = n / d;
  return (n % d != 0 && ((n < 0) == (d < 0))) ? q + 1 : q;
}

// price x (1 + fraction), rounded down or up to the price's mantissa.
Int128 scaled(Int128 price, Int128 fraction, bool up) noexcept {
  const Int128 n = price * (kOne + fraction);  // price < 2^96, |fraction| < kOne
  return up ? div_ceil(n, kOne) : div_floor(n, kOne);
}

std::int64_t isqrt(std::int64_t v) noexcept {
  if (v <= 0) return 0;
  std::int64_t lo = 0, hi = 3'037'000'499;  // sqrt(2^63)
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (mid <= v / mid) lo = mid; else hi = mid - 1;
  }
  return lo;
}

Decimal fair_of(const TopOfBook& t, FairPrice how) noexcept {
  if (!t.bid.is_positive() || !t.ask.is_positive() || !(t.bid < t.ask)) return {};
  if (!in_range(t.ask) || !in_range(t.bid_qty) || !in_range(t.ask_qty)) return {};  // not quoted
  if (how == FairPrice::kMicro && t.bid_qty.is_positive() && t.ask_qty.is_positive()) {
    Int128 a = 0, b = 0, num = 0;
    if (!__builtin_mul_overflow(t.bid.raw(), t.ask_qty.raw(), &a) &&
        !__builtin_mul_overflow(t.ask.raw(), t.bid_qty.raw(), &b) && !__builtin_add_overflow(a, b, &num)) {
      return Decimal::from_raw(num / (t.bid_qty.raw() + t.ask_qty.raw()));
    }
    // Sizes too large for the weighted form: the mid below.
  }
  return Decimal::from_raw((t.bid.raw() + t.ask.raw()) / 2);
}

bool terminal(OrderStatus s) noexcept {
  return s == OrderStatus::kFilled || s == OrderStatus::kCanceled ||
         s == OrderStatus::kRejected || s == OrderStatus::kExpired;
}

bool resting(OrderStatus s) noexcept {
  return s == OrderStatus::kAccepted || s == OrderStatus::kPartiallyFilled ||
         s == OrderStatus::kAmended || s == OrderStatus::kPendingCancel ||
         s == OrderStatus::kPendingAmend;
}

}  // namespace

MarketMaker::MarketMaker(QuoterConfig config) { set_config(std::move(config)); }

void MarketMaker::set_config(QuoterConfig config, bool requote) {
  config_ = std::move(config);
  config_.levels = std::clamp<std::uint32_t>(config_.levels, 1, 32);
  if (config_.vol_samples == 0) config_.vol_samples = 1;
  if (config_.vol_interval <= 0) config_.vol_interval = kSecond;
  if (config_.shock_window < static_cast<TimeNs>(kBuckets)) config_.shock_window = kBuckets;
  if (requote) dirty_ = true;
}

std::int64_t MarketMaker::sigma() const noexcept { return isqrt(variance_); }

Decimal MarketMaker::effective_max_inventory() const {
  Decimal cap = config_.max_inventory;
  if (config_.max_position_value.is_positive() && fair_.is_positive()) {
    const auto by_value = config_.max_position_value.div(fair_, Rounding::kDown);
    if (by_value && *by_value < cap) cap = *by_value;
  }
  return cap;
}

std::vector<MarketMaker::Level> MarketMaker::desired(const QuoterContext& ctx) const {
  std::vector<Level> out;
  if (!fair_.is_positive()) return out;
  const Decimal cap = effective_max_inventory();
  if (!cap.is_positive()) return out;
  if (!in_range(cap) || !in_range(ctx.inventory) || !in_range(config_.quote_size) ||
      !in_range(config_.skew_bps) || !in_range(config_.vol_multiplier) || !in_range(config_.tick)) {
    return out;  // beyond the quoter's range (kMaxAmount): no quotes rather than wrong ones
  }
  // The inventory as a fraction of the cap, within [-1, 1]; the center leans against it.
  const Int128 q = std::clamp<Int128>(ctx.inventory.raw() * kOne / cap.raw(), -kOne, kOne);
  const Int128 shift = std::clamp<Int128>(bps_fraction(config_.skew_bps) * q / kOne, -kOne + 1, kOne - 1);
  const Int128 center = scaled(fair_.raw(), -shift, false);
  const Int128 by_vol = std::min<Int128>(config_.vol_multiplier.raw() * sigma() / kOne, kOne);
  const Int128 half = std::max(bps_fraction(config_.spread_bps) / 2, by_vol);
  const Int128 step = std::min<Int128>(bps_fraction(config_.level_step_bps), kOne);
  const Int128 tick = config_.tick.raw();
  for (const Side side : {Side::kBuy, Side::kSell}) {
    const bool buy = side == Side::kBuy;
    // What this side may still add to the position: up to +cap for bids, -cap for asks.
    Int128 room = buy ? static_cast<Int128>(cap.raw()) - ctx.inventory.raw()
                      : static_cast<Int128>(cap.raw()) + ctx.inventory.raw();
    for (std::uint32_t i = 0; i < config_.levels; ++i) {
      const Int128 off = half + step * static_cast<Int128>(i);
      if (off >= kOne) break;
      Int128 p = scaled(center, buy ? -off : off, !buy);
      if (tick > 0) p = buy ? div_floor(p, tick) * tick : div_ceil(p, tick) * tick;
      // Post-only: never at or through the other side.
      const Int128 unit = tick > 0 ? tick : 1;
      if (buy && top_.ask.is_positive() && p >= top_.ask.raw()) p = top_.ask.raw() - unit;
      if (!buy && top_.bid.is_positive() && p <= top_.bid.raw()) p = top_.bid.raw() + unit;
      if (p <= 0) break;
      Int128 qty = std::min<Int128>(config_.quote_size.raw(), room);
      if (config_.lot.is_positive()) qty = qty / config_.lot.raw() * config_.lot.raw();
      if (qty <= 0 || qty < config_.min_qty.raw()) break;
      const Decimal price = Decimal::from_raw(p);
      const Decimal quantity = Decimal::from_raw(qty);
      if (config_.min_notional.is_positive()) {
        const auto notional = price.mul(quantity, Rounding::kDown);
        if (!notional || *notional < config_.min_notional) break;
      }
      out.push_back(Level{side, static_cast<std::uint8_t>(i), price, quantity});
      room -= qty;
    }
  }
  return out;
}

bool MarketMaker::spend(TimeNs now) {
  if (config_.max_actions_per_second == 0) return true;
  const std::int64_t second = now / kSecond;
  if (second != budget_second_) {
    budget_second_ = second;
    budget_spent_ = 0;
  }
  if (budget_spent_ >= config_.max_actions_per_second) return false;
  ++budget_spent_;
  return true;
}

void MarketMaker::cancel(Quote& q, std::vector<QuoteAction>& out) {
  q.phase = 2;
  QuoteAction a;
  a.kind = QuoteAction::Kind::kCancel;
  a.cancel = CancelOrder{config_.account, config_.instrument, q.id};
  out.push_back(a);
  ++actions_total_;
}

void MarketMaker::pull_all(std::vector<QuoteAction>& out) {
  for (Quote& q : quotes_) {
    if (q.phase == 1) cancel(q, out);  // sent: cancelled once live; cancel sent: under way
  }
}

void MarketMaker::enter(QuoterState s, TimeNs /*now*/, std::vector<QuoteAction>& out) {
  if (s == state_) return;
  if (s != QuoterState::kQuoting) {
    if (state_ == QuoterState::kQuoting) ++pulls_;  // quoting stopped: every quote pulled
    pull_all(out);
  } else {
    dirty_ = true;  // back to quoting: new quotes at once
  }
  state_ = s;
}

bool MarketMaker::may_quote(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out) {
  const std::int64_t day = ctx.trading_day;
  if (day != day_) {
    day_ = day;
    day_start_pnl_e18 = ctx.pnl_e18;
    if (state_ == QuoterState::kLossStop) state_ = QuoterState::kInactive;  // a new day
  }
  if (state_ == QuoterState::kLossStop) return false;
  if (stop_loss(now, ctx, out)) return false;
  Int128 day_loss = 0, max_loss = 0;
  if (config_.max_daily_loss.is_positive() &&
      (__builtin_sub_overflow(day_start_pnl_e18, ctx.pnl_e18, &day_loss) ||
       (!__builtin_mul_overflow(config_.max_daily_loss.raw(), Int128{kOne}, &max_loss) && day_loss > max_loss))) {
    enter(QuoterState::kLossStop, now, out);
    return false;
  }
  if (!ctx.active) {
    enter(QuoterState::kInactive, now, out);
    return false;
  }
  if (now < paused_until_) {
    enter(QuoterState::kShock, now, out);
    return false;
  }
  if (!fair_.is_positive() ||
      (config_.stale_after > 0 && now - last_book_ > config_.stale_after)) {
    enter(QuoterState::kStale, now, out);
    return false;
  }
  enter(QuoterState::kQuoting, now, out);
  return true;
}

bool MarketMaker::stop_loss(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out) {
  if (state_ != QuoterState::kStopLoss) {
    if (!config_.stop_loss_rate.is_positive() || ctx.inventory.is_zero() || !fair_.is_positive() ||
        ctx.unrealized_e18 >= 0) {
      return false;
    }
    // Loss > rate x |inventory| x fair (all at 1e-18, 1e-9 x 1e-9; the rate's 1e-9 once more).
    // A value or threshold beyond 128 bits: no loss this size can be shown, nothing to stop.
    const Int128 size = ctx.inventory.raw() < 0 ? -ctx.inventory.raw() : ctx.inventory.raw();
    Int128 value_e18 = 0, threshold = 0;
    if (__builtin_mul_overflow(size, fair_.raw(), &value_e18) ||
        __builtin_mul_overflow(value_e18 / kOne, config_.stop_loss_rate.raw(), &threshold) ||
        -ctx.unrealized_e18 <= threshold) {
      return false;
    }
    enter(QuoterState::kStopLoss, now, out);
  }
  if (ctx.inventory.is_zero()) {
    // Flat: quoting resumes after the pause.
    state_ = QuoterState::kShock;
    paused_until_ = now + config_.shock_pause;
    dirty_ = true;
    return true;
  }
  pull_all(out);
  // One closing order at a time, once no quote of ours rests (it would trade against it).
  if (!closing_.empty() || !quotes_.empty() || ctx.sequence == nullptr || !spend(now)) return true;
  const Side side = ctx.inventory.is_positive() ? Side::kSell : Side::kBuy;
  const Decimal price = side == Side::kSell ? top_.bid : top_.ask;
  Decimal qty = Decimal::from_raw(ctx.inventory.raw() < 0 ? -ctx.inventory.raw() : ctx.inventory.raw());
  if (config_.lot.is_positive()) {
    const auto lots = qty.round_to(config_.lot, Rounding::kDown);
    qty = lots ? *lots : Decimal{};
  }
  if (!price.is_positive() || !qty.is_positive()) return true;  // no touch yet, or dust
  const auto id = format_client_order_id(
      ClientOrderId{ctx.desk, config_.account, config_.strategy, ++*ctx.sequence});
  if (!id) return true;
  closing_ = *id;
  QuoteAction a;
  a.kind = QuoteAction::Kind::kPlace;
  a.order = SubmitOrder{config_.account, config_.strategy, config_.instrument, *id, side,
                        OrderType::kLimit, TimeInForce::kIoc, price, Decimal{}, qty, false};
  out.push_back(a);
  ++actions_total_;
  return true;
}

void MarketMaker::sample(TimeNs now) {
  if (next_sample_ == 0 || !sample_fair_.is_positive()) {
    sample_fair_ = fair_;
    next_sample_ = now + config_.vol_interval;
    return;
  }
  if (now < next_sample_) return;
  // fair_ and sample_fair_ are below kMaxAmount (fair_of), so the scaled move fits.
  const auto r = static_cast<std::int64_t>(
      std::clamp<Int128>((fair_.raw() - sample_fair_.raw()) * kOne / sample_fair_.raw(), -kOne, kOne));
  variance_ += (r * r - variance_) * 2 / (static_cast<std::int64_t>(config_.vol_samples) + 1);
  sample_fair_ = fair_;
  next_sample_ = now + config_.vol_interval;
}

void MarketMaker::on_top(const TopOfBook& top, TimeNs now, const QuoterContext& ctx,
                         std::vector<QuoteAction>& out) {
  if (top.instrument != config_.instrument) return;
  top_ = top;
  const Decimal f = fair_of(top, config_.fair);
  if (f.is_positive()) {
    last_book_ = now;
    fair_ = f;
    sample(now);
    if (config_.shock_rate.is_positive()) {
      const TimeNs width = config_.shock_window / static_cast<TimeNs>(kBuckets);
      const std::int64_t slot = now / width;
      Bucket& b = buckets_[static_cast<std::size_t>(slot) % kBuckets];
      if (b.slot != slot) b = Bucket{slot, f, f};
      if (f < b.low) b.low = f;
      if (b.high < f) b.high = f;
      Decimal low = f, high = f;
      for (const Bucket& x : buckets_) {
        if (x.slot < 0 || slot - x.slot >= static_cast<std::int64_t>(kBuckets)) continue;
        if (x.low < low) low = x.low;
        if (high < x.high) high = x.high;
      }
      const Int128 range = (high.raw() - low.raw()) * kOne / low.raw();  // fairs < kMaxAmount
      if (range > config_.shock_rate.raw()) paused_until_ = now + config_.shock_pause;
    }
  }
  if (may_quote(now, ctx, out) && owed(now)) requote(now, ctx, out);
}

bool MarketMaker::on_order(std::string_view client_order_id, OrderStatus status, bool filled,
                           TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out) {
  if (!closing_.empty() && closing_.view() == client_order_id) {
    // The stop loss's closing order: once it ended, the next (if still not flat) goes.
    if (terminal(status)) {
      closing_ = ClientOrderIdText{};
      (void)may_quote(now, ctx, out);
    }
    return true;
  }
  const auto it = std::find_if(quotes_.begin(), quotes_.end(),
                               [&](const Quote& q) { return q.id.view() == client_order_id; });
  if (it == quotes_.end()) return false;
  if (filled) dirty_ = true;
  if (terminal(status)) {
    // The venue refused a quote we did not cancel (post-only: it would have taken): that side
    // waits for the next fair price instead of sending the same price again.
    if ((status == OrderStatus::kRejected || status == OrderStatus::kExpired) && it->phase != 2) {
      refused_at_[it->side == Side::kBuy ? 0 : 1] = fair_;
      // Refusals in a row (risk stops, a venue that refuses everything): each waits longer
      // before the next quote, from 100 ms doubling to 51.2 s.
      if (++refusals_ >= 2) {
        const auto shift = std::min<std::uint32_t>(refusals_ - 2, 9);
        hold_until_ = now + (kSecond / 10) * (TimeNs{1} << shift);
      }
    }
    quotes_.erase(it);
    dirty_ = true;
  } else if (resting(status) && it->phase == 0) {
    it->phase = 1;
    refusals_ = 0;
  } else if (it->phase == 2 && status != OrderStatus::kPendingCancel && resting(status)) {
    it->phase = 1;  // the venue refused the cancel (the order still rests): decided again
    dirty_ = true;
  }
  if (!may_quote(now, ctx, out)) {
    pull_all(out);  // a quote that went live after the pull
    return true;
  }
  if (dirty_) requote(now, ctx, out);
  return true;
}

void MarketMaker::on_tick(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out) {
  if (may_quote(now, ctx, out) && owed(now)) requote(now, ctx, out);
}

bool MarketMaker::owed(TimeNs now) const {
  if (dirty_ || !quoted_fair_.is_positive()) return true;
  if (now - last_requote_ < config_.refresh) return false;
  Int128 move = fair_.raw() - quoted_fair_.raw();  // fairs < kMaxAmount
  if (move < 0) move = -move;
  return move * kOne / quoted_fair_.raw() > bps_fraction(config_.requote_bps);
}

void MarketMaker::requote(TimeNs now, const QuoterContext& ctx, std::vector<QuoteAction>& out) {
  dirty_ = false;
  quoted_fair_ = fair_;
  last_requote_ = now;
  const std::vector<Level> want = desired(ctx);
  const auto wanted = [&](const Quote& q) {
    return std::any_of(want.begin(), want.end(), [&](const Level& l) {
      return l.side == q.side && l.level == q.level && l.price == q.price && l.quantity == q.quantity;
    });
  };
  // 1. Cancel what is no longer wanted (a quote still on its way is judged once live).
  for (Quote& q : quotes_) {
    if (q.phase == 0) {
      if (!wanted(q)) dirty_ = true;  // look again once it is live
      continue;
    }
    if (q.phase != 1 || wanted(q)) continue;
    if (!spend(now)) {
      dirty_ = true;
      return;
    }
    cancel(q, out);
  }
  // 2. Place where a slot is empty.
  if (now < hold_until_) {
    dirty_ = true;
    return;
  }
  for (const Level& l : want) {
    if (refused_at_[l.side == Side::kBuy ? 0 : 1] == fair_) {
      dirty_ = true;  // placed once the fair price moves
      continue;
    }
    const bool taken = std::any_of(quotes_.begin(), quotes_.end(), [&](const Quote& q) {
      return q.side == l.side && q.level == l.level;
    });
    if (taken) {
      continue;  // its replacement waits for the cancel
    }
    if (ctx.sequence == nullptr || !spend(now)) {
      dirty_ = true;
      return;
    }
    const auto id = format_client_order_id(
        ClientOrderId{ctx.desk, config_.account, config_.strategy, ++*ctx.sequence});
    if (!id) return;
    QuoteAction a;
    a.kind = QuoteAction::Kind::kPlace;
    a.order = SubmitOrder{config_.account, config_.strategy, config_.instrument, *id,
                          l.side, OrderType::kLimit, TimeInForce::kPostOnly, l.price,
                          Decimal{}, l.quantity, false};
    out.push_back(a);
    quotes_.push_back(Quote{*id, l.side, l.level, 0, l.price, l.quantity});
    ++actions_total_;
  }
}

void MarketMaker::adopt(const ClientOrderIdText& id, Side side, Decimal price, Decimal quantity) {
  const bool known = std::any_of(quotes_.begin(), quotes_.end(),
                                 [&](const Quote& q) { return q.id == id; });
  if (!known) quotes_.push_back(Quote{id, side, kStray, 1, price, quantity});
  dirty_ = true;
}

void MarketMaker::save(StateWriter& w) const {
  w(state_, top_.update_id, top_.bid, top_.bid_qty, top_.ask, top_.ask_qty,
    top_.time, last_book_, fair_, quoted_fair_, last_requote_, dirty_, sample_fair_, next_sample_,
    variance_);
  for (const Bucket& b : buckets_) w(b.slot, b.low, b.high);
  w(paused_until_, day_, day_start_pnl_e18, budget_second_, budget_spent_,
    static_cast<std::uint32_t>(quotes_.size()));
  for (const Quote& q : quotes_) w(q.id, q.side, q.level, q.phase, q.price, q.quantity);
  w(actions_total_, pulls_, refused_at_, refusals_, hold_until_, closing_);
}

void MarketMaker::load(StateReader& r) {
  MarketMaker m(config_);
  r(m.state_, m.top_.update_id, m.top_.bid, m.top_.bid_qty, m.top_.ask,
    m.top_.ask_qty, m.top_.time, m.last_book_, m.fair_, m.quoted_fair_, m.last_requote_, m.dirty_,
    m.sample_fair_, m.next_sample_, m.variance_);
  for (Bucket& b : m.buckets_) r(b.slot, b.low, b.high);
  std::uint32_t n = 0;
  r(m.paused_until_, m.day_, m.day_start_pnl_e18, m.budget_second_, m.budget_spent_, n);
  if (n > 4096) r.fail("market maker: " + std::to_string(n) + " quotes");
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    Quote q;
    r(q.id, q.side, q.level, q.phase, q.price, q.quantity);
    m.quotes_.push_back(q);
  }
  r(m.actions_total_, m.pulls_, m.refused_at_, m.refusals_, m.hold_until_, m.closing_);
  m.top_.instrument = config_.instrument;
  if (r.ok()) *this = std::move(m);
}

}  // namespace oms::actors
