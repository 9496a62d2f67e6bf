#include "oms/cores/exec_algo.hpp"

#include <algorithm>
#include <string>

#include "oms/cores/arb_saga.hpp"
#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

namespace {

constexpr std::uint32_t kMaxSlices = 100'000;

// Floored to the step (a lot); unchanged without one.
Int128 floor_to(Int128 raw, Decimal step) noexcept {
  if (!step.is_positive() || raw <= 0) return raw < 0 ? 0 : raw;
  return raw - raw % step.raw();
}

std::string text(Decimal d) { return d.to_string(); }
std::string text_raw(Int128 raw) { return Decimal::from_raw(raw).to_string(); }

}  // namespace

// ---- construction -----------------------------------------------------------------------------

Result<ExecAlgo, std::string> ExecAlgo::make(const SubmitAlgo& c, std::uint64_t id,
                                             const VolumeCurveWeights& curve, AlgoRules rules) {
  const auto bad = [](std::string field, std::string why) -> Result<ExecAlgo, std::string> {
    return Unexpected(field + ": " + why);
  };
  if (!c.quantity.is_positive()) return bad("quantity", text(c.quantity) + " is not positive");
  if (rules.lot.is_positive() && !c.quantity.is_multiple_of(rules.lot)) {
    return bad("quantity", text(c.quantity) + " is not a multiple of the lot step " + text(rules.lot));
  }
  if (c.slices < 1 || c.slices > kMaxSlices) {
    return bad("slices", std::to_string(c.slices) + " is not in 1.." + std::to_string(kMaxSlices));
  }
  if (c.end <= c.start) return bad("end", "not after start");
  if (c.limit_price.is_negative()) return bad("limit_price", text(c.limit_price) + " is negative");
  if (c.participation.is_negative() || c.participation > Decimal::from_raw(Decimal::kOne)) {
    return bad("participation", text(c.participation) + " is not in 0..1");
  }
  if (c.catch_up.is_negative()) return bad("catch_up", text(c.catch_up) + " is negative");
  if (c.kind == AlgoKind::kTwap && c.curve.count > 0) return bad("curve", "only for vwap");
  if (c.kind == AlgoKind::kVwap) {
    Int128 total = 0;
    for (std::size_t i = 0; i < curve.count; ++i) total += curve.items[i];
    if (curve.count == 0 || total == 0) return bad("curve", "no volume (every weight zero)");
  }
  ExecAlgo a;
  a.rules_ = rules;
  AlgoStep& s = a.s_;
  s.account = c.account;
  s.strategy = c.strategy;
  s.instrument = c.instrument;
  s.algo = id;
  s.number = 1;
  s.kind = c.kind;
  s.state = AlgoState::kRunning;
  s.side = c.side;
  s.quantity = c.quantity;
  s.limit_price = c.limit_price;
  s.participation = c.participation;
  s.catch_up = c.catch_up;
  s.start = c.start;
  s.end = c.end;
  s.slices = c.slices;
  if (c.kind == AlgoKind::kVwap) s.curve = curve;
  (void)s.reason.assign("submitted");
  return a;
}

ExecAlgo::ExecAlgo(const AlgoStep& last, AlgoRules rules) : s_(last), rules_(rules) {}

// ---- the schedule -----------------------------------------------------------------------------

TimeNs ExecAlgo::slice_time(std::uint32_t k) const noexcept {
  const Int128 span = Int128{s_.end} - s_.start;
  return s_.start + static_cast<TimeNs>(span * k / s_.slices);
}

std::uint32_t ExecAlgo::due_count(TimeNs now) const noexcept {
  if (now < s_.start) return 0;
  // Slice k is due when floor(span x k / slices) <= now - start, i.e. span x k < slices x
  // (now - start + 1): k < ceil(slices x (now - start + 1) / span).
  const Int128 span = Int128{s_.end} - s_.start;
  const Int128 n = (Int128{s_.slices} * (Int128{now} - s_.start + 1) + span - 1) / span;
  return n >= s_.slices ? s_.slices : static_cast<std::uint32_t>(n);
}

Int128 ExecAlgo::weight_through(std::uint32_t k) const noexcept {
  if (s_.kind == AlgoKind::kTwap || s_.curve.count == 0) return Int128{k} + 1;
  // [start, end] in slices x buckets units: slice i is [i B, (i + 1) B), bucket b [b N, (b + 1) N).
  const Int128 buckets = s_.curve.count, n = s_.slices;
  const Int128 x = (Int128{k} + 1) * buckets;
  Int128 w = 0;
  for (std::size_t b = 0; b < s_.curve.count; ++b) {
    const Int128 from = static_cast<Int128>(b) * n;
    const Int128 overlap = std::clamp<Int128>(x - from, 0, n);
    w += overlap * s_.curve.items[b];
  }
  return w;
}

