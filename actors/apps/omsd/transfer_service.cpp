#include "transfer_service.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "daemon.hpp"
#include "oms/cores/event_group.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "oms/transfers/transfer_plan.hpp"

namespace oms::omsd {

using namespace std::chrono_literals;
using actors::TransferInfo;
using actors::TransferSagaState;

namespace {

TimeNs wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The cause of a transfer's step (0: its request, 1: its outcome): the same every time, so the
// step's event id is too and the store keeps one copy of it.
EventId step_cause(std::uint64_t transfer_id, std::uint64_t step) {
  return (actors::group_key(transfer_id ^ 0x5452414E53464552ULL) << 1U) | step;
}

std::uint64_t transfer_of(const EventPayload& p) {
  return std::visit(
      [](const auto& e) -> std::uint64_t {
        if constexpr (requires { e.transfer_id; }) return e.transfer_id;
        return 0;
      },
      p);
}

// A recorded step into the transfer's status.
void apply_step(TransferInfo& t, const EventPayload& p) {
  if (std::holds_alternative<TransferRequested>(p)) {
    t.status = "requested";
  } else if (const auto* c = std::get_if<TransferCompleted>(&p)) {
    t.status = "completed";
    t.venue_transfer_id = std::string(c->venue_transfer_id.view());
  } else if (const auto* f = std::get_if<TransferFailed>(&p)) {
    t.status = "failed";
    t.code = f->code;
    t.venue_code = f->venue_code;
    t.reason = std::string(f->reason.view());
  }
}

bool ended(const TransferInfo& t) { return t.status == "completed" || t.status == "failed"; }

// The USDT the rebalance weighs and moves, of one account's balances: on Binance the spot
// wallet's (the sub-account transfers move spot to spot; USD-M's is the account's own, moved by
// the universal transfer only); on Bybit and OKX the one unified wallet's, as the connection
// that reports the wallet tags it (spot, or USD-M when the account trades no spot). None held:
// zero.
template <class Balances>
transfers::RebalanceHolding rebalance_usdt(ExchangeId exchange, const Balances& balances) {
  for (const auto& b : balances) {
    if (b.asset.view() != "USDT") continue;
    if (exchange == ExchangeId::kBinance && b.market != Market::kSpot) continue;
    return {b.free, b.locked};
  }
  return {};
}

}  // namespace

TransferService::TransferService(Daemon& daemon, observe::Metrics& metrics) : daemon_(daemon) {
  completed_ = &metrics.counter("oms_transfers_completed_total", "wallet and sub-account transfers completed");
  failed_ = &metrics.counter("oms_transfers_failed_total", "wallet and sub-account transfers failed");
  if (auto* spot = daemon_.venue(Market::kSpot)) binance_ = std::make_unique<transfers::BinanceTransfers>(*spot);
  if (daemon_.bybit_venue(Market::kSpot) != nullptr || daemon_.bybit_venue(Market::kUsdm) != nullptr) {
    bybit_ = std::make_unique<transfers::BybitTransfers>(daemon_.bybit_venue(Market::kSpot), daemon_.bybit_venue(Market::kUsdm));
  }
  if (daemon_.okx_venue(Market::kSpot) != nullptr || daemon_.okx_venue(Market::kUsdm) != nullptr) {
    okx_ = std::make_unique<transfers::OkxTransfers>(daemon_.okx_venue(Market::kSpot), daemon_.okx_venue(Market::kUsdm));
  }
  runner_ = std::make_unique<transfers::TransferRunner>(
      [this](ExchangeId e) -> transfers::TransferVenue* {
        switch (e) {
          case ExchangeId::kBinance: return binance_.get();
          case ExchangeId::kBybit: return bybit_.get();
          case ExchangeId::kOkx: return okx_.get();
          default: return nullptr;
        }
      },
      [this](const EventPayload& step) { return persist(step); });
  runner_->on_unknown([](std::uint64_t id, std::string_view why) {
    spdlog::warn("transfer {}: outcome not known from the send ({}): asking the venue before anything is sent again", id, why);
  });
  // What the TRANSFERS stream holds: every transfer known by id, the unfinished ones resumed.
  // Daemons sharing a NATS cluster (omsd --accounts) share the stream: a transfer signed by an
  // account another daemon runs is that daemon's to list and resume.
  const auto& run_here = daemon_.options().accounts;
  const auto another_daemons = [&](const TransferRequested& r) {
    if (run_here.empty()) return false;
    auto plan = transfers::plan_transfer(daemon_.config().accounts, r);
    if (!plan) return false;
    const auto& signer = daemon_.directory().accounts.name(plan->signer);
    return std::find(run_here.begin(), run_here.end(), signer) == run_here.end();
  };
  std::size_t elsewhere = 0;
  std::vector<Event> events;
  actors::read_events(daemon_.store(),
                      persistence::ReadRequest{std::string(persistence::StreamLayout::kTransfers), 1, 0, {}},
                      daemon_.directory(), [&](const Event& e) { events.push_back(e); });
  for (auto& recorded : actors::recorded_transfers(events)) {
    if (another_daemons(recorded.request)) {
      ++elsewhere;
      continue;
    }
    Entry e;
    e.info.request = recorded.request;
    e.info.requested_ms = recorded.requested_ms;
    for (const Event& step : recorded.events) apply_step(e.info, step.payload);
    const std::uint64_t id = recorded.request.transfer_id;
    if (e.info.status == "completed") claimed_.push_back(e.info.venue_transfer_id);
    if (!recorded.finished()) {
      e.info.status = "unknown";
      auto ends = ends_of(recorded.request);
      if (ends) {
        e.ends = *ends;
        e.runnable = true;
        resume_.push_back(std::move(recorded));
      } else {
        e.info.reason = ends.error();
        spdlog::error("transfer {}: recorded without an outcome and cannot be resumed here: {}", id, e.info.reason);
      }
    }
    entries_.emplace(id, std::move(e));
    order_.push_back(id);
  }
  spdlog::info("transfers: {} recorded, {} unfinished resumed first{}", order_.size(), resume_.size(),
               elsewhere == 0 ? std::string() : ", " + std::to_string(elsewhere) + " signed by other daemons' accounts left to them");
  thread_ = std::thread([this] { run(); });
  // The exchanges the rebalance plans: those whose transfers this daemon sends, when it runs
  // every account of the exchange -- a plan weighs each account's free balance, and another
  // daemon's accounts would count as empty.
  const auto& rebalance = daemon_.config().accounts.routing.rebalance;
  std::string left_out;
  for (const auto& [exchange, venue] : {std::pair<ExchangeId, bool>{ExchangeId::kBinance, binance_ != nullptr},
                                        {ExchangeId::kBybit, bybit_ != nullptr},
                                        {ExchangeId::kOkx, okx_ != nullptr}}) {
    if (!venue) continue;
    std::string elsewhere_account;
    for (const auto& a : daemon_.config().accounts.accounts) {
      if (a.exchange == exchange && !run_here.empty() &&
          std::find(run_here.begin(), run_here.end(), a.name) == run_here.end()) {
        elsewhere_account = a.name;
        break;
      }
    }
    if (elsewhere_account.empty()) {
      rebalanced_.push_back(exchange);
    } else {
      left_out += std::string(left_out.empty() ? "" : "; ") + std::string(to_string(exchange)) + " (--accounts left '" +
                  elsewhere_account + "' to another daemon)";
    }
  }
  if (rebalance && rebalance->enabled) {
    std::string planned;
    for (const ExchangeId e : rebalanced_) planned += std::string(planned.empty() ? "" : ", ") + std::string(to_string(e));
    spdlog::info("rebalance: scheduled here for {}{}", planned.empty() ? "no exchange" : planned,
                 left_out.empty() ? std::string() : "; not for " + left_out);
    if (!rebalanced_.empty()) scheduler_ = std::thread([this] { schedule(); });
  }
}

TransferService::~TransferService() { stop(); }

void TransferService::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  schedule_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t TransferService::new_transfer_id() {
  // Wall-clock ns as the gateway's command ids, never one already held.
  std::lock_guard lock(mu_);
  auto id = static_cast<std::uint64_t>(wall_ns());
  while (entries_.count(id) != 0) ++id;
  return id;
}

void TransferService::refuse(const TransferRequested& r, std::uint16_t code, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    Entry e;
    e.info.request = r;
    e.info.status = "requested";
    e.info.requested_ms = wall_ns() / 1'000'000;
    entries_.emplace(r.transfer_id, std::move(e));
    order_.push_back(r.transfer_id);
  }
  TransferFailed f;
  f.transfer_id = r.transfer_id;
  f.code = code;
  (void)f.reason.assign(reason.substr(0, ReasonText::kCapacity));
  if (!persist(r) || !persist(f)) {
    fail_unrecorded(r.transfer_id, "the store refused the refusal's record");
  }
  std::lock_guard lock(mu_);
  // The entry says the reason in full (the recorded one is cut to ReasonText's size).
  auto& t = entries_.at(r.transfer_id).info;
  t.status = "failed";
  t.code = code;
  t.reason = reason;
}

