#include "vault_keys.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "oms/connectors/secrets/cleanse.hpp"
#include "oms/connectors/secrets/vault_store.hpp"

namespace oms::omsd {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using secrets::cleanse;

secrets::SecureBuffer secure(std::string_view text, const std::string& what) {
  auto b = secrets::SecureBuffer::copy_of(text);
  if (!b) throw SecretsRefused(what + ": " + b.error().message);
  return std::move(b).value();
}

// The whole of a file that must be 0600 or stricter (a symbolic link is refused).
std::string read_private(const std::filesystem::path& p, const std::string& flag) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw SecretsRefused(flag + " " + p.string() + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw SecretsRefused(flag + " " + p.string() + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw SecretsRefused(flag + " " + p.string() + ": mode " + mode +
                         ", must be 0600 (it holds a Vault credential: chmod 600 " + p.string() + ")");
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  ::close(fd);
  return out;
}

// "https://vault.example:8200" -> host and port (Vault's default port 8200).
net::Origin vault_origin(const std::string& url) {
  const std::string what = "--secrets vault:" + url;
  if (url.rfind("https://", 0) != 0) throw SecretsRefused(what + ": expected https://HOST[:PORT] (Vault is reached over TLS only)");
  std::string rest = url.substr(8);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos)
    throw SecretsRefused(what + ": expected https://HOST[:PORT] with no path (the mount is --vault-mount)");
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return {rest, 8200};
  const std::string port = rest.substr(colon + 1);
  if (colon == 0 || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) == 0 || std::stoul(port) > 65535)
    throw SecretsRefused(what + ": bad port '" + port + "'");
  return {rest.substr(0, colon), static_cast<std::uint16_t>(std::stoul(port))};
}

}  // namespace

secrets::ApiCredentials copy_credentials(const secrets::ApiCredentials& c) {
  secrets::ApiCredentials out;
  const auto copy = [](const secrets::SecureBuffer& b) {
    if (b.empty()) return secrets::SecureBuffer{};
    auto r = secrets::SecureBuffer::copy_of(b.view());
    if (!r) throw std::runtime_error("copying a key: " + r.error().message);
    return std::move(r).value();
  };
  out.api_key = copy(c.api_key);
  out.api_secret = copy(c.api_secret);
  out.private_key = copy(c.private_key);
  out.passphrase = copy(c.passphrase);
  out.version = c.version;
  return out;
}

