// The Oms service's handlers: authenticate, rate-limit, validate (GatewayCore), then the
// Runtime. Refusals become gRPC statuses; a denied account is logged with the client's name
// (never its token).
#include "gateway_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <limits>
#include <map>

namespace oms::actors::gateway_detail {

namespace {

grpc::StatusCode code_of(ApiStatus s) {
  switch (s) {
    case ApiStatus::kUnauthenticated: return grpc::StatusCode::UNAUTHENTICATED;
    case ApiStatus::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case ApiStatus::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case ApiStatus::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case ApiStatus::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
  }
  return grpc::StatusCode::INTERNAL;
}

std::string bearer(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  const auto it = md.find("authorization");
  if (it == md.end()) return {};
  return std::string(it->second.data(), it->second.size());
}

std::string dec(Decimal d) { return d.to_string(); }

std::string dec_e18(Int128 v) {
  Decimal d;
  if (!round_e18(v, d)) return "overflow";
  return d.to_string();
}

// ListFills: AccountView::recent_fills (the account's last fills, oldest first).
void copy_fills(const AccountView& v, const GatewayCore& core, const GatewayCore::ListScope& scope,
                api::v1::FillList* out) {
  for (const auto& f : v.recent_fills) {
    if (!scope.covers(f.instrument)) continue;
    auto* p = out->add_fills();
    p->set_account(core.account_name(f.account));
    p->set_strategy(core.strategy_name(f.strategy));
    p->set_instrument(core.instrument_name(f.instrument));
    p->set_client_order_id(f.client_order_id.str());
    p->set_trade_id(f.trade_id.str());
    p->set_side(std::string(enum_name(f.side)));
    p->set_price(dec(f.price));
    p->set_quantity(dec(f.quantity));
    p->set_fee(dec(f.fee));
    p->set_fee_asset(f.fee_asset.str());
    p->set_liquidity(std::string(enum_name(f.liquidity)));
  }
}

}  // namespace

std::string peer_host(std::string_view peer) {
  // gRPC names peers "ipv4:127.0.0.1:5432", "ipv6:[::1]:5432", "unix:/path": the port goes.
  if (const auto colon = peer.rfind(':'); colon != std::string_view::npos && colon > 5 &&
                                          (peer.starts_with("ipv4:") || peer.starts_with("ipv6:"))) {
    peer = peer.substr(0, colon);
  }
  std::string host;
  for (const char ch : peer.substr(0, 64)) host += (ch > ' ' && ch < 0x7f) ? ch : '?';
  return host;
}

bool LogThrottle::allow(const std::string& key, std::chrono::steady_clock::time_point now) {
  const std::lock_guard lock(mutex_);
  auto& e = entries_[key];
  if (entries_.size() > 4096) {  // bounded (a flood from ever new addresses)
    entries_.clear();
    return true;
  }
  if (e.last != std::chrono::steady_clock::time_point{} && now - e.last < std::chrono::seconds(1)) {
    ++e.suppressed;
    return false;
  }
  e.last = now;
  return true;
}

std::uint64_t LogThrottle::take_suppressed(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it == entries_.end() ? 0 : std::exchange(it->second.suppressed, 0);
}

grpc::Status OmsService::guarded(grpc::ServerContext* ctx, std::string_view rpc,
                                 const Handler& handler) {
  if (!on_call_) return checked(ctx, rpc, handler);
  const auto t0 = std::chrono::steady_clock::now();
  auto status = checked(ctx, rpc, handler);
  on_call_(rpc, static_cast<int>(status.error_code()),
           std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
               .count());
  return status;
}

grpc::Status OmsService::checked(grpc::ServerContext* ctx, std::string_view rpc,
                                 const Handler& handler) {
  auto client = core_.authenticate(bearer(*ctx));
  if (!client) {
    // Logged with the caller's address, never the token it sent; a host that keeps trying is
    // answered RESOURCE_EXHAUSTED (and logged once a second) until its bucket refills.
    const std::string host = peer_host(ctx->peer());
    if (!core_.admit_unauthenticated(host)) {
      if (unauthenticated_log_.allow(host, std::chrono::steady_clock::now()))
        spdlog::warn("gateway: {} from {}: refused, over {} unauthenticated calls a second ({} refused since the last line)",
                     rpc, host, GatewayCore::kUnauthenticatedPerSecond, unauthenticated_log_.take_suppressed(host));
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              "too many unauthenticated calls from " + host + "; try again later"};
    }
    spdlog::warn("gateway: {} from {}: {}", rpc, host, client.error().message);
    return {code_of(client.error().status), client.error().message};
  }
  const ApiClient& c = **client;
  if (!core_.admit(c)) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            "client '" + c.name + "' is over its rate limit (" + std::to_string(c.rate_per_s) +
                "/s, burst " + std::to_string(c.burst) + ")"};
  }
  const auto error = handler(c);
  if (!error) return grpc::Status::OK;
  // Bounded whatever built it (a client's value is echoed short, but not every message is
  // made of checked parts): the answer must fit the trailers.
  std::string message = error->message;
  if (message.size() > kMaxErrorMessage) {
    message = message.substr(0, kMaxErrorMessage) + "... (" + std::to_string(error->message.size()) + " bytes)";
  }
  if (error->status == ApiStatus::kPermissionDenied)
    spdlog::warn("gateway: {} refused: {}", rpc, message);
  return {code_of(error->status), message};
}

