#include "oms/connectors/secrets/key_file_store.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "key_file_codec.hpp"

namespace oms::secrets {
namespace {

using Entry = detail::KeyFileEntry;

constexpr std::string_view kMagic{"OMSKEYS\0", 8};
constexpr std::uint8_t kVersion = 2;      // written; 2 added each entry's passphrase
constexpr std::uint8_t kOldestVersion = 1;  // read
constexpr std::uint8_t kKdfScrypt = 1;
constexpr std::size_t kSaltLen = 16;
constexpr std::size_t kNonceLen = 12;  // GCM's native IV length
constexpr std::size_t kTagLen = 16;
constexpr std::size_t kKeyLen = 32;    // AES-256
constexpr std::size_t kHeaderLen = 8 + 6 + kSaltLen + kNonceLen;
constexpr std::uint64_t kScryptMaxMem = 1ull << 30;  // N=2^20, r=32 would be 4 GiB: bounded here

SecretError err(SecretErrorCode c, const std::filesystem::path& p, std::string what) {
  return {c, "key file " + p.string() + ": " + std::move(what)};
}
SecretError sys(const std::filesystem::path& p, std::string_view step) {
  return err(SecretErrorCode::kIo, p, std::string(step) + ": " + std::strerror(errno));
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads a file that must not be readable by group or others.
Result<std::string, SecretError> read_private_file(const std::filesystem::path& p) {
  Fd f{::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) {
    if (errno == ENOENT) return Unexpected(err(SecretErrorCode::kNotFound, p, "does not exist"));
    return Unexpected(sys(p, "open"));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return Unexpected(sys(p, "fstat"));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return Unexpected(err(SecretErrorCode::kFileMode, p,
                          std::string("permissions ") + mode +
                              " allow group/others access; refusing to use it (chmod 600)"));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected(sys(p, "read"));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return out;
}

// temp file (0600) + write + fsync + rename + fsync(dir).
Result<Unit, SecretError> write_atomically(const std::filesystem::path& p, std::string_view bytes) {
  const std::filesystem::path tmp = p.string() + ".tmp";
  ::unlink(tmp.c_str());  // a stale temp from a crash
  {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (f.fd < 0) return Unexpected(sys(tmp, "create"));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        ::unlink(tmp.c_str());
        return Unexpected(sys(tmp, "write"));
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(f.fd) != 0) {
      ::unlink(tmp.c_str());
      return Unexpected(sys(tmp, "fsync"));
    }
  }
  if (::rename(tmp.c_str(), p.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Unexpected(sys(p, "rename"));
  }
  const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0) ::fsync(d.fd);
  return Unit{};
}

struct EvpCtx {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  ~EvpCtx() { EVP_CIPHER_CTX_free(c); }
};

std::string header_bytes(const ScryptParams& sp, std::string_view salt, std::string_view nonce) {
  std::string h(kMagic);
  h += static_cast<char>(kVersion);
  h += static_cast<char>(kKdfScrypt);
  h += static_cast<char>(sp.log2_n);
  h += static_cast<char>(sp.r);
  h += static_cast<char>(sp.p);
  h += static_cast<char>(kSaltLen);
  h += salt;
  h += nonce;
  return h;
}

struct FileHeader {
  std::uint8_t version = kVersion;
  ScryptParams params;
  std::string salt;
  std::string nonce;
};

Result<FileHeader, SecretError> parse_header(const std::filesystem::path& p, std::string_view f) {
  if (f.size() < kMagic.size() || f.substr(0, kMagic.size()) != kMagic)
    return Unexpected(err(SecretErrorCode::kCorrupt, p, "not an oms key file (bad magic)"));
  if (f.size() < kHeaderLen + kTagLen)
    return Unexpected(err(SecretErrorCode::kCorrupt, p, "truncated (" + std::to_string(f.size()) + " bytes)"));
  const auto u8 = [&](std::size_t i) { return static_cast<std::uint8_t>(f[i]); };
  if (u8(8) < kOldestVersion || u8(8) > kVersion)
    return Unexpected(err(SecretErrorCode::kCorrupt, p, "unsupported version " + std::to_string(u8(8))));
  if (u8(9) != kKdfScrypt)
    return Unexpected(err(SecretErrorCode::kCorrupt, p, "unsupported kdf " + std::to_string(u8(9))));
  FileHeader h;
  h.version = u8(8);
  h.params = {u8(10), u8(11), u8(12)};
  if (h.params.log2_n < 1 || h.params.log2_n > kMaxScryptLog2N || h.params.r < 1 ||
      h.params.r > kMaxScryptR || h.params.p < 1 || h.params.p > kMaxScryptP)
    return Unexpected(err(SecretErrorCode::kCorrupt, p,
                          "scrypt parameters out of bounds (log2 N " + std::to_string(h.params.log2_n) +
                              ", r " + std::to_string(h.params.r) + ", p " + std::to_string(h.params.p) + ")"));
  if (u8(13) != kSaltLen)
    return Unexpected(err(SecretErrorCode::kCorrupt, p, "salt length " + std::to_string(u8(13)) + " (want 16)"));
  h.salt = std::string(f.substr(14, kSaltLen));
  h.nonce = std::string(f.substr(14 + kSaltLen, kNonceLen));
  return h;
}

Result<SecureBuffer, SecretError> derive(const std::filesystem::path& p, const SecureBuffer& pass,
                                         std::string_view salt, const ScryptParams& sp) {
  auto key = SecureBuffer::allocate(kKeyLen);
  if (!key) return key;
  const auto* s = reinterpret_cast<const unsigned char*>(salt.data());
  if (EVP_PBE_scrypt(reinterpret_cast<const char*>(pass.data()), pass.size(), s, salt.size(),
                     std::uint64_t{1} << sp.log2_n, sp.r, sp.p, kScryptMaxMem, key->data(), kKeyLen) != 1)
    return Unexpected(err(SecretErrorCode::kCrypto, p, "scrypt key derivation failed"));
  return key;
}

}  // namespace

Result<SecureBuffer, SecretError> passphrase_from_env() {
  char* v = std::getenv("OMS_KEYFILE_PASSPHRASE");
  if (v == nullptr || *v == '\0')
    return Unexpected(SecretError{SecretErrorCode::kConfig,
                                  "no passphrase: set OMS_KEYFILE_PASSPHRASE or give a passphrase file"});
  auto out = SecureBuffer::copy_of(v);
  // Read once: wiped from the environment (children, /proc/PID/environ of this process and
  // core dumps no longer show it). Single-threaded start-up is when it is read.
  OPENSSL_cleanse(v, std::strlen(v));
  ::unsetenv("OMS_KEYFILE_PASSPHRASE");
  return out;
}

Result<SecureBuffer, SecretError> passphrase_from_file(const std::filesystem::path& p) {
  auto text = read_private_file(p);
  if (!text) {
    auto e = std::move(text).error();
    e.message = "passphrase " + e.message.substr(4);  // "key file X" -> "passphrase file X"
    return Unexpected(std::move(e));
  }
  std::string& s = *text;
  const auto end = s.find_first_of("\r\n");
  auto out = SecureBuffer::copy_of(std::string_view(s).substr(0, end));
  OPENSSL_cleanse(s.data(), s.size());
  if (out && out->empty())
    return Unexpected(SecretError{SecretErrorCode::kConfig, "passphrase file " + p.string() + ": empty"});
  return out;
}

Result<KeyFileStore, SecretError> KeyFileStore::open(const std::filesystem::path& path, SecureBuffer passphrase,
                                                     Mode mode, ScryptParams params) {
  if (passphrase.empty())
    return Unexpected(err(SecretErrorCode::kConfig, path, "empty passphrase"));
  KeyFileStore s;
  s.path_ = path;
  s.passphrase_ = std::move(passphrase);
  auto existing = read_private_file(path);
  if (!existing && existing.error().code == SecretErrorCode::kNotFound && mode == Mode::kCreateIfMissing) {
    if (params.log2_n < 1 || params.log2_n > kMaxScryptLog2N || params.r < 1 || params.r > kMaxScryptR ||
        params.p < 1 || params.p > kMaxScryptP)
      return Unexpected(err(SecretErrorCode::kConfig, path, "scrypt parameters out of bounds"));
    s.params_ = params;
    s.salt_.resize(kSaltLen);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(s.salt_.data()), kSaltLen) != 1)
      return Unexpected(err(SecretErrorCode::kCrypto, path, "RAND_bytes failed"));
    auto key = derive(path, s.passphrase_, s.salt_, s.params_);
    if (!key) return Unexpected(std::move(key).error());
    s.key_ = std::move(*key);
    auto w = s.store({});
    if (!w) return Unexpected(std::move(w).error());
    return s;
  }
  if (!existing) return Unexpected(std::move(existing).error());
  auto entries = s.load();  // authenticates: wrong passphrase fails here
  if (!entries) return Unexpected(std::move(entries).error());
  return s;
}

