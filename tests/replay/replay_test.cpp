// Replay of a recorded engine run (replay/day_replay.hpp) over the file journal: the engine
// records its every step into the store; replay_range runs them again and compares every event
// byte for byte. A changed risk limit diverges at the first affected event; a hole in the
// recording is named, never skipped.
#include "oms/replay/day_replay.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "oms/actors/engine.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "oms/replay/comparing_store.hpp"
#include "oms/replay/progress.hpp"
#include "actors/recovery_script.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/wait.hpp"

using namespace oms;
using namespace oms::actors;
using namespace std::chrono_literals;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

constexpr const char* kSetup = "replay-test-setup-1";

persistence::StreamLayout layout() {
  return persistence::StreamLayout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}},
                                   {ExchangeId::kBinance}};
}

ArbGroup crossing_group() {
  ArbGroup g;
  g.legs = {ArbLeg{InstrumentId(0), AccountId(0), d("0"), {}, {}, {}, {}}, ArbLeg{InstrumentId(1), AccountId(1), d("0"), {}, {}, {}, {}}};
  g.strategy = StrategyId(0);
  g.min_edge = d("1");
  g.max_quantity = d("0.01");
  return g;
}

EngineOptions options(const KillSwitchRules& kill = {}) {
  EngineOptions o;
  o.kill_switch = kill;
  o.ack_timeout = 200ms;
  o.books = {BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceSpot},
             BookCoreConfig{InstrumentId(1), BookSequencing::kBinanceSpot}};
  o.arbitrage = {crossing_group()};
  o.setup = kSetup;
  return o;
}

