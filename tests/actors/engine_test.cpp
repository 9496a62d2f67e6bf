// The engine shard on its own (file journal, scripted venues): market data -> book -> mark ->
// the strategy stage's orders down the one order path; routing; reports from many threads,
// none dropped when the rings fill.
#include "oms/actors/engine.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <algorithm>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "oms/cores/batch.hpp"
#include "oms/cores/event_group.hpp"
#include "oms/messages/codec.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/record_integrity.hpp"
#include "oms/persistence/snapshot.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "recovery_script.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/wait.hpp"

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

  explicit Shard(std::vector<ArbGroup> arbitrage = {}, std::vector<QuoterConfig> quoters = {},
                 std::vector<EngineStrategy> strategies = {}, std::vector<Instrument> venue_rules = {},
                 const std::function<void(EngineOptions&)>& tune = {}) {
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
    // The pairs' strategy runs (strategies.yaml's enabled); stopped, it would send nothing.
    if (!arbitrage.empty()) o.strategies = {EngineStrategy{StrategyId(0), StrategyKind::kArbitrage, true}};
    if (!strategies.empty()) o.strategies = std::move(strategies);
    o.arbitrage = std::move(arbitrage);
    o.quoters = std::move(quoters);
    o.venue_rules = std::move(venue_rules);
    if (tune) tune(o);
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
    return testkit::eventually(pred);
  }
};

// A limit buy of 0.01 at 100 on account 0, instrument 0 (far under the market: it rests, or
// meets the scripted venue's fate for its id).
SubmitOrder limit_buy(const std::string& client_order_id) {
  SubmitOrder o{};
  o.account = AccountId(0);
  o.instrument = InstrumentId(0);
  (void)o.client_order_id.assign(client_order_id);
  o.side = Side::kBuy;
  o.order_type = OrderType::kLimit;
  o.price = d("100");
  o.quantity = d("0.01");
  return o;
}

BookSnapshot snapshot(std::uint32_t instrument, std::uint64_t id, const char* bid, const char* ask) {
  BookSnapshot s{};
  s.instrument = InstrumentId(instrument);
  s.last_update_id = id;
  (void)s.levels.push_back(BookLevel{BookSide::kBid, d(bid), d("1")});
  (void)s.levels.push_back(BookLevel{BookSide::kAsk, d(ask), d("2")});
  return s;
}

// A pair over instrument 0 (account 0) and instrument 1 (account 1) as if two venues: no
// fees, an edge of 1 asked for, 0.01 a leg.
ArbGroup two_venue_pair() {
  ArbGroup g;
  g.legs = {ArbLeg{InstrumentId(0), AccountId(0), d("0"), {}, {}, {}, {}}, ArbLeg{InstrumentId(1), AccountId(1), d("0"), {}, {}, {}, {}}};
  g.strategy = StrategyId(0);
  g.min_edge = d("1");
  g.max_quantity = d("0.01");
  return g;
}

}  // namespace

