// Exchange: one venue connection for one market and one account (Binance Spot, Binance USD-M,
// ...). What the rest of the system asks of a venue, in our own types: orders go in as
// commands, every venue answer comes back as events.
//
// Two kinds of calls:
//   - orders (place / cancel / amend / batch / query) are ASYNCHRONOUS: they return at once and
//     every answer -- ack, reject, fill, cancel, status -- arrives later as an ExchangeReport
//     through the sink given to start(). Why: the caller is an actor that must never block on
//     the network, rate-limit waits happen before an order leaves, and the venue answers the
//     same fact twice anyway (REST response and user-data stream), so the caller has to treat
//     answers as a stream. One worker per account sends them in call order.
//   - administration (balances, positions, history, leverage, rules) is SYNCHRONOUS and returns
//     Result<..., ExchangeError>: startup and reconciliation code wants the answer in hand.
//
// Reports carry report_id: a hash of the venue's identity of that fact (account, order id,
// trade id, status and cumulative quantity ...). The same fact seen twice (REST ack and WS
// event, a re-delivered WS event) has the same id, so the event store keeps it once.
//
// Never assume: a request that may have reached the venue (timeout, connection closed, 5xx,
// Binance -1007) gives NO report; the order's ack timeout then queries it by client order id.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "oms/connectors/send_latency.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"

namespace oms {

// 44xx: venue connector errors (the transport's own are 41xx, rate limits 42xx).
enum class ExchangeErrorCode : std::uint16_t {
  kTransport = 4401,      // resolve / connect / TLS failed: the request was NOT sent
  kMaybeSent = 4402,      // timeout or peer closed after sending: the venue may have executed it
  kVenueRejected = 4403,  // the venue answered an error body (venue_code says which)
  kRateLimited = 4404,    // refused before sending: over budget, 429 backoff or 418 ban
  kHttpStatus = 4405,     // non-2xx without a venue error body (5xx: outcome unknown)
  kBadResponse = 4406,    // a 2xx body we could not parse
  kBadRequest = 4407,     // the request builder refused the parameters (names the field)
  kUnknownInstrument = 4408,
  kUnsupported = 4409,  // this market has no such call (positions on spot ...)
  kNotStarted = 4410,
  kUnknownOrder = 4411,  // the venue does not know the order (Binance -2013 / -2011)
};

struct ExchangeError {
  ExchangeErrorCode code = ExchangeErrorCode::kTransport;
  std::int32_t venue_code = 0;  // Binance -2010 ...; 0 when not from the venue
  std::string message;          // names the call and what failed; never a key or secret
};

template <class T>
using ExchangeResult = Result<T, ExchangeError>;

// One venue fact as an event (see the header comment for report_id).
struct ExchangeReport {
  EventId report_id = 0;
  TimeNs venue_time = 0;
  EventPayload payload;
};
using ReportSink = std::function<void(const ExchangeReport&)>;

// Market data: BookSnapshot / BookDelta chunks (in the order BookCore must apply them),
// BestBidOffer, TradePrinted. venue_time is the venue's event time; received_ns the wall clock
// when the message carrying it was read off the socket (tick-to-order tracing).
using MarketDataSink =
    std::function<void(TimeNs venue_time, const EventPayload& event, TimeNs received_ns)>;

struct MarketDataStreams {
  bool depth = true;        // diffs + REST snapshot
  bool book_ticker = true;  // best bid/offer
  bool trades = true;
};

// The account's fees on one instrument as the venue states them: fractions of the notional
// (0.001 = 0.1 %); negative: a rebate.
struct FeeRates {
  Decimal maker, taker;
};

class Exchange {
 public:
  virtual ~Exchange() = default;

  [[nodiscard]] virtual ExchangeId exchange() const noexcept = 0;
  [[nodiscard]] virtual Market market() const noexcept = 0;
  [[nodiscard]] virtual AccountId account() const noexcept = 0;

