// The gateway over real TLS on 127.0.0.1 (port 0) against a real Runtime and the scripted
// venue: orders in and listed, duplicates, cancels, the refusals (unauthenticated, permission,
// invalid argument, rate), TLS 1.2 refused, and omsctl as a child process.
#include <doctest/doctest.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "actors/recovery_script.hpp"
#include "oms/actors/gateway.hpp"
#include "oms/actors/runtime.hpp"
#include "oms/api/v1/oms.grpc.pb.h"
#include "oms/messages/client_order_id.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/snapshot.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

using namespace oms;
using namespace std::chrono_literals;
namespace apiv1 = oms::api::v1;

namespace {

constexpr std::uint64_t kSeed = 11;
const std::string kOps(32, 'a');
const std::string kAlice(32, 'b');
const std::string kSlow(32, 'c');

struct Desk {
  oms::testkit::TempDir tmp{"gateway"};
  Directory directory = oms::testkit::recovery_directory();
  persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}, {ExchangeId::kBinance, "acct-b"}}, {}};
  std::unique_ptr<persistence::FileJournal> journal;
  persistence::SnapshotStore snapshots{tmp.path() / "data"};
  actors::InstrumentTable table = *actors::InstrumentTable::from(oms::testkit::recovery_instruments());
  std::shared_ptr<oms::testkit::ScriptedVenue> venue_a, venue_b;
  std::unique_ptr<actors::Runtime> rt;
  oms::testkit::TlsCerts certs;
  std::unique_ptr<actors::GatewayServer> gateway;
  std::string address;
  // The tripped kill switches the gateway handed on (GatewayOptions::on_kill_switch).
  std::mutex trips_mutex;
  std::vector<TripKillSwitch> trips;
  std::vector<TripKillSwitch> tripped() {
    std::lock_guard lock(trips_mutex);
    return trips;
  }

  Desk() {
    spdlog::set_level(spdlog::level::warn);
    auto j = persistence::FileJournal::open(tmp.path() / "journal", layout);
    REQUIRE(j.ok());
    journal = std::move(j).value();
    venue_a = std::make_shared<oms::testkit::ScriptedVenue>(kSeed, tmp.path() / "venue-a", AccountId(0));
    venue_b = std::make_shared<oms::testkit::ScriptedVenue>(kSeed, tmp.path() / "venue-b", AccountId(1));
    actors::RuntimeOptions o;
    o.engine.ack_timeout = 100ms;
    rt = std::make_unique<actors::Runtime>(o, directory, table, *journal, nullptr, &snapshots,
                                           std::make_shared<actors::RiskCore>(2, 1, 2),
                                           std::vector<actors::RuntimeAccount>{
                                               {AccountId(0), ExchangeId::kBinance, venue_a},
                                               {AccountId(1), ExchangeId::kBinance, venue_b}});
    certs = oms::testkit::make_tls_certs(tmp.path() / "tls");
    const std::string tokens =
        R"({"clients":[{"name":"ops","token":")" + kOps + R"(","accounts":["*"],"rate_per_s":1000,"burst":1000},)"
        R"({"name":"alice","token":")" + kAlice + R"(","accounts":["acct-a"],"rate_per_s":1000,"burst":1000},)"
        R"({"name":"slow","token":")" + kSlow + R"(","accounts":["acct-a"],"rate_per_s":1,"burst":2}]})";
    actors::GatewayOptions g;
    g.address = "127.0.0.1:0";
    g.cert = certs.cert;
    g.key = certs.key;
    g.on_kill_switch = [this](const TripKillSwitch& t) {
      std::lock_guard lock(trips_mutex);
      trips.push_back(t);
    };
    gateway = std::make_unique<actors::GatewayServer>(
        g, *actors::parse_api_clients(tokens, "tokens.json", directory), *rt, directory, table,
        std::vector<actors::GatewayAccount>{{AccountId(0), ExchangeId::kBinance},
                                            {AccountId(1), ExchangeId::kBinance}});
    address = "127.0.0.1:" + std::to_string(gateway->port());
  }
  ~Desk() {
    gateway.reset();  // before the runtime it calls
    rt.reset();
  }

  std::unique_ptr<apiv1::Oms::Stub> stub() const {
    std::ifstream in(certs.ca);
    std::stringstream ca;
    ca << in.rdbuf();
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ca.str();
    return apiv1::Oms::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(o)));
  }
};

void prepare(grpc::ClientContext& ctx, const std::string& token) {
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
}

std::string id_with(oms::testkit::ScriptedVenue::Fate fate, int from = 0) {
  for (int i = from;; ++i) {
    const std::string id = "G-" + std::to_string(i);
    if (oms::testkit::ScriptedVenue::fate_of(kSeed, id) == fate) return id;
  }
}

apiv1::SubmitOrderRequest order(const std::string& id, const char* account = "acct-a") {
  apiv1::SubmitOrderRequest r;
  r.set_account(account);
  r.set_strategy("recovery");
  r.set_instrument("BTC/USDT");
  r.set_side("buy");
  r.set_price("100");
  r.set_quantity("1");
  r.set_client_order_id(id);
  return r;
}

