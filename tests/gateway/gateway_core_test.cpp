// GatewayCore without gRPC: the tokens file and its errors, authentication and account
// permissions, the per-client token bucket on a virtual clock, request validation texts,
// command ids.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "actors/recovery_script.hpp"
#include "oms/actors/gateway.hpp"
#include "oms/cores/batch.hpp"
#include "oms/messages/client_order_id.hpp"

using namespace oms;
using namespace oms::actors;

namespace {

const std::string kOpsToken(32, 'a');
const std::string kAliceToken = "0123456789abcdef0123456789abcdef";

std::string tokens_json(const std::string& alice_accounts = R"(["acct-a"])") {
  return R"({"clients":[{"name":"ops","token":")" + kOpsToken +
         R"(","accounts":["*"],"rate_per_s":50,"burst":100},{"name":"alice","token":")" +
         kAliceToken + R"(","accounts":)" + alice_accounts + R"(,"rate_per_s":2,"burst":3}]})";
}

struct Fixture {
  Directory directory = oms::testkit::recovery_directory();
  InstrumentTable table = *InstrumentTable::from(oms::testkit::recovery_instruments());
  std::int64_t now_ns = 1'000'000'000;
  GatewayCore core;

  Fixture()
      : core(*parse_api_clients(tokens_json(), "tokens.json", directory), directory, table,
             {{AccountId(0), ExchangeId::kBinance}, {AccountId(1), ExchangeId::kBinance}},
             [this] { return now_ns; }) {}

  const ApiClient& client(const std::string& token) { return **core.authenticate("Bearer " + token); }
};

std::string parse_error(const std::string& text) {
  const Directory d = oms::testkit::recovery_directory();
  auto r = parse_api_clients(text, "tokens.json", d);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

api::v1::SubmitOrderRequest order(const char* price = "100", const char* qty = "1") {
  api::v1::SubmitOrderRequest r;
  r.set_account("acct-a");
  r.set_strategy("recovery");
  r.set_instrument("BTC/USDT");
  r.set_side("buy");
  r.set_price(price);
  r.set_quantity(qty);
  r.set_client_order_id("T-1");
  return r;
}

std::string submit_error(Fixture& f, const api::v1::SubmitOrderRequest& r) {
  auto s = f.core.submit(f.client(kOpsToken), r, 7);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().status == ApiStatus::kInvalidArgument);
  return s.error().message;
}

}  // namespace

TEST_CASE("tokens file: a valid file gives each client its accounts, rate and burst") {
  const Directory d = oms::testkit::recovery_directory();
  auto r = parse_api_clients(tokens_json(R"(["acct-b","acct-a"])"), "tokens.json", d);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].name == "ops");
  CHECK((*r)[0].all_accounts);
  CHECK((*r)[1].accounts == std::vector<AccountId>{AccountId(1), AccountId(0)});
  CHECK((*r)[1].rate_per_s == 2);
  CHECK((*r)[1].burst == 3);
}

TEST_CASE("tokens file: errors name the file and the field") {
  CHECK(parse_error("{") == "tokens.json: not valid JSON");
  CHECK(parse_error("{}") == "tokens.json: clients: missing");
  CHECK(parse_error(R"({"clients":[{"name":"x","accounts":["*"],"rate_per_s":1,"burst":1}]})") ==
        "tokens.json: clients[0].token: missing");
  CHECK(parse_error(R"({"clients":[{"name":"x","token":"abc","accounts":["*"],"rate_per_s":1,"burst":1}]})") ==
        "tokens.json: clients[0].token: expected a hex string of at least 32 digits");
  CHECK(parse_error(tokens_json(R"(["acct-a","nope"])")) ==
        "tokens.json: clients[1].accounts[1]: unknown account 'nope'");
  CHECK(parse_error(R"({"clients":[{"name":"x","token":")" + kOpsToken +
                    R"(","accounts":["*"],"rate_per_s":0,"burst":1}]})") ==
        "tokens.json: clients[0].rate_per_s: must be in 1..1000000, got 0");
  CHECK(parse_error(R"({"clients":[{"name":"x","token":")" + kOpsToken +
                    R"(","accounts":["*"],"rate_per_s":1,"burst":1,"admin":true}]})") ==
        "tokens.json: clients[0].admin: unknown field");
  const std::string twice = R"({"clients":[{"name":"x","token":")" + kOpsToken +
                            R"(","accounts":["*"],"rate_per_s":1,"burst":1},{"name":"y","token":")" +
                            kOpsToken + R"(","accounts":["*"],"rate_per_s":1,"burst":1}]})";
  CHECK(parse_error(twice) == "tokens.json: clients[1].token: the same token as client 'x'");
  const Directory d = oms::testkit::recovery_directory();
  auto missing = load_api_clients("/nonexistent/tokens.json", d);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error() == "/nonexistent/tokens.json: cannot be read");
  // The file holds the tokens: 0600 or it is refused, naming the mode.
  const auto dir = std::filesystem::temp_directory_path() / ("tokens-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "tokens.json";
  std::ofstream(file) << tokens_json();
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                         std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  auto open = load_api_clients(file, d);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error() == file.string() + ": mode 0644, must be 0600 (it holds the API tokens: chmod 600 " +
                            file.string() + ")");
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  CHECK(load_api_clients(file, d).ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("authentication: a bearer token names its client; anything else is unauthenticated") {
  Fixture f;
  CHECK((*f.core.authenticate("Bearer " + kAliceToken))->name == "alice");
  for (const std::string& bad : std::vector<std::string>{std::string(), "Bearer", kAliceToken, "Bearer " + kAliceToken + "0",
                                "Basic " + kAliceToken}) {
    auto r = f.core.authenticate(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == ApiStatus::kUnauthenticated);
  }
}

TEST_CASE("authorization: a client uses its own accounts only; '*' sees every account") {
  Fixture f;
  const auto& alice = f.client(kAliceToken);
  CHECK(*f.core.account(alice, "account", "acct-a") == AccountId(0));
  auto denied = f.core.account(alice, "account", "acct-b");
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().status == ApiStatus::kPermissionDenied);
  CHECK(denied.error().message == "client 'alice' may not use account 'acct-b'");
  auto unknown = f.core.account(alice, "account", "acct-z");
  CHECK(unknown.error().status == ApiStatus::kInvalidArgument);
  CHECK(unknown.error().message == "account: unknown account 'acct-z'");
  CHECK(f.core.visible_accounts(alice) == std::vector<AccountId>{AccountId(0)});
  CHECK(f.core.visible_accounts(f.client(kOpsToken)) ==
        std::vector<AccountId>{AccountId(0), AccountId(1)});
}

