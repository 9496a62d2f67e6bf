// BinanceUsdm: /fapi requests and the futures-only behaviour (modify as amend, batchOrders,
// balances from /fapi/v2/balance, positionRisk, leverage and margin type).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "exchange_internal.hpp"

namespace oms::binance {

Req BinanceUsdm::new_order_req(const Instrument& in, const SubmitOrder& o) {
  OrderExtras x;
  x.response_type = ResponseType::kResult;  // status and executed quantity with the ack
  return usdm_new_order(in, o, x);
}
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
