// Where tests find their inputs.
#pragma once

#include <filesystem>
#include <string>

namespace oms::testkit {

// ../shared/data beside the checkout, or $OMS_SHARED_DATA when set. Tests that need it
// fail (not skip) when it is missing: the recorded material is part of the test suite.
std::filesystem::path shared_data();
// The project's source tree (for configs/ examples and test fixtures).
std::filesystem::path source_dir();
// Reads a whole file; throws std::runtime_error naming the path when it cannot.
std::string read_file(const std::filesystem::path& p);

}  // namespace oms::testkit
