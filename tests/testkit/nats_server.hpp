// Real nats-server processes for integration tests: started on free loopback ports in a
// temp dir, always stopped (SIGKILL in the destructor if still running).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "testkit/temp_dir.hpp"

namespace oms::testkit {

// A loopback TCP port that was free a moment ago, never one this process was given before.
int free_port();

class NatsServer {
 public:
  struct Options {
    std::string server_name = "n1";
    std::string cluster_name;     // empty: no cluster
    int cluster_port = 0;         // this node's route port (cluster only)
    std::vector<int> route_ports;  // every node's route port (cluster only)
    // A config to start from (deploy/nats/*.conf): its listen, route and store_dir
    // settings are rewritten to this server's ports and directory; empty: generated.
    std::filesystem::path config_template;
    // Generated configs only: clients must present this user and password (nats-server's
    // authorization block; no other user exists), and the server speaks TLS only with this
    // certificate and key (tls_ca: the CA clients verify it with, for wait_jetstream_ready).
    std::string user, password;
    std::filesystem::path tls_cert, tls_key, tls_ca;
  };

  // Prepares a server storing JetStream data in dir; start() runs it.
  NatsServer(std::filesystem::path dir, Options options);
  explicit NatsServer(std::filesystem::path dir) : NatsServer(std::move(dir), Options{}) {}
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts the process (same port and store as before) and waits until it accepts
  // connections; throws std::runtime_error with the server's log tail on failure.
  void start();
  // Waits (up to timeout) until JetStream answers an account-info request.
  void wait_jetstream_ready(int timeout_ms = 20000) const;
  void kill();   // SIGKILL and reap
  void stop();   // SIGTERM and reap (clean shutdown)
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }  // -1 when not running
  [[nodiscard]] int port() const { return port_; }
  // nats://127.0.0.1:PORT, or tls://... when the server speaks TLS.
  [[nodiscard]] std::string url() const;

 private:
  void write_config() const;
  std::filesystem::path dir_;
  Options options_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Three JetStream nodes in one cluster on loopback, from deploy/nats/cluster-n{1,2,3}.conf
// with their ports and store directories moved to free ports and dir.
class NatsCluster {
 public:
  explicit NatsCluster(const std::filesystem::path& dir, int nodes = 3);
  void start();  // all nodes, then waits until the cluster places a stream on every node
  NatsServer& node(std::size_t i) { return *nodes_.at(i); }
  [[nodiscard]] std::vector<std::string> urls() const;

 private:
  std::vector<std::unique_ptr<NatsServer>> nodes_;
};

}  // namespace oms::testkit
