#include "oms/actors/risk_actor.hpp"

namespace oms::actors {

caf::actor spawn_risk_actor(caf::actor_system& system, std::shared_ptr<RiskCore> core) {
  return system.spawn([core = std::move(core)](caf::event_based_actor*) -> caf::behavior {
    return {
        [core](check_atom, const OrderRequest& order, TimeNs now) {
          const RiskDecision d = core->check(order, now);
          if (d.passed()) core->on_order_opened(order.account, order.strategy, order.instrument);
          return d;
        },
        [core](const RiskFill& fill) { (void)core->on_fill(fill); },
        [core](closed_atom, AccountId a, StrategyId s, InstrumentId i) {
          core->on_order_closed(a, s, i);
        },
    };
  });
}

}  // namespace oms::actors
