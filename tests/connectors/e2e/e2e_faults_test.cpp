// E2E under venue-sim's seeded faults: a seeded mix of ~30 place / cancel / amend through the
// spot connector (plus another account's orders that fill ours as maker), answered the way the
// order desk does (no report within the ack bound -> query by client id). Then the per-order
// state folded from the reports equals the simulator's orders: no ghost, none lost, each fill
// once.
#include "e2e_fixture.hpp"

namespace oms::e2e {
namespace {

int rank(OrderStatus s) {
  switch (s) {
    case OrderStatus::kAccepted:
      return 1;
    case OrderStatus::kPartiallyFilled:
      return 2;
    case OrderStatus::kFilled:
    case OrderStatus::kCanceled:
    case OrderStatus::kExpired:
      return 3;
    case OrderStatus::kRejected:
      return 0;  // "unknown to the venue": anything the venue says later wins
    default:
      return 0;
  }
}

// Our view of one client order id, folded from the reports once each.
struct Folded {
  OrderStatus status = OrderStatus::kUnknown;
  Decimal cum;
  bool known = false;  // the venue has (had) an order under this id, as far as we know
  std::map<std::string, Decimal> fills;  // trade id -> qty
};

struct Fold {
  bool modify_keeps_order = false;  // USD-M modify: the same order (its fills stay)
  std::map<std::string, Folded> orders;
  std::size_t duplicate_fills = 0;
  void set(Folded& o, OrderStatus s, Decimal cum) {
    if (rank(s) >= rank(o.status) || o.status == OrderStatus::kUnknown) {
      o.status = s;
      if (cum > o.cum || rank(s) == 3) o.cum = std::max(o.cum, cum);
    }
  }
  void apply(const EventPayload& p) {
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (requires { e.client_order_id; }) {
            Folded& o = orders[std::string(e.client_order_id.view())];
            if constexpr (std::is_same_v<T, OrderAccepted>) {
              o.known = true;
              set(o, OrderStatus::kAccepted, Decimal{});
            } else if constexpr (std::is_same_v<T, OrderAmended>) {
              o.known = true;
              if (!modify_keeps_order) {  // spot: the replacement, a new order under the id
                o.status = OrderStatus::kAccepted;
                o.cum = Decimal{};
              } else if (o.status == OrderStatus::kUnknown) {
                o.status = OrderStatus::kAccepted;
              }
            } else if constexpr (std::is_same_v<T, OrderPartiallyFilled>) {
              o.known = true;
              set(o, OrderStatus::kPartiallyFilled, e.cum_qty);
            } else if constexpr (std::is_same_v<T, OrderFilled>) {
              o.known = true;
              set(o, OrderStatus::kFilled, e.cum_qty);
            } else if constexpr (std::is_same_v<T, OrderExpired>) {
              o.known = true;
              set(o, OrderStatus::kExpired, e.cum_qty);
            } else if constexpr (std::is_same_v<T, OrderCanceled>) {
              o.known = true;
              set(o, OrderStatus::kCanceled, e.cum_qty);
            } else if constexpr (std::is_same_v<T, OrderRejected>) {
              if (o.status == OrderStatus::kUnknown) o.status = OrderStatus::kRejected;
            } else if constexpr (std::is_same_v<T, OrderStatusReconciled>) {
              if (e.venue_order_id.empty()) {
                if (!o.known) o.status = OrderStatus::kRejected;
              } else {
                o.known = true;
                set(o, e.status, e.cum_qty);
              }
            } else if constexpr (std::is_same_v<T, FillReceived>) {
              const auto [it, fresh] = o.fills.emplace(std::string(e.trade_id.view()), e.quantity);
              if (!fresh) ++duplicate_fills;
            }
          }
        },
        p);
  }
};

Fold fold(const std::vector<ExchangeReport>& all, Market m) {
  Fold f;
  f.modify_keeps_order = m == Market::kUsdm;
  for (const auto& r : unique_reports(all)) f.apply(r.payload);
  return f;
}

