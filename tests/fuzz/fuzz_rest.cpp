// Fuzz target: every Binance REST response parser on the same input.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "oms/connectors/binance/rest_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static oms::binance::JsonParser parser;
  static oms::binance::MarketMessage scratch;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  oms::binance::OrderInfo order;
  std::vector<oms::binance::OrderInfo> orders;
  std::vector<oms::binance::AssetBalance> balances;
  std::vector<oms::binance::FuturesAssetBalance> futures_balances;
  std::vector<oms::binance::PositionRisk> positions;
  std::vector<oms::binance::AccountTrade> trades;
  (void)oms::binance::parse_error_body(parser, json);
  (void)oms::binance::parse_order(parser, json, order);
  (void)oms::binance::parse_orders(parser, json, orders);
  (void)oms::binance::parse_spot_account(parser, json, balances);
  (void)oms::binance::parse_futures_balances(parser, json, futures_balances);
  (void)oms::binance::parse_position_risk(parser, json, positions);
  (void)oms::binance::parse_account_trades(parser, json, trades);
  (void)oms::binance::parse_depth_snapshot(parser, json, scratch);
  return 0;
}