grpc::Status submit(apiv1::Oms::Stub& s, const std::string& token, const apiv1::SubmitOrderRequest& r,
                    apiv1::CommandReply& reply) {
  grpc::ClientContext ctx;
  prepare(ctx, token);
  return s.SubmitOrder(&ctx, r, &reply);
}

// Polls ListOrders until the order has the status (bounded: 10 s).
apiv1::Order wait_status(apiv1::Oms::Stub& s, const std::string& id, const std::string& status) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    grpc::ClientContext ctx;
    prepare(ctx, kOps);
    apiv1::AccountRequest r;
    r.set_account("acct-a");
    apiv1::OrderList list;
    REQUIRE(s.ListOrders(&ctx, r, &list).ok());
    for (const auto& o : list.orders())
      if (o.client_order_id() == id && o.status() == status) return o;
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "order " << id << " never " << status);
    std::this_thread::sleep_for(5ms);
  }
}

struct Child {
  int exit_code = -1;
  std::string out, err;
};
// Runs omsctl (bounded by its own --timeout-ms deadline on each call).
Child omsctl(const Desk& d, const std::string& token, const std::string& args) {
  const auto token_file = d.tmp.path() / ("token-" + std::to_string(std::hash<std::string>{}(token)));
  std::ofstream(token_file) << token << "\n";
  const auto err_file = d.tmp.path() / "omsctl.err";
  const std::string cmd = std::string(OMS_OMSCTL) + " --address " + d.address + " --ca " +
                          d.certs.ca.string() + " --token-file " + token_file.string() +
                          " --timeout-ms 10000 " + args + " 2>" + err_file.string();
  Child c;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) c.out.append(buf, n);
  const int status = pclose(p);
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  std::stringstream es;
  es << e.rdbuf();
  c.err = es.str();
  return c;
}

// A raw TLS handshake with the versions given; true when it completes.
bool handshake(int port, int min_version, int max_version, int* negotiated) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};  // bounded: a stuck handshake fails the read
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  const bool ok = SSL_connect(ssl) == 1;
  if (negotiated != nullptr) *negotiated = ok ? SSL_version(ssl) : 0;
  SSL_free(ssl);
  close(fd);
  SSL_CTX_free(ctx);
  return ok;
}

}  // namespace

TEST_CASE("gateway: a submitted order is listed with its status; the same submit again is a duplicate") {
  Desk d;
  auto s = d.stub();
  const auto id = id_with(oms::testkit::ScriptedVenue::Fate::kRest);
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kAlice, order(id), reply).ok());
  CHECK(reply.accepted());
  CHECK_FALSE(reply.duplicate());
  CHECK(reply.client_order_id() == id);
  CHECK(reply.command_id() > 0);
  const auto o = wait_status(*s, id, "accepted");
  CHECK(o.instrument() == "BTC/USDT");
  CHECK(o.strategy() == "recovery");
  CHECK(o.side() == "buy");
  CHECK(o.price() == "100");
  CHECK(o.quantity() == "1");
  CHECK(o.leaves_qty() == "1");
  apiv1::CommandReply again;
  REQUIRE(submit(*s, kAlice, order(id), again).ok());
  CHECK(again.duplicate());
  CHECK(again.status() == "accepted");
  CHECK(d.venue_a->orders_received() == 1);
}

TEST_CASE("gateway: an order without id gets a generated client order id; cancel reaches the venue") {
  Desk d;
  auto s = d.stub();
  auto r = order("");
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kOps, r, reply).ok());
  const auto parsed = parse_client_order_id(reply.client_order_id());
  REQUIRE(parsed.has_value());
  CHECK(parsed->account == AccountId(0));
  CHECK(parsed->strategy == StrategyId(0));
  CHECK(parsed->sequence == reply.command_id());
  const auto id = id_with(oms::testkit::ScriptedVenue::Fate::kRest);
  REQUIRE(submit(*s, kOps, order(id), reply).ok());
  (void)wait_status(*s, id, "accepted");
  grpc::ClientContext ctx;
  prepare(ctx, kOps);
  apiv1::CancelOrderRequest c;
  c.set_account("acct-a");
  c.set_instrument("BTC/USDT");
  c.set_client_order_id(id);
  apiv1::CommandReply cancel;
  REQUIRE(s->CancelOrder(&ctx, c, &cancel).ok());
  CHECK(cancel.accepted());
  CHECK(cancel.status() == "pending_cancel");
  CHECK(wait_status(*s, id, "canceled").leaves_qty() == "0");
}

