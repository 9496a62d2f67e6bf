// OrderLanes: a venue market's order jobs on a few threads. See exchange_internal.hpp.
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "exchange_internal.hpp"

namespace oms::binance {

struct OrderLanes::Lane {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<BinanceAccount*> ready;                // accounts with a job to run, in turn
  std::multimap<TimeNs, BinanceAccount*> held;      // order budget spent: ready again at
  bool running = false;   // a job runs (its request may wait on a connection)
  bool reserved = false;  // an order is being written on the caller's thread (reserve())
  bool stopping = false;
  std::thread thread;
};

OrderLanes::OrderLanes(std::size_t lanes, FreeAt free_at) : free_at_(std::move(free_at)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(lanes, 1); ++i) {
    lanes_.push_back(std::make_unique<Lane>());
  }
  for (auto& lane : lanes_) lane->thread = std::thread([this, l = lane.get()] { run(*l); });
}

OrderLanes::~OrderLanes() {
  for (auto& lane : lanes_) {
    {
      std::lock_guard lk(lane->mutex);
      lane->stopping = true;
    }
    lane->cv.notify_all();
  }
  for (auto& lane : lanes_) lane->thread.join();
}

void OrderLanes::schedule(BinanceAccount& account) {
  Lane& lane = *lanes_[account.index_ % lanes_.size()];
  {
    std::lock_guard lk(lane.mutex);
    lane.ready.push_back(&account);
  }
  lane.cv.notify_one();
}

bool OrderLanes::reserve(const BinanceAccount& account) {
  Lane& lane = *lanes_[account.index_ % lanes_.size()];
  std::lock_guard lk(lane.mutex);
  if (lane.stopping || lane.running || lane.reserved || !lane.ready.empty()) return false;
  lane.reserved = true;
  return true;
}

void OrderLanes::release(BinanceAccount& account, bool schedule) {
  Lane& lane = *lanes_[account.index_ % lanes_.size()];
  {
    std::lock_guard lk(lane.mutex);
    lane.reserved = false;
    if (schedule) lane.ready.push_front(&account);  // its response is the lane's next job
  }
  lane.cv.notify_one();
}

void OrderLanes::run(Lane& lane) {
  std::unique_lock lk(lane.mutex);
  for (;;) {
    // Accounts whose budget has freed are ready again, behind the others.
    const TimeNs now = wall_now_ns();
    while (!lane.held.empty() && lane.held.begin()->first <= now) {
      lane.ready.push_back(lane.held.begin()->second);
      lane.held.erase(lane.held.begin());
    }
    if (lane.stopping) return;
    if (lane.ready.empty() || lane.reserved) {  // reserved: release() notifies
      if (lane.held.empty()) {
        lane.cv.wait(lk);
      } else {
        const auto until = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::nanoseconds(lane.held.begin()->first)));
        lane.cv.wait_until(lk, until);
      }
      continue;
    }
    BinanceAccount& a = *lane.ready.front();
    lane.ready.pop_front();
    lane.running = true;  // until the lock is taken again below
    lk.unlock();

    BinanceAccount::Job job;
    TimeNs hold_until = 0;
    {
      std::lock_guard alk(a.queue_mutex_);
      if (a.jobs_.empty()) {
        a.scheduled_ = false;  // stopped meanwhile: its jobs were dropped
      } else if (const TimeNs free = free_at_(a.index_, a.jobs_.front().orders, now); free > now) {
        hold_until = free;  // stays scheduled, aside
      } else {
        job = std::move(a.jobs_.front());
        a.jobs_.pop_front();
        a.busy_ = true;
      }
    }
    if (job.run) {
      job.run();
      bool more = false;
      {
        std::lock_guard alk(a.queue_mutex_);
        a.busy_ = false;
        more = !a.jobs_.empty();
        if (!more) a.scheduled_ = false;
      }
      a.queue_cv_.notify_all();
      lk.lock();
      lane.running = false;
      if (more) lane.ready.push_back(&a);
      continue;
    }
    lk.lock();
    lane.running = false;
    if (hold_until != 0) lane.held.emplace(hold_until, &a);
  }
}

}  // namespace oms::binance
