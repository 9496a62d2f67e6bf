// venue-sim's Bybit front: what the venue's changes push on the v5 WebSockets (the sessions
// are bybit_front_ws.cpp).
//   public: orderbook.{1|50|200(|500 linear)}.{symbol} -- a delta per change, u + 1 on each
//     depth's stream and the symbol's cross sequence seq --, publicTrade.{symbol},
//     tickers.{symbol} (spot: snapshots; linear: deltas of the fields that changed);
//   private: each venue call's reports become one push per account: order, execution.fast,
//     execution, position, wallet messages, in that order, with the fault injector's
//     duplicates, swaps and dropped sockets, and one latency draw per push.
#include <tuple>

#include "bybit_front_impl.hpp"

namespace oms::venue_sim {

using namespace bysim;

namespace {

bool is_open(sim::SimStatus s) { return s == sim::SimStatus::kNew || s == sim::SimStatus::kPartiallyFilled; }

// cancelType and rejectReason of an order the venue ended (ExecutionReport::expiry_reason).
void ended_by(OrderMeta& m, const sim::ExecutionReport& r) {
  const std::string& why = r.expiry_reason;
  if (r.exec_type == sim::ExecType::kCanceled && why.empty()) {
    m.cancel_type = "CancelByUser";
    m.reject_reason = "EC_PerCancelRequest";
    return;
  }
  m.cancel_type = "UNKNOWN";
  if (why == "GTX_WOULD_CROSS") m.reject_reason = "EC_PostOnlyWillTakeLiquidity";
  else if (why == "FOK") m.reject_reason = "EC_NoEnoughQtyToFill";
  else if (why == "IOC") m.reject_reason = r.cum_qty.is_zero() ? "EC_NoImmediateQtyToFill" : "EC_CancelForNoFullFill";
  else if (why == "REDUCE_ONLY") {
    m.cancel_type = "CancelByReduceOnly";
    m.reject_reason = "EC_Others";
  } else if (why.rfind("STP_", 0) == 0) {
    m.cancel_type = "CancelBySmp";
    m.reject_reason = "EC_StopBySelfMatch";
  } else {
    m.reject_reason = "EC_Others";  // INSUFFICIENT_BALANCE at a trigger, and the like
  }
}

struct Push {
  std::vector<std::string> orders, fast, executions, positions;
  std::vector<LedgerRow> ledger;
  bool wallet = false;
};

std::string array_of(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += ',';
    s += items[i];
  }
  s += ']';
  return s;
}

}  // namespace

