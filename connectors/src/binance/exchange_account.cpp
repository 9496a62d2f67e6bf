// BinanceAccount: one account's order jobs (run by its venue's order lanes), order answers as
// reports, and the synchronous administrative calls shared by spot and USD-M.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "exchange_internal.hpp"
#include "../venue_common.hpp"
#include "oms/connectors/binance/exchange_info.hpp"

namespace oms::binance {

BinanceAccount::BinanceAccount(BinanceVenue::Shared& shared, std::size_t index,
                               BinanceAccountConfig cfg)
    : shared_(shared), index_(index), account_(cfg.account), encoder_(shared.cfg.market),
      name_(cfg.name.empty() ? std::to_string(cfg.account.value) : cfg.name) {
  set_credentials(std::move(cfg.credentials));
}

void BinanceAccount::set_credentials(secrets::ApiCredentials c) {
  const std::string who = "binance account " + std::to_string(account_.value);
  std::optional<signing::BinanceSigner> signer;
  if (!c.private_key.empty()) {
    auto s = signing::BinanceSigner::pem(c.private_key.view());
    if (!s) throw std::runtime_error(who + ": private key: " + s.error().message);
    signer.emplace(std::move(s).value());
  } else if (!c.api_secret.empty()) {
    auto s = signing::BinanceSigner::hmac(c.api_secret.view());
    if (!s) throw std::runtime_error(who + ": api secret: " + s.error().message);
    signer.emplace(std::move(s).value());
  }
  {
    std::lock_guard lk(auth_.mutex);
    std::swap(auth_.api_key, c.api_key);
    std::swap(auth_.signer, signer);
  }
  // c and signer hold the old key and signer now: released (and the key wiped) here, unlocked.
}

BinanceAccount::~BinanceAccount() {
  stop();
}

ExchangeResult<Unit> BinanceAccount::start(ReportSink sink) {
  {
    std::lock_guard lk(sink_mutex_);
    sink_ = std::move(sink);
  }
  {
    std::lock_guard lk(queue_mutex_);
    if (running_) return Unit{};
    running_ = true;
  }
  if (shared_.cfg.user_data_stream) {
    if (shared_.cfg.start_catch_up.count() > 0) {
      // Once the stream is open, what happened while we were away is asked for: orders another
      // client placed (external orders), fills of ours (catch_up).
      stream_down_ms_.store(wall_now_ns() / 1'000'000 + shared_.offset_ms.load() -
                            shared_.cfg.start_catch_up.count());
    }
    if (auto r = open_user_stream(); !r) {
      stop();
      return r;
    }
  }
  return Unit{};
}

void BinanceAccount::stop() {
  std::unique_ptr<net::WssClient> stream;
  {
    std::lock_guard lk(stream_mutex_);
    stream = std::move(stream_);
  }
  if (stream) stream->stop();
  {
    // Queued jobs are dropped (the engine's ack timers query those orders); the one running
    // ends first.
    std::unique_lock lk(queue_mutex_);
    running_ = false;
    jobs_.clear();
    refused_.clear();
    queue_cv_.wait(lk, [this] { return !busy_; });
  }
  std::lock_guard lk(sink_mutex_);
  sink_ = nullptr;
}

bool BinanceAccount::enqueue(std::function<void()> job, std::uint32_t orders, JobKind kind,
                             const ClientOrderIdText* query_for) {
  bool schedule = false;
  {
    std::lock_guard lk(queue_mutex_);
    if (!running_) {
      spdlog::warn("binance account {}: not started, request dropped", account_.value);
      return true;
    }
    if (query_for != nullptr &&
        std::any_of(jobs_.begin(), jobs_.end(), [&](const Job& j) { return j.query_for == *query_for; })) {
      // The order's earlier query has not run yet: it answers this one too. (An ack timer that
      // fires again while the queue is long would otherwise add a query each time, and the
      // queries lengthen the queue that delayed the answer.)
      if ((queries_coalesced_++ % 1000) == 0) {
        spdlog::debug("binance account {}: a status query for {} is queued already: not asked twice "
                      "({} so far)", name_, query_for->view(), queries_coalesced_);
      }
      return true;
    }
    if (kind != JobKind::kOther && jobs_.size() >= shared_.cfg.max_queued_requests) {
      if (kind == JobKind::kQuery && (queries_skipped_++ % 1000) == 0) {
        spdlog::warn("binance account {}: request queue full ({} queued, the bound): a status query "
                     "skipped ({} so far; the ack timer asks again)",
                     name_, jobs_.size(), queries_skipped_);
      }
      return false;
    }
    jobs_.push_back(Job{std::move(job), orders, query_for != nullptr ? *query_for : ClientOrderIdText{}});
    schedule = !scheduled_;
    scheduled_ = true;
  }
  if (schedule) shared_.lanes->schedule(*this);
  return true;
}

void BinanceAccount::refuse_queued(InstrumentId instrument, const ClientOrderIdText& cid) {
  bool schedule = false;
  {
    std::lock_guard lk(queue_mutex_);
    if (!running_) return;
    refused_.emplace_back(instrument, cid);
    if (refused_.size() > 1) return;  // the job that rejects them is queued already
    // At the front: the rejection does not wait behind the requests that filled the queue.
    jobs_.push_front(Job{[this] { reject_refused(); }, 0, {}});
    schedule = !scheduled_;
    scheduled_ = true;
  }
  if (schedule) shared_.lanes->schedule(*this);
}

void BinanceAccount::reject_refused() {
  std::vector<std::pair<InstrumentId, ClientOrderIdText>> refused;
  {
    std::lock_guard lk(queue_mutex_);
    refused.swap(refused_);
  }
  if (refused.empty()) return;
  spdlog::warn("binance account {}: {} new orders rejected unsent, the request queue full ({} requests)",
               name_, refused.size(), shared_.cfg.max_queued_requests);
  const std::string why = "not sent: account " + name_ + "'s request queue is full (" +
                          std::to_string(shared_.cfg.max_queued_requests) + " requests, the bound)";
  for (const auto& [instrument, cid] : refused) reject(instrument, cid, kQueueFullCode, 0, why);
}

void BinanceAccount::place(const SubmitOrder& order, const SendOrigin& origin) {
  // Built and signed here, on the caller's thread (the engine's shard); its order lane admits the
  // bytes against the rate limits and writes them. What cannot be encoded is refused on the
  // lane (a report from the caller's own thread could wait on the caller's own ring).
  const Instrument* in = shared_.instrument(order.instrument);
  if (in == nullptr || !encodes_on_caller(order)) {
    if (!enqueue([this, order] { do_place(order); }, 1, JobKind::kOrder)) {
      refuse_queued(order.instrument, order.client_order_id);
    }
    return;
  }
  auto encoded = std::make_shared<EncodedOrder>();
  Result<Unit, RequestError> r = Unit{};
  {
    std::lock_guard lk(auth_.mutex);
    r = encoder_.encode(*in, order, shared_.credentials(&auth_), shared_.timestamp_ms(), *encoded);
  }
  if (!r) {
    enqueue([this, order, message = r.error().message] {
      reject(order.instrument, order.client_order_id,
             static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest), 0, message);
    });
    return;
  }
  encoded->handed_ns = origin.kind == SendOriginKind::kNone ? 0 : wall_now_ns();
  if (write_now(order, *encoded, origin)) return;
  if (!enqueue([this, order, encoded, origin] { do_send(order, *encoded, origin); }, 1, JobKind::kOrder)) {
    refuse_queued(order.instrument, order.client_order_id);
  }
}

