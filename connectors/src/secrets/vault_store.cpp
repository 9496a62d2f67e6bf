#include "oms/connectors/secrets/vault_store.hpp"

#include "oms/connectors/secrets/cleanse.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace oms::secrets {

void cleanse(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

// Overwrites every string in a parsed document before it is freed.
void cleanse(nlohmann::json& j) noexcept {
  if (j.is_string()) {
    cleanse(j.get_ref<std::string&>());
  } else if (j.is_structured()) {
    for (auto& v : j) cleanse(v);
  }
}

namespace {

using nlohmann::json;

SecretError vault_error(SecretErrorCode c, std::string what) { return {c, "vault: " + std::move(what)}; }

}  // namespace

VaultStore::VaultStore(net::HttpClient& http, SecureBuffer token, VaultConfig config)
    : http_(&http), token_(std::move(token)), config_(std::move(config)) {}

Result<net::HttpResponse, SecretError> VaultStore::call(std::string target, std::string_view what) {
  net::HttpRequest req;
  req.method = "GET";
  req.target = std::move(target);
  req.headers.emplace_back("X-Vault-Token", std::string(token_.view()));
  auto r = http_->request(req);
  cleanse(req.headers.front().second);
  if (!r) return Unexpected(vault_error(SecretErrorCode::kTransport, std::string(what) + ": " + r.error().message));
  const unsigned status = r->status;
  if (status == 200) return std::move(r).value();
  cleanse(r->body);  // error bodies are not quoted either
  if (status == 403)
    return Unexpected(vault_error(SecretErrorCode::kPermission,
                                  std::string(what) + ": 403 permission denied (token lacks a policy for it, or is invalid)"));
  if (status == 404) return Unexpected(vault_error(SecretErrorCode::kNotFound, std::string(what) + ": 404 not found"));
  return Unexpected(vault_error(SecretErrorCode::kBadResponse,
                                std::string(what) + ": unexpected HTTP status " + std::to_string(status)));
}

Result<ApiCredentials, SecretError> VaultStore::get(std::string_view exchange, std::string_view market,
                                                    std::string_view account) {
  auto name = secret_name(exchange, market, account);
  if (!name) return Unexpected(std::move(name).error());
  return get_version(*name, std::nullopt);
}

Result<ApiCredentials, SecretError> VaultStore::get_version(std::string_view name,
                                                            std::optional<std::uint64_t> version) {
  if (auto ok = check_secret_name(name); !ok) return Unexpected(std::move(ok).error());
  return read(config_.prefix + "/" + std::string(name), version);
}

Result<ApiCredentials, SecretError> VaultStore::get_path(std::string_view path,
                                                         std::optional<std::uint64_t> version) {
  const auto bad_path = [&](std::string why) {
    return Unexpected(vault_error(SecretErrorCode::kBadName, "path '" + std::string(path) + "': " + std::move(why)));
  };
  if (path.empty()) return bad_path("empty");
  std::size_t begin = 0;
  while (begin <= path.size()) {
    const auto slash = path.find('/', begin);
    const auto seg = path.substr(begin, slash == std::string_view::npos ? std::string_view::npos : slash - begin);
    if (seg.empty() || seg == "." || seg == "..") return bad_path("an empty, '.' or '..' segment");
    for (const char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
      if (!ok) return bad_path("only [A-Za-z0-9._-] segments joined by '/'");
    }
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
  return read(std::string(path), version);
}

Result<ApiCredentials, SecretError> VaultStore::read(const std::string& path, std::optional<std::uint64_t> version) {
  std::string target = "/v1/" + config_.mount + "/data/" + path;
  if (version) target += "?version=" + std::to_string(*version);
  const std::string what = "secret " + config_.mount + "/" + path + (version ? " version " + std::to_string(*version) : "");
  auto resp = call(std::move(target), what);
  if (!resp) return Unexpected(std::move(resp).error());
  std::string& body = resp->body;
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  cleanse(body);
  const auto bad = [&](std::string field) {
    cleanse(doc);
    return Unexpected(vault_error(SecretErrorCode::kBadResponse, what + ": " + std::move(field)));
  };
  if (doc.is_discarded()) return bad("response is not JSON");
  const auto data_it = doc.find("data");
  if (data_it == doc.end() || !data_it->is_object()) return bad("field data: missing or not an object");
  auto& outer = *data_it;
  const auto inner_it = outer.find("data");
  if (inner_it == outer.end() || !inner_it->is_object()) return bad("field data.data: missing or not an object");
  ApiCredentials c;
  const auto meta = outer.find("metadata");
  if (meta != outer.end() && meta->is_object()) {
    const auto v = meta->find("version");
    if (v != meta->end() && v->is_number_unsigned()) c.version = v->get<std::uint64_t>();
  }
  struct Field {
    const char* name;
    SecureBuffer* out;
    bool required;
  };
  for (const Field f : {Field{"api_key", &c.api_key, true}, Field{"api_secret", &c.api_secret, true},
                        Field{"private_key", &c.private_key, false}, Field{"passphrase", &c.passphrase, false}}) {
    const auto it = inner_it->find(f.name);
    if (it == inner_it->end() || it->is_null()) {
      if (f.required) return bad(std::string("field data.data.") + f.name + ": missing");
      continue;
    }
    if (!it->is_string()) return bad(std::string("field data.data.") + f.name + ": not a string");
    auto b = SecureBuffer::copy_of(it->get_ref<const std::string&>());
    if (!b) {
      cleanse(doc);
      return Unexpected(std::move(b).error());
    }
    *f.out = std::move(*b);
  }
  cleanse(doc);
  return c;
}

Result<std::vector<std::string>, SecretError> VaultStore::list() {
  const std::string what = "list " + config_.mount + "/metadata/" + config_.prefix;
  auto resp = call("/v1/" + config_.mount + "/metadata/" + config_.prefix + "?list=true", what);
  if (!resp) {
    // Vault answers 404 for a folder with no keys.
    if (resp.error().code == SecretErrorCode::kNotFound) return std::vector<std::string>{};
    return Unexpected(std::move(resp).error());
  }
  const json doc = json::parse(resp->body, nullptr, false);
  if (doc.is_discarded())
    return Unexpected(vault_error(SecretErrorCode::kBadResponse, what + ": response is not JSON"));
  const auto data = doc.find("data");
  if (data == doc.end() || !data->is_object() || !data->contains("keys") || !(*data)["keys"].is_array())
    return Unexpected(vault_error(SecretErrorCode::kBadResponse, what + ": field data.keys: missing or not an array"));
  std::vector<std::string> names;
  for (const auto& k : (*data)["keys"]) {
    if (!k.is_string())
      return Unexpected(vault_error(SecretErrorCode::kBadResponse, what + ": field data.keys: not a string"));
    const auto& s = k.get_ref<const std::string&>();
    if (!s.empty() && s.back() != '/') names.push_back(s);  // sub-folders end in '/'
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace oms::secrets
