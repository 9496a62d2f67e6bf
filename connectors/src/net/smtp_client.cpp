#include "oms/connectors/net/smtp_client.hpp"

#include <openssl/evp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <ctime>
#include <istream>
#include <optional>

#include "tls_context.hpp"

namespace oms::net {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A header value or an address on one line: CR and LF would start a header or a command of
// the sender's choosing.
std::string one_line(std::string_view s) {
  std::string out;
  for (const char c : s) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  return out;
}

// One reply: its code and its lines' texts (after "250-" / "250 ").
struct Reply {
  int code = 0;
  std::vector<std::string> lines;
  [[nodiscard]] std::string text() const {
    std::string t;
    for (const auto& l : lines) t += (t.empty() ? "" : " / ") + l;
    return std::to_string(code) + " " + t;
  }
};

class Dialogue {
 public:
  explicit Dialogue(const SmtpConfig& cfg)
      : cfg_(cfg),
        where_("smtp " + cfg.host + ":" + std::to_string(cfg.port)),
        ctx_(detail::make_client_context(cfg.tls)),
        stream_(io_, ctx_),
        deadline_(std::chrono::steady_clock::now() + cfg.timeout) {}

  Result<Unit, SmtpError> run(const SmtpMessage& msg) {
    if (auto r = connect(); !r) return r;
    if (auto r = expect("greeting", 220); !r) return r;
    auto ehlo = command("EHLO " + one_line(cfg_.helo_name), "EHLO", 250);
    if (!ehlo) return Unexpected<SmtpError>{std::move(ehlo.error())};
    if (!offers(*ehlo, "STARTTLS")) {
      return fail(SmtpErrorCode::kNoStartTls,
                  "the server does not offer STARTTLS; nothing sent in the clear");
    }
    if (auto r = command("STARTTLS", "STARTTLS", 220); !r)
      return Unexpected<SmtpError>{std::move(r.error())};
    if (auto r = handshake(); !r) return r;
    tls_ = true;
    ehlo = command("EHLO " + one_line(cfg_.helo_name), "EHLO after STARTTLS", 250);
    if (!ehlo) return Unexpected<SmtpError>{std::move(ehlo.error())};
    if (!cfg_.user.empty()) {
      if (auto r = authenticate(*ehlo); !r) return r;
    }
    if (auto r = command("MAIL FROM:<" + one_line(msg.from) + ">", "MAIL FROM", 250); !r) {
      return Unexpected<SmtpError>{std::move(r.error())};
    }
    for (const auto& to : msg.to) {
      auto r =
          command("RCPT TO:<" + one_line(to) + ">", "RCPT TO <" + one_line(to) + ">", 250, 251);
      if (!r) return Unexpected<SmtpError>{std::move(r.error())};
    }
    if (auto r = command("DATA", "DATA", 354); !r)
      return Unexpected<SmtpError>{std::move(r.error())};
    if (auto r = write(smtp_data(msg, rfc5322_date())); !r) return r;
    if (auto r = expect("end of DATA", 250); !r) return r;
    (void)command("QUIT", "QUIT", 221);  // the message is accepted already
    return Unit{};
  }

 private:
  Unexpected<SmtpError> fail(SmtpErrorCode code, const std::string& text) const {
    return Unexpected<SmtpError>{SmtpError{code, where_ + ": " + text}};
  }

  // Runs the io_context until `done` or the deadline; on the deadline the socket is closed.
  bool wait(const bool& done) {
    io_.restart();
    while (!done) {
      if (io_.run_one_until(deadline_) == 0 && !done) {
        boost::system::error_code ignored;
        stream_.next_layer().close(ignored);
        io_.restart();
        io_.run();  // the aborted handlers
        return false;
      }
    }
    return true;
  }

  Result<Unit, SmtpError> connect() {
    tcp::resolver resolver(io_);
    bool done = false;
    boost::system::error_code ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(cfg_.host, std::to_string(cfg_.port),
                           [&](const boost::system::error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                             done = true;
                           });
    if (!wait(done)) return fail(SmtpErrorCode::kTimeout, "resolve timed out");
    if (ec) return fail(SmtpErrorCode::kConnect, "resolve: " + ec.message());
    done = false;
    asio::async_connect(stream_.next_layer(), endpoints,
                        [&](const boost::system::error_code& e, const tcp::endpoint&) {
                          ec = e;
                          done = true;
                        });
    if (!wait(done)) return fail(SmtpErrorCode::kTimeout, "connect timed out");
    if (ec) return fail(SmtpErrorCode::kConnect, "connect: " + ec.message());
    return Unit{};
  }

