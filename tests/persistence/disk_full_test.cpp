// Disk full (issue 13): the file journal and the snapshots on a filesystem that runs out of
// space -- a 512 KiB tmpfs mounted for the test (root only: the test says so and checks nothing
// else when it cannot mount). Each write that does not fit is refused with an error naming the
// file and the system's reason; nothing half-written is read back as valid; once space is freed
// the journal goes on where it stopped, with no hole.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/snapshot.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::persistence;

namespace {

constexpr TimeNs kTime = 1723161600000000000;  // 2024-08-09 00:00:00 UTC

// A small tmpfs on dir for the life of the object; mounted() false when the process may not
// mount (not root).
class SmallDisk {
 public:
  SmallDisk(std::filesystem::path dir, const char* size) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    const std::string options = std::string("size=") + size + ",mode=0700";
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0;
    if (!mounted_) why_ = std::strerror(errno);
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& why() const { return why_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string why_;
};

// Fills the disk with a file of that name until a write fails (the file holds what fit).
void fill(const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary);
  const std::string block(4096, 'f');
  while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
  }
}

StreamLayout layout() { return StreamLayout({{ExchangeId::kBinance, "main"}}, {ExchangeId::kBinance}); }

AppendRecord record(std::uint64_t i) {
  AppendRecord r;
  r.subject = "orders.binance.main.spot.BTC-USDT";
  r.msg_id = 1000 + i;
  r.time = kTime + static_cast<TimeNs>(i);
  r.payload = R"({"type":"OrderAccepted","n":)" + std::to_string(i) + R"(,"pad":")" + std::string(900, 'x') + "\"}";
  return r;
}

Result<std::uint64_t, StoreError> append(FileJournal& j, const AppendRecord& r) {
  Result<std::uint64_t, StoreError> out = Unexpected{StoreError{StoreErrorCode::kInvalid, "no answer"}};
  j.append(r, [&](const Result<std::uint64_t, StoreError>& x) { out = x; });  // answered inline
  return out;
}

std::vector<std::string> payloads(FileJournal& j) {
  std::vector<std::string> out;
  auto n = j.read(ReadRequest{"ACCOUNT_binance_main", 1, 0, {}}, [&](const StoredRecord& r) {
    CHECK(r.sequence == out.size() + 1);
    out.emplace_back(r.payload);
    return true;
  });
  REQUIRE_MESSAGE(n.ok(), (n.ok() ? std::string() : n.error().message));
  return out;
}

}  // namespace

TEST_CASE("disk full: the file journal refuses the write that does not fit, keeps every acknowledged record, and goes on once space is freed") {
  testkit::TempDir tmp("oms-disk-full");
  SmallDisk disk(tmp.path() / "disk", "512k");
  if (!disk.mounted()) {
    MESSAGE("disk-full test not run: cannot mount a tmpfs here (" << disk.why() << "; needs root)");
    return;
  }
  const auto root = disk.dir() / "journal";
  FileJournalOptions options;
  options.fsync = FsyncPolicy::kEveryRecord;  // every acknowledged record on the disk
  std::uint64_t acked = 0;
  StoreError refusal;
  {
    auto j = FileJournal::open(root, layout(), options);
    REQUIRE_MESSAGE(j.ok(), (j.ok() ? std::string() : j.error().message));
    for (std::uint64_t i = 0; i < 2000; ++i) {
      const auto r = append(**j, record(i));
      if (!r) {
        refusal = r.error();
        break;
      }
      CHECK(*r == i + 1);
      ++acked;
    }
    REQUIRE(acked > 50);      // it did write until the disk was full ...
    REQUIRE(acked < 2000);    // ... and the disk did fill
    CHECK(refusal.code == StoreErrorCode::kIo);
    CHECK_MESSAGE(refusal.message.find("No space left on device") != std::string::npos, refusal.message);
    CHECK_MESSAGE(refusal.message.find(root.string()) != std::string::npos, refusal.message);
    // Refused again, never wedged or half-counted: the next record is still acked + 1.
    const auto again = append(**j, record(acked));
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == StoreErrorCode::kIo);
    CHECK(payloads(**j).size() == acked);
  }
  // Reopened: exactly the acknowledged records, byte for byte; no torn record read as valid.
  auto j = FileJournal::open(root, layout(), options);
  REQUIRE_MESSAGE(j.ok(), (j.ok() ? std::string() : j.error().message));
  const auto stored = payloads(**j);
  REQUIRE(stored.size() == acked);
  for (std::uint64_t i = 0; i < acked; ++i) CHECK(stored[i] == record(i).payload);
  // Space given (the disk grown, as an operator would free or add space): the stream goes on
  // with the next sequence, no hole.
  REQUIRE(::mount("tmpfs", disk.dir().c_str(), "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, "size=2m") == 0);
  const auto next = append(**j, record(acked));
  REQUIRE_MESSAGE(next.ok(), (next.ok() ? std::string() : next.error().message));
  CHECK(*next == acked + 1);
  CHECK(payloads(**j).size() == acked + 1);
}

TEST_CASE("disk full: a snapshot that does not fit is refused naming the file; the previous one still loads, nothing half-written does") {
  testkit::TempDir tmp("oms-disk-full-snap");
  SmallDisk disk(tmp.path() / "disk", "256k");
  if (!disk.mounted()) {
    MESSAGE("disk-full test not run: cannot mount a tmpfs here (" << disk.why() << "; needs root)");
    return;
  }
  SnapshotStore store(disk.dir());
  const std::string first(20'000, 'a');
  REQUIRE(store.write("main", "ACCOUNT_binance_main", 10, kTime, first).ok());
  fill(disk.dir() / "ballast");
  const std::string second(100'000, 'b');
  const auto refused = store.write("main", "ACCOUNT_binance_main", 20, kTime + 1'000'000'000, second);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == StoreErrorCode::kIo);
  CHECK_MESSAGE(refused.error().message.find("No space left on device") != std::string::npos, refused.error().message);
  CHECK_MESSAGE(refused.error().message.find(store.root().string()) != std::string::npos, refused.error().message);
  const auto loaded = store.load_latest("main", "ACCOUNT_binance_main", UINT64_MAX);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->snapshot.has_value());
  CHECK(loaded->snapshot->sequence == 10);
  CHECK(loaded->snapshot->state == first);
  // No temp file of the refused write is left behind to be mistaken later.
  for (const auto& e : std::filesystem::recursive_directory_iterator(store.root())) {
    if (e.is_regular_file()) CHECK_MESSAGE(e.path().filename().string().find("tmp") == std::string::npos, e.path());
  }
  // Space freed: the next snapshot is written and is the one loaded.
  std::filesystem::remove(disk.dir() / "ballast");
  REQUIRE(store.write("main", "ACCOUNT_binance_main", 20, kTime + 1'000'000'000, second).ok());
  const auto after = store.load_latest("main", "ACCOUNT_binance_main", UINT64_MAX);
  REQUIRE(after.ok());
  REQUIRE(after->snapshot.has_value());
  CHECK(after->snapshot->sequence == 20);
}
