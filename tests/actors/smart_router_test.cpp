// Smart order routing (smart_router.hpp): the split pinned value by value -- fees reordering
// the merged book, deterministic ties, the parent's limit, the urgency's child limits, each
// account's budget, balance and risk caps, lots and venue minimums (a re-walk), the sell side --
// and the parent order over its children: cum qty, average price, status, cancel parent ->
// cancel children.
#include "oms/cores/smart_router.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "oms/messages/client_order_id.hpp"
#include "sor_command.hpp"

using namespace oms;
using namespace oms::actors;
using oms::actors::test::command_of;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }
Int128 e18(const char* s) { return d(s).raw() * Decimal::kOne; }

const AlgoRules kRules{d("0.01"), d("0.001"), {}, {}};  // tick, lot, no minimums

SorAccount account(std::uint16_t id, const char* free, std::uint32_t orders_left = 10) {
  SorAccount a;
  a.account = AccountId(id);
  a.instrument = InstrumentId(static_cast<std::uint16_t>(100 + id));
  a.free = d(free);
  a.orders_left = orders_left;
  return a;
}

std::vector<PriceLevel> levels(std::initializer_list<std::pair<const char*, const char*>> l) {
  std::vector<PriceLevel> out;
  for (const auto& [p, q] : l) out.push_back(PriceLevel{d(p), d(q)});
  return out;
}

SorVenue venue(ExchangeId x, const std::vector<PriceLevel>& book, const char* fee,
               const std::vector<SorAccount>& accounts, AlgoRules rules = kRules) {
  return SorVenue{BookVenue{x, Market::kSpot}, book, d(fee), rules, accounts};
}

SorParent buy(const char* qty, const char* limit = "0", std::uint32_t urgency = 0) {
  return SorParent{Side::kBuy, d(qty), d(limit), urgency};
}

// Three venues whose fees reorder the book: raw prices A0 100.00 < B0 100.05 < A1 100.10 <
// C0 100.12, but fee-inclusive A0 100.1, B0 100.100025, C0 100.12, A1 100.2001, B1 100.2501.
struct ThreeVenues {
  std::vector<PriceLevel> a = levels({{"100.00", "1"}, {"100.10", "2"}});
  std::vector<PriceLevel> b = levels({{"100.05", "1.5"}, {"100.20", "5"}});
  std::vector<PriceLevel> c = levels({{"100.12", "1"}});
  std::vector<SorAccount> acc_a{account(1, "1000000")};
  std::vector<SorAccount> acc_b{account(2, "1000000")};
  std::vector<SorAccount> acc_c{account(3, "1000000")};
  std::vector<SorVenue> venues{venue(ExchangeId::kBinance, a, "0.001", acc_a),
                               venue(ExchangeId::kBybit, b, "0.0005", acc_b),
                               venue(ExchangeId::kOkx, c, "0", acc_c)};
};

}  // namespace

TEST_CASE("the split follows the fee-inclusive merged book across three venues") {
  ThreeVenues t;
  SorPlan plan;
  REQUIRE(plan_split(buy("4"), t.venues, plan));
  REQUIRE(plan.children.size() == 3);
  // A takes its 100.00 and half of its 100.10 (after OKX's 100.12 without fee).
  const SorChild& a = plan.children[0];
  CHECK(a.venue == 0);
  CHECK(a.account == AccountId(1));
  CHECK(a.instrument == InstrumentId(101));
  CHECK(a.quantity == d("1.5"));
  CHECK(a.worst_price == d("100.10"));
  CHECK(a.limit_price == d("100.10"));
  CHECK(a.notional_e18 == e18("150.05"));
  CHECK(a.cost == d("150.20005"));
  CHECK(a.levels == 2);
  const SorChild& b = plan.children[1];
  CHECK(b.venue == 1);
  CHECK(b.quantity == d("1.5"));
  CHECK(b.limit_price == d("100.05"));
  CHECK(b.notional_e18 == e18("150.075"));
  CHECK(b.cost == d("150.1500375"));
  CHECK(b.levels == 1);
  const SorChild& c = plan.children[2];
  CHECK(c.venue == 2);
  CHECK(c.quantity == d("1"));
  CHECK(c.limit_price == d("100.12"));
  CHECK(c.cost == d("100.12"));
  CHECK(plan.planned == d("4"));
  CHECK(plan.left == d("0"));
  CHECK(plan.notional_e18 == e18("400.245"));
  CHECK(plan.cost == d("400.4700875"));
  CHECK(plan.avg_price() == d("100.06125"));
  CHECK(plan.passes == 1);
}

