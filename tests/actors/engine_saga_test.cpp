// The engine's arbitrage sagas end to end on the shard (file journal, a venue whose IOC answers
// are scripted per order): the saga's steps recorded in STRATEGIES before its orders, both legs
// filled -> closed; a leg the venue rejects -> hedged on the other venue; a hedge that misses
// -> unwound; a leg refused before either leaves -> nothing sent; and a saga resumed after a
// restart from its recorded steps, its leg's end found by the reconciliation. Execution algos'
// and smart-routed parents' children on the same path.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "oms/actors/engine.hpp"
#include "oms/cores/smart_router.hpp"
#include "oms/messages/client_order_id.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "recovery_script.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/wait.hpp"

using namespace oms;
using namespace oms::actors;
using namespace std::chrono_literals;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

// A venue answering each new order as the test scripted it for the order's instrument, in
// order: fill (all of it, at the order's price), reject, part (40 % filled, the rest expired,
// as an IOC), silent (no answer; a later status query says what `silent_then` says).
class IocVenue final : public ExchangeSession {
 public:
  // kStatusFirst: filled, the order's status told before its trade (an IOC's REST answer says
  // FILLED before the user-data stream brings the fill).
  enum class Answer : std::uint8_t { kFill, kReject, kPart, kSilent, kStatusFirst };
  explicit IocVenue(AccountId account, ExchangeId exchange = ExchangeId::kBinance)
      : account_(account), exchange_(exchange) {}

  void script(InstrumentId instrument, std::vector<Answer> answers) {
    const std::lock_guard lock(mutex_);
    for (const Answer a : answers) script_[instrument.index()].push_back(a);
  }
  void silent_then(Answer a) {
    const std::lock_guard lock(mutex_);
    silent_then_ = a;
  }
  std::vector<OrderSubmitted> orders() const {
    const std::lock_guard lock(mutex_);
    return placed_;
  }

  void start(ReportSink sink) override {
    const std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    for (const auto& [asset, amount] : {std::pair{"USDT", "1000000"}, std::pair{"BTC", "100"},
                                        std::pair{"ETH", "1000"}}) {
      BalanceUpdated b{account_, exchange_, Market::kSpot, {}, d(amount), {}};
      (void)b.asset.assign(asset);
      sink_(VenueReport{next_id(std::string("deposit") + asset), 1, b});
    }
  }
  void stop() override {
    const std::lock_guard lock(mutex_);
    sink_ = nullptr;
  }
  void place(const OrderSubmitted& o, const SendOrigin&) override {
    const std::lock_guard lock(mutex_);
    placed_.push_back(o);
    auto& q = script_[o.instrument.index()];
    const Answer a = q.empty() ? Answer::kFill : q.front();
    if (!q.empty()) q.pop_front();
    if (a == Answer::kSilent) {
      silent_[o.client_order_id.str()] = o;
      return;
    }
    answer(o, a);
  }
  // A cancel of an order it kept silent: canceled, nothing filled.
  void cancel(const CancelOrder& c) override {
    const std::lock_guard lock(mutex_);
    cancels_.push_back(c);
    const auto it = silent_.find(c.client_order_id.str());
    if (it == silent_.end() || !sink_) return;
    silent_.erase(it);
    sink_(VenueReport{next_id(c.client_order_id.str() + "cxl"), 6,
                      OrderCanceled{c.account, c.instrument, c.client_order_id, {}}});
  }
  std::vector<CancelOrder> cancels() const {
    const std::lock_guard lock(mutex_);
    return cancels_;
  }
  void amend(const AmendOrder&) override {}
  void query(AccountId, InstrumentId, const ClientOrderIdText& id) override {
    const std::lock_guard lock(mutex_);
    const auto it = silent_.find(id.str());
    if (it == silent_.end() || !sink_) return;
    const OrderSubmitted o = it->second;
    silent_.erase(it);
    if (silent_then_ == Answer::kReject) {
      // The venue had it and let it expire unfilled (an IOC that met nothing): its status.
      VenueOrderId vid;
      (void)vid.assign("V" + id.str());
      sink_(VenueReport{next_id(id.str() + "status"), 5,
                        OrderStatusReconciled{o.account, o.instrument, o.client_order_id, vid,
                                              OrderStatus::kExpired, {}, {}}});
      return;
    }
    answer(o, silent_then_);
  }

 private:
  EventId next_id(const std::string& what) {
    std::uint64_t h = 1469598103934665603ULL ^ account_.index();
    for (const char c : what) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return h | 1U;
  }
  void answer(const OrderSubmitted& o, Answer a) {
    if (!sink_) return;
    const std::string id = o.client_order_id.str();
    if (a == Answer::kReject) {
      OrderRejected r{o.account, o.instrument, o.client_order_id, 4001, -2010, {}};
      (void)r.reason.assign("Order would immediately match and take.");
      sink_(VenueReport{next_id(id + "rej"), 2, r});
      return;
    }
    VenueOrderId vid;
    (void)vid.assign("V" + id);
    sink_(VenueReport{next_id(id + "ack"), 2, OrderAccepted{o.account, o.instrument, o.client_order_id, vid}});
    const Decimal qty = a == Answer::kPart ? Decimal::from_raw(o.quantity.raw() * 2 / 5) : o.quantity;
    const Decimal price = o.price.is_positive() ? o.price : d("100");
    if (a == Answer::kStatusFirst) {
      sink_(VenueReport{next_id(id + "done"), 3, OrderFilled{o.account, o.instrument, o.client_order_id, qty, price}});
    }
    FillReceived f{};
    f.account = o.account;
    f.strategy = o.strategy;
    f.instrument = o.instrument;
    f.client_order_id = o.client_order_id;
    (void)f.trade_id.assign("T" + id);
    f.side = o.side;
    f.price = price;
    f.quantity = qty;
    f.fee = Decimal::from_raw(qty.raw() / 1000);  // in USDT, the quote
    (void)f.fee_asset.assign("USDT");
    sink_(VenueReport{next_id(id + "fill"), 3, f});
    if (a == Answer::kStatusFirst) return;
    if (a == Answer::kFill) {
      sink_(VenueReport{next_id(id + "done"), 4, OrderFilled{o.account, o.instrument, o.client_order_id, qty, price}});
    } else {
      sink_(VenueReport{next_id(id + "exp"), 4, OrderExpired{o.account, o.instrument, o.client_order_id, qty}});
    }
  }

