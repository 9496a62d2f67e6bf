// UpbitVenue (exchange_upbit.hpp): the shared part -- HTTPS pool, instruments, order lanes
// (venue_common.hpp), the one path every REST request takes -- and UpbitAccount: orders on the
// account's lane, the synchronous administration calls, the reports it emits.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "exchange_internal.hpp"

namespace oms::upbit {

namespace {

constexpr std::uint16_t kVenueRejected = static_cast<std::uint16_t>(ExchangeErrorCode::kVenueRejected);
constexpr std::uint16_t kRateLimitedCode = static_cast<std::uint16_t>(ExchangeErrorCode::kRateLimited);
constexpr std::uint16_t kBadRequestCode = static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest);
constexpr std::uint16_t kUnsupportedCode = static_cast<std::uint16_t>(ExchangeErrorCode::kUnsupported);
constexpr unsigned kTooManyRequests = 429;
constexpr TimeNs kNsPerMs = 1'000'000;
constexpr TimeNs kSecondNs = 1'000'000'000;
constexpr std::int64_t kClosedWindowMs = 7LL * 24 * 3'600'000;  // /v1/orders/closed: 7 days a query
constexpr std::int64_t kHistoryMs = 13 * kClosedWindowMs;  // 91 days: how far back closed orders are walked
// A history walk's requests 40 ms apart: 25 a second, under the default group's 30.
constexpr std::chrono::milliseconds kHistoryGap{40};

// "group=order; min=1799; sec=0" -> the sec figure.
std::optional<std::int64_t> remaining_per_second(const net::HttpResponse& r) {
  const std::string* v = r.header("Remaining-Req");
  if (v == nullptr) return std::nullopt;
  const auto at = v->find("sec=");
  if (at == std::string::npos) return std::nullopt;
  std::int64_t sec = 0;
  const char* begin = v->data() + at + 4;
  if (std::from_chars(begin, v->data() + v->size(), sec).ec != std::errc{}) return std::nullopt;
  return sec;
}

ExchangeError rest_error(const RestError& e, std::string_view what) {
  if (e.refused) {
    return exchange_error(ExchangeErrorCode::kVenueRejected,
                          std::string(what) + ": " + e.refusal.name + " " + e.refusal.message, e.refusal.code);
  }
  return exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": " + e.message);
}

}  // namespace

ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r, std::string_view what) {
  if (r && (r->status < 200 || r->status >= 300) && r->status < 500) {
    // A 4xx carries {"error":{"name","message"}}: a refusal, named.
    if (auto err = parse_order_ack(r->body); !err && err.error().refused) {
      const VenueRefusal& ref = err.error().refusal;
      const auto code = r->status == kTooManyRequests ? ExchangeErrorCode::kRateLimited : ExchangeErrorCode::kVenueRejected;
      return Unexpected{exchange_error(code,
                                       std::string(what) + ": HTTP " + std::to_string(r->status) + " " + ref.name + ": " +
                                           ref.message,
                                       ref.code)};
    }
  }
  return venue::body_of(std::move(r), what, kTooManyRequests);
}

// ---- shared -----------------------------------------------------------------------------------

UpbitVenue::Shared::Shared(UpbitConfig c)
    : cfg(std::move(c)),
      ban("upbit", 418, cfg.ip_ban_fallback, "blocked this connection"),
      pool(cfg.rest, cfg.tls, std::max<std::size_t>(cfg.pool_size, 1)) {
  for (const auto& in : cfg.instruments) {
    by_id.emplace(in.id.value, in);
    by_code.emplace(in.venue_symbol, in.id);
  }
  if (cfg.private_stream && !cfg.accounts.empty()) streams = std::make_unique<net::IoThread>("oms-upbit");
  lanes = std::make_unique<Lanes>(pool.size(), "upbit");
}

const Instrument* UpbitVenue::Shared::instrument(InstrumentId id) const {
  const auto it = by_id.find(id.value);
  return it == by_id.end() ? nullptr : &it->second;
}

const Instrument* UpbitVenue::Shared::instrument(std::string_view code) const {
  const auto it = by_code.find(std::string(code));
  return it == by_code.end() ? nullptr : instrument(it->second);
}

