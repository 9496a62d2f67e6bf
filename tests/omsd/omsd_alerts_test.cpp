// Alerts end to end: omsd with risk.yaml's alerts block pointed at a loopback HTTPS endpoint (the
// Slack webhook, its secret URL in omsd's environment) and a loopback SMTP server with STARTTLS
// (the password in the environment); `omsctl kill` makes a Slack-shaped POST naming the scope and
// the reason, and an e-mail; the same trip again within the window is held back and counted;
// /metrics counts per sink; no secret reaches omsd's log.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "oms/connectors/net/https_server.hpp"
#include "omsd_checks.hpp"
#include "testkit/paths.hpp"
#include "testkit/smtp_server.hpp"
#include "testkit/tls_certs.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kWebhookPath = "/services/T0ALERT/B0ALERT/WEBHOOKSECRET123";
constexpr const char* kSmtpPassword = "smtp-PASSWORD-456";

// The Slack POSTs about kill switches (an account that lost its stream would alert too).
struct Recorder {
  std::mutex mu;
  std::vector<net::HttpRequest> requests;
  std::vector<net::HttpRequest> copy() {
    std::lock_guard lock(mu);
    std::vector<net::HttpRequest> kills;
    for (const auto& r : requests) {
      const auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_object() && j.value("text", "").starts_with("[omsd] kill switch"))
        kills.push_back(r);
    }
    return kills;
  }
};

}  // namespace

