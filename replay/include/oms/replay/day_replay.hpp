// Replay of recorded trading (DESIGN.md "Replay and backtest"): the engine's recorded inputs of
// a time range, run again inline through the same engine on the recorded clock, every event it
// commits compared byte for byte with the one the live engine stored.
//
// A run (one engine's life, input_record.hpp) is replayed from its start -- or, for a range
// that begins inside the run, from the run's last checkpoint before the range (the engine's
// whole state, recorded every few minutes): the engine is built as at the run's start, loads
// the checkpoint, and each stream is read on from where the checkpoint was taken (found by
// binary search on the records' numbers and global sequences). The result is the same as from
// the run's start. A replay that runs through a checkpoint checks its engine's state against
// it (a difference is a divergence, named by section). From the run's start: its start record
// names the setup the engine was built from and each stream's position its rebuild read; the
// replay builds that engine (no shard thread, no venue, no snapshots: the rebuild folds the
// streams), rebuilds it from the recording up to those positions, and runs every record in
// order, each at its recorded time with the event log's global sequence as it was. Records
// before `from` bring the engine to the state it had there (compared, not counted); records
// from `from` through `to` are counted and their events hashed. A run that ends inside the
// range must leave no recorded event unproduced before the next run's start positions.
//
// The result is identical -- the count and SHA-256 of the events of the range -- or the first
// difference: the stream, both versions, and the inputs that led to it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oms/actors/engine.hpp"
#include "oms/persistence/event_store.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "oms/replay/recording.hpp"

namespace oms::replay {

// What a run's engine is built from, given the setup text of its start record.
struct EngineParts {
  std::shared_ptr<const void> owner;  // keeps directory and table alive
  const Directory* directory = nullptr;
  const actors::InstrumentTable* table = nullptr;
  std::shared_ptr<actors::RiskCore> risk;
  actors::EngineOptions options;  // the replay turns off the shard, recording, board
  std::vector<actors::EngineAccount> accounts;
  persistence::StreamLayout layout{{}, {}};
};
using EngineFactory = std::function<Result<EngineParts, std::string>(const std::string& setup)>;

struct ReplayOptions {
  std::uint16_t desk = 1;
  TimeNs from = 0, to = 0;  // the range (the engine's clock), inclusive
  InputStreams streams;
  // Only these accounts' events are counted and hashed (names); empty: every account's and the
  // engine's risk events. Every account still runs and is compared: an account's events carry
  // the daemon-global sequence, which the other accounts' events of the same input move.
  std::vector<std::string> accounts;
  // A range inside a run starts at the run's last checkpoint before it (false: at the run's
  // start, every record before the range run to reach its state).
  bool checkpoints = true;
};

struct ReplayProgress {
  std::uint64_t records = 0, estimated_total = 0;
  double seconds = 0;
};

struct ReplayResult {
  std::uint64_t runs = 0;
  std::uint64_t inputs = 0;          // records of the range run
  std::uint64_t warmup_inputs = 0;   // records before `from` run to reach its state
  std::uint64_t events = 0;          // events of the range, each equal to the recorded one
  std::uint64_t warmup_events = 0;
  std::string sha256;                // of the range's events (subject, 0, payload, 0 each)
  std::uint64_t checkpoints_checked = 0;  // recorded checkpoints the replayed state equalled
  TimeNs started_at_checkpoint = 0;  // the checkpoint the replay started from (0: a run's start)
  std::vector<std::string> notes;    // e.g. a checkpoint that could not be used, and why
  std::optional<std::string> divergence;  // the first difference, as a report
};

// Errors (exit 2 in oms-replay): the store cannot be read, a record does not decode, a hole in
// the recording, a setup the factory refuses, no recorded input in the range.
[[nodiscard]] Result<ReplayResult, std::string> replay_range(
    persistence::EventStore& recording, const ReplayOptions& options, const EngineFactory& factory,
    const std::function<void(const ReplayProgress&)>& progress = {});

// The factory omsd's recordings need: the setup's JSON (setup/engine_setup.hpp) built with
// build_engine(); config_override (non-empty) replaces the recorded config files by these.
[[nodiscard]] EngineFactory setup_factory(std::optional<std::filesystem::path> config_override = {});

}  // namespace oms::replay
