// Internals of venue-sim's Bybit front shared by its .cpp files (not an API).
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
#include <tuple>
#include <utility>
#include <vector>

#include "bybit_front.hpp"
#include "front_impl.hpp"  // JsonOut, parse_form, diff_side
#include "oms/connectors/signing.hpp"

namespace oms::venue_sim::bysim {

// ---- retCodes ---------------------------------------------------------------------------------
// Bybit v5 (bybit-exchange.github.io/docs/v5/error), the ones venue-sim answers.
inline constexpr int kOk = 0;
inline constexpr int kParamsError = 10001;       // "Request parameter error" (names the field)
inline constexpr int kTimestamp = 10002;         // outside the recv window
inline constexpr int kApiKeyInvalid = 10003;
inline constexpr int kSignError = 10004;
inline constexpr int kTooManyVisits = 10006;     // per-UID endpoint limit
inline constexpr int kServerError = 10016;       // error_5xx fault
inline constexpr int kRouteNotFound = 10017;
inline constexpr int kOrderNotExists = 110001;   // linear
inline constexpr int kInsufficientAvailable = 110007;
inline constexpr int kStopOrdersLimit = 110009;
inline constexpr int kReduceOnly = 110017;
inline constexpr int kActiveOrdersLimit = 110020;
inline constexpr int kHasPositionNoModeSwitch = 110024;
inline constexpr int kModeNotModified = 110025;
inline constexpr int kHasOrdersNoModeSwitch = 110028;
inline constexpr int kLeverageNotModified = 110043;
inline constexpr int kAmendQtyLeFilled = 110064;
inline constexpr int kTradingNotAllowed = 110066;
inline constexpr int kLinkIdDuplicate = 110072;
inline constexpr int kExpectRising = 110092;
inline constexpr int kExpectFalling = 110093;
inline constexpr int kNotionalTooLow = 110094;
inline constexpr int kSpotInvalidTif = 170115;
inline constexpr int kSpotInvalidOrderType = 170116;
inline constexpr int kSpotInvalidSide = 170117;
inline constexpr int kSpotInvalidSymbol = 170121;
inline constexpr int kSpotBalance = 170131;
inline constexpr int kSpotPriceTooHigh = 170132;
inline constexpr int kSpotPriceTooLow = 170133;
inline constexpr int kSpotPriceDecimals = 170134;
inline constexpr int kSpotQtyTooLarge = 170135;
inline constexpr int kSpotQtyTooSmall = 170136;
inline constexpr int kSpotQtyDecimals = 170137;
inline constexpr int kSpotAmountTooSmall = 170140;
inline constexpr int kSpotLinkIdDuplicate = 170141;
inline constexpr int kSpotAmountDecimals = 170148;
inline constexpr int kSpotInvalidOrderFilter = 170201;
inline constexpr int kSpotOrderNotExists = 170213;
inline constexpr int kSpotNotModifiable = 170312;
inline constexpr int kSpotAmendQtyLeFilled = 170313;
inline constexpr int kSpotTooManyOrders = 170810;
inline constexpr int kMarginModeFailed = 3400045;
inline constexpr int kTransferParam = 131002;
inline constexpr int kTransferSameAccount = 131211;
inline constexpr int kTransferBalance = 131212;
inline constexpr int kTransferIdExists = 131214;
inline constexpr int kTransferAmount = 131215;

// A refusal in Bybit's words. Thrown while one request is handled and caught where its answer
// is built (dispatch, or a batch item): the front is an edge, and the exception never leaves
// the handler; the venue core is not involved (it answers Result).
struct Refusal {
  int code = kParamsError;
  std::string msg;
};
[[noreturn]] void refuse(int code, std::string msg);
[[noreturn]] void params_error(std::string_view what);  // 10001 "params error: <what>"

// ---- request parameters ------------------------------------------------------------------------
// A GET query (every value a string) or a POST JSON object. Empty strings read as absent, as
// Bybit reads them. Every accessor refuses 10001 naming the field when the value is malformed.
class Args {
 public:
  explicit Args(nlohmann::json object) : j_(std::move(object)) {}
  static Args from_query(std::string_view query);  // refuses a malformed escape
  static Args from_body(std::string_view body);    // refuses anything but a JSON object

