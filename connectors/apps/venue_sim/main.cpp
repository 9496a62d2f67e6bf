// venue-sim: a Binance Spot + USD-M (and, on request, Bybit v5, OKX v5 and Upbit) compatible venue
// over TLS on loopback (see --help).
#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <cstdio>
#include <iostream>
#include <thread>

#include "background_feed.hpp"
#include "bybit_front.hpp"
#include "config.hpp"
#include "follow_feed.hpp"
#include "front.hpp"
#include "okx_front.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/upbit/instruments.hpp"
#include "upbit_front.hpp"

int main(int argc, char** argv) {
  using namespace oms::venue_sim;
  Options o;
  try {
    if (!parse_options(argc, argv, o)) return 0;
    apply_paper_keys(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "venue-sim: %s\n", e.what());
    return 2;
  }
  // Block the stop signals before any thread starts, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);  // --shock-bps: a price shock, not a stop
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    Front front(o.front);
    // Bybit v5 on the same server: REST under /v5 goes to it, everything else to Binance's front.
    std::unique_ptr<BybitFront> bybit;
    if (o.bybit) {
      BybitFrontConfig bc = o.bybit_front;
      bc.seed = o.front.seed;
      bc.faults = o.front.faults;
      bc.latency = o.front.latency;
      bybit = std::make_unique<BybitFront>(std::move(bc));
    }
    // OKX v5 likewise: REST under /api/v5.
    std::unique_ptr<OkxFront> okx;
    if (o.okx) {
      OkxFrontConfig kc = o.okx_front;
      kc.seed = o.front.seed;
      kc.faults = o.front.faults;
      kc.latency = o.front.latency;
      okx = std::make_unique<OkxFront>(std::move(kc));
    }
    // Upbit likewise: REST under /v1.
    std::unique_ptr<UpbitFront> upbit;
    if (o.upbit) {
      UpbitFrontConfig uc = o.upbit_front;
      uc.seed = o.front.seed;
      uc.faults = o.front.faults;
      uc.latency = o.front.latency;
      upbit = std::make_unique<UpbitFront>(std::move(uc));
    }
    oms::net::HttpsServerConfig sc;
    sc.bind_address = o.host;
    sc.port = o.port;
    sc.tls = {o.cert, o.key};
    sc.threads = o.threads;
    oms::net::HttpsServer server(sc, [&front, &bybit, &okx, &upbit](const oms::net::HttpRequest& r) {
      if (bybit && BybitFront::serves(r.target)) return bybit->handle(r);
      if (okx && OkxFront::serves(r.target)) return okx->handle(r);
      if (upbit && UpbitFront::serves(r.target)) return upbit->handle(r);
      return front.handle(r);
    });
    front.attach(server);
    if (bybit) bybit->attach(server);
    if (okx) okx->attach(server);
    if (upbit) upbit->attach(server);
    server.start();
    std::printf("listening %s:%u\n", o.host.c_str(), static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    std::fprintf(stderr, "venue-sim: latency %s (REST answers and user-data events)\n",
                 o.front.latency.describe().c_str());
    std::atomic<bool> stop{false};
    WalkShocks shocks;  // SIGUSR1 (--shock-bps)
    shocks.bps = o.shock_bps;
    std::vector<std::thread> feeders;
    // With a replay and Bybit or OKX on, their books of the replayed symbols follow the recording.
    std::unique_ptr<FollowFeed> follow;
    std::vector<std::pair<oms::Market, std::string>> followed;  // the recorded (market, symbol)s
    if ((bybit || okx || upbit) && !o.replay.empty()) {
      follow = std::make_unique<FollowFeed>(front);
      if (bybit) {
        std::vector<oms::Instrument> bybit_instruments = o.bybit_front.spot_instruments;
        bybit_instruments.insert(bybit_instruments.end(), o.bybit_front.linear_instruments.begin(),
                                 o.bybit_front.linear_instruments.end());
        follow->add(*bybit, bybit_instruments, o.bybit_basis_bps);
      }
      if (okx) {
        // Binance's BTCUSDT is OKX's BTC-USDT (spot) and BTC-USDT-SWAP (USD-M).
        std::vector<oms::Instrument> okx_instruments = core_instruments(o.okx_front.spot_instruments);
        for (const auto& i : core_instruments(o.okx_front.swap_instruments)) okx_instruments.push_back(i);
        follow->add(*okx, okx_instruments, o.okx_basis_bps,
                    [](oms::Market m, std::string_view sym) -> std::optional<std::string> {
                      constexpr std::string_view kQuote = "USDT";
                      if (sym.size() <= kQuote.size() || sym.substr(sym.size() - kQuote.size()) != kQuote) return std::nullopt;
                      std::string name = std::string(sym.substr(0, sym.size() - kQuote.size())) + "-USDT";
                      if (m == oms::Market::kUsdm) name += "-SWAP";
                      return name;
                    });
      }
      if (upbit) {
        // Binance's spot BTCUSDT is Upbit's KRW-BTC: prices x KRW per USDT x (1 + premium), on
        // Upbit's KRW tick bands.
        FollowFeed::Conversion conv;
        constexpr std::int64_t kBpsRaw = oms::Decimal::kOne / 10'000;  // one basis point
        const auto mult = o.upbit_krw_per_usdt.mul(oms::Decimal::from_raw(oms::Decimal::kOne + o.upbit_premium_bps * kBpsRaw),
                                                    oms::Rounding::kHalfEven);
        if (!mult.ok()) throw std::invalid_argument("--upbit-krw-per-usdt x premium: out of range");
        conv.multiplier = *mult;
        conv.tick_at = [](oms::Decimal price) {
          const auto t = oms::upbit::tick_size("KRW", price);
          return t.ok() ? *t : oms::Decimal::from_raw(1);
        };
        follow->add(*upbit, core_instruments(o.upbit_front.markets), conv,
                    [](oms::Market m, std::string_view sym) -> std::optional<std::string> {
                      constexpr std::string_view kQuote = "USDT";
                      if (m != oms::Market::kSpot || sym.size() <= kQuote.size() || sym.substr(sym.size() - kQuote.size()) != kQuote)
                        return std::nullopt;
                      return "KRW-" + std::string(sym.substr(0, sym.size() - kQuote.size()));
                    });
      }
      for (const auto& f : o.replay) {
        const auto name = std::filesystem::path(f).filename().string();
        const auto a = name.find('_');
        const auto b = a == std::string::npos ? a : name.find('_', a + 1);
        if (b == std::string::npos) continue;
        std::string sym = name.substr(a + 1, b - a - 1);
        for (char& c : sym) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        followed.emplace_back(name.rfind("usdm_", 0) == 0 ? oms::Market::kUsdm : oms::Market::kSpot, sym);
      }
    }
    if (bybit) {
      std::fprintf(stderr, "venue-sim: Bybit v5 under /v5, %zu unified account(s); books %s\n",
                   o.bybit_front.accounts.size(),
                   follow ? ("of the replayed symbols follow the recording, basis " +
                             std::to_string(o.bybit_basis_bps) + " bps; the others walk").c_str()
                          : "on the random walk");
    }
    if (!o.replay.empty()) {
      // One feeder per market and symbol (file name <market>_<symbol>_<date>.gz): the files of
      // one stream play in the order given, the streams side by side, each at its recorded
      // pace from the same start.
      std::map<std::string, std::vector<std::string>> streams;
      for (const auto& f : o.replay) {
        const auto name = std::filesystem::path(f).filename().string();
        const auto cut = name.rfind('_');
        streams[cut == std::string::npos ? name : name.substr(0, cut)].push_back(f);
      }
      LiquiditySink& sink = follow ? static_cast<LiquiditySink&>(*follow) : front;
      for (auto& [key, files] : streams) {
        feeders.emplace_back([&sink, &o, &stop, key = key, files = files] {
          try {
            const auto st = replay_files(sink, files, o.speed, stop);
            std::fprintf(stderr,
                         "venue-sim: replay of %s done: %zu snapshots, %zu deltas applied (%zu "
                         "buffered for a snapshot, %zu stale, %zu gaps), %zu trades, %zu skipped, "
                         "%zu errors\n",
                         key.c_str(), st.snapshots, st.deltas, st.buffered, st.stale, st.gaps,
                         st.trades, st.skipped, st.errors);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "venue-sim: replay of %s: %s\n", key.c_str(), e.what());
          }
        });
      }
    } else if (o.random_walk) {
      std::uint64_t seed = o.walk_seed;
      for (const auto* list : {&o.front.spot_instruments, &o.front.usdm_instruments}) {
        for (const auto& ins : *list) {
          const bool btc = ins.symbol.base == "BTC";
          const auto mid = *oms::Decimal::parse(btc ? "60000" : "3000");
          feeders.emplace_back([&front, ins, mid, seed, &o, &stop, &shocks] {
            random_walk(front, ins, mid, seed, std::chrono::milliseconds(o.walk_interval_ms), stop, 0, {}, &shocks);
          });
          ++seed;
        }
      }
    }
    if (okx) {
      std::fprintf(stderr, "venue-sim: OKX v5 under /api/v5, %zu unified account(s); books %s\n",
                   o.okx_front.accounts.size(),
                   follow ? ("of the replayed symbols follow the recording, basis " +
                             std::to_string(o.okx_basis_bps) + " bps; the others walk").c_str()
                          : "on the random walk");
      // OKX's books not following a recording: the seeded random walk (seeds after Bybit's),
      // levels of 1..100 minimum sizes (in base units).
      std::uint64_t seed = o.walk_seed + 200;
      for (const auto* list : {&o.okx_front.spot_instruments, &o.okx_front.swap_instruments}) {
        for (const auto& oi : *list) {
          const auto& ins = oi.venue;
          const std::string recorded = ins.symbol.base + ins.symbol.quote;
          if (std::find(followed.begin(), followed.end(), std::pair{ins.market, recorded}) != followed.end())
            continue;  // follows the recording
          const bool btc = ins.symbol.base == "BTC";
          const auto mid = *oms::Decimal::parse(btc ? "60000" : "3000");
          const auto lot = std::max(ins.rules.step_size, ins.rules.min_qty);
          feeders.emplace_back([&okx, ins, mid, seed, lot, &o, &stop, &shocks] {
            random_walk(*okx, ins, mid, seed, std::chrono::milliseconds(o.walk_interval_ms), stop, 0, lot, &shocks);
          });
          ++seed;
        }
      }
    }
    if (upbit) {
      std::fprintf(stderr, "venue-sim: Upbit under /v1, %zu account(s); books %s\n", o.upbit_front.accounts.size(),
                   follow ? ("of the replayed spot symbols follow the recording at " + o.upbit_krw_per_usdt.to_string() +
                             " KRW per USDT, premium " + std::to_string(o.upbit_premium_bps) + " bps; the others walk").c_str()
                          : "on the random walk");
      // Upbit's books not following a recording: the seeded random walk on the KRW band tick of
      // the starting price (seeds after OKX's); levels of 1..100 lots.
      std::uint64_t seed = o.walk_seed + 300;
      for (const auto& um : o.upbit_front.markets) {
        oms::Instrument ins = um.venue;
        const std::string recorded = ins.symbol.base + "USDT";
        if (std::find(followed.begin(), followed.end(), std::pair{oms::Market::kSpot, recorded}) != followed.end()) continue;
        const bool btc = ins.symbol.base == "BTC", eth = ins.symbol.base == "ETH";
        const auto mid = *oms::Decimal::parse(btc ? "81000000" : eth ? "4050000" : "1350");
        const auto tick = oms::upbit::tick_size(ins.symbol.quote, mid);
        if (!tick.ok()) continue;
        ins.rules.tick_size = *tick;
        const auto lot = *oms::Decimal::parse(btc ? "0.0001" : eth ? "0.001" : "1");
        feeders.emplace_back([&upbit, ins, mid, seed, lot, &o, &stop, &shocks] {
          random_walk(*upbit, ins, mid, seed, std::chrono::milliseconds(o.walk_interval_ms), stop, 0, lot, &shocks);
        });
        ++seed;
      }
    }
    if (bybit) {
      // Bybit's books not following a recording: the seeded random walk (its own seeds, after
      // Binance's), levels of 1..100 minimum order quantities.
      std::uint64_t seed = o.walk_seed + 100;
      for (const auto* list : {&o.bybit_front.spot_instruments, &o.bybit_front.linear_instruments}) {
        for (const auto& ins : *list) {
          if (std::find(followed.begin(), followed.end(), std::pair{ins.market, ins.venue_symbol}) != followed.end())
            continue;  // follows the recording
          const bool btc = ins.symbol.base == "BTC";
          const auto mid = *oms::Decimal::parse(btc ? "60000" : "3000");
          const auto lot = std::max(ins.rules.step_size, ins.rules.min_qty);
          feeders.emplace_back([&bybit, ins, mid, seed, lot, &o, &stop, &shocks] {
            random_walk(*bybit, ins, mid, seed, std::chrono::milliseconds(o.walk_interval_ms), stop, 0, lot, &shocks);
          });
          ++seed;
        }
      }
    }
    int sig = 0;
    for (;;) {
      sigwait(&stop_signals, &sig);
      if (sig != SIGUSR1) break;
      if (o.shock_bps == 0) {
        std::fprintf(stderr, "venue-sim: SIGUSR1 without --shock-bps: no price shock\n");
        continue;
      }
      shocks.count.fetch_add(1);
      std::fprintf(stderr, "venue-sim: price shock %+lld bps on the random-walked books\n",
                   static_cast<long long>(o.shock_bps));
    }
    std::fprintf(stderr, "venue-sim: signal %d, stopping\n", sig);
    stop = true;
    for (auto& t : feeders) t.join();
    server.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "venue-sim: %s\n", e.what());
    return 1;
  }
  return 0;
}
