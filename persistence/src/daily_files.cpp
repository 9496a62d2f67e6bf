#include "oms/persistence/daily_files.hpp"

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
#include <chrono>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "gzip_file.hpp"
#include "file_util.hpp"
#include "oms/messages/subjects.hpp"

namespace oms::persistence {
namespace {

using files::fsync_dir;
using files::io_error;
using files::UniqueFd;

namespace fs = std::filesystem;

constexpr mode_t kFileMode = 0644;
constexpr std::string_view kGzSuffix = ".gz";
// Compression temp files are "<file>.gz.tmp.{pid}.{n}": the pid tells a dead compression's
// leftover from one in progress in a live process.
constexpr std::string_view kTempInfix = ".gz.tmp.";
constexpr std::size_t kCopyChunk = 64 * 1024;

struct KindSpec {
  std::string_view top;        // directory under data_dir
  bool monthly;                // YYYY/MM instead of YYYY/MM/DD
  bool per_name;               // a directory per account or strategy
  std::string_view file_name;
};

// clang-format off
constexpr std::array<KindSpec, 4> kKinds = {{
  /* kTrades     */ {"logs",       false, true,  "trades.jsonl"},
  /* kExecutions */ {"strategies", false, true,  "executions.jsonl"},
  /* kTransfers  */ {"transfers",  true,  false, "transfers.jsonl"},
  /* kPnl        */ {"reports",    true,  true,  "pnl.csv"},
}};
// clang-format on

const KindSpec& spec(DailyKind kind) { return kKinds[static_cast<std::size_t>(kind)]; }

std::chrono::year_month_day civil_day(TimeNs time) {
  using namespace std::chrono;
  return year_month_day{floor<days>(sys_time<nanoseconds>{nanoseconds{time}})};
}

std::int32_t month_index(const std::chrono::year_month_day& ymd) {
  return static_cast<std::int32_t>(ymd.year()) * 12 +
         static_cast<std::int32_t>(static_cast<unsigned>(ymd.month())) - 1;
}

std::int32_t period_of(DailyKind kind, TimeNs time) {
  return spec(kind).monthly ? month_index(civil_day(time)) : utc_day(time);
}

std::string digits(int value, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*d", width, value);
  return buf;
}

Result<Unit, StoreError> lock(int fd, int operation, const fs::path& path) {
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return Unexpected{io_error(path, "flock", errno)};
  }
  return Unit{};
}

// Opens a plain file for appending with a shared lock. The compressor may have removed the
// file between our open and our lock (its exclusive lock excludes ours until then): then
// the descriptor names a deleted file and we open the path again.
Result<UniqueFd, StoreError> open_for_append(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Unexpected{StoreError{StoreErrorCode::kIo, path.parent_path().string() +
                                                                ": mkdir: " + ec.message()}};
  while (true) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, kFileMode));
    if (!fd.valid()) return Unexpected{io_error(path, "open", errno)};
    if (auto l = lock(fd.get(), LOCK_SH, path); !l) return Unexpected{std::move(l).error()};
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Unexpected{io_error(path, "fstat", errno)};
    if (st.st_nlink > 0) return fd;
  }
}

// Whether a header goes before the first line: the file is empty and no compressed part of
// the same period exists (a late row of a compressed month must not repeat the header).
Result<bool, StoreError> needs_header(int fd, const fs::path& path, std::string_view header) {
  if (header.empty()) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Unexpected{io_error(path, "fstat", errno)};
  if (st.st_size != 0) return false;
  std::error_code ec;
  return !fs::exists(path.string() + std::string(kGzSuffix), ec);
}