  AccountId account_;
  ExchangeId exchange_;
  std::vector<CancelOrder> cancels_;
  mutable std::mutex mutex_;
  ReportSink sink_;
  std::map<std::size_t, std::deque<Answer>> script_;
  std::map<std::string, OrderSubmitted> silent_;
  Answer silent_then_ = Answer::kReject;
  std::vector<OrderSubmitted> placed_;
};
using A = IocVenue::Answer;

// A pair over instruments 0 (on acct-a) and 1 (on acct-b): 1 lot = 0.001, tick 0.01.
ArbGroup pair(LegRisk policy = LegRisk::kHedge, std::uint32_t retries = 1) {
  ArbGroup g;
  g.legs = {ArbLeg{InstrumentId(0), AccountId(0), d("0"), d("0.001"), d("0.01"), d("0.001"), d("5")},
            ArbLeg{InstrumentId(1), AccountId(1), d("0"), d("0.001"), d("0.01"), d("0.001"), d("5")}};
  g.strategy = StrategyId(0);
  g.min_edge = d("1");
  g.max_quantity = d("0.5");
  g.cooldown = 0;
  g.saga.leg_risk = policy;
  g.saga.band_rate = d("0.001");
  g.saga.retries = retries;
  g.saga.order_timeout = 0;
  g.saga.time_limit = 0;
  return g;
}

struct Shard {
  testkit::TempDir tmp{"engine-saga"};
  Directory directory = testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  std::unique_ptr<EventLog> log;
  std::shared_ptr<IocVenue> venue_a = std::make_shared<IocVenue>(AccountId(0));
  std::shared_ptr<IocVenue> venue_b = std::make_shared<IocVenue>(AccountId(1));
  std::unique_ptr<Engine> engine;
  ArbGroup group;
  std::function<TimeNs()> clock;  // null: the wall clock
  std::shared_ptr<RiskCore> risk = std::make_shared<RiskCore>(2, 1, 2);

