// TLS settings for every oms_net socket (HTTPS and WSS, client and server).
// Policy, not options: TLS 1.2 minimum (1.3 preferred), the peer certificate chain is ALWAYS
// verified, and a client ALWAYS checks the server's host name (SNI + RFC 6125 matching of the
// certificate's subjectAltName DNS / IP entries). There is deliberately no switch to turn any of
// this off: tests and the venue simulator trust their self-signed CA through `ca_file`
// (deploy/gen-certs makes one).
#pragma once

#include <string>

namespace oms::net {

struct TlsClientConfig {
  // PEM file with the CA certificate(s) to trust. Empty: the system trust store
  // (/etc/ssl/certs), which is what the real venues need.
  std::string ca_file;
};

struct TlsServerConfig {
  std::string cert_chain_file;  // PEM: leaf certificate first, then intermediates
  std::string key_file;         // PEM private key of the leaf
};

}  // namespace oms::net
