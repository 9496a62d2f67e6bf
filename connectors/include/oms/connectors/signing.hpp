// Request signing for venue REST/WS APIs (OpenSSL 3 EVP behind this header).
//   HMAC-SHA256: Binance and Bybit (hex), OKX (base64).
//   Ed25519 and RSA-SHA256 PKCS#1 v1.5 from a PEM private key (RSA optionally encrypted):
//   Binance asymmetric API keys (base64).
// A key is parsed once; signing reuses the parsed key. An HmacSha256 reuses one MAC context
// (no allocation per signature) and is therefore not thread-safe: one signer per thread.
// Error messages name the step that failed and never contain key material.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "oms/messages/result.hpp"

struct evp_mac_ctx_st;
struct evp_pkey_st;

namespace oms::signing {

struct SignError {
  std::string message;  // "hmac: EVP_MAC_init failed", "pem: cannot parse private key"
};

using Sha256Digest = std::array<std::uint8_t, 32>;

// Lower-case hex of bytes, appended to out.
void append_hex(const std::uint8_t* data, std::size_t n, std::string& out);
// Standard base64 (RFC 4648, padded), appended to out.
void append_base64(const std::uint8_t* data, std::size_t n, std::string& out);
// Percent-encodes s for a URL query or form body: unreserved (A-Z a-z 0-9 - _ . ~) kept,
// every other byte as %XX (upper-case hex), appended to out.
void append_url_encoded(std::string_view s, std::string& out);

class HmacSha256 {
 public:
  // The secret is copied into OpenSSL's context; error if OpenSSL cannot set it up.
  [[nodiscard]] static Result<HmacSha256, SignError> create(std::string_view secret);

  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  ~HmacSha256();

  // The raw MAC of payload. No allocation.
  [[nodiscard]] Result<Sha256Digest, SignError> sign(std::string_view payload) noexcept;
  // Hex (Binance, Bybit) / base64 (OKX) of the MAC, appended to out.
  [[nodiscard]] Result<Unit, SignError> sign_hex(std::string_view payload, std::string& out);
  [[nodiscard]] Result<Unit, SignError> sign_base64(std::string_view payload, std::string& out);

 private:
  struct CtxFree {
    void operator()(evp_mac_ctx_st* c) const noexcept;
  };
  explicit HmacSha256(evp_mac_ctx_st* ctx) noexcept : ctx_(ctx) {}
  std::unique_ptr<evp_mac_ctx_st, CtxFree> ctx_;
};

enum class KeyKind : std::uint8_t { kEd25519, kRsa };

// An Ed25519 or RSA private key from PEM (PKCS#8, or traditional RSA), optionally encrypted
// with a password. Signs Ed25519 (pure) or RSASSA-PKCS1-v1_5 with SHA-256.
class PrivateKey {
 public:
  // Error: not a PEM private key, wrong password, or a key type other than Ed25519/RSA.
  [[nodiscard]] static Result<PrivateKey, SignError> from_pem(std::string_view pem,
                                                              std::string_view password = {});

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey();

  [[nodiscard]] KeyKind kind() const noexcept { return kind_; }
  // The signature's base64, appended to out.
  [[nodiscard]] Result<Unit, SignError> sign_base64(std::string_view payload,
                                                    std::string& out) const;

 private:
  struct KeyFree {
    void operator()(evp_pkey_st* k) const noexcept;
  };
  PrivateKey(evp_pkey_st* key, KeyKind kind) noexcept : key_(key), kind_(kind) {}
  std::unique_ptr<evp_pkey_st, KeyFree> key_;
  KeyKind kind_;
};

// What Binance wants in `signature=`: HMAC hex, or the Ed25519/RSA base64 percent-encoded.
class BinanceSigner {
 public:
  [[nodiscard]] static Result<BinanceSigner, SignError> hmac(std::string_view secret);
  [[nodiscard]] static Result<BinanceSigner, SignError> pem(std::string_view pem,
                                                            std::string_view password = {});
  // Appends the signature of payload, ready for a query string or form body.
  [[nodiscard]] Result<Unit, SignError> append_signature(std::string_view payload,
                                                         std::string& out);

 private:
  BinanceSigner() = default;
  std::unique_ptr<HmacSha256> hmac_;
  std::unique_ptr<PrivateKey> key_;
  std::string scratch_;  // base64 before percent-encoding; reused
};

}  // namespace oms::signing
