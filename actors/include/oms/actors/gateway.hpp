// The gateway: the gRPC API of the daemon (messages/proto/oms.proto) over TLS 1.3.
//
// GatewayCore is the pure part, testable without gRPC: who the clients are (tokens file),
// which accounts each may use, a token bucket per client (clock injected), and the
// translation of API requests into commands, with "field: what is wrong" for bad input.
// GatewayServer is the shell: a grpc::Server whose handlers authenticate, rate-limit,
// validate through the core, and call the Runtime.
//
// Names at this edge: accounts by their configured name ("acct-a"), strategies by name,
// instruments by the canonical symbol on the account's venue ("BTC/USDT", "BTC/USDT:USDT")
// or by the full directory name ("binance:spot:BTC/USDT").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/account_router.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/cores/rebalance_planner.hpp"
#include "oms/api/v1/oms.pb.h"
#include "oms/messages/codec.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

class Runtime;
struct CommandAck;

// One API client of the tokens file:
//   {"clients":[{"name":"ops","token":"<hex>","accounts":["*"],"rate_per_s":50,"burst":100}]}
struct ApiClient {
  std::string name;
  std::string token;              // hex, at least 32 digits (128 bits)
  bool all_accounts = false;      // "*"
  std::vector<AccountId> accounts;
  std::uint32_t rate_per_s = 0;   // token bucket refill
  std::uint32_t burst = 0;        // bucket capacity
};

// Parses a tokens file's text; errors name the source and the field
// ("api/tokens.json: clients[1].accounts[0]: unknown account 'nope'").
[[nodiscard]] Result<std::vector<ApiClient>, std::string> parse_api_clients(
    std::string_view text, std::string_view source, const Directory& directory);
[[nodiscard]] Result<std::vector<ApiClient>, std::string> load_api_clients(
    const std::filesystem::path& path, const Directory& directory);

// What the API answers when it refuses (mapped 1:1 to gRPC status codes by the server).
enum class ApiStatus : std::uint8_t {
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kInvalidArgument,
  kUnavailable,
};
struct ApiError {
  ApiStatus status = ApiStatus::kInvalidArgument;
  std::string message;  // kInvalidArgument: "field: what is wrong"
};

// An account the gateway serves, with its venue (instrument symbols resolve on it).
struct GatewayAccount {
  GatewayAccount(AccountId account, ExchangeId venue, std::vector<Market> traded = {}, AccountId main_account = {})
      : id(account), exchange(venue), markets(std::move(traded)), main(main_account) {}
  AccountId id;
  ExchangeId exchange = ExchangeId::kBinance;
  std::vector<Market> markets;  // the markets it trades; empty: every market
  AccountId main;               // its main account (itself for a main account); invalid: unknown
};

// Venue failover of API orders (accounts.yaml account_routing.failover): an order for `from`
// whose venue is down goes to the first of `to` whose venue is up and that lists the same
// instrument (canonical symbol and market).
struct GatewayFailover {
  AccountId from;
  std::vector<AccountId> to;
};
// Whether an account's connection to a market is up now (its session started and its venue's
// user stream connected): the daemon's health, read at the call.
using VenueUp = std::function<bool(AccountId, Market)>;
struct FailoverChoice {
  AccountId from, to;
  std::string reason;  // "bybit_main: bybit spot is down; routed to okx_main (failover)"
};

// Account routing (accounts.yaml account_routing, cores/account_router.hpp): the order budget an
// account has left on a market now (the connectors' rate-limit buckets), read at the call;
// nullopt: not known (counted as none left).
using OrdersLeft = std::function<std::optional<std::uint32_t>(AccountId, Market)>;
// An account's free balance of an asset on a market now (the engine's view), read at the call.
using FreeBalance = std::function<Decimal(AccountId, Market, std::string_view asset)>;
struct RoutedAccount {
  RouteChoice choice;
  std::string reason;  // "strategy market_making -> binance_mm (routing rule)", "default account"
};

