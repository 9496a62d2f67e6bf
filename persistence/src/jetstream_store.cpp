// JetStreamStore: connection, stream provisioning and the publish path (see the header).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

#include "jetstream_impl.hpp"

namespace oms::persistence {
namespace {

constexpr std::chrono::milliseconds kRetryTick{20};
constexpr int kReconnectWaitMs = 100;
constexpr int kReconnectBufBytes = 64 * 1024 * 1024;  // publishes buffered while reconnecting

std::int64_t ns(std::chrono::nanoseconds d) { return d.count(); }

std::uint64_t parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Finds `"key":` in a server JSON reply and returns the number after it (0 if absent).
std::uint64_t json_number(std::string_view body, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const auto p = body.find(needle);
  if (p == std::string_view::npos) return 0;
  std::size_t i = p + needle.size();
  while (i < body.size() && body[i] == ' ') ++i;
  std::size_t j = i;
  while (j < body.size() && body[j] >= '0' && body[j] <= '9') ++j;
  return parse_u64(body.substr(i, j - i));
}

}  // namespace

std::string nats_error(natsStatus s, jsErrCode code) {
  std::string out = natsStatus_GetText(s);
  if (code != 0) out += " (jetstream error " + std::to_string(static_cast<int>(code)) + ")";
  if (const char* last = nats_GetLastError(nullptr); last != nullptr && *last != '\0') {
    out += ": ";
    out += last;
  }
  return out;
}

void retire_subscription(natsConnection* nc, natsSubscription* sub) {
  if (sub == nullptr) return;
  natsSubscription_Unsubscribe(sub);
  constexpr std::int64_t kRoundTripMs = 5000;
  natsConnection_FlushTimeout(nc, kRoundTripMs);  // a closed or reconnecting connection: no reader runs
  natsSubscription_Destroy(sub);
}

Unexpected<StoreError> store_error(StoreErrorCode code, std::string message) {
  return Unexpected{StoreError{code, std::move(message)}};
}

// ---- lifecycle -------------------------------------------------------------------------------

JetStreamStore::Impl::~Impl() {
  {
    std::lock_guard lock(mu);
    closing = true;
  }
  changed.notify_all();
  retry_wake.notify_all();
  if (retry_thread.joinable()) retry_thread.join();
  if (ack_sub != nullptr) {
    // An ack callback may be running on the delivery thread: wait for the subscription's
    // completion (after its last callback) before the state it touches goes away.
    natsSubscription_SetOnCompleteCB(ack_sub, &Impl::on_ack_complete, this);
    natsSubscription_Unsubscribe(ack_sub);
    {
      std::unique_lock lock(mu);
      changed.wait_for(lock, std::chrono::seconds(10), [&] { return ack_sub_complete; });
    }
    retire_subscription(nc, ack_sub);
  }
  if (js != nullptr) jsCtx_Destroy(js);
  if (nc != nullptr) {
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
  }
  // Records never acknowledged: their owners learn it (the intent log still holds them).
  for (auto& [token, p] : pending)
    if (p.done) p.done(store_error(StoreErrorCode::kClosed, "store closed before the ack of msg " +
                                                                std::to_string(p.record.msg_id)));
}

Result<Unit, StoreError> JetStreamStore::Impl::connect() {
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  std::vector<const char*> urls;
  for (const auto& u : options.servers) urls.push_back(u.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(o, options.connection_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, options.connect_timeout.count());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);  // forever: the daemon must not stop
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, kReconnectWaitMs);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(o, kReconnectBufBytes);
  if (s == NATS_OK && !options.user.empty())
    s = natsOptions_SetUserInfo(o, options.user.c_str(), options.password.c_str());
  if (s == NATS_OK && !options.tls_ca.empty()) {
    s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(o, options.tls_ca.c_str());
    if (s != NATS_OK) {
      natsOptions_Destroy(o);
      return store_error(StoreErrorCode::kUnavailable, "NATS TLS CA " + options.tls_ca + ": " + nats_error(s));
    }
  }
  if (s == NATS_OK) s = natsConnection_Connect(&nc, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) {
    std::string servers;
    for (const auto& u : options.servers) servers += (servers.empty() ? "" : ",") + u;
    return store_error(StoreErrorCode::kUnavailable, "cannot connect to " + servers + ": " + nats_error(s));
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.connect_timeout.count();
  s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) return store_error(StoreErrorCode::kUnavailable, "jetstream context: " + nats_error(s));

  char* box = nullptr;
  natsInbox_Create(&box);
  inbox = box;
  natsInbox_Destroy(box);
  s = natsConnection_Subscribe(&ack_sub, nc, (inbox + ".*").c_str(), &Impl::on_ack, this);
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(ack_sub, -1, -1);  // acks never dropped
  if (s != NATS_OK) return store_error(StoreErrorCode::kUnavailable, "ack inbox: " + nats_error(s));
  return Unit{};
}

