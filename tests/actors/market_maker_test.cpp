// MarketMaker: quotes pinned value by value (ladder, skew, inventory clip, volatility, post-only
// guard), when it requotes, and when it pulls (shock, stale, inactive, daily loss); the action
// budget; the state across a checkpoint.
#include "oms/cores/market_maker.hpp"
#include "oms/messages/client_order_id.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace oms;
using namespace oms::actors;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }
constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kStart = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC

QuoterConfig config() {
  QuoterConfig c;
  c.strategy = StrategyId(2);
  c.account = AccountId(1);
  c.instrument = InstrumentId(0);
  c.tick = d("0.01");
  c.lot = d("0.001");
  c.spread_bps = d("10");
  c.quote_size = d("0.1");
  c.levels = 2;
  c.level_step_bps = d("5");
  c.max_inventory = d("1");
  c.skew_bps = d("4");
  c.requote_bps = d("2");
  return c;
}

TopOfBook top(const char* bid, const char* ask, const char* bq = "1", const char* aq = "1") {
  return TopOfBook{InstrumentId(0), 1, d(bid), d(bq), d(ask), d(aq), 0};
}

struct Fixture {
  MarketMaker mm;
  std::uint64_t sequence = 0;
  QuoterContext ctx;
  std::vector<QuoteAction> out;
  TimeNs now = kStart;

  explicit Fixture(QuoterConfig c = config()) : mm(std::move(c)) {
    ctx.desk = 3;
    ctx.sequence = &sequence;
  }
  std::vector<QuoteAction> on_top(const char* bid, const char* ask) {
    out.clear();
    mm.on_top(top(bid, ask), now, ctx, out);
    return out;
  }
  std::vector<QuoteAction> tick() {
    out.clear();
    mm.on_tick(now, ctx, out);
    return out;
  }
  std::vector<QuoteAction> order(const ClientOrderIdText& id, OrderStatus s, bool filled = false) {
    out.clear();
    CHECK(mm.on_order(id.view(), s, filled, now, ctx, out));
    return out;
  }
  // Every placed quote acknowledged by the venue.
  void accept(const std::vector<QuoteAction>& placed) {
    for (const auto& a : placed) {
      if (a.kind == QuoteAction::Kind::kPlace) (void)order(a.order.client_order_id, OrderStatus::kAccepted);
    }
  }
};

std::string quotes_of(const std::vector<QuoteAction>& actions) {
  std::string s;
  for (const auto& a : actions) {
    if (a.kind == QuoteAction::Kind::kPlace) {
      s += (a.order.side == Side::kBuy ? "B " : "S ") + a.order.quantity.to_string() + "@" +
           a.order.price.to_string() + " ";
    } else {
      s += "X " + a.cancel.client_order_id.str() + " ";
    }
  }
  return s;
}

std::string levels_of(const std::vector<MarketMaker::Level>& levels) {
  std::string s;
  for (const auto& l : levels) {
    s += (l.side == Side::kBuy ? "B " : "S ") + l.quantity.to_string() + "@" + l.price.to_string() + " ";
  }
  return s;
}

}  // namespace

TEST_CASE("a two-level ladder around the mid, post-only, with the strategy's ids") {
  Fixture f;
  const auto a = f.on_top("100.00", "100.02");
  CHECK(quotes_of(a) == "B 0.1@99.95 B 0.1@99.9 S 0.1@100.07 S 0.1@100.12 ");
  REQUIRE(a.size() == 4);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].order.tif == TimeInForce::kPostOnly);
    CHECK(a[i].order.order_type == OrderType::kLimit);
    CHECK(a[i].order.account == AccountId(1));
    CHECK(a[i].order.strategy == StrategyId(2));
    const auto id = parse_client_order_id(a[i].order.client_order_id.view());
    REQUIRE(id);
    CHECK(id->desk == 3);
    CHECK(id->strategy == StrategyId(2));
    CHECK(id->sequence == i + 1);
  }
  CHECK(f.mm.state() == QuoterState::kQuoting);
  CHECK(f.mm.quotes() == 4);
}

