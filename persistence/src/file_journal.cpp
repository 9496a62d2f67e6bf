#include "oms/persistence/file_journal.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "file_journal_stream.hpp"

namespace oms::persistence {
namespace {

namespace fs = std::filesystem;

// Tail state shared by the subscription and its thread, which may outlive the subscription
// (when the subscription is destroyed from inside its own visitor, the thread is detached).
struct TailState {
  TailState(RecordVisitor v, std::string f) : visit(std::move(v)), filter(std::move(f)) {}
  // release (set under the stream's mutex, then notify): pairs with the acquire loads in
  // the thread's wait predicate and before each visit; after it, nothing more is delivered.
  std::atomic<bool> stop{false};
  const RecordVisitor visit;
  const std::string filter;
};

void run_tail(const std::shared_ptr<JournalStream>& s, const std::shared_ptr<TailState>& state,
              std::uint64_t next) {
  while (true) {
    std::uint64_t last = 0;
    {
      std::unique_lock lock(s->mutex);
      s->appended.wait(lock, [&] {
        return state->stop.load(std::memory_order_acquire) || s->last_sequence >= next;
      });
      if (state->stop.load(std::memory_order_acquire)) return;
      last = s->last_sequence;
    }
    bool ended = false;
    auto read = journal::read_stream(*s, next, last, state->filter, [&](const StoredRecord& r) {
      ended = state->stop.load(std::memory_order_acquire) || !state->visit(r);
      return !ended;
    });
    if (!read) {
      spdlog::error("journal tail of {} stopped: {}", s->name, read.error().message);
      return;
    }
    if (ended) return;
    next = last + 1;
  }
}

class TailSubscription final : public Subscription {
 public:
  TailSubscription(std::shared_ptr<JournalStream> stream, std::shared_ptr<TailState> state,
                   std::uint64_t from)
      : stream_(std::move(stream)), state_(std::move(state)) {
    thread_ = std::thread([s = stream_, st = state_, from] { run_tail(s, st, from); });
  }

  ~TailSubscription() override {
    {
      // Under the mutex, so the thread cannot miss the wake-up between its check and wait.
      std::lock_guard lock(stream_->mutex);
      state_->stop.store(true, std::memory_order_release);
    }
    stream_->appended.notify_all();
    // From inside its own visitor the thread cannot be joined; it sees stop and returns.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }

  TailSubscription(const TailSubscription&) = delete;
  TailSubscription& operator=(const TailSubscription&) = delete;

 private:
  std::shared_ptr<JournalStream> stream_;
  std::shared_ptr<TailState> state_;
  std::thread thread_;
};

StoreError invalid(std::string message) {
  return {StoreErrorCode::kInvalid, std::move(message)};
}

}  // namespace

Result<std::unique_ptr<FileJournal>, StoreError> FileJournal::open(const fs::path& root,
                                                                   const StreamLayout& layout,
                                                                   FileJournalOptions options) {
  if (options.segment_bytes == 0) return Unexpected{invalid("journal: segment_bytes must be > 0")};
  if (options.fsync == FsyncPolicy::kInterval && options.fsync_interval.count() <= 0)
    return Unexpected{invalid("journal: fsync_interval must be > 0 under FsyncPolicy::kInterval")};
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Unexpected{journal::io_error(root.string(), "mkdir", ec.value())};

  const std::string lock_path = (root / "LOCK").string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return Unexpected{journal::io_error(lock_path, "open", errno)};
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd);
    if (err == EWOULDBLOCK)
      return Unexpected{StoreError{StoreErrorCode::kUnavailable,
                                   "journal " + root.string() + ": in use by another journal (" +
                                       lock_path + " is locked)"}};
    return Unexpected{journal::io_error(lock_path, "flock", err)};
  }
  // Not make_unique: the constructor is private (open() is the only way in).
  std::unique_ptr<FileJournal> j(new FileJournal(root, layout, options, lock_fd));
  for (const auto& spec : j->layout_.streams()) {
    auto stream = journal::open_stream(root, spec.name, options);
    if (!stream) return Unexpected{std::move(stream).error()};
    j->streams_.emplace(spec.name, std::move(*stream));
  }
  if (options.fsync == FsyncPolicy::kInterval)
    j->sync_thread_ = std::thread([raw = j.get()] { raw->run_interval_sync(); });
  return j;
}

FileJournal::FileJournal(fs::path root, const StreamLayout& layout, FileJournalOptions options,
                         int lock_fd)
    : root_(std::move(root)), layout_(layout), options_(options), lock_fd_(lock_fd) {}

FileJournal::~FileJournal() {
  if (sync_thread_.joinable()) {
    {
      std::lock_guard lock(sync_mutex_);
      stopping_ = true;
    }
    sync_wake_.notify_all();
    sync_thread_.join();
    // A clean close leaves nothing for a machine crash to take.
    if (auto synced = sync_all(); !synced) spdlog::error("{}", synced.error().message);
  }
  ::close(lock_fd_);  // releases the flock
}

