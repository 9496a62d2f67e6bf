// OKX v5 order builders: place (plain and algo), amend, cancel, close position, batches.
#include <array>

#include "requests_common.hpp"

namespace oms::okx {

using detail::error;
using detail::make;

namespace detail {

RequestError error(std::string_view what, std::string_view msg) {
  std::string m(what);
  m.append(": ");
  m.append(msg);
  return RequestError{std::move(m)};
}

std::string decimal_text(Decimal d) {
  std::array<char, Decimal::kMaxChars> buf{};
  return std::string(buf.data(), d.format(buf.data()));
}

Result<Unit, RequestError> check_spec(const InstrumentSpec& in, std::string_view what) {
  if (in.inst_id.empty()) return Unexpected{error(what, "instrument: no instId")};
  if (!in.contract_value.is_positive())
    return Unexpected{error(what, "instrument " + in.inst_id + ": ctVal must be positive")};
  if (in.lot_size.is_negative())
    return Unexpected{error(what, "instrument " + in.inst_id + ": lotSz cannot be negative")};
  if (in.inst_type == InstType::kSwap && in.trade_mode == TradeMode::kCash)
    return Unexpected{error(what, "instrument " + in.inst_id + ": a swap trades in cross or isolated mode, not cash")};
  return Unit{};
}

RestRequest make(HttpMethod m, std::string_view path, Security s, std::uint32_t order_count) {
  RestRequest r;
  r.method = m;
  r.path.assign(path);
  r.security = s;
  r.order_count = order_count;
  return r;
}

bool alphanumeric(std::string_view id, std::size_t max) noexcept {
  if (id.empty() || id.size() > max) return false;
  for (const char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Result<Unit, RequestError> add_order_ref(RestRequest& r, const OrderRef& ref, std::string_view what) {
  if (ref.ord_id.empty() == ref.cl_ord_id.empty())
    return Unexpected{error(what, "order: name it by ord_id or by cl_ord_id (one of them)")};
  if (!ref.ord_id.empty()) {
    r.add("ordId", ref.ord_id);
  } else {
    if (!valid_client_id(ref.cl_ord_id)) return Unexpected{error(what, "cl_ord_id: 1 to 32 letters and digits")};
    r.add("clOrdId", ref.cl_ord_id);
  }
  return Unit{};
}

}  // namespace detail

namespace {

constexpr std::size_t kMaxClientId = 32;  // clOrdId, algoClOrdId, reqId, clientId
constexpr std::size_t kMaxTag = 16;
constexpr std::size_t kMaxBatch = 20;       // batch-orders, cancel- and amend-batch-orders
constexpr std::size_t kMaxAlgoCancel = 10;  // cancel-algos

std::string_view trigger_type_text(TriggerPriceType t) noexcept {
  switch (t) {
    case TriggerPriceType::kIndex: return "index";
    case TriggerPriceType::kMark: return "mark";
    case TriggerPriceType::kLast: break;
  }
  return "last";
}

bool take_profit_kind(OrderType t) noexcept {
  return t == OrderType::kTakeProfit || t == OrderType::kTakeProfitLimit;
}

std::string_view ord_type_text(const SubmitOrder& o) noexcept {
  if (!has_limit_price(o.order_type)) return "market";
  switch (o.tif) {
    case TimeInForce::kPostOnly: return "post_only";
    case TimeInForce::kFok: return "fok";
    case TimeInForce::kIoc: return "ioc";
    case TimeInForce::kGtc: break;
  }
  return "limit";
}

// attachAlgoOrds: [{tp..., sl...}], the order price "-1" (market) unless given.
std::string attached_json(const OrderExtras& x) {
  RestRequest a;
  a.method = HttpMethod::kPost;
  const std::string_view type = trigger_type_text(x.trigger_price_type);
  if (x.take_profit.is_positive()) {
    a.add("tpTriggerPx", x.take_profit);
    if (x.take_profit_price.is_positive()) a.add("tpOrdPx", x.take_profit_price);
    else a.add("tpOrdPx", "-1");
    a.add("tpTriggerPxType", type);
  }
  if (x.stop_loss.is_positive()) {
    a.add("slTriggerPx", x.stop_loss);
    if (x.stop_loss_price.is_positive()) a.add("slOrdPx", x.stop_loss_price);
    else a.add("slOrdPx", "-1");
    a.add("slTriggerPxType", type);
  }
  return "[" + a.payload() + "]";
}

// posSide for the order, or empty (net mode, spot).
Result<std::string_view, RequestError> pos_side(const InstrumentSpec& in, const SubmitOrder& o,
                                                const OrderExtras& x, std::string_view what) {
  if (in.inst_type == InstType::kSpot) {
    if (x.position_side) return Unexpected{error(what, "position_side: spot has no positions")};
    return std::string_view{};
  }
  if (x.position_side) {
    if (*x.position_side == PositionSide::kBoth) {
      if (in.long_short_mode) return Unexpected{error(what, "position_side: net in an account in long/short mode")};
      return std::string_view{"net"};
    }
    if (!in.long_short_mode)
      return Unexpected{error(what, "position_side: long/short needs an account in long/short mode (posMode net_mode)")};
    return std::string_view{*x.position_side == PositionSide::kLong ? "long" : "short"};
  }
  if (!in.long_short_mode) return std::string_view{};
  // Long/short mode: a buy opens long or closes short, a sell the reverse.
  const bool long_side = (o.side == Side::kBuy) != o.reduce_only;
  return std::string_view{long_side ? "long" : "short"};
}

// Every field of an order but instId (in the request: first; in a batch item as well).
Result<Unit, RequestError> add_order_fields(RestRequest& r, const InstrumentSpec& in,
                                            const SubmitOrder& o, const OrderExtras& x,
                                            std::string_view what) {
  if (auto c = detail::check_spec(in, what); !c) return c;
  const bool spot = in.inst_type == InstType::kSpot;
  const bool limit_priced = has_limit_price(o.order_type);
  const bool algo = has_stop_price(o.order_type);
  const bool by_quote = !x.quote_quantity.is_zero();
  if (by_quote) {
    if (!spot || limit_priced || algo)
      return Unexpected{error(what, "quote_quantity: only a spot market order trades a quote amount")};
    if (!x.quote_quantity.is_positive()) return Unexpected{error(what, "quote_quantity: must be positive")};
    if (!o.quantity.is_zero()) return Unexpected{error(what, "quantity: must be zero when quote_quantity is set")};
  } else if (x.close_position) {
    if (spot || !algo || x.algo != AlgoKind::kConditional)
      return Unexpected{error(what, "close_position: a swap stop-loss / take-profit (conditional) order's flag")};
    if (!o.reduce_only) return Unexpected{error(what, "close_position: the order must be reduce-only")};
    if (!o.quantity.is_zero()) return Unexpected{error(what, "quantity: must be zero when close_position is set")};
  } else if (!o.quantity.is_positive()) {
    return Unexpected{error(what, "quantity: must be positive")};
  }
  if (limit_priced && !o.price.is_positive()) return Unexpected{error(what, "price: must be positive for a limit order")};
  if (!limit_priced && !o.price.is_zero()) return Unexpected{error(what, "price: must be zero for a market order")};
  if (algo && !o.stop_price.is_positive())
    return Unexpected{error(what, "stop_price: must be positive for a stop / take-profit order")};
  if (!algo && !o.stop_price.is_zero())
    return Unexpected{error(what, "stop_price: only stop / take-profit orders take a stop price")};
  if (algo && o.tif != TimeInForce::kGtc)
    return Unexpected{error(what, "tif: an OKX algo order takes no time in force")};
  if (!limit_priced && (o.tif == TimeInForce::kPostOnly || o.tif == TimeInForce::kFok))
    return Unexpected{error(what, "tif: post-only and FOK need a limit price")};
  if (spot && in.trade_mode == TradeMode::kCash && o.reduce_only)
    return Unexpected{error(what, "reduce_only: a cash spot order cannot be reduce-only")};
  if (x.take_profit.is_negative() || x.stop_loss.is_negative() || x.take_profit_price.is_negative() ||
      x.stop_loss_price.is_negative())
    return Unexpected{error(what, "take_profit / stop_loss: cannot be negative")};
  const bool attached = x.take_profit.is_positive() || x.stop_loss.is_positive();
  if ((x.take_profit_price.is_positive() && !x.take_profit.is_positive()) ||
      (x.stop_loss_price.is_positive() && !x.stop_loss.is_positive()))
    return Unexpected{error(what, "take_profit_price / stop_loss_price: need their trigger price")};
  if (attached && algo && x.algo == AlgoKind::kConditional)
    return Unexpected{error(what, "take_profit / stop_loss: a conditional order is itself the TP or SL")};
  if (!algo && x.algo != AlgoKind::kConditional)
    return Unexpected{error(what, "algo: only stop / take-profit orders are algo orders")};
  if (!o.client_order_id.empty() && !valid_client_id(o.client_order_id.view()))
    return Unexpected{error(what, "client_order_id: OKX takes 1 to 32 letters and digits")};
  if (!x.tag.empty() && !detail::alphanumeric(x.tag, kMaxTag))
    return Unexpected{error(what, "tag: 1 to 16 letters and digits")};
  auto ps = pos_side(in, o, x, what);
  if (!ps) return Unexpected{ps.error()};

  r.add("tdMode", to_string(in.trade_mode));
  r.add("side", o.side == Side::kBuy ? "buy" : "sell");
  if (!algo) r.add("ordType", ord_type_text(o));
  else r.add("ordType", x.algo == AlgoKind::kTrigger ? "trigger" : "conditional");
  if (by_quote) {
    r.add("sz", x.quote_quantity);
    r.add("tgtCcy", "quote_ccy");
  } else if (x.close_position) {
    r.add("closeFraction", "1");
  } else {
    auto sz = to_size(in, o.quantity, "sz");
    if (!sz) return Unexpected{error(what, sz.error().message)};
    r.add("sz", *sz);
    // sz in base units, said explicitly: a spot market buy's default unit is the quote.
    if (spot) r.add("tgtCcy", "base_ccy");
  }
  if (!algo && limit_priced) r.add("px", o.price);
  const std::string_view type = trigger_type_text(x.trigger_price_type);
  if (algo && x.algo == AlgoKind::kTrigger) {
    r.add("triggerPx", o.stop_price);
    if (limit_priced) r.add("orderPx", o.price);
    else r.add("orderPx", "-1");
    if (x.trigger_price_type != TriggerPriceType::kLast) r.add("triggerPxType", type);
  } else if (algo) {
    // One-sided conditional: a stop-loss buys when the price rises to it and sells when it
    // falls, a take-profit the reverse -- OKX's sl / tp by side.
    const bool tp = take_profit_kind(o.order_type);
    r.add(tp ? "tpTriggerPx" : "slTriggerPx", o.stop_price);
    if (limit_priced) r.add(tp ? "tpOrdPx" : "slOrdPx", o.price);
    else r.add(tp ? "tpOrdPx" : "slOrdPx", "-1");
    r.add(tp ? "tpTriggerPxType" : "slTriggerPxType", type);
  }
  if (!o.client_order_id.empty()) r.add(algo ? "algoClOrdId" : "clOrdId", o.client_order_id.view());
  if (!x.tag.empty()) r.add("tag", x.tag);
  if (!ps->empty()) r.add("posSide", *ps);
  if (o.reduce_only) r.add_bool("reduceOnly", true);
  if (attached) r.add_raw("attachAlgoOrds", attached_json(x));
  return Unit{};
}

Req amend_fields(RestRequest& r, const InstrumentSpec& in, const OrderRef& ref, Decimal quantity,
                 Decimal price, const AmendOptions& opt, std::string_view what) {
  if (auto c = detail::check_spec(in, what); !c) return Unexpected{c.error()};
  if (quantity.is_negative() || price.is_negative())
    return Unexpected{error(what, "quantity / price: cannot be negative")};
  if (quantity.is_zero() && price.is_zero())
    return Unexpected{error(what, "quantity / price: at least one must change")};
  if (!opt.req_id.empty() && !detail::alphanumeric(opt.req_id, kMaxClientId))
    return Unexpected{error(what, "req_id: 1 to 32 letters and digits")};
  r.add("instId", in.inst_id);
  if (auto a = detail::add_order_ref(r, ref, what); !a) return Unexpected{a.error()};
  if (opt.cancel_on_fail) r.add_bool("cxlOnFail", true);
  if (!opt.req_id.empty()) r.add("reqId", opt.req_id);
  // newSz is the order's new total size, the filled part included.
  if (!quantity.is_zero()) {
    auto sz = to_size(in, quantity, "newSz");
    if (!sz) return Unexpected{error(what, sz.error().message)};
    r.add("newSz", *sz);
  }
  if (!price.is_zero()) r.add("newPx", price);
  return r;
}

template <class Item>
Result<Unit, RequestError> check_batch(std::span<const Item> items, std::size_t max, std::string_view what) {
  if (items.empty()) return Unexpected{error(what, "items: at least one order")};
  if (items.size() > max) return Unexpected{error(what, "items: at most " + std::to_string(max) + " a request")};
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].instrument == nullptr)
      return Unexpected{error(what, "items[" + std::to_string(i) + "]: instrument missing")};
  }
  return Unit{};
}

std::string item_what(std::string_view what, std::size_t i) {
  return std::string(what) + " items[" + std::to_string(i) + "]";
}

}  // namespace

