// Where alerts go: a Slack incoming webhook (HTTPS POST of {"channel","text"}), the Telegram Bot
// API (HTTPS POST /bot<token>/sendMessage of {"chat_id","text"}) and e-mail over SMTP with
// STARTTLS (net/smtp_client.hpp). Each sink holds its secret (webhook URL, bot token, SMTP
// password) and keeps it out of every error text: a transport error that would name the secret
// path has it replaced by "<redacted>".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/alerts/alert_policy.hpp"
#include "oms/connectors/net/smtp_client.hpp"
#include "oms/connectors/net/tls.hpp"
#include "oms/messages/result.hpp"

namespace oms::net {
class HttpsClient;
}

namespace oms::alerts {

// Codes 3127-3139 (the SMTP client has 3120-3126).
enum class AlertErrorCode : std::uint16_t {
  kTransport = 3127,  // connect, TLS, timeout, a closed connection (HTTP) or any SMTP error
  kRejected = 3128,   // the service answered with an error (HTTP status, Telegram "ok": false)
  kBadSecret = 3129,  // the secret does not make a usable endpoint (a webhook URL not https://...)
};

struct AlertError {
  AlertErrorCode code;
  std::string message;  // never holds the sink's secret
};

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;  // "slack", "telegram", "email"
  // Sends one message, waiting for the service's answer (bounded by the sink's timeout).
  [[nodiscard]] virtual Result<Unit, AlertError> send(const AlertMessage& m) = 0;
};

// `text` with every occurrence of each non-empty secret replaced by "<redacted>".
[[nodiscard]] std::string redact(std::string text, const std::vector<std::string>& secrets);

// https://HOST[:PORT]/PATH -> host, port, path; an error (naming no part of the URL) otherwise.
struct HttpsUrl {
  std::string host;
  std::uint16_t port = 443;
  std::string path;  // "/services/T000/B000/XXXX"
};
[[nodiscard]] Result<HttpsUrl, AlertError> parse_https_url(std::string_view url);

// Slack: `webhook_url` is the secret; one message per contact "#channel" (legacy webhooks post
// there; an app's webhook posts to its own channel whatever it is told).
[[nodiscard]] Result<std::unique_ptr<AlertSink>, AlertError> make_slack_sink(
    std::string webhook_url, std::vector<std::string> channels, const net::TlsClientConfig& tls);

// Telegram: one message per chat. `api_url` is https://HOST[:PORT] (https://api.telegram.org).
[[nodiscard]] Result<std::unique_ptr<AlertSink>, AlertError> make_telegram_sink(
    std::string api_url, std::string bot_token, std::vector<std::string> chats,
    const net::TlsClientConfig& tls);

// E-mail: one message to every address in `to`.
[[nodiscard]] std::unique_ptr<AlertSink> make_email_sink(net::SmtpConfig smtp, std::string from,
                                                         std::vector<std::string> to);

}  // namespace oms::alerts