  Result<Unit, SmtpError> handshake() {
    if (!detail::set_peer_name(stream_.native_handle(), cfg_.host)) {
      return fail(SmtpErrorCode::kTls, "host name rejected for verification");
    }
    bool done = false;
    boost::system::error_code ec;
    stream_.async_handshake(ssl::stream_base::client, [&](const boost::system::error_code& e) {
      ec = e;
      done = true;
    });
    if (!wait(done)) return fail(SmtpErrorCode::kTimeout, "TLS handshake timed out");
    if (ec) {
      return Unexpected<SmtpError>{SmtpError{
          SmtpErrorCode::kTls,
          detail::describe_tls_failure(stream_.native_handle(), where_ + ": STARTTLS handshake")}};
    }
    return Unit{};
  }

  Result<Unit, SmtpError> write(const std::string& text) {
    bool done = false;
    boost::system::error_code ec;
    const auto handler = [&](const boost::system::error_code& e, std::size_t) {
      ec = e;
      done = true;
    };
    if (tls_) {
      asio::async_write(stream_, asio::buffer(text), handler);
    } else {
      asio::async_write(stream_.next_layer(), asio::buffer(text), handler);
    }
    if (!wait(done)) return fail(SmtpErrorCode::kTimeout, "timed out writing");
    if (ec) return fail(SmtpErrorCode::kConnect, "write: " + ec.message());
    return Unit{};
  }