std::string_view to_string(InstType t) noexcept { return t == InstType::kSwap ? "SWAP" : "SPOT"; }

std::string_view to_string(TradeMode m) noexcept {
  switch (m) {
    case TradeMode::kCross: return "cross";
    case TradeMode::kIsolated: return "isolated";
    case TradeMode::kCash: break;
  }
  return "cash";
}

bool valid_client_id(std::string_view id) noexcept { return detail::alphanumeric(id, kMaxClientId); }

std::size_t max_batch() noexcept { return kMaxBatch; }
std::size_t max_algo_cancel() noexcept { return kMaxAlgoCancel; }

Result<Decimal, RequestError> to_size(const InstrumentSpec& spec, Decimal quantity, std::string_view field) {
  const std::string f(field);
  if (!quantity.is_positive()) return Unexpected{RequestError{f + ": must be positive"}};
  if (!spec.contract_value.is_positive()) return Unexpected{RequestError{f + ": ctVal must be positive"}};
  auto sz = quantity.div(spec.contract_value, Rounding::kExact);
  const std::string q = detail::decimal_text(quantity);
  const std::string lot = spec.lot_size.is_zero() ? std::string("unchecked") : detail::decimal_text(spec.lot_size);
  if (spec.inst_type == InstType::kSwap) {
    const std::string why = " (quantity " + q + ", ctVal " + detail::decimal_text(spec.contract_value) + ", lotSz " + lot + ")";
    if (!sz || (!spec.lot_size.is_zero() && !sz->is_multiple_of(spec.lot_size)))
      return Unexpected{RequestError{f + ": not a whole number of contracts" + why}};
    return *sz;
  }
  if (!sz) return Unexpected{RequestError{f + ": quantity " + q + " does not divide by ctVal"}};
  if (!spec.lot_size.is_zero() && !sz->is_multiple_of(spec.lot_size))
    return Unexpected{RequestError{f + ": quantity " + q + " is not a multiple of lotSz " + lot}};
  return *sz;
}

