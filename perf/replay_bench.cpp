// Replay throughput (replay/day_replay.hpp): a recording made by the engine itself -- its shard
// fed the shared BTCUSDT recordings (spot 2024-08-08 and 09, USD-M 08: depth diffs, snapshots
// and best bid/offer in receive order, parsed and chunked as the connector does, ~150k inputs),
// recording on into a file journal -- replayed by
// replay_range: every record read back by stream sequence, decoded, merged, and run through the
// engine (books, the strategy stage, the desks) inline. records_per_s = input records replayed
// per second of wall time (the figure's "events": the recording's records).
// - replay_file: from the file journal;
// - replay_jetstream: the same records copied into JetStream (a nats-server on a free loopback
//   port, started by the benchmark), read back by one push consumer per stream, ahead of the
//   engine (StreamCursor).
// - backtest: oms-backtest's run of the shared capture (below).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "oms/actors/engine.hpp"
#include "oms/connectors/binance/market_data.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/configs/config.hpp"
#include "oms/connectors/binance/exchange_info.hpp"
#include "oms/replay/backtest.hpp"
#include "oms/replay/day_replay.hpp"
#include "order_history.hpp"
#include "testkit/nats_server.hpp"
#include "testkit/paths.hpp"
#include "testkit/temp_dir.hpp"

namespace {

using namespace oms;
using namespace std::chrono_literals;

constexpr const char* kSetup = "replay-bench-1";

// One recorded line: its receive time, which instrument, the message JSON.
struct Line {
  std::int64_t ts = 0;
  std::uint32_t instrument = 0;
  std::string json;
};

// Depth diffs, snapshots and best bid/offer of the shared BTCUSDT recordings -- spot 0808 and
// 0809 (instrument 0), USD-M 0808 (instrument 1) -- in receive-time order.
std::vector<Line> load_lines() {
  std::vector<Line> out;
  const std::pair<const char*, std::uint32_t> files[] = {{"spot_btcusdt_20240808.gz", 0},
                                                         {"spot_btcusdt_20240809.gz", 0},
                                                         {"usdm_btcusdt_20240808.gz", 1}};
  for (const auto& [name, instrument] : files) {
    const auto path = (testkit::shared_data() / "hftbacktest" / name).string();
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) return {};
    std::string text, chunk(1 << 16, '\0');
    int n = 0;
    while ((n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0)
      text.append(chunk.data(), static_cast<std::size_t>(n));
    gzclose(f);
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      const std::string_view line(text.data() + start, nl - start);
      start = nl + 1;
      const auto space = line.find(' ');
      if (space == std::string_view::npos) continue;
      if (line.find("depthUpdate") == std::string_view::npos &&
          line.find("lastUpdateId") == std::string_view::npos &&
          line.find("bookTicker") == std::string_view::npos) {
        continue;
      }
      out.push_back(Line{std::stoll(std::string(line.substr(0, space))), instrument,
                         std::string(line.substr(space + 1))});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Line& a, const Line& b) { return a.ts < b.ts; });
  return out;
}

Directory directory() {
  Directory d;
  (void)d.accounts.intern("bench");
  (void)d.strategies.intern("bench");
  (void)d.instruments.intern("binance:spot:BTC/USDT");
  (void)d.instruments.intern("binance:usdm:BTC/USDT:USDT");
  return d;
}

// BTC/USDT spot and the USD-M perpetual, as the history benchmarks have them.
std::vector<Instrument> instruments() { return perf::history_instruments(); }

persistence::StreamLayout layout() {
  return persistence::StreamLayout({{ExchangeId::kBinance, "bench"}}, {ExchangeId::kBinance});
}

actors::EngineOptions engine_options() {
  actors::EngineOptions o;
  o.books = {BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceSpot},
             BookCoreConfig{InstrumentId(1), BookSequencing::kBinanceFutures}};
  o.setup = kSetup;
  return o;
}

std::vector<actors::EngineAccount> accounts() {
  return {{AccountId(0), "bench", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "bench"),
           nullptr, nullptr}};
}

