// BoardPublisher: what the engine shard writes on the state board, read back from the board
// file by a reader mapping of its own. The desk is driven through its public decide/apply API,
// committed the way the EventLog does (tests/actors/order_desk_test.cpp).
#include "oms/actors/board_publisher.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::actors;

namespace {

constexpr TimeNs kT0 = 1'700'000'000'000'000'000;
constexpr TimeNs kSecond = 1'000'000'000;

Decimal dec(const char* s) {
  return *Decimal::parse(s);
}

InstrumentTable table() {
  std::vector<Instrument> ins(2);
  for (std::size_t i = 0; i < ins.size(); ++i)
    ins[i].id = InstrumentId(static_cast<std::uint16_t>(i));
  ins[0].symbol.base = "BTC";
  ins[0].symbol.quote = "USDT";
  ins[0].venue_symbol = "BTCUSDT";
  ins[1].symbol.base = "ETH";
  ins[1].symbol.quote = "USDT";
  ins[1].venue_symbol = "ETHUSDT";
  return *InstrumentTable::from(ins);
}

// Account 1 ("acct-b") trades; account 0 ("acct-a") is on the board before it, so the desk's
// account has the second place in every per-account section.
const AccountId kAccount(1);

struct Fixture {
  testkit::TempDir tmp{"board-publisher"};
  std::string path = (tmp.path() / "board").string();
  InstrumentTable instruments = table();
  OrderDesk desk{OrderDeskConfig{kAccount, "acct-b", &instruments, 5 * kSecond}};
  BoardPublisher publisher;
  std::unique_ptr<StateBoard> reader;
  std::uint64_t seq = 0;
  EventId next_id = 100;

  explicit Fixture(BoardLimits limits = {}) {
    const std::vector<BoardAccount> accounts{{AccountId(0), "acct-a"}, {kAccount, "acct-b"}};
    REQUIRE(publisher.open(path, accounts, instruments, limits).ok());
    auto r = StateBoard::open_read_only(path);
    REQUIRE(r.ok());
    reader = std::move(r).value();
  }

  void run(const DeskDecision& d, TimeNs now = kT0) {
    for (const DeskGroup& g : d.groups) {
      std::vector<Event> committed;
      for (std::size_t i = 0; i < g.events.size(); ++i) {
        committed.push_back(
            Event{Envelope{group_event_id(g.cause.id, i, g.events.size()), ++seq,
                           g.event_time ? g.event_time : now, now, g.cause.id, g.cause.id},
                  g.events[i]});
      }
      (void)desk.apply(g, committed, now);
    }
    (void)desk.finish(d);
  }
  void report(const EventPayload& p) { run(desk.on_report(VenueReport{next_id++, kT0, p}, kT0)); }

  void fund(const char* asset, const char* free) {
    BalanceUpdated b{};
    b.account = kAccount;
    (void)b.asset.assign(asset);
    b.free = dec(free);
    report(b);
  }
  void submit(const char* clid, const char* qty, const char* price,
              InstrumentId instrument = InstrumentId(0)) {
    SubmitOrder o{};
    o.account = kAccount;
    o.strategy = StrategyId(0);
    o.instrument = instrument;
    (void)o.client_order_id.assign(clid);
    o.side = Side::kBuy;
    o.price = dec(price);
    o.quantity = dec(qty);
    const EventId id = next_id++;
    const RiskDecision pass{};
    run(desk.on_command(Command{Envelope{id, 0, kT0, kT0, 0, id}, o}, &pass, kT0));
    OrderAccepted a{};
    a.account = kAccount;
    a.instrument = instrument;
    (void)a.client_order_id.assign(clid);
    (void)a.venue_order_id.assign(std::string("V-") + clid);
    report(a);
  }
  void fill(const char* clid, const char* trade, const char* qty, const char* price) {
    FillReceived f{};
    f.account = kAccount;
    f.instrument = InstrumentId(0);
    (void)f.client_order_id.assign(clid);
    (void)f.trade_id.assign(trade);
    f.side = Side::kBuy;
    f.price = dec(price);
    f.quantity = dec(qty);
    f.fee = dec("0.01");
    f.fee_asset = "USDT";
    report(f);
  }
  void canceled(const char* clid) {
    OrderCanceled c{};
    c.account = kAccount;
    c.instrument = InstrumentId(0);
    (void)c.client_order_id.assign(clid);
    report(c);
  }
};

}  // namespace

