// The order round trip as a client sees it: gRPC SubmitOrder (TLS 1.3) -> omsd (gateway ->
// the engine's ring -> risk, desk, commit to the intent log and JetStream, send) -> venue-sim
// over HTTPS (signed Binance request, match) -> the ack back through the engine -> the reply. The stack
// runs as in deploy/run: nats-server, venue-sim (random walk) and omsd as processes on
// loopback; each order is an IOC limit crossing the book (buy and sell alternate, so balances
// hold), submitted with wait_ack_ms so the reply comes with the venue's answer. The desk's
// loss and order-rate limits are lifted over the API; the venue's own order budget paces it.
// Counters: p50_us, p99_us, p999_us (each a single round trip, not a batch mean), and
// api_to_wire_p50/p99/p999_us: omsd's own per-order trace (gRPC request received -> order bytes
// handed to the socket), read from its /metrics.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "oms/api/v1/oms.grpc.pb.h"
#include "api_client.hpp"
#include "stack.hpp"
#include "testkit/paths.hpp"
#include "venue_view.hpp"

namespace {

namespace api = oms::api::v1;
using namespace std::chrono_literals;


struct Desk {
  std::unique_ptr<oms::omsd::test::Stack> stack;
  std::unique_ptr<api::Oms::Stub> stub;
  std::string token;
  std::unique_ptr<oms::omsd::test::VenueView> venue;
  oms::Decimal mid;
  std::uint64_t next = 0;

  Desk() {
    // perf/run pins the benchmark to one CPU; the daemon, the venue and NATS get every CPU
    // (as deployed), the client keeps its own.
    cpu_set_t mine, all;
    CPU_ZERO(&all);
    sched_getaffinity(0, sizeof mine, &mine);
    for (std::size_t c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &all);
    sched_setaffinity(0, sizeof all, &all);
    oms::omsd::test::StackOptions o;
    o.venue_flags = {"--random-walk", "5", "--walk-interval-ms", "100"};
    o.omsd_flags = {"--log-level", "warn"};
    // No market making: its resting quotes on BTC/USDT would be crossed by the benchmark's
    // IOC orders, which the desk's self-trade prevention (rightly) refuses.
    o.edit_configs = [](const std::filesystem::path& configs) {
      oms::omsd::test::replace_in_file(configs / "strategies.yaml",
                                       "    type: market_making\n    enabled: true\n",
                                       "    type: market_making\n    enabled: false\n");
      oms::omsd::test::no_auto_kill_switch(configs);
    };
    stack = std::make_unique<oms::omsd::test::Stack>(o);
    stack->start_omsd();
    sched_setaffinity(0, sizeof mine, &mine);
    venue = std::make_unique<oms::omsd::test::VenueView>(stack->data(), stack->venue_port(), "binance_main");
    for (int i = 0; i < 200 && !mid.is_positive(); ++i) {
      mid = venue->mid();
      std::this_thread::sleep_for(50ms);
    }
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = oms::testkit::read_file(stack->data() / "tls" / "ca.pem");
    stub = api::Oms::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(stack->grpc_port()), grpc::SslCredentials(tls)));
    token = oms::testkit::read_file(stack->data() / "api" / "omsctl.token");
    token.erase(token.find_last_not_of("\n ") + 1);
    // Every round trip crosses the spread twice, so each closing fill loses a little: the
    // desk's loss limits would (rightly) stop the run, and its 50 orders/s rate limit would pace
    // it. The benchmark lifts those three over the API (latency, not policy, is measured).
    oms::perf::lift_global_limits(*stub, token, {"consecutive_losses", "daily_loss", "order_rate"});
  }

  // Binance lets a spot account send 100 orders per 10 s (the connector keeps every account
  // under its venue budget): the orders go round the four paper spot accounts, each at most
  // one per 110 ms. The wait is outside the timed round trip.
  static constexpr std::array<const char*, 4> kAccounts{"binance_main", "binance_spot_arb",
                                                        "binance_mm", "binance_basis"};
  std::array<std::chrono::steady_clock::time_point, 4> last_sent{};

  // One order's round trip in microseconds; throws on an RPC error or a refusal.
  double round_trip() {
    const std::size_t k = (next / 2) % kAccounts.size();
    std::this_thread::sleep_until(last_sent[k] + 110ms);
    // The book walks on: each IOC is priced off the mid of the moment, so it crosses and fills
    // at once. An IOC left unfilled stays open at the desk until the venue's expiry arrives, and
    // the next order of the other side would then be refused as a self-trade.
    if (const auto now_mid = venue->mid(); now_mid.is_positive()) mid = now_mid;
    last_sent[k] = std::chrono::steady_clock::now();
    const bool buy = (next % 2) == 0;
    api::SubmitOrderRequest r;
    r.set_account(kAccounts[k]);
    r.set_instrument("BTC/USDT");
    r.set_client_order_id("P" + std::to_string(next++) + "-" + std::to_string(::getpid()));
    r.set_side(buy ? "buy" : "sell");
    r.set_tif("ioc");
    // 0.5 % through the mid: crosses the simulated book, inside the desk's price bands.
    const oms::Int128 off = mid.raw() / 200;
    const oms::Int128 px = buy ? mid.raw() + off : mid.raw() - off;
    r.set_price(oms::Decimal::from_raw(px - px % 10'000'000).to_string());
    r.set_quantity("0.001");
    r.set_wait_ack_ms(5000);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    api::CommandReply reply;
    const auto t0 = std::chrono::steady_clock::now();
    const auto status = stub->SubmitOrder(&ctx, r, &reply);
    const auto t1 = std::chrono::steady_clock::now();
    if (!status.ok()) throw std::runtime_error("SubmitOrder: " + status.error_message());
    if (!reply.accepted() || reply.status() == "submitted" || reply.status() == "pending_submit") {
      throw std::runtime_error("order " + r.client_order_id() + ": " + reply.status() + " " +
                               reply.message());
    }
    return std::chrono::duration<double, std::micro>(t1 - t0).count();
  }
};

