// Engine: the trading day and risk's books.
//
// The day rolls (risk's realized PnL to zero, today's unrealized measured from now; the kill
// switch's peaks start again) before the first step at or after the next day's start: the same
// steps in a replay, whose step times are the recorded ones.
//
// At a start risk's books are folded from the stores: every fill of every account this engine
// runs, in commit order (global sequence), the day rolled between two fills of different
// trading days and once more when today is later than the last fill's day; then every live
// order counted open. Positions, cost bases, today's realized PnL (fees in any asset) and the
// consecutive losses are so the same as before the restart. Today's unrealized PnL is measured
// from the last known prices at the day's start: the marks of a day's start are not recorded, so
// a restart values it at the last fill prices before it (a restart after a day ran through
// keeps the realized loss exactly and the mark-to-market part at these prices). A fee in another
// asset waits for that asset's mark (RiskCore holds it). A switch an operator reset last keeps
// what held then from tripping it again, as it would have without the restart.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <unordered_set>

#include "engine_impl.hpp"
#include "oms/cores/event_group.hpp"

namespace oms::actors {

namespace {

// A trading day's name as its date ("2024-08-09").
std::string date_text(std::int32_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

}  // namespace

TradingDayBounds Engine::Impl::day_of(TimeNs t) const {
  if (options.trading_day) return options.trading_day(t);
  constexpr TimeNs kDay = 86'400'000'000'000;
  const TimeNs d = t >= 0 ? t / kDay : (t - kDay + 1) / kDay;
  return TradingDayBounds{static_cast<std::int32_t>(d), d * kDay, (d + 1) * kDay};
}

void Engine::Impl::roll_day_if_due() {
  if (step_now < trading_day.next) return;
  const TradingDayBounds next = day_of(step_now);
  spdlog::info("risk: trading day {} started: the day's loss limits start again (the day before "
               "ended at a global PnL of {} USDT)",
               date_text(next.day), Decimal::from_raw(-risk->daily_loss(LimitScope::kGlobal, 0).raw()).to_string());
  risk->roll_day();
  kill.roll_day();
  trading_day = next;
}

void Engine::Impl::index_fee_rates() {
  // An asset's USDT value: the mark of a spot ASSET/USDT instrument (the first configured).
  for (std::size_t i = 0; i < instruments.size(); ++i) {
    const InstrumentAssets* a = instruments.find(InstrumentId(static_cast<InstrumentId::rep_type>(i)));
    if (a == nullptr || a->market != Market::kSpot || a->quote.view() != "USDT") continue;
    fee_rates.try_emplace(a->base.str(), InstrumentId(static_cast<InstrumentId::rep_type>(i)));
  }
}

RiskFill Engine::Impl::price_fee(RiskFill f, const AssetCode& asset) {
  const InstrumentAssets* ins = instruments.find(f.instrument);
  if (f.fee.is_zero() || ins == nullptr) return f;
  const AssetCode& quote = ins->market == Market::kSpot ? ins->quote : ins->settle;
  if (asset.empty() || asset == quote) return f;  // in the quote: risk converts it
  const Decimal fee = f.fee;
  f.fee = {};
  if (asset == ins->base && ins->market == Market::kSpot) {
    // A spot fill's fee in the base asset (a buy on Binance without BNB): at the fill's price.
    if (auto q = fee.mul(f.price, Rounding::kUp)) f.fee = *q;
    else unpriced_fee(asset, "its value overflows");
    return f;
  }
  if (asset.view() == "USDT") {
    f.fee_other = fee;  // no rate: USDT itself
    return f;
  }
  const auto it = fee_rates.find(asset.view());
  if (it == fee_rates.end()) {
    unpriced_fee(asset, "no spot " + asset.str() + "/USDT instrument is configured to value it");
    return f;
  }
  f.fee_other = fee;  // valued at the mark (held for it when there is none yet)
  f.fee_rate = it->second;
  return f;
}

void Engine::Impl::publish_day_pnl() {
  const RiskLimitTable& l = risk->limits();
  if (!day_pnl) {
    day_pnl_size = 1 + l.accounts() + l.strategies();
    day_pnl = std::make_unique<std::atomic<std::int64_t>[]>(day_pnl_size);
  }
  const auto put = [&](std::size_t slot, LimitScope scope, std::uint32_t id) {
    const Int128 pnl = -risk->daily_loss(scope, id).raw();
    const Int128 lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    // relaxed: a figure for metrics; nothing is published through it.
    day_pnl[slot].store(static_cast<std::int64_t>(std::clamp(pnl, lo, hi)), std::memory_order_relaxed);
  };
  put(0, LimitScope::kGlobal, 0);
  for (std::uint32_t i = 0; i < l.accounts(); ++i) put(1 + i, LimitScope::kAccount, i);
  for (std::uint32_t i = 0; i < l.strategies(); ++i) put(1 + l.accounts() + i, LimitScope::kStrategy, i);
}

Decimal Engine::day_pnl(LimitScope scope, std::uint32_t id) const noexcept {
  const auto& im = *impl_;
  const RiskLimitTable& l = im.risk->limits();
  std::size_t slot = 0;
  switch (scope) {
    case LimitScope::kGlobal: slot = 0; break;
    case LimitScope::kAccount: slot = id < l.accounts() ? 1 + id : im.day_pnl_size; break;
    case LimitScope::kStrategy: slot = id < l.strategies() ? 1 + l.accounts() + id : im.day_pnl_size; break;
    case LimitScope::kInstrument: slot = im.day_pnl_size; break;
  }
  if (!im.day_pnl || slot >= im.day_pnl_size) return {};
  return Decimal::from_raw(im.day_pnl[slot].load(std::memory_order_relaxed));
}

std::chrono::nanoseconds Engine::risk_fold_time() const noexcept { return impl_->fold_time; }

std::uint64_t Engine::unpriced_fees() const noexcept {
  return impl_->unpriced_fees.load(std::memory_order_relaxed);
}

void Engine::Impl::unpriced_fee(const AssetCode& asset, const std::string& why) {
  unpriced_fees.fetch_add(1, std::memory_order_relaxed);
  if (!unpriced_fee_assets.insert(asset.str()).second) return;  // said once an asset
  spdlog::error("risk: a fee in {} is not counted in the day's loss: {} (every such fee is "
                "counted in oms_risk_unpriced_fees_total)",
                asset.view(), why);
}

void Engine::Impl::fold_risk_books(bool live) {
  const auto began = std::chrono::steady_clock::now();
  if (live) {
    // What was committed is read back: all of it in the store first.
    if (auto f = log.flush(std::chrono::seconds(30)); !f) {
      spdlog::error("risk: store flush before folding the books again failed: {}", f.error().message);
    }
  }
  struct Fill {
    std::uint64_t global = 0;
    TimeNs time = 0;
    RiskFill fill;
    AssetCode asset;
  };
  std::vector<Fill> fills;
  std::vector<Account*> read;  // the accounts whose streams were read whole
  bool unread = false;
  const Directory& directory = log.subjects().directory();
  for (const auto& a : accounts) {
    if (!a || a->refused) continue;  // not known: its rebuild names why
    // As the rebuild: each event once, only complete groups (a torn one comes again). Only the
    // fills are kept while the stream is read.
    std::unordered_set<EventId> seen;
    GroupCounter groups;
    std::vector<std::pair<EventId, Fill>> found;
    try {
      read_events(store, persistence::ReadRequest{a->cfg.stream, 1, 0, {}}, directory,
                  [&](const Event& e) {
                    if (!seen.insert(e.envelope.id).second) return;
                    groups.add(e.envelope.id);
                    const auto* f = std::get_if<FillReceived>(&e.payload);
                    if (f == nullptr) return;
                    found.emplace_back(e.envelope.id,
                                       Fill{e.envelope.global_seq, e.envelope.init_time,
                                            RiskFill{f->account, f->strategy, f->instrument, f->side, f->price,
                                                     f->quantity, f->fee, {}, {}},
                                            f->fee_asset});
                  },
                  /*contiguous=*/true, RecordChecks{&log.subjects(), log.mac()});
    } catch (const std::exception& e) {
      logger(*a).error("account {}: risk's books not folded from its stream: {}; folded again in {} s",
                       a->cfg.name, e.what(), kRiskFoldRetry / 1'000'000'000);
      unread = true;
      continue;
    }
    for (const auto& [id, f] : found) {
      if (groups.complete(id)) fills.push_back(f);
    }
    read.push_back(a.get());
  }
  // A stream that could not be read is tried again later: at the start the others count
  // meanwhile; while trading the books stay as they are (nothing counted is dropped).
  risk_fold_retry_at = unread ? step_now + kRiskFoldRetry : 0;
  if (live && unread) return;
  // The stores say what counts: nothing counted before stays (while trading: but the order-rate
  // tokens and equities, which no store holds).
  risk->clear_counts(live);
  for (const auto& a : accounts) {
    if (a) a->in_risk = std::find(read.begin(), read.end(), a.get()) != read.end();
  }
  std::stable_sort(fills.begin(), fills.end(),
                   [](const Fill& x, const Fill& y) { return x.global < y.global; });
  constexpr std::int32_t kNone = std::numeric_limits<std::int32_t>::min();
  std::int32_t last_day = kNone;
  std::size_t today = 0;
  // The prices known: each instrument's last fill, its mark at a roll and at the end (a fill
  // does not move a mark risk already has).
  std::vector<Decimal> last_price(instruments.size());
  const auto mark_last_prices = [&] {
    for (std::size_t i = 0; i < last_price.size(); ++i) {
      if (!last_price[i].is_positive()) continue;
      (void)risk->on_mark(InstrumentId(static_cast<InstrumentId::rep_type>(i)), last_price[i]);
      last_price[i] = {};
    }
  };
  for (const Fill& f : fills) {
    const std::int32_t d = day_of(f.time).day;
    if (last_day != kNone && d > last_day) {
      mark_last_prices();
      risk->roll_day();
      today = 0;
    }
    if (f.fill.instrument.index() < last_price.size()) last_price[f.fill.instrument.index()] = f.fill.price;
    last_day = std::max(last_day, d);
    ++today;
    if (auto r = risk->on_fill(price_fee(f.fill, f.asset)); !r) {
      spdlog::error("risk: a stored fill of account {} not counted at the start: risk {}", f.fill.account.index(),
                    to_string(r.error()));
    }
  }
  mark_last_prices();
  trading_day = day_of(step_now);
  if (last_day != kNone && trading_day.day > last_day) {
    risk->roll_day();
    today = 0;
  }
  // While trading: today's market prices again, where they came (the day's baseline stays the
  // last fills', as at a start).
  if (live) {
    for (std::size_t i = 0; i < marks.size() && i < instruments.size(); ++i) {
      if (marks[i].is_positive()) (void)risk->on_mark(InstrumentId(static_cast<InstrumentId::rep_type>(i)), marks[i]);
    }
  }
  // A switch an operator reset with a condition holding was not to trip again until it cleared
  // once (KillSwitchCore::on_state): what holds on the folded figures of such a scope waits the
  // same way. Elsewhere what holds trips at the next figures (a trip the stop kept unrecorded).
  for (const ScopeRef& r : reset_at_start) {
    if (risk->limits().kill_switch(r.scope, r.id) != KillSwitchState::kActive) continue;
    std::vector<KillSwitchStep> none;
    kill.on_state(r.scope, r.id, KillSwitchState::kHalted);
    kill.on_figures(r.scope, r.id, ScopeFigures{risk->daily_loss(r.scope, r.id), risk->consecutive_losses(r.scope, r.id)},
                    step_now, none);
    kill.on_state(r.scope, r.id, KillSwitchState::kActive);
  }
  reset_at_start.clear();
  publish_day_pnl();
  std::size_t open = 0;
  for (const auto& a : accounts) {
    if (!a || a->refused) continue;
    const auto count = [&](const OrderCore& o) {
      risk->on_order_opened(o.account(), o.strategy(), o.instrument());
      ++open;
    };
    if (!live) {
      a->desk->count_live_for_risk(count);
      continue;
    }
    // Again: every live order, those counted before the books were cleared too (and marked).
    a->desk->for_each_live(count);
    a->desk->count_live_for_risk([](const OrderCore&) {});
  }
  fold_time = std::chrono::steady_clock::now() - began;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(fold_time);
  spdlog::info("risk: books folded{} from {} stored fills ({} of trading day {}), {} live orders "
               "counted open, in {} ms; today's PnL {} USDT",
               live ? " again (an account that was not in them rebuilt)" : "", fills.size(), today,
               date_text(trading_day.day), open, ms.count(),
               Decimal::from_raw(-risk->daily_loss(LimitScope::kGlobal, 0).raw()).to_string());
}

}  // namespace oms::actors
