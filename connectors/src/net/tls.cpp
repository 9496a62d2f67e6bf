#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <stdexcept>

#include "tls_context.hpp"

namespace oms::net::detail {
namespace ssl = boost::asio::ssl;

namespace {

void set_protocol_floor(ssl::context& ctx) {
  // TLS 1.2 minimum; 1.3 allowed (OpenSSL 3 negotiates it first).
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                  ssl::context::single_dh_use);
}

}  // namespace

ssl::context make_client_context(const TlsClientConfig& cfg) {
  ssl::context ctx(ssl::context::tls_client);
  set_protocol_floor(ctx);
  boost::system::error_code ec;
  if (cfg.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("tls: cannot load the system CA store: " + ec.message());
  } else {
    ctx.load_verify_file(cfg.ca_file, ec);
    if (ec)
      throw std::runtime_error("tls: cannot load CA file '" + cfg.ca_file + "': " + ec.message());
  }
  ctx.set_verify_mode(ssl::verify_peer);  // always; there is no way to switch this off
  return ctx;
}

ssl::context make_server_context(const TlsServerConfig& cfg) {
  ssl::context ctx(ssl::context::tls_server);
  set_protocol_floor(ctx);
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(cfg.cert_chain_file, ec);
  if (ec) {
    throw std::runtime_error("tls: cannot load certificate chain '" + cfg.cert_chain_file +
                             "': " + ec.message());
  }
  ctx.use_private_key_file(cfg.key_file, ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("tls: cannot load private key '" + cfg.key_file +
                             "': " + ec.message());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw std::runtime_error("tls: private key '" + cfg.key_file +
                             "' does not match certificate '" + cfg.cert_chain_file + "'");
  }
  return ctx;
}

bool set_peer_name(SSL* ssl_handle, const std::string& host) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!ec) {
    // IP literal: no SNI (RFC 6066 3), the certificate needs an iPAddress SAN.
    (void)ip;
    return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  }
  // SSL_set_tlsext_host_name without its C cast.
  if (SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str())) != 1) {
    return false;
  }
  return SSL_set1_host(ssl_handle, host.c_str()) == 1;
}

std::string describe_tls_failure(SSL* ssl_handle, const std::string& what) {
  const long verify = ssl_handle == nullptr ? X509_V_OK : SSL_get_verify_result(ssl_handle);
  if (verify != X509_V_OK) {
    return what + ": certificate verify failed: " + X509_verify_cert_error_string(verify);
  }
  return what;
}

}  // namespace oms::net::detail