void BinanceAccount::rehearse(const SubmitOrder& order) {
  // What place() builds and signs on the caller's thread, into a scratch order kept for the
  // next rehearsal (its buffers stay allocated): the encoder's and the signer's code and data
  // stay in the shard's caches between orders. Nothing is sent or remembered.
  const Instrument* in = shared_.instrument(order.instrument);
  if (in == nullptr || !encodes_on_caller(order)) return;
  if (!rehearsal_) rehearsal_ = std::make_unique<EncodedOrder>();
  std::lock_guard lk(auth_.mutex);
  (void)encoder_.encode(*in, order, shared_.credentials(&auth_), shared_.timestamp_ms(), *rehearsal_);
}

bool BinanceAccount::write_now(const SubmitOrder& order, EncodedOrder& encoded,
                               const SendOrigin& origin) {
  // Only on an idle lane (the response is read next) for an account with nothing queued or
  // running (its requests keep their order). The account's reservation (scheduled, busy) keeps
  // other callers' jobs behind this one and stop() waiting.
  if (!shared_.lanes->reserve(*this)) return false;
  {
    std::lock_guard lk(queue_mutex_);
    if (!running_ || scheduled_ || busy_ || !jobs_.empty()) {
      shared_.lanes->release(*this, false);
      return false;
    }
    scheduled_ = true;
    busy_ = true;
  }
  remember(order);  // before the venue can answer about it
  auto written = shared_.write_now(index_, encoded, origin);
  bool schedule = false;
  {
    std::lock_guard lk(queue_mutex_);
    busy_ = false;
    if (written && running_) {
      // The response is read on the lane, first of the account's jobs.
      auto w = std::make_shared<BinanceVenue::Shared::Written>(std::move(*written));
      auto read = [this, order, w] {
        auto answer = shared_.finish_written(index_, *w, "new order");
        handle_order_response(check(std::move(answer), "new order"), order.instrument,
                              order.client_order_id, "new order");
      };
      jobs_.push_front(Job{std::move(read), 0, {}});
    }
    if (jobs_.empty()) scheduled_ = false;
    else schedule = true;
  }
  queue_cv_.notify_all();
  shared_.lanes->release(*this, schedule);
  // Not written (no free open connection, or the budget asks for a wait): the lane sends it.
  // Written but stopped meanwhile: the engine's ack timer asks the venue about it.
  return written.has_value();
}

