// OKX v5 (unified trading account; SPOT and USDT-margined SWAP) behind the Exchange interface.
//
// An OkxVenue is one venue + market (instType SPOT or SWAP): its REST origin, its public and
// private WebSocket origins, one HTTPS keep-alive pool, the server-time offset, the instruments
// with their contract values, and order lanes (a few threads running every account's order
// jobs, each account's in the order given). It holds one Exchange per account: the unified
// account's key trades both markets, one OkxVenue per market uses it.
//
//   time:        GET /api/v5/public/time at start() and every time_sync_interval; the signed
//                OK-ACCESS-TIMESTAMP = local clock + offset (OKX refuses one 30 s off).
//   sizes:       our quantities are base units everywhere; SWAP requests and answers are in
//                contracts (x ctVal), converted exactly by the builders and the parsers.
//   rate limits: an account's orders pass a local bucket (orders_per_second) before they
//                leave; OKX's refusal 50011 / HTTP 429 (too many requests) is a refusal: the
//                order did not execute.
//   orders:      place / amend / cancel acks say the venue took the request (sCode 0); the
//                order's states and fills come from the private `orders` channel. A refused
//                place is OrderRejected (4403, the venue's sCode and sMsg); a refused cancel or
//                amend asks the venue for the order's state instead. A request that may have
//                reached the venue (timeout, closed connection, 5xx, code 50001 / 50004 /
//                50013 "busy / timeout") gives no report: the order's ack timeout queries it
//                by clOrdId.
//   algo orders: a stop / take-profit kind is an OKX algo order (POST trade/order-algo,
//                ordType conditional: slTriggerPx for a stop, tpTriggerPx for a take-profit,
//                "-1" or the limit price), algoClOrdId = our client order id. Its own states
//                come from the business stream's orders-algo channel (and GET order-algo):
//                live -> OrderAccepted (venue order id = algoId), canceled -> OrderCanceled,
//                order_failed -> OrderExpired; effective (triggered) has no event of its own:
//                the order OKX placed (its ordId; clOrdId "", algoClOrdId ours) reports its
//                fills and end on the orders channel under OUR client order id, its own "live"
//                not repeated. Cancel: cancel-algos by algoId before the trigger, cancel-order
//                by that ordId after; query: GET order-algo, then the placed order and its
//                fills; open orders: orders-pending and orders-algo-pending (conditional). An
//                id the connector does not know as an algo order (a restart) is looked up by
//                algoClOrdId when the plain order endpoint does not know it. Amending one
//                before its trigger (amend-algos) is refused (OrderAmendRejected 4409, named);
//                after it, its order is amended by ordId. OKX has no batch endpoint for algo
//                orders: a batch's stop / take-profit orders are placed one by one, in order,
//                after its plain orders went (each is answered on its own either way).
//                Attached TP/SL (attachAlgoOrds) are not sent.
//   private:     /ws/v5/private: login (HMAC of ts + "GET/users/self/verify", with the key's
//                passphrase), then orders (this market's instType), account (the connection
//                that reports the wallet) and positions (SWAP); the text "ping" every
//                ws_ping_interval. After a reconnect the venue does not replay what it pushed:
//                the fills and orders since the drop are read by REST (the stores keep each
//                fact once).
//   business:    /ws/v5/business: the same login, then orders-algo (this market's instType);
//                after a reconnect each algo order still tracked is read again (order-algo).
//                user_stream_connected(): both sockets logged in.
//   public:      /ws/v5/public: books (400 levels; every snapshot and update's CRC32 checksum
//                verified over the venue's own texts, a mismatch or a seqId gap subscribes the
//                book again and is counted), bbo-tbt (best bid/offer), trades.
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
#include "oms/connectors/okx/instruments.hpp"
#include "oms/connectors/secrets/secret_store.hpp"
#include "oms/connectors/okx/private_data.hpp"
#include "oms/connectors/okx/requests.hpp"

