// GatewayCore, part 2: API requests -> commands. Every refusal names the field and what is
// wrong with it; nothing is rounded or guessed.
#include <algorithm>
#include <map>

#include "oms/actors/gateway.hpp"
#include "oms/cores/batch.hpp"
#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

namespace {

Unexpected<ApiError> invalid(std::string_view field, const std::string& what) {
  return Unexpected{ApiError{ApiStatus::kInvalidArgument, std::string(field) + ": " + what}};
}

template <class E>
std::string names_of() {
  std::string out;
  for (const auto n : EnumNames<E>::kNames) {
    if (!out.empty()) out += "|";
    out += n;
  }
  return out;
}

// An enum by its project name; empty text gives the fallback when there is one.
template <class E>
Result<E, ApiError> enum_field(std::string_view field, std::string_view text,
                               std::optional<E> fallback = std::nullopt) {
  if (text.empty() && fallback) return *fallback;
  if (text.empty()) return invalid(field, "missing (expected " + names_of<E>() + ")");
  const auto e = enum_parse<E>(text);
  if (!e) return invalid(field, quoted_value(text) + " is not one of " + names_of<E>());
  return *e;
}

// Venue-legal client order ids: Binance ^[.A-Z:/a-z0-9_-]{1,36}$ (the strictest we trade).
Result<ClientOrderIdText, ApiError> client_id_field(std::string_view field, std::string_view text) {
  if (text.empty()) return invalid(field, "missing");
  if (text.size() > kMaxBinanceClientIdLen)
    return invalid(field, "longer than " + std::to_string(kMaxBinanceClientIdLen) + " characters");
  const bool legal = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == ':' || c == '/' || c == '_' || c == '-';
  });
  if (!legal) return invalid(field, "only letters, digits and . : / _ - are allowed");
  ClientOrderIdText out;
  (void)out.assign(text);  // fits: checked above
  return out;
}

Result<Decimal, ApiError> positive(std::string_view field, std::string_view text) {
  auto d = parse_decimal_field(field, text, true);
  if (!d) return d;
  if (!d->is_positive()) return invalid(field, "must be > 0, got " + std::string(text));
  return d;
}

}  // namespace

std::string quoted_value(std::string_view value) {
  constexpr std::size_t kShown = 64;
  if (value.size() <= kShown) return "'" + std::string(value) + "'";
  return "'" + std::string(value.substr(0, kShown)) + "... (" + std::to_string(value.size()) + " bytes)'";
}

Result<Decimal, ApiError> parse_decimal_field(std::string_view field, std::string_view text,
                                              bool required) {
  if (text.empty()) {
    if (required) return invalid(field, "missing");
    return Decimal{};
  }
  auto d = Decimal::parse(text);
  if (!d) {
    std::string why;
    switch (d.error()) {
      case DecimalError::kTooPrecise: why = "more than 9 decimal places"; break;
      case DecimalError::kOverflow: why = "out of range"; break;
      default: why = "not a decimal number"; break;
    }
    return invalid(field, quoted_value(text) + " is " + why);
  }
  return *d;
}

Result<StrategyId, ApiError> GatewayCore::strategy(std::string_view field, std::string_view name) const {
  if (name.empty()) return StrategyId{};
  const auto id = directory_.strategies.find(name);
  if (!id) return invalid(field, "unknown strategy " + quoted_value(name));
  return *id;
}

