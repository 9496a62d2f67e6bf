// KillSweep: the kill switch's last word at the venues. When an operator trips a kill switch to
// HALTED (gRPC TripKillSwitch, omsctl kill) and the engine accepts it, the engine cancels the
// orders it knows; this asks each venue to cancel EVERY open order of the accounts the scope
// covers -- the ones the engine does not know too (an order whose ack was lost before a crash,
// one placed by another session with the same key): Exchange::cancel_all on each instrument
// the account has market data for here, for each market it trades.
//   global scope: every account omsd runs; account scope: that account; strategy scope or
//   REDUCING_ONLY: nothing (the engine cancels the strategy's orders itself).
// The sweeps run on a thread of their own (the gRPC thread only queues them), one after the
// other; each result is logged (how many the venue canceled, per account and instrument, or the
// error) and counted: oms_kill_sweep_orders_total{account}, oms_kill_sweep_errors_total{account},
// oms_kill_sweeps_total. The cancellations' reports come back through the connectors' streams
// and the engine reconciles them.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "oms/actors/observe/metrics.hpp"
#include "oms/messages/commands.hpp"

namespace oms::omsd {

class Daemon;

class KillSweep {
 public:
  // metrics: the counters are registered here, for every account the daemon runs.
  KillSweep(Daemon& daemon, observe::Metrics& metrics);
  ~KillSweep();
  KillSweep(const KillSweep&) = delete;
  KillSweep& operator=(const KillSweep&) = delete;

  // Queues the sweep a tripped kill switch asks for (nothing for a strategy scope or a state
  // other than HALTED); never blocks on a venue.
  void on_trip(const TripKillSwitch& trip);
  // Runs the sweeps already queued, then joins the thread (before the connectors stop).
  void stop();

 private:
  struct AccountCounters {
    observe::Counter* orders = nullptr;
    observe::Counter* errors = nullptr;
  };
  void run();
  void sweep(const TripKillSwitch& trip);

  Daemon& daemon_;
  std::map<AccountId, AccountCounters> counters_;
  observe::Counter* sweeps_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TripKillSwitch> queue_;  // guarded by mu_
  bool stop_ = false;                 // guarded by mu_
  std::thread thread_;
};

}  // namespace oms::omsd
