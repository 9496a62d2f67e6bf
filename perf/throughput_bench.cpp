// omsd's sustained order rate through the API (omsd_orders_per_s) and its memory at the end
// (omsd_rss_mb): 200 Binance spot accounts (bench_main and 199 sub-accounts); venue-sim with
// its rate limits lifted (--no-rate-limits, a benchmark-only flag) and exchanges.yaml's budgets
// raised to match; nats-server, venue-sim and omsd share this machine's cores with the client.
// 32 client threads send IOC limit buys 0.5 % under the mid (inside the desk's price bands, never
// crossing: each order is accepted and expires), round-robin over the accounts, each waiting
// for omsd's ack (committed to the intent log and the store, sent) -- not for the venue.
// At the end omsd's store must hold every event: the bench counts each account's records in
// JetStream (each order makes at least its submit, send-requested, accepted and expired events).
//
// Counters: orders_per_s (accepted by omsd and sent -- not rejected unsent by a full connector
// queue, code 3161 -- / wall seconds), rejected_unsent, events_in_jetstream, events_per_order,
// rss_mb (omsd's VmRSS at the end), rss_settled_mb (the same once JetStream holds every event),
// refused (orders omsd refused: risk, busy), errors (RPC errors).
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "oms/api/v1/oms.grpc.pb.h"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "bench_accounts.hpp"
#include "stack.hpp"
#include "testkit/paths.hpp"

