// omsctl top against the paper stack: omsd's engine writes the /dev/shm state board, and
// `omsctl top --once` (found through --data, like omsctl's token) prints it -- an order and the
// balances as the API has them -- and still does once omsd has stopped (it reads the board,
// never the daemon).
#include <doctest/doctest.h>

#include <sstream>

#include "oms/actors/state_board.hpp"
#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The first line of `text` whose leading words are `prefix`, split into words (empty: none).
std::vector<std::string> row(const std::string& text, const std::vector<std::string>& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto w = words(line);
    if (w.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), w.begin())) return w;
  }
  return {};
}

}  // namespace

TEST_CASE(
    "omsctl top --once: after an order the board shows it and the balances, also once omsd "
    "stopped") {
  Stack s;
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  const Decimal below = tick(mid.raw() - mid.raw() / 200);  // 0.5 % under the mid: it rests
  const auto r = submit(s, "TOP-1", "buy", "0.001", below.to_string());
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  wait_orders(
      s, [](const nlohmann::json& orders) { return status_of(orders, "TOP-1") == "accepted"; });

  // The board omsd keeps for this data dir, where its start line says.
  const std::string board = actors::default_board_path(s.data());
  testkit::RunResult top;
  std::vector<std::string> order;
  const bool shown = wait_until(
      [&] {
        top = s.omsctl({"top", "--once"}, 10s);
        order = row(top.out, {"binance_main", "BTC/USDT", "TOP-1"});
        return top.code == 0 && !order.empty() && order.size() >= 8 && order[7] == "accepted";
      },
      10s);
  REQUIRE_MESSAGE(shown, top.out << top.err);
  CHECK(top.out.starts_with("omsd state board " + board + "  writer pid "));
  CHECK(top.out.find("(not running") == std::string::npos);
  CHECK(order == std::vector<std::string>{"binance_main", "BTC/USDT", "TOP-1", "buy",
                                          below.to_string(), "0.001", "0", "accepted",
                                          order.back()});
  CHECK(top.out.find("\x1b[") == std::string::npos);  // plain: no terminal codes when piped

  // The balances are the API's, USDT with the order's lock.
  const auto api = omsctl_json(s, {"balances", "--account", "binance_main"}).at("balances");
  std::size_t compared = 0;
  for (const auto& b : api) {
    if (b.at("market") != "spot" || (b.at("asset") != "USDT" && b.at("asset") != "BTC")) continue;
    const auto line = row(top.out, {"binance_main", "spot", b.at("asset")});
    REQUIRE_MESSAGE(line.size() >= 5, b.dump() << "\n" << top.out);
    CHECK_MESSAGE(line[3] == b.at("free"), b.dump());
    CHECK_MESSAGE(line[4] == b.at("locked"), b.dump());
    ++compared;
  }
  CHECK(compared == 2);
  const auto usdt = row(top.out, {"binance_main", "spot", "USDT"});
  CHECK(Decimal::parse(usdt.at(4))->is_positive());  // the order's lock
  // The book's top is there too, under the instrument's name.
  CHECK(!row(top.out, {"binance", "BTC/USDT"}).empty());

  // omsd stopped: the board still answers, marked as its last state.
  CHECK(s.stop_omsd() == 0);
  const auto after = s.omsctl({"top", "--once"}, 10s);
  CHECK(after.code == 0);
  CHECK(after.out.find("(not running: its last state)") != std::string::npos);
  CHECK(!row(after.out, {"binance_main", "BTC/USDT", "TOP-1"}).empty());
}
