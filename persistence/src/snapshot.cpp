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
#include <memory>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "file_util.hpp"
#include "oms/messages/subjects.hpp"

namespace oms::persistence {
namespace {

using files::fsync_dir;
using files::io_error;
using files::UniqueFd;

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kFileName[] = "state.json";
// Temp files are "state.json.tmp.{pid}.{n}": the pid tells a dead writer's leftover from a
// write in progress in a live process.
constexpr std::string_view kTempPrefix = "state.json.tmp.";
constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;
// Widths of the YYYY/MM/DD/HH directory names, top down.
constexpr std::array<std::size_t, 4> kLevelWidths = {4, 2, 2, 2};

StoreError corrupt(const fs::path& path, std::string_view what) {
  return {StoreErrorCode::kCorrupt, path.string() + ": " + std::string(what)};
}

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

struct Header {
  std::string account;
  std::string stream;
  std::uint64_t sequence = 0;
  TimeNs time = 0;
};

// Reads the top-level fields other than "state" without building the state: write() and
// load_latest() look at a file's sequence far more often than they load it. We write "state"
// last, so the parse usually stops at its key; a file reordered by hand still reads.
class HeaderReader final : public nlohmann::json_sax<json> {
 public:
  enum Field : unsigned { kAccount = 1, kStream = 2, kSequence = 4, kTime = 8, kAll = 15 };

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t v) override {
    if (depth_ == 1 && key_ == "time") return set(kTime, [&] { header_.time = v; });
    return scalar("a negative integer");
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ == 1 && key_ == "sequence") return set(kSequence, [&] { header_.sequence = v; });
    if (depth_ == 1 && key_ == "time" && v <= std::uint64_t{std::numeric_limits<TimeNs>::max()}) {
      return set(kTime, [&] { header_.time = static_cast<TimeNs>(v); });
    }
    return scalar("an unsigned integer");
  }
  bool number_float(number_float_t, const string_t&) override { return scalar("a float"); }
  bool string(string_t& v) override {
    if (depth_ == 1 && key_ == "account") return set(kAccount, [&] { header_.account = v; });
    if (depth_ == 1 && key_ == "stream") return set(kStream, [&] { header_.stream = v; });
    return scalar("a string");
  }
  bool binary(binary_t&) override { return scalar("binary"); }
  bool start_object(std::size_t) override {
    ++depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ != 1) return true;
    key_ = k;
    if (k == "state" && found_ == kAll) {
      return false;  // everything we need is read; skip parsing the state
    }
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return fail("the file is not a JSON object");
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return fail(e.what());
  }

  // After sax_parse: the header, or what is wrong with the file.
  [[nodiscard]] Result<Header, std::string> result() const {
    if (!error_.empty()) return Unexpected{error_};
    for (const auto& [bit, name] : {std::pair{kAccount, "account"}, std::pair{kStream, "stream"},
                                    std::pair{kSequence, "sequence"}, std::pair{kTime, "time"}}) {
      if ((found_ & bit) == 0) return Unexpected{std::string("missing or mistyped '") + name + "'"};
    }
    return header_;
  }

 private:
  template <class Assign>
  bool set(Field f, Assign assign) {
    assign();
    found_ |= f;
    return true;
  }
  bool scalar(const char* what) {
    if (depth_ == 0) return fail("the file is not a JSON object");
    if (depth_ == 1 && (key_ == "account" || key_ == "stream" || key_ == "sequence" || key_ == "time")) {
      return fail("'" + key_ + "' is " + what);
    }
    return true;  // a value inside the state
  }
  bool fail(std::string what) {
    error_ = std::move(what);
    return false;
  }

  Header header_;
  unsigned found_ = 0;
  int depth_ = 0;
  std::string key_;
  std::string error_;
};

