// Binance market data's two readers (private to connectors/src/binance; tests pin them):
// parse_market_data() tries scan_depth_update() first and reads with read_market_data() when
// the scan is not taken.
#pragma once

#include <string_view>

#include "oms/connectors/binance/market_data.hpp"

namespace oms::binance::detail {

// The fast path for the stream's most frequent message, a depthUpdate as Binance sends it
// (compact, with or without the combined-stream wrapper): one pass over the bytes, no DOM.
// It takes only the exact shape -- known keys once each, strings of plain ASCII without
// escapes, unsigned integers, levels of two decimal strings, nothing after the object -- and
// returns false on anything else (whitespace, another kind, an unknown or repeated key, a
// number as a JSON number, a bad decimal...) with `out` unspecified: the general reader then
// decides, and alone names errors. When it returns true, `out` is exactly what the general
// reader gives for the same text (market_data_scan_test holds the two equal on the recorded
// streams and on mutations of them).
[[nodiscard]] bool scan_depth_update(std::string_view json, MarketMessage& out);

// The general reader (simdjson on-demand): every kind, any JSON layout, errors naming the field.
[[nodiscard]] Result<MarketMessageKind, ParseError> read_market_data(JsonParser& parser,
                                                                     std::string_view json,
                                                                     MarketMessage& out);

// What both readers clear before they read (the level vectors keep their capacity).
void reset_message(MarketMessage& out);

}  // namespace oms::binance::detail