Result<SubmitOrder, ApiError> GatewayCore::submit(const ApiClient& client,
                                                  const api::v1::SubmitOrderRequest& r,
                                                  std::uint64_t sequence) const {
  SubmitOrder o{};
  auto account = this->account(client, "account", r.account());
  if (!account) return Unexpected{account.error()};
  o.account = *account;
  auto strat = strategy("strategy", r.strategy());
  if (!strat) return Unexpected{strat.error()};
  o.strategy = *strat;
  auto inst = instrument(o.account, "instrument", r.instrument());
  if (!inst) return Unexpected{inst.error()};
  o.instrument = *inst;
  auto side = enum_field<Side>("side", r.side());
  if (!side) return Unexpected{side.error()};
  o.side = *side;
  auto type = enum_field<OrderType>("order_type", r.order_type(), OrderType::kLimit);
  if (!type) return Unexpected{type.error()};
  o.order_type = *type;
  auto tif = enum_field<TimeInForce>("tif", r.tif(), TimeInForce::kGtc);
  if (!tif) return Unexpected{tif.error()};
  o.tif = *tif;
  auto qty = positive("quantity", r.quantity());
  if (!qty) return Unexpected{qty.error()};
  o.quantity = *qty;
  if (has_limit_price(o.order_type)) {
    auto price = positive("price", r.price());
    if (!price) return Unexpected{price.error()};
    o.price = *price;
  } else if (!r.price().empty()) {
    return invalid("price", "a " + std::string(enum_name(o.order_type)) + " order takes no price");
  }
  if (has_stop_price(o.order_type)) {
    auto stop = positive("stop_price", r.stop_price());
    if (!stop) return Unexpected{stop.error()};
    o.stop_price = *stop;
  } else if (!r.stop_price().empty()) {
    return invalid("stop_price", "a " + std::string(enum_name(o.order_type)) + " order takes no stop price");
  }
  o.reduce_only = r.reduce_only();
  if (r.client_order_id().empty()) {
    const auto id = format_client_order_id(ClientOrderId{desk_, o.account, o.strategy, sequence});
    if (!id) return invalid("client_order_id", "cannot be generated (desk out of range)");
    o.client_order_id = *id;
  } else {
    auto id = client_id_field("client_order_id", r.client_order_id());
    if (!id) return Unexpected{id.error()};
    o.client_order_id = *id;
  }
  return o;
}

Result<std::vector<SubmitBatch>, ApiError> GatewayCore::batch(
    const ApiClient& client, const api::v1::SubmitBatchRequest& r,
    std::span<const std::uint64_t> sequences) const {
  auto account = this->account(client, "account", r.account());
  if (!account) return Unexpected{account.error()};
  const auto n = static_cast<std::size_t>(r.orders_size());
  if (n == 0) return invalid("orders", "empty");
  if (n > kMaxBatchRequestOrders) {
    return invalid("orders", std::to_string(n) + " orders, at most " +
                                 std::to_string(kMaxBatchRequestOrders));
  }
  if (sequences.size() < n) return invalid("orders", "no sequence for each order");
  const auto acct = std::find_if(accounts_.begin(), accounts_.end(),
                                 [&](const GatewayAccount& a) { return a.id == *account; });
  const ExchangeId exchange = acct != accounts_.end() ? acct->exchange : ExchangeId::kBinance;
  std::vector<SubmitOrder> orders;
  orders.reserve(n);
  std::map<std::string, std::size_t, std::less<>> given;  // client order id -> entry
  std::size_t per = kMaxBatchOrders;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string entry = "orders[" + std::to_string(i) + "]";
    const auto& e = r.orders(static_cast<int>(i));
    if (!e.account().empty() && e.account() != r.account()) {
      return invalid(entry + ".account", quoted_value(e.account()) + " is not the batch's account " +
                                             quoted_value(r.account()));
    }
    if (e.wait_ack_ms() != 0) return invalid(entry + ".wait_ack_ms", "set it on the batch");
    api::v1::SubmitOrderRequest one = e;
    one.set_account(r.account());
    auto o = submit(client, one, sequences[i]);
    if (!o) return Unexpected{ApiError{o.error().status, entry + "." + o.error().message}};
    const auto [it, fresh] = given.emplace(o->client_order_id.str(), i);
    if (!fresh) {
      return invalid(entry + ".client_order_id", quoted_value(o->client_order_id.view()) + " repeats orders[" +
                                                     std::to_string(it->second) + "]'s");
    }
    if (const InstrumentAssets* inst = instruments_.find(o->instrument)) {
      per = std::min(per, batch_command_size(exchange, inst->market));
    }
    orders.push_back(*o);
  }
  return split_batch(*account, orders, per);
}