TransferService::RebalanceRun TransferService::run_rebalance() {
  RebalanceRun out;
  auto plan = plan_rebalance();
  if (!plan) {
    spdlog::error("scheduled rebalance: not run: {}", plan.error());
    return out;
  }
  for (const auto& r : plan->refused) {
    spdlog::warn("scheduled rebalance: the plan leaves {} USDT {} -> {}: {}", r.amount.to_string(),
                 daemon_.directory().accounts.name(r.from), daemon_.directory().accounts.name(r.to), r.reason);
  }
  // The balances of the moment (USDT, free and locked), moved by each transfer done.
  const auto& configured = daemon_.config().accounts;
  auto holdings = rebalance_holdings();
  if (!holdings) {
    spdlog::error("scheduled rebalance: not run: {}", holdings.error());
    return out;
  }
  std::vector<transfers::RebalanceHolding>& held = *holdings;
  for (const actors::PlannedTransfer& p : plan->transfers) {
    ++out.planned;
    TransferRequested r;
    r.transfer_id = new_transfer_id();
    r.from_account = p.from;
    r.to_account = p.to;
    (void)r.asset.assign("USDT");
    r.amount = p.amount;
    const std::string what = daemon_.directory().accounts.name(p.from) + " -> " +
                             daemon_.directory().accounts.name(p.to) + " " + p.amount.to_string() + " USDT";
    if (const auto refusal = transfers::check_rebalance_transfer(configured, p, held)) {
      refuse(r, refusal->code, refusal->reason);
      ++out.refused;
      spdlog::warn("scheduled rebalance: transfer {} {} refused ({}): {}", r.transfer_id, what, refusal->code,
                   refusal->reason);
      continue;
    }
    auto done = request(r, 15s);
    const std::string status = done ? done->status : "failed";
    spdlog::info("scheduled rebalance: transfer {} {}: {}{}", r.transfer_id, what, status,
                 done ? (done->reason.empty() ? "" : ": " + done->reason) : ": " + done.error());
    if (done && done->status == "completed") {
      ++out.completed;
      auto& from = held[p.from.index()];
      auto& to = held[p.to.index()];
      if (const auto f = from.free.sub(p.amount)) from.free = *f;
      if (const auto t = to.free.add(p.amount)) to.free = *t;
    } else {
      ++out.failed;
    }
  }
  return out;
}

