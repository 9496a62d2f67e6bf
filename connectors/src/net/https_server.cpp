// HttpsServer over Boost.Beast: one acceptor, a strand per connection, HTTP keep-alive sessions
// that hand WebSocket upgrades to WsServerSession.
#include "oms/connectors/net/https_server.hpp"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server_common.hpp"
#include "tls_context.hpp"

namespace oms::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::uint64_t kRequestBodyLimit = 16ULL << 20;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What sessions share with the server; outlives the io_context if a handle is kept.
struct Shared {
  HttpsServerConfig cfg;
  DelayedHttpHandler handler;
  std::map<std::string, WsHandler, std::less<>> ws_handlers;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> closed{0};
  std::atomic<std::uint64_t> next_ws_id{1};
  std::mutex gate;  // held while posting from owner threads; guards `running`
  bool running = false;
};

class WsServerSession;

// The owner's handle: a weak link to the Asio session plus the gate that says the io_context
// is still alive to post to.
class WsHandle final : public WsSession {
 public:
  WsHandle(std::shared_ptr<Shared> shared, std::weak_ptr<WsServerSession> session, std::uint64_t id,
           std::string target, std::vector<std::pair<std::string, std::string>> headers)
      : shared_(std::move(shared)),
        session_(std::move(session)),
        id_(id),
        target_(std::move(target)),
        headers_(std::move(headers)) {}
  void send(std::string text) override;
  void send_after(std::chrono::microseconds delay, std::string text) override;
  void ping(std::string payload) override;
  void close() override;
  void drop() override;
  [[nodiscard]] std::uint64_t id() const override { return id_; }
  [[nodiscard]] const std::string& target() const override { return target_; }
  [[nodiscard]] const std::string* header(std::string_view name) const override {
    for (const auto& [k, v] : headers_) {
      if (beast::iequals(k, name)) return &v;
    }
    return nullptr;
  }

 private:
  template <class F>
  void post(F&& f);
  std::shared_ptr<Shared> shared_;
  std::weak_ptr<WsServerSession> session_;
  std::uint64_t id_;
  std::string target_;
  std::vector<std::pair<std::string, std::string>> headers_;  // the upgrade request's
};

class WsServerSession : public std::enable_shared_from_this<WsServerSession> {
 public:
  using Clock = std::chrono::steady_clock;

  WsServerSession(TlsStream&& stream, std::shared_ptr<Shared> shared, const WsHandler& handler)
      : ws_(std::move(stream)),
        due_timer_(ws_.get_executor()),
        shared_(std::move(shared)),
        handler_(handler) {}

  void accept(http::request<http::string_body> req) {
    std::string target(req.target());
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& f : req) headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    handle_ = std::make_shared<WsHandle>(shared_, weak_from_this(), shared_->next_ws_id++,
                                         std::move(target), std::move(headers));
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = shared_->cfg.handshake_timeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.read_message_max(16U << 20);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong && handler_.on_pong) {
        handler_.on_pong(*handle_, std::string_view(payload.data(), payload.size()));
      }
    });
    ws_.async_accept(req, [self = shared_from_this()](const error_code& ec) {
      if (ec) return;
      self->open_ = true;
      if (self->handler_.on_open) self->handler_.on_open(self->handle_);
      self->read();
    });
  }

  // `due`: not before then (Clock::time_point{} = at once); frames leave in enqueue order.
  void enqueue(Clock::time_point due, std::string text) {
    if (!open_ || closing_) return;
    outbox_.push_back(Frame{due, std::move(text)});
    if (outbox_.size() == 1) write_front();
  }

  void ping(std::string payload) {
    if (!open_ || pinging_) return;
    pinging_ = true;
    ping_payload_ = websocket::ping_data(payload.substr(0, websocket::ping_data::static_capacity));
    ws_.async_ping(ping_payload_,
                   [self = shared_from_this()](const error_code&) { self->pinging_ = false; });
  }

  void close() {
    if (!open_ || closing_) return;
    closing_ = true;
    if (outbox_.empty()) send_close();  // else after the last queued frame (write_front)
  }

  [[nodiscard]] auto executor() { return ws_.get_executor(); }

  void drop() {
    due_timer_.cancel();
    auto& sock = beast::get_lowest_layer(ws_).socket();
    error_code ignored;
    sock.set_option(asio::socket_base::linger(true, 0), ignored);  // RST, not FIN
    sock.close(ignored);
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec) {
        self->finish();
        return;
      }
      if (self->handler_.on_text) {
        const auto data = self->buffer_.cdata();
        self->handler_.on_text(
            *self->handle_, std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  void send_close() {
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](const error_code&) {});
  }

  // Writes the front frame once it is due (a timer on this strand until then), then the next.
  void write_front() {
    if (outbox_.front().due > Clock::now()) {
      due_timer_.expires_at(outbox_.front().due);
      due_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || !self->open_) {
          self->outbox_.clear();  // canceled (dropped) or the session ended meanwhile
          return;
        }
        self->write_front();
      });
      return;
    }
    ws_.text(true);
    ws_.async_write(asio::buffer(outbox_.front().text),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      if (ec) {
                        self->outbox_.clear();
                        return;  // the read side reports the end
                      }
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) {
                        self->write_front();
                      } else if (self->closing_) {
                        self->send_close();
                      }
                    });
  }

  void finish() {
    if (!open_) return;
    open_ = false;
    due_timer_.cancel();
    outbox_.clear();
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (handler_.on_close) handler_.on_close(*handle_);
  }

  struct Frame {
    Clock::time_point due;
    std::string text;
  };
  websocket::stream<TlsStream> ws_;
  asio::steady_timer due_timer_;  // the front frame's due time
  std::shared_ptr<Shared> shared_;
  const WsHandler& handler_;  // lives in shared_->ws_handlers, fixed after start()
  std::shared_ptr<WsHandle> handle_;
  beast::flat_buffer buffer_;
  std::deque<Frame> outbox_;
  websocket::ping_data ping_payload_;
  bool open_ = false;
  bool closing_ = false;
  bool pinging_ = false;
};

