// HttpsClient over Boost.Beast: asynchronous operations on a private io_context, driven to
// completion by the calling thread with io_context::run_until(deadline), so one deadline covers
// resolve, connect, handshake, write and read (HttpRequest::timeout).
#include "oms/connectors/net/https_client.hpp"

#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "tls_context.hpp"

namespace oms::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::uint64_t kBodyLimit = 64ULL << 20;
constexpr std::uint32_t kHeaderLimit = 64U << 10;

Unexpected<HttpError> fail(HttpErrorCode code, std::string message) {
  return Unexpected<HttpError>{HttpError{code, std::move(message)}};
}

// The path without its query: the query carries signatures and is not for error messages.
std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

bool is_closed_error(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

struct HttpsClient::Impl {
  using Stream = asio::ssl::stream<tcp::socket>;

  Origin origin;
  std::string where;  // "https host:port"
  asio::io_context ioc{1};
  asio::ssl::context ctx;
  tcp::resolver resolver{ioc};
  std::unique_ptr<Stream> stream;
  beast::flat_buffer buffer;
  std::uint64_t opened = 0;

  Impl(Origin o, const TlsClientConfig& tls)
      : origin(std::move(o)),
        where("https " + origin.host + ":" + std::to_string(origin.port)),
        ctx(detail::make_client_context(tls)) {}

  // Runs the started operation until `done` or the deadline; on the deadline `cancel` aborts it
  // and its handler runs (with operation_aborted) before this returns. False on timeout.
  template <class Cancel>
  bool drive(Clock::time_point deadline, const bool& done, Cancel&& cancel) {
    ioc.restart();
    ioc.run_until(deadline);
    if (done) return true;
    cancel();
    ioc.restart();
    ioc.run();
    return false;
  }

  void drop() noexcept {
    if (stream) {
      error_code ignored;
      stream->next_layer().close(ignored);
      stream.reset();
    }
    buffer.clear();
  }

  // An idle keep-alive connection may be reused only if nothing at all is readable on it: a
  // FIN, RST, TLS alert or any unsolicited byte means the server is done with it.
  [[nodiscard]] bool idle_connection_usable() {
    if (!stream || buffer.size() != 0 || SSL_pending(stream->native_handle()) > 0) return false;
    pollfd p{};
    p.fd = stream->next_layer().native_handle();
    p.events = POLLIN | POLLRDHUP;
    const int r = ::poll(&p, 1, 0);
    return r == 0;
  }

  Result<Unit, HttpError> connect(Clock::time_point deadline) {
    bool done = false;
    error_code ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(origin.host, std::to_string(origin.port),
                           [&](const error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                             done = true;
                           });
    if (!drive(deadline, done, [&] { resolver.cancel(); })) {
      return fail(HttpErrorCode::kTimeout, where + ": resolve timed out");
    }
    if (ec) return fail(HttpErrorCode::kResolve, where + ": resolve: " + ec.message());

    stream = std::make_unique<Stream>(ioc, ctx);
    if (!detail::set_peer_name(stream->native_handle(), origin.host)) {
      drop();
      return fail(HttpErrorCode::kTls, where + ": host name rejected for verification");
    }
    done = false;
    asio::async_connect(stream->next_layer(), endpoints,
                        [&](const error_code& e, const tcp::endpoint&) {
                          ec = e;
                          done = true;
                        });
    if (!drive(deadline, done, [&] { stream->next_layer().close(ec); })) {
      drop();
      return fail(HttpErrorCode::kTimeout, where + ": connect timed out");
    }
    if (ec) {
      drop();
      return fail(HttpErrorCode::kConnect, where + ": connect: " + ec.message());
    }
    stream->next_layer().set_option(tcp::no_delay(true), ec);

    done = false;
    stream->async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
      ec = e;
      done = true;
    });
    if (!drive(deadline, done, [&] { stream->next_layer().close(ec); })) {
      drop();
      return fail(HttpErrorCode::kTimeout, where + ": TLS handshake timed out");
    }
    if (ec) {
      std::string msg = detail::describe_tls_failure(stream->native_handle(),
                                                     where + ": TLS handshake: " + ec.message());
      drop();
      return fail(HttpErrorCode::kTls, std::move(msg));
    }
    ++opened;
    return Unit{};
  }

  // The request in flight between write() and read(): what it is (for messages) and its deadline.
  std::string pending_what;
  Clock::time_point pending_deadline{};
  std::chrono::milliseconds pending_timeout{0};
  bool pending = false;

  Result<HttpResponse, HttpError> exchange(const HttpRequest& req) {
    if (auto w = write(req, true); !w) return Unexpected<HttpError>{std::move(w).error()};
    return read();
  }

  // Writes the request (connecting first only when `may_connect`); read() takes its response.
  Result<Unit, HttpError> write(const HttpRequest& req, bool may_connect) {
    pending = false;
    if (req.method.empty()) return fail(HttpErrorCode::kBadRequest, where + ": empty method");
    if (req.target.empty() || req.target.front() != '/') {
      return fail(HttpErrorCode::kBadRequest, where + ": target must start with '/'");
    }
    const http::verb verb = http::string_to_verb(req.method);
    if (verb == http::verb::unknown) {
      return fail(HttpErrorCode::kBadRequest, where + ": unknown method '" + req.method + "'");
    }
    const std::string what = where + ": " + req.method + " " + std::string(path_of(req.target));
    const auto deadline = Clock::now() + req.timeout;

    // The only retry point: nothing of this request has been written anywhere yet.
    if (stream && !idle_connection_usable()) drop();
    if (!stream && !may_connect) {
      return fail(HttpErrorCode::kNotConnected, what + ": no open connection; nothing written");
    }
    if (!stream) {
      auto connected = connect(deadline);
      if (!connected) return Unexpected<HttpError>{std::move(connected).error()};
    }

    http::request<http::string_body> out{verb, req.target, 11};
    out.set(http::field::host,
            origin.port == 443 ? origin.host : origin.host + ":" + std::to_string(origin.port));
    out.set(http::field::user_agent, "crypto-oms");
    for (const auto& [name, value] : req.headers) out.set(name, value);
    out.body() = req.body;
    out.prepare_payload();

    // From here on the server may see the request: no retry, only kClosed / kTimeout.
    if (req.handed_to_socket_ns != nullptr) {
      *req.handed_to_socket_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
    }
    bool done = false;
    error_code ec;
    if (!may_connect) {
      // The caller must not wait (write_request): a synchronous write, no reactor round -- a
      // request of a few hundred bytes fits the empty send buffer of an idle connection at once.
      http::write(*stream, out, ec);
    } else {
      http::async_write(*stream, out, [&](const error_code& e, std::size_t) {
        ec = e;
        done = true;
      });
      if (!drive(deadline, done, [&] { stream->next_layer().close(ec); })) {
        drop();
        return fail(HttpErrorCode::kTimeout, what + ": timed out writing the request");
      }
    }
    if (ec) {
      drop();
      return fail(HttpErrorCode::kClosed, what + ": write: " + ec.message());
    }
    pending_what = what;
    pending_deadline = deadline;
    pending_timeout = req.timeout;
    pending = true;
    return Unit{};
  }

  Result<HttpResponse, HttpError> read() {
    if (!pending || !stream) {
      return fail(HttpErrorCode::kBadRequest, where + ": no request written to read an answer to");
    }
    pending = false;
    const std::string& what = pending_what;
    const auto deadline = pending_deadline;
    bool done = false;
    error_code ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    parser.header_limit(kHeaderLimit);
    http::async_read(*stream, buffer, parser, [&](const error_code& e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!drive(deadline, done, [&] { stream->next_layer().close(ec); })) {
      drop();
      return fail(HttpErrorCode::kTimeout, what + ": no complete response within " +
                                               std::to_string(pending_timeout.count()) + " ms");
    }
    if (ec) {
      drop();
      if (is_closed_error(ec))
        return fail(HttpErrorCode::kClosed, what + ": read: " + ec.message());
      if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
        return fail(HttpErrorCode::kProtocol, what + ": malformed response: " + ec.message());
      }
      return fail(HttpErrorCode::kClosed, what + ": read: " + ec.message());
    }

    auto& res = parser.get();
    HttpResponse response;
    response.status = res.result_int();
    response.headers.reserve(static_cast<std::size_t>(std::distance(res.begin(), res.end())));
    for (const auto& field : res) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(res.body());
    if (!res.keep_alive() || buffer.size() != 0) drop();
    return response;
  }
};

