// oms-replay: a recorded trading day run again through the same engine, every event compared
// with the recorded one (replay/day_replay.hpp).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/nats_auth.hpp"
#include "oms/replay/day_replay.hpp"
#include "oms/replay/progress.hpp"
#include "oms/setup/engine_setup.hpp"

namespace {

using namespace oms;

constexpr const char* kUsage = R"(oms-replay: replay a recorded trading day through the same engine and compare every event

usage: oms-replay --store jetstream|file [--nats URL | --journal DIR] --day YYYY-MM-DD
                  [--from T] [--to T] [--from-run-start] [--accounts a,b] [--desk N]
                  [--config DIR] [--quiet]

  --store jetstream|file  where omsd recorded the day (its --store)
  --nats URL[,URL..]      the NATS server of --store jetstream, or a cluster's servers
                          (default nats://127.0.0.1:4222; tls://HOST:PORT: TLS)
  --nats-auth FILE        NATS user and password file, as omsd's (deploy/run: DATA/run/nats-auth.json)
  --nats-ca FILE          CA the NATS server's TLS certificate must chain to (as omsd's)
  --journal DIR           the file journal of --store file (omsd's DATA/journal; omsd must not
                          be running on it: the journal is locked by its writer)
  --day YYYY-MM-DD        the UTC day
  --from T, --to T        a part of the day: HH:MM[:SS] (UTC) or YYYY-MM-DDTHH:MM:SS[Z]
                          (default: the whole day). A run that began earlier starts from its
                          last checkpoint before --from (omsd --checkpoint-every: the engine's
                          whole state), or from its start when it has none; only the inputs
                          from --from on are counted and hashed. A replay that runs through a
                          checkpoint checks its engine's state against it
  --from-run-start        never start at a checkpoint: run every record of the run from its
                          start (the same result, slower; a check of the checkpoints)
  --accounts a,b          count and hash only these accounts' events (every account still
                          runs and is compared: an account's events carry the daemon-global
                          sequence, which the other accounts' events of the same input move)
  --desk N                the desk (daemon) whose recording to replay (default 1)
  --config DIR            build the engine from these config files instead of the recorded ones
                          (what-if: a changed risk limit shows where the day would have gone
                          differently)
  --quiet                 no progress on stderr

Exit 0: every event identical; prints "events N, hash <sha256>" (the range's events).
Exit 1: a divergence; prints the first differing event, both versions, and the inputs that led
        to it.
Exit 2: the recording cannot be read (the store, a damaged record, a hole, no input in range).
)";

std::optional<std::int64_t> parse_day(const std::string& s) {
  std::tm tm{};
  if (s.size() != 10 || strptime(s.c_str(), "%Y-%m-%d", &tm) == nullptr) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

// "HH:MM[:SS]" on the day, or "YYYY-MM-DDTHH:MM:SS[Z]".
std::optional<TimeNs> parse_time(const std::string& s, std::int64_t day_start) {
  std::tm tm{};
  const char* end = nullptr;
  if (s.find('T') != std::string::npos) {
    end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr || (*end != '\0' && std::string(end) != "Z")) return std::nullopt;
    return static_cast<TimeNs>(timegm(&tm)) * 1'000'000'000;
  }
  end = strptime(s.c_str(), "%H:%M:%S", &tm);
  if (end == nullptr) end = strptime(s.c_str(), "%H:%M", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return (day_start + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * TimeNs{1'000'000'000};
}

struct Args {
  std::string store, nats = "nats://127.0.0.1:4222", journal, day, from, to, config;
  std::string nats_auth, nats_ca;
  std::vector<std::string> accounts;
  std::uint16_t desk = 1;
  bool quiet = false;
  bool from_run_start = false;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "oms-replay: " << what << "\n(oms-replay --help for usage)\n";
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const auto need = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(k + ": missing value");
      return argv[++i];
    };
    if (k == "--help" || k == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (k == "--store") a.store = need();
    else if (k == "--nats") a.nats = need();
    else if (k == "--nats-auth") a.nats_auth = need();
    else if (k == "--nats-ca") a.nats_ca = need();
    else if (k == "--journal") a.journal = need();
    else if (k == "--day") a.day = need();
    else if (k == "--from") a.from = need();
    else if (k == "--to") a.to = need();
    else if (k == "--config") a.config = need();
    else if (k == "--quiet") a.quiet = true;
    else if (k == "--from-run-start") a.from_run_start = true;
    else if (k == "--desk") {
      const auto v = need();
      try {
        const auto n = std::stoul(v);
        if (n == 0 || n > 65535) throw std::out_of_range("desk");
        a.desk = static_cast<std::uint16_t>(n);
      } catch (const std::exception&) {
        usage_error("--desk: '" + v + "': expected 1..65535");
      }
    } else if (k == "--accounts") {
      const auto v = need();
      std::size_t start = 0;
      while (start <= v.size()) {
        const auto comma = v.find(',', start);
        const auto name = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (name.empty()) usage_error("--accounts: '" + v + "': an empty name");
        a.accounts.push_back(name);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else {
      usage_error("unknown argument '" + k + "'");
    }
  }
  if (a.store != "jetstream" && a.store != "file") usage_error("--store: expected jetstream or file");
  if (a.store == "file" && a.journal.empty()) usage_error("--store file needs --journal DIR");
  if (a.day.empty()) usage_error("--day YYYY-MM-DD is required");
  return a;
}

// The store with the streams of every account the given setups run, INPUTS and MD_*.
Result<std::unique_ptr<persistence::EventStore>, std::string> open_store(
    const Args& a, const std::vector<setup::SetupAccount>& accounts) {
  std::vector<persistence::StreamLayout::AccountRef> refs;
  std::vector<ExchangeId> exchanges{ExchangeId::kBinance};
  for (const auto& acc : accounts) {
    refs.push_back({acc.exchange, acc.name});
    if (std::find(exchanges.begin(), exchanges.end(), acc.exchange) == exchanges.end())
      exchanges.push_back(acc.exchange);
  }
  const persistence::StreamLayout layout(refs, exchanges);
  if (a.store == "file") {
    auto j = persistence::FileJournal::open(a.journal, layout);
    if (!j) return Unexpected("file journal " + a.journal + ": " + j.error().message);
    return std::unique_ptr<persistence::EventStore>(std::move(j).value());
  }
  persistence::JetStreamOptions o;
  o.servers.clear();
  for (std::size_t at = 0; at <= a.nats.size();) {  // a cluster's URLs, comma-separated
    const auto comma = std::min(a.nats.find(',', at), a.nats.size());
    if (comma > at) o.servers.push_back(a.nats.substr(at, comma - at));
    at = comma + 1;
  }
  o.connection_name = "oms-replay";
  if (auto access = persistence::apply_nats_access(o, a.nats_auth, a.nats_ca); !access)
    return Unexpected("--nats-auth/--nats-ca: " + access.error());
  auto j = persistence::JetStreamStore::open(layout, o);
  if (!j) return Unexpected("JetStream at " + a.nats + ": " + j.error().message);
  return std::unique_ptr<persistence::EventStore>(std::move(j).value());
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const Args args = parse_args(argc, argv);
  const auto day_start = parse_day(args.day);
  if (!day_start) usage_error("--day: '" + args.day + "': expected YYYY-MM-DD");
  replay::ReplayOptions ro;
  ro.desk = args.desk;
  ro.accounts = args.accounts;
  ro.checkpoints = !args.from_run_start;
  ro.from = *day_start * TimeNs{1'000'000'000};
  ro.to = ro.from + TimeNs{86'400} * 1'000'000'000 - 1;
  if (!args.from.empty()) {
    const auto t = parse_time(args.from, *day_start);
    if (!t) usage_error("--from: '" + args.from + "': expected HH:MM[:SS] or YYYY-MM-DDTHH:MM:SS");
    ro.from = *t;
  }
  if (!args.to.empty()) {
    const auto t = parse_time(args.to, *day_start);
    if (!t) usage_error("--to: '" + args.to + "': expected HH:MM[:SS] or YYYY-MM-DDTHH:MM:SS");
    ro.to = *t;
  }
  if (ro.to < ro.from) usage_error("--to is before --from");

  // First the runs' setups (which accounts, hence which streams), then the store with them all.
  std::vector<setup::SetupAccount> accounts;
  {
    auto store = open_store(args, {});
    if (!store) {
      std::cerr << "oms-replay: " << store.error() << "\n";
      return 2;
    }
    auto run0 = replay::first_run_at(**store, "INPUTS", args.desk, ro.from);
    if (!run0) {
      std::cerr << "oms-replay: " << run0.error() << "\n";
      return 2;
    }
    if (*run0 == 0) {
      std::cerr << "oms-replay: no recorded input of desk " << args.desk << " on or after the range's start in "
                << "INPUTS (was omsd run with --record-inputs off, or another desk?)\n";
      return 2;
    }
    auto starts = replay::recorded_starts(**store, "INPUTS", args.desk,
                                          persistence::utc_day(static_cast<TimeNs>(*run0)), ro.to);
    if (!starts) {
      std::cerr << "oms-replay: " << starts.error() << "\n";
      return 2;
    }
    for (const auto& s : *starts) {
      try {
        const auto j = nlohmann::json::parse(s.text);
        auto setup = setup::decode_setup(j.at("setup").get<std::string>());
        if (!setup) throw std::runtime_error(setup.error());
        for (auto& acc : setup->accounts) {
          if (std::find(accounts.begin(), accounts.end(), acc) == accounts.end()) accounts.push_back(acc);
        }
      } catch (const std::exception& e) {
        std::cerr << "oms-replay: run " << s.run << ": start record: " << e.what() << "\n";
        return 2;
      }
    }
  }
  auto store = open_store(args, accounts);
  if (!store) {
    std::cerr << "oms-replay: " << store.error() << "\n";
    return 2;
  }
  std::set<ExchangeId> exchanges{ExchangeId::kBinance};
  for (const auto& acc : accounts) exchanges.insert(acc.exchange);
  for (const auto ex : exchanges) ro.streams.md_streams.push_back(persistence::StreamLayout::md_stream(ex));

  replay::ProgressPrinter printer("replay", "records");
  std::function<void(const replay::ReplayProgress&)> progress;
  replay::ReplayProgress last;
  if (!args.quiet) {
    progress = [&](const replay::ReplayProgress& p) {
      last = p;
      printer.update(p.records, p.estimated_total, p.seconds);
    };
  }
  std::optional<std::filesystem::path> config;
  if (!args.config.empty()) config = args.config;
  auto result = replay::replay_range(**store, ro, replay::setup_factory(config), progress);
  if (!args.quiet) printer.finish(last.records, last.seconds);
  if (!result) {
    std::cerr << "\noms-replay: " << result.error() << "\n";
    return 2;
  }
  for (const auto& note : result->notes) std::cerr << "oms-replay: " << note << "\n";
  if (result->started_at_checkpoint != 0) {
    std::cout << "started at the checkpoint of " << replay::utc_text(result->started_at_checkpoint, 6) << "\n";
  }
  if (result->divergence) {
    std::cout << *result->divergence;
    std::cout << "runs " << result->runs << ", inputs " << result->inputs + result->warmup_inputs
              << " run before the divergence, " << result->events + result->warmup_events
              << " events identical before it\n";
    return 1;
  }
  std::cout << "runs " << result->runs << ", inputs " << result->inputs << " (and "
            << result->warmup_inputs << " before the range), checkpoints checked "
            << result->checkpoints_checked << "\n";
  std::cout << "events " << result->events << ", hash " << result->sha256 << "\n";
  return 0;
}
