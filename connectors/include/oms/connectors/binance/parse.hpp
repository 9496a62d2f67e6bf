// Binance JSON parsing: the one reusable parser object and the error type shared by the
// market-data (market_data.hpp), user-data (user_data.hpp) and REST (rest_response.hpp)
// parsers.
//
// simdjson "ondemand" underneath: a message is copied once into a padded buffer that the
// parser owns and reuses (it only grows), so after warm-up parsing allocates nothing on the
// market-data path. Output goes into plain structs with exact Decimals; string views inside
// an output are not kept (text is copied into FixedStrings), so an output outlives the parse.
//
// Errors: malformed JSON, a missing required field, a wrong type, a decimal that does not
// fit a Decimal (1e-9, 1.7e29), a text longer than its field: ParseError naming the message kind and the
// field ("depthUpdate.U: missing"). On error the output struct is unspecified and must not be
// used; nothing else changes. Unknown fields are ignored.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms::binance {

struct ParseError {
  std::string message;  // "<kind>.<field>: <what>", e.g. "executionReport.q: missing"
  friend bool operator==(const ParseError&, const ParseError&) = default;
};

// Binance symbols are at most 20 characters; COIN-M deliveries add a suffix.
using VenueSymbol = FixedString<31>;

// Symbol -> instrument, supplied by the caller (from its instrument registry); nullopt for a
// symbol it does not know (an error naming the symbol where events are built).
using InstrumentLookup = std::function<std::optional<InstrumentId>(std::string_view symbol)>;

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

// The instrument for a venue symbol, or an error "<kind>.s: unknown symbol 'XYZ'".
[[nodiscard]] Result<InstrumentId, ParseError> lookup_instrument(const InstrumentLookup& lookup,
                                                                 std::string_view kind,
                                                                 std::string_view symbol);

}  // namespace oms::binance
