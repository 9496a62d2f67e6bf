// The runtime in one process, against the scripted venue: orders through the engine (each
// account's desk) to the venue and back, a lost ack resolved by a status query, an account
// restarted from its events, duplicate commands and reports, balance checks.
#include "oms/actors/runtime.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/snapshot.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "recovery_script.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace std::chrono_literals;

namespace {

struct Desk {
  oms::testkit::TempDir tmp{"runtime"};
  Directory directory = oms::testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  persistence::SnapshotStore snapshots{tmp.path() / "data"};
  actors::InstrumentTable table = *actors::InstrumentTable::from(oms::testkit::recovery_instruments());
  std::shared_ptr<oms::testkit::ScriptedVenue> venue_a, venue_b;
  std::unique_ptr<actors::Runtime> rt;

  explicit Desk(std::uint64_t seed, std::vector<actors::ScheduledStrategy> schedules = {}) {
    spdlog::set_level(spdlog::level::warn);
    auto j = persistence::FileJournal::open(tmp.path() / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    venue_a = std::make_shared<oms::testkit::ScriptedVenue>(seed, tmp.path() / "venue-a", AccountId(0));
    venue_b = std::make_shared<oms::testkit::ScriptedVenue>(seed, tmp.path() / "venue-b", AccountId(1));
    actors::RuntimeOptions o;
    o.engine.ack_timeout = 100ms;
    o.schedules = std::move(schedules);
    o.schedule_tick = 20ms;
    rt = std::make_unique<actors::Runtime>(o, directory, table, *journal, nullptr, &snapshots,
                                           std::make_shared<actors::RiskCore>(2, 1, 2),
                                           std::vector<actors::RuntimeAccount>{
                                               {AccountId(0), ExchangeId::kBinance, venue_a},
                                               {AccountId(1), ExchangeId::kBinance, venue_b}});
  }

  // Polls the account's view until pred holds (bounded).
  template <class Pred>
  actors::AccountViewPtr wait_for(AccountId a, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      auto v = rt->view(a, 5s);
      REQUIRE(v.ok());
      if (pred(**v)) return *v;
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "condition not reached");
      std::this_thread::sleep_for(5ms);
    }
  }
};

// A client order id the scripted venue gives the fate wanted (seeded, so search for one).
std::string id_with(std::uint64_t seed, oms::testkit::ScriptedVenue::Fate fate, int from = 0) {
  for (int i = from;; ++i) {
    const std::string id = "T-" + std::to_string(i);
    if (oms::testkit::ScriptedVenue::fate_of(seed, id) == fate) return id;
  }
}

Command submit(std::uint64_t cmd_id, const std::string& clid, const char* qty, Side side = Side::kBuy) {
  SubmitOrder o{};
  o.account = AccountId(0);
  o.strategy = StrategyId(0);
  o.instrument = InstrumentId(0);
  (void)o.client_order_id.assign(clid);
  o.side = side;
  // Buys at 100, sells at 101: our own orders never cross (the engine would refuse a self-trade,
  // and whether one rests still depends on when the scripted venue answered it).
  o.price = *Decimal::parse(side == Side::kBuy ? "100" : "101");
  o.quantity = *Decimal::parse(qty);
  return Command{Envelope{cmd_id, 0, 0, 1'700'000'000'000'000'000, 0, 0}, o};
}

// The order leaves after its ack: wait (bounded) until the venue holds `n` orders, and check
// that no more arrive for a little while.
bool venue_receives(const oms::testkit::ScriptedVenue& venue, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (venue.orders_received() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  std::this_thread::sleep_for(50ms);
  return venue.orders_received() == n;
}

Command submit_for(AccountId account, std::uint64_t cmd_id, const std::string& clid,
                   const char* qty) {
  Command c = submit(cmd_id, clid, qty);
  std::get<SubmitOrder>(c.payload).account = account;
  return c;
}

const actors::OrderView* order(const actors::AccountView& v, const std::string& id) {
  for (const auto& o : v.orders) if (o.core.client_order_id().view() == id) return &o;
  return nullptr;
}

const actors::Balance* balance(const actors::AccountView& v, const char* asset) {
  for (const auto& b : v.balances) if (b.asset.view() == asset) return &b;
  return nullptr;
}

}  // namespace

