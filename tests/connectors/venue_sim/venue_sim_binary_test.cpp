// The venue-sim binary as a child process: port 0 prints "listening 127.0.0.1:PORT", paper keys
// are written 0600 and work with our signed requests, the random walk fills the book, SIGTERM
// stops it with exit 0; a bad flag is refused with a message naming it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "front_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim::test;

extern char** environ;

namespace {

struct Child {
  pid_t pid = -1;
  int out = -1;
  // stderr_file: where the child's diagnostics (its logs) go; empty = inherited.
  explicit Child(std::vector<std::string> args, const std::string& stderr_file = {}) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    if (!stderr_file.empty()) {
      posix_spawn_file_actions_addopen(&fa, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    }
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out = fds[0];
  }
  // One stdout line within the bound ("" on timeout / EOF).
  std::string line(std::chrono::milliseconds bound = 10'000ms) {
    std::string s;
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c;
      if (::read(out, &c, 1) != 1) return s;
      if (c == '\n') return s;
      s += c;
    }
    return s;
  }
  int stop() {
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    pid = -1;
    return -1;
  }
  ~Child() {
    if (pid > 0) stop();
    if (out >= 0) ::close(out);
  }
};

}  // namespace

TEST_CASE("venue-sim binary: port 0, paper keys (0600) that sign, random-walk book, clean SIGTERM") {
  testkit::TempDir tmp{"oms-venue-sim-bin"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  const auto keys = (tmp.path() / "paper-keys.json").string();
  const auto log_file = (tmp.path() / "venue-sim.log").string();
  Child c({VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert", certs.cert.string(), "--key",
           certs.key.string(), "--paper-keys", keys, "--account", "desk:spot", "--account",
           "perp:usdm", "--random-walk", "5", "--walk-interval-ms", "5"},
          log_file);
  const std::string first = c.line();
  REQUIRE(first.rfind("listening 127.0.0.1:", 0) == 0);
  const auto port = static_cast<std::uint16_t>(std::stoi(first.substr(20)));
  CHECK(port != 0);

  struct stat st {};
  REQUIRE(::stat(keys.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(keys);
  const auto file = nlohmann::json::parse(in);
  REQUIRE(file.size() == 2);
  CHECK(file["desk"]["market"] == "spot");
  CHECK(file["perp"]["market"] == "usdm");
  CHECK(file["desk"]["api_key"].get<std::string>().size() == 64);

  net::HttpsClient client({"127.0.0.1", port}, net::TlsClientConfig{certs.ca.string()});
  auto signer = signing::BinanceSigner::hmac(file["desk"]["api_secret"].get<std::string>());
  const std::string key = file["desk"]["api_key"];
  binance::Credentials cr{key, &*signer, 5'000};
  auto http = binance::render(*binance::spot_account(), cr, wall_ms());
  auto r = client.request(*http);
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  const auto acct = nlohmann::json::parse(r->body);
  bool usdt = false;
  for (const auto& b : acct["balances"]) {
    if (b["asset"] == "USDT") {
      usdt = true;
      CHECK(b["free"] == "100000.00000000");
    }
  }
  CHECK(usdt);

  CHECK(wait_for([&] {
    net::HttpRequest q{"GET", "/api/v3/depth?symbol=BTCUSDT&limit=5", {}, {}, 5'000ms};
    auto d = client.request(q);
    return d.ok() && nlohmann::json::parse(d->body)["bids"].size() == 5;
  }));
  // A request with a tampered signature and one with an unknown key: error paths log too.
  auto bad = binance::render(*binance::spot_account(), cr, wall_ms());
  bad->target.back() = bad->target.back() == '0' ? '1' : '0';
  CHECK(client.request(*bad)->status == 400);
  binance::Credentials unknown{"NOT-A-REGISTERED-KEY-123", &*signer, 5'000};
  CHECK(client.request(*binance::render(*binance::spot_account(), unknown, wall_ms()))->status >= 400);
  CHECK(c.stop() == 0);

  // No log line ever carries a key or a secret.
  std::ifstream logs(log_file);
  const std::string all((std::istreambuf_iterator<char>(logs)), std::istreambuf_iterator<char>());
  for (const auto& [name, k] : file.items()) {
    CHECK_MESSAGE(all.find(k["api_key"].get<std::string>()) == std::string::npos, name << " key in the log");
    CHECK_MESSAGE(all.find(k["api_secret"].get<std::string>()) == std::string::npos, name << " secret in the log");
  }
}

TEST_CASE("venue-sim binary: an unknown flag is refused with exit 2 naming it") {
  Child c({VENUE_SIM_BIN, "--no-such-flag"});
  CHECK(c.line(5'000ms).empty());  // nothing on stdout
  int status = 0;
  REQUIRE(::waitpid(c.pid, &status, 0) == c.pid);
  c.pid = -1;
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
}

TEST_CASE("venue-sim binary: paper keys as omsd writes them name a sub-account by its email; transfers move it") {
  testkit::TempDir tmp{"oms-venue-sim-bin"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  const auto keys = tmp.path() / "paper-keys.json";
  {
    // The shape of omsd --init-paper-keys: NAME (spot), NAME.usdm, a sub-account's email.
    nlohmann::json j;
    j["main"] = {{"api_key", "main-key"}, {"api_secret", "main-secret"}, {"market", "spot"}};
    j["main.usdm"] = {{"api_key", "mainu-key"}, {"api_secret", "mainu-secret"}, {"market", "usdm"}};
    j["arb"] = {{"api_key", "arb-key"}, {"api_secret", "arb-secret"}, {"market", "spot"},
                {"email", "arb@desk.example"}};
    std::ofstream(keys) << j.dump();
    std::filesystem::permissions(keys, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
  }
  Child c({VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert", certs.cert.string(), "--key",
           certs.key.string(), "--paper-keys", keys.string()},
          (tmp.path() / "venue-sim.log").string());
  const std::string first = c.line();
  REQUIRE(first.rfind("listening 127.0.0.1:", 0) == 0);
  const auto port = static_cast<std::uint16_t>(std::stoi(first.substr(20)));
  net::HttpsClient client({"127.0.0.1", port}, net::TlsClientConfig{certs.ca.string()});
  const auto call = [&](const binance::Req& req, const char* key, const char* secret) {
    auto signer = signing::BinanceSigner::hmac(secret);
    binance::Credentials cr{key, &*signer, 5'000};
    auto r = client.request(*binance::render(*req, cr, wall_ms()));
    REQUIRE(r.ok());
    return *r;
  };
  const auto usdt = [&](const char* key, const char* secret) {
    const auto acct = nlohmann::json::parse(call(binance::spot_account(), key, secret).body);
    for (const auto& b : acct["balances"]) {
      if (b["asset"] == "USDT") return b["free"].get<std::string>();
    }
    return std::string();
  };
  const std::string arb_before = usdt("arb-key", "arb-secret");
  auto moved = call(binance::sub_account_transfer({.to_email = "arb@desk.example",
                                                   .asset = "USDT",
                                                   .amount = d("1234.5"),
                                                   .client_tran_id = "oms1"}),
                    "main-key", "main-secret");
  CHECK(moved.status == 200);
  CHECK(d(usdt("arb-key", "arb-secret").c_str()) == *d(arb_before.c_str()).add(d("1234.5")));
  auto to_futures = call(binance::asset_transfer({Market::kSpot, Market::kUsdm, "USDT", d("10")}),
                         "main-key", "main-secret");
  CHECK(to_futures.status == 200);
  CHECK(c.stop() == 0);
}
