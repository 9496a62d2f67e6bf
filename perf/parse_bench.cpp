// Binance and Bybit parsing benchmarks (connectors/src/{binance,bybit}/parse_*.cpp):
// - depth_parse: a small spot depthUpdate (2 bids, 2 asks, as the raw <symbol>@depth stream
//   sends it) into DepthUpdate with exact Decimals, the parser object reused -- parse_market_data
//   as the connector calls it, which takes the depthUpdate scan (connectors/src/binance/
//   depth_scan.hpp: one pass over the bytes, no simdjson document, so it can go under the raw
//   walk below);
//   baselines in the same run: nlohmann::json parsing the same text into a DOM (no decimals),
//   and depth_parse_raw (below);
// - bybit_depth_parse: a Bybit v5 orderbook delta (3 bids, 3 asks, the shape of the linear
//   orderbook.50 stream) into OrderBookUpdate with exact Decimals, the parser object reused;
// - bybit_depth_parse_raw / depth_parse_raw: the floor for the same text -- copied into a
//   reused padded buffer as our parsers do, then simdjson ondemand walks it touching every
//   key's and string's bytes and parsing every number; no decimals, nothing stored;
// - okx_depth_parse: an OKX v5 books update (3 bids, 3 asks of a 400-level BTC-USDT book, with
//   seqId / prevSeqId / checksum) parsed into OrderBookUpdate with exact Decimals (the books scan,
//   connectors/src/okx/book_scan.hpp, as parse_market_data takes it), applied to the
//   BookChecker and its checksum over the top 25 computed and compared -- the whole per-message
//   cost of a verified OKX book. The update sets levels to what they already are, so every
//   message does the same work; 1024 texts with consecutive seqIds are cycled, and at each wrap a
//   small snapshot (the same book, 25 levels a side) resets the chain, inside the timing (~1/1024);
// - okx_depth_parse_only / okx_book_checksum: okx_depth_parse's two shares, for information --
//   the same update texts parsed with no checker, and BookChecker::checksum over the 400-level
//   book's top 25 (the text of 50 levels built and its CRC32 folded) on its own;
// - okx_depth_parse_raw: the raw walk (below) over the same update text;
// - upbit_orderbook_parse: an Upbit orderbook message (DEFAULT names, 15 units of KRW-BTC as
//   the docs' example, compact as the venue sends it; every price and size a JSON number read
//   exactly from its text) into upbit::Orderbook, the parser object reused;
// - upbit_orderbook_parse_raw: the raw walk over the same text;
// - execution_report_parse: a spot executionReport (TRADE, all fields);
// - book_replay: oms-md's book on the shared spot BTCUSDT files (0808 + 0809, decompressed into
//   memory first): every depth diff and the snapshot parsed, chunked and applied to BookCore;
//   updates_per_s = depth updates applied per second.
// p50/p99/p99.9 per message as in perf/latency.hpp.
#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "latency.hpp"
#include "oms/cores/book_core.hpp"
#include "oms/connectors/binance/market_data.hpp"
#include "oms/connectors/binance/user_data.hpp"
#include "oms/connectors/bybit/market_data.hpp"
#include "oms/connectors/okx/book_checker.hpp"
#include "oms/connectors/okx/market_data.hpp"
#include "oms/connectors/upbit/market_data.hpp"
#include "testkit/paths.hpp"

namespace {

constexpr std::string_view kDepth =
    R"({"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,)"
    R"("b":[["61737.63000000","0.00000000"],["61837.63000000","3.78826000"]],)"
    R"("a":[["61837.64000000","1.54698000"],["61838.00000000","0.12000000"]]})";

// Written for this benchmark in the shape of Bybit's linear orderbook deltas (values made up).
constexpr std::string_view kBybitDepth =
    R"({"topic":"orderbook.50.ETHUSDT","type":"delta","ts":1712000000123,"data":{"s":"ETHUSDT",)"
    R"("b":[["3391.05","12.48"],["3390.80","0"],["3389.95","4.02"]],)"
    R"("a":[["3391.06","0.75"],["3392.40","0"],["3393.10","21.6"]],)"
    R"("u":4180551,"seq":221870064211},"cts":1712000000120})";

