// Report ids (stable per venue fact) and Binance REST order answers as events.
//
// The same fact reaches us twice -- the REST answer to our request and the user-data event --
// in either order, and the stream re-delivers after a reconnect. Each event's id is a hash of
// what identifies the fact at the venue, never of when or how we heard it:
//   OrderAccepted       orderId
//   FillReceived        instrument + trade id (the venue's "t")
//   Partially/Filled    orderId + cumulative quantity
//   Canceled / Expired  orderId
//   Amended             orderId + new price + new quantity
//   Rejected            client order id (a rejected order has no orderId)
//   Balance / Position  asset or instrument + the venue's update time
//   ExternalOrderFound  orderId
//   StatusReconciled    client order id + the answer + our query serial (each query is its own
//                       message, so the desk's second query is never swallowed; the
//                       serial starts at the clock's ns, so a restart never reuses one)
// all prefixed by account and market.
#include <cstdio>
#include <type_traits>

#include "exchange_internal.hpp"
#include "oms/connectors/report_hash.hpp"

namespace oms::binance {

std::string order_id_text(std::uint64_t id) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(id));
  return std::string(buf, static_cast<std::size_t>(n));
}

EventId report_id(AccountId account, Market market, const EventPayload& event,
                  std::uint64_t venue_order_id, std::uint64_t time_key) {
  ReportHash h;
  h.add("binance");
  h.add(std::uint64_t{account.value});
  h.add(std::uint64_t{static_cast<std::uint8_t>(market)});
  h.add(std::uint64_t{event.index()});
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, OrderAccepted> || std::is_same_v<T, OrderCanceled> ||
                      std::is_same_v<T, OrderExpired>) {
          h.add(venue_order_id);
        } else if constexpr (std::is_same_v<T, OrderPartiallyFilled> ||
                             std::is_same_v<T, OrderFilled>) {
          h.add(venue_order_id);
          h.add(e.cum_qty);
        } else if constexpr (std::is_same_v<T, OrderAmended>) {
          h.add(venue_order_id);
          h.add(e.price);
          h.add(e.quantity);
        } else if constexpr (std::is_same_v<T, OrderRejected>) {
          h.add(e.client_order_id.view());
        } else if constexpr (std::is_same_v<T, FillReceived>) {
          h.add(std::uint64_t{e.instrument.value});
          h.add(e.trade_id.view());
        } else if constexpr (std::is_same_v<T, ExternalOrderFound>) {
          h.add(venue_order_id);  // one per order, whichever source describes it
        } else if constexpr (std::is_same_v<T, OrderStatusReconciled>) {
          h.add(e.client_order_id.view());
          h.add(e.venue_order_id.view());
          h.add(std::uint64_t{static_cast<std::uint8_t>(e.status)});
          h.add(e.cum_qty);
          h.add(time_key);
        } else if constexpr (std::is_same_v<T, BalanceUpdated>) {
          // Several account updates can share a millisecond (a burst of cancels): the figures
          // tell them apart, so none is taken for a repeat of another.
          h.add(e.asset.view());
          h.add(e.free);
          h.add(e.locked);
          h.add(time_key);
        } else if constexpr (std::is_same_v<T, PositionUpdated>) {
          h.add(std::uint64_t{e.instrument.value});
          h.add(std::uint64_t{static_cast<std::uint8_t>(e.position_side)});
          h.add(e.size);
          h.add(e.entry_price);
          h.add(time_key);
        } else {
          h.add(venue_order_id);
          h.add(time_key);
        }
      },
      event);
  return h.value();
}

FillReceived fill_of(const AccountTrade& t, AccountId account, InstrumentId instrument) {
  FillReceived f;
  f.account = account;
  f.instrument = instrument;
  (void)f.trade_id.assign(std::to_string(t.id));
  f.side = t.side;
  f.price = t.price;
  f.quantity = t.quantity;
  f.fee = t.commission;
  f.fee_asset = t.commission_asset;
  f.liquidity = t.is_maker ? Liquidity::kMaker : Liquidity::kTaker;
  return f;
}

OrderStatusReconciled unknown_to_venue(AccountId account, InstrumentId instrument,
                                       const ClientOrderIdText& cid) {
  OrderStatusReconciled s;
  s.account = account;
  s.instrument = instrument;
  s.client_order_id = cid;
  s.status = OrderStatus::kRejected;
  return s;
}

Decimal average_price(const OrderInfo& o, bool futures) {
  if (futures || !o.executed_qty.is_positive()) return o.avg_price;
  // Spot: cummulativeQuoteQty / executedQty, rounded like the stream's Z / z.
  auto a = o.cum_quote.div(o.executed_qty, Rounding::kHalfEven);
  return a ? *a : Decimal{};
}

namespace {
ClientOrderIdText cid_of(const OrderInfo& o) {
  // A cancel answers with the canceled order's id in origClientOrderId.
  return o.orig_client_order_id.empty() ? o.client_order_id : o.orig_client_order_id;
}
}  // namespace

