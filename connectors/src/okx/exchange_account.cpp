// OkxAccount: one unified account on one market -- orders on the account's lane, the
// synchronous administration calls, and the reports it emits.
#include <spdlog/spdlog.h>

#include <algorithm>

#include <stdexcept>

#include "exchange_internal.hpp"

namespace oms::okx {

namespace {

constexpr std::uint16_t kVenueRejected = static_cast<std::uint16_t>(ExchangeErrorCode::kVenueRejected);
constexpr std::uint16_t kRateLimitedCode = static_cast<std::uint16_t>(ExchangeErrorCode::kRateLimited);
constexpr std::uint16_t kBadRequestCode = static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest);
constexpr std::uint16_t kUnsupportedCode = static_cast<std::uint16_t>(ExchangeErrorCode::kUnsupported);
constexpr std::int32_t kOrderDoesNotExist = 51603;
constexpr std::int32_t kCancelUnknown = 51400;  // "Cancellation failed as the order does not exist"
constexpr std::string_view kAlgoAmendRefused =
    "okx: a stop / take-profit order cannot be amended before its trigger here (amend-algos is not used); cancel it and place a new one";
constexpr std::uint32_t kPageLimit = 100;  // OKX's maximum for the list queries
constexpr TimeNs kNsPerMs = 1'000'000;
// What each history endpoint keeps: trade/orders-history the orders of the last 7 days (placed
// or completed in them), orders-history-archive of the last 3 months; trade/fills the fills of
// the last 3 days, fills-history of the last 3 months. A since within a minute of the short
// one's edge takes the long one (an order placed just after since is surely in it).
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kOrdersRecentMs = 7 * kDayMs;
constexpr std::int64_t kFillsRecentMs = 3 * kDayMs;
constexpr std::int64_t kArchiveMs = 90 * kDayMs;
constexpr std::int64_t kEdgeMs = 60'000;

ExchangeError rest_error(const RestError& e, std::string_view what) {
  if (e.refused) {
    const auto code = rate_limited(e.refusal.code) ? ExchangeErrorCode::kRateLimited : ExchangeErrorCode::kVenueRejected;
    return exchange_error(code, std::string(what) + ": code " + std::to_string(e.refusal.code) + " " + e.refusal.msg,
                          e.refusal.code);
  }
  return exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": " + e.message);
}

}  // namespace

OkxAccount::OkxAccount(OkxVenue::Shared& shared, std::size_t index, OkxAccountConfig cfg)
    : shared_(shared), index_(index), account_(cfg.account), report_wallet_(cfg.report_wallet) {
  set_credentials(std::move(cfg.credentials));
}

void OkxAccount::set_credentials(secrets::ApiCredentials c) {
  const std::string who = "okx account " + std::to_string(account_.value);
  if (!c.private_key.empty()) throw std::runtime_error(who + ": RSA keys are not supported here; use an HMAC key");
  std::optional<signing::HmacSha256> signer;
  if (!c.api_secret.empty()) {
    if (c.passphrase.empty()) throw std::runtime_error(who + ": the API key has no passphrase (OKX keys need one)");
    auto s = signing::HmacSha256::create(c.api_secret.view());
    if (!s) throw std::runtime_error(who + ": api secret: " + s.error().message);
    signer.emplace(std::move(s).value());
  }
  std::lock_guard lk(auth_.mutex);
  std::swap(auth_.api_key, c.api_key);
  std::swap(auth_.passphrase, c.passphrase);
  std::swap(auth_.signer, signer);
}  // the old key and passphrase (now in c) and signer released here, wiped

OkxAccount::~OkxAccount() { stop(); }

AccountContext OkxAccount::context() const {
  return AccountContext{account_, shared_.cfg.market, [this](std::string_view inst_id) {
                          const OkxInstrument* in = shared_.instrument(inst_id);
                          if (in == nullptr) return InstrumentEntry{};
                          return InstrumentEntry{&in->instrument, in->contract_value};
                        }};
}

InstrumentSpec OkxAccount::spec_of(const OkxInstrument& in) {
  if (in.inst_type == InstType::kSpot) return in.spec(TradeMode::kCash);
  TradeMode mode = shared_.cfg.swap_trade_mode;
  {
    std::lock_guard lk(orders_mutex_);
    if (const auto it = trade_modes_.find(in.instrument.id.value); it != trade_modes_.end()) mode = it->second;
  }
  return in.spec(mode);
}

