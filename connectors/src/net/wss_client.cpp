// WssClient over Boost.Beast. Every connection attempt is a Conn held by shared_ptr by the
// handlers of its pending operations, so a failed connection is freed only after its last
// operation has completed (Beast forbids destroying a stream with operations in flight).
#include "oms/connectors/net/wss_client.hpp"

#include <pthread.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <future>
#include <optional>
#include <thread>

#include "oms/connectors/net/backoff.hpp"
#include "tls_context.hpp"

namespace oms::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

struct Conn {
  Conn(asio::io_context& ioc, asio::ssl::context& ctx, std::shared_ptr<void> owner)
      : client(std::move(owner)), ws(ioc, ctx), ping_timer(ioc), pong_timer(ioc),
        attempt_timer(ioc) {}
  // The client, kept alive by every pending operation of its connections (on a shared I/O
  // thread they may complete after WssClient::stop() returned). The client's own reference to
  // its connection is dropped when the connection fails or stops, which ends the cycle.
  std::shared_ptr<void> client;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  std::deque<std::string> outbox;
  asio::steady_timer ping_timer;
  asio::steady_timer pong_timer;
  asio::steady_timer attempt_timer;  // bounds the whole connect attempt
  websocket::ping_data ping_payload;
  std::uint64_t pings_sent = 0;
  bool open = false;
  bool failed = false;
  bool awaiting_pong = false;

  void close_socket() {
    error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }
};

}  // namespace

struct IoThread::Impl {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      ioc.get_executor()};
  std::thread thread;
};

IoThread::IoThread(std::string name) : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get(), name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    for (;;) {
      try {
        impl->ioc.run();
        return;
      } catch (const std::exception&) {
        // A client's callback threw past its own guard (WssClient::Impl::run catches for a
        // thread of its own); keep serving the others.
      }
    }
  });
}

IoThread::~IoThread() {
  impl_->work.reset();  // run() returns once the stopped clients' last operations ended
  impl_->thread.join();
}