  explicit Shard(ArbGroup g, std::function<TimeNs()> c = {}) : group(std::move(g)), clock(std::move(c)) {
    spdlog::set_level(spdlog::level::warn);
    auto j = persistence::FileJournal::open(tmp.path() / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    start();
  }
  void start() {
    log = std::make_unique<EventLog>(*journal, nullptr, directory);
    EngineOptions o;
    o.ack_timeout = 200ms;
    o.books = {BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceSpot},
               BookCoreConfig{InstrumentId(1), BookSequencing::kBinanceSpot}};
    o.strategies = {EngineStrategy{StrategyId(0), StrategyKind::kArbitrage, true}};
    o.arbitrage = {group};
    o.clock = clock;
    o.algo_rules = {AlgoRules{d("0.01"), d("0.001"), d("0.001"), d("0.1")},
                    AlgoRules{d("0.01"), d("0.001"), d("0.001"), d("0.1")}};
    engine = std::make_unique<Engine>(
        std::move(o), table, *log, *journal, nullptr, risk,
        std::vector<EngineAccount>{{AccountId(0), "acct-a", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"), venue_a, nullptr},
                                   {AccountId(1), "acct-b", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-b"), venue_b, nullptr}});
    venue_a->start([this](const VenueReport& r) { engine->report(AccountId(0), r); });
    venue_b->start([this](const VenueReport& r) { engine->report(AccountId(1), r); });
    engine->reconcile();
  }
  void stop() {
    venue_a->stop();
    venue_b->stop();
    engine.reset();
    log.reset();
  }
  ~Shard() { stop(); }

  // Instrument 0 asks 100, instrument 1 bids 105: a signal buying 0.5 on 0, selling on 1.
  void cross(std::uint64_t id = 100) {
    engine->market_data(0, snapshot(0, id, "99", "100"));
    engine->market_data(0, snapshot(1, id + 1, "105", "106"));
  }
  static BookSnapshot snapshot(std::uint32_t instrument, std::uint64_t id, const char* bid, const char* ask) {
    BookSnapshot s{};
    s.instrument = InstrumentId(instrument);
    s.last_update_id = id;
    (void)s.levels.push_back(BookLevel{BookSide::kBid, d(bid), d("1")});
    (void)s.levels.push_back(BookLevel{BookSide::kAsk, d(ask), d("1")});
    return s;
  }
  [[nodiscard]] SagaFiguresView figures() {
    auto v = engine->strategy(StrategyId(0), 5s);
    REQUIRE(v.ok());
    return (*v)->sagas;
  }
  // The saga steps recorded in STRATEGIES, in order, once the last is an end (the journal's
  // publisher stores what the shard committed a moment later).
  [[nodiscard]] std::vector<ArbSagaStep> ended_steps() {
    std::vector<ArbSagaStep> out;
    const bool ended = eventually([&] {
      out = steps();
      return !out.empty() && is_terminal(out.back().state);
    });
    CHECK(ended);
    return out;
  }
  [[nodiscard]] std::vector<ArbSagaStep> steps() {
    std::vector<ArbSagaStep> out;
    (void)journal->flush(5s);
    read_events(*journal,
                persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                         "strategies.recovery.saga"},
                directory, [&](const Event& e) {
                  if (const auto* s = std::get_if<ArbSagaStep>(&e.payload)) out.push_back(*s);
                });
    return out;
  }
  template <class Pred>
  bool eventually(Pred pred) {
    return testkit::eventually(pred);
  }
};

std::string states(const std::vector<ArbSagaStep>& steps) {
  std::string out;
  for (const auto& s : steps) {
    if (!out.empty()) out += ' ';
    out += std::string(enum_name(s.state)) + "#" + std::to_string(s.number);
  }
  return out;
}

std::string detail(const std::vector<ArbSagaStep>& steps) {
  std::string out;
  for (const auto& s : steps) {
    out += std::string(enum_name(s.state)) + "#" + std::to_string(s.number) + " bought " +
           s.bought.to_string() + " sold " + s.sold.to_string() + " repair '" + s.repair_order.str() +
           "': " + s.reason.str() + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("engine sagas: both legs fill -> closed; each step recorded before what it decides") {
  Shard s(pair());
  s.cross();
  REQUIRE(s.eventually([&] { return s.figures().closed == 1; }));
  const auto steps = s.ended_steps();
  CHECK(states(steps) == "legs_out#1 legs_out#2 closed#3");
  REQUIRE_FALSE(steps.empty());
  const ArbSagaStep& last = steps.back();
  CHECK(last.quantity == d("0.5"));
  CHECK(last.buy_price == d("100"));
  CHECK(last.sell_price == d("105"));
  CHECK(last.bought == d("0.5"));
  CHECK(last.sold == d("0.5"));
  // 0.5 x (105 - 100) - fees 0.0005 x 2 (in USDT, the quote)
  CHECK(last.pnl.units == d("2.499"));
  CHECK(last.slippage == d("0"));
  CHECK(last.legs_acked >= last.started);
  const auto f = s.figures();
  CHECK(f.opened == 1);
  CHECK(f.open == 0);
  CHECK(f.hedged == 0);
  CHECK(f.pnl == d("2.499"));
  CHECK(f.acked == 1);
  // The legs: a buy at the ask on acct-a, a sell at the bid on acct-b, both IOC.
  REQUIRE(s.venue_a->orders().size() == 1);
  REQUIRE(s.venue_b->orders().size() == 1);
  CHECK(s.venue_a->orders()[0].side == Side::kBuy);
  CHECK(s.venue_a->orders()[0].tif == TimeInForce::kIoc);
  CHECK(s.venue_b->orders()[0].price == d("105"));
  CHECK(s.venue_a->orders()[0].client_order_id == steps.front().buy_order);
}

TEST_CASE("engine sagas: a leg's FILLED status before its trade is not an unfilled end -- the saga waits for the fill") {
  Shard s(pair());
  s.venue_a->script(InstrumentId(0), {A::kStatusFirst});
  s.venue_b->script(InstrumentId(1), {A::kStatusFirst});
  s.cross();
  REQUIRE(s.eventually([&] { return s.figures().closed == 1; }));
  const auto steps = s.ended_steps();
  CHECK(states(steps) == "legs_out#1 legs_out#2 closed#3");
  CHECK(s.figures().hedged == 0);
  CHECK(s.venue_a->orders().size() == 1);  // no repair
  CHECK(s.venue_b->orders().size() == 1);
}

TEST_CASE("engine sagas: the venue rejects the sell leg -> the bought quantity is hedged on the sell venue") {
  Shard s(pair());
  s.venue_b->script(InstrumentId(1), {A::kReject, A::kFill});
  s.cross();
  REQUIRE(s.eventually([&] { return s.figures().closed == 1; }));
  const auto steps = s.ended_steps();
  CHECK(states(steps) == "legs_out#1 legs_out#2 hedging#3 closed#4");
  const auto f = s.figures();
  CHECK(f.hedged == 1);
  // The hedge: acct-b sells 0.5 on instrument 1, IOC 10 bp under its bid (105 -> 104.89).
  const auto orders = s.venue_b->orders();
  REQUIRE(orders.size() == 2);
  CHECK(orders[1].side == Side::kSell);
  CHECK(orders[1].quantity == d("0.5"));
  CHECK(orders[1].tif == TimeInForce::kIoc);
  CHECK(orders[1].price == d("104.89"));
  REQUIRE(steps.size() == 4);
  CHECK(orders[1].client_order_id == steps[2].repair_order);
  // 0.5 x (104.89 - 100) - 0.001 fees
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back().pnl.units == d("2.444"));
}

TEST_CASE("engine sagas: hedges that miss turn to unwinding on the bought venue; a partial unwind retries") {
  Shard s(pair(LegRisk::kHedge, 1));
  s.venue_b->script(InstrumentId(1), {A::kReject, A::kReject, A::kReject});
  s.venue_a->script(InstrumentId(0), {A::kFill, A::kPart, A::kFill});
  s.cross();
  REQUIRE(s.eventually([&] { return s.figures().unwound == 1; }));
  const auto steps = s.ended_steps();
  CHECK(states(steps) ==
        "legs_out#1 legs_out#2 hedging#3 hedging#4 unwinding#5 unwinding#6 unwound#7");
  const auto a = s.venue_a->orders();
  REQUIRE(a.size() == 3);
  // Unwinds: sell on acct-a (instrument 0) 10 bp under its bid 99 -> 98.9, 0.5 then 0.3 left.
  CHECK(a[1].side == Side::kSell);
  CHECK(a[1].price == d("98.9"));  // 98.901 down to the tick
  CHECK(a[1].quantity == d("0.5"));
  CHECK(a[2].quantity == d("0.3"));
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back().bought == d("0.5"));
  CHECK(steps.back().sold == d("0.5"));
}

TEST_CASE("engine sagas: a leg refused before either goes -> no order, no saga, the reason kept") {
  Shard s(pair());
  // acct-b may hold no position: the sell leg is refused by risk, so the buy never leaves.
  REQUIRE(s.risk->limits().set(LimitScope::kAccount, 1, LimitKind::kPosition, 0));
  s.cross();
  REQUIRE(s.eventually([&] { return s.figures().refused >= 1; }));
  const auto f = s.figures();
  CHECK(f.opened == 0);
  CHECK(f.last_refusal.starts_with("sell leg: "));
  CHECK(s.venue_a->orders().empty());
  CHECK(s.venue_b->orders().empty());
  CHECK(s.steps().empty());
}

TEST_CASE("engine sagas: a saga open at a restart resumes from its steps; the silent leg's end comes by reconciliation") {
  Shard s(pair());
  s.venue_b->script(InstrumentId(1), {A::kSilent, A::kFill});
  s.venue_b->silent_then(A::kReject);  // asked later: it expired unfilled at the venue
  s.cross();
  REQUIRE(s.eventually([&] {
    const auto f = s.figures();
    return f.open == 1 && !f.open_sagas.empty() && f.open_sagas[0].legs_ended == 1;
  }));
  s.stop();  // down with the sell leg unanswered
  s.start();
  // The leg expired unfilled: hedging, but the restarted engine has no book yet -- the repair
  // waits for a price, then goes at a tick once the books are back.
  REQUIRE(s.eventually([&] {
    const auto f = s.figures();
    return f.open == 1 && f.open_sagas[0].state == SagaState::kHedging;
  }));
  CHECK(s.venue_b->orders().size() == 1);
  s.cross(300);
  REQUIRE(s.eventually([&] { return s.figures().closed == 1; }));
  const auto steps = s.ended_steps();
  const std::string text = detail(steps);
  INFO(text);
  CHECK(states(steps) == "legs_out#1 legs_out#2 hedging#3 hedging#4 closed#5");
  const auto f = s.figures();
  CHECK(f.opened == 1);
  CHECK(f.hedged == 1);
  CHECK(f.open == 0);
  REQUIRE(s.venue_b->orders().size() == 2);
  REQUIRE(steps.size() == 5);
  CHECK(steps[2].reason.view() == "repair waits for a price on its instrument");
  CHECK(s.venue_b->orders()[1].client_order_id == steps[3].repair_order);
}

TEST_CASE("engine sagas: stopped at each step with an order of it unanswered, a restart finishes every saga") {
  // Each case holds the saga at one step (the venue silent on one order), stops the engine,
  // starts it again on the same journal: the reconciliation brings the silent order's end
  // (expired unfilled) and the resumed saga goes on to its end.
  struct Case {
    const char* name;
    std::vector<A> a, b;    // the venues' scripts
    const char* held;       // the step the engine stops at
    const char* ends;       // every step, after the restart too
  };
  const Case cases[] = {
      {"both legs out", {A::kSilent}, {A::kSilent}, "legs_out#1", "legs_out#1 legs_out#2 missed#3"},
      {"one leg ended", {A::kFill}, {A::kSilent, A::kFill}, "legs_out#2",
       "legs_out#1 legs_out#2 hedging#3 hedging#4 closed#5"},
      {"a repair out", {A::kFill}, {A::kReject, A::kSilent, A::kFill}, "hedging#3",
       "legs_out#1 legs_out#2 hedging#3 hedging#4 hedging#5 closed#6"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Shard s(pair(LegRisk::kHedge, 2));
    s.venue_a->script(InstrumentId(0), c.a);
    s.venue_b->script(InstrumentId(1), c.b);
    s.venue_a->silent_then(A::kReject);
    s.venue_b->silent_then(A::kReject);
    s.cross();
    REQUIRE(s.eventually([&] {
      const auto f = s.figures();
      if (f.open != 1) return false;
      const auto& st = f.open_sagas[0];
      return std::string(enum_name(st.state)) + "#" + std::to_string(st.number) == c.held;
    }));
    s.stop();
    s.start();
    // The reconciliation ends the silent order; a repair then waits for the books.
    REQUIRE(s.eventually([&] {
      const auto f = s.figures();
      return f.open == 0 || (f.open_sagas[0].state == SagaState::kHedging && f.open_sagas[0].repair_order.empty());
    }));
    if (s.figures().open == 1) s.cross(300);  // the books again: the repair goes
    REQUIRE(s.eventually([&] { return s.figures().open == 0; }));
    const auto steps = s.ended_steps();
    const std::string text = detail(steps);
    INFO(text);
    CHECK(states(steps) == c.ends);
    CHECK(s.figures().opened == 1);
  }
}

TEST_CASE("engine sagas: a step recorded whose legs never reached the desks (a crash between) ends missed at the restart") {
  Shard s(pair());
  s.stop();
  // The step as the engine records it before its legs; the crash came before the legs.
  ArbSagaStep st;
  st.strategy = StrategyId(0);
  st.saga = 7;
  st.buy_account = AccountId(0);
  st.buy_instrument = InstrumentId(0);
  (void)st.buy_order.assign(format_client_order_id(ClientOrderId{1, AccountId(0), StrategyId(0), 7})->view());
  st.sell_account = AccountId(1);
  st.sell_instrument = InstrumentId(1);
  (void)st.sell_order.assign(format_client_order_id(ClientOrderId{1, AccountId(1), StrategyId(0), 8})->view());
  st.quantity = d("0.5");
  st.buy_price = d("100");
  st.sell_price = d("105");
  (void)st.reason.assign("legs out");
  {
    EventLog log(*s.journal, nullptr, s.directory);
    const EventPayload group[] = {st};
    REQUIRE(log.commit(Envelope{4242, 0, 1, 1, 0, 0}, group, 1).ok());
    REQUIRE(s.journal->flush(5s).ok());
  }
  s.start();
  REQUIRE(s.eventually([&] { return s.figures().missed == 1; }));
  const auto steps = s.ended_steps();
  CHECK(states(steps) == "legs_out#1 legs_out#2 missed#3");
  CHECK(s.venue_a->orders().empty());  // nothing sent on its account
  CHECK(s.venue_b->orders().empty());
  // Their ids are never drawn again: a new signal's legs take later sequences.
  s.cross(500);
  REQUIRE(s.eventually([&] { return s.figures().closed == 1; }));
  REQUIRE(s.venue_a->orders().size() == 1);
  const auto next = parse_client_order_id(s.venue_a->orders()[0].client_order_id.view());
  REQUIRE(next.has_value());
  CHECK(next->sequence > 8);
}

// ---- execution algos on the shard ------------------------------------------------------------
// A TWAP on instrument 0 (acct-a) under a test clock: its slices fire in the shard's timer steps,
// its children take the order path to the venue, its steps are recorded in STRATEGIES; the
// engine restarted between two slices resumes it from its last step and sends no slice twice.
namespace {

struct TestClock {
  std::shared_ptr<std::atomic<TimeNs>> now = std::make_shared<std::atomic<TimeNs>>(0);
  std::function<TimeNs()> fn() const {
    return [n = now] { return n->load(std::memory_order_acquire); };
  }
  void set(TimeNs t) const { now->store(t, std::memory_order_release); }
};

constexpr TimeNs kT0 = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC
constexpr TimeNs kSecond = 1'000'000'000;

Command algo_cmd(EventId id, CommandPayload p) { return Command{Envelope{id, 0, kT0, kT0, 0, id}, p}; }

SubmitAlgo twap_buy() {
  SubmitAlgo c;
  c.account = AccountId(0);
  c.strategy = StrategyId(0);
  c.instrument = InstrumentId(0);
  c.algo = 42;
  c.kind = AlgoKind::kTwap;
  c.side = Side::kBuy;
  c.quantity = d("0.010");
  c.start = kT0;
  c.end = kT0 + 3 * kSecond;
  c.slices = 3;
  return c;
}

std::vector<AlgoStep> algo_steps(Shard& s) {
  std::vector<AlgoStep> out;
  (void)s.journal->flush(5s);
  read_events(*s.journal,
              persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                       "strategies.recovery.algo"},
              s.directory, [&](const Event& e) {
                if (const auto* a = std::get_if<AlgoStep>(&e.payload)) out.push_back(*a);
              });
  return out;
}

std::optional<AlgoStep> algo(Shard& s, std::uint64_t id) {
  auto v = s.engine->algos(5s);
  REQUIRE(v.ok());
  for (const AlgoStep& a : *v) {
    if (a.algo == id) return a;
  }
  return std::nullopt;
}

ArbGroup quiet_pair() {
  ArbGroup g = pair();
  g.min_edge = d("1000000");  // never a signal
  return g;
}

}  // namespace

TEST_CASE("engine algos: a twap's slices on timer steps, children through the order path, a restart resumes it without a second slice") {
  TestClock clock;
  clock.set(kT0);
  Shard s(quiet_pair(), clock.fn());
  s.engine->market_data(kT0, Shard::snapshot(0, 100, "99", "100"));
  auto ack = s.engine->submit(algo_cmd(9001, twap_buy()), 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
  // Slice 1 at the start: 0.003 at the ask, IOC; the venue fills it.
  REQUIRE(s.eventually([&] {
    const auto a = algo(s, 42);
    return a && a->filled == d("0.003") && a->child.empty();
  }));
  REQUIRE(s.venue_a->orders().size() == 1);
  CHECK(s.venue_a->orders()[0].quantity == d("0.003"));
  CHECK(s.venue_a->orders()[0].price == d("100"));
  CHECK(s.venue_a->orders()[0].tif == TimeInForce::kIoc);
  CHECK(s.venue_a->orders()[0].strategy == StrategyId(0));
  // Slice 2 a second later.
  clock.set(kT0 + kSecond);
  REQUIRE(s.eventually([&] {
    const auto a = algo(s, 42);
    return a && a->filled == d("0.006") && a->child.empty();
  }));
  REQUIRE(s.venue_a->orders().size() == 2);
  CHECK(s.venue_a->orders()[1].quantity == d("0.003"));
  // Down between slices 2 and 3; up again still before slice 3: nothing is sent again.
  s.stop();
  clock.set(kT0 + kSecond + kSecond / 2);
  s.start();
  s.engine->market_data(kT0, Shard::snapshot(0, 200, "99", "100"));  // the book again
  const auto resumed = algo(s, 42);
  REQUIRE(resumed.has_value());
  CHECK(resumed->state == AlgoState::kRunning);
  CHECK(resumed->slice == 2);
  CHECK(resumed->filled == d("0.006"));
  std::this_thread::sleep_for(50ms);
  CHECK(s.venue_a->orders().size() == 2);
  clock.set(kT0 + 2 * kSecond);
  REQUIRE(s.eventually([&] {
    const auto a = algo(s, 42);
    return a && a->state == AlgoState::kCompleted;
  }));
  REQUIRE(s.venue_a->orders().size() == 3);
  CHECK(s.venue_a->orders()[2].quantity == d("0.004"));
  // Each child a new client order id.
  CHECK(s.venue_a->orders()[2].client_order_id != s.venue_a->orders()[1].client_order_id);
  const auto last = algo(s, 42);
  CHECK(last->filled == d("0.010"));
  CHECK(last->children == 3);
  // The steps, in STRATEGIES: submitted, each slice and each child's end, numbered from 1.
  const auto steps = algo_steps(s);
  REQUIRE(steps.size() == 7);
  for (std::size_t i = 0; i < steps.size(); ++i) CHECK(steps[i].number == i + 1);
  CHECK(steps[0].reason.str() == "submitted");
  CHECK(steps[1].reason.str() == "slice 1/3: 0.003 at 100");
  CHECK(steps[5].reason.str() == "slice 3/3: 0.004 at 100");
  CHECK(steps[6].state == AlgoState::kCompleted);
}

TEST_CASE("engine algos: pause holds the slices, resume sends what is due, cancel ends it; errors named") {
  TestClock clock;
  clock.set(kT0);
  Shard s(quiet_pair(), clock.fn());
  s.engine->market_data(kT0, Shard::snapshot(0, 100, "99", "100"));
  SubmitAlgo c = twap_buy();
  c.catch_up = d("2");
  REQUIRE(s.engine->submit(algo_cmd(9001, c), 5s)->accepted);
  REQUIRE(s.eventually([&] { return algo(s, 42)->filled == d("0.003"); }));
  auto ack = s.engine->submit(algo_cmd(9002, ControlAlgo{AccountId(0), 42, AlgoAction::kPause}), 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
  clock.set(kT0 + 3 * kSecond / 2);
  std::this_thread::sleep_for(50ms);
  CHECK(s.venue_a->orders().size() == 1);
  CHECK(algo(s, 42)->state == AlgoState::kPaused);
  REQUIRE(s.engine->submit(algo_cmd(9003, ControlAlgo{AccountId(0), 42, AlgoAction::kResume}), 5s)->accepted);
  REQUIRE(s.eventually([&] { return algo(s, 42)->filled == d("0.006"); }));
  REQUIRE(s.venue_a->orders().size() == 2);
  REQUIRE(s.engine->submit(algo_cmd(9004, ControlAlgo{AccountId(0), 42, AlgoAction::kCancel}), 5s)->accepted);
  CHECK(algo(s, 42)->state == AlgoState::kCanceled);
  auto again = s.engine->submit(algo_cmd(9005, ControlAlgo{AccountId(0), 42, AlgoAction::kResume}), 5s);
  REQUIRE(again.ok());
  CHECK_FALSE(again->accepted);
  CHECK(again->message == "algo 42 has ended (canceled)");
  auto none = s.engine->submit(algo_cmd(9006, ControlAlgo{AccountId(0), 7, AlgoAction::kPause}), 5s);
  CHECK(none->message == "no algo 7 of this account");
  SubmitAlgo bad = twap_buy();
  bad.algo = 43;
  bad.quantity = d("0.0105");
  auto refused = s.engine->submit(algo_cmd(9007, bad), 5s);
  CHECK_FALSE(refused->accepted);
  CHECK(refused->message == "quantity: 0.0105 is not a multiple of the lot step 0.001");
  clock.set(kT0 + 3 * kSecond);
  std::this_thread::sleep_for(50ms);
  CHECK(s.venue_a->orders().size() == 2);
}

TEST_CASE("engine algos: a vwap without a curve weighs its slices by the volume recorded at the same minutes of the day") {
  TestClock clock;
  constexpr TimeNs kMinute = 60 * kSecond;
  constexpr TimeNs kDay = 1440 * kMinute;
  clock.set(kT0);
  Shard s(quiet_pair(), clock.fn());
  SubmitAlgo v = twap_buy();
  v.kind = AlgoKind::kVwap;
  v.start = kT0 + kDay;
  v.end = kT0 + kDay + 2 * kMinute;
  v.slices = 2;
  // Nothing recorded yet: refused, naming the curve.
  auto none = s.engine->submit(algo_cmd(9101, v), 5s);
  REQUIRE(none.ok());
  CHECK_FALSE(none->accepted);
  CHECK(none->message == "curve: none given and no trades recorded at the window's times of day");
  // A day earlier: 1 traded in minute 0, 3 in minute 1 (and 5 in minute 3, outside the window).
  const auto trade = [&](TimeNs at, const char* qty, const char* id) {
    clock.set(at);
    TradePrinted t{};
    t.instrument = InstrumentId(0);
    (void)t.trade_id.assign(id);
    t.price = d("100");
    t.quantity = d(qty);
    s.engine->market_data(at, t);
    REQUIRE(s.engine->algos(5s).ok());  // the same ring: the trade is in once this answers
  };
  trade(kT0 + 30 * kSecond, "0.4", "t1");
  trade(kT0 + 40 * kSecond, "0.6", "t2");
  trade(kT0 + kMinute + 30 * kSecond, "3", "t3");
  trade(kT0 + 3 * kMinute, "5", "t4");
  clock.set(kT0 + kDay - kSecond);
  v.algo = 44;
  auto ack = s.engine->submit(algo_cmd(9102, v), 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
  const auto a = algo(s, 44);
  REQUIRE(a.has_value());
  REQUIRE(a->curve.count == 2);
  CHECK(a->curve.items[0] == 333'333);  // 1 of the busiest bucket's 3, scaled to 1,000,000
  CHECK(a->curve.items[1] == 1'000'000);
  CHECK(ExecAlgo(*a, AlgoRules{d("0.01"), d("0.001"), {}, {}}).target_through(0) == d("0.002"));  // 0.010 x 1/4
}

// ---- smart order routing ----------------------------------------------------------------------

namespace {

// BTC/USDT on two venues: instrument 0 on Binance (acct-a, taker 10 bp), instrument 1 on Bybit
// (acct-b, taker 5 bp), each with a book of two ask levels that the fees interleave.
struct SorShard {
  testkit::TempDir tmp{"engine-sor"};
  Directory directory = [] {
    Directory d;
    (void)d.accounts.intern("acct-a");
    (void)d.accounts.intern("acct-b");
    (void)d.strategies.intern("recovery");
    (void)d.instruments.intern("binance:spot:BTC/USDT");
    (void)d.instruments.intern("bybit:spot:BTC/USDT");
    return d;
  }();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBybit, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  InstrumentTable table = *InstrumentTable::from([] {
    std::vector<Instrument> out(2);
    for (std::uint32_t i = 0; i < 2; ++i) {
      out[i].id = InstrumentId(i);
      out[i].exchange = i == 0 ? ExchangeId::kBinance : ExchangeId::kBybit;
      out[i].symbol.base = "BTC";
      out[i].symbol.quote = "USDT";
      out[i].venue_symbol = "BTCUSDT";
    }
    return out;
  }());
  std::unique_ptr<EventLog> log;
  std::shared_ptr<IocVenue> venue_a = std::make_shared<IocVenue>(AccountId(0), ExchangeId::kBinance);
  std::shared_ptr<IocVenue> venue_b = std::make_shared<IocVenue>(AccountId(1), ExchangeId::kBybit);
  std::shared_ptr<RiskCore> risk = std::make_shared<RiskCore>(2, 1, 2);
  std::unique_ptr<Engine> engine;

  SorShard() {
    spdlog::set_level(spdlog::level::warn);
    auto j = persistence::FileJournal::open(tmp.path() / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    log = std::make_unique<EventLog>(*journal, nullptr, directory);
    EngineOptions o;
    o.ack_timeout = 200ms;
    o.books = {BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceSpot},
               BookCoreConfig{InstrumentId(1), BookSequencing::kBinanceSpot}};
    o.strategies = {EngineStrategy{StrategyId(0), StrategyKind::kOther, true}};
    o.algo_rules = {AlgoRules{d("0.01"), d("0.001"), d("0.001"), d("5")},
                    AlgoRules{d("0.01"), d("0.001"), d("0.001"), d("5")}};
    o.taker_fees = {d("0.001"), d("0.0005")};
    std::vector<EngineAccount> accounts{
        {AccountId(0), "acct-a", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"), venue_a, nullptr},
        {AccountId(1), "acct-b", persistence::StreamLayout::account_stream(ExchangeId::kBybit, "acct-b"), venue_b, nullptr}};
    accounts[1].exchange = ExchangeId::kBybit;
    engine = std::make_unique<Engine>(std::move(o), table, *log, *journal, nullptr, risk, std::move(accounts));
    venue_a->start([this](const VenueReport& r) { engine->report(AccountId(0), r); });
    venue_b->start([this](const VenueReport& r) { engine->report(AccountId(1), r); });
    engine->reconcile();
    engine->market_data(0, book(0, {{"100", "1"}, {"100.1", "2"}}));
    engine->market_data(0, book(1, {{"100.05", "1.5"}, {"100.2", "5"}}));
  }
  ~SorShard() {
    venue_a->stop();
    venue_b->stop();
    engine.reset();
    log.reset();
  }
  static BookSnapshot book(std::uint32_t instrument, std::initializer_list<std::pair<const char*, const char*>> asks) {
    BookSnapshot s{};
    s.instrument = InstrumentId(instrument);
    s.last_update_id = 100;
    (void)s.levels.push_back(BookLevel{BookSide::kBid, d("99"), d("10")});
    for (const auto& [p, q] : asks) (void)s.levels.push_back(BookLevel{BookSide::kAsk, d(p), d(q)});
    return s;
  }
  [[nodiscard]] std::vector<SorStep> steps() {
    std::vector<SorStep> out;
    (void)journal->flush(5s);
    read_events(*journal,
                persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                         "strategies.recovery.sor"},
                directory, [&](const Event& e) {
                  if (const auto* st = std::get_if<SorStep>(&e.payload)) out.push_back(*st);
                });
    return out;
  }
  [[nodiscard]] std::optional<SorStep> last() {
    const auto v = steps();
    if (v.empty()) return std::nullopt;
    return v.back();
  }
};

SubmitSor sor_buy(const char* qty, const char* limit = "0") {
  SubmitSor c;
  c.account = AccountId(0);
  c.strategy = StrategyId(0);
  c.instrument = InstrumentId(0);
  c.parent = 77;
  c.side = Side::kBuy;
  c.quantity = d(qty);
  c.limit_price = d(limit);
  (void)c.accounts.push_back(SorBudget{AccountId(0), 10});
  (void)c.accounts.push_back(SorBudget{AccountId(1), 10});
  return c;
}

}  // namespace

TEST_CASE("engine sor: a parent split over two venues' books net of fees; children filled -> completed, avg from them") {
  SorShard s;
  auto ack = s.engine->submit(algo_cmd(9101, sor_buy("3")), 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
  CHECK(ack->message == "parent 77: split: 2 children, planned 3 at avg 100.041666666, left 0");
  // Fee-inclusive: A 100 (100.1), B 100.05 (100.100025), A 100.1 (100.2001), B 100.2 (100.2501).
  const bool completed = testkit::eventually([&] {
    const auto l = s.last();
    return l && l->state == AlgoState::kCompleted;
  });
  REQUIRE(completed);
  REQUIRE(s.venue_a->orders().size() == 1);
  REQUIRE(s.venue_b->orders().size() == 1);
  const OrderSubmitted a = s.venue_a->orders()[0];
  const OrderSubmitted b = s.venue_b->orders()[0];
  CHECK(a.quantity == d("1.5"));
  CHECK(a.price == d("100.1"));
  CHECK(a.tif == TimeInForce::kIoc);
  CHECK(a.instrument == InstrumentId(0));
  CHECK(b.quantity == d("1.5"));
  CHECK(b.price == d("100.05"));
  CHECK(b.instrument == InstrumentId(1));
  CHECK(b.account == AccountId(1));
  const auto steps = s.steps();
  REQUIRE(steps.size() == 3);  // the split, two ends
  CHECK(steps[0].number == 1);
  CHECK(steps[0].state == AlgoState::kRunning);
  CHECK(steps[0].planned == d("3"));
  CHECK(steps[0].reason.str() == "split: 2 children, planned 3 at avg 100.041666666, left 0");
  REQUIRE(steps[0].children.count == 2);
  CHECK(steps[0].children.items[0].client_order_id == a.client_order_id);
  CHECK(steps[0].children.items[1].client_order_id == b.client_order_id);
  const SorStep& done = steps.back();
  CHECK(done.number == 3);
  CHECK(done.filled == d("3"));
  // The scripted venue fills at the child's limit: 1.5 x 100.1 + 1.5 x 100.05 = 300.225.
  const SmartOrder parent(done);
  CHECK(parent.avg_price() == d("100.075"));
  CHECK(done.children.items[0].ended);
  CHECK(done.children.items[1].filled == d("1.5"));
  // The list view (ListAlgos' parents): the ended parent as its last step.
  const auto views = s.engine->sors(5s);
  REQUIRE(views.ok());
  REQUIRE(views->size() == 1);
  CHECK(views->front() == done);
}

TEST_CASE("engine sor: cancel parent cancels the children out; refusals carry 32xx codes") {
  SorShard s;
  s.venue_a->script(InstrumentId(0), {IocVenue::Answer::kSilent});
  s.venue_b->script(InstrumentId(1), {IocVenue::Answer::kSilent});
  REQUIRE(s.engine->submit(algo_cmd(9101, sor_buy("3")), 5s)->accepted);
  REQUIRE(testkit::eventually([&] {
    return s.venue_a->orders().size() == 1 && s.venue_b->orders().size() == 1;
  }));
  // The list view while it runs: its first step, both children out.
  auto running = s.engine->sors(5s);
  REQUIRE(running.ok());
  REQUIRE(running->size() == 1);
  CHECK(running->front().state == AlgoState::kRunning);
  CHECK(running->front().parent == 77);
  CHECK(running->front().children.count == 2);
  CHECK(!running->front().children.items[0].ended);
  auto ack = s.engine->submit(algo_cmd(9102, ControlAlgo{AccountId(0), 77, AlgoAction::kCancel}), 5s);
  REQUIRE(ack.ok());
  CHECK(ack->accepted);
  REQUIRE(testkit::eventually([&] {
    const auto l = s.last();
    return l && l->state == AlgoState::kCanceled && l->children.items[0].ended && l->children.items[1].ended;
  }));
  REQUIRE(s.venue_a->cancels().size() == 1);
  REQUIRE(s.venue_b->cancels().size() == 1);
  CHECK(s.venue_a->cancels()[0].client_order_id == s.venue_a->orders()[0].client_order_id);
  CHECK(s.venue_b->cancels()[0].client_order_id == s.venue_b->orders()[0].client_order_id);
  const auto steps = s.steps();
  REQUIRE(steps.size() == 4);
  CHECK(steps[1].reason.str() == "canceled: 2 children out cancelled");
  CHECK(steps.back().filled == d("0"));
  const auto ended = s.engine->sors(5s);
  REQUIRE(ended.ok());
  REQUIRE(ended->size() == 1);
  CHECK(ended->front() == steps.back());
  // Again: it has ended.
  ack = s.engine->submit(algo_cmd(9103, ControlAlgo{AccountId(0), 77, AlgoAction::kCancel}), 5s);
  CHECK(!ack->accepted);
  CHECK(ack->code == 3207);
  // The same parent id again: a retry, nothing new.
  ack = s.engine->submit(algo_cmd(9104, sor_buy("3")), 5s);
  CHECK(ack->duplicate);
  // A limit under every ask: nothing to route.
  SubmitSor low = sor_buy("1", "99.5");
  low.parent = 78;
  ack = s.engine->submit(algo_cmd(9105, low), 5s);
  CHECK(!ack->accepted);
  CHECK(ack->code == 3205);
  // No account of the parent's on any venue.
  SubmitSor none = sor_buy("1");
  none.parent = 79;
  none.accounts = {};
  ack = s.engine->submit(algo_cmd(9106, none), 5s);
  CHECK(!ack->accepted);
  CHECK(ack->code == 3211);
  CHECK(s.venue_a->orders().size() == 1);
}
