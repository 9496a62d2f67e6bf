// Reading a recording back: the engine's input records (actors/input_record.hpp) from the
// INPUTS stream and the exchanges' MD_ streams, merged into the order the shard ran them.
//
// Each stream is read forward by stream sequence, ahead of the merge (StreamCursor), from the
// first sequence of a UTC day in our own day index -- never by start time, which JetStream may
// skip. The merge takes, among the streams' next records of the desk, the lowest (run, seq): runs
// follow each other in time, and within a run every record is numbered from 1, so a record
// missing from every stream is a hole the reader names (run and numbers), never a silent gap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/actors/input_record.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::replay {

// One stored record, owned.
struct OwnedRecord {
  std::uint64_t sequence = 0;
  std::string subject, payload;
  EventId msg_id = 0;
  TimeNs time = 0;
};

// One stored record as a cursor holds it (its texts in the cursor's chunk).
struct RecordView {
  std::uint64_t sequence = 0;
  std::string_view subject, payload;
  EventId msg_id = 0;
  TimeNs time = 0;
  [[nodiscard]] OwnedRecord own() const {
    return OwnedRecord{sequence, std::string(subject), std::string(payload), msg_id, time};
  }
};

// A stream read forward, ahead of its reader: a thread of the cursor's own reads the stream in
// one pass (JetStream: one push consumer with flow control over the whole range, not a consumer
// per chunk; the file journal: its segments) and hands the records over in chunks of `chunk`,
// at most kAhead chunks ahead of the reader, so reading the store overlaps with what the reader
// does with the records (a replay's engine) and the memory held stays bounded. The records come
// in stream order, exactly as one synchronous read would give them.
class StreamCursor {
 public:
  static constexpr std::size_t kAhead = 2;
  // Whether the reader looks at the records' msg_id and time (kNotNeeded: they may be 0, and
  // JetStream is read faster; persistence::ReadRequest::ids).
  enum class Ids { kWanted, kNotNeeded };
  // Records in [from, to] (to 0: through the last, asked again when the pass reaches it, so
  // records appended while reading are read too) matching filter (NATS wildcards; empty: all).
  StreamCursor(persistence::EventStore& store, std::string stream, std::string filter,
               std::uint64_t from, std::uint64_t to = 0, std::size_t chunk = 4096, Ids ids = Ids::kWanted);
  ~StreamCursor();
  StreamCursor(const StreamCursor&) = delete;
  StreamCursor& operator=(const StreamCursor&) = delete;
  // The next record, or null at the end (valid until the next peek after a pop). Errors: the
  // store's (naming the stream), after the records read before it.
  [[nodiscard]] Result<const RecordView*, std::string> peek();
  void pop() { ++pos_; }
  [[nodiscard]] const std::string& stream() const noexcept { return stream_; }

 private:
  // A chunk: every record's subject and payload one after the other in one text (no allocation
  // per record once it has grown), the records' views into it.
  struct Chunk {
    std::string text;
    std::vector<RecordView> records;
    std::vector<std::pair<std::size_t, std::size_t>> at;  // subject's, payload's offset in text
    void clear() {
      text.clear();
      records.clear();
      at.clear();
    }
  };
  struct Ahead;  // the reading thread and the chunks it handed over
  std::string stream_;
  std::unique_ptr<Ahead> ahead_;
  std::unique_ptr<Chunk> chunk_;  // the one being read; null before the first
  std::size_t pos_ = 0;
  bool ended_ = false;
};

// The first sequence of a stream holding records of `day` or later (1 when the index has no
// such day before it; last + 1 when the stream ends before the day).
[[nodiscard]] Result<std::uint64_t, std::string> first_sequence_from_day(
    persistence::EventStore& store, const std::string& stream, std::int32_t day);

struct InputStreams {
  std::string inputs = "INPUTS";        // the INPUTS stream
  std::vector<std::string> md_streams;  // MD_{exchange} of every exchange the engine traded
};