void TransferService::schedule() {
  pthread_setname_np(pthread_self(), "oms-rebalance");
  const configs::Rebalance rule = *daemon_.config().accounts.routing.rebalance;
  const TimeNs started = wall_ns();
  std::unique_lock lock(mu_);
  for (;;) {
    const TimeNs due = transfers::next_rebalance(rule, started, wall_ns());
    spdlog::info("scheduled rebalance: next at {} ns (UTC)", due);
    // The wall clock decides (a daily run at its UTC time): waits in steps of at most 1 s.
    while (!stop_ && wall_ns() < due) {
      const auto left = std::chrono::nanoseconds(due - wall_ns());
      schedule_cv_.wait_for(lock, std::min<std::chrono::nanoseconds>(left, 1s));
    }
    if (stop_) return;
    lock.unlock();
    const RebalanceRun r = run_rebalance();
    spdlog::info("scheduled rebalance: {} planned, {} completed, {} refused, {} failed", r.planned, r.completed,
                 r.refused, r.failed);
    lock.lock();
  }
}

Result<transfers::TransferEnds, std::string> TransferService::ends_of(const TransferRequested& r) const {
  auto plan = transfers::plan_transfer(daemon_.config().accounts, r);
  if (!plan) return Unexpected<std::string>{"to_account: " + plan.error()};
  const std::string signer = daemon_.directory().accounts.name(plan->signer);
  const std::string venue(to_string(plan->exchange));
  transfers::TransferEnds ends;
  ends.plan = *plan;
  // The connector (spot first, else USD-M) that holds the signing key.
  const auto find = [&](auto* spot, auto* usdm) -> bool {
    for (auto [m, v] : {std::pair{Market::kSpot, spot}, std::pair{Market::kUsdm, usdm}}) {
      if (v == nullptr) continue;
      if (const auto index = v->account_index(plan->signer)) {
        ends.signer = *index;
        ends.signer_market = m;
        return true;
      }
    }
    return false;
  };
  bool found = false;
  switch (plan->exchange) {
    case ExchangeId::kBinance: {
      auto* spot = daemon_.venue(Market::kSpot);
      const auto index = spot != nullptr ? spot->account_index(plan->signer) : std::nullopt;
      if (index) {
        ends.signer = *index;
        found = true;
      }
      if (!found)
        return Unexpected<std::string>{"from_account: '" + signer +
                                       "' signs this transfer and has no Binance spot key in this daemon"};
      break;
    }
    case ExchangeId::kBybit:
      found = find(daemon_.bybit_venue(Market::kSpot), daemon_.bybit_venue(Market::kUsdm));
      break;
    case ExchangeId::kOkx:
      found = find(daemon_.okx_venue(Market::kSpot), daemon_.okx_venue(Market::kUsdm));
      break;
    default:
      break;
  }
  if (!found)
    return Unexpected<std::string>{"from_account: '" + signer + "' signs this transfer and has no " + venue +
                                   " key in this daemon"};
  return ends;
}

