// JetStreamStore: reading (ordered consumers), tailing, and the per-day sequence index.
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "jetstream_impl.hpp"

namespace oms::persistence {
namespace {

// How long API calls are retried while a cluster elects a new leader after losing a node
// (seconds in a quiet cluster; more on a loaded 2-core host).
constexpr std::chrono::seconds kLeaderElectionGrace{30};
constexpr std::chrono::milliseconds kCreateWait{1500};  // one consumer creation's answer

// Reads "<msg_id>@<time>" from the Nats-Msg-Id header (see jetstream_impl.hpp).
void id_and_time(natsMsg* msg, EventId& id, TimeNs& time) {
  id = 0;
  time = 0;
  const char* v = nullptr;
  if (natsMsgHeader_Get(msg, kMsgIdHeader, &v) != NATS_OK || v == nullptr) return;
  const char* end = v + std::strlen(v);
  const auto r = std::from_chars(v, end, id);
  if (r.ptr < end && *r.ptr == kTimeSeparator) std::from_chars(r.ptr + 1, end, time);
}

std::string days_subject(std::string_view stream) { return kDaysSubjectPrefix + std::string(stream); }

// The index of one stream as stored: "day:seq day:seq ..." in day order.
std::string encode_days(const std::map<std::int32_t, std::uint64_t>& by_day) {
  std::string out;
  for (const auto& [day, seq] : by_day) {
    if (!out.empty()) out += ' ';
    out += std::to_string(day) + ":" + std::to_string(seq);
  }
  return out;
}

bool decode_days(std::string_view text, std::map<std::int32_t, std::uint64_t>& out) {
  while (!text.empty()) {
    const auto space = text.find(' ');
    const std::string_view item = text.substr(0, space);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) return false;
    std::int32_t day = 0;
    std::uint64_t seq = 0;
    if (std::from_chars(item.data(), item.data() + colon, day).ec != std::errc{} ||
        std::from_chars(item.data() + colon + 1, item.data() + item.size(), seq).ec != std::errc{})
      return false;
    out[day] = seq;
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
  }
  return true;
}

// Fills a record view from a consumer message; false when it lacks JetStream metadata.
// The stream sequence and the consumer's pending count from a delivery's reply subject,
// without natsMsg_GetMetaData's allocations (it copies stream and consumer names):
//   $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>              (v1)
//   $JS.ACK.<domain>.<acc hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>.<token> (v2)
bool delivery_info(natsMsg* msg, std::uint64_t& stream_seq, std::uint64_t& pending) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply == nullptr) return false;
  const std::string_view r(reply);
  if (!r.starts_with("$JS.ACK.")) return false;
  std::string_view tokens[12];
  std::size_t n = 0, start = 0;
  for (std::size_t i = 0; i <= r.size() && n < 12; ++i) {
    if (i == r.size() || r[i] == '.') {
      tokens[n++] = r.substr(start, i - start);
      start = i + 1;
    }
  }
  std::size_t seq_at = 0, pending_at = 0;
  if (n == 9) {
    seq_at = 5;
    pending_at = 8;
  } else if (n >= 11) {
    seq_at = 7;
    pending_at = 10;
  } else {
    return false;
  }
  const auto parse = [](std::string_view t, std::uint64_t& out) {
    return std::from_chars(t.data(), t.data() + t.size(), out).ec == std::errc{};
  };
  return parse(tokens[seq_at], stream_seq) && parse(tokens[pending_at], pending);
}

