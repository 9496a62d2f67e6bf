#include "oms/actors/account_actor.hpp"

#include <deque>
#include <map>
#include <set>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "oms/actors/event_group.hpp"
#include "oms/actors/order_actor.hpp"
#include "oms/actors/order_events.hpp"
#include "oms/actors/risk_actor.hpp"

namespace oms::actors {

namespace {

constexpr std::chrono::seconds kFlushBeforeSnapshot{5};

struct OrderEntry {
  OrderCore core;
  std::vector<Event> events;  // committed, in stream order: the snapshot and rebuild unit
  caf::actor actor;           // bound order actor while the order is live
  bool resend_if_unknown = false;  // rebuilt before any ack: place again if the venue never saw it
  bool risk_open = false;          // counted as open by this run's risk core
  bool resent = false;             // sent again after the restart; its query answer is pending
};

struct AccountState {
  AccountActorConfig cfg;
  std::unique_ptr<AccountCore> account;      // balances, locks, futures positions
  std::unique_ptr<PositionCore> positions;   // net positions and PnL of this account
  RecentGroups recent;                       // inputs already committed
  // Every event folded, in stream order: what a snapshot holds (the cores' fold depends on
  // the interleaving, e.g. a venue balance override between two fills). Compacting it into
  // the cores' own state is the next step; until then a snapshot saves the stream read only.
  std::vector<Event> history;
  std::uint64_t duplicate_inputs = 0, account_refusals = 0;
  std::map<std::string, OrderEntry, std::less<>> orders;  // by client order id
  std::vector<caf::actor> idle;                            // the order actor pool
  std::vector<caf::actor> pool;                            // every order actor, for shutdown
  std::uint64_t events_committed = 0, events_rebuilt = 0, torn_groups = 0;
  std::uint64_t events_since_snapshot = 0;
  std::uint64_t snapshot_sequence = 0;
  TimeNs last_snapshot = 0;
  std::uint64_t unmatched_reports = 0;
  std::deque<FillReceived> recent_fills;  // the last kRecentFills, oldest first
  // Callers waiting for an order's first answer from the venue (await_atom), by client id.
  std::multimap<std::string, caf::response_promise, std::less<>> awaiting;
  // After a rebuild: live orders whose status query is out, and the commands held until every
  // answer is in, so the fills the crash left behind are folded before anything new happens
  // (positions and PnL depend on the order fills are folded in).
  std::set<std::string, std::less<>> reconciling;
  std::deque<std::pair<Command, caf::response_promise>> held;
  static inline const char* name = "account";
};

using AccountActor = caf::stateful_actor<AccountState>;

// The account's own logger (omsd: a file per account), else the default one.
spdlog::logger& logger(const AccountState& st) {
  return st.cfg.logger ? *st.cfg.logger : *spdlog::default_logger_raw();
}

void fold(OrderEntry& entry, const Event& e) {
  const bool venue_answer = !std::holds_alternative<OrderSubmitted>(e.payload) &&
                            !std::holds_alternative<OrderRejected>(e.payload);
  if (venue_answer && entry.core.status() == OrderStatus::kPendingSubmit) {
    // The send is a local transition, not in the stream; the venue's answer proves it.
    (void)entry.core.apply(OrderSendRequested{entry.core.client_order_id()});
  }
  if (const auto oe = to_order_event(e.payload)) (void)entry.core.apply(*oe);
  entry.events.push_back(e);
}

// The venue (or risk, or the ack timer) has answered the order: it left the pending states.
bool answered(OrderStatus s) noexcept {
  return s != OrderStatus::kInitialized && s != OrderStatus::kPendingSubmit &&
         s != OrderStatus::kSubmitted;
}

// Folds one committed or rebuilt event into the state.
void fold(AccountState& st, const Event& e) {
  st.recent.insert(group_of(e.envelope.id));
  st.history.push_back(e);
  if (auto r = st.account->apply(e); !r) {
    ++st.account_refusals;
    logger(st).warn("account {}: {} not folded into the account: {}", st.cfg.name,
                 message_name(e), to_string(r.error()));
  }
  (void)st.positions->apply(e);  // fills only; a refusal is AccountCore's to report
  if (const auto* fill = std::get_if<FillReceived>(&e.payload)) {
    if (st.recent_fills.size() == AccountView::kRecentFills) st.recent_fills.pop_front();
    st.recent_fills.push_back(*fill);
  }
  const auto id = client_order_id_of(e.payload);
  if (id.empty()) return;
  auto it = st.orders.find(id);
  if (it == st.orders.end()) it = st.orders.emplace(std::string(id), OrderEntry{}).first;
  fold(it->second, e);
  if (!st.awaiting.empty() && answered(it->second.core.status())) {
    auto [first, last] = st.awaiting.equal_range(id);
    for (auto w = first; w != last; ++w) w->second.deliver(it->second.core.status());
    st.awaiting.erase(first, last);
  }
}

CommandAck refused(std::uint16_t code, std::string message, OrderStatus status = {}) {
  return CommandAck{false, false, code, std::move(message), status};
}

caf::actor take_order_actor(AccountActor* self) {
  auto& st = self->state;
  if (st.idle.empty()) {
    // The pool ran dry: grow it (a spawn costs microseconds; this is the cold path of a
    // burst, and the pool keeps the actor afterwards).
    auto a = spawn_order_actor(self->system(), OrderActorConfig{st.cfg.session,
                                                                caf::actor_cast<caf::actor>(self),
                                                                st.cfg.ack_timeout});
    st.pool.push_back(a);
    return a;
  }
  auto a = std::move(st.idle.back());
  st.idle.pop_back();
  return a;
}

// Commits the events one input caused and folds them; hands order events to the order actor.
Result<std::vector<Event>, CommitError> commit(AccountActor* self, const Envelope& cause,
                                               std::span<const EventPayload> payloads,
                                               TimeNs event_time = 0) {
  auto& st = self->state;
  auto events = st.cfg.log->commit(cause, payloads, st.cfg.clock(), event_time);
  if (!events) return events;
  for (const Event& e : *events) {
    fold(st, e);
    ++st.events_committed;
    ++st.events_since_snapshot;
  }
  return events;
}

nlohmann::json snapshot_json(const AccountState& st, const Directory& directory,
                             std::uint64_t global_seq) {
  nlohmann::json events = nlohmann::json::array();
  for (const Event& e : st.history) {
    auto text = encode_json(e, directory);
    if (text) events.push_back(nlohmann::json::parse(*text));
  }
  return nlohmann::json{{"global_seq", global_seq}, {"events", std::move(events)}};
}

// The state and the stream sequence it covers are fixed here, on the actor; the file is written
// (temp, fsync, rename, fsync) on the snapshot store's writer thread unless `wait`, so the
// account keeps taking orders meanwhile.
void write_snapshot(AccountActor* self, bool wait = false) {
  auto& st = self->state;
  if (st.cfg.snapshots == nullptr) return;
  // The snapshot names the stream sequence it covers: everything committed must be stored.
  if (auto f = st.cfg.log->flush(kFlushBeforeSnapshot); !f) {
    logger(st).warn("account {}: snapshot skipped, store flush failed: {}", st.cfg.name,
                 f.error().message);
    return;
  }
  auto last = st.cfg.store->last_sequence(st.cfg.stream);
  if (!last) {
    logger(st).warn("account {}: snapshot skipped: {}", st.cfg.name, last.error().message);
    return;
  }
  const TimeNs now = st.cfg.clock();
  auto state = snapshot_json(st, st.cfg.log->subjects().directory(), st.cfg.log->last_global_seq());
  if (wait) {
    auto w = st.cfg.snapshots->write(st.cfg.name, st.cfg.stream, *last, now, state);
    if (!w) {
      logger(st).warn("account {}: snapshot failed: {}", st.cfg.name, w.error().message);
      return;
    }
  } else {
    // A failed write leaves the previous snapshot: the next start reads more of the stream.
    st.cfg.snapshots->write_async(
        st.cfg.name, st.cfg.stream, *last, now, std::move(state),
        [name = st.cfg.name, log = st.cfg.logger](const Result<persistence::SnapshotWrite, persistence::StoreError>& w) {
          if (w) return;
          (log ? *log : *spdlog::default_logger_raw())
              .warn("account {}: snapshot failed: {}", name, w.error().message);
        });
  }
  st.snapshot_sequence = *last;
  st.last_snapshot = now;
  st.events_since_snapshot = 0;
}

void maybe_snapshot(AccountActor* self) {
  if (self->state.events_since_snapshot >= self->state.cfg.snapshot_every) write_snapshot(self);
}

// Snapshot + stream -> state. Throws std::runtime_error naming the stream or file when the
// stored data cannot be read (the supervisor reports it; an account is never half built).
void rebuild(AccountActor* self) {
  auto& st = self->state;
  const Directory& directory = st.cfg.log->subjects().directory();
  std::uint64_t from = 1;
  std::uint64_t max_global = 0;
  if (st.cfg.snapshots != nullptr) {
    auto snap = st.cfg.snapshots->load_latest(st.cfg.name, st.cfg.stream, UINT64_MAX);
    if (!snap) throw std::runtime_error(snap.error().message);
    if (*snap) {
      const auto& s = **snap;
      max_global = s.state.value("global_seq", std::uint64_t{0});
      for (const auto& j : s.state.at("events")) {
        auto e = decode_event_json(j.dump(), directory);
        if (!e) {
          throw std::runtime_error(s.path.string() + ": " + e.error().message);
        }
        fold(st, *e);
        ++st.events_rebuilt;
      }
      from = s.sequence + 1;
      st.snapshot_sequence = s.sequence;
    }
  }
  std::vector<Event> tail;
  read_events(*st.cfg.store, persistence::ReadRequest{st.cfg.stream, from, 0, {}}, directory,
              [&](const Event& e) { tail.push_back(e); });
  GroupCounter groups;
  for (const Event& e : tail) groups.add(e.envelope.id);
  std::map<std::uint64_t, bool> torn;
  for (const Event& e : tail) {
    max_global = std::max(max_global, e.envelope.global_seq);
    if (!groups.complete(e.envelope.id)) {
      torn[group_of(e.envelope.id)] = true;
      continue;  // waits for its input to come again
    }
    fold(st, e);
    ++st.events_rebuilt;
  }
  st.torn_groups = torn.size();
  st.cfg.log->observe_global_seq(max_global);
  logger(st).info("account {}: rebuilt {} events (snapshot through seq {}, stream from {}: {} "
               "records, {} torn groups waiting)",
               st.cfg.name, st.events_rebuilt, st.snapshot_sequence, from, tail.size(),
               st.torn_groups);
}

// After a rebuild: every live order gets an actor, and the account asks the venue where each
// stands -- in the order they were submitted, through the one session actor, so the answers
// come back in that order.
void reconcile_open_orders(AccountActor* self) {
  auto& st = self->state;
  std::vector<std::pair<std::uint64_t, OrderEntry*>> live;
  for (auto& [id, entry] : st.orders) {
    if (is_terminal(entry.core.status())) continue;
    live.emplace_back(entry.events.empty() ? 0 : entry.events.front().envelope.global_seq, &entry);
  }
  std::sort(live.begin(), live.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, entry] : live) {
    if (entry->core.status() == OrderStatus::kPendingSubmit) {
      // Committed, maybe sent, never acknowledged: the ack state is unknown.
      (void)entry->core.apply(OrderSendRequested{entry->core.client_order_id()});
      (void)entry->core.apply(OrderAckTimedOut{entry->core.client_order_id()});
      entry->resend_if_unknown = true;
    }
    entry->actor = take_order_actor(self);
    self->send(entry->actor, bind_atom::value, entry->core,
               static_cast<std::uint8_t>(OrderTask::kAdopt));
    OrderStatusReconciled which{};
    which.account = entry->core.account();
    which.instrument = entry->core.instrument();
    which.client_order_id = entry->core.client_order_id();
    self->send(st.cfg.session, query_atom::value, Event{Envelope{}, which});
    st.reconciling.insert(entry->core.client_order_id().str());
  }
}

void on_command(AccountActor* self, const Command& cmd, caf::response_promise rp);

// The last answer is in (or the wait is over): the held commands go, in order.
void end_reconciliation(AccountActor* self) {
  auto& st = self->state;
  st.reconciling.clear();
  while (!st.held.empty()) {
    auto [cmd, rp] = std::move(st.held.front());
    st.held.pop_front();
    on_command(self, cmd, rp);
  }
}

void on_submit(AccountActor* self, const Command& cmd, const SubmitOrder& order,
               caf::response_promise rp) {
  auto& st = self->state;
  if (auto it = st.orders.find(order.client_order_id.view()); it != st.orders.end()) {
    ++st.duplicate_inputs;
    rp.deliver(CommandAck{true, true, 0, {}, it->second.core.status()});
    return;
  }
  OrderRequest req{order.account, order.strategy, order.instrument, order.side, order.price,
                   order.quantity, order.reduce_only, Decimal{}};
  self->request(st.cfg.risk, caf::infinite, check_atom::value, req, st.cfg.clock())
      .then(
          [self, cmd, order, rp](const RiskDecision& d) mutable {
            auto& s = self->state;
            if (s.orders.find(order.client_order_id.view()) != s.orders.end()) {
              rp.deliver(CommandAck{true, true, 0, {}, s.orders.find(order.client_order_id.view())
                                                           ->second.core.status()});
              return;
            }
            OrderSubmitted sub{order.account, order.strategy, order.instrument,
                               order.client_order_id, order.side, order.order_type, order.tif,
                               order.price, order.stop_price, order.quantity, order.reduce_only};
            if (!d.passed()) {
              OrderRejected rej{order.account, order.instrument, order.client_order_id,
                                static_cast<std::uint16_t>(d.code), 0, {}};
              const auto text = describe(d);
              (void)rej.reason.assign(std::string_view(text).substr(
                  0, std::min(text.size(), ReasonText::kCapacity)));
              const EventPayload group[] = {sub, to_event(d), rej};
              auto c = commit(self, cmd.envelope, group);
              if (!c) {
                rp.deliver(refused(static_cast<std::uint16_t>(c.error().store.code),
                                   c.error().store.message));
                return;
              }
              rp.deliver(refused(static_cast<std::uint16_t>(d.code), text, OrderStatus::kRejected));
              maybe_snapshot(self);
              return;
            }
            // The account must hold what the order locks: never a negative balance.
            AccountCore trial = *s.account;
            if (auto r = trial.apply(Event{cmd.envelope, sub}); !r) {
              self->send(s.cfg.risk, closed_atom::value, order.account, order.strategy,
                         order.instrument);  // the risk core counted it open
              const auto text = to_string(r.error());
              OrderRejected rej{order.account, order.instrument, order.client_order_id,
                                static_cast<std::uint16_t>(r.error().code), 0, {}};
              (void)rej.reason.assign(std::string_view(text).substr(
                  0, std::min(text.size(), ReasonText::kCapacity)));
              const EventPayload group[] = {sub, rej};
              if (auto c = commit(self, cmd.envelope, group); !c) {
                rp.deliver(refused(static_cast<std::uint16_t>(c.error().store.code),
                                   c.error().store.message));
                return;
              }
              rp.deliver(refused(static_cast<std::uint16_t>(r.error().code), text,
                                 OrderStatus::kRejected));
              maybe_snapshot(self);
              return;
            }
            const EventPayload group[] = {sub};
            auto c = commit(self, cmd.envelope, group);
            if (!c) {
              // Nothing left the building: give the risk slot back.
              self->send(s.cfg.risk, closed_atom::value, order.account, order.strategy,
                         order.instrument);
              rp.deliver(refused(static_cast<std::uint16_t>(c.error().store.code),
                                 c.error().store.message));
              return;
            }
            auto& entry = s.orders.find(order.client_order_id.view())->second;
            entry.actor = take_order_actor(self);
            entry.risk_open = true;
            // The account sends it (one sender: orders reach the session in the order they
            // were committed); the order actor keeps its timers.
            self->send(s.cfg.session, c->front());
            self->send(entry.actor, bind_atom::value, entry.core,
                       static_cast<std::uint8_t>(OrderTask::kSent));
            (void)entry.core.apply(OrderSendRequested{order.client_order_id});
            rp.deliver(CommandAck{true, false, 0, {}, entry.core.status()});
            maybe_snapshot(self);
          },
          [rp](caf::error& err) mutable {
            rp.deliver(refused(2000, "risk actor: " + caf::to_string(err)));
          });
}

// Cancel and amend: local transitions of the account's copy, the venue request by the order.
CommandAck on_order_request(AccountActor* self, const Command& cmd) {
  auto& st = self->state;
  const auto id = std::visit(
      [](const auto& c) -> std::string_view {
        if constexpr (requires { c.client_order_id; }) return c.client_order_id.view();
        return {};
      },
      cmd.payload);
  auto it = st.orders.find(id);
  if (it == st.orders.end()) return refused(3007, "unknown client order id '" + std::string(id) + "'");
  auto& entry = it->second;
  if (is_terminal(entry.core.status()) || !entry.actor) {
    return CommandAck{true, true, 0, {}, entry.core.status()};
  }
  Result<Applied, OrderError> r =
      std::holds_alternative<CancelOrder>(cmd.payload)
          ? entry.core.apply(OrderCancelRequested{entry.core.client_order_id()})
          : entry.core.apply(OrderAmendRequested{entry.core.client_order_id()});
  if (!r) return refused(static_cast<std::uint16_t>(r.error().code), to_string(r.error()), entry.core.status());
  self->send(entry.actor, cmd);
  return CommandAck{true, false, 0, {}, entry.core.status()};
}

// True when the report made the account send the order again (see resend_if_unknown).
bool on_report_inner(AccountActor* self, const VenueReport& report);

void on_report(AccountActor* self, const VenueReport& report) {
  const bool resent = on_report_inner(self, report);
  auto& st = self->state;
  if (st.reconciling.empty()) return;
  if (const auto* r = std::get_if<OrderStatusReconciled>(&report.payload)) {
    // The venue's answer to a reconciliation query (after the reports it re-sent); for an
    // order sent again just now, the answer to the query that followed the send.
    if (resent) return;  // not yet: the answer to the query after the send ends it
    if (const auto it = st.reconciling.find(r->client_order_id.view());
        it != st.reconciling.end()) {
      st.reconciling.erase(it);
      if (st.reconciling.empty()) end_reconciliation(self);
    }
  }
}

bool on_report_inner(AccountActor* self, const VenueReport& report) {
  auto& st = self->state;
  if (st.recent.contains(group_key(report.report_id))) {
    ++st.duplicate_inputs;  // delivered again (reconnect, status query): already committed
    return false;
  }
  const Envelope cause{report.report_id, 0, report.venue_time, 0, 0, 0};
  const auto id = client_order_id_of(report.payload);
  if (id.empty()) {
    // Balances, positions, funding: committed as the venue said them.
    const EventPayload group[] = {report.payload};
    if (auto c = commit(self, cause, group, report.venue_time); !c) {
      logger(st).error("account {}: report {} not committed: {}", st.cfg.name, report.report_id,
                    c.error().store.message);
    }
    maybe_snapshot(self);
    return false;
  }
  auto it = st.orders.find(id);
  if (it == st.orders.end()) {
    ++st.unmatched_reports;
    logger(st).warn("account {}: report for unknown client order id '{}' (not ours?)", st.cfg.name, id);
    return false;
  }
  auto& entry = it->second;
  const auto* reconciled = std::get_if<OrderStatusReconciled>(&report.payload);
  if (entry.resend_if_unknown && reconciled != nullptr &&
      reconciled->status == OrderStatus::kRejected && reconciled->venue_order_id.empty()) {
    // Rebuilt before any ack and the venue never saw it: the intent was durable, the send was
    // lost with the crash. Send it now, same client order id (the venue refuses a duplicate).
    // The place and a new status query leave from here, one after the other, so the answer
    // to the query follows the answers to the place (the reconciliation waits for it).
    entry.resend_if_unknown = false;
    entry.resent = true;
    const auto* sub = entry.events.empty()
                          ? nullptr
                          : std::get_if<OrderSubmitted>(&entry.events.front().payload);
    if (sub != nullptr) {
      self->send(st.cfg.session, Event{entry.events.front().envelope, *sub});
      self->send(st.cfg.session, query_atom::value, Event{Envelope{}, *reconciled});
    }
    return true;
  }
  const auto oe = to_order_event(report.payload);
  OrderCore trial = entry.core;
  auto applied = trial.apply(*oe);
  if (!applied) {
    logger(st).warn("account {}: report {} refused by order core: {}", st.cfg.name,
                 report.report_id, to_string(applied.error()));
    return false;
  }
  if (applied->ignored) return false;  // a duplicate fill: counted once already
  if (applied->from == applied->to && !std::holds_alternative<FillReceived>(report.payload) &&
      !std::holds_alternative<OrderStatusReconciled>(report.payload)) {
    return false;  // a stale report a terminal state absorbs: nothing new to record
  }
  entry.resend_if_unknown = false;
  logger(st).debug("account {}: report {} {} {} -> {}", st.cfg.name, report.report_id, id,
                enum_name(applied->from), enum_name(applied->to));
  const EventPayload group[] = {report.payload};
  auto c = commit(self, cause, group, report.venue_time);
  if (!c) {
    logger(st).error("account {}: report {} not committed: {}", st.cfg.name, report.report_id,
                  c.error().store.message);
    return false;
  }
  if (const auto* fill = std::get_if<FillReceived>(&report.payload)) {
    self->send(st.cfg.risk, RiskFill{fill->account, fill->strategy, fill->instrument, fill->side,
                                     fill->price, fill->quantity, Decimal{}});
  }
  if (entry.actor) {
    for (const Event& e : *c) self->send(entry.actor, e);
  }
  maybe_snapshot(self);
  return false;
}

void on_command(AccountActor* self, const Command& cmd, caf::response_promise rp) {
  if (cmd.envelope.id == 0) {
    rp.deliver(refused(3008, "command without an id"));
    return;
  }
  if (const auto* s = std::get_if<SubmitOrder>(&cmd.payload)) {
    on_submit(self, cmd, *s, rp);
    return;
  }
  if (std::holds_alternative<CancelOrder>(cmd.payload) ||
      std::holds_alternative<AmendOrder>(cmd.payload)) {
    rp.deliver(on_order_request(self, cmd));
    return;
  }
  if (const auto* all = std::get_if<CancelAllOrders>(&cmd.payload)) {
    std::size_t n = 0;
    for (auto& [id, entry] : self->state.orders) {
      if (is_terminal(entry.core.status()) || !entry.actor) continue;
      if (all->instrument.valid() && entry.core.instrument() != all->instrument) continue;
      Command c = cmd;
      c.payload = CancelOrder{all->account, entry.core.instrument(), entry.core.client_order_id()};
      if (on_order_request(self, c).accepted) ++n;
    }
    rp.deliver(CommandAck{true, false, 0, std::to_string(n) + " cancels sent", {}});
    return;
  }
  rp.deliver(refused(3009, std::string("not an account command: ") +
                               std::string(message_name(cmd))));
}

AccountViewPtr make_view(const AccountState& st) {
  auto v = std::make_shared<AccountView>();
  v->account = st.cfg.account;
  v->name = st.cfg.name;
  for (const auto& [id, entry] : st.orders) {
    v->orders.push_back(OrderView{entry.core, entry.events.size()});
  }
  v->balances.assign(st.account->balances().begin(), st.account->balances().end());
  v->futures.assign(st.account->positions().begin(), st.account->positions().end());
  for (std::uint32_t i = 0; i < st.cfg.instruments->size(); ++i) {
    if (const auto* leg = st.positions->net(st.cfg.account, InstrumentId(i))) {
      v->positions.push_back(*leg);
    }
  }
  v->recent_fills.assign(st.recent_fills.begin(), st.recent_fills.end());
  v->duplicate_inputs = st.duplicate_inputs;
  v->account_refusals = st.account_refusals;
  v->events_committed = st.events_committed;
  v->events_rebuilt = st.events_rebuilt;
  v->torn_groups_skipped = st.torn_groups;
  v->last_stream_sequence = st.snapshot_sequence;
  return v;
}

}  // namespace

