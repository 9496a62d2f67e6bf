// BinanceSpot: /api/v3 requests and the spot-only behaviour (cancel-replace as amend, balances
// from /api/v3/account; no positions, leverage or batch endpoint).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "exchange_internal.hpp"

namespace oms::binance {

namespace {
constexpr std::string_view kAmendCancelPrefix = "amd-";

ExchangeError unsupported(std::string_view what) {
  return exchange_error(ExchangeErrorCode::kUnsupported, std::string(what) + ": not on spot");
}

// The cancel leg's own client id: "amd-" + 16 hex digits of our id (<= 36 chars, legal).
std::string amend_cancel_id(const ClientOrderIdText& cid) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : cid.view()) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kAmendCancelPrefix);
  for (int i = 15; i >= 0; --i) out.push_back(kHex[(h >> (4 * i)) & 0xF]);
  return out;
}
}  // namespace

Req BinanceSpot::cancel_req(const Instrument& in, const ClientOrderIdText& cid) {
  return spot_cancel_order(in, OrderRef{0, cid.view()});
}
Req BinanceSpot::query_req(const Instrument& in, const ClientOrderIdText& cid) {
  return spot_query_order(in, OrderRef{0, cid.view()});
}
Req BinanceSpot::open_orders_req(const Instrument* in) {
  return spot_open_orders(in);
}
Req BinanceSpot::all_orders_req(const Instrument& in, const HistoryQuery& q) {
  return spot_all_orders(in, q);
}
Req BinanceSpot::trades_req(const Instrument& in, const HistoryQuery& q) {
  return spot_my_trades(in, q);
}
Req BinanceSpot::listen_key_req(HttpMethod m, std::string_view key) {
  return spot_listen_key(m, key);
}

// Spot has no batch endpoint for plain orders: one request each, in order.
void BinanceSpot::do_place_batch(const SubmitBatch& b) {
  for (const auto& o : b.orders) do_place(o);
}
void BinanceSpot::do_cancel_batch(const std::vector<CancelOrder>& c) {
  for (const auto& x : c) do_cancel(x);
}

void BinanceSpot::do_amend(const AmendOrder& a) {
  const Instrument* in = shared_.instrument(a.instrument);
  if (in == nullptr) return;
  auto tmpl = order_template(*in, a.client_order_id);
  if (!tmpl) {
    spdlog::warn("binance account {} amend {}: order unknown, querying", account_.value,
                 a.client_order_id.view());
    return do_query(a.instrument, a.client_order_id);
  }
  SubmitOrder o = *tmpl;
  o.price = a.new_price;
  o.quantity = a.new_quantity;
  auto req = spot_cancel_replace(*in, OrderRef{0, a.client_order_id.view()}, o);
  if (!req) {
    spdlog::warn("binance account {} amend: {}", account_.value, req.error().message);
    return;
  }
  req->add("cancelNewClientOrderId", amend_cancel_id(a.client_order_id));
  {
    std::lock_guard lk(amend_mutex_);
    auto& in_flight = amending_[a.client_order_id.str()];
    ++in_flight.in_flight;
    in_flight.price = o.price;
    in_flight.quantity = o.quantity;
  }
  auto r = send(*req, "cancel-replace");
  std::uint64_t new_id = 0;
  std::vector<EventPayload> events;
  TimeNs t = wall_now_ns();
  if (r) {
    // {"cancelResult":"SUCCESS","newOrderResult":"SUCCESS","cancelResponse":{..},
    //  "newOrderResponse":{..}}
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    const auto it = j.is_object() ? j.find("newOrderResponse") : j.end();
    if (it != j.end() && it->is_object()) {
      JsonParser parser;
      OrderInfo info;
      if (auto p = parse_order(parser, it->dump(), info); p) {
        new_id = info.order_id;
        t = ms_to_ns(info.time);
        events.emplace_back(
            OrderAmended{account_, a.instrument, a.client_order_id, info.price, info.orig_qty});
        std::vector<EventPayload> rest;
        order_info_events(info, account_, a.instrument, false, rest);
        for (auto& e : rest)
          if (!std::holds_alternative<OrderAccepted>(e)) events.push_back(e);
      } else {
        spdlog::warn("binance account {} cancel-replace: {}", account_.value, p.error().message);
      }
    }
  }
  {
    std::lock_guard lk(amend_mutex_);
    if (auto it = amending_.find(a.client_order_id.str());
        it != amending_.end() && --it->second.in_flight <= 0)
      amending_.erase(it);
    if (new_id != 0) ++replacement_ids_[new_id];
  }
  remember(o);
  if (new_id != 0) return emit(events, new_id, 0, t);
  if (!r) {
    // Refused (-2021 / -2022 ...) or unknown outcome: either way the truth is the order's
    // state at the venue, which a query tells.
    spdlog::info("binance account {} cancel-replace {}: {}", account_.value,
                 a.client_order_id.view(), r.error().message);
    if (r.error().code != ExchangeErrorCode::kRateLimited)
      do_query(a.instrument, a.client_order_id);
  }
}

