// Internals of BinanceVenue: the shared venue state, the per-account Exchange (BinanceAccount)
// and its two markets (BinanceSpot, BinanceUsdm), report ids, the market-data feed.
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
#include <unordered_set>
#include <vector>

#include "oms/connectors/binance/exchange_binance.hpp"
#include "oms/connectors/binance/market_data.hpp"
#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/binance/rest_response.hpp"
#include "oms/connectors/binance/user_data.hpp"
#include "oms/connectors/binance/wire_encoder.hpp"
#include "oms/connectors/net/wss_client.hpp"
#include "oms/connectors/signing.hpp"

namespace oms::binance {

class BinanceAccount;

// One market-data subscription: a combined-stream WSS connection and the REST snapshots that
// go with its depth diffs. Diffs are passed on in stream order as they arrive (BookCore buffers
// them until its snapshot); the snapshot is fetched AFTER the first diff of the stream (the
// venue's order: open the stream, buffer, then GET depth) and again after any gap in the
// diffs, a reconnect, or a snapshot older than the first diff it must precede.
class MarketDataFeed {
 public:
  MarketDataFeed(BinanceVenue::Shared& shared, std::vector<InstrumentId> instruments,
                 MarketDataStreams streams, MarketDataSink sink);
  ~MarketDataFeed();
  MarketDataFeed(const MarketDataFeed&) = delete;
  MarketDataFeed& operator=(const MarketDataFeed&) = delete;
  void start();
  void stop();

 private:
  struct Book {
    InstrumentId instrument;
    std::uint64_t last_u = 0;   // u of the last diff passed on (0: none since (re)connect)
    std::uint64_t first_u = 0;  // U of the first diff since the last snapshot request
    bool synced = false;        // a snapshot matching the stream was passed on
    bool pending = false;       // a snapshot request is queued or in flight
    bool again = false;         // a gap while pending: fetch once more after it
  };
  void on_message(std::string_view msg);
  void on_depth(const DepthUpdate& d, TimeNs t, TimeNs received);
  void request_snapshot(Book& b);  // mutex_ held
  void snapshot_loop();
  Book* book_of(std::string_view symbol);

  BinanceVenue::Shared& shared_;
  MarketDataStreams streams_;
  MarketDataSink sink_;
  std::mutex mutex_;  // books_, the queue, and the order of everything passed to sink_
  std::condition_variable cv_;
  std::vector<Book> books_;
  std::deque<std::size_t> snapshot_queue_;  // indexes into books_
  bool stopping_ = false;
  std::thread snapshot_thread_;
  std::unique_ptr<net::WssClient> stream_;
  JsonParser parser_;  // the stream's thread only
  MarketMessage msg_;
  std::vector<BookDelta> deltas_;
};

[[nodiscard]] TimeNs wall_now_ns() noexcept;
[[nodiscard]] inline TimeNs ms_to_ns(std::uint64_t ms) noexcept {
  return static_cast<TimeNs>(ms) * 1'000'000;
}
[[nodiscard]] ExchangeError exchange_error(ExchangeErrorCode code, std::string message,
                                           std::int32_t venue_code = 0);

// Keys and signer of one account. The signer is not thread-safe: `mutex` guards it.
struct AccountAuth {
  std::mutex mutex;
  secrets::SecureBuffer api_key;
  std::optional<signing::BinanceSigner> signer;
};

class BinanceAccount;

// Order lanes: the threads that run every account's order jobs (place, cancel, amend, queries)
// of one venue market -- one lane per connection of the pool, each serving a fixed share of the
// accounts (account index modulo lanes), so an account's jobs run in the order given while 200
// accounts cost a handful of threads, not one each. A lane takes its accounts in turn, one job
// at a time. An account whose own order budget is spent (ORDERS buckets) is held aside until it
// frees and the lane goes on with the others; the IP-wide weight is everyone's, waited for in
// the job itself.
class OrderLanes {
 public:
  // When an account's order budget would let `orders` more pass (0: now).
  using FreeAt = std::function<TimeNs(std::size_t account_index, std::uint32_t orders, TimeNs now)>;
  OrderLanes(std::size_t lanes, FreeAt free_at);
  ~OrderLanes();  // joins the lanes (every account's jobs must be over: accounts stop first)
  OrderLanes(const OrderLanes&) = delete;
  OrderLanes& operator=(const OrderLanes&) = delete;