TEST_CASE("engine: a book's top is the instrument's mark; a crossing pair sends both legs down the order path") {
  Shard s({two_venue_pair()});
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

TEST_CASE("engine: keep-warm rehearses the last order while the shard idles -- nothing sent, committed or recorded; off, never") {
  for (const bool warm : {true, false}) {
    CAPTURE(warm);
    Shard s({two_venue_pair()}, {}, {}, {}, [&](EngineOptions& o) {
      o.keep_warm = warm ? std::chrono::microseconds(200) : std::chrono::microseconds(0);
    });
    s.engine->market_data(0, snapshot(0, 100, "100", "101"));
    s.engine->market_data(0, snapshot(1, 200, "105", "106"));
    REQUIRE(s.eventually([&] { return s.venue_a->orders_received() == 1 && s.venue_b->orders_received() == 1; }));
    auto va = s.engine->view(AccountId(0), 5s);
    REQUIRE(va.ok());
    REQUIRE((*va)->orders.size() == 1);
    const std::string buy_id((*va)->orders[0].core.client_order_id().view());
    if (!warm) {
      std::this_thread::sleep_for(50ms);
      CHECK(s.venue_a->rehearsals() == 0);
      CHECK(s.venue_b->rehearsals() == 0);
      continue;
    }
    // The last order the shard sent (the sell leg) is rehearsed on its account's session.
    REQUIRE(s.eventually([&] { return s.venue_b->rehearsals() >= 3; }));
    const std::uint64_t appended = s.log->events_appended();
    const std::size_t seen = s.venue_b->rehearsals();
    REQUIRE(s.eventually([&] { return s.venue_b->rehearsals() >= seen + 20; }));
    CHECK(s.log->events_appended() == appended);
    CHECK(s.venue_a->orders_received() == 1);
    CHECK(s.venue_b->orders_received() == 1);
    auto vb = s.engine->view(AccountId(1), 5s);
    REQUIRE(vb.ok());
    REQUIRE((*vb)->orders.size() == 1);
    CHECK(s.venue_b->last_rehearsed() == std::string((*vb)->orders[0].core.client_order_id().view()));
    CHECK(buy_id != s.venue_b->last_rehearsed());
  }
}

TEST_CASE("engine: an arbitrage leg's taker fee is a parameter (fee.<exchange>:<symbol>), checked, and the signal prices with it") {
  Shard s({two_venue_pair()});
  const auto set = [&](std::uint64_t id, std::string_view key, std::string_view value) {
    SetStrategyParam p{StrategyId(0), {}, {}};
    REQUIRE(p.key.assign(key));
    REQUIRE(p.value.assign(value));
    auto r = s.engine->submit(Command{Envelope{id, 0, 1, 1, 0, id}, p}, 5s);
    REQUIRE(r.ok());
    return *r;
  };
  const auto other = set(1, "fee.okx:BTC/USDT", "5");
  CHECK_FALSE(other.accepted);
  CHECK(other.code == 8003);
  CHECK(other.message == "strategy 8003: parameter 'fee.okx:BTC/USDT': no leg of this strategy trades okx:BTC/USDT "
                         "here (legs: binance:BTC/USDT, binance:ETH/USDT)");
  const auto negative = set(2, "fee.binance:BTC/USDT", "-1");
  CHECK_FALSE(negative.accepted);
  CHECK(negative.message == "strategy 8003: parameter 'fee.binance:BTC/USDT': '-1' is not bps from 0 to 10000");
  CHECK_FALSE(set(3, "fee.binance:BTC/USDT", "10001").accepted);

  // 100 bps on the cheap leg: buying at 101 costs 102.01 against the rich bid 102.5 -- an edge
  // of 0.49, under the 1 asked for. Without the fee it is 1.5: a signal.
  REQUIRE(set(4, "fee.binance:BTC/USDT", "100").accepted);
  const auto view = *s.engine->strategy(StrategyId(0), 5s);
  REQUIRE(view->param("fee.binance:BTC/USDT") != nullptr);
  CHECK(*view->param("fee.binance:BTC/USDT") == "100");
  s.engine->market_data(0, snapshot(0, 100, "100", "101"));
  s.engine->market_data(0, snapshot(1, 200, "102.5", "103"));
  REQUIRE(s.eventually([&] { return s.engine->has_mark(InstrumentId(1)); }));
  std::this_thread::sleep_for(150ms);
  CHECK(s.venue_a->orders_received() == 0);
  CHECK(s.venue_b->orders_received() == 0);
  REQUIRE(set(5, "fee.binance:BTC/USDT", "0").accepted);
  s.engine->market_data(0, snapshot(1, 201, "102.5", "103"));
  REQUIRE(s.eventually([&] { return s.venue_a->orders_received() == 1 && s.venue_b->orders_received() == 1; }));
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

namespace {

// The journal as the rebuild sees it, with one stored record missing.
class HoleyStore final : public persistence::EventStore {
 public:
  HoleyStore(persistence::EventStore& inner, std::uint64_t missing) : inner_(inner), missing_(missing) {}
  Result<std::string, persistence::StoreError> stream_for(std::string_view subject) const override {
    return inner_.stream_for(subject);
  }
  void append(persistence::AppendRecord record, persistence::AppendCallback done) override {
    inner_.append(std::move(record), std::move(done));
  }
  Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds timeout) override {
    return inner_.flush(timeout);
  }
  Result<std::uint64_t, persistence::StoreError> read(const persistence::ReadRequest& request,
                                                      const persistence::RecordVisitor& visit) override {
    if (request.stream == down_stream && (down.load() || (down_from_start.load() && request.from_sequence <= 1))) {
      return Unexpected{persistence::StoreError{persistence::StoreErrorCode::kUnavailable,
                                                "the test's store: " + down_stream + " cannot be read"}};
    }
    return inner_.read(request, [&](const persistence::StoredRecord& r) {
      return r.sequence == missing_ || visit(r);
    });
  }
  Result<std::unique_ptr<persistence::Subscription>, persistence::StoreError> tail(
      const persistence::ReadRequest& request, persistence::RecordVisitor visit) override {
    return inner_.tail(request, std::move(visit));
  }
  Result<std::uint64_t, persistence::StoreError> last_sequence(std::string_view stream) override {
    return inner_.last_sequence(stream);
  }
  // As JetStream's: behind the stream by `known_lag` records (acks still on their way).
  Result<std::uint64_t, persistence::StoreError> known_last_sequence(std::string_view stream) override {
    auto last = inner_.last_sequence(stream);
    if (last) last = *last > known_lag ? *last - known_lag : 0;
    return last;
  }
  Result<std::vector<persistence::DayStart>, persistence::StoreError> day_index(std::string_view stream) override {
    return inner_.day_index(stream);
  }
  std::uint64_t known_lag = 0;
  // Reads of this stream fail while down (the store unreachable for it).
  std::string down_stream;
  std::atomic<bool> down{false};
  std::atomic<bool> down_from_start{false};  // only reads from its first record fail (risk's fold; a rebuild after a snapshot reads on)

 private:
  persistence::EventStore& inner_;
  std::uint64_t missing_;
};

// An engine over a file journal and a snapshot store that outlive it: stopped and started again
// as a daemon restart would. `hole` (0: none): the rebuild reads the journal without that record.
struct Restartable {
  testkit::TempDir tmp{"engine-restart"};
  Directory directory = testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  std::string stream = persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a");
  std::unique_ptr<persistence::FileJournal> journal;
  std::unique_ptr<persistence::SnapshotStore> snapshots;
  std::unique_ptr<EventLog> log;
  std::shared_ptr<testkit::ScriptedVenue> venue;
  std::unique_ptr<HoleyStore> holey;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<RiskCore> risk;
  std::shared_ptr<const persistence::RecordMac> mac;  // null: events unsigned, records unchecked
  // Each snapshot's times as EngineOptions::on_snapshot gives them: shard ns, total ns.
  std::mutex timed_mutex;
  std::vector<std::pair<std::int64_t, std::int64_t>> timed;
  std::uint64_t snapshot_every = 1000;
  std::uint64_t known_lag = 0;  // the store's known last sequence this far behind its last
  // The venue keeps the restart's status queries unanswered: nothing the reconciliation learns
  // is committed, so each start's view is the rebuild's alone.
  bool hold_queries = false;
  bool store_down_at_start = false;  // the account's stream cannot be read until holey->down is cleared
  bool fold_unreadable_at_start = false;  // ... from its first record (holey->down_from_start)

  void start(std::uint64_t hole = 0) {
    spdlog::set_level(spdlog::level::err);
    auto j = persistence::FileJournal::open(tmp.path() / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    snapshots = std::make_unique<persistence::SnapshotStore>(tmp.path() / "data");
    log = std::make_unique<EventLog>(*journal, nullptr, directory, Publish::kThread, mac);
    holey = std::make_unique<HoleyStore>(*journal, hole);
    holey->known_lag = known_lag;
    holey->down_stream = stream;
    holey->down = store_down_at_start;
    holey->down_from_start = fold_unreadable_at_start;
    venue = std::make_shared<testkit::ScriptedVenue>(7, tmp.path() / "venue.state", AccountId(0));
    EngineOptions o;
    o.ack_timeout = 200ms;
    o.snapshot_every = snapshot_every;
    o.on_snapshot = [this](std::int64_t shard_ns, std::int64_t total_ns) {
      const std::lock_guard lock(timed_mutex);
      timed.emplace_back(shard_ns, total_ns);
    };
    risk = std::make_shared<RiskCore>(2, 1, 2);
    engine = std::make_unique<Engine>(
        std::move(o), table, *log, *holey, snapshots.get(), risk,
        std::vector<EngineAccount>{{AccountId(0), "acct-a", stream, venue, nullptr}});
    venue->start([this](const VenueReport& r) { engine->report(AccountId(0), r); });
    venue->hold_queries(hold_queries);
    engine->reconcile();
  }
  void stop() {
    if (engine) venue->stop();
    engine.reset();
    snapshots.reset();
    log.reset();
    holey.reset();
    journal.reset();
  }
  AccountViewPtr view() {
    auto v = engine->view(AccountId(0), 5s);
    REQUIRE(v.ok());
    return *v;
  }
  void order(std::uint64_t n, const char* qty) {
    SubmitOrder o{};
    o.account = AccountId(0);
    o.strategy = StrategyId(0);
    o.instrument = InstrumentId(0);
    (void)o.client_order_id.assign("R" + std::to_string(n));
    o.side = n % 2 == 0 ? Side::kBuy : Side::kSell;
    o.price = d(o.side == Side::kBuy ? "100" : "101");  // ours never cross (no self-trade refusal)
    o.quantity = d(qty);
    auto ack = engine->submit(Command{Envelope{100 + n, 0, 1, 1, 0, 100 + n}, o}, 5s);
    REQUIRE(ack.ok());
  }
  // Orders first..last of `qty`, each answered; the view then.
  AccountViewPtr trade(std::uint64_t first, std::uint64_t last, const char* qty) {
    for (std::uint64_t n = first; n <= last; ++n) order(n, qty);
    return settled(last);
  }
  // Every order answered the way its fate says (nothing waits for the venue).
  AccountViewPtr settled(std::size_t orders) {
    AccountViewPtr v;
    REQUIRE(testkit::eventually([&] {
      v = view();
      if (v->orders.size() != orders) return false;
      return std::all_of(v->orders.begin(), v->orders.end(),
                         [](const OrderView& o) { return answered(o.core.status()) && !awaits_venue(o.core.status()); });
    }));
    return v;
  }
};

// The account's position in instrument 0 as its orders' fills make it (buys up, sells down),
// and how many of its orders are live.
std::pair<Decimal, std::int64_t> filled_and_live(const AccountView& v) {
  Decimal pos;
  std::int64_t live = 0;
  for (const auto& o : v.orders) {
    pos = *(o.core.side() == Side::kBuy ? pos.add(o.core.cum_qty()) : pos.sub(o.core.cum_qty()));
    live += is_terminal(o.core.status()) ? 0 : 1;
  }
  return {pos, live};
}

void same_state(const AccountView& a, const AccountView& b) {
  REQUIRE(a.orders.size() == b.orders.size());
  for (std::size_t i = 0; i < a.orders.size(); ++i) {
    const auto& x = a.orders[i].core;
    const auto& y = b.orders[i].core;
    if (!(x == y)) {
      // What differs, for a failure that does not come back when run again.
      MESSAGE("order " << x.client_order_id().str() << " status " << enum_name(x.status()) << "/" << enum_name(y.status())
              << " cum " << x.cum_qty().to_string() << "/" << y.cum_qty().to_string() << " vcum " << x.venue_cum_qty().to_string() << "/" << y.venue_cum_qty().to_string()
              << " fee " << x.fee().to_string() << "/" << y.fee().to_string() << " asset " << x.fee_asset().str() << "/" << y.fee_asset().str()
              << " other " << x.fee_other() << "/" << y.fee_other() << " trades " << x.trade_ids().size() << "/" << y.trade_ids().size()
              << " leaves " << x.leaves_qty().to_string() << "/" << y.leaves_qty().to_string()
              << " err " << x.last_error().has_value() << "/" << y.last_error().has_value());
    }
    CHECK(x == y);
  }
  CHECK(a.balances == b.balances);
  CHECK(a.positions == b.positions);
  CHECK(a.recent_fills == b.recent_fills);
}

std::vector<std::filesystem::path> snapshot_files(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.path().extension() == ".snap") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("engine: a restart loads the newest snapshot and folds only the stream after it; a damaged one falls back to the previous, then to the stream -- the same state each way") {
  Restartable r;
  r.start();
  (void)r.trade(1, 6, "0.5");
  auto first = r.engine->snapshot(AccountId(0), 5s);
  REQUIRE(first.ok());
  const AccountViewPtr before = r.trade(7, 12, "0.25");
  auto second = r.engine->snapshot(AccountId(0), 5s);
  REQUIRE(second.ok());
  REQUIRE(*second > *first);
  const AccountViewPtr last = r.trade(13, 14, "0.1");
  r.stop();
  // Each start's view is the rebuild's alone: a reconciliation's answer (the venue's cum of a
  // resting order) may otherwise come in before the view is taken, or after.
  r.hold_queries = true;
  const auto files = snapshot_files(r.tmp.path() / "data");
  REQUIRE(files.size() == 2);
  {
    // Each snapshot written was timed once: its time on the shard within the whole.
    const std::lock_guard lock(r.timed_mutex);
    REQUIRE(r.timed.size() == 2);
    for (const auto& [shard_ns, total_ns] : r.timed) {
      CHECK(shard_ns > 0);
      CHECK(total_ns >= shard_ns);
    }
    r.timed.clear();
  }

  SUBCASE("the newest snapshot") {
    r.start();
    const AccountViewPtr after = r.view();
    CHECK(after->last_stream_sequence == *second);
    CHECK(after->events_rebuilt == last->events_committed - before->events_committed);
    same_state(*last, *after);
  }
  SUBCASE("the newest damaged: the previous one") {
    {
      std::fstream f(files.back(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(-3, std::ios::end);
      f.put('\x5a');
    }
    r.start();
    const AccountViewPtr after = r.view();
    CHECK(after->last_stream_sequence == *first);
    same_state(*last, *after);
  }
  SUBCASE("both damaged: the stream from its start") {
    for (const auto& p : files) {
      std::ofstream(p, std::ios::trunc) << "garbage";
    }
    r.start();
    const AccountViewPtr after = r.view();
    CHECK(after->last_stream_sequence == 0);
    CHECK(after->events_rebuilt == last->events_committed);
    same_state(*last, *after);
  }
  r.stop();
}

TEST_CASE("engine: a snapshot the order path takes names the store's known sequence, records behind it already in its state; the rebuild passes over those -- the same state as the stream alone") {
  Restartable r;
  r.snapshot_every = 12;
  r.known_lag = 6;  // the acks of the last 6 records not back yet when the snapshot is taken
  r.start();
  (void)r.trade(1, 6, "0.5");
  // Due past 12 events: written at a housekeeping round, without waiting for the store (the
  // hourly one of the start, if written first, names sequence 0).
  REQUIRE(testkit::eventually([&] {
    if (!std::filesystem::exists(r.tmp.path() / "data")) return false;
    for (const auto& p : snapshot_files(r.tmp.path() / "data")) {
      std::string digits = p.stem().string();
      std::erase_if(digits, [](char c) { return c < '0' || c > '9'; });
      if (!digits.empty() && std::stoull(digits) > 0) return true;
    }
    return false;
  }));
  const AccountViewPtr taken = r.view();
  const AccountViewPtr last = r.trade(7, 8, "0.25");
  r.stop();
  REQUIRE(!snapshot_files(r.tmp.path() / "data").empty());
  std::uint64_t stream_last = 0;  // what the stream holds once everything was published
  {
    auto j = persistence::FileJournal::open(r.tmp.path() / "journal", r.layout);
    REQUIRE(j.ok());
    auto l = (*j)->last_sequence(r.stream);
    REQUIRE(l.ok());
    stream_last = *l;
  }

  r.known_lag = 0;
  r.hold_queries = true;
  r.start();
  const AccountViewPtr after = r.view();
  // The snapshot named a sequence below what it holds; every record after it was read, the
  // ones it held passed over (folded twice, a fill would count twice).
  CHECK(after->last_stream_sequence > 0);
  CHECK(after->last_stream_sequence < taken->events_committed);
  CHECK(after->events_rebuilt < stream_last - after->last_stream_sequence);
  same_state(*last, *after);
  r.stop();

  // The stream alone, no snapshot: the same.
  for (const auto& p : snapshot_files(r.tmp.path() / "data")) std::filesystem::remove(p);
  r.start();
  same_state(*last, *r.view());
  r.stop();
}

TEST_CASE("engine: a hole in the stream after the snapshot is refused, naming the stream and the missing sequences") {
  Restartable r;
  r.start();
  (void)r.trade(1, 4, "0.5");
  auto covered = r.engine->snapshot(AccountId(0), 5s);
  REQUIRE(covered.ok());
  (void)r.trade(5, 6, "0.5");
  r.stop();

  // The account is refused (the engine runs on), naming the stream and the missing sequences.
  r.start(*covered + 2);
  const auto refusals = r.engine->refusals();
  REQUIRE(refusals.size() == 1);
  const std::string what = refusals[0].message();
  CHECK_MESSAGE(what.find(r.stream + " seq " + std::to_string(*covered + 2) + ": sequences " +
                          std::to_string(*covered + 2) + ".." + std::to_string(*covered + 2) +
                          " are missing") != std::string::npos, what);
  CHECK_FALSE(refusals[0].retrying);  // the same hole next time: an operator's matter
  r.stop();
  // The same journal without the hole starts.
  r.start();
  CHECK(r.view()->orders.size() == 6);
  r.stop();
}

TEST_CASE("engine: records stored twice (a republish after the duplicate window) are folded once at the rebuild") {
  Restartable r;
  r.start();
  const AccountViewPtr before = r.trade(1, 6, "0.5");
  REQUIRE_FALSE(before->recent_fills.empty());
  r.stop();
  // Forge the duplicates: every fill and one event of each two-event group stored again under
  // a new store id (as JetStream stores a republish once its duplicate window has passed).
  {
    auto j = persistence::FileJournal::open(r.tmp.path() / "journal", r.layout);
    REQUIRE(j.ok());
    std::vector<persistence::AppendRecord> again;
    persistence::ReadRequest rq;
    rq.stream = r.stream;
    REQUIRE((*j)->read(rq, [&](const persistence::StoredRecord& rec) {
      const bool fill = rec.payload.find("\"type\":\"FillReceived\"") != std::string_view::npos;
      const bool torn_risk = group_size(rec.msg_id) == 2 && group_index(rec.msg_id) == 0;
      if (fill || torn_risk) {
        again.push_back({std::string(rec.subject), std::string(rec.payload), rec.msg_id ^ 0xABCDEF000000ULL, rec.time});
      }
      return true;
    }).ok());
    REQUIRE(again.size() >= 3);
    for (auto& rec : again) (*j)->append(std::move(rec), [](const auto& a) { REQUIRE(a.ok()); });
    REQUIRE((*j)->flush(5s).ok());
  }
  r.hold_queries = true;  // the view is the rebuild's alone
  r.start();
  const AccountViewPtr after = r.view();
  same_state(*before, *after);  // fills once, balances and positions as before
  r.stop();
}

namespace {

// The same orders and the same fills (a rebuild folded every event of the stream once).
void same_fills(const AccountView& a, const AccountView& b) {
  REQUIRE(a.orders.size() == b.orders.size());
  for (std::size_t i = 0; i < a.orders.size(); ++i) {
    CHECK(a.orders[i].core.client_order_id().view() == b.orders[i].core.client_order_id().view());
    CHECK(a.orders[i].core.trade_ids().size() == b.orders[i].core.trade_ids().size());
  }
  CHECK(a.recent_fills.size() == b.recent_fills.size());
}

// Appends one record to a stream of the file journal as a foreign writer would; its sequence.
std::uint64_t append_raw(persistence::FileJournal& j, std::string subject, std::string payload, EventId id) {
  std::uint64_t seq = 0;
  j.append({std::move(subject), std::move(payload), id, 1}, [&](const auto& a) {
    REQUIRE(a.ok());
    seq = *a;
  });
  REQUIRE(j.flush(5s).ok());
  return seq;
}

// An operator's quarantine of `seq`, as Runtime::quarantine_record stores it.
void quarantine(persistence::FileJournal& j, const std::string& stream, std::uint64_t seq,
                const persistence::RecordMac* mac) {
  const auto subject = persistence::quarantine_subject(stream, seq);
  REQUIRE_FALSE(subject.empty());
  std::string payload = persistence::encode_quarantine({seq, "test", "ops", 1});
  if (mac != nullptr) payload = mac->sign(subject, payload);
  (void)append_raw(j, subject, payload, persistence::quarantine_msg_id(stream, seq));
}

}  // namespace

TEST_CASE("engine: a stray record (garbage, a wrong MAC, no MAC) refuses its account with one error naming stream, sequence and reason; a quarantine passes it over at every later rebuild") {
  Restartable r;
  r.mac = std::make_shared<const persistence::RecordMac>(std::string(persistence::RecordMac::kKeyBytes, 'k'),
                                                         std::map<std::string, std::uint64_t, std::less<>>{});
  r.start();
  const AccountViewPtr before = r.trade(1, 4, "0.5");
  r.stop();
  // The first stored event: signed; its subject is the account's.
  std::string subject, signed_payload;
  {
    auto j = persistence::FileJournal::open(r.tmp.path() / "journal", r.layout);
    REQUIRE(j.ok());
    REQUIRE((*j)->read(persistence::ReadRequest{r.stream, 1, 1, {}}, [&](const persistence::StoredRecord& rec) {
      subject = rec.subject;
      signed_payload = rec.payload;
      return true;
    }).ok());
  }
  REQUIRE(signed_payload.find(",\"mac\":\"") != std::string::npos);
  CHECK_FALSE(r.mac->verify(r.stream, 1, subject, signed_payload).has_value());
  // The codec reads a signed record as it reads an unsigned one (replay, backtests, jq).
  CHECK(decode_event_json(signed_payload, r.directory).ok());

  // 1. The 2-byte payload "hi", as a plain client published it on the account's subject.
  auto j0 = persistence::FileJournal::open(r.tmp.path() / "journal", r.layout);
  REQUIRE(j0.ok());
  const auto garbage = append_raw(**j0, subject, "hi", 0x5157A7);
  // 2. A forged copy of a real event: the MAC's last digit changed.
  std::string forged = signed_payload;
  forged[forged.size() - 3] = forged[forged.size() - 3] == '0' ? '1' : '0';
  const auto wrong_mac = append_raw(**j0, subject, forged, 0x5157A8);
  // 3. The same event without its MAC, written after the key existed.
  const auto no_mac = append_raw(**j0, subject, persistence::strip_mac(signed_payload), 0x5157A9);
  j0->reset();

  r.start();  // the engine starts; only this account is refused
  auto refusals = r.engine->refusals();
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].account == AccountId(0));
  CHECK(refusals[0].stream == r.stream);
  CHECK(refusals[0].sequence == garbage);
  CHECK_FALSE(refusals[0].retrying);
  const std::string message = refusals[0].message();
  CHECK_MESSAGE(message.find(r.stream + " seq " + std::to_string(garbage) + ": does not decode as an event") !=
                    std::string::npos, message);
  // Its commands are refused naming why; nothing of it is half rebuilt.
  SubmitOrder o{};
  o.account = AccountId(0);
  o.instrument = InstrumentId(0);
  (void)o.client_order_id.assign("AFTER1");
  o.side = Side::kBuy;
  o.price = d("100");
  o.quantity = d("0.5");
  auto ack = r.engine->submit(Command{Envelope{900, 0, 1, 1, 0, 900}, o}, 5s);
  REQUIRE(ack.ok());
  CHECK_FALSE(ack->accepted);
  CHECK(ack->code == static_cast<std::uint16_t>(EngineCode::kAccountRefused));
  CHECK(ack->message.find(r.stream + " seq " + std::to_string(garbage)) != std::string::npos);
  CHECK(r.view()->orders.empty());
  // An operator's restart without a quarantine: refused again, the same record named.
  CHECK_FALSE(r.engine->restart_account(AccountId(0), 5s).ok());

  // Quarantined one by one: the next refusal names the next record and its own reason.
  quarantine(*r.journal, r.stream, garbage, r.mac.get());
  auto again = r.engine->restart_account(AccountId(0), 5s);
  REQUIRE_FALSE(again.ok());
  CHECK_MESSAGE(again.error().find(r.stream + " seq " + std::to_string(wrong_mac) + ": MAC does not match") !=
                    std::string::npos, again.error());
  quarantine(*r.journal, r.stream, wrong_mac, r.mac.get());
  again = r.engine->restart_account(AccountId(0), 5s);
  REQUIRE_FALSE(again.ok());
  CHECK_MESSAGE(again.error().find(r.stream + " seq " + std::to_string(no_mac) + ": no MAC") != std::string::npos,
                again.error());
  // A quarantine of a record that is not there yet (a later sequence) quarantines nothing; one
  // without a valid MAC neither.
  quarantine(*r.journal, r.stream, no_mac, nullptr);
  CHECK_FALSE(r.engine->restart_account(AccountId(0), 5s).ok());
  quarantine(*r.journal, r.stream, no_mac + 100, r.mac.get());
  CHECK_FALSE(r.engine->restart_account(AccountId(0), 5s).ok());
  // The right one (the same sequence again is a new record: another msg id than the unsigned one).
  {
    const auto q_subject = persistence::quarantine_subject(r.stream, no_mac);
    (void)append_raw(*r.journal, q_subject,
                     r.mac->sign(q_subject, persistence::encode_quarantine({no_mac, "test", "ops", 2})), 0xC0FFEE);
  }
  // Refused since the start, so not in risk's books: they hold nothing of it.
  CHECK(r.risk->position(AccountId(0), InstrumentId(0)) == d("0"));
  CHECK(r.risk->open_orders(LimitScope::kAccount, 0) == 0);
  REQUIRE(r.engine->restart_account(AccountId(0), 5s).ok());
  CHECK(r.engine->refusals().empty());
  same_fills(*before, *r.view());  // (the reconciliation after it may move orders on at the venue)
  // Rebuilt: risk's books folded again -- its fills and live orders count as after a start.
  REQUIRE(!filled_and_live(*before).first.is_zero());  // the seeded fates fill more on one side
  CHECK(testkit::eventually([&] {
    const auto [pos, live] = filled_and_live(*r.view());
    return r.risk->position(AccountId(0), InstrumentId(0)) == pos && r.risk->open_orders(LimitScope::kAccount, 0) == live;
  }));
  // It trades again.
  r.order(5, "0.5");
  (void)r.settled(5);
  const AccountViewPtr traded = r.view();
  r.stop();

  // Every later rebuild passes over the quarantined records.
  r.start();
  CHECK(r.engine->refusals().empty());
  same_fills(*traded, *r.view());
  r.stop();
}

TEST_CASE("engine: an account refused at the start (its stream unreadable) rebuilds by itself when the store comes back, and risk's books then hold its fills and live orders") {
  Restartable r;
  r.start();
  const AccountViewPtr before = r.trade(1, 6, "0.5");
  r.stop();
  const auto [pos, live] = filled_and_live(*before);
  REQUIRE(!pos.is_zero());  // the seeded fates fill more on one side: the check can fail

  r.store_down_at_start = true;
  r.start();
  auto refusals = r.engine->refusals();
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].retrying);  // the store: tried again after a back-off
  CHECK(r.risk->position(AccountId(0), InstrumentId(0)) == d("0"));
  r.holey->down = false;  // the store is back
  REQUIRE(testkit::eventually([&] { return r.engine->refusals().empty(); }));
  same_fills(*before, *r.view());
  CHECK(testkit::eventually([&] {
    const auto [p, l] = filled_and_live(*r.view());
    return p == pos && r.risk->position(AccountId(0), InstrumentId(0)) == p &&
           r.risk->open_orders(LimitScope::kAccount, 0) == l;
  }));
  r.stop();
}

TEST_CASE("engine: risk's fold at the start cannot read an account's stream (the rebuild could, from its snapshot) -- the account trades, and the books are folded again once the stream reads") {
  Restartable r;
  r.start();
  const AccountViewPtr before = r.trade(1, 6, "0.5");
  REQUIRE(r.engine->snapshot(AccountId(0), 5s).ok());
  r.stop();
  const auto [pos, live] = filled_and_live(*before);
  REQUIRE(!pos.is_zero());
  REQUIRE(live > 0);  // resting orders: counted open once, not twice, after the second fold

  r.fold_unreadable_at_start = true;
  r.start();
  CHECK(r.engine->refusals().empty());  // rebuilt from the snapshot
  CHECK(r.risk->position(AccountId(0), InstrumentId(0)) == d("0"));  // not in risk's books yet
  r.holey->down_from_start = false;
  // Folded again within the retry (5 s).
  CHECK(testkit::eventually([&] {
    const auto [p, l] = filled_and_live(*r.view());
    return r.risk->position(AccountId(0), InstrumentId(0)) == p && p == pos &&
           r.risk->open_orders(LimitScope::kAccount, 0) == l;
  }, 15s));
  r.stop();
}

TEST_CASE("engine: unsigned records (no key) are still checked: an event on a subject it does not belong to refuses the account") {
  Restartable r;
  r.start();
  (void)r.trade(1, 2, "0.5");
  r.stop();
  std::string payload, subject;
  {
    auto j = persistence::FileJournal::open(r.tmp.path() / "journal", r.layout);
    REQUIRE(j.ok());
    REQUIRE((*j)->read(persistence::ReadRequest{r.stream, 1, 0, {}}, [&](const persistence::StoredRecord& rec) {
      payload = rec.payload;
      subject = rec.subject;
      return subject.rfind("orders.", 0) != 0;  // the first order event
    }).ok());
    // The order's event moved to the account's positions subject (orders.X.Y.market.symbol ->
    // positions.X.Y.market).
    REQUIRE(subject.rfind("orders.", 0) == 0);
    const std::string moved = "positions." + subject.substr(7, subject.rfind('.') - 7);
    const auto seq = append_raw(**j, moved, payload, 0xBAD5);
    j->reset();
    r.start();
    const auto refusals = r.engine->refusals();
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].sequence == seq);
    CHECK_MESSAGE(refusals[0].reason.find("does not belong on subject '" + moved + "'") !=
                      std::string::npos, refusals[0].reason);
    r.stop();
  }
}

