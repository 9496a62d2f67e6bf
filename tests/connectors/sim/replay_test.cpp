// Background liquidity from the recorded Binance streams (../shared/data/hftbacktest, format
// in its README §1.1): the venue's book must be the recorded book, and client orders take
// from it. The lead's parser will feed the venue in the binary; here a small nlohmann-based
// reader stands in (test edge: exceptions allowed).
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim_fixture.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::sim;
using namespace oms::sim::testing;
using nlohmann::json;

namespace {

std::vector<std::string> gz_lines(const std::string& path) {
  const std::string cmd = "gzip -dc '" + path + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), &pclose);
  REQUIRE_MESSAGE(p != nullptr, "cannot run " << cmd);
  std::vector<std::string> lines;
  std::string cur;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p.get())) > 0) {
    for (std::size_t k = 0; k < n; ++k) {
      if (buf[k] == '\n') {
        lines.push_back(std::move(cur));
        cur.clear();
      } else {
        cur.push_back(buf[k]);
      }
    }
  }
  return lines;
}

std::vector<PriceQty> levels(const json& a) {
  std::vector<PriceQty> out;
  for (const auto& l : a) out.push_back({d(l[0].get<std::string>().c_str()), d(l[1].get<std::string>().c_str())});
  return out;
}

// Replays the spot BTCUSDT file into v; calls on_applied(u) after each applied depth update
// and on_ticker(data) for each bookTicker.
template <class Applied, class Ticker>
void replay(Venue& v, SymbolIndex s, Applied on_applied, Ticker on_ticker) {
  const auto lines = gz_lines((testkit::shared_data() / "hftbacktest" / "spot_btcusdt_20240808.gz").string());
  REQUIRE(lines.size() == 41'249);
  std::vector<json> buffered;
  std::int64_t last_id = -1;
  Outbox out;
  TimeNs now = 0;
  const auto apply = [&](const json& data) {
    const auto u = data["u"].get<std::int64_t>();
    if (u <= last_id) return;
    BookDeltaIn delta{levels(data["b"]), levels(data["a"])};
    v.on_delta(s, delta, now, out);
    last_id = u;
    on_applied(u);
  };
  for (const std::string& line : lines) {
    const auto space = line.find(' ');
    now = std::stoll(line.substr(0, space));
    const json j = json::parse(line.substr(space + 1));
    if (j.contains("lastUpdateId")) {
      v.on_snapshot(s, BookSnapshotIn{levels(j["bids"]), levels(j["asks"])}, now, out);
      last_id = j["lastUpdateId"].get<std::int64_t>();
      for (const json& b : buffered) apply(b);
      buffered.clear();
      continue;
    }
    const std::string stream = j["stream"].get<std::string>();
    const json& data = j["data"];
    if (stream.ends_with("@depth@100ms")) {
      if (last_id < 0) buffered.push_back(data);
      else apply(data);
    } else if (stream.ends_with("@bookTicker")) {
      on_ticker(data);
    } else if (stream.ends_with("@trade") && last_id >= 0) {
      v.on_trade(s, TradePrintIn{d(data["p"].get<std::string>().c_str()), d(data["q"].get<std::string>().c_str()),
                                 data["m"].get<bool>()},
                 now, out);
    }
  }
}

Instrument spot_btcusdt() {
  Instrument ins = btcusdt(Market::kSpot);
  ins.rules.step_size = d("0.00001");
  ins.rules.min_qty = d("0.00001");
  return ins;
}

}  // namespace

TEST_CASE("recorded spot BTCUSDT: the venue's top of book equals every bookTicker of an applied update") {
  Venue v(Market::kSpot);
  const SymbolIndex s = v.add_instrument(spot_btcusdt());
  std::int64_t applied_u = -1;
  std::size_t checked = 0, mismatches = 0;
  std::map<std::int64_t, json> tickers;  // a bookTicker usually arrives before its depth diff
  const auto compare = [&](const json& t) {
    const BookTop top = v.top(s);
    ++checked;
    const bool same = top.bid && top.ask && top.bid->price == d(t["b"].get<std::string>().c_str()) &&
                      top.bid->qty == d(t["B"].get<std::string>().c_str()) &&
                      top.ask->price == d(t["a"].get<std::string>().c_str()) &&
                      top.ask->qty == d(t["A"].get<std::string>().c_str());
    if (!same) ++mismatches;
  };
  replay(
      v, s,
      [&](std::int64_t u) {
        applied_u = u;
        if (auto it = tickers.find(u); it != tickers.end()) compare(it->second);
        tickers.erase(tickers.begin(), tickers.upper_bound(u));
      },
      [&](const json& t) {
        const auto u = t["u"].get<std::int64_t>();
        if (u == applied_u) compare(t);
        else if (u > applied_u) tickers.emplace(u, t);
      });
  CHECK(checked == 564);  // bookTickers whose u is an applied diff's last u in this file
  CHECK(mismatches == 0);
}

TEST_CASE("recorded book: a market buy consumes the best ask until the venue republishes it") {
  Venue v(Market::kSpot);
  const SymbolIndex s = v.add_instrument(spot_btcusdt());
  const ApiKeyId a = v.add_account({"k", d("0.001"), d("0.001")});
  Outbox out;
  (void)v.deposit(a, "USDT", d("1000000"), 0, out);
  std::size_t applied = 0;
  bool done = false;
  replay(
      v, s,
      [&](std::int64_t) {
        if (++applied != 10 || done) return;
        done = true;
        const BookTop before = v.top(s);
        REQUIRE(before.ask);
        const Decimal take = Decimal::from_raw(before.ask->qty.raw() / 2 / 1000 * 1000);  // on the step
        REQUIRE(take.is_positive());
        NewOrder o = market(a, Side::kBuy, "0.001");
        o.symbol = s;
        o.quantity = take;
        auto r = v.place(o, 0, out);
        REQUIRE(r.ok());
        CHECK(r->status == SimStatus::kFilled);
        CHECK(r->cum_quote == before.ask->price.mul(take, Rounding::kHalfEven).value());
        const BookTop after = v.top(s);
        REQUIRE(after.ask);
        CHECK(after.ask->price == before.ask->price);
        CHECK(after.ask->qty == before.ask->qty.sub(take).value());
      },
      [](const json&) {});
  CHECK(done);
}
