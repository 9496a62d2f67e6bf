// JetStreamStore against real nats-server processes on loopback (one node, and a 3-node
// cluster with R3 streams). Each test starts its own servers in a temp dir.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nats/nats.h>

#include "oms/persistence/jetstream_store.hpp"
#include "testkit/nats_server.hpp"

using namespace oms;
using namespace oms::persistence;
using namespace std::chrono_literals;

namespace {

constexpr TimeNs kMidnight = 1723161600000000000;  // 2024-08-09 00:00:00 UTC
constexpr TimeNs kMs = 1'000'000;

StreamLayout layout() {
  return StreamLayout({{ExchangeId::kBinance, "main"}, {ExchangeId::kBinance, "sub_arb"}},
                      {ExchangeId::kBinance});
}

JetStreamOptions options_for(std::vector<std::string> servers, int replicas = 1) {
  JetStreamOptions o;
  o.servers = std::move(servers);
  o.replicas = replicas;
  o.ack_timeout = 500ms;
  o.retry_deadline = 60s;
  o.duplicate_window = 10min;
  o.max_in_flight = 4096;
  return o;
}

AppendRecord record(std::uint64_t i, TimeNs time) {
  AppendRecord r;
  r.subject = i % 3 == 0 ? "trades.binance.main.spot.BTC-USDT" : "orders.binance.main.spot.BTC-USDT";
  r.msg_id = 1'000'000 + i;
  r.time = time;
  r.payload = R"({"type":"OrderAccepted","envelope":{"id":)" + std::to_string(r.msg_id) +
              R"(},"account":"main","instrument":"binance:spot:BTC/USDT","venue_order_id":")" +
              std::to_string(i * 7) + "\"}";
  return r;
}

// Counts completions; remembers failures and the sequence of each msg id.
struct Completions {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t ok = 0, failed = 0;
  std::map<EventId, std::uint64_t> seq_of;
  std::vector<std::string> errors;

  AppendCallback callback(EventId id) {
    return [this, id](const Result<std::uint64_t, StoreError>& r) {
      std::lock_guard lock(mu);
      if (r) {
        ++ok;
        seq_of[id] = *r;
      } else {
        ++failed;
        errors.push_back(r.error().message);
      }
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return ok + failed >= n; });
  }
  // Waits until n appends succeeded; false (with the first error in `why`) when one failed
  // or the time ran out first.
  bool wait_ok(std::size_t n, std::chrono::milliseconds timeout, std::string& why) {
    std::unique_lock lock(mu);
    const bool reached = cv.wait_for(lock, timeout, [&] { return ok >= n || failed > 0; });
    why = !errors.empty() ? errors.front() : (reached ? "" : "timed out with " + std::to_string(ok) + " acks");
    return ok >= n;
  }
};

struct ReadBack {
  std::vector<std::uint64_t> sequences;
  std::vector<std::string> payloads;
  std::multiset<EventId> ids;
  std::vector<TimeNs> times;
};

ReadBack read_all(EventStore& store, const std::string& stream, std::uint64_t from = 1,
                  std::uint64_t to = 0, std::string filter = {}) {
  ReadBack out;
  ReadRequest req{stream, from, to, std::move(filter)};
  const auto n = store.read(req, [&](const StoredRecord& r) {
    out.sequences.push_back(r.sequence);
    out.payloads.emplace_back(r.payload);
    out.ids.insert(r.msg_id);
    out.times.push_back(r.time);
    return true;
  });
  REQUIRE_MESSAGE(n.ok(), (n.ok() ? std::string() : n.error().message));
  CHECK(*n == out.sequences.size());
  return out;
}

}  // namespace

