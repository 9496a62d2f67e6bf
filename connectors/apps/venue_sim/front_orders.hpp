// venue-sim front: order-parameter parsing shared by the spot and USD-M endpoints.
#pragma once

#include <string>
#include <string_view>

#include "front_impl.hpp"

namespace oms::venue_sim {

// Each returns false with err set (Binance code and message naming the parameter).
bool parse_decimal(const Params& p, std::string_view key, Decimal& out, Reply& err);
bool parse_new_order(const Front::Impl& f, Market m, const Params& p, sim::NewOrder& o,
                     Reply& err);
bool parse_ref(const Params& p, sim::OrderRef& ref, Reply& err);
// Sets "c" of the CANCELED reports from index `from` on to the cancel request's id.
void rename_cancel(sim::Outbox& out, std::size_t from, const std::string& cancel_id);
std::string next_cancel_id(Account& a, const Params& p);

}  // namespace oms::venue_sim
