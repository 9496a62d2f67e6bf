// Smart order routing against the venue simulator's matching core: two venues whose books
// differ (the second priced a basis below the first, as venue-sim's Bybit front follows a feed
// shifted by --bybit-basis-bps) and whose taker fees differ. The plan is made from the venues'
// own depth; its children go to the venues as IOC limit orders; the fills are what the
// consolidated book promised -- exactly on an unchanged book, within the documented slippage
// bound (smart_router.hpp) on a book that moved between the plan and the orders.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "oms/connectors/sim/venue.hpp"
#include "oms/cores/smart_router.hpp"
#include "sor_command.hpp"

using namespace oms;
using namespace oms::actors;
using oms::actors::test::command_of;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

Instrument btcusdt() {
  Instrument ins;
  ins.market = Market::kSpot;
  ins.venue_symbol = "BTCUSDT";
  ins.symbol.base = "BTC";
  ins.symbol.quote = "USDT";
  ins.rules.tick_size = d("0.01");
  ins.rules.min_price = d("0.01");
  ins.rules.max_price = d("1000000");
  ins.rules.step_size = d("0.001");
  ins.rules.min_qty = d("0.001");
  ins.rules.max_qty = d("1000");
  return ins;
}

std::vector<sim::PriceQty> book(std::initializer_list<std::pair<const char*, const char*>> l) {
  std::vector<sim::PriceQty> out;
  for (const auto& [p, q] : l) out.push_back(sim::PriceQty{d(p), d(q)});
  return out;
}

// One simulated venue with its accounts (api key index = position in `free`).
struct SimVenue {
  sim::Venue venue{Market::kSpot};
  sim::SymbolIndex symbol = 0;
  Decimal fee;
  std::vector<SorAccount> accounts;
  std::vector<PriceLevel> asks;  // the plan's copy of the venue's depth
  sim::Outbox out;

  SimVenue(const char* taker, std::initializer_list<const char*> free, std::uint16_t first_account,
           const std::vector<sim::PriceQty>& ask_book)
      : fee(d(taker)) {
    symbol = venue.add_instrument(btcusdt());
    std::uint16_t id = first_account;
    for (const char* f : free) {
      const sim::ApiKeyId key = venue.add_account({"key" + std::to_string(id), fee, fee});
      REQUIRE(venue.deposit(key, "USDT", d(f), 0, out));
      SorAccount a;
      a.account = AccountId(id);
      a.instrument = InstrumentId(first_account);  // one instrument id per venue
      a.free = d(f);
      a.orders_left = 10;
      accounts.push_back(a);
      ++id;
    }
    venue.on_snapshot(symbol, sim::BookSnapshotIn{book({{"59000", "10"}}), ask_book}, 0, out);
  }
  void read_depth() {
    asks.clear();
    for (const sim::PriceQty& l : venue.depth(symbol, Side::kSell, 50)) asks.push_back(PriceLevel{l.price, l.qty});
  }
  SorVenue sor(ExchangeId x) const {
    return SorVenue{BookVenue{x, Market::kSpot}, asks, fee, AlgoRules{d("0.01"), d("0.001"), d("0.001"), d("5")},
                    accounts};
  }
  // Sends a child (IOC limit); its fill as the desk would report it when it ended.
  SorChildFill send(const QuoteAction& a, std::uint16_t first_account, Decimal& commission) {
    sim::NewOrder o;
    o.account = static_cast<sim::ApiKeyId>(a.order.account.index() - first_account);
    o.symbol = symbol;
    o.client_order_id = std::string(a.order.client_order_id.view());
    o.side = a.order.side;
    o.type = sim::SimOrderType::kLimit;
    o.tif = a.order.tif == TimeInForce::kIoc ? sim::SimTif::kIoc : sim::SimTif::kGtc;
    o.price = a.order.price;
    o.quantity = a.order.quantity;
    out.clear();
    const auto placed = venue.place(o, 1, out);
    REQUIRE(placed);
    CHECK(!placed->working);  // an IOC never rests
    commission = {};
    for (const sim::ExecutionReport& r : out.reports) {
      if (r.trade_id >= 0) {
        CHECK(r.commission_asset == "BTC");  // a spot buy pays its fee in what it receives
        commission = Decimal::from_raw(commission.raw() + r.commission.raw());
      }
    }
    return SorChildFill{placed->executed_qty, placed->cum_quote.raw() * Decimal::kOne};
  }
};

