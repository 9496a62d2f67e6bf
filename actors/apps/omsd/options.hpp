// omsd's command line: where the configs and the data live, paper or live, the store, the
// listening addresses, the venue endpoint in paper mode, the CPU plan and logging.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "oms/messages/ids.hpp"

namespace oms::omsd {

enum class Mode : std::uint8_t { kPaper, kLive };

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  [[nodiscard]] std::string str() const { return host + ":" + std::to_string(port); }
};

// Which CPUs each role of the daemon runs on (empty: not pinned).
struct CpuPlan {
  std::vector<int> engine;  // the engine shard thread: one CPU
  std::vector<int> io;      // the threads of the venue connections (TLS, WebSocket, REST)
  std::vector<int> daemon;  // every other thread (API, actors, health)
};

struct Options {
  std::filesystem::path config_dir = "configs";
  std::filesystem::path data_dir = "data";
  Mode mode = Mode::kPaper;
  std::string store = "jetstream";  // jetstream | file (the file journal under DATA/journal)
  std::string nats_url = "nats://127.0.0.1:4222";  // --nats as given (messages)
  std::vector<std::string> nats_servers{"nats://127.0.0.1:4222"};  // its URLs, comma-separated
  int nats_replicas = 1;  // the streams' replicas when omsd creates them: 1, or 3 on a cluster
  // Past one machine: several daemons on one NATS cluster, each running a subset of the
  // configured accounts (--accounts; empty: every account) under its own desk number (--desk,
  // in client order ids, its recorded inputs and its risk records).
  std::uint16_t desk = 1;
  std::vector<std::string> accounts;
  std::filesystem::path nats_auth;  // NATS user and password file (nats_auth.hpp); empty: none
  std::filesystem::path nats_ca;    // the NATS server's CA (TLS); empty: plain TCP
  HostPort grpc{"127.0.0.1", 50051};
  HostPort http{"127.0.0.1", 8081};
  std::uint64_t dashboard_stream_s = 60;  // one dashboard event stream's length
  // Paper mode: the simulator (REST and streams of both markets on one TLS port) and the CA
  // that signed its certificate (default DATA/tls/ca.pem).
  HostPort venue{"127.0.0.1", 9443};
  // Paper mode: an exchange served by a simulator of its own (--venue-of EXCHANGE=HOST:PORT).
  std::map<ExchangeId, HostPort> venue_of;
  [[nodiscard]] const HostPort& venue_for(ExchangeId e) const {
    const auto it = venue_of.find(e);
    return it == venue_of.end() ? venue : it->second;
  }
  std::filesystem::path ca_file;
  // Live mode: where API keys come from: "keyfile:PATH" (passphrase from
  // $OMS_KEYFILE_PASSPHRASE or --passphrase-file) or "vault:https://HOST:PORT" (vault_keys.hpp:
  // the token from --vault-token-file or $VAULT_TOKEN, or an AppRole login).
  std::string secrets;
  std::filesystem::path passphrase_file;
  std::filesystem::path vault_token_file;    // 0600, the token on its first line
  std::filesystem::path vault_approle_file;  // 0600, {"role_id":..,"secret_id":..}
  std::filesystem::path vault_ca;            // Vault's CA; empty: the system store
  std::string vault_mount = "secret";        // the KV v2 engine's mount
  std::uint64_t vault_refresh_s = 60;        // each account's secret read again this often
  // CPU plan: "engine=1,io=0,daemon=0" (CpuPlan); empty: no pinning.
  std::string cpu_plan;
  CpuPlan cpus;
  bool engine_busy_poll = false;  // --engine-wait busy: the shard never parks
  std::uint64_t keep_warm_us = 1'000;  // --keep-warm: the shard's order-path rehearsal (0: off)
  std::size_t scheduler_threads = 2;
  std::string log_level = "info";
  std::uint64_t ack_timeout_ms = 5'000;
  std::uint64_t in_doubt_ttl_s = 120;  // an unanswered order the venue does not know: in doubt
  std::uint64_t snapshot_every = 1'000;  // an account snapshot every N events (and hourly)
  std::chrono::seconds closed_order_retention{300};  // then a closed order leaves memory
  std::chrono::seconds checkpoint_every{900};  // a checkpoint record this often (0: none)
  bool record_inputs = true;  // the engine's steps into the store (--record-inputs off: not)
  std::size_t venue_connections = 4;  // HTTPS keep-alive connections per venue market
  std::size_t venue_queue = 256;  // Binance: requests an account may have queued for its lane
  // JetStream publishing: a record unacknowledged store_ack_timeout is published again (same
  // msg id), until store_retry_window; then the journal publisher hands it over once more
  // (the intent log keeps it meanwhile). The duplicate window must be longer than the retry
  // window.
  std::chrono::milliseconds store_ack_timeout{2'000};
  std::chrono::milliseconds store_retry_window{std::chrono::minutes(5)};
  std::chrono::seconds store_duplicate_window{std::chrono::minutes(20)};
  std::uint64_t intent_log_kib = 64 * 1024;  // the intent log's ring: a power of two, >= 64
  bool init_paper_keys = false;  // write DATA/paper-keys.json for the configured accounts, exit
  bool check_config = false;     // load and validate the configs, print a summary, exit
};

// Throws std::invalid_argument naming the flag. Returns false for --help (usage printed).
bool parse_options(int argc, char** argv, Options& out);

// "engine=1,io=0,daemon=0-1,3" -> the roles' CPUs; throws std::invalid_argument naming the
// flag (an unknown role, a bad range, more than one CPU for the engine).
CpuPlan parse_cpu_plan(const std::string& plan);

// "a,b,c" -> {a, b, c}; throws std::invalid_argument naming `what` on an empty or repeated item.
std::vector<std::string> split_list(const std::string& text, const std::string& what);

// "127.0.0.1:50051" -> HostPort; throws std::invalid_argument naming `what`.
HostPort parse_host_port(const std::string& text, const std::string& what);

}  // namespace oms::omsd