std::vector<EngineAccount> accounts() {
  return {{AccountId(0), "acct-a", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"), nullptr, nullptr},
          {AccountId(1), "acct-b", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-b"), nullptr, nullptr}};
}

BookSnapshot snapshot(std::uint32_t instrument, std::uint64_t id, const char* bid, const char* ask) {
  BookSnapshot s{};
  s.instrument = InstrumentId(instrument);
  s.last_update_id = id;
  (void)s.levels.push_back(BookLevel{BookSide::kBid, d(bid), d("1")});
  (void)s.levels.push_back(BookLevel{BookSide::kAsk, d(ask), d("2")});
  return s;
}

// One live run of the engine with recording on: books and the strategy stage's orders, API
// orders and cancels, a lost answer (the ack timer fires, the desk asks the venue), more books.
// base (non-zero): the engine's clock starts there and runs at the wall clock's pace.
void live_run(persistence::EventStore& journal, const Directory& directory, const InstrumentTable& table,
              std::uint64_t seed, std::size_t orders, TimeNs base = 0, const KillSwitchRules& kill = {}) {
  EventLog log(journal, nullptr, directory);
  auto venue_a = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(0));
  auto venue_b = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(1));
  EngineOptions o = options(kill);
  o.record_inputs = true;
  o.checkpoint_interval = 40ms;  // several in a run
  if (base != 0) {
    const auto t0 = std::chrono::steady_clock::now();
    o.clock = [base, t0] {
      return base + std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    };
  }
  auto acc = accounts();
  acc[0].session = venue_a;
  acc[1].session = venue_b;
  auto engine = std::make_unique<Engine>(std::move(o), table, log, journal, nullptr,
                                         std::make_shared<RiskCore>(2, 1, 2), std::move(acc));
  venue_a->start([&](const VenueReport& r) { engine->report(AccountId(0), r); });
  venue_b->start([&](const VenueReport& r) { engine->report(AccountId(1), r); });
  engine->reconcile();
  engine->market_data(0, snapshot(0, 100 + seed, "100", "101"));
  engine->market_data(0, snapshot(1, 200 + seed, "105", "106"));
  const auto script = testkit::recovery_script(seed, orders);
  for (std::size_t i = 0; i < script.size(); ++i) {
    if (i == 20) venue_a->lose_answers(true);
    if (i == 24) venue_a->lose_answers(false);
    if (i == 30) engine->market_data(0, snapshot(0, 101 + seed, "110", "111"));
    auto ack = engine->submit(script[i], 5s);
    REQUIRE(ack.ok());
    if (i == 10) {  // a batch: its orders each down the one order path, one venue batch
      SubmitBatch b{AccountId(0), {}};
      for (int k = 0; k < 3; ++k) {
        SubmitOrder so{};
        so.account = AccountId(0);
        so.instrument = InstrumentId(0);
        (void)so.client_order_id.assign("RB" + std::to_string(seed) + "-" + std::to_string(k));
        so.side = k == 1 ? Side::kSell : Side::kBuy;
        so.price = d(k == 1 ? "112" : "99");
        so.quantity = d(k == 2 ? "1000000" : "0.01");  // the last refused (balance or risk)
        REQUIRE(b.orders.push_back(so));
      }
      const EventId id = 50'000 + seed;
      auto acks = engine->submit_batch(Command{Envelope{id, 0, 0, 0, 0, id}, b}, 5s);
      REQUIRE(acks.ok());
      REQUIRE(acks->size() == 3);
      CHECK((*acks)[0].accepted);
      CHECK_FALSE((*acks)[2].accepted);
    }
  }
  // Quiet: every order answered (the lost ones by their status queries).
  REQUIRE(testkit::eventually([&] {
    for (const AccountId id : {AccountId(0), AccountId(1)}) {
      auto v = engine->view(id, 5s);
      if (!v.ok()) return false;
      for (const auto& ord : (*v)->orders) {
        const auto st = ord.core.status();
        if (st == OrderStatus::kPendingSubmit || st == OrderStatus::kSubmitted || st == OrderStatus::kPendingCancel) {
          return false;
        }
      }
    }
    return true;
  }));
  std::this_thread::sleep_for(300ms);  // timers, housekeeping and a valuation or two pass
  venue_a->stop();
  venue_b->stop();
  engine.reset();
  REQUIRE(log.flush(5s).ok());
  CHECK(log.store_failures() == 0);
}

struct Parts {
  Directory directory = testkit::recovery_directory();
  InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
};

// The test's engine, from its start record's setup; `tighten` changes a risk limit; `revalue`
// the valuation interval (a state no event shows: only a checkpoint can tell).
replay::EngineFactory factory(bool tighten = false, bool revalue = false, const KillSwitchRules& kill = {}) {
  return [tighten, revalue, kill](const std::string& setup) -> Result<replay::EngineParts, std::string> {
    if (setup != kSetup) return Unexpected("unknown setup '" + setup + "'");
    auto owner = std::make_shared<Parts>();
    replay::EngineParts p;
    p.directory = &owner->directory;
    p.table = &owner->table;
    p.risk = std::make_shared<RiskCore>(2, 1, 2);
    if (tighten) REQUIRE(p.risk->limits().set(LimitScope::kAccount, 0, LimitKind::kOrderQuantity, d("0.02")));
    p.options = options(kill);
    if (revalue) p.options.valuation_interval = 999ms;
    p.accounts = accounts();
    p.layout = layout();
    p.owner = owner;
    return p;
  };
}

replay::ReplayOptions whole_range() {
  replay::ReplayOptions o;
  o.from = 0;
  o.to = std::numeric_limits<TimeNs>::max();
  o.streams.md_streams = {"MD_binance"};
  return o;
}

// A store that hides one record of a stream (a hole in the recording).
class Hiding final : public persistence::EventStore {
 public:
  Hiding(persistence::EventStore& inner, std::string stream, std::uint64_t seq)
      : inner_(inner), stream_(std::move(stream)), seq_(seq) {}
  Result<std::string, persistence::StoreError> stream_for(std::string_view s) const override { return inner_.stream_for(s); }
  void append(persistence::AppendRecord r, persistence::AppendCallback done) override { inner_.append(std::move(r), std::move(done)); }
  Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds t) override { return inner_.flush(t); }
  Result<std::uint64_t, persistence::StoreError> read(const persistence::ReadRequest& r,
                                                      const persistence::RecordVisitor& v) override {
    return inner_.read(r, [&](const persistence::StoredRecord& rec) {
      if (r.stream == stream_ && rec.sequence == seq_) return true;
      return v(rec);
    });
  }
  Result<std::unique_ptr<persistence::Subscription>, persistence::StoreError> tail(
      const persistence::ReadRequest& r, persistence::RecordVisitor v) override { return inner_.tail(r, std::move(v)); }
  Result<std::uint64_t, persistence::StoreError> last_sequence(std::string_view s) override { return inner_.last_sequence(s); }
  Result<std::vector<persistence::DayStart>, persistence::StoreError> day_index(std::string_view s) override { return inner_.day_index(s); }

 private:
  persistence::EventStore& inner_;
  std::string stream_;
  std::uint64_t seq_;
};

