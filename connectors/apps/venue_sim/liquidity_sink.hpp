// What venue-sim's background drivers (recorded replay, random walk) feed: the other
// participants' book and trades of one protocol front (Binance's Front, BybitFront). Each call
// is thread-safe and takes the front's lock; the front publishes what changed.
#pragma once

#include <string_view>

#include "oms/connectors/sim/types.hpp"

namespace oms::venue_sim {

class LiquiditySink {
 public:
  virtual ~LiquiditySink() = default;
  // A symbol the front does not list is ignored (a driver may feed every symbol it has).
  virtual void on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) = 0;
  virtual void on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) = 0;
  virtual void on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) = 0;
};

}  // namespace oms::venue_sim
