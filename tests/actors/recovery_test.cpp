// Recovery: a scripted trading sequence runs in a child process (tests/actors/recovery_child)
// that is SIGKILLed at seeded random points and started again until it finishes; its final
// state -- every order's status, filled quantity, average price and fills -- must equal that of
// a run that was never interrupted, and the store must hold every fill exactly once.
// Against the file journal and against a real nats-server with JetStream.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "recovery_script.hpp"
#include "testkit/nats_server.hpp"
#include "testkit/temp_dir.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::size_t kSteps = 60;
constexpr int kKills = 50;

fs::path child_binary() { return fs::read_symlink("/proc/self/exe").parent_path() / "recovery_child"; }

struct ChildRun {
  bool finished = false;  // exited 0 after "done"
  bool killed = false;
  int exit_code = -1;
  std::string stderr_tail;
};

// Runs the child; kills it with SIGKILL once it has printed "step >= kill_step" and another
// `delay` has passed (kill_step < 0: never). Bounded: 120 s per run.
ChildRun run_child(const std::vector<std::string>& args, long kill_step,
                   std::chrono::microseconds delay) {
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<char*> argv;
  const std::string bin = child_binary().string();
  argv.push_back(const_cast<char*>(bin.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);

  ChildRun run;
  std::string buf;
  bool done = false;
  bool armed = false;
  std::chrono::steady_clock::time_point kill_at{};
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  for (;;) {
    if (armed && std::chrono::steady_clock::now() >= kill_at) {
      ::kill(pid, SIGKILL);
      run.killed = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      FAIL("recovery child did not finish in 120 s");
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int timeout_ms = armed ? 0 : 50;
    if (::poll(&p, 1, timeout_ms) > 0) {
      char tmp[4096];
      const auto n = ::read(out[0], tmp, sizeof tmp);
      if (n <= 0) break;  // the child exited
      buf.append(tmp, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        const std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (line == "done") done = true;
        if (!armed && kill_step >= 0 && line.rfind("step ", 0) == 0 &&
            std::stol(line.substr(5)) >= kill_step) {
          armed = true;
          kill_at = std::chrono::steady_clock::now() + delay;
        }
      }
    }
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!run.killed) {
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.finished = done && run.exit_code == 0;
  }
  return run;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in.good(), "no result file " << p);
  return nlohmann::json::parse(in);
}

std::vector<std::string> child_args(const std::string& store, const fs::path& dir,
                                    const std::string& nats, std::uint64_t seed,
                                    const std::string& intent) {
  std::vector<std::string> a{"--store", store, "--dir", dir.string(), "--seed", std::to_string(seed),
                             "--steps", std::to_string(kSteps), "--intent", intent,
                             "--out", (dir / "result.json").string()};
  if (!nats.empty()) { a.push_back("--nats"); a.push_back(nats); }
  return a;
}

// Every FillReceived in the account streams, by trade id: each must be there once.
std::map<std::string, int> fills_in_store(oms::persistence::EventStore& store) {
  std::map<std::string, int> count;
  for (const char* stream : {"ACCOUNT_binance_acct-a", "ACCOUNT_binance_acct-b"}) {
    auto r = store.read({stream, 1, 0, "trades.>"}, [&](const oms::persistence::StoredRecord& rec) {
      const auto j = nlohmann::json::parse(rec.payload);
      ++count[j.at("trade_id").get<std::string>()];
      return true;
    });
    REQUIRE_MESSAGE(r.ok(), r.error().message);
  }
  return count;
}

void crash_and_compare(const std::string& store_kind, const std::string& nats_ref,
                       const std::string& nats_crash, const fs::path& root, std::uint64_t seed) {
  const std::string tag = std::to_string(::getpid()) + "-" + store_kind;
  const fs::path ref_dir = root / "reference", crash_dir = root / "crashed";
  fs::create_directories(ref_dir);
  fs::create_directories(crash_dir);
  const std::string ref_intent = "rectest-ref-" + tag, crash_intent = "rectest-crash-" + tag;

  const auto ref = run_child(child_args(store_kind, ref_dir, nats_ref, seed, ref_intent), -1, {});
  REQUIRE_MESSAGE(ref.finished, "reference run exit " << ref.exit_code);

  std::mt19937_64 rng(seed * 7919);
  int kills = 0;
  int runs = 0;
  bool finished = false;
  while (!finished) {
    REQUIRE(runs < kKills + 20);
    ++runs;
    const bool kill = kills < kKills;
    const long step = kill ? static_cast<long>(rng() % kSteps) : -1;
    const auto delay = std::chrono::microseconds(rng() % 3000);
    const auto r = run_child(child_args(store_kind, crash_dir, nats_crash, seed, crash_intent), step,
                             delay);
    if (r.killed) { ++kills; continue; }
    REQUIRE_MESSAGE(r.finished, "run " << runs << " exited " << r.exit_code);
    finished = true;
  }
  CHECK(kills >= kKills);
  const auto expected = read_json(ref_dir / "result.json");
  const auto got = read_json(crash_dir / "result.json");
  CHECK(expected["orders"].size() > kSteps / 2);
  CHECK(got == expected);
  ::unlink(oms::persistence::default_intent_log_path(ref_intent).c_str());
  ::unlink(oms::persistence::default_intent_log_path(crash_intent).c_str());
}

}  // namespace

TEST_CASE("recovery: SIGKILL at 50 seeded points, file journal: rebuilt state equals an uninterrupted run") {
  oms::testkit::TempDir tmp("recovery-file");
  crash_and_compare("file", "", "", tmp.path(), 20261126);
  // Nothing doubled: every fill of the crashed run is in the journal once.
  const oms::persistence::StreamLayout layout(
      {{oms::ExchangeId::kBinance, "acct-a"}, {oms::ExchangeId::kBinance, "acct-b"}}, {});
  auto j = oms::persistence::FileJournal::open(tmp.path() / "crashed" / "journal", layout);
  REQUIRE(j.ok());
  const auto fills = fills_in_store(**j);
  CHECK(!fills.empty());
  for (const auto& [id, n] : fills) CHECK_MESSAGE(n == 1, id << " stored " << n << " times");
}

TEST_CASE("recovery: SIGKILL at 50 seeded points, JetStream: rebuilt state equals an uninterrupted run") {
  oms::testkit::TempDir tmp("recovery-js");
  oms::testkit::NatsServer ref_server(tmp.path() / "nats-ref", {});
  oms::testkit::NatsServer crash_server(tmp.path() / "nats-crash", {});
  ref_server.start();
  crash_server.start();
  crash_and_compare("jetstream", ref_server.url(), crash_server.url(), tmp.path(), 20261127);
  const oms::persistence::StreamLayout layout(
      {{oms::ExchangeId::kBinance, "acct-a"}, {oms::ExchangeId::kBinance, "acct-b"}}, {});
  oms::persistence::JetStreamOptions o;
  o.servers = {crash_server.url()};
  auto js = oms::persistence::JetStreamStore::open(layout, o);
  REQUIRE_MESSAGE(js.ok(), js.error().message);
  const auto fills = fills_in_store(**js);
  CHECK(!fills.empty());
  for (const auto& [id, n] : fills) CHECK_MESSAGE(n == 1, id << " stored " << n << " times");
}
