// StateBoard: live state published in shared memory (/dev/shm) so that `omsctl top`,
// monitoring and other processes read it without asking the daemon.
//
// A file of fixed-size slots, each a seqlock record: the single writer (the owning stage)
// bumps the record's sequence to odd, writes the words, bumps it to even; a reader copies
// the words between two reads of the sequence and retries while it was odd or changed. Words
// are accessed with relaxed std::atomic_ref operations (no data race in the C++ sense), and
// the fences give the ordering. Readers never block the writer.
//
// File layout: [header 4096 bytes][positions][balances][tops of book][strategies][open orders]
// [account names][instrument names], each section `count` slots of 128 bytes (a slot never
// shares a cache line with another). The header holds the magic, the version, the layout and
// the writer's pid (written once, before the file gets its name), then live words the writer
// stores with relaxed atomics: its heartbeat (the time of its last publication) and, per
// section, how many records it could not show because the section was full.
//
// Names: the names sections make the board self-describing -- a reader prints account and
// instrument names without asking the daemon. Slot = the id's index (AccountId,
// InstrumentId); the writer fills them once at start. Asset names are in the balance records.
//
// The writer creates the file under a temporary name and renames it over `path`: a reader of
// a previous board keeps a valid mapping of the old file (never a SIGBUS on a shrunk file) and
// sees replaced() turn true.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

// A Decimal in a record: its 128-bit raw value as two words (records are 8-byte aligned words,
// an Int128 field would align them to 16 and pad).
struct BoardDecimal {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  [[nodiscard]] static BoardDecimal of(Decimal d) noexcept {
    const auto u = static_cast<UInt128>(d.raw());
    return BoardDecimal{static_cast<std::uint64_t>(u), static_cast<std::uint64_t>(u >> 64)};
  }
  [[nodiscard]] Decimal value() const noexcept {
    return Decimal::from_raw(static_cast<Int128>((static_cast<UInt128>(hi) << 64) | lo));
  }
  [[nodiscard]] bool is_zero() const noexcept { return lo == 0 && hi == 0; }
  friend bool operator==(const BoardDecimal&, const BoardDecimal&) = default;
};

// Records: trivially copyable, whole 8-byte words, with no padding (static_asserts in the .cpp).
// Text fields are NUL-padded (a full field has no NUL: read them with board_text()).
struct PositionRecord {
  std::uint64_t account = 0, instrument = 0;
  BoardDecimal size, entry_price, unrealized_pnl, realized_pnl;
  std::int64_t time = 0;
  BoardDecimal fees;  // fees paid in the instrument's quote (settle) asset
};
struct BalanceRecord {
  std::uint64_t account = 0;
  char asset[16] = {};
  BoardDecimal free, locked;
  std::int64_t time = 0;
  std::uint64_t market = 0;  // Market
  std::uint64_t reserved = 0;
};
struct TopOfBookRecord {
  std::uint64_t instrument = 0, update_id = 0;
  BoardDecimal bid_price, bid_qty, ask_price, ask_qty;
  std::int64_t time = 0;
  std::uint64_t reserved = 0;
};
struct StrategyStatusRecord {
  std::uint64_t strategy = 0, state = 0;  // StrategyState
  BoardDecimal realized_pnl, unrealized_pnl, inventory;
  std::int64_t time = 0;
  std::uint64_t orders_open = 0, reserved = 0;
};
// One open order. A slot whose status is kInitialized holds no order (the writer empties a
// slot that an order left).
struct OpenOrderRecord {
  std::uint64_t account = 0, instrument = 0;
  char client_order_id[40] = {};  // ClientOrderIdText: at most 36 characters
  BoardDecimal price, quantity, cum_qty;  // price 0: a market order
  std::uint32_t side = 0, status = 0;                 // Side, OrderStatus
  std::int64_t time = 0;
};
// An account's or an instrument's name (slot = the id's index).
struct NameRecord {
  std::uint64_t id = 0;
  std::uint64_t exchange = 0, market = 0;  // ExchangeId, Market (instruments)
  char name[48] = {};                      // "binance_main", "BTC/USDT", "BTC/USDT:USDT"
};

enum class BoardSection : std::uint8_t {
  kPositions, kBalances, kTops, kStrategies, kOpenOrders, kAccounts, kInstruments
};
inline constexpr std::size_t kBoardSections = 7;

struct BoardLayout {
  std::uint32_t positions = 0, balances = 0, tops = 0, strategies = 0;
  std::uint32_t open_orders = 0, accounts = 0, instruments = 0;
  friend bool operator==(const BoardLayout&, const BoardLayout&) = default;
};