TEST_CASE("runtime: an order is placed, filled by the venue, and the account's balances follow") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  const auto id = id_with(kSeed, oms::testkit::ScriptedVenue::Fate::kFill);
  auto ack = d.rt->submit(submit(1, id, "2"), 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
  CHECK_FALSE(ack->duplicate);
  const auto v = d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    const auto* o = order(av, id);
    return o != nullptr && o->core.status() == OrderStatus::kFilled;
  });
  const auto* o = order(*v, id);
  CHECK(o->core.cum_qty() == *Decimal::parse("2"));
  CHECK(o->core.avg_price() == *Decimal::parse("100"));
  // Bought 2 BTC at 100 in three fills (0.666666666 + 0.666666666 + 0.666666668), each charged
  // qty/1000 USDT truncated to 1e-9 (0.000666666 x 3): 1,000,000 - 200 - 0.001999998.
  REQUIRE(o->core.trade_ids().size() == 3);
  CHECK(balance(*v, "USDT")->free == *Decimal::parse("999799.998000002"));
  CHECK(balance(*v, "USDT")->locked == Decimal{});
  CHECK(balance(*v, "BTC")->free == *Decimal::parse("102"));
  REQUIRE(v->positions.size() == 1);
  CHECK(v->positions[0].position.size == *Decimal::parse("2"));
}

TEST_CASE("runtime: the same SubmitOrder again is a duplicate and commits nothing") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  const auto id = id_with(kSeed, oms::testkit::ScriptedVenue::Fate::kRest);
  REQUIRE(d.rt->submit(submit(1, id, "1"), 5s).ok());
  const auto before = d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    const auto* o = order(av, id);
    return o != nullptr && o->core.status() == OrderStatus::kAccepted;
  });
  auto again = d.rt->submit(submit(1, id, "1"), 5s);
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->status == OrderStatus::kAccepted);
  const auto after = d.rt->view(AccountId(0), 5s);
  CHECK((*after)->events_committed == before->events_committed);
  CHECK(d.venue_a->orders_received() == 1);
}

TEST_CASE("runtime: an order the account cannot pay for is rejected before it leaves (7001)") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  // 1,000,000 USDT free: 20,000 BTC at 100 needs 2,000,000.
  auto ack = d.rt->submit(submit(1, "BIG-1", "20000"), 5s);
  REQUIRE(ack.ok());
  CHECK_FALSE(ack->accepted);
  CHECK(ack->code == 7001);
  CHECK(ack->status == OrderStatus::kRejected);
  CHECK(d.venue_a->orders_received() == 0);
  const auto v = d.rt->view(AccountId(0), 5s);
  CHECK(balance(**v, "USDT")->locked == Decimal{});
}

TEST_CASE("runtime: a lost ack is never assumed rejected -- the status query finds the order") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  d.venue_a->lose_answers(true);
  const auto id = id_with(kSeed, oms::testkit::ScriptedVenue::Fate::kPartialRest);
  REQUIRE(d.rt->submit(submit(1, id, "1"), 5s).ok());
  // No answer within the 100 ms ack timeout: unknown, then the query re-sends the reports.
  const auto v = d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    const auto* o = order(av, id);
    return o != nullptr && o->core.status() == OrderStatus::kPartiallyFilled;
  });
  CHECK(order(*v, id)->core.cum_qty() == *Decimal::parse("0.4"));
  CHECK(d.venue_a->orders_received() == 1);  // asked, never sent twice
}

TEST_CASE("runtime: a cancel reaches the venue and the lock is released") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  const auto id = id_with(kSeed, oms::testkit::ScriptedVenue::Fate::kRest);
  REQUIRE(d.rt->submit(submit(1, id, "3"), 5s).ok());
  (void)d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    return balance(av, "USDT") != nullptr && balance(av, "USDT")->locked == *Decimal::parse("300");
  });
  CancelOrder c{AccountId(0), InstrumentId(0), {}};
  (void)c.client_order_id.assign(id);
  auto ack = d.rt->submit(Command{Envelope{2, 0, 0, 0, 0, 0}, c}, 5s);
  REQUIRE(ack.ok());
  CHECK(ack->status == OrderStatus::kPendingCancel);
  const auto v = d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    return order(av, id)->core.status() == OrderStatus::kCanceled;
  });
  CHECK(balance(*v, "USDT")->locked == Decimal{});
  CHECK(balance(*v, "USDT")->free == *Decimal::parse("1000000"));
}

