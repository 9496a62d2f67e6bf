// OKX v5 REST request builders (unified account; SPOT and USDT-margined SWAP). Pure functions:
// our commands and plain parameter structs in, a RestRequest out (render() it to send). Paths,
// field names and value words follow the v5 API reference; prices and sizes are exact decimal
// strings. Errors name the field; nothing is rounded here (apply the instrument's lot and tick
// first).
//
// Quantities: our commands count BASE units everywhere. OKX counts a SWAP order's sz in
// CONTRACTS of ctVal base units each, so a swap quantity must be a whole multiple of
// lotSz * ctVal and is sent as quantity / ctVal. A SPOT sz is base units, said explicitly with
// tgtCcy base_ccy (a spot market buy's default unit is the quote currency); a spot market order
// by quote amount sends tgtCcy quote_ccy.
//
// Order kinds: market / limit, and the time in force inside ordType (post_only, fok, ioc) go to
// /api/v5/trade/order (or batch-orders); stop and take-profit kinds go to
// /api/v5/trade/order-algo as a one-sided "conditional" order (slTriggerPx / tpTriggerPx, the
// order price "-1" for market), or as a "trigger" order when asked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "oms/connectors/okx/rest_request.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::okx {

enum class InstType : std::uint8_t { kSpot, kSwap };
[[nodiscard]] std::string_view to_string(InstType t) noexcept;  // "SPOT", "SWAP"

// tdMode: cash (spot without margin), cross or isolated (swaps; spot margin trading).
enum class TradeMode : std::uint8_t { kCash, kCross, kIsolated };
[[nodiscard]] std::string_view to_string(TradeMode m) noexcept;

// What a builder needs to know about the instrument an order names.
struct InstrumentSpec {
  std::string inst_id;                  // "BTC-USDT", "BTC-USDT-SWAP"
  InstType inst_type = InstType::kSpot;
  Decimal contract_value = Decimal::from_raw(Decimal::kOne);  // ctVal base units; 1 on spot
  Decimal lot_size;                     // lotSz in sz units (contracts on SWAP); zero: unchecked
  TradeMode trade_mode = TradeMode::kCash;
  bool long_short_mode = false;         // account posMode long_short_mode: orders carry posSide
};

using Req = Result<RestRequest, RequestError>;

// sz for a base quantity: quantity / ctVal, refused (naming `field`) unless the quantity is a
// whole multiple of lotSz * ctVal: "sz: not a whole number of contracts (ctVal 0.01, lotSz 1)".
[[nodiscard]] Result<Decimal, RequestError> to_size(const InstrumentSpec& spec, Decimal quantity,
                                                    std::string_view field);

// Which algo order a stop / take-profit kind becomes.
enum class AlgoKind : std::uint8_t {
  kConditional,  // one-sided TP or SL: fires the way the kind says (a stop buys rising)
  kTrigger,      // a plan order: fires when the price reaches triggerPx from either side
};

enum class TriggerPriceType : std::uint8_t { kLast, kIndex, kMark };

// Venue parameters a SubmitOrder does not carry. Zero / empty = not sent.
struct OrderExtras {
  // posSide: kLong / kShort in long/short mode, kBoth is "net". Unset in long/short mode: from
  // the order (opening buys long, reduce-only buys close short, and the reverse).
  std::optional<PositionSide> position_side;
  // spot MARKET: trade this much quote (tgtCcy quote_ccy; the command's quantity must be zero)
  Decimal quote_quantity;
  // take-profit / stop-loss attached to the order (attachAlgoOrds); order price zero = market
  Decimal take_profit, take_profit_price, stop_loss, stop_loss_price;
  TriggerPriceType trigger_price_type = TriggerPriceType::kLast;
  AlgoKind algo = AlgoKind::kConditional;
  // a conditional TP/SL that closes the whole position when it fires (closeFraction 1; swap,
  // reduce-only, quantity zero)
  bool close_position = false;
  std::string_view tag;  // order tag (1..16 alphanumerics)
};

// Names an existing order: the venue's ordId, or our clOrdId.
struct OrderRef {
  std::string_view ord_id;
  std::string_view cl_ord_id;
};
struct AlgoRef {
  std::string_view algo_id;
  std::string_view algo_cl_ord_id;
};

// A clOrdId OKX accepts: 1..32 letters and digits.
[[nodiscard]] bool valid_client_id(std::string_view id) noexcept;

// ---- Orders (/api/v5/trade) ---------------------------------------------------------------
// POST /api/v5/trade/order, or /api/v5/trade/order-algo for a stop / take-profit kind.
[[nodiscard]] Req new_order(const InstrumentSpec& in, const SubmitOrder& o,
                            const OrderExtras& x = {});