// ---- pushes -------------------------------------------------------------------------------------
void BybitFront::Impl::flush(Category& c, sim::Outbox& out) {
  const std::int64_t now = now_ms();
  std::set<sim::SymbolIndex> touched;
  std::map<std::size_t, Push> per_account;
  // Linear: each fill's position before it, walking back from the positions now (the venue's
  // positions change by fills only), for closedSize and the transaction log's size.
  std::vector<Decimal> before(out.reports.size()), after(out.reports.size());
  if (!c.spot()) {
    std::map<std::tuple<sim::ApiKeyId, sim::SymbolIndex, PositionSide>, Decimal> amount;
    for (std::size_t i = out.reports.size(); i-- > 0;) {
      const auto& r = out.reports[i];
      if (r.exec_type != sim::ExecType::kTrade) continue;
      const auto key = std::tuple{r.account, r.symbol, r.position_side};
      if (!amount.count(key)) amount[key] = c.venue->position(r.account, r.symbol, r.position_side).amount;
      after[i] = amount[key];
      before[i] = r.side == Side::kBuy ? dsub(after[i], r.last_qty) : dadd(after[i], r.last_qty);
      amount[key] = before[i];
    }
  }
  for (std::size_t i = 0; i < out.reports.size(); ++i) {
    const auto& r = out.reports[i];
    touched.insert(r.symbol);
    UtaAccount& a = account_of(c.market, r.account);
    const auto ai = static_cast<std::size_t>(&a - accounts.data());
    Push& push = per_account[ai];
    const OrderKey key{c.market, r.symbol, r.order_id};
    OrderMeta& m = orders[key];
    // A conditional order's first report after NEW, other than a cancel: it triggered.
    if (m.conditional && !m.triggered && r.exec_type != sim::ExecType::kNew && r.exec_type != sim::ExecType::kCanceled) {
      m.triggered = true;
      untriggered.erase(key);
      JsonOut j;
      order_json(j, c, row_of(r), m, true, "Triggered");
      push.orders.push_back(j.take());
    }
    if (r.exec_type == sim::ExecType::kCanceled || r.exec_type == sim::ExecType::kExpired) {
      ended_by(m, r);
      if (m.conditional && !m.triggered) untriggered.erase(key);
    }
    if (r.exec_type == sim::ExecType::kTrade) {
      if (!r.maker) record_trade(c, r.symbol, r.last_price, r.last_qty, r.side, now);
      const bool maker_rate = r.maker;
      Execution e;
      e.market = c.market;
      e.symbol = r.symbol;
      e.order_id = r.order_id;
      e.exec_id = exec_id_text(c, salt, r.symbol, r.trade_id, r.maker);
      e.link_id = m.link_given ? r.client_order_id : std::string();
      e.side = r.side;
      e.order_price = r.price;
      e.order_qty = m.quote_unit ? r.quote_order_qty : r.quantity;
      e.leaves_qty = is_open(r.status) ? dsub(r.quantity, r.cum_qty) : Decimal{};
      e.market_order = !sim::has_limit(r.type);
      e.conditional = m.conditional;
      e.price = r.last_price;
      e.qty = r.last_qty;
      e.fee = r.commission;
      e.fee_currency = r.commission_asset;
      e.fee_rate = c.spot() ? (maker_rate ? a.spec.spot_maker : a.spec.spot_taker)
                            : (maker_rate ? a.spec.linear_maker : a.spec.linear_taker);
      e.mark = c.spot() ? Decimal{} : c.venue->mark_price(r.symbol).value_or(Decimal{});
      if (!c.spot() && before[i].sign() != 0 && (before[i].is_positive() != (r.side == Side::kBuy)))
        e.closed_size = std::min(dabs(before[i]), r.last_qty);
      e.pnl = r.realized_profit;
      e.maker = r.maker;
      e.time_ms = now;
      e.seq = c.feeds[r.symbol].seq;
      m.cum_fee = dadd(m.cum_fee, r.commission);
      m.fee_currency = r.commission_asset;
      m.closed_pnl = dadd(m.closed_pnl, r.realized_profit);
      if (!c.spot()) a.linear_realized = dadd(a.linear_realized, r.realized_profit);
      JsonOut j;
      execution_json(j, c, e, true);
      push.executions.push_back(j.take());
      JsonOut fj;  // execution.fast: the fill without its fee; a maker's orderLinkId is ""
      fj.obj().kv("category", c.name()).kv("symbol", c.symbols[r.symbol]).kv("execId", e.exec_id);
      fj.kv("execPrice", fixed(e.price, price_decimals(c.venue->instrument(r.symbol))));
      fj.kv("execQty", fixed(e.qty, qty_decimals(c.venue->instrument(r.symbol)))).kv("orderId", order_id(c, r.symbol, r.order_id));
      fj.kb("isMaker", e.maker).kv("orderLinkId", e.maker ? std::string() : e.link_id).kv("side", side_text(e.side));
      fj.kv("execTime", ms_text(e.time_ms)).kn("seq", static_cast<std::int64_t>(e.seq)).end_obj();
      push.fast.push_back(fj.take());
      // The transaction log: spot, one line for each coin the fill moved; linear, one line.
      const Instrument& ins = c.venue->instrument(r.symbol);
      LedgerRow row;
      row.symbol = ins.venue_symbol;
      row.category = std::string(c.name());
      row.side = side_text(r.side);
      row.type = "TRADE";
      row.trade_price = r.last_price;
      row.fee_rate = e.fee_rate;
      row.trade_id = e.exec_id;
      row.order_id = order_id(c, r.symbol, r.order_id);
      row.link_id = e.link_id;
      row.time_ms = now;
      if (c.spot()) {
        const Decimal quote = dmul(r.last_price, r.last_qty);
        const bool buy = r.side == Side::kBuy;
        LedgerRow got = row, paid = row;
        got.id = e.exec_id + "-" + (buy ? ins.symbol.base : ins.symbol.quote);
        got.currency = buy ? ins.symbol.base : ins.symbol.quote;
        got.qty = buy ? r.last_qty : quote;
        got.cash_flow = got.qty;
        got.fee = r.commission;
        got.change = dsub(got.cash_flow, got.fee);
        paid.id = e.exec_id + "-" + (buy ? ins.symbol.quote : ins.symbol.base);
        paid.currency = buy ? ins.symbol.quote : ins.symbol.base;
        paid.qty = Decimal::from_raw(-(buy ? quote : r.last_qty).raw());
        paid.cash_flow = paid.qty;
        paid.change = paid.qty;
        push.ledger.push_back(std::move(paid));
        push.ledger.push_back(std::move(got));
      } else {
        row.id = e.exec_id;
        row.currency = ins.symbol.settle;
        row.qty = r.last_qty;
        row.size = after[i];
        row.fee = r.commission;
        row.cash_flow = r.realized_profit;
        row.change = dsub(row.cash_flow, row.fee);
        push.ledger.push_back(std::move(row));
      }
      a.executions.push_back(std::move(e));
    }
    JsonOut j;
    order_json(j, c, row_of(r), m, true);
    push.orders.push_back(j.take());
  }
  // Conditional limit orders that triggered and rest on the book report nothing in the core.
  for (auto it = untriggered.begin(); it != untriggered.end();) {
    const OrderKey key = *it;
    if (key.market != c.market) {
      ++it;
      continue;
    }
    OrderMeta& m = orders[key];
    const auto v = c.venue->query(venue_id(accounts[m.account], c), key.symbol, sim::OrderRef{key.order_id, {}});
    if (!v.ok() || !v->working) {
      ++it;
      continue;
    }
    it = untriggered.erase(it);
    m.triggered = true;
    touched.insert(key.symbol);
    for (const char* status : {"Triggered", static_cast<const char*>(nullptr)}) {
      JsonOut j;
      order_json(j, c, row_of(*v), m, true, status);
      per_account[m.account].orders.push_back(j.take());
    }
  }
  for (const auto& u : out.account_updates) {
    UtaAccount& a = account_of(c.market, u.account);
    const auto ai = static_cast<std::size_t>(&a - accounts.data());
    per_account[ai].wallet = true;
    for (const auto& p : u.positions) {
      PositionTimes& t = a.positions[{p.symbol, position_idx(p.position_side)}];
      if (!touched.count(p.symbol)) continue;
      if (!p.amount.is_zero() && !t.open) {
        if (t.created_ms == 0) t.created_ms = now;
        t.realized_at_open = p.realized_pnl;
      }
      t.open = !p.amount.is_zero();
      t.updated_ms = now;
      JsonOut j;
      position_json(j, a, p, true);
      per_account[ai].positions.push_back(j.take());
    }
  }
  for (auto& [ai, push] : per_account) {
    UtaAccount& a = accounts[ai];
    if (!push.ledger.empty()) {
      // Cash balances after each line: walk back from the balances now.
      std::map<std::string, Decimal, std::less<>> bal;
      for (const auto& b : spot.venue->balances(a.spot_id)) bal[b.asset] = dadd(b.free, b.locked);
      bal["USDT"] = dadd(bal["USDT"], linear.venue->wallet_balance(a.linear_id));
      for (auto it = push.ledger.rbegin(); it != push.ledger.rend(); ++it) {
        it->cash_balance = bal[it->currency];
        bal[it->currency] = dsub(bal[it->currency], it->change);
      }
      for (auto& row : push.ledger) a.ledger.push_back(std::move(row));
    }
    std::vector<std::tuple<std::string, std::string, std::string>> messages;  // topic, category, data
    const std::string cat(c.name());
    if (!push.orders.empty()) messages.emplace_back("order", cat, array_of(push.orders));
    if (!push.fast.empty()) messages.emplace_back("execution.fast", cat, array_of(push.fast));
    if (!push.executions.empty()) messages.emplace_back("execution", cat, array_of(push.executions));
    if (!push.positions.empty()) messages.emplace_back("position", cat, array_of(push.positions));
    if (push.wallet) {
      JsonOut w;
      w.arr();
      wallet_json(w, a, nullptr);
      w.end_arr();
      messages.emplace_back("wallet", std::string(), w.take());
    }
    send_private(ai, std::move(messages));
  }
  for (const auto s : touched) {
    publish_book(c, s);
    (void)publish_ticker(c, s, false);
  }
}

