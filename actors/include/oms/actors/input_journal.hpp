// InputJournal: the engine's shard, step by step, as a file a replay runs again.
//
// Every step that can change trading state is one record, written by the shard before it runs
// the step, with the shard's clock for that step (the one time every part of the step reads):
//
//   command      an account or risk command (API, strategy actors)      Command
//   report       a venue's report for an account                         Event (id = report id,
//                                                                        event_time = venue time)
//   market_data  a book snapshot/delta, best bid/offer, trade            Event
//   mark         an instrument's mark given from outside the books       instrument, value
//   restart      an operator's restart of one account                    account
//   reconcile    the start-up reconciliation with the venues             -
//   timers       the ack timers due at `now` fired                       -
//   housekeeping reconciliation deadlines, snapshots                     -
//   valuation    accounts valued at the marks (risk's equity)            -
//
// Questions (views, awaits, snapshots on request) change nothing and are not recorded. Running
// the records in order through an engine that started from the same stored state yields the same
// events, byte for byte (Engine::replay; engine_tests checks it).
//
// File: "OMSINPUT1\n", then records [u32 length][u32 crc32c of the payload][payload], little
// endian; the payload is fixed fields and the message in the binary codec (messages/codec.hpp).
// The writer buffers (the shard never waits on the disk) and flushes on flush() and close; a
// torn last record (a crash) ends the reader's input with a note, any other damage is an error
// naming the file and byte offset.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "oms/messages/commands.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

enum class InputStep : std::uint8_t {
  kCommand = 1,
  kReport = 2,
  kMarketData = 3,
  kMark = 4,
  kRestart = 5,
  kReconcile = 6,
  kTimers = 7,
  kHousekeeping = 8,
  kValuation = 9,
};

struct InputRecord {
  InputStep step = InputStep::kTimers;
  TimeNs now = 0;          // the shard's clock for this step
  TimeNs received_ns = 0;  // when the input entered the process (tracing only)
  AccountId account;
  InstrumentId instrument;
  Decimal value;
  std::variant<std::monostate, Command, Event> body;
  friend bool operator==(const InputRecord&, const InputRecord&) = default;
};

class InputJournalWriter {
 public:
  // Creates (or appends to) path; an error names the path and the reason.
  [[nodiscard]] static Result<std::unique_ptr<InputJournalWriter>, std::string> open(
      const std::filesystem::path& path);
  ~InputJournalWriter();  // flushes
  InputJournalWriter(const InputJournalWriter&) = delete;
  InputJournalWriter& operator=(const InputJournalWriter&) = delete;

  // Buffered; false (and a count) when the record cannot be encoded or written.
  bool append(const InputRecord& record);
  void flush();
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  InputJournalWriter(std::FILE* file, std::filesystem::path path);
  std::FILE* file_;
  std::filesystem::path path_;
  std::vector<char> buffer_;
  std::uint64_t records_ = 0, failures_ = 0;
};

// Reads every record of a journal in order.
[[nodiscard]] Result<std::vector<InputRecord>, std::string> read_input_journal(
    const std::filesystem::path& path);

}  // namespace oms::actors
