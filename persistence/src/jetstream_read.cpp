// JetStreamStore: reading (ordered consumers), tailing, and the per-day sequence index.
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "jetstream_impl.hpp"

namespace oms::persistence {
namespace {

template <class I>
I header_number(natsMsg* msg, const char* key) {
  const char* v = nullptr;
  if (natsMsgHeader_Get(msg, key, &v) != NATS_OK || v == nullptr) return I{0};
  I out{0};
  std::from_chars(v, v + std::strlen(v), out);
  return out;
}

// KV keys allow [-/_=.a-zA-Z0-9]: stream names may hold '~' (escaped account names).
std::string days_key(std::string_view stream, std::int32_t day) {
  std::string key = "d.";
  for (char c : stream) key += c == '~' ? '=' : c;
  return key + "." + std::to_string(day);
}

// Fills a record view from a consumer message; false when it lacks JetStream metadata.
bool to_record(natsMsg* msg, std::string_view stream, StoredRecord& r, jsMsgMetaData*& meta) {
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) return false;
  r.stream = stream;
  r.sequence = meta->Sequence.Stream;
  r.subject = natsMsg_GetSubject(msg);
  r.payload = std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  r.msg_id = header_number<EventId>(msg, kMsgIdHeader);
  r.time = header_number<TimeNs>(msg, kTimeHeader);
  return true;
}

// An ephemeral push consumer delivering to a private inbox, from a sequence, with flow
// control (the server waits for our answer before sending more: a 30-day read never
// floods memory) and no acks. nats.c's ordered consumer would do this too, but it needs a
// subject filter, and a stream of several subjects read whole has none.
struct PushConsumer {
  std::string deliver;       // the inbox it pushes to
  std::string name;          // the server-assigned consumer name, once created
  std::uint64_t pending = 0;  // records it had to deliver when created

  // Creates the consumer on stream from request.from_sequence; subscribe to `deliver` first.
  natsStatus create(jsCtx* js, const std::string& stream, const ReadRequest& request,
                    bool headers_only, jsErrCode& err) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.DeliverSubject = deliver.c_str();
    cc.AckPolicy = js_AckNone;
    cc.DeliverPolicy = js_DeliverByStartSequence;
    cc.OptStartSeq = request.from_sequence == 0 ? 1 : request.from_sequence;
    cc.FilterSubject = request.subject_filter.empty() ? nullptr : request.subject_filter.c_str();
    cc.HeadersOnly = headers_only;
    cc.FlowControl = true;
    cc.Heartbeat = 2'000'000'000;           // 2 s idle heartbeats
    cc.InactiveThreshold = 30'000'000'000;  // removed by the server 30 s after we go away
    jsConsumerInfo* ci = nullptr;
    const natsStatus s = js_AddConsumer(&ci, js, stream.c_str(), &cc, nullptr, &err);
    if (ci != nullptr) {
      pending = ci->NumPending + ci->Delivered.Consumer;
      name = ci->Name;
      jsConsumerInfo_Destroy(ci);
    }
    return s;
  }
  void remove(jsCtx* js, const std::string& stream) const {
    if (!name.empty()) js_DeleteConsumer(js, stream.c_str(), name.c_str(), nullptr, nullptr);
  }
};

std::string new_inbox() {
  char* box = nullptr;
  natsInbox_Create(&box);
  std::string out = box;
  natsInbox_Destroy(box);
  return out;
}

// A control message of a push consumer (flow-control request, idle heartbeat) carries no
// data and no JetStream metadata. Flow-control requests are answered so delivery goes on.
bool handle_control(natsConnection* nc, natsMsg* msg) {
  if (natsMsg_GetDataLength(msg) != 0) return false;
  const char* status = nullptr;
  if (natsMsgHeader_Get(msg, "Status", &status) != NATS_OK || status == nullptr) return false;
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr && *reply != '\0')
    natsConnection_Publish(nc, reply, nullptr, 0);
  return true;
}

