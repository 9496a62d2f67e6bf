// The backtest's report files (backtest.hpp): report.json, fills.csv, equity.csv and a
// self-contained report.html (inline SVG charts, no script, no network). Every number is
// computed from the run alone -- no clock, no locale -- so equal runs give equal bytes.
//
// Definitions (also in the README):
//   pnl_usdt        trading PnL: each fill marked to the instrument's mid (at the time asked;
//                   at the end for the totals), minus fees valued in USDT at the fill
//   equity_usdt     the venue's value of every account (balances and USD-M wallet plus
//                   unrealized PnL at the mids): moves with the deposits' market value too
//   drawdown        the largest fall of pnl_usdt from its running peak
//   sharpe          mean / standard deviation of the 1-second changes of pnl_usdt, as a
//                   fraction of the starting equity, annualized by sqrt(seconds in a year)
//   turnover_usdt   the sum of fill notionals (price x quantity; USD-M: in USDT)
//   orders          every order the engine decided (OrderSubmitted); orders_refused_by_risk
//                   never left (risk or the desk refused them), the rest reached the venue
//   fill_ratio      orders with a fill / orders that reached the venue
//   spread_capture  sum over fills of (mid - price) x quantity for a buy, (price - mid) x
//                   quantity for a sell: what a fill earned against the mid it traded at
//   arbitrage       a signal is an arbitrage saga's two legs; it succeeded when both filled
//                   completely
//   sagas           each arbitrage saga as its last step left it: closed (the legs, or the
//                   legs and a hedge, filled equally), missed (no leg filled), unwound, failed,
//                   open (at the end); saga_success_rate = closed / sagas ended other than
//                   missed; saga_pnl its PnL (fees in the quote asset included); leg latency
//                   (legs out -> both answered) and slippage (detected minus filled spread per
//                   unit) averaged over the sagas that have them
//   max_inventory   per strategy: the largest absolute position its fills built in one
//                   instrument (base units), in fill order
#include <cmath>
#include <stdexcept>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "oms/configs/strategies.hpp"
#include "oms/replay/backtest.hpp"
#include "oms/replay/progress.hpp"

namespace oms::replay {

namespace {

using nlohmann::ordered_json;

std::string utc(TimeNs t) { return utc_text(t, 3); }

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos) s.erase(0, s[0] == '-' ? 1 : 0);
  return s;
}

double d(Decimal x) { return static_cast<double>(x.raw()) / static_cast<double>(Decimal::kOne); }

Decimal add(Decimal a, Decimal b) { return Decimal::from_raw(a.raw() + b.raw()); }
// Products of prices and quantities in USDT stay far inside the 1e-9 fixed point's range
// (1.7e29); one that does not fit would be a bug in the inputs: it aborts the report.
Decimal mul(Decimal a, Decimal b) {
  auto r = a.mul(b, Rounding::kHalfEven);
  if (!r) throw std::overflow_error("report: " + a.to_string() + " x " + b.to_string() + " overflows");
  return *r;
}
Decimal sub(Decimal a, Decimal b) { return Decimal::from_raw(a.raw() - b.raw()); }

// (mid - price) x qty for a buy, (price - mid) x qty for a sell.
Decimal edge(const BacktestFill& f, Decimal mark) {
  const Decimal diff = f.side == Side::kBuy ? sub(mark, f.price) : sub(f.price, mark);
  return mul(diff, f.quantity);
}

struct Totals {
  Decimal pnl, fees, turnover, capture, buy_qty, sell_qty;
  std::uint64_t fills = 0, maker = 0;
};