struct AmendOptions {
  bool cancel_on_fail = false;  // cxlOnFail: cancel the order when the amendment fails
  std::string_view req_id;      // reqId: the amendment's own client id
};
// POST /api/v5/trade/amend-order: a new price and/or a new TOTAL quantity (filled part
// included; zero: unchanged).
[[nodiscard]] Req amend_order(const InstrumentSpec& in, const OrderRef& ref, Decimal quantity,
                              Decimal price, const AmendOptions& opt = {});
[[nodiscard]] Req amend_order(const InstrumentSpec& in, const AmendOrder& a);
// POST /api/v5/trade/cancel-order.
[[nodiscard]] Req cancel_order(const InstrumentSpec& in, const OrderRef& ref);
[[nodiscard]] Req cancel_order(const InstrumentSpec& in, const CancelOrder& c);
// POST /api/v5/trade/close-position: the whole position at market (posSide in long/short mode).
[[nodiscard]] Req close_position(const InstrumentSpec& in,
                                 std::optional<PositionSide> side = std::nullopt);
// POST /api/v5/trade/cancel-all-after: cancel every order unless called again within
// `seconds` (10..120; 0 disarms).
[[nodiscard]] Req cancel_all_after(std::uint32_t seconds);

// Batches: each order answered on its own, instruments may differ; at most max_batch().
struct BatchItem {
  const InstrumentSpec* instrument = nullptr;
  SubmitOrder order;
  OrderExtras extras;
};
struct AmendItem {
  const InstrumentSpec* instrument = nullptr;
  OrderRef ref;
  Decimal quantity, price;
  AmendOptions options;
};
struct CancelItem {
  const InstrumentSpec* instrument = nullptr;
  OrderRef ref;
};
[[nodiscard]] std::size_t max_batch() noexcept;  // 20 orders a request
// POST batch-orders (plain kinds only: algo orders have no batch endpoint).
[[nodiscard]] Req batch_orders(std::span<const BatchItem> items);
// A SubmitBatch: specs[i] is the instrument of orders[i].
[[nodiscard]] Req batch_orders(const SubmitBatch& b, std::span<const InstrumentSpec* const> specs);
[[nodiscard]] Req amend_batch(std::span<const AmendItem> items);    // amend-batch-orders
[[nodiscard]] Req cancel_batch(std::span<const CancelItem> items);  // cancel-batch-orders

// Algo orders: POST cancel-algos (at most max_algo_cancel() a request).
struct AlgoCancelItem {
  const InstrumentSpec* instrument = nullptr;
  AlgoRef ref;
};
[[nodiscard]] std::size_t max_algo_cancel() noexcept;  // 10
[[nodiscard]] Req cancel_algos(std::span<const AlgoCancelItem> items);

// ---- Order and fill queries ---------------------------------------------------------------
// GET /api/v5/trade/order: one order by ordId or clOrdId.
[[nodiscard]] Req order_details(const InstrumentSpec& in, const OrderRef& ref);
// GET /api/v5/trade/order-algo: one algo order by algoId or algoClOrdId (live or ended).
[[nodiscard]] Req algo_order_details(const AlgoRef& ref);
// Filters and paging of the list queries; unset / empty / zero = not sent. Pages: `after`
// asks for older records than that id (ordId / billId / algoId), `before` newer.
struct ListQuery {
  std::optional<InstType> inst_type;  // required by the history queries
  const InstrumentSpec* instrument = nullptr;
  std::string_view ord_type;  // "limit", "post_only" ... (algo queries: see AlgoOrdType)
  std::string_view state;     // "live", "filled", "canceled" ... (algo: "effective", ...)
  std::string_view ord_id;    // fills of one order
  std::string_view after, before;
  std::int64_t begin_ms = 0, end_ms = 0;
  std::uint32_t limit = 0;    // 100 at most
};
[[nodiscard]] Req orders_pending(const ListQuery& q = {});          // open orders
[[nodiscard]] Req orders_history(const ListQuery& q);               // last 7 days
[[nodiscard]] Req orders_history_archive(const ListQuery& q);       // last 3 months
[[nodiscard]] Req fills(const ListQuery& q = {});                   // last 3 days
[[nodiscard]] Req fills_history(const ListQuery& q);                // last 3 months
enum class AlgoOrdType : std::uint8_t { kConditional, kOco, kTrigger, kMoveOrderStop };
[[nodiscard]] std::string_view to_string(AlgoOrdType t) noexcept;
[[nodiscard]] Req algo_orders_pending(AlgoOrdType t, const ListQuery& q = {});
// state (q.state: "effective", "canceled", "order_failed") or one algo order (algo_id).
[[nodiscard]] Req algo_orders_history(AlgoOrdType t, const ListQuery& q,
                                      std::string_view algo_id = {});

