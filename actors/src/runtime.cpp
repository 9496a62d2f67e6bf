#include "oms/actors/runtime.hpp"

#include "oms/actors/orchestrator.hpp"

#include <algorithm>
#include <chrono>
#include <future>
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
    : options_(std::move(options)), store_(store),
      log_(store, intents, directory, Publish::kThread, options_.mac),
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
    account_streams_.push_back(ea.stream);
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

Result<AccountViewPtr, std::string> Runtime::summary(AccountId account,
                                                     std::chrono::milliseconds timeout) {
  return engine_->summary(account, timeout);
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

Result<std::vector<SorStep>, std::string> Runtime::sors(std::chrono::milliseconds timeout) {
  return engine_->sors(timeout);
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
  // start, but only orders submitted (or found, external ones) within the day are listed.
  std::string error;
  auto read = store_.read(persistence::ReadRequest{stream, from, 0, {}},
                          [&](const persistence::StoredRecord& r) {
                            if (persistence::is_quarantine_subject(r.subject)) return true;
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
                              // Ours from OrderSubmitted, another client's (external) from
                              // ExternalOrderFound.
                              const bool first = std::holds_alternative<OrderSubmitted>(e->payload) ||
                                                 std::holds_alternative<ExternalOrderFound>(e->payload);
                              if (!in_day || !first) {
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

// ---- operators: stored records (issue 13) -------------------------------------------------

std::optional<AccountId> Runtime::account_of_stream(std::string_view stream) const {
  for (std::size_t i = 0; i < account_streams_.size(); ++i) {
    if (account_streams_[i] == stream) return accounts_[i].id;
  }
  return std::nullopt;
}

namespace {

// Shows a payload as text: at most kShown bytes, bytes outside printable ASCII as \xNN.
constexpr std::size_t kShown = 4096;
std::string printable(std::string_view payload) {
  std::string out;
  for (std::size_t i = 0; i < payload.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(payload[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  if (payload.size() > kShown) out += "...";
  return out;
}

}  // namespace

Result<RecordReport, RecordError> Runtime::show_record(std::string_view stream, std::uint64_t sequence) {
  const auto account = account_of_stream(stream);
  if (!account) return Unexpected{RecordError{true, "no account stream '" + std::string(stream) + "' here"}};
  if (sequence == 0) return Unexpected{RecordError{false, "sequence: missing (from 1)"}};
  RecordReport out;
  out.stream = stream;
  out.sequence = sequence;
  out.account = log_.subjects().directory().accounts.name(*account);
  bool found = false;
  const RecordChecks checks{&log_.subjects(), log_.mac()};
  auto read = store_.read(persistence::ReadRequest{std::string(stream), sequence, sequence, {}},
                          [&](const persistence::StoredRecord& r) {
                            if (r.sequence != sequence) return false;
                            found = true;
                            out.subject = r.subject;
                            out.payload = printable(r.payload);
                            if (persistence::is_quarantine_subject(r.subject)) {
                              out.problem = "a quarantine record (passed over by every reader)";
                              return false;
                            }
                            std::optional<Event> event;
                            if (auto why = record_problem(r, stream, log_.subjects().directory(), checks, event)) {
                              out.problem = std::move(*why);
                            }
                            return false;
                          });
  if (!read) return Unexpected{RecordError{false, read.error().message}};
  if (!found) {
    return Unexpected{RecordError{true, std::string(stream) + " has no record at sequence " + std::to_string(sequence)}};
  }
  auto q = persistence::quarantined_sequences(store_, stream, sequence + 1, log_.mac());
  if (!q) return Unexpected{RecordError{false, q.error().message}};
  out.quarantined = q->count(sequence) != 0;
  out.account_status = "ok";
  for (const auto& r : engine_->refusals()) {
    if (r.account == *account) out.account_status = r.message();
  }
  return out;
}

Result<RecordReport, RecordError> Runtime::quarantine_record(std::string_view stream, std::uint64_t sequence,
                                                             const std::string& reason, const std::string& by,
                                                             std::chrono::milliseconds timeout) {
  auto shown = show_record(stream, sequence);
  if (!shown) return shown;
  RecordReport out = std::move(shown).value();
  const auto account = *account_of_stream(stream);
  if (out.problem.empty()) {
    return Unexpected{RecordError{false, std::string(stream) + " seq " + std::to_string(sequence) +
                                             " is a valid event of the account: only a record a rebuild "
                                             "refuses can be quarantined"}};
  }
  if (persistence::is_quarantine_subject(out.subject)) {
    return Unexpected{RecordError{false, std::string(stream) + " seq " + std::to_string(sequence) +
                                             " is itself a quarantine record"}};
  }
  if (!out.quarantined) {
    persistence::Quarantine q;
    q.sequence = sequence;
    q.reason = reason.empty() ? out.problem : reason + " (the rebuild said: " + out.problem + ")";
    q.by = by;
    q.time = clock_();
    persistence::AppendRecord rec;
    rec.subject = persistence::quarantine_subject(stream, sequence);
    rec.payload = persistence::encode_quarantine(q);
    if (log_.mac() != nullptr) rec.payload = log_.mac()->sign(rec.subject, rec.payload);
    rec.msg_id = persistence::quarantine_msg_id(stream, sequence);
    rec.time = q.time;
    auto done = std::make_shared<std::promise<Result<std::uint64_t, persistence::StoreError>>>();
    auto answer = done->get_future();
    store_.append(std::move(rec), [done](const Result<std::uint64_t, persistence::StoreError>& r) {
      done->set_value(r);
    });
    if (answer.wait_for(timeout) != std::future_status::ready) {
      return Unexpected{RecordError{false, "the store did not store the quarantine within the timeout"}};
    }
    const auto stored = answer.get();
    if (!stored) return Unexpected{RecordError{false, "storing the quarantine: " + stored.error().message}};
    spdlog::warn("{} seq {} quarantined by {} (stored at seq {}): {}", stream, sequence, by, *stored, q.reason);
    out.quarantined = true;
  }
  // The account rebuilds without it (or says what else stops it).
  auto restarted = engine_->restart_account(account, timeout);
  out.account_status = "ok";
  for (const auto& r : engine_->refusals()) {
    if (r.account == account) out.account_status = r.message();
  }
  out.message = restarted ? "quarantined; the account rebuilt and trades"
                          : "quarantined; the account is still refused: " + restarted.error();
  return out;
}

}  // namespace oms::actors
