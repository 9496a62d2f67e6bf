// ObservabilityServer: routes /, /api/dashboard(/events), /health, /health/{exchange}/{account},
// /metrics.
#include "oms/actors/observe/observability_server.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>

namespace oms::observe {

namespace {

// No external assets; values go in with textContent (never innerHTML), so account names and
// error texts cannot inject markup.
constexpr std::string_view kDashboard = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crypto-oms</title>
<style>
body{font:13px system-ui,sans-serif;margin:1.2em;background:#fafafa;color:#222}
table{border-collapse:collapse;margin:.4em 0 1.2em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eee}.ok{background:#d8f5d8}.degraded{background:#fff1c2}.down{background:#f8d0d0}
#status{font-weight:bold;padding:2px 8px}#err{color:#a00}#login[hidden]{display:none}
svg{background:#fff;border:1px solid #ccc}.empty{color:#888}
</style></head><body>
<h1>crypto-oms <span id="status">...</span></h1>
<form id="login" hidden><label>API token (data/api/omsctl.token or a client of data/api/tokens.json):
<input id="token" type="password" size="70" autocomplete="off"></label> <button>open</button>
<div id="login-err"></div></form>
<div id="err"></div><div>client <span id="client">-</span>; <span id="updated">not updated yet</span>;
<span id="updates">0</span> updates</div>
<h2>PnL (unified, USDT)</h2>
<div>now <span id="pnl-now">-</span></div>
<svg id="pnl-chart" width="800" height="200" viewBox="0 0 800 200"></svg>
<h2>Positions</h2>
<table><thead><tr><th>account</th><th>instrument</th><th>size</th><th>entry price</th>
<th>realized pnl</th><th>fees</th><th>quote</th><th>value USDT</th><th>unrealized USDT</th>
<th>realized USDT</th></tr></thead><tbody id="positions"></tbody></table>
<h3>Unified</h3>
<table><thead><tr><th>instrument</th><th>size</th><th>entry price</th><th>realized pnl</th>
<th>fees</th><th>accounts</th><th>value USDT</th><th>unrealized USDT</th><th>realized USDT</th>
</tr></thead><tbody id="unified"></tbody></table>
<h2>Balances</h2>
<table><thead><tr><th>account</th><th>market</th><th>asset</th><th>free</th><th>locked</th>
<th>value USDT</th></tr></thead><tbody id="balances"></tbody></table>
<h3>Totals (<span id="total-usdt">-</span> USDT)</h3>
<table><thead><tr><th>asset</th><th>free</th><th>locked</th><th>value USDT</th><th>accounts</th>
</tr></thead><tbody id="totals"></tbody></table>
<h2>Open orders</h2>
<table><thead><tr><th>account</th><th>strategy</th><th>instrument</th><th>client order id</th>
<th>side</th><th>type</th><th>tif</th><th>price</th><th>quantity</th><th>filled</th><th>leaves</th>
<th>status</th></tr></thead><tbody id="orders"></tbody></table>
<h2>Strategies</h2>
<table><thead><tr><th>name</th><th>type</th><th>state</th><th>orders</th><th>quote</th>
<th>net pnl</th><th>realized</th><th>unrealized</th><th>fees</th></tr></thead>
<tbody id="strategies"></tbody></table>
<h2>Health</h2>
<table><thead><tr><th>exchange</th><th>account</th><th>status</th><th>connected</th>
<th>market data age ms</th><th>user data age ms</th><th>open orders</th><th>rate limits</th>
<th>last error</th><th>reasons</th></tr></thead><tbody id="accounts"></tbody></table>
<table><thead><tr><th>component</th><th>status</th><th>detail</th></tr></thead>
<tbody id="components"></tbody></table>
<p><a href="/metrics">/metrics</a> &middot; <a href="/health">/health</a></p>
<script>
'use strict';
const KEY = 'oms.dashboard.token';
let updates = 0;
const $ = id => document.getElementById(id);
// Values go in with textContent only (never innerHTML): names and errors cannot inject markup.
function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined || text === '' ? '-' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
}
function rows(id, list, fill) {
  const body = $(id);
  body.replaceChildren();
  for (const x of list || []) {
    const tr = document.createElement('tr');
    fill(tr, x);
    body.appendChild(tr);
  }
  if (!list || list.length === 0) {
    const tr = document.createElement('tr');
    cell(tr, 'none', 'empty');
    body.appendChild(tr);
  }
}
function chart(points) {
  const svg = $('pnl-chart'), ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  const pts = (points || []).filter(p => p[1] !== null);
  if (pts.length === 0) return;
  const t0 = pts[0][0], t1 = Math.max(pts[pts.length - 1][0], t0 + 1);
  let lo = Math.min(...pts.map(p => Number(p[1]))), hi = Math.max(...pts.map(p => Number(p[1])));
  if (hi === lo) { hi += 1; lo -= 1; }
  const x = t => 50 + (t - t0) / (t1 - t0) * 740, y = v => 190 - (v - lo) / (hi - lo) * 180;
  const zero = document.createElementNS(ns, 'line');
  for (const [k, v] of [['x1', 50], ['x2', 790], ['y1', y(0)], ['y2', y(0)], ['stroke', '#bbb']])
    zero.setAttribute(k, v);
  if (lo <= 0 && hi >= 0) svg.appendChild(zero);
  for (const [v, at] of [[hi, 12], [lo, 196]]) {
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', 2); label.setAttribute('y', at); label.setAttribute('font-size', 10);
    label.textContent = String(Math.round(v * 100) / 100);
    svg.appendChild(label);
  }
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('class', 'series');
  line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#1f6fd0'); line.setAttribute('stroke-width', 2);
  line.setAttribute('points', pts.map(p => x(p[0]).toFixed(1) + ',' + y(Number(p[1])).toFixed(1)).join(' '));
  svg.appendChild(line);
}
function render(d) {
  $('client').textContent = d.client;
  const h = d.health;
  $('status').textContent = h.status; $('status').className = h.status;
  rows('positions', d.positions.positions, (tr, p) => {
    cell(tr, p.account); cell(tr, p.instrument); cell(tr, p.size, 'n'); cell(tr, p.entry_price, 'n');
    cell(tr, p.realized_pnl, 'n'); cell(tr, p.fees, 'n'); cell(tr, p.quote); cell(tr, p.value_usdt, 'n');
    cell(tr, p.unrealized_pnl_usdt, 'n'); cell(tr, p.realized_pnl_usdt, 'n');
  });
  rows('unified', d.unified.positions, (tr, p) => {
    cell(tr, p.instrument); cell(tr, p.size, 'n'); cell(tr, p.entry_price, 'n'); cell(tr, p.realized_pnl, 'n');
    cell(tr, p.fees, 'n'); cell(tr, (p.accounts || []).join(', ')); cell(tr, p.value_usdt, 'n');
    cell(tr, p.unrealized_pnl_usdt, 'n'); cell(tr, p.realized_pnl_usdt, 'n');
  });
  rows('balances', d.balances.balances, (tr, b) => {
    cell(tr, b.account); cell(tr, b.market); cell(tr, b.asset); cell(tr, b.free, 'n'); cell(tr, b.locked, 'n');
    cell(tr, b.value_usdt, 'n');
  });
  rows('totals', d.balances.totals, (tr, t) => {
    cell(tr, t.asset); cell(tr, t.free, 'n'); cell(tr, t.locked, 'n'); cell(tr, t.value_usdt, 'n');
    cell(tr, (t.accounts || []).join(', '));
  });
  $('total-usdt').textContent = d.balances.total_usdt +
      (d.balances.unvalued && d.balances.unvalued.length ? ' (not valued: ' + d.balances.unvalued.join(', ') + ')' : '');
  rows('orders', d.orders.orders, (tr, o) => {
    cell(tr, o.account); cell(tr, o.strategy); cell(tr, o.instrument); cell(tr, o.client_order_id);
    cell(tr, o.side); cell(tr, o.order_type); cell(tr, o.tif); cell(tr, o.price, 'n'); cell(tr, o.quantity, 'n');
    cell(tr, o.cum_qty, 'n'); cell(tr, o.leaves_qty, 'n'); cell(tr, o.status);
  });
  const strategyRows = [];
  for (const s of d.strategies.strategies || []) {
    const pnl = s.pnl && s.pnl.length ? s.pnl : [{}];
    for (const p of pnl) strategyRows.push([s, p]);
  }
  rows('strategies', strategyRows, (tr, [s, p]) => {
    cell(tr, s.name); cell(tr, s.type); cell(tr, s.state, s.state === 'RUNNING' ? 'ok' : null); cell(tr, s.orders, 'n');
    cell(tr, p.quote); cell(tr, p.net, 'n'); cell(tr, p.realized, 'n'); cell(tr, p.unrealized, 'n'); cell(tr, p.fees, 'n');
  });
  rows('accounts', h.accounts, (tr, a) => {
    cell(tr, a.exchange); cell(tr, a.account); cell(tr, a.status, a.status);
    cell(tr, a.session_connected ? 'yes' : 'no');
    cell(tr, a.last_market_data_age_ms); cell(tr, a.last_user_data_age_ms);
    cell(tr, a.open_orders);
    cell(tr, a.rate_limits.map(r => r.name + ' ' + r.used + '/' + r.limit).join(', '));
    cell(tr, a.last_error ? a.last_error.message + ' (' + a.last_error.age_ms + ' ms ago)' : null);
    cell(tr, a.reasons.join('; '));
  });
  rows('components', Object.entries(h.components), (tr, [name, c]) => {
    cell(tr, name); cell(tr, c.status, c.status); cell(tr, c.detail);
  });
  const pts = d.pnl ? d.pnl.points : [];
  const last = pts.length ? pts[pts.length - 1][1] : null;
  $('pnl-now').textContent = d.pnl && d.pnl.withheld ? d.pnl.withheld
                           : last === null ? 'not valued (a mark is missing)' : last;
  chart(pts);
  $('updated').textContent = 'updated ' + new Date().toISOString();
  $('updates').textContent = String(++updates);
}
function showLogin(message) {
  $('login').hidden = false;
  $('login-err').textContent = message || '';
}
// The token: from the address's fragment once (#token=..., then removed from the address), else
// from this tab's sessionStorage, else asked for.
function token() {
  const m = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY);
}
function event(text) {
  let name = 'message', data = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (name === 'snapshot') {
    render(JSON.parse(data));
    $('err').textContent = '';
    return true;
  }
  if (name === 'error') {
    const e = JSON.parse(data);
    $('err').textContent = e.error;
    if (e.status === 401) { sessionStorage.removeItem(KEY); showLogin(e.error); return false; }
  }
  return true;
}
// The first view is one snapshot (/api/dashboard: drawn at once, whatever the stream's pace);
// then the snapshots come as server-sent events over fetch() (EventSource cannot send the
// Authorization header); the server ends a stream after a while and the page opens the next.
let drawn = false;
async function connect() {
  const tok = token();
  if (!tok) { showLogin(''); return; }
  $('login').hidden = true;
  try {
    if (!drawn) {
      const s = await fetch('/api/dashboard', {headers: {Authorization: 'Bearer ' + tok}, cache: 'no-store'});
      if (s.ok) { render(await s.json()); drawn = true; }
    }
    const r = await fetch('/api/dashboard/events', {headers: {Authorization: 'Bearer ' + tok}, cache: 'no-store'});
    if (r.status === 401) {
      const e = await r.json().catch(() => ({error: r.statusText}));
      sessionStorage.removeItem(KEY);
      showLogin(e.error);
      return;
    }
    if (!r.ok) {
      $('err').textContent = 'HTTP ' + r.status + ': ' + await r.text();
    } else {
      const reader = r.body.getReader(), decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buf += decoder.decode(value, {stream: true});
        let at;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const text = buf.slice(0, at);
          buf = buf.slice(at + 2);
          if (!event(text)) return;
        }
      }
    }
  } catch (e) {
    $('err').textContent = 'cannot reach /api/dashboard/events: ' + e;
  }
  setTimeout(connect, 1000);
}
$('login').addEventListener('submit', ev => {
  ev.preventDefault();
  const v = $('token').value.trim();
  if (!v) return;
  sessionStorage.setItem(KEY, v);
  $('token').value = '';
  connect();
});
connect();
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

net::HttpResponse json_error(unsigned status, const std::string& message, bool bearer) {
  auto r = json_error(status, message);
  if (bearer) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::string_view path_of(const net::HttpRequest& req) {
  std::string_view path(req.target);
  return path.substr(0, path.find('?'));
}

std::string_view authorization_of(const net::HttpRequest& req) {
  for (const auto& [name, value] : req.headers) {
    if (name.size() == 13 && std::equal(name.begin(), name.end(), "authorization", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        }))
      return value;
  }
  return {};
}

// The source's answer with "health" first: {"health":{..},<the source's members>}.
std::string with_health(const std::string& body, const HealthBoard& health) {
  std::string out = R"({"health":)" + health.overall_json().json;
  if (body.size() > 2) out += "," + body.substr(1);
  else out += "}";
  return out;
}

constexpr std::string_view kEventsPath = "/api/dashboard/events";

}  // namespace