// A file journal in a temp dir, the recovery kit's names and instruments, and a day to cross:
// for the tests of runs around midnight.
constexpr TimeNs kDay = 86'400'000'000'000;
struct DayJournal {
  explicit DayJournal(const char* name) : dir{name} {
    auto j = persistence::FileJournal::open(dir.path() / "journal", layout());
    REQUIRE(j.ok());
    journal = std::move(j).value();
  }
  testkit::TempDir dir;
  std::unique_ptr<persistence::FileJournal> journal;
  const Directory directory = testkit::recovery_directory();
  const InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  const TimeNs day = 20'000 * kDay;  // 2024-10-05 00:00 UTC
};

}  // namespace

TEST_CASE("replay: two recorded runs of the engine, replayed inline from the store, give every event byte for byte") {
  spdlog::set_level(spdlog::level::warn);
  testkit::TempDir dir{"replay"};
  auto j = persistence::FileJournal::open(dir.path() / "journal", layout());
  REQUIRE(j.ok());
  auto journal = std::move(j).value();
  const Directory directory = testkit::recovery_directory();
  const InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  // Two runs over the same store (a restart): the second rebuilds from what the first stored.
  live_run(*journal, directory, table, 11, 40);
  live_run(*journal, directory, table, 12, 30);

  // What was recorded: a start record per run, market data on md.*, commands, reports, timers.
  std::map<InputStep, std::size_t> steps;
  std::set<std::uint64_t> runs;
  for (const std::string stream : {"INPUTS", "MD_binance"}) {
    persistence::ReadRequest r;
    r.stream = stream;
    REQUIRE(journal->read(r, [&](const persistence::StoredRecord& rec) {
      auto in = decode_input(rec.payload);
      REQUIRE_MESSAGE(in.ok(), in.error());
      ++steps[in->step];
      runs.insert(in->run);
      CHECK((in->step == InputStep::kMarketData) == (stream == "MD_binance"));
      return true;
    }).ok());
  }
  CHECK(runs.size() == 2);
  CHECK(steps[InputStep::kStart] == 2);
  CHECK(steps[InputStep::kMarketData] == 5);  // 3 in the first run, 2 in the second
  CHECK(steps[InputStep::kCommand] == 72);  // 40 + 30 orders, a batch in each run
  CHECK(steps[InputStep::kReport] > 40);
  CHECK(steps[InputStep::kTimers] > 0);
  CHECK(steps[InputStep::kHousekeeping] > 0);
  CHECK(steps[InputStep::kReconcile] == 2);
  CHECK(steps[InputStep::kCheckpoint] >= 4);

  auto result = replay::replay_range(*journal, whole_range(), factory());
  REQUIRE_MESSAGE(result.ok(), result.error());
  INFO(result->divergence.value_or(""));
  CHECK_FALSE(result->divergence);
  CHECK(result->runs == 2);
  CHECK(result->inputs > 100);
  CHECK(result->warmup_inputs == 0);
  CHECK(result->started_at_checkpoint == 0);
  // Every checkpoint the runs recorded equals the replayed engine's state there.
  CHECK(result->checkpoints_checked == steps[InputStep::kCheckpoint]);
  // Every event the runs stored in the accounts' streams, and no other.
  std::size_t stored = 0;
  for (const std::string stream : {"ACCOUNT_binance_acct-a", "ACCOUNT_binance_acct-b"}) {
    auto last = journal->last_sequence(stream);
    REQUIRE(last.ok());
    stored += *last;
  }
  CHECK(result->events == stored);
  CHECK(result->sha256.size() == 64);
  // Deterministic: again, the same hash.
  auto again = replay::replay_range(*journal, whole_range(), factory());
  REQUIRE(again.ok());
  CHECK(again->sha256 == result->sha256);

  SUBCASE("a range inside the day: the run is replayed from its start, only the range is counted") {
    // The second run's first input onwards.
    std::vector<TimeNs> times;
    persistence::ReadRequest r;
    r.stream = "INPUTS";
    REQUIRE(journal->read(r, [&](const persistence::StoredRecord& rec) {
      auto in = decode_input(rec.payload);
      if (in->step == InputStep::kStart) times.push_back(in->now);
      return true;
    }).ok());
    REQUIRE(times.size() == 2);
    auto o = whole_range();
    o.from = times[1];
    auto part = replay::replay_range(*journal, o, factory());
    REQUIRE_MESSAGE(part.ok(), part.error());
    CHECK_FALSE(part->divergence);
    CHECK(part->runs == 1);
    CHECK(part->events < result->events);
    CHECK(part->events > 0);
  }
  SUBCASE("a range inside a run starts at the run's last checkpoint before it: the same events and hash as from the run's start") {
    // The second run's checkpoints, and its records.
    std::vector<std::pair<TimeNs, std::uint64_t>> checkpoints;  // (time, run)
    std::uint64_t second = 0;
    persistence::ReadRequest r;
    r.stream = "INPUTS";
    REQUIRE(journal->read(r, [&](const persistence::StoredRecord& rec) {
      auto in = decode_input(rec.payload);
      if (in->step == InputStep::kStart) second = in->run;
      if (in->step == InputStep::kCheckpoint) checkpoints.emplace_back(in->now, in->run);
      return true;
    }).ok());
    std::vector<TimeNs> in_second;
    for (const auto& [t, run] : checkpoints) {
      if (run == second) in_second.push_back(t);
    }
    REQUIRE(in_second.size() >= 2);
    auto o = whole_range();
    o.from = in_second[1] + 1;
    auto fast = replay::replay_range(*journal, o, factory());
    REQUIRE_MESSAGE(fast.ok(), fast.error());
    INFO(fast->divergence.value_or(""));
    for (const auto& n : fast->notes) INFO(n);
    CHECK(fast->notes.empty());
    CHECK_FALSE(fast->divergence);
    CHECK(fast->started_at_checkpoint == in_second[1]);
    CHECK(fast->warmup_inputs == 0);  // nothing between the checkpoint and the range's start
    o.checkpoints = false;
    auto slow = replay::replay_range(*journal, o, factory());
    REQUIRE_MESSAGE(slow.ok(), slow.error());
    CHECK_FALSE(slow->divergence);
    CHECK(slow->started_at_checkpoint == 0);
    CHECK(slow->warmup_inputs > 0);
    CHECK(fast->inputs == slow->inputs);
    CHECK(fast->events == slow->events);
    CHECK(fast->sha256 == slow->sha256);
    // The checkpoints after the one it started from check out too: a loaded state saves alike.
    CHECK(fast->checkpoints_checked == in_second.size() - 2);
    CHECK(fast->checkpoints_checked + 2 <= slow->checkpoints_checked);
  }
  SUBCASE("a state no event shows, different in the replay: the first checkpoint names the section") {
    auto changed = replay::replay_range(*journal, whole_range(), factory(false, true));
    REQUIRE_MESSAGE(changed.ok(), changed.error());
    REQUIRE(changed->divergence);
    INFO(*changed->divergence);
    CHECK(changed->divergence->find("divergence at the checkpoint of input #") == 0);
    CHECK(changed->divergence->find("section 'engine' differs") != std::string::npos);
    CHECK(changed->checkpoints_checked == 0);
  }
  SUBCASE("--accounts: every account runs, one account's events are counted and hashed") {
    auto o = whole_range();
    o.accounts = {"acct-b"};
    auto one = replay::replay_range(*journal, o, factory());
    REQUIRE_MESSAGE(one.ok(), one.error());
    INFO(one->divergence.value_or(""));
    CHECK_FALSE(one->divergence);
    CHECK(one->events == *journal->last_sequence("ACCOUNT_binance_acct-b"));
  }
  SUBCASE("a tighter risk limit in the replay's setup: the first event it changes is reported") {
    auto changed = replay::replay_range(*journal, whole_range(), factory(true));
    REQUIRE_MESSAGE(changed.ok(), changed.error());
    REQUIRE(changed->divergence);
    const std::string& text = *changed->divergence;
    INFO(text);
    CHECK(text.find("divergence in ACCOUNT_binance_acct-a") != std::string::npos);
    CHECK(text.find("replayed: orders.binance.acct-a") != std::string::npos);
    CHECK(text.find("recorded: orders.binance.acct-a") != std::string::npos);
    CHECK(text.find("inputs that led to it") != std::string::npos);
    // The first order of acct-a over the tighter quantity (0.03 > 0.02): its group differs (the
    // replay's carries risk's rejection), and the command that sent it is the latest input.
    const auto replayed = text.substr(text.find("replayed: "), text.find("\n  recorded: ") - text.find("replayed: "));
    CHECK(replayed.find("\"client_order_id\":\"R11-6\"") != std::string::npos);
    CHECK(replayed.find("\"quantity\":\"0.03\"") != std::string::npos);
    CHECK(text.rfind("command at") > text.find("inputs that led to it"));
  }
  SUBCASE("a record missing from the recording is named, not skipped") {
    Hiding hiding(*journal, "INPUTS", 10);
    auto holed = replay::replay_range(hiding, whole_range(), factory());
    REQUIRE_FALSE(holed.ok());
    CHECK(holed.error().find("are missing from every input stream") != std::string::npos);
  }
}

