// OkxAccount's algo orders: a stop / take-profit order of ours is an OKX algo order (order-algo,
// cancel-algos, GET order-algo, orders-algo-pending, the business stream's orders-algo), carried
// as ONE order under our client order id from acceptance to its fills (exchange_okx.hpp).
#include <spdlog/spdlog.h>

#include "exchange_internal.hpp"

namespace oms::okx {

namespace {

constexpr std::uint16_t kVenueRejected = static_cast<std::uint16_t>(ExchangeErrorCode::kVenueRejected);
constexpr std::uint16_t kRateLimitedCode = static_cast<std::uint16_t>(ExchangeErrorCode::kRateLimited);
constexpr std::uint16_t kBadRequestCode = static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest);
constexpr std::int32_t kOrderDoesNotExist = 51603;
constexpr std::uint32_t kPageLimit = 100;

// An algo fact's report key: OKX numbers algoIds and ordIds apart (venue-sim counts both from
// 1), so the algo's OrderAccepted never shares a report id with an order's.
std::string algo_key(std::string_view algo_id) { return "algo:" + std::string(algo_id); }

}  // namespace

std::optional<OkxAccount::AlgoOrder> OkxAccount::algo_of(std::string_view cid) {
  std::lock_guard lk(orders_mutex_);
  const auto it = algos_.find(std::string(cid));
  if (it == algos_.end()) return std::nullopt;
  return it->second;
}

void OkxAccount::remember_algo(std::string_view cid, std::string_view algo_id, std::string_view ord_id, bool add) {
  if (cid.empty()) return;
  std::lock_guard lk(orders_mutex_);
  auto it = algos_.find(std::string(cid));
  if (it == algos_.end()) {
    if (!add) return;
    it = algos_.emplace(std::string(cid), AlgoOrder{}).first;
  }
  if (!algo_id.empty()) it->second.algo_id = std::string(algo_id);
  if (!ord_id.empty() && ord_id != it->second.ord_id) {
    it->second.ord_id = std::string(ord_id);
    algo_children_[it->second.ord_id] = std::string(cid);
  }
}

void OkxAccount::own_fill(VenueEvent& e) {
  auto* f = std::get_if<FillReceived>(&e.payload);
  if (f == nullptr || !f->client_order_id.empty()) return;
  std::lock_guard lk(orders_mutex_);
  if (const auto it = algo_children_.find(e.venue_order_id); it != algo_children_.end())
    (void)f->client_order_id.assign(it->second);
}

void OkxAccount::emit_algo(const EventPayload& e, std::string_view algo_id, std::uint64_t time_key, TimeNs venue_time) {
  emit(e, algo_key(algo_id), time_key, venue_time);
}

void OkxAccount::do_place_algo(const OkxInstrument& in, const SubmitOrder& o) {
  auto req = new_order(spec_of(in), o);  // POST trade/order-algo, ordType conditional
  if (!req) return reject(o.instrument, o.client_order_id, kBadRequestCode, 0, req.error().message);
  // Known as an algo order before it leaves: the stream's news of it may come before the answer.
  remember_algo(o.client_order_id.view(), {}, {}, true);
  auto body = body_of(send(*req, "new algo order"), "new algo order");
  if (!body) return new_order_failed(o, body.error(), "new algo order");
  auto acks = parse_algo_acks(*body);
  if (!acks) return new_order_failed(o, acks.error(), "new algo order");
  const AlgoAck& a = acks->front();
  VenueOrderId v;
  if (!v.assign(a.algo_id)) {
    spdlog::error("okx account {}: algo id '{}' too long", account_.value, a.algo_id);
    return;
  }
  remember_algo(o.client_order_id.view(), a.algo_id, {}, false);
  // The same fact as orders-algo's live: one report id.
  emit_algo(OrderAccepted{account_, o.instrument, o.client_order_id, v}, a.algo_id, 0, wall_now_ns());
}

