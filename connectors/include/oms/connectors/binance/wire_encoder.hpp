// The hot path's encode stage for Binance (actors/pipeline.hpp, stage 4): an OrderSubmitted
// becomes the signed request the session sends, written into a fixed buffer:
//
//   "<METHOD> <target>\n<body>"      e.g. "POST /api/v3/order\nsymbol=BTCUSDT&...&signature=..."
//
// One encoder per account (its credentials); instruments by dense id. Spot orders go to
// /api/v3/order, USD-M to /fapi/v1/order. Returns 0 (the stage counts a failure) when the
// instrument is unknown, the builder refuses the order, or the buffer is too small.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/binance/rest_request.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::binance {

class WireEncoder {
 public:
  // instruments[i] is the instrument with id i; creds must outlive the encoder.
  WireEncoder(std::vector<Instrument> instruments, Credentials creds, OrderExtras extras = {});

  // now: the request timestamp source (ns since the epoch; Binance wants ms).
  std::size_t encode(const OrderSubmitted& order, TimeNs now, std::span<char> out);

 private:
  std::vector<Instrument> instruments_;
  Credentials creds_;
  OrderExtras extras_;
  SubmitOrder submit_{};
  net::HttpRequest http_;  // reused: render_into keeps its buffers
};

}  // namespace oms::binance
