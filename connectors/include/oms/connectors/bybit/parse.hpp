// Bybit v5 JSON parsing: the one reusable parser object and the error type of the Bybit
// parsers (market_data.hpp).
//
// simdjson "ondemand" underneath, as for Binance (binance/parse.hpp): a message is copied once
// into a padded buffer that the parser owns and reuses (it only grows), so after warm-up
// parsing allocates nothing on the market-data path. Outputs are plain structs with exact
// Decimals; text is copied into FixedStrings, so an output outlives the parse.
//
// Errors: malformed JSON, a missing required field, a wrong type, a decimal that does not fit
// 1e-8 / int64, a text longer than its field: ParseError naming the message kind and the field
// ("orderbook.data.u: missing", "tickers.data.bid1Price: not a decimal number 'abc'"). On error
// the output struct is unspecified and must not be used. Unknown fields are ignored.
#pragma once

#include <memory>
#include <string>

#include "oms/messages/fixed_string.hpp"

namespace oms::bybit {

struct ParseError {
  std::string message;  // "<kind>.<field>: <what>", e.g. "publicTrade.data[0].p: missing"
  friend bool operator==(const ParseError&, const ParseError&) = default;
};

// Bybit symbols: "BTCUSDT", options "BTC-27DEC24-100000-C-USDT".
using VenueSymbol = FixedString<31>;

// Owns the simdjson parser and the padded input buffer; one per thread, reused for every
// message. Not thread-safe.
class JsonParser {
 public:
  JsonParser();
  ~JsonParser();
  JsonParser(const JsonParser&) = delete;
  JsonParser& operator=(const JsonParser&) = delete;
  JsonParser(JsonParser&&) noexcept;
  JsonParser& operator=(JsonParser&&) noexcept;

  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::bybit
