// A second venue's background that follows the first's: every snapshot, delta and trade the
// replay feeds the first front also goes to the second, its prices moved by a basis and put on
// the second venue's tick, its quantities on the second venue's lot. Two venues quoting the
// same recorded market, the way real venues track each other, so cross-venue strategies meet
// a realistic spread between them (zero basis: the same book, no free edge).
//
// The basis is a whole number of the second venue's ticks, fixed per instrument at its first
// snapshot (basis_bps of that snapshot's best price, rounded to the nearest tick). A recorded
// bid goes to the second venue's tick at or below it, an ask to the tick at or above it (so the
// followed book never crosses when the second venue's tick is coarser, as OKX's BTC-USDT 0.1
// against Binance's 0.01); the recorded levels falling on one tick are summed, and a delta
// republishes the sums of the ticks it touched. On the same tick (Bybit) each recorded level is
// one level: the followed book is exactly the recorded one shifted. A quantity is rounded down
// to the lot; a level whose quantity rounds to zero is published as absent (the second venue
// cannot hold less than a lot). A trade print goes to the tick of the side it hit. Symbols the
// second venue does not list go to the first only. Several venues may follow one first (Bybit
// and OKX), each with its basis and its own names for the recorded symbols.
//
// A follower quoted in another currency (Upbit's KRW books of Binance's USDT ones) takes a
// Conversion instead of a basis: each recorded price times the multiplier (KRW per USDT times
// 1 + the premium), then to the follower's tick AT THAT PRICE (a band table: Upbit's KRW tick
// is 1000 above 1,000,000 KRW, 500 below ...), bids down and asks up, the levels falling on one
// price summed; quantities unchanged (rounded down to the lot).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "liquidity_sink.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::venue_sim {

class FollowFeed final : public LiquiditySink {
 public:
  // The recorded symbol ("BTCUSDT") as a follower names it ("BTC-USDT"); nullopt: not followed.
  using Rename = std::function<std::optional<std::string>(Market, std::string_view)>;

  // second_instruments: what the second venue lists (venue symbol, market, tick and lot); it
  // names the recorded symbols as the first does.
  FollowFeed(LiquiditySink& first, LiquiditySink& second, std::vector<Instrument> second_instruments,
             std::int64_t basis_bps);
  // Only the first: followers come with add().
  explicit FollowFeed(LiquiditySink& first) : first_(first) {}
  // One more venue following the first (before the feed runs): its instruments by its own
  // names, the recorded symbols renamed by `rename` (empty: the same names).
  void add(LiquiditySink& follower, std::vector<Instrument> instruments, std::int64_t basis_bps, Rename rename = {});
  struct Conversion {
    Decimal multiplier;                        // follower price = recorded price x multiplier
    std::function<Decimal(Decimal)> tick_at;  // the follower's tick at a price (positive)
  };
  // A follower in another quote currency (see above).
  void add(LiquiditySink& follower, std::vector<Instrument> instruments, Conversion conversion, Rename rename = {});

  void on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) override;
  void on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) override;
  void on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) override;

  // The shift in price units of an instrument once its first snapshot came (tests, logs).
  [[nodiscard]] std::optional<Decimal> shift(Market m, std::string_view symbol) const;

 private:
  struct Follow {
    const Instrument* instrument = nullptr;
    std::optional<Int128> shift_ticks;          // a Conversion's follower: 0 once started
    std::map<Int128, Int128> bids, asks;  // the recorded book: raw price -> raw quantity
    const Conversion* conversion = nullptr;           // set: prices map through it (ticks are raw prices)
  };
  struct Follower {
    LiquiditySink* sink = nullptr;
    std::vector<Instrument> instruments;
    std::int64_t basis_bps = 0;
    Rename rename;
    std::optional<Conversion> conversion;
    std::map<std::pair<Market, std::string>, Follow, std::less<>> follows;  // by the follower's names
  };
  // The follower's name for a recorded symbol and its state; nullptr when it does not list it.
  Follow* find(Follower& f, Market m, std::string_view symbol, std::string& name);
  // The follower's tick (before the shift) of a recorded price on a side; its level's quantity
  // (the recorded levels on that tick, summed, rounded down to the lot). With a Conversion the
  // "tick" is the follower's raw price itself.
  [[nodiscard]] static Int128 tick_of(const Follow& f, Int128 price, Side side);
  [[nodiscard]] static sim::PriceQty level(const Follow& f, Int128 tick, Side side);
  // The follower's levels of the ticks touched by `changed` (recorded prices), best first.
  [[nodiscard]] static std::vector<sim::PriceQty> levels(const Follow& f, const std::vector<sim::PriceQty>& changed, Side side);

  LiquiditySink& first_;
  std::vector<std::unique_ptr<Follower>> followers_;
  mutable std::mutex mutex_;
};

}  // namespace oms::venue_sim
