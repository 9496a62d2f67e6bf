#include "testkit/scripted_venue.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace oms::testkit {

namespace {

std::uint64_t mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

std::uint64_t hash(std::uint64_t seed, std::string_view s) {
  std::uint64_t h = mix(seed);
  for (const char c : s) h = mix(h ^ static_cast<unsigned char>(c));
  return h;
}

Decimal dec(Int128 raw) { return Decimal::from_raw(raw); }

}  // namespace

ScriptedVenue::ScriptedVenue(std::uint64_t seed, std::filesystem::path state_file,
                             AccountId venue_account)
    : seed_(seed), account_(venue_account), state_file_(std::move(state_file)) {
  if (state_file_.empty()) return;
  if (std::ifstream in(state_file_); in) {
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      char kind = 0;
      ls >> kind;
      if (kind == 'P') {
        OrderSubmitted o{};
        std::string id;
        unsigned account = 0, strategy = 0, instrument = 0, side = 0;
        std::string price, qty;
        ls >> id >> account >> strategy >> instrument >> side >> price >> qty;
        const auto p = Decimal::parse(price), q = Decimal::parse(qty);
        if (!ls || !p || !q) continue;  // a torn last line: the venue never finished receiving it
        o.account = AccountId(static_cast<std::uint16_t>(account));
        o.strategy = StrategyId(static_cast<std::uint16_t>(strategy));
        o.instrument = InstrumentId(instrument);
        (void)o.client_order_id.assign(id);
        o.side = side == 0 ? Side::kBuy : Side::kSell;
        o.price = *p;
        o.quantity = *q;
        do_place(o, true);
      } else if (kind == 'C') {
        std::string id;
        ls >> id;
        if (ls) do_cancel(id, true);
      }
    }
  }
  fd_ = ::open(state_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + state_file_.string());
}

ScriptedVenue::~ScriptedVenue() {
  if (fd_ >= 0) ::close(fd_);
}

void ScriptedVenue::record(const std::string& line) {
  if (fd_ < 0) return;
  const std::string l = line + "\n";
  if (::write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) {
    throw std::runtime_error("write " + state_file_.string());
  }
}

ScriptedVenue::Fate ScriptedVenue::fate_of(std::uint64_t seed, std::string_view id) {
  switch (hash(seed, id) % 10) {
    case 0: return Fate::kReject;
    case 1: case 2: return Fate::kRest;
    case 3: case 4: return Fate::kPartialRest;
    default: return Fate::kFill;
  }
}

