// venue-sim's OKX front: what the venue's changes push on the v5 WebSockets (the sessions are
// okx_front_ws.cpp).
//   public: books -- an update per change with seqId / prevSeqId chained and the checksum of the
//     whole published book's top 25 levels over the texts sent (oms::okx::book_checksum) --,
//     books5 (the top 5 when they change), bbo-tbt, trades (every print, ours and the
//     background's), tickers (when a field changes);
//   private: each venue call's reports become one push per account -- orders (one message per
//     order event), positions, account; orders-algo on the business URL --, with the fault
//     injector's duplicates, swaps and dropped sockets and one latency draw per push.
// cancelSource: "1" canceled by the user, "31" a post_only order that would take liquidity;
// any other end (ioc / fok remainder, self-trade prevention, reduce-only) "0" (by the system)
// with cancelSourceReason saying which.
#include <tuple>

#include "okx_front_impl.hpp"
#include "oms/connectors/okx/book_checksum.hpp"

namespace oms::venue_sim {

using namespace okxsim;

namespace {

void ended_by(OrderMeta& m, const sim::ExecutionReport& r) {
  const std::string& why = r.expiry_reason;
  if (r.exec_type == sim::ExecType::kCanceled && why.empty()) {
    m.cancel_source = "1";
    m.cancel_reason = "Order canceled by user";
  } else if (why == "GTX_WOULD_CROSS") {
    m.cancel_source = "31";
    m.cancel_reason = "POST_ONLY would take liquidity";
  } else {
    m.cancel_source = "0";
    m.cancel_reason = why == "IOC"   ? "Order canceled by system: the ioc order was not fully filled"
                      : why == "FOK" ? "Order canceled by system: the fok order could not be fully filled"
                      : why.rfind("STP_", 0) == 0 ? "Order canceled by system: self trade prevention"
                      : why == "REDUCE_ONLY"      ? "Order canceled by system: reduce-only order with no position left"
                                                  : "Order canceled by system (" + why + ")";
  }
}

int idx_of(PositionSide ps) { return ps == PositionSide::kLong ? 1 : ps == PositionSide::kShort ? 2 : 0; }

struct Item {  // one private push: channel, instType, instId, data item
  std::string channel, inst_type, inst_id, family, data;
};

}  // namespace

// ---- pushes -------------------------------------------------------------------------------------
void OkxFront::Impl::flush(Category& c, sim::Outbox& out) {
  const std::int64_t now = now_ms();
  std::set<sim::SymbolIndex> touched;
  std::map<std::size_t, std::vector<Item>> pushes;
  std::map<std::size_t, bool> balance_changed;
  std::map<std::pair<std::size_t, std::pair<sim::SymbolIndex, int>>, Decimal> flush_fee;
  std::map<std::tuple<sim::SymbolIndex, std::int64_t>, std::string> trade_ids;
  for (const auto& r : out.reports) {
    touched.insert(r.symbol);
    Account& a = account_of(c.market, r.account);
    const auto ai = static_cast<std::size_t>(&a - accounts.data());
    const OrderKey key{c.market, r.symbol, r.order_id};
    OrderMeta& m = orders[key];
    const OkxInstrument& oi = c.instruments[r.symbol];
    const auto& sym = oi.venue.symbol;
    const std::string family = sym.base + "-" + sym.quote;
    m.updated_ms = now;
    if (m.waiting()) {
      // An algo order: its placement and a cancel before the trigger are orders-algo news only;
      // any other report means it triggered (the core places the order at the trigger).
      const bool failed = r.exec_type == sim::ExecType::kExpired && r.cum_qty.is_zero() &&
                          (r.expiry_reason.find("BALANCE") != std::string::npos || r.expiry_reason.find("MARGIN") != std::string::npos);
      if (r.exec_type == sim::ExecType::kCanceled && r.expiry_reason.empty()) {
        m.algo_state = "canceled";
        untriggered.erase(key);
      } else if (failed) {
        m.algo_state = "order_failed";
        untriggered.erase(key);
      } else if (r.exec_type != sim::ExecType::kNew) {
        triggered(c, key, m, now);
      }
      JsonOut aj;
      algo_json(aj, c, key, m);
      pushes[ai].push_back(Item{"orders-algo", c.type(), oi.venue.venue_symbol, family, aj.take()});
      if (!m.triggered) continue;
      // The order the trigger placed: live first, as OKX pushes it.
      OrderRow placed = row_of(r);
      placed.status = sim::SimStatus::kNew;
      placed.cum_qty = placed.cum_quote = Decimal{};
      JsonOut lj;
      order_json(lj, c, placed, m, nullptr, true);
      pushes[ai].push_back(Item{"orders", c.type(), oi.venue.venue_symbol, family, lj.take()});
    }
    if (r.exec_type == sim::ExecType::kCanceled || r.exec_type == sim::ExecType::kExpired) ended_by(m, r);
    if (r.exec_type == sim::ExecType::kTrade) {
      // Both sides of one match share OKX's tradeId; a taker's fill prints on the public tape.
      auto& tid = trade_ids[{r.symbol, r.trade_id}];
      if (tid.empty()) {
        if (!r.maker) {
          record_trade(c, r.symbol, r.last_price, r.last_qty, r.side, now);
          tid = c.feeds[r.symbol].prints.back().trade_id;
        } else {
          tid = std::to_string(next_trade_id++);
        }
      }
      const Decimal fee = Decimal::from_raw(-r.commission.raw());  // OKX: negative = charged
      m.fee = dadd(m.fee, fee);
      m.fee_ccy = r.commission_asset;
      m.pnl = dadd(m.pnl, r.realized_profit);
      m.last_px = r.last_price;
      m.last_sz = r.last_qty;
      m.last_trade_id = tid;
      m.last_maker = r.maker;
      m.fill_time = now;
      Fill f;
      f.market = c.market;
      f.symbol = r.symbol;
      f.bill_id = next_bill_id++;
      f.ord_id = m.ord_id;
      f.trade_id = tid;
      f.cl_ord_id = m.cl_given ? r.client_order_id : std::string();
      f.tag = m.tag;
      f.pos_side = m.pos_side;
      f.side = r.side;
      f.px = r.last_price;
      f.qty = r.last_qty;
      f.fee = fee;
      f.fee_ccy = r.commission_asset;
      f.maker = r.maker;
      f.ts = now;
      a.fills.push_back(std::move(f));
      if (!c.spot()) {
        auto& ff = flush_fee[{ai, {r.symbol, idx_of(r.position_side)}}];
        ff = dadd(ff, fee);
        a.positions[{r.symbol, idx_of(r.position_side)}].last_trade_id = tid;
      }
    }
    JsonOut j;
    order_json(j, c, row_of(r), m, &r, true);
    pushes[ai].push_back(Item{"orders", c.type(), oi.venue.venue_symbol, family, j.take()});
  }
  // Algo limit orders that triggered and rest on the book report nothing in the core.
  for (auto it = untriggered.begin(); it != untriggered.end();) {
    const OrderKey key = *it;
    ++it;
    if (key.market != c.market) continue;
    OrderMeta& m = orders[key];
    const auto v = c.venue->query(venue_id(accounts[m.account], c), key.symbol, sim::OrderRef{key.order_id, {}});
    if (!v.ok() || !v->working) continue;
    triggered(c, key, m, now);
    touched.insert(key.symbol);
    const OkxInstrument& oi = c.instruments[key.symbol];
    const std::string family = oi.venue.symbol.base + "-" + oi.venue.symbol.quote;
    JsonOut aj, oj;
    algo_json(aj, c, key, m);
    order_json(oj, c, row_of(*v), m, nullptr, true);
    pushes[m.account].push_back(Item{"orders-algo", c.type(), oi.venue.venue_symbol, family, aj.take()});
    pushes[m.account].push_back(Item{"orders", c.type(), oi.venue.venue_symbol, family, oj.take()});
  }
  for (const auto& u : out.account_updates) {
    Account& a = account_of(c.market, u.account);
    const auto ai = static_cast<std::size_t>(&a - accounts.data());
    balance_changed[ai] = true;
    for (const auto& p : u.positions) {
      const std::pair<sim::SymbolIndex, int> key{p.symbol, idx_of(p.position_side)};
      PositionState& st = a.positions[key];
      const auto ff = flush_fee.find({ai, key});
      const Decimal fee = ff == flush_fee.end() ? Decimal{} : ff->second;
      if (ff != flush_fee.end()) flush_fee.erase(ff);
      if (!p.amount.is_zero() && !st.open) {
        st.created_ms = now;
        st.pos_id = next_pos_id++;
        st.realized_at_open = p.realized_pnl;
        st.fee = fee;
      } else {
        st.fee = dadd(st.fee, fee);
      }
      st.open = !p.amount.is_zero();
      st.updated_ms = now;
      JsonOut j;
      position_json(j, a, p);
      const auto& psym = c.instruments[p.symbol].venue.symbol;
      pushes[ai].push_back(Item{"positions", "SWAP", c.instruments[p.symbol].venue.venue_symbol, psym.base + "-" + psym.quote, j.take()});
    }
  }
  for (const auto& [k, fee] : flush_fee) accounts[k.first].positions[k.second].fee = dadd(accounts[k.first].positions[k.second].fee, fee);
  for (auto& [ai, list] : pushes) {
    if (balance_changed[ai]) list.push_back(Item{"account", "", "", "", ""});
    balance_changed[ai] = false;
  }
  for (const auto& [ai, changed] : balance_changed) {
    if (changed) pushes[ai].push_back(Item{"account", "", "", "", ""});
  }
  for (auto& [ai, list] : pushes) {
    std::vector<std::tuple<std::string, std::string, std::string>> messages;
    for (auto& it : list) messages.emplace_back(it.channel, it.inst_type + "|" + it.inst_id + "|" + it.family, std::move(it.data));
    send_private(ai, std::move(messages));
  }
  for (const auto s : touched) {
    publish_book(c, s);
    publish_ticker(c, s);
  }
}

namespace {

// Whether a subscribed arg takes an item of (instType|instId|family).
bool takes(const nlohmann::json& arg, std::string_view channel, std::string_view where) {
  if (arg.value("channel", "") != channel) return false;
  if (channel == "account") return true;
  const auto bar1 = where.find('|'), bar2 = where.rfind('|');
  const std::string_view type = where.substr(0, bar1), inst = where.substr(bar1 + 1, bar2 - bar1 - 1), family = where.substr(bar2 + 1);
  const std::string t = arg.value("instType", "ANY");
  if (t != "ANY" && t != type) return false;
  if (arg.contains("instId") && arg["instId"].get<std::string>() != inst) return false;
  if (arg.contains("instFamily") && arg["instFamily"].get<std::string>() != family) return false;
  return true;
}

}  // namespace

void OkxFront::Impl::send_private(std::size_t account, std::vector<std::tuple<std::string, std::string, std::string>> messages) {
  if (messages.empty()) return;
  const auto& f = cfg.faults;
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
  Account& a = accounts[account];
  for (auto& [id, sub] : subs) {
    if (sub.kind == Sub::Kind::kPublic || !sub.logged_in || sub.account != account) continue;
    bool any = false;
    for (const auto& [channel, where, data] : wire) {
      for (const auto& [key, arg] : sub.channels) any = any || takes(arg, channel, where);
    }
    if (!any) continue;
    if (draw(f.drop_ws)) {
      sub.session->drop();
      continue;
    }
    for (const auto& [channel, where, data] : wire) {
      for (const auto& [key, arg] : sub.channels) {
        if (!takes(arg, channel, where)) continue;
        nlohmann::json echoed = arg;
        echoed["uid"] = a.uid;
        JsonOut j;
        j.obj().key("arg").raw(echoed.dump()).key("data").arr();
        if (channel == "account") {
          std::set<std::string, std::less<>> only;
          if (arg.contains("ccy")) only.insert(arg["ccy"].get<std::string>());
          balance_json(j, a, only.empty() ? nullptr : &only);
        } else {
          j.raw(data);
        }
        j.end_arr().end_obj();
        sub.session->send_after(latency, j.take());
      }
    }
  }
}

void OkxFront::Impl::send_public(std::string_view key, const std::string& text) {
  for (auto& [id, sub] : subs) {
    if (sub.kind == Sub::Kind::kPublic && sub.channels.count(key)) sub.session->send(text);
  }
}

std::string OkxFront::Impl::books_json(const Category& c, sim::SymbolIndex s, const char* channel, const char* action,
                                       const std::vector<sim::PriceQty>& bids, const std::vector<sim::PriceQty>& asks,
                                       std::int64_t seq, std::int64_t prev, bool with_checksum) {
  const OkxInstrument& oi = c.instruments[s];
  const Feed& f = c.feeds[s];
  JsonOut j;
  j.obj().key("arg").obj().kv("channel", channel).kv("instId", oi.venue.venue_symbol).end_obj();
  if (action != nullptr) j.kv("action", action);
  j.key("data").arr().obj();
  for (const auto* side : {&asks, &bids}) {
    j.key(side == &asks ? "asks" : "bids").arr();
    for (const auto& l : *side) j.arr().str(text(l.price)).str(text(to_okx(oi, l.qty))).str("0").str(l.qty.is_zero() ? "0" : "1").end_arr();
    j.end_arr();
  }
  if (action == nullptr) j.kv("instId", oi.venue.venue_symbol);
  j.kv("ts", std::to_string(now_ms()));
  if (with_checksum) {
    // The checksum of the whole published book after this message, over the texts as sent.
    std::vector<std::string> texts;
    const std::size_t nb = std::min(okx::kChecksumDepth, f.bids.size()), na = std::min(okx::kChecksumDepth, f.asks.size());
    texts.reserve(2 * (nb + na));
    for (std::size_t i = 0; i < nb; ++i) {
      texts.push_back(text(f.bids[i].price));
      texts.push_back(text(to_okx(oi, f.bids[i].qty)));
    }
    for (std::size_t i = 0; i < na; ++i) {
      texts.push_back(text(f.asks[i].price));
      texts.push_back(text(to_okx(oi, f.asks[i].qty)));
    }
    std::vector<okx::TextLevel> b, a;
    for (std::size_t i = 0; i < nb; ++i) b.push_back({texts[2 * i], texts[2 * i + 1]});
    for (std::size_t i = 0; i < na; ++i) a.push_back({texts[2 * (nb + i)], texts[2 * (nb + i) + 1]});
    j.kn("checksum", okx::book_checksum(b, a));
  }
  if (prev != 0 || action != nullptr) j.kn("prevSeqId", prev);
  j.kn("seqId", seq).end_obj().end_arr().end_obj();
  return j.take();
}

void OkxFront::Impl::publish_book(Category& c, sim::SymbolIndex s) {
  Feed& f = c.feeds[s];
  const auto top5 = [](const std::vector<sim::PriceQty>& v) {
    return std::vector<sim::PriceQty>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(5, v.size())));
  };
  const auto old_b5 = top5(f.bids), old_a5 = top5(f.asks);
  std::vector<sim::PriceQty> db, da;
  diff_side(c.venue->depth(s, Side::kBuy, kBooksDepth), Side::kBuy, f.bids, db);
  diff_side(c.venue->depth(s, Side::kSell, kBooksDepth), Side::kSell, f.asks, da);
  if (db.empty() && da.empty()) return;
  const std::int64_t prev = f.seq;
  ++f.seq;
  const std::string& inst = c.instruments[s].venue.venue_symbol;
  const std::string books_key = "books|" + inst;
  bool listened = false;
  for (const auto& [id, sub] : subs) listened = listened || (sub.kind == Sub::Kind::kPublic && sub.channels.count(books_key));
  if (listened) send_public(books_key, books_json(c, s, "books", "update", db, da, f.seq, prev, true));
  // OKX's books update lists bids descending and asks ascending, as diff_side gives them.
  const auto b5 = top5(f.bids), a5 = top5(f.asks);
  if (b5 != old_b5 || a5 != old_a5) send_public("books5|" + inst, books_json(c, s, "books5", nullptr, b5, a5, f.seq, 0, false));
  const std::optional<sim::PriceQty> bid = f.bids.empty() ? std::nullopt : std::optional(f.bids.front());
  const std::optional<sim::PriceQty> ask = f.asks.empty() ? std::nullopt : std::optional(f.asks.front());
  if (bid != f.bid || ask != f.ask) {
    f.bid = bid;
    f.ask = ask;
    std::vector<sim::PriceQty> bb, aa;
    if (bid) bb.push_back(*bid);
    if (ask) aa.push_back(*ask);
    send_public("bbo-tbt|" + inst, books_json(c, s, "bbo-tbt", nullptr, bb, aa, f.seq, 0, false));
  }
}

