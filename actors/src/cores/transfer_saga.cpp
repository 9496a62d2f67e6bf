// TransferSaga: see transfer_saga.hpp.
#include "oms/cores/transfer_saga.hpp"

#include <algorithm>

namespace oms::actors {

std::string_view to_string(TransferSagaState s) noexcept {
  switch (s) {
    case TransferSagaState::kRequested: return "requested";
    case TransferSagaState::kSubmitted: return "submitted";
    case TransferSagaState::kUnknown: return "unknown";
    case TransferSagaState::kCompleted: return "completed";
    case TransferSagaState::kFailed: return "failed";
  }
  return "invalid";
}

TransferSaga::TransferSaga(const TransferRequested& request, TransferRoute route,
                           std::int64_t requested_ms, std::vector<TransferAction>& out)
    : TransferSaga(request, route, requested_ms) {
  out.push_back({TransferAction::Kind::kPersist, request_});
  send(out);
}

std::optional<TransferSaga> TransferSaga::resume(std::span<const Event> events, TransferRoute route,
                                                 std::vector<TransferAction>& out) {
  if (events.empty()) return std::nullopt;
  const auto* req = std::get_if<TransferRequested>(&events.front().payload);
  if (req == nullptr) return std::nullopt;
  TransferSaga s(*req, route, events.front().envelope.event_time / 1'000'000);
  for (const Event& e : events.subspan(1)) {
    if (const auto* c = std::get_if<TransferCompleted>(&e.payload);
        c != nullptr && c->transfer_id == req->transfer_id) {
      s.state_ = TransferSagaState::kCompleted;
      s.venue_id_ = c->venue_transfer_id;
    } else if (const auto* f = std::get_if<TransferFailed>(&e.payload);
               f != nullptr && f->transfer_id == req->transfer_id) {
      s.state_ = TransferSagaState::kFailed;
    }
  }
  if (!s.finished()) {
    s.state_ = TransferSagaState::kUnknown;  // it may have been sent before the restart
    out.push_back({TransferAction::Kind::kQuery, {}});
  }
  return s;
}

std::string TransferSaga::client_tran_id() const {
  return "oms" + std::to_string(request_.transfer_id);
}

void TransferSaga::send(std::vector<TransferAction>& out) {
  if (sends_ >= kMaxSends) {
    fail(kTransferSendsExhausted, 0, "the venue has no record of it after every send", out);
    return;
  }
  ++sends_;
  state_ = TransferSagaState::kSubmitted;
  out.push_back({TransferAction::Kind::kSend, {}});
}

void TransferSaga::complete(std::string_view venue_id, std::vector<TransferAction>& out) {
  state_ = TransferSagaState::kCompleted;
  TransferCompleted c;
  c.transfer_id = request_.transfer_id;
  // Binance's ids are int64 text (19 digits at most): they fit; a longer one is kept cut.
  (void)c.venue_transfer_id.assign(venue_id.substr(0, VenueOrderId::kCapacity));
  venue_id_ = c.venue_transfer_id;
  out.push_back({TransferAction::Kind::kPersist, c});
}

void TransferSaga::fail(std::uint16_t code, std::int32_t venue_code, std::string_view reason,
                        std::vector<TransferAction>& out) {
  state_ = TransferSagaState::kFailed;
  TransferFailed f;
  f.transfer_id = request_.transfer_id;
  f.code = code;
  f.venue_code = venue_code;
  (void)f.reason.assign(reason.substr(0, ReasonText::kCapacity));
  out.push_back({TransferAction::Kind::kPersist, f});
}

// clang-format off
void TransferSaga::on_send(const TransferSendResult& r, std::vector<TransferAction>& out) {
  if (state_ != TransferSagaState::kSubmitted) return;  // a late answer: the saga moved on
  using O = TransferSendResult::Outcome;
  switch (r.outcome) {
    case O::kAccepted:  complete(r.venue_id, out);                                   return;
    case O::kRejected:  fail(kTransferRejectedByVenue, r.venue_code, r.reason, out); return;
    case O::kDuplicate: [[fallthrough]];  // booked by an earlier send: ask which
    case O::kUnknown:   state_ = TransferSagaState::kUnknown;
                        out.push_back({TransferAction::Kind::kQuery, {}});            return;
  }
}

void TransferSaga::on_query(const TransferQueryResult& r, std::vector<TransferAction>& out) {
  if (state_ != TransferSagaState::kUnknown) return;
  using O = TransferQueryResult::Outcome;
  switch (r.outcome) {
    case O::kSucceeded:  complete(r.venue_id, out);                                   return;
    case O::kFailed:     fail(kTransferRejectedByVenue, 0, "the venue failed it", out); return;
    case O::kNotFound:   send(out);                                                   return;
    case O::kPending:    [[fallthrough]];
    case O::kUnanswered: out.push_back({TransferAction::Kind::kQueryLater, {}});      return;
  }
}
// clang-format on

std::vector<RecordedTransfer> recorded_transfers(std::span<const Event> events) {
  std::vector<RecordedTransfer> out;
  const auto find = [&](std::uint64_t id) -> RecordedTransfer* {
    for (auto& t : out) {
      if (t.request.transfer_id == id) return &t;
    }
    return nullptr;
  };
  for (const Event& e : events) {
    if (const auto* r = std::get_if<TransferRequested>(&e.payload)) {
      if (find(r->transfer_id) != nullptr) continue;  // recorded twice: the first counts
      out.push_back({*r, e.envelope.event_time / 1'000'000, {e}});
      continue;
    }
    std::uint64_t id = 0;
    if (const auto* c = std::get_if<TransferCompleted>(&e.payload)) id = c->transfer_id;
    else if (const auto* f = std::get_if<TransferFailed>(&e.payload)) id = f->transfer_id;
    else continue;
    if (RecordedTransfer* t = find(id); t != nullptr && !t->finished()) t->events.push_back(e);
  }
  return out;
}

const VenueTransferRow* match_history(std::span<const VenueTransferRow> rows,
                                      const TransferSaga& saga,
                                      std::span<const std::string> claimed,
                                      std::int64_t skew_ms) {
  const VenueTransferRow* best = nullptr;
  for (const auto& row : rows) {
    if (row.asset != saga.request().asset || row.amount != saga.request().amount) continue;
    if (row.time_ms < saga.requested_ms() - skew_ms) continue;
    if (std::find(claimed.begin(), claimed.end(), row.venue_id) != claimed.end()) continue;
    if (best == nullptr || row.time_ms < best->time_ms) best = &row;
  }
  return best;
}

}  // namespace oms::actors
