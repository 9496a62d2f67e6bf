// BybitAccount: one unified account on one category -- orders on the account's lane, the
// synchronous administration calls, and the reports it emits.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "exchange_internal.hpp"
#include "requests_common.hpp"

namespace oms::bybit {

namespace {

constexpr std::uint16_t kVenueRejected = static_cast<std::uint16_t>(ExchangeErrorCode::kVenueRejected);
constexpr std::uint16_t kRateLimitedCode = static_cast<std::uint16_t>(ExchangeErrorCode::kRateLimited);
constexpr std::uint16_t kBadRequestCode = static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest);
constexpr std::int32_t kTooManyVisits = 10006;
constexpr std::int32_t kLeverageNotModified = 110043;
constexpr std::uint32_t kPageLimit = 50;

ExchangeError rest_error(const RestError& e, std::string_view what) {
  if (e.refused) {
    const auto code = e.refusal.ret_code == kTooManyVisits ? ExchangeErrorCode::kRateLimited
                                                          : ExchangeErrorCode::kVenueRejected;
    return exchange_error(code, std::string(what) + ": retCode " + std::to_string(e.refusal.ret_code) + " " +
                                    e.refusal.ret_msg,
                          e.refusal.ret_code);
  }
  return exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": " + e.message);
}

}  // namespace

BybitAccount::BybitAccount(BybitVenue::Shared& shared, std::size_t index, BybitAccountConfig cfg)
    : shared_(shared), index_(index), account_(cfg.account), report_wallet_(cfg.report_wallet) {
  set_credentials(std::move(cfg.credentials));
}

void BybitAccount::set_credentials(secrets::ApiCredentials c) {
  if (!c.private_key.empty()) {
    throw std::runtime_error("bybit account " + std::to_string(account_.value) +
                             ": RSA keys are not supported here; use an HMAC key");
  }
  std::optional<signing::HmacSha256> signer;
  if (!c.api_secret.empty()) {
    auto s = signing::HmacSha256::create(c.api_secret.view());
    if (!s) throw std::runtime_error("bybit account " + std::to_string(account_.value) + ": api secret: " + s.error().message);
    signer.emplace(std::move(s).value());
  }
  std::lock_guard lk(auth_.mutex);
  std::swap(auth_.api_key, c.api_key);
  std::swap(auth_.signer, signer);
}  // the old key (now in c) and signer released here, the key wiped

BybitAccount::~BybitAccount() { stop(); }

AccountContext BybitAccount::context() const {
  return AccountContext{account_, shared_.cfg.market, [this](Market m, std::string_view symbol) -> const Instrument* {
                          return m == shared_.cfg.market ? shared_.instrument(symbol) : nullptr;
                        }};
}

ExchangeResult<Unit> BybitAccount::start(ReportSink sink) {
  {
    std::lock_guard lk(sink_mutex_);
    sink_ = std::move(sink);
  }
  running_ = true;
  if (shared_.cfg.private_stream) open_stream();
  return Unit{};
}

void BybitAccount::stop() {
  running_ = false;
  {
    // The callbacks use stream_ unlocked: it goes only after stop() returned (no callback
    // runs after that); the lock keeps heartbeat() off it meanwhile.
    std::lock_guard lk(stream_mutex_);
    if (stream_) stream_->stop();
    stream_.reset();
  }
  stream_authed_ = false;
  stream_subscribed_ = false;
}

void BybitAccount::enqueue(std::function<void()> job) { shared_.lanes->post(index_, std::move(job)); }

ExchangeResult<net::HttpResponse> BybitAccount::send(const RestRequest& req, std::string_view what) {
  if (req.order_count > 0 && !shared_.admit_order(budget_, req.order_count)) {
    return Unexpected{exchange_error(ExchangeErrorCode::kRateLimited,
                                     std::string(what) + ": not sent, the account's order budget is spent")};
  }
  return shared_.send(req, &auth_, &budget_, what);
}