void BinanceAccount::do_send(const SubmitOrder& o, EncodedOrder& encoded,
                             const SendOrigin& origin) {
  remember(o);
  handle_order_response(
      check(shared_.send_signed(index_, encoded, auth_, origin, "new order"), "new order"),
      o.instrument, o.client_order_id, "new order");
}
void BinanceAccount::cancel(const CancelOrder& c) {
  enqueue([this, c] { do_cancel(c); });
}
void BinanceAccount::amend(const AmendOrder& a) {
  enqueue([this, a] { do_amend(a); }, 1);
}
void BinanceAccount::place_batch(const SubmitBatch& b) {
  if (!enqueue([this, b] { do_place_batch(b); }, static_cast<std::uint32_t>(b.orders.size()),
               JobKind::kOrder)) {
    for (const SubmitOrder& o : b.orders) refuse_queued(o.instrument, o.client_order_id);
  }
}
void BinanceAccount::cancel_batch(std::span<const CancelOrder> cancels) {
  enqueue(
      [this, c = std::vector<CancelOrder>(cancels.begin(), cancels.end())] { do_cancel_batch(c); });
}
void BinanceAccount::query(InstrumentId instrument, const ClientOrderIdText& cid) {
  // A full queue skips it: nothing is lost, the engine's ack timer asks again (later each time).
  (void)enqueue([this, instrument, cid] { do_query(instrument, cid); }, 0, JobKind::kQuery, &cid);
}

ExchangeResult<net::HttpResponse> BinanceAccount::send(const RestRequest& req,
                                                       std::string_view what) {
  return check(shared_.send(index_, req, &auth_, what), what);
}

std::uint64_t BinanceAccount::account_figures() {
  std::lock_guard lk(sink_mutex_);
  return account_figures_;
}