TEST_CASE("a tie at the same fee-inclusive price goes to the venue listed first") {
  const auto book = levels({{"100", "1"}});
  const std::vector<SorAccount> a{account(1, "1000")}, b{account(2, "1000")};
  SorPlan plan;
  std::vector<SorVenue> ab{venue(ExchangeId::kBinance, book, "0", a), venue(ExchangeId::kBybit, book, "0", b)};
  REQUIRE(plan_split(buy("1.5"), ab, plan));
  REQUIRE(plan.children.size() == 2);
  CHECK(plan.children[0].account == AccountId(1));
  CHECK(plan.children[0].quantity == d("1"));
  CHECK(plan.children[1].account == AccountId(2));
  CHECK(plan.children[1].quantity == d("0.5"));
  std::vector<SorVenue> ba{ab[1], ab[0]};
  REQUIRE(plan_split(buy("1.5"), ba, plan));
  CHECK(plan.children[0].account == AccountId(2));
  CHECK(plan.children[0].quantity == d("1"));
  CHECK(plan.children[1].account == AccountId(1));
  CHECK(plan.children[1].quantity == d("0.5"));
}

TEST_CASE("the parent's limit ends each venue's walk; the rest is left") {
  ThreeVenues t;
  SorPlan plan;
  REQUIRE(plan_split(buy("4", "100.05"), t.venues, plan));
  REQUIRE(plan.children.size() == 2);
  CHECK(plan.children[0].quantity == d("1"));
  CHECK(plan.children[0].limit_price == d("100.00"));
  CHECK(plan.children[1].quantity == d("1.5"));
  CHECK(plan.children[1].limit_price == d("100.05"));
  CHECK(plan.planned == d("2.5"));
  CHECK(plan.left == d("1.5"));
  // Urgency moves the child limits but never through the parent's limit.
  REQUIRE(plan_split(buy("4", "100.05", 10), t.venues, plan));
  CHECK(plan.children[0].limit_price == d("100.05"));  // 100.00 x 1.001 = 100.1 -> 100.05
  CHECK(plan.children[1].limit_price == d("100.05"));
}

TEST_CASE("urgency: a child's limit is its deepest level moved by the bps, to the tick outward") {
  ThreeVenues t;
  SorPlan plan;
  REQUIRE(plan_split(buy("4", "0", 10), t.venues, plan));
  REQUIRE(plan.children.size() == 3);
  CHECK(plan.children[0].worst_price == d("100.10"));
  CHECK(plan.children[0].limit_price == d("100.21"));  // 100.2001 up to the tick
  CHECK(plan.children[1].limit_price == d("100.16"));  // 100.15005
  CHECK(plan.children[2].limit_price == d("100.23"));  // 100.22012
  // The quantities are the plan's at urgency 0: urgency prices, it does not route.
  CHECK(plan.children[0].quantity == d("1.5"));
  CHECK(plan.children[1].quantity == d("1.5"));
  CHECK(plan.children[2].quantity == d("1"));
}

TEST_CASE("accounts on one venue: budget, balance and risk caps, in the router's order") {
  const auto book = levels({{"50000", "0.5"}, {"50010", "1"}, {"50020", "2"}});
  SorAccount no_budget = account(1, "1000000000", 0);
  SorAccount small = account(2, "30000", 5);
  SorAccount capped = account(3, "100000", 5);
  capped.max_qty = d("0.8");
  const std::vector<SorAccount> accounts{no_budget, small, capped};
  const AlgoRules rules{d("0.01"), d("0.0001"), {}, {}};
  const std::vector<SorVenue> venues{venue(ExchangeId::kBinance, book, "0.001", accounts, rules)};
  SorPlan plan;
  REQUIRE(plan_split(buy("2"), venues, plan));
  REQUIRE(plan.children.size() == 2);
  // The walk served account 3 first (more free balance, same budget): it goes first.
  const SorChild& c = plan.children[0];
  CHECK(c.account == AccountId(3));
  CHECK(c.quantity == d("0.8"));  // its max quantity
  CHECK(c.notional_e18 == e18("40003"));
  CHECK(c.limit_price == d("50010"));  // the venue's limit, the same for both children
  CHECK(c.levels == 2);
  const SorChild& s = plan.children[1];
  CHECK(s.account == AccountId(2));
  // 30000 / (50010 x 1.001) = 0.599280743 -> the lot: 0.5992.
  CHECK(s.quantity == d("0.5992"));
  CHECK(s.limit_price == d("50010"));
  CHECK(s.notional_e18 == e18("29965.992"));
  CHECK(s.cost == d("29995.957992"));
  CHECK(plan.planned == d("1.3992"));
  CHECK(plan.left == d("0.6008"));

  // A max notional at the child's limit price caps the same way.
  SorAccount notional = account(4, "1000000");
  notional.max_notional = d("30000");  // 30000 / 50010 = 0.599880023 -> 0.5998
  const std::vector<SorAccount> one{notional};
  const std::vector<SorVenue> v2{venue(ExchangeId::kBinance, book, "0.001", one, rules)};
  REQUIRE(plan_split(buy("2"), v2, plan));
  REQUIRE(plan.children.size() == 1);
  CHECK(plan.children[0].quantity == d("0.5998"));
  CHECK(plan.children[0].limit_price == d("50010"));
}