TEST_CASE("inventory moves both sides against the position and clips the side that adds to it") {
  Fixture f;
  (void)f.on_top("100.00", "100.02");
  f.ctx.inventory = d("0.5");
  CHECK(levels_of(f.mm.desired(f.ctx)) == "B 0.1@99.94 B 0.1@99.89 S 0.1@100.04 S 0.1@100.09 ");
  f.ctx.inventory = d("0.95");
  CHECK(levels_of(f.mm.desired(f.ctx)) == "B 0.05@99.92 S 0.1@100.03 S 0.1@100.08 ");
  f.ctx.inventory = d("1");
  CHECK(levels_of(f.mm.desired(f.ctx)) == "S 0.1@100.02 S 0.1@100.07 ");
  f.ctx.inventory = d("-1.2");  // beyond the cap: the lean stops at full
  CHECK(levels_of(f.mm.desired(f.ctx)) == "B 0.1@99.99 B 0.1@99.94 ");
}

TEST_CASE("the position value cap lowers the inventory cap at the fair price") {
  auto c = config();
  c.max_position_value = d("15.0015");  // 0.15 at 100.01
  Fixture f(c);
  (void)f.on_top("100.00", "100.02");
  CHECK(levels_of(f.mm.desired(f.ctx)) ==
        "B 0.1@99.95 B 0.05@99.9 S 0.1@100.07 S 0.05@100.12 ");
}

TEST_CASE("micro-price leans toward the thin side") {
  auto c = config();
  c.fair = FairPrice::kMicro;
  c.levels = 1;
  Fixture f(c);
  f.out.clear();
  f.mm.on_top(top("100.00", "100.02", "3", "1"), f.now, f.ctx, f.out);
  CHECK(f.mm.fair() == d("100.015"));  // (100 x 1 + 100.02 x 3) / 4
  CHECK(quotes_of(f.out) == "B 0.1@99.96 S 0.1@100.07 ");
}

TEST_CASE("a quote never crosses the book (post-only)") {
  auto c = config();
  c.spread_bps = d("0");
  c.levels = 1;
  Fixture f(c);
  CHECK(quotes_of(f.on_top("100.00", "100.01")) == "B 0.1@100 S 0.1@100.01 ");
}

TEST_CASE("volatility widens the spread beyond its floor") {
  auto c = config();
  c.levels = 1;
  c.vol_interval = 1000 * kMs;
  c.vol_samples = 1;  // alpha 1: sigma is the last return
  c.vol_multiplier = d("2");
  Fixture f(c);
  (void)f.on_top("100.00", "100.02");
  f.now += 1000 * kMs;
  (void)f.on_top("100.99", "101.01");  // +0.99 % since the first sample
  CHECK(f.mm.sigma() == 9'899'010);   // 0.99/100.01 in 1e-9 units, truncated
  // half = 2 x sigma = 1.979802 %: 101 x 0.98020198 = 99.0004 and 101 x 1.01979802 = 102.9996
  CHECK(levels_of(f.mm.desired(f.ctx)) == "B 0.1@99 S 0.1@103 ");
}

TEST_CASE("requotes: a small move keeps the quotes, a larger one replaces them, cancel first") {
  Fixture f;
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  CHECK(f.on_top("100.01", "100.03").empty());  // 1 bp: within requote_bps
  const auto moved = f.on_top("100.10", "100.12");  // 9 bp
  // Every quote's price changed: four cancels, nothing placed until they are confirmed.
  REQUIRE(moved.size() == 4);
  for (const auto& a : moved) CHECK(a.kind == QuoteAction::Kind::kCancel);
  CHECK(f.on_top("100.10", "100.12").empty());
  const auto replaced = f.order(moved[0].cancel.client_order_id, OrderStatus::kCanceled);
  CHECK(quotes_of(replaced) == "B 0.1@100.05 ");
  CHECK(f.mm.quotes() == 4);
}

