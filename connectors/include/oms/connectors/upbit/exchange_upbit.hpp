// Upbit (spot: KRW, BTC and USDT markets) behind the Exchange interface.
//
// An UpbitVenue is the venue: its REST origin and WebSocket origin, one HTTPS keep-alive pool,
// the instruments, and order lanes (a few threads running every account's order jobs, each
// account's in the order given). It holds one Exchange per account.
//
//   auth:        every private request carries a JWT (HS512) with a fresh nonce and the
//                SHA-512 of its parameters (rest_request.hpp); no clock offset is needed.
//   rate limits: an account's orders pass a local bucket (orders_per_second; Upbit's order
//                group allows 8 a second); every answer's Remaining-Req header ("group=order;
//                min=..; sec=0") holds the account back for the rest of that second; a 429
//                (too_many_requests) is a refusal: the order did not execute.
//   orders:      a place answered with the order's uuid is OrderAccepted; its states and fills
//                come from the private stream's myOrder. A refused place is OrderRejected (4403,
//                the error's name and message; venue_code from upbit::code_of). A refused
//                cancel asks the venue for the order instead (GET /v1/order with its trades). A
//                request that may have reached the venue (timeout, closed connection, 5xx) gives
//                no report: the order's ack timeout queries it by identifier.
//   not here:    Upbit has no amend -- its cancel_and_new makes a NEW order with a new
//                identifier --: an AmendOrder is not sent; the venue is asked for the order's
//                state instead (the desk sees it unchanged). A market BUY is sized in the quote
//                currency on Upbit (KRW to spend): a SubmitOrder of a base quantity cannot say
//                that and is refused by name (send a limit, e.g. IOC at the touch).
//   private:     wss://.../websocket/v1/private, authenticated on the upgrade request itself
//                ("Authorization: Bearer <JWT>", a fresh one at every connect), subscribed to
//                myOrder and myAsset; "PING" every ws_ping_interval. After a reconnect the
//                venue does not replay what it pushed: the orders closed since the drop (and
//                their trades) and the open ones are read by REST (the stores keep each fact
//                once).
//   public:      /websocket/v1: orderbook (each message the whole top of the book: a
//                BookSnapshot, and its best level as BestBidOffer) and trade.
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

namespace oms::upbit {

struct UpbitAccountConfig {
  AccountId account;
  secrets::ApiCredentials credentials;  // api_key = the access key, api_secret = the secret key
};

struct UpbitConfig {
  net::Origin rest{"api.upbit.com", 443};
  net::Origin stream{"api.upbit.com", 443};  // /websocket/v1 and /websocket/v1/private
  net::TlsClientConfig tls;                  // ca_file: tests trust their own CA
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds ws_ping_interval{30'000};  // Upbit closes a socket idle for 120 s
  std::size_t pool_size = 2;
  std::uint32_t orders_per_second = 8;  // per account (Upbit's order group)
  // all_orders / my_trades: the open orders, and the closed ones of [since, now] in the windows
  // /v1/orders/closed takes (7 days at most: one request when since is within the week), at most
  // 91 days back (an older since is said in the log); `history_page_limit` orders a page, 1 to
  // 1000 (Upbit's maximum; else the constructor throws naming the field) -- a full page's window
  // is split in two and asked again, never cut to its newest page.
  std::uint32_t history_page_limit = 1'000;
  std::vector<Instrument> instruments;  // ids from the caller's registry; venue_symbol "KRW-BTC"
  std::vector<UpbitAccountConfig> accounts;
  bool private_stream = true;                      // false: REST only
  // A block (HTTP 418: requests went on after 429s; Upbit blocks the IP or the account for a
  // time it says, longer when it happens again) lasts this long when the answer names no
  // Retry-After; nothing is sent meanwhile (every request is refused, naming the block's end).
  std::chrono::milliseconds ip_ban_fallback{5 * 60'000};
  std::function<void(std::string_view)> on_alert;  // stream refused, a 418 block; never a secret
};

class UpbitVenue {
 public:
  // Throws std::runtime_error (startup edge) when the CA file cannot be loaded or a key cannot
  // be used for signing; the message names the account, never the key.
  explicit UpbitVenue(UpbitConfig config);
  ~UpbitVenue();  // stop()
  UpbitVenue(const UpbitVenue&) = delete;
  UpbitVenue& operator=(const UpbitVenue&) = delete;

  // Starts the maintenance thread (pings). Accounts are started one by one through
  // account(i).start(sink).
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
  // When the venue's block of this connection (HTTP 418) ends (0: none seen; health).
  [[nodiscard]] TimeNs banned_until_ns() const noexcept;

  struct Shared;  // src/upbit/exchange_internal.hpp

 private:
  std::unique_ptr<Shared> shared_;
};

}  // namespace oms::upbit