TEST_CASE("gateway: no token or a wrong one is UNAUTHENTICATED; another client's account is PERMISSION_DENIED") {
  Desk d;
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  auto s = d.stub();
  apiv1::CommandReply reply;
  CHECK(submit(*s, "", order("X-1"), reply).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(submit(*s, std::string(32, 'f'), order("X-1"), reply).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  const auto denied = submit(*s, kAlice, order("X-1", "acct-b"), reply);
  CHECK(denied.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(denied.error_message() == "client 'alice' may not use account 'acct-b'");
  spdlog::default_logger()->flush();
  spdlog::default_logger()->sinks().pop_back();
  CHECK(log.str().find("client 'alice' may not use account 'acct-b'") != std::string::npos);
  CHECK(log.str().find(kAlice) == std::string::npos);
  CHECK(d.venue_b->orders_received() == 0);
}

TEST_CASE("gateway: a caller guessing tokens gets UNAUTHENTICATED, then RESOURCE_EXHAUSTED past its host's burst; logged with its address, never the token") {
  Desk d;
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  auto s = d.stub();
  apiv1::CommandReply reply;
  const std::string guess(32, 'e');
  int unauthenticated = 0, exhausted = 0;
  // Back to back in one process: far faster than the 5 a second the host's bucket refills.
  for (int i = 0; i < 40; ++i) {
    const auto code = submit(*s, guess, order("G-1"), reply).error_code();
    if (code == grpc::StatusCode::UNAUTHENTICATED) ++unauthenticated;
    if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
  }
  spdlog::default_logger()->flush();
  spdlog::default_logger()->sinks().pop_back();
  CHECK(unauthenticated >= static_cast<int>(actors::GatewayCore::kUnauthenticatedBurst));
  CHECK(unauthenticated < 40);
  CHECK(exhausted >= 1);
  CHECK(unauthenticated + exhausted == 40);
  CHECK(log.str().find("unauthenticated calls a second") != std::string::npos);
  CHECK(log.str().find("from ipv4:127.0.0.1") != std::string::npos);
  CHECK(log.str().find(guess) == std::string::npos);
  CHECK(d.venue_a->orders_received() == 0);
}

TEST_CASE("gateway: INVALID_ARGUMENT names the field (bad decimal, unknown instrument)") {
  Desk d;
  auto s = d.stub();
  apiv1::CommandReply reply;
  auto r = order("X-2");
  r.set_price("1.5.5");
  auto st = submit(*s, kOps, r, reply);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(st.error_message() == "price: '1.5.5' is not a decimal number");
  r = order("X-2");
  r.set_instrument("DOGE/USDT");
  st = submit(*s, kOps, r, reply);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(st.error_message() == "instrument: unknown instrument 'DOGE/USDT' on binance");
  CHECK(d.venue_a->orders_received() == 0);
}

TEST_CASE("gateway: 64 KB values are answered at once with a short echo; the connection goes on serving") {
  Desk d;
  auto s = d.stub();
  apiv1::CommandReply reply;
  const std::string huge(64 * 1024, 'A');
  for (const char* field : {"account", "price", "instrument", "side"}) {
    CAPTURE(field);
    auto r = order("X-3");
    if (std::string(field) == "account") r.set_account(huge);
    if (std::string(field) == "price") r.set_price(huge);
    if (std::string(field) == "instrument") r.set_instrument(huge);
    if (std::string(field) == "side") r.set_side(huge);
    const auto t0 = std::chrono::steady_clock::now();
    const auto st = submit(*s, kOps, r, reply);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    INFO(st.error_message().substr(0, 200));
    CHECK(st.error_message().starts_with(std::string(field) + ": "));
    CHECK(st.error_message().find("AAAA... (65536 bytes)") != std::string::npos);
    CHECK(st.error_message().size() < 300);
  }
  // The same connection answers the next call.
  auto ok = order("X-4");
  CHECK(submit(*s, kOps, ok, reply).ok());
  CHECK(d.venue_a->orders_received() == 1);
}

TEST_CASE("gateway: a client over its rate gets RESOURCE_EXHAUSTED") {
  Desk d;
  auto s = d.stub();
  std::vector<grpc::StatusCode> codes;
  for (int i = 0; i < 3; ++i) {  // burst 2, 1/s: the third within a second is refused
    grpc::ClientContext ctx;
    prepare(ctx, kSlow);
    apiv1::HealthReply h;
    codes.push_back(s->Health(&ctx, apiv1::HealthRequest{}, &h).error_code());
  }
  CHECK(codes == std::vector<grpc::StatusCode>{grpc::StatusCode::OK, grpc::StatusCode::OK,
                                               grpc::StatusCode::RESOURCE_EXHAUSTED});
}

TEST_CASE("gateway: TLS 1.3 only -- a TLS 1.2 client is refused, a TLS 1.3 client is served") {
  Desk d;
  int version = 0;
  CHECK_FALSE(handshake(d.gateway->port(), TLS1_2_VERSION, TLS1_2_VERSION, &version));
  CHECK(handshake(d.gateway->port(), TLS1_2_VERSION, TLS1_3_VERSION, &version));
  CHECK(version == TLS1_3_VERSION);
}

TEST_CASE("gateway: health, balances and positions (per account and unified)") {
  Desk d;
  auto s = d.stub();
  grpc::ClientContext hctx;
  prepare(hctx, kAlice);
  apiv1::HealthReply h;
  REQUIRE(s->Health(&hctx, apiv1::HealthRequest{}, &h).ok());
  CHECK(h.status() == "serving");
  CHECK(h.client() == "alice");
  REQUIRE(h.accounts_size() == 1);
  CHECK(h.accounts(0).account() == "acct-a");
  const auto id = id_with(oms::testkit::ScriptedVenue::Fate::kFill);
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kOps, order(id), reply).ok());
  auto sell = order(id_with(oms::testkit::ScriptedVenue::Fate::kFill, 1000), "acct-b");
  sell.set_side("sell");
  sell.set_price("101");  // above acct-a's buy: ours never cross (the engine refuses a self-trade)
  sell.set_quantity("0.25");
  REQUIRE(submit(*s, kOps, sell, reply).ok());
  (void)wait_status(*s, id, "filled");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {  // unified: 1 bought on acct-a, 0.25 sold on acct-b
    grpc::ClientContext ctx;
    prepare(ctx, kOps);
    apiv1::PositionsRequest pr;
    pr.set_unified(true);
    apiv1::PositionList list;
    REQUIRE(s->ListPositions(&ctx, pr, &list).ok());
    if (list.positions_size() == 1 && list.positions(0).size() == "0.75") {
      CHECK(list.positions(0).instrument() == "BTC/USDT");
      CHECK(list.positions(0).accounts_size() == 2);
      break;
    }
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "unified position never 0.75");
    std::this_thread::sleep_for(5ms);
  }
  grpc::ClientContext pctx;
  prepare(pctx, kAlice);
  apiv1::PositionsRequest pr;
  pr.set_account("acct-a");
  apiv1::PositionList mine;
  REQUIRE(s->ListPositions(&pctx, pr, &mine).ok());
  REQUIRE(mine.positions_size() == 1);
  CHECK(mine.positions(0).size() == "1");
  CHECK(mine.positions(0).entry_price() == "100");
  grpc::ClientContext bctx;
  prepare(bctx, kAlice);
  apiv1::AccountRequest br;
  br.set_account("acct-a");
  apiv1::BalanceList balances;
  REQUIRE(s->ListBalances(&bctx, br, &balances).ok());
  bool btc = false;
  for (const auto& b : balances.balances()) btc = btc || (b.asset() == "BTC" && b.free() == "101");
  CHECK(btc);
}

