// EventLog: where every actor commits the events it decided (DESIGN.md "Durability in three
// layers"). One commit = the events one input caused, as an event group (event_group.hpp):
//   1. envelopes: group event ids derived from the cause, the daemon-global sequence, times,
//      causation and correlation ids;
//   2. the intent log in /dev/shm (synchronous, ~100 ns an event): from here the events survive
//      a crash of the daemon;
//   3. the event store (JetStream or the file journal): the journal publisher -- a thread of
//      the log's own -- takes the committed records off a bounded queue and hands them to the
//      store in commit order; each acknowledged append marks its intent-log entry done. The
//      committing thread (the engine's shard) never waits on the store's client unless the
//      queue is full (backpressure: kMaxQueued records). An append the store gives up on (its
//      retry window passed with the server down, or too many in flight) is handed over again,
//      in intent-seq order before newer records, until the store acknowledges it: the intent
//      log entry stays until then, and publishing catches up by itself when the store returns
//      (the same msg id: the store's duplicate window keeps a record that did arrive stored
//      once). A record the store refuses for good (a bad subject, a refused message) is logged
//      with its msg id and the reason and marked done, so it cannot wedge the intent log.
//   4. admission: past kNewWorkLimitPermille of the intent log, new orders are refused
//      (new_orders_refusal()) and inputs are no longer recorded, keeping the rest for the
//      events of orders already out -- their fills, cancels and rejections.
// The caller folds the returned events into its core only after commit() succeeded, so the
// state never runs ahead of the intent log.
//
// Thread-safe (one mutex): the engine's shard and the strategy actors commit concurrently, and
// the intent log takes one producer at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <stdexcept>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "oms/messages/codec.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"
#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/record_integrity.hpp"

namespace oms::actors {

// Subjects of events (DESIGN.md "Events, subjects, streams"), from the names in a Directory.
// Instruments are named "exchange:market:BASE/QUOTE[:SETTLE]".
class SubjectMap {
 public:
  // Throws std::invalid_argument naming the instrument whose name does not parse (startup).
  explicit SubjectMap(const Directory& directory);
  // The subject of an event: orders.*, trades.* (fills), positions.* (balances, positions,
  // funding), transfers.*, strategies.* (strategy states, risk breaches, kill switches),
  // md.* (market data). Empty when an id in it is unknown.
  [[nodiscard]] std::string subject(const EventPayload& payload) const;
  [[nodiscard]] const Directory& directory() const noexcept { return directory_; }

  // The desk whose engine writes (omsd --desk). The STRATEGIES stream's records that are not
  // one strategy's -- risk limits and kill switches (strategies.risk.*), manual algos and SOR
  // parents (strategies.manual.*) -- carry it when it is not 1, so daemons sharing a NATS
  // cluster each rebuild and replay their own: desk 1 keeps the subjects it always had
  // (strategies.risk.kill_switch), desk 2 writes strategies.risk.d2.kill_switch.
  void set_desk(std::uint16_t desk) noexcept { desk_ = desk; }
  [[nodiscard]] std::uint16_t desk() const noexcept { return desk_; }
  // The subject filter of one desk's records of an area ("risk", "manual").
  [[nodiscard]] static std::string desk_filter(std::string_view area, std::uint16_t desk);
  // Whether a STRATEGIES subject is a risk or manual record of a desk other than `desk`.
  [[nodiscard]] static bool other_desks(std::string_view subject, std::uint16_t desk);

