// omsd's health and metrics: a HealthBoard entry per account (session state, market-data and
// user-data ages, rate-limit usage, open orders, last error) and components (store, venues),
// refreshed once a second from the daemon; Prometheus families computed from the accounts'
// views at the same pace (orders by state, fills, rejects by reason, risk rejections, journal
// lag, store failures); all served by the ObservabilityServer on the --http address.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oms/cores/valuation.hpp"
#include "daemon.hpp"
#include "oms/actors/observe/health_board.hpp"
#include "oms/actors/observe/metrics.hpp"
#include "oms/actors/observe/observability_server.hpp"

namespace oms::actors {
class GatewayServer;
}

namespace oms::omsd {

class Observability {
 public:
  explicit Observability(Daemon& daemon);
  ~Observability();
  Observability(const Observability&) = delete;
  Observability& operator=(const Observability&) = delete;

  // Binds the HTTP server (throws naming address:port) and starts the refresh thread.
  void start();
  void stop();

  // The dashboard's data from the gateway (its dashboard() and the unified PnL sampled once a
  // second into the chart's ring); null detaches it (before the gateway goes): the dashboard
  // then answers 503.
  void attach_gateway(actors::GatewayServer* gateway);
  // The chart's samples: (wall ms, unified PnL in USDT or nullopt when not valued), oldest first,
  // at most kPnlPoints (an hour at one a second).
  static constexpr std::size_t kPnlPoints = 3600;

  [[nodiscard]] observe::Metrics& metrics() noexcept { return metrics_; }
  [[nodiscard]] observe::HealthBoard& health() noexcept { return health_; }

 private:
  void refresh();  // one pass over the accounts (refresh thread)
  void run();

  // What the collectors render: counts from the last refresh.
  struct AccountFigures {
    std::map<std::string, std::uint64_t> orders_by_status;
    std::map<std::string, std::uint64_t> rejects_by_code;
    std::uint64_t fills = 0;
    std::uint64_t events_committed = 0;
  };

  Daemon& daemon_;
  observe::Metrics metrics_;
  observe::HealthBoard health_;
  std::unique_ptr<observe::ObservabilityServer> server_;
  std::vector<observe::AccountHealth*> account_health_;  // by daemon account index
  std::mutex figures_mutex_;
  std::map<std::string, AccountFigures> figures_;  // by account name
  [[nodiscard]] std::string exchange_of(const std::string& account) const;  // the metrics' label
  std::vector<actors::StrategyViewPtr> strategies_;  // by StrategyId, at the last refresh
  std::vector<Decimal> marks_;                       // by InstrumentId, at the last refresh
  std::vector<actors::PremiumPair> premiums_;        // fiat-quoted markets over Binance
  [[nodiscard]] observe::DashboardAnswer dashboard(std::string_view authorization, std::string_view peer);
  std::mutex gateway_mutex_;  // held around every use of gateway_ (detach waits for them)
  actors::GatewayServer* gateway_ = nullptr;
  std::mutex pnl_mutex_;
  std::deque<std::pair<std::int64_t, std::optional<Decimal>>> pnl_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace oms::omsd
