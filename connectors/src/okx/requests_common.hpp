// Helpers shared by the OKX request builders (private to connectors/src/okx).
#pragma once

#include <string>
#include <string_view>

#include "oms/connectors/okx/requests.hpp"

namespace oms::okx::detail {

[[nodiscard]] RequestError error(std::string_view what, std::string_view msg);
// An error naming the builder when the spec cannot be traded (no instId, ctVal not positive,
// a swap in cash mode).
[[nodiscard]] Result<Unit, RequestError> check_spec(const InstrumentSpec& in, std::string_view what);
[[nodiscard]] RestRequest make(HttpMethod m, std::string_view path, Security s,
                               std::uint32_t order_count = 0);
// ordId or clOrdId (exactly one).
[[nodiscard]] Result<Unit, RequestError> add_order_ref(RestRequest& r, const OrderRef& ref,
                                                       std::string_view what);
// 1..max letters and digits (clOrdId, algoClOrdId, reqId 32; tag 16).
[[nodiscard]] bool alphanumeric(std::string_view id, std::size_t max) noexcept;
void add_list(RestRequest& r, const ListQuery& q);
[[nodiscard]] std::string decimal_text(Decimal d);

}  // namespace oms::okx::detail
