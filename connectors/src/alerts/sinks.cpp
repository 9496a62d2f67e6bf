#include "oms/connectors/alerts/sinks.hpp"

#include <nlohmann/json.hpp>

#include "oms/connectors/net/https_client.hpp"

namespace oms::alerts {
namespace {

constexpr std::chrono::milliseconds kSendTimeout{10'000};
constexpr std::size_t kMaxEchoedBody = 200;  // of a service's error answer

Unexpected<AlertError> fail(AlertErrorCode code, std::string message) {
  return Unexpected<AlertError>{AlertError{code, std::move(message)}};
}

// POSTs JSON through `client`; a 2xx answer's body, else an error with the secrets redacted.
Result<std::string, AlertError> post_json(net::HttpsClient& client, const std::string& what,
                                          const std::string& path, const nlohmann::json& body,
                                          const std::vector<std::string>& secrets) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = path;
  req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  req.body = body.dump();
  req.timeout = kSendTimeout;
  auto r = client.request(req);
  if (!r) return fail(AlertErrorCode::kTransport, what + ": " + redact(r.error().message, secrets));
  if (r->status < 200 || r->status >= 300) {
    return fail(AlertErrorCode::kRejected, what + ": HTTP " + std::to_string(r->status) + ": " +
                                               redact(r->body.substr(0, kMaxEchoedBody), secrets));
  }
  return std::move(r->body);
}

class SlackSink final : public AlertSink {
 public:
  SlackSink(HttpsUrl url, std::string webhook_url, std::vector<std::string> channels,
            const net::TlsClientConfig& tls)
      : url_(std::move(url)),
        secrets_{std::move(webhook_url), url_.path},
        channels_(std::move(channels)),
        client_(net::Origin{url_.host, url_.port}, tls) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "slack"; }
  Result<Unit, AlertError> send(const AlertMessage& m) override {
    for (const auto& channel : channels_) {
      const nlohmann::json body{{"channel", channel}, {"text", m.body()}};
      auto r = post_json(client_, "slack webhook at " + url_.host, url_.path, body, secrets_);
      if (!r) return Unexpected<AlertError>{std::move(r.error())};
    }
    return Unit{};
  }

 private:
  HttpsUrl url_;
  std::vector<std::string> secrets_;
  std::vector<std::string> channels_;
  net::HttpsClient client_;
};

class TelegramSink final : public AlertSink {
 public:
  TelegramSink(HttpsUrl api, std::string token, std::vector<std::string> chats,
               const net::TlsClientConfig& tls)
      : api_(std::move(api)),
        path_("/bot" + token + "/sendMessage"),
        secrets_{std::move(token)},
        chats_(std::move(chats)),
        client_(net::Origin{api_.host, api_.port}, tls) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "telegram"; }
  Result<Unit, AlertError> send(const AlertMessage& m) override {
    for (const auto& chat : chats_) {
      const std::string what = "telegram sendMessage to chat " + chat + " at " + api_.host;
      auto r = post_json(client_, what, path_, {{"chat_id", chat}, {"text", m.body()}}, secrets_);
      if (!r) return Unexpected<AlertError>{std::move(r.error())};
      // {"ok":true,"result":{...}}; a refusal is {"ok":false,"error_code":..,"description":..}
      const auto j = nlohmann::json::parse(*r, nullptr, false);
      if (!j.is_object() || !j.contains("ok") || j["ok"] != true) {
        return fail(AlertErrorCode::kRejected,
                    what + ": " + redact(r->substr(0, kMaxEchoedBody), secrets_));
      }
    }
    return Unit{};
  }

 private:
  HttpsUrl api_;
  std::string path_;
  std::vector<std::string> secrets_;
  std::vector<std::string> chats_;
  net::HttpsClient client_;
};

class EmailSink final : public AlertSink {
 public:
  EmailSink(net::SmtpConfig smtp, std::string from, std::vector<std::string> to)
      : smtp_(std::move(smtp)), from_(std::move(from)), to_(std::move(to)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "email"; }
  Result<Unit, AlertError> send(const AlertMessage& m) override {
    net::SmtpMessage msg{from_, to_, m.subject(), m.body()};
    auto r = net::send_mail(smtp_, msg);
    if (!r) {
      return fail(AlertErrorCode::kTransport,
                  "email (" + std::to_string(static_cast<unsigned>(r.error().code)) +
                      "): " + redact(r.error().message, {smtp_.password}));
    }
    return Unit{};
  }

 private:
  net::SmtpConfig smtp_;
  std::string from_;
  std::vector<std::string> to_;
};

}  // namespace

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 10)) {
      text.replace(pos, s.size(), "<redacted>");
    }
  }
  return text;
}

Result<HttpsUrl, AlertError> parse_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme))
    return fail(AlertErrorCode::kBadSecret, "the URL does not start with https://");
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  HttpsUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return fail(AlertErrorCode::kBadSecret, "the URL has no usable host");
  }
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.back() == ']') {
    out.host = std::string(authority);
  } else {
    out.host = std::string(authority.substr(0, colon));
    const auto port = authority.substr(colon + 1);
    unsigned v = 0;
    for (const char c : port) {
      if (c < '0' || c > '9' || v > 65535)
        return fail(AlertErrorCode::kBadSecret, "the URL's port is not a number");
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (port.empty() || v == 0 || v > 65535)
      return fail(AlertErrorCode::kBadSecret, "the URL's port is out of range");
    out.port = static_cast<std::uint16_t>(v);
  }
  if (out.host.size() > 2 && out.host.front() == '[')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return fail(AlertErrorCode::kBadSecret, "the URL has no usable host");
  return out;
}

Result<std::unique_ptr<AlertSink>, AlertError> make_slack_sink(std::string webhook_url,
                                                               std::vector<std::string> channels,
                                                               const net::TlsClientConfig& tls) {
  auto url = parse_https_url(webhook_url);
  if (!url) return fail(url.error().code, "slack webhook_url: " + url.error().message);
  try {
    return std::unique_ptr<AlertSink>(std::make_unique<SlackSink>(
        std::move(*url), std::move(webhook_url), std::move(channels), tls));
  } catch (const std::exception& e) {  // the CA file
    return fail(AlertErrorCode::kTransport, std::string("slack: ") + e.what());
  }
}

Result<std::unique_ptr<AlertSink>, AlertError> make_telegram_sink(std::string api_url,
                                                                  std::string bot_token,
                                                                  std::vector<std::string> chats,
                                                                  const net::TlsClientConfig& tls) {
  auto url = parse_https_url(api_url);
  if (!url) return fail(url.error().code, "telegram api_url: " + url.error().message);
  if (bot_token.empty() || bot_token.find_first_of("/?# \r\n") != std::string::npos) {
    return fail(AlertErrorCode::kBadSecret,
                "telegram bot_token: not a bot token (empty, or holds / ? # or spaces)");
  }
  try {
    return std::unique_ptr<AlertSink>(std::make_unique<TelegramSink>(
        std::move(*url), std::move(bot_token), std::move(chats), tls));
  } catch (const std::exception& e) {
    return fail(AlertErrorCode::kTransport, std::string("telegram: ") + e.what());
  }
}

std::unique_ptr<AlertSink> make_email_sink(net::SmtpConfig smtp, std::string from,
                                           std::vector<std::string> to) {
  return std::make_unique<EmailSink>(std::move(smtp), std::move(from), std::move(to));
}

}  // namespace oms::alerts