  [[nodiscard]] bool has(std::string_view k) const;
  [[nodiscard]] std::optional<std::string> text(std::string_view k) const;
  [[nodiscard]] std::string required_text(std::string_view k) const;
  [[nodiscard]] std::optional<Decimal> decimal(std::string_view k) const;  // a decimal string
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view k) const;  // 12 or "12"
  [[nodiscard]] std::optional<bool> boolean(std::string_view k) const;  // true or "true"
  [[nodiscard]] const nlohmann::json* raw(std::string_view k) const;
  // Refuses 10001 naming the first key not in `known` (venue-sim does not ignore what Bybit
  // would: a misspelt parameter is a client bug worth seeing).
  void only(std::initializer_list<std::string_view> known) const;
  [[nodiscard]] const nlohmann::json& json() const { return j_; }

 private:
  const nlohmann::json* find(std::string_view k) const;
  nlohmann::json j_;
};

// ---- market data state ------------------------------------------------------------------------
// One orderbook.{depth}.{symbol} stream as published: the top `depth` levels and its update id.
struct Book {
  std::uint32_t depth = 0;
  std::vector<sim::PriceQty> bids, asks;
  std::uint64_t u = 0;
};
struct Candle {  // one minute of trades
  std::int64_t start_ms = 0;
  Decimal open, high, low, close, volume, turnover;
};
struct Print {  // a public trade (background or ours)
  std::string id;
  Decimal price, qty;
  Side taker = Side::kBuy;
  std::int64_t time_ms = 0;
  std::uint64_t seq = 0;
};
struct SymbolFeed {
  std::vector<Book> books;  // by served depth, ascending; the last is what REST serves
  std::uint64_t seq = 0;    // cross sequence: one step per book change or trade
  std::uint64_t prints_made = 0;
  std::deque<Print> prints;    // the latest kKeptPrints
  std::deque<Candle> candles;  // the latest kKeptCandles minutes
  std::optional<Decimal> last_price;
  std::string tick_direction;  // of the last trade
  std::map<std::string, std::string, std::less<>> ticker;  // linear fields as last pushed
};
inline constexpr std::size_t kKeptPrints = 1'000;
inline constexpr std::size_t kKeptCandles = 7 * 24 * 60;  // a week of minutes

struct Category {
  Market market = Market::kSpot;  // kSpot: "spot", kUsdm: "linear"
  std::unique_ptr<sim::Venue> venue;
  std::vector<std::string> symbols;  // by SymbolIndex
  std::vector<SymbolFeed> feeds;
  [[nodiscard]] bool spot() const { return market == Market::kSpot; }
  [[nodiscard]] std::string_view name() const { return spot() ? "spot" : "linear"; }
};

// ---- orders -----------------------------------------------------------------------------------
struct OrderKey {
  Market market = Market::kSpot;
  sim::SymbolIndex symbol = 0;
  std::int64_t order_id = 0;
  friend auto operator<=>(const OrderKey&, const OrderKey&) = default;
};

// What Bybit says about an order that the venue core does not keep.
struct OrderMeta {
  std::size_t account = 0;
  bool link_given = false;    // orderLinkId was sent (else Bybit shows "")
  bool conditional = false;   // triggerPrice: Untriggered until the trigger
  bool triggered = false;
  int trigger_direction = 0;  // 1 rise, 2 fall
  bool quote_unit = false;    // spot market qty in quote (marketUnit quoteCoin)
  bool reduce_only = false;   // as requested (hedge-mode closes run without the venue flag)
  std::string smp_type = "None";
  std::string cancel_type;    // set when it ends: CancelByUser, UNKNOWN, CancelByReduceOnly ...
  std::string reject_reason;  // EC_... with cancel_type
  Decimal cum_fee, closed_pnl;
  std::string fee_currency;
  Decimal last_price_on_created;
};