TEST_CASE("runtime: a restarted account rebuilds the same state from its snapshot and events") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  const auto fill = id_with(kSeed, oms::testkit::ScriptedVenue::Fate::kFill);
  const auto rest = id_with(kSeed, oms::testkit::ScriptedVenue::Fate::kPartialRest);
  REQUIRE(d.rt->submit(submit(1, fill, "1"), 5s).ok());
  REQUIRE(d.rt->submit(submit(2, rest, "2", Side::kSell), 5s).ok());
  const auto before = d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    return av.orders.size() == 2 && order(av, fill)->core.status() == OrderStatus::kFilled &&
           order(av, rest)->core.status() == OrderStatus::kPartiallyFilled;
  });
  REQUIRE(d.rt->snapshot(AccountId(0), 5s).ok());  // the rebuild starts from a snapshot
  REQUIRE(d.rt->restart_account(AccountId(0), 10s).ok());
  CHECK(d.rt->account_restarts() == 1);
  const auto after = d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    return av.last_stream_sequence > 0 && order(av, rest) != nullptr &&
           order(av, rest)->core.status() == OrderStatus::kPartiallyFilled;
  });
  // The snapshot holds the cores' state through every committed event: nothing is left to fold.
  CHECK(after->last_stream_sequence == before->events_committed);
  CHECK(after->events_rebuilt == 0);
  REQUIRE(after->orders.size() == before->orders.size());
  for (std::size_t i = 0; i < before->orders.size(); ++i) {
    CHECK(after->orders[i].core.client_order_id() == before->orders[i].core.client_order_id());
    CHECK(after->orders[i].core.cum_qty() == before->orders[i].core.cum_qty());
    CHECK(after->orders[i].core.status() == before->orders[i].core.status());
  }
  REQUIRE(after->balances.size() == before->balances.size());
  for (std::size_t i = 0; i < before->balances.size(); ++i) {
    CHECK(after->balances[i].free == before->balances[i].free);
    CHECK(after->balances[i].locked == before->balances[i].locked);
  }
  // The live order still works: it can be canceled after the restart.
  CancelOrder c{AccountId(0), InstrumentId(0), {}};
  (void)c.client_order_id.assign(rest);
  REQUIRE(d.rt->submit(Command{Envelope{3, 0, 0, 0, 0, 0}, c}, 5s).ok());
  (void)d.wait_for(AccountId(0), [&](const actors::AccountView& av) {
    return order(av, rest)->core.status() == OrderStatus::kCanceled;
  });
}

TEST_CASE("runtime: a strategy kill switch halts the strategy and the account's orders for it") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  REQUIRE(d.rt->submit(Command{Envelope{1, 0, 0, 0, 0, 0}, StartStrategy{StrategyId(0)}}, 5s)->accepted);
  CHECK((*d.rt->strategy(StrategyId(0), 5s))->state == StrategyState::kRunning);
  // A strategy the directory does not have: named.
  const auto none = d.rt->strategy(StrategyId(99), 5s);
  REQUIRE_FALSE(none.ok());
  CHECK_MESSAGE(none.error() == "no strategy 99", none.error());
  TripKillSwitch trip{LimitScope::kStrategy, {}, StrategyId(0), KillSwitchState::kHalted, {}};
  (void)trip.reason.assign("desk head: stop it");
  auto ack = d.rt->submit(Command{Envelope{2, 0, 0, 0, 0, 0}, trip}, 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
  // The strategy follows the recorded kill switch.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((*d.rt->strategy(StrategyId(0), 5s))->state != StrategyState::kHalted) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(5ms);
  }
  // Risk refuses its orders: 2001 kill switch halted.
  auto order = d.rt->submit(submit(3, "K-1", "1"), 5s);
  REQUIRE(order.ok());
  CHECK_FALSE(order->accepted);
  CHECK(order->code == 2001);
  CHECK(d.venue_a->orders_received() == 0);
  // Start is refused until the switch is reset.
  auto start = d.rt->submit(Command{Envelope{4, 0, 0, 0, 0, 0}, StartStrategy{StrategyId(0)}}, 5s);
  CHECK(start->code == 8001);
  REQUIRE(d.rt->submit(Command{Envelope{5, 0, 0, 0, 0, 0},
                               ResetKillSwitch{LimitScope::kStrategy, {}, StrategyId(0)}}, 5s)->accepted);
  while ((*d.rt->strategy(StrategyId(0), 5s))->state != StrategyState::kStopped) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(5ms);
  }
  CHECK(d.rt->submit(submit(6, "K-2", "1"), 5s)->accepted);
}

