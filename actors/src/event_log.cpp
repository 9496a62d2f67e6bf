#include "oms/actors/event_log.hpp"

#include <cstdlib>

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>

#include <spdlog/spdlog.h>

#include "oms/cores/event_group.hpp"
#include "oms/messages/subjects.hpp"
#include "oms/persistence/failpoint.hpp"

namespace oms::actors {

using persistence::StoreError;
using persistence::StoreErrorCode;

namespace {

// The logs alive in this process, by address, each with a serial of its own (an address may be
// reused by a later log). A store's answer that comes after its log began to be destroyed -- an
// append in flight when omsd stops, or the store's close answering the rest -- finds it gone
// and is dropped: the record stays in the intent log and is published again at the next start.
// A log's destructor waits for the answers already running (never under the mutex: an answer
// takes the log's own mutex, which a committer may hold while it asks for the serial).
struct LiveLog {
  std::uint64_t serial = 0;
  int answering = 0;   // answers running on the store's threads
  bool dying = false;  // destructor entered: no answer starts
};
std::mutex g_live_mutex;
std::condition_variable g_live_cv;
std::uint64_t g_last_serial = 0;  // guarded by g_live_mutex
std::map<const EventLog*, LiveLog>& live_logs() {  // guarded by g_live_mutex; node-based: stable
  static std::map<const EventLog*, LiveLog> logs;
  return logs;
}

std::uint64_t serial_of(const EventLog* log) {
  const std::lock_guard lock(g_live_mutex);
  const auto it = live_logs().find(log);
  return it == live_logs().end() ? 0 : it->second.serial;
}

// Runs `answer` if the log is still the one the append came from and not being destroyed.
template <class F>
void if_alive(const EventLog* log, std::uint64_t serial, F&& answer) {
  std::map<const EventLog*, LiveLog>::iterator it;
  {
    const std::lock_guard lock(g_live_mutex);
    it = live_logs().find(log);
    if (it == live_logs().end() || it->second.serial != serial || it->second.dying) return;
    ++it->second.answering;
  }
  answer();
  {
    const std::lock_guard lock(g_live_mutex);
    --it->second.answering;
  }
  g_live_cv.notify_all();
}

template <class E>
std::string_view name_of(E e) {
  const auto& names = EnumNames<E>::kNames;
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : std::string_view{"unknown"};
}

// "binance:spot:BTC/USDT" -> exchange, market, symbol.
bool split_instrument(std::string_view name, ExchangeId& ex, Market& m, CanonicalSymbol& s) {
  const auto a = name.find(':');
  if (a == std::string_view::npos) return false;
  const auto b = name.find(':', a + 1);
  if (b == std::string_view::npos) return false;
  const auto e = parse_exchange(name.substr(0, a));
  const auto mk = parse_market(name.substr(a + 1, b - a - 1));
  auto sym = parse_canonical(name.substr(b + 1));
  if (!e || !mk || !sym) return false;
  ex = *e;
  m = *mk;
  s = std::move(sym).value();
  return true;
}

// The intent log takes one consumer at a time, and a store answers from more than one thread
// (JetStream: acks on the client's thread, give-ups on its retry loop). One lock for every log:
// there is one per daemon, and this is the publisher's side, not the hot path.
void mark_done(persistence::IntentLog& log, std::uint64_t intent_seq) {
  static std::mutex consumer;
  const std::lock_guard lock(consumer);
  log.mark_done(intent_seq);
}

// The store gave up for now (down, behind, a full disk): worth handing the record over again.
bool transient_failure(StoreErrorCode code) {
  return code == StoreErrorCode::kTimeout || code == StoreErrorCode::kBackpressure ||
         code == StoreErrorCode::kUnavailable || code == StoreErrorCode::kIo;
}

CommitError commit_error(StoreErrorCode code, std::string message, std::size_t committed = 0) {
  return CommitError{StoreError{code, std::move(message)}, committed};
}

}  // namespace

SubjectMap::SubjectMap(const Directory& directory) : directory_(directory) {
  instruments_.reserve(directory.instruments.size());
  for (std::size_t i = 0; i < directory.instruments.size(); ++i) {
    const auto& name = directory.instruments.name(InstrumentId(static_cast<std::uint32_t>(i)));
    InstrumentRef ref{};
    if (!split_instrument(name, ref.exchange, ref.market, ref.symbol)) {
      throw std::invalid_argument("instrument '" + name +
                                  "': expected exchange:market:BASE/QUOTE[:SETTLE]");
    }
    instruments_.push_back(std::move(ref));
  }
}

std::string SubjectMap::desk_subject(std::string_view area, std::string_view action) const {
  if (desk_ == 1) return strategies_subject(area, action);
  return strategies_subject(area, "d" + std::to_string(desk_)) + "." + escape_token(action);
}

std::string SubjectMap::desk_filter(std::string_view area, std::uint16_t desk) {
  if (desk == 1) return "strategies." + escape_token(area) + ".*";
  return strategies_subject(area, "d" + std::to_string(desk)) + ".*";
}

bool SubjectMap::other_desks(std::string_view subject, std::uint16_t desk) {
  for (const std::string_view area : {std::string_view("strategies.risk."), std::string_view("strategies.manual.")}) {
    if (!subject.starts_with(area)) continue;
    const std::string_view rest = subject.substr(area.size());
    const auto dot = rest.find('.');
    // Desk 1's are one token more (the action); another desk's are "d<N>.<action>".
    const std::uint16_t written_by =
        dot == std::string_view::npos
            ? 1
            : static_cast<std::uint16_t>(std::strtoul(std::string(rest.substr(1, dot - 1)).c_str(), nullptr, 10));
    return written_by != desk;
  }
  return false;
}

std::string SubjectMap::subject(const EventPayload& payload) const {
  const auto account_name = [&](AccountId a) -> const std::string* {
    return a.index() < directory_.accounts.size() ? &directory_.accounts.name(a) : nullptr;
  };
  const auto instrument = [&](InstrumentId i) -> const InstrumentRef* {
    return i.index() < instruments_.size() ? &instruments_[i.index()] : nullptr;
  };
  return std::visit(
      [&](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, FillReceived>) {
          const auto* acct = account_name(e.account);
          const auto* ins = instrument(e.instrument);
          if (acct == nullptr || ins == nullptr) return {};
          return trades_subject(ins->exchange, *acct, ins->market, ins->symbol);
        } else if constexpr (std::is_same_v<T, BalanceUpdated>) {
          const auto* acct = account_name(e.account);
          if (acct == nullptr) return {};
          return positions_subject(e.exchange, *acct, e.market);
        } else if constexpr (std::is_same_v<T, PositionModeChanged>) {
          const auto* acct = account_name(e.account);
          if (acct == nullptr) return {};
          return positions_subject(e.exchange, *acct, e.market);
        } else if constexpr (std::is_same_v<T, PositionUpdated> || std::is_same_v<T, FundingPaid> ||
                             std::is_same_v<T, LeverageChanged> ||
                             std::is_same_v<T, MarginTypeChanged> ||
                             std::is_same_v<T, IsolatedMarginChanged>) {
          const auto* acct = account_name(e.account);
          const auto* ins = instrument(e.instrument);
          if (acct == nullptr || ins == nullptr) return {};
          return positions_subject(ins->exchange, *acct, ins->market);
        } else if constexpr (std::is_same_v<T, TransferRequested>) {
          const auto* from = account_name(e.from_account);
          const auto* to = account_name(e.to_account);
          if (from == nullptr || to == nullptr) return {};
          return transfers_subject(*from, *to);
        } else if constexpr (std::is_same_v<T, TransferCompleted> ||
                             std::is_same_v<T, TransferFailed>) {
          // The outcome carries the transfer id only; it goes with every transfer outcome.
          return transfers_subject("outcome", "outcome");
        } else if constexpr (std::is_same_v<T, StrategyStateChanged>) {
          if (e.strategy.index() >= directory_.strategies.size()) return {};
          return strategies_subject(directory_.strategies.name(e.strategy), name_of(e.state));
        } else if constexpr (std::is_same_v<T, StrategyParamSet>) {
          if (e.strategy.index() >= directory_.strategies.size()) return {};
          return strategies_subject(directory_.strategies.name(e.strategy), "param");
        } else if constexpr (std::is_same_v<T, AlgoStep>) {
          // An execution algo's steps, with its strategy's (a manual algo's: "manual").
          if (!e.strategy.valid()) return desk_subject("manual", "algo");
          if (e.strategy.index() >= directory_.strategies.size()) return {};
          return strategies_subject(directory_.strategies.name(e.strategy), "algo");
        } else if constexpr (std::is_same_v<T, SorStep>) {
          // A smart-routed parent's steps, with its strategy's (a manual parent's: "manual").
          if (!e.strategy.valid()) return desk_subject("manual", "sor");
          if (e.strategy.index() >= directory_.strategies.size()) return {};
          return strategies_subject(directory_.strategies.name(e.strategy), "sor");
        } else if constexpr (std::is_same_v<T, ArbSagaStep>) {
          if (e.strategy.index() >= directory_.strategies.size()) return {};
          return strategies_subject(directory_.strategies.name(e.strategy), "saga");
        } else if constexpr (std::is_same_v<T, RiskBreached>) {
          // A breach that refused an account's order is part of that order's group: it goes
          // with the order to the account's stream, so the group is complete where the
          // account rebuilds from. Breaches of no account go to STRATEGIES.
          const auto* acct = account_name(e.account);
          const auto* ins = instrument(e.instrument);
          if (acct != nullptr && ins != nullptr) {
            return orders_subject(ins->exchange, *acct, ins->market, ins->symbol);
          }
          return desk_subject("risk", "breached");
        } else if constexpr (std::is_same_v<T, KillSwitchTripped>) {
          return desk_subject("risk", "kill_switch");
        } else if constexpr (std::is_same_v<T, RiskLimitSet>) {
          return desk_subject("risk", "limit");
        } else if constexpr (std::is_same_v<T, BookSnapshot> || std::is_same_v<T, BookDelta>) {
          const auto* ins = instrument(e.instrument);
          if (ins == nullptr) return {};
          return md_subject(ins->exchange, ins->market, ins->symbol, MarketDataKind::kBook);
        } else if constexpr (std::is_same_v<T, TradePrinted>) {
          const auto* ins = instrument(e.instrument);
          if (ins == nullptr) return {};
          return md_subject(ins->exchange, ins->market, ins->symbol, MarketDataKind::kTrade);
        } else if constexpr (std::is_same_v<T, BestBidOffer>) {
          const auto* ins = instrument(e.instrument);
          if (ins == nullptr) return {};
          return md_subject(ins->exchange, ins->market, ins->symbol, MarketDataKind::kTicker);
        } else if constexpr (requires { e.account; e.instrument; }) {
          // Every order event (submitted ... status reconciled).
          const auto* acct = account_name(e.account);
          const auto* ins = instrument(e.instrument);
          if (acct == nullptr || ins == nullptr) return {};
          return orders_subject(ins->exchange, *acct, ins->market, ins->symbol);
        } else {
          return {};
        }
      },
      payload);
}

