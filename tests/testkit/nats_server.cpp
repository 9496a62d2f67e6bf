#include "testkit/nats_server.hpp"

#include <arpa/inet.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace oms::testkit {
namespace fs = std::filesystem;

int free_port() {
  // The kernel may hand the same port to two binds in a row once the first socket is closed
  // (seen in CI: a node's client port equal to a route port picked just before). A port given
  // out once in this process is never given again.
  static std::mutex mutex;
  static std::set<int> given;
  const std::lock_guard lock(mutex);
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      throw std::runtime_error("bind() failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    const int port = ntohs(addr.sin_port);
    if (given.insert(port).second) return port;
  }
  throw std::runtime_error("free_port: no port not given out before in 64 tries");
}

namespace {
bool can_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string tail_of(const fs::path& log) {
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}
}  // namespace

NatsServer::NatsServer(fs::path dir, Options options)
    : dir_(std::move(dir)), options_(std::move(options)), port_(free_port()) {
  fs::create_directories(dir_);
}

NatsServer::~NatsServer() {
  if (pid_ > 0) kill();
}

std::string NatsServer::url() const {
  return (options_.tls_cert.empty() ? "nats://127.0.0.1:" : "tls://127.0.0.1:") + std::to_string(port_);
}

void NatsServer::write_config() const {
  std::ofstream out(dir_ / "nats.conf");
  if (!options_.config_template.empty()) {
    std::ifstream in(options_.config_template);
    if (!in) throw std::runtime_error("cannot read " + options_.config_template.string());
    std::string line;
    std::size_t route = 0;
    bool in_cluster = false;
    while (std::getline(in, line)) {
      const auto key = line.find_first_not_of(' ');
      const std::string_view body = key == std::string::npos ? std::string_view{} : std::string_view(line).substr(key);
      if (body.starts_with("cluster")) in_cluster = true;
      if (body.starts_with("listen:")) {
        line = line.substr(0, key) + "listen: 127.0.0.1:" +
               std::to_string(in_cluster ? options_.cluster_port : port_);
      } else if (body.starts_with("store_dir:")) {
        line = line.substr(0, key) + "store_dir: \"" + (dir_ / "js").string() + "\"";
      } else if (body.starts_with("nats-route://")) {
        line = line.substr(0, key) + "nats-route://127.0.0.1:" + std::to_string(options_.route_ports.at(route++));
      }
      out << line << "\n";
    }
    return;
  }
  out << "listen: 127.0.0.1:" << port_ << "\n"
      << "server_name: " << options_.server_name << "\n"
      << "jetstream {\n  store_dir: \"" << (dir_ / "js").string() << "\"\n}\n";
  if (!options_.user.empty()) {
    out << "authorization {\n  users = [\n    {user: \"" << options_.user << "\", password: \""
        << options_.password << "\"}\n  ]\n}\n";
  }
  if (!options_.tls_cert.empty()) {
    out << "tls {\n  cert_file: \"" << options_.tls_cert.string() << "\"\n  key_file: \""
        << options_.tls_key.string() << "\"\n  timeout: 2\n}\n";
  }
  if (!options_.cluster_name.empty()) {
    out << "cluster {\n  name: " << options_.cluster_name << "\n  listen: 127.0.0.1:"
        << options_.cluster_port << "\n  routes: [\n";
    for (int p : options_.route_ports) out << "    nats-route://127.0.0.1:" << p << "\n";
    out << "  ]\n}\n";
  }
}

