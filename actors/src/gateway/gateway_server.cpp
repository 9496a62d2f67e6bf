// GatewayServer: the grpc::Server, TLS 1.3 only.
//
// TLS version: gRPC 1.51 (Debian 12) has no TlsServerCredentialsOptions::set_min_tls_version
// / set_max_tls_version (they arrived in later releases). Its SSL server credentials carry the
// versions, settable through grpc_ssl_server_credentials::set_{min,max}_tls_version -- exported
// C++ symbols of libgrpc 1.51, declared here by hand. If a later gRPC drops them the build
// fails to link (never silently TLS 1.2); move to TlsServerCredentialsOptions then. The test
// "a TLS 1.2-only client is refused" pins the behaviour.
#include <grpc/grpc_security.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gateway_service.hpp"

// libgrpc's own class (src/core/lib/security/credentials/ssl/ssl_credentials.h); only the two
// non-virtual setters are used, through the pointer grpc_ssl_server_credentials_create_ex
// returns (single inheritance: same address as its grpc_server_credentials base).
class grpc_ssl_server_credentials {
 public:
  void set_min_tls_version(grpc_tls_version min_tls_version);
  void set_max_tls_version(grpc_tls_version max_tls_version);
};

namespace oms::actors {

namespace {

// Idle call threads the gRPC server keeps per completion queue (see the builder below): as many
// as the API clients a desk runs at once, each with an order in flight.
constexpr int kIdleCallThreads = 32;

std::string read_file(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("gateway: " + std::string(what) + " " + path.string() + " cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Server credentials: certificate + key, TLS 1.3 as both minimum and maximum.
class Tls13ServerCredentials final : public grpc::ServerCredentials {
 public:
  Tls13ServerCredentials(const std::string& cert_pem, const std::string& key_pem) {
    grpc_ssl_pem_key_cert_pair pair{key_pem.c_str(), cert_pem.c_str()};
    creds_ = grpc_ssl_server_credentials_create_ex(nullptr, &pair, 1,
                                                   GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE, nullptr);
    if (creds_ == nullptr) throw std::runtime_error("gateway: the TLS certificate or key was refused");
    auto* ssl = reinterpret_cast<grpc_ssl_server_credentials*>(creds_);
    ssl->set_min_tls_version(grpc_tls_version::TLS1_3);
    ssl->set_max_tls_version(grpc_tls_version::TLS1_3);
  }
  ~Tls13ServerCredentials() override { grpc_server_credentials_release(creds_); }
  Tls13ServerCredentials(const Tls13ServerCredentials&) = delete;
  Tls13ServerCredentials& operator=(const Tls13ServerCredentials&) = delete;

  void SetAuthMetadataProcessor(const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {
    // Not used: the service checks the bearer token itself.
  }

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }
  grpc_server_credentials* creds_ = nullptr;
};

TimeNs system_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct GatewayServer::Impl {
  GatewayCore core;
  gateway_detail::OmsService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  Impl(const GatewayOptions& o, std::vector<ApiClient> clients, Runtime& runtime,
       const Directory& directory, const InstrumentTable& instruments,
       std::vector<GatewayAccount> accounts)
      : core(std::move(clients), directory, instruments, std::move(accounts),
             o.monotonic ? o.monotonic : steady_ns, o.desk),
        service(core, runtime, o.command_timeout, o.wall_clock ? o.wall_clock : system_ns,
                o.on_call, o.on_failover, o.on_kill_switch) {
    if (o.venue_up) core.set_failover(o.failover, o.venue_up);
    service.set_transfers(o.transfers);
    // The order budgets serve the routing rules and smart order routing alike.
    core.set_routing(o.routing, o.orders_left);
    std::vector<ExchangeId> venue_of(instruments.size());
    std::vector<std::string> quotes(instruments.size());
    for (std::uint32_t i = 0; i < instruments.size(); ++i) {
      if (const auto* a = instruments.find(InstrumentId(static_cast<InstrumentId::rep_type>(i)))) {
        venue_of[i] = a->exchange;
        quotes[i] = a->quote.str();
      }
    }
    service.set_valuation(premium_pairs(instruments, ExchangeId::kBinance), std::move(venue_of),
                          quote_sources(instruments), std::move(quotes));
  }
};

Result<std::string, ApiError> GatewayServer::dashboard(std::string_view authorization,
                                                       bool* sees_every_account, std::string_view peer) {
  return impl_->service.dashboard(authorization, sees_every_account, peer);
}

std::optional<Decimal> GatewayServer::unified_pnl_usdt() {
  return impl_->service.unified_pnl_usdt();
}

GatewayServer::GatewayServer(GatewayOptions options, std::vector<ApiClient> clients,
                             Runtime& runtime, const Directory& directory,
                             const InstrumentTable& instruments,
                             std::vector<GatewayAccount> accounts)
    : impl_(std::make_unique<Impl>(options, std::move(clients), runtime, directory, instruments,
                                   std::move(accounts))) {
  const auto cert = read_file(options.cert, "certificate");
  const auto key = read_file(options.key, "key");
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, std::make_shared<Tls13ServerCredentials>(cert, key),
                           &impl_->port);
  builder.RegisterService(&impl_->service);
  // Bounds a client cannot move: a request of at most 1 MiB (an order is a few hundred bytes),
  // at most 64 calls in flight on one connection.
  builder.SetMaxReceiveMessageSize(1 << 20);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 64);
  // The sync server keeps up to this many idle threads polling for calls (gRPC's default is 2 per
  // completion queue): with more calls in flight than that, each finished call's thread exited
  // and the next call made a new one -- a thread created and destroyed per order under load.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kIdleCallThreads);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || impl_->port == 0)
    throw std::runtime_error("gateway: cannot listen on " + options.address);
}

GatewayServer::~GatewayServer() { shutdown(); }

void GatewayServer::replace_clients(std::vector<ApiClient> clients) {
  impl_->core.replace_clients(std::move(clients));
}

int GatewayServer::port() const noexcept { return impl_->port; }

void GatewayServer::shutdown(std::chrono::milliseconds deadline) {
  if (!impl_->server) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() + deadline);
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace oms::actors
