// VenueReport: one answer of a venue -- an ack, a reject, a fill, a cancel, a status query's
// result, a balance or position update -- as a connector hands it to the order desk.
#pragma once

#include "oms/messages/envelope.hpp"
#include "oms/messages/events.hpp"

namespace oms {

struct VenueReport {
  // Stable per venue message (e.g. a hash of order id and execution id): a report the venue
  // delivers twice (a reconnect, a reconciliation) derives the same event ids, and the stores
  // keep it once.
  EventId report_id = 0;
  TimeNs venue_time = 0;  // the venue's event time
  EventPayload payload;   // an order event, a fill, a balance or position update
  friend bool operator==(const VenueReport&, const VenueReport&) = default;
};

}  // namespace oms