bool BinanceSpot::translate_update(const OrderUpdate& u, InstrumentId instrument,
                                   std::vector<EventPayload>& out) {
  // The cancel leg of our cancel-replace: its c is our "amd-..." id.
  if (u.execution_type == ExecutionType::kCanceled &&
      u.client_order_id.view().substr(0, kAmendCancelPrefix.size()) == kAmendCancelPrefix)
    return true;  // nothing to report
  if (u.execution_type != ExecutionType::kNew) {
    // A replacement that ends before its NEW was seen (the stream was away) leaves nothing behind.
    if (u.status == OrderStatus::kFilled || u.status == OrderStatus::kCanceled ||
        u.status == OrderStatus::kExpired || u.status == OrderStatus::kRejected) {
      std::lock_guard lk(amend_mutex_);
      replacement_ids_.erase(u.order_id);
    }
    return false;
  }
  ClientOrderIdText cid;
  if (!cid.assign(u.client_order_id.view())) return false;
  {
    std::lock_guard lk(amend_mutex_);
    auto by_id = replacement_ids_.find(u.order_id);
    const auto amending = amending_.find(cid.str());
    const bool replacement =
        by_id != replacement_ids_.end() ||
        (amending != amending_.end() && u.price == amending->second.price &&
         u.quantity == amending->second.quantity);
    if (!replacement) return false;
    if (by_id != replacement_ids_.end()) replacement_ids_.erase(by_id);
  }
  out.emplace_back(OrderAmended{account_, instrument, cid, u.price, u.quantity});
  return true;
}

ExchangeResult<std::vector<BalanceUpdated>> BinanceSpot::balances() {
  auto req = spot_account(false);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto r = send(*req, "account");
  if (!r) return Unexpected{std::move(r).error()};
  JsonParser parser;
  std::vector<AssetBalance> bal;
  if (auto p = parse_spot_account(parser, r->body, bal); !p)
    return Unexpected{
        exchange_error(ExchangeErrorCode::kBadResponse, "account: " + p.error().message)};
  std::vector<BalanceUpdated> out;
  for (const auto& b : bal)
    out.push_back(
        BalanceUpdated{account_, ExchangeId::kBinance, Market::kSpot, b.asset, b.free, b.locked});
  return out;
}

ExchangeResult<std::vector<PositionUpdated>> BinanceSpot::positions() {
  return Unexpected{unsupported("positions")};
}
ExchangeResult<LeverageChanged> BinanceSpot::set_leverage(InstrumentId, std::uint16_t) {
  return Unexpected{unsupported("leverage")};
}
ExchangeResult<MarginTypeChanged> BinanceSpot::set_margin_type(InstrumentId, MarginType) {
  return Unexpected{unsupported("margin type")};
}

}  // namespace oms::binance