Result<Header, StoreError> read_header(std::FILE* f, const fs::path& path) {
  HeaderReader reader;
  (void)json::sax_parse(f, &reader);  // false both when stopped early and on error
  auto header = reader.result();
  if (!header) return Unexpected{corrupt(path, header.error())};
  return std::move(header).value();
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

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Opens state.json in dir_fd for reading; nullptr (and no error) when it does not exist.
Result<FilePtr, StoreError> open_state(int dir_fd, const fs::path& path) {
  UniqueFd fd(::openat(dir_fd, kFileName, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return FilePtr{};
    return Unexpected{io_error(path, "open", errno)};
  }
  std::FILE* f = ::fdopen(fd.get(), "rb");
  if (f == nullptr) return Unexpected{io_error(path, "fdopen", errno)};
  fd.release();
  return FilePtr{f};
}

// The snapshot in one hour's account directory if it belongs to the stream and its sequence
// is <= max_sequence.
Result<std::optional<Snapshot>, StoreError> load_from(const fs::path& dir, std::string_view account,
                                                     std::string_view stream,
                                                     std::uint64_t max_sequence) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) {
    if (errno == ENOENT) return std::optional<Snapshot>{};
    return Unexpected{io_error(dir, "open directory", errno)};
  }
  remove_stale_temps(dir_fd.get(), dir);
  const fs::path path = dir / kFileName;
  auto file = open_state(dir_fd.get(), path);
  if (!file) return Unexpected{std::move(file).error()};
  if (!*file) return std::optional<Snapshot>{};
  auto header = read_header(file->get(), path);
  if (!header) return Unexpected{std::move(header).error()};
  if (header->account != account) {
    return Unexpected{corrupt(path, "holds account '" + header->account + "', expected '" +
                                        std::string(account) + "'")};
  }
  if (header->stream != stream || header->sequence > max_sequence) return std::optional<Snapshot>{};

  // The same open file: a writer renaming a newer snapshot in meanwhile does not change it.
  auto text = read_whole(::fileno(file->get()), path);
  if (!text) return Unexpected{std::move(text).error()};
  json doc;
  try {
    doc = json::parse(*text);
  } catch (const json::exception& e) {
    return Unexpected{corrupt(path, e.what())};
  }
  auto state = doc.find("state");
  if (state == doc.end()) return Unexpected{corrupt(path, "missing 'state'")};
  Snapshot snap{std::move(header->account), std::move(header->stream), header->sequence,
                header->time, std::move(*state), path};
  return std::optional<Snapshot>{std::move(snap)};
}

// Depth-first over YYYY/MM/DD/HH, newest first, until an hour yields a snapshot or an error.
Result<std::optional<Snapshot>, StoreError> search_newest_first(const fs::path& dir, std::size_t level,
                                                               const std::string& token,
                                                               std::string_view account,
                                                               std::string_view stream,
                                                               std::uint64_t max_sequence) {
  if (level == kLevelWidths.size()) return load_from(dir / token, account, stream, max_sequence);
  auto names = numeric_entries_desc(dir, kLevelWidths[level]);
  if (!names) return Unexpected{std::move(names).error()};
  for (const auto& name : *names) {
    auto found = search_newest_first(dir / name, level + 1, token, account, stream, max_sequence);
    if (!found || found->has_value()) return found;
  }
  return std::optional<Snapshot>{};
}

std::string serialize(std::string_view account, std::string_view stream, std::uint64_t sequence,
                      TimeNs time, const json& state) {
  // Written by hand so that "state" comes last (HeaderReader stops there); dump() escapes.
  std::string out = "{\"account\":" + json(std::string(account)).dump() +
                    ",\"stream\":" + json(std::string(stream)).dump() +
                    ",\"sequence\":" + std::to_string(sequence) + ",\"time\":" + std::to_string(time) +
                    ",\"state\":";
  out += state.dump();
  out += "}\n";
  return out;
}

}  // namespace