VaultKeys::VaultKeys(VaultOptions options, std::vector<VaultAccount> accounts) : options_(std::move(options)) {
  const net::Origin origin = vault_origin(options_.url);
  where_ = "https://" + origin.host + ":" + std::to_string(origin.port);
  if (!options_.token_file.empty() && !options_.approle_file.empty())
    throw SecretsRefused("--vault-token-file and --vault-approle-file exclude each other: give one");
  try {
    http_ = std::make_unique<net::HttpsClient>(origin, net::TlsClientConfig{options_.ca_file.string()});
  } catch (const std::exception& e) {
    throw SecretsRefused("vault " + where_ + ": --vault-ca " + options_.ca_file.string() + ": " + e.what());
  }
  // The credential: AppRole, a token file, or $VAULT_TOKEN.
  if (!options_.approle_file.empty()) {
    std::string text = read_private(options_.approle_file, "--vault-approle-file");
    json doc = json::parse(text, nullptr, false);
    cleanse(text);
    const auto field = [&](const char* name) {
      const auto it = doc.is_object() ? doc.find(name) : doc.end();
      if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        cleanse(doc);
        throw SecretsRefused("--vault-approle-file " + options_.approle_file.string() + ": field " + name +
                             ": missing or not a non-empty string (expected {\"role_id\":..,\"secret_id\":..})");
      }
      return secure(it->get_ref<const std::string&>(), "--vault-approle-file");
    };
    if (doc.is_discarded()) throw SecretsRefused("--vault-approle-file " + options_.approle_file.string() + ": not JSON");
    role_id_ = field("role_id");
    secret_id_ = field("secret_id");
    cleanse(doc);
    login();
  } else if (!options_.token_file.empty()) {
    std::string text = read_private(options_.token_file, "--vault-token-file");
    const auto end = text.find_first_of("\r\n");
    token_ = secure(std::string_view(text).substr(0, end), "--vault-token-file");
    cleanse(text);
    if (token_.empty()) throw SecretsRefused("--vault-token-file " + options_.token_file.string() + ": empty first line");
  } else {
    char* env = std::getenv("VAULT_TOKEN");
    if (env == nullptr || *env == 0)
      throw SecretsRefused("--secrets vault:" + options_.url +
                           ": no Vault credential: give --vault-token-file, --vault-approle-file or $VAULT_TOKEN");
    token_ = secure(env, "$VAULT_TOKEN");
    OPENSSL_cleanse(env, std::strlen(env));  // the environment's copy, then the variable
    ::unsetenv("VAULT_TOKEN");
  }
  // Every account's secret, or no start.
  secrets::VaultStore store(*http_, secure(token_.view(), "token"), secrets::VaultConfig{options_.mount, ""});
  for (auto& a : accounts) {
    auto c = store.get_path(a.path);
    if (!c) {
      throw SecretsRefused("account " + a.name + ": its keys at api_key_vault_path '" + a.path + "' (" + where_ +
                           "/v1/" + options_.mount + "/data/" + a.path + ") do not read: " + c.error().message);
    }
    spdlog::info("vault: account {}: key {} version {} from {}/{}", a.name, secrets::fingerprint(c->api_key),
                 c->version, options_.mount, a.path);
    held_.push_back(Held{std::move(a), std::move(c).value()});
  }
  if (options_.approle_file.empty()) lookup_self();
  if (ttl_.count() > 0) {
    spdlog::info("vault: token TTL {} s ({}renewable)", ttl_.count(), renewable_ ? "" : "not ");
  } else {
    spdlog::info("vault: token without TTL (it does not expire): no renewal");
  }
}

VaultKeys::~VaultKeys() { stop(); }

void VaultKeys::login() {
  const std::string what = "vault AppRole login (POST " + where_ + "/v1/auth/approle/login)";
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/v1/auth/approle/login";
  req.headers.emplace_back("Content-Type", "application/json");
  json body{{"role_id", std::string(role_id_.view())}, {"secret_id", std::string(secret_id_.view())}};
  req.body = body.dump();
  cleanse(body);
  auto r = http_->request(req);
  cleanse(req.body);
  if (!r) throw SecretsRefused(what + ": " + r.error().message);
  json doc = json::parse(r->body, nullptr, false);
  cleanse(r->body);
  if (r->status != 200) {
    std::string errors;
    if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array()) {
      for (const auto& e : doc["errors"]) {
        // Vault's own words ("invalid role or secret ID"); never a credential.
        if (e.is_string()) errors += (errors.empty() ? "" : "; ") + e.get<std::string>();
      }
    }
    cleanse(doc);
    throw SecretsRefused(what + ": HTTP " + std::to_string(r->status) + (errors.empty() ? "" : " (" + errors + ")"));
  }
  const auto auth = doc.is_object() ? doc.find("auth") : doc.end();
  if (auth == doc.end() || !auth->is_object() || !auth->contains("client_token") ||
      !(*auth)["client_token"].is_string()) {
    cleanse(doc);
    throw SecretsRefused(what + ": field auth.client_token: missing");
  }
  token_ = secure((*auth)["client_token"].get_ref<const std::string&>(), what);
  const auto lease = auth->find("lease_duration");
  ttl_ = std::chrono::seconds(lease != auth->end() && lease->is_number_unsigned() ? lease->get<std::int64_t>() : 0);
  const auto renewable = auth->find("renewable");
  renewable_ = renewable != auth->end() && renewable->is_boolean() && renewable->get<bool>();
  ttl_at_ = Clock::now();
  stats_.token_ttl_s.store(ttl_.count());
  cleanse(doc);
  spdlog::info("vault: AppRole login at {}: token TTL {} s", where_, ttl_.count());
}

