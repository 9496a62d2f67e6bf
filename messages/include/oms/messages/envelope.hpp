// The envelope every event and command carries (DESIGN.md "Events, subjects, streams").
#pragma once

#include <cstdint>

#include "oms/messages/describe.hpp"

namespace oms {

using EventId = std::uint64_t;  // unique per deployment; 0 = none. Also the Nats-Msg-Id.
using TimeNs = std::int64_t;    // nanoseconds since the Unix epoch, UTC

struct Envelope {
  EventId id = 0;
  std::uint64_t global_seq = 0;  // daemon-global total order across all streams
  TimeNs event_time = 0;         // when it happened at the venue (or = init_time if ours)
  TimeNs init_time = 0;          // local clock (virtual in replay) when we created it
  EventId causation_id = 0;      // the message that directly caused this one
  EventId correlation_id = 0;    // the first message of the chain (e.g. the command)
  friend constexpr bool operator==(const Envelope&, const Envelope&) = default;
};
OMS_DESCRIBE(Envelope, id, global_seq, event_time, init_time, causation_id, correlation_id)

}  // namespace oms
