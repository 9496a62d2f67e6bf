#include "observability.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "oms/actors/gateway.hpp"
#include "oms/actors/observe/health_metrics.hpp"

namespace oms::omsd {
namespace {
// A Decimal as a Prometheus sample (metrics are the one place figures become doubles).
double gauge(Decimal d) { return static_cast<double>(d.raw()) / static_cast<double>(Decimal::kOne); }


using namespace std::chrono_literals;

// A metric read off one kind of view (a quoter's, a strategy's sagas): name, help, type and
// how its value comes from the view (a rendering for Prometheus; nothing decides on it).
template <class View>
struct ViewFigure {
  const char* name;
  const char* help;
  observe::MetricType type;
  double (*value)(const View&);
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string bucket_name(const binance::RateLimitRule& r) {
  switch (r.type) {
    case binance::RateLimitType::kRequestWeight: return "REQUEST_WEIGHT_" + r.header_suffix;
    case binance::RateLimitType::kOrders: return "ORDERS_" + r.header_suffix;
    default: return "RAW_REQUESTS_" + r.header_suffix;
  }
}

}  // namespace

std::string Observability::exchange_of(const std::string& account) const {
  for (const auto& a : daemon_.accounts()) {
    if (a.name == account) return std::string(to_string(a.exchange));
  }
  return "unknown";
}

Observability::Observability(Daemon& daemon)
    : daemon_(daemon), health_(now_ns, observe::HealthThresholds{}) {}

Observability::~Observability() { stop(); }

void Observability::start() {
  for (const auto& a : daemon_.accounts()) {
    account_health_.push_back(&health_.account(std::string(to_string(a.exchange)), a.name));
  }
  health_.component("store", [this]() {
    const auto& log = daemon_.runtime().log();
    const auto lag = log.store_lag();
    const auto failures = log.store_failures();
    const auto again = log.awaiting_resend();
    auto refusal = daemon_.runtime().log().new_orders_refusal();
    observe::ComponentHealth c;
    c.detail = daemon_.options().store + ": " + std::to_string(lag) + " events in flight, " +
               std::to_string(failures) + " append failures since start";
    // Failures stay in the intent log and are handed to the store again; a long queue, records
    // the store gave up on, and an intent log past its new-order limit are degraded.
    if (again > 0) {
      c.detail += "; the store gave up on " + std::to_string(again) +
                  " appends (not acknowledged within the retry window): handed over again until it answers";
    }
    if (!refusal.empty()) c.detail += "; new orders refused: " + refusal;
    c.status = lag > 10'000 || again > 0 || !refusal.empty() ? observe::HealthStatus::kDegraded
                                                              : observe::HealthStatus::kOk;
    return c;
  });
  observe::export_health_metrics(metrics_, health_);
  metrics_.collector("oms_orders", "Orders known to the accounts, by status", observe::MetricType::kGauge,
                     {"exchange", "account", "status"}, [this](observe::CollectorSink& s) {
                       std::lock_guard lock(figures_mutex_);
                       for (const auto& [name, f] : figures_)
                         for (const auto& [status, n] : f.orders_by_status)
                           s.sample({exchange_of(name), name, status}, static_cast<double>(n));
                     });
  metrics_.collector("oms_fills_total", "Fills folded into the accounts (unique trade ids)",
                     observe::MetricType::kCounter, {"exchange", "account"},
                     [this](observe::CollectorSink& s) {
                       std::lock_guard lock(figures_mutex_);
                       for (const auto& [name, f] : figures_)
                         s.sample({exchange_of(name), name}, static_cast<double>(f.fills));
                     });
  metrics_.collector("oms_order_rejects", "Rejected orders by reason code (2xxx risk, 7xxx account, else venue)",
                     observe::MetricType::kGauge, {"exchange", "account", "code"},
                     [this](observe::CollectorSink& s) {
                       std::lock_guard lock(figures_mutex_);
                       for (const auto& [name, f] : figures_)
                         for (const auto& [code, n] : f.rejects_by_code)
                           s.sample({exchange_of(name), name, code}, static_cast<double>(n));
                     });
  metrics_.collector("oms_risk_rejects", "Orders refused by pre-trade risk (codes 2xxx)",
                     observe::MetricType::kGauge, {"exchange", "account"},
                     [this](observe::CollectorSink& s) {
                       std::lock_guard lock(figures_mutex_);
                       for (const auto& [name, f] : figures_) {
                         std::uint64_t n = 0;
                         for (const auto& [code, k] : f.rejects_by_code)
                           if (code.size() == 4 && code[0] == '2') n += k;
                         s.sample({exchange_of(name), name}, static_cast<double>(n));
                       }
                     });
  metrics_.collector("oms_events_committed_total", "Events committed by the account since start",
                     observe::MetricType::kCounter, {"exchange", "account"},
                     [this](observe::CollectorSink& s) {
                       std::lock_guard lock(figures_mutex_);
                       for (const auto& [name, f] : figures_)
                         s.sample({exchange_of(name), name}, static_cast<double>(f.events_committed));
                     });
  metrics_.collector("oms_journal_lag_events", "Events handed to the store and not yet acknowledged",
                     observe::MetricType::kGauge, {}, [this](observe::CollectorSink& s) {
                       s.sample(std::span<const std::string>{},
                                static_cast<double>(daemon_.runtime().log().store_lag()));
                     });
  metrics_.collector("oms_engine_ring_depth", "Inputs waiting in the engine shard's rings (commands, venue reports, market data)",
                     observe::MetricType::kGauge, {}, [this](observe::CollectorSink& s) {
                       s.sample(std::span<const std::string>{},
                                static_cast<double>(daemon_.runtime().engine().inputs_waiting()));
                     });
  metrics_.collector("oms_engine_loop_lag_seconds",
                     "How long inputs have waited for the engine shard: 0 when none waits, else the time since "
                     "its loop last came round (a shard stuck on one input, or starved of its CPU)",
                     observe::MetricType::kGauge, {}, [this](observe::CollectorSink& s) {
                       const auto lag = daemon_.runtime().engine().loop_lag();
                       s.sample(std::span<const std::string>{}, static_cast<double>(lag.count()) / 1e9);
                     });
  metrics_.collector("oms_store_failures_total", "Store appends that failed (republished from the intent log)",
                     observe::MetricType::kCounter, {}, [this](observe::CollectorSink& s) {
                       s.sample(std::span<const std::string>{},
                                static_cast<double>(daemon_.runtime().log().store_failures()));
                     });
  // Per-order origin -> socket write, and the engine's part of it (origin -> the signed order
  // handed to the venue connection's queue): quantiles over the last 65,536 orders per origin.
  for (const bool engine_only : {false, true}) {
    metrics_.collector(
        engine_only ? "oms_order_to_connector_ns" : "oms_order_to_wire_ns",
        engine_only
            ? "New orders: from their input entering omsd to the engine handing the signed order "
              "to the venue connection's queue (the engine's part of oms_order_to_wire_ns)"
            : "New orders: from their input entering omsd (origin api: the gRPC request; "
              "market_data: the depth message read off the socket) to the signed bytes handed to "
              "the venue socket, quantiles over the last 65,536 orders of each origin",
        observe::MetricType::kGauge, {"origin", "quantile"},
        [this, engine_only](observe::CollectorSink& s) {
          for (const auto kind : {SendOriginKind::kApi, SendOriginKind::kMarketData,
                                  SendOriginKind::kEngine}) {
            const auto q = daemon_.send_latency().quantiles(kind, engine_only);
            const std::string origin(to_string(kind));
            s.sample({origin, "0.5"}, static_cast<double>(q.p50));
            s.sample({origin, "0.99"}, static_cast<double>(q.p99));
            s.sample({origin, "0.999"}, static_cast<double>(q.p999));
          }
        });
  }
  // Per account: a new order handed to its venue connection -> the venue's first word about it
  // (AccountSession's AckLatency), as a histogram's three families.
  metrics_.collector("oms_order_ack_seconds_bucket",
                     "New orders of the account answered by the venue (acknowledged, rejected or filled) within "
                     "`le` seconds of the engine handing them to the venue connection (cumulative, as a histogram's buckets)",
                     observe::MetricType::kCounter, {"account", "le"}, [this](observe::CollectorSink& s) {
                       for (const auto& a : daemon_.accounts()) {
                         if (!a.session) continue;
                         const auto& h = a.session->ack_latency().histogram();
                         const auto counts = h.cumulative_counts();
                         for (std::size_t b = 0; b < counts.size(); ++b) {
                           const std::string le = b < h.upper_bounds().size()
                                                      ? observe::format_value(h.upper_bounds()[b])
                                                      : std::string("+Inf");
                           s.sample({a.name, le}, static_cast<double>(counts[b]));
                         }
                       }
                     });
  metrics_.collector("oms_order_ack_seconds_sum", "New orders' time to the venue's first answer, summed (seconds)",
                     observe::MetricType::kCounter, {"account"}, [this](observe::CollectorSink& s) {
                       for (const auto& a : daemon_.accounts()) {
                         if (a.session) s.sample({a.name}, a.session->ack_latency().histogram().sum());
                       }
                     });
  metrics_.collector("oms_order_ack_seconds_count", "New orders answered by the venue (timed)",
                     observe::MetricType::kCounter, {"account"}, [this](observe::CollectorSink& s) {
                       for (const auto& a : daemon_.accounts()) {
                         if (a.session) {
                           s.sample({a.name}, static_cast<double>(a.session->ack_latency().histogram().count()));
                         }
                       }
                     });
  // The account snapshots' times, as a histogram's three families: part="shard" (what each held
  // the engine's shard: the store flushed, its sequence asked, the state encoded) and
  // part="total" (that, then the file written).
  const auto snapshot_parts = [this] {
    return std::array<std::pair<const char*, const observe::Histogram*>, 2>{
        {{"shard", &daemon_.snapshot_shard_times()}, {"total", &daemon_.snapshot_times()}}};
  };
  metrics_.collector("oms_snapshot_seconds_bucket",
                     "Account snapshots taken within `le` seconds; part: shard (the time it held the engine's "
                     "shard: the store flushed, the stream's sequence asked, the state encoded) or total (that, "
                     "then its file written: temp, fsync, rename) (cumulative, as a histogram's buckets)",
                     observe::MetricType::kCounter, {"part", "le"}, [snapshot_parts](observe::CollectorSink& s) {
                       for (const auto& [part, h] : snapshot_parts()) {
                         const auto counts = h->cumulative_counts();
                         for (std::size_t b = 0; b < counts.size(); ++b) {
                           const std::string le = b < h->upper_bounds().size()
                                                      ? observe::format_value(h->upper_bounds()[b])
                                                      : std::string("+Inf");
                           s.sample({part, le}, static_cast<double>(counts[b]));
                         }
                       }
                     });
  metrics_.collector("oms_snapshot_seconds_sum", "Account snapshots' times, summed (seconds)",
                     observe::MetricType::kCounter, {"part"}, [snapshot_parts](observe::CollectorSink& s) {
                       for (const auto& [part, h] : snapshot_parts()) s.sample({part}, h->sum());
                     });
  metrics_.collector("oms_snapshot_seconds_count", "Account snapshots written (timed)",
                     observe::MetricType::kCounter, {"part"}, [snapshot_parts](observe::CollectorSink& s) {
                       for (const auto& [part, h] : snapshot_parts()) s.sample({part}, static_cast<double>(h->count()));
                     });
  metrics_.collector("oms_order_to_wire_count", "New orders traced to the wire since start, by origin",
                     observe::MetricType::kCounter, {"origin"}, [this](observe::CollectorSink& s) {
                       for (const auto kind : {SendOriginKind::kApi, SendOriginKind::kMarketData,
                                               SendOriginKind::kEngine}) {
                         s.sample({std::string(to_string(kind))},
                                  static_cast<double>(daemon_.send_latency().count(kind)));
                       }
                     });
  // Live mode on Vault: the keys' thread (vault_keys.hpp).
  if (const VaultKeys* vault = daemon_.vault_keys()) {
    metrics_.collector("oms_vault_events_total",
                       "Vault since start: token renewals (renewal), failed renewals (renewal_failure), AppRole "
                       "logins after the first (login), rounds of key reads (refresh), key reads that failed "
                       "(read_failure), new key versions installed (rotation)",
                       observe::MetricType::kCounter, {"event"}, [vault](observe::CollectorSink& s) {
                         const auto& st = vault->stats();
                         s.sample({"renewal"}, static_cast<double>(st.renewals.load()));
                         s.sample({"renewal_failure"}, static_cast<double>(st.renewal_failures.load()));
                         s.sample({"login"}, static_cast<double>(st.logins.load()));
                         s.sample({"refresh"}, static_cast<double>(st.refreshes.load()));
                         s.sample({"read_failure"}, static_cast<double>(st.read_failures.load()));
                         s.sample({"rotation"}, static_cast<double>(st.rotations.load()));
                       });
    metrics_.collector("oms_vault_token_ttl_seconds",
                       "The Vault token's TTL as Vault stated it at the last lookup, login or renewal (0: none)",
                       observe::MetricType::kGauge, {}, [vault](observe::CollectorSink& s) {
                         s.sample(std::span<const std::string>{}, static_cast<double>(vault->stats().token_ttl_s.load()));
                       });
  }
  // Each account's fees: its venue's word and exchanges.yaml's, in basis points.
  metrics_.collector("oms_fee_rate_bps",
                     "An account's fee rate on an instrument in basis points: as its venue states it (source venue) "
                     "and as exchanges.yaml configures it (source configured); checked at start",
                     observe::MetricType::kGauge, {"account", "instrument", "kind", "source"},
                     [this](observe::CollectorSink& s) {
                       for (const auto& c : daemon_.fee_checks()) {
                         const auto bps = [](Decimal d) { return gauge(d); };
                         s.sample({c.account, c.instrument, "maker", "configured"}, bps(c.configured.maker_bps));
                         s.sample({c.account, c.instrument, "taker", "configured"}, bps(c.configured.taker_bps));
                         if (!c.venue) continue;
                         s.sample({c.account, c.instrument, "maker", "venue"}, bps(to_bps(c.venue->maker)));
                         s.sample({c.account, c.instrument, "taker", "venue"}, bps(to_bps(c.venue->taker)));
                       }
                     });
  // Premiums of fiat-quoted markets (Upbit's KRW) over Binance, from the engine's marks.
  premiums_ = actors::premium_pairs(daemon_.instrument_table(), ExchangeId::kBinance);
  metrics_.collector(
      "oms_premium_bps",
      "A fiat-quoted market's premium over Binance (Korea's kimchi premium for KRW): its mid in USDT at the "
      "venue's USDT/QUOTE mid against Binance's BASE/USDT mid, in basis points",
      observe::MetricType::kGauge, {"venue", "instrument", "rate_instrument", "reference_instrument"},
      [this](observe::CollectorSink& s) {
        std::lock_guard lock(figures_mutex_);
        const auto& table = daemon_.instrument_table();
        const auto mark = [&](InstrumentId id) { return id.index() < marks_.size() ? marks_[id.index()] : Decimal{}; };
        for (const auto& p : premiums_) {
          const auto bps = actors::premium_bps(mark(p.local), mark(p.rate), mark(p.reference));
          const auto* local = table.find(p.local);
          if (!bps || local == nullptr) continue;  // a mark missing: no sample
          s.sample({std::string(to_string(local->exchange)), local->canonical, table.find(p.rate)->canonical,
                    table.find(p.reference)->canonical},
                   gauge(*bps));
        }
      });
  // Strategies: state, orders, PnL; each market maker's quoting state and counts.
  const auto each_strategy = [this](observe::CollectorSink& s, const auto& emit) {
    std::lock_guard lock(figures_mutex_);
    for (const auto& v : strategies_) {
      if (v) emit(s, daemon_.directory().strategies.name(v->id), *v);
    }
  };
  metrics_.collector("oms_strategy_running", "1 while the strategy runs (0: stopped, reducing or halted)",
                     observe::MetricType::kGauge, {"strategy", "state"},
                     [each_strategy](observe::CollectorSink& s) {
                       each_strategy(s, [](observe::CollectorSink& k, const std::string& name,
                                           const actors::StrategyView& v) {
                         k.sample({name, std::string(enum_name(v.state))},
                                  v.state == StrategyState::kRunning ? 1.0 : 0.0);
                       });
                     });
  metrics_.collector("oms_strategy_orders_total", "Orders and cancels the strategy stage sent since start",
                     observe::MetricType::kCounter, {"strategy"},
                     [each_strategy](observe::CollectorSink& s) {
                       each_strategy(s, [](observe::CollectorSink& k, const std::string& name,
                                           const actors::StrategyView& v) {
                         k.sample({name}, static_cast<double>(v.orders));
                       });
                     });
  metrics_.collector("oms_strategy_pnl", "The strategy's PnL over its accounts at the marks (quote asset)",
                     observe::MetricType::kGauge, {"strategy", "quote", "kind"},
                     [each_strategy](observe::CollectorSink& s) {
                       each_strategy(s, [](observe::CollectorSink& k, const std::string& name,
                                           const actors::StrategyView& v) {
                         for (const auto& f : v.pnl) {
                           if (f.overflow) continue;  // beyond 128 bits: no sample rather than a wrong one
                           const auto figure = [](Int128 e18) {
                             Decimal d;
                             return actors::round_e18(e18, d) ? gauge(d) : 0.0;
                           };
                           k.sample({name, f.quote.str(), "realized"}, figure(f.realized_e18));
                           k.sample({name, f.quote.str(), "unrealized"}, figure(f.unrealized_e18));
                           k.sample({name, f.quote.str(), "fees"}, figure(f.fees_e18));
                           k.sample({name, f.quote.str(), "net"}, figure(f.net_e18()));
                         }
                       });
                     });
  const auto each_quoter = [this, each_strategy](observe::CollectorSink& s, const auto& emit) {
    each_strategy(s, [&](observe::CollectorSink& k, const std::string& name, const actors::StrategyView& v) {
      for (const auto& q : v.quoters) {
        emit(k, std::vector<std::string>{name, daemon_.directory().accounts.name(q.account),
                                         daemon_.directory().instruments.name(q.instrument)},
             q);
      }
    });
  };
  metrics_.collector("oms_quoter_quoting", "1 while the market maker quotes (0: paused -- by state)",
                     observe::MetricType::kGauge, {"strategy", "account", "instrument", "state"},
                     [each_quoter](observe::CollectorSink& s) {
                       each_quoter(s, [](observe::CollectorSink& k, std::vector<std::string> labels,
                                         const actors::QuoterView& q) {
                         labels.emplace_back(to_string(q.state));
                         k.sample(std::span<const std::string>(labels),
                                  q.state == actors::QuoterState::kQuoting ? 1.0 : 0.0);
                       });
                     });
  using QuoterFigure = ViewFigure<actors::QuoterView>;
  for (const QuoterFigure& f : {
           QuoterFigure{"oms_quoter_quotes", "Quotes resting or on their way", observe::MetricType::kGauge,
                        [](const actors::QuoterView& q) { return static_cast<double>(q.quotes); }},
           QuoterFigure{"oms_quoter_inventory",
                        "The strategy's position in the instrument on the account (base units)",
                        observe::MetricType::kGauge,
                        [](const actors::QuoterView& q) { return gauge(q.inventory); }},
           QuoterFigure{"oms_quoter_actions_total", "Places and cancels the market maker sent since start",
                        observe::MetricType::kCounter,
                        [](const actors::QuoterView& q) { return static_cast<double>(q.actions); }},
           QuoterFigure{"oms_quoter_pulls_total",
                        "Times the market maker pulled every quote (shock, stale, stop, loss stop)",
                        observe::MetricType::kCounter,
                        [](const actors::QuoterView& q) { return static_cast<double>(q.pulls); }}}) {
    metrics_.collector(f.name, f.help, f.type, {"strategy", "account", "instrument"},
                       [each_quoter, value = f.value](observe::CollectorSink& s) {
                         each_quoter(s, [value](observe::CollectorSink& k, const std::vector<std::string>& labels,
                                                const actors::QuoterView& q) {
                           k.sample(std::span<const std::string>(labels), value(q));
                         });
                       });
  }
  // Arbitrage sagas (leg risk): outcomes, open, refused, PnL, leg latency, slippage.
  const auto each_arbitrage = [each_strategy](observe::CollectorSink& s, const auto& emit) {
    each_strategy(s, [&](observe::CollectorSink& k, const std::string& name, const actors::StrategyView& v) {
      if (v.kind == actors::StrategyKind::kArbitrage) emit(k, name, v.sagas);
    });
  };
  metrics_.collector("oms_arb_sagas_total", "Arbitrage sagas ended, by outcome (closed_legs: the legs filled "
                     "equally; closed_hedged: a hedge completed them)",
                     observe::MetricType::kCounter, {"strategy", "outcome"},
                     [each_arbitrage](observe::CollectorSink& s) {
                       each_arbitrage(s, [](observe::CollectorSink& k, const std::string& name,
                                            const actors::SagaFiguresView& g) {
                         k.sample({name, "closed_legs"}, static_cast<double>(g.closed - g.hedged));
                         k.sample({name, "closed_hedged"}, static_cast<double>(g.hedged));
                         k.sample({name, "missed"}, static_cast<double>(g.missed));
                         k.sample({name, "unwound"}, static_cast<double>(g.unwound));
                         k.sample({name, "failed"}, static_cast<double>(g.failed));
                       });
                     });
  using SagaFigure = ViewFigure<actors::SagaFiguresView>;
  for (const SagaFigure& f : {
           SagaFigure{"oms_arb_sagas_open", "Arbitrage sagas not ended yet", observe::MetricType::kGauge,
                      [](const actors::SagaFiguresView& g) { return static_cast<double>(g.open); }},
           SagaFigure{"oms_arb_signals_refused_total",
                      "Arbitrage signals not opened: a leg refused (risk, self-trade, balances) before either went out",
                      observe::MetricType::kCounter,
                      [](const actors::SagaFiguresView& g) { return static_cast<double>(g.refused); }},
           SagaFigure{"oms_arb_saga_pnl", "The ended sagas' PnL, fees in the quote asset included (quote asset)",
                      observe::MetricType::kGauge,
                      [](const actors::SagaFiguresView& g) { return gauge(g.pnl); }},
           SagaFigure{"oms_arb_slippage_avg",
                      "Detected minus filled spread per base unit, averaged over sagas whose legs both filled (price units)",
                      observe::MetricType::kGauge,
                      [](const actors::SagaFiguresView& g) {
                        return g.slipped == 0 ? 0.0 : gauge(g.slippage_sum) /
                                                          static_cast<double>(g.slipped);
                      }},
           SagaFigure{"oms_arb_leg_latency_seconds_sum", "Leg latency (legs out -> both answered), summed",
                      observe::MetricType::kCounter,
                      [](const actors::SagaFiguresView& g) { return static_cast<double>(g.latency_sum) / 1e9; }},
           SagaFigure{"oms_arb_leg_latency_seconds_count", "Sagas whose legs were both answered",
                      observe::MetricType::kCounter,
                      [](const actors::SagaFiguresView& g) { return static_cast<double>(g.acked); }}}) {
    metrics_.collector(f.name, f.help, f.type, {"strategy"},
                       [each_arbitrage, value = f.value](observe::CollectorSink& s) {
                         each_arbitrage(s, [value](observe::CollectorSink& k, const std::string& name,
                                                   const actors::SagaFiguresView& g) { k.sample({name}, value(g)); });
                       });
  }
  metrics_.collector("oms_arb_leg_latency_seconds_bucket",
                     "Sagas whose leg latency was at most `le` seconds (cumulative, as a histogram's buckets)",
                     observe::MetricType::kCounter, {"strategy", "le"},
                     [each_arbitrage](observe::CollectorSink& s) {
                       each_arbitrage(s, [](observe::CollectorSink& k, const std::string& name,
                                            const actors::SagaFiguresView& g) {
                         std::uint64_t cumulative = 0;
                         for (std::size_t b = 0; b < actors::kLegLatencyBuckets; ++b) {
                           cumulative += g.latency_buckets[b];
                           const std::string le = b < actors::kLegLatencyBoundsUs.size()
                                                      ? observe::format_value(static_cast<double>(actors::kLegLatencyBoundsUs[b]) / 1e6)
                                                      : std::string("+Inf");
                           k.sample({name, le}, static_cast<double>(cumulative));
                         }
                       });
                     });
  // Kill switches: each scope's state (risk's table, read from any thread) and the automatic
  // trips by reason.
  metrics_.collector(
      "oms_kill_switch_state", "Kill switch per scope: 0 active, 1 reducing only, 2 halted",
      observe::MetricType::kGauge, {"scope", "id"}, [this](observe::CollectorSink& s) {
        const auto risk = daemon_.risk();
        const auto& limits = risk->limits();
        const auto state = [](KillSwitchState k) { return static_cast<double>(static_cast<int>(k)); };
        s.sample({"global", "global"}, state(limits.kill_switch(LimitScope::kGlobal, 0)));
        const Directory& dir = daemon_.directory();
        for (std::size_t i = 0; i < dir.accounts.size(); ++i) {
          const AccountId id(static_cast<AccountId::rep_type>(i));
          s.sample({"account", dir.accounts.name(id)},
                   state(limits.kill_switch(LimitScope::kAccount, static_cast<std::uint32_t>(i))));
        }
        for (std::size_t i = 0; i < dir.strategies.size(); ++i) {
          const StrategyId id(static_cast<StrategyId::rep_type>(i));
          s.sample({"strategy", dir.strategies.name(id)},
                   state(limits.kill_switch(LimitScope::kStrategy, static_cast<std::uint32_t>(i))));
        }
      });
  metrics_.collector("oms_kill_switch_trips_total", "Automatic kill-switch trips since start, by reason",
                     observe::MetricType::kCounter, {"reason"}, [this](observe::CollectorSink& s) {
                       for (const auto r : {actors::TripReason::kDailyLoss, actors::TripReason::kConsecutiveLosses,
                                            actors::TripReason::kDrawdown, actors::TripReason::kRejectRate,
                                            actors::TripReason::kVenueBan}) {
                         s.sample({std::string(actors::to_string(r))},
                                  static_cast<double>(daemon_.runtime().kill_switch_trips(r)));
                       }
                     });
  metrics_.collector(
      "oms_risk_day_pnl_usdt",
      "Risk's PnL of the trading day per scope (USDT at the marks, net of fees; the kill switch's "
      "daily loss is its negative), this daemon's accounts",
      observe::MetricType::kGauge, {"scope", "id"}, [this](observe::CollectorSink& s) {
        const auto& rt = daemon_.runtime();
        s.sample({"global", "global"}, gauge(rt.day_pnl(LimitScope::kGlobal, 0)));
        const Directory& dir = daemon_.directory();
        std::vector<std::string> names;
        {
          std::lock_guard lock(figures_mutex_);
          for (const auto& [name, f] : figures_) names.push_back(name);
        }
        for (const auto& name : names) {
          if (const auto id = dir.accounts.find(name)) {
            s.sample({"account", name}, gauge(rt.day_pnl(LimitScope::kAccount, static_cast<std::uint32_t>(id->index()))));
          }
        }
        for (std::size_t i = 0; i < dir.strategies.size(); ++i) {
          const StrategyId id(static_cast<StrategyId::rep_type>(i));
          s.sample({"strategy", dir.strategies.name(id)},
                   gauge(rt.day_pnl(LimitScope::kStrategy, static_cast<std::uint32_t>(i))));
        }
      });
  metrics_.collector("oms_risk_unpriced_fees_total",
                     "Fees not counted in the day's loss since start: charged in an asset with no "
                     "spot ASSET/USDT mark",
                     observe::MetricType::kCounter, {}, [this](observe::CollectorSink& s) {
                       s.sample(std::span<const std::string>{}, static_cast<double>(daemon_.runtime().unpriced_fees()));
                     });
  net::HttpServerConfig cfg;
  cfg.bind_address = daemon_.options().http.host;
  cfg.port = daemon_.options().http.port;
  // Two I/O threads: a dashboard update (the API's lists, read off the engine like an RPC) on
  // one does not hold /health and /metrics behind it.
  cfg.threads = 2;
  server_ = std::make_unique<observe::ObservabilityServer>(cfg, metrics_, health_);
  server_->set_stream_duration(std::chrono::seconds(daemon_.options().dashboard_stream_s));
  server_->set_dashboard(
      [this](std::string_view authorization, std::string_view peer) { return dashboard(authorization, peer); });
  refresh();
  server_->start();
  thread_ = std::thread([this] { run(); });
}

void Observability::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (server_) server_->stop();
}

void Observability::attach_gateway(actors::GatewayServer* gateway) {
  std::lock_guard lock(gateway_mutex_);
  gateway_ = gateway;
}

observe::DashboardAnswer Observability::dashboard(std::string_view authorization, std::string_view peer) {
  std::string body;
  bool sees_all = false;
  {
    std::lock_guard lock(gateway_mutex_);
    if (gateway_ == nullptr) return {503, "the dashboard is not ready (the gRPC API is not serving)"};
    auto r = gateway_->dashboard(authorization, &sees_all, peer);
    if (!r) {
      const auto& e = r.error();
      const unsigned status = e.status == actors::ApiStatus::kUnauthenticated     ? 401
                              : e.status == actors::ApiStatus::kPermissionDenied  ? 403
                              : e.status == actors::ApiStatus::kResourceExhausted ? 429
                              : e.status == actors::ApiStatus::kInvalidArgument   ? 400
                                                                                  : 503;
      return {status, e.message};
    }
    body = std::move(r).value();
  }
  // The chart: {"interval_ms":1000,"points":[[wall ms,"PnL"|null],..]}. It sums every account:
  // a client restricted to some accounts gets no points and the reason instead.
  if (!sees_all) {
    body.insert(body.size() - 1,
                R"(,"pnl":{"interval_ms":1000,"points":[],"withheld":"the unified PnL covers every )"
                R"(account; this client sees only its own"})");
    return {200, std::move(body)};
  }
  std::string pnl = R"(,"pnl":{"interval_ms":1000,"points":[)";
  {
    std::lock_guard lock(pnl_mutex_);
    bool first = true;
    for (const auto& [ms, value] : pnl_) {
      if (!first) pnl += ',';
      first = false;
      pnl += '[' + std::to_string(ms) + ',' + (value ? '"' + value->to_string() + '"' : std::string("null")) + ']';
    }
  }
  pnl += "]}";
  body.insert(body.size() - 1, pnl);
  return {200, std::move(body)};
}

