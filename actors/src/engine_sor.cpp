// The engine's smart-routed parent orders (smart_router.hpp), run in the strategy stage like the
// execution algos (engine_algos.cpp). A SubmitSor command is split at once from the engine's own
// state -- each venue's book for the pair (the BookStage, live and uncrossed only), its taker
// fee (EngineOptions::taker_fees), each account's free balance (its desk) and the risk limits
// for one order (the RiskLimitTable, every scope) -- and the order budgets the command carries
// (the connectors' buckets are not engine state): a replay of the recorded inputs splits the
// same way. The parent's first step (SorStep, STRATEGIES) is recorded before its children take
// the one order path (issue_quotes: risk, desk, journal, venue); each child's end comes back
// through the strategy stage's order news and is a step; ControlAlgo kCancel with the parent's
// id cancels the children still out. A restart resumes the open parents from their last steps;
// a child that ended while the engine was down is read from its desk at the first step.
#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "oms/messages/client_order_id.hpp"
#include "oms/messages/subjects.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

EventId sor_step_id(const SorStep& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::uint64_t v : {static_cast<std::uint64_t>(s.account.index()), s.parent,
                                static_cast<std::uint64_t>(s.number)}) {
    h = (h ^ v) * 1099511628211ULL;
  }
  return h ^ 0x50b0000000000000ULL;
}

// As the algos: ended once nothing more fills it and its fills are all in.
bool child_ended(const OrderCore* o) {
  return o == nullptr || (is_terminal(o->status()) && o->fill_gap().is_zero());
}

SorChildFill fill_of(const OrderCore* o) {
  if (o == nullptr) return {};
  return SorChildFill{o->cum_qty(), o->notional_e18()};
}

CommandAck refused(std::uint16_t code, std::string why) {
  return CommandAck{false, false, code, std::move(why), {}};
}

}  // namespace

bool Engine::Impl::commit_sor(const SorStep& st, EventId cause) {
  const EventPayload group[] = {st};
  auto c = log.commit(Envelope{sor_step_id(st), 0, step_now, step_now, cause, cause}, group, step_now);
  if (!c) {
    spdlog::error("sor parent {} step {} ({}) not recorded: {}", st.parent, st.number,
                  enum_name(st.state), c.error().store.message);
    return false;
  }
  return true;
}

// ---- the split --------------------------------------------------------------------------------

