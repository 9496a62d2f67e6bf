// OrderDesk: one venue account's orders, balances and positions, as a pure core. Everything the
// account decides lives here -- the duplicate check, the balance check and its locks, the one
// OrderCore per order (nobody else keeps a copy), cancels and amends, lost acks, the ack timer,
// the reconciliation after a restart, the resend of an order the venue never saw -- and the shell
// (the engine's shard) only moves inputs and outputs.
//
// Pure: no I/O, no threads, no clock reads, no logging. Two halves:
//   decide: `DeskDecision on_*(input, now) const` -- never changes the desk. A decision is a list
//           of event groups (the events one input causes, event_group.hpp) with what follows
//           each once committed (venue requests), plus the command's answer;
//   apply:  `apply(group, committed, now)` folds the committed events and says what the shell
//           must start (ack timers, risk notes); `apply(event)` folds a stored event (rebuild);
//           `finish(decision)` takes the decision's bookkeeping (the reconciliation's progress).
// The shell commits a group (intent log, then the store) before it applies it, so the desk never
// runs ahead of the journal; a group the store refused is not applied and the command's answer
// becomes the store's refusal.
//
// External orders: an order another client placed on the account reaches the desk as its
// description (ExternalOrderFound, sent by the connector before the order's updates); the desk
// records it when it does not know the client order id (never for an id in omsd's own form for
// this account), and the order then lives here like one of ours, marked external (OrderCore::
// external): fills, balances, positions and risk count it; cancel-all passes it over; only a
// cancel or amend naming it touches it.
//
// Timers are inputs: a group that leaves an order waiting for the venue (sent, cancel or amend
// requested, unknown) makes apply() ask for that order's ack timer at `now + ack_timeout`, named
// by the order's generation (it moves with every event of the order); on_timer() of a timer
// whose generation is still the order's decides an OrderAckTimedOut and a status query. While the
// venue stays silent each next wait doubles (1, 2, 4, 8, then 16 ack timeouts): a slow venue is
// not asked ever more often (a storm of queries would slow it further). Time and ids are
// arguments, so replay decides the same.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "oms/cores/account_core.hpp"
#include "oms/cores/event_group.hpp"
#include "oms/cores/order_core.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/cores/risk_core.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/venue_report.hpp"

