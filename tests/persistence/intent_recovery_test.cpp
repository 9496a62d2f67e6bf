// The startup step of DESIGN.md's durability layers against a real nats-server: a daemon
// appends to its intent log, publishes some entries to JetStream and is SIGKILLed; the
// next start re-publishes what was not acknowledged, and JetStream holds each event once.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <random>
#include <set>

#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "testkit/nats_server.hpp"

using namespace oms;
using namespace oms::persistence;
using namespace std::chrono_literals;

namespace {

StreamLayout layout() { return StreamLayout({{ExchangeId::kBinance, "main"}}, {}); }

JetStreamOptions options_for(const std::string& url) {
  JetStreamOptions o;
  o.servers = {url};
  o.ack_timeout = 500ms;
  o.retry_deadline = 30s;
  o.duplicate_window = 5min;
  return o;
}

std::string payload_of(std::uint64_t i) {
  return R"({"type":"OrderSubmitted","envelope":{"id":)" + std::to_string(5'000'000 + i) + "}}";
}

// The child: appends n intents; publishes each; marks done those acknowledged; after
// `publish_upto` entries it stops publishing (entries after that stay pending), reports
// through the pipe and waits to be killed.
[[noreturn]] void child(const testkit::NatsServer& server, const std::string& log_path, int fd,
                        std::uint64_t n, std::uint64_t publish_upto) {
  const std::string url = server.url();
  server.wait_jetstream_ready();
  auto log = IntentLog::open(log_path, {});
  auto store = JetStreamStore::open(layout(), options_for(url));
  if (!log || !store) _exit(3);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string payload = payload_of(i);
    auto seq = (*log)->append("orders.binance.main.spot.BTC-USDT", payload, 5'000'000 + i, 1'700'000'000'000'000'000);
    if (!seq) _exit(4);
    if (i < publish_upto) {
      // The daemon's publisher: append to the store, mark done on the ack.
      std::promise<bool> acked;
      (*store)->append({"orders.binance.main.spot.BTC-USDT", payload, 5'000'000 + i, 1'700'000'000'000'000'000},
                       [&](const Result<std::uint64_t, StoreError>& r) { acked.set_value(r.ok()); });
      if (!acked.get_future().get()) _exit(5);
      (*log)->mark_done(*seq);
    }
  }
  const char ready = 'r';
  if (::write(fd, &ready, 1) != 1) _exit(6);
  while (true) ::pause();
}

}  // namespace

TEST_CASE("after SIGKILL, the next start publishes the pending intents exactly once") {
  testkit::TempDir dir("oms-intent");
  testkit::NatsServer server(dir.path() / "n1");
  server.start();  // no NATS client in this process before the fork: the child is clean
  const std::string log_path = "/dev/shm/oms-intent-test-" + std::to_string(::getpid()) + ".log";
  struct Remove {
    std::string p;
    ~Remove() { ::unlink(p.c_str()); }
  } remove{log_path};

  constexpr std::uint64_t kEntries = 300;
  std::mt19937 rng(20240809);
  const std::uint64_t published = 100 + rng() % 100;  // the kill lands after a random prefix
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) child(server, log_path, fds[1], kEntries, published);
  ::close(fds[1]);  // a child that dies early closes the pipe: read() returns 0, not hangs
  char ready = 0;
  const auto got = ::read(fds[0], &ready, 1);
  if (got != 1) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    FAIL("child failed before reporting, exit status " << WEXITSTATUS(st));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);

  // The next start: intent log first, then normal recovery.
  auto log = IntentLog::open(log_path, {});
  REQUIRE(log.ok());
  CHECK((*log)->pending().size() == kEntries - published);
  auto store = JetStreamStore::open(layout(), options_for(server.url()));
  REQUIRE(store.ok());
  const auto replayed = replay_pending(**log, **store, 30s);
  REQUIRE_MESSAGE(replayed.ok(), (replayed.ok() ? std::string() : replayed.error().message));
  CHECK(*replayed == kEntries - published);
  CHECK((*log)->pending().empty());
  // A second start publishes nothing more.
  CHECK(*replay_pending(**log, **store, 30s) == 0);

  std::multiset<EventId> ids;
  std::vector<std::string> payloads;
  const auto n = (*store)->read({"ACCOUNT_binance_main", 1, 0, {}}, [&](const StoredRecord& r) {
    ids.insert(r.msg_id);
    payloads.emplace_back(r.payload);
    return true;
  });
  REQUIRE(n.ok());
  CHECK(*n == kEntries);
  CHECK(std::set<EventId>(ids.begin(), ids.end()).size() == kEntries);
  for (std::uint64_t i = 0; i < kEntries; ++i) CHECK(ids.count(5'000'000 + i) == 1);
  CHECK(payloads.back() == payload_of(kEntries - 1));
}
