// BinanceTransfers: see binance_transfers.hpp.
#include "oms/transfers/binance_transfers.hpp"

namespace oms::transfers {

using actors::TransferAction;
using actors::TransferQueryResult;
using actors::TransferRoute;
using actors::TransferSaga;
using actors::TransferSendResult;

namespace {

// Binance's answer "clientTranId is duplicated": booked by an earlier send.
constexpr std::int32_t kDuplicateClientTranId = -4111;

TransferQueryResult::Outcome outcome_of(binance::TransferState s) {
  switch (s) {
    case binance::TransferState::kSucceeded: return TransferQueryResult::Outcome::kSucceeded;
    case binance::TransferState::kFailed: return TransferQueryResult::Outcome::kFailed;
    case binance::TransferState::kPending: return TransferQueryResult::Outcome::kPending;
  }
  return TransferQueryResult::Outcome::kPending;
}

}  // namespace

TransferSendResult BinanceTransfers::send(const TransferSaga& saga, const TransferEnds& ends,
                                          std::string& venue_id, std::string& reason) {
  const TransferRequested& r = saga.request();
  const std::string client_id = saga.client_tran_id();
  ExchangeResult<binance::TransferRecord> ack =
      ends.plan.route == TransferRoute::kWallet
          ? spot_.wallet_transfer(ends.signer, {r.from_market, r.to_market, r.asset.view(), r.amount})
          : spot_.sub_account_transfer(ends.signer, {.from_email = ends.plan.from_email,
                                                     .to_email = ends.plan.to_email,
                                                     .from_market = r.from_market,
                                                     .to_market = r.to_market,
                                                     .asset = r.asset.view(),
                                                     .amount = r.amount,
                                                     .client_tran_id = client_id});
  TransferSendResult out;
  if (ack) {
    out.outcome = TransferSendResult::Outcome::kAccepted;
    venue_id = std::to_string(ack->tran_id);
    return out;
  }
  const auto& e = ack.error();
  reason = e.message;
  out.venue_code = e.venue_code;
  switch (e.code) {
    case ExchangeErrorCode::kVenueRejected:
      out.outcome = e.venue_code == kDuplicateClientTranId ? TransferSendResult::Outcome::kDuplicate
                                                           : TransferSendResult::Outcome::kRejected;
      break;
    case ExchangeErrorCode::kMaybeSent:
    case ExchangeErrorCode::kHttpStatus:   // a 5xx: the venue may have booked it
    case ExchangeErrorCode::kBadResponse:  // answered 2xx: booked, but unreadable -- ask
      out.outcome = TransferSendResult::Outcome::kUnknown;
      break;
    default:  // not sent: transport, rate limit, the builder's refusal
      out.outcome = TransferSendResult::Outcome::kRejected;
      break;
  }
  return out;
}

TransferQueryResult BinanceTransfers::query(const TransferSaga& saga, const TransferEnds& ends,
                                            std::span<const std::string> claimed, std::string& venue_id) {
  const TransferRequested& r = saga.request();
  TransferQueryResult out;
  if (ends.plan.route == TransferRoute::kSubAccount) {
    const std::string client_id = saga.client_tran_id();
    auto rows = spot_.sub_account_transfer_history(ends.signer, {.client_tran_id = client_id});
    if (!rows) return out;  // kUnanswered
    for (const auto& row : *rows) {
      if (row.client_tran_id != client_id) continue;
      out.outcome = outcome_of(row.state);
      venue_id = std::to_string(row.tran_id);
      return out;
    }
    out.outcome = TransferQueryResult::Outcome::kNotFound;
    return out;
  }
  // Own wallets: no client id; the history since the request (less the clock skew allowed).
  binance::HistoryQuery q;
  q.start_time_ms = saga.requested_ms() > 5'000 ? saga.requested_ms() - 5'000 : 0;
  q.limit = 100;
  auto rows = spot_.wallet_transfer_history(ends.signer, r.from_market, r.to_market, q);
  if (!rows) return out;
  std::vector<actors::VenueTransferRow> candidates;
  for (const auto& row : *rows) {
    candidates.push_back({std::to_string(row.tran_id), row.asset, row.amount,
                          static_cast<std::int64_t>(row.time), outcome_of(row.state)});
  }
  const actors::VenueTransferRow* m = actors::match_history(candidates, saga, claimed);
  if (m == nullptr) {
    out.outcome = TransferQueryResult::Outcome::kNotFound;
    return out;
  }
  out.outcome = m->outcome;
  venue_id = m->venue_id;
  return out;
}

}  // namespace oms::transfers
