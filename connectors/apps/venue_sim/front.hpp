// venue-sim's protocol front: Binance Spot (/api/v3) and USD-M (/fapi) REST and WebSocket on
// top of the pure simulator core (oms::sim::Venue), for oms::net::HttpsServer. It owns both
// venues, the accounts and their keys, rate-limit buckets, listen keys, WebSocket subscribers
// and the seeded fault injector. Everything runs under one mutex: the server's I/O threads
// and the background driver (replay / random walk) take turns, so one order of calls gives
// one answer.
//
// Determinism: order ids, trade ids, listen keys and the fault draws come from the venue and
// the seed, never from the clock; only timestamps (and the recvWindow check) use the clock,
// which is injectable (FrontConfig::clock_ms).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "liquidity_sink.hpp"
#include "oms/connectors/net/http.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/sim/venue.hpp"

namespace oms::venue_sim {

struct AccountSpec {
  std::string name;
  Market market = Market::kSpot;
  std::string api_key, api_secret;
  Decimal maker_rate = Decimal::from_raw(1'000'000);  // 0.001
  Decimal taker_rate = Decimal::from_raw(1'000'000);
  std::vector<std::pair<std::string, Decimal>> balances;  // asset, amount (usdm: USDT only)
  // A sub-account's email: how /sapi/v1/sub-account/universalTransfer names it (either of the
  // account's two wallets may carry it); empty: not addressable by email.
  std::string email{};
};

// Probabilities in [0, 1]; each draw comes from one splitmix64 stream seeded by `seed`.
struct FaultSpec {
  double drop_ws = 0;     // per user-data push: drop that WebSocket instead of sending
  double lost_ack = 0;    // per order request: execute it, then drop the connection
  double delay_ack = 0;   // per order request: execute it, answer after delay_ms
  double duplicate = 0;   // per user-data event: send it twice
  double reorder = 0;     // per user-data event: swap it with the next one of the same push
  double error_5xx = 0;   // per signed request: 503 -1001 without executing it
  double timeout = 0;     // per order request: execute it, drop after timeout_ms (no answer)
  // per new order (POST order): answer 503 -1007 "execution status unknown" at once, know
  // nothing of it for late_ms (a query answers -2013), then execute it (its user-data events
  // follow as for any order): the backend that timed out still ran it
  double late_exec = 0;
  // per new order (POST order): drop the connection without executing it (the client cannot
  // tell whether it was: a send lost on the way)
  double drop_new = 0;
  // The ban_after-th new order (POST order, either market) is answered 418 and bans that
  // market's "IP" for ban_s seconds (Retry-After), as Binance bans for reasons a client cannot
  // see (another process on the same address): every request of the market is then 418 until
  // the ban ends. 0: never. Counted, not drawn.
  std::uint32_t ban_after = 0;
  std::uint32_t ban_s = 5;
  std::uint32_t delay_ms = 200;
  std::uint32_t timeout_ms = 2'000;
  std::uint32_t late_ms = 1'500;
  [[nodiscard]] bool any() const {
    return drop_ws > 0 || lost_ack > 0 || delay_ack > 0 || duplicate > 0 || reorder > 0 ||
           error_5xx > 0 || timeout > 0 || late_exec > 0 || drop_new > 0 || ban_after > 0;
  }
};
// "lost_ack=0.1,delay_ack=0.05,delay_ms=300,..."; throws std::invalid_argument naming the key.
FaultSpec parse_faults(std::string_view spec);

// The venue's latency as its clients see it (--latency). A request executes when it reaches
// venue-sim (matching, balances, the book streams at once); its REST answer and the user-data
// events it causes leave the modelled time later, on the server's timers (no thread waits,
// other connections go on). Market-data streams are not delayed.
//   zero (the default): nothing is delayed -- benchmarks and tests.
//   fixed_us=F[,jitter_us=J]: F microseconds, plus a uniform draw in [0, J] when J > 0, one
//   draw per REST answer and one per user-data push (the events of one request for one
//   account), from a splitmix64 stream of FrontConfig::seed of its own (the fault draws are
//   the same with or without a latency model). A connection keeps its order: a frame drawn
//   shorter than the one before it waits behind it, as on one TCP stream.
struct LatencyModel {
  std::uint32_t fixed_us = 0;
  std::uint32_t jitter_us = 0;
  [[nodiscard]] bool zero() const { return fixed_us == 0 && jitter_us == 0; }
  // The next delay; draws from rng only when jitter_us > 0.
  [[nodiscard]] std::chrono::microseconds draw(std::uint64_t& rng) const;
  // "zero" or "fixed_us=F,jitter_us=J" (what parse_latency reads back).
  [[nodiscard]] std::string describe() const;
};
// "zero" | "fixed_us=F[,jitter_us=J]"; throws std::invalid_argument "--latency: ...".
LatencyModel parse_latency(std::string_view spec);

struct RateLimits {
  std::uint32_t spot_weight_1m = 6'000;
  std::uint32_t usdm_weight_1m = 2'400;
  std::uint32_t spot_orders_10s = 100;
  std::uint32_t spot_orders_1d = 200'000;
  std::uint32_t usdm_orders_10s = 300;
  std::uint32_t usdm_orders_1m = 1'200;
  std::uint32_t ban_after_429s = 10;  // requests refused with 429 in one window before 418
  std::uint32_t ban_seconds = 120;
};

struct FrontConfig {
  std::vector<Instrument> spot_instruments, usdm_instruments;
  std::vector<AccountSpec> accounts;
  std::uint64_t seed = 1;
  FaultSpec faults;
  LatencyModel latency;
  RateLimits limits;
  std::size_t stream_depth_levels = 1'000;  // levels per side diffed into depth updates
  std::function<std::int64_t()> clock_ms;   // empty: the system clock
  // A line on stderr per request that places orders (single, batch, order list): the account,
  // method and path -- which endpoint carried an order (venue-sim --log-orders).
  bool log_order_requests = false;
};

class Front : public LiquiditySink {
 public:
  explicit Front(FrontConfig cfg);  // throws std::invalid_argument on a bad config
  ~Front() override;
  Front(const Front&) = delete;
  Front& operator=(const Front&) = delete;

