#include "oms/actors/runtime.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "oms/actors/risk_actor.hpp"
#include "oms/actors/session_actor.hpp"
#include "oms/actors/strategy_actor.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

struct Runtime::Shared {
  std::atomic<std::uint64_t> restarts{0};
};

namespace {

TimeNs wall_clock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct SupervisorState {
  std::map<AccountId, AccountActorConfig> configs;
  std::map<AccountId, caf::actor> accounts;
  std::map<caf::actor_addr, AccountId> by_addr;
  std::map<StrategyId, StrategyActorConfig> strategy_configs;
  std::map<StrategyId, caf::actor> strategies;
  std::map<caf::actor_addr, StrategyId> strategy_by_addr;
  caf::actor risk;
  std::shared_ptr<Runtime::Shared> shared;
  static inline const char* name = "supervisor";
};
using Supervisor = caf::stateful_actor<SupervisorState>;

void start_account(Supervisor* self, AccountId id) {
  auto& st = self->state;
  auto a = spawn_account_actor(self->system(), st.configs.at(id));
  self->monitor(a);
  st.by_addr[a.address()] = id;
  st.accounts[id] = a;
}

void start_strategy(Supervisor* self, StrategyId id) {
  auto& st = self->state;
  auto a = spawn_strategy_actor(self->system(), st.strategy_configs.at(id));
  self->monitor(a);
  st.strategy_by_addr[a.address()] = id;
  st.strategies[id] = a;
}

caf::behavior supervisor(Supervisor* self, std::map<AccountId, AccountActorConfig> configs,
                         std::map<StrategyId, StrategyActorConfig> strategy_configs,
                         caf::actor risk, std::shared_ptr<Runtime::Shared> shared) {
  self->state.configs = std::move(configs);
  self->state.strategy_configs = std::move(strategy_configs);
  self->state.risk = std::move(risk);
  self->state.shared = std::move(shared);
  for (const auto& [id, cfg] : self->state.configs) start_account(self, id);
  for (const auto& [id, cfg] : self->state.strategy_configs) start_strategy(self, id);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    if (const auto s = st.strategy_by_addr.find(dm.source); s != st.strategy_by_addr.end()) {
      const StrategyId id = s->second;
      st.strategy_by_addr.erase(s);
      st.strategies.erase(id);
      if (dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::normal) {
        return;
      }
      spdlog::error("strategy actor {} failed ({}); restarting it from its events", id.index(),
                    caf::to_string(dm.reason));
      start_strategy(self, id);
      return;
    }
    const auto it = st.by_addr.find(dm.source);
    if (it == st.by_addr.end()) return;
    const AccountId id = it->second;
    st.by_addr.erase(it);
    st.accounts.erase(id);
    if (dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::normal) {
      return;
    }
    // Every committed event must be in the store before the new actor reads it back.
    if (auto f = st.configs.at(id).log->flush(std::chrono::seconds(30)); !f) {
      spdlog::error("account actor {}: store flush before restart failed: {}", id.index(),
                    f.error().message);
    }
    spdlog::error("account actor {} failed ({}); restarting it from its events", id.index(),
                  caf::to_string(dm.reason));
    st.shared->restarts.fetch_add(1, std::memory_order_relaxed);
    start_account(self, id);
  });
  // Shutdown: the accounts go first (the state, with their handles, is gone once we quit).
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (const auto& [id, a] : self->state.accounts)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (const auto& [id, a] : self->state.strategies)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  const auto target = [self](AccountId id) -> caf::actor {
    const auto it = self->state.accounts.find(id);
    return it == self->state.accounts.end() ? caf::actor{} : it->second;
  };
  return {
      [self, target](const Command& c) {
        auto rp = self->make_response_promise();
        // Kill switches and limits: the risk actor records them; strategies follow the
        // recorded kill-switch events.
        if (std::holds_alternative<TripKillSwitch>(c.payload) ||
            std::holds_alternative<ResetKillSwitch>(c.payload) ||
            std::holds_alternative<SetRiskLimit>(c.payload)) {
          self->request(self->state.risk, caf::infinite, c)
              .then([rp](const CommandAck& ack) mutable { rp.deliver(ack); },
                    [rp](caf::error& e) mutable {
                      rp.deliver(CommandAck{false, false, 2000, caf::to_string(e), {}});
                    });
          return;
        }
        const StrategyId sid = std::visit(
            [](const auto& p) -> StrategyId {
              if constexpr (requires { p.strategy; } && !requires { p.account; }) return p.strategy;
              return StrategyId{};
            },
            c.payload);
        if (sid.valid()) {
          const auto it = self->state.strategies.find(sid);
          if (it == self->state.strategies.end()) {
            rp.deliver(CommandAck{false, false, 8002,
                                  "no strategy actor for strategy " + std::to_string(sid.index()), {}});
            return;
          }
          rp.delegate(it->second, c);
          return;
        }
        const AccountId id = std::visit(
            [](const auto& p) -> AccountId {
              if constexpr (requires { p.account; }) return p.account;
              return AccountId{};
            },
            c.payload);
        auto a = target(id);
        if (!a) {
          rp.deliver(CommandAck{false, false, 3010,
                                "no account actor for account " + std::to_string(id.index()), {}});
          return;
        }
        rp.delegate(a, c);
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
      [self](state_atom, StrategyId id) {
        auto rp = self->make_response_promise();
        const auto it = self->state.strategies.find(id);
        if (it == self->state.strategies.end()) {
          rp.deliver(caf::make_error(caf::sec::invalid_argument, "unknown strategy"));
          return;
        }
        rp.delegate(it->second, state_atom::value);
      },
      [target](AccountId id, const VenueReport& r) {
        if (auto a = target(id)) caf::anon_send(a, r);
        else spdlog::error("report {} for account {} without an actor", r.report_id, id.index());
      },
      [self, target](await_atom, AccountId id, const std::string& client_order_id) {
        auto rp = self->make_response_promise();
        auto a = target(id);
        if (!a) { rp.deliver(caf::make_error(caf::sec::invalid_argument, "unknown account")); return; }
        rp.delegate(a, await_atom::value, client_order_id);
      },
      [self, target](state_atom, AccountId id) {
        auto rp = self->make_response_promise();
        auto a = target(id);
        if (!a) { rp.deliver(caf::make_error(caf::sec::invalid_argument, "unknown account")); return; }
        rp.delegate(a, state_atom::value);
      },
      // An operator's restart: kill it; the down handler starts the new one.
      [self, target](rebuild_atom, AccountId id) -> bool {
        auto a = target(id);
        if (!a) return false;
        self->send_exit(a, caf::exit_reason::kill);
        return true;
      },
      [self, target](snapshot_atom, AccountId id) {
        auto rp = self->make_response_promise();
        auto a = target(id);
        if (!a) { rp.deliver(caf::make_error(caf::sec::invalid_argument, "unknown account")); return; }
        rp.delegate(a, snapshot_atom::value, true);
      },
  };
}

}  // namespace

