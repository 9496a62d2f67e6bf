// Internals of venue-sim's OKX front shared by its .cpp files (not an API).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bybit_front_impl.hpp"  // the decimal helpers (dmul, ddiv, dadd, dsub, dabs), splitmix, hex16
#include "front_impl.hpp"        // JsonOut, parse_form, diff_side
#include "okx_front.hpp"
#include "oms/connectors/signing.hpp"

namespace oms::venue_sim::okxsim {

using bysim::dabs;
using bysim::dadd;
using bysim::ddiv;
using bysim::dmul;
using bysim::dsub;
using bysim::splitmix;

// ---- codes ------------------------------------------------------------------------------------
// OKX v5 (okx.com/docs-v5/en/#error-code), the ones venue-sim answers, with OKX's HTTP status.
inline constexpr int kOk = 0;
inline constexpr int kAllFailed = 1;      // order ops: every item failed (sCode per item)
inline constexpr int kPartFailed = 2;     // batches: some items failed
inline constexpr int kNotServed = 50030;    // No permission to use this API; venue-sim: an endpoint it does not serve (named)
inline constexpr int kUnavailable = 50001;  // 503 Service temporarily unavailable (error_5xx)
inline constexpr int kRateLimit = 50011;    // 429 Rate limit reached
inline constexpr int kEmpty = 50014;        // 400 Parameter {param0} can not be empty
inline constexpr int kExpired = 50102;      // 401 Timestamp request expired
inline constexpr int kNoKey = 50103;        // 401 Request header "OK-ACCESS-KEY" can not be empty
inline constexpr int kNoPass = 50104;       // 401 ... "OK-ACCESS-PASSPHRASE" can not be empty
inline constexpr int kBadPass = 50105;      // 401 ... "OK-ACCESS-PASSPHRASE" incorrect
inline constexpr int kNoSign = 50106;       // 401 ... "OK-ACCESS-SIGN" can not be empty
inline constexpr int kNoTs = 50107;         // 401 ... "OK-ACCESS-TIMESTAMP" can not be empty
inline constexpr int kBadKey = 50111;       // 401 Invalid OK-ACCESS-KEY
inline constexpr int kBadTs = 50112;        // 401 Invalid OK-ACCESS-TIMESTAMP
inline constexpr int kBadSign = 50113;      // 401 Invalid Sign
inline constexpr int kParam = 51000;        // 400 Parameter {param0} error
inline constexpr int kNoInstrument = 51001;  // Instrument ID does not exist
inline constexpr int kMaxSz = 51202;        // Market order amount exceeds the maximum amount
inline constexpr int kMaxLmtSz = 51203;     // Order amount exceeds the limit {maxLmtSz}
inline constexpr int kBalance = 51008;      // Order failed. Insufficient {ccy} balance in account
inline constexpr int kDupClOrdId = 51016;   // Duplicated clOrdId
inline constexpr int kMinSz = 51020;        // Your order should meet or exceed the minimum order amount
inline constexpr int kLotSz = 51121;        // Order quantity must be a multiple of the lot size
inline constexpr int kReduceOnly = 51169;   // no position in this direction to reduce or close
inline constexpr int kNeedId = 51003;        // Either client order ID or order ID is required
inline constexpr int kCountLimit = 51025;    // Order count exceeds the limit
inline constexpr int kCancelFailed = 51400;  // Cancellation failed as the order does not exist
inline constexpr int kCancelCanceled = 51401;  // ... as the order is already canceled
inline constexpr int kCancelFilled = 51402;    // ... as the order is already completed
inline constexpr int kAmendNeedPxSz = 51500;   // Either order price or amount is required
inline constexpr int kAmendFailed = 51503;     // Order modification failed as the order does not exist
inline constexpr int kAmendCanceled = 51509;   // Modification failed as the order has been canceled
inline constexpr int kAmendFilled = 51510;     // Modification failed as the order has been completed
inline constexpr int kTpHigh = 51277;  // TP trigger price can not be higher than the last price
inline constexpr int kSlLow = 51278;   // SL trigger price can not be lower than the last price
inline constexpr int kTpLow = 51279;   // TP trigger price can not be lower than the last price
inline constexpr int kSlHigh = 51280;  // SL trigger price can not be higher than the last price
inline constexpr int kNoOrder = 51603;       // Order does not exist
inline constexpr int kSettings = 59000;      // Settings failed. Close open positions and orders first

// HTTP status OKX answers with a code (200 for business refusals).
unsigned http_status(int code) noexcept;

// A refusal in OKX's words: thrown while one request (or one batch item) is handled and caught
// where its answer is built; never leaves the handler.
struct Refusal {
  int code = kParam;
  std::string msg;
};
[[noreturn]] void refuse(int code, std::string msg);
[[noreturn]] void param_error(std::string_view param, std::string_view why = {});  // 51000
[[noreturn]] void empty_param(std::string_view param);                             // 50014

// ---- request parameters ------------------------------------------------------------------------
// A GET query (strings) or a POST JSON object. Empty strings read as absent, as OKX reads them.
class Args {
 public:
  explicit Args(nlohmann::json object) : j_(std::move(object)) {}
  static Args from_query(std::string_view query);
  static Args from_body(std::string_view body);  // an object (an array: refused here)

