// A loopback SMTP submission server for the alert tests: ESMTP with STARTTLS (the server's
// certificate from deploy/gen-certs), AUTH PLAIN / LOGIN offered only after TLS, MAIL FROM /
// RCPT TO / DATA (dot-stuffing undone), QUIT. It checks the dialogue's order the way a real
// submission server does (530 for AUTH or MAIL before STARTTLS / AUTH, 535 for bad credentials)
// and records every session. Sessions are served one at a time on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testkit/tls_certs.hpp"

namespace oms::testkit {

struct SmtpServerOptions {
  TlsCerts certs;
  bool offer_starttls = true;
  std::vector<std::string> auth_mechanisms{"PLAIN", "LOGIN"};
  std::string user = "alerts";
  std::string password = "s3cret-pass";
};

struct SmtpSession {
  // The commands as received, in order: "EHLO omsd", "STARTTLS", then "[tls] EHLO omsd", ...;
  // AUTH lines are written "[tls] AUTH PLAIN user=<u> ok" / "... bad" (never the password).
  std::vector<std::string> commands;
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::string raw_data;  // DATA as sent (dot-stuffed, CRLF), without the final ".\r\n"
  std::string data;      // dot-stuffing undone
};

class SmtpTestServer {
 public:
  explicit SmtpTestServer(SmtpServerOptions options);
  ~SmtpTestServer();
  SmtpTestServer(const SmtpTestServer&) = delete;
  SmtpTestServer& operator=(const SmtpTestServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] std::vector<SmtpSession> sessions() const;  // finished ones and the current one

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::testkit
