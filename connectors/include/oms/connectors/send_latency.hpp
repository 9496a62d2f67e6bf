// Where an order's request came from, and how long it took from there to the socket.
//
// The engine stamps every order it sends with its origin: the wall-clock time its input entered
// the process (a gRPC request received, a depth message read off the market-data socket) and the
// kind of that input. The connector hands the order's signed bytes to the socket write and
// records (write time - origin time) here, one sample per order. Samples are kept in a ring per
// kind (the last kSamples); quantiles are computed over those samples at read time (metrics,
// benchmarks), never as means of batches.
//
// record() is wait-free (one fetch_add and a relaxed store) and may be called from any thread;
// a reader racing a writer may see a slot from one lap earlier, which moves a quantile by at
// most one sample.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "oms/messages/envelope.hpp"

namespace oms {

enum class SendOriginKind : std::uint8_t {
  kNone,        // not traced (a test, an administrative call)
  kApi,         // a client's request (gRPC) received by the gateway
  kMarketData,  // a market-data message read off the socket (a strategy's order)
  kEngine,      // the engine's own (ack timer, reconciliation resend)
};
inline constexpr std::size_t kSendOriginKinds = 4;

[[nodiscard]] constexpr std::string_view to_string(SendOriginKind k) noexcept {
  switch (k) {
    case SendOriginKind::kApi: return "api";
    case SendOriginKind::kMarketData: return "market_data";
    case SendOriginKind::kEngine: return "engine";
    case SendOriginKind::kNone: break;
  }
  return "none";
}

struct SendOrigin {
  SendOriginKind kind = SendOriginKind::kNone;
  TimeNs received_ns = 0;  // wall clock (UTC ns) when the input entered the process
};

struct LatencyQuantiles {
  std::uint64_t count = 0;  // samples recorded since start (the quantiles use the last kSamples)
  std::int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;  // ns
};

class SendLatency {
 public:
  static constexpr std::size_t kSamples = 1 << 16;

  SendLatency() : rings_(std::make_unique<Ring[]>(2 * kSendOriginKinds)) {}

  // handed_ns: when the engine handed the signed order to the connector (0: not known);
  // written_ns: when its first byte was handed to the socket.
  void record(const SendOrigin& origin, TimeNs handed_ns, TimeNs written_ns) noexcept {
    if (origin.kind == SendOriginKind::kNone || origin.received_ns <= 0 || written_ns <= 0) return;
    const auto k = static_cast<std::size_t>(origin.kind);
    push(rings_[k], written_ns - origin.received_ns);
    if (handed_ns > 0) push(rings_[kSendOriginKinds + k], handed_ns - origin.received_ns);
  }

  [[nodiscard]] std::uint64_t count(SendOriginKind kind) const noexcept {
    return rings_[static_cast<std::size_t>(kind)].next.load(std::memory_order_relaxed);
  }

  // Origin -> socket write (the whole path); with engine_only, origin -> the engine's hand-off
  // to the connector (the rest is the connector's queue, its rate limiter and the write).
  [[nodiscard]] LatencyQuantiles quantiles(SendOriginKind kind, bool engine_only = false) const {
    const Ring& r = rings_[static_cast<std::size_t>(kind) + (engine_only ? kSendOriginKinds : 0)];
    LatencyQuantiles q;
    q.count = r.next.load(std::memory_order_relaxed);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(q.count, kSamples));
    if (n == 0) return q;
    std::vector<std::int64_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = r.samples[i].load(std::memory_order_relaxed);
    std::sort(v.begin(), v.end());
    const auto at = [&](double f) {
      return v[std::min(n - 1, static_cast<std::size_t>(f * static_cast<double>(n)))];
    };
    q.p50 = at(0.5);
    q.p99 = at(0.99);
    q.p999 = at(0.999);
    q.max = v.back();
    return q;
  }

 private:
  struct Ring {
    std::atomic<std::uint64_t> next{0};
    std::array<std::atomic<std::int64_t>, kSamples> samples{};
  };
  static void push(Ring& r, std::int64_t v) noexcept {
    const std::uint64_t i = r.next.fetch_add(1, std::memory_order_relaxed);
    r.samples[i % kSamples].store(v, std::memory_order_relaxed);
  }
  std::unique_ptr<Ring[]> rings_;
};

}  // namespace oms