class JetStreamSubscription final : public Subscription {
 public:
  JetStreamSubscription(natsConnection* nc, jsCtx* js, std::string stream, RecordVisitor visit)
      : nc_(nc), js_(js), stream_(std::move(stream)), visit_(std::move(visit)) {}
  ~JetStreamSubscription() override {
    if (sub_ == nullptr) return;
    natsSubscription_Unsubscribe(sub_);
    // The completion callback runs after the last message callback returned.
    std::unique_lock lock(mu_);
    completed_.wait_for(lock, std::chrono::seconds(10), [&] { return complete_; });
    lock.unlock();
    natsSubscription_Destroy(sub_);
    consumer_.remove(js_, stream_);
  }
  StoreErrorCode start(const ReadRequest& request, std::string& why) {
    // Subscribe first so nothing the consumer pushes is missed.
    consumer_.deliver = new_inbox();
    natsStatus s = natsConnection_Subscribe(&sub_, nc_, consumer_.deliver.c_str(), &on_msg, this);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, -1, -1);  // flow control bounds it
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub_, &on_complete, this);
    jsErrCode err = static_cast<jsErrCode>(0);
    if (s == NATS_OK) s = consumer_.create(js_, stream_, request, /*headers_only=*/false, err);
    if (s != NATS_OK) {
      why = nats_error(s, err);
      return StoreErrorCode::kUnavailable;
    }
    return StoreErrorCode{};
  }

 private:
  static void on_msg(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<JetStreamSubscription*>(closure);
    if (!handle_control(nc, msg)) {
      StoredRecord r;
      jsMsgMetaData* meta = nullptr;
      if (!self->stopped_ && to_record(msg, self->stream_, r, meta) && !self->visit_(r)) self->stopped_ = true;
      if (meta != nullptr) jsMsgMetaData_Destroy(meta);
    }
    natsMsg_Destroy(msg);
  }
  static void on_complete(void* closure) {
    auto* self = static_cast<JetStreamSubscription*>(closure);
    std::lock_guard lock(self->mu_);
    self->complete_ = true;
    self->completed_.notify_all();
  }

  natsConnection* nc_;
  jsCtx* js_;
  std::string stream_;
  RecordVisitor visit_;
  PushConsumer consumer_;
  natsSubscription* sub_ = nullptr;
  bool stopped_ = false;  // touched only by the delivery thread
  std::mutex mu_;
  std::condition_variable completed_;
  bool complete_ = false;
};

}  // namespace