std::optional<ApiError> OmsService::run(EventId id, const CommandPayload& payload,
                                        api::v1::CommandReply* reply, TimeNs received_ns) {
  const TimeNs now = wall_clock_();
  const Command command{Envelope{id, 0, now, now, 0, id}, payload};
  auto ack = runtime_.submit(command, timeout_, received_ns);
  if (!ack) return ApiError{ApiStatus::kUnavailable, "runtime: " + ack.error()};
  reply->set_accepted(ack->accepted);
  reply->set_duplicate(ack->duplicate);
  reply->set_code(ack->code);
  reply->set_message(ack->message);
  reply->set_status(std::string(enum_name(ack->status)));
  reply->set_command_id(id);
  return std::nullopt;
}

Result<AccountViewPtr, ApiError> OmsService::view(AccountId account) {
  auto v = runtime_.view(account, timeout_);
  if (!v) return Unexpected{ApiError{ApiStatus::kUnavailable, "runtime: " + v.error()}};
  return *v;
}

grpc::Status OmsService::SubmitOrder(grpc::ServerContext* ctx,
                                     const api::v1::SubmitOrderRequest* req,
                                     api::v1::CommandReply* reply) {
  // The real clock (wall_clock_ may be a test's): the order-to-wire latency starts here.
  const TimeNs received = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  return guarded(ctx, "SubmitOrder", [&](const ApiClient& c) -> std::optional<ApiError> {
    const auto id = core_.next_command_id(wall_clock_());
    // No account named: the routing rules choose one (said in the reply); the command names it,
    // so the engine's recorded input does not depend on the figures of the moment.
    std::optional<api::v1::SubmitOrderRequest> routed_req;
    std::string routing;
    if (req->account().empty() && core_.routes()) {
      const FreeBalance free = [this](AccountId a, Market m, std::string_view asset) {
        auto v = view(a);
        if (!v) return Decimal{};
        for (const auto& b : (*v)->balances)
          if (b.market == m && b.asset.view() == asset) return b.free;
        return Decimal{};
      };
      auto chosen = core_.route_account(c, *req, free);
      if (!chosen) return chosen.error();
      routed_req = *req;
      routed_req->set_account(core_.account_name(chosen->choice.account));
      routed_req->set_instrument(core_.directory().instruments.name(chosen->choice.instrument));
      routing = chosen->reason;
    }
    auto o = core_.submit(c, routed_req ? *routed_req : *req, id);
    if (!o) return o.error();
    // Venue failover: the order may move to another venue's account (said in the reply).
    if (const auto routed = core_.route(c, *o, req->client_order_id().empty(), id)) {
      routing = routing.empty() ? routed->reason : routing + "; " + routed->reason;
      if (on_failover_) on_failover_(*routed);
    }
    reply->set_routing(routing);
    reply->set_account(core_.account_name(o->account));
    reply->set_client_order_id(o->client_order_id.str());
    if (auto error = run(id, *o, reply, received)) return error;
    if (req->wait_ack_ms() > 0 && reply->accepted() && !reply->duplicate()) {
      const auto wait = std::min<std::uint32_t>(req->wait_ack_ms(), 60'000);
      auto status = runtime_.await_answer(o->account, o->client_order_id.str(),
                                          std::chrono::milliseconds(wait));
      if (status) reply->set_status(std::string(enum_name(*status)));
    }
    return std::nullopt;
  });
}

grpc::Status OmsService::SubmitBatch(grpc::ServerContext* ctx,
                                     const api::v1::SubmitBatchRequest* req,
                                     api::v1::BatchReply* reply) {
  const TimeNs received = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  return guarded(ctx, "SubmitBatch", [&](const ApiClient& c) -> std::optional<ApiError> {
    // One generated-id sequence per entry (the core refuses more than kMaxBatchRequestOrders
    // before it reads them).
    const auto n = std::min<std::size_t>(static_cast<std::size_t>(req->orders_size()), kMaxBatchRequestOrders);
    std::vector<std::uint64_t> sequences(n);
    for (auto& s : sequences) s = core_.next_command_id(wall_clock_());
    auto batches = core_.batch(c, *req, sequences);
    if (!batches) return batches.error();
    reply->set_commands(static_cast<std::uint32_t>(batches->size()));
    // Each command in turn: the engine takes one in microseconds and its orders leave for the
    // venue at once, so the next command's batch is on the wire beside it.
    std::uint32_t accepted = 0;
    for (const oms::SubmitBatch& b : *batches) {
      const EventId id = core_.next_command_id(wall_clock_());
      const TimeNs now = wall_clock_();
      auto acks = runtime_.submit_batch(Command{Envelope{id, 0, now, now, 0, id}, b}, timeout_, received);
      for (std::size_t i = 0; i < b.orders.size(); ++i) {
        auto* e = reply->add_orders();
        e->set_account(core_.account_name(b.account));
        e->set_client_order_id(b.orders.items[i].client_order_id.str());
        e->set_command_id(id);
        if (!acks) {  // timed out or stopped: the command may still run (ListOrders tells)
          e->set_message("runtime: " + acks.error());
          continue;
        }
        const CommandAck& a = (*acks)[i];
        e->set_accepted(a.accepted);
        e->set_duplicate(a.duplicate);
        e->set_code(a.code);
        e->set_message(a.message);
        e->set_status(std::string(enum_name(a.status)));
        if (a.accepted) ++accepted;
      }
    }
    reply->set_accepted(accepted);
    if (req->wait_ack_ms() > 0) {
      // One deadline for the whole batch: each accepted order waits what is left of it.
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(std::min<std::uint32_t>(req->wait_ack_ms(), 60'000));
      const AccountId account = batches->front().account;
      for (auto& e : *reply->mutable_orders()) {
        if (!e.accepted() || e.duplicate()) continue;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto status = runtime_.await_answer(account, e.client_order_id(), std::max(left, std::chrono::milliseconds(1)));
        if (status) e.set_status(std::string(enum_name(*status)));
      }
    }
    return std::nullopt;
  });
}

grpc::Status OmsService::AmendOrder(grpc::ServerContext* ctx, const api::v1::AmendOrderRequest* req,
                                    api::v1::CommandReply* reply) {
  return guarded(ctx, "AmendOrder", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto a = core_.amend(c, *req);
    if (!a) return a.error();
    reply->set_client_order_id(a->client_order_id.str());
    return run(core_.next_command_id(wall_clock_()), *a, reply);
  });
}

grpc::Status OmsService::CancelOrder(grpc::ServerContext* ctx,
                                     const api::v1::CancelOrderRequest* req,
                                     api::v1::CommandReply* reply) {
  return guarded(ctx, "CancelOrder", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto x = core_.cancel(c, *req);
    if (!x && req->client_order_id().empty() && !req->venue_order_id().empty()) {
      // By the venue's order id (an external order is known to its owner by that): the order
      // on the account's desk with that id, then as by client order id.
      const std::string& vid = req->venue_order_id();
      if (vid.size() > VenueOrderId::kCapacity) {
        return ApiError{ApiStatus::kInvalidArgument,
                        "venue_order_id: longer than " + std::to_string(VenueOrderId::kCapacity) + " characters"};
      }
      api::v1::CancelOrderRequest named = *req;
      named.set_client_order_id("-");  // checks account and instrument first
      auto checked = core_.cancel(c, named);
      if (!checked) return checked.error();
      auto v = view(checked->account);
      if (!v) return v.error();
      const OrderCore* hit = nullptr;
      for (const auto& ov : (*v)->orders) {
        if (ov.core.venue_order_id().view() == vid && ov.core.instrument() == checked->instrument) hit = &ov.core;
      }
      if (hit == nullptr) {
        return ApiError{ApiStatus::kInvalidArgument,
                        "venue_order_id: no order " + vid + " of that instrument on the account"};
      }
      checked->client_order_id = hit->client_order_id();
      x = std::move(checked);
    } else if (!req->client_order_id().empty() && !req->venue_order_id().empty()) {
      return ApiError{ApiStatus::kInvalidArgument,
                      "venue_order_id: give client_order_id or venue_order_id, not both"};
    }
    if (!x) return x.error();
    reply->set_client_order_id(x->client_order_id.str());
    return run(core_.next_command_id(wall_clock_()), *x, reply);
  });
}

grpc::Status OmsService::CancelAll(grpc::ServerContext* ctx, const api::v1::CancelAllRequest* req,
                                   api::v1::CommandReply* reply) {
  return guarded(ctx, "CancelAll", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto x = core_.cancel_all(c, *req);
    if (!x) return x.error();
    return run(core_.next_command_id(wall_clock_()), *x, reply);
  });
}