// The trading PnL of the fills up to and at each sample, each marked at that sample's mids.
std::vector<Decimal> pnl_curve(const BacktestResult& r) {
  std::vector<Decimal> out;
  out.reserve(r.equity.size());
  std::size_t next = 0;
  std::map<std::string, std::pair<Decimal, Decimal>> held;  // instrument -> (signed qty, cash)
  Decimal fees;
  for (const auto& p : r.equity) {
    while (next < r.fills.size() && r.fills[next].time <= p.time) {
      const auto& f = r.fills[next++];
      auto& [qty, cash] = held[f.instrument];
      const Decimal notional = mul(f.price, f.quantity);
      if (f.side == Side::kBuy) {
        qty = add(qty, f.quantity);
        cash = sub(cash, notional);
      } else {
        qty = sub(qty, f.quantity);
        cash = add(cash, notional);
      }
      fees = add(fees, f.fee_usdt);
    }
    Decimal pnl = Decimal::from_raw(-fees.raw());
    for (const auto& [ins, h] : held) {
      const auto m = p.mid.find(ins);
      const Decimal mark = m == p.mid.end() ? Decimal{} : m->second;
      pnl = add(pnl, add(h.second, mul(h.first, mark)));
    }
    out.push_back(pnl);
  }
  return out;
}

// ---- SVG ---------------------------------------------------------------------------------

struct Series {
  std::string name, color;
  std::vector<std::pair<double, double>> points;  // (seconds from start, value)
};
struct Marker {
  double x = 0, y = 0;
  bool buy = true;
};

std::string svg_chart(const std::string& id, const std::string& title, const std::vector<Series>& series,
                      const std::vector<Marker>& markers = {}) {
  constexpr double kW = 900, kH = 260, kL = 70, kR = 10, kT = 24, kB = 28;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 0;
  bool any = false;
  const auto see = [&](double x, double y) {
    if (!any) {
      x0 = x1 = x;
      y0 = y1 = y;
      any = true;
    }
    x0 = std::min(x0, x);
    x1 = std::max(x1, x);
    y0 = std::min(y0, y);
    y1 = std::max(y1, y);
  };
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) see(x, y);
  for (const auto& m : markers) see(m.x, m.y);
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) {
    y0 -= 1;
    y1 += 1;
  }
  const auto px = [&](double x) { return kL + (x - x0) / (x1 - x0) * (kW - kL - kR); };
  const auto py = [&](double y) { return kT + (y1 - y) / (y1 - y0) * (kH - kT - kB); };
  std::ostringstream o;
  o << "<svg id=\"" << id << "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW
    << "\" height=\"" << kH << "\" viewBox=\"0 0 " << kW << ' ' << kH << "\">";
  o << "<rect x=\"0\" y=\"0\" width=\"" << kW << "\" height=\"" << kH << "\" fill=\"#ffffff\"/>";
  o << "<text x=\"" << kL << "\" y=\"16\" font-size=\"13\" font-family=\"sans-serif\">" << title << "</text>";
  o << "<line x1=\"" << kL << "\" y1=\"" << kT << "\" x2=\"" << kL << "\" y2=\"" << kH - kB
    << "\" stroke=\"#888\"/><line x1=\"" << kL << "\" y1=\"" << kH - kB << "\" x2=\"" << kW - kR
    << "\" y2=\"" << kH - kB << "\" stroke=\"#888\"/>";
  o << "<text x=\"4\" y=\"" << kT + 10 << "\" font-size=\"11\" font-family=\"sans-serif\">" << fixed(y1, 2)
    << "</text><text x=\"4\" y=\"" << kH - kB << "\" font-size=\"11\" font-family=\"sans-serif\">"
    << fixed(y0, 2) << "</text>";
  o << "<text x=\"" << kL << "\" y=\"" << kH - 8 << "\" font-size=\"11\" font-family=\"sans-serif\">0 s</text>"
    << "<text x=\"" << kW - kR - 60 << "\" y=\"" << kH - 8 << "\" font-size=\"11\" font-family=\"sans-serif\">"
    << fixed(x1, 0) << " s</text>";
  double legend = kL + 7.0 * static_cast<double>(title.size()) + 24;  // after the title
  for (const auto& s : series) {
    o << "<polyline class=\"series\" fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\" points=\"";
    for (const auto& [x, y] : s.points) o << fixed(px(x), 1) << ',' << fixed(py(y), 1) << ' ';
    o << "\"/>";
    o << "<text x=\"" << legend << "\" y=\"16\" font-size=\"11\" font-family=\"sans-serif\" fill=\"" << s.color
      << "\">" << s.name << "</text>";
    legend += 12 + 7 * static_cast<double>(s.name.size());
  }
  for (const auto& m : markers) {
    o << "<circle class=\"fill\" cx=\"" << fixed(px(m.x), 1) << "\" cy=\"" << fixed(py(m.y), 1)
      << "\" r=\"3\" fill=\"" << (m.buy ? "#1a9641" : "#d7191c") << "\"/>";
  }
  o << "</svg>";
  return o.str();
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