ExchangeResult<Unit> OkxAccount::start(ReportSink sink) {
  {
    std::lock_guard lk(sink_mutex_);
    sink_ = std::move(sink);
  }
  running_ = true;
  if (shared_.cfg.private_stream) {
    open_stream();
    open_business();
  }
  return Unit{};
}

void OkxAccount::stop() {
  running_ = false;
  {
    // The callbacks use stream_ unlocked: it goes only after stop() returned (no callback runs
    // after that); the lock keeps heartbeat() off it meanwhile.
    std::lock_guard lk(stream_mutex_);
    if (stream_) stream_->stop();
    stream_.reset();
    if (business_) business_->stop();
    business_.reset();
  }
  stream_logged_in_ = false;
  business_logged_in_ = false;
  orders_subscribed_ = false;
  algos_subscribed_ = false;
}

void OkxAccount::enqueue(std::function<void()> job) { shared_.lanes->post(index_, std::move(job)); }

ExchangeResult<net::HttpResponse> OkxAccount::send(const RestRequest& req, std::string_view what) {
  if (req.order_count > 0 && !shared_.admit_order(budget_, req.order_count)) {
    return Unexpected{exchange_error(ExchangeErrorCode::kRateLimited,
                                     std::string(what) + ": not sent, the account's order budget is spent")};
  }
  return shared_.send(req, &auth_, what);
}

void OkxAccount::emit(const EventPayload& e, std::string_view venue_order_id, std::uint64_t time_key,
                      TimeNs venue_time) {
  // An order that ended needs no template for amends any more.
  std::visit(
      [this](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, OrderFilled> || std::is_same_v<T, OrderCanceled> ||
                      std::is_same_v<T, OrderExpired> || std::is_same_v<T, OrderRejected>) {
          std::lock_guard lk(orders_mutex_);
          const std::string cid(ev.client_order_id.view());
          placed_.erase(cid);
          if (const auto it = algos_.find(cid); it != algos_.end()) {
            if (!it->second.ord_id.empty()) algo_children_.erase(it->second.ord_id);
            algos_.erase(it);
          }
        }
      },
      e);
  const ExchangeReport r{report_id(account_, market(), e, venue_order_id, time_key), venue_time, e};
  std::lock_guard lk(sink_mutex_);
  if (sink_) sink_(r);
}

void OkxAccount::emit(const VenueEvent& e) {
  // Balances and positions are keyed by their update time (each update its own fact).
  const bool timed = std::holds_alternative<BalanceUpdated>(e.payload) || std::holds_alternative<PositionUpdated>(e.payload);
  emit(e.payload, e.venue_order_id, timed ? static_cast<std::uint64_t>(e.venue_time) : 0, e.venue_time);
}

void OkxAccount::log_notes(const std::vector<std::string>& notes, const std::vector<std::string>& skipped) {
  for (const auto& n : notes) spdlog::warn("okx account {}: {}", account_.value, n);
  for (const auto& s : skipped) spdlog::debug("okx account {}: {}", account_.value, s);
}

void OkxAccount::reject(InstrumentId instrument, const ClientOrderIdText& cid, std::uint16_t code,
                        std::int32_t venue_code, std::string_view reason) {
  OrderRejected r{account_, instrument, cid, code, venue_code, {}};
  (void)r.reason.assign(reason.substr(0, ReasonText::kCapacity));  // the venue's text, cut to fit
  emit(r, {}, 0, wall_now_ns());
}

void OkxAccount::accepted(InstrumentId instrument, const ClientOrderIdText& cid, std::string_view order_id) {
  VenueOrderId v;
  if (!v.assign(order_id)) {
    spdlog::error("okx account {}: order id '{}' too long", account_.value, order_id);
    return;
  }
  // The same fact as the stream's live state: one report id, kept once.
  emit(OrderAccepted{account_, instrument, cid, v}, order_id, 0, wall_now_ns());
}

// ---- orders -----------------------------------------------------------------------------------

void OkxAccount::place(const SubmitOrder& order, const SendOrigin& origin) {
  (void)origin;  // the order leaves from the lane; its socket time is not traced here yet
  {
    std::lock_guard lk(orders_mutex_);
    placed_[std::string(order.client_order_id.view())] = order;
  }
  enqueue([this, order] { do_place(order); });
}

