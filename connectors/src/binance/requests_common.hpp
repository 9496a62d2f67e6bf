// Helpers shared by the Binance request builders (private to connectors/src/binance).
#pragma once

#include <string>
#include <string_view>

#include "oms/connectors/binance/requests.hpp"

namespace oms::binance::detail {

[[nodiscard]] std::string_view side_text(Side s) noexcept;
[[nodiscard]] std::string_view tif_text(TimeInForce t) noexcept;  // kPostOnly -> "GTX"
[[nodiscard]] std::string_view response_type_text(ResponseType r) noexcept;

// Error unless the instrument is a Binance one on market m; names the builder.
[[nodiscard]] Result<Unit, RequestError> check_instrument(const Instrument& in, Market m,
                                                          std::string_view what);
[[nodiscard]] RequestError error(std::string_view what, std::string_view msg);

[[nodiscard]] RestRequest make(HttpMethod m, std::string_view path, Security s,
                               std::uint32_t weight, std::uint32_t order_count = 0);
// Adds orderId or origClientOrderId (prefix "cancel" -> cancelOrderId / cancelOrigClientOrderId).
[[nodiscard]] Result<Unit, RequestError> add_order_ref(
    RestRequest& r, const OrderRef& ref, std::string_view what, std::string_view id_key = "orderId",
    std::string_view client_key = "origClientOrderId");
void add_history(RestRequest& r, const HistoryQuery& q);
// JSON string with the escapes JSON requires.
void append_json_string(std::string_view s, std::string& out);

}  // namespace oms::binance::detail
