#include "account_session.hpp"

#include "oms/cores/batch.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace oms::omsd {

namespace {

TimeNs wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t cid_key(std::string_view cid) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (const char c : cid) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h | 1U;  // never 0 (an empty slot)
}

}  // namespace

AckLatency::AckLatency()
    : slots_(std::make_unique<Slot[]>(kSlots)), histogram_(observe::Histogram::latency_buckets()) {}

void AckLatency::sent(std::string_view client_order_id, TimeNs at) noexcept {
  const std::uint64_t key = cid_key(client_order_id);
  Slot& s = slots_[key & (kSlots - 1)];
  s.key.store(0, std::memory_order_relaxed);  // a reader never pairs the new time with the old key
  s.at.store(at, std::memory_order_relaxed);
  s.key.store(key, std::memory_order_release);  // release: the time is in before the key
}

bool AckLatency::answered(std::string_view client_order_id, TimeNs at) noexcept {
  std::uint64_t key = cid_key(client_order_id);
  Slot& s = slots_[key & (kSlots - 1)];
  if (s.key.load(std::memory_order_acquire) != key) return false;
  const TimeNs sent_at = s.at.load(std::memory_order_relaxed);
  // One report of each order claims it (the REST answer and the stream's event race).
  if (!s.key.compare_exchange_strong(key, 0, std::memory_order_acq_rel)) return false;
  histogram_.observe_ns(std::max<TimeNs>(0, at - sent_at));
  return true;
}

AccountSession::AccountSession(std::string name, std::shared_ptr<const std::vector<Market>> markets,
                               Exchange* spot, Exchange* usdm)
    : name_(std::move(name)), markets_(std::move(markets)), spot_(spot), usdm_(usdm) {}

Exchange* AccountSession::exchange(Market m) const noexcept {
  return m == Market::kSpot ? spot_ : m == Market::kUsdm ? usdm_ : nullptr;
}

void AccountSession::start(ReportSink sink) {
  auto shared_sink = std::make_shared<ReportSink>(std::move(sink));
  for (Exchange* e : {spot_, usdm_}) {
    if (e == nullptr) continue;
    auto r = e->start([this, shared_sink](const ExchangeReport& rep) {
      const TimeNs now = wall_ns();
      stats_.last_report_ns.store(now, std::memory_order_relaxed);
      std::visit(
          [&](const auto& p) {
            if constexpr (requires { p.client_order_id.view(); }) (void)ack_.answered(p.client_order_id.view(), now);
          },
          rep.payload);
      stats_.reports.fetch_add(1, std::memory_order_relaxed);
      (*shared_sink)(VenueReport{rep.report_id, rep.venue_time, rep.payload});
    });
    if (!r) {
      // The account stays up: its orders time out and are queried; health shows the error.
      stats_.last_error = std::string(to_string(e->market())) + ": " + r.error().message;
      stats_.failed.store(true);
      spdlog::error("account {}: {} session did not start: {}", name_, to_string(e->market()),
                    r.error().message);
    }
  }
  sync_balances(*shared_sink);
  stats_.started.store(true);
}

namespace {
EventId sync_id(AccountId account, Market market, std::string_view what, std::uint64_t key,
                TimeNs at) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto add = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xffU;
      h *= 0x100000001b3ULL;
    }
  };
  for (const char c : what) add(static_cast<unsigned char>(c));
  add(account.value);
  add(static_cast<std::uint64_t>(market));
  add(key);
  add(static_cast<std::uint64_t>(at));
  return h == 0 ? 1 : h;
}
}  // namespace

void AccountSession::sync_balances(const ReportSink& sink) {
  // The venue's balances (and futures positions) as of now: authoritative, folded over what
  // the account's events say (the drift is recorded). Each fetch is its own observation.
  const TimeNs now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  for (Exchange* e : {spot_, usdm_}) {
    if (e == nullptr) continue;
    auto balances = e->balances();
    if (!balances) {
      spdlog::error("account {}: {} balances not fetched: {}", name_, to_string(e->market()),
                    balances.error().message);
      continue;
    }
    for (const auto& b : *balances) {
      std::uint64_t key = 0;
      for (const char c : b.asset.view()) key = key * 131 + static_cast<unsigned char>(c);
      sink(VenueReport{sync_id(e->account(), e->market(), "balance", key, now), now, b});
      stats_.last_report_ns.store(now, std::memory_order_relaxed);
    }
    if (e->market() != Market::kUsdm) continue;
    auto positions = e->positions();
    if (!positions) {
      spdlog::error("account {}: usdm positions not fetched: {}", name_, positions.error().message);
      continue;
    }
    for (const auto& p : *positions) {
      const std::uint64_t key = (std::uint64_t{p.instrument.value} << 8) |
                                static_cast<std::uint64_t>(p.position_side);
      sink(VenueReport{sync_id(e->account(), e->market(), "position", key, now), now, p});
    }
  }
}