  // Registers the WebSocket paths (/ws/<stream>, /stream, /ws/<listenKey>) on server.
  void attach(net::HttpsServer& server);
  // Registers USD-M streams under fstream.binance.com's own paths (/stream?streams=...,
  // /ws/<stream>, /ws/<listenKey>) on a second server standing in for fstream: a client that
  // speaks the real USD-M paths (our connector) cannot say /fstream.
  void attach_usdm_streams(net::HttpsServer& server);
  // One REST request, executed now; the answer comes with how long after now it is to leave
  // (the latency model, plus a delay_ack / timeout fault's delay). Status 0: drop the
  // connection then instead of answering (lost_ack, timeout). For HttpsServer's
  // DelayedHttpHandler; an in-process caller takes .response at once.
  net::DelayedResponse handle(const net::HttpRequest& req);

  // Background liquidity (the caller's thread; thread-safe).
  void on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) override;
  void on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) override;
  void on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) override;

  // The listen key of an account (stable for the process, derived from the seed).
  [[nodiscard]] std::string listen_key(std::string_view account_name) const;
  // The venue expires the account's listen key: its user-data sockets get
  // {"e":"listenKeyExpired",...} and are closed; keepalive (PUT) answers -1125 until the client
  // creates a key again (POST, which gives the same stable key back). Throws
  // std::invalid_argument for an unknown account.
  void expire_listen_key(std::string_view account_name);
  // Created (POST) and neither expired nor deleted since.
  [[nodiscard]] bool listen_key_open(std::string_view account_name) const;
  [[nodiscard]] std::int64_t now_ms() const;

  struct Impl;

 private:
  void attach_streams(net::HttpsServer& server, bool usdm_server);
  std::unique_ptr<Impl> impl_;
};

// Instruments venue-sim lists by default: BTCUSDT and ETHUSDT on spot and USD-M with
// Binance-like filters.
std::vector<Instrument> default_instruments(Market m);

}  // namespace oms::venue_sim
