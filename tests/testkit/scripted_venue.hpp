// ScriptedVenue: an in-process ExchangeSession for actor tests. Every order's fate is a pure
// function of (seed, client order id) -- rejected, resting, partly filled then resting, or
// filled in one to three trades -- so two runs that place the same orders get the same reports
// with the same report ids, whatever the timing.
//
// The venue outlives its client like a real one: with a state file it appends every order and
// cancel it receives (write(2) only: the page cache survives a SIGKILL of the process) and
// reloads them when constructed again, so a restarted daemon finds its orders there.
// A query re-sends every report of the order and its status (each status answer a message of its
// own, as the Binance connector reports them); an order the venue never
// received is answered with status rejected and no venue order id (Binance -2013).
#pragma once

#include <cstdint>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "oms/connectors/exchange_session.hpp"

namespace oms::testkit {

class ScriptedVenue final : public ExchangeSession {
 public:
  // state_file empty: no persistence. The account is deposited 1,000,000 USDT, 100 BTC and
  // 1,000 ETH (spot), reported as balance updates when the session starts.
  ScriptedVenue(std::uint64_t seed, std::filesystem::path state_file = {}, AccountId account = AccountId(0));
  ~ScriptedVenue() override;

  void start(ReportSink sink) override;
  void stop() override;
  void place(const OrderSubmitted& order, const SendOrigin& origin) override;
  // One venue batch: noted (batches()), then each order placed as place() does.
  void place_batch(std::span<const OrderSubmitted> orders, const SendOrigin& origin) override;
  void cancel(const CancelOrder& cancel) override;
  void amend(const AmendOrder& amend) override;
  void query(AccountId account, InstrumentId instrument,
             const ClientOrderIdText& client_order_id) override;

  enum class Fate : std::uint8_t { kReject, kRest, kPartialRest, kFill };
  [[nodiscard]] static Fate fate_of(std::uint64_t seed, std::string_view client_order_id);

  [[nodiscard]] std::size_t orders_received() const;
  // The engine's keep-warm rehearsals (nothing sent): how many, and the last order's id.
  void rehearse(const OrderSubmitted& order) override;
  [[nodiscard]] std::size_t rehearsals() const;
  [[nodiscard]] std::string last_rehearsed() const;
  // The batches received (place_batch), each its orders' client order ids in order.
  [[nodiscard]] std::vector<std::vector<std::string>> batches() const;
  // From now on, the answers to new orders are lost on the way (the venue has the orders; a
  // status query gets them): the lost-ack case.
  void lose_answers(bool lose);
  // From now on, new orders (place, not batches) are lost before the venue: never received,
  // never answered, a status query answers that the venue does not know them (the send a crash
  // or a dropped connection lost).
  void drop_orders(bool drop);
  [[nodiscard]] std::size_t orders_dropped() const;
  // While true, status queries are kept unanswered (a venue whose request budget is spent);
  // set false, the kept ones are answered, in order.
  void hold_queries(bool hold);
  [[nodiscard]] std::size_t queries_held() const;

 private:
  struct Query {
    AccountId account;
    InstrumentId instrument;
    ClientOrderIdText client_order_id;
  };
  void answer_query(const Query& q);  // mutex_ held
  struct VenueOrder {
    OrderSubmitted order;
    bool canceled = false;
    std::vector<VenueReport> reports;  // everything sent so far, in order
  };
  void record(const std::string& line);
  void do_place(const OrderSubmitted& order, bool replaying);
  void do_cancel(const std::string& id, bool replaying);
  void emit(VenueOrder& o, EventPayload payload, bool replaying);

  std::uint64_t seed_;
  AccountId account_;
  bool lose_answers_ = false;
  bool drop_orders_ = false;
  std::size_t orders_dropped_ = 0;
  bool hold_queries_ = false;
  std::vector<Query> held_queries_;
  std::filesystem::path state_file_;
  int fd_ = -1;
  mutable std::mutex mutex_;
  std::size_t rehearsals_ = 0;
  std::string last_rehearsed_;
  ReportSink sink_;
  std::map<std::string, VenueOrder, std::less<>> orders_;
  std::vector<std::vector<std::string>> batches_;
  std::uint64_t query_serial_ = static_cast<std::uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count());
};

}  // namespace oms::testkit
