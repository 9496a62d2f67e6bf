// TransferSaga: one transfer between two accounts' wallets (main <-> sub, sub <-> sub) or
// between one account's spot and USD-M wallets, from its request to its outcome, as a pure core
// (no clock, no I/O). Its steps are the TRANSFERS stream's events:
//
//   TransferRequested --(send)--> submitted --ack-----------------> TransferCompleted
//     (recorded before          \ --refused by the venue--------> TransferFailed
//      anything is sent)         \--no answer / 5xx / duplicate--> unknown --query--> found: its outcome
//                                                                             not found: sent again
//
// Never sent twice: a saga sends only from `requested` (a fresh request, this run) or after the
// venue said it has no such transfer. After a restart every recorded request without an outcome
// is `unknown` -- it may have been sent before the crash -- and the venue is asked first (by the
// client transfer id where the venue takes one; Binance's own-wallet transfer takes none, then
// the shell matches the venue's history with match_history). A repeated client id the venue
// refuses (Binance -4111) is a sign that it was booked: asked, never failed.
//
// The shell records each kPersist action before carrying out the ones after it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oms/messages/events.hpp"

namespace oms::actors {

// How the venue moves it. kWallet: one account's own spot <-> USD-M wallets (Binance
// POST /sapi/v1/asset/transfer: no client id). kSubAccount: between accounts of one main
// account (Binance POST /sapi/v1/sub-account/universalTransfer, clientTranId).
enum class TransferRoute : std::uint8_t { kWallet, kSubAccount };

enum class TransferSagaState : std::uint8_t {
  kRequested,  // recorded; not sent by this run
  kSubmitted,  // sent; the answer awaited
  kUnknown,    // may have been sent: the venue is asked before anything else
  kCompleted,
  kFailed,
};
[[nodiscard]] std::string_view to_string(TransferSagaState s) noexcept;

struct TransferAction {
  enum class Kind : std::uint8_t {
    kPersist,     // record `event` (TransferRequested / TransferCompleted / TransferFailed)
    kSend,        // send the transfer to the venue (with client_tran_id where the route has one)
    kQuery,       // ask the venue about it (by client_tran_id, or its history: match_history)
    kQueryLater,  // the venue has it pending: ask again after the shell's retry delay
  };
  Kind kind = Kind::kPersist;
  EventPayload event{};  // kPersist
  friend bool operator==(const TransferAction&, const TransferAction&) = default;
};

// The answer to a send.
struct TransferSendResult {
  enum class Outcome : std::uint8_t {
    kAccepted,   // the venue booked it (its id in venue_id)
    kRejected,   // the venue refused it: nothing moved (code and reason)
    kDuplicate,  // the venue refused the client id as already used: it was booked before
    kUnknown,    // no answer, a 5xx, a timeout: it may or may not have been booked
  };
  Outcome outcome = Outcome::kUnknown;
  std::string_view venue_id;
  std::int32_t venue_code = 0;
  std::string_view reason;
};

// The answer to a query.
struct TransferQueryResult {
  enum class Outcome : std::uint8_t { kNotFound, kPending, kSucceeded, kFailed, kUnanswered };
  Outcome outcome = Outcome::kUnanswered;  // kUnanswered: the query itself failed (ask again)
  std::string_view venue_id;
};

// One row of a venue's transfer history (Binance GET /sapi/v1/asset/transfer).
struct VenueTransferRow {
  std::string venue_id;
  AssetCode asset;
  Decimal amount;
  std::int64_t time_ms = 0;
  TransferQueryResult::Outcome outcome = TransferQueryResult::Outcome::kSucceeded;
};

// Error codes of transfers, in the 3xxx range of order_desk.hpp's CommandCode (3009..3014 are
// taken there; kept apart from them).
inline constexpr std::uint16_t kTransferRejectedByVenue = 3015;
inline constexpr std::uint16_t kTransferSendsExhausted = 3016;

class TransferSaga {
 public:
  // At most this many sends of one transfer (each after the venue said it has none).
  static constexpr std::uint32_t kMaxSends = 3;

  // A new transfer: kPersist(TransferRequested), then kSend.
  TransferSaga(const TransferRequested& request, TransferRoute route, std::int64_t requested_ms,
               std::vector<TransferAction>& out);
  // A transfer rebuilt from its recorded events (its TransferRequested first, then maybe its
  // outcome): an unfinished one is kUnknown and emits kQuery.
  static std::optional<TransferSaga> resume(std::span<const Event> events, TransferRoute route,
                                            std::vector<TransferAction>& out);

  void on_send(const TransferSendResult& r, std::vector<TransferAction>& out);
  void on_query(const TransferQueryResult& r, std::vector<TransferAction>& out);

  [[nodiscard]] TransferSagaState state() const noexcept { return state_; }
  [[nodiscard]] bool finished() const noexcept {
    return state_ == TransferSagaState::kCompleted || state_ == TransferSagaState::kFailed;
  }
  [[nodiscard]] const TransferRequested& request() const noexcept { return request_; }
  [[nodiscard]] TransferRoute route() const noexcept { return route_; }
  [[nodiscard]] std::uint32_t sends() const noexcept { return sends_; }  // by this run
  [[nodiscard]] std::int64_t requested_ms() const noexcept { return requested_ms_; }
  [[nodiscard]] const VenueOrderId& venue_id() const noexcept { return venue_id_; }
  // The venue's idempotency key: "oms" + the transfer id ("oms42").
  [[nodiscard]] std::string client_tran_id() const;

 private:
  TransferSaga(const TransferRequested& request, TransferRoute route, std::int64_t requested_ms)
      : request_(request), route_(route), requested_ms_(requested_ms) {}
  void send(std::vector<TransferAction>& out);
  void complete(std::string_view venue_id, std::vector<TransferAction>& out);
  void fail(std::uint16_t code, std::int32_t venue_code, std::string_view reason,
            std::vector<TransferAction>& out);

  TransferRequested request_;
  TransferRoute route_ = TransferRoute::kSubAccount;
  std::int64_t requested_ms_ = 0;
  TransferSagaState state_ = TransferSagaState::kRequested;
  std::uint32_t sends_ = 0;
  VenueOrderId venue_id_;
};

// The recorded transfers of a TRANSFERS stream, by transfer id, in the order first seen: each
// request with its outcome (if any). Events of other kinds are skipped.
struct RecordedTransfer {
  TransferRequested request;
  std::int64_t requested_ms = 0;  // the request's event time
  std::vector<Event> events;      // its request, then its outcome
  [[nodiscard]] bool finished() const noexcept { return events.size() > 1; }
};
[[nodiscard]] std::vector<RecordedTransfer> recorded_transfers(std::span<const Event> events);

// A history row that is this transfer (same asset and amount, booked at or after the request
// less `skew_ms`) and not one already claimed by another transfer (`claimed` venue ids); the
// oldest such row. For a route with no client id (Binance's own-wallet transfer).
[[nodiscard]] const VenueTransferRow* match_history(std::span<const VenueTransferRow> rows,
                                                    const TransferSaga& saga,
                                                    std::span<const std::string> claimed,
                                                    std::int64_t skew_ms = 5'000);

}  // namespace oms::actors
