// The venue simulator's pure core: one Binance market (spot or USD-M) with its instruments,
// accounts, matching, fees, balances and positions. No I/O, no threads, no clock: every
// call takes the venue time, and the same calls in the same order give the same answers
// and the same reports (nothing depends on addresses or hash order).
//
// A REST handler calls one method per request: the Result is the response body (or the
// {"code","msg"} error), the Outbox gets what the user-data stream pushes, in order.
//
// Matching model (documented here once):
// - Price-time priority. At one price the background (recorded / random-walk) quantity is
//   ahead of our clients' resting orders: it was there first, and it keeps the model
//   conservative for a client's passive fills.
// - Aggressive orders take background levels at their price; what they take is remembered
//   per level until the venue republishes that level (BackgroundBook).
// - A client's resting order fills from background trades (on_trade) by queue position:
//   when it joins a price it records the background quantity there as queue_ahead; a print
//   at its price first eats queue_ahead, the excess fills it; a print through its price (a
//   lower price for a bid) means the whole queue at its price traded: queue_ahead drops to
//   zero and the print's quantity fills it. A delta that shrinks the level below
//   queue_ahead lowers queue_ahead to the new level quantity (cancels ahead of us).
// - Stops trigger on the last trade price (ours or background). A triggered stop enters as
//   a new taker order at trigger time (no separate report for the trigger).
// - Self-trade prevention: EXPIRE_MAKER (Binance's default): the resting order of the same
//   account is expired (spot status EXPIRED_IN_MATCH) and matching goes on.
// - Fees: spot charges the asset received (a buy's base, a sell's quote; no BNB), USD-M the
//   settle asset on the notional; both rounded up at 1e-8.
// - Margin (USD-M): available = wallet + unrealized (mark = mid, else last) - position
//   initial margin (|amount| * entry / leverage) - open orders' initial margin (only the
//   part of an order that opens exposure).
//
// Not modelled yet (known limits): isolated margin is recorded and reported but accounted as
// cross; a resting reduce-only order is capped at its position when it is matched and
// expires when the position is gone, but two of one account's reduce-only orders matched by
// one taker are each capped at the position before either fill; funding;
// spot amend-keep-priority; cancelReplaceMode ALLOW_FAILURE.
//
// Post-only (GTX) is taken on both markets: an order that would take liquidity expires after
// its NEW report (Binance USD-M GTX, Bybit PostOnly); Binance spot's front sends LIMIT_MAKER
// instead, which place() refuses when it would cross.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "oms/connectors/sim/background.hpp"
#include "oms/connectors/sim/resting_book.hpp"
#include "oms/connectors/sim/types.hpp"
#include "oms/messages/result.hpp"

namespace oms::sim {

struct AccountConfig {
  std::string api_key;
  Decimal maker_rate;  // e.g. 0.001 = 0.1 %
  Decimal taker_rate;
};

// An order named by orderId (wins when non-zero) or by origClientOrderId.
struct OrderRef {
  std::int64_t order_id = 0;
  std::string client_order_id;
};

struct BookTop {
  std::optional<PriceQty> bid, ask;
};

class Venue {
 public:
  explicit Venue(Market market, BookFactory books = &LevelBook::make);
  ~Venue();
  Venue(const Venue&) = delete;
  Venue& operator=(const Venue&) = delete;

  [[nodiscard]] Market market() const noexcept { return market_; }
  SymbolIndex add_instrument(const Instrument& instrument);
  ApiKeyId add_account(const AccountConfig& config);
  [[nodiscard]] std::optional<SymbolIndex> find_symbol(std::string_view venue_symbol) const;
  [[nodiscard]] std::optional<ApiKeyId> find_account(std::string_view api_key) const;

  // Credits an asset (spot) or the USDT wallet (futures; asset must be the settle asset).
  Result<Unit, VenueError> deposit(ApiKeyId account, std::string_view asset, Decimal amount,
                                   TimeNs now, Outbox& out);