bool BinanceAccount::emit_figures_if_current(const std::vector<EventPayload>& events, std::uint64_t seen,
                                             std::uint64_t time_key, TimeNs venue_time) {
  std::lock_guard lk(sink_mutex_);
  if (account_figures_ != seen) return false;
  for (const auto& e : events) {
    if (!sink_) break;
    sink_(ExchangeReport{report_id(account_, market(), e, 0, time_key), venue_time, e});
  }
  return true;
}

void BinanceAccount::emit(std::vector<EventPayload>& events, std::uint64_t venue_order_id,
                          std::uint64_t time_key, TimeNs venue_time) {
  {
    std::lock_guard lk(sink_mutex_);
    for (const auto& e : events) {
      if (std::holds_alternative<BalanceUpdated>(e) || std::holds_alternative<PositionUpdated>(e)) {
        ++account_figures_;
      }
      if (!sink_) break;
      sink_(ExchangeReport{report_id(account_, market(), e, venue_order_id, time_key), venue_time,
                           e});
    }
  }
  // An order that ended is never amended again: its template leaves the cache (bounded by
  // the orders alive, not by every order ever placed).
  for (const auto& e : events) {
    const ClientOrderIdText* done = std::visit(
        [](const auto& p) -> const ClientOrderIdText* {
          using T = std::decay_t<decltype(p)>;
          if constexpr (std::is_same_v<T, OrderFilled> || std::is_same_v<T, OrderCanceled> ||
                        std::is_same_v<T, OrderRejected> || std::is_same_v<T, OrderExpired>) {
            return &p.client_order_id;
          } else if constexpr (std::is_same_v<T, OrderStatusReconciled>) {
            const bool ended = p.status == OrderStatus::kFilled ||
                               p.status == OrderStatus::kCanceled ||
                               p.status == OrderStatus::kExpired ||
                               (p.status == OrderStatus::kRejected && !p.venue_order_id.empty());
            return ended ? &p.client_order_id : nullptr;
          } else {
            return nullptr;
          }
        },
        e);
    if (done != nullptr) forget(*done);
  }
  events.clear();
}

void BinanceAccount::forget(const ClientOrderIdText& cid) {
  std::lock_guard lk(orders_mutex_);
  placed_.erase(cid.str());
}

void BinanceAccount::reject(InstrumentId instrument, const ClientOrderIdText& cid,
                            std::uint16_t code, std::int32_t venue_code, std::string_view reason) {
  OrderRejected r{account_, instrument, cid, code, venue_code, {}};
  if (!r.reason.assign(reason)) (void)r.reason.assign(reason.substr(0, ReasonText::kCapacity));
  std::vector<EventPayload> ev{r};
  emit(ev, 0, 0, wall_now_ns());
}

void BinanceAccount::remember(const SubmitOrder& o) {
  std::lock_guard lk(orders_mutex_);
  placed_[o.client_order_id.str()] = o;
}

void BinanceAccount::do_place(const SubmitOrder& o) {
  const Instrument* in = shared_.instrument(o.instrument);
  if (in == nullptr)
    return reject(o.instrument, o.client_order_id,
                  static_cast<std::uint16_t>(ExchangeErrorCode::kUnknownInstrument), 0,
                  "instrument not configured for this venue");
  auto req = new_order_req(*in, o);
  if (!req)
    return reject(o.instrument, o.client_order_id,
                  static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest), 0,
                  req.error().message);
  remember(o);
  handle_order_response(send(*req, "new order"), o.instrument, o.client_order_id, "new order");
}