void BybitFront::Impl::send_private(std::size_t account,
                                    std::vector<std::tuple<std::string, std::string, std::string>> messages) {
  if (messages.empty()) return;
  const auto& f = cfg.faults;
  // Faults are drawn per message in a fixed order, so a seed gives the same faults.
  std::vector<std::tuple<std::string, std::string, std::string>> wire;
  for (auto& m : messages) {
    wire.push_back(m);
    if (draw(f.duplicate)) wire.push_back(m);
  }
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    if (draw(f.reorder)) {
      std::swap(wire[i], wire[i + 1]);
      ++i;
    }
  }
  const auto latency = cfg.latency.draw(latency_rng);  // one draw per push
  const std::int64_t now = now_ms();
  for (auto& [id, sub] : subs) {
    if (sub.kind != Sub::Kind::kPrivate || !sub.authed || sub.account != account) continue;
    bool any = false;
    for (const auto& [topic, cat, data] : wire) any = any || sub.topics.count(topic) || sub.topics.count(topic + "." + cat);
    if (!any) continue;
    if (draw(f.drop_ws)) {
      sub.session->drop();
      continue;
    }
    for (const auto& [topic, cat, data] : wire) {
      // The all-in-one topic ("order") or the categorised one ("order.spot") it subscribed.
      const std::string name = sub.topics.count(topic) ? topic : topic + "." + cat;
      if (!sub.topics.count(name)) continue;
      JsonOut j;
      j.obj();
      const std::uint64_t n = ++pushes;
      if (topic != "execution.fast") j.kv("id", hex16(salt ^ n) + "-" + std::to_string(n));
      j.kv("topic", name).kn("creationTime", now).key("data").raw(data).end_obj();
      sub.session->send_after(latency, j.take());
    }
  }
}

