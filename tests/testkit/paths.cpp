#include "testkit/paths.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace oms::testkit {

std::filesystem::path shared_data() {
  if (const char* env = std::getenv("OMS_SHARED_DATA"); env != nullptr && *env != '\0') return env;
  return OMS_DEFAULT_SHARED_DATA;
}

std::filesystem::path source_dir() { return OMS_SOURCE_DIR; }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace oms::testkit
