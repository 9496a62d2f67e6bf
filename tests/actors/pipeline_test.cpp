// The hot path: the same stages inline and threaded, from book updates and commands to the
// venue's wire bytes, with risk refusals, the intent log, and backpressure.
#include "oms/actors/pipeline.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "oms/actors/pipeline_threads.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::actors;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

// "account|instrument|side|price|qty|client id": enough to see what would leave.
struct TextEncoder {
  std::size_t encode(const OrderSubmitted& o, TimeNs, std::span<char> out) const {
    const std::string s = std::to_string(o.account.index()) + "|" +
                          std::to_string(o.instrument.index()) + "|" +
                          (o.side == Side::kBuy ? "BUY" : "SELL") + "|" + o.price.to_string() +
                          "|" + o.quantity.to_string() + "|" + o.client_order_id.str();
    if (s.size() > out.size()) return 0;
    std::copy(s.begin(), s.end(), out.begin());
    return s.size();
  }
};

struct CollectingSink {
  std::mutex mutex;
  std::vector<std::string> sent;
  std::vector<RiskCode> rejections;
  void send(const WireOrder& w) {
    const std::lock_guard lock(mutex);
    sent.emplace_back(w.view());
  }
  void reject(const RiskRejection& r) {
    const std::lock_guard lock(mutex);
    rejections.push_back(r.decision.code);
  }
  std::size_t count() {
    const std::lock_guard lock(mutex);
    return sent.size();
  }
};

Event snapshot(std::uint32_t instrument, std::uint64_t id, const char* bid, const char* ask) {
  BookSnapshot s{};
  s.instrument = InstrumentId(instrument);
  s.last_update_id = id;
  (void)s.levels.push_back(BookLevel{BookSide::kBid, d(bid), d("1")});
  (void)s.levels.push_back(BookLevel{BookSide::kAsk, d(ask), d("2")});
  return Event{Envelope{id, 0, 0, 0, 0, 0}, s};
}

Event delta(std::uint32_t instrument, std::uint64_t id, BookSide side, const char* px,
            const char* qty) {
  BookDelta b{};
  b.instrument = InstrumentId(instrument);
  b.first_update_id = id;
  b.last_update_id = id;
  (void)b.levels.push_back(BookLevel{side, d(px), d(qty)});
  return Event{Envelope{id, 0, 0, 0, 0, 0}, b};
}

Command submit(std::uint64_t id, const char* clid, const char* qty) {
  SubmitOrder o{};
  o.account = AccountId(0);
  o.strategy = StrategyId(0);
  o.instrument = InstrumentId(0);
  (void)o.client_order_id.assign(clid);
  o.side = Side::kBuy;
  o.price = d("100");
  o.quantity = d(qty);
  return Command{Envelope{id, 0, 0, 0, 0, 0}, o};
}

struct Fixture {
  std::vector<BookCoreConfig> books{{InstrumentId(0), BookSequencing::kBinanceSpot},
                                    {InstrumentId(1), BookSequencing::kBinanceSpot}};
  RiskCore risk{2, 1, 2};
  BookStage book{books};
  SignalStage signal{{ArbGroup{{ArbLeg{InstrumentId(0), AccountId(0), d("0.001")},
                                 ArbLeg{InstrumentId(1), AccountId(1), d("0.001")}},
                                StrategyId(0), d("0.5"), d("0.75")}},
                     2, 7};
  std::vector<std::string> subjects{"orders.binance.a.spot.BTC-USDT", "orders.binance.a.spot.BTC-USDC",
                                    "orders.binance.b.spot.BTC-USDT", "orders.binance.b.spot.BTC-USDC"};
  TextEncoder encoder;
  EncodeStage<TextEncoder> encode{encoder};
  CollectingSink sink;
};

// The inputs both shells get: two books, then venue 1's bid jumps above venue 0's ask.
std::vector<Event> market_inputs() {
  return {snapshot(0, 10, "100", "101"), snapshot(1, 20, "100.5", "103"),
          delta(1, 21, BookSide::kBid, "102", "0.5")};
}

}  // namespace

TEST_CASE("inline pipeline: a fee-adjusted cross between venues emits both IOC legs, clipped") {
  Fixture f;
  RiskStage risk(f.risk, nullptr, f.subjects, 2, 1000);
  InlinePipeline<TextEncoder, CollectingSink> p(f.book, f.signal, risk, f.encode, f.sink);
  for (const auto& e : market_inputs()) p.on_market_data(e, 1);
  // Buy venue 0 at 101 (cost 101.101), sell venue 1 at 102 (gain 101.898): edge 0.797 >= 0.5.
  // Quantity: min(ask qty 2, bid qty 0.5, clip 0.75) = 0.5.
  REQUIRE(f.sink.sent.size() == 2);
  CHECK(f.sink.sent[0].rfind("0|0|BUY|101|0.5|", 0) == 0);
  CHECK(f.sink.sent[1].rfind("1|1|SELL|102|0.5|", 0) == 0);
  CHECK(f.signal.signals() == 1);
}

