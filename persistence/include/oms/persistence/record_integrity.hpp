// What a rebuild trusts of a stored record (issue 13, "one stray record bricks an account").
//
// 1. A MAC on every event omsd stores: HMAC-SHA256, keyed by a secret omsd generates under its
//    data dir (store-mac.key, 0600), over the record's subject and its JSON. It rides in the
//    JSON as a last top-level field, `"mac":"<64 hex>"` (the codec passes it over), so every
//    reader of the stores (replay, backtests, daily files, jq) reads a signed record as before.
//    A forged record (a client with the store's credentials, a hand-edited journal) has no MAC
//    or a wrong one, and a rebuild refuses it instead of folding it.
//    Records written before the key existed: the key file notes each stream's last sequence
//    when the key was made for it ("unsigned_through"); a record at or below that sequence
//    without a MAC is accepted (it was written by an omsd that did not sign), one after it is
//    refused. A record that carries a MAC is always checked.
// 2. Quarantine: an operator's decision that one record of a stream is not to be folded. It is
//    itself a record of that stream, on `{kind}.{exchange}.{account}.quarantine.{seq}` (a
//    subject of the account stream no event uses), signed like the events, so every later
//    rebuild -- of this omsd or the next -- passes over the quarantined sequence. Readers of the
//    stream pass over the quarantine records themselves (is_quarantine_subject).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"

struct evp_mac_ctx_st;

namespace oms::persistence {

class RecordMac {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  static constexpr std::size_t kMacHex = 64;  // HMAC-SHA256 in hex
  // The field a signed record ends with: ,"mac":"<64 hex>"}
  static constexpr std::string_view kFieldStart = ",\"mac\":\"";
  static constexpr std::size_t kSuffixSize = kFieldStart.size() + kMacHex + 2;

  // key: kKeyBytes raw bytes. unsigned_through: per stream, the last sequence written before the
  // key (records at or below it may lack a MAC).
  RecordMac(std::string key, std::map<std::string, std::uint64_t, std::less<>> unsigned_through);

  // Opens the key file, or creates it (random key, 0600, atomically) with each stream's last
  // sequence now; a stream the file does not list yet is added the same way. Throws
  // std::runtime_error naming the file: unreadable, malformed, or readable by others.
  static std::shared_ptr<const RecordMac> open_or_create(const std::filesystem::path& file,
                                                         EventStore& store,
                                                         const std::vector<std::string>& streams);

  // The encoded event (a JSON object) with its MAC as the last field.
  [[nodiscard]] std::string sign(std::string_view subject, std::string_view json) const;
  // Nothing when the record may be folded; else why not ("no MAC (written after the key, at
  // sequence 12 > 9)", "MAC does not match").
  [[nodiscard]] std::optional<std::string> verify(std::string_view stream, std::uint64_t sequence,
                                                  std::string_view subject,
                                                  std::string_view payload) const;
  [[nodiscard]] std::uint64_t unsigned_through(std::string_view stream) const;

 private:
  [[nodiscard]] std::string mac_hex(std::string_view subject, std::string_view head) const;
  std::string key_;
  // HMAC-SHA256 keyed once (OpenSSL's one-shot HMAC() fetches the digest and schedules the key
  // on every call: tens of microseconds on the engine's commit path, cold); each MAC works on
  // a copy of it, so signing stays safe from any thread.
  std::shared_ptr<evp_mac_ctx_st> keyed_;
  std::map<std::string, std::uint64_t, std::less<>> unsigned_through_;
};

// The payload without its MAC field (as the codec wrote it); the payload itself when unsigned.
[[nodiscard]] std::string strip_mac(std::string_view payload);

// Quarantine records. The subject of a quarantine of `sequence` in an account stream
// (ACCOUNT_{exchange}_{token}); empty when the stream is not an account stream.
[[nodiscard]] std::string quarantine_subject(std::string_view account_stream, std::uint64_t sequence);
[[nodiscard]] bool is_quarantine_subject(std::string_view subject) noexcept;
struct Quarantine {
  std::uint64_t sequence = 0;  // the record passed over
  std::string reason;          // the operator's words and what the rebuild had said
  std::string by;              // who asked (the API client)
  TimeNs time = 0;
};
[[nodiscard]] std::string encode_quarantine(const Quarantine& q);
[[nodiscard]] std::optional<Quarantine> decode_quarantine(std::string_view payload);
// The deduplication key of a quarantine: the same sequence quarantined twice is stored once.
[[nodiscard]] EventId quarantine_msg_id(std::string_view stream, std::uint64_t sequence) noexcept;
// The sequences a stream's quarantine records (from `from` on) pass over; a quarantine record
// whose MAC fails (mac given) does not count. Errors: the store's.
[[nodiscard]] Result<std::set<std::uint64_t>, StoreError> quarantined_sequences(
    EventStore& store, std::string_view stream, std::uint64_t from, const RecordMac* mac);

}  // namespace oms::persistence
