// The HealthBoard as Prometheus gauges (collectors, computed at scrape time), so alerts can be
// written on the same facts /health shows:
//
//   oms_health_status{exchange,account}              0 ok, 1 degraded, 2 down
//   oms_session_connected{exchange,account}          1 / 0
//   oms_market_data_age_seconds{exchange,account}    absent until the first message
//   oms_user_data_age_seconds{exchange,account}      absent until the first message
//   oms_open_orders{exchange,account}
//   oms_rate_limit_used{exchange,account,limit}      one series per rate-limit bucket
//   oms_rate_limit_max{exchange,account,limit}
#pragma once

#include "oms/actors/observe/health_board.hpp"
#include "oms/actors/observe/metrics.hpp"

namespace oms::observe {

// Registers the collectors above; `board` must outlive `metrics`' scrapes.
void export_health_metrics(Metrics& metrics, const HealthBoard& board);

}  // namespace oms::observe
