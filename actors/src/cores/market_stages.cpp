#include "oms/cores/market_stages.hpp"

#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

// ---- 1. books --------------------------------------------------------------------------------

BookStage::BookStage(std::span<const BookCoreConfig> books) {
  books_.reserve(books.size());
  for (const auto& c : books) books_.emplace_back(c);
}

std::size_t BookStage::on(const Event& e, TimeNs now, std::span<TopOfBook> out) {
  BookApplyResult r;
  InstrumentId id;
  if (const auto* d = std::get_if<BookDelta>(&e.payload)) {
    id = d->instrument;
    if (id.index() >= books_.size()) return 0;
    r = books_[id.index()].apply(*d);
  } else if (const auto* s = std::get_if<BookSnapshot>(&e.payload)) {
    id = s->instrument;
    if (id.index() >= books_.size()) return 0;
    r = books_[id.index()].apply(*s);
  } else {
    return 0;
  }
  const BookCore& b = books_[id.index()];
  if (r.status != BookApplyStatus::kApplied || b.state() != BookState::kLive || b.crossed()) {
    return 0;
  }
  TopOfBook& t = out[0];
  t = TopOfBook{id, b.last_update_id(), {}, {}, {}, {}, now};
  if (const auto bid = b.best_bid()) { t.bid = bid->price; t.bid_qty = bid->quantity; }
  if (const auto ask = b.best_ask()) { t.ask = ask->price; t.ask_qty = ask->quantity; }
  return 1;
}

void BookStage::save(StateWriter& w) const {
  w.put(static_cast<std::uint32_t>(books_.size()));
  for (const auto& b : books_) b.save(w);
}

void BookStage::load(StateReader& r) {
  const std::uint32_t n = r.count();
  if (n != books_.size()) {
    r.fail(std::to_string(n) + " books saved, " + std::to_string(books_.size()) + " configured");
    return;
  }
  // Into copies: a reader error leaves every book as it was.
  std::vector<BookCore> loaded = books_;
  for (auto& b : loaded) {
    if (r.ok()) b.load(r);
  }
  if (r.ok()) books_ = std::move(loaded);
}

// ---- 2. signal -------------------------------------------------------------------------------

SignalStage::SignalStage(std::vector<ArbGroup> groups, std::size_t instrument_count,
                         std::uint16_t desk)
    : groups_(std::move(groups)),
      group_of_(instrument_count, -1),
      tops_(instrument_count),
      desk_(desk),
      quiet_until_(groups_.size(), 0),
      held_(groups_.size(), false) {
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    for (const auto& leg : groups_[g].legs) {
      if (leg.instrument.index() < group_of_.size()) {
        group_of_[leg.instrument.index()] = static_cast<std::int32_t>(g);
      }
    }
  }
}

namespace {

// price * (1 + fee) rounded up (buying costs at least this) or * (1 - fee) rounded down.
std::optional<Decimal> with_fee(Decimal price, Decimal fee, bool buy) {
  const auto one = Decimal::from_raw(Decimal::kOne);
  const auto factor = buy ? one.add(fee) : one.sub(fee);
  if (!factor) return std::nullopt;
  const auto r = price.mul(*factor, buy ? Rounding::kCeiling : Rounding::kFloor);
  if (!r) return std::nullopt;
  return *r;
}

}  // namespace

