// The gateway's transfer calls: RequestTransfer (the request checked field by field, then handed
// to the daemon's transfer service), ListTransfers and Rebalance (the planner's plan; a run
// requests one transfer per planned one). A client may move money only between accounts it may
// use both of (a client with "*": any); a rebalance shows and runs the families whose accounts it
// may all use, and refuses each other family by the account it may not use, without amounts.
#include <spdlog/spdlog.h>

#include <map>

#include "gateway_service.hpp"

namespace oms::actors {

namespace {

Unexpected<ApiError> bad(std::string_view field, const std::string& what) {
  return Unexpected{ApiError{ApiStatus::kInvalidArgument, std::string(field) + ": " + what}};
}

Result<Market, ApiError> wallet(std::string_view field, std::string_view text) {
  if (text.empty() || text == "spot") return Market::kSpot;
  if (text == "usdm") return Market::kUsdm;
  return bad(field, quoted_value(text) + " is not one of spot | usdm");
}

void fill(const GatewayCore& core, const TransferInfo& t, api::v1::Transfer* out) {
  const TransferRequested& r = t.request;
  out->set_transfer_id(r.transfer_id);
  out->set_from_account(core.account_name(r.from_account));
  out->set_to_account(core.account_name(r.to_account));
  out->set_from_market(std::string(to_string(r.from_market)));
  out->set_to_market(std::string(to_string(r.to_market)));
  out->set_asset(std::string(r.asset.view()));
  out->set_amount(r.amount.to_string());
  out->set_status(t.status);
  out->set_venue_transfer_id(t.venue_transfer_id);
  out->set_code(t.code);
  out->set_venue_code(t.venue_code);
  out->set_reason(t.reason);
  out->set_requested_ms(t.requested_ms);
}

// A plan's transfers move money within one family (a main account and its sub-accounts, each
// transfer between the main account and a sub); a client sees and runs a family's transfers
// only when it may use every account they name. The families left out for the client: the
// account it may not use that names each (the first by index), and which accounts belong to
// them.
struct LeftOut {
  std::map<std::size_t, std::size_t> family_of;  // account index -> the family's root index
  std::map<std::size_t, AccountId> denied;       // root -> an account of it the client may not use
  [[nodiscard]] bool out(AccountId a) const {
    const auto it = family_of.find(a.index());
    return it != family_of.end() && denied.count(it->second) != 0;
  }
};

LeftOut families_left_out(const GatewayCore& core, const ApiClient& c, const RebalancePlan& plan) {
  // Union-find over the accounts the plan names: a family's transfers all touch its main account.
  std::map<std::size_t, std::size_t> parent;
  const auto root = [&](std::size_t a) {
    if (parent.emplace(a, a).second) return a;
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
  };
  const auto join = [&](AccountId x, AccountId y) { parent[root(x.index())] = root(y.index()); };
  for (const PlannedTransfer& p : plan.transfers) join(p.from, p.to);
  for (const RefusedTransfer& r : plan.refused) join(r.from, r.to);
  LeftOut l;
  std::vector<std::size_t> named;
  for (const auto& kv : parent) named.push_back(kv.first);
  for (const std::size_t a : named) {
    const std::size_t r = root(a);
    l.family_of[a] = r;
    const AccountId id(static_cast<AccountId::rep_type>(a));
    if (!core.may_use(c, id)) l.denied.emplace(r, id);  // the first by index stays
  }
  return l;
}

}  // namespace

Result<TransferRequested, ApiError> GatewayCore::transfer(const ApiClient& client,
                                                          const api::v1::TransferRequest& r,
                                                          std::uint64_t generated) const {
  TransferRequested t;
  auto from = account(client, "from_account", r.from_account());
  if (!from) return Unexpected{from.error()};
  auto to = account(client, "to_account", r.to_account());
  if (!to) return Unexpected{to.error()};
  t.from_account = *from;
  t.to_account = *to;
  auto fm = wallet("from_market", r.from_market());
  if (!fm) return Unexpected{fm.error()};
  auto tm = wallet("to_market", r.to_market());
  if (!tm) return Unexpected{tm.error()};
  t.from_market = *fm;
  t.to_market = *tm;
  if (t.from_account == t.to_account && t.from_market == t.to_market)
    return bad("to_market", "the same account and wallet at both ends");
  if (r.asset().empty()) return bad("asset", "missing");
  if (!t.asset.assign(r.asset())) return bad("asset", quoted_value(r.asset()) + " is longer than 15 characters");
  auto amount = parse_decimal_field("amount", r.amount(), true);
  if (!amount) return Unexpected{amount.error()};
  if (!amount->is_positive()) return bad("amount", "must be > 0, got " + quoted_value(r.amount()));
  t.amount = *amount;
  t.transfer_id = r.transfer_id() != 0 ? r.transfer_id() : generated;
  return t;
}

namespace gateway_detail {

grpc::Status OmsService::RequestTransfer(grpc::ServerContext* ctx, const api::v1::TransferRequest* req,
                                         api::v1::TransferReply* reply) {
  return guarded(ctx, "RequestTransfer", [&](const ApiClient& c) -> std::optional<ApiError> {
    if (transfers_ == nullptr) return ApiError{ApiStatus::kUnavailable, "transfers are not run by this daemon"};
    auto t = core_.transfer(c, *req, core_.next_command_id(wall_clock_()));
    if (!t) return t.error();
    const auto wait = std::chrono::milliseconds(req->wait_ms() == 0 ? 10'000 : req->wait_ms());
    auto info = transfers_->request(*t, wait);
    if (!info) return ApiError{ApiStatus::kInvalidArgument, info.error()};
    fill(core_, *info, reply->mutable_transfer());
    reply->set_duplicate(info->duplicate);
    return std::nullopt;
  });
}

grpc::Status OmsService::ListTransfers(grpc::ServerContext* ctx, const api::v1::TransfersRequest* req,
                                       api::v1::TransferList* reply) {
  return guarded(ctx, "ListTransfers", [&](const ApiClient& c) -> std::optional<ApiError> {
    if (transfers_ == nullptr) return ApiError{ApiStatus::kUnavailable, "transfers are not run by this daemon"};
    const std::size_t limit = req->limit() == 0 ? 100 : req->limit();
    std::size_t n = 0;
    for (const TransferInfo& t : transfers_->recent(SIZE_MAX)) {
      if (n == limit) break;
      if (!core_.may_use(c, t.request.from_account) || !core_.may_use(c, t.request.to_account)) continue;
      fill(core_, t, reply->add_transfers());
      ++n;
    }
    return std::nullopt;
  });
}

grpc::Status OmsService::Rebalance(grpc::ServerContext* ctx, const api::v1::RebalanceRequest* req,
                                   api::v1::RebalanceReply* reply) {
  return guarded(ctx, "Rebalance", [&](const ApiClient& c) -> std::optional<ApiError> {
    if (transfers_ == nullptr) return ApiError{ApiStatus::kUnavailable, "transfers are not run by this daemon"};
    auto plan = transfers_->plan_rebalance();
    if (!plan) return ApiError{ApiStatus::kUnavailable, "rebalance: " + plan.error()};
    const LeftOut left = families_left_out(core_, c, *plan);
    reply->set_dry_run(req->dry_run());
    // A family the client may not wholly use: one refusal naming the account, no amounts (the
    // client may not see that account's money), nothing of it run.
    for (const auto& kv : left.denied) {
      auto* out = reply->add_refused();
      out->set_from_account(core_.account_name(kv.second));
      out->set_reason("client '" + c.name + "' may not use account '" + core_.account_name(kv.second) +
                      "': its family's rebalance is left out for this client");
    }
    for (const RefusedTransfer& r : plan->refused) {
      if (left.out(r.from)) continue;
      auto* out = reply->add_refused();
      out->set_from_account(core_.account_name(r.from));
      out->set_to_account(core_.account_name(r.to));
      out->set_amount(r.amount.to_string());
      out->set_reason(r.reason);
    }
    for (const PlannedTransfer& p : plan->transfers) {
      if (left.out(p.from)) continue;
      TransferInfo t;
      t.request.from_account = p.from;
      t.request.to_account = p.to;
      (void)t.request.asset.assign("USDT");
      t.request.amount = p.amount;
      t.status = "planned";
      if (!req->dry_run()) {
        t.request.transfer_id = core_.next_command_id(wall_clock_());
        auto started = transfers_->request(t.request, std::chrono::milliseconds(5'000));
        if (started) {
          t = *started;
        } else {
          t.status = "failed";
          t.reason = started.error();
        }
        spdlog::info("rebalance: transfer {} {} -> {} {} USDT: {}", t.request.transfer_id,
                     core_.account_name(p.from), core_.account_name(p.to), p.amount.to_string(), t.status);
      }
      fill(core_, t, reply->add_transfers());
    }
    return std::nullopt;
  });
}

}  // namespace gateway_detail

}  // namespace oms::actors