TEST_CASE("replay: a day whose first run began the day before, after a run that spans that day's start, replays from its run's start") {
  spdlog::set_level(spdlog::level::warn);
  DayJournal dj("replay-days");
  const TimeNs day = dj.day;
  // Run Z: from 0.1 s before the previous day's start into that day; run A: from 0.1 s before
  // the replayed day's start into it (so its start record is on the previous day, after Z's).
  // A run lasts at least 0.3 s (live_run waits that long at its end).
  live_run(*dj.journal, dj.directory, dj.table, 21, 10, day - kDay - 100'000'000);
  live_run(*dj.journal, dj.directory, dj.table, 22, 30, day - 100'000'000);
  const auto index = dj.journal->day_index("INPUTS");
  REQUIRE(index.ok());
  REQUIRE(index->size() == 3);  // Z before and after the previous day's start; A after the day's
  auto o = whole_range();
  o.from = day;
  o.to = day + kDay - 1;
  auto r = replay::replay_range(*dj.journal, o, factory());
  REQUIRE_MESSAGE(r.ok(), r.error());
  INFO(r->divergence.value_or(""));
  CHECK_FALSE(r->divergence);
  CHECK(r->runs == 1);
  // From run A's last checkpoint before midnight, on the day before.
  CHECK(r->started_at_checkpoint > day - 100'000'000);
  CHECK(r->started_at_checkpoint < day);
  CHECK(r->inputs > 0);
  // Without checkpoints: from run A's start, its records before midnight run but not counted;
  // the same range's events either way.
  o.checkpoints = false;
  auto whole = replay::replay_range(*dj.journal, o, factory());
  REQUIRE_MESSAGE(whole.ok(), whole.error());
  CHECK_FALSE(whole->divergence);
  CHECK(whole->warmup_inputs > 0);
  CHECK(whole->inputs == r->inputs);
  CHECK(whole->sha256 == r->sha256);
}