void BybitAccount::emit(const EventPayload& e, std::string_view venue_order_id, std::uint64_t time_key,
                        TimeNs venue_time) {
  // An order that ended needs no template for amends any more.
  std::visit(
      [this](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, OrderFilled> || std::is_same_v<T, OrderCanceled> ||
                      std::is_same_v<T, OrderExpired> || std::is_same_v<T, OrderRejected>) {
          std::lock_guard lk(orders_mutex_);
          placed_.erase(std::string(ev.client_order_id.view()));
        }
      },
      e);
  const ExchangeReport r{report_id(account_, market(), e, venue_order_id, time_key), venue_time, e};
  std::lock_guard lk(sink_mutex_);
  if (sink_) sink_(r);
}

void BybitAccount::emit(const VenueEvent& e, std::uint64_t time_key) {
  emit(e.payload, e.venue_order_id, time_key, e.venue_time);
}

void BybitAccount::reject(InstrumentId instrument, const ClientOrderIdText& cid, std::uint16_t code,
                          std::int32_t venue_code, std::string_view reason) {
  OrderRejected r{account_, instrument, cid, code, venue_code, {}};
  (void)r.reason.assign(reason.substr(0, ReasonText::kCapacity));  // the venue's text, cut to fit
  emit(r, {}, 0, wall_now_ns());
}

void BybitAccount::accepted(InstrumentId instrument, const ClientOrderIdText& cid, std::string_view order_id) {
  VenueOrderId v;
  if (!v.assign(order_id)) {
    spdlog::error("bybit account {}: order id '{}' too long", account_.value, order_id);
    return;
  }
  // The same fact as the stream's New: one report id, kept once.
  emit(OrderAccepted{account_, instrument, cid, v}, order_id, 0, wall_now_ns());
}

// ---- orders -----------------------------------------------------------------------------------

void BybitAccount::place(const SubmitOrder& order, const SendOrigin& origin) {
  (void)origin;  // the order leaves from the lane; its socket time is not traced here yet
  {
    std::lock_guard lk(orders_mutex_);
    placed_[std::string(order.client_order_id.view())] = order;
  }
  enqueue([this, order] { do_place(order); });
}

void BybitAccount::do_place(const SubmitOrder& o) {
  const Instrument* in = shared_.instrument(o.instrument);
  if (in == nullptr) return reject(o.instrument, o.client_order_id, kBadRequestCode, 0, "instrument not configured");
  auto req = new_order(*in, o);
  if (!req) return reject(o.instrument, o.client_order_id, kBadRequestCode, 0, req.error().message);
  auto body = body_of(send(*req, "new order"), "new order");
  if (!body) {
    if (body.error().code == ExchangeErrorCode::kRateLimited) {
      return reject(o.instrument, o.client_order_id, kRateLimitedCode, 0, body.error().message);
    }
    spdlog::warn("bybit account {} new order {}: {}", account_.value, o.client_order_id.view(), body.error().message);
    return;  // may have reached the venue: the ack timeout asks
  }
  auto ack = parse_order_ack(*body);
  if (!ack) {
    const RestError& e = ack.error();
    if (e.refused && !outcome_unknown(e.refusal.ret_code)) {
      const std::uint16_t code = e.refusal.ret_code == kTooManyVisits ? kRateLimitedCode : kVenueRejected;
      return reject(o.instrument, o.client_order_id, code, e.refusal.ret_code, e.refusal.ret_msg);
    }
    spdlog::warn("bybit account {} new order {}: {}", account_.value, o.client_order_id.view(), e.message);
    return;
  }
  accepted(o.instrument, o.client_order_id, ack->order_id);
}

void BybitAccount::cancel(const CancelOrder& c) {
  enqueue([this, c] { do_cancel(c); });
}

