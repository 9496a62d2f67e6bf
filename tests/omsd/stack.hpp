// The paper-trading stack as separate processes, the way deploy/run starts it: a real
// nats-server with JetStream, the venue-sim binary (random walk, paper keys), and omsd, each on
// free loopback ports in one temp dir; omsd can be stopped, SIGKILLed and started again over
// the same data dir. Everything is stopped in the destructor.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "oms/persistence/jetstream_store.hpp"
#include "testkit/child_process.hpp"
#include "testkit/nats_server.hpp"
#include "testkit/temp_dir.hpp"

namespace oms::omsd::test {

struct StackOptions {
  std::string store = "jetstream";  // or "file"
  std::vector<std::string> venue_flags{"--random-walk", "7", "--walk-interval-ms", "50"};
  std::vector<std::string> omsd_flags;
  // Runs on the copied configs dir before the paper keys are made and venue-sim starts (more
  // accounts, other limits).
  std::function<void(const std::filesystem::path&)> edit_configs;
  // venue-sim's JSON config (--config), written beside the paper keys: accounts' fee rates and
  // the like (the paper keys fill in their keys by name).
  std::string venue_config;
  // A 3-node JetStream cluster (deploy/nats/cluster-n*.conf: no TLS, no user) in place of the
  // one TLS server; omsd gets every node's URL.
  bool nats_cluster = false;
};

// omsctl's argv (OMSCTL_BIN first) run with the LSan suppressions of its gRPC teardown; bounded.
testkit::RunResult run_omsctl(std::vector<std::string> argv, std::chrono::milliseconds bound);

// Replaces the first `from` in the file with `to`; throws naming the file when it is absent.
void replace_in_file(const std::filesystem::path& file, const std::string& from,
                     const std::string& to);

// The configs dir's perp_arbitrage strategy becomes a spot/USD-M basis pair on binance_basis
// (`legs: [binance:BTC/USDT, binance:BTC/USDT:USDT]`) that fires whenever the two books cross:
// no taker fees, the smallest profit rate, 100 USDT a leg, at most once per 250 ms; binance_basis
// may hold 60,000 USDT gross (risk.yaml's; accounts.yaml's max_position_usdt raised to it).
void use_basis_pair(const std::filesystem::path& configs);
// risk.yaml's automatic kill switch off (kill_switch.enabled: false): for the benchmarks, whose
// round trips cross the spread and so close at a loss each time -- the example's thresholds
// (10 losing closes in a row) would halt them; latency, not policy, is what they measure.
void no_auto_kill_switch(const std::filesystem::path& configs);
// The orders are the test's: every strategy disabled (strategies.yaml), and the example's
// consecutive-loss limits (risk.yaml: the kill switch's 10, the pre-trade limit's 20) lifted to
// 100000 -- market buys and sells in turn pay the spread, each sell a losing close.
void test_orders_only(const std::filesystem::path& configs);
// venue-sim's config for it: binance_basis pays no fees at the venue either (omsd prices the
// legs with the venue's rates, which would otherwise be venue-sim's 10 bps).
std::string basis_pair_venue_config();

class Stack {
 public:
  explicit Stack(StackOptions options = {});
  ~Stack();

  // env: NAME=VALUE entries over the inherited environment (OMS_FAILPOINTS arms kill points).
  void start_omsd(std::vector<std::string> env = {});  // waits for "omsd ready"
  // Starts omsd and returns: whether it said "omsd ready" within the bound (false: it ended
  // first, or the bound passed).
  [[nodiscard]] bool launch_omsd(std::vector<std::string> env, std::chrono::milliseconds bound);
  // Waits for omsd's end within the bound: its exit code (128 + signal: 137 for SIGKILL), or -1
  // when it still runs.
  int wait_omsd_exit(std::chrono::milliseconds bound);
  int stop_omsd();                    // SIGTERM; the exit code
  void kill_omsd();                   // SIGKILL
  [[nodiscard]] bool omsd_running();
  [[nodiscard]] pid_t omsd_pid() const;  // 0 when not running
  void restart_nats();                // SIGKILL nats-server, start it again on the same store
  // SIGSTOP / SIGCONT nats-server: its connections stay open and nothing is answered (a hung
  // store, not a closed one). The destructor resumes a paused server before stopping it.
  void pause_nats();
  void resume_nats();
  void kill_venue();                  // SIGKILL venue-sim
  // SIGSTOP / SIGCONT venue-sim: its connections stay open, nothing is answered or pushed (a
  // hung venue). The destructor resumes a paused venue before stopping it.
  void pause_venue();
  void resume_venue();
  // SIGUSR1 to venue-sim: its walked books jump by its --shock-bps; returns once its log says so.
  void shock_venue();
  // A second venue-sim on the same paper keys and certificate, for the exchanges given
  // (omsd started after this goes to it with --venue-of EXCHANGE=...): its port.
  int start_own_venue(const std::vector<std::string>& exchanges, const std::vector<std::string>& flags);
  void kill_own_venue();              // SIGKILL the second venue-sim

