// GatewayCore, part 1: the tokens file, authentication, per-client token buckets, accounts
// and instruments by name, command ids.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "oms/actors/gateway.hpp"
#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

namespace {

constexpr std::size_t kMinTokenHexDigits = 32;  // 128 bits

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// Compares without an early exit, so the time taken does not reveal a matching prefix.
bool same_token(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^
                                              static_cast<unsigned char>(b[i])));
  return diff == 0;
}

Unexpected<std::string> fail(std::string_view source, const std::string& field,
                             const std::string& what) {
  return Unexpected{std::string(source) + ": " + field + ": " + what};
}

// A positive whole number no larger than 1,000,000.
Result<std::uint32_t, std::string> rate_field(const nlohmann::json& c, std::string_view source,
                                              const std::string& field) {
  const auto it = c.find(field.substr(field.rfind('.') + 1));
  if (it == c.end()) return fail(source, field, "missing");
  if (!it->is_number_integer()) return fail(source, field, "expected a whole number");
  const auto v = it->get<std::int64_t>();
  if (v < 1 || v > 1'000'000) return fail(source, field, "must be in 1..1000000, got " + std::to_string(v));
  return static_cast<std::uint32_t>(v);
}

}  // namespace

Result<std::vector<ApiClient>, std::string> parse_api_clients(std::string_view text,
                                                              std::string_view source,
                                                              const Directory& directory) {
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Unexpected{std::string(source) + ": not valid JSON"};
  if (!doc.is_object()) return fail(source, "(root)", "expected an object");
  const auto clients = doc.find("clients");
  if (clients == doc.end()) return fail(source, "clients", "missing");
  if (!clients->is_array()) return fail(source, "clients", "expected an array");
  for (const auto& [key, value] : doc.items())
    if (key != "clients") return fail(source, key, "unknown field");
  std::vector<ApiClient> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < clients->size(); ++i) {
    const auto& c = (*clients)[i];
    const std::string at = "clients[" + std::to_string(i) + "]";
    if (!c.is_object()) return fail(source, at, "expected an object");
    for (const auto& [key, value] : c.items()) {
      if (key != "name" && key != "token" && key != "accounts" && key != "rate_per_s" &&
          key != "burst")
        return fail(source, at + "." + key, "unknown field");
    }
    ApiClient client;
    const auto name = c.find("name");
    if (name == c.end()) return fail(source, at + ".name", "missing");
    if (!name->is_string() || name->get<std::string>().empty())
      return fail(source, at + ".name", "expected a non-empty string");
    client.name = name->get<std::string>();
    if (!names.insert(client.name).second)
      return fail(source, at + ".name", "client '" + client.name + "' is defined twice");
    const auto token = c.find("token");
    if (token == c.end()) return fail(source, at + ".token", "missing");
    if (!token->is_string() || token->get<std::string>().size() < kMinTokenHexDigits ||
        !is_hex(token->get<std::string>()))
      return fail(source, at + ".token", "expected a hex string of at least 32 digits");
    client.token = token->get<std::string>();
    for (const auto& other : out)
      if (same_token(other.token, client.token))
        return fail(source, at + ".token", "the same token as client '" + other.name + "'");
    const auto accounts = c.find("accounts");
    if (accounts == c.end()) return fail(source, at + ".accounts", "missing");
    if (!accounts->is_array() || accounts->empty())
      return fail(source, at + ".accounts", "expected a non-empty array of account names or \"*\"");
    for (std::size_t k = 0; k < accounts->size(); ++k) {
      const auto& a = (*accounts)[k];
      const std::string field = at + ".accounts[" + std::to_string(k) + "]";
      if (!a.is_string()) return fail(source, field, "expected a string");
      const auto s = a.get<std::string>();
      if (s == "*") {
        client.all_accounts = true;
        continue;
      }
      const auto id = directory.accounts.find(s);
      if (!id) return fail(source, field, "unknown account '" + s + "'");
      client.accounts.push_back(*id);
    }
    auto rate = rate_field(c, source, at + ".rate_per_s");
    if (!rate) return Unexpected{rate.error()};
    auto burst = rate_field(c, source, at + ".burst");
    if (!burst) return Unexpected{burst.error()};
    client.rate_per_s = *rate;
    client.burst = *burst;
    out.push_back(std::move(client));
  }
  return out;
}

Result<std::vector<ApiClient>, std::string> load_api_clients(const std::filesystem::path& path,
                                                             const Directory& directory) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected{path.string() + ": cannot be read"};
  // It holds every client's token: readable by its owner only.
  std::error_code ec;
  const auto perms = std::filesystem::status(path, ec).permissions();
  using P = std::filesystem::perms;
  if (!ec && (perms & (P::group_all | P::others_all)) != P::none) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(perms) & 07777U);
    return Unexpected{path.string() + ": mode " + mode +
                      ", must be 0600 (it holds the API tokens: chmod 600 " + path.string() + ")"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_api_clients(text.str(), path.string(), directory);
}

