// Engine: one account on the shard -- rebuild from snapshot + stream, the desk's decisions
// carried out (commit, apply, send, answer), reconciliation, snapshots.
#include <spdlog/spdlog.h>

#include <cstring>
#include <unordered_set>
#include <map>

#include "engine_impl.hpp"
#include "oms/cores/event_group.hpp"
#include "oms/cores/order_events.hpp"
#include "oms/cores/batch.hpp"
#include "oms/persistence/failpoint.hpp"

namespace oms::actors {

namespace {

// A snapshot asked for and waited on flushes the store first; a store that does not take
// everything in 5 s (down, slow) defers the account's snapshots by this much.
constexpr TimeNs kSnapshotRetry = 30'000'000'000;
// After a rebuild, new commands wait for the venue's answers at most this many ack timeouts.
constexpr int kReconcileWaitAckTimeouts = 10;
// An account that fails (its rebuild, or the handling of its inputs) is tried again after a
// back-off that doubles from kFirstRetry; after kMaxAccountFailures failures in a row -- none
// kFailureWindow apart -- it is refused until an operator restarts it.
constexpr std::uint32_t kMaxAccountFailures = 5;
constexpr TimeNs kFirstRetry = 200'000'000;
constexpr TimeNs kFailureWindow = 60'000'000'000;

// Whether risk's check of `o` reads a market price: a market order (its notional), a price band,
// or a limit on what positions are worth (exposure, leverage, daily loss: valued at the marks)
// at any scope it falls under. An order none of these apply to is checked alike at any price.
bool check_reads_mark(const RiskLimitTable& limits, const OrderSubmitted& o) {
  if (o.price.is_zero()) return true;
  const auto strategy = static_cast<std::uint32_t>(
      o.strategy.valid() ? o.strategy.index() : limits.strategies() - 1);  // RiskCore's slot
  const std::array<std::pair<LimitScope, std::uint32_t>, 4> scopes{{
      {LimitScope::kGlobal, 0},
      {LimitScope::kAccount, o.account.value},
      {LimitScope::kStrategy, strategy},
      {LimitScope::kInstrument, o.instrument.value},
  }};
  for (const auto& [scope, id] : scopes) {
    for (const LimitKind k : {LimitKind::kPriceBandBps, LimitKind::kGrossExposure, LimitKind::kNetExposure,
                              LimitKind::kLeverage, LimitKind::kDailyLoss}) {
      if (limits.get(scope, id, k) != kNoLimit) return true;
    }
  }
  return false;
}

CommandAck refused(std::uint16_t code, std::string message) {
  return CommandAck{false, false, code, std::move(message), {}};
}

void send(ExchangeSession& session, const VenueRequest& request, const SendOrigin& origin) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, OrderSubmitted>) {
          session.place(r, origin);
        } else if constexpr (std::is_same_v<T, CancelOrder>) {
          session.cancel(r);
        } else if constexpr (std::is_same_v<T, AmendOrder>) {
          session.amend(r);
        } else {
          session.query(r.account, r.instrument, r.client_order_id);
        }
      },
      request);
}

// A snapshot's state: the log's global sequence when it was taken (a restart numbers on after
// it), then the desk's compacted state (OrderDesk::save). Little-endian.
std::string snapshot_state(std::uint64_t global_seq, const std::string& desk) {
  std::string out(sizeof global_seq, '\0');
  std::memcpy(out.data(), &global_seq, sizeof global_seq);
  out += desk;
  return out;
}

}  // namespace

spdlog::logger& Engine::Impl::logger(const Account& a) const {
  return a.cfg.logger ? *a.cfg.logger : *spdlog::default_logger_raw();
}

// ---- rebuild --------------------------------------------------------------------------------

std::unique_ptr<OrderDesk> Engine::Impl::make_desk(const Account& a) const {
  const TimeNs ack_timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.ack_timeout).count();
  const TimeNs in_doubt =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.in_doubt_ttl).count();
  return std::make_unique<OrderDesk>(OrderDeskConfig{a.cfg.id, a.cfg.name, &instruments, ack_timeout, in_doubt});
}

