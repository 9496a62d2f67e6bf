// Every Binance fixture in shared/data (nautilus/binance and binance-spot-api-docs) goes through
// the parser for its kind and must parse; fixtures of kinds we do not parse are listed by name
// so that a new fixture cannot be skipped silently.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "oms/connectors/binance/market_data.hpp"
#include "oms/connectors/binance/rest_response.hpp"
#include "oms/connectors/binance/user_data.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::binance;
namespace fs = std::filesystem;

namespace {

enum class Family { kMarket, kUser, kSnapshot, kOrder, kOrders, kSpotAccount, kFuturesBalances,
                    kPositionRisk, kAccountTrades, kErrorBody, kNotOurs };

// The parser each REST fixture goes through, by file name.
const std::map<std::string, Family>& rest_files() {
  static const std::map<std::string, Family> kFiles{
      {"depth_response.json", Family::kSnapshot},
      {"http_spot_market_depth.json", Family::kSnapshot},
      {"http_futures_market_depth.json", Family::kSnapshot},
      {"new_order_full_response.json", Family::kOrder},
      {"order_response.json", Family::kOrder},  // spot query order and futures new order
      {"cancel_order_response.json", Family::kOrder},
      {"open_orders_response.json", Family::kOrders},
      {"all_orders_response.json", Family::kOrders},
      {"cancel_open_orders_response.json", Family::kOrders},
      {"http_futures_account_orders.json", Family::kOrders},
      {"account_response.json", Family::kSpotAccount},
      {"http_spot_wallet_account.json", Family::kSpotAccount},
      {"balance.json", Family::kFuturesBalances},
      {"account_info_v2.json", Family::kFuturesBalances},
      {"position_risk.json", Family::kPositionRisk},
      {"http_futures_account_positions_one_way.json", Family::kPositionRisk},
      {"http_futures_account_positions_hedge.json", Family::kPositionRisk},
      {"account_trades_response.json", Family::kAccountTrades},
      {"http_futures_account_trades.json", Family::kAccountTrades},
  };
  return kFiles;
}

// REST fixtures of endpoints we do not parse here (exchangeInfo has its own parser).
const std::set<std::string>& not_ours() {
  static const std::set<std::string> kFiles{
      "exchange_info_response.json", "http_spot_market_exchange_info.json",
      "http_futures_market_exchange_info.json", "avg_price_response.json",
      "book_ticker_response.json", "klines_response.json", "ping_response.json",
      "server_time_response.json", "ticker_24hr_response.json", "ticker_price_response.json",
      "trades_response.json", "open_algo_orders.json", "http_futures_account_position_side_dual.json",
      "http_futures_account_symbol_config.json", "http_futures_market_agg_trades.json",
      "http_futures_market_asset_index.json", "http_futures_market_blvt_nav_kline.json",
      "http_futures_market_book_ticker.json", "http_futures_market_continuous_klines.json",
      "http_futures_market_funding_rate.json",
      "http_futures_market_global_long_short_account_ratio.json",
      "http_futures_market_historical_trades.json", "http_futures_market_index_info.json",
      "http_futures_market_index_price_klines.json", "http_futures_market_klines.json",
      "http_futures_market_mark_price_klines.json", "http_futures_market_open_interest.json",
      "http_futures_market_open_interest_historical.json",
      "http_futures_market_premium_index.json", "http_futures_market_taker_long_short_ratio.json",
      "http_futures_market_ticker_24hr.json", "http_futures_market_ticker_price.json",
      "http_futures_market_top_long_short_account_ratio.json",
      "http_futures_market_top_long_short_position_ratio.json", "http_futures_market_trades.json",
      "http_futures_wallet_commission_rate_btcusdt.json",
      "http_futures_wallet_commission_rate_btcusdt_quarterly.json",
      "http_futures_wallet_commission_rate_ethusdt.json", "http_spot_market_agg_trades.json",
      "http_spot_market_avg_price.json", "http_spot_market_book_ticker.json",
      "http_spot_market_historical_trades.json", "http_spot_market_klines.json",
      "http_spot_market_ping.json", "http_spot_market_ticker_price.json",
      "http_spot_market_time.json", "http_spot_market_trades.json",
      "http_wallet_trading_fee.json", "http_wallet_trading_fees.json"};
  return kFiles;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// The family and (for streams) the kind a stream fixture must come out as.
Family stream_family(const std::string& name, const std::string& dir) {
  if (contains(dir, "user_data_json") || contains(name, "execution_report") ||
      contains(name, "order_update") || contains(name, "trade_lite") ||
      contains(name, "algo_update"))
    return Family::kUser;
  return Family::kMarket;
}

MarketMessageKind expected_market_kind(const std::string& name) {
  if (contains(name, "depth")) return MarketMessageKind::kDepthUpdate;
  if (contains(name, "book_ticker") || contains(name, "ticker_book"))
    return MarketMessageKind::kBookTicker;
  if (contains(name, "agg_trade")) return MarketMessageKind::kAggTrade;
  if (contains(name, "trade")) return MarketMessageKind::kTrade;
  return MarketMessageKind::kOther;
}

UserDataKind expected_user_kind(const std::string& name) {
  if (contains(name, "execution_report")) return UserDataKind::kExecutionReport;
  if (contains(name, "order_update")) return UserDataKind::kOrderTradeUpdate;
  if (contains(name, "trade_lite")) return UserDataKind::kTradeLite;
  if (contains(name, "account_update")) return UserDataKind::kAccountUpdate;
  if (contains(name, "account_position")) return UserDataKind::kAccountPosition;
  if (contains(name, "balance_update")) return UserDataKind::kBalanceUpdate;
  if (contains(name, "list_status")) return UserDataKind::kListStatus;
  return UserDataKind::kOther;
}

// Runs one body through a family's parser; the error message, or empty on success.
std::string run(JsonParser& p, Family f, const std::string& body) {
  MarketMessage m;
  UserDataMessage u;
  OrderInfo o;
  std::vector<OrderInfo> orders;
  std::vector<AssetBalance> balances;
  std::vector<FuturesAssetBalance> fbalances;
  std::vector<PositionRisk> positions;
  std::vector<AccountTrade> trades;
  const auto msg = [](const auto& r) { return r.ok() ? std::string() : r.error().message; };
  switch (f) {
    case Family::kMarket: return msg(parse_market_data(p, body, m));
    case Family::kUser: return msg(parse_user_data(p, body, u));
    case Family::kSnapshot: return msg(parse_depth_snapshot(p, body, m));
    case Family::kOrder: return msg(parse_order(p, body, o));
    case Family::kOrders: return msg(parse_orders(p, body, orders));
    case Family::kSpotAccount: return msg(parse_spot_account(p, body, balances));
    case Family::kFuturesBalances: return msg(parse_futures_balances(p, body, fbalances));
    case Family::kPositionRisk: return msg(parse_position_risk(p, body, positions));
    case Family::kAccountTrades: return msg(parse_account_trades(p, body, trades));
    case Family::kErrorBody: return msg(parse_error_body(p, body));
    case Family::kNotOurs: return {};
  }
  return "?";
}

}  // namespace

TEST_CASE("every nautilus Binance fixture of a kind we parse parses, with the expected kind") {
  JsonParser p;
  const fs::path root = testkit::shared_data() / "nautilus" / "binance";
  std::size_t parsed = 0, skipped = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string name = entry.path().filename().string();
    const std::string dir = entry.path().parent_path().string();
    const std::string body = testkit::read_file(entry.path());
    CAPTURE(entry.path().string());
    if (contains(dir, "http")) {
      const auto it = rest_files().find(name);
      if (it == rest_files().end()) {
        CHECK_MESSAGE(not_ours().count(name) == 1, "fixture not classified: " << name);
        ++skipped;
        continue;
      }
      CHECK(run(p, it->second, body) == "");
      ++parsed;
      continue;
    }
    const Family f = stream_family(name, dir);
    if (f == Family::kUser) {
      UserDataMessage u;
      const auto r = parse_user_data(p, body, u);
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
      CHECK(*r == expected_user_kind(name));
    } else {
      MarketMessage m;
      const auto r = parse_market_data(p, body, m);
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
      CHECK(*r == expected_market_kind(name));
    }
    ++parsed;
  }
  CHECK(parsed == 96);  // 145 files: 76 stream messages, 20 REST bodies, 49 not ours
  CHECK(skipped == not_ours().size());
}

