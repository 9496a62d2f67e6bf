#include "oms/actors/state_board.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <type_traits>

namespace oms::actors {
namespace {

constexpr std::uint64_t kMagic = 0x4452414f42534d4fULL;  // "OMSBOARD"
constexpr std::uint32_t kVersion = 3;  // 2: open orders, names, market of a balance, live words; 3: 128-bit Decimals
constexpr std::size_t kHeaderBytes = 4096;
constexpr std::size_t kSeqBytes = 8;
// The live words (heartbeat, hidden counts) on their own cache lines, away from the header
// that readers copy at open.
constexpr std::size_t kLiveOffset = 2048;
constexpr std::size_t kHeartbeatWord = 0;
constexpr std::size_t kHiddenWords = 1;  // + section index
// Owner and group: balances and orders are not for every local user.
constexpr mode_t kFileMode = 0640;

// A slot: [u64 sequence][record words], rounded up to whole cache lines.
template <class R>
constexpr std::size_t slot_bytes() {
  static_assert(std::is_trivially_copyable_v<R> && sizeof(R) % 8 == 0, "records are whole words");
  static_assert(std::has_unique_object_representations_v<R>, "records have no padding");
  return (kSeqBytes + sizeof(R) + 63) / 64 * 64;
}
constexpr std::size_t kSlotBytes = 128;
static_assert(slot_bytes<PositionRecord>() <= kSlotBytes);
static_assert(slot_bytes<BalanceRecord>() <= kSlotBytes);
static_assert(slot_bytes<TopOfBookRecord>() <= kSlotBytes);
static_assert(slot_bytes<StrategyStatusRecord>() <= kSlotBytes);
static_assert(slot_bytes<OpenOrderRecord>() <= kSlotBytes);
static_assert(slot_bytes<NameRecord>() <= kSlotBytes);
static_assert(sizeof(OpenOrderRecord::client_order_id) > ClientOrderIdText::kCapacity);
static_assert(sizeof(BalanceRecord::asset) > AssetCode::kCapacity);

struct Header {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t slot_bytes;
  BoardLayout layout;
  std::uint32_t unused;
  std::int64_t writer_pid;
};
static_assert(sizeof(Header) <= kLiveOffset);
static_assert(kLiveOffset + (kHiddenWords + kBoardSections) * 8 <= kHeaderBytes);

std::array<std::uint32_t, kBoardSections> counts_of(const BoardLayout& l) {
  return {l.positions, l.balances, l.tops, l.strategies, l.open_orders, l.accounts, l.instruments};
}

std::size_t total_bytes(const BoardLayout& l) {
  std::size_t slots = 0;
  for (const auto n : counts_of(l)) slots += n;
  return kHeaderBytes + slots * kSlotBytes;
}

std::string os_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::string default_board_path(const std::filesystem::path& data_dir) {
  // The same hash as omsd's intent_name(): one tag names a data dir's files in /dev/shm. A
  // trailing separator is dropped: `--data data/` and `--data data` are one board.
  auto dir = std::filesystem::weakly_canonical(std::filesystem::absolute(data_dir));
  if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();
  const auto abs = dir.string();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(abs));
  return std::string("/dev/shm/oms-board-omsd-") + hex + ".board";
}

StateBoard::StateBoard(std::string path, std::byte* base, std::size_t bytes, BoardLayout layout,
                       bool writable, std::int64_t writer_pid, std::uint64_t dev, std::uint64_t ino)
    : path_(std::move(path)), base_(base), bytes_(bytes), layout_(layout), writable_(writable),
      writer_pid_(writer_pid), dev_(dev), ino_(ino) {}

StateBoard::~StateBoard() { ::munmap(base_, bytes_); }

Result<std::unique_ptr<StateBoard>, BoardError> StateBoard::create(const std::string& path, BoardLayout layout) {
  const std::size_t bytes = total_bytes(layout);
  // Built under a temporary name, renamed over `path` once its header is written: a reader
  // never maps a half-made file, and one still mapping the previous board keeps it intact.
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, kFileMode);
  if (fd < 0) return Unexpected{BoardError{os_error("cannot create state board", tmp)}};
  const auto fail = [&](const char* what) {
    BoardError e{os_error(what, tmp)};
    ::close(fd);
    ::unlink(tmp.c_str());
    return Unexpected{std::move(e)};
  };
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) return fail("cannot size state board");
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("cannot stat state board");
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return fail("cannot map state board");
  ::close(fd);
  auto* base = static_cast<std::byte*>(p);
  const Header h{kMagic, kVersion, static_cast<std::uint32_t>(kSlotBytes), layout, 0, ::getpid()};
  std::memcpy(base, &h, sizeof h);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    BoardError e{os_error("cannot rename state board " + tmp + " to", path)};
    ::munmap(p, bytes);
    ::unlink(tmp.c_str());
    return Unexpected{std::move(e)};
  }
  return std::unique_ptr<StateBoard>(new StateBoard(path, base, bytes, layout, true, h.writer_pid,
                                                    st.st_dev, st.st_ino));
}