TEST_CASE("inline pipeline: no order when the edge is below min_edge after fees") {
  Fixture f;
  RiskStage risk(f.risk, nullptr, f.subjects, 2, 1000);
  InlinePipeline<TextEncoder, CollectingSink> p(f.book, f.signal, risk, f.encode, f.sink);
  p.on_market_data(snapshot(0, 10, "100", "101"), 1);
  p.on_market_data(snapshot(1, 20, "100.5", "103"), 1);
  // 101.3 - 0.1013 = 101.1987; 101 + 0.101 = 101.101: edge 0.0977 < 0.5.
  p.on_market_data(delta(1, 21, BookSide::kBid, "101.3", "1"), 1);
  CHECK(f.sink.sent.empty());
}

TEST_CASE("inline pipeline: a command passes risk into the intent log and out; a refusal does not leave") {
  Fixture f;
  oms::testkit::TempDir tmp("pipeline");
  auto log = persistence::IntentLog::open((tmp.path() / "intents.log").string(),
                                          persistence::IntentLogOptions{1U << 16, 0});
  REQUIRE(log.ok());
  REQUIRE(f.risk.limits().set(LimitScope::kAccount, 0, LimitKind::kOrderQuantity, d("1")));
  RiskStage risk(f.risk, log->get(), f.subjects, 2, 1000);
  InlinePipeline<TextEncoder, CollectingSink> p(f.book, f.signal, risk, f.encode, f.sink);
  p.on_command(submit(1, "CMD-1", "0.5"), 5);
  p.on_command(submit(2, "CMD-2", "2"), 6);  // over the account's order quantity limit
  REQUIRE(f.sink.sent.size() == 1);
  CHECK(f.sink.sent[0] == "0|0|BUY|100|0.5|CMD-1");
  REQUIRE(f.sink.rejections.size() == 1);
  CHECK(f.sink.rejections[0] == RiskCode::kOrderQuantity);
  // Only the order that left is in the intent log, with its event id and subject.
  const auto pending = (*log)->pending();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].msg_id == 1000);
  CHECK(pending[0].subject == "orders.binance.a.spot.BTC-USDT");
  CHECK(f.risk.open_orders(LimitScope::kAccount, 0) == 1);
}

TEST_CASE("threaded pipeline (spin-then-park): the same inputs give the same wire orders as inline") {
  Fixture inline_f;
  RiskStage inline_risk(inline_f.risk, nullptr, inline_f.subjects, 2, 1000);
  InlinePipeline<TextEncoder, CollectingSink> ip(inline_f.book, inline_f.signal, inline_risk,
                                                 inline_f.encode, inline_f.sink);
  for (const auto& e : market_inputs()) ip.on_market_data(e, 1);
  ip.on_command(submit(1, "CMD-1", "0.5"), 1);

  Fixture f;
  RiskStage risk(f.risk, nullptr, f.subjects, 2, 1000);
  auto clock = [] { return TimeNs{1}; };
  ThreadedPipeline<TextEncoder, CollectingSink, decltype(clock)> tp(
      f.book, f.signal, risk, f.encode, f.sink, clock, PipelineThreads{WaitMode::kSpinThenPark, {-1, -1, -1, -1}});
  tp.start();
  for (const auto& e : market_inputs()) REQUIRE(tp.try_market_data(e));
  // The command after the book updates have reached the signal stage, as inline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.sink.count() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(tp.try_command(submit(1, "CMD-1", "0.5")));
  while (f.sink.count() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  tp.stop();
  CHECK(f.sink.sent == inline_f.sink.sent);
  CHECK(tp.processed() == 3);
}

TEST_CASE("threaded pipeline: 20000 commands through full rings all arrive, in order") {
  Fixture f;
  RiskStage risk(f.risk, nullptr, f.subjects, 2, 1000);
  auto clock = [] { return TimeNs{1}; };
  ThreadedPipeline<TextEncoder, CollectingSink, decltype(clock)> tp(
      f.book, f.signal, risk, f.encode, f.sink, clock, PipelineThreads{WaitMode::kSpinThenPark, {-1, -1, -1, -1}});
  tp.start();
  constexpr int kN = 20000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int i = 0; i < kN;) {
    if (tp.try_command(submit(static_cast<std::uint64_t>(i + 1), ("C" + std::to_string(i)).c_str(), "0.01"))) {
      ++i;
    } else {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();  // backpressure: the gateway waits, nothing is dropped
    }
  }
  while (tp.processed() < kN && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  tp.stop();
  REQUIRE(f.sink.sent.size() == kN);
  for (int i = 0; i < kN; i += 997) {
    CHECK(f.sink.sent[static_cast<std::size_t>(i)] == "0|0|BUY|100|0.01|C" + std::to_string(i));
  }
}