namespace {

// "YYYY-MM-DD" as days since 1970-01-01 (UTC); nullopt for anything else.
std::optional<std::int32_t> parse_utc_day(const std::string& text) {
  unsigned y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(y)), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<std::int32_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

}  // namespace

grpc::Status OmsService::ListOrders(grpc::ServerContext* ctx, const api::v1::AccountRequest* req,
    api::v1::OrderList* reply) {
  return guarded(ctx, "ListOrders", [&](const ApiClient& c) { return list_orders(c, req, reply); });
}

// The body keeps the indentation it had in the RPC's lambda (a small diff).
std::optional<ApiError> OmsService::list_orders(const ApiClient& c, const api::v1::AccountRequest* req,
    api::v1::OrderList* reply) {
  {
    auto scope = core_.list_scope(c, req->account(), req->exchange(), req->main(), req->instrument());
    if (!scope) return scope.error();
    std::optional<std::int32_t> day;
    if (!req->day().empty()) {
      day = parse_utc_day(req->day());
      if (!day) return ApiError{ApiStatus::kInvalidArgument, "day: " + quoted_value(req->day()) + " is not a date YYYY-MM-DD"};
    }
    for (const AccountId a : scope->accounts) {
      std::vector<OrderCore> from_store;
      AccountViewPtr v;
      if (day) {
        auto orders = runtime_.orders_of_day(a, *day);
        if (!orders) return ApiError{ApiStatus::kUnavailable, "day: " + orders.error()};
        from_store = std::move(orders).value();
      } else {
        auto view_now = view(a);
        if (!view_now) return view_now.error();
        v = std::move(view_now).value();
      }
      std::vector<const OrderCore*> cores;
      if (v) {
        for (const auto& ov : v->orders) cores.push_back(&ov.core);
      } else {
        for (const auto& o : from_store) cores.push_back(&o);
      }
      const std::string account = core_.account_name(a);
      for (const OrderCore* core : cores) {
        const auto& o = *core;
        if (!scope->covers(o.instrument())) continue;
        auto* p = reply->add_orders();
        p->set_account(account);
        p->set_strategy(core_.strategy_name(o.strategy()));
        p->set_instrument(core_.instrument_name(o.instrument()));
        p->set_client_order_id(o.client_order_id().str());
        p->set_venue_order_id(o.venue_order_id().str());
        p->set_side(std::string(enum_name(o.side())));
        p->set_order_type(std::string(enum_name(o.order_type())));
        p->set_tif(std::string(enum_name(o.tif())));
        p->set_price(dec(o.price()));
        p->set_quantity(dec(o.quantity()));
        p->set_cum_qty(dec(o.cum_qty()));
        p->set_leaves_qty(dec(o.leaves_qty()));
        p->set_avg_price(dec(o.avg_price()));
        p->set_status(std::string(enum_name(o.status())));
        p->set_external(o.external());
        if (const auto& e = o.last_error()) {
          p->set_error(std::to_string(e->code) +
                       (e->venue_code != 0 ? "/" + std::to_string(e->venue_code) : std::string()) + " " +
                       e->reason.str());
        }
      }
    }
    return std::nullopt;
  }
}

