// BybitVenue's transfers between UIDs of one master account: universal-transfer and its record
// list (requests_account.cpp builds them, parse_private.cpp reads the answers), sent on one
// account's key.
#include "exchange_internal.hpp"

namespace oms::bybit {
namespace {

constexpr std::int32_t kTooManyVisits = 10006;

ExchangeError transfer_error(const RestError& e, std::string_view what) {
  if (!e.refused) return exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": " + e.message);
  const std::string text = std::string(what) + ": retCode " + std::to_string(e.refusal.ret_code) + " " + e.refusal.ret_msg;
  // A timeout or fault inside the venue: it may have booked the transfer.
  if (outcome_unknown(e.refusal.ret_code)) return exchange_error(ExchangeErrorCode::kMaybeSent, text, e.refusal.ret_code);
  const auto code = e.refusal.ret_code == kTooManyVisits ? ExchangeErrorCode::kRateLimited : ExchangeErrorCode::kVenueRejected;
  return exchange_error(code, text, e.refusal.ret_code);
}

}  // namespace

ExchangeResult<TransferAck> BybitVenue::universal_transfer(std::size_t index, const UniversalTransfer& t) {
  constexpr std::string_view kWhat = "universal transfer";
  auto req = bybit::universal_transfer(t);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto body = shared_->accounts.at(index)->call(*req, kWhat);
  if (!body) return Unexpected{std::move(body).error()};
  auto ack = parse_transfer_ack(*body);
  if (!ack) return Unexpected{transfer_error(ack.error(), kWhat)};
  return std::move(*ack);
}

ExchangeResult<std::vector<TransferRow>> BybitVenue::universal_transfer_history(std::size_t index,
                                                                                std::string_view transfer_id) {
  constexpr std::string_view kWhat = "universal transfer records";
  auto req = bybit::universal_transfers(transfer_id);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto body = shared_->accounts.at(index)->call(*req, kWhat);
  if (!body) return Unexpected{std::move(body).error()};
  auto page = parse_transfers(*body);
  if (!page) return Unexpected{transfer_error(page.error(), kWhat)};
  return std::move(page->rows);
}

}  // namespace oms::bybit
