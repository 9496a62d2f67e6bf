#include "oms/persistence/nats_auth.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "oms/persistence/jetstream_store.hpp"

namespace oms::persistence {

namespace {

constexpr std::size_t kMinPassword = 16;
constexpr std::size_t kMaxField = 256;

Unexpected<std::string> refused(std::string_view source, std::string_view what) {
  return Unexpected{std::string(source) + ": " + std::string(what)};
}

}  // namespace

Result<NatsAuth, std::string> parse_nats_auth(std::string_view text, std::string_view source) {
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return refused(source, "not JSON");
  if (!doc.is_object()) return refused(source, "not a JSON object");
  for (const auto& [key, value] : doc.items()) {
    (void)value;
    if (key != "user" && key != "password") return refused(source, "'" + key + "': unknown field");
  }
  NatsAuth auth;
  for (const auto& [field, out] : {std::pair<const char*, std::string*>{"user", &auth.user},
                                   std::pair<const char*, std::string*>{"password", &auth.password}}) {
    const auto it = doc.find(field);
    if (it == doc.end()) return refused(source, std::string(field) + ": missing");
    if (!it->is_string()) return refused(source, std::string(field) + ": not a string");
    *out = it->get<std::string>();
    if (out->empty()) return refused(source, std::string(field) + ": empty");
    if (out->size() > kMaxField) return refused(source, std::string(field) + ": longer than 256 bytes");
    for (const char c : *out) {
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
        return refused(source, std::string(field) + ": holds a space or a control character");
    }
  }
  if (auth.password.size() < kMinPassword)
    return refused(source, "password: shorter than 16 characters");
  return auth;
}

Result<NatsAuth, std::string> load_nats_auth(const std::filesystem::path& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(st)) return refused(path.string(), "not a readable file");
  using P = std::filesystem::perms;
  if ((st.permissions() & (P::group_all | P::others_all)) != P::none) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.permissions()) & 07777U);
    return refused(path.string(), std::string("mode ") + mode +
                                      ", must be 0600 (it holds the NATS password: chmod 600 " +
                                      path.string() + ")");
  }
  std::ifstream in(path);
  if (!in) return refused(path.string(), "cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return parse_nats_auth(text.str(), path.string());
}

Result<Unit, std::string> apply_nats_access(JetStreamOptions& options,
                                            const std::filesystem::path& auth_file,
                                            const std::filesystem::path& ca_file) {
  if (!auth_file.empty()) {
    auto auth = load_nats_auth(auth_file);
    if (!auth) return Unexpected{auth.error()};
    options.user = std::move(auth->user);
    options.password = std::move(auth->password);
  }
  if (!ca_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(ca_file, ec))
      return refused(ca_file.string(), "not a readable file (the NATS server's CA)");
    options.tls_ca = ca_file.string();
  }
  return Unit{};
}

}  // namespace oms::persistence
