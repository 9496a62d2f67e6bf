// plan_rebalance: see rebalance_planner.hpp.
#include "oms/cores/rebalance_planner.hpp"

#include <algorithm>
#include <map>

namespace oms::actors {
namespace {

using Fail = Unexpected<std::string>;

std::string name(AccountId id) { return "account " + std::to_string(id.index()); }

}  // namespace

Result<RebalancePlan, std::string> plan_rebalance(std::span<const RebalanceAccount> accounts,
                                                  const RebalanceRules& rules) {
  const Decimal kStep = Decimal::parse("0.00000001").value();
  const Decimal one = Decimal::from_int(1).value();
  // Families by main account id; members in id order.
  std::map<std::size_t, std::vector<const RebalanceAccount*>> subs_of;
  std::map<std::size_t, const RebalanceAccount*> mains;
  for (const auto& a : accounts) {
    if (a.free.is_negative()) return Fail{name(a.id) + ": negative free balance"};
    if (a.cap && a.cap->is_negative()) return Fail{name(a.id) + ": negative cap"};
    if (a.target_ratio && (!a.target_ratio->is_positive() || *a.target_ratio > one))
      return Fail{name(a.id) + ": target ratio " + a.target_ratio->to_string() + " is outside (0, 1]"};
    if (a.main == a.id) mains[a.id.index()] = &a;
    else subs_of[a.main.index()].push_back(&a);
  }
  RebalancePlan plan;
  for (auto& [main_index, subs] : subs_of) {
    const auto m = mains.find(main_index);
    if (m == mains.end())
      return Fail{name(subs.front()->id) + ": its main " + name(subs.front()->main) + " is not listed"};
    const RebalanceAccount& main = *m->second;
    std::sort(subs.begin(), subs.end(),
              [](const auto* x, const auto* y) { return x->id.index() < y->id.index(); });
    Decimal total = main.free, ratios;
    for (const auto* s : subs) {
      auto t = total.add(s->free);
      if (!t) return Fail{"the family of " + name(main.id) + ": total beyond range"};
      total = *t;
      if (s->target_ratio) {
        auto r = ratios.add(*s->target_ratio);
        if (!r) return Fail{"the family of " + name(main.id) + ": ratios beyond range"};
        ratios = *r;
      }
    }
    if (ratios > one)
      return Fail{"the family of " + name(main.id) + ": target ratios sum to " + ratios.to_string() + " > 1"};
    // 1-2. Wanted balances; excesses to the main account.
    std::vector<Decimal> wanted;
    Decimal main_free = main.free;
    for (const auto* s : subs) {
      Decimal want = s->free;
      if (s->target_ratio) {
        auto w = total.mul(*s->target_ratio, Rounding::kDown);
        if (!w) return Fail{name(s->id) + ": target beyond range"};
        auto rounded = w->round_to(kStep, Rounding::kDown);
        if (!rounded) return Fail{name(s->id) + ": target beyond range"};
        want = *rounded;
      }
      if (s->cap && want > *s->cap) want = *s->cap;
      wanted.push_back(want);
      if (s->free > want) {
        const Decimal excess = s->free.sub(want).value();
        plan.transfers.push_back({s->id, main.id, excess});
        auto grown = main_free.add(excess);  // within the family's total: in range
        if (!grown) return Fail{name(main.id) + ": balance beyond range"};
        main_free = *grown;
      }
    }
    // 3. Top-ups from the main account, above min_main_balance.
    for (std::size_t i = 0; i < subs.size(); ++i) {
      const RebalanceAccount& s = *subs[i];
      if (!(wanted[i] > s.free)) continue;
      const Decimal need = wanted[i].sub(s.free).value();
      const Decimal spare = main_free > rules.min_main_balance
                                ? main_free.sub(rules.min_main_balance).value()
                                : Decimal{};
      const Decimal give = std::min(need, spare);
      if (give.is_positive()) {
        plan.transfers.push_back({main.id, s.id, give});
        main_free = main_free.sub(give).value();
      }
      if (give < need) {
        plan.refused.push_back({main.id, s.id, need.sub(give).value(),
                                "would leave " + name(main.id) + " under min_main_balance " +
                                    rules.min_main_balance.to_string()});
      }
    }
  }
  return plan;
}

}  // namespace oms::actors
