// JetStreamStore: the daemon's EventStore, on NATS JetStream through nats.c.
//
// Streams are provisioned at open from the StreamLayout: created when missing, verified when
// present (an existing stream whose subjects or storage differ is a kConflict error, never
// changed silently; max age and duplicate window are updated to ours, logged; replicas stay as
// the stream was created, logged when ours differ).
//
// Publishing is ours, not nats.c's async-publish machinery, so that timeouts and retries are
// explicit: each record is published with Nats-Msg-Id = its msg_id and a reply subject on
// our ack inbox; at most max_in_flight records await their ack (append blocks beyond that,
// up to backpressure_timeout); a record not acknowledged within ack_timeout is published
// again with the same msg id (the stream's duplicate window makes that idempotent), through
// server restarts and reconnects, until retry_deadline, after which its `done` reports
// kTimeout and the caller keeps it (the intent log). retry_deadline must stay below the
// duplicate window, or a late retry could be stored twice; open() refuses otherwise.
//
// Reading uses nats.c ordered consumers (flow control, gap detection, resumption).
// Day index: nats-server 2.9's DeliverByStartTime can skip messages, so each record also
// carries its time in its Nats-Msg-Id header ("<msg_id>@<time ns>"), and the first sequence of each UTC day per
// stream is kept in the stream OMS_DAYS (one message per stream on oms.days.<stream>, the
// last kept; updated as acks arrive; at open, the records from the last indexed day on are
// rescanned, which repairs what a crash lost).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "oms/persistence/event_store.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::persistence {

struct JetStreamOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string connection_name = "omsd";
  // The server's user and password (nats_auth.hpp reads them from a 0600 file); empty user:
  // none sent. tls_ca: the CA the server's certificate must chain to -- the connection is then
  // TLS and verified (a tls:// server URL asks for TLS too); empty: the system's trust store
  // for tls:// URLs, plain TCP for nats:// ones.
  std::string user, password;
  std::string tls_ca;
  int replicas = 1;  // 1 or 3: of the streams this store creates
  std::chrono::hours max_age{24 * 30};
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(20)};
  std::size_t max_in_flight = 8192;
  std::chrono::milliseconds backpressure_timeout{30000};
  std::chrono::milliseconds ack_timeout{2000};
  std::chrono::milliseconds retry_deadline{std::chrono::minutes(5)};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{5000};  // longest wait for the next record in read()
};

class JetStreamStore final : public EventStore {
 public:
  // Connects, provisions the layout's streams and the day-index bucket, loads and repairs
  // the day index. kUnavailable when no server answers; kConflict on a mismatched stream.
  [[nodiscard]] static Result<std::unique_ptr<JetStreamStore>, StoreError> open(
      const StreamLayout& layout, JetStreamOptions options);
  ~JetStreamStore() override;
  JetStreamStore(const JetStreamStore&) = delete;
  JetStreamStore& operator=(const JetStreamStore&) = delete;

  [[nodiscard]] Result<std::string, StoreError> stream_for(std::string_view subject) const override;
  void append(AppendRecord record, AppendCallback done) override;
  [[nodiscard]] Result<Unit, StoreError> flush(std::chrono::milliseconds timeout) override;
  [[nodiscard]] Result<std::uint64_t, StoreError> read(const ReadRequest& request,
                                                      const RecordVisitor& visit) override;
  [[nodiscard]] Result<std::unique_ptr<Subscription>, StoreError> tail(const ReadRequest& request,
                                                                      RecordVisitor visit) override;
  [[nodiscard]] Result<std::uint64_t, StoreError> last_sequence(std::string_view stream) override;
  // The highest sequence an append of this store was acknowledged at in the stream (no request).
  [[nodiscard]] Result<std::uint64_t, StoreError> known_last_sequence(std::string_view stream) override;
  [[nodiscard]] Result<std::vector<DayStart>, StoreError> day_index(std::string_view stream) override;

  // Records published and not yet acknowledged (for metrics: journal lag).
  [[nodiscard]] std::size_t in_flight() const;
  // Publishes repeated because an ack did not come in time (for metrics and tests).
  [[nodiscard]] std::uint64_t retries() const;

  struct Impl;

 private:
  explicit JetStreamStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::persistence