bool write_file(const std::filesystem::path& p, const std::string& text, std::string& error) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    error = p.string() + ": cannot write";
    return false;
  }
  return true;
}

}  // namespace

static Result<Unit, std::string> write_report_files(const BacktestResult& r,
                                                    const BacktestOptions& options,
                                                    const std::filesystem::path& out);

Result<Unit, std::string> write_report(const BacktestResult& r, const BacktestOptions& options,
                                       const std::filesystem::path& out) {
  try {
    return write_report_files(r, options, out);
  } catch (const std::overflow_error& e) {
    return Unexpected(std::string(e.what()));
  }
}

static Result<Unit, std::string> write_report_files(const BacktestResult& r,
                                                    const BacktestOptions& options,
                                                    const std::filesystem::path& out) {
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return Unexpected(out.string() + ": " + ec.message());

  // Per strategy and instrument.
  std::map<std::string, Totals> by_strategy, by_instrument;
  Totals all;
  const EquityPoint* end = r.equity.empty() ? nullptr : &r.equity.back();
  for (const auto& f : r.fills) {
    const Decimal notional = mul(f.price, f.quantity);
    const Decimal mark = end != nullptr && end->mid.count(f.instrument) ? end->mid.at(f.instrument) : f.price;
    for (Totals* t : {&all, &by_strategy[f.strategy.empty() ? "(api)" : f.strategy], &by_instrument[f.instrument]}) {
      ++t->fills;
      t->maker += f.maker ? 1U : 0U;
      t->turnover = add(t->turnover, notional);
      t->fees = add(t->fees, f.fee_usdt);
      t->capture = add(t->capture, edge(f, f.mid));
      t->pnl = add(t->pnl, sub(edge(f, mark), f.fee_usdt));
      if (f.side == Side::kBuy) t->buy_qty = add(t->buy_qty, f.quantity);
      else t->sell_qty = add(t->sell_qty, f.quantity);
    }
  }
  // The strategies' types (strategies.yaml): signals count for arbitrage only.
  std::map<std::string, std::string> type_of;
  {
    const auto strategies = configs::load_strategies_from_string(options.setup.config.strategies,
                                                                 "strategies.yaml");
    for (const auto& st : strategies.strategies) type_of[st.name] = std::string(configs::to_string(st.type));
  }
  // The largest position each strategy held in an instrument (its fills in order).
  std::map<std::string, Decimal> max_inventory;
  {
    std::map<std::pair<std::string, std::string>, Decimal> held;
    for (const auto& f : r.fills) {
      Decimal& pos = held[{f.strategy, f.instrument}];
      pos = f.side == Side::kBuy ? add(pos, f.quantity) : sub(pos, f.quantity);
      const Decimal size = pos.is_negative() ? sub(Decimal{}, pos) : pos;
      Decimal& top = max_inventory[f.strategy.empty() ? "(api)" : f.strategy];
      if (top < size) top = size;
    }
  }
  // Orders and arbitrage signals.
  struct OrderStats {
    std::uint64_t orders = 0, filled = 0, rejected = 0, refused = 0;
    std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> signals;  // signal -> (legs, legs filled)
  };
  std::map<std::string, OrderStats> orders_by;
  OrderStats orders_all;
  std::map<std::string, std::uint64_t> saga_of_leg;  // a leg's client order id -> its saga
  for (std::size_t i = 0; i < r.sagas.size(); ++i) {
    saga_of_leg[r.sagas[i].buy_order] = i + 1;
    saga_of_leg[r.sagas[i].sell_order] = i + 1;
  }
  for (const auto& o : r.orders) {
    for (OrderStats* s : {&orders_all, &orders_by[o.strategy.empty() ? "(api)" : o.strategy]}) {
      ++s->orders;
      s->filled += o.filled.is_zero() ? 0U : 1U;
      s->rejected += o.rejected ? 1U : 0U;
      s->refused += o.refused ? 1U : 0U;
      // A signal: an arbitrage saga's two legs (its repairs are not legs).
      if (const auto leg = saga_of_leg.find(o.client_order_id); leg != saga_of_leg.end()) {
        auto& sig = s->signals[leg->second];
        ++sig.first;
        sig.second += o.filled == o.quantity ? 1U : 0U;
      }
    }
  }
  const auto signal_counts = [](const OrderStats& s) {
    std::pair<std::uint64_t, std::uint64_t> n{0, 0};
    for (const auto& [id, legs] : s.signals) {
      if (legs.first < 2) continue;  // one order is not a pair (a strategy's lone order)
      ++n.first;
      n.second += legs.second == legs.first ? 1U : 0U;
    }
    return n;
  };

  // Arbitrage sagas.
  struct SagaStats {
    std::uint64_t sagas = 0, open = 0, closed = 0, hedged = 0, missed = 0, unwound = 0, failed = 0;
    Decimal pnl, slippage;
    std::uint64_t slipped = 0, acked = 0;
    TimeNs latency = 0;
  };
  std::map<std::string, SagaStats> sagas_by;
  SagaStats sagas_all;
  for (const auto& sg : r.sagas) {
    for (SagaStats* s : {&sagas_all, &sagas_by[sg.strategy]}) {
      ++s->sagas;
      switch (sg.state) {
        case SagaState::kClosed: ++s->closed; s->hedged += sg.hedged ? 1U : 0U; break;
        case SagaState::kMissed: ++s->missed; break;
        case SagaState::kUnwound: ++s->unwound; break;
        case SagaState::kFailed: ++s->failed; break;
        default: ++s->open; break;
      }
      s->pnl = add(s->pnl, sg.pnl);
      if (sg.both_legs_filled) {
        ++s->slipped;
        s->slippage = add(s->slippage, sg.slippage);
      }
      if (sg.leg_latency > 0) {
        ++s->acked;
        s->latency += sg.leg_latency;
      }
    }
  }
  // The PnL curve, drawdown and Sharpe.
  const auto curve = pnl_curve(r);
  double peak = 0, max_dd = 0;
  for (const auto& p : curve) {
    peak = std::max(peak, d(p));
    max_dd = std::max(max_dd, peak - d(p));
  }
  const double equity_start = r.equity.empty() ? 0 : d(r.equity.front().equity);
  double mean = 0, var = 0;
  std::size_t n = 0;
  for (std::size_t i = 1; i < curve.size(); ++i) {
    const double ret = equity_start > 0 ? (d(curve[i]) - d(curve[i - 1])) / equity_start : 0;
    ++n;
    const double delta = ret - mean;
    mean += delta / static_cast<double>(n);
    var += delta * (ret - mean);
  }
  const double sd = n > 1 ? std::sqrt(var / static_cast<double>(n - 1)) : 0;
  const double sharpe = sd > 0 ? mean / sd * std::sqrt(365.0 * 24 * 3600) : 0;

  const auto ratio = [](std::uint64_t a, std::uint64_t b) { return b == 0 ? std::string("0") : fixed(static_cast<double>(a) / static_cast<double>(b), 6); };
  const auto saga_json = [&](const SagaStats& s, const std::string& strategy) {
    const std::uint64_t ended = s.closed + s.unwound + s.failed;  // missed: nothing traded
    const std::uint64_t done = ended + s.missed;
    std::uint64_t refused = 0;
    std::string last_refusal;
    for (const auto& [name, why] : r.signals_refused) {
      if (!strategy.empty() && name != strategy) continue;
      refused += why.first;
      if (!why.second.empty()) last_refusal = why.second;
    }
    return ordered_json{
        {"signals_refused", refused}, {"last_refusal", last_refusal},
        {"sagas", s.sagas}, {"closed", s.closed}, {"closed_by_hedge", s.hedged},
        {"missed", s.missed}, {"unwound", s.unwound}, {"failed", s.failed}, {"open", s.open},
        {"saga_success_rate", ratio(s.closed, ended)},
        {"saga_pnl", s.pnl.to_string()},
        {"profit_per_saga", done == 0 ? std::string("0") : fixed(d(s.pnl) / static_cast<double>(done), 8)},
        {"leg_latency_avg_us", s.acked == 0 ? std::string("0")
                                            : fixed(static_cast<double>(s.latency) / 1e3 / static_cast<double>(s.acked), 1)},
        {"slippage_avg", s.slipped == 0 ? std::string("0")
                                        : fixed(d(s.slippage) / static_cast<double>(s.slipped), 8)}};
  };

  ordered_json j;
  j["period"] = {{"from", utc(r.first_time)}, {"to", utc(r.last_time)},
                 {"seconds", fixed(static_cast<double>(r.last_time - r.first_time) / 1e9, 3)}};
  j["inputs"] = {{"messages", r.messages}, {"engine_events", r.engine_events}};
  {
    ordered_json files = ordered_json::array();
    for (const auto& f : options.data) files.push_back(f.path.filename().string());
    j["inputs"]["files"] = files;
  }
  j["model"] = {{"latency_fixed_us", options.latency.fixed_ns / 1000},
                {"latency_jitter_us", options.latency.jitter_ns / 1000},
                {"latency_seed", options.latency.seed},
                {"latency_recorded_feed_delay", options.latency.recorded},
                {"fees", options.fees ? "maker " + options.fees->first.to_string() + ", taker " + options.fees->second.to_string()
                                      : std::string("exchanges.yaml")}};
  const auto sig = signal_counts(orders_all);
  ordered_json totals;
  totals["pnl_usdt"] = all.pnl.to_string();
  totals["fees_usdt"] = all.fees.to_string();
  totals["equity_start_usdt"] = r.equity.empty() ? "0" : r.equity.front().equity.to_string();
  totals["equity_end_usdt"] = r.equity.empty() ? "0" : r.equity.back().equity.to_string();
  totals["sharpe"] = fixed(sharpe, 4);
  totals["max_drawdown_usdt"] = fixed(max_dd, 2);
  totals["max_drawdown_pct"] = fixed(equity_start > 0 ? 100.0 * max_dd / equity_start : 0, 4);
  totals["turnover_usdt"] = all.turnover.to_string();
  totals["orders"] = orders_all.orders;
  totals["orders_filled"] = orders_all.filled;
  totals["orders_refused_by_risk"] = orders_all.refused;
  totals["orders_rejected_by_venue"] = orders_all.rejected;
  totals["fill_ratio"] = ratio(orders_all.filled, orders_all.orders - orders_all.refused);
  totals["fills"] = all.fills;
  totals["maker_fills"] = all.maker;
  totals["spread_capture_usdt"] = all.capture.to_string();
  totals["arbitrage_signals"] = sig.first;
  totals["arbitrage_both_legs_filled"] = sig.second;
  totals["arbitrage_success_rate"] = ratio(sig.second, sig.first);
  j["totals"] = totals;
  j["arbitrage_sagas"] = saga_json(sagas_all, "");
  ordered_json strategies = ordered_json::object();
  std::set<std::string> names;
  for (const auto& [k, v] : by_strategy) names.insert(k);
  for (const auto& [k, v] : orders_by) names.insert(k);
  for (const auto& name : names) {
    const Totals t = by_strategy.count(name) ? by_strategy.at(name) : Totals{};
    const OrderStats os = orders_by.count(name) ? orders_by.at(name) : OrderStats{};
    const auto s = signal_counts(os);
    strategies[name] = {{"type", type_of.count(name) ? type_of.at(name) : std::string("api")},
                        {"pnl_usdt", t.pnl.to_string()}, {"fees_usdt", t.fees.to_string()},
                        {"turnover_usdt", t.turnover.to_string()}, {"orders", os.orders},
                        {"orders_refused_by_risk", os.refused}, {"orders_filled", os.filled},
                        {"fill_ratio", ratio(os.filled, os.orders - os.refused)},
                        {"fills", t.fills}, {"spread_capture_usdt", t.capture.to_string()},
                        {"max_inventory", max_inventory.count(name) ? max_inventory.at(name).to_string() : "0"},
                        {"arbitrage_signals", s.first}, {"arbitrage_both_legs_filled", s.second},
                        {"arbitrage_success_rate", ratio(s.second, s.first)}};
    if (type_of.count(name) && type_of.at(name) == "arbitrage") {
      strategies[name]["arbitrage_sagas"] = saga_json(sagas_by.count(name) ? sagas_by.at(name) : SagaStats{}, name);
    }
  }
  j["strategies"] = strategies;
  ordered_json instruments = ordered_json::object();
  for (const auto& [name, t] : by_instrument) {
    instruments[name] = {{"pnl_usdt", t.pnl.to_string()}, {"fees_usdt", t.fees.to_string()},
                         {"turnover_usdt", t.turnover.to_string()}, {"fills", t.fills},
                         {"bought", t.buy_qty.to_string()}, {"sold", t.sell_qty.to_string()},
                         {"position_end", end != nullptr && end->position.count(name) ? end->position.at(name).to_string() : "0"},
                         {"spread_capture_usdt", t.capture.to_string()}};
  }
  j["instruments"] = instruments;
  j["notes"] = r.notes;
  std::string error;
  if (!write_file(out / "report.json", j.dump(2) + "\n", error)) return Unexpected(error);

  // fills.csv
  std::ostringstream fills;
  fills << "time_ns,time_utc,account,strategy,instrument,market,side,price,quantity,fee,fee_asset,fee_usdt,mid,liquidity,client_order_id\n";
  for (const auto& f : r.fills) {
    fills << f.time << ',' << utc(f.time) << ',' << f.account << ',' << f.strategy << ',' << f.instrument
          << ',' << to_string(f.market) << ',' << (f.side == Side::kBuy ? "buy" : "sell") << ','
          << f.price.to_string() << ',' << f.quantity.to_string() << ',' << f.fee.to_string() << ','
          << f.fee_asset << ',' << f.fee_usdt.to_string() << ',' << f.mid.to_string() << ','
          << (f.maker ? "maker" : "taker") << ',' << f.client_order_id << '\n';
  }
  if (!write_file(out / "fills.csv", fills.str(), error)) return Unexpected(error);

  // equity.csv
  std::set<std::string> tracked;
  for (const auto& p : r.equity)
    for (const auto& [k, v] : p.mid) tracked.insert(k);
  std::ostringstream eq;
  eq << "time_ns,time_utc,pnl_usdt,drawdown_usdt,equity_usdt";
  for (const auto& k : tracked) eq << ",position " << k << ",mid " << k;
  eq << '\n';
  double running_peak = 0;
  for (std::size_t i = 0; i < r.equity.size(); ++i) {
    const auto& p = r.equity[i];
    running_peak = std::max(running_peak, d(curve[i]));
    eq << p.time << ',' << utc(p.time) << ',' << curve[i].to_string() << ','
       << fixed(running_peak - d(curve[i]), 2) << ',' << p.equity.to_string();
    for (const auto& k : tracked) {
      eq << ',' << (p.position.count(k) ? p.position.at(k).to_string() : "0") << ','
         << (p.mid.count(k) ? p.mid.at(k).to_string() : "");
    }
    eq << '\n';
  }
  if (!write_file(out / "equity.csv", eq.str(), error)) return Unexpected(error);

  // report.html: the numbers of report.json, and the charts.
  const auto secs = [&](TimeNs t) { return static_cast<double>(t - r.first_time) / 1e9; };
  Series pnl{"PnL (USDT)", "#2b83ba", {}}, dd{"drawdown (USDT)", "#d7191c", {}};
  running_peak = 0;
  for (std::size_t i = 0; i < r.equity.size(); ++i) {
    running_peak = std::max(running_peak, d(curve[i]));
    pnl.points.emplace_back(secs(r.equity[i].time), d(curve[i]));
    dd.points.emplace_back(secs(r.equity[i].time), -(running_peak - d(curve[i])));
  }
  static const char* kColors[] = {"#2b83ba", "#fdae61", "#1a9641", "#7b3294", "#d7191c", "#636363"};
  std::vector<Series> positions;
  std::size_t c = 0;
  for (const auto& k : tracked) {
    Series s{k, kColors[c++ % 6], {}};
    for (const auto& p : r.equity) {
      if (p.position.count(k)) s.points.emplace_back(secs(p.time), d(p.position.at(k)));
    }
    positions.push_back(std::move(s));
  }
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>oms-backtest report</title>"
       "<style>body{font-family:sans-serif;margin:20px;color:#222}table{border-collapse:collapse;margin:8px 0}"
       "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}"
       "td.k{text-align:left}.chart{display:block;margin:12px 0;border:1px solid #ddd}</style></head><body>\n";
  h << "<h1>Backtest</h1><p>" << utc(r.first_time) << " to " << utc(r.last_time) << ", " << r.messages
    << " market-data messages, " << r.engine_events << " engine events</p>\n";
  h << "<h2>Totals</h2><table id=\"totals\">";
  for (const auto& [k, v] : totals.items()) {
    h << "<tr><td class=\"k\">" << k << "</td><td id=\"" << k << "\">"
      << (v.is_string() ? v.get<std::string>() : v.dump()) << "</td></tr>";
  }
  h << "</table>\n<h2>Strategies</h2><table id=\"strategies\"><tr><th>strategy</th><th>pnl_usdt</th><th>orders</th><th>fills</th><th>fill_ratio</th><th>arbitrage_success_rate</th></tr>";
  for (const auto& [k, v] : strategies.items()) {
    h << "<tr><td class=\"k\">" << html_escape(k) << "</td><td>" << v["pnl_usdt"].get<std::string>() << "</td><td>"
      << v["orders"].dump() << "</td><td>" << v["fills"].dump() << "</td><td>" << v["fill_ratio"].get<std::string>()
      << "</td><td>" << v["arbitrage_success_rate"].get<std::string>() << "</td></tr>";
  }
  h << "</table>\n<h2>Arbitrage sagas</h2><table id=\"sagas\">";
  for (const auto& [k, v] : j["arbitrage_sagas"].items()) {
    h << "<tr><td class=\"k\">" << k << "</td><td id=\"saga-" << k << "\">"
      << html_escape(v.is_string() ? v.get<std::string>() : v.dump()) << "</td></tr>";
  }
  h << "</table>\n<h2>Instruments</h2><table id=\"instruments\"><tr><th>instrument</th><th>pnl_usdt</th><th>fills</th><th>turnover_usdt</th><th>position_end</th></tr>";
  for (const auto& [k, v] : instruments.items()) {
    h << "<tr><td class=\"k\">" << html_escape(k) << "</td><td>" << v["pnl_usdt"].get<std::string>() << "</td><td>"
      << v["fills"].dump() << "</td><td>" << v["turnover_usdt"].get<std::string>() << "</td><td>"
      << v["position_end"].get<std::string>() << "</td></tr>";
  }
  h << "</table>\n<h2>PnL and drawdown</h2>" << svg_chart("chart-pnl", "PnL and drawdown (USDT) over time", {pnl, dd});
  h << "\n<h2>Position</h2>" << svg_chart("chart-position", "Position over time (base units; spot: change since start)", positions);
  c = 0;
  for (const auto& k : tracked) {
    Series price{"mid " + k, kColors[c++ % 6], {}};
    for (const auto& p : r.equity) {
      if (p.mid.count(k)) price.points.emplace_back(secs(p.time), d(p.mid.at(k)));
    }
    std::vector<Marker> marks;
    for (const auto& f : r.fills) {
      if (f.instrument == k) marks.push_back({secs(f.time), d(f.price), f.side == Side::kBuy});
    }
    std::string id = "chart-fills-" + k;
    for (char& ch : id) {
      if (ch == '/' || ch == ':') ch = '-';
    }
    h << "\n<h2>Fills on " << html_escape(k) << "</h2>"
      << svg_chart(id, "Fills on the price: " + html_escape(k) + " (green buy, red sell)", {price}, marks);
  }
  h << "\n</body></html>\n";
  if (!write_file(out / "report.html", h.str(), error)) return Unexpected(error);
  return Unit{};
}

}  // namespace oms::replay
