// Fuzz target: the config loader. The input is one of the four files, the other three are the
// example configs, so the cross-file checks run too. Which file: the input's first top-level
// key (exchanges:, accounts:, strategies:, global: / kill_switch: for risk), so the example
// files and the tests' fixtures are seeds as they are; otherwise its size picks. The loader's
// contract: a ConfigError naming the problems, or a Config -- never another exception, a
// crash or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <exception>
#include <string_view>
#include <string>

#include "oms/configs/config.hpp"

#ifndef OMS_SOURCE_DIR
#error "OMS_SOURCE_DIR: the example configs are the other three files"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const oms::configs::ConfigTexts examples = oms::configs::read_config_texts(OMS_SOURCE_DIR "/configs");
  oms::configs::ConfigTexts texts = examples;
  std::string fuzzed(reinterpret_cast<const char*>(data), size);
  std::size_t which = size % 4;
  for (std::size_t at = 0; at < fuzzed.size();) {
    const std::size_t end = std::min(fuzzed.find('\n', at), fuzzed.size());
    const std::string_view line = std::string_view(fuzzed).substr(at, end - at);
    if (!line.empty() && line[0] != ' ' && line[0] != '#') {
      if (line.starts_with("exchanges:")) which = 0;
      else if (line.starts_with("accounts:") || line.starts_with("account_routing:")) which = 1;
      else if (line.starts_with("strategies:")) which = 2;
      else if (line.starts_with("global:") || line.starts_with("kill_switch:")) which = 3;
      break;
    }
    at = end + 1;
  }
  switch (which) {
    case 0: texts.exchanges = std::move(fuzzed); break;
    case 1: texts.accounts = std::move(fuzzed); break;
    case 2: texts.strategies = std::move(fuzzed); break;
    default: texts.risk = std::move(fuzzed); break;
  }
  try {
    (void)oms::configs::load_config_from_strings(texts);
  } catch (const oms::configs::ConfigError&) {
    // refused, naming the problem: the contract
  } catch (const std::exception& e) {
    std::fprintf(stderr, "config loader threw a non-ConfigError: %s\n", e.what());
    std::abort();
  }
  return 0;
}
