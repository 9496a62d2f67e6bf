#include "oms/actors/board_publisher.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "oms/cores/order_core.hpp"

namespace oms::actors {
namespace {

constexpr TimeNs kNever = std::numeric_limits<TimeNs>::min();  // an account not written yet

BoardDecimal rounded(std::optional<Int128> e18) noexcept {
  Decimal d;
  // Beyond a Decimal (or a product beyond 128 bits): shown as 0 rather than wrong.
  return e18 && round_e18(*e18, d) ? BoardDecimal::of(d) : BoardDecimal{};
}

// Equal records but for `time` (the writer's stamp of when the figures last changed).
template <class R>
bool same_but_time(const R& a, R b) noexcept {
  b.time = a.time;
  return std::memcmp(&a, &b, sizeof(R)) == 0;
}

}  // namespace

Result<Unit, BoardError> BoardPublisher::open(const std::string& path,
                                              std::span<const BoardAccount> accounts,
                                              const InstrumentTable& instruments,
                                              BoardLimits limits) {
  if (path.empty()) return Unit{};
  const auto n_accounts = static_cast<std::uint32_t>(accounts.size());
  const auto n_instruments = static_cast<std::uint32_t>(instruments.size());
  std::uint32_t max_id = 0;
  for (const auto& a : accounts)
    max_id = std::max(max_id, static_cast<std::uint32_t>(a.id.index() + 1));
  BoardLayout layout;
  layout.positions = n_accounts * n_instruments;
  layout.balances = n_accounts * limits.balances_per_account;
  layout.tops = n_instruments;
  layout.strategies = limits.strategies;
  layout.open_orders = n_accounts * limits.open_orders_per_account;
  layout.accounts = max_id;
  layout.instruments = n_instruments;
  auto board = StateBoard::create(path, layout);
  if (!board) return Unexpected{board.error()};

  limits_ = limits;
  instruments_ = n_instruments;
  account_slot_.assign(max_id, kNoSlot);
  positions_.assign(layout.positions, {});
  balances_.assign(layout.balances, {});
  orders_.assign(layout.open_orders, {});
  tops_.assign(layout.tops, {});
  strategies_.assign(layout.strategies, {});
  orders_shown_.assign(n_accounts, 0);
  written_.assign(n_accounts, kNever);
  unwritten_.assign(n_accounts, 0);
  balances_hidden_.assign(n_accounts, 0);
  orders_hidden_.assign(n_accounts, 0);
  balances_hidden_total_ = orders_hidden_total_ = 0;
  for (std::uint32_t k = 0; k < n_accounts; ++k) {
    const AccountId id = accounts[k].id;
    account_slot_[id.index()] = k;
    NameRecord r;
    r.id = id.index();
    set_board_text(r.name, accounts[k].name);
    (void)(*board)->write_account_name(static_cast<std::uint32_t>(id.index()), r);
  }
  for (std::uint32_t i = 0; i < n_instruments; ++i) {
    const auto* ins = instruments.find(InstrumentId(static_cast<InstrumentId::rep_type>(i)));
    if (ins == nullptr) continue;
    NameRecord r;
    r.id = i;
    r.exchange = static_cast<std::uint64_t>(ins->exchange);
    r.market = static_cast<std::uint64_t>(ins->market);
    set_board_text(r.name, ins->canonical);
    (void)(*board)->write_instrument_name(i, r);
  }
  board_ = std::move(board).value();
  return Unit{};
}

template <class R>
void BoardPublisher::put(std::vector<R>& shadow, std::uint32_t slot, R r, TimeNs now) noexcept {
  if (same_but_time(shadow[slot], r)) return;
  r.time = now;
  shadow[slot] = r;
  (void)board_->write(slot, r);
}

void BoardPublisher::set_hidden(std::vector<std::uint32_t>& per_account, std::uint64_t& total,
                                BoardSection s, std::uint32_t account_slot,
                                std::uint32_t hidden) noexcept {
  if (per_account[account_slot] == hidden) return;
  total = total - per_account[account_slot] + hidden;
  per_account[account_slot] = hidden;
  board_->set_hidden(s, total);
}

std::uint32_t BoardPublisher::place_of(const OrderDesk& desk) const noexcept {
  const AccountId id = desk.id();
  if (!board_ || !id.valid() || id.index() >= account_slot_.size()) return kNoSlot;
  return account_slot_[id.index()];
}

void BoardPublisher::account(const OrderDesk& desk, std::span<const Decimal> marks,
                             TimeNs now) noexcept {
  const std::uint32_t k = place_of(desk);
  if (k == kNoSlot) return;
  board_->set_heartbeat(now);
  if (written_[k] != kNever && now - written_[k] < limits_.account_interval) {
    unwritten_[k] = 1;  // refresh() writes it
    return;
  }
  write_account(k, desk, marks, now);
}

void BoardPublisher::refresh(const OrderDesk& desk, std::span<const Decimal> marks,
                             TimeNs now) noexcept {
  const std::uint32_t k = place_of(desk);
  if (k == kNoSlot) return;
  board_->set_heartbeat(now);
  if (unwritten_[k] != 0) write_account(k, desk, marks, now);
}

void BoardPublisher::write_account(std::uint32_t k, const OrderDesk& desk,
                                   std::span<const Decimal> marks, TimeNs now) noexcept {
  const AccountId id = desk.id();
  written_[k] = now;
  unwritten_[k] = 0;

  // Balances: AccountCore keeps them in the order the account first held them (never removed),
  // so an asset keeps its slot.
  const auto balances = desk.account().balances();
  const auto shown_balances = static_cast<std::uint32_t>(
      std::min<std::size_t>(balances.size(), limits_.balances_per_account));
  for (std::uint32_t b = 0; b < shown_balances; ++b) {
    const Balance& from = balances[b];
    BalanceRecord r;
    r.account = id.index();
    set_board_text(r.asset, from.asset.view());
    r.free = BoardDecimal::of(from.free);
    r.locked = BoardDecimal::of(from.locked);
    r.market = static_cast<std::uint64_t>(from.market);
    put(balances_, k * limits_.balances_per_account + b, r, now);
  }
  set_hidden(balances_hidden_, balances_hidden_total_, BoardSection::kBalances, k,
             static_cast<std::uint32_t>(balances.size()) - shown_balances);

  // Net positions, marked at the engine's marks.
  for (const PositionCore::Leg& leg : desk.positions().net_legs(id)) {
    const auto i = static_cast<std::uint32_t>(leg.instrument.index());
    if (i >= instruments_) continue;
    const Decimal mark = i < marks.size() ? marks[i] : Decimal{};
    PositionRecord r;
    r.account = id.index();
    r.instrument = i;
    r.size = BoardDecimal::of(leg.position.size);
    r.entry_price = BoardDecimal::of(leg.position.entry_price());
    r.unrealized_pnl = mark.is_positive() ? rounded(leg.position.unrealized_e18(mark)) : BoardDecimal{};
    r.realized_pnl = rounded(leg.position.realized_e18);
    r.fees = rounded(leg.fees_e18);
    put(positions_, k * instruments_ + i, r, now);
  }

  // Open orders: AccountCore's lock records are the account's live orders in submission
  // order; the order core gives the status, the price and the filled quantity.
  const std::uint32_t base = k * limits_.open_orders_per_account;
  std::uint32_t shown = 0, hidden = 0;
  for (const OrderLock& lock : desk.account().open_orders()) {
    const OrderCore* o = desk.order(lock.client_order_id.view());
    if (o == nullptr || is_terminal(o->status())) continue;  // ended: waits for its last fills
    if (shown == limits_.open_orders_per_account) {
      ++hidden;
      continue;
    }
    OpenOrderRecord r;
    r.account = id.index();
    r.instrument = o->instrument().index();
    set_board_text(r.client_order_id, o->client_order_id().view());
    r.price = BoardDecimal::of(o->price());
    r.quantity = BoardDecimal::of(o->quantity());
    r.cum_qty = BoardDecimal::of(o->cum_qty());
    r.side = static_cast<std::uint32_t>(o->side());
    r.status = static_cast<std::uint32_t>(o->status());
    put(orders_, base + shown, r, now);
    ++shown;
  }
  for (std::uint32_t s = shown; s < orders_shown_[k]; ++s)
    put(orders_, base + s, OpenOrderRecord{}, now);
  orders_shown_[k] = shown;
  set_hidden(orders_hidden_, orders_hidden_total_, BoardSection::kOpenOrders, k, hidden);
}

void BoardPublisher::strategy(std::uint32_t slot, StrategyStatusRecord r, TimeNs now) noexcept {
  if (!board_ || slot >= strategies_.size()) return;
  board_->set_heartbeat(now);
  r.strategy = slot;
  put(strategies_, slot, r, now);
}

void BoardPublisher::top(const TopOfBook& t, TimeNs now) noexcept {
  if (!board_) return;
  board_->set_heartbeat(now);
  const auto i = static_cast<std::uint32_t>(t.instrument.index());
  if (!t.instrument.valid() || i >= instruments_) return;
  TopOfBookRecord r;
  r.instrument = i;
  r.bid_price = BoardDecimal::of(t.bid);
  r.bid_qty = BoardDecimal::of(t.bid_qty);
  r.ask_price = BoardDecimal::of(t.ask);
  r.ask_qty = BoardDecimal::of(t.ask_qty);
  r.update_id = tops_[i].update_id;  // a new update id alone is no change worth a write
  if (same_but_time(tops_[i], r)) return;
  r.update_id = t.update_id;
  r.time = t.time != 0 ? t.time : now;
  tops_[i] = r;
  (void)board_->write(i, r);
}

}  // namespace oms::actors
