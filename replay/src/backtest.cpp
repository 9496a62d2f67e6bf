// The backtest driver: recorded market data, the engine (inline, no shard thread) and the venue
// simulator's core per market, on one virtual clock (backtest.hpp).
#include "oms/replay/backtest.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include "oms/actors/engine.hpp"
#include "oms/connectors/binance/market_data.hpp"
#include "oms/connectors/binance/user_data.hpp"
#include "oms/connectors/exchange.hpp"
#include "oms/connectors/sim/venue.hpp"
#include "oms/messages/codec.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/replay/md_cache.hpp"
#include "oms/replay/recording.hpp"

namespace oms::replay {

namespace {

using actors::InputRecord;
using actors::InputStep;

constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kHousekeepingEvery = 100 * kMs;
constexpr TimeNs kValuationEvery = 1'000 * kMs;
// After the last message: venue answers still on their way are delivered for this long.
constexpr TimeNs kDrain = 10'000 * kMs;

// splitmix64: a fully specified stream, the same everywhere.
class Draws {
 public:
  explicit Draws(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }

 private:
  std::uint64_t s_;
};

class Fnv {
 public:
  void add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h_ ^= static_cast<unsigned char>(v >> (8 * i));
      h_ *= 0x100000001b3ULL;
    }
  }
  void add(std::string_view s) {
    for (char c : s) {
      h_ ^= static_cast<unsigned char>(c);
      h_ *= 0x100000001b3ULL;
    }
    add(std::uint64_t{0x1f});
  }
  [[nodiscard]] EventId value() const { return h_ == 0 ? 1 : h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

std::vector<sim::PriceQty> convert(const auto& levels) {
  std::vector<sim::PriceQty> out;
  out.reserve(levels.size());
  for (const auto& l : levels) out.push_back({l.price, l.quantity});
  return out;
}

OrderStatus status_of(sim::SimStatus s) {
  switch (s) {
    case sim::SimStatus::kNew: return OrderStatus::kAccepted;
    case sim::SimStatus::kPartiallyFilled: return OrderStatus::kPartiallyFilled;
    case sim::SimStatus::kFilled: return OrderStatus::kFilled;
    case sim::SimStatus::kCanceled: return OrderStatus::kCanceled;
    case sim::SimStatus::kRejected: return OrderStatus::kRejected;
    case sim::SimStatus::kExpired:
    case sim::SimStatus::kExpiredInMatch: return OrderStatus::kExpired;
  }
  return OrderStatus::kUnknown;
}

binance::ExecutionType exec_of(sim::ExecType t, sim::SimStatus s) {
  switch (t) {
    case sim::ExecType::kNew: return binance::ExecutionType::kNew;
    case sim::ExecType::kCanceled: return binance::ExecutionType::kCanceled;
    case sim::ExecType::kReplaced: return binance::ExecutionType::kReplaced;
    case sim::ExecType::kRejected: return binance::ExecutionType::kRejected;
    case sim::ExecType::kTrade: return binance::ExecutionType::kTrade;
    case sim::ExecType::kExpired:
      return s == sim::SimStatus::kExpiredInMatch ? binance::ExecutionType::kTradePrevention
                                                  : binance::ExecutionType::kExpired;
    case sim::ExecType::kAmendment: return binance::ExecutionType::kAmendment;
  }
  return binance::ExecutionType::kNew;
}

}  // namespace

Result<LatencyModel, std::string> parse_latency(std::string_view text) {
  LatencyModel m;
  if (text == "zero") return m;
  bool fixed = false;
  if (text == "recorded" || text.rfind("recorded,", 0) == 0) {
    m.recorded = true;
    fixed = true;  // the fixed part defaults to 0
    text.remove_prefix(text.size() > 9 ? 9 : text.size());
    if (text.empty()) return m;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return Unexpected("latency: '" + std::string(part) + "': expected key=value");
    const auto key = part.substr(0, eq);
    const auto value = part.substr(eq + 1);
    std::uint64_t v = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    if (r.ec != std::errc{} || r.ptr != value.data() + value.size()) {
      return Unexpected("latency: " + std::string(key) + ": '" + std::string(value) + "' is not a whole number");
    }
    if (key == "fixed_us") {
      m.fixed_ns = static_cast<TimeNs>(v) * 1000;
      fixed = true;
    } else if (key == "jitter_us") {
      m.jitter_ns = static_cast<TimeNs>(v) * 1000;
    } else if (key == "seed") {
      m.seed = v;
    } else {
      return Unexpected("latency: unknown key '" + std::string(key) + "' (recorded, fixed_us, jitter_us, seed)");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!fixed) return Unexpected(std::string("latency: fixed_us=N is required (or 'zero', or 'recorded')"));
  return m;
}

Result<DataFile, std::string> data_file(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const auto us1 = name.find('_');
  const auto us2 = us1 == std::string::npos ? std::string::npos : name.find('_', us1 + 1);
  if (us2 == std::string::npos) {
    return Unexpected(path.string() + ": the file name is not <market>_<symbol>_<date>.gz");
  }
  DataFile f;
  f.path = path;
  const std::string market = name.substr(0, us1);
  if (market == "spot") f.market = Market::kSpot;
  else if (market == "usdm") f.market = Market::kUsdm;
  else return Unexpected(path.string() + ": market '" + market + "' is not spot or usdm");
  f.venue_symbol = name.substr(us1 + 1, us2 - us1 - 1);
  for (char& c : f.venue_symbol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return f;
}

namespace {

class Driver;

// One account's connection: the engine's requests join the driver's queue, `latency` later.
class Session final : public ExchangeSession {
 public:
  Session(Driver& d, AccountId account) : d_(d), account_(account) {}
  void start(ReportSink) override {}
  void stop() override {}
  void place(const OrderSubmitted& order, const SendOrigin&) override;
  void cancel(const CancelOrder& cancel) override;
  void amend(const AmendOrder& amend) override;
  void query(AccountId account, InstrumentId instrument, const ClientOrderIdText& cid) override;

 private:
  Driver& d_;
  AccountId account_;
};

struct Request {
  enum class Kind : std::uint8_t { kPlace, kCancel, kAmend, kQuery } kind = Kind::kPlace;
  AccountId account;
  OrderSubmitted order{};
  CancelOrder cancel{};
  AmendOrder amend{};
  InstrumentId instrument;
  ClientOrderIdText client_order_id;
};

struct Due {
  TimeNs time = 0;
  std::uint64_t order = 0;  // ties: in the order scheduled
  bool request = false;     // a request reaching the venue; else a report reaching the engine
  Request req;
  AccountId account;
  VenueReport report;
  friend bool operator>(const Due& a, const Due& b) {
    return a.time != b.time ? a.time > b.time : a.order > b.order;
  }
};

// The journal the backtest's engine writes to, with a look at each record on its way: the
// orders the engine decided (strategy signals, including those risk refused) are counted from
// its own events, not only from what reached the venue.
class ObservingStore final : public persistence::EventStore {
 public:
  using Observer = std::function<void(const persistence::AppendRecord&)>;
  ObservingStore(persistence::EventStore& inner, Observer observe)
      : inner_(inner), observe_(std::move(observe)) {}
  Result<std::string, persistence::StoreError> stream_for(std::string_view s) const override { return inner_.stream_for(s); }
  void append(persistence::AppendRecord r, persistence::AppendCallback done) override {
    observe_(r);
    inner_.append(std::move(r), std::move(done));
  }
  Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds t) override { return inner_.flush(t); }
  Result<std::uint64_t, persistence::StoreError> read(const persistence::ReadRequest& r,
                                                      const persistence::RecordVisitor& v) override {
    return inner_.read(r, v);
  }
  Result<std::unique_ptr<persistence::Subscription>, persistence::StoreError> tail(
      const persistence::ReadRequest& r, persistence::RecordVisitor v) override {
    return inner_.tail(r, std::move(v));
  }
  Result<std::uint64_t, persistence::StoreError> last_sequence(std::string_view s) override { return inner_.last_sequence(s); }
  Result<std::vector<persistence::DayStart>, persistence::StoreError> day_index(std::string_view s) override {
    return inner_.day_index(s);
  }

 private:
  persistence::EventStore& inner_;
  Observer observe_;
};

struct Listed {
  const Instrument* instrument = nullptr;
  sim::SymbolIndex symbol = 0;
  bool known = false;
};

class Driver {
 public:
  Driver(const BacktestOptions& o, setup::BuiltEngine& b, persistence::EventStore& store,
         std::vector<std::filesystem::path> caches)
      : o_(o), b_(b), store_(store, [this](const persistence::AppendRecord& r) { observe(r); }),
        draws_(o.latency.seed), caches_(std::move(caches)) {
    log_ = std::make_unique<actors::EventLog>(store_, nullptr, b.directory, actors::Publish::kInline);
    for (const auto& i : b.instruments) {
      Listed l;
      l.instrument = &i;
      auto& venue = i.market == Market::kSpot ? spot_ : usdm_;
      if (i.market == Market::kSpot || i.market == Market::kUsdm) {
        l.symbol = venue.add_instrument(i);
        l.known = true;
        by_symbol_[{i.market, i.venue_symbol}] = i.id;
      }
      listed_.push_back(l);
    }
    sync_.resize(listed_.size());
  }

  Result<BacktestResult, std::string> run(const std::function<void(const BacktestProgress&)>& progress);

  // ---- the session's side ----
  void schedule(Request r) {
    const TimeNs at = now_ + latency();
    queue_.push(Due{at, ++scheduled_, true, std::move(r), {}, {}});
  }

 private:
  TimeNs latency() {
    TimeNs l = o_.latency.fixed_ns;
    if (o_.latency.jitter_ns > 0) l += static_cast<TimeNs>(draws_.next() % static_cast<std::uint64_t>(o_.latency.jitter_ns));
    if (o_.latency.recorded && feed_delay_known_) l += feed_delay_ - min_feed_delay_;
    return l;
  }
  // The recording's feed delay (receive time - the venue's event time) of a depth diff.
  void observe_feed_delay(TimeNs delay) {
    if (!feed_delay_known_ || delay < min_feed_delay_) min_feed_delay_ = delay;
    feed_delay_ = delay;
    feed_delay_known_ = true;
  }
  sim::Venue& venue(Market m) { return m == Market::kSpot ? spot_ : usdm_; }
  std::optional<sim::ApiKeyId> key(AccountId a, Market m) const {
    const auto it = keys_.find({a.value, m});
    if (it == keys_.end()) return std::nullopt;
    return it->second;
  }

  void step(const InputRecord& r) { engine_->step(r); }
  // options.commands due by t, each at its own time.
  void run_commands(TimeNs t) {
    while (next_command_ < o_.commands.size() && o_.commands[next_command_].envelope.event_time <= t) {
      const Command& c = o_.commands[next_command_++];
      advance_time(std::max(now_, c.envelope.event_time));
      InputRecord r;
      r.step = InputStep::kCommand;
      r.now = now_;
      r.body = c;
      step(r);
    }
  }
  void advance_time(TimeNs t);
  void step_plain(InputStep s) {
    InputRecord r;
    r.step = s;
    r.now = now_;
    step(r);
  }
  void deliver(const Due& d) {
    InputRecord r;
    r.step = InputStep::kReport;
    r.now = now_;
    r.account = d.account;
    r.body = Event{Envelope{d.report.report_id, 0, d.report.venue_time, 0, 0, 0}, d.report.payload};
    step(r);
  }
  void report(AccountId account, const EventPayload& e, EventId id, TimeNs venue_time, TimeNs at) {
    Due d;
    d.time = at;
    d.order = ++scheduled_;
    d.account = account;
    d.report = VenueReport{id, venue_time, e};
    queue_.push(std::move(d));
  }
  void on_request(const Request& r);
  void observe(const persistence::AppendRecord& r);
  void outbox_reports(sim::Outbox& out, Market m, TimeNs t);
  void rejected(const Request& r, InstrumentId ins, const sim::VenueError& e, TimeNs t);
  void query(AccountId account, InstrumentId ins, const ClientOrderIdText& cid, TimeNs t);
  // rec: the source's decoded record (an Event), handed to the engine as is.
  void feed(Market m, InstrumentId ins, InputRecord& rec, TimeNs ts);
  [[nodiscard]] Decimal mid(InstrumentId ins) const;
  [[nodiscard]] Decimal usdt_price(std::string_view asset) const;
  void sample_equity();  // skipped until every instrument has a mid

  const BacktestOptions& o_;
  setup::BuiltEngine& b_;
  ObservingStore store_;
  Draws draws_;
  std::vector<std::filesystem::path> caches_;  // each data file's converted records
  std::unique_ptr<actors::EventLog> log_;
  std::unique_ptr<actors::Engine> engine_;
  sim::Venue spot_{Market::kSpot}, usdm_{Market::kUsdm};
  std::vector<Listed> listed_;  // by instrument id
  std::map<std::pair<Market, std::string>, InstrumentId> by_symbol_;
  std::map<std::pair<std::uint16_t, Market>, sim::ApiKeyId> keys_;
  // The venue feed's book sync per instrument: the snapshot being assembled from its chunks,
  // the last applied update id, whether the current diff's chunks apply.
  sim::BookDeltaIn delta_in_;  // a diff's levels for the venue (reused: no allocation per diff)
  struct Sync {
    sim::BookSnapshotIn snapshot;
    std::uint64_t synced = 0;
    bool live = false, applying = false;
    bool seen = false;  // the data has named this instrument
  };
  std::vector<Sync> sync_;
  std::map<InstrumentId, Decimal> initial_base_;  // spot base held at start
  // The account of each venue key, per market (the venue's reports name keys).
  std::map<sim::ApiKeyId, AccountId> owner_[2];
  std::priority_queue<Due, std::vector<Due>, std::greater<>> queue_;
  std::uint64_t scheduled_ = 0, report_serial_ = 0;
  TimeNs now_ = 0, next_housekeeping_ = 0, next_valuation_ = 0;
  std::size_t next_command_ = 0;  // options.commands run so far
  TimeNs feed_delay_ = 0, min_feed_delay_ = 0;
  bool feed_delay_known_ = false;
  std::unordered_map<std::string, std::size_t> order_index_;
  std::map<std::pair<std::string, std::uint64_t>, std::size_t> saga_index_;  // (strategy, saga)
  std::vector<std::shared_ptr<Session>> sessions_;
  BacktestResult result_;
  std::vector<EventPayload> events_;
};

void Session::place(const OrderSubmitted& order, const SendOrigin&) {
  Request r;
  r.kind = Request::Kind::kPlace;
  r.account = account_;
  r.order = order;
  d_.schedule(std::move(r));
}
void Session::cancel(const CancelOrder& cancel) {
  Request r;
  r.kind = Request::Kind::kCancel;
  r.account = account_;
  r.cancel = cancel;
  d_.schedule(std::move(r));
}
void Session::amend(const AmendOrder& amend) {
  Request r;
  r.kind = Request::Kind::kAmend;
  r.account = account_;
  r.amend = amend;
  d_.schedule(std::move(r));
}
void Session::query(AccountId account, InstrumentId instrument, const ClientOrderIdText& cid) {
  Request r;
  r.kind = Request::Kind::kQuery;
  r.account = account;
  r.instrument = instrument;
  r.client_order_id = cid;
  d_.schedule(std::move(r));
}

Decimal Driver::mid(InstrumentId ins) const {
  const auto& l = listed_[ins.index()];
  if (!l.known) return Decimal{};
  const auto& v = l.instrument->market == Market::kSpot ? spot_ : usdm_;
  const auto top = v.top(l.symbol);
  if (top.bid && top.ask) return Decimal::from_raw((top.bid->price.raw() + top.ask->price.raw()) / 2);
  const auto last = v.last_price(l.symbol);
  return last ? *last : Decimal{};
}

// An asset's USDT value: 1 for USDT, else the mid of its spot ASSET/USDT book (the USD-M one
// when spot has none); zero when neither is listed.
Decimal Driver::usdt_price(std::string_view asset) const {
  if (asset == "USDT") return Decimal::from_raw(Decimal::kOne);
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    const auto it = by_symbol_.find({m, std::string(asset) + "USDT"});
    if (it != by_symbol_.end()) {
      const Decimal p = mid(it->second);
      if (!p.is_zero()) return p;
    }
  }
  return Decimal{};
}

void Driver::rejected(const Request& r, InstrumentId ins, const sim::VenueError& e, TimeNs t) {
  OrderRejected rej{r.account, ins, r.order.client_order_id,
                    static_cast<std::uint16_t>(ExchangeErrorCode::kVenueRejected), e.code, {}};
  if (!rej.reason.assign(e.msg)) (void)rej.reason.assign(std::string_view(e.msg).substr(0, ReasonText::kCapacity));
  Fnv h;
  h.add(std::uint64_t{r.account.value});
  h.add("rejected");
  h.add(r.order.client_order_id.view());
  report(r.account, rej, h.value(), t, t + latency());
}

void Driver::query(AccountId account, InstrumentId ins, const ClientOrderIdText& cid, TimeNs t) {
  const auto& l = listed_[ins.index()];
  OrderStatusReconciled s;
  s.account = account;
  s.instrument = ins;
  s.client_order_id = cid;
  s.status = OrderStatus::kRejected;  // the venue does not know it
  const auto k = l.known ? key(account, l.instrument->market) : std::nullopt;
  if (k) {
    auto v = venue(l.instrument->market).query(*k, l.symbol, sim::OrderRef{0, cid.str()});
    if (v) {
      (void)s.venue_order_id.assign(std::to_string(v->order_id));
      s.status = status_of(v->status);
      s.cum_qty = v->executed_qty;
      if (!v->executed_qty.is_zero()) {
        if (auto avg = v->cum_quote.div(v->executed_qty, Rounding::kHalfEven)) s.avg_price = *avg;
      }
    }
  }
  Fnv h;
  h.add(std::uint64_t{account.value});
  h.add("query");
  h.add(cid.view());
  h.add(++report_serial_);
  report(account, s, h.value(), t, t + latency());
}

// The engine's own order events: an order it decided (OrderSubmitted) and one risk or the desk
// refused before it left (OrderRejected with our code, 2xxx/3xxx).
void Driver::observe(const persistence::AppendRecord& rec) {
  if (rec.subject.rfind("strategies.", 0) == 0 && rec.subject.ends_with(".saga")) {
    auto e = decode_event_json(rec.payload, b_.directory);
    const auto* st = e ? std::get_if<ArbSagaStep>(&e->payload) : nullptr;
    if (st == nullptr) return;
    const std::string strategy = b_.directory.strategies.name(st->strategy);
    const auto [it, fresh] = saga_index_.try_emplace({strategy, st->saga}, result_.sagas.size());
    if (fresh) {
      result_.sagas.push_back(BacktestSaga{strategy, st->saga, {}, false, {}, {}, false, 0,
                                           st->buy_order.str(), st->sell_order.str()});
    }
    BacktestSaga& b = result_.sagas[it->second];
    b.state = st->state;
    b.hedged = st->state == SagaState::kClosed && st->attempts > 0;  // closed by a hedge
    if (const auto pnl = actors::exact_e18(st->pnl)) (void)actors::round_e18(*pnl, b.pnl);
    b.slippage = st->slippage;
    b.both_legs_filled = st->bought.is_positive() && st->sold.is_positive() && st->legs_ended == 3;
    b.leg_latency = st->legs_acked != 0 ? st->legs_acked - st->started : 0;
    return;
  }
  if (rec.subject.rfind("orders.", 0) != 0) return;
  const bool submitted = rec.payload.find("\"type\":\"OrderSubmitted\"") != std::string::npos;
  const bool rejected = !submitted && rec.payload.find("\"type\":\"OrderRejected\"") != std::string::npos;
  if (!submitted && !rejected) return;
  auto e = decode_event_json(rec.payload, b_.directory);
  if (!e) return;
  if (const auto* o = std::get_if<OrderSubmitted>(&e->payload)) {
    BacktestOrder bo;
    bo.time = now_;
    bo.account = b_.directory.accounts.name(o->account);
    bo.strategy = o->strategy.valid() ? b_.directory.strategies.name(o->strategy) : "";
    bo.instrument = listed_[o->instrument.index()].instrument->symbol.to_string();
    bo.client_order_id = o->client_order_id.str();
    bo.quantity = o->quantity;
    order_index_[bo.client_order_id] = result_.orders.size();
    result_.orders.push_back(std::move(bo));
  } else if (const auto* rj = std::get_if<OrderRejected>(&e->payload)) {
    const auto it = order_index_.find(rj->client_order_id.str());
    if (it == order_index_.end()) return;
    auto& order = result_.orders[it->second];
    if (rj->code >= 4000) order.rejected = true;  // the venue's refusal
    else order.refused = true;                    // risk (2xxx) or the desk (3xxx)
  }
}

void Driver::on_request(const Request& r) {
  const TimeNs t = now_;
  sim::Outbox out;
  switch (r.kind) {
    case Request::Kind::kPlace: {
      const OrderSubmitted& o = r.order;
      const auto& l = listed_[o.instrument.index()];
      const auto k = l.known ? key(r.account, l.instrument->market) : std::nullopt;
      if (!k) {
        rejected(r, o.instrument, {-1121, "Invalid symbol."}, t);
        return;
      }
      const Market m = l.instrument->market;
      sim::NewOrder n;
      n.account = *k;
      n.symbol = l.symbol;
      n.client_order_id = o.client_order_id.str();
      n.side = o.side;
      n.price = o.price;
      n.quantity = o.quantity;
      n.stop_price = o.stop_price;
      n.reduce_only = o.reduce_only;
      switch (o.order_type) {
        case OrderType::kLimit: n.type = sim::SimOrderType::kLimit; break;
        case OrderType::kMarket: n.type = sim::SimOrderType::kMarket; break;
        case OrderType::kStopLoss: n.type = sim::SimOrderType::kStopLoss; break;
        case OrderType::kStopLossLimit: n.type = sim::SimOrderType::kStopLossLimit; break;
        case OrderType::kTakeProfit: n.type = sim::SimOrderType::kTakeProfit; break;
        case OrderType::kTakeProfitLimit: n.type = sim::SimOrderType::kTakeProfitLimit; break;
      }
      switch (o.tif) {
        case TimeInForce::kGtc: n.tif = sim::SimTif::kGtc; break;
        case TimeInForce::kIoc: n.tif = sim::SimTif::kIoc; break;
        case TimeInForce::kFok: n.tif = sim::SimTif::kFok; break;
        case TimeInForce::kPostOnly:
          // Binance: spot LIMIT_MAKER, USD-M LIMIT with GTX.
          if (m == Market::kSpot) n.type = sim::SimOrderType::kLimitMaker;
          else n.tif = sim::SimTif::kGtx;
          break;
      }
      if (n.type == sim::SimOrderType::kMarket || n.type == sim::SimOrderType::kStopLoss ||
          n.type == sim::SimOrderType::kTakeProfit || n.type == sim::SimOrderType::kLimitMaker) {
        if (n.type != sim::SimOrderType::kLimitMaker) n.tif = sim::SimTif::kGtc;
      }
      auto placed = venue(m).place(n, t, out);
      if (!placed) {
        rejected(r, o.instrument, placed.error(), t);
        return;
      }
      outbox_reports(out, m, t);
      return;
    }
    case Request::Kind::kCancel: {
      const auto& c = r.cancel;
      const auto& l = listed_[c.instrument.index()];
      const auto k = l.known ? key(r.account, l.instrument->market) : std::nullopt;
      if (!k) return;
      auto done = venue(l.instrument->market).cancel(*k, l.symbol, sim::OrderRef{0, c.client_order_id.str()}, t, out);
      // As the connector: a refused cancel (-2011: already filled, unknown) asks for the state.
      if (!done) return query(r.account, c.instrument, c.client_order_id, t);
      outbox_reports(out, l.instrument->market, t);
      return;
    }
    case Request::Kind::kAmend: {
      const auto& a = r.amend;
      const auto& l = listed_[a.instrument.index()];
      const auto k = l.known ? key(r.account, l.instrument->market) : std::nullopt;
      if (!k) return;
      const Market m = l.instrument->market;
      auto& v = venue(m);
      const sim::OrderRef ref{0, a.client_order_id.str()};
      auto current = v.query(*k, l.symbol, ref);
      if (!current) return query(r.account, a.instrument, a.client_order_id, t);
      const Decimal qty = a.new_quantity.is_zero() ? current->quantity : a.new_quantity;
      const Decimal px = a.new_price.is_zero() ? current->price : a.new_price;
      bool ok = false;
      if (m == Market::kUsdm) {
        ok = v.modify(*k, l.symbol, ref, current->side, qty, px, t, out).ok();
      } else {
        sim::NewOrder n;
        n.account = *k;
        n.symbol = l.symbol;
        n.client_order_id = a.client_order_id.str();  // as the connector: the new order keeps the id
        n.side = current->side;
        n.type = current->type;
        n.tif = current->tif;
        n.price = px;
        n.quantity = qty;
        ok = v.cancel_replace(ref, n, t, out).ok();
      }
      if (!ok) return query(r.account, a.instrument, a.client_order_id, t);
      outbox_reports(out, m, t);
      return;
    }
    case Request::Kind::kQuery: return query(r.account, r.instrument, r.client_order_id, t);
  }
}

// The venue's user-data pushes of one call, as the connector makes them into events.
void Driver::outbox_reports(sim::Outbox& out, Market m, TimeNs t) {
  auto& owner = owner_[m == Market::kSpot ? 0 : 1];
  for (const auto& er : out.reports) {
    const auto ins_it = by_symbol_.find({m, venue(m).instrument(er.symbol).venue_symbol});
    if (ins_it == by_symbol_.end()) continue;
    const InstrumentId ins = ins_it->second;
    const AccountId account = owner[er.account];
    binance::OrderUpdate u;
    u.futures = m == Market::kUsdm;
    (void)u.symbol.assign(venue(m).instrument(er.symbol).venue_symbol);
    (void)u.client_order_id.assign(er.client_order_id);
    (void)u.orig_client_order_id.assign(er.orig_client_order_id);
    u.side = er.side;
    (void)u.order_type.assign(sim::to_string(er.type, m));
    (void)u.time_in_force.assign(sim::to_string(er.tif));
    u.execution_type = exec_of(er.exec_type, er.status);
    u.status = status_of(er.status);
    (void)u.venue_status.assign(sim::to_string(er.status));
    u.order_id = static_cast<std::uint64_t>(er.order_id);
    u.trade_id = er.trade_id;
    u.event_time = static_cast<std::uint64_t>(er.event_time / kMs);
    u.transaction_time = static_cast<std::uint64_t>(er.transaction_time / kMs);
    u.quantity = er.quantity;
    u.price = er.price;
    u.stop_price = er.stop_price;
    u.last_qty = er.last_qty;
    u.cum_qty = er.cum_qty;
    u.last_price = er.last_price;
    u.commission = er.commission;
    (void)u.commission_asset.assign(er.commission_asset);
    u.cum_quote = er.cum_quote;
    u.avg_price = er.avg_price;
    u.realized_pnl = er.realized_profit;
    u.is_maker = er.maker;
    u.reduce_only = er.reduce_only;
    events_.clear();
    if (auto r = binance::to_events(u, account, ins, events_); !r) {
      spdlog::warn("backtest: venue report of {} not translated: {}", er.client_order_id, r.error().message);
      continue;
    }
    const TimeNs venue_time = er.transaction_time != 0 ? er.transaction_time : er.event_time;
    for (const auto& e : events_) {
      Fnv h;
      h.add(std::uint64_t{account.value});
      h.add(std::uint64_t{static_cast<std::uint8_t>(m)});
      h.add(std::uint64_t{e.index()});
      h.add(static_cast<std::uint64_t>(er.order_id));
      h.add(static_cast<std::uint64_t>(er.trade_id));
      h.add(static_cast<std::uint64_t>(er.cum_qty.raw()));
      h.add(std::uint64_t{static_cast<std::uint8_t>(er.exec_type)});
      report(account, e, h.value(), venue_time, t + latency());
      if (const auto* f = std::get_if<FillReceived>(&e)) {
        BacktestFill bf;
        bf.time = t;
        bf.account = b_.directory.accounts.name(account);
        const auto it = order_index_.find(std::string(f->client_order_id.view()));
        if (it != order_index_.end()) {
          auto& order = result_.orders[it->second];
          bf.strategy = order.strategy;
          order.filled = Decimal::from_raw(order.filled.raw() + f->quantity.raw());
        }
        bf.instrument = listed_[ins.index()].instrument->symbol.to_string();
        bf.market = m;
        bf.side = f->side;
        bf.price = f->price;
        bf.quantity = f->quantity;
        bf.fee = f->fee;
        bf.fee_asset = std::string(f->fee_asset.view());
        const auto fee_usdt = f->fee.mul(usdt_price(bf.fee_asset), Rounding::kHalfEven);
        bf.fee_usdt = fee_usdt ? *fee_usdt : Decimal{};
        bf.mid = mid(ins);
        bf.maker = f->liquidity == Liquidity::kMaker;
        bf.client_order_id = std::string(f->client_order_id.view());
        result_.fills.push_back(std::move(bf));
      }
    }
  }
  for (const auto& au : out.account_updates) {
    const AccountId account = owner[au.account];
    for (const auto& bal : au.balances) {
      BalanceUpdated e;
      e.account = account;
      e.market = m;
      (void)e.asset.assign(bal.asset);
      e.free = bal.free;
      e.locked = m == Market::kSpot ? bal.locked : Decimal{};
      Fnv h;
      h.add(std::uint64_t{account.value});
      h.add(std::uint64_t{static_cast<std::uint8_t>(m)});
      h.add("balance");
      h.add(bal.asset);
      h.add(++report_serial_);
      report(account, e, h.value(), au.event_time, t + latency());
    }
    for (const auto& p : au.positions) {
      const auto it = by_symbol_.find({m, venue(m).instrument(p.symbol).venue_symbol});
      if (it == by_symbol_.end()) continue;
      PositionUpdated e;
      e.account = account;
      e.instrument = it->second;
      e.position_side = p.position_side;
      e.size = p.amount;
      e.entry_price = p.entry_price;
      e.margin_type = p.margin_type;
      e.unrealized_pnl = p.unrealized_pnl;
      e.realized_pnl = p.realized_pnl;
      Fnv h;
      h.add(std::uint64_t{account.value});
      h.add("position");
      h.add(std::uint64_t{it->second.value});
      h.add(++report_serial_);
      report(account, e, h.value(), au.event_time, t + latency());
    }
  }
  out.clear();
}

// One recorded message at ts (a converted record, md_cache.hpp): the venue's background first
// (the venue moved before we heard of it), then the engine.
// A fresh record's desk, read once (not a whole InputRecord built per message).
const std::uint16_t kFreshDesk = InputRecord{}.desk;

void Driver::feed(Market m, InstrumentId ins, InputRecord& rec, TimeNs ts) {
  Event& e = std::get<Event>(rec.body);
  const auto& l = listed_[ins.index()];
  auto& v = venue(m);
  std::visit([ins](auto& p) {
    if constexpr (requires { p.instrument; }) p.instrument = ins;
  }, e.payload);
  sim::Outbox out;
  const auto engine_md = [&] {
    // The source's record itself, as a fresh market-data input (the message, ~1 KB, not copied).
    rec.step = InputStep::kMarketData;
    rec.desk = kFreshDesk;
    rec.run = rec.seq = rec.global_seq = 0;
    rec.now = ts;
    rec.received_ns = 0;
    rec.account = {};
    rec.instrument = {};
    rec.value = {};
    step(rec);
  };
  auto& sync = sync_[ins.index()];
  sync.seen = true;
  if (const auto* s = std::get_if<BookSnapshot>(&e.payload)) {
    // The venue's book: the whole snapshot (its chunks), then only the diffs after it.
    if (s->chunk == 0) sync.snapshot = {};
    for (std::size_t i = 0; i < s->levels.count; ++i) {
      const auto& lv = s->levels.items[i];
      (lv.side == BookSide::kBid ? sync.snapshot.bids : sync.snapshot.asks).push_back({lv.price, lv.quantity});
    }
    if (s->last_chunk) {
      v.on_snapshot(l.symbol, sync.snapshot, ts, out);
      sync.synced = s->last_update_id;
      sync.live = true;
      sync.applying = false;
      outbox_reports(out, m, ts);
    }
    engine_md();
  } else if (const auto* d = std::get_if<BookDelta>(&e.payload)) {
    if (d->chunk == 0 && e.envelope.event_time != 0) observe_feed_delay(ts - e.envelope.event_time);
    // A diff after the snapshot (its first chunk decides; the rest of the diff follows it).
    if (d->chunk == 0) sync.applying = sync.live && d->last_update_id > sync.synced;
    if (sync.applying) {
      sim::BookDeltaIn& in = delta_in_;
      in.bids.clear();
      in.asks.clear();
      for (std::size_t i = 0; i < d->levels.count; ++i) {
        const auto& lv = d->levels.items[i];
        (lv.side == BookSide::kBid ? in.bids : in.asks).push_back({lv.price, lv.quantity});
      }
      v.on_delta(l.symbol, in, ts, out);
      sync.synced = d->last_update_id;
      outbox_reports(out, m, ts);
    }
    engine_md();
  } else if (std::holds_alternative<BestBidOffer>(e.payload)) {
    engine_md();
  } else if (const auto* t = std::get_if<TradePrinted>(&e.payload)) {
    // Another participant's trade: resting orders at its price fill by queue position.
    v.on_trade(l.symbol, {t->price, t->quantity, t->aggressor == Side::kSell}, ts, out);
    outbox_reports(out, m, ts);
    engine_md();  // the traded volume: execution algos' participation caps and VWAP profiles
  }
  // A message is what the venue sent once: a depth diff or snapshot counts once, not per chunk.
  const bool continued = std::visit([](const auto& p) {
    if constexpr (requires { p.chunk; }) return p.chunk != 0;
    return false;
  }, e.payload);
  if (!continued) ++result_.messages;
}

// A sample once every instrument that has had market data has a mid (before that its holdings
// have no value); instruments the data never names are not valued.
void Driver::sample_equity() {
  bool any = false;
  for (const auto& i : b_.instruments) {
    if (!listed_[i.id.index()].known || !sync_[i.id.index()].seen) continue;
    if (mid(i.id).is_zero()) return;
    any = true;
  }
  if (!any) return;
  EquityPoint p;
  p.time = now_;
  Int128 equity = 0;  // sums of a backtest's balances (far inside 128 bits)
  for (const auto& [k, key] : keys_) {
    if (k.second == Market::kSpot) {
      for (const auto& b : spot_.balances(key)) {
        const Decimal total = Decimal::from_raw(b.free.raw() + b.locked.raw());
        if (auto x = total.mul(usdt_price(b.asset), Rounding::kHalfEven)) equity += x->raw();
      }
    } else {
      equity += usdm_.wallet_balance(key).raw();
      for (const auto& pos : usdm_.positions(key)) equity += pos.unrealized_pnl.raw();
    }
  }
  p.equity = Decimal::from_raw(equity);
  for (const auto& i : b_.instruments) {
    const auto& l = listed_[i.id.index()];
    if (!l.known || !sync_[i.id.index()].seen) continue;
    const Decimal m = mid(i.id);
    if (m.is_zero()) continue;
    const std::string name = i.symbol.to_string();
    p.mid[name] = m;
    Int128 pos = 0;
    for (const auto& [k, key] : keys_) {
      if (k.second != i.market) continue;
      if (i.market == Market::kUsdm) {
        pos += usdm_.position(key, l.symbol).amount.raw();
      } else {
        for (const auto& b : spot_.balances(key)) {
          if (b.asset == i.symbol.base) pos += b.free.raw() + b.locked.raw();
        }
      }
    }
    if (i.market == Market::kSpot) pos -= initial_base_[i.id].raw();
    p.position[name] = Decimal::from_raw(pos);
  }
  result_.equity.push_back(std::move(p));
}

Result<BacktestResult, std::string> Driver::run(const std::function<void(const BacktestProgress&)>& progress) {
  // The sources, merged by receive time: each converted file (md_cache.hpp: one instrument,
  // records carrying id 0), or omsd's recording (MD_ stream: the records of the desk's runs,
  // each instrument id as its run's setup numbered it).
  struct Source {
    std::string name;  // for errors: the file or the stream
    std::unique_ptr<persistence::FileJournal> journal;  // a cache's
    std::unique_ptr<StreamCursor> cursor;
    // The record's market and instrument in this backtest; nullopt: not one of ours (skipped).
    std::function<std::optional<std::pair<Market, InstrumentId>>(const InputRecord&)> place;
    InputRecord rec;
    std::pair<Market, InstrumentId> at{};
    bool has = false;
  };
  std::vector<Source> sources;
  std::uint64_t total = 0;
  const persistence::StreamLayout cache_layout({}, {ExchangeId::kBinance});
  for (std::size_t i = 0; i < o_.data.size(); ++i) {
    const auto& f = o_.data[i];
    const auto it = by_symbol_.find({f.market, f.venue_symbol});
    if (it == by_symbol_.end()) {
      return Unexpected(f.path.string() + ": " + std::string(to_string(f.market)) + " " + f.venue_symbol +
                        " is not among the instruments");
    }
    persistence::FileJournalOptions jo;
    jo.dedup_window = 0;
    jo.fsync = persistence::FsyncPolicy::kNever;
    auto j = persistence::FileJournal::open(caches_[i], cache_layout, jo);
    if (!j) return Unexpected(caches_[i].string() + ": " + j.error().message);
    Source s;
    s.name = f.path.string();
    s.journal = std::move(j).value();
    s.cursor = std::make_unique<StreamCursor>(*s.journal, "MD_binance", "", 1, 0, 4096, StreamCursor::Ids::kNotNeeded);
    const std::pair<Market, InstrumentId> at{f.market, it->second};
    s.place = [at](const InputRecord&) { return std::optional(at); };
    if (auto last = s.journal->last_sequence("MD_binance")) total += *last;
    sources.push_back(std::move(s));
  }
  if (o_.recording.store != nullptr) {
    const auto& rec = o_.recording;
    auto first = first_sequence_from_day(*rec.store, rec.md_stream, persistence::utc_day(o_.from));
    if (!first) return Unexpected(first.error());
    Source s;
    s.name = rec.md_stream;
    s.cursor = std::make_unique<StreamCursor>(*rec.store, rec.md_stream, "", *first, 0, 4096,
                                              StreamCursor::Ids::kNotNeeded);
    // (run, the run's instrument id) -> ours, through each run's recorded instrument names.
    std::map<std::uint64_t, std::vector<std::optional<std::pair<Market, InstrumentId>>>> by_run;
    for (const auto& [run, instruments] : rec.runs) {
      auto& v = by_run[run];
      for (const auto& i : instruments) {
        const auto it = by_symbol_.find({i.market, i.venue_symbol});
        v.push_back(it == by_symbol_.end() ? std::nullopt : std::optional(std::pair{i.market, it->second}));
      }
    }
    const std::uint16_t desk = rec.desk;
    s.place = [by_run = std::move(by_run), desk](const InputRecord& r) -> std::optional<std::pair<Market, InstrumentId>> {
      if (r.desk != desk) return std::nullopt;
      const auto run = by_run.find(r.run);
      const auto& e = std::get<Event>(r.body);
      const auto ins = std::visit([](const auto& p) -> InstrumentId {
        if constexpr (requires { p.instrument; }) return p.instrument;
        return InstrumentId{};
      }, e.payload);
      if (run == by_run.end() || !ins.valid() || ins.index() >= run->second.size()) return std::nullopt;
      return run->second[ins.index()];
    };
    if (auto last = rec.store->last_sequence(rec.md_stream); last && *last >= *first) total += *last - *first + 1;
    sources.push_back(std::move(s));
  }
  const auto advance = [&](Source& s) -> Result<Unit, std::string> {
    for (;;) {
      s.has = false;
      auto p = s.cursor->peek();
      if (!p) return Unexpected(p.error());
      if (*p == nullptr) return Unit{};
      if (auto e = actors::decode_input_into((*p)->payload, s.rec)) {
        return Unexpected(s.name + " (record " + std::to_string((*p)->sequence) + "): " + *e);
      }
      s.cursor->pop();
      if (!std::holds_alternative<Event>(s.rec.body)) {
        return Unexpected(s.name + ": a market-data record without a message");
      }
      const auto at = s.place(s.rec);
      if (!at) continue;  // another desk's, or an instrument this backtest does not run
      s.at = *at;
      s.has = true;
      return Unit{};
    }
  };
  for (auto& s : sources) {
    if (auto a = advance(s); !a) return Unexpected(a.error());
  }

  // The engine, its accounts on the simulated venues with their deposits.
  std::vector<actors::EngineAccount> accounts = b_.engine_accounts();
  TimeNs first = std::numeric_limits<TimeNs>::max();
  for (const auto& s : sources) {
    if (s.has) first = std::min(first, s.rec.now);
  }
  if (first == std::numeric_limits<TimeNs>::max()) return Unexpected(std::string("the market data holds no message in the range"));
  now_ = std::max(first, o_.from);
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    auto session = std::make_shared<Session>(*this, accounts[i].id);
    accounts[i].session = session;
    sessions_.push_back(session);
  }
  actors::EngineOptions eo = b_.engine_options();
  eo.run_shard = false;
  eo.record_inputs = false;
  const TimeNs start = now_;
  eo.clock = [start] { return start; };
  try {
    engine_ = std::make_unique<actors::Engine>(std::move(eo), *b_.table, *log_, store_, nullptr,
                                               b_.risk, accounts);
  } catch (const std::exception& e) {
    return Unexpected(std::string("the engine: ") + e.what());
  }
  // Each account on the venue of each market it trades, with its fees and deposit; the
  // balances reach the engine before the first message (as omsd folds them before trading).
  const auto* ex = b_.config.exchanges.find(ExchangeId::kBinance);
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    for (const Market m : b_.setup.accounts[i].markets) {
      sim::AccountConfig ac;
      ac.api_key = accounts[i].name + "." + std::string(to_string(m));
      if (o_.fees) {
        ac.maker_rate = o_.fees->first;
        ac.taker_rate = o_.fees->second;
      } else if (ex != nullptr && ex->markets[static_cast<std::size_t>(m)]) {
        const auto& f = ex->markets[static_cast<std::size_t>(m)]->fees;
        const Decimal bps = Decimal::from_raw(Int128{10'000} * Decimal::kOne);
        auto maker = f.maker_bps.div(bps, Rounding::kExact);
        auto taker = f.taker_bps.div(bps, Rounding::kExact);
        if (!maker || !taker) return Unexpected(std::string("exchanges.yaml binance fees: a bp rate finer than 1e-9"));
        ac.maker_rate = *maker;
        ac.taker_rate = *taker;
      }
      const auto key = venue(m).add_account(ac);
      keys_[{accounts[i].id.value, m}] = key;
      owner_[m == Market::kSpot ? 0 : 1][key] = accounts[i].id;
      sim::Outbox out;
      if (m == Market::kSpot) {
        for (const auto& [asset, amount] : o_.spot_deposit) {
          if (auto d = spot_.deposit(key, asset, amount, now_, out); !d) {
            return Unexpected("deposit " + asset + " to " + ac.api_key + ": " + d.error().msg);
          }
          for (const auto& ins : b_.instruments) {
            if (ins.market == Market::kSpot && ins.symbol.base == asset) {
              auto& base = initial_base_[ins.id];
              base = Decimal::from_raw(base.raw() + amount.raw());
            }
          }
        }
      } else if (auto d = usdm_.deposit(key, "USDT", o_.usdm_deposit, now_, out); !d) {
        return Unexpected("deposit USDT to " + ac.api_key + ": " + d.error().msg);
      }
      outbox_reports(out, m, now_);
    }
  }
  while (!queue_.empty()) {
    Due d = queue_.top();
    queue_.pop();
    deliver(d);
  }
  step_plain(InputStep::kReconcile);
  sample_equity();
  next_housekeeping_ = now_ + kHousekeepingEvery;
  next_valuation_ = now_ + kValuationEvery;

  TimeNs next_report = 0;
  const auto began = std::chrono::steady_clock::now();
  std::uint64_t read = 0;
  TimeNs last = now_;
  for (;;) {
    Source* best = nullptr;
    for (auto& s : sources) {
      if (s.has && (best == nullptr || s.rec.now < best->rec.now)) best = &s;
    }
    if (best == nullptr) break;
    const TimeNs ts = best->rec.now;
    if (o_.to != 0 && ts > o_.to) break;
    ++read;
    if (ts >= now_) {
      run_commands(ts);
      advance_time(ts);
      feed(best->at.first, best->at.second, best->rec, ts);
      last = ts;
    }
    if (auto a = advance(*best); !a) return Unexpected(a.error());
    if (progress && (read & 0x3FFU) == 0) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      if (secs * 1e9 >= static_cast<double>(next_report)) {
        next_report = static_cast<TimeNs>(secs * 1e9) + 200 * kMs;
        progress(BacktestProgress{read, total, secs});
      }
    }
  }
  // Answers still on their way, then the last valuation.
  advance_time(last + kDrain);
  for (; next_command_ < o_.commands.size(); ++next_command_) {
    result_.commands_not_run.push_back("command " + std::to_string(o_.commands[next_command_].envelope.id) +
                                       ": after the data's end, not run");
  }
  if (auto algos = engine_->algos(std::chrono::milliseconds(0))) result_.algos = std::move(algos).value();
  sample_equity();
  result_.first_time = start;
  result_.last_time = now_;
  result_.engine_events = log_->events_appended();
  result_.notes = b_.notes;
  // Signals whose legs were refused before either left: no event tells them, the engine does.
  for (std::size_t i = 0; i < b_.directory.strategies.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    const auto v = engine_->strategy(id, std::chrono::milliseconds(0));
    if (!v || (*v)->kind != actors::StrategyKind::kArbitrage) continue;
    result_.signals_refused[b_.directory.strategies.name(id)] = {(*v)->sagas.refused, (*v)->sagas.last_refusal};
  }
  if (progress) {
    progress(BacktestProgress{read, read,
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()});
  }
  return std::move(result_);
}

void Driver::advance_time(TimeNs t) {
  for (;;) {
    const TimeNs q = queue_.empty() ? std::numeric_limits<TimeNs>::max() : queue_.top().time;
    const TimeNs next = std::min({q, next_housekeeping_, next_valuation_});
    if (next > t) break;
    now_ = std::max(now_, next);
    step_plain(InputStep::kTimers);
    if (next == q) {
      Due d = queue_.top();
      queue_.pop();
      if (d.request) on_request(d.req);
      else deliver(d);
    } else if (next == next_housekeeping_) {
      step_plain(InputStep::kHousekeeping);
      next_housekeeping_ += kHousekeepingEvery;
    } else {
      step_plain(InputStep::kValuation);
      sample_equity();
      next_valuation_ += kValuationEvery;
    }
  }
  now_ = std::max(now_, t);
  step_plain(InputStep::kTimers);
}

}  // namespace