struct WssClient::Impl : std::enable_shared_from_this<WssClient::Impl> {
  WssConfig cfg;
  WssHandlers handlers;
  std::string where;
  asio::io_context own_ioc{1};  // unused on a shared IoThread
  IoThread* shared_io = nullptr;
  asio::io_context& ioc;
  asio::ssl::context ctx;
  tcp::resolver resolver{ioc};
  asio::steady_timer reconnect_timer{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  Backoff backoff;
  std::shared_ptr<Conn> conn;  // the current attempt or connection (I/O thread only)
  std::atomic<bool> open{false};
  std::atomic<std::uint64_t> connects{0};
  bool stopping = false;  // I/O thread only
  bool started = false;
  bool stopped = false;

  Impl(WssConfig c, WssHandlers h, IoThread* io)
      : cfg(std::move(c)),
        handlers(std::move(h)),
        where("wss " + cfg.host + ":" + std::to_string(cfg.port) +
              cfg.target.substr(0, cfg.target.find('?'))),
        shared_io(io),
        ioc(io != nullptr ? io->impl_->ioc : own_ioc),
        ctx(detail::make_client_context(cfg.tls)),
        backoff(cfg.backoff_initial, cfg.backoff_max, cfg.backoff_seed) {}

  // --- connecting ------------------------------------------------------------------------------
  void connect() {
    if (stopping) return;
    auto c = std::make_shared<Conn>(ioc, ctx, shared_from_this());
    conn = c;
    if (!detail::set_peer_name(c->ws.next_layer().native_handle(), cfg.host)) {
      fail(c, "host name rejected for verification");
      return;
    }
    c->attempt_timer.expires_after(cfg.connect_timeout);
    c->attempt_timer.async_wait([this, c](const error_code& ec) {
      if (ec || c->open || c->failed) return;
      resolver.cancel();
      fail(c, "connect timed out after " + std::to_string(cfg.connect_timeout.count()) + " ms");
    });
    resolver.async_resolve(
        cfg.host, std::to_string(cfg.port),
        [this, c](const error_code& ec, const tcp::resolver::results_type& r) {
          if (c->failed) return;
          if (ec) return fail(c, "resolve: " + ec.message());
          beast::get_lowest_layer(c->ws).async_connect(
              r, [this, c](const error_code& e, const tcp::endpoint&) { on_tcp(c, e); });
        });
  }

  void on_tcp(const std::shared_ptr<Conn>& c, const error_code& ec) {
    if (c->failed) return;
    if (ec) return fail(c, "connect: " + ec.message());
    error_code ignored;
    beast::get_lowest_layer(c->ws).socket().set_option(tcp::no_delay(true), ignored);
    c->ws.next_layer().async_handshake(
        asio::ssl::stream_base::client, [this, c](const error_code& e) {
          if (c->failed) return;
          if (e) {
            return fail(c, detail::describe_tls_failure(c->ws.next_layer().native_handle(),
                                                        "TLS handshake: " + e.message()));
          }
          on_tls(c);
        });
  }

  void on_tls(const std::shared_ptr<Conn>& c) {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = cfg.connect_timeout;  // also bounds the close handshake
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;  // our own pings, with a pong deadline
    c->ws.set_option(t);
    c->ws.read_message_max(cfg.max_message_bytes);
    c->ws.control_callback(
        [this, raw = c.get()](websocket::frame_type kind, beast::string_view payload) {
          if (kind != websocket::frame_type::pong || stopping) return;
          raw->awaiting_pong = false;
          raw->pong_timer.cancel();
          if (handlers.on_pong) handlers.on_pong(std::string_view(payload.data(), payload.size()));
        });
    if (cfg.upgrade_headers) {
      c->ws.set_option(websocket::stream_base::decorator(
          [headers = cfg.upgrade_headers()](websocket::request_type& req) {
            for (const auto& [name, value] : headers) req.set(name, value);
          }));
    }
    const std::string host = cfg.host + ":" + std::to_string(cfg.port);
    c->ws.async_handshake(host, cfg.target, [this, c](const error_code& e) {
      if (c->failed) return;
      if (e) return fail(c, "websocket upgrade: " + e.message());
      on_open(c);
    });
  }

  void on_open(const std::shared_ptr<Conn>& c) {
    c->attempt_timer.cancel();
    c->open = true;
    backoff.reset();
    open = true;
    const bool reconnect = connects.fetch_add(1) > 0;
    read(c);
    schedule_ping(c);
    if (handlers.on_open) guarded(c, [&] { handlers.on_open(reconnect); });
  }

  // An owner callback that throws drops that connection (it reconnects), on a thread of the
  // client's own or a shared one alike.
  template <class F>
  void guarded(const std::shared_ptr<Conn>& c, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      fail(c, std::string("callback threw: ") + e.what());
    }
  }

  // --- running ---------------------------------------------------------------------------------
  void read(const std::shared_ptr<Conn>& c) {
    c->ws.async_read(c->buffer, [this, c](const error_code& ec, std::size_t) {
      if (c->failed) return;
      if (ec == websocket::error::closed) {
        const auto reason = c->ws.reason();
        return fail(c, "closed by server (code " + std::to_string(reason.code) + ")");
      }
      if (ec) return fail(c, "read: " + ec.message());
      if (stopping) return;  // closing: no callback after stop()
      const std::size_t n = c->buffer.size();
      c->buffer.prepare(kWssMessagePadding);  // may move the data; keeps it contiguous
      if (handlers.on_message) {
        guarded(c, [&] {
          handlers.on_message(
              std::string_view(static_cast<const char*>(c->buffer.data().data()), n));
        });
      }
      c->buffer.consume(n);
      if (!c->failed) read(c);
    });
  }

  void schedule_ping(const std::shared_ptr<Conn>& c) {
    c->ping_timer.expires_after(cfg.ping_interval);
    c->ping_timer.async_wait([this, c](const error_code& ec) {
      if (ec || c->failed) return;
      if (!c->awaiting_pong) {
        c->awaiting_pong = true;
        c->ping_payload = websocket::ping_data(std::to_string(++c->pings_sent));
        c->ws.async_ping(c->ping_payload, [this, c](const error_code& e) {
          if (e && !c->failed) fail(c, "ping: " + e.message());
        });
        c->pong_timer.expires_after(cfg.pong_timeout);
        c->pong_timer.async_wait([this, c](const error_code& e) {
          if (e || c->failed || !c->awaiting_pong) return;
          fail(c, "no pong within " + std::to_string(cfg.pong_timeout.count()) + " ms");
        });
      }
      schedule_ping(c);
    });
  }