void OkxAccount::do_place(const SubmitOrder& o) {
  const OkxInstrument* in = shared_.instrument(o.instrument);
  if (in == nullptr) return reject(o.instrument, o.client_order_id, kBadRequestCode, 0, "instrument not configured");
  if (has_stop_price(o.order_type)) return do_place_algo(*in, o);  // OKX's algo orders
  auto req = new_order(spec_of(*in), o);
  if (!req) return reject(o.instrument, o.client_order_id, kBadRequestCode, 0, req.error().message);
  auto body = body_of(send(*req, "new order"), "new order");
  if (!body) return new_order_failed(o, body.error(), "new order");
  auto ack = parse_order_ack(*body);
  if (!ack) return new_order_failed(o, ack.error(), "new order");
  accepted(o.instrument, o.client_order_id, ack->order_id);
}

void OkxAccount::new_order_failed(const SubmitOrder& o, const ExchangeError& e, std::string_view what) {
  if (e.code == ExchangeErrorCode::kRateLimited) return reject(o.instrument, o.client_order_id, kRateLimitedCode, e.venue_code, e.message);
  if (e.code == ExchangeErrorCode::kVenueRejected) return reject(o.instrument, o.client_order_id, kVenueRejected, e.venue_code, e.message);
  spdlog::warn("okx account {} {} {}: {}", account_.value, what, o.client_order_id.view(), e.message);
}

void OkxAccount::new_order_failed(const SubmitOrder& o, const RestError& e, std::string_view what) {
  if (e.refused && !outcome_unknown(e.refusal.code)) {
    const std::uint16_t code = rate_limited(e.refusal.code) ? kRateLimitedCode : kVenueRejected;
    return reject(o.instrument, o.client_order_id, code, e.refusal.code, e.refusal.msg);
  }
  spdlog::warn("okx account {} {} {}: {}", account_.value, what, o.client_order_id.view(), e.message);
}

void OkxAccount::cancel(const CancelOrder& c) {
  enqueue([this, c] { do_cancel(c); });
}

void OkxAccount::do_cancel(const CancelOrder& c) {
  const OkxInstrument* in = shared_.instrument(c.instrument);
  if (in == nullptr) return;
  const auto algo = algo_of(c.client_order_id.view());
  if (algo && algo->ord_id.empty()) return do_cancel_algo(*in, c, *algo);
  // A plain order by clOrdId; the order an algo order placed at its trigger by its ordId.
  auto req = algo ? cancel_order(spec_of(*in), OrderRef{algo->ord_id, {}}) : cancel_order(spec_of(*in), c);
  if (!req) {
    spdlog::warn("okx account {} cancel: {}", account_.value, req.error().message);
    return;
  }
  auto body = body_of(send(*req, "cancel order"), "cancel order");
  if (body) {
    auto ack = parse_order_ack(*body);
    if (ack) return;  // the orders channel brings OrderCanceled with the filled quantity
    if (ack.error().refused && outcome_unknown(ack.error().refusal.code)) return;
    spdlog::info("okx account {} cancel {}: {}", account_.value, c.client_order_id.view(), ack.error().message);
    // Not an order the plain endpoint knows: perhaps an algo order this connector did not place
    // (a restart) -- the venue says.
    if (!algo && ack.error().refused && (ack.error().refusal.code == kOrderDoesNotExist || ack.error().refusal.code == kCancelUnknown)) {
      if (const auto found = find_algo(c.client_order_id)) {
        if (found->ord_id.empty()) return do_cancel_algo(*in, c, *found);
        return do_cancel(c);  // its order placed at the trigger: by ordId now
      }
    }
  } else if (body.error().code == ExchangeErrorCode::kMaybeSent || body.error().code == ExchangeErrorCode::kHttpStatus) {
    return;
  }
  // A cancel the venue refused (51400 / 51401 / 51402: filled, canceled or gone) has no event of
  // its own: ask the venue what the order's state is.
  do_query(c.instrument, c.client_order_id);
}

void OkxAccount::amend(const AmendOrder& a) {
  enqueue([this, a] { do_amend(a); });
}