GatewayCore::GatewayCore(std::vector<ApiClient> clients, const Directory& directory,
                         const InstrumentTable& instruments, std::vector<GatewayAccount> accounts,
                         Clock clock, std::uint16_t desk)
    : clients_(std::make_shared<const std::vector<ApiClient>>(std::move(clients))),
      directory_(directory),
      instruments_(instruments),
      accounts_(std::move(accounts)),
      clock_(std::move(clock)),
      desk_(desk) {}

Result<std::shared_ptr<const ApiClient>, ApiError> GatewayCore::authenticate(
    std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty())
    return Unexpected{ApiError{ApiStatus::kUnauthenticated, "missing authorization metadata"}};
  if (authorization.substr(0, kBearer.size()) != kBearer)
    return Unexpected{ApiError{ApiStatus::kUnauthenticated,
                               "authorization: expected \"Bearer <token>\""}};
  const auto token = authorization.substr(kBearer.size());
  std::shared_ptr<const std::vector<ApiClient>> clients;
  {
    const std::lock_guard lock(clients_mutex_);
    clients = clients_;
  }
  const ApiClient* found = nullptr;
  for (const auto& c : *clients)  // every token compared: no early exit
    if (same_token(c.token, token)) found = &c;
  if (found == nullptr)
    return Unexpected{ApiError{ApiStatus::kUnauthenticated, "authorization: unknown token"}};
  return std::shared_ptr<const ApiClient>(clients, found);  // shares the set's lifetime
}

void GatewayCore::replace_clients(std::vector<ApiClient> clients) {
  auto next = std::make_shared<const std::vector<ApiClient>>(std::move(clients));
  {
    const std::lock_guard lock(buckets_mutex_);
    std::erase_if(buckets_, [&](const auto& b) {
      return std::none_of(next->begin(), next->end(), [&](const ApiClient& c) { return c.name == b.first; });
    });
  }
  const std::lock_guard lock(clients_mutex_);
  clients_ = std::move(next);
}

namespace {

// One token from a bucket of `rate` per second holding at most `burst` (a new bucket is full).
bool take_token(std::map<std::string, GatewayCore::Bucket, std::less<>>& buckets, std::string_view key,
                std::uint32_t rate, std::uint32_t burst, std::int64_t now) {
  constexpr std::int64_t kOne = 1'000'000'000;
  const std::int64_t capacity = static_cast<std::int64_t>(burst) * kOne;
  auto it = buckets.find(key);
  if (it == buckets.end()) it = buckets.emplace(std::string(key), GatewayCore::Bucket{capacity, now}).first;
  auto& b = it->second;
  // Refill: rate tokens per second = rate x 1e9 token-units per 1e9 ns = rate units per ns.
  // Elapsed is capped at what fills the bucket, so the product cannot overflow.
  const std::int64_t full_after = capacity / static_cast<std::int64_t>(std::max<std::uint32_t>(rate, 1)) + 1;
  const std::int64_t elapsed = std::clamp<std::int64_t>(now - b.last_ns, 0, full_after);
  b.tokens_e9 = std::min(capacity, b.tokens_e9 + elapsed * static_cast<std::int64_t>(rate));
  b.last_ns = std::max(b.last_ns, now);
  if (b.tokens_e9 < kOne) return false;
  b.tokens_e9 -= kOne;
  return true;
}

}  // namespace

bool GatewayCore::admit(const ApiClient& client) {
  const auto now = clock_();
  const std::lock_guard lock(buckets_mutex_);
  return take_token(buckets_, client.name, client.rate_per_s, client.burst, now);
}

bool GatewayCore::admit_unauthenticated(std::string_view host) {
  const auto now = clock_();
  const std::lock_guard lock(buckets_mutex_);
  // Bounded: a flood from ever new addresses must not grow the map without end.
  constexpr std::size_t kMaxHosts = 4096;
  if (unauthenticated_.size() >= kMaxHosts && unauthenticated_.find(host) == unauthenticated_.end())
    unauthenticated_.clear();
  return take_token(unauthenticated_, host, kUnauthenticatedPerSecond, kUnauthenticatedBurst, now);
}

bool GatewayCore::may_use(const ApiClient& client, AccountId account) const {
  const bool served = std::any_of(accounts_.begin(), accounts_.end(),
                                  [&](const GatewayAccount& a) { return a.id == account; });
  if (!served) return false;
  if (client.all_accounts) return true;
  return std::find(client.accounts.begin(), client.accounts.end(), account) != client.accounts.end();
}

std::vector<AccountId> GatewayCore::visible_accounts(const ApiClient& client) const {
  std::vector<AccountId> out;
  for (const auto& a : accounts_)
    if (may_use(client, a.id)) out.push_back(a.id);
  return out;
}