  Result<std::string, SmtpError> read_line() {
    bool done = false;
    boost::system::error_code ec;
    const auto handler = [&](const boost::system::error_code& e, std::size_t) {
      ec = e;
      done = true;
    };
    if (tls_) {
      asio::async_read_until(stream_, in_, "\r\n", handler);
    } else {
      asio::async_read_until(stream_.next_layer(), in_, "\r\n", handler);
    }
    if (!wait(done))
      return fail(SmtpErrorCode::kTimeout, "timed out waiting for the server's reply");
    if (ec) return fail(SmtpErrorCode::kConnect, "read: " + ec.message());
    std::istream is(&in_);
    std::string line;
    std::getline(is, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

  // A whole reply: "250-first", "250-...", "250 last".
  Result<Reply, SmtpError> read_reply() {
    Reply r;
    for (;;) {
      auto line = read_line();
      if (!line) return Unexpected<SmtpError>{std::move(line.error())};
      const std::string& l = *line;
      if (l.size() < 3 || l[0] < '2' || l[0] > '5' ||
          !std::isdigit(static_cast<unsigned char>(l[1])) ||
          !std::isdigit(static_cast<unsigned char>(l[2])) ||
          (l.size() > 3 && l[3] != ' ' && l[3] != '-')) {
        return fail(SmtpErrorCode::kProtocol, "not an SMTP reply: '" + l.substr(0, 64) + "'");
      }
      const int code = std::stoi(l.substr(0, 3));
      if (r.code != 0 && code != r.code)
        return fail(SmtpErrorCode::kProtocol, "reply code changed mid-reply");
      r.code = code;
      r.lines.push_back(l.size() > 4 ? l.substr(4) : std::string());
      if (l.size() == 3 || l[3] == ' ') return r;
    }
  }

  Result<Unit, SmtpError> expect(const std::string& what, int code) {
    auto r = read_reply();
    if (!r) return Unexpected<SmtpError>{std::move(r.error())};
    if (r->code != code) return fail(SmtpErrorCode::kRefused, what + ": " + r->text());
    return Unit{};
  }

  // Sends `line`; the reply must be `ok` (or `also_ok`). `what` names the command in errors (the
  // AUTH lines carry credentials and are never named by their text).
  Result<Reply, SmtpError> command(const std::string& line, const std::string& what, int ok,
                                   int also_ok = 0,
                                   SmtpErrorCode refused = SmtpErrorCode::kRefused) {
    if (auto w = write(line + "\r\n"); !w) return Unexpected<SmtpError>{std::move(w.error())};
    auto r = read_reply();
    if (!r) return r;
    if (r->code != ok && (also_ok == 0 || r->code != also_ok))
      return fail(refused, what + ": " + r->text());
    return r;
  }

  static bool offers(const Reply& ehlo, std::string_view keyword) {
    for (const auto& l : ehlo.lines) {
      std::string upper;
      for (const char c : l)
        upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      if (upper == keyword || upper.starts_with(std::string(keyword) + " ")) return true;
    }
    return false;
  }

  // The mechanisms of the EHLO "AUTH ..." line.
  static bool offers_auth(const Reply& ehlo, std::string_view mech) {
    for (const auto& l : ehlo.lines) {
      std::string upper;
      for (const char c : l)
        upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      if (!upper.starts_with("AUTH ") && !upper.starts_with("AUTH=")) continue;
      std::size_t pos = 5;
      while (pos < upper.size()) {
        const auto end = upper.find(' ', pos);
        if (upper.substr(pos, end - pos) == mech) return true;
        if (end == std::string::npos) break;
        pos = end + 1;
      }
    }
    return false;
  }

  Result<Unit, SmtpError> authenticate(const Reply& ehlo) {
    if (offers_auth(ehlo, "PLAIN")) {
      const std::string token =
          base64(std::string(1, '\0') + cfg_.user + std::string(1, '\0') + cfg_.password);
      auto r = command("AUTH PLAIN " + token, "AUTH PLAIN (user " + cfg_.user + ")", 235, 0,
                       SmtpErrorCode::kAuth);
      if (!r) return Unexpected<SmtpError>{std::move(r.error())};
      return Unit{};
    }
    if (offers_auth(ehlo, "LOGIN")) {
      if (auto r = command("AUTH LOGIN", "AUTH LOGIN", 334, 0, SmtpErrorCode::kAuth); !r) {
        return Unexpected<SmtpError>{std::move(r.error())};
      }
      if (auto r = command(base64(cfg_.user), "AUTH LOGIN user " + cfg_.user, 334, 0,
                           SmtpErrorCode::kAuth);
          !r) {
        return Unexpected<SmtpError>{std::move(r.error())};
      }
      if (auto r = command(base64(cfg_.password), "AUTH LOGIN password (user " + cfg_.user + ")",
                           235, 0, SmtpErrorCode::kAuth);
          !r) {
        return Unexpected<SmtpError>{std::move(r.error())};
      }
      return Unit{};
    }
    return fail(SmtpErrorCode::kAuth,
                "the server offers neither AUTH PLAIN nor AUTH LOGIN after STARTTLS");
  }

  static std::string rfc5322_date() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return std::string(buf, n);
  }

  const SmtpConfig& cfg_;
  std::string where_;
  asio::io_context io_;
  ssl::context ctx_;
  ssl::stream<tcp::socket> stream_;
  asio::streambuf in_;
  std::chrono::steady_clock::time_point deadline_;
  bool tls_ = false;
};

}  // namespace

std::string smtp_data(const SmtpMessage& msg, const std::string& date) {
  std::string out;
  out += "From: <" + one_line(msg.from) + ">\r\n";
  std::string to;
  for (const auto& t : msg.to) to += (to.empty() ? "<" : ", <") + one_line(t) + ">";
  out += "To: " + to + "\r\n";
  out += "Subject: " + one_line(msg.subject) + "\r\n";
  out += "Date: " + date + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  std::size_t pos = 0;
  const std::string& b = msg.body;
  while (pos < b.size()) {
    auto end = b.find('\n', pos);
    if (end == std::string::npos) end = b.size();
    std::string_view line(b.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '.') out += '.';  // dot-stuffing
    out += line;
    out += "\r\n";
    pos = end + 1;
  }
  out += ".\r\n";
  return out;
}

Result<Unit, SmtpError> send_mail(const SmtpConfig& cfg, const SmtpMessage& msg) {
  try {
    Dialogue d(cfg);
    return d.run(msg);
  } catch (const std::exception& e) {  // the CA file did not load
    return Unexpected<SmtpError>{
        SmtpError{SmtpErrorCode::kTls, "smtp " + cfg.host + ": " + e.what()}};
  }
}

}  // namespace oms::net