Decimal ExecAlgo::target_through(std::uint32_t k) const noexcept {
  if (k + 1 >= s_.slices) return s_.quantity;
  const Int128 all = weight_through(s_.slices - 1);
  Int128 raw = 0;
  if (!mul_div(s_.quantity.raw(), weight_through(k), all, Rounding::kDown, raw)) return {};
  return Decimal::from_raw(floor_to(raw, rules_.lot));
}

std::optional<TimeNs> ExecAlgo::next_due() const noexcept {
  if (s_.state != AlgoState::kRunning || !s_.child.empty() || s_.slice >= s_.slices) return std::nullopt;
  return slice_time(s_.slice);
}

Decimal ExecAlgo::avg_price() const noexcept {
  if (!s_.filled.is_positive()) return {};
  const auto n = exact_e18(s_.notional);
  return n ? Decimal::from_raw(*n / s_.filled.raw()) : Decimal{};
}

// ---- inputs -----------------------------------------------------------------------------------

void ExecAlgo::on_trade(Decimal quantity) noexcept {
  if (terminal() || !quantity.is_positive()) return;
  s_.volume = Decimal::from_raw(s_.volume.raw() + quantity.raw());
}

bool ExecAlgo::on_timer(TimeNs now, const AlgoContext& c, std::vector<QuoteAction>& out) {
  const auto due = next_due();
  if (!due || *due > now) return false;
  ++s_.number;
  slice(now, c, out);
  return true;
}

void ExecAlgo::slice(TimeNs now, const AlgoContext& c, std::vector<QuoteAction>& out) {
  const std::uint32_t k = due_count(now) - 1;  // the slice sent now (later ones are not due)
  const Decimal target = target_through(k);
  const Decimal own = Decimal::from_raw(target.raw() - (k == 0 ? Int128{0} : target_through(k - 1).raw()));
  s_.slice = k + 1;
  s_.target = target;
  const Int128 behind = target.raw() - s_.filled.raw();
  Int128 qty = behind;
  // Catch-up: at most catch_up x the slice's own quantity (at least its own).
  Int128 bound = own.raw();
  if (s_.catch_up > Decimal::from_raw(Decimal::kOne)) {
    if (auto b = own.mul(s_.catch_up, Rounding::kDown)) bound = b->raw();
  }
  qty = std::min(qty, bound);
  std::string why = "slice " + std::to_string(k + 1) + "/" + std::to_string(s_.slices);
  if (s_.participation.is_positive()) {
    const auto cap = s_.volume.mul(s_.participation, Rounding::kDown);
    const Int128 capped = cap ? floor_to(cap->raw(), rules_.lot) : 0;
    if (capped < qty) {
      qty = capped;
      why += " capped at " + text(s_.participation) + " x volume " + text(s_.volume);
    }
  }
  s_.volume = {};
  qty = floor_to(qty, rules_.lot);
  // The price: the far touch, never through the limit; the tick keeps it on the limit's side.
  const bool buy = s_.side == Side::kBuy;
  Decimal price = buy ? c.ask : c.bid;
  if (s_.limit_price.is_positive()) {
    if (!price.is_positive() || (buy ? s_.limit_price < price : s_.limit_price > price)) {
      price = s_.limit_price;
    }
  }
  if (price.is_positive() && rules_.tick.is_positive()) {
    if (auto p = price.round_to(rules_.tick, buy ? Rounding::kDown : Rounding::kUp)) price = *p;
  }
  const auto skip = [&](const std::string& reason) {
    if (s_.slice >= s_.slices) {
      finish(AlgoState::kFailed, why + ": " + reason + "; the schedule ended with " +
                                     text_raw(s_.quantity.raw() - s_.filled.raw()) + " unfilled");
    } else {
      note(why + ": " + reason + "; " + text_raw(behind) + " behind");
    }
  };
  if (qty <= 0) return skip("nothing to send");
  const Decimal q = Decimal::from_raw(qty);
  if (!price.is_positive()) return skip("no price (no touch and no limit)");
  if (rules_.min_qty.is_positive() && q < rules_.min_qty) {
    return skip(text(q) + " under the minimum quantity " + text(rules_.min_qty));
  }
  if (rules_.min_notional.is_positive()) {
    const auto notional = q.mul(price, Rounding::kDown);
    if (!notional || *notional < rules_.min_notional) {
      return skip(text(q) + " x " + text(price) + " under the minimum notional " + text(rules_.min_notional));
    }
  }
  const auto id = c.sequence == nullptr
                      ? std::nullopt
                      : format_client_order_id(ClientOrderId{c.desk, s_.account, s_.strategy, ++*c.sequence});
  if (!id) return skip("no client order id (desk out of range)");
  QuoteAction a;
  a.kind = QuoteAction::Kind::kPlace;
  a.order = SubmitOrder{s_.account, s_.strategy, s_.instrument, *id, s_.side, OrderType::kLimit,
                        TimeInForce::kIoc, price, {}, q, false};
  out.push_back(a);
  s_.child = *id;
  s_.child_qty = q;
  s_.child_filled = {};
  s_.sent = Decimal::from_raw(s_.sent.raw() + qty);
  ++s_.children;
  child_cancelled_ = false;
  note(why + ": " + text(q) + " at " + text(price));
}

