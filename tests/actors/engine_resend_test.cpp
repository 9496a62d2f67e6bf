// An order a crash kept from the venue (committed, sent, never received), found at the restart:
// resent only after a fresh risk check at a market price that came since the restart -- the
// marks risk holds at a start are the last fills', not today's. The resend waits for the
// first price; past the account's reconciliation window without one it is not sent.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <optional>

#include "engine_kit.hpp"
#include "oms/actors/engine.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
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

constexpr InstrumentId kBtc(0);
constexpr TimeNs kSecond = 1'000'000'000;
constexpr TimeNs kStart = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC
constexpr std::chrono::milliseconds kAckTimeout = 2000ms;  // the reconciliation window: 10 of them

// One account (acct-a) on a file journal and a scripted venue with a state file in `dir`: an
// engine over them is a start of the daemon, the next one over the same dir its restart.
struct Shard {
  Directory directory = testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  std::unique_ptr<EventLog> log;
  std::shared_ptr<testkit::ScriptedVenue> venue;
  std::shared_ptr<RiskCore> risk = std::make_shared<RiskCore>(2, 1, 2);
  std::unique_ptr<Engine> engine;
  std::uint64_t next_command = 1000;

  Shard(const std::filesystem::path& dir, std::atomic<TimeNs>& now, bool drop_orders, bool band = true) {
    spdlog::set_level(spdlog::level::err);
    auto j = persistence::FileJournal::open(dir / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    log = std::make_unique<EventLog>(*journal, nullptr, directory);
    venue = std::make_shared<testkit::ScriptedVenue>(7, dir / "venue.state", AccountId(0));
    venue->drop_orders(drop_orders);
    // A limit price at most 2 % from the mark (risk.yaml's price_band_bps).
    if (band) REQUIRE(risk->limits().set(LimitScope::kGlobal, 0, LimitKind::kPriceBandBps, d("200")));
    EngineOptions o;
    o.ack_timeout = kAckTimeout;
    o.in_doubt_ttl = 120s;
    o.clock = [&now] { return now.load(); };
    engine = std::make_unique<Engine>(
        std::move(o), table, *log, *journal, nullptr, risk,
        std::vector<EngineAccount>{{AccountId(0), "acct-a",
                                    persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"),
                                    venue, nullptr}});
    venue->start([this](const VenueReport& r) { engine->report(AccountId(0), r); });
    engine->reconcile();
  }
  ~Shard() {
    venue->stop();
    engine.reset();
  }
  std::optional<OrderStatus> status(const std::string& id) { return test::order_status(*engine, AccountId(0), id); }
  bool becomes(const std::string& id, OrderStatus want) { return test::order_becomes(*engine, AccountId(0), id, want); }
  // The order's rejection as the account's view holds it (code, reason), if it was rejected.
  std::optional<std::pair<std::uint16_t, std::string>> rejection(const std::string& id) {
    auto v = engine->view(AccountId(0), 5s);
    if (!v.ok()) return std::nullopt;
    for (const auto& o : (*v)->orders) {
      if (o.core.client_order_id().str() == id && o.core.status() == OrderStatus::kRejected &&
          o.core.last_error().has_value()) {
        return std::pair{o.core.last_error()->code, o.core.last_error()->reason.str()};
      }
    }
    return std::nullopt;
  }
};

// A buy of 0.01 BTC at 60,000 that the scripted venue would keep resting, committed and sent by
// a first start whose sends are all lost; the engine then stops (the crash). Its id.
std::string lost_order(const std::filesystem::path& dir, std::atomic<TimeNs>& now, bool band) {
  Shard first(dir, now, true, band);
  test::set_mark(*first.engine, *first.risk, kBtc, d("60000"));
  SubmitOrder o{};
  o.account = AccountId(0);
  o.instrument = kBtc;
  for (int n = 0;; ++n) {
    const std::string id = "RS-" + std::to_string(n);
    if (testkit::ScriptedVenue::fate_of(7, id) == Fate::kRest) {
      (void)o.client_order_id.assign(id);
      break;
    }
  }
  o.side = Side::kBuy;
  o.price = d("60000");
  o.quantity = d("0.01");
  REQUIRE(test::run_command(*first.engine, first.next_command, o).accepted);
  REQUIRE(testkit::eventually([&] { return first.venue->orders_dropped() == 1; }));
  CHECK(first.status(o.client_order_id.str()) == OrderStatus::kSubmitted);
  return o.client_order_id.str();
}

// The restart has asked the venue, which does not know the order: the resend waits -- nothing
// sent, the order unknown -- for as long as no price comes.
void check_waiting(Shard& s, const std::string& id) {
  REQUIRE(s.becomes(id, OrderStatus::kUnknown));
  std::this_thread::sleep_for(300ms);  // the venue's answer has had time to arrive
  CHECK(s.status(id) == OrderStatus::kUnknown);
  CHECK(s.venue->orders_received() == 0);
}

// The lost order's account started again `down` later (the crash's restart).
struct Restart {
  testkit::TempDir dir{"engine-resend"};
  std::atomic<TimeNs> now{kStart};
  bool band;
  std::string id = lost_order(dir.path(), now, band);
  std::optional<Shard> shard;
  // band: risk has a price band (a check that reads the market price).
  explicit Restart(TimeNs down, bool with_band = true) : band(with_band) {
    now += down;
    shard.emplace(dir.path(), now, false, band);
  }
};

}  // namespace

