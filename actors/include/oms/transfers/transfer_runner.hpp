// TransferRunner: the shell of TransferSaga on any venue -- it records each step the saga
// decides (through the caller's `persist`, the TRANSFERS stream in omsd) BEFORE it carries out
// the next, and has the transfer's venue (a TransferVenue: Binance, Bybit, OKX) send it and
// answer queries about it: a transfer whose answer was lost, or that a restart found
// unfinished, is asked about before anything is sent (never sent twice). Synchronous, on the
// caller's thread: never an order lane or the engine's shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/transfer_saga.hpp"
#include "oms/transfers/transfer_plan.hpp"

namespace oms::transfers {

// How one transfer goes on its venue: the plan (transfer_plan.hpp) and the index of the key
// that signs in that venue's connector (`signer_market`: which of the venue's connectors
// holds it).
struct TransferEnds {
  TransferPlan plan;
  std::size_t signer = 0;
  Market signer_market = Market::kSpot;
};

// A venue's transfer endpoints as a saga uses them.
class TransferVenue {
 public:
  virtual ~TransferVenue() = default;
  // Sends the transfer once (venue_id, reason: filled from the answer).
  [[nodiscard]] virtual actors::TransferSendResult send(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                        std::string& venue_id, std::string& reason) = 0;
  // Asks the venue about it (by its client id where the venue takes one; `claimed`: venue ids
  // of completed transfers, which a history match never takes).
  [[nodiscard]] virtual actors::TransferQueryResult query(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                          std::span<const std::string> claimed,
                                                          std::string& venue_id) = 0;
};

class TransferRunner {
 public:
  // Records one step; false: not recorded (the saga stops there and nothing more is sent).
  using Persist = std::function<bool(const EventPayload&)>;
  // The venue of an exchange; null: none in this process (the transfer is not run).
  using VenueOf = std::function<TransferVenue*(ExchangeId)>;

  TransferRunner(VenueOf venues, Persist persist) : venues_(std::move(venues)), persist_(std::move(persist)) {}

  // A new transfer, driven until it ends or the venue has it pending (then retry() later).
  actors::TransferSaga start(const TransferRequested& request, const TransferEnds& ends, std::int64_t now_ms);
  // A recorded transfer after a restart: an unfinished one is asked about before anything is
  // sent. `claimed`: venue ids of the completed transfers.
  std::optional<actors::TransferSaga> resume(const actors::RecordedTransfer& recorded, const TransferEnds& ends,
                                             std::vector<std::string> claimed = {});
  // A saga left asking (the venue had it pending, or did not answer): asks again.
  void retry(actors::TransferSaga& saga, const TransferEnds& ends);

  // Sends made by this runner (tests, metrics).
  [[nodiscard]] std::size_t sends() const noexcept { return sends_; }
  // Told of a send whose outcome is unknown (no answer, a 5xx, an unreadable one) or that the
  // venue refused as a duplicate, before the venue is asked: the transfer id and the reason.
  void on_unknown(std::function<void(std::uint64_t, std::string_view)> note) { note_ = std::move(note); }

 private:
  void drive(actors::TransferSaga& saga, const TransferEnds& ends, std::vector<actors::TransferAction> actions);

  VenueOf venues_;
  Persist persist_;
  std::vector<std::string> claimed_;
  std::size_t sends_ = 0;
  std::function<void(std::uint64_t, std::string_view)> note_;
};

}  // namespace oms::transfers
