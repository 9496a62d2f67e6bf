// ThreadedPipeline: the pinned shell of the hot path (pipeline.hpp has the stages). A thread
// per stage, bounded SPSC rings between them:
//
//   feed ->[md]-> 1.book ->[tops]-> 2.signal ->[intents]-> 3.risk ->[risked]-> 4.encode+5.session
//   gateway ->[commands]-^                                   \->[rejects]-> shell
//
// Each thread is pinned to its configured CPU (-1: unpinned) and waits busy-polling or
// spin-then-park. A full ring is backpressure: the producing stage waits for room (it never
// drops); the feeding side sees try_* return false and decides (the market-data feed resyncs,
// the gateway answers "busy").
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <thread>

#include "oms/actors/pipeline.hpp"
#include "oms/actors/spsc_ring.hpp"
#include "oms/actors/stage.hpp"

namespace oms::actors {

struct PipelineThreads {
  WaitMode wait = default_wait_mode();
  // CPUs for book, signal, risk, encode+session; -1 = unpinned.
  std::array<int, 4> cpus{-1, -1, -1, -1};
};

template <class Encoder, class Sink, class Clock>
class ThreadedPipeline {
 public:
  static constexpr std::size_t kRing = 1024;

  ThreadedPipeline(BookStage& book, SignalStage& signal, RiskStage& risk,
                   EncodeStage<Encoder>& encode, Sink& sink, Clock clock, PipelineThreads config)
      : book_(book), signal_(signal), risk_(risk), encode_(encode), sink_(sink), clock_(clock),
        config_(config), rings_(std::make_unique<Rings>()) {}
  ~ThreadedPipeline() { stop(); }
  ThreadedPipeline(const ThreadedPipeline&) = delete;
  ThreadedPipeline& operator=(const ThreadedPipeline&) = delete;

  void start() {
    threads_[0] = std::jthread([this](std::stop_token st) { run(st, 0, [this] { return book_step(); }); });
    threads_[1] = std::jthread([this](std::stop_token st) { run(st, 1, [this] { return signal_step(); }); });
    threads_[2] = std::jthread([this](std::stop_token st) { run(st, 2, [this] { return risk_step(); }); });
    threads_[3] = std::jthread([this](std::stop_token st) { run(st, 3, [this] { return encode_step(); }); });
  }
  // Stops every stage thread; messages still in the rings stay there.
  void stop() {
    for (auto& t : threads_) t.request_stop();
    for (auto& t : threads_) if (t.joinable()) t.join();
  }

  // One producer thread each.
  [[nodiscard]] bool try_market_data(const Event& e) noexcept { return rings_->md.try_push(e); }
  [[nodiscard]] bool try_command(const Command& c) noexcept { return rings_->commands.try_push(c); }
  // The shell's side of the rejects ring (one consumer thread).
  [[nodiscard]] RiskRejection* front_rejection() noexcept { return rings_->rejects.front(); }
  void pop_rejection() noexcept { rings_->rejects.pop(); }

  [[nodiscard]] std::uint64_t processed() const noexcept {
    return processed_.load(std::memory_order_relaxed);
  }

 private:
  struct Rings {
    SpscRing<Event, kRing> md;
    SpscRing<Command, kRing> commands;
    SpscRing<TopOfBook, kRing> tops;
    SpscRing<OrderIntent, kRing> intents;
    SpscRing<RiskedOrder, kRing> risked;
    SpscRing<RiskRejection, kRing> rejects;
  };

  template <class Step>
  void run(const std::stop_token& st, std::size_t stage, Step step) {
    if (config_.cpus[stage] >= 0) (void)pin_current_thread(config_.cpus[stage]);
    IdleStrategy idle(config_.wait);
    while (!st.stop_requested()) {
      if (step()) idle.reset();
      else idle.idle();
    }
  }

  // Waits for room in a full ring: backpressure, never a drop. Gives up only at stop().
  template <class Ring, class T>
  void push(Ring& ring, const T& v) {
    IdleStrategy idle(config_.wait);
    while (!ring.try_push(v)) {
      if (stopping()) return;
      idle.idle();
    }
  }
  [[nodiscard]] bool stopping() const noexcept {
    for (const auto& t : threads_) if (t.get_stop_token().stop_requested()) return true;
    return false;
  }

  bool book_step() {
    Event* e = rings_->md.front();
    if (e == nullptr) return false;
    std::array<TopOfBook, 1> out;
    const std::size_t n = book_.on(*e, clock_(), out);
    rings_->md.pop();
    for (std::size_t i = 0; i < n; ++i) push(rings_->tops, out[i]);
    return true;
  }
  bool signal_step() {
    bool worked = false;
    std::array<OrderIntent, SignalStage::kMaxOut> out;
    if (Command* c = rings_->commands.front()) {
      const std::size_t n = signal_.on(*c, clock_(), out);
      rings_->commands.pop();
      for (std::size_t i = 0; i < n; ++i) push(rings_->intents, out[i]);
      worked = true;
    }
    if (TopOfBook* t = rings_->tops.front()) {
      const std::size_t n = signal_.on(*t, clock_(), out);
      rings_->tops.pop();
      for (std::size_t i = 0; i < n; ++i) push(rings_->intents, out[i]);
      worked = true;
    }
    return worked;
  }
  bool risk_step() {
    OrderIntent* in = rings_->intents.front();
    if (in == nullptr) return false;
    std::array<RiskedOrder, 1> out;
    const std::size_t n = risk_.on(*in, clock_(), out, rejection_);
    rings_->intents.pop();
    if (n == 1) push(rings_->risked, out[0]);
    else push(rings_->rejects, rejection_);
    return true;
  }
  bool encode_step() {
    RiskedOrder* r = rings_->risked.front();
    if (r == nullptr) return false;
    std::array<WireOrder, 1> out;
    const std::size_t n = encode_.on(*r, clock_(), out);
    rings_->risked.pop();
    if (n == 1) sink_.send(out[0]);
    processed_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  BookStage& book_;
  SignalStage& signal_;
  RiskStage& risk_;
  EncodeStage<Encoder>& encode_;
  Sink& sink_;
  Clock clock_;
  PipelineThreads config_;
  std::unique_ptr<Rings> rings_;
  RiskRejection rejection_{};  // risk thread only
  std::atomic<std::uint64_t> processed_{0};
  std::array<std::jthread, 4> threads_;
};

}  // namespace oms::actors
