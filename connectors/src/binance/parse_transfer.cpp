// Binance transfer responses (/sapi): the POST acknowledgements and the query rows.
#include "oms/connectors/binance/rest_response.hpp"
#include "parse_detail.hpp"

namespace oms::binance {
namespace {

using Failed = Unexpected<ParseError>;

bool open_object(Ctx& ctx, JsonParser& parser, std::string_view json, od::document& doc,
                 od::object& out) {
  if (auto e = parser.impl().load(json, doc)) return ctx.json_fail("", e);
  if (auto e = doc.get_object().get(out)) {
    if (e == simdjson::INCORRECT_TYPE) return ctx.fail("", "expected a JSON object");
    return ctx.json_fail("", e);
  }
  return true;
}

bool string_field(Ctx& ctx, od::value v, std::string_view field, std::string& out) {
  std::string_view s;
  if (!ctx.text(v, field, s)) return false;
  out.assign(s);
  return true;
}

// The venue's status words of both endpoints.
bool state_of(Ctx& ctx, std::string_view field, std::string_view s, TransferState& out) {
  if (s == "CONFIRMED" || s == "SUCCESS") return out = TransferState::kSucceeded, true;
  if (s == "PENDING" || s == "PROCESS") return out = TransferState::kPending, true;
  if (s == "FAILED" || s == "FAILURE") return out = TransferState::kFailed, true;
  return ctx.fail(field, "unknown transfer status");
}

bool record(Ctx& ctx, const std::string& where, od::object o, TransferRecord& t) {
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, o, where, [&](std::string_view k, od::value v) {
        const std::string n = where + "." + std::string(k);
        if (k == "tranId") return seen |= 1, ctx.u64(v, n, t.tran_id);
        if (k == "status") {
          seen |= 2;
          t.has_details = true;
          return ctx.token(v, n, t.venue_status) &&
                 state_of(ctx, n, t.venue_status.view(), t.state);
        }
        if (k == "asset") return seen |= 4, ctx.text(v, n, t.asset);
        if (k == "amount") return seen |= 8, ctx.dec(v, n, t.amount);
        if (k == "clientTranId") return string_field(ctx, v, n, t.client_tran_id);
        if (k == "type") return ctx.token(v, n, t.type);
        if (k == "fromAccountType") return ctx.token(v, n, t.from_account_type);
        if (k == "toAccountType") return ctx.token(v, n, t.to_account_type);
        if (k == "fromEmail") return string_field(ctx, v, n, t.from_email);
        if (k == "toEmail") return string_field(ctx, v, n, t.to_email);
        if (k == "timestamp" || k == "createTimeStamp") return ctx.u64(v, n, t.time);
        return true;
      }))
    return false;
  constexpr std::string_view kNames[] = {"tranId", "status", "asset", "amount"};
  return check_required(ctx, seen, kNames, where + ".");
}

}  // namespace

Result<Unit, ParseError> parse_transfer_ack(JsonParser& parser, std::string_view json,
                                            TransferRecord& out) {
  Ctx ctx("transfer");
  out = TransferRecord{};
  od::document doc;
  od::object o;
  if (!open_object(ctx, parser, json, doc, o)) return Failed{std::move(ctx).error()};
  bool has_id = false;
  if (!for_each_field(ctx, o, "", [&](std::string_view k, od::value v) {
        if (k == "tranId") return has_id = true, ctx.u64(v, "tranId", out.tran_id);
        if (k == "clientTranId") return string_field(ctx, v, "clientTranId", out.client_tran_id);
        return true;
      }))
    return Failed{std::move(ctx).error()};
  if (!has_id) return Failed{ParseError{"transfer.tranId: missing"}};
  return Unit{};
}

Result<Unit, ParseError> parse_transfer_records(JsonParser& parser, std::string_view json,
                                                std::vector<TransferRecord>& out) {
  Ctx ctx("transfers");
  out.clear();
  od::document doc;
  od::object o;
  if (!open_object(ctx, parser, json, doc, o)) return Failed{std::move(ctx).error()};
  bool has_total = false;
  if (!for_each_field(ctx, o, "", [&](std::string_view k, od::value v) {
        if (k == "total" || k == "totalCount") return has_total = true;
        if (k != "rows" && k != "result") return true;
        od::array arr;
        if (!as_array(ctx, v, k, arr)) return false;
        return for_each_element(ctx, arr, k, [&](std::size_t i, od::value e) {
          const std::string where = indexed(k, i);
          od::object row;
          if (!as_object(ctx, e, where, row)) return false;
          TransferRecord t;
          if (!record(ctx, where, row, t)) return false;
          out.push_back(std::move(t));
          return true;
        });
      }))
    return Failed{std::move(ctx).error()};
  if (!has_total) return Failed{ParseError{"transfers.total: missing (total / totalCount)"}};
  return Unit{};
}

}  // namespace oms::binance
