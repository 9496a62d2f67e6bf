#include "api_setup.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "daemon.hpp"
#include "alerting.hpp"
#include "kill_sweep.hpp"

namespace oms::omsd {
namespace {

void write_private(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  const std::string tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error(file.string() + ": cannot create");
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
    throw std::runtime_error(file.string() + ": cannot write");
  }
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    throw std::runtime_error("api token: RAND_bytes failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

bool ensure_api_tokens(const std::filesystem::path& data_dir) {
  const auto tokens = data_dir / "api" / "tokens.json";
  if (std::filesystem::exists(tokens)) return false;
  const std::string token = random_hex(32);
  const nlohmann::json j = {
      {"clients",
       {{{"name", "omsctl"}, {"token", token}, {"accounts", {"*"}}, {"rate_per_s", 200}, {"burst", 400}}}}};
  write_private(data_dir / "api" / "omsctl.token", token + "\n");
  write_private(tokens, j.dump(2) + "\n");
  return true;
}

std::unique_ptr<actors::GatewayServer> start_gateway(Daemon& daemon, observe::Metrics& metrics,
                                                     KillSweep* sweep, actors::TransferDesk* transfers,
                                                     Alerting* alerting) {
  const auto& o = daemon.options();
  const auto tokens = o.data_dir / "api" / "tokens.json";
  auto clients = actors::load_api_clients(tokens, daemon.directory());
  if (!clients) throw std::runtime_error(clients.error());
  actors::GatewayOptions g;
  g.address = o.grpc.str();
  g.cert = o.data_dir / "tls" / "server.pem";
  g.key = o.data_dir / "tls" / "server.key";
  for (const auto& f : {g.cert, g.key}) {
    if (!std::filesystem::exists(f)) {
      throw std::runtime_error(f.string() + ": missing (deploy/gen-certs " +
                               (o.data_dir / "tls").string() + " makes it)");
    }
  }
  // Handles registered up front (registration takes the registry's lock; a call only updates).
  struct CallMetrics {
    observe::Histogram* seconds = nullptr;
    std::map<int, observe::Counter*> by_code;
  };
  auto calls = std::make_shared<std::map<std::string, CallMetrics, std::less<>>>();
  for (const char* rpc : {"SubmitOrder", "SubmitBatch", "AmendOrder", "CancelOrder", "CancelAll",
                          "ListOrders", "ListFills", "ListBalances", "ListPositions", "SetRiskLimit",
                          "TripKillSwitch", "ResetKillSwitch", "Health", "ListStrategies",
                          "ControlStrategy", "ListPremiums", "RequestTransfer", "ListTransfers",
                          "Rebalance"}) {
    auto& m = (*calls)[rpc];
    m.seconds = &metrics.histogram("oms_api_call_seconds", "gRPC API call duration, by RPC",
                                   observe::Histogram::latency_buckets(), {{"rpc", rpc}});
    // OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, PERMISSION_DENIED, UNAVAILABLE, UNAUTHENTICATED
    for (const int code : {0, 3, 8, 7, 14, 16}) {
      m.by_code[code] = &metrics.counter("oms_api_calls_total", "gRPC API calls, by RPC and status code",
                                         {{"rpc", rpc}, {"code", std::to_string(code)}});
    }
  }
  g.on_call = [calls](std::string_view rpc, int code, std::int64_t ns) {
    const auto it = calls->find(rpc);
    if (it == calls->end()) return;
    it->second.seconds->observe_ns(ns);
    if (const auto c = it->second.by_code.find(code); c != it->second.by_code.end()) c->second->inc();
  };
  std::vector<actors::GatewayAccount> accounts;
  const auto& configured = daemon.config().accounts;
  for (const auto& a : daemon.accounts()) {
    const auto& c = configured.at(a.id);
    accounts.push_back({a.id, a.exchange, a.markets, c.type == configs::AccountType::kSub ? c.parent : c.id});
  }
  // Account routing of API orders that name no account (accounts.yaml account_routing): the
  // rules by id, and each account's order budget left as its connector keeps it (Binance: the
  // ORDERS buckets; Bybit, OKX, Upbit: orders per second, none while the venue holds it).
  const auto& routing = configured.routing;
  g.routing.default_account = routing.default_account;
  for (const auto& r : routing.strategies) {
    if (const auto id = daemon.directory().strategies.find(r.strategy)) g.routing.strategies.push_back({*id, r.accounts});
  }
  for (const auto& r : routing.instruments) {
    const auto id = daemon.directory().instruments.find(r.instrument);
    if (!id || daemon.instrument_table().find(*id) == nullptr) {
      spdlog::warn("account_routing.instruments: {} is not listed by its venue; its route is not used", r.instrument);
      continue;
    }
    g.routing.instruments.push_back({*id, r.accounts});
  }
  g.orders_left = [&daemon](AccountId id, Market m) -> std::optional<std::uint32_t> {
    for (const auto& a : daemon.accounts()) {
      if (a.id != id) continue;
      std::optional<OrderBudgetUse> budget;
      switch (a.exchange) {
        case ExchangeId::kBinance: {
          auto* venue = daemon.venue(m);
          const auto index = venue != nullptr ? venue->account_index(id) : std::nullopt;
          if (!index) return std::nullopt;
          return venue->orders_left(*index);
        }
        case ExchangeId::kBybit:
          if (daemon.bybit_venue(m) != nullptr) budget = daemon.bybit_venue(m)->order_budget(id);
          break;
        case ExchangeId::kOkx:
          if (daemon.okx_venue(m) != nullptr) budget = daemon.okx_venue(m)->order_budget(id);
          break;
        case ExchangeId::kUpbit:
          if (daemon.upbit_venue() != nullptr) budget = daemon.upbit_venue()->order_budget(id);
          break;
      }
      if (!budget || budget->venue_hold_until_ms > 0) return budget ? std::optional<std::uint32_t>(0) : std::nullopt;
      return budget->used >= budget->limit ? 0U : budget->limit - budget->used;
    }
    return std::nullopt;
  };
  // Venue failover of API orders (accounts.yaml account_routing.failover): a venue is down for
  // an account when its session failed or is not started, or the venue's user stream of that
  // market is not connected -- what /health says.
  for (const auto& f : daemon.config().accounts.routing.failover) g.failover.push_back({f.account, f.to});
  if (!g.failover.empty()) {
    g.venue_up = [&daemon](AccountId id, Market m) {
      for (const auto& a : daemon.accounts()) {
        if (a.id != id) continue;
        const auto& stats = a.session->stats();
        const Exchange* e = a.session->exchange(m);
        return stats.started.load() && !stats.failed.load() && e != nullptr && e->user_stream_connected();
      }
      return false;  // an account omsd does not run is never up
    };
    auto* routed = &metrics.counter("oms_failover_orders_total", "API orders routed to another venue's account (failover)");
    g.on_failover = [routed](const actors::FailoverChoice& c) {
      routed->inc();
      spdlog::critical("failover: {}", c.reason);
    };
  }
  // A kill switch tripped to halted: every open order at the venues of the accounts its scope
  // covers is canceled too, off this thread (kill_sweep.hpp).
  // And the emergency contacts hear of it (alerting.hpp: queued, sent off this thread).
  if (sweep != nullptr || alerting != nullptr) {
    g.on_kill_switch = [sweep, alerting](const TripKillSwitch& t) {
      if (sweep != nullptr) sweep->on_trip(t);
      if (alerting != nullptr) alerting->on_kill_switch(t);
    };
  }
  g.transfers = transfers;
  return std::make_unique<actors::GatewayServer>(std::move(g), std::move(clients).value(),
                                                 daemon.runtime(), daemon.directory(),
                                                 daemon.instrument_table(), std::move(accounts));
}

}  // namespace oms::omsd
