// An engine's start over an account with a long history, no snapshot (the worst case: a data
// directory lost, or the first start after an upgrade):
//   engine_restart_N   a file journal holding N past orders of one account (each submitted, sent,
//                      accepted and filled: order_history.hpp), then the engine built over it as
//                      omsd builds it at a start: the account rebuilt from its stream, then
//                      risk's books folded from every stored fill
//                      (engine_day.cpp) -- a second read of the stream. restart_ms is the whole
//                      construction, fold_ms risk's part (Engine::risk_fold_time), read_ms the
//                      in-run baseline of one read of the stream (read_events, decoded and
//                      checked); fills and events: what the stream holds. One start per
//                      repetition.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "oms/actors/engine.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "order_history.hpp"

namespace {

using namespace oms;
using namespace oms::actors;

constexpr TimeNs kT0 = perf::kHistoryStart;

// N orders through their whole life, committed group by group as the engine commits them.
void record(EventLog& log, std::uint64_t orders) {
  std::uint64_t cause = 1;
  perf::past_orders(orders, 0, [&](TimeNs t, const std::vector<EventPayload>& group) {
    const auto c = log.commit(Envelope{cause, 0, t, t, 0, cause}, group, t);
    ++cause;
    if (!c) throw std::runtime_error(c.error().store.message);
  });
}

void engine_restart(benchmark::State& state, std::uint64_t orders) {
  spdlog::set_level(spdlog::level::err);
  const auto root = std::filesystem::temp_directory_path() / ("oms-restart-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  const Directory directory = perf::history_names();
  const InstrumentTable table = *InstrumentTable::from(perf::history_instruments());
  const persistence::StreamLayout layout({{ExchangeId::kBinance, "main"}}, {});
  const std::string stream = persistence::StreamLayout::account_stream(ExchangeId::kBinance, "main");
  auto opened = persistence::FileJournal::open(root / "journal", layout);
  if (!opened) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  auto journal = std::move(opened).value();
  {
    EventLog log(*journal, nullptr, directory);
    record(log, orders);
    (void)log.flush(std::chrono::seconds(60));
  }
  double restart_ms = 0, fold_ms = 0, read_ms = 0;
  std::size_t events = 0;
  for (auto _ : state) {
    EventLog log(*journal, nullptr, directory);
    const auto r0 = std::chrono::steady_clock::now();
    events = 0;
    read_events(*journal, persistence::ReadRequest{stream, 1, 0, {}}, directory,
                [&](const Event&) { ++events; }, true, RecordChecks{&log.subjects(), log.mac()});
    const auto r1 = std::chrono::steady_clock::now();
    EngineOptions o;
    o.run_shard = false;
    o.record_inputs = false;
    o.clock = [] { return kT0 + 30 * 86'400'000'000'000LL; };
    auto risk = std::make_shared<RiskCore>(1, 1, 2);
    const auto t0 = std::chrono::steady_clock::now();
    Engine engine(std::move(o), table, log, *journal, nullptr, risk,
                  {{AccountId(0), "main", stream, nullptr, nullptr}});
    const auto t1 = std::chrono::steady_clock::now();
    restart_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    fold_ms = std::chrono::duration<double, std::milli>(engine.risk_fold_time()).count();
    read_ms = std::chrono::duration<double, std::milli>(r1 - r0).count();
    benchmark::DoNotOptimize(risk->position(AccountId(0), InstrumentId(0)));
  }
  journal.reset();
  std::filesystem::remove_all(root);
  state.counters["restart_ms"] = restart_ms;
  state.counters["fold_ms"] = fold_ms;
  state.counters["read_ms"] = read_ms;
  state.counters["fills"] = static_cast<double>(orders);
  state.counters["events"] = static_cast<double>(events);
}

void engine_restart_10k(benchmark::State& state) { engine_restart(state, 10'000); }
void engine_restart_100k(benchmark::State& state) { engine_restart(state, 100'000); }

}  // namespace

BENCHMARK(engine_restart_10k)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(engine_restart_100k)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
