// KillBridge: the global kill switch of a desk whose accounts several omsd share out (each
// with its own --desk and --accounts, all on one NATS cluster). Each daemon's global switch is
// its own engine's (its risk records, its replay); the bridge keeps them in step through the
// CONTROL stream:
//   - when this daemon's global switch changes (an operator's trip or reset over the API, an
//     automatic trip), it publishes the new state on control.kill.{desk};
//   - when another daemon publishes one that differs from this daemon's state, it is applied
//     here as an operator's command would be (TripKillSwitch / ResetKillSwitch through the
//     engine: recorded as this engine's input and event, reason "desk N: ..."), and a trip to
//     HALTED also runs what an operator's does (on_remote_trip: the venue sweep, the alert).
//   - at start, the stream's last record says the cluster's state: a daemon that starts while
//     another has the desk halted starts halted.
// A state applied from another daemon is never published again (no echo). The stream's order
// decides between two changes made at once on two daemons: the later record wins everywhere.
// The bridge's thread looks at the switch every 20 ms (RiskCore's limits are atomics); a change
// reaches the other daemons within that and a store round trip.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "oms/messages/commands.hpp"
#include "oms/messages/enums.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::omsd {

class Daemon;

// One record of control.kill.{desk}: {"desk":N,"state":"halted","reason":"..."}.
struct KillRecord {
  std::uint16_t desk = 0;
  KillSwitchState state = KillSwitchState::kActive;
  std::string reason;
};
[[nodiscard]] std::string encode_kill_record(const KillRecord& r);
// Errors name the field.
[[nodiscard]] Result<KillRecord, std::string> decode_kill_record(std::string_view payload);

class KillBridge {
 public:
  KillBridge(Daemon& daemon, std::function<void(const TripKillSwitch&)> on_remote_trip);
  ~KillBridge();
  KillBridge(const KillBridge&) = delete;
  KillBridge& operator=(const KillBridge&) = delete;

  // Reads the CONTROL stream, applies the desk's state, subscribes, starts the thread. Throws
  // std::runtime_error naming what failed (the store unreadable).
  void start();
  void stop();

 private:
  void run();
  void on_record(const persistence::StoredRecord& r);
  bool apply(const KillRecord& r, std::uint64_t sequence);  // on the thread
  void publish(KillSwitchState state);                        // on the thread
  [[nodiscard]] KillSwitchState local() const;

  Daemon& daemon_;
  std::function<void(const TripKillSwitch&)> on_remote_trip_;
  std::unique_ptr<persistence::Subscription> tail_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::pair<KillRecord, std::uint64_t>> inbox_;  // other desks' records, in order
  std::uint64_t last_seen_ = 0;  // the CONTROL sequence last taken (guarded by mu_)
  // Thread-only: the state this daemon and the cluster agree on (published or applied), and a
  // state another daemon sent that the engine has not taken yet (tried again each round).
  KillSwitchState known_ = KillSwitchState::kActive;
  std::optional<std::pair<KillRecord, std::uint64_t>> target_;
};

}  // namespace oms::omsd