ExchangeResult<net::HttpResponse> UpbitVenue::Shared::send(const RestRequest& req, AccountAuth* auth,
                                                           OrderBudget* budget, std::string_view what) {
  net::HttpRequest http;
  {
    std::unique_lock<std::mutex> lk;
    Credentials creds;
    std::string nonce;
    if (auth != nullptr) {
      lk = std::unique_lock(auth->mutex);
      creds.access_key = auth->access_key.view();
      creds.signer = auth->signer ? &*auth->signer : nullptr;
      auto n = new_nonce();
      if (!n) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + n.error().message)};
      nonce = std::move(*n);
    }
    auto r = render_into(req, creds, nonce, http);
    if (!r) {
      return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + r.error().message)};
    }
  }
  http.timeout = cfg.request_timeout;
  // Blocked: nothing leaves (a request now would lengthen the block).
  if (auto refused = ban.refuse(what, wall_now_ns())) return Unexpected{std::move(*refused)};
  auto lease = pool.lease(cfg.request_timeout);
  if (!lease) {
    return Unexpected{exchange_error(ExchangeErrorCode::kTransport, std::string(what) + ": not sent, no free connection")};
  }
  auto res = (*lease)->request(http);
  if (!res) {
    const auto c = res.error().code;
    const bool maybe = c == net::HttpErrorCode::kTimeout || c == net::HttpErrorCode::kClosed ||
                       c == net::HttpErrorCode::kProtocol;
    return Unexpected{exchange_error(maybe ? ExchangeErrorCode::kMaybeSent : ExchangeErrorCode::kTransport,
                                     std::string(what) + (maybe ? ": may have reached the venue, " : ": not sent, ") +
                                         res.error().message)};
  }
  if (auto banned = ban.answered(*res, what, wall_now_ns(), cfg.on_alert, cfg.rest.host)) return Unexpected{std::move(*banned)};
  // The venue's word on the group's budget: none left this second -> held to the next one.
  if (budget != nullptr) {
    if (const auto sec = remaining_per_second(*res); sec && *sec <= 0) {
      std::lock_guard lk(budget->mutex);
      budget->venue_hold_until_ns = std::max(budget->venue_hold_until_ns, (wall_now_ns() / kSecondNs + 1) * kSecondNs);
    }
  }
  return std::move(*res);
}

bool UpbitVenue::Shared::admit_order(OrderBudget& budget, std::uint32_t orders) {
  const TimeNs deadline =
      wall_now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.request_timeout).count();
  return venue::admit(budget, cfg.orders_per_second, orders, deadline, venue::StopSignal{mutex, wake, stopping});
}

void UpbitVenue::Shared::maintenance_loop() {
  std::unique_lock lk(mutex);
  while (!wake.wait_for(lk, cfg.ws_ping_interval, [this] { return stopping; })) {
    lk.unlock();
    for (auto& a : accounts) a->heartbeat();
    {
      std::lock_guard fl(feeds_mutex);
      for (auto& f : feeds) f->heartbeat();
    }
    lk.lock();
  }
}

// ---- UpbitVenue -------------------------------------------------------------------------------

UpbitVenue::UpbitVenue(UpbitConfig config) : shared_(std::make_unique<Shared>(std::move(config))) {
  if (shared_->cfg.history_page_limit < 1 || shared_->cfg.history_page_limit > 1000) {
    throw std::runtime_error("upbit config history_page_limit: " + std::to_string(shared_->cfg.history_page_limit) +
                             " is not in [1, 1000] (/v1/orders/closed's limit)");
  }
  for (std::size_t i = 0; i < shared_->cfg.accounts.size(); ++i) {
    shared_->accounts.push_back(std::make_unique<UpbitAccount>(*shared_, i, std::move(shared_->cfg.accounts[i])));
  }
}

UpbitVenue::~UpbitVenue() { stop(); }

ExchangeResult<Unit> UpbitVenue::start() {
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = false;
  }
  if (!shared_->maintenance.joinable()) shared_->maintenance = std::thread([s = shared_.get()] { s->maintenance_loop(); });
  return Unit{};
}

void UpbitVenue::stop() {
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->wake.notify_all();
  for (auto& a : shared_->accounts) a->stop();
  {
    std::lock_guard lk(shared_->feeds_mutex);
    for (auto& f : shared_->feeds) f->stop();
    shared_->feeds.clear();
  }
  shared_->lanes->stop();
  if (shared_->maintenance.joinable()) shared_->maintenance.join();
}

