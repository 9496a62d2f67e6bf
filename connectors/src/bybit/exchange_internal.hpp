// Internals of BybitVenue: the shared venue state, the order lanes, the per-account Exchange
// (BybitAccount), report ids, the public market-data feed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "oms/connectors/bybit/exchange_bybit.hpp"
#include "oms/connectors/bybit/instruments.hpp"
#include "oms/connectors/bybit/market_data.hpp"
#include "oms/connectors/bybit/private_data.hpp"
#include "oms/connectors/bybit/requests.hpp"
#include "oms/connectors/net/wss_client.hpp"
#include "oms/connectors/signing.hpp"
#include "../venue_common.hpp"

namespace oms::bybit {

using venue::exchange_error;
using venue::Lanes;
using venue::OrderBudget;
using venue::wall_now_ns;

// The report id of a venue fact (venue_common.hpp), under Bybit's name.
[[nodiscard]] inline EventId report_id(AccountId account, Market market, const EventPayload& event,
                                       std::string_view venue_order_id, std::uint64_t time_key) {
  return venue::report_id("bybit", account, market, event, venue_order_id, time_key);
}

// Keys of one account; the signer is not thread-safe: `mutex` guards it.
struct AccountAuth {
  std::mutex mutex;
  secrets::SecureBuffer api_key;
  std::optional<signing::HmacSha256> signer;
};

class MarketDataFeed;
class BybitAccount;

struct BybitVenue::Shared {
  explicit Shared(BybitConfig c);

  BybitConfig cfg;
  venue::IpBan ban;  // HTTP 403
  net::HttpsPool pool;
  std::atomic<std::int64_t> offset_ms{0};
  std::unordered_map<std::uint32_t, Instrument> by_id;
  std::unordered_map<std::string, InstrumentId> by_symbol;
  std::unique_ptr<net::IoThread> streams;  // the private streams (before accounts: outlives them)
  std::vector<std::unique_ptr<BybitAccount>> accounts;
  std::unique_ptr<Lanes> lanes;
  std::mutex feeds_mutex;
  std::vector<std::unique_ptr<MarketDataFeed>> feeds;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread maintenance;
  void maintenance_loop();

  [[nodiscard]] const Instrument* instrument(InstrumentId id) const;
  [[nodiscard]] const Instrument* instrument(std::string_view symbol) const;
  [[nodiscard]] Category category() const noexcept {
    return cfg.market == Market::kSpot ? Category::kSpot : Category::kLinear;
  }
  [[nodiscard]] std::int64_t timestamp_ms() const noexcept;
  [[nodiscard]] ExchangeResult<std::int64_t> sync_time();
  // Renders (signing with auth when given), sends on a pooled connection, feeds the account's
  // budget from the answer's limit headers. Any HTTP status is a success here.
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(const RestRequest& req, AccountAuth* auth,
                                                       OrderBudget* budget, std::string_view what);
  // Waits for the account's order budget (bounded by request_timeout); false: stopping or too long.
  [[nodiscard]] bool admit_order(OrderBudget& budget, std::uint32_t orders);
};

// The body of a 2xx answer, or the ExchangeError its status says (403: the IP's request rate
// was exceeded; 5xx: the venue may have executed it).
[[nodiscard]] inline ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r,
                                                         std::string_view what) {
  return venue::body_of(std::move(r), what, 403);
}
// retCodes after which a request's outcome is unknown (the venue timed out or failed inside):
// no report, the ack timeout asks.
[[nodiscard]] bool outcome_unknown(std::int32_t ret_code) noexcept;

// ---- one account --------------------------------------------------------------------------
class BybitAccount final : public Exchange {
 public:
  BybitAccount(BybitVenue::Shared& shared, std::size_t index, BybitAccountConfig cfg);
  // Key rotation: the signer is built first, then swapped in under auth_.mutex; the old key's
  // buffer is wiped when released. Throws std::runtime_error naming the account, never the key.
  void set_credentials(secrets::ApiCredentials c);
  ~BybitAccount() override;

