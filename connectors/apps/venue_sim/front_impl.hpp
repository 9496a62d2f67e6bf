// Internals of venue-sim's front shared by its .cpp files (not an API).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <thread>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "front.hpp"
#include "oms/connectors/sim/algo_book.hpp"
#include "oms/connectors/signing.hpp"

namespace oms::venue_sim {

// ---- JSON text out ---------------------------------------------------------------------------
class JsonOut {
 public:
  JsonOut& obj() { return open('{'); }
  JsonOut& arr() { return open('['); }
  JsonOut& end_obj() { return close('}'); }
  JsonOut& end_arr() { return close(']'); }
  JsonOut& key(std::string_view k);
  JsonOut& str(std::string_view v);
  JsonOut& num(std::int64_t v);
  JsonOut& boolean(bool v);
  JsonOut& null();
  JsonOut& raw(std::string_view json);
  JsonOut& kv(std::string_view k, std::string_view v) { return key(k).str(v); }
  JsonOut& kv(std::string_view k, const char* v) { return key(k).str(v); }
  JsonOut& kv(std::string_view k, const std::string& v) { return key(k).str(v); }
  JsonOut& kn(std::string_view k, std::int64_t v) { return key(k).num(v); }
  JsonOut& kb(std::string_view k, bool v) { return key(k).boolean(v); }
  [[nodiscard]] std::string take() { return std::move(s_); }
  [[nodiscard]] const std::string& text() const { return s_; }

 private:
  JsonOut& open(char c);
  JsonOut& close(char c);
  void sep();
  void quote(std::string_view v);
  std::string s_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

// "61837.63000000" (spot: Binance prints 8 decimals) / "61837.63" (futures: canonical).
std::string fixed8(Decimal d);
std::string canon(Decimal d);

// ---- request parameters ----------------------------------------------------------------------
struct Params {
  std::vector<std::pair<std::string, std::string>> kv;  // decoded, in order
  [[nodiscard]] const std::string* find(std::string_view k) const;
};
// Decodes "a=1&b=x%20y" into out (appends); false on a malformed escape.
bool parse_form(std::string_view text, Params& out);

// An answer in flight: a Binance error or a body.
struct Reply {
  unsigned status = 200;
  std::string body;
  static Reply error(unsigned status, int code, std::string_view msg);
  static Reply venue(const sim::VenueError& e);  // 400 with the venue's code/msg
  static Reply missing(std::string_view param);  // -1102
  static Reply bad_param(std::string_view param, std::string_view value);  // -1100 / -1101
};

struct Account {
  AccountSpec spec;
  sim::ApiKeyId id = 0;
  std::unique_ptr<signing::HmacSha256> mac;
  std::string listen_key;
  bool listen_key_open = false;
  // rate-limit buckets
  std::int64_t weight_window = -1;
  std::uint32_t weight_used = 0, refused_429 = 0;
  std::int64_t banned_until_ms = 0;
  std::int64_t orders_10s_window = -1, orders_1m_window = -1, orders_1d_window = -1;
  std::uint32_t orders_10s = 0, orders_1m = 0, orders_1d = 0;
  std::uint64_t cancel_ids = 0;
  bool hedge = false;  // USD-M dualSidePosition
};

// A booked transfer, as the query endpoints list it.
struct VenueTransfer {
  std::uint64_t tran_id = 0;
  bool sub_account = false;  // /sapi/v1/sub-account/universalTransfer
  std::string caller;        // the Binance account (base name) that asked
  std::string client_tran_id, type, from_email, to_email, from_type, to_type, asset;
  Decimal amount;
  std::int64_t time_ms = 0;
};

struct Subscriber {
  std::shared_ptr<net::WsSession> session;
  std::set<std::string> streams;  // "btcusdt@depth@100ms" ...
  bool combined = false;
  bool user_data = false;
  Market market = Market::kSpot;
  std::size_t account = 0;  // user_data: index into accounts
};

struct MarketState {
  Market market = Market::kSpot;
  std::unique_ptr<sim::Venue> venue;
  std::vector<std::string> symbols;  // by SymbolIndex
  // Published book (what the depth stream has told subscribers), per symbol.
  struct Published {
    // Best first, at most FrontConfig::stream_depth_levels a side.
    std::vector<sim::PriceQty> bids, asks;
    std::uint64_t update_id = 1'000'000;
    std::optional<sim::PriceQty> bid, ask;  // last bookTicker
    std::int64_t trade_id = 0;
  };
  std::vector<Published> published;
};

struct Front::Impl {
  FrontConfig cfg;
  mutable std::mutex mu;
  MarketState spot_m, usdm_m;
  std::vector<Account> accounts;
  Account ip_spot, ip_usdm;  // the per-IP weight buckets (loopback: one client IP)
  std::uint64_t new_orders_seen = 0;  // POST order requests, both markets (the ban_after fault)
  std::map<std::string, std::size_t, std::less<>> by_key;
  std::map<std::uint64_t, Subscriber> subs;  // by session id
  std::uint64_t rng = 0;                     // fault draws (splitmix64)
  std::uint64_t latency_rng = 0;             // latency draws (splitmix64), a stream of its own
  sim::AlgoBook usdm_algo;                   // USD-M Algo Service (conditional orders)
  bool algo_running = false;                 // algo_trigger is on the stack
  std::vector<VenueTransfer> transfers;      // booked, oldest first
  std::uint64_t next_tran_id = 13'526'853'623;

  explicit Impl(FrontConfig c);
  ~Impl();

