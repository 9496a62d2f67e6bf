// The hot path (DESIGN.md "Hot path"), wired in one place. Five stages, each a pure core:
//
//   1. book     Event (BookSnapshot / BookDelta)  -> BookCore per instrument -> TopOfBook
//   2. signal   TopOfBook -> ArbSignal (cross-venue, fees folded in)         -> OrderIntent
//               Command (SubmitOrder from the gateway / strategies)          -> OrderIntent
//   3. risk     OrderIntent -> RiskCore check; a pass becomes an OrderSubmitted appended to the
//               intent log (durable before it leaves)                         -> RiskedOrder
//               a refusal becomes an OrderRejected for the shell              -> rejects ring
//   4. encode   RiskedOrder -> the venue's wire bytes (Encoder)               -> WireOrder
//   5. session  WireOrder -> the venue session's send (Sink)
//
// Two shells run the same cores:
// - InlinePipeline: one thread, no rings -- replay, backtests, and the latency floor;
// - ThreadedPipeline: a thread per stage, bounded SPSC rings between them, each thread pinned
//   to a configured CPU, busy-polling or spin-then-park (stage.hpp).
// Everything on the path is fixed-size and trivially copyable; nothing allocates per message.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oms/actors/book_core.hpp"
#include "oms/actors/risk_core.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/events.hpp"
#include "oms/persistence/intent_log.hpp"

namespace oms::actors {

// ---- messages between stages -----------------------------------------------------------------
struct TopOfBook {
  InstrumentId instrument;
  std::uint64_t update_id = 0;
  Decimal bid, bid_qty, ask, ask_qty;  // zero when the side is empty
  TimeNs time = 0;                     // when the update entered the pipeline
};

struct OrderIntent {
  SubmitOrder order;
  Decimal reference;  // mark / mid for the price band; zero = none
  EventId cause = 0;  // the command or the book update that led to it
  TimeNs time = 0;    // when its input entered the pipeline
};

struct RiskedOrder {
  Event submitted;  // OrderSubmitted with its envelope (as in the intent log)
  TimeNs time = 0;
};

struct RiskRejection {
  Event rejected;  // OrderRejected: code = the risk code, reason = the numbers
  RiskDecision decision;
};

inline constexpr std::size_t kMaxWireBytes = 480;
struct WireOrder {
  AccountId account;
  InstrumentId instrument;
  std::uint16_t size = 0;
  std::array<char, kMaxWireBytes> bytes{};
  TimeNs time = 0;
  [[nodiscard]] std::string_view view() const noexcept { return {bytes.data(), size}; }
};

// ---- stage 1: books ----------------------------------------------------------------------------
class BookStage {
 public:
  // One book per instrument id (dense); sequencing per instrument.
  explicit BookStage(std::span<const BookCoreConfig> books);
  // Applies a book event; emits the top of book when a message completed and the book is live.
  // Other events are ignored (0). A book that needs a resync emits nothing until resynced
  // (the shell sees it through book(i).state()).
  std::size_t on(const Event& e, TimeNs now, std::span<TopOfBook> out);
  [[nodiscard]] const BookCore& book(InstrumentId i) const { return books_.at(i.index()); }

 private:
  std::vector<BookCore> books_;
};

// ---- stage 2: signal ---------------------------------------------------------------------------
// Cross-venue arbitrage detection: instruments of a group are the same asset pair on several
// venues; when one venue's bid, taker fee deducted, exceeds another's ask, fee added, by at
// least min_edge (a price difference), emit an IOC buy on the cheap venue and an IOC sell on
// the rich one for the smaller top quantity, clipped to max_quantity. Hedging, partial-fill
// handling and rollback belong to the arbitrage strategy built on this signal.
struct ArbLeg {
  InstrumentId instrument;
  AccountId account;
  Decimal taker_fee;  // rate: 0.001 = 10 bp
};
struct ArbGroup {
  std::vector<ArbLeg> legs;
  StrategyId strategy;
  Decimal min_edge;
  Decimal max_quantity;
};

class SignalStage {
 public:
  SignalStage(std::vector<ArbGroup> groups, std::size_t instrument_count, std::uint16_t desk);
  static constexpr std::size_t kMaxOut = 2;
  std::size_t on(const TopOfBook& t, TimeNs now, std::span<OrderIntent> out);
  // Orders from the gateway and strategies pass through with their own client order ids.
  std::size_t on(const Command& c, TimeNs now, std::span<OrderIntent> out);
  [[nodiscard]] std::uint64_t signals() const noexcept { return signals_; }