// A desk's input records, merged into the shard's order.
class InputReader {
 public:
  // Starts each stream at the first sequence of UTC day `day`; runs before min_run (live when
  // that day began, started earlier) are passed over unread.
  static Result<std::unique_ptr<InputReader>, std::string> open(persistence::EventStore& store,
                                                                const InputStreams& streams,
                                                                std::uint16_t desk,
                                                                std::int32_t day,
                                                                std::uint64_t min_run = 0);
  // Continues a run after its record `after_seq` (a checkpoint's last): each stream read from
  // its own sequence (`starts`: INPUTS first, then the MD streams in order), records of the run
  // up to after_seq, and of earlier runs, passed over.
  static Result<std::unique_ptr<InputReader>, std::string> open_after(
      persistence::EventStore& store, const InputStreams& streams, std::uint16_t desk,
      std::uint64_t run, std::uint64_t after_seq, const std::vector<std::uint64_t>& starts);
  // The next record, null at the end; valid until the next call. Errors: a record that does
  // not decode (stream and sequence), a hole in a run, a run whose first record is not its
  // start.
  [[nodiscard]] Result<const actors::InputRecord*, std::string> next();
  // Where the record next() returned is stored: its stream's index and sequence.
  [[nodiscard]] std::size_t last_stream() const noexcept { return last_stream_; }
  [[nodiscard]] std::uint64_t last_sequence() const noexcept { return last_sequence_; }
  [[nodiscard]] const std::string& stream_name(std::size_t i) const { return heads_[i].cursor->stream(); }
  // Records read so far and, roughly, how many the streams hold from where reading began.
  [[nodiscard]] std::uint64_t read() const noexcept { return read_; }
  [[nodiscard]] std::uint64_t estimated_total() const noexcept { return estimated_total_; }

 private:
  struct Head {
    std::unique_ptr<StreamCursor> cursor;
    actors::InputRecord record;  // the next record of the desk, decoded (when has)
    std::uint64_t sequence = 0;  // its stream sequence
    bool has = false;
  };
  InputReader() = default;
  Result<bool, std::string> fill(Head& h);  // false: the stream has no more of the desk's
  std::vector<Head> heads_;
  Head* taken_ = nullptr;  // the head whose record next() returned last
  std::size_t last_stream_ = 0;
  std::uint64_t last_sequence_ = 0;
  std::uint16_t desk_ = 1;
  std::pair<std::uint64_t, std::uint64_t> after_{0, 0};  // (run, seq): records at or before it passed over
  std::uint64_t run_ = 0, expect_ = 0;  // the run being read and its next record's number
  std::uint64_t read_ = 0, estimated_total_ = 0;
};

// The largest sequence in [lo, hi] of a stream whose record's key is at or below `target`
// (lo - 1 when none), for keys that do not decrease along the stream (a record's global event
// sequence, an input record's (run, seq)). A record without a key (nullopt: another desk's) is
// passed over forward, up to 256 records from the probe; a probe that finds none counts as
// above the target (the answer is then earlier, never later, than the exact one).
using SequenceKey = std::pair<std::uint64_t, std::uint64_t>;
[[nodiscard]] Result<std::uint64_t, std::string> last_sequence_at_or_below(
    persistence::EventStore& store, const std::string& stream, std::uint64_t lo, std::uint64_t hi,
    const std::function<std::optional<SequenceKey>(const persistence::StoredRecord&)>& key,
    SequenceKey target);

// The desk's last checkpoint of `run` taken before `before` (input_record.hpp), whole: its
// bytes, its clock, its last part's number in the run and stream sequence in INPUTS, and the
// global event sequence when it was taken. nullopt: none.
struct RecordedCheckpoint {
  std::uint64_t run = 0, last_seq = 0, inputs_sequence = 0, global_seq = 0;
  TimeNs now = 0;
  std::string bytes;
};
[[nodiscard]] Result<std::optional<RecordedCheckpoint>, std::string> last_checkpoint_before(
    persistence::EventStore& store, const std::string& inputs_stream, std::uint16_t desk,
    std::uint64_t run, TimeNs before);

// The run of the desk's first record whose clock is at or after `from` (0 when none): where a
// replay of [from, ...] begins (from that run's start).
[[nodiscard]] Result<std::uint64_t, std::string> first_run_at(persistence::EventStore& store,
                                                             const std::string& inputs_stream,
                                                             std::uint16_t desk, TimeNs from);

// The start texts (input_record.hpp: desk, run, stream positions, setup) of the desk's runs
// whose start records lie in the INPUTS stream from UTC day `day` through clock `to`.
struct RecordedStart {
  std::uint64_t run = 0;
  std::string text;
};
[[nodiscard]] Result<std::vector<RecordedStart>, std::string> recorded_starts(
    persistence::EventStore& store, const std::string& inputs_stream, std::uint16_t desk,
    std::int32_t day, TimeNs to);

}  // namespace oms::replay