void BybitFront::Impl::send_public(const Category& c, std::string_view topic, const std::string& text) {
  const Sub::Kind kind = c.spot() ? Sub::Kind::kSpot : Sub::Kind::kLinear;
  for (auto& [id, sub] : subs) {
    if (sub.kind == kind && sub.topics.count(topic)) sub.session->send(text);
  }
}

void bysim::book_json(JsonOut& j, const Category& c, sim::SymbolIndex s, const Book& b, const std::vector<sim::PriceQty>& bids,
               const std::vector<sim::PriceQty>& asks, bool snapshot, std::uint64_t seq, std::int64_t now) {
  const Instrument& ins = c.venue->instrument(s);
  const int pd = price_decimals(ins), qd = qty_decimals(ins);
  j.obj().kv("topic", "orderbook." + std::to_string(b.depth) + "." + ins.venue_symbol);
  j.kv("type", snapshot ? "snapshot" : "delta").kn("ts", now).key("data").obj().kv("s", ins.venue_symbol);
  for (const auto* side : {&bids, &asks}) {
    j.key(side == &bids ? "b" : "a").arr();
    for (const auto& l : *side) j.arr().str(fixed(l.price, pd)).str(fixed(l.qty, qd)).end_arr();
    j.end_arr();
  }
  j.kn("u", static_cast<std::int64_t>(b.u)).kn("seq", static_cast<std::int64_t>(seq)).end_obj().kn("cts", now);
  j.end_obj();
}


