// strategies.yaml -> the engine's strategy stage: the arbitrage groups this daemon can run.
#pragma once

#include <string>
#include <vector>

#include "oms/configs/config.hpp"
#include "oms/cores/market_maker.hpp"
#include "oms/cores/market_stages.hpp"
#include "oms/messages/codec.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::setup {

// Every enabled arbitrage strategy's pairs whose legs all trade here: each leg on Binance (the
// one connector so far), on an instrument the venue lists and trades, with the strategy's
// account for the exchange run by this daemon on that market. The edge is the pair's
// min_profit_rate of the buy cost after both legs' taker fees (exchanges.yaml), each leg's
// notional is capped at max_position, quantities follow the coarser lot step of the two legs,
// and a group fires at most once per execution timeout (1 s when none is set). A pair that
// cannot run here is left out with one line in `skipped` naming it and why.
[[nodiscard]] std::vector<actors::ArbGroup> arbitrage_groups(
    const configs::Config& config, const Directory& directory,
    const std::vector<Instrument>& instruments,
    const std::vector<std::pair<AccountId, Market>>& running, std::vector<std::string>& skipped);

// Every enabled market-making strategy's instruments that trade here (the venue lists the
// instrument as trading, the account runs its market here): one quoter each, with the
// instrument's tick, lot and minimum notional, the strategy's risk_limits (max_daily_loss,
// max_position_value) and the instrument's quoting keys. Others are left out with one line in
// `skipped`.
[[nodiscard]] std::vector<actors::QuoterConfig> quoters(
    const configs::Config& config, const Directory& directory,
    const std::vector<Instrument>& instruments,
    const std::vector<std::pair<AccountId, Market>>& running, std::vector<std::string>& skipped);

}  // namespace oms::setup