std::optional<std::string> record_problem(const persistence::StoredRecord& r, std::string_view stream,
                                          const Directory& directory, const RecordChecks& checks,
                                          std::optional<Event>& event) {
  event.reset();
  auto e = decode_event_json(r.payload, directory);
  if (!e) return "does not decode as an event: " + e.error().message;
  if (checks.mac != nullptr) {
    if (auto why = checks.mac->verify(stream, r.sequence, r.subject, r.payload)) return why;
  }
  event = std::move(e).value();
  if (checks.subjects != nullptr) {
    const auto own = checks.subjects->subject(event->payload);
    if (own != r.subject) {
      return std::string("a ") + std::string(message_name(*event)) + " does not belong on subject '" +
             std::string(r.subject) + "' (its subject is '" + own + "')";
    }
  }
  return std::nullopt;
}

void read_events(persistence::EventStore& store, const persistence::ReadRequest& request,
                 const Directory& directory, const std::function<void(const Event&)>& visit,
                 bool contiguous, const RecordChecks& checks) {
  std::uint64_t hole_at = 0, hole_end = 0;
  std::uint64_t expect = request.from_sequence;
  std::uint64_t last_read = 0;
  // From the first record that may not be folded on, the records are held (visit is not called:
  // the caller would be half rebuilt) while the read goes on to the quarantines, which always
  // come after the record they name. A held record without an event is a bad one.
  struct Held {
    std::uint64_t sequence = 0;
    std::optional<Event> event;
    std::string why;
  };
  std::vector<Held> held;
  std::set<std::uint64_t> quarantined;
  const auto mac_problem = [&](const persistence::StoredRecord& r) -> std::optional<std::string> {
    if (checks.mac == nullptr) return std::nullopt;
    return checks.mac->verify(request.stream, r.sequence, r.subject, r.payload);
  };
  auto read = store.read(request, [&](const persistence::StoredRecord& r) {
    if (contiguous && r.sequence != expect) {
      hole_at = expect;  // not a record: nothing to quarantine
      hole_end = r.sequence - 1;
      return false;
    }
    ++expect;
    last_read = r.sequence;
    if (persistence::is_quarantine_subject(r.subject)) {
      if (mac_problem(r)) return true;  // a forged quarantine quarantines nothing
      if (const auto q = persistence::decode_quarantine(persistence::strip_mac(r.payload))) {
        if (q->sequence < r.sequence) quarantined.insert(q->sequence);
      }
      return true;
    }
    std::optional<Event> event;
    std::optional<std::string> why = record_problem(r, request.stream, directory, checks, event);
    if (why) {
      held.push_back(Held{r.sequence, std::nullopt, std::move(*why)});
    } else if (!held.empty()) {
      held.push_back(Held{r.sequence, std::move(event), {}});
    } else {
      visit(*event);
    }
    return true;
  });
  if (!read) throw std::runtime_error(read.error().message);
  if (hole_at != 0) {
    BadRecord hole(request.stream, hole_at, "sequences " + std::to_string(hole_at) + ".." +
                                                std::to_string(hole_end) + " are missing (a hole in the stream)");
    hole.quarantinable = false;
    throw hole;
  }
  if (held.empty()) return;
  // A bounded read: a quarantine after its end still counts.
  if (request.to_sequence != 0) {
    auto later = persistence::quarantined_sequences(store, request.stream, last_read + 1, checks.mac);
    if (!later) throw std::runtime_error(later.error().message);
    quarantined.insert(later->begin(), later->end());
  }
  for (const Held& h : held) {
    if (!h.event && quarantined.count(h.sequence) == 0) throw BadRecord(request.stream, h.sequence, h.why);
  }
  for (const Held& h : held) {
    if (h.event) visit(*h.event);  // the bad ones are quarantined
  }
}