void OkxAccount::do_amend(const AmendOrder& a) {
  const OkxInstrument* in = shared_.instrument(a.instrument);
  if (in == nullptr) return;
  const auto algo = algo_of(a.client_order_id.view());
  if (algo && algo->ord_id.empty()) {
    // OKX's amend-algos is not used here (venue-sim does not serve it): refused before it leaves.
    OrderAmendRejected r{account_, a.instrument, a.client_order_id, kUnsupportedCode, 0, {}};
    (void)r.reason.assign(std::string_view(kAlgoAmendRefused).substr(0, ReasonText::kCapacity));
    return emit(r, {}, ++query_serial_, wall_now_ns());
  }
  // After its trigger, the order it placed is amended by ordId (it has no clOrdId).
  auto req = algo ? amend_order(spec_of(*in), OrderRef{algo->ord_id, {}}, a.new_quantity, a.new_price)
                  : amend_order(spec_of(*in), a);
  if (!req) {
    spdlog::warn("okx account {} amend: {}", account_.value, req.error().message);
    return;
  }
  auto body = body_of(send(*req, "amend order"), "amend order");
  if (body) {
    auto ack = parse_order_ack(*body);
    if (ack) {
      // Taken: the order's new price and total quantity (unchanged fields from the order
      // placed). The orders channel confirms it (amendResult 0, the same report id) or says it
      // failed after all (amendResult -1 / 1), which is answered with a query.
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
    if (ack.error().refused && outcome_unknown(ack.error().refusal.code)) return;
    spdlog::info("okx account {} amend {}: {}", account_.value, a.client_order_id.view(), ack.error().message);
  } else if (body.error().code == ExchangeErrorCode::kMaybeSent || body.error().code == ExchangeErrorCode::kHttpStatus) {
    return;
  }
  do_query(a.instrument, a.client_order_id);
}

void OkxAccount::place_batch(const SubmitBatch& batch) {
  {
    std::lock_guard lk(orders_mutex_);
    for (const auto& o : batch.orders) placed_[std::string(o.client_order_id.view())] = o;
  }
  enqueue([this, batch] { do_place_batch(batch); });
}

void OkxAccount::do_place_batch(const SubmitBatch& b) {
  // Specs first (BatchItem points at them), then the items.
  std::vector<InstrumentSpec> specs;
  std::vector<const SubmitOrder*> orders, algo_orders;
  specs.reserve(b.orders.size());
  for (const auto& o : b.orders) {
    const OkxInstrument* in = shared_.instrument(o.instrument);
    if (in == nullptr) {
      reject(o.instrument, o.client_order_id, kBadRequestCode, 0, "instrument not configured");
      continue;
    }
    if (has_stop_price(o.order_type)) {
      algo_orders.push_back(&o);  // OKX has no batch endpoint for algo orders: one by one, below
      continue;
    }
    specs.push_back(spec_of(*in));
    orders.push_back(&o);
  }
  std::vector<BatchItem> items;
  items.reserve(orders.size());
  for (std::size_t i = 0; i < orders.size(); ++i) items.push_back(BatchItem{&specs[i], *orders[i], {}});
  const std::size_t per = max_batch();
  for (std::size_t start = 0; start < items.size(); start += per) {
    const std::size_t n = std::min(per, items.size() - start);
    const std::span<const BatchItem> part(items.data() + start, n);
    auto req = batch_orders(part);
    if (!req) {
      for (const auto& it : part) reject(it.order.instrument, it.order.client_order_id, kBadRequestCode, 0, req.error().message);
      continue;
    }
    auto body = body_of(send(*req, "batch orders"), "batch orders");
    if (!body) {
      const ExchangeError& e = body.error();
      if (e.code == ExchangeErrorCode::kRateLimited || e.code == ExchangeErrorCode::kVenueRejected) {
        const std::uint16_t code = e.code == ExchangeErrorCode::kRateLimited ? kRateLimitedCode : kVenueRejected;
        for (const auto& it : part) reject(it.order.instrument, it.order.client_order_id, code, e.venue_code, e.message);
      }
      continue;  // otherwise maybe executed: each order's ack timeout asks
    }
    auto answers = parse_batch_ack(*body);
    if (!answers) {
      const RestError& e = answers.error();
      if (e.refused && !outcome_unknown(e.refusal.code)) {
        const std::uint16_t code = rate_limited(e.refusal.code) ? kRateLimitedCode : kVenueRejected;
        for (const auto& it : part) reject(it.order.instrument, it.order.client_order_id, code, e.refusal.code, e.refusal.msg);
      }
      continue;
    }
    for (std::size_t i = 0; i < part.size() && i < answers->size(); ++i) {
      const auto& a = (*answers)[i];
      const SubmitOrder& o = part[i].order;
      if (a.refusal.code == 0) accepted(o.instrument, o.client_order_id, a.ack.order_id);
      else if (!outcome_unknown(a.refusal.code)) {
        const std::uint16_t code = rate_limited(a.refusal.code) ? kRateLimitedCode : kVenueRejected;
        reject(o.instrument, o.client_order_id, code, a.refusal.code, a.refusal.msg);
      }
    }
  }
  for (const SubmitOrder* o : algo_orders) do_place_algo(*shared_.instrument(o->instrument), *o);
}

void OkxAccount::cancel_batch(std::span<const CancelOrder> cancels) {
  std::vector<CancelOrder> copy(cancels.begin(), cancels.end());
  enqueue([this, copy = std::move(copy)] { do_cancel_batch(copy); });
}

void OkxAccount::do_cancel_batch(const std::vector<CancelOrder>& cancels) {
  std::vector<InstrumentSpec> specs;
  std::vector<const CancelOrder*> of;
  specs.reserve(cancels.size());
  for (const auto& c : cancels) {
    const OkxInstrument* in = shared_.instrument(c.instrument);
    if (in == nullptr) continue;
    specs.push_back(spec_of(*in));
    of.push_back(&c);
  }
  std::vector<CancelItem> items;
  for (std::size_t i = 0; i < of.size(); ++i) items.push_back(CancelItem{&specs[i], OrderRef{{}, of[i]->client_order_id.view()}});
  const std::size_t per = max_batch();
  for (std::size_t start = 0; start < items.size(); start += per) {
    const std::size_t n = std::min(per, items.size() - start);
    auto req = okx::cancel_batch(std::span<const CancelItem>(items.data() + start, n));
    if (!req) continue;
    auto body = body_of(send(*req, "batch cancel"), "batch cancel");
    if (!body) continue;
    auto answers = parse_batch_ack(*body);
    for (std::size_t i = 0; i < n; ++i) {
      const bool refused = !answers || i >= answers->size() || (*answers)[i].refusal.code != 0;
      if (refused) do_query(of[start + i]->instrument, of[start + i]->client_order_id);
    }
  }
}

void OkxAccount::query(InstrumentId instrument, const ClientOrderIdText& cid) {
  enqueue([this, instrument, cid] { do_query(instrument, cid); });
}

void OkxAccount::report_fills(const OkxInstrument& in, std::string_view order_id) {
  const InstrumentSpec spec = spec_of(in);
  ListQuery q;
  q.inst_type = shared_.inst_type();
  q.instrument = &spec;
  q.ord_id = order_id;
  q.limit = kPageLimit;
  auto body = body_of(send(*fills(q), "order fills"), "order fills");
  if (!body) return;
  auto page = parse_fills(*body, context());
  if (!page) {
    spdlog::warn("okx account {} fills: {}", account_.value, page.error().message);
    return;
  }
  log_notes(page->notes, page->skipped);
  for (auto& e : page->events) {
    own_fill(e);
    emit(e);
  }
}

void OkxAccount::do_query(InstrumentId instrument, const ClientOrderIdText& cid) {
  const OkxInstrument* in = shared_.instrument(instrument);
  if (in == nullptr) return;
  const std::uint64_t serial = ++query_serial_;
  const bool algo_known = algo_of(cid.view()).has_value();
  if (algo_known && query_algo(*in, cid, serial)) return;
  // GET trade/order answers open and recently ended orders alike; 51603: the venue never took it.
  auto req = order_details(spec_of(*in), OrderRef{{}, cid.view()});
  if (!req) {
    spdlog::warn("okx account {} query {}: {}", account_.value, cid.view(), req.error().message);
    return;
  }
  auto body = body_of(send(*req, "query order"), "query order");
  if (!body) {
    spdlog::warn("okx account {} query {}: {}", account_.value, cid.view(), body.error().message);
    return;  // no answer: the caller's timer asks again
  }
  auto page = parse_orders(*body, context());
  if (!page) {
    if (!page.error().refused || page.error().refusal.code != kOrderDoesNotExist) {
      spdlog::warn("okx account {} query {}: {}", account_.value, cid.view(), page.error().message);
      return;
    }
    // Not a plain order: an algo order (before its trigger it has no clOrdId order) perhaps.
    if (!algo_known && query_algo(*in, cid, serial)) return;
    OrderStatusReconciled unknown;
    unknown.account = account_;
    unknown.instrument = instrument;
    unknown.client_order_id = cid;
    unknown.status = OrderStatus::kRejected;
    emit(unknown, {}, serial, wall_now_ns());
    return;
  }
  for (const auto& o : page->orders) {
    if (o.client_order_id != cid) continue;
    if (o.cum_qty.is_positive()) report_fills(*in, o.venue_order_id.view());
    emit(o, o.venue_order_id.view(), serial, wall_now_ns());
    return;
  }
  spdlog::warn("okx account {} query {}: the answer names another order", account_.value, cid.view());
}

// ---- administration ---------------------------------------------------------------------------

template <class T>
ExchangeResult<std::vector<T>> OkxAccount::pages(
    const std::function<Req(std::string_view after)>& build,
    const std::function<Result<std::pair<std::vector<T>, std::string>, RestError>(std::string_view)>& parse,
    std::string_view what) {
  std::vector<T> out;
  std::string after;
  for (int page = 0; page < 1000; ++page) {
    auto req = build(after);
    if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + req.error().message)};
    auto body = body_of(send(*req, what), what);
    if (!body) return Unexpected{std::move(body).error()};
    auto p = parse(*body);
    if (!p) return Unexpected{rest_error(p.error(), what)};
    for (auto& x : p->first) out.push_back(std::move(x));
    // A page shorter than the limit is the last; its last id is where the next one starts.
    if (p->second.empty() || p->second == after) return out;
    after = std::move(p->second);
  }
  return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": more than 1000 pages")};
}
// open_algo_orders (exchange_algo.cpp) and cancel_all (exchange_sweep.cpp: ids) page too.
template ExchangeResult<std::vector<std::string>> OkxAccount::pages<std::string>(
    const std::function<Req(std::string_view)>&,
    const std::function<Result<std::pair<std::vector<std::string>, std::string>, RestError>(std::string_view)>&,
    std::string_view);
