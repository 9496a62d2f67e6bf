// venue-sim: command line, JSON config file, paper keys.
#include "config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "oms/connectors/secrets/secret_store.hpp"

namespace oms::venue_sim {

namespace {

constexpr const char* kUsage = R"(usage: venue-sim [options]
Binance Spot (/api/v3) + USD-M (/fapi) compatible venue over TLS on loopback, and Bybit v5
(REST under /v5, WebSockets /v5/public/spot, /v5/public/linear, /v5/private; spot and linear
USDT perpetuals) on the same port when --bybit is given or a Bybit account exists.
  --listen HOST:PORT     default 127.0.0.1:9443; port 0 = any (the bound port is printed
                         on stdout as "listening 127.0.0.1:PORT")
  --cert FILE --key FILE server certificate chain and key (deploy/gen-certs makes them)
  --config FILE          JSON: {"listen","cert","key","seed","faults","latency",
                         "spot":{"symbols":[...]},
                         "usdm":{"symbols":[...]},"accounts":[{"name","market","api_key",
                         "api_secret","maker","taker","balances":{"USDT":"1000"},
                         "email" (a sub-account's, for /sapi/v1/sub-account transfers)}],
                         "rate_limits":{...},
                         "bybit":{"accounts":[{"name","api_key","api_secret","spot_maker",
                         "spot_taker","linear_maker","linear_taker","balances":{"BTC":"1"},
                         "linear_usdt":"100000"}]}}
  --paper-keys FILE      keys for the accounts (generated and written 0600 when FILE is absent);
                         an entry with "exchange":"bybit" is a Bybit unified account, one with
                         "exchange":"okx" (and a "passphrase") an OKX unified account; a Bybit
                         entry's "member_id" (its UID) and "parent" (its master's name), an OKX
                         entry's "parent" and "sub_account" (its subAcct name) shape the
                         master/sub families that transfers move within
  --account NAME:MARKET  a paper account: spot|usdm (Binance) or bybit (a Bybit unified account,
                         spot 100000 USDT, 1 BTC, 10 ETH and a linear wallet of 100000 USDT --
                         venue-sim keeps the two apart, a real unified account shares one; the
                         wallet shows their sum and a transfer out draws on both, spot first)
                         or okx (an OKX unified account, the same balances, SPOT and SWAP);
                         default main:spot, futures:usdm
  --bybit                serve Bybit v5 (BTCUSDT, ETHUSDT spot and linear); with --paper-keys
                         and no Bybit account, one named "bybit" is added
  --replay FILE...       recorded raw streams (spot_/usdm_<symbol>_<date>.gz): the files of one
                         market+symbol in the order given, different ones side by side (Binance
                         books; with Bybit on, Bybit's spot / linear book of the same symbol
                         follows the recorded one, shifted by --bybit-basis-bps; Bybit symbols
                         not replayed take the random walk)
  --bybit-basis-bps N    Bybit's followed books sit N basis points above (below, N < 0) the
                         recorded ones, in whole ticks (default 0: the same prices)
  --speed X              replay speed (0 = as fast as possible; default 1)
  --random-walk SEED     seeded random-walk background instead of a replay (Bybit's books walk
                         with this seed too, or seed 1 without it)
  --walk-interval-ms N   random-walk step interval (default 100)
  --shock-bps N          each SIGUSR1 moves every random-walked book's mid by N basis points
                         (-9999..100000, whole ticks; negative: down) at its next step, the
                         walk going on from there: a price shock for tests (replayed books
                         are not moved)
  --seed N               seed for fault and latency draws, listen keys and Bybit ids (default 1)
  --faults SPEC          e.g. lost_ack=0.05,delay_ack=0.1,delay_ms=300,duplicate=0.02,
                         reorder=0.02,drop_ws=0.01,error_5xx=0.01,timeout=0.01,timeout_ms=2000,
                         late_exec=0.05,late_ms=1500,drop_new=0.01,ban_after=20,ban_s=5
                         (delay_ack and timeout wait on top of --latency; late_exec: a new
                         order is answered 503 -1007 "execution status unknown", unknown to
                         queries for late_ms, then executed; drop_new: a new order's
                         connection dropped, the order not executed; ban_after: the N-th new
                         order is answered 418 and the market's IP banned for ban_s seconds)
                         Bybit: error_5xx (HTTP 503, retCode 10016, not executed), lost_ack,
                         delay_ack, timeout (order endpoints), drop_new (/v5/order/create),
                         drop_ws, duplicate, reorder (/v5/private topics), ban_after
                         (the N-th /v5/order/create bans the IP: HTTP 403 to every request
                         for ban_s seconds, no Retry-After); not late_exec
  --latency MODEL        how long after a request executes its REST answer leaves, and how
                         long after they happen its user-data events leave (the request
                         itself executes on arrival; market-data streams are not delayed):
                           zero                       nothing delayed (default; benchmarks, tests)
                           fixed_us=F[,jitter_us=J]   F microseconds plus a uniform draw in
                                                      [0, J], one per REST answer and one per
                                                      user-data push, seeded by --seed
                         waits are timers: no I/O thread sleeps, other connections go on;
                         one connection keeps its order. deploy/run: fixed_us=4000,jitter_us=4000
  --threads N            server I/O threads (default 2)
  --log-orders           a line on stderr per Binance request that places orders (account,
                         method, path): which endpoint carried them, e.g. USD-M batchOrders
  --no-rate-limits       benchmarks only: the request-weight and order-count limits are
                         lifted (never 429 or 418, never Bybit's 10006 or 403); the headers still
                         report the usage
Bybit's per-UID order limits (retCode 10006, X-Bapi-Limit* headers): create, cancel,
cancel-all and batches 20/s on spot, 10/s on linear; amend 10/s (a batch counts its orders).
Bybit's IP limit: 600 requests in any 5 s, past it HTTP 403 to every request for 30 min.
OKX v5 (--okx, --account NAME:okx, a paper-keys entry "exchange":"okx" with a passphrase, or
the config file's "okx":{"accounts":[{"name","api_key","api_secret","passphrase","spot_maker",
"spot_taker","swap_maker","swap_taker","balances":{...},"swap_usdt"}]}): REST under /api/v5
(OK-ACCESS-KEY / -SIGN / -TIMESTAMP / -PASSPHRASE; public/time, public/instruments,
market/books, market/ticker(s), market/trades; trade/order, batch-orders, cancel-order,
cancel-batch-orders, amend-order, amend-batch-orders, orders-pending, orders-history(-archive),
fills(-history); account/balance, positions, set-leverage, set-position-mode, config,
trade-fee; algo orders: order-algo conditional (one of TP / SL) and trigger, cancel-algos,
order-algo, orders-algo-pending / -history -- other algo kinds, amend-algos, close-position,
cancel-all-after refused by name), WebSockets /ws/v5/public (books, books5, bbo-tbt, trades,
tickers), /ws/v5/private (login; orders, positions, account) and /ws/v5/business (login;
orders-algo); BTC-USDT, ETH-USDT and BTC-USDT-SWAP, ETH-USDT-SWAP (sizes in contracts:
ctVal 0.01 BTC, 0.1 ETH); a unified
account starts with 100000 USDT, 1 BTC, 10 ETH (spot) and 100000 USDT (SWAP; venue-sim keeps
the two apart, account/balance shows their sum and a transfer out of "18" draws on both, spot
first). Rate limits per 2 s as OKX lists them (place,
cancel, amend 60 per instrument; batches 300 orders per instrument; 50011, HTTP 429), lifted by
--no-rate-limits; faults as Bybit's (error_5xx: HTTP 503 code 50001).
  --okx                  serve OKX v5; with --paper-keys and no OKX account, one named "okx"
  --okx-basis-bps N      with --replay: OKX's BTC-USDT / BTC-USDT-SWAP follow the recorded
                         spot / USD-M BTCUSDT books N basis points above (below) them, in
                         whole ticks (default 0); the other OKX instruments walk
Upbit (--upbit, --account NAME:upbit, a paper-keys entry "exchange":"upbit" whose api_key is the
access key and api_secret the secret key, or the config file's "upbit":{"accounts":[{"name",
"access_key","secret_key","maker","taker","balances":{"KRW":"500000000"}}]}): REST under /v1
(Authorization: Bearer <JWT>, HS256 or HS512 with access_key, nonce -- once per key -- and
query_hash / query_hash_alg SHA512 of the unencoded query or POST fields; refusals as Upbit:
jwt_verification, invalid_access_key, invalid_query_payload, nonce_used (401); market/all,
orderbook, orderbook/instruments, ticker, trades/ticks; accounts, orders/chance, POST orders
(limit with ioc / fok / post_only, price, market, best), orders/test, orders/cancel_and_new,
GET / DELETE order, GET / DELETE orders/open, orders/closed, GET / DELETE orders/uuids; candles,
ticker/all, deposits and withdrawals answer 404 naming them; Remaining-Req on every answer,
429 past Upbit's groups: order 8/s, default 30/s, order-cancel-all 1 per 2 s, quotation 10/s;
more than 10 429s within 10 s block every request with HTTP 418 for 60 s),
WebSockets /websocket/v1 (orderbook, trade, ticker; DEFAULT or SIMPLE; "PING" -> {"status":"UP"})
and /websocket/v1/private (the JWT in the upgrade's Authorization header; myOrder, myAsset);
KRW-BTC, KRW-ETH, KRW-USDT on Upbit's KRW tick bands, 5000 KRW minimum, 0.05 % fee in KRW; an
account starts with 500000000 KRW, 1 BTC, 10 ETH, 10000 USDT. Faults as Bybit's (error_5xx:
HTTP 500, drop_new: POST /v1/orders, ban_after: the N-th POST /v1/orders blocks with 418).
  --upbit                serve Upbit; with --paper-keys and no Upbit account, one named "upbit"
  --upbit-krw-per-usdt X with --replay: KRW-BTC follows the recorded spot BTCUSDT book at X KRW
                         per USDT (default 1350), each price on its KRW tick (bids down, asks
                         up); KRW-ETH, KRW-USDT walk
  --upbit-premium-bps N  the kimchi premium: prices times (1 + N / 10000) on top (default 0)
)";

