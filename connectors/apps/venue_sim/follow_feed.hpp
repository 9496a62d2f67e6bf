// A second venue's background that follows the first's: every snapshot, delta and trade the
// replay feeds the first front also goes to the second, its prices moved by a basis and put on
// the second venue's tick, its quantities on the second venue's lot. Two venues quoting the
// same recorded market, the way real venues track each other, so cross-venue strategies meet
// a realistic spread between them (zero basis: the same book, no free edge).
//
// The basis is a whole number of the second venue's ticks, fixed per instrument at its first
// snapshot (basis_bps of that snapshot's best price, rounded to the nearest tick): one recorded
// level maps to one level, a delta to the same levels, so the followed book is exactly the
// recorded one shifted. A quantity is rounded down to the lot; a level whose quantity rounds to
// zero is published as absent (the second venue cannot hold less than a lot). Symbols the
// second venue does not list go to the first only.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "liquidity_sink.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::venue_sim {

class FollowFeed final : public LiquiditySink {
 public:
  // second_instruments: what the second venue lists (venue symbol, market, tick and lot).
  FollowFeed(LiquiditySink& first, LiquiditySink& second, std::vector<Instrument> second_instruments,
             std::int64_t basis_bps);

  void on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) override;
  void on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) override;
  void on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) override;

  // The shift in price units of an instrument once its first snapshot came (tests, logs).
  [[nodiscard]] std::optional<Decimal> shift(Market m, std::string_view symbol) const;

 private:
  struct Follow {
    const Instrument* instrument = nullptr;
    std::optional<std::int64_t> shift_ticks;
  };
  Follow* find(Market m, std::string_view symbol);
  [[nodiscard]] std::optional<sim::PriceQty> map(const Follow& f, const sim::PriceQty& pq) const;
  [[nodiscard]] std::vector<sim::PriceQty> map(const Follow& f, const std::vector<sim::PriceQty>& in) const;

  LiquiditySink& first_;
  LiquiditySink& second_;
  std::vector<Instrument> instruments_;
  std::int64_t basis_bps_;
  mutable std::mutex mutex_;
  std::map<std::pair<Market, std::string>, Follow, std::less<>> follows_;
};

}  // namespace oms::venue_sim