template ExchangeResult<std::vector<OrderStatusReconciled>> OkxAccount::pages<OrderStatusReconciled>(
    const std::function<Req(std::string_view)>&,
    const std::function<Result<std::pair<std::vector<OrderStatusReconciled>, std::string>, RestError>(std::string_view)>&,
    std::string_view);

ExchangeResult<std::vector<OrderStatusReconciled>> OkxAccount::open_orders(InstrumentId instrument) {
  const OkxInstrument* in = instrument.valid() ? shared_.instrument(instrument) : nullptr;
  if (instrument.valid() && in == nullptr)
    return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "open orders: instrument not configured")};
  const std::optional<InstrumentSpec> spec = in != nullptr ? std::optional(spec_of(*in)) : std::nullopt;
  const auto ctx = context();
  // The plain orders (those algo orders placed at their trigger included), then the algo
  // orders waiting for their trigger.
  auto open = pages<OrderStatusReconciled>(
      [&](std::string_view after) {
        ListQuery q;
        q.inst_type = shared_.inst_type();
        q.instrument = spec ? &*spec : nullptr;
        q.after = after;
        q.limit = kPageLimit;
        return orders_pending(q);
      },
      [&](std::string_view body) -> Result<std::pair<std::vector<OrderStatusReconciled>, std::string>, RestError> {
        auto p = parse_orders(body, ctx);
        if (!p) return Unexpected{p.error()};
        log_notes({}, p->skipped);
        return std::pair{std::move(p->orders), p->count < kPageLimit ? std::string() : std::move(p->last_order_id)};
      },
      "open orders");
  if (!open) return open;
  auto algos = open_algo_orders(in);
  if (!algos) return Unexpected{std::move(algos).error()};
  for (auto& o : *algos) open->push_back(std::move(o));
  return open;
}