TEST_CASE("lots floor each child; a child under the venue's minimum notional is dropped and re-walked") {
  const auto a = levels({{"100", "0.555"}, {"100.5", "1"}});
  const auto b = levels({{"100.2", "1"}});
  const std::vector<SorAccount> acc_a{account(1, "100000")}, acc_b{account(2, "100000")};
  const AlgoRules lot{d("0.1"), d("0.01"), {}, {}};
  std::vector<SorVenue> venues{venue(ExchangeId::kBinance, a, "0", acc_a, lot),
                               venue(ExchangeId::kBybit, b, "0", acc_b, lot)};
  SorPlan plan;
  REQUIRE(plan_split(buy("1"), venues, plan));
  REQUIRE(plan.children.size() == 2);
  CHECK(plan.children[0].quantity == d("0.55"));  // 0.555 to the lot; the 0.005 stays
  CHECK(plan.children[1].quantity == d("0.45"));
  CHECK(plan.children[1].limit_price == d("100.2"));
  CHECK(plan.passes == 1);

  // A at 0.05 x 100 = 5 < 10: dropped, and the second walk gives B the whole quantity.
  const auto tiny = levels({{"100", "0.05"}});
  const auto deep = levels({{"101", "10"}});
  const AlgoRules minimum{d("0.1"), d("0.01"), {}, d("10")};
  venues = {venue(ExchangeId::kBinance, tiny, "0", acc_a, minimum),
            venue(ExchangeId::kBybit, deep, "0", acc_b, minimum)};
  REQUIRE(plan_split(buy("1"), venues, plan));
  REQUIRE(plan.children.size() == 1);
  CHECK(plan.children[0].account == AccountId(2));
  CHECK(plan.children[0].quantity == d("1"));
  CHECK(plan.children[0].notional_e18 == e18("101"));
  CHECK(plan.passes == 2);
}

TEST_CASE("sell: bids net of fees, capped by the base balance, limits moved down") {
  const auto a = levels({{"100", "1"}, {"99.9", "1"}});
  const auto b = levels({{"99.95", "1"}});
  const std::vector<SorAccount> acc_a{account(1, "10")}, acc_b{account(2, "0.6")};
  const std::vector<SorVenue> venues{venue(ExchangeId::kBinance, a, "0.001", acc_a),
                                     venue(ExchangeId::kBybit, b, "0.0002", acc_b)};
  SorPlan plan;
  // Fee-inclusive: B0 99.93001 > A0 99.9 > A1 99.8001. B has 0.6 BTC to sell.
  REQUIRE(plan_split(SorParent{Side::kSell, d("1.5"), {}, 5}, venues, plan));
  REQUIRE(plan.children.size() == 2);
  CHECK(plan.children[0].account == AccountId(1));
  CHECK(plan.children[0].quantity == d("0.9"));
  CHECK(plan.children[0].limit_price == d("99.95"));  // 100 x 0.9995
  CHECK(plan.children[0].cost == d("89.91"));         // 90 x 0.999: what it brings in
  CHECK(plan.children[1].account == AccountId(2));
  CHECK(plan.children[1].quantity == d("0.6"));
  CHECK(plan.children[1].limit_price == d("99.90"));  // 99.900025 down to the tick
  CHECK(plan.children[1].cost == d("59.958006"));
  CHECK(plan.left == d("0"));
  // A sell limit of 99.96 leaves B's bid out.
  REQUIRE(plan_split(SorParent{Side::kSell, d("1.5"), d("99.96"), 0}, venues, plan));
  REQUIRE(plan.children.size() == 1);
  CHECK(plan.children[0].quantity == d("1"));
  CHECK(plan.left == d("0.5"));
}