void BinanceAccount::handle_order_response(const ExchangeResult<net::HttpResponse>& r,
                                           InstrumentId instrument, const ClientOrderIdText& cid,
                                           std::string_view what) {
  if (r) return handle_order_body(r->body, instrument);
  const ExchangeError& e = r.error();
  switch (e.code) {
    case ExchangeErrorCode::kMaybeSent:
    case ExchangeErrorCode::kBadResponse:
      // Never assume: no report; the order's ack timeout queries it by client order id.
      spdlog::warn("binance account {} {} {}: outcome unknown: {}", account_.value, what,
                   cid.view(), e.message);
      return;
    default:
      // Not executed: refused before sending, or a venue error body (-2010, -1013, 429 ...).
      return reject(instrument, cid, static_cast<std::uint16_t>(e.code), e.venue_code, e.message);
  }
}

void BinanceAccount::handle_order_body(std::string_view body, InstrumentId instrument) {
  JsonParser parser;
  OrderInfo info;
  if (auto p = parse_order(parser, body, info); !p) {
    spdlog::warn("binance account {}: order response: {}", account_.value, p.error().message);
    return;  // unknown outcome: the ack timeout queries
  }
  std::vector<EventPayload> events;
  order_info_events(info, account_, instrument, futures(), events);
  emit(events, info.order_id, 0, ms_to_ns(info.time));
}

void BinanceAccount::do_cancel(const CancelOrder& c) {
  const Instrument* in = shared_.instrument(c.instrument);
  if (in == nullptr) return;
  auto req = cancel_req(*in, c.client_order_id);
  if (!req) {
    spdlog::warn("binance account {} cancel: {}", account_.value, req.error().message);
    return;
  }
  auto r = send(*req, "cancel order");
  if (r) return handle_order_body(r->body, c.instrument);
  // A cancel the venue refused (-2011 unknown order, already filled ...) has no event of its
  // own: ask the venue what the order's state is instead.
  spdlog::info("binance account {} cancel {}: {}", account_.value, c.client_order_id.view(),
               r.error().message);
  if (r.error().code != ExchangeErrorCode::kRateLimited) do_query(c.instrument, c.client_order_id);
}

void BinanceAccount::do_query(InstrumentId instrument, const ClientOrderIdText& cid) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return;
  auto req = query_req(*in, cid);
  if (!req) return;
  const std::uint64_t serial = ++query_serial_;
  auto r = send(*req, "query order");
  std::vector<EventPayload> events;
  if (!r) {
    if (r.error().code != ExchangeErrorCode::kUnknownOrder) {
      spdlog::warn("binance account {} query {}: {}", account_.value, cid.view(),
                   r.error().message);
      return;  // no answer: the caller's timer asks again
    }
    // -2013: the venue never accepted it.
    events.emplace_back(unknown_to_venue(account_, instrument, cid));
    emit(events, 0, serial, wall_now_ns());
    return;
  }
  JsonParser parser;
  OrderInfo info;
  if (auto p = parse_order(parser, r->body, info); !p) {
    spdlog::warn("binance account {} query: {}", account_.value, p.error().message);
    return;
  }
  report_trades(instrument, cid, info, parser);
  events.emplace_back(reconciled(info, account_, instrument, futures()));
  emit(events, info.order_id, serial, ms_to_ns(info.time));
}

// Fills the stream delivered while nobody listened (a restart, a reconnect) are not in an order's
// status: fetch the order's trades and report each with the stream's report id, so a fill
// already known is kept once and a missed one is not lost. Called before the status is reported.
void BinanceAccount::report_trades(InstrumentId instrument, const ClientOrderIdText& cid,
                                   const OrderInfo& info, JsonParser& parser) {
  if (!info.executed_qty.is_positive() || info.order_id == 0) return;
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return;
  HistoryQuery q;
  q.order_id = info.order_id;
  std::vector<AccountTrade> trades;
  bool fetched = false;
  if (auto treq = trades_req(*in, q)) {
    auto tr = send(*treq, "order trades");
    fetched = tr && parse_account_trades(parser, tr->body, trades).ok();
  }
  if (!fetched) {
    spdlog::warn("binance account {} query {}: the order's trades not fetched", account_.value,
                 cid.view());
  }
  for (const auto& t : trades) {
    if (t.order_id != info.order_id) continue;
    FillReceived f = fill_of(t, account_, instrument);
    f.client_order_id = cid;
    std::vector<EventPayload> fill{f};
    emit(fill, t.order_id, 0, ms_to_ns(t.time));
  }
}