// One write(2): with O_APPEND the kernel places the whole buffer at the end of the file in
// one step. A short write only happens when the disk is full; we try to finish the line so
// that a later line is not glued to its fragment, and report the error either way.
Result<Unit, StoreError> append_whole(int fd, std::string_view data, const fs::path& path) {
  ssize_t n;
  do {
    n = ::write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Unexpected{io_error(path, "write", errno)};
  if (static_cast<std::size_t>(n) == data.size()) return Unit{};
  data.remove_prefix(static_cast<std::size_t>(n));
  while (!data.empty()) {
    n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Unexpected{io_error(path, "short write", n < 0 ? errno : ENOSPC)};
}

Result<std::string, StoreError> read_all(int fd, const fs::path& path) {
  std::string out;
  std::array<char, kCopyChunk> buf{};
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected{io_error(path, "read", errno)};
    }
    if (n == 0) return out;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
}

Result<Unit, StoreError> copy_all(int in, const fs::path& in_path, int out, const fs::path& out_path) {
  std::array<char, kCopyChunk> buf{};
  while (true) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected{io_error(in_path, "read", errno)};
    }
    if (n == 0) return Unit{};
    std::string_view rest(buf.data(), static_cast<std::size_t>(n));
    while (!rest.empty()) {
      const ssize_t w = ::write(out, rest.data(), rest.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        return Unexpected{io_error(out_path, "write", errno)};
      }
      rest.remove_prefix(static_cast<std::size_t>(w));
    }
  }
}

// Compresses one closed plain file to <path>.gz and removes it; see the header for the rules.
Result<Unit, StoreError> compress_file(const fs::path& path) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    if (errno == ENOENT) return Unit{};  // done already (queued twice, or by another process)
    return Unexpected{io_error(path, "open", errno)};
  }
  if (::flock(in.get(), LOCK_EX | LOCK_NB) != 0) {
    // A writer has it open: still current somewhere, or a late append that queues it again.
    if (errno == EWOULDBLOCK || errno == EINTR) return Unit{};
    return Unexpected{io_error(path, "flock", errno)};
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return Unexpected{io_error(path, "fstat", errno)};
  if (st.st_nlink == 0) return Unit{};  // compressed and removed since we opened it

  const fs::path dir = path.parent_path();
  const fs::path gz_path = path.string() + std::string(kGzSuffix);
  UniqueFd old_gz(::open(gz_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!old_gz.valid() && errno != ENOENT) return Unexpected{io_error(gz_path, "open", errno)};
  if (old_gz.valid()) {
    // A crash between our rename and our unlink leaves both files; the .gz then already ends
    // with this content and appending it again would double the lines.
    auto content = read_all(in.get(), path);
    if (!content) return Unexpected{std::move(content).error()};
    auto included = gzip::content_ends_with_lines(gz_path.string(), *content);
    if (!included) return Unexpected{std::move(included).error()};
    if (*included || content->empty()) {
      if (::unlink(path.c_str()) != 0) return Unexpected{io_error(path, "unlink", errno)};
      return Unit{};
    }
    if (::lseek(in.get(), 0, SEEK_SET) != 0) return Unexpected{io_error(path, "lseek", errno)};
  }

  static std::atomic<std::uint64_t> temp_counter{0};
  const fs::path temp_path =
      path.string() + std::string(kTempInfix) + std::to_string(::getpid()) + "." +
      std::to_string(temp_counter.fetch_add(1, std::memory_order_relaxed));
  UniqueFd out(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode));
  if (!out.valid()) return Unexpected{io_error(temp_path, "create", errno)};
  auto fail = [&](StoreError e) -> Result<Unit, StoreError> {
    ::unlink(temp_path.c_str());
    return Unexpected{std::move(e)};
  };
  if (old_gz.valid()) {
    if (auto c = copy_all(old_gz.get(), gz_path, out.get(), temp_path); !c) {
      return fail(std::move(c).error());
    }
  }
  if (auto w = gzip::write_member(in.get(), path.string(), out.get(), temp_path.string()); !w) {
    return fail(std::move(w).error());
  }
  if (::fsync(out.get()) != 0) return fail(io_error(temp_path, "fsync", errno));
  if (::close(out.release()) != 0) return fail(io_error(temp_path, "close", errno));
  if (::rename(temp_path.c_str(), gz_path.c_str()) != 0) {
    return fail(io_error(gz_path, "rename", errno));
  }
  if (auto s = fsync_dir(dir); !s) return s;
  // Still under our exclusive lock: a late writer that opened the path waits, then sees the
  // file deleted and opens a new one.
  if (::unlink(path.c_str()) != 0) return Unexpected{io_error(path, "unlink", errno)};
  return Unit{};
}

