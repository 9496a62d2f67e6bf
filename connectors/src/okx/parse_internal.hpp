// What the OKX account-data parsers share (parse_private.cpp, parse_algo.cpp): the v5 REST
// envelope, an item's instrument and refusal. Internal to oms_connectors.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../json_dom.hpp"
#include "oms/connectors/okx/private_data.hpp"

namespace oms::okx::detail {

using venue::dom::Fail;
using venue::dom::Item;

struct Envelope {
  simdjson::dom::parser parser;
  simdjson::padded_string padded;
  simdjson::dom::element doc;
  simdjson::dom::array data;
};

// The envelope's data array; RestError on a refusal (the first item's sCode when the venue
// names one: "All operations failed" says less than the item) or a malformed body.
[[nodiscard]] Result<Unit, RestError> open(Envelope& env, std::string_view body, std::string_view what);
[[nodiscard]] RestError rest_fail(const Fail& f);
// An item's sCode / sMsg; code 0 when it has none or "0".
[[nodiscard]] VenueRefusal item_refusal(const Item& it);
// The instrument of an item of ours; nullopt (with the reason in skipped) for another instType
// than the connection's, or an instrument the caller does not know.
[[nodiscard]] std::optional<InstrumentEntry> instrument_of(const Item& it, const AccountContext& ctx,
                                                           std::vector<std::string>& skipped,
                                                           bool check_market = true);
// One orders-algo / order-algo item of ours (instrument known).
[[nodiscard]] AlgoOrderItem algo_item(const Item& it, const InstrumentEntry& ref);

}  // namespace oms::okx::detail
