// BoardPublisher: the engine shard's writer of the state board (state_board.hpp). The engine
// calls it after an account's state changed and after an instrument's top of book changed;
// `omsctl top` and monitoring read the board from other processes.
//
// Slots are dense and fixed at open(), from the engine's accounts and instruments:
//   positions    accounts x instruments: (the account's place in the list, instrument id)
//   balances     accounts x balances_per_account, in the account's order of first holding
//   open orders  accounts x open_orders_per_account, in the order they were submitted
//   tops         one per instrument id
//   names        account names by AccountId, instrument names by InstrumentId (written once)
// Bounded: what does not fit in an account's share is not shown and counted in the board's
// hidden() gauge of the section; nothing grows after open().
//
// Cheap enough for the shard: no allocation, no lock, no syscall per call. An account is
// written at most once per `account_interval` (its open orders cost a lookup each, ~40 ns):
// a change within the interval marks it, and refresh() -- the shard's housekeeping -- writes
// it then, so a burst of reports costs one write per interval and the board is never more
// than about an interval behind. A shadow copy of every slot keeps a record that did not
// change (its time aside) from being written again, so readers' cache lines stay quiet.
// Not thread-safe: the shard thread is the one writer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "oms/cores/order_desk.hpp"
#include "oms/cores/market_stages.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/actors/state_board.hpp"

namespace oms::actors {

struct BoardAccount {
  AccountId id;
  std::string name;
};

struct BoardLimits {
  std::uint32_t balances_per_account = 32;      // assets x markets an account holds
  std::uint32_t open_orders_per_account = 128;  // shown per account; more are counted
  TimeNs account_interval = 20'000'000;         // an account is written at most this often
  std::uint32_t strategies = 0;                 // strategy status slots (slot = StrategyId)
};

class BoardPublisher {
 public:
  BoardPublisher() = default;  // no board: every call returns at once

  // Creates the board at `path` (replacing one there) for these accounts and the table's
  // instruments, and writes the names. An empty path is no board (Ok). Error: the board
  // cannot be created (names the path); the publisher then stays without a board.
  [[nodiscard]] Result<Unit, BoardError> open(const std::string& path,
                                              std::span<const BoardAccount> accounts,
                                              const InstrumentTable& instruments,
                                              BoardLimits limits = {});
  [[nodiscard]] bool enabled() const noexcept { return board_ != nullptr; }
  [[nodiscard]] const StateBoard* board() const noexcept { return board_.get(); }

  // The account changed: its balances, net positions (PnL at `marks`, by instrument id; no
  // mark: no unrealized PnL) and open orders are written now, or by refresh() when the account
  // was written less than account_interval ago. An account not given to open() is ignored.
  void account(const OrderDesk& desk, std::span<const Decimal> marks, TimeNs now) noexcept;
  // Writes the account if a change of it is still unwritten; the heartbeat in any case.
  void refresh(const OrderDesk& desk, std::span<const Decimal> marks, TimeNs now) noexcept;
  // The instrument's best bid and offer.
  void top(const TopOfBook& top, TimeNs now) noexcept;
  // A strategy's status (slot = its id; r.time is set here); written when it changed.
  void strategy(std::uint32_t slot, StrategyStatusRecord r, TimeNs now) noexcept;

 private:
  static constexpr std::uint32_t kNoSlot = 0xffffffff;
  // The account's place on the board; kNoSlot when it has none (or there is no board).
  [[nodiscard]] std::uint32_t place_of(const OrderDesk& desk) const noexcept;
  void write_account(std::uint32_t k, const OrderDesk& desk, std::span<const Decimal> marks,
                     TimeNs now) noexcept;
  // Writes r into the slot unless it equals what the slot holds (its time aside).
  template <class R>
  void put(std::vector<R>& shadow, std::uint32_t slot, R r, TimeNs now) noexcept;
  void set_hidden(std::vector<std::uint32_t>& per_account, std::uint64_t& total, BoardSection s,
                  std::uint32_t account_slot, std::uint32_t hidden) noexcept;

  std::unique_ptr<StateBoard> board_;
  BoardLimits limits_;
  std::uint32_t instruments_ = 0;
  std::vector<std::uint32_t> account_slot_;  // by AccountId index; kNoSlot: not on the board
  std::vector<PositionRecord> positions_;    // shadows of the board's slots
  std::vector<BalanceRecord> balances_;
  std::vector<OpenOrderRecord> orders_;
  std::vector<TopOfBookRecord> tops_;
  std::vector<StrategyStatusRecord> strategies_;
  std::vector<std::uint32_t> orders_shown_;  // per account slot: open-order slots in use
  std::vector<TimeNs> written_;              // per account slot: when last written
  std::vector<std::uint8_t> unwritten_;      // per account slot: a change waits for refresh()
  std::vector<std::uint32_t> balances_hidden_, orders_hidden_;  // per account slot
  std::uint64_t balances_hidden_total_ = 0, orders_hidden_total_ = 0;
};

}  // namespace oms::actors
