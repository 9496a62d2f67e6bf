// oms-replay over a paper session: omsd (recording its inputs, the default) trades on venue-sim
// replaying the recorded BTCUSDT spot and USD-M streams -- the basis pair's strategy orders on
// binance_basis, API orders on binance_main over spot and USD-M -- is stopped and started again
// in the middle, and the day replayed from JetStream gives every event byte for byte; a tighter
// risk limit in the replay's configs diverges at the first order it changes; the same records
// in a file journal give the same hash.
#include <doctest/doctest.h>
#include <algorithm>

#include <fstream>
#include <iterator>
#include <thread>


#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// API orders on binance_main: a market order and a resting limit on each market.
void api_orders(const Stack& s, const std::string& tag) {
  for (const auto& [instrument, qty] : {std::pair<std::string, std::string>{"BTC/USDT", "0.001"},
                                        {"BTC/USDT:USDT", "0.002"}}) {
    (void)omsctl_json(s, {"submit", "--account", "binance_main", "--instrument", instrument,
                          "--side", "buy", "--qty", qty, "--type", "market", "--id",
                          tag + "M" + std::to_string(instrument.size())});
    (void)omsctl_json(s, {"submit", "--account", "binance_main", "--instrument", instrument,
                          "--side", "buy", "--qty", qty, "--price", "50000", "--id",
                          tag + "L" + std::to_string(instrument.size())});
  }
}

// "events N, hash H" of oms-replay's output: N and H (empty when absent).
std::pair<std::string, std::string> events_and_hash(const std::string& out) {
  const auto at = out.find("events ");
  const auto comma = out.find(", hash ", at);
  if (at == std::string::npos || comma == std::string::npos) return {};
  const auto end = out.find('\n', comma);
  return {out.substr(at + 7, comma - at - 7), out.substr(comma + 7, end == std::string::npos ? std::string::npos : end - comma - 7)};
}

persistence::StreamLayout layout() {
  std::vector<persistence::StreamLayout::AccountRef> refs;
  for (const char* a : {"binance_main", "binance_spot_arb", "binance_futures_trend", "binance_mm",
                        "binance_basis"}) {
    refs.push_back({ExchangeId::kBinance, a});
  }
  for (const char* a : {"bybit_main", "bybit_arb"}) refs.push_back({ExchangeId::kBybit, a});
  for (const char* a : {"okx_main", "okx_arb"}) refs.push_back({ExchangeId::kOkx, a});
  refs.push_back({ExchangeId::kUpbit, "upbit_main"});
  return persistence::StreamLayout(refs, {ExchangeId::kBinance, ExchangeId::kBybit, ExchangeId::kOkx, ExchangeId::kUpbit});
}

}  // namespace

