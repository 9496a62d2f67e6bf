// Pins the alert sinks over real loopback sockets: the Slack webhook and Telegram Bot API shapes
// at an HTTPS endpoint that records them, the SMTP dialogue (STARTTLS, AUTH, dot-stuffing) at a
// loopback mail server, the dedup / rate rule, the queue that drops its oldest, and that no
// secret (webhook path, bot token, SMTP password) reaches an error text.
#include <doctest/doctest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "oms/connectors/alerts/alert_service.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/net/smtp_client.hpp"
#include "testkit/smtp_server.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::alerts {
namespace {

using namespace std::chrono_literals;
constexpr TimeNs kSecond = 1'000'000'000;

// The loopback HTTPS endpoint: every request recorded, answered by `answer`.
struct Endpoint {
  explicit Endpoint(const testkit::TlsCerts& certs,
                    std::function<net::HttpResponse(const net::HttpRequest&)> answer = nullptr)
      : answer_(std::move(answer)), server_(config(certs), [this](const net::HttpRequest& r) {
          {
            std::lock_guard lock(mu_);
            requests_.push_back(r);
          }
          if (answer_) return answer_(r);
          net::HttpResponse ok;
          ok.status = 200;
          ok.body = "ok";
          return ok;
        }) {
    server_.start();
  }
  static net::HttpsServerConfig config(const testkit::TlsCerts& certs) {
    net::HttpsServerConfig c;
    c.tls = {certs.cert.string(), certs.key.string()};
    return c;
  }
  std::vector<net::HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string origin() const { return "https://127.0.0.1:" + std::to_string(server_.port()); }