  // Starts the order worker and the user-data stream; reports flow to sink until stop().
  [[nodiscard]] virtual ExchangeResult<Unit> start(ReportSink sink) = 0;
  // For health: the account's user-data stream is open now (true for a connector that runs
  // without one).
  [[nodiscard]] virtual bool user_stream_connected() const noexcept { return true; }
  virtual void stop() = 0;

  // ---- orders (async; answers through the sink) ----
  // A new order. A connector that can builds and signs the request on the caller's thread (the
  // engine's shard) and hands the bytes to its I/O thread; origin is recorded against the time
  // they reach the socket (send_latency.hpp).
  virtual void place(const SubmitOrder& order, const SendOrigin& origin) = 0;
  void place(const SubmitOrder& order) { place(order, SendOrigin{}); }
  // Keeps the order path warm (the engine's keep-warm, EngineOptions::keep_warm): builds and
  // signs the request place() would, into scratch, and sends nothing, changes nothing. The
  // default does nothing (a connector that builds its requests on its own threads).
  virtual void rehearse(const SubmitOrder& /*order*/) {}
  virtual void cancel(const CancelOrder& cancel) = 0;
  virtual void amend(const AmendOrder& amend) = 0;  // spot: cancel-replace; futures: modify
  virtual void place_batch(const SubmitBatch& batch) = 0;
  virtual void cancel_batch(std::span<const CancelOrder> cancels) = 0;
  // Answered by OrderStatusReconciled (status kRejected, empty venue id: unknown to the venue).
  virtual void query(InstrumentId instrument, const ClientOrderIdText& client_order_id) = 0;

  // ---- administration (sync) ----
  // Open orders as OrderStatusReconciled; instrument invalid: every instrument.
  [[nodiscard]] virtual ExchangeResult<std::vector<OrderStatusReconciled>> open_orders(
      InstrumentId instrument) = 0;
  [[nodiscard]] virtual ExchangeResult<std::vector<OrderStatusReconciled>> all_orders(
      InstrumentId instrument, TimeNs since) = 0;
  [[nodiscard]] virtual ExchangeResult<std::vector<FillReceived>> my_trades(InstrumentId instrument,
                                                                            TimeNs since) = 0;
  [[nodiscard]] virtual ExchangeResult<std::vector<BalanceUpdated>> balances() = 0;
  [[nodiscard]] virtual ExchangeResult<std::vector<PositionUpdated>> positions() = 0;
  [[nodiscard]] virtual ExchangeResult<LeverageChanged> set_leverage(InstrumentId instrument,
                                                                     std::uint16_t leverage) = 0;
  [[nodiscard]] virtual ExchangeResult<MarginTypeChanged> set_margin_type(InstrumentId instrument,
                                                                          MarginType type) = 0;
  // Cancels, AT THE VENUE, every open order of the account on the instrument: ours or not
  // (an order whose ack was lost, one placed by another session with the same key), conditional
  // / algo orders included. Returns how many the venue says it canceled where its answer says
  // so, else how many it listed open just before (each connector says which); nothing open is
  // 0, not an error. The cancellations' reports flow through the sink as for any cancel. Every
  // part of a sweep is tried even when one fails; an error then names each failure (and how many
  // were canceled where the connector knows), its code the first failure's.
  [[nodiscard]] virtual ExchangeResult<std::uint32_t> cancel_all(InstrumentId instrument) = 0;
  // The account's fee rates on the instrument, asked of the venue (its fee tier, discounts).
  [[nodiscard]] virtual ExchangeResult<FeeRates> fee_rates(InstrumentId instrument) = 0;
  // The venue's current rules; instruments the caller registered keep their ids.
  [[nodiscard]] virtual ExchangeResult<std::vector<Instrument>> exchange_rules() = 0;

  // ---- market data (shared by the accounts of one venue and market) ----
  [[nodiscard]] virtual ExchangeResult<Unit> subscribe_market_data(
      std::span<const InstrumentId> instruments, MarketDataStreams streams,
      MarketDataSink sink) = 0;
};

}  // namespace oms