TEST_CASE("rate limit: burst tokens, then one per 1/rate seconds, never above the burst") {
  Fixture f;
  const auto& alice = f.client(kAliceToken);  // 2/s, burst 3
  CHECK(f.core.admit(alice));
  CHECK(f.core.admit(alice));
  CHECK(f.core.admit(alice));
  CHECK_FALSE(f.core.admit(alice));
  f.now_ns += 499'999'999;  // just short of one token
  CHECK_FALSE(f.core.admit(alice));
  f.now_ns += 1;
  CHECK(f.core.admit(alice));
  CHECK_FALSE(f.core.admit(alice));
  f.now_ns += 3'600'000'000'000;  // an hour idle: the bucket holds the burst, no more
  for (int i = 0; i < 3; ++i) CHECK(f.core.admit(alice));
  CHECK_FALSE(f.core.admit(alice));
  CHECK(f.core.admit(f.client(kOpsToken)));  // buckets are per client
}

TEST_CASE("reload: replaced clients -- a removed token is refused, a new one served, a kept client keeps its bucket; a call in flight keeps its client") {
  Fixture f;
  const auto in_flight = *f.core.authenticate("Bearer " + kAliceToken);  // a call that began before
  const auto& alice = f.client(kAliceToken);  // 2/s, burst 3
  for (int i = 0; i < 3; ++i) CHECK(f.core.admit(alice));
  CHECK_FALSE(f.core.admit(alice));
  const std::string carol_token = "fedcba9876543210fedcba9876543210";
  // alice kept (same name, same token), ops removed, carol new.
  f.core.replace_clients(*parse_api_clients(
      R"({"clients":[{"name":"alice","token":")" + kAliceToken +
          R"(","accounts":["acct-a"],"rate_per_s":2,"burst":3},{"name":"carol","token":")" + carol_token +
          R"(","accounts":["*"],"rate_per_s":1,"burst":1}]})",
      "tokens.json", f.directory));
  const auto ops = f.core.authenticate("Bearer " + kOpsToken);
  REQUIRE_FALSE(ops.ok());
  CHECK(ops.error().status == ApiStatus::kUnauthenticated);
  const auto carol = f.core.authenticate("Bearer " + carol_token);
  REQUIRE(carol.ok());
  CHECK((*carol)->name == "carol");
  CHECK(f.core.admit(**carol));
  CHECK_FALSE(f.core.admit(**carol));
  CHECK_FALSE(f.core.admit(**f.core.authenticate("Bearer " + kAliceToken)));  // no refill by a reload
  CHECK(in_flight->name == "alice");  // the old set lives while a call holds it
  CHECK(in_flight->burst == 3);
}

TEST_CASE("unauthenticated calls: a host gets a burst of refusals, then RESOURCE_EXHAUSTED until its bucket refills; hosts apart") {
  Fixture f;
  for (std::uint32_t i = 0; i < GatewayCore::kUnauthenticatedBurst; ++i)
    CHECK(f.core.admit_unauthenticated("ipv4:10.0.0.7"));
  CHECK_FALSE(f.core.admit_unauthenticated("ipv4:10.0.0.7"));
  CHECK(f.core.admit_unauthenticated("ipv4:10.0.0.8"));
  f.now_ns += 1'000'000'000 / GatewayCore::kUnauthenticatedPerSecond;  // one token back
  CHECK(f.core.admit_unauthenticated("ipv4:10.0.0.7"));
  CHECK_FALSE(f.core.admit_unauthenticated("ipv4:10.0.0.7"));
}