namespace oms::actors {

// Refusals of a command that no core gave (the cores' own: risk 2xxx, order 3001-3006,
// account 70xx, store 5xxx).
enum class CommandCode : std::uint16_t {
  kRiskUnavailable = 2000,        // no risk decision could be had
  kUnknownClientOrderId = 3007,   // cancel/amend of an order the account does not have
  kNoCommandId = 3008,            // a command must carry an id (idempotency)
  kNotAnAccountCommand = 3009,    // the account cannot run this command
  kNoSuchAccount = 3010,          // no running account has that id
  kEngineBusy = 3011,             // the engine's input ring is full: nothing done, retry
  kOrderRetired = 3012,           // the order closed and left memory (retention): in the store
  kResendTooLate = 3013,          // lost in a crash before it left, found past its time to live:
                                  // not sent now (an OrderRejected's code)
  kBatchOtherAccount = 3014,      // a batch's order names another account than the batch
  kResendUnpriced = 3018,         // lost in a crash before it left, and no market price came
                                  // since the restart to check it at: not sent (OrderRejected)
  // 3015, 3016: a transfer the venue refused / found nowhere after every send (transfer_saga.hpp);
  // 3017: a transfer not recorded (omsd/transfer_service.hpp)
  kStoreBacklog = 3160,           // the intent log is past its new-order limit (the store is
                                  // down or behind): nothing done, the reason says how full
  // 3161: a Binance order lane full (BinanceConfig::max_queued_requests; the connector's code)
  kHeldTooLong = 3162,            // held while its account reconciled with the venue, which had
                                  // not answered within kHeldCommandLimit: nothing done
  kNoSuchStrategy = 8002,         // no running strategy has that id
};

// The answer to a command.
struct CommandAck {
  bool accepted = false;       // committed (or already known: duplicate)
  bool duplicate = false;      // nothing committed: the account already had it
  std::uint16_t code = 0;      // 2xxx risk, 3xxx order, 5xxx store, 70xx account when refused
  std::string message;         // why refused
  OrderStatus status = OrderStatus::kInitialized;  // the order's status after the command
};

// A read-only copy of the account's state, for views, tests and the gateway.
struct OrderView {
  OrderCore core;
  std::uint64_t events = 0;
};
// What the health page counts of an account's orders in memory (OrderDesk::summary): counted on
// the shard, nothing of the orders copied.
struct OrderTally {
  std::map<OrderStatus, std::uint64_t> by_status;
  std::map<std::uint16_t, std::uint64_t> rejects_by_code;  // rejected orders by their last error's code
  std::uint64_t fills = 0;  // trades of the orders in memory
  std::uint64_t open = 0;   // orders not ended (submitted up to partly filled, pending, unknown)
  friend bool operator==(const OrderTally&, const OrderTally&) = default;
};

struct AccountView {
  AccountId account;
  std::string name;
  std::vector<OrderView> orders;  // by client order id order
  std::vector<Balance> balances;  // AccountCore: spot free/locked, futures wallet
  std::vector<FuturesPosition> futures;
  std::vector<PositionCore::Leg> positions;  // PositionCore: net position and PnL per instrument
  static constexpr std::size_t kRecentFills = 10'000;
  std::vector<FillReceived> recent_fills;  // the account's last kRecentFills fills, oldest first
  std::uint64_t events_committed = 0;  // since start
  std::uint64_t events_rebuilt = 0;    // stream records folded at start after the snapshot
  std::uint64_t orders_retired = 0;    // closed orders that left memory since start
  std::uint64_t torn_groups_skipped = 0;
  std::uint64_t duplicate_inputs = 0;      // inputs already committed, dropped before the cores
  std::uint64_t account_refusals = 0;      // events AccountCore refused (logged)
  std::uint64_t last_stream_sequence = 0;  // the stream sequence the last snapshot covered
  // A summary (OrderDesk::summary): orders and recent_fills left empty, their counts here.
  bool summary = false;
  OrderTally tally;
};

// ---- what the desk asks of its shell ------------------------------------------------------------
// A status query: the venue answers with an OrderStatusReconciled report (kRejected without a
// venue order id when it does not know the client order id).
struct OrderQuery {
  AccountId account;
  InstrumentId instrument;
  ClientOrderIdText client_order_id;
  friend bool operator==(const OrderQuery&, const OrderQuery&) = default;
};
// For the venue session, in the order given.
using VenueRequest = std::variant<OrderSubmitted, CancelOrder, AmendOrder, OrderQuery>;

// One order's ack timer: fire at `due` with the order's generation of when it was armed.
struct OrderTimer {
  ClientOrderIdText client_order_id;
  std::uint64_t generation = 0;
  TimeNs due = 0;
  friend bool operator==(const OrderTimer&, const OrderTimer&) = default;
};

// What the pre-trade risk core must hear: an order it counted open ended, a fill, or a
// rejected order the venue's evidence brought back to life (open again).
struct RiskNote {
  enum class Kind : std::uint8_t { kOrderClosed, kFill, kOrderOpened };
  Kind kind = Kind::kOrderClosed;
  AccountId account;
  StrategyId strategy;
  InstrumentId instrument;
  RiskFill fill;       // kFill; its fee as charged, in fee_asset (the engine values it, price_fee)
  AssetCode fee_asset;
};

// The events one input causes, committed as one group, and what leaves once they are.
struct DeskGroup {
  Envelope cause;                      // the group's event ids derive from cause.id
  TimeNs event_time = 0;               // the venue's time; 0: ours
  std::vector<EventPayload> events;    // at most kMaxGroupEvents; empty: requests only
  std::vector<VenueRequest> requests;  // to the venue, after the commit, in this order
  std::vector<RiskNote> risk;          // to risk, after the commit
  // Bookkeeping apply() takes with the group.
  std::optional<ClientOrderIdText> opened_for_risk;  // risk counted this order open
  std::optional<ClientOrderIdText> resend_if_unknown;  // rebuilt unanswered: resend if unknown
  std::optional<ClientOrderIdText> resent;             // sent again after a restart
  std::optional<ClientOrderIdText> answered;           // clears resend_if_unknown
  std::optional<ClientOrderIdText> arm_timer;  // (re)arm its ack timer if it awaits the venue
};

// Why a report changed nothing (the shell logs it; nothing else happens).
enum class ReportNote : std::uint8_t {
  kNone,
  kDuplicate,       // its group is already committed (a reconnect, a status query)
  kUnmatched,       // names a client order id this account does not have
  kRefusedByOrder,  // the order core refused it (detail says why)
  kIgnored,         // a duplicate fill, or a stale report a terminal state absorbs
  kInDoubt,         // the venue does not know an order it never answered, younger than its
                    // time to live: not committed, asked again later (detail says which)
  kExternal,        // committed: an order another client placed on the account (detail)
};

struct DeskDecision {
  std::vector<DeskGroup> groups;
  std::optional<CommandAck> ack;          // commands: the answer once every group is committed
  std::vector<RiskNote> risk_on_failure;  // when a group is refused by the store
  std::optional<std::string> reconciled;  // this status answer ends the order's reconciliation
  std::set<std::string, std::less<>> reconciling;  // on_reconcile(): the queries now out
  ReportNote note = ReportNote::kNone;
  std::string detail;  // for the log
};

// What apply() asks the shell to start.
struct DeskEffects {
  std::vector<OrderTimer> timers;
  std::vector<RiskNote> risk;
};

struct OrderDeskConfig {
  AccountId account;
  std::string name;                              // the configured name (views, messages)
  const InstrumentTable* instruments = nullptr;  // shared, outlives the desk
  TimeNs ack_timeout = 5'000'000'000;            // send/cancel/amend -> answer, else a query
  // An order the venue never answered and, when asked, does not know (Binance -2013) stays in
  // doubt this long after it was submitted: a send that timed out at the venue (-1007, a 5xx)
  // may still execute, so the answer is not taken as a rejection -- the desk asks again, each
  // time later (the ack timer's backoff). Past it the answer rejects the order (a fill that
  // still comes is kept: OrderCore). Zero: the first such answer rejects it.
  TimeNs in_doubt_ttl = 0;
};

class OrderDesk {
 public:
  explicit OrderDesk(OrderDeskConfig config);

