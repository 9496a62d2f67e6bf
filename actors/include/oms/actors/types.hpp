// The actors' message vocabulary for CAF 0.17.6: one type-id block for the folder (CAF 0.17
// declares ids but still dispatches on RTTI; the block is here so the port to 0.18+ is a
// matter of registering it), the atoms, and `inspect` for the messages that may one day cross
// a process boundary (Event, Command, VenueReport: through the binary codec of messages/).
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include <caf/all.hpp>

#include "oms/connectors/exchange_session.hpp"
#include "oms/cores/order_desk.hpp"
#include "oms/messages/codec.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"

namespace oms::actors::detail {

// Saves through the binary codec, loads back with the same codec; a malformed buffer is an
// error for CAF's deserializer, never a crash.
template <class Inspector, class T, class Decode>
typename Inspector::result_type inspect_binary(Inspector& f, T& x, const char* name,
                                               Decode decode) {
  std::string bytes;
  if constexpr (Inspector::reads_state) {
    bytes.resize(binary_size(x));
    const auto n = encode_binary(x, std::as_writable_bytes(std::span<char>(bytes)));
    if (n.ok()) bytes.resize(*n); else bytes.clear();
    return f(caf::meta::type_name(name), bytes);
  } else {
    auto load = [&]() -> caf::error {
      auto r = decode(std::as_bytes(std::span<const char>(bytes)));
      if (!r.ok()) return caf::make_error(caf::sec::invalid_argument, name);
      x = std::move(r).value();
      return caf::none;
    };
    return f(caf::meta::type_name(name), bytes, caf::meta::load_callback(load));
  }
}

}  // namespace oms::actors::detail

namespace oms {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Event& x) {
  return actors::detail::inspect_binary(f, x, "oms::Event", [](auto in) {
    return decode_event_binary(in);
  });
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Command& x) {
  return actors::detail::inspect_binary(f, x, "oms::Command", [](auto in) {
    return decode_command_binary(in);
  });
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, VenueReport& x) {
  Event e{Envelope{x.report_id, 0, x.venue_time, 0, 0, 0}, x.payload};
  if constexpr (Inspector::reads_state) {
    return inspect(f, e);
  } else {
    auto r = inspect(f, e);
    x.report_id = e.envelope.id;
    x.venue_time = e.envelope.event_time;
    x.payload = e.payload;
    return r;
  }
}

}  // namespace oms

namespace oms::actors {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, CommandAck& x) {
  return f(caf::meta::type_name("oms::actors::CommandAck"), x.accepted, x.duplicate, x.code,
           x.message, x.status);
}

}  // namespace oms::actors

CAF_BEGIN_TYPE_ID_BLOCK(oms_actors, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(oms_actors, (oms::Event))
  CAF_ADD_TYPE_ID(oms_actors, (oms::Command))
  CAF_ADD_TYPE_ID(oms_actors, (oms::VenueReport))
  CAF_ADD_ATOM(oms_actors, oms::actors, tick_atom, "tick")
CAF_END_TYPE_ID_BLOCK(oms_actors)