TEST_CASE("every binance-spot-api-docs example of a kind we parse parses") {
  JsonParser p;
  const fs::path root = testkit::shared_data() / "binance-spot-api-docs";
  std::size_t parsed = 0;
  const auto examples = [&](const char* file) {
    return nlohmann::json::parse(testkit::read_file(root / file));
  };
  // User data: all six (eventStreamTerminated and externalLockUpdate parse as kOther).
  for (const auto& ex : examples("user-data-stream.examples.json")) {
    const std::string body = ex["example"].dump();
    CAPTURE(body);
    UserDataMessage u;
    const auto r = parse_user_data(p, body, u);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    ++parsed;
  }
  // Streams: the two "All Market" examples are arrays of tickers, not ours.
  std::size_t market = 0;
  for (const auto& ex : examples("web-socket-streams.examples.json")) {
    if (ex["example"].is_array()) continue;
    const std::string body = ex["example"].dump();
    CAPTURE(body);
    MarketMessage m;
    const auto r = parse_market_data(p, body, m);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    ++market;
    ++parsed;
  }
  CHECK(market == 15);
  // REST: by the doc heading.
  const std::map<std::string, Family> kByHeading{
      {"Order book", Family::kSnapshot},
      {"New order (TRADE)", Family::kOrder},
      {"Cancel order (TRADE)", Family::kOrder},
      {"Query order (USER_DATA)", Family::kOrder},
      {"New order using SOR (TRADE)", Family::kOrder},
      {"Cancel All Open Orders on a Symbol (TRADE)", Family::kOrders},
      {"Current open orders (USER_DATA)", Family::kOrders},
      {"All orders (USER_DATA)", Family::kOrders},
      {"Account information (USER_DATA)", Family::kSpotAccount},
      {"Account trade list (USER_DATA)", Family::kAccountTrades},
  };
  std::size_t rest = 0, errors = 0;
  for (const auto& ex : examples("rest-api.examples.json")) {
    const std::string heading = ex["heading"].get<std::string>();
    const std::string last = heading.substr(heading.rfind(" > ") + 3);
    const auto& body_json = ex["example"];
    const std::string body = body_json.dump();
    CAPTURE(heading);
    CAPTURE(body);
    if (body_json.is_object() && body_json.contains("code") && body_json.contains("msg")) {
      CHECK(run(p, Family::kErrorBody, body) == "");
      ++errors;
      continue;
    }
    const auto it = kByHeading.find(last);
    if (it == kByHeading.end()) continue;
    CHECK(run(p, it->second, body) == "");
    ++rest;
  }
  CHECK(rest == 12);
  CHECK(errors == 11);
  CHECK(parsed == 6 + 15);
}
