// DailyWriter: the daily files of DESIGN.md ("Snapshots ... Daily files, grep/jq friendly"),
// written by omsd from what the store holds -- the event streams stay the source of truth, the
// files are views for people with grep and jq (persistence/daily_files.hpp: paths, rotation,
// gzip):
//
//   logs/YYYY/MM/DD/{account}/trades.jsonl         every fill of the account, one line each:
//                                                  {"seq":N,"event":<the stored event>}
//   strategies/YYYY/MM/DD/{strategy}/executions.jsonl   the fills of a strategy's orders, alike
//   reports/YYYY/MM/{account}/pnl.csv               a row per UTC day and quote asset the
//                                                  account traded: fills, volume, fees, realized
//                                                  PnL and net of fees (positions folded from
//                                                  every fill since the stream's start)
//
// A fill's file is chosen by its venue time. catch_up() reads each account's stream from where
// it stopped (the first call: from the start, to rebuild the positions) and appends what the
// files lack: a fill whose sequence is at or below the last line of the account's newest
// trades file is already there (a restart writes nothing twice; a crash between a strategy's
// line and the account's may repeat that strategy line). A day's pnl row is written once the
// day is over (a fill of a later day, or the clock past it), unless its month's file has it.
//
//   transfers/YYYY/MM/transfers.jsonl              every step of every transfer saga in the
//                                                  TRANSFERS stream (TransferRequested /
//                                                  Completed / Failed): {"seq":N,"event":...},
//                                                  in the month of its event time; a step at or
//                                                  below the newest file's last line is there
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "oms/cores/position_core.hpp"
#include "oms/messages/codec.hpp"
#include "oms/messages/result.hpp"
#include "oms/persistence/daily_files.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::actors {

struct DailyAccount {
  AccountId id;
  std::string name;    // as configured
  std::string stream;  // ACCOUNT_{exchange}_{name}
};

class DailyWriter {
 public:
  // All must outlive the writer.
  DailyWriter(persistence::EventStore& store, persistence::DailyFiles& files,
              const Directory& directory, const InstrumentTable& instruments,
              std::vector<DailyAccount> accounts);

  // Writes what the store gained since the last call; `now` (UTC ns) closes the days before it.
  // Errors name the stream and sequence, or the file; what was written stays written and the
  // next call goes on from there.
  [[nodiscard]] Result<Unit, std::string> catch_up(TimeNs now);

  [[nodiscard]] std::uint64_t trades_written() const noexcept { return trades_written_; }
  [[nodiscard]] std::uint64_t rows_written() const noexcept { return rows_written_; }
  [[nodiscard]] std::uint64_t transfers_written() const noexcept { return transfers_written_; }

 private:
  struct DayFigures {
    std::uint64_t fills = 0;
    Int128 volume_e18 = 0;
    Int128 realized_start_e18 = 0, fees_start_e18 = 0;  // the account's totals when the day began
  };
  struct Account {
    DailyAccount cfg;
    bool started = false;
    std::uint64_t read = 0;     // the last stream sequence read
    std::uint64_t folded = 0;   // the last fill folded into the positions and the day
    std::uint64_t written = 0;  // the last sequence whose trade line exists
    std::int32_t day = 0;       // the UTC day of the figures below (0: none yet)
    std::map<std::string, DayFigures> by_quote;
  };

  Result<Unit, std::string> start(Account& a);
  Result<Unit, std::string> on_fill(Account& a, std::uint64_t seq, const Event& e,
                                    std::string_view payload);
  Result<Unit, std::string> close_day(Account& a);
  Result<Unit, std::string> catch_up_transfers();
  [[nodiscard]] Int128 realized(AccountId account, std::string_view quote) const;
  [[nodiscard]] Int128 fees(AccountId account, std::string_view quote) const;

  persistence::EventStore& store_;
  persistence::DailyFiles& files_;
  const Directory& directory_;
  const InstrumentTable& instruments_;
  PositionCore positions_;
  std::vector<Account> accounts_;
  std::uint64_t trades_written_ = 0, rows_written_ = 0;
  bool transfers_started_ = false;
  std::uint64_t transfers_read_ = 0, transfers_last_line_ = 0, transfers_written_ = 0;
};

}  // namespace oms::actors
