// Internals of UpbitVenue: the shared venue state, the per-account Exchange (UpbitAccount), the
// public market-data feed. Lanes, budgets and report ids are venue_common.hpp's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../venue_common.hpp"
#include "oms/connectors/net/wss_client.hpp"
#include "oms/connectors/upbit/exchange_upbit.hpp"
#include "oms/connectors/upbit/instruments.hpp"
#include "oms/connectors/upbit/market_data.hpp"
#include "oms/connectors/upbit/private_data.hpp"
#include "oms/connectors/upbit/requests.hpp"
#include "oms/connectors/upbit/rest_request.hpp"
#include "oms/connectors/signing.hpp"

namespace oms::upbit {

using venue::exchange_error;
using venue::Lanes;
using venue::OrderBudget;
using venue::wall_now_ns;

[[nodiscard]] inline EventId report_id(AccountId account, Market market, const EventPayload& event,
                                       std::string_view venue_order_id, std::uint64_t time_key) {
  return venue::report_id("upbit", account, market, event, venue_order_id, time_key);
}

// The body of a 2xx answer, or the ExchangeError its status says. Upbit's refusals carry
// {"error":{"name","message"}} with a 4xx status: the name's number is kept (venue_code), and such
// a refusal is kVenueRejected (kRateLimited for 429 too_many_requests) -- it did not execute.
// A 5xx stays kHttpStatus (may have run).
[[nodiscard]] ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r,
                                                  std::string_view what);

// Keys of one account; the signer is not thread-safe: `mutex` guards it.
struct AccountAuth {
  std::mutex mutex;
  secrets::SecureBuffer access_key;
  std::optional<JwtSigner> signer;
};

class MarketDataFeed;
class UpbitAccount;

struct UpbitVenue::Shared {
  explicit Shared(UpbitConfig c);

  UpbitConfig cfg;
  venue::IpBan ban;  // HTTP 418
  net::HttpsPool pool;
  std::unordered_map<std::uint32_t, Instrument> by_id;
  std::unordered_map<std::string, InstrumentId> by_code;
  std::unique_ptr<net::IoThread> streams;  // the private streams (before accounts: outlives them)
  std::vector<std::unique_ptr<UpbitAccount>> accounts;
  std::unique_ptr<Lanes> lanes;
  std::mutex feeds_mutex;
  std::vector<std::unique_ptr<MarketDataFeed>> feeds;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread maintenance;
  void maintenance_loop();

  [[nodiscard]] const Instrument* instrument(InstrumentId id) const;
  [[nodiscard]] const Instrument* instrument(std::string_view code) const;
  // Renders (a JWT with a fresh nonce when auth is given), sends on a pooled connection, holds
  // the account's budget when the answer's Remaining-Req says the second is spent. Any HTTP
  // status is a success here.
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(const RestRequest& req, AccountAuth* auth,
                                                       OrderBudget* budget, std::string_view what);
  // Waits for the account's order budget (bounded by request_timeout); false: stopping or too long.
  [[nodiscard]] bool admit_order(OrderBudget& budget, std::uint32_t orders);
};

// ---- one account --------------------------------------------------------------------------
class UpbitAccount final : public Exchange {
 public:
  UpbitAccount(UpbitVenue::Shared& shared, std::size_t index, UpbitAccountConfig cfg);
  // Key rotation: the signer is built first, then swapped in under auth_.mutex; the old key's
  // buffer is wiped when released. Throws std::runtime_error naming the account, never the key.
  void set_credentials(secrets::ApiCredentials c);
  ~UpbitAccount() override;

  [[nodiscard]] ExchangeId exchange() const noexcept override { return ExchangeId::kUpbit; }
  [[nodiscard]] Market market() const noexcept override { return Market::kSpot; }
  [[nodiscard]] AccountId account() const noexcept override { return account_; }
  [[nodiscard]] bool user_stream_connected() const noexcept override {
    return !shared_.cfg.private_stream || stream_up_.load(std::memory_order_relaxed);
  }

  [[nodiscard]] ExchangeResult<Unit> start(ReportSink sink) override;
  void stop() override;

  using Exchange::place;
  void place(const SubmitOrder& order, const SendOrigin& origin) override;
  void cancel(const CancelOrder& cancel) override;
  void amend(const AmendOrder& amend) override;
  void place_batch(const SubmitBatch& batch) override;
  void cancel_batch(std::span<const CancelOrder> cancels) override;
  void query(InstrumentId instrument, const ClientOrderIdText& client_order_id) override;