// The simulator's view, the same shape: per client id the latest order's status and cum qty,
// and every trade of every order under that id.
std::map<std::string, Folded> venue_view(E2e& f) {
  std::map<std::string, Folded> out;
  std::map<std::uint64_t, std::string> cid_of;
  const bool spot = f.market == Market::kSpot;
  const auto orders = f.truth(spot ? binance::spot_all_orders(f.ins())
                                   : binance::usdm_all_orders(f.ins()));
  for (const auto& o : orders) {  // ascending orderId: the last one under an id wins
    const std::string c = o["clientOrderId"];
    cid_of[o["orderId"].get<std::uint64_t>()] = c;
    Folded& v = out[c];
    v.known = true;
    const std::string st = o["status"];
    v.status = st == "NEW"                ? OrderStatus::kAccepted
               : st == "PARTIALLY_FILLED" ? OrderStatus::kPartiallyFilled
               : st == "FILLED"           ? OrderStatus::kFilled
               : st == "CANCELED"         ? OrderStatus::kCanceled
               : st == "EXPIRED" || st == "EXPIRED_IN_MATCH" ? OrderStatus::kExpired
                                          : OrderStatus::kUnknown;
    v.cum = d(o["executedQty"].get<std::string>().c_str());
  }
  for (const auto& t : f.truth(spot ? binance::spot_my_trades(f.ins())
                                     : binance::usdm_user_trades(f.ins()))) {
    out[cid_of.at(t["orderId"].get<std::uint64_t>())].fills.emplace(
        std::to_string(t["id"].get<std::int64_t>()), d(t["qty"].get<std::string>().c_str()));
  }
  return out;
}

std::string describe(const Folded& o) {
  std::string s = std::to_string(static_cast<int>(o.status)) + " cum " + o.cum.to_string() +
                  " fills";
  for (const auto& [id, q] : o.fills) s += " " + id + ":" + q.to_string();
  return s;
}

// Ours (only ids the venue knows or we think it knows) equals the venue's.
bool same(const Fold& ours, std::map<std::string, Folded> venue, std::string* why,
          bool with_fills = true) {
  std::map<std::string, Folded> mine;
  for (const auto& [c, o] : ours.orders) {
    if (o.known || !o.fills.empty()) mine[c] = o;
  }
  if (!with_fills) {  // REST only: fills of lost acks are not reported (my_trades has them)
    for (auto& [c, o] : mine) o.fills.clear();
    for (auto& [c, v] : venue) v.fills.clear();
  }
  bool ok = mine.size() == venue.size();
  std::string w;
  for (const auto& [c, v] : venue) {
    const auto it = mine.find(c);
    if (it == mine.end()) {
      ok = false;
      w += "lost " + c + " (venue: " + describe(v) + ")\n";
      continue;
    }
    const Folded& o = it->second;
    if (o.status != v.status || o.cum != v.cum || o.fills != v.fills) {
      ok = false;
      w += "differs " + c + ": ours " + describe(o) + " venue " + describe(v) + "\n";
    }
  }
  for (const auto& [c, o] : mine) {
    if (venue.count(c) == 0) {
      ok = false;
      w += "ghost " + c + ": " + describe(o) + "\n";
    }
  }
  if (why != nullptr) *why = w;
  return ok;
}

struct Driver {
  E2e& f;
  std::uint64_t rng;
  bool rest_only = false;  // no other account's orders: nothing we would learn by stream only
  std::vector<std::string> placed;
  std::size_t queries = 0;

