#include "testkit/smtp_server.hpp"

#include <openssl/evp.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <istream>

namespace oms::testkit {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string unbase64(const std::string& in) {
  std::string out(3 * in.size() / 4 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return {};
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding's zero bytes.
  if (in.size() >= 1 && in[in.size() - 1] == '=') --len;
  if (in.size() >= 2 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

struct SmtpTestServer::Impl {
  SmtpServerOptions options;
  asio::io_context io;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;
  std::vector<SmtpSession> sessions;  // guarded by mu
  std::thread thread;

  void record(const std::function<void(SmtpSession&)>& f) {
    std::lock_guard lock(mu);
    f(sessions.back());
  }

  void serve(tcp::socket socket) {
    {
      std::lock_guard lock(mu);
      sessions.emplace_back();
    }
    ssl::stream<tcp::socket> s(std::move(socket), ctx);
    asio::streambuf in;
    bool tls = false, ehlo = false, authed = false;
    const auto send = [&](const std::string& text) {
      if (tls) {
        asio::write(s, asio::buffer(text));
      } else {
        asio::write(s.next_layer(), asio::buffer(text));
      }
    };
    const auto line = [&]() {
      if (tls) {
        asio::read_until(s, in, "\r\n");
      } else {
        asio::read_until(s.next_layer(), in, "\r\n");
      }
      std::istream is(&in);
      std::string l;
      std::getline(is, l);
      if (!l.empty() && l.back() == '\r') l.pop_back();
      return l;
    };
    const auto log = [&](const std::string& c) {
      record([&](SmtpSession& x) { x.commands.push_back((tls ? "[tls] " : "") + c); });
    };
    const auto check_auth = [&](const std::string& user, const std::string& pass,
                                const std::string& mech) {
      const bool ok = user == options.user && pass == options.password;
      log("AUTH " + mech + " user=" + user + (ok ? " ok" : " bad"));
      authed = ok;
      send(ok ? "235 2.7.0 Authentication successful\r\n"
              : "535 5.7.8 Authentication credentials invalid\r\n");
    };
    send("220 localhost ESMTP oms-test\r\n");
    for (;;) {
      const std::string l = line();
      const std::string u = upper(l);
      if (u.starts_with("EHLO ")) {
        log(l);
        ehlo = true;
        std::string r = "250-localhost greets you\r\n";
        if (!tls && options.offer_starttls) r += "250-STARTTLS\r\n";
        if (tls && !options.auth_mechanisms.empty()) {
          r += "250-AUTH";
          for (const auto& m : options.auth_mechanisms) r += " " + m;
          r += "\r\n";
        }
        r += "250 8BITMIME\r\n";
        send(r);
      } else if (u == "STARTTLS") {
        log(l);
        if (tls || !options.offer_starttls) {
          send("503 5.5.1 STARTTLS not available\r\n");
          continue;
        }
        send("220 2.0.0 Ready to start TLS\r\n");
        in.consume(in.size());  // RFC 3207: anything sent before the handshake is discarded
        s.handshake(ssl::stream_base::server);
        tls = true;
        ehlo = false;  // the client must say EHLO again
      } else if (u.starts_with("AUTH ")) {
        if (!tls) {
          log("AUTH (before TLS)");
          send("530 5.7.0 Must issue a STARTTLS command first\r\n");
        } else if (!ehlo) {
          log("AUTH (before EHLO)");
          send("503 5.5.1 EHLO first\r\n");
        } else if (u.starts_with("AUTH PLAIN ")) {
          const std::string plain = unbase64(l.substr(11));
          const auto a = plain.find('\0');
          const auto b = a == std::string::npos ? a : plain.find('\0', a + 1);
          if (b == std::string::npos) {
            log("AUTH PLAIN malformed");
            send("501 5.5.2 malformed\r\n");
            continue;
          }
          check_auth(plain.substr(a + 1, b - a - 1), plain.substr(b + 1), "PLAIN");
        } else if (u == "AUTH LOGIN") {
          send("334 VXNlcm5hbWU6\r\n");
          const std::string user = unbase64(line());
          send("334 UGFzc3dvcmQ6\r\n");
          const std::string pass = unbase64(line());
          check_auth(user, pass, "LOGIN");
        } else {
          log(l);
          send("504 5.5.4 mechanism not supported\r\n");
        }
      } else if (u.starts_with("MAIL FROM:")) {
        log(l);
        if (!tls || (!options.user.empty() && !authed)) {
          send("530 5.7.0 Authentication required\r\n");
          continue;
        }
        record([&](SmtpSession& x) { x.mail_from = l.substr(10); });
        send("250 2.1.0 Ok\r\n");
      } else if (u.starts_with("RCPT TO:")) {
        log(l);
        record([&](SmtpSession& x) { x.rcpt_to.push_back(l.substr(8)); });
        send("250 2.1.5 Ok\r\n");
      } else if (u == "DATA") {
        log(l);
        send("354 End data with <CR><LF>.<CR><LF>\r\n");
        std::string raw, data;
        for (;;) {
          const std::string d = line();
          if (d == ".") break;
          raw += d + "\r\n";
          data += (d.starts_with(".") ? d.substr(1) : d) + "\n";
        }
        record([&](SmtpSession& x) {
          x.raw_data = raw;
          x.data = data;
        });
        send("250 2.0.0 Ok: queued as 1\r\n");
      } else if (u == "QUIT") {
        log(l);
        send("221 2.0.0 Bye\r\n");
        return;
      } else {
        log(l);
        send("502 5.5.2 Error: command not recognized\r\n");
      }
    }
  }

  void run() {
    while (!stopping.load()) {
      tcp::socket socket(io);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (ec || stopping.load()) break;
      try {
        serve(std::move(socket));
      } catch (const std::exception&) {
        // the client hung up (a refused dialogue ends so): the next session
      }
    }
  }
};

SmtpTestServer::SmtpTestServer(SmtpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->ctx.use_certificate_chain_file(impl_->options.certs.cert.string());
  impl_->ctx.use_private_key_file(impl_->options.certs.key.string(), ssl::context::pem);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->thread = std::thread([this] { impl_->run(); });
}

SmtpTestServer::~SmtpTestServer() {
  impl_->stopping.store(true);
  // Wakes the blocking accept with a connection of our own.
  try {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), impl_->port));
  } catch (const std::exception&) {
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t SmtpTestServer::port() const noexcept {
  return impl_->port;
}

std::vector<SmtpSession> SmtpTestServer::sessions() const {
  std::lock_guard lock(impl_->mu);
  return impl_->sessions;
}

}  // namespace oms::testkit