Result<std::vector<Entry>, SecretError> KeyFileStore::load() {
  auto file = read_private_file(path_);
  if (!file) return Unexpected(std::move(file).error());
  const std::string& f = *file;
  auto h = parse_header(path_, f);
  if (!h) return Unexpected(std::move(h).error());
  if (key_.empty() || h->salt != salt_ || h->params.log2_n != params_.log2_n || h->params.r != params_.r ||
      h->params.p != params_.p) {
    auto key = derive(path_, passphrase_, h->salt, h->params);
    if (!key) return Unexpected(std::move(key).error());
    key_ = std::move(*key);
    salt_ = h->salt;
    params_ = h->params;
  }
  const std::size_t ct_len = f.size() - kHeaderLen - kTagLen;
  auto plain = SecureBuffer::allocate(ct_len == 0 ? 1 : ct_len);
  if (!plain) return Unexpected(std::move(plain).error());
  const auto* in = reinterpret_cast<const unsigned char*>(f.data());
  EvpCtx ctx;
  int outl = 0, finl = 0;
  const bool ok =
      ctx.c != nullptr && EVP_DecryptInit_ex(ctx.c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_SET_IVLEN, kNonceLen, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.c, nullptr, nullptr, key_.data(), in + kHeaderLen - kNonceLen) == 1 &&
      EVP_DecryptUpdate(ctx.c, nullptr, &outl, in, kHeaderLen) == 1 &&  // header = AAD
      EVP_DecryptUpdate(ctx.c, plain->data(), &outl, in + kHeaderLen, static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_SET_TAG, kTagLen,
                          const_cast<unsigned char*>(in + kHeaderLen + ct_len)) == 1 &&
      EVP_DecryptFinal_ex(ctx.c, plain->data() + outl, &finl) == 1;
  if (!ok)
    return Unexpected(err(SecretErrorCode::kAuthentication, path_,
                          "authentication failed: wrong passphrase, or the file was modified"));
  plain->truncate(ct_len);
  auto entries = detail::decode_entries(plain->view(), h->version);
  if (!entries) return Unexpected(err(SecretErrorCode::kCorrupt, path_, entries.error()));
  return std::move(entries).value();
}

