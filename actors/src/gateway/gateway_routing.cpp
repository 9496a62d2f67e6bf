// GatewayCore, part 3: account routing of API orders that name no account (accounts.yaml
// account_routing; the choice is cores/account_router.hpp's, the figures the daemon's).
#include <algorithm>

#include "oms/actors/gateway.hpp"

namespace oms::actors {

void GatewayCore::set_routing(RouteRules rules, OrdersLeft orders_left) {
  routing_ = std::move(rules);
  orders_left_ = std::move(orders_left);
}

const GatewayAccount* GatewayCore::served(AccountId id) const {
  const auto it = std::find_if(accounts_.begin(), accounts_.end(), [&](const GatewayAccount& a) { return a.id == id; });
  return it == accounts_.end() ? nullptr : &*it;
}

Result<RoutedAccount, ApiError> GatewayCore::route_account(const ApiClient& client,
                                                           const api::v1::SubmitOrderRequest& r,
                                                           const FreeBalance& free) const {
  if (routing_.empty()) return Unexpected{ApiError{ApiStatus::kInvalidArgument, "account: missing"}};
  if (r.instrument().empty()) return Unexpected{ApiError{ApiStatus::kInvalidArgument, "instrument: missing"}};
  StrategyId strategy;
  if (!r.strategy().empty()) {
    const auto id = directory_.strategies.find(r.strategy());
    if (!id) {
      return Unexpected{ApiError{ApiStatus::kInvalidArgument, "strategy: unknown strategy " + quoted_value(r.strategy())}};
    }
    strategy = *id;
  }
  const bool sells = r.side() == "sell";
  RouteEnv env;
  env.eligible = [&](AccountId a) -> std::optional<InstrumentId> {
    const GatewayAccount* acct = served(a);
    if (acct == nullptr || !may_use(client, a)) return std::nullopt;
    const auto id = instrument(a, "instrument", r.instrument());
    if (!id) return std::nullopt;
    const InstrumentAssets* inst = instruments_.find(*id);
    if (inst == nullptr || inst->exchange != acct->exchange) return std::nullopt;
    if (!acct->markets.empty() &&
        std::find(acct->markets.begin(), acct->markets.end(), inst->market) == acct->markets.end()) {
      return std::nullopt;
    }
    return *id;
  };
  env.figures = [&](AccountId a, InstrumentId id) {
    RouteFigures f;
    const InstrumentAssets* inst = instruments_.find(id);
    if (inst == nullptr) return f;
    if (orders_left_) f.orders_left = orders_left_(a, inst->market).value_or(0);
    // The asset the order spends: a spot buy its quote, a spot sell its base, a future its margin.
    const AssetCode& asset = !inst->settle.empty() ? inst->settle : sells ? inst->base : inst->quote;
    if (free) f.free = free(a, inst->market, asset.view());
    return f;
  };
  const auto c = choose_account(routing_, strategy, env);
  if (!c) {
    return Unexpected{ApiError{ApiStatus::kInvalidArgument,
                               "account: missing, and no routing rule gives an account that client '" + client.name +
                                   "' may use and that trades " + quoted_value(r.instrument()) +
                                   (r.strategy().empty() ? std::string() : " for strategy " + quoted_value(r.strategy()))}};
  }
  RoutedAccount out{*c, {}};
  const std::string to = account_name(c->account);
  const std::string among =
      c->eligible > 1 ? "; of " + std::to_string(c->eligible) + " eligible accounts the most order budget left (" +
                            std::to_string(c->orders_left) + "), then free balance (" + c->free.to_string() + ")"
                      : std::string();
  switch (c->rule) {
    case RouteRule::kStrategy:
      out.reason = "strategy " + r.strategy() + " -> " + to + " (routing rule" + among + ")";
      break;
    case RouteRule::kInstrument:
      out.reason = "instrument " + directory_.instruments.name(c->instrument) + " -> " + to + " (routing rule" + among + ")";
      break;
    case RouteRule::kDefault: out.reason = "default account " + to; break;
  }
  return out;
}

}  // namespace oms::actors

namespace oms::actors {

bool GatewayCore::ListScope::covers(InstrumentId id) const {
  return instruments.empty() || std::find(instruments.begin(), instruments.end(), id) != instruments.end();
}

Result<GatewayCore::ListScope, ApiError> GatewayCore::list_scope(const ApiClient& client, std::string_view account,
                                                                 std::string_view exchange, std::string_view main,
                                                                 std::string_view instrument) const {
  const auto invalid = [](std::string_view field, const std::string& what) {
    return Unexpected{ApiError{ApiStatus::kInvalidArgument, std::string(field) + ": " + what}};
  };
  ListScope out;
  if (!account.empty()) {
    auto id = this->account(client, "account", account);
    if (!id) return Unexpected{id.error()};
    out.accounts.push_back(*id);
  } else {
    out.accounts = visible_accounts(client);
  }
  const auto keep = [&](const auto& pred) {
    std::erase_if(out.accounts, [&](AccountId a) { return !pred(*served(a)); });
  };
  std::optional<ExchangeId> venue;
  if (!exchange.empty()) {
    venue = parse_exchange(exchange);
    if (!venue) return invalid("exchange", quoted_value(exchange) + " is not one of binance|bybit|okx|upbit");
    keep([&](const GatewayAccount& a) { return a.exchange == *venue; });
  }
  if (!main.empty()) {
    const auto id = directory_.accounts.find(main);
    const GatewayAccount* m = id ? served(*id) : nullptr;
    if (m == nullptr) return invalid("main", "unknown account " + quoted_value(main));
    if (m->main.valid() && m->main != m->id) {
      return invalid("main", quoted_value(main) + " is a sub-account (of '" + account_name(m->main) + "')");
    }
    keep([&](const GatewayAccount& a) { return a.id == m->id || a.main == m->id; });
  }
  if (!instrument.empty()) {
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
      const InstrumentId id(static_cast<std::uint32_t>(i));
      const InstrumentAssets* inst = instruments_.find(id);
      if (inst == nullptr) continue;
      const bool named = i < directory_.instruments.size() && directory_.instruments.name(id) == instrument;
      if (named || (inst->canonical == instrument && (!venue || inst->exchange == *venue))) out.instruments.push_back(id);
    }
    if (out.instruments.empty()) {
      return invalid("instrument", "unknown instrument " + quoted_value(instrument) +
                                       (venue ? " on " + std::string(to_string(*venue)) : std::string()));
    }
    keep([&](const GatewayAccount& a) {
      return std::any_of(out.instruments.begin(), out.instruments.end(),
                         [&](InstrumentId id) { return instruments_.find(id)->exchange == a.exchange; });
    });
  }
  return out;
}

}  // namespace oms::actors