TEST_CASE("validation: a submit becomes the command it describes") {
  Fixture f;
  auto s = f.core.submit(f.client(kOpsToken), order("61837.63", "0.5"), 7);
  REQUIRE(s.ok());
  CHECK(s->account == AccountId(0));
  CHECK(s->strategy == StrategyId(0));
  CHECK(s->instrument == InstrumentId(0));
  CHECK(s->side == Side::kBuy);
  CHECK(s->order_type == OrderType::kLimit);
  CHECK(s->tif == TimeInForce::kGtc);
  CHECK(s->price == *Decimal::parse("61837.63"));
  CHECK(s->quantity == *Decimal::parse("0.5"));
  CHECK(s->client_order_id.view() == "T-1");
  auto by_directory_name = order();
  by_directory_name.set_instrument("binance:spot:ETH/USDT");
  CHECK(f.core.submit(f.client(kOpsToken), by_directory_name, 7)->instrument == InstrumentId(1));
}

TEST_CASE("validation: an order without client order id gets one in the project's format") {
  Fixture f;
  auto r = order();
  r.clear_client_order_id();
  auto s = f.core.submit(f.client(kOpsToken), r, 123456789);
  REQUIRE(s.ok());
  const auto id = parse_client_order_id(s->client_order_id.view());
  REQUIRE(id.has_value());
  CHECK(*id == ClientOrderId{0, AccountId(0), StrategyId(0), 123456789});
}

TEST_CASE("validation: refusals name the field and what is wrong") {
  Fixture f;
  CHECK(submit_error(f, order("1.5.5")) == "price: '1.5.5' is not a decimal number");
  CHECK(submit_error(f, order("100", "0.0000000001")) == "quantity: '0.0000000001' is more than 9 decimal places");
  CHECK(submit_error(f, order("100", "0")) == "quantity: must be > 0, got 0");
  CHECK(submit_error(f, order("", "1")) == "price: missing");
  auto r = order();
  r.set_instrument("DOGE/USDT");
  CHECK(submit_error(f, r) == "instrument: unknown instrument 'DOGE/USDT' on binance");
  r = order();
  r.set_side("long");
  CHECK(submit_error(f, r) == "side: 'long' is not one of buy|sell");
  r = order();
  r.set_order_type("market");
  CHECK(submit_error(f, r) == "price: a market order takes no price");
  r = order();
  r.set_client_order_id("bad id!");
  CHECK(submit_error(f, r) == "client_order_id: only letters, digits and . : / _ - are allowed");
  r = order();
  r.set_strategy("nope");
  CHECK(submit_error(f, r) == "strategy: unknown strategy 'nope'");
}

TEST_CASE("validation: limits and kill switches check scope, permission and values") {
  Fixture f;
  api::v1::SetRiskLimitRequest l;
  l.set_scope("instrument");
  l.set_account("acct-a");
  l.set_instrument("ETH/USDT");
  l.set_kind("position");
  l.set_value("2.5");
  auto ok = f.core.set_limit(f.client(kAliceToken), l);
  REQUIRE(ok.ok());
  CHECK(ok->scope == LimitScope::kInstrument);
  CHECK(ok->instrument == InstrumentId(1));
  CHECK(ok->value == *Decimal::parse("2.5"));
  l.set_kind("open_orders");
  CHECK(f.core.set_limit(f.client(kAliceToken), l).error().message ==
        "value: '2.5' is not a whole number (open_orders is a count)");
  l.set_scope("global");
  auto global = f.core.set_limit(f.client(kAliceToken), l);
  CHECK(global.error().status == ApiStatus::kPermissionDenied);
  api::v1::KillSwitchRequest k;
  k.set_scope("account");
  k.set_account("acct-a");
  k.set_state("active");
  CHECK(f.core.trip(f.client(kAliceToken), k).error().message ==
        "state: 'active' is what reset does; trip takes halted|reducing_only");
  k.clear_state();
  CHECK(f.core.trip(f.client(kAliceToken), k)->state == KillSwitchState::kHalted);
}