void AccountSession::stop() {
  for (Exchange* e : {spot_, usdm_}) {
    if (e != nullptr) e->stop();
  }
}

Exchange* AccountSession::route(InstrumentId instrument, const char* what) const {
  if (!instrument.valid() || instrument.index() >= markets_->size()) {
    spdlog::error("account {}: {} for unknown instrument {}", name_, what, instrument.index());
    return nullptr;
  }
  Exchange* e = exchange((*markets_)[instrument.index()]);
  if (e == nullptr) {
    spdlog::error("account {}: {} on {}, a market this account does not trade", name_, what,
                  to_string((*markets_)[instrument.index()]));
  }
  return e;
}

void AccountSession::place(const OrderSubmitted& o, const SendOrigin& origin) {
  if (Exchange* e = route(o.instrument, "order")) {
    ack_.sent(o.client_order_id.view(), wall_ns());
    e->place(SubmitOrder{o.account, o.strategy, o.instrument, o.client_order_id, o.side,
                         o.order_type, o.tif, o.price, o.stop_price, o.quantity, o.reduce_only},
             origin);
  }
}

void AccountSession::rehearse(const OrderSubmitted& o) {
  // Quietly: an instrument it cannot route is logged when an order for it is placed.
  if (!o.instrument.valid() || o.instrument.index() >= markets_->size()) return;
  if (Exchange* e = exchange((*markets_)[o.instrument.index()])) {
    e->rehearse(SubmitOrder{o.account, o.strategy, o.instrument, o.client_order_id, o.side,
                            o.order_type, o.tif, o.price, o.stop_price, o.quantity, o.reduce_only});
  }
}

void AccountSession::place_batch(std::span<const OrderSubmitted> orders, const SendOrigin& origin) {
  std::vector<std::pair<Exchange*, SubmitBatch>> by_market;
  for (const OrderSubmitted& o : orders) {
    Exchange* e = route(o.instrument, "order");
    if (e == nullptr) continue;  // logged; its ack timer queries it
    ack_.sent(o.client_order_id.view(), wall_ns());
    auto it = std::find_if(by_market.begin(), by_market.end(),
                           [e](const auto& b) { return b.first == e; });
    if (it == by_market.end()) {
      it = by_market.emplace(by_market.end(), e, SubmitBatch{o.account, {}});
    }
    // At most kMaxBatchOrders come (one SubmitBatch's orders): it fits.
    (void)it->second.orders.push_back(SubmitOrder{o.account, o.strategy, o.instrument,
                                                  o.client_order_id, o.side, o.order_type, o.tif,
                                                  o.price, o.stop_price, o.quantity, o.reduce_only});
  }
  for (const auto& [e, batch] : by_market) {
    // No batch endpoint (Binance spot, Upbit): singles, each down the connector's own path (its
    // order lanes side by side, the order-to-wire trace); one order is a single too.
    if (batch.orders.size() == 1 || actors::venue_batch_limit(e->exchange(), e->market()) <= 1) {
      for (const SubmitOrder& o : batch.orders) e->place(o, origin);
    } else {
      e->place_batch(batch);
    }
  }
}

void AccountSession::cancel(const CancelOrder& c) {
  if (Exchange* e = route(c.instrument, "cancel")) e->cancel(c);
}

void AccountSession::amend(const AmendOrder& a) {
  if (Exchange* e = route(a.instrument, "amend")) e->amend(a);
}

void AccountSession::query(AccountId, InstrumentId instrument,
                           const ClientOrderIdText& client_order_id) {
  if (Exchange* e = route(instrument, "query")) e->query(instrument, client_order_id);
}

}  // namespace oms::omsd
