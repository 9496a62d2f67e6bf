// Ed25519 and RSA-SHA256 (PKCS#1 v1.5) signing with a PEM private key (OpenSSL 3).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <vector>

#include "oms/connectors/signing.hpp"

namespace oms::signing {

namespace {
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};

// The password callback; never prompts (a missing password is an error, not a tty read).
int password_cb(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* pw = static_cast<const std::string_view*>(u);
  if (pw == nullptr || pw->empty() || pw->size() > static_cast<std::size_t>(size)) return -1;
  pw->copy(buf, pw->size());
  return static_cast<int>(pw->size());
}
}  // namespace

void PrivateKey::KeyFree::operator()(evp_pkey_st* k) const noexcept {
  EVP_PKEY_free(k);
}

PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

Result<PrivateKey, SignError> PrivateKey::from_pem(std::string_view pem,
                                                   std::string_view password) {
  if (pem.size() > static_cast<std::size_t>(INT32_MAX)) {
    return Unexpected{SignError{"pem: input too large"}};
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Unexpected{SignError{"pem: cannot allocate a buffer"}};
  std::string_view pw = password;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, password_cb, &pw);
  if (key == nullptr) {
    ERR_clear_error();  // leave no stale entry for the next OpenSSL user on this thread
    return Unexpected{SignError{password.empty()
                                    ? "pem: cannot parse the private key (encrypted without a "
                                      "password, or not a PEM private key)"
                                    : "pem: cannot parse the private key (wrong password, "
                                      "unsupported cipher, or not a PEM private key)"}};
  }
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_ED25519) return PrivateKey(key, KeyKind::kEd25519);
  if (id == EVP_PKEY_RSA) return PrivateKey(key, KeyKind::kRsa);
  EVP_PKEY_free(key);
  return Unexpected{SignError{"pem: key type is neither Ed25519 nor RSA"}};
}

Result<Unit, SignError> PrivateKey::sign_base64(std::string_view payload, std::string& out) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return Unexpected{SignError{"sign: cannot allocate a digest context"}};
  EVP_PKEY_CTX* pctx = nullptr;
  // Ed25519 is "pure": no digest; RSA signs the SHA-256 of the payload (PKCS#1 v1.5 padding,
  // OpenSSL's default for RSA keys).
  const EVP_MD* md = kind_ == KeyKind::kRsa ? EVP_sha256() : nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1) {
    return Unexpected{SignError{"sign: EVP_DigestSignInit failed"}};
  }
  if (kind_ == KeyKind::kRsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return Unexpected{SignError{"sign: cannot select PKCS#1 v1.5 padding"}};
  }
  const auto* data = reinterpret_cast<const unsigned char*>(payload.data());
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, payload.size()) != 1) {
    return Unexpected{SignError{"sign: cannot size the signature"}};
  }
  std::vector<std::uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data, payload.size()) != 1) {
    return Unexpected{SignError{"sign: EVP_DigestSign failed"}};
  }
  append_base64(sig.data(), len, out);
  return Unit{};
}

}  // namespace oms::signing