struct Parts {
  Directory directory = ::directory();
  actors::InstrumentTable table = *actors::InstrumentTable::from(instruments());
};

replay::EngineFactory factory() {
  return [](const std::string& setup) -> Result<replay::EngineParts, std::string> {
    if (setup != kSetup) return Unexpected("unknown setup " + setup);
    auto owner = std::make_shared<Parts>();
    replay::EngineParts p;
    p.directory = &owner->directory;
    p.table = &owner->table;
    p.risk = std::make_shared<actors::RiskCore>(1, 1, 2);
    p.options = engine_options();
    p.accounts = accounts();
    p.layout = layout();
    p.owner = owner;
    return p;
  };
}

// The recording, made once: the live engine's shard with recording on.
struct Recording {
  testkit::TempDir dir{"replay-bench"};
  std::unique_ptr<persistence::FileJournal> journal;
  std::uint64_t records = 0;
  std::string error;

  Recording() {
    spdlog::set_level(spdlog::level::warn);
    const auto lines = load_lines();
    if (lines.empty()) {
      error = "the shared spot BTCUSDT recording is not in ../shared/data";
      return;
    }
    auto j = persistence::FileJournal::open(dir.path() / "journal", layout());
    if (!j) {
      error = j.error().message;
      return;
    }
    journal = std::move(j).value();
    const Directory d = directory();
    const auto table = *actors::InstrumentTable::from(instruments());
    actors::EventLog log(*journal, nullptr, d);
    {
      auto o = engine_options();
      o.record_inputs = true;
      actors::Engine engine(std::move(o), table, log, *journal, nullptr,
                            std::make_shared<actors::RiskCore>(1, 1, 2), accounts());
      binance::JsonParser parser;
      binance::MarketMessage msg;
      std::vector<BookDelta> deltas;
      std::vector<BookSnapshot> snapshots;
      for (const auto& line : lines) {
        auto r = binance::parse_market_data(parser, line.json, msg);
        if (!r) continue;
        const InstrumentId ins(line.instrument);
        if (*r == binance::MarketMessageKind::kDepthUpdate) {
          binance::to_book_deltas(msg.depth, ins, deltas);
          for (const auto& x : deltas) engine.market_data(line.ts, x);
        } else if (*r == binance::MarketMessageKind::kDepthSnapshot) {
          binance::to_book_snapshots(msg.snapshot, ins, snapshots);
          for (const auto& x : snapshots) engine.market_data(line.ts, x);
        } else if (*r == binance::MarketMessageKind::kBookTicker) {
          engine.market_data(line.ts, binance::to_best_bid_offer(msg.book_ticker, ins));
        }
      }
      // The shard has taken every input when a question behind them is answered.
      (void)engine.view(AccountId(0), 60s);
    }
    (void)log.flush(60s);
    for (const char* s : {"INPUTS", "MD_binance"}) records += *journal->last_sequence(s);
  }
};

Recording& recording() {
  static Recording r;
  return r;
}

replay::ReplayOptions whole() {
  replay::ReplayOptions o;
  o.from = 0;
  o.to = std::numeric_limits<TimeNs>::max();
  o.streams.md_streams = {"MD_binance"};
  return o;
}

void run(benchmark::State& state, persistence::EventStore& store, std::uint64_t records) {
  double seconds = 0;
  std::uint64_t replayed = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = replay::replay_range(store, whole(), factory());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r || r->divergence) {
      state.SkipWithError(r ? r->divergence->c_str() : r.error().c_str());
      return;
    }
    replayed += r->inputs + r->runs;  // the start record too
  }
  state.counters["records_per_s"] = static_cast<double>(replayed) / seconds;
  state.counters["records"] = static_cast<double>(records);
}

void replay_file(benchmark::State& state) {
  auto& rec = recording();
  if (!rec.error.empty()) {
    state.SkipWithError(rec.error.c_str());
    return;
  }
  run(state, *rec.journal, rec.records);
}