TEST_CASE("100k appended events read back exactly, contiguous, with a day index across midnight") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  auto store = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE_MESSAGE(store.ok(), (store.ok() ? std::string() : store.error().message));

  constexpr std::size_t kCount = 100'000;
  constexpr std::size_t kBeforeMidnight = 40'000;
  Completions done;
  std::vector<AppendRecord> sent;
  sent.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    // 40k records in the last 40 s of 2024-08-08, the rest from midnight on.
    const TimeNs t = i < kBeforeMidnight ? kMidnight - static_cast<TimeNs>(kBeforeMidnight - i) * kMs
                                         : kMidnight + static_cast<TimeNs>(i - kBeforeMidnight) * kMs;
    sent.push_back(record(i, t));
    (*store)->append(sent.back(), done.callback(sent.back().msg_id));
  }
  REQUIRE((*store)->flush(60s).ok());
  REQUIRE(done.wait_for(kCount, 60s));
  CHECK(done.failed == 0);
  CHECK(done.ok == kCount);

  const std::string stream = "ACCOUNT_binance_main";
  CHECK(*(*store)->last_sequence(stream) == kCount);
  const auto back = read_all(**store, stream);
  REQUIRE(back.sequences.size() == kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    REQUIRE(back.sequences[i] == i + 1);
    REQUIRE(back.payloads[i] == sent[i].payload);  // one publisher: stream order = append order
    REQUIRE(back.times[i] == sent[i].time);
  }
  // Read without ids (ReadRequest::ids = false): the same records, no msg id or time parsed.
  {
    ReadRequest req{stream, 1, 0, {}};
    req.ids = false;
    std::size_t n = 0, with_ids = 0;
    const auto read = (*store)->read(req, [&](const StoredRecord& r) {
      REQUIRE(r.sequence == n + 1);
      REQUIRE(r.payload == sent[n].payload);
      if (r.msg_id != 0 || r.time != 0) ++with_ids;
      ++n;
      return true;
    });
    REQUIRE(read.ok());
    CHECK(n == kCount);
    CHECK(with_ids == 0);
    CHECK(back.ids.count(0) == 0);  // the read with ids had every one
  }
  // A range, and a subject filter.
  const auto middle = read_all(**store, stream, 50'001, 50'100);
  CHECK(middle.sequences.front() == 50'001);
  CHECK(middle.sequences.back() == 50'100);
  const auto trades = read_all(**store, stream, 1, 0, "trades.>");
  CHECK(trades.sequences.size() == (kCount + 2) / 3);
  CHECK(trades.sequences.front() == 1);
  CHECK(trades.sequences[1] == 4);

  const std::vector<DayStart> want{{utc_day(kMidnight) - 1, 1}, {utc_day(kMidnight), kBeforeMidnight + 1}};
  CHECK(*(*store)->day_index(stream) == want);
  store->reset();

  // A second daemon on the same server sees the same index (kept in the OMS_DAYS stream).
  auto again = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE(again.ok());
  CHECK(*(*again)->day_index(stream) == want);
  CHECK((*again)->day_index("ACCOUNT_binance_sub_arb")->empty());
  CHECK((*again)->day_index("NOPE").error().code == StoreErrorCode::kUnknownStream);
}

TEST_CASE("appending the same event id twice stores it once and returns its sequence") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  auto store = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE(store.ok());
  Completions done;
  for (int round = 0; round < 2; ++round)
    for (std::uint64_t i = 0; i < 10; ++i) (*store)->append(record(i, kMidnight), done.callback(1'000'000 + i + 100 * static_cast<std::uint64_t>(round)));
  REQUIRE(done.wait_for(20, 10s));
  CHECK(done.failed == 0);
  CHECK(*(*store)->last_sequence("ACCOUNT_binance_main") == 10);
  for (std::uint64_t i = 0; i < 10; ++i) CHECK(done.seq_of[1'000'100 + i] == done.seq_of[1'000'000 + i]);
}