void BybitAccount::do_cancel(const CancelOrder& c) {
  const Instrument* in = shared_.instrument(c.instrument);
  if (in == nullptr) return;
  auto req = cancel_order(*in, c);
  if (!req) {
    spdlog::warn("bybit account {} cancel: {}", account_.value, req.error().message);
    return;
  }
  auto body = body_of(send(*req, "cancel order"), "cancel order");
  if (body) {
    auto ack = parse_order_ack(*body);
    if (ack) return;  // the order topic brings OrderCanceled with the filled quantity
    if (ack.error().refused && outcome_unknown(ack.error().refusal.ret_code)) return;
    spdlog::info("bybit account {} cancel {}: {}", account_.value, c.client_order_id.view(), ack.error().message);
  } else if (body.error().code == ExchangeErrorCode::kMaybeSent || body.error().code == ExchangeErrorCode::kHttpStatus) {
    return;
  }
  // A cancel the venue refused (110001: no such open order -- filled or gone) has no event of
  // its own: ask the venue what the order's state is.
  do_query(c.instrument, c.client_order_id);
}

void BybitAccount::amend(const AmendOrder& a) {
  enqueue([this, a] { do_amend(a); });
}

void BybitAccount::do_amend(const AmendOrder& a) {
  const Instrument* in = shared_.instrument(a.instrument);
  if (in == nullptr) return;
  auto req = amend_order(*in, a);
  if (!req) {
    spdlog::warn("bybit account {} amend: {}", account_.value, req.error().message);
    return;
  }
  auto body = body_of(send(*req, "amend order"), "amend order");
  if (body) {
    auto ack = parse_order_ack(*body);
    if (ack) {
      // Done: the order's new price and total quantity (unchanged fields from the order placed).
      SubmitOrder o;
      {
        std::lock_guard lk(orders_mutex_);
        auto it = placed_.find(std::string(a.client_order_id.view()));
        if (it != placed_.end()) {
          if (!a.new_price.is_zero()) it->second.price = a.new_price;
          if (!a.new_quantity.is_zero()) it->second.quantity = a.new_quantity;
          o = it->second;
        }
      }
      const Decimal price = a.new_price.is_zero() ? o.price : a.new_price;
      const Decimal qty = a.new_quantity.is_zero() ? o.quantity : a.new_quantity;
      emit(OrderAmended{account_, a.instrument, a.client_order_id, price, qty}, ack->order_id, 0, wall_now_ns());
      return;
    }
    if (ack.error().refused && outcome_unknown(ack.error().refusal.ret_code)) return;
    spdlog::info("bybit account {} amend {}: {}", account_.value, a.client_order_id.view(), ack.error().message);
  } else if (body.error().code == ExchangeErrorCode::kMaybeSent || body.error().code == ExchangeErrorCode::kHttpStatus) {
    return;
  }
  do_query(a.instrument, a.client_order_id);
}

void BybitAccount::place_batch(const SubmitBatch& batch) {
  {
    std::lock_guard lk(orders_mutex_);
    for (const auto& o : batch.orders) placed_[std::string(o.client_order_id.view())] = o;
  }
  enqueue([this, batch] { do_place_batch(batch); });
}

void BybitAccount::do_place_batch(const SubmitBatch& b) {
  std::vector<BatchItem> items;
  for (const auto& o : b.orders) {
    const Instrument* in = shared_.instrument(o.instrument);
    if (in == nullptr) {
      reject(o.instrument, o.client_order_id, kBadRequestCode, 0, "instrument not configured");
      continue;
    }
    items.push_back(BatchItem{in, o, {}});
  }
  const std::size_t per = max_batch(shared_.category(), BatchKind::kCreate);
  for (std::size_t start = 0; start < items.size(); start += per) {
    const std::size_t n = std::min(per, items.size() - start);
    const std::span<const BatchItem> part(items.data() + start, n);
    auto req = batch_create(part);
    if (!req) {
      for (const auto& it : part) reject(it.order.instrument, it.order.client_order_id, kBadRequestCode, 0, req.error().message);
      continue;
    }
    auto body = body_of(send(*req, "batch orders"), "batch orders");
    if (!body) {
      if (body.error().code == ExchangeErrorCode::kRateLimited) {
        for (const auto& it : part) reject(it.order.instrument, it.order.client_order_id, kRateLimitedCode, 0, body.error().message);
      }
      continue;  // otherwise maybe executed: each order's ack timeout asks
    }
    auto answers = parse_batch_ack(*body);
    if (!answers) {
      const RestError& e = answers.error();
      if (e.refused && !outcome_unknown(e.refusal.ret_code)) {
        for (const auto& it : part) reject(it.order.instrument, it.order.client_order_id, kVenueRejected, e.refusal.ret_code, e.refusal.ret_msg);
      }
      continue;
    }
    for (std::size_t i = 0; i < part.size() && i < answers->size(); ++i) {
      const auto& a = (*answers)[i];
      const SubmitOrder& o = part[i].order;
      if (a.refusal.ret_code == 0) accepted(o.instrument, o.client_order_id, a.ack.order_id);
      else if (!outcome_unknown(a.refusal.ret_code)) reject(o.instrument, o.client_order_id, kVenueRejected, a.refusal.ret_code, a.refusal.ret_msg);
    }
  }
}

