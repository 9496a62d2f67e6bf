// OKX v5 funds transfers: the answers of POST /api/v5/asset/transfer and GET transfer-state
// (private_data.hpp).
#include "parse_internal.hpp"

namespace oms::okx {

using detail::Fail;
using detail::Item;
using venue::dom::as_object;
using venue::dom::element;

Result<TransferAck, RestError> parse_transfer_ack(std::string_view body) {
  detail::Envelope env;
  if (auto o = detail::open(env, body, "transfer"); !o) return Unexpected{o.error()};
  try {
    if (env.data.size() != 1) throw Fail{"transfer.data: expected one item, got " + std::to_string(env.data.size())};
    const Item it(as_object(*env.data.begin(), "transfer.data[0]"), "transfer.data[0]");
    TransferAck ack{it.text("transId"), it.text("clientId", false)};
    if (ack.trans_id.empty()) throw Fail{"transfer.data[0].transId: empty"};
    return ack;
  } catch (const Fail& f) {
    return Unexpected{detail::rest_fail(f)};
  }
}

Result<std::vector<TransferStateRow>, RestError> parse_transfer_state(std::string_view body) {
  detail::Envelope env;
  if (auto o = detail::open(env, body, "transfer-state"); !o) return Unexpected{o.error()};
  try {
    std::vector<TransferStateRow> out;
    std::size_t i = 0;
    for (element e : env.data) {
      const std::string where = "transfer-state.data[" + std::to_string(i++) + "]";
      const Item it(as_object(e, where), where);
      TransferStateRow row;
      row.trans_id = it.text("transId");
      row.client_id = it.text("clientId", false);
      row.currency = it.text("ccy");
      row.amount = it.decimal("amt");
      row.from = it.text("from");
      row.to = it.text("to");
      row.type = it.text("type", false);
      row.sub_account = it.text("subAcct", false);
      const std::string state = it.text("state");
      if (state == "success") row.state = TransferState::kSuccess;
      else if (state == "pending") row.state = TransferState::kPending;
      else if (state == "failed") row.state = TransferState::kFailed;
      else throw Fail{where + ".state: '" + state + "' is not success, pending or failed"};
      out.push_back(std::move(row));
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{detail::rest_fail(f)};
  }
}

}  // namespace oms::okx
