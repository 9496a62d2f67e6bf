#include "oms/actors/runtime.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <spdlog/spdlog.h>

#include "oms/actors/strategy_actor.hpp"
#include "oms/cores/order_events.hpp"
#include "oms/messages/codec.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

std::string to_string(ActorErrc e) {
  switch (e) {
    case ActorErrc::kUnknownStrategy: return "unknown strategy";
  }
  return "unknown error";
}

namespace {

TimeNs wall_clock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The supervisor of the strategy actors (off the order path): restarts a failed one from its
// events, routes strategy commands, and hands recorded kill switches to the strategies they
// cover.
struct SupervisorState {
  std::map<StrategyId, StrategyActorConfig> configs;
  std::map<StrategyId, StrategyActor> strategies;
  std::map<caf::actor_addr, StrategyId> by_addr;
  static inline const char* name = "supervisor";
};
using Self = Runtime::Supervisor::stateful_pointer<SupervisorState>;

void start_strategy(Self self, StrategyId id) {
  auto& st = self->state;
  auto a = spawn_strategy_actor(self->system(), st.configs.at(id));
  self->monitor(a);
  st.by_addr[a.address()] = id;
  st.strategies[id] = a;
}

Runtime::Supervisor::behavior_type supervisor(Self self,
                                              std::map<StrategyId, StrategyActorConfig> configs) {
  self->state.configs = std::move(configs);
  for (const auto& [id, cfg] : self->state.configs) start_strategy(self, id);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    const auto s = st.by_addr.find(dm.source);
    if (s == st.by_addr.end()) return;
    const StrategyId id = s->second;
    st.by_addr.erase(s);
    st.strategies.erase(id);
    if (dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::normal) {
      return;
    }
    spdlog::error("strategy actor {} failed ({}); restarting it from its events", id.index(),
                  caf::to_string(dm.reason));
    start_strategy(self, id);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (const auto& [id, a] : self->state.strategies)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  return {
      [self](const Command& c, StrategyId sid) -> caf::result<CommandAck> {
        const auto it = self->state.strategies.find(sid);
        if (it == self->state.strategies.end()) {
          return CommandAck{false, false, static_cast<std::uint16_t>(CommandCode::kNoSuchStrategy),
                            "no strategy actor for strategy " + std::to_string(sid.index()), {}};
        }
        return self->delegate(it->second, c);
      },
      // A recorded kill switch: the strategies it covers change state.
      [self](const Event& e) {
        const auto* k = std::get_if<KillSwitchTripped>(&e.payload);
        if (k == nullptr) return;
        for (const auto& [sid, a] : self->state.strategies) {
          if (k->scope == LimitScope::kGlobal ||
              (k->scope == LimitScope::kStrategy && k->strategy == sid)) {
            self->send(a, e);
          }
        }
      },
      [self](state_atom, StrategyId id) -> caf::result<StrategyViewPtr> {
        const auto it = self->state.strategies.find(id);
        if (it == self->state.strategies.end()) {
          return caf::make_error(ActorErrc::kUnknownStrategy,
                                 "strategy " + std::to_string(id.index()));
        }
        return self->delegate(it->second, state_atom::value);
      },
  };
}

// The strategy a strategy command (start, stop, parameter) is for; invalid for others.
StrategyId strategy_of(const CommandPayload& p) {
  return std::visit(
      [](const auto& c) -> StrategyId {
        if constexpr (requires { c.strategy; } && !requires { c.account; } &&
                      !requires { c.scope; }) {
          return c.strategy;
        }
        return StrategyId{};
      },
      p);
}

}  // namespace

Runtime::Runtime(RuntimeOptions options, const Directory& directory,
                 const InstrumentTable& instruments, persistence::EventStore& store,
                 persistence::IntentLog* intents, persistence::SnapshotStore* snapshots,
                 std::shared_ptr<RiskCore> risk, std::vector<RuntimeAccount> accounts)
    : options_(std::move(options)), store_(store), log_(store, intents, directory),
      accounts_(std::move(accounts)) {
  if (!options_.engine.clock) options_.engine.clock = wall_clock;
  config_ = std::make_unique<caf::actor_system_config>();
  config_->set("scheduler.max-threads", options_.scheduler_threads);
  config_->set("logger.console", caf::atom("none"));
  config_->add_error_category(
      caf::atom("oms"), [](std::uint8_t code, caf::atom_value, const caf::message& context) {
        std::string text = "oms: " + to_string(static_cast<ActorErrc>(code));
        if (context.match_elements<std::string>()) {
          text += " (" + context.get_as<std::string>(0) + ")";
        } else if (!context.empty()) {
          text += " " + caf::to_string(context);
        }
        return text;
      });
  system_ = std::make_unique<caf::actor_system>(*config_);

  std::map<StrategyId, StrategyActorConfig> strategy_configs;
  for (std::size_t i = 0; i < directory.strategies.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    strategy_configs.emplace(id, StrategyActorConfig{id, directory.strategies.name(id), &log_,
                                                     &store, options_.engine.clock});
  }
  supervisor_ = system_->spawn(supervisor, std::move(strategy_configs));

  EngineOptions eo = std::move(options_.engine);
  eo.on_kill_switch = [sup = supervisor_](const Event& e) { caf::anon_send(sup, e); };
  std::vector<EngineAccount> engine_accounts;
  for (const auto& a : accounts_) {
    EngineAccount ea;
    ea.id = a.id;
    ea.name = directory.accounts.name(a.id);
    ea.stream = persistence::StreamLayout::account_stream(a.exchange, ea.name);
    ea.session = a.session;
    if (options_.account_logger) ea.logger = options_.account_logger(a.id);
    engine_accounts.push_back(std::move(ea));
  }
  engine_ = std::make_unique<Engine>(std::move(eo), instruments, log_, store, snapshots,
                                     std::move(risk), std::move(engine_accounts));
  for (const auto& a : accounts_) {
    a.session->start([engine = engine_.get(), id = a.id](const VenueReport& r) {
      engine->report(id, r);
    });
  }
  engine_->reconcile();
}

Runtime::~Runtime() {
  for (const auto& a : accounts_) a.session->stop();
  engine_.reset();
  caf::anon_send_exit(supervisor_, caf::exit_reason::user_shutdown);
  supervisor_ = nullptr;
  system_->await_all_actors_done();
  system_.reset();
}

Result<CommandAck, std::string> Runtime::submit(const Command& command,
                                                std::chrono::milliseconds timeout,
                                                TimeNs received_ns) {
  const StrategyId sid = strategy_of(command.payload);
  if (!sid.valid()) return engine_->submit(command, timeout, received_ns);
  caf::scoped_actor self{*system_};
  Result<CommandAck, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, command, sid)
      .receive([&](const CommandAck& ack) { out = ack; },
               [&](const caf::error& e) { out = Unexpected(system_->render(e)); });
  return out;
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

Result<StrategyViewPtr, std::string> Runtime::strategy(StrategyId id,
                                                      std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*system_};
  Result<StrategyViewPtr, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, state_atom::value, id)
      .receive([&](const StrategyViewPtr& v) { out = v; },
               [&](const caf::error& e) { out = Unexpected(system_->render(e)); });
  return out;
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