  // The account has a job and was not on its lane: put it there.
  void schedule(BinanceAccount& account);
  // The account's lane is idle (no job running or ready): it starts none until release() --
  // an order written on the caller's thread meanwhile has its response read next, never
  // behind jobs that wait for a pooled connection that order holds.
  [[nodiscard]] bool reserve(const BinanceAccount& account);
  // Ends reserve(); schedule: the account (its response job queued) runs first on the lane.
  void release(BinanceAccount& account, bool schedule);
  [[nodiscard]] std::size_t size() const noexcept { return lanes_.size(); }

 private:
  struct Lane;
  void run(Lane& lane);
  FreeAt free_at_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

struct BinanceVenue::Shared {
  explicit Shared(BinanceConfig c);

  BinanceConfig cfg;
  net::HttpsPool pool;
  mutable std::mutex limiter_mutex;
  RateLimiter limiter;
  std::atomic<std::int64_t> offset_ms{0};
  std::unordered_map<std::uint32_t, Instrument> by_id;  // InstrumentId value -> instrument
  std::unordered_map<std::string, InstrumentId> by_symbol;
  InstrumentLookup lookup;
  // The accounts' user-data streams share one I/O thread (before accounts: outlives them).
  std::unique_ptr<net::IoThread> streams;
  std::vector<std::unique_ptr<BinanceAccount>> accounts;
  std::unique_ptr<OrderLanes> lanes;  // after accounts: joined before they go
  std::mutex feeds_mutex;
  std::vector<std::unique_ptr<MarketDataFeed>> feeds;  // destroyed before the pool

  // Maintenance thread (time sync, listenKey keepalive / renewal) and waits for budgets.
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;  // guarded by mutex
  std::thread maintenance;
  void maintenance_loop();
  void notify();  // wakes the maintenance thread (a listenKey to renew)

  [[nodiscard]] const Instrument* instrument(InstrumentId id) const;
  [[nodiscard]] ExchangeResult<const Instrument*> require(InstrumentId id,
                                                          std::string_view what) const;
  [[nodiscard]] ExchangeResult<std::int64_t> sync_time();

  // Admits (waiting if the budget frees soon), renders (signing with auth), sends, feeds the
  // limiter. Any HTTP status is a success here; see check() for statuses.
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(std::size_t account_index,
                                                       const RestRequest& req, AccountAuth* auth,
                                                       std::string_view what);
  // The same for a request signed already (WireEncoder, on the engine's shard): admitted, signed
  // again only when it waited for budget, sent; origin's latency recorded at the socket write.
  [[nodiscard]] ExchangeResult<net::HttpResponse> send_signed(std::size_t account_index,
                                                              EncodedOrder& order,
                                                              AccountAuth& auth,
                                                              const SendOrigin& origin,
                                                              std::string_view what);
  // The engine's way for an order it encoded: written at once on the calling thread when an
  // open pooled connection is free and the budget admits the order without a wait -- the
  // connection then stays leased until finish_written() reads the response (on the account's
  // lane). nullopt: nothing was written or counted; send_signed() on the lane sends it.
  struct Written {
    net::HttpsPool::Lease lease;
    Result<Unit, net::HttpError> write;  // an error: the request may have reached the venue
  };
  [[nodiscard]] std::optional<Written> write_now(std::size_t account_index, EncodedOrder& order,
                                                 const SendOrigin& origin);
  [[nodiscard]] ExchangeResult<net::HttpResponse> finish_written(std::size_t account_index,
                                                                 Written& written,
                                                                 std::string_view what);
  // The venue's clock now (ms): every signed timestamp.
  [[nodiscard]] std::int64_t timestamp_ms() const noexcept;
  // Credentials of auth; auth.mutex must be held while they are used.
  [[nodiscard]] Credentials credentials(AccountAuth* auth) const;