bool is_stale_temp(std::string_view name) {
  const auto at = name.find(kTempInfix);
  if (at == std::string_view::npos) return false;
  name.remove_prefix(at + kTempInfix.size());
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc{} || end == name.data() || pid <= 0 || pid == ::getpid()) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Subdirectory names of dir made of `width` digits, sorted; none when dir does not exist.
std::vector<std::string> numeric_subdirs(const fs::path& dir, std::size_t width) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() == width && std::all_of(name.begin(), name.end(), [](char c) {
          return c >= '0' && c <= '9';
        }) && it->is_directory(ec)) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> subdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void remove_stale_temps(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_stale_temp(it->path().filename().string())) continue;
    std::error_code rm;
    fs::remove(it->path(), rm);
    if (rm) spdlog::warn("daily files: cannot remove {}: {}", it->path().string(), rm.message());
  }
}

int to_int(const std::string& s) { return std::stoi(s); }  // s is all digits, at most 4

}  // namespace

DailyFiles::DailyFiles(std::filesystem::path data_dir)
    : root_(std::move(data_dir)), worker_([this] { run_worker(); }) {}

DailyFiles::~DailyFiles() {
  if (auto r = close(); !r) spdlog::error("daily files: {}", r.error().message);
}

Result<Unit, StoreError> DailyFiles::append_trade(std::string_view account, TimeNs time,
                                                  std::string_view json_line) {
  return append(DailyKind::kTrades, account, time, {}, json_line);
}

Result<Unit, StoreError> DailyFiles::append_execution(std::string_view strategy, TimeNs time,
                                                      std::string_view json_line) {
  return append(DailyKind::kExecutions, strategy, time, {}, json_line);
}

Result<Unit, StoreError> DailyFiles::append_transfer(TimeNs time, std::string_view json_line) {
  return append(DailyKind::kTransfers, {}, time, {}, json_line);
}

Result<Unit, StoreError> DailyFiles::append_pnl_row(std::string_view account, TimeNs time,
                                                    std::string_view header,
                                                    std::string_view row) {
  return append(DailyKind::kPnl, account, time, header, row);
}

