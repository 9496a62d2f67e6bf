// Internals of venue-sim's Upbit front shared by its .cpp files (not an API).
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

#include "bybit_front_impl.hpp"  // dmul, ddiv, dadd, dsub, splitmix, hex16
#include "front_impl.hpp"        // JsonOut, parse_form
#include "upbit_front.hpp"

namespace oms::venue_sim::upsim {

using bysim::dadd;
using bysim::ddiv;
using bysim::dmul;
using bysim::dsub;
using bysim::splitmix;

// A refusal in Upbit's words ({"error":{"name","message"}} with its HTTP status): thrown while a
// request is handled, caught where its answer is built.
struct Refusal {
  unsigned status = 400;
  std::string name;
  std::string message;
};
[[noreturn]] void refuse(unsigned status, std::string name, std::string message);
[[noreturn]] void validation(std::string message);  // 400 validation_error

// ---- request parameters ------------------------------------------------------------------------
// A GET / DELETE query (decoded, in order; key[] repeated for arrays) or a POST JSON object.
class Args {
 public:
  static Args from_query(std::string_view query);
  static Args from_body(std::string_view body);
  [[nodiscard]] std::optional<std::string> text(std::string_view k) const;  // a string or number's text
  [[nodiscard]] std::vector<std::string> list(std::string_view k) const;    // k[] (or k) values
  [[nodiscard]] std::optional<Decimal> decimal(std::string_view k) const;   // validation_error naming k
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view k) const;
  [[nodiscard]] bool has(std::string_view k) const { return text(k).has_value() || !list(k).empty(); }
  // validation_error naming the first parameter not in `known` (a misspelt one is a client bug).
  void only(std::initializer_list<std::string_view> known) const;
  // The unencoded query string the query_hash covers ("" without parameters).
  [[nodiscard]] const std::string& hashed() const { return hashed_; }
  [[nodiscard]] bool empty() const { return kv_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> kv_;  // key (with [] for arrays), value
  std::string hashed_;
};

// ---- market data -------------------------------------------------------------------------------
struct Print {
  std::int64_t sequential_id = 0;
  Decimal price, qty;
  Side taker = Side::kBuy;
  std::int64_t time_ms = 0;
};
inline constexpr std::size_t kKeptPrints = 500;
inline constexpr std::size_t kBookUnits = 15;  // Upbit's orderbook: 15 units (up to 30 on request)

struct Feed {
  std::deque<Print> prints;  // newest last
  std::deque<Print> day;     // the last 24 h
  std::string book_text;     // the last orderbook pushed (DEFAULT, without timestamp)
  std::int64_t book_ms = 0;  // its timestamp (strictly increasing)
  Decimal prev_close;        // the first price seen (venue-sim has no daily close)
};

// ---- orders ------------------------------------------------------------------------------------
// One fill of one of our orders (GET /v1/order's trades).
struct Trade {
  std::string uuid;
  Decimal price, volume, funds, fee;
  bool maker = false;
  std::int64_t ms = 0;
};

// What Upbit says of an order that the core does not keep.
struct OrderMeta {
  std::string uuid, identifier;
  std::size_t account = 0;
  sim::SymbolIndex symbol = 0;
  std::int64_t order_id = 0;  // the core's
  Side side = Side::kBuy;
  std::string ord_type, time_in_force, smp_type;
  Decimal price;   // as sent (limit price; price ord_type: the total)
  Decimal volume;  // as sent (zero for ord_type price / a best bid)
  Decimal reserved_fee, paid_fee;
  std::vector<Trade> trades;
  std::int64_t created_ms = 0, done_ms = 0;
  std::string state = "wait";  // wait | done | cancel (prevented: by self-match prevention)
  Decimal prevented_volume;
};

struct AccountState {
  UpbitAccountSpec spec;
  sim::ApiKeyId id = 0;
  std::set<std::string, std::less<>> nonces;
  std::map<std::string, std::string, std::less<>> by_identifier;  // identifier -> uuid
  std::map<std::string, Decimal, std::less<>> avg_buy;            // currency -> avg_buy_price
  std::map<std::string, std::deque<std::int64_t>, std::less<>> windows;  // rate-limit group -> stamps
};

struct Sub {
  std::shared_ptr<net::WsSession> session;
  bool priv = false;
  std::size_t account = 0;
  bool simple = false;
  // type -> codes (empty: every market, private types only)
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> types;
  bool realtime_only = false, snapshot_only = false;
};

// The remaining-fee part of an order's reservation (its unfilled share; zero once ended).
Decimal remaining_fee(const OrderMeta& m);
// "2026-12-06T10:00:00+09:00" (Upbit's created_at: KST).
std::string kst(std::int64_t ms);
std::string text(Decimal d);  // canonical: "0.001", "81000000"
// A decimal as a JSON number's text (Upbit's WebSocket writes doubles: 81000000.0).
std::string num(Decimal d);

}  // namespace oms::venue_sim::upsim

namespace oms::venue_sim {

struct UpbitFront::Impl {
  using Args = upsim::Args;
  using Account = upsim::AccountState;

  UpbitFrontConfig cfg;
  mutable std::mutex mu;
  // The block (HTTP 418) that requests going on after 429s -- or the faults' ban_after-th new
  // order -- start: its end, the 429s of the last 10 s, the new orders seen.
  std::int64_t blocked_until_ms = 0;
  std::deque<std::int64_t> refused_429;
  std::uint32_t new_orders_seen = 0;
  std::unique_ptr<sim::Venue> venue;
  std::vector<UpbitMarket> markets;
  std::vector<upsim::Feed> feeds;
  std::vector<Account> accounts;
  std::map<std::string, std::size_t, std::less<>> by_key;
  std::map<std::uint64_t, upsim::Sub> subs;  // by session id
  std::map<std::string, upsim::OrderMeta, std::less<>> orders;     // by uuid
  std::map<std::pair<sim::SymbolIndex, std::int64_t>, std::string> by_core;  // core id -> uuid
  std::vector<std::string> order_seq;  // uuids, oldest first
  std::map<std::string, std::deque<std::int64_t>, std::less<>> public_windows;  // quotation groups (one IP: loopback)
  bool test_only = false;     // POST /v1/orders/test: validated, never placed
  upsim::OrderMeta test_order;  // its would-be order
  std::uint64_t rng = 0, latency_rng = 0, uuid_rng = 0;
  std::int64_t next_sequential_id = 0;

