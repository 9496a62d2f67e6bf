// Snapshots of an account's state and the stream sequence they cover (DESIGN.md "Events,
// subjects, streams"): recovery loads the newest one and replays the stream from sequence+1.
//
//   {data_dir}/snapshots/YYYY/MM/DD/HH/{account}/state.json      (UTC hour of the snapshot)
//   {"account":"main","stream":"ACCOUNT_binance_main","sequence":42,"time":<ns>,"state":{...}}
//
// The account directory is escape_token(account) (messages/subjects.hpp): [A-Za-z0-9_-] kept,
// every other byte ~XX, so no name can climb out of the tree. One file per account and hour:
// a later snapshot in the same hour replaces it, but only with a sequence >= the stored one,
// so a slow writer can never put an older state over a newer one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "oms/messages/envelope.hpp"
#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence {

struct Snapshot {
  std::string account;
  std::string stream;
  std::uint64_t sequence = 0;  // the last stream sequence folded into state
  TimeNs time = 0;
  nlohmann::json state;
  std::filesystem::path path;  // the file it was read from
};

enum class SnapshotWrite : std::uint8_t {
  kWritten,     // the file now holds this snapshot
  kKeptNewer,   // the hour's file already covers a higher sequence of the stream; left as is
};

// Thread-safe; several processes may share a data_dir (writes to one account directory are
// serialized by flock on that directory).
class SnapshotStore {
 public:
  explicit SnapshotStore(std::filesystem::path data_dir);
  // Waits for the writes queued with write_async.
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // {data_dir}/snapshots/YYYY/MM/DD/HH/{escaped account}/state.json for a UTC time.
  [[nodiscard]] std::filesystem::path path_for(std::string_view account, TimeNs time) const;

  // Atomic and durable: temp file in the same directory, fsync, rename over state.json, fsync
  // of the directory (and of every directory it had to create). An interrupted write leaves
  // the previous file intact and at most a temp file that load_latest removes.
  // kInvalid when state cannot be serialized (invalid UTF-8), kIo naming the path otherwise.
  [[nodiscard]] Result<SnapshotWrite, StoreError> write(std::string_view account,
                                                        std::string_view stream,
                                                        std::uint64_t sequence, TimeNs time,
                                                        const nlohmann::json& state);

  // As write, on the store's writer thread (started at the first call), in call order: the
  // caller (the engine, for an account) hands over a state it has already fixed with its sequence and
  // goes on; the fsyncs happen beside it. `done` (may be null) runs on that thread.
  using WriteDone = std::function<void(const Result<SnapshotWrite, StoreError>&)>;
  void write_async(std::string account, std::string stream, std::uint64_t sequence, TimeNs time,
                   nlohmann::json state, WriteDone done);
  // As write_async, with the state built on the writer thread too: the caller hands over what
  // it fixed (a copy of its compact state) and the JSON is made beside it. A builder's error is
  // passed to `done` and nothing is written.
  using StateBuilder = std::function<Result<nlohmann::json, StoreError>()>;
  void write_async(std::string account, std::string stream, std::uint64_t sequence, TimeNs time,
                   StateBuilder build, WriteDone done);
  // Returns once every write queued before the call is done.
  void drain();

  // The snapshot of (account, stream) with the highest sequence <= max_sequence, or nullopt.
  // Hours are visited newest first and the search stops at the first match: a stream's
  // snapshots are taken in time order, so a later hour never holds a lower sequence.
  // A file of another stream is passed over (the account's stream was renamed); a file that
  // does not parse is kCorrupt naming it, never skipped. Temp files left by writers that died
  // are removed on the way.
  [[nodiscard]] Result<std::optional<Snapshot>, StoreError> load_latest(
      std::string_view account, std::string_view stream, std::uint64_t max_sequence) const;

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

 private:
  void enqueue(std::string account, std::string stream, std::uint64_t sequence, TimeNs time,
               nlohmann::json state, StateBuilder build, WriteDone done);
  std::filesystem::path root_;  // {data_dir}/snapshots
  struct Writer;
  std::unique_ptr<Writer> writer_;
};

}  // namespace oms::persistence
