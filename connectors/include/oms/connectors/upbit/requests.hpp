// Upbit REST request builders (spot: the KRW, BTC and USDT markets). Pure functions: our
// commands and plain parameter structs in, a RestRequest out (render() it to send). Paths, field
// names and value words follow Upbit's API reference; prices and volumes are exact decimal
// strings. Errors name the field; nothing is rounded here (apply the tick table and the
// instrument's rules first).
//
// Orders (POST /v1/orders), by Upbit's ord_type:
//   limit   price + volume; time_in_force ioc / fok / post_only (post_only: not with smp_type)
//   price   a market BUY sized by the QUOTE amount to spend: `price` = that total, no volume
//   market  a market SELL by volume, no price
//   best    best-price order (time_in_force ioc or fok required): a buy by quote total
//           (`price`), a sell by volume
// Our SubmitOrder counts base units, which cannot say how much quote a market buy spends: a
// market (or best) buy needs OrderExtras::quote_quantity and a zero quantity, and is refused
// otherwise. Upbit has no stop orders, reduce-only or positions over the API: those are refused
// by name. identifier = our client order id (unique per account, forever: a replaced order
// needs a new one).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "oms/connectors/upbit/rest_request.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::upbit {

using Req = Result<RestRequest, RequestError>;

// Self-match prevention (smp_type).
enum class SelfMatch : std::uint8_t { kNone, kReduce, kCancelMaker, kCancelTaker };

// Venue parameters a SubmitOrder does not carry. Zero / false / kNone = not sent.
struct OrderExtras {
  // A market or best BUY: the quote total to spend (ord_type price / best with `price`).
  Decimal quote_quantity;
  // ord_type best (with the order's tif ioc or fok): the best opposite price, for kMarket orders.
  bool best = false;
  SelfMatch self_match = SelfMatch::kNone;
  bool test = false;  // POST /v1/orders/test: validated by the venue, never placed
};

// Names an existing order: the venue's uuid, or our identifier.
struct OrderRef {
  std::string_view uuid;
  std::string_view identifier;
};

// An identifier we send: 1..64 of letters, digits, '-' and '_'. Upbit documents no length or
// character set; this keeps ids that need no escaping anywhere (ours are 25 alphanumerics).
[[nodiscard]] bool valid_identifier(std::string_view id) noexcept;
// "KRW-BTC": QUOTE-BASE, upper-case letters and digits. Error naming `field` otherwise.
[[nodiscard]] Result<Unit, RequestError> check_market(std::string_view market, std::string_view field);

// ---- Orders ---------------------------------------------------------------------------------
// POST /v1/orders (or /v1/orders/test when x.test).
[[nodiscard]] Req new_order(std::string_view market, const SubmitOrder& o, const OrderExtras& x = {});

// POST /v1/orders/cancel_and_new: cancels `prev` and, once canceled, places a new order on the
// same market and side. volume zero = "remain_only" (the old order's unfilled volume). The new
// order's kind: limit (price, volume), market buy by quote (quote_quantity), market sell
// (volume), best (+ tif ioc / fok).
struct ReplaceOrder {
  OrderRef prev;
  Side side = Side::kBuy;  // the old order's side (fixes price / market and what best sizes)
  OrderType order_type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;
  Decimal price, volume, quote_quantity;
  bool best = false;
  SelfMatch self_match = SelfMatch::kNone;
  std::string_view new_identifier;  // must differ from the old order's
};
[[nodiscard]] Req cancel_and_new(const ReplaceOrder& r);
// Our AmendOrder as cancel-and-new of a resting limit order: new_price required (Upbit keeps
// no old price), new_quantity = the NEW order's volume (zero: the old order's remainder; the
// filled part stays filled on the canceled order). The replacement needs its own identifier.
[[nodiscard]] Req amend_order(const AmendOrder& a, Side side, std::string_view new_identifier);

// DELETE /v1/order: one order by uuid or identifier.
[[nodiscard]] Req cancel_order(const OrderRef& ref);
[[nodiscard]] Req cancel_order(const CancelOrder& c);  // by our identifier
// DELETE /v1/orders/uuids: up to 20 orders, by uuids or by identifiers (not both).
[[nodiscard]] Req cancel_orders(std::span<const std::string_view> uuids,
                                std::span<const std::string_view> identifiers = {});