 private:
  // Waits for budget; true when it had to wait (a signed request is then signed again).
  [[nodiscard]] ExchangeResult<bool> admit(std::size_t account_index, const RestRequest& req,
                                           std::string_view what);
  [[nodiscard]] ExchangeResult<net::HttpResponse> transmit(std::size_t account_index,
                                                           net::HttpRequest& http,
                                                           std::string_view what);
  // The transport's outcome as the exchange's: an error after the write may have reached the
  // venue (kMaybeSent); a response feeds the limiter (the venue's own numbers, 429 / 418).
  [[nodiscard]] ExchangeResult<net::HttpResponse> received(
      std::size_t account_index, Result<net::HttpResponse, net::HttpError> res,
      std::string_view what);
};

// A 2xx response, or the ExchangeError its status and body say (venue code from the body;
// 5xx and -1007 as kMaybeSent: the venue may have executed it).
[[nodiscard]] ExchangeResult<net::HttpResponse> check(ExchangeResult<net::HttpResponse> r,
                                                      std::string_view what);

// ---- report ids and REST -> events (exchange_reports.cpp) -----------------------------------
// Stable per venue fact: the same fact from REST and from the stream gets the same id.
// venue_order_id: Binance orderId; time_key: an update time for balances / positions, the
// query serial for OrderStatusReconciled.
[[nodiscard]] EventId report_id(AccountId account, Market market, const EventPayload& event,
                                std::uint64_t venue_order_id, std::uint64_t time_key);
// An order REST response (new order, cancel, modify) as the events the stream would give.
void order_info_events(const OrderInfo& o, AccountId account, InstrumentId instrument, bool futures,
                       std::vector<EventPayload>& out);
[[nodiscard]] OrderStatusReconciled reconciled(const OrderInfo& o, AccountId account,
                                               InstrumentId instrument, bool futures);
[[nodiscard]] Decimal average_price(const OrderInfo& o, bool futures);
// A trade of the account's trade list (myTrades / userTrades) as a fill; the client order id is
// not in that list (the caller joins it by orderId when it has the orders).
[[nodiscard]] FillReceived fill_of(const AccountTrade& t, AccountId account, InstrumentId instrument);
// The answer to a query of an order the venue never accepted (-2013): rejected, no venue id.
[[nodiscard]] OrderStatusReconciled unknown_to_venue(AccountId account, InstrumentId instrument,
                                                     const ClientOrderIdText& cid);
[[nodiscard]] std::string order_id_text(std::uint64_t id);
// The venue's description of an order (ExternalOrderFound): the order desk records it for an
// order another client placed. Types and time in force in our terms (LIMIT_MAKER and GTX are
// post-only limits; USD-M STOP / STOP_MARKET are stop-loss limit / market, TAKE_PROFIT(_MARKET)
// take-profit ones; anything else -- a trailing stop -- reads as a stop-loss market order).
[[nodiscard]] ExternalOrderFound external_of(const OrderUpdate& u, AccountId account,
                                             InstrumentId instrument, const ClientOrderIdText& cid);
[[nodiscard]] ExternalOrderFound external_of(const OrderInfo& o, AccountId account,
                                             InstrumentId instrument);

// An order rejected unsent because its account's request queue was full (omsd's 3160-3179).
inline constexpr std::uint16_t kQueueFullCode = 3161;

// ---- one account ------------------------------------------------------------------------------
class BinanceAccount : public Exchange {
 public:
  BinanceAccount(BinanceVenue::Shared& shared, std::size_t index, BinanceAccountConfig cfg);
  // Key rotation: the signer is built from c first, then key and signer are swapped under
  // auth_.mutex (a request being signed finishes with the old ones); the old key's buffer is
  // wiped when released. Throws std::runtime_error naming the account, never the key.
  void set_credentials(secrets::ApiCredentials c);
  ~BinanceAccount() override;

  [[nodiscard]] ExchangeId exchange() const noexcept override { return ExchangeId::kBinance; }
  [[nodiscard]] Market market() const noexcept override { return shared_.cfg.market; }
  [[nodiscard]] bool user_stream_connected() const noexcept override {
    return !shared_.cfg.user_data_stream || stream_open_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] AccountId account() const noexcept override { return account_; }

  [[nodiscard]] ExchangeResult<Unit> start(ReportSink sink) override;
  void stop() override;

