#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <vector>
#include <cstdint>
#include <thread>

#include "oms/actors/producer_rings.hpp"
#include "oms/actors/spsc_ring.hpp"
#include "oms/messages/events.hpp"

using oms::actors::SpscRing;

TEST_CASE("a ring is FIFO, refuses when full and gives nothing when empty") {
  SpscRing<int, 4> ring;
  CHECK(ring.front() == nullptr);
  for (int i = 0; i < 4; ++i) CHECK(ring.try_push(i));
  CHECK_FALSE(ring.try_push(99));
  CHECK(ring.size_approx() == 4);
  for (int i = 0; i < 4; ++i) {
    int* v = ring.front();
    REQUIRE(v != nullptr);
    CHECK(*v == i);
    ring.pop();
  }
  CHECK(ring.front() == nullptr);
  // Wrap around many times.
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(ring.try_push(i));
    REQUIRE(*ring.front() == i);
    ring.pop();
  }
}

TEST_CASE("events travel a ring by value, filled in place") {
  SpscRing<oms::Event, 8> ring;
  REQUIRE(ring.emplace_with([](oms::Event& e) {
    e.envelope.id = 7;
    e.payload = oms::OrderCanceled{};
  }));
  const oms::Event* e = ring.front();
  REQUIRE(e != nullptr);
  CHECK(e->envelope.id == 7);
  CHECK(std::holds_alternative<oms::OrderCanceled>(e->payload));
}

TEST_CASE("two threads: every value arrives once and in order") {
  constexpr std::uint64_t kCount = 2'000'000;
  SpscRing<std::uint64_t, 1024> ring;
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kCount; ++i)
      while (!ring.try_push(i)) std::this_thread::yield();
  });
  std::uint64_t expected = 1, sum = 0;
  while (expected <= kCount) {
    std::uint64_t* v = ring.front();
    if (v == nullptr) {
      std::this_thread::yield();
      continue;
    }
    REQUIRE(*v == expected);
    sum += *v;
    ring.pop();
    ++expected;
  }
  producer.join();
  CHECK(sum == kCount * (kCount + 1) / 2);
  CHECK(ring.front() == nullptr);
}

#include "oms/actors/stage.hpp"

TEST_CASE("spin-then-park spins, yields, then naps; busy-poll never naps") {
  oms::actors::IdleStrategy park(oms::actors::WaitMode::kSpinThenPark);
  for (std::uint32_t i = 0; i < oms::actors::IdleStrategy::kSpins + oms::actors::IdleStrategy::kYields; ++i) park.idle();
  CHECK(park.naps() == 0);
  park.idle();
  CHECK(park.naps() == 1);
  park.reset();
  park.idle();
  CHECK(park.naps() == 1);
  oms::actors::IdleStrategy busy(oms::actors::WaitMode::kBusyPoll);
  for (int i = 0; i < 10'000; ++i) busy.idle();
  CHECK(busy.naps() == 0);
}

TEST_CASE("a parker returns at once when work is there, sleeps to its timeout when none comes") {
  oms::actors::Parker parker;
  const auto t0 = std::chrono::steady_clock::now();
  parker.park(std::chrono::seconds(5), [] { return true; });
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  CHECK(parker.parks() == 0);
  const auto t1 = std::chrono::steady_clock::now();
  parker.park(std::chrono::milliseconds(30), [] { return false; });
  CHECK(std::chrono::steady_clock::now() - t1 >= std::chrono::milliseconds(25));
  CHECK(parker.parks() == 1);
  parker.notify();  // nobody parks: nothing happens, the next park still sleeps
  const auto t2 = std::chrono::steady_clock::now();
  parker.park(std::chrono::milliseconds(30), [] { return false; });
  CHECK(std::chrono::steady_clock::now() - t2 >= std::chrono::milliseconds(25));
}

TEST_CASE("a parked consumer is woken by each producer's notify: no wake-up is lost") {
  // The consumer parks for up to 5 s whenever its ring is empty; 20,000 values with pauses
  // between bursts. A lost wake-up would leave a value waiting the whole 5 s.
  SpscRing<std::uint64_t, 64> ring;
  oms::actors::Parker parker;
  constexpr std::uint64_t kValues = 20'000;
  std::atomic<bool> stuck{false};
  std::thread producer([&] {
    for (std::uint64_t v = 1; v <= kValues; ++v) {
      while (!ring.try_push(std::uint64_t{v})) std::this_thread::yield();
      parker.notify();
      if (v % 97 == 0) std::this_thread::sleep_for(std::chrono::microseconds(v % 300));
    }
  });
  std::uint64_t expect = 1;
  const auto start = std::chrono::steady_clock::now();
  while (expect <= kValues) {
    if (std::uint64_t* v = ring.front()) {
      REQUIRE(*v == expect);
      ring.pop();
      ++expect;
      continue;
    }
    const auto t = std::chrono::steady_clock::now();
    parker.park(std::chrono::seconds(5), [&] { return ring.size_approx() > 0; });
    if (std::chrono::steady_clock::now() - t > std::chrono::seconds(2)) stuck = true;
  }
  producer.join();
  CHECK_FALSE(stuck.load());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  CHECK(parker.parks() > 0);  // it did park (the test exercised the sleeping side)
}

TEST_CASE("pinning names the cpu it could not use") {
  std::optional<std::string> cpu0, negative, absent;
  std::thread t([&] {  // a thread of its own: the test runner stays unpinned
    cpu0 = oms::actors::pin_current_thread(0);
    negative = oms::actors::pin_current_thread(-1);
    absent = oms::actors::pin_current_thread(1000);
  });
  t.join();
  CHECK_FALSE(cpu0.has_value());
  CHECK(*negative == "cpu -1 is out of range");
  CHECK(absent->starts_with("cannot pin to cpu 1000: "));
}

TEST_CASE("producer rings: more live producer threads than slots -- every value arrives once, each thread's in order") {
  using Rings = oms::actors::ProducerRings<std::uint64_t, 64>;
  Rings rings;
  constexpr std::size_t kThreads = Rings::kMaxProducers + 36;  // 36 use the shared ring
  constexpr std::uint64_t kEach = 2000;
  std::atomic<bool> go{false};
  std::atomic<std::size_t> done{0};
  std::vector<std::thread> producers;
  for (std::size_t t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (std::uint64_t i = 0; i < kEach; ++i) {
        std::uint64_t v = (static_cast<std::uint64_t>(t) << 32) | i;
        while (!rings.try_push(std::move(v))) std::this_thread::yield();  // full: try again
      }
      done.fetch_add(1);
      // Stay alive until the end: a thread that ended would give its slot back.
      while (go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  go = true;
  std::vector<std::uint64_t> next(kThreads, 0);
  std::uint64_t received = 0, out_of_order = 0;
  while (received < kThreads * kEach) {
    received += rings.drain(
        [&](std::uint64_t& v) {
          const auto t = static_cast<std::size_t>(v >> 32);
          if ((v & 0xffffffffU) != next[t]) ++out_of_order;
          next[t] = (v & 0xffffffffU) + 1;
        },
        16);
  }
  CHECK(out_of_order == 0);
  CHECK(rings.waiting() == 0);
  for (std::size_t t = 0; t < kThreads; ++t) CHECK(next[t] == kEach);
  go = false;
  for (auto& p : producers) p.join();
}
