// Binance exchangeInfo (GET /api/v3/exchangeInfo, /fapi/v1/exchangeInfo) -> Instruments with
// their rules. The venue's own base/quote fields give the canonical symbol; nothing is guessed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"

namespace oms::binance {

struct ExchangeInfoError {
  std::string message;  // "symbols[12] (ETHBTC).filters[0] PRICE_FILTER.tickSize: ..."
};

// Parses the body. market is kSpot for /api/v3 and kUsdm for /fapi/v1 (kCoinm for /dapi/v1).
// Instrument ids are left invalid: they are interned where the instruments are registered.
// Filters we do not apply (ICEBERG_PARTS, MAX_POSITION, TRAILING_DELTA...) are skipped;
// a malformed value in a filter we apply is an error naming the symbol and the field.
[[nodiscard]] Result<std::vector<Instrument>, ExchangeInfoError> parse_exchange_info(
    std::string_view body, Market market);

}  // namespace oms::binance
