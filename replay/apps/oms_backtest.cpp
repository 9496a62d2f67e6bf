// oms-backtest: recorded market data through the same engine, with the venue simulator's
// matching core in-process (replay/backtest.hpp); a report in --out.
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oms/configs/config.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/nats_auth.hpp"
#include "oms/replay/recording.hpp"
#include "oms/setup/engine_setup.hpp"
#include "oms/connectors/binance/exchange_info.hpp"
#include "oms/replay/backtest.hpp"
#include "oms/replay/progress.hpp"

namespace {

using namespace oms;

constexpr const char* kUsage = R"(oms-backtest: recorded market data through the same engine, with the venue simulator in-process

usage: oms-backtest --config DIR --exchange-info spot=FILE[,usdm=FILE] --data FILE... --out DIR
                    [--from T] [--to T] [--latency MODEL] [--fees maker=R,taker=R]
                    [--accounts a,b] [--quiet]
       oms-backtest --recording jetstream|file [--nats URL | --journal DIR] --day YYYY-MM-DD
                    [--desk N] [--config DIR] --out DIR [the options above]

  --config DIR          accounts.yaml, strategies.yaml, exchanges.yaml, risk.yaml (as omsd's)
  --exchange-info ...   Binance exchangeInfo bodies (GET /api/v3/exchangeInfo,
                        /fapi/v1/exchangeInfo) with the instruments' rules; only the instruments
                        the data files name are run
  --data FILE...        recorded streams in the hftbacktest collector format (gzip,
                        "<recv_ns> <raw JSON>" lines: depth, depth snapshots, bookTicker,
                        trades), named <spot|usdm>_<symbol>_<date>.gz; merged by receive time
  --out DIR             report.json, fills.csv, equity.csv, report.html, and journal/ (the
                        engine's events; replaced at each run)
  --cache DIR           where each data file is kept once converted into our recording format
                        (binary input records; default $XDG_CACHE_HOME/oms-backtest, else
                        ~/.cache/oms-backtest); a changed file is converted again
  --recording ...       omsd's own recording instead of --data: the market data its engine
                        consumed that day (the MD_binance stream of the store omsd ran with;
                        a file journal only while omsd is stopped: its writer locks it), with
                        the instruments of each run's recorded setup. omsd does not subscribe
                        trades, so a resting order fills only when the recorded book reaches it
  --nats URL, --journal DIR, --desk N   where the recording is (default nats://127.0.0.1:4222,
                        desk 1)
  --nats-auth FILE, --nats-ca FILE      NATS user/password file and the server's CA, as omsd's
  --day YYYY-MM-DD      the recorded UTC day (--from/--to narrow it)
  --config DIR          with --recording: default the first run's recorded configs
  --from T, --to T      the part to run: receive time as YYYY-MM-DDTHH:MM:SS[Z] or ns
                        (messages before --from are skipped: the books start at the next
                        snapshot)
  --latency MODEL       order and report latency: zero (default),
                        fixed_us=N[,jitter_us=M][,seed=S] (uniform jitter, seeded), or
                        recorded[,fixed_us=N,...]: plus the recording's own feed delay at that
                        moment (a depth diff's receive time minus the venue's event time, above
                        the smallest seen so far: the clocks are not synchronized)
  --fees maker=R,taker=R  fee rates (0.001 = 10 bp) for every account; default exchanges.yaml's
  --accounts a,b        run only these accounts (default: every Binance account of
                        accounts.yaml on each market exchanges.yaml enables)
  --deposit-spot A=N,...  deposited into each spot account (default USDT=100000,BTC=2)
  --deposit-usdm N      USDT into each USD-M account (default 100000)
  --quiet               no progress on stderr

Exit 0: the report is written (its path and headline numbers on stdout); 2: bad arguments or
inputs (named).
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "oms-backtest: " << what << "\n(oms-backtest --help for usage)\n";
  std::exit(2);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

std::optional<TimeNs> parse_time(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || (*end != '\0' && std::string(end) != "Z")) return std::nullopt;
  return static_cast<TimeNs>(timegm(&tm)) * 1'000'000'000;
}

Decimal decimal_arg(const std::string& what, const std::string& text) {
  auto d = Decimal::parse(text);
  if (!d) usage_error(what + ": '" + text + "' is not a decimal");
  return *d;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::string config_dir, out_dir, from, to, latency = "zero", fees, accounts_arg;
  std::vector<std::string> data, exchange_info;
  std::string deposit_spot, deposit_usdm, cache, recording, nats = "nats://127.0.0.1:4222", journal_dir, day;
  std::string nats_auth, nats_ca;
  std::uint16_t desk = 1;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const auto need = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(k + ": missing value");
      return argv[++i];
    };
    if (k == "--help" || k == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (k == "--config") config_dir = need();
    else if (k == "--out") out_dir = need();
    else if (k == "--from") from = need();
    else if (k == "--to") to = need();
    else if (k == "--latency") latency = need();
    else if (k == "--fees") fees = need();
    else if (k == "--accounts") accounts_arg = need();
    else if (k == "--exchange-info") exchange_info = split(need(), ',');
    else if (k == "--deposit-spot") deposit_spot = need();
    else if (k == "--deposit-usdm") deposit_usdm = need();
    else if (k == "--cache") cache = need();
    else if (k == "--recording") recording = need();
    else if (k == "--nats") nats = need();
    else if (k == "--nats-auth") nats_auth = need();
    else if (k == "--nats-ca") nats_ca = need();
    else if (k == "--journal") journal_dir = need();
    else if (k == "--day") day = need();
    else if (k == "--desk") {
      const auto v = need();
      try {
        const auto n = std::stoul(v);
        if (n == 0 || n > 65535) throw std::out_of_range("desk");
        desk = static_cast<std::uint16_t>(n);
      } catch (const std::exception&) {
        usage_error("--desk: '" + v + "': expected 1..65535");
      }
    }
    else if (k == "--quiet") quiet = true;
    else if (k == "--data") {
      data.push_back(need());
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) data.emplace_back(argv[++i]);
    } else {
      usage_error("unknown argument '" + k + "'");
    }
  }
  if (out_dir.empty()) usage_error("--out DIR is required");
  const bool from_recording = !recording.empty();
  if (from_recording) {
    if (recording != "jetstream" && recording != "file") usage_error("--recording: jetstream or file");
    if (recording == "file" && journal_dir.empty()) usage_error("--recording file needs --journal DIR");
    if (day.empty()) usage_error("--recording needs --day YYYY-MM-DD");
    if (!data.empty()) usage_error("--recording and --data: one source of market data");
  } else {
    if (config_dir.empty()) usage_error("--config DIR is required");
    if (data.empty()) usage_error("--data FILE... is required");
    if (exchange_info.empty()) usage_error("--exchange-info spot=FILE[,usdm=FILE] is required");
  }

