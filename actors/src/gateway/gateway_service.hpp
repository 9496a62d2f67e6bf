// The Oms gRPC service over GatewayCore and the Runtime (private to the gateway library).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <optional>

#include "oms/actors/gateway.hpp"
#include "oms/actors/runtime.hpp"
#include "oms/cores/valuation.hpp"
#include "oms/api/v1/oms.grpc.pb.h"

namespace oms::actors::gateway_detail {

// The host of a gRPC peer ("ipv4:127.0.0.1:5432" -> "ipv4:127.0.0.1"), printable and short.
[[nodiscard]] std::string peer_host(std::string_view peer);

// At most one log line a second per key; counts what it held back.
class LogThrottle {
 public:
  [[nodiscard]] bool allow(const std::string& key, std::chrono::steady_clock::time_point now);
  [[nodiscard]] std::uint64_t take_suppressed(const std::string& key);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t suppressed = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

class OmsService final : public api::v1::Oms::Service {
 public:
  OmsService(GatewayCore& core, Runtime& runtime, std::chrono::milliseconds timeout,
             std::function<TimeNs()> wall_clock,
             std::function<void(std::string_view, int, std::int64_t)> on_call = nullptr,
             std::function<void(const FailoverChoice&)> on_failover = nullptr,
             std::function<void(const oms::TripKillSwitch&)> on_kill_switch = nullptr)
      : core_(core),
        runtime_(runtime),
        timeout_(timeout),
        wall_clock_(std::move(wall_clock)),
        on_call_(std::move(on_call)),
        on_failover_(std::move(on_failover)),
        on_kill_switch_(std::move(on_kill_switch)) {}

  grpc::Status SubmitOrder(grpc::ServerContext* ctx, const api::v1::SubmitOrderRequest* req,
                           api::v1::CommandReply* reply) override;
  grpc::Status SubmitBatch(grpc::ServerContext* ctx, const api::v1::SubmitBatchRequest* req,
                           api::v1::BatchReply* reply) override;
  grpc::Status AmendOrder(grpc::ServerContext* ctx, const api::v1::AmendOrderRequest* req,
                          api::v1::CommandReply* reply) override;
  grpc::Status CancelOrder(grpc::ServerContext* ctx, const api::v1::CancelOrderRequest* req,
                           api::v1::CommandReply* reply) override;
  grpc::Status CancelAll(grpc::ServerContext* ctx, const api::v1::CancelAllRequest* req,
                         api::v1::CommandReply* reply) override;
  grpc::Status ListOrders(grpc::ServerContext* ctx, const api::v1::AccountRequest* req,
                          api::v1::OrderList* reply) override;
  grpc::Status ListFills(grpc::ServerContext* ctx, const api::v1::AccountRequest* req,
                         api::v1::FillList* reply) override;
  grpc::Status ListBalances(grpc::ServerContext* ctx, const api::v1::AccountRequest* req,
                            api::v1::BalanceList* reply) override;
  grpc::Status ListPositions(grpc::ServerContext* ctx, const api::v1::PositionsRequest* req,
                             api::v1::PositionList* reply) override;
  grpc::Status SetRiskLimit(grpc::ServerContext* ctx, const api::v1::SetRiskLimitRequest* req,
                            api::v1::CommandReply* reply) override;
  grpc::Status TripKillSwitch(grpc::ServerContext* ctx, const api::v1::KillSwitchRequest* req,
                              api::v1::CommandReply* reply) override;
  grpc::Status ResetKillSwitch(grpc::ServerContext* ctx, const api::v1::KillSwitchRequest* req,
                               api::v1::CommandReply* reply) override;
  grpc::Status ListStrategies(grpc::ServerContext* ctx, const api::v1::StrategiesRequest* req,
                              api::v1::StrategyList* reply) override;
  grpc::Status ControlStrategy(grpc::ServerContext* ctx, const api::v1::StrategyControlRequest* req,
                               api::v1::CommandReply* reply) override;
  grpc::Status Health(grpc::ServerContext* ctx, const api::v1::HealthRequest* req,
                      api::v1::HealthReply* reply) override;
  grpc::Status ListPremiums(grpc::ServerContext* ctx, const api::v1::PremiumsRequest* req,
                            api::v1::PremiumList* reply) override;
  // gateway_algos.cpp
  grpc::Status SubmitAlgo(grpc::ServerContext* ctx, const api::v1::SubmitAlgoRequest* req,
                          api::v1::CommandReply* reply) override;
  grpc::Status ListAlgos(grpc::ServerContext* ctx, const api::v1::AlgosRequest* req,
                         api::v1::AlgoList* reply) override;
  grpc::Status ControlAlgo(grpc::ServerContext* ctx, const api::v1::AlgoControlRequest* req,
                           api::v1::CommandReply* reply) override;
  grpc::Status SubmitSor(grpc::ServerContext* ctx, const api::v1::SubmitSorRequest* req,
                         api::v1::CommandReply* reply) override;
  // gateway_transfers.cpp
  grpc::Status RequestTransfer(grpc::ServerContext* ctx, const api::v1::TransferRequest* req,
                               api::v1::TransferReply* reply) override;
  grpc::Status ListTransfers(grpc::ServerContext* ctx, const api::v1::TransfersRequest* req,
                             api::v1::TransferList* reply) override;
  grpc::Status Rebalance(grpc::ServerContext* ctx, const api::v1::RebalanceRequest* req,
                         api::v1::RebalanceReply* reply) override;
  // gateway_records.cpp
  grpc::Status ShowRecord(grpc::ServerContext* ctx, const api::v1::RecordRequest* req,
                          api::v1::RecordReply* reply) override;
  grpc::Status QuarantineRecord(grpc::ServerContext* ctx, const api::v1::QuarantineRequest* req,
                                api::v1::RecordReply* reply) override;
  void set_transfers(TransferDesk* transfers) { transfers_ = transfers; }