constexpr std::string_view kExecutionReport =
    R"({"e":"executionReport","E":1709654401000,"s":"ETHUSDT","c":"x-TD67BGP9-T0000000000000",)"
    R"("S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"2500.00000000","P":"0.00000000",)"
    R"("F":"0.00000000","g":-1,"C":"","x":"TRADE","X":"FILLED","r":"NONE","i":12345678,)"
    R"("l":"1.00000000","z":"1.00000000","L":"2500.00000000","n":"0.00100000","N":"ETH",)"
    R"("T":1709654401000,"t":98765432,"I":123456789,"w":false,"m":true,"M":true,)"
    R"("O":1709654400000,"Z":"2500.00000000","Y":"2500.00000000","Q":"0.00000000",)"
    R"("W":1709654400000,"V":"NONE"})";

void bench_depth_parse(benchmark::State& state) {
  oms::binance::JsonParser parser;
  oms::binance::MarketMessage msg;
  oms::perf::run_timed(state, [&](std::size_t) {
    auto r = oms::binance::parse_market_data(parser, kDepth, msg);
    if (!r) std::abort();
    benchmark::DoNotOptimize(msg.depth.last_update_id);
  });
}

void bench_bybit_depth_parse(benchmark::State& state) {
  oms::bybit::JsonParser parser;
  oms::bybit::MarketMessage msg;
  oms::perf::run_timed(state, [&](std::size_t) {
    auto r = oms::bybit::parse_market_data(parser, kBybitDepth, msg);
    if (!r || msg.book.bids.size() != 3) std::abort();
    benchmark::DoNotOptimize(msg.book.update_id);
  });
}

// The raw walk: every key's and string's bytes summed, every number parsed.
namespace od = simdjson::ondemand;
std::uint64_t touch(std::string_view s) {
  std::uint64_t sum = 0;
  for (const char c : s) sum += static_cast<unsigned char>(c);
  return sum;
}
std::uint64_t walk(od::value v);
std::uint64_t walk(od::object obj) {
  std::uint64_t sum = 0;
  for (auto field : obj) {
    std::string_view key;
    od::value v;
    if (field.unescaped_key().get(key) || field.value().get(v)) std::abort();
    sum += touch(key) + walk(v);
  }
  return sum;
}
std::uint64_t walk(od::value v) {
  od::json_type t;
  if (v.type().get(t)) std::abort();
  switch (t) {
    case od::json_type::object: {
      od::object obj;
      if (v.get_object().get(obj)) std::abort();
      return walk(obj);
    }
    case od::json_type::array: {
      std::uint64_t sum = 0;
      for (auto element : v.get_array()) {
        od::value x;
        if (std::move(element).get(x)) std::abort();
        sum += walk(x);
      }
      return sum;
    }
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) std::abort();
      return touch(s);
    }
    case od::json_type::number: {
      od::number n;
      if (v.get_number().get(n)) std::abort();
      if (n.is_uint64()) return n.get_uint64();
      if (n.is_int64()) return static_cast<std::uint64_t>(n.get_int64());
      return static_cast<std::uint64_t>(n.get_double());
    }
    case od::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b)) std::abort();
      return b ? 1 : 0;
    }
    case od::json_type::null: return 0;
  }
  return 0;
}

void run_raw(benchmark::State& state, std::string_view json) {
  od::parser parser;
  std::vector<char> buffer(json.size() + simdjson::SIMDJSON_PADDING);
  oms::perf::run_timed(state, [&](std::size_t) {
    std::copy(json.begin(), json.end(), buffer.begin());
    od::document doc;
    od::object obj;
    if (parser.iterate(buffer.data(), json.size(), buffer.size()).get(doc) ||
        doc.get_object().get(obj))
      std::abort();
    benchmark::DoNotOptimize(walk(obj));
  });
}
void bench_bybit_depth_parse_raw(benchmark::State& state) { run_raw(state, kBybitDepth); }

// ---- OKX: a books update through the parser and the BookChecker ----------------------------------
// A BTC-USDT book of 400 levels a side in the shape of OKX's (prices 0.1 apart, 8-decimal sizes),
// the update touching levels 0, 2 and 5 of each side with the sizes they have.
struct OkxBench {
  static constexpr std::size_t kLevels = 400, kTexts = 1024;
  static constexpr std::int64_t kFirstSeq = 9'000'000'000;
  std::vector<std::string> bid_px, bid_sz, ask_px, ask_sz;
  std::string snapshot;            // the whole book, seqId kFirstSeq
  std::string reset;               // the top 25 a side, seqId kFirstSeq: the chain restarts
  std::vector<std::string> updates;  // prevSeqId kFirstSeq + i, seqId kFirstSeq + i + 1