grpc::Status OmsService::ListFills(grpc::ServerContext* ctx, const api::v1::AccountRequest* req,
                                   api::v1::FillList* reply) {
  return guarded(ctx, "ListFills", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto scope = core_.list_scope(c, req->account(), req->exchange(), req->main(), req->instrument());
    if (!scope) return scope.error();
    for (const AccountId a : scope->accounts) {
      auto v = view(a);
      if (!v) return v.error();
      copy_fills(**v, core_, *scope, reply);
    }
    return std::nullopt;
  });
}

grpc::Status OmsService::ListBalances(grpc::ServerContext* ctx, const api::v1::AccountRequest* req,
    api::v1::BalanceList* reply) {
  return guarded(ctx, "ListBalances", [&](const ApiClient& c) { return list_balances(c, req, reply); });
}

// The body keeps the indentation it had in the RPC's lambda (a small diff).
std::optional<ApiError> OmsService::list_balances(const ApiClient& c, const api::v1::AccountRequest* req,
    api::v1::BalanceList* reply) {
  {
    auto scope = core_.list_scope(c, req->account(), req->exchange(), req->main(), req->instrument());
    if (!scope) return scope.error();
    // Values at the engine's marks (the engine not answering leaves them empty).
    std::vector<Decimal> marks;
    if (auto m = runtime_.marks(timeout_)) marks = std::move(*m);
    const InstrumentTable& table = core_.instruments();
    // With an instrument filter: the balances of its assets on its market.
    const auto listed = [&](ExchangeId venue, Market market, const AssetCode& asset) {
      if (scope->instruments.empty()) return true;
      return std::any_of(scope->instruments.begin(), scope->instruments.end(), [&](InstrumentId id) {
        const InstrumentAssets* i = table.find(id);
        return i != nullptr && i->exchange == venue && i->market == market &&
               (i->base == asset || i->quote == asset || i->settle == asset);
      });
    };
    struct Total {
      Int128 free = 0, locked = 0, value = 0;  // Decimal raws
      bool valued = true;
      std::vector<std::string> accounts;
    };
    std::map<std::string, Total> totals;
    for (const AccountId a : scope->accounts) {
      const GatewayAccount* acct = core_.served(a);
      auto v = view(a);
      if (!v) return v.error();
      const std::string account = core_.account_name(a);
      for (const auto& b : (*v)->balances) {
        if (!listed(acct->exchange, b.market, b.asset)) continue;
        auto* p = reply->add_balances();
        p->set_account(account);
        p->set_market(std::string(to_string(b.market)));
        p->set_asset(b.asset.str());
        p->set_free(dec(b.free));
        p->set_locked(dec(b.locked));
        auto& t = totals[b.asset.str()];
        t.free += b.free.raw();
        t.locked += b.locked.raw();
        if (t.accounts.empty() || t.accounts.back() != account) t.accounts.push_back(account);
        // risk's valuation: the asset's USDT rate on the account's venue first (USDT/KRW for KRW).
        const auto sum = b.free.add(b.locked);
        const auto value = sum ? usdt_value(usdt_rate_of(table, b.asset.view(), acct->exchange), *sum, marks)
                               : std::nullopt;
        if (value) {
          p->set_value_usdt(dec(*value));
          t.value += value->raw();
        } else {
          t.valued = false;
        }
      }
    }
    const auto fits = [](Int128 v) {
      return v <= std::numeric_limits<std::int64_t>::max() && v >= std::numeric_limits<std::int64_t>::min();
    };
    const auto text = [](Int128 raw) { return dec(Decimal::from_raw(static_cast<std::int64_t>(raw))); };
    Int128 all = 0;
    for (const auto& [asset, t] : totals) {
      auto* p = reply->add_totals();
      p->set_asset(asset);
      if (!fits(t.free) || !fits(t.locked) || !fits(t.value)) {
        return ApiError{ApiStatus::kUnavailable, "the total of " + asset + " overflows"};
      }
      p->set_free(text(t.free));
      p->set_locked(text(t.locked));
      for (const auto& name : t.accounts) p->add_accounts(name);
      if (t.valued) {
        p->set_value_usdt(text(t.value));
        all += t.value;
      } else {
        reply->add_unvalued(asset);
      }
    }
    if (!fits(all)) return ApiError{ApiStatus::kUnavailable, "the USDT total overflows"};
    reply->set_total_usdt(text(all));
    return std::nullopt;
  }
}

