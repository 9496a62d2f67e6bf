// BinanceUsdm: /fapi requests and the futures-only behaviour (modify as amend, batchOrders,
// balances from /fapi/v2/balance, positionRisk, leverage and margin type).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "exchange_algo.hpp"
#include "exchange_internal.hpp"

namespace oms::binance {

Req BinanceUsdm::cancel_req(const Instrument& in, const ClientOrderIdText& cid) {
  return usdm_cancel_order(in, OrderRef{0, cid.view()});
}
Req BinanceUsdm::query_req(const Instrument& in, const ClientOrderIdText& cid) {
  return usdm_query_order(in, OrderRef{0, cid.view()});
}
Req BinanceUsdm::open_orders_req(const Instrument* in) {
  return usdm_open_orders(in);
}
Req BinanceUsdm::all_orders_req(const Instrument& in, const HistoryQuery& q) {
  return usdm_all_orders(in, q);
}
Req BinanceUsdm::trades_req(const Instrument& in, const HistoryQuery& q) {
  return usdm_user_trades(in, q);
}
Req BinanceUsdm::listen_key_req(HttpMethod m, std::string_view) {
  return usdm_listen_key(m);
}

void BinanceUsdm::do_amend(const AmendOrder& a) {
  const Instrument* in = shared_.instrument(a.instrument);
  if (in == nullptr) return;
  auto tmpl = order_template(*in, a.client_order_id);  // modify needs the side
  if (!tmpl) return do_query(a.instrument, a.client_order_id);
  auto req = usdm_modify_order(*in, a, tmpl->side);
  if (!req) {
    spdlog::warn("binance account {} modify: {}", account_.value, req.error().message);
    return;
  }
  auto r = send(*req, "modify order");
  if (!r) {
    spdlog::info("binance account {} modify {}: {}", account_.value, a.client_order_id.view(),
                 r.error().message);
    if (r.error().code != ExchangeErrorCode::kRateLimited)
      do_query(a.instrument, a.client_order_id);
    return;
  }
  JsonParser parser;
  OrderInfo info;
  if (auto p = parse_order(parser, r->body, info); !p) {
    spdlog::warn("binance account {} modify: {}", account_.value, p.error().message);
    return;
  }
  SubmitOrder o = *tmpl;
  o.price = info.price;
  o.quantity = info.orig_qty;
  remember(o);
  // The stream's AMENDMENT event maps to the same OrderAmended (orderId, price, quantity).
  std::vector<EventPayload> events{
      OrderAmended{account_, a.instrument, a.client_order_id, info.price, info.orig_qty}};
  emit(events, info.order_id, 0, ms_to_ns(info.time));
}

void BinanceUsdm::handle_batch_body(std::string_view body,
                                    std::span<const InstrumentId> instruments,
                                    std::span<const ClientOrderIdText> cids, bool cancels) {
  // [{order}, {"code":-2022,"msg":"..."}, ...] in request order.
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_array() || j.size() != cids.size()) {
    spdlog::warn("binance account {} batch: answer is not an array of {} items", account_.value,
                 cids.size());
    return;  // unknown outcome per order: their timeouts query
  }
  JsonParser parser;
  for (std::size_t i = 0; i < cids.size(); ++i) {
    const std::string item = j[i].dump();
    if (j[i].is_object() && j[i].contains("code") && !j[i].contains("orderId")) {
      auto e = parse_error_body(parser, item);
      const std::int32_t code = e ? e->code : 0;
      const std::string msg = e ? e->msg : item;
      if (cancels) {
        spdlog::info("binance account {} batch cancel {}: {} {}", account_.value, cids[i].view(),
                     code, msg);
        do_query(instruments[i], cids[i]);
      } else {
        reject(instruments[i], cids[i],
               static_cast<std::uint16_t>(ExchangeErrorCode::kVenueRejected), code,
               "batch order: code " + std::to_string(code) + " " + msg);
      }
      continue;
    }
    handle_order_body(item, instruments[i]);
  }
}