TEST_CASE("omsctl: --json submit and orders through the gateway; errors name the status code") {
  Desk d;
  const auto id = id_with(oms::testkit::ScriptedVenue::Fate::kRest);
  const auto sub = omsctl(d, kAlice, "--json submit --account acct-a --instrument BTC/USDT --side buy "
                                     "--qty 2 --price 100 --strategy recovery --id " + id);
  REQUIRE_MESSAGE(sub.exit_code == 0, sub.err);
  const auto reply = nlohmann::json::parse(sub.out);
  CHECK(reply["accepted"] == true);
  CHECK(reply["client_order_id"] == id);
  auto s = d.stub();
  (void)wait_status(*s, id, "accepted");
  const auto orders = omsctl(d, kAlice, "orders --account acct-a --json");
  REQUIRE_MESSAGE(orders.exit_code == 0, orders.err);
  const auto list = nlohmann::json::parse(orders.out);
  REQUIRE(list["orders"].size() == 1);
  CHECK(list["orders"][0]["client_order_id"] == id);
  CHECK(list["orders"][0]["quantity"] == "2");
  CHECK(list["orders"][0]["status"] == "accepted");
  const auto denied = omsctl(d, kAlice, "orders --account acct-b");
  CHECK(denied.exit_code == 1);
  CHECK(denied.err == "omsctl: PERMISSION_DENIED: client 'alice' may not use account 'acct-b'\n");
  const auto table = omsctl(d, kAlice, "orders --account acct-a");
  CHECK(table.exit_code == 0);
  CHECK(table.out.rfind("account", 0) == 0);
  CHECK(table.out.find(id) != std::string::npos);
}

namespace {
apiv1::CommandReply command(apiv1::Oms::Stub& s, const std::string& token,
                            grpc::Status (apiv1::Oms::Stub::*rpc)(grpc::ClientContext*,
                                                                  const apiv1::KillSwitchRequest&,
                                                                  apiv1::CommandReply*),
                            const apiv1::KillSwitchRequest& r) {
  grpc::ClientContext ctx;
  prepare(ctx, token);
  apiv1::CommandReply reply;
  const auto st = (s.*rpc)(&ctx, r, &reply);
  REQUIRE_MESSAGE(st.ok(), st.error_message());
  return reply;
}
apiv1::CommandReply set_limit(apiv1::Oms::Stub& s, const std::string& token,
                              const apiv1::SetRiskLimitRequest& r) {
  grpc::ClientContext ctx;
  prepare(ctx, token);
  apiv1::CommandReply reply;
  const auto st = s.SetRiskLimit(&ctx, r, &reply);
  REQUIRE_MESSAGE(st.ok(), st.error_message());
  return reply;
}
}  // namespace

