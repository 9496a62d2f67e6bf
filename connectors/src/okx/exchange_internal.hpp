// Internals of OkxVenue: the shared venue state, the per-account Exchange (OkxAccount), the
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
#include "oms/connectors/okx/book_checker.hpp"
#include "oms/connectors/okx/exchange_okx.hpp"
#include "oms/connectors/okx/market_data.hpp"
#include "oms/connectors/okx/private_data.hpp"
#include "oms/connectors/okx/requests.hpp"
#include "oms/connectors/okx/rest_request.hpp"
#include "oms/connectors/signing.hpp"

namespace oms::okx {

using venue::exchange_error;
using venue::Lanes;
using venue::OrderBudget;
using venue::wall_now_ns;

[[nodiscard]] inline EventId report_id(AccountId account, Market market, const EventPayload& event,
                                       std::string_view venue_order_id, std::uint64_t time_key) {
  return venue::report_id("okx", account, market, event, venue_order_id, time_key);
}

// The body of a 2xx answer, or the ExchangeError its status says. OKX puts its own code in
// the body of a refusal with a 4xx status too (401 with 50105 "wrong passphrase", 429 with
// 50011): that code is kept (venue_code), and such a refusal is kVenueRejected (kRateLimited
// for the rate codes) -- the request did not execute. A 5xx stays kHttpStatus (may have run).
[[nodiscard]] ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r,
                                                  std::string_view what);
// Codes after which a request's outcome is unknown (the venue timed out or failed inside): no
// report, the ack timeout asks.
[[nodiscard]] bool outcome_unknown(std::int32_t code) noexcept;
// Codes that say the request was refused for its rate (it did not execute).
[[nodiscard]] bool rate_limited(std::int32_t code) noexcept;

// Keys of one account; the signer is not thread-safe: `mutex` guards it.
struct AccountAuth {
  std::mutex mutex;
  secrets::SecureBuffer api_key;
  secrets::SecureBuffer passphrase;
  std::optional<signing::HmacSha256> signer;
};

class MarketDataFeed;
class OkxAccount;

struct OkxVenue::Shared {
  explicit Shared(OkxConfig c);

  OkxConfig cfg;
  net::HttpsPool pool;
  std::atomic<std::int64_t> offset_ms{0};
  std::unordered_map<std::uint32_t, OkxInstrument> by_id;
  std::unordered_map<std::string, InstrumentId> by_inst_id;
  std::unique_ptr<net::IoThread> streams;  // the private streams (before accounts: outlives them)
  std::vector<std::unique_ptr<OkxAccount>> accounts;
  std::unique_ptr<Lanes> lanes;
  std::mutex feeds_mutex;
  std::vector<std::unique_ptr<MarketDataFeed>> feeds;
  std::atomic<std::uint64_t> book_resyncs{0};

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread maintenance;
  void maintenance_loop();

  [[nodiscard]] const OkxInstrument* instrument(InstrumentId id) const;
  [[nodiscard]] const OkxInstrument* instrument(std::string_view inst_id) const;
  [[nodiscard]] InstType inst_type() const noexcept {
    return cfg.market == Market::kSpot ? InstType::kSpot : InstType::kSwap;
  }
  [[nodiscard]] std::int64_t timestamp_ms() const noexcept;
  [[nodiscard]] ExchangeResult<std::int64_t> sync_time();
  // Renders (signing with auth when given), sends on a pooled connection. Any HTTP status is a
  // success here.
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(const RestRequest& req, AccountAuth* auth,
                                                       std::string_view what);
  // Waits for the account's order budget (bounded by request_timeout); false: stopping or too long.
  [[nodiscard]] bool admit_order(OrderBudget& budget, std::uint32_t orders);
};

// ---- one account --------------------------------------------------------------------------
class OkxAccount final : public Exchange {
 public:
  OkxAccount(OkxVenue::Shared& shared, std::size_t index, OkxAccountConfig cfg);
  // Key rotation: the signer is built first, then swapped in under auth_.mutex; the old key's
  // buffer is wiped when released. Throws std::runtime_error naming the account, never the key.
  void set_credentials(secrets::ApiCredentials c);
  ~OkxAccount() override;