  [[nodiscard]] ExchangeResult<std::vector<OrderStatusReconciled>> open_orders(
      InstrumentId instrument) override;
  [[nodiscard]] ExchangeResult<std::vector<OrderStatusReconciled>> all_orders(
      InstrumentId instrument, TimeNs since) override;
  [[nodiscard]] ExchangeResult<std::vector<FillReceived>> my_trades(InstrumentId instrument,
                                                                    TimeNs since) override;
  [[nodiscard]] ExchangeResult<std::vector<BalanceUpdated>> balances() override;
  [[nodiscard]] ExchangeResult<FeeRates> fee_rates(InstrumentId instrument) override;
  // DELETE /v1/orders/open on the market (pairs, count 300: again while full); the count:
  // the venue's success list. Upbit allows one such call per 2 s an account: calls are paced
  // (they wait, stop-aware). Orders the venue could not cancel (its failed list): an error
  // naming them and how many it did cancel.
  [[nodiscard]] ExchangeResult<std::uint32_t> cancel_all(InstrumentId instrument) override;
  [[nodiscard]] OrderBudgetUse budget_use() { return venue::use_of(budget_, shared_.cfg.orders_per_second, wall_now_ns()); }
  [[nodiscard]] ExchangeResult<std::vector<PositionUpdated>> positions() override;
  [[nodiscard]] ExchangeResult<LeverageChanged> set_leverage(InstrumentId instrument,
                                                             std::uint16_t leverage) override;
  [[nodiscard]] ExchangeResult<MarginTypeChanged> set_margin_type(InstrumentId instrument,
                                                                  MarginType type) override;
  [[nodiscard]] ExchangeResult<std::vector<Instrument>> exchange_rules() override;
  [[nodiscard]] ExchangeResult<Unit> subscribe_market_data(
      std::span<const InstrumentId> instruments, MarketDataStreams streams,
      MarketDataSink sink) override;

  void heartbeat();  // "PING" on the private stream (maintenance thread)

 private:
  void enqueue(std::function<void()> job);
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(const RestRequest& req, std::string_view what);
  void do_place(const SubmitOrder& o);
  void do_cancel(const CancelOrder& c);
  void do_query(InstrumentId instrument, const ClientOrderIdText& cid);
  void reject(InstrumentId instrument, const ClientOrderIdText& cid, std::uint16_t code,
              std::int32_t venue_code, std::string_view reason);
  void accepted(InstrumentId instrument, const ClientOrderIdText& cid, std::string_view uuid);
  void emit(const EventPayload& e, std::string_view venue_order_id, std::uint64_t time_key,
            TimeNs venue_time);
  void emit(const VenueEvent& e);
  void log_notes(const std::vector<std::string>& notes, const std::vector<std::string>& skipped);
  [[nodiscard]] AccountContext context() const;
  // all_orders / my_trades: the open orders and the closed ones from since (closed_since: the walk
  // over /v1/orders/closed's 7-day windows, a full page's window split); pace spaces the requests.
  [[nodiscard]] ExchangeResult<std::vector<OrderStatusReconciled>> closed_since(const Instrument* in, TimeNs since,
                                                                              std::string_view what, venue::Pacer& pace);
  [[nodiscard]] ExchangeResult<std::vector<OrderStatusReconciled>> orders_since(InstrumentId instrument, TimeNs since,
                                                                              std::string_view what, venue::Pacer& pace);
  // One order with its trades (GET /v1/order by uuid): the fills as the stream reports them.
  [[nodiscard]] ExchangeResult<OrderAnswer> order_with_trades(std::string_view uuid, std::string_view what);

  // private stream
  void open_stream();
  void on_stream(std::string_view msg);
  void catch_up(std::int64_t since_ms);

  UpbitVenue::Shared& shared_;
  std::size_t index_;
  AccountId account_;
  AccountAuth auth_;
  OrderBudget budget_;
  std::atomic<std::uint64_t> query_serial_{static_cast<std::uint64_t>(wall_now_ns())};

  std::mutex sink_mutex_;
  ReportSink sink_;
  std::atomic<bool> running_{false};

  std::mutex cancel_all_mutex_;  // one batch cancel at a time; guards next_cancel_all_
  std::chrono::steady_clock::time_point next_cancel_all_{};

  std::mutex stream_mutex_;  // stream_ itself (created by start(), reset by stop(), pinged)
  std::unique_ptr<net::WssClient> stream_;
  venue::JsonParser stream_parser_;  // the private stream's thread only
  std::atomic<bool> stream_up_{false};
  std::atomic<std::int64_t> stream_down_ms_{0};  // wall ms of the first drop since it was last up
};

// ---- public market data -------------------------------------------------------------------
// One WSS connection to /websocket/v1 for a set of instruments: orderbook (each message the
// whole top: BookSnapshot chunks, and its best level as BestBidOffer) and trade.
class MarketDataFeed {
 public:
  MarketDataFeed(UpbitVenue::Shared& shared, std::vector<InstrumentId> instruments,
                 MarketDataStreams streams, MarketDataSink sink);
  ~MarketDataFeed();
  MarketDataFeed(const MarketDataFeed&) = delete;
  MarketDataFeed& operator=(const MarketDataFeed&) = delete;
  void start();
  void stop();
  void heartbeat();  // "PING" (maintenance thread)

 private:
  void on_open();
  void on_message(std::string_view msg);
  UpbitVenue::Shared& shared_;
  std::vector<InstrumentId> instruments_;
  MarketDataStreams streams_;
  MarketDataSink sink_;
  InstrumentFinder find_;
  std::mutex ws_mutex_;  // ws_ itself
  std::unique_ptr<net::WssClient> ws_;
  JsonParser parser_;  // the stream's thread only
  MarketMessage msg_;
  std::vector<BookSnapshot> snapshots_;
  std::unordered_map<std::uint32_t, std::uint64_t> last_id_;  // per instrument: next_update_id
};

}  // namespace oms::upbit
