// ObservabilityServer: omsd's local HTTP endpoints over net::HttpServer (plain HTTP, loopback).
//
//   GET /                            the live dashboard (HTML, no external assets): it asks for
//                                    an API token once, then reads /api/dashboard/events
//   GET /api/dashboard               one snapshot (JSON), with `Authorization: Bearer <token>`
//   GET /api/dashboard/events        server-sent events (text/event-stream), same header: an
//                                    `event: snapshot` every second, for `stream_seconds`,
//                                    then the stream ends (the page reconnects)
//   GET /health                      overall JSON; 200 ok/degraded, 503 down
//   GET /health/{exchange}/{account} one account's JSON; 404 JSON error for an unknown pair
//   GET /metrics                     Prometheus text format 0.0.4
//
// Everything else is 404; HEAD works on every route (the server drops the body).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "oms/actors/observe/health_board.hpp"
#include "oms/actors/observe/metrics.hpp"
#include "oms/connectors/net/http.hpp"
#include "oms/connectors/net/http_server.hpp"

namespace oms::observe {

// The dashboard's data for the token an Authorization header carries: a JSON object (status 200)
// or a refusal, its HTTP status and a message (401 no or unknown token, 429 over the rate
// limit, 503 not ready). omsd: the gateway's dashboard() plus the PnL series.
struct DashboardAnswer {
  unsigned status = 200;
  std::string body;  // 200: a JSON object; otherwise the error message
};
// peer: the client's IP address (unauthenticated callers are throttled per address).
using DashboardSource = std::function<DashboardAnswer(std::string_view authorization, std::string_view peer)>;

class ObservabilityServer {
 public:
  // `metrics` and `health` must outlive the server.
  ObservabilityServer(net::HttpServerConfig cfg, const Metrics& metrics, const HealthBoard& health);
  // The dashboard's data from now on (thread-safe; null: /api/dashboard answers 503).
  void set_dashboard(DashboardSource source);
  // How long one /api/dashboard/events response lasts before it ends (default 60 s).
  void set_stream_duration(std::chrono::milliseconds d);
  ~ObservabilityServer();
  ObservabilityServer(const ObservabilityServer&) = delete;
  ObservabilityServer& operator=(const ObservabilityServer&) = delete;

  void start();  // throws std::runtime_error naming address:port
  void stop();   // idempotent
  [[nodiscard]] std::uint16_t port() const noexcept;

  // The routing, callable without a socket.
  [[nodiscard]] static net::HttpResponse route(const net::HttpRequest& req, const Metrics& metrics,
                                               const HealthBoard& health);
  // /api/dashboard's answer: the source's JSON with "health" (the /health JSON) added first,
  // or {"error": message} with the source's status (401 also names the Bearer scheme).
  [[nodiscard]] static net::HttpResponse dashboard_response(const net::HttpRequest& req,
                                                            const DashboardSource& source,
                                                            const HealthBoard& health);
  // The page (served at /).
  [[nodiscard]] static std::string_view page();

 private:
  [[nodiscard]] DashboardSource source() const;
  [[nodiscard]] std::optional<net::HttpStream> stream(const net::HttpRequest& req);

  const HealthBoard& health_;
  mutable std::mutex source_mutex_;
  DashboardSource source_;
  std::atomic<std::int64_t> stream_ms_{60'000};
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace oms::observe