Req new_order(const InstrumentSpec& in, const SubmitOrder& o, const OrderExtras& x) {
  constexpr std::string_view kWhat = "new_order";
  const bool algo = has_stop_price(o.order_type);
  RestRequest r = make(HttpMethod::kPost, algo ? "/api/v5/trade/order-algo" : "/api/v5/trade/order",
                       Security::kSigned, 1);
  r.add("instId", in.inst_id);
  if (auto f = add_order_fields(r, in, o, x, kWhat); !f) return Unexpected{f.error()};
  return r;
}

Req amend_order(const InstrumentSpec& in, const OrderRef& ref, Decimal quantity, Decimal price,
                const AmendOptions& opt) {
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/amend-order", Security::kSigned);
  return amend_fields(r, in, ref, quantity, price, opt, "amend_order");
}

Req amend_order(const InstrumentSpec& in, const AmendOrder& a) {
  return amend_order(in, OrderRef{{}, a.client_order_id.view()}, a.new_quantity, a.new_price);
}

Req cancel_order(const InstrumentSpec& in, const OrderRef& ref) {
  constexpr std::string_view kWhat = "cancel_order";
  if (auto c = detail::check_spec(in, kWhat); !c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/cancel-order", Security::kSigned);
  r.add("instId", in.inst_id);
  if (auto a = detail::add_order_ref(r, ref, kWhat); !a) return Unexpected{a.error()};
  return r;
}

Req cancel_order(const InstrumentSpec& in, const CancelOrder& c) {
  return cancel_order(in, OrderRef{{}, c.client_order_id.view()});
}

Req close_position(const InstrumentSpec& in, std::optional<PositionSide> side) {
  constexpr std::string_view kWhat = "close_position";
  if (auto c = detail::check_spec(in, kWhat); !c) return Unexpected{c.error()};
  if (in.inst_type != InstType::kSwap) return Unexpected{error(kWhat, "instrument " + in.inst_id + ": spot has no positions")};
  const bool hedged = side && *side != PositionSide::kBoth;
  if (hedged != in.long_short_mode)
    return Unexpected{error(kWhat, in.long_short_mode ? "side: long or short (the account is in long/short mode)"
                                                      : "side: long/short needs an account in long/short mode")};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/close-position", Security::kSigned);
  r.add("instId", in.inst_id);
  r.add("mgnMode", to_string(in.trade_mode));
  if (hedged) r.add("posSide", *side == PositionSide::kLong ? "long" : "short");
  return r;
}

Req cancel_all_after(std::uint32_t seconds) {
  constexpr std::uint32_t kMin = 10, kMax = 120;  // the venue's range; 0 disarms
  if (seconds != 0 && (seconds < kMin || seconds > kMax))
    return Unexpected{error("cancel_all_after", "seconds: 0, or 10 to 120")};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/cancel-all-after", Security::kSigned);
  r.add("timeOut", std::to_string(seconds));
  return r;
}

Req batch_orders(std::span<const BatchItem> items) {
  constexpr std::string_view kWhat = "batch_orders";
  if (auto c = check_batch(items, kMaxBatch, kWhat); !c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/batch-orders", Security::kSigned,
                       static_cast<std::uint32_t>(items.size()));
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string what = item_what(kWhat, i);
    if (has_stop_price(items[i].order.order_type))
      return Unexpected{error(what, "order_type: stop / take-profit orders are algo orders (no batch)")};
    RestRequest item;
    item.method = HttpMethod::kPost;
    item.add("instId", items[i].instrument->inst_id);
    if (auto f = add_order_fields(item, *items[i].instrument, items[i].order, items[i].extras, what); !f)
      return Unexpected{f.error()};
    r.items.push_back(std::move(item.fields));
  }
  return r;
}

