// SelfTradeGuard: our own resting orders per instrument, across every account and strategy of
// the engine, so that no order of ours trades against another of ours (a wash trade). A new
// order is checked before risk: a buy whose price reaches our lowest resting sell (any sell, for
// a market buy), or a sell whose price reaches our highest resting buy, is refused (RiskCode
// kSelfTrade, journaled like a risk refusal) -- the resting order stands.
//
// Resting: every order not yet terminal that carries a limit price (in flight too: it may rest
// by the time the new one arrives). The engine updates the guard from the desks after each
// committed event of an order, and fills it from the desks after a rebuild.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/enums.hpp"
#include "oms/messages/ids.hpp"

namespace oms::actors {

class SelfTradeGuard {
 public:
  struct Resting {
    AccountId account;
    Decimal price;
  };

  // The order rests at `price` (upsert: a changed price moves it).
  void set(AccountId account, std::string_view client_order_id, InstrumentId instrument,
           Side side, Decimal price);
  void erase(AccountId account, std::string_view client_order_id);
  void erase_account(AccountId account);
  // Our resting order the new one would trade against, the best one first; nullopt: none.
  // price zero: a market order (it reaches every resting order of the other side).
  [[nodiscard]] std::optional<Resting> crossing(InstrumentId instrument, Side side,
                                                Decimal price) const;
  [[nodiscard]] std::size_t size() const noexcept { return by_key_.size(); }

 private:
  using Level = std::multimap<Decimal, AccountId>;
  using Side2 = std::array<Level, 2>;  // [buys, sells] by price
  struct Entry {
    AccountId account;
    InstrumentId instrument;
    Side side = Side::kBuy;
    Decimal price;
    Level::iterator at;  // its own node: removed without a walk of the orders at its price
  };
  [[nodiscard]] static std::string key(AccountId account, std::string_view id);
  [[nodiscard]] Level& level(InstrumentId instrument, Side side) {
    return books_[instrument.index()][side == Side::kBuy ? 0 : 1];
  }
  void unlink(const Entry& e) { level(e.instrument, e.side).erase(e.at); }

  std::unordered_map<std::string, Entry> by_key_;
  // By instrument; a deque so that growing it moves no map (the entries' iterators stay good).
  std::deque<Side2> books_;
};

}  // namespace oms::actors
