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
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/position_core.hpp"
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
  AccountId id;
  ExchangeId exchange = ExchangeId::kBinance;
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

class GatewayCore {
 public:
  using Clock = std::function<std::int64_t()>;  // monotonic ns (token buckets)

  // directory and instruments must outlive the core.
  GatewayCore(std::vector<ApiClient> clients, const Directory& directory,
              const InstrumentTable& instruments, std::vector<GatewayAccount> accounts,
              Clock clock, std::uint16_t desk = 0);

  // The client whose token the metadata value "Bearer <token>" carries.
  [[nodiscard]] Result<const ApiClient*, ApiError> authenticate(std::string_view authorization) const;
  // Takes one token from the client's bucket; false when it is empty.
  [[nodiscard]] bool admit(const ApiClient& client);
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

  // Command ids: strictly increasing, at least the wall-clock ns, so they never repeat across
  // restarts of the daemon.
  [[nodiscard]] EventId next_command_id(TimeNs wall_now) noexcept;

  // Requests -> commands. `sequence` numbers a generated client order id (the command id).
  [[nodiscard]] Result<SubmitOrder, ApiError> submit(const ApiClient& client,
                                                     const api::v1::SubmitOrderRequest& r,
                                                     std::uint64_t sequence) const;
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

  // Names for replies.
  [[nodiscard]] std::string account_name(AccountId id) const;
  [[nodiscard]] std::string strategy_name(StrategyId id) const;
  [[nodiscard]] std::string instrument_name(InstrumentId id) const;  // canonical symbol
  [[nodiscard]] const Directory& directory() const noexcept { return directory_; }
  [[nodiscard]] const InstrumentTable& instruments() const noexcept { return instruments_; }

 private:
  struct Bucket {
    std::int64_t tokens_e9 = 0;  // tokens x 1e9
    std::int64_t last_ns = 0;
  };
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

  std::vector<ApiClient> clients_;
  const Directory& directory_;
  const InstrumentTable& instruments_;
  std::vector<GatewayAccount> accounts_;
  std::vector<GatewayFailover> failover_;
  VenueUp venue_up_;
  Clock clock_;
  std::uint16_t desk_;
  std::mutex buckets_mutex_;
  std::vector<Bucket> buckets_;  // by client index
  std::atomic<EventId> last_command_id_{0};
};

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
  // Called when the engine accepted a TripKillSwitch (omsd: the venue sweep, kill_sweep.hpp);
  // on the RPC's thread, so it must not block on a venue; null: nothing.
  std::function<void(const TripKillSwitch&)> on_kill_switch;
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
  // Stops accepting calls and waits (bounded by deadline) for the running ones.
  void shutdown(std::chrono::milliseconds deadline = std::chrono::milliseconds(2000));

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::actors
