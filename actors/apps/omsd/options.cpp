#include "options.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <stdexcept>

namespace oms::omsd {
namespace {

constexpr const char* kUsage = R"(omsd: the crypto-oms daemon.

usage: omsd [flags]
  --config DIR          config dir with exchanges/accounts/strategies/risk.yaml (default configs)
  --data DIR            data dir: journal, snapshots, logs, keys, TLS (default data)
  --mode paper|live     paper (default): Binance, Bybit, OKX and Upbit accounts trade on
                        venue-sim with paper keys
  --venue HOST:PORT     paper mode: the simulator (default 127.0.0.1:9443)
  --venue-of EXCHANGE=HOST:PORT
                        paper mode: that exchange's own simulator (repeatable; the others
                        use --venue), e.g. --venue-of bybit=127.0.0.1:9444
  --ca FILE             CA certificate the venue's TLS certificate must chain to
                        (paper default: DATA/tls/ca.pem; live default: the system store)
  --store jetstream|file  event store (default jetstream); file = DATA/journal
  --nats URL[,URL..]    NATS server, or a cluster's servers (default nats://127.0.0.1:4222;
                        tls://HOST:PORT: TLS); the client fails over between them
  --nats-replicas N     replicas of the streams omsd creates: 1 (default) or 3 (a 3-node
                        JetStream cluster: a node may fail with nothing lost); an existing
                        stream keeps the replicas it was created with
  --desk N              this daemon's desk number, 1..1295 (default 1): in its client order
                        ids, its recorded inputs (inputs.N.*) and its risk records; each
                        daemon on one NATS cluster needs its own
  --accounts A[,A..]    run only these configured accounts (default: all); daemons on one
                        cluster split the accounts between them, with the same configs
  --nats-auth FILE      NATS user and password, {"user":..,"password":..} (0600);
                        deploy/run writes DATA/run/nats-auth.json; default: none sent
  --nats-ca FILE        CA the NATS server's TLS certificate must chain to (TLS then
                        required); default: none (plain TCP for nats:// URLs)
  --grpc HOST:PORT      gRPC API, TLS 1.3 (default 127.0.0.1:50051)
  --http HOST:PORT      /health, /metrics and the dashboard at / (default 127.0.0.1:8081)
  --dashboard-stream S  one dashboard event stream lasts S seconds, then the page opens the
                        next (default 60; 1 to 3600)
  --secrets SPEC        live mode: keyfile:PATH or vault:https://HOST:PORT (HashiCorp Vault
                        KV v2: each account's key at its api_key_vault_path, read as
                        GET /v1/MOUNT/data/PATH; fields api_key, api_secret, and private_key,
                        passphrase where the venue needs them)
  --passphrase-file F   key file passphrase (0600); default $OMS_KEYFILE_PASSPHRASE
  --vault-token-file F  Vault token, on the file's first line (0600); default $VAULT_TOKEN
                        (removed from omsd's environment once read)
  --vault-approle-file F  instead of a token: AppRole login (POST /v1/auth/approle/login) with
                        {"role_id":..,"secret_id":..} of this file (0600); logged in again
                        when the token can no longer be renewed
  --vault-ca FILE       CA Vault's TLS certificate must chain to (default: the system store)
  --vault-mount NAME    the KV v2 secrets engine's mount (default secret)
  --vault-refresh-s S   each account's secret read again every S seconds; a new version's
                        key signs that account's requests from then on, no restart
                        (default 60; 1 to 86400). The token is renewed (renew-self) at 2/3
                        of its TTL; a failed renewal or read is logged and alerted, the keys
                        already loaded stay in use.
  --cpu-plan PLAN       pins each role: engine=CPU (the engine shard thread), io=CPUS
                        (the venue connections' threads), daemon=CPUS (every other
                        thread); e.g. engine=1,io=0,daemon=0; default none
  --engine-wait MODE    park (spin, yield, then sleep until an input comes: the default) |
                        busy (the shard never gives its core away: only with an isolated core)
  --keep-warm US        while the shard's loop runs idle, at most every US microseconds it
                        rehearses the order path on its last order (the events' encoding and
                        MAC, the venue request's signature; nothing sent or stored), so the
                        next order finds it in the caches; a parked shard is not woken for it
                        (default 1000; 0: off)
  --threads N           actor scheduler threads (default 2)
  --ack-timeout-ms N    an order unanswered this long is queried (default 5000); while the
                        venue stays silent each next query waits twice as long (up to 16x)
  --in-doubt-ttl S      an order the venue never answered and, asked, does not know (Binance
                        -2013: the send may have timed out there and still execute) stays in
                        doubt S seconds from its submission: asked again, not rejected; a fill
                        that comes later is kept in any case (default 120; 0: rejected at once)
  --snapshot-every N    an account snapshot every N events, and hourly (default 1000)
  --closed-order-retention S  a closed order leaves memory (omsctl orders, the API's order
                        list) S seconds after it closed; its events stay in the store and its
                        client order id is refused for reuse while the account remembers it
                        (default 300)
  --venue-connections N  HTTPS keep-alive connections per venue market, each with the
                        order lane (a thread) that runs its share of the accounts' orders
                        (default 4)
  --venue-queue N       Binance: requests an account may have queued for its order lane
                        (default 256); past it a new order is rejected unsent (code 3161, the
                        account and the bound named) and a status query is skipped (the ack
                        timer asks again, later each time); cancels and amends always queue;
                        an order's status query is queued once (while one waits, the ack
                        timer's next is not added)
  --record-inputs on|off  the engine's every step -- market data on its md.* subject (the
                        exchange's MD_ stream), commands, venue reports, timers on inputs.* (the
                        INPUTS stream), each with its clock, and at start the setup it was built
                        from (configs, instruments) -- into the store, through the intent log
                        like the events: oms-replay runs a day of them again and compares every
                        event (default on)
  --checkpoint-every S  with --record-inputs on: the engine's whole state (books, orders,
                        risk, timers) recorded every S seconds on inputs.{desk}.checkpoint;
                        oms-replay --from starts at the last one before it instead of the run's
                        start, and a replay through one checks its state against it (default
                        900; 0: none)
  --store-ack-timeout-ms N  JetStream: a record the store has not acknowledged in N ms is
                        published again with the same msg id (default 2000)
  --store-retry-ms N    JetStream: ... for N ms (default 300000); after that the journal
                        publisher hands it to the store once more, and so on until the store
                        answers -- the record waits in the intent log meanwhile
  --store-dup-window-s S  JetStream streams' duplicate window (default 1200); must be longer
                        than --store-retry-ms
  --intent-log-kib N    the intent log's ring in /dev/shm, KiB: a power of two, >= 64
                        (default 65536). While the store is down it fills; past 3/4 new
                        orders are refused (code 3160, the reason on /health) and inputs are
                        no longer recorded, the rest kept for the events of orders already
                        out (fills, cancels). An existing log of another size is refused.
  --log-level LEVEL     trace|debug|info|warn|error (default info)
  --init-paper-keys     write DATA/paper-keys.json for the configured accounts and exit
  --check-config        validate the configs, print what would run, and exit

