#include "testkit/tls_certs.hpp"

#include <cstdlib>
#include <stdexcept>

#include "testkit/paths.hpp"

namespace oms::testkit {

namespace {
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

TlsCerts make_tls_certs(const std::filesystem::path& dir, const std::vector<std::string>& sans) {
  std::string cmd =
      quoted((source_dir() / "deploy" / "gen-certs").string()) + " " + quoted(dir.string());
  for (const auto& s : sans) cmd += " " + quoted(s);
  cmd += " >/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("gen-certs failed: " + cmd);
  return TlsCerts{dir / "ca.pem", dir / "server.pem", dir / "server.key"};
}

}  // namespace oms::testkit
