// The desk at full size: 200 accounts x 10 strategies each x 50 instruments (25 spot, 25 USD-M).
//   account_switch    the hot path moving to another account's state: AccountBook[id] (an array
//                     index) and a read of its quote balance and one position, over a seeded
//                     random account sequence (so the caches see all 200 accounts).
//   rss_200_accounts  resident memory of a process holding the whole desk: the runtime (the
//                     engine with 200 accounts' desks and its input rings, the strategy actors,
//                     event log over a file journal, the intent log), RiskCore,
//                     AccountBook with balances and positions, PositionCore with every
//                     (account, strategy, instrument) leg, and 50 books of 500 levels a side.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "latency.hpp"
#include "oms/cores/account_core.hpp"
#include "oms/cores/market_stages.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/actors/runtime.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace {

using namespace oms;

constexpr std::size_t kAccounts = 200, kStrategiesPerAccount = 10, kInstruments = 50;
constexpr std::size_t kSwitches = 4096;  // a power of two
constexpr std::size_t kBookLevels = 500;
constexpr std::int64_t kOne = Decimal::kOne;

Decimal units(std::int64_t n) { return Decimal::from_raw(n * kOne); }

std::vector<Instrument> instruments() {
  std::vector<Instrument> out;
  for (std::uint32_t i = 0; i < kInstruments; ++i) {
    Instrument in;
    in.id = InstrumentId(i);
    in.market = i < kInstruments / 2 ? Market::kSpot : Market::kUsdm;
    in.symbol.base = "SYM" + std::to_string(i);
    in.symbol.quote = "USDT";
    if (in.market == Market::kUsdm) in.symbol.settle = "USDT";
    in.venue_symbol = in.symbol.base + "USDT";
    out.push_back(std::move(in));
  }
  return out;
}

Event ev(EventPayload p) { return Event{Envelope{1, 1, 1, 1, 1, 1}, p}; }

// Every account holds five assets and a position in each USD-M instrument.
void fill_accounts(actors::AccountBook& book) {
  for (std::uint16_t a = 0; a < kAccounts; ++a) {
    for (const char* asset : {"USDT", "BTC", "ETH", "BNB", "USDC"}) {
      BalanceUpdated b{AccountId(a), ExchangeId::kBinance, Market::kSpot, {}, units(1000 + a), units(5)};
      (void)b.asset.assign(asset);
      if (!book.apply(ev(b))) std::abort();
    }
    BalanceUpdated w{AccountId(a), ExchangeId::kBinance, Market::kUsdm, "USDT", units(50000), {}};
    if (!book.apply(ev(w))) std::abort();
    for (std::uint32_t i = kInstruments / 2; i < kInstruments; ++i) {
      PositionUpdated p{};
      p.account = AccountId(a);
      p.instrument = InstrumentId(i);
      p.size = units(1 + (a + i) % 7);
      p.entry_price = units(100 + i);
      p.leverage = 5;
      if (!book.apply(ev(p))) std::abort();
    }
  }
}

void bench_account_switch(benchmark::State& state) {
  const auto ins = instruments();
  auto table = actors::InstrumentTable::from(ins);
  if (!table) std::abort();
  actors::AccountBook book(*table, kAccounts);
  fill_accounts(book);
  std::mt19937 rng(20261126);
  std::vector<AccountId> order(kSwitches);
  for (auto& id : order) id = AccountId(static_cast<std::uint16_t>(rng() % kAccounts));
  const AssetCode usdt("USDT");
  Int128 sum = 0;
  perf::run_timed(state, [&](std::size_t i) {
    const actors::AccountCore& a = book[order[i & (kSwitches - 1)]];
    const auto* b = a.balance(Market::kSpot, usdt);
    const auto* p = a.position(InstrumentId(static_cast<std::uint32_t>(kInstruments - 1 - (i & 7))));
    sum += b->free.raw() + (p != nullptr ? p->leg(PositionSide::kBoth).position.size.raw() : 0);
  });
  auto low = static_cast<std::uint64_t>(sum);  // the sink: its low word
  benchmark::DoNotOptimize(low);
}

double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      double kb = 0;
      in >> kb;
      return kb / 1024.0;
    }
    std::getline(in, key);
  }
  return -1;
}

class NullSession final : public ExchangeSession {
 public:
  void start(ReportSink) override {}
  void stop() override {}
  void place(const OrderSubmitted&, const SendOrigin&) override {}
  void cancel(const CancelOrder&) override {}
  void amend(const AmendOrder&) override {}
  void query(AccountId, InstrumentId, const ClientOrderIdText&) override {}
};

