// Alerting: risk.yaml's emergency contacts reached through the alert sinks (oms_alerts) when
// something needs a human:
//   - a kill switch tripped, through the API (the gateway tells us, after the engine accepted it)
//     or by itself (the engine's automatic trips: daily loss, drawdown, reject rate, ...);
//   - a venue ban (Binance's HTTP 418: every order of the market refused until it ends);
//   - an account down: its session failed or a user stream of it is disconnected, for 5 s on end;
//   - the store failing: an append failed (the intent log publishes it again) or more than
//     10,000 events wait for the store's acknowledgement;
//   - an arbitrage saga ended failed (a leg may be left open);
//   - live mode with Vault: a token renewal or a periodic key read failed (the keys already
//     loaded stay in use).
// The watcher reads what /health reads, once a second, on a thread of its own; alerts are
// posted into the AlertService's bounded queue and sent by its thread: neither the engine nor a
// venue connection ever waits on a sink. Secrets (env:NAME / file:PATH of risk.yaml) are read
// at construction: live mode refuses to start on one that does not read, paper mode logs the
// sink as off and runs without it. /metrics: oms_alerts_{sent,failed,suppressed}_total{sink},
// oms_alerts_dropped_total.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oms/actors/observe/metrics.hpp"
#include "oms/configs/risk.hpp"
#include "oms/connectors/alerts/alert_service.hpp"
#include "oms/messages/commands.hpp"

namespace oms::omsd {

class Daemon;

// The secrets risk.yaml's alerts block names (for sinks that have contacts) that do not read,
// each as "alerts.slack: env:NAME: the variable is not set" (never a value). Live mode checks
// them before it connects to anything.
[[nodiscard]] std::vector<std::string> unreadable_alert_secrets(
    const configs::RiskConfig& risk, const std::filesystem::path& data_dir);

class Alerting {
 public:
  // Throws std::runtime_error naming the secret reference (never its value) in live mode.
  Alerting(Daemon& daemon, observe::Metrics& metrics);
  ~Alerting();
  Alerting(const Alerting&) = delete;
  Alerting& operator=(const Alerting&) = delete;

  // The gateway's thread, after the engine accepted a trip, or the shard after an automatic trip
  // was recorded: posts, never waits on a sink.
  void on_kill_switch(const TripKillSwitch& trip);
  // Starts the watcher (no-op without sinks).
  void start();
  // Stops the watcher, then sends what is queued and joins the sender.
  void stop();
  [[nodiscard]] bool enabled() const noexcept { return service_ != nullptr; }

 private:
  void run();
  void watch();
  void post(alerts::AlertKind kind, std::string key, std::string title, std::string text);

  Daemon& daemon_;
  std::unique_ptr<alerts::AlertService> service_;
  // The watcher's memory (its thread only).
  // The venues whose IP bans are watched; banned_: each one's spot, then USD-M (linear).
  static constexpr ExchangeId kBanVenues[] = {ExchangeId::kBinance, ExchangeId::kBybit, ExchangeId::kUpbit};
  bool banned_[std::size(kBanVenues) * 2] = {};
  std::vector<std::int64_t> down_since_ns_;  // by account index; 0: up
  std::vector<bool> down_alerted_;
  std::uint64_t store_failures_ = 0;
  std::map<std::uint16_t, std::uint64_t> saga_failed_;  // by strategy id
  std::uint64_t vault_renewal_failures_ = 0, vault_read_failures_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace oms::omsd