void replay_jetstream(benchmark::State& state) {
  auto& rec = recording();
  if (!rec.error.empty()) {
    state.SkipWithError(rec.error.c_str());
    return;
  }
  static testkit::TempDir nats_dir{"replay-bench-nats"};
  static testkit::NatsServer nats(nats_dir.path());
  static std::unique_ptr<persistence::JetStreamStore> js = [&] {
    nats.start();
    nats.wait_jetstream_ready();
    persistence::JetStreamOptions o;
    o.servers = {nats.url()};
    auto j = persistence::JetStreamStore::open(layout(), o);
    if (!j) return std::unique_ptr<persistence::JetStreamStore>();
    const auto lay = layout();
    for (const auto& spec : lay.streams()) {
      persistence::ReadRequest r;
      r.stream = spec.name;
      (void)rec.journal->read(r, [&](const persistence::StoredRecord& s) {
        (*j)->append({std::string(s.subject), std::string(s.payload), s.msg_id, s.time},
                     [](const Result<std::uint64_t, persistence::StoreError>&) {});
        return true;
      });
    }
    (void)(*j)->flush(120s);
    return std::move(j).value();
  }();
  if (!js) {
    state.SkipWithError("JetStream did not open");
    return;
  }
  run(state, *js, rec.records);
}

// The backtest of the shared 2024-08-08 BTCUSDT spot + USD-M capture with the basis pair
// (tests/replay/backtest_test.cpp's setup): market-data messages per second (a depth diff counts
// once) through the engine and the in-process venue, read from the converted cache
// (md_cache.hpp); convert_messages_per_s: the one-time conversion of the .gz JSON.
void backtest(benchmark::State& state) {
  const auto hb = testkit::shared_data() / "hftbacktest";
  const auto cf = testkit::shared_data() / "cryptofeed";
  replay::BacktestOptions o;
  try {
    o.setup.config = configs::read_config_texts(OMS_SOURCE_DIR "/configs");
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const auto edit = [&](std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at != std::string::npos) text.replace(at, from.size(), to);
  };
  edit(o.setup.config.strategies,
       "      - symbol: BTC/USDT:USDT\n        exchanges: [binance, bybit]\n"
       "        min_profit_rate: 0.0008\n        max_position: 20000\n",
       "      - legs: [binance:BTC/USDT, binance:BTC/USDT:USDT]\n"
       "        min_profit_rate: 0.000001\n        max_position: 100\n");
  edit(o.setup.config.strategies, "      timeout: 2s\n", "      timeout: 250ms\n");
  edit(o.setup.config.exchanges, "          taker_bps: 10\n", "          taker_bps: 0\n");
  edit(o.setup.config.exchanges, "          taker_bps: 5\n", "          taker_bps: 0\n");
  // As the test: binance_basis may hold risk.yaml's 60,000 USDT gross.
  edit(o.setup.config.accounts, "      max_position_usdt: 30000\n", "      max_position_usdt: 60000\n");
  for (const auto& [file, m] : {std::pair{"BINANCE_spot_exchangeInfo_20211012.json", Market::kSpot},
                               std::pair{"BINANCE_FUTURES_usdm_exchangeInfo_20210722.json", Market::kUsdm}}) {
    std::ifstream in(cf / file, std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = binance::parse_exchange_info(body, m);
    if (!parsed) {
      state.SkipWithError("the shared exchangeInfo files are not in ../shared/data");
      return;
    }
    for (auto& i : *parsed) {
      if (i.venue_symbol == "BTCUSDT") o.setup.instruments.push_back(std::move(i));
    }
  }
  o.setup.accounts = {{"binance_basis", ExchangeId::kBinance, {Market::kSpot, Market::kUsdm}}};
  for (const char* f : {"spot_btcusdt_20240808.gz", "usdm_btcusdt_20240808.gz"}) {
    auto df = replay::data_file(hb / f);
    if (!df) {
      state.SkipWithError(df.error().c_str());
      return;
    }
    o.data.push_back(*df);
  }
  spdlog::set_level(spdlog::level::warn);  // as oms-backtest runs
  testkit::TempDir dir{"backtest-bench"};
  o.journal = dir.path() / "journal";
  o.cache = dir.path() / "cache";
  // Converted once (timed apart: backtest_convert_messages_per_s), then every run reads the cache.
  {
    auto first = replay::run_backtest(o);
    if (!first) {
      state.SkipWithError(first.error().c_str());
      return;
    }
    state.counters["convert_messages_per_s"] =
        static_cast<double>(first->converted_messages) / first->convert_seconds;
  }
  double seconds = 0;
  std::uint64_t messages = 0, orders = 0;
  for (auto _ : state) {
    // The previous run's journal goes before the clock starts (run_backtest replaces it: its
    // files' deletion is the file system's time, not the engine's).
    std::error_code ec;
    std::filesystem::remove_all(o.journal, ec);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = replay::run_backtest(o);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) {
      state.SkipWithError(r.error().c_str());
      return;
    }
    messages += r->messages;
    orders = r->orders.size();
  }
  state.counters["messages_per_s"] = static_cast<double>(messages) / seconds;
  state.counters["orders"] = static_cast<double>(orders);
}