  [[nodiscard]] bool has(std::string_view k) const;
  [[nodiscard]] std::optional<std::string> text(std::string_view k) const;
  [[nodiscard]] std::string required(std::string_view k) const;  // 50014 when absent
  [[nodiscard]] std::optional<Decimal> decimal(std::string_view k) const;  // "0.1" (or 0.1 number)
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view k) const;
  [[nodiscard]] std::optional<bool> boolean(std::string_view k) const;  // true / "true"
  // Refuses 51000 naming the first key not in `known` (a misspelt parameter is a client bug).
  void only(std::initializer_list<std::string_view> known) const;
  [[nodiscard]] const nlohmann::json& json() const { return j_; }

 private:
  [[nodiscard]] const nlohmann::json* find(std::string_view k) const;
  nlohmann::json j_;
};

// ---- market data -------------------------------------------------------------------------------
struct Print {
  std::string trade_id;
  Decimal price, qty;  // qty in base units
  Side taker = Side::kBuy;
  std::int64_t time_ms = 0;
};
inline constexpr std::size_t kKeptPrints = 500;
inline constexpr std::size_t kBooksDepth = 400;  // the books channel and market/books maximum

struct Feed {
  std::vector<sim::PriceQty> bids, asks;  // the published book (books channel), best first
  std::int64_t seq = 0;                   // seqId of the last book message (books, bbo-tbt)
  std::optional<sim::PriceQty> bid, ask;  // last bbo-tbt
  std::deque<Print> prints;               // newest last
  std::uint64_t trades_made = 0;
  std::string ticker;                     // the last tickers text pushed (without ts)
  std::deque<std::pair<std::int64_t, Decimal>> day;  // (time, price) of the last 24 h trades
  std::deque<std::pair<std::int64_t, Decimal>> day_qty;
};

struct Category {
  Market market = Market::kSpot;  // kSpot: SPOT, kUsdm: SWAP
  std::unique_ptr<sim::Venue> venue;
  std::vector<OkxInstrument> instruments;  // by SymbolIndex
  std::vector<Feed> feeds;
  [[nodiscard]] bool spot() const { return market == Market::kSpot; }
  [[nodiscard]] const char* type() const { return spot() ? "SPOT" : "SWAP"; }
};

// OKX's units <-> the core's: SWAP sizes are contracts.
Decimal to_core(const OkxInstrument& in, Decimal sz);
Decimal to_okx(const OkxInstrument& in, Decimal qty);
std::string text(Decimal d);  // canonical ("0.1", "60000")

// ---- orders ------------------------------------------------------------------------------------
struct OrderKey {
  Market market = Market::kSpot;
  sim::SymbolIndex symbol = 0;
  std::int64_t order_id = 0;
  friend auto operator<=>(const OrderKey&, const OrderKey&) = default;
};