  // The bodies of ListOrders, ListBalances, ListPositions and ListStrategies for an
  // authenticated client (the RPCs and the dashboard share them).
  std::optional<ApiError> list_orders(const ApiClient& c, const api::v1::AccountRequest* req,
                                      api::v1::OrderList* reply);
  std::optional<ApiError> list_balances(const ApiClient& c, const api::v1::AccountRequest* req,
                                        api::v1::BalanceList* reply);
  std::optional<ApiError> list_positions(const ApiClient& c, const api::v1::PositionsRequest* req,
                                         api::v1::PositionList* reply);
  std::optional<ApiError> list_strategies(const ApiClient& c, const api::v1::StrategiesRequest* req,
                                          api::v1::StrategyList* reply);
  // GatewayServer::dashboard and unified_pnl_usdt (gateway_dashboard.cpp).
  Result<std::string, ApiError> dashboard(std::string_view authorization, bool* sees_every_account,
                                          std::string_view peer);
  std::optional<Decimal> unified_pnl_usdt();

  // The markets ListPremiums reports (valuation.hpp premium_pairs), the venue of each id, and
  // how each instrument's quote converts to USDT (quote_sources) for the positions' USDT figures.
  void set_valuation(std::vector<PremiumPair> pairs, std::vector<ExchangeId> venue_of,
                     std::vector<QuoteSource> sources, std::vector<std::string> quotes) {
    premiums_ = std::move(pairs);
    venue_of_ = std::move(venue_of);
    sources_ = std::move(sources);
    quotes_ = std::move(quotes);
  }

 private:
  using Handler = std::function<std::optional<ApiError>(const ApiClient&)>;
  // Authenticates, rate-limits, runs the handler, maps its error to a status.
  // Times the call (on_call) around checked(): authentication, rate limit, the handler.
  grpc::Status guarded(grpc::ServerContext* ctx, std::string_view rpc, const Handler& handler);
  grpc::Status checked(grpc::ServerContext* ctx, std::string_view rpc, const Handler& handler);
  // Sends a command and copies the ack into the reply.
  std::optional<ApiError> run(EventId id, const CommandPayload& payload,
                              api::v1::CommandReply* reply, TimeNs received_ns = 0);
  Result<AccountViewPtr, ApiError> view(AccountId account);

  GatewayCore& core_;
  Runtime& runtime_;
  std::chrono::milliseconds timeout_;
  std::function<TimeNs()> wall_clock_;
  std::function<void(std::string_view, int, std::int64_t)> on_call_;
  std::function<void(const FailoverChoice&)> on_failover_;
  std::function<void(const oms::TripKillSwitch&)> on_kill_switch_;
  std::vector<PremiumPair> premiums_;
  std::vector<ExchangeId> venue_of_;  // by instrument id
  std::vector<QuoteSource> sources_;  // by instrument id
  std::vector<std::string> quotes_;   // by instrument id
  LogThrottle unauthenticated_log_;
  TransferDesk* transfers_ = nullptr;
};

}  // namespace oms::actors::gateway_detail