ExchangeResult<std::vector<OrderStatusReconciled>> OkxAccount::orders_since(const OkxInstrument* in, TimeNs since,
                                                                            std::string_view what) {
  // One walk by `after` (older than the page's last ordId) from the newest down to begin = since,
  // on the endpoint that keeps since: orders-history for the last 7 days, else the archive (3
  // months at most; an older since said in the log). begin / end take any span there.
  const std::optional<InstrumentSpec> spec = in != nullptr ? std::optional(spec_of(*in)) : std::nullopt;
  const std::int64_t now = shared_.timestamp_ms();
  const std::int64_t begin = venue::history_start_ms("okx", account_, what, since, now, kArchiveMs);
  const bool archive = begin < now - kOrdersRecentMs + kEdgeMs;
  const std::uint32_t limit = shared_.cfg.history_page_limit;
  // orders-history 40 requests per 2 s, the archive 20: a little under.
  venue::Pacer pace(std::chrono::milliseconds(archive ? 110 : 55));
  const auto ctx = context();
  return pages<OrderStatusReconciled>(
      [&](std::string_view after) {
        ListQuery q;
        q.inst_type = shared_.inst_type();
        q.instrument = spec ? &*spec : nullptr;
        q.begin_ms = begin;
        q.after = after;
        q.limit = limit;
        pace.wait();
        return archive ? orders_history_archive(q) : orders_history(q);
      },
      [&](std::string_view body) -> Result<std::pair<std::vector<OrderStatusReconciled>, std::string>, RestError> {
        auto p = parse_orders(body, ctx);
        if (!p) return Unexpected{p.error()};
        log_notes({}, p->skipped);
        return std::pair{std::move(p->orders), p->count < limit ? std::string() : std::move(p->last_order_id)};
      },
      what);
}