// What OKX says of an order that the core does not keep.
struct OrderMeta {
  std::uint64_t ord_id = 0;  // OKX's ordId (monotonic across the front)
  std::size_t account = 0;
  bool cl_given = false;
  std::string tag, ord_type, td_mode = "cash", tgt_ccy, stp_mode;
  std::string cancel_source, cancel_reason;
  std::string pos_side = "net";
  bool reduce_only = false;
  Decimal sz;      // as sent (contracts on SWAP; quote on a quote_ccy market order)
  Decimal fee;     // accumulated, OKX's sign (negative = charged)
  std::string fee_ccy;
  Decimal pnl;
  Decimal last_px, last_sz;  // base units
  std::string last_trade_id;
  bool last_maker = false;
  std::int64_t fill_time = 0;
  std::int64_t created_ms = 0, updated_ms = 0;
  int lever = 0;
  // An algo order (trade/order-algo): the core's stop order until it triggers, then the order
  // it places (ord_id given at the trigger).
  std::uint64_t algo_id = 0;
  std::string algo_cl, algo_type;  // algoClOrdId; "conditional" | "trigger"
  std::string tp_trigger, tp_ord, sl_trigger, sl_ord, trigger_px, order_px;  // as OKX shows them
  std::string algo_state;  // live | effective | canceled | order_failed
  bool triggered = false;
  std::int64_t trigger_ms = 0;
  [[nodiscard]] bool waiting() const { return algo_id != 0 && !triggered; }
};

// An order as the core holds it, from a query (OrderView) or a report (ExecutionReport).
struct OrderRow {
  sim::SymbolIndex symbol = 0;
  std::int64_t order_id = 0;
  std::string client_id;
  Side side = Side::kBuy;
  Decimal price, quantity, cum_qty, cum_quote;
  sim::SimStatus status = sim::SimStatus::kNew;
};
OrderRow row_of(const sim::OrderView& v);
OrderRow row_of(const sim::ExecutionReport& r);

struct Fill {
  Market market = Market::kSpot;
  sim::SymbolIndex symbol = 0;
  std::uint64_t bill_id = 0, ord_id = 0;
  std::string trade_id, cl_ord_id, tag, pos_side;
  Side side = Side::kBuy;
  Decimal px, qty, fee;  // qty base units; fee OKX's sign
  std::string fee_ccy;
  bool maker = false;
  std::int64_t ts = 0;
};

struct PositionState {
  bool open = false;
  std::int64_t created_ms = 0, updated_ms = 0;
  Decimal realized_at_open;  // the core's realized PnL when it opened
  Decimal fee;               // since it opened, OKX's sign
  std::uint64_t pos_id = 0;
  std::string mgn_mode = "cross";
  std::string last_trade_id;
};

struct UnifiedAccount {
  OkxAccountSpec spec;
  sim::ApiKeyId spot_id = 0, swap_id = 0;
  std::unique_ptr<signing::HmacSha256> mac;
  std::string uid;
  std::map<std::string, std::deque<std::int64_t>, std::less<>> windows;  // rate limits
  bool hedge = false;  // long_short_mode
  std::vector<Fill> fills;  // oldest first
  std::map<std::pair<sim::SymbolIndex, int>, PositionState> positions;  // (symbol, posSide 0 net 1 long 2 short)
  std::map<std::pair<sim::SymbolIndex, std::string>, int, std::less<>> lever;  // (symbol, mgnMode)
  std::int64_t balance_utime = 0;
  std::map<std::string, Decimal, std::less<>> fund;  // the funding account ("6"): transfers only
};

// One funds transfer (okx_front_transfers.cpp).
struct FundsTransfer {
  std::string trans_id, client_id, ccy, from, to, type, sub_acct;
  Decimal amt;
  std::size_t caller = 0;  // the account whose key sent it
};