Live state (balances, positions, open orders, tops of book) is on a shared-memory state board,
/dev/shm/oms-board-omsd-<hash of the data dir>.board; `omsctl top --data DIR` shows it.

Alerts (risk.yaml `alerts:` -- Slack webhook, Telegram bot, SMTP with STARTTLS) read their
secrets at start from what the file names: env:NAME (this process's environment) or file:PATH
(0600, relative to --data); live mode refuses to start when one does not read, paper mode runs
without that sink (logged).
)";

std::uint64_t number(const std::string& text, const std::string& flag) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw std::invalid_argument(flag + ": '" + text + "' is not a number");
  return v;
}

}  // namespace

CpuPlan parse_cpu_plan(const std::string& plan) {
  const std::string expected =
      "--cpu-plan: '" + plan + "': expected ROLE=CPUS[,ROLE=CPUS] with ROLE engine, io or "
      "daemon (e.g. engine=1,io=0,daemon=0)";
  CpuPlan out;
  std::vector<int>* role = nullptr;
  std::string role_name;
  std::size_t pos = 0;
  while (pos <= plan.size()) {
    const auto comma = plan.find(',', pos);
    std::string item = plan.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (const auto eq = item.find('='); eq != std::string::npos) {
      role_name = item.substr(0, eq);
      role = role_name == "engine" ? &out.engine : role_name == "io" ? &out.io
           : role_name == "daemon" ? &out.daemon : nullptr;
      if (role == nullptr) throw std::invalid_argument(expected);
      if (!role->empty()) throw std::invalid_argument("--cpu-plan: role '" + role_name + "' given twice");
      item = item.substr(eq + 1);
    } else if (role == nullptr) {
      throw std::invalid_argument(expected);
    }
    const auto dash = item.find('-');
    const auto lo = number(item.substr(0, dash), "--cpu-plan");
    const auto hi = dash == std::string::npos ? lo : number(item.substr(dash + 1), "--cpu-plan");
    if (hi < lo || hi >= 1024) throw std::invalid_argument("--cpu-plan: bad CPU range '" + item + "'");
    for (auto c = lo; c <= hi; ++c) role->push_back(static_cast<int>(c));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.engine.empty() && out.io.empty() && out.daemon.empty()) {
    throw std::invalid_argument("--cpu-plan: no CPU in '" + plan + "'");
  }
  if (out.engine.size() > 1) {
    throw std::invalid_argument("--cpu-plan: engine takes one CPU (the shard is one thread)");
  }
  return out;
}