  replay::BacktestOptions o;
  if (!day.empty()) {
    std::tm tm{};
    if (day.size() != 10 || strptime(day.c_str(), "%Y-%m-%d", &tm) == nullptr) usage_error("--day: '" + day + "': expected YYYY-MM-DD");
    o.from = static_cast<TimeNs>(timegm(&tm)) * 1'000'000'000;
    o.to = o.from + TimeNs{86'400} * 1'000'000'000 - 1;
  }
  std::unique_ptr<persistence::EventStore> store;
  if (from_recording) {
    const persistence::StreamLayout layout({}, {ExchangeId::kBinance});
    if (recording == "file") {
      auto j = persistence::FileJournal::open(journal_dir, layout);
      if (!j) usage_error("file journal " + journal_dir + ": " + j.error().message);
      store = std::move(j).value();
    } else {
      persistence::JetStreamOptions jo;
      jo.servers = {nats};
      jo.connection_name = "oms-backtest";
      if (auto access = persistence::apply_nats_access(jo, nats_auth, nats_ca); !access)
        usage_error("--nats-auth/--nats-ca: " + access.error());
      auto j = persistence::JetStreamStore::open(layout, jo);
      if (!j) usage_error("JetStream at " + nats + ": " + j.error().message);
      store = std::move(j).value();
    }
    auto run0 = replay::first_run_at(*store, "INPUTS", desk, o.from);
    if (!run0) usage_error(run0.error());
    if (*run0 == 0) usage_error("no recorded input of desk " + std::to_string(desk) + " on " + day);
    auto starts = replay::recorded_starts(*store, "INPUTS", desk, persistence::utc_day(static_cast<TimeNs>(*run0)), o.to);
    if (!starts) usage_error(starts.error());
    o.recording.store = store.get();
    o.recording.desk = desk;
    for (const auto& st : *starts) {
      try {
        const auto j = nlohmann::json::parse(st.text);
        auto setup = setup::decode_setup(j.at("setup").get<std::string>());
        if (!setup) throw std::runtime_error(setup.error());
        if (o.recording.runs.empty() && config_dir.empty()) o.setup.config = setup->config;
        for (const auto& ins : setup->instruments) {
          const bool have = std::any_of(o.setup.instruments.begin(), o.setup.instruments.end(), [&](const Instrument& i) {
            return i.market == ins.market && i.venue_symbol == ins.venue_symbol;
          });
          if (!have) o.setup.instruments.push_back(ins);
        }
        o.recording.runs[st.run] = setup->instruments;
      } catch (const std::exception& e) {
        usage_error("run " + std::to_string(st.run) + ": start record: " + e.what());
      }
    }
  }
  // The data files: which instruments.
  std::set<std::pair<Market, std::string>> wanted;
  for (const auto& f : data) {
    auto df = replay::data_file(f);
    if (!df) usage_error(df.error());
    if (!std::filesystem::exists(df->path)) usage_error(f + ": no such file");
    wanted.insert({df->market, df->venue_symbol});
    o.data.push_back(std::move(df).value());
  }
  // Instruments and rules from the exchangeInfo bodies: those the data names.
  for (const auto& part : exchange_info) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) usage_error("--exchange-info: '" + part + "': expected spot=FILE or usdm=FILE");
    const std::string market = part.substr(0, eq);
    const std::string file = part.substr(eq + 1);
    const auto m = parse_market(market);
    if (!m || (*m != Market::kSpot && *m != Market::kUsdm)) usage_error("--exchange-info: market '" + market + "': spot or usdm");
    std::ifstream in(file, std::ios::binary);
    if (!in) usage_error("--exchange-info: " + file + ": cannot open");
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = binance::parse_exchange_info(body, *m);
    if (!parsed) usage_error("--exchange-info " + file + ": " + parsed.error().message);
    for (auto& ins : *parsed) {
      if (wanted.count({*m, ins.venue_symbol}) != 0) o.setup.instruments.push_back(std::move(ins));
    }
  }
  for (const auto& [m, symbol] : wanted) {
    const bool listed = std::any_of(o.setup.instruments.begin(), o.setup.instruments.end(), [&](const Instrument& i) {
      return i.market == m && i.venue_symbol == symbol;
    });
    if (!listed) usage_error(std::string(to_string(m)) + " " + symbol + ": not in the --exchange-info of that market");
  }
  // Configs and the accounts to run.
  configs::Config config;
  try {
    if (!config_dir.empty()) o.setup.config = configs::read_config_texts(config_dir);
    config = configs::load_config_from_strings(o.setup.config);
  } catch (const configs::ConfigError& e) {
    std::cerr << "oms-backtest: " << (config_dir.empty() ? std::string("the recorded configs") : config_dir) << ":\n";
    for (const auto& line : e.errors()) std::cerr << "  " << line << "\n";
    return 2;
  }
  const auto only = accounts_arg.empty() ? std::vector<std::string>{} : split(accounts_arg, ',');
  for (const auto& name : only) {
    if (!config.accounts.ids.find(name)) usage_error("--accounts: '" + name + "' is not in accounts.yaml");
  }
  for (const auto& a : config.accounts.accounts) {
    if (a.exchange != ExchangeId::kBinance) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), a.name) == only.end()) continue;
    setup::SetupAccount sa{a.name, ExchangeId::kBinance, {}};
    for (const Market m : {Market::kSpot, Market::kUsdm}) {
      if (a.trades(m) && config.exchanges.trades(ExchangeId::kBinance, m)) sa.markets.push_back(m);
    }
    if (!sa.markets.empty()) o.setup.accounts.push_back(std::move(sa));
  }
  if (o.setup.accounts.empty()) usage_error("no Binance account trades an enabled market");
  if (!from.empty()) {
    const auto t = parse_time(from);
    if (!t) usage_error("--from: '" + from + "': expected YYYY-MM-DDTHH:MM:SS or ns");
    o.from = *t;
  }
  if (!to.empty()) {
    const auto t = parse_time(to);
    if (!t) usage_error("--to: '" + to + "': expected YYYY-MM-DDTHH:MM:SS or ns");
    o.to = *t;
  }
  auto lat = replay::parse_latency(latency);
  if (!lat) usage_error(lat.error());
  o.latency = *lat;
  if (!fees.empty()) {
    Decimal maker, taker;
    bool m = false, t = false;
    for (const auto& part : split(fees, ',')) {
      const auto eq = part.find('=');
      const std::string key = part.substr(0, eq);
      if (eq == std::string::npos) usage_error("--fees: '" + part + "': expected maker=R or taker=R");
      if (key == "maker") maker = decimal_arg("--fees maker", part.substr(eq + 1)), m = true;
      else if (key == "taker") taker = decimal_arg("--fees taker", part.substr(eq + 1)), t = true;
      else usage_error("--fees: unknown key '" + key + "'");
    }
    if (!m || !t) usage_error("--fees: both maker=R and taker=R");
    o.fees = std::pair{maker, taker};
  }
  if (!deposit_spot.empty()) {
    o.spot_deposit.clear();
    for (const auto& part : split(deposit_spot, ',')) {
      const auto eq = part.find('=');
      if (eq == std::string::npos) usage_error("--deposit-spot: '" + part + "': expected ASSET=N");
      o.spot_deposit.emplace_back(part.substr(0, eq), decimal_arg("--deposit-spot " + part.substr(0, eq), part.substr(eq + 1)));
    }
  }
  if (!deposit_usdm.empty()) o.usdm_deposit = decimal_arg("--deposit-usdm", deposit_usdm);
  o.journal = std::filesystem::path(out_dir) / "journal";
  if (cache.empty()) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && *xdg != '\0') cache = std::string(xdg) + "/oms-backtest";
    else if (home != nullptr && *home != '\0') cache = std::string(home) + "/.cache/oms-backtest";
    else usage_error("--cache DIR is required when neither XDG_CACHE_HOME nor HOME is set");
  }
  o.cache = cache;

  replay::ProgressPrinter printer("backtest", "messages");
  replay::BacktestProgress last;
  std::function<void(const replay::BacktestProgress&)> progress;
  if (!quiet) {
    progress = [&](const replay::BacktestProgress& p) {
      last = p;
      printer.update(p.messages, p.total, p.seconds);
    };
  }
  auto result = replay::run_backtest(o, progress);
  if (!quiet) printer.finish(last.messages, last.seconds);
  if (!result) {
    std::cerr << "oms-backtest: " << result.error() << "\n";
    return 2;
  }
  for (const auto& n : result->notes) std::cerr << "oms-backtest: " << n << "\n";
  if (result->converted_messages > 0) {
    std::cerr << "oms-backtest: converted " << result->converted_messages << " messages into " << cache
              << " in " << result->convert_seconds << " s (kept for the next run)\n";
  }
  if (auto w = replay::write_report(*result, o, out_dir); !w) {
    std::cerr << "oms-backtest: " << w.error() << "\n";
    return 2;
  }
  std::cout << "messages " << result->messages << ", orders " << result->orders.size() << ", fills "
            << result->fills.size() << "\n";
  std::cout << "report " << (std::filesystem::path(out_dir) / "report.html").string() << "\n";
  return 0;
}
