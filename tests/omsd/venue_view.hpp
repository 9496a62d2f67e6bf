// What venue-sim holds for one paper account, read the way a desk checks a venue: through our
// Binance connector with the account's paper key (REST only): every order of BTC/USDT (spot),
// the trades, the balances, the best bid/offer.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oms/connectors/binance/exchange_binance.hpp"

namespace oms::omsd::test {

struct VenueOrder {
  std::string status;  // our enum names ("filled", "canceled", ...)
  std::string cum_qty;
};
struct VenueTrade {
  std::string client_order_id;  // empty when the venue's trade list does not carry it
  std::string price, quantity, fee, fee_asset;
};

class VenueView {
 public:
  // entry: the paper-keys.json entry ("binance_main", "binance_main.usdm"); market: its
  // market (spot: BTC/USDT, usdm: BTC/USDT:USDT).
  VenueView(const std::filesystem::path& data_dir, int venue_port, const std::string& entry,
            Market market = Market::kSpot);
  ~VenueView();

  [[nodiscard]] std::map<std::string, VenueOrder> orders();  // by client order id
  [[nodiscard]] std::map<std::string, VenueTrade> trades();  // by trade id
  [[nodiscard]] std::map<std::string, std::pair<std::string, std::string>> balances();  // asset -> free, locked
  // Mid of BTCUSDT from the market's book ticker (0 when the book is empty).
  [[nodiscard]] Decimal mid();
  // USD-M: the BTCUSDT position's size (signed, one-way mode) and entry price as the venue says.
  [[nodiscard]] std::pair<Decimal, Decimal> position();
  // The trades as fills, in the venue's trade id order (for PnL), with their sides.
  [[nodiscard]] std::vector<FillReceived> fills();
  // A GTC limit order on BTCUSDT placed with the account's key straight at the venue (POST
  // order, signed here): one omsd never heard of. Throws with the venue's answer when refused.
  void place_limit(const std::string& client_order_id, Side side, const std::string& qty,
                   const std::string& price);
  // The client order ids of the account's open BTCUSDT orders, as the venue lists them.
  [[nodiscard]] std::vector<std::string> open_orders();

 private:
  std::unique_ptr<binance::BinanceVenue> venue_;
  InstrumentId btc_;
  Market market_;
  int port_;
  std::string ca_;
  std::string api_key_, api_secret_;
  Instrument btc_instrument_;
};

}  // namespace oms::omsd::test