std::size_t UpbitVenue::account_count() const noexcept { return shared_->accounts.size(); }
Exchange& UpbitVenue::account(std::size_t index) { return *shared_->accounts.at(index); }

std::optional<std::string> UpbitVenue::replace_credentials(std::size_t index, secrets::ApiCredentials credentials) {
  try {
    shared_->accounts.at(index)->set_credentials(std::move(credentials));
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}
TimeNs UpbitVenue::banned_until_ns() const noexcept { return shared_->ban.until_ns(); }

std::optional<OrderBudgetUse> UpbitVenue::order_budget(AccountId account) const {
  for (const auto& a : shared_->accounts) {
    if (a->account() == account) return a->budget_use();
  }
  return std::nullopt;
}
std::optional<std::size_t> UpbitVenue::account_index(AccountId account) const noexcept {
  for (std::size_t i = 0; i < shared_->accounts.size(); ++i) {
    if (shared_->accounts[i]->account() == account) return i;
  }
  return std::nullopt;
}

// ---- one account ------------------------------------------------------------------------------

UpbitAccount::UpbitAccount(UpbitVenue::Shared& shared, std::size_t index, UpbitAccountConfig cfg)
    : shared_(shared), index_(index), account_(cfg.account) {
  set_credentials(std::move(cfg.credentials));
}

void UpbitAccount::set_credentials(secrets::ApiCredentials c) {
  const std::string who = "upbit account " + std::to_string(account_.value);
  if (!c.private_key.empty()) throw std::runtime_error(who + ": Upbit keys are HMAC secrets, not PEM keys");
  std::optional<JwtSigner> signer;
  if (!c.api_secret.empty()) {
    auto s = JwtSigner::create(c.api_secret.view());
    if (!s) throw std::runtime_error(who + ": secret key: " + s.error().message);
    signer.emplace(std::move(s).value());
  }
  std::lock_guard lk(auth_.mutex);
  std::swap(auth_.access_key, c.api_key);
  std::swap(auth_.signer, signer);
}  // the old access key (now in c) and signer released here, the key wiped

UpbitAccount::~UpbitAccount() { stop(); }

AccountContext UpbitAccount::context() const {
  return AccountContext{account_, [this](std::string_view code) { return shared_.instrument(code); }};
}

ExchangeResult<Unit> UpbitAccount::start(ReportSink sink) {
  {
    std::lock_guard lk(sink_mutex_);
    sink_ = std::move(sink);
  }
  running_ = true;
  if (shared_.cfg.private_stream) open_stream();
  return Unit{};
}

void UpbitAccount::stop() {
  running_ = false;
  {
    std::lock_guard lk(stream_mutex_);
    if (stream_) stream_->stop();
    stream_.reset();
  }
  stream_up_ = false;
}

void UpbitAccount::enqueue(std::function<void()> job) { shared_.lanes->post(index_, std::move(job)); }

ExchangeResult<net::HttpResponse> UpbitAccount::send(const RestRequest& req, std::string_view what) {
  if (req.order_count > 0 && !shared_.admit_order(budget_, req.order_count)) {
    return Unexpected{exchange_error(ExchangeErrorCode::kRateLimited,
                                     std::string(what) + ": not sent, the account's order budget is spent")};
  }
  return shared_.send(req, &auth_, &budget_, what);
}

void UpbitAccount::emit(const EventPayload& e, std::string_view venue_order_id, std::uint64_t time_key,
                        TimeNs venue_time) {
  const ExchangeReport r{report_id(account_, Market::kSpot, e, venue_order_id, time_key), venue_time, e};
  std::lock_guard lk(sink_mutex_);
  if (sink_) sink_(r);
}

void UpbitAccount::emit(const VenueEvent& e) {
  // Balances are keyed by their update time (each update its own fact).
  const bool timed = std::holds_alternative<BalanceUpdated>(e.payload);
  emit(e.payload, e.venue_order_id, timed ? static_cast<std::uint64_t>(e.venue_time) : 0, e.venue_time);
}

void UpbitAccount::log_notes(const std::vector<std::string>& notes, const std::vector<std::string>& skipped) {
  for (const auto& n : notes) spdlog::warn("upbit account {}: {}", account_.value, n);
  for (const auto& s : skipped) spdlog::debug("upbit account {}: {}", account_.value, s);
}

void UpbitAccount::reject(InstrumentId instrument, const ClientOrderIdText& cid, std::uint16_t code,
                          std::int32_t venue_code, std::string_view reason) {
  OrderRejected r{account_, instrument, cid, code, venue_code, {}};
  (void)r.reason.assign(reason.substr(0, ReasonText::kCapacity));
  emit(r, {}, 0, wall_now_ns());
}

void UpbitAccount::accepted(InstrumentId instrument, const ClientOrderIdText& cid, std::string_view uuid) {
  VenueOrderId v;
  if (!v.assign(uuid)) {
    spdlog::error("upbit account {}: order uuid '{}' too long", account_.value, uuid);
    return;
  }
  // The same fact as the stream's wait state: one report id, kept once.
  emit(OrderAccepted{account_, instrument, cid, v}, uuid, 0, wall_now_ns());
}

void UpbitAccount::place(const SubmitOrder& order, const SendOrigin& origin) {
  (void)origin;  // the order leaves from the lane; its socket time is not traced here yet
  enqueue([this, order] { do_place(order); });
}

void UpbitAccount::do_place(const SubmitOrder& o) {
  const Instrument* in = shared_.instrument(o.instrument);
  if (in == nullptr) return reject(o.instrument, o.client_order_id, kBadRequestCode, 0, "instrument not configured");
  if (has_stop_price(o.order_type)) {
    return reject(o.instrument, o.client_order_id, kUnsupportedCode, 0,
                  "upbit: stop and take-profit orders (reserved orders) are not supported by this connector yet");
  }
  if (o.order_type == OrderType::kMarket && o.side == Side::kBuy) {
    return reject(o.instrument, o.client_order_id, kUnsupportedCode, 0,
                  "upbit: a market buy is sized in the quote currency (the amount to spend); send a limit order "
                  "(an IOC at the touch) for a base quantity");
  }
  auto req = new_order(in->venue_symbol, o);
  if (!req) return reject(o.instrument, o.client_order_id, kBadRequestCode, 0, req.error().message);
  auto body = body_of(send(*req, "new order"), "new order");
  if (!body) {
    const ExchangeError& e = body.error();
    if (e.code == ExchangeErrorCode::kRateLimited) return reject(o.instrument, o.client_order_id, kRateLimitedCode, e.venue_code, e.message);
    if (e.code == ExchangeErrorCode::kVenueRejected) return reject(o.instrument, o.client_order_id, kVenueRejected, e.venue_code, e.message);
    spdlog::warn("upbit account {} new order {}: {}", account_.value, o.client_order_id.view(), e.message);
    return;  // may have reached the venue: the ack timeout asks
  }
  auto ack = parse_order_ack(*body);
  if (!ack) {
    const RestError& e = ack.error();
    if (e.refused) return reject(o.instrument, o.client_order_id, kVenueRejected, e.refusal.code, reason_of(e.refusal).view());
    spdlog::warn("upbit account {} new order {}: {}", account_.value, o.client_order_id.view(), e.message);
    return;
  }
  accepted(o.instrument, o.client_order_id, ack->uuid);
}

void UpbitAccount::cancel(const CancelOrder& c) {
  enqueue([this, c] { do_cancel(c); });
}

void UpbitAccount::do_cancel(const CancelOrder& c) {
  if (shared_.instrument(c.instrument) == nullptr) return;
  auto req = cancel_order(c);
  if (!req) {
    spdlog::warn("upbit account {} cancel: {}", account_.value, req.error().message);
    return;
  }
  auto body = body_of(send(*req, "cancel order"), "cancel order");
  if (body) return;  // myOrder brings the cancel with the filled volume
  if (body.error().code == ExchangeErrorCode::kMaybeSent || body.error().code == ExchangeErrorCode::kHttpStatus) return;
  // Refused (order_not_found, already done ...): no event of its own -- ask for the order.
  spdlog::info("upbit account {} cancel {}: {}", account_.value, c.client_order_id.view(), body.error().message);
  do_query(c.instrument, c.client_order_id);
}

void UpbitAccount::amend(const AmendOrder& a) {
  // Upbit's cancel_and_new makes a new order with a new identifier: not an amendment of ours.
  spdlog::warn("upbit account {} amend {}: Upbit has no amendment (cancel and place a new order); asking the order's state",
               account_.value, a.client_order_id.view());
  query(a.instrument, a.client_order_id);
}

void UpbitAccount::place_batch(const SubmitBatch& batch) {
  // Upbit has no batch placement: one request per order, in order, on the account's lane.
  for (const auto& o : batch.orders) place(o);
}

void UpbitAccount::cancel_batch(std::span<const CancelOrder> cancels) {
  for (const auto& c : cancels) cancel(c);
}

void UpbitAccount::query(InstrumentId instrument, const ClientOrderIdText& cid) {
  enqueue([this, instrument, cid] { do_query(instrument, cid); });
}

ExchangeResult<OrderAnswer> UpbitAccount::order_with_trades(std::string_view uuid, std::string_view what) {
  auto req = get_order(OrderRef{uuid, {}});
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + req.error().message)};
  auto body = body_of(send(*req, what), what);
  if (!body) return Unexpected{std::move(body).error()};
  auto a = parse_order(*body, context());
  if (!a) return Unexpected{rest_error(a.error(), what)};
  return std::move(*a);
}