void BybitFront::Impl::publish_book(Category& c, sim::SymbolIndex s) {
  SymbolFeed& f = c.feeds[s];
  const std::size_t deepest = f.books.back().depth;
  const auto bids = c.venue->depth(s, Side::kBuy, deepest);
  const auto asks = c.venue->depth(s, Side::kSell, deepest);
  const std::int64_t now = now_ms();
  bool changed = false;
  for (Book& b : f.books) {
    const auto first = [&](const std::vector<sim::PriceQty>& v) {
      return std::vector<sim::PriceQty>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(b.depth, v.size())));
    };
    std::vector<sim::PriceQty> db, da;
    diff_side(first(bids), Side::kBuy, b.bids, db);
    diff_side(first(asks), Side::kSell, b.asks, da);
    if (db.empty() && da.empty()) continue;
    if (!changed) ++f.seq;  // one cross sequence step for the change, shared by every depth
    changed = true;
    ++b.u;  // every depth's stream counts its own updates, subscribed or not (REST reads it)
    const std::string topic = "orderbook." + std::to_string(b.depth) + "." + c.symbols[s];
    bool listened = false;
    for (const auto& [id, sub] : subs) listened = listened || (sub.kind == (c.spot() ? Sub::Kind::kSpot : Sub::Kind::kLinear) && sub.topics.count(topic));
    if (!listened) continue;
    JsonOut j;
    book_json(j, c, s, b, db, da, false, f.seq, now);
    send_public(c, topic, j.text());
  }
}

std::string BybitFront::Impl::publish_ticker(Category& c, sim::SymbolIndex s, bool snapshot_only) {
  SymbolFeed& f = c.feeds[s];
  const std::string topic = "tickers." + c.symbols[s];
  bool listened = false;
  for (const auto& [id, sub] : subs) listened = listened || (sub.kind == (c.spot() ? Sub::Kind::kSpot : Sub::Kind::kLinear) && sub.topics.count(topic));
  if (!listened && !snapshot_only) {
    f.ticker.clear();  // the next subscriber gets a snapshot; nobody waits for deltas
    return {};
  }
  const auto fields = ticker_fields(c, s);
  std::map<std::string, std::string, std::less<>> now_fields(fields.begin(), fields.end());
  std::vector<std::pair<std::string, std::string>> changed;
  for (const auto& [k, v] : fields) {
    const auto it = f.ticker.find(k);
    if (it == f.ticker.end() || it->second != v) changed.emplace_back(k, v);
  }
  if (changed.empty() && !snapshot_only) return {};
  const bool snapshot = c.spot() || snapshot_only;  // spot tickers are snapshots only
  f.ticker = std::move(now_fields);
  JsonOut j;
  j.obj().kv("topic", topic).kv("type", snapshot ? "snapshot" : "delta").key("data").obj();
  if (!snapshot) j.kv("symbol", c.symbols[s]);
  for (const auto& [k, v] : snapshot ? fields : changed) {
    if (!snapshot && k == "symbol") continue;
    j.kv(k, v);
  }
  j.end_obj().kn("cs", static_cast<std::int64_t>(f.seq)).kn("ts", now_ms()).end_obj();
  if (!snapshot_only) send_public(c, topic, j.text());
  return j.take();
}

// ---- background -------------------------------------------------------------------------------
void BybitFront::on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) {
  std::lock_guard lock(impl_->mu);
  auto& c = impl_->category(m);
  const auto idx = c.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  c.venue->on_snapshot(*idx, s, impl_->now_ns(), out);
  impl_->flush(c, out);
  impl_->publish_book(c, *idx);
  (void)impl_->publish_ticker(c, *idx, false);
}

void BybitFront::on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) {
  std::lock_guard lock(impl_->mu);
  auto& c = impl_->category(m);
  const auto idx = c.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  c.venue->on_delta(*idx, d, impl_->now_ns(), out);
  impl_->flush(c, out);
  impl_->publish_book(c, *idx);
  (void)impl_->publish_ticker(c, *idx, false);
}

void BybitFront::on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) {
  std::lock_guard lock(impl_->mu);
  auto& c = impl_->category(m);
  const auto idx = c.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  c.venue->on_trade(*idx, t, impl_->now_ns(), out);
  impl_->record_trade(c, *idx, t.price, t.qty, t.buyer_is_maker ? Side::kSell : Side::kBuy, impl_->now_ms());
  impl_->flush(c, out);
  (void)impl_->publish_ticker(c, *idx, false);
}

}  // namespace oms::venue_sim
