// Bybit v5 JSON parsing: the parser object and error type shared with the other venues
// (json_parser.hpp), and Bybit's symbol text.
#pragma once

#include "oms/connectors/json_parser.hpp"
#include "oms/messages/fixed_string.hpp"

namespace oms::bybit {

using ParseError = venue::ParseError;
using JsonParser = venue::JsonParser;

// Bybit symbols: "BTCUSDT", options "BTC-27DEC24-100000-C-USDT".
using VenueSymbol = FixedString<31>;

}  // namespace oms::bybit
