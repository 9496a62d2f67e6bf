// Bybit v5 position, account, transfer and public market-data builders.
#include "requests_common.hpp"

namespace oms::bybit {

using detail::check_instrument;
using detail::error;
using detail::make;

namespace {

Result<RestRequest, RequestError> linear_post(const Instrument& in, std::string_view path,
                                              std::string_view what) {
  auto c = check_instrument(in, what);
  if (!c) return Unexpected{c.error()};
  if (*c != Category::kLinear) return Unexpected{error(what, "instrument " + in.venue_symbol + ": a linear contract's setting")};
  RestRequest r = make(HttpMethod::kPost, path, Security::kSigned);
  r.add("category", "linear");
  r.add("symbol", in.venue_symbol);
  return r;
}

Result<RestRequest, RequestError> public_get(Category c, const Instrument* in, std::string_view path,
                                             std::string_view what) {
  if (in != nullptr) {
    auto ci = check_instrument(*in, what);
    if (!ci) return Unexpected{ci.error()};
    if (*ci != c) return Unexpected{error(what, "instrument " + in->venue_symbol + " is not in category " + std::string(to_string(c)))};
  }
  RestRequest r = make(HttpMethod::kGet, path, Security::kNone);
  r.add("category", to_string(c));
  if (in != nullptr) r.add("symbol", in->venue_symbol);
  return r;
}

}  // namespace

Req positions(const Instrument* in) {
  constexpr std::string_view kWhat = "positions";
  if (in != nullptr) {
    auto c = check_instrument(*in, kWhat);
    if (!c) return Unexpected{c.error()};
    if (*c != Category::kLinear) return Unexpected{error(kWhat, "instrument " + in->venue_symbol + ": spot has no positions")};
  }
  RestRequest r = make(HttpMethod::kGet, "/v5/position/list", Security::kSigned);
  r.add("category", "linear");
  if (in != nullptr) r.add("symbol", in->venue_symbol);
  else r.add("settleCoin", "USDT");
  return r;
}

Req set_leverage(const Instrument& in, Decimal leverage) {
  constexpr std::string_view kWhat = "set_leverage";
  if (!leverage.is_positive()) return Unexpected{error(kWhat, "leverage: must be positive")};
  auto r = linear_post(in, "/v5/position/set-leverage", kWhat);
  if (!r) return r;
  r->add("buyLeverage", leverage);
  r->add("sellLeverage", leverage);
  return r;
}

Req switch_position_mode(const Instrument& in, bool hedge) {
  auto r = linear_post(in, "/v5/position/switch-mode", "switch_position_mode");
  if (!r) return r;
  constexpr std::int64_t kOneWay = 0, kBothSides = 3;
  r->add_int("mode", hedge ? kBothSides : kOneWay);
  return r;
}

Req set_trading_stop(const Instrument& in, const TradingStop& t) {
  constexpr std::string_view kWhat = "set_trading_stop";
  if (t.take_profit.is_negative() || t.stop_loss.is_negative() || t.trailing_stop.is_negative())
    return Unexpected{error(kWhat, "take_profit / stop_loss / trailing_stop: cannot be negative")};
  if (t.take_profit.is_zero() && t.stop_loss.is_zero() && t.trailing_stop.is_zero())
    return Unexpected{error(kWhat, "take_profit / stop_loss / trailing_stop: set at least one")};
  auto r = linear_post(in, "/v5/position/trading-stop", kWhat);
  if (!r) return r;
  // Both are required by v5: the whole position (Full), and which position (0: one-way).
  r->add("tpslMode", "Full");
  std::int64_t idx = 0;
  if (t.position_side && *t.position_side != PositionSide::kBoth) idx = *t.position_side == PositionSide::kLong ? 1 : 2;
  r->add_int("positionIdx", idx);
  if (t.take_profit.is_positive()) r->add("takeProfit", t.take_profit);
  if (t.stop_loss.is_positive()) r->add("stopLoss", t.stop_loss);
  if (t.trailing_stop.is_positive()) r->add("trailingStop", t.trailing_stop);
  return r;
}

Req set_margin_mode(MarginType t) {
  RestRequest r = make(HttpMethod::kPost, "/v5/account/set-margin-mode", Security::kSigned);
  r.add("setMarginMode", t == MarginType::kIsolated ? "ISOLATED_MARGIN" : "REGULAR_MARGIN");
  return r;
}

Req wallet_balance(std::string_view coin) {
  RestRequest r = make(HttpMethod::kGet, "/v5/account/wallet-balance", Security::kSigned);
  r.add("accountType", "UNIFIED");
  if (!coin.empty()) r.add("coin", coin);
  return r;
}

Req fee_rate(const Instrument& in) {
  auto c = check_instrument(in, "fee_rate");
  if (!c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kGet, "/v5/account/fee-rate", Security::kSigned);
  r.add("category", to_string(*c));
  r.add("symbol", in.venue_symbol);
  return r;
}

Req account_info() { return make(HttpMethod::kGet, "/v5/account/info", Security::kSigned); }

Req transaction_log(const HistoryQuery& q) {
  RestRequest r = make(HttpMethod::kGet, "/v5/account/transaction-log", Security::kSigned);
  detail::add_history(r, q);
  return r;
}

Req inter_transfer(const Transfer& t) {
  constexpr std::string_view kWhat = "inter_transfer";
  if (t.transfer_id.empty()) return Unexpected{error(kWhat, "transfer_id: required (the venue's idempotency key)")};
  if (t.coin.empty()) return Unexpected{error(kWhat, "coin: required")};
  if (!t.amount.is_positive()) return Unexpected{error(kWhat, "amount: must be positive")};
  if (t.from_account_type.empty() || t.to_account_type.empty())
    return Unexpected{error(kWhat, "from_account_type / to_account_type: required")};
  if (t.from_account_type == t.to_account_type)
    return Unexpected{error(kWhat, "to_account_type: the same as from_account_type")};
  RestRequest r = make(HttpMethod::kPost, "/v5/asset/transfer/inter-transfer", Security::kSigned);
  r.add("transferId", t.transfer_id);
  r.add("coin", t.coin);
  r.add("amount", t.amount);
  r.add("fromAccountType", t.from_account_type);
  r.add("toAccountType", t.to_account_type);
  return r;
}

Req inter_transfers(std::string_view coin, const HistoryQuery& q) {
  RestRequest r =
      make(HttpMethod::kGet, "/v5/asset/transfer/query-inter-transfer-list", Security::kSigned);
  if (!coin.empty()) r.add("coin", coin);
  detail::add_history(r, q);
  return r;
}

bool valid_uuid(std::string_view id) noexcept {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

namespace {

bool known_account_type(std::string_view t) {
  static constexpr std::string_view kTypes[] = {"UNIFIED", "CONTRACT", "SPOT", "INVESTMENT", "OPTION", "FUND"};
  for (const auto k : kTypes) {
    if (k == t) return true;
  }
  return false;
}

}  // namespace

Req universal_transfer(const UniversalTransfer& t) {
  constexpr std::string_view kWhat = "universal_transfer";
  if (!valid_uuid(t.transfer_id))
    return Unexpected{error(kWhat, "transfer_id: a UUID (8-4-4-4-12 hex digits), the venue's idempotency key")};
  if (t.coin.empty()) return Unexpected{error(kWhat, "coin: required")};
  if (!t.amount.is_positive()) return Unexpected{error(kWhat, "amount: must be positive")};
  if (t.from_member_id == 0 || t.to_member_id == 0)
    return Unexpected{error(kWhat, "from_member_id / to_member_id: required (the UIDs)")};
  if (t.from_member_id == t.to_member_id)
    return Unexpected{error(kWhat, "to_member_id: the same UID as from_member_id (inter_transfer moves within one UID)")};
  for (const auto& [field, v] : {std::pair{"from_account_type", t.from_account_type}, std::pair{"to_account_type", t.to_account_type}}) {
    if (!known_account_type(v))
      return Unexpected{error(kWhat, std::string(field) + ": '" + std::string(v) +
                                         "' is not one of UNIFIED CONTRACT SPOT INVESTMENT OPTION FUND")};
  }
  RestRequest r = make(HttpMethod::kPost, "/v5/asset/transfer/universal-transfer", Security::kSigned);
  r.add("transferId", t.transfer_id);
  r.add("coin", t.coin);
  r.add("amount", t.amount);
  r.add_int("fromMemberId", static_cast<std::int64_t>(t.from_member_id));
  r.add_int("toMemberId", static_cast<std::int64_t>(t.to_member_id));
  r.add("fromAccountType", t.from_account_type);
  r.add("toAccountType", t.to_account_type);
  return r;
}

Req universal_transfers(std::string_view transfer_id, std::string_view coin, const HistoryQuery& q) {
  constexpr std::string_view kWhat = "universal_transfers";
  if (!transfer_id.empty() && !valid_uuid(transfer_id))
    return Unexpected{error(kWhat, "transfer_id: a UUID (8-4-4-4-12 hex digits)")};
  if (q.limit > 50) return Unexpected{error(kWhat, "limit: 1 to 50")};
  RestRequest r = make(HttpMethod::kGet, "/v5/asset/transfer/query-universal-transfer-list", Security::kSigned);
  if (!transfer_id.empty()) r.add("transferId", transfer_id);
  if (!coin.empty()) r.add("coin", coin);
  detail::add_history(r, q);
  return r;
}

Req deposit_records(std::string_view coin, const HistoryQuery& q) {
  RestRequest r = make(HttpMethod::kGet, "/v5/asset/deposit/query-record", Security::kSigned);
  if (!coin.empty()) r.add("coin", coin);
  detail::add_history(r, q);
  return r;
}

Req instruments_info(Category c, const Instrument* in, std::string_view cursor) {
  auto r = public_get(c, in, "/v5/market/instruments-info", "instruments_info");
  if (!r) return r;
  if (in == nullptr) {
    constexpr std::int64_t kMaxPage = 1000;  // linear pages; spot answers everything at once
    if (c == Category::kLinear) r->add_int("limit", kMaxPage);
    if (!cursor.empty()) r->add("cursor", cursor);
  }
  return r;
}

Req orderbook(const Instrument& in, std::uint32_t limit) {
  auto c = check_instrument(in, "orderbook");
  if (!c) return Unexpected{c.error()};
  const std::uint32_t max = *c == Category::kSpot ? 200 : 500;
  if (limit > max) return Unexpected{error("orderbook", "limit: at most " + std::to_string(max) + " on " + std::string(to_string(*c)))};
  auto r = public_get(*c, &in, "/v5/market/orderbook", "orderbook");
  if (!r) return r;
  if (limit != 0) r->add_int("limit", limit);
  return r;
}

Req tickers(Category c, const Instrument* in) { return public_get(c, in, "/v5/market/tickers", "tickers"); }

Req kline(const Instrument& in, std::string_view interval, std::uint32_t limit, std::int64_t start_ms,
          std::int64_t end_ms) {
  constexpr std::string_view kWhat = "kline";
  static constexpr std::string_view kIntervals[] = {"1",   "3",   "5",   "15",  "30", "60", "120",
                                                    "240", "360", "720", "D",   "W",  "M"};
  bool known = false;
  for (const auto k : kIntervals) known = known || k == interval;
  if (!known) return Unexpected{error(kWhat, "interval: " + std::string(interval) + " is not one of 1 3 5 15 30 60 120 240 360 720 D W M")};
  auto c = check_instrument(in, kWhat);
  if (!c) return Unexpected{c.error()};
  auto r = public_get(*c, &in, "/v5/market/kline", kWhat);
  if (!r) return r;
  r->add("interval", interval);
  if (start_ms != 0) r->add_int("start", start_ms);
  if (end_ms != 0) r->add_int("end", end_ms);
  if (limit != 0) r->add_int("limit", limit);
  return r;
}

Req recent_trades(const Instrument& in, std::uint32_t limit) {
  auto c = check_instrument(in, "recent_trades");
  if (!c) return Unexpected{c.error()};
  auto r = public_get(*c, &in, "/v5/market/recent-trade", "recent_trades");
  if (!r) return r;
  if (limit != 0) r->add_int("limit", limit);
  return r;
}

Req risk_limit(const Instrument* in) {
  return public_get(Category::kLinear, in, "/v5/market/risk-limit", "risk_limit");
}

Req server_time() { return make(HttpMethod::kGet, "/v5/market/time", Security::kNone); }

}  // namespace oms::bybit