void OkxFront::Impl::publish_ticker(Category& c, sim::SymbolIndex s) {
  const std::string key = "tickers|" + c.instruments[s].venue.venue_symbol;
  bool listened = false;
  for (const auto& [id, sub] : subs) listened = listened || (sub.kind == Sub::Kind::kPublic && sub.channels.count(key));
  if (!listened) return;
  JsonOut t;
  ticker_json(t, c, s);
  std::string body = t.take();
  // Pushed when anything but its ts changed (the ts is the last field).
  const std::string sans_ts = body.substr(0, body.rfind(",\"ts\""));
  Feed& f = c.feeds[s];
  if (sans_ts == f.ticker) return;
  f.ticker = sans_ts;
  JsonOut j;
  j.obj().key("arg").obj().kv("channel", "tickers").kv("instId", c.instruments[s].venue.venue_symbol).end_obj();
  j.key("data").arr().raw(body).end_arr().end_obj();
  send_public(key, j.take());
}

void OkxFront::Impl::publish_trade(Category& c, sim::SymbolIndex s, const Print& p) {
  const OkxInstrument& oi = c.instruments[s];
  const std::string key = "trades|" + oi.venue.venue_symbol;
  JsonOut j;
  j.obj().key("arg").obj().kv("channel", "trades").kv("instId", oi.venue.venue_symbol).end_obj().key("data").arr().obj();
  j.kv("instId", oi.venue.venue_symbol).kv("tradeId", p.trade_id).kv("px", text(p.price)).kv("sz", text(to_okx(oi, p.qty)));
  j.kv("side", p.taker == Side::kBuy ? "buy" : "sell").kv("ts", std::to_string(p.time_ms)).kv("count", "1").end_obj().end_arr().end_obj();
  send_public(key, j.take());
}

