// BinanceSession: the actors' ExchangeSession over one account's Exchange (BinanceVenue::
// account(i)). Reports pass through unchanged: the Exchange already gives every venue fact its
// stable report id, and its order calls already return at once.
#pragma once

#include "oms/actors/exchange_session.hpp"
#include "oms/connectors/exchange.hpp"

namespace oms::binance {

class BinanceSession final : public actors::ExchangeSession {
 public:
  explicit BinanceSession(Exchange& exchange) : exchange_(exchange) {}

  // Starts the account (order worker, user-data stream); a failure to start is logged and the
  // session stays silent (the actors' timeouts then see no answers and query).
  void start(ReportSink sink) override;
  void stop() override;
  void place(const OrderSubmitted& order) override;
  void cancel(const CancelOrder& cancel) override;
  void amend(const AmendOrder& amend) override;
  void query(AccountId account, InstrumentId instrument,
             const ClientOrderIdText& client_order_id) override;

 private:
  Exchange& exchange_;
};

}  // namespace oms::binance