void UpbitAccount::do_query(InstrumentId instrument, const ClientOrderIdText& cid) {
  if (shared_.instrument(instrument) == nullptr) return;
  const std::uint64_t serial = ++query_serial_;
  auto req = get_order(OrderRef{{}, cid.view()});
  if (!req) {
    spdlog::warn("upbit account {} query {}: {}", account_.value, cid.view(), req.error().message);
    return;
  }
  auto body = body_of(send(*req, "query order"), "query order");
  if (!body) {
    if (body.error().code == ExchangeErrorCode::kVenueRejected && body.error().venue_code == code_of("order_not_found")) {
      OrderStatusReconciled unknown;  // the venue never took it
      unknown.account = account_;
      unknown.instrument = instrument;
      unknown.client_order_id = cid;
      unknown.status = OrderStatus::kRejected;
      emit(unknown, {}, serial, wall_now_ns());
      return;
    }
    spdlog::warn("upbit account {} query {}: {}", account_.value, cid.view(), body.error().message);
    return;  // no answer: the caller's timer asks again
  }
  auto a = parse_order(*body, context());
  if (!a) {
    spdlog::warn("upbit account {} query {}: {}", account_.value, cid.view(), a.error().message);
    return;
  }
  log_notes(a->notes, {});
  for (const auto& f : a->fills) emit(f);
  emit(a->order, a->order.venue_order_id.view(), serial, wall_now_ns());
}