void BybitAccount::cancel_batch(std::span<const CancelOrder> cancels) {
  std::vector<CancelOrder> copy(cancels.begin(), cancels.end());
  enqueue([this, copy = std::move(copy)] { do_cancel_batch(copy); });
}

void BybitAccount::do_cancel_batch(const std::vector<CancelOrder>& cancels) {
  std::vector<CancelItem> items;
  std::vector<const CancelOrder*> of;
  for (const auto& c : cancels) {
    const Instrument* in = shared_.instrument(c.instrument);
    if (in == nullptr) continue;
    items.push_back(CancelItem{in, OrderRef{{}, c.client_order_id.view()}});
    of.push_back(&c);
  }
  const std::size_t per = max_batch(shared_.category(), BatchKind::kCancel);
  for (std::size_t start = 0; start < items.size(); start += per) {
    const std::size_t n = std::min(per, items.size() - start);
    auto req = batch_cancel(std::span<const CancelItem>(items.data() + start, n));
    if (!req) continue;
    auto body = body_of(send(*req, "batch cancel"), "batch cancel");
    if (!body) continue;
    auto answers = parse_batch_ack(*body);
    for (std::size_t i = 0; i < n; ++i) {
      const bool refused = !answers || i >= answers->size() || (*answers)[i].refusal.ret_code != 0;
      if (refused) do_query(of[start + i]->instrument, of[start + i]->client_order_id);
    }
  }
}

void BybitAccount::query(InstrumentId instrument, const ClientOrderIdText& cid) {
  enqueue([this, instrument, cid] { do_query(instrument, cid); });
}

void BybitAccount::report_fills(const Instrument& in, std::string_view order_id) {
  HistoryQuery q;
  q.order_id = order_id;
  auto body = body_of(send(*executions(shared_.category(), &in, q), "order executions"), "order executions");
  if (!body) return;
  auto page = parse_executions(*body, shared_.cfg.market, context());
  if (!page) {
    spdlog::warn("bybit account {} executions: {}", account_.value, page.error().message);
    return;
  }
  for (const auto& e : page->events) emit(e, 0);
}

void BybitAccount::do_query(InstrumentId instrument, const ClientOrderIdText& cid) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return;
  const std::uint64_t serial = ++query_serial_;
  // Open (and recently closed) orders first, then the history.
  for (const bool history : {false, true}) {
    HistoryQuery hq;
    hq.order_link_id = cid.view();
    auto req = history ? order_history(shared_.category(), in, hq)
                       : bybit::open_orders(shared_.category(), in, OrderRef{{}, cid.view()});
    if (!req) return;
    auto body = body_of(send(*req, "query order"), "query order");
    if (!body) {
      spdlog::warn("bybit account {} query {}: {}", account_.value, cid.view(), body.error().message);
      return;  // no answer: the caller's timer asks again
    }
    auto page = parse_orders(*body, shared_.cfg.market, context());
    if (!page) {
      spdlog::warn("bybit account {} query {}: {}", account_.value, cid.view(), page.error().message);
      return;
    }
    for (const auto& o : page->orders) {
      if (o.client_order_id != cid) continue;
      if (o.cum_qty.is_positive()) report_fills(*in, o.venue_order_id.view());
      emit(o, o.venue_order_id.view(), serial, wall_now_ns());
      return;
    }
  }
  // Neither open nor in the history: the venue never took it.
  OrderStatusReconciled unknown;
  unknown.account = account_;
  unknown.instrument = instrument;
  unknown.client_order_id = cid;
  unknown.status = OrderStatus::kRejected;
  emit(unknown, {}, serial, wall_now_ns());
}