namespace {

namespace api = oms::api::v1;
using namespace std::chrono_literals;

constexpr int kAccounts = oms::perf::kBenchAccounts;
constexpr int kThreads = 32;
using oms::perf::bench_account;

struct Totals {
  std::atomic<std::uint64_t> accepted{0}, refused{0}, errors{0};
  std::mutex mutex;
  std::string first_refusal;  // shown on stderr: what a refused order was told
};

void omsd_throughput(benchmark::State& state) {
  const auto seconds = state.range(0);
  const oms::perf::AllCpus cpus;  // the stack and the clients get every CPU
  try {
    oms::omsd::test::StackOptions o;
    o.venue_flags = oms::perf::bench_venue_flags();
    o.omsd_flags = {"--log-level", "warn", "--venue-connections", "8"};
    o.edit_configs = oms::perf::bench_accounts_configs;
    oms::omsd::test::Stack stack(o);
    const std::string token(64, 'b');
    oms::perf::write_bench_token(stack, token);
    // OMS_THROUGHPUT_OMSD_ENV="K=V K=V": omsd's extra environment (see omsd_env_from).
    stack.start_omsd(oms::perf::omsd_env_from("OMS_THROUGHPUT_OMSD_ENV"));
    const std::string price = oms::perf::price_under_mid(stack);
    const auto channels = oms::perf::bench_channels(stack, 4);
    oms::perf::lift_bench_limits(channels[0], token);
    Totals totals;
    std::atomic<bool> stop{false};
    const auto t0 = std::chrono::steady_clock::now();
    for (auto _ : state) {
      std::vector<std::thread> clients;
      for (int t = 0; t < kThreads; ++t) {
        clients.emplace_back([&, t] {
          auto stub = api::Oms::NewStub(channels[static_cast<std::size_t>(t) % channels.size()]);
          for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
            api::SubmitOrderRequest r;
            r.set_account(bench_account(static_cast<int>((n * kThreads + static_cast<std::uint64_t>(t)) % kAccounts)));
            r.set_instrument("BTC/USDT");
            r.set_client_order_id("T" + std::to_string(t) + "-" + std::to_string(n));
            r.set_side("buy");
            r.set_tif("ioc");
            r.set_price(price);
            r.set_quantity("0.001");
            grpc::ClientContext ctx;
            ctx.AddMetadata("authorization", "Bearer " + token);
            ctx.set_deadline(std::chrono::system_clock::now() + 10s);
            api::CommandReply reply;
            const auto st = stub->SubmitOrder(&ctx, r, &reply);
            if (!st.ok()) totals.errors.fetch_add(1);
            else if (reply.accepted()) totals.accepted.fetch_add(1);
            else if (totals.refused.fetch_add(1) == 0) {
              std::lock_guard lock(totals.mutex);
              totals.first_refusal = std::to_string(reply.code()) + " " + reply.message();
            }
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::seconds(seconds));
      stop = true;
      for (auto& c : clients) c.join();
    }
    if (!totals.first_refusal.empty()) {
      std::fprintf(stderr, "throughput_bench: first refusal: %s\n", totals.first_refusal.c_str());
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rss_mb = oms::perf::omsd_rss_mb(stack);  // omsd's memory now, then every event in JetStream
    std::vector<oms::persistence::StreamLayout::AccountRef> names;
    for (int i = 0; i < kAccounts; ++i) names.push_back({oms::ExchangeId::kBinance, bench_account(i)});
    const oms::persistence::StreamLayout layout(names, {oms::ExchangeId::kBinance});
    auto store = oms::persistence::JetStreamStore::open(layout, stack.nats_options("throughput-bench"));
    if (!store) throw std::runtime_error("JetStream: " + store.error().message);
    std::uint64_t events = 0;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {  // omsd publishes asynchronously: wait until the count stops growing
      std::uint64_t now_events = 0;
      for (int i = 0; i < kAccounts; ++i) {
        auto last = (*store)->last_sequence(
            oms::persistence::StreamLayout::account_stream(oms::ExchangeId::kBinance, bench_account(i)));
        if (last) now_events += *last;
      }
      if (now_events == events || std::chrono::steady_clock::now() > deadline) break;
      events = now_events;
      std::this_thread::sleep_for(1s);
    }
    // The same once the store has caught up and the backlogs (events waiting for the store,
    // orders waiting for a lane) drained -- what malloc kept of their memory still counts.
    const double rss_settled_mb = oms::perf::omsd_rss_mb(stack);
    // Orders omsd accepted (committed, handed to the connector) that the connector then rejected
    // unsent, its request queue full (code 3161): they never reached the venue, so they are not
    // counted as sent. The journal's canonical JSON names the message type and the code.
    std::uint64_t unsent = 0;
    for (int i = 0; i < kAccounts; ++i) {
      oms::persistence::ReadRequest rq;
      rq.stream = oms::persistence::StreamLayout::account_stream(oms::ExchangeId::kBinance, bench_account(i));
      rq.ids = false;
      auto read = (*store)->read(rq, [&](const oms::persistence::StoredRecord& r) {
        if (r.payload.find(R"({"type":"OrderRejected")") != std::string_view::npos &&
            r.payload.find(R"(,"code":3161,)") != std::string_view::npos) {
          ++unsent;
        }
        return true;
      });
      if (!read) throw std::runtime_error("JetStream read: " + read.error().message);
    }
    const auto accepted = static_cast<double>(totals.accepted.load());
    state.counters["orders_per_s"] = (accepted - static_cast<double>(unsent)) / wall;
    state.counters["rejected_unsent"] = static_cast<double>(unsent);
    state.counters["events_in_jetstream"] = static_cast<double>(events);
    state.counters["events_per_order"] = accepted > 0 ? static_cast<double>(events) / accepted : 0;
    state.counters["rss_mb"] = rss_mb;
    state.counters["rss_settled_mb"] = rss_settled_mb;
    state.counters["refused"] = static_cast<double>(totals.refused.load());
    state.counters["errors"] = static_cast<double>(totals.errors.load());
    if (static_cast<double>(events) < 4 * accepted) {
      state.SkipWithError(("JetStream holds " + std::to_string(events) + " events for " +
                           std::to_string(totals.accepted.load()) + " orders (< 4 each)").c_str());
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
// One run of 60 s (perf/run takes it as it is: a repetition would cost another minute).
BENCHMARK(omsd_throughput)->Arg(60)->Iterations(1)->Repetitions(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