Decimal dec(const nlohmann::json& j, const std::string& field) {
  if (!j.is_string()) throw std::invalid_argument(field + ": expected a decimal string");
  auto d = Decimal::parse(j.get<std::string>());
  if (!d.ok()) throw std::invalid_argument(field + ": '" + j.get<std::string>() + "' is not a decimal");
  return *d;
}

Market market_of(const std::string& s, const std::string& field) {
  if (s == "spot") return Market::kSpot;
  if (s == "usdm") return Market::kUsdm;
  throw std::invalid_argument(field + ": '" + s + "' is not spot or usdm");
}

void listen_from(const std::string& s, Options& o) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--listen: expected HOST:PORT");
  o.host = s.substr(0, colon);
  const long p = std::strtol(s.c_str() + colon + 1, nullptr, 10);
  if (p < 0 || p > 65535) throw std::invalid_argument("--listen: port out of range");
  o.port = static_cast<std::uint16_t>(p);
}

std::vector<Instrument> symbols_from(const nlohmann::json& j, Market m, const std::string& where) {
  std::vector<Instrument> out;
  const auto defaults = default_instruments(m);
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& s = j[i];
    const std::string f = where + "[" + std::to_string(i) + "]";
    if (!s.contains("symbol")) throw std::invalid_argument(f + ".symbol: missing");
    Instrument ins = defaults.front();
    ins.venue_symbol = s["symbol"].get<std::string>();
    if (!s.contains("base") || !s.contains("quote")) {
      throw std::invalid_argument(f + ": base and quote are required");
    }
    ins.symbol.base = s["base"].get<std::string>();
    ins.symbol.quote = s["quote"].get<std::string>();
    if (m == Market::kUsdm) ins.symbol.settle = ins.symbol.quote;
    auto& r = ins.rules;
    auto opt = [&](const char* key, Decimal& slot) {
      if (s.contains(key)) slot = dec(s[key], f + "." + key);
    };
    opt("tick_size", r.tick_size);
    opt("min_price", r.min_price);
    opt("max_price", r.max_price);
    opt("step_size", r.step_size);
    opt("min_qty", r.min_qty);
    opt("max_qty", r.max_qty);
    opt("min_notional", r.min_notional);
    if (s.contains("max_num_orders")) r.max_num_orders = s["max_num_orders"].get<std::uint32_t>();
    out.push_back(ins);
  }
  return out;
}