Runtime::Runtime(RuntimeOptions options, const Directory& directory,
                 const InstrumentTable& instruments, persistence::EventStore& store, persistence::IntentLog* intents,
                 persistence::SnapshotStore* snapshots, std::shared_ptr<RiskCore> risk,
                 std::vector<RuntimeAccount> accounts)
    : options_(std::move(options)),
      log_(store, intents, directory),
      accounts_(std::move(accounts)),
      shared_(std::make_shared<Shared>()) {
  if (!options_.clock) options_.clock = wall_clock;
  config_ = std::make_unique<caf::actor_system_config>();
  config_->set("scheduler.max-threads", options_.scheduler_threads);
  config_->set("logger.console", caf::atom("none"));
  system_ = std::make_unique<caf::actor_system>(*config_);
  risk_ = spawn_risk_actor(*system_, RiskActorConfig{std::move(risk), &log_, &store, options_.clock});

  std::map<AccountId, AccountActorConfig> configs;
  for (const auto& a : accounts_) {
    AccountActorConfig c;
    c.account = a.id;
    c.name = directory.accounts.name(a.id);
    c.stream = persistence::StreamLayout::account_stream(a.exchange, c.name);
    c.instruments = &instruments;
    c.log = &log_;
    c.store = &store;
    c.snapshots = snapshots;
    sessions_.push_back(spawn_session_actor(*system_, a.session));
    c.session = sessions_.back();
    c.risk = risk_;
    c.snapshot_every = options_.snapshot_every;
    c.snapshot_interval = options_.snapshot_interval;
    c.ack_timeout = options_.ack_timeout;
    c.clock = options_.clock;
    if (options_.account_logger) c.logger = options_.account_logger(a.id);
    configs.emplace(a.id, std::move(c));
  }
  std::map<StrategyId, StrategyActorConfig> strategy_configs;
  for (std::size_t i = 0; i < directory.strategies.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    strategy_configs.emplace(id, StrategyActorConfig{id, directory.strategies.name(id), &log_, &store,
                                                     options_.clock});
  }
  supervisor_ = system_->spawn(supervisor, std::move(configs), std::move(strategy_configs), risk_,
                               shared_);
  for (const auto& a : accounts_) {
    a.session->start([sup = supervisor_, id = a.id](const VenueReport& r) {
      caf::anon_send(sup, id, r);
    });
  }
}