// ---- Account (/api/v5/account) -------------------------------------------------------------
[[nodiscard]] Req balance(std::string_view currencies = {});  // "BTC,USDT"; empty: every one
[[nodiscard]] Req positions(const InstrumentSpec* in = nullptr);  // every SWAP position, or one
[[nodiscard]] Req positions_history(const InstrumentSpec* in = nullptr, std::uint32_t limit = 0);
// POST set-leverage: lever for one instrument in the spec's margin mode (isolated long/short
// mode: per posSide).
[[nodiscard]] Req set_leverage(const InstrumentSpec& in, Decimal leverage,
                               std::optional<PositionSide> side = std::nullopt);
[[nodiscard]] Req leverage_info(const InstrumentSpec& in);  // GET leverage-info
// POST set-position-mode: long_short_mode (true) or net_mode.
[[nodiscard]] Req set_position_mode(bool long_short);
[[nodiscard]] Req account_config();  // GET config: position mode, account level, uid
// GET trade-fee: the account's fee rates for an instrument type (one instrument optional).
[[nodiscard]] Req trade_fee(InstType t, const InstrumentSpec* in = nullptr);
// The trading account's ledger. type / sub_type: OKX bill types ("2" trade, "8" funding fee,
// sub types "160" margin added ...); zero / empty = not sent.
struct BillsQuery {
  std::optional<InstType> inst_type;
  std::string_view currency;
  std::optional<TradeMode> margin_mode;
  std::string_view type, sub_type;
  std::string_view after, before;  // billId paging
  std::int64_t begin_ms = 0, end_ms = 0;
  std::uint32_t limit = 0;
};
[[nodiscard]] Req bills(const BillsQuery& q = {});          // last 7 days
[[nodiscard]] Req bills_archive(const BillsQuery& q = {});  // last 3 months

// ---- Funding account and transfers (/api/v5/asset) -----------------------------------------
enum class AccountType : std::uint8_t { kFunding = 6, kTrading = 18 };
// POST /api/v5/asset/transfer's type: 0 within the account (the key's own), 1 master ->
// sub-account, 2 sub-account -> master (1 and 2 signed by the master's key, subAcct naming
// the sub-account). The sub-account's own-key types (3, 4) are not made here.
enum class TransferType : std::uint8_t { kWithinAccount = 0, kMasterToSub = 1, kSubToMaster = 2 };
struct Transfer {
  std::string_view currency;
  Decimal amount;
  AccountType from = AccountType::kTrading, to = AccountType::kFunding;
  std::string_view client_id;  // clientId: 1..32 alphanumerics, the transfer's idempotency key
  TransferType type = TransferType::kWithinAccount;
  std::string_view sub_account;  // subAcct: required by types 1 and 2, refused by type 0
};
[[nodiscard]] Req transfer(const Transfer& t);  // POST /api/v5/asset/transfer
// GET /api/v5/asset/transfer-state by transId or clientId (exactly one); `type` (types 1 and 2:
// the master's query of a master <-> sub transfer) is sent when given.
[[nodiscard]] Req transfer_state(std::string_view trans_id, std::string_view client_id = {},
                                 std::optional<TransferType> type = std::nullopt);
[[nodiscard]] Req asset_balances(std::string_view currencies = {});  // the funding account
[[nodiscard]] Req asset_bills(const BillsQuery& q = {});             // the funding account's ledger
[[nodiscard]] Req currencies();
[[nodiscard]] Req deposit_history(std::string_view currency = {});
[[nodiscard]] Req withdrawal_history(std::string_view currency = {});
[[nodiscard]] Req deposit_address(std::string_view currency);

// ---- Public (/api/v5/public, /api/v5/market) ------------------------------------------------
[[nodiscard]] Req server_time();
[[nodiscard]] Req system_status();
[[nodiscard]] Req instruments(InstType t, std::string_view inst_id = {});
[[nodiscard]] Req order_book(const InstrumentSpec& in, std::uint32_t depth = 0);  // 0: venue's 1
[[nodiscard]] Req ticker(const InstrumentSpec& in);
[[nodiscard]] Req tickers(InstType t);
[[nodiscard]] Req trades(const InstrumentSpec& in, std::uint32_t limit = 0);
// bar: "1m", "1H", "1D" ...; history: history-candles (older than the recent window).
[[nodiscard]] Req candles(const InstrumentSpec& in, std::string_view bar, std::uint32_t limit = 0,
                          bool history = false);
[[nodiscard]] Req mark_price(const InstrumentSpec* in);     // nullptr: every SWAP
[[nodiscard]] Req funding_rate(const InstrumentSpec* in);   // nullptr: every swap ("ANY")
[[nodiscard]] Req open_interest(const InstrumentSpec* in);  // nullptr: every SWAP

}  // namespace oms::okx
