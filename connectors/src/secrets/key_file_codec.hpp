// The key file's plaintext: count u32, then per entry name (u16 length) and api_key,
// api_secret, private_key, passphrase (u32 length each; version 1 files have no passphrase),
// all big-endian. Private to secrets/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/secrets/key_file_store.hpp"

namespace oms::secrets::detail {

// The encoded plaintext, in locked memory.
[[nodiscard]] Result<SecureBuffer, SecretError> encode_entries(const std::vector<KeyFileEntry>& entries);
// Error text names the entry index and field (never a value).
// version: the file's (1: three fields per entry, 2: four).
[[nodiscard]] Result<std::vector<KeyFileEntry>, std::string> decode_entries(std::string_view plain,
                                                                           std::uint8_t version);
[[nodiscard]] Result<ApiCredentials, SecretError> copy_credentials(const ApiCredentials& c);

}  // namespace oms::secrets::detail