TEST_CASE("known_last_sequence: what the appends' acks said, asked of no one -- 0 before the first, the stream's last once all are acked; another client's records not known") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  auto store = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE(store.ok());
  const std::string stream = "ACCOUNT_binance_main";
  CHECK(*(*store)->known_last_sequence(stream) == 0);
  Completions done;
  for (std::uint64_t i = 0; i < 25; ++i) (*store)->append(record(i, kMidnight), done.callback(2'000'000 + i));
  REQUIRE(done.wait_for(25, 10s));
  CHECK(done.failed == 0);
  CHECK(*(*store)->known_last_sequence(stream) == 25);
  CHECK(*(*store)->last_sequence(stream) == 25);
  // A second client appends 5 more: the stream moved on, the first client's knowledge did not.
  auto other = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE(other.ok());
  Completions more;
  for (std::uint64_t i = 25; i < 30; ++i) (*other)->append(record(i, kMidnight), more.callback(2'000'000 + i));
  REQUIRE(more.wait_for(5, 10s));
  CHECK(*(*store)->last_sequence(stream) == 30);
  CHECK(*(*store)->known_last_sequence(stream) == 25);
  CHECK(*(*other)->known_last_sequence(stream) == 30);
  const auto unknown = (*store)->known_last_sequence("ACCOUNT_nobody");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == StoreErrorCode::kUnknownStream);
}

TEST_CASE("nats-server killed with SIGKILL while publishing: every event stored exactly once") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  auto store = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE(store.ok());

  constexpr std::size_t kCount = 30'000;
  Completions done;
  std::thread publisher([&] {
    for (std::size_t i = 0; i < kCount; ++i) {
      auto r = record(i, kMidnight + static_cast<TimeNs>(i));
      const EventId id = r.msg_id;
      (*store)->append(std::move(r), done.callback(id));
    }
  });
  // Kill the server mid-stream, keep it down a moment, restart it on the same store.
  std::string why;
  const bool quarter = done.wait_ok(kCount / 4, 60s, why);
  server.kill();
  std::this_thread::sleep_for(700ms);
  server.start();
  publisher.join();
  REQUIRE_MESSAGE(quarter, why);
  REQUIRE(done.wait_for(kCount, 120s));
  CHECK_MESSAGE(done.failed == 0, (done.errors.empty() ? std::string() : done.errors.front()));
  CHECK((*store)->retries() > 0);

  const auto back = read_all(**store, "ACCOUNT_binance_main");
  CHECK(back.sequences.size() == kCount);
  std::set<EventId> unique(back.ids.begin(), back.ids.end());
  CHECK(unique.size() == kCount);      // nothing lost
  CHECK(back.ids.size() == kCount);    // nothing doubled
  for (std::size_t i = 0; i < back.sequences.size(); ++i) REQUIRE(back.sequences[i] == i + 1);
}

TEST_CASE("3-node cluster with R3 streams: a node killed during publishing loses nothing") {
  testkit::TempDir dir("oms-js3");
  testkit::NatsCluster cluster(dir.path());
  cluster.start();
  auto store = JetStreamStore::open(layout(), options_for(cluster.urls(), 3));
  REQUIRE_MESSAGE(store.ok(), (store.ok() ? std::string() : store.error().message));

  constexpr std::size_t kCount = 10'000;
  Completions done;
  std::thread publisher([&] {
    for (std::size_t i = 0; i < kCount; ++i) {
      auto r = record(i, kMidnight + static_cast<TimeNs>(i));
      const EventId id = r.msg_id;
      (*store)->append(std::move(r), done.callback(id));
    }
  });
  std::string why;
  const bool third = done.wait_ok(kCount / 3, 60s, why);
  cluster.node(0).kill();  // our client may be connected to it: it fails over
  publisher.join();
  REQUIRE_MESSAGE(third, why);
  REQUIRE(done.wait_for(kCount, 120s));
  CHECK_MESSAGE(done.failed == 0, (done.errors.empty() ? std::string() : done.errors.front()));
  // Reading needs a consumer, which the cluster can only create once it has a meta leader
  // again: after the kill that election may still run (seconds on a loaded 2-core machine).
  // Wait for it (bounded), then read everything back.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    const auto probe = (*store)->read(ReadRequest{"ACCOUNT_binance_main", 1, 1, {}},
                                      [](const StoredRecord&) { return true; });
    if (probe.ok()) break;
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, probe.error().message);
    std::this_thread::sleep_for(500ms);
  }
  const auto back = read_all(**store, "ACCOUNT_binance_main");
  std::set<EventId> unique(back.ids.begin(), back.ids.end());
  CHECK(back.sequences.size() == kCount);
  CHECK(unique.size() == kCount);
}

