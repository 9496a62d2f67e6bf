// A small SMTP submission client (RFC 5321 / 6409) for alert e-mails: EHLO, STARTTLS (always:
// a server that does not offer it is refused, nothing is sent in the clear), EHLO again, AUTH
// PLAIN or LOGIN (RFC 4954, whichever the server offers, PLAIN first), MAIL FROM, RCPT TO per
// recipient, DATA with dot-stuffing (RFC 5321 4.5.2), QUIT. One connection per message: alerts
// are rare. TLS as every oms_net socket (net/tls.hpp): the chain and the host name are verified.
// No Asio in this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "oms/connectors/net/tls.hpp"
#include "oms/messages/result.hpp"

namespace oms::net {

struct SmtpConfig {
  std::string host;  // also the name the server's certificate must carry
  std::uint16_t port = 587;
  std::string user;      // empty: no AUTH
  std::string password;  // a secret: never in an error or a log line
  std::string helo_name = "omsd";
  TlsClientConfig tls;
  std::chrono::milliseconds timeout{15'000};  // the whole dialogue
};

struct SmtpMessage {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;  // text; lines end with \n or \r\n (sent as CRLF, dot-stuffed)
};

// Error codes 3120-3139 belong to the alerts (this client's are the first).
enum class SmtpErrorCode : std::uint16_t {
  kConnect = 3120,     // resolve or TCP connect failed
  kTls = 3121,         // the TLS handshake failed (certificate, host name, protocol)
  kTimeout = 3122,     // the dialogue did not finish within SmtpConfig::timeout
  kProtocol = 3123,    // the server answered something that is not an SMTP reply
  kRefused = 3124,     // the server answered a command with an error reply (4xx/5xx)
  kNoStartTls = 3125,  // the server does not offer STARTTLS
  kAuth = 3126,        // authentication refused, or no mechanism we speak (PLAIN, LOGIN)
};

struct SmtpError {
  SmtpErrorCode code;
  std::string message;  // names host:port, the command and the server's reply; never the password
};

// Sends one message; never throws.
[[nodiscard]] Result<Unit, SmtpError> send_mail(const SmtpConfig& cfg, const SmtpMessage& msg);

// The DATA section of `msg` (headers, a blank line, the body) with CRLF line ends and every line
// that starts with '.' doubled, ending in the "\r\n.\r\n" terminator. `date` is the Date header.
[[nodiscard]] std::string smtp_data(const SmtpMessage& msg, const std::string& date);

}  // namespace oms::net