// Transfers (omsd's transfer service, around the engine: actors/apps/omsd/transfer_service.hpp).
struct TransferInfo {
  TransferRequested request;
  std::string status;  // requested | submitted | unknown | completed | failed
  std::string venue_transfer_id;
  std::uint16_t code = 0;
  std::int32_t venue_code = 0;
  std::string reason;
  std::int64_t requested_ms = 0;
  bool duplicate = false;  // request(): the id was known, this is the first request's transfer
};
class TransferDesk {
 public:
  virtual ~TransferDesk() = default;
  // A new transfer is recorded and run (the call waits at most `wait` for its outcome); an id
  // already known answers that transfer (duplicate). A refusal is "field: what is wrong".
  [[nodiscard]] virtual Result<TransferInfo, std::string> request(const TransferRequested& r,
                                                                  std::chrono::milliseconds wait) = 0;
  // The most recent transfers, newest first.
  [[nodiscard]] virtual std::vector<TransferInfo> recent(std::size_t limit) const = 0;
  // The rebalancing plan from the balances now; a refusal names why.
  [[nodiscard]] virtual Result<RebalancePlan, std::string> plan_rebalance() = 0;
};

class GatewayCore {
 public:
  using Clock = std::function<std::int64_t()>;  // monotonic ns (token buckets)

  // directory and instruments must outlive the core.
  GatewayCore(std::vector<ApiClient> clients, const Directory& directory,
              const InstrumentTable& instruments, std::vector<GatewayAccount> accounts,
              Clock clock, std::uint16_t desk = 0);

  // The client whose token the metadata value "Bearer <token>" carries; the pointer keeps the
  // client as it was when the call began, whatever replace_clients does meanwhile.
  [[nodiscard]] Result<std::shared_ptr<const ApiClient>, ApiError> authenticate(
      std::string_view authorization) const;
  // Takes one token from the client's bucket; false when it is empty.
  [[nodiscard]] bool admit(const ApiClient& client);
  // The tokens file read again (omsd: on SIGHUP): calls from now on authenticate against these
  // clients -- a removed token is refused at its next call, a new one served; a client kept by
  // name keeps its bucket (a reload does not refill it).
  void replace_clients(std::vector<ApiClient> clients);
  // A call that failed to authenticate, from host (the peer's address without its port): true
  // while the host is under kUnauthenticatedPerSecond (burst kUnauthenticatedBurst); false once
  // it is over -- the call is then answered RESOURCE_EXHAUSTED before anything else.
  [[nodiscard]] bool admit_unauthenticated(std::string_view host);
  static constexpr std::uint32_t kUnauthenticatedPerSecond = 5;
  static constexpr std::uint32_t kUnauthenticatedBurst = 20;
  // A token bucket (admit, admit_unauthenticated).
  struct Bucket {
    std::int64_t tokens_e9 = 0;  // tokens x 1e9
    std::int64_t last_ns = 0;
  };
  // The account by name, if the client may use it (kInvalidArgument: unknown name, naming the
  // field; kPermissionDenied: not the client's).
  [[nodiscard]] Result<AccountId, ApiError> account(const ApiClient& client, std::string_view field,
                                                    std::string_view name) const;
  [[nodiscard]] std::vector<AccountId> visible_accounts(const ApiClient& client) const;
  [[nodiscard]] bool may_use(const ApiClient& client, AccountId account) const;
  // An instrument by canonical symbol on the account's venue, or by its directory name.
  [[nodiscard]] Result<InstrumentId, ApiError> instrument(AccountId account, std::string_view field,
                                                          std::string_view symbol) const;

  // Failover routes and the venue status they consult (set once, before serving).
  void set_failover(std::vector<GatewayFailover> routes, VenueUp venue_up);
  // When o's account's connection to o's market is down and a route names an alternative
  // that is up, that the client may use and that lists o's instrument: o moves there (account,
  // instrument; a generated client order id is generated again for the new account, a
  // client's own is kept). nullopt: o unchanged (no route, its venue up, or no alternative up
  // -- the order then goes to its venue as asked, and fails there if it is still down).
  [[nodiscard]] std::optional<FailoverChoice> route(const ApiClient& client, SubmitOrder& o,
                                                    bool generated_id, std::uint64_t sequence) const;

