// ObservabilityServer: routes /, /health, /health/{exchange}/{account}, /metrics.
#include "oms/actors/observe/observability_server.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

namespace oms::observe {

namespace {

// No external assets; values go in with textContent (never innerHTML), so account names and
// error texts cannot inject markup.
constexpr std::string_view kDashboard = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crypto-oms health</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee}.ok{background:#d8f5d8}.degraded{background:#fff1c2}.down{background:#f8d0d0}
#status{font-weight:bold;padding:2px 8px}#err{color:#a00}
</style></head><body>
<h1>crypto-oms <span id="status">...</span></h1>
<div id="err"></div><div id="updated"></div>
<h2>Accounts</h2>
<table><thead><tr><th>exchange</th><th>account</th><th>status</th><th>connected</th>
<th>market data age ms</th><th>user data age ms</th><th>open orders</th><th>rate limits</th>
<th>last error</th><th>reasons</th></tr></thead><tbody id="accounts"></tbody></table>
<h2>Components</h2>
<table><thead><tr><th>name</th><th>status</th><th>detail</th></tr></thead>
<tbody id="components"></tbody></table>
<p><a href="/metrics">/metrics</a> &middot; <a href="/health">/health</a></p>
<script>
function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '-' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
}
function render(h) {
  const st = document.getElementById('status');
  st.textContent = h.status; st.className = h.status;
  const body = document.getElementById('accounts');
  body.replaceChildren();
  for (const a of h.accounts) {
    const tr = document.createElement('tr');
    cell(tr, a.exchange); cell(tr, a.account); cell(tr, a.status, a.status);
    cell(tr, a.session_connected ? 'yes' : 'no');
    cell(tr, a.last_market_data_age_ms); cell(tr, a.last_user_data_age_ms);
    cell(tr, a.open_orders);
    cell(tr, a.rate_limits.map(r => r.name + ' ' + r.used + '/' + r.limit).join(', '));
    cell(tr, a.last_error ? a.last_error.message + ' (' + a.last_error.age_ms + ' ms ago)' : null);
    cell(tr, a.reasons.join('; '));
    body.appendChild(tr);
  }
  const comps = document.getElementById('components');
  comps.replaceChildren();
  for (const [name, c] of Object.entries(h.components)) {
    const tr = document.createElement('tr');
    cell(tr, name); cell(tr, c.status, c.status); cell(tr, c.detail);
    comps.appendChild(tr);
  }
}
async function poll() {
  try {
    const r = await fetch('/health', {cache: 'no-store'});
    render(await r.json());
    document.getElementById('err').textContent = '';
    document.getElementById('updated').textContent = 'updated ' + new Date().toISOString();
  } catch (e) {
    document.getElementById('err').textContent = 'cannot reach /health: ' + e;
  }
}
poll();
setInterval(poll, 2000);
</script></body></html>
)html";

net::HttpResponse json_response(unsigned status, std::string body) {
  return {status,
          {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
          std::move(body)};
}

net::HttpResponse json_error(unsigned status, const std::string& message) {
  nlohmann::json j{{"error", message}};
  return json_response(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

net::HttpResponse ObservabilityServer::route(const net::HttpRequest& req, const Metrics& metrics,
                                             const HealthBoard& health) {
  std::string_view path(req.target);
  path = path.substr(0, path.find('?'));
  if (path == "/") {
    return {200, {{"Content-Type", "text/html; charset=utf-8"}}, std::string(kDashboard)};
  }
  if (path == "/metrics") {
    return {200, {{"Content-Type", std::string(Metrics::kContentType)}}, metrics.render()};
  }
  if (path == "/health") {
    auto r = health.overall_json();
    return json_response(http_status(r.status), std::move(r.json));
  }
  constexpr std::string_view kPrefix = "/health/";
  if (path.starts_with(kPrefix)) {
    const auto rest = path.substr(kPrefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
        rest.find('/', slash + 1) != std::string_view::npos) {
      return json_error(404, "want /health/{exchange}/{account}, got " + std::string(path));
    }
    const auto exchange = rest.substr(0, slash);
    const auto account = rest.substr(slash + 1);
    auto r = health.account_json(exchange, account);
    if (!r) {
      return json_error(404,
                        "unknown account " + std::string(exchange) + "/" + std::string(account));
    }
    return json_response(http_status(r->status), std::move(r->json));
  }
  return {404, {{"Content-Type", "text/plain"}}, "no such path: " + std::string(path) + "\n"};
}

ObservabilityServer::ObservabilityServer(net::HttpServerConfig cfg, const Metrics& metrics,
                                         const HealthBoard& health)
    : server_(std::make_unique<net::HttpServer>(std::move(cfg),
                                                [&metrics, &health](const net::HttpRequest& req) {
                                                  return route(req, metrics, health);
                                                })) {}

ObservabilityServer::~ObservabilityServer() = default;

void ObservabilityServer::start() {
  server_->start();
}
void ObservabilityServer::stop() {
  server_->stop();
}
std::uint16_t ObservabilityServer::port() const noexcept {
  return server_->port();
}

}  // namespace oms::observe