  [[nodiscard]] std::filesystem::path data() const { return tmp_.path() / "data"; }
  [[nodiscard]] std::filesystem::path configs() const { return tmp_.path() / "configs"; }
  [[nodiscard]] std::filesystem::path nats_auth_file() const { return data() / "run" / "nats-auth.json"; }
  [[nodiscard]] int grpc_port() const noexcept { return grpc_port_; }
  [[nodiscard]] int http_port() const noexcept { return http_port_; }
  [[nodiscard]] int venue_port() const noexcept { return venue_port_; }
  [[nodiscard]] std::filesystem::path omsd_log() const { return tmp_.path() / "omsd.stderr"; }
  [[nodiscard]] std::filesystem::path venue_log() const { return tmp_.path() / "venue.stderr"; }
  [[nodiscard]] testkit::NatsServer& nats() { return *nats_; }
  [[nodiscard]] testkit::NatsCluster& nats_cluster() { return *cluster_; }

  // Another omsd of the desk (its own --desk and --accounts in flags) on the same NATS,
  // venue-sim and paper keys, with a data dir of its own (the TLS files and paper keys copied)
  // and its own ports; waits for "omsd ready". Its index for the calls below.
  std::size_t start_peer(std::vector<std::string> flags);
  void restart_peer(std::size_t peer);  // stopped before: the same data dir, ports and flags
  int stop_peer(std::size_t peer);      // SIGTERM; the exit code
  [[nodiscard]] std::filesystem::path peer_log(std::size_t peer) const;  // its stderr
  [[nodiscard]] std::filesystem::path peer_data(std::size_t peer) const;
  [[nodiscard]] int peer_grpc_port(std::size_t peer) const;
  testkit::RunResult peer_omsctl(std::size_t peer, std::vector<std::string> args,
                                 std::chrono::milliseconds bound = std::chrono::seconds(30)) const;
  // nats-server requires a user over TLS, as deploy/run starts it: omsd, oms-replay and
  // oms-backtest get these flags (--nats URL --nats-auth FILE --nats-ca FILE), a test's own
  // store these options.
  [[nodiscard]] std::vector<std::string> nats_flags() const;
  [[nodiscard]] persistence::JetStreamOptions nats_options(std::string connection_name) const;
  // omsctl with the stack's address, CA and token; bounded.
  testkit::RunResult omsctl(std::vector<std::string> args,
                            std::chrono::milliseconds bound = std::chrono::seconds(30)) const;
  // GET http://127.0.0.1:<http port><path>: status and body ({0, ""} when unreachable).
  [[nodiscard]] std::pair<int, std::string> http_get(const std::string& path) const;

 private:
  // omsd's flags of this stack for a data dir and its ports (the NATS flags included).
  [[nodiscard]] std::vector<std::string> omsd_args(const std::filesystem::path& data_dir, int grpc, int http) const;
  StackOptions options_;
  testkit::TempDir tmp_{"omsd-stack"};
  std::unique_ptr<testkit::NatsServer> nats_;
  std::unique_ptr<testkit::NatsCluster> cluster_;
  struct Peer {
    std::filesystem::path data;
    int grpc_port = 0, http_port = 0;
    std::vector<std::string> flags;
    std::unique_ptr<testkit::ChildProcess> omsd;
  };
  std::vector<Peer> peers_;
  std::unique_ptr<testkit::ChildProcess> venue_;
  std::unique_ptr<testkit::ChildProcess> own_venue_;
  std::vector<std::string> own_venue_flags_;  // --venue-of flags for omsd
  std::unique_ptr<testkit::ChildProcess> omsd_;
  int grpc_port_ = 0, http_port_ = 0, venue_port_ = 0;
  bool nats_paused_ = false;
  bool venue_paused_ = false;
};

}  // namespace oms::omsd::test