void BinanceUsdm::do_place_batch(const SubmitBatch& b) {
  std::vector<BatchItem> items;
  std::vector<InstrumentId> ins;
  std::vector<ClientOrderIdText> cids;
  for (const auto& o : b.orders) {
    const Instrument* in = shared_.instrument(o.instrument);
    if (in == nullptr) {
      reject(o.instrument, o.client_order_id,
             static_cast<std::uint16_t>(ExchangeErrorCode::kUnknownInstrument), 0,
             "instrument not configured for this venue");
      continue;
    }
    BatchItem it;
    it.instrument = in;
    it.order = o;
    it.extras.response_type = ResponseType::kResult;
    items.push_back(it);
    ins.push_back(o.instrument);
    cids.push_back(o.client_order_id);
    remember(o);
  }
  if (items.empty()) return;
  auto req = usdm_batch_orders(items);
  if (!req) {
    for (std::size_t i = 0; i < cids.size(); ++i)
      reject(ins[i], cids[i], static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest), 0,
             req.error().message);
    return;
  }
  auto r = send(*req, "batch orders");
  if (r) return handle_batch_body(r->body, ins, cids, false);
  for (std::size_t i = 0; i < cids.size(); ++i) handle_order_response(r, ins[i], cids[i], "batch");
}

void BinanceUsdm::do_cancel_batch(const std::vector<CancelOrder>& cancels) {
  // One request per instrument, at most 10 client ids each.
  std::vector<bool> done(cancels.size(), false);
  for (std::size_t i = 0; i < cancels.size(); ++i) {
    if (done[i]) continue;
    const Instrument* in = shared_.instrument(cancels[i].instrument);
    if (in == nullptr) continue;
    std::vector<std::string_view> ids;
    std::vector<ClientOrderIdText> cids;
    std::vector<InstrumentId> ins;
    for (std::size_t k = i; k < cancels.size() && ids.size() < 10; ++k) {
      if (done[k] || cancels[k].instrument != cancels[i].instrument) continue;
      done[k] = true;
      ids.push_back(cancels[k].client_order_id.view());
      cids.push_back(cancels[k].client_order_id);
      ins.push_back(cancels[k].instrument);
    }
    auto req = usdm_batch_cancel(*in, {}, ids);
    if (!req) continue;
    auto r = send(*req, "batch cancel");
    if (r) {
      handle_batch_body(r->body, ins, cids, true);
    } else if (r.error().code != ExchangeErrorCode::kRateLimited) {
      for (std::size_t k = 0; k < cids.size(); ++k) do_query(ins[k], cids[k]);
    }
  }
}

ExchangeResult<std::vector<BalanceUpdated>> BinanceUsdm::balances() {
  auto req = usdm_balance();
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto r = send(*req, "balance");
  if (!r) return Unexpected{std::move(r).error()};
  JsonParser parser;
  std::vector<FuturesAssetBalance> bal;
  if (auto p = parse_futures_balances(parser, r->body, bal); !p)
    return Unexpected{
        exchange_error(ExchangeErrorCode::kBadResponse, "balance: " + p.error().message)};
  std::vector<BalanceUpdated> out;
  // As ACCOUNT_UPDATE maps it: free = wallet balance, locked = 0 (margin is not per asset).
  for (const auto& b : bal)
    out.push_back(BalanceUpdated{account_, ExchangeId::kBinance, Market::kUsdm, b.asset,
                                 b.wallet_balance, Decimal{}});
  return out;
}

ExchangeResult<std::vector<PositionUpdated>> BinanceUsdm::positions() {
  auto req = usdm_position_risk(nullptr, 2);  // v2 still carries leverage per position
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto r = send(*req, "positionRisk");
  if (!r) return Unexpected{std::move(r).error()};
  JsonParser parser;
  std::vector<PositionRisk> pos;
  if (auto p = parse_position_risk(parser, r->body, pos); !p)
    return Unexpected{
        exchange_error(ExchangeErrorCode::kBadResponse, "positionRisk: " + p.error().message)};
  std::vector<PositionUpdated> out;
  for (const auto& p : pos) {
    auto id = shared_.lookup(p.symbol.view());
    if (!id) continue;  // a symbol we do not trade
    PositionUpdated u;
    u.account = account_;
    u.instrument = *id;
    u.position_side = p.position_side;
    u.size = p.position_amt;
    u.entry_price = p.entry_price;
    u.leverage = p.leverage == 0 ? std::uint16_t{1} : p.leverage;
    u.margin_type = p.margin_type;
    u.isolated_margin = p.isolated_margin;
    u.unrealized_pnl = p.unrealized_pnl;
    out.push_back(u);
  }
  return out;
}