EventLog::EventLog(persistence::EventStore& store, persistence::IntentLog* intents,
                   const Directory& directory, Publish publish,
                   std::shared_ptr<const persistence::RecordMac> mac)
    : store_(store), intents_(intents), directory_(directory), subjects_(directory),
      mac_(std::move(mac)), publish_(publish) {
  {
    const std::lock_guard lock(g_live_mutex);
    live_logs()[this] = LiveLog{++g_last_serial, 0, false};
  }
  if (publish_ == Publish::kThread) publisher_ = std::thread([this] { publish_loop(); });
}

EventLog::~EventLog() {
  std::uint64_t handed = appended_.load(std::memory_order_relaxed);  // kInline: each handed at once
  if (publish_ == Publish::kThread) {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_.notify_all();
    publisher_.join();
    const std::lock_guard lock(mutex_);
    handed = handed_;
  }
  // The store's answers to what was handed over: awaited a little (what it acknowledges now is
  // released from the intent log), then any later one is dropped (if_alive).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (answered_.load(std::memory_order_relaxed) < handed && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::unique_lock lock(g_live_mutex);
  const auto it = live_logs().find(this);
  it->second.dying = true;
  g_live_cv.wait(lock, [&] { return it->second.answering == 0; });
  live_logs().erase(it);
}

