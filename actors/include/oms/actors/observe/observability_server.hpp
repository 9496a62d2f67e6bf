// ObservabilityServer: omsd's local HTTP endpoints over net::HttpServer (plain HTTP, loopback).
//
//   GET /                            a self-refreshing HTML dashboard (polls /health every 2 s)
//   GET /health                      overall JSON; 200 ok/degraded, 503 down
//   GET /health/{exchange}/{account} one account's JSON; 404 JSON error for an unknown pair
//   GET /metrics                     Prometheus text format 0.0.4
//
// Everything else is 404; HEAD works on every route (the server drops the body).
#pragma once

#include <cstdint>
#include <memory>

#include "oms/actors/observe/health_board.hpp"
#include "oms/actors/observe/metrics.hpp"
#include "oms/connectors/net/http.hpp"
#include "oms/connectors/net/http_server.hpp"

namespace oms::observe {

class ObservabilityServer {
 public:
  // `metrics` and `health` must outlive the server.
  ObservabilityServer(net::HttpServerConfig cfg, const Metrics& metrics, const HealthBoard& health);
  ~ObservabilityServer();
  ObservabilityServer(const ObservabilityServer&) = delete;
  ObservabilityServer& operator=(const ObservabilityServer&) = delete;

  void start();  // throws std::runtime_error naming address:port
  void stop();   // idempotent
  [[nodiscard]] std::uint16_t port() const noexcept;

  // The routing, callable without a socket.
  [[nodiscard]] static net::HttpResponse route(const net::HttpRequest& req, const Metrics& metrics,
                                               const HealthBoard& health);

 private:
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace oms::observe
