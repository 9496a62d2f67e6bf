// ExchangeSession: what the engine needs from one venue connection (one exchange, market and
// account) -- the connectors' side of the order path. omsd's account sessions implement it over
// the Binance connectors; tests use an in-process scripted venue
// (tests/testkit/scripted_venue.hpp). Header only: it depends on messages/ alone.
//
// Requests return at once; every answer of the venue -- acks, rejects, fills, cancels, status
// query results -- arrives later as a VenueReport through the sink given to start(), on any
// thread. A report carries the venue's own identity of that message (report_id), so a report
// the venue delivers twice (a reconnect, a reconciliation) derives the same event ids and the
// stores keep it once.
#pragma once

#include <functional>
#include <span>

#include "oms/connectors/send_latency.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/venue_report.hpp"

namespace oms {

class ExchangeSession {
 public:
  using ReportSink = std::function<void(const VenueReport&)>;
  virtual ~ExchangeSession() = default;

  // Reports flow to sink from now until stop() returns.
  virtual void start(ReportSink sink) = 0;
  virtual void stop() = 0;

  // origin: where the order came from (the engine's input), for the order-to-wire latency.
  virtual void place(const OrderSubmitted& order, const SendOrigin& origin) = 0;
  // Orders of one account the engine accepted together (a SubmitBatch, at most
  // kMaxBatchOrders): one venue batch where the venue has one (Binance USD-M batchOrders, Bybit
  // create-batch, OKX batch-orders), else one request each, in order. Each order is answered on
  // its own, as a placed one is: an element the venue rejects rejects that order only. This
  // default sends them one by one.
  virtual void place_batch(std::span<const OrderSubmitted> orders, const SendOrigin& origin) {
    for (const OrderSubmitted& o : orders) place(o, origin);
  }
  virtual void cancel(const CancelOrder& cancel) = 0;
  virtual void amend(const AmendOrder& amend) = 0;
  // The engine's keep-warm (EngineOptions::keep_warm): what place() would build and sign for
  // this order, into scratch -- nothing sent, nothing changed. The default does nothing.
  virtual void rehearse(const OrderSubmitted& /*order*/) {}
  // Answered by an OrderStatusReconciled report (status kRejected when the venue does not
  // know the client order id).
  virtual void query(AccountId account, InstrumentId instrument,
                     const ClientOrderIdText& client_order_id) = 0;
};

}  // namespace oms