TEST_CASE("replay: a checkpoint that is the run's first record past midnight is compared after the day's roll, as the run took it") {
  // The shard rolls the trading day at the top of each loop round, before the round's timers,
  // housekeeping, valuation and checkpoint; when nothing else is recorded between midnight and
  // the checkpoint, the checkpoint's own time is the replay's only sign that the day rolled.
  spdlog::set_level(spdlog::level::warn);
  DayJournal dj("replay-midnight");
  const TimeNs day = dj.day;
  {
    EventLog log(*dj.journal, nullptr, dj.directory);
    auto clock = std::make_shared<std::atomic<TimeNs>>(day - 50'000'000);
    EngineOptions o = options();
    o.record_inputs = true;
    o.checkpoint_interval = 40ms;  // due at day - 10 ms
    o.clock = [clock] { return clock->load(); };
    auto engine = std::make_unique<Engine>(std::move(o), dj.table, log, *dj.journal, nullptr,
                                           std::make_shared<RiskCore>(2, 1, 2), accounts());
    // The recorded steps so far (kind, time), once the journal has them.
    const auto recorded = [&] {
      std::vector<std::pair<InputStep, TimeNs>> steps;
      REQUIRE(log.flush(5s).ok());
      persistence::ReadRequest r;
      r.stream = "INPUTS";
      REQUIRE(dj.journal->read(r, [&](const persistence::StoredRecord& rec) {
        auto in = decode_input(rec.payload);
        REQUIRE_MESSAGE(in.ok(), in.error());
        steps.emplace_back(in->step, in->now);
        return true;
      }).ok());
      return steps;
    };
    const auto has = [](const std::vector<std::pair<InputStep, TimeNs>>& steps, InputStep step) {
      return std::any_of(steps.begin(), steps.end(), [&](const auto& s) { return s.first == step; });
    };
    // The first round's valuation (its last step: housekeeping comes before it) is recorded; a
    // question pushed after it is answered in a later round, so that round has ended.
    REQUIRE(testkit::eventually([&] { return has(recorded(), InputStep::kValuation); }));
    REQUIRE(engine->view(AccountId(0), 5s).ok());
    clock->store(day + 5'000'000);  // past midnight and the checkpoint's time, nothing between
    const auto checkpoints_after_midnight = [&] {
      std::size_t n = 0;
      for (const auto& [step, now] : recorded()) {
        if (now < day) continue;
        CHECK(step == InputStep::kCheckpoint);  // the first thing of the new day
        n += step == InputStep::kCheckpoint ? 1U : 0U;
      }
      return n;
    };
    REQUIRE(testkit::eventually([&] { return checkpoints_after_midnight() > 0; }));
    engine.reset();
    REQUIRE(log.flush(5s).ok());
  }
  auto r = replay::replay_range(*dj.journal, whole_range(), factory());
  REQUIRE_MESSAGE(r.ok(), r.error());
  INFO(r->divergence.value_or(""));
  CHECK_FALSE(r->divergence);
  CHECK(r->checkpoints_checked >= 1);
}

