#include "oms/cores/self_trade.hpp"

namespace oms::actors {

std::string SelfTradeGuard::key(AccountId account, std::string_view id) {
  std::string k = std::to_string(account.value);
  k += '/';
  k += id;
  return k;
}

void SelfTradeGuard::set(AccountId account, std::string_view client_order_id,
                         InstrumentId instrument, Side side, Decimal price) {
  if (!instrument.valid() || !price.is_positive()) {
    erase(account, client_order_id);
    return;
  }
  if (books_.size() <= instrument.index()) books_.resize(instrument.index() + 1);
  auto [it, fresh] = by_key_.try_emplace(key(account, client_order_id));
  if (!fresh) {
    if (it->second.price == price && it->second.side == side && it->second.instrument == instrument) return;
    unlink(it->second);
  }
  it->second = Entry{account, instrument, side, price, level(instrument, side).emplace(price, account)};
}

void SelfTradeGuard::erase(AccountId account, std::string_view client_order_id) {
  const auto it = by_key_.find(key(account, client_order_id));
  if (it == by_key_.end()) return;
  unlink(it->second);
  by_key_.erase(it);
}

void SelfTradeGuard::erase_account(AccountId account) {
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    if (it->second.account == account) {
      unlink(it->second);
      it = by_key_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<SelfTradeGuard::Resting> SelfTradeGuard::crossing(InstrumentId instrument, Side side,
                                                                Decimal price) const {
  if (!instrument.valid() || instrument.index() >= books_.size()) return std::nullopt;
  const auto& book = books_[instrument.index()];
  if (side == Side::kBuy) {
    const auto& sells = book[1];
    if (sells.empty()) return std::nullopt;
    const auto& best = *sells.begin();  // our lowest sell
    if (price.is_positive() && price < best.first) return std::nullopt;
    return Resting{best.second, best.first};
  }
  const auto& buys = book[0];
  if (buys.empty()) return std::nullopt;
  const auto& best = *buys.rbegin();  // our highest buy
  if (price.is_positive() && best.first < price) return std::nullopt;
  return Resting{best.second, best.first};
}

}  // namespace oms::actors
