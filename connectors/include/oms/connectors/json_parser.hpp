// The JSON parsing shared by the venue parsers that came after Binance's (Bybit, OKX): the one
// reusable parser object and the error type.
//
// simdjson "ondemand" underneath: a message is copied once into a padded buffer that the parser
// owns and reuses (it only grows), so after warm-up parsing allocates nothing on the market-data
// path. Outputs are plain structs with exact Decimals; text is copied into FixedStrings, so an
// output outlives the parse.
//
// Errors: malformed JSON, a missing required field, a wrong type, a decimal that does not fit, a
// text longer than its field: ParseError naming the message kind and the field
// ("orderbook.data.u: missing", "books.data[0].checksum: expected an integer"). On error the
// output struct is unspecified and must not be used. Unknown fields are ignored.
#pragma once

#include <memory>
#include <string>

namespace oms::venue {

struct ParseError {
  std::string message;  // "<kind>.<field>: <what>", e.g. "publicTrade.data[0].p: missing"
  friend bool operator==(const ParseError&, const ParseError&) = default;
};

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

}  // namespace oms::venue
