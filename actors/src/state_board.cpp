#include "oms/actors/state_board.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

namespace oms::actors {
namespace {

constexpr std::uint64_t kMagic = 0x4452414f42534d4fULL;  // "OMSBOARD"
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 4096;
constexpr std::size_t kSeqBytes = 8;

// A slot: [u64 sequence][record words], rounded up to whole cache lines.
template <class R>
constexpr std::size_t slot_bytes() {
  static_assert(std::is_trivially_copyable_v<R> && sizeof(R) % 8 == 0, "records are whole words");
  return (kSeqBytes + sizeof(R) + 63) / 64 * 64;
}
static_assert(slot_bytes<PositionRecord>() == 128);
static_assert(slot_bytes<BalanceRecord>() == 128);
static_assert(slot_bytes<TopOfBookRecord>() == 128);
static_assert(slot_bytes<StrategyStatusRecord>() == 128);
constexpr std::size_t kSlotBytes = 128;

struct Header {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t slot_bytes;
  BoardLayout layout;
};

std::size_t total_bytes(const BoardLayout& l) {
  return kHeaderBytes + (std::size_t{l.positions} + l.balances + l.tops + l.strategies) * kSlotBytes;
}

std::string os_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

StateBoard::StateBoard(std::string path, std::byte* base, std::size_t bytes, BoardLayout layout, bool writable)
    : path_(std::move(path)), base_(base), bytes_(bytes), layout_(layout), writable_(writable) {}

StateBoard::~StateBoard() { ::munmap(base_, bytes_); }

Result<std::unique_ptr<StateBoard>, BoardError> StateBoard::create(const std::string& path, BoardLayout layout) {
  const std::size_t bytes = total_bytes(layout);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unexpected{BoardError{os_error("cannot create state board", path)}};
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    ::close(fd);
    return Unexpected{BoardError{os_error("cannot size state board", path)}};
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return Unexpected{BoardError{os_error("cannot map state board", path)}};
  auto* base = static_cast<std::byte*>(p);
  Header h{kMagic, kVersion, static_cast<std::uint32_t>(kSlotBytes), layout};
  std::memcpy(base, &h, sizeof h);  // readers check the magic only after the file is complete
  return std::unique_ptr<StateBoard>(new StateBoard(path, base, bytes, layout, true));
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
  return std::unique_ptr<StateBoard>(new StateBoard(path, static_cast<std::byte*>(p), bytes, h.layout, false));
}

std::byte* StateBoard::slot_address(BoardSection s, std::uint32_t slot) const noexcept {
  std::size_t before = 0, count = 0;
  switch (s) {
    case BoardSection::kPositions: count = layout_.positions; break;
    case BoardSection::kBalances: before = layout_.positions; count = layout_.balances; break;
    case BoardSection::kTops: before = std::size_t{layout_.positions} + layout_.balances; count = layout_.tops; break;
    case BoardSection::kStrategies:
      before = std::size_t{layout_.positions} + layout_.balances + layout_.tops;
      count = layout_.strategies;
      break;
  }
  if (slot >= count) return nullptr;
  return base_ + kHeaderBytes + (before + slot) * kSlotBytes;
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

bool StateBoard::write(std::uint32_t slot, const PositionRecord& r) noexcept { return write_record(BoardSection::kPositions, slot, r); }
bool StateBoard::write(std::uint32_t slot, const BalanceRecord& r) noexcept { return write_record(BoardSection::kBalances, slot, r); }
bool StateBoard::write(std::uint32_t slot, const TopOfBookRecord& r) noexcept { return write_record(BoardSection::kTops, slot, r); }
bool StateBoard::write(std::uint32_t slot, const StrategyStatusRecord& r) noexcept { return write_record(BoardSection::kStrategies, slot, r); }
std::optional<PositionRecord> StateBoard::position(std::uint32_t slot) const noexcept { return read_record<PositionRecord>(BoardSection::kPositions, slot); }
std::optional<BalanceRecord> StateBoard::balance(std::uint32_t slot) const noexcept { return read_record<BalanceRecord>(BoardSection::kBalances, slot); }
std::optional<TopOfBookRecord> StateBoard::top(std::uint32_t slot) const noexcept { return read_record<TopOfBookRecord>(BoardSection::kTops, slot); }
std::optional<StrategyStatusRecord> StateBoard::strategy(std::uint32_t slot) const noexcept { return read_record<StrategyStatusRecord>(BoardSection::kStrategies, slot); }

}  // namespace oms::actors