HttpsClient::HttpsClient(Origin origin, const TlsClientConfig& tls)
    : impl_(std::make_unique<Impl>(std::move(origin), tls)) {}
HttpsClient::~HttpsClient() = default;

namespace {

// Runs one of the client's steps; an allocation failure or an Asio throw never escapes: the
// connection is dropped and the step fails with kClosed.
template <class ClientImpl, class Step>
auto never_throws(ClientImpl& impl, Step&& step) -> decltype(step()) {
  try {
    return step();
  } catch (const std::exception& e) {
    impl.drop();
    return fail(HttpErrorCode::kClosed, impl.where + ": " + e.what());
  }
}

}  // namespace

Result<HttpResponse, HttpError> HttpsClient::request(const HttpRequest& req) {
  return never_throws(*impl_, [&] { return impl_->exchange(req); });
}

Result<Unit, HttpError> HttpsClient::write_request(const HttpRequest& req) {
  return never_throws(*impl_, [&] { return impl_->write(req, false); });
}

Result<HttpResponse, HttpError> HttpsClient::read_response() {
  return never_throws(*impl_, [&] { return impl_->read(); });
}

bool HttpsClient::connected() const noexcept {
  return impl_->stream != nullptr;
}

std::uint64_t HttpsClient::connections_opened() const noexcept {
  return impl_->opened;
}
const Origin& HttpsClient::origin() const noexcept {
  return impl_->origin;
}
void HttpsClient::disconnect() noexcept {
  impl_->drop();
}

}  // namespace oms::net
