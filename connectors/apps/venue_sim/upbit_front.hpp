// venue-sim's Upbit front: REST under /v1 (Upbit's paths, its {"error":{"name","message"}}
// refusals and HTTP statuses, JWT authentication, the Remaining-Req header) and the WebSockets
// /websocket/v1 (orderbook, trade, ticker) and /websocket/v1/private (myOrder, myAsset), on the
// same pure matching core as the other fronts (oms::sim::Venue, one spot venue).
//
// Authentication (Upbit's "인증 가능한 요청 만들기"): Authorization: Bearer <JWT>, HS256 or HS512
// signed with the secret key text, payload {access_key, nonce[, query_hash, query_hash_alg]}.
// query_hash = hex SHA-512 of the parameters as an UNENCODED query string: a GET / DELETE's
// query decoded ("states[]=done&states[]=cancel"), a POST's JSON fields in body order rendered the
// same way (arrays as key[]=v). venue-sim also accepts the hash of the query exactly as sent on
// the wire (ccxt hashes its urlencoded query; both agree for plain values). A nonce is accepted
// once per access key. Refusals, HTTP 401: jwt_verification (no / malformed token, bad signature,
// an algorithm other than HS256 / HS512), invalid_access_key, expired_access_key (the key's
// expires_ms passed), invalid_query_payload (query_hash missing or wrong), nonce_used.
//
// Fees: Upbit's KRW market, 0.05 % maker and taker (upbit.com fee page, 2025), charged in the
// quote currency on both sides: a bid pays price x volume plus the fee (locked up front as
// reserved_fee), an ask receives the funds less the fee. The core runs at zero fees; this front
// debits each fill's fee from the quote balance and shows the bids' unpaid reserved fee as
// locked.
//
// Orders (POST /v1/orders): side bid | ask; ord_type limit (price, volume; time_in_force ioc /
// fok / post_only), price (a market bid: price = the quote total to spend), market (a market
// ask: volume), best (time_in_force ioc or fok required: a bid spends `price` at the best ask, an
// ask sells `volume` at the best bid); identifier unique per account for ever; smp_type
// cancel_maker / cancel_taker (reduce refused by name). Price ticks follow the quote market's
// band table (upbit::tick_size): a limit price off its band's tick is invalid_price_bid / _ask;
// a total under the market's minimum (5000 KRW) under_min_total_bid / _ask.
//
// Where venue-sim differs (documented, not refused): reserved orders (watch), withdrawals,
// deposits, candles, and /v1/ticker/all are not served (404 naming them); one access key per
// account, no IP allow-list, keys never expire unless given expires_ms; the 24 h ticker figures
// count the trades venue-sim saw since it started.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "front.hpp"  // FaultSpec, LatencyModel
#include "liquidity_sink.hpp"
#include "oms/connectors/net/https_server.hpp"

namespace oms::venue_sim {

// One Upbit market ("KRW-BTC": quote first). venue.rules: the core's (tick 1e-9, volumes 1e-8: the band tick
// is checked by the front); min_total: the quote market's minimum order amount.
struct UpbitMarket {
  Instrument venue;  // venue_symbol = the market code
  Decimal min_total;
  std::string korean_name, english_name;
  bool warning = false;  // market_warning CAUTION
};

struct UpbitAccountSpec {
  std::string name;
  std::string access_key, secret_key;
  // Upbit's KRW market: 0.05 % (maker and taker alike).
  Decimal maker = Decimal::from_raw(500'000), taker = Decimal::from_raw(500'000);
  std::vector<std::pair<std::string, Decimal>> balances;  // currency, amount
  std::int64_t expires_ms = 0;  // 0: never (an API key's expiry; expired_access_key after it)
};

// Upbit's request limits (docs "요청 수 제한"): the order group 8 per second per account, the
// batch cancel (order-cancel-all) 1 per 2 s, the other exchange calls (default) 30 per second;
// quotation groups 10 per second. `lifted`: benchmarks only, never 429.
struct UpbitRateLimits {
  // Requests refused 429 that go on: past block_after_429s of them within 10 s, every request
  // is answered HTTP 418 (Upbit's temporary block of the IP or account) for block_s, the block's
  // length said in the error message. Not enforced when lifted.
  std::uint32_t block_after_429s = 10;
  std::uint32_t block_s = 60;
  bool lifted = false;
};

struct UpbitFrontConfig {
  std::vector<UpbitMarket> markets;
  std::vector<UpbitAccountSpec> accounts;
  std::uint64_t seed = 1;
  // Applied to Upbit: error_5xx (HTTP 500, nothing executed), lost_ack, delay_ack, timeout (order
  // endpoints), drop_new (POST /v1/orders), drop_ws, duplicate, reorder (myOrder / myAsset),
  // ban_after / ban_s (the ban_after-th POST /v1/orders blocks: HTTP 418 for ban_s seconds).
  FaultSpec faults;
  LatencyModel latency;
  UpbitRateLimits limits;
  std::function<std::int64_t()> clock_ms;  // empty: the system clock
};

class UpbitFront : public LiquiditySink {
 public:
  explicit UpbitFront(UpbitFrontConfig cfg);  // throws std::invalid_argument naming what is wrong
  ~UpbitFront() override;
  UpbitFront(const UpbitFront&) = delete;
  UpbitFront& operator=(const UpbitFront&) = delete;

  // True for the targets this front answers (/v1/...).
  [[nodiscard]] static bool serves(std::string_view target) noexcept;
  // Registers /websocket/v1 and /websocket/v1/private on server (before start()).
  void attach(net::HttpsServer& server);
  // One REST request, executed now; answered after the latency model's delay. Status 0: drop
  // the connection instead (lost_ack, timeout, drop_new). Thread-safe.
  net::DelayedResponse handle(const net::HttpRequest& req);

  // Background liquidity (market kSpot; symbol = the market code "KRW-BTC"; others ignored).
  void on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) override;
  void on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) override;
  void on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) override;

  [[nodiscard]] std::int64_t now_ms() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// KRW-BTC, KRW-ETH and KRW-USDT (min total 5000 KRW, volumes at 1e-8).
std::vector<UpbitMarket> default_upbit_markets();
// One market: code "QUOTE-BASE" with the quote market's minimum (upbit::min_order_amount).
UpbitMarket upbit_market(std::string_view code, std::string korean_name = {}, std::string english_name = {});
// The core's instruments of a list (FollowFeed, the random walk); tick 1e-9.
std::vector<Instrument> core_instruments(const std::vector<UpbitMarket>& list);

// A paper account: 500,000,000 KRW, 1 BTC, 10 ETH, 10000 USDT.
UpbitAccountSpec default_upbit_account(std::string name, std::string access_key, std::string secret_key);

}  // namespace oms::venue_sim