struct Sub {
  enum class Kind : std::uint8_t { kPublic, kPrivate, kBusiness };  // business: orders-algo
  std::shared_ptr<net::WsSession> session;
  Kind kind = Kind::kPublic;
  // channel key -> the arg object as subscribed (its text is echoed in pushes)
  std::map<std::string, nlohmann::json, std::less<>> channels;
  bool logged_in = false;
  std::size_t account = 0;
  std::string conn_id;
};

std::string iso_ms(std::int64_t ms);                      // "2026-12-06T00:00:00.123Z"
std::optional<std::int64_t> parse_iso_ms(std::string_view s);  // the same form back

}  // namespace oms::venue_sim::okxsim

namespace oms::venue_sim {

struct OkxFront::Impl {
  using Category = okxsim::Category;
  using Args = okxsim::Args;
  using Account = okxsim::UnifiedAccount;

  OkxFrontConfig cfg;
  mutable std::mutex mu;
  Category spot, swap;
  std::vector<Account> accounts;
  std::map<std::string, std::size_t, std::less<>> by_key;
  std::map<std::uint64_t, okxsim::Sub> subs;  // by session id
  std::map<okxsim::OrderKey, okxsim::OrderMeta> orders;
  std::map<std::uint64_t, okxsim::OrderKey> by_ord_id;
  std::map<std::uint64_t, okxsim::OrderKey> by_algo_id;
  std::set<okxsim::OrderKey> untriggered;  // algo orders waiting for their trigger
  std::uint64_t rng = 0, latency_rng = 0;
  std::uint64_t next_ord_id = 0, next_bill_id = 0, next_trade_id = 0, next_pos_id = 0, next_algo_id = 0;

  explicit Impl(OkxFrontConfig c);
  Category& category(Market m) { return m == Market::kSpot ? spot : swap; }
  [[nodiscard]] std::int64_t now_ms() const;
  [[nodiscard]] TimeNs now_ns() const { return now_ms() * 1'000'000; }
  bool draw(double p);
  Account& account_of(Market m, sim::ApiKeyId id);
  [[nodiscard]] sim::ApiKeyId venue_id(const Account& a, const Category& c) const {
    return c.spot() ? a.spot_id : a.swap_id;
  }
  // The instrument instId names (either category); nullopt when none.
  std::optional<std::pair<Category*, sim::SymbolIndex>> instrument(std::string_view inst_id);
  std::pair<Category*, sim::SymbolIndex> instrument_of(const Args& p);  // required instId, 51001
  okxsim::OrderMeta& meta(const Category& c, sim::SymbolIndex s, std::int64_t id);

  // ---- REST (okx_front.cpp) ----
  struct Answer {
    int code = okxsim::kOk;
    std::string msg;
    std::string data = "[]";
  };
  Answer dispatch(const net::HttpRequest& req, bool& order_request, bool& drop);

  // okx_front_transfers.cpp: funds transfers (types 0, 1, 2) and their state
  std::vector<okxsim::FundsTransfer> funds;  // oldest first
  std::uint64_t next_trans_id = 754'147;
  [[nodiscard]] std::size_t okx_master_of(std::size_t index) const;  // itself when a master
  [[nodiscard]] std::string sub_name(std::size_t index) const;       // spec.sub_account, else its name
  Decimal& sa_fund(std::size_t index, const std::string& ccy) { return accounts[index].fund[ccy]; }
  Answer funds_transfer(Account& a, const Args& p);
  Answer funds_transfer_state(Account& a, const Args& p);
  // The endpoint's window (per user, and per instrument where OKX counts so); true when taken.
  bool take_rate(Account& a, std::string_view path, std::string_view inst, std::uint32_t units,
                 std::string_view method = "POST");

  // okx_front_market.cpp
  Answer public_time();
  Answer public_instruments(const Args& p);
  Answer market_books(const Args& p);
  Answer market_ticker(const Args& p, bool all);
  Answer market_trades(const Args& p);
  void ticker_json(JsonOut& j, const Category& c, sim::SymbolIndex s);
  void record_trade(Category& c, sim::SymbolIndex s, Decimal px, Decimal qty, Side taker, std::int64_t ms);

