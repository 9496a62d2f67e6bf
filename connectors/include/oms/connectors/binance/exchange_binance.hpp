// Binance Spot (/api/v3) and USD-M futures (/fapi) behind the Exchange interface.
//
// A BinanceVenue is one venue + market: its REST origin and stream origin, one HTTPS
// keep-alive pool, one RateLimiter (the IP's REQUEST_WEIGHT buckets plus ORDERS buckets per
// account), the server-time offset, the instruments and the order lanes (one thread per pooled
// connection running its share of the accounts' order jobs). It holds one Exchange per account
// (keys, signer, ORDERS buckets, user-data stream, its queue of order jobs): switching account is
// an index (account(i)). Classes BinanceSpot / BinanceUsdm (src/binance/exchange_internal.hpp) implement
// the market differences; everything else is shared.
//
//   time:        GET /api/v3/time (/fapi/v1/time) at start() and every time_sync_interval;
//                timestamps = local clock + offset; recvWindow from the config.
//   rate limits: every request is admitted by the RateLimiter BEFORE it leaves (wait when the
//                budget frees within max_wait_ms, else refused: kRateLimited); every response's
//                X-MBX-USED-WEIGHT-* / X-MBX-ORDER-COUNT-* headers, 429 Retry-After and 418 feed
//                it back. A 418 calls on_alert.
//   user data:   listenKey POST at start, PUT every listen_key_keepalive (30 min), a new key and a
//                new stream when the venue says it expired; the stream reconnects by itself.
// No Asio/Beast in this header (oms_net's interfaces only).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/binance/rest_response.hpp"
#include "oms/connectors/exchange.hpp"
#include "oms/connectors/net/https_client.hpp"
#include "oms/connectors/net/tls.hpp"
#include "oms/connectors/rate_limits.hpp"
#include "oms/connectors/secrets/secret_store.hpp"