void VaultKeys::lookup_self() {
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/v1/auth/token/lookup-self";
  req.headers.emplace_back("X-Vault-Token", std::string(token_.view()));
  auto r = http_->request(req);
  cleanse(req.headers.front().second);
  if (!r || r->status != 200) {
    if (r) cleanse(r->body);
    spdlog::warn("vault: GET {}/v1/auth/token/lookup-self: {}: the token's TTL is unknown, it is not renewed",
                 where_, r ? "HTTP " + std::to_string(r->status) : r.error().message);
    return;
  }
  json doc = json::parse(r->body, nullptr, false);
  cleanse(r->body);  // it holds the token itself (data.id)
  const auto data = doc.is_object() ? doc.find("data") : doc.end();
  if (data != doc.end() && data->is_object()) {
    const auto ttl = data->find("ttl");
    ttl_ = std::chrono::seconds(ttl != data->end() && ttl->is_number_unsigned() ? ttl->get<std::int64_t>() : 0);
    const auto renewable = data->find("renewable");
    renewable_ = renewable != data->end() && renewable->is_boolean() && renewable->get<bool>();
    ttl_at_ = Clock::now();
    stats_.token_ttl_s.store(ttl_.count());
  }
  cleanse(doc);
}

bool VaultKeys::renew_self() {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/v1/auth/token/renew-self";
  req.headers.emplace_back("X-Vault-Token", std::string(token_.view()));
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = "{}";  // the token's own TTL again
  auto r = http_->request(req);
  cleanse(req.headers.front().second);
  if (!r) {
    failed(Failure::kRenewal, "vault: token renewal (POST " + where_ + "/v1/auth/token/renew-self): " + r.error().message);
    return false;
  }
  json doc = json::parse(r->body, nullptr, false);
  cleanse(r->body);
  if (r->status != 200) {
    cleanse(doc);
    failed(Failure::kRenewal, "vault: token renewal (POST " + where_ + "/v1/auth/token/renew-self): HTTP " + std::to_string(r->status) +
           (r->status == 403 ? " (the token expired or was revoked)" : ""));
    return false;
  }
  const auto auth = doc.is_object() ? doc.find("auth") : doc.end();
  std::int64_t lease = 0;
  if (auth != doc.end() && auth->is_object()) {
    const auto l = auth->find("lease_duration");
    if (l != auth->end() && l->is_number_unsigned()) lease = l->get<std::int64_t>();
    const auto renewable = auth->find("renewable");
    renewable_ = renewable != auth->end() && renewable->is_boolean() && renewable->get<bool>();
  }
  cleanse(doc);
  if (lease <= 0) {
    failed(Failure::kRenewal, "vault: token renewal: the answer has no auth.lease_duration");
    return false;
  }
  ttl_ = std::chrono::seconds(lease);
  ttl_at_ = Clock::now();
  stats_.token_ttl_s.store(lease);
  stats_.renewals.fetch_add(1);
  spdlog::info("vault: token renewed, TTL {} s", lease);
  return true;
}

void VaultKeys::failed(Failure kind, std::string text) {
  spdlog::error("{}", text);
  const std::lock_guard lock(mu_);
  (kind == Failure::kRenewal ? last_renewal_error_ : last_read_error_) = std::move(text);
}

std::string VaultKeys::last_renewal_error() const {
  const std::lock_guard lock(mu_);
  return last_renewal_error_;
}

std::string VaultKeys::last_read_error() const {
  const std::lock_guard lock(mu_);
  return last_read_error_;
}

secrets::ApiCredentials VaultKeys::credentials(const std::string& account) const {
  const std::lock_guard lock(mu_);
  for (const auto& h : held_) {
    if (h.account.name == account) return copy_credentials(h.creds);
  }
  throw std::out_of_range("vault: no keys read for account " + account);
}

std::uint64_t VaultKeys::version(const std::string& account) const {
  const std::lock_guard lock(mu_);
  for (const auto& h : held_) {
    if (h.account.name == account) return h.creds.version;
  }
  return 0;
}

