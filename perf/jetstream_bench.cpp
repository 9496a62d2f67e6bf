// JetStream throughput through our EventStore, against raw nats.c async publishing of the
// same payloads to the same server in the same run (the ratio is what we own), and reading
// back. A nats-server is started for the run on a free loopback port in a temp dir.
#include <benchmark/benchmark.h>
#include <nats/nats.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "oms/persistence/jetstream_store.hpp"
#include "testkit/nats_server.hpp"

namespace {

using namespace oms;
using namespace oms::persistence;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kEvents = 200'000;
constexpr std::size_t kMaxInFlight = 8192;

struct Fixture {
  testkit::TempDir dir{"oms-bench-js"};
  std::unique_ptr<testkit::NatsServer> server;
  std::unique_ptr<JetStreamStore> store;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  std::vector<AppendRecord> records;
  std::uint64_t next_id = 1;

  Fixture() {
    server = std::make_unique<testkit::NatsServer>(dir.path() / "n1");
    server->start();
    server->wait_jetstream_ready();
    JetStreamOptions o;
    o.servers = {server->url()};
    o.max_in_flight = kMaxInFlight;
    o.duplicate_window = std::chrono::minutes(2);
    o.retry_deadline = std::chrono::minutes(1);
    auto s = JetStreamStore::open(StreamLayout({{ExchangeId::kBinance, "bench"}}, {}), o);
    if (!s) throw std::runtime_error(s.error().message);
    store = std::move(s).value();

    // The raw side: a stream of its own on the same server, same limits.
    natsConnection_ConnectTo(&nc, server->url().c_str());
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = kMaxInFlight;
    natsConnection_JetStream(&js, nc, &jo);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {"raw.>"};
    cfg.Name = "RAW";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = 120'000'000'000;
    js_AddStream(nullptr, js, &cfg, nullptr, nullptr);

    // ~250-byte order events, as the daemon journals them.
    for (std::size_t i = 0; i < kEvents; ++i) {
      AppendRecord r;
      r.subject = "orders.binance.bench.spot.BTC-USDT";
      r.payload = R"({"type":"OrderAccepted","envelope":{"id":)" + std::to_string(i) +
                  R"(,"global_seq":)" + std::to_string(i) +
                  R"(,"event_time":1723161255208000000,"init_time":1723161253937085768,"causation_id":0,"correlation_id":0},"account":"bench","instrument":"binance:spot:BTC/USDT","client_order_id":"C100000100000000000000001","venue_order_id":")" +
                  std::to_string(28457 + i) + "\"}";
      r.time = 1723161253937085768 + static_cast<TimeNs>(i);
      records.push_back(std::move(r));
    }
    // The read benchmark reads these back, whichever benchmarks a filter selects.
    for (const auto& r : records) {
      AppendRecord copy = r;
      copy.msg_id = next_id++;
      store->append(std::move(copy), [](const Result<std::uint64_t, StoreError>&) {});
    }
    if (!store->flush(std::chrono::seconds(120))) throw std::runtime_error("setup publish did not complete");
  }
  ~Fixture() {
    store.reset();
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) natsConnection_Destroy(nc);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

double raw_publish(Fixture& f) {
  jsPubOptions po;
  const auto t0 = Clock::now();
  for (const auto& r : f.records) {
    jsPubOptions_Init(&po);
    const std::string id = std::to_string(f.next_id++);
    po.MsgId = id.c_str();
    js_PublishAsync(f.js, "raw.bench", r.payload.data(), static_cast<int>(r.payload.size()), &po);
  }
  jsPubOptions_Init(&po);
  po.MaxWait = 60'000;
  js_PublishAsyncComplete(f.js, &po);
  return static_cast<double>(f.records.size()) / std::chrono::duration<double>(Clock::now() - t0).count();
}

double our_publish(Fixture& f) {
  std::atomic<std::size_t> failed{0};
  // The records exist before the clock starts, as the raw side's payloads do: the daemon's
  // publisher hands over (moves) records the encoder already built.
  std::vector<AppendRecord> batch = f.records;
  for (auto& r : batch) r.msg_id = f.next_id++;
  const auto t0 = Clock::now();
  for (auto& r : batch) {
    f.store->append(std::move(r), [&](const Result<std::uint64_t, StoreError>& res) {
      if (!res) failed.fetch_add(1, std::memory_order_relaxed);
    });
  }
  (void)f.store->flush(std::chrono::seconds(60));
  const double eps = static_cast<double>(f.records.size()) / std::chrono::duration<double>(Clock::now() - t0).count();
  return failed.load() == 0 ? eps : 0.0;
}

// One iteration: the raw client, then ours, on the same payloads: events/s of each and the
// ratio (ours / raw; goal >= 0.8).
void jetstream_publish(benchmark::State& state) {
  auto& f = fixture();
  double ours = 0, raw = 0;
  for (auto _ : state) {
    raw = raw_publish(f);
    ours = our_publish(f);
    state.SetIterationTime(static_cast<double>(f.records.size()) / ours);
  }
  state.counters["events_per_s"] = ours;
  state.counters["raw_events_per_s"] = raw;
  state.counters["ratio"] = ours / raw;
}

void jetstream_read(benchmark::State& state) {
  auto& f = fixture();
  ReadRequest req{"ACCOUNT_binance_bench", 1, kEvents, {}};
  double eps = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const auto n = f.store->read(req, [&](const StoredRecord& r) {
      bytes += r.payload.size();
      return true;
    });
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!n || *n != kEvents) return state.SkipWithError(n ? "short read" : n.error().message.c_str());
    eps = static_cast<double>(*n) / secs;
    state.SetIterationTime(secs);
  }
  benchmark::DoNotOptimize(bytes);
  state.counters["events_per_s"] = eps;
}

BENCHMARK(jetstream_publish)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(jetstream_read)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // Google Benchmark's JSON goes to stdout: keep the store's logging off it.
  spdlog::set_default_logger(spdlog::stderr_color_mt("jetstream_bench"));
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