TEST_CASE("stream cursor: reads ahead in chunks, gives every record in order, a range, a filter, records appended while it reads, and names a failing stream") {
  testkit::TempDir dir{"stream-cursor"};
  persistence::FileJournalOptions jo;
  jo.dedup_window = 0;
  jo.fsync = persistence::FsyncPolicy::kNever;
  auto j = persistence::FileJournal::open(dir.path() / "journal", persistence::StreamLayout({}, {ExchangeId::kBinance}), jo);
  REQUIRE(j);
  auto& journal = **j;
  // Subjects alternate between two kinds; payloads of growing length (a chunk's text grows).
  const auto put = [&](std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto seq = *journal.last_sequence("MD_binance") + 1;
      journal.append({seq % 3 == 0 ? "md.binance.spot.BTCUSDT.trade" : "md.binance.spot.BTCUSDT.book",
                      std::string(seq % 97, 'x') + std::to_string(seq), seq * 10, static_cast<TimeNs>(seq) * 1000},
                     [](const Result<std::uint64_t, persistence::StoreError>& a) { REQUIRE(a); });
    }
  };
  put(1000);
  const auto check = [](const replay::RecordView& r) {
    CHECK(r.subject == (r.sequence % 3 == 0 ? "md.binance.spot.BTCUSDT.trade" : "md.binance.spot.BTCUSDT.book"));
    CHECK(r.payload == std::string(r.sequence % 97, 'x') + std::to_string(r.sequence));
    CHECK(r.msg_id == r.sequence * 10);
    CHECK(r.time == static_cast<TimeNs>(r.sequence) * 1000);
  };
  const auto drain = [&](replay::StreamCursor& c) {
    std::vector<std::uint64_t> seqs;
    for (;;) {
      auto p = c.peek();
      REQUIRE(p);
      if (*p == nullptr) break;
      check(**p);
      seqs.push_back((*p)->sequence);
      c.pop();
    }
    return seqs;
  };
  SUBCASE("all, in chunks of 7") {
    replay::StreamCursor c(journal, "MD_binance", "", 1, 0, 7);
    const auto seqs = drain(c);
    REQUIRE(seqs.size() == 1000);
    for (std::size_t i = 0; i < seqs.size(); ++i) CHECK(seqs[i] == i + 1);
    // At the end it stays at the end.
    auto again = c.peek();
    REQUIRE(again);
    CHECK(*again == nullptr);
  }
  SUBCASE("a range and a filter") {
    replay::StreamCursor range(journal, "MD_binance", "", 300, 420, 16);
    const auto seqs = drain(range);
    REQUIRE(seqs.size() == 121);
    CHECK(seqs.front() == 300);
    CHECK(seqs.back() == 420);
    replay::StreamCursor trades(journal, "MD_binance", "md.*.*.*.trade", 1, 0, 5);
    const auto t = drain(trades);
    REQUIRE(t.size() == 333);
    for (const auto s : t) CHECK(s % 3 == 0);
  }
  SUBCASE("to 0: records appended while the pass is under way are read too") {
    // Chunks of one: the reading thread holds at most kAhead of them and waits, inside its pass
    // over 1..1000, until the reader takes one.
    replay::StreamCursor c(journal, "MD_binance", "", 1, 0, 1);
    auto first = c.peek();
    REQUIRE(first);
    REQUIRE(*first != nullptr);
    CHECK((*first)->sequence == 1);
    put(50);
    const auto seqs = drain(c);
    REQUIRE(seqs.size() == 1050);
    CHECK(seqs.back() == 1050);
  }
  SUBCASE("a cursor dropped while its thread waits to hand a chunk over") {
    auto c = std::make_unique<replay::StreamCursor>(journal, "MD_binance", "", 1, 0, 1);
    REQUIRE(c->peek());
    c.reset();  // returns: the thread sees the stop
  }
  SUBCASE("an unknown stream: the error names it") {
    replay::StreamCursor c(journal, "MD_nowhere", "", 1);
    auto p = c.peek();
    REQUIRE_FALSE(p);
    CHECK(p.error().find("MD_nowhere") != std::string::npos);
  }
}