  [[nodiscard]] ExchangeId exchange() const noexcept override { return ExchangeId::kBybit; }
  [[nodiscard]] Market market() const noexcept override { return shared_.cfg.market; }
  [[nodiscard]] AccountId account() const noexcept override { return account_; }
  [[nodiscard]] bool user_stream_connected() const noexcept override {
    return !shared_.cfg.private_stream || stream_subscribed_.load(std::memory_order_relaxed);
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
  // POST /v5/order/cancel-all on the symbol: linear one call for every kind (conditional
  // orders too; again while the venue's 500 a call come back full); spot once per orderFilter
  // (Order, StopOrder, tpslOrder, OcoOrder, BidirectionalTpslOrder: spot's default is Order only). The count: the venue's lists.
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

  void heartbeat();  // {"op":"ping"} on the private stream (maintenance thread)
  // A signed administration call on the account's key (transfers): the 2xx body.
  [[nodiscard]] ExchangeResult<std::string> call(const RestRequest& req, std::string_view what) {
    return body_of(send(req, what), what);
  }

 private:
  void enqueue(std::function<void()> job);
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(const RestRequest& req, std::string_view what);
  void do_place(const SubmitOrder& o);
  void do_cancel(const CancelOrder& c);
  void do_amend(const AmendOrder& a);
  void do_place_batch(const SubmitBatch& b);
  void do_cancel_batch(const std::vector<CancelOrder>& c);
  void do_query(InstrumentId instrument, const ClientOrderIdText& cid);
  void reject(InstrumentId instrument, const ClientOrderIdText& cid, std::uint16_t code,
              std::int32_t venue_code, std::string_view reason);
  void accepted(InstrumentId instrument, const ClientOrderIdText& cid, std::string_view order_id);
  void emit(const EventPayload& e, std::string_view venue_order_id, std::uint64_t time_key, TimeNs venue_time);
  void emit(const VenueEvent& e, std::uint64_t time_key);
  // The fills of one order (executions by orderId), as the stream reports them.
  void report_fills(const Instrument& in, std::string_view order_id);
  [[nodiscard]] AccountContext context() const;
  template <class T>
  [[nodiscard]] ExchangeResult<std::vector<T>> pages(
      const std::function<Req(std::string_view cursor)>& build,
      const std::function<Result<std::pair<std::vector<T>, std::string>, RestError>(std::string_view)>& parse,
      std::string_view what);
  // all_orders / my_trades: [since, now] in Bybit's 7-day windows (at most 2 years back), each
  // window's pages by cursor; build(query) the request of one page.
  template <class T>
  [[nodiscard]] ExchangeResult<std::vector<T>> history(
      TimeNs since, const std::function<Req(const HistoryQuery&)>& build,
      const std::function<Result<std::pair<std::vector<T>, std::string>, RestError>(std::string_view)>& parse,
      std::string_view what);

  // private stream
  void open_stream();
  void on_stream(std::string_view msg);
  void catch_up(std::int64_t since_ms);

  BybitVenue::Shared& shared_;
  std::size_t index_;
  AccountId account_;
  bool report_wallet_ = true;
  AccountAuth auth_;
  OrderBudget budget_;
  std::atomic<std::uint64_t> query_serial_{static_cast<std::uint64_t>(wall_now_ns())};

  std::mutex sink_mutex_;
  ReportSink sink_;
  std::atomic<bool> running_{false};

  std::mutex orders_mutex_;
  // client id -> the order as placed (an amend's unchanged price or quantity); until it ends.
  std::unordered_map<std::string, SubmitOrder> placed_;

  std::mutex stream_mutex_;  // stream_ itself (created by start(), reset by stop(), pinged)
  std::unique_ptr<net::WssClient> stream_;
  std::atomic<bool> stream_authed_{false};
  // The venue acknowledged the private topics: only from here are the account's events pushed,
  // so only from here is the stream connected (an order filled before would lose its events).
  std::atomic<bool> stream_subscribed_{false};
  std::atomic<std::int64_t> stream_down_ms_{0};  // venue ms of the first drop since the last auth
};

// ---- public market data -------------------------------------------------------------------
// One WSS connection to /v5/public/{spot,linear} for a set of instruments: orderbook.50 for
// depth (each snapshot and delta passed on as BookSnapshot / BookDelta chunks), orderbook.1
// for the best bid/offer, publicTrade for trades. On a reconnect the venue sends fresh
// snapshots for the topics subscribed again.
class MarketDataFeed {
 public:
  MarketDataFeed(BybitVenue::Shared& shared, std::vector<InstrumentId> instruments,
                 MarketDataStreams streams, MarketDataSink sink);
  ~MarketDataFeed();
  MarketDataFeed(const MarketDataFeed&) = delete;
  MarketDataFeed& operator=(const MarketDataFeed&) = delete;
  void start();
  void stop();
  void heartbeat();  // {"op":"ping"} (maintenance thread)

 private:
  void on_open();
  void on_message(std::string_view msg);
  BybitVenue::Shared& shared_;
  std::vector<InstrumentId> instruments_;
  MarketDataStreams streams_;
  MarketDataSink sink_;
  std::mutex ws_mutex_;  // ws_ itself
  std::unique_ptr<net::WssClient> ws_;
  JsonParser parser_;  // the stream's thread only
  MarketMessage msg_;
  std::vector<BookDelta> deltas_;
  std::vector<BookSnapshot> snapshots_;
  std::unordered_map<std::uint32_t, BestBidOffer> tops_;  // orderbook.1 per instrument
  // orderbook.50 per instrument: the u passed on last; 0 while a fresh snapshot is awaited
  // (after a gap the topic is subscribed again, which makes the venue send one).
  std::unordered_map<std::uint32_t, std::uint64_t> last_u_;
  std::uint64_t resubscribes_ = 0;
};

}  // namespace oms::bybit