TEST_CASE(
    "publisher: an account's balances, its position with PnL at the mark and its open orders, read "
    "back from the file") {
  Fixture f;
  f.fund("USDT", "1000");
  f.submit("C1", "0.1", "100");
  f.fill("C1", "T1", "0.04", "100");
  f.submit("C2", "0.1", "90");
  const std::vector<Decimal> marks{dec("110"), {}};
  f.publisher.account(f.desk, marks, kT0 + kSecond);
  const StateBoard& b = *f.reader;

  // Names: accounts by id, instruments by id, written at open.
  CHECK(board_text(b.account_name(0)->name) == "acct-a");
  CHECK(board_text(b.account_name(1)->name) == "acct-b");
  CHECK(board_text(b.instrument_name(1)->name) == "ETH/USDT");
  CHECK(b.layout() == BoardLayout{4, 64, 2, 0, 256, 2, 2});

  // Balances: acct-b's share starts at slot 32, in the order the account first held them.
  const auto usdt = b.balance(32);
  REQUIRE(usdt.has_value());
  CHECK(usdt->account == 1);
  CHECK(board_text(usdt->asset) == "USDT");
  CHECK(usdt->market == static_cast<std::uint64_t>(Market::kSpot));
  // 1000 - 10 (C1 locked) - 9 (C2 locked) - 0.01 fee; the fill spent 4 of C1's lock.
  CHECK(usdt->free.value() == dec("980.99"));
  CHECK(usdt->locked.value() == dec("15"));
  CHECK(usdt->time == kT0 + kSecond);
  CHECK(board_text(b.balance(33)->asset) == "BTC");
  CHECK(b.balance(33)->free.value() == dec("0.04"));
  CHECK_FALSE(b.balance(0).has_value());  // acct-a published nothing

  // Position: (account place 1) x 2 instruments + instrument 0.
  const auto pos = b.position(2);
  REQUIRE(pos.has_value());
  CHECK(pos->account == 1);
  CHECK(pos->instrument == 0);
  CHECK(pos->size.value() == dec("0.04"));
  CHECK(pos->entry_price.value() == dec("100"));
  CHECK(pos->unrealized_pnl.value() == dec("0.4"));  // (110 - 100) x 0.04
  CHECK(pos->realized_pnl.is_zero());
  CHECK(pos->fees.value() == dec("0.01"));
  CHECK_FALSE(b.position(3).has_value());  // never traded ETH

  // Open orders in submission order, from slot 128 (acct-b's share).
  const auto c1 = b.open_order(128);
  REQUIRE(c1.has_value());
  CHECK(board_text(c1->client_order_id) == "C1");
  CHECK(c1->status == static_cast<std::uint32_t>(OrderStatus::kPartiallyFilled));
  CHECK(c1->side == static_cast<std::uint32_t>(Side::kBuy));
  CHECK(c1->price.value() == dec("100"));
  CHECK(c1->quantity.value() == dec("0.1"));
  CHECK(c1->cum_qty.value() == dec("0.04"));
  const auto c2 = b.open_order(129);
  REQUIRE(c2.has_value());
  CHECK(board_text(c2->client_order_id) == "C2");
  CHECK(c2->status == static_cast<std::uint32_t>(OrderStatus::kAccepted));
  CHECK_FALSE(b.open_order(130).has_value());
  CHECK(b.hidden(BoardSection::kOpenOrders) == 0);
  CHECK(b.heartbeat() == kT0 + kSecond);
}

TEST_CASE(
    "publisher: a full share counts what it could not show; an order that ended leaves its slot "
    "empty") {
  Fixture f(BoardLimits{1, 2});
  f.fund("USDT", "1000");
  f.submit("C1", "0.1", "100");
  f.submit("C2", "0.1", "100");
  f.submit("C3", "0.1", "100");
  f.fill("C1", "T1", "0.1", "100");  // C1 filled: a BTC balance the share has no room for
  f.publisher.account(f.desk, {}, kT0);
  const StateBoard& b = *f.reader;
  CHECK(b.layout().balances == 2);
  CHECK(board_text(b.balance(1)->asset) == "USDT");
  CHECK(b.hidden(BoardSection::kBalances) == 1);
  CHECK(board_text(b.open_order(2)->client_order_id) == "C2");
  CHECK(board_text(b.open_order(3)->client_order_id) == "C3");
  CHECK(b.hidden(BoardSection::kOpenOrders) == 0);
  CHECK(b.position(0 * 2 + 0).has_value() == false);  // acct-a's slot
  CHECK(b.position(1 * 2 + 0)->size.value() == dec("0.1"));
  // The unrealized PnL waits for a mark.
  CHECK(b.position(1 * 2 + 0)->unrealized_pnl.is_zero());

  f.submit("C4", "0.1", "100");
  f.publisher.account(f.desk, {}, kT0 + kSecond);
  CHECK(b.hidden(BoardSection::kOpenOrders) == 1);  // C4 has no slot

  f.canceled("C2");
  f.canceled("C3");
  f.publisher.account(f.desk, {}, kT0 + 2 * kSecond);
  CHECK(board_text(b.open_order(2)->client_order_id) == "C4");
  const auto emptied = b.open_order(3);
  REQUIRE(emptied.has_value());
  CHECK(emptied->status == static_cast<std::uint32_t>(OrderStatus::kInitialized));  // no order
  CHECK(b.hidden(BoardSection::kOpenOrders) == 0);
}

