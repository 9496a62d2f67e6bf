// Pins actors/src/cores/transfer_saga.cpp: every (state, answer) pair of a transfer saga, and a
// restart at every step -- after which the venue is always asked before a send, so a transfer
// is never sent twice unless the venue said it has none.
#include "oms/cores/transfer_saga.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace oms;
using namespace oms::actors;
using Kind = TransferAction::Kind;
using Send = TransferSendResult::Outcome;
using Query = TransferQueryResult::Outcome;

namespace {

TransferRequested request(std::uint64_t id = 42) {
  TransferRequested r;
  r.transfer_id = id;
  r.from_account = AccountId{0};
  r.to_account = AccountId{1};
  r.from_market = Market::kSpot;
  r.to_market = Market::kUsdm;
  r.asset = "USDT";
  r.amount = Decimal::parse("250.5").value();
  return r;
}

Event event(EventPayload p, TimeNs t = 1'700'000'000'000'000'000) {
  Event e;
  e.envelope.event_time = t;
  e.payload = p;
  return e;
}

std::vector<Kind> kinds(const std::vector<TransferAction>& a) {
  std::vector<Kind> k;
  for (const auto& x : a) k.push_back(x.kind);
  return k;
}

// The events a run recorded: the payload of each kPersist, as the stream holds them.
std::vector<Event> recorded(const std::vector<TransferAction>& a) {
  std::vector<Event> out;
  for (const auto& x : a) {
    if (x.kind == Kind::kPersist) out.push_back(event(x.event));
  }
  return out;
}

}  // namespace

TEST_CASE("a new transfer is recorded before it is sent; the ack completes it") {
  std::vector<TransferAction> out;
  TransferSaga s(request(), TransferRoute::kSubAccount, 1'700'000'000'000, out);
  REQUIRE(kinds(out) == std::vector{Kind::kPersist, Kind::kSend});
  CHECK(std::get<TransferRequested>(out[0].event) == request());
  CHECK(s.state() == TransferSagaState::kSubmitted);
  CHECK(s.sends() == 1);
  CHECK(s.client_tran_id() == "oms42");
  out.clear();
  s.on_send({Send::kAccepted, "13526853623", 0, ""}, out);
  REQUIRE(kinds(out) == std::vector{Kind::kPersist});
  const auto& c = std::get<TransferCompleted>(out[0].event);
  CHECK(c.transfer_id == 42);
  CHECK(c.venue_transfer_id.view() == "13526853623");
  CHECK(s.state() == TransferSagaState::kCompleted);
  CHECK(s.finished());
  out.clear();
  s.on_send({Send::kAccepted, "1", 0, ""}, out);  // a late second answer changes nothing
  s.on_query({Query::kNotFound, ""}, out);
  CHECK(out.empty());
  CHECK(s.state() == TransferSagaState::kCompleted);
}

TEST_CASE("a refusal fails it with the venue's code; nothing is sent again") {
  std::vector<TransferAction> out;
  TransferSaga s(request(), TransferRoute::kWallet, 0, out);
  out.clear();
  s.on_send({Send::kRejected, "", -5013, "Asset transfer failed: insufficient balance"}, out);
  REQUIRE(kinds(out) == std::vector{Kind::kPersist});
  const auto& f = std::get<TransferFailed>(out[0].event);
  CHECK(f.transfer_id == 42);
  CHECK(f.code == kTransferRejectedByVenue);
  CHECK(f.venue_code == -5013);
  CHECK(f.reason.view() == "Asset transfer failed: insufficient balance");
  CHECK(s.state() == TransferSagaState::kFailed);
}