void Observability::run() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_cv_.wait_for(lock, 1s, [this] { return stopping_; })) {
    lock.unlock();
    try {
      refresh();
    } catch (const std::exception& e) {
      spdlog::error("health refresh: {}", e.what());
    }
    lock.lock();
  }
}

void Observability::refresh() {
  const auto& accounts = daemon_.accounts();
  std::map<std::string, AccountFigures> figures;
  const auto refusals = daemon_.runtime().refusals();
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const auto& a = accounts[i];
    auto& h = *account_health_[i];
    std::optional<std::string> refused;
    for (const auto& r : refusals) {
      if (r.account == a.id) refused = r.message();
    }
    h.set_refused(refused);
    const auto& stats = a.session->stats();
    bool streams_up = true;
    for (const Market m : a.markets) {
      if (const Exchange* e = a.session->exchange(m)) streams_up = streams_up && e->user_stream_connected();
    }
    h.set_connected(stats.started.load() && !stats.failed.load() && streams_up);
    if (stats.failed.load()) h.set_error(stats.last_error);
    if (const auto t = stats.last_report_ns.load(); t > 0) h.mark_user_data_at(t);
    std::int64_t md = 0;
    for (const Market m : a.markets) {
      md = std::max(md, daemon_.market_data(a.exchange, m).last_ns.load());
      auto* venue = daemon_.venue(m);
      // Bybit, OKX and Upbit: the account's order budget (orders per second, held while the
      // venue's limit headers say it is spent), per market.
      std::optional<OrderBudgetUse> budget;
      if (a.exchange == ExchangeId::kBybit && daemon_.bybit_venue(m) != nullptr) budget = daemon_.bybit_venue(m)->order_budget(a.id);
      if (a.exchange == ExchangeId::kOkx && daemon_.okx_venue(m) != nullptr) budget = daemon_.okx_venue(m)->order_budget(a.id);
      if (a.exchange == ExchangeId::kUpbit && daemon_.upbit_venue() != nullptr) budget = daemon_.upbit_venue()->order_budget(a.id);
      if (budget) {
        // Held by the venue: shown as spent until the hold ends.
        const std::uint32_t used = budget->venue_hold_until_ms > 0 ? budget->limit : budget->used;
        h.set_rate_limit(std::string(to_string(m)) + ".ORDERS_1S", used, budget->limit);
      }
      // A venue's IP ban (Binance 418, Bybit 403, Upbit 418): every order of the market is
      // refused (naming the ban's end) until it ends.
      const TimeNs now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
      if (const auto ban = daemon_.venue_ban(a.exchange, m); ban.until_ns > now) {
        // The kill switch hears it (a recorded input; it trips once per new or longer ban).
        (void)daemon_.runtime().venue_banned(a.id, ban.until_ns);
        h.set_error(std::string(to_string(a.exchange)) + " " + std::string(to_string(m)) +
                    ": the venue banned this IP (HTTP " + std::to_string(ban.status) + ") until " +
                    std::to_string(ban.until_ns / 1'000'000) + " ms (in " + std::to_string((ban.until_ns - now) / 1'000'000) +
                    " ms); orders are refused until then");
      }
      if (a.exchange != ExchangeId::kBinance || venue == nullptr) continue;
      const auto index = venue->account_index(a.id);
      for (const auto& rule : binance::default_rate_limits(m)) {
        const std::string name = std::string(to_string(m)) + "." + bucket_name(rule);
        h.set_rate_limit(name, venue->used(rule.type, rule.header_suffix, *index), rule.limit);
      }
    }
    if (md > 0) h.mark_market_data_at(md);
    // Counted on the shard (no order or fill copied: 200 accounts' views were ~90,000 order
    // copies a second on the shard in the throughput run).
    const auto view = daemon_.summary(i);
    if (!view) {
      h.set_error("the engine did not answer the account's view request");
      continue;
    }
    AccountFigures f;
    for (const auto& [st, n] : view->tally.by_status) f.orders_by_status[std::string(enum_name(st))] += n;
    for (const auto& [code, n] : view->tally.rejects_by_code) f.rejects_by_code[std::to_string(code)] += n;
    f.fills = view->tally.fills;
    f.events_committed = view->events_committed;
    h.set_open_orders(static_cast<std::int64_t>(view->tally.open));
    figures.emplace(a.name, std::move(f));
  }
  std::vector<actors::StrategyViewPtr> strategies;
  for (std::size_t i = 0; i < daemon_.directory().strategies.size(); ++i) {
    auto v = daemon_.runtime().strategy(StrategyId(static_cast<std::uint16_t>(i)), 2s);
    strategies.push_back(v ? *v : nullptr);
  }
  std::vector<Decimal> marks;
  if (!premiums_.empty()) {
    auto m = daemon_.runtime().marks(2s);
    if (m) marks = std::move(*m);
  }
  // The chart's sample, read as ListPositions --unified reads the engine's views.
  {
    std::optional<std::optional<Decimal>> sample;
    {
      std::lock_guard gate(gateway_mutex_);
      if (gateway_ != nullptr) sample = gateway_->unified_pnl_usdt();
    }
    if (sample) {
      std::lock_guard pnl(pnl_mutex_);
      pnl_.emplace_back(now_ns() / 1'000'000, *sample);
      while (pnl_.size() > kPnlPoints) pnl_.pop_front();
    }
  }
  std::lock_guard lock(figures_mutex_);
  figures_ = std::move(figures);
  strategies_ = std::move(strategies);
  marks_ = std::move(marks);
}

}  // namespace oms::omsd
