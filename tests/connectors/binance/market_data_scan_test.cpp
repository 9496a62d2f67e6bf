// The depthUpdate fast path (connectors/src/binance/depth_scan.hpp) against the general reader:
// on every recorded Binance stream line (spot, USD-M, COIN-M) and on mutations of them, a text
// the scan takes gives exactly what the general reader gives; the scan takes every recorded
// depthUpdate; what it does not take is still read (or refused, naming the field) by the
// general reader through parse_market_data.
#include <doctest/doctest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "../../../connectors/src/binance/depth_scan.hpp"  // the two readers it pins
#include "oms/connectors/binance/market_data.hpp"
#include "testkit/mutate.hpp"
#include "testkit/paths.hpp"

namespace {

using oms::binance::MarketMessage;
using oms::binance::MarketMessageKind;
namespace detail = oms::binance::detail;

bool same_depth(const MarketMessage& a, const MarketMessage& b) {
  const auto& x = a.depth;
  const auto& y = b.depth;
  return a.kind == b.kind && a.stream.view() == b.stream.view() &&
         a.event.view() == b.event.view() && x.symbol.view() == y.symbol.view() &&
         x.event_time == y.event_time && x.transaction_time == y.transaction_time &&
         x.first_update_id == y.first_update_id && x.last_update_id == y.last_update_id &&
         x.has_prev_update_id == y.has_prev_update_id &&
         (!x.has_prev_update_id || x.prev_update_id == y.prev_update_id) && x.bids == y.bids &&
         x.asks == y.asks;
}

// The JSON of each line ("<receive ns> <json>") of a recorded file, up to max lines.
std::vector<std::string> recorded(const char* name, std::size_t max) {
  const auto path = (oms::testkit::shared_data() / "hftbacktest" / name).string();
  gzFile f = gzopen(path.c_str(), "rb");
  REQUIRE_MESSAGE(f != nullptr, path);
  std::vector<std::string> out;
  std::string line;
  char buf[1 << 16];
  while (out.size() < max && gzgets(f, buf, sizeof buf) != nullptr) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    line.pop_back();
    const auto space = line.find(' ');
    if (space != std::string::npos) out.push_back(line.substr(space + 1));
    line.clear();
  }
  gzclose(f);
  return out;
}

// The scan and the general reader on one text: a taken scan agrees with the general reader.
// Returns whether the scan took it.
bool check_agree(oms::binance::JsonParser& parser, const std::string& json) {
  MarketMessage fast, general;
  const bool taken = detail::scan_depth_update(json, fast);
  const auto r = detail::read_market_data(parser, json, general);
  if (taken) {
    INFO(json);
    REQUIRE(r.ok());
    REQUIRE(*r == MarketMessageKind::kDepthUpdate);
    REQUIRE(same_depth(fast, general));
  }
  return taken;
}

}  // namespace

TEST_CASE("the depthUpdate scan takes every recorded diff and agrees with the general reader") {
  oms::binance::JsonParser parser;
  for (const char* name : {"spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz",
                           "usdm_btcusdt_20240808.gz", "cm_btcusd_perp_20240808.gz",
                           "cm_ethusd_perp_20240809.gz"}) {
    std::size_t depth = 0, taken = 0, lines = 0;
    for (const auto& json : recorded(name, 40'000)) {
      ++lines;
      MarketMessage general;
      const auto r = detail::read_market_data(parser, json, general);
      REQUIRE_MESSAGE(r.ok(), json);
      if (*r == MarketMessageKind::kDepthUpdate) ++depth;
      if (check_agree(parser, json)) ++taken;
    }
    MESSAGE(std::string(name), ": ", lines, " lines, ", depth, " diffs");
    CHECK(lines > 1000);
    CHECK(depth > 100);
    CHECK(taken == depth);  // every recorded diff; nothing else
  }
}

TEST_CASE("the scan never takes a mutated text the general reader reads otherwise") {
  oms::binance::JsonParser parser;
  std::mt19937_64 rng(11);
  std::vector<std::string> samples;
  for (const char* name : {"spot_btcusdt_20240808.gz", "usdm_btcusdt_20240808.gz",
                           "cm_btcusd_perp_20240808.gz"}) {
    std::size_t n = 0;
    for (auto& json : recorded(name, 4'000)) {
      if (json.find("depthUpdate") == std::string::npos || n++ % 10 != 0) continue;
      samples.push_back(json);
      // The bare form too (the raw <symbol>@depth stream).
      const auto data = json.find(R"("data":)");
      if (data != std::string::npos) samples.push_back(json.substr(data + 7, json.size() - data - 8));
    }
  }
  REQUIRE(samples.size() > 100);
  std::size_t taken = 0, tried = 0;
  for (const auto& base : samples) {
    for (int m = 0; m < 300; ++m) {
      const std::string s = oms::testkit::mutate(base, rng);
      ++tried;
      if (check_agree(parser, s)) ++taken;
    }
  }
  MESSAGE("mutations ", tried, " taken by the scan ", taken);
  CHECK(taken > 0);  // some mutations stay valid diffs (a digit for a digit): they agree above
  CHECK(taken < tried);
}

TEST_CASE("texts outside the scan's shape are read by the general reader") {
  oms::binance::JsonParser parser;
  MarketMessage msg;
  const std::string compact =
      R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":2,"u":3,"b":[["1.5","2"]],"a":[]})";
  CHECK(detail::scan_depth_update(compact, msg));
  CHECK(msg.depth.bids.size() == 1);
  CHECK(msg.depth.asks.empty());
  CHECK_FALSE(msg.depth.has_prev_update_id);
  for (const std::string& text : {
           // whitespace, a JSON number for a price, an escaped symbol, an unknown key, a repeat
           std::string(R"({ "e":"depthUpdate","E":1,"s":"BTCUSDT","U":2,"u":3,"b":[["1.5","2"]],"a":[]})"),
           std::string(R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":2,"u":3,"b":[[1.5,"2"]],"a":[]})"),
           std::string(R"({"e":"depthUpdate","E":1,"s":"BTC\u0055SDT","U":2,"u":3,"b":[["1.5","2"]],"a":[]})"),
           std::string(R"({"e":"depthUpdate","E":1,"x":true,"s":"BTCUSDT","U":2,"u":3,"b":[["1.5","2"]],"a":[]})"),
           std::string(R"({"e":"depthUpdate","E":1,"E":1,"s":"BTCUSDT","U":2,"u":3,"b":[["1.5","2"]],"a":[]})"),
       }) {
    INFO(text);
    CHECK_FALSE(detail::scan_depth_update(text, msg));
    const auto r = oms::binance::parse_market_data(parser, text, msg);
    REQUIRE(r.ok());
    CHECK(*r == MarketMessageKind::kDepthUpdate);
    CHECK(msg.depth.symbol.view() == "BTCUSDT");
    CHECK(msg.depth.bids.size() == 1);
    CHECK(msg.depth.bids[0].price == oms::Decimal::parse("1.5").value());
  }
  // Errors are the general reader's, naming the field.
  const auto bad = oms::binance::parse_market_data(
      parser, R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":2,"u":3,"b":[["1.5","x"]],"a":[]})", msg);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("b[0][1]") != std::string::npos);
  const auto missing = oms::binance::parse_market_data(
      parser, R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":2,"b":[],"a":[]})", msg);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find(".u: missing") != std::string::npos);
}