TEST_CASE("engine: a torn last line of the file journal (a crash mid-write) is cut at open; the account rebuilds the same") {
  Restartable r;
  r.start();
  const AccountViewPtr before = r.trade(1, 3, "0.5");
  r.stop();
  std::filesystem::path last;
  for (const auto& e : std::filesystem::recursive_directory_iterator(r.tmp.path() / "journal")) {
    if (e.is_regular_file() && e.path().string().find(r.stream) != std::string::npos &&
        (last.empty() || e.path() > last)) {
      last = e.path();
    }
  }
  REQUIRE_FALSE(last.empty());
  { std::ofstream(last, std::ios::app | std::ios::binary) << "torn garbage line"; }
  r.hold_queries = true;  // the view is the rebuild's alone
  r.start();
  CHECK(r.engine->refusals().empty());
  same_state(*before, *r.view());
  r.stop();
}

namespace {

QuoterConfig quoter() {
  QuoterConfig q;
  q.strategy = StrategyId(0);
  q.account = AccountId(0);
  q.instrument = InstrumentId(0);
  q.tick = d("0.01");
  q.lot = d("0.001");
  q.spread_bps = d("10");
  q.quote_size = d("0.1");
  q.levels = 1;
  q.max_inventory = d("1");
  q.requote_bps = d("2");
  return q;
}

// Orders of strategy 0 on the account that are not terminal.
std::size_t live_of_strategy(const AccountView& v) {
  std::size_t n = 0;
  for (const auto& o : v.orders) {
    if (o.core.strategy() == StrategyId(0) && !is_terminal(o.core.status())) ++n;
  }
  return n;
}

Command strategy_cmd(std::uint64_t id, CommandPayload p) { return Command{Envelope{id, 0, 1, 1, 0, id}, std::move(p)}; }

}  // namespace