Result<TransferInfo, std::string> TransferService::request(const TransferRequested& r,
                                                           std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (const auto it = entries_.find(r.transfer_id); it != entries_.end()) {
    TransferInfo first = it->second.info;
    first.duplicate = true;
    return first;
  }
  if (stop_) return Unexpected<std::string>{"transfer: omsd is stopping"};
  auto ends = ends_of(r);
  if (!ends) return Unexpected<std::string>{ends.error()};
  Entry e;
  e.info.request = r;
  e.info.status = "requested";
  e.info.requested_ms = wall_ns() / 1'000'000;
  e.ends = *ends;
  e.runnable = true;
  entries_.emplace(r.transfer_id, std::move(e));
  order_.push_back(r.transfer_id);
  queue_.push_back(r.transfer_id);
  work_cv_.notify_all();
  const TransferInfo& t = entries_.at(r.transfer_id).info;
  done_cv_.wait_for(lock, wait, [&] { return stop_ || ended(t) || t.status == "unknown"; });
  return t;
}

std::vector<TransferInfo> TransferService::recent(std::size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<TransferInfo> out;
  for (auto it = order_.rbegin(); it != order_.rend() && out.size() < limit; ++it) out.push_back(entries_.at(*it).info);
  return out;
}

Result<std::vector<transfers::RebalanceHolding>, std::string> TransferService::rebalance_holdings() const {
  std::vector<transfers::RebalanceHolding> held(daemon_.config().accounts.accounts.size());
  for (const auto& a : daemon_.accounts()) {
    if (std::find(rebalanced_.begin(), rebalanced_.end(), a.exchange) == rebalanced_.end()) continue;
    auto v = daemon_.runtime().view(a.id, 2s);
    if (!v || !*v) return Unexpected<std::string>{"account " + a.name + ": the engine did not answer"};
    if (a.id.index() < held.size()) held[a.id.index()] = rebalance_usdt(a.exchange, (*v)->balances);
  }
  return held;
}

Result<actors::RebalancePlan, std::string> TransferService::plan_rebalance() {
  if (rebalanced_.empty()) {
    return Unexpected<std::string>{"no exchange to plan: this daemon sends no Binance, Bybit or OKX transfers, or "
                                   "--accounts left some of each exchange's accounts to another daemon"};
  }
  const auto& configured = daemon_.config().accounts;
  auto held = rebalance_holdings();
  if (!held) return Unexpected<std::string>{held.error()};
  std::vector<Decimal> free(held->size());
  for (std::size_t i = 0; i < free.size(); ++i) free[i] = (*held)[i].free;
  // One plan per exchange (a family never spans two), in the order Binance, Bybit, OKX.
  actors::RebalancePlan all;
  for (const ExchangeId exchange : rebalanced_) {
    const auto in = transfers::rebalance_input(configured, exchange, free);
    auto plan = actors::plan_rebalance(in.accounts, in.rules);
    if (!plan) return Unexpected<std::string>{std::string(to_string(exchange)) + ": " + plan.error()};
    all.transfers.insert(all.transfers.end(), plan->transfers.begin(), plan->transfers.end());
    all.refused.insert(all.refused.end(), plan->refused.begin(), plan->refused.end());
  }
  return all;
}