// What a checkpoint costs the shard (EngineOptions::checkpoint_interval): the engine brought to
// the recording's end (both BTCUSDT books at their recorded depth, thousands of levels a side),
// then its whole state saved 200 times, each timed on its own (p50, max), and loaded once into
// a fresh engine.
void checkpoint(benchmark::State& state) {
  auto& rec = recording();
  if (!rec.error.empty()) {
    state.SkipWithError(rec.error.c_str());
    return;
  }
  auto parts = factory()(kSetup);
  actors::EventLog log(*rec.journal, nullptr, *parts->directory, actors::Publish::kInline);
  auto o = parts->options;
  o.run_shard = false;
  o.clock = [] { return TimeNs{1}; };
  // Events of this engine would go into the recording's journal: it makes none (no account
  // trades), and the benchmark checks that.
  const auto events = [&rec]() -> std::uint64_t {
    auto last = rec.journal->last_sequence("ACCOUNT_binance_bench");
    return last ? *last : 0;
  };
  const std::uint64_t before = events();
  actors::Engine engine(o, *parts->table, log, *rec.journal, nullptr, parts->risk, parts->accounts);
  auto reader = replay::InputReader::open(*rec.journal, whole().streams, 1, 0);
  if (!reader) {
    state.SkipWithError(reader.error().c_str());
    return;
  }
  for (;;) {
    auto n = (*reader)->next();
    if (!n || *n == nullptr) break;
    engine.step(**n);
  }
  std::vector<double> us;
  std::string bytes;
  for (auto _ : state) {
    for (int i = 0; i < 200; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      bytes = engine.checkpoint();
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  auto fresh_parts = factory()(kSetup);
  actors::EventLog fresh_log(*rec.journal, nullptr, *fresh_parts->directory, actors::Publish::kInline);
  actors::Engine fresh(o, *fresh_parts->table, fresh_log, *rec.journal, nullptr, fresh_parts->risk,
                       fresh_parts->accounts);
  const auto t0 = std::chrono::steady_clock::now();
  const auto loaded = fresh.load_checkpoint(bytes);
  const double load_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  if (loaded || fresh.checkpoint() != bytes || events() != before) {
    state.SkipWithError(loaded ? loaded->c_str() : "the loaded engine saves other bytes");
    return;
  }
  std::sort(us.begin(), us.end());
  state.counters["checkpoint_p50_us"] = us[us.size() / 2];
  state.counters["checkpoint_max_us"] = us.back();
  state.counters["checkpoint_bytes"] = static_cast<double>(bytes.size());
  state.counters["checkpoint_load_us"] = load_us;
}

BENCHMARK(replay_file)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(checkpoint)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(backtest)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(replay_jetstream)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