Result<AccountId, ApiError> GatewayCore::account(const ApiClient& client, std::string_view field,
                                                 std::string_view name) const {
  if (name.empty())
    return Unexpected{ApiError{ApiStatus::kInvalidArgument, std::string(field) + ": missing"}};
  const auto id = directory_.accounts.find(name);
  const bool served = id && std::any_of(accounts_.begin(), accounts_.end(),
                                        [&](const GatewayAccount& a) { return a.id == *id; });
  if (!served)
    return Unexpected{ApiError{ApiStatus::kInvalidArgument,
                               std::string(field) + ": unknown account " + quoted_value(name)}};
  if (!may_use(client, *id))
    return Unexpected{ApiError{ApiStatus::kPermissionDenied,
                               "client '" + client.name + "' may not use account " +
                                   quoted_value(name)}};
  return *id;
}

Result<InstrumentId, ApiError> GatewayCore::instrument(AccountId account, std::string_view field,
                                                       std::string_view symbol) const {
  if (symbol.empty())
    return Unexpected{ApiError{ApiStatus::kInvalidArgument, std::string(field) + ": missing"}};
  if (const auto id = directory_.instruments.find(symbol); id && instruments_.find(*id) != nullptr)
    return *id;
  const auto acct = std::find_if(accounts_.begin(), accounts_.end(),
                                 [&](const GatewayAccount& a) { return a.id == account; });
  if (acct != accounts_.end()) {
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
      const InstrumentId id(static_cast<std::uint32_t>(i));
      const auto* inst = instruments_.find(id);
      if (inst != nullptr && inst->exchange == acct->exchange && inst->canonical == symbol) return id;
    }
  }
  std::string where = acct != accounts_.end() ? " on " + std::string(to_string(acct->exchange)) : "";
  return Unexpected{ApiError{ApiStatus::kInvalidArgument,
                             std::string(field) + ": unknown instrument " + quoted_value(symbol) + where}};
}

void GatewayCore::set_failover(std::vector<GatewayFailover> routes, VenueUp venue_up) {
  failover_ = std::move(routes);
  venue_up_ = std::move(venue_up);
}

std::optional<FailoverChoice> GatewayCore::route(const ApiClient& client, SubmitOrder& o, bool generated_id,
                                                 std::uint64_t sequence) const {
  if (!venue_up_) return std::nullopt;
  const auto r = std::find_if(failover_.begin(), failover_.end(), [&](const GatewayFailover& f) { return f.from == o.account; });
  if (r == failover_.end()) return std::nullopt;
  const InstrumentAssets* inst = instruments_.find(o.instrument);
  if (inst == nullptr || venue_up_(o.account, inst->market)) return std::nullopt;
  const std::string down = account_name(o.account) + ": " + std::string(to_string(inst->exchange)) + " " +
                           std::string(to_string(inst->market)) + " is down";
  for (const AccountId to : r->to) {
    if (!may_use(client, to) || !venue_up_(to, inst->market)) continue;
    auto there = instrument(to, "instrument", inst->canonical);
    if (!there) continue;  // that venue does not list it
    const InstrumentAssets* other = instruments_.find(*there);
    if (other == nullptr || other->market != inst->market) continue;
    ClientOrderIdText id = o.client_order_id;
    if (generated_id) {
      const auto fresh = format_client_order_id(ClientOrderId{desk_, to, o.strategy, sequence});
      if (!fresh) continue;
      id = *fresh;
    }
    FailoverChoice c{o.account, to, down + "; routed to " + account_name(to) + " (failover)"};
    o.account = to;
    o.instrument = *there;
    o.client_order_id = id;
    return c;
  }
  return std::nullopt;
}

EventId GatewayCore::next_command_id(TimeNs wall_now) noexcept {
  const auto floor = wall_now > 0 ? static_cast<EventId>(wall_now) : EventId{0};
  EventId last = last_command_id_.load(std::memory_order_relaxed);
  for (;;) {
    const EventId next = std::max(last + 1, floor);
    // relaxed: the id is the only shared datum; uniqueness needs only the CAS's atomicity.
    if (last_command_id_.compare_exchange_weak(last, next, std::memory_order_relaxed)) return next;
  }
}

std::string GatewayCore::account_name(AccountId id) const {
  return id.valid() && id.index() < directory_.accounts.size() ? directory_.accounts.name(id)
                                                                : std::string();
}
std::string GatewayCore::strategy_name(StrategyId id) const {
  return id.valid() && id.index() < directory_.strategies.size() ? directory_.strategies.name(id)
                                                                  : std::string();
}
std::string GatewayCore::instrument_name(InstrumentId id) const {
  const auto* inst = instruments_.find(id);
  if (inst != nullptr && !inst->canonical.empty()) return inst->canonical;
  return id.valid() && id.index() < directory_.instruments.size() ? directory_.instruments.name(id)
                                                                   : std::string();
}

}  // namespace oms::actors