// ---- administration ---------------------------------------------------------------------------

template <class T>
ExchangeResult<std::vector<T>> BybitAccount::pages(
    const std::function<Req(std::string_view cursor)>& build,
    const std::function<Result<std::pair<std::vector<T>, std::string>, RestError>(std::string_view)>& parse,
    std::string_view what) {
  std::vector<T> out;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    auto req = build(cursor);
    if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + req.error().message)};
    auto body = body_of(send(*req, what), what);
    if (!body) return Unexpected{std::move(body).error()};
    auto p = parse(*body);
    if (!p) return Unexpected{rest_error(p.error(), what)};
    for (auto& x : p->first) out.push_back(std::move(x));
    if (p->second.empty() || p->second == cursor) return out;
    cursor = std::move(p->second);
  }
  return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": more than 1000 pages")};
}

ExchangeResult<std::vector<OrderStatusReconciled>> BybitAccount::open_orders(InstrumentId instrument) {
  const Instrument* in = instrument.valid() ? shared_.instrument(instrument) : nullptr;
  if (instrument.valid() && in == nullptr)
    return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "open orders: instrument not configured")};
  const auto ctx = context();
  return pages<OrderStatusReconciled>(
      [&](std::string_view cursor) {
        auto r = bybit::open_orders(shared_.category(), in);
        if (r) {
          r->add_int("limit", kPageLimit);
          if (!cursor.empty()) r->add("cursor", cursor);
        }
        return r;
      },
      [&](std::string_view body) -> Result<std::pair<std::vector<OrderStatusReconciled>, std::string>, RestError> {
        auto p = parse_orders(body, shared_.cfg.market, ctx);
        if (!p) return Unexpected{p.error()};
        return std::pair{std::move(p->orders), std::move(p->next_page_cursor)};
      },
      "open orders");
}

// /v5/order/history and /v5/execution/list take startTime / endTime at most 7 days apart (only a
// startTime: its 7 days; neither: the last 7) and keep a unified account's records 2 years: the
// walk asks [since, now] a week at a time, each window's cursor followed to its end.
template <class T>
ExchangeResult<std::vector<T>> BybitAccount::history(
    TimeNs since, const std::function<Req(const HistoryQuery&)>& build,
    const std::function<Result<std::pair<std::vector<T>, std::string>, RestError>(std::string_view)>& parse,
    std::string_view what) {
  constexpr std::int64_t kDayMs = 86'400'000;
  constexpr std::int64_t kWindowMs = 7 * kDayMs;  // endTime - startTime at most
  constexpr std::int64_t kKeepMs = 730 * kDayMs;  // 2 years
  const std::int64_t now = shared_.timestamp_ms();
  const std::int64_t start = venue::history_start_ms("bybit", account_, what, since, now, kKeepMs);
  venue::Pacer pace(std::chrono::milliseconds(25));  // 40 a second: both endpoints take 50 per UID
  return venue::walk_windows<T>(start, now, kWindowMs, what, [&](venue::HistoryWindow w) -> ExchangeResult<venue::WindowPage<T>> {
    auto all = pages<T>(
        [&](std::string_view cursor) {
          pace.wait();
          HistoryQuery q;
          q.start_time_ms = w.start_ms;
          q.end_time_ms = w.end_ms;
          q.limit = shared_.cfg.history_page_limit;
          q.cursor = cursor;
          return build(q);
        },
        parse, what);
    if (!all) return Unexpected{std::move(all).error()};
    return venue::WindowPage<T>{std::move(*all), false};
  });
}

