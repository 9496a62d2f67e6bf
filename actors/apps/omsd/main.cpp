// omsd: the crypto-oms daemon (see --help and README.md "The two commands").
#include <sched.h>

#include <csignal>
#include <cstdio>
#include <set>
#include <iostream>

#include "daemon.hpp"
#include "api_setup.hpp"
#include "alerting.hpp"
#include "kill_bridge.hpp"
#include "kill_sweep.hpp"
#include "logging.hpp"
#include "observability.hpp"
#include "oms/configs/config_error.hpp"
#include "oms/connectors/secrets/secure_buffer.hpp"
#include "oms/persistence/failpoint.hpp"
#include "options.hpp"
#include "paper_keys.hpp"
#include "transfer_service.hpp"

int main(int argc, char** argv) {
  using namespace oms::omsd;
  Options options;
  try {
    if (!parse_options(argc, argv, options)) return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omsd: %s\n", e.what());
    return 2;
  }
  // The kill points a test armed (failpoint.hpp), before any thread starts; a bad value refuses
  // the start.
  std::string failpoints_armed;
  if (auto bad = oms::failpoints::arm_from_env(failpoints_armed)) {
    std::fprintf(stderr, "omsd: not starting: %s\n", bad->c_str());
    return 2;
  }
  if (options.check_config || options.init_paper_keys) {
    try {
      const auto config = oms::configs::load_config_dir(options.config_dir);
      const auto entries = paper_entries(config);
      if (options.init_paper_keys) {
        const auto file = options.data_dir / "paper-keys.json";
        const auto added = ensure_paper_keys(file, entries);
        std::set<std::string> names;  // a Bybit account's markets share one entry
        for (const auto& e : entries) names.insert(e.entry);
        std::printf("%s: %zu entries (%zu new)\n", file.c_str(), names.size(), added);
      } else {
        for (const auto& e : entries) {
          std::printf("account %s %s (%s)\n", e.account.c_str(), std::string(to_string(e.market)).c_str(),
                      std::string(to_string(e.exchange)).c_str());
        }
        std::printf("config ok: %zu accounts, %zu strategies\n", config.accounts.accounts.size(),
                    config.strategies.ids.size());
      }
      return 0;
    } catch (const oms::configs::ConfigError& e) {
      std::fprintf(stderr, "omsd: invalid config:\n%s\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "omsd: %s\n", e.what());
      return 1;
    }
  }
  // Before any thread starts -- the log's flusher is the first -- since every thread inherits
  // the main thread's signal mask and CPUs:
  // 1. Stop signals are taken by sigwait only. A thread that did not block them (the flusher
  //    did, once) could take a SIGTERM and end omsd by its default action, no shutdown run.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // reloads the API's tokens file (revocation without a restart)
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // 2. The CPU plan (the connections' threads and the engine shard take their own CPUs as they
  //    start).
  if (!options.cpus.daemon.empty()) {
    if (auto e = oms::omsd::pin_this_thread(options.cpus.daemon)) {
      std::fprintf(stderr, "omsd: --cpu-plan %s: %s\n", options.cpu_plan.c_str(), e->c_str());
      return 2;
    }
  }
  try {
    setup_logging(options.data_dir, options.log_level);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omsd: %s\n", e.what());
    return 2;
  }
  // No core dumps and no ptrace: the process holds API secrets.
  if (auto h = oms::secrets::harden_process(); !h) {
    spdlog::warn("process hardening: {}", h.error().message);
  }
  if (!options.cpu_plan.empty()) spdlog::info("CPU plan: {}", options.cpu_plan);
  if (!failpoints_armed.empty()) spdlog::warn("failpoints armed ({}): {}", oms::failpoints::kVariable, failpoints_armed);

  // Live mode: the alert sinks' secrets read, or no start (before anything connects).
  if (options.mode == Mode::kLive) {
    try {
      const auto config = oms::configs::load_config_dir(options.config_dir);
      const auto missing = unreadable_alert_secrets(config.risk, options.data_dir);
      for (const auto& m : missing) spdlog::critical("not starting: {}", m);
      if (!missing.empty()) return 2;
    } catch (const std::exception&) {
      // an invalid config: daemon.start() below reports every problem
    }
  }
  Daemon daemon(options);
  try {
    daemon.start();
  } catch (const oms::configs::ConfigError& e) {
    spdlog::critical("invalid config, not starting:\n{}", e.what());
    return 2;
  } catch (const SecretsRefused& e) {
    spdlog::critical("not starting: {}", e.what());  // names the account and path, never a secret
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("not starting: {}", e.what());
    return 1;
  }
  Observability observability(daemon);
  try {
    observability.start();
  } catch (const std::exception& e) {
    spdlog::critical("not starting: health/metrics on {}: {}", options.http.str(), e.what());
    daemon.stop();
    return 1;
  }
  spdlog::info("health and metrics on http://{}/health, /metrics", options.http.str());
  std::unique_ptr<oms::actors::GatewayServer> gateway;
  // The emergency contacts (alerting.hpp): before the gateway (it posts the kill switch trips),
  // stopped after it; live mode refuses to start on a secret that does not read.
  std::unique_ptr<Alerting> alerting;
  try {
    alerting = std::make_unique<Alerting>(daemon, observability.metrics());
    alerting->start();
  } catch (const std::exception& e) {
    spdlog::critical("not starting: {}", e.what());
    observability.stop();
    daemon.stop();
    return 1;
  }
  // Before the gateway (it queues the sweeps) and stopped after it, before the connectors.
  KillSweep sweep(daemon, observability.metrics());
  // The engine's automatic trips sweep the venues as an operator's do, and reach the emergency
  // contacts (queued: the shard never waits on a sink).
  daemon.set_kill_switch_listener([&sweep, &alerting](const oms::KillSwitchTripped& k) {
    const oms::TripKillSwitch trip{k.scope, k.account, k.strategy, k.state, k.reason};
    sweep.on_trip(trip);
    alerting->on_kill_switch(trip);
  });
  // The global kill switch shared with the desk's other daemons (kill_bridge.hpp): a trip
  // another daemon sends runs here what an operator's does.
  KillBridge bridge(daemon, [&sweep, &alerting](const oms::TripKillSwitch& trip) {
    sweep.on_trip(trip);
    alerting->on_kill_switch(trip);
  });
  try {
    bridge.start();
  } catch (const std::exception& e) {
    spdlog::critical("not starting: {}", e.what());
    daemon.set_kill_switch_listener(nullptr);
    sweep.stop();
    alerting->stop();
    observability.stop();
    daemon.stop();
    return 1;
  }
  // The transfer sagas (transfer_service.hpp): the TRANSFERS stream read, unfinished transfers
  // resumed on its thread; before the gateway (it takes the requests), stopped after it.
  std::unique_ptr<TransferService> transfers;
  try {
    transfers = std::make_unique<TransferService>(daemon, observability.metrics());
  } catch (const std::exception& e) {
    spdlog::critical("not starting: transfers: {}", e.what());
    bridge.stop();
    daemon.set_kill_switch_listener(nullptr);
    sweep.stop();
    alerting->stop();
    observability.stop();
    daemon.stop();
    return 1;
  }
  try {
    if (ensure_api_tokens(options.data_dir)) {
      spdlog::info("API clients: created {} and omsctl's token {}",
                   (options.data_dir / "api" / "tokens.json").string(),
                   (options.data_dir / "api" / "omsctl.token").string());
    }
    gateway = start_gateway(daemon, observability.metrics(), &sweep, transfers.get(), alerting.get());
  } catch (const std::exception& e) {
    spdlog::critical("not starting: gRPC API on {}: {}", options.grpc.str(), e.what());
    transfers->stop();
    bridge.stop();
    daemon.set_kill_switch_listener(nullptr);
    sweep.stop();
    alerting->stop();
    observability.stop();
    daemon.stop();
    return 1;
  }
  spdlog::info("gRPC API (TLS 1.3) on {}", options.grpc.str());
  observability.attach_gateway(gateway.get());  // the dashboard reads what the API lists
  spdlog::info("omsd ready: mode {}, data {}, logs {}", options.mode == Mode::kPaper ? "paper" : "live",
               options.data_dir.string(), (options.data_dir / "log").string());
  std::printf("omsd ready\n");
  std::fflush(stdout);
  int sig = 0;
  for (;;) {
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) break;
    // The tokens file again: from the next call on, removed tokens are refused and new ones
    // served; a file that does not read keeps the clients as they were.
    const auto tokens = options.data_dir / "api" / "tokens.json";
    auto clients = oms::actors::load_api_clients(tokens, daemon.directory());
    if (!clients) {
      spdlog::error("SIGHUP: API clients not reloaded, the previous ones stay: {}", clients.error());
      continue;
    }
    spdlog::warn("SIGHUP: API clients reloaded from {} ({} clients)", tokens.string(), clients->size());
    gateway->replace_clients(std::move(clients).value());
  }
  spdlog::info("signal {}: stopping", sig);
  observability.attach_gateway(nullptr);  // the dashboard answers 503 from here on
  gateway->shutdown();
  gateway.reset();
  transfers->stop();  // the step under way ends; unfinished transfers resume at the next start
  bridge.stop();      // no other daemon's trip applied from here on
  daemon.set_kill_switch_listener(nullptr);  // before the sweep ends: no trip queued after
  sweep.stop();  // the sweeps already asked for run to their end first
  alerting->stop();  // what is queued is sent first
  observability.stop();
  daemon.stop();
  spdlog::info("stopped");
  return 0;
}
