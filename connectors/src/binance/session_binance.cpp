// BinanceSession: ExchangeSession -> Exchange, ExchangeReport -> VenueReport.
#include "oms/connectors/binance/session_binance.hpp"

#include <spdlog/spdlog.h>

namespace oms::binance {

void BinanceSession::start(ReportSink sink) {
  auto r = exchange_.start([sink = std::move(sink)](const ExchangeReport& rep) {
    sink(actors::VenueReport{rep.report_id, rep.venue_time, rep.payload});
  });
  if (!r)
    spdlog::error("binance session (account {}): start failed: {}", exchange_.account().value,
                  r.error().message);
}

void BinanceSession::stop() {
  exchange_.stop();
}

void BinanceSession::place(const OrderSubmitted& o) {
  exchange_.place(SubmitOrder{o.account, o.strategy, o.instrument, o.client_order_id, o.side,
                              o.order_type, o.tif, o.price, o.stop_price, o.quantity,
                              o.reduce_only});
}

void BinanceSession::cancel(const CancelOrder& c) {
  exchange_.cancel(c);
}

void BinanceSession::amend(const AmendOrder& a) {
  exchange_.amend(a);
}

void BinanceSession::query(AccountId account, InstrumentId instrument,
                           const ClientOrderIdText& client_order_id) {
  if (account != exchange_.account()) {
    spdlog::error("binance session (account {}): query for account {} ignored",
                  exchange_.account().value, account.value);
    return;
  }
  exchange_.query(instrument, client_order_id);
}

}  // namespace oms::binance