  explicit Impl(UpbitFrontConfig c);
  [[nodiscard]] std::int64_t now_ms() const;
  [[nodiscard]] TimeNs now_ns() const { return now_ms() * 1'000'000; }
  bool draw(double p);
  std::string new_uuid();
  Account& account_of(sim::ApiKeyId id);
  sim::SymbolIndex market_of(std::string_view code, std::string_view field);  // validation_error
  [[nodiscard]] const std::string& quote(sim::SymbolIndex s) const { return markets[s].venue.symbol.quote; }
  [[nodiscard]] const std::string& base(sim::SymbolIndex s) const { return markets[s].venue.symbol.base; }

  // ---- REST (upbit_front.cpp) ----
  struct Answer {
    unsigned status = 200;
    std::string body;
  };
  // The signed request's account (throws the 401 refusals).
  Account& authenticate(const net::HttpRequest& req, const Args& p, std::string_view raw_query);
  Answer dispatch(const net::HttpRequest& req, bool& order_request, bool& drop, std::string& remaining);
  // The group's windows; false when full (429). remaining: the Remaining-Req header's value.
  bool take_rate(std::deque<std::int64_t>& stamps, std::string_view group, std::uint32_t per_s,
                 std::uint32_t window_ms, std::string& remaining);

  // upbit_front_market.cpp
  Answer market_all(const Args& p);
  Answer orderbook(const Args& p);
  Answer orderbook_instruments(const Args& p);
  Answer ticker(const Args& p);
  Answer trades_ticks(const Args& p);
  std::vector<sim::SymbolIndex> markets_param(const Args& p);  // markets=KRW-BTC,KRW-ETH
  void orderbook_json(JsonOut& j, sim::SymbolIndex s, std::size_t units, bool simple, const char* stream_type,
                      std::int64_t ms, bool ws);
  void ticker_json(JsonOut& j, sim::SymbolIndex s, bool simple, bool ws, const char* stream_type);
  void trade_json(JsonOut& j, sim::SymbolIndex s, const upsim::Print& p, bool simple, bool ws, const char* stream_type);
  void record_trade(sim::SymbolIndex s, Decimal px, Decimal qty, Side taker, std::int64_t ms);

  // upbit_front_orders.cpp
  Answer place(Account& a, const Args& p);
  Answer cancel(Account& a, const Args& p);
  Answer cancel_and_new(Account& a, const Args& p);
  Answer cancel_open(Account& a, const Args& p);
  Answer cancel_uuids(Account& a, const Args& p);
  Answer get_order(Account& a, const Args& p);
  Answer open_orders(Account& a, const Args& p);
  Answer closed_orders(Account& a, const Args& p);
  Answer orders_uuids(Account& a, const Args& p);
  Answer accounts_list(Account& a);
  Answer chance(Account& a, const Args& p);
  upsim::OrderMeta& find_order(Account& a, const Args& p, const char* uuid_key, const char* id_key);
  // Places one order from its parameters (POST /v1/orders, cancel_and_new's new order).
  upsim::OrderMeta& place_one(Account& a, sim::SymbolIndex s, Side side, const std::string& ord_type,
                              std::optional<Decimal> price, std::optional<Decimal> volume, const std::string& tif,
                              const std::string& smp, const std::string& identifier);
  // Cancels one open order (a refusal when it is not open); the cancel's answer body.
  std::string cancel_one(upsim::OrderMeta& m);
  void order_json(JsonOut& j, const upsim::OrderMeta& m, bool with_trades);
  // The quote the account may spend: free less the open bids' unpaid reserved fees.
  Decimal spendable(const Account& a, std::string_view currency);
  Decimal reserved_fees(const Account& a, std::string_view currency);
  [[nodiscard]] sim::OrderView view_of(const upsim::OrderMeta& m) const;

  // upbit_front_ws.cpp
  void flush(sim::Outbox& out);
  void publish_book(sim::SymbolIndex s);
  void publish_ticker(sim::SymbolIndex s);
  void publish_trade(sim::SymbolIndex s, const upsim::Print& p);
  void send_public(std::string_view type, sim::SymbolIndex s, const std::function<std::string(bool simple)>& render);
  void my_order_push(std::size_t account, const upsim::OrderMeta& m, const sim::ExecutionReport* fill,
                     std::vector<std::pair<std::string, std::string>>& out);  // (code, DEFAULT text) per push
  std::string my_order_json(const upsim::OrderMeta& m, const sim::ExecutionReport* fill, bool simple);
  std::string my_asset_json(const Account& a, const std::set<std::string, std::less<>>& currencies, bool simple);
  // The private socket's upgrade: nullopt accepts it (its token's account kept for ws_open).
  std::optional<net::HttpResponse> upgrade(const net::HttpRequest& req);
  std::map<std::string, std::size_t, std::less<>> upgraded_tokens;  // Authorization -> account
  void ws_open(const std::shared_ptr<net::WsSession>& s, bool priv);
  void ws_close(net::WsSession& s);
  void ws_text(net::WsSession& s, std::string_view text);
};

}  // namespace oms::venue_sim
