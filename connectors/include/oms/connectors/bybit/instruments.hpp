// Bybit v5 instruments-info (GET /v5/market/instruments-info, spot and linear) -> Instruments
// with their rules. The venue's baseCoin / quoteCoin / settleCoin give the canonical symbol;
// nothing is guessed.
//
// Rules: tick from priceFilter (linear adds min/max price); spot lots: basePrecision is the
// step, minOrderQty..maxLimitOrderQty (maxOrderQty on older answers) for limit orders,
// maxMarketOrderQty for market orders, minOrderAmt / maxOrderAmt the notional bounds; linear
// lots: qtyStep, minOrderQty..maxOrderQty, maxMktOrderQty for market orders, minNotionalValue.
// status "Trading" is trading. Bybit's price-limit ratios (riskParameters) are not a band we
// apply here; the venue enforces them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"

namespace oms::bybit {

struct InstrumentsError {
  std::string message;  // "instruments-info: list[3] (ETHUSDT).priceFilter.tickSize: missing"
};

// An instrument the venue lists that we do not map (a linear delivery, a USDC perpetual whose
// symbol is not base + quote), with why: reported, never silently dropped.
struct SkippedInstrument {
  std::string venue_symbol;
  std::string reason;
};

struct InstrumentsPage {
  std::vector<Instrument> instruments;
  std::vector<SkippedInstrument> skipped;
  std::string next_page_cursor;  // empty: the last page
};

// Parses one page. market: kSpot (category spot) or kUsdm (category linear). A retCode other
// than 0 is an error quoting retCode and retMsg; a malformed value in a field we apply is an
// error naming the instrument and the field. Instrument ids are left invalid.
[[nodiscard]] Result<InstrumentsPage, InstrumentsError> parse_instruments_info(std::string_view body,
                                                                              Market market);

}  // namespace oms::bybit