ExchangeResult<std::vector<VenueEvent>> OkxAccount::fills_since(const OkxInstrument* in, TimeNs since,
                                                                std::string_view what) {
  // As orders_since: trade/fills for the last 3 days, else fills-history (3 months at most), by
  // `after` = the page's last billId.
  const std::optional<InstrumentSpec> spec = in != nullptr ? std::optional(spec_of(*in)) : std::nullopt;
  const std::int64_t now = shared_.timestamp_ms();
  const std::int64_t begin = venue::history_start_ms("okx", account_, what, since, now, kArchiveMs);
  const bool history = begin < now - kFillsRecentMs + kEdgeMs;
  const std::uint32_t limit = shared_.cfg.history_page_limit;
  // trade/fills 60 requests per 2 s, fills-history 10: a little under.
  venue::Pacer pace(std::chrono::milliseconds(history ? 220 : 40));
  const auto ctx = context();
  auto events = pages<VenueEvent>(
      [&](std::string_view after) {
        ListQuery q;
        q.inst_type = shared_.inst_type();
        q.instrument = spec ? &*spec : nullptr;
        q.begin_ms = begin;
        q.after = after;
        q.limit = limit;
        pace.wait();
        return history ? fills_history(q) : fills(q);
      },
      [&](std::string_view body) -> Result<std::pair<std::vector<VenueEvent>, std::string>, RestError> {
        auto p = parse_fills(body, ctx);
        if (!p) return Unexpected{p.error()};
        log_notes(p->notes, p->skipped);
        return std::pair{std::move(p->events), p->count < limit ? std::string() : std::move(p->last_bill_id)};
      },
      what);
  if (events) {
    for (auto& e : *events) own_fill(e);
  }
  return events;
}

ExchangeResult<std::vector<OrderStatusReconciled>> OkxAccount::all_orders(InstrumentId instrument, TimeNs since) {
  const OkxInstrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "all orders: instrument not configured")};
  // The history lists completed orders: the open ones first, then the history -- read later, so
  // an order completed between the two is taken from it.
  auto open = open_orders(instrument);
  if (!open) return Unexpected{std::move(open).error()};
  auto closed = orders_since(in, since, "all orders");
  if (!closed) return closed;
  return venue::open_then_closed(std::move(*open), std::move(*closed));
}

ExchangeResult<std::vector<FillReceived>> OkxAccount::my_trades(InstrumentId instrument, TimeNs since) {
  const OkxInstrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "my trades: instrument not configured")};
  auto events = fills_since(in, since, "my trades");
  if (!events) return Unexpected{std::move(events).error()};
  std::vector<FillReceived> out;
  for (const auto& e : *events) {
    if (const auto* f = std::get_if<FillReceived>(&e.payload)) out.push_back(*f);
  }
  return out;
}