// The newest snapshot this build can read and the stream can continue (falling back to older
// ones, then to the stream's start), then the stream after it: every sequence present, a hole
// is an error naming the stream and the sequences.
void Engine::Impl::rebuild(Account& a) {
  a.desk = make_desk(a);
  a.events_rebuilt = a.events_committed = a.events_since_snapshot = 0;
  a.snapshot_sequence = 0;
  const Directory& directory = log.subjects().directory();
  std::uint64_t from = 1;
  std::uint64_t max_global = 0;
  std::uint64_t state_global = 0;  // the loaded snapshot's global sequence (0: none loaded)
  if (snapshots != nullptr) {
    auto last = store.last_sequence(a.cfg.stream);
    if (!last) throw std::runtime_error(last.error().message);
    std::unique_ptr<OrderDesk> loaded;
    std::uint64_t loaded_global = 0;
    auto snap = snapshots->load_latest(
        a.cfg.name, a.cfg.stream, UINT64_MAX,
        [&](const persistence::Snapshot& s) -> std::optional<std::string> {
          if (s.sequence > *last) {
            return "covers " + a.cfg.stream + " through sequence " + std::to_string(s.sequence) +
                   " but the stream ends at " + std::to_string(*last);
          }
          if (s.state.size() < sizeof loaded_global) return std::string("state too short");
          auto desk = make_desk(a);
          if (auto why = desk->load(std::string_view(s.state).substr(sizeof loaded_global), directory)) {
            return "state: " + *why;
          }
          std::memcpy(&loaded_global, s.state.data(), sizeof loaded_global);
          loaded = std::move(desk);
          return std::nullopt;
        });
    if (!snap) throw std::runtime_error(snap.error().message);
    for (const auto& why : snap->skipped) {
      logger(a).warn("account {}: snapshot passed over: {}", a.cfg.name, why);
    }
    if (snap->snapshot) {
      a.desk = std::move(loaded);
      max_global = state_global = loaded_global;
      from = snap->snapshot->sequence + 1;
      a.snapshot_sequence = snap->snapshot->sequence;
    }
  }
  std::vector<Event> tail;
  // Every record must decode, belong on its subject and carry its MAC (record_integrity.hpp);
  // the quarantined ones are passed over. A BadRecord names the stream, sequence and reason.
  read_events(store, persistence::ReadRequest{a.cfg.stream, from, 0, {}}, directory,
              [&](const Event& e) { tail.push_back(e); }, /*contiguous=*/true,
              RecordChecks{&log.subjects(), log.mac()});
  // A record stored twice (republished after JetStream's duplicate window, or a file journal's
  // replay after a crash) is folded once: the first record of each event id counts, the group
  // counts see each event once (a doubled event must not make a torn group look complete).
  std::unordered_set<EventId> seen;
  seen.reserve(tail.size());
  std::vector<bool> doubled(tail.size(), false);
  std::uint64_t duplicates = 0, first_duplicate = 0;
  GroupCounter groups;
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (!seen.insert(tail[i].envelope.id).second) {
      doubled[i] = true;
      if (duplicates++ == 0) first_duplicate = from + i;
      continue;
    }
    groups.add(tail[i].envelope.id);
  }
  if (duplicates > 0) {
    logger(a).warn("account {}: {} records of {} stored twice (the first at sequence {}): each event "
                   "folded once",
                   a.cfg.name, duplicates, a.cfg.stream, first_duplicate);
  }
  std::map<std::uint64_t, bool> torn;
  std::uint64_t covered = 0;
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (doubled[i]) continue;
    const Event& e = tail[i];
    max_global = std::max(max_global, e.envelope.global_seq);
    // Already in the snapshot's state: a snapshot taken on the order path names a stream
    // sequence at or below the last record it covers (write_snapshot), the records between
    // were committed before it -- their global sequences are at most the state's.
    if (state_global != 0 && e.envelope.global_seq != 0 && e.envelope.global_seq <= state_global) {
      ++covered;
      continue;
    }
    if (!groups.complete(e.envelope.id)) {
      torn[group_of(e.envelope.id)] = true;
      continue;  // waits for its input to come again
    }
    if (const auto refusal = a.desk->apply(e)) {
      logger(a).warn("account {}: {} not folded into the account: {}", a.cfg.name,
                     message_name(e), to_string(*refusal));
    }
    ++a.events_rebuilt;
    OMS_FAILPOINT(kRebuildMidFold);
  }
  a.torn_groups = torn.size();
  a.stream_floor = tail.empty() ? from - 1 : from - 1 + tail.size();
  log.observe_global_seq(max_global);
  a.last_snapshot = step_now;
  logger(a).info("account {}: rebuilt: snapshot through seq {} ({} orders), then {} stream records "
                 "from seq {} ({} folded, {} already in the snapshot, {} torn groups waiting)",
                 a.cfg.name, a.snapshot_sequence, a.desk->order_count(), tail.size(), from,
                 a.events_rebuilt, covered, a.torn_groups);
  index_resting(a);  // our resting orders, for the self-trade check
}

Decimal Engine::Impl::sweep_price(InstrumentId instrument, Side side, Decimal quantity) const {
  if (!instrument.valid() || instrument.index() >= options.books.size()) return {};
  const BookCore& b = book.book(instrument);
  if (b.state() != BookState::kLive) return {};
  const BookSide opposite = side == Side::kBuy ? BookSide::kAsk : BookSide::kBid;
  Int128 left = quantity.raw();
  for (std::size_t i = 0, n = b.level_count(opposite); i < n; ++i) {
    const PriceLevel l = b.level(opposite, i);
    left -= l.quantity.raw();
    if (left <= 0) return l.price;
  }
  return {};  // deeper than the book: it may reach anything
}