  // ---- decide (const) ----
  // Does this command need a pre-trade risk decision (a SubmitOrder of a new client order id)?
  [[nodiscard]] bool needs_risk(const Command& command) const;
  // SubmitOrder (with risk's decision; ignored for a duplicate), CancelOrder, AmendOrder,
  // CancelAllOrders (of omsd's own orders: an external order is canceled only by a CancelOrder
  // naming it). Anything else is refused with 3009.
  [[nodiscard]] DeskDecision on_command(const Command& command, const RiskDecision* risk,
                                        TimeNs now) const;
  // resend_risk: the fresh risk check of an order this report makes the desk resend
  // (resend_of); without one the order is resent unchecked.
  [[nodiscard]] DeskDecision on_report(const VenueReport& report, TimeNs now,
                                       const RiskDecision* resend_risk = nullptr) const;
  // The order this report would resend -- rebuilt before any answer, the venue does not know
  // it, and younger than its time to live (in_doubt_ttl; zero: no limit): the shell checks it
  // with risk at today's marks and hands the decision to on_report. nullopt: none.
  [[nodiscard]] std::optional<OrderSubmitted> resend_of(const VenueReport& report, TimeNs now) const;
  // A resend due (resend_of) that no market price came to check before the shell stopped
  // waiting for one (the marks risk holds after a restart are the last fills', not today's): it
  // ends rejected (kResendUnpriced) with the reason, and this answer ends its reconciliation. A
  // report that makes no resend goes to on_report.
  [[nodiscard]] DeskDecision refuse_unpriced_resend(const VenueReport& report, TimeNs now) const;
  [[nodiscard]] DeskDecision on_timer(const OrderTimer& timer, TimeNs now) const;
  // After a rebuild: every live order is asked for, in the order it was submitted; an order
  // never answered is marked unknown (journaled) and resent if the venue does not know it.
  [[nodiscard]] DeskDecision on_reconcile(TimeNs now) const;

  // ---- apply ----
  // The group's events were committed as `committed` (same order, with their envelopes).
  DeskEffects apply(const DeskGroup& group, std::span<const Event> committed, TimeNs now);
  // A stored event (rebuild). Returns AccountCore's refusal, if any (the desk counts it).
  std::optional<AccountError> apply(const Event& event);
  // The decision's bookkeeping (after its groups): true when this ended the reconciliation.
  bool finish(const DeskDecision& decision);
  // The bounded wait for the reconciliation's answers is over: stop waiting (the orders' own
  // ack timers keep asking).
  void abandon_reconciliation() noexcept { reconciling_.clear(); }