void VaultKeys::refresh() {
  OnRotate on_rotate;
  {
    const std::lock_guard lock(run_mu_);
    on_rotate = on_rotate_;
  }
  if (!on_rotate) return;  // the connections are not up yet
  secrets::VaultStore store(*http_, secure(token_.view(), "token"), secrets::VaultConfig{options_.mount, ""});
  std::vector<std::pair<std::string, std::string>> accounts;  // name, path
  {
    const std::lock_guard lock(mu_);
    for (const auto& h : held_) accounts.emplace_back(h.account.name, h.account.path);
  }
  for (const auto& [name, path] : accounts) {
    auto c = store.get_path(path);
    if (!c) {
      stats_.read_failures.fetch_add(1);
      failed(Failure::kRead, "vault: account " + name + ": reading api_key_vault_path '" + path + "' again failed, its keys in use stay: " +
             c.error().message);
      continue;
    }
    std::uint64_t old_version = 0;
    {
      const std::lock_guard lock(mu_);
      for (auto& h : held_) {
        if (h.account.name != name) continue;
        old_version = h.creds.version;
        if (c->version != old_version) h.creds = copy_credentials(*c);  // the old buffers wiped
      }
    }
    if (c->version == old_version) continue;
    spdlog::warn("vault: account {}: version {} of {}/{} (key {}) replaces version {}", name, c->version,
                 options_.mount, path, secrets::fingerprint(c->api_key), old_version);
    on_rotate(name, *c);
    stats_.rotations.fetch_add(1);
  }
  stats_.refreshes.fetch_add(1);
}

void VaultKeys::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void VaultKeys::set_on_rotate(OnRotate on_rotate) {
  const std::lock_guard lock(run_mu_);
  on_rotate_ = std::move(on_rotate);
}

void VaultKeys::stop() {
  {
    const std::lock_guard lock(run_mu_);
    stop_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void VaultKeys::run() {
  const auto renew_at = [this] {
    // At 2/3 of the TTL stated last; never (far away) without a renewable TTL.
    if (ttl_.count() <= 0 || (!renewable_ && role_id_.empty())) return Clock::time_point::max();
    return ttl_at_ + std::chrono::duration_cast<Clock::duration>(ttl_) * 2 / 3;
  };
  auto next_renew = renew_at();
  auto next_refresh = Clock::now() + options_.refresh;
  std::unique_lock lock(run_mu_);
  for (;;) {
    if (run_cv_.wait_until(lock, std::min(next_renew, next_refresh), [this] { return stop_; })) return;
    lock.unlock();
    const auto now = Clock::now();
    if (now >= next_renew) {
      bool ok = renewable_ && renew_self();
      if (!ok) {
        stats_.renewal_failures.fetch_add(1);
        if (!renewable_) failed(Failure::kRenewal, "vault: the token is not renewable any more");
        if (!role_id_.empty()) {
          try {
            login();  // AppRole: a new token
            stats_.logins.fetch_add(1);
            ok = true;
          } catch (const std::exception& e) {
            failed(Failure::kRenewal, std::string("vault: after the failed renewal: ") + e.what());
          }
        }
      }
      if (ok) {
        next_renew = renew_at();
      } else if (role_id_.empty() && ttl_.count() > 0 &&
                 now >= ttl_at_ + std::chrono::duration_cast<Clock::duration>(ttl_)) {
        // A token past its TTL never renews again: said once; the loaded keys stay in use.
        failed(Failure::kRenewal, "vault: the token's TTL has run out: no more renewals, and no key rotation is read "
               "until omsd is restarted with a valid token; the keys loaded stay in use");
        next_renew = Clock::time_point::max();
      } else {
        // Again soon (a sixth of the TTL, at least a second); the keys loaded stay in use.
        next_renew = now + std::max<Clock::duration>(std::chrono::seconds(1),
                                                      std::chrono::duration_cast<Clock::duration>(ttl_) / 6);
      }
    }
    if (Clock::now() >= next_refresh) {
      try {
        refresh();
      } catch (const std::exception& e) {
        failed(Failure::kRead, std::string("vault: refresh: ") + e.what());
      }
      next_refresh = Clock::now() + options_.refresh;
    }
    lock.lock();
  }
}

}  // namespace oms::omsd