void Engine::Impl::index_resting(Account& a) {
  self_trade.erase_account(a.cfg.id);
  a.desk->for_each_live([&](const OrderCore& o) { note_resting(a, o); });
}

void Engine::Impl::note_resting(const Account& a, const OrderCore& o) {
  // Limit orders rest at their price (in flight too); the rest never rest where we can see it.
  if (!is_terminal(o.status()) && o.order_type() == OrderType::kLimit && o.price().is_positive()) {
    self_trade.set(a.cfg.id, o.client_order_id().view(), o.instrument(), o.side(), o.price());
  } else {
    self_trade.erase(a.cfg.id, o.client_order_id().view());
  }
}

bool Engine::Impl::try_rebuild(Account& a) {
  try {
    rebuild(a);
  } catch (const BadRecord& e) {
    refuse(a, e.stream, e.sequence, e.reason, /*retry=*/false, e.quarantinable);  // the same next time
    return false;
  } catch (const std::exception& e) {
    refuse(a, a.cfg.stream, 0, e.what(), /*retry=*/true);  // the store: it may come back
    return false;
  }
  if (a.refused) {
    logger(a).warn("account {}: rebuilt; it trades again ({})", a.cfg.name, a.refused->message());
    a.refused.reset();
    publish_refusals();
  }
  a.retry_at = 0;
  return true;
}

void Engine::Impl::refuse(Account& a, std::string stream, std::uint64_t sequence, std::string reason,
                          bool retry, bool quarantinable) {
  a.desk = make_desk(a);  // nothing half rebuilt stays: views show an empty account
  a.awaiting.clear();
  ++a.failures;
  const bool again = retry && a.failures < kMaxAccountFailures;
  a.retry_at = again ? step_now + (kFirstRetry << (a.failures - 1)) : 0;
  AccountRefusal r{a.cfg.id, a.cfg.name, std::move(stream), sequence, std::move(reason), a.failures, again};
  const bool same = a.refused && a.refused->stream == r.stream && a.refused->sequence == r.sequence &&
                    a.refused->reason == r.reason;
  if (!same) {
    // One error, with what to do about it.
    std::string hint;
    if (r.sequence != 0 && !quarantinable) {
      hint = "; the stream lost records: restore them, then restart omsd";
    } else if (r.sequence != 0) {
      hint = "; look at it with `omsctl records show --stream " + r.stream + " --seq " +
             std::to_string(r.sequence) + "`, quarantine it with `omsctl records quarantine --stream " +
             r.stream + " --seq " + std::to_string(r.sequence) + " --reason ...` (the account then rebuilds)";
    } else if (again) {
      hint = "; tried again in " + std::to_string((a.retry_at - step_now) / 1'000'000) + " ms (attempt " +
             std::to_string(a.failures) + " of " + std::to_string(kMaxAccountFailures) + ")";
    } else {
      hint = "; given up after " + std::to_string(a.failures) + " attempts: mend the cause, then restart omsd";
    }
    logger(a).error("{}{}", r.message(), hint);  // omsd: the account's log shares the daemon's sinks
  } else if (!again && a.refused->retrying) {
    logger(a).error("{}; given up after {} attempts", r.message(), a.failures);
  }
  a.refused = std::move(r);
  publish_refusals();
}

void Engine::Impl::publish_refusals() {
  std::vector<AccountRefusal> now;
  for (const auto& acc : accounts) {
    if (acc && acc->refused) now.push_back(*acc->refused);
  }
  const std::lock_guard lock(refusals_mutex);
  refusals_copy = std::move(now);
}

void Engine::Impl::schedule_restart(Account& a, const std::string& why) {
  if (a.last_failure != 0 && step_now - a.last_failure > kFailureWindow) a.failures = 0;
  a.last_failure = step_now;
  refuse(a, a.cfg.stream, 0, "handling an input failed: " + why, /*retry=*/true);
}

void Engine::Impl::restart(Account& a) {
  if (!restart_rebuild(a)) return;
  if (!a.in_risk) fold_risk_books(/*live=*/true);
  restart_resume(a);
}

bool Engine::Impl::restart_rebuild(Account& a) {
  // Every committed event must be in the store before it is read back.
  if (auto f = log.flush(std::chrono::seconds(30)); !f) {
    logger(a).error("account {}: store flush before the restart failed: {}", a.cfg.name,
                    f.error().message);
  }
  for (auto& [id, reply] : a.awaiting) {
    reply->error = "account restarted";
    reply->finish();
  }
  a.awaiting.clear();
  unpriced_waiting -= a.unpriced_resends.size();  // the reconciliation after the rebuild asks again
  a.unpriced_resends.clear();
  return try_rebuild(a);
}

