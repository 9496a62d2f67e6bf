// The trading day in the engine's shard (engine_day.cpp): fees in any asset counted in the day's
// loss at the marks, the day rolled at the configured zone and hour, and risk's books folded from
// the stored fills at a start -- a restart mid-day keeps the day's loss, yesterday's stays out.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <optional>

#include "oms/actors/engine.hpp"
#include "oms/configs/trading_day.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "engine_kit.hpp"
#include "recovery_script.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/wait.hpp"

using namespace oms;
using namespace oms::actors;
using namespace std::chrono_literals;

namespace {

using Fate = testkit::ScriptedVenue::Fate;
Decimal d(const char* s) { return *Decimal::parse(s); }

constexpr InstrumentId kBtc(0), kEth(1), kBnb(2);
constexpr TimeNs kHour = 3'600'000'000'000;
// 2024-08-08 00:00 UTC
constexpr TimeNs kAug8 = 1'723'075'200'000'000'000;

std::vector<Instrument> instruments() {
  std::vector<Instrument> out = testkit::recovery_instruments();  // BTC/USDT, ETH/USDT
  Instrument bnb = out[0];
  bnb.id = kBnb;
  bnb.symbol.base = "BNB";
  bnb.venue_symbol = "BNBUSDT";
  out.push_back(bnb);
  return out;
}

// One account (acct-a) on a file journal in `dir`, the shard on a clock the test moves.
struct DayShard {
  Directory directory = testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  InstrumentTable table = *InstrumentTable::from(instruments());
  std::unique_ptr<EventLog> log;
  std::shared_ptr<testkit::ScriptedVenue> venue;
  std::shared_ptr<RiskCore> risk = std::make_shared<RiskCore>(2, 1, 3);
  std::unique_ptr<Engine> engine;
  std::atomic<TimeNs>& clock;
  std::uint64_t next_command = 1000;
  std::uint64_t next_report = 1;
  int next_id = 0;