bool TransferService::persist(const EventPayload& step) {
  // Recorded before anything after it is done: the intent log at commit (it survives a crash
  // of omsd and is published again at the next start), then the store.
  const std::uint64_t id = transfer_of(step);
  const TimeNs now = wall_ns();
  const Envelope cause{step_cause(id, std::holds_alternative<TransferRequested>(step) ? 0 : 1), 0, now, now, 0, 0};
  auto committed = daemon_.runtime().log().commit(cause, {&step, 1}, now, now);
  if (!committed) {
    spdlog::error("transfer {}: step not recorded, nothing more is done for it now: {}", id,
                  committed.error().store.message);
    std::lock_guard lock(mu_);
    last_store_error_ = committed.error().store.message;
    return false;
  }
  if (auto f = daemon_.runtime().log().flush(5s); !f) {
    spdlog::warn("transfer {}: step in the intent log, the store has not acknowledged it yet: {}", id, f.error().message);
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(id); it != entries_.end()) apply_step(it->second.info, step);
  }
  if (std::holds_alternative<TransferCompleted>(step)) completed_->inc();
  if (std::holds_alternative<TransferFailed>(step)) failed_->inc();
  done_cv_.notify_all();
  return true;
}

void TransferService::fail_unrecorded(std::uint64_t id, const std::string& why) {
  std::lock_guard lock(mu_);
  auto& t = entries_.at(id).info;
  t.status = "failed";
  t.code = kTransferNotRecorded;
  t.reason = "not recorded, not sent: " + why;
}

void TransferService::settle(std::uint64_t id) {
  {
    std::lock_guard lock(mu_);
    Entry& e = entries_.at(id);
    const TransferSagaState s = e.saga->state();
    if (s == TransferSagaState::kUnknown) {
      e.info.status = "unknown";
    } else if (s == TransferSagaState::kRequested && e.info.status == "requested") {
      // The request itself was not recorded: nothing was sent.
    } else if (!ended(e.info)) {
      e.info.status = std::string(to_string(s));
    }
  }
  done_cv_.notify_all();
}

void TransferService::run() {
  pthread_setname_np(pthread_self(), "oms-transfers");
  // The transfers a crash left without an outcome: the venue is asked first (never sent twice).
  for (const auto& recorded : resume_) {
    const std::uint64_t id = recorded.request.transfer_id;
    transfers::TransferEnds ends;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      ends = entries_.at(id).ends;
    }
    auto saga = runner_->resume(recorded, ends, claimed_);
    if (!saga) continue;
    spdlog::warn("transfer {}: resumed after a restart: {} (sends by this run so far: {})", id,
                 to_string(saga->state()), runner_->sends());
    {
      std::lock_guard lock(mu_);
      entries_.at(id).saga = std::move(saga);
    }
    settle(id);
  }
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait_for(lock, kRetry, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::vector<std::uint64_t> fresh(queue_.begin(), queue_.end());
    queue_.clear();
    std::vector<std::uint64_t> asking;
    for (const auto& [id, e] : entries_) {
      if (e.saga && e.saga->state() == TransferSagaState::kUnknown) asking.push_back(id);
    }
    lock.unlock();
    for (const std::uint64_t id : fresh) {
      Entry* e = nullptr;  // map nodes stay put; only this thread touches a saga
      TransferRequested r;
      {
        std::lock_guard l(mu_);
        e = &entries_.at(id);
        r = e->info.request;
        last_store_error_.clear();
      }
      auto saga = runner_->start(r, e->ends, wall_ns() / 1'000'000);
      const bool unrecorded = saga.state() == TransferSagaState::kRequested;
      std::string store_error;
      {
        std::lock_guard l(mu_);
        store_error = last_store_error_;
        e->saga = std::move(saga);
      }
      if (unrecorded) {
        fail_unrecorded(id, store_error.empty() ? std::string("the store refused it") : store_error);
        done_cv_.notify_all();
        continue;
      }
      settle(id);
      spdlog::info("transfer {}: {}", id, to_string(e->saga->state()));
    }
    for (const std::uint64_t id : asking) {
      Entry* e = nullptr;
      {
        std::lock_guard l(mu_);
        e = &entries_.at(id);
      }
      runner_->retry(*e->saga, e->ends);
      settle(id);
    }
    lock.lock();
  }
}

}  // namespace oms::omsd