TEST_CASE("refusals name the field, with codes in 3200-3219") {
  ThreeVenues t;
  SorPlan plan;
  auto r = plan_split(buy("0"), t.venues, plan);
  REQUIRE(!r);
  CHECK(r.error().code == SorError::kBadQuantity);
  CHECK(r.error().why == "quantity: 0 is not positive");
  r = plan_split(buy("1", "-1"), t.venues, plan);
  CHECK(r.error().code == SorError::kBadLimit);
  r = plan_split(buy("1", "0", 1001), t.venues, plan);
  CHECK(r.error().code == SorError::kBadUrgency);
  CHECK(r.error().why == "urgency: 1001 bp is above 1000");
  t.venues[1].taker_fee = d("1");
  r = plan_split(buy("1"), t.venues, plan);
  CHECK(r.error().code == SorError::kBadFee);
  CHECK(r.error().why == "venues[1].taker_fee: 1 is outside [0, 1)");
  const std::vector<SorAccount> none{account(1, "1000", 0)};
  const std::vector<SorVenue> v{venue(ExchangeId::kBinance, t.a, "0", none)};
  r = plan_split(buy("1"), v, plan);
  CHECK(r.error().code == SorError::kNothingRoutable);
  CHECK(static_cast<int>(r.error().code) == 3205);
  CHECK(plan.left == d("1"));
  CHECK(plan.children.empty());
}

TEST_CASE("the parent: IOC children, cum qty and average price from their ends, status") {
  ThreeVenues t;
  SorPlan plan;
  REQUIRE(plan_split(buy("4"), t.venues, plan));
  std::uint64_t sequence = 100;
  std::vector<QuoteAction> out;
  auto made = SmartOrder::start(command_of(buy("4"), 5), 7, plan, 3, &sequence, out);
  REQUIRE(made);
  SmartOrder o = std::move(made).value();
  REQUIRE(out.size() == 3);
  CHECK(sequence == 103);
  for (std::size_t i = 0; i < 3; ++i) {
    const SubmitOrder& s = out[i].order;
    CHECK(out[i].kind == QuoteAction::Kind::kPlace);
    CHECK(s.tif == TimeInForce::kIoc);
    CHECK(s.order_type == OrderType::kLimit);
    CHECK(s.price == plan.children[i].limit_price);
    CHECK(s.quantity == plan.children[i].quantity);
    CHECK(s.account == plan.children[i].account);
    CHECK(s.instrument == plan.children[i].instrument);
    const auto id = parse_client_order_id(s.client_order_id.view());
    REQUIRE(id);
    CHECK(id->sequence == 101 + i);
    CHECK(id->desk == 3);
    CHECK(id->strategy == StrategyId(5));
  }
  CHECK(o.status() == AlgoState::kRunning);
  CHECK(o.step().number == 1);
  CHECK(o.step().reason.view() == "split: 3 children, planned 4 at avg 100.06125, left 0");
  CHECK(o.on_child_end(out[0].order.client_order_id.view(), SorChildFill{d("1.5"), e18("150.05")}));
  CHECK(!o.on_child_end(out[0].order.client_order_id.view(), SorChildFill{d("1.5"), e18("150.05")}));
  CHECK(o.on_child_end(out[1].order.client_order_id.view(), SorChildFill{d("1.5"), e18("150.075")}));
  CHECK(o.status() == AlgoState::kRunning);
  CHECK(o.cum_qty() == d("3"));
  CHECK(o.avg_price() == d("100.041666666"));
  // The last child met a book that moved: 0.4 of 1.
  CHECK(o.on_child_end(out[2].order.client_order_id.view(), SorChildFill{d("0.4"), e18("40.048")}));
  CHECK(o.cum_qty() == d("3.4"));
  CHECK(o.avg_price() == d("100.050882352"));
  CHECK(o.status() == AlgoState::kFailed);
  CHECK(o.done());
  // Its state is its step: what a restart resumes from, deciding as the one that ran.
  const SorStep& st = o.step();
  CHECK(st.parent == 7);
  CHECK(st.number == 4);  // the split, three ends
  CHECK(st.planned == d("4"));
  CHECK(st.filled == d("3.4"));
  REQUIRE(st.children.count == 3);
  CHECK(st.children.items[2].filled == d("0.4"));
  CHECK(st.children.items[2].ended);
  CHECK(st.children.items[2].limit_price == d("100.12"));
  CHECK(st.reason.view() == std::string("child ") + std::string(out[2].order.client_order_id.view()) +
                                " ended: 0.4 of 1 filled");
  const SmartOrder resumed(st);
  CHECK(resumed.done());
  CHECK(resumed.avg_price() == d("100.050882352"));

  // All filled: completed.
  out.clear();
  SmartOrder full = SmartOrder::start(command_of(buy("4"), 5), 8, plan, 3, &sequence, out).value();
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(full.on_child_end(out[i].order.client_order_id.view(),
                            SorChildFill{plan.children[i].quantity, plan.children[i].notional_e18}));
  }
  CHECK(full.status() == AlgoState::kCompleted);
  CHECK(full.avg_price() == plan.avg_price());
}