TEST_CASE("validation: strategy control -- start, stop with a reason, set in order; names, actions and permission checked") {
  Fixture f;
  api::v1::StrategyControlRequest r;
  r.set_name("recovery");
  r.set_action("start");
  auto start = f.core.control(f.client(kOpsToken), r);
  REQUIRE(start.ok());
  REQUIRE(start->size() == 1);
  CHECK(std::get<StartStrategy>(start->front()).strategy == StrategyId(0));
  // A client limited to some accounts may not control a strategy (it trades on several).
  CHECK(f.core.control(f.client(kAliceToken), r).error().status == ApiStatus::kPermissionDenied);
  r.set_action("stop");
  r.set_reason("end of day");
  auto stop = f.core.control(f.client(kOpsToken), r);
  REQUIRE(stop.ok());
  CHECK(std::get<StopStrategy>(stop->front()).reason.view() == "end of day");
  r.set_action("set");
  r.clear_reason();
  CHECK(f.core.control(f.client(kOpsToken), r).error().message == "params: set needs at least one key=value");
  auto* p1 = r.add_params();
  p1->set_key("spread_bps");
  p1->set_value("4");
  auto* p2 = r.add_params();
  p2->set_key("levels");
  p2->set_value("2");
  auto set = f.core.control(f.client(kOpsToken), r);
  REQUIRE(set.ok());
  REQUIRE(set->size() == 2);
  CHECK(std::get<SetStrategyParam>((*set)[1]).key.view() == "levels");
  p2->set_key(std::string(40, 'k'));
  CHECK(f.core.control(f.client(kOpsToken), r).error().message.starts_with("params[1].key: 'kkkk"));
  r.set_action("pause");
  CHECK(f.core.control(f.client(kOpsToken), r).error().message == "action: 'pause' is not start, stop or set");
  r.set_name("nope");
  CHECK(f.core.control(f.client(kOpsToken), r).error().message == "name: unknown strategy 'nope'");
  api::v1::StrategiesRequest list;
  CHECK(f.core.strategies(list)->size() == 1);
  list.set_name("nope");
  CHECK(f.core.strategies(list).error().message == "name: unknown strategy 'nope'");
}

TEST_CASE("command ids: strictly increasing and never below the wall clock") {
  Fixture f;
  const auto a = f.core.next_command_id(1'700'000'000'000'000'000);
  CHECK(a == 1'700'000'000'000'000'000ULL);
  CHECK(f.core.next_command_id(1'700'000'000'000'000'000) == a + 1);
  CHECK(f.core.next_command_id(1'600'000'000'000'000'000) == a + 2);  // the clock stepped back
  CHECK(f.core.next_command_id(1'800'000'000'000'000'000) == 1'800'000'000'000'000'000ULL);
}

TEST_CASE("failover: an order for an account whose venue is down goes to the first alternative up that lists the instrument") {
  // bn (binance), by (bybit), ok (okx); BTC/USDT on binance and okx, ETH/USDT on binance only.
  Directory d;
  for (const char* a : {"bn", "by", "ok"}) (void)d.accounts.intern(a);
  (void)d.strategies.intern("recovery");
  std::vector<Instrument> ins(3);
  const std::pair<ExchangeId, const char*> listed[] = {{ExchangeId::kBinance, "BTC"}, {ExchangeId::kOkx, "BTC"},
                                                       {ExchangeId::kBinance, "ETH"}};
  for (std::uint32_t i = 0; i < 3; ++i) {
    ins[i].id = InstrumentId(i);
    ins[i].exchange = listed[i].first;
    ins[i].symbol.base = listed[i].second;
    ins[i].symbol.quote = "USDT";
    ins[i].venue_symbol = ins[i].symbol.base + "USDT";
    (void)d.instruments.intern(std::string(to_string(ins[i].exchange)) + ":spot:" + ins[i].symbol.to_string());
  }
  const InstrumentTable table = *InstrumentTable::from(ins);
  GatewayCore core(*parse_api_clients(tokens_json(R"(["bn","by"])"), "tokens.json", d), d, table,
                   {{AccountId(0), ExchangeId::kBinance}, {AccountId(1), ExchangeId::kBybit}, {AccountId(2), ExchangeId::kOkx}},
                   [] { return std::int64_t{0}; });
  std::set<std::uint32_t> down;
  core.set_failover({{AccountId(0), {AccountId(1), AccountId(2)}}},
                    [&down](AccountId a, Market) { return down.count(a.value) == 0; });
  const ApiClient& ops = **core.authenticate("Bearer " + kOpsToken);
  const ApiClient& alice = **core.authenticate("Bearer " + kAliceToken);
  api::v1::SubmitOrderRequest r;
  r.set_account("bn");
  r.set_instrument("BTC/USDT");
  r.set_side("buy");
  r.set_price("100");
  r.set_quantity("1");
  auto o = core.submit(ops, r, 42);
  REQUIRE(o.ok());
  // The venue up: nothing moves.
  CHECK_FALSE(core.route(ops, *o, true, 42).has_value());
  CHECK(o->account == AccountId(0));
  // Binance down: bybit does not list BTC/USDT here, okx does -> okx, the generated id made
  // again for the new account, the reason said.
  down = {0};
  const SubmitOrder before = *o;
  const auto c = core.route(ops, *o, true, 42);
  REQUIRE(c.has_value());
  CHECK(c->from == AccountId(0));
  CHECK(c->to == AccountId(2));
  CHECK(c->reason == "bn: binance spot is down; routed to ok (failover)");
  CHECK(o->account == AccountId(2));
  CHECK(o->instrument == InstrumentId(1));
  CHECK(o->client_order_id != before.client_order_id);
  CHECK(parse_client_order_id(o->client_order_id.view())->account == AccountId(2));
  CHECK(o->quantity == before.quantity);
  CHECK(o->price == before.price);
  // A client's own id is kept; a client that may not use the alternative is not routed to it.
  SubmitOrder mine = before;
  (void)mine.client_order_id.assign("MINE1");
  REQUIRE(core.route(ops, mine, false, 43).has_value());
  CHECK(mine.client_order_id.view() == "MINE1");
  SubmitOrder theirs = before;
  CHECK_FALSE(core.route(alice, theirs, true, 44).has_value());  // alice may not use ok
  CHECK(theirs.account == AccountId(0));
  // The alternative down too: unchanged (the order goes to its venue as asked).
  down = {0, 2};
  SubmitOrder stuck = before;
  CHECK_FALSE(core.route(ops, stuck, true, 45).has_value());
  CHECK(stuck == before);
  // An instrument no alternative lists: unchanged.
  down = {0};
  r.set_instrument("ETH/USDT");
  auto eth = core.submit(ops, r, 46);
  REQUIRE(eth.ok());
  CHECK_FALSE(core.route(ops, *eth, true, 46).has_value());
}

