// InputRecord: one step of the engine's shard, as the store keeps it for replay (DESIGN.md
// "Replay and backtest"). Every step that can change trading state is one record, made by the
// shard before it runs the step, with the shard's clock for that step (the one time every part
// of the step reads):
//
//   start        a run of the engine began: the setup it was built from (opaque text the
//                daemon gives, e.g. its configs and instruments) and each stream's last sequence
//                its rebuild read; long setups take several start records (value = total bytes)
//   command      an account or risk command (API, strategy actors)      Command
//   report       a venue's report for an account                         Event (id = report id,
//                                                                        event_time = venue time)
//   market_data  a book snapshot/delta, best bid/offer, trade            Event
//   mark         an instrument's mark given from outside the books       instrument, value
//   restart      an operator's restart of one account                    account
//   reconcile    the start-up reconciliation with the venues             -
//   timers       the ack timers due at `now` fired                       -
//   housekeeping reconciliation deadlines, closed orders leaving memory   -
//   valuation    accounts valued at the marks (risk's equity)            -
//   venue_ban    a venue banned an account's connection (kill switch)     account, value raw =
//                                                                        the ban's end (ns)
//   checkpoint   the engine's whole state between two steps (Engine::checkpoint), every
//                checkpoint interval: a replay of a range inside the run starts from the last
//                one before it, and a replay that runs through one checks its own state
//                against it; binary text, split like a start (value = total bytes)
//
// Questions (views, awaits, snapshots on request) change nothing and are not recorded.
//
// Where: market data on its md.{exchange}.{market}.{symbol}.{book|trade|ticker} subject (the
// exchange's MD_ stream), every other step on inputs.{desk}.{step} (the INPUTS stream). A run
// is one engine's life (run id = its clock at start); its records are numbered from 1 without a
// hole (seq), so a replay merges the streams back into the shard's order and sees a missing
// record. Each record also carries the daemon-global event sequence when the step began: the
// events the step committed follow it.
//
// Payload (little endian): u8 version (3), u8 step, u16 desk, u64 run, u64 seq, u64 global_seq,
// i64 now, i64 received_ns, u32 account, u32 instrument, i64 value raw, u8 body kind (0 none,
// 1 command, 2 event, 3 text), then the body: a message in the binary codec (messages/codec.hpp)
// as u16 its size and its bytes without the trailing zeros (a book chunk's unused level slots:
// a 3-level diff takes ~90 bytes, not the chunk's fixed ~480), or the text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

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
  kStart = 10,
  kCheckpoint = 11,
  kVenueBan = 12,
};

[[nodiscard]] std::string_view to_string(InputStep step) noexcept;

struct InputRecord {
  InputStep step = InputStep::kTimers;
  std::uint16_t desk = 1;
  std::uint64_t run = 0;         // the run's id: the engine's clock when it started
  std::uint64_t seq = 0;         // from 1 within the run, contiguous
  std::uint64_t global_seq = 0;  // the last daemon-global event sequence when the step began
  TimeNs now = 0;                // the shard's clock for this step
  TimeNs received_ns = 0;        // when the input entered the process (tracing only)
  AccountId account;
  InstrumentId instrument;
  Decimal value;
  std::variant<std::monostate, Command, Event, std::string> body;
  friend bool operator==(const InputRecord&, const InputRecord&) = default;
};

// A start or checkpoint record's text at most: longer ones are split over several records.
inline constexpr std::size_t kMaxStartText = 256 * 1024;

// Appends the payload to out (cleared first). False when the body cannot be encoded (a message
// over the binary codec's bound).
[[nodiscard]] bool encode_input(const InputRecord& record, std::string& out);
// Errors name what is wrong (version, step, body) -- the caller adds stream and sequence.
[[nodiscard]] Result<InputRecord, std::string> decode_input(std::string_view payload);
// The same into out, reusing its body (a replay's hot loop: no copy of the ~1 KB message
// through a result). On error (the text returned) out is partly written: do not use it.
[[nodiscard]] std::optional<std::string> decode_input_into(std::string_view payload,
                                                           InputRecord& out);

// "inputs.{desk}.{step}" (market data is recorded on its md.* subject instead).
[[nodiscard]] std::string input_subject(std::uint16_t desk, InputStep step);
// The store's deduplication key of a record: distinct for every (desk, run, seq), never an
// event id (whose low four bits hold its group's size, at least 1; these are 0).
[[nodiscard]] EventId input_msg_id(std::uint16_t desk, std::uint64_t run, std::uint64_t seq) noexcept;

}  // namespace oms::actors