TEST_CASE("the refresh interval holds back a requote on a price move, not on a fill") {
  auto c = config();
  c.refresh = 1000 * kMs;
  Fixture f(c);
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  f.now += 100 * kMs;
  CHECK(f.on_top("100.10", "100.12").empty());
  f.now += 900 * kMs;
  CHECK(f.tick().size() == 4);  // the interval passed: the four quotes are replaced
  Fixture g(c);
  const auto quoted = g.on_top("100.00", "100.02");
  g.accept(quoted);
  g.now += 100 * kMs;
  (void)g.on_top("100.10", "100.12");
  // A fill: new quotes at once at the new fair price (the filled bid's slot is free, the rest
  // are cancelled to be placed again).
  const auto after_fill = g.order(quoted[0].order.client_order_id, OrderStatus::kFilled, true);
  CHECK(quotes_of(after_fill) == "X " + quoted[1].order.client_order_id.str() + " X " +
                                     quoted[2].order.client_order_id.str() + " X " +
                                     quoted[3].order.client_order_id.str() + " B 0.1@100.05 ");
}

TEST_CASE("a price shock pulls every quote and pauses quoting") {
  auto c = config();
  c.shock_rate = d("0.005");
  c.shock_window = 1000 * kMs;
  c.shock_pause = 2000 * kMs;
  Fixture f(c);
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  f.now += 300 * kMs;
  const auto pulled = f.on_top("100.60", "100.62");  // +0.6 % within the window
  CHECK(pulled.size() == 4);
  for (const auto& a : pulled) CHECK(a.kind == QuoteAction::Kind::kCancel);
  CHECK(f.mm.state() == QuoterState::kShock);
  f.now += 1000 * kMs;
  CHECK(f.on_top("100.61", "100.63").empty());
  CHECK(f.tick().empty());
  f.now += 1001 * kMs;
  CHECK(f.tick().empty());  // quotes still cancelling: their slots are taken
  for (const auto& a : pulled) (void)f.order(a.cancel.client_order_id, OrderStatus::kCanceled);
  f.now += 1 * kMs;
  CHECK(f.mm.state() == QuoterState::kQuoting);
  CHECK(f.mm.quotes() == 4);
  CHECK(f.mm.pulls() == 1);
}

TEST_CASE("stale market data pulls the quotes until the next update") {
  auto c = config();
  c.stale_after = 500 * kMs;
  Fixture f(c);
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  f.now += 400 * kMs;
  CHECK(f.tick().empty());
  f.now += 200 * kMs;
  CHECK(f.tick().size() == 4);
  CHECK(f.mm.state() == QuoterState::kStale);
  f.now += 10 * kMs;
  (void)f.on_top("100.00", "100.02");
  CHECK(f.mm.state() == QuoterState::kQuoting);
}

TEST_CASE("an inactive strategy pulls its quotes; a quote that goes live after is cancelled") {
  Fixture f;
  const auto placed = f.on_top("100.00", "100.02");
  (void)f.order(placed[0].order.client_order_id, OrderStatus::kAccepted);
  f.ctx.active = false;
  const auto pulled = f.tick();
  CHECK(quotes_of(pulled) == "X " + placed[0].order.client_order_id.str() + " ");
  CHECK(f.mm.state() == QuoterState::kInactive);
  const auto late = f.order(placed[1].order.client_order_id, OrderStatus::kAccepted);
  CHECK(quotes_of(late) == "X " + placed[1].order.client_order_id.str() + " ");
}

