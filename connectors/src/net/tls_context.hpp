// Internal to oms_net (includes Asio): builds OpenSSL contexts that enforce net/tls.hpp's policy.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

#include "oms/connectors/net/tls.hpp"

namespace oms::net::detail {

// Both throw std::runtime_error naming the file that could not be loaded.
boost::asio::ssl::context make_client_context(const TlsClientConfig& cfg);
boost::asio::ssl::context make_server_context(const TlsServerConfig& cfg);

// Per connection, before the handshake: SNI (DNS names only, RFC 6066) and the host name or IP
// the peer certificate must match (OpenSSL's RFC 6125 check, no partial wildcards).
// Returns false when OpenSSL refuses the name.
bool set_peer_name(SSL* ssl, const std::string& host);

// "certificate verify failed: Hostname mismatch" style text for a failed handshake.
std::string describe_tls_failure(SSL* ssl, const std::string& what);

}  // namespace oms::net::detail