void load_config(const std::string& path, Options& o) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--config " + path + ": cannot open");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::invalid_argument(path + ": not a JSON object");
  try {
    if (j.contains("listen")) listen_from(j["listen"].get<std::string>(), o);
    if (j.contains("cert")) o.cert = j["cert"].get<std::string>();
    if (j.contains("key")) o.key = j["key"].get<std::string>();
    if (j.contains("seed")) o.front.seed = j["seed"].get<std::uint64_t>();
    if (j.contains("faults")) o.front.faults = parse_faults(j["faults"].get<std::string>());
    if (j.contains("latency")) o.front.latency = parse_latency(j["latency"].get<std::string>());
    if (j.contains("spot")) {
      o.front.spot_instruments = symbols_from(j["spot"]["symbols"], Market::kSpot, path + ": spot.symbols");
    }
    if (j.contains("usdm")) {
      o.front.usdm_instruments = symbols_from(j["usdm"]["symbols"], Market::kUsdm, path + ": usdm.symbols");
    }
    if (j.contains("rate_limits")) {
      const auto& l = j["rate_limits"];
      auto& r = o.front.limits;
      r.spot_weight_1m = l.value("spot_weight_1m", r.spot_weight_1m);
      r.usdm_weight_1m = l.value("usdm_weight_1m", r.usdm_weight_1m);
      r.spot_orders_10s = l.value("spot_orders_10s", r.spot_orders_10s);
      r.usdm_orders_10s = l.value("usdm_orders_10s", r.usdm_orders_10s);
    }
    if (j.contains("accounts")) {
      for (std::size_t i = 0; i < j["accounts"].size(); ++i) {
        const auto& a = j["accounts"][i];
        const std::string f = path + ": accounts[" + std::to_string(i) + "]";
        AccountSpec s;
        s.name = a.value("name", "");
        if (s.name.empty()) throw std::invalid_argument(f + ".name: missing");
        s.market = market_of(a.value("market", "spot"), f + ".market");
        s.api_key = a.value("api_key", "");
        s.api_secret = a.value("api_secret", "");
        s.email = a.value("email", "");
        if (a.contains("maker")) s.maker_rate = dec(a["maker"], f + ".maker");
        if (a.contains("taker")) s.taker_rate = dec(a["taker"], f + ".taker");
        if (a.contains("balances")) {
          for (const auto& [asset, amount] : a["balances"].items()) {
            s.balances.emplace_back(asset, dec(amount, f + ".balances." + asset));
          }
        }
        o.front.accounts.push_back(std::move(s));
      }
    }
    if (j.contains("bybit")) {
      o.bybit = true;
      const auto& list = j["bybit"].value("accounts", nlohmann::json::array());
      for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& a = list[i];
        const std::string f = path + ": bybit.accounts[" + std::to_string(i) + "]";
        BybitAccountSpec s = default_bybit_account(a.value("name", ""), a.value("api_key", ""),
                                                   a.value("api_secret", ""));
        if (s.name.empty()) throw std::invalid_argument(f + ".name: missing");
        if (a.contains("spot_maker")) s.spot_maker = dec(a["spot_maker"], f + ".spot_maker");
        if (a.contains("spot_taker")) s.spot_taker = dec(a["spot_taker"], f + ".spot_taker");
        if (a.contains("linear_maker")) s.linear_maker = dec(a["linear_maker"], f + ".linear_maker");
        if (a.contains("linear_taker")) s.linear_taker = dec(a["linear_taker"], f + ".linear_taker");
        if (a.contains("balances")) {
          s.spot_balances.clear();
          for (const auto& [coin, amount] : a["balances"].items()) {
            s.spot_balances.emplace_back(coin, dec(amount, f + ".balances." + coin));
          }
        }
        if (a.contains("linear_usdt")) s.linear_usdt = dec(a["linear_usdt"], f + ".linear_usdt");
        s.member_id = a.value("member_id", std::uint64_t{0});
        s.parent = a.value("parent", "");
        o.bybit_front.accounts.push_back(std::move(s));
      }
    }
    if (j.contains("okx")) {
      o.okx = true;
      const auto& list = j["okx"].value("accounts", nlohmann::json::array());
      for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& a = list[i];
        const std::string f = path + ": okx.accounts[" + std::to_string(i) + "]";
        OkxAccountSpec s = default_okx_account(a.value("name", ""), a.value("api_key", ""), a.value("api_secret", ""),
                                               a.value("passphrase", ""));
        if (s.name.empty()) throw std::invalid_argument(f + ".name: missing");
        for (const auto& [key, slot] : {std::pair{"spot_maker", &s.spot_maker}, std::pair{"spot_taker", &s.spot_taker},
                                        std::pair{"swap_maker", &s.swap_maker}, std::pair{"swap_taker", &s.swap_taker}}) {
          if (a.contains(key)) *slot = dec(a[key], f + "." + key);
        }
        if (a.contains("balances")) {
          s.spot_balances.clear();
          for (const auto& [ccy, amount] : a["balances"].items()) s.spot_balances.emplace_back(ccy, dec(amount, f + ".balances." + ccy));
        }
        if (a.contains("swap_usdt")) s.swap_usdt = dec(a["swap_usdt"], f + ".swap_usdt");
        s.parent = a.value("parent", "");
        s.sub_account = a.value("sub_account", "");
        o.okx_front.accounts.push_back(std::move(s));
      }
    }
    if (j.contains("upbit")) {
      o.upbit = true;
      const auto& list = j["upbit"].value("accounts", nlohmann::json::array());
      for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& a = list[i];
        const std::string f = path + ": upbit.accounts[" + std::to_string(i) + "]";
        UpbitAccountSpec s = default_upbit_account(a.value("name", ""), a.value("access_key", a.value("api_key", "")),
                                                   a.value("secret_key", a.value("api_secret", "")));
        if (s.name.empty()) throw std::invalid_argument(f + ".name: missing");
        if (a.contains("maker")) s.maker = dec(a["maker"], f + ".maker");
        if (a.contains("taker")) s.taker = dec(a["taker"], f + ".taker");
        if (a.contains("balances")) {
          s.balances.clear();
          for (const auto& [ccy, amount] : a["balances"].items()) s.balances.emplace_back(ccy, dec(amount, f + ".balances." + ccy));
        }
        o.upbit_front.accounts.push_back(std::move(s));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::vector<std::pair<std::string, Decimal>> default_balances(Market m) {
  if (m == Market::kUsdm) return {{"USDT", *Decimal::parse("100000")}};
  return {{"USDT", *Decimal::parse("100000")}, {"BTC", *Decimal::parse("1")},
          {"ETH", *Decimal::parse("10")}};
}

}  // namespace

