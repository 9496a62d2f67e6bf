// Upbit's figures past Decimal's 9 decimals (private to connectors/src/upbit): fees, balances and
// average prices arrive as doubles or strings with up to 20 decimals ("22.467660028283017",
// "1386929.37231066771348207123", "1.2E-9"); they are rounded the safe way for each (see
// private_data.hpp), exactly from the text. ISO times of the REST answers into nanoseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oms/messages/decimal.hpp"
#include "oms/messages/envelope.hpp"

namespace oms::upbit::detail {

// text (a decimal, "-0.5", "9.9E-7") rounded to 1e-9 with mode (kUp: away from zero, kDown:
// toward zero, kHalfEven); rounded = whether digits were cut that were not zeros. nullopt when
// text is not a decimal or does not fit.
std::optional<Decimal> round_text(std::string_view text, Rounding mode, bool& rounded);

// "2019-01-04T13:48:09+09:00" (Upbit's created_at; also "Z" or fractional seconds) -> ns since
// the epoch; nullopt when malformed.
std::optional<TimeNs> iso_time(std::string_view text);

// The quote currency of a market code: "KRW" of "KRW-BTC"; empty when there is no '-'.
inline std::string_view quote_of(std::string_view code) {
  const auto dash = code.find('-');
  return dash == std::string_view::npos ? std::string_view{} : code.substr(0, dash);
}

}  // namespace oms::upbit::detail