  OkxBench() {
    for (std::size_t i = 0; i < kLevels; ++i) {
      const auto tenth = static_cast<long>(i);
      bid_px.push_back(std::to_string(30243 - tenth / 10) + "." + std::to_string(9 - tenth % 10));
      ask_px.push_back(std::to_string(30244 + tenth / 10) + "." + std::to_string(tenth % 10));
      bid_sz.push_back("0." + std::to_string(10000000 + (i * 7919) % 89999999));
      ask_sz.push_back(std::to_string(i % 7) + "." + std::to_string(10000000 + (i * 104729) % 89999999));
    }
    snapshot = book_text("snapshot", kLevels, -1, kFirstSeq);
    reset = book_text("snapshot", oms::okx::kChecksumDepth, -1, kFirstSeq);
    const std::int32_t sum = checksum();
    for (std::size_t k = 0; k < kTexts; ++k) {
      const auto prev = kFirstSeq + static_cast<std::int64_t>(k);
      updates.push_back(
          R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[)" +
          level(ask_px[0], ask_sz[0], 4) + "," + level(ask_px[2], ask_sz[2], 1) + "," +
          level(ask_px[5], ask_sz[5], 2) + R"(],"bids":[)" + level(bid_px[0], bid_sz[0], 3) + "," +
          level(bid_px[2], bid_sz[2], 1) + "," + level(bid_px[5], bid_sz[5], 6) +
          R"(],"ts":"1652459225453","checksum":)" + std::to_string(sum) +
          R"(,"prevSeqId":)" + std::to_string(prev) + R"(,"seqId":)" + std::to_string(prev + 1) +
          "}]}");
    }
  }
  static std::string level(const std::string& px, const std::string& sz, int orders) {
    return "[\"" + px + "\",\"" + sz + "\",\"0\",\"" + std::to_string(orders) + "\"]";
  }
  std::string book_text(const char* action, std::size_t n, std::int64_t prev, std::int64_t seq) {
    std::string asks, bids;
    for (std::size_t i = 0; i < n; ++i) {
      asks += (i ? "," : "") + level(ask_px[i], ask_sz[i], 1);
      bids += (i ? "," : "") + level(bid_px[i], bid_sz[i], 1);
    }
    return std::string(R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":")") + action +
           R"(","data":[{"asks":[)" + asks + R"(],"bids":[)" + bids +
           R"(],"ts":"1652459225381","checksum":)" + std::to_string(checksum()) +
           R"(,"prevSeqId":)" + std::to_string(prev) + R"(,"seqId":)" + std::to_string(seq) + "}]}";
  }
  std::int32_t checksum() const {
    std::vector<oms::okx::TextLevel> b, a;
    for (std::size_t i = 0; i < oms::okx::kChecksumDepth; ++i) {
      b.push_back({bid_px[i], bid_sz[i]});
      a.push_back({ask_px[i], ask_sz[i]});
    }
    return oms::okx::book_checksum(b, a);
  }
};
const OkxBench& okx_bench() {
  static const OkxBench kBench;
  return kBench;
}
const oms::okx::InstrumentFinder kOkxFind =
    [](std::string_view) -> std::optional<oms::okx::InstrumentRef> {
  return oms::okx::InstrumentRef{oms::InstrumentId{1}};
};

void bench_okx_depth_parse(benchmark::State& state) {
  const OkxBench& b = okx_bench();
  oms::okx::JsonParser parser;
  oms::okx::MarketMessage msg;
  oms::okx::BookChecker checker;
  const auto apply = [&](std::string_view text) {
    auto r = oms::okx::parse_market_data(parser, text, kOkxFind, msg);
    if (!r) std::abort();
    const auto check = checker.apply(msg.book);
    if (check.status != oms::okx::BookCheckStatus::kVerified || !check.compared) std::abort();
    return check.sequence.seq_id;
  };
  (void)apply(b.snapshot);
  oms::perf::run_timed(state, [&](std::size_t i) {
    const std::size_t k = i % OkxBench::kTexts;
    if (k == 0 && i > 0) (void)apply(b.reset);  // the chain restarts (see the header)
    benchmark::DoNotOptimize(apply(b.updates[k]));
  });
}
void bench_okx_depth_parse_only(benchmark::State& state) {
  const OkxBench& b = okx_bench();
  oms::okx::JsonParser parser;
  oms::okx::MarketMessage msg;
  oms::perf::run_timed(state, [&](std::size_t i) {
    auto r = oms::okx::parse_market_data(parser, b.updates[i % OkxBench::kTexts], kOkxFind, msg);
    if (!r) std::abort();
    benchmark::DoNotOptimize(msg.book.seq_id);
  });
}
void bench_okx_book_checksum(benchmark::State& state) {
  oms::okx::JsonParser parser;
  oms::okx::MarketMessage msg;
  oms::okx::BookChecker checker;
  if (!oms::okx::parse_market_data(parser, okx_bench().snapshot, kOkxFind, msg) ||
      checker.apply(msg.book).status != oms::okx::BookCheckStatus::kVerified)
    std::abort();
  oms::perf::run_timed(state, [&](std::size_t) { benchmark::DoNotOptimize(checker.checksum()); });
}
void bench_okx_depth_parse_raw(benchmark::State& state) { run_raw(state, okx_bench().updates[0]); }

// Upbit: the docs' 15-unit KRW-BTC orderbook (docs.upbit.com websocket-orderbook), compact.
constexpr std::string_view kUpbitOrderbook =
    R"({"type":"orderbook","code":"KRW-BTC","timestamp":1725930007672,"total_ask_size":450.3526,)"
    R"("total_bid_size":63.3006,"orderbook_units":[)"
    R"({"ask_price":478800,"bid_price":478300,"ask_size":4.3478,"bid_size":5.637},)"
    R"({"ask_price":489700,"bid_price":477900,"ask_size":2.3642,"bid_size":0.9705},)"
    R"({"ask_price":493100,"bid_price":471200,"ask_size":411.8686,"bid_size":3.9279},)"
    R"({"ask_price":493300,"bid_price":471100,"ask_size":2.0241,"bid_size":1.4699},)"
    R"({"ask_price":493700,"bid_price":471000,"ask_size":1.787,"bid_size":2.2573},)"
    R"({"ask_price":493800,"bid_price":470700,"ask_size":3.9372,"bid_size":9.7805},)"
    R"({"ask_price":494900,"bid_price":470400,"ask_size":5.756,"bid_size":0.8093},)"
    R"({"ask_price":495300,"bid_price":470300,"ask_size":3.6418,"bid_size":4.6606},)"
    R"({"ask_price":495700,"bid_price":470100,"ask_size":2.9617,"bid_size":5.4907},)"
    R"({"ask_price":495800,"bid_price":469700,"ask_size":0.2349,"bid_size":2.3941},)"
    R"({"ask_price":496100,"bid_price":469600,"ask_size":2.6019,"bid_size":4.5505},)"
    R"({"ask_price":496800,"bid_price":469500,"ask_size":3.4651,"bid_size":5.4469},)"
    R"({"ask_price":496900,"bid_price":469200,"ask_size":0.84,"bid_size":10.1685},)"
    R"({"ask_price":497400,"bid_price":469100,"ask_size":2.1924,"bid_size":5.1646},)"
    R"({"ask_price":497900,"bid_price":469000,"ask_size":2.3299,"bid_size":0.5723}],)"
    R"("level":0,"stream_type":"REALTIME"})";
const oms::upbit::InstrumentFinder kUpbitFind =
    [](std::string_view) -> std::optional<oms::InstrumentId> { return oms::InstrumentId{1}; };

void bench_upbit_orderbook_parse(benchmark::State& state) {
  oms::upbit::JsonParser parser;
  oms::upbit::MarketMessage msg;
  oms::perf::run_timed(state, [&](std::size_t) {
    auto r = oms::upbit::parse_market_data(parser, kUpbitOrderbook, kUpbitFind, msg);
    if (!r || msg.orderbook.units.size() != 15) std::abort();
    benchmark::DoNotOptimize(msg.orderbook.units.back().bid_size);
  });
}
void bench_upbit_orderbook_parse_raw(benchmark::State& state) { run_raw(state, kUpbitOrderbook); }
void bench_depth_parse_raw(benchmark::State& state) { run_raw(state, kDepth); }

void bench_depth_parse_nlohmann(benchmark::State& state) {
  oms::perf::run_timed(state, [&](std::size_t) {
    auto j = nlohmann::json::parse(kDepth);
    benchmark::DoNotOptimize(j);
  });
}

void bench_execution_report_parse(benchmark::State& state) {
  oms::binance::JsonParser parser;
  oms::binance::UserDataMessage msg;
  oms::perf::run_timed(state, [&](std::size_t) {
    auto r = oms::binance::parse_user_data(parser, kExecutionReport, msg);
    if (!r) std::abort();
    benchmark::DoNotOptimize(msg.order.cum_qty);
  });
}

// The depth diff and snapshot lines of the spot BTCUSDT recordings, JSON only.
std::vector<std::string> load_depth_lines() {
  std::vector<std::string> out;
  for (const char* name : {"spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz"}) {
    const auto path = (oms::testkit::shared_data() / "hftbacktest" / name).string();
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) std::abort();
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
      const auto space = line.find(' ');
      if (space != std::string_view::npos &&
          (line.find("depthUpdate") != std::string_view::npos ||
           line.find("lastUpdateId") != std::string_view::npos))
        out.emplace_back(line.substr(space + 1));
      start = nl + 1;
    }
  }
  return out;
}