namespace oms::okx {

struct OkxAccountConfig {
  AccountId account;
  secrets::ApiCredentials credentials;  // api_key + api_secret (HMAC) + passphrase
  // The unified account has one wallet for both markets: one connection reports it (the spot
  // one when the account trades spot), the other reports no balances -- equity is not counted
  // twice.
  bool report_wallet = true;
};

struct OkxConfig {
  Market market = Market::kSpot;         // kSpot: instType SPOT; kUsdm: SWAP (USDT-margined)
  net::Origin rest{"www.okx.com", 443};
  net::Origin stream{"ws.okx.com", 8443};  // /ws/v5/public, /ws/v5/private and /ws/v5/business
  net::TlsClientConfig tls;                // ca_file: tests trust their own CA
  bool simulated = false;                  // OKX demo trading (x-simulated-trading: 1)
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds time_sync_interval{10 * 60'000};
  std::chrono::milliseconds ws_ping_interval{20'000};  // OKX closes a socket silent for 30 s
  std::size_t pool_size = 2;
  std::uint32_t orders_per_second = 30;  // per account and market (OKX: 60 per 2 s per instrument)
  // all_orders / my_trades (and the catch-up after a private reconnect): one walk by `after` from
  // the newest down to since, on the endpoint that keeps since -- trade/orders-history (7 days)
  // or orders-history-archive (3 months), trade/fills (3 days) or fills-history (3 months); at
  // most 3 months back (an older since is said in the log); `history_page_limit` records a page,
  // 1 to 100 (OKX's maximum; else the constructor throws naming the field).
  std::uint32_t history_page_limit = 100;
  // From public/instruments (instruments.hpp), ids from the caller's registry; contract values
  // turn base quantities into contracts and back.
  std::vector<OkxInstrument> instruments;
  // Swaps: the margin mode (tdMode) orders are sent in until set_margin_type() changes it for an
  // instrument (OKX chooses cross or isolated per order, not per account).
  TradeMode swap_trade_mode = TradeMode::kCross;
  std::vector<OkxAccountConfig> accounts;
  bool private_stream = true;                      // false: REST only
  std::function<void(std::string_view)> on_alert;  // login refused, stream lost; never a secret
};

class OkxVenue {
 public:
  // Throws std::runtime_error (startup edge) when the CA file cannot be loaded or a key cannot
  // be used for signing (no passphrase, an RSA key); the message names the account, never the
  // key.
  explicit OkxVenue(OkxConfig config);
  ~OkxVenue();  // stop()
  OkxVenue(const OkxVenue&) = delete;
  OkxVenue& operator=(const OkxVenue&) = delete;

  // Syncs the clock with the venue and starts the maintenance thread (time sync, pings).
  // Accounts are started one by one through account(i).start(sink).
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
  [[nodiscard]] ExchangeResult<std::int64_t> sync_time();
  [[nodiscard]] std::int64_t time_offset_ms() const noexcept;
  // Books subscribed again after a checksum mismatch or a seqId gap, since start.
  [[nodiscard]] std::uint64_t book_resyncs() const noexcept;

  // ---- funds transfers (/api/v5/asset; signed with account(index)'s key: the master's for
  // types 1 and 2) ------------------------------------------------------------------------------
  // A refusal is kVenueRejected with OKX's code; a code whose outcome is unknown, a 5xx or a
  // lost answer: kMaybeSent / kHttpStatus (it may have been booked: ask transfer_state).
  [[nodiscard]] ExchangeResult<TransferAck> transfer(std::size_t index, const Transfer& t);
  // The transfer by its clientId (no row: the venue has none).
  [[nodiscard]] ExchangeResult<std::vector<TransferStateRow>> transfer_state(
      std::size_t index, std::string_view client_id, std::optional<TransferType> type);

  struct Shared;  // src/okx/exchange_internal.hpp

 private:
  std::unique_ptr<Shared> shared_;
};

}  // namespace oms::okx