  using Exchange::place;
  void place(const SubmitOrder& order, const SendOrigin& origin) override;
  void rehearse(const SubmitOrder& order) override;
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
  // The history windows (BinanceConfig::history_page_limit): fetch(query) answers one page of
  // the venue's records (OrderInfo, AccountTrade: their id and time in ms); a full page in one
  // millisecond goes on by id (orderId / fromId, no time) while the records stay in it.
  template <class Record>
  using PageFetch = std::function<ExchangeResult<std::vector<Record>>(const HistoryQuery&)>;
  template <class Record>
  [[nodiscard]] ExchangeResult<std::vector<Record>> walk_history(TimeNs since, const PageFetch<Record>& fetch,
                                                                 bool trades, std::string_view what);
  // Spot: GET /api/v3/account/commission; USD-M: GET /fapi/v1/commissionRate.
  [[nodiscard]] ExchangeResult<FeeRates> fee_rates(InstrumentId instrument) override;
  // Spot: DELETE /api/v3/openOrders (the canceled orders and order lists' reports counted;
  // -2011, nothing open: 0). USD-M: see BinanceUsdm.
  [[nodiscard]] ExchangeResult<std::uint32_t> cancel_all(InstrumentId instrument) override;
  [[nodiscard]] ExchangeResult<std::vector<Instrument>> exchange_rules() override;
  [[nodiscard]] ExchangeResult<Unit> subscribe_market_data(
      std::span<const InstrumentId> instruments, MarketDataStreams streams,
      MarketDataSink sink) override;

  // Maintenance thread: keepalive when due, a new key + stream when lost.
  void maintain_user_stream(std::chrono::steady_clock::time_point now);

  // One signed REST call on this account's key, admitted and checked like every other (the
  // /sapi transfers: exchange_transfers.cpp).
  [[nodiscard]] ExchangeResult<net::HttpResponse> rest(const RestRequest& req,
                                                       std::string_view what) {
    return send(req, what);
  }

 protected:
  // ---- market hooks ----
  [[nodiscard]] Req new_order_req(const Instrument& in, const SubmitOrder& o) const {
    return encoder_.request(in, o);
  }
  // False for an order the lane must build itself (USD-M conditional orders: algo service).
  [[nodiscard]] virtual bool encodes_on_caller(const SubmitOrder&) const { return true; }
  [[nodiscard]] virtual Req cancel_req(const Instrument& in, const ClientOrderIdText& cid) = 0;
  [[nodiscard]] virtual Req query_req(const Instrument& in, const ClientOrderIdText& cid) = 0;
  [[nodiscard]] virtual Req open_orders_req(const Instrument* in) = 0;
  [[nodiscard]] virtual Req all_orders_req(const Instrument& in, const HistoryQuery& q) = 0;
  [[nodiscard]] virtual Req trades_req(const Instrument& in, const HistoryQuery& q) = 0;
  [[nodiscard]] virtual Req listen_key_req(HttpMethod m, std::string_view key) = 0;
  virtual void do_amend(const AmendOrder& a) = 0;
  virtual void do_place_batch(const SubmitBatch& b) = 0;
  virtual void do_cancel_batch(const std::vector<CancelOrder>& c) = 0;
  [[nodiscard]] bool futures() const noexcept { return shared_.cfg.market == Market::kUsdm; }
  // A stream order update the market maps itself (spot: the legs of our cancel-replace);
  // false: the default to_events mapping.
  [[nodiscard]] virtual bool translate_update(const OrderUpdate&, InstrumentId,
                                              std::vector<EventPayload>&) {
    return false;
  }
  // A well-formed user-data event the common code does not handle ("e" and the raw message;
  // the stream's thread). USD-M: ALGO_UPDATE.
  virtual void on_other_event(std::string_view event, std::string_view msg) {
    (void)event;
    (void)msg;
  }
  // The venue order id our events give an order of the venue's order history (allOrders), when
  // not its own orderId. USD-M: a triggered algo order is named by its algo order's id, as the
  // algo's acceptance and every query name it.
  [[nodiscard]] virtual std::optional<std::uint64_t> history_alias(const OrderInfo&) { return std::nullopt; }
  // Before a catch-up reads an instrument's order history: what the market needs to name its
  // rows (USD-M: the algo orders of the window, so that a triggered one is known by its algo id
  // even to a connector that never placed it). False: not learned (the catch-up goes on).
  virtual bool learn_history(const Instrument&, const HistoryQuery&) { return true; }