// DELETE /v1/orders/open: batch cancel of WAIT orders (not WATCH), up to 300.
enum class CancelSide : std::uint8_t { kAll, kBid, kAsk };
enum class OrderBy : std::uint8_t { kDefault, kAsc, kDesc };
struct BatchCancel {
  CancelSide side = CancelSide::kAll;            // cancel_side (all: not sent)
  std::span<const std::string_view> pairs;       // up to 20 markets
  std::span<const std::string_view> excluded_pairs;  // up to 20 markets
  std::span<const std::string_view> quote_currencies;  // "KRW", "BTC" (not with pairs)
  std::uint32_t count = 0;                       // 1..300; 0: the venue's 20
  OrderBy order_by = OrderBy::kDefault;
};
[[nodiscard]] Req cancel_open_orders(const BatchCancel& b);
// Every WAIT order of the account, or of one market: the batch cancel at its maximum count.
[[nodiscard]] Req cancel_all(std::string_view market = {});

// ---- Order queries --------------------------------------------------------------------------
// GET /v1/order: one order (with its trades) by uuid or identifier.
[[nodiscard]] Req get_order(const OrderRef& ref);
// GET /v1/orders/uuids: up to 100 orders by uuids or by identifiers (not both).
[[nodiscard]] Req orders_by_ids(std::string_view market, std::span<const std::string_view> uuids,
                                std::span<const std::string_view> identifiers = {},
                                OrderBy order_by = OrderBy::kDefault);
// GET /v1/orders/open. states: "wait", "watch" (one: state=, several: states[]).
struct OpenOrdersQuery {
  std::string_view market;
  std::span<const std::string_view> states;
  std::uint32_t page = 0;   // from 1; 0: not sent
  std::uint32_t limit = 0;  // 1..100; 0: the venue's 100
  OrderBy order_by = OrderBy::kDefault;
};
[[nodiscard]] Req open_orders(const OpenOrdersQuery& q = {});
// GET /v1/orders/closed. states: "done", "cancel". A window of at most 7 days (ms).
struct ClosedOrdersQuery {
  std::string_view market;
  std::span<const std::string_view> states;
  std::int64_t start_ms = 0, end_ms = 0;
  std::uint32_t limit = 0;  // 1..1000; 0: the venue's 100
  OrderBy order_by = OrderBy::kDefault;
};
[[nodiscard]] Req closed_orders(const ClosedOrdersQuery& q = {});
// GET /v1/orders/chance: the account's fees, balances and the market's order limits.
[[nodiscard]] Req order_chance(std::string_view market);

// ---- Account --------------------------------------------------------------------------------
[[nodiscard]] Req accounts();  // GET /v1/accounts: every currency's balance and locked

// ---- Quotation (public) ---------------------------------------------------------------------
[[nodiscard]] Req market_all(bool details = false);  // GET /v1/market/all (is_details)
// GET /v1/orderbook: markets comma-joined; level (KRW markets' grouping; zero: not sent); count
// of levels (0: the venue's default).
[[nodiscard]] Req orderbook(std::span<const std::string_view> markets, Decimal level = {},
                            std::uint32_t count = 0);
[[nodiscard]] Req orderbook_instruments(std::span<const std::string_view> markets);  // tick_size
[[nodiscard]] Req ticker(std::span<const std::string_view> markets);
[[nodiscard]] Req ticker_all(std::span<const std::string_view> quote_currencies);  // GET /v1/ticker/all
// GET /v1/trades/ticks: count 1..500 (0: not sent); to "HHmmss"; cursor (sequential_id);
// days_ago 1..7 (0: today).
struct TradesQuery {
  std::string_view market;
  std::uint32_t count = 0;
  std::string_view to, cursor;
  std::uint32_t days_ago = 0;
};
[[nodiscard]] Req trades(const TradesQuery& q);
// GET /v1/candles/{seconds | minutes/{1,3,5,10,15,30,60,240} | days | weeks | months | years}.
enum class CandleUnit : std::uint8_t { kSeconds, kMinutes, kDays, kWeeks, kMonths, kYears };
struct CandlesQuery {
  std::string_view market;
  CandleUnit unit = CandleUnit::kMinutes;
  std::uint32_t minutes = 1;  // kMinutes only
  std::uint32_t count = 0;    // 1..200; 0: not sent
  std::string_view to;        // the last candle's time (ISO 8601); empty: now
};
[[nodiscard]] Req candles(const CandlesQuery& q);

}  // namespace oms::upbit
