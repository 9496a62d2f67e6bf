// Binance wallet and sub-account transfer builders (/sapi): the user universal transfer
// (spot <-> USD-M of one account) and the sub-account universal transfer (master <-> sub,
// sub <-> sub), each with its query. Parameters: the venue's wallet and sub-account API docs.
#include "requests_common.hpp"

namespace oms::binance {

using detail::error;
using detail::make;

namespace {

Result<Unit, RequestError> check_amount(std::string_view asset, Decimal amount,
                                        std::string_view what) {
  if (asset.empty()) return Unexpected{error(what, "asset: required")};
  if (!amount.is_positive()) return Unexpected{error(what, "amount: must be positive")};
  return Unit{};
}

void add_window(RestRequest& r, const HistoryQuery& q, std::string_view limit_key) {
  if (q.start_time_ms != 0) r.add_int("startTime", q.start_time_ms);
  if (q.end_time_ms != 0) r.add_int("endTime", q.end_time_ms);
  if (q.limit != 0) r.add_int(limit_key, q.limit);
}

}  // namespace

std::string_view wallet_transfer_type(Market from, Market to) noexcept {
  if (from == Market::kSpot && to == Market::kUsdm) return "MAIN_UMFUTURE";
  if (from == Market::kUsdm && to == Market::kSpot) return "UMFUTURE_MAIN";
  return {};
}

std::string_view sub_account_type(Market m) noexcept {
  switch (m) {
    case Market::kSpot: return "SPOT";
    case Market::kUsdm: return "USDT_FUTURE";
    case Market::kCoinm: return {};
  }
  return {};
}

Req asset_transfer(const WalletTransfer& t) {
  constexpr std::string_view kWhat = "asset_transfer";
  const std::string_view type = wallet_transfer_type(t.from, t.to);
  if (type.empty()) return Unexpected{error(kWhat, "from/to: spot -> usdm or usdm -> spot")};
  if (auto r = check_amount(t.asset, t.amount, kWhat); !r) return Unexpected{r.error()};
  RestRequest r = make(HttpMethod::kPost, "/sapi/v1/asset/transfer", Security::kSigned, 1);
  r.add("type", type);
  r.add("asset", t.asset);
  r.add("amount", t.amount);
  return r;
}

Req asset_transfer_history(Market from, Market to, const HistoryQuery& q) {
  constexpr std::string_view kWhat = "asset_transfer_history";
  const std::string_view type = wallet_transfer_type(from, to);
  if (type.empty()) return Unexpected{error(kWhat, "from/to: spot -> usdm or usdm -> spot")};
  if (q.limit > 100) return Unexpected{error(kWhat, "limit: at most 100 (size)")};
  RestRequest r = make(HttpMethod::kGet, "/sapi/v1/asset/transfer", Security::kSigned, 1);
  r.add("type", type);
  add_window(r, q, "size");
  return r;
}

Req sub_account_transfer(const SubAccountTransfer& t) {
  constexpr std::string_view kWhat = "sub_account_transfer";
  const std::string_view from_type = sub_account_type(t.from_market);
  const std::string_view to_type = sub_account_type(t.to_market);
  if (from_type.empty()) return Unexpected{error(kWhat, "from_market: spot or usdm")};
  if (to_type.empty()) return Unexpected{error(kWhat, "to_market: spot or usdm")};
  if (t.from_email.empty() && t.to_email.empty())
    return Unexpected{error(kWhat, "from_email / to_email: at least one sub-account email")};
  if (t.from_email == t.to_email && t.from_market == t.to_market)
    return Unexpected{error(kWhat, "to_email: the same account and market as the source")};
  if (auto r = check_amount(t.asset, t.amount, kWhat); !r) return Unexpected{r.error()};
  if (t.client_tran_id.empty())
    return Unexpected{error(kWhat, "client_tran_id: required (the venue's idempotency key)")};
  RestRequest r =
      make(HttpMethod::kPost, "/sapi/v1/sub-account/universalTransfer", Security::kSigned, 1);
  if (!t.from_email.empty()) r.add("fromEmail", t.from_email);
  if (!t.to_email.empty()) r.add("toEmail", t.to_email);
  r.add("fromAccountType", from_type);
  r.add("toAccountType", to_type);
  r.add("clientTranId", t.client_tran_id);
  r.add("asset", t.asset);
  r.add("amount", t.amount);
  return r;
}

Req sub_account_transfer_history(const SubAccountTransferQuery& q) {
  constexpr std::string_view kWhat = "sub_account_transfer_history";
  if (!q.from_email.empty() && !q.to_email.empty())
    return Unexpected{error(kWhat, "from_email / to_email: one side only (the venue's rule)")};
  if (q.window.limit > 500) return Unexpected{error(kWhat, "limit: at most 500")};
  RestRequest r =
      make(HttpMethod::kGet, "/sapi/v1/sub-account/universalTransfer", Security::kSigned, 1);
  if (!q.from_email.empty()) r.add("fromEmail", q.from_email);
  if (!q.to_email.empty()) r.add("toEmail", q.to_email);
  if (!q.client_tran_id.empty()) r.add("clientTranId", q.client_tran_id);
  add_window(r, q.window, "limit");
  return r;
}

}  // namespace oms::binance
