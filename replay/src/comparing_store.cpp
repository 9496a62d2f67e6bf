#include "oms/replay/comparing_store.hpp"

#include <algorithm>

#include "oms/persistence/record_integrity.hpp"

namespace oms::replay {

namespace {

using persistence::StoreError;
using persistence::StoreErrorCode;

}  // namespace

ComparingStore::ComparingStore(persistence::EventStore& recording, persistence::StreamLayout layout,
                               std::map<std::string, std::uint64_t> positions)
    : recording_(recording), layout_(std::move(layout)) {
  for (auto& [stream, pos] : positions) {
    Compared c;
    c.matched = pos;
    c.cursor = std::make_unique<StreamCursor>(recording_, stream, "", pos + 1, 0, 1024);
    streams_.emplace(stream, std::move(c));
  }
}

std::map<std::string, std::uint64_t> ComparingStore::positions() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [stream, c] : streams_) out[stream] = c.matched;
  return out;
}

void ComparingStore::reposition(const std::map<std::string, std::uint64_t>& positions) {
  for (auto& [stream, c] : streams_) {
    const auto it = positions.find(stream);
    if (it == positions.end()) continue;
    c.matched = it->second;
    c.cursor = std::make_unique<StreamCursor>(recording_, stream, "", c.matched + 1, 0, 1024);
    c.ids.clear();
    c.indexed = 0;
  }
}

// Every record of a compared stream is the engine's (STRATEGIES too: risk, the strategies'
// lifecycle and parameters, the arbitrage sagas, all decided on the shard) -- but another
// daemon's on a stream the desk's daemons share.
Result<const RecordView*, std::string> ComparingStore::next_recorded(const std::string& /*stream*/,
                                                                      Compared& c) {
  for (;;) {
    auto p = c.cursor->peek();
    if (!p) return Unexpected(p.error());
    if (*p == nullptr || !foreign || !foreign((*p)->subject)) return *p;
    c.cursor->pop();
  }
}

Result<std::string, StoreError> ComparingStore::stream_for(std::string_view subject) const {
  return layout_.stream_for(subject);
}

void ComparingStore::append(persistence::AppendRecord record, persistence::AppendCallback done) {
  auto stream = layout_.stream_for(record.subject);
  if (!stream) {
    if (error_.empty()) error_ = stream.error().message;
    done(Unexpected{stream.error()});
    return;
  }
  auto it = streams_.find(*stream);
  if (it == streams_.end()) {
    // A stream the start record did not name: the engine wrote where the live one did not.
    if (!mismatch_) {
      mismatch_ = Mismatch{*stream, 0,
                           OwnedRecord{0, record.subject, record.payload, record.msg_id, record.time},
                           {}};
    }
    done(std::uint64_t{0});
    return;
  }
  Compared& c = it->second;
  if (mismatch_ || !error_.empty()) {
    done(c.matched);
    return;
  }
  auto rec = next_recorded(*stream, c);
  if (!rec) {
    error_ = rec.error();
    done(Unexpected{StoreError{StoreErrorCode::kUnavailable, rec.error()}});
    return;
  }
  const RecordView* r = *rec;
  // The live run signed its events (record_integrity.hpp); the replay's are compared without.
  if (r == nullptr || r->subject != record.subject || persistence::strip_mac(r->payload) != record.payload ||
      r->msg_id != record.msg_id) {
    auto before = stored_before(*stream, c, record.msg_id);
    if (!before) {
      error_ = before.error();
      done(Unexpected{StoreError{StoreErrorCode::kUnavailable, before.error()}});
      return;
    }
    if (*before != 0) {  // a duplicate the live store dropped
      done(*before);
      return;
    }
    mismatch_ = Mismatch{*stream, r == nullptr ? 0 : r->sequence,
                         OwnedRecord{0, record.subject, record.payload, record.msg_id, record.time},
                         r == nullptr ? OwnedRecord{} : r->own()};
    done(c.matched);
    return;
  }
  c.matched = r->sequence;
  c.cursor->pop();
  if (on_match) on_match(record);
  done(c.matched);
}

Result<std::uint64_t, std::string> ComparingStore::stored_before(const std::string& stream,
                                                                Compared& c, EventId id) {
  if (c.indexed < c.matched) {
    persistence::ReadRequest r;
    r.stream = stream;
    r.from_sequence = c.indexed + 1;
    r.to_sequence = c.matched;
    auto n = recording_.read(r, [&](const persistence::StoredRecord& s) {
      c.ids.emplace(s.msg_id, s.sequence);
      return true;
    });
    if (!n) return Unexpected(n.error().message);
    c.indexed = c.matched;
  }
  const auto it = c.ids.find(id);
  return it == c.ids.end() ? std::uint64_t{0} : it->second;
}

void ComparingStore::check_nothing_left(const std::map<std::string, std::uint64_t>& until) {
  if (mismatch_ || !error_.empty()) return;
  for (auto& [stream, c] : streams_) {
    const auto u = until.find(stream);
    if (u == until.end()) continue;
    auto rec = next_recorded(stream, c);
    if (!rec) {
      error_ = rec.error();
      return;
    }
    if (*rec != nullptr && (*rec)->sequence <= u->second) {
      mismatch_ = Mismatch{stream, (*rec)->sequence, {}, (*rec)->own()};
      return;
    }
  }
}

Result<std::uint64_t, StoreError> ComparingStore::read(const persistence::ReadRequest& request,
                                                       const persistence::RecordVisitor& visit) {
  auto it = streams_.find(request.stream);
  if (it == streams_.end()) return recording_.read(request, visit);
  if (request.from_sequence > it->second.matched) return std::uint64_t{0};
  persistence::ReadRequest r = request;
  r.to_sequence = request.to_sequence == 0 ? it->second.matched
                                           : std::min(request.to_sequence, it->second.matched);
  if (r.to_sequence == 0) return std::uint64_t{0};
  return recording_.read(r, visit);
}

Result<std::unique_ptr<persistence::Subscription>, StoreError> ComparingStore::tail(
    const persistence::ReadRequest& request, persistence::RecordVisitor) {
  return Unexpected{StoreError{StoreErrorCode::kInvalid,
                               "replay: tail " + request.stream + " is not available"}};
}

Result<std::uint64_t, StoreError> ComparingStore::last_sequence(std::string_view stream) {
  const auto it = streams_.find(stream);
  if (it == streams_.end()) return recording_.last_sequence(stream);
  return it->second.matched;
}

Result<std::vector<persistence::DayStart>, StoreError> ComparingStore::day_index(
    std::string_view stream) {
  return recording_.day_index(stream);
}

}  // namespace oms::replay