TEST_CASE("runtime: kill switches and strategy states survive a restart of the runtime") {
  constexpr std::uint64_t kSeed = 11;
  oms::testkit::TempDir keep("runtime-restart");
  {
    Desk d(kSeed);
    REQUIRE(d.rt->submit(Command{Envelope{1, 0, 0, 0, 0, 0}, StartStrategy{StrategyId(0)}}, 5s)->accepted);
    REQUIRE(d.rt->submit(Command{Envelope{2, 0, 0, 0, 0, 0},
                                 SetStrategyParam{StrategyId(0), "min_edge", "0.25"}}, 5s)->accepted);
    REQUIRE(d.rt->submit(Command{Envelope{3, 0, 0, 0, 0, 0},
                                 TripKillSwitch{LimitScope::kAccount, AccountId(0), {}, KillSwitchState::kHalted, {}}},
                         5s)->accepted);
    REQUIRE(d.rt->submit(Command{Envelope{4, 0, 0, 0, 0, 0},
                                 SetRiskLimit{LimitScope::kAccount, AccountId(1), {}, {},
                                              LimitKind::kOrderQuantity, *Decimal::parse("0.5"), false}},
                         5s)->accepted);
    REQUIRE(d.rt->flush(5s).ok());
    d.rt.reset();
    std::filesystem::copy(d.tmp.path(), keep.path() / "copy", std::filesystem::copy_options::recursive);
  }
  // A new runtime over the same journal: the strategy is running with its parameter, and the
  // account's kill switch still refuses orders.
  Desk d2(kSeed);
  d2.rt.reset();
  d2.journal.reset();
  std::filesystem::remove_all(d2.tmp.path() / "journal");
  std::filesystem::copy(keep.path() / "copy" / "journal", d2.tmp.path() / "journal",
                        std::filesystem::copy_options::recursive);
  auto j = persistence::FileJournal::open(d2.tmp.path() / "journal", d2.layout);
  REQUIRE(j.ok());
  d2.journal = std::move(j).value();
  actors::RuntimeOptions o;
  d2.rt = std::make_unique<actors::Runtime>(o, d2.directory, d2.table, *d2.journal, nullptr, nullptr,
                                            std::make_shared<actors::RiskCore>(2, 1, 2),
                                            std::vector<actors::RuntimeAccount>{
                                                {AccountId(0), ExchangeId::kBinance, d2.venue_a},
                                                {AccountId(1), ExchangeId::kBinance, d2.venue_b}});
  const auto s = *d2.rt->strategy(StrategyId(0), 5s);
  CHECK(s->state == StrategyState::kRunning);
  REQUIRE(s->param("min_edge") != nullptr);
  CHECK(*s->param("min_edge") == "0.25");
  auto order = d2.rt->submit(submit(4, "K-3", "1"), 5s);
  CHECK(order->code == 2001);
  // The recorded limit is back: account 1 refuses 1 (limit 0.5) with 2004, takes 0.5.
  CHECK(d2.rt->submit(submit_for(AccountId(1), 5, "K-4", "1"), 5s)->code == 2004);
  CHECK(d2.rt->submit(submit_for(AccountId(1), 6, "K-5", "0.5"), 5s)->accepted);
}

TEST_CASE("runtime: SetRiskLimit is checked, applied at once, and unlimited clears it") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  const auto limit = [&](std::uint64_t id, LimitScope scope, LimitKind kind, const char* value,
                         bool unlimited = false) {
    auto ack = d.rt->submit(Command{Envelope{id, 0, 0, 0, 0, 0},
                                    SetRiskLimit{scope, AccountId(0), {}, InstrumentId(0), kind,
                                                 *Decimal::parse(value), unlimited}},
                            5s);
    REQUIRE(ack.ok());
    return *ack;
  };
  // Counts are whole numbers; the error names the field.
  auto frac = limit(1, LimitScope::kAccount, LimitKind::kOpenOrders, "1.5");
  CHECK_FALSE(frac.accepted);
  CHECK(frac.code == 2016);
  CHECK(frac.message == "value: open_orders is a count (a whole number)");
  // Leverage has no instrument scope.
  auto scope = limit(2, LimitScope::kInstrument, LimitKind::kLeverage, "3");
  CHECK_FALSE(scope.accepted);
  CHECK(scope.message == "kind: leverage does not apply at scope instrument");
  CHECK_FALSE(limit(3, LimitScope::kAccount, LimitKind::kOrderNotional, "-1").accepted);
  // Instrument 0 at most 0.5 per order: 1 is refused before it leaves, 0.5 goes.
  REQUIRE(limit(4, LimitScope::kInstrument, LimitKind::kOrderQuantity, "0.5").accepted);
  CHECK(d.rt->submit(submit(10, "L-1", "1"), 5s)->code == 2004);
  CHECK(d.rt->submit(submit(11, "L-2", "0.5"), 5s)->accepted);
  CHECK(venue_receives(*d.venue_a, 1));
  REQUIRE(limit(5, LimitScope::kInstrument, LimitKind::kOrderQuantity, "0", true).accepted);
  CHECK(d.rt->submit(submit(12, "L-3", "1"), 5s)->accepted);
}