  DayShard(const std::filesystem::path& dir, std::atomic<TimeNs>& now, KillSwitchRules rules = {},
           const configs::TradingDaySpec& day = {}, int first_id = 0)
      : clock(now), next_id(first_id) {
    spdlog::set_level(spdlog::level::err);
    auto j = persistence::FileJournal::open(dir / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    log = std::make_unique<EventLog>(*journal, nullptr, directory);
    venue = std::make_shared<testkit::ScriptedVenue>(7, dir / "venue.state", AccountId(0));
    EngineOptions o;
    o.ack_timeout = 2000ms;
    o.kill_switch = std::move(rules);
    o.clock = [&now] { return now.load(); };
    const auto calendar = configs::TradingDayCalendar::make(day);
    REQUIRE(calendar);
    o.trading_day = [c = *calendar](TimeNs t) {
      const auto x = c.day_of(t);
      return TradingDayBounds{x.day, x.start, x.next};
    };
    engine = std::make_unique<Engine>(
        std::move(o), table, *log, *journal, nullptr, risk,
        std::vector<EngineAccount>{{AccountId(0), "acct-a",
                                    persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"),
                                    venue, nullptr}});
    venue->start([this](const VenueReport& r) { engine->report(AccountId(0), r); });
    engine->reconcile();
  }
  ~DayShard() {
    venue->stop();
    engine.reset();
  }

  CommandAck command(CommandPayload p) { return test::run_command(*engine, next_command, std::move(p)); }
  // A limit order the scripted venue keeps resting; its client order id.
  std::string resting(InstrumentId instrument, Side side, const char* price, const char* qty) {
    SubmitOrder o{};
    o.account = AccountId(0);
    o.instrument = instrument;
    for (;; ++next_id) {
      const std::string id = "D-" + std::to_string(next_id);
      if (testkit::ScriptedVenue::fate_of(7, id) == Fate::kRest) {
        (void)o.client_order_id.assign(id);
        ++next_id;
        break;
      }
    }
    o.side = side;
    o.price = d(price);
    o.quantity = d(qty);
    REQUIRE(command(o).accepted);
    REQUIRE(becomes(o.client_order_id.str(), OrderStatus::kAccepted));
    return o.client_order_id.str();
  }
  // The venue's report of a trade of the resting order `id` (then, when `cum` is its quantity,
  // its fill): as a venue's user-data stream would send it.
  void trade(const std::string& id, InstrumentId instrument, Side side, const char* price, const char* qty,
             const char* fee, const char* fee_asset, const char* cum = nullptr) {
    FillReceived f{};
    f.account = AccountId(0);
    f.instrument = instrument;
    (void)f.client_order_id.assign(id);
    (void)f.trade_id.assign("X" + std::to_string(next_report));
    f.side = side;
    f.price = d(price);
    f.quantity = d(qty);
    f.fee = d(fee);
    (void)f.fee_asset.assign(fee_asset);
    engine->report(AccountId(0), VenueReport{0xD000 + next_report++, clock.load(), f});
    if (cum != nullptr) {
      engine->report(AccountId(0), VenueReport{0xD000 + next_report++, clock.load(),
                                               OrderFilled{AccountId(0), instrument, f.client_order_id, d(cum), d(price)}});
      REQUIRE(becomes(id, OrderStatus::kFilled));
    }
  }
  bool becomes(const std::string& id, OrderStatus want) { return test::order_becomes(*engine, AccountId(0), id, want); }
  void mark(InstrumentId i, const char* price) { test::set_mark(*engine, *risk, i, d(price)); }
  [[nodiscard]] Decimal loss() const { return risk->daily_loss(LimitScope::kAccount, 0); }
  bool loss_becomes(const char* want) {
    return testkit::eventually([&] { return loss() == d(want); });
  }
};

}  // namespace

TEST_CASE("engine trading day: a fill's fee counts in the day's loss in any asset -- the quote as it is, the base at the fill's price, BNB at its mark; an asset without a mark is counted as unpriced") {
  testkit::TempDir tmp{"engine-day-fees"};
  std::atomic<TimeNs> now{kAug8 + 10 * kHour};
  DayShard s(tmp.path(), now);
  s.mark(kBtc, "100");
  s.mark(kBnb, "500");

  // Bought 1 BTC at 100 (the mark): no PnL but the fees.
  const auto buy = s.resting(kBtc, Side::kBuy, "100", "1");
  s.trade(buy, kBtc, Side::kBuy, "100", "0.5", "0.001", "BNB");             // 0.001 x 500 = 0.5
  REQUIRE(s.loss_becomes("0.5"));
  s.trade(buy, kBtc, Side::kBuy, "100", "0.5", "0.0005", "BTC", "1");       // 0.0005 x 100 = 0.05
  REQUIRE(s.loss_becomes("0.55"));
  CHECK(s.risk->position(AccountId(0), kBtc) == d("1"));

  // Sold at 101: +1 realized, a USDT fee of 0.0101.
  const auto sell = s.resting(kBtc, Side::kSell, "101", "1");
  s.trade(sell, kBtc, Side::kSell, "101", "1", "0.0101", "USDT", "1");
  REQUIRE(s.loss_becomes("-0.4399"));
  CHECK(s.engine->unpriced_fees() == 0);

  // A fee in an asset no instrument values: not counted, said (unpriced_fees).
  s.mark(kEth, "10");
  const auto eth = s.resting(kEth, Side::kBuy, "10", "1");
  s.trade(eth, kEth, Side::kBuy, "10", "1", "3", "XYZ", "1");
  REQUIRE(testkit::eventually([&] { return s.engine->unpriced_fees() == 1; }));
  CHECK(s.loss() == d("-0.4399"));
  CHECK(s.risk->position(AccountId(0), kEth) == d("1"));
}

TEST_CASE("engine trading day: a BNB fee before BNB has a mark is held, then counted at the mark when it comes") {
  testkit::TempDir tmp{"engine-day-held-fee"};
  std::atomic<TimeNs> now{kAug8 + 10 * kHour};
  DayShard s(tmp.path(), now);
  s.mark(kBtc, "100");
  const auto buy = s.resting(kBtc, Side::kBuy, "100", "1");
  s.trade(buy, kBtc, Side::kBuy, "100", "1", "0.002", "BNB", "1");
  REQUIRE(testkit::eventually([&] { return s.risk->held_fees() == 1; }));
  CHECK(s.loss() == d("0"));
  s.mark(kBnb, "512.5");
  CHECK(s.risk->held_fees() == 0);
  CHECK(s.loss() == d("1.025"));
  CHECK(s.engine->unpriced_fees() == 0);
}

TEST_CASE("engine trading day: the day's loss starts again at the configured hour in its zone (Asia/Seoul 09:00 = 00:00 UTC) -- the kill switch measures the new day from its start") {
  testkit::TempDir tmp{"engine-day-roll"};
  // 2024-08-08 23:30 UTC = 08:30 in Seoul: the trading day of 08-08 (it began at 09:00 KST).
  std::atomic<TimeNs> now{kAug8 + 23 * kHour + kHour / 2};
  KillSwitchRules rules;
  rules.enabled = true;
  rules.cancel_open_orders = true;
  rules.accounts.resize(2);
  rules.accounts[0].max_daily_loss = d("5");
  DayShard s(tmp.path(), now, rules, configs::TradingDaySpec{"Asia/Seoul", 9});
  s.mark(kBtc, "100");
  const auto buy = s.resting(kBtc, Side::kBuy, "100", "1");
  s.trade(buy, kBtc, Side::kBuy, "100", "1", "0", "USDT", "1");
  s.mark(kBtc, "97");
  REQUIRE(s.loss_becomes("3"));

  // 09:00:01 in Seoul: a new trading day. Its loss is measured from the mark at its start (97).
  now = kAug8 + 24 * kHour + 1'000'000'000;
  REQUIRE(s.loss_becomes("0"));
  s.mark(kBtc, "93");  // 7 below the buy, 4 below the day's start: not over 5 today
  CHECK(s.loss() == d("4"));
  CHECK(s.risk->limits().kill_switch(LimitScope::kAccount, 0) == KillSwitchState::kActive);
  s.mark(kBtc, "91.9");
  REQUIRE(testkit::eventually(
      [&] { return s.risk->limits().kill_switch(LimitScope::kAccount, 0) == KillSwitchState::kHalted; }));
  CHECK(s.engine->kill_switch_trips(TripReason::kDailyLoss) == 1);

  // Before 09:00 nothing rolled: the same scene an hour earlier would have tripped at 95.
  testkit::TempDir tmp2{"engine-day-noroll"};
  std::atomic<TimeNs> early{kAug8 + 22 * kHour};
  DayShard t(tmp2.path(), early, rules, configs::TradingDaySpec{"Asia/Seoul", 9});
  t.mark(kBtc, "100");
  const auto buy2 = t.resting(kBtc, Side::kBuy, "100", "1");
  t.trade(buy2, kBtc, Side::kBuy, "100", "1", "0", "USDT", "1");
  early = kAug8 + 23 * kHour + 59 * kHour / 60;  // 08:59 in Seoul: the same day
  t.mark(kBtc, "94.9");
  REQUIRE(testkit::eventually(
      [&] { return t.risk->limits().kill_switch(LimitScope::kAccount, 0) == KillSwitchState::kHalted; }));
}

TEST_CASE("engine trading day: a restart mid-day folds risk's books from the stored fills -- positions, today's loss with its fees and the open orders as before; yesterday's loss stays yesterday's") {
  testkit::TempDir tmp{"engine-day-restart"};
  std::atomic<TimeNs> now{kAug8 + 20 * kHour};  // 2024-08-08, UTC days
  Decimal position, loss, global_loss;
  std::int64_t open = 0, losses = 0;
  std::string rest;
  int ids = 0;
  {
    DayShard s(tmp.path(), now);
    s.mark(kBnb, "500");
    // Yesterday: bought 1 at 100, sold at 90 -- a loss of 10 and the fees.
    const auto b1 = s.resting(kBtc, Side::kBuy, "100", "1");
    s.trade(b1, kBtc, Side::kBuy, "100", "1", "0.1", "USDT", "1");
    const auto s1 = s.resting(kBtc, Side::kSell, "90", "1");
    s.trade(s1, kBtc, Side::kSell, "90", "1", "0.09", "USDT", "1");
    REQUIRE(s.loss_becomes("10.19"));

    // Today (2024-08-09): bought 2 at 100 (a BNB fee), sold 1 at 95; a buy rests.
    now = kAug8 + 30 * kHour;
    const auto b2 = s.resting(kBtc, Side::kBuy, "100", "2");
    REQUIRE(s.loss_becomes("0"));  // the day rolled at this step
    s.trade(b2, kBtc, Side::kBuy, "100", "2", "0.0004", "BNB", "2");  // 0.2 USDT
    const auto s2 = s.resting(kBtc, Side::kSell, "95", "1");
    s.trade(s2, kBtc, Side::kSell, "95", "1", "0.095", "USDT", "1");
    rest = s.resting(kBtc, Side::kBuy, "80", "0.5");
    s.mark(kBtc, "95");
    // Realized -5.295, unrealized 1 x (95 - 100) = -5.
    REQUIRE(s.loss_becomes("10.295"));
    position = s.risk->position(AccountId(0), kBtc);
    loss = s.loss();
    global_loss = s.risk->daily_loss(LimitScope::kGlobal, 0);
    open = s.risk->open_orders(LimitScope::kAccount, 0);
    losses = s.risk->consecutive_losses(LimitScope::kAccount, 0);
    ids = s.next_id;
    REQUIRE(s.log->flush(5s).ok());
  }
  CHECK(position == d("1"));
  CHECK(open == 1);
  CHECK(losses == 2);

  // The restart, later the same day: a fresh risk core, folded from the journal. The BNB fee
  // waits for BNB's mark (none is recorded): held, then counted at it.
  now = kAug8 + 31 * kHour;
  std::optional<DayShard> s;
  s.emplace(tmp.path(), now, KillSwitchRules{}, configs::TradingDaySpec{}, ids);
  CHECK(s->risk->position(AccountId(0), kBtc) == position);
  CHECK(s->risk->held_fees() == 1);
  CHECK(s->loss().to_string() == "10.095");
  s->mark(kBnb, "500");
  CHECK(s->risk->held_fees() == 0);
  CHECK(s->loss().to_string() == loss.to_string());
  CHECK(s->risk->daily_loss(LimitScope::kGlobal, 0).to_string() == global_loss.to_string());
  CHECK(s->risk->open_orders(LimitScope::kAccount, 0) == 1);
  CHECK(s->risk->consecutive_losses(LimitScope::kAccount, 0) == losses);
  // The live order's end is heard: open orders back to zero.
  CancelOrder cancel{AccountId(0), kBtc, {}};
  (void)cancel.client_order_id.assign(rest);
  REQUIRE(s->command(cancel).accepted);
  REQUIRE(s->becomes(rest, OrderStatus::kCanceled));
  CHECK(testkit::eventually([&] { return s->risk->open_orders(LimitScope::kAccount, 0) == 0; }));

  // A restart the next day: the position and its cost stay, the day's loss starts from the
  // last price known (95, the last fill's).
  ids = s->next_id;
  s.reset();
  now = kAug8 + 50 * kHour;
  s.emplace(tmp.path(), now, KillSwitchRules{}, configs::TradingDaySpec{}, ids);
  CHECK(s->risk->position(AccountId(0), kBtc) == d("1"));
  CHECK(s->loss() == d("0"));
  CHECK(s->risk->consecutive_losses(LimitScope::kAccount, 0) == losses);
  s->mark(kBtc, "96");
  CHECK(s->loss().to_string() == "-1");
}
