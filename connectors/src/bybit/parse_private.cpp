// Bybit v5 private WebSocket topics and account REST answers -> our events (private_data.hpp).
// simdjson DOM: account messages are few and nested; the market-data path uses on-demand.
#include <simdjson.h>

#include <charconv>

#include "../json_dom.hpp"
#include "oms/connectors/bybit/private_data.hpp"

namespace oms::bybit {
namespace {

using venue::dom::array;
using venue::dom::as_array;
using venue::dom::as_object;
using venue::dom::element;
using venue::dom::Fail;
using venue::dom::Item;
using venue::dom::object;

Side side_of(const Item& it) {
  const std::string s = it.text("side");
  if (s == "Buy") return Side::kBuy;
  if (s == "Sell") return Side::kSell;
  throw Fail{it.where() + ".side: '" + s + "' is not Buy or Sell"};
}

// category text -> our market; false for a category we do not trade (inverse, option).
bool market_of(std::string_view category, Market& m) {
  if (category == "spot") m = Market::kSpot;
  else if (category == "linear") m = Market::kUsdm;
  else return false;
  return true;
}

const Instrument& instrument_of(const AccountContext& ctx, Market m, const Item& it) {
  const std::string symbol = it.text("symbol");
  const Instrument* in = ctx.find ? ctx.find(m, symbol) : nullptr;
  if (in == nullptr) throw Fail{it.where() + ".symbol: unknown symbol '" + symbol + "'"};
  return *in;
}

ClientOrderIdText client_id(const Item& it) {
  ClientOrderIdText id;
  const std::string link = it.text("orderLinkId", false);
  if (!id.assign(link)) throw Fail{it.where() + ".orderLinkId: longer than a client order id"};
  return id;
}

VenueOrderId venue_id(const std::string& id, const Item& it) {
  VenueOrderId v;
  if (!v.assign(id)) throw Fail{it.where() + ".orderId: too long"};
  return v;
}

OrderStatus status_of(const std::string& s, const Item& it) {
  if (s == "New" || s == "Untriggered" || s == "Triggered") return OrderStatus::kAccepted;
  if (s == "PartiallyFilled") return OrderStatus::kPartiallyFilled;
  if (s == "Filled") return OrderStatus::kFilled;
  if (s == "Cancelled" || s == "PartiallyFilledCanceled" || s == "Deactivated") return OrderStatus::kCanceled;
  if (s == "Rejected") return OrderStatus::kRejected;
  throw Fail{it.where() + ".orderStatus: '" + s + "' is not a v5 order status"};
}

VenueEvent order_event(const Item& it, Market m, const AccountContext& ctx) {
  const Instrument& in = instrument_of(ctx, m, it);
  VenueEvent ev;
  ev.venue_order_id = it.text("orderId");
  ev.venue_time = it.millis("updatedTime");
  const ClientOrderIdText cid = client_id(it);
  const std::string status = it.text("orderStatus");
  const Decimal cum = it.decimal("cumExecQty");
  switch (status_of(status, it)) {
    case OrderStatus::kAccepted:
      ev.payload = OrderAccepted{ctx.account, in.id, cid, venue_id(ev.venue_order_id, it)};
      break;
    case OrderStatus::kPartiallyFilled:
      ev.payload = OrderPartiallyFilled{ctx.account, in.id, cid, cum, it.decimal("leavesQty"),
                                        it.decimal("avgPrice", false)};
      break;
    case OrderStatus::kFilled:
      ev.payload = OrderFilled{ctx.account, in.id, cid, cum, it.decimal("avgPrice", false)};
      break;
    case OrderStatus::kCanceled:
      if (it.text("cancelType", false) == "CancelByUser") ev.payload = OrderCanceled{ctx.account, in.id, cid, cum};
      else ev.payload = OrderExpired{ctx.account, in.id, cid, cum};
      break;
    default: {
      if (cum.is_positive()) {  // rejected after part of it filled: the fills stand
        ev.payload = OrderExpired{ctx.account, in.id, cid, cum};
        break;
      }
      OrderRejected r{ctx.account, in.id, cid, 4403, 0, {}};
      const std::string reason = it.text("rejectReason", false);
      (void)r.reason.assign(reason.substr(0, ReasonText::kCapacity));  // the venue text, cut to fit
      ev.payload = r;
      break;
    }
  }
  return ev;
}

// false: an execution type that is not a fill or a funding payment (nothing to record).
bool execution_event(const Item& it, Market m, const AccountContext& ctx, bool fast, VenueEvent& ev) {
  const Instrument& in = instrument_of(ctx, m, it);
  ev = VenueEvent{};
  ev.venue_order_id = it.text("orderId", false);
  ev.venue_time = it.millis("execTime");
  const std::string type = fast ? std::string("Trade") : it.text("execType");
  AssetCode fee_asset;
  const std::string fee_currency = fast ? std::string() : it.text("feeCurrency", false);
  const Side side = side_of(it);
  const auto set_fee_asset = [&] {
    // feeCurrency when the venue names it; else the settle coin (linear) or what the trade
    // received (spot: base bought, quote sold).
    const std::string& asset = !fee_currency.empty() ? fee_currency
                               : m == Market::kUsdm  ? in.symbol.settle
                               : side == Side::kBuy  ? in.symbol.base
                                                     : in.symbol.quote;
    if (!fee_asset.assign(asset)) throw Fail{it.where() + ".feeCurrency: too long"};
  };
  if (type == "Funding") {
    set_fee_asset();
    const Decimal paid = it.decimal("execFee");
    ev.payload = FundingPaid{ctx.account, in.id, fee_asset, Decimal::from_raw(-paid.raw())};
    return true;
  }
  if (type != "Trade" && type != "AdlTrade" && type != "BustTrade" && type != "BlockTrade" &&
      type != "Delivery") {
    if (type == "Settle" || type == "MovePosition") return false;
    throw Fail{it.where() + ".execType: '" + type + "' is not a v5 execution type"};
  }
  FillReceived f;
  f.account = ctx.account;
  f.instrument = in.id;
  f.client_order_id = client_id(it);
  if (!f.trade_id.assign(it.text("execId"))) throw Fail{it.where() + ".execId: too long"};
  f.side = side;
  f.price = it.decimal("execPrice");
  f.quantity = it.decimal("execQty");
  if (!f.quantity.is_positive()) throw Fail{it.where() + ".execQty: must be positive"};
  if (!fast) {
    f.fee = it.decimal("execFee");
    set_fee_asset();
    f.fee_asset = fee_asset;
  }
  ev.fee_pending = fast;
  f.liquidity = it.flag("isMaker") ? Liquidity::kMaker : Liquidity::kTaker;
  ev.payload = f;
  return true;
}

BalanceUpdated balance_of(const Item& it, const AccountContext& ctx) {
  BalanceUpdated b;
  b.account = ctx.account;
  b.exchange = ExchangeId::kBybit;
  b.market = ctx.market;
  if (!b.asset.assign(it.text("coin"))) throw Fail{it.where() + ".coin: too long"};
  const Decimal wallet = it.decimal("walletBalance");
  b.locked = it.decimal("locked", false);
  b.free = Decimal::from_raw(wallet.raw() - b.locked.raw());
  return b;
}

PositionUpdated position_of(const Item& it, const AccountContext& ctx, bool rest) {
  const Instrument& in = instrument_of(ctx, Market::kUsdm, it);
  PositionUpdated p;
  p.account = ctx.account;
  p.instrument = in.id;
  const std::int64_t idx = it.integer("positionIdx", 0);
  p.position_side = idx == 1 ? PositionSide::kLong : idx == 2 ? PositionSide::kShort : PositionSide::kBoth;
  if (idx < 0 || idx > 2) throw Fail{it.where() + ".positionIdx: " + std::to_string(idx) + " is not 0, 1 or 2"};
  const Decimal size = it.decimal("size");
  const std::string side = it.text("side", false);
  if (side == "Sell" && p.position_side == PositionSide::kBoth) p.size = Decimal::from_raw(-size.raw());
  else p.size = size;
  p.entry_price = it.decimal(rest ? "avgPrice" : "entryPrice", false);
  const Decimal lev = it.decimal("leverage", false);
  if (!lev.is_zero()) {
    const Int128 whole = lev.raw() / Decimal::kOne;
    if (whole * Decimal::kOne != lev.raw() || whole > UINT16_MAX)
      throw Fail{it.where() + ".leverage: " + lev.to_string() + " is not a whole leverage we record"};
    p.leverage = static_cast<std::uint16_t>(whole);
  }
  p.margin_type = it.integer("tradeMode", 0) == 1 ? MarginType::kIsolated : MarginType::kCross;
  if (p.margin_type == MarginType::kIsolated) p.isolated_margin = it.decimal("positionBalance", false);
  p.unrealized_pnl = it.decimal("unrealisedPnl", false);
  p.realized_pnl = it.decimal("cumRealisedPnl", false);
  return p;
}

// The REST envelope's result object; RestError on a refusal or a malformed body.
struct Envelope {
  simdjson::dom::parser parser;
  simdjson::padded_string padded;
  object result;
  element doc;
};

Result<Unit, RestError> open(Envelope& env, std::string_view body, std::string_view what) {
  env.padded = simdjson::padded_string(body);
  if (auto e = env.parser.parse(env.padded).get(env.doc); e != simdjson::SUCCESS)
    return Unexpected{RestError{false, {}, std::string(what) + ": malformed JSON: " + simdjson::error_message(e)}};
  std::int64_t code = 0;
  if (env.doc["retCode"].get_int64().get(code) != simdjson::SUCCESS)
    return Unexpected{RestError{false, {}, std::string(what) + ".retCode: missing"}};
  if (code != 0) {
    std::string_view msg;
    if (env.doc["retMsg"].get_string().get(msg) != simdjson::SUCCESS) msg = "";
    return Unexpected{RestError{true, VenueRefusal{static_cast<std::int32_t>(code), std::string(msg)},
                                std::string(what) + ": retCode " + std::to_string(code) + ": " + std::string(msg)}};
  }
  if (env.doc["result"].get_object().get(env.result) != simdjson::SUCCESS)
    return Unexpected{RestError{false, {}, std::string(what) + ".result: expected an object"}};
  return Unit{};
}

std::string cursor_of(object result) {
  std::string_view c;
  if (result["nextPageCursor"].get_string().get(c) != simdjson::SUCCESS) return {};
  return std::string(c);
}

RestError rest_fail(const Fail& f) { return RestError{false, {}, f.message}; }

}  // namespace

Result<PrivateKind, ParseError> parse_private(std::string_view json, const AccountContext& ctx, PrivateMessage& out) {
  out = PrivateMessage{};
  simdjson::dom::parser parser;
  element doc;
  if (auto e = parser.parse(json.data(), json.size()).get(doc); e != simdjson::SUCCESS)
    return Unexpected{ParseError{std::string("private: malformed JSON: ") + simdjson::error_message(e)}};
  try {
    const object root = as_object(doc, "private");
    std::string_view op;
    if (root["op"].get_string().get(op) == simdjson::SUCCESS) {
      std::string_view msg;
      if (root["ret_msg"].get_string().get(msg) == simdjson::SUCCESS) out.ret_msg = std::string(msg);
      bool ok = true;
      if (root["success"].get_bool().get(ok) == simdjson::SUCCESS) out.success = ok;
      if (op == "auth") out.kind = PrivateKind::kAuth;
      else if (op == "subscribe") out.kind = PrivateKind::kSubscribe;
      else if (op == "pong" || (op == "ping" && out.ret_msg == "pong")) out.kind = PrivateKind::kPong;
      else out.kind = PrivateKind::kOther;
      return out.kind;
    }
    std::string_view topic;
    if (root["topic"].get_string().get(topic) != simdjson::SUCCESS) throw Fail{"private.topic: missing"};
    out.topic = std::string(topic);
    const std::string where = std::string(topic) + ".data";
    if (topic == "order") out.kind = PrivateKind::kOrder;
    else if (topic == "execution") out.kind = PrivateKind::kExecution;
    else if (topic == "execution.fast") out.kind = PrivateKind::kExecutionFast;
    else if (topic == "wallet") out.kind = PrivateKind::kWallet;
    else if (topic == "position") out.kind = PrivateKind::kPosition;
    else return out.kind = PrivateKind::kOther;
    const array data = as_array(root, "data", std::string(topic));
    std::size_t i = 0;
    for (element e : data) {
      const std::string at = where + "[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      Market m = Market::kSpot;
      if (out.kind == PrivateKind::kWallet) {
        for (element c : as_array(as_object(e, at), "coin", at)) {
          const Item coin(as_object(c, at + ".coin"), at + ".coin");
          out.events.push_back(VenueEvent{0, {}, false, balance_of(coin, ctx)});
        }
        continue;
      }
      const std::string category = it.text("category", false);
      if (category.empty()) m = out.kind == PrivateKind::kPosition ? Market::kUsdm : ctx.market;
      else if (!market_of(category, m)) {
        out.skipped.push_back(at + ": category " + category + " is not traded here");
        continue;
      }
      if (m != ctx.market) {
        // One unified account, one stream per market connection: the other one reads it
        // (positions: the linear one).
        out.skipped.push_back(at + ": category " + (category.empty() ? std::string("linear") : category) +
                              " belongs to the other market's connection");
        continue;
      }
      if (out.kind == PrivateKind::kOrder) {
        out.events.push_back(order_event(it, m, ctx));
      } else if (out.kind == PrivateKind::kPosition) {
        VenueEvent ev;
        ev.venue_time = it.millis("updatedTime");
        ev.payload = position_of(it, ctx, false);
        out.events.push_back(std::move(ev));
      } else {
        VenueEvent ev;
        if (execution_event(it, m, ctx, out.kind == PrivateKind::kExecutionFast, ev)) out.events.push_back(std::move(ev));
        else out.skipped.push_back(at + ": execType " + it.text("execType") + " is not a fill");
      }
    }
    if (out.kind == PrivateKind::kWallet) {
      // Wallet data carry no time of their own: the message's creationTime.
      std::int64_t ms = 0;
      if (root["creationTime"].get_int64().get(ms) != simdjson::SUCCESS) throw Fail{"wallet.creationTime: missing"};
      for (auto& ev : out.events) ev.venue_time = ms * 1'000'000;
    }
  } catch (const Fail& f) {
    return Unexpected{ParseError{f.message}};
  }
  return out.kind;
}

Result<Unit, RestError> parse_envelope(std::string_view body) {
  Envelope env;
  return open(env, body, "answer");
}

Result<OrderAck, RestError> parse_order_ack(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "order"); !o) return Unexpected{o.error()};
  try {
    const Item it(env.result, "order.result");
    return OrderAck{it.text("orderId"), it.text("orderLinkId", false)};
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<std::vector<OrderAck>, RestError> parse_cancel_all(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "cancel-all"); !o) return Unexpected{o.error()};
  try {
    std::vector<OrderAck> out;
    std::size_t i = 0;
    for (element e : as_array(env.result, "list", "cancel-all.result")) {
      const std::string where = "cancel-all.result.list[" + std::to_string(i++) + "]";
      const Item it(as_object(e, where), where);
      out.push_back(OrderAck{it.text("orderId"), it.text("orderLinkId", false)});
    }
    const Item r(env.result, "cancel-all.result");
    if (const std::string ok = r.text("success", false); !ok.empty() && ok != "1")
      throw Fail{"cancel-all.result.success: '" + ok + "' (the venue says it failed)"};
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<std::vector<BatchItemAnswer>, RestError> parse_batch_ack(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "batch"); !o) return Unexpected{o.error()};
  try {
    const array list = as_array(env.result, "list", "batch.result");
    object ext;
    if (env.doc["retExtInfo"].get_object().get(ext) != simdjson::SUCCESS) throw Fail{"batch.retExtInfo: expected an object"};
    const array codes = as_array(ext, "list", "batch.retExtInfo");
    if (codes.size() != list.size())
      throw Fail{"batch: " + std::to_string(list.size()) + " results but " + std::to_string(codes.size()) + " codes"};
    std::vector<BatchItemAnswer> out;
    out.reserve(list.size());
    auto ci = codes.begin();
    std::size_t i = 0;
    for (element e : list) {
      const std::string at = "batch.result.list[" + std::to_string(i) + "]";
      const Item it(as_object(e, at), at);
      const std::string cat = "batch.retExtInfo.list[" + std::to_string(i++) + "]";
      const object c = as_object(*ci, cat);
      ++ci;
      BatchItemAnswer a;
      a.ack = OrderAck{it.text("orderId", false), it.text("orderLinkId", false)};
      std::int64_t code = 0;
      if (c["code"].get_int64().get(code) != simdjson::SUCCESS) throw Fail{cat + ".code: missing"};
      std::string_view msg;
      if (c["msg"].get_string().get(msg) != simdjson::SUCCESS) msg = "";
      a.refusal = VenueRefusal{static_cast<std::int32_t>(code), std::string(msg)};
      if (code == 0 && a.ack.order_id.empty()) throw Fail{at + ".orderId: missing for an accepted item"};
      out.push_back(std::move(a));
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<OrdersPage, RestError> parse_orders(std::string_view body, Market market, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "orders"); !o) return Unexpected{o.error()};
  try {
    OrdersPage page;
    page.next_page_cursor = cursor_of(env.result);
    std::size_t i = 0;
    for (element e : as_array(env.result, "list", "orders.result")) {
      const std::string at = "orders.result.list[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      const Instrument& in = instrument_of(ctx, market, it);
      OrderStatusReconciled r;
      r.account = ctx.account;
      r.instrument = in.id;
      r.client_order_id = client_id(it);
      r.venue_order_id = venue_id(it.text("orderId"), it);
      r.status = status_of(it.text("orderStatus"), it);
      r.cum_qty = it.decimal("cumExecQty");
      // As the order topic maps them: a venue-side cancel expired, a rejection after fills too.
      if ((r.status == OrderStatus::kCanceled && it.text("cancelType", false) != "CancelByUser") ||
          (r.status == OrderStatus::kRejected && r.cum_qty.is_positive()))
        r.status = OrderStatus::kExpired;
      r.avg_price = it.decimal("avgPrice", false);
      page.orders.push_back(r);
    }
    return page;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<ExecutionsPage, RestError> parse_executions(std::string_view body, Market market, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "executions"); !o) return Unexpected{o.error()};
  try {
    ExecutionsPage page;
    page.next_page_cursor = cursor_of(env.result);
    std::size_t i = 0;
    for (element e : as_array(env.result, "list", "executions.result")) {
      const std::string at = "executions.result.list[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      VenueEvent ev;
      if (execution_event(it, market, ctx, false, ev)) page.events.push_back(std::move(ev));
      else page.skipped.push_back(at + ": execType " + it.text("execType") + " is not a fill");
    }
    return page;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<std::vector<BalanceUpdated>, RestError> parse_wallet_balance(std::string_view body, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "wallet-balance"); !o) return Unexpected{o.error()};
  try {
    std::vector<BalanceUpdated> out;
    std::size_t i = 0;
    for (element e : as_array(env.result, "list", "wallet-balance.result")) {
      const std::string at = "wallet-balance.result.list[" + std::to_string(i++) + "]";
      std::size_t j = 0;
      for (element c : as_array(as_object(e, at), "coin", at)) {
        const std::string cat = at + ".coin[" + std::to_string(j++) + "]";
        out.push_back(balance_of(Item(as_object(c, cat), cat), ctx));
      }
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<std::vector<PositionUpdated>, RestError> parse_positions(std::string_view body, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "positions"); !o) return Unexpected{o.error()};
  try {
    std::vector<PositionUpdated> out;
    std::size_t i = 0;
    for (element e : as_array(env.result, "list", "positions.result")) {
      const std::string at = "positions.result.list[" + std::to_string(i++) + "]";
      out.push_back(position_of(Item(as_object(e, at), at), ctx, true));
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<FeeRates, RestError> parse_fee_rate(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "fee-rate"); !o) return Unexpected{o.error()};
  try {
    const auto list = as_array(env.result, "list", "fee-rate.result");
    for (element e : list) {
      const Item item(as_object(e, "fee-rate.result.list[0]"), "fee-rate.result.list[0]");
      return FeeRates{item.decimal("makerFeeRate"), item.decimal("takerFeeRate")};
    }
    throw Fail{"fee-rate.result.list: empty (no rate for the symbol)"};
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

namespace {

TransferStatus transfer_status_of(const std::string& s, const std::string& where) {
  if (s == "SUCCESS") return TransferStatus::kSuccess;
  if (s == "PENDING" || s == "STATUS_UNKNOWN") return TransferStatus::kPending;
  if (s == "FAILED") return TransferStatus::kFailed;
  throw Fail{where + ".status: '" + s + "' is not SUCCESS, PENDING, FAILED or STATUS_UNKNOWN"};
}

}  // namespace

Result<TransferAck, RestError> parse_transfer_ack(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "transfer"); !o) return Unexpected{o.error()};
  try {
    const Item it(env.result, "transfer.result");
    TransferAck ack;
    ack.transfer_id = it.text("transferId");
    if (ack.transfer_id.empty()) throw Fail{"transfer.result.transferId: empty"};
    if (const std::string s = it.text("status", false); !s.empty()) ack.status = transfer_status_of(s, "transfer.result");
    return ack;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<TransfersPage, RestError> parse_transfers(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "transfers"); !o) return Unexpected{o.error()};
  try {
    TransfersPage page;
    std::size_t i = 0;
    for (element e : as_array(env.result, "list", "transfers.result")) {
      const std::string where = "transfers.result.list[" + std::to_string(i++) + "]";
      const Item it(as_object(e, where), where);
      TransferRow row;
      row.transfer_id = it.text("transferId");
      row.coin = it.text("coin");
      row.amount = it.decimal("amount");
      row.from_member_id = it.text("fromMemberId", false);
      row.to_member_id = it.text("toMemberId", false);
      row.from_account_type = it.text("fromAccountType");
      row.to_account_type = it.text("toAccountType");
      row.time_ms = it.millis("timestamp") / 1'000'000;
      row.status = transfer_status_of(it.text("status"), where);
      page.rows.push_back(std::move(row));
    }
    page.next_page_cursor = cursor_of(env.result);
    return page;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

}  // namespace oms::bybit
