// Instruments and their exchange rules, and the one function that makes an order legal
// (rounded to tick and step) or rejects it with the exact reason, before it leaves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "oms/messages/decimal.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"
#include "oms/messages/symbols.hpp"

namespace oms {

enum class Side : std::uint8_t { kBuy = 0, kSell = 1 };
enum class OrderType : std::uint8_t {
  kLimit = 0,
  kMarket = 1,
  kStopLoss = 2,         // stop market
  kStopLossLimit = 3,
  kTakeProfit = 4,       // take-profit market
  kTakeProfitLimit = 5,
};
enum class TimeInForce : std::uint8_t { kGtc = 0, kIoc = 1, kFok = 2, kPostOnly = 3 };

[[nodiscard]] constexpr bool has_limit_price(OrderType t) noexcept {
  return t == OrderType::kLimit || t == OrderType::kStopLossLimit ||
         t == OrderType::kTakeProfitLimit;
}
[[nodiscard]] constexpr bool has_stop_price(OrderType t) noexcept {
  return t != OrderType::kLimit && t != OrderType::kMarket;
}

// Allowed limit prices around a reference: [reference * down, reference * up]; zero = none.
struct PriceBand {
  Decimal up, down;
};

// A venue's trading rules for one instrument. A zero Decimal / zero count means the venue
// does not impose that rule (Binance publishes "0.00000000" for "no limit").
struct InstrumentRules {
  // PRICE_FILTER
  Decimal tick_size, min_price, max_price;
  // LOT_SIZE (limit orders) and MARKET_LOT_SIZE (market orders; zero = same as LOT_SIZE)
  Decimal step_size, min_qty, max_qty;
  Decimal market_step_size, market_min_qty, market_max_qty;
  // MIN_NOTIONAL / NOTIONAL
  Decimal min_notional, max_notional;
  bool min_notional_applies_to_market = true;
  bool max_notional_applies_to_market = false;
  // PERCENT_PRICE (both sides alike) or PERCENT_PRICE_BY_SIDE (buy = bid, sell = ask)
  PriceBand bid_band, ask_band;
  // MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS (open orders on this instrument, per account)
  std::uint32_t max_num_orders = 0;
  std::uint32_t max_num_algo_orders = 0;
};

struct Instrument {
  InstrumentId id;
  ExchangeId exchange = ExchangeId::kBinance;
  Market market = Market::kSpot;
  std::string venue_symbol;  // "BTCUSDT"
  CanonicalSymbol symbol;    // BTC/USDT
  bool trading = true;       // venue status TRADING
  InstrumentRules rules;
};

// What the filters look at in an order.
struct OrderShape {
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  Decimal price;       // limit price; zero for market orders
  Decimal stop_price;  // trigger price for stop / take-profit; zero otherwise
  Decimal quantity;
};

// Market state the filters need: the band's reference (Binance spot: 5-min average price;
// USD-M: mark price) and how many orders the account has open on the instrument.
struct FilterContext {
  std::optional<Decimal> reference_price;  // band and market-notional checks need it
  std::uint32_t open_orders = 0;
  std::uint32_t open_algo_orders = 0;
};

// Rejections by filter, range 31xx (order validation).
enum class FilterCode : std::uint16_t {
  kNotTrading = 3101,
  kNonPositiveQuantity = 3102,
  kNonPositivePrice = 3103,
  kPriceBelowMin = 3104,      // PRICE_FILTER minPrice
  kPriceAboveMax = 3105,      // PRICE_FILTER maxPrice
  kQuantityBelowMin = 3106,   // LOT_SIZE / MARKET_LOT_SIZE minQty (also: rounds to zero)
  kQuantityAboveMax = 3107,   // LOT_SIZE / MARKET_LOT_SIZE maxQty
  kNotionalBelowMin = 3108,   // MIN_NOTIONAL
  kNotionalAboveMax = 3109,   // NOTIONAL maxNotional
  kPriceAboveBand = 3110,     // PERCENT_PRICE multiplierUp
  kPriceBelowBand = 3111,     // PERCENT_PRICE multiplierDown
  kTooManyOrders = 3112,      // MAX_NUM_ORDERS
  kTooManyAlgoOrders = 3113,  // MAX_NUM_ALGO_ORDERS
  kArithmetic = 3114,         // a product overflowed
  kMissingPrice = 3115,       // a limit order without a price, or a stop without a trigger
  kPriceOffTick = 3116,       // PRICE_FILTER tickSize: the price is not a multiple of the tick
  kQuantityOffStep = 3117,    // LOT_SIZE stepSize: the quantity is not a multiple of the step
};

// The exact reason: which filter, the value it saw and the limit it broke.
struct FilterReject {
  FilterCode code;
  Decimal value;
  Decimal limit;
  // "3106 LOT_SIZE: quantity 0.00001 < minQty 0.0001"
  [[nodiscard]] std::string describe() const;
};

// Rounding policy: a buy's price rounds down to the tick (never pay more than asked), a
// sell's up (never sell for less); quantities round down to the step (never more than
// asked). Then every filter is checked on the rounded order; the first one broken is
// returned. The caller compares the result with its order to see whether anything moved.
[[nodiscard]] Result<OrderShape, FilterReject> apply_filters(const OrderShape& order,
                                                            const Instrument& instrument,
                                                            const FilterContext& ctx) noexcept;

// The venue's view: nothing is rounded. The order passes as it is, or the first filter it
// breaks is returned -- a price apply_filters would move is kPriceOffTick (value: the price,
// limit: the tick), a quantity it would move kQuantityOffStep (value: the quantity, limit: the
// step in force: MARKET_LOT_SIZE's for a market order where the venue sets one).
[[nodiscard]] Result<Unit, FilterReject> check_filters(const OrderShape& order,
                                                       const Instrument& instrument,
                                                       const FilterContext& ctx) noexcept;

}  // namespace oms
