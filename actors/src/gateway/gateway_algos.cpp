// The gateway's execution-algo calls: SubmitAlgo and ControlAlgo requests -> commands (each
// field checked, errors naming it), ListAlgos from the engine's algos (open and recently ended);
// SubmitSor -> a smart-routed parent (its cancel: ControlAlgo).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway_service.hpp"
#include "oms/cores/exec_algo.hpp"
#include "oms/cores/smart_router.hpp"

namespace oms::actors {

namespace {

Unexpected<ApiError> bad(std::string_view field, const std::string& what) {
  return Unexpected{ApiError{ApiStatus::kInvalidArgument, std::string(field) + ": " + what}};
}

template <class E>
Result<E, ApiError> named(std::string_view field, std::string_view text) {
  const auto& names = EnumNames<E>::kNames;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  std::string all;
  for (const auto n : names) all += (all.empty() ? "" : " | ") + std::string(n);
  return bad(field, (text.empty() ? std::string("missing") : "'" + std::string(text) + "' is not one of") +
                        (text.empty() ? " (" + all + ")" : " " + all));
}

// Empty: zero (the field's "none"); else a decimal at least zero.
Result<Decimal, ApiError> optional_decimal(std::string_view field, std::string_view text) {
  if (text.empty()) return Decimal{};
  auto d = Decimal::parse(text);
  if (!d) return bad(field, "'" + std::string(text) + "' is not a decimal number (at most 9 places)");
  if (d->is_negative()) return bad(field, "must be >= 0, got " + std::string(text));
  return *d;
}

}  // namespace

Result<GatewayCore::ParentFields, ApiError> GatewayCore::parent_fields(
    const ApiClient& client, std::string_view account, std::string_view strategy_text,
    std::string_view instrument_text, std::string_view side, std::string_view quantity,
    std::string_view limit_price, std::string_view whose) const {
  ParentFields p;
  auto a = this->account(client, "account", account);
  if (!a) return Unexpected{a.error()};
  p.account = *a;
  if (strategy_text.empty()) {
    return bad("strategy", "missing (" + std::string(whose) + " children carry its strategy)");
  }
  auto strat = strategy("strategy", strategy_text);
  if (!strat) return Unexpected{strat.error()};
  p.strategy = *strat;
  auto inst = instrument(p.account, "instrument", instrument_text);
  if (!inst) return Unexpected{inst.error()};
  p.instrument = *inst;
  auto s = named<Side>("side", side);
  if (!s) return Unexpected{s.error()};
  p.side = *s;
  auto qty = Decimal::parse(quantity);
  if (!qty || !qty->is_positive()) {
    return bad("quantity", "'" + std::string(quantity) + "' is not a positive decimal");
  }
  p.quantity = *qty;
  auto limit = optional_decimal("limit_price", limit_price);
  if (!limit) return Unexpected{limit.error()};
  p.limit_price = *limit;
  return p;
}

Result<SubmitAlgo, ApiError> GatewayCore::submit_algo(const ApiClient& client,
                                                      const api::v1::SubmitAlgoRequest& r,
                                                      TimeNs wall_now) const {
  SubmitAlgo c;
  auto f = parent_fields(client, r.account(), r.strategy(), r.instrument(), r.side(), r.quantity(),
                         r.limit_price(), "an algo's");
  if (!f) return Unexpected{f.error()};
  c.account = f->account;
  c.strategy = f->strategy;
  c.instrument = f->instrument;
  auto kind = named<AlgoKind>("kind", r.kind());
  if (!kind) return Unexpected{kind.error()};
  c.kind = *kind;
  c.side = f->side;
  c.quantity = f->quantity;
  c.limit_price = f->limit_price;
  auto part = optional_decimal("participation", r.participation());
  if (!part) return Unexpected{part.error()};
  c.participation = *part;
  auto catch_up = optional_decimal("catch_up", r.catch_up());
  if (!catch_up) return Unexpected{catch_up.error()};
  c.catch_up = *catch_up;
  c.start = r.start_ns() == 0 ? wall_now : r.start_ns();
  c.end = r.end_ns();
  if (c.end <= c.start) return bad("end_ns", "not after the start");
  if (r.slices() == 0) return bad("slices", "missing (at least 1)");
  c.slices = r.slices();
  if (static_cast<std::size_t>(r.curve_size()) > kMaxCurveBuckets) {
    return bad("curve", std::to_string(r.curve_size()) + " buckets, at most " + std::to_string(kMaxCurveBuckets));
  }
  for (const std::uint32_t w : r.curve()) c.curve.items[c.curve.count++] = w;
  c.algo = r.algo();
  return c;
}

Result<ControlAlgo, ApiError> GatewayCore::control_algo(const ApiClient& client,
                                                        const api::v1::AlgoControlRequest& r) const {
  ControlAlgo c;
  auto account = this->account(client, "account", r.account());
  if (!account) return Unexpected{account.error()};
  c.account = *account;
  if (r.algo() == 0) return bad("algo", "missing");
  c.algo = r.algo();
  auto action = named<AlgoAction>("action", r.action());
  if (!action) return Unexpected{action.error()};
  c.action = *action;
  return c;
}

Result<SubmitSor, ApiError> GatewayCore::submit_sor(const ApiClient& client,
                                                    const api::v1::SubmitSorRequest& r) const {
  SubmitSor c;
  auto f = parent_fields(client, r.account(), r.strategy(), r.instrument(), r.side(), r.quantity(),
                         r.limit_price(), "a parent's");
  if (!f) return Unexpected{f.error()};
  c.account = f->account;
  c.strategy = f->strategy;
  c.instrument = f->instrument;
  c.side = f->side;
  c.quantity = f->quantity;
  c.limit_price = f->limit_price;
  if (r.urgency_bps() > kMaxUrgencyBps) {
    return bad("urgency_bps", std::to_string(r.urgency_bps()) + " is above " + std::to_string(kMaxUrgencyBps));
  }
  c.urgency_bps = r.urgency_bps();
  c.parent = r.parent();
  std::vector<AccountId> ids;
  if (r.accounts().empty()) {
    for (const AccountId a : visible_accounts(client)) {
      if (may_use(client, a) && served(a) != nullptr) ids.push_back(a);
    }
  } else {
    for (const std::string& name : r.accounts()) {
      auto a = this->account(client, "accounts", name);
      if (!a) return Unexpected{a.error()};
      if (std::find(ids.begin(), ids.end(), *a) == ids.end()) ids.push_back(*a);
    }
  }
  if (ids.size() > kMaxSorParentAccounts) {
    return bad("accounts", std::to_string(ids.size()) + " accounts, a parent at most " +
                               std::to_string(kMaxSorParentAccounts));
  }
  const InstrumentAssets* home = instruments_.find(c.instrument);
  const Market market = home == nullptr ? Market::kSpot : home->market;
  for (const AccountId a : ids) {
    // Unknown budget (no bucket reported yet): 1 -- a child is one order.
    const std::uint32_t left = orders_left_ ? orders_left_(a, market).value_or(1) : 1;
    (void)c.accounts.push_back(SorBudget{a, left});
  }
  return c;
}

namespace gateway_detail {

grpc::Status OmsService::SubmitSor(grpc::ServerContext* ctx, const api::v1::SubmitSorRequest* req,
                                   api::v1::CommandReply* reply) {
  return guarded(ctx, "SubmitSor", [&](const ApiClient& c) -> std::optional<ApiError> {
    const auto id = core_.next_command_id(wall_clock_());
    auto cmd = core_.submit_sor(c, *req);
    if (!cmd) return cmd.error();
    reply->set_account(core_.account_name(cmd->account));
    return run(id, *cmd, reply);
  });
}

grpc::Status OmsService::SubmitAlgo(grpc::ServerContext* ctx, const api::v1::SubmitAlgoRequest* req,
                                    api::v1::CommandReply* reply) {
  return guarded(ctx, "SubmitAlgo", [&](const ApiClient& c) -> std::optional<ApiError> {
    const TimeNs now = wall_clock_();
    const auto id = core_.next_command_id(now);
    auto cmd = core_.submit_algo(c, *req, now);
    if (!cmd) return cmd.error();
    reply->set_account(core_.account_name(cmd->account));
    return run(id, *cmd, reply);
  });
}

grpc::Status OmsService::ControlAlgo(grpc::ServerContext* ctx, const api::v1::AlgoControlRequest* req,
                                     api::v1::CommandReply* reply) {
  return guarded(ctx, "ControlAlgo", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto cmd = core_.control_algo(c, *req);
    if (!cmd) return cmd.error();
    return run(core_.next_command_id(wall_clock_()), *cmd, reply);
  });
}

grpc::Status OmsService::ListAlgos(grpc::ServerContext* ctx, const api::v1::AlgosRequest* req,
                                   api::v1::AlgoList* reply) {
  return guarded(ctx, "ListAlgos", [&](const ApiClient& c) -> std::optional<ApiError> {
    std::optional<AccountId> only;
    if (!req->account().empty()) {
      auto a = core_.account(c, "account", req->account());
      if (!a) return a.error();
      only = *a;
    }
    auto algos = runtime_.algos(timeout_);
    if (!algos) return ApiError{ApiStatus::kUnavailable, "runtime: " + algos.error()};
    for (const AlgoStep& s : *algos) {
      if (only ? s.account != *only : !core_.may_use(c, s.account)) continue;
      auto* a = reply->add_algos();
      a->set_algo(s.algo);
      a->set_account(core_.account_name(s.account));
      a->set_strategy(core_.strategy_name(s.strategy));
      a->set_instrument(core_.instrument_name(s.instrument));
      a->set_kind(std::string(enum_name(s.kind)));
      a->set_side(std::string(enum_name(s.side)));
      a->set_state(std::string(enum_name(s.state)));
      a->set_quantity(s.quantity.to_string());
      a->set_limit_price(s.limit_price.to_string());
      a->set_participation(s.participation.to_string());
      a->set_catch_up(s.catch_up.to_string());
      a->set_start_ns(s.start);
      a->set_end_ns(s.end);
      a->set_slices(s.slices);
      a->set_slices_sent(s.slice);
      a->set_target(s.target.to_string());
      a->set_sent(s.sent.to_string());
      a->set_filled(s.filled.to_string());
      a->set_avg_price(ExecAlgo(s, {}).avg_price().to_string());
      a->set_child(s.child.str());
      a->set_children(s.children);
      a->set_reason(s.reason.str());
    }
    // The smart-routed parents, as algos of kind "sor": target and sent are the planned
    // quantity, participation the urgency in bps, child every child (account:client order id,
    // comma-separated, the plan's order), children how many.
    auto sors = runtime_.sors(timeout_);
    if (!sors) return ApiError{ApiStatus::kUnavailable, "runtime: " + sors.error()};
    for (const SorStep& s : *sors) {
      if (only ? s.account != *only : !core_.may_use(c, s.account)) continue;
      auto* a = reply->add_algos();
      a->set_algo(s.parent);
      a->set_account(core_.account_name(s.account));
      a->set_strategy(core_.strategy_name(s.strategy));
      a->set_instrument(core_.instrument_name(s.instrument));
      a->set_kind("sor");
      a->set_side(std::string(enum_name(s.side)));
      a->set_state(std::string(enum_name(s.state)));
      a->set_quantity(s.quantity.to_string());
      a->set_limit_price(s.limit_price.to_string());
      a->set_participation(std::to_string(s.urgency_bps));
      a->set_target(s.planned.to_string());
      a->set_sent(s.planned.to_string());
      a->set_filled(s.filled.to_string());
      a->set_avg_price(SmartOrder(s).avg_price().to_string());
      std::string children;
      for (std::size_t k = 0; k < s.children.count; ++k) {
        const SorChildStep& ch = s.children.items[k];
        children += (k == 0 ? "" : ",") + core_.account_name(ch.account) + ":" + ch.client_order_id.str();
      }
      a->set_child(children);
      a->set_children(static_cast<std::uint32_t>(s.children.count));
      a->set_reason(s.reason.str());
    }
    return std::nullopt;
  });
}

}  // namespace gateway_detail

}  // namespace oms::actors
