// The engine's arbitrage sagas end to end on the shard (file journal, a venue whose IOC answers
// are scripted per order): the saga's steps recorded in STRATEGIES before its orders, both legs
// filled -> closed; a leg the venue rejects -> hedged on the other venue; a hedge that misses
// -> unwound; a leg refused before either leaves -> nothing sent; and a saga resumed after a
// restart from its recorded steps, its leg's end found by the reconciliation.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "oms/actors/engine.hpp"
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
  explicit IocVenue(AccountId account) : account_(account) {}

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
      BalanceUpdated b{account_, ExchangeId::kBinance, Market::kSpot, {}, d(amount), {}};
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
  void cancel(const CancelOrder&) override {}
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
  std::shared_ptr<RiskCore> risk = std::make_shared<RiskCore>(2, 1, 2);

  explicit Shard(ArbGroup g) : group(std::move(g)) {
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
