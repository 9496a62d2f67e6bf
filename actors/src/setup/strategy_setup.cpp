#include "oms/setup/strategy_setup.hpp"

#include <algorithm>
#include <chrono>
#include <variant>

namespace oms::setup {

std::vector<actors::ArbGroup> arbitrage_groups(
    const configs::Config& config, const Directory& directory,
    const std::vector<Instrument>& instruments,
    const std::vector<std::pair<AccountId, Market>>& running, std::vector<std::string>& skipped) {
  std::vector<actors::ArbGroup> out;
  const auto bps = Decimal::from_raw(10'000 * Decimal::kOne);
  const auto ns = [](std::chrono::milliseconds ms) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
  };
  for (const auto& s : config.strategies.strategies) {
    const auto* params = std::get_if<configs::ArbitrageParams>(&s.params);
    if (params == nullptr || !s.enabled) continue;
    const auto strategy = directory.strategies.find(s.name);
    std::size_t index = 0;
    for (const auto& pair : params->pairs) {
      ++index;
      const std::string name =
          "strategy '" + s.name + "' pair " + std::to_string(index) + " (" +
          pair.symbol.to_string() + ")";
      actors::ArbGroup g;
      g.strategy = strategy ? *strategy : StrategyId{};
      g.min_edge_rate = pair.min_profit_rate;
      g.max_notional = pair.max_position;
      g.cooldown = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       params->execution.timeout.count() > 0 ? params->execution.timeout
                                                             : std::chrono::milliseconds(1000))
                       .count();
      const auto& run = params->execution;
      g.max_book_age = ns(run.max_book_age);
      g.resting_legs = run.mode != configs::ExecutionMode::kAggressive;
      g.saga.leg_risk = run.leg_risk == configs::LegRiskPolicy::kHedge ? actors::LegRisk::kHedge
                                                                       : actors::LegRisk::kUnwind;
      g.saga.market = run.repair_market;
      if (const auto band = run.repair_band_bps.div(bps, Rounding::kUp)) g.saga.band_rate = *band;
      g.saga.retries = static_cast<std::uint32_t>(run.retry);
      g.saga.order_timeout = ns(run.timeout);
      g.saga.time_limit = ns(run.leg_risk_time_limit);
      std::string why;
      for (const auto& leg : pair.legs) {
        const std::string where =
            std::string(to_string(leg.exchange)) + ":" + leg.symbol.to_string();
        const auto in = std::find_if(instruments.begin(), instruments.end(), [&](const Instrument& i) {
          return i.exchange == leg.exchange && i.market == leg.market && i.symbol == leg.symbol;
        });
        if (in == instruments.end() || !in->trading) {
          why = "leg " + where + ": the venue does not list it as trading";
          break;
        }
        const std::string& account_name = params->accounts[static_cast<std::size_t>(leg.exchange)];
        const auto account = directory.accounts.find(account_name);
        const bool runs =
            account && std::find(running.begin(), running.end(),
                                 std::pair{*account, leg.market}) != running.end();
        if (!runs) {
          why = "leg " + where + ": account '" + account_name + "' does not run " +
                std::string(to_string(leg.market)) + " here";
          break;
        }
        Decimal fee;
        if (const auto* ex = config.exchanges.find(leg.exchange)) {
          if (const auto& m = ex->markets[static_cast<std::size_t>(leg.market)]) {
            // Rounded up: the edge never counts on a smaller fee than configured.
            if (const auto f = m->fees.taker_bps.div(bps, Rounding::kUp)) fee = *f;
          }
        }
        g.legs.push_back(actors::ArbLeg{in->id, *account, fee, in->rules.step_size,
                                        in->rules.tick_size, in->rules.min_qty,
                                        in->rules.min_notional});
      }
      if (why.empty() && g.legs.size() < 2) why = "fewer than two legs";
      if (!why.empty()) {
        skipped.push_back(name + " not run: " + why);
        continue;
      }
      out.push_back(std::move(g));
    }
  }
  return out;
}

std::vector<actors::QuoterConfig> quoters(
    const configs::Config& config, const Directory& directory,
    const std::vector<Instrument>& instruments,
    const std::vector<std::pair<AccountId, Market>>& running, std::vector<std::string>& skipped) {
  std::vector<actors::QuoterConfig> out;
  const auto ns = [](std::chrono::milliseconds ms) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
  };
  for (const auto& s : config.strategies.strategies) {
    const auto* params = std::get_if<configs::MarketMakingParams>(&s.params);
    if (params == nullptr || !s.enabled) continue;
    const auto strategy = directory.strategies.find(s.name);
    std::size_t index = 0;
    for (const auto& q : params->instruments) {
      ++index;
      const std::string name = "strategy '" + s.name + "' instrument " + std::to_string(index) +
                               " (" + std::string(to_string(q.exchange)) + ":" +
                               q.symbol.to_string() + ")";
      const auto in = std::find_if(instruments.begin(), instruments.end(), [&](const Instrument& i) {
        return i.exchange == q.exchange && i.market == q.market && i.symbol == q.symbol;
      });
      const auto account = directory.accounts.find(q.account);
      std::string why;
      if (in == instruments.end() || !in->trading) {
        why = "the venue does not list it as trading";
      } else if (!account || std::find(running.begin(), running.end(),
                                       std::pair{*account, q.market}) == running.end()) {
        why = "account '" + q.account + "' does not run " + std::string(to_string(q.market)) +
              " here";
      }
      if (!why.empty()) {
        skipped.push_back(name + " not quoted: " + why);
        continue;
      }
      actors::QuoterConfig c;
      c.strategy = strategy ? *strategy : StrategyId{};
      c.account = *account;
      c.instrument = in->id;
      c.tick = in->rules.tick_size;
      c.lot = in->rules.step_size;
      c.min_qty = in->rules.min_qty;
      c.min_notional = in->rules.min_notional;
      c.fair = q.micro_price ? actors::FairPrice::kMicro : actors::FairPrice::kMid;
      c.spread_bps = q.spread_bps;
      c.quote_size = q.quote_size;
      c.levels = static_cast<std::uint32_t>(q.levels);
      c.level_step_bps = q.level_step_bps;
      c.max_inventory = q.max_inventory;
      c.max_position_value = params->risk_limits.max_position_value;
      c.skew_bps = q.skew_bps;
      c.requote_bps = q.requote_bps;
      c.refresh = ns(q.refresh_rate);
      c.vol_interval = ns(q.vol_interval);
      c.vol_samples = static_cast<std::uint32_t>(q.vol_samples);
      c.vol_multiplier = q.vol_multiplier;
      c.shock_rate = q.shock_move;
      c.shock_window = ns(q.shock_window);
      c.shock_pause = ns(q.shock_pause);
      c.stale_after = ns(q.stale_after);
      c.max_daily_loss = params->risk_limits.max_daily_loss;
      c.stop_loss_rate = params->risk_limits.auto_stop_loss;
      c.max_actions_per_second = static_cast<std::uint32_t>(q.max_actions_per_second);
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace oms::setup