constexpr std::uint16_t kFirstA = 1, kFirstB = 11;

// Binance-like: 10 bp taker, one account. Bybit-like: 5 bp taker, its asks a basis below, two
// accounts (the router's order: the one with more balance first; its balance caps it).
struct TwoVenues {
  SimVenue a{"0.001", {"1000000"}, kFirstA,
             book({{"60000.00", "0.5"}, {"60000.50", "0.8"}, {"60001.00", "1.2"}, {"60002.00", "2"}})};
  SimVenue b{"0.0005", {"40000", "100000"}, kFirstB,
             book({{"59964.00", "0.4"}, {"59964.50", "0.6"}, {"59990.00", "1"}, {"60030.00", "3"}})};
  std::vector<SorVenue> venues() {
    a.read_depth();
    b.read_depth();
    return {a.sor(ExchangeId::kBinance), b.sor(ExchangeId::kBybit)};
  }
  SimVenue& of(const QuoteAction& q) { return q.order.account.index() < kFirstB ? a : b; }
  std::uint16_t first(const QuoteAction& q) const { return q.order.account.index() < kFirstB ? kFirstA : kFirstB; }
};

}  // namespace

TEST_CASE("two venue-sim books: the fills are the plan's, level by level, on an unchanged book") {
  TwoVenues t;
  const SorParent parent{Side::kBuy, d("3"), {}, 0};
  SorPlan plan;
  REQUIRE(plan_split(parent, t.venues(), plan));
  CHECK(plan.left == d("0"));
  // Every venue and account takes part: the basis and the fees interleave the books, and the
  // balance of Bybit's first account caps it so the second one takes the rest.
  REQUIRE(plan.children.size() == 3);
  std::uint64_t sequence = 0;
  std::vector<QuoteAction> orders;
  SmartOrder parent_order = SmartOrder::start(command_of(parent, 0), 1, plan, 0, &sequence, orders).value();
  REQUIRE(orders.size() == plan.children.size());
  for (std::size_t i = 0; i < orders.size(); ++i) {
    Decimal commission;
    const SorChildFill fill = t.of(orders[i]).send(orders[i], t.first(orders[i]), commission);
    const SorChild& c = plan.children[i];
    INFO("child ", i);
    CHECK(fill.cum_qty == c.quantity);
    CHECK(fill.notional_e18 == c.notional_e18);
    // The fee the venue charged is the one the plan netted: quantity x taker rate.
    const Decimal fee = i == 0 ? t.a.fee : t.b.fee;
    CHECK(commission == c.quantity.mul(fee, Rounding::kExact).value());
    CHECK(parent_order.on_child_end(orders[i].order.client_order_id.view(), fill));
  }
  CHECK(parent_order.status() == AlgoState::kCompleted);
  CHECK(parent_order.cum_qty() == d("3"));
  CHECK(parent_order.notional_e18() == plan.notional_e18);
  CHECK(parent_order.avg_price() == plan.avg_price());
}

