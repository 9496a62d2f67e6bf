// OkxVenue's funds transfers: POST /api/v5/asset/transfer and GET transfer-state
// (requests_account.cpp builds them, parse_transfer.cpp reads the answers), sent on one
// account's key.
#include "exchange_internal.hpp"

namespace oms::okx {
namespace {

ExchangeError transfer_error(const RestError& e, std::string_view what) {
  if (!e.refused) return exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": " + e.message);
  const std::string text = std::string(what) + ": code " + std::to_string(e.refusal.code) + " " + e.refusal.msg;
  if (outcome_unknown(e.refusal.code)) return exchange_error(ExchangeErrorCode::kMaybeSent, text, e.refusal.code);
  const auto code = rate_limited(e.refusal.code) ? ExchangeErrorCode::kRateLimited : ExchangeErrorCode::kVenueRejected;
  return exchange_error(code, text, e.refusal.code);
}

}  // namespace

ExchangeResult<TransferAck> OkxVenue::transfer(std::size_t index, const Transfer& t) {
  constexpr std::string_view kWhat = "funds transfer";
  auto req = okx::transfer(t);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto body = shared_->accounts.at(index)->call(*req, kWhat);
  if (!body) return Unexpected{std::move(body).error()};
  auto ack = parse_transfer_ack(*body);
  if (!ack) return Unexpected{transfer_error(ack.error(), kWhat)};
  return std::move(*ack);
}

ExchangeResult<std::vector<TransferStateRow>> OkxVenue::transfer_state(std::size_t index, std::string_view client_id,
                                                                       std::optional<TransferType> type) {
  constexpr std::string_view kWhat = "funds transfer state";
  auto req = okx::transfer_state({}, client_id, type);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto body = shared_->accounts.at(index)->call(*req, kWhat);
  if (!body) return Unexpected{std::move(body).error()};
  auto rows = parse_transfer_state(*body);
  if (!rows) return Unexpected{transfer_error(rows.error(), kWhat)};
  return std::move(*rows);
}

}  // namespace oms::okx