Result<std::string, StoreError> FileJournal::stream_for(std::string_view subject) const {
  return layout_.stream_for(subject);
}

void FileJournal::append(AppendRecord record, AppendCallback done) {
  auto result = [&]() -> Result<std::uint64_t, StoreError> {
    if (record.subject.empty()) return Unexpected{invalid("journal: empty subject")};
    if (record.subject.size() > journal::kMaxSubjectBytes)
      return Unexpected{invalid("journal: subject of " + std::to_string(record.subject.size()) +
                                " bytes (max " + std::to_string(journal::kMaxSubjectBytes) + ")")};
    const std::size_t body =
        journal::kBodyHeaderBytes + record.subject.size() + record.payload.size();
    if (body > journal::kMaxBodyBytes)
      return Unexpected{invalid("journal: record of " + std::to_string(body) + " bytes on '" +
                                record.subject + "' (max " +
                                std::to_string(journal::kMaxBodyBytes) + ")")};
    auto name = layout_.stream_for(record.subject);
    if (!name) return Unexpected{std::move(name).error()};
    auto found = find_stream(*name);
    if (!found) return Unexpected{std::move(found).error()};
    JournalStream& s = **found;
    auto outcome = [&] {
      std::lock_guard lock(s.mutex);
      return journal::append_locked(s, record);
    }();
    if (!outcome) return Unexpected{std::move(outcome).error()};
    if (outcome->duplicate) {
      duplicates_.fetch_add(1, std::memory_order_relaxed);
    } else {
      appended_.fetch_add(1, std::memory_order_relaxed);
      if (outcome->data_syncs > 0)
        data_syncs_.fetch_add(outcome->data_syncs, std::memory_order_relaxed);
      s.appended.notify_all();
    }
    return outcome->sequence;
  }();
  if (done) done(result);
}

Result<Unit, StoreError> FileJournal::flush(std::chrono::milliseconds /*timeout*/) {
  return sync_all();
}

Result<std::uint64_t, StoreError> FileJournal::read(const ReadRequest& request,
                                                    const RecordVisitor& visit) {
  auto found = find_stream(request.stream);
  if (!found) return Unexpected{std::move(found).error()};
  return journal::read_stream(**found, request.from_sequence, request.to_sequence,
                              request.subject_filter, visit);
}

Result<std::unique_ptr<Subscription>, StoreError> FileJournal::tail(const ReadRequest& request,
                                                                    RecordVisitor visit) {
  const auto it = streams_.find(request.stream);
  if (it == streams_.end()) return Unexpected{find_stream(request.stream).error()};
  auto state = std::make_shared<TailState>(std::move(visit), request.subject_filter);
  const std::uint64_t from = request.from_sequence == 0 ? 1 : request.from_sequence;
  return std::unique_ptr<Subscription>(
      std::make_unique<TailSubscription>(it->second, std::move(state), from));
}

Result<std::uint64_t, StoreError> FileJournal::last_sequence(std::string_view stream) {
  auto found = find_stream(stream);
  if (!found) return Unexpected{std::move(found).error()};
  std::lock_guard lock((*found)->mutex);
  return (*found)->last_sequence;
}

Result<std::vector<DayStart>, StoreError> FileJournal::day_index(std::string_view stream) {
  auto found = find_stream(stream);
  if (!found) return Unexpected{std::move(found).error()};
  std::lock_guard lock((*found)->mutex);
  std::vector<DayStart> days;
  days.reserve((*found)->days.size());
  for (const auto& [day, first] : (*found)->days) days.push_back({day, first});
  return days;
}

FileJournalStats FileJournal::stats() const noexcept {
  return {appended_.load(std::memory_order_relaxed), duplicates_.load(std::memory_order_relaxed),
          data_syncs_.load(std::memory_order_relaxed)};
}

Result<JournalStream*, StoreError> FileJournal::find_stream(std::string_view name) const {
  const auto it = streams_.find(name);
  if (it == streams_.end())
    return Unexpected{StoreError{StoreErrorCode::kUnknownStream,
                                 "journal: no stream '" + std::string(name) + "' in the layout"}};
  return it->second.get();
}

Result<Unit, StoreError> FileJournal::sync_all() {
  Result<Unit, StoreError> first = Unit{};
  for (const auto& [name, stream] : streams_) {
    auto synced = journal::sync_stream(*stream);
    if (synced) {
      data_syncs_.fetch_add(*synced, std::memory_order_relaxed);
    } else if (first.ok()) {
      first = Unexpected{std::move(synced).error()};  // the others are still synced
    }
  }
  return first;
}

void FileJournal::run_interval_sync() {
  std::unique_lock lock(sync_mutex_);
  while (!sync_wake_.wait_for(lock, options_.fsync_interval, [this] { return stopping_; })) {
    lock.unlock();
    if (auto synced = sync_all(); !synced) spdlog::error("{}", synced.error().message);
    lock.lock();
  }
}

}  // namespace oms::persistence
