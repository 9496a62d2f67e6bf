// Upbit's markets and trading rules: the price-band tick table of each quote market, and
// GET /v1/market/all (+ GET /v1/orderbook/instruments when given) -> our Instruments.
//
// Tick (order price unit), Upbit's published tables:
//   KRW (since 2025-07-31): >= 1,000,000: 1,000 | >= 500,000: 500 | >= 100,000: 100 |
//       >= 50,000: 50 | >= 10,000: 10 | >= 5,000: 5 | >= 100: 1 | >= 10: 0.1 | >= 1: 0.01 |
//       >= 0.1: 0.001 | >= 0.01: 0.0001 | >= 0.001: 0.00001 | >= 0.0001: 0.000001 |
//       >= 0.00001: 0.0000001 | below: 0.00000001
//   USDT (since 2024-08-19): >= 10: 0.01 | >= 1: 0.001 | >= 0.1: 0.0001 | >= 0.01: 0.00001 |
//       >= 0.001: 0.000001 | >= 0.0001: 0.0000001 | below: 0.00000001
//   BTC: 0.00000001 at every price.
// Upbit also sets ticks per pair (USDT/KRW, USDC/KRW had their own 1,000-10,000 KRW band);
// /v1/orderbook/instruments gives each pair's current tick_size and wins over the table.
//
// Minimum order amount (min_notional): 5,000 KRW, 0.00005 BTC, 0.5 USDT; a BTC-market order is
// at most 10 BTC (max_notional). Volumes have 8 decimals (step 0.00000001). Markets quoted in
// anything else (Upbit's SGD / IDR / THB regional markets) are skipped with the reason.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/upbit/rest_request.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"

namespace oms::upbit {

// The order price unit of a price in a quote market ("KRW", "BTC", "USDT"). Error for a price
// that is not positive or a quote market without a table here.
[[nodiscard]] Result<Decimal, RequestError> tick_size(std::string_view quote, Decimal price);
// The minimum order amount (in the quote currency) of a quote market; error as above.
[[nodiscard]] Result<Decimal, RequestError> min_order_amount(std::string_view quote);

struct InstrumentsError {
  std::string message;  // "market/all: [3] (KRW-ETH).market: missing"
};

struct SkippedMarket {
  std::string market;
  std::string reason;  // "quote SGD: a regional market (rules not known here)"
};

struct UpbitInstrument {
  Instrument instrument;  // exchange kUpbit, market kSpot; id left invalid
  // rules.tick_size: the pair's tick from /v1/orderbook/instruments (tick_from_venue), else the
  // BTC market's single tick, else zero. price_banded (KRW, USDT markets): the tick follows the
  // price, so the venue's tick holds while the price stays in its band -- round each order with
  // tick_size(quote, price) (or a fresh instruments answer).
  bool tick_from_venue = false;
  bool price_banded = false;
  // Investment warning (market_warning CAUTION, or market_event.warning): still trading, noted.
  bool warning = false;
  // Any caution flag of market_event.caution (price swings, volume surge, ...): noted.
  bool caution = false;
  std::string english_name;
};

struct MarketsPage {
  std::vector<UpbitInstrument> instruments;
  std::vector<SkippedMarket> skipped;
};

// market_all: the /v1/market/all answer (with or without is_details). instruments: the
// /v1/orderbook/instruments answer, or empty. A malformed item is an error naming its index and
// field; an instruments entry for a market the list does not have is ignored; a tick_size that
// is not a positive decimal at 1e-9 is an error.
[[nodiscard]] Result<MarketsPage, InstrumentsError> parse_markets(std::string_view market_all,
                                                                  std::string_view instruments = {});

}  // namespace oms::upbit