 private:
  struct InstrumentRef {
    ExchangeId exchange;
    Market market;
    CanonicalSymbol symbol;
  };
  [[nodiscard]] std::string desk_subject(std::string_view area, std::string_view action) const;
  const Directory& directory_;
  std::vector<InstrumentRef> instruments_;
  std::uint16_t desk_ = 1;
};

// A stored record a reader may not fold: it does not decode, sits on a subject its event does
// not belong to, or fails its MAC (record_integrity.hpp). Names the stream, sequence, reason.
struct BadRecord : std::runtime_error {
  BadRecord(std::string stream_, std::uint64_t sequence_, std::string reason_)
      : std::runtime_error(stream_ + " seq " + std::to_string(sequence_) + ": " + reason_),
        stream(std::move(stream_)), sequence(sequence_), reason(std::move(reason_)) {}
  std::string stream;
  std::uint64_t sequence = 0;
  std::string reason;
  bool quarantinable = true;  // false: no record is there (a hole)
};

// What read_events checks beyond decoding (the account rebuild asks for both).
struct RecordChecks {
  const SubjectMap* subjects = nullptr;          // the record's subject must be its event's own
  const persistence::RecordMac* mac = nullptr;   // the record's MAC (record_integrity.hpp)
};

// Why a reader may not fold a stored record of `stream` (nothing: it may); event holds the
// decoded event when it decodes.
[[nodiscard]] std::optional<std::string> record_problem(const persistence::StoredRecord& record,
                                                        std::string_view stream,
                                                        const Directory& directory,
                                                        const RecordChecks& checks,
                                                        std::optional<Event>& event);

// Reads a stream's events (from the request's sequence, with its subject filter) and hands each
// to visit, in stream order. Quarantine records are passed over, and so is every record an
// operator quarantined (record_integrity.hpp). Throws BadRecord for the first other record that
// does not decode or fails a check, or std::runtime_error with the store's error: an actor is
// never half rebuilt. With `contiguous` (an unfiltered read) every sequence from the first asked
// for must be there: a hole throws BadRecord at the first missing sequence, naming the range.
void read_events(persistence::EventStore& store, const persistence::ReadRequest& request,
                 const Directory& directory, const std::function<void(const Event&)>& visit,
                 bool contiguous = false, const RecordChecks& checks = {});

struct CommitError {
  persistence::StoreError store;  // the layer that refused, naming stream or path
  std::size_t committed = 0;      // events of the group already in the intent log
};

// How committed records reach the store.
enum class Publish : std::uint8_t {
  kThread,  // the journal publisher thread (the daemon: the shard never waits on the store)
  kInline,  // the committing thread appends them itself (replay, backtests: one thread, and
            // a store that answers at once, such as replay's overlay or the file journal)
};

class EventLog {
 public:
  // intents may be null (backtests, tests of the store alone): then the store is the first
  // durable layer and a daemon crash loses what it had not acknowledged.
  // mac: every event committed is signed with it (record_integrity.hpp); null: unsigned
  // (replay, backtests, tests).
  EventLog(persistence::EventStore& store, persistence::IntentLog* intents,
           const Directory& directory, Publish publish = Publish::kThread,
           std::shared_ptr<const persistence::RecordMac> mac = nullptr);
  // Hands every queued record to the store, then stops the publisher.
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Records committed and not yet handed to the store at most; commit() waits for room.
  static constexpr std::size_t kMaxQueued = 65'536;
  // The intent log's fill (per mille) from which new orders are refused and inputs are not
  // recorded.
  static constexpr std::uint32_t kNewWorkLimitPermille = 750;
  // A record the store gave up on is handed to it again after this.
  static constexpr std::chrono::milliseconds kResendDelay{500};

  // Empty while new orders are admitted; else why not, for the refusal and /health: the
  // intent log's fill, the records the store has not acknowledged and those awaiting a resend.
  [[nodiscard]] std::string new_orders_refusal();
  // The intent log's fill in per mille (0 without one).
  [[nodiscard]] std::uint32_t intent_fill_permille();

  // Commits the events `cause` led to (at most kMaxGroupEvents). now = init time of the new
  // events; event_time = the venue's time (0: the cause's init time, else now). The store
  // record's time is the event time, so processing the same input again after a restart
  // yields the same deduplication key. Errors: kInvalid (empty group, too many
  // events, an event without a subject), kBackpressure (intent log full), the codec's
  // failure as kInvalid; a partial commit says how many events are in the intent log.
  [[nodiscard]] Result<std::vector<Event>, CommitError> commit(
      const Envelope& cause, std::span<const EventPayload> payloads, TimeNs now,
      TimeNs event_time = 0);

  // Encodes and signs payload as commit() would, into scratch: nothing committed, queued or
  // numbered (the engine's keep-warm rehearses the codec and the MAC between orders).
  void rehearse(const EventPayload& payload);

  // A recorded engine input (input_record.hpp), already encoded: the intent log, then the
  // store, in commit order with the events. Errors: kBackpressure (intent log full), kInvalid.
  [[nodiscard]] Result<Unit, persistence::StoreError> record_input(std::string subject,
                                                                  std::string payload,
                                                                  EventId msg_id, TimeNs time);

