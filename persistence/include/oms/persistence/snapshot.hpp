// Snapshots of an account's state and the stream sequence they cover (DESIGN.md "Events,
// subjects, streams"): recovery loads the newest good one and replays the stream from sequence+1.
//
//   {data_dir}/snapshots/YYYY/MM/DD/HH/{account}/state-{sequence, 20 digits}.snap
//
// A file is a header line of JSON, then the state's bytes (the cores' compacted state,
// oms/cores/state_codec.hpp; opaque here):
//   {"format":"oms-snapshot","version":1,"account":"main","stream":"ACCOUNT_binance_main",
//    "sequence":42,"time":<ns>,"bytes":1234,"crc32c":"e3069283"}\n<1234 bytes>
// so `head -1` says what a file holds. The account directory is escape_token(account)
// (messages/subjects.hpp): [A-Za-z0-9_-] kept, every other byte ~XX, so no name can climb out of
// the tree. An hour's directory keeps its two newest snapshots (the newest, and the previous one
// to fall back to); earlier hours keep theirs.
//
// Loading falls back: a file that is damaged (header, length, checksum) or that the caller's
// `accept` refuses (a state this build cannot read) is passed over with a note saying why, and
// the next older one is tried, then the hours before; none left means "replay the stream".
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/envelope.hpp"
#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence {

struct Snapshot {
  std::string account;
  std::string stream;
  std::uint64_t sequence = 0;  // the last stream sequence folded into state
  TimeNs time = 0;
  std::string state;           // the state's bytes, checksum verified
  std::filesystem::path path;  // the file it was read from
};

// What load_latest found: the newest good snapshot (none: replay the whole stream), and every
// newer one it passed over, each naming its file and why.
struct LoadedSnapshot {
  std::optional<Snapshot> snapshot;
  std::vector<std::string> skipped;
};

enum class SnapshotWrite : std::uint8_t {
  kWritten,     // the file now holds this snapshot
  kKeptNewer,   // the hour's directory already holds a higher sequence of the stream; not written
};

inline constexpr std::uint32_t kSnapshotFormatVersion = 1;

// Thread-safe; several processes may share a data_dir (writes to one account directory are
// serialized by flock on that directory).
class SnapshotStore {
 public:
  explicit SnapshotStore(std::filesystem::path data_dir);
  // Waits for the writes queued with write_async.
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // {data_dir}/snapshots/YYYY/MM/DD/HH/{escaped account} for a UTC time: the directory an
  // account's snapshots of that hour are written to.
  [[nodiscard]] std::filesystem::path dir_for(std::string_view account, TimeNs time) const;

  // Atomic and durable: temp file in the same directory, fsync, rename to its final name, fsync
  // of the directory (and of every directory it had to create); then the hour's older files
  // but the previous one are removed. An interrupted write leaves the earlier files intact and
  // at most a temp file that a later load or write removes. kIo names the path.
  [[nodiscard]] Result<SnapshotWrite, StoreError> write(std::string_view account,
                                                        std::string_view stream,
                                                        std::uint64_t sequence, TimeNs time,
                                                        std::string_view state);

  // As write, on the store's writer thread (started at the first call), in call order: the
  // caller (the engine, for an account) hands over the state it fixed with its sequence and goes
  // on; the fsyncs happen beside it. `done` (may be null) runs on that thread.
  using WriteDone = std::function<void(const Result<SnapshotWrite, StoreError>&)>;
  void write_async(std::string account, std::string stream, std::uint64_t sequence, TimeNs time,
                   std::string state, WriteDone done);
  // Returns once every write queued before the call is done.
  void drain();

  // Says why a snapshot's state cannot be used (nullopt: it can); the loader then falls back.
  using Accept = std::function<std::optional<std::string>(const Snapshot&)>;

  // The newest good snapshot of (account, stream) with sequence <= max_sequence. Hours are
  // visited newest first, and in an hour the files by sequence, highest first; a file of
  // another stream is passed over silently (the account's stream was renamed), a damaged or
  // refused one with a note in `skipped`. Temp files left by writers that died are removed on
  // the way. An error only when a directory cannot be read.
  [[nodiscard]] Result<LoadedSnapshot, StoreError> load_latest(std::string_view account,
                                                               std::string_view stream,
                                                               std::uint64_t max_sequence,
                                                               const Accept& accept = {}) const;

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

 private:
  std::filesystem::path root_;  // {data_dir}/snapshots
  struct Writer;
  std::unique_ptr<Writer> writer_;
};

}  // namespace oms::persistence
