#include "oms/actors/account_actor.hpp"

#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "oms/actors/event_group.hpp"
#include "oms/actors/order_events.hpp"
#include "oms/actors/risk_actor.hpp"

namespace oms::actors {

namespace {

constexpr std::chrono::seconds kFlushBeforeSnapshot{5};
// After a rebuild, new commands wait for the venue's answers at most this many ack timeouts.
constexpr int kReconcileWaitAckTimeouts = 10;

struct AccountState {
  AccountActorConfig cfg;
  std::unique_ptr<OrderDesk> desk;
  // Every event folded, in stream order: what a snapshot holds (the cores' fold depends on
  // the interleaving, e.g. a venue balance override between two fills). Compacting it into
  // the cores' own state is the next step; until then a snapshot saves the stream read only.
  std::vector<Event> history;
  std::uint64_t duplicate_inputs = 0, unmatched_reports = 0;
  std::uint64_t events_committed = 0, events_rebuilt = 0, torn_groups = 0;
  std::uint64_t events_since_snapshot = 0;
  std::uint64_t snapshot_sequence = 0;
  TimeNs last_snapshot = 0;
  // Callers waiting for an order's first answer from the venue (await_atom), by client id.
  std::multimap<std::string, caf::response_promise, std::less<>> awaiting;
  // Commands held while the desk reconciles after a rebuild (positions and PnL depend on the
  // order in which the fills the crash left behind are folded).
  std::deque<std::pair<Command, caf::response_promise>> held;
  static inline const char* name = "account";
};

using AccountActor = caf::stateful_actor<AccountState>;

// The account's own logger (omsd: a file per account), else the default one.
spdlog::logger& logger(const AccountState& st) {
  return st.cfg.logger ? *st.cfg.logger : *spdlog::default_logger_raw();
}

CommandAck refused(std::uint16_t code, std::string message, OrderStatus status = {}) {
  return CommandAck{false, false, code, std::move(message), status};
}

void folded(AccountActor* self, const Event& e) {
  auto& st = self->state;
  st.history.push_back(e);
  const auto id = client_order_id_of(e.payload);
  if (id.empty() || st.awaiting.empty()) return;
  const auto status = st.desk->status(id);
  if (!status || !answered(*status)) return;
  auto [first, last] = st.awaiting.equal_range(id);
  for (auto w = first; w != last; ++w) w->second.deliver(*status);
  st.awaiting.erase(first, last);
}

void send_request(AccountActor* self, const VenueRequest& request) {
  const auto& session = self->state.cfg.session;
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, OrderSubmitted>) {
          self->send(session, Event{Envelope{}, r});
        } else if constexpr (std::is_same_v<T, OrderQuery>) {
          OrderStatusReconciled which{};
          which.account = r.account;
          which.instrument = r.instrument;
          which.client_order_id = r.client_order_id;
          self->send(session, query_atom::value, Event{Envelope{}, which});
        } else {
          self->send(session, Command{Envelope{}, r});
        }
      },
      request);
}

void send_risk(AccountActor* self, const RiskNote& note) {
  const auto& risk = self->state.cfg.risk;
  if (note.kind == RiskNote::Kind::kFill) {
    self->send(risk, note.fill);
  } else {
    self->send(risk, closed_atom::value, note.account, note.strategy, note.instrument);
  }
}

void maybe_snapshot(AccountActor* self);
void end_reconciliation(AccountActor* self);

// Carries out a decision: commits each group, lets the desk fold it, then sends what follows.
// A group the store refuses stops the decision there (what was committed stays committed);
// the command's answer then is the store's refusal.
void carry_out(AccountActor* self, const DeskDecision& d, std::optional<caf::response_promise> rp) {
  auto& st = self->state;
  const TimeNs now = st.cfg.clock();
  for (const DeskGroup& g : d.groups) {
    std::vector<Event> committed;
    if (!g.events.empty()) {
      auto c = st.cfg.log->commit(g.cause, g.events, now, g.event_time);
      if (!c) {
        logger(st).error("account {}: {} not committed: {}", st.cfg.name,
                         message_name(Event{Envelope{}, g.events.front()}), c.error().store.message);
        for (const RiskNote& n : d.risk_on_failure) send_risk(self, n);
        if (rp) {
          rp->deliver(refused(static_cast<std::uint16_t>(c.error().store.code),
                              c.error().store.message));
        }
        return;
      }
      committed = std::move(c).value();
      st.events_committed += committed.size();
      st.events_since_snapshot += committed.size();
    }
    const DeskEffects fx = st.desk->apply(g, committed, now);
    for (const Event& e : committed) folded(self, e);
    for (const VenueRequest& r : g.requests) send_request(self, r);
    for (const RiskNote& n : fx.risk) send_risk(self, n);
    for (const OrderTimer& t : fx.timers) {
      self->delayed_send(self, std::chrono::nanoseconds(std::max<TimeNs>(0, t.due - now)),
                         timeout_atom::value, t.client_order_id.str(), t.generation);
    }
  }
  if (st.desk->finish(d)) end_reconciliation(self);
  if (rp && d.ack) rp->deliver(*d.ack);
  maybe_snapshot(self);
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

void rebuild_fold(AccountState& st, const Event& e) {
  if (const auto refusal = st.desk->apply(e)) {
    logger(st).warn("account {}: {} not folded into the account: {}", st.cfg.name,
                    message_name(e), to_string(*refusal));
  }
  st.history.push_back(e);
  ++st.events_rebuilt;
}

// Snapshot + stream -> desk. Throws std::runtime_error naming the stream or file when the
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
        if (!e) throw std::runtime_error(s.path.string() + ": " + e.error().message);
        rebuild_fold(st, *e);
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
    rebuild_fold(st, e);
  }
  st.torn_groups = torn.size();
  st.cfg.log->observe_global_seq(max_global);
  logger(st).info("account {}: rebuilt {} events (snapshot through seq {}, stream from {}: {} "
                  "records, {} torn groups waiting)",
                  st.cfg.name, st.events_rebuilt, st.snapshot_sequence, from, tail.size(),
                  st.torn_groups);
}