void ScriptedVenue::start(ReportSink sink) {
  const std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
  // The deposits, as the venue's account snapshot: the same report ids every time.
  const std::pair<const char*, std::int64_t> deposits[] = {
      {"USDT", 1'000'000}, {"BTC", 100}, {"ETH", 1'000}};
  for (const auto& [asset, amount] : deposits) {
    VenueReport r;
    r.report_id = hash(seed_ ^ 0xDE9051ULL, std::string("deposit-") + asset + "-" +
                                               std::to_string(account_.index())) | 1U;
    r.venue_time = 1'690'000'000'000'000'000;
    BalanceUpdated b{account_, ExchangeId::kBinance, Market::kSpot, {},
                     dec(Int128{amount} * Decimal::kOne), {}};
    (void)b.asset.assign(asset);
    r.payload = b;
    sink_(r);
  }
}

void ScriptedVenue::stop() {
  const std::lock_guard lock(mutex_);
  sink_ = nullptr;
}

void ScriptedVenue::emit(VenueOrder& o, EventPayload payload, bool replaying) {
  VenueReport r;
  r.report_id = hash(seed_ ^ 0x5EEDULL, o.order.client_order_id.str() + "#" +
                                            std::to_string(o.reports.size())) | 1U;
  r.venue_time = 1'700'000'000'000'000'000 + static_cast<TimeNs>(o.reports.size());
  r.payload = payload;
  o.reports.push_back(r);
  if (!replaying && !lose_answers_ && sink_) sink_(r);
}

void ScriptedVenue::do_place(const OrderSubmitted& order, bool replaying) {
  const std::string id = order.client_order_id.str();
  if (orders_.count(id) != 0) return;  // a duplicate client order id: the venue ignores it
  auto& o = orders_[id];
  o.order = order;
  const auto fate = fate_of(seed_, id);
  if (fate == Fate::kReject) {
    OrderRejected rej{order.account, order.instrument, order.client_order_id, 4001, -2010, {}};
    (void)rej.reason.assign("Account has insufficient balance for requested action.");
    emit(o, rej, replaying);
    return;
  }
  VenueOrderId vid;
  (void)vid.assign("V" + std::to_string(hash(seed_, id) % 1'000'000'000));
  emit(o, OrderAccepted{order.account, order.instrument, order.client_order_id, vid}, replaying);
  if (fate == Fate::kRest) return;
  const Int128 qty = order.quantity.raw();
  std::vector<Int128> fills;
  if (fate == Fate::kPartialRest) {
    fills.push_back(qty * 2 / 5);
  } else {
    const auto n = 1 + hash(seed_ + 1, id) % 3;
    Int128 left = qty;
    for (std::uint64_t k = 1; k < n; ++k) {
      const Int128 part = qty / static_cast<Int128>(n);
      fills.push_back(part);
      left -= part;
    }
    fills.push_back(left);
  }
  Int128 cum = 0;
  for (std::size_t k = 0; k < fills.size(); ++k) {
    if (fills[k] <= 0) continue;
    cum += fills[k];
    FillReceived f{};
    f.account = order.account;
    f.strategy = order.strategy;
    f.instrument = order.instrument;
    f.client_order_id = order.client_order_id;
    (void)f.trade_id.assign("T" + id + "-" + std::to_string(k));
    f.side = order.side;
    f.price = order.price;
    f.quantity = dec(fills[k]);
    f.fee = dec(fills[k] / 1000);
    (void)f.fee_asset.assign("USDT");
    f.liquidity = Liquidity::kMaker;
    emit(o, f, replaying);
  }
  if (cum == qty) {
    emit(o, OrderFilled{order.account, order.instrument, order.client_order_id, dec(cum), order.price},
         replaying);
  } else {
    emit(o, OrderPartiallyFilled{order.account, order.instrument, order.client_order_id, dec(cum),
                                 dec(qty - cum), order.price},
         replaying);
  }
}

void ScriptedVenue::do_cancel(const std::string& id, bool replaying) {
  const auto it = orders_.find(id);
  if (it == orders_.end()) return;  // -2011 unknown order: nothing to report
  auto& o = it->second;
  const auto fate = fate_of(seed_, id);
  if (o.canceled || fate == Fate::kReject || fate == Fate::kFill) return;  // -2011: not open
  o.canceled = true;
  const Int128 cum = fate == Fate::kPartialRest ? o.order.quantity.raw() * 2 / 5 : 0;
  emit(o, OrderCanceled{o.order.account, o.order.instrument, o.order.client_order_id, dec(cum)},
       replaying);
}

void ScriptedVenue::place(const OrderSubmitted& order, const SendOrigin&) {
  const std::lock_guard lock(mutex_);
  if (orders_.count(order.client_order_id.view()) != 0) return;
  if (drop_orders_) {
    ++orders_dropped_;
    return;  // lost on the way: never received, never answered
  }
  record("P " + order.client_order_id.str() + " " + std::to_string(order.account.index()) + " " +
         std::to_string(order.strategy.index()) + " " + std::to_string(order.instrument.index()) +
         " " + (order.side == Side::kBuy ? "0" : "1") + " " + order.price.to_string() +
         " " + order.quantity.to_string());
  do_place(order, false);
}

void ScriptedVenue::place_batch(std::span<const OrderSubmitted> orders, const SendOrigin& origin) {
  {
    const std::lock_guard lock(mutex_);
    auto& ids = batches_.emplace_back();
    for (const OrderSubmitted& o : orders) ids.push_back(o.client_order_id.str());
  }
  for (const OrderSubmitted& o : orders) place(o, origin);
}

std::vector<std::vector<std::string>> ScriptedVenue::batches() const {
  const std::lock_guard lock(mutex_);
  return batches_;
}

void ScriptedVenue::cancel(const CancelOrder& cancel) {
  const std::lock_guard lock(mutex_);
  const std::string id = cancel.client_order_id.str();
  const auto it = orders_.find(id);
  if (it == orders_.end() || it->second.canceled) return;
  record("C " + id);
  do_cancel(id, false);
}

void ScriptedVenue::amend(const AmendOrder&) {
  // Not scripted: the recovery scenarios place and cancel. An amend is answered by nothing,
  // which the desk treats as a lost ack (status query).
}

void ScriptedVenue::query(AccountId account, InstrumentId instrument,
                          const ClientOrderIdText& client_order_id) {
  const std::lock_guard lock(mutex_);
  if (!sink_) return;
  if (hold_queries_) {
    held_queries_.push_back(Query{account, instrument, client_order_id});
    return;
  }
  answer_query(Query{account, instrument, client_order_id});
}

void ScriptedVenue::answer_query(const Query& q) {
  const AccountId account = q.account;
  const InstrumentId instrument = q.instrument;
  const ClientOrderIdText& client_order_id = q.client_order_id;
  const auto it = orders_.find(client_order_id.view());
  if (it == orders_.end()) {
    VenueReport r;
    r.report_id = hash(seed_ ^ 0xABCDULL, client_order_id.str() + "#unknown#" +
                                              std::to_string(++query_serial_)) | 1U;
    r.venue_time = 1'700'000'000'000'000'000;
    r.payload = OrderStatusReconciled{account, instrument, client_order_id, {}, OrderStatus::kRejected,
                                      {}, {}};
    sink_(r);
    return;
  }
  for (const auto& r : it->second.reports) sink_(r);
  // Then the status itself: each answer its own message (a query serial in its id, as our Binance
  // connector does), so an answer equal to an earlier one still resolves an order that went
  // unknown since; the serial starts at the clock, so a restarted process never reuses one.
  const auto& o = it->second;
  OrderStatusReconciled st{o.order.account, o.order.instrument, o.order.client_order_id, {},
                           OrderStatus::kAccepted, {}, {}};
  Int128 cum = 0;
  for (const auto& r : o.reports) {
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, OrderAccepted>) st.venue_order_id = e.venue_order_id;
          if constexpr (std::is_same_v<T, FillReceived>) cum += e.quantity.raw();
          if constexpr (std::is_same_v<T, OrderRejected>) st.status = OrderStatus::kRejected;
          if constexpr (std::is_same_v<T, OrderCanceled>) st.status = OrderStatus::kCanceled;
          if constexpr (std::is_same_v<T, OrderFilled>) st.status = OrderStatus::kFilled;
          if constexpr (std::is_same_v<T, OrderPartiallyFilled>) {
            if (st.status == OrderStatus::kAccepted) st.status = OrderStatus::kPartiallyFilled;
          }
        },
        r.payload);
  }
  st.cum_qty = dec(cum);
  st.avg_price = cum > 0 ? o.order.price : Decimal{};
  if (st.status == OrderStatus::kRejected) st.venue_order_id = VenueOrderId{};
  VenueReport r;
  r.report_id = hash(seed_ ^ 0x57A7ULL, client_order_id.str() + "#status-" +
                                            std::to_string(o.reports.size()) + "#" +
                                            std::to_string(++query_serial_)) | 1U;
  r.venue_time = 1'700'000'000'000'000'000 + static_cast<TimeNs>(o.reports.size());
  r.payload = st;
  sink_(r);
}

void ScriptedVenue::drop_orders(bool drop) {
  const std::lock_guard lock(mutex_);
  drop_orders_ = drop;
}

std::size_t ScriptedVenue::orders_dropped() const {
  const std::lock_guard lock(mutex_);
  return orders_dropped_;
}

void ScriptedVenue::lose_answers(bool lose) {
  const std::lock_guard lock(mutex_);
  lose_answers_ = lose;
}

void ScriptedVenue::hold_queries(bool hold) {
  const std::lock_guard lock(mutex_);
  hold_queries_ = hold;
  if (hold || !sink_) return;
  for (const Query& q : held_queries_) answer_query(q);
  held_queries_.clear();
}

std::size_t ScriptedVenue::queries_held() const {
  const std::lock_guard lock(mutex_);
  return held_queries_.size();
}

void ScriptedVenue::rehearse(const OrderSubmitted& order) {
  std::lock_guard lk(mutex_);
  ++rehearsals_;
  last_rehearsed_ = order.client_order_id.str();
}

std::size_t ScriptedVenue::rehearsals() const {
  std::lock_guard lk(mutex_);
  return rehearsals_;
}

std::string ScriptedVenue::last_rehearsed() const {
  std::lock_guard lk(mutex_);
  return last_rehearsed_;
}

std::size_t ScriptedVenue::orders_received() const {
  const std::lock_guard lock(mutex_);
  return orders_.size();
}

}  // namespace oms::testkit
