// The live dashboard, end to end (issue 18, "Seeing it"): the paper stack, a market buy and a
// resting limit order placed through omsctl at venue-sim; then
//  - /api/dashboard without a token, or with an unknown one, is 401 with a JSON error, while
//    /health stays open;
//  - headless Chromium driven over the DevTools protocol opens the page with the token in the
//    address's fragment (the page moves it to sessionStorage and off the address): it shows the
//    resting order; an order placed then appears in the same page load, pushed by the event
//    stream (no reload);
//  - with omsctl's token the endpoint's JSON carries exactly what omsctl --json prints for
//    positions (per account and unified), balances, the open orders and the strategies;
//  - /api/dashboard/events streams that JSON as server-sent events, one a second, and ends;
//  - Chromium's --dump-dom of the page: its tables show those values -- rows built from
//    omsctl's JSON -- with the PnL chart drawn; a screenshot is a non-empty PNG.
// Once the orders are placed venue-sim is stopped (SIGKILL): no market data comes any more, the
// engine's marks stand still, so the USDT values of omsctl's calls and the dashboard's are the
// same figures (the health table then shows the venue down; it is checked by its rows only).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "devtools_page.hpp"
#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// The text between the first `open` and the `close` after it; empty when either is missing.
std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto from = text.find(open);
  if (from == std::string::npos) return {};
  const auto start = from + open.size();
  const auto end = text.find(close, start);
  return end == std::string::npos ? std::string() : text.substr(start, end - start);
}

// The DOM without its class attributes (` class="..."`), so rows compare by their text.
std::string without_classes(std::string dom) {
  const std::string attr = " class=\"";
  for (std::size_t at; (at = dom.find(attr)) != std::string::npos;) {
    const auto end = dom.find('"', at + attr.size());
    if (end == std::string::npos) break;
    dom.erase(at, end + 1 - at);
  }
  return dom;
}

struct Answer {
  int status = 0;
  std::string body;
};

// GET http://127.0.0.1:port/path with `headers` (CRLF-terminated lines); Connection: close.
Answer get(int port, const std::string& path, const std::string& headers) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n";
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string resp;
  char buf[8192];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto end = resp.find("\r\n\r\n");
  REQUIRE_MESSAGE(end != std::string::npos, resp);
  return {std::stoi(resp.substr(9, 3)), resp.substr(end + 4)};
}

bool open_status(const std::string& st) {
  return st == "pending_submit" || st == "submitted" || st == "accepted" ||
         st == "partially_filled" || st == "pending_cancel" || st == "pending_amend" ||
         st == "amended" || st == "unknown";
}

// What the page shows for a field: the text, "-" for an empty or absent one.
std::string shown(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return "-";
  const auto& v = j.at(key);
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  return text.empty() ? "-" : text;
}
std::string joined(const nlohmann::json& j, const char* key) {
  std::string out;
  for (const auto& v : j.value(key, nlohmann::json::array()))
    out += (out.empty() ? "" : ", ") + v.get<std::string>();
  return out.empty() ? "-" : out;
}
std::string row(const std::vector<std::string>& cells) {
  std::string out = "<tr>";
  for (const auto& c : cells) out += "<td>" + c + "</td>";
  return out + "</tr>";
}

}  // namespace

