// Live mode's API keys from HashiCorp Vault KV v2 (`--secrets vault:https://HOST:PORT`), over
// the project's HTTPS client (Vault's certificate checked against --vault-ca, or the system
// store). Exactly Vault's documented API:
//   auth   the token of --vault-token-file (0600) or $VAULT_TOKEN, or an AppRole login:
//          POST /v1/auth/approle/login {"role_id","secret_id"} (--vault-approle-file, 0600)
//          -> auth.client_token, auth.lease_duration
//   keys   GET /v1/{mount}/data/{api_key_vault_path} per account (accounts.yaml), header
//          X-Vault-Token -> data.data.{api_key, api_secret[, private_key][, passphrase]},
//          data.metadata.version. One secret per account: a Binance account's key serves its
//          spot and USD-M connections, a Bybit / OKX unified account's both categories.
//   lease  the token's TTL from GET /v1/auth/token/lookup-self (data.ttl, data.renewable) or the
//          login's lease_duration; POST /v1/auth/token/renew-self at 2/3 of it.
// At start every account's secret must read, or omsd does not start (SecretsRefused, exit 2: the
// account and the path named -- never the token or a key). Then a thread of its own (not the
// engine's shard) renews the token and reads every secret again each --vault-refresh-s: a new
// version is handed to on_rotate (the daemon swaps it into the account's connectors); a failed
// renewal or read is logged, counted (stats, /metrics via the alerts watcher) and the keys
// already loaded stay in use; with AppRole a token that can no longer be renewed is replaced by
// a new login.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "oms/connectors/net/https_client.hpp"
#include "oms/connectors/secrets/secret_store.hpp"

namespace oms::omsd {

// A secret that does not read at start: omsd refuses to start with exit code 2.
class SecretsRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct VaultOptions {
  std::string url;                      // https://HOST:PORT (the part after "vault:")
  std::filesystem::path token_file;     // empty: $VAULT_TOKEN (unless approle_file)
  std::filesystem::path approle_file;   // {"role_id","secret_id"}; exclusive with token_file
  std::filesystem::path ca_file;        // empty: the system store
  std::string mount = "secret";
  std::chrono::seconds refresh{60};
};

struct VaultAccount {
  std::string name;  // the configured account
  std::string path;  // its api_key_vault_path
};

class VaultKeys {
 public:
  // The account's new credentials (a version Vault holds since the last read); on the keys'
  // thread.
  using OnRotate = std::function<void(const std::string& account, const secrets::ApiCredentials& c)>;

  // Logs in (AppRole) or takes the token, reads every account's secret and the token's TTL.
  // Throws SecretsRefused naming what failed (the flag, the file, or the account and its path).
  VaultKeys(VaultOptions options, std::vector<VaultAccount> accounts);
  ~VaultKeys();  // stop()
  VaultKeys(const VaultKeys&) = delete;
  VaultKeys& operator=(const VaultKeys&) = delete;

  // A copy of the account's credentials as last read (its own SecureBuffers). Throws
  // std::out_of_range naming an account that was not read.
  [[nodiscard]] secrets::ApiCredentials credentials(const std::string& account) const;
  // The version of the account's secret in use (Vault's data.metadata.version).
  [[nodiscard]] std::uint64_t version(const std::string& account) const;

  // Starts the thread: token renewal from now on (the daemon starts it right after the keys were
  // read: its venues may take longer to start than a short TTL lasts); the periodic reads once
  // on_rotate is given.
  void start();
  // Who takes the new versions (the daemon, once every connection runs: they were built with the
  // versions read at start, so nothing read before is lost); must stay callable until stop().
  void set_on_rotate(OnRotate on_rotate);
  void stop();

  struct Stats {
    std::atomic<std::uint64_t> renewals{0};          // renew-self answered 200
    std::atomic<std::uint64_t> renewal_failures{0};  // renew-self (or the login after) failed
    std::atomic<std::uint64_t> logins{0};            // AppRole logins after the first
    std::atomic<std::uint64_t> refreshes{0};         // rounds of reads done
    std::atomic<std::uint64_t> read_failures{0};     // secrets that did not read in a round
    std::atomic<std::uint64_t> rotations{0};         // new versions handed to on_rotate
    std::atomic<std::int64_t> token_ttl_s{0};        // the token's TTL at the last lookup/renewal (0: none)
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }
  // The last renewal (or login) failure and the last read failure, as logged (never a secret);
  // empty when none.
  [[nodiscard]] std::string last_renewal_error() const;
  [[nodiscard]] std::string last_read_error() const;

 private:
  struct Held {
    VaultAccount account;
    secrets::ApiCredentials creds;
  };
  void login();             // AppRole: a new token_ and ttl_; throws SecretsRefused
  void lookup_self();       // ttl_ and renewable_ of token_ (failure: logged, no renewal)
  [[nodiscard]] bool renew_self();  // false: logged
  void refresh();
  void run();
  enum class Failure : std::uint8_t { kRenewal, kRead };
  void failed(Failure kind, std::string text);  // logged, kept as the kind's last error

  VaultOptions options_;
  std::string where_;  // "https://HOST:PORT"
  std::unique_ptr<net::HttpsClient> http_;  // the keys' thread only once started
  secrets::SecureBuffer token_;
  secrets::SecureBuffer role_id_, secret_id_;  // AppRole
  std::chrono::seconds ttl_{0};
  bool renewable_ = false;
  std::chrono::steady_clock::time_point ttl_at_{};  // when ttl_ was stated
  mutable std::mutex mu_;  // held_, the last errors
  std::vector<Held> held_;
  std::string last_renewal_error_, last_read_error_;
  Stats stats_;
  std::mutex run_mu_;  // stop_, on_rotate_
  OnRotate on_rotate_;
  std::condition_variable run_cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Copies credentials (their own SecureBuffers); throws std::runtime_error when memory cannot
// be locked.
[[nodiscard]] secrets::ApiCredentials copy_credentials(const secrets::ApiCredentials& c);

}  // namespace oms::omsd
