// HealthBoard -> Prometheus collectors.
#include "oms/actors/observe/health_metrics.hpp"

namespace oms::observe {

namespace {
using Emit = void (*)(CollectorSink&, const HealthBoard&, const AccountHealth&,
                      const AccountHealth::Snapshot&);

void per_account(Metrics& metrics, const HealthBoard& board, std::string_view name,
                 std::string_view help, std::vector<std::string> labels, Emit emit) {
  metrics.collector(name, help, MetricType::kGauge, std::move(labels),
                    [&board, emit](CollectorSink& sink) {
                      for (const auto* a : board.accounts()) emit(sink, board, *a, a->snapshot());
                    });
}

double age_seconds(const HealthBoard& board, std::int64_t then_ns) {
  return static_cast<double>(board.now_ns() - then_ns) / 1e9;
}
}  // namespace

void export_health_metrics(Metrics& metrics, const HealthBoard& board) {
  const std::vector<std::string> ea{"exchange", "account"};
  per_account(metrics, board, "oms_health_status", "Account health: 0 ok, 1 degraded, 2 down", ea,
              [](CollectorSink& s, const HealthBoard& b, const AccountHealth& a,
                 const AccountHealth::Snapshot& snap) {
                s.sample({a.exchange(), a.account()},
                         static_cast<double>(static_cast<int>(b.evaluate(snap).status)));
              });
  per_account(metrics, board, "oms_session_connected", "1 when the exchange session is connected",
              ea,
              [](CollectorSink& s, const HealthBoard&, const AccountHealth& a,
                 const AccountHealth::Snapshot& snap) {
                s.sample({a.exchange(), a.account()}, snap.connected ? 1.0 : 0.0);
              });
  per_account(metrics, board, "oms_market_data_age_seconds",
              "Seconds since the last market-data message", ea,
              [](CollectorSink& s, const HealthBoard& b, const AccountHealth& a,
                 const AccountHealth::Snapshot& snap) {
                if (snap.last_market_data_ns != 0)
                  s.sample({a.exchange(), a.account()}, age_seconds(b, snap.last_market_data_ns));
              });
  per_account(metrics, board, "oms_user_data_age_seconds",
              "Seconds since the last user-data message", ea,
              [](CollectorSink& s, const HealthBoard& b, const AccountHealth& a,
                 const AccountHealth::Snapshot& snap) {
                if (snap.last_user_data_ns != 0)
                  s.sample({a.exchange(), a.account()}, age_seconds(b, snap.last_user_data_ns));
              });
  per_account(metrics, board, "oms_open_orders", "Open orders on the account", ea,
              [](CollectorSink& s, const HealthBoard&, const AccountHealth& a,
                 const AccountHealth::Snapshot& snap) {
                s.sample({a.exchange(), a.account()}, static_cast<double>(snap.open_orders));
              });
  const std::vector<std::string> eal{"exchange", "account", "limit"};
  per_account(metrics, board, "oms_rate_limit_used", "Rate-limit usage in the current window", eal,
              [](CollectorSink& s, const HealthBoard&, const AccountHealth& a,
                 const AccountHealth::Snapshot& snap) {
                for (const auto& r : snap.rate_limits)
                  s.sample({a.exchange(), a.account(), r.name}, static_cast<double>(r.used));
              });
  per_account(metrics, board, "oms_rate_limit_max", "Rate-limit ceiling of the window", eal,
              [](CollectorSink& s, const HealthBoard&, const AccountHealth& a,
                 const AccountHealth::Snapshot& snap) {
                for (const auto& r : snap.rate_limits)
                  s.sample({a.exchange(), a.account(), r.name}, static_cast<double>(r.limit));
              });
}

}  // namespace oms::observe