// ids false: msg_id and time left 0 (ReadRequest::ids).
bool to_record(natsMsg* msg, std::string_view stream, StoredRecord& r, std::uint64_t& pending, bool ids = true) {
  if (!delivery_info(msg, r.sequence, pending)) return false;
  r.stream = stream;
  r.subject = natsMsg_GetSubject(msg);
  r.payload = std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  if (ids) id_and_time(msg, r.msg_id, r.time);
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
    // A reader's position needs no replication: one replica in memory is created at once,
    // also while a cluster peer is down (an R3 consumer would wait for its placement).
    cc.Replicas = 1;
    cc.MemoryStorage = true;
    // One attempt waits kCreateWait, not the context's 5 s: with a cluster peer down, nats-server
    // 2.9 can still place the consumer on it and never answer -- the caller tries again, and the
    // next placement is another peer's (a restart with a node down read each stream 5-10 s).
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = kCreateWait.count();
    jsConsumerInfo* ci = nullptr;
    const natsStatus s = js_AddConsumer(&ci, js, stream.c_str(), &cc, &jo, &err);
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
    consumer_.remove(js_, stream_);
    retire_subscription(nc_, sub_);
  }
  StoreErrorCode start(const ReadRequest& request, std::string& why) {
    // As scan(): the consumer's creation tried again while a cluster elects leaders, each
    // attempt on an inbox of its own (the abandoned one torn down after its last callback).
    const auto give_up = Clock::now() + kLeaderElectionGrace;
    for (;;) {
      // Subscribe first so nothing the consumer pushes is missed.
      consumer_.deliver = new_inbox();
      natsStatus s = natsConnection_Subscribe(&sub_, nc_, consumer_.deliver.c_str(), &on_msg, this);
      if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, -1, -1);  // flow control bounds it
      if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub_, &on_complete, this);
      jsErrCode err = static_cast<jsErrCode>(0);
      if (s == NATS_OK) s = consumer_.create(js_, stream_, request, /*headers_only=*/false, err);
      if (s == NATS_OK) return StoreErrorCode{};
      if ((s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS) || Clock::now() > give_up || sub_ == nullptr) {
        why = nats_error(s, err);
        return StoreErrorCode::kUnavailable;
      }
      natsSubscription_Unsubscribe(sub_);
      {
        std::unique_lock lock(mu_);
        completed_.wait_for(lock, std::chrono::seconds(10), [&] { return complete_; });
        complete_ = false;
      }
      retire_subscription(nc_, sub_);
      sub_ = nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

 private:
  static void on_msg(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<JetStreamSubscription*>(closure);
    if (!handle_control(nc, msg)) {
      StoredRecord r;
      std::uint64_t pending = 0;
      // Each record once, in order: one an abandoned attempt's consumer pushed is not again.
      if (!self->stopped_ && to_record(msg, self->stream_, r, pending) && r.sequence > self->last_) {
        self->last_ = r.sequence;
        if (!self->visit_(r)) self->stopped_ = true;
      }
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
  std::uint64_t last_ = 0;  // the last sequence visited (delivery thread)
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
  const auto give_up = Clock::now() + kLeaderElectionGrace;  // see scan(): leader elections
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
  natsSubscription* sub = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = NATS_OK;
  ReadRequest from_request = request;
  from_request.from_sequence = from;
  // A cluster electing a stream leader (a node just died) answers late or not at all for a
  // few seconds: retry creating the consumer for kLeaderElectionGrace. Each attempt has an
  // inbox of its own: a consumer whose creation was answered too late pushes where nobody
  // listens any more.
  const auto give_up = Clock::now() + kLeaderElectionGrace;
  for (;;) {
    consumer.deliver = new_inbox();
    s = natsConnection_SubscribeSync(&sub, nc, consumer.deliver.c_str());
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, -1, -1);  // flow control bounds it
    if (s != NATS_OK) break;
    s = consumer.create(js, request.stream, from_request, headers_only, err);
    if ((s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS) || Clock::now() > give_up) break;
    retire_subscription(nc, sub);
    sub = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (s != NATS_OK) {
    retire_subscription(nc, sub);
    return store_error(StoreErrorCode::kUnavailable,
                       "read " + request.stream + ": creating a consumer: " + nats_error(s, err));
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
    std::uint64_t left = 0;
    const bool ok = to_record(msg, request.stream, r, left, request.ids);
    bool go_on = ok && r.sequence <= to;
    if (go_on) {
      ++visited;
      go_on = visit(r) && r.sequence < to && left > 0;
    }
    natsMsg_Destroy(msg);
    if (!go_on) break;
  }
  consumer.remove(js, request.stream);  // the server stops pushing first
  retire_subscription(nc, sub);
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
  dirty_days.insert(stream);
}

void JetStreamStore::Impl::write_dirty_days() {
  std::vector<std::pair<std::string, std::string>> todo;
  {
    std::lock_guard lock(days_mu);
    for (const auto& stream : dirty_days) todo.emplace_back(stream, encode_days(days[stream]));
    dirty_days.clear();
  }
  for (const auto& [stream, text] : todo) {
    jsErrCode err = static_cast<jsErrCode>(0);
    const natsStatus s = js_Publish(nullptr, js, days_subject(stream).c_str(), text.data(),
                                    static_cast<int>(text.size()), nullptr, &err);
    if (s != NATS_OK) {
      // Kept in memory and written on the next tick; a crash before then is repaired at open.
      std::lock_guard lock(days_mu);
      dirty_days.insert(stream);
      spdlog::debug("jetstream: day index of {} not written yet: {}", stream, natsStatus_GetText(s));
    }
  }
}

Result<Unit, StoreError> JetStreamStore::Impl::load_day_index() {
  for (const auto& spec : layout.streams()) {
    natsMsg* msg = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    const natsStatus s = js_GetLastMsg(&msg, js, kDaysStream, days_subject(spec.name).c_str(), nullptr, &err);
    if (s == NATS_NOT_FOUND) continue;  // nothing indexed yet
    if (s != NATS_OK)
      return store_error(StoreErrorCode::kUnavailable, "day index of " + spec.name + ": " + nats_error(s, err));
    std::map<std::int32_t, std::uint64_t> by_day;
    const std::string_view text(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    const bool ok = decode_days(text, by_day);
    natsMsg_Destroy(msg);
    if (!ok)
      return store_error(StoreErrorCode::kCorrupt, "day index of " + spec.name + " in " + kDaysStream +
                                                       " is malformed: '" + std::string(text) + "'");
    std::lock_guard lock(days_mu);
    days[spec.name] = std::move(by_day);
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