namespace {

// bn (Binance main) with subs mm1 and mm2 (spot only), and ok (OKX); BTC/USDT on both venues,
// ETH/USDT on Binance.
struct RoutingDesk {
  Directory d;
  InstrumentTable table;
  std::unique_ptr<GatewayCore> core;
  std::map<std::uint32_t, std::uint32_t> left;  // account -> orders left
  std::map<std::uint32_t, Decimal> free;        // account -> free balance

  RoutingDesk() {
    for (const char* a : {"bn", "mm1", "mm2", "ok"}) (void)d.accounts.intern(a);
    (void)d.strategies.intern("recovery");
    (void)d.strategies.intern("mm");
    std::vector<Instrument> ins(3);
    const std::pair<ExchangeId, const char*> listed[] = {{ExchangeId::kBinance, "BTC"}, {ExchangeId::kOkx, "BTC"},
                                                         {ExchangeId::kBinance, "ETH"}};
    for (std::uint32_t i = 0; i < 3; ++i) {
      ins[i].id = InstrumentId(i);
      ins[i].exchange = listed[i].first;
      ins[i].symbol.base = listed[i].second;
      ins[i].symbol.quote = "USDT";
      ins[i].venue_symbol = ins[i].symbol.base + "USDT";
      (void)d.instruments.intern(std::string(to_string(ins[i].exchange)) + ":spot:" + ins[i].symbol.to_string());
    }
    table = *InstrumentTable::from(ins);
    const std::vector<Market> spot{Market::kSpot};
    core = std::make_unique<GatewayCore>(
        *parse_api_clients(tokens_json(R"(["bn","mm2","ok"])"), "tokens.json", d), d, table,
        std::vector<GatewayAccount>{{AccountId(0), ExchangeId::kBinance, {}, AccountId(0)},
                                    {AccountId(1), ExchangeId::kBinance, spot, AccountId(0)},
                                    {AccountId(2), ExchangeId::kBinance, spot, AccountId(0)},
                                    {AccountId(3), ExchangeId::kOkx, spot, AccountId(3)}},
        [] { return std::int64_t{0}; });
    RouteRules rules;
    rules.default_account = AccountId(0);
    rules.strategies.push_back({StrategyId(1), {AccountId(1), AccountId(2)}});
    rules.instruments.push_back({InstrumentId(1), {AccountId(3)}});
    core->set_routing(rules, [this](AccountId a, Market) -> std::optional<std::uint32_t> { return left[a.value]; });
  }
  FreeBalance balances() {
    return [this](AccountId a, Market, std::string_view asset) { return asset == "USDT" ? free[a.value] : Decimal{}; };
  }
};

api::v1::SubmitOrderRequest unrouted(const char* strategy, const char* instrument) {
  api::v1::SubmitOrderRequest r;
  r.set_strategy(strategy);
  r.set_instrument(instrument);
  r.set_side("buy");
  r.set_quantity("1");
  return r;
}

}  // namespace

