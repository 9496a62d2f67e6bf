// WireEncoder: a new order as the signed HTTP request Binance takes, built on the caller's
// thread -- in omsd the engine's shard (DESIGN.md "One order path": risk -> desk -> intent log ->
// encode + sign -> the session's I/O thread). The account's worker then only admits the bytes
// against the rate limits and writes them (exchange_account.cpp).
//
//   spot:  POST /api/v3/order        newOrderRespType=FULL (fills at placement come with the ack)
//   USD-M: POST /fapi/v1/order       newOrderRespType=RESULT; conditional types (stop, take
//          profit, trailing) go to POST /fapi/v1/algoOrder (requests_usdm.cpp)
//
// Every parameter comes from the order and the instrument's rules (requests.hpp: the builders
// refuse what the venue would, naming the field); the signature covers the body with
// recvWindow and the venue-clock timestamp. The EncodedOrder's buffers are reused when the
// same object is encoded into again.
#pragma once

#include <cstdint>

#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/binance/rest_request.hpp"
#include "oms/connectors/net/http.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::binance {

struct EncodedOrder {
  RestRequest request;     // the parameters; weight and order count for the rate limiter
  net::HttpRequest http;   // rendered and signed at timestamp_ms
  std::int64_t timestamp_ms = 0;
  std::int64_t handed_ns = 0;  // wall clock when the encoder's caller handed it on (tracing)
};

class WireEncoder {
 public:
  explicit WireEncoder(Market market);

  // The unsigned request for a new order of this market (the builders' error names the field).
  [[nodiscard]] Req request(const Instrument& in, const SubmitOrder& order) const;

  // request(), rendered and signed with creds at timestamp_ms (the venue's clock) into out.
  [[nodiscard]] Result<Unit, RequestError> encode(const Instrument& in, const SubmitOrder& order,
                                                  const Credentials& creds,
                                                  std::int64_t timestamp_ms,
                                                  EncodedOrder& out) const;

  // out.request signed again at timestamp_ms (an order that waited for rate-limit budget).
  [[nodiscard]] static Result<Unit, RequestError> resign(const Credentials& creds,
                                                         std::int64_t timestamp_ms,
                                                         EncodedOrder& out);

 private:
  Market market_;
  OrderExtras extras_;
};

}  // namespace oms::binance
