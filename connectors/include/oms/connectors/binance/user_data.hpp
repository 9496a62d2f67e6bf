// Binance user-data stream events.
//   Spot:    executionReport, outboundAccountPosition, balanceUpdate, listStatus, bare or in
//            the WebSocket API wrapper {"subscriptionId":..,"event":{...}} (also accepted:
//            the combined-stream wrapper {"stream":..,"data":{...}}).
//   Futures: ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, TRADE_LITE, listenKeyExpired, MARGIN_CALL.
// Other events (ALGO_UPDATE, eventStreamTerminated, externalLockUpdate, ...) parse as kOther.
#pragma once

#include <cstdint>
#include <vector>

#include "oms/connectors/binance/parse.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"

namespace oms::binance {

// Binance execution type (x).
enum class ExecutionType : std::uint8_t {
  kNew, kCanceled, kReplaced, kRejected, kTrade, kExpired, kTradePrevention, kAmendment,
  kCalculated,  // futures: liquidation / ADL fills
};
[[nodiscard]] const char* to_string(ExecutionType t) noexcept;

// Client order ids as the venue sends them (Binance allows 36; longer ones seen in test data
// are kept and refused where events are built, since none of ours is longer).
using VenueClientOrderId = FixedString<63>;

// One order update: spot executionReport or futures ORDER_TRADE_UPDATE ("o").
struct OrderUpdate {
  bool futures = false;
  VenueSymbol symbol;                                // s
  VenueClientOrderId client_order_id;                // c
  VenueClientOrderId orig_client_order_id;           // C (spot: the canceled order's id)
  Side side = Side::kBuy;                            // S
  FixedString<31> order_type;                        // o, as the venue names it ("LIMIT")
  FixedString<15> time_in_force;                     // f ("GTC", "GTX", ...)
  ExecutionType execution_type = ExecutionType::kNew;  // x
  OrderStatus status = OrderStatus::kUnknown;        // X mapped (NEW -> kAccepted)
  FixedString<31> venue_status;                      // X as received
  FixedString<63> reject_reason;                     // r (spot)
  std::uint64_t order_id = 0;                        // i
  std::int64_t trade_id = -1;                        // t (-1 / 0 when no trade)
  std::uint64_t event_time = 0, transaction_time = 0;  // E, T
  Decimal quantity, price, stop_price;               // q, p, P (spot) / sp (futures)
  Decimal last_qty, cum_qty, last_price;             // l, z, L
  Decimal commission;                                // n (0 when absent)
  AssetCode commission_asset;                        // N (empty when null/absent)
  Decimal cum_quote;                                 // Z (spot)
  Decimal avg_price, realized_pnl;                   // ap, rp (futures)
  bool is_maker = false;                             // m
  bool reduce_only = false;                          // R (futures)
  FixedString<7> position_side;                      // ps (futures: BOTH/LONG/SHORT)
};

struct AssetBalance {
  AssetCode asset;
  Decimal free, locked;
  friend bool operator==(const AssetBalance&, const AssetBalance&) = default;
};

// outboundAccountPosition.
struct AccountPosition {
  std::uint64_t event_time = 0, last_update_time = 0;  // E, u
  std::vector<AssetBalance> balances;                   // B: a, f, l
};

// balanceUpdate: a deposit, withdrawal or transfer.
struct BalanceDelta {
  AssetCode asset;                               // a
  Decimal delta;                                 // d
  std::uint64_t event_time = 0, clear_time = 0;  // E, T
};

struct ListOrder {
  VenueSymbol symbol;
  std::uint64_t order_id = 0;
  ClientOrderIdText client_order_id;
};
// listStatus (OCO / OTO / OTOCO).
struct ListStatus {
  VenueSymbol symbol;                      // s
  std::int64_t order_list_id = 0;          // g
  FixedString<15> contingency_type;        // c
  FixedString<31> list_status_type;        // l
  FixedString<31> list_order_status;       // L
  FixedString<63> reject_reason;           // r
  ClientOrderIdText list_client_order_id;  // C
  std::uint64_t event_time = 0, transaction_time = 0;
  std::vector<ListOrder> orders;           // O
};

struct FuturesBalanceChange {
  AssetCode asset;                                   // a
  Decimal wallet_balance, cross_wallet_balance;      // wb, cw
  Decimal balance_change;                            // bc
};
struct FuturesPosition {
  VenueSymbol symbol;                        // s
  Decimal amount, entry_price;               // pa (signed), ep
  Decimal breakeven_price;                   // bep (0 when absent)
  Decimal realized_pnl, unrealized_pnl;      // cr, up
  MarginType margin_type = MarginType::kCross;  // mt
  Decimal isolated_wallet;                   // iw
  PositionSide position_side = PositionSide::kBoth;  // ps
};
// ACCOUNT_UPDATE.
struct AccountUpdate {
  std::uint64_t event_time = 0, transaction_time = 0;
  FixedString<31> reason;  // a.m ("ORDER", "FUNDING_FEE", ...)
  std::vector<FuturesBalanceChange> balances;
  std::vector<FuturesPosition> positions;
};

// TRADE_LITE: a fill notice ahead of ORDER_TRADE_UPDATE (no fee).
struct TradeLite {
  VenueSymbol symbol;
  VenueClientOrderId client_order_id;
  Side side = Side::kBuy;
  Decimal quantity, price, last_qty, last_price;
  std::uint64_t order_id = 0;
  std::int64_t trade_id = 0;
  bool is_maker = false;
  std::uint64_t event_time = 0, transaction_time = 0;
};

struct MarginCallPosition {
  VenueSymbol symbol;
  PositionSide position_side = PositionSide::kBoth;
  Decimal amount, mark_price, unrealized_pnl, maintenance_margin;
  MarginType margin_type = MarginType::kCross;
  Decimal isolated_wallet;
};
struct MarginCall {
  std::uint64_t event_time = 0;
  Decimal cross_wallet_balance;  // cw (0 when absent)
  std::vector<MarginCallPosition> positions;
};

struct ListenKeyExpired {
  std::uint64_t event_time = 0;
  FixedString<127> listen_key;
};

enum class UserDataKind : std::uint8_t {
  kExecutionReport, kAccountPosition, kBalanceUpdate, kListStatus, kOrderTradeUpdate,
  kAccountUpdate, kTradeLite, kListenKeyExpired, kMarginCall,
  kOther,  // a well-formed event we do not parse; `event` says which
};

struct UserDataMessage {
  UserDataKind kind = UserDataKind::kOther;
  FixedString<31> event;  // "e" as received
  OrderUpdate order;      // executionReport and ORDER_TRADE_UPDATE
  AccountPosition account_position;
  BalanceDelta balance_delta;
  ListStatus list_status;
  AccountUpdate account_update;
  TradeLite trade_lite;
  MarginCall margin_call;
  ListenKeyExpired listen_key_expired;
};

[[nodiscard]] Result<UserDataKind, ParseError> parse_user_data(JsonParser& parser,
                                                              std::string_view json,
                                                              UserDataMessage& out);

// ---- into our events ------------------------------------------------------------------------
// An order update as our events, appended to out:
//   NEW -> OrderAccepted; TRADE / CALCULATED -> FillReceived, then OrderPartiallyFilled or
//   OrderFilled (by X); CANCELED -> OrderCanceled; REJECTED -> OrderRejected (venue_code 0,
//   the reason text); EXPIRED / TRADE_PREVENTION -> OrderExpired (or OrderCanceled when X is
//   CANCELED); REPLACED / AMENDMENT -> OrderAmended.
// The fill's trade id is the venue's "t"; its fee is n in N.
[[nodiscard]] Result<Unit, ParseError> to_events(const OrderUpdate& u, AccountId account,
                                                 InstrumentId instrument,
                                                 std::vector<EventPayload>& out);
// outboundAccountPosition -> one BalanceUpdated per asset.
void to_balance_events(const AccountPosition& p, AccountId account, Market market,
                       std::vector<EventPayload>& out);
// ACCOUNT_UPDATE -> BalanceUpdated per asset (free = wallet balance, locked = 0: USD-M margin
// is not "locked" per asset) and PositionUpdated per position (leverage is not in the event:
// left at 1, the caller keeps it from its own leverage setting). Symbols go through lookup.
[[nodiscard]] Result<Unit, ParseError> to_account_events(const AccountUpdate& u, AccountId account,
                                                         Market market,
                                                         const InstrumentLookup& lookup,
                                                         std::vector<EventPayload>& out);

}  // namespace oms::binance
