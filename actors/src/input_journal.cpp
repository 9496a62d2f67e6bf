#include "oms/actors/input_journal.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "oms/messages/codec.hpp"
#include "oms/persistence/crc32c.hpp"

namespace oms::actors {

namespace {

constexpr std::string_view kMagic = "OMSINPUT1\n";
constexpr std::size_t kFixed = 1 + 8 + 8 + 4 + 4 + 8 + 1;  // step .. body kind
constexpr std::size_t kMaxPayload = kFixed + kMaxBinarySize;

template <class T>
void put(char*& p, T v) {
  std::memcpy(p, &v, sizeof v);  // little endian (x86-64, aarch64)
  p += sizeof v;
}
template <class T>
T get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

}  // namespace

Result<std::unique_ptr<InputJournalWriter>, std::string> InputJournalWriter::open(
    const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const bool fresh = !std::filesystem::exists(path) || std::filesystem::file_size(path, ec) == 0;
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) {
    return Unexpected(std::string("input journal ") + path.string() + ": " + std::strerror(errno));
  }
  std::unique_ptr<InputJournalWriter> w(new InputJournalWriter(f, path));
  if (fresh && std::fwrite(kMagic.data(), 1, kMagic.size(), f) != kMagic.size()) {
    return Unexpected(std::string("input journal ") + path.string() + ": " + std::strerror(errno));
  }
  return w;
}

InputJournalWriter::InputJournalWriter(std::FILE* file, std::filesystem::path path)
    : file_(file), path_(std::move(path)) {
  buffer_.resize(1 << 20);
  std::setvbuf(file_, buffer_.data(), _IOFBF, buffer_.size());
}

InputJournalWriter::~InputJournalWriter() {
  std::fflush(file_);
  std::fclose(file_);
}

bool InputJournalWriter::append(const InputRecord& r) {
  std::array<char, 8 + kMaxPayload> out;
  char* p = out.data() + 8;
  put(p, static_cast<std::uint8_t>(r.step));
  put(p, r.now);
  put(p, r.received_ns);
  put(p, static_cast<std::uint32_t>(r.account.value));
  put(p, static_cast<std::uint32_t>(r.instrument.value));
  put(p, r.value.raw());
  put(p, static_cast<std::uint8_t>(r.body.index()));
  const std::span<std::byte> body(reinterpret_cast<std::byte*>(p), kMaxBinarySize);
  std::size_t n = 0;
  if (const auto* c = std::get_if<Command>(&r.body)) {
    auto e = encode_binary(*c, body);
    if (!e) return ++failures_, false;
    n = *e;
  } else if (const auto* ev = std::get_if<Event>(&r.body)) {
    auto e = encode_binary(*ev, body);
    if (!e) return ++failures_, false;
    n = *e;
  }
  const auto size = static_cast<std::uint32_t>(kFixed + n);
  const std::uint32_t crc = persistence::crc32c(std::string_view(out.data() + 8, size));
  char* h = out.data();
  put(h, size);
  put(h, crc);
  if (std::fwrite(out.data(), 1, 8 + size, file_) != 8 + size) return ++failures_, false;
  ++records_;
  return true;
}

void InputJournalWriter::flush() { std::fflush(file_); }

Result<std::vector<InputRecord>, std::string> read_input_journal(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected("input journal " + path.string() + ": cannot open");
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto where = [&](std::size_t off) {
    return "input journal " + path.string() + " at byte " + std::to_string(off) + ": ";
  };
  if (data.compare(0, kMagic.size(), kMagic) != 0) {
    return Unexpected(where(0) + "not an input journal (no OMSINPUT1 header)");
  }
  std::vector<InputRecord> out;
  std::size_t off = kMagic.size();
  while (off < data.size()) {
    if (data.size() - off < 8) break;  // a torn header at the end: a crash while writing
    const char* h = data.data() + off;
    const auto size = get<std::uint32_t>(h);
    const auto crc = get<std::uint32_t>(h);
    if (size < kFixed || size > kMaxPayload) {
      return Unexpected(where(off) + "record length " + std::to_string(size) + " out of range");
    }
    if (data.size() - off - 8 < size) break;  // a torn last record
    if (persistence::crc32c(std::string_view(data.data() + off + 8, size)) != crc) {
      return Unexpected(where(off) + "checksum mismatch");
    }
    const char* p = data.data() + off + 8;
    InputRecord r;
    const auto step = get<std::uint8_t>(p);
    if (step < 1 || step > static_cast<std::uint8_t>(InputStep::kValuation)) {
      return Unexpected(where(off) + "unknown step " + std::to_string(step));
    }
    r.step = static_cast<InputStep>(step);
    r.now = get<TimeNs>(p);
    r.received_ns = get<TimeNs>(p);
    r.account = AccountId(static_cast<AccountId::rep_type>(get<std::uint32_t>(p)));
    r.instrument = InstrumentId(get<std::uint32_t>(p));
    r.value = Decimal::from_raw(get<std::int64_t>(p));
    const auto kind = get<std::uint8_t>(p);
    const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(p),
                                          size - kFixed);
    if (kind == 1) {
      auto c = decode_command_binary(body);
      if (!c) return Unexpected(where(off) + "command: " + to_string(c.error()));
      r.body = *c;
    } else if (kind == 2) {
      auto e = decode_event_binary(body);
      if (!e) return Unexpected(where(off) + "event: " + to_string(e.error()));
      r.body = *e;
    } else if (kind != 0) {
      return Unexpected(where(off) + "unknown body kind " + std::to_string(kind));
    }
    out.push_back(std::move(r));
    off += 8 + size;
  }
  return out;
}

}  // namespace oms::actors