std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const auto comma = text.find(',', at);
    const std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (item.empty()) throw std::invalid_argument(what + ": an empty item in '" + text + "'");
    if (std::find(out.begin(), out.end(), item) != out.end()) {
      throw std::invalid_argument(what + ": '" + item + "' given twice");
    }
    out.push_back(item);
    if (comma == std::string::npos) return out;
    at = comma + 1;
  }
}

HostPort parse_host_port(const std::string& text, const std::string& what) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::invalid_argument(what + ": expected HOST:PORT, got '" + text + "'");
  }
  const auto port = number(text.substr(colon + 1), what);
  if (port > 65535) throw std::invalid_argument(what + ": port " + std::to_string(port) + " out of range");
  return HostPort{text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto need = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + ": missing value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return false;
    }
    if (a == "--config") o.config_dir = need();
    else if (a == "--data") o.data_dir = need();
    else if (a == "--mode") {
      const auto m = need();
      if (m == "paper") o.mode = Mode::kPaper;
      else if (m == "live") o.mode = Mode::kLive;
      else throw std::invalid_argument("--mode: '" + m + "' is not paper or live");
    } else if (a == "--venue") o.venue = parse_host_port(need(), a);
    else if (a == "--venue-of") {
      const std::string v = need();
      const auto eq = v.find('=');
      const auto ex = eq == std::string::npos ? std::nullopt : parse_exchange(v.substr(0, eq));
      if (!ex) throw std::invalid_argument("--venue-of: '" + v + "' is not EXCHANGE=HOST:PORT (binance, bybit, okx, upbit)");
      o.venue_of[*ex] = parse_host_port(v.substr(eq + 1), a);
    }
    else if (a == "--ca") o.ca_file = need();
    else if (a == "--store") {
      o.store = need();
      if (o.store != "jetstream" && o.store != "file") {
        throw std::invalid_argument("--store: '" + o.store + "' is not jetstream or file");
      }
    } else if (a == "--nats") {
      o.nats_url = need();
      o.nats_servers = split_list(o.nats_url, a);
    } else if (a == "--nats-replicas") {
      const auto n = number(need(), a);
      if (n != 1 && n != 3) throw std::invalid_argument("--nats-replicas: must be 1 or 3");
      o.nats_replicas = static_cast<int>(n);
    } else if (a == "--desk") {
      const auto n = number(need(), a);
      if (n < 1 || n > 1295) throw std::invalid_argument("--desk: must be 1..1295");
      o.desk = static_cast<std::uint16_t>(n);
    } else if (a == "--accounts") {
      o.accounts = split_list(need(), a);
    }
    else if (a == "--nats-auth") o.nats_auth = need();
    else if (a == "--nats-ca") o.nats_ca = need();
    else if (a == "--grpc") o.grpc = parse_host_port(need(), a);
    else if (a == "--http") o.http = parse_host_port(need(), a);
    else if (a == "--secrets") o.secrets = need();
    else if (a == "--passphrase-file") o.passphrase_file = need();
    else if (a == "--vault-token-file") o.vault_token_file = need();
    else if (a == "--vault-approle-file") o.vault_approle_file = need();
    else if (a == "--vault-ca") o.vault_ca = need();
    else if (a == "--vault-mount") o.vault_mount = need();
    else if (a == "--vault-refresh-s") {
      o.vault_refresh_s = number(need(), a);
      if (o.vault_refresh_s < 1 || o.vault_refresh_s > 86'400) throw std::invalid_argument(a + ": 1 to 86400 seconds");
    }
    else if (a == "--cpu-plan") {
      o.cpu_plan = need();
      o.cpus = parse_cpu_plan(o.cpu_plan);
    } else if (a == "--engine-wait") {
      const auto mode = need();
      if (mode == "park") o.engine_busy_poll = false;
      else if (mode == "busy") o.engine_busy_poll = true;
      else throw std::invalid_argument("--engine-wait: '" + mode + "': expected park or busy");
    }
    else if (a == "--threads") {
      o.scheduler_threads = number(need(), a);
      if (o.scheduler_threads == 0 || o.scheduler_threads > 64) {
        throw std::invalid_argument("--threads: must be 1..64");
      }
    } else if (a == "--ack-timeout-ms") o.ack_timeout_ms = number(need(), a);
    else if (a == "--keep-warm") {
      o.keep_warm_us = number(need(), a);
      if (o.keep_warm_us > 1'000'000) throw std::invalid_argument("--keep-warm: must be 0..1000000 (microseconds)");
    }
    else if (a == "--venue-queue") {
      o.venue_queue = number(need(), a);
      if (o.venue_queue == 0) throw std::invalid_argument(a + ": at least 1");
    } else if (a == "--store-ack-timeout-ms") {
      o.store_ack_timeout = std::chrono::milliseconds(number(need(), a));
      if (o.store_ack_timeout.count() == 0) throw std::invalid_argument(a + ": at least 1 ms");
    } else if (a == "--store-retry-ms") {
      o.store_retry_window = std::chrono::milliseconds(number(need(), a));
      if (o.store_retry_window.count() == 0) throw std::invalid_argument(a + ": at least 1 ms");
    } else if (a == "--store-dup-window-s") {
      o.store_duplicate_window = std::chrono::seconds(number(need(), a));
    } else if (a == "--intent-log-kib") {
      o.intent_log_kib = number(need(), a);
      if (o.intent_log_kib < 64 || (o.intent_log_kib & (o.intent_log_kib - 1)) != 0 ||
          o.intent_log_kib > (std::uint64_t{4} << 20))
        throw std::invalid_argument(a + ": a power of two from 64 to 4194304 KiB");
    }
    else if (a == "--dashboard-stream") {
      o.dashboard_stream_s = number(need(), a);
      if (o.dashboard_stream_s < 1 || o.dashboard_stream_s > 3600)
        throw std::invalid_argument("--dashboard-stream: 1 to 3600 seconds");
    }
    else if (a == "--in-doubt-ttl") {
      o.in_doubt_ttl_s = number(need(), a);
      if (o.in_doubt_ttl_s > 86'400) throw std::invalid_argument("--in-doubt-ttl: at most 86400 seconds");
    }
    else if (a == "--snapshot-every") {
      o.snapshot_every = number(need(), a);
      if (o.snapshot_every == 0) throw std::invalid_argument("--snapshot-every: must be > 0");
    }
    else if (a == "--closed-order-retention") {
      const auto seconds = number(need(), a);
      if (seconds > 366ULL * 24 * 3600) throw std::invalid_argument("--closed-order-retention: at most a year (31622400 s)");
      o.closed_order_retention = std::chrono::seconds(static_cast<std::int64_t>(seconds));
    }
    else if (a == "--venue-connections") {
      o.venue_connections = number(need(), a);
      if (o.venue_connections == 0 || o.venue_connections > 256) {
        throw std::invalid_argument("--venue-connections: must be 1..256");
      }
    }
    else if (a == "--record-inputs") {
      const auto v = need();
      if (v == "on") o.record_inputs = true;
      else if (v == "off") o.record_inputs = false;
      else throw std::invalid_argument("--record-inputs: '" + v + "': expected on or off");
    }
    else if (a == "--checkpoint-every") {
      const auto v = number(need(), a);
      if (v > 86'400) throw std::invalid_argument("--checkpoint-every: at most 86400 seconds");
      o.checkpoint_every = std::chrono::seconds(v);
    }
    else if (a == "--log-level") o.log_level = need();
    else if (a == "--init-paper-keys") o.init_paper_keys = true;
    else if (a == "--check-config") o.check_config = true;
    else throw std::invalid_argument("unknown flag " + a + " (see --help)");
  }
  if (o.mode == Mode::kLive && o.secrets.empty() && !o.check_config) {
    throw std::invalid_argument("--mode live needs --secrets keyfile:PATH or vault:URL");
  }
  if (o.mode == Mode::kPaper && o.ca_file.empty()) o.ca_file = o.data_dir / "tls" / "ca.pem";
  return true;
}

}  // namespace oms::omsd