TEST_CASE("engine: a market maker quotes only while its strategy runs; stop pulls its quotes, a halt cancels its orders; parameters are checked") {
  Shard s({}, {quoter()}, {EngineStrategy{StrategyId(0), StrategyKind::kMarketMaking, false}});
  const auto view = [&] { return *s.engine->strategy(StrategyId(0), 5s); };
  CHECK(view()->state == StrategyState::kStopped);  // not enabled in the config: stopped
  s.engine->market_data(0, snapshot(0, 100, "100", "101"));
  REQUIRE(s.eventually([&] { return s.engine->has_mark(InstrumentId(0)); }));
  std::this_thread::sleep_for(150ms);  // a housekeeping tick passes: still nothing
  CHECK(s.venue_a->orders_received() == 0);
  REQUIRE(view()->quoters.size() == 1);
  CHECK(view()->quoters[0].state == QuoterState::kInactive);

  // Started: a bid and an ask, post-only, around the mid 100.5 (10 bp: 100.44 / 100.56).
  REQUIRE(s.engine->submit(strategy_cmd(1, StartStrategy{StrategyId(0)}), 5s)->accepted);
  REQUIRE(s.eventually([&] { return s.venue_a->orders_received() >= 2; }));
  auto v = s.engine->view(AccountId(0), 5s);
  REQUIRE(v.ok());
  bool bid = false, ask = false;
  for (const auto& o : (*v)->orders) {
    CHECK(o.core.tif() == TimeInForce::kPostOnly);
    if (o.core.side() == Side::kBuy && o.core.price() == d("100.44")) bid = true;
    if (o.core.side() == Side::kSell && o.core.price() == d("100.56")) ask = true;
  }
  CHECK(bid);
  CHECK(ask);
  CHECK(view()->state == StrategyState::kRunning);
  CHECK(view()->orders >= 2);

  // Parameters: checked before they are recorded.
  auto bad = s.engine->submit(strategy_cmd(2, SetStrategyParam{StrategyId(0), "spread_bps", "wide"}), 5s);
  CHECK_FALSE(bad->accepted);
  CHECK(bad->code == 8003);
  CHECK(bad->message == "strategy 8003: parameter 'spread_bps': 'wide' is not bps above 0, at most 10000");
  auto unknown = s.engine->submit(strategy_cmd(3, SetStrategyParam{StrategyId(0), "spread", "5"}), 5s);
  CHECK_FALSE(unknown->accepted);
  CHECK(unknown->message.starts_with("strategy 8003: unknown parameter 'spread' for market making"));
  REQUIRE(s.engine->submit(strategy_cmd(4, SetStrategyParam{StrategyId(0), "spread_bps", "20"}), 5s)->accepted);
  REQUIRE(view()->param("spread_bps") != nullptr);
  CHECK(*view()->param("spread_bps") == "20");

  // Stopped: the quotes are pulled.
  REQUIRE(s.engine->submit(strategy_cmd(5, StopStrategy{StrategyId(0), {}}), 5s)->accepted);
  CHECK(view()->state == StrategyState::kStopped);
  REQUIRE(s.eventually([&] {
    auto av = s.engine->view(AccountId(0), 5s);
    return av.ok() && live_of_strategy(**av) == 0;
  }));
  const auto sent = s.venue_a->orders_received();
  s.engine->market_data(0, snapshot(0, 101, "99", "100"));
  std::this_thread::sleep_for(150ms);
  CHECK(s.venue_a->orders_received() == sent);

  // Running again at the new spread; then a kill switch on the strategy halts it and cancels
  // every order it has.
  REQUIRE(s.engine->submit(strategy_cmd(6, StartStrategy{StrategyId(0)}), 5s)->accepted);
  REQUIRE(s.eventually([&] { return s.venue_a->orders_received() > sent; }));
  TripKillSwitch trip{LimitScope::kStrategy, {}, StrategyId(0), KillSwitchState::kHalted, {}};
  REQUIRE(s.engine->submit(strategy_cmd(7, trip), 5s)->accepted);
  CHECK(view()->state == StrategyState::kHalted);
  REQUIRE(s.eventually([&] {
    auto av = s.engine->view(AccountId(0), 5s);
    return av.ok() && live_of_strategy(**av) == 0;
  }));
  CHECK(s.engine->submit(strategy_cmd(8, StartStrategy{StrategyId(0)}), 5s)->code == 8001);
}

