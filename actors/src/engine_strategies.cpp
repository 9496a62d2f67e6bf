// The engine's strategy stage:
// - the lifecycle of every strategy (StrategyCore): operators' start / stop / parameter
//   commands and the kill switches decide StrategyStateChanged / StrategyParamSet events,
//   committed to the STRATEGIES stream and rebuilt from it at start; only a running strategy
//   trades (its quoters quote, its pairs send);
// - market making (market_maker.hpp): a quoter decides on its instrument's top of book, on the
//   housekeeping tick and on the news of its own orders; what it decides (post-only quotes,
//   cancels) takes the API's path -- risk, desk, commit, send -- through account_command.
// Everything runs on the shard at the step's time, so a replay decides the same.
#include <charconv>

#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "oms/cores/order_events.hpp"
#include "oms/messages/client_order_id.hpp"
#include "oms/messages/subjects.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

// ---- parameters ----
// Values as text: decimals ("0.05"), whole numbers, durations ("500ms", "2s", "1m", "1h"; "0":
// none), fair = mid | micro. Each names the key and the value it cannot take.

std::optional<Decimal> decimal_of(std::string_view v) {
  auto d = Decimal::parse(v);
  if (!d) return std::nullopt;
  return *d;
}

std::optional<TimeNs> duration_of(std::string_view v) {
  if (v == "0") return TimeNs{0};
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || n <= 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(v.data() + v.size() - end));
  constexpr TimeNs kMs = 1'000'000;
  TimeNs scale = 0;
  if (unit == "ms") scale = kMs;
  else if (unit == "s") scale = 1000 * kMs;
  else if (unit == "m") scale = 60'000 * kMs;
  else if (unit == "h") scale = 3'600'000 * kMs;
  if (scale == 0 || n > std::numeric_limits<TimeNs>::max() / scale) return std::nullopt;
  return n * scale;
}

std::string bad(std::string_view key, std::string_view value, std::string_view want) {
  return "parameter '" + std::string(key) + "': '" + std::string(value) + "' is not " +
         std::string(want);
}