// ---- administration ---------------------------------------------------------------------------

ExchangeResult<std::vector<OrderStatusReconciled>> UpbitAccount::open_orders(InstrumentId instrument) {
  const Instrument* in = instrument.valid() ? shared_.instrument(instrument) : nullptr;
  if (instrument.valid() && in == nullptr)
    return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "open orders: instrument not configured")};
  std::vector<OrderStatusReconciled> out;
  constexpr std::uint32_t kLimit = 100;
  for (std::uint32_t page = 1; page <= 1000; ++page) {
    OpenOrdersQuery q;
    if (in != nullptr) q.market = in->venue_symbol;
    q.page = page;
    q.limit = kLimit;
    auto req = upbit::open_orders(q);
    if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "open orders: " + req.error().message)};
    auto body = body_of(send(*req, "open orders"), "open orders");
    if (!body) return Unexpected{std::move(body).error()};
    auto p = parse_orders(*body, context());
    if (!p) return Unexpected{rest_error(p.error(), "open orders")};
    log_notes(p->notes, p->skipped);
    for (auto& o : p->orders) out.push_back(o);
    if (p->count < kLimit) return out;
  }
  return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, "open orders: more than 1000 pages")};
}

ExchangeResult<std::vector<OrderStatusReconciled>> UpbitAccount::closed_since(const Instrument* in, TimeNs since,
                                                                              std::string_view what, venue::Pacer& pace) {
  // /v1/orders/closed answers one window of at most 7 days (by the orders' creation time) and
  // at most `limit` orders of it, newest first, with no cursor: the walk asks [since, now] a
  // week at a time (one request when since is within the week), a full page's window split in
  // two until each half fits a page; at most kHistoryMs back (an older since said in the log).
  const std::string_view states[] = {"done", "cancel"};
  const std::int64_t now = wall_now_ns() / kNsPerMs;
  const std::int64_t start = venue::history_start_ms("upbit", account_, what, since, now, kHistoryMs);
  const std::uint32_t limit = shared_.cfg.history_page_limit;
  return venue::walk_windows<OrderStatusReconciled>(
      start, now, kClosedWindowMs, what,
      [&](venue::HistoryWindow w) -> ExchangeResult<venue::WindowPage<OrderStatusReconciled>> {
        ClosedOrdersQuery q;
        if (in != nullptr) q.market = in->venue_symbol;
        q.states = states;
        q.start_ms = w.start_ms;
        q.end_ms = w.end_ms;
        q.limit = limit;
        auto req = closed_orders(q);
        if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + req.error().message)};
        pace.wait();
        auto body = body_of(send(*req, what), what);
        if (!body) return Unexpected{std::move(body).error()};
        auto p = parse_orders(*body, context());
        if (!p) return Unexpected{rest_error(p.error(), what)};
        log_notes(p->notes, p->skipped);
        return venue::WindowPage<OrderStatusReconciled>{std::move(p->orders), p->count >= limit};
      });
}

