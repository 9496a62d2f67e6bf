#include "oms/actors/runtime.hpp"

#include "oms/actors/orchestrator.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <spdlog/spdlog.h>

#include "oms/cores/order_events.hpp"
#include "oms/messages/codec.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

TimeNs wall_clock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Runtime::Runtime(RuntimeOptions options, const Directory& directory,
                 const InstrumentTable& instruments, persistence::EventStore& store,
                 persistence::IntentLog* intents, persistence::SnapshotStore* snapshots,
                 std::shared_ptr<RiskCore> risk, std::vector<RuntimeAccount> accounts)
    : options_(std::move(options)), store_(store), log_(store, intents, directory),
      accounts_(std::move(accounts)) {
  if (!options_.engine.clock) options_.engine.clock = wall_clock;
  clock_ = options_.engine.clock;
  config_ = std::make_unique<caf::actor_system_config>();
  config_->set("scheduler.max-threads", options_.scheduler_threads);
  config_->set("logger.console", caf::atom("none"));
  system_ = std::make_unique<caf::actor_system>(*config_);

  EngineOptions eo = std::move(options_.engine);
  std::vector<EngineAccount> engine_accounts;
  for (const auto& a : accounts_) {
    EngineAccount ea;
    ea.id = a.id;
    ea.name = directory.accounts.name(a.id);
    ea.stream = persistence::StreamLayout::account_stream(a.exchange, ea.name);
    ea.session = a.session;
    ea.exchange = a.exchange;
    if (options_.account_logger) ea.logger = options_.account_logger(a.id);
    engine_accounts.push_back(std::move(ea));
  }
  engine_ = std::make_unique<Engine>(std::move(eo), instruments, log_, store, snapshots,
                                     std::move(risk), std::move(engine_accounts));
  // The schedules: a strategy outside its window is stopped before any session runs; then the
  // orchestrator follows the windows' edges.
  if (!options_.schedules.empty()) {
    std::vector<int> last;
    EventId id = 0;
    (void)run_schedules(*engine_, options_.schedules, last, clock_(), id);
    orchestrator_ = spawn_orchestrator(*system_, *engine_, options_.schedules, std::move(last),
                                       clock_, options_.schedule_tick);
  }
  for (const auto& a : accounts_) {
    a.session->start([engine = engine_.get(), id = a.id](const VenueReport& r) {
      engine->report(id, r);
    });
  }
  engine_->reconcile();
}

Runtime::~Runtime() {
  for (const auto& a : accounts_) a.session->stop();
  if (orchestrator_) {
    caf::anon_send_exit(orchestrator_, caf::exit_reason::user_shutdown);
    orchestrator_ = nullptr;  // its thread ends once nothing holds it
  }
  system_->await_all_actors_done();
  engine_.reset();
  system_.reset();
}

Result<CommandAck, std::string> Runtime::submit(const Command& command,
                                                std::chrono::milliseconds timeout,
                                                TimeNs received_ns) {
  return engine_->submit(command, timeout, received_ns);
}

Result<std::vector<CommandAck>, std::string> Runtime::submit_batch(
    const Command& batch, std::chrono::milliseconds timeout, TimeNs received_ns) {
  return engine_->submit_batch(batch, timeout, received_ns);
}

Result<AccountViewPtr, std::string> Runtime::view(AccountId account,
                                                  std::chrono::milliseconds timeout) {
  return engine_->view(account, timeout);
}

Result<OrderStatus, std::string> Runtime::await_answer(AccountId account,
                                                      const std::string& client_order_id,
                                                      std::chrono::milliseconds timeout) {
  return engine_->await_answer(account, client_order_id, timeout);
}

Result<std::vector<Decimal>, std::string> Runtime::marks(std::chrono::milliseconds timeout) {
  return engine_->marks(timeout);
}

Result<StrategyViewPtr, std::string> Runtime::strategy(StrategyId id,
                                                      std::chrono::milliseconds timeout) {
  return engine_->strategy(id, timeout);
}

