#include "oms/connectors/binance/wire_encoder.hpp"

namespace oms::binance {

WireEncoder::WireEncoder(Market market) : market_(market) {
  // Spot FULL: the fills of an order that executes at placement come back with its ack.
  // USD-M RESULT: status and executed quantity with the ack (fills come by the stream).
  extras_.response_type = market == Market::kSpot ? ResponseType::kFull : ResponseType::kResult;
}

Req WireEncoder::request(const Instrument& in, const SubmitOrder& o) const {
  return market_ == Market::kSpot ? spot_new_order(in, o, extras_) : usdm_new_order(in, o, extras_);
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