grpc::Status OmsService::ListPositions(grpc::ServerContext* ctx, const api::v1::PositionsRequest* req,
    api::v1::PositionList* reply) {
  return guarded(ctx, "ListPositions", [&](const ApiClient& c) { return list_positions(c, req, reply); });
}

// The body keeps the indentation it had in the RPC's lambda (a small diff).
std::optional<ApiError> OmsService::list_positions(const ApiClient& c, const api::v1::PositionsRequest* req,
    api::v1::PositionList* reply) {
  {
    // The USDT figures of a leg at the engine's marks (risk's valuation); nullopt: a mark missing.
    // The engine not answering leaves them empty: the positions themselves do not need marks.
    std::vector<Decimal> mark_list;
    if (auto m = runtime_.marks(timeout_)) mark_list = std::move(*m);
    const std::vector<Decimal>* marks = &mark_list;
    struct Usdt {
      Decimal value, unrealized, realized;
    };
    const auto usdt = [&](const PositionCore::Leg& leg) -> std::optional<Usdt> {
      const auto i = leg.instrument.index();
      if (i >= sources_.size() || i >= marks->size() || !(*marks)[i].is_positive()) {
        if (!leg.position.size.is_zero()) return std::nullopt;
      }
      const Decimal mark = i < marks->size() ? (*marks)[i] : Decimal{};
      Decimal value, unrealized, realized;
      Int128 value_e18 = 0;
      const auto unrealized_e18 =
          leg.position.size.is_zero() ? std::optional<Int128>(0) : leg.position.unrealized_e18(mark);
      if (!product_e18(leg.position.size, mark, value_e18) || !round_e18(value_e18, value) ||
          !unrealized_e18 || !round_e18(*unrealized_e18, unrealized) ||
          !round_e18(leg.position.realized_e18, realized)) {
        return std::nullopt;
      }
      const QuoteSource source = i < sources_.size() ? sources_[i] : QuoteSource{{}, false, true};
      const auto v = usdt_value(source, value, *marks), u = usdt_value(source, unrealized, *marks),
                 r = usdt_value(source, realized, *marks);
      if (!v || !u || !r) return std::nullopt;
      return Usdt{*v, *u, *r};
    };
    const auto quote_of = [&](InstrumentId id) { return id.index() < quotes_.size() ? quotes_[id.index()] : std::string(); };
    auto scope = core_.list_scope(c, req->unified() ? std::string_view() : std::string_view(req->account()),
                                  req->exchange(), req->main(), req->instrument());
    if (!scope) return scope.error();
    if (!req->unified()) {
      for (const AccountId a : scope->accounts) {
        auto v = view(a);
        if (!v) return v.error();
        for (const auto& leg : (*v)->positions) {
          if (!scope->covers(leg.instrument)) continue;
          auto* p = reply->add_positions();
          p->set_account(core_.account_name(a));
          p->set_instrument(core_.instrument_name(leg.instrument));
          p->set_size(dec(leg.position.size));
          p->set_entry_price(dec(leg.position.entry_price()));
          p->set_realized_pnl(dec_e18(leg.position.realized_e18));
          p->set_fees(dec_e18(leg.fees_e18));
          p->set_quote(quote_of(leg.instrument));
          if (const auto u = usdt(leg)) {
            p->set_value_usdt(dec(u->value));
            p->set_unrealized_pnl_usdt(dec(u->unrealized));
            p->set_realized_pnl_usdt(dec(u->realized));
          }
        }
      }
      return std::nullopt;
    }
    // Unified: every visible account's net position, summed per canonical instrument (sizes
    // share base units across venues; cost and PnL share the quote).
    struct Sum {
      Int128 size_e9 = 0, cost_e18 = 0, realized_e18 = 0, fees_e18 = 0;
      std::vector<std::string> accounts;
      std::string quote;
      bool valued = true;  // every leg had its USDT figures
      Int128 value = 0, unrealized = 0, realized = 0;  // USDT, Decimal raw
    };
    std::map<std::string, Sum> sums;
    for (const auto a : scope->accounts) {
      auto v = view(a);
      if (!v) return v.error();
      for (const auto& leg : (*v)->positions) {
        if (!scope->covers(leg.instrument)) continue;
        auto& s = sums[core_.instrument_name(leg.instrument)];
        s.size_e9 += leg.position.size.raw();
        s.cost_e18 += leg.position.cost_e18;
        s.realized_e18 += leg.position.realized_e18;
        s.fees_e18 += leg.fees_e18;
        s.accounts.push_back(core_.account_name(a));
        s.quote = quote_of(leg.instrument);
        if (const auto u = usdt(leg)) {
          s.value += u->value.raw();
          s.unrealized += u->unrealized.raw();
          s.realized += u->realized.raw();
        } else {
          s.valued = false;
        }
      }
    }
    for (const auto& [instrument, s] : sums) {
      auto* p = reply->add_positions();
      p->set_instrument(instrument);
      NetPosition net;
      if (s.size_e9 > std::numeric_limits<std::int64_t>::max() ||
          s.size_e9 < std::numeric_limits<std::int64_t>::min())
        return ApiError{ApiStatus::kUnavailable, "unified size of " + instrument + " overflows"};
      net.size = Decimal::from_raw(static_cast<std::int64_t>(s.size_e9));
      net.cost_e18 = s.cost_e18;
      p->set_size(dec(net.size));
      p->set_entry_price(dec(net.entry_price()));
      p->set_realized_pnl(dec_e18(s.realized_e18));
      p->set_fees(dec_e18(s.fees_e18));
      for (const auto& name : s.accounts) p->add_accounts(name);
      p->set_quote(s.quote);
      const auto fits = [](Int128 v) {
        return v <= std::numeric_limits<std::int64_t>::max() && v >= std::numeric_limits<std::int64_t>::min();
      };
      if (s.valued && fits(s.value) && fits(s.unrealized) && fits(s.realized)) {
        p->set_value_usdt(dec(Decimal::from_raw(static_cast<std::int64_t>(s.value))));
        p->set_unrealized_pnl_usdt(dec(Decimal::from_raw(static_cast<std::int64_t>(s.unrealized))));
        p->set_realized_pnl_usdt(dec(Decimal::from_raw(static_cast<std::int64_t>(s.realized))));
      }
    }
    return std::nullopt;
  }
}