// Committers never signal the publisher (the shard makes no system call to hand records over):
// while records keep coming it looks every kPoll; after kIdleRounds empty looks, every
// kIdlePoll (a record then waits at most that long for the store; the intent log holds it).
constexpr auto kPoll = std::chrono::microseconds(200);
constexpr auto kIdlePoll = std::chrono::milliseconds(2);
constexpr int kIdleRounds = 50;

void EventLog::publish_loop() {
  pthread_setname_np(pthread_self(), "oms-journal");
  std::vector<Queued> batch;
  std::unique_lock lock(mutex_);
  int idle = 0;
  const auto resend_ready = [this] {
    return !resend_.empty() && std::chrono::steady_clock::now() >= resend_due_;
  };
  for (;;) {
    if (queue_.empty() && !stopping_ && !resend_ready()) {
      if (idle >= kIdleRounds) {
        work_.wait_for(lock, kIdlePoll, [this] { return stopping_ || !queue_.empty(); });
      } else {
        work_.wait_for(lock, kPoll, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) ++idle;
      }
    }
    const bool resending = resend_ready();
    if (queue_.empty() && !resending) {
      // Everything was handed over (what awaits a resend stays in the intent log: the next
      // start publishes it).
      if (stopping_) return;
      continue;
    }
    idle = 0;
    // What the store gave up on goes first (older than anything queued), in intent-seq order.
    if (resending) batch.swap(resend_);
    const std::size_t fresh = queue_.size();
    const std::size_t again = batch.size();
    std::move(queue_.begin(), queue_.end(), std::back_inserter(batch));
    queue_.clear();
    lock.unlock();
    if (again > 0) {
      resends_.fetch_add(again, std::memory_order_relaxed);
      appended_.fetch_add(again, std::memory_order_relaxed);  // in flight again
    }
    for (Queued& q : batch) hand(std::move(q.record), q.intent_seq, q.resent);
    batch.clear();
    if (batch.capacity() > 4096) std::vector<Queued>().swap(batch);  // a backlog's memory goes
    lock.lock();
    handed_ += fresh;
    room_.notify_all();
  }
}

