// OKX v5 order / fill queries, account, funding-account and public market-data builders.
#include "requests_common.hpp"

namespace oms::okx {

using detail::error;
using detail::make;

namespace detail {

void add_list(RestRequest& r, const ListQuery& q) {
  if (q.inst_type) r.add("instType", to_string(*q.inst_type));
  if (q.instrument != nullptr) r.add("instId", q.instrument->inst_id);
  if (!q.ord_type.empty()) r.add("ordType", q.ord_type);
  if (!q.state.empty()) r.add("state", q.state);
  if (!q.ord_id.empty()) r.add("ordId", q.ord_id);
  if (!q.after.empty()) r.add("after", q.after);
  if (!q.before.empty()) r.add("before", q.before);
  if (q.begin_ms != 0) r.add_int("begin", q.begin_ms);
  if (q.end_ms != 0) r.add_int("end", q.end_ms);
  if (q.limit != 0) r.add_int("limit", q.limit);
}

}  // namespace detail

namespace {

constexpr std::uint32_t kMaxPage = 100;  // every list query's page limit

Result<Unit, RequestError> check_list(const ListQuery& q, std::string_view what, bool inst_type_required) {
  if (inst_type_required && !q.inst_type) return Unexpected{error(what, "inst_type: required")};
  if (q.instrument != nullptr) {
    if (auto c = detail::check_spec(*q.instrument, what); !c) return c;
    if (q.inst_type && *q.inst_type != q.instrument->inst_type)
      return Unexpected{error(what, "inst_type: " + std::string(to_string(*q.inst_type)) + " but instrument " +
                                        q.instrument->inst_id + " is " + std::string(to_string(q.instrument->inst_type)))};
  }
  if (q.limit > kMaxPage) return Unexpected{error(what, "limit: at most 100")};
  return Unit{};
}

Req list_get(std::string_view path, const ListQuery& q, std::string_view what, bool inst_type_required) {
  if (auto c = check_list(q, what, inst_type_required); !c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kGet, path, Security::kSigned);
  detail::add_list(r, q);
  return r;
}

Req bills_get(std::string_view path, const BillsQuery& q, std::string_view what) {
  if (q.limit > kMaxPage) return Unexpected{error(what, "limit: at most 100")};
  RestRequest r = make(HttpMethod::kGet, path, Security::kSigned);
  if (q.inst_type) r.add("instType", to_string(*q.inst_type));
  if (!q.currency.empty()) r.add("ccy", q.currency);
  if (q.margin_mode) {
    if (*q.margin_mode == TradeMode::kCash) return Unexpected{error(what, "margin_mode: cross or isolated")};
    r.add("mgnMode", to_string(*q.margin_mode));
  }
  if (!q.type.empty()) r.add("type", q.type);
  if (!q.sub_type.empty()) r.add("subType", q.sub_type);
  if (!q.after.empty()) r.add("after", q.after);
  if (!q.before.empty()) r.add("before", q.before);
  if (q.begin_ms != 0) r.add_int("begin", q.begin_ms);
  if (q.end_ms != 0) r.add_int("end", q.end_ms);
  if (q.limit != 0) r.add_int("limit", q.limit);
  return r;
}

Req swap_only(const InstrumentSpec& in, std::string_view what) {
  if (auto c = detail::check_spec(in, what); !c) return Unexpected{c.error()};
  if (in.inst_type != InstType::kSwap) return Unexpected{error(what, "instrument " + in.inst_id + ": a swap's setting")};
  return RestRequest{};
}

Req public_get(std::string_view path, std::string_view what, const InstrumentSpec* in) {
  if (in != nullptr) {
    if (auto c = detail::check_spec(*in, what); !c) return Unexpected{c.error()};
  }
  RestRequest r = make(HttpMethod::kGet, path, Security::kNone);
  if (in != nullptr) r.add("instId", in->inst_id);
  return r;
}

Req ccy_get(std::string_view path, std::string_view ccy_key, std::string_view currency) {
  RestRequest r = make(HttpMethod::kGet, path, Security::kSigned);
  if (!currency.empty()) r.add(ccy_key, currency);
  return r;
}

}  // namespace

std::string_view to_string(AlgoOrdType t) noexcept {
  switch (t) {
    case AlgoOrdType::kOco: return "oco";
    case AlgoOrdType::kTrigger: return "trigger";
    case AlgoOrdType::kMoveOrderStop: return "move_order_stop";
    case AlgoOrdType::kConditional: break;
  }
  return "conditional";
}

// ---- Order and fill queries ---------------------------------------------------------------

Req order_details(const InstrumentSpec& in, const OrderRef& ref) {
  constexpr std::string_view kWhat = "order_details";
  if (auto c = detail::check_spec(in, kWhat); !c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kGet, "/api/v5/trade/order", Security::kSigned);
  r.add("instId", in.inst_id);
  if (auto a = detail::add_order_ref(r, ref, kWhat); !a) return Unexpected{a.error()};
  return r;
}

Req algo_order_details(const AlgoRef& ref) {
  constexpr std::string_view kWhat = "algo_order_details";
  if (ref.algo_id.empty() == ref.algo_cl_ord_id.empty())
    return Unexpected{error(kWhat, "order: name it by algo_id or by algo_cl_ord_id (one of them)")};
  RestRequest r = make(HttpMethod::kGet, "/api/v5/trade/order-algo", Security::kSigned);
  if (!ref.algo_id.empty()) {
    r.add("algoId", ref.algo_id);
  } else {
    if (!valid_client_id(ref.algo_cl_ord_id)) return Unexpected{error(kWhat, "algo_cl_ord_id: 1 to 32 letters and digits")};
    r.add("algoClOrdId", ref.algo_cl_ord_id);
  }
  return r;
}

Req orders_pending(const ListQuery& q) { return list_get("/api/v5/trade/orders-pending", q, "orders_pending", false); }
Req orders_history(const ListQuery& q) { return list_get("/api/v5/trade/orders-history", q, "orders_history", true); }
Req orders_history_archive(const ListQuery& q) {
  return list_get("/api/v5/trade/orders-history-archive", q, "orders_history_archive", true);
}
Req fills(const ListQuery& q) { return list_get("/api/v5/trade/fills", q, "fills", false); }
Req fills_history(const ListQuery& q) { return list_get("/api/v5/trade/fills-history", q, "fills_history", true); }

Req algo_orders_pending(AlgoOrdType t, const ListQuery& q) {
  constexpr std::string_view kWhat = "algo_orders_pending";
  if (!q.ord_type.empty()) return Unexpected{error(kWhat, "ord_type: given by the algo order type")};
  ListQuery l = q;
  l.ord_type = to_string(t);
  return list_get("/api/v5/trade/orders-algo-pending", l, kWhat, false);
}

Req algo_orders_history(AlgoOrdType t, const ListQuery& q, std::string_view algo_id) {
  constexpr std::string_view kWhat = "algo_orders_history";
  if (!q.ord_type.empty()) return Unexpected{error(kWhat, "ord_type: given by the algo order type")};
  // The venue wants exactly one of state and algoId.
  if (q.state.empty() == algo_id.empty()) return Unexpected{error(kWhat, "state / algo_id: exactly one")};
  ListQuery l = q;
  l.ord_type = to_string(t);
  auto r = list_get("/api/v5/trade/orders-algo-history", l, kWhat, false);
  if (r && !algo_id.empty()) r->add("algoId", algo_id);
  return r;
}

// ---- Account ------------------------------------------------------------------------------

Req balance(std::string_view currencies) { return ccy_get("/api/v5/account/balance", "ccy", currencies); }

Req positions(const InstrumentSpec* in) {
  RestRequest r = make(HttpMethod::kGet, "/api/v5/account/positions", Security::kSigned);
  if (in != nullptr) {
    if (auto s = swap_only(*in, "positions"); !s) return s;
    r.add("instId", in->inst_id);
    r.add("instType", "SWAP");
  }
  return r;
}

Req positions_history(const InstrumentSpec* in, std::uint32_t limit) {
  if (limit > kMaxPage) return Unexpected{error("positions_history", "limit: at most 100")};
  RestRequest r = make(HttpMethod::kGet, "/api/v5/account/positions-history", Security::kSigned);
  if (in != nullptr) {
    if (auto s = swap_only(*in, "positions_history"); !s) return s;
    r.add("instId", in->inst_id);
  }
  if (limit != 0) r.add_int("limit", limit);
  return r;
}

Req set_leverage(const InstrumentSpec& in, Decimal leverage, std::optional<PositionSide> side) {
  constexpr std::string_view kWhat = "set_leverage";
  if (auto c = detail::check_spec(in, kWhat); !c) return Unexpected{c.error()};
  if (!leverage.is_positive()) return Unexpected{error(kWhat, "leverage: must be positive")};
  if (in.trade_mode == TradeMode::kCash) return Unexpected{error(kWhat, "instrument " + in.inst_id + ": cash mode has no leverage")};
  const bool sided = side && *side != PositionSide::kBoth;
  // posSide only for isolated margin in long/short mode, where it is required.
  const bool needs_side = in.long_short_mode && in.trade_mode == TradeMode::kIsolated && in.inst_type == InstType::kSwap;
  if (sided != needs_side)
    return Unexpected{error(kWhat, needs_side ? "side: long or short (isolated, long/short mode)"
                                              : "side: only isolated margin in long/short mode sets leverage per side")};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/account/set-leverage", Security::kSigned);
  r.add("lever", leverage);
  r.add("mgnMode", to_string(in.trade_mode));
  r.add("instId", in.inst_id);
  if (sided) r.add("posSide", *side == PositionSide::kLong ? "long" : "short");
  return r;
}

Req leverage_info(const InstrumentSpec& in) {
  constexpr std::string_view kWhat = "leverage_info";
  if (auto c = detail::check_spec(in, kWhat); !c) return Unexpected{c.error()};
  if (in.trade_mode == TradeMode::kCash) return Unexpected{error(kWhat, "instrument " + in.inst_id + ": cash mode has no leverage")};
  RestRequest r = make(HttpMethod::kGet, "/api/v5/account/leverage-info", Security::kSigned);
  r.add("instId", in.inst_id);
  r.add("mgnMode", to_string(in.trade_mode));
  return r;
}

Req set_position_mode(bool long_short) {
  RestRequest r = make(HttpMethod::kPost, "/api/v5/account/set-position-mode", Security::kSigned);
  r.add("posMode", long_short ? "long_short_mode" : "net_mode");
  return r;
}

Req account_config() { return make(HttpMethod::kGet, "/api/v5/account/config", Security::kSigned); }

Req trade_fee(InstType t, const InstrumentSpec* in) {
  constexpr std::string_view kWhat = "trade_fee";
  RestRequest r = make(HttpMethod::kGet, "/api/v5/account/trade-fee", Security::kSigned);
  r.add("instType", to_string(t));
  if (in != nullptr) {
    if (auto c = detail::check_spec(*in, kWhat); !c) return Unexpected{c.error()};
    if (in->inst_type != t) return Unexpected{error(kWhat, "instrument " + in->inst_id + " is not " + std::string(to_string(t)))};
    r.add("instId", in->inst_id);
  }
  return r;
}

Req bills(const BillsQuery& q) { return bills_get("/api/v5/account/bills", q, "bills"); }
Req bills_archive(const BillsQuery& q) { return bills_get("/api/v5/account/bills-archive", q, "bills_archive"); }

// ---- Funding account and transfers ----------------------------------------------------------

Req transfer(const Transfer& t) {
  constexpr std::string_view kWhat = "transfer";
  if (t.currency.empty()) return Unexpected{error(kWhat, "currency: required")};
  if (!t.amount.is_positive()) return Unexpected{error(kWhat, "amount: must be positive")};
  const bool within = t.type == TransferType::kWithinAccount;
  if (within && t.from == t.to) return Unexpected{error(kWhat, "to: the same account as from")};
  if (within && !t.sub_account.empty())
    return Unexpected{error(kWhat, "sub_account: only a master <-> sub-account transfer (type 1 or 2) names one")};
  if (!within && t.sub_account.empty())
    return Unexpected{error(kWhat, "sub_account: required by a master <-> sub-account transfer (type 1 or 2)")};
  if (!t.client_id.empty() && !detail::alphanumeric(t.client_id, 32))
    return Unexpected{error(kWhat, "client_id: 1 to 32 letters and digits")};
  RestRequest r = make(HttpMethod::kPost, "/api/v5/asset/transfer", Security::kSigned);
  r.add("ccy", t.currency);
  r.add("amt", t.amount);
  r.add("type", std::to_string(static_cast<int>(t.type)));
  r.add("from", std::to_string(static_cast<int>(t.from)));
  r.add("to", std::to_string(static_cast<int>(t.to)));
  if (!t.sub_account.empty()) r.add("subAcct", t.sub_account);
  if (!t.client_id.empty()) r.add("clientId", t.client_id);
  return r;
}

Req transfer_state(std::string_view trans_id, std::string_view client_id, std::optional<TransferType> type) {
  if (trans_id.empty() == client_id.empty())
    return Unexpected{error("transfer_state", "trans_id / client_id: exactly one")};
  RestRequest r = make(HttpMethod::kGet, "/api/v5/asset/transfer-state", Security::kSigned);
  if (!trans_id.empty()) r.add("transId", trans_id);
  else r.add("clientId", client_id);
  if (type) r.add("type", std::to_string(static_cast<int>(*type)));
  return r;
}

Req asset_balances(std::string_view currencies) { return ccy_get("/api/v5/asset/balances", "ccy", currencies); }
Req asset_bills(const BillsQuery& q) { return bills_get("/api/v5/asset/bills", q, "asset_bills"); }
Req currencies() { return make(HttpMethod::kGet, "/api/v5/asset/currencies", Security::kSigned); }
Req deposit_history(std::string_view currency) { return ccy_get("/api/v5/asset/deposit-history", "ccy", currency); }
Req withdrawal_history(std::string_view currency) {
  return ccy_get("/api/v5/asset/withdrawal-history", "ccy", currency);
}
Req deposit_address(std::string_view currency) {
  if (currency.empty()) return Unexpected{error("deposit_address", "currency: required")};
  return ccy_get("/api/v5/asset/deposit-address", "ccy", currency);
}

// ---- Public -------------------------------------------------------------------------------

Req server_time() { return make(HttpMethod::kGet, "/api/v5/public/time", Security::kNone); }
Req system_status() { return make(HttpMethod::kGet, "/api/v5/system/status", Security::kNone); }

Req instruments(InstType t, std::string_view inst_id) {
  RestRequest r = make(HttpMethod::kGet, "/api/v5/public/instruments", Security::kNone);
  r.add("instType", to_string(t));
  if (!inst_id.empty()) r.add("instId", inst_id);
  return r;
}

Req order_book(const InstrumentSpec& in, std::uint32_t depth) {
  constexpr std::uint32_t kMaxDepth = 400;
  if (depth > kMaxDepth) return Unexpected{error("order_book", "depth: at most 400 a side")};
  auto r = public_get("/api/v5/market/books", "order_book", &in);
  if (r && depth != 0) r->add_int("sz", depth);
  return r;
}

Req ticker(const InstrumentSpec& in) { return public_get("/api/v5/market/ticker", "ticker", &in); }

Req tickers(InstType t) {
  RestRequest r = make(HttpMethod::kGet, "/api/v5/market/tickers", Security::kNone);
  r.add("instType", to_string(t));
  return r;
}

Req trades(const InstrumentSpec& in, std::uint32_t limit) {
  constexpr std::uint32_t kMaxTrades = 500;
  if (limit > kMaxTrades) return Unexpected{error("trades", "limit: at most 500")};
  auto r = public_get("/api/v5/market/trades", "trades", &in);
  if (r && limit != 0) r->add_int("limit", limit);
  return r;
}

Req candles(const InstrumentSpec& in, std::string_view bar, std::uint32_t limit, bool history) {
  constexpr std::string_view kWhat = "candles";
  static constexpr std::string_view kBars[] = {"1s", "1m", "3m", "5m", "15m", "30m", "1H", "2H", "4H", "6H",
                                               "12H", "1D", "2D", "3D", "1W", "1M", "3M", "6Hutc", "12Hutc",
                                               "1Dutc", "2Dutc", "3Dutc", "1Wutc", "1Mutc", "3Mutc"};
  bool known = false;
  for (const auto b : kBars) known = known || b == bar;
  if (!known) return Unexpected{error(kWhat, "bar: " + std::string(bar) + " is not an OKX bar (1m, 1H, 1D, 1Dutc ...)")};
  constexpr std::uint32_t kMaxCandles = 300;  // candles and history-candles alike
  if (limit > kMaxCandles) return Unexpected{error(kWhat, "limit: at most 300")};
  auto r = public_get(history ? "/api/v5/market/history-candles" : "/api/v5/market/candles", kWhat, &in);
  if (!r) return r;
  r->add("bar", bar);
  if (limit != 0) r->add_int("limit", limit);
  return r;
}

Req mark_price(const InstrumentSpec* in) {
  constexpr std::string_view kWhat = "mark_price";
  if (in != nullptr) {
    if (auto s = swap_only(*in, kWhat); !s) return s;
  }
  RestRequest r = make(HttpMethod::kGet, "/api/v5/public/mark-price", Security::kNone);
  r.add("instType", "SWAP");  // required by the venue, also beside an instId
  if (in != nullptr) r.add("instId", in->inst_id);
  return r;
}

Req funding_rate(const InstrumentSpec* in) {
  constexpr std::string_view kWhat = "funding_rate";
  if (in != nullptr) {
    if (auto s = swap_only(*in, kWhat); !s) return s;
  }
  RestRequest r = make(HttpMethod::kGet, "/api/v5/public/funding-rate", Security::kNone);
  r.add("instId", in != nullptr ? std::string_view(in->inst_id) : std::string_view("ANY"));
  return r;
}

Req open_interest(const InstrumentSpec* in) {
  constexpr std::string_view kWhat = "open_interest";
  if (in != nullptr) {
    if (auto s = swap_only(*in, kWhat); !s) return s;
  }
  RestRequest r = make(HttpMethod::kGet, "/api/v5/public/open-interest", Security::kNone);
  r.add("instType", "SWAP");
  if (in != nullptr) r.add("instId", in->inst_id);
  return r;
}

}  // namespace oms::okx