template <class F>
void WsHandle::post(F&& f) {
  std::lock_guard lock(shared_->gate);  // the io_context is alive while `running`
  if (!shared_->running) return;
  auto s = session_.lock();
  if (!s) return;
  auto ex = s->executor();
  asio::post(ex, [s = std::move(s), f = std::forward<F>(f)]() mutable { f(*s); });
}

void WsHandle::send(std::string text) {
  post([t = std::move(text)](WsServerSession& s) mutable { s.enqueue({}, std::move(t)); });
}
void WsHandle::send_after(std::chrono::microseconds delay, std::string text) {
  // Due from now (the caller's time), not from when the strand gets to it.
  const auto due = WsServerSession::Clock::now() + delay;
  post([due, t = std::move(text)](WsServerSession& s) mutable { s.enqueue(due, std::move(t)); });
}
void WsHandle::ping(std::string payload) {
  post([p = std::move(payload)](WsServerSession& s) mutable { s.ping(std::move(p)); });
}
void WsHandle::close() {
  post([](WsServerSession& s) { s.close(); });
}
void WsHandle::drop() {
  post([](WsServerSession& s) { s.drop(); });
}

// One accepted TCP connection speaking HTTP/1.1 until it closes or upgrades.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, asio::ssl::context& ctx, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket), ctx),
        delay_timer_(stream_.get_executor()),
        shared_(std::move(shared)) {}

  ~HttpSession() {
    if (!upgraded_) ++shared_->closed;
  }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(self->shared_->cfg.handshake_timeout);
      self->stream_.async_handshake(asio::ssl::stream_base::server, [self](const error_code& ec) {
        if (!ec) self->read();
      });
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kRequestBodyLimit);
    beast::get_lowest_layer(stream_).expires_after(shared_->cfg.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                       if (ec) {
                         self->close();  // peer closed, idle timeout (tcp_stream closed the socket)
                                         // or bad request
                         return;
                       }
                       self->serve();
                     });
  }

  void serve() {
    auto& req = parser_->get();
    if (websocket::is_upgrade(req)) {
      const std::string_view target(req.target().data(), req.target().size());
      const auto it = shared_->ws_handlers.find(target.substr(0, target.find('?')));
      if (it != shared_->ws_handlers.end()) {
        if (it->second.on_upgrade) {
          std::optional<HttpResponse> refusal;
          try {
            refusal = it->second.on_upgrade(detail::to_request(req));
          } catch (const std::exception& e) {
            refusal = HttpResponse{500, {}, std::string("upgrade handler failed: ") + e.what()};
          }
          if (refusal) {
            answer(std::move(*refusal));
            return;
          }
        }
        upgraded_ = true;
        auto ws = std::make_shared<WsServerSession>(std::move(stream_), shared_, it->second);
        ws->accept(parser_->release());
        return;
      }
    }
    HttpRequest in = detail::to_request(req);

    DelayedResponse out;
    if (websocket::is_upgrade(req)) {
      out.response.status = 404;
      out.response.body = "no websocket endpoint at this path";
    } else {
      try {
        out = shared_->handler(in);
      } catch (const std::exception& e) {
        out =
            DelayedResponse{HttpResponse{500, {}, std::string("handler failed: ") + e.what()}, {}};
      }
    }
    if (out.delay.count() <= 0) {
      answer(std::move(out.response));
      return;
    }
    // The modelled latency: a timer on this connection's strand; the I/O thread goes on
    // serving other connections meanwhile.
    delay_timer_.expires_after(out.delay);
    delay_timer_.async_wait(
        [self = shared_from_this(), r = std::move(out.response)](const error_code& ec) mutable {
          if (ec) return;  // the server stopped
          self->answer(std::move(r));
        });
  }

  // Writes the answer to the request in parser_ (status 0: drops the connection instead).
  void answer(HttpResponse out) {
    if (out.status == 0) {  // fault injection: the ack is lost
      drop();
      return;
    }
    const auto& req = parser_->get();
    res_.emplace(static_cast<http::status>(out.status), req.version());
    for (auto& [name, value] : out.headers) {
      const auto field = http::string_to_field(name);
      if (field == http::field::content_length || field == http::field::transfer_encoding) continue;
      res_->insert(name, value);
    }
    res_->keep_alive(req.keep_alive());
    res_->body() = std::move(out.body);
    res_->prepare_payload();
    // The read's idle timeout also bounds this write; a delayed answer gets a fresh one.
    beast::get_lowest_layer(stream_).expires_after(shared_->cfg.idle_timeout);
    http::async_write(stream_, *res_,
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        const bool again = !ec && self->res_->keep_alive();
                        self->res_.reset();
                        if (again) {
                          self->read();
                        } else {
                          self->close();
                        }
                      });
  }

  void close() {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  void drop() {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().set_option(asio::socket_base::linger(true, 0),
                                                         ignored);
    beast::get_lowest_layer(stream_).close();
  }

  TlsStream stream_;
  asio::steady_timer delay_timer_;  // a DelayedResponse's wait
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  bool upgraded_ = false;
};

}  // namespace

