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

VaultKv2::VaultKv2(std::string token, std::string mount) : token_(std::move(token)), mount_(std::move(mount)) {}

net::HttpResponse VaultKv2::handle(const net::HttpRequest& req) {
  net::HttpResponse probe;
  probe.headers = req.headers;
  const std::string* token = probe.header("X-Vault-Token");
  if (token == nullptr || *token != token_) return reply(403, json{{"errors", {"permission denied"}}});
  std::string target = req.target;
  std::string query;
  if (const auto q = target.find('?'); q != std::string::npos) {
    query = target.substr(q + 1);
    target.resize(q);
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
