// The venue's state, shared by its .cpp files (orders, matching, accounts, queries).
#pragma once

#include <stdexcept>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "oms/connectors/sim/venue.hpp"

namespace oms::sim {

inline constexpr OrderSlot kNoSlot = ~OrderSlot{0};

struct SimOrder {
  OrderView v;
  std::string quote_asset_locked_in;  // spot: which asset `locked` is in
  Decimal locked;       // spot: balance still locked; futures: initial margin reserved
  Decimal queue_ahead;  // background quantity ahead of us at our price
  bool resting = false;       // on the RestingBook
  bool stop_waiting = false;  // a stop not triggered yet
  [[nodiscard]] Decimal remaining() const {
    return Decimal::from_raw(v.quantity.raw() - v.executed_qty.raw());
  }
  [[nodiscard]] bool open() const {
    return v.status == SimStatus::kNew || v.status == SimStatus::kPartiallyFilled;
  }
};

struct Position {
  Decimal amount, entry, realized;
};
struct SymbolSettings {
  int leverage = 20;  // Binance's default for a new symbol
  MarginType margin = MarginType::kCross;
};
struct Balance {
  Decimal free, locked;
  bool held = false;  // the account has had this asset (listed even at zero)
};
using AssetId = std::uint32_t;  // interned asset name

struct Account {
  AccountConfig cfg;
  std::vector<Balance> balances;  // by AssetId; futures: the settle asset only
  bool hedge = false;
  std::map<SymbolIndex, SymbolSettings> settings;
  std::map<std::pair<SymbolIndex, PositionSide>, Position> positions;
  std::vector<TradeView> trades;
  Decimal order_margin;  // futures: initial margin reserved by open orders
  std::map<SymbolIndex, std::uint32_t> open_orders;  // MAX_NUM_ORDERS: open, not stops
};

struct SymbolBook {
  Instrument ins;
  std::unique_ptr<RestingBook> resting;
  BackgroundBook background;
  std::vector<OrderSlot> stops;  // waiting stops, oldest first
  std::int64_t next_order_id = 1, next_trade_id = 1;
  std::optional<Decimal> last;
  AssetId base = 0, quote = 0, settle = 0;
  std::vector<OrderSlot> by_order_id;  // [orderId - 1]: ids are dense, 1, 2, 3, ... per symbol
};

// One fill or STP expiry decided by the matcher, applied in order.
struct MatchStep {
  OrderSlot maker = kNoSlot;  // kNoSlot: background
  Decimal price, qty;
  bool expire_maker = false;  // self-trade prevention: the maker expires
  bool expire_taker = false;  // self-trade prevention: the taker expires here (the last step)
};

struct Venue::Impl {
  Market market;
  BookFactory books;
  std::vector<SymbolBook> symbols;
  std::vector<Account> accounts;
  std::vector<SimOrder> orders;  // every order ever, by slot
  // (account, symbol, clientOrderId) -> the latest order with that id.
  struct ClientKey {
    std::uint64_t account_symbol = 0;
    std::string client_order_id;
    friend bool operator==(const ClientKey&, const ClientKey&) = default;
  };
  struct ClientKeyHash {
    std::size_t operator()(const ClientKey& k) const noexcept {
      return std::hash<std::string>{}(k.client_order_id) ^ (k.account_symbol * 0x9e3779b97f4a7c15ULL);
    }
  };
  std::unordered_map<ClientKey, OrderSlot, ClientKeyHash> by_client_id;
  std::vector<MatchStep> steps_scratch;  // reused by run_taker: no allocation per order
  std::vector<ApiKeyId> touched;  // accounts whose balances changed in this call
  std::vector<std::string> asset_names;                      // by AssetId
  std::map<std::string, AssetId, std::less<>> asset_by_name;  // sorted: listings by name
  AssetId asset(std::string_view name);