ExchangeResult<std::vector<OrderStatusReconciled>> BybitAccount::all_orders(InstrumentId instrument, TimeNs since) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "all orders: instrument not configured")};
  // /v5/order/history answers the closed orders (an orderStatus aside): the open ones first, then
  // the history -- read later, so an order closed between the two is taken from it.
  auto open = open_orders(instrument);
  if (!open) return Unexpected{std::move(open).error()};
  const auto ctx = context();
  auto closed = history<OrderStatusReconciled>(
      since, [&](const HistoryQuery& q) { return order_history(shared_.category(), in, q); },
      [&](std::string_view body) -> Result<std::pair<std::vector<OrderStatusReconciled>, std::string>, RestError> {
        auto p = parse_orders(body, shared_.cfg.market, ctx);
        if (!p) return Unexpected{p.error()};
        return std::pair{std::move(p->orders), std::move(p->next_page_cursor)};
      },
      "all orders");
  if (!closed) return closed;
  return venue::open_then_closed(std::move(*open), std::move(*closed));
}

ExchangeResult<std::vector<FillReceived>> BybitAccount::my_trades(InstrumentId instrument, TimeNs since) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "my trades: instrument not configured")};
  const auto ctx = context();
  return history<FillReceived>(
      since, [&](const HistoryQuery& q) { return executions(shared_.category(), in, q); },
      [&](std::string_view body) -> Result<std::pair<std::vector<FillReceived>, std::string>, RestError> {
        auto p = parse_executions(body, shared_.cfg.market, ctx);
        if (!p) return Unexpected{p.error()};
        std::vector<FillReceived> fills;
        for (auto& e : p->events) {
          if (auto* f = std::get_if<FillReceived>(&e.payload)) fills.push_back(*f);
        }
        return std::pair{std::move(fills), std::move(p->next_page_cursor)};
      },
      "my trades");
}

ExchangeResult<std::vector<BalanceUpdated>> BybitAccount::balances() {
  if (!report_wallet_) return std::vector<BalanceUpdated>{};  // the other category's connection reports the wallet
  auto body = body_of(send(*wallet_balance(), "wallet balance"), "wallet balance");
  if (!body) return Unexpected{std::move(body).error()};
  auto b = parse_wallet_balance(*body, context());
  if (!b) return Unexpected{rest_error(b.error(), "wallet balance")};
  return std::move(*b);
}

ExchangeResult<FeeRates> BybitAccount::fee_rates(InstrumentId instrument) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "fee rates: unknown instrument")};
  auto req = fee_rate(*in);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "fee rates: " + req.error().message)};
  auto body = body_of(send(*req, "fee rate"), "fee rate");
  if (!body) return Unexpected{std::move(body).error()};
  auto f = parse_fee_rate(*body);
  if (!f) return Unexpected{rest_error(f.error(), "fee rate")};
  return *f;
}

ExchangeResult<std::uint32_t> BybitAccount::cancel_all(InstrumentId instrument) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr)
    return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "cancel all: instrument not configured")};
  // Linear: "cancel all kinds of orders" without orderFilter, at most 500 a call.
  constexpr std::size_t kLinearMaxPerCall = 500;
  constexpr int kMaxLinearCalls = 20;  // 10000 orders: past Bybit's 500 open orders a symbol
  const bool spot = in->market == Market::kSpot;
  const std::vector<OrderFilter> filters =
      spot ? std::vector<OrderFilter>{OrderFilter::kOrder, OrderFilter::kStop, OrderFilter::kTpsl, OrderFilter::kOco,
                                      OrderFilter::kBidirectionalTpsl}
           : std::vector<OrderFilter>{OrderFilter::kDefault};
  std::uint32_t canceled = 0;
  std::optional<ExchangeError> first;  // every filter is tried; the first failure is answered
  std::string failures;
  const auto failed = [&](ExchangeError e) {
    failures += (failures.empty() ? "" : "; ") + e.message;
    if (!first) first = std::move(e);
  };
  for (const OrderFilter f : filters) {
    const std::string what = spot ? "cancel all (" + std::string(detail::filter_text(f)) + ")" : "cancel all";
    for (int call = 0; call < (spot ? 1 : kMaxLinearCalls); ++call) {
      auto req = bybit::cancel_all(*in, f);
      if (!req) {
        failed(exchange_error(ExchangeErrorCode::kBadRequest, what + ": " + req.error().message));
        break;
      }
      auto body = body_of(send(*req, what), what);
      if (!body) {
        failed(std::move(body).error());
        break;
      }
      auto list = parse_cancel_all(*body);
      if (!list) {
        failed(rest_error(list.error(), what));
        break;
      }
      canceled += static_cast<std::uint32_t>(list->size());
      if (list->size() < kLinearMaxPerCall) break;
    }
  }
  if (first) {
    first->message = "cancel all " + in->venue_symbol + ": " + std::to_string(canceled) + " canceled; failed: " + failures;
    return Unexpected{std::move(*first)};
  }
  return canceled;
}