void EventLog::hand(persistence::AppendRecord record, std::uint64_t intent_seq, bool resent) {
  const std::uint64_t serial = serial_of(this);
  if (publish_ == Publish::kInline) {
    store_.append(std::move(record), [this, serial, intent_seq](const Result<std::uint64_t, StoreError>& r) {
      if_alive(this, serial, [&] { on_answer(r, nullptr, intent_seq, false); });
    });
    return;
  }
  // A copy for a resend, should the store give up on it (this thread, off the hot path).
  auto copy = std::make_shared<persistence::AppendRecord>(record);
  store_.append(std::move(record), [this, serial, intent_seq, resent, copy = std::move(copy)](
                                       const Result<std::uint64_t, StoreError>& r) {
    if_alive(this, serial, [&] { on_answer(r, copy.get(), intent_seq, resent); });
  });
}

void EventLog::on_answer(const Result<std::uint64_t, StoreError>& r,
                         persistence::AppendRecord* record, std::uint64_t intent_seq, bool resent) {
  answered_.fetch_add(1, std::memory_order_relaxed);
  // Answered for good (stored, refused, the store closed): no longer awaiting a resend.
  if (resent && (r || !transient_failure(r.error().code))) {
    awaiting_resend_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (r) {
    OMS_FAILPOINT(kJournalStoreAck);
    if (intents_ != nullptr && intent_seq != 0) mark_done(*intents_, intent_seq);
    return;
  }
  store_failures_.fetch_add(1, std::memory_order_relaxed);
  const StoreErrorCode code = r.error().code;
  if (code == StoreErrorCode::kClosed) return;  // stays pending in the intent log: the next start
  const bool transient = transient_failure(code);
  if (transient && record != nullptr) {
    bool first = false;
    {
      const std::lock_guard lock(mutex_);
      first = resend_.empty();
      const auto at = std::upper_bound(resend_.begin(), resend_.end(), intent_seq,
                                       [](std::uint64_t s, const Queued& q) { return s < q.intent_seq; });
      resend_.insert(at, Queued{std::move(*record), intent_seq, true});
      resend_due_ = std::chrono::steady_clock::now() + kResendDelay;
      if (!resent) awaiting_resend_.fetch_add(1, std::memory_order_relaxed);
    }
    if (first) {
      spdlog::warn("journal: the store gave up on an append ({}); it is handed over again every {} ms "
                   "until acknowledged, kept in the intent log meanwhile",
                   r.error().message, kResendDelay.count());
    }
    return;
  }
  if (!transient) {
    // Refused for good: kept, it would hold every later entry's space in the intent log.
    spdlog::error("journal: the store refused msg {} for good: {}; its intent-log entry is released",
                  record != nullptr ? record->msg_id : 0, r.error().message);
    if (intents_ != nullptr && intent_seq != 0) mark_done(*intents_, intent_seq);
  }
}

std::string EventLog::refusal_locked() {
  if (intents_ == nullptr) return {};
  const std::uint32_t fill = intents_->fill_permille();
  if (fill < kNewWorkLimitPermille) return {};
  return "intent log " + std::to_string(fill / 10) + "% full (new orders stop at " +
         std::to_string(kNewWorkLimitPermille / 10) + "%): the store has not acknowledged " +
         std::to_string(store_lag()) + " events (it gave up on " +
         std::to_string(awaiting_resend_.load(std::memory_order_relaxed)) +
         " of them within its retry window: handed over again)";
}

std::string EventLog::new_orders_refusal() {
  const std::lock_guard lock(mutex_);
  return refusal_locked();
}

std::uint32_t EventLog::intent_fill_permille() {
  const std::lock_guard lock(mutex_);
  return intents_ != nullptr ? intents_->fill_permille() : 0;
}

void EventLog::observe_global_seq(std::uint64_t seq) noexcept {
  const std::lock_guard lock(mutex_);
  if (seq > global_seq_) global_seq_ = seq;
}

void EventLog::reset_global_seq(std::uint64_t seq) noexcept {
  const std::lock_guard lock(mutex_);
  global_seq_ = seq;
}

void EventLog::enqueue(persistence::AppendRecord record, std::uint64_t intent_seq) {
  appended_.fetch_add(1, std::memory_order_relaxed);
  ++queued_;
  if (publish_ == Publish::kThread) {
    queue_.push_back(Queued{std::move(record), intent_seq});
    return;
  }
  hand(std::move(record), intent_seq, false);
  ++handed_;
}

Result<Unit, StoreError> EventLog::record_input(std::string subject, std::string payload,
                                                EventId msg_id, TimeNs time) {
  if (subject.empty() || msg_id == 0) {
    return Unexpected{StoreError{StoreErrorCode::kInvalid, "input record without subject or id"}};
  }
  std::unique_lock lock(mutex_);
  room_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  // Past the limit the rest of the intent log is kept for the events of orders already out.
  if (auto why = refusal_locked(); !why.empty()) {
    return Unexpected{StoreError{StoreErrorCode::kBackpressure, "not recorded: " + why}};
  }
  std::uint64_t intent_seq = 0;
  if (intents_ != nullptr) {
    auto seq = intents_->append(subject, payload, msg_id, time);
    if (!seq) return Unexpected{seq.error()};
    intent_seq = *seq;
  }
  enqueue(persistence::AppendRecord{std::move(subject), std::move(payload), msg_id, time},
          intent_seq);
  return Unit{};
}

std::uint64_t EventLog::last_global_seq() const noexcept {
  const std::lock_guard lock(mutex_);
  return global_seq_;
}

Result<std::vector<Event>, CommitError> EventLog::commit(const Envelope& cause,
                                                         std::span<const EventPayload> payloads,
                                                         TimeNs now, TimeNs event_time) {
  if (payloads.empty() || payloads.size() > kMaxGroupEvents) {
    return Unexpected(commit_error(StoreErrorCode::kInvalid,
                                   "event group of " + std::to_string(payloads.size()) +
                                       " events (1.." + std::to_string(kMaxGroupEvents) + ")"));
  }
  struct Encoded {
    std::string subject, payload;
  };
  std::vector<Event> events;
  std::vector<Encoded> encoded;
  events.reserve(payloads.size());
  encoded.reserve(payloads.size());
  const EventId correlation = cause.correlation_id != 0 ? cause.correlation_id : cause.id;
  // The record time (day index, and with the id the store's deduplication key) must come out
  // the same when the input is processed again after a restart: the venue's time for a
  // report, the command's own time for a command; our clock only when neither has one.
  const TimeNs record_time =
      event_time != 0 ? event_time : (cause.init_time != 0 ? cause.init_time : now);

  std::unique_lock lock(mutex_);
  // Room for the group on the publisher's queue (backpressure when the store falls behind).
  room_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  // Encode the whole group first: a bad event refuses the group before anything is durable.
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    Event ev{};
    ev.envelope.id = group_event_id(cause.id, i, payloads.size());
    ev.envelope.global_seq = global_seq_ + 1 + i;
    ev.envelope.init_time = now;
    ev.envelope.event_time = record_time;
    ev.envelope.causation_id = cause.id;
    ev.envelope.correlation_id = correlation;
    ev.payload = payloads[i];
    auto subject = subjects_.subject(ev.payload);
    if (subject.empty()) {
      return Unexpected(commit_error(
          StoreErrorCode::kInvalid,
          std::string("no subject for ") + std::string(message_name(ev)) + " (unknown id)"));
    }
    auto json = encode_json(ev, directory_);
    if (!json) return Unexpected(commit_error(StoreErrorCode::kInvalid, json.error().message));
    if (mac_) json = mac_->sign(subject, *json);
    encoded.push_back({std::move(subject), std::move(json).value()});
    events.push_back(ev);
  }
  global_seq_ += payloads.size();

  for (std::size_t i = 0; i < events.size(); ++i) {
    std::uint64_t intent_seq = 0;
    if (intents_ != nullptr) {
      auto seq = intents_->append(encoded[i].subject, encoded[i].payload, events[i].envelope.id,
                                  record_time);
      if (!seq) {
        // The events before it are committed: they go to the store all the same.
        lock.unlock();
        if (publish_ == Publish::kThread) work_.notify_one();
        return Unexpected(CommitError{seq.error(), i});
      }
      intent_seq = *seq;
    }
    enqueue(persistence::AppendRecord{std::move(encoded[i].subject),
                                      std::move(encoded[i].payload), events[i].envelope.id,
                                      record_time},
            intent_seq);
  }
  return events;
}