Result<Unit, StoreError> JetStreamStore::Impl::provision_stream(const StreamSpec& spec) {
  std::vector<const char*> subjects;
  for (const auto& sub : spec.subjects) subjects.push_back(sub.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = spec.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  cfg.Retention = js_LimitsPolicy;
  cfg.Discard = js_DiscardOld;
  cfg.MaxAge = ns(options.max_age);
  cfg.Duplicates = ns(options.duplicate_window);
  cfg.Replicas = options.replicas;

  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, spec.name.c_str(), nullptr, &err);
  if (s == NATS_NOT_FOUND) {
    jsStreamInfo* created = nullptr;
    s = js_AddStream(&created, js, &cfg, nullptr, &err);
    if (created != nullptr) jsStreamInfo_Destroy(created);
    if (s != NATS_OK)
      return store_error(StoreErrorCode::kUnavailable, "create stream " + spec.name + ": " + nats_error(s, err));
    spdlog::info("jetstream: created stream {} ({} replicas)", spec.name, options.replicas);
    return Unit{};
  }
  if (s != NATS_OK)
    return store_error(StoreErrorCode::kUnavailable, "stream info " + spec.name + ": " + nats_error(s, err));

  const jsStreamConfig* have = si->Config;
  std::vector<std::string> have_subjects(have->Subjects, have->Subjects + have->SubjectsLen);
  std::vector<std::string> want_subjects = spec.subjects;
  std::sort(have_subjects.begin(), have_subjects.end());
  std::sort(want_subjects.begin(), want_subjects.end());
  std::string conflict;
  if (have_subjects != want_subjects) {
    conflict = "subjects differ (server has";
    for (const auto& h : have_subjects) conflict += " " + h;
    conflict += ")";
  } else if (have->Storage != js_FileStorage) {
    conflict = "storage is not file";
  } else if (have->Retention != js_LimitsPolicy) {
    conflict = "retention is not limits";
  }
  // Replicas are the stream's from its creation: a reader or a daemon given another
  // --nats-replicas never moves a cluster's R3 stream to R1 (or back); an operator does that.
  if (have->Replicas != cfg.Replicas) {
    spdlog::warn("jetstream: stream {} has {} replicas, kept ({} asked: only for streams created)",
                 spec.name, have->Replicas, cfg.Replicas);
    cfg.Replicas = have->Replicas;
  }
  const bool update = conflict.empty() && (have->MaxAge != cfg.MaxAge ||
                                           have->Duplicates != cfg.Duplicates);
  jsStreamInfo_Destroy(si);
  if (!conflict.empty())
    return store_error(StoreErrorCode::kConflict, "stream " + spec.name + " exists with other settings: " +
                                                      conflict + "; not changed");
  if (update) {
    jsStreamInfo* updated = nullptr;
    s = js_UpdateStream(&updated, js, &cfg, nullptr, &err);
    if (updated != nullptr) jsStreamInfo_Destroy(updated);
    if (s != NATS_OK)
      return store_error(StoreErrorCode::kConflict, "update stream " + spec.name + ": " + nats_error(s, err));
    spdlog::warn("jetstream: stream {}: max age / duplicate window updated to ours",
                 spec.name);
  }
  return Unit{};
}

Result<Unit, StoreError> JetStreamStore::Impl::open_days_stream() {
  const std::string subjects = std::string(kDaysSubjectPrefix) + ">";
  const char* list[] = {subjects.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = kDaysStream;
  cfg.Subjects = list;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.MaxMsgsPerSubject = 1;  // the current index of each stream
  cfg.Replicas = options.replicas;
  cfg.AllowDirect = true;
  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, kDaysStream, nullptr, &err);
  if (s == NATS_NOT_FOUND) s = js_AddStream(&si, js, &cfg, nullptr, &err);
  if (si != nullptr) jsStreamInfo_Destroy(si);
  if (s != NATS_OK)
    return store_error(StoreErrorCode::kUnavailable, std::string("day index stream: ") + nats_error(s, err));
  return Unit{};
}

// ---- publishing ------------------------------------------------------------------------------

void JetStreamStore::Impl::publish_locked(std::uint64_t token, Pending& p) {
  char reply[128];
  const int n = std::snprintf(reply, sizeof reply, "%s.%llu", inbox.c_str(),
                              static_cast<unsigned long long>(token));
  (void)n;
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, p.record.subject.c_str(), reply, p.record.payload.data(),
                                static_cast<int>(p.record.payload.size()));
  char id[48];
  if (s == NATS_OK) {
    char* end = std::to_chars(id, id + 20, p.record.msg_id).ptr;
    *end++ = kTimeSeparator;
    *std::to_chars(end, id + sizeof id - 1, p.record.time).ptr = '\0';
    s = natsMsgHeader_Set(msg, kMsgIdHeader, id);
  }
  if (s == NATS_OK) s = natsConnection_PublishMsg(nc, msg);
  natsMsg_Destroy(msg);
  p.last_sent = Clock::now();
  // A failed publish (connection closed, reconnect buffer full) stays pending: the retry
  // loop sends it again after ack_timeout.
  if (s != NATS_OK) spdlog::debug("jetstream: publish of msg {} deferred: {}", p.record.msg_id, natsStatus_GetText(s));
}