TEST_CASE("input records: every step and body round-trips; damage is named") {
  InputRecord r;
  r.step = InputStep::kMarketData;
  r.desk = 3;
  r.run = 1'700'000'000'123'456'789;
  r.seq = 42;
  r.global_seq = 77;
  r.now = 123;
  r.received_ns = 120;
  r.account = AccountId(1);
  r.instrument = InstrumentId(1);
  r.value = d("1.5");
  r.body = Event{Envelope{0, 0, 5, 0, 0, 0}, snapshot(0, 1, "100", "101")};
  std::string payload;
  REQUIRE(encode_input(r, payload));
  auto back = decode_input(payload);
  REQUIRE(back.ok());
  CHECK(*back == r);
  r.step = InputStep::kStart;
  r.body = std::string("{\"setup\":1}");
  REQUIRE(encode_input(r, payload));
  CHECK(*decode_input(payload) == r);
  r.step = InputStep::kCommand;
  r.body = testkit::recovery_script(1, 1)[0];
  REQUIRE(encode_input(r, payload));
  CHECK(*decode_input(payload) == r);
  r.step = InputStep::kTimers;
  r.body = std::monostate{};
  REQUIRE(encode_input(r, payload));
  CHECK(*decode_input(payload) == r);

  CHECK(decode_input(payload.substr(0, 10)).error().find("input record of 10 bytes") != std::string::npos);
  std::string bad = payload;
  bad[0] = 9;
  CHECK(decode_input(bad).error() == "input record version 9 (this build reads 4)");
  bad = payload;
  bad[1] = 99;
  CHECK(decode_input(bad).error() == "input record: unknown step 99");
  CHECK(decode_input(payload + "x").error() == "input record: bytes after a record without a body");
  // Ids: distinct per record, never an event group's (low four bits 0).
  std::set<EventId> ids;
  for (std::uint64_t seq = 1; seq <= 1000; ++seq) {
    const EventId id = input_msg_id(1, 5, seq);
    CHECK((id & 0xF) == 0);
    CHECK(id != 0);
    ids.insert(id);
  }
  CHECK(ids.size() == 1000);
  CHECK(input_msg_id(1, 5, 1) != input_msg_id(2, 5, 1));
  CHECK(input_msg_id(1, 5, 1) != input_msg_id(1, 6, 1));
  CHECK(input_subject(1, InputStep::kReport) == "inputs.1.report");
}

TEST_CASE("progress: a bar, the count, the rate and the time left on a terminal; a plain line otherwise") {
  using replay::ProgressPrinter;
  CHECK(ProgressPrinter::line("replay", "records", 50, 100, 2.0, true) ==
        "replay [###############...............]  50% 50 records, 25 records/s, ETA 2 s");
  CHECK(ProgressPrinter::line("replay", "records", 50, 100, 2.0, false) ==
        "replay 50 records, 25 records/s, ETA 2 s");
  CHECK(ProgressPrinter::line("replay", "records", 7, 0, 0.0, true) == "replay 7 records, 0 records/s");
  CHECK(replay::utc_text(1723161253937085768, 3) == "2024-08-08T23:54:13.937Z");
  CHECK(replay::utc_text(1723161253937085768, 6) == "2024-08-08T23:54:13.937085Z");
  CHECK(replay::utc_text(1723161253937085768, 9) == "2024-08-08T23:54:13.937085768Z");
  CHECK(replay::utc_text(1723161253000000000, 0) == "2024-08-08T23:54:13Z");
}