  // ---- helpers for the markets (order lane thread) ----
  [[nodiscard]] ExchangeResult<net::HttpResponse> send(const RestRequest& req,
                                                       std::string_view what);
  // Virtual: USD-M routes conditional orders to the Algo Service endpoints.
  virtual void do_place(const SubmitOrder& o);
  virtual void do_cancel(const CancelOrder& c);
  virtual void do_query(InstrumentId instrument, const ClientOrderIdText& cid);
  // An executed order's trades as fills (the stream's report ids), before its status.
  void report_trades(InstrumentId instrument, const ClientOrderIdText& cid, const OrderInfo& info,
                     JsonParser& parser);
  // The REST answer to an order request: reports, a rejection, or nothing (maybe sent).
  void handle_order_response(const ExchangeResult<net::HttpResponse>& r, InstrumentId instrument,
                             const ClientOrderIdText& cid, std::string_view what);
  void handle_order_body(std::string_view body, InstrumentId instrument);
  void reject(InstrumentId instrument, const ClientOrderIdText& cid, std::uint16_t code,
              std::int32_t venue_code, std::string_view reason);
  void emit(std::vector<EventPayload>& events, std::uint64_t venue_order_id, std::uint64_t time_key,
            TimeNs venue_time);
  // The balances and positions a query fetched, passed on only when no balance or position was
  // passed on since `seen` (account_figures()) -- one that was (the stream's) is newer than the
  // query's, which must not overwrite it. False: not passed on.
  [[nodiscard]] bool emit_figures_if_current(const std::vector<EventPayload>& events, std::uint64_t seen,
                                             std::uint64_t time_key, TimeNs venue_time);
  [[nodiscard]] std::uint64_t account_figures();
  // The order as placed (side, type, tif) for amends; from the cache, else a query.
  [[nodiscard]] std::optional<SubmitOrder> order_template(const Instrument& in,
                                                          const ClientOrderIdText& cid);
  void remember(const SubmitOrder& o);
  void forget(const ClientOrderIdText& cid);  // the order ended: no amend will need it
  // A new order encoded by place(): admitted, written, answered (order lane thread).
  void do_send(const SubmitOrder& o, EncodedOrder& encoded, const SendOrigin& origin);
  // The order written on the caller's thread when the account is idle and a connection free
  // (BinanceVenue::Shared::write_now); false: nothing written, the lane must send it.
  bool write_now(const SubmitOrder& order, EncodedOrder& encoded, const SendOrigin& origin);

  BinanceVenue::Shared& shared_;
  std::size_t index_;
  AccountId account_;
  AccountAuth auth_;
  WireEncoder encoder_;
  std::unique_ptr<EncodedOrder> rehearsal_;  // rehearse()'s scratch (the shard's thread only)
  // Each query answer is its own venue message: its report id includes this serial, seeded from
  // the clock so a restarted process never reuses one (a reused id would be dropped as a dup).
  std::atomic<std::uint64_t> query_serial_{static_cast<std::uint64_t>(wall_now_ns())};

