// BinanceTransferRunner: the shell of TransferSaga on Binance -- it records each step the saga
// decides (through the caller's `persist`, the TRANSFERS stream in omsd) BEFORE it carries out
// the next, sends the transfer on the signing account's key (BinanceVenue's /sapi calls) and
// asks the venue about a transfer whose answer was lost or that a restart found unfinished:
// by clientTranId (sub-account transfers), or by matching the account's history (own-wallet
// transfers, which take no client id). Synchronous, on the caller's thread: never an order lane
// or the engine's shard.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "oms/connectors/binance/exchange_binance.hpp"
#include "oms/cores/transfer_saga.hpp"

namespace oms::transfers {

// How one transfer goes on Binance.
struct BinanceTransferEnds {
  actors::TransferRoute route = actors::TransferRoute::kSubAccount;
  std::size_t signer = 0;             // index in the spot BinanceVenue of the key that signs
  std::string from_email, to_email;   // kSubAccount: a sub-account's email; empty: the master
};

class BinanceTransferRunner {
 public:
  // Records one step; false: not recorded (the saga stops there and nothing more is sent).
  using Persist = std::function<bool(const EventPayload&)>;

  BinanceTransferRunner(binance::BinanceVenue& spot, Persist persist)
      : spot_(spot), persist_(std::move(persist)) {}

  // A new transfer, driven until it ends or the venue has it pending (then retry() later).
  actors::TransferSaga start(const TransferRequested& request, const BinanceTransferEnds& ends,
                             std::int64_t now_ms);
  // A recorded transfer after a restart: an unfinished one is asked about before anything is
  // sent. `claimed`: venue ids of the completed transfers (an own-wallet transfer's history
  // match never takes one of them).
  std::optional<actors::TransferSaga> resume(const actors::RecordedTransfer& recorded,
                                             const BinanceTransferEnds& ends,
                                             std::vector<std::string> claimed = {});
  // A saga left asking (the venue had it pending, or did not answer): asks again.
  void retry(actors::TransferSaga& saga, const BinanceTransferEnds& ends);

  // Sends made by this runner (tests, metrics).
  [[nodiscard]] std::size_t sends() const noexcept { return sends_; }

 private:
  void drive(actors::TransferSaga& saga, const BinanceTransferEnds& ends,
             std::vector<actors::TransferAction> actions);
  actors::TransferSendResult send(const actors::TransferSaga& saga, const BinanceTransferEnds& ends,
                                  std::string& venue_id, std::string& reason);
  actors::TransferQueryResult query(const actors::TransferSaga& saga,
                                    const BinanceTransferEnds& ends, std::string& venue_id);

  binance::BinanceVenue& spot_;
  Persist persist_;
  std::vector<std::string> claimed_;
  std::size_t sends_ = 0;
};

}  // namespace oms::transfers