// The parse share of book_replay: the same lines parsed and chunked, nothing applied.
void bench_book_replay_parse_only(benchmark::State& state) {
  static const std::vector<std::string> lines = load_depth_lines();
  oms::binance::JsonParser parser;
  oms::binance::MarketMessage msg;
  std::vector<oms::BookDelta> deltas;
  std::size_t parsed = 0, levels = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& line : lines) {
      auto r = oms::binance::parse_market_data(parser, line, msg);
      if (!r) std::abort();
      if (*r == oms::binance::MarketMessageKind::kDepthUpdate) {
        oms::binance::to_book_deltas(msg.depth, oms::InstrumentId{0}, deltas);
        levels += msg.depth.bids.size() + msg.depth.asks.size();
      }
      ++parsed;
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["updates_per_s"] = benchmark::Counter(static_cast<double>(parsed) / seconds);
  state.counters["levels_per_update"] =
      benchmark::Counter(static_cast<double>(levels) / static_cast<double>(parsed));
}

void bench_book_replay(benchmark::State& state) {
  static const std::vector<std::string> lines = load_depth_lines();
  oms::binance::JsonParser parser;
  oms::binance::MarketMessage msg;
  std::vector<oms::BookDelta> deltas;
  std::vector<oms::BookSnapshot> snapshots;
  std::size_t applied = 0;
  double seconds = 0;
  for (auto _ : state) {
    oms::BookCore book({oms::InstrumentId{0}, oms::BookSequencing::kBinanceSpot});
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& line : lines) {
      auto r = oms::binance::parse_market_data(parser, line, msg);
      if (!r) std::abort();
      oms::BookApplyResult res;
      if (*r == oms::binance::MarketMessageKind::kDepthUpdate) {
        oms::binance::to_book_deltas(msg.depth, book.instrument(), deltas);
        for (const auto& d : deltas) res = book.apply(d);
      } else {
        oms::binance::to_book_snapshots(msg.snapshot, book.instrument(), snapshots);
        for (const auto& s : snapshots) res = book.apply(s);
      }
      if (res.status == oms::BookApplyStatus::kApplied) ++applied;
      if (res.status == oms::BookApplyStatus::kResyncNeeded) std::abort();
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(book.best_bid());
  }
  state.counters["updates_per_s"] = benchmark::Counter(static_cast<double>(applied) / seconds);
  state.counters["updates"] = benchmark::Counter(
      static_cast<double>(applied) / static_cast<double>(state.iterations()));
}

}  // namespace