  // late_exec faults: new orders the venue answered -1007 and runs later, on a thread of
  // their own (the lock taken as any request takes it).
  struct LateOrder {
    std::chrono::steady_clock::time_point due;
    Market market = Market::kSpot;
    std::string path;
    Params params;
    std::size_t account = 0;
  };
  void late_execute(LateOrder order);  // lock held; starts the thread at the first
  void run_late();
  std::deque<LateOrder> late;  // by due time (one delay for all: in arrival order)
  std::condition_variable late_cv;
  bool late_stop = false;
  std::thread late_thread;
  MarketState& state(Market m) { return m == Market::kSpot ? spot_m : usdm_m; }
  [[nodiscard]] std::int64_t now_ms() const;
  [[nodiscard]] TimeNs now_ns() const { return now_ms() * 1'000'000; }
  bool draw(double p);

  // One REST request, the lock held. `order_request`: the fault injector may lose its ack.
  Reply dispatch(const net::HttpRequest& req, bool& order_request, std::string& headers_note,
                 std::vector<net::Header>& headers);

  // Endpoints (lock held). acct is null for public endpoints.
  Reply spot_public(std::string_view path, const Params& p);
  Reply sapi(std::string_view path, const Params& p, Account& a);
  // /sapi/v1/asset/transfer and /sapi/v1/sub-account/universalTransfer (front_transfers.cpp).
  Reply transfers_endpoint(std::string_view method, std::string_view path, const Params& p,
                           Account& a);
  // The account index of one Binance account's wallet (spot: NAME, USD-M: NAME.usdm).
  [[nodiscard]] std::optional<std::size_t> wallet_of(std::string_view base, Market m) const;
  // Moves the amount between two wallets and tells both user-data streams; status 200 with an
  // empty body when done, else the venue's error (nothing moved).
  Reply move_between(std::size_t from, std::size_t to, const std::string& asset, Decimal amount);
  Reply spot_private(std::string_view method, std::string_view path, const Params& p,
                     Account& a);
  Reply usdm_public(std::string_view path, const Params& p);
  Reply usdm_private(std::string_view method, std::string_view path, const Params& p,
                     Account& a);
  // /fapi/v1/algoOrder (POST / DELETE / GET), /fapi/v1/openAlgoOrders, /fapi/v1/allAlgoOrders.
  Reply usdm_algo_endpoint(std::string_view method, std::string_view path, const Params& p,
                           Account& a);
  // After a USD-M outbox was pushed: the TRIGGERED algo orders whose matching-engine order
  // ended in it become FINISHED (their ALGO_UPDATE after the outbox's events), then every algo
  // order whose trigger now holds is placed (front_usdm.cpp).
  void algo_follow(const sim::Outbox& out);
  void algo_trigger();
  void send_algo_update(const sim::AlgoOrder& a, TimeNs now);
  Reply exchange_info(Market m);
  Reply depth(Market m, const Params& p);
  Reply book_ticker(Market m, const Params& p);
  std::optional<sim::SymbolIndex> symbol_of(Market m, const Params& p, Reply& err);

  // After every venue call: push the outbox to user-data subscribers and publish book changes
  // (the outbox is left as it was: the caller still builds its answer from it).
  void flush(Market m, sim::Outbox& out);
  void publish_book(Market m, sim::SymbolIndex s, TimeNs now);
  void publish_trade(Market m, sim::SymbolIndex s, Decimal price, Decimal qty, bool buyer_maker,
                     TimeNs now);
  // Sends data to every subscriber of market m whose stream matches (exact name, or for depth
  // any "<sym>@depth[@speed]").
  void send_stream(Market m, std::string_view stream, bool depth_family, const std::string& data);
  void send_user(std::size_t account, std::vector<std::string> events);

  // WebSocket.
  // usdm_server: the session came in on a server attached with attach_usdm_streams.
  void ws_open(const std::shared_ptr<net::WsSession>& s, bool usdm_server);
  void ws_close(net::WsSession& s);
  void ws_text(net::WsSession& s, std::string_view text);
  std::size_t account_index(Market m, sim::ApiKeyId id) const;
};

// The changes that turn the published side `pub` into `now` (both best first; a level that
// left gets quantity 0), appended to `changes` in price order; `pub` becomes `now`
// (front_streams.cpp; BybitFront's orderbook deltas use it too).
void diff_side(std::vector<sim::PriceQty>&& now, Side side, std::vector<sim::PriceQty>& pub,
               std::vector<sim::PriceQty>& changes);

// JSON renderings (front_json.cpp).
std::string spot_execution_report(const sim::Venue& v, const sim::ExecutionReport& r);
std::string spot_account_position(const sim::AccountUpdate& u);
std::string usdm_order_update(const sim::Venue& v, const sim::ExecutionReport& r);
std::string usdm_trade_lite(const sim::Venue& v, const sim::ExecutionReport& r);
// reason: the "m" of the update (ORDER; DEPOSIT / WITHDRAW for a transfer).
std::string usdm_account_update(const sim::Venue& v, const sim::AccountUpdate& u,
                                std::string_view reason = "ORDER");
void spot_order_json(JsonOut& j, const sim::Venue& v, const sim::OrderView& o, bool query);
void usdm_order_json(JsonOut& j, const sim::Venue& v, const sim::OrderView& o);
[[nodiscard]] const char* side_str(Side s) noexcept;
[[nodiscard]] const char* position_side_str(PositionSide s) noexcept;

}  // namespace oms::venue_sim
