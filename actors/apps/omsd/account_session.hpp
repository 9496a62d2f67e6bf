// AccountSession: the engine's ExchangeSession for one Binance account that trades spot and/or
// USD-M: one Exchange connection per market (separate keys' buckets, user-data streams and
// order workers at the venue), orders routed by the instrument's market. Both connections
// report into the engine's one desk of the account, so it has one stream and one order book.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oms/actors/observe/metrics.hpp"
#include "oms/connectors/exchange_session.hpp"
#include "oms/connectors/exchange.hpp"

namespace oms::omsd {

// What health reporting reads; updated from the venue's threads.
struct SessionStats {
  std::atomic<std::int64_t> last_report_ns{0};  // any venue report (REST answer or stream)
  std::atomic<std::uint64_t> reports{0};
  std::atomic<bool> started{false};
  std::atomic<bool> failed{false};  // a market's start() failed (see last_error)
  std::string last_error;           // written before `failed` is set; read after
};

// New orders' first answer, per account: from the engine handing an order to the session to the
// first venue report that names it (the REST acknowledgement, a rejection, a fill or an expiry --
// whichever the connector passes on first). /metrics: oms_order_ack_seconds{account}.
// Wait-free on both sides (the shard's place(), the venue threads' reports): a direct-mapped table
// of kSlots orders awaiting their answer, keyed by a hash of the client order id; an order whose
// slot a later order took (more than kSlots out at once, or a collision) is not sampled.
class AckLatency {
 public:
  // 512 orders awaiting their first answer at once per account (8 KiB; 4,096 were 13.8 MB over
  // the 200 accounts of the throughput run); past it, orders go unsampled, nothing else.
  static constexpr std::size_t kSlots = 512;
  AckLatency();
  void sent(std::string_view client_order_id, TimeNs at) noexcept;
  // The first report of an order sent here observes its latency (true); any other, nothing.
  bool answered(std::string_view client_order_id, TimeNs at) noexcept;
  [[nodiscard]] const observe::Histogram& histogram() const noexcept { return histogram_; }

 private:
  struct Slot {
    std::atomic<std::uint64_t> key{0};
    std::atomic<TimeNs> at{0};
  };
  std::unique_ptr<Slot[]> slots_;
  observe::Histogram histogram_;
};

class AccountSession final : public ExchangeSession {
 public:
  // markets: the instrument id -> market table (instruments of every market, dense ids).
  // spot / usdm: the account's Exchange of that market, or nullptr when it does not trade it.
  AccountSession(std::string name, std::shared_ptr<const std::vector<Market>> markets,
                 Exchange* spot, Exchange* usdm);

  void start(ReportSink sink) override;
  void stop() override;
  void place(const OrderSubmitted& order, const SendOrigin& origin) override;
  void rehearse(const OrderSubmitted& order) override;
  // The orders of each market connection (in their order) as its venue's batch (Binance USD-M
  // batchOrders, Bybit create-batch, OKX batch-orders: the connectors' place_batch); a venue
  // without one (Binance spot, Upbit) gets them as single orders.
  void place_batch(std::span<const OrderSubmitted> orders, const SendOrigin& origin) override;
  void cancel(const CancelOrder& cancel) override;
  void amend(const AmendOrder& amend) override;
  void query(AccountId account, InstrumentId instrument,
             const ClientOrderIdText& client_order_id) override;

  [[nodiscard]] const SessionStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const AckLatency& ack_latency() const noexcept { return ack_; }
  [[nodiscard]] Exchange* exchange(Market m) const noexcept;

 private:
  // The connection for the instrument's market; nullptr (logged) when the account does not
  // trade it -- the order's ack timeout then queries, and the query is answered "unknown".
  Exchange* route(InstrumentId instrument, const char* what) const;
  void sync_balances(const ReportSink& sink);

  std::string name_;
  std::shared_ptr<const std::vector<Market>> markets_;
  Exchange* spot_;
  Exchange* usdm_;
  SessionStats stats_;
  AckLatency ack_;
};

}  // namespace oms::omsd