  // Routing rules for orders that name no account, and the budgets they consult (set once,
  // before serving).
  void set_routing(RouteRules rules, OrdersLeft orders_left);
  [[nodiscard]] bool routes() const noexcept { return !routing_.empty(); }
  // The account an order that names none goes to (choose_account over the accounts the client
  // may use that trade the order's instrument). kInvalidArgument "account: missing ..." when no
  // routing is set or no rule gives one.
  [[nodiscard]] Result<RoutedAccount, ApiError> route_account(const ApiClient& client,
                                                              const api::v1::SubmitOrderRequest& r,
                                                              const FreeBalance& free) const;
  // What a list request covers (ListOrders, ListFills, ListBalances, ListPositions): the named
  // account, or every account the client may see, narrowed by exchange (a venue's name), main
  // (a main account and its subs) and instrument (a canonical symbol on every venue that lists
  // it -- on `exchange` only when given -- or exchange:market:SYMBOL: the accounts of its
  // venues). kInvalidArgument names the field.
  struct ListScope {
    std::vector<AccountId> accounts;        // in the gateway's account order
    std::vector<InstrumentId> instruments;  // empty: no instrument filter
    [[nodiscard]] bool covers(InstrumentId id) const;
  };
  [[nodiscard]] Result<ListScope, ApiError> list_scope(const ApiClient& client, std::string_view account,
                                                       std::string_view exchange, std::string_view main,
                                                       std::string_view instrument) const;
  // An account the gateway serves, or nullptr.
  [[nodiscard]] const GatewayAccount* served(AccountId id) const;

  // Command ids: strictly increasing, at least the wall-clock ns, so they never repeat across
  // restarts of the daemon.
  [[nodiscard]] EventId next_command_id(TimeNs wall_now) noexcept;

  // Requests -> commands. `sequence` numbers a generated client order id (the command id).
  [[nodiscard]] Result<SubmitOrder, ApiError> submit(const ApiClient& client,
                                                     const api::v1::SubmitOrderRequest& r,
                                                     std::uint64_t sequence) const;
  // A batch request -> its orders as SubmitBatch commands in order, each at most
  // batch_command_size() of the account's venue and the orders' markets (cores/batch.hpp).
  // sequences[i] numbers orders[i]'s generated client order id (one per entry). Errors name
  // the entry ("orders[3].price: ..."); the batch's account is checked first ("account: ...").
  [[nodiscard]] Result<std::vector<SubmitBatch>, ApiError> batch(
      const ApiClient& client, const api::v1::SubmitBatchRequest& r,
      std::span<const std::uint64_t> sequences) const;
  [[nodiscard]] Result<AmendOrder, ApiError> amend(const ApiClient& client,
                                                   const api::v1::AmendOrderRequest& r) const;
  [[nodiscard]] Result<CancelOrder, ApiError> cancel(const ApiClient& client,
                                                     const api::v1::CancelOrderRequest& r) const;
  [[nodiscard]] Result<CancelAllOrders, ApiError> cancel_all(
      const ApiClient& client, const api::v1::CancelAllRequest& r) const;
  [[nodiscard]] Result<SetRiskLimit, ApiError> set_limit(
      const ApiClient& client, const api::v1::SetRiskLimitRequest& r) const;
  [[nodiscard]] Result<TripKillSwitch, ApiError> trip(const ApiClient& client,
                                                      const api::v1::KillSwitchRequest& r) const;
  [[nodiscard]] Result<ResetKillSwitch, ApiError> reset(const ApiClient& client,
                                                        const api::v1::KillSwitchRequest& r) const;

  // A strategy control request -> its commands in order (start; stop; one SetStrategyParam per
  // parameter). Strategies trade on several accounts: only clients with "*" may control them.
  [[nodiscard]] Result<std::vector<CommandPayload>, ApiError> control(
      const ApiClient& client, const api::v1::StrategyControlRequest& r) const;
  // The strategies a list request names (every one for an empty name).
  [[nodiscard]] Result<std::vector<StrategyId>, ApiError> strategies(
      const api::v1::StrategiesRequest& r) const;