  std::uint64_t next(std::uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  }
  // Any report about c after index `from`.
  bool answered(std::string_view c, std::size_t from, std::chrono::milliseconds bound) {
    return f.reports.wait(
        [&](const std::vector<ExchangeReport>& all) {
          for (std::size_t i = from; i < all.size(); ++i) {
            bool hit = false;
            std::visit(
                [&](const auto& e) {
                  if constexpr (requires { e.client_order_id; }) {
                    hit = e.client_order_id.view() == c;
                  }
                },
                all[i].payload);
            if (hit) return true;
          }
          return false;
        },
        bound);
  }
  // The actors' ack timeout: no answer within the bound -> query by client id (asked again
  // while the query itself gets no answer).
  void await(const std::string& c, std::size_t from) {
    if (answered(c, from, 700ms)) return;
    for (int attempt = 0; attempt < 10; ++attempt) {
      const std::size_t q_from = f.reports.all().size();
      ++queries;
      f.ex().query(f.ins().id, cid(c));
      if (f.reports.wait(
              [&](const std::vector<ExchangeReport>& all) {
                for (std::size_t i = q_from; i < all.size(); ++i) {
                  const auto* s = std::get_if<OrderStatusReconciled>(&all[i].payload);
                  if (s != nullptr && s->client_order_id.view() == c) return true;
                }
                return false;
              },
              2500ms)) {
        return;
      }
    }
    FAIL("no answer for " << c);
  }
  // Spot: cents (99.50 ...). USD-M: the same shape around 60000 (bid 59970, ask 60000, our
  // resting bids 59971..59999).
  Decimal price(std::int64_t cents) {
    if (f.market == Market::kSpot) return Decimal::from_raw(Int128{cents} * 10'000'000);
    const std::int64_t usd = cents == 10000 ? 60000 : cents == 9950 ? 59970 : 59971 + (cents - 9960);
    return Decimal::from_raw(Int128{usd} * Decimal::kOne);
  }
  SubmitOrder make(Side side, const char* qty, std::int64_t cents, std::string_view c) {
    SubmitOrder o = order(f.market, side, qty, "1", c);
    o.price = price(cents);
    return o;
  }

