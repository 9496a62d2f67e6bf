// Shared helpers of the Bybit parsers (private to connectors/src/bybit): the venue-neutral ones
// of json_detail.hpp (Bybit sends its numbers as strings: "65114.20", "1786320000000").
#pragma once

#include "../json_detail.hpp"
#include "oms/connectors/bybit/parse.hpp"

namespace oms::bybit {

namespace od = simdjson::ondemand;
using venue::as_array;
using venue::as_object;
using venue::Ctx;
using venue::for_each_field;
using venue::indexed;

}  // namespace oms::bybit