  [[nodiscard]] ExchangeId exchange() const noexcept override { return ExchangeId::kOkx; }
  [[nodiscard]] Market market() const noexcept override { return shared_.cfg.market; }
  [[nodiscard]] AccountId account() const noexcept override { return account_; }
  // Both sockets logged in: /ws/v5/private (orders, account, positions) and /ws/v5/business
  // (orders-algo).
  [[nodiscard]] bool user_stream_connected() const noexcept override {
    return !shared_.cfg.private_stream || (orders_subscribed_.load(std::memory_order_relaxed) &&
                                           algos_subscribed_.load(std::memory_order_relaxed));
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
  // OKX has no cancel-all for SPOT / SWAP (exchange_sweep.cpp): the algo orders first
  // (orders-algo-pending of each type, cancel-algos 10 a request: an algo order that triggers
  // meanwhile becomes a plain order), then the plain orders (orders-pending, cancel-batch-orders
  // 20 a request). The count: the items the venue answered sCode 0; an order that ended in
  // between (51400-51402, 51412 triggered) is not counted and no error; other refusals: an error
  // naming them and how many were canceled.
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

  void heartbeat();  // "ping" on the private and business streams (maintenance thread)
  // A signed administration call on the account's key (transfers): the body (OKX's refusals
  // with a 4xx status kept, see body_of).
  [[nodiscard]] ExchangeResult<std::string> call(const RestRequest& req, std::string_view what) {
    return body_of(send(req, what), what);
  }

 private:
  void enqueue(std::function<void()> job);
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(const RestRequest& req, std::string_view what);
  // The builders' view of an instrument: its trade mode for this account (cash on spot).
  [[nodiscard]] InstrumentSpec spec_of(const OkxInstrument& in);
  void do_place(const SubmitOrder& o);
  void do_cancel(const CancelOrder& c);
  void do_amend(const AmendOrder& a);
  void do_place_batch(const SubmitBatch& b);
  void do_cancel_batch(const std::vector<CancelOrder>& c);
  void do_query(InstrumentId instrument, const ClientOrderIdText& cid);
  void reject(InstrumentId instrument, const ClientOrderIdText& cid, std::uint16_t code,
              std::int32_t venue_code, std::string_view reason);
  void accepted(InstrumentId instrument, const ClientOrderIdText& cid, std::string_view order_id);
  // A new order's send (plain or algo: `what`) that brought no ack: a refusal rejects it (a rate
  // limit or the venue's code); anything else may have reached the venue -- logged, and the ack
  // timeout asks.
  void new_order_failed(const SubmitOrder& o, const ExchangeError& e, std::string_view what);
  void new_order_failed(const SubmitOrder& o, const RestError& e, std::string_view what);
  void emit(const EventPayload& e, std::string_view venue_order_id, std::uint64_t time_key,
            TimeNs venue_time);
  void emit(const VenueEvent& e);
  void log_notes(const std::vector<std::string>& notes, const std::vector<std::string>& skipped);
  // The fills of one order (fills by ordId), as the stream reports them.
  void report_fills(const OkxInstrument& in, std::string_view order_id);
  [[nodiscard]] AccountContext context() const;
  // Every page of a list query paged with `after` (OKX: older than that id).
  template <class T>
  [[nodiscard]] ExchangeResult<std::vector<T>> pages(
      const std::function<Req(std::string_view after)>& build,
      const std::function<Result<std::pair<std::vector<T>, std::string>, RestError>(std::string_view)>& parse,
      std::string_view what);
  [[nodiscard]] ExchangeResult<std::vector<OrderStatusReconciled>> orders_since(
      const OkxInstrument* in, TimeNs since, std::string_view what);
  [[nodiscard]] ExchangeResult<std::vector<VenueEvent>> fills_since(const OkxInstrument* in,
                                                                   TimeNs since,
                                                                   std::string_view what);

  // private stream
  [[nodiscard]] std::string login_op(std::string_view stream);  // "" when it cannot be signed
  void open_stream();
  void on_stream(std::string_view msg);
  void catch_up(std::int64_t since_ms);
  // business stream (orders-algo)
  void open_business();
  void on_business(std::string_view msg);

  // ---- algo orders (exchange_algo.cpp) ----
  // A stop / take-profit order is an OKX algo order (order-algo, conditional): ours under its
  // algoClOrdId (= our client order id), tracked by algoId until it triggers, then by the ordId
  // of the order OKX placed at the trigger.
  struct AlgoOrder {
    std::string algo_id;
    std::string ord_id;  // the order placed at the trigger; empty before
  };
  [[nodiscard]] std::optional<AlgoOrder> algo_of(std::string_view cid);
  // Records the algo order of cid (an ord_id given: its order placed at the trigger). Only a
  // client id already known is updated unless `add` (an ended one is not brought back).
  void remember_algo(std::string_view cid, std::string_view algo_id, std::string_view ord_id, bool add);
  // The venue's own word on an algo order we do not track (a restart): GET order-algo by
  // algoClOrdId; nullopt when the venue does not know one.
  [[nodiscard]] std::optional<AlgoOrder> find_algo(const ClientOrderIdText& cid);
  // GET order-algo for cid (by its algoId when known): the item; nullopt with `unknown` set
  // when the venue knows no such algo order (51603), unset when there was no usable answer.
  [[nodiscard]] std::optional<AlgoOrderItem> fetch_algo(const ClientOrderIdText& cid, bool& unknown);
  void do_place_algo(const OkxInstrument& in, const SubmitOrder& o);
  void do_cancel_algo(const OkxInstrument& in, const CancelOrder& c, const AlgoOrder& a);
  // Reports the algo order's state (its order's, with the fills, once triggered); false only
  // when the venue does not know it (51603): no usable answer is true (the caller's timer asks).
  [[nodiscard]] bool query_algo(const OkxInstrument& in, const ClientOrderIdText& cid, std::uint64_t serial);
  void on_algo(const AlgoOrderItem& a);  // an orders-algo item (stream, catch-up)
  void catch_up_algos();                 // after the business stream came back
  [[nodiscard]] ExchangeResult<std::vector<OrderStatusReconciled>> open_algo_orders(const OkxInstrument* in);
  // A fill without a client order id (trade/fills of an order placed by an algo order): the id
  // of the algo order that placed it, when known.
  void own_fill(VenueEvent& e);
  void emit_algo(const EventPayload& e, std::string_view algo_id, std::uint64_t time_key, TimeNs venue_time);

  OkxVenue::Shared& shared_;
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
  // client id -> its algo order, until the order ends; the ordId placed at a trigger -> client id.
  std::unordered_map<std::string, AlgoOrder> algos_;
  std::unordered_map<std::string, std::string> algo_children_;
  // instrument -> the swap margin mode set by set_margin_type (else the config's).
  std::unordered_map<std::uint32_t, TradeMode> trade_modes_;

  std::mutex stream_mutex_;  // stream_ itself (created by start(), reset by stop(), pinged)
  std::unique_ptr<net::WssClient> stream_;
  std::atomic<bool> stream_logged_in_{false};
  std::atomic<std::int64_t> stream_down_ms_{0};  // venue ms of the first drop since the last login
  std::unique_ptr<net::WssClient> business_;     // guarded as stream_ (stream_mutex_)
  std::atomic<bool> business_logged_in_{false};
  std::atomic<bool> business_dropped_{false};    // lost since the last login: catch up
  // The venue acknowledged the orders (private) and orders-algo (business) channels: only from
  // here are the account's order events pushed, so only from here is the user stream connected
  // (an order filled between the login and the ack would lose its events).
  std::atomic<bool> orders_subscribed_{false};
  std::atomic<bool> algos_subscribed_{false};
};

// ---- public market data -------------------------------------------------------------------
// One WSS connection to /ws/v5/public for a set of instruments: books (snapshot + updates,
// each checked by a BookChecker: checksum and seqId chain) as BookSnapshot / BookDelta chunks,
// bbo-tbt as the best bid/offer, trades. A failed check subscribes the book again (the venue
// answers with a fresh snapshot) and is counted.
class MarketDataFeed {
 public:
  MarketDataFeed(OkxVenue::Shared& shared, std::vector<InstrumentId> instruments,
                 MarketDataStreams streams, MarketDataSink sink);
  ~MarketDataFeed();
  MarketDataFeed(const MarketDataFeed&) = delete;
  MarketDataFeed& operator=(const MarketDataFeed&) = delete;
  void start();
  void stop();
  void heartbeat();  // "ping" (maintenance thread)

 private:
  void on_open();
  void on_message(std::string_view msg);
  void resubscribe(const OkxInstrument& in, std::string_view why);
  OkxVenue::Shared& shared_;
  std::vector<InstrumentId> instruments_;
  MarketDataStreams streams_;
  MarketDataSink sink_;
  InstrumentFinder find_;
  std::mutex ws_mutex_;  // ws_ itself
  std::unique_ptr<net::WssClient> ws_;
  JsonParser parser_;  // the stream's thread only
  MarketMessage msg_;
  std::vector<BookDelta> deltas_;
  std::vector<BookSnapshot> snapshots_;
  std::unordered_map<std::uint32_t, BookChecker> checkers_;  // per instrument
};

}  // namespace oms::okx