grpc::Status OmsService::SetRiskLimit(grpc::ServerContext* ctx,
                                      const api::v1::SetRiskLimitRequest* req,
                                      api::v1::CommandReply* reply) {
  return guarded(ctx, "SetRiskLimit", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto l = core_.set_limit(c, *req);
    if (!l) return l.error();
    return run(core_.next_command_id(wall_clock_()), *l, reply);
  });
}

grpc::Status OmsService::TripKillSwitch(grpc::ServerContext* ctx,
                                        const api::v1::KillSwitchRequest* req,
                                        api::v1::CommandReply* reply) {
  return guarded(ctx, "TripKillSwitch", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto t = core_.trip(c, *req);
    if (!t) return t.error();
    if (auto error = run(core_.next_command_id(wall_clock_()), *t, reply)) return error;
    // Accepted (a duplicate too: the sweep is idempotent and the first call may have timed
    // out before it was asked for): what the engine does not know is swept at the venues.
    if (reply->accepted() && on_kill_switch_) on_kill_switch_(*t);
    return std::nullopt;
  });
}

grpc::Status OmsService::ResetKillSwitch(grpc::ServerContext* ctx,
                                         const api::v1::KillSwitchRequest* req,
                                         api::v1::CommandReply* reply) {
  return guarded(ctx, "ResetKillSwitch", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto r = core_.reset(c, *req);
    if (!r) return r.error();
    return run(core_.next_command_id(wall_clock_()), *r, reply);
  });
}