void EventLog::rehearse(const EventPayload& payload) {
  // No lock: the subjects, the directory and the MAC's key are fixed at construction.
  Event ev{};
  ev.envelope.id = 1;
  ev.payload = payload;
  const std::string subject = subjects_.subject(ev.payload);
  if (subject.empty()) return;
  auto json = encode_json(ev, directory_);
  if (!json) return;
  if (mac_) json = mac_->sign(subject, *json);
  rehearsed_bytes_.fetch_add(json->size(), std::memory_order_relaxed);
}

Result<Unit, StoreError> EventLog::flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (publish_ == Publish::kThread) {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = queued_;
    work_.notify_one();  // not a poll's wait away
    if (!room_.wait_until(lock, deadline, [&] { return handed_ >= target && resend_.empty(); })) {
      return Unexpected{StoreError{StoreErrorCode::kTimeout,
                                   "journal publisher: " +
                                       std::to_string(target > handed_ ? target - handed_ : 0) +
                                       " committed records not handed to the store, " +
                                       std::to_string(resend_.size()) +
                                       " awaiting a resend, after " +
                                       std::to_string(timeout.count()) + " ms"}};
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  auto flushed = store_.flush(std::max(left, std::chrono::milliseconds(0)));
  if (!flushed) return flushed;
  if (const auto again = awaiting_resend(); again > 0) {
    return Unexpected{StoreError{StoreErrorCode::kTimeout,
                                 "journal publisher: the store gave up on " + std::to_string(again) +
                                     " records (awaiting a resend)"}};
  }
  return flushed;
}

}  // namespace oms::actors