  // Execution algos (gateway_algos.cpp): a submit request -> SubmitAlgo (start 0: wall_now);
  // a control request -> ControlAlgo. Errors name the field.
  [[nodiscard]] Result<SubmitAlgo, ApiError> submit_algo(const ApiClient& client,
                                                         const api::v1::SubmitAlgoRequest& r,
                                                         TimeNs wall_now) const;
  [[nodiscard]] Result<ControlAlgo, ApiError> control_algo(const ApiClient& client,
                                                           const api::v1::AlgoControlRequest& r) const;
  // Smart order routing (gateway_algos.cpp): a request -> SubmitSor, each account it may use
  // with its order budget now (the routing's figures; unknown: 1, a child is one order).
  [[nodiscard]] Result<SubmitSor, ApiError> submit_sor(const ApiClient& client,
                                                       const api::v1::SubmitSorRequest& r) const;
  // A transfer request (gateway_transfers.cpp) -> the transfer (transfer_id 0: `generated`).
  // Errors name the field; an account the client may not use is kPermissionDenied.
  [[nodiscard]] Result<TransferRequested, ApiError> transfer(const ApiClient& client,
                                                             const api::v1::TransferRequest& r,
                                                             std::uint64_t generated) const;

  // Names for replies.
  [[nodiscard]] std::string account_name(AccountId id) const;
  [[nodiscard]] std::string strategy_name(StrategyId id) const;
  [[nodiscard]] std::string instrument_name(InstrumentId id) const;  // canonical symbol
  [[nodiscard]] const Directory& directory() const noexcept { return directory_; }
  [[nodiscard]] const InstrumentTable& instruments() const noexcept { return instruments_; }

 private:
  struct Scope {
    LimitScope scope = LimitScope::kGlobal;
    AccountId account;
    StrategyId strategy;
  };
  [[nodiscard]] Result<Scope, ApiError> scope(const ApiClient& client, std::string_view scope_text,
                                              std::string_view account_text,
                                              std::string_view strategy_text,
                                              bool instrument_allowed) const;
  [[nodiscard]] Result<StrategyId, ApiError> strategy(std::string_view field,
                                                      std::string_view name) const;
  // What every parent order (an execution algo, a smart-routed parent) names, each field
  // checked (gateway_algos.cpp); `whose` words the missing strategy ("an algo's").
  struct ParentFields {
    AccountId account;
    StrategyId strategy;
    InstrumentId instrument;
    Side side = Side::kBuy;
    Decimal quantity, limit_price;
  };
  [[nodiscard]] Result<ParentFields, ApiError> parent_fields(
      const ApiClient& client, std::string_view account, std::string_view strategy,
      std::string_view instrument, std::string_view side, std::string_view quantity,
      std::string_view limit_price, std::string_view whose) const;

  mutable std::mutex clients_mutex_;
  std::shared_ptr<const std::vector<ApiClient>> clients_;  // replaced whole (replace_clients)
  const Directory& directory_;
  const InstrumentTable& instruments_;
  std::vector<GatewayAccount> accounts_;
  std::vector<GatewayFailover> failover_;
  VenueUp venue_up_;
  RouteRules routing_;
  OrdersLeft orders_left_;
  Clock clock_;
  std::uint16_t desk_;
  std::mutex buckets_mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;             // by client name
  std::map<std::string, Bucket, std::less<>> unauthenticated_;     // by peer host
  std::atomic<EventId> last_command_id_{0};
};

// The most orders one SubmitBatch call carries: 20 commands of 5 -- its reply (an entry per
// order) stays small, and the call holds its gRPC thread only while the engine takes them.
inline constexpr std::size_t kMaxBatchRequestOrders = 100;

// Text helpers the core's validation uses (exposed for tests and omsctl).
// A client's value as an error shows it: quoted, at most 64 bytes of it, then "... (N bytes)"
// (a 64 KB field must not make a 64 KB answer: gRPC carries the message in the trailers).
[[nodiscard]] std::string quoted_value(std::string_view value);
// Every API error message at most this long (the service cuts longer ones).
inline constexpr std::size_t kMaxErrorMessage = 512;
// A decimal field: "price: '1.5.5' is not a decimal (syntax)"; empty allowed when !required.
[[nodiscard]] Result<Decimal, ApiError> parse_decimal_field(std::string_view field,
                                                            std::string_view text, bool required);

