// The child of the recovery test: trades the scripted sequence through the real runtime
// (the engine and its accounts' desks, event log, intent log, a store) against a scripted venue whose
// state outlives the process. Killed with SIGKILL at random points and started again, it must
// end in the same state as a run that was never interrupted.
//
//   recovery_child --store file|jetstream --dir DIR [--nats URL] --seed S --steps N
//                  --intent NAME --out RESULT.json
// Prints "step i" after each command (the test's kill points), "done" at the end.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "oms/actors/runtime.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/snapshot.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "recovery_script.hpp"
#include "testkit/scripted_venue.hpp"

namespace {

using namespace oms;
using namespace std::chrono_literals;

std::string i128(Int128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  UInt128 u = neg ? static_cast<UInt128>(-(v + 1)) + 1 : static_cast<UInt128>(v);
  std::string s;
  while (u != 0) { s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10))); u /= 10; }
  return neg ? "-" + s : s;
}

nlohmann::json result_of(actors::Runtime& rt, const Directory& dir) {
  nlohmann::json orders = nlohmann::json::array();
  nlohmann::json balances = nlohmann::json::array();
  nlohmann::json positions = nlohmann::json::array();
  for (std::size_t a = 0; a < dir.accounts.size(); ++a) {
    auto v = rt.view(AccountId(static_cast<std::uint16_t>(a)), 10s);
    if (!v) throw std::runtime_error("view: " + v.error());
    for (const auto& o : (*v)->orders) {
      orders.push_back({{"id", o.core.client_order_id().str()},
                        {"account", a},
                        {"status", std::string(enum_name(o.core.status()))},
                        {"cum_qty", o.core.cum_qty().to_string()},
                        {"avg_price", o.core.avg_price().to_string()},
                        {"fills", o.core.trade_ids().size()}});
    }
    for (const auto& b : (*v)->balances) {
      balances.push_back({{"account", a}, {"market", std::string(to_string(b.market))},
                          {"asset", b.asset.str()}, {"free", b.free.to_string()},
                          {"locked", b.locked.to_string()}});
    }
    for (const auto& p : (*v)->positions) {
      positions.push_back({{"account", a}, {"instrument", p.instrument.index()},
                           {"size", p.position.size.to_string()},
                           {"entry", p.position.entry_price().to_string()},
                           {"realized_e18", i128(p.position.realized_e18)},
                           {"fees_e18", i128(p.fees_e18)}});
    }
  }
  return {{"orders", orders}, {"balances", balances}, {"positions", positions}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_kind = "file", nats_url, intent_name = "recovery", out_path;
  std::filesystem::path dir;
  std::uint64_t seed = 1;
  std::size_t steps = 40;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--store") store_kind = v;
    else if (k == "--dir") dir = v;
    else if (k == "--nats") nats_url = v;
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--steps") steps = std::stoul(v);
    else if (k == "--intent") intent_name = v;
    else if (k == "--out") out_path = v;
    else { std::cerr << "unknown flag " << k << "\n"; return 2; }
  }
  spdlog::set_level(std::getenv("OMS_LOG_INFO") ? spdlog::level::debug : spdlog::level::warn);
  const Directory directory = testkit::recovery_directory();
  const persistence::StreamLayout layout(
      {{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {});

  std::unique_ptr<persistence::EventStore> store;
  if (store_kind == "file") {
    auto j = persistence::FileJournal::open(dir / "journal", layout);
    if (!j) { std::cerr << j.error().message << "\n"; return 3; }
    store = std::move(j).value();
  } else {
    persistence::JetStreamOptions o;
    o.servers = {nats_url};
    auto j = persistence::JetStreamStore::open(layout, o);
    if (!j) { std::cerr << j.error().message << "\n"; return 3; }
    store = std::move(j).value();
  }
  auto intents = persistence::IntentLog::open(persistence::default_intent_log_path(intent_name));
  if (!intents) { std::cerr << intents.error().message << "\n"; return 3; }
  // What the last run committed and the store never acknowledged goes first.
  if (auto r = persistence::replay_pending(**intents, *store, 30s); !r) {
    std::cerr << "replay_pending: " << r.error().message << "\n";
    return 3;
  }
  persistence::SnapshotStore snapshots(dir / "data");

  std::vector<actors::RuntimeAccount> accounts;
  for (std::uint16_t a = 0; a < 2; ++a) {
    accounts.push_back({AccountId(a), ExchangeId::kBinance,
                        std::make_shared<testkit::ScriptedVenue>(
                            seed, dir / ("venue-" + std::to_string(a) + ".log"), AccountId(a))});
  }
  actors::RuntimeOptions options;
  options.engine.snapshot_every = 25;  // snapshots happen during the run, so restarts load them
  options.engine.ack_timeout = 200ms;
  auto risk = std::make_shared<actors::RiskCore>(2, 1, 2);
  const auto table = actors::InstrumentTable::from(testkit::recovery_instruments());
  if (!table) { std::cerr << table.error() << "\n"; return 3; }
  int rc = 0;
  {
    actors::Runtime rt(options, directory, *table, *store, intents->get(), &snapshots, risk, accounts);
    const auto script = testkit::recovery_script(seed, steps);
    for (std::size_t i = 0; i < script.size(); ++i) {
      auto ack = rt.submit(script[i], 10s);
      if (!ack) { std::cerr << "step " << i << ": " << ack.error() << "\n"; return 4; }
      std::printf("step %zu\n", i);
      std::fflush(stdout);
    }
    // Quiescent: no order waits for the venue and nothing moved for a few polls.
    nlohmann::json last;
    int stable = 0;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (stable < 5) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::cerr << "not quiescent: " << last.dump() << "\n";
        return 5;
      }
      std::this_thread::sleep_for(20ms);
      auto now = result_of(rt, directory);
      bool any_pending = false;
      for (const auto& o : now["orders"]) {
        const auto st = o["status"].get<std::string>();
        any_pending = any_pending || st == "pending_submit" || st == "submitted" ||
                      st == "pending_cancel" || st == "pending_amend" || st == "unknown";
      }
      stable = (!any_pending && now == last) ? stable + 1 : 0;
      last = std::move(now);
    }
    if (auto f = rt.flush(30s); !f) { std::cerr << f.error().message << "\n"; rc = 6; }
    const std::string tmp = out_path + ".tmp";
    std::ofstream(tmp) << last.dump(1) << "\n";
    std::filesystem::rename(tmp, out_path);
  }
  std::printf("done\n");
  std::fflush(stdout);
  return rc;
}