TEST_CASE("engine: no order of ours trades against another of ours -- a crossing buy or sell on any account is refused (2018) and journaled; post-only and non-crossing orders pass") {
  Shard s;
  // A resting sell at 101 on acct-a (an id the scripted venue leaves resting).
  std::string rest;
  for (int i = 0;; ++i) {
    rest = "REST-" + std::to_string(i);
    if (testkit::ScriptedVenue::fate_of(7, rest) == testkit::ScriptedVenue::Fate::kRest) break;
  }
  const auto order = [](AccountId account, const std::string& id, Side side, const char* price,
                        OrderType type = OrderType::kLimit, TimeInForce tif = TimeInForce::kGtc) {
    SubmitOrder o{};
    o.account = account;
    o.instrument = InstrumentId(0);
    (void)o.client_order_id.assign(id);
    o.side = side;
    o.order_type = type;
    o.tif = tif;
    o.price = d(price);
    o.quantity = d("0.01");
    return o;
  };
  std::uint64_t next = 100;
  const auto submit = [&](const SubmitOrder& o) {
    ++next;
    auto ack = s.engine->submit(Command{Envelope{next, 0, 1, 1, 0, next}, o}, 5s);
    REQUIRE(ack.ok());
    return *ack;
  };
  REQUIRE(submit(order(AccountId(0), rest, Side::kSell, "101")).accepted);
  REQUIRE(s.eventually([&] {
    auto v = s.engine->view(AccountId(0), 5s);
    return v.ok() && (*v)->orders.size() == 1 && (*v)->orders[0].core.status() == OrderStatus::kAccepted;
  }));
  // acct-b's buy at 101.5 would take it: refused, with the reason, recorded as an order.
  const auto crossing = submit(order(AccountId(1), "B-1", Side::kBuy, "101.5"));
  CHECK_FALSE(crossing.accepted);
  CHECK(crossing.code == 2018);
  CHECK(crossing.message == "risk 2018: self-trade: the order at 101.5 would trade against our resting order at 101 (account 0)");
  const auto market = submit(order(AccountId(1), "B-2", Side::kBuy, "0", OrderType::kMarket));
  CHECK(market.code == 2018);
  CHECK(market.message == "risk 2018: self-trade: the order at market would trade against our resting order at 101 (account 0)");
  // Below our sell, or post-only (it cannot take): sent.
  CHECK(submit(order(AccountId(1), "B-3", Side::kBuy, "100.5")).accepted);
  CHECK(submit(order(AccountId(1), "B-4", Side::kBuy, "101.5", OrderType::kLimit, TimeInForce::kPostOnly)).accepted);
  auto vb = s.engine->view(AccountId(1), 5s);
  REQUIRE(vb.ok());
  bool journaled = false;
  for (const auto& o : (*vb)->orders) {
    if (o.core.client_order_id().view() == "B-1") journaled = o.core.status() == OrderStatus::kRejected;
  }
  CHECK(journaled);
  // Once our sell is cancelled, the same buy goes.
  CancelOrder c{AccountId(0), InstrumentId(0), {}};
  (void)c.client_order_id.assign(rest);
  ++next;
  REQUIRE(s.engine->submit(Command{Envelope{next, 0, 1, 1, 0, next}, c}, 5s)->accepted);
  REQUIRE(s.eventually([&] {
    auto v = s.engine->view(AccountId(0), 5s);
    return v.ok() && (*v)->orders[0].core.status() == OrderStatus::kCanceled;
  }));
  CHECK(submit(order(AccountId(1), "B-5", Side::kBuy, "101.5")).accepted);
}

