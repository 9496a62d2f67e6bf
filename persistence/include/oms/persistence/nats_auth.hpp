// The credentials a NATS client of ours presents (omsd, oms-replay, oms-backtest): a JSON file
//   {"user": "omsd", "password": "<at least 16 characters>"}
// readable by its owner only (0600 or stricter: it holds the password), as deploy/run writes it
// beside the nats-server config that declares the same user.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "oms/messages/result.hpp"

namespace oms::persistence {

struct JetStreamOptions;

struct NatsAuth {
  std::string user;
  std::string password;
};

// A file's text -> the credentials; errors name the source and the field
// ("data/run/nats-auth.json: password: missing").
[[nodiscard]] Result<NatsAuth, std::string> parse_nats_auth(std::string_view text,
                                                            std::string_view source);
// Reads the file; refuses one that group or others may read (naming its mode).
[[nodiscard]] Result<NatsAuth, std::string> load_nats_auth(const std::filesystem::path& path);

// The options' user and password from the file when auth_file is not empty, and the CA when
// ca_file is not empty (it must exist); errors as load_nats_auth's.
[[nodiscard]] Result<Unit, std::string> apply_nats_access(JetStreamOptions& options,
                                                          const std::filesystem::path& auth_file,
                                                          const std::filesystem::path& ca_file);

}  // namespace oms::persistence