Result<std::uint64_t, StoreError> JetStreamStore::Impl::last_sequence(std::string_view stream) {
  if (layout.find(stream) == nullptr)
    return store_error(StoreErrorCode::kUnknownStream, "no stream '" + std::string(stream) + "'");
  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = NATS_OK;
  const auto give_up = Clock::now() + 3 * options.read_timeout;  // see scan(): leader elections
  do {
    s = js_GetStreamInfo(&si, js, std::string(stream).c_str(), nullptr, &err);
    if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while ((s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) && Clock::now() < give_up);
  if (s != NATS_OK)
    return store_error(StoreErrorCode::kUnavailable, "stream info " + std::string(stream) + ": " + nats_error(s, err));
  const std::uint64_t last = si->State.Msgs == 0 ? 0 : si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  return last;
}

Result<std::uint64_t, StoreError> JetStreamStore::Impl::scan(const ReadRequest& request, bool headers_only,
                                                             const RecordVisitor& visit) {
  auto last = last_sequence(request.stream);
  if (!last) return Unexpected{last.error()};
  const std::uint64_t to = request.to_sequence == 0 ? *last : std::min(request.to_sequence, *last);
  const std::uint64_t from = std::max<std::uint64_t>(request.from_sequence, 1);
  if (from > to) return std::uint64_t{0};

  // Subscribe to the delivery inbox before the consumer exists, so nothing is missed.
  PushConsumer consumer;
  consumer.deliver = new_inbox();
  natsSubscription* sub = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = natsConnection_SubscribeSync(&sub, nc, consumer.deliver.c_str());
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, -1, -1);  // flow control bounds it
  ReadRequest from_request = request;
  from_request.from_sequence = from;
  // A cluster electing a stream leader (a node just died) answers late or not at all for a
  // few seconds: retry creating the consumer until the read timeout has passed three times.
  const auto give_up = Clock::now() + 3 * options.read_timeout;
  while (s == NATS_OK) {
    s = consumer.create(js, request.stream, from_request, headers_only, err);
    if ((s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS) || Clock::now() > give_up) break;
    s = NATS_OK;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (s != NATS_OK) {
    if (sub != nullptr) natsSubscription_Destroy(sub);
    return store_error(StoreErrorCode::kUnavailable, "read " + request.stream + ": " + nats_error(s, err));
  }
  std::uint64_t pending_count = consumer.pending;
  std::uint64_t visited = 0;
  Result<std::uint64_t, StoreError> result = visited;
  while (pending_count > 0) {
    natsMsg* msg = nullptr;
    s = natsSubscription_NextMsg(&msg, sub, options.read_timeout.count());
    if (s == NATS_OK && handle_control(nc, msg)) {
      natsMsg_Destroy(msg);
      continue;
    }
    if (s != NATS_OK) {
      result = store_error(s == NATS_TIMEOUT ? StoreErrorCode::kTimeout : StoreErrorCode::kUnavailable,
                           "read " + request.stream + " stalled after " + std::to_string(visited) +
                               " records: " + nats_error(s));
      break;
    }
    StoredRecord r;
    jsMsgMetaData* meta = nullptr;
    const bool ok = to_record(msg, request.stream, r, meta);
    const std::uint64_t left = ok ? meta->NumPending : 0;
    bool go_on = ok && r.sequence <= to;
    if (go_on) {
      ++visited;
      go_on = visit(r) && r.sequence < to && left > 0;
    }
    if (meta != nullptr) jsMsgMetaData_Destroy(meta);
    natsMsg_Destroy(msg);
    if (!go_on) break;
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  consumer.remove(js, request.stream);
  if (!result) return result;
  return visited;
}

Result<std::unique_ptr<Subscription>, StoreError> JetStreamStore::Impl::tail(const ReadRequest& request,
                                                                              RecordVisitor visit) {
  if (layout.find(request.stream) == nullptr)
    return store_error(StoreErrorCode::kUnknownStream, "no stream '" + request.stream + "'");
  auto sub = std::make_unique<JetStreamSubscription>(nc, js, request.stream, std::move(visit));
  std::string why;
  if (const auto code = sub->start(request, why); code != StoreErrorCode{})
    return store_error(code, "tail " + request.stream + ": " + why);
  return std::unique_ptr<Subscription>(std::move(sub));
}

// ---- the day index ---------------------------------------------------------------------------

void JetStreamStore::Impl::note_day(const std::string& stream, std::int32_t day, std::uint64_t seq) {
  std::lock_guard lock(days_mu);
  auto& by_day = days[stream];
  auto [it, fresh] = by_day.emplace(day, seq);
  if (!fresh && seq >= it->second) return;
  it->second = seq;
  dirty_days.emplace(stream, day);
}

void JetStreamStore::Impl::write_dirty_days() {
  std::vector<std::tuple<std::string, std::int32_t, std::uint64_t>> todo;
  {
    std::lock_guard lock(days_mu);
    for (const auto& [stream, day] : dirty_days) todo.emplace_back(stream, day, days[stream][day]);
    dirty_days.clear();
  }
  for (const auto& [stream, day, seq] : todo) {
    const natsStatus s = kvStore_PutString(nullptr, days_kv, days_key(stream, day).c_str(),
                                           std::to_string(seq).c_str());
    if (s != NATS_OK) {
      // Kept in memory and retried on the next tick; a crash before then is repaired at open.
      std::lock_guard lock(days_mu);
      dirty_days.emplace(stream, day);
      spdlog::debug("jetstream: day index write {} deferred: {}", days_key(stream, day), natsStatus_GetText(s));
    }
  }
}

Result<Unit, StoreError> JetStreamStore::Impl::load_day_index() {
  for (const auto& spec : layout.streams()) {
    const std::string prefix = days_key(spec.name, 0);
    const std::string filter = prefix.substr(0, prefix.rfind('.')) + ".*";
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    wo.IgnoreDeletes = true;
    natsStatus s = NATS_OK;
    kvWatcher* w = nullptr;
    s = kvStore_Watch(&w, days_kv, filter.c_str(), &wo);
    if (s != NATS_OK)
      return store_error(StoreErrorCode::kUnavailable, "day index load " + spec.name + ": " + nats_error(s));
    while (true) {
      kvEntry* e = nullptr;
      s = kvWatcher_Next(&e, w, options.read_timeout.count());
      if (s != NATS_OK) {
        kvWatcher_Destroy(w);
        return store_error(StoreErrorCode::kUnavailable, "day index load " + spec.name + ": " + nats_error(s));
      }
      if (e == nullptr) break;  // the initial values are all delivered
      const std::string_view key = kvEntry_Key(e);
      const std::int32_t day = static_cast<std::int32_t>(std::stol(std::string(key.substr(key.rfind('.') + 1))));
      const std::uint64_t seq = std::stoull(kvEntry_ValueString(e));
      {
        std::lock_guard lock(days_mu);
        days[spec.name][day] = seq;
      }
      kvEntry_Destroy(e);
    }
    kvWatcher_Destroy(w);
  }
  return Unit{};
}

Result<Unit, StoreError> JetStreamStore::Impl::repair_day_index(const std::string& stream) {
  std::uint64_t from = 1;
  {
    std::lock_guard lock(days_mu);
    const auto& by_day = days[stream];
    if (!by_day.empty()) from = by_day.rbegin()->second;  // rescan from the last indexed day
  }
  ReadRequest req;
  req.stream = stream;
  req.from_sequence = from;
  const auto n = scan(req, /*headers_only=*/true, [&](const StoredRecord& r) {
    note_day(stream, utc_day(r.time), r.sequence);
    return true;
  });
  if (!n) return Unexpected{n.error()};
  return Unit{};
}

Result<std::vector<DayStart>, StoreError> JetStreamStore::Impl::day_index(std::string_view stream) {
  if (layout.find(stream) == nullptr)
    return store_error(StoreErrorCode::kUnknownStream, "no stream '" + std::string(stream) + "'");
  std::vector<DayStart> out;
  std::lock_guard lock(days_mu);
  const auto it = days.find(std::string(stream));
  if (it == days.end()) return out;
  for (const auto& [day, seq] : it->second) out.push_back({day, seq});
  return out;
}

}  // namespace oms::persistence