Result<AmendOrder, ApiError> GatewayCore::amend(const ApiClient& client,
                                                const api::v1::AmendOrderRequest& r) const {
  AmendOrder a{};
  auto account = this->account(client, "account", r.account());
  if (!account) return Unexpected{account.error()};
  a.account = *account;
  auto inst = instrument(a.account, "instrument", r.instrument());
  if (!inst) return Unexpected{inst.error()};
  a.instrument = *inst;
  auto id = client_id_field("client_order_id", r.client_order_id());
  if (!id) return Unexpected{id.error()};
  a.client_order_id = *id;
  auto price = parse_decimal_field("new_price", r.new_price(), false);
  if (!price) return Unexpected{price.error()};
  auto qty = parse_decimal_field("new_quantity", r.new_quantity(), false);
  if (!qty) return Unexpected{qty.error()};
  if (price->is_negative()) return invalid("new_price", "must be > 0, got " + r.new_price());
  if (qty->is_negative()) return invalid("new_quantity", "must be > 0, got " + r.new_quantity());
  if (price->is_zero() && qty->is_zero())
    return invalid("new_price", "give a new price, a new quantity, or both");
  a.new_price = *price;
  a.new_quantity = *qty;
  return a;
}

Result<CancelOrder, ApiError> GatewayCore::cancel(const ApiClient& client,
                                                  const api::v1::CancelOrderRequest& r) const {
  CancelOrder c{};
  auto account = this->account(client, "account", r.account());
  if (!account) return Unexpected{account.error()};
  c.account = *account;
  auto inst = instrument(c.account, "instrument", r.instrument());
  if (!inst) return Unexpected{inst.error()};
  c.instrument = *inst;
  auto id = client_id_field("client_order_id", r.client_order_id());
  if (!id) return Unexpected{id.error()};
  c.client_order_id = *id;
  return c;
}

Result<CancelAllOrders, ApiError> GatewayCore::cancel_all(const ApiClient& client,
                                                          const api::v1::CancelAllRequest& r) const {
  CancelAllOrders c{};
  auto account = this->account(client, "account", r.account());
  if (!account) return Unexpected{account.error()};
  c.account = *account;
  if (!r.instrument().empty()) {
    auto inst = instrument(c.account, "instrument", r.instrument());
    if (!inst) return Unexpected{inst.error()};
    c.instrument = *inst;
  }
  return c;
}

// Global and strategy scopes reach every account: only clients with "*" may use them.
Result<GatewayCore::Scope, ApiError> GatewayCore::scope(const ApiClient& client,
                                                        std::string_view scope_text,
                                                        std::string_view account_text,
                                                        std::string_view strategy_text,
                                                        bool instrument_allowed) const {
  auto s = enum_field<LimitScope>("scope", scope_text);
  if (!s) return Unexpected{s.error()};
  if (*s == LimitScope::kInstrument && !instrument_allowed)
    return invalid("scope", "'instrument' is not a kill-switch scope");
  Scope out{*s, {}, {}};
  if (*s == LimitScope::kAccount || *s == LimitScope::kInstrument) {
    auto a = account(client, "account", account_text);
    if (!a) return Unexpected{a.error()};
    out.account = *a;
  } else if (!client.all_accounts) {
    return Unexpected{ApiError{ApiStatus::kPermissionDenied,
                               "client '" + client.name + "' may not use scope " +
                                   quoted_value(scope_text) + " (it needs every account: \"*\")"}};
  }
  if (*s == LimitScope::kStrategy) {
    if (strategy_text.empty()) return invalid("strategy", "missing (scope strategy)");
    auto st = strategy("strategy", strategy_text);
    if (!st) return Unexpected{st.error()};
    out.strategy = *st;
  }
  return out;
}

Result<SetRiskLimit, ApiError> GatewayCore::set_limit(const ApiClient& client,
                                                      const api::v1::SetRiskLimitRequest& r) const {
  auto sc = scope(client, r.scope(), r.account(), r.strategy(), true);
  if (!sc) return Unexpected{sc.error()};
  SetRiskLimit l{};
  l.scope = sc->scope;
  l.account = sc->account;
  l.strategy = sc->strategy;
  if (l.scope == LimitScope::kInstrument) {
    auto inst = instrument(l.account, "instrument", r.instrument());
    if (!inst) return Unexpected{inst.error()};
    l.instrument = *inst;
  }
  auto kind = enum_field<LimitKind>("kind", r.kind());
  if (!kind) return Unexpected{kind.error()};
  l.kind = *kind;
  l.unlimited = r.unlimited();
  if (!l.unlimited) {
    auto v = parse_decimal_field("value", r.value(), true);
    if (!v) return Unexpected{v.error()};
    if (v->is_negative()) return invalid("value", "must be >= 0, got " + r.value());
    if (limit_is_count(l.kind) && v->raw() % Decimal::kOne != 0)
      return invalid("value", quoted_value(r.value()) + " is not a whole number (" +
                                  std::string(enum_name(l.kind)) + " is a count)");
    l.value = *v;
  } else if (!r.value().empty()) {
    return invalid("value", "give a value or unlimited, not both");
  }
  return l;
}