TEST_CASE("runtime: the price band uses the last mark when an order carries no reference") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  REQUIRE(d.rt->submit(Command{Envelope{1, 0, 0, 0, 0, 0},
                               SetRiskLimit{LimitScope::kGlobal, {}, {}, {}, LimitKind::kPriceBandBps,
                                            *Decimal::parse("100"), false}},
                       5s)->accepted);
  // No mark yet: refused (2017), nothing leaves.
  CHECK(d.rt->submit(submit(2, "B-1", "1"), 5s)->code == 2017);
  d.rt->mark(InstrumentId(0), *Decimal::parse("100.5"));
  // 100 is 49.75 bps from 100.5: passes; a mark of 110 puts it 909 bps away: refused (2009).
  CHECK(d.rt->submit(submit(3, "B-2", "1"), 5s)->accepted);
  d.rt->mark(InstrumentId(0), *Decimal::parse("110"));
  CHECK(d.rt->submit(submit(4, "B-3", "1"), 5s)->code == 2009);
  CHECK(venue_receives(*d.venue_a, 1));
}

TEST_CASE("runtime: an order risk refused is still there after the account rebuilds from its stream") {
  constexpr std::uint64_t kSeed = 11;
  Desk d(kSeed);
  REQUIRE(d.rt->submit(Command{Envelope{1, 0, 0, 0, 0, 0},
                               SetRiskLimit{LimitScope::kAccount, AccountId(0), {}, {},
                                            LimitKind::kOrderQuantity, *Decimal::parse("0.5"), false}},
                       5s)->accepted);
  // Refused by risk: OrderSubmitted, RiskBreached and OrderRejected are one group, all in the
  // account's stream.
  CHECK(d.rt->submit(submit(2, "R-1", "1"), 5s)->code == 2004);
  REQUIRE(d.rt->flush(5s).ok());
  const auto before = *d.rt->view(AccountId(0), 5s);
  REQUIRE(d.rt->restart_account(AccountId(0), 10s).ok());
  const auto after = *d.rt->view(AccountId(0), 5s);
  const auto* o = order(*after, "R-1");
  REQUIRE(o != nullptr);
  CHECK(o->core.status() == OrderStatus::kRejected);
  CHECK(after->torn_groups_skipped == 0);
  CHECK(after->events_rebuilt == before->events_committed);
}

TEST_CASE("runtime: the orchestrator follows a strategy's schedule -- stopped outside at start, started when the window opens, stopped when it closes; an operator's start between edges stands") {
  auto inside = std::make_shared<std::atomic<bool>>(false);
  Desk d(11, {{StrategyId(0), "recovery", [inside](TimeNs) { return inside->load(); }}});
  const auto state = [&] { return (*d.rt->strategy(StrategyId(0), 5s))->state; };
  const auto wait_state = [&](StrategyState want) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (state() != want) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(5ms);
    }
  };
  CHECK(state() == StrategyState::kStopped);
  // An operator starts it outside its window: it stands until the next edge.
  REQUIRE(d.rt->submit(Command{Envelope{1, 0, 0, 0, 0, 0}, StartStrategy{StrategyId(0)}}, 5s)->accepted);
  std::this_thread::sleep_for(100ms);
  CHECK(state() == StrategyState::kRunning);
  inside->store(true);  // the window opens: already running, nothing changes
  std::this_thread::sleep_for(100ms);
  CHECK(state() == StrategyState::kRunning);
  inside->store(false);  // it closes: stopped
  wait_state(StrategyState::kStopped);
  inside->store(true);  // opens again: started
  wait_state(StrategyState::kRunning);
}