struct HttpsServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  asio::ssl::context ctx;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  explicit Impl(const HttpsServerConfig& cfg) : ctx(detail::make_server_context(cfg.tls)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](const error_code& ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      } else {
        ++shared->accepted;
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpSession>(std::move(socket), ctx, shared)->run();
      }
      accept();
    });
  }
};

HttpsServer::HttpsServer(HttpsServerConfig cfg, HttpHandler handler)
    : HttpsServer(std::move(cfg),
                  DelayedHttpHandler([h = std::move(handler)](const HttpRequest& r) {
                    return DelayedResponse{h(r), {}};
                  })) {}

HttpsServer::HttpsServer(HttpsServerConfig cfg, DelayedHttpHandler handler)
    : impl_(std::make_unique<Impl>(cfg)) {
  impl_->shared->cfg = std::move(cfg);
  impl_->shared->handler = std::move(handler);
}

HttpsServer::~HttpsServer() {
  stop();
}

void HttpsServer::add_websocket(std::string path, WsHandler handler) {
  if (impl_->started) throw std::logic_error("HttpsServer::add_websocket after start()");
  impl_->shared->ws_handlers.insert_or_assign(std::move(path), std::move(handler));
}

void HttpsServer::start() {
  if (impl_->started) throw std::logic_error("HttpsServer::start called twice");
  const auto& cfg = impl_->shared->cfg;
  impl_->port = detail::listen_on(impl_->acceptor, cfg.bind_address, cfg.port, "https server");
  impl_->started = true;
  {
    std::lock_guard lock(impl_->shared->gate);
    impl_->shared->running = true;
  }
  impl_->accept();
  const unsigned n = cfg.threads == 0 ? 1U : cfg.threads;
  for (unsigned i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void HttpsServer::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard lock(impl_->shared->gate);
    impl_->shared->running = false;
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t HttpsServer::port() const noexcept {
  return impl_->port;
}
std::uint64_t HttpsServer::accepted_connections() const noexcept {
  return impl_->shared->accepted;
}
std::uint64_t HttpsServer::closed_connections() const noexcept {
  return impl_->shared->closed;
}

}  // namespace oms::net