TEST_CASE("oms-replay: a paper day with a restart, replayed from JetStream, gives every event byte for byte; a tighter limit diverges; the file journal gives the same hash; oms-backtest runs the recorded day") {
  const std::filesystem::path shared = OMS_DEFAULT_SHARED_DATA "/hftbacktest";
  const auto spot = shared / "spot_btcusdt_20240808.gz";
  const auto usdm = shared / "usdm_btcusdt_20240808.gz";
  REQUIRE_MESSAGE(std::filesystem::exists(usdm), usdm.string());
  StackOptions o;
  o.venue_flags = {"--replay", spot.string(), usdm.string(), "--speed", "1"};
  o.venue_config = basis_pair_venue_config();
  o.omsd_flags = {"--checkpoint-every", "1"};  // the engine's state every second
  Stack s(o);
  use_basis_pair(s.configs());
  const std::string day = utc_now_text("%Y-%m-%d");
  s.start_omsd();
  api_orders(s, "RA");
  REQUIRE(wait_until([&] {
    return omsctl_json(s, {"orders", "--account", "binance_basis"}).at("orders").size() >= 4;
  }, 30s));
  CHECK(s.stop_omsd() == 0);
  s.start_omsd();  // the second run rebuilds from what the first stored, then trades on
  std::this_thread::sleep_for(2500ms);  // two checkpoints or more into the second run
  const std::string mid = utc_now_text("%Y-%m-%dT%H:%M:%SZ");
  api_orders(s, "RB");
  (void)omsctl_json(s, {"cancel-all", "--account", "binance_main", "--instrument", "BTC/USDT"});
  const auto before = omsctl_json(s, {"orders", "--account", "binance_basis"}).at("orders").size();
  REQUIRE(wait_until([&] {
    return omsctl_json(s, {"orders", "--account", "binance_basis"}).at("orders").size() >= before + 4;
  }, 30s));
  CHECK(s.stop_omsd() == 0);

  const std::vector<std::string> base{OMS_REPLAY_BIN, "--day", day, "--quiet"};
  auto with = [&](std::vector<std::string> extra) {
    auto argv = base;
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (std::find(extra.begin(), extra.end(), "jetstream") != extra.end()) {
      const auto nats = s.nats_flags();  // the URL, the user's file, the CA
      argv.insert(argv.end(), nats.begin(), nats.end());
    }
    return argv;
  };
  const auto js = testkit::run_process(with({"--store", "jetstream"}), 120s);
  INFO("oms-replay (jetstream): " << js.out << js.err);
  REQUIRE(js.code == 0);
  const auto [events, hash] = events_and_hash(js.out);
  REQUIRE(hash.size() == 64);
  CHECK(std::stoul(events) > 50);
  CHECK(js.out.find("runs 2,") != std::string::npos);
  // Every checkpoint of both runs equals the replayed engine's state there.
  CHECK(js.out.find("checkpoints checked 0\n") == std::string::npos);
  CHECK(js.out.find("checkpoints checked ") != std::string::npos);

  // From the middle of the second run: from its last checkpoint before, the same as from the
  // run's start.
  const auto part = testkit::run_process(with({"--store", "jetstream", "--from", mid}), 120s);
  INFO("oms-replay --from " << mid << ": " << part.out << part.err);
  REQUIRE(part.code == 0);
  CHECK(part.out.find("started at the checkpoint of ") != std::string::npos);
  CHECK(part.out.find("runs 1,") != std::string::npos);
  const auto whole_run = testkit::run_process(
      with({"--store", "jetstream", "--from", mid, "--from-run-start"}), 120s);
  INFO("oms-replay --from " << mid << " --from-run-start: " << whole_run.out << whole_run.err);
  REQUIRE(whole_run.code == 0);
  CHECK(whole_run.out.find("started at the checkpoint") == std::string::npos);
  CHECK(events_and_hash(part.out) == events_and_hash(whole_run.out));
  CHECK(std::stoul(events_and_hash(part.out).first) > 0);

  // What if binance_basis had a 50 USDT order limit: its first pair (~185 USDT a leg) is refused
  // before either leg leaves, so the saga the day opened is not opened.
  const auto tight = s.configs().parent_path() / "configs-tight";
  std::filesystem::create_directories(tight);
  for (const auto& f : std::filesystem::directory_iterator(s.configs())) {
    if (!f.is_regular_file()) continue;
    std::filesystem::copy_file(f.path(), tight / f.path().filename(),
                               std::filesystem::copy_options::overwrite_existing);
  }
  replace_in_file(tight / "risk.yaml", "  binance_basis:\n    max_order_notional: 20000",
                  "  binance_basis:\n    max_order_notional: 50");
  const auto what_if = testkit::run_process(
      with({"--store", "jetstream", "--config", tight.string()}), 120s);
  INFO("oms-replay (tighter limit): " << what_if.out << what_if.err);
  CHECK(what_if.code == 1);
  // The first event after the saga that did not open differs: the pair's own leg, or -- when
  // the market maker acted in the same input -- its quote, one global sequence earlier than
  // recorded (the saga's step and legs are missing before it); or, when the replay's next event
  // is a strategy record (a fee the fee check set), the saga's own step, recorded there and
  // missing from the replay.
  const bool at_basis = what_if.out.find("divergence in ACCOUNT_binance_binance_basis") != std::string::npos &&
                        what_if.out.find("\"strategy\":\"perp_arbitrage\"") != std::string::npos;
  const bool at_mm = what_if.out.find("divergence in ACCOUNT_binance_binance_mm") != std::string::npos;
  const bool at_saga = what_if.out.find("divergence in STRATEGIES") != std::string::npos &&
                       what_if.out.find("recorded: strategies.perp_arbitrage.saga {\"type\":\"ArbSagaStep\"") !=
                           std::string::npos &&
                       what_if.out.find("replayed: strategies.perp_arbitrage.saga") == std::string::npos;
  CHECK((at_basis || at_mm || at_saga));
  CHECK(what_if.out.find("inputs that led to it") != std::string::npos);

  // The same records in a file journal (every stream copied in order): the same hash.
  const auto journal_dir = s.data().parent_path() / "journal-copy";
  {
    const auto lay = layout();
    auto from = persistence::JetStreamStore::open(lay, s.nats_options("omsd-replay-test"));
    REQUIRE_MESSAGE(from.ok(), from.error().message);
    auto to = persistence::FileJournal::open(journal_dir, lay);
    REQUIRE_MESSAGE(to.ok(), to.error().message);
    for (const auto& spec : lay.streams()) {
      persistence::ReadRequest r;
      r.stream = spec.name;
      std::uint64_t copied = 0;
      auto n = (*from)->read(r, [&](const persistence::StoredRecord& rec) {
        (*to)->append(persistence::AppendRecord{std::string(rec.subject), std::string(rec.payload),
                                                rec.msg_id, rec.time},
                      [&](const Result<std::uint64_t, persistence::StoreError>& a) {
                        REQUIRE(a.ok());
                        CHECK(*a == rec.sequence);
                        ++copied;
                      });
        return true;
      });
      REQUIRE_MESSAGE(n.ok(), n.error().message);
      CHECK(copied == *n);
    }
    REQUIRE((*to)->flush(10s).ok());
  }
  const auto file = testkit::run_process(with({"--store", "file", "--journal", journal_dir.string()}), 120s);
  INFO("oms-replay (file): " << file.out << file.err);
  REQUIRE(file.code == 0);
  CHECK(events_and_hash(file.out).second == hash);

  // The same day's recorded market data as a backtest's input (the recorded setup's
  // instruments, the stack's configs with the basis pair): the strategy trades; twice alike.
  const auto tmp = s.data().parent_path();
  std::vector<std::string> report;
  for (const char* out : {"bt1", "bt2"}) {
    std::vector<std::string> argv{OMS_BACKTEST_BIN, "--recording", "jetstream", "--day", day,
                                  "--config", s.configs().string(), "--out", (tmp / out).string(),
                                  "--cache", (tmp / "bt-cache").string(), "--quiet"};
    const auto nats = s.nats_flags();
    argv.insert(argv.end(), nats.begin(), nats.end());
    const auto bt = testkit::run_process(argv, 120s);
    INFO("oms-backtest --recording: " << bt.out << bt.err);
    REQUIRE(bt.code == 0);
    std::ifstream in(tmp / out / "report.json");
    report.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  CHECK(report[0] == report[1]);
  const auto totals = nlohmann::json::parse(report[0]).at("totals");
  // INFO keeps a reference: the text must outlive the assertions it annotates.
  const std::string totals_text = totals.dump();
  INFO(totals_text);
  CHECK(totals.at("arbitrage_signals").get<std::uint64_t>() > 4);
  CHECK(totals.at("fills").get<std::uint64_t>() > 0);
}