  // ---- read ----
  [[nodiscard]] bool reconciling() const noexcept { return !reconciling_.empty(); }
  [[nodiscard]] std::size_t reconciling_count() const noexcept { return reconciling_.size(); }
  // The order's status; nullopt for an unknown client order id.
  [[nodiscard]] std::optional<OrderStatus> status(std::string_view client_order_id) const;
  [[nodiscard]] const OrderCore* order(std::string_view client_order_id) const;
  [[nodiscard]] bool seen(EventId report_id) const { return recent_.contains(group_key(report_id)); }
  [[nodiscard]] const AccountCore& account() const noexcept { return account_; }
  [[nodiscard]] const PositionCore& positions() const noexcept { return positions_; }
  [[nodiscard]] AccountId id() const noexcept { return config_.account; }
  [[nodiscard]] const std::string& name() const noexcept { return config_.name; }
  // Orders, balances, positions and the recent fills; counters are the shell's to fill in.
  [[nodiscard]] AccountView view() const;
  // The view without the orders and the recent fills, their counts in `tally` instead: what a
  // once-a-second health refresh of every account asks, at the cost of a walk, not a copy.
  [[nodiscard]] AccountView summary() const;
  [[nodiscard]] std::uint64_t account_refusals() const noexcept { return account_refusals_; }
  // The highest sequence among this desk's own strategy client order ids (format_client_order_id
  // with this desk number) of the orders it has held, retired ones included; 0: none. A strategy
  // stage continues after it.
  [[nodiscard]] std::uint64_t last_strategy_sequence(std::uint16_t desk) const;
  [[nodiscard]] std::size_t order_count() const noexcept { return orders_.size(); }
  // Each order not yet terminal, in client order id order.
  template <class F>
  void for_each_live(F&& f) const {
    for (const auto& [id, o] : orders_) {
      if (!is_terminal(o.core.status())) f(o.core);
    }
  }
  // At a start, risk counts every live order open (its ends are then heard): f(core) for each
  // live order risk did not count yet, which it then does.
  template <class F>
  void count_live_for_risk(F&& f) {
    for (auto& [id, o] : orders_) {
      if (is_terminal(o.core.status()) || o.risk_open) continue;
      o.risk_open = true;
      f(o.core);
    }
  }
  // Risk counts the order open (a live order at the start's fold, a resend, or risk's pass).
  [[nodiscard]] bool counted_open(std::string_view client_order_id) const {
    const Order* o = find(client_order_id);
    return o != nullptr && o->risk_open;
  }
  // The client order id belonged to an order that closed and left memory (recognised while its
  // key is in the window of recent keys).
  [[nodiscard]] bool retired(std::string_view client_order_id) const;

  // ---- memory ----
  // Closed orders leave memory: every order terminal for at least `retention` at `now` (by the
  // time of the event that closed it), with every fill the venue reported folded and no
  // reconciliation waiting on it. Its events stay in the store; its client order id stays
  // recognised for a while (retired()). Returns how many left. Deterministic in (state, now):
  // the shell calls it from a recorded step.
  std::size_t retire_closed(TimeNs now, TimeNs retention);

  // ---- compacted state (snapshots) ----
  // Everything the desk holds but the run-local bookkeeping (risk's open count, a
  // reconciliation in progress), as bytes (state_codec.hpp) under these names.
  // 2: orders keep their ack timeouts; 3: and when they were submitted (the in-doubt time);
  // 4: and the fees of their fills; 5: Decimals are 128-bit at 1e-9; 6: orders say whether
  // they are external (OrderCore::external)
  static constexpr std::uint32_t kStateVersion = 6;
  [[nodiscard]] std::string save(const Directory& names) const;
  void save(StateWriter& w) const;  // the same into a larger state
  // Replaces the state with a saved one (ids mapped by name onto `names`). On error -- naming
  // what could not be read -- the desk is unchanged.
  [[nodiscard]] std::optional<std::string> load(std::string_view bytes, const Directory& names);
  // The same from a larger state (its reader: an error is also kept there).
  [[nodiscard]] std::optional<std::string> load(StateReader& r);
  // The run-local bookkeeping save() leaves out (the engine's checkpoints, which continue a
  // run rather than start one): which orders risk counts open, which may be resent if the venue
  // lacks them, the status queries of a reconciliation in progress, the closed orders in the
  // order they leave memory. load_run() follows load() of the same checkpoint.
  void save_run(StateWriter& w) const;
  [[nodiscard]] std::optional<std::string> load_run(StateReader& r);
  // Same state (not the configuration, not the run-local bookkeeping).
  friend bool operator==(const OrderDesk& a, const OrderDesk& b);