  // The next global sequence continues after every one seen (a restart's rebuild calls it
  // with the highest sequence it read).
  void observe_global_seq(std::uint64_t seq) noexcept;
  // Replay: the next event takes seq + 1, as it did when the recorded step began.
  void reset_global_seq(std::uint64_t seq) noexcept;
  [[nodiscard]] std::uint64_t last_global_seq() const noexcept;

  // Waits until the store holds every committed event (the publisher has handed it over and the
  // store answered), at most `timeout`.
  [[nodiscard]] Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds timeout);

  // Store failures reported by append callbacks since start (the entries stay pending in the
  // intent log and are published again at the next start).
  [[nodiscard]] std::uint64_t store_failures() const noexcept {
    return store_failures_.load(std::memory_order_relaxed);
  }
  // Journal lag: events handed to the store whose append has not been answered yet.
  [[nodiscard]] std::uint64_t store_lag() const noexcept {
    const auto answered = answered_.load(std::memory_order_relaxed);
    const auto appended = appended_.load(std::memory_order_relaxed);
    return appended > answered ? appended - answered : 0;
  }
  // Records the store gave up on (its retry window passed) and has not acknowledged since --
  // waiting for their resend or handed over again --, and how many resends since start.
  [[nodiscard]] std::uint64_t awaiting_resend() const noexcept {
    return awaiting_resend_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t resends() const noexcept {
    return resends_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t events_appended() const noexcept {
    return appended_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] const SubjectMap& subjects() const noexcept { return subjects_; }
  // The engine's desk (SubjectMap::set_desk): set once, before the first commit.
  void set_desk(std::uint16_t desk) noexcept { subjects_.set_desk(desk); }
  [[nodiscard]] const persistence::RecordMac* mac() const noexcept { return mac_.get(); }

 private:
  persistence::EventStore& store_;
  persistence::IntentLog* intents_;
  const Directory& directory_;
  SubjectMap subjects_;
  std::shared_ptr<const persistence::RecordMac> mac_;
  mutable std::mutex mutex_;
  std::uint64_t global_seq_ = 0;  // guarded by mutex_
  std::atomic<std::uint64_t> store_failures_{0};
  std::atomic<std::uint64_t> rehearsed_bytes_{0};  // rehearse()'s output, kept (not optimised away)
  std::atomic<std::uint64_t> appended_{0};  // committed for the store (queued or handed)
  std::atomic<std::uint64_t> answered_{0};  // its callback ran (acknowledged or failed)

  // The journal publisher.
  struct Queued {
    persistence::AppendRecord record;
    std::uint64_t intent_seq = 0;
    bool resent = false;  // the store gave up on it before (counted in awaiting_resend_)
  };
  void publish_loop();
  // Publisher thread (or kInline's committer): hands one record to the store; its answer marks
  // the intent-log entry done, or puts the record on resend_ (kThread) when the store gave up.
  void hand(persistence::AppendRecord record, std::uint64_t intent_seq, bool resent);
  void on_answer(const Result<std::uint64_t, persistence::StoreError>& r,
                 persistence::AppendRecord* record, std::uint64_t intent_seq, bool resent);
  // Not recorded past kNewWorkLimitPermille (mutex_ held): the reason, else empty.
  std::string refusal_locked();
  // Queues one record (mutex_ held); kInline hands it to the store at once.
  void enqueue(persistence::AppendRecord record, std::uint64_t intent_seq);
  Publish publish_;
  std::vector<Queued> queue_;       // guarded by mutex_
  std::vector<Queued> resend_;      // the store gave up on these; by intent seq; guarded by mutex_
  std::chrono::steady_clock::time_point resend_due_{};  // guarded by mutex_
  std::atomic<std::uint64_t> awaiting_resend_{0};       // given up, not acknowledged since
  std::atomic<std::uint64_t> resends_{0};
  std::uint64_t queued_ = 0;        // records ever queued; guarded by mutex_
  std::uint64_t handed_ = 0;        // records ever handed to the store; guarded by mutex_
  bool stopping_ = false;           // guarded by mutex_
  std::condition_variable work_;    // the publisher: records queued, or stopping
  std::condition_variable room_;    // committers and flush(): records handed over
  std::thread publisher_;
};

}  // namespace oms::actors