TEST_CASE("gateway: a risk limit and a kill switch set over the API refuse the next order") {
  Desk d;
  auto s = d.stub();
  apiv1::SetRiskLimitRequest l;
  l.set_scope("account");
  l.set_account("acct-a");
  l.set_kind("order_quantity");
  l.set_value("0.5");
  const auto set = set_limit(*s, kAlice, l);
  CHECK_MESSAGE(set.accepted(), set.message());
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kAlice, order(id_with(oms::testkit::ScriptedVenue::Fate::kRest)), reply).ok());
  CHECK_FALSE(reply.accepted());
  CHECK(reply.code() / 1000 == 2);  // a risk refusal
  l.clear_value();
  l.set_unlimited(true);
  CHECK(set_limit(*s, kAlice, l).accepted());
  apiv1::KillSwitchRequest k;
  k.set_scope("account");
  k.set_account("acct-a");
  k.set_reason("test");
  CHECK(command(*s, kAlice, &apiv1::Oms::Stub::TripKillSwitch, k).accepted());
  REQUIRE(submit(*s, kAlice, order(id_with(oms::testkit::ScriptedVenue::Fate::kRest, 100)), reply).ok());
  CHECK_FALSE(reply.accepted());
  CHECK(reply.code() / 1000 == 2);
  CHECK(command(*s, kAlice, &apiv1::Oms::Stub::ResetKillSwitch, k).accepted());
  const auto last = id_with(oms::testkit::ScriptedVenue::Fate::kRest, 200);
  REQUIRE(submit(*s, kAlice, order(last), reply).ok());
  CHECK(reply.accepted());
  (void)wait_status(*s, last, "accepted");
  CHECK(d.venue_a->orders_received() == 1);  // the two refused orders never left
}

TEST_CASE("gateway: ListFills gives the account's fills; omsctl prints them as JSON") {
  Desk d;
  auto s = d.stub();
  const auto id = id_with(oms::testkit::ScriptedVenue::Fate::kFill);
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kAlice, order(id), reply).ok());
  (void)wait_status(*s, id, "filled");
  const auto out = omsctl(d, kAlice, "fills --account acct-a --json");
  REQUIRE_MESSAGE(out.exit_code == 0, out.err);
  const auto fills = nlohmann::json::parse(out.out)["fills"];
  REQUIRE(fills.size() >= 1);
  Decimal total;
  for (const auto& f : fills) {
    CHECK(f["client_order_id"] == id);
    CHECK(f["price"] == "100");
    CHECK(f["instrument"] == "BTC/USDT");
    total = *total.add(*Decimal::parse(f["quantity"].get<std::string>()));
  }
  CHECK(total == *Decimal::parse("1"));
}

TEST_CASE("gateway: CancelAll cancels every open order of the account on the instrument") {
  Desk d;
  auto s = d.stub();
  const auto a = id_with(oms::testkit::ScriptedVenue::Fate::kRest);
  const auto b = id_with(oms::testkit::ScriptedVenue::Fate::kRest, 300);
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kAlice, order(a), reply).ok());
  REQUIRE(submit(*s, kAlice, order(b), reply).ok());
  (void)wait_status(*s, a, "accepted");
  (void)wait_status(*s, b, "accepted");
  grpc::ClientContext ctx;
  prepare(ctx, kAlice);
  apiv1::CancelAllRequest r;
  r.set_account("acct-a");
  r.set_instrument("BTC/USDT");
  REQUIRE(s->CancelAll(&ctx, r, &reply).ok());
  CHECK(reply.accepted());
  CHECK(reply.message() == "2 cancels sent");
  (void)wait_status(*s, a, "canceled");
  (void)wait_status(*s, b, "canceled");
}

TEST_CASE("omsctl: --data finds the CA and the token; a usage error exits 2") {
  Desk d;
  const auto data = d.tmp.path() / "omsdata";
  std::filesystem::create_directories(data / "tls");
  std::filesystem::create_directories(data / "api");
  std::filesystem::copy_file(d.certs.ca, data / "tls" / "ca.pem");
  std::ofstream(data / "api" / "omsctl.token") << kAlice << "\n";
  const auto run = [&](const std::string& args) {
    const auto err_file = d.tmp.path() / "omsctl-data.err";
    const std::string cmd = std::string(OMS_OMSCTL) + " --address " + d.address + " --data " +
                            data.string() + " --timeout-ms 10000 " + args + " 2>" + err_file.string();
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  };
  const auto [code, out] = run("health --json");
  REQUIRE(code == 0);
  const auto health = nlohmann::json::parse(out);
  CHECK(health["status"] == "serving");
  CHECK(health["client"] == "alice");
  CHECK(run("health --bogus").first == 2);
  CHECK(run("frobnicate").first == 2);
}

