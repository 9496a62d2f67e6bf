// HttpServer over Boost.Beast (plain TCP): one acceptor, a strand per connection, HTTP/1.1
// keep-alive sessions with bounded requests and a per-request deadline.
#include "oms/connectors/net/http_server.hpp"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server_common.hpp"

namespace oms::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// After a 413 or 400 the peer may still be sending; we read and discard for at most this long
// (and this much) before closing, so our answer is not lost to a TCP reset.
constexpr std::chrono::milliseconds kLingerTime{2'000};
constexpr std::size_t kLingerBytes = 1U << 20;

struct Shared {
  HttpServerConfig cfg;
  HttpServerHandler handler;
  HttpStreamHandler streams;  // may be empty
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> open_streams{0};
  std::atomic<std::uint64_t> served{0};
};

HttpResponse call_handler(const Shared& shared, const HttpRequest& in) {
  try {
    HttpResponse out = shared.handler(in);
    if (out.status < 100 || out.status > 999) {
      return HttpResponse{500,
                          {{"Content-Type", "text/plain"}},
                          "handler failed: invalid status " + std::to_string(out.status) + "\n"};
    }
    return out;
  } catch (const std::exception& e) {
    return HttpResponse{
        500, {{"Content-Type", "text/plain"}}, std::string("handler failed: ") + e.what() + "\n"};
  } catch (...) {
    return HttpResponse{
        500, {{"Content-Type", "text/plain"}}, "handler failed: unknown exception\n"};
  }
}

// The stream handler's answer; an exception is a 500 response instead.
std::optional<HttpStream> call_streams(const Shared& shared, const HttpRequest& in,
                                       std::optional<HttpResponse>& failed) {
  if (!shared.streams) return std::nullopt;
  try {
    auto s = shared.streams(in);
    if (s && (s->status < 100 || s->status > 999 || !s->next)) {
      failed = HttpResponse{500, {{"Content-Type", "text/plain"}},
                            "stream handler failed: invalid status or no producer\n"};
      return std::nullopt;
    }
    return s;
  } catch (const std::exception& e) {
    failed = HttpResponse{500, {{"Content-Type", "text/plain"}},
                          std::string("stream handler failed: ") + e.what() + "\n"};
  } catch (...) {
    failed = HttpResponse{500, {{"Content-Type", "text/plain"}}, "stream handler failed: unknown exception\n"};
  }
  return std::nullopt;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)), timer_(stream_.get_executor()) {}
  ~Session() {
    if (streaming_) --shared_->open_streams;
  }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    const auto& cfg = shared_->cfg;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(cfg.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(cfg.max_body_bytes);
    stream_.expires_after(cfg.header_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(const error_code& ec) {
    if (!ec) {
      serve();
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::body_limit ||
        ec == http::error::buffer_overflow) {
      reject(413, "request too large (limits: " + std::to_string(shared_->cfg.max_header_bytes) +
                      " header bytes, " + std::to_string(shared_->cfg.max_body_bytes) +
                      " body bytes)\n");
      return;
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      reject(400, "malformed request: " + ec.message() + "\n");
      return;
    }
    close();  // peer closed, deadline passed (tcp_stream closed the socket) or reset
  }

  void serve() {
    auto& req = parser_->get();
    HttpRequest in = detail::to_request(req);
    error_code peer_ec;
    const auto remote = stream_.socket().remote_endpoint(peer_ec);
    if (!peer_ec) in.peer = remote.address().to_string();

    const bool head = req.method() == http::verb::head;
    HttpResponse out;
    if (req.method() != http::verb::get && !head) {
      out = HttpResponse{405,
                         {{"Allow", "GET, HEAD"}, {"Content-Type", "text/plain"}},
                         "method " + in.method + " not allowed (GET, HEAD)\n"};
    } else {
      std::optional<HttpResponse> failed;
      if (auto s = call_streams(*shared_, in, failed)) {
        start_stream(std::move(*s), req.version(), head);
        return;
      }
      out = failed ? std::move(*failed) : call_handler(*shared_, in);
    }
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    if (head) {
      http::response<http::empty_body> res(static_cast<http::status>(out.status), version);
      fill_headers(res, out);
      res.content_length(out.body.size());
      res.keep_alive(keep_alive);
      write(std::move(res), keep_alive);
    } else {
      http::response<http::string_body> res(static_cast<http::status>(out.status), version);
      fill_headers(res, out);
      res.body() = std::move(out.body);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      write(std::move(res), keep_alive);
    }
  }

  template <class Message>
  static void fill_headers(Message& res, const HttpResponse& out) {
    for (const auto& [name, value] : out.headers) {
      const auto field = http::string_to_field(name);
      if (field == http::field::content_length || field == http::field::transfer_encoding ||
          field == http::field::connection)
        continue;
      res.insert(name, value);
    }
  }

  template <class Body>
  void write(http::response<Body>&& res, bool keep_alive) {
    auto msg = std::make_shared<http::response<Body>>(std::move(res));
    http::async_write(
        stream_, *msg,
        [self = shared_from_this(), msg, keep_alive](const error_code& ec, std::size_t) {
          if (!ec) ++self->shared_->served;
          if (!ec && keep_alive) {
            self->read();
          } else {
            self->close();
          }
        });
  }

  // An HttpStream: the header (Connection: close, no length), then next() until it ends.
  void start_stream(HttpStream s, unsigned version, bool head) {
    streaming_ = true;
    ++shared_->open_streams;
    auto res = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(s.status), version);
    for (const auto& [name, value] : s.headers) {
      const auto field = http::string_to_field(name);
      if (field == http::field::content_length || field == http::field::transfer_encoding ||
          field == http::field::connection)
        continue;
      res->insert(name, value);
    }
    res->keep_alive(false);
    stream_spec_ = std::move(s);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(stream_spec_.write_timeout);
    http::async_write_header(stream_, *sr,
                             [self = shared_from_this(), res, sr, head](const error_code& ec, std::size_t) {
                               if (ec || head) {
                                 if (!ec) ++self->shared_->served;
                                 self->close();
                                 return;
                               }
                               ++self->shared_->served;
                               self->stream_next();
                             });
  }

  void stream_next() {
    std::optional<std::string> chunk;
    try {
      chunk = stream_spec_.next();
    } catch (...) {
      chunk.reset();  // a producer that throws ends its stream
    }
    if (!chunk) {
      close();
      return;
    }
    if (chunk->empty()) {
      stream_wait();
      return;
    }
    auto data = std::make_shared<std::string>(std::move(*chunk));
    stream_.expires_after(stream_spec_.write_timeout);
    asio::async_write(stream_, asio::buffer(*data),
                      [self = shared_from_this(), data](const error_code& ec, std::size_t) {
                        if (ec) {
                          self->close();
                          return;
                        }
                        self->stream_wait();
                      });
  }

  void stream_wait() {
    stream_.expires_never();
    timer_.expires_after(stream_spec_.interval);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec) {
        self->close();
        return;
      }
      self->stream_next();
    });
  }

  // Answers `status` with Connection: close, then drains what the peer still sends (bounded)
  // before closing, so the answer is read rather than reset away.
  void reject(unsigned status, std::string body) {
    http::response<http::string_body> res(static_cast<http::status>(status), 11);
    res.set(http::field::content_type, "text/plain");
    res.body() = std::move(body);
    res.keep_alive(false);
    res.prepare_payload();
    auto msg = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(kLingerTime);
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg](const error_code& ec, std::size_t) {
                        if (ec) {
                          self->close();
                          return;
                        }
                        ++self->shared_->served;
                        error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->drain();
                      });
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buf_),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerBytes) {
                                self->close();
                                return;
                              }
                              self->drain();
                            });
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> drain_buf_{};
  std::size_t drained_ = 0;
  asio::steady_timer timer_;
  HttpStream stream_spec_;
  bool streaming_ = false;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](const error_code& ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      } else {
        ++shared->accepted;
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), shared)->run();
      }
      accept();
    });
  }
};

