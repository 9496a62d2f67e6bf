// EventStore: the one interface everything that persists or replays events uses.
// Implementations: JetStream (the daemon's default; jetstream_store.hpp) and the segmented
// file journal (backtests, users without NATS; file_journal.hpp).
//
// Records are events already encoded (canonical JSON, messages/codec.hpp) with the subject
// they are published on and their event id, which is the idempotency key: appending a
// record whose msg_id the store already holds is acknowledged with the original sequence
// and stores nothing (JetStream's duplicate window; the journal's own check).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/envelope.hpp"
#include "oms/messages/result.hpp"

namespace oms::persistence {

struct AppendRecord {
  std::string subject;  // "orders.binance.main.spot.BTC-USDT" (messages/subjects.hpp)
  std::string payload;  // the encoded event
  EventId msg_id = 0;   // unique per event; the deduplication key
  TimeNs time = 0;      // the event's init time; the day index is by this time, in UTC
};

struct StoredRecord {
  std::string_view stream;
  std::uint64_t sequence = 0;  // stream sequence, from 1, contiguous
  std::string_view subject;
  std::string_view payload;
  EventId msg_id = 0;
  TimeNs time = 0;
};

// First sequence of a UTC day in a stream: the lowest sequence of a record whose time falls
// on that day. Replay of a day reads [first_sequence(day), first_sequence(next day)) and
// filters by time.
struct DayStart {
  std::int32_t day = 0;  // days since 1970-01-01 UTC
  std::uint64_t first_sequence = 0;
  friend bool operator==(const DayStart&, const DayStart&) = default;
};

// Store errors, range 5xxx.
enum class StoreErrorCode : std::uint16_t {
  kUnknownStream = 5001,   // no stream holds that subject / no such stream
  kTimeout = 5002,         // an append or flush did not complete in time
  kBackpressure = 5003,    // too many appends in flight for too long
  kUnavailable = 5004,     // the server or the files cannot be reached
  kCorrupt = 5005,         // stored data fails its checksum or framing
  kConflict = 5006,        // an existing stream's config differs from ours
  kInvalid = 5007,         // a bad argument (empty subject, sequence out of range...)
  kIo = 5008,              // an operating-system I/O error
  kClosed = 5009,          // the store is closed
};

struct StoreError {
  StoreErrorCode code = StoreErrorCode::kInvalid;
  std::string message;  // names the stream, file and offset or server reply
};

using AppendCallback = std::function<void(const Result<std::uint64_t, StoreError>&)>;
// Visits records in sequence order; returning false stops the read.
using RecordVisitor = std::function<bool(const StoredRecord&)>;

struct ReadRequest {
  std::string stream;
  std::uint64_t from_sequence = 1;
  std::uint64_t to_sequence = 0;  // inclusive; 0 = through the last record at call time
  std::string subject_filter;     // NATS wildcards (* one token, > the rest); empty = all
  // False: the reader needs neither msg_id nor time, which a store may then leave 0 (JetStream:
  // the Nats-Msg-Id header is not parsed -- nats.c builds a header map for it, a tenth of a
  // read's client-side cost).
  bool ids = true;
};

// A live subscription; destroying it stops the callbacks (and waits for one in progress).
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // The stream that holds a subject.
  [[nodiscard]] virtual Result<std::string, StoreError> stream_for(std::string_view subject) const = 0;

  // Appends asynchronously. `done` runs exactly once with the stream sequence or the error:
  // on a store thread, or before append returns for a store that writes synchronously (the
  // file journal); it must not call back into append. When the store's bound of appends in flight is reached, append
  // blocks the caller until one completes (backpressure, never an unbounded queue); after
  // the store's backpressure timeout it fails the record with kBackpressure instead.
  virtual void append(AppendRecord record, AppendCallback done) = 0;

  // Returns once every append made before the call has completed (either way).
  [[nodiscard]] virtual Result<Unit, StoreError> flush(std::chrono::milliseconds timeout) = 0;

  // Visits the records of a stream in [from, to] (optionally only matching subjects) in
  // sequence order, from the calling thread; returns how many were visited.
  [[nodiscard]] virtual Result<std::uint64_t, StoreError> read(const ReadRequest& request,
                                                              const RecordVisitor& visit) = 0;

  // Visits records from request.from_sequence on as they are stored, on a store thread,
  // until the subscription is destroyed (request.to_sequence is ignored).
  [[nodiscard]] virtual Result<std::unique_ptr<Subscription>, StoreError> tail(
      const ReadRequest& request, RecordVisitor visit) = 0;

  // The last sequence of a stream; 0 when it is empty.
  [[nodiscard]] virtual Result<std::uint64_t, StoreError> last_sequence(std::string_view stream) = 0;

  // The stream's last sequence as far as this client knows without asking anyone: every record
  // at or below it is stored, and was appended before this call. A lower bound of
  // last_sequence() that costs no request (JetStream: the highest sequence its appends were
  // acknowledged at since it opened, 0 before the first) -- what a snapshot taken on the order
  // path names. By default last_sequence() (a store that answers it locally).
  [[nodiscard]] virtual Result<std::uint64_t, StoreError> known_last_sequence(std::string_view stream) {
    return last_sequence(stream);
  }

  // The first sequence of each UTC day present in the stream, in day order.
  [[nodiscard]] virtual Result<std::vector<DayStart>, StoreError> day_index(std::string_view stream) = 0;
};

// Days since the Unix epoch of a UTC time (floor, also for times before 1970).
[[nodiscard]] constexpr std::int32_t utc_day(TimeNs t) noexcept {
  constexpr TimeNs kNsPerDay = 86'400'000'000'000;
  return static_cast<std::int32_t>(t >= 0 ? t / kNsPerDay : (t - kNsPerDay + 1) / kNsPerDay);
}

// True when a subject matches a NATS filter ("orders.binance.*.spot.>").
[[nodiscard]] bool subject_matches(std::string_view filter, std::string_view subject) noexcept;

}  // namespace oms::persistence