ExchangeResult<std::vector<BalanceUpdated>> OkxAccount::balances() {
  if (!report_wallet_) return std::vector<BalanceUpdated>{};  // the other market's connection reports the wallet
  auto body = body_of(send(*balance(), "balance"), "balance");
  if (!body) return Unexpected{std::move(body).error()};
  auto b = parse_balance(*body, context());
  if (!b) return Unexpected{rest_error(b.error(), "balance")};
  log_notes(b->notes, {});
  return std::move(b->balances);
}

ExchangeResult<FeeRates> OkxAccount::fee_rates(InstrumentId instrument) {
  const OkxInstrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "fee rates: instrument not configured")};
  // instId narrows SPOT only (OKX: swaps' rates are by instrument family, USDT-margined ones in
  // makerU / takerU).
  const bool spot = shared_.cfg.market == Market::kSpot;
  const InstrumentSpec spec = spec_of(*in);
  auto req = okx::trade_fee(spot ? InstType::kSpot : InstType::kSwap, spot ? &spec : nullptr);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "fee rates: " + req.error().message)};
  auto body = body_of(send(*req, "trade fee"), "trade fee");
  if (!body) return Unexpected{std::move(body).error()};
  auto f = parse_trade_fee(*body, !spot);
  if (!f) return Unexpected{rest_error(f.error(), "trade fee")};
  return *f;
}

ExchangeResult<std::vector<PositionUpdated>> OkxAccount::positions() {
  if (shared_.cfg.market == Market::kSpot) return std::vector<PositionUpdated>{};  // spot holds balances only
  auto body = body_of(send(*okx::positions(nullptr), "positions"), "positions");
  if (!body) return Unexpected{std::move(body).error()};
  auto p = parse_positions(*body, context());
  if (!p) return Unexpected{rest_error(p.error(), "positions")};
  return std::move(*p);
}

ExchangeResult<LeverageChanged> OkxAccount::set_leverage(InstrumentId instrument, std::uint16_t leverage) {
  const OkxInstrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "set leverage: instrument not configured")};
  if (shared_.cfg.market == Market::kSpot) return Unexpected{exchange_error(ExchangeErrorCode::kUnsupported, "set leverage: spot has no leverage")};
  auto req = okx::set_leverage(spec_of(*in), Decimal::from_raw(static_cast<std::int64_t>(leverage) * Decimal::kOne));
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, "set leverage: " + req.error().message)};
  auto body = body_of(send(*req, "set leverage"), "set leverage");
  if (!body) return Unexpected{std::move(body).error()};
  if (auto ack = parse_envelope(*body); !ack) return Unexpected{rest_error(ack.error(), "set leverage")};
  return LeverageChanged{account_, instrument, leverage};
}

ExchangeResult<MarginTypeChanged> OkxAccount::set_margin_type(InstrumentId instrument, MarginType type) {
  if (shared_.cfg.market == Market::kSpot) return Unexpected{exchange_error(ExchangeErrorCode::kUnsupported, "set margin type: spot has no margin type")};
  if (shared_.instrument(instrument) == nullptr)
    return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "set margin type: instrument not configured")};
  // OKX takes the margin mode with each order (tdMode): later orders on the instrument use it.
  {
    std::lock_guard lk(orders_mutex_);
    trade_modes_[instrument.value] = type == MarginType::kIsolated ? TradeMode::kIsolated : TradeMode::kCross;
  }
  MarginTypeChanged m{};
  m.account = account_;
  m.instrument = instrument;
  m.margin_type = type;
  return m;
}

ExchangeResult<std::vector<Instrument>> OkxAccount::exchange_rules() {
  auto body = body_of(shared_.send(*instruments(shared_.inst_type()), nullptr, "instruments"), "instruments");
  if (!body) return Unexpected{std::move(body).error()};
  auto p = parse_instruments(*body);
  if (!p) return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, p.error().message)};
  std::vector<Instrument> out;
  for (auto& in : p->instruments) {
    if (const OkxInstrument* known = shared_.instrument(std::string_view(in.instrument.venue_symbol))) {
      in.instrument.id = known->instrument.id;
    }
    out.push_back(std::move(in.instrument));
  }
  return out;
}

ExchangeResult<Unit> OkxAccount::subscribe_market_data(std::span<const InstrumentId> instruments,
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

}  // namespace oms::okx
