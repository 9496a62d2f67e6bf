// Runtime: one daemon's trading core -- the engine shard (engine.hpp: every account's
// OrderDesk, pre-trade risk, ack timers, the strategies and their lifecycle; the one order
// path) and, around it, the CAF actors off the order path. Over an EventLog, a store, the
// intent log and snapshots. omsd composes it with real connectors; tests with a scripted venue.
//
// The sessions' reports go straight to the engine's rings; every command -- orders, limits,
// kill switches, strategy start / stop / parameters -- goes to the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "oms/actors/engine.hpp"
#include "oms/actors/event_log.hpp"
#include "oms/connectors/exchange_session.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/cores/risk_core.hpp"
#include "oms/actors/orchestrator.hpp"
#include "oms/actors/types.hpp"

namespace oms::actors {

struct RuntimeAccount {
  AccountId id;
  ExchangeId exchange = ExchangeId::kBinance;
  std::shared_ptr<ExchangeSession> session;
};

// A stored record of an account stream as an operator sees it (Runtime::show_record).
struct RecordReport {
  std::string stream;
  std::uint64_t sequence = 0;
  std::string account;
  std::string subject;
  std::string payload;
  std::string problem;        // why a rebuild refuses it; empty: it folds
  bool quarantined = false;
  std::string account_status;  // "ok" or the account's refusal
  std::string message;         // quarantine_record: what was done
};
struct RecordError {
  bool not_found = false;  // no such stream of ours or sequence; else a refused request
  std::string message;
};

struct RuntimeOptions {
  std::size_t scheduler_threads = 2;  // CAF's default is 4 even on a 2-core machine
  // The engine's options (engine.hpp): settings, books, the strategy stage, recording; omsd
  // takes them from its setup (BuiltEngine::engine_options); a null clock is the wall clock.
  EngineOptions engine;
  // The logger of an account's actors (omsd: a file per account); null or returning null:
  // spdlog's default logger.
  std::function<std::shared_ptr<spdlog::logger>(AccountId)> account_logger;
  // The strategies' schedules (orchestrator.hpp); empty: no orchestrator.
  std::vector<ScheduledStrategy> schedules;
  std::chrono::milliseconds schedule_tick{1000};
  // Signs every committed event and checks the account streams' records at rebuild
  // (record_integrity.hpp); null: unsigned and unchecked.
  std::shared_ptr<const persistence::RecordMac> mac;
};

class Runtime {
 public:
  // Rebuilds every account (throws std::runtime_error naming what cannot be read), starts the
  // engine and the sessions, then reconciles live orders with the venues.
  Runtime(RuntimeOptions options, const Directory& directory, const InstrumentTable& instruments,
          persistence::EventStore& store,
          persistence::IntentLog* intents, persistence::SnapshotStore* snapshots,
          std::shared_ptr<RiskCore> risk, std::vector<RuntimeAccount> accounts);
  // Stops the sessions, then every actor, then waits for them.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // A command for the account it names. Errors: the timeout, an unknown account, a dead actor.
  // received_ns: when the request entered the process (order-to-wire tracing; 0: not traced).
  [[nodiscard]] Result<CommandAck, std::string> submit(const Command& command,
                                                       std::chrono::milliseconds timeout,
                                                       TimeNs received_ns = 0);
  // A SubmitBatch: each order's answer in the batch's order (Engine::submit_batch).
  [[nodiscard]] Result<std::vector<CommandAck>, std::string> submit_batch(
      const Command& batch, std::chrono::milliseconds timeout, TimeNs received_ns = 0);
  [[nodiscard]] Result<AccountViewPtr, std::string> view(AccountId account,
                                                         std::chrono::milliseconds timeout);
  [[nodiscard]] Result<AccountViewPtr, std::string> summary(AccountId account,
                                                            std::chrono::milliseconds timeout);
  // Waits until the venue (or risk, or the ack timer) has answered the order -- its status has
  // left pending_submit / submitted -- and returns that status; at once when it already has.
  // Errors: the timeout, an unknown account or client order id.
  [[nodiscard]] Result<OrderStatus, std::string> await_answer(AccountId account,
                                                              const std::string& client_order_id,
                                                              std::chrono::milliseconds timeout);
  // A strategy's lifecycle state, parameters, quoters and PnL (the engine's).
  [[nodiscard]] Result<StrategyViewPtr, std::string> strategy(StrategyId id,
                                                              std::chrono::milliseconds timeout);
  // The execution algos, open and recently ended (the engine's).
  [[nodiscard]] Result<std::vector<AlgoStep>, std::string> algos(std::chrono::milliseconds timeout);
  // The smart-routed parents, open and recently ended (the engine's).
  [[nodiscard]] Result<std::vector<SorStep>, std::string> sors(std::chrono::milliseconds timeout);
  // Every instrument's mark (by id; zero: none yet), the engine's.
  [[nodiscard]] Result<std::vector<Decimal>, std::string> marks(std::chrono::milliseconds timeout);
  // Every order of the account submitted on a UTC day (days since 1970-01-01), as its events in
  // the store fold (OrderCore), by client order id: the closed orders that left memory too.
  // Read from the calling thread, off the engine. Errors name the stream.
  [[nodiscard]] Result<std::vector<OrderCore>, std::string> orders_of_day(AccountId account,
                                                                         std::int32_t day);
  // Writes a snapshot of the account now (tests, operators); returns the sequence it covers.
  [[nodiscard]] Result<std::uint64_t, std::string> snapshot(AccountId account,
                                                            std::chrono::milliseconds timeout);
  // Operators: drops the account's state, rebuilds it from snapshot + stream and reconciles its
  // live orders with the venue -- what the engine does on its own when handling an account's
  // input fails. Returns once the account is rebuilt.
  [[nodiscard]] Result<Unit, std::string> restart_account(AccountId account,
                                                          std::chrono::milliseconds timeout);
  // The instrument's mark (mid price) for risk: exposure valuation and the price band
  // of orders that carry no reference price. Returns at once.
  void mark(InstrumentId instrument, Decimal price);
  // A connector's market data for the engine's books and strategy stage (engine.hpp).
  // received_ns: when its message was read off the socket (0: not traced).
  void market_data(TimeNs venue_time, const EventPayload& event, TimeNs received_ns = 0);
  [[nodiscard]] bool has_mark(InstrumentId instrument) const noexcept;
  // A venue's ban of the account's connection, to the kill switch (Engine::venue_banned).
  bool venue_banned(AccountId account, TimeNs until) { return engine_->venue_banned(account, until); }
  // Automatic kill-switch trips since start, by reason.
  [[nodiscard]] std::uint64_t kill_switch_trips(TripReason reason) const noexcept {
    return engine_->kill_switch_trips(reason);
  }
  [[nodiscard]] std::uint64_t unpriced_fees() const noexcept { return engine_->unpriced_fees(); }
  [[nodiscard]] Decimal day_pnl(LimitScope scope, std::uint32_t id) const noexcept {
    return engine_->day_pnl(scope, id);
  }
  // Waits until the store holds every committed event.
  [[nodiscard]] Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds timeout);

