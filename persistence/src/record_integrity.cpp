#include "oms/persistence/record_integrity.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "file_util.hpp"

namespace oms::persistence {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHexDigits[bytes[i] >> 4];
    out += kHexDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const auto hi = kHexDigits.find(hex[i]);
    const auto lo = kHexDigits.find(hex[i + 1]);
    if (hi == std::string_view::npos || lo == std::string_view::npos) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

// The signed record's head (the JSON without its closing brace) and its MAC, when it has one.
struct Split {
  std::string_view head;
  std::string_view mac;
};
std::optional<Split> split_signed(std::string_view payload) {
  if (payload.size() < RecordMac::kSuffixSize + 1 || !payload.ends_with("\"}")) return std::nullopt;
  const std::size_t at = payload.size() - RecordMac::kSuffixSize;
  if (payload.substr(at, RecordMac::kFieldStart.size()) != RecordMac::kFieldStart) return std::nullopt;
  return Split{payload.substr(0, at), payload.substr(at + RecordMac::kFieldStart.size(), RecordMac::kMacHex)};
}

void write_key_file(const fs::path& file, const std::string& text) {
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  const fs::path tmp = file.string() + ".tmp";
  // 0600 from creation: the key is never readable by others, not even briefly.
  files::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  bool ok = fd.valid() && ::fchmod(fd.get(), 0600) == 0;
  std::size_t off = 0;
  while (ok && off < text.size()) {
    const auto n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n <= 0) {
      ok = false;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd.get()) == 0;
  fd = files::UniqueFd();
  if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
    throw std::runtime_error(file.string() + ": cannot write the store's MAC key: " + std::strerror(errno));
  }
  (void)files::fsync_dir(file.parent_path());
}

}  // namespace

RecordMac::RecordMac(std::string key, std::map<std::string, std::uint64_t, std::less<>> unsigned_through)
    : key_(std::move(key)), unsigned_through_(std::move(unsigned_through)) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw std::runtime_error("record MAC: OpenSSL has no HMAC");
  keyed_.reset(EVP_MAC_CTX_new(mac), EVP_MAC_CTX_free);
  EVP_MAC_free(mac);  // the context holds its own reference
  if (!keyed_) throw std::runtime_error("record MAC: cannot allocate a MAC context");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (EVP_MAC_init(keyed_.get(), reinterpret_cast<const unsigned char*>(key_.data()), key_.size(),
                   params) != 1) {
    throw std::runtime_error("record MAC: cannot key HMAC-SHA256");
  }
}

std::shared_ptr<const RecordMac> RecordMac::open_or_create(const fs::path& file, EventStore& store,
                                                           const std::vector<std::string>& streams) {
  std::string key;
  std::map<std::string, std::uint64_t, std::less<>> through;
  bool changed = false;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    const auto perms = fs::status(file, ec).permissions();
    using P = fs::perms;
    if (!ec && (perms & (P::group_all | P::others_all)) != P::none) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(perms) & 07777U);
      throw std::runtime_error(file.string() + ": mode " + mode +
                               ", must be 0600 (it holds the key of the store's records: chmod 600 " +
                               file.string() + ")");
    }
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    const Json j = Json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("key") || !j["key"].is_string()) {
      throw std::runtime_error(file.string() + ": not a key file (expected {\"key\": \"<64 hex>\", ...})");
    }
    auto raw = from_hex(j["key"].get<std::string>());
    if (!raw || raw->size() != kKeyBytes) {
      throw std::runtime_error(file.string() + ": key: expected " + std::to_string(kKeyBytes * 2) +
                               " lowercase hex digits");
    }
    key = std::move(*raw);
    if (j.contains("unsigned_through") && j["unsigned_through"].is_object()) {
      for (const auto& [stream, seq] : j["unsigned_through"].items()) {
        if (!seq.is_number_unsigned()) {
          throw std::runtime_error(file.string() + ": unsigned_through." + stream + ": expected a sequence");
        }
        through[stream] = seq.get<std::uint64_t>();
      }
    }
  } else {
    key.resize(kKeyBytes);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
      throw std::runtime_error(file.string() + ": no random bytes for the store's MAC key");
    }
    changed = true;
  }
  for (const auto& stream : streams) {
    if (through.count(stream) != 0) continue;
    auto last = store.last_sequence(stream);
    if (!last) throw std::runtime_error(file.string() + ": " + last.error().message);
    through[stream] = *last;
    changed = true;
  }
  if (changed) {
    Json j;
    j["key"] = to_hex(reinterpret_cast<const unsigned char*>(key.data()), key.size());
    j["unsigned_through"] = Json::object();
    for (const auto& [stream, seq] : through) j["unsigned_through"][stream] = seq;
    write_key_file(file, j.dump(2) + "\n");
  }
  return std::make_shared<const RecordMac>(std::move(key), std::move(through));
}