HttpServer::HttpServer(HttpServerConfig cfg, HttpServerHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared->cfg = std::move(cfg);
  impl_->shared->handler = std::move(handler);
}

HttpServer::HttpServer(HttpServerConfig cfg, HttpServerHandler handler, HttpStreamHandler streams)
    : HttpServer(std::move(cfg), std::move(handler)) {
  impl_->shared->streams = std::move(streams);
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  if (impl_->started) throw std::logic_error("HttpServer::start called twice");
  const auto& cfg = impl_->shared->cfg;
  impl_->port = detail::listen_on(impl_->acceptor, cfg.bind_address, cfg.port, "http server");
  impl_->started = true;
  impl_->accept();
  const unsigned n = cfg.threads == 0 ? 1U : cfg.threads;
  for (unsigned i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void HttpServer::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t HttpServer::port() const noexcept {
  return impl_->port;
}
std::uint64_t HttpServer::accepted_connections() const noexcept {
  return impl_->shared->accepted.load(std::memory_order_relaxed);
}
std::uint64_t HttpServer::requests_served() const noexcept {
  return impl_->shared->served.load(std::memory_order_relaxed);
}
std::uint64_t HttpServer::open_streams() const noexcept {
  return impl_->shared->open_streams.load(std::memory_order_relaxed);
}

}  // namespace oms::net
