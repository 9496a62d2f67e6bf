// OKX v5 algo orders -> AlgoOrderItem and their events (private_data.hpp): the orders-algo
// channel's items, order-algo / orders-algo-pending / orders-algo-history answers, and the acks
// of order-algo and cancel-algos.
#include "parse_internal.hpp"

namespace oms::okx {

using venue::dom::as_object;
using venue::dom::element;
using detail::Fail;
using detail::Item;

namespace {

AlgoState algo_state_of(std::string_view s) {
  if (s == "live") return AlgoState::kLive;
  if (s == "effective" || s == "partially_effective") return AlgoState::kEffective;
  if (s == "canceled") return AlgoState::kCanceled;
  if (s == "order_failed" || s == "partially_failed") return AlgoState::kFailed;
  return AlgoState::kOther;  // pause, and words OKX adds later: no event of their own
}

}  // namespace

AlgoOrderItem detail::algo_item(const Item& it, const InstrumentEntry& ref) {
  AlgoOrderItem a;
  a.instrument = ref.instrument->id;
  a.algo_id = it.text("algoId");
  if (a.algo_id.empty()) throw Fail{it.where() + ".algoId: empty"};
  std::string cl = it.text("algoClOrdId", false);
  const char* field = ".algoClOrdId";
  if (cl.empty()) {
    cl = it.text("clOrdId", false);  // the algo client id's former name
    field = ".clOrdId";
  }
  if (!a.client_order_id.assign(cl)) throw Fail{it.where() + field + ": longer than a client order id"};
  a.ord_id = it.text("ordId", false);
  a.state_text = it.text("state");
  a.state = algo_state_of(a.state_text);
  if (a.state == AlgoState::kEffective && a.ord_id.empty()) {
    // ordId (OKX: to be retired) empty: the first of ordIdList, the orders placed.
    simdjson::dom::array list;
    std::string_view first;
    if (it.fields()["ordIdList"].get_array().get(list) == simdjson::SUCCESS && list.size() > 0 &&
        (*list.begin()).get_string().get(first) == simdjson::SUCCESS)
      a.ord_id = std::string(first);
  }
  a.fail_code = it.text("failCode", false);
  a.venue_time = it.millis("uTime");
  return a;
}

std::optional<EventPayload> algo_event(const AlgoOrderItem& a, AccountId account) {
  switch (a.state) {
    case AlgoState::kLive: {
      VenueOrderId v;
      if (!v.assign(a.algo_id)) return std::nullopt;
      return OrderAccepted{account, a.instrument, a.client_order_id, v};
    }
    case AlgoState::kCanceled: return OrderCanceled{account, a.instrument, a.client_order_id, Decimal{}};
    case AlgoState::kFailed: return OrderExpired{account, a.instrument, a.client_order_id, Decimal{}};
    case AlgoState::kEffective:
    case AlgoState::kOther: break;
  }
  return std::nullopt;
}

Result<AlgoOrdersPage, RestError> parse_algo_orders(std::string_view body, const AccountContext& ctx) {
  detail::Envelope env;
  if (auto o = detail::open(env, body, "algo orders"); !o) return Unexpected{o.error()};
  try {
    AlgoOrdersPage page;
    for (element e : env.data) {
      const std::string at = "algo orders.data[" + std::to_string(page.count++) + "]";
      const Item it(as_object(e, at), at);
      page.last_algo_id = it.text("algoId");
      if (const auto ref = detail::instrument_of(it, ctx, page.skipped)) page.algos.push_back(detail::algo_item(it, *ref));
    }
    return page;
  } catch (const Fail& f) {
    return Unexpected{detail::rest_fail(f)};
  }
}

Result<std::vector<AlgoAck>, RestError> parse_algo_acks(std::string_view body) {
  detail::Envelope env;
  // Every item refused: code 1 and the items, read all the same (one item: its sCode already).
  if (auto o = detail::open(env, body, "algo"); !o) {
    if (!o.error().refused || env.data.size() <= 1) return Unexpected{o.error()};
  }
  try {
    std::vector<AlgoAck> out;
    out.reserve(env.data.size());
    std::size_t i = 0;
    for (element e : env.data) {
      const std::string at = "algo.data[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      AlgoAck a;
      a.algo_id = it.text("algoId", false);
      a.algo_client_id = it.text("algoClOrdId", false);
      if (it.text("sCode", false).empty()) throw Fail{at + ".sCode: missing"};
      a.refusal = detail::item_refusal(it);
      if (a.refusal.code == 0 && a.algo_id.empty()) throw Fail{at + ".algoId: empty for an accepted item"};
      out.push_back(std::move(a));
    }
    if (out.empty()) throw Fail{"algo.data: no item"};
    return out;
  } catch (const Fail& f) {
    return Unexpected{detail::rest_fail(f)};
  }
}

}  // namespace oms::okx