void Engine::Impl::sor_command(const Command& cmd, const std::shared_ptr<Reply>& reply) {
  const auto answer = [&](CommandAck ack) {
    if (reply) {
      reply->ack = std::move(ack);
      reply->finish();
    }
  };
  const auto& c = std::get<SubmitSor>(cmd.payload);
  if (account(c.account) == nullptr) {
    return answer(refused(static_cast<std::uint16_t>(CommandCode::kNoSuchAccount),
                          "no account " + std::to_string(c.account.index()) + " runs in this engine"));
  }
  if (!c.strategy.valid() || c.strategy.index() >= strategy_cores.size()) {
    return answer(refused(static_cast<std::uint16_t>(CommandCode::kNoSuchStrategy),
                          "strategy: a parent's children carry its strategy; none known given"));
  }
  const InstrumentAssets* home = instruments.find(c.instrument);
  if (home == nullptr) {
    return answer(refused(static_cast<std::uint16_t>(SorError::kNoVenue), "instrument: not known here"));
  }
  const std::uint64_t id = c.parent != 0 ? c.parent : cmd.envelope.id;
  for (const OpenSor& os : sors) {
    if (os.order.id() == id) return answer(CommandAck{true, true, 0, "parent " + std::to_string(id) + " exists", {}});
  }
  for (const SorStep& s : ended_sors) {
    if (s.parent == id) return answer(CommandAck{true, true, 0, "parent " + std::to_string(id) + " exists", {}});
  }
  // The consolidated book: every instrument of the same pair and market with a usable book,
  // in instrument order (the split's ties go to the first), and the accounts trading there.
  std::array<std::array<PriceLevel, kSorDepth>, kMaxSorVenues> depth;
  std::array<std::array<SorAccount, kMaxSorAccounts>, kMaxSorVenues> venue_accounts;
  std::array<SorVenue, kMaxSorVenues> venues;
  std::size_t n = 0;
  const BookSide side = c.side == Side::kBuy ? BookSide::kAsk : BookSide::kBid;
  const RiskLimitTable& limits = risk->limits();
  const auto limit_of = [&](LimitKind k, AccountId a, InstrumentId i) {
    std::int64_t v = limits.get(LimitScope::kGlobal, 0, k);
    v = std::min(v, limits.get(LimitScope::kAccount, a.value, k));
    v = std::min(v, limits.get(LimitScope::kStrategy, c.strategy.value, k));
    v = std::min(v, limits.get(LimitScope::kInstrument, i.value, k));
    return v == kNoLimit ? Decimal{} : Decimal::from_raw(v);
  };
  for (std::size_t k = 0; k < options.books.size() && k < instruments.size(); ++k) {
    const InstrumentId ins_id(static_cast<std::uint32_t>(k));
    const InstrumentAssets* ins = instruments.find(ins_id);
    if (ins == nullptr || ins->canonical != home->canonical || ins->market != home->market) continue;
    const BookCore& b = book.book(ins_id);
    if (b.state() != BookState::kLive || b.crossed()) continue;
    std::size_t accounts_here = 0;
    for (std::size_t j = 0; j < c.accounts.count && accounts_here < kMaxSorAccounts; ++j) {
      const SorBudget& budget = c.accounts.items[j];
      const Account* a = account(budget.account);
      if (a == nullptr || a->cfg.exchange != ins->exchange) continue;
      // What the parent spends: spot buy the quote, sell the base; futures the settle asset.
      const AssetCode& asset = ins->market != Market::kSpot ? ins->settle
                               : c.side == Side::kBuy       ? ins->quote
                                                            : ins->base;
      const Balance* bal = a->desk->account().balance(ins->market, asset);
      SorAccount& sa = venue_accounts[n][accounts_here++];
      sa = SorAccount{budget.account, ins_id, bal == nullptr ? Decimal{} : bal->free, budget.orders_left,
                      limit_of(LimitKind::kOrderQuantity, budget.account, ins_id),
                      limit_of(LimitKind::kOrderNotional, budget.account, ins_id)};
    }
    if (accounts_here == 0) continue;
    if (n == kMaxSorVenues) break;
    const std::size_t levels = b.depth(side, depth[n]);
    venues[n] = SorVenue{BookVenue{ins->exchange, ins->market},
                         std::span<const PriceLevel>(depth[n].data(), levels),
                         k < options.taker_fees.size() ? options.taker_fees[k] : Decimal{},
                         algo_rules(ins_id),
                         std::span<const SorAccount>(venue_accounts[n].data(), accounts_here)};
    ++n;
  }
  if (n == 0) {
    return answer(refused(static_cast<std::uint16_t>(SorError::kNoVenue),
                          "instrument: no venue here lists " + home->canonical +
                              " with a live book and an account of the parent's"));
  }
  SorPlan plan;
  if (auto r = plan_split(sor_parent(c), std::span<const SorVenue>(venues.data(), n), plan); !r) {
    return answer(refused(static_cast<std::uint16_t>(r.error().code), r.error().why));
  }
  std::vector<QuoteAction> actions;
  auto made = SmartOrder::start(c, id, plan, options.desk, signal.sequence(), actions);
  if (!made) return answer(refused(static_cast<std::uint16_t>(made.error().code), made.error().why));
  if (!commit_sor(made->step(), cmd.envelope.id)) {
    return answer(refused(static_cast<std::uint16_t>(CommandCode::kNotAnAccountCommand),
                          "its first step could not be recorded"));
  }
  sors.push_back(OpenSor{std::move(made).value(), false});
  spdlog::info("sor parent {}: {} {} {} over {} venues: {}", id, enum_name(c.side), c.quantity.to_string(),
               home->canonical, n, sors.back().order.step().reason.view());
  answer(CommandAck{true, false, 0,
                    "parent " + std::to_string(id) + ": " + std::string(sors.back().order.step().reason.view()), {}});
  issue_quotes(actions, cmd.envelope.id, c.strategy);
}

// ---- children, cancels ------------------------------------------------------------------------

bool Engine::Impl::sor_control(const ControlAlgo& c, EventId cause, const std::shared_ptr<Reply>& reply) {
  const auto answer = [&](CommandAck ack) {
    if (reply) {
      reply->ack = std::move(ack);
      reply->finish();
    }
  };
  for (std::size_t i = 0; i < sors.size(); ++i) {
    SmartOrder& o = sors[i].order;
    if (o.id() != c.algo || o.step().account != c.account) continue;
    if (c.action != AlgoAction::kCancel) {
      answer(refused(static_cast<std::uint16_t>(CommandCode::kNotAnAccountCommand),
                     "a smart-routed parent's children are IOC: cancel only"));
      return true;
    }
    std::vector<QuoteAction> actions;
    if (auto r = o.cancel(actions); !r) {
      answer(refused(static_cast<std::uint16_t>(r.error().code), r.error().why));
      return true;
    }
    answer(CommandAck{true, false, 0, {}, {}});
    sor_stepped(i, actions, cause);
    return true;
  }
  for (const SorStep& s : ended_sors) {
    if (s.parent == c.algo && s.account == c.account) {
      answer(refused(static_cast<std::uint16_t>(SorError::kNotRunning),
                     "parent " + std::to_string(c.algo) + " has ended (" + std::string(enum_name(s.state)) + ")"));
      return true;
    }
  }
  return false;
}