// The order as one report or one query shows it (row_of: bybit_front_json.cpp).
struct OrderRow {
  sim::SymbolIndex symbol = 0;
  std::int64_t order_id = 0;
  std::string client_id;
  Side side = Side::kBuy;
  sim::SimOrderType type = sim::SimOrderType::kLimit;
  sim::SimTif tif = sim::SimTif::kGtc;
  Decimal price, quantity, stop_price, quote_order_qty, cum_qty, cum_quote;
  sim::SimStatus status = sim::SimStatus::kNew;
  bool reduce_only = false;
  PositionSide position_side = PositionSide::kBoth;
  TimeNs created = 0, updated = 0;
};
OrderRow row_of(const sim::OrderView& o);
OrderRow row_of(const sim::ExecutionReport& r);
// v5 orderStatus (enum orderStatus): a conditional order is Untriggered until its trigger and
// Deactivated when cancelled before it; spot alone has PartiallyFilledCanceled.
[[nodiscard]] const char* order_status_text(const Category& c, const OrderRow& r, const OrderMeta& m);

// A fill as /v5/execution/list and the execution topic word it (recorded as it happens).
struct Execution {
  Market market = Market::kSpot;
  sim::SymbolIndex symbol = 0;
  std::int64_t order_id = 0;
  std::string exec_id, link_id;
  Side side = Side::kBuy;
  Decimal order_price, order_qty, leaves_qty;
  bool market_order = false, conditional = false;
  Decimal price, qty, fee, fee_rate, mark, closed_size, pnl;
  std::string fee_currency;
  bool maker = false;
  std::int64_t time_ms = 0;
  std::uint64_t seq = 0;
};

// One line of /v5/account/transaction-log.
struct LedgerRow {
  std::string id, symbol, category, side, type, currency;
  Decimal qty, size, trade_price, fee, cash_flow, change, cash_balance, fee_rate;
  std::string trade_id, order_id, link_id;
  std::int64_t time_ms = 0;
};

struct TransferRow {
  std::string transfer_id, coin, from, to;
  Decimal amount;
  std::int64_t time_ms = 0;
};

// One universal transfer between two UIDs (bybit_front_transfers.cpp).
struct UniTransfer {
  std::string transfer_id, coin, from_type, to_type;
  Decimal amount;
  std::uint64_t from_uid = 0, to_uid = 0;
  std::int64_t time_ms = 0;
};

struct PositionTimes {
  std::int64_t created_ms = 0;  // the first time a position opened on the symbol
  std::int64_t updated_ms = 0;
  bool open = false;
  Decimal realized_at_open;  // cumRealisedPnl when the current position opened
};

struct UtaAccount {
  BybitAccountSpec spec;
  sim::ApiKeyId spot_id = 0, linear_id = 0;
  std::unique_ptr<signing::HmacSha256> mac;
  std::map<std::string, std::deque<std::int64_t>, std::less<>> windows;  // rate limits
  bool hedge = false;  // linear position mode (venue-sim: one mode for every linear symbol)
  bool isolated_margin = false;
  std::int64_t settings_updated_ms = 0;
  std::map<std::string, Decimal, std::less<>> fund;  // FUND account (transfers only)
  std::vector<TransferRow> transfers;
  std::vector<Execution> executions;  // oldest first
  std::vector<LedgerRow> ledger;      // oldest first
  Decimal linear_realized;            // cumulative realised PnL of linear positions
  std::map<std::pair<sim::SymbolIndex, int>, PositionTimes> positions;  // (symbol, positionIdx)
};

// One WebSocket session.
struct Sub {
  enum class Kind : std::uint8_t { kSpot, kLinear, kPrivate };
  std::shared_ptr<net::WsSession> session;
  Kind kind = Kind::kSpot;
  std::set<std::string, std::less<>> topics;
  bool authed = false;
  std::size_t account = 0;
  std::string conn_id;
};

