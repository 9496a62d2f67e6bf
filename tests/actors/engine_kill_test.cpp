// The automatic kill switch in the engine's shard (engine_kill.cpp): fills and marks move the
// books, the shard trips the scope by itself, records it, cancels the scope's open orders and,
// where configured, flattens; new orders are refused until an operator resets it.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "oms/actors/engine.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "engine_kit.hpp"
#include "recovery_script.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/wait.hpp"

using namespace oms;
using namespace oms::actors;
using namespace std::chrono_literals;

namespace {

using Fate = testkit::ScriptedVenue::Fate;
Decimal d(const char* s) { return *Decimal::parse(s); }

struct KillShard {
  testkit::TempDir tmp{"engine-kill"};
  Directory directory = testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  std::unique_ptr<EventLog> log;
  std::shared_ptr<testkit::ScriptedVenue> venue_a, venue_b;
  std::shared_ptr<RiskCore> risk = std::make_shared<RiskCore>(2, 1, 2);
  std::unique_ptr<Engine> engine;
  std::uint64_t next_command = 1000;
  int next_id = 0;
  std::vector<KillSwitchTripped> heard;  // on_kill_switch (the shard's thread; read after waits)
  std::mutex heard_mutex;

  // desk, strategies: EngineOptions'; dir: where the journal is (default: a temp dir of its own).
  explicit KillShard(KillSwitchRules rules, std::uint16_t desk = 1, std::vector<EngineStrategy> strategies = {},
                     const std::filesystem::path& dir = {}) {
    spdlog::set_level(spdlog::level::err);
    auto j = persistence::FileJournal::open((dir.empty() ? tmp.path() : dir) / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    log = std::make_unique<EventLog>(*journal, nullptr, directory);
    venue_a = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(0));
    venue_b = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(1));
    EngineOptions o;
    o.ack_timeout = 2000ms;
    o.kill_switch = std::move(rules);
    o.desk = desk;
    o.strategies = std::move(strategies);
    o.on_kill_switch = [this](const KillSwitchTripped& k) {
      const std::lock_guard lock(heard_mutex);
      heard.push_back(k);
    };
    engine = std::make_unique<Engine>(
        std::move(o), table, *log, *journal, nullptr, risk,
        std::vector<EngineAccount>{{AccountId(0), "acct-a", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"), venue_a, nullptr},
                                   {AccountId(1), "acct-b", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-b"), venue_b, nullptr}});
    venue_a->start([this](const VenueReport& r) { engine->report(AccountId(0), r); });
    venue_b->start([this](const VenueReport& r) { engine->report(AccountId(1), r); });
    engine->reconcile();
  }
  ~KillShard() {
    venue_a->stop();
    venue_b->stop();
    engine.reset();
  }

  CommandAck command(CommandPayload p) { return test::run_command(*engine, next_command, std::move(p)); }
  // An order the scripted venue answers with `fate`; its client order id.
  std::string order(AccountId account, Fate fate, Side side, const char* price, const char* qty,
                    CommandAck* ack = nullptr) {
    SubmitOrder o{};
    o.account = account;
    o.instrument = InstrumentId(0);
    for (;; ++next_id) {
      const std::string id = "K-" + std::to_string(next_id);
      if (testkit::ScriptedVenue::fate_of(7, id) == fate) {
        (void)o.client_order_id.assign(id);
        ++next_id;
        break;
      }
    }
    o.side = side;
    o.price = d(price);
    o.quantity = d(qty);
    const auto a = command(o);
    if (ack != nullptr) *ack = a;
    return o.client_order_id.str();
  }
  std::optional<OrderStatus> status(AccountId account, const std::string& id) {
    return test::order_status(*engine, account, id);
  }
  bool becomes(AccountId account, const std::string& id, OrderStatus want) {
    return test::order_becomes(*engine, account, id, want);
  }
  void mark(const char* price) { test::set_mark(*engine, *risk, InstrumentId(0), d(price)); }
  [[nodiscard]] KillSwitchState state(LimitScope scope, std::uint32_t id) const {
    return risk->limits().kill_switch(scope, id);
  }
  // The kill-switch events recorded (STRATEGIES stream), in order.
  std::vector<Event> recorded() {
    std::vector<Event> out;
    REQUIRE(log->flush(5s).ok());  // everything committed is in the store
    read_events(*journal,
                persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                         "strategies.risk.>"},
                directory, [&](const Event& e) {
                  if (std::holds_alternative<KillSwitchTripped>(e.payload)) out.push_back(e);
                });
    return out;
  }
};

}  // namespace

TEST_CASE("engine kill switch: an account's daily loss crosses max_daily_loss at a mark -- tripped by itself, recorded, its open orders cancelled, new ones refused until an operator resets it") {
  KillSwitchRules rules;
  rules.enabled = true;
  rules.cancel_open_orders = true;
  rules.accounts.resize(2);
  rules.accounts[0].max_daily_loss = d("5");
  KillShard s(rules);
  s.mark("100");
  const auto bought = s.order(AccountId(0), Fate::kFill, Side::kBuy, "100", "1");
  REQUIRE(s.becomes(AccountId(0), bought, OrderStatus::kFilled));
  CHECK(s.risk->position(AccountId(0), InstrumentId(0)) == d("1"));
  const auto resting_a = s.order(AccountId(0), Fate::kRest, Side::kBuy, "90", "0.01");
  const auto resting_b = s.order(AccountId(1), Fate::kRest, Side::kBuy, "90", "0.01");
  REQUIRE(s.becomes(AccountId(0), resting_a, OrderStatus::kAccepted));
  REQUIRE(s.becomes(AccountId(1), resting_b, OrderStatus::kAccepted));

  // 1 BTC bought at 100 (the scripted venue's fee: 0.001 USDT): at 95.01 the loss is 4.991
  // (under 5); at 94.9 it is 5.101, over.
  s.mark("95.01");
  CHECK(s.state(LimitScope::kAccount, 0) == KillSwitchState::kActive);
  s.mark("94.9");
  REQUIRE(testkit::eventually([&] { return s.state(LimitScope::kAccount, 0) == KillSwitchState::kHalted; }));
  CHECK(s.engine->kill_switch_trips(TripReason::kDailyLoss) == 1);
  CHECK(s.state(LimitScope::kAccount, 1) == KillSwitchState::kActive);
  CHECK(s.state(LimitScope::kGlobal, 0) == KillSwitchState::kActive);
  // Its open order cancelled at the venue; the other account's left alone.
  CHECK(s.becomes(AccountId(0), resting_a, OrderStatus::kCanceled));
  CHECK(s.status(AccountId(1), resting_b) == OrderStatus::kAccepted);
  // Recorded with the reason and the figures (the day's loss counts the fee).
  auto events = s.recorded();
  REQUIRE(events.size() == 1);
  const auto& k = std::get<KillSwitchTripped>(events[0].payload);
  CHECK(k.scope == LimitScope::kAccount);
  CHECK(k.account == AccountId(0));
  CHECK(k.state == KillSwitchState::kHalted);
  const std::string reason(k.reason.view());
  CHECK(reason == "auto 3220 daily_loss: 5.101 > 5 (account 0)");
  {
    const std::lock_guard lock(s.heard_mutex);
    REQUIRE(s.heard.size() == 1);
    CHECK(s.heard[0] == k);
  }

  // Refused with the switch's reason while halted; a lower mark trips nothing more.
  CommandAck refused;
  s.order(AccountId(0), Fate::kRest, Side::kBuy, "90", "0.01", &refused);
  CHECK_FALSE(refused.accepted);
  CHECK(refused.code == 2001);
  CHECK(refused.message == "risk 2001: kill switch halted (account 0)");
  s.mark("93");
  CHECK(s.engine->kill_switch_trips(TripReason::kDailyLoss) == 1);

  // The operator's reset: orders go again; the loss still over does not trip again at once.
  REQUIRE(s.command(ResetKillSwitch{LimitScope::kAccount, AccountId(0), {}}).accepted);
  CHECK(s.state(LimitScope::kAccount, 0) == KillSwitchState::kActive);
  CommandAck again;
  const auto after = s.order(AccountId(0), Fate::kRest, Side::kBuy, "90", "0.01", &again);
  CHECK(again.accepted);
  s.mark("92");
  CHECK(s.state(LimitScope::kAccount, 0) == KillSwitchState::kActive);
  CHECK(s.engine->kill_switch_trips(TripReason::kDailyLoss) == 1);
  // Back under (a mark of 99: loss 1), then over again: a second trip.
  s.mark("99");
  s.mark("94");
  REQUIRE(testkit::eventually([&] { return s.state(LimitScope::kAccount, 0) == KillSwitchState::kHalted; }));
  CHECK(s.engine->kill_switch_trips(TripReason::kDailyLoss) == 2);
  CHECK(s.becomes(AccountId(0), after, OrderStatus::kCanceled));
  CHECK(s.recorded().size() == 3);  // trip, reset, trip
}

TEST_CASE("engine kill switch: venue rejects at the reject rate trip the account; the trip's cancel follows the rejects") {
  KillSwitchRules rules;
  rules.enabled = true;
  rules.accounts.resize(2);
  rules.accounts[1].max_rejects = 2;
  rules.accounts[1].reject_window = 60'000'000'000;
  KillShard s(rules);
  const auto resting = s.order(AccountId(1), Fate::kRest, Side::kBuy, "90", "0.01");
  REQUIRE(s.becomes(AccountId(1), resting, OrderStatus::kAccepted));
  const auto r1 = s.order(AccountId(1), Fate::kReject, Side::kBuy, "90", "0.01");
  REQUIRE(s.becomes(AccountId(1), r1, OrderStatus::kRejected));
  CHECK(s.state(LimitScope::kAccount, 1) == KillSwitchState::kActive);
  const auto r2 = s.order(AccountId(1), Fate::kReject, Side::kBuy, "90", "0.01");
  REQUIRE(s.becomes(AccountId(1), r2, OrderStatus::kRejected));
  REQUIRE(testkit::eventually([&] { return s.state(LimitScope::kAccount, 1) == KillSwitchState::kHalted; }));
  CHECK(s.engine->kill_switch_trips(TripReason::kRejectRate) == 1);
  CHECK(s.becomes(AccountId(1), resting, OrderStatus::kCanceled));
  const auto events = s.recorded();
  REQUIRE(events.size() == 1);
  CHECK(std::string(std::get<KillSwitchTripped>(events[0].payload).reason.view()) ==
        "auto 3223 reject_rate: 2 >= 2 (account 1)");
  // Risk's own refusals (2xxx) are not venue rejects: account 0 never trips from them.
  CHECK(s.state(LimitScope::kAccount, 0) == KillSwitchState::kActive);
}

TEST_CASE("engine kill switch: a venue's ban trips the account once per ban (a recorded input)") {
  KillSwitchRules rules;
  rules.enabled = true;
  rules.global.venue_ban = true;
  KillShard s(rules);
  const TimeNs until = 1'900'000'000'000'000'000;
  REQUIRE(s.engine->venue_banned(AccountId(1), until));
  REQUIRE(testkit::eventually([&] { return s.state(LimitScope::kAccount, 1) == KillSwitchState::kHalted; }));
  REQUIRE(s.command(ResetKillSwitch{LimitScope::kAccount, AccountId(1), {}}).accepted);
  REQUIRE(s.engine->venue_banned(AccountId(1), until));  // the same ban again
  (void)s.command(ResetKillSwitch{LimitScope::kGlobal, {}, {}});  // a command behind it: it ran
  CHECK(s.state(LimitScope::kAccount, 1) == KillSwitchState::kActive);
  CHECK(s.engine->kill_switch_trips(TripReason::kVenueBan) == 1);
  const auto events = s.recorded();
  REQUIRE(events.size() >= 1);
  CHECK(std::string(std::get<KillSwitchTripped>(events[0].payload).reason.view()) ==
        "auto 3224 venue_ban: banned until 1900000000 s (account 1)");
}

TEST_CASE("engine kill switch: drawdown from the day's peak with flatten_positions -- REDUCING_ONLY, the position sold by a limit IOC within the band, adding orders refused") {
  KillSwitchRules rules;
  rules.enabled = true;
  rules.flatten_positions = true;
  rules.flatten_band_bps = d("50");
  rules.accounts.resize(2);
  rules.accounts[0].max_drawdown = d("3");
  KillShard s(rules);
  s.mark("100");
  const auto bought = s.order(AccountId(0), Fate::kFill, Side::kBuy, "100", "1");
  REQUIRE(s.becomes(AccountId(0), bought, OrderStatus::kFilled));
  s.mark("104");  // the peak: +4
  s.mark("101");  // 3 below it: not above
  CHECK(s.state(LimitScope::kAccount, 0) == KillSwitchState::kActive);
  s.mark("100.99");
  REQUIRE(testkit::eventually([&] { return s.state(LimitScope::kAccount, 0) == KillSwitchState::kReducingOnly; }));
  CHECK(s.engine->kill_switch_trips(TripReason::kDrawdown) == 1);
  // The flattening order: sell 1 at 100.99 x (1 - 0.005) = 100.48505, IOC (no tick rule here).
  std::optional<OrderView> flat;
  REQUIRE(testkit::eventually([&] {
    auto v = s.engine->view(AccountId(0), 5s);
    if (!v.ok()) return false;
    for (const auto& o : (*v)->orders) {
      if (o.core.side() == Side::kSell) flat = o;
    }
    return flat.has_value();
  }));
  CHECK(flat->core.quantity() == d("1"));
  CHECK(flat->core.price() == d("100.48505"));
  CHECK(flat->core.tif() == TimeInForce::kIoc);
  CHECK(flat->core.order_type() == OrderType::kLimit);
  CHECK(std::string(std::get<KillSwitchTripped>(s.recorded().at(0).payload).reason.view()) ==
        "auto 3222 drawdown: 3.01 > 3 (account 0)");
  // An order that adds to the position is refused (reducing only).
  CommandAck refused;
  s.order(AccountId(0), Fate::kRest, Side::kBuy, "90", "0.01", &refused);
  CHECK(refused.code == 2002);
}

TEST_CASE("engine kill switch: daemons sharing a store each keep their own risk records -- desk 2 writes strategies.risk.d2.*, restores only those, and leaves another daemon's strategy alone") {
  testkit::TempDir shared{"engine-desks"};
  // The strategy "recovery" runs on the other daemon (its accounts are not this engine's).
  const std::vector<EngineStrategy> elsewhere{EngineStrategy{StrategyId(0), StrategyKind::kOther, true, true}};
  {
    KillShard a(KillSwitchRules{}, 2, elsewhere, shared.path());
    TripKillSwitch trip{LimitScope::kGlobal, {}, {}, KillSwitchState::kHalted, {}};
    (void)trip.reason.assign("operator");
    CHECK(a.command(trip).accepted);
    CHECK(a.state(LimitScope::kGlobal, 0) == KillSwitchState::kHalted);
    // Its commands are refused, naming where it runs.
    const auto start = a.command(StartStrategy{StrategyId(0)});
    CHECK_FALSE(start.accepted);
    CHECK(start.code == static_cast<std::uint16_t>(CommandCode::kNoSuchStrategy));
    CHECK_MESSAGE(start.message == "strategy recovery runs on another daemon of the desk (its accounts are not run here)",
                  start.message);
    REQUIRE(a.log->flush(5s).ok());
    std::vector<std::string> subjects;
    REQUIRE(a.journal->read(persistence::ReadRequest{"STRATEGIES", 1, 0, {}}, [&](const persistence::StoredRecord& r) {
      subjects.emplace_back(r.subject);
      return true;
    }).ok());
    // The trip, on desk 2's subject; nothing of the other daemon's strategy (no state change).
    CHECK(subjects == std::vector<std::string>{"strategies.risk.d2.kill_switch"});
  }
  // Desk 1 (the other daemon) halts acct-b and keeps its global switch active, on its subjects.
  {
    auto j = persistence::FileJournal::open(shared.path() / "journal",
                                            persistence::StreamLayout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}});
    REQUIRE(j.ok());
    const Directory directory = testkit::recovery_directory();
    EventLog other(**j, nullptr, directory);
    KillSwitchTripped acct{LimitScope::kAccount, AccountId(1), {}, KillSwitchState::kHalted, {}};
    KillSwitchTripped global{LimitScope::kGlobal, {}, {}, KillSwitchState::kActive, {}};
    const EventPayload first[] = {acct};
    const EventPayload second[] = {global};
    REQUIRE(other.commit(Envelope{91, 0, 5, 5, 0, 91}, first, 5).ok());
    REQUIRE(other.commit(Envelope{92, 0, 6, 6, 0, 92}, second, 6).ok());
    REQUIRE(other.flush(5s).ok());
  }
  {
    KillShard b(KillSwitchRules{}, 2, elsewhere, shared.path());  // desk 2 again: its own only
    CHECK(b.state(LimitScope::kGlobal, 0) == KillSwitchState::kHalted);
    CHECK(b.state(LimitScope::kAccount, 1) == KillSwitchState::kActive);
  }
  {
    KillShard c(KillSwitchRules{}, 1, {}, shared.path());  // desk 1: its own only
    CHECK(c.state(LimitScope::kGlobal, 0) == KillSwitchState::kActive);
    CHECK(c.state(LimitScope::kAccount, 1) == KillSwitchState::kHalted);
  }
  // The subjects' desk, as a replay tells them apart.
  CHECK(SubjectMap::other_desks("strategies.risk.d2.kill_switch", 1));
  CHECK_FALSE(SubjectMap::other_desks("strategies.risk.d2.kill_switch", 2));
  CHECK(SubjectMap::other_desks("strategies.risk.kill_switch", 2));
  CHECK_FALSE(SubjectMap::other_desks("strategies.risk.kill_switch", 1));
  CHECK(SubjectMap::other_desks("strategies.manual.d7.algo", 1));
  CHECK_FALSE(SubjectMap::other_desks("strategies.arbitrage.saga", 2));
  CHECK(SubjectMap::desk_filter("risk", 1) == "strategies.risk.*");
  CHECK(SubjectMap::desk_filter("risk", 12) == "strategies.risk.d12.*");
}