void NatsServer::start() {
  if (pid_ > 0) throw std::runtime_error("nats-server already running");
  write_config();
  const fs::path log = dir_ / "nats.log";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Not pinned like the benchmark that may have started us: the server gets every CPU.
    cpu_set_t all;
    CPU_ZERO(&all);
    for (std::size_t cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &all);
    ::sched_setaffinity(0, sizeof all, &all);
    // Dies with the test that started it, and does not hold its stdout/stderr open (a
    // pipeline reading the test's output would never see its end).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
    }
    const std::string conf = (dir_ / "nats.conf").string();
    const std::string log_path = log.string();
    ::execlp("nats-server", "nats-server", "-c", conf.c_str(), "-l", log_path.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!can_connect(port_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("nats-server exited at start: " + tail_of(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill();
      throw std::runtime_error("nats-server did not listen within 20 s: " + tail_of(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void NatsServer::wait_jetstream_ready(int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last = "no attempt";
  while (std::chrono::steady_clock::now() < deadline) {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    jsAccountInfo* info = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsOptions* o = nullptr;
    natsStatus s = natsOptions_Create(&o);
    const std::string u = url();
    if (s == NATS_OK) s = natsOptions_SetURL(o, u.c_str());
    if (s == NATS_OK && !options_.user.empty())
      s = natsOptions_SetUserInfo(o, options_.user.c_str(), options_.password.c_str());
    if (s == NATS_OK && !options_.tls_cert.empty()) {
      s = natsOptions_SetSecure(o, true);
      if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(o, options_.tls_ca.c_str());
    }
    if (s == NATS_OK) s = natsConnection_Connect(&nc, o);
    if (o != nullptr) natsOptions_Destroy(o);
    if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, nullptr);
    if (s == NATS_OK) s = js_GetAccountInfo(&info, js, nullptr, &err);
    if (info != nullptr) jsAccountInfo_Destroy(info);
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) natsConnection_Destroy(nc);
    if (s == NATS_OK) return;
    last = natsStatus_GetText(s);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("JetStream not ready at " + url() + ": " + last);
}

void NatsServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void NatsServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

NatsCluster::NatsCluster(const fs::path& dir, int nodes) {
  std::vector<int> routes;
  for (int i = 0; i < nodes; ++i) routes.push_back(free_port());
  for (int i = 0; i < nodes; ++i) {
    NatsServer::Options o;
    o.server_name = "n" + std::to_string(i + 1);
    o.cluster_name = "oms-test";
    o.cluster_port = routes[static_cast<std::size_t>(i)];
    o.route_ports = routes;
    o.config_template = std::filesystem::path(OMS_SOURCE_DIR) / "deploy" / "nats" /
                        ("cluster-n" + std::to_string(i + 1) + ".conf");
    nodes_.push_back(std::make_unique<NatsServer>(dir / o.server_name, o));
  }
}

namespace {

// Waits until the cluster places a stream of `replicas` replicas: each node answering JetStream
// is not enough -- until the meta leader knows every peer, an R3 stream is refused "no suitable
// peers for placement" (seen on a loaded 2-core machine). Probes by creating and deleting a
// memory stream of that many replicas. The cluster configs have no authorization.
void wait_placement(const std::vector<std::string>& urls, int replicas, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  std::vector<const char*> servers;
  for (const auto& u : urls) servers.push_back(u.c_str());
  std::string last = "no attempt";
  while (std::chrono::steady_clock::now() < deadline) {
    natsOptions* o = nullptr;
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    jsStreamInfo* info = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK) s = natsOptions_SetServers(o, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsConnection_Connect(&nc, o);
    if (o != nullptr) natsOptions_Destroy(o);
    if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, nullptr);
    if (s == NATS_OK) {
      jsStreamConfig cfg;
      jsStreamConfig_Init(&cfg);
      const char* subjects[] = {"oms.test.placement"};
      cfg.Name = "OMS_TEST_PLACEMENT";
      cfg.Subjects = subjects;
      cfg.SubjectsLen = 1;
      cfg.Replicas = replicas;
      cfg.Storage = js_MemoryStorage;
      s = js_AddStream(&info, js, &cfg, nullptr, &err);
      if (info != nullptr) jsStreamInfo_Destroy(info);
      if (s == NATS_OK) s = js_DeleteStream(js, "OMS_TEST_PLACEMENT", nullptr, &err);
    }
    if (s != NATS_OK) last = std::string(natsStatus_GetText(s)) + " (" + nats_GetLastError(nullptr) + ")";
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) natsConnection_Destroy(nc);
    if (s == NATS_OK) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error("the NATS cluster placed no stream of " + std::to_string(replicas) + " replicas within " +
                           std::to_string(bound.count()) + " ms: " + last);
}

}  // namespace

void NatsCluster::start() {
  for (auto& n : nodes_) n->start();
  for (auto& n : nodes_) n->wait_jetstream_ready(30000);
  wait_placement(urls(), static_cast<int>(nodes_.size()), std::chrono::milliseconds(60'000));
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) out.push_back(n->url());
  return out;
}

}  // namespace oms::testkit