grpc::Status OmsService::Health(grpc::ServerContext* ctx, const api::v1::HealthRequest* /*req*/,
                                api::v1::HealthReply* reply) {
  return guarded(ctx, "Health", [&](const ApiClient& c) -> std::optional<ApiError> {
    bool all_ok = true;
    for (const auto a : core_.visible_accounts(c)) {
      auto* h = reply->add_accounts();
      h->set_account(core_.account_name(a));
      auto v = view(a);
      h->set_ok(v.ok());
      if (v) {
        h->set_events_committed((*v)->events_committed);
      } else {
        h->set_error(v.error().message);
        all_ok = false;
      }
    }
    reply->set_status(all_ok ? "serving" : "degraded");
    reply->set_client(c.name);
    return std::nullopt;
  });
}

grpc::Status OmsService::ListPremiums(grpc::ServerContext* ctx, const api::v1::PremiumsRequest* /*req*/,
                                      api::v1::PremiumList* reply) {
  return guarded(ctx, "ListPremiums", [&](const ApiClient& /*c*/) -> std::optional<ApiError> {
    if (premiums_.empty()) return std::nullopt;
    auto marks = runtime_.marks(timeout_);
    if (!marks) return ApiError{ApiStatus::kUnavailable, "runtime: " + marks.error()};
    const auto mark = [&](InstrumentId id) { return id.index() < marks->size() ? (*marks)[id.index()] : Decimal{}; };
    const auto text = [](Decimal d) { return d.is_positive() ? dec(d) : std::string(); };
    const auto venue = [&](InstrumentId id) {
      return id.index() < venue_of_.size() ? std::string(to_string(venue_of_[id.index()])) : std::string();
    };
    for (const PremiumPair& p : premiums_) {
      auto* out = reply->add_premiums();
      out->set_venue(venue(p.local));
      out->set_instrument(core_.instrument_name(p.local));
      out->set_rate_instrument(core_.instrument_name(p.rate));
      out->set_reference_venue(venue(p.reference));
      out->set_reference_instrument(core_.instrument_name(p.reference));
      out->set_price(text(mark(p.local)));
      out->set_rate(text(mark(p.rate)));
      out->set_reference_price(text(mark(p.reference)));
      if (const auto bps = premium_bps(mark(p.local), mark(p.rate), mark(p.reference))) out->set_premium_bps(dec(*bps));
    }
    return std::nullopt;
  });
}

grpc::Status OmsService::ListStrategies(grpc::ServerContext* ctx, const api::v1::StrategiesRequest* req,
    api::v1::StrategyList* reply) {
  return guarded(ctx, "ListStrategies", [&](const ApiClient& c) { return list_strategies(c, req, reply); });
}

