// omsd's logs: one rotating file for the daemon (DATA/log/omsd.log, 50 MB x 10), a rotating
// file per account (DATA/log/accounts/<account>.log, also in omsd.log), and stderr. Every line:
// time (UTC, µs), level, logger ("omsd", "account.<name>"), message; the message says which
// part spoke ("binance spot: ...", "gateway: ..."). No line ever carries a key or a secret.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace oms::omsd {

// Installs the default logger ("omsd") over DATA/log/omsd.log + stderr at `level`.
// Throws std::invalid_argument naming an unknown level.
void setup_logging(const std::filesystem::path& data_dir, const std::string& level);

// An account's logger: the shared sinks plus DATA/log/accounts/<account>.log.
std::shared_ptr<spdlog::logger> account_logger(const std::filesystem::path& data_dir,
                                               const std::string& account);

}  // namespace oms::omsd