TEST_CASE(
    "alerts: omsctl kill posts a Slack message with the scope and reason and mails the desk; a "
    "repeat is held back and counted") {
  testkit::TempDir tmp{"omsd-alerts"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  Recorder rec;
  net::HttpsServerConfig hc;
  hc.tls = {certs.cert.string(), certs.key.string()};
  net::HttpsServer slack(hc, [&](const net::HttpRequest& r) {
    {
      std::lock_guard lock(rec.mu);
      rec.requests.push_back(r);
    }
    net::HttpResponse ok;
    ok.status = 200;
    ok.body = "ok";
    return ok;
  });
  slack.start();
  testkit::SmtpServerOptions so{certs};
  so.user = "oms-alerts";
  so.password = kSmtpPassword;
  testkit::SmtpTestServer smtp(so);
  const std::string webhook = "https://127.0.0.1:" + std::to_string(slack.port()) + kWebhookPath;
  REQUIRE(::setenv("OMS_SLACK_WEBHOOK_URL", webhook.c_str(), 1) == 0);
  REQUIRE(::setenv("OMS_SMTP_PASSWORD", kSmtpPassword, 1) == 0);

  StackOptions o;
  o.edit_configs = [&](const std::filesystem::path& configs) {
    const auto risk = configs / "risk.yaml";
    replace_in_file(risk, "  queue: 256\n", "  queue: 256\n  ca_file: " + certs.ca.string() + "\n");
    replace_in_file(risk, "    host: smtp.example.com\n", "    host: 127.0.0.1\n");
    replace_in_file(risk, "    port: 587\n", "    port: " + std::to_string(smtp.port()) + "\n");
  };
  Stack s(o);
  s.start_omsd();
  ::unsetenv("OMS_SLACK_WEBHOOK_URL");
  ::unsetenv("OMS_SMTP_PASSWORD");
  CHECK(testkit::read_file(s.omsd_log()).find("alerts: slack, email") != std::string::npos);

  const auto k = s.omsctl(
      {"kill", "--scope", "account", "--account", "binance_main", "--reason", "alert drill"});
  REQUIRE_MESSAGE(k.code == 0, (k.out + k.err));
  REQUIRE(wait_until([&] { return !rec.copy().empty(); }, 15s));
  const auto first = rec.copy().at(0);
  CHECK(first.method == "POST");
  CHECK(first.target == kWebhookPath);
  const auto body = nlohmann::json::parse(first.body);
  CHECK(body["channel"] == "#trading-alerts");
  CHECK(body["text"] ==
        "[omsd] kill switch tripped: account binance_main -> halted\n"
        "scope: account binance_main\nstate: halted\nreason: alert drill\n"
        "reset only by an operator: omsctl reset --scope account");
  // The e-mail: to the desk's address, over STARTTLS with the password from the environment.
  REQUIRE(wait_until(
      [&] {
        const auto ss = smtp.sessions();
        return !ss.empty() && !ss.back().data.empty();
      },
      15s));
  const auto mail = smtp.sessions().back();
  CHECK(mail.rcpt_to == std::vector<std::string>{"<trader@example.com>"});
  CHECK(mail.mail_from == "<oms-alerts@example.com>");
  CHECK(mail.data.find("Subject: [omsd] kill switch tripped: account binance_main -> halted\n") !=
        std::string::npos);
  CHECK(std::find(mail.commands.begin(), mail.commands.end(),
                  "[tls] AUTH PLAIN user=oms-alerts ok") != mail.commands.end());

  // The same trip within the 5-minute window: held back by both sinks, counted.
  const auto again =
      s.omsctl({"kill", "--scope", "account", "--account", "binance_main", "--reason", "again"});
  REQUIRE_MESSAGE(again.code == 0, (again.out + again.err));
  CHECK(wait_until(
      [&] {
        return s.http_get("/metrics")
                   .second.find("oms_alerts_suppressed_total{sink=\"slack\"} 1") !=
               std::string::npos;
      },
      10s));
  const std::string metrics = s.http_get("/metrics").second;
  CHECK(metrics.find("oms_alerts_sent_total{sink=\"slack\"} 1") != std::string::npos);
  CHECK(metrics.find("oms_alerts_sent_total{sink=\"email\"} 1") != std::string::npos);
  CHECK(metrics.find("oms_alerts_suppressed_total{sink=\"email\"} 1") != std::string::npos);
  CHECK(metrics.find("oms_alerts_failed_total{sink=\"slack\"} 0") != std::string::npos);
  CHECK(metrics.find("oms_alerts_dropped_total 0") != std::string::npos);
  CHECK(rec.copy().size() == 1);

  CHECK(s.stop_omsd() == 0);
  const std::string log = testkit::read_file(s.omsd_log());
  CHECK(log.find("WEBHOOKSECRET123") == std::string::npos);
  CHECK(log.find(kSmtpPassword) == std::string::npos);
  CHECK(log.find("alert sent to slack: kill switch tripped: account binance_main -> halted") !=
        std::string::npos);
}

TEST_CASE("alerts: paper mode runs without a sink whose secret is not set, and says which") {
  ::unsetenv("OMS_SLACK_WEBHOOK_URL");
  ::unsetenv("OMS_SMTP_PASSWORD");
  Stack s;
  s.start_omsd();
  const std::string log = testkit::read_file(s.omsd_log());
  CHECK(log.find("alerts.slack: env:OMS_SLACK_WEBHOOK_URL: the variable is not set; paper mode "
                 "runs without this sink") != std::string::npos);
  CHECK(log.find("alerts.smtp: env:OMS_SMTP_PASSWORD: the variable is not set; paper mode runs "
                 "without this sink") != std::string::npos);
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE(
    "alerts: live mode refuses to start when a sink's secret does not read, naming it, before it "
    "connects") {
  ::unsetenv("OMS_SLACK_WEBHOOK_URL");
  testkit::TempDir tmp{"omsd-alerts-live"};
  const auto r = testkit::run_process(
      {OMSD_BIN, "--config", OMS_SOURCE_DIR "/configs", "--data", (tmp.path() / "data").string(),
       "--mode", "live", "--secrets", "keyfile:" + (tmp.path() / "no-such-keyfile").string()},
      30s, {"OMS_SMTP_PASSWORD=set-but-unused"});
  CHECK(r.code == 2);
  CHECK(r.err.find(
            "not starting: alerts.slack: env:OMS_SLACK_WEBHOOK_URL: the variable is not set") !=
        std::string::npos);
  CHECK(r.err.find("alerts.smtp") == std::string::npos);  // its password is set
  CHECK(r.err.find("keyfile") == std::string::npos);      // refused before the keys were opened
  CHECK(r.err.find("set-but-unused") == std::string::npos);
}

// A loopback Slack incoming webhook: the texts posted to it, in order.
class SlackHook {
 public:
  explicit SlackHook(const testkit::TlsCerts& certs)
      : server_(config(certs), [this](const net::HttpRequest& r) {
          {
            std::lock_guard lock(mu_);
            texts_.push_back(nlohmann::json::parse(r.body, nullptr, false).value("text", ""));
          }
          net::HttpResponse ok;
          ok.status = 200;
          ok.body = "ok";
          return ok;
        }) {
    server_.start();
  }
  [[nodiscard]] std::string url() const {
    return "https://127.0.0.1:" + std::to_string(server_.port()) + kWebhookPath;
  }
  [[nodiscard]] std::vector<std::string> texts() {
    std::lock_guard lock(mu_);
    return texts_;
  }
  [[nodiscard]] bool saw(const std::string& prefix) {
    for (const auto& t : texts()) {
      if (t.starts_with(prefix)) return true;
    }
    return false;
  }

 private:
  static net::HttpsServerConfig config(const testkit::TlsCerts& certs) {
    net::HttpsServerConfig c;
    c.tls = {certs.cert.string(), certs.key.string()};
    return c;
  }
  std::mutex mu_;
  std::vector<std::string> texts_;
  net::HttpsServer server_;
};

// The stack's options for alerts to `hook` only (the SMTP password unset: paper runs without
// e-mail); omsd takes the webhook from the environment at its start.
StackOptions slack_only(const SlackHook& hook, const testkit::TlsCerts& certs,
                        StackOptions o = {}) {
  REQUIRE(::setenv("OMS_SLACK_WEBHOOK_URL", hook.url().c_str(), 1) == 0);
  ::unsetenv("OMS_SMTP_PASSWORD");
  auto edit = std::move(o.edit_configs);
  o.edit_configs = [edit, ca = certs.ca](const std::filesystem::path& configs) {
    replace_in_file(configs / "risk.yaml", "  queue: 256\n",
                    "  queue: 256\n  ca_file: " + ca.string() + "\n");
    if (edit) edit(configs);
  };
  return o;
}

TEST_CASE("alerts: an account whose venue went away is alerted once it stays down 5 s") {
  testkit::TempDir tmp{"omsd-alerts-down"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  SlackHook hook(certs);
  Stack s(slack_only(hook, certs));
  s.start_omsd();
  ::unsetenv("OMS_SLACK_WEBHOOK_URL");
  std::this_thread::sleep_for(2s);
  CHECK(hook.texts().empty());  // all up: nothing to say
  s.kill_venue();
  CHECK(wait_until([&] { return hook.saw("[omsd] account down: binance_main (binance)\n"); }, 20s));
  for (const auto& t : hook.texts()) CHECK(t.starts_with("[omsd] account down: "));
}

TEST_CASE("alerts: the store (nats-server) going away is alerted once appends fail") {
  testkit::TempDir tmp{"omsd-alerts-store"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  SlackHook hook(certs);
  Stack s(slack_only(hook, certs));
  s.start_omsd();
  ::unsetenv("OMS_SLACK_WEBHOOK_URL");
  s.nats().kill();  // the market data omsd records go on arriving: their appends fail
  CHECK(wait_until([&] { return hook.saw("[omsd] store outage: jetstream\n"); }, 30s));
  s.nats().start();
  s.nats().wait_jetstream_ready();
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("alerts: a venue ban (HTTP 418) is alerted with the market, and the kill switch it trips by itself (venue_ban) with its reason") {
  testkit::TempDir tmp{"omsd-alerts-ban"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  SlackHook hook(certs);
  StackOptions o;
  // The third new order is answered 418 and bans the market's IP for 4 s.
  o.venue_flags = {"--random-walk", "17", "--walk-interval-ms", "50",
                   "--seed",        "9",  "--faults",           "ban_after=3,ban_s=4"};
  o.edit_configs = [](const std::filesystem::path& configs) {
    // No strategy sends orders of its own: the orders counted are the test's.
    std::string text = testkit::read_file(configs / "strategies.yaml");
    for (std::size_t at; (at = text.find("enabled: true")) != std::string::npos;)
      text.replace(at, 13, "enabled: false");
    std::ofstream(configs / "strategies.yaml") << text;
    // The ban trips the accounts on the venue by themselves (the engine's automatic kill switch).
    replace_in_file(configs / "risk.yaml", "  flatten_positions: false\n",
                    "  flatten_positions: false\n  venue_ban: true\n");
  };
  Stack s(slack_only(hook, certs, std::move(o)));
  s.start_omsd();
  ::unsetenv("OMS_SLACK_WEBHOOK_URL");
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  const std::string below = tick(mid.raw() - mid.raw() / 200).to_string();  // rests 0.5 % under
  for (const char* id : {"BAN-1", "BAN-2", "BAN-3"}) {
    const auto r = submit(s, id, "buy", "0.001", below);
    REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
    wait_orders(s, [&](const nlohmann::json& list) {
      const auto st = status_of(list, id);
      return st == "accepted" || st == "rejected";
    });
  }
  CHECK(wait_until(
      [&] {
        return hook.saw("[omsd] venue ban: binance spot (HTTP 418)\nthe venue banned this IP for ");
      },
      10s));
  // The automatic trip reaches the contacts as an operator's does, with the engine's reason.
  CHECK(wait_until(
      [&] {
        return hook.saw("[omsd] kill switch tripped: account binance_main -> halted\nscope: account "
                        "binance_main\nstate: halted\nreason: auto 3224 venue_ban: banned until ");
      },
      10s));
  INFO(hook.texts().size());
  CHECK(s.stop_omsd() == 0);
}