void OkxAccount::do_cancel_algo(const OkxInstrument& in, const CancelOrder& c, const AlgoOrder& a) {
  const InstrumentSpec spec = spec_of(in);
  // By algoId; by algoClOrdId while the placement's answer is still unknown.
  const AlgoCancelItem item{&spec, a.algo_id.empty() ? AlgoRef{{}, c.client_order_id.view()} : AlgoRef{a.algo_id, {}}};
  auto req = cancel_algos(std::span<const AlgoCancelItem>(&item, 1));
  if (!req) {
    spdlog::warn("okx account {} cancel algo order: {}", account_.value, req.error().message);
    return;
  }
  auto body = body_of(send(*req, "cancel algo order"), "cancel algo order");
  if (!body) {
    if (body.error().code == ExchangeErrorCode::kMaybeSent || body.error().code == ExchangeErrorCode::kHttpStatus) return;
    spdlog::info("okx account {} cancel algo order {}: {}", account_.value, c.client_order_id.view(), body.error().message);
  } else if (auto acks = parse_algo_acks(*body); acks && acks->front().refusal.code == 0) {
    const std::string id = acks->front().algo_id.empty() ? a.algo_id : acks->front().algo_id;
    // The same fact as orders-algo's canceled: one report id. Nothing traded before a trigger.
    if (!id.empty()) emit_algo(OrderCanceled{account_, c.instrument, c.client_order_id, Decimal{}}, id, 0, wall_now_ns());
    return;
  } else if (!acks && acks.error().refused && outcome_unknown(acks.error().refusal.code)) {
    return;
  } else {
    spdlog::info("okx account {} cancel algo order {}: {}", account_.value, c.client_order_id.view(),
                 acks ? "code " + std::to_string(acks->front().refusal.code) + " " + acks->front().refusal.msg : acks.error().message);
  }
  // Refused: triggered meanwhile (51412) -- cancel the order it placed -- or ended: ask.
  if (const auto now = find_algo(c.client_order_id); now && !now->ord_id.empty()) return do_cancel(c);
  do_query(c.instrument, c.client_order_id);
}

std::optional<AlgoOrderItem> OkxAccount::fetch_algo(const ClientOrderIdText& cid, bool& unknown) {
  unknown = false;
  const auto known = algo_of(cid.view());
  const AlgoRef ref = known && !known->algo_id.empty() ? AlgoRef{known->algo_id, {}} : AlgoRef{{}, cid.view()};
  auto req = algo_order_details(ref);
  if (!req) {
    unknown = true;  // an id OKX would not take as an algoClOrdId names none of its algo orders
    return std::nullopt;
  }
  auto body = body_of(send(*req, "query algo order"), "query algo order");
  if (!body) {
    spdlog::warn("okx account {} query algo order {}: {}", account_.value, cid.view(), body.error().message);
    return std::nullopt;
  }
  auto page = parse_algo_orders(*body, context());
  if (!page) {
    if (page.error().refused && page.error().refusal.code == kOrderDoesNotExist) unknown = true;
    else spdlog::warn("okx account {} query algo order {}: {}", account_.value, cid.view(), page.error().message);
    return std::nullopt;
  }
  log_notes({}, page->skipped);
  for (auto& a : page->algos) {
    if (a.client_order_id == cid) return std::move(a);
  }
  if (page->count == 0) unknown = true;
  else spdlog::warn("okx account {} query algo order {}: the answer names another order", account_.value, cid.view());
  return std::nullopt;
}

std::optional<OkxAccount::AlgoOrder> OkxAccount::find_algo(const ClientOrderIdText& cid) {
  bool unknown = false;
  const auto a = fetch_algo(cid, unknown);
  if (!a) return std::nullopt;
  remember_algo(cid.view(), a->algo_id, a->ord_id, a->state == AlgoState::kLive || a->state == AlgoState::kEffective);
  return AlgoOrder{a->algo_id, a->ord_id};
}