  void enqueue(std::string text) {
    const auto& c = conn;
    if (!c || !c->open) return;
    c->outbox.push_back(std::move(text));
    if (c->outbox.size() == 1) write_front(c);
  }

  void write_front(const std::shared_ptr<Conn>& c) {
    c->ws.text(true);
    c->ws.async_write(asio::buffer(c->outbox.front()),
                      [this, c](const error_code& ec, std::size_t) {
                        if (c->failed) return;
                        if (ec) return fail(c, "write: " + ec.message());
                        c->outbox.pop_front();
                        if (!c->outbox.empty()) write_front(c);
                      });
  }

  // --- failing and reconnecting -----------------------------------------------------------------
  void fail(const std::shared_ptr<Conn>& c, const std::string& what) {
    if (c->failed) return;
    c->failed = true;
    const bool was_open = c->open;
    c->open = false;
    c->outbox.clear();
    c->ping_timer.cancel();
    c->pong_timer.cancel();
    c->attempt_timer.cancel();
    c->close_socket();  // pending operations complete with errors, then `c` is freed
    if (conn == c) {
      open = false;
      conn.reset();
    }
    if (stopping) return;
    WssDisconnect d;
    d.reason = where + ": " + what;
    d.was_open = was_open;
    d.retry_in = backoff.next();
    d.attempt = backoff.attempt();
    reconnect_timer.expires_after(d.retry_in);
    reconnect_timer.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->connect();
    });
    if (handlers.on_disconnected) handlers.on_disconnected(d);
  }

  void begin_stop() {
    stopping = true;
    reconnect_timer.cancel();
    resolver.cancel();
    auto c = conn;
    if (!c) return;
    if (!c->open) {
      fail(c, "stopped");
      return;
    }
    c->open = false;
    open = false;
    c->ping_timer.cancel();
    c->pong_timer.cancel();
    c->ws.async_close(websocket::close_code::normal, [this, c](const error_code&) {
      fail(c, "closed");  // the read loop may already have failed it: then a no-op
    });
  }

  void run() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {  // an owner callback threw: drop that connection
        if (conn) fail(conn, std::string("callback threw: ") + e.what());
      }
    }
  }
};

WssClient::WssClient(WssConfig cfg, WssHandlers handlers, IoThread* io)
    : impl_(std::make_shared<Impl>(std::move(cfg), std::move(handlers), io)) {}

WssClient::~WssClient() {
  stop();
}

void WssClient::start() {
  if (impl_->started) return;
  impl_->started = true;
  asio::post(impl_->ioc, [impl = impl_] { impl->connect(); });
  if (impl_->shared_io != nullptr) return;
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

void WssClient::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->shared_io != nullptr) {
    // On the shared thread: once begin_stop ran, no callback of this client runs again; its
    // connection's last operations (the close handshake) finish there, keeping it alive.
    std::promise<void> begun;
    asio::post(impl_->ioc, [impl = impl_, &begun] {
      impl->begin_stop();
      begun.set_value();
    });
    begun.get_future().wait();
    return;
  }
  asio::post(impl_->ioc, [impl = impl_] { impl->begin_stop(); });
  impl_->work.reset();  // run() returns once the close handshake and every operation ended
  impl_->thread.join();
}

bool WssClient::send(std::string text) {
  if (!impl_->open) return false;
  if (impl_->ioc.get_executor().running_in_this_thread()) {
    impl_->enqueue(std::move(text));
  } else {
    asio::post(impl_->ioc, [impl = impl_, t = std::move(text)]() mutable {
      impl->enqueue(std::move(t));
    });
  }
  return true;
}

bool WssClient::is_open() const noexcept {
  return impl_->open;
}
std::uint64_t WssClient::connects() const noexcept {
  return impl_->connects;
}

}  // namespace oms::net