TEST_CASE("the daily loss stop holds for the rest of the trading day") {
  auto c = config();
  c.max_daily_loss = d("50");
  Fixture f(c);
  f.ctx.pnl_e18 = static_cast<Int128>(20) * 1'000'000'000'000'000'000;  // +20 at the day's start
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  f.ctx.pnl_e18 = static_cast<Int128>(-31) * 1'000'000'000'000'000'000;  // -51 today
  CHECK(f.tick().size() == 4);
  CHECK(f.mm.state() == QuoterState::kLossStop);
  for (const auto& a : placed) CHECK(f.order(a.order.client_order_id, OrderStatus::kCanceled).empty());
  f.ctx.pnl_e18 = 0;
  f.now += 3'600'000 * kMs;
  CHECK(f.on_top("100.00", "100.02").empty());
  f.now = kStart + 86'400'000 * kMs;
  CHECK(f.tick().empty());  // a day later by the clock, but the engine's trading day is the same
  CHECK(f.mm.state() == QuoterState::kLossStop);
  f.ctx.trading_day += 1;  // the next trading day
  CHECK(f.tick().size() == 4);
  CHECK(f.mm.state() == QuoterState::kQuoting);
}

TEST_CASE("the auto stop loss pulls the quotes, closes the inventory at the touch, then pauses") {
  auto c = config();
  c.stop_loss_rate = d("0.02");  // 2 % of the inventory's value
  c.shock_pause = 5000 * kMs;
  c.requote_bps = d("1000");  // the quotes stay put while the price falls
  Fixture f(c);
  f.ctx.inventory = d("0.5");  // long 0.5, bought at 100
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  // At 98.5 the loss is 0.75, 1.5 % of 49.25: under 2 %, still quoting.
  f.ctx.unrealized_e18 = static_cast<Int128>(-750'000'000) * 1'000'000'000;  // -0.75
  (void)f.on_top("98.49", "98.51");
  CHECK(f.mm.state() == QuoterState::kQuoting);
  // At 97.5: 1.25 of 48.75 = 2.56 %: every quote pulled, nothing else while they rest.
  f.ctx.unrealized_e18 = static_cast<Int128>(-1'250'000'000) * 1'000'000'000;  // -1.25
  const auto pulled = f.on_top("97.49", "97.51");
  CHECK(f.mm.state() == QuoterState::kStopLoss);
  std::size_t cancels = 0;
  for (const auto& a : pulled) {
    CHECK(a.kind == QuoteAction::Kind::kCancel);
    cancels += a.kind == QuoteAction::Kind::kCancel ? 1U : 0U;
  }
  CHECK(cancels >= 2);
  std::vector<QuoteAction> closing;
  for (const auto& a : pulled) closing = f.order(a.cancel.client_order_id, OrderStatus::kCanceled);
  // The last cancel confirmed: the inventory goes, IOC at the bid, not post-only.
  REQUIRE(closing.size() == 1);
  const SubmitOrder& o = closing[0].order;
  CHECK(o.side == Side::kSell);
  CHECK(o.quantity == d("0.5"));
  CHECK(o.price == d("97.49"));
  CHECK(o.tif == TimeInForce::kIoc);
  CHECK(o.order_type == OrderType::kLimit);
  // One closing order at a time.
  CHECK(f.tick().empty());
  // It fills 0.3 and expires: the next goes for the rest.
  f.ctx.inventory = d("0.2");
  const auto next = f.order(o.client_order_id, OrderStatus::kExpired, true);
  REQUIRE(next.size() == 1);
  CHECK(next[0].order.quantity == d("0.2"));
  CHECK(f.mm.state() == QuoterState::kStopLoss);
  // Flat: quoting resumes after the pause, not before.
  f.ctx.inventory = Decimal{};
  f.ctx.unrealized_e18 = 0;
  CHECK(f.order(next[0].order.client_order_id, OrderStatus::kFilled, true).empty());
  CHECK(f.mm.state() == QuoterState::kShock);
  f.now += 4999 * kMs;
  CHECK(f.tick().empty());
  f.now += kMs;
  CHECK(f.tick().size() == 4);
  CHECK(f.mm.state() == QuoterState::kQuoting);
}

TEST_CASE("the action budget holds back what exceeds it until the next second") {
  auto c = config();
  c.max_actions_per_second = 3;
  Fixture f(c);
  CHECK(f.on_top("100.00", "100.02").size() == 3);
  f.now += 100 * kMs;
  CHECK(f.tick().empty());
  f.now += 1000 * kMs;
  CHECK(quotes_of(f.tick()) == "S 0.1@100.12 ");
}

TEST_CASE("an adopted order of a previous run is cancelled at the first requote") {
  Fixture f;
  const auto stray = *format_client_order_id(ClientOrderId{3, AccountId(1), StrategyId(2), 77});
  f.mm.adopt(stray, Side::kBuy, d("90"), d("0.1"));
  const auto a = f.on_top("100.00", "100.02");
  REQUIRE_FALSE(a.empty());
  CHECK(a[0].kind == QuoteAction::Kind::kCancel);
  CHECK(a[0].cancel.client_order_id == stray);
  CHECK(a.size() == 5);
}

TEST_CASE("a checkpoint of the quoter continues with the same decisions") {
  Directory names;
  Fixture f;
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  StateWriter w(names);
  f.mm.save(w);
  Fixture g;
  g.sequence = f.sequence;
  StateReader r(w.bytes(), names);
  g.mm.load(r);
  REQUIRE(r.ok());
  CHECK(quotes_of(f.on_top("100.10", "100.12")) == quotes_of(g.on_top("100.10", "100.12")));
  StateWriter w1(names), w2(names);
  f.mm.save(w1);
  g.mm.save(w2);
  CHECK(w1.bytes() == w2.bytes());
}

TEST_CASE("a quote the venue refuses is not sent again before the fair price moves") {
  Fixture f;
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  // The ask at 100.07 would have taken at the venue (its book had moved): refused.
  CHECK(f.order(placed[2].order.client_order_id, OrderStatus::kRejected).empty());
  CHECK(f.tick().empty());
  CHECK(f.on_top("100.00", "100.02").empty());  // the same fair price
  // The next fair price: the ask is placed again (the levels whose price moved are replaced).
  const std::string again = quotes_of(f.on_top("100.01", "100.03"));
  CHECK(again.ends_with("S 0.1@100.08 "));
  CHECK(again.find("S 0.1@100.08") == again.rfind("S 0.1@100.08"));
}

TEST_CASE("refusals in a row hold new quotes back, longer after each") {
  Fixture f;
  auto placed = f.on_top("100.00", "100.02");
  (void)f.order(placed[0].order.client_order_id, OrderStatus::kRejected);
  const auto second = f.order(placed[1].order.client_order_id, OrderStatus::kRejected);
  CHECK(second.empty());  // the second refusal: 100 ms
  f.now += 50 * kMs;
  CHECK(f.on_top("100.01", "100.03").empty());
  f.now += 60 * kMs;
  const auto later = f.tick();
  REQUIRE_FALSE(later.empty());
  // Another two refusals: 200 ms, then 400 ms.
  for (const auto& a : later) {
    if (a.kind == QuoteAction::Kind::kPlace) (void)f.order(a.order.client_order_id, OrderStatus::kRejected);
  }
  f.now += 300 * kMs;
  CHECK(f.on_top("100.02", "100.04").empty());
  f.now += 500 * kMs;
  const auto after = f.tick();
  CHECK_FALSE(after.empty());
  // An accepted quote ends the back-off.
  for (const auto& a : after) {
    if (a.kind == QuoteAction::Kind::kPlace) (void)f.order(a.order.client_order_id, OrderStatus::kAccepted);
  }
  CHECK(f.mm.state() == QuoterState::kQuoting);
}

TEST_CASE("a cancel the venue refuses (the quote still rests) is decided again") {
  Fixture f;
  const auto placed = f.on_top("100.00", "100.02");
  f.accept(placed);
  const auto cancels = f.on_top("100.10", "100.12");
  REQUIRE(cancels.size() == 4);
  // The venue refused the first cancel: the order is back to accepted.
  const auto again = f.order(placed[0].order.client_order_id, OrderStatus::kAccepted);
  CHECK(quotes_of(again) == "X " + placed[0].order.client_order_id.str() + " ");
}