TEST_CASE("cancel parent cancels every child still out; their fills still count") {
  ThreeVenues t;
  SorPlan plan;
  REQUIRE(plan_split(buy("4"), t.venues, plan));
  std::uint64_t sequence = 0;
  std::vector<QuoteAction> placed;
  SmartOrder o = SmartOrder::start(command_of(buy("4"), 5), 9, plan, 0, &sequence, placed).value();
  CHECK(o.on_child_end(placed[1].order.client_order_id.view(), SorChildFill{d("1.5"), e18("150.075")}));
  std::vector<QuoteAction> cancels;
  REQUIRE(o.cancel(cancels));
  REQUIRE(cancels.size() == 2);
  CHECK(cancels[0].kind == QuoteAction::Kind::kCancel);
  CHECK(cancels[0].cancel.client_order_id == placed[0].order.client_order_id);
  CHECK(cancels[0].cancel.account == AccountId(1));
  CHECK(cancels[0].cancel.instrument == InstrumentId(101));
  CHECK(cancels[1].cancel.client_order_id == placed[2].order.client_order_id);
  CHECK(o.status() == AlgoState::kCanceled);
  CHECK(!o.done());
  const auto again = o.cancel(cancels);
  REQUIRE(!again);
  CHECK(again.error().code == SorError::kNotRunning);
  CHECK(cancels.size() == 2);
  CHECK(o.on_child_end(placed[0].order.client_order_id.view(), SorChildFill{d("1"), e18("100")}));
  CHECK(o.on_child_end(placed[2].order.client_order_id.view(), SorChildFill{}));
  CHECK(o.done());
  CHECK(o.status() == AlgoState::kCanceled);
  CHECK(o.cum_qty() == d("2.5"));
  CHECK(o.avg_price() == d("100.03"));  // 250.075 / 2.5
}

TEST_CASE("a parent resumed from its step cancels the children still out") {
  ThreeVenues t;
  SorPlan plan;
  REQUIRE(plan_split(buy("4"), t.venues, plan));
  std::uint64_t sequence = 0;
  std::vector<QuoteAction> placed;
  SmartOrder o = SmartOrder::start(command_of(buy("4")), 9, plan, 0, &sequence, placed).value();
  CHECK(o.on_child_end(placed[0].order.client_order_id.view(), SorChildFill{d("1.5"), e18("150.05")}));
  SmartOrder resumed(o.step());
  CHECK(resumed.owns(placed[1].order.client_order_id.view()));
  CHECK(!resumed.owns(placed[0].order.client_order_id.view()));
  std::vector<QuoteAction> cancels;
  REQUIRE(resumed.cancel(cancels));
  REQUIRE(cancels.size() == 2);
  CHECK(cancels[0].cancel.client_order_id == placed[1].order.client_order_id);
  CHECK(cancels[1].cancel.client_order_id == placed[2].order.client_order_id);
  CHECK(resumed.step().number == 3);
  CHECK(resumed.step().reason.view() == "canceled: 2 children out cancelled");
}

TEST_CASE("max_children: an account that took nothing takes nothing once the cap is reached") {
  ThreeVenues t;
  SorPlan plan;
  SorParent p = buy("4");
  p.max_children = 2;
  REQUIRE(plan_split(p, t.venues, plan));
  // A and B as before; OKX's 100.12 would open a third child: A's 100.10 level goes instead.
  REQUIRE(plan.children.size() == 2);
  CHECK(plan.children[0].quantity == d("2.5"));
  CHECK(plan.children[1].quantity == d("1.5"));
  CHECK(plan.left == d("0"));
  // A plan beyond what a step holds is refused by the parent.
  SorPlan big = plan;
  big.children.resize(kMaxSorChildren + 1, plan.children[0]);
  std::uint64_t sequence = 0;
  std::vector<QuoteAction> out;
  const auto r = SmartOrder::start(command_of(buy("4")), 1, big, 0, &sequence, out);
  REQUIRE(!r);
  CHECK(r.error().code == SorError::kTooManyChildren);
  CHECK(out.empty());
}
