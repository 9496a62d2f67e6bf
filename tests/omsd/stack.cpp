#include "stack.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "oms/actors/state_board.hpp"
#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/nats_auth.hpp"
#include "testkit/paths.hpp"

namespace oms::omsd::test {

using namespace std::chrono_literals;

testkit::RunResult run_omsctl(std::vector<std::string> argv, std::chrono::milliseconds bound) {
  // omsctl.lsan.supp says why (asan builds; the release build ignores it).
  std::string lsan = "LSAN_OPTIONS=";
  if (const char* given = std::getenv("LSAN_OPTIONS"); given != nullptr && *given != 0) lsan += std::string(given) + ":";
  lsan += "suppressions=" + (testkit::source_dir() / "tests" / "omsd" / "omsctl.lsan.supp").string();
  return testkit::run_process(std::move(argv), bound, {lsan});
}

void replace_in_file(const std::filesystem::path& file, const std::string& from,
                     const std::string& to) {
  std::string text = testkit::read_file(file);
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error(file.string() + ": no '" + from + "'");
  text.replace(at, from.size(), to);
  std::ofstream(file) << text;
}

void no_auto_kill_switch(const std::filesystem::path& configs) {
  replace_in_file(configs / "risk.yaml", "kill_switch:\n  enabled: true\n", "kill_switch:\n  enabled: false\n");
}

void test_orders_only(const std::filesystem::path& configs) {
  std::string text = testkit::read_file(configs / "strategies.yaml");
  for (std::size_t at; (at = text.find("enabled: true")) != std::string::npos;) text.replace(at, 13, "enabled: false");
  std::ofstream(configs / "strategies.yaml") << text;
  replace_in_file(configs / "risk.yaml", "  max_daily_loss: 5000\n  max_consecutive_losses: 10\n",
                  "  max_daily_loss: 5000\n  max_consecutive_losses: 100000\n");
  replace_in_file(configs / "risk.yaml", "  max_daily_loss: 4000\n  max_consecutive_losses: 20\n",
                  "  max_daily_loss: 4000\n  max_consecutive_losses: 100000\n");
}

void use_basis_pair(const std::filesystem::path& configs) {
  replace_in_file(configs / "strategies.yaml",
                  "      - symbol: BTC/USDT:USDT\n        exchanges: [binance, bybit]\n"
                  "        min_profit_rate: 0.0008\n        max_position: 20000\n",
                  "      - legs: [binance:BTC/USDT, binance:BTC/USDT:USDT]\n"
                  "        min_profit_rate: 0.000001\n        max_position: 200\n");
  replace_in_file(configs / "strategies.yaml", "      timeout: 2s\n", "      timeout: 250ms\n");
  replace_in_file(configs / "strategies.yaml", "      mode: hybrid\n", "      mode: aggressive\n");
  replace_in_file(configs / "exchanges.yaml", "          taker_bps: 10\n", "          taker_bps: 0\n");
  replace_in_file(configs / "exchanges.yaml", "          taker_bps: 5\n", "          taker_bps: 0\n");
  // binance_basis may hold risk.yaml's 60,000 USDT gross (accounts.yaml's max_position_usdt,
  // 30,000, raised to it), as before accounts.yaml's limits applied.
  replace_in_file(configs / "accounts.yaml", "      max_position_usdt: 30000\n", "      max_position_usdt: 60000\n");
}

std::string basis_pair_venue_config() {
  return R"({"accounts": [{"name": "binance_basis", "market": "spot", "maker": "0", "taker": "0"},)"
         R"( {"name": "binance_basis.usdm", "market": "usdm", "maker": "0", "taker": "0"}]})";
}

Stack::Stack(StackOptions options) : options_(std::move(options)) {
  std::filesystem::create_directories(data());
  std::filesystem::copy(OMS_SOURCE_DIR "/configs", configs(),
                        std::filesystem::copy_options::recursive);
  // The shipped configs rebalance daily at 00:00 UTC: a test running across midnight would see
  // its accounts' USDT move. Off unless a test turns it on (omsd_rebalance_tests).
  replace_in_file(configs() / "accounts.yaml", "  rebalance:\n    enabled: true\n", "  rebalance:\n    enabled: false\n");
  if (options_.edit_configs) options_.edit_configs(configs());
  auto certs = testkit::run_process({OMS_SOURCE_DIR "/deploy/gen-certs", (data() / "tls").string()}, 60s);
  if (certs.code != 0) throw std::runtime_error("gen-certs: " + certs.err);
  // As deploy/run: the one NATS user omsd is, its password in a 0600 file, TLS with the
  // certificates of gen-certs.
  if (options_.nats_cluster) {
    cluster_ = std::make_unique<testkit::NatsCluster>(tmp_.path() / "nats");
    cluster_->start();
  }
  testkit::NatsServer::Options no;
  no.user = "omsd";
  no.password = "a6f0c3e9d2b5417e8c0f6a3d";
  no.tls_cert = data() / "tls" / "server.pem";
  no.tls_key = data() / "tls" / "server.key";
  no.tls_ca = data() / "tls" / "ca.pem";
  std::filesystem::create_directories(data() / "run");
  {
    std::ofstream(nats_auth_file()) << R"({"user": ")" << no.user << R"(", "password": ")" << no.password << "\"}\n";
  }
  std::filesystem::permissions(nats_auth_file(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  if (!cluster_) {
    nats_ = std::make_unique<testkit::NatsServer>(tmp_.path() / "nats", no);
    nats_->start();
    nats_->wait_jetstream_ready();
  }
  auto keys = testkit::run_process({OMSD_BIN, "--config", configs().string(), "--data",
                                    data().string(), "--init-paper-keys"}, 30s);
  if (keys.code != 0) throw std::runtime_error("omsd --init-paper-keys: " + keys.err);
  std::vector<std::string> venue{VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert",
                                 (data() / "tls" / "server.pem").string(), "--key",
                                 (data() / "tls" / "server.key").string(), "--paper-keys",
                                 (data() / "paper-keys.json").string()};
  if (!options_.venue_config.empty()) {
    const auto file = data() / "venue-sim.json";
    std::ofstream(file) << options_.venue_config;
    venue.insert(venue.end(), {"--config", file.string()});
  }
  venue.insert(venue.end(), options_.venue_flags.begin(), options_.venue_flags.end());
  venue_ = std::make_unique<testkit::ChildProcess>(venue, venue_log());
  const auto listening = venue_->wait_for_line("listening ", 30s);
  venue_port_ = std::stoi(listening.substr(listening.rfind(':') + 1));
  grpc_port_ = testkit::free_port();
  http_port_ = testkit::free_port();
}

Stack::~Stack() {
  if (nats_paused_) resume_nats();  // a stopped server would never take its SIGTERM
  if (venue_paused_) resume_venue();
  if (omsd_) omsd_->stop();
  for (auto& p : peers_) {
    if (p.omsd) p.omsd->stop();
    std::error_code ignored;
    std::filesystem::remove(actors::default_board_path(p.data), ignored);
    std::filesystem::remove(persistence::data_dir_intent_log_path(p.data), ignored);
  }
  if (venue_) venue_->stop();
  if (own_venue_) own_venue_->stop();
  std::error_code ignored;  // omsd's state board of this data dir (it outlives omsd by design)
  std::filesystem::remove(actors::default_board_path(data()), ignored);
  // ... and its intent log (71 MB of /dev/shm, RAM, each: the tests must not pile them up).
  std::filesystem::remove(persistence::data_dir_intent_log_path(data()), ignored);
}

void Stack::start_omsd(std::vector<std::string> env) {
  if (!launch_omsd(std::move(env), 60s)) {
    throw std::runtime_error("omsd did not say \"omsd ready\"; stderr tail:\n" +
                             (omsd_ ? omsd_->stderr_tail() : std::string()));
  }
}

std::vector<std::string> Stack::omsd_args(const std::filesystem::path& data_dir, int grpc, int http) const {
  std::vector<std::string> args{OMSD_BIN,
                                "--config", configs().string(),
                                "--data", data_dir.string(),
                                "--mode", "paper",
                                "--store", options_.store,
                                "--venue", "127.0.0.1:" + std::to_string(venue_port_),
                                "--grpc", "127.0.0.1:" + std::to_string(grpc),
                                "--http", "127.0.0.1:" + std::to_string(http),
                                "--ack-timeout-ms", "1000",
                                "--record-inputs", "on"};  // the engine's recorder runs too
  const auto nats = nats_flags();
  args.insert(args.end(), nats.begin(), nats.end());
  return args;
}

bool Stack::launch_omsd(std::vector<std::string> env, std::chrono::milliseconds bound) {
  auto args = omsd_args(data(), grpc_port_, http_port_);
  args.insert(args.end(), options_.omsd_flags.begin(), options_.omsd_flags.end());
  args.insert(args.end(), own_venue_flags_.begin(), own_venue_flags_.end());
  omsd_ = std::make_unique<testkit::ChildProcess>(args, omsd_log(), std::move(env));
  try {
    omsd_->wait_for_line("omsd ready", bound);
  } catch (const std::runtime_error&) {
    return false;  // ended before it, or the bound passed
  }
  return true;
}

int Stack::wait_omsd_exit(std::chrono::milliseconds bound) {
  if (!omsd_) return -1;
  const int code = omsd_->wait(bound);
  if (code != -1) omsd_.reset();
  return code;
}

int Stack::stop_omsd() {
  const int code = omsd_ ? omsd_->stop(30s) : -1;
  omsd_.reset();
  if (code != 0) {
    // A stop that did not end cleanly says why in omsd's own words: its stderr's last lines.
    const std::string log = testkit::read_file(omsd_log());
    const auto from = log.size() > 6000 ? log.size() - 6000 : 0;
    std::fprintf(stderr, "omsd exited %d at SIGTERM; the end of its stderr:\n%s\n", code, log.c_str() + from);
  }
  return code;
}

void Stack::kill_omsd() {
  if (omsd_) omsd_->kill();
  omsd_.reset();
}

bool Stack::omsd_running() { return omsd_ && omsd_->running(); }

pid_t Stack::omsd_pid() const { return omsd_ ? omsd_->pid() : 0; }

void Stack::kill_venue() {
  if (venue_) venue_->kill();
}

void Stack::pause_venue() {
  if (!venue_ || ::kill(venue_->pid(), SIGSTOP) != 0) throw std::runtime_error("SIGSTOP venue-sim failed");
  venue_paused_ = true;
}

void Stack::resume_venue() {
  if (!venue_ || ::kill(venue_->pid(), SIGCONT) != 0) throw std::runtime_error("SIGCONT venue-sim failed");
  venue_paused_ = false;
}

void Stack::shock_venue() {
  if (!venue_) throw std::runtime_error("shock_venue: venue-sim is not running");
  const auto count = [&] {
    const std::string log = testkit::read_file(venue_log());
    std::size_t n = 0;
    for (auto at = log.find("venue-sim: price shock"); at != std::string::npos; at = log.find("venue-sim: price shock", at + 1)) ++n;
    return n;
  };
  const std::size_t before = count();
  ::kill(venue_->pid(), SIGUSR1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (count() == before) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("venue-sim did not log its price shock within 5 s (--shock-bps given?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int Stack::start_own_venue(const std::vector<std::string>& exchanges, const std::vector<std::string>& flags) {
  std::vector<std::string> venue{VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert",
                                 (data() / "tls" / "server.pem").string(), "--key",
                                 (data() / "tls" / "server.key").string(), "--paper-keys",
                                 (data() / "paper-keys.json").string()};
  venue.insert(venue.end(), flags.begin(), flags.end());
  own_venue_ = std::make_unique<testkit::ChildProcess>(venue, tmp_.path() / "own-venue.stderr");
  const auto listening = own_venue_->wait_for_line("listening ", 30s);
  const int port = std::stoi(listening.substr(listening.rfind(':') + 1));
  for (const auto& x : exchanges) {
    own_venue_flags_.push_back("--venue-of");
    own_venue_flags_.push_back(x + "=127.0.0.1:" + std::to_string(port));
  }
  return port;
}

void Stack::kill_own_venue() {
  if (own_venue_) own_venue_->kill();
}

std::vector<std::string> Stack::nats_flags() const {
  if (cluster_) {
    std::string urls;
    for (const auto& u : cluster_->urls()) urls += (urls.empty() ? "" : ",") + u;
    return {"--nats", urls};
  }
  return {"--nats", nats_->url(), "--nats-auth", nats_auth_file().string(), "--nats-ca",
          (data() / "tls" / "ca.pem").string()};
}

std::size_t Stack::start_peer(std::vector<std::string> flags) {
  Peer p;
  p.data = tmp_.path() / ("peer" + std::to_string(peers_.size() + 1)) / "data";
  std::filesystem::create_directories(p.data);
  std::filesystem::copy(data() / "tls", p.data / "tls", std::filesystem::copy_options::recursive);
  std::filesystem::copy_file(data() / "paper-keys.json", p.data / "paper-keys.json");
  p.grpc_port = testkit::free_port();
  p.http_port = testkit::free_port();
  p.flags = std::move(flags);
  peers_.push_back(std::move(p));
  restart_peer(peers_.size() - 1);
  return peers_.size() - 1;
}

void Stack::restart_peer(std::size_t peer) {
  auto& p = peers_.at(peer);
  auto args = omsd_args(p.data, p.grpc_port, p.http_port);
  args.insert(args.end(), p.flags.begin(), p.flags.end());
  p.omsd = std::make_unique<testkit::ChildProcess>(args, peer_log(peer));
  try {
    p.omsd->wait_for_line("omsd ready", 60s);
  } catch (const std::runtime_error&) {
    throw std::runtime_error("peer omsd did not say \"omsd ready\"; stderr tail:\n" + p.omsd->stderr_tail());
  }
}

std::filesystem::path Stack::peer_log(std::size_t peer) const {
  return peers_.at(peer).data.parent_path() / "omsd.stderr";
}

int Stack::stop_peer(std::size_t peer) {
  auto& p = peers_.at(peer);
  const int code = p.omsd ? p.omsd->stop(30s) : -1;
  p.omsd.reset();
  return code;
}

std::filesystem::path Stack::peer_data(std::size_t peer) const { return peers_.at(peer).data; }

int Stack::peer_grpc_port(std::size_t peer) const { return peers_.at(peer).grpc_port; }

testkit::RunResult Stack::peer_omsctl(std::size_t peer, std::vector<std::string> args,
                                      std::chrono::milliseconds bound) const {
  const auto& p = peers_.at(peer);
  std::vector<std::string> argv{OMSCTL_BIN, "--address", "127.0.0.1:" + std::to_string(p.grpc_port),
                                "--data", p.data.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_omsctl(std::move(argv), bound);
}

persistence::JetStreamOptions Stack::nats_options(std::string connection_name) const {
  persistence::JetStreamOptions o;
  o.connection_name = std::move(connection_name);
  if (cluster_) {
    o.servers = cluster_->urls();
    return o;
  }
  o.servers = {nats_->url()};
  auto access = persistence::apply_nats_access(o, nats_auth_file(), data() / "tls" / "ca.pem");
  if (!access) throw std::runtime_error(access.error());
  return o;
}

void Stack::pause_nats() {
  if (::kill(nats_->pid(), SIGSTOP) != 0) throw std::runtime_error("SIGSTOP nats-server failed");
  nats_paused_ = true;
}

void Stack::resume_nats() {
  if (::kill(nats_->pid(), SIGCONT) != 0) throw std::runtime_error("SIGCONT nats-server failed");
  nats_paused_ = false;
}

void Stack::restart_nats() {
  nats_->kill();
  nats_->start();
  nats_->wait_jetstream_ready();
}

testkit::RunResult Stack::omsctl(std::vector<std::string> args, std::chrono::milliseconds bound) const {
  std::vector<std::string> argv{OMSCTL_BIN, "--address",
                                "127.0.0.1:" + std::to_string(grpc_port_), "--data",
                                data().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_omsctl(std::move(argv), bound);
}

std::pair<int, std::string> Stack::http_get(const std::string& path) const {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(http_port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {0, ""};
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return {0, ""};
  }
  std::string resp;
  char buf[8192];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (resp.rfind("HTTP/1.1 ", 0) != 0) return {0, resp};
  const int status = std::stoi(resp.substr(9, 3));
  const auto body = resp.find("\r\n\r\n");
  return {status, body == std::string::npos ? "" : resp.substr(body + 4)};
}

}  // namespace oms::omsd::test