// ---- arithmetic and text helpers (bybit_front_json.cpp) -----------------------------------------
// Amounts that fit once an order passed its filters; an overflow reads as zero (never reached
// with the instruments' bounds).
Decimal dmul(Decimal a, Decimal b, Rounding r = Rounding::kHalfEven);
Decimal ddiv(Decimal a, Decimal b, Rounding r = Rounding::kHalfEven);  // b zero: zero
inline Decimal or_zero(const Result<Decimal, DecimalError>& r) { return r.ok() ? *r : Decimal{}; }
inline Decimal dadd(Decimal a, Decimal b) { return or_zero(a.add(b)); }
inline Decimal dsub(Decimal a, Decimal b) { return or_zero(a.sub(b)); }
inline Decimal dabs(Decimal a) { return or_zero(a.abs()); }
// How Bybit prints an instrument's prices (priceScale: the tick's decimals, at least 2) and
// quantities (the lot step's decimals).
[[nodiscard]] int price_decimals(const Instrument& in) noexcept;
[[nodiscard]] int qty_decimals(const Instrument& in) noexcept;
std::string fixed(Decimal d, int decimals);  // "0.010" (decimals < 0: canonical)
std::string text(Decimal d);                 // canonical: "0.01", "61837.5"
std::string ms_text(std::int64_t ms);
[[nodiscard]] const char* side_text(Side s) noexcept;  // "Buy" | "Sell"
[[nodiscard]] int position_idx(PositionSide s) noexcept;

// Order and execution ids (bybit_front_json.cpp). Spot ids are 19-digit numbers, linear ones
// UUID-shaped, as Bybit's; both carry the symbol and the venue's id, salted by the seed.
std::string order_id_text(const Category& c, std::uint64_t salt, sim::SymbolIndex s, std::int64_t id);
// The (symbol, order id) an id names; nullopt when it is not one of ours.
std::optional<std::pair<sim::SymbolIndex, std::int64_t>> parse_order_id(
    const Category& c, std::uint64_t salt, std::string_view text);
std::string exec_id_text(const Category& c, std::uint64_t salt, sim::SymbolIndex s,
                         std::int64_t trade_id, bool maker);
std::string print_id_text(const Category& c, std::uint64_t salt, sim::SymbolIndex s,
                          std::uint64_t n);
std::uint64_t splitmix(std::uint64_t& state);  // splitmix64: the seeded draws (bybit_front.cpp)
std::string hex16(std::uint64_t v);             // 16 lowercase hex digits (bybit_front_json.cpp)

// One orderbook.{depth}.{symbol} message: a snapshot (the book as published) or a delta (the
// changed levels) at the book's u (bybit_front_streams.cpp).
void book_json(JsonOut& j, const Category& c, sim::SymbolIndex s, const Book& b,
               const std::vector<sim::PriceQty>& bids, const std::vector<sim::PriceQty>& asks,
               bool snapshot, std::uint64_t seq, std::int64_t now);

}  // namespace oms::venue_sim::bysim

namespace oms::venue_sim {

struct BybitFront::Impl {
  using Category = bysim::Category;
  BybitFrontConfig cfg;
  mutable std::mutex mu;
  Category spot, linear;
  std::vector<bysim::UtaAccount> accounts;
  std::map<std::string, std::size_t, std::less<>> by_key;
  std::map<std::uint64_t, bysim::Sub> subs;  // by session id
  std::map<bysim::OrderKey, bysim::OrderMeta> orders;
  std::set<bysim::OrderKey> untriggered;  // conditional orders waiting for their trigger
  std::uint64_t rng = 0;          // fault draws (splitmix64)
  std::uint64_t latency_rng = 0;  // latency draws, a stream of its own
  std::uint64_t salt = 0;         // order / execution id salt
  // The IP limit (every client of venue-sim is one IP): the requests of the last 5 s, and the
  // ban (HTTP 403) exceeding it -- or the faults' ban_after-th new order -- starts.
  std::deque<std::int64_t> ip_window;
  std::int64_t banned_until_ms = 0;
  std::uint32_t new_orders_seen = 0;
  // True (and the ban's length in ban_ms) when this request meets or starts an IP ban.
  [[nodiscard]] bool ip_banned(const net::HttpRequest& req, std::int64_t now);
  std::uint64_t pushes = 0;       // private message ids