 private:
  struct Order {
    OrderCore core;
    OrderSubmitted submitted;        // as committed: what a resend sends again
    std::uint64_t events = 0;        // folded
    std::uint64_t first_seq = 0;     // global sequence of its first event
    TimeNs submitted_at = 0;         // init time of its OrderSubmitted (the in-doubt clock)
    std::uint64_t generation = 0;    // moves with every event: an older timer is moot
    TimeNs closed_at = 0;            // init time of the event that made it terminal
    // Ack timeouts in a row since the venue last answered: each waits twice as long as the one
    // before (up to 16 ack timeouts), so a slow venue is not asked ever more often.
    std::uint32_t ack_timeouts = 0;
    bool risk_open = false;          // counted open by this run's risk core
    bool resend_if_unknown = false;  // rebuilt before any answer: resend if the venue lacks it
    friend bool operator==(const Order&, const Order&) = default;
  };

  // whole: the bytes end with the state.
  [[nodiscard]] std::optional<std::string> load(StateReader& r, bool whole);
  [[nodiscard]] DeskDecision on_submit(const Command& command, const SubmitOrder& order,
                                       const RiskDecision* risk) const;
  // Cancel or amend of one order; nullopt group when refused (ack says why).
  [[nodiscard]] std::optional<DeskGroup> order_request(const Envelope& cause,
                                                       const CommandPayload& request,
                                                       CommandAck& ack) const;
  // ExternalOrderFound: recorded when the desk does not know the order (known: it does, or it
  // retired it); g carries the report's cause.
  [[nodiscard]] DeskDecision on_external(const ExternalOrderFound& e, DeskGroup g, bool known) const;
  // Folds one event into the cores and the order; the order it names, if any.
  Order* fold(const Event& e, std::optional<AccountError>& refusal);
  // The order with this client order id, or null: a hash lookup (index_).
  [[nodiscard]] Order* find(std::string_view client_order_id) const;

  // A hash index over orders_ (std::map's nodes never move): every input's lookup costs a hash
  // and one compare, not a walk of string compares down the tree. orders_ stays the ordered
  // home (views, snapshots and cancel-all go in id order). A copied desk's index starts empty
  // and is rebuilt at its first lookup; a moved one keeps it (the nodes move with the map).
  struct OrderIndex {
    std::unordered_map<std::string_view, Order*> by_id;
    OrderIndex() = default;
    OrderIndex(const OrderIndex&) noexcept {}
    OrderIndex& operator=(const OrderIndex&) noexcept {
      by_id.clear();
      return *this;
    }
    OrderIndex(OrderIndex&&) noexcept = default;
    OrderIndex& operator=(OrderIndex&&) noexcept = default;
    ~OrderIndex() = default;
  };

  OrderDeskConfig config_;
  AccountCore account_;
  PositionCore positions_;
  RecentGroups recent_;
  std::map<std::string, Order, std::less<>> orders_;  // by client order id
  mutable OrderIndex index_;                          // over orders_
  std::deque<FillReceived> recent_fills_;
  std::set<std::string, std::less<>> reconciling_;  // status queries out after a rebuild
  std::uint64_t account_refusals_ = 0;
  // Highest strategy client order id sequence per desk number (last_strategy_sequence).
  std::map<std::uint16_t, std::uint64_t> strategy_sequences_;
  // Orders in the order they closed, with when (retire_closed takes them from the front).
  std::deque<std::pair<TimeNs, ClientOrderIdText>> closing_;
};

// The order is waiting for the venue's answer (its ack timer runs).
[[nodiscard]] constexpr bool awaits_venue(OrderStatus s) noexcept {
  return s == OrderStatus::kSubmitted || s == OrderStatus::kPendingCancel ||
         s == OrderStatus::kPendingAmend || s == OrderStatus::kUnknown;
}

// The venue (or risk, or the ack timer) has answered the order: it left the pending states.
[[nodiscard]] constexpr bool answered(OrderStatus s) noexcept {
  return s != OrderStatus::kInitialized && s != OrderStatus::kPendingSubmit &&
         s != OrderStatus::kSubmitted;
}

}  // namespace oms::actors