bool parse_options(int argc, char** argv, Options& o) {
  o.front.spot_instruments = default_instruments(Market::kSpot);
  o.front.usdm_instruments = default_instruments(Market::kUsdm);
  o.bybit_front.spot_instruments = default_bybit_instruments(Market::kSpot);
  o.bybit_front.linear_instruments = default_bybit_instruments(Market::kUsdm);
  o.okx_front.spot_instruments = default_okx_instruments(Market::kSpot);
  o.okx_front.swap_instruments = default_okx_instruments(Market::kUsdm);
  o.upbit_front.markets = default_upbit_markets();
  auto need = [&](int& i, const char* flag) -> std::string {
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + ": missing value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return false;
    }
    if (a == "--config") load_config(need(i, "--config"), o);
    else if (a == "--listen") listen_from(need(i, "--listen"), o);
    else if (a == "--cert") o.cert = need(i, "--cert");
    else if (a == "--key") o.key = need(i, "--key");
    else if (a == "--paper-keys") o.paper_keys = need(i, "--paper-keys");
    else if (a == "--account") {
      const std::string v = need(i, "--account");
      const auto colon = v.find(':');
      if (colon == std::string::npos) throw std::invalid_argument("--account: expected NAME:MARKET");
      if (v.substr(colon + 1) == "bybit") {
        o.bybit_paper_accounts.push_back(v.substr(0, colon));
        o.bybit = true;
      } else if (v.substr(colon + 1) == "okx") {
        o.okx_paper_accounts.push_back(v.substr(0, colon));
        o.okx = true;
      } else if (v.substr(colon + 1) == "upbit") {
        o.upbit_paper_accounts.push_back(v.substr(0, colon));
        o.upbit = true;
      } else {
        o.paper_accounts.emplace_back(v.substr(0, colon), market_of(v.substr(colon + 1), "--account"));
      }
    } else if (a == "--replay") {
      while (i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--") o.replay.push_back(argv[++i]);
      if (o.replay.empty()) throw std::invalid_argument("--replay: no file given");
    } else if (a == "--speed") o.speed = std::strtod(need(i, "--speed").c_str(), nullptr);
    else if (a == "--random-walk") {
      o.random_walk = true;
      o.walk_seed = std::strtoull(need(i, "--random-walk").c_str(), nullptr, 10);
    } else if (a == "--walk-interval-ms") {
      o.walk_interval_ms = static_cast<std::uint32_t>(std::strtoul(need(i, "--walk-interval-ms").c_str(), nullptr, 10));
    } else if (a == "--shock-bps") {
      const std::string v = need(i, "--shock-bps");
      std::size_t used = 0;
      long long bps = 0;
      try {
        bps = std::stoll(v, &used, 10);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v.size() || bps < -9999 || bps > 100'000) {
        throw std::invalid_argument("--shock-bps: '" + v + "' is not a whole number in -9999..100000");
      }
      o.shock_bps = bps;
    } else if (a == "--seed") o.front.seed = std::strtoull(need(i, "--seed").c_str(), nullptr, 10);
    else if (a == "--faults") o.front.faults = parse_faults(need(i, "--faults"));
    else if (a == "--latency") o.front.latency = parse_latency(need(i, "--latency"));
    else if (a == "--log-orders") o.front.log_order_requests = true;
    else if (a == "--no-rate-limits") {
      auto& r = o.front.limits;
      r.spot_weight_1m = r.usdm_weight_1m = r.spot_orders_10s = r.spot_orders_1d =
          r.usdm_orders_10s = r.usdm_orders_1m = 1'000'000'000;
      o.bybit_front.limits.lifted = true;
      o.okx_front.limits.lifted = true;
      o.upbit_front.limits.lifted = true;
    } else if (a == "--bybit") {
      o.bybit = true;
    } else if (a == "--okx") {
      o.okx = true;
    } else if (a == "--upbit") {
      o.upbit = true;
    } else if (a == "--upbit-krw-per-usdt") {
      const std::string v = need(i, "--upbit-krw-per-usdt");
      const auto d = Decimal::parse(v);
      if (!d.ok() || !d->is_positive()) throw std::invalid_argument("--upbit-krw-per-usdt: '" + v + "' is not a positive decimal");
      o.upbit_krw_per_usdt = *d;
    } else if (a == "--upbit-premium-bps") {
      const std::string v = need(i, "--upbit-premium-bps");
      char* end = nullptr;
      const long long bps = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || bps <= -10000 || bps > 10000)
        throw std::invalid_argument("--upbit-premium-bps: '" + v + "' is not a whole number in -9999..10000");
      o.upbit_premium_bps = bps;
    } else if (a == "--bybit-basis-bps" || a == "--okx-basis-bps") {
      const std::string v = need(i, a.c_str());
      char* end = nullptr;
      const long long bps = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || bps < -1000 || bps > 1000)
        throw std::invalid_argument(a + ": '" + v + "' is not a whole number in -1000..1000");
      (a == "--okx-basis-bps" ? o.okx_basis_bps : o.bybit_basis_bps) = bps;
    }
    else if (a == "--threads") o.threads = static_cast<unsigned>(std::strtoul(need(i, "--threads").c_str(), nullptr, 10));
    else throw std::invalid_argument("unknown option " + a + " (see --help)");
  }
  if (o.cert.empty() || o.key.empty()) throw std::invalid_argument("--cert and --key are required");
  if (o.random_walk && !o.replay.empty()) {
    throw std::invalid_argument("--replay and --random-walk exclude each other");
  }
  if (o.speed < 0) throw std::invalid_argument("--speed: must be >= 0");
  return true;
}

