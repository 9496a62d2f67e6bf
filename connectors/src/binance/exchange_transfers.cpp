// BinanceVenue's wallet transfers: the /sapi builders (requests_transfer.cpp) sent on one
// account's key, their answers parsed (parse_transfer.cpp).
#include "exchange_internal.hpp"

namespace oms::binance {
namespace {

ExchangeError bad_request(const RequestError& e) {
  return ExchangeError{ExchangeErrorCode::kBadRequest, 0, e.message};
}
ExchangeError bad_response(std::string_view what, const ParseError& e) {
  return ExchangeError{ExchangeErrorCode::kBadResponse, 0, std::string(what) + ": " + e.message};
}

ExchangeResult<TransferRecord> ack(BinanceAccount& a, const Req& req, std::string_view what) {
  if (!req) return Unexpected{bad_request(req.error())};
  auto r = a.rest(*req, what);
  if (!r) return Unexpected{std::move(r).error()};
  JsonParser parser;
  TransferRecord t;
  if (auto p = parse_transfer_ack(parser, r->body, t); !p)
    return Unexpected{bad_response(what, p.error())};
  return t;
}

ExchangeResult<std::vector<TransferRecord>> rows(BinanceAccount& a, const Req& req,
                                                 std::string_view what) {
  if (!req) return Unexpected{bad_request(req.error())};
  auto r = a.rest(*req, what);
  if (!r) return Unexpected{std::move(r).error()};
  JsonParser parser;
  std::vector<TransferRecord> out;
  if (auto p = parse_transfer_records(parser, r->body, out); !p)
    return Unexpected{bad_response(what, p.error())};
  return out;
}

}  // namespace

ExchangeResult<TransferRecord> BinanceVenue::wallet_transfer(std::size_t index,
                                                             const WalletTransfer& t) {
  return ack(*shared_->accounts.at(index), asset_transfer(t), "asset transfer");
}

ExchangeResult<TransferRecord> BinanceVenue::sub_account_transfer(std::size_t index,
                                                                  const SubAccountTransfer& t) {
  return ack(*shared_->accounts.at(index), binance::sub_account_transfer(t),
             "sub-account transfer");
}

ExchangeResult<std::vector<TransferRecord>> BinanceVenue::wallet_transfer_history(
    std::size_t index, Market from, Market to, const HistoryQuery& q) {
  return rows(*shared_->accounts.at(index), asset_transfer_history(from, to, q),
              "asset transfer history");
}

ExchangeResult<std::vector<TransferRecord>> BinanceVenue::sub_account_transfer_history(
    std::size_t index, const SubAccountTransferQuery& q) {
  return rows(*shared_->accounts.at(index), binance::sub_account_transfer_history(q),
              "sub-account transfer history");
}

}  // namespace oms::binance
