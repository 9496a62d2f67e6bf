#include "kill_sweep.hpp"

#include <spdlog/spdlog.h>

#include "daemon.hpp"

namespace oms::omsd {

KillSweep::KillSweep(Daemon& daemon, observe::Metrics& metrics) : daemon_(daemon) {
  sweeps_ = &metrics.counter("oms_kill_sweeps_total",
                             "venue sweeps (cancel every open order at the venue) after a kill switch tripped to halted");
  for (const auto& a : daemon_.accounts()) {
    counters_[a.id] = AccountCounters{
        &metrics.counter("oms_kill_sweep_orders_total", "orders the venue canceled in kill-switch sweeps, by account",
                         {{"account", a.name}}),
        &metrics.counter("oms_kill_sweep_errors_total",
                         "kill-switch sweep calls the venue refused or that failed, by account", {{"account", a.name}})};
  }
  thread_ = std::thread([this] { run(); });
}

KillSweep::~KillSweep() { stop(); }

void KillSweep::on_trip(const TripKillSwitch& trip) {
  if (trip.state != KillSwitchState::kHalted || trip.scope == LimitScope::kStrategy) return;
  {
    std::lock_guard lock(mu_);
    if (stop_) {
      spdlog::error("kill sweep: omsd is stopping, the venue sweep of this trip does not run");
      return;
    }
    queue_.push_back(trip);
  }
  cv_.notify_one();
}

void KillSweep::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void KillSweep::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to sweep
    const TripKillSwitch trip = queue_.front();
    queue_.pop_front();
    lock.unlock();
    sweep(trip);
    lock.lock();
  }
}

void KillSweep::sweep(const TripKillSwitch& trip) {
  sweeps_->inc();
  const bool global = trip.scope == LimitScope::kGlobal;
  const auto& instruments = daemon_.instruments();
  const auto md = daemon_.market_data_instruments();
  bool any = false;
  for (const auto& a : daemon_.accounts()) {
    if (!global && a.id != trip.account) continue;
    any = true;
    const AccountCounters& c = counters_.at(a.id);
    std::uint32_t total = 0;
    for (const Market m : a.markets) {
      Exchange* x = a.session ? a.session->exchange(m) : nullptr;
      if (x == nullptr) {
        c.errors->inc();
        spdlog::error("kill sweep: account {} {} {}: no connection to sweep", a.name, to_string(a.exchange),
                      to_string(m));
        continue;
      }
      for (const InstrumentId id : md) {
        const Instrument& in = instruments[id.index()];
        if (in.exchange != a.exchange || in.market != m) continue;
        auto r = x->cancel_all(id);
        if (!r) {
          c.errors->inc();
          spdlog::error("kill sweep: account {} {} {} {}: {} (venue code {})", a.name, to_string(a.exchange),
                        to_string(m), in.venue_symbol, r.error().message, r.error().venue_code);
          continue;
        }
        total += *r;
        c.orders->inc(*r);
        // An order the venue took off is news (the engine may not have known it); none is routine.
        spdlog::log(*r > 0 ? spdlog::level::warn : spdlog::level::info,
                    "kill sweep: account {} {} {} {}: the venue canceled {} open order(s)", a.name,
                    to_string(a.exchange), to_string(m), in.venue_symbol, *r);
      }
    }
    spdlog::warn("kill sweep: account {}: {} order(s) canceled at the venue", a.name, total);
  }
  if (!any) spdlog::error("kill sweep: account id {} is not run here: nothing swept", trip.account.value);
}

}  // namespace oms::omsd