void apply_paper_keys(Options& o) {
  auto& accounts = o.front.accounts;
  auto& bybit_accounts = o.bybit_front.accounts;
  auto& okx_accounts = o.okx_front.accounts;
  auto& upbit_accounts = o.upbit_front.accounts;
  for (const auto& [name, m] : o.paper_accounts) {
    AccountSpec s;
    s.name = name;
    s.market = m;
    accounts.push_back(s);
  }
  for (const auto& name : o.bybit_paper_accounts) bybit_accounts.push_back(default_bybit_account(name, "", ""));
  for (const auto& name : o.okx_paper_accounts) okx_accounts.push_back(default_okx_account(name, "", "", ""));
  for (const auto& name : o.upbit_paper_accounts) upbit_accounts.push_back(default_upbit_account(name, "", ""));
  if (o.paper_keys.empty()) {
    if (!bybit_accounts.empty()) o.bybit = true;
    if (!okx_accounts.empty()) o.okx = true;
    if (!upbit_accounts.empty()) o.upbit = true;
    return;
  }
  if (accounts.empty() && bybit_accounts.empty() && okx_accounts.empty() && upbit_accounts.empty()) {
    for (const auto& [name, m] : {std::pair{"main", Market::kSpot}, std::pair{"futures", Market::kUsdm}}) {
      AccountSpec s;
      s.name = name;
      s.market = m;
      accounts.push_back(s);
    }
  }
  nlohmann::json file = nlohmann::json::object();
  if (std::ifstream in(o.paper_keys); in) {
    file = nlohmann::json::parse(in, nullptr, false);
    if (file.is_discarded() || !file.is_object()) {
      throw std::invalid_argument("--paper-keys " + o.paper_keys + ": not a JSON object");
    }
    for (const auto& [name, v] : file.items()) {
      const std::string exchange = v.value("exchange", "binance");
      if (exchange == "bybit") {
        bool bybit_found = false;
        for (auto& a : bybit_accounts) {
          if (a.name != name) continue;
          bybit_found = true;
          a.api_key = v.value("api_key", "");
          a.api_secret = v.value("api_secret", "");
          if (a.member_id == 0) a.member_id = v.value("member_id", std::uint64_t{0});
          if (a.parent.empty()) a.parent = v.value("parent", "");
        }
        if (!bybit_found) {
          bybit_accounts.push_back(default_bybit_account(name, v.value("api_key", ""), v.value("api_secret", "")));
          bybit_accounts.back().member_id = v.value("member_id", std::uint64_t{0});
          bybit_accounts.back().parent = v.value("parent", "");
        }
        continue;
      }
      if (exchange == "okx") {
        bool okx_found = false;
        for (auto& a : okx_accounts) {
          if (a.name != name) continue;
          okx_found = true;
          a.api_key = v.value("api_key", "");
          a.api_secret = v.value("api_secret", "");
          a.passphrase = v.value("passphrase", "");
          if (a.parent.empty()) a.parent = v.value("parent", "");
          if (a.sub_account.empty()) a.sub_account = v.value("sub_account", "");
        }
        if (!okx_found) {
          okx_accounts.push_back(default_okx_account(name, v.value("api_key", ""), v.value("api_secret", ""),
                                                     v.value("passphrase", "")));
          okx_accounts.back().parent = v.value("parent", "");
          okx_accounts.back().sub_account = v.value("sub_account", "");
        }
        continue;
      }
      if (exchange == "upbit") {
        bool upbit_found = false;
        for (auto& a : upbit_accounts) {
          if (a.name != name) continue;
          upbit_found = true;
          a.access_key = v.value("api_key", "");
          a.secret_key = v.value("api_secret", "");
        }
        if (!upbit_found) upbit_accounts.push_back(default_upbit_account(name, v.value("api_key", ""), v.value("api_secret", "")));
        continue;
      }
      if (exchange != "binance") {
        throw std::invalid_argument("--paper-keys " + o.paper_keys + ": " + name + ".exchange: '" + exchange +
                                    "' is not binance, bybit, okx or upbit");
      }
      bool found = false;
      for (auto& a : accounts) {
        if (a.name != name) continue;
        found = true;
        a.api_key = v.value("api_key", "");
        a.api_secret = v.value("api_secret", "");
        if (a.email.empty()) a.email = v.value("email", "");
      }
      if (!found) {
        AccountSpec s;
        s.name = name;
        s.market = market_of(v.value("market", "spot"), o.paper_keys + ": " + name + ".market");
        s.api_key = v.value("api_key", "");
        s.api_secret = v.value("api_secret", "");
        s.email = v.value("email", "");
        accounts.push_back(s);
      }
    }
  }
  if (o.bybit && bybit_accounts.empty()) bybit_accounts.push_back(default_bybit_account("bybit", "", ""));
  if (o.okx && okx_accounts.empty()) okx_accounts.push_back(default_okx_account("okx", "", "", ""));
  if (o.upbit && upbit_accounts.empty()) upbit_accounts.push_back(default_upbit_account("upbit", "", ""));
  for (const auto& u : upbit_accounts) {
    const auto clash = [&](const std::string& other, const char* exchange) {
      if (other == u.name)
        throw std::invalid_argument("--paper-keys " + o.paper_keys + ": '" + u.name + "' names a " + exchange + " and an Upbit account");
    };
    for (const auto& a : accounts) clash(a.name, "Binance");
    for (const auto& b : bybit_accounts) clash(b.name, "Bybit");
    for (const auto& k : okx_accounts) clash(k.name, "OKX");
  }
  for (const auto& b : bybit_accounts) {
    for (const auto& a : accounts) {
      if (a.name == b.name) {
        throw std::invalid_argument("--paper-keys " + o.paper_keys + ": '" + a.name +
                                    "' names a Binance and a Bybit account");
      }
    }
  }
  for (const auto& k : okx_accounts) {
    for (const auto& a : accounts) {
      if (a.name == k.name) throw std::invalid_argument("--paper-keys " + o.paper_keys + ": '" + a.name + "' names a Binance and an OKX account");
    }
    for (const auto& b : bybit_accounts) {
      if (b.name == k.name) throw std::invalid_argument("--paper-keys " + o.paper_keys + ": '" + b.name + "' names a Bybit and an OKX account");
    }
  }
  bool changed = false;
  for (auto& a : accounts) {
    if (a.balances.empty()) a.balances = default_balances(a.market);
    if (!a.api_key.empty() && !a.api_secret.empty()) continue;
    a.api_key = secrets::random_key_text(64);
    a.api_secret = secrets::random_key_text(64);
    file[a.name] = {{"api_key", a.api_key}, {"api_secret", a.api_secret},
                    {"market", a.market == Market::kSpot ? "spot" : "usdm"}};
    changed = true;
  }
  for (auto& a : bybit_accounts) {
    o.bybit = true;
    if (!a.api_key.empty() && !a.api_secret.empty()) continue;
    a.api_key = secrets::random_key_text(64);
    a.api_secret = secrets::random_key_text(64);
    file[a.name] = {{"api_key", a.api_key}, {"api_secret", a.api_secret}, {"exchange", "bybit"}};
    changed = true;
  }
  for (auto& a : okx_accounts) {
    o.okx = true;
    if (!a.api_key.empty() && !a.api_secret.empty() && !a.passphrase.empty()) continue;
    a.api_key = secrets::random_key_text(64);
    a.api_secret = secrets::random_key_text(64);
    // OKX passphrases are 8 to 32 characters chosen by the user; a paper key gets 24 random ones.
    constexpr std::size_t kPassphraseLen = 24;
    a.passphrase = secrets::random_key_text(kPassphraseLen);
    file[a.name] = {{"api_key", a.api_key}, {"api_secret", a.api_secret}, {"passphrase", a.passphrase}, {"exchange", "okx"}};
    changed = true;
  }
  for (auto& a : upbit_accounts) {
    o.upbit = true;
    if (!a.access_key.empty() && !a.secret_key.empty()) continue;
    // Upbit's keys are 40-character texts; a paper key gets 40 random ones each.
    constexpr std::size_t kUpbitKeyLen = 40;
    a.access_key = secrets::random_key_text(kUpbitKeyLen);
    a.secret_key = secrets::random_key_text(kUpbitKeyLen);
    file[a.name] = {{"api_key", a.access_key}, {"api_secret", a.secret_key}, {"exchange", "upbit"}};
    changed = true;
  }
  if (!changed) return;
  const std::string tmp = o.paper_keys + ".tmp";
  {
    // Created 0600 from the start: the secrets are never readable by others, not even briefly.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("--paper-keys: cannot write " + tmp);
    const std::string text = file.dump(2) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::fchmod(fd, 0600);
    ::close(fd);
    if (!ok) throw std::runtime_error("--paper-keys: cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), o.paper_keys.c_str()) != 0) {
    throw std::runtime_error("--paper-keys: cannot rename to " + o.paper_keys);
  }
}

}  // namespace oms::venue_sim
