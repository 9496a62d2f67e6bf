#include "oms/connectors/secrets/secret_store.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace oms::secrets {
namespace {

bool valid_part(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

SecretError bad(std::string_view part, std::string_view value) {
  // Names are not secret: quoting them helps the operator.
  return {SecretErrorCode::kBadName,
          "secret name: " + std::string(part) + " '" + std::string(value) +
              "' must be 1-64 characters of [a-z0-9-]"};
}

}  // namespace

Result<std::string, SecretError> secret_name(std::string_view exchange, std::string_view market,
                                             std::string_view account) {
  if (!valid_part(exchange)) return Unexpected(bad("exchange", exchange));
  if (!valid_part(market)) return Unexpected(bad("market", market));
  if (!valid_part(account)) return Unexpected(bad("account", account));
  return std::string(exchange) + "_" + std::string(market) + "_" + std::string(account);
}

Result<Unit, SecretError> check_secret_name(std::string_view name) {
  const auto a = name.find('_');
  const auto b = a == std::string_view::npos ? a : name.find('_', a + 1);
  if (b == std::string_view::npos)
    return Unexpected(SecretError{SecretErrorCode::kBadName,
                                  "secret name '" + std::string(name) +
                                      "' must be {exchange}_{market}_{account}"});
  auto r = secret_name(name.substr(0, a), name.substr(a + 1, b - a - 1), name.substr(b + 1));
  if (!r) return Unexpected(std::move(r).error());
  return Unit{};
}

std::string random_key_text(std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    unsigned char bytes[64];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    // 248 = 4 x 62: bytes at or above it are dropped, so every character is equally likely.
    for (const unsigned char b : bytes) {
      if (b < 248 && out.size() < n) out += kAlphabet[b % 62U];
    }
  }
  return out;
}

std::string fingerprint(const SecureBuffer& api_key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(api_key.data(), api_key.size(), md, &len, EVP_sha256(), nullptr) != 1) return "?";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 8 && i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

}  // namespace oms::secrets