bool Engine::Impl::sor_child(std::string_view client_order_id) const {
  for (const OpenSor& os : sors) {
    if (os.order.owns(client_order_id)) return true;
  }
  return false;
}

bool Engine::Impl::sor_news(const OrderNews& n) {
  for (std::size_t i = 0; i < sors.size(); ++i) {
    SmartOrder& o = sors[i].order;
    if (!o.owns(n.id.view())) continue;
    const Account* acc = account(n.account);
    const OrderCore* core = acc == nullptr ? nullptr : acc->desk->order(n.id.view());
    if (!child_ended(core)) return true;
    std::vector<QuoteAction> none;
    if (o.on_child_end(n.id.view(), fill_of(core))) sor_stepped(i, none, 0);
    return true;
  }
  return false;
}

void Engine::Impl::sor_stepped(std::size_t index, std::vector<QuoteAction>& actions, EventId cause) {
  const SmartOrder& o = sors[index].order;
  (void)commit_sor(o.step(), cause);  // refused: logged; the cancels still go
  const StrategyId strategy = o.step().strategy;
  if (is_terminal(o.status()) && o.done()) {
    spdlog::log(o.status() == AlgoState::kCompleted ? spdlog::level::info : spdlog::level::warn,
                "sor parent {} {}: {} of {} filled at avg {}", o.id(), enum_name(o.status()),
                o.cum_qty().to_string(), o.step().quantity.to_string(), o.avg_price().to_string());
    ended_sors.push_back(o.step());
    if (ended_sors.size() > kEndedAlgosKept) ended_sors.pop_front();
    sors.erase(sors.begin() + static_cast<std::ptrdiff_t>(index));
  }
  if (!actions.empty()) issue_quotes(actions, cause, strategy);
}

std::vector<SorStep> Engine::Impl::sor_views() const {
  std::vector<SorStep> out;
  for (const OpenSor& os : sors) out.push_back(os.order.step());
  out.insert(out.end(), ended_sors.begin(), ended_sors.end());
  return out;
}

// ---- restart ----------------------------------------------------------------------------------

void Engine::Impl::sor_resumed(TimeNs) {
  if (!sor_check) return;
  sor_check = false;
  for (std::size_t i = 0; i < sors.size();) {
    const std::size_t before = sors.size();
    if (sors[i].check_desk) {
      sors[i].check_desk = false;
      const SorStep st = sors[i].order.step();
      for (std::size_t k = 0; k < st.children.count && sors.size() == before; ++k) {
        const SorChildStep& c = st.children.items[k];
        if (c.ended) continue;
        const Account* acc = account(c.account);
        const OrderCore* core = acc == nullptr ? nullptr : acc->desk->order(c.client_order_id.view());
        if (!child_ended(core)) continue;
        std::vector<QuoteAction> none;
        if (sors[i].order.on_child_end(c.client_order_id.view(), fill_of(core))) sor_stepped(i, none, 0);
      }
    }
    if (sors.size() == before) ++i;
  }
}

void Engine::Impl::rebuild_sors() {
  const Directory& directory = log.subjects().directory();
  std::map<std::pair<std::uint32_t, std::uint64_t>, SorStep> last;  // (account, parent) -> last step
  for (std::size_t i = 0; i < strategy_cores.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    if (strategy_slots[i].elsewhere) continue;  // another daemon's
    read_events(store,
                persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                         "strategies." + escape_token(directory.strategies.name(id)) + ".sor"},
                directory, [&](const Event& e) {
                  if (const auto* s = std::get_if<SorStep>(&e.payload)) {
                    auto& slot = last[{s->account.value, s->parent}];
                    if (s->number >= slot.number) slot = *s;
                    // Its children's ids (a crash before one went included): never drawn again.
                    for (std::size_t k = 0; k < s->children.count; ++k) {
                      const auto p = parse_client_order_id(s->children.items[k].client_order_id.view());
                      if (p && p->desk == options.desk) signal.observe_sequence(p->sequence);
                    }
                  }
                  log.observe_global_seq(e.envelope.global_seq);
                });
  }
  for (const auto& [key, step] : last) {
    if (account(step.account) == nullptr) continue;  // another engine's
    SmartOrder o(step);
    if (o.done()) {
      ended_sors.push_back(step);
      if (ended_sors.size() > kEndedAlgosKept) ended_sors.pop_front();
      continue;
    }
    sors.push_back(OpenSor{o, true});
    sor_check = true;
    spdlog::warn("sor parent {} resumed ({}: {})", step.parent, enum_name(step.state), step.reason.view());
  }
}

}  // namespace oms::actors