// Builds the whole desk in this process and returns its RSS (MB) with everything live.
double build_desk_rss() {
  {
    const double baseline = rss_mb();
    (void)baseline;
    const auto ins = instruments();
    auto table = actors::InstrumentTable::from(ins);
    if (!table) std::abort();

    // Books: 50 instruments, 500 levels a side.
    std::vector<BookCoreConfig> cfgs;
    for (std::uint32_t i = 0; i < kInstruments; ++i) cfgs.push_back({InstrumentId(i)});
    actors::BookStage books(cfgs);
    std::array<actors::TopOfBook, 1> top;
    for (std::uint32_t i = 0; i < kInstruments; ++i) {
      for (std::size_t chunk = 0; chunk * kBookChunkLevels < 2 * kBookLevels; ++chunk) {
        BookSnapshot s{};
        s.instrument = InstrumentId(i);
        s.last_update_id = 1;
        s.chunk = static_cast<std::uint16_t>(chunk);
        for (std::size_t k = chunk * kBookChunkLevels;
             k < std::min((chunk + 1) * kBookChunkLevels, 2 * kBookLevels); ++k) {
          const bool bid = k % 2 == 0;
          const auto px = units(10000).raw() + (bid ? -1 : 1) * static_cast<Int128>(k / 2 + 1) * 10'000'000;
          (void)s.levels.push_back(BookLevel{bid ? BookSide::kBid : BookSide::kAsk,
                                              Decimal::from_raw(px), units(1)});
        }
        s.last_chunk = (chunk + 1) * kBookChunkLevels >= 2 * kBookLevels;
        (void)books.on(ev(s), 0, top);
      }
    }

    actors::RiskCore risk(kAccounts, kAccounts * kStrategiesPerAccount, kInstruments);
    actors::AccountBook accounts(*table, kAccounts);
    fill_accounts(accounts);
    actors::PositionCore positions(*table, kAccounts);
    std::uint64_t trade = 0;
    for (std::uint16_t a = 0; a < kAccounts; ++a) {
      for (std::uint16_t s = 0; s < kStrategiesPerAccount; ++s) {
        for (std::uint32_t i = 0; i < kInstruments; ++i) {
          FillReceived f{};
          f.account = AccountId(a);
          f.strategy = StrategyId(static_cast<std::uint16_t>(a * kStrategiesPerAccount + s));
          f.instrument = InstrumentId(i);
          (void)f.trade_id.assign("T" + std::to_string(++trade));
          f.side = (a + s + i) % 2 == 0 ? Side::kBuy : Side::kSell;
          f.price = units(100 + i);
          f.quantity = units(1);
          f.fee_asset = "USDT";
          if (!positions.on_fill(f)) std::abort();
        }
      }
    }

    // The actor runtime over a file journal, with the intent log in /dev/shm.
    const auto dir = std::filesystem::temp_directory_path() /
                     ("oms-desk-bench-" + std::to_string(::getpid()));
    Directory directory;
    std::vector<persistence::StreamLayout::AccountRef> refs;
    std::vector<actors::RuntimeAccount> runtime_accounts;
    for (std::uint16_t a = 0; a < kAccounts; ++a) {
      const std::string name = "acct-" + std::to_string(a);
      (void)directory.accounts.intern(name);
      refs.push_back({ExchangeId::kBinance, name});
      runtime_accounts.push_back({AccountId(a), ExchangeId::kBinance, std::make_shared<NullSession>()});
    }
    for (std::uint32_t i = 0; i < kInstruments; ++i) {
      (void)directory.instruments.intern(std::string("binance:") + (i < kInstruments / 2 ? "spot" : "usdm") +
                                         ":SYM" + std::to_string(i) + "/USDT" +
                                         (i < kInstruments / 2 ? "" : ":USDT"));
    }
    const persistence::StreamLayout layout(refs, {});
    auto journal = persistence::FileJournal::open(dir, layout);
    if (!journal) std::abort();
    const std::string intent_name = "desk-bench-" + std::to_string(::getpid());
    auto intents = persistence::IntentLog::open(persistence::default_intent_log_path(intent_name));
    if (!intents) std::abort();
    double full = 0;
    {
      actors::Runtime rt({}, directory, *table, **journal, intents->get(), nullptr,
                         std::make_shared<actors::RiskCore>(kAccounts, kAccounts * kStrategiesPerAccount,
                                                            kInstruments),
                         runtime_accounts);
      // Every account of the engine has rebuilt and answers.
      for (std::uint16_t a = 0; a < kAccounts; ++a) {
        if (!rt.view(AccountId(a), std::chrono::seconds(30))) std::abort();
      }
      full = rss_mb();
    }
    ::unlink(persistence::default_intent_log_path(intent_name).c_str());
    std::filesystem::remove_all(dir);
    benchmark::DoNotOptimize(risk);
    return full;
  }
}

// Each measurement in a fresh child process: RSS only grows within a process (freed memory
// stays in malloc's arenas), so repetitions in one process would measure each other.
void bench_rss_200_accounts(benchmark::State& state) {
  for (auto _ : state) {
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      const double mb = build_desk_rss();
      if (::write(fds[1], &mb, sizeof mb) != static_cast<ssize_t>(sizeof mb)) ::_exit(1);
      ::_exit(0);
    }
    ::close(fds[1]);
    double mb = -1;
    if (::read(fds[0], &mb, sizeof mb) != static_cast<ssize_t>(sizeof mb)) mb = -1;
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (mb < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("the desk process failed");
      return;
    }
    state.counters["rss_mb"] = mb;
    state.counters["baseline_mb"] = rss_mb();
  }
}

}  // namespace

// The RSS first: its child then inherits the smallest parent.
BENCHMARK(bench_rss_200_accounts)->Name("rss_200_accounts")->Iterations(1);
BENCHMARK(bench_account_switch)->Name("account_switch");

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // 200 "rebuilt" lines are not a benchmark result
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