ExchangeResult<LeverageChanged> BinanceUsdm::set_leverage(InstrumentId instrument,
                                                          std::uint16_t leverage) {
  auto in = shared_.require(instrument, "set leverage");
  if (!in) return Unexpected{std::move(in).error()};
  auto req = usdm_set_leverage(**in, leverage);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto r = send(*req, "set leverage");
  if (!r) return Unexpected{std::move(r).error()};
  // {"leverage":21,"maxNotionalValue":"1000000","symbol":"BTCUSDT"}
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("leverage") || !j["leverage"].is_number_unsigned() ||
      j["leverage"].get<std::uint64_t>() > 125)
    return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse,
                                     "set leverage: leverage: missing or not 1..125")};
  return LeverageChanged{account_, instrument,
                         static_cast<std::uint16_t>(j["leverage"].get<std::uint64_t>())};
}

ExchangeResult<MarginTypeChanged> BinanceUsdm::set_margin_type(InstrumentId instrument,
                                                               MarginType type) {
  auto in = shared_.require(instrument, "set margin type");
  if (!in) return Unexpected{std::move(in).error()};
  auto req = usdm_set_margin_type(**in, type);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto r = send(*req, "set margin type");
  // -4046 "No need to change margin type.": already so.
  if (!r && r.error().venue_code != -4046) return Unexpected{std::move(r).error()};
  return MarginTypeChanged{account_, instrument, type};
}

}  // namespace oms::binance

namespace oms::binance {

// ---- conditional orders: the Algo Service ----------------------------------------------------
// Binance USD-M moved STOP / STOP_MARKET / TAKE_PROFIT / TAKE_PROFIT_MARKET / TRAILING_STOP_MARKET
// to the Algo Service (late 2025): POST / DELETE / GET /fapi/v1/algoOrder, GET
// /fapi/v1/openAlgoOrders, and the ALGO_UPDATE user-data event. An algo order has its own id
// (algoId, our venue order id for it) and client id (clientAlgoId = our client order id); when
// it triggers, the matching engine gets a new order (actualOrderId) whose ORDER_TRADE_UPDATEs
// carry the fills.
//
// Events (report ids: exchange_reports.cpp; an algo fact is keyed by algoId with the top bit
// set, so an algoId never shares a report id with an equal matching-engine orderId):
//   algo NEW (REST answer or ALGO_UPDATE)      -> OrderAccepted (venue order id = algoId)
//   algo CANCELED / EXPIRED                    -> OrderCanceled / OrderExpired (cum 0)
//   algo REJECTED                              -> OrderRejected (4403, venue code 0)
//   TRIGGERING / TRIGGERED                     -> none of its own (no such event type): the
//     triggered order's NEW is not reported again (it is the same order of ours); its fills,
//     OrderFilled / OrderCanceled / OrderExpired come from ORDER_TRADE_UPDATE (keyed by the
//     actual orderId as for any order)
//   FINISHED with aq == q                      -> OrderFilled keyed by the actual orderId: the
//     same report id as the ORDER_TRADE_UPDATE's, so the store keeps one.
// Assumed where the docs are silent: the triggered order's clientOrderId is the clientAlgoId
// (we also recognise it by actualOrderId from ALGO_UPDATE); an unknown algo order answers
// -2011 (DELETE) / -2013 (GET) like /fapi/v1/order. Either way a cancel or query by client id
// tries the other endpoint when the first says unknown, so a restarted connector (which has
// forgotten which ids were conditional) still finds the order.
using algo::algo_events;
using algo::algo_key;
using algo::get_u64;
using algo::Json;
using algo::parse_algo;

void BinanceUsdm::remember_algo(std::string_view cid, std::uint64_t actual_order_id, std::uint64_t algo_id) {
  std::lock_guard lk(algo_mutex_);
  algo_cids_.emplace(cid);
  if (actual_order_id != 0) algo_actual_ids_.insert(actual_order_id);
  if (algo_id != 0) algo_ids_[std::string(cid)] = algo_id;
  if (algo_id != 0 && actual_order_id != 0) algo_of_actual_[actual_order_id] = algo_id;
}

bool BinanceUsdm::learn_history(const Instrument& in, const HistoryQuery& q) {
  auto req = usdm_all_algo_orders(in, q);
  if (!req) return false;
  auto r = send(*req, "catch-up all algo orders");
  if (!r) {
    spdlog::warn("binance account {}: user-data catch-up: all algo orders: {}", account_.value,
                 r.error().message);
    return false;
  }
  const auto j = Json::parse(r->body, nullptr, false);
  if (!j.is_array()) {
    spdlog::warn("binance account {}: user-data catch-up: all algo orders: not a JSON array",
                 account_.value);
    return false;
  }
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto a = parse_algo(j[i], false);
    if (!a) {
      spdlog::warn("binance account {}: user-data catch-up: all algo orders [{}].{}", account_.value, i,
                   a.error());
      continue;
    }
    remember_algo(a->client_algo_id.view(), a->actual_order_id, a->algo_id);
  }
  return true;
}