struct SnapshotStore::Writer {
  struct Job {
    std::string account, stream;
    std::uint64_t sequence = 0;
    TimeNs time = 0;
    nlohmann::json state;
    StateBuilder build;  // set: makes the state on the writer thread
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
                                TimeNs time, nlohmann::json state, WriteDone done) {
  enqueue(std::move(account), std::move(stream), sequence, time, std::move(state), nullptr,
          std::move(done));
}

void SnapshotStore::write_async(std::string account, std::string stream, std::uint64_t sequence,
                                TimeNs time, StateBuilder build, WriteDone done) {
  enqueue(std::move(account), std::move(stream), sequence, time, nlohmann::json{},
          std::move(build), std::move(done));
}

void SnapshotStore::enqueue(std::string account, std::string stream, std::uint64_t sequence,
                            TimeNs time, nlohmann::json state, StateBuilder build,
                            WriteDone done) {
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
        Result<SnapshotWrite, StoreError> r = SnapshotWrite::kWritten;
        if (job.build) {
          auto built = job.build();
          r = built ? write(job.account, job.stream, job.sequence, job.time, *built)
                    : Result<SnapshotWrite, StoreError>(Unexpected{std::move(built).error()});
        } else {
          r = write(job.account, job.stream, job.sequence, job.time, job.state);
        }
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
                                        std::move(state), std::move(build), std::move(done)});
    ++writer_->queued;
  }
  writer_->cv.notify_all();
}

void SnapshotStore::drain() {
  std::unique_lock lock(writer_->mutex);
  const std::uint64_t target = writer_->queued;
  writer_->cv.wait(lock, [&] { return writer_->finished >= target; });
}

std::filesystem::path SnapshotStore::path_for(std::string_view account, TimeNs time) const {
  using namespace std::chrono;
  const sys_time<nanoseconds> tp{nanoseconds{time}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const auto hour = static_cast<unsigned>(floor<hours>(tp - day).count());
  char year[8];
  std::snprintf(year, sizeof year, "%04d", static_cast<int>(ymd.year()));
  return root_ / year / two_digits(static_cast<unsigned>(ymd.month())) /
         two_digits(static_cast<unsigned>(ymd.day())) / two_digits(hour) / escape_token(account) /
         kFileName;
}

Result<SnapshotWrite, StoreError> SnapshotStore::write(std::string_view account,
                                                       std::string_view stream,
                                                       std::uint64_t sequence, TimeNs time,
                                                       const nlohmann::json& state) {
  const fs::path path = path_for(account, time);
  const fs::path dir = path.parent_path();
  std::string body;
  try {
    body = serialize(account, stream, sequence, time, state);
  } catch (const json::exception& e) {
    return Unexpected{StoreError{StoreErrorCode::kInvalid, path.string() + ": " + e.what()}};
  }
  if (auto made = make_dirs_durable(dir); !made) return Unexpected{std::move(made).error()};
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return Unexpected{io_error(dir, "open directory", errno)};
  // Held until the rename: the sequence check and the replace are one step for every writer
  // of this account and hour, in this process or another.
  while (::flock(dir_fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Unexpected{io_error(dir, "flock", errno)};
  }
  remove_stale_temps(dir_fd.get(), dir);

  auto existing = open_state(dir_fd.get(), path);
  if (!existing) return Unexpected{std::move(existing).error()};
  if (*existing) {
    auto header = read_header(existing->get(), path);
    if (!header) {
      // Unreadable is useless for recovery; the new snapshot replacing it is the repair.
      spdlog::warn("snapshot: replacing unreadable {}", header.error().message);
    } else if (header->stream == stream && header->sequence > sequence) {
      return SnapshotWrite::kKeptNewer;
    }
  }

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
  if (auto w = write_all(fd.get(), body, temp_path); !w) return fail(std::move(w).error());
  if (::fsync(fd.get()) != 0) return fail(io_error(temp_path, "fsync", errno));
  if (::close(fd.release()) != 0) return fail(io_error(temp_path, "close", errno));
  if (::renameat(dir_fd.get(), temp_name.c_str(), dir_fd.get(), kFileName) != 0) {
    return fail(io_error(path, "rename", errno));
  }
  if (::fsync(dir_fd.get()) != 0) return Unexpected{io_error(dir, "fsync directory", errno)};
  return SnapshotWrite::kWritten;
}

Result<std::optional<Snapshot>, StoreError> SnapshotStore::load_latest(
    std::string_view account, std::string_view stream, std::uint64_t max_sequence) const {
  return search_newest_first(root_, 0, escape_token(account), account, stream, max_sequence);
}

}  // namespace oms::persistence
