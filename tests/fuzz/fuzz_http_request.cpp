// Fuzz target: omsd's HTTP server's request parsing -- the bytes a client sends to the /health,
// /metrics and dashboard port. They go through what the server does with them: Beast's request
// parser with the server's default limits (HttpServerConfig: 8 KiB of header, 8 KiB of body),
// the server's conversion to an HttpRequest (server_common.hpp), then omsd's routing
// (ObservabilityServer::route, and dashboard_response with a source that checks the bearer
// token) over a health board with accounts and a metrics registry with samples.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../../connectors/src/net/server_common.hpp"
#include "oms/actors/observe/health_board.hpp"
#include "oms/actors/observe/metrics.hpp"
#include "oms/actors/observe/observability_server.hpp"
#include "oms/connectors/net/http_server.hpp"

namespace {

namespace http = boost::beast::http;
using oms::observe::DashboardAnswer;

struct Fixture {
  oms::observe::Metrics metrics;
  oms::observe::HealthBoard health{[] { return std::int64_t{1'723'075'200'000'000'000}; }};
  oms::observe::DashboardSource source = [](std::string_view authorization, std::string_view) {
    if (authorization != "Bearer t0ken") return DashboardAnswer{401, "no or unknown token"};
    return DashboardAnswer{200, R"({"accounts":[]})"};
  };
  Fixture() {
    metrics.counter("oms_orders_total", "orders", {{"account", "binance_main"}}).inc(3);
    metrics.gauge("oms_equity_usdt", "equity").set(1234.5);
    auto& a = health.account("binance", "binance_main");
    a.set_connected(true);
    a.set_rate_limit("orders_10s", 10, 100);
    health.account("bybit", "bybit_main").set_error("down");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  const oms::net::HttpServerConfig limits;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && used < size) {
    const std::size_t n = parser.put(boost::asio::const_buffer(data + used, size - used), ec);
    if (ec == http::error::need_more) break;  // the rest of a message that never came
    if (ec) return 0;                          // the server answers 400 or 413 and closes
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    // The client closed: nothing sent (the server closes too), else a body to the end of the
    // stream or a partial message (Beast's put_eof wants bytes before it).
    if (!parser.got_some()) return 0;
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  oms::net::HttpRequest req = oms::net::detail::to_request(parser.get());
  req.peer = "127.0.0.1";
  const auto routed = oms::observe::ObservabilityServer::route(req, f.metrics, f.health);
  const auto dashboard = oms::observe::ObservabilityServer::dashboard_response(req, f.source, f.health);
  if (routed.status < 100 || routed.status > 599 || dashboard.status < 100 || dashboard.status > 599) __builtin_trap();
  return 0;
}
