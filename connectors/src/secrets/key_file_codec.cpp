#include "key_file_codec.hpp"

#include <cstring>

namespace oms::secrets::detail {
namespace {

void put_be(unsigned char*& o, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) *o++ = static_cast<unsigned char>(v >> (8 * i));
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool number(int bytes, std::uint64_t& out) {
    if (s_.size() - pos_ < static_cast<std::size_t>(bytes)) return false;
    out = 0;
    for (int i = 0; i < bytes; ++i) out = (out << 8) | static_cast<unsigned char>(s_[pos_++]);
    return true;
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (s_.size() - pos_ < n) return false;
    out = s_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool done() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<SecureBuffer, SecretError> encode_entries(const std::vector<KeyFileEntry>& entries) {
  std::size_t size = 4;
  for (const auto& e : entries)
    size += 2 + e.name.size() + 16 + e.creds.api_key.size() + e.creds.api_secret.size() +
            e.creds.private_key.size() + e.creds.passphrase.size();
  auto buf = SecureBuffer::allocate(size);
  if (!buf) return buf;
  unsigned char* o = buf->data();
  put_be(o, entries.size(), 4);
  for (const auto& e : entries) {
    put_be(o, e.name.size(), 2);
    std::memcpy(o, e.name.data(), e.name.size());
    o += e.name.size();
    for (const SecureBuffer* f : {&e.creds.api_key, &e.creds.api_secret, &e.creds.private_key, &e.creds.passphrase}) {
      put_be(o, f->size(), 4);
      if (!f->empty()) std::memcpy(o, f->data(), f->size());
      o += f->size();
    }
  }
  return buf;
}

Result<std::vector<KeyFileEntry>, std::string> decode_entries(std::string_view plain, std::uint8_t version) {
  const int field_count = version >= 2 ? 4 : 3;
  Reader r(plain);
  std::uint64_t count = 0;
  if (!r.number(4, count)) return Unexpected(std::string("entry count: truncated"));
  std::vector<KeyFileEntry> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string where = "entry " + std::to_string(i) + ".";
    std::uint64_t n = 0;
    std::string_view v;
    if (!r.number(2, n) || !r.bytes(n, v)) return Unexpected(where + "name: truncated");
    KeyFileEntry e{std::string(v), {}};
    const char* names[] = {"api_key", "api_secret", "private_key", "passphrase"};
    SecureBuffer* fields[] = {&e.creds.api_key, &e.creds.api_secret, &e.creds.private_key, &e.creds.passphrase};
    for (int f = 0; f < field_count; ++f) {
      if (!r.number(4, n) || !r.bytes(n, v)) return Unexpected(where + names[f] + ": truncated");
      auto b = SecureBuffer::copy_of(v);
      if (!b) return Unexpected(std::move(b).error().message);
      *fields[f] = std::move(*b);
    }
    out.push_back(std::move(e));
  }
  if (!r.done()) return Unexpected(std::string("trailing bytes after the last entry"));
  return out;
}

Result<ApiCredentials, SecretError> copy_credentials(const ApiCredentials& c) {
  ApiCredentials out;
  out.version = c.version;
  for (auto [from, to] : {std::pair{&c.api_key, &out.api_key}, std::pair{&c.api_secret, &out.api_secret},
                          std::pair{&c.private_key, &out.private_key}, std::pair{&c.passphrase, &out.passphrase}}) {
    auto b = SecureBuffer::copy_of(from->view());
    if (!b) return Unexpected(std::move(b).error());
    *to = std::move(*b);
  }
  return out;
}

}  // namespace oms::secrets::detail