std::filesystem::path DailyFiles::path_for(DailyKind kind, std::string_view name,
                                           TimeNs time) const {
  const KindSpec& k = spec(kind);
  const auto ymd = civil_day(time);
  fs::path p = root_ / k.top / digits(static_cast<int>(ymd.year()), 4) /
               digits(static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  if (!k.monthly) p /= digits(static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  if (k.per_name) p /= escape_token(name);
  return p / k.file_name;
}

Result<Unit, StoreError> DailyFiles::append(DailyKind kind, std::string_view name, TimeNs time,
                                            std::string_view header, std::string_view line) {
  const fs::path path = path_for(kind, name, time);
  if (line.find('\n') != std::string_view::npos || header.find('\n') != std::string_view::npos) {
    return Unexpected{StoreError{StoreErrorCode::kInvalid,
                                 path.string() + ": a line must not contain '\\n'"}};
  }
  const std::int32_t period = period_of(kind, time);
  std::string data;
  {
    std::lock_guard lk(files_mu_);
    if (closed_) return Unexpected{StoreError{StoreErrorCode::kClosed, path.string() + ": closed"}};
    const SeriesKey key{kind, spec(kind).per_name ? escape_token(name) : std::string{}};
    auto it = current_.find(key);
    if (it != current_.end() && period == it->second.period) {
      data.assign(line).push_back('\n');
      return append_whole(it->second.fd, data, path);
    }
    if (it == current_.end() || period > it->second.period) {
      // May wait for a compression of this very file (a sweep of a period the series is
      // only now reaching after a restart); rare, and bounded by one file's compression.
      auto fd = open_for_append(path);
      if (!fd) return Unexpected{std::move(fd).error()};
      auto with_header = needs_header(fd->get(), path, header);
      if (!with_header) return Unexpected{std::move(with_header).error()};
      if (it != current_.end()) {  // rotation: the series moved on to a later period
        ::close(it->second.fd);    // releases our shared lock, so the compressor may take it
        enqueue(it->second.path);
        it->second = OpenFile{period, fd->release(), path};
      } else {
        it = current_.emplace(key, OpenFile{period, fd->release(), path}).first;
      }
      if (*with_header) data.assign(header).push_back('\n');
      data.append(line).push_back('\n');
      return append_whole(it->second.fd, data, path);
    }
  }
  return append_late(path, header, line);  // outside files_mu_: it may wait for a compression
}

Result<Unit, StoreError> DailyFiles::append_late(const std::filesystem::path& path,
                                                 std::string_view header, std::string_view line) {
  {
    std::lock_guard lk(late_mu_);
    auto fd = open_for_append(path);
    if (!fd) return Unexpected{std::move(fd).error()};
    auto with_header = needs_header(fd->get(), path, header);
    if (!with_header) return Unexpected{std::move(with_header).error()};
    std::string data;
    if (*with_header) data.assign(header).push_back('\n');
    data.append(line).push_back('\n');
    if (auto w = append_whole(fd->get(), data, path); !w) return w;
  }  // closed here: the compressor can lock it now
  enqueue(path);
  return Unit{};
}

Result<std::size_t, StoreError> DailyFiles::compress_closed_files_before(std::int32_t day) {
  {
    std::lock_guard lk(files_mu_);
    if (closed_) return Unexpected{StoreError{StoreErrorCode::kClosed, root_.string() + ": closed"}};
  }
  using namespace std::chrono;
  const std::int32_t limit_month = month_index(year_month_day{sys_days{days{day}}});
  std::size_t queued = 0;
  auto visit = [&](const fs::path& dir, std::string_view file_name) {
    remove_stale_temps(dir);
    const fs::path plain = dir / file_name;
    std::error_code ec;
    if (fs::is_regular_file(plain, ec)) {
      enqueue(plain);
      ++queued;
    }
  };
  for (const KindSpec& k : kKinds) {
    const fs::path top = root_ / k.top;
    for (const auto& y : numeric_subdirs(top, 4)) {
      for (const auto& m : numeric_subdirs(top / y, 2)) {
        const int year_number = to_int(y);
        const auto month_number = static_cast<unsigned>(to_int(m));
        const fs::path month_dir = top / y / m;
        if (k.monthly) {
          if (year_number * 12 + static_cast<int>(month_number) - 1 >= limit_month) continue;
          if (!k.per_name) visit(month_dir, k.file_name);
          for (const auto& name_dir : k.per_name ? subdirs(month_dir) : std::vector<fs::path>{}) {
            visit(name_dir, k.file_name);
          }
          continue;
        }
        for (const auto& d : numeric_subdirs(month_dir, 2)) {
          const year_month_day ymd{std::chrono::year{year_number}, std::chrono::month{month_number},
                                   std::chrono::day{static_cast<unsigned>(to_int(d))}};
          if (!ymd.ok() || sys_days{ymd}.time_since_epoch().count() >= day) continue;
          for (const auto& name_dir : subdirs(month_dir / d)) visit(name_dir, k.file_name);
        }
      }
    }
  }
  return queued;
}

Result<Unit, StoreError> DailyFiles::wait_for_compressions() {
  std::unique_lock lk(queue_mu_);
  idle_cv_.wait(lk, [&] { return (queue_.empty() && !busy_) || stopping_; });
  return take_errors();
}

Result<Unit, StoreError> DailyFiles::close() {
  {
    std::lock_guard lk(files_mu_);
    if (closed_) return Unit{};
    closed_ = true;
    for (auto& [key, file] : current_) ::close(file.fd);
    current_.clear();
  }
  {
    std::lock_guard lk(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard lk(queue_mu_);
  return take_errors();
}

void DailyFiles::enqueue(std::filesystem::path path) {
  {
    std::lock_guard lk(queue_mu_);
    // After close() the file stays plain; compress_closed_files_before picks it up later.
    if (stopping_ || !queued_.insert(path).second) return;
    queue_.push_back(std::move(path));
  }
  queue_cv_.notify_one();
}

void DailyFiles::run_worker() {
  std::unique_lock lk(queue_mu_);
  while (true) {
    queue_cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) break;  // stopping, and everything queued is done
    fs::path path = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(path);
    busy_ = true;
    lk.unlock();
    auto done = compress_file(path);
    lk.lock();
    busy_ = false;
    if (!done) {
      spdlog::error("daily files: compression failed: {}", done.error().message);
      errors_.push_back(std::move(done).error());
    }
    idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

Result<Unit, StoreError> DailyFiles::take_errors() {
  if (errors_.empty()) return Unit{};
  StoreError first = std::move(errors_.front());
  if (errors_.size() > 1) first.message += " (and " + std::to_string(errors_.size() - 1) + " more)";
  errors_.clear();
  return Unexpected{std::move(first)};
}

}  // namespace oms::persistence