TEST_CASE(
    "publisher: a record that did not change is not written again (its time is when it changed)") {
  Fixture f;
  f.fund("USDT", "1000");
  f.publisher.account(f.desk, {}, kT0);
  f.publisher.account(f.desk, {}, kT0 + kSecond);
  const StateBoard& b = *f.reader;
  CHECK(b.balance(32)->time == kT0);
  CHECK(b.heartbeat() == kT0 + kSecond);

  TopOfBook top{InstrumentId(1), 41, dec("3000.1"), dec("2"), dec("3000.2"), dec("1.5"), kT0};
  f.publisher.top(top, kT0);
  top.update_id = 42;
  top.time = kT0 + kSecond;
  f.publisher.top(top, kT0 + kSecond);  // the same prices and sizes
  auto t = b.top(1);
  REQUIRE(t.has_value());
  CHECK(t->instrument == 1);
  CHECK(t->update_id == 41);
  CHECK(t->time == kT0);
  CHECK(t->bid_price.value() == dec("3000.1"));
  CHECK(t->ask_qty.value() == dec("1.5"));
  top.update_id = 43;
  top.time = kT0 + 2 * kSecond;
  top.ask_qty = dec("0.5");
  f.publisher.top(top, kT0 + 2 * kSecond);
  t = b.top(1);
  CHECK(t->update_id == 43);
  CHECK(t->time == kT0 + 2 * kSecond);
  CHECK(t->ask_qty.value() == dec("0.5"));
  CHECK_FALSE(b.top(0).has_value());
}

TEST_CASE(
    "publisher: an account is written at most once per interval; refresh() writes the change it "
    "held back") {
  Fixture f(BoardLimits{32, 128, 20'000'000});
  const StateBoard& b = *f.reader;
  f.fund("USDT", "1000");
  f.publisher.account(f.desk, {}, kT0);
  f.publisher.refresh(f.desk, {}, kT0 + 1'000'000);  // nothing held back: nothing written
  CHECK(b.balance(32)->time == kT0);
  f.submit("C1", "0.1", "100");
  f.publisher.account(f.desk, {}, kT0 + 5'000'000);  // 5 ms after the last write: held back
  CHECK_FALSE(b.open_order(128).has_value());
  CHECK(b.balance(32)->locked.is_zero());
  CHECK(b.heartbeat() == kT0 + 5'000'000);
  f.publisher.refresh(f.desk, {}, kT0 + 100'000'000);  // the shard's housekeeping
  CHECK(board_text(b.open_order(128)->client_order_id) == "C1");
  CHECK(b.balance(32)->locked.value() == dec("10"));
  CHECK(b.balance(32)->time == kT0 + 100'000'000);
  f.submit("C2", "0.1", "100");
  f.publisher.account(f.desk, {}, kT0 + 120'000'001);  // the interval has passed: at once
  CHECK(board_text(b.open_order(129)->client_order_id) == "C2");
}

TEST_CASE(
    "publisher: without a path there is no board; a board that cannot be made is an error naming "
    "it") {
  InstrumentTable instruments = table();
  OrderDesk desk{OrderDeskConfig{kAccount, "acct-b", &instruments, kSecond}};
  BoardPublisher none;
  CHECK(none.open("", {}, instruments).ok());
  CHECK_FALSE(none.enabled());
  none.account(desk, {}, kT0);  // returns at once
  none.top(TopOfBook{}, kT0);
  BoardPublisher bad;
  const std::vector<BoardAccount> accounts{{kAccount, "acct-b"}};
  const auto r = bad.open("/dev/shm/oms-no-such-dir/board", accounts, instruments);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("/dev/shm/oms-no-such-dir/board") != std::string::npos);
  CHECK_FALSE(bad.enabled());
  // An account the board was not opened for is ignored.
  testkit::TempDir tmp{"board-publisher"};
  BoardPublisher other;
  const std::vector<BoardAccount> only_a{{AccountId(0), "acct-a"}};
  REQUIRE(other.open((tmp.path() / "board").string(), only_a, instruments).ok());
  other.account(desk, {}, kT0);
  CHECK(other.board()->heartbeat() == 0);
}