void Engine::Impl::restart_resume(Account& a) {
  signal.observe_sequence(a.desk->last_strategy_sequence(options.desk));
  restarts.fetch_add(1, std::memory_order_relaxed);
  reconcile(a);
}

void Engine::Impl::reconcile(Account& a) {
  const TimeNs now = step_now;
  a.reconcile_deadline =  // before the queries: an answer may weigh a resend against it
      now + std::chrono::duration_cast<std::chrono::nanoseconds>(options.ack_timeout).count() *
                kReconcileWaitAckTimeouts;
  carry_out(a, a.desk->on_reconcile(now), nullptr);
  OMS_FAILPOINT(kReconcileQueried);
  if (!a.desk->reconciling()) end_reconciliation(a);
}

void Engine::Impl::refuse_held_too_long(Account& a, TimeNs now) {
  constexpr TimeNs kLimit = std::chrono::duration_cast<std::chrono::nanoseconds>(kHeldCommandLimit).count();
  for (auto it = a.held.begin(); it != a.held.end();) {
    const TimeNs received = it->first.envelope.init_time;
    // A command without a receipt time (none comes from the gateway so) waits for the end.
    if (received == 0 || now - received < kLimit) {
      ++it;
      continue;
    }
    const std::string why = "account " + a.cfg.name + " is reconciling with the venue (" +
                            std::to_string(a.desk->reconciling_count()) +
                            " status queries unanswered; the venue's request budget may be spent): "
                            "held " + std::to_string((now - received) / 1'000'000) +
                            " ms, nothing done; send it again when the account has reconciled";
    logger(a).warn("command {} refused: {}", it->first.envelope.id, why);
    if (it->second) {
      it->second->ack = CommandAck{false, false, static_cast<std::uint16_t>(CommandCode::kHeldTooLong), why, {}};
      it->second->finish();
    }
    it = a.held.erase(it);
  }
}

void Engine::Impl::end_reconciliation(Account& a) {
  while (!a.held.empty() && !a.desk->reconciling()) {
    auto [cmd, reply] = std::move(a.held.front());
    a.held.pop_front();
    account_command(a, cmd, reply);
  }
}

// ---- inputs ---------------------------------------------------------------------------------

RiskDecision Engine::Impl::pre_trade(const SubmitOrder& o) {
  // 0. the venue's rules, as the venue reads them (nothing rounded): an order that would be
  // refused there is refused here, with the filter's reason, and never spends the account's
  // order budget.
  if (auto broken = venue_rule(o)) return *broken;
  // never against ourselves: an order that can take (limit or market, not post-only) is
  // refused when it reaches a resting order of ours, on any account.
  const bool takes = (o.order_type == OrderType::kLimit || o.order_type == OrderType::kMarket) &&
                     o.tif != TimeInForce::kPostOnly;
  if (takes) {
    // How far it can trade: a limit order to its price; a market order as far as its quantity
    // walks the book now (zero when the book cannot say: it reaches everything).
    const Decimal price = o.order_type == OrderType::kMarket ? sweep_price(o.instrument, o.side, o.quantity)
                                                             : o.price;
    if (const auto own = self_trade.crossing(o.instrument, o.side, price)) {
      RiskDecision d;
      d.code = RiskCode::kSelfTrade;
      d.scope = LimitScope::kAccount;
      d.scope_id = own->account.value;
      d.value = own->price;
      d.limit = price;
      d.account = o.account;
      d.strategy = o.strategy;
      d.instrument = o.instrument;
      return d;
    }
  }
  // 1. risk, inline: an order without its own reference price is banded against the mark.
  const OrderRequest req{o.account, o.strategy,    o.instrument,          o.side,
                         o.price,   o.quantity,    o.reduce_only,         risk->mark(o.instrument)};
  return risk->check(req, step_now);
}

std::optional<RiskDecision> Engine::Impl::venue_rule(const SubmitOrder& o) const {
  const auto k = o.instrument.index();
  if (!o.instrument.valid() || k >= options.venue_rules.size()) return std::nullopt;
  const Instrument& instrument = options.venue_rules[k];
  if (!instrument.id.valid()) return std::nullopt;
  const OrderShape shape{o.side, o.order_type, o.price, o.stop_price, o.quantity};
  FilterContext ctx;  // no band (risk bands against the mark), no open-order counts
  // A market order's notional is valued at the mark.
  if (!has_limit_price(o.order_type)) {
    if (const Decimal mark = risk->mark(o.instrument); mark.is_positive()) ctx.reference_price = mark;
  }
  const auto r = check_filters(shape, instrument, ctx);
  if (r.ok()) return std::nullopt;
  // Binance USD-M (as the other derivatives venues): a reduce-only order is exempt from the
  // minimum notional.
  if (r.error().code == FilterCode::kNotionalBelowMin && o.reduce_only &&
      instrument.market != Market::kSpot) {
    return std::nullopt;
  }
  RiskDecision d;
  d.code = RiskCode::kVenueRule;
  d.scope = LimitScope::kInstrument;
  d.scope_id = static_cast<std::uint32_t>(k);
  d.rule = r.error().code;
  d.value = r.error().value;
  d.limit = r.error().limit;
  d.account = o.account;
  d.strategy = o.strategy;
  d.instrument = o.instrument;
  return d;
}

