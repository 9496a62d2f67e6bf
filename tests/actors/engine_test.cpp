// The engine shard on its own (file journal, scripted venues): market data -> book -> mark ->
// the strategy stage's orders down the one order path; routing; reports from many threads,
// none dropped when the rings fill.
#include "oms/actors/engine.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "recovery_script.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::actors;
using namespace std::chrono_literals;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

struct Shard {
  testkit::TempDir tmp{"engine"};
  Directory directory = testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  std::unique_ptr<EventLog> log;
  std::shared_ptr<testkit::ScriptedVenue> venue_a, venue_b;
  std::unique_ptr<Engine> engine;

  explicit Shard(std::vector<ArbGroup> arbitrage = {}) {
    spdlog::set_level(spdlog::level::warn);
    auto j = persistence::FileJournal::open(tmp.path() / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    log = std::make_unique<EventLog>(*journal, nullptr, directory);
    venue_a = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(0));
    venue_b = std::make_shared<testkit::ScriptedVenue>(7, std::filesystem::path{}, AccountId(1));
    EngineOptions o;
    o.ack_timeout = 200ms;
    o.books = {BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceSpot},
               BookCoreConfig{InstrumentId(1), BookSequencing::kBinanceSpot}};
    o.arbitrage = std::move(arbitrage);
    engine = std::make_unique<Engine>(
        std::move(o), table, *log, *journal, nullptr, std::make_shared<RiskCore>(2, 1, 2),
        std::vector<EngineAccount>{{AccountId(0), "acct-a", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"), venue_a, nullptr},
                                   {AccountId(1), "acct-b", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-b"), venue_b, nullptr}});
    venue_a->start([this](const VenueReport& r) { engine->report(AccountId(0), r); });
    venue_b->start([this](const VenueReport& r) { engine->report(AccountId(1), r); });
    engine->reconcile();
  }
  ~Shard() {
    venue_a->stop();
    venue_b->stop();
    engine.reset();
  }

  template <class Pred>
  bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
};

BookSnapshot snapshot(std::uint32_t instrument, std::uint64_t id, const char* bid, const char* ask) {
  BookSnapshot s{};
  s.instrument = InstrumentId(instrument);
  s.last_update_id = id;
  (void)s.levels.push_back(BookLevel{BookSide::kBid, d(bid), d("1")});
  (void)s.levels.push_back(BookLevel{BookSide::kAsk, d(ask), d("2")});
  return s;
}

}  // namespace

TEST_CASE("engine: a book's top is the instrument's mark; a crossing pair sends both legs down the order path") {
  ArbGroup g;
  g.legs = {ArbLeg{InstrumentId(0), AccountId(0), d("0")}, ArbLeg{InstrumentId(1), AccountId(1), d("0")}};
  g.strategy = StrategyId(0);
  g.min_edge = d("1");
  g.max_quantity = d("0.01");
  Shard s({g});
  CHECK_FALSE(s.engine->has_mark(InstrumentId(0)));
  s.engine->market_data(0, snapshot(0, 100, "100", "101"));
  REQUIRE(s.eventually([&] { return s.engine->has_mark(InstrumentId(0)); }));
  CHECK(s.venue_a->orders_received() == 0);  // one venue alone: no signal
  // The second venue's bid (105) is above the first's ask (101) by more than the edge.
  s.engine->market_data(0, snapshot(1, 200, "105", "106"));
  REQUIRE(s.eventually([&] { return s.venue_a->orders_received() == 1 && s.venue_b->orders_received() == 1; }));
  auto va = s.engine->view(AccountId(0), 5s);
  REQUIRE(va.ok());
  REQUIRE((*va)->orders.size() == 1);
  const OrderCore& buy = (*va)->orders[0].core;
  CHECK(buy.side() == Side::kBuy);
  CHECK(buy.price() == d("101"));
  CHECK(buy.quantity() == d("0.01"));
  CHECK(buy.strategy() == StrategyId(0));
  auto vb = s.engine->view(AccountId(1), 5s);
  REQUIRE(vb.ok());
  REQUIRE((*vb)->orders.size() == 1);
  CHECK((*vb)->orders[0].core.side() == Side::kSell);
  CHECK((*vb)->orders[0].core.price() == d("105"));
}

TEST_CASE("engine: a command for an account it does not run is refused, naming the account") {
  Shard s;
  SubmitOrder o{};
  o.account = AccountId(5);
  o.instrument = InstrumentId(0);
  (void)o.client_order_id.assign("X1");
  o.price = d("1");
  o.quantity = d("1");
  auto ack = s.engine->submit(Command{Envelope{9, 0, 1, 1, 0, 9}, o}, 5s);
  REQUIRE(ack.ok());
  CHECK_FALSE(ack->accepted);
  CHECK(ack->code == static_cast<std::uint16_t>(CommandCode::kNoSuchAccount));
  CHECK(ack->message.find("account 5") != std::string::npos);
  CHECK_FALSE(s.engine->view(AccountId(5), 5s).ok());
}

TEST_CASE("engine: reports from many threads are all committed, none dropped when the rings fill") {
  Shard s;
  constexpr int kThreads = 4;
  constexpr int kReports = 1500;  // each thread's ring holds 512: the producers wait for room
  auto before = s.engine->view(AccountId(0), 5s);
  REQUIRE(before.ok());
  const auto committed_before = (*before)->events_committed;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kReports; ++i) {
        BalanceUpdated b{};
        b.account = AccountId(0);
        (void)b.asset.assign("T" + std::to_string(t));
        b.free = Decimal::from_raw(i + 1);
        s.engine->report(AccountId(0), VenueReport{static_cast<EventId>(1'000'000 * (t + 1) + i), 1, b});
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(s.eventually([&] {
    auto v = s.engine->view(AccountId(0), 5s);
    return v.ok() && (*v)->events_committed - committed_before == kThreads * kReports;
  }));
  auto v = s.engine->view(AccountId(0), 5s);
  for (int t = 0; t < kThreads; ++t) {
    const auto asset = "T" + std::to_string(t);
    bool found = false;
    for (const auto& b : (*v)->balances) {
      if (b.asset.view() != asset) continue;
      found = true;
      CHECK(b.free == Decimal::from_raw(kReports));  // the last one of that thread, in order
    }
    CHECK_MESSAGE(found, asset);
  }
}
