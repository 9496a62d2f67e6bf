// BybitTransfers, OkxTransfers: see bybit_transfers.hpp.
#include "oms/transfers/bybit_transfers.hpp"

#include "oms/transfers/venue_wallets.hpp"

namespace oms::transfers {

using actors::TransferQueryResult;
using actors::TransferSaga;
using actors::TransferSendResult;

namespace {

constexpr std::int32_t kBybitTransferIdExists = 131214;

// A failed send: a refusal (nothing moved), or an outcome unknown (it may have been booked).
TransferSendResult::Outcome outcome_of_error(const ExchangeError& e) {
  switch (e.code) {
    case ExchangeErrorCode::kVenueRejected: return TransferSendResult::Outcome::kRejected;
    case ExchangeErrorCode::kMaybeSent:
    case ExchangeErrorCode::kHttpStatus:   // a 5xx: the venue may have booked it
    case ExchangeErrorCode::kBadResponse:  // answered 2xx, unreadable: ask
      return TransferSendResult::Outcome::kUnknown;
    default:  // not sent: transport, rate limit, the builder's refusal
      return TransferSendResult::Outcome::kRejected;
  }
}

TransferQueryResult::Outcome of(bybit::TransferStatus s) {
  switch (s) {
    case bybit::TransferStatus::kSuccess: return TransferQueryResult::Outcome::kSucceeded;
    case bybit::TransferStatus::kFailed: return TransferQueryResult::Outcome::kFailed;
    case bybit::TransferStatus::kPending: return TransferQueryResult::Outcome::kPending;
  }
  return TransferQueryResult::Outcome::kPending;
}

TransferQueryResult::Outcome of(okx::TransferState s) {
  switch (s) {
    case okx::TransferState::kSuccess: return TransferQueryResult::Outcome::kSucceeded;
    case okx::TransferState::kFailed: return TransferQueryResult::Outcome::kFailed;
    case okx::TransferState::kPending: return TransferQueryResult::Outcome::kPending;
  }
  return TransferQueryResult::Outcome::kPending;
}

okx::AccountType okx_wallet(const std::string& word) {
  return word == "6" ? okx::AccountType::kFunding : okx::AccountType::kTrading;
}

okx::TransferType okx_type(const TransferEnds& ends) {
  return ends.plan.venue.to_sub ? okx::TransferType::kMasterToSub : okx::TransferType::kSubToMaster;
}

}  // namespace

TransferSendResult BybitTransfers::send(const TransferSaga& saga, const TransferEnds& ends, std::string& venue_id,
                                        std::string& reason) {
  TransferSendResult out;
  bybit::BybitVenue* v = venue(ends.signer_market);
  if (v == nullptr) {
    out.outcome = TransferSendResult::Outcome::kRejected;
    reason = "no bybit connector holds the signing key";
    return out;
  }
  const TransferRequested& r = saga.request();
  const std::string id = bybit_transfer_uuid(r.transfer_id);
  const std::string coin(r.asset.view());
  const auto& e = ends.plan.venue;
  auto ack = v->universal_transfer(ends.signer, {.transfer_id = id,
                                                 .coin = coin,
                                                 .amount = r.amount,
                                                 .from_member_id = e.from_member,
                                                 .to_member_id = e.to_member,
                                                 .from_account_type = e.from_wallet,
                                                 .to_account_type = e.to_wallet});
  if (ack) {
    venue_id = ack->transfer_id;
    if (ack->status == bybit::TransferStatus::kSuccess) {
      out.outcome = TransferSendResult::Outcome::kAccepted;
    } else if (ack->status == bybit::TransferStatus::kFailed) {
      out.outcome = TransferSendResult::Outcome::kRejected;
      reason = "bybit answered the transfer FAILED";
    } else {
      out.outcome = TransferSendResult::Outcome::kUnknown;  // pending or no status: ask
    }
    return out;
  }
  reason = ack.error().message;
  out.venue_code = ack.error().venue_code;
  out.outcome = outcome_of_error(ack.error());
  if (ack.error().code == ExchangeErrorCode::kVenueRejected && ack.error().venue_code == kBybitTransferIdExists)
    out.outcome = TransferSendResult::Outcome::kDuplicate;
  return out;
}

TransferQueryResult BybitTransfers::query(const TransferSaga& saga, const TransferEnds& ends,
                                          std::span<const std::string> /*claimed*/, std::string& venue_id) {
  TransferQueryResult out;
  bybit::BybitVenue* v = venue(ends.signer_market);
  if (v == nullptr) return out;
  const std::string id = bybit_transfer_uuid(saga.request().transfer_id);
  auto rows = v->universal_transfer_history(ends.signer, id);
  if (!rows) return out;  // kUnanswered: asked again
  for (const auto& row : *rows) {
    if (row.transfer_id != id) continue;
    out.outcome = of(row.status);
    venue_id = row.transfer_id;
    return out;
  }
  out.outcome = TransferQueryResult::Outcome::kNotFound;
  return out;
}

TransferSendResult OkxTransfers::send(const TransferSaga& saga, const TransferEnds& ends, std::string& venue_id,
                                      std::string& reason) {
  TransferSendResult out;
  okx::OkxVenue* v = venue(ends.signer_market);
  if (v == nullptr) {
    out.outcome = TransferSendResult::Outcome::kRejected;
    reason = "no okx connector holds the signing key";
    return out;
  }
  const TransferRequested& r = saga.request();
  const std::string client_id = saga.client_tran_id();
  const std::string ccy(r.asset.view());
  const auto& e = ends.plan.venue;
  okx::Transfer t{ccy, r.amount, okx_wallet(e.from_wallet), okx_wallet(e.to_wallet), client_id, okx_type(ends),
                  e.sub_account};
  auto ack = v->transfer(ends.signer, t);
  if (ack) {
    // Taken: its outcome is the transfer-state's (asked at once).
    venue_id = ack->trans_id;
    out.outcome = TransferSendResult::Outcome::kUnknown;
    return out;
  }
  reason = ack.error().message;
  out.venue_code = ack.error().venue_code;
  out.outcome = outcome_of_error(ack.error());
  if (ack.error().code == ExchangeErrorCode::kVenueRejected) {
    // A repeated clientId has no code of its own: a transfer the venue holds under it was booked.
    auto rows = v->transfer_state(ends.signer, client_id, okx_type(ends));
    if (!rows) {
      out.outcome = TransferSendResult::Outcome::kUnknown;  // cannot tell: ask again
    } else {
      for (const auto& row : *rows) {
        if (row.client_id == client_id) out.outcome = TransferSendResult::Outcome::kDuplicate;
      }
    }
  }
  return out;
}

TransferQueryResult OkxTransfers::query(const TransferSaga& saga, const TransferEnds& ends,
                                        std::span<const std::string> /*claimed*/, std::string& venue_id) {
  TransferQueryResult out;
  okx::OkxVenue* v = venue(ends.signer_market);
  if (v == nullptr) return out;
  const std::string client_id = saga.client_tran_id();
  auto rows = v->transfer_state(ends.signer, client_id, okx_type(ends));
  if (!rows) return out;  // kUnanswered: asked again
  for (const auto& row : *rows) {
    if (row.client_id != client_id) continue;
    out.outcome = of(row.state);
    venue_id = row.trans_id;
    return out;
  }
  out.outcome = TransferQueryResult::Outcome::kNotFound;
  return out;
}

}  // namespace oms::transfers