  void run(int ops) {
    for (int i = 0; i < ops; ++i) {
      const auto k = next(10);
      const std::size_t from = f.reports.all().size();
      if (k < 5 || placed.empty() || (rest_only && k >= 8)) {
        const std::string c = "f" + std::to_string(i);
        SubmitOrder o = make(Side::kBuy, "0.06", 10000, c);  // notional >= the minimum
        const auto kind = next(4);
        if (kind == 0) {  // takes from the background asks at 100.00
        } else if (kind == 1 && !rest_only) {  // sells into the background bid at 99.50
          // (REST only: no sells, they would self-trade-expire our resting bids, which only
          // the stream tells)
          o.side = Side::kSell;
          o.price = price(9950);
        } else {  // rests between the background bid and ask
          o.price = price(9960 + static_cast<std::int64_t>(next(30)));
          o.quantity = Decimal::from_raw(static_cast<Int128>(6 + next(10)) * 10'000'000);
        }
        placed.push_back(c);
        f.ex().place(o);
        await(c, from);
      } else if (k < 7) {
        const std::string& c = placed[next(placed.size())];
        f.ex().cancel(CancelOrder{f.ex().account(), f.ins().id, cid(c)});
        await(c, from);
      } else if (k < 8) {
        const std::string& c = placed[next(placed.size())];
        f.ex().amend(AmendOrder{f.ex().account(), f.ins().id, cid(c),
                                price(9960 + static_cast<std::int64_t>(next(30))),
                                Decimal::from_raw(static_cast<std::int64_t>(6 + next(10)) *
                                                  10'000'000)});
        await(c, from);
      } else {  // bob sells into our resting bids: fills we learn from the stream only
        SubmitOrder o = make(Side::kSell, "0.03", 9960, "bob");
        (void)o.client_order_id.assign("bob" + std::to_string(i));
        const Keys other = f.market == Market::kSpot ? kBobKeys : kMakerKeys;
        auto signer = signing::BinanceSigner::hmac(other.secret);
        binance::Credentials cr{other.key, &*signer, 5'000};
        auto req = f.market == Market::kSpot ? binance::spot_new_order(f.ins(), o)
                                             : binance::usdm_new_order(f.ins(), o);
        auto http = binance::render(*req, cr, f.front->now_ms());
        REQUIRE(http.ok());
        (void)f.front->handle(*http);  // any answer (or a lost one): it is bob's
      }
    }
  }
};

void run_with(const char* faults, std::uint64_t seed, bool rest_only = false,
              Market m = Market::kSpot) {
  auto cfg = default_front_config();
  cfg.faults = venue_sim::parse_faults(faults);
  cfg.seed = seed;
  cfg.limits.spot_weight_1m = 10'000'000;  // the test's truth polling is not the connector's
  cfg.limits.usdm_weight_1m = 10'000'000;
  E2e f(m, cfg,
        [&](binance::BinanceConfig& c) { c.user_data_stream = !rest_only; });
  if (m == Market::kUsdm) {  // room between the background bid and ask for our resting bids
    sim::BookSnapshotIn b;
    b.bids = {{d("59970.0"), d("1")}, {d("59960.0"), d("5")}};
    b.asks = {{d("60000.0"), d("1")}, {d("60000.1"), d("2")}};
    f.front->on_snapshot(Market::kUsdm, "BTCUSDT", b);
  }
  Driver drv{f, seed * 7919 + 1, rest_only, {}, 0};
  drv.run(36);
  // The stream settles (drops reconnect and catch up): bounded.
  std::string why;
  const bool equal = wait_for(
      [&] { return same(fold(f.reports.all(), m), venue_view(f), &why, !rest_only); }, 15'000ms);
  INFO(why);
  CHECK(equal);
  CHECK(fold(f.reports.all(), m).duplicate_fills == 0);
  const auto venue = venue_view(f);
  std::size_t fills = 0;
  for (const auto& [c, v] : venue) fills += v.fills.size();
  MESSAGE(std::string(faults) << ": " << venue.size() << " venue orders, " << fills << " fills, "
                 << drv.queries << " queries");
  CHECK(venue.size() >= 10);
  CHECK(fills >= 5);
  if (rest_only) CHECK(drv.queries >= 3);  // the lost answers were found by the queries
}

}  // namespace

TEST_CASE("e2e faults lost_ack: queries answer the lost acks; final state equals the venue") {
  run_with("lost_ack=0.2", 101);
}
TEST_CASE("e2e faults lost_ack, REST only: only the queries find the executed orders") {
  run_with("lost_ack=0.2", 111, true);
}
TEST_CASE("e2e faults timeout, REST only: only the queries find the executed orders") {
  run_with("timeout=0.2,timeout_ms=300", 112, true);
}
TEST_CASE("e2e faults delay_ack: late acks; final state equals the venue") {
  run_with("delay_ack=0.3,delay_ms=150", 102);
}
TEST_CASE("e2e faults duplicate: each user-data event twice; each fill once") {
  run_with("duplicate=0.3", 103);
}
TEST_CASE("e2e faults reorder: swapped user-data events; final state equals the venue") {
  run_with("reorder=0.3", 104);
}
TEST_CASE("e2e faults error_5xx: refused requests executed nothing; final state equals the venue") {
  run_with("error_5xx=0.15", 105);
}
TEST_CASE("e2e faults timeout: executed without an answer; queries find them") {
  run_with("timeout=0.15,timeout_ms=300", 106);
}
TEST_CASE("e2e faults usdm: lost_ack + duplicate + reorder + drop_ws on futures") {
  run_with("lost_ack=0.1,duplicate=0.1,reorder=0.1,drop_ws=0.1", 121, false, Market::kUsdm);
}
TEST_CASE("e2e faults drop_ws: the user-data stream drops; reconnect catch-up loses no fill") {
  run_with("drop_ws=0.15", 107);
}

}  // namespace oms::e2e
