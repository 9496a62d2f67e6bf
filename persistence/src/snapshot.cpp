#include "oms/persistence/snapshot.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <memory>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "file_util.hpp"
#include "oms/persistence/crc32c.hpp"
#include "oms/persistence/failpoint.hpp"
#include "oms/messages/subjects.hpp"

namespace oms::persistence {
namespace {

using files::fsync_dir;
using files::io_error;
using files::UniqueFd;

namespace fs = std::filesystem;
using nlohmann::json;

// Files are "state-{sequence, 20 digits}.snap"; temp files "state.tmp.{pid}.{n}": the pid tells a
// dead writer's leftover from a write in progress in a live process.
constexpr std::string_view kFilePrefix = "state-";
constexpr std::string_view kFileSuffix = ".snap";
constexpr std::size_t kSequenceDigits = 20;
constexpr std::string_view kTempPrefix = "state.tmp.";
constexpr std::string_view kFormat = "oms-snapshot";
// An hour's directory keeps this many snapshots of an account: the newest and one to fall back to.
constexpr std::size_t kKeepPerHour = 2;
// A header line longer than this is not ours.
constexpr std::size_t kMaxHeader = 4096;
constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;
// Widths of the YYYY/MM/DD/HH directory names, top down.
constexpr std::array<std::size_t, 4> kLevelWidths = {4, 2, 2, 2};

std::string two_digits(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

// mkdir -p, fsyncing the parent of every directory it creates: a new snapshot's directory
// entries must survive a power loss as much as the file itself.
Result<Unit, StoreError> make_dirs_durable(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) break;
    if (errno != ENOENT) return Unexpected{io_error(p, "stat", errno)};
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), kDirMode) != 0) {
      if (errno == EEXIST) continue;  // another writer made it; its parent is its to sync
      return Unexpected{io_error(*it, "mkdir", errno)};
    }
    if (auto r = fsync_dir(it->parent_path()); !r) return r;
  }
  return Unit{};
}

Result<Unit, StoreError> write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected{io_error(path, "write", errno)};
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Unit{};
}

// A temp file whose writer process no longer exists. Temps of live processes (this one
// included) may be writes in progress and are left alone.
bool is_stale_temp(std::string_view name) {
  if (!name.starts_with(kTempPrefix)) return false;
  name.remove_prefix(kTempPrefix.size());
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc{} || end == name.data() || pid <= 0 || pid == ::getpid()) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

void remove_stale_temps(int dir_fd, const fs::path& dir) {
  const int scan_fd = ::dup(dir_fd);  // fdopendir takes ownership of the descriptor
  if (scan_fd < 0) return;
  DIR* d = ::fdopendir(scan_fd);
  if (d == nullptr) {
    ::close(scan_fd);
    return;
  }
  ::rewinddir(d);  // a dup shares the offset with every other scan of this descriptor
  while (const dirent* e = ::readdir(d)) {
    if (is_stale_temp(e->d_name) && ::unlinkat(dir_fd, e->d_name, 0) != 0 && errno != ENOENT) {
      spdlog::warn("snapshot: cannot remove stale temp file {}: {}", (dir / e->d_name).string(),
                   std::strerror(errno));
    }
  }
  ::closedir(d);
}

// Names of the YYYY (or MM, DD, HH) subdirectories of dir, newest first. An absent dir has
// none; names of another shape are not ours and are ignored.
Result<std::vector<std::string>, StoreError> numeric_entries_desc(const fs::path& dir,
                                                                  std::size_t width) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return Unexpected{io_error(dir, "opendir", errno)};
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.size() == width && std::all_of(name.begin(), name.end(), [](char c) {
          return c >= '0' && c <= '9';
        })) {
      out.emplace_back(name);
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), std::greater<>{});  // equal widths: text order is number order
  return out;
}

Result<std::string, StoreError> read_whole(int fd, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Unexpected{io_error(path, "fstat", errno)};
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected{io_error(path, "read", errno)};
    }
    if (n == 0) break;  // cannot shrink: a snapshot file is never written in place
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return data;
}

std::string file_name(std::uint64_t sequence) {
  char digits[kSequenceDigits + 1];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(sequence));
  return std::string(kFilePrefix) + digits + std::string(kFileSuffix);
}

