// Benchmarks of the engine (actors/engine.hpp), the one order path:
//   engine_order_path  a SubmitOrder pushed on the shard's input ring -> risk (200 accounts x 10
//                      strategies x 50 instruments, every limit set) -> OrderDesk (balance check,
//                      locks) -> commit (group ids, JSON, intent log append in /dev/shm, the
//                      store's append: an in-memory store that acknowledges at once) -> fold ->
//                      the venue request handed to the account's session. One order at a time;
//                      each order's own timestamps (pushed, handed over: steady_clock on both
//                      threads), so p50/p99/p99.9 are of single orders, not batch means. The shard
//                      busy-polls (a production box's isolated core); the producer spins on the
//                      session's counter, so no wake-up is in the figure.
//   md_record          recording one market-data input on the shard, as Engine::Impl::emit does:
//                      a 30-level depth-diff chunk encoded as an input record and handed to the
//                      event log (intent log append in /dev/shm, the publisher's queue). p50/p99
//                      are of 16-record batch means (perf/latency.hpp). What recording adds to a
//                      tick's path, beside tick_to_order's p50 (md_record_overhead_ratio's
//                      denominator).
//   strategies_tick_to_order
//                      both strategies running on 10 instruments: five arbitrage pairs (each a
//                      saga) and a market maker quoting every instrument (two levels a side).
//                      A depth snapshot pushed on the shard's ring -> book -> top -> the saga's
//                      pre-trade checks, its step committed, both legs through risk, the desk and
//                      the commit -> the first leg handed to the session; the quoters decide on
//                      the same top after it. Each tick crosses one pair (rotating), so every
//                      timed tick opens a saga; the venue stand-in answers each leg at once
//                      (expired unfilled: the saga ends missed and frees its pair), each quote
//                      accepted, each cancel confirmed. Per-tick timestamps (pushed, first order
//                      handed over: steady_clock on both threads), busy-polling shard.
//   core_throughput    risk check + OrderDesk decide + apply of one new order on one core, no
//                      commit (the decisions alone), then the fold of the venue's cancel of it
//                      (so no account piles up open orders): orders/s over 200,000 orders.
//   algo_slice         an execution algo's slice (exec_algo.hpp): a TWAP of 5,000 slices a virtual
//                      second apart on one account; the producer moves the engine's clock to the
//                      next slice's time -> the shard's timer step fires it -> the algo decides the
//                      child, its step committed, the child through risk, the desk and the commit
//                      -> handed to the session. The venue stand-in expires each IOC child at once
//                      (on the shard's thread, as a report); the producer waits for the algo to
//                      hear it before the next slice (by the journal's lock-free count of the
//                      events committed after 3 warm-up slices, which are left out). Per-slice
//                      timestamps (clock moved, child handed over: steady_clock on both threads),
//                      busy-polling shard.
// Orders rotate over a seeded random set, as in risk_bench (risk_setup.hpp).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "oms/actors/engine.hpp"
#include "latency.hpp"
#include "oms/actors/input_record.hpp"
#include "oms/cores/event_group.hpp"
#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "risk_setup.hpp"

namespace {

using namespace oms;
using namespace oms::perf::desk;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// As omsd's CPU plan does (--cpu-plan engine=1,daemon=0): the calling thread -- the producer --
// on CPU 0 before any other thread starts, so that every thread but the shard's (the journal's
// publisher included) inherits CPU 0 and the shard has CPU 1 to itself. Unpinned, the
// publisher's 200 us polls preempted the busy-polling shard (the tail figures' stalls).
// Whether there are two CPUs (else the shard spins then parks beside the producer).
bool pin_like_the_cpu_plan() {
  const bool two_cpus = std::thread::hardware_concurrency() >= 2;
  if (two_cpus) (void)actors::pin_current_thread(0);
  return two_cpus;
}

std::vector<Instrument> instruments() {
  std::vector<Instrument> out;
  for (std::uint32_t i = 0; i < kInstruments; ++i) {
    Instrument in;
    in.id = InstrumentId(i);
    in.exchange = ExchangeId::kBinance;
    in.market = Market::kSpot;
    in.venue_symbol = "SYM" + std::to_string(i) + "USDT";
    in.symbol.base = "SYM" + std::to_string(i);
    in.symbol.quote = "USDT";
    out.push_back(std::move(in));
  }
  return out;
}

// A store that acknowledges every append at once (the shard's cost without a server's).
class NullStore final : public persistence::EventStore {
 public:
  Result<std::string, persistence::StoreError> stream_for(std::string_view) const override {
    return std::string("BENCH");
  }
  void append(persistence::AppendRecord, persistence::AppendCallback done) override { done(++seq_); }
  Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds) override { return Unit{}; }
  Result<std::uint64_t, persistence::StoreError> read(const persistence::ReadRequest&,
                                                      const persistence::RecordVisitor&) override {
    return std::uint64_t{0};
  }
  Result<std::unique_ptr<persistence::Subscription>, persistence::StoreError> tail(
      const persistence::ReadRequest&, persistence::RecordVisitor) override {
    return Unexpected(persistence::StoreError{persistence::StoreErrorCode::kInvalid, "no tail"});
  }
  Result<std::uint64_t, persistence::StoreError> last_sequence(std::string_view) override {
    return seq_;
  }
  Result<std::vector<persistence::DayStart>, persistence::StoreError> day_index(std::string_view) override {
    return std::vector<persistence::DayStart>{};
  }

