// Fuzz target: Binance exchangeInfo (the instruments and their filters omsd trades by), for
// each market on the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oms/connectors/binance/exchange_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const auto market : {oms::Market::kSpot, oms::Market::kUsdm, oms::Market::kCoinm})
    (void)oms::binance::parse_exchange_info(body, market);
  return 0;
}