void on_command(AccountActor* self, const Command& cmd, caf::response_promise rp) {
  auto& st = self->state;
  if (!st.desk->needs_risk(cmd)) {
    carry_out(self, st.desk->on_command(cmd, nullptr, st.cfg.clock()), rp);
    return;
  }
  const auto& o = std::get<SubmitOrder>(cmd.payload);
  const OrderRequest req{o.account, o.strategy, o.instrument, o.side, o.price,
                         o.quantity, o.reduce_only, Decimal{}};
  self->request(st.cfg.risk, caf::infinite, check_atom::value, req, st.cfg.clock())
      .then(
          [self, cmd, rp](const RiskDecision& risk) mutable {
            auto& s = self->state;
            const DeskDecision d = s.desk->on_command(cmd, &risk, s.cfg.clock());
            if (d.groups.empty() && risk.passed()) {
              // Became a duplicate meanwhile: risk counted it open for nothing.
              const auto& sub = std::get<SubmitOrder>(cmd.payload);
              send_risk(self, RiskNote{RiskNote::Kind::kOrderClosed, sub.account, sub.strategy,
                                       sub.instrument, {}});
            }
            carry_out(self, d, rp);
          },
          [rp](caf::error& err) mutable {
            rp.deliver(refused(2000, "risk actor: " + caf::to_string(err)));
          });
}

// The last answer is in (or the wait is over): the held commands go, in order.
void end_reconciliation(AccountActor* self) {
  auto& st = self->state;
  while (!st.held.empty()) {
    auto [cmd, rp] = std::move(st.held.front());
    st.held.pop_front();
    on_command(self, cmd, rp);
  }
}

void on_report(AccountActor* self, const VenueReport& report) {
  auto& st = self->state;
  const DeskDecision d = st.desk->on_report(report, st.cfg.clock());
  switch (d.note) {
    case ReportNote::kDuplicate: ++st.duplicate_inputs; break;
    case ReportNote::kUnmatched:
      ++st.unmatched_reports;
      logger(st).warn("account {}: {}", st.cfg.name, d.detail);
      break;
    case ReportNote::kRefusedByOrder: logger(st).warn("account {}: {}", st.cfg.name, d.detail); break;
    case ReportNote::kIgnored:
    case ReportNote::kNone: break;
  }
  carry_out(self, d, std::nullopt);
}

AccountViewPtr make_view(const AccountState& st) {
  auto v = std::make_shared<AccountView>(st.desk->view());
  v->duplicate_inputs = st.duplicate_inputs;
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
    st.desk = std::make_unique<OrderDesk>(OrderDeskConfig{
        st.cfg.account, st.cfg.name, st.cfg.instruments,
        std::chrono::duration_cast<std::chrono::nanoseconds>(st.cfg.ack_timeout).count()});
    rebuild(self);
    st.last_snapshot = st.cfg.clock();
    // Every live order is asked for; new commands wait for the answers (bounded: a venue that
    // does not answer does not stop the account for long).
    carry_out(self, st.desk->on_reconcile(st.cfg.clock()), std::nullopt);
    if (st.desk->reconciling()) {
      self->delayed_send(self, st.cfg.ack_timeout * kReconcileWaitAckTimeouts, timeout_atom::value);
    }
    self->delayed_send(self, st.cfg.snapshot_interval, snapshot_atom::value);
    return {
        [self](const Command& cmd) -> caf::result<CommandAck> {
          auto rp = self->make_response_promise<CommandAck>();
          if (self->state.desk->reconciling()) {
            self->state.held.emplace_back(cmd, rp);  // after the venue's answers
          } else {
            on_command(self, cmd, rp);
          }
          return rp;
        },
        // The bounded wait for the reconciliation's answers is over.
        [self](timeout_atom) {
          auto& s = self->state;
          if (s.desk->reconciling()) {
            logger(s).warn("account {}: {} reconciliation queries unanswered; trading resumes, "
                           "the orders' own timers keep asking",
                           s.cfg.name, s.desk->reconciling_count());
            s.desk->abandon_reconciliation();
          }
          end_reconciliation(self);
        },
        // An order's ack timer: a timer input of the desk.
        [self](timeout_atom, const std::string& client_order_id, std::uint64_t generation) {
          auto& s = self->state;
          OrderTimer t;
          (void)t.client_order_id.assign(client_order_id);
          t.generation = generation;
          carry_out(self, s.desk->on_timer(t, s.cfg.clock()), std::nullopt);
        },
        [self](const VenueReport& r) { on_report(self, r); },
        [self](state_atom) { return make_view(self->state); },
        // The order's status once the venue answered it (at once if it already has).
        [self](await_atom, const std::string& client_order_id) -> caf::result<OrderStatus> {
          auto& s = self->state;
          const auto status = s.desk->status(client_order_id);
          if (!status) return caf::make_error(caf::sec::invalid_argument, "unknown client order id");
          if (answered(*status)) return *status;
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