namespace {

// A client order id the scripted venue (seed 7) answers with this fate.
std::string id_with_fate(const std::string& prefix, testkit::ScriptedVenue::Fate fate, int& next) {
  for (;; ++next) {
    std::string id = prefix + std::to_string(next);
    if (testkit::ScriptedVenue::fate_of(7, id) == fate) {
      ++next;
      return id;
    }
  }
}

}  // namespace

TEST_CASE("engine: a batch of 7 on a venue of 5 goes as 2 venue batches; each order runs the one order path -- one refused by risk, one rejected by the venue, the rest accepted, each answered on its own") {
  using Fate = testkit::ScriptedVenue::Fate;
  Shard s;
  // Orders over 5 BTC are refused by risk (account scope).
  REQUIRE(s.engine->submit(Command{Envelope{50, 0, 1, 1, 0, 50},
                                   SetRiskLimit{LimitScope::kAccount, AccountId(0), {}, {},
                                                LimitKind::kOrderQuantity, d("5"), false}},
                           5s)->accepted);
  int n = 0;
  std::vector<SubmitOrder> orders;
  for (int i = 0; i < 7; ++i) {
    SubmitOrder o{};
    o.account = AccountId(0);
    o.instrument = InstrumentId(0);
    const Fate fate = i == 4 ? Fate::kReject : Fate::kRest;
    (void)o.client_order_id.assign(id_with_fate("BAT-", fate, n));
    o.side = Side::kBuy;
    o.price = d("100");  // buys only: none crosses another (no self-trade refusal)
    o.quantity = d(i == 2 ? "6" : "0.01");
    orders.push_back(o);
  }
  const auto batches = split_batch(AccountId(0), orders, batch_command_size(ExchangeId::kBinance, Market::kUsdm));
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].orders.size() == 5);
  CHECK(batches[1].orders.size() == 2);

  std::vector<CommandAck> acks;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const EventId id = 900 + b;
    auto r = s.engine->submit_batch(Command{Envelope{id, 0, 1, 1, 0, id}, batches[b]}, 5s);
    REQUIRE(r.ok());
    REQUIRE(r->size() == batches[b].orders.size());
    acks.insert(acks.end(), r->begin(), r->end());
  }
  // Each order answered on its own, in the request's order.
  REQUIRE(acks.size() == 7);
  for (std::size_t i = 0; i < acks.size(); ++i) {
    INFO("order " << i << ": " << acks[i].message);
    if (i == 2) {
      CHECK_FALSE(acks[i].accepted);
      CHECK(acks[i].code == static_cast<std::uint16_t>(RiskCode::kOrderQuantity));
      CHECK(acks[i].status == OrderStatus::kRejected);
    } else {
      CHECK(acks[i].accepted);
      CHECK_FALSE(acks[i].duplicate);
      CHECK(acks[i].status == OrderStatus::kSubmitted);
    }
  }
  // The accepted orders left as one venue batch per command: 4 (risk kept one back), then 2.
  const auto sent = s.venue_a->batches();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == std::vector<std::string>{orders[0].client_order_id.str(), orders[1].client_order_id.str(),
                                            orders[3].client_order_id.str(), orders[4].client_order_id.str()});
  CHECK(sent[1] == std::vector<std::string>{orders[5].client_order_id.str(), orders[6].client_order_id.str()});
  // The venue's answers come back per order: the rejected element rejects that order only.
  REQUIRE(s.eventually([&] {
    auto v = s.engine->view(AccountId(0), 5s);
    if (!v.ok() || (*v)->orders.size() != 7) return false;
    for (const auto& o : (*v)->orders) {
      if (awaits_venue(o.core.status())) return false;
    }
    return true;
  }));
  auto v = s.engine->view(AccountId(0), 5s);
  REQUIRE(v.ok());
  for (std::size_t i = 0; i < orders.size(); ++i) {
    const auto id = orders[i].client_order_id.str();
    const auto it = std::find_if((*v)->orders.begin(), (*v)->orders.end(),
                                 [&](const OrderView& o) { return o.core.client_order_id().str() == id; });
    REQUIRE(it != (*v)->orders.end());
    INFO("order " << i << " " << id);
    CHECK(it->core.status() == (i == 2 || i == 4 ? OrderStatus::kRejected : OrderStatus::kAccepted));
  }
  // The health page's summary counts the same orders without copying them: 5 accepted (open),
  // 2 rejected -- one by risk, one by the venue -- each under its own code.
  auto sum = s.engine->summary(AccountId(0), 5s);
  REQUIRE(sum.ok());
  CHECK((*sum)->summary);
  CHECK((*sum)->orders.empty());
  CHECK((*sum)->recent_fills.empty());
  CHECK((*sum)->balances == (*v)->balances);
  CHECK((*sum)->events_committed == (*v)->events_committed);
  OrderTally counted;
  for (const auto& o : (*v)->orders) {
    ++counted.by_status[o.core.status()];
    counted.fills += o.core.trade_ids().size();
    if (o.core.status() == OrderStatus::kRejected) ++counted.rejects_by_code[o.core.last_error()->code];
    if (!is_terminal(o.core.status())) ++counted.open;
  }
  CHECK((*sum)->tally == counted);
  CHECK((*sum)->tally.open == 5);
  CHECK((*sum)->tally.by_status.at(OrderStatus::kRejected) == 2);
  CHECK((*sum)->tally.rejects_by_code.size() == 2);
  // The same batch again (a client's retry): every order a duplicate, nothing sent again.
  auto again = s.engine->submit_batch(Command{Envelope{900, 0, 1, 1, 0, 900}, batches[0]}, 5s);
  REQUIRE(again.ok());
  REQUIRE(again->size() == 5);
  for (const auto& a : *again) CHECK(a.duplicate);
  CHECK(s.venue_a->batches().size() == 2);
  CHECK(s.venue_a->orders_received() == 6);
}

