#include "venue_view.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "oms/connectors/binance/exchange_info.hpp"
#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/binance/rest_request.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/connectors/net/https_client.hpp"
#include "oms/messages/describe.hpp"

namespace oms::omsd::test {

using namespace std::chrono_literals;

namespace {
nlohmann::json get_json(int port, const std::string& ca, const std::string& target) {
  net::HttpsClient client({"127.0.0.1", static_cast<std::uint16_t>(port)}, net::TlsClientConfig{ca});
  auto r = client.request(net::HttpRequest{"GET", target, {}, {}, 10s});
  if (!r || r->status != 200) throw std::runtime_error("venue GET " + target + " failed");
  return nlohmann::json::parse(r->body);
}
}  // namespace

VenueView::VenueView(const std::filesystem::path& data_dir, int venue_port, const std::string& entry,
                     Market market)
    : market_(market), port_(venue_port), ca_((data_dir / "tls" / "ca.pem").string()) {
  std::ifstream in(data_dir / "paper-keys.json");
  const auto keys = nlohmann::json::parse(in);
  const auto& k = keys.at(entry);
  binance::BinanceConfig c;
  c.market = market;
  c.rest = {"127.0.0.1", static_cast<std::uint16_t>(venue_port)};
  c.stream = c.rest;
  if (market == Market::kUsdm) c.stream_path_prefix = "/fstream";
  c.tls.ca_file = ca_;
  c.user_data_stream = false;
  const auto info = get_json(venue_port, ca_, market == Market::kSpot ? "/api/v3/exchangeInfo"
                                                                      : "/fapi/v1/exchangeInfo")
                        .dump();
  auto instruments = binance::parse_exchange_info(info, market);
  if (!instruments) throw std::runtime_error(instruments.error().message);
  std::uint32_t next = 0;
  for (auto& i : *instruments) {
    i.id = InstrumentId(next++);
    if (i.venue_symbol == "BTCUSDT") btc_ = i.id;
  }
  c.instruments = *instruments;
  // The limits the venue publishes (a test may raise venue-sim's), not Binance's defaults.
  if (auto limits = binance::parse_rate_limits(info); limits && !limits->empty()) c.rate_limits = std::move(*limits);
  for (const auto& i : *instruments) {
    if (i.id == btc_) btc_instrument_ = i;
  }
  api_key_ = k.at("api_key").get<std::string>();
  api_secret_ = k.at("api_secret").get<std::string>();
  binance::BinanceAccountConfig a;
  a.account = AccountId(0);
  a.credentials.api_key = std::move(secrets::SecureBuffer::copy_of(k.at("api_key").get<std::string>())).value();
  a.credentials.api_secret = std::move(secrets::SecureBuffer::copy_of(k.at("api_secret").get<std::string>())).value();
  c.accounts.push_back(std::move(a));
  venue_ = std::make_unique<binance::BinanceVenue>(std::move(c));
  if (auto r = venue_->start(); !r) throw std::runtime_error("venue view: " + r.error().message);
}

VenueView::~VenueView() {
  if (venue_) venue_->stop();
}

std::map<std::string, VenueOrder> VenueView::orders() {
  auto r = venue_->account(0).all_orders(btc_, 0);
  if (!r) throw std::runtime_error("allOrders: " + r.error().message);
  std::map<std::string, VenueOrder> out;
  for (const auto& o : *r) {
    out[o.client_order_id.str()] = {std::string(enum_name(o.status)), o.cum_qty.to_string()};
  }
  return out;
}

void VenueView::place_limit(const std::string& client_order_id, Side side, const std::string& qty,
                            const std::string& price) {
  SubmitOrder o;
  o.instrument = btc_;
  o.side = side;
  o.order_type = OrderType::kLimit;
  o.tif = TimeInForce::kGtc;
  o.quantity = *Decimal::parse(qty);
  o.price = *Decimal::parse(price);
  (void)o.client_order_id.assign(client_order_id);
  auto req = market_ == Market::kSpot ? binance::spot_new_order(btc_instrument_, o)
                                      : binance::usdm_new_order(btc_instrument_, o);
  if (!req) throw std::runtime_error("place_limit: " + req.error().message);
  auto signer = signing::BinanceSigner::hmac(api_secret_);
  if (!signer) throw std::runtime_error("place_limit: signer");
  binance::Credentials cr{api_key_, &*signer, 5'000};
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto http = binance::render(*req, cr, now_ms);
  if (!http) throw std::runtime_error("place_limit: " + http.error().message);
  http->timeout = 10s;
  net::HttpsClient client({"127.0.0.1", static_cast<std::uint16_t>(port_)}, net::TlsClientConfig{ca_});
  auto r = client.request(*http);
  if (!r) throw std::runtime_error("place_limit: " + r.error().message);
  if (r->status != 200) throw std::runtime_error("place_limit: HTTP " + std::to_string(r->status) + " " + r->body);
}

std::vector<std::string> VenueView::open_orders() {
  auto r = venue_->account(0).open_orders(btc_);
  if (!r) throw std::runtime_error("openOrders: " + r.error().message);
  std::vector<std::string> out;
  for (const auto& o : *r) out.push_back(o.client_order_id.str());
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, VenueTrade> VenueView::trades() {
  auto r = venue_->account(0).my_trades(btc_, 0);
  if (!r) throw std::runtime_error("myTrades: " + r.error().message);
  std::map<std::string, VenueTrade> out;
  for (const auto& t : *r) {
    out[t.trade_id.str()] = {t.client_order_id.str(), t.price.to_string(), t.quantity.to_string(),
                             t.fee.to_string(), t.fee_asset.str()};
  }
  return out;
}

std::map<std::string, std::pair<std::string, std::string>> VenueView::balances() {
  auto r = venue_->account(0).balances();
  if (!r) throw std::runtime_error("account: " + r.error().message);
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const auto& b : *r) out[b.asset.str()] = {b.free.to_string(), b.locked.to_string()};
  return out;
}

Decimal VenueView::mid() {
  const auto j = get_json(port_, ca_, market_ == Market::kSpot
                                          ? "/api/v3/ticker/bookTicker?symbol=BTCUSDT"
                                          : "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT");
  const auto bid = Decimal::parse(j.at("bidPrice").get<std::string>());
  const auto ask = Decimal::parse(j.at("askPrice").get<std::string>());
  if (!bid || !ask || !bid->is_positive() || !ask->is_positive()) return Decimal{};
  return Decimal::from_raw((bid->raw() + ask->raw()) / 2);
}

std::pair<Decimal, Decimal> VenueView::position() {
  auto r = venue_->account(0).positions();
  if (!r) throw std::runtime_error("positionRisk: " + r.error().message);
  for (const auto& p : *r) {
    if (p.instrument == btc_ && p.position_side == PositionSide::kBoth) return {p.size, p.entry_price};
  }
  return {};
}

std::vector<FillReceived> VenueView::fills() {
  auto r = venue_->account(0).my_trades(btc_, 0);
  if (!r) throw std::runtime_error("myTrades: " + r.error().message);
  auto out = std::move(r).value();
  std::sort(out.begin(), out.end(), [](const FillReceived& a, const FillReceived& b) {
    return std::stoull(a.trade_id.str()) < std::stoull(b.trade_id.str());
  });
  return out;
}

}  // namespace oms::omsd::test
