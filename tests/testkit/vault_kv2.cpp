#include "testkit/vault_kv2.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace oms::testkit {
namespace {

using nlohmann::json;

net::HttpResponse reply(unsigned status, const json& body) {
  net::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}
net::HttpResponse not_found() { return reply(404, json{{"errors", json::array()}}); }
net::HttpResponse bad_request(const std::string& e) { return reply(400, json{{"errors", {e}}}); }

std::string rfc3339(std::int64_t s) {
  // Deterministic stand-in timestamps: 2026-01-01T00:00:SSZ + s seconds (s < 60 in tests).
  char buf[32];
  std::snprintf(buf, sizeof buf, "2026-01-01T00:%02lld:%02lldZ", static_cast<long long>(s / 60 % 60),
                static_cast<long long>(s % 60));
  return buf;
}

json metadata(std::int64_t created, std::size_t version) {
  return json{{"created_time", rfc3339(created)}, {"custom_metadata", nullptr}, {"deletion_time", ""},
              {"destroyed", false}, {"version", version}};
}

}  // namespace

VaultKv2::VaultKv2(std::string token, std::string mount) : token_(std::move(token)), mount_(std::move(mount)) {
  tokens_[token_] = Token{std::chrono::seconds(0), false, {}, "accessor-root"};
}

void VaultKv2::add_token(std::string token, std::chrono::seconds ttl, bool renewable) {
  const std::lock_guard lock(mu_);
  tokens_[std::move(token)] = Token{ttl, renewable, Clock::now() + ttl, "accessor-" + std::to_string(++issued_)};
}

void VaultKv2::revoke(const std::string& token) {
  const std::lock_guard lock(mu_);
  tokens_.erase(token);
}

void VaultKv2::revoke_logins() {
  const std::lock_guard lock(mu_);
  std::erase_if(tokens_, [](const auto& t) { return t.first.starts_with("hvs.approle-login-"); });
}

void VaultKv2::set_approle(std::string role_id, std::string secret_id, std::chrono::seconds token_ttl) {
  const std::lock_guard lock(mu_);
  role_id_ = std::move(role_id);
  secret_id_ = std::move(secret_id);
  approle_ttl_ = token_ttl;
}

std::size_t VaultKv2::write_secret(const std::string& path, const std::string& data_json) {
  const std::lock_guard lock(mu_);
  auto& versions = secrets_[path];
  versions.push_back(Version{json::parse(data_json).dump(), ++clock_});
  return versions.size();
}

std::uint64_t VaultKv2::renewals() const {
  const std::lock_guard lock(mu_);
  return renewals_;
}
std::uint64_t VaultKv2::logins() const {
  const std::lock_guard lock(mu_);
  return logins_;
}
std::uint64_t VaultKv2::lookups() const {
  const std::lock_guard lock(mu_);
  return lookups_;
}
std::uint64_t VaultKv2::secret_reads() const {
  const std::lock_guard lock(mu_);
  return reads_;
}

const VaultKv2::Token* VaultKv2::valid(const std::string& token) const {
  const auto it = tokens_.find(token);
  if (it == tokens_.end()) return nullptr;
  if (it->second.ttl.count() > 0 && Clock::now() >= it->second.expires) return nullptr;
  return &it->second;
}