ExchangeResult<std::vector<OrderStatusReconciled>> UpbitAccount::orders_since(InstrumentId instrument, TimeNs since,
                                                                              std::string_view what, venue::Pacer& pace) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, std::string(what) + ": instrument not configured")};
  // The open orders first, then the closed -- read later, so an order closed between the two is
  // taken from them (and one closed in between is never missed).
  pace.wait();
  auto open = open_orders(instrument);
  if (!open) return Unexpected{std::move(open).error()};
  auto closed = closed_since(in, since, what, pace);
  if (!closed) return closed;
  return venue::open_then_closed(std::move(*open), std::move(*closed));
}

ExchangeResult<std::vector<OrderStatusReconciled>> UpbitAccount::all_orders(InstrumentId instrument, TimeNs since) {
  venue::Pacer pace(kHistoryGap);
  return orders_since(instrument, since, "all orders", pace);
}

ExchangeResult<std::vector<FillReceived>> UpbitAccount::my_trades(InstrumentId instrument, TimeNs since) {
  // Upbit lists no account trades of their own: each order's trades come with the order.
  venue::Pacer pace(kHistoryGap);
  auto orders = orders_since(instrument, since, "my trades", pace);
  if (!orders) return Unexpected{std::move(orders).error()};
  std::vector<FillReceived> out;
  for (const auto& o : *orders) {
    if (!o.cum_qty.is_positive()) continue;
    pace.wait();
    auto a = order_with_trades(o.venue_order_id.view(), "my trades");
    if (!a) return Unexpected{std::move(a).error()};
    log_notes(a->notes, {});
    for (const auto& f : a->fills) {
      if (const auto* fill = std::get_if<FillReceived>(&f.payload)) out.push_back(*fill);
    }
  }
  return out;
}

ExchangeResult<std::vector<BalanceUpdated>> UpbitAccount::balances() {
  auto body = body_of(send(*accounts(), "accounts"), "accounts");
  if (!body) return Unexpected{std::move(body).error()};
  auto b = parse_accounts(*body, context());
  if (!b) return Unexpected{rest_error(b.error(), "accounts")};
  log_notes(b->notes, {});
  return std::move(b->balances);
}

ExchangeResult<FeeRates> UpbitAccount::fee_rates(InstrumentId instrument) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "fee rates: instrument not configured")};
  auto req = order_chance(in->venue_symbol);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "fee rates: " + req.error().message)};
  auto body = body_of(send(*req, "orders/chance"), "orders/chance");
  if (!body) return Unexpected{std::move(body).error()};
  auto f = parse_chance_fees(*body);
  if (!f) return Unexpected{rest_error(f.error(), "orders/chance")};
  return *f;
}

