// Helpers shared by the Bybit request builders (private to connectors/src/bybit).
#pragma once

#include <string>
#include <string_view>

#include "oms/connectors/bybit/requests.hpp"

namespace oms::bybit::detail {

[[nodiscard]] RequestError error(std::string_view what, std::string_view msg);
// The instrument's category, or an error naming the builder (not Bybit, inverse, no symbol).
[[nodiscard]] Result<Category, RequestError> check_instrument(const Instrument& in,
                                                              std::string_view what);
[[nodiscard]] RestRequest make(HttpMethod m, std::string_view path, Security s,
                               std::uint32_t order_count = 0);
// orderId or orderLinkId (exactly one).
[[nodiscard]] Result<Unit, RequestError> add_order_ref(RestRequest& r, const OrderRef& ref,
                                                       std::string_view what);
[[nodiscard]] std::string_view filter_text(OrderFilter f) noexcept;  // "" for kDefault
void add_history(RestRequest& r, const HistoryQuery& q);
// An orderLinkId Bybit accepts: 1..36 of [A-Za-z0-9_-].
[[nodiscard]] bool valid_link_id(std::string_view id) noexcept;

}  // namespace oms::bybit::detail