  // The accounts the engine refuses to run (their state could not be rebuilt).
  [[nodiscard]] std::vector<AccountRefusal> refusals() const { return engine_->refusals(); }
  // The account whose stream this is (none: not one of ours).
  [[nodiscard]] std::optional<AccountId> account_of_stream(std::string_view stream) const;
  // One record of an account stream, with what a rebuild thinks of it. Read off the engine.
  [[nodiscard]] Result<RecordReport, RecordError> show_record(std::string_view stream, std::uint64_t sequence);
  // Stores a quarantine of that record (signed, in the same stream; record_integrity.hpp), then
  // restarts the account. Refused for a record that folds (a valid event is never dropped).
  [[nodiscard]] Result<RecordReport, RecordError> quarantine_record(std::string_view stream,
                                                                    std::uint64_t sequence,
                                                                    const std::string& reason,
                                                                    const std::string& by,
                                                                    std::chrono::milliseconds timeout);

  [[nodiscard]] EventLog& log() noexcept { return log_; }
  [[nodiscard]] std::uint64_t account_restarts() const noexcept;
  // The engine's (Engine::inputs_waiting, Engine::loop_lag): for metrics.
  [[nodiscard]] const Engine& engine() const noexcept { return *engine_; }

 private:
  RuntimeOptions options_;
  persistence::EventStore& store_;
  EventLog log_;
  std::vector<RuntimeAccount> accounts_;
  std::vector<std::string> account_streams_;  // by accounts_ index
  std::unique_ptr<caf::actor_system_config> config_;
  std::unique_ptr<caf::actor_system> system_;
  caf::actor orchestrator_;
  std::function<TimeNs()> clock_;  // the engine's
  std::unique_ptr<Engine> engine_;
};

}  // namespace oms::actors