void Engine::Impl::account_command(Account& a, const Command& cmd,
                                   const std::shared_ptr<Reply>& reply) {
  if (a.refused) {  // an API command, a strategy's order, a held one: nothing is done
    const CommandAck no{false, false, static_cast<std::uint16_t>(EngineCode::kAccountRefused),
                        a.refused->message() + "; nothing was done", {}};
    if (reply) {
      reply->ack = no;
      if (const auto* b = std::get_if<SubmitBatch>(&cmd.payload)) reply->batch.assign(b->orders.size(), no);
      reply->finish();
    }
    return;
  }
  if (std::holds_alternative<SubmitBatch>(cmd.payload)) {
    batch_command(a, cmd, reply);
    return;
  }
  if (!a.desk->needs_risk(cmd)) {
    carry_out(a, a.desk->on_command(cmd, nullptr, step_now), reply);
    return;
  }
  // The store is down or far behind: the rest of the intent log is kept for the events of the
  // orders already out (their fills, cancels), so a new one is refused here, nothing committed.
  if (auto why = log.new_orders_refusal(); !why.empty()) {
    ++a.store_refusals;
    if (a.store_refusals == 1 || a.store_refusals % 1000 == 0) {
      logger(a).warn("account {}: new orders refused ({} so far): {}", a.cfg.name, a.store_refusals, why);
    }
    if (reply) {
      reply->ack = refused(static_cast<std::uint16_t>(CommandCode::kStoreBacklog),
                           "order not taken: " + why);
      reply->finish();
    }
    return;
  }
  const RiskDecision d = pre_trade(std::get<SubmitOrder>(cmd.payload));
  decided_command(a, cmd, d, reply);
}

void Engine::Impl::decided_command(Account& a, const Command& cmd, const RiskDecision& d,
                                   const std::shared_ptr<Reply>& reply) {
  if (d.passed()) {
    const auto& o = std::get<SubmitOrder>(cmd.payload);
    risk->on_order_opened(o.account, o.strategy, o.instrument);
  }
  // 2. the desk decides; 3.-6. carried out.
  carry_out(a, a.desk->on_command(cmd, &d, step_now), reply);
}

void Engine::Impl::batch_command(Account& a, const Command& cmd,
                                 const std::shared_ptr<Reply>& reply) {
  const auto& batch = std::get<SubmitBatch>(cmd.payload);
  std::vector<OrderSubmitted> sends;
  std::vector<CommandAck> acks;
  acks.reserve(batch.orders.size());
  std::size_t accepted = 0;
  // Each order as a command of its own: risk inline, the desk's events, its own commit; what
  // it would send is held back here (until the end of this scope, however it ends: a throw
  // restarts the account, and its orders not sent are asked for by their ack timers).
  struct Collecting {
    std::vector<OrderSubmitted>*& to;
    ~Collecting() { to = nullptr; }
  } collecting{batch_sends};
  batch_sends = &sends;
  for (const Command& one : batch_commands(cmd)) {
    const auto& o = std::get<SubmitOrder>(one.payload);
    if (o.account != a.cfg.id) {
      acks.push_back(refused(static_cast<std::uint16_t>(CommandCode::kBatchOtherAccount),
                             "order names account " + std::to_string(o.account.index()) +
                                 ", the batch account " + std::to_string(a.cfg.id.index())));
      continue;
    }
    auto answer = std::make_shared<Reply>();
    account_command(a, one, answer);
    if (answer->ack.accepted) ++accepted;
    acks.push_back(std::move(answer->ack));
  }
  batch_sends = nullptr;  // what follows sends
  // 6. what the desk sent leaves together: one venue batch (one order: a plain place).
  if (a.cfg.session && !sends.empty()) {
    if (sends.size() == 1) a.cfg.session->place(sends.front(), origin);
    else a.cfg.session->place_batch(sends, origin);
  }
  if (reply) {
    reply->ack = CommandAck{true, false, 0,
                            std::to_string(accepted) + " of " + std::to_string(acks.size()) +
                                " orders accepted",
                            {}};
    reply->batch = std::move(acks);
    reply->finish();
  }
  kill_drain();  // held while the batch collected its sends
}