Result<std::unique_ptr<StateBoard>, BoardError> StateBoard::open_read_only(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected{BoardError{os_error("cannot open state board", path)}};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < kHeaderBytes) {
    ::close(fd);
    return Unexpected{BoardError{"state board " + path + " is too small to be one"}};
  }
  const auto bytes = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return Unexpected{BoardError{os_error("cannot map state board", path)}};
  Header h;
  std::memcpy(&h, p, sizeof h);
  if (h.magic != kMagic || h.version != kVersion || h.slot_bytes != kSlotBytes ||
      total_bytes(h.layout) != bytes) {
    ::munmap(p, bytes);
    return Unexpected{BoardError{"state board " + path + " has a bad header (magic, version or size)"}};
  }
  return std::unique_ptr<StateBoard>(new StateBoard(path, static_cast<std::byte*>(p), bytes, h.layout,
                                                    false, h.writer_pid, st.st_dev, st.st_ino));
}

std::uint32_t StateBoard::count(BoardSection s) const noexcept {
  return counts_of(layout_)[static_cast<std::size_t>(s)];
}

std::byte* StateBoard::slot_address(BoardSection s, std::uint32_t slot) const noexcept {
  const auto counts = counts_of(layout_);
  const auto index = static_cast<std::size_t>(s);
  if (slot >= counts[index]) return nullptr;
  std::size_t before = 0;
  for (std::size_t i = 0; i < index; ++i) before += counts[i];
  return base_ + kHeaderBytes + (before + slot) * kSlotBytes;
}

std::uint64_t* StateBoard::live_word(std::size_t index) const noexcept {
  return reinterpret_cast<std::uint64_t*>(base_ + kLiveOffset) + index;
}

template <class R>
bool StateBoard::write_record(BoardSection s, std::uint32_t slot, const R& r) noexcept {
  std::byte* p = writable_ ? slot_address(s, slot) : nullptr;
  if (p == nullptr) return false;
  auto* seq = reinterpret_cast<std::uint64_t*>(p);
  auto* words = reinterpret_cast<std::uint64_t*>(p + kSeqBytes);
  std::uint64_t src[sizeof(R) / 8];
  std::memcpy(src, &r, sizeof(R));
  std::atomic_ref<std::uint64_t> sequence(*seq);
  // relaxed: only this thread writes the sequence; the fence below orders it before the words.
  const std::uint64_t s0 = sequence.load(std::memory_order_relaxed);
  sequence.store(s0 + 1, std::memory_order_relaxed);  // odd: a write is in progress
  // release fence: the odd sequence is visible before any word below (pairs with the
  // reader's acquire fence after its copy).
  std::atomic_thread_fence(std::memory_order_release);
  for (std::size_t i = 0; i < sizeof(R) / 8; ++i)
    std::atomic_ref<std::uint64_t>(words[i]).store(src[i], std::memory_order_relaxed);
  // release: publishes the words with the even sequence; pairs with the reader's acquire load.
  sequence.store(s0 + 2, std::memory_order_release);
  return true;
}