void JetStreamStore::Impl::append(AppendRecord record, AppendCallback done) {
  auto stream = layout.stream_for(record.subject);
  if (!stream) {
    done(Unexpected{stream.error()});
    return;
  }
  std::unique_lock lock(mu);
  if (closing) {
    lock.unlock();
    done(store_error(StoreErrorCode::kClosed, "store is closed"));
    return;
  }
  if (pending.size() >= options.max_in_flight) {
    const bool room = changed.wait_for(lock, options.backpressure_timeout, [&] {
      return closing || pending.size() < options.max_in_flight;
    });
    if (!room || closing) {
      const std::size_t n = pending.size();
      lock.unlock();
      done(store_error(StoreErrorCode::kBackpressure,
                       std::to_string(n) + " appends in flight for longer than " +
                           std::to_string(options.backpressure_timeout.count()) + " ms"));
      return;
    }
  }
  const std::uint64_t token = next_token++;
  auto& p = pending[token];
  p.record = std::move(record);
  p.done = std::move(done);
  p.stream = std::move(stream).value();
  p.first_sent = Clock::now();
  publish_locked(token, p);
}

void JetStreamStore::Impl::on_ack_complete(void* closure) {
  auto* self = static_cast<Impl*>(closure);
  {
    std::lock_guard lock(self->mu);
    self->ack_sub_complete = true;
  }
  self->changed.notify_all();
}

void JetStreamStore::Impl::on_ack(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<Impl*>(closure)->handle_ack(msg);
  natsMsg_Destroy(msg);
}

void JetStreamStore::Impl::handle_ack(natsMsg* msg) {
  const std::string_view subject = natsMsg_GetSubject(msg);
  const std::uint64_t token = parse_u64(subject.substr(subject.rfind('.') + 1));
  const std::string_view body(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));

  // No stream answered (a node restarting): keep it; the retry loop resends.
  if (natsMsg_IsNoResponders(msg)) return;
  const bool is_error = body.find("\"error\"") != std::string_view::npos;
  const std::uint64_t error_code = is_error ? json_number(body, "code") : 0;
  // 503: no quorum / unavailable, 408: timeout — transient, retried with the same msg id.
  if (is_error && (error_code == 503 || error_code == 408)) return;

  AppendCallback done;
  Result<std::uint64_t, StoreError> result = std::uint64_t{0};
  {
    std::lock_guard lock(mu);
    auto it = pending.find(token);
    if (it == pending.end() || it->second.completing) return;  // a late or repeated ack
    it->second.completing = true;
    done = std::move(it->second.done);
    if (is_error) {
      result = store_error(StoreErrorCode::kInvalid, "stream " + it->second.stream + " refused msg " +
                                                         std::to_string(it->second.record.msg_id) + ": " +
                                                         std::string(body));
    } else {
      const std::uint64_t seq = json_number(body, "seq");
      result = seq;
      auto& known = acked_last[it->second.stream];
      known = std::max(known, seq);
      note_day(it->second.stream, utc_day(it->second.record.time), seq);
    }
  }
  complete(token, done, result);
}

void JetStreamStore::Impl::complete(std::uint64_t token, AppendCallback& done,
                                    const Result<std::uint64_t, StoreError>& result) {
  if (done) done(result);
  {
    std::lock_guard lock(mu);
    pending.erase(token);
  }
  changed.notify_all();
}

void JetStreamStore::Impl::retry_loop() {
  std::unique_lock lock(mu);
  while (!closing) {
    // Its own condition: an ack (which wakes flush and back-pressured appends on `changed`)
    // must not wake this loop to walk every pending record again.
    retry_wake.wait_for(lock, kRetryTick, [&] { return closing; });
    if (closing) break;
    const auto now = Clock::now();
    std::vector<std::tuple<std::uint64_t, AppendCallback, std::string>> expired;
    for (auto& [token, p] : pending) {
      // In token order, first sent oldest first: from the first record younger than the ack
      // timeout on, none is due (none was resent: a resend needs that age), so the walk ends
      // there instead of visiting every record in flight each tick.
      if (now - p.first_sent < options.ack_timeout) break;
      if (p.completing || now - p.last_sent < options.ack_timeout) continue;
      if (now - p.first_sent >= options.retry_deadline) {
        p.completing = true;
        expired.emplace_back(token, std::move(p.done),
                             "no ack for msg " + std::to_string(p.record.msg_id) + " on stream " + p.stream +
                                 " within " + std::to_string(options.retry_deadline.count()) + " ms");
        continue;
      }
      retry_count.fetch_add(1, std::memory_order_relaxed);  // a statistic: no ordering needed
      publish_locked(token, p);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& [token, done, why] : expired) complete(token, done, store_error(StoreErrorCode::kTimeout, why));
      lock.lock();
    }
    lock.unlock();
    write_dirty_days();
    lock.lock();
  }
}