bool ExecAlgo::on_child_end(std::string_view client_order_id, const AlgoFill& fill, TimeNs now,
                            const AlgoContext& c, std::vector<QuoteAction>& out) {
  if (!owns(client_order_id)) return false;
  ++s_.number;
  s_.child_filled = fill.cum_qty;
  s_.filled = Decimal::from_raw(s_.filled.raw() + fill.cum_qty.raw());
  const auto before = exact_e18(s_.notional);
  (void)to_exact((before ? *before : 0) + fill.notional_e18, s_.notional);
  const std::string why = "child " + std::string(client_order_id) + " ended: " + text(fill.cum_qty) +
                          " of " + text(s_.child_qty) + " filled";
  s_.child = {};
  child_cancelled_ = false;
  if (s_.filled >= s_.quantity) {
    if (!terminal()) {
      finish(AlgoState::kCompleted, why + "; all " + text(s_.quantity) + " filled");
    } else {
      note(why);
    }
    return true;
  }
  if (terminal()) {
    note(why);
    return true;
  }
  if (s_.slice >= s_.slices) {
    finish(AlgoState::kFailed, why + "; the schedule ended with " +
                                   text_raw(s_.quantity.raw() - s_.filled.raw()) + " unfilled");
    return true;
  }
  note(why);
  if (s_.state == AlgoState::kRunning && due_count(now) > s_.slice) slice(now, c, out);
  return true;
}

Result<Unit, std::string> ExecAlgo::control(AlgoAction action, TimeNs now, const AlgoContext& c,
                                            std::vector<QuoteAction>& out) {
  const auto refuse = [&](std::string_view what) -> Result<Unit, std::string> {
    return Unexpected("algo " + std::to_string(s_.algo) + " is " +
                      std::string(EnumNames<AlgoState>::kNames[static_cast<std::size_t>(s_.state)]) +
                      ": it cannot be " + std::string(what));
  };
  switch (action) {
    case AlgoAction::kCancel:
      if (terminal()) return refuse("canceled");
      ++s_.number;
      cancel_child(out);
      finish(AlgoState::kCanceled, "canceled by the operator");
      return Unit{};
    case AlgoAction::kPause:
      if (s_.state != AlgoState::kRunning) return refuse("paused");
      ++s_.number;
      s_.state = AlgoState::kPaused;
      note("paused by the operator");
      return Unit{};
    case AlgoAction::kResume:
      if (s_.state != AlgoState::kPaused) return refuse("resumed");
      ++s_.number;
      s_.state = AlgoState::kRunning;
      note("resumed by the operator");
      if (s_.child.empty() && s_.slice < s_.slices && due_count(now) > s_.slice) slice(now, c, out);
      return Unit{};
  }
  return Unexpected(std::string("unknown action"));
}

void ExecAlgo::cancel_child(std::vector<QuoteAction>& out) {
  if (s_.child.empty() || child_cancelled_) return;
  QuoteAction a;
  a.kind = QuoteAction::Kind::kCancel;
  a.cancel = CancelOrder{s_.account, s_.instrument, s_.child};
  out.push_back(a);
  child_cancelled_ = true;
}

void ExecAlgo::finish(AlgoState end, std::string_view why) {
  s_.state = end;
  note(why);
}

void ExecAlgo::note(std::string_view why) {
  (void)s_.reason.assign(why.substr(0, std::min(why.size(), ReasonText::kCapacity)));
}

// ---- checkpoints ------------------------------------------------------------------------------

void ExecAlgo::save(StateWriter& w) const { w(s_, rules_.tick, rules_.lot, rules_.min_qty, rules_.min_notional, child_cancelled_); }

void ExecAlgo::load(StateReader& r) {
  ExecAlgo l = *this;
  r(l.s_, l.rules_.tick, l.rules_.lot, l.rules_.min_qty, l.rules_.min_notional, l.child_cancelled_);
  if (r.ok()) *this = l;
}

}  // namespace oms::actors
