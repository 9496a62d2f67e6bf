// venue-sim's Bybit v5 front: REST under /v5 (the {"retCode","retMsg","result","retExtInfo",
// "time"} envelope, Bybit's retCodes, X-BAPI-* signing) and the v5 WebSockets
// (/v5/public/spot, /v5/public/linear, /v5/private) on top of the same pure matching core as
// the Binance front (oms::sim::Venue): a spot venue and a linear (USDT perpetual) venue of its
// own, so a Bybit client trades against it as against the real venue.
//
// Accounts: one Bybit unified trading account (UTA) per BybitAccountSpec, registered in both
// venues with one API key. A real UTA shares one wallet between spot and contracts; venue-sim
// keeps them apart: spot orders spend the spot balances, linear orders the linear USDT wallet
// (BybitAccountSpec::linear_usdt). The wallet endpoints and the wallet topic show the sum per
// coin (USDT = spot USDT + linear wallet), so the totals a client reads are those of the account;
// a transfer out of the unified account draws on both, the spot part first, then the linear
// wallet's available USDT (unified_wallet.hpp).
//
// Everything runs under one mutex, like Front; order ids, execution ids, connection ids and the
// fault draws come from the seed and the venue, never from the clock (only timestamps and the
// recv-window / expiry checks read it, FrontConfig-style injectable clock).
//
// What venue-sim does not do (each refused with a retCode naming it, never silently accepted):
// TP/SL attached to orders and positions (takeProfit, stopLoss, trading-stop on a position),
// trailing stops, conditional orders triggered by mark or index price (LastPrice only), spot
// TP/SL and OCO orders (orderFilter tpslOrder, OcoOrder), spot margin (isLeverage 1), slippage
// tolerance, portfolio margin, options and inverse contracts, amending an untriggered
// conditional order or its trigger, a spot conditional market buy by quote amount.
// Where it differs from Bybit (documented, not refused): the position mode is one per account
// (switch-mode by symbol or coin switches every linear symbol; refused while any linear
// position or order is open); a spot StopOrder locks its assets when placed (Bybit: when it
// triggers) and a linear conditional limit order reserves margin while it waits; an amended
// order always loses its queue position; isolated margin is recorded and shown, accounted as
// cross (the core's rule); no funding, liquidation or maintenance margin (fundingRate 0,
// positionMM 0, no liqPrice); index price = mark price = the book's mid; orderbook.1 is not
// re-sent as a snapshot after 3 s without change; tickers are pushed on each change (Bybit:
// every 100 ms on linear); the FUND account exists for transfers only, and a transfer moves
// the spot balance of the coin.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "front.hpp"  // FaultSpec, LatencyModel
#include "liquidity_sink.hpp"
#include "oms/connectors/net/https_server.hpp"

namespace oms::venue_sim {

struct BybitAccountSpec {
  std::string name;
  std::string api_key, api_secret;
  // Bybit's non-VIP rates (bybit.com/en/help-center/article/Trading-Fee-Structure): spot
  // 0.1 % maker and taker, USDT perpetuals 0.02 % maker, 0.055 % taker.
  Decimal spot_maker = Decimal::from_raw(1'000'000), spot_taker = Decimal::from_raw(1'000'000);
  Decimal linear_maker = Decimal::from_raw(200'000), linear_taker = Decimal::from_raw(550'000);
  std::vector<std::pair<std::string, Decimal>> spot_balances;  // coin, amount
  Decimal linear_usdt;  // the linear venue's USDT wallet
  // The account's UID (0: venue-sim's own, 100000001 + its index) and, for a sub-account, its
  // master's name (empty: a master): universal transfers move between the UIDs of one master.
  std::uint64_t member_id = 0;
  std::string parent;
};

// Per-UID order-endpoint limits (requests a rolling second, per endpoint and category; a batch
// counts its orders), Bybit's UTA defaults: /v5/order/create, cancel, cancel-all and the batch
// endpoints 20/s on spot and 10/s on linear, /v5/order/amend 10/s on both. Query endpoints keep
// Bybit's own limits (50/s for order and position queries and the wallet, 10/s linear / 5/s spot
// fee-rate, 10/s settings). `lifted`: benchmarks only, no 10006 (the headers still count).
struct BybitRateLimits {
  std::uint32_t spot_orders_per_s = 20;
  std::uint32_t linear_orders_per_s = 10;
  std::uint32_t amend_per_s = 10;
  // The IP limit: 600 requests (all endpoints, public too) in any 5 s; past it every request of
  // the IP is answered HTTP 403 "access too frequent" for ip_ban_s (Bybit: "usually 30 minutes";
  // no Retry-After). Not enforced when lifted.
  std::uint32_t ip_requests_per_5s = 600;
  std::uint32_t ip_ban_s = 1800;
  bool lifted = false;
};

struct BybitFrontConfig {
  std::vector<Instrument> spot_instruments, linear_instruments;
  std::vector<BybitAccountSpec> accounts;
  std::uint64_t seed = 1;
  // Applied to Bybit: error_5xx (HTTP 503, retCode 10016, nothing executed), lost_ack, delay_ack,
  // timeout, drop_new (order endpoints), drop_ws, duplicate, reorder (private topics), ban_after /
  // ban_s (the ban_after-th POST /v5/order/create bans the IP: HTTP 403 for ban_s seconds).
  // late_exec is not applied (Bybit has no "execution status unknown" answer venue-sim models).
  FaultSpec faults;
  LatencyModel latency;
  BybitRateLimits limits;
  std::function<std::int64_t()> clock_ms;  // empty: the system clock
};

class BybitFront : public LiquiditySink {
 public:
  explicit BybitFront(BybitFrontConfig cfg);  // throws std::invalid_argument naming what is wrong
  ~BybitFront() override;
  BybitFront(const BybitFront&) = delete;
  BybitFront& operator=(const BybitFront&) = delete;

  // True for the targets this front answers (/v5/...): the server routes those here.
  [[nodiscard]] static bool serves(std::string_view target) noexcept;
  // Registers /v5/public/spot, /v5/public/linear and /v5/private on server (before start()).
  void attach(net::HttpsServer& server);
  // One REST request, executed now; the answer leaves after the latency model's delay (and a
  // delay_ack / timeout fault's). Status 0: drop the connection instead (lost_ack, timeout,
  // drop_new). Thread-safe.
  net::DelayedResponse handle(const net::HttpRequest& req);

  // Background liquidity (market kSpot = category spot, kUsdm = linear). Thread-safe.
  void on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) override;
  void on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) override;
  void on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) override;

  [[nodiscard]] std::int64_t now_ms() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// BTCUSDT and ETHUSDT with Bybit's filters (see bybit_front_market.cpp for where each figure
// comes from). m: kSpot (category spot) or kUsdm (category linear).
std::vector<Instrument> default_bybit_instruments(Market m);

// Starting balances of a paper account, like the Binance ones: spot 100000 USDT, 1 BTC, 10 ETH;
// linear 100000 USDT.
BybitAccountSpec default_bybit_account(std::string name, std::string api_key,
                                       std::string api_secret);

}  // namespace oms::venue_sim