TEST_CASE("two venue-sim books: a book that moved fills within the slippage bound, never beyond") {
  for (const std::uint32_t urgency : {0U, 10U}) {
    INFO("urgency ", urgency, " bp");
    TwoVenues t;
    const SorParent parent{Side::kBuy, d("3"), {}, urgency};
    SorPlan plan;
    REQUIRE(plan_split(parent, t.venues(), plan));
    REQUIRE(plan.left == d("0"));
    // Between the plan and the orders the Bybit book moves: 59964.50 is taken by someone else,
    // 59990 halves, and 2 BTC arrive at 59995 (above 59990, 0.9 bp; within 10 bp).
    t.b.venue.on_delta(t.b.symbol,
                       sim::BookDeltaIn{{}, book({{"59964.50", "0"}, {"59990.00", "0.5"}, {"59995.00", "2"}})},
                       1, t.b.out);
    std::uint64_t sequence = 0;
    std::vector<QuoteAction> orders;
    SmartOrder parent_order = SmartOrder::start(command_of(parent, 0), 1, plan, 0, &sequence, orders).value();
    Int128 bound_e18 = 0;
    for (std::size_t i = 0; i < orders.size(); ++i) {
      Decimal commission;
      const SorChildFill fill = t.of(orders[i]).send(orders[i], t.first(orders[i]), commission);
      const SorChild& c = plan.children[i];
      INFO("child ", i);
      // Never more than planned, never a price beyond the child's limit.
      CHECK(fill.cum_qty <= c.quantity);
      CHECK(fill.notional_e18 <= c.limit_price.raw() * fill.cum_qty.raw());
      // The limit is the documented bound: the deepest level moved by the urgency, to the tick.
      Int128 bound = 0;
      REQUIRE(mul_div(c.worst_price.raw(), 10'000 + urgency, 10'000, Rounding::kCeiling, bound));
      bound += d("0.01").raw() - 1;
      CHECK(c.limit_price.raw() <= bound - bound % d("0.01").raw());
      bound_e18 += c.limit_price.raw() * fill.cum_qty.raw();
      CHECK(parent_order.on_child_end(orders[i].order.client_order_id.view(), fill));
    }
    CHECK(parent_order.notional_e18() <= bound_e18);
    if (urgency == 0) {
      // At its own levels' prices the first Bybit child finds 0.6 BTC gone: the parent ends short.
      CHECK(parent_order.status() == AlgoState::kFailed);
      CHECK(parent_order.cum_qty() < d("3"));
    } else {
      // 10 bp reach the 59995 level: everything fills, within the bound.
      CHECK(parent_order.status() == AlgoState::kCompleted);
      CHECK(parent_order.cum_qty() == d("3"));
    }
  }
}

TEST_CASE("two venue-sim books: children of one venue sent in reverse order fill the plan's totals") {
  TwoVenues t;
  const SorParent parent{Side::kBuy, d("3"), {}, 0};
  SorPlan plan;
  REQUIRE(plan_split(parent, t.venues(), plan));
  REQUIRE(plan.children.size() == 3);
  REQUIRE(plan.children[1].venue == plan.children[2].venue);  // Bybit's two accounts
  std::uint64_t sequence = 0;
  std::vector<QuoteAction> orders;
  SmartOrder parent_order = SmartOrder::start(command_of(parent, 0), 1, plan, 0, &sequence, orders).value();
  for (const std::size_t i : {std::size_t{0}, std::size_t{2}, std::size_t{1}}) {
    Decimal commission;
    const SorChildFill fill = t.of(orders[i]).send(orders[i], t.first(orders[i]), commission);
    INFO("child ", i);
    CHECK(fill.cum_qty == plan.children[i].quantity);  // each fills whole at the venue's limit
    CHECK(parent_order.on_child_end(orders[i].order.client_order_id.view(), fill));
  }
  // The second Bybit child took the better levels first: per child the notionals moved between
  // them, the parent's are the plan's.
  CHECK(parent_order.child_notional_e18(2) != plan.children[2].notional_e18);
  CHECK(parent_order.status() == AlgoState::kCompleted);
  CHECK(parent_order.cum_qty() == d("3"));
  CHECK(parent_order.notional_e18() == plan.notional_e18);
}
