// strategies.yaml: the strategies the daemon runs, keyed by name, each with a type.
//
//   strategies:
//     arbitrage:
//       type: arbitrage
//       enabled: true
//       pairs:
//         - {symbol: BTC/USDT, exchanges: [binance, bybit], min_profit_rate: 0.001, max_position:
//         10000}
//       execution: {mode: aggressive, timeout: 500ms, retry: 3}
//       accounts: {binance: binance_spot_arb, bybit: bybit_arb}
//     market_making:
//       type: market_making
//       enabled: true
//       instruments:
//         - {symbol: BTC/USDT, exchange: binance, account: binance_mm, spread_bps: 10,
//            quote_size: 0.1, max_inventory: 1.0, refresh_rate: 1s}
//       risk_limits: {max_daily_loss: 1000, max_position_value: 50000, auto_stop_loss: 0.02}
//     trend_following:
//       type: trend_following
//       enabled: false
//       instruments:
//         - {symbol: BTC/USDT:USDT, exchange: binance, account: binance_futures_trend,
//            timeframe: 1m, fast_period: 20, slow_period: 50, order_size: 0.01,
//            max_position: 0.05, leverage: 3}
//
// Strategy names are unique; they appear in subjects and file paths.
#pragma once

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/symbols.hpp"

namespace oms::configs {

enum class StrategyType : std::uint8_t { kArbitrage, kMarketMaking, kTrendFollowing };
// Config names: "arbitrage", "market_making", "trend_following".
[[nodiscard]] std::string_view to_string(StrategyType t) noexcept;

// One instrument of a pair: where it trades and what it is.
struct ArbitrageLeg {
  ExchangeId exchange = ExchangeId::kBinance;
  CanonicalSymbol symbol;
  Market market = Market::kSpot;  // from the symbol
  friend bool operator==(const ArbitrageLeg&, const ArbitrageLeg&) = default;
};

// One asset watched on several instruments; a trade buys on one and sells on another. Written
// either as `symbol` + `exchanges` (the same symbol on each exchange) or as `legs`
// ("exchange:SYMBOL" each: e.g. a spot pair against its perpetual, binance:BTC/USDT and
// binance:BTC/USDT:USDT). `legs` is filled in both forms.
struct ArbitragePair {
  CanonicalSymbol symbol;         // the first leg's
  Market market = Market::kSpot;  // the first leg's: spot, or usdm for BASE/QUOTE:QUOTE
  std::vector<ExchangeId> exchanges;
  std::vector<ArbitrageLeg> legs;
  Decimal min_profit_rate{};  // net of fees, as a fraction (0.001 = 0.1 %)
  Decimal max_position{};     // quote-currency notional held per leg
};

enum class ExecutionMode : std::uint8_t { kAggressive, kPassive, kHybrid };
// What a saga does when its legs filled unequally (leg risk): hedge trades the remainder on the
// other leg's venue (completing the arbitrage), unwind reverses the excess on its own venue.
enum class LegRiskPolicy : std::uint8_t { kHedge, kUnwind };

struct ArbitrageExecution {
  ExecutionMode mode = ExecutionMode::kAggressive;
  std::chrono::milliseconds timeout{0};  // a leg not filled by then is cancelled
  int retry = 0;                         // repair orders after the first (hedge, then unwind)
  // Optional (defaults in brackets):
  LegRiskPolicy leg_risk = LegRiskPolicy::kHedge;  // [hedge]
  bool repair_market = false;                      // [limit] repair_order: limit | market
  Decimal repair_band_bps = Decimal::from_raw(10 * Decimal::kOne);  // [10] a limit repair's reach through the touch
  std::chrono::milliseconds leg_risk_time_limit{10'000};  // [10s] hedging, then unwinding
  std::chrono::milliseconds max_book_age{1'000};  // [1s] no signal on a book older than this
};

struct ArbitrageParams {
  std::vector<ArbitragePair> pairs;
  ArbitrageExecution execution{};
  std::array<std::string, kExchangeCount> accounts{};  // by ExchangeId; empty: none
};

struct QuotedInstrument {
  CanonicalSymbol symbol;
  Market market = Market::kSpot;
  ExchangeId exchange = ExchangeId::kBinance;
  std::string account;
  Decimal spread_bps{};     // full bid/ask spread around the reference price
  Decimal quote_size{};     // base units per side
  Decimal max_inventory{};  // base units, either sign
  std::chrono::milliseconds refresh_rate{0};  // requotes on price moves at most this often
  // Optional (defaults in brackets): the ladder, the fair price and when quotes move.
  int levels = 1;                       // [1] price levels per side, 1..20
  Decimal level_step_bps{};             // [spread_bps / 2] between two levels of a side
  bool micro_price = false;             // [mid] fair: mid | micro
  Decimal skew_bps{};                   // [0] the center's shift at full inventory
  Decimal requote_bps{};                // [spread_bps / 4] a fair move that calls for requotes
  Decimal vol_multiplier{};             // [0] half-spread >= vol_multiplier x sigma
  std::chrono::milliseconds vol_interval{1000};  // [1s] between volatility samples
  int vol_samples = 60;                 // [60] EWMA span in samples
  Decimal shock_move{};                 // [0: off] fraction (0.005 = 0.5 %)
  std::chrono::milliseconds shock_window{1000};  // [1s]
  std::chrono::milliseconds shock_pause{5000};   // [5s]
  std::chrono::milliseconds stale_after{0};      // [0: off] no book update for this long
  int max_actions_per_second = 0;       // [0: none] places + cancels
};

struct MarketMakingRiskLimits {
  Decimal max_daily_loss{};      // quote currency
  Decimal max_position_value{};  // quote currency
  Decimal auto_stop_loss{};      // fraction of position value (0.02 = 2 %)
};

struct MarketMakingParams {
  std::vector<QuotedInstrument> instruments;
  MarketMakingRiskLimits risk_limits{};
};

struct TrendInstrument {
  CanonicalSymbol symbol;
  Market market = Market::kSpot;
  ExchangeId exchange = ExchangeId::kBinance;
  std::string account;
  std::chrono::milliseconds timeframe{0};  // bar length
  int fast_period = 0;                     // bars in the fast average; < slow_period
  int slow_period = 0;
  Decimal order_size{};    // base units per order
  Decimal max_position{};  // base units, either sign
  int leverage = 1;        // 1 on spot
};

struct TrendFollowingParams {
  std::vector<TrendInstrument> instruments;
};

// When a strategy may run (UTC): on the days in `days` (bit 0 Monday .. bit 6 Sunday), from
// `from` up to (not including) `to`, minutes after midnight. A window across midnight is written
// as two.
struct ScheduleWindow {
  std::uint8_t days = 0x7f;
  int from_minute = 0, to_minute = 0;
  friend bool operator==(const ScheduleWindow&, const ScheduleWindow&) = default;
};
// Inside any window of the schedule at `utc_ns`? (An empty schedule: always.)
[[nodiscard]] bool in_schedule(const std::vector<ScheduleWindow>& schedule, std::int64_t utc_ns) noexcept;

struct Strategy {
  StrategyId id{};  // dense, in file order
  std::string name;
  StrategyType type = StrategyType::kArbitrage;
  bool enabled = false;
  // Optional: outside every window the strategy is stopped, inside it is started (at each
  // window's edge, and when omsd starts); empty: no schedule.
  std::vector<ScheduleWindow> schedule;
  std::variant<ArbitrageParams, MarketMakingParams, TrendFollowingParams> params;
};

struct StrategiesConfig {
  std::vector<Strategy> strategies;  // strategies[i].id == StrategyId(i)
  Interner<StrategyId> ids;

  // The strategy of that name, or nullptr.
  [[nodiscard]] const Strategy* find(std::string_view name) const;
  [[nodiscard]] const Strategy& at(StrategyId id) const { return strategies.at(id.index()); }
};

// Parses and validates strategies.yaml text on its own (references to accounts and
// exchanges are checked by load_config_*). Throws ConfigError with all problems found.
[[nodiscard]] StrategiesConfig load_strategies_from_string(std::string_view text,
                                                           std::string_view filename);

}  // namespace oms::configs
