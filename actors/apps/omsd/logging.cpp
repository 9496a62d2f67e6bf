#include "logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <stdexcept>
#include <vector>

namespace oms::omsd {
namespace {

constexpr std::size_t kFileBytes = 50 * 1024 * 1024;
constexpr std::size_t kFiles = 10;
constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ [%n] %v";

std::vector<spdlog::sink_ptr>& shared_sinks() {
  static std::vector<spdlog::sink_ptr> sinks;
  return sinks;
}

std::shared_ptr<spdlog::logger> make(const std::string& name, std::vector<spdlog::sink_ptr> sinks) {
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  logger->set_level(spdlog::default_logger()->level());
  logger->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace

void setup_logging(const std::filesystem::path& data_dir, const std::string& level) {
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    throw std::invalid_argument("--log-level: '" + level + "' is not trace|debug|info|warn|error");
  }
  std::filesystem::create_directories(data_dir / "log" / "accounts");
  auto& sinks = shared_sinks();
  sinks.clear();
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
      (data_dir / "log" / "omsd.log").string(), kFileBytes, kFiles));
  auto logger = std::make_shared<spdlog::logger>("omsd", sinks.begin(), sinks.end());
  logger->set_level(lvl);
  logger->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
}

std::shared_ptr<spdlog::logger> account_logger(const std::filesystem::path& data_dir,
                                               const std::string& account) {
  auto sinks = shared_sinks();
  sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
      (data_dir / "log" / "accounts" / (account + ".log")).string(), kFileBytes, kFiles));
  return make("account." + account, std::move(sinks));
}

}  // namespace oms::omsd