// ---- background -------------------------------------------------------------------------------
void OkxFront::on_snapshot(Market m, std::string_view symbol, const sim::BookSnapshotIn& s) {
  std::lock_guard lock(impl_->mu);
  auto& c = impl_->category(m);
  const auto idx = c.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  c.venue->on_snapshot(*idx, s, impl_->now_ns(), out);
  impl_->flush(c, out);
  impl_->publish_book(c, *idx);
  impl_->publish_ticker(c, *idx);
}

void OkxFront::on_delta(Market m, std::string_view symbol, const sim::BookDeltaIn& d) {
  std::lock_guard lock(impl_->mu);
  auto& c = impl_->category(m);
  const auto idx = c.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  c.venue->on_delta(*idx, d, impl_->now_ns(), out);
  impl_->flush(c, out);
  impl_->publish_book(c, *idx);
  impl_->publish_ticker(c, *idx);
}

void OkxFront::on_trade(Market m, std::string_view symbol, const sim::TradePrintIn& t) {
  std::lock_guard lock(impl_->mu);
  auto& c = impl_->category(m);
  const auto idx = c.venue->find_symbol(symbol);
  if (!idx) return;
  sim::Outbox out;
  c.venue->on_trade(*idx, t, impl_->now_ns(), out);
  impl_->record_trade(c, *idx, t.price, t.qty, t.buyer_is_maker ? Side::kSell : Side::kBuy, impl_->now_ms());
  impl_->flush(c, out);
  impl_->publish_ticker(c, *idx);
}

}  // namespace oms::venue_sim
