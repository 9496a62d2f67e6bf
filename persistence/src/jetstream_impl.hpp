// JetStreamStore internals shared by jetstream_store.cpp (connection, provisioning,
// publishing) and jetstream_read.cpp (reading, tailing, the day index).
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <thread>

#include "oms/persistence/jetstream_store.hpp"

namespace oms::persistence {

// The record's msg id and time travel in one header, "Nats-Msg-Id: <msg_id>@<time ns>":
// still unique per event (the msg id is), so JetStream's deduplication is unchanged, and one
// header instead of two is measurably cheaper to build and parse in nats.c.
inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";
inline constexpr char kTimeSeparator = '@';
// The day index lives in a stream of its own: one message per indexed stream on subject
// "oms.days.<stream>", the last one kept (like a KV bucket, but read with one direct get per
// stream instead of a watcher).
inline constexpr const char* kDaysStream = "OMS_DAYS";
inline constexpr const char* kDaysSubjectPrefix = "oms.days.";

using Clock = std::chrono::steady_clock;

[[nodiscard]] std::string nats_error(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0));

// Unsubscribes, waits for a round trip to the server, then destroys the subscription.
// nats.c 3.4 (Debian 12) has a race (nats.c #637, fixed in 3.6) in which its read loop can
// use a subscription being destroyed by another thread while a message for it is processed;
// once the server has answered a PING sent after the UNSUB, the read loop has handled every
// message for that subscription, so destroying it is safe.
void retire_subscription(natsConnection* nc, natsSubscription* sub);
[[nodiscard]] Unexpected<StoreError> store_error(StoreErrorCode code, std::string message);

struct JetStreamStore::Impl {
  Impl(const StreamLayout& l, JetStreamOptions o) : layout(l), options(std::move(o)) {}
  ~Impl();

  // ---- connection and provisioning (jetstream_store.cpp)
  Result<Unit, StoreError> connect();
  Result<Unit, StoreError> provision_stream(const StreamSpec& spec);
  Result<Unit, StoreError> open_days_stream();

  // ---- publishing (jetstream_store.cpp)
  struct Pending {
    AppendRecord record;
    AppendCallback done;
    std::string stream;
    Clock::time_point first_sent;
    Clock::time_point last_sent;
    bool completing = false;  // its `done` is running: not resent, not completed again
  };
  void append(AppendRecord record, AppendCallback done);
  // Publishes pending[token]; mu held.
  void publish_locked(std::uint64_t token, Pending& p);
  static void on_ack(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_ack_complete(void* closure);
  void handle_ack(natsMsg* msg);
  void retry_loop();
  // Runs done(result) for a pending record (marked completing, mu not held), then removes
  // it: flush() returns only after the callbacks of the records it waited for have run.
  void complete(std::uint64_t token, AppendCallback& done, const Result<std::uint64_t, StoreError>& result);
  Result<Unit, StoreError> flush(std::chrono::milliseconds timeout);

  // ---- reading and the day index (jetstream_read.cpp)
  Result<std::uint64_t, StoreError> last_sequence(std::string_view stream);
  Result<std::uint64_t, StoreError> scan(const ReadRequest& request, bool headers_only,
                                         const RecordVisitor& visit);
  Result<std::unique_ptr<Subscription>, StoreError> tail(const ReadRequest& request,
                                                          RecordVisitor visit);
  // Notes that stream holds a record of day at seq (keeps the lowest); mu_days held by caller
  // or not: locks itself.
  void note_day(const std::string& stream, std::int32_t day, std::uint64_t seq);
  Result<Unit, StoreError> load_day_index();
  Result<Unit, StoreError> repair_day_index(const std::string& stream);
  void write_dirty_days();
  Result<std::vector<DayStart>, StoreError> day_index(std::string_view stream);

  StreamLayout layout;
  JetStreamOptions options;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsSubscription* ack_sub = nullptr;
  std::string inbox;

  mutable std::mutex mu;
  std::condition_variable changed;  // a pending record completed, or closing
  std::condition_variable retry_wake;  // closing (the retry loop otherwise runs on its tick)
  std::map<std::uint64_t, Pending> pending;
  // By stream: the highest sequence an append was acknowledged at (known_last_sequence).
  std::unordered_map<std::string, std::uint64_t> acked_last;
  std::uint64_t next_token = 1;
  bool closing = false;
  bool ack_sub_complete = false;
  std::atomic<std::uint64_t> retry_count{0};
  std::thread retry_thread;

  std::mutex days_mu;
  std::map<std::string, std::map<std::int32_t, std::uint64_t>> days;  // stream -> day -> seq
  std::set<std::string> dirty_days;  // streams whose index changed since the last write
};

}  // namespace oms::persistence
