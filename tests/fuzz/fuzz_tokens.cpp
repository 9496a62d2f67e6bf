// Fuzz target: the API's tokens file (clients, their tokens, accounts and rate limits).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oms/actors/gateway.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const oms::Directory directory = [] {
    oms::Directory d;
    for (const char* name : {"binance_main", "binance_spot_arb", "bybit_main", "okx_main", "upbit_main"})
      (void)d.accounts.intern(name);
    return d;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)oms::actors::parse_api_clients(text, "tokens.json", directory);
  return 0;
}