TEST_CASE(
    "dashboard: 401 without a token; its JSON equals omsctl's; Chromium shows the same values, "
    "pushed by server-sent events; a screenshot") {
  StackOptions o;
  o.venue_flags = {"--random-walk", "7", "--walk-interval-ms", "500"};
  o.omsd_flags = {"--dashboard-stream", "2"};
  Stack s(o);
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  // The engine's marks are in (a market order is priced at its mark): binance_main's BTC is valued.
  nlohmann::json held;
  REQUIRE_MESSAGE(
      wait_until(
          [&] {
            held = omsctl_json(s, {"balances", "--account", "binance_main"});
            for (const auto& b : held.at("balances"))
              if (b.at("asset") == "BTC" && !b.value("value_usdt", std::string()).empty())
                return true;
            return false;
          },
          30s),
      held.dump());
  auto r = submit(s, "DASH-BUY", "buy", "0.002", "", "market");
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  const Decimal below = tick(mid.raw() - mid.raw() / 200);  // rests 0.5 % under, inside the bands
  r = submit(s, "DASH-REST", "buy", "0.001", below.to_string());
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  (void)wait_orders(s, [](const nlohmann::json& os) {
    return status_of(os, "DASH-REST") == "accepted" && status_of(os, "DASH-BUY") == "filled";
  });
  (void)wait_quiet(s);

  // Unauthenticated: 401 with a JSON error; /health and /metrics stay as they are.
  const auto none = get(s.http_port(), "/api/dashboard", "");
  CHECK(none.status == 401);
  CHECK(nlohmann::json::parse(none.body) ==
        nlohmann::json{{"error", "missing authorization metadata"}});
  const auto wrong = get(s.http_port(), "/api/dashboard/events",
                         "Authorization: Bearer " + std::string(64, 'a') + "\r\n");
  CHECK(wrong.status == 401);
  CHECK(nlohmann::json::parse(wrong.body).at("error") == "authorization: unknown token");
  CHECK(s.http_get("/health").first == 200);
  CHECK(s.http_get("/metrics").first == 200);
  std::string token = testkit::read_file(s.data() / "api" / "omsctl.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  REQUIRE(token.size() >= 32);
  const std::string url = "http://127.0.0.1:" + std::to_string(s.http_port()) + "/#token=" + token;

  // Live, in real time (Chromium over the DevTools protocol): the page shows DASH-REST; an
  // order placed afterwards appears in the same page, without a reload, pushed by the stream.
  {
    DevToolsPage page(url);
    const auto shows = [&](const std::string& id) {
      return page
          .evaluate(
              "!!document.getElementById('orders') && "
              "document.getElementById('orders').textContent.includes('" +
              id + "')")
          .get<bool>();
    };
    const auto updates = [&] {
      return std::stoi(
          page.evaluate("document.getElementById('updates').textContent").get<std::string>());
    };
    REQUIRE(wait_until([&] { return shows("DASH-REST"); }, 20s));
    CHECK_FALSE(shows("DASH-LIVE"));
    (void)page.evaluate("window.sameLoad = 1");
    const int before = updates();
    r = submit(s, "DASH-LIVE", "buy", "0.001", below.to_string());
    REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
    CHECK(wait_until([&] { return shows("DASH-LIVE"); }, 20s));
    CHECK(updates() > before);
    CHECK(page.evaluate("window.sameLoad === 1").get<bool>());  // no reload in between
    CHECK(page.evaluate("location.hash") == "");                // the token left the address...
    CHECK(page.evaluate("sessionStorage.getItem('oms.dashboard.token')") == token);  // ...for here
  }
  (void)wait_quiet(s);
  s.kill_venue();  // the marks stand still from here on
  std::this_thread::sleep_for(1s);

  // The endpoint's JSON: what omsctl prints, field for field (taken until one pass agrees: an
  // omsctl call and the dashboard's are different instants).
  nlohmann::json dash, positions, unified, balances, orders, strategies;
  const bool agree = wait_until(
      [&] {
        const auto a =
            get(s.http_port(), "/api/dashboard", "Authorization: Bearer " + token + "\r\n");
        if (a.status != 200) return false;
        dash = nlohmann::json::parse(a.body);
        positions = omsctl_json(s, {"positions"});
        unified = omsctl_json(s, {"positions", "--unified"});
        balances = omsctl_json(s, {"balances"});
        orders = omsctl_json(s, {"orders"});
        strategies = omsctl_json(s, {"strategy", "list"});
        nlohmann::json open = nlohmann::json::array();
        for (const auto& x : orders.at("orders"))
          if (open_status(x.at("status"))) open.push_back(x);
        return dash.at("positions") == positions && dash.at("unified") == unified &&
               dash.at("balances") == balances && dash.at("orders").at("orders") == open &&
               dash.at("strategies") == strategies;
      },
      30s);
  REQUIRE_MESSAGE(agree, "dashboard: " << dash.dump() << "\nomsctl positions: " << positions.dump()
                                       << "\nbalances: " << balances.dump() << "\norders: "
                                       << orders.dump() << "\nstrategies: " << strategies.dump());
  CHECK(dash.at("client") == "omsctl");
  CHECK(dash.at("health").at("status").is_string());
  CHECK(dash.at("health").at("accounts").size() ==
        nlohmann::json::parse(s.http_get("/health").second).at("accounts").size());
  // The resting order is among the open ones (the example strategies may quote too).
  CHECK(status_of(dash.at("orders").at("orders"), "DASH-REST") == "accepted");
  CHECK(status_of(dash.at("orders").at("orders"), "DASH-BUY") == "<absent>");
  CHECK_FALSE(dash.at("positions").at("positions").empty());
  CHECK_FALSE(dash.at("balances").at("balances").empty());
  {  // A figure for the record: one snapshot's size and time, 9 accounts.
    const auto t0 = std::chrono::steady_clock::now();
    const auto a = get(s.http_port(), "/api/dashboard", "Authorization: Bearer " + token + "\r\n");
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    MESSAGE("/api/dashboard: " << a.body.size() << " bytes in " << us.count() << " us");
  }
  // The chart's ring: a sample a second, the newest valued (the marks are there).
  REQUIRE(wait_until(
      [&] {
        const auto a =
            get(s.http_port(), "/api/dashboard", "Authorization: Bearer " + token + "\r\n");
        dash = nlohmann::json::parse(a.body);
        return dash.at("pnl").at("points").size() >= 3;
      },
      20s));
  CHECK(dash.at("pnl").at("interval_ms") == 1000);
  const auto& last = dash.at("pnl").at("points").back();
  REQUIRE_MESSAGE(last.at(1).is_string(), dash.at("pnl").dump());
  CHECK(Decimal::parse(last.at(1).get<std::string>()).ok());

  // The event stream as the page reads it: a snapshot at once and one a second, each the
  // endpoint's JSON, until the stream's 2 s are up and the server ends it.
  {
    const auto t0 = std::chrono::steady_clock::now();
    const auto stream =
        get(s.http_port(), "/api/dashboard/events", "Authorization: Bearer " + token + "\r\n");
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(stream.status == 200);
    CHECK(took >= 1s);
    CHECK(took < 10s);
    std::size_t events = 0;
    for (std::size_t at = stream.body.find("event: snapshot\ndata: "); at != std::string::npos;
         at = stream.body.find("event: snapshot\ndata: ", at + 1)) {
      const auto from = at + std::string("event: snapshot\ndata: ").size();
      const auto j =
          nlohmann::json::parse(stream.body.substr(from, stream.body.find("\n\n", from) - from));
      CHECK(j.at("positions") == positions);
      CHECK(j.at("balances") == balances);
      ++events;
    }
    CHECK(events >= 2);
  }

  // The page in headless Chromium: the token in the fragment (the page moves it to
  // sessionStorage and takes it off the address).
  const auto dom =
      testkit::run_process({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--virtual-time-budget=5000", "--dump-dom", url},
                           120s);
  REQUIRE_MESSAGE(dom.code == 0, "chromium (deploy/setup installs it): " << dom.err);
  const std::string page = without_classes(dom.out);
  INFO(page);
  CHECK(page.find("<span id=\"client\">omsctl</span>") != std::string::npos);
  const std::string updates = between(page, "<span id=\"updates\">", "</span>");
  REQUIRE(!updates.empty());
  REQUIRE(updates.find_first_not_of("0123456789") == std::string::npos);
  // Drawn: the page's first snapshot, then the event stream's (live updates: the DevTools check).
  CHECK(std::stoi(updates) >= 1);
  for (const auto& p : positions.at("positions")) {
    const auto want =
        row({shown(p, "account"), shown(p, "instrument"), shown(p, "size"), shown(p, "entry_price"),
             shown(p, "realized_pnl"), shown(p, "fees"), shown(p, "quote"), shown(p, "value_usdt"),
             shown(p, "unrealized_pnl_usdt"), shown(p, "realized_pnl_usdt")});
    CHECK_MESSAGE(page.find(want) != std::string::npos, want);
  }
  for (const auto& p : unified.at("positions")) {
    const auto want = row({shown(p, "instrument"), shown(p, "size"), shown(p, "entry_price"),
                           shown(p, "realized_pnl"), shown(p, "fees"), joined(p, "accounts"),
                           shown(p, "value_usdt"), shown(p, "unrealized_pnl_usdt"),
                           shown(p, "realized_pnl_usdt")});
    CHECK_MESSAGE(page.find(want) != std::string::npos, want);
  }
  for (const auto& b : balances.at("balances")) {
    const auto want = row({shown(b, "account"), shown(b, "market"), shown(b, "asset"),
                           shown(b, "free"), shown(b, "locked"), shown(b, "value_usdt")});
    CHECK_MESSAGE(page.find(want) != std::string::npos, want);
  }
  for (const auto& t : balances.at("totals")) {
    const auto want = row({shown(t, "asset"), shown(t, "free"), shown(t, "locked"),
                           shown(t, "value_usdt"), joined(t, "accounts")});
    CHECK_MESSAGE(page.find(want) != std::string::npos, want);
  }
  CHECK(page.find("<span id=\"total-usdt\">" + balances.at("total_usdt").get<std::string>()) !=
        std::string::npos);
  std::size_t open_rows = 0;
  for (const auto& x : orders.at("orders")) {
    if (!open_status(x.at("status"))) continue;
    ++open_rows;
    const auto want = row({shown(x, "account"), shown(x, "strategy"), shown(x, "instrument"),
                           shown(x, "client_order_id"), shown(x, "side"), shown(x, "order_type"),
                           shown(x, "tif"), shown(x, "price"), shown(x, "quantity"),
                           shown(x, "cum_qty"), shown(x, "leaves_qty"), shown(x, "status")});
    CHECK_MESSAGE(page.find(want) != std::string::npos, want);
  }
  CHECK(open_rows == dash.at("orders").at("orders").size());
  CHECK(page.find("<td>DASH-REST</td>") != std::string::npos);
  CHECK(page.find("<td>DASH-LIVE</td>") != std::string::npos);
  CHECK(page.find("<td>DASH-BUY</td>") == std::string::npos);  // filled: not an open order
  for (const auto& st : strategies.at("strategies")) {
    const auto pnl = st.value("pnl", nlohmann::json::array());
    for (const auto& p : pnl.empty() ? nlohmann::json::array({nlohmann::json::object()}) : pnl) {
      const auto want = row({shown(st, "name"), shown(st, "type"), shown(st, "state"),
                             shown(st, "orders"), shown(p, "quote"), shown(p, "net"),
                             shown(p, "realized"), shown(p, "unrealized"), shown(p, "fees")});
      CHECK_MESSAGE(page.find(want) != std::string::npos, want);
    }
  }
  // Health per venue and account, as /health has it.
  const auto health = nlohmann::json::parse(s.http_get("/health").second);  // kept: the loop reads into it
  for (const auto& a : health.at("accounts")) {
    const auto want = "<tr><td>" + a.at("exchange").get<std::string>() + "</td><td>" +
                      a.at("account").get<std::string>() + "</td>";
    CHECK_MESSAGE(page.find(want) != std::string::npos, want);
  }
  // The chart: a drawn series.
  const auto polyline = page.find("<polyline");
  REQUIRE(polyline != std::string::npos);
  const std::string points = between(page.substr(polyline, page.find('>', polyline) - polyline), "points=\"", "\"");
  REQUIRE(!points.empty());
  CHECK(points.find(',') != std::string::npos);
  CHECK(page.find("<span id=\"pnl-now\">not valued") == std::string::npos);

  // A screenshot: a PNG, not an empty one.
  const auto png = s.data() / "dashboard.png";
  const auto shot =
      testkit::run_process({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--window-size=1200,1600", "--virtual-time-budget=2500",
                            "--screenshot=" + png.string(), url},
                           120s);
  REQUIRE_MESSAGE(shot.code == 0, shot.err);
  REQUIRE(std::filesystem::exists(png));
  const std::string bytes = testkit::read_file(png);
  CHECK(bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
  CHECK(bytes.size() > 20'000);

  // omsd stops cleanly with the dashboard attached (it detaches before the API goes).
  CHECK(s.stop_omsd() == 0);
}