  // venue_accounts.cpp
  [[nodiscard]] bool futures() const { return market == Market::kUsdm; }
  // Sized to every interned asset at once, so two references taken in a row stay valid.
  Balance& balance(ApiKeyId a, AssetId asset) {
    auto& v = accounts[a].balances;
    if (v.size() <= asset) v.resize(asset_names.size());
    v[asset].held = true;
    return v[asset];
  }
  [[nodiscard]] std::vector<BalanceView> balance_views(ApiKeyId a) const;
  void touch(ApiKeyId a);
  void flush_account_updates(TimeNs now, Outbox& out);
  Position& position(ApiKeyId a, SymbolIndex s, PositionSide ps) { return accounts[a].positions[{s, ps}]; }
  [[nodiscard]] int leverage(ApiKeyId a, SymbolIndex s) const;
  [[nodiscard]] Decimal available(ApiKeyId a) const;
  [[nodiscard]] Decimal unrealized(ApiKeyId a) const;
  [[nodiscard]] std::optional<Decimal> mark(SymbolIndex s) const;  // mid, else last
  [[nodiscard]] PositionView position_view(ApiKeyId a, SymbolIndex s, PositionSide ps, const Position& p) const;
  // Fills of one side of one trade: balances / position, fee; returns realized PnL.
  Decimal settle_fill(SimOrder& o, Decimal price, Decimal qty, bool maker, Decimal& fee,
                      std::string& fee_asset);
  // Re-derives an open order's lock / margin from its remaining quantity, releasing the rest.
  void relock(SimOrder& o);
  void release_all(SimOrder& o);
  [[nodiscard]] Decimal order_margin(ApiKeyId a, SymbolIndex s, Side side, PositionSide ps,
                                     Decimal price, Decimal qty) const;

  // venue_orders.cpp
  // Fills `steps` (cleared first) with what the taker would do now; changes nothing else.
  void plan(const SimOrder& taker, Decimal max_qty, Decimal max_quote, std::vector<MatchStep>& steps,
            Decimal& filled_qty, Decimal& filled_quote) const;
  // true: self-trade prevention expired the taker (its remaining quantity) at the last step
  bool execute(OrderSlot taker, const std::vector<MatchStep>& steps, TimeNs now, Outbox& out);
  void finish_taker(OrderSlot taker, TimeNs now, Outbox& out);
  void rest(OrderSlot slot);
  void unrest(OrderSlot slot);
  void trigger_stops(SymbolIndex s, TimeNs now, Outbox& out);
  void run_taker(OrderSlot slot, TimeNs now, Outbox& out);
  [[nodiscard]] Decimal reduce_cap(const SimOrder& o) const;  // raw -1: no cap
  [[nodiscard]] bool crosses(const SimOrder& o) const;  // a limit order would take liquidity
  ExecutionReport report(const SimOrder& o, ExecType x, TimeNs now) const;
  Result<OrderSlot, VenueError> find(ApiKeyId a, SymbolIndex s, const OrderRef& ref) const;
  // Every status change goes through here: it keeps the open-order counts.
  void set_status(SimOrder& o, SimStatus s);
  void fill_maker(OrderSlot slot, Decimal price, Decimal qty, TimeNs now, Outbox& out);
  // Fills resting client orders the background book now crosses (after a snapshot or diff).
  void cross_resting(SymbolIndex symbol, TimeNs now, Outbox& out);
  void close(SimOrder& o, SimStatus status, ExecType x, TimeNs now, Outbox& out,
             const char* reason);
};

// Helpers on Decimal for amounts that cannot overflow once an order passed its filters
// (a price and a quantity inside the instrument's limits; balances a test or config set).
// a * b rounded once to 1e-8: the venues venue-sim plays print amounts (quote, commission,
// PnL) with 8 decimals, whatever finer scale our Decimal keeps.
inline constexpr Int128 kVenueUnit = Decimal::kOne / 100'000'000;  // 1e-8 in raws
inline Decimal mul(Decimal a, Decimal b, Rounding r = Rounding::kHalfEven) {
  Int128 q = 0;
  if (!mul_div(a.raw(), b.raw(), Int128{Decimal::kOne} * kVenueUnit, r, q)) {
    throw std::overflow_error("venue-sim: " + a.to_string() + " x " + b.to_string() + " beyond the range");
  }
  return Decimal::from_raw(q * kVenueUnit);
}
inline Decimal add(Decimal a, Decimal b) { return Decimal::from_raw(a.raw() + b.raw()); }
inline Decimal sub(Decimal a, Decimal b) { return Decimal::from_raw(a.raw() - b.raw()); }
inline Decimal min(Decimal a, Decimal b) { return a < b ? a : b; }
inline VenueError error(int code, std::string msg) { return VenueError{code, std::move(msg)}; }

}  // namespace oms::sim