TEST_CASE("gateway: wait_ack_ms returns once the venue answered (accepted, rejected)") {
  Desk d;
  auto s = d.stub();
  // The venue's first answer: the ack (its fills may come with it or right after), a reject.
  for (const auto& [fate, want] :
       {std::pair{oms::testkit::ScriptedVenue::Fate::kFill, std::string("accepted|partially_filled|filled")},
        std::pair{oms::testkit::ScriptedVenue::Fate::kRest, std::string("accepted")},
        std::pair{oms::testkit::ScriptedVenue::Fate::kReject, std::string("rejected")}}) {
    const auto id = id_with(fate);
    auto req = order(id);
    req.set_wait_ack_ms(5000);
    apiv1::CommandReply reply;
    REQUIRE(submit(*s, kAlice, req, reply).ok());
    CHECK(reply.accepted());
    const std::string got = "|" + want + "|";
    CHECK_MESSAGE(got.find("|" + reply.status() + "|") != std::string::npos, id << " " << reply.status());
  }
  // Without the wait the reply comes at commit: the order is on its way.
  const auto id = id_with(oms::testkit::ScriptedVenue::Fate::kRest, 500);
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kAlice, order(id), reply).ok());
  CHECK((reply.status() == "pending_submit" || reply.status() == "submitted"));
}

TEST_CASE("gateway: a kill switch trip the engine accepts is handed on (on_kill_switch, omsd's venue sweep); a refused one is not") {
  Desk d;
  auto s = d.stub();
  apiv1::KillSwitchRequest other;
  other.set_scope("account");
  other.set_account("acct-b");  // not alice's
  {
    grpc::ClientContext ctx;
    prepare(ctx, kAlice);
    apiv1::CommandReply reply;
    CHECK(s->TripKillSwitch(&ctx, other, &reply).error_code() == grpc::StatusCode::PERMISSION_DENIED);
  }
  CHECK(d.tripped().empty());
  apiv1::KillSwitchRequest k;
  k.set_scope("account");
  k.set_account("acct-a");
  k.set_reason("sweep");
  CHECK(command(*s, kAlice, &apiv1::Oms::Stub::TripKillSwitch, k).accepted());
  const auto t = d.tripped();
  REQUIRE(t.size() == 1);
  CHECK(t[0].scope == LimitScope::kAccount);
  CHECK(t[0].account == AccountId(0));
  CHECK(t[0].state == KillSwitchState::kHalted);
  CHECK(t[0].reason.view() == "sweep");
  // A reset is no trip.
  CHECK(command(*s, kAlice, &apiv1::Oms::Stub::ResetKillSwitch, k).accepted());
  CHECK(d.tripped().size() == 1);
}

TEST_CASE("gateway: SubmitBatch answers each order in the request's order; 7 orders leave as venue batches of 5 and 2; a venue rejection rejects that order only") {
  using Fate = oms::testkit::ScriptedVenue::Fate;
  Desk d;
  auto s = d.stub();
  apiv1::SubmitBatchRequest r;
  r.set_account("acct-a");
  std::vector<std::string> ids;
  for (int i = 0, from = 0; i < 7; ++i) {
    const auto id = id_with(i == 4 ? Fate::kReject : Fate::kRest, from);
    from = std::stoi(id.substr(2)) + 1;
    ids.push_back(id);
    auto o = order(id);
    o.clear_account();
    o.set_quantity("0.01");
    *r.add_orders() = o;
  }
  r.set_wait_ack_ms(5000);
  grpc::ClientContext ctx;
  prepare(ctx, kAlice);
  apiv1::BatchReply reply;
  const auto st = s->SubmitBatch(&ctx, r, &reply);
  REQUIRE_MESSAGE(st.ok(), st.error_message());
  CHECK(reply.commands() == 2);
  CHECK(reply.accepted() == 7);
  REQUIRE(reply.orders_size() == 7);
  for (int i = 0; i < 7; ++i) {
    const auto& e = reply.orders(i);
    INFO("entry " << i << ": " << e.message());
    CHECK(e.client_order_id() == ids[static_cast<std::size_t>(i)]);
    CHECK(e.account() == "acct-a");
    CHECK(e.accepted());
    CHECK(e.command_id() == reply.orders(i < 5 ? 0 : 5).command_id());
    CHECK(e.status() == (i == 4 ? "rejected" : "accepted"));
  }
  CHECK(reply.orders(0).command_id() != reply.orders(5).command_id());
  const auto batches = d.venue_a->batches();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0] == std::vector<std::string>(ids.begin(), ids.begin() + 5));
  CHECK(batches[1] == std::vector<std::string>(ids.begin() + 5, ids.end()));
  (void)wait_status(*s, ids[4], "rejected");
  (void)wait_status(*s, ids[6], "accepted");

  // Bad input refuses the call, naming the entry; nothing is sent.
  r.mutable_orders(2)->set_price("abc");
  grpc::ClientContext bad_ctx;
  prepare(bad_ctx, kAlice);
  apiv1::BatchReply bad;
  const auto refused = s->SubmitBatch(&bad_ctx, r, &bad);
  CHECK(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(refused.error_message() == "orders[2].price: 'abc' is not a decimal number");
  CHECK(d.venue_a->batches().size() == 2);
}