TEST_CASE("resend after a restart: the first market price since the restart is 5 % away -- risk refuses the resend (price band), the venue never has the order") {
  Restart r(30 * kSecond);  // down 30 s, inside the order's time to live (120 s)
  Shard& again = *r.shard;
  const std::string& id = r.id;
  check_waiting(again, id);
  test::set_mark(*again.engine, *again.risk, kBtc, d("63000"));  // the market moved 5 % up
  REQUIRE(again.becomes(id, OrderStatus::kRejected));
  CHECK(testkit::eventually([&] { return again.risk->open_orders(LimitScope::kAccount, 0) == 0; }));
  const auto why = again.rejection(id);
  REQUIRE(why.has_value());
  CHECK(why->first == static_cast<std::uint16_t>(RiskCode::kPriceBand));
  CHECK_MESSAGE(why->second.starts_with("not resent after a restart: risk 2009: price band"), why->second);
  std::this_thread::sleep_for(200ms);
  CHECK(again.venue->orders_received() == 0);
}

TEST_CASE("resend after a restart: the first market price since the restart is near the order's -- it is resent once, and rests at the venue") {
  Restart r(30 * kSecond);
  Shard& again = *r.shard;
  const std::string& id = r.id;
  check_waiting(again, id);
  // Counted open once: by the start's fold (a live order), not again by the resend.
  CHECK(again.risk->open_orders(LimitScope::kAccount, 0) == 1);
  test::set_mark(*again.engine, *again.risk, kBtc, d("60100"));
  REQUIRE(again.becomes(id, OrderStatus::kAccepted));
  CHECK(again.venue->orders_received() == 1);
  CHECK(again.risk->open_orders(LimitScope::kAccount, 0) == 1);
  CancelOrder cancel{AccountId(0), kBtc, {}};
  (void)cancel.client_order_id.assign(id);
  REQUIRE(test::run_command(*again.engine, again.next_command, cancel).accepted);
  REQUIRE(again.becomes(id, OrderStatus::kCanceled));
  CHECK(testkit::eventually([&] { return again.risk->open_orders(LimitScope::kAccount, 0) == 0; }));
}

TEST_CASE("resend after a restart: no market price within the account's reconciliation window -- not sent, rejected 3018 with the reason; a price after that sends nothing") {
  Restart r(30 * kSecond);
  Shard& again = *r.shard;
  const std::string& id = r.id;
  check_waiting(again, id);
  r.now += 10 * kAckTimeout.count() * 1'000'000 + kSecond;  // past the window (10 ack timeouts)
  REQUIRE(again.becomes(id, OrderStatus::kRejected));
  const auto why = again.rejection(id);
  REQUIRE(why.has_value());
  CHECK(why->first == static_cast<std::uint16_t>(CommandCode::kResendUnpriced));
  CHECK_MESSAGE(why->second.find("no market price came since the restart") != std::string::npos, why->second);
  test::set_mark(*again.engine, *again.risk, kBtc, d("60000"));
  std::this_thread::sleep_for(200ms);
  CHECK(again.status(id) == OrderStatus::kRejected);
  CHECK(again.venue->orders_received() == 0);
}

TEST_CASE("resend after a restart: past the order's time to live it is not sent, whatever the price") {
  Restart r(150 * kSecond);  // down longer than the time to live (120 s)
  Shard& again = *r.shard;
  const std::string& id = r.id;
  REQUIRE(again.becomes(id, OrderStatus::kRejected));
  const auto why = again.rejection(id);
  REQUIRE(why.has_value());
  CHECK(why->first == static_cast<std::uint16_t>(CommandCode::kResendTooLate));
  test::set_mark(*again.engine, *again.risk, kBtc, d("60000"));
  std::this_thread::sleep_for(200ms);
  CHECK(again.venue->orders_received() == 0);
}

TEST_CASE("resend after a restart: a check that reads no market price (a limit order, no band, no valued limit) runs at once -- resent with no price since the restart") {
  Restart r(30 * kSecond, false);
  Shard& again = *r.shard;
  const std::string& id = r.id;
  REQUIRE(again.becomes(id, OrderStatus::kAccepted));
  CHECK(again.venue->orders_received() == 1);
  CHECK(again.risk->open_orders(LimitScope::kAccount, 0) == 1);
}
