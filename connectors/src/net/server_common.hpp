// What the HTTP and the HTTPS server share (oms_net's own .cpp files only; Asio/Beast inside):
// binding the acceptor and turning a parsed Beast request into our HttpRequest.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "oms/connectors/net/http.hpp"

namespace oms::net::detail {

// Opens, binds (SO_REUSEADDR) and listens; throws std::runtime_error "<what>: ..." naming the
// address. Returns the bound port (the one the system chose for port 0).
inline std::uint16_t listen_on(boost::asio::ip::tcp::acceptor& acceptor,
                               const std::string& bind_address, std::uint16_t port,
                               std::string_view what) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(bind_address, ec);
  if (ec) {
    throw std::runtime_error(std::string(what) + ": bad bind address '" + bind_address + "'");
  }
  const asio::ip::tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(std::string(what) + ": cannot listen on " + bind_address + ":" +
                             std::to_string(port) + ": " + ec.message());
  }
  return acceptor.local_endpoint().port();
}

// The request's method, target, headers and body (moved out of `req`).
inline HttpRequest to_request(boost::beast::http::request<boost::beast::http::string_body>& req) {
  HttpRequest in;
  in.method = std::string(req.method_string());
  in.target = std::string(req.target());
  for (const auto& f : req) in.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  in.body = std::move(req.body());
  return in;
}

}  // namespace oms::net::detail