  // okx_front_orders.cpp
  Answer place(Account& a, const nlohmann::json& body, bool batch);
  Answer cancel(Account& a, const nlohmann::json& body, bool batch);
  Answer amend(Account& a, const nlohmann::json& body, bool batch);
  Answer batch_op(Account& a, const nlohmann::json& body, bool batch, int op);  // op 0 place, 1 cancel, 2 amend
  std::string place_one(Account& a, const Args& p);   // the data item (sCode 0); throws Refusal
  std::string cancel_one(Account& a, const Args& p);
  std::string amend_one(Account& a, const Args& p);
  sim::OrderView find_order(const Account& a, const Category& c, sim::SymbolIndex s, const Args& p, int missing_code);
  [[noreturn]] void venue_refusal(const Category& c, sim::SymbolIndex s, const sim::VenueError& e);

  // okx_front_algo.cpp: conditional (one of TP / SL) and trigger orders on the core's stops
  Answer place_algo(Account& a, const Args& p);
  Answer place_algo_one(Account& a, const Args& p);  // throws Refusal
  Answer cancel_algos(Account& a, const nlohmann::json& body);
  Answer get_algo(Account& a, const Args& p);
  Answer algos(Account& a, const Args& p, bool pending);
  void algo_json(JsonOut& j, const Category& c, const okxsim::OrderKey& k, const okxsim::OrderMeta& m);
  // The algo order triggered: its order gets an ordId (flush).
  void triggered(Category& c, const okxsim::OrderKey& k, okxsim::OrderMeta& m, std::int64_t now);

  // okx_front_queries.cpp
  Answer get_order(Account& a, const Args& p);
  Answer orders_pending(Account& a, const Args& p);
  // archive: orders-history-archive (3 months) rather than orders-history (7 days).
  Answer orders_history(Account& a, const Args& p, bool archive);
  // history: fills-history (3 months) rather than trade/fills (3 days).
  Answer fills(Account& a, const Args& p, bool history);
  Answer balance(Account& a, const Args& p);
  Answer positions(Account& a, const Args& p);
  Answer set_leverage(Account& a, const Args& p);
  Answer set_position_mode(Account& a, const Args& p);
  Answer account_config(Account& a);
  Answer trade_fee(Account& a, const Args& p);
  Answer currencies(const Args& p);
  // One order as the order endpoints and the orders channel show it (ws: the channel's extra
  // fields: fillFee, execType ...; fill: the report's trade, when it is one).
  void order_json(JsonOut& j, const Category& c, const okxsim::OrderRow& r, const okxsim::OrderMeta& m,
                  const sim::ExecutionReport* fill, bool ws);
  void balance_json(JsonOut& j, const Account& a, const std::set<std::string, std::less<>>* only);
  void position_json(JsonOut& j, Account& a, const sim::PositionView& p);
  [[nodiscard]] std::optional<Decimal> usd_price(std::string_view ccy) const;
  [[nodiscard]] const char* pos_side_text(const Account& a, PositionSide ps) const;

  // okx_front_streams.cpp
  void flush(Category& c, sim::Outbox& out);
  void publish_book(Category& c, sim::SymbolIndex s);
  void publish_ticker(Category& c, sim::SymbolIndex s);
  void publish_trade(Category& c, sim::SymbolIndex s, const okxsim::Print& p);
  void send_public(std::string_view key, const std::string& text);
  // One push to one account: (channel, instType, data array text) messages, with the faults.
  void send_private(std::size_t account, std::vector<std::tuple<std::string, std::string, std::string>> messages);
  void ws_open(const std::shared_ptr<net::WsSession>& s, okxsim::Sub::Kind kind);
  void ws_close(net::WsSession& s);
  void ws_text(net::WsSession& s, std::string_view text);
  std::string books_json(const Category& c, sim::SymbolIndex s, const char* channel, const char* action,
                         const std::vector<sim::PriceQty>& bids, const std::vector<sim::PriceQty>& asks,
                         std::int64_t seq, std::int64_t prev, bool with_checksum);
};

}  // namespace oms::venue_sim
