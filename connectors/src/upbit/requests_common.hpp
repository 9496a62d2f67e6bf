// Helpers shared by the Upbit request builders (private to connectors/src/upbit).
#pragma once

#include <string>
#include <string_view>

#include "oms/connectors/upbit/requests.hpp"

namespace oms::upbit::detail {

[[nodiscard]] RequestError error(std::string_view what, std::string_view msg);
[[nodiscard]] RestRequest make(HttpMethod m, std::string_view path, Security s,
                               std::uint32_t order_count = 0);
// uuid or identifier (exactly one), under the given field names.
[[nodiscard]] Result<Unit, RequestError> add_order_ref(RestRequest& r, const OrderRef& ref,
                                                       std::string_view what,
                                                       std::string_view uuid_key = "uuid",
                                                       std::string_view identifier_key = "identifier");
// uuids[] or identifiers[] (exactly one list, 1..max entries).
[[nodiscard]] Result<Unit, RequestError> add_id_lists(RestRequest& r,
                                                      std::span<const std::string_view> uuids,
                                                      std::span<const std::string_view> identifiers,
                                                      std::size_t max, std::string_view what);
// "a,b,c" of markets, each checked, 1..max (0: no maximum).
[[nodiscard]] Result<std::string, RequestError> market_list(std::span<const std::string_view> markets,
                                                            std::size_t max, std::string_view field,
                                                            std::string_view what);
[[nodiscard]] std::string_view to_string(OrderBy o) noexcept;  // "asc", "desc"
[[nodiscard]] std::string_view to_string(SelfMatch s) noexcept;
[[nodiscard]] std::string decimal_text(Decimal d);

}  // namespace oms::upbit::detail
