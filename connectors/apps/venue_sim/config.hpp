// venue-sim's command line and JSON config file, and the paper-keys file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bybit_front.hpp"
#include "front.hpp"
#include "okx_front.hpp"
#include "upbit_front.hpp"

namespace oms::venue_sim {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9443;
  std::string cert, key;
  std::vector<std::string> replay;
  double speed = 1;
  bool random_walk = false;
  std::uint64_t walk_seed = 1;
  std::uint32_t walk_interval_ms = 100;
  std::int64_t shock_bps = 0;  // --shock-bps: each SIGUSR1 moves the walked books this much
  std::string paper_keys;
  std::vector<std::pair<std::string, Market>> paper_accounts;  // --account NAME:spot|usdm
  std::vector<std::string> bybit_paper_accounts;               // --account NAME:bybit
  std::vector<std::string> okx_paper_accounts;                 // --account NAME:okx
  std::vector<std::string> upbit_paper_accounts;               // --account NAME:upbit
  unsigned threads = 2;
  FrontConfig front;
  // Bybit v5 under /v5: on with --bybit, a Bybit account (--account NAME:bybit, the config
  // file's "bybit", a paper-keys entry with "exchange":"bybit"). Seed, faults and latency are
  // the Binance front's (main copies them).
  bool bybit = false;
  BybitFrontConfig bybit_front;
  // With --replay: Bybit's books of the replayed symbols follow the recorded ones, prices moved
  // by this many basis points (whole ticks; follow_feed.hpp); the others take the random walk.
  std::int64_t bybit_basis_bps = 0;
  // OKX v5 under /api/v5: on with --okx, an OKX account (--account NAME:okx, the config file's
  // "okx", a paper-keys entry with "exchange":"okx"). Seed, faults and latency as Bybit's.
  bool okx = false;
  OkxFrontConfig okx_front;
  // With --replay: OKX's BTC-USDT / BTC-USDT-SWAP (every replayed symbol OKX lists) follow the
  // recorded spot / USD-M books, moved by this many basis points.
  std::int64_t okx_basis_bps = 0;
  // Upbit under /v1: on with --upbit, an Upbit account (--account NAME:upbit, the config file's
  // "upbit", a paper-keys entry with "exchange":"upbit"). Seed, faults and latency as Bybit's.
  bool upbit = false;
  UpbitFrontConfig upbit_front;
  // With --replay: KRW-BTC follows the recorded Binance BTCUSDT spot book at this many KRW per
  // USDT, times (1 + upbit_premium_bps / 10000) (the "kimchi premium"), on Upbit's KRW ticks.
  Decimal upbit_krw_per_usdt = Decimal::from_raw(1350 * Decimal::kOne);
  std::int64_t upbit_premium_bps = 0;
};

// Parses argv (and the --config JSON file it names). Throws std::invalid_argument with a
// message naming the flag / field. Returns false for --help (usage printed).
bool parse_options(int argc, char** argv, Options& out);

// --paper-keys FILE: loads FILE when it exists (keys kept across runs), else generates keys for
// every account without one and writes FILE (0600) as
// {"<account>": {"api_key": "...", "api_secret": "...", "market": "spot"|"usdm"}} (Binance) or
// {"<account>": {"api_key": "...", "api_secret": "...", "exchange": "bybit"}} (a Bybit unified
// account: spot and linear) or
// {"<account>": {"api_key": "...", "api_secret": "...", "passphrase": "...", "exchange": "okx"}}
// (an OKX unified account: SPOT and SWAP) or
// {"<account>": {"api_key": "<access key>", "api_secret": "<secret key>", "exchange": "upbit"}}
// (an Upbit account: KRW markets). With --bybit and no Bybit account anywhere, one named "bybit"
// is added; with --okx and no OKX account, one named "okx"; with --upbit, one named "upbit".
void apply_paper_keys(Options& o);

}  // namespace oms::venue_sim
