// Binance's side of the transfer sagas (TransferRunner, transfer_runner.hpp): BinanceTransfers
// sends on the signing account's key (BinanceVenue's /sapi calls) and asks the venue about a
// transfer whose answer was lost or that a restart found unfinished: by clientTranId
// (sub-account transfers), or by matching the account's history (own-wallet transfers, which
// take no client id). BinanceTransferRunner: the runner on Binance alone.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "oms/connectors/binance/exchange_binance.hpp"
#include "oms/cores/transfer_saga.hpp"
#include "oms/transfers/transfer_runner.hpp"

namespace oms::transfers {

// How one transfer goes on Binance.
struct BinanceTransferEnds {
  actors::TransferRoute route = actors::TransferRoute::kSubAccount;
  std::size_t signer = 0;             // index in the spot BinanceVenue of the key that signs
  std::string from_email, to_email;   // kSubAccount: a sub-account's email; empty: the master
};

// Binance's transfer endpoints (BinanceVenue's /sapi calls) as a TransferVenue: a sub-account
// transfer by clientTranId (-4111 "clientTranId is duplicated": booked before), an own-wallet
// transfer (no client id) by matching the account's history.
class BinanceTransfers final : public TransferVenue {
 public:
  explicit BinanceTransfers(binance::BinanceVenue& spot) : spot_(spot) {}
  [[nodiscard]] actors::TransferSendResult send(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                std::string& venue_id, std::string& reason) override;
  [[nodiscard]] actors::TransferQueryResult query(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                  std::span<const std::string> claimed,
                                                  std::string& venue_id) override;

 private:
  binance::BinanceVenue& spot_;
};

// The runner on Binance alone (TransferRunner with BinanceTransfers), as the tests and tools use it.
class BinanceTransferRunner {
 public:
  using Persist = TransferRunner::Persist;

  BinanceTransferRunner(binance::BinanceVenue& spot, Persist persist)
      : venue_(spot), runner_([this](ExchangeId e) -> TransferVenue* { return e == ExchangeId::kBinance ? &venue_ : nullptr; },
                              std::move(persist)) {}
  BinanceTransferRunner(const BinanceTransferRunner&) = delete;  // the runner points at venue_
  BinanceTransferRunner& operator=(const BinanceTransferRunner&) = delete;

  // A new transfer, driven until it ends or the venue has it pending (then retry() later).
  actors::TransferSaga start(const TransferRequested& request, const BinanceTransferEnds& ends,
                             std::int64_t now_ms) {
    return runner_.start(request, ends_of(ends), now_ms);
  }
  // A recorded transfer after a restart: an unfinished one is asked about before anything is
  // sent. `claimed`: venue ids of the completed transfers (an own-wallet transfer's history
  // match never takes one of them).
  std::optional<actors::TransferSaga> resume(const actors::RecordedTransfer& recorded,
                                             const BinanceTransferEnds& ends,
                                             std::vector<std::string> claimed = {}) {
    return runner_.resume(recorded, ends_of(ends), std::move(claimed));
  }
  // A saga left asking (the venue had it pending, or did not answer): asks again.
  void retry(actors::TransferSaga& saga, const BinanceTransferEnds& ends) { runner_.retry(saga, ends_of(ends)); }

  // Sends made by this runner (tests, metrics).
  [[nodiscard]] std::size_t sends() const noexcept { return runner_.sends(); }

  [[nodiscard]] static TransferEnds ends_of(const BinanceTransferEnds& e) {
    TransferEnds out;
    out.plan.route = e.route;
    out.plan.from_email = e.from_email;
    out.plan.to_email = e.to_email;
    out.plan.exchange = ExchangeId::kBinance;
    out.signer = e.signer;
    return out;
  }

 private:
  BinanceTransfers venue_;
  TransferRunner runner_;
};

}  // namespace oms::transfers