TEST_CASE("no answer or a duplicated client id: the venue is asked, never sent blind") {
  for (const Send o : {Send::kUnknown, Send::kDuplicate}) {
    CAPTURE(static_cast<int>(o));
    std::vector<TransferAction> out;
    TransferSaga s(request(), TransferRoute::kSubAccount, 0, out);
    out.clear();
    s.on_send({o, "", o == Send::kDuplicate ? -4111 : 0, ""}, out);
    REQUIRE(kinds(out) == std::vector{Kind::kQuery});
    CHECK(s.state() == TransferSagaState::kUnknown);
    out.clear();
    s.on_send({Send::kAccepted, "9", 0, ""}, out);  // an answer to no pending send: ignored
    CHECK(out.empty());
    // Pending or unanswered: ask again later; found: its outcome.
    s.on_query({Query::kPending, ""}, out);
    s.on_query({Query::kUnanswered, ""}, out);
    REQUIRE(kinds(out) == std::vector{Kind::kQueryLater, Kind::kQueryLater});
    out.clear();
    s.on_query({Query::kSucceeded, "777"}, out);
    REQUIRE(kinds(out) == std::vector{Kind::kPersist});
    CHECK(std::get<TransferCompleted>(out[0].event).venue_transfer_id.view() == "777");
    CHECK(s.sends() == 1);
  }
}

TEST_CASE("the venue's failed record fails it; not found sends again, at most kMaxSends times") {
  std::vector<TransferAction> out;
  TransferSaga failed(request(), TransferRoute::kSubAccount, 0, out);
  failed.on_send({Send::kUnknown, "", 0, ""}, out);
  out.clear();
  failed.on_query({Query::kFailed, ""}, out);
  REQUIRE(kinds(out) == std::vector{Kind::kPersist});
  CHECK(std::get<TransferFailed>(out[0].event).code == kTransferRejectedByVenue);

  out.clear();
  TransferSaga s(request(), TransferRoute::kSubAccount, 0, out);
  for (std::uint32_t i = 1; i < TransferSaga::kMaxSends; ++i) {
    out.clear();
    s.on_send({Send::kUnknown, "", 0, ""}, out);
    s.on_query({Query::kNotFound, ""}, out);
    REQUIRE(kinds(out) == std::vector{Kind::kQuery, Kind::kSend});
    CHECK(s.sends() == i + 1);
  }
  out.clear();
  s.on_send({Send::kUnknown, "", 0, ""}, out);
  s.on_query({Query::kNotFound, ""}, out);
  REQUIRE(kinds(out) == std::vector{Kind::kQuery, Kind::kPersist});
  CHECK(std::get<TransferFailed>(out[1].event).code == kTransferSendsExhausted);
  CHECK(s.sends() == TransferSaga::kMaxSends);
}

TEST_CASE("restart at every step: unfinished -> asked first; finished -> nothing to do") {
  // A live run's steps: requested, sent (no answer), asked (not found), sent, accepted.
  std::vector<TransferAction> live;
  TransferSaga s(request(), TransferRoute::kSubAccount, 0, live);
  s.on_send({Send::kUnknown, "", 0, ""}, live);
  s.on_query({Query::kNotFound, ""}, live);
  s.on_send({Send::kAccepted, "55", 0, ""}, live);
  const std::vector<Event> stream = recorded(live);
  REQUIRE(stream.size() == 2);  // only the request and the outcome are recorded

  // A crash after the request was recorded (sent or not, answered or not): the venue is asked.
  {
    std::vector<TransferAction> out;
    auto r = TransferSaga::resume(std::span(stream).first(1), TransferRoute::kSubAccount, out);
    REQUIRE(r.has_value());
    REQUIRE(kinds(out) == std::vector{Kind::kQuery});
    CHECK(r->state() == TransferSagaState::kUnknown);
    CHECK(r->sends() == 0);
    CHECK(r->requested_ms() == 1'700'000'000'000);
    // The venue has it: completed without a send.
    out.clear();
    r->on_query({Query::kSucceeded, "55"}, out);
    REQUIRE(kinds(out) == std::vector{Kind::kPersist});
    CHECK(r->sends() == 0);
  }
  {
    // The venue has none: sent now, once.
    std::vector<TransferAction> out;
    auto r = TransferSaga::resume(std::span(stream).first(1), TransferRoute::kSubAccount, out);
    out.clear();
    r->on_query({Query::kNotFound, ""}, out);
    REQUIRE(kinds(out) == std::vector{Kind::kSend});
    CHECK(r->sends() == 1);
  }
  // After the outcome was recorded: finished, nothing sent or asked.
  {
    std::vector<TransferAction> out;
    auto r = TransferSaga::resume(stream, TransferRoute::kSubAccount, out);
    REQUIRE(r.has_value());
    CHECK(out.empty());
    CHECK(r->state() == TransferSagaState::kCompleted);
    CHECK(r->venue_id().view() == "55");
  }
  {
    std::vector<TransferAction> out;
    TransferFailed f;
    f.transfer_id = 42;
    const std::vector<Event> failed{stream[0], event(f)};
    auto r = TransferSaga::resume(failed, TransferRoute::kWallet, out);
    CHECK(out.empty());
    CHECK(r->state() == TransferSagaState::kFailed);
  }
  // Nothing recorded, or no request first: no saga.
  std::vector<TransferAction> out;
  CHECK_FALSE(TransferSaga::resume({}, TransferRoute::kWallet, out).has_value());
  CHECK_FALSE(TransferSaga::resume(std::span(stream).subspan(1), TransferRoute::kWallet, out)
                  .has_value());
}