template <class R>
std::optional<R> StateBoard::read_record(BoardSection s, std::uint32_t slot) const noexcept {
  std::byte* p = slot_address(s, slot);
  if (p == nullptr) return std::nullopt;
  auto* seq = reinterpret_cast<std::uint64_t*>(p);
  auto* words = reinterpret_cast<std::uint64_t*>(p + kSeqBytes);
  std::uint64_t copy[sizeof(R) / 8];
  std::atomic_ref<std::uint64_t> sequence(*seq);
  while (true) {
    // acquire: pairs with the writer's final release store; the words of that write are visible.
    const std::uint64_t s1 = sequence.load(std::memory_order_acquire);
    if (s1 == 0) return std::nullopt;  // never written
    if (s1 % 2 != 0) continue;         // a write is in progress
    for (std::size_t i = 0; i < sizeof(R) / 8; ++i)
      copy[i] = std::atomic_ref<std::uint64_t>(words[i]).load(std::memory_order_relaxed);
    // acquire fence: the copy above happens before the re-read of the sequence below.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (sequence.load(std::memory_order_relaxed) == s1) break;  // no write overlapped the copy
  }
  R r;
  std::memcpy(&r, copy, sizeof(R));
  return r;
}

void StateBoard::set_hidden(BoardSection s, std::uint64_t records) noexcept {
  if (!writable_) return;
  // relaxed: a gauge read on its own; no other word is published with it.
  std::atomic_ref<std::uint64_t>(*live_word(kHiddenWords + static_cast<std::size_t>(s)))
      .store(records, std::memory_order_relaxed);
}

void StateBoard::set_heartbeat(std::int64_t time) noexcept {
  if (!writable_) return;
  // relaxed: a gauge read on its own; no other word is published with it.
  std::atomic_ref<std::uint64_t>(*live_word(kHeartbeatWord))
      .store(static_cast<std::uint64_t>(time), std::memory_order_relaxed);
}

std::uint64_t StateBoard::hidden(BoardSection s) const noexcept {
  return std::atomic_ref<std::uint64_t>(*live_word(kHiddenWords + static_cast<std::size_t>(s)))
      .load(std::memory_order_relaxed);
}

std::int64_t StateBoard::heartbeat() const noexcept {
  return static_cast<std::int64_t>(
      std::atomic_ref<std::uint64_t>(*live_word(kHeartbeatWord)).load(std::memory_order_relaxed));
}

bool StateBoard::replaced() const noexcept {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return true;
  return static_cast<std::uint64_t>(st.st_dev) != dev_ || static_cast<std::uint64_t>(st.st_ino) != ino_;
}

bool StateBoard::write(std::uint32_t slot, const PositionRecord& r) noexcept { return write_record(BoardSection::kPositions, slot, r); }
bool StateBoard::write(std::uint32_t slot, const BalanceRecord& r) noexcept { return write_record(BoardSection::kBalances, slot, r); }
bool StateBoard::write(std::uint32_t slot, const TopOfBookRecord& r) noexcept { return write_record(BoardSection::kTops, slot, r); }
bool StateBoard::write(std::uint32_t slot, const StrategyStatusRecord& r) noexcept { return write_record(BoardSection::kStrategies, slot, r); }
bool StateBoard::write(std::uint32_t slot, const OpenOrderRecord& r) noexcept { return write_record(BoardSection::kOpenOrders, slot, r); }
bool StateBoard::write_account_name(std::uint32_t slot, const NameRecord& r) noexcept { return write_record(BoardSection::kAccounts, slot, r); }
bool StateBoard::write_instrument_name(std::uint32_t slot, const NameRecord& r) noexcept { return write_record(BoardSection::kInstruments, slot, r); }
std::optional<PositionRecord> StateBoard::position(std::uint32_t slot) const noexcept { return read_record<PositionRecord>(BoardSection::kPositions, slot); }
std::optional<BalanceRecord> StateBoard::balance(std::uint32_t slot) const noexcept { return read_record<BalanceRecord>(BoardSection::kBalances, slot); }
std::optional<TopOfBookRecord> StateBoard::top(std::uint32_t slot) const noexcept { return read_record<TopOfBookRecord>(BoardSection::kTops, slot); }
std::optional<StrategyStatusRecord> StateBoard::strategy(std::uint32_t slot) const noexcept { return read_record<StrategyStatusRecord>(BoardSection::kStrategies, slot); }
std::optional<OpenOrderRecord> StateBoard::open_order(std::uint32_t slot) const noexcept { return read_record<OpenOrderRecord>(BoardSection::kOpenOrders, slot); }
std::optional<NameRecord> StateBoard::account_name(std::uint32_t slot) const noexcept { return read_record<NameRecord>(BoardSection::kAccounts, slot); }
std::optional<NameRecord> StateBoard::instrument_name(std::uint32_t slot) const noexcept { return read_record<NameRecord>(BoardSection::kInstruments, slot); }

}  // namespace oms::actors
