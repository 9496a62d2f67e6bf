// A unified trading account's wallet as venue-sim keeps it (Bybit's UNIFIED, OKX's trading
// account "18"): two sim::Venue accounts -- the spot part (every coin) and the margin part (the
// USDT of the linear / SWAP contracts). The venues' balance endpoints show their sum, as a real
// unified account holds one balance per coin; so a transfer out of the wallet draws on both: the
// spot part's free balance first, then -- USDT only -- the margin part's available balance
// (what no position and no open order margins). A transfer in goes to the spot part.
#pragma once

#include <algorithm>
#include <optional>
#include <string_view>

#include "oms/connectors/sim/venue.hpp"

namespace oms::venue_sim {

// Where a transfer's amount came from.
struct UnifiedTake {
  Decimal from_spot, from_margin;
};

// Takes `amount` of `coin` out of the wallet; nullopt (nothing moved) when the two parts hold
// less. Each part's balance change goes to its own outbox (its private stream's update).
inline std::optional<UnifiedTake> take_unified(sim::Venue& spot, sim::ApiKeyId spot_id, sim::Venue& margin,
                                               sim::ApiKeyId margin_id, std::string_view coin, Decimal amount,
                                               TimeNs now, sim::Outbox& spot_out, sim::Outbox& margin_out) {
  Decimal spot_free;
  for (const auto& b : spot.balances(spot_id)) {
    if (b.asset == coin) spot_free = b.free;
  }
  UnifiedTake t;
  t.from_spot = std::min(spot_free, amount);
  t.from_margin = Decimal::from_raw(amount.raw() - t.from_spot.raw());
  if (t.from_margin.is_positive()) {
    if (coin != "USDT" || margin.available_balance(margin_id) < t.from_margin) return std::nullopt;
  }
  if (t.from_spot.is_positive() &&
      !spot.deposit(spot_id, coin, Decimal::from_raw(-t.from_spot.raw()), now, spot_out).ok()) {
    return std::nullopt;
  }
  if (t.from_margin.is_positive() &&
      !margin.deposit(margin_id, coin, Decimal::from_raw(-t.from_margin.raw()), now, margin_out).ok()) {
    sim::Outbox undo;
    if (t.from_spot.is_positive()) (void)spot.deposit(spot_id, coin, t.from_spot, now, undo);
    return std::nullopt;
  }
  return t;
}

// Puts a take back where it came from (a transfer refused after its amount was taken).
inline void give_back_unified(sim::Venue& spot, sim::ApiKeyId spot_id, sim::Venue& margin, sim::ApiKeyId margin_id,
                              std::string_view coin, const UnifiedTake& t, TimeNs now) {
  sim::Outbox undo;
  if (t.from_spot.is_positive()) (void)spot.deposit(spot_id, coin, t.from_spot, now, undo);
  if (t.from_margin.is_positive()) (void)margin.deposit(margin_id, coin, t.from_margin, now, undo);
}

}  // namespace oms::venue_sim