TEST_CASE("engine: a batch order naming another account than the batch's is refused on its own (3014); the others go") {
  Shard s;
  int n = 0;
  SubmitBatch b{AccountId(0), {}};
  for (int i = 0; i < 3; ++i) {
    SubmitOrder o{};
    o.account = AccountId(i == 1 ? 1 : 0);
    o.instrument = InstrumentId(0);
    (void)o.client_order_id.assign(id_with_fate("OTH-", testkit::ScriptedVenue::Fate::kRest, n));
    o.price = d("100");
    o.quantity = d("0.01");
    REQUIRE(b.orders.push_back(o));
  }
  auto r = s.engine->submit_batch(Command{Envelope{77, 0, 1, 1, 0, 77}, b}, 5s);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].accepted);
  CHECK_FALSE((*r)[1].accepted);
  CHECK((*r)[1].code == static_cast<std::uint16_t>(CommandCode::kBatchOtherAccount));
  CHECK((*r)[2].accepted);
  REQUIRE(s.venue_a->batches().size() == 1);
  CHECK(s.venue_a->batches()[0].size() == 2);
  CHECK(s.venue_b->orders_received() == 0);
}

TEST_CASE("engine: an order the venue's rules refuse (tick, step, notional) is refused before it leaves, naming the filter; none reaches the venue, each is journaled") {
  Instrument rules;
  rules.id = InstrumentId(0);
  rules.market = Market::kSpot;
  rules.rules.tick_size = d("0.1");
  rules.rules.step_size = d("0.001");
  rules.rules.min_qty = d("0.001");
  rules.rules.min_notional = d("5");
  Shard s({}, {}, {}, {rules});
  std::uint64_t next = 100;
  const auto submit = [&](const std::string& id, const char* price, const char* qty) {
    SubmitOrder o{};
    o.account = AccountId(0);
    o.instrument = InstrumentId(0);
    (void)o.client_order_id.assign(id);
    o.side = Side::kBuy;
    o.price = d(price);
    o.quantity = d(qty);
    ++next;
    auto ack = s.engine->submit(Command{Envelope{next, 0, 1, 1, 0, next}, o}, 5s);
    REQUIRE(ack.ok());
    return *ack;
  };
  const auto tick = submit("V-1", "100.05", "0.1");
  CHECK_FALSE(tick.accepted);
  CHECK(tick.code == 2020);
  CHECK(tick.message ==
        "risk 2020: venue rule 3116 PRICE_FILTER: price is not a multiple of tickSize: 100.05 / 0.1 (instrument 0)");
  CHECK(submit("V-2", "100.1", "0.1005").message ==
        "risk 2020: venue rule 3117 LOT_SIZE: quantity is not a multiple of stepSize: 0.1005 / 0.001 (instrument 0)");
  CHECK(submit("V-3", "100", "0.049").message ==
        "risk 2020: venue rule 3108 MIN_NOTIONAL: notional below minNotional: 4.9 < 5 (instrument 0)");
  CHECK(s.venue_a->orders_received() == 0);
  // On the tick and the step, over the minimum: sent.
  CHECK(submit("V-4", "100.1", "0.05").accepted);
  CHECK(s.eventually([&] { return s.venue_a->orders_received() == 1; }));
  // An instrument without rules (instrument 1) is not checked here.
  SubmitOrder other{};
  other.account = AccountId(0);
  other.instrument = InstrumentId(1);
  (void)other.client_order_id.assign("V-5");
  other.side = Side::kBuy;
  other.price = d("100.05");
  other.quantity = d("0.1005");
  ++next;
  CHECK(s.engine->submit(Command{Envelope{next, 0, 1, 1, 0, next}, other}, 5s)->accepted);
  auto v = s.engine->view(AccountId(0), 5s);
  REQUIRE(v.ok());
  int rejected = 0;  // the three refused ones, journaled as rejected orders
  for (const auto& o : (*v)->orders) {
    const auto id = o.core.client_order_id().view();
    if ((id == "V-1" || id == "V-2" || id == "V-3") && o.core.status() == OrderStatus::kRejected) ++rejected;
  }
  CHECK(rejected == 3);
}

