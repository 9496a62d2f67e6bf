// EngineSetup: everything omsd builds its engine from -- the four config files as they were
// read, the venues' instruments and rules as the venues listed them, the accounts it runs and
// the engine's settings -- as one value. omsd builds its engine through build_engine(); the
// engine keeps the setup's JSON in its run's start record (input_record.hpp), so oms-replay
// builds the very same engine (the same ids, limits, books and strategy stage) from a
// recording, with no access to the venues or to the config files of that day.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oms/actors/engine.hpp"
#include "oms/configs/config.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/cores/risk_core.hpp"
#include "oms/messages/codec.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::setup {

struct SetupAccount {
  std::string name;  // as configured
  ExchangeId exchange = ExchangeId::kBinance;
  std::vector<Market> markets;  // the markets this daemon trades for it
  friend bool operator==(const SetupAccount&, const SetupAccount&) = default;
};

struct EngineSetup {
  configs::ConfigTexts config;
  std::vector<Instrument> instruments;  // as listed by the venues; ids are their positions
  std::vector<SetupAccount> accounts;   // the accounts this daemon runs, in config order
  // Configured accounts other daemons of the desk run (omsd --accounts left them out), in
  // config order: a strategy trading only these is theirs (EngineStrategy::elsewhere); one
  // trading some of these and some of this daemon's is refused (build_engine).
  std::vector<std::string> other_accounts;
  std::uint16_t desk = 1;
  std::chrono::milliseconds ack_timeout{5000};
  std::chrono::milliseconds in_doubt_ttl{0};  // EngineOptions::in_doubt_ttl
  std::uint64_t snapshot_every = 1000;
  std::chrono::minutes snapshot_interval{60};
  std::chrono::milliseconds closed_order_retention{std::chrono::minutes(5)};
};

[[nodiscard]] std::string encode_setup(const EngineSetup& setup);
// Errors name the field that is missing or wrong.
[[nodiscard]] Result<EngineSetup, std::string> decode_setup(std::string_view json);

// The engine's parts, built from a setup. Not movable: the engine keeps references into it.
struct BuiltEngine {
  EngineSetup setup;
  configs::Config config;
  Directory directory;                 // accounts and strategies in config order, instruments
  std::vector<Instrument> instruments;  // with their ids
  std::unique_ptr<actors::InstrumentTable> table;
  std::shared_ptr<actors::RiskCore> risk;  // risk.yaml's limits applied
  std::vector<BookCoreConfig> books;       // one per instrument
  std::vector<actors::ArbGroup> arbitrage;
  std::vector<actors::QuoterConfig> quoters;  // market making
  std::vector<AccountId> account_ids;      // setup.accounts' ids
  std::vector<std::string> notes;          // limits not placed, pairs that cannot run: for the log

  BuiltEngine() = default;
  BuiltEngine(const BuiltEngine&) = delete;
  BuiltEngine& operator=(const BuiltEngine&) = delete;

  // The engine options the setup decides (settings, books, the strategy stage, the desk, the
  // setup's JSON for the start record); the caller adds clock, CPU, wait mode, board, recording.
  [[nodiscard]] actors::EngineOptions engine_options() const;
  // The accounts, without sessions (the caller adds them) or loggers.
  [[nodiscard]] std::vector<actors::EngineAccount> engine_accounts() const;
  // The store's streams for these accounts and exchanges.
  [[nodiscard]] persistence::StreamLayout stream_layout() const;
};

// risk.yaml's kill_switch: as the engine's automatic trips (names to ids; an unknown name is
// left out -- the config load has refused it already).
[[nodiscard]] actors::KillSwitchRules kill_switch_rules(const configs::KillSwitchConfig& k,
                                                        const Directory& directory);

// The configured accounts a strategy trades (its arbitrage accounts, its quoted and trend
// instruments' accounts), each once, in the order the config names them.
[[nodiscard]] std::vector<std::string> strategy_accounts(const configs::Strategy& strategy);

// Throws configs::ConfigError (the config texts) or std::runtime_error naming the instrument or
// account that does not fit, or the strategy whose accounts two daemons would share.
[[nodiscard]] std::unique_ptr<BuiltEngine> build_engine(EngineSetup setup);

}  // namespace oms::setup