std::optional<SubmitOrder> BinanceAccount::order_template(const Instrument& in,
                                                          const ClientOrderIdText& cid) {
  {
    std::lock_guard lk(orders_mutex_);
    if (auto it = placed_.find(cid.str()); it != placed_.end()) return it->second;
  }
  auto req = query_req(in, cid);
  if (!req) return std::nullopt;
  auto r = send(*req, "query order");
  if (!r) return std::nullopt;
  JsonParser parser;
  OrderInfo info;
  if (!parse_order(parser, r->body, info)) return std::nullopt;
  SubmitOrder o;
  o.account = account_;
  o.instrument = in.id;
  o.client_order_id = cid;
  o.side = info.side;
  o.price = info.price;
  o.quantity = info.orig_qty;
  o.reduce_only = info.reduce_only;
  const auto tif = info.time_in_force.view();
  o.tif = tif == "IOC"   ? TimeInForce::kIoc
          : tif == "FOK" ? TimeInForce::kFok
          : tif == "GTX" ? TimeInForce::kPostOnly
                         : TimeInForce::kGtc;
  if (info.order_type.view() == "LIMIT_MAKER") o.tif = TimeInForce::kPostOnly;
  o.order_type = info.order_type.view() == "MARKET" ? OrderType::kMarket : OrderType::kLimit;
  return o;
}

// ---- administration ---------------------------------------------------------------------------

namespace {
template <class T>
ExchangeResult<T> fail(ExchangeErrorCode code, std::string message) {
  return Unexpected{exchange_error(code, std::move(message))};
}
}  // namespace

ExchangeResult<std::vector<OrderStatusReconciled>> BinanceAccount::open_orders(
    InstrumentId instrument) {
  const Instrument* in = nullptr;
  if (instrument.valid()) {
    auto r = shared_.require(instrument, "open orders");
    if (!r) return Unexpected{std::move(r).error()};
    in = *r;
  }
  auto req = open_orders_req(in);
  if (!req)
    return fail<std::vector<OrderStatusReconciled>>(ExchangeErrorCode::kBadRequest,
                                                    req.error().message);
  auto r = send(*req, "open orders");
  if (!r) return Unexpected{std::move(r).error()};
  JsonParser parser;
  std::vector<OrderInfo> orders;
  if (auto p = parse_orders(parser, r->body, orders); !p)
    return fail<std::vector<OrderStatusReconciled>>(ExchangeErrorCode::kBadResponse,
                                                    "open orders: " + p.error().message);
  std::vector<OrderStatusReconciled> out;
  for (const auto& o : orders) {
    auto id = shared_.lookup(o.symbol.view());
    out.push_back(reconciled(o, account_, id.value_or(InstrumentId{}), futures()));
  }
  return out;
}

namespace {
std::uint64_t record_id(const OrderInfo& o) { return o.order_id; }
std::uint64_t record_id(const AccountTrade& t) { return static_cast<std::uint64_t>(t.id); }
}  // namespace