std::optional<std::uint64_t> BinanceUsdm::history_alias(const OrderInfo& o) {
  std::lock_guard lk(algo_mutex_);
  // By the triggered order's own id first (whatever client id the venue gave it), then by ours.
  if (const auto by_id = algo_of_actual_.find(o.order_id); by_id != algo_of_actual_.end()) return by_id->second;
  const auto it = algo_ids_.find(std::string(o.client_order_id.view()));
  if (it == algo_ids_.end()) return std::nullopt;
  return it->second;
}

bool BinanceUsdm::is_algo(std::string_view cid) {
  std::lock_guard lk(algo_mutex_);
  return algo_cids_.count(std::string(cid)) != 0;
}

void BinanceUsdm::handle_algo_body(std::string_view body, InstrumentId instrument,
                                   std::string_view what) {
  auto a = parse_algo(Json::parse(body, nullptr, false), false);
  if (!a) {
    spdlog::warn("binance account {} {}: {}", account_.value, what, a.error());
    return;  // unknown outcome: the ack timeout queries
  }
  remember_algo(a->client_algo_id.view(), a->actual_order_id, a->algo_id);
  std::vector<EventPayload> events;
  std::uint64_t key = 0;
  algo_events(*a, account_, instrument, events, key);
  emit(events, key, 0, a->time != 0 ? ms_to_ns(a->time) : wall_now_ns());
}

bool BinanceUsdm::encodes_on_caller(const SubmitOrder& o) const {
  return !has_stop_price(o.order_type);
}

void BinanceUsdm::do_place(const SubmitOrder& o) {
  if (!has_stop_price(o.order_type)) return BinanceAccount::do_place(o);
  const Instrument* in = shared_.instrument(o.instrument);
  if (in == nullptr)
    return reject(o.instrument, o.client_order_id,
                  static_cast<std::uint16_t>(ExchangeErrorCode::kUnknownInstrument), 0,
                  "instrument not configured for this venue");
  auto req = new_order_req(*in, o);  // POST /fapi/v1/algoOrder
  if (!req)
    return reject(o.instrument, o.client_order_id,
                  static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest), 0,
                  req.error().message);
  remember(o);
  remember_algo(o.client_order_id.view());
  auto r = send(*req, "new algo order");
  if (r) return handle_algo_body(r->body, o.instrument, "new algo order");
  handle_order_response(r, o.instrument, o.client_order_id, "new algo order");
}

void BinanceUsdm::do_cancel(const CancelOrder& c) {
  const Instrument* in = shared_.instrument(c.instrument);
  if (in == nullptr) return;
  const OrderRef ref{0, c.client_order_id.view()};
  const bool algo_first = is_algo(c.client_order_id.view());
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool algo = (attempt == 0) == algo_first;
    auto req = algo ? usdm_cancel_algo_order(*in, ref) : cancel_req(*in, c.client_order_id);
    if (!req) {
      spdlog::warn("binance account {} cancel: {}", account_.value, req.error().message);
      return;
    }
    auto r = send(*req, algo ? "cancel algo order" : "cancel order");
    if (r) {
      if (!algo) return handle_order_body(r->body, c.instrument);
      // {"algoId":2146760,"clientAlgoId":"...","code":"200","msg":"success"}
      const auto j = Json::parse(r->body, nullptr, false);
      std::uint64_t algo_id = 0;
      std::string err;
      if (!j.is_object() || !get_u64(j, "algoId", algo_id, err, true)) {
        spdlog::warn("binance account {} cancel algo order: {}", account_.value,
                     err.empty() ? "not a JSON object" : err);
        return do_query(c.instrument, c.client_order_id);
      }
      remember_algo(c.client_order_id.view(), 0, algo_id);
      std::vector<EventPayload> ev{
          OrderCanceled{account_, c.instrument, c.client_order_id, Decimal{}}};
      return emit(ev, algo_key(algo_id), 0, wall_now_ns());
    }
    spdlog::info("binance account {} cancel {} ({}): {}", account_.value, c.client_order_id.view(),
                 algo ? "algo" : "order", r.error().message);
    if (r.error().code == ExchangeErrorCode::kRateLimited) return;
    if (r.error().code != ExchangeErrorCode::kUnknownOrder) break;
  }
  // Refused, or unknown to both: the order's state from the venue instead.
  do_query(c.instrument, c.client_order_id);
}

