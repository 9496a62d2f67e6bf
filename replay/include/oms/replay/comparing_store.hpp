// ComparingStore: the store a replayed engine writes to. It keeps nothing of its own: every
// record the engine appends is compared, byte for byte (subject, payload, event id), with the
// next record the live engine stored in the same stream of the recording; a match answers with
// the recorded sequence. Reads (an account's rebuild at the run's start or at a restart) see the
// recording up to what has been matched so far -- exactly what the live engine had stored by
// then -- so the replay needs no copy of the store.
//
// Streams compared: the run's account streams and STRATEGIES (the engine's risk events and its
// strategies' records; what another daemon of the desk wrote there is passed over: foreign). An event whose id the stream already holds is answered with that record's sequence, as
// the live store's deduplication answered it. The first difference stops the comparison
// (mismatch() says what and where).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "oms/persistence/event_store.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "oms/replay/recording.hpp"

namespace oms::replay {

struct Mismatch {
  std::string stream;
  std::uint64_t recorded_sequence = 0;  // 0: the recording has no further record there
  OwnedRecord produced, recorded;
};

class ComparingStore final : public persistence::EventStore {
 public:
  // positions: each compared stream's last sequence when the run started (its start record).
  ComparingStore(persistence::EventStore& recording, persistence::StreamLayout layout,
                 std::map<std::string, std::uint64_t> positions);

  // Called with each matched record (the replay's hash and count).
  std::function<void(const persistence::AppendRecord&)> on_match;
  // Records of a compared stream another engine wrote (a daemon sharing the NATS cluster:
  // another desk's risk records, a strategy another daemon runs), by subject: passed over.
  std::function<bool(std::string_view subject)> foreign;

  [[nodiscard]] const std::optional<Mismatch>& mismatch() const noexcept { return mismatch_; }
  [[nodiscard]] std::string error() const { return error_; }
  // The recorded engine records after what was matched, up to (and including) `until` per
  // stream (the next run's start positions): none when the replay produced all of them.
  // Sets mismatch() to the first one left over.
  void check_nothing_left(const std::map<std::string, std::uint64_t>& until);

  // Each compared stream's position: the last recorded sequence matched (or started from).
  [[nodiscard]] std::map<std::string, std::uint64_t> positions() const;
  // Compares on from these positions (a replay that starts at a checkpoint: the last record
  // each stream held when it was taken); a stream not named keeps its position.
  void reposition(const std::map<std::string, std::uint64_t>& positions);

  // ---- EventStore ----
  Result<std::string, persistence::StoreError> stream_for(std::string_view subject) const override;
  void append(persistence::AppendRecord record, persistence::AppendCallback done) override;
  Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds) override { return Unit{}; }
  Result<std::uint64_t, persistence::StoreError> read(const persistence::ReadRequest& request,
                                                      const persistence::RecordVisitor& visit) override;
  Result<std::unique_ptr<persistence::Subscription>, persistence::StoreError> tail(
      const persistence::ReadRequest& request, persistence::RecordVisitor visit) override;
  Result<std::uint64_t, persistence::StoreError> last_sequence(std::string_view stream) override;
  Result<std::vector<persistence::DayStart>, persistence::StoreError> day_index(
      std::string_view stream) override;

 private:
  struct Compared {
    std::uint64_t matched = 0;  // the last recorded sequence matched (or the start position)
    std::unique_ptr<StreamCursor> cursor;
    // Event ids stored up to indexed (built on the first need): an event committed again (an
    // input delivered twice, a client's retried command) was dropped by the live store as a
    // duplicate of its first record -- the replay's copy is answered the same way.
    std::unordered_map<EventId, std::uint64_t> ids;
    std::uint64_t indexed = 0;
  };
  // The sequence of an earlier record of the stream with this event id (0: none).
  Result<std::uint64_t, std::string> stored_before(const std::string& stream, Compared& c, EventId id);
  // The next recorded engine record of the stream (null: none), foreign records passed over.
  Result<const RecordView*, std::string> next_recorded(const std::string& stream, Compared& c);

  persistence::EventStore& recording_;
  persistence::StreamLayout layout_;
  std::map<std::string, Compared, std::less<>> streams_;
  std::optional<Mismatch> mismatch_;
  std::string error_;
};

}  // namespace oms::replay