  explicit Impl(BybitFrontConfig c);
  Category& category(Market m) { return m == Market::kSpot ? spot : linear; }
  Category& category_of(const bysim::Args& a);  // "category": spot | linear, else refuses
  [[nodiscard]] std::int64_t now_ms() const;
  [[nodiscard]] TimeNs now_ns() const { return now_ms() * 1'000'000; }
  bool draw(double p);
  bysim::UtaAccount& account_of(Market m, sim::ApiKeyId id);
  [[nodiscard]] sim::ApiKeyId venue_id(const bysim::UtaAccount& a, const Category& c) const {
    return c.spot() ? a.spot_id : a.linear_id;
  }
  std::string order_id(const Category& c, sim::SymbolIndex s, std::int64_t id) const {
    return bysim::order_id_text(c, salt, s, id);
  }
  bysim::OrderMeta& meta(const Category& c, sim::SymbolIndex s, std::int64_t id);

  // ---- REST (bybit_front.cpp: dispatch; the others by file) ----
  struct Answer {
    std::string result = "{}";
    std::string ext = "{}";
  };
  // Throws bysim::Refusal. order_request: the fault injector may lose its ack.
  // drop: a drop_new fault took the request (nothing executed, the connection is dropped).
  Answer dispatch(const net::HttpRequest& req, std::vector<net::Header>& headers,
                  bool& order_request, bool& drop);
  // Per-UID limit of one endpoint and category: consumes `units` (a batch's orders) or as many
  // as are left; returns how many it took and sets the X-Bapi-Limit* headers.
  std::uint32_t take_rate(bysim::UtaAccount& a, std::string_view path, const Category* c,
                          std::uint32_t units, std::vector<net::Header>& headers);

  // bybit_front_market.cpp
  Answer market_time();
  Answer instruments_info(const bysim::Args& p);
  Answer orderbook(const bysim::Args& p);
  Answer tickers(const bysim::Args& p);
  Answer recent_trades(const bysim::Args& p);
  Answer kline(const bysim::Args& p);
  Answer risk_limit(const bysim::Args& p);
  sim::SymbolIndex symbol_of(const Category& c, const bysim::Args& p);  // required "symbol"
  sim::SymbolIndex symbol_named(const Category& c, std::string_view name);
  // Ticker fields of a symbol (spot: 24h figures; linear: with book top, mark, funding).
  std::vector<std::pair<std::string, std::string>> ticker_fields(const Category& c, sim::SymbolIndex s);
  void record_trade(Category& c, sim::SymbolIndex s, Decimal price, Decimal qty, Side taker,
                    std::int64_t ms);

  // bybit_front_orders.cpp (throw Refusal)
  Answer create(bysim::UtaAccount& a, const bysim::Args& p);
  Answer amend(bysim::UtaAccount& a, const bysim::Args& p);
  Answer cancel(bysim::UtaAccount& a, const bysim::Args& p);
  Answer cancel_all(bysim::UtaAccount& a, const bysim::Args& p);
  Answer batch(bysim::UtaAccount& a, const bysim::Args& p, std::string_view what,
               std::vector<net::Header>& headers);
  struct Done {
    std::string order_id, link_id;
    std::int64_t created_ms = 0;
  };
  Done place_one(bysim::UtaAccount& a, Category& c, const bysim::Args& p);
  Done amend_one(bysim::UtaAccount& a, Category& c, const bysim::Args& p);
  Done cancel_one(bysim::UtaAccount& a, Category& c, const bysim::Args& p, std::string_view filter);
  // The venue's order an orderId / orderLinkId names on symbol s (open or not); refuses
  // 110001 / 170213 when there is none.
  sim::OrderView find_order(const bysim::UtaAccount& a, const Category& c, sim::SymbolIndex s,
                            const bysim::Args& p);
  [[noreturn]] void venue_refusal(const Category& c, const sim::VenueError& e,
                                  const sim::NewOrder* o);