void BinanceUsdm::do_query(InstrumentId instrument, const ClientOrderIdText& cid) {
  const Instrument* in = shared_.instrument(instrument);
  if (in == nullptr) return;
  const std::uint64_t serial = ++query_serial_;
  const bool algo_first = is_algo(cid.view());
  std::vector<EventPayload> events;
  JsonParser parser;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool algo = (attempt == 0) == algo_first;
    auto req = algo ? usdm_query_algo_order(*in, OrderRef{0, cid.view()}) : query_req(*in, cid);
    if (!req) return;
    auto r = send(*req, algo ? "query algo order" : "query order");
    if (!r) {
      if (r.error().code == ExchangeErrorCode::kUnknownOrder) continue;
      spdlog::warn("binance account {} query {}: {}", account_.value, cid.view(),
                   r.error().message);
      return;  // no answer: the caller's timer asks again
    }
    if (!algo) {
      OrderInfo info;
      if (auto p = parse_order(parser, r->body, info); !p) {
        spdlog::warn("binance account {} query: {}", account_.value, p.error().message);
        return;
      }
      report_trades(instrument, cid, info, parser);
      events.emplace_back(reconciled(info, account_, instrument, true));
      return emit(events, info.order_id, serial, ms_to_ns(info.time));
    }
    auto a = parse_algo(Json::parse(r->body, nullptr, false), false);
    if (!a) {
      spdlog::warn("binance account {} query algo order: {}", account_.value, a.error());
      return;
    }
    remember_algo(cid.view(), a->actual_order_id, a->algo_id);
    OrderStatusReconciled s;
    s.account = account_;
    s.instrument = instrument;
    s.client_order_id = cid;
    (void)s.venue_order_id.assign(order_id_text(a->algo_id));
    if (a->status == "NEW" || a->status == "TRIGGERING") {
      s.status = OrderStatus::kAccepted;
    } else if (a->status == "CANCELED") {
      s.status = OrderStatus::kCanceled;
    } else if (a->status == "EXPIRED") {
      s.status = OrderStatus::kExpired;
    } else if (a->status == "REJECTED") {
      s.status = OrderStatus::kRejected;
    } else if (a->actual_order_id != 0) {  // TRIGGERED / FINISHED: the matching engine's order
      auto oreq = usdm_query_order(*in, OrderRef{a->actual_order_id, {}});
      if (!oreq) return;
      auto o = send(*oreq, "query triggered order");
      OrderInfo info;
      if (!o || !parse_order(parser, o->body, info)) {
        spdlog::warn("binance account {} query {}: triggered order {}: no answer", account_.value,
                     cid.view(), a->actual_order_id);
        return;
      }
      report_trades(instrument, cid, info, parser);
      s.status = info.status;
      s.cum_qty = info.executed_qty;
      s.avg_price = average_price(info, true);
    } else {
      spdlog::warn("binance account {} query algo order {}: status {} without actualOrderId",
                   account_.value, cid.view(), a->status);
      return;
    }
    events.emplace_back(s);
    return emit(events, algo_key(a->algo_id), serial,
                a->time != 0 ? ms_to_ns(a->time) : wall_now_ns());
  }
  // -2013 from both: the venue never accepted it.
  events.emplace_back(unknown_to_venue(account_, instrument, cid));
  emit(events, 0, serial, wall_now_ns());
}

bool BinanceUsdm::translate_update(const OrderUpdate& u, InstrumentId, std::vector<EventPayload>&) {
  if (u.execution_type != ExecutionType::kNew) return false;
  std::lock_guard lk(algo_mutex_);
  // The triggered order of an algo order: the algo's OrderAccepted already said it.
  return algo_actual_ids_.count(u.order_id) != 0 ||
         algo_cids_.count(std::string(u.client_order_id.view())) != 0;
}