Req batch_orders(const SubmitBatch& b, std::span<const InstrumentSpec* const> specs) {
  if (specs.size() != b.orders.size())
    return Unexpected{error("batch_orders", "specs: one instrument per order")};
  std::vector<BatchItem> items;
  items.reserve(b.orders.size());
  for (std::size_t i = 0; i < b.orders.size(); ++i) items.push_back(BatchItem{specs[i], b.orders.begin()[i], {}});
  return batch_orders(items);
}

Req amend_batch(std::span<const AmendItem> items) {
  constexpr std::string_view kWhat = "amend_batch";
  if (auto c = check_batch(items, kMaxBatch, kWhat); !c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/amend-batch-orders", Security::kSigned);
  for (std::size_t i = 0; i < items.size(); ++i) {
    RestRequest item;
    item.method = HttpMethod::kPost;
    const auto& a = items[i];
    if (auto f = amend_fields(item, *a.instrument, a.ref, a.quantity, a.price, a.options, item_what(kWhat, i)); !f)
      return f;
    r.items.push_back(std::move(item.fields));
  }
  return r;
}

Req cancel_batch(std::span<const CancelItem> items) {
  constexpr std::string_view kWhat = "cancel_batch";
  if (auto c = check_batch(items, kMaxBatch, kWhat); !c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/cancel-batch-orders", Security::kSigned);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string what = item_what(kWhat, i);
    if (auto c = detail::check_spec(*items[i].instrument, what); !c) return Unexpected{c.error()};
    RestRequest item;
    item.add("instId", items[i].instrument->inst_id);
    if (auto a = detail::add_order_ref(item, items[i].ref, what); !a) return Unexpected{a.error()};
    r.items.push_back(std::move(item.fields));
  }
  return r;
}

Req cancel_algos(std::span<const AlgoCancelItem> items) {
  constexpr std::string_view kWhat = "cancel_algos";
  if (auto c = check_batch(items, kMaxAlgoCancel, kWhat); !c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/trade/cancel-algos", Security::kSigned);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string what = item_what(kWhat, i);
    if (auto c = detail::check_spec(*items[i].instrument, what); !c) return Unexpected{c.error()};
    const AlgoRef& ref = items[i].ref;
    if (ref.algo_id.empty() == ref.algo_cl_ord_id.empty())
      return Unexpected{error(what, "order: name it by algo_id or by algo_cl_ord_id (one of them)")};
    RestRequest item;
    if (!ref.algo_id.empty()) {
      item.add("algoId", ref.algo_id);
    } else {
      if (!valid_client_id(ref.algo_cl_ord_id)) return Unexpected{error(what, "algo_cl_ord_id: 1 to 32 letters and digits")};
      item.add("algoClOrdId", ref.algo_cl_ord_id);
    }
    item.add("instId", items[i].instrument->inst_id);
    r.items.push_back(std::move(item.fields));
  }
  return r;
}

}  // namespace oms::okx
