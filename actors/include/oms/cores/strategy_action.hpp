// What a strategy core decides for the engine to carry out: an order to place or one of its
// orders to cancel (they take the API's path: risk, the desk, the journal, the venue).
#pragma once

#include <cstdint>

#include "oms/messages/commands.hpp"

namespace oms::actors {

struct QuoteAction {
  enum class Kind : std::uint8_t { kPlace, kCancel };
  Kind kind = Kind::kPlace;
  SubmitOrder order;   // kPlace
  CancelOrder cancel;  // kCancel
};

}  // namespace oms::actors
