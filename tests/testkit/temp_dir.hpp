// A unique empty directory under the system temp dir, removed with its contents at the end
// (passed or not); OMS_KEEP_TMP=1 keeps it for a look after a failure.
#pragma once

#include <filesystem>
#include <string>

namespace oms::testkit {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "oms-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace oms::testkit