Result<Unit, StoreError> JetStreamStore::Impl::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu);
  const std::uint64_t upto = next_token;  // every append made before this call
  const bool done = changed.wait_for(lock, timeout, [&] {
    return pending.empty() || pending.begin()->first >= upto;
  });
  if (!done)
    return store_error(StoreErrorCode::kTimeout, std::to_string(pending.size()) +
                                                     " appends still awaiting their ack after " +
                                                     std::to_string(timeout.count()) + " ms");
  lock.unlock();
  if (natsConnection_FlushTimeout(nc, timeout.count()) != NATS_OK) {
    // Acks are all in; a failed ping only means the connection is busy reconnecting.
  }
  write_dirty_days();
  return Unit{};
}

// ---- the public face -------------------------------------------------------------------------

JetStreamStore::JetStreamStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JetStreamStore::~JetStreamStore() {
  if (impl_) (void)impl_->flush(std::chrono::milliseconds(2000));
}

Result<std::unique_ptr<JetStreamStore>, StoreError> JetStreamStore::open(const StreamLayout& layout,
                                                                         JetStreamOptions options) {
  if (options.retry_deadline >= options.duplicate_window)
    return store_error(StoreErrorCode::kInvalid, "retry deadline (" + std::to_string(options.retry_deadline.count()) +
                                                     " ms) must be shorter than the duplicate window (" +
                                                     std::to_string(options.duplicate_window.count()) + " ms)");
  if (options.replicas != 1 && options.replicas != 3)
    return store_error(StoreErrorCode::kInvalid, "replicas must be 1 or 3, got " + std::to_string(options.replicas));
  auto impl = std::make_unique<Impl>(layout, std::move(options));
  if (auto r = impl->connect(); !r) return Unexpected{r.error()};
  for (const auto& spec : layout.streams())
    if (auto r = impl->provision_stream(spec); !r) return Unexpected{r.error()};
  if (auto r = impl->open_days_stream(); !r) return Unexpected{r.error()};
  if (auto r = impl->load_day_index(); !r) return Unexpected{r.error()};
  for (const auto& spec : layout.streams())
    if (auto r = impl->repair_day_index(spec.name); !r) return Unexpected{r.error()};
  impl->write_dirty_days();
  impl->retry_thread = std::thread([p = impl.get()] { p->retry_loop(); });
  return std::unique_ptr<JetStreamStore>(new JetStreamStore(std::move(impl)));
}

Result<std::string, StoreError> JetStreamStore::stream_for(std::string_view subject) const {
  return impl_->layout.stream_for(subject);
}
void JetStreamStore::append(AppendRecord record, AppendCallback done) {
  impl_->append(std::move(record), std::move(done));
}
Result<Unit, StoreError> JetStreamStore::flush(std::chrono::milliseconds timeout) {
  return impl_->flush(timeout);
}
Result<std::uint64_t, StoreError> JetStreamStore::read(const ReadRequest& request,
                                                       const RecordVisitor& visit) {
  return impl_->scan(request, /*headers_only=*/false, visit);
}
Result<std::unique_ptr<Subscription>, StoreError> JetStreamStore::tail(const ReadRequest& request,
                                                                       RecordVisitor visit) {
  return impl_->tail(request, std::move(visit));
}
Result<std::uint64_t, StoreError> JetStreamStore::last_sequence(std::string_view stream) {
  return impl_->last_sequence(stream);
}
Result<std::uint64_t, StoreError> JetStreamStore::known_last_sequence(std::string_view stream) {
  if (impl_->layout.find(stream) == nullptr) {
    return store_error(StoreErrorCode::kUnknownStream, "no stream '" + std::string(stream) + "'");
  }
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->acked_last.find(std::string(stream));
  return it == impl_->acked_last.end() ? std::uint64_t{0} : it->second;
}
Result<std::vector<DayStart>, StoreError> JetStreamStore::day_index(std::string_view stream) {
  return impl_->day_index(stream);
}
std::size_t JetStreamStore::in_flight() const {
  std::lock_guard lock(impl_->mu);
  return impl_->pending.size();
}
std::uint64_t JetStreamStore::retries() const {
  return impl_->retry_count.load(std::memory_order_relaxed);
}

}  // namespace oms::persistence