std::string_view ObservabilityServer::page() {
  return kDashboard;
}

net::HttpResponse ObservabilityServer::dashboard_response(const net::HttpRequest& req,
                                                          const DashboardSource& source,
                                                          const HealthBoard& health) {
  if (!source) return json_error(503, "the dashboard is not ready (the API is starting)");
  const auto answer = source(authorization_of(req), req.peer);
  if (answer.status != 200) return json_error(answer.status, answer.body, answer.status == 401);
  return json_response(200, with_health(answer.body, health));
}

net::HttpResponse ObservabilityServer::route(const net::HttpRequest& req, const Metrics& metrics,
                                             const HealthBoard& health) {
  std::string_view path(req.target);
  path = path.substr(0, path.find('?'));
  if (path == "/") {
    // No external asset may load: inline script and style, fetches to this server only.
    return {200,
            {{"Content-Type", "text/html; charset=utf-8"},
             {"Content-Security-Policy",
              "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"}},
            std::string(kDashboard)};
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
    : health_(health),
      server_(std::make_unique<net::HttpServer>(
          std::move(cfg),
          [this, &metrics, &health](const net::HttpRequest& req) {
            const auto path = path_of(req);
            if (path == "/api/dashboard" || path == kEventsPath) return dashboard_response(req, source(), health);
            return route(req, metrics, health);
          },
          [this](const net::HttpRequest& req) { return stream(req); })) {}

void ObservabilityServer::set_dashboard(DashboardSource source) {
  std::lock_guard lock(source_mutex_);
  source_ = std::move(source);
}

void ObservabilityServer::set_stream_duration(std::chrono::milliseconds d) {
  stream_ms_ = d.count();
}

DashboardSource ObservabilityServer::source() const {
  std::lock_guard lock(source_mutex_);
  return source_;
}

// /api/dashboard/events: refused requests (no source, a bad token) are answered by the ordinary
// handler (nullopt here); an accepted one streams a snapshot a second until the stream's time
// is up, or an `error` event and the end when the source refuses later (a revoked token).
std::optional<net::HttpStream> ObservabilityServer::stream(const net::HttpRequest& req) {
  if (path_of(req) != kEventsPath) return std::nullopt;
  auto src = source();
  if (!src) return std::nullopt;
  std::string authorization(authorization_of(req));
  auto first = src(authorization, req.peer);
  if (first.status != 200) return std::nullopt;
  net::HttpStream s;
  s.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-store"}};
  s.interval = std::chrono::milliseconds(1000);
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(stream_ms_.load());
  s.next = [this, src = std::move(src), authorization = std::move(authorization), peer = req.peer, end,
            pending = std::optional<DashboardAnswer>(std::move(first)), done = false]() mutable
      -> std::optional<std::string> {
    if (done || (!pending && std::chrono::steady_clock::now() >= end)) return std::nullopt;
    DashboardAnswer a = pending ? std::move(*pending) : src(authorization, peer);
    pending.reset();
    if (a.status != 200) {
      done = true;
      nlohmann::json j{{"status", a.status}, {"error", a.body}};
      return "event: error\ndata: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
    }
    return "retry: 1000\nevent: snapshot\ndata: " + with_health(a.body, health_) + "\n\n";
  };
  return s;
}

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