TEST_CASE("an existing stream with other subjects is a conflict, never changed") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  {  // Someone else's TRANSFERS stream, on other subjects.
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    REQUIRE(natsConnection_ConnectTo(&nc, server.url().c_str()) == NATS_OK);
    REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {"xfer.>"};
    cfg.Name = "TRANSFERS";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsStreamInfo* si = nullptr;
    REQUIRE(js_AddStream(&si, js, &cfg, nullptr, nullptr) == NATS_OK);
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  const auto store = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == StoreErrorCode::kConflict);
  CHECK(store.error().message ==
        "stream TRANSFERS exists with other settings: subjects differ (server has xfer.>); not changed");

  // A retry deadline beyond the duplicate window could store a record twice: refused.
  JetStreamOptions o = options_for({server.url()});
  o.retry_deadline = o.duplicate_window;
  CHECK(JetStreamStore::open(layout(), o).error().code == StoreErrorCode::kInvalid);
}

TEST_CASE("reopening with another max age updates the stream in place") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  JetStreamOptions o = options_for({server.url()});
  REQUIRE(JetStreamStore::open(layout(), o).ok());
  o.max_age = std::chrono::hours(24);
  CHECK(JetStreamStore::open(layout(), o).ok());
}

TEST_CASE("no server: open fails with kUnavailable naming the server") {
  JetStreamOptions o = options_for({"nats://127.0.0.1:" + std::to_string(testkit::free_port())});
  o.connect_timeout = 500ms;
  const auto store = JetStreamStore::open(layout(), o);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == StoreErrorCode::kUnavailable);
  CHECK(store.error().message.find("cannot connect to nats://127.0.0.1:") == 0);
}

TEST_CASE("a frozen server: appends beyond the in-flight bound fail with kBackpressure") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  JetStreamOptions o = options_for({server.url()});
  o.max_in_flight = 100;
  o.backpressure_timeout = 300ms;
  auto store = JetStreamStore::open(layout(), o);
  REQUIRE(store.ok());
  server.kill();  // acks stop: in-flight fills up
  Completions done;
  for (std::uint64_t i = 0; i < 101; ++i) (*store)->append(record(i, kMidnight), done.callback(1'000'000 + i));
  REQUIRE(done.wait_for(1, 5s));
  CHECK(done.failed == 1);
  CHECK(done.errors.front() == "100 appends in flight for longer than 300 ms");
  CHECK((*store)->in_flight() == 100);
  server.start();  // they all land once it is back
  REQUIRE(done.wait_for(101, 60s));
  CHECK(done.ok == 100);
  CHECK(*(*store)->last_sequence("ACCOUNT_binance_main") == 100);
}

TEST_CASE("tail delivers stored and new records in order until destroyed") {
  testkit::TempDir dir("oms-js");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();
  server.wait_jetstream_ready();
  auto store = JetStreamStore::open(layout(), options_for({server.url()}));
  REQUIRE(store.ok());
  Completions done;
  for (std::uint64_t i = 0; i < 50; ++i) (*store)->append(record(i, kMidnight), done.callback(1'000'000 + i));
  REQUIRE(done.wait_for(50, 10s));

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint64_t> seen;
  {
    auto sub = (*store)->tail({"ACCOUNT_binance_main", 10, 0, {}}, [&](const StoredRecord& r) {
      std::lock_guard lock(mu);
      seen.push_back(r.sequence);
      cv.notify_all();
      return true;
    });
    REQUIRE(sub.ok());
    for (std::uint64_t i = 50; i < 100; ++i) (*store)->append(record(i, kMidnight), done.callback(1'000'000 + i));
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return seen.size() == 91; }));
  }
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i + 10);
  const std::size_t after = seen.size();
  (*store)->append(record(100, kMidnight), done.callback(1'000'100));
  REQUIRE(done.wait_for(101, 10s));
  std::this_thread::sleep_for(200ms);
  std::lock_guard lock(mu);
  CHECK(seen.size() == after);
}