 private:
  std::uint64_t seq_ = 0;
};

// An intent log in /dev/shm for one benchmark, removed whichever way the run ends (memory).
class ShmIntentLog {
 public:
  explicit ShmIntentLog(const std::string& name)
      : path_("/dev/shm/oms-bench-" + name + "-" + std::to_string(::getpid()) + ".log") {
    auto l = persistence::IntentLog::open(path_);
    if (!l) std::abort();
    log_ = std::move(l).value();
  }
  ~ShmIntentLog() {
    log_.reset();
    ::unlink(path_.c_str());
  }
  ShmIntentLog(const ShmIntentLog&) = delete;
  ShmIntentLog& operator=(const ShmIntentLog&) = delete;
  [[nodiscard]] persistence::IntentLog* get() const { return log_.get(); }

 private:
  std::string path_;
  std::unique_ptr<persistence::IntentLog> log_;
};

// The session's stand-in: when each order was handed over (shard thread), counted.
class TimingSession final : public ExchangeSession {
 public:
  explicit TimingSession(std::vector<std::int64_t>* handed) : handed_(handed) {}
  void start(ReportSink) override {}
  void stop() override {}
  void place(const OrderSubmitted&, const SendOrigin&) override {
    const auto n = count_.load(std::memory_order_relaxed);
    if (n < handed_->size()) (*handed_)[n] = steady_ns();
    // release: the timestamp is written before the producer sees the count.
    count_.store(n + 1, std::memory_order_release);
  }
  void cancel(const CancelOrder&) override {}
  void amend(const AmendOrder&) override {}
  void query(AccountId, InstrumentId, const ClientOrderIdText&) override {}
  [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_acquire); }

 private:
  std::vector<std::int64_t>* handed_;
  std::atomic<std::uint64_t> count_{0};
};

Command submit_of(const OrderRequest& r, std::size_t k) {
  SubmitOrder o{};
  o.account = r.account;
  o.strategy = r.strategy;
  o.instrument = r.instrument;
  (void)o.client_order_id.assign("B" + std::to_string(k));
  o.side = r.side;
  o.price = r.price;
  o.quantity = r.quantity;
  return Command{Envelope{k + 1, 0, 1, 1, 0, k + 1}, o};
}

double percentile(std::vector<std::int64_t> v, double q) {
  const auto rank = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))), 1, v.size());
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return static_cast<double>(v[rank - 1]);
}