  // POST order. Errors: -1013 filter failures, -2010 insufficient balance / would match
  // (LIMIT_MAKER) / stop would trigger, -2019 margin, -2021 (futures immediate trigger),
  // -2022 reduce-only, -4061 position side, -1102/-1106 bad parameters.
  Result<OrderView, VenueError> place(const NewOrder& order, TimeNs now, Outbox& out);
  // DELETE order; -2011 "Unknown order sent." when not open (filled, canceled or unknown).
  Result<OrderView, VenueError> cancel(ApiKeyId account, SymbolIndex symbol, const OrderRef& ref,
                                       TimeNs now, Outbox& out);
  // DELETE openOrders: cancels every open order of the account on symbol (oldest first).
  std::vector<OrderView> cancel_all(ApiKeyId account, SymbolIndex symbol, TimeNs now, Outbox& out);
  // Futures PUT /fapi/v1/order (and Bybit's /v5/order/amend, spot and linear): new price and
  // quantity for an open LIMIT order; it loses its queue position.
  Result<OrderView, VenueError> modify(ApiKeyId account, SymbolIndex symbol, const OrderRef& ref,
                                       Side side, Decimal quantity, Decimal price, TimeNs now,
                                       Outbox& out);
  // Spot POST /api/v3/order/cancelReplace, cancelReplaceMode=STOP_ON_FAILURE.
  struct CancelReplaced {
    OrderView canceled, placed;
  };
  Result<CancelReplaced, VenueError> cancel_replace(const OrderRef& cancel_ref,
                                                    const NewOrder& order, TimeNs now,
                                                    Outbox& out);

  // Futures settings.
  Result<Unit, VenueError> set_leverage(ApiKeyId account, SymbolIndex symbol, int leverage);
  Result<Unit, VenueError> set_margin_type(ApiKeyId account, SymbolIndex symbol, MarginType t);
  Result<Unit, VenueError> set_hedge_mode(ApiKeyId account, bool hedge);

  // Background liquidity.
  void on_snapshot(SymbolIndex symbol, const BookSnapshotIn& s, TimeNs now, Outbox& out);
  void on_delta(SymbolIndex symbol, const BookDeltaIn& d, TimeNs now, Outbox& out);
  void on_trade(SymbolIndex symbol, const TradePrintIn& t, TimeNs now, Outbox& out);

  // Queries.
  Result<OrderView, VenueError> query(ApiKeyId account, SymbolIndex symbol, const OrderRef& ref) const;
  [[nodiscard]] std::vector<OrderView> open_orders(ApiKeyId account, SymbolIndex symbol) const;
  [[nodiscard]] std::vector<OrderView> all_orders(ApiKeyId account, SymbolIndex symbol) const;
  [[nodiscard]] std::vector<TradeView> my_trades(ApiKeyId account, SymbolIndex symbol) const;
  [[nodiscard]] std::vector<BalanceView> balances(ApiKeyId account) const;  // spot; futures: USDT
  [[nodiscard]] std::vector<PositionView> positions(ApiKeyId account) const;  // futures, non-flat
  [[nodiscard]] PositionView position(ApiKeyId account, SymbolIndex symbol,
                                      PositionSide ps = PositionSide::kBoth) const;
  [[nodiscard]] Decimal wallet_balance(ApiKeyId account) const;     // futures
  [[nodiscard]] Decimal available_balance(ApiKeyId account) const;  // futures

  // Market data: background + client orders merged, best first.
  [[nodiscard]] std::vector<PriceQty> depth(SymbolIndex symbol, Side side, std::size_t levels) const;
  [[nodiscard]] BookTop top(SymbolIndex symbol) const;
  [[nodiscard]] std::optional<Decimal> last_price(SymbolIndex symbol) const;
  [[nodiscard]] std::optional<Decimal> mark_price(SymbolIndex symbol) const;  // mid, else last
  [[nodiscard]] const Instrument& instrument(SymbolIndex symbol) const;

  struct Impl;

 private:
  Market market_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::sim
