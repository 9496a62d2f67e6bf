// Bybit's and OKX's transfer endpoints as TransferVenues (transfer_runner.hpp), each on the
// signing main account's key:
//
// Bybit: POST /v5/asset/transfer/universal-transfer (fromMemberId / toMemberId, UNIFIED to
// UNIFIED), transferId = bybit_transfer_uuid(transfer id) -- the same on every send, so a
// repeat is refused 131214 "TransferId exist" (booked before: the saga asks, never fails it).
// An answer SUCCESS completes it; PENDING, STATUS_UNKNOWN or none, retCode 10000 / 10016, a 5xx
// or a lost answer: asked by GET query-universal-transfer-list?transferId=.
//
// OKX: POST /api/v5/asset/transfer type 1 (main -> sub) or 2 (sub -> main), subAcct, trading
// "18" to trading "18", clientId = the saga's client id ("oms" + transfer id). The POST's
// answer says the venue took it; its outcome is asked by GET transfer-state?clientId=&type=
// (success completes, failed fails, pending asks again). OKX documents no code of its own for
// a repeated clientId: a refused send is followed by a transfer-state query, and a transfer the
// venue holds under that clientId is a duplicate (booked before), not a refusal.
#pragma once

#include "oms/connectors/bybit/exchange_bybit.hpp"
#include "oms/connectors/okx/exchange_okx.hpp"
#include "oms/transfers/transfer_runner.hpp"

namespace oms::transfers {

class BybitTransfers final : public TransferVenue {
 public:
  // Either may be null; the signer's connector (TransferEnds::signer_market) is used.
  BybitTransfers(bybit::BybitVenue* spot, bybit::BybitVenue* linear) : spot_(spot), linear_(linear) {}
  [[nodiscard]] actors::TransferSendResult send(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                std::string& venue_id, std::string& reason) override;
  [[nodiscard]] actors::TransferQueryResult query(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                  std::span<const std::string> claimed,
                                                  std::string& venue_id) override;

 private:
  bybit::BybitVenue* venue(Market m) const { return m == Market::kSpot ? spot_ : linear_; }
  bybit::BybitVenue* spot_;
  bybit::BybitVenue* linear_;
};

class OkxTransfers final : public TransferVenue {
 public:
  OkxTransfers(okx::OkxVenue* spot, okx::OkxVenue* swap) : spot_(spot), swap_(swap) {}
  [[nodiscard]] actors::TransferSendResult send(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                std::string& venue_id, std::string& reason) override;
  [[nodiscard]] actors::TransferQueryResult query(const actors::TransferSaga& saga, const TransferEnds& ends,
                                                  std::span<const std::string> claimed,
                                                  std::string& venue_id) override;

 private:
  okx::OkxVenue* venue(Market m) const { return m == Market::kSpot ? spot_ : swap_; }
  okx::OkxVenue* spot_;
  okx::OkxVenue* swap_;
};

}  // namespace oms::transfers