namespace oms::binance {

struct BinanceAccountConfig {
  AccountId account;
  secrets::ApiCredentials credentials;  // api_key + api_secret (HMAC) or private_key (PEM)
  std::string name;  // the account's name, for messages (empty: its id)
};

struct BinanceConfig {
  Market market = Market::kSpot;
  net::Origin rest{"api.binance.com", 443};        // fapi.binance.com for USD-M
  net::Origin stream{"stream.binance.com", 9443};  // fstream.binance.com:443 for USD-M
  // Before /ws/<listenKey> and /stream?streams=...: empty for Binance; "/fstream" for USD-M on
  // a venue-sim that serves both markets' streams on one origin.
  std::string stream_path_prefix;
  net::TlsClientConfig tls;                        // ca_file: tests trust their own CA
  std::uint32_t recv_window_ms = 5'000;
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds time_sync_interval{10 * 60'000};
  std::chrono::milliseconds listen_key_keepalive{30 * 60'000};
  // At start, once the user-data stream is open: the account's open orders, and its orders and
  // trades of this last stretch, are asked for and reported (an order another client placed
  // while omsd was down becomes an external order; a fill of ours missed is kept). Zero: not.
  std::chrono::milliseconds start_catch_up{60 * 60'000};
  std::chrono::milliseconds ws_ping_interval{20'000};
  std::size_t pool_size = 2;
  // Requests an account may have queued for its order lane: past it a new order (or a batch) is
  // rejected unsent (code 3161, naming the account and the bound) and a status query is skipped
  // (the engine's ack timer asks again, later); cancels and amends are always queued.
  std::size_t max_queued_requests = 256;
  // all_orders / my_trades: one page of the most recent records when that holds all asked (not
  // full; USD-M's covers 7 days), else a walk over [since, now] in the windows Binance accepts
  // (24 hours on spot, 7 days on USD-M), at most 91 days back (older is said in the log),
  // `history_page_limit` records a page (Binance's maximum); a full page's window is split in two
  // and asked again, a full page in one millisecond goes on by id.
  std::uint32_t history_page_limit = 1'000;
  std::vector<RateLimitRule> rate_limits;  // empty: default_rate_limits(market)
  RateLimitConfig rate_limit_config;
  std::vector<Instrument> instruments;  // ids from the caller's registry
  std::vector<BinanceAccountConfig> accounts;
  bool user_data_stream = true;                    // false: REST only (no listenKey, no stream)
  std::function<void(std::string_view)> on_alert;  // 418 ban, listenKey lost; never a secret
  // New orders' origin-to-socket latency (send_latency.hpp); null: not recorded.
  std::shared_ptr<SendLatency> latency;
};

// The venue's published limits (exchangeInfo rateLimits, 2025): spot REQUEST_WEIGHT 6000/min,
// ORDERS 100/10s and 200000/day; USD-M REQUEST_WEIGHT 2400/min, ORDERS 300/10s and 1200/min.
[[nodiscard]] std::vector<RateLimitRule> default_rate_limits(Market market);

class BinanceVenue {
 public:
  // Throws std::runtime_error (startup edge) when the CA file cannot be loaded or a key cannot
  // be used for signing; the message names the account, never the key.
  explicit BinanceVenue(BinanceConfig config);
  ~BinanceVenue();  // stop()
  BinanceVenue(const BinanceVenue&) = delete;
  BinanceVenue& operator=(const BinanceVenue&) = delete;

  // Syncs the clock with the venue and starts the maintenance thread (time sync, listenKey
  // keepalive). Accounts are started one by one through account(i).start(sink).
  [[nodiscard]] ExchangeResult<Unit> start();
  void stop();  // stops every account, the market data and the maintenance thread

  [[nodiscard]] std::size_t account_count() const noexcept;
  [[nodiscard]] Exchange& account(std::size_t index);
  [[nodiscard]] std::optional<std::size_t> account_index(AccountId account) const noexcept;
  // Key rotation: account(index) signs every request from now on with `credentials` (thread-safe
  // against the order lanes, the streams and the engine's shard signing; the old key's buffer is
  // wiped). An error text naming the account when the key cannot sign (the old one stays).
  [[nodiscard]] std::optional<std::string> replace_credentials(std::size_t index,
                                                               secrets::ApiCredentials credentials);

  // GET time now; the offset (venue - local, ms) used for every timestamp from now on.
  [[nodiscard]] ExchangeResult<std::int64_t> sync_time();
  [[nodiscard]] std::int64_t time_offset_ms() const noexcept;
  // The budget used in the current window (tests, metrics): see RateLimiter::used.
  [[nodiscard]] std::uint32_t used(RateLimitType type, std::string_view suffix,
                                   std::size_t account_index) const;
  // When the venue's 418 ban of this connection's IP ends (0: none seen; health).
  [[nodiscard]] TimeNs banned_until_ns() const;
  // The orders the account's order buckets let pass now (RateLimiter::orders_left).
  [[nodiscard]] std::uint32_t orders_left(std::size_t account_index) const;

  // ---- wallet transfers (/sapi, on the spot origin; signed with account(index)'s key) --------
  // Synchronous, on the caller's thread (never an order lane). Errors as every call's:
  // kVenueRejected with the venue's code (-4111: clientTranId already used), kMaybeSent when
  // the answer was lost (ask with the history calls before sending again).
  [[nodiscard]] ExchangeResult<TransferRecord> wallet_transfer(std::size_t index,
                                                               const WalletTransfer& t);
  [[nodiscard]] ExchangeResult<TransferRecord> sub_account_transfer(std::size_t index,
                                                                    const SubAccountTransfer& t);
  [[nodiscard]] ExchangeResult<std::vector<TransferRecord>> wallet_transfer_history(
      std::size_t index, Market from, Market to, const HistoryQuery& q = {});
  [[nodiscard]] ExchangeResult<std::vector<TransferRecord>> sub_account_transfer_history(
      std::size_t index, const SubAccountTransferQuery& q);

  struct Shared;  // src/binance/exchange_internal.hpp

 private:
  std::unique_ptr<Shared> shared_;
};

}  // namespace oms::binance