bool OkxAccount::query_algo(const OkxInstrument& in, const ClientOrderIdText& cid, std::uint64_t serial) {
  bool unknown = false;
  const auto a = fetch_algo(cid, unknown);
  if (!a) return !unknown;
  remember_algo(cid.view(), a->algo_id, a->ord_id, a->state == AlgoState::kLive || a->state == AlgoState::kEffective);
  OrderStatusReconciled s;
  s.account = account_;
  s.instrument = in.instrument.id;
  s.client_order_id = cid;
  (void)s.venue_order_id.assign(a->algo_id);  // the id it was accepted under
  switch (a->state) {
    case AlgoState::kCanceled: s.status = OrderStatus::kCanceled; break;
    case AlgoState::kFailed: s.status = OrderStatus::kExpired; break;
    case AlgoState::kLive:
    case AlgoState::kOther: s.status = OrderStatus::kAccepted; break;
    case AlgoState::kEffective: {
      s.status = OrderStatus::kAccepted;
      if (a->ord_id.empty()) break;  // triggering: its order not placed yet
      // Triggered: the order it placed is ours -- its state, cumulative figures and fills.
      auto req = order_details(spec_of(in), OrderRef{a->ord_id, {}});
      auto body = req ? body_of(send(*req, "query triggered order"), "query triggered order")
                      : ExchangeResult<std::string>(Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)});
      auto page = body ? parse_orders(*body, context()) : Result<OrdersPage, RestError>(Unexpected{RestError{}});
      if (!page || page->orders.empty()) {
        spdlog::warn("okx account {} query {}: the order {} its trigger placed did not answer", account_.value, cid.view(), a->ord_id);
        return true;
      }
      const OrderStatusReconciled& o = page->orders.front();
      if (o.cum_qty.is_positive()) report_fills(in, a->ord_id);
      s.status = o.status;
      s.cum_qty = o.cum_qty;
      s.avg_price = o.avg_price;
      break;
    }
  }
  emit_algo(s, a->algo_id, serial, wall_now_ns());
  return true;
}

void OkxAccount::on_algo(const AlgoOrderItem& a) {
  // Only a live one is added: an ended or triggered one we do not track is not brought back.
  remember_algo(a.client_order_id.view(), a.algo_id, a.ord_id, a.state == AlgoState::kLive);
  if (a.state == AlgoState::kFailed)
    spdlog::warn("okx account {}: algo order {} triggered but its order failed (failCode {})", account_.value,
                 a.client_order_id.view(), a.fail_code);
  if (const auto e = algo_event(a, account_)) emit_algo(*e, a.algo_id, 0, a.venue_time);
}

void OkxAccount::catch_up_algos() {
  if (!running_) return;
  std::vector<std::string> waiting;
  {
    std::lock_guard lk(orders_mutex_);
    for (const auto& [cid, a] : algos_) {
      if (a.ord_id.empty()) waiting.push_back(cid);  // triggered ones report on the orders channel
    }
  }
  for (const auto& cid : waiting) {
    ClientOrderIdText id;
    if (!id.assign(cid)) continue;
    bool unknown = false;
    if (const auto a = fetch_algo(id, unknown)) on_algo(*a);
  }
}

ExchangeResult<std::vector<OrderStatusReconciled>> OkxAccount::open_algo_orders(const OkxInstrument* in) {
  const std::optional<InstrumentSpec> spec = in != nullptr ? std::optional(spec_of(*in)) : std::nullopt;
  const auto ctx = context();
  // This connector places conditional orders only (OKX lists each algo type on its own).
  return pages<OrderStatusReconciled>(
      [&](std::string_view after) {
        ListQuery q;
        q.inst_type = shared_.inst_type();
        q.instrument = spec ? &*spec : nullptr;
        q.after = after;
        q.limit = kPageLimit;
        return algo_orders_pending(AlgoOrdType::kConditional, q);
      },
      [&](std::string_view body) -> Result<std::pair<std::vector<OrderStatusReconciled>, std::string>, RestError> {
        auto p = parse_algo_orders(body, ctx);
        if (!p) return Unexpected{p.error()};
        log_notes({}, p->skipped);
        std::vector<OrderStatusReconciled> out;
        for (const auto& a : p->algos) {
          remember_algo(a.client_order_id.view(), a.algo_id, a.ord_id, true);
          OrderStatusReconciled s;
          s.account = account_;
          s.instrument = a.instrument;
          s.client_order_id = a.client_order_id;
          (void)s.venue_order_id.assign(a.algo_id);
          s.status = OrderStatus::kAccepted;
          out.push_back(s);
        }
        return std::pair{std::move(out), p->count < kPageLimit ? std::string() : std::move(p->last_algo_id)};
      },
      "open algo orders");
}

}  // namespace oms::okx