Desk& desk() {
  static Desk d;
  return d;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  return v[i];
}

void grpc_order_roundtrip(benchmark::State& state) {
  Desk* desk_ptr = nullptr;
  try {
    desk_ptr = &desk();  // a failed start stops what it started (the stack's destructors)
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  auto& d = *desk_ptr;
  std::vector<double> samples;
  try {
    for (int i = 0; i < 20; ++i) (void)d.round_trip();  // warm: channel, TLS session, pools
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    try {
      const double us = d.round_trip();
      samples.push_back(us);
      state.SetIterationTime(us / 1e6);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  state.counters["p50_us"] = percentile(samples, 0.50);
  state.counters["p99_us"] = percentile(samples, 0.99);
  state.counters["p999_us"] = percentile(samples, 0.999);
  // Inside omsd, per order: the gRPC request received -> the signed bytes handed to the venue
  // socket (the connector's timestamps, quantiles over every order of this process so far:
  // the warm-up and earlier repetitions included).
  const auto metrics = d.stack->http_get("/metrics").second;
  for (const auto& [q, name] : {std::pair{"0.5", "api_to_wire_p50_us"},
                                std::pair{"0.99", "api_to_wire_p99_us"},
                                std::pair{"0.999", "api_to_wire_p999_us"}}) {
    const std::string key =
        std::string("oms_order_to_wire_ns{origin=\"api\",quantile=\"") + q + "\"} ";
    const auto at = metrics.find(key);
    if (at == std::string::npos) {
      state.SkipWithError(("no " + key + "in omsd's /metrics").c_str());
      return;
    }
    state.counters[name] = std::stod(metrics.substr(at + key.size())) / 1000.0;
  }
}
BENCHMARK(grpc_order_roundtrip)->UseManualTime()->Iterations(400)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
