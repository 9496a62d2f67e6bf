#include "oms/connectors/binance/wire_encoder.hpp"

#include <algorithm>

namespace oms::binance {

WireEncoder::WireEncoder(std::vector<Instrument> instruments, Credentials creds,
                         OrderExtras extras)
    : instruments_(std::move(instruments)), creds_(creds), extras_(extras) {
  http_.target.reserve(64);
  http_.body.reserve(512);
}

std::size_t WireEncoder::encode(const OrderSubmitted& o, TimeNs now, std::span<char> out) {
  if (o.instrument.index() >= instruments_.size()) return 0;
  const Instrument& in = instruments_[o.instrument.index()];
  submit_.account = o.account;
  submit_.strategy = o.strategy;
  submit_.instrument = o.instrument;
  submit_.client_order_id = o.client_order_id;
  submit_.side = o.side;
  submit_.order_type = o.order_type;
  submit_.tif = o.tif;
  submit_.price = o.price;
  submit_.stop_price = o.stop_price;
  submit_.quantity = o.quantity;
  submit_.reduce_only = o.reduce_only;
  auto req = in.market == Market::kSpot ? spot_new_order(in, submit_, extras_)
                                        : usdm_new_order(in, submit_, extras_);
  if (!req) return 0;
  constexpr TimeNs kNsPerMs = 1'000'000;
  if (!render_into(*req, creds_, now / kNsPerMs, http_).ok()) return 0;
  const std::size_t n = http_.method.size() + 1 + http_.target.size() + 1 + http_.body.size();
  if (n > out.size()) return 0;
  auto it = std::copy(http_.method.begin(), http_.method.end(), out.begin());
  *it++ = ' ';
  it = std::copy(http_.target.begin(), http_.target.end(), it);
  *it++ = '\n';
  std::copy(http_.body.begin(), http_.body.end(), it);
  return n;
}

}  // namespace oms::binance