TEST_CASE("route_account: the strategy's route by budget then free balance; the instrument's; the default; the reason said") {
  RoutingDesk k;
  const ApiClient& ops = **k.core->authenticate("Bearer " + kOpsToken);
  const ApiClient& alice = **k.core->authenticate("Bearer " + kAliceToken);
  k.left = {{0, 50}, {1, 4}, {2, 9}, {3, 50}};
  k.free = {{1, *Decimal::parse("500")}, {2, *Decimal::parse("20")}};
  auto r = k.core->route_account(ops, unrouted("mm", "BTC/USDT"), k.balances());
  REQUIRE(r.ok());
  CHECK(r->choice.account == AccountId(2));
  CHECK(r->choice.instrument == InstrumentId(0));
  CHECK(r->reason == "strategy mm -> mm2 (routing rule; of 2 eligible accounts the most order budget left (9), then free balance (20))");
  k.left[1] = 9;  // a tie on budget: the free balance decides
  r = k.core->route_account(ops, unrouted("mm", "BTC/USDT"), k.balances());
  REQUIRE(r.ok());
  CHECK(r->choice.account == AccountId(1));
  // alice may not use mm1: mm2 is the route's only eligible account.
  r = k.core->route_account(alice, unrouted("mm", "BTC/USDT"), k.balances());
  REQUIRE(r.ok());
  CHECK(r->reason == "strategy mm -> mm2 (routing rule)");
  // No route for the strategy: OKX's BTC/USDT by its instrument route (a directory name), else
  // the default account.
  r = k.core->route_account(ops, unrouted("recovery", "okx:spot:BTC/USDT"), k.balances());
  REQUIRE(r.ok());
  CHECK(r->reason == "instrument okx:spot:BTC/USDT -> ok (routing rule)");
  r = k.core->route_account(ops, unrouted("", "ETH/USDT"), k.balances());
  REQUIRE(r.ok());
  CHECK(r->choice.account == AccountId(0));
  CHECK(r->reason == "default account bn");
  // Nothing eligible; an unknown strategy.
  r = k.core->route_account(ops, unrouted("", "XRP/USDT"), k.balances());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "account: missing, and no routing rule gives an account that client 'ops' may use and that trades 'XRP/USDT'");
  r = k.core->route_account(ops, unrouted("nope", "BTC/USDT"), k.balances());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "strategy: unknown strategy 'nope'");
}

TEST_CASE("list_scope: every visible account, or by exchange, main account and instrument; bad filters named") {
  RoutingDesk k;
  const ApiClient& ops = **k.core->authenticate("Bearer " + kOpsToken);
  const ApiClient& alice = **k.core->authenticate("Bearer " + kAliceToken);
  const auto accounts = [&](const ApiClient& c, const char* account, const char* exchange, const char* main,
                            const char* instrument) {
    auto s = k.core->list_scope(c, account, exchange, main, instrument);
    REQUIRE(s.ok());
    return s->accounts;
  };
  using V = std::vector<AccountId>;
  CHECK(accounts(ops, "", "", "", "") == V{AccountId(0), AccountId(1), AccountId(2), AccountId(3)});
  CHECK(accounts(alice, "", "", "", "") == V{AccountId(0), AccountId(2), AccountId(3)});
  CHECK(accounts(ops, "", "okx", "", "") == V{AccountId(3)});
  CHECK(accounts(ops, "", "", "bn", "") == V{AccountId(0), AccountId(1), AccountId(2)});
  CHECK(accounts(ops, "mm1", "", "", "") == V{AccountId(1)});
  CHECK(accounts(ops, "", "", "", "ETH/USDT") == V{AccountId(0), AccountId(1), AccountId(2)});
  auto s = k.core->list_scope(ops, "", "", "", "BTC/USDT");
  REQUIRE(s.ok());
  CHECK(s->instruments == std::vector<InstrumentId>{InstrumentId(0), InstrumentId(1)});
  CHECK(s->covers(InstrumentId(1)));
  CHECK_FALSE(s->covers(InstrumentId(2)));
  s = k.core->list_scope(ops, "", "okx", "", "BTC/USDT");
  REQUIRE(s.ok());
  CHECK(s->instruments == std::vector<InstrumentId>{InstrumentId(1)});
  const auto error = [&](const char* account, const char* exchange, const char* main, const char* instrument) {
    auto e = k.core->list_scope(ops, account, exchange, main, instrument);
    REQUIRE_FALSE(e.ok());
    return e.error().message;
  };
  CHECK(error("", "kraken", "", "") == "exchange: 'kraken' is not one of binance|bybit|okx|upbit");
  CHECK(error("", "", "mm1", "") == "main: 'mm1' is a sub-account (of 'bn')");
  CHECK(error("", "", "ghost", "") == "main: unknown account 'ghost'");
  CHECK(error("", "okx", "", "ETH/USDT") == "instrument: unknown instrument 'ETH/USDT' on okx");
  CHECK(error("ghost", "", "", "") == "account: unknown account 'ghost'");
}

namespace {

api::v1::SubmitBatchRequest batch_of(std::size_t n) {
  api::v1::SubmitBatchRequest r;
  r.set_account("acct-a");
  for (std::size_t i = 0; i < n; ++i) {
    auto o = order("100", "0.01");
    o.clear_account();
    o.set_client_order_id("B-" + std::to_string(i));
    *r.add_orders() = o;
  }
  return r;
}

std::vector<std::uint64_t> sequences(std::size_t n) {
  std::vector<std::uint64_t> s(n);
  for (std::size_t i = 0; i < n; ++i) s[i] = 1000 + i;
  return s;
}

std::string batch_error(Fixture& f, const api::v1::SubmitBatchRequest& r,
                        ApiStatus status = ApiStatus::kInvalidArgument, const std::string& token = kOpsToken) {
  const auto seq = sequences(static_cast<std::size_t>(r.orders_size()));
  auto b = f.core.batch(f.client(token), r, seq);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().status == status);
  return b.error().message;
}

}  // namespace

