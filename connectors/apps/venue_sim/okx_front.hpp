// venue-sim's OKX v5 front: REST under /api/v5 (the {"code","msg","data"} envelope, OKX's error
// codes and HTTP statuses, OK-ACCESS-* signing) and the v5 WebSockets (/ws/v5/public,
// /ws/v5/private) on top of the same pure matching core as the Binance and Bybit fronts
// (oms::sim::Venue): a SPOT venue and a SWAP (USDT-margined perpetual) venue of its own.
//
// Units: the core counts base units; OKX counts a SWAP's size in contracts (ctVal base each).
// The front converts at its edge (sz * ctVal into the core, qty / ctVal out of it), so every
// OKX text -- order sz, accFillSz, fillSz, pos, books sizes -- is in contracts on SWAP.
//
// Accounts: one OKX unified account (acctLv 2, "Spot and futures mode") per OkxAccountSpec,
// registered in both venues with one API key. As in the Bybit front, venue-sim keeps the spot
// balances and the SWAP USDT wallet apart (spot orders spend spot balances, SWAP orders the
// SWAP wallet); account/balance and the account channel show one row per currency, their sum
// (USDT = spot USDT + SWAP wallet + unrealised PnL).
//
// Everything runs under one mutex; ids and fault draws come from the seed, never the clock
// (the clock gives timestamps and the 30 s OK-ACCESS-TIMESTAMP / login checks only).
//
// What venue-sim does not do (each refused with a code and a message naming it, never silently
// accepted): algo orders other than conditional (one of TP / SL) and trigger (oco,
// move_order_stop, twap, iceberg, chase), amend-algos, close-position, cancel-all-after, attached
// TP/SL (attachAlgoOrds), optimal_limit_ioc, mmp and elp orders, spot margin (tdMode cross /
// isolated on SPOT), quick margin, banAmend, pxUsd / pxVol, triggers on the mark or index price,
// transfers and the funding account (venue-sim answers 50030 naming what it does not serve).
// Where it differs from OKX (documented, not refused): isolated margin is shown but accounted as
// cross (the core's rule); no funding, no liquidation (liqPx ""), mark = index = the book's mid;
// public endpoints have no IP rate limit; an amended order loses its queue position; the account
// channel pushes every currency held, not only those changed; an algo order locks its assets
// (SPOT) or margin (SWAP limit) while it waits; a parameter OKX would ignore is refused by name.
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

// One OKX instrument: the core's (base units) and OKX's own figures, in OKX's units (SPOT:
// base currency; SWAP: contracts; SPOT maxMktSz: the quote currency, as OKX lists it).
struct OkxInstrument {
  Instrument venue;  // venue_symbol = instId ("BTC-USDT", "BTC-USDT-SWAP")
  Decimal ct_val;    // SWAP: base currency per contract; SPOT: zero
  Decimal tick_sz, lot_sz, min_sz, max_lmt_sz, max_mkt_sz;
  int max_lever = 100;  // SWAP
};

struct OkxAccountSpec {
  std::string name;
  std::string api_key, api_secret, passphrase;
  // OKX's regular-user (Lv1) rates (okx.com/fees): spot 0.08 % maker, 0.10 % taker; USDT
  // perpetuals 0.02 % maker, 0.05 % taker.
  Decimal spot_maker = Decimal::from_raw(800'000), spot_taker = Decimal::from_raw(1'000'000);
  Decimal swap_maker = Decimal::from_raw(200'000), swap_taker = Decimal::from_raw(500'000);
  std::vector<std::pair<std::string, Decimal>> spot_balances;  // ccy, amount
  Decimal swap_usdt;  // the SWAP venue's USDT wallet
  // A sub-account's master's name (empty: a master) and its name as transfers give it (subAcct;
  // empty: the account's name): funds transfers types 1 / 2 move between a master and its subs.
  std::string parent;
  std::string sub_account;
};

// OKX's per-endpoint limits are a table in okx_front.cpp (requests per 2 s, per user, and per
// instrument for the order endpoints). `lifted`: benchmarks only, never 50011.
struct OkxRateLimits {
  bool lifted = false;
};

struct OkxFrontConfig {
  std::vector<OkxInstrument> spot_instruments, swap_instruments;
  std::vector<OkxAccountSpec> accounts;
  std::uint64_t seed = 1;
  // Applied to OKX: error_5xx (HTTP 503, code 50001, nothing executed), lost_ack, delay_ack,
  // timeout (order endpoints), drop_new (trade/order, trade/batch-orders), drop_ws, duplicate,
  // reorder (private channels). late_exec is not applied.
  FaultSpec faults;
  LatencyModel latency;
  OkxRateLimits limits;
  std::function<std::int64_t()> clock_ms;  // empty: the system clock
};

class OkxFront : public LiquiditySink {
 public:
  explicit OkxFront(OkxFrontConfig cfg);  // throws std::invalid_argument naming what is wrong
  ~OkxFront() override;
  OkxFront(const OkxFront&) = delete;
  OkxFront& operator=(const OkxFront&) = delete;

  // True for the targets this front answers (/api/v5/...).
  [[nodiscard]] static bool serves(std::string_view target) noexcept;
  // Registers /ws/v5/public and /ws/v5/private on server (before start()).
  void attach(net::HttpsServer& server);
  // One REST request, executed now; answered after the latency model's delay. Status 0: drop
  // the connection instead (lost_ack, timeout, drop_new). Thread-safe.
  net::DelayedResponse handle(const net::HttpRequest& req);

  // Background liquidity, in base units (market kSpot = SPOT, kUsdm = SWAP; symbol = instId).
  void on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) override;
  void on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) override;
  void on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) override;

  [[nodiscard]] std::int64_t now_ms() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// BTC-USDT, ETH-USDT (SPOT) and BTC-USDT-SWAP, ETH-USDT-SWAP (SWAP) with OKX's figures
// (okx_front_market.cpp says where each comes from). m: kSpot or kUsdm.
std::vector<OkxInstrument> default_okx_instruments(Market m);
// The core's instruments of a list (FollowFeed, the random walk).
std::vector<Instrument> core_instruments(const std::vector<OkxInstrument>& list);

// A paper account like the Bybit one: spot 100000 USDT, 1 BTC, 10 ETH; SWAP wallet 100000 USDT.
OkxAccountSpec default_okx_account(std::string name, std::string api_key, std::string api_secret,
                                   std::string passphrase);

}  // namespace oms::venue_sim
