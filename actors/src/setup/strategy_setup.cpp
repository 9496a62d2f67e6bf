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
      std::string why;
      for (const auto& leg : pair.legs) {
        const std::string where =
            std::string(to_string(leg.exchange)) + ":" + leg.symbol.to_string();
        if (leg.exchange != ExchangeId::kBinance) {
          why = "leg " + where + ": no connector for this exchange yet";
          break;
        }
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
        g.legs.push_back(actors::ArbLeg{in->id, *account, fee, in->rules.step_size});
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

}  // namespace oms::setup
