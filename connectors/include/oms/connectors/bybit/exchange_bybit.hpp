// Bybit v5 (unified trading account; spot and linear USDT perpetuals) behind the Exchange
// interface.
//
// A BybitVenue is one venue + market (category spot or linear): its REST origin, its public
// and private WebSocket origins, one HTTPS keep-alive pool, the server-time offset, the
// instruments, and order lanes (a few threads running every account's order jobs, each
// account's in the order given). It holds one Exchange per account: the unified account's key
// trades both categories, one BybitVenue per category uses it.
//
//   time:        GET /v5/market/time at start() and every time_sync_interval; timestamps =
//                local clock + offset; X-BAPI-RECV-WINDOW from the config.
//   rate limits: the order endpoints are limited per account (UID) and endpoint; an account's
//                orders pass a local bucket (orders_per_second) before they leave, and every
//                answer's X-Bapi-Limit-Status / X-Bapi-Limit-Reset-Timestamp headers hold the
//                account back until the reset when the venue says the budget is spent.
//                retCode 10006 (too many visits) is a refusal: the order did not execute.
//   orders:      create/amend/cancel acks say the venue took the request; the order's states
//                and fills come from the private stream (order, execution topics). A refused
//                create is OrderRejected (4403, the venue's retCode and text); a refused cancel
//                or amend asks the venue for the order's state instead. A request that may have
//                reached the venue (timeout, closed connection, 5xx) gives no report: the
//                order's ack timeout queries it by orderLinkId.
//   private:     /v5/private: auth (HMAC of "GET/realtime" + expires), then order, execution,
//                wallet, position; ping every ws_ping_interval. After a reconnect the venue does
//                not replay what it pushed: the executions and open orders since the drop are
//                read by REST and reported (the stores keep each fact once).
// No Asio/Beast in this header.
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

#include "oms/connectors/order_budget.hpp"
#include "oms/connectors/exchange.hpp"
#include "oms/connectors/net/https_client.hpp"
#include "oms/connectors/net/tls.hpp"
#include "oms/connectors/secrets/secret_store.hpp"
#include "oms/connectors/bybit/private_data.hpp"
#include "oms/connectors/bybit/requests.hpp"

namespace oms::bybit {

struct BybitAccountConfig {
  AccountId account;
  secrets::ApiCredentials credentials;  // api_key + api_secret (HMAC)
  // The unified account has one wallet for both categories: one connection reports it (the
  // spot one when the account trades spot), the other reports no balances -- equity is not
  // counted twice.
  bool report_wallet = true;
};

struct BybitConfig {
  Market market = Market::kSpot;           // kSpot: category spot; kUsdm: category linear
  net::Origin rest{"api.bybit.com", 443};
  net::Origin stream{"stream.bybit.com", 443};  // /v5/public/{spot,linear} and /v5/private
  net::TlsClientConfig tls;                     // ca_file: tests trust their own CA
  std::uint32_t recv_window_ms = 5'000;
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds time_sync_interval{10 * 60'000};
  std::chrono::milliseconds ws_ping_interval{20'000};
  std::size_t pool_size = 2;
  std::uint32_t orders_per_second = 10;  // per account and category (Bybit's default UID limit)
  // all_orders / my_trades: [since, now] in the windows Bybit takes (startTime / endTime at most
  // 7 days apart: one request, its cursor pages aside, when since is within the last week), at
  // most 2 years back (what a unified account's history keeps; an older since is said in the
  // log); `history_page_limit` records a page -- 1 to 50 (order history's maximum; executions
  // take up to 100, asked with this too), else the constructor throws naming the field.
  std::uint32_t history_page_limit = 50;
  std::vector<Instrument> instruments;   // ids from the caller's registry
  std::vector<BybitAccountConfig> accounts;
  bool private_stream = true;                      // false: REST only
  // An IP ban (HTTP 403, "access too frequent": the IP's 600 requests in 5 s exceeded) lasts
  // this long when the answer names no Retry-After -- Bybit says to stop every request for at
  // least 10 minutes; nothing is sent meanwhile (every request is refused, naming the ban's end).
  std::chrono::milliseconds ip_ban_fallback{10 * 60'000};
  std::function<void(std::string_view)> on_alert;  // auth refused, stream lost, IP ban; never a secret
};

class BybitVenue {
 public:
  // Throws std::runtime_error (startup edge) when the CA file cannot be loaded or a key cannot
  // be used for signing; the message names the account, never the key.
  explicit BybitVenue(BybitConfig config);
  ~BybitVenue();  // stop()
  BybitVenue(const BybitVenue&) = delete;
  BybitVenue& operator=(const BybitVenue&) = delete;

  // Syncs the clock with the venue and starts the maintenance thread (time sync). Accounts are
  // started one by one through account(i).start(sink).
  [[nodiscard]] ExchangeResult<Unit> start();
  void stop();

  [[nodiscard]] std::size_t account_count() const noexcept;
  [[nodiscard]] Exchange& account(std::size_t index);
  [[nodiscard]] std::optional<std::size_t> account_index(AccountId account) const noexcept;
  // Key rotation: account(index) signs every request from now on with `credentials` (thread-safe
  // against the order lanes and the streams; the old key's buffer is wiped). An error text
  // naming the account when the key cannot sign (the old one stays).
  [[nodiscard]] std::optional<std::string> replace_credentials(std::size_t index,
                                                               secrets::ApiCredentials credentials);
  // The account's order budget now (health); nullopt: not an account of this venue.
  [[nodiscard]] std::optional<OrderBudgetUse> order_budget(AccountId account) const;
  // When the venue's ban of this connection's IP (HTTP 403) ends (0: none seen; health).
  [[nodiscard]] TimeNs banned_until_ns() const noexcept;
  [[nodiscard]] ExchangeResult<std::int64_t> sync_time();
  [[nodiscard]] std::int64_t time_offset_ms() const noexcept;

  // ---- transfers between UIDs of one master (/v5/asset; signed with account(index)'s key, the
  // master's) ----------------------------------------------------------------------------------
  // A refusal is kVenueRejected with the retCode (131214: the transferId was used: booked
  // before); retCode 10000 / 10016, a 5xx or a lost answer: kMaybeSent / kHttpStatus (it may
  // have been booked: ask universal_transfer_history).
  [[nodiscard]] ExchangeResult<TransferAck> universal_transfer(std::size_t index, const UniversalTransfer& t);
  // The transfer by its transferId (no row: the venue has none).
  [[nodiscard]] ExchangeResult<std::vector<TransferRow>> universal_transfer_history(std::size_t index,
                                                                                    std::string_view transfer_id);

  struct Shared;  // src/bybit/exchange_internal.hpp

 private:
  std::unique_ptr<Shared> shared_;
};

}  // namespace oms::bybit