// Every account funded (USDT and each base), so the desk's balance check passes; the sum of
// the accounts' equity stays inside risk's global figure (bounded at 2^120 raw, far beyond).
void fund(actors::Engine& engine) {
  for (std::uint16_t a = 0; a < kAccounts; ++a) {
    for (std::uint32_t i = 0; i <= kInstruments; ++i) {
      BalanceUpdated b{};
      b.account = AccountId(a);
      (void)b.asset.assign(i == kInstruments ? std::string("USDT") : "SYM" + std::to_string(i));
      b.free = units(i == kInstruments ? 10'000'000 : 100'000);
      engine.report(AccountId(a), VenueReport{(std::uint64_t{a} << 20U) + i + 1, 1, b});
    }
  }
}

void bench_engine_order_path(benchmark::State& state) {
  constexpr std::size_t kOrdersTimed = 20'000;
  spdlog::set_level(spdlog::level::warn);  // stdout carries the benchmark's JSON
  std::mt19937 rng(kSeed);
  auto risk = std::make_shared<RiskCore>(kAccounts, kStrategies, kInstruments);
  set_limits(*risk);
  hold_positions(*risk, rng);
  const auto reqs = orders(rng);

  const auto ins = instruments();
  auto table = actors::InstrumentTable::from(ins);
  if (!table) std::abort();
  Directory directory;
  for (std::size_t a = 0; a < kAccounts; ++a) (void)directory.accounts.intern("acct-" + std::to_string(a));
  for (std::size_t s = 0; s < kStrategies; ++s) (void)directory.strategies.intern("s" + std::to_string(s));
  for (const auto& i : ins) (void)directory.instruments.intern("binance:spot:" + i.symbol.to_string());
  NullStore store;
  ShmIntentLog intents("engine");
  const bool two_cpus = pin_like_the_cpu_plan();
  actors::EventLog log(store, intents.get(), directory);

  std::vector<std::int64_t> handed(kOrdersTimed, 0);
  auto session = std::make_shared<TimingSession>(&handed);
  std::vector<actors::EngineAccount> accounts;
  for (std::uint16_t a = 0; a < kAccounts; ++a) {
    const auto name = "acct-" + std::to_string(a);
    accounts.push_back({AccountId(a), name,
                        persistence::StreamLayout::account_stream(ExchangeId::kBinance, name), session,
                        nullptr});
  }
  actors::EngineOptions o;
  o.ack_timeout = std::chrono::minutes(10);  // no timer fires during the run
  // The shard busy-polls on its own CPU and the producer spins on another (perf/run pins the
  // process to one CPU: both spinning there would measure the scheduler's time slices).
  o.wait = two_cpus ? actors::WaitMode::kBusyPoll : actors::WaitMode::kSpinThenPark;
  o.cpu = two_cpus ? 1 : -1;
  {
    actors::Engine engine(std::move(o), *table, log, store, nullptr, risk, std::move(accounts));
    engine.reconcile();
    fund(engine);
    // The view goes through the same ring as the funding: once it answers, all are folded
    // (while the ring is still full it is refused as busy: ask again).
    auto v = engine.view(AccountId(kAccounts - 1), std::chrono::seconds(120));
    for (int i = 0; !v && i < 10'000; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      v = engine.view(AccountId(kAccounts - 1), std::chrono::seconds(120));
    }
    if (!v) {
      state.SkipWithError(("funding not folded: " + v.error()).c_str());
      return;
    }
    std::vector<std::int64_t> pushed(kOrdersTimed, 0);
    std::size_t k = 0;
    for (auto _ : state) {
      if (k == kOrdersTimed) break;
      const Command c = submit_of(reqs[k & (kOrders - 1)], k);
      pushed[k] = steady_ns();
      (void)engine.submit(c, std::chrono::milliseconds(0));  // no wait: timed by the session
      const auto deadline = steady_ns() + 1'000'000'000;
      while (session->count() <= k) {
        if (steady_ns() > deadline) {
          // Refused (the answer says why) or lost: the figure would be wrong, so stop.
          const auto ack = engine.submit(c, std::chrono::seconds(5));

          state.SkipWithError(("order " + std::to_string(k) + " did not reach the session: " +
                               (ack ? std::to_string(ack->code) + " " + ack->message + " (" + std::string(enum_name(ack->status)) + ")" : ack.error()))
                                  .c_str());
          break;
        }
      }
      if (session->count() <= k) break;
      ++k;
    }
    std::vector<std::int64_t> lat;
    for (std::size_t i = 0; i < k; ++i) lat.push_back(handed[i] - pushed[i]);
    if (lat.size() < kOrdersTimed) {
      state.SkipWithError("not every order reached the session");
    } else {
      state.counters["p50_ns"] = percentile(lat, 0.50);
      state.counters["p99_ns"] = percentile(lat, 0.99);
      state.counters["p999_ns"] = percentile(lat, 0.999);
    }
  }
}

// The venue's stand-in for strategies_tick_to_order: the time of the first order after each
// tick; every IOC expires unfilled, every other order is accepted, every cancel confirmed --
// answered at once on the shard's thread (as reports), so sagas end and quoters requote.
class AnsweringSession final : public ExchangeSession {
 public:
  AnsweringSession(actors::Engine** engine, AccountId account, std::vector<std::int64_t>* first)
      : engine_(engine), account_(account), first_(first) {}
  void start(ReportSink) override {}
  void stop() override {}
  void place(const OrderSubmitted& o, const SendOrigin& origin) override {
    // The tick's own orders: its input carries the tick's number as its receive stamp.
    const auto tick = tick_.load(std::memory_order_acquire);
    if (origin.kind == SendOriginKind::kMarketData && tick > 0 &&
        origin.received_ns == static_cast<TimeNs>(tick) && tick <= first_->size() &&
        (*first_)[tick - 1] == 0) {
      (*first_)[tick - 1] = steady_ns();
      // release: the timestamp is written before the producer sees the tick answered.
      answered_.store(tick, std::memory_order_release);
    }
    VenueOrderId vid;
    (void)vid.assign("V" + std::to_string(++serial_));
    report(OrderAccepted{o.account, o.instrument, o.client_order_id, vid});
    if (o.tif == TimeInForce::kIoc) report(OrderExpired{o.account, o.instrument, o.client_order_id, {}});
  }
  void cancel(const CancelOrder& c) override {
    report(OrderCanceled{c.account, c.instrument, c.client_order_id, {}});
  }
  void amend(const AmendOrder&) override {}
  void query(AccountId, InstrumentId, const ClientOrderIdText&) override {}
  // The producer: tick k (from 1) pushed; answered() == k once its first order was handed over.
  void ticked(std::uint64_t k) { tick_.store(k, std::memory_order_release); }
  [[nodiscard]] std::uint64_t answered() const { return answered_.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint64_t orders() const { return serial_; }

 private:
  void report(EventPayload p) {
    (*engine_)->report(account_, VenueReport{(std::uint64_t{1} << 62U) | (std::uint64_t{account_.index()} << 48U) | ++report_id_, 1, p});
  }
  actors::Engine** engine_;
  AccountId account_;
  std::vector<std::int64_t>* first_;
  std::atomic<std::uint64_t> tick_{0}, answered_{0};
  std::uint64_t serial_ = 0, report_id_ = 0;
};

void bench_strategies_tick_to_order(benchmark::State& state) {
  constexpr std::size_t kTicks = 5'000;
  constexpr std::uint32_t kSymbols = 10;
  spdlog::set_level(spdlog::level::err);  // stdout carries the benchmark's JSON
  std::vector<Instrument> ins;
  for (std::uint32_t i = 0; i < kSymbols; ++i) {
    Instrument in;
    in.id = InstrumentId(i);
    in.venue_symbol = "SYM" + std::to_string(i / 2) + "USDT";
    in.symbol.base = "SYM" + std::to_string(i / 2);
    in.symbol.quote = "USDT";
    in.market = i % 2 == 0 ? Market::kSpot : Market::kUsdm;  // a pair: spot and its perpetual
    if (in.market == Market::kUsdm) in.symbol.settle = "USDT";
    in.rules.tick_size = Decimal::from_raw(10'000'000);     // 0.01
    in.rules.step_size = Decimal::from_raw(1'000'000);       // 0.001
    ins.push_back(std::move(in));
  }
  auto table = actors::InstrumentTable::from(ins);
  if (!table) std::abort();
  Directory directory;
  for (const char* a : {"arb-spot", "arb-usdm", "mm"}) (void)directory.accounts.intern(a);
  (void)directory.strategies.intern("arbitrage");
  (void)directory.strategies.intern("market_making");
  for (const auto& i : ins) {
    (void)directory.instruments.intern(std::string("binance:") + (i.market == Market::kSpot ? "spot:" : "usdm:") +
                                       i.symbol.to_string());
  }
  NullStore store;
  ShmIntentLog intents("strategies");
  const bool two_cpus = pin_like_the_cpu_plan();
  actors::EventLog log(store, intents.get(), directory);
  std::vector<std::int64_t> first(kTicks, 0);
  actors::Engine* engine_ptr = nullptr;
  std::vector<std::shared_ptr<AnsweringSession>> sessions;
  std::vector<actors::EngineAccount> accounts;
  for (std::uint16_t a = 0; a < 3; ++a) {
    sessions.push_back(std::make_shared<AnsweringSession>(&engine_ptr, AccountId(a), &first));
    const std::string name(directory.accounts.name(AccountId(a)));
    accounts.push_back({AccountId(a), name, persistence::StreamLayout::account_stream(ExchangeId::kBinance, name),
                        sessions.back(), nullptr});
  }
  actors::EngineOptions o;
  o.ack_timeout = std::chrono::minutes(10);
  o.wait = two_cpus ? actors::WaitMode::kBusyPoll : actors::WaitMode::kSpinThenPark;
  o.cpu = two_cpus ? 1 : -1;
  o.strategies = {actors::EngineStrategy{StrategyId(0), actors::StrategyKind::kArbitrage, true},
                  actors::EngineStrategy{StrategyId(1), actors::StrategyKind::kMarketMaking, true}};
  for (std::uint32_t i = 0; i < kSymbols; ++i) {
    o.books.push_back(BookCoreConfig{InstrumentId(i), BookSequencing::kBinanceSpot});
    actors::QuoterConfig q;
    q.strategy = StrategyId(1);
    q.account = AccountId(2);
    q.instrument = InstrumentId(i);
    q.tick = ins[i].rules.tick_size;
    q.lot = ins[i].rules.step_size;
    q.spread_bps = units(20);
    q.quote_size = Decimal::from_raw(10'000'000);  // 0.01
    q.levels = 2;
    q.level_step_bps = units(10);
    q.max_inventory = units(1);
    q.requote_bps = units(1);
    o.quoters.push_back(q);
  }
  for (std::uint32_t g = 0; g < kSymbols / 2; ++g) {
    actors::ArbGroup a;
    a.legs = {actors::ArbLeg{InstrumentId(2 * g), AccountId(0), {}, Decimal::from_raw(1'000'000), Decimal::from_raw(10'000'000), {}, {}},
              actors::ArbLeg{InstrumentId(2 * g + 1), AccountId(1), {}, Decimal::from_raw(1'000'000), Decimal::from_raw(10'000'000), {}, {}}};
    a.strategy = StrategyId(0);
    a.min_edge = Decimal::from_raw(10'000'000);  // 0.01
    a.max_quantity = Decimal::from_raw(10'000'000);
    a.cooldown = 0;
    a.saga.band_rate = Decimal::from_raw(1'000'000);
    o.arbitrage.push_back(a);
  }
  auto risk = std::make_shared<RiskCore>(3, 2, kSymbols);
  {
    actors::Engine engine(std::move(o), *table, log, store, nullptr, risk, std::move(accounts));
    engine_ptr = &engine;
    engine.reconcile();
    for (std::uint16_t a = 0; a < 3; ++a) {
      for (std::uint32_t i = 0; i <= kSymbols / 2; ++i) {
        BalanceUpdated b{};
        b.account = AccountId(a);
        b.market = Market::kSpot;
        (void)b.asset.assign(i == kSymbols / 2 ? std::string("USDT") : "SYM" + std::to_string(i));
        b.free = units(1'000'000);
        engine.report(AccountId(a), VenueReport{(std::uint64_t{a} << 20U) + i + 1, 1, b});
        b.market = Market::kUsdm;
        engine.report(AccountId(a), VenueReport{(std::uint64_t{a} << 20U) + 1000 + i, 1, b});
      }
    }
    if (!engine.view(AccountId(2), std::chrono::seconds(30))) {
      state.SkipWithError("funding not folded");
      return;
    }
    // Every book live, quoted around 100.
    std::uint64_t update = 1;
    const auto book = [&](std::uint32_t i, std::int64_t bid_cents, std::int64_t ask_cents, TimeNs tag) {
      BookSnapshot s{};
      s.instrument = InstrumentId(i);
      s.last_update_id = ++update;
      (void)s.levels.push_back(BookLevel{BookSide::kBid, Decimal::from_raw(Int128{bid_cents} * 10'000'000), units(5)});
      (void)s.levels.push_back(BookLevel{BookSide::kAsk, Decimal::from_raw(Int128{ask_cents} * 10'000'000), units(5)});
      engine.market_data(0, s, tag);
    };
    for (std::uint32_t i = 0; i < kSymbols; ++i) book(i, 9'990, 10'000, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<std::int64_t> pushed(kTicks, 0);
    std::size_t k = 0;
    for (auto _ : state) {
      if (k == kTicks) break;
      // Pair k % 5: the perpetual's bid moves above the spot ask (by 5 to 14 cents): a saga.
      const std::uint32_t g = static_cast<std::uint32_t>(k % (kSymbols / 2));
      const std::int64_t bid = 10'005 + static_cast<std::int64_t>(k % 10);
      for (auto& sn : sessions) sn->ticked(k + 1);
      pushed[k] = steady_ns();
      book(2 * g + 1, bid, bid + 10, static_cast<TimeNs>(k + 1));
      const auto deadline = steady_ns() + 1'000'000'000;
      const auto answered = [&] {
        for (const auto& sn : sessions) {
          if (sn->answered() == k + 1) return true;
        }
        return false;
      };
      while (!answered()) {
        if (steady_ns() > deadline) {
          auto why = engine.strategy(StrategyId(0), std::chrono::seconds(5));
          std::string text = "tick " + std::to_string(k) + " sent no order";
          if (why) {
            text += " (sagas open " + std::to_string((*why)->sagas.open) + ", refused " +
                    std::to_string((*why)->sagas.refused) + ": " + (*why)->sagas.last_refusal + ")";
          }
          state.SkipWithError(text.c_str());
          break;
        }
      }
      if (!answered()) break;
      // The legs' answers and the quoters' requotes settle before the next tick.
      const auto settle = steady_ns() + 200'000;
      while (steady_ns() < settle) {
      }
      ++k;
    }
    std::vector<std::int64_t> lat;
    for (std::size_t i = 0; i < k; ++i) lat.push_back(first[i] - pushed[i]);
    if (lat.size() == kTicks) {
      state.counters["p50_ns"] = percentile(lat, 0.50);
      state.counters["p99_ns"] = percentile(lat, 0.99);
      state.counters["p999_ns"] = percentile(lat, 0.999);
      std::uint64_t orders = 0;
      for (const auto& sn : sessions) orders += sn->orders();
      state.counters["orders"] = static_cast<double>(orders);
    }
    auto sv = engine.strategy(StrategyId(0), std::chrono::seconds(5));
    if (sv) state.counters["sagas"] = static_cast<double>((*sv)->sagas.opened);
    engine_ptr = nullptr;
  }
}

// The venue's stand-in for algo_slice: when each child was handed over; each IOC expires at once.
class SliceSession final : public ExchangeSession {
 public:
  SliceSession(actors::Engine** engine, std::vector<std::int64_t>* handed) : engine_(engine), handed_(handed) {}
  void start(ReportSink) override {}
  void stop() override {}
  void place(const OrderSubmitted& o, const SendOrigin&) override {
    const auto n = count_.load(std::memory_order_relaxed);
    if (n < handed_->size()) (*handed_)[n] = steady_ns();
    // release: the timestamp is written before the producer sees the count.
    count_.store(n + 1, std::memory_order_release);
    VenueOrderId vid;
    (void)vid.assign("V" + std::to_string(n));
    report(OrderAccepted{o.account, o.instrument, o.client_order_id, vid});
    report(OrderExpired{o.account, o.instrument, o.client_order_id, {}});
  }
  void cancel(const CancelOrder&) override {}
  void amend(const AmendOrder&) override {}
  void query(AccountId, InstrumentId, const ClientOrderIdText&) override {}
  [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_acquire); }

 private:
  void report(EventPayload p) {
    (*engine_)->report(AccountId(0), VenueReport{(std::uint64_t{1} << 62U) | ++report_id_, 1, p});
  }
  actors::Engine** engine_;
  std::vector<std::int64_t>* handed_;
  std::atomic<std::uint64_t> count_{0};
  std::uint64_t report_id_ = 0;
};

void bench_algo_slice(benchmark::State& state) {
  constexpr std::uint32_t kSlices = 5'000;
  constexpr TimeNs kT0 = 1'723'075'200'000'000'000;
  constexpr TimeNs kSecond = 1'000'000'000;
  spdlog::set_level(spdlog::level::err);  // stdout carries the benchmark's JSON
  Instrument in;
  in.id = InstrumentId(0);
  in.venue_symbol = "SYM0USDT";
  in.symbol.base = "SYM0";
  in.symbol.quote = "USDT";
  in.rules.tick_size = Decimal::from_raw(10'000'000);  // 0.01
  in.rules.step_size = Decimal::from_raw(1'000'000);   // 0.001
  const std::vector<Instrument> ins{in};
  auto table = actors::InstrumentTable::from(ins);
  if (!table) std::abort();
  Directory directory;
  (void)directory.accounts.intern("algo");
  (void)directory.strategies.intern("execution");
  (void)directory.instruments.intern("binance:spot:SYM0/USDT");
  NullStore store;
  ShmIntentLog intents("algo");
  const bool two_cpus = pin_like_the_cpu_plan();
  actors::EventLog log(store, intents.get(), directory);
  std::vector<std::int64_t> handed(kSlices, 0);
  actors::Engine* engine_ptr = nullptr;
  auto session = std::make_shared<SliceSession>(&engine_ptr, &handed);
  auto clock = std::make_shared<std::atomic<TimeNs>>(kT0 - kSecond);
  actors::EngineOptions o;
  o.ack_timeout = std::chrono::hours(24 * 30);  // no ack timer fires during the run
  o.clock = [clock] { return clock->load(std::memory_order_acquire); };
  o.wait = two_cpus ? actors::WaitMode::kBusyPoll : actors::WaitMode::kSpinThenPark;
  o.cpu = two_cpus ? 1 : -1;
  o.algo_rules = {actors::AlgoRules{in.rules.tick_size, in.rules.step_size, {}, {}}};
  auto risk = std::make_shared<RiskCore>(1, 1, 1);
  {
    actors::Engine engine(std::move(o), *table, log, store, nullptr, risk,
                          {{AccountId(0), "algo", persistence::StreamLayout::account_stream(ExchangeId::kBinance, "algo"),
                            session, nullptr}});
    engine_ptr = &engine;
    engine.reconcile();
    BalanceUpdated b{};
    b.account = AccountId(0);
    (void)b.asset.assign("USDT");
    b.free = units(100'000'000);
    engine.report(AccountId(0), VenueReport{1, 1, b});
    SubmitAlgo a;
    a.account = AccountId(0);
    a.strategy = StrategyId(0);
    a.instrument = InstrumentId(0);
    a.algo = 1;
    a.side = Side::kBuy;
    a.quantity = Decimal::from_raw(Int128{kSlices} * 1'000'000);  // a lot a slice
    a.limit_price = units(100);
    a.start = kT0;
    a.end = kT0 + kSlices * kSecond;
    a.slices = kSlices;
    const auto ack = engine.submit(Command{Envelope{7, 0, kT0, kT0, 0, 7}, a}, std::chrono::seconds(5));
    if (!ack || !ack->accepted) {
      state.SkipWithError(("algo not accepted: " + (ack ? ack->message : ack.error())).c_str());
      return;
    }
    // The algo has heard its child's end (no child out) and waits for its next slice. Asked of
    // the shard (a question answered through a condition variable) only for the first kWarmup
    // slices: answering wakes this thread with a futex call on the shard, which then ran into
    // the next slice's window. After them the producer waits for the events a slice commits,
    // counted by the journal without a lock (the count per slice measured over the warm-up,
    // checked at the end).
    constexpr std::size_t kWarmup = 3;
    const auto idle = [&] {
      const auto v = engine.algos(std::chrono::seconds(5));
      return v && !v->empty() && v->front().child.empty();
    };
    std::vector<std::int64_t> pushed(kSlices, 0);
    std::vector<std::uint64_t> appended_after(kWarmup, 0);
    std::uint64_t per_slice = 0;
    std::size_t k = 0;
    for (auto _ : state) {
      if (k == kSlices) break;
      pushed[k] = steady_ns();
      clock->store(kT0 + static_cast<TimeNs>(k) * kSecond, std::memory_order_release);
      const auto deadline = steady_ns() + 1'000'000'000;
      while (session->count() <= k && steady_ns() < deadline) {
      }
      if (session->count() <= k) {
        state.SkipWithError(("slice " + std::to_string(k) + " sent no child").c_str());
        break;
      }
      if (k < kWarmup) {
        while (!idle() && steady_ns() < deadline) {
        }
        appended_after[k] = log.events_appended();
        if (k + 1 == kWarmup) per_slice = appended_after[k] - appended_after[k - 1];
      } else {
        const std::uint64_t target = appended_after[kWarmup - 1] + (k + 1 - kWarmup) * per_slice;
        while (log.events_appended() < target && steady_ns() < deadline) {
        }
      }
      ++k;
    }
    if (k == kSlices && (appended_after[1] - appended_after[0] != per_slice || per_slice == 0 || !idle() ||
                         log.events_appended() != appended_after[kWarmup - 1] + (kSlices - kWarmup) * per_slice)) {
      state.SkipWithError("the slices did not each commit the same events (the wait without questions is off)");
    }
    std::vector<std::int64_t> lat;
    for (std::size_t i = kWarmup; i < k; ++i) lat.push_back(handed[i] - pushed[i]);
    if (lat.size() == kSlices - kWarmup) {
      state.counters["p50_ns"] = percentile(lat, 0.50);
      state.counters["p99_ns"] = percentile(lat, 0.99);
      state.counters["p999_ns"] = percentile(lat, 0.999);
    }
    engine_ptr = nullptr;
  }
}

void bench_core_throughput(benchmark::State& state) {
  std::mt19937 rng(kSeed);
  RiskCore risk(kAccounts, kStrategies, kInstruments);
  set_limits(risk);
  hold_positions(risk, rng);
  const auto reqs = orders(rng);
  const auto ins = instruments();
  auto table = actors::InstrumentTable::from(ins);
  if (!table) std::abort();
  std::vector<std::unique_ptr<actors::OrderDesk>> desks;
  for (std::uint16_t a = 0; a < kAccounts; ++a) {
    desks.push_back(std::make_unique<actors::OrderDesk>(
        actors::OrderDeskConfig{AccountId(a), "acct", &*table, 5'000'000'000}));
    BalanceUpdated b{};
    b.account = AccountId(a);
    b.asset = "USDT";
    b.free = units(1'000'000'000);
    (void)desks.back()->apply(Event{Envelope{1, 1, 1, 1, 0, 0}, b});
    for (std::uint32_t i = 0; i < kInstruments; ++i) {
      (void)b.asset.assign("SYM" + std::to_string(i));
      (void)desks.back()->apply(Event{Envelope{i + 2, 1, 1, 1, 0, 0}, b});
    }
  }
  TimeNs now = 1'700'000'000'000'000'000;
  std::size_t n = 0, failed = 0;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const OrderRequest& r = reqs[n & (kOrders - 1)];
    const Command c = submit_of(r, n);
    ++n;
    now += kOrderGapNs;
    const auto d = risk.check(r, now);
    if (!d.passed()) ++failed;
    risk.on_order_opened(r.account, r.strategy, r.instrument);
    auto& desk = *desks[r.account.index()];
    const auto decision = desk.on_command(c, &d, now);
    const auto& g = decision.groups.front();
    std::array<Event, 2> committed;
    for (std::size_t i = 0; i < g.events.size() && i < committed.size(); ++i) {
      committed[i] = Event{Envelope{actors::group_event_id(g.cause.id, i, g.events.size()), ++seq,
                                    now, now, g.cause.id, g.cause.id},
                           g.events[i]};
    }
    const auto fx = desk.apply(g, std::span<const Event>(committed.data(), g.events.size()), now);
    benchmark::DoNotOptimize(fx);
    OrderCanceled x{};
    x.account = r.account;
    x.instrument = r.instrument;
    x.client_order_id = std::get<SubmitOrder>(c.payload).client_order_id;
    if (desk.apply(Event{Envelope{(++seq) << 8U, seq, now, now, 0, 0}, x})) ++failed;
    risk.on_order_closed(r.account, r.strategy, r.instrument);
  }
  state.counters["orders_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  if (failed != 0) state.SkipWithError("a benchmark order failed risk or its account");
}

}  // namespace

void bench_md_record(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);
  Directory directory;
  (void)directory.instruments.intern("binance:spot:BTC/USDT");
  NullStore store;
  ShmIntentLog intents("record");
  actors::EventLog log(store, intents.get(), directory);
  BookDelta d{};
  d.instrument = InstrumentId(0);
  d.first_update_id = d.last_update_id = 50093239189;
  for (int i = 0; i < 30; ++i) {
    (void)d.levels.push_back(BookLevel{i % 2 == 0 ? BookSide::kBid : BookSide::kAsk,
                                       Decimal::from_raw(Int128{61000 + i} * Decimal::kOne),
                                       Decimal::from_raw(Int128{i} * 10'000'000)});
  }
  actors::InputRecord r;
  r.step = actors::InputStep::kMarketData;
  r.body = Event{Envelope{0, 0, 1723161255208000000, 0, 0, 0}, d};
  const std::string subject = "md.binance.spot.BTC-USDT.book";
  std::string payload;
  std::uint64_t seq = 0;
  perf::run_timed(state, [&](std::size_t) {
    r.seq = ++seq;
    r.now = static_cast<TimeNs>(seq);
    r.global_seq = log.last_global_seq();
    if (!actors::encode_input(r, payload)) std::abort();
    if (!log.record_input(subject, payload, actors::input_msg_id(1, 1, seq), r.now)) std::abort();
  });
  state.counters["bytes"] = static_cast<double>(payload.size());
}

BENCHMARK(bench_md_record)->Name("md_record");
BENCHMARK(bench_engine_order_path)->Name("engine_order_path")->Iterations(20'000)->UseRealTime();
BENCHMARK(bench_core_throughput)->Name("core_throughput")->Iterations(200'000);
BENCHMARK(bench_strategies_tick_to_order)->Name("strategies_tick_to_order")->Iterations(5'000)->UseRealTime();
BENCHMARK(bench_algo_slice)->Name("algo_slice")->Iterations(5'000)->UseRealTime();

BENCHMARK_MAIN();
