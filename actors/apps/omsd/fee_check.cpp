#include "fee_check.hpp"

namespace oms::omsd {

Decimal to_bps(Decimal fraction) noexcept {
  // x 10 000: exact while it fits (a rate of 100 % is 10 000 bps); clamped to zero otherwise,
  // which differs() then reports.
  const auto v = fraction.mul(Decimal::from_raw(10'000 * Decimal::kOne), Rounding::kHalfEven);
  return v ? *v : Decimal{};
}

bool FeeCheck::differs() const noexcept {
  if (!venue) return false;
  return to_bps(venue->maker) != configured.maker_bps || to_bps(venue->taker) != configured.taker_bps;
}

std::string describe(const FeeCheck& c) {
  std::string out = "fees of " + c.account + " on " + c.instrument + ": ";
  if (c.venue) {
    out += "venue maker " + to_bps(c.venue->maker).to_string() + " bps, taker " + to_bps(c.venue->taker).to_string() +
           " bps";
  } else {
    out += "the venue did not say (" + c.error + ")";
  }
  out += "; configured (exchanges.yaml) maker " + c.configured.maker_bps.to_string() + " bps, taker " +
         c.configured.taker_bps.to_string() + " bps";
  return out;
}

std::string leg_fee_key(ExchangeId exchange, std::string_view symbol) {
  std::string key = "fee." + std::string(to_string(exchange)) + ":" + std::string(symbol);
  if (key.size() > decltype(SetStrategyParam::key)::kCapacity) return {};
  return key;
}

}  // namespace oms::omsd