Result<TripKillSwitch, ApiError> GatewayCore::trip(const ApiClient& client,
                                                   const api::v1::KillSwitchRequest& r) const {
  auto sc = scope(client, r.scope(), r.account(), r.strategy(), false);
  if (!sc) return Unexpected{sc.error()};
  TripKillSwitch t{};
  t.scope = sc->scope;
  t.account = sc->account;
  t.strategy = sc->strategy;
  auto state = enum_field<KillSwitchState>("state", r.state(), KillSwitchState::kHalted);
  if (!state) return Unexpected{state.error()};
  if (*state == KillSwitchState::kActive)
    return invalid("state", "'active' is what reset does; trip takes halted|reducing_only");
  t.state = *state;
  if (!t.reason.assign(r.reason()))
    return invalid("reason", "longer than " + std::to_string(ReasonText::kCapacity) + " characters");
  return t;
}

Result<ResetKillSwitch, ApiError> GatewayCore::reset(const ApiClient& client,
                                                     const api::v1::KillSwitchRequest& r) const {
  auto sc = scope(client, r.scope(), r.account(), r.strategy(), false);
  if (!sc) return Unexpected{sc.error()};
  return ResetKillSwitch{sc->scope, sc->account, sc->strategy};
}

Result<std::vector<CommandPayload>, ApiError> GatewayCore::control(
    const ApiClient& client, const api::v1::StrategyControlRequest& r) const {
  if (r.name().empty()) return invalid("name", "missing (the strategy's name)");
  auto id = strategy("name", r.name());
  if (!id) return Unexpected{id.error()};
  if (!client.all_accounts) {
    return Unexpected{ApiError{ApiStatus::kPermissionDenied,
                               "client '" + client.name + "' may not control strategies (it needs "
                               "every account: \"*\")"}};
  }
  std::vector<CommandPayload> out;
  if (r.action() == "start" || r.action() == "stop") {
    if (r.params_size() > 0) return invalid("params", "only with action set");
    if (r.action() == "start") {
      if (!r.reason().empty()) return invalid("reason", "only with action stop");
      out.emplace_back(StartStrategy{*id});
    } else {
      StopStrategy stop{*id, {}};
      if (!stop.reason.assign(r.reason()))
        return invalid("reason", "longer than " + std::to_string(ReasonText::kCapacity) + " characters");
      out.emplace_back(stop);
    }
    return out;
  }
  if (r.action() != "set") {
    return invalid("action", quoted_value(r.action()) + " is not start, stop or set");
  }
  if (r.params_size() == 0) return invalid("params", "set needs at least one key=value");
  for (int i = 0; i < r.params_size(); ++i) {
    const auto& p = r.params(i);
    const std::string field = "params[" + std::to_string(i) + "]";
    SetStrategyParam set{*id, {}, {}};
    if (p.key().empty()) return invalid(field + ".key", "missing");
    if (!set.key.assign(p.key()))
      return invalid(field + ".key", quoted_value(p.key()) + " is longer than " +
                                         std::to_string(set.key.kCapacity) + " characters");
    if (!set.value.assign(p.value()))
      return invalid(field + ".value", quoted_value(p.value()) + " is longer than " +
                                           std::to_string(set.value.kCapacity) + " characters");
    out.emplace_back(set);
  }
  return out;
}

Result<std::vector<StrategyId>, ApiError> GatewayCore::strategies(
    const api::v1::StrategiesRequest& r) const {
  std::vector<StrategyId> out;
  if (!r.name().empty()) {
    auto id = strategy("name", r.name());
    if (!id) return Unexpected{id.error()};
    out.push_back(*id);
    return out;
  }
  for (std::size_t i = 0; i < directory_.strategies.size(); ++i) {
    out.push_back(StrategyId(static_cast<std::uint16_t>(i)));
  }
  return out;
}

}  // namespace oms::actors