std::size_t SignalStage::on(const TopOfBook& t, TimeNs now, std::span<OrderIntent> out) {
  if (t.instrument.index() >= tops_.size()) return 0;
  tops_[t.instrument.index()] = t;
  const std::int32_t g = group_of_[t.instrument.index()];
  if (g < 0 || out.size() < kMaxOut) return 0;
  const ArbGroup& group = groups_[static_cast<std::size_t>(g)];
  // The best fee-adjusted buy (lowest ask + fee) and sell (highest bid - fee) across legs.
  const ArbLeg* buy_leg = nullptr;
  const ArbLeg* sell_leg = nullptr;
  Decimal buy_cost, sell_gain;
  for (const ArbLeg& leg : group.legs) {
    const TopOfBook& top = tops_[leg.instrument.index()];
    if (top.ask.is_positive()) {
      const auto c = with_fee(top.ask, leg.taker_fee, true);
      if (c && (buy_leg == nullptr || *c < buy_cost)) { buy_leg = &leg; buy_cost = *c; }
    }
    if (top.bid.is_positive()) {
      const auto s = with_fee(top.bid, leg.taker_fee, false);
      if (s && (sell_leg == nullptr || *s > sell_gain)) { sell_leg = &leg; sell_gain = *s; }
    }
  }
  if (buy_leg == nullptr || sell_leg == nullptr || buy_leg == sell_leg) return 0;
  const auto edge = sell_gain.sub(buy_cost);
  if (!edge || *edge < group.min_edge || !edge->is_positive()) return 0;
  if (group.min_edge_rate.is_positive()) {
    const auto need = buy_cost.mul(group.min_edge_rate, Rounding::kCeiling);
    if (!need || *edge < *need) return 0;
  }
  const auto gi = static_cast<std::size_t>(g);
  if (now < quiet_until_[gi] || held_[gi]) return 0;
  const TopOfBook& ask_top = tops_[buy_leg->instrument.index()];
  const TopOfBook& bid_top = tops_[sell_leg->instrument.index()];
  if (group.max_book_age > 0 &&
      (now - ask_top.time > group.max_book_age || now - bid_top.time > group.max_book_age)) {
    return 0;  // a stale book: its price may be gone
  }
  Decimal qty = std::min(ask_top.ask_qty, bid_top.bid_qty);
  if (group.max_quantity.is_positive()) qty = std::min(qty, group.max_quantity);
  if (group.max_notional.is_positive()) {
    const auto cap = group.max_notional.div(ask_top.ask, Rounding::kDown);
    if (!cap) return 0;
    qty = std::min(qty, *cap);
  }
  const Decimal step = std::max(buy_leg->lot_step, sell_leg->lot_step);
  if (step.is_positive()) {
    const auto rounded = qty.round_to(step, Rounding::kDown);
    if (!rounded) return 0;
    qty = *rounded;
  }
  if (!qty.is_positive()) return 0;
  // A leg the venue would refuse (under its minimum) is no signal: the other would go alone.
  for (const auto& [leg, price] : {std::pair{buy_leg, ask_top.ask}, std::pair{sell_leg, bid_top.bid}}) {
    if (leg->min_qty.is_positive() && qty < leg->min_qty) return 0;
    if (leg->min_notional.is_positive()) {
      const auto notional = qty.mul(price, Rounding::kDown);
      if (!notional || *notional < leg->min_notional) return 0;
    }
  }
  ++signals_;
  quiet_until_[gi] = now + group.cooldown;
  const auto make = [&](const ArbLeg& leg, Side side, Decimal price) {
    OrderIntent in{};
    SubmitOrder& o = in.order;
    o.account = leg.account;
    o.strategy = group.strategy;
    o.instrument = leg.instrument;
    const auto id = format_client_order_id(ClientOrderId{desk_, leg.account, group.strategy, ++sequence_});
    if (id) o.client_order_id = *id;
    o.side = side;
    o.order_type = OrderType::kLimit;
    o.tif = group.resting_legs ? TimeInForce::kGtc : TimeInForce::kIoc;
    o.price = price;
    o.quantity = qty;
    in.reference = price;
    in.cause = t.update_id;
    in.time = t.time;
    in.group = static_cast<std::uint32_t>(gi);
    return in;
  };
  out[0] = make(*buy_leg, Side::kBuy, ask_top.ask);
  out[1] = make(*sell_leg, Side::kSell, bid_top.bid);
  return 2;
}

void SignalStage::save(StateWriter& w) const {
  w(static_cast<std::uint32_t>(tops_.size()), static_cast<std::uint32_t>(quiet_until_.size()));
  for (const auto& t : tops_) w(t.instrument, t.update_id, t.bid, t.bid_qty, t.ask, t.ask_qty, t.time);
  w(sequence_, signals_, quiet_until_);
}

void SignalStage::load(StateReader& r) {
  std::uint32_t tops = 0, groups = 0;
  r(tops, groups);
  if (r.ok() && (tops != tops_.size() || groups != quiet_until_.size())) {
    r.fail("signal stage of " + std::to_string(tops) + " instruments and " + std::to_string(groups) +
           " groups saved, " + std::to_string(tops_.size()) + " and " +
           std::to_string(quiet_until_.size()) + " configured");
    return;
  }
  std::vector<TopOfBook> loaded(tops_.size());
  for (auto& t : loaded) r(t.instrument, t.update_id, t.bid, t.bid_qty, t.ask, t.ask_qty, t.time);
  std::uint64_t sequence = 0, signals = 0;
  std::vector<TimeNs> quiet;
  r(sequence, signals, quiet);
  if (r.ok() && quiet.size() != quiet_until_.size()) r.fail("signal stage: cooldowns of another group count");
  if (!r.ok()) return;
  tops_ = std::move(loaded);
  sequence_ = sequence;
  signals_ = signals;
  quiet_until_ = std::move(quiet);
}

}  // namespace oms::actors