BENCHMARK(bench_depth_parse)->Name("depth_parse");
BENCHMARK(bench_depth_parse_nlohmann)->Name("depth_parse_nlohmann");
BENCHMARK(bench_depth_parse_raw)->Name("depth_parse_raw");
BENCHMARK(bench_bybit_depth_parse)->Name("bybit_depth_parse");
BENCHMARK(bench_bybit_depth_parse_raw)->Name("bybit_depth_parse_raw");
BENCHMARK(bench_okx_depth_parse)->Name("okx_depth_parse");
BENCHMARK(bench_okx_depth_parse_only)->Name("okx_depth_parse_only");
BENCHMARK(bench_okx_book_checksum)->Name("okx_book_checksum");
BENCHMARK(bench_okx_depth_parse_raw)->Name("okx_depth_parse_raw");
BENCHMARK(bench_upbit_orderbook_parse)->Name("upbit_orderbook_parse");
BENCHMARK(bench_upbit_orderbook_parse_raw)->Name("upbit_orderbook_parse_raw");
BENCHMARK(bench_execution_report_parse)->Name("execution_report_parse");
BENCHMARK(bench_book_replay)->Name("book_replay")->Unit(benchmark::kMillisecond);
BENCHMARK(bench_book_replay_parse_only)->Name("book_replay_parse_only")->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