TEST_CASE("replay: an execution algo's slices, recorded as timer steps, replay event for event; its state is in the checkpoints") {
  spdlog::set_level(spdlog::level::warn);
  testkit::TempDir dir{"replay-algo"};
  auto j = persistence::FileJournal::open(dir.path() / "journal", layout());
  REQUIRE(j.ok());
  auto journal = std::move(j).value();
  const Directory directory = testkit::recovery_directory();
  const InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  {
    EventLog log(*journal, nullptr, directory);
    auto venue_a = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(0));
    auto venue_b = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(1));
    EngineOptions o = options();
    o.record_inputs = true;
    o.checkpoint_interval = 40ms;
    auto acc = accounts();
    acc[0].session = venue_a;
    acc[1].session = venue_b;
    auto engine = std::make_unique<Engine>(std::move(o), table, log, *journal, nullptr,
                                           std::make_shared<RiskCore>(2, 1, 2), std::move(acc));
    venue_a->start([&](const VenueReport& r) { engine->report(AccountId(0), r); });
    venue_b->start([&](const VenueReport& r) { engine->report(AccountId(1), r); });
    engine->reconcile();
    engine->market_data(0, snapshot(0, 100, "100", "101"));
    const TimeNs now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    SubmitAlgo a;
    a.account = AccountId(0);
    a.strategy = StrategyId(0);
    a.instrument = InstrumentId(0);
    a.algo = 5;
    a.side = Side::kBuy;
    a.quantity = d("0.04");
    a.start = now;
    a.end = now + 400'000'000;
    a.slices = 4;
    a.catch_up = d("2");
    auto ack = engine->submit(Command{Envelope{77, 0, now, now, 0, 77}, a}, 5s);
    REQUIRE(ack.ok());
    REQUIRE(ack->accepted);
    std::this_thread::sleep_for(600ms);  // every slice's time passes
    const auto algos = engine->algos(5s);
    REQUIRE(algos.ok());
    REQUIRE(algos->size() == 1);
    CHECK(algos->front().slice >= 2);
    venue_a->stop();
    venue_b->stop();
    engine.reset();
    REQUIRE(log.flush(5s).ok());
  }
  // The algo's steps in STRATEGIES: more than its submission.
  std::size_t algo_steps = 0;
  (void)journal->flush(5s);
  read_events(*journal, persistence::ReadRequest{"STRATEGIES", 1, 0, "strategies.recovery.algo"}, directory,
              [&](const Event& e) { algo_steps += std::holds_alternative<AlgoStep>(e.payload) ? 1U : 0U; });
  CHECK(algo_steps >= 3);
  std::size_t timer_steps = 0, checkpoints = 0;
  persistence::ReadRequest r;
  r.stream = "INPUTS";
  REQUIRE(journal->read(r, [&](const persistence::StoredRecord& rec) {
    auto in = decode_input(rec.payload);
    REQUIRE(in.ok());
    timer_steps += in->step == InputStep::kTimers ? 1U : 0U;
    checkpoints += in->step == InputStep::kCheckpoint ? 1U : 0U;
    return true;
  }).ok());
  CHECK(timer_steps >= 3);
  CHECK(checkpoints >= 4);
  auto result = replay::replay_range(*journal, whole_range(), factory());
  REQUIRE_MESSAGE(result.ok(), result.error());
  INFO(result->divergence.value_or(""));
  CHECK_FALSE(result->divergence);
  CHECK(result->checkpoints_checked == checkpoints);
  // Every event compared: the accounts' (the children) and the algo's steps in STRATEGIES.
  CHECK(result->events == *journal->last_sequence("ACCOUNT_binance_acct-a") +
                              *journal->last_sequence("ACCOUNT_binance_acct-b") + algo_steps);
}

TEST_CASE("replay: a run whose venue rejects trip acct-a's kill switch by itself replays the trip, its cancels and the refusals after it event for event") {
  spdlog::set_level(spdlog::level::err);
  testkit::TempDir dir{"replay-kill"};
  auto j = persistence::FileJournal::open(dir.path() / "journal", layout());
  REQUIRE(j.ok());
  auto journal = std::move(j).value();
  const Directory directory = testkit::recovery_directory();
  const InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  KillSwitchRules kill;
  kill.enabled = true;
  kill.accounts.resize(2);
  kill.accounts[0].max_rejects = 2;
  kill.accounts[0].reject_window = 3'600'000'000'000;
  live_run(*journal, directory, table, 21, 40, 0, kill);
  // The run tripped: the switch recorded in the STRATEGIES stream.
  std::size_t trips = 0;
  read_events(*journal, persistence::ReadRequest{"STRATEGIES", 1, 0, "strategies.risk.>"}, directory,
              [&](const Event& e) {
                if (const auto* k = std::get_if<KillSwitchTripped>(&e.payload)) {
                  ++trips;
                  CHECK(k->account == AccountId(0));
                  CHECK(std::string(k->reason.view()) == "auto 3223 reject_rate: 2 >= 2 (account 0)");
                }
              });
  REQUIRE(trips == 1);
  auto result = replay::replay_range(*journal, whole_range(), factory(false, false, kill));
  REQUIRE_MESSAGE(result.ok(), result.error());
  INFO(result->divergence.value_or(""));
  CHECK_FALSE(result->divergence);
  CHECK(result->checkpoints_checked > 0);
  // Without the kill switch the same inputs give other events: the trip is in what is compared.
  auto without = replay::replay_range(*journal, whole_range(), factory());
  REQUIRE(without.ok());
  CHECK(without->divergence);
}