caf::actor spawn_account_actor(caf::actor_system& system, AccountActorConfig config) {
  return system.spawn([](AccountActor* self, AccountActorConfig cfg) -> caf::behavior {
    auto& st = self->state;
    st.cfg = std::move(cfg);
    st.account = std::make_unique<AccountCore>(st.cfg.account, *st.cfg.instruments);
    st.positions = std::make_unique<PositionCore>(*st.cfg.instruments, st.cfg.account.index() + 1);
    for (std::size_t i = 0; i < st.cfg.order_actors; ++i) {
      st.pool.push_back(spawn_order_actor(
          self->system(),
          OrderActorConfig{st.cfg.session, caf::actor_cast<caf::actor>(self), st.cfg.ack_timeout}));
    }
    st.idle = st.pool;
    rebuild(self);
    st.last_snapshot = st.cfg.clock();
    reconcile_open_orders(self);
    if (!st.reconciling.empty()) {
      // Bounded: a venue that does not answer does not stop the account for long.
      self->delayed_send(self, st.cfg.ack_timeout * 10, timeout_atom::value);
    }
    // Order actors live as long as the account; they go down with it.
    self->attach_functor([pool = st.pool](const caf::error&) {
      for (const auto& a : pool) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    });
    self->delayed_send(self, st.cfg.snapshot_interval, snapshot_atom::value);
    return {
        [self](const Command& cmd) -> caf::result<CommandAck> {
          auto rp = self->make_response_promise<CommandAck>();
          if (!self->state.reconciling.empty()) {
            self->state.held.emplace_back(cmd, rp);  // after the venue's answers
          } else {
            on_command(self, cmd, rp);
          }
          return rp;
        },
        [self](timeout_atom) {
          if (!self->state.reconciling.empty()) {
            logger(self->state).warn("account {}: {} reconciliation queries unanswered; trading resumes, "
                         "the orders' own timers keep asking", self->state.cfg.name,
                         self->state.reconciling.size());
            end_reconciliation(self);
          }
        },
        [self](const VenueReport& r) { on_report(self, r); },
        [self](closed_atom, const std::string& id, const caf::actor& a) {
          auto& s = self->state;
          if (auto it = s.orders.find(id); it != s.orders.end() && it->second.risk_open) {
            it->second.actor = nullptr;
            it->second.risk_open = false;
            self->send(s.cfg.risk, closed_atom::value, it->second.core.account(),
                       it->second.core.strategy(), it->second.core.instrument());
          }
          if (auto it = s.orders.find(id); it != s.orders.end()) it->second.actor = nullptr;
          s.idle.push_back(a);
        },
        [self](state_atom) { return make_view(self->state); },
        // The order's status once the venue answered it (at once if it already has).
        [self](await_atom, const std::string& client_order_id) -> caf::result<OrderStatus> {
          auto& s = self->state;
          const auto it = s.orders.find(client_order_id);
          if (it == s.orders.end()) {
            return caf::make_error(caf::sec::invalid_argument, "unknown client order id");
          }
          if (answered(it->second.core.status())) return it->second.core.status();
          auto rp = self->make_response_promise<OrderStatus>();
          s.awaiting.emplace(client_order_id, rp);
          return rp;
        },
        [self](snapshot_atom) {
          auto& s = self->state;
          if (s.cfg.clock() - s.last_snapshot >=
              std::chrono::duration_cast<std::chrono::nanoseconds>(s.cfg.snapshot_interval).count()) {
            write_snapshot(self);
          }
          self->delayed_send(self, s.cfg.snapshot_interval, snapshot_atom::value);
        },
        [self](snapshot_atom, bool now) {
          if (now) write_snapshot(self, true);
          return self->state.snapshot_sequence;
        },
    };
  }, std::move(config));
}

}  // namespace oms::actors