TEST_CASE("validation: a batch of 12 becomes commands of 5, 5 and 2, in the request's order; generated ids each their own") {
  Fixture f;
  auto r = batch_of(12);
  r.mutable_orders(3)->clear_client_order_id();
  r.mutable_orders(7)->clear_client_order_id();
  const auto seq = sequences(12);
  auto b = f.core.batch(f.client(kOpsToken), r, seq);
  REQUIRE(b.ok());
  REQUIRE(b->size() == 3);
  CHECK((*b)[0].orders.size() == 5);
  CHECK((*b)[1].orders.size() == 5);
  CHECK((*b)[2].orders.size() == 2);
  std::vector<std::string> ids;
  for (const auto& c : *b) {
    CHECK(c.account == AccountId(0));
    for (const auto& o : c.orders) {
      CHECK(o.account == AccountId(0));
      CHECK(o.price == *Decimal::parse("100"));
      ids.push_back(o.client_order_id.str());
    }
  }
  REQUIRE(ids.size() == 12);
  CHECK(ids[0] == "B-0");
  CHECK(ids[11] == "B-11");
  CHECK(*parse_client_order_id(ids[3]) == ClientOrderId{0, AccountId(0), StrategyId(0), 1003});
  CHECK(*parse_client_order_id(ids[7]) == ClientOrderId{0, AccountId(0), StrategyId(0), 1007});
}

TEST_CASE("validation: batch refusals name the entry and the field") {
  Fixture f;
  auto r = batch_of(5);
  r.mutable_orders(3)->set_price("1.5.5");
  CHECK(batch_error(f, r) == "orders[3].price: '1.5.5' is not a decimal number");
  r = batch_of(5);
  r.mutable_orders(1)->set_instrument("DOGE/USDT");
  CHECK(batch_error(f, r) == "orders[1].instrument: unknown instrument 'DOGE/USDT' on binance");
  r = batch_of(5);
  r.mutable_orders(4)->set_side("long");
  CHECK(batch_error(f, r) == "orders[4].side: 'long' is not one of buy|sell");
  r = batch_of(5);
  r.mutable_orders(2)->set_client_order_id("B-0");
  CHECK(batch_error(f, r) == "orders[2].client_order_id: 'B-0' repeats orders[0]'s");
  r = batch_of(5);
  r.mutable_orders(2)->set_account("acct-b");
  CHECK(batch_error(f, r) == "orders[2].account: 'acct-b' is not the batch's account 'acct-a'");
  r = batch_of(5);
  r.mutable_orders(0)->set_account("acct-a");  // its own account named again: fine
  CHECK(f.core.batch(f.client(kOpsToken), r, sequences(5)).ok());
  r.mutable_orders(0)->set_wait_ack_ms(100);
  CHECK(batch_error(f, r) == "orders[0].wait_ack_ms: set it on the batch");
  CHECK(batch_error(f, batch_of(0)) == "orders: empty");
  CHECK(batch_error(f, batch_of(kMaxBatchRequestOrders + 1)) == "orders: 101 orders, at most 100");
  r = batch_of(2);
  r.set_account("nope");
  CHECK(batch_error(f, r) == "account: unknown account 'nope'");
  r = batch_of(2);
  r.set_account("acct-b");
  CHECK(batch_error(f, r, ApiStatus::kPermissionDenied, kAliceToken) ==
        "client 'alice' may not use account 'acct-b'");
}

TEST_CASE("batches: the venues' batch sizes; a command holds at most 5 orders") {
  CHECK(venue_batch_limit(ExchangeId::kBinance, Market::kUsdm) == 5);
  CHECK(venue_batch_limit(ExchangeId::kBinance, Market::kSpot) == 1);
  CHECK(venue_batch_limit(ExchangeId::kBybit, Market::kSpot) == 10);
  CHECK(venue_batch_limit(ExchangeId::kBybit, Market::kUsdm) == 20);
  CHECK(venue_batch_limit(ExchangeId::kOkx, Market::kSpot) == 20);
  CHECK(venue_batch_limit(ExchangeId::kUpbit, Market::kSpot) == 1);
  CHECK(batch_command_size(ExchangeId::kBinance, Market::kUsdm) == 5);
  CHECK(batch_command_size(ExchangeId::kOkx, Market::kUsdm) == kMaxBatchOrders);
  CHECK(batch_command_size(ExchangeId::kUpbit, Market::kSpot) == kMaxBatchOrders);
  std::vector<SubmitOrder> seven(7);
  const auto three = split_batch(AccountId(2), seven, 3);
  REQUIRE(three.size() == 3);
  CHECK(three[2].orders.size() == 1);
  CHECK(three[0].account == AccountId(2));
  CHECK(split_batch(AccountId(2), seven, 50).size() == 2);  // never above the command's 5
}

