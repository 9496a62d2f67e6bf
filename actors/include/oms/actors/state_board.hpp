// StateBoard: live state published in shared memory (/dev/shm) so that `omsctl top`,
// monitoring and other processes read it without asking the daemon.
//
// A file of fixed-size slots, each a seqlock record: the single writer (the owning stage)
// bumps the record's sequence to odd, writes the words, bumps it to even; a reader copies
// the words between two reads of the sequence and retries while it was odd or changed. Words
// are accessed with relaxed std::atomic_ref operations (no data race in the C++ sense), and
// the fences give the ordering. Readers never block the writer.
//
// File layout: [header 4096 bytes][positions][balances][tops of book][strategies], each
// section `count` slots of 64 or 128 bytes (a slot never shares a cache line with another).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

// Records: trivially copyable, whole 8-byte words, with no padding (static_asserts below).
struct PositionRecord {
  std::uint64_t account = 0, instrument = 0;
  std::int64_t size = 0, entry_price = 0, unrealized_pnl = 0, realized_pnl = 0;  // Decimal raw
  std::int64_t time = 0;
  std::uint64_t reserved = 0;
};
struct BalanceRecord {
  std::uint64_t account = 0;
  char asset[16] = {};
  std::int64_t free = 0, locked = 0;  // Decimal raw
  std::int64_t time = 0;
  std::uint64_t reserved[2] = {};
};
struct TopOfBookRecord {
  std::uint64_t instrument = 0, update_id = 0;
  std::int64_t bid_price = 0, bid_qty = 0, ask_price = 0, ask_qty = 0;  // Decimal raw
  std::int64_t time = 0;
  std::uint64_t reserved = 0;
};
struct StrategyStatusRecord {
  std::uint64_t strategy = 0, state = 0;  // StrategyState
  std::int64_t realized_pnl = 0, unrealized_pnl = 0, inventory = 0;  // Decimal raw
  std::int64_t time = 0;
  std::uint64_t orders_open = 0, reserved = 0;
};

enum class BoardSection : std::uint8_t { kPositions, kBalances, kTops, kStrategies };

struct BoardLayout {
  std::uint32_t positions = 0, balances = 0, tops = 0, strategies = 0;
  friend bool operator==(const BoardLayout&, const BoardLayout&) = default;
};

struct BoardError {
  std::string message;  // names the path
};

class StateBoard {
 public:
  // The writer: creates (or re-creates) the file with the layout; one writer per board.
  [[nodiscard]] static Result<std::unique_ptr<StateBoard>, BoardError> create(const std::string& path,
                                                                             BoardLayout layout);
  // A reader in any process: maps an existing board read-only and takes its layout.
  [[nodiscard]] static Result<std::unique_ptr<StateBoard>, BoardError> open_read_only(const std::string& path);
  ~StateBoard();
  StateBoard(const StateBoard&) = delete;
  StateBoard& operator=(const StateBoard&) = delete;

  [[nodiscard]] const BoardLayout& layout() const noexcept { return layout_; }

  // Writer only; false when the slot is out of range. Wait-free.
  bool write(std::uint32_t slot, const PositionRecord& r) noexcept;
  bool write(std::uint32_t slot, const BalanceRecord& r) noexcept;
  bool write(std::uint32_t slot, const TopOfBookRecord& r) noexcept;
  bool write(std::uint32_t slot, const StrategyStatusRecord& r) noexcept;

  // Any reader: a consistent copy (retrying while a write is in progress), or nullopt when
  // the slot is out of range or was never written.
  [[nodiscard]] std::optional<PositionRecord> position(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<BalanceRecord> balance(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<TopOfBookRecord> top(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<StrategyStatusRecord> strategy(std::uint32_t slot) const noexcept;

 private:
  StateBoard(std::string path, std::byte* base, std::size_t bytes, BoardLayout layout, bool writable);
  template <class R>
  bool write_record(BoardSection s, std::uint32_t slot, const R& r) noexcept;
  template <class R>
  std::optional<R> read_record(BoardSection s, std::uint32_t slot) const noexcept;
  [[nodiscard]] std::byte* slot_address(BoardSection s, std::uint32_t slot) const noexcept;

  std::string path_;
  std::byte* base_;
  std::size_t bytes_;
  BoardLayout layout_;
  bool writable_;
};

}  // namespace oms::actors