Result<BacktestResult, std::string> run_backtest(const BacktestOptions& options,
                                                 const std::function<void(const BacktestProgress&)>& progress) {
  if (options.data.empty() && options.recording.store == nullptr) {
    return Unexpected(std::string("no market data: neither data files nor a recording"));
  }
  // Each capture converted once into our recording format, then read from there.
  std::vector<std::filesystem::path> caches;
  std::uint64_t converted = 0;
  double convert_seconds = 0;
  for (const auto& f : options.data) {
    if (!std::filesystem::exists(f.path)) return Unexpected(f.path.string() + ": cannot open");
    auto dir = md_cache_dir(options.cache, f);
    if (!md_cache_ready(dir)) {
      auto c = convert_capture(f, dir);
      if (!c) return Unexpected(c.error());
      converted += c->messages;
      convert_seconds += c->seconds;
    }
    caches.push_back(std::move(dir));
  }
  std::unique_ptr<setup::BuiltEngine> built;
  try {
    built = setup::build_engine(options.setup);
  } catch (const std::exception& e) {
    return Unexpected(std::string(e.what()));
  }
  std::error_code ec;
  std::filesystem::remove_all(options.journal, ec);
  persistence::FileJournalOptions jo;
  jo.fsync = persistence::FsyncPolicy::kNever;
  auto journal = persistence::FileJournal::open(options.journal, built->stream_layout(), jo);
  if (!journal) return Unexpected("journal " + options.journal.string() + ": " + journal.error().message);
  Driver d(options, *built, **journal, std::move(caches));
  auto r = d.run(progress);
  if (r) {
    r->converted_messages = converted;
    r->convert_seconds = convert_seconds;
  }
  return r;
}

}  // namespace oms::replay