Result<std::vector<AlgoStep>, std::string> Runtime::algos(std::chrono::milliseconds timeout) {
  return engine_->algos(timeout);
}

Result<std::vector<OrderCore>, std::string> Runtime::orders_of_day(AccountId account,
                                                                   std::int32_t day) {
  const RuntimeAccount* ra = nullptr;
  for (const auto& a : accounts_) {
    if (a.id == account) ra = &a;
  }
  if (ra == nullptr) return Unexpected("no running account has id " + std::to_string(account.index()));
  const Directory& directory = log_.subjects().directory();
  const std::string stream =
      persistence::StreamLayout::account_stream(ra->exchange, directory.accounts.name(account));
  auto days = store_.day_index(stream);
  if (!days) return Unexpected(days.error().message);
  std::uint64_t from = 0, to = 0;  // [from, to]; to 0: through the end
  for (std::size_t i = 0; i < days->size(); ++i) {
    if ((*days)[i].day < day) continue;
    if ((*days)[i].day == day) {
      from = (*days)[i].first_sequence;
      if (i + 1 < days->size()) to = (*days)[i + 1].first_sequence - 1;
    }
    break;
  }
  std::map<std::string, OrderCore, std::less<>> orders;
  if (from == 0) return std::vector<OrderCore>{};
  // An order's later events may fall on a later day: the stream is read on from the day's
  // start, but only orders submitted within the day are listed.
  std::string error;
  auto read = store_.read(persistence::ReadRequest{stream, from, 0, {}},
                          [&](const persistence::StoredRecord& r) {
                            auto e = decode_event_json(r.payload, directory);
                            if (!e) {
                              error = stream + " seq " + std::to_string(r.sequence) + ": " +
                                      e.error().message;
                              return false;
                            }
                            const auto id = client_order_id_of(e->payload);
                            if (id.empty()) return true;
                            auto it = orders.find(id);
                            if (it == orders.end()) {
                              const bool in_day = to == 0 || r.sequence <= to;
                              if (!in_day || !std::holds_alternative<OrderSubmitted>(e->payload)) {
                                return true;
                              }
                              it = orders.emplace(std::string(id), OrderCore{}).first;
                            }
                            if (const auto oe = to_order_event(e->payload)) (void)it->second.apply(*oe);
                            // Past the day: read on only while one of its orders is still open.
                            if (to != 0 && r.sequence > to && (r.sequence - to) % 1024 == 0) {
                              return std::any_of(orders.begin(), orders.end(), [](const auto& kv) {
                                return !is_terminal(kv.second.status());
                              });
                            }
                            return true;
                          });
  if (!read) return Unexpected(read.error().message);
  if (!error.empty()) return Unexpected(error);
  std::vector<OrderCore> out;
  out.reserve(orders.size());
  for (auto& [id, o] : orders) out.push_back(std::move(o));
  return out;
}

Result<std::uint64_t, std::string> Runtime::snapshot(AccountId account,
                                                     std::chrono::milliseconds timeout) {
  return engine_->snapshot(account, timeout);
}

Result<Unit, std::string> Runtime::restart_account(AccountId account,
                                                   std::chrono::milliseconds timeout) {
  return engine_->restart_account(account, timeout);
}

void Runtime::mark(InstrumentId instrument, Decimal price) { engine_->mark(instrument, price); }

void Runtime::market_data(TimeNs venue_time, const EventPayload& event, TimeNs received_ns) {
  engine_->market_data(venue_time, event, received_ns);
}

bool Runtime::has_mark(InstrumentId instrument) const noexcept { return engine_->has_mark(instrument); }

Result<Unit, persistence::StoreError> Runtime::flush(std::chrono::milliseconds timeout) {
  return log_.flush(timeout);
}

std::uint64_t Runtime::account_restarts() const noexcept { return engine_->account_restarts(); }

}  // namespace oms::actors
