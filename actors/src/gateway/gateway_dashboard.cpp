// The dashboard's data (GatewayServer::dashboard, unified_pnl_usdt): the list RPCs' own bodies,
// their replies printed as omsctl --json prints them.
#include <google/protobuf/util/json_util.h>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>

#include "gateway_service.hpp"

#include <spdlog/spdlog.h>

namespace oms::actors {
namespace gateway_detail {
namespace {

std::string json_of(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;  // omsctl's print(): the same options
  o.always_print_primitive_fields = true;
  o.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(m, &text, o);
  return text;
}

// An order still working at its venue (or not yet known not to be): the health board's count.
bool open_status(std::string_view status) {
  constexpr std::array kOpen{OrderStatus::kPendingSubmit, OrderStatus::kSubmitted,
                             OrderStatus::kAccepted,      OrderStatus::kPartiallyFilled,
                             OrderStatus::kPendingCancel, OrderStatus::kPendingAmend,
                             OrderStatus::kAmended,       OrderStatus::kUnknown};
  for (const auto s : kOpen) {
    if (enum_name(s) == status) return true;
  }
  return false;
}

}  // namespace

Result<std::string, ApiError> OmsService::dashboard(std::string_view authorization,
                                                    bool* sees_every_account, std::string_view peer) {
  auto client = core_.authenticate(authorization);
  if (!client) {
    // As an RPC's refusal: logged with the caller's address, never the token; an address that
    // keeps trying is answered kResourceExhausted (and logged once a second) until its bucket refills.
    const std::string host = peer.empty() ? std::string("unknown") : std::string(peer);
    if (!core_.admit_unauthenticated(host)) {
      if (unauthenticated_log_.allow(host, std::chrono::steady_clock::now()))
        spdlog::warn("gateway: dashboard from {}: refused, over {} unauthenticated calls a second ({} refused since the last line)",
                     host, GatewayCore::kUnauthenticatedPerSecond, unauthenticated_log_.take_suppressed(host));
      return Unexpected{ApiError{ApiStatus::kResourceExhausted,
                                 "too many unauthenticated calls from " + host + "; try again later"}};
    }
    spdlog::warn("gateway: dashboard from {}: {}", host, client.error().message);
    return Unexpected{client.error()};
  }
  const ApiClient& c = **client;
  if (sees_every_account != nullptr) *sees_every_account = c.all_accounts;
  if (!core_.admit(c)) {
    return Unexpected{
        ApiError{ApiStatus::kResourceExhausted, "client '" + c.name + "' is over its rate limit (" +
                                                    std::to_string(c.rate_per_s) + "/s, burst " +
                                                    std::to_string(c.burst) + ")"}};
  }
  api::v1::PositionsRequest positions_req, unified_req;
  unified_req.set_unified(true);
  api::v1::AccountRequest all;
  api::v1::StrategiesRequest strategies_req;
  api::v1::PositionList positions, unified;
  api::v1::BalanceList balances;
  api::v1::OrderList orders, open;
  api::v1::StrategyList strategies;
  if (auto e = list_positions(c, &positions_req, &positions)) return Unexpected{*e};
  if (auto e = list_positions(c, &unified_req, &unified)) return Unexpected{*e};
  if (auto e = list_balances(c, &all, &balances)) return Unexpected{*e};
  if (auto e = list_orders(c, &all, &orders)) return Unexpected{*e};
  if (auto e = list_strategies(c, &strategies_req, &strategies)) return Unexpected{*e};
  for (const auto& o : orders.orders()) {
    if (open_status(o.status())) *open.add_orders() = o;
  }
  std::string out = R"({"client":)";
  out += nlohmann::json(c.name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += R"(,"positions":)" + json_of(positions);
  out += R"(,"unified":)" + json_of(unified);
  out += R"(,"balances":)" + json_of(balances);
  out += R"(,"orders":)" + json_of(open);
  out += R"(,"strategies":)" + json_of(strategies);
  out += "}";
  return out;
}

std::optional<Decimal> OmsService::unified_pnl_usdt() {
  ApiClient everyone;
  everyone.name = "dashboard chart";
  everyone.all_accounts = true;
  api::v1::PositionsRequest req;
  req.set_unified(true);
  api::v1::PositionList unified;
  if (list_positions(everyone, &req, &unified)) return std::nullopt;
  Decimal sum;
  for (const auto& p : unified.positions()) {
    if (p.realized_pnl_usdt().empty() || p.unrealized_pnl_usdt().empty()) return std::nullopt;
    for (const auto* text : {&p.realized_pnl_usdt(), &p.unrealized_pnl_usdt()}) {
      const auto d = Decimal::parse(*text);
      if (!d) return std::nullopt;
      const auto s = sum.add(*d);
      if (!s) return std::nullopt;
      sum = *s;
    }
  }
  return sum;
}

}  // namespace gateway_detail

}  // namespace oms::actors