struct BoardError {
  std::string message;  // names the path
};

// A text field of a record as a view (up to its first NUL or its size).
template <std::size_t N>
[[nodiscard]] std::string_view board_text(const char (&field)[N]) noexcept {
  std::size_t n = 0;
  while (n < N && field[n] != '\0') ++n;
  return {field, n};
}
// Copies text into a record's field, cut to fit (the writer's names and ids fit by design).
template <std::size_t N>
void set_board_text(char (&field)[N], std::string_view text) noexcept {
  std::size_t n = 0;
  for (; n < N && n < text.size(); ++n) field[n] = text[n];
  for (; n < N; ++n) field[n] = '\0';
}

// Where omsd keeps the board of a data dir: /dev/shm/oms-board-omsd-<hash>.board, <hash> of
// the data dir's absolute path as in the intent log's name (omsd's intent_name()), so two
// daemons on one machine have two boards and `omsctl top --data DIR` finds DIR's.
[[nodiscard]] std::string default_board_path(const std::filesystem::path& data_dir);

class StateBoard {
 public:
  // The writer: creates (or replaces) the file with the layout; one writer per board.
  [[nodiscard]] static Result<std::unique_ptr<StateBoard>, BoardError> create(const std::string& path,
                                                                             BoardLayout layout);
  // A reader in any process: maps an existing board read-only and takes its layout.
  [[nodiscard]] static Result<std::unique_ptr<StateBoard>, BoardError> open_read_only(const std::string& path);
  ~StateBoard();
  StateBoard(const StateBoard&) = delete;
  StateBoard& operator=(const StateBoard&) = delete;

  [[nodiscard]] const BoardLayout& layout() const noexcept { return layout_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::uint32_t count(BoardSection s) const noexcept;

  // Writer only; false when the slot is out of range. Wait-free.
  bool write(std::uint32_t slot, const PositionRecord& r) noexcept;
  bool write(std::uint32_t slot, const BalanceRecord& r) noexcept;
  bool write(std::uint32_t slot, const TopOfBookRecord& r) noexcept;
  bool write(std::uint32_t slot, const StrategyStatusRecord& r) noexcept;
  bool write(std::uint32_t slot, const OpenOrderRecord& r) noexcept;
  bool write_account_name(std::uint32_t slot, const NameRecord& r) noexcept;
  bool write_instrument_name(std::uint32_t slot, const NameRecord& r) noexcept;
  // Writer only: the section's records not shown (it was full), and the time of the last
  // publication. Single relaxed stores: each is one word, read on its own.
  void set_hidden(BoardSection s, std::uint64_t records) noexcept;
  void set_heartbeat(std::int64_t time) noexcept;

  // Any reader: a consistent copy (retrying while a write is in progress), or nullopt when
  // the slot is out of range or was never written.
  [[nodiscard]] std::optional<PositionRecord> position(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<BalanceRecord> balance(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<TopOfBookRecord> top(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<StrategyStatusRecord> strategy(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<OpenOrderRecord> open_order(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<NameRecord> account_name(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::optional<NameRecord> instrument_name(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::uint64_t hidden(BoardSection s) const noexcept;
  [[nodiscard]] std::int64_t heartbeat() const noexcept;  // 0: nothing published yet
  [[nodiscard]] std::int64_t writer_pid() const noexcept { return writer_pid_; }
  // A reader: true when `path` no longer names this board's file (a new writer replaced it,
  // or it was removed). One stat(2).
  [[nodiscard]] bool replaced() const noexcept;

 private:
  StateBoard(std::string path, std::byte* base, std::size_t bytes, BoardLayout layout, bool writable,
             std::int64_t writer_pid, std::uint64_t dev, std::uint64_t ino);
  template <class R>
  bool write_record(BoardSection s, std::uint32_t slot, const R& r) noexcept;
  template <class R>
  std::optional<R> read_record(BoardSection s, std::uint32_t slot) const noexcept;
  [[nodiscard]] std::byte* slot_address(BoardSection s, std::uint32_t slot) const noexcept;
  [[nodiscard]] std::uint64_t* live_word(std::size_t index) const noexcept;

  std::string path_;
  std::byte* base_;
  std::size_t bytes_;
  BoardLayout layout_;
  bool writable_;
  std::int64_t writer_pid_;
  std::uint64_t dev_, ino_;  // the file this board maps (replaced())
};

}  // namespace oms::actors
