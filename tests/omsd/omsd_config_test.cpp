// omsd refuses an invalid config with the validation message (file:line:col), before it
// touches anything; --check-config says what would run.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "testkit/child_process.hpp"
#include "testkit/temp_dir.hpp"

using namespace std::chrono_literals;
using oms::testkit::run_process;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("omsd --check-config: the example configs are valid and name the Binance, Bybit, OKX and Upbit accounts it runs") {
  const auto r = run_process({OMSD_BIN, "--config", OMS_SOURCE_DIR "/configs", "--check-config"}, 30s);
  CHECK(r.code == 0);
  CHECK(r.out.find("account binance_main spot (binance)\n") != std::string::npos);
  CHECK(r.out.find("account binance_main usdm (binance)\n") != std::string::npos);
  CHECK(r.out.find("account binance_futures_trend usdm (binance)\n") != std::string::npos);
  CHECK(r.out.find("account bybit_main spot (bybit)\n") != std::string::npos);
  CHECK(r.out.find("account bybit_arb usdm (bybit)\n") != std::string::npos);
  CHECK(r.out.find("account okx_main spot (okx)\n") != std::string::npos);
  CHECK(r.out.find("account okx_arb spot (okx)\n") != std::string::npos);
  CHECK(r.out.find("account upbit_main spot (upbit)\n") != std::string::npos);
  CHECK(r.out.find("config ok: 10 accounts, 4 strategies") != std::string::npos);
}

TEST_CASE("omsd refuses an invalid config with file:line:col and exit 2, and writes nothing") {
  oms::testkit::TempDir tmp("omsd-config");
  std::filesystem::copy(OMS_SOURCE_DIR "/configs", tmp.path() / "configs",
                        std::filesystem::copy_options::recursive);
  std::string accounts = read(tmp.path() / "configs" / "accounts.yaml");
  const auto at = accounts.find("max_leverage: 10");
  REQUIRE(at != std::string::npos);
  accounts.replace(at, 16, "max_leverage: 500");
  std::ofstream(tmp.path() / "configs" / "accounts.yaml") << accounts;
  // The line of the bad value, as the loader reports it.
  const auto line = std::count(accounts.begin(), accounts.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 1;
  const std::string where = "accounts.yaml:" + std::to_string(line) + ":";

  const auto check = run_process({OMSD_BIN, "--config", (tmp.path() / "configs").string(),
                                  "--check-config"}, 30s);
  CHECK(check.code == 2);
  CHECK_MESSAGE(check.err.find(where) != std::string::npos, check.err);
  CHECK(check.err.find("max_leverage") != std::string::npos);

  const auto run = run_process({OMSD_BIN, "--config", (tmp.path() / "configs").string(), "--data",
                                (tmp.path() / "data").string(), "--store", "file"}, 30s);
  CHECK(run.code == 2);
  CHECK_MESSAGE(run.err.find(where) != std::string::npos, run.err);
  CHECK_FALSE(std::filesystem::exists(tmp.path() / "data" / "journal"));
  CHECK_FALSE(std::filesystem::exists(tmp.path() / "data" / "paper-keys.json"));
}

TEST_CASE("omsd: an unknown flag or a bad value is refused naming it") {
  auto r = run_process({OMSD_BIN, "--bogus"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown flag --bogus") != std::string::npos);
  r = run_process({OMSD_BIN, "--grpc", "127.0.0.1:99999"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--grpc: port 99999 out of range") != std::string::npos);
  r = run_process({OMSD_BIN, "--mode", "live"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--mode live needs --secrets") != std::string::npos);
}

TEST_CASE("omsd --cpu-plan: a malformed plan is refused naming the flag") {
  auto r = run_process({OMSD_BIN, "--cpu-plan", "actors=0-1"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--cpu-plan: 'actors=0-1': expected ROLE=CPUS") != std::string::npos);
  r = run_process({OMSD_BIN, "--cpu-plan", "daemon=3-1"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--cpu-plan: bad CPU range '3-1'") != std::string::npos);
  r = run_process({OMSD_BIN, "--cpu-plan", "engine=0-1"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--cpu-plan: engine takes one CPU") != std::string::npos);
  r = run_process({OMSD_BIN, "--cpu-plan", "io=0,io=1"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--cpu-plan: role 'io' given twice") != std::string::npos);
  r = run_process({OMSD_BIN, "--engine-wait", "spin"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--engine-wait: 'spin': expected park or busy") != std::string::npos);
  r = run_process({OMSD_BIN, "--keep-warm", "2000000"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--keep-warm: must be 0..1000000 (microseconds)") != std::string::npos);
  r = run_process({OMSD_BIN, "--keep-warm", "soon"}, 10s);
  CHECK(r.code == 2);
  CHECK(r.err.find("--keep-warm") != std::string::npos);
}