void Engine::Impl::on_report(Account& a, const VenueReport& report) {
  OMS_FAILPOINT_IF(a.desk->reconciling(), kReconcileAnswer);
  // An order lost in a crash before it left, to be sent now: risk looks at it again first,
  // at today's marks (the desk records a refusal as it would a new order's).
  std::optional<RiskDecision> resend;
  if (!a.unpriced_resends.empty()) {
    // A newer answer about an order whose resend waits for a price replaces the waiting one.
    if (const auto* r = std::get_if<OrderStatusReconciled>(&report.payload)) {
      const auto before = a.unpriced_resends.size();
      std::erase_if(a.unpriced_resends, [&](const Event& e) {
        const auto* w = std::get_if<OrderStatusReconciled>(&e.payload);
        return w != nullptr && w->client_order_id == r->client_order_id;
      });
      unpriced_waiting -= before - a.unpriced_resends.size();
    }
  }
  if (const auto sub = a.desk->resend_of(report, step_now)) {
    const auto i = sub->instrument.index();
    if ((!sub->instrument.valid() || i >= marks.size() || !marks[i].is_positive()) &&
        check_reads_mark(risk->limits(), *sub)) {
      // No market price since the start: the mark risk holds is the last fill's, not today's.
      // The answer waits for the first price, within the account's reconciliation window (its
      // commands wait with it); past it the order is not sent. (A check that reads no price --
      // a limit order under no band and no valued limit -- runs at once.)
      if (step_now < a.reconcile_deadline) {
        a.unpriced_resends.push_back(Event{Envelope{report.report_id, 0, report.venue_time, 0, 0, 0}, report.payload});
        ++unpriced_waiting;
        const InstrumentAssets* named = instruments.find(sub->instrument);
        logger(a).info("account {}: order {} lost in the crash before it left: its resend waits for a "
                       "market price of {} to check it against",
                       a.cfg.name, sub->client_order_id.view(), named != nullptr ? named->canonical : std::to_string(i));
        return;
      }
      const DeskDecision d = a.desk->refuse_unpriced_resend(report, step_now);
      logger(a).warn("account {}: order {} {}", a.cfg.name, sub->client_order_id.view(), d.detail);
      carry_out(a, d, nullptr);
      return;
    }
    const OrderRequest req{sub->account, sub->strategy, sub->instrument, sub->side, sub->price,
                           sub->quantity, sub->reduce_only, risk->mark(sub->instrument)};
    resend = risk->check(req, step_now);
    // Counted once: the start's fold counted it open already (a live order).
    if (resend->passed() && !a.desk->counted_open(sub->client_order_id.view())) {
      risk->on_order_opened(sub->account, sub->strategy, sub->instrument);
    }
  }
  const DeskDecision d = a.desk->on_report(report, step_now, resend ? &*resend : nullptr);
  switch (d.note) {
    case ReportNote::kDuplicate: ++a.duplicate_inputs; break;
    case ReportNote::kUnmatched:
      ++a.unmatched_reports;
      logger(a).warn("account {}: {}", a.cfg.name, d.detail);
      break;
    case ReportNote::kRefusedByOrder: logger(a).warn("account {}: {}", a.cfg.name, d.detail); break;
    case ReportNote::kInDoubt:
    case ReportNote::kExternal: logger(a).info("account {}: {}", a.cfg.name, d.detail); break;
    case ReportNote::kIgnored:
    case ReportNote::kNone: break;
  }
  carry_out(a, d, nullptr);
}

void Engine::Impl::run_unpriced_resends(InstrumentId instrument, TimeNs now) {
  for (auto& a : accounts) {
    if (!a || a->unpriced_resends.empty()) continue;
    std::vector<Event> due;
    auto& waiting = a->unpriced_resends;
    for (auto it = waiting.begin(); it != waiting.end();) {
      const auto* r = std::get_if<OrderStatusReconciled>(&it->payload);
      const bool run = r == nullptr || (instrument.valid() ? r->instrument == instrument : now >= a->reconcile_deadline);
      if (run) {
        due.push_back(std::move(*it));
        it = waiting.erase(it);
        --unpriced_waiting;
      } else {
        ++it;
      }
    }
    for (const Event& e : due) {
      if (a->refused) continue;  // its state is gone; a good rebuild reconciles again
      on_report(*a, VenueReport{e.envelope.id, e.envelope.event_time, e.payload});
    }
  }
}

void Engine::Impl::on_timer(Account& a, const OrderTimer& timer) {
  carry_out(a, a.desk->on_timer(timer, step_now), nullptr);
}