TEST_CASE("recorded_transfers groups a stream by transfer id, outcome after its request") {
  TransferCompleted c7;
  c7.transfer_id = 7;
  TransferFailed f8;
  f8.transfer_id = 8;
  TransferCompleted c99;  // an outcome of no recorded request: skipped
  c99.transfer_id = 99;
  BalanceUpdated other;
  const std::vector<Event> stream{event(request(7), 1'000'000), event(request(8), 2'000'000),
                                  event(other),  event(c7), event(c99), event(request(9), 3'000'000),
                                  event(f8),     event(request(7))};
  const auto t = recorded_transfers(stream);
  REQUIRE(t.size() == 3);
  CHECK(t[0].request.transfer_id == 7);
  CHECK(t[0].requested_ms == 1);
  CHECK(t[0].finished());
  CHECK(t[1].request.transfer_id == 8);
  CHECK(t[1].finished());
  CHECK(std::holds_alternative<TransferFailed>(t[1].events[1].payload));
  CHECK(t[2].request.transfer_id == 9);
  CHECK_FALSE(t[2].finished());
  CHECK(t[2].events.size() == 1);
}

TEST_CASE("match_history: same asset and amount, not before the request, not claimed, oldest") {
  std::vector<TransferAction> out;
  TransferSaga s(request(), TransferRoute::kWallet, 1'000'000, out);
  const Decimal amt = Decimal::parse("250.5").value();
  const std::vector<VenueTransferRow> rows{
      {"1", "USDT", amt, 990'000, Query::kSucceeded},     // long before the request
      {"2", "USDT", Decimal::parse("250").value(), 1'000'100, Query::kSucceeded},  // other amount
      {"3", "BTC", amt, 1'000'100, Query::kSucceeded},    // other asset
      {"4", "USDT", amt, 1'000'300, Query::kSucceeded},   // claimed by another transfer
      {"6", "USDT", amt, 1'000'900, Query::kSucceeded},
      {"5", "USDT", amt, 999'000, Query::kSucceeded},     // within the skew: the oldest
  };
  const std::vector<std::string> claimed{"4"};
  const VenueTransferRow* m = match_history(rows, s, claimed, 5'000);
  REQUIRE(m != nullptr);
  CHECK(m->venue_id == "5");
  const std::vector<std::string> claimed_more{"4", "5", "6"};
  CHECK(match_history(rows, s, claimed_more, 5'000) == nullptr);
  CHECK(match_history(rows, s, claimed, 0)->venue_id == "6");
}