const Decimal kTenThousand = Decimal::from_raw(10'000 * Decimal::kOne);
const Decimal kOneWhole = Decimal::from_raw(Decimal::kOne);

// key=value onto a quoter's configuration; the error when the key is not a market maker's or
// the value does not fit.
std::optional<std::string> set_quoter_param(QuoterConfig& q, std::string_view key,
                                            std::string_view value) {
  const auto d = decimal_of(value);
  const auto bps = [&](Decimal& field, bool zero_ok) -> std::optional<std::string> {
    if (!d || d->is_negative() || (!zero_ok && d->is_zero()) || kTenThousand < *d) {
      return bad(key, value, zero_ok ? "bps from 0 to 10000" : "bps above 0, at most 10000");
    }
    field = *d;
    return std::nullopt;
  };
  const auto amount = [&](Decimal& field, bool zero_ok) -> std::optional<std::string> {
    if (!d || d->is_negative() || (!zero_ok && d->is_zero())) {
      return bad(key, value, zero_ok ? "a decimal >= 0" : "a decimal > 0");
    }
    field = *d;
    return std::nullopt;
  };
  const auto span = [&](TimeNs& field, bool zero_ok) -> std::optional<std::string> {
    const auto t = duration_of(value);
    if (!t || (!zero_ok && *t == 0)) return bad(key, value, "a duration such as 500ms, 2s, 1m");
    field = *t;
    return std::nullopt;
  };
  const auto count = [&](std::uint32_t& field, std::uint32_t lo, std::uint32_t hi) -> std::optional<std::string> {
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size() || n < lo || n > hi) {
      return bad(key, value, "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    field = n;
    return std::nullopt;
  };
  if (key == "spread_bps") return bps(q.spread_bps, false);
  if (key == "level_step_bps") return bps(q.level_step_bps, true);
  if (key == "skew_bps") return bps(q.skew_bps, true);
  if (key == "requote_bps") return bps(q.requote_bps, true);
  if (key == "quote_size") return amount(q.quote_size, false);
  if (key == "max_inventory") return amount(q.max_inventory, false);
  if (key == "max_position_value") return amount(q.max_position_value, true);
  if (key == "max_daily_loss") return amount(q.max_daily_loss, true);
  if (key == "vol_multiplier") return amount(q.vol_multiplier, true);
  if (key == "auto_stop_loss") {
    if (!d || d->is_negative() || !(*d < kOneWhole)) return bad(key, value, "a fraction from 0 to below 1");
    q.stop_loss_rate = *d;
    return std::nullopt;
  }
  if (key == "shock_move") {
    if (!d || d->is_negative() || !(*d < kOneWhole)) return bad(key, value, "a fraction from 0 to below 1");
    q.shock_rate = *d;
    return std::nullopt;
  }
  if (key == "levels") return count(q.levels, 1, 20);
  if (key == "vol_samples") return count(q.vol_samples, 1, 100'000);
  if (key == "max_actions_per_second") return count(q.max_actions_per_second, 0, 100'000);
  if (key == "refresh_rate") return span(q.refresh, true);
  if (key == "stale_after") return span(q.stale_after, true);
  if (key == "vol_interval") return span(q.vol_interval, false);
  if (key == "shock_window") return span(q.shock_window, false);
  if (key == "shock_pause") return span(q.shock_pause, true);
  if (key == "fair") {
    if (value == "mid") q.fair = FairPrice::kMid;
    else if (value == "micro") q.fair = FairPrice::kMicro;
    else return bad(key, value, "mid or micro");
    return std::nullopt;
  }
  return "unknown parameter '" + std::string(key) +
         "' for market making (spread_bps, quote_size, max_inventory, levels, level_step_bps, "
         "skew_bps, requote_bps, refresh_rate, fair, vol_multiplier, vol_interval, vol_samples, "
         "shock_move, shock_window, shock_pause, stale_after, max_daily_loss, "
         "max_position_value, auto_stop_loss, max_actions_per_second)";
}

// "fee.<exchange>:<symbol>" -- a leg's taker fee in bps, as strategies.yaml names the leg
// ("fee.upbit:BTC/USDT", "fee.binance:BTC/USDT:USDT"); omsd sets it from the venue's stated
// rate for the leg's account. The leg of an instrument, by its directory name
// "<exchange>:<market>:<symbol>" without the market.
constexpr std::string_view kFeePrefix = "fee.";
std::string leg_name(std::string_view directory_name) {
  const auto first = directory_name.find(':');
  const auto second = first == std::string_view::npos ? first : directory_name.find(':', first + 1);
  if (second == std::string_view::npos) return std::string(directory_name);
  return std::string(directory_name.substr(0, first + 1)) + std::string(directory_name.substr(second + 1));
}

// The taker fee of the group's legs named `leg`: the rate bps / 10000, rounded up (the edge
// never counts on a smaller fee than stated). `matched`: some leg of the group is that one.
std::optional<std::string> set_leg_fee(ArbGroup& g, std::string_view key, std::string_view value,
                                       const Directory& directory, bool& matched) {
  const auto d = decimal_of(value);
  if (!d || d->is_negative() || kTenThousand < *d) return bad(key, value, "bps from 0 to 10000");
  const auto rate = d->div(kTenThousand, Rounding::kUp);
  if (!rate) return bad(key, value, "bps from 0 to 10000");
  const std::string_view leg = key.substr(kFeePrefix.size());
  for (ArbLeg& l : g.legs) {
    if (leg_name(directory.instruments.name(l.instrument)) != leg) continue;
    l.taker_fee = *rate;
    matched = true;
  }
  return std::nullopt;
}

std::optional<std::string> set_pair_param(ArbGroup& g, std::string_view key, std::string_view value) {
  const auto d = decimal_of(value);
  if (key == "min_profit_rate") {
    if (!d || !d->is_positive() || !(*d < kOneWhole)) return bad(key, value, "a fraction above 0, below 1");
    g.min_edge_rate = *d;
    return std::nullopt;
  }
  if (key == "max_position") {
    if (!d || !d->is_positive()) return bad(key, value, "a decimal > 0");
    g.max_notional = *d;
    return std::nullopt;
  }
  if (key == "timeout") {
    const auto t = duration_of(value);
    if (!t || *t == 0) return bad(key, value, "a duration such as 500ms, 2s");
    g.cooldown = *t;
    return std::nullopt;
  }
  return "unknown parameter '" + std::string(key) +
         "' for arbitrage (min_profit_rate, max_position, timeout, fee.<exchange>:<symbol>)";
}

}  // namespace

// ---- the lifecycle ----

void Engine::Impl::rebuild_strategies() {
  const Directory& directory = log.subjects().directory();
  for (std::size_t i = 0; i < strategy_cores.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    if (strategy_slots[i].elsewhere) continue;  // another daemon's: its records are its own
    StrategyCore& core = strategy_cores[i];
    bool stated = false;
    read_events(store,
                persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                         "strategies." + escape_token(directory.strategies.name(id)) + ".>"},
                directory, [&](const Event& e) {
                  stated = stated || std::holds_alternative<StrategyStateChanged>(e.payload);
                  core.apply(e.payload);
                  log.observe_global_seq(e.envelope.global_seq);
                });
    // Enabled in strategies.yaml and never stopped by an operator: it runs.
    if (!stated && strategy_slots[i].enabled) {
      StrategyStateChanged run{id, StrategyState::kRunning, {}};
      (void)run.reason.assign("enabled in strategies.yaml");
      core.apply(run);
    }
    apply_params(id);
  }
}

std::optional<std::string> Engine::Impl::check_param(StrategyId id, std::string_view key,
                                                     std::string_view value) const {
  switch (strategy_slots[id.index()].kind) {
    case StrategyKind::kMarketMaking: {
      QuoterConfig probe;
      for (const auto& q : options.quoters) {
        if (q.strategy == id) probe = q;
      }
      return set_quoter_param(probe, key, value);
    }
    case StrategyKind::kArbitrage: {
      if (!key.starts_with(kFeePrefix)) {
        ArbGroup probe;
        return set_pair_param(probe, key, value);
      }
      // A leg's fee: some pair of this strategy must trade that leg here.
      const Directory& directory = log.subjects().directory();
      bool matched = false;
      std::string legs;
      for (const auto& group : options.arbitrage) {
        if (group.strategy != id) continue;
        ArbGroup probe = group;
        if (auto e = set_leg_fee(probe, key, value, directory, matched)) return e;
        for (const auto& l : group.legs) {
          legs += (legs.empty() ? "" : ", ") + leg_name(directory.instruments.name(l.instrument));
        }
      }
      if (!matched) {
        return "parameter '" + std::string(key) + "': no leg of this strategy trades " +
               std::string(key.substr(kFeePrefix.size())) + " here (legs: " +
               (legs.empty() ? std::string("none") : legs) + ")";
      }
      return std::nullopt;
    }
    case StrategyKind::kOther: return std::nullopt;  // nothing in this engine reads them
  }
  return std::nullopt;
}

void Engine::Impl::apply_params(StrategyId id, bool requote) {
  const auto& params = strategy_cores[id.index()].params();
  for (std::size_t i = 0; i < quoters.size(); ++i) {
    if (options.quoters[i].strategy != id) continue;
    QuoterConfig q = options.quoters[i];
    for (const auto& [k, v] : params) {
      if (auto e = set_quoter_param(q, k, v)) {
        spdlog::warn("strategy {}: recorded {}", log.subjects().directory().strategies.name(id), *e);
      }
    }
    quoters[i].set_config(q, requote);
  }
  for (std::size_t g = 0; g < options.arbitrage.size(); ++g) {
    if (options.arbitrage[g].strategy != id) continue;
    ArbGroup group = options.arbitrage[g];
    for (const auto& [k, v] : params) {
      if (std::string_view(k).starts_with(kFeePrefix)) {  // legs of other pairs: not this group's
        bool matched = false;
        if (auto e = set_leg_fee(group, k, v, log.subjects().directory(), matched)) {
          spdlog::warn("strategy {}: recorded {}", log.subjects().directory().strategies.name(id), *e);
        }
        continue;
      }
      if (auto e = set_pair_param(group, k, v)) {
        spdlog::warn("strategy {}: recorded {}", log.subjects().directory().strategies.name(id), *e);
      }
    }
    signal.set_group(g, std::move(group));
  }
}

void Engine::Impl::commit_strategy(StrategyId id, const Envelope& cause,
                                   std::vector<EventPayload> events, CommandAck* ack) {
  if (events.empty()) {
    if (ack != nullptr) *ack = CommandAck{true, true, 0, {}, {}};
    return;
  }
  auto c = log.commit(cause, events, step_now);
  if (!c) {
    if (ack != nullptr) {
      *ack = CommandAck{false, false, static_cast<std::uint16_t>(c.error().store.code),
                        c.error().store.message, {}};
    }
    spdlog::error("strategy {}: not committed: {}", log.subjects().directory().strategies.name(id),
                  c.error().store.message);
    return;
  }
  const StrategyState before = strategy_cores[id.index()].state();
  bool params = false;
  for (const Event& e : *c) {
    strategy_cores[id.index()].apply(e.payload);
    params = params || std::holds_alternative<StrategyParamSet>(e.payload);
  }
  if (ack != nullptr) *ack = CommandAck{true, false, 0, {}, {}};
  if (params) apply_params(id);
  if (strategy_cores[id.index()].state() != before) {
    spdlog::warn("strategy {}: {} -> {}", log.subjects().directory().strategies.name(id),
                 enum_name(before), enum_name(strategy_cores[id.index()].state()));
  }
  strategy_moved(id);
}

void Engine::Impl::strategy_moved(StrategyId id) {
  // The quoters see the new state (or parameters) at once: pulled when it no longer runs.
  std::vector<QuoteAction> actions;
  for (MarketMaker& m : quoters) {
    if (m.config().strategy != id) continue;
    m.on_tick(step_now, quoter_context(m.config()), actions);
    if (!actions.empty()) issue_quotes(actions, 0, m.config().strategy);
  }
  if (strategy_cores[id.index()].state() != StrategyState::kHalted) return;
  // Halted: every order of the strategy still live on an account run here is cancelled.
  for (const auto& a : accounts) {
    if (!a) continue;
    std::vector<CancelOrder> cancels;
    a->desk->for_each_live([&](const OrderCore& o) {
      if (o.strategy() == id && o.status() != OrderStatus::kPendingCancel) {
        cancels.push_back(CancelOrder{a->cfg.id, o.instrument(), o.client_order_id()});
      }
    });
    for (const CancelOrder& c : cancels) {
      const Envelope env{command_id(c.client_order_id.view(), QuoteAction::Kind::kCancel, step_now),
                         0, step_now, step_now, 0, 0};
      account_command(*a, Command{env, c}, nullptr);
    }
  }
}

void Engine::Impl::strategy_command(const Command& cmd, const std::shared_ptr<Reply>& reply) {
  const StrategyId id = std::visit(
      [](const auto& p) -> StrategyId {
        if constexpr (requires { p.strategy; }) return p.strategy;
        return StrategyId{};
      },
      cmd.payload);
  const auto answer = [&](CommandAck ack) {
    if (reply) {
      reply->ack = std::move(ack);
      reply->finish();
    }
  };
  if (!id.valid() || id.index() >= strategy_cores.size()) {
    return answer(CommandAck{false, false, static_cast<std::uint16_t>(CommandCode::kNoSuchStrategy),
                             "no strategy " + std::to_string(id.index()), {}});
  }
  if (strategy_slots[id.index()].elsewhere) {
    return answer(CommandAck{false, false, static_cast<std::uint16_t>(CommandCode::kNoSuchStrategy),
                             "strategy " + log.subjects().directory().strategies.name(id) +
                                 " runs on another daemon of the desk (its accounts are not run here)",
                             {}});
  }
  if (const auto* p = std::get_if<SetStrategyParam>(&cmd.payload); p != nullptr && !p->key.empty()) {
    if (auto e = check_param(id, p->key.view(), p->value.view())) {
      return answer(CommandAck{false, false,
                               static_cast<std::uint16_t>(StrategyErrorCode::kInvalidParam),
                               "strategy 8003: " + *e, {}});
    }
  }
  auto d = strategy_cores[id.index()].decide(cmd);
  if (!d) {
    return answer(CommandAck{false, false, static_cast<std::uint16_t>(d.error().code),
                             d.error().message, {}});
  }
  CommandAck ack;
  commit_strategy(id, cmd.envelope, std::move(d).value(), &ack);
  answer(std::move(ack));
}

void Engine::Impl::follow_kill_switch(const KillSwitchTripped& k, const Envelope& cause) {
  for (std::size_t i = 0; i < strategy_cores.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    if (k.scope != LimitScope::kGlobal && !(k.scope == LimitScope::kStrategy && k.strategy == id)) {
      continue;
    }
    if (strategy_slots[i].elsewhere) continue;  // its daemon follows its own switches
    auto d = strategy_cores[i].decide(k);
    if (!d) {
      spdlog::warn("strategy {}: kill switch not applied: {}",
                   log.subjects().directory().strategies.name(id), d.error().message);
      continue;
    }
    // Each strategy's events derive from the kill switch's: distinct ids, the same every time.
    Envelope env = cause;
    env.id = cause.id ^ (0x9e3779b97f4a7c15ULL * (i + 1));
    commit_strategy(id, env, std::move(d).value(), nullptr);
  }
  // An account's switch: the quoters on that account pull (their context says inactive).
  if (k.scope == LimitScope::kAccount) {
    std::vector<QuoteAction> actions;
    for (MarketMaker& m : quoters) {
      if (m.config().account != k.account) continue;
      m.on_tick(step_now, quoter_context(m.config()), actions);
      if (!actions.empty()) issue_quotes(actions, 0, m.config().strategy);
    }
  }
}

StrategyViewPtr Engine::Impl::strategy_view(StrategyId id) const {
  auto v = std::make_shared<StrategyView>();
  v->id = id;
  v->kind = strategy_slots[id.index()].kind;
  v->state = strategy_cores[id.index()].state();
  v->params = strategy_cores[id.index()].params();
  v->orders = strategy_sent[id.index()];
  for (const ArbGroup& g : options.arbitrage) v->pairs += g.strategy == id ? 1U : 0U;
  v->sagas = saga_figures(id);
  for (const MarketMaker& m : quoters) {
    if (m.config().strategy != id) continue;
    Decimal inventory;
    if (const Account* a = account(m.config().account)) {
      if (const auto* leg = a->desk->positions().strategy_leg(m.config().account, id, m.config().instrument)) {
        inventory = leg->position.size;
      }
    }
    v->quoters.push_back(QuoterView{m.config().account, m.config().instrument, m.state(), m.fair(),
                                    inventory, m.quotes(), m.actions(), m.pulls()});
  }
  // Its PnL over the accounts, per quote asset, at the engine's marks.
  std::map<std::string, PnlFigures> by_quote;
  for (const auto& a : accounts) {
    if (!a) continue;
    for (const auto& leg : a->desk->positions().strategy_legs(a->cfg.id)) {
      if (leg.strategy != id) continue;
      const InstrumentAssets* inst = instruments.find(leg.instrument);
      if (inst == nullptr) continue;
      const AssetCode& quote = inst->market == Market::kSpot ? inst->quote : inst->settle;
      PnlFigures& t = by_quote[quote.str()];
      t.quote = quote;
      const Decimal mark = leg.instrument.index() < marks.size() ? marks[leg.instrument.index()] : Decimal{};
      const auto unrealized = mark.is_positive() ? leg.position.unrealized_e18(mark) : std::optional<Int128>(0);
      if (!mark.is_positive() && !leg.position.size.is_zero()) ++t.unmarked;
      if (!unrealized || __builtin_add_overflow(t.realized_e18, leg.position.realized_e18, &t.realized_e18) ||
          __builtin_add_overflow(t.fees_e18, leg.fees_e18, &t.fees_e18) ||
          __builtin_add_overflow(t.unrealized_e18, *unrealized, &t.unrealized_e18)) {
        t.overflow = true;
      }
    }
  }
  for (auto& [q, f] : by_quote) v->pnl.push_back(f);
  return v;
}

void Engine::Impl::publish_strategies() {
  if (!board.enabled() || strategy_cores.empty()) return;
  // Each strategy's open orders, counted in one walk of the desks (they hold closed orders too,
  // until retired: a walk per strategy cost as many walks of every order kept).
  std::vector<std::uint64_t> open(strategy_cores.size(), 0);
  for (const auto& a : accounts) {
    if (!a) continue;
    a->desk->for_each_live([&](const OrderCore& o) {
      const std::size_t s = o.strategy().index();
      if (o.strategy().valid() && s < open.size()) ++open[s];
    });
  }
  for (std::size_t i = 0; i < strategy_cores.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    const auto v = strategy_view(id);
    StrategyStatusRecord r;
    r.state = static_cast<std::uint64_t>(v->state);
    // The figures of its first quote asset (a strategy trades in one, as configured).
    if (!v->pnl.empty() && !v->pnl.front().overflow) {  // beyond range: shown as 0, not wrong
      Decimal realized, unrealized;
      (void)round_e18(v->pnl.front().realized_e18, realized);
      (void)round_e18(v->pnl.front().unrealized_e18, unrealized);
      r.realized_pnl = BoardDecimal::of(realized);
      r.unrealized_pnl = BoardDecimal::of(unrealized);
    }
    Decimal inventory;
    bool inventory_fits = true;
    for (const auto& q : v->quoters) {
      const auto sum = inventory.add(q.inventory);
      inventory_fits = inventory_fits && sum.ok();
      if (sum) inventory = *sum;
    }
    r.inventory = inventory_fits ? BoardDecimal::of(inventory) : BoardDecimal{};  // 0, not wrong
    r.orders_open = open[i];
    board.strategy(static_cast<std::uint32_t>(i), r, step_now);
  }
}

// ---- market making ----

bool Engine::Impl::strategy_active(StrategyId strategy, AccountId account) const {
  if (!strategy_running(strategy)) return false;
  const RiskLimitTable& limits = risk->limits();
  return limits.kill_switch(LimitScope::kGlobal, 0) == KillSwitchState::kActive &&
         limits.kill_switch(LimitScope::kAccount, static_cast<std::uint32_t>(account.index())) == KillSwitchState::kActive &&
         limits.kill_switch(LimitScope::kStrategy, static_cast<std::uint32_t>(strategy.index())) == KillSwitchState::kActive;
}

QuoterContext Engine::Impl::quoter_context(const QuoterConfig& q) {
  QuoterContext c;
  c.desk = options.desk;
  c.sequence = signal.sequence();
  const Account* a = account(q.account);
  if (a == nullptr) {
    c.active = false;
    return c;
  }
  bool figures_fit = true;
  if (const auto* leg = a->desk->positions().strategy_leg(q.account, q.strategy, q.instrument)) {
    c.inventory = leg->position.size;
    const Decimal mark = q.instrument.index() < marks.size() ? marks[q.instrument.index()] : Decimal{};
    const auto unrealized = mark.is_positive() ? leg->position.unrealized_e18(mark) : std::optional<Int128>(0);
    Int128 pnl = 0;
    if (!unrealized || __builtin_add_overflow(leg->position.realized_e18, *unrealized, &pnl) ||
        __builtin_sub_overflow(pnl, leg->fees_e18, &pnl)) {
      figures_fit = false;  // figures out of range: the quoter stands aside rather than guess
    } else {
      c.unrealized_e18 = *unrealized;
      c.pnl_e18 = pnl;
    }
  }
  c.active = figures_fit && strategy_active(q.strategy, q.account) && !a->desk->reconciling();
  c.trading_day = trading_day.day;
  return c;
}

void Engine::Impl::issue_quotes(std::vector<QuoteAction>& actions, EventId cause, StrategyId strategy) {
  const TimeNs now = step_now;
  const bool outer = !strategy_busy;
  strategy_busy = true;  // news of these orders waits until all are out
  for (const QuoteAction& act : actions) {
    const AccountId id = act.kind == QuoteAction::Kind::kPlace ? act.order.account : act.cancel.account;
    Account* a = account(id);
    const ClientOrderIdText& order_id = act.kind == QuoteAction::Kind::kPlace
                                            ? act.order.client_order_id
                                            : act.cancel.client_order_id;
    if (a == nullptr) continue;
    const Envelope env{command_id(order_id.view(), act.kind, now), 0, now, now, cause, cause};
    ++strategy_orders;
    if (strategy.valid() && strategy.index() < strategy_sent.size()) ++strategy_sent[strategy.index()];
    if (act.kind == QuoteAction::Kind::kPlace) {
      account_command(*a, Command{env, act.order}, nullptr);
    } else {
      account_command(*a, Command{env, act.cancel}, nullptr);
    }
    // A command the desk refused without a trace (no order made): the quoter hears it as ended.
    if (!a->desk->status(order_id.view())) {
      strategy_news.push_back(OrderNews{id, order_id, false, true, strategy});
    }
  }
  actions.clear();
  if (outer) {
    strategy_busy = false;
    drain_strategy_news();
  }
}

void Engine::Impl::quote_top(const TopOfBook& top, TimeNs now) {
  if (top.instrument.index() >= quoters_of.size()) return;
  std::vector<QuoteAction> actions;
  for (const std::uint32_t i : quoters_of[top.instrument.index()]) {
    MarketMaker& m = quoters[i];
    m.on_top(top, now, quoter_context(m.config()), actions);
    if (!actions.empty()) issue_quotes(actions, top.update_id, m.config().strategy);
  }
}

void Engine::Impl::quote_tick(TimeNs now) {
  std::vector<QuoteAction> actions;
  for (MarketMaker& m : quoters) {
    m.on_tick(now, quoter_context(m.config()), actions);
    if (!actions.empty()) issue_quotes(actions, 0, m.config().strategy);
  }
}

void Engine::Impl::note_strategy_order(const Account& a, const Event& e) {
  const std::string_view id = client_order_id_of(e.payload);
  if (id.empty()) return;
  const auto parsed = parse_client_order_id(id);
  if (!parsed || parsed->desk != options.desk || !parsed->strategy.valid()) return;
  const std::size_t k = parsed->strategy.index();
  const bool quoting = k < quoting_strategy.size() && quoting_strategy[k];
  const bool saga = k < saga_strategy.size() && saga_strategy[k] && !sagas.empty();
  if (!quoting && !saga && !algo_child(id) && !sor_child(id)) return;
  // The venue's word on the order (not a step of our own, nor a risk refusal's breach).
  const bool answer = std::visit(
      [](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        return std::is_same_v<T, OrderAccepted> || std::is_same_v<T, OrderRejected> ||
               std::is_same_v<T, FillReceived> || std::is_same_v<T, OrderPartiallyFilled> ||
               std::is_same_v<T, OrderFilled> || std::is_same_v<T, OrderCanceled> ||
               std::is_same_v<T, OrderExpired> || std::is_same_v<T, OrderStatusReconciled>;
      },
      e.payload);
  OrderNews n{a.cfg.id, {}, std::holds_alternative<FillReceived>(e.payload), answer, parsed->strategy};
  (void)n.id.assign(id);
  strategy_news.push_back(n);
}

void Engine::Impl::drain_strategy_news() {
  if (strategy_busy) return;
  strategy_busy = true;
  std::vector<QuoteAction> actions;
  while (!strategy_news.empty()) {
    const OrderNews n = strategy_news.front();
    strategy_news.pop_front();
    if (algo_news(n)) continue;  // an execution algo's child
    if (sor_news(n)) continue;   // a smart-routed parent's child
    if (n.strategy.valid() && n.strategy.index() < saga_strategy.size() &&
        saga_strategy[n.strategy.index()]) {
      saga_news(n);
      continue;
    }
    const Account* a = account(n.account);
    if (a == nullptr) continue;
    const auto status = a->desk->status(n.id.view());
    for (MarketMaker& m : quoters) {
      if (m.config().account != n.account) continue;
      if (m.on_order(n.id.view(), status.value_or(OrderStatus::kRejected), n.filled, step_now,
                     quoter_context(m.config()), actions)) {
        if (!actions.empty()) issue_quotes(actions, 0, m.config().strategy);
        break;
      }
    }
  }
  strategy_busy = false;
}

void Engine::Impl::adopt_quotes() {
  for (MarketMaker& m : quoters) {
    const Account* a = account(m.config().account);
    if (a == nullptr) continue;
    a->desk->for_each_live([&](const OrderCore& o) {
      if (o.strategy() == m.config().strategy && o.instrument() == m.config().instrument) {
        m.adopt(o.client_order_id(), o.side(), o.price(), o.quantity());
      }
    });
  }
}

}  // namespace oms::actors