// Each group: commit (intent log, then the store), the desk folds it, then what follows leaves.
// A group the store refuses stops the decision there (what was committed stays committed); the
// command's answer then is the store's refusal.
void Engine::Impl::carry_out(Account& a, const DeskDecision& d, const std::shared_ptr<Reply>& reply) {
  const TimeNs now = step_now;
  const auto note_risk = [this](const RiskNote& n) {
    if (n.kind == RiskNote::Kind::kFill) {
      (void)risk->on_fill(price_fee(n.fill, n.fee_asset));
      kill_watch_fill(n.fill.account, n.fill.strategy);  // the books it moved, to the kill switch
    } else if (n.kind == RiskNote::Kind::kOrderOpened) risk->on_order_opened(n.account, n.strategy, n.instrument);
    else risk->on_order_closed(n.account, n.strategy, n.instrument);
  };
  for (const DeskGroup& g : d.groups) {
    std::vector<Event> committed;
    if (!g.events.empty()) {
      auto c = log.commit(g.cause, g.events, now, g.event_time);
      if (!c) {
        logger(a).error("account {}: {} not committed: {}", a.cfg.name,
                        message_name(Event{Envelope{}, g.events.front()}), c.error().store.message);
        for (const RiskNote& n : d.risk_on_failure) note_risk(n);
        if (reply) {
          reply->ack = refused(static_cast<std::uint16_t>(c.error().store.code),
                               c.error().store.message);
          reply->finish();
        }
        return;
      }
      committed = std::move(c).value();
      a.events_committed += committed.size();
      a.events_since_snapshot += committed.size();
    }
    const DeskEffects fx = a.desk->apply(g, committed, now);
    bool balances_moved = false;
    for (const Event& e : committed) {
      balances_moved = balances_moved || std::holds_alternative<BalanceUpdated>(e.payload);
      // A venue's refusal (4xxx, not our own risk or desk's): the kill switch's reject rate.
      if (const auto* rej = std::get_if<OrderRejected>(&e.payload); rej != nullptr && rej->code >= 4000 && rej->code < 5000) {
        kill.on_reject(a.cfg.id, now, kill_steps);
      }
      if (!quoters.empty() || !sagas.empty() || !algos.empty() || !sors.empty()) note_strategy_order(a, e);
      if (const auto cid = client_order_id_of(e.payload); !cid.empty()) {
        if (const OrderCore* oc = a.desk->order(cid)) note_resting(a, *oc);
        else self_trade.erase(a.cfg.id, cid);
      }
      const auto id = client_order_id_of(e.payload);
      if (id.empty() || a.awaiting.empty()) continue;
      const auto status = a.desk->status(id);
      if (!status || !answered(*status)) continue;
      auto [first, last] = a.awaiting.equal_range(id);
      for (auto w = first; w != last; ++w) {
        w->second->status = *status;
        w->second->finish();
      }
      a.awaiting.erase(first, last);
    }
    // The venue's balances moved: the leverage cap sees the new equity at once.
    if (balances_moved) (void)risk->set_equity(a.cfg.id, pricing.equity(a.desk->account(), marks));
    if (a.cfg.session) {
      for (const VenueRequest& r : g.requests) {
        OMS_FAILPOINT(kOrderAfterIntentLog);
        const auto* sub = std::get_if<OrderSubmitted>(&r);
        if (sub != nullptr && batch_sends != nullptr) batch_sends->push_back(*sub);
        else send(*a.cfg.session, r, origin);
        note_sent(r);
        OMS_FAILPOINT_IF(log.store_lag() > 0, kOrderAfterSend);  // the store's ack not come yet
      }
    }
    for (const RiskNote& n : fx.risk) note_risk(n);
    for (const OrderTimer& t : fx.timers) timers.push(EngineTimer{t.due, a.cfg.id, t});
  }
  if (!d.groups.empty()) board.account(*a.desk, marks, now);
  if (a.desk->finish(d)) end_reconciliation(a);
  if (reply && d.ack) {
    reply->ack = *d.ack;
    reply->finish();
  }
  if (a.events_since_snapshot >= options.snapshot_every && now >= a.snapshot_retry_at) snapshot_due(a);
  if (!strategy_news.empty()) drain_strategy_news();  // the quoters hear of their orders
  kill_drain();  // a trip this decision caused: its steps, once the decision is done
}

// ---- snapshots and views --------------------------------------------------------------------

void Engine::Impl::snapshot_due(Account& a) {
  if (snapshots == nullptr || a.snapshot_due) return;
  a.snapshot_due = true;
  snapshots_due.push_back(a.cfg.id);
}