ExchangeResult<std::vector<PositionUpdated>> BybitAccount::positions() {
  if (shared_.cfg.market == Market::kSpot) return std::vector<PositionUpdated>{};  // spot holds balances only
  const auto ctx = context();
  return pages<PositionUpdated>(
      [&](std::string_view cursor) {
        auto r = bybit::positions(nullptr);
        if (r) {
          r->add_int("limit", 200);
          if (!cursor.empty()) r->add("cursor", cursor);
        }
        return r;
      },
      [&](std::string_view body) -> Result<std::pair<std::vector<PositionUpdated>, std::string>, RestError> {
        auto p = parse_positions(body, ctx);
        if (!p) return Unexpected{p.error()};
        return std::pair{std::move(*p), std::string()};
      },
      "positions");
}

ExchangeResult<LeverageChanged> BybitAccount::set_leverage(InstrumentId instrument, std::uint16_t leverage) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "set leverage: instrument not configured")};
  if (shared_.cfg.market == Market::kSpot) return Unexpected{exchange_error(ExchangeErrorCode::kUnsupported, "set leverage: spot has no leverage")};
  auto req = bybit::set_leverage(*in, Decimal::from_raw(static_cast<std::int64_t>(leverage) * Decimal::kOne));
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "set leverage: " + req.error().message)};
  auto body = body_of(send(*req, "set leverage"), "set leverage");
  if (!body) return Unexpected{std::move(body).error()};
  // 110043: the account is at that leverage already -- the state asked for.
  if (auto ack = parse_envelope(*body); !ack && !(ack.error().refused && ack.error().refusal.ret_code == kLeverageNotModified)) {
    return Unexpected{rest_error(ack.error(), "set leverage")};
  }
  return LeverageChanged{account_, instrument, leverage};
}

ExchangeResult<MarginTypeChanged> BybitAccount::set_margin_type(InstrumentId instrument, MarginType type) {
  if (shared_.cfg.market == Market::kSpot) return Unexpected{exchange_error(ExchangeErrorCode::kUnsupported, "set margin type: spot has no margin type")};
  if (shared_.instrument(instrument) == nullptr)
    return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "set margin type: instrument not configured")};
  // The unified account's margin mode covers every contract of the account.
  auto body = body_of(send(*set_margin_mode(type), "set margin mode"), "set margin mode");
  if (!body) return Unexpected{std::move(body).error()};
  if (auto ack = parse_envelope(*body); !ack) return Unexpected{rest_error(ack.error(), "set margin mode")};
  MarginTypeChanged m{};
  m.account = account_;
  m.instrument = instrument;
  m.margin_type = type;
  return m;
}

ExchangeResult<std::vector<Instrument>> BybitAccount::exchange_rules() {
  std::vector<Instrument> out;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    auto body = body_of(shared_.send(*instruments_info(shared_.category(), nullptr, cursor), nullptr, nullptr, "instruments"),
                        "instruments");
    if (!body) return Unexpected{std::move(body).error()};
    auto p = parse_instruments_info(*body, shared_.cfg.market);
    if (!p) return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, p.error().message)};
    for (auto& in : p->instruments) {
      if (const Instrument* known = shared_.instrument(std::string_view(in.venue_symbol))) in.id = known->id;
      out.push_back(std::move(in));
    }
    if (p->next_page_cursor.empty() || p->next_page_cursor == cursor) break;
    cursor = p->next_page_cursor;
  }
  return out;
}

ExchangeResult<Unit> BybitAccount::subscribe_market_data(std::span<const InstrumentId> instruments,
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

}  // namespace oms::bybit