template <class Record>
ExchangeResult<std::vector<Record>> BinanceAccount::walk_history(TimeNs since, const PageFetch<Record>& fetch,
                                                                 bool trades, std::string_view what) {
  constexpr std::int64_t kDayMs = 86'400'000;
  constexpr std::int64_t kMaxBackMs = 91 * kDayMs;
  const std::int64_t window = futures() ? 7 * kDayMs : kDayMs;  // the venue's longest
  const std::uint32_t limit = std::max<std::uint32_t>(shared_.cfg.history_page_limit, 1);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           shared_.offset_ms.load();
  const std::int64_t start = venue::history_start_ms("binance", account_, what, since, now, kMaxBackMs);
  // One page with no time first: spot answers the most recent records of all time, USD-M those of
  // the last 7 days; a page that is not full then holds everything asked (the usual case: one
  // request instead of a walk).
  if (!futures() || start >= now - window) {
    auto recent = fetch(HistoryQuery{0, 0, limit, 0, 0});
    if (!recent) return Unexpected{std::move(recent).error()};
    if (recent->size() < limit) {
      std::vector<Record> out;
      for (const auto& r : *recent) {
        if (static_cast<std::int64_t>(r.time) >= start) out.push_back(r);
      }
      return out;
    }
  }
  // The walk (venue_common): the venue's windows, a full page's window split in two.
  return venue::walk_windows<Record>(
      start, now, window,
      [&](venue::HistoryWindow w) -> ExchangeResult<venue::WindowPage<Record>> {
        auto page = fetch(HistoryQuery{w.start_ms, w.end_ms, limit, 0, 0});
        if (!page) return Unexpected{std::move(page).error()};
        const bool full = page->size() >= limit;
        return venue::WindowPage<Record>{std::move(*page), full};
      },
      [&](venue::HistoryWindow w, std::vector<Record> page) -> ExchangeResult<std::vector<Record>> {
        // A full page in one millisecond: on by id while the records stay in it.
        bool full = true;
        while (full && !page.empty()) {
          HistoryQuery q{0, 0, limit, 0, 0};
          (trades ? q.from_id : q.order_id) = record_id(page.back()) + 1;
          auto more = fetch(q);
          if (!more) return Unexpected{std::move(more).error()};
          full = more->size() >= limit;
          for (const auto& r : *more) {
            if (static_cast<std::int64_t>(r.time) != w.start_ms) {
              full = false;  // past the millisecond: the next window has it
              break;
            }
            page.push_back(r);
          }
        }
        return page;
      });
}

ExchangeResult<std::vector<OrderStatusReconciled>> BinanceAccount::all_orders(
    InstrumentId instrument, TimeNs since) {
  auto in = shared_.require(instrument, "all orders");
  if (!in) return Unexpected{std::move(in).error()};
  const Instrument& ins = **in;
  auto orders = walk_history<OrderInfo>(
      since,
      [&](const HistoryQuery& q) -> ExchangeResult<std::vector<OrderInfo>> {
        auto req = all_orders_req(ins, q);
        if (!req) return fail<std::vector<OrderInfo>>(ExchangeErrorCode::kBadRequest, req.error().message);
        auto r = send(*req, "all orders");
        if (!r) return Unexpected{std::move(r).error()};
        JsonParser parser;
        std::vector<OrderInfo> page;
        if (auto p = parse_orders(parser, r->body, page); !p) {
          return fail<std::vector<OrderInfo>>(ExchangeErrorCode::kBadResponse, "all orders: " + p.error().message);
        }
        return page;
      },
      false, "all orders");
  if (!orders) return Unexpected{std::move(orders).error()};
  std::vector<OrderStatusReconciled> out;
  for (const auto& o : *orders) out.push_back(reconciled(o, account_, instrument, futures()));
  return out;
}

ExchangeResult<FeeRates> BinanceAccount::fee_rates(InstrumentId instrument) {
  auto in = shared_.require(instrument, "fee rates");
  if (!in) return Unexpected{std::move(in).error()};
  const std::string what = futures() ? "commissionRate" : "account/commission";
  auto req = futures() ? usdm_commission_rate(**in) : spot_commission(**in);
  if (!req) return fail<FeeRates>(ExchangeErrorCode::kBadRequest, req.error().message);
  auto r = send(*req, what);
  if (!r) return Unexpected{std::move(r).error()};
  JsonParser parser;
  CommissionRates c;
  const auto p = futures() ? parse_usdm_commission_rate(parser, r->body, c) : parse_spot_commission(parser, r->body, c);
  if (!p) return fail<FeeRates>(ExchangeErrorCode::kBadResponse, what + ": " + p.error().message);
  return FeeRates{c.maker, c.taker};
}