// The sequence in a snapshot file's name; nullopt for any other name.
std::optional<std::uint64_t> sequence_of(std::string_view name) {
  if (name.size() != kFilePrefix.size() + kSequenceDigits + kFileSuffix.size() ||
      !name.starts_with(kFilePrefix) || !name.ends_with(kFileSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(kFilePrefix.size(), kSequenceDigits);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// The snapshot files of a directory by sequence, highest first.
Result<std::vector<std::pair<std::uint64_t, std::string>>, StoreError> snapshot_files(int dir_fd,
                                                                                    const fs::path& dir) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  const int scan_fd = ::dup(dir_fd);  // fdopendir takes ownership of the descriptor
  if (scan_fd < 0) return Unexpected{io_error(dir, "dup", errno)};
  DIR* d = ::fdopendir(scan_fd);
  if (d == nullptr) {
    ::close(scan_fd);
    return Unexpected{io_error(dir, "opendir", errno)};
  }
  ::rewinddir(d);  // a dup shares the offset: another scan of this descriptor may have moved it
  while (const dirent* e = ::readdir(d)) {
    if (const auto seq = sequence_of(e->d_name)) out.emplace_back(*seq, e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), std::greater<>{});
  return out;
}

std::string hex32(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::string header_line(std::string_view account, std::string_view stream, std::uint64_t sequence,
                        TimeNs time, std::string_view state) {
  const json h{{"format", kFormat},          {"version", kSnapshotFormatVersion},
               {"account", account},         {"stream", stream},
               {"sequence", sequence},       {"time", time},
               {"bytes", state.size()},      {"crc32c", hex32(crc32c(state))}};
  return h.dump() + "\n";
}

// A snapshot file's content checked: header, length, checksum. The error says what is wrong.
Result<Snapshot, std::string> parse_file(std::string text, const fs::path& path) {
  const auto nl = text.find('\n');
  if (nl == std::string::npos || nl > kMaxHeader) return Unexpected{std::string("no header line")};
  json h;
  try {
    h = json::parse(std::string_view(text).substr(0, nl));
  } catch (const json::exception& e) {
    return Unexpected{std::string("header: ") + e.what()};
  }
  try {
    if (!h.is_object() || h.value("format", "") != kFormat) {
      return Unexpected{std::string("header: not an oms-snapshot")};
    }
    if (h.at("version").get<std::uint32_t>() != kSnapshotFormatVersion) {
      return Unexpected{"header: format version " + h.at("version").dump() + ", this build reads " +
                        std::to_string(kSnapshotFormatVersion)};
    }
    Snapshot s{h.at("account").get<std::string>(), h.at("stream").get<std::string>(),
               h.at("sequence").get<std::uint64_t>(), h.at("time").get<TimeNs>(), {}, path};
    const auto bytes = h.at("bytes").get<std::uint64_t>();
    if (text.size() - nl - 1 != bytes) {
      return Unexpected{"holds " + std::to_string(text.size() - nl - 1) + " state bytes, the header says " +
                        std::to_string(bytes)};
    }
    s.state = text.substr(nl + 1);
    const std::string want = h.at("crc32c").get<std::string>();
    if (hex32(crc32c(s.state)) != want) {
      return Unexpected{"checksum " + hex32(crc32c(s.state)) + " where the header says " + want};
    }
    return s;
  } catch (const json::exception& e) {
    return Unexpected{std::string("header: ") + e.what()};
  }
}

// The good snapshots of one hour's account directory, newest first, until one is taken.
Result<bool, StoreError> load_from(const fs::path& dir, std::string_view account, std::string_view stream,
                                   std::uint64_t max_sequence, const SnapshotStore::Accept& accept,
                                   LoadedSnapshot& out) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) {
    if (errno == ENOENT) return false;
    return Unexpected{io_error(dir, "open directory", errno)};
  }
  remove_stale_temps(dir_fd.get(), dir);
  auto files = snapshot_files(dir_fd.get(), dir);
  if (!files) return Unexpected{std::move(files).error()};
  for (const auto& [sequence, name] : *files) {
    if (sequence > max_sequence) continue;
    const fs::path path = dir / name;
    UniqueFd fd(::openat(dir_fd.get(), name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;  // pruned by a writer meanwhile
      out.skipped.push_back(io_error(path, "open", errno).message);
      continue;
    }
    auto text = read_whole(fd.get(), path);
    if (!text) {
      out.skipped.push_back(text.error().message);
      continue;
    }
    auto snap = parse_file(std::move(*text), path);
    if (!snap) {
      out.skipped.push_back(path.string() + ": " + snap.error());
      continue;
    }
    if (snap->account != account) {
      out.skipped.push_back(path.string() + ": holds account '" + snap->account + "', expected '" +
                            std::string(account) + "'");
      continue;
    }
    if (snap->stream != stream) continue;
    if (snap->sequence != sequence) {
      out.skipped.push_back(path.string() + ": holds sequence " + std::to_string(snap->sequence) +
                            ", its name says " + std::to_string(sequence));
      continue;
    }
    if (accept) {
      if (auto why = accept(*snap)) {
        out.skipped.push_back(path.string() + ": " + *why);
        continue;
      }
    }
    out.snapshot = std::move(*snap);
    return true;
  }
  return false;
}

// Depth-first over YYYY/MM/DD/HH, newest first, until an hour yields a snapshot or an error.
Result<bool, StoreError> search_newest_first(const fs::path& dir, std::size_t level, const std::string& token,
                                             std::string_view account, std::string_view stream,
                                             std::uint64_t max_sequence,
                                             const SnapshotStore::Accept& accept, LoadedSnapshot& out) {
  if (level == kLevelWidths.size()) return load_from(dir / token, account, stream, max_sequence, accept, out);
  auto names = numeric_entries_desc(dir, kLevelWidths[level]);
  if (!names) return Unexpected{std::move(names).error()};
  for (const auto& name : *names) {
    auto found = search_newest_first(dir / name, level + 1, token, account, stream, max_sequence, accept, out);
    if (!found || *found) return found;
  }
  return false;
}

}  // namespace

struct SnapshotStore::Writer {
  struct Job {
    std::string account, stream;
    std::uint64_t sequence = 0;
    TimeNs time = 0;
    std::string state;
    WriteDone done;
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Job> jobs;
  std::uint64_t queued = 0, finished = 0;  // guarded by mutex
  bool stopping = false;
  std::once_flag started;
  std::thread thread;  // started by the first write_async
};

SnapshotStore::SnapshotStore(std::filesystem::path data_dir)
    : root_(std::move(data_dir) / "snapshots"), writer_(std::make_unique<Writer>()) {}

SnapshotStore::~SnapshotStore() {
  if (!writer_->thread.joinable()) {
    // Never started, or a write_async racing the destructor: nothing to wait for.
    return;
  }
  {
    std::lock_guard lock(writer_->mutex);
    writer_->stopping = true;
  }
  writer_->cv.notify_all();
  writer_->thread.join();
}

void SnapshotStore::write_async(std::string account, std::string stream, std::uint64_t sequence,
                                TimeNs time, std::string state, WriteDone done) {
  std::call_once(writer_->started, [this] {
    writer_->thread = std::thread([this] {
      Writer& w = *writer_;
      std::unique_lock lock(w.mutex);
      for (;;) {
        w.cv.wait(lock, [&w] { return w.stopping || !w.jobs.empty(); });
        if (w.jobs.empty()) return;  // stopping, and every queued write is done
        Writer::Job job = std::move(w.jobs.front());
        w.jobs.pop_front();
        lock.unlock();
        const auto r = write(job.account, job.stream, job.sequence, job.time, job.state);
        if (job.done) job.done(r);
        lock.lock();
        ++w.finished;
        w.cv.notify_all();
      }
    });
  });
  {
    std::lock_guard lock(writer_->mutex);
    writer_->jobs.push_back(Writer::Job{std::move(account), std::move(stream), sequence, time,
                                        std::move(state), std::move(done)});
    ++writer_->queued;
  }
  writer_->cv.notify_all();
}

void SnapshotStore::drain() {
  std::unique_lock lock(writer_->mutex);
  const std::uint64_t target = writer_->queued;
  writer_->cv.wait(lock, [&] { return writer_->finished >= target; });
}

std::filesystem::path SnapshotStore::dir_for(std::string_view account, TimeNs time) const {
  using namespace std::chrono;
  const sys_time<nanoseconds> tp{nanoseconds{time}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const auto hour = static_cast<unsigned>(floor<hours>(tp - day).count());
  char year[8];
  std::snprintf(year, sizeof year, "%04d", static_cast<int>(ymd.year()));
  return root_ / year / two_digits(static_cast<unsigned>(ymd.month())) /
         two_digits(static_cast<unsigned>(ymd.day())) / two_digits(hour) / escape_token(account);
}

Result<SnapshotWrite, StoreError> SnapshotStore::write(std::string_view account,
                                                       std::string_view stream,
                                                       std::uint64_t sequence, TimeNs time,
                                                       std::string_view state) {
  const fs::path dir = dir_for(account, time);
  const std::string name = file_name(sequence);
  const fs::path path = dir / name;
  std::string header;
  try {
    header = header_line(account, stream, sequence, time, state);
  } catch (const json::exception& e) {
    return Unexpected{StoreError{StoreErrorCode::kInvalid, path.string() + ": " + e.what()}};
  }
  if (auto made = make_dirs_durable(dir); !made) return Unexpected{std::move(made).error()};
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return Unexpected{io_error(dir, "open directory", errno)};
  // Held until the pruning: the sequence check, the rename and the pruning are one step for
  // every writer of this account and hour, in this process or another.
  while (::flock(dir_fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Unexpected{io_error(dir, "flock", errno)};
  }
  remove_stale_temps(dir_fd.get(), dir);
  auto existing = snapshot_files(dir_fd.get(), dir);
  if (!existing) return Unexpected{std::move(existing).error()};
  // A slow writer never puts an older state beside a newer one (a file of another stream, after
  // a rename of the account's stream, would count too: the next write of the new stream
  // replaces the hour's files as its sequences pass theirs).
  if (!existing->empty() && existing->front().first > sequence) return SnapshotWrite::kKeptNewer;

  static std::atomic<std::uint64_t> temp_counter{0};
  const std::string temp_name = std::string(kTempPrefix) + std::to_string(::getpid()) + "." +
                                std::to_string(temp_counter.fetch_add(1, std::memory_order_relaxed));
  const fs::path temp_path = dir / temp_name;
  UniqueFd fd(::openat(dir_fd.get(), temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                       kFileMode));
  if (!fd.valid()) return Unexpected{io_error(temp_path, "create", errno)};
  auto fail = [&](StoreError e) -> Result<SnapshotWrite, StoreError> {
    ::unlinkat(dir_fd.get(), temp_name.c_str(), 0);
    return Unexpected{std::move(e)};
  };
  if (auto w = write_all(fd.get(), header, temp_path); !w) return fail(std::move(w).error());
  OMS_FAILPOINT(kSnapshotMidWrite);
  if (auto w = write_all(fd.get(), state, temp_path); !w) return fail(std::move(w).error());
  if (::fsync(fd.get()) != 0) return fail(io_error(temp_path, "fsync", errno));
  if (::close(fd.release()) != 0) return fail(io_error(temp_path, "close", errno));
  OMS_FAILPOINT(kSnapshotBeforeRename);
  if (::renameat(dir_fd.get(), temp_name.c_str(), dir_fd.get(), name.c_str()) != 0) {
    return fail(io_error(path, "rename", errno));
  }
  if (::fsync(dir_fd.get()) != 0) return Unexpected{io_error(dir, "fsync directory", errno)};
  // The new file is durable: the hour keeps it and the one before it.
  std::size_t kept = 1;
  for (const auto& [seq, old] : *existing) {
    if (seq == sequence) continue;  // replaced by the rename
    if (kept++ < kKeepPerHour) continue;
    if (::unlinkat(dir_fd.get(), old.c_str(), 0) != 0 && errno != ENOENT) {
      spdlog::warn("snapshot: cannot remove {}: {}", (dir / old).string(), std::strerror(errno));
    }
  }
  return SnapshotWrite::kWritten;
}

Result<LoadedSnapshot, StoreError> SnapshotStore::load_latest(std::string_view account,
                                                              std::string_view stream,
                                                              std::uint64_t max_sequence,
                                                              const Accept& accept) const {
  LoadedSnapshot out;
  auto found = search_newest_first(root_, 0, escape_token(account), account, stream, max_sequence,
                                   accept, out);
  if (!found) return Unexpected{std::move(found).error()};
  return out;
}

}  // namespace oms::persistence