// The body keeps the indentation it had in the RPC's lambda (a small diff).
std::optional<ApiError> OmsService::list_strategies(const ApiClient& /*c*/, const api::v1::StrategiesRequest* req,
    api::v1::StrategyList* reply) {
  {
    auto ids = core_.strategies(*req);
    if (!ids) return ids.error();
    for (const StrategyId id : *ids) {
      auto v = runtime_.strategy(id, timeout_);
      if (!v) return ApiError{ApiStatus::kUnavailable, "runtime: " + v.error()};
      const StrategyView& sv = **v;
      auto* p = reply->add_strategies();
      p->set_name(core_.strategy_name(id));
      p->set_type(sv.kind == StrategyKind::kArbitrage      ? "arbitrage"
                  : sv.kind == StrategyKind::kMarketMaking ? "market_making"
                                                           : "other");
      p->set_state(std::string(enum_name(sv.state)));
      for (const auto& [k, val] : sv.params) {
        auto* kv = p->add_params();
        kv->set_key(k);
        kv->set_value(val);
      }
      for (const auto& q : sv.quoters) {
        auto* qp = p->add_quoters();
        qp->set_account(core_.account_name(q.account));
        qp->set_instrument(core_.instrument_name(q.instrument));
        qp->set_state(std::string(to_string(q.state)));
        qp->set_fair(dec(q.fair));
        qp->set_inventory(dec(q.inventory));
        qp->set_quotes(static_cast<std::uint32_t>(q.quotes));
        qp->set_actions(q.actions);
        qp->set_pulls(q.pulls);
      }
      for (const auto& f : sv.pnl) {
        auto* pp = p->add_pnl();
        pp->set_quote(f.quote.str());
        if (f.overflow) {  // a sum beyond 128 bits: said, never a wrapped figure
          for (auto* field : {pp->mutable_realized(), pp->mutable_unrealized(), pp->mutable_fees(), pp->mutable_net()}) {
            *field = "overflow";
          }
          continue;
        }
        pp->set_realized(dec_e18(f.realized_e18));
        pp->set_unrealized(dec_e18(f.unrealized_e18));
        pp->set_fees(dec_e18(f.fees_e18));
        pp->set_net(dec_e18(f.net_e18()));
      }
      p->set_orders(sv.orders);
      p->set_pairs(static_cast<std::uint32_t>(sv.pairs));
      if (sv.kind == StrategyKind::kArbitrage) {
        const SagaFiguresView& g = sv.sagas;
        auto* f = p->mutable_sagas();
        f->set_opened(g.opened);
        f->set_open(g.open);
        f->set_closed(g.closed);
        f->set_hedged(g.hedged);
        f->set_missed(g.missed);
        f->set_unwound(g.unwound);
        f->set_failed(g.failed);
        f->set_refused(g.refused);
        f->set_last_refusal(g.last_refusal);
        f->set_pnl(dec(g.pnl));
        if (g.acked > 0) f->set_leg_latency_avg_us(static_cast<std::uint64_t>(g.latency_sum / 1000) / g.acked);
        if (g.slipped > 0) {
          f->set_slippage_avg(dec(Decimal::from_raw(g.slippage_sum.raw() / static_cast<std::int64_t>(g.slipped))));
        }
        for (const ArbSagaStep& st : g.open_sagas) {
          auto* o = f->add_open_sagas();
          o->set_saga(st.saga);
          o->set_state(std::string(enum_name(st.state)));
          o->set_buy(core_.account_name(st.buy_account) + " " + core_.instrument_name(st.buy_instrument) +
                     " " + st.buy_order.str());
          o->set_sell(core_.account_name(st.sell_account) + " " +
                      core_.instrument_name(st.sell_instrument) + " " + st.sell_order.str());
          o->set_quantity(dec(st.quantity));
          o->set_bought(dec(st.bought));
          o->set_sold(dec(st.sold));
          o->set_repair_order(st.repair_order.str());
          o->set_attempts(st.attempts);
          o->set_reason(st.reason.str());
        }
      }
    }
    return std::nullopt;
  }
}

grpc::Status OmsService::ControlStrategy(grpc::ServerContext* ctx,
                                         const api::v1::StrategyControlRequest* req,
                                         api::v1::CommandReply* reply) {
  return guarded(ctx, "ControlStrategy", [&](const ApiClient& c) -> std::optional<ApiError> {
    auto commands = core_.control(c, *req);
    if (!commands) return commands.error();
    // In order; the first refusal ends it (the reply is that refusal: nothing after it ran).
    for (const auto& payload : *commands) {
      if (auto e = run(core_.next_command_id(wall_clock_()), payload, reply)) return e;
      if (!reply->accepted()) break;
    }
    return std::nullopt;
  });
}

}  // namespace oms::actors::gateway_detail