ExchangeResult<std::uint32_t> UpbitAccount::cancel_all(InstrumentId instrument) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "cancel all: instrument not configured")};
  // "order-cancel-all": one request per 2 s an account (Upbit's rate limits); count: at most 300.
  constexpr auto kCancelAllGap = std::chrono::milliseconds(2'050);  // 2 s and a margin for clocks
  constexpr std::size_t kMaxPerCall = 300;
  constexpr int kMaxCalls = 20;
  std::lock_guard serial(cancel_all_mutex_);
  std::uint32_t canceled = 0;
  for (int call = 0; call < kMaxCalls; ++call) {
    {
      std::unique_lock lk(shared_.mutex);
      if (shared_.wake.wait_until(lk, next_cancel_all_, [this] { return shared_.stopping; })) {
        return Unexpected{exchange_error(ExchangeErrorCode::kNotStarted, "cancel all: the connector is stopping (" +
                                                                              std::to_string(canceled) + " canceled)")};
      }
    }
    auto req = upbit::cancel_all(in->venue_symbol);
    if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "cancel all: " + req.error().message)};
    auto sent = send(*req, "orders/open (batch cancel)");
    next_cancel_all_ = std::chrono::steady_clock::now() + kCancelAllGap;
    auto body = body_of(std::move(sent), "orders/open (batch cancel)");
    if (!body) return Unexpected{std::move(body).error()};
    auto a = parse_batch_cancel(*body);
    if (!a) return Unexpected{rest_error(a.error(), "orders/open (batch cancel)")};
    canceled += static_cast<std::uint32_t>(a->canceled.size());
    if (!a->failed.empty()) {
      std::string list;
      for (const auto& f : a->failed) list += (list.empty() ? "" : ", ") + f.uuid + " (" + f.state + ")";
      return Unexpected{exchange_error(ExchangeErrorCode::kVenueRejected,
                                       "cancel all " + in->venue_symbol + ": the venue canceled " +
                                           std::to_string(canceled) + " and could not cancel " +
                                           std::to_string(a->failed.size()) + ": " + list)};
    }
    if (a->canceled.size() < kMaxPerCall) break;
  }
  return canceled;
}

ExchangeResult<std::vector<PositionUpdated>> UpbitAccount::positions() {
  return std::vector<PositionUpdated>{};  // spot: balances only
}

ExchangeResult<LeverageChanged> UpbitAccount::set_leverage(InstrumentId, std::uint16_t) {
  return Unexpected{exchange_error(ExchangeErrorCode::kUnsupported, "set leverage: Upbit trades spot only")};
}

ExchangeResult<MarginTypeChanged> UpbitAccount::set_margin_type(InstrumentId, MarginType) {
  return Unexpected{exchange_error(ExchangeErrorCode::kUnsupported, "set margin type: Upbit trades spot only")};
}

ExchangeResult<std::vector<Instrument>> UpbitAccount::exchange_rules() {
  auto all = body_of(shared_.send(*market_all(true), nullptr, nullptr, "markets"), "markets");
  if (!all) return Unexpected{std::move(all).error()};
  std::vector<std::string_view> codes;
  for (const auto& [code, id] : shared_.by_code) {
    (void)id;
    codes.push_back(code);
  }
  std::string ticks;
  if (!codes.empty()) {
    auto t = body_of(shared_.send(*orderbook_instruments(codes), nullptr, nullptr, "tick sizes"), "tick sizes");
    if (!t) return Unexpected{std::move(t).error()};
    ticks = std::move(*t);
  }
  auto p = parse_markets(*all, ticks);
  if (!p) return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, p.error().message)};
  std::vector<Instrument> out;
  for (auto& in : p->instruments) {
    if (const Instrument* known = shared_.instrument(std::string_view(in.instrument.venue_symbol))) in.instrument.id = known->id;
    out.push_back(std::move(in.instrument));
  }
  return out;
}

ExchangeResult<Unit> UpbitAccount::subscribe_market_data(std::span<const InstrumentId> instruments,
                                                         MarketDataStreams streams, MarketDataSink sink) {
  std::vector<InstrumentId> ids;
  for (const InstrumentId id : instruments) {
    if (shared_.instrument(id) == nullptr)
      return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument,
                                       "market data: instrument " + std::to_string(id.value) + " is not configured")};
    ids.push_back(id);
  }
  auto feed = std::make_unique<MarketDataFeed>(shared_, std::move(ids), streams, std::move(sink));
  feed->start();
  std::lock_guard lk(shared_.feeds_mutex);
  shared_.feeds.push_back(std::move(feed));
  return Unit{};
}

}  // namespace oms::upbit