Result<Unit, SecretError> KeyFileStore::store(const std::vector<Entry>& entries) {
  auto plain = detail::encode_entries(entries);
  if (!plain) return Unexpected(std::move(plain).error());
  std::string nonce(kNonceLen, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonceLen) != 1)
    return Unexpected(err(SecretErrorCode::kCrypto, path_, "RAND_bytes failed"));
  std::string out = header_bytes(params_, salt_, nonce);
  out.resize(kHeaderLen + plain->size() + kTagLen);
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  EvpCtx ctx;
  int outl = 0, finl = 0;
  const bool ok =
      ctx.c != nullptr && EVP_EncryptInit_ex(ctx.c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_SET_IVLEN, kNonceLen, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.c, nullptr, nullptr, key_.data(),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_EncryptUpdate(ctx.c, nullptr, &outl, o, kHeaderLen) == 1 &&
      EVP_EncryptUpdate(ctx.c, o + kHeaderLen, &outl, plain->data(), static_cast<int>(plain->size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.c, o + kHeaderLen + outl, &finl) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_GET_TAG, kTagLen, o + kHeaderLen + plain->size()) == 1;
  if (!ok) return Unexpected(err(SecretErrorCode::kCrypto, path_, "AES-256-GCM encryption failed"));
  return write_atomically(path_, out);  // ciphertext only: `out` holds no plaintext
}

Result<ApiCredentials, SecretError> KeyFileStore::get(std::string_view exchange, std::string_view market,
                                                      std::string_view account) {
  auto name = secret_name(exchange, market, account);
  if (!name) return Unexpected(std::move(name).error());
  return get(*name);
}

Result<ApiCredentials, SecretError> KeyFileStore::get(std::string_view name) {
  auto entries = load();
  if (!entries) return Unexpected(std::move(entries).error());
  for (auto& e : *entries)
    if (e.name == name) return std::move(e.creds);
  return Unexpected(err(SecretErrorCode::kNotFound, path_, "no secret named '" + std::string(name) + "'"));
}

Result<std::vector<std::string>, SecretError> KeyFileStore::list() {
  auto entries = load();
  if (!entries) return Unexpected(std::move(entries).error());
  std::vector<std::string> names;
  for (const auto& e : *entries) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  return names;
}

Result<Unit, SecretError> KeyFileStore::write_entry(std::string_view name, const ApiCredentials* c,
                                                    WriteKind kind) {
  if (auto ok = check_secret_name(name); !ok) return Unexpected(std::move(ok).error());
  auto entries = load();
  if (!entries) return Unexpected(std::move(entries).error());
  auto it = std::find_if(entries->begin(), entries->end(), [&](const Entry& e) { return e.name == name; });
  const bool present = it != entries->end();
  if (kind == WriteKind::kPut && present)
    return Unexpected(err(SecretErrorCode::kExists, path_,
                          "'" + std::string(name) + "' already exists (use rotate to replace it)"));
  if (kind != WriteKind::kPut && !present)
    return Unexpected(err(SecretErrorCode::kNotFound, path_, "no secret named '" + std::string(name) + "'"));
  if (kind == WriteKind::kRemove) {
    entries->erase(it);
  } else {
    auto copy = detail::copy_credentials(*c);
    if (!copy) return Unexpected(std::move(copy).error());
    if (present) {
      it->creds = std::move(*copy);
    } else {
      entries->push_back(Entry{std::string(name), std::move(*copy)});
    }
  }
  return store(*entries);
}

Result<Unit, SecretError> KeyFileStore::put(std::string_view name, const ApiCredentials& c) {
  return write_entry(name, &c, WriteKind::kPut);
}
Result<Unit, SecretError> KeyFileStore::rotate(std::string_view name, const ApiCredentials& c) {
  return write_entry(name, &c, WriteKind::kRotate);
}
Result<Unit, SecretError> KeyFileStore::remove(std::string_view name) {
  return write_entry(name, nullptr, WriteKind::kRemove);
}

}  // namespace oms::secrets
