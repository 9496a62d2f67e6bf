// What the benchmarks that run omsd with 200 Binance spot accounts share (throughput_bench,
// soak_bench): the accounts (bench_main and 199 sub-accounts), exchanges.yaml's order and weight
// budgets raised to match venue-sim's lifted limits (--no-rate-limits, a benchmark-only flag),
// the API token file, and gRPC channels on distinct HTTP/2 connections.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sched.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_client.hpp"
#include "oms/messages/decimal.hpp"
#include "stack.hpp"
#include "testkit/paths.hpp"
#include "venue_view.hpp"

namespace oms::perf {

inline constexpr int kBenchAccounts = 200;

inline std::string bench_account(int i) {
  if (i == 0) return "bench_main";
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench_%03d", i);
  return buf;
}

// Every `from` in the file replaced by `to`; throws when there is none (the example configs
// changed under the benchmark).
inline void replace_all(const std::filesystem::path& p, const std::string& from, const std::string& to) {
  std::string text = testkit::read_file(p);
  std::size_t at = 0, n = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
    ++n;
  }
  if (n == 0) throw std::runtime_error(p.string() + ": no '" + from + "'");
  std::ofstream(p) << text;
}

// StackOptions::edit_configs: the 200 accounts, the budgets raised, no automatic kill switch.
inline void bench_accounts_configs(const std::filesystem::path& cfg) {
  std::string accounts = "  binance:\n";
  for (int i = 0; i < kBenchAccounts; ++i) {
    accounts += "    " + bench_account(i) + ":\n      type: " + (i == 0 ? "main" : "sub") + "\n";
    if (i > 0) accounts += "      parent: bench_main\n";
    accounts += "      api_key_vault_path: " + bench_account(i) +
                "\n      spot_enabled: true\n      futures_enabled: false\n\n";
  }
  replace_all(cfg / "accounts.yaml", "  binance:\n", accounts);
  replace_all(cfg / "exchanges.yaml", "weight_per_minute: 6000", "weight_per_minute: 100000000");
  replace_all(cfg / "exchanges.yaml", "orders_per_10s: 100\n", "orders_per_10s: 100000000\n");
  replace_all(cfg / "exchanges.yaml", "orders_per_day: 200000", "orders_per_day: 1000000000");
  omsd::test::no_auto_kill_switch(cfg);
}

// The API client "bench" with `token`, every account, no call-rate limit (0600, as omsd wants).
inline void write_bench_token(const omsd::test::Stack& stack, const std::string& token) {
  std::filesystem::create_directories(stack.data() / "api");
  std::ofstream(stack.data() / "api" / "tokens.json")
      << R"({"clients":[{"name":"bench","token":")" << token
      << R"(","accounts":["*"],"rate_per_s":1000000,"burst":1000000}]})";
  std::filesystem::permissions(stack.data() / "api" / "tokens.json",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// `n` TLS channels to omsd's gRPC port, each its own HTTP/2 connection.
inline std::vector<std::shared_ptr<grpc::Channel>> bench_channels(const omsd::test::Stack& stack, int n) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = testkit::read_file(stack.data() / "tls" / "ca.pem");
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < n; ++c) {
    args.SetInt("bench.channel", c);  // distinct arguments: distinct connections
    channels.push_back(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(stack.grpc_port()),
                                                 grpc::SslCredentials(tls), args));
  }
  return channels;
}

// While it lives, the calling thread may run on every CPU (perf/run pins a benchmark to one; the
// stack's processes, started from it, and the clients get them all); its CPUs come back at the end.
class AllCpus {
 public:
  AllCpus() {
    cpu_set_t all;
    CPU_ZERO(&all);
    sched_getaffinity(0, sizeof mine_, &mine_);
    for (std::size_t c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &all);
    sched_setaffinity(0, sizeof all, &all);
  }
  ~AllCpus() { sched_setaffinity(0, sizeof mine_, &mine_); }
  AllCpus(const AllCpus&) = delete;
  AllCpus& operator=(const AllCpus&) = delete;

 private:
  cpu_set_t mine_{};
};

// venue-sim for these benchmarks: a random walk of the replayed book, its limits lifted.
inline std::vector<std::string> bench_venue_flags() {
  return {"--random-walk", "3", "--walk-interval-ms", "100", "--no-rate-limits", "--threads", "2"};
}

// An IOC limit buy's price for the running stack: 0.5 % under venue-sim's BTCUSDT mid, on its
// tick (inside every band; never crossing: each order is accepted, then expires). Throws when
// venue-sim shows no mid within 10 s.
inline std::string price_under_mid(const omsd::test::Stack& stack) {
  using namespace std::chrono_literals;
  omsd::test::VenueView venue(stack.data(), stack.venue_port(), "bench_main");
  Decimal mid;
  for (int i = 0; i < 200 && !mid.is_positive(); ++i) {
    mid = venue.mid();
    std::this_thread::sleep_for(50ms);
  }
  if (!mid.is_positive()) throw std::runtime_error("venue-sim has no BTCUSDT mid");
  const Int128 px_raw = mid.raw() - mid.raw() / 200;
  return Decimal::from_raw(px_raw - px_raw % 10'000'000).to_string();
}

// The desk's order rate, open-order and loss limits are policy, not capacity: lifted for a
// benchmark's run (an IOC order counts as open until the venue's answer).
inline void lift_bench_limits(const std::shared_ptr<grpc::Channel>& channel, const std::string& token) {
  auto stub = api::v1::Oms::NewStub(channel);
  lift_global_limits(*stub, token, {"consecutive_losses", "daily_loss", "order_rate", "open_orders"});
}

// omsd's extra environment from `variable` ("K=V K=V"; none when unset): a profiler's
// LD_PRELOAD, e.g. heaptrack's: LD_PRELOAD=/usr/lib/heaptrack/libheaptrack_preload.so
// DUMP_HEAPTRACK_OUTPUT=/tmp/omsd.raw, then
// /usr/lib/heaptrack/libexec/heaptrack_interpret < /tmp/omsd.raw | gzip > omsd.gz.
inline std::vector<std::string> omsd_env_from(const char* variable) {
  std::vector<std::string> env;
  if (const char* extra = std::getenv(variable); extra != nullptr) {
    std::istringstream in(extra);
    for (std::string kv; in >> kv;) env.push_back(kv);
  }
  return env;
}

// omsd's resident memory now (VmRSS), in MB; 0 when it cannot be read.
inline double omsd_rss_mb(const omsd::test::Stack& stack) {
  std::ifstream st("/proc/" + std::to_string(stack.omsd_pid()) + "/status");
  std::string line;
  while (std::getline(st, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

}  // namespace oms::perf