 private:
  // Queues a job for the account's order lane; `orders`: the orders it places (the lane holds the
  // account aside while its own order budget is spent). kOrder and kQuery jobs count against
  // max_queued_requests: false when the queue is full (nothing queued).
  // A kQuery job names its order (`query_for`): a query for an order whose query is still queued
  // is not queued twice (true: the queued one answers it).
  enum class JobKind : std::uint8_t { kOrder, kQuery, kOther };
  bool enqueue(std::function<void()> job, std::uint32_t orders = 0, JobKind kind = JobKind::kOther,
               const ClientOrderIdText* query_for = nullptr);
  // A new order the full queue refused: rejected (code kQueueFullCode) by a job at the queue's
  // front, not from the caller's thread (the engine's: its report would wait on its own ring).
  void refuse_queued(InstrumentId instrument, const ClientOrderIdText& cid);
  void reject_refused();  // the order lane
  void on_user_data(std::string_view msg);
  [[nodiscard]] ExchangeResult<std::string> create_listen_key();
  [[nodiscard]] ExchangeResult<Unit> open_user_stream();
  // After a user-data reconnect: the venue does not replay what it pushed while we were away,
  // so the fills (by orderId -> client id) and order states since `since_ms` are asked by REST
  // and emitted; the fills carry the stream's report ids (the store keeps each once).
  // The open orders are asked too (an order another client placed before the window), and each
  // order goes out as its description (ExternalOrderFound), its fills, then its status. At start
  // (cfg.start_catch_up) the same runs once the stream is up.
  void catch_up(std::int64_t since_ms);
  void mark_stream_down();  // the first drop (or key expiry) since the stream was last open

  std::mutex sink_mutex_;
  ReportSink sink_;
  std::uint64_t account_figures_ = 0;  // balances and positions passed on (under sink_mutex_)
  friend class OrderLanes;
  struct Job {
    std::function<void()> run;
    std::uint32_t orders = 0;
    ClientOrderIdText query_for;  // a status query's order; empty for other jobs
  };
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;  // a job ended (stop() waits for the one running)
  std::deque<Job> jobs_;
  std::string name_;  // for messages
  std::vector<std::pair<InstrumentId, ClientOrderIdText>> refused_;  // guarded by queue_mutex_
  std::uint64_t queries_skipped_ = 0;                               // guarded by queue_mutex_
  std::uint64_t queries_coalesced_ = 0;  // a query already queued answers it; queue_mutex_
  bool running_ = false;    // guarded by queue_mutex_
  bool scheduled_ = false;  // on its lane (ready, held aside or running); guarded by queue_mutex_
  bool busy_ = false;       // a job of this account is running; guarded by queue_mutex_

  std::mutex orders_mutex_;
  std::unordered_map<std::string, SubmitOrder> placed_;  // client order id -> order, for amends

  // user data (listen key guarded by stream_mutex_; the parser lives on the stream's thread)
  std::mutex stream_mutex_;
  std::string listen_key_;
  std::unique_ptr<net::WssClient> stream_;
  std::chrono::steady_clock::time_point next_keepalive_{};
  std::atomic<bool> renew_listen_key_{false};
  std::atomic<std::int64_t> stream_down_ms_{0};  // venue ms of the first drop since the last open
  std::atomic<bool> stream_open_{false};         // between on_open and on_disconnected
  JsonParser stream_parser_;
  UserDataMessage stream_msg_;
  std::vector<EventPayload> stream_events_;
};

class BinanceSpot final : public BinanceAccount {
 public:
  using BinanceAccount::BinanceAccount;
  [[nodiscard]] ExchangeResult<std::vector<BalanceUpdated>> balances() override;
  [[nodiscard]] ExchangeResult<std::vector<PositionUpdated>> positions() override;
  [[nodiscard]] ExchangeResult<LeverageChanged> set_leverage(InstrumentId, std::uint16_t) override;
  [[nodiscard]] ExchangeResult<MarginTypeChanged> set_margin_type(InstrumentId,
                                                                  MarginType) override;

 protected:
  Req cancel_req(const Instrument& in, const ClientOrderIdText& cid) override;
  Req query_req(const Instrument& in, const ClientOrderIdText& cid) override;
  Req open_orders_req(const Instrument* in) override;
  Req all_orders_req(const Instrument& in, const HistoryQuery& q) override;
  Req trades_req(const Instrument& in, const HistoryQuery& q) override;
  Req listen_key_req(HttpMethod m, std::string_view key) override;
  void do_amend(const AmendOrder& a) override;
  void do_place_batch(const SubmitBatch& b) override;
  void do_cancel_batch(const std::vector<CancelOrder>& c) override;
  bool translate_update(const OrderUpdate& u, InstrumentId instrument,
                        std::vector<EventPayload>& out) override;

