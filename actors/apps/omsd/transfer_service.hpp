// TransferService: omsd's transfer sagas, an actor around the engine (DESIGN.md), off the order
// path -- a thread of its own, as KillSweep. The gateway hands it transfer requests
// (RequestTransfer, Rebalance); it checks each against accounts.yaml (plan_transfer: Binance
// main <-> sub, sub <-> sub, one account's spot <-> USD-M; Bybit main <-> sub, sub <-> sub;
// OKX main <-> sub), runs it with TransferRunner on the venue of the transfer (BinanceTransfers,
// BybitTransfers, OkxTransfers) on the signing main account's key, and records every step -- TransferRequested before anything is
// sent, then TransferCompleted / TransferFailed -- in the TRANSFERS stream through the runtime's
// EventLog (intent log, then the store; the event ids derive from the transfer id and the step,
// so a step recorded again is dropped by the store) and waits for the store before the next.
//
// At start it reads the TRANSFERS stream: every transfer it holds is known by id (the same id
// requested again is a duplicate, answered with the first's status), and every one without an
// outcome is resumed first -- the venue is asked about it before anything is sent, so nothing
// goes twice. A transfer the venue has pending, or that a query could not settle, is asked
// about again every kRetry.
//
// The scheduled rebalance (accounts.yaml account_routing.rebalance, enabled): a thread of its
// own wakes at each run (next_rebalance: hourly, daily at its time, every interval from the
// start), plans as `omsctl rebalance --run` does and runs the planned transfers one after the
// other, each checked first against accounts.yaml's limits on the balances of the moment,
// updated by the transfers already done in the run (check_rebalance_transfer: the receiver's
// max_balance_usdt on free + locked, a main sender's min_main_balance); one that would break a
// limit is refused before anything is sent, recorded in TRANSFERS as requested then failed with
// its code (3240-3242) and the reason naming the limit, as `omsctl transfers` lists it.
// The plan (plan_rebalance): one per exchange whose transfers this daemon sends (Binance, Bybit,
// OKX) and whose accounts all run here, on the engine's free USDT of each account -- Binance's
// spot wallet, Bybit's and OKX's unified wallet. An exchange with an account another daemon
// runs (omsd --accounts) is left out, named in the log at start.
//
// Balances: the transfer events are NOT folded into the engine's accounts (the engine rebuilds
// from the account streams, never TRANSFERS). The venue's user-data stream reports each side's
// new balance (balanceUpdate / outboundAccountPosition, ACCOUNT_UPDATE) as for any other change,
// so every transfer moves the engine's balances once, by the venue's numbers.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "oms/actors/gateway.hpp"
#include "oms/actors/observe/metrics.hpp"
#include "oms/transfers/binance_transfers.hpp"
#include "oms/transfers/bybit_transfers.hpp"
#include "oms/transfers/transfer_plan.hpp"

namespace oms::omsd {

class Daemon;

// A transfer's step that could not be recorded (nothing sent after it); in the 3xxx range of
// order_desk.hpp's CommandCode (3009..3014), after transfer_saga.hpp's 3015 and 3016.
inline constexpr std::uint16_t kTransferNotRecorded = 3017;

class TransferService final : public actors::TransferDesk {
 public:
  static constexpr std::chrono::seconds kRetry{2};

  // Reads the TRANSFERS stream (throws std::runtime_error naming what cannot be read), then
  // starts the thread, which resumes the unfinished transfers before any new one.
  TransferService(Daemon& daemon, observe::Metrics& metrics);
  ~TransferService() override;
  TransferService(const TransferService&) = delete;
  TransferService& operator=(const TransferService&) = delete;

  [[nodiscard]] Result<actors::TransferInfo, std::string> request(const TransferRequested& r,
                                                                  std::chrono::milliseconds wait) override;
  [[nodiscard]] std::vector<actors::TransferInfo> recent(std::size_t limit) const override;
  [[nodiscard]] Result<actors::RebalancePlan, std::string> plan_rebalance() override;

  // Finishes the step under way, then joins the threads (before the connectors stop). Transfers
  // left unfinished are resumed at the next start.
  void stop();

  // One scheduled rebalance now (the scheduler's run): what it did, for the log.
  struct RebalanceRun {
    std::size_t planned = 0, completed = 0, refused = 0, failed = 0;
  };
  RebalanceRun run_rebalance();

 private:
  struct Entry {
    actors::TransferInfo info;
    transfers::TransferEnds ends;
    bool runnable = false;  // ends found (a resumed transfer's plan may no longer hold)
    std::optional<actors::TransferSaga> saga;
  };
  void run();
  [[nodiscard]] Result<transfers::TransferEnds, std::string> ends_of(const TransferRequested& r) const;
  [[nodiscard]] bool persist(const EventPayload& step);
  void settle(std::uint64_t id);  // the saga's state into the entry (mu_ not held)
  void fail_unrecorded(std::uint64_t id, const std::string& why);
  // A transfer refused before anything was sent: requested, then failed (code, reason), both
  // recorded; listed as failed.
  void refuse(const TransferRequested& r, std::uint16_t code, const std::string& reason);
  void schedule();  // the scheduler thread
  // The USDT each account of rebalanced_ holds now (by account id; others zero), from the engine.
  [[nodiscard]] Result<std::vector<transfers::RebalanceHolding>, std::string> rebalance_holdings() const;
  [[nodiscard]] std::uint64_t new_transfer_id();

  Daemon& daemon_;
  std::unique_ptr<transfers::BinanceTransfers> binance_;  // null: no Binance spot venue
  std::unique_ptr<transfers::BybitTransfers> bybit_;      // null: no Bybit venue
  std::unique_ptr<transfers::OkxTransfers> okx_;          // null: no OKX venue
  std::unique_ptr<transfers::TransferRunner> runner_;
  // The exchanges the rebalance plans (Binance, Bybit, OKX in that order): those with their
  // transfer venue here whose accounts all run in this daemon. Set by the constructor.
  std::vector<ExchangeId> rebalanced_;
  observe::Counter* completed_ = nullptr;
  observe::Counter* failed_ = nullptr;
  observe::Counter* sends_ = nullptr;
  std::vector<std::string> claimed_;          // venue ids of the completed own-wallet transfers
  std::vector<actors::RecordedTransfer> resume_;  // unfinished at start: asked about first

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the thread: a new transfer, or stopping
  std::condition_variable done_cv_;  // request(): a transfer's status changed
  std::map<std::uint64_t, Entry> entries_;    // guarded by mu_
  std::vector<std::uint64_t> order_;          // ids, oldest first; guarded by mu_
  std::deque<std::uint64_t> queue_;           // new ones to start; guarded by mu_
  std::string last_store_error_;              // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  std::thread thread_;
  std::condition_variable schedule_cv_;       // the scheduler: stopping
  std::thread scheduler_;                     // runs when account_routing.rebalance is enabled
};

}  // namespace oms::omsd