void order_info_events(const OrderInfo& o, AccountId account, InstrumentId instrument, bool futures,
                       std::vector<EventPayload>& out) {
  const ClientOrderIdText cid = cid_of(o);
  VenueOrderId vid;
  (void)vid.assign(order_id_text(o.order_id));
  if (!o.has_details) {  // ACK: only the ids
    out.emplace_back(OrderAccepted{account, instrument, cid, vid});
    return;
  }
  if (o.status == OrderStatus::kRejected) {
    OrderRejected r{account, instrument, cid, static_cast<std::uint16_t>(4403), 0, {}};
    (void)r.reason.assign("rejected by the venue (status REJECTED)");
    out.emplace_back(r);
    return;
  }
  out.emplace_back(OrderAccepted{account, instrument, cid, vid});
  for (const auto& f : o.fills) {  // spot FULL: fills at placement are taker fills
    FillReceived e;
    e.account = account;
    e.instrument = instrument;
    e.client_order_id = cid;
    (void)e.trade_id.assign(std::to_string(f.trade_id));
    e.side = o.side;
    e.price = f.price;
    e.quantity = f.quantity;
    e.fee = f.commission;
    e.fee_asset = f.commission_asset;
    e.liquidity = Liquidity::kTaker;
    out.emplace_back(e);
  }
  const Decimal avg = average_price(o, futures);
  switch (o.status) {
    case OrderStatus::kPartiallyFilled: {
      auto leaves = o.orig_qty.sub(o.executed_qty);
      out.emplace_back(OrderPartiallyFilled{account, instrument, cid, o.executed_qty,
                                            leaves ? *leaves : Decimal{}, avg});
      break;
    }
    case OrderStatus::kFilled:
      out.emplace_back(OrderFilled{account, instrument, cid, o.executed_qty, avg});
      break;
    case OrderStatus::kCanceled:
      out.emplace_back(OrderCanceled{account, instrument, cid, o.executed_qty});
      break;
    case OrderStatus::kExpired:
      out.emplace_back(OrderExpired{account, instrument, cid, o.executed_qty});
      break;
    default:
      break;
  }
}

namespace {

void order_kind_of(std::string_view type, std::string_view tif, ExternalOrderFound& e) {
  e.tif = tif == "IOC"   ? TimeInForce::kIoc
          : tif == "FOK" ? TimeInForce::kFok
          : tif == "GTX" ? TimeInForce::kPostOnly
                         : TimeInForce::kGtc;
  if (type == "LIMIT" || type == "LIMIT_MAKER") {
    e.order_type = OrderType::kLimit;
    if (type == "LIMIT_MAKER") e.tif = TimeInForce::kPostOnly;
  } else if (type == "MARKET") {
    e.order_type = OrderType::kMarket;
  } else if (type == "STOP_LOSS_LIMIT" || type == "STOP") {
    e.order_type = OrderType::kStopLossLimit;
  } else if (type == "TAKE_PROFIT_LIMIT" || type == "TAKE_PROFIT") {
    e.order_type = OrderType::kTakeProfitLimit;
  } else if (type == "TAKE_PROFIT_MARKET") {
    e.order_type = OrderType::kTakeProfit;
  } else {
    e.order_type = OrderType::kStopLoss;  // STOP_LOSS, STOP_MARKET, TRAILING_STOP_MARKET
  }
}

}  // namespace

ExternalOrderFound external_of(const OrderUpdate& u, AccountId account, InstrumentId instrument,
                               const ClientOrderIdText& cid) {
  ExternalOrderFound e;
  e.account = account;
  e.instrument = instrument;
  e.client_order_id = cid;
  (void)e.venue_order_id.assign(order_id_text(u.order_id));
  e.side = u.side;
  order_kind_of(u.order_type.view(), u.time_in_force.view(), e);
  e.price = u.price;
  e.stop_price = u.stop_price;
  e.quantity = u.quantity;
  e.reduce_only = u.reduce_only;
  return e;
}

ExternalOrderFound external_of(const OrderInfo& o, AccountId account, InstrumentId instrument) {
  ExternalOrderFound e;
  e.account = account;
  e.instrument = instrument;
  e.client_order_id = o.client_order_id;
  (void)e.venue_order_id.assign(order_id_text(o.order_id));
  e.side = o.side;
  order_kind_of(o.order_type.view(), o.time_in_force.view(), e);
  e.price = o.price;
  e.stop_price = o.stop_price;
  e.quantity = o.orig_qty;
  e.reduce_only = o.reduce_only;
  return e;
}

OrderStatusReconciled reconciled(const OrderInfo& o, AccountId account, InstrumentId instrument,
                                 bool futures) {
  OrderStatusReconciled r;
  r.account = account;
  r.instrument = instrument;
  r.client_order_id = o.client_order_id;
  (void)r.venue_order_id.assign(order_id_text(o.order_id));
  r.status = o.status;
  r.cum_qty = o.executed_qty;
  r.avg_price = average_price(o, futures);
  return r;
}

}  // namespace oms::binance
