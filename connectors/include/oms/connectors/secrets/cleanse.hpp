// Wiping secrets out of ordinary memory before it is freed: a string's bytes, and every string
// of a parsed JSON document (a Vault answer, a login body), with OPENSSL_cleanse.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace oms::secrets {

void cleanse(std::string& s) noexcept;
void cleanse(nlohmann::json& j) noexcept;

}  // namespace oms::secrets