 private:
  // Cancel-replace keeps our client order id: the venue's CANCELED leg (cancel id "amd-...")
  // is not a cancel of ours, and the replacement's NEW is our OrderAmended.
  // A NEW of an id with a cancel-replace in flight is the replacement only at the price and
  // quantity asked for: the original order's own NEW can arrive late (a stream reconnect).
  struct Amending {
    int in_flight = 0;
    Decimal price, quantity;  // of the latest request
  };
  std::mutex amend_mutex_;
  std::unordered_map<std::string, Amending> amending_;      // client order ids in flight
  std::unordered_map<std::uint64_t, int> replacement_ids_;  // new orderIds from REST answers
};

class BinanceUsdm final : public BinanceAccount {
 public:
  using BinanceAccount::BinanceAccount;
  [[nodiscard]] ExchangeResult<std::vector<BalanceUpdated>> balances() override;
  [[nodiscard]] ExchangeResult<std::vector<PositionUpdated>> positions() override;
  [[nodiscard]] ExchangeResult<LeverageChanged> set_leverage(InstrumentId instrument,
                                                             std::uint16_t leverage) override;
  [[nodiscard]] ExchangeResult<MarginTypeChanged> set_margin_type(InstrumentId instrument,
                                                                  MarginType type) override;

 protected:
  Req cancel_req(const Instrument& in, const ClientOrderIdText& cid) override;
  Req query_req(const Instrument& in, const ClientOrderIdText& cid) override;
  Req open_orders_req(const Instrument* in) override;
  Req all_orders_req(const Instrument& in, const HistoryQuery& q) override;
  Req trades_req(const Instrument& in, const HistoryQuery& q) override;
  Req listen_key_req(HttpMethod m, std::string_view key) override;
  void do_amend(const AmendOrder& a) override;
  void do_place_batch(const SubmitBatch& b) override;
  void do_cancel_batch(const std::vector<CancelOrder>& c) override;
  // Conditional orders: the Algo Service endpoints (exchange_usdm.cpp, its second half).
  [[nodiscard]] bool encodes_on_caller(const SubmitOrder& o) const override;
  void do_place(const SubmitOrder& o) override;
  void do_cancel(const CancelOrder& c) override;
  void do_query(InstrumentId instrument, const ClientOrderIdText& cid) override;
  bool translate_update(const OrderUpdate& u, InstrumentId instrument,
                        std::vector<EventPayload>& out) override;
  void on_other_event(std::string_view event, std::string_view msg) override;

 public:
  // Open orders of the matching engine and, after them, the open algo orders.
  [[nodiscard]] ExchangeResult<std::vector<OrderStatusReconciled>> open_orders(
      InstrumentId instrument) override;
  // DELETE /fapi/v1/allOpenOrders, then DELETE /fapi/v1/algoOpenOrders (conditional orders).
  // The venue answers only "done": the count is of the orders open_orders listed just before.
  [[nodiscard]] ExchangeResult<std::uint32_t> cancel_all(InstrumentId instrument) override;

 private:
  // Client ids known to be algo orders (placed as one, or seen in an algo answer / event) and
  // the matching-engine orderIds of triggered algo orders: their NEW is not a second accept.
  // Lane and stream threads: algo_mutex_.
  void remember_algo(std::string_view cid, std::uint64_t actual_order_id = 0, std::uint64_t algo_id = 0);
  [[nodiscard]] bool is_algo(std::string_view cid);
  [[nodiscard]] std::optional<std::uint64_t> history_alias(const OrderInfo& o) override;
  bool learn_history(const Instrument& in, const HistoryQuery& q) override;
  void handle_algo_body(std::string_view body, InstrumentId instrument, std::string_view what);
  std::mutex algo_mutex_;
  std::unordered_set<std::string> algo_cids_;
  std::unordered_set<std::uint64_t> algo_actual_ids_;
  std::unordered_map<std::string, std::uint64_t> algo_ids_;  // client id -> algoId, when seen
  std::unordered_map<std::uint64_t, std::uint64_t> algo_of_actual_;  // triggered orderId -> algoId
  // A batch answer (an array of orders and error bodies) item by item.
  void handle_batch_body(std::string_view body, std::span<const InstrumentId> instruments,
                         std::span<const ClientOrderIdText> cids, bool cancels);
};

}  // namespace oms::binance