struct GatewayOptions {
  std::string address = "127.0.0.1:50051";  // port 0: any free port (see GatewayServer::port)
  std::filesystem::path cert, key;          // PEM files
  std::chrono::milliseconds command_timeout{5000};
  std::uint16_t desk = 0;                   // generated client order ids
  std::function<TimeNs()> wall_clock;       // null: the system clock (command ids)
  std::function<std::int64_t()> monotonic;  // null: steady_clock (rate limits)
  // Called after every RPC with its name ("SubmitOrder"), its gRPC status code (0 = OK) and
  // its duration in ns (metrics); on the RPC's thread; null: nothing.
  std::function<void(std::string_view rpc, int status, std::int64_t ns)> on_call;
  // Venue failover of API orders (GatewayCore::route); venue_up null: no failover.
  std::vector<GatewayFailover> failover;
  VenueUp venue_up;
  // Called when an order was routed away from its account's venue (an alert, a metric).
  std::function<void(const FailoverChoice&)> on_failover;
  // Account routing of orders that name no account (GatewayCore::route_account); empty rules:
  // an order must name its account.
  RouteRules routing;
  OrdersLeft orders_left;
  // Called when the engine accepted a TripKillSwitch (omsd: the venue sweep, kill_sweep.hpp);
  // on the RPC's thread, so it must not block on a venue; null: nothing.
  std::function<void(const TripKillSwitch&)> on_kill_switch;
  // RequestTransfer, ListTransfers, Rebalance (omsd's transfer service); null: UNAVAILABLE.
  TransferDesk* transfers = nullptr;
};

// The gRPC server: TLS 1.3 only, the Oms service over the runtime. Throws std::runtime_error
// when the certificate files cannot be read or the address cannot be bound.
class GatewayServer {
 public:
  GatewayServer(GatewayOptions options, std::vector<ApiClient> clients, Runtime& runtime,
                const Directory& directory, const InstrumentTable& instruments,
                std::vector<GatewayAccount> accounts);
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  [[nodiscard]] int port() const noexcept;
  // omsd's dashboard (the ObservabilityServer's /api/dashboard): for the client whose token
  // `authorization` ("Bearer <hex>") carries, what ListPositions (per account and unified),
  // ListBalances, ListOrders (open orders only) and ListStrategies answer it, each as omsctl's
  // --json prints the reply, in one object:
  //   {"client":"omsctl","positions":{..},"unified":{..},"balances":{..},"orders":{..},
  //    "strategies":{..}}
  // Authenticated and rate-limited like one RPC (an unknown token: kUnauthenticated; an empty
  // bucket: kResourceExhausted); the views are the engine's, read as the RPCs read them.
  // sees_every_account (optional): whether the client may see every account -- the unified
  // PnL chart covers them all, so it is shown only to such a client. peer: the caller's IP
  // address; a refused token is logged with it (never the token) and an address past the
  // unauthenticated calls' bucket is answered kResourceExhausted, as for the RPCs.
  [[nodiscard]] Result<std::string, ApiError> dashboard(std::string_view authorization,
                                                        bool* sees_every_account = nullptr,
                                                        std::string_view peer = {});
  // The unified PnL now, in USDT at the engine's marks: over every account's positions, realized
  // plus unrealized as ListPositions --unified values them (fees are in the realized figure's
  // asset, not subtracted here). nullopt: a leg without a mark, or the engine not answering.
  [[nodiscard]] std::optional<Decimal> unified_pnl_usdt();
  // The tokens file read again (GatewayCore::replace_clients): from the next call on.
  void replace_clients(std::vector<ApiClient> clients);
  // Stops accepting calls and waits (bounded by deadline) for the running ones.
  void shutdown(std::chrono::milliseconds deadline = std::chrono::milliseconds(2000));

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::actors