ExchangeResult<std::uint32_t> BinanceAccount::cancel_all(InstrumentId instrument) {
  auto in = shared_.require(instrument, "cancel all");
  if (!in) return Unexpected{std::move(in).error()};
  auto req = spot_cancel_all(**in);
  if (!req) return fail<std::uint32_t>(ExchangeErrorCode::kBadRequest, req.error().message);
  auto r = send(*req, "cancel all (DELETE openOrders)");
  if (!r) {
    // -2011 "Unknown order sent.": the symbol has no open order.
    if (r.error().venue_code == -2011) return std::uint32_t{0};
    return Unexpected{std::move(r).error()};
  }
  JsonParser parser;
  std::vector<OrderInfo> canceled;  // the orders, and the order lists' orderReports
  if (auto p = parse_orders(parser, r->body, canceled); !p)
    return fail<std::uint32_t>(ExchangeErrorCode::kBadResponse, "cancel all: " + p.error().message);
  return static_cast<std::uint32_t>(canceled.size());
}

ExchangeResult<std::vector<FillReceived>> BinanceAccount::my_trades(InstrumentId instrument,
                                                                    TimeNs since) {
  auto in = shared_.require(instrument, "my trades");
  if (!in) return Unexpected{std::move(in).error()};
  const Instrument& ins = **in;
  auto trades = walk_history<AccountTrade>(
      since,
      [&](const HistoryQuery& q) -> ExchangeResult<std::vector<AccountTrade>> {
        auto req = trades_req(ins, q);
        if (!req) return fail<std::vector<AccountTrade>>(ExchangeErrorCode::kBadRequest, req.error().message);
        auto r = send(*req, "my trades");
        if (!r) return Unexpected{std::move(r).error()};
        JsonParser parser;
        std::vector<AccountTrade> page;
        if (auto p = parse_account_trades(parser, r->body, page); !p) {
          return fail<std::vector<AccountTrade>>(ExchangeErrorCode::kBadResponse, "my trades: " + p.error().message);
        }
        return page;
      },
      true, "my trades");
  if (!trades) return Unexpected{std::move(trades).error()};
  std::vector<FillReceived> out;
  for (const auto& t : *trades) out.push_back(fill_of(t, account_, instrument));
  return out;
}

ExchangeResult<std::vector<Instrument>> BinanceAccount::exchange_rules() {
  auto req = exchange_info(market());
  if (!req)
    return fail<std::vector<Instrument>>(ExchangeErrorCode::kBadRequest, req.error().message);
  auto r = check(shared_.send(index_, *req, nullptr, "exchangeInfo"), "exchangeInfo");
  if (!r) return Unexpected{std::move(r).error()};
  auto parsed = parse_exchange_info(r->body, market());
  if (!parsed)
    return fail<std::vector<Instrument>>(ExchangeErrorCode::kBadResponse,
                                         "exchangeInfo: " + parsed.error().message);
  for (auto& in : *parsed)
    if (auto id = shared_.lookup(in.venue_symbol)) in.id = *id;
  return std::move(parsed).value();
}

ExchangeResult<Unit> BinanceAccount::subscribe_market_data(
    std::span<const InstrumentId> instruments, MarketDataStreams streams, MarketDataSink sink) {
  if (instruments.empty() || !sink)
    return fail<Unit>(ExchangeErrorCode::kBadRequest, "market data: no instruments or no sink");
  for (InstrumentId id : instruments)
    if (auto r = shared_.require(id, "market data"); !r) return Unexpected{std::move(r).error()};
  auto feed = std::make_unique<MarketDataFeed>(
      shared_, std::vector<InstrumentId>(instruments.begin(), instruments.end()), streams,
      std::move(sink));
  feed->start();
  std::lock_guard lk(shared_.feeds_mutex);
  shared_.feeds.push_back(std::move(feed));
  return Unit{};
}

}  // namespace oms::binance
