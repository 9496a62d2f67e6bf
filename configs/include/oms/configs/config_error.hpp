// ConfigError: every problem found in a set of config files, each as "FILE:LINE:COL: text".
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace oms::configs {

// Thrown by the loaders (config load is an edge: exceptions are fine here). Carries all
// errors found, not only the first; what() is them joined by newlines.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> errors);
  [[nodiscard]] const std::vector<std::string>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::string> errors_;
};

}  // namespace oms::configs