Runtime::~Runtime() {
  for (const auto& a : accounts_) a.session->stop();
  caf::anon_send_exit(supervisor_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(risk_, caf::exit_reason::user_shutdown);
  for (auto& s : sessions_) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  sessions_.clear();
  supervisor_ = nullptr;
  risk_ = nullptr;
  system_->await_all_actors_done();
  system_.reset();
}

Result<CommandAck, std::string> Runtime::submit(const Command& command,
                                                std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*system_};
  Result<CommandAck, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, command)
      .receive([&](const CommandAck& ack) { out = ack; },
               [&](const caf::error& e) { out = Unexpected(caf::to_string(e)); });
  return out;
}

Result<AccountViewPtr, std::string> Runtime::view(AccountId account,
                                                  std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*system_};
  Result<AccountViewPtr, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, state_atom::value, account)
      .receive([&](const AccountViewPtr& v) { out = v; },
               [&](const caf::error& e) { out = Unexpected(caf::to_string(e)); });
  return out;
}

Result<OrderStatus, std::string> Runtime::await_answer(AccountId account,
                                                      const std::string& client_order_id,
                                                      std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*system_};
  Result<OrderStatus, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, await_atom::value, account, client_order_id)
      .receive([&](OrderStatus s) { out = s; },
               [&](const caf::error& e) { out = Unexpected(caf::to_string(e)); });
  return out;
}

Result<StrategyViewPtr, std::string> Runtime::strategy(StrategyId id,
                                                      std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*system_};
  Result<StrategyViewPtr, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, state_atom::value, id)
      .receive([&](const StrategyViewPtr& v) { out = v; },
               [&](const caf::error& e) { out = Unexpected(caf::to_string(e)); });
  return out;
}

Result<std::uint64_t, std::string> Runtime::snapshot(AccountId account,
                                                     std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*system_};
  Result<std::uint64_t, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, snapshot_atom::value, account)
      .receive([&](std::uint64_t seq) { out = seq; },
               [&](const caf::error& e) { out = Unexpected(caf::to_string(e)); });
  return out;
}

Result<Unit, std::string> Runtime::restart_account(AccountId account,
                                                   std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*system_};
  const std::uint64_t before = account_restarts();
  Result<Unit, std::string> out = Unexpected(std::string("no answer"));
  self->request(supervisor_, timeout, rebuild_atom::value, account)
      .receive(
          [&](bool found) {
            out = found ? Result<Unit, std::string>(Unit{})
                        : Result<Unit, std::string>(Unexpected(std::string("unknown account")));
          },
          [&](const caf::error& e) { out = Unexpected(caf::to_string(e)); });
  if (!out) return out;
  // The new actor answers once it has rebuilt.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (account_restarts() > before && view(account, timeout).ok()) return Unit{};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Unexpected(std::string("account actor did not come back"));
}

void Runtime::mark(InstrumentId instrument, Decimal price) {
  caf::anon_send(risk_, mark_atom::value, instrument, price);
}

void Runtime::equity(AccountId account, Decimal value) {
  caf::anon_send(risk_, equity_atom::value, account, value);
}

Result<Unit, persistence::StoreError> Runtime::flush(std::chrono::milliseconds timeout) {
  return log_.flush(timeout);
}

std::uint64_t Runtime::account_restarts() const noexcept {
  return shared_->restarts.load(std::memory_order_relaxed);
}

}  // namespace oms::actors