TEST_CASE("omsctl: batch --order ... and --file (JSON lines, - for stdin) print each order's answer; a bad line names the file and line") {
  using Fate = oms::testkit::ScriptedVenue::Fate;
  Desk d;
  const auto a = id_with(Fate::kRest);
  const auto b = id_with(Fate::kRest, std::stoi(a.substr(2)) + 1);
  const auto out = omsctl(d, kAlice, "--json batch --account acct-a --order 'side=buy,instrument=BTC/USDT,price=100,qty=0.01,id=" + a +
                                         "' --order 'side=sell,instrument=BTC/USDT,price=105,quantity=0.02,client_order_id=" + b + "'");
  REQUIRE_MESSAGE(out.exit_code == 0, out.err);
  const auto reply = nlohmann::json::parse(out.out);
  REQUIRE(reply["orders"].size() == 2);
  CHECK(reply["orders"][0]["client_order_id"] == a);
  CHECK(reply["orders"][1]["client_order_id"] == b);
  CHECK(reply["orders"][1]["accepted"] == true);
  CHECK(reply["accepted"] == 2);
  REQUIRE(d.venue_a->batches().size() == 1);
  CHECK(d.venue_a->batches()[0] == std::vector<std::string>{a, b});

  const auto file = d.tmp.path() / "orders.jsonl";
  const auto c = id_with(Fate::kRest, std::stoi(b.substr(2)) + 1);
  std::ofstream(file) << R"({"instrument":"ETH/USDT","side":"buy","price":"10","quantity":"0.5","client_order_id":")" << c << "\"}\n\n"
                      << R"({"instrument":"ETH/USDT","side":"buy","price":"10","quantity":"900000000","client_order_id":"TOO-BIG"})" << "\n";
  const auto from_file = omsctl(d, kAlice, "batch --account acct-a --file " + file.string());
  CHECK(from_file.exit_code == 3);  // one refused (the account cannot pay for it)
  CHECK(from_file.out.find(c) != std::string::npos);
  CHECK(from_file.out.find("TOO-BIG") != std::string::npos);
  CHECK(from_file.err == "omsctl: refused: 1 of 2 orders\n");

  const auto stdin_file = d.tmp.path() / "bad.jsonl";
  std::ofstream(stdin_file) << R"({"instrument":"ETH/USDT","side":"buy","price":"10","quantity":"1"})" << "\n"
                            << R"({"instrument":"ETH/USDT","price":10})" << "\n";
  const auto bad = omsctl(d, kAlice, "batch --account acct-a --file - < " + stdin_file.string());
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.rfind("omsctl: -:2: ", 0) == 0);
  const auto neither = omsctl(d, kAlice, "batch --account acct-a");
  CHECK(neither.exit_code == 2);
  CHECK(neither.err.rfind("omsctl: batch: give --file FILE or --order ... (one of them)\n", 0) == 0);
}

TEST_CASE("omsctl: algo submit, list, show, pause, resume and cancel through the gateway; errors name the field") {
  Desk d;
  const std::string submit = "algo submit --account acct-a --strategy recovery --instrument BTC/USDT --side buy "
                             "--qty 1 --price 100 --slices 4 --duration-s 3600 --algo-id 77 --kind ";
  const auto bad = omsctl(d, kOps, submit + "tvap");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err == "omsctl: INVALID_ARGUMENT: kind: 'tvap' is not one of twap | vwap\n");
  const auto no_end = omsctl(d, kOps, "algo submit --account acct-a --kind twap --slices 2");
  CHECK(no_end.exit_code == 2);
  const auto sub = omsctl(d, kOps, "--json " + submit + "twap");
  REQUIRE_MESSAGE(sub.exit_code == 0, sub.err);
  CHECK(nlohmann::json::parse(sub.out)["accepted"] == true);
  // Its first slice went at the start (now): one child, at the limit (no book here).
  const auto list = omsctl(d, kOps, "--json algo list --account acct-a");
  REQUIRE_MESSAGE(list.exit_code == 0, list.err);
  const auto algos = nlohmann::json::parse(list.out)["algos"];
  REQUIRE(algos.size() == 1);
  CHECK(algos[0]["algo"] == "77");
  CHECK(algos[0]["kind"] == "twap");
  CHECK(algos[0]["state"] == "running");
  CHECK(algos[0]["quantity"] == "1");
  CHECK(algos[0]["limit_price"] == "100");
  CHECK(algos[0]["slices"] == 4);
  CHECK(algos[0]["slices_sent"] == 1);
  CHECK(algos[0]["children"] == 1);
  CHECK(algos[0]["sent"] == "0.25");  // the slice's own quarter (its child may have ended by now)
  const auto pause = omsctl(d, kOps, "--json algo pause 77 --account acct-a");
  REQUIRE_MESSAGE(pause.exit_code == 0, pause.err);
  const auto shown = omsctl(d, kOps, "--json algo show 77");
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  CHECK(nlohmann::json::parse(shown.out)["state"] == "paused");
  CHECK(omsctl(d, kOps, "algo resume 77 --account acct-a").exit_code == 0);
  CHECK(omsctl(d, kOps, "algo cancel 77 --account acct-a").exit_code == 0);
  CHECK(nlohmann::json::parse(omsctl(d, kOps, "--json algo show 77").out)["state"] == "canceled");
  // Refused: the daemon's reply is printed, exit 3.
  const auto again = omsctl(d, kOps, "--json algo resume 77 --account acct-a");
  CHECK(again.exit_code == 3);
  CHECK(nlohmann::json::parse(again.out)["accepted"] == false);
  const auto table = omsctl(d, kOps, "algo list");
  CHECK(table.exit_code == 0);
  CHECK(table.out.rfind("algo", 0) == 0);
}