net::HttpResponse VaultKv2::login(const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad_request("failed to parse JSON input");
  const auto field = [&](const char* name) -> std::string {
    const auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string role = field("role_id");
  if (role.empty()) return bad_request("missing role_id");
  if (role_id_.empty() || role != role_id_ || field("secret_id") != secret_id_)
    return bad_request("invalid role or secret ID");
  // Vault's service tokens start "hvs."; this one is unique per login.
  const std::string token = "hvs.approle-login-" + std::to_string(++issued_) + "-" + std::to_string(logins_ + 1);
  tokens_[token] = Token{approle_ttl_, true, Clock::now() + approle_ttl_, "accessor-" + std::to_string(issued_)};
  ++logins_;
  return reply(200, json{{"request_id", "00000000-0000-0000-0000-000000000001"},
                         {"lease_id", ""},
                         {"renewable", false},
                         {"lease_duration", 0},
                         {"data", nullptr},
                         {"wrap_info", nullptr},
                         {"warnings", nullptr},
                         {"auth",
                          {{"client_token", token},
                           {"accessor", tokens_[token].accessor},
                           {"policies", {"default", "oms-keys"}},
                           {"token_policies", {"default", "oms-keys"}},
                           {"metadata", {{"role_name", "omsd"}}},
                           {"lease_duration", approle_ttl_.count()},
                           {"renewable", true},
                           {"entity_id", ""},
                           {"token_type", "service"},
                           {"orphan", true}}}});
}

net::HttpResponse VaultKv2::lookup_self(const std::string& token) {
  const Token& t = *valid(token);
  const auto left = t.ttl.count() == 0 ? 0
                                       : std::chrono::duration_cast<std::chrono::seconds>(t.expires - Clock::now()).count();
  ++lookups_;
  return reply(200, json{{"data",
                          {{"accessor", t.accessor},
                           {"creation_ttl", t.ttl.count()},
                           {"display_name", t.ttl.count() == 0 ? "root" : "token"},
                           {"expire_time", t.ttl.count() == 0 ? json(nullptr) : json("2026-01-01T00:00:00Z")},
                           {"explicit_max_ttl", 0},
                           {"id", token},
                           {"num_uses", 0},
                           {"orphan", true},
                           {"path", t.ttl.count() == 0 ? "auth/token/root" : "auth/token/create"},
                           {"policies", t.ttl.count() == 0 ? json{"root"} : json{"default", "oms-keys"}},
                           {"renewable", t.renewable},
                           {"ttl", left},
                           {"type", "service"}}}});
}

net::HttpResponse VaultKv2::renew_self(const std::string& token, const std::string& body) {
  auto& t = tokens_.at(token);
  if (!t.renewable || t.ttl.count() == 0) return bad_request("lease is not renewable");
  std::chrono::seconds ttl = t.ttl;
  if (!body.empty()) {
    const json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return bad_request("failed to parse JSON input");
    if (const auto inc = doc.find("increment"); inc != doc.end()) {
      if (inc->is_number_unsigned()) {
        ttl = std::chrono::seconds(inc->get<std::int64_t>());
      } else if (inc->is_string() && !inc->get<std::string>().empty() && inc->get<std::string>().back() == 's') {
        ttl = std::chrono::seconds(std::stoll(inc->get<std::string>()));
      } else {
        return bad_request("invalid increment");
      }
    }
  }
  t.expires = Clock::now() + ttl;
  ++renewals_;
  return reply(200, json{{"auth",
                          {{"client_token", token},
                           {"accessor", t.accessor},
                           {"policies", {"default", "oms-keys"}},
                           {"token_policies", {"default", "oms-keys"}},
                           {"lease_duration", ttl.count()},
                           {"renewable", true},
                           {"token_type", "service"}}}});
}

net::HttpResponse VaultKv2::handle(const net::HttpRequest& req) {
  const std::lock_guard lock(mu_);
  std::string target = req.target;
  std::string query;
  if (const auto q = target.find('?'); q != std::string::npos) {
    query = target.substr(q + 1);
    target.resize(q);
  }
  if (target == "/v1/auth/approle/login") {
    if (req.method != "POST" && req.method != "PUT") return reply(405, json{{"errors", json::array()}});
    return login(req.body);
  }
  net::HttpResponse probe;
  probe.headers = req.headers;
  const std::string* token = probe.header("X-Vault-Token");
  if (token == nullptr || valid(*token) == nullptr) return reply(403, json{{"errors", {"permission denied"}}});
  if (target == "/v1/auth/token/lookup-self") {
    if (req.method != "GET") return reply(405, json{{"errors", json::array()}});
    return lookup_self(*token);
  }
  if (target == "/v1/auth/token/renew-self") {
    if (req.method != "POST" && req.method != "PUT") return reply(405, json{{"errors", json::array()}});
    return renew_self(*token, req.body);
  }
  const std::string data_prefix = "/v1/" + mount_ + "/data/";
  const std::string meta_prefix = "/v1/" + mount_ + "/metadata/";
  if (target.starts_with(data_prefix)) {
    const std::string path = target.substr(data_prefix.size());
    if (req.method == "GET") return read(path, query);
    if (req.method == "POST" || req.method == "PUT") return write(path, req.body);
    return reply(405, json{{"errors", json::array()}});
  }
  if (target.starts_with(meta_prefix)) {
    std::string path = target.substr(meta_prefix.size());
    if (req.method == "LIST" || (req.method == "GET" && query == "list=true")) return list(path);
    if (req.method == "DELETE") {
      secrets_.erase(path);  // Vault answers 204 whether or not it existed
      return net::HttpResponse{204, {}, {}};
    }
    return reply(405, json{{"errors", json::array()}});
  }
  return not_found();
}

net::HttpResponse VaultKv2::read(const std::string& path, const std::string& query) {
  const auto it = secrets_.find(path);
  if (it == secrets_.end()) return not_found();
  std::size_t version = it->second.size();
  if (query.starts_with("version=")) {
    const std::string v = query.substr(8);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9)
      return bad_request("invalid version");
    version = std::stoul(v);
    if (version == 0) version = it->second.size();  // Vault: version=0 means latest
  }
  if (version > it->second.size()) return not_found();
  const Version& ver = it->second[version - 1];
  ++reads_;
  return reply(200, json{{"request_id", "00000000-0000-0000-0000-000000000000"},
                         {"lease_id", ""},
                         {"renewable", false},
                         {"lease_duration", 0},
                         {"data", {{"data", json::parse(ver.data_json)}, {"metadata", metadata(ver.created, version)}}},
                         {"wrap_info", nullptr},
                         {"warnings", nullptr},
                         {"auth", nullptr}});
}

net::HttpResponse VaultKv2::write(const std::string& path, const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad_request("failed to parse JSON input");
  const auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return bad_request("no data provided");
  auto& versions = secrets_[path];
  if (const auto opt = doc.find("options"); opt != doc.end() && opt->contains("cas")) {
    const auto cas = (*opt)["cas"];
    if (!cas.is_number_unsigned() || cas.get<std::size_t>() != versions.size())
      return bad_request("check-and-set parameter did not match the current version");
  }
  versions.push_back(Version{data->dump(), ++clock_});
  return reply(200, json{{"data", metadata(clock_, versions.size())}});
}

net::HttpResponse VaultKv2::list(const std::string& path) {
  std::string prefix = path;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  json keys = json::array();
  std::string last_folder;
  for (const auto& [p, v] : secrets_) {
    if (!p.starts_with(prefix)) continue;
    const std::string rest = p.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) {
      keys.push_back(rest);
    } else if (rest.substr(0, slash + 1) != last_folder) {
      last_folder = rest.substr(0, slash + 1);
      keys.push_back(last_folder);
    }
  }
  if (keys.empty()) return not_found();
  return reply(200, json{{"data", {{"keys", keys}}}});
}

}  // namespace oms::testkit
