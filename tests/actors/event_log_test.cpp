// EventLog against its store's late answers. omsd's stop destroys the event log while appends
// may still be on their way to JetStream (what the engine committed after the last flush), and
// the store answers them -- or its close fails them -- on its own thread afterwards; such an
// answer once ran on the freed log (asan: heap-use-after-free in EventLog::on_answer, from
// JetStreamStore::handle_ack, after Daemon::stop reset the runtime). An answer that comes after
// the log is gone is dropped: its record stays pending in the intent log, published again at the
// next start. One that comes while the log is being destroyed (within its short wait) is taken.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "oms/actors/event_log.hpp"
#include "oms/persistence/intent_log.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace std::chrono_literals;

namespace {

// Holds every append's answer until the test gives it: the acks still on their way.
class LateStore final : public persistence::EventStore {
 public:
  Result<std::string, persistence::StoreError> stream_for(std::string_view) const override { return std::string("S"); }
  void append(persistence::AppendRecord, persistence::AppendCallback done) override {
    const std::lock_guard lock(mutex_);
    held_.push_back(std::move(done));
  }
  Result<Unit, persistence::StoreError> flush(std::chrono::milliseconds) override { return Unit{}; }
  Result<std::uint64_t, persistence::StoreError> read(const persistence::ReadRequest&,
                                                      const persistence::RecordVisitor&) override {
    return std::uint64_t{0};
  }
  Result<std::unique_ptr<persistence::Subscription>, persistence::StoreError> tail(
      const persistence::ReadRequest&, persistence::RecordVisitor) override {
    return Unexpected{persistence::StoreError{persistence::StoreErrorCode::kUnavailable, "no tail"}};
  }
  Result<std::uint64_t, persistence::StoreError> last_sequence(std::string_view) override { return std::uint64_t{0}; }
  Result<std::vector<persistence::DayStart>, persistence::StoreError> day_index(std::string_view) override {
    return std::vector<persistence::DayStart>{};
  }

  [[nodiscard]] std::size_t held() {
    const std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Answers every held append as stored (sequence 1, 2, ...).
  void answer_all() {
    std::vector<persistence::AppendCallback> now;
    {
      const std::lock_guard lock(mutex_);
      now.swap(held_);
    }
    std::uint64_t seq = 0;
    for (auto& done : now) done(++seq);
  }

 private:
  std::mutex mutex_;
  std::vector<persistence::AppendCallback> held_;
};

BalanceUpdated usdt(std::int64_t units) {
  BalanceUpdated b{};
  b.account = AccountId(0);
  b.exchange = ExchangeId::kBinance;
  b.market = Market::kSpot;
  (void)b.asset.assign("USDT");
  b.free = Decimal::from_raw(Int128{units} * Decimal::kOne);
  return b;
}

bool eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("event log: a store's answer after the log is destroyed is dropped, its record pending in the intent log; one during the destruction's wait is taken") {
  testkit::TempDir tmp("oms-event-log");
  auto intents = persistence::IntentLog::open((tmp.path() / "intent").string(), {std::uint64_t{1} << 16, 0});
  REQUIRE(intents.ok());
  Directory directory;
  (void)directory.accounts.intern("acct-a");
  LateStore store;
  const auto commit_one = [&](actors::EventLog& log, std::int64_t units) {
    const EventPayload p = usdt(units);
    const TimeNs now = 1'723'075'200'000'000'000 + units;
    auto c = log.commit(Envelope{static_cast<EventId>(units), 0, now, now, 0, 0}, {&p, 1}, now);
    REQUIRE(c.ok());
  };

  {
    actors::EventLog log(store, intents->get(), directory);
    commit_one(log, 1);
    REQUIRE(eventually([&] { return store.held() == 1; }));  // handed over, not answered
  }
  store.answer_all();  // after the log is gone
  CHECK((*intents)->pending().size() == 1);

  // Answered while the log's destructor waits for the store: released.
  std::thread late;
  {
    actors::EventLog log(store, intents->get(), directory);
    commit_one(log, 2);
    REQUIRE(eventually([&] { return store.held() == 1; }));
    late = std::thread([&] {
      std::this_thread::sleep_for(100ms);
      store.answer_all();  // while the log below is being destroyed
    });
  }
  late.join();
  CHECK((*intents)->pending().size() == 1);  // the first one only
}
