// HMAC-SHA256 with one reusable OpenSSL 3 EVP_MAC context, and the Binance signer facade.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "oms/connectors/signing.hpp"

namespace oms::signing {

void HmacSha256::CtxFree::operator()(evp_mac_ctx_st* c) const noexcept {
  EVP_MAC_CTX_free(c);
}

HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;
HmacSha256::~HmacSha256() = default;

Result<HmacSha256, SignError> HmacSha256::create(std::string_view secret) {
  if (secret.empty()) return Unexpected{SignError{"hmac: empty secret"}};
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return Unexpected{SignError{"hmac: OpenSSL has no HMAC"}};
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context holds its own reference
  if (ctx == nullptr) return Unexpected{SignError{"hmac: cannot allocate a MAC context"}};
  HmacSha256 h(ctx);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1) {
    return Unexpected{SignError{"hmac: cannot initialise HMAC-SHA256 with the secret"}};
  }
  return h;
}

Result<Sha256Digest, SignError> HmacSha256::sign(std::string_view payload) noexcept {
  Sha256Digest out{};
  // A null key re-initialises with the key already set (OpenSSL 3): no allocation.
  if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(payload.data()),
                     payload.size()) != 1) {
    return Unexpected{SignError{"hmac: EVP_MAC update failed"}};
  }
  std::size_t len = 0;
  if (EVP_MAC_final(ctx_.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    return Unexpected{SignError{"hmac: EVP_MAC final failed"}};
  }
  return out;
}

Result<Unit, SignError> HmacSha256::sign_hex(std::string_view payload, std::string& out) {
  auto d = sign(payload);
  if (!d) return Unexpected{std::move(d).error()};
  append_hex(d->data(), d->size(), out);
  return Unit{};
}

Result<Unit, SignError> HmacSha256::sign_base64(std::string_view payload, std::string& out) {
  auto d = sign(payload);
  if (!d) return Unexpected{std::move(d).error()};
  append_base64(d->data(), d->size(), out);
  return Unit{};
}

Result<BinanceSigner, SignError> BinanceSigner::hmac(std::string_view secret) {
  auto h = HmacSha256::create(secret);
  if (!h) return Unexpected{std::move(h).error()};
  BinanceSigner s;
  s.hmac_ = std::make_unique<HmacSha256>(std::move(h).value());
  return s;
}

Result<BinanceSigner, SignError> BinanceSigner::pem(std::string_view pem,
                                                    std::string_view password) {
  auto k = PrivateKey::from_pem(pem, password);
  if (!k) return Unexpected{std::move(k).error()};
  BinanceSigner s;
  s.key_ = std::make_unique<PrivateKey>(std::move(k).value());
  return s;
}

Result<Unit, SignError> BinanceSigner::append_signature(std::string_view payload,
                                                        std::string& out) {
  if (hmac_) return hmac_->sign_hex(payload, out);
  scratch_.clear();
  auto r = key_->sign_base64(payload, scratch_);
  if (!r) return r;
  append_url_encoded(scratch_, out);  // base64's + / = must not be read as form syntax
  return Unit{};
}

}  // namespace oms::signing