 private:
  std::vector<ArbGroup> groups_;
  std::vector<std::int32_t> group_of_;  // instrument -> group index, -1 none
  std::vector<TopOfBook> tops_;         // by instrument
  std::uint16_t desk_;
  std::uint64_t sequence_ = 0;
  std::uint64_t signals_ = 0;
};

// ---- stage 3: risk -----------------------------------------------------------------------------
class RiskStage {
 public:
  // intents may be null (benchmarks of the core alone); event ids come from id_base upward.
  // order_subjects[account * instruments + instrument] is the orders subject of that pair
  // (messages/subjects.hpp), built at startup so the hot path formats no text.
  RiskStage(RiskCore& risk, persistence::IntentLog* intents,
            std::vector<std::string> order_subjects, std::size_t instruments, EventId id_base);
  // A pass: the order is committed to the intent log, then emitted (1). A refusal or an
  // intent-log failure: rejection filled, 0 emitted.
  std::size_t on(const OrderIntent& in, TimeNs now, std::span<RiskedOrder> out,
                 RiskRejection& rejection);
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }

 private:
  RiskCore& risk_;
  persistence::IntentLog* intents_;
  std::vector<std::string> subjects_;
  std::size_t instruments_;
  EventId next_id_;
  std::uint64_t global_seq_ = 0;
  std::uint64_t rejected_ = 0;
  std::array<std::byte, 1024> buffer_{};
};

// ---- stage 4: encoding -------------------------------------------------------------------------
// An Encoder writes the venue's request for an order: `std::size_t encode(const OrderSubmitted&,
// TimeNs now, std::span<char> out)` returning the size (0 = does not fit / cannot encode).
template <class Encoder>
class EncodeStage {
 public:
  explicit EncodeStage(Encoder& encoder) : encoder_(encoder) {}
  std::size_t on(const RiskedOrder& in, TimeNs now, std::span<WireOrder> out) {
    const auto& o = std::get<OrderSubmitted>(in.submitted.payload);
    WireOrder& w = out[0];
    const std::size_t n = encoder_.encode(o, now, std::span<char>(w.bytes));
    if (n == 0 || n > w.bytes.size()) {
      ++failures_;
      return 0;
    }
    w.account = o.account;
    w.instrument = o.instrument;
    w.size = static_cast<std::uint16_t>(n);
    w.time = in.time;
    return 1;
  }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_; }

 private:
  Encoder& encoder_;
  std::uint64_t failures_ = 0;
};

// ---- the inline shell --------------------------------------------------------------------------
// Single-threaded: each input runs through every stage before the call returns. Sink needs
// `void send(const WireOrder&)` and `void reject(const RiskRejection&)`.
template <class Encoder, class Sink>
class InlinePipeline {
 public:
  InlinePipeline(BookStage& book, SignalStage& signal, RiskStage& risk, EncodeStage<Encoder>& encode,
                 Sink& sink)
      : book_(book), signal_(signal), risk_(risk), encode_(encode), sink_(sink) {}

  void on_market_data(const Event& e, TimeNs now) {
    std::array<TopOfBook, 1> tops;
    for (std::size_t i = 0, n = book_.on(e, now, tops); i < n; ++i) {
      std::array<OrderIntent, SignalStage::kMaxOut> intents;
      const std::size_t m = signal_.on(tops[i], now, intents);
      for (std::size_t k = 0; k < m; ++k) order(intents[k], now);
    }
  }
  void on_command(const Command& c, TimeNs now) {
    std::array<OrderIntent, 1> intents;
    if (signal_.on(c, now, intents) == 1) order(intents[0], now);
  }

 private:
  void order(const OrderIntent& intent, TimeNs now) {
    std::array<RiskedOrder, 1> risked;
    if (risk_.on(intent, now, risked, rejection_) == 0) {
      sink_.reject(rejection_);
      return;
    }
    std::array<WireOrder, 1> wire;
    if (encode_.on(risked[0], now, wire) == 1) sink_.send(wire[0]);
  }

  BookStage& book_;
  SignalStage& signal_;
  RiskStage& risk_;
  EncodeStage<Encoder>& encode_;
  Sink& sink_;
  RiskRejection rejection_{};
};

}  // namespace oms::actors
