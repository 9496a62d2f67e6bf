// Waiting for something another thread or process does: polls pred every 2 ms until it holds
// (true) or the bound passes (false).
#pragma once

#include <chrono>
#include <thread>

namespace oms::testkit {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace oms::testkit