void Engine::Impl::write_due_snapshots() {
  // Each snapshot encodes the account's state (~0.1-0.3 ms for an account of the soak's) and
  // queues its file; nothing waits for the store. At most kSnapshotsWriting files queued: each
  // is fsynced (its directory too), and 200 states queued behind one writer were ~10 MB held
  // and 200 ms before the last was durable.
  constexpr std::int64_t kSnapshotBudget = 1'000'000;  // ns of the shard a round
  constexpr int kSnapshotsWriting = 4;
  const std::int64_t began = steady_ns();
  while (!snapshots_due.empty() && steady_ns() - began < kSnapshotBudget &&
         snapshots_writing->load(std::memory_order_relaxed) < kSnapshotsWriting) {
    Account* a = account(snapshots_due.front());
    snapshots_due.pop_front();
    if (a == nullptr || !a->snapshot_due) continue;
    a->snapshot_due = false;
    if (a->refused) continue;
    write_snapshot(*a, false);
  }
}

// The state and the stream sequence it names are fixed here; the file is written (temp, fsync,
// rename, fsync) on the snapshot store's writer thread unless `wait`.
//
// The sequence: the state holds every event committed so far, and the snapshot must name a
// stream sequence at or below which every record is in it. Asked to wait (an operator's
// snapshot, a test), the store is flushed and asked its last sequence: exact. On the order path
// nothing waits for the store (a flush under flow held the shard up to 50 ms, the stream-info
// request a round trip): the snapshot names the highest sequence the store is known to hold
// without asking -- its acknowledged appends (EventStore::known_last_sequence), or where the
// rebuild's read ended -- a lower bound; the records after it that the state already holds
// have global sequences at most the state's, and the rebuild passes over them.
void Engine::Impl::write_snapshot(Account& a, bool wait) {
  if (snapshots == nullptr) return;
  // The previous one of this account is still being written: this one waits for a later input.
  if (!wait && a.snapshot_in_flight->load()) return;
  const TimeNs now = step_now;
  const std::int64_t began = steady_ns();
  a.last_snapshot = now;  // a failure is retried at the next interval, not at once
  Result<std::uint64_t, persistence::StoreError> last = std::uint64_t{0};
  if (wait) {
    if (auto f = log.flush(std::chrono::milliseconds(5000)); !f) {
      a.snapshot_retry_at = now + kSnapshotRetry;
      logger(a).warn("account {}: snapshot deferred {} s, the store has not taken everything: {}",
                     a.cfg.name, kSnapshotRetry / 1'000'000'000, f.error().message);
      return;
    }
    last = store.last_sequence(a.cfg.stream);
  } else {
    last = store.known_last_sequence(a.cfg.stream);
    if (last) last = std::max(*last, a.stream_floor);
  }
  if (!last) {
    logger(a).warn("account {}: snapshot skipped: {}", a.cfg.name, last.error().message);
    return;
  }
  // The desk's compacted state, encoded here (the state it covers is this step's); the file is
  // written beside the shard. A failed write leaves the previous snapshot: the next start reads
  // more of the stream.
  std::string state = snapshot_state(log.last_global_seq(), a.desk->save(*directory_copy));
  const std::int64_t on_shard = steady_ns() - began;
  if (wait) {
    auto w = snapshots->write(a.cfg.name, a.cfg.stream, *last, now, state);
    if (!w) {
      logger(a).warn("account {}: snapshot failed: {}", a.cfg.name, w.error().message);
      return;
    }
    if (options.on_snapshot) options.on_snapshot(on_shard, steady_ns() - began);
  } else {
    // One at a time per account: the next waits for this one's file (the states never pile up
    // behind a slow disk).
    a.snapshot_in_flight->store(true);
    snapshots_writing->fetch_add(1, std::memory_order_relaxed);
    snapshots->write_async(
        a.cfg.name, a.cfg.stream, *last, now, std::move(state),
        [name = a.cfg.name, log = a.cfg.logger, in_flight = a.snapshot_in_flight,
         writing = snapshots_writing, timed = options.on_snapshot, began, on_shard](
            const Result<persistence::SnapshotWrite, persistence::StoreError>& w) {
          in_flight->store(false);
          writing->fetch_sub(1, std::memory_order_relaxed);
          if (w) {
            if (timed) timed(on_shard, steady_ns() - began);
            return;
          }
          (log ? *log : *spdlog::default_logger_raw())
              .warn("account {}: snapshot failed: {}", name, w.error().message);
        });
  }
  a.snapshot_sequence = *last;
  a.events_since_snapshot = 0;
}

AccountViewPtr Engine::Impl::make_view(const Account& a, bool summary) const {
  auto v = std::make_shared<AccountView>(summary ? a.desk->summary() : a.desk->view());
  v->duplicate_inputs = a.duplicate_inputs;
  v->events_committed = a.events_committed;
  v->events_rebuilt = a.events_rebuilt;
  v->orders_retired = a.orders_retired;
  v->torn_groups_skipped = a.torn_groups;
  v->last_stream_sequence = a.snapshot_sequence;
  return v;
}

}  // namespace oms::actors
