// Engine: checkpoints -- the whole state of the shard between two steps, so that a replay of
// a range inside a run starts there instead of at the run's start (input_record.hpp).
//
// The bytes (state_codec.hpp, under the directory's names): version, the log's global
// sequence, then sections -- engine (marks, counters, the timer heap as it lies in memory),
// risk (what RiskCore counted; its limits and kill switches are the recorded risk events', read
// again at load), books, signal, strategies (lifecycle, parameters), quoters (each market
// maker), sagas (the open arbitrage sagas), one per account (the desk's compacted and run-local state, the commands held for a
// reconciliation, its deadline, the resends waiting for a price) -- and at the end their table (name, begin, end) and where it
// starts, so two checkpoints can be told apart by section.
#include <array>
#include <cstring>
#include <queue>

#include "engine_impl.hpp"
#include "oms/actors/engine_risk.hpp"
#include "oms/cores/state_codec.hpp"

namespace oms::actors {

namespace {

// 2: the strategies and quoters sections; 3: the sagas section
// 6: the algos section
constexpr std::uint32_t kCheckpointVersion = 10;  // 10: resends waiting for a price; 9: the trading day, fees in other assets; 8: the kill switch, smart-routed parents (7: one of them; 5: Decimals are 128-bit at 1e-9, 4: held fills)

// The heap's array (std::priority_queue keeps it protected): saved as it lies, so that timers
// due at the same time fire in the same order after a load.
template <class Q>
auto& heap_of(Q& q) {
  struct Access : Q {
    static auto& get(Q& from) { return from.*(&Access::c); }
  };
  return Access::get(q);
}

struct Section {
  std::string name;
  std::uint32_t begin = 0, end = 0;
};

// The section table at the end of a checkpoint; empty when the bytes hold none.
std::vector<Section> sections_of(std::string_view bytes) {
  std::vector<Section> out;
  std::uint32_t at = 0;
  if (bytes.size() < sizeof at) return out;
  std::memcpy(&at, bytes.data() + bytes.size() - sizeof at, sizeof at);
  const auto get32 = [&](std::uint32_t& v) {
    if (at + sizeof v > bytes.size() - sizeof at) return false;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
    return true;
  };
  std::uint32_t n = 0;
  if (!get32(n)) return {};
  for (std::uint32_t i = 0; i < n; ++i) {
    Section s;
    std::uint32_t len = 0;
    if (!get32(len) || at + len > bytes.size()) return {};
    s.name.assign(bytes.data() + at, len);
    at += len;
    if (!get32(s.begin) || !get32(s.end) || s.begin > s.end || s.end > bytes.size()) return {};
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::string Engine::Impl::save_checkpoint() const {
  const Directory& names = log.subjects().directory();
  StateWriter w(names);
  w(kCheckpointVersion, log.last_global_seq());
  std::vector<Section> sections;
  const auto section = [&](std::string name, const auto& body) {
    Section s{std::move(name), static_cast<std::uint32_t>(w.bytes().size()), 0};
    body();
    s.end = static_cast<std::uint32_t>(w.bytes().size());
    sections.push_back(std::move(s));
  };
  section("engine", [&] {
    w(marks, strategy_orders, next_valuation, next_housekeeping, trading_day.day, trading_day.start, trading_day.next);
    const auto& heap = heap_of(const_cast<decltype(timers)&>(timers));
    w.put(static_cast<std::uint32_t>(heap.size()));
    for (const EngineTimer& t : heap) w(t.due, t.account, t.timer.client_order_id, t.timer.generation, t.timer.due);
  });
  section("risk", [&] { risk->save(w); });
  section("books", [&] { book.save(w); });
  section("signal", [&] { signal.save(w); });
  section("strategies", [&] {
    w.put(static_cast<std::uint32_t>(strategy_cores.size()));
    for (std::size_t i = 0; i < strategy_cores.size(); ++i) {
      w(strategy_cores[i].state(), strategy_sent[i],
        static_cast<std::uint32_t>(strategy_cores[i].params().size()));
      for (const auto& [k, v] : strategy_cores[i].params()) w(k, v);
    }
  });
  section("quoters", [&] {
    w.put(static_cast<std::uint32_t>(quoters.size()));
    for (const MarketMaker& m : quoters) m.save(w);
  });
  section("sagas", [&] {
    w.put(static_cast<std::uint32_t>(sagas.size()));
    for (const OpenSaga& os : sagas) {
      w(os.group, os.check_desks);
      os.saga.save(w);
    }
  });
  section("algos", [&] {
    w.put(static_cast<std::uint32_t>(algos.size()));
    for (const OpenAlgo& oa : algos) {
      w.put(oa.check_desk);
      oa.algo.save(w);
    }
    w(ended_algos, algo_wake);
    // The trade profiles: the instruments traded so far, each minute's volume and day.
    w.put(static_cast<std::uint32_t>(trade_profiles.size()));
    for (const TradeProfile& p : trade_profiles) w(p.volume, p.day);
  });
  section("kill", [&] { kill.save(w); });
  section("sors", [&] {
    // Each open smart-routed parent is its last step (a child's own notional is run-local).
    w.put(static_cast<std::uint32_t>(sors.size()));
    for (const OpenSor& os : sors) w(os.check_desk, os.order.step());
    w(ended_sors, sor_check);
  });
  for (const auto& a : accounts) {
    if (!a) continue;
    section("account " + a->cfg.name, [&] {
      w(a->cfg.id);
      a->desk->save(w);
      a->desk->save_run(w);
      w(a->reconcile_deadline, static_cast<std::uint32_t>(a->held.size()));
      for (const auto& [cmd, reply] : a->held) {
        std::array<std::byte, kMaxBinarySize> buf{};
        const auto n = encode_binary(cmd, buf);
        // A command that was decoded from a ring encodes again.
        w.put(n ? std::string(reinterpret_cast<const char*>(buf.data()), *n) : std::string());
      }
      w.put(static_cast<std::uint32_t>(a->unpriced_resends.size()));
      for (const Event& e : a->unpriced_resends) {
        std::array<std::byte, kMaxBinarySize> buf{};
        const auto n = encode_binary(e, buf);
        w.put(n ? std::string(reinterpret_cast<const char*>(buf.data()), *n) : std::string());
      }
    });
  }
  const auto toc = static_cast<std::uint32_t>(w.bytes().size());
  w.put(static_cast<std::uint32_t>(sections.size()));
  for (const auto& s : sections) w(s.name, s.begin, s.end);
  w.put(toc);
  return std::move(w).take();
}

std::optional<std::string> Engine::Impl::load_checkpoint(std::string_view bytes) {
  const Directory& names = log.subjects().directory();
  StateReader r(bytes, names);
  std::uint32_t version = 0;
  std::uint64_t global = 0;
  r(version, global);
  if (!r.ok()) return "checkpoint: " + *r.error();
  if (version != kCheckpointVersion) {
    return "checkpoint version " + std::to_string(version) + ", this build reads " +
           std::to_string(kCheckpointVersion);
  }
  // Risk, books, marks and the signal are kept by id: the names must be the same, id for id.
  if (!r.same_names(names)) {
    return "checkpoint: taken under other accounts, strategies or instruments than this setup's";
  }
  // Everything into copies first: an error leaves the engine as it was.
  std::vector<Decimal> m;
  std::uint64_t orders = 0;
  TimeNs valuation = 0, housekeeping_at = 0;
  TradingDayBounds td;
  r.context("engine");
  r(m, orders, valuation, housekeeping_at, td.day, td.start, td.next);
  if (r.ok() && m.size() != marks.size()) r.fail("marks of " + std::to_string(m.size()) + " instruments");
  std::vector<EngineTimer> heap(r.ok() ? r.count() : 0);
  for (EngineTimer& t : heap) r(t.due, t.account, t.timer.client_order_id, t.timer.generation, t.timer.due);
  r.context("risk");
  auto risk_copy = std::make_unique<RiskCore>(risk->limits().accounts(), risk->limits().strategies() - 1,
                                              risk->limits().instruments());
  risk_copy->load(r);
  r.context("books");
  BookStage books = book;
  books.load(r);
  r.context("signal");
  SignalStage sig = signal;
  sig.load(r);
  r.context("strategies");
  std::vector<StrategyCore> cores;
  std::vector<std::uint64_t> sent(strategy_sent.size());
  std::uint32_t strategy_count = 0;
  r(strategy_count);
  if (r.ok() && strategy_count != strategy_cores.size()) {
    r.fail(std::to_string(strategy_count) + " strategies saved, " +
           std::to_string(strategy_cores.size()) + " configured");
  }
  for (std::uint32_t i = 0; i < strategy_count && r.ok(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    StrategyCore core(id);
    StrategyState state = StrategyState::kStopped;
    std::uint32_t params = 0;
    r(state, sent[i], params);
    core.apply(StrategyStateChanged{id, state, {}});
    for (std::uint32_t k = 0; k < params && r.ok(); ++k) {
      std::string key, value;
      r(key, value);
      StrategyParamSet p{id, {}, {}};
      if (!p.key.assign(key) || !p.value.assign(value)) r.fail("a parameter too long: " + key);
      core.apply(p);
    }
    cores.push_back(std::move(core));
  }
  r.context("quoters");
  std::vector<MarketMaker> quoting = quoters;
  std::uint32_t quoter_count = 0;
  r(quoter_count);
  if (r.ok() && quoter_count != quoting.size()) {
    r.fail(std::to_string(quoter_count) + " market makers saved, " +
           std::to_string(quoting.size()) + " configured");
  }
  for (MarketMaker& q : quoting) {
    if (r.ok()) q.load(r);
  }
  r.context("sagas");
  std::vector<OpenSaga> open;
  std::uint32_t saga_count = 0;
  r(saga_count);
  for (std::uint32_t i = 0; i < saga_count && r.ok(); ++i) {
    OpenSaga os{ArbSaga(ArbSagaStep{}, SagaLeg{}, SagaLeg{}, SagaPolicy{}), 0, false};
    r(os.group, os.check_desks);
    os.saga.load(r);
    if (r.ok() && os.group >= options.arbitrage.size()) {
      r.fail("a saga of group " + std::to_string(os.group) + ", " +
             std::to_string(options.arbitrage.size()) + " configured");
    }
    open.push_back(std::move(os));
  }
  r.context("algos");
  std::vector<OpenAlgo> open_algos;
  std::uint32_t algo_count = 0;
  r(algo_count);
  for (std::uint32_t i = 0; i < algo_count && r.ok(); ++i) {
    OpenAlgo oa{ExecAlgo(AlgoStep{}, AlgoRules{}), false};
    r(oa.check_desk);
    oa.algo.load(r);
    open_algos.push_back(std::move(oa));
  }
  std::deque<AlgoStep> ended;
  TimeNs wake = 0;
  r(ended, wake);
  std::vector<TradeProfile> profiles(r.ok() ? r.count() : 0);
  for (TradeProfile& p : profiles) {
    r(p.volume, p.day);
    if (r.ok() && (p.volume.size() != kMinutesPerDay || p.day.size() != kMinutesPerDay)) {
      r.fail("a trade profile of " + std::to_string(p.volume.size()) + " minutes");
    }
  }
  r.context("kill");
  KillSwitchCore kill_copy = kill;
  kill_copy.load(r);
  r.context("sors");
  std::vector<OpenSor> open_sors;
  std::uint32_t sor_count = 0;
  r(sor_count);
  for (std::uint32_t i = 0; i < sor_count && r.ok(); ++i) {
    bool check = false;
    SorStep st;
    r(check, st);
    open_sors.push_back(OpenSor{SmartOrder(st), check});
  }
  std::deque<SorStep> sors_ended;
  bool sors_check = false;
  r(sors_ended, sors_check);
  struct Loaded {
    Account* account = nullptr;
    std::unique_ptr<OrderDesk> desk;
    TimeNs reconcile_deadline = 0;
    std::deque<std::pair<Command, std::shared_ptr<Reply>>> held;
    std::vector<Event> unpriced;
  };
  std::vector<Loaded> loaded;
  for (const auto& a : accounts) {
    if (!a || !r.ok()) continue;
    r.context("account " + a->cfg.name);
    AccountId id;
    r(id);
    if (r.ok() && id != a->cfg.id) r.fail("the checkpoint's accounts run in another order");
    Loaded l{a.get(), make_desk(*a), 0, {}, {}};
    if (auto e = l.desk->load(r)) r.fail(*e);
    if (auto e = l.desk->load_run(r)) r.fail(*e);
    std::uint32_t held = 0;
    r(l.reconcile_deadline, held);
    for (std::uint32_t i = 0; i < held && r.ok(); ++i) {
      std::string text;
      r.get(text);
      auto cmd = decode_command_binary(std::as_bytes(std::span(text.data(), text.size())));
      if (!cmd) {
        r.fail(std::string("a held command does not decode: ") + to_string(cmd.error()));
        break;
      }
      l.held.emplace_back(std::move(cmd).value(), nullptr);
    }
    std::uint32_t unpriced = 0;
    r(unpriced);
    for (std::uint32_t i = 0; i < unpriced && r.ok(); ++i) {
      std::string text;
      r.get(text);
      auto e = decode_event_binary(std::as_bytes(std::span(text.data(), text.size())));
      if (!e) {
        r.fail(std::string("a resend waiting for a price does not decode: ") + to_string(e.error()));
        break;
      }
      l.unpriced.push_back(std::move(e).value());
    }
    loaded.push_back(std::move(l));
  }
  r.context({});
  if (!r.ok()) return "checkpoint: " + *r.error();
  const auto table = sections_of(bytes);
  if (table.empty() || table.back().end != bytes.size() - r.remaining()) {
    return std::string("checkpoint: its sections do not end where its state does");
  }
  // The limits and kill switches: the configured ones, then the recorded risk events up to
  // here (the store reads what was stored by this point).
  for (std::size_t i = 0; i < marks.size(); ++i) {
    marks[i] = m[i];
    // release: as set_mark().
    marked[i].store(m[i].is_positive(), std::memory_order_release);
  }
  strategy_orders = orders;
  next_valuation = valuation;
  next_housekeeping = housekeeping_at;
  trading_day = td;
  heap_of(timers) = std::move(heap);
  // The state board's and risk's copies move in; the limit table is risk's own (atomics).
  {
    StateWriter again(names);
    risk_copy->save(again);
    StateReader back(again.bytes(), names);
    risk->load(back);
  }
  kill = std::move(kill_copy);
  (void)restore_risk(*risk, log, store);  // the checkpoint's kill switch knows what it held back
  kill_sync_states();
  book = std::move(books);
  signal = std::move(sig);
  quoters = std::move(quoting);
  sagas = std::move(open);
  algos = std::move(open_algos);
  ended_algos = std::move(ended);
  algo_wake = wake;
  trade_profiles = std::move(profiles);
  sors = std::move(open_sors);
  ended_sors = std::move(sors_ended);
  sor_check = sors_check;
  for (std::size_t g = 0; g < options.arbitrage.size(); ++g) signal.hold(g, false);
  for (const OpenSaga& os : sagas) signal.hold(os.group, true);
  strategy_cores = std::move(cores);
  strategy_sent = std::move(sent);
  for (std::size_t i = 0; i < strategy_cores.size(); ++i) {
    apply_params(StrategyId(static_cast<std::uint16_t>(i)), false);
  }
  for (auto& l : loaded) {
    l.account->desk = std::move(l.desk);
    l.account->reconcile_deadline = l.reconcile_deadline;
    l.account->held = std::move(l.held);
    l.account->unpriced_resends = std::move(l.unpriced);
    l.account->awaiting.clear();
    index_resting(*l.account);
  }
  unpriced_waiting = 0;
  for (const auto& a : accounts) unpriced_waiting += a ? a->unpriced_resends.size() : 0;
  log.reset_global_seq(global);
  return std::nullopt;
}

std::string Engine::checkpoint() const { return impl_->save_checkpoint(); }

std::optional<std::string> Engine::load_checkpoint(std::string_view bytes) {
  if (impl_->thread.joinable()) return std::string("load_checkpoint: the engine's shard is running");
  return impl_->load_checkpoint(bytes);
}

std::uint64_t Engine::checkpoint_global_seq(std::string_view bytes) {
  // After the name tables: skip them as the reader does.
  Directory none;
  StateReader r(bytes, none);
  std::uint32_t version = 0;
  std::uint64_t global = 0;
  r(version, global);
  return r.ok() && version == kCheckpointVersion ? global : 0;
}

std::string Engine::checkpoint_difference(std::string_view recorded, std::string_view replayed) {
  const auto a = sections_of(recorded);
  const auto b = sections_of(replayed);
  if (a.empty() || b.empty()) return "the checkpoint's section table does not read";
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i].name != b[i].name) return "section " + std::to_string(i) + ": recorded " + a[i].name + ", replayed " + b[i].name;
    const auto x = recorded.substr(a[i].begin, a[i].end - a[i].begin);
    const auto y = replayed.substr(b[i].begin, b[i].end - b[i].begin);
    if (x == y) continue;
    std::size_t k = 0;
    while (k < std::min(x.size(), y.size()) && x[k] == y[k]) ++k;
    return "section '" + a[i].name + "' differs at byte " + std::to_string(k) + " of " +
           std::to_string(x.size()) + " recorded, " + std::to_string(y.size()) + " replayed";
  }
  if (a.size() != b.size()) {
    return std::to_string(a.size()) + " sections recorded, " + std::to_string(b.size()) + " replayed";
  }
  return "the name tables or the global sequence differ";
}

}  // namespace oms::actors
