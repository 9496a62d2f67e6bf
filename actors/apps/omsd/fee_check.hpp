// The accounts' fees as each venue states them against exchanges.yaml's: the strategies price
// their edges with the configured fees (arbitrage's profit after fees, the quoters' spread), so
// a venue whose rates differ (a fee tier, a discount, Upbit's KRW market at 5 bps) is named at
// start -- a warning in the log and both figures on /metrics (oms_fee_rate_bps).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oms/configs/exchanges.hpp"
#include "oms/connectors/exchange.hpp"

namespace oms::omsd {

struct FeeCheck {
  std::string account, instrument;  // names
  ExchangeId exchange = ExchangeId::kBinance;
  Market market = Market::kSpot;
  configs::Fees configured;        // basis points
  std::optional<FeeRates> venue;   // fractions; nullopt: the venue did not answer (error)
  std::string error;
  // The venue's rates differ from the configured ones (compared exactly, in basis points).
  [[nodiscard]] bool differs() const noexcept;
};

// One line for the log: "fees of binance_main on BTC/USDT: venue maker 10 bps, taker 10 bps;
// configured maker 10 bps, taker 10 bps".
[[nodiscard]] std::string describe(const FeeCheck& c);
// A fraction as basis points (0.0005 -> 5), exact (Decimal's 8 places hold 1e-4 bps).
[[nodiscard]] Decimal to_bps(Decimal fraction) noexcept;

}  // namespace oms::omsd