  // bybit_front_queries.cpp
  Answer open_orders(bysim::UtaAccount& a, const bysim::Args& p);
  Answer order_history(bysim::UtaAccount& a, const bysim::Args& p);
  Answer executions(bysim::UtaAccount& a, const bysim::Args& p);
  Answer positions(bysim::UtaAccount& a, const bysim::Args& p);
  Answer set_leverage(bysim::UtaAccount& a, const bysim::Args& p);
  Answer switch_mode(bysim::UtaAccount& a, const bysim::Args& p);
  Answer trading_stop(bysim::UtaAccount& a, const bysim::Args& p);
  Answer set_margin_mode(bysim::UtaAccount& a, const bysim::Args& p);
  Answer wallet_balance(bysim::UtaAccount& a, const bysim::Args& p);
  Answer fee_rate(bysim::UtaAccount& a, const bysim::Args& p);
  Answer account_info(bysim::UtaAccount& a);
  Answer transaction_log(bysim::UtaAccount& a, const bysim::Args& p);
  Answer transfer(bysim::UtaAccount& a, const bysim::Args& p);
  Answer transfers(bysim::UtaAccount& a, const bysim::Args& p);
  Answer deposits(const bysim::Args& p);
  Answer coin_info(const bysim::Args& p);
  Answer api_key_info(const bysim::UtaAccount& a, std::size_t index);

  // bybit_front_transfers.cpp: universal transfers between the UIDs of one master
  std::vector<bysim::UniTransfer> universal;  // oldest first
  [[nodiscard]] std::uint64_t uid_of(std::size_t index) const;     // spec.member_id, else 100000001 + index
  [[nodiscard]] std::size_t master_of(std::size_t index) const;    // itself when a master
  [[nodiscard]] std::optional<std::size_t> member(std::uint64_t uid) const;
  Answer universal_transfer(bysim::UtaAccount& a, const bysim::Args& p);
  Answer universal_transfers(bysim::UtaAccount& a, const bysim::Args& p);

  // bybit_front_json.cpp: renderings
  void order_json(JsonOut& j, const Category& c, const bysim::OrderRow& r,
                  const bysim::OrderMeta& m, bool ws, const char* status_override = nullptr);
  void execution_json(JsonOut& j, const Category& c, const bysim::Execution& e, bool ws);
  void position_json(JsonOut& j, bysim::UtaAccount& a, const sim::PositionView& p, bool ws);
  // The unified wallet: {"accountType":"UNIFIED",...,"coin":[...]} (coins: all held, or those named).
  void wallet_json(JsonOut& j, const bysim::UtaAccount& a, const std::set<std::string, std::less<>>* only);
  std::optional<Decimal> usd_price(std::string_view coin) const;

  // bybit_front_streams.cpp
  // After every venue call: the account pushes (order, execution, position, wallet), the
  // public trade prints of our fills, the books and tickers of the symbols that changed.
  void flush(Category& c, sim::Outbox& out);
  void publish_book(Category& c, sim::SymbolIndex s);
  // tickers.{symbol}: sends what changed since the last push to its subscribers (linear: a
  // delta; spot: a snapshot) and returns the message; snapshot_only: sends nothing, returns
  // the whole ticker as a snapshot (for a new subscriber) and takes it as the last push.
  std::string publish_ticker(Category& c, sim::SymbolIndex s, bool snapshot_only);
  void send_public(const Category& c, std::string_view topic, const std::string& text);
  // One push to one account: (topic, category, data array) messages, with the fault draws.
  void send_private(std::size_t account,
                    std::vector<std::tuple<std::string, std::string, std::string>> messages);
  void ws_open(const std::shared_ptr<net::WsSession>& s, bysim::Sub::Kind kind);
  void ws_close(net::WsSession& s);
  void ws_text(net::WsSession& s, std::string_view text);
};

}  // namespace oms::venue_sim