TEST_CASE("engine: a command held while its account reconciles is refused at the hold limit (3162), nothing sent; one held less long runs when the venue answers") {
  // The ack timeout far above the hold limit: the reconciliation is not given up before it.
  Shard s({}, {}, {}, {}, [](EngineOptions& o) { o.ack_timeout = 2s; });
  const auto wall_ns = [] {
    return static_cast<TimeNs>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  };
  const auto order = [](const char* id) { return limit_buy(id); };
  REQUIRE(s.eventually([&] {
    auto v = s.engine->view(AccountId(0), 5s);
    return v.ok() && !(*v)->balances.empty();
  }));
  // An order whose answers are lost, then a restart: its status is asked, and the venue (its
  // request budget spent) does not answer -- the account reconciles.
  s.venue_a->lose_answers(true);
  s.venue_a->hold_queries(true);
  auto first = s.engine->submit(Command{Envelope{101, 0, wall_ns(), wall_ns(), 0, 101}, order("HOLD-1")}, 5s);
  REQUIRE(first.ok());
  REQUIRE(first->accepted);
  REQUIRE(s.engine->restart_account(AccountId(0), 5s).ok());
  REQUIRE(s.eventually([&] { return s.venue_a->queries_held() > 0; }));

  const auto t0 = std::chrono::steady_clock::now();
  auto held = s.engine->submit(Command{Envelope{102, 0, wall_ns(), wall_ns(), 0, 102}, order("HOLD-2")}, 5s);
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE(held.ok());  // answered before the caller's 5 s
  CHECK_FALSE(held->accepted);
  CHECK(held->code == static_cast<std::uint16_t>(CommandCode::kHeldTooLong));
  CHECK(held->message.find("acct-a is reconciling") != std::string::npos);
  CHECK(waited >= kHeldCommandLimit);
  CHECK(waited < kHeldCommandLimit + 1s);
  CHECK(s.venue_a->orders_received() == 1);  // HOLD-2 never left
  auto v = s.engine->view(AccountId(0), 5s);
  REQUIRE(v.ok());
  CHECK(std::none_of((*v)->orders.begin(), (*v)->orders.end(),
                     [](const OrderView& o) { return o.core.client_order_id().view() == "HOLD-2"; }));

  // Held a moment, then the venue answers: the reconciliation ends and the command runs.
  s.venue_a->lose_answers(false);
  std::thread answer([&] {
    std::this_thread::sleep_for(500ms);
    s.venue_a->hold_queries(false);
  });
  auto later = s.engine->submit(Command{Envelope{103, 0, wall_ns(), wall_ns(), 0, 103}, order("HOLD-3")}, 5s);
  answer.join();
  REQUIRE(later.ok());
  CHECK(later->accepted);
  CHECK(s.venue_a->orders_received() == 2);
}

TEST_CASE("engine: a session that answers on the shard's own thread (reports pushed from inside a step) never wedges the shard, however many -- a restart asks about 300 live orders at once") {
  Shard s;
  REQUIRE(s.eventually([&] {
    auto v = s.engine->view(AccountId(0), 5s);
    return v.ok() && !(*v)->balances.empty();
  }));
  // 300 orders the scripted venue rests: a status query is answered at once, on the caller's
  // thread (the shard's), with each of the order's reports and its status -- far more than a
  // producer ring holds, all pushed before the shard's step ends.
  std::vector<std::string> resting;
  for (int i = 0; resting.size() < 300; ++i) {
    std::string id = "REST-" + std::to_string(i);
    if (testkit::ScriptedVenue::fate_of(7, id) == testkit::ScriptedVenue::Fate::kRest) resting.push_back(id);
  }
  std::uint64_t command_id = 5000;
  for (const auto& id : resting) {
    ++command_id;
    auto ack = s.engine->submit(Command{Envelope{command_id, 0, 0, 0, 0, command_id}, limit_buy(id)}, 5s);
    REQUIRE(ack.ok());
    REQUIRE(ack->accepted);
  }
  const auto live = [&] {
    auto v = s.engine->view(AccountId(0), 5s);
    REQUIRE(v.ok());
    return std::count_if((*v)->orders.begin(), (*v)->orders.end(),
                         [](const OrderView& o) { return o.core.status() == OrderStatus::kAccepted; });
  };
  REQUIRE(s.eventually([&] { return live() == 300; }));

  REQUIRE(s.engine->restart_account(AccountId(0), 5s).ok());
  CHECK(live() == 300);
  // The shard still answers, and the account trades.
  auto ack = s.engine->submit(Command{Envelope{9999, 0, 0, 0, 0, 9999}, limit_buy("AFTER-RESTART")}, 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
}
