// Test certificates made by deploy/gen-certs (the same script the simulator's deployment uses).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace oms::testkit {

struct TlsCerts {
  std::filesystem::path ca;    // ca.pem: what clients trust
  std::filesystem::path cert;  // server.pem
  std::filesystem::path key;   // server.key
};

// Runs deploy/gen-certs DIR [SAN...] (default SANs: DNS:localhost IP:127.0.0.1); throws
// std::runtime_error when the script fails.
TlsCerts make_tls_certs(const std::filesystem::path& dir,
                        const std::vector<std::string>& sans = {});

}  // namespace oms::testkit
