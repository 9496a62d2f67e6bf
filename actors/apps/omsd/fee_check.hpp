// The accounts' fees as each venue states them against exchanges.yaml's: a venue whose rates
// differ (a fee tier, a discount, Upbit's KRW market at 5 bps) is named at start -- a warning in
// the log and both figures on /metrics (oms_fee_rate_bps). The arbitrage legs then price their
// edges with the venue's taker rate for the leg's account and instrument: omsd sets it on the
// strategy as "fee.<exchange>:<symbol>" (bps) through the engine, so it is journaled and a
// replay prices as the day did; until the venue answers, a leg prices with exchanges.yaml's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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
// A fraction as basis points (0.0005 -> 5), exact (Decimal's 9 places hold 1e-5 bps).
[[nodiscard]] Decimal to_bps(Decimal fraction) noexcept;

// The strategy parameter of a leg's taker fee: "fee.<exchange>:<symbol>" ("fee.upbit:BTC/USDT",
// "fee.binance:BTC/USDT:USDT"), as the engine's arbitrage strategies read it; empty when it is
// longer than a parameter key holds (31 characters).
[[nodiscard]] std::string leg_fee_key(ExchangeId exchange, std::string_view symbol);

}  // namespace oms::omsd