std::string RecordMac::mac_hex(std::string_view subject, std::string_view head) const {
  // Over subject NUL head "}": a record moved to another subject no longer verifies.
  const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> c(EVP_MAC_CTX_dup(keyed_.get()),
                                                                    EVP_MAC_CTX_free);
  const auto update = [&](std::string_view part) {
    return EVP_MAC_update(c.get(), reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
  };
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t n = 0;
  if (!c || !update(subject) || !update(std::string_view("\0", 1)) || !update(head) || !update("}") ||
      EVP_MAC_final(c.get(), out, &n, sizeof out) != 1) {
    throw std::runtime_error("record MAC: HMAC-SHA256 failed");
  }
  return to_hex(out, n);
}

std::string RecordMac::sign(std::string_view subject, std::string_view json) const {
  std::string_view head = json;
  if (head.ends_with('}')) head.remove_suffix(1);
  std::string out;
  out.reserve(head.size() + kSuffixSize);
  out.append(head);
  out.append(kFieldStart);
  out.append(mac_hex(subject, head));
  out.append("\"}");
  return out;
}

std::uint64_t RecordMac::unsigned_through(std::string_view stream) const {
  const auto it = unsigned_through_.find(stream);
  return it == unsigned_through_.end() ? 0 : it->second;
}

std::optional<std::string> RecordMac::verify(std::string_view stream, std::uint64_t sequence,
                                             std::string_view subject, std::string_view payload) const {
  const auto split = split_signed(payload);
  if (!split) {
    const auto through = unsigned_through(stream);
    if (sequence <= through) return std::nullopt;  // written before this key
    return "no MAC (records after sequence " + std::to_string(through) +
           " of this stream are signed by omsd; this one is not)";
  }
  const std::string expected = mac_hex(subject, split->head);
  if (CRYPTO_memcmp(expected.data(), split->mac.data(), kMacHex) != 0) {
    return std::string("MAC does not match (not written by this omsd, or altered)");
  }
  return std::nullopt;
}

std::string strip_mac(std::string_view payload) {
  const auto split = split_signed(payload);
  if (!split) return std::string(payload);
  std::string out(split->head);
  out += '}';
  return out;
}

// ---- quarantine -------------------------------------------------------------------------------

std::string quarantine_subject(std::string_view account_stream, std::uint64_t sequence) {
  constexpr std::string_view kPrefix = "ACCOUNT_";
  if (!account_stream.starts_with(kPrefix)) return {};
  const std::string_view rest = account_stream.substr(kPrefix.size());
  const auto us = rest.find('_');  // exchange names have no underscore
  if (us == std::string_view::npos || us == 0 || us + 1 >= rest.size()) return {};
  return "orders." + std::string(rest.substr(0, us)) + "." + std::string(rest.substr(us + 1)) +
         ".quarantine." + std::to_string(sequence);
}

bool is_quarantine_subject(std::string_view subject) noexcept {
  // kind.exchange.account.quarantine.seq
  std::size_t dots = 0, at = 0;
  for (std::size_t i = 0; i < subject.size() && dots < 3; ++i) {
    if (subject[i] == '.' && ++dots == 3) at = i + 1;
  }
  return dots == 3 && subject.substr(at).starts_with("quarantine.");
}

std::string encode_quarantine(const Quarantine& q) {
  Json j;
  j["type"] = "RecordQuarantined";
  j["sequence"] = q.sequence;
  j["reason"] = q.reason;
  j["by"] = q.by;
  j["time_ns"] = q.time;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<Quarantine> decode_quarantine(std::string_view payload) {
  const Json j = Json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("type", "") != "RecordQuarantined") return std::nullopt;
  if (!j.contains("sequence") || !j["sequence"].is_number_unsigned()) return std::nullopt;
  Quarantine q;
  q.sequence = j["sequence"].get<std::uint64_t>();
  if (j.contains("reason") && j["reason"].is_string()) q.reason = j["reason"].get<std::string>();
  if (j.contains("by") && j["by"].is_string()) q.by = j["by"].get<std::string>();
  if (j.contains("time_ns") && j["time_ns"].is_number_integer()) q.time = j["time_ns"].get<TimeNs>();
  return q;
}

EventId quarantine_msg_id(std::string_view stream, std::uint64_t sequence) noexcept {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  const auto add = [&](std::string_view s) {
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  };
  add("quarantine\n");
  add(stream);
  add("\n");
  add(std::to_string(sequence));
  return h == 0 ? 1 : h;
}

Result<std::set<std::uint64_t>, StoreError> quarantined_sequences(EventStore& store, std::string_view stream,
                                                                  std::uint64_t from, const RecordMac* mac) {
  std::set<std::uint64_t> out;
  ReadRequest r;
  r.stream = std::string(stream);
  r.from_sequence = std::max<std::uint64_t>(from, 1);
  auto read = store.read(r, [&](const StoredRecord& rec) {
    if (!is_quarantine_subject(rec.subject)) return true;
    if (mac != nullptr && mac->verify(stream, rec.sequence, rec.subject, rec.payload)) return true;
    const auto q = decode_quarantine(strip_mac(rec.payload));
    if (q && q->sequence < rec.sequence) out.insert(q->sequence);
    return true;
  });
  if (!read) return Unexpected{read.error()};
  return out;
}

}  // namespace oms::persistence
