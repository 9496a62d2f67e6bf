#include "testkit/temp_dir.hpp"

#include <unistd.h>

#include <cstdlib>
#include <random>
#include <stdexcept>

namespace oms::testkit {
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto p = fs::temp_directory_path() /
             (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temp dir for " + prefix);
}

TempDir::~TempDir() {
  if (const char* keep = std::getenv("OMS_KEEP_TMP"); keep != nullptr && *keep == '1') return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace oms::testkit
