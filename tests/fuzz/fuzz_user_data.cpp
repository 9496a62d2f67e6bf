// Fuzz target: Binance user-data parsing and its mapping into order/account events.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "oms/connectors/binance/user_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static oms::binance::JsonParser parser;
  static oms::binance::UserDataMessage msg;
  static std::vector<oms::EventPayload> events;
  static const oms::binance::InstrumentLookup lookup =
      [](std::string_view s) -> std::optional<oms::InstrumentId> {
    if (s == "BTCUSDT") return oms::InstrumentId{1};
    return std::nullopt;
  };
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const auto r = oms::binance::parse_user_data(parser, json, msg);
  if (!r) return 0;
  events.clear();
  switch (*r) {
    case oms::binance::UserDataKind::kExecutionReport:
    case oms::binance::UserDataKind::kOrderTradeUpdate:
      (void)oms::binance::to_events(msg.order, oms::AccountId{1}, oms::InstrumentId{1}, events);
      break;
    case oms::binance::UserDataKind::kAccountPosition:
      oms::binance::to_balance_events(msg.account_position, oms::AccountId{1}, oms::Market::kSpot,
                                      events);
      break;
    case oms::binance::UserDataKind::kAccountUpdate:
      (void)oms::binance::to_account_events(msg.account_update, oms::AccountId{1},
                                            oms::Market::kUsdm, lookup, events);
      break;
    default: break;
  }
  return 0;
}