void BinanceUsdm::on_other_event(std::string_view event, std::string_view msg) {
  if (event != "ALGO_UPDATE") return;
  const auto j = Json::parse(msg, nullptr, false);
  const auto o = j.is_object() ? j.find("o") : Json::const_iterator{};
  if (!j.is_object() || o == j.end()) {
    spdlog::warn("binance account {}: ALGO_UPDATE.o: missing", account_.value);
    return;
  }
  auto a = parse_algo(*o, true);
  if (!a) {
    spdlog::warn("binance account {}: ALGO_UPDATE.o.{}", account_.value, a.error());
    return;
  }
  std::uint64_t event_ms = 0;
  std::string err;
  (void)get_u64(j, "E", event_ms, err, false);
  const auto instrument = shared_.lookup(a->symbol);
  if (!instrument) {
    spdlog::warn("binance account {}: ALGO_UPDATE.o.s: unknown symbol {}", account_.value,
                 a->symbol);
    return;
  }
  remember_algo(a->client_algo_id.view(), a->actual_order_id, a->algo_id);
  std::vector<EventPayload> events;
  std::uint64_t key = 0;
  algo_events(*a, account_, *instrument, events, key);
  emit(events, key, 0, event_ms != 0 ? ms_to_ns(event_ms) : wall_now_ns());
}

ExchangeResult<std::vector<OrderStatusReconciled>> BinanceUsdm::open_orders(
    InstrumentId instrument) {
  auto out = BinanceAccount::open_orders(instrument);
  if (!out) return out;
  const Instrument* in = nullptr;
  if (instrument.valid()) in = shared_.instrument(instrument);
  auto req = usdm_open_algo_orders(in);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto r = send(*req, "open algo orders");
  if (!r) return Unexpected{std::move(r).error()};
  const auto j = Json::parse(r->body, nullptr, false);
  if (!j.is_array())
    return Unexpected{
        exchange_error(ExchangeErrorCode::kBadResponse, "open algo orders: not a JSON array")};
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto a = parse_algo(j[i], false);
    if (!a)
      return Unexpected{
          exchange_error(ExchangeErrorCode::kBadResponse,
                         "open algo orders [" + std::to_string(i) + "]." + a.error())};
    remember_algo(a->client_algo_id.view(), a->actual_order_id, a->algo_id);
    OrderStatusReconciled s;
    s.account = account_;
    s.instrument = shared_.lookup(a->symbol).value_or(InstrumentId{});
    s.client_order_id = a->client_algo_id;
    (void)s.venue_order_id.assign(order_id_text(a->algo_id));
    s.status = OrderStatus::kAccepted;
    out->push_back(s);
  }
  return out;
}

ExchangeResult<std::uint32_t> BinanceUsdm::cancel_all(InstrumentId instrument) {
  auto in = shared_.require(instrument, "cancel all");
  if (!in) return Unexpected{std::move(in).error()};
  // Both answers are {"code":200,"msg":"The operation of cancel all open order is done."}:
  // what was open is asked first (an order filled in between is counted as canceled).
  // Both cancels are sent whatever the list or the other answered (a kill switch's sweep must not
  // stop at the first refusal); the first failure is answered, naming every one.
  auto open = open_orders(instrument);
  std::optional<ExchangeError> first;
  std::string failures;
  const auto failed = [&](ExchangeError e) {
    failures += (failures.empty() ? "" : "; ") + e.message;
    if (!first) first = std::move(e);
  };
  if (!open) failed(std::move(open).error());
  if (auto req = usdm_cancel_all(**in); !req) {
    failed(exchange_error(ExchangeErrorCode::kBadRequest, req.error().message));
  } else if (auto r = send(*req, "cancel all (DELETE allOpenOrders)"); !r) {
    failed(std::move(r).error());
  }
  if (auto algo = usdm_cancel_all_algo(**in); !algo) {
    failed(exchange_error(ExchangeErrorCode::kBadRequest, algo.error().message));
  } else if (auto r = send(*algo, "cancel all (DELETE algoOpenOrders)"); !r) {
    failed(std::move(r).error());
  }
  if (first) {
    first->message = "cancel all " + (*in)->venue_symbol + ": " + failures;
    return Unexpected{std::move(*first)};
  }
  return static_cast<std::uint32_t>(open->size());
}

}  // namespace oms::binance