TEST_CASE("validation: a transfer request -- both accounts the client's, wallets spot|usdm, asset, a positive amount; its id or the generated one") {
  Fixture f;
  api::v1::TransferRequest r;
  r.set_from_account("acct-a");
  r.set_to_account("acct-b");
  r.set_asset("USDT");
  r.set_amount("12.5");
  const auto& ops = f.client(kOpsToken);
  auto t = f.core.transfer(ops, r, 99);
  REQUIRE(t.ok());
  CHECK(t->from_account == AccountId(0));
  CHECK(t->to_account == AccountId(1));
  CHECK(t->from_market == Market::kSpot);
  CHECK(t->to_market == Market::kSpot);
  CHECK(t->asset.view() == "USDT");
  CHECK(t->amount == *Decimal::parse("12.5"));
  CHECK(t->transfer_id == 99);
  r.set_transfer_id(7);
  CHECK(f.core.transfer(ops, r, 99)->transfer_id == 7);

  // alice may use acct-a only: a transfer to acct-b is not hers to make.
  auto denied = f.core.transfer(f.client(kAliceToken), r, 99);
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().status == ApiStatus::kPermissionDenied);

  const auto error_of = [&](const api::v1::TransferRequest& bad) {
    auto e = f.core.transfer(ops, bad, 99);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().status == ApiStatus::kInvalidArgument);
    return e.error().message;
  };
  auto b = r;
  b.set_to_market("coinm");
  CHECK(error_of(b) == "to_market: 'coinm' is not one of spot | usdm");
  b = r;
  b.set_amount("0");
  CHECK(error_of(b).rfind("amount: must be > 0", 0) == 0);
  b = r;
  b.set_amount("x");
  CHECK(error_of(b).rfind("amount: ", 0) == 0);
  b = r;
  b.set_asset("");
  CHECK(error_of(b) == "asset: missing");
  b = r;
  b.set_to_account("acct-a");
  CHECK(error_of(b) == "to_market: the same account and wallet at both ends");
  b.set_to_market("usdm");
  CHECK(f.core.transfer(ops, b, 99).ok());  // one account's spot -> USD-M
  b = r;
  b.set_from_account("nope");
  CHECK(error_of(b) == "from_account: unknown account 'nope'");
}

TEST_CASE("validation: a smart-routed parent -- the accounts it may use with their budgets; errors name the field") {
  Fixture f;
  api::v1::SubmitSorRequest r;
  r.set_account("acct-a");
  r.set_strategy("recovery");
  r.set_instrument("BTC/USDT");
  r.set_side("buy");
  r.set_quantity("0.5");
  r.set_limit_price("101");
  r.set_urgency_bps(20);
  r.set_parent(501);
  // No accounts named: every account the client may use; no budget known yet: 1 (one child).
  auto c = f.core.submit_sor(f.client(kOpsToken), r);
  REQUIRE(c.ok());
  CHECK(c->account == AccountId(0));
  CHECK(c->strategy == StrategyId(0));
  CHECK(c->instrument == InstrumentId(0));
  CHECK(c->side == Side::kBuy);
  CHECK(c->quantity == *Decimal::parse("0.5"));
  CHECK(c->limit_price == *Decimal::parse("101"));
  CHECK(c->urgency_bps == 20);
  CHECK(c->parent == 501);
  REQUIRE(c->accounts.count == 2);
  CHECK(c->accounts.items[0].account == AccountId(0));
  CHECK(c->accounts.items[0].orders_left == 1);
  CHECK(c->accounts.items[1].account == AccountId(1));
  // alice may use acct-a only.
  c = f.core.submit_sor(f.client(kAliceToken), r);
  REQUIRE(c.ok());
  REQUIRE(c->accounts.count == 1);
  CHECK(c->accounts.items[0].account == AccountId(0));
  // Named accounts, with the router's budgets.
  f.core.set_routing({}, [](AccountId a, Market) -> std::optional<std::uint32_t> { return a.value == 1 ? 7U : 3U; });
  r.add_accounts("acct-b");
  r.add_accounts("acct-a");
  c = f.core.submit_sor(f.client(kOpsToken), r);
  REQUIRE(c.ok());
  REQUIRE(c->accounts.count == 2);
  CHECK(c->accounts.items[0].account == AccountId(1));
  CHECK(c->accounts.items[0].orders_left == 7);
  CHECK(c->accounts.items[1].orders_left == 3);
  // Refusals.
  r.set_urgency_bps(1001);
  auto bad = f.core.submit_sor(f.client(kOpsToken), r);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "urgency_bps: 1001 is above 1000");
  r.set_urgency_bps(0);
  r.set_quantity("0");
  bad = f.core.submit_sor(f.client(kOpsToken), r);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "quantity: '0' is not a positive decimal");
  r.set_quantity("1");
  bad = f.core.submit_sor(f.client(kAliceToken), r);  // acct-b is not alice's
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().status == ApiStatus::kPermissionDenied);
  CHECK(bad.error().message == "client 'alice' may not use account 'acct-b'");
  r.clear_accounts();
  r.set_strategy("");
  bad = f.core.submit_sor(f.client(kOpsToken), r);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "strategy: missing (a parent's children carry its strategy)");
}