  std::function<net::HttpResponse(const net::HttpRequest&)> answer_;
  std::mutex mu_;
  std::vector<net::HttpRequest> requests_;
  net::HttpsServer server_;
};

struct Fixture {
  testkit::TempDir tmp{"oms-alerts"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  net::TlsClientConfig trust{certs.ca.string()};
};

AlertMessage message(std::string key, std::string title, std::string text = {}) {
  return AlertMessage{
      Alert{AlertKind::kKillSwitch, std::move(key), std::move(title), std::move(text), 0}, 0, 0};
}

TEST_CASE("policy: one key once per window, the held-back count in the next message") {
  AlertPolicy p(std::chrono::seconds(60), 100);
  const auto a = p.decide("ban binance spot", 0);
  CHECK(a.send);
  CHECK(a.same_key_suppressed == 0);
  CHECK_FALSE(p.decide("ban binance spot", 10 * kSecond).send);
  CHECK_FALSE(p.decide("ban binance spot", 59 * kSecond).send);
  CHECK(p.decide("down binance_mm", 59 * kSecond).send);  // another key: its own window
  const auto b = p.decide("ban binance spot", 60 * kSecond);
  CHECK(b.send);
  CHECK(b.same_key_suppressed == 2);
  const auto c = p.decide("ban binance spot", 200 * kSecond);
  CHECK(c.send);
  CHECK(c.same_key_suppressed == 0);
}

TEST_CASE("policy: at most N a minute per sink, the others counted into the next message") {
  AlertPolicy p(std::chrono::seconds(1), 3);
  CHECK(p.decide("k1", 0).send);
  CHECK(p.decide("k2", 1 * kSecond).send);
  CHECK(p.decide("k3", 2 * kSecond).send);
  CHECK_FALSE(p.decide("k4", 3 * kSecond).send);
  CHECK_FALSE(p.decide("k5", 59 * kSecond).send);
  const auto d = p.decide("k6", 60 * kSecond);  // k1's send left the minute
  CHECK(d.send);
  CHECK(d.rate_suppressed == 2);
  CHECK_FALSE(p.decide("k7", 60 * kSecond).send);  // k2, k3 and k6 still in the minute
}

TEST_CASE("policy: a failed send gives its counts back and the key may go again at once") {
  AlertPolicy p(std::chrono::seconds(60), 10);
  REQUIRE(p.decide("store", 0).send);
  CHECK_FALSE(p.decide("store", 1 * kSecond).send);
  const auto d = p.decide("store", 61 * kSecond);
  REQUIRE(d.send);
  CHECK(d.same_key_suppressed == 1);
  p.not_delivered("store", d);
  const auto e = p.decide("store", 62 * kSecond);
  CHECK(e.send);
  CHECK(e.same_key_suppressed == 1);
}

TEST_CASE("message text names the counts") {
  AlertMessage m = message("k", "kill switch tripped: global", "reason: drill");
  m.same_key_suppressed = 3;
  m.rate_suppressed = 2;
  CHECK(m.subject() == "[omsd] kill switch tripped: global");
  CHECK(m.body() ==
        "[omsd] kill switch tripped: global\nreason: drill\n(3 more like this since the last "
        "message, not "
        "sent)\n(2 other alerts held back by the rate limit, not sent)");
}

TEST_CASE_FIXTURE(Fixture, "slack: the webhook gets a POST of {channel, text} at its own path") {
  Endpoint ep(certs);
  const std::string url = ep.origin() + "/services/T0001/B0002/XXXXSECRETXXXX";
  auto sink = make_slack_sink(url, {"#trading-alerts"}, trust);
  REQUIRE(sink.ok());
  CHECK((*sink)->name() == "slack");
  REQUIRE((*sink)->send(message("k", "kill switch tripped: global", "reason: drill")).ok());
  const auto reqs = ep.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/services/T0001/B0002/XXXXSECRETXXXX");
  const net::HttpResponse as_headers{0, reqs[0].headers, {}};
  const auto* ct = as_headers.header("Content-Type");
  REQUIRE(ct != nullptr);
  CHECK(*ct == "application/json; charset=utf-8");
  CHECK(nlohmann::json::parse(reqs[0].body) ==
        nlohmann::json{{"channel", "#trading-alerts"},
                       {"text", "[omsd] kill switch tripped: global\nreason: drill"}});
}

TEST_CASE_FIXTURE(
    Fixture,
    "slack: a refusal and an unreachable webhook name neither the URL's path nor its secret") {
  Endpoint ep(certs, [](const net::HttpRequest&) {
    net::HttpResponse r;
    r.status = 403;
    r.body = "invalid_token";
    return r;
  });
  auto sink = make_slack_sink(ep.origin() + "/services/T0001/B0002/XXXXSECRETXXXX", {"#a"}, trust);
  REQUIRE(sink.ok());
  auto r = (*sink)->send(message("k", "t"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == AlertErrorCode::kRejected);
  CHECK(r.error().message == "slack webhook at 127.0.0.1: HTTP 403: invalid_token");
  // Nothing listens: the transport's error (which names the request's path) is redacted.
  const std::string dead = "https://127.0.0.1:1/services/T0001/B0002/XXXXSECRETXXXX";
  auto down = make_slack_sink(dead, {"#a"}, trust);
  REQUIRE(down.ok());
  auto e = (*down)->send(message("k", "t"));
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == AlertErrorCode::kTransport);
  INFO(e.error().message);
  CHECK(e.error().message.find("XXXXSECRET") == std::string::npos);
  CHECK(e.error().message.find("B0002") == std::string::npos);
  auto bad = make_slack_sink("http://hooks.slack.com/services/XXXXSECRET", {"#a"}, trust);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "slack webhook_url: the URL does not start with https://");
}

TEST_CASE_FIXTURE(
    Fixture,
    "telegram: POST /bot<token>/sendMessage of {chat_id, text} per chat; ok:false is a failure") {
  const std::string token = "123456:AAH-secretTOKENvalue";
  std::atomic<int> mode{0};  // 0 ok, 1 refuse, 2 drop the connection unanswered
  Endpoint ep(certs, [&](const net::HttpRequest&) {
    net::HttpResponse r;
    const bool refuse = mode == 1;
    r.status = mode == 2 ? 0 : refuse ? 401 : 200;
    r.body = refuse ? R"({"ok":false,"error_code":401,"description":"Unauthorized"})"
                    : R"({"ok":true,"result":{"message_id":7}})";
    return r;
  });
  auto sink = make_telegram_sink(ep.origin(), token, {"-1001234567890", "@desk_alerts"}, trust);
  REQUIRE(sink.ok());
  REQUIRE((*sink)->send(message("k", "venue ban: binance spot")).ok());
  const auto reqs = ep.requests();
  REQUIRE(reqs.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(reqs[i].method == "POST");
    CHECK(reqs[i].target == "/bot123456:AAH-secretTOKENvalue/sendMessage");
  }
  CHECK(nlohmann::json::parse(reqs[0].body) ==
        nlohmann::json{{"chat_id", "-1001234567890"}, {"text", "[omsd] venue ban: binance spot"}});
  CHECK(nlohmann::json::parse(reqs[1].body)["chat_id"] == "@desk_alerts");
  mode = 1;
  auto r = (*sink)->send(message("k", "t"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "telegram sendMessage to chat -1001234567890 at 127.0.0.1: HTTP 401: "
        R"({"ok":false,"error_code":401,"description":"Unauthorized"})");
  // A connection dropped mid-answer: the transport names the request's path, redacted here.
  mode = 2;
  auto e = (*sink)->send(message("k", "t"));
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == AlertErrorCode::kTransport);
  INFO(e.error().message);
  CHECK(e.error().message.find("secretTOKEN") == std::string::npos);
  CHECK(e.error().message.find("POST /bot<redacted>/sendMessage") != std::string::npos);
}

net::SmtpConfig smtp_config(const Fixture& f, std::uint16_t port) {
  net::SmtpConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.user = "alerts";
  c.password = "s3cret-pass";
  c.tls = f.trust;
  c.timeout = 10s;
  return c;
}

TEST_CASE_FIXTURE(
    Fixture,
    "smtp: EHLO, STARTTLS, EHLO, AUTH PLAIN, MAIL, RCPT per address, DATA dot-stuffed, QUIT") {
  testkit::SmtpTestServer server({certs});
  net::SmtpMessage msg{"oms@example.com",
                       {"desk@example.com", "risk@example.com"},
                       "[omsd] kill switch tripped",
                       "line one\n.starts with a dot\n..two dots\n.\nlast"};
  auto r = net::send_mail(smtp_config(*this, server.port()), msg);
  if (!r) FAIL(r.error().message);
  const auto sessions = server.sessions();
  REQUIRE(sessions.size() == 1);
  const auto& s = sessions[0];
  CHECK(s.commands == std::vector<std::string>{
                          "EHLO omsd", "STARTTLS", "[tls] EHLO omsd",
                          "[tls] AUTH PLAIN user=alerts ok", "[tls] MAIL FROM:<oms@example.com>",
                          "[tls] RCPT TO:<desk@example.com>", "[tls] RCPT TO:<risk@example.com>",
                          "[tls] DATA", "[tls] QUIT"});
  CHECK(s.mail_from == "<oms@example.com>");
  CHECK(s.rcpt_to == std::vector<std::string>{"<desk@example.com>", "<risk@example.com>"});
  // The body's dotted lines went out doubled and came back as written.
  const auto body_at = s.raw_data.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  CHECK(s.raw_data.substr(body_at + 4) ==
        "line one\r\n..starts with a dot\r\n...two dots\r\n..\r\nlast\r\n");
  CHECK(s.data.substr(s.data.find("\n\n") + 2) ==
        "line one\n.starts with a dot\n..two dots\n.\nlast\n");
  CHECK(
      s.data.starts_with("From: <oms@example.com>\nTo: <desk@example.com>, <risk@example.com>\n"
                         "Subject: [omsd] kill switch tripped\nDate: "));
}

TEST_CASE_FIXTURE(Fixture, "smtp: AUTH LOGIN when only LOGIN is offered") {
  testkit::SmtpServerOptions o{certs};
  o.auth_mechanisms = {"LOGIN"};
  testkit::SmtpTestServer server(o);
  auto r = net::send_mail(smtp_config(*this, server.port()),
                          {"oms@example.com", {"a@example.com"}, "s", "b"});
  if (!r) FAIL(r.error().message);
  const auto s = server.sessions().at(0);
  REQUIRE(s.commands.size() >= 4);
  CHECK(s.commands[3] == "[tls] AUTH LOGIN user=alerts ok");
}

TEST_CASE_FIXTURE(Fixture, "smtp: no STARTTLS offered -- nothing sent in the clear") {
  testkit::SmtpServerOptions o{certs};
  o.offer_starttls = false;
  testkit::SmtpTestServer server(o);
  auto r = net::send_mail(smtp_config(*this, server.port()),
                          {"oms@example.com", {"a@example.com"}, "s", "b"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == net::SmtpErrorCode::kNoStartTls);
  CHECK(r.error().message == "smtp 127.0.0.1:" + std::to_string(server.port()) +
                                 ": the server does not offer STARTTLS; nothing sent in the clear");
  CHECK(server.sessions().at(0).commands == std::vector<std::string>{"EHLO omsd"});
}

TEST_CASE_FIXTURE(Fixture, "smtp: a wrong password is refused and never named") {
  testkit::SmtpTestServer server({certs});
  auto cfg = smtp_config(*this, server.port());
  cfg.password = "wrong-pass-XYZ";
  auto r = net::send_mail(cfg, {"oms@example.com", {"a@example.com"}, "s", "b"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == net::SmtpErrorCode::kAuth);
  CHECK(r.error().message ==
        "smtp 127.0.0.1:" + std::to_string(server.port()) +
            ": AUTH PLAIN (user alerts): 535 5.7.8 Authentication credentials invalid");
  CHECK(server.sessions().at(0).commands.back() == "[tls] AUTH PLAIN user=alerts bad");
}

TEST_CASE_FIXTURE(Fixture, "smtp: a server certificate the CA did not sign fails the handshake") {
  testkit::TlsCerts other = testkit::make_tls_certs(tmp.path() / "other");
  testkit::SmtpTestServer server({other});
  auto r = net::send_mail(smtp_config(*this, server.port()),
                          {"oms@example.com", {"a@example.com"}, "s", "b"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == net::SmtpErrorCode::kTls);
  CHECK(server.sessions().at(0).commands == std::vector<std::string>{"EHLO omsd", "STARTTLS"});
}

// A sink that waits until released: the queue's behaviour while the drain thread is busy.
class GatedSink final : public AlertSink {
 public:
  std::string_view name() const noexcept override { return "gated"; }
  Result<Unit, AlertError> send(const AlertMessage& m) override {
    std::unique_lock lock(mu_);
    titles_.push_back(m.alert.title);
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    return Unit{};
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait_sending(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return titles_.size() >= n; });
  }
  std::vector<std::string> titles() {
    std::lock_guard lock(mu_);
    return titles_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::vector<std::string> titles_;
};

TEST_CASE("service: a full queue drops its oldest, counts and logs it, and post never waits") {
  auto gated = std::make_unique<GatedSink>();
  GatedSink* sink = gated.get();
  std::vector<std::unique_ptr<AlertSink>> sinks;
  sinks.push_back(std::move(gated));
  std::mutex log_mu;
  std::vector<std::string> logs;
  AlertServiceOptions o;
  o.queue = 2;
  o.max_per_minute = 100;
  o.log = [&](bool warn, const std::string& text) {
    std::lock_guard lock(log_mu);
    if (warn) logs.push_back(text);
  };
  AlertService service(std::move(sinks), o);
  service.post(Alert{AlertKind::kStoreOutage, "a0", "a0", "", 0});
  REQUIRE(sink->wait_sending(1));  // the drain thread holds a0 in the sink
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 1; i <= 5; ++i)
    service.post(
        Alert{AlertKind::kStoreOutage, "a" + std::to_string(i), "a" + std::to_string(i), "", 0});
  CHECK(std::chrono::steady_clock::now() - t0 < 100ms);  // the sink is stuck; post did not wait
  CHECK(service.dropped() == 3);                         // a1, a2, a3 dropped; a4, a5 kept
  sink->open();
  service.stop();
  CHECK(sink->titles() == std::vector<std::string>{"a0", "a4", "a5"});
  CHECK(service.counters()[0]->sent == 3);
  std::lock_guard lock(log_mu);
  REQUIRE_FALSE(logs.empty());
  CHECK(logs[0].starts_with("alerts: queue full (2): dropped the "));
}

// A sink that takes 200 ms per message (a slow service).
class SlowSink final : public AlertSink {
 public:
  std::string_view name() const noexcept override { return "slow"; }
  Result<Unit, AlertError> send(const AlertMessage&) override {
    std::this_thread::sleep_for(200ms);
    return Unit{};
  }
};

TEST_CASE(
    "service: stop sends what is queued for at most stop_drain, then drops the rest, counted") {
  std::vector<std::unique_ptr<AlertSink>> sinks;
  sinks.push_back(std::make_unique<SlowSink>());
  AlertServiceOptions o;
  o.max_per_minute = 100;
  o.stop_drain = 500ms;
  std::atomic<int> drop_logs{0};
  o.log = [&](bool warn, const std::string& text) {
    if (warn && text.starts_with("alerts: stopping: ")) ++drop_logs;
  };
  AlertService service(std::move(sinks), o);
  for (int i = 0; i < 20; ++i)
    service.post(Alert{AlertKind::kAccountDown, "k" + std::to_string(i), "t", "", 0});
  const auto t0 = std::chrono::steady_clock::now();
  service.stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 1500ms);  // not 20 x 200 ms
  const auto sent = service.counters()[0]->sent.load();
  CHECK(sent >= 2);
  CHECK(sent <= 5);
  CHECK(sent + service.dropped() == 20);
  CHECK(drop_logs == 1);
}

TEST_CASE_FIXTURE(
    Fixture,
    "service: three of one key make one slack POST; the next window's says 2 were held back") {
  Endpoint ep(certs);
  auto slack = make_slack_sink(ep.origin() + "/services/T/B/S", {"#desk"}, trust);
  REQUIRE(slack.ok());
  std::vector<std::unique_ptr<AlertSink>> sinks;
  sinks.push_back(std::move(*slack));
  std::atomic<TimeNs> now{1000 * kSecond};
  AlertServiceOptions o;
  o.dedup_window = std::chrono::seconds(300);
  o.clock = [&] { return now.load(); };
  AlertService service(std::move(sinks), o);
  for (int i = 0; i < 3; ++i)
    service.post(Alert{AlertKind::kVenueBan, "ban binance spot", "venue ban: binance spot", "", 0});
  const auto wait_handled = [&](std::uint64_t n) {
    for (int i = 0; i < 500 && service.handled() < n; ++i) std::this_thread::sleep_for(10ms);
    return service.handled() >= n;
  };
  REQUIRE(wait_handled(3));
  CHECK(ep.requests().size() == 1);
  CHECK(service.counters()[0]->sent == 1);
  CHECK(service.counters()[0]->suppressed == 2);
  now = 1300 * kSecond;
  service.post(Alert{AlertKind::kVenueBan, "ban binance spot", "venue ban: binance spot", "", 0});
  REQUIRE(wait_handled(4));
  const auto reqs = ep.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(nlohmann::json::parse(reqs[1].body)["text"] ==
        "[omsd] venue ban: binance spot\n(2 more like this since the last message, not sent)");
  CHECK(service.counters()[0]->failed == 0);
}

}  // namespace
}  // namespace oms::alerts
