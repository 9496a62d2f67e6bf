#include "oms/connectors/binance/wire_encoder.hpp"

namespace oms::binance {

WireEncoder::WireEncoder(Market market) : market_(market) {
  // Spot FULL: the fills of an order that executes at placement come back with its ack.
  // USD-M RESULT: status and executed quantity with the ack (fills come by the stream).
  extras_.response_type = market == Market::kSpot ? ResponseType::kFull : ResponseType::kResult;
  // Our own orders never trade with each other: the engine refuses an order that would reach a
  // resting one of ours on any account (SelfTradeGuard). Within one account the venue enforces
  // it too, stated on every order rather than left to the venue's default: a resting order
  // another client's order on the account would take expires (EXPIRE_MAKER), the new order
  // goes on.
  extras_.self_trade_prevention = "EXPIRE_MAKER";
}

Req WireEncoder::request(const Instrument& in, const SubmitOrder& o) const {
  if (market_ == Market::kSpot) return spot_new_order(in, o, extras_);
  // USD-M conditional orders go to the algo service, whose order takes no STP mode (the order
  // it places when triggered has the venue's default).
  if (o.order_type != OrderType::kLimit && o.order_type != OrderType::kMarket) {
    OrderExtras conditional = extras_;
    conditional.self_trade_prevention = {};
    return usdm_new_order(in, o, conditional);
  }
  return usdm_new_order(in, o, extras_);
}

Result<Unit, RequestError> WireEncoder::encode(const Instrument& in, const SubmitOrder& o,
                                               const Credentials& creds,
                                               std::int64_t timestamp_ms,
                                               EncodedOrder& out) const {
  auto req = request(in, o);
  if (!req) return Unexpected{std::move(req).error()};
  out.request = std::move(req).value();
  return resign(creds, timestamp_ms, out);
}

Result<Unit, RequestError> WireEncoder::resign(const Credentials& creds,
                                               std::int64_t timestamp_ms, EncodedOrder& out) {
  out.timestamp_ms = timestamp_ms;
  return render_into(out.request, creds, timestamp_ms, out.http);
}

}  // namespace oms::binance