TEST_CASE("gateway: dashboard() is the client's lists as omsctl --json prints them, open orders only; no token or a wrong one is refused") {
  Desk d;
  auto s = d.stub();
  const auto resting = id_with(oms::testkit::ScriptedVenue::Fate::kRest);
  const auto filled = id_with(oms::testkit::ScriptedVenue::Fate::kFill, 1000);
  const auto other = id_with(oms::testkit::ScriptedVenue::Fate::kRest, 2000);
  apiv1::CommandReply reply;
  REQUIRE(submit(*s, kOps, order(resting), reply).ok());
  REQUIRE(submit(*s, kOps, order(filled), reply).ok());
  REQUIRE(submit(*s, kOps, order(other, "acct-b"), reply).ok());
  (void)wait_status(*s, resting, "accepted");
  (void)wait_status(*s, filled, "filled");

  const auto none = d.gateway->dashboard("");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().status == actors::ApiStatus::kUnauthenticated);
  CHECK(none.error().message == "missing authorization metadata");
  const auto wrong = d.gateway->dashboard("Bearer " + std::string(32, 'f'));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().message == "authorization: unknown token");
  // An address that keeps sending bad tokens is throttled as the RPCs' callers are: past its
  // burst, refused for the rate (naming the address); another address is still answered.
  int throttled = 0;
  for (std::uint32_t i = 0; i < actors::GatewayCore::kUnauthenticatedBurst + 5; ++i) {
    const auto r = d.gateway->dashboard("Bearer " + std::string(32, 'e'), nullptr, "10.9.8.7");
    REQUIRE_FALSE(r.ok());
    if (r.error().status == actors::ApiStatus::kResourceExhausted) {
      ++throttled;
      CHECK(r.error().message == "too many unauthenticated calls from 10.9.8.7; try again later");
    }
  }
  CHECK(throttled >= 4);
  const auto elsewhere = d.gateway->dashboard("Bearer " + std::string(32, 'e'), nullptr, "10.9.8.6");
  REQUIRE_FALSE(elsewhere.ok());
  CHECK(elsewhere.error().status == actors::ApiStatus::kUnauthenticated);
  // A good token from the throttled address is served (the bucket holds only refusals).
  CHECK(d.gateway->dashboard("Bearer " + kOps, nullptr, "10.9.8.7").ok());

  // alice sees acct-a only: its open order, not the filled one, not acct-b's -- and not the
  // unified PnL chart, which covers every account; ops ("*") sees every account.
  bool sees_all = true;
  const auto dash = d.gateway->dashboard("Bearer " + kAlice, &sees_all);
  REQUIRE(dash.ok());
  CHECK_FALSE(sees_all);
  REQUIRE(d.gateway->dashboard("Bearer " + kOps, &sees_all).ok());
  CHECK(sees_all);
  const auto j = nlohmann::json::parse(*dash);
  CHECK(j.at("client") == "alice");
  const auto json_of = [&](const std::string& args) {
    const auto r = omsctl(d, kAlice, "--json " + args);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return nlohmann::json::parse(r.out);
  };
  CHECK(j.at("positions") == json_of("positions"));
  CHECK(j.at("unified") == json_of("positions --unified"));
  CHECK(j.at("balances") == json_of("balances"));
  CHECK(j.at("strategies") == json_of("strategy list"));
  const auto orders = json_of("orders");
  CHECK(orders.at("orders").size() == 2);
  REQUIRE(j.at("orders").at("orders").size() == 1);
  CHECK(j.at("orders").at("orders")[0] == [&] {
    for (const auto& o : orders.at("orders"))
      if (o.at("client_order_id") == resting) return o;
    return nlohmann::json();
  }());
  CHECK(j.at("positions").at("positions").size() == 1);
  CHECK(j.at("positions").at("positions")[0].at("account") == "acct-a");
  CHECK(j.dump().find("acct-b") == std::string::npos);
}
