// Issue 13, "one stray record bricks an account": a plain NATS client publishes into an
// account's stream; at the next start omsd refuses that account only -- one error naming the
// stream, sequence and reason, /health down for it with the reason, its orders refused (3140),
// no restart loop -- while the other accounts trade; `omsctl records show|quarantine` shows the
// record and quarantines it, the account rebuilds and trades, and every later start passes the
// record over. A forged copy of a real event (valid shape, wrong MAC) is refused the same way.
#include <doctest/doctest.h>

#include <nats/nats.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "oms/persistence/nats_auth.hpp"
#include "oms/persistence/record_integrity.hpp"
#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

const std::string kStream = "ACCOUNT_binance_binance_main";
const std::string kSubject = "orders.binance.binance_main.spot.BTCUSDT";

// A plain nats.c connection to the stack's server: with omsd's user (read from its
// credentials file) or without one; TLS with the stack's CA.
natsStatus plain_connect(Stack& s, bool with_user, natsConnection** nc) {
  natsOptions* o = nullptr;
  natsStatus st = natsOptions_Create(&o);
  if (st == NATS_OK) st = natsOptions_SetURL(o, s.nats().url().c_str());
  if (st == NATS_OK) st = natsOptions_SetTimeout(o, 3000);
  if (st == NATS_OK) st = natsOptions_SetMaxReconnect(o, 0);
  if (st == NATS_OK && with_user) {
    auto auth = persistence::load_nats_auth(s.nats_auth_file());
    REQUIRE(auth.ok());
    st = natsOptions_SetUserInfo(o, auth->user.c_str(), auth->password.c_str());
  }
  if (st == NATS_OK) st = natsOptions_SetSecure(o, true);
  if (st == NATS_OK) st = natsOptions_LoadCATrustedCertificates(o, (s.data() / "tls" / "ca.pem").c_str());
  if (st == NATS_OK) st = natsConnection_Connect(nc, o);
  natsOptions_Destroy(o);
  return st;
}

// Publishes a payload the way any NATS client can (core publish with a reply inbox, which
// JetStream answers with its ack); the stream sequence it got.
std::uint64_t publish(natsConnection* nc, const std::string& subject, const std::string& payload) {
  natsMsg* reply = nullptr;
  REQUIRE(natsConnection_Request(&reply, nc, subject.c_str(), payload.data(), static_cast<int>(payload.size()),
                                 5000) == NATS_OK);
  const auto ack = nlohmann::json::parse(std::string(natsMsg_GetData(reply),
                                                     static_cast<std::size_t>(natsMsg_GetDataLength(reply))));
  natsMsg_Destroy(reply);
  INFO(ack.dump());
  REQUIRE(ack.at("stream") == kStream);
  return ack.at("seq").get<std::uint64_t>();
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

nlohmann::json account_health(const Stack& s) {
  return nlohmann::json::parse(s.http_get("/health/binance/binance_main").second);
}

// A limit buy far under the market on an account: accepted when the account trades.
nlohmann::json resting_buy(const Stack& s, const std::string& account, const std::string& id, const Decimal& mid) {
  const Decimal below = tick(mid.raw() - mid.raw() / 200);  // 0.5 % under the mid (inside the 1 % band)
  return omsctl_json(s, {"submit", "--account", account, "--instrument", "BTC/USDT", "--side", "buy", "--qty",
                         "0.001", "--type", "limit", "--price", below.to_string(), "--id", id});
}

// Restarted over the stray record: the account refused with one error, /health down, its
// orders refused; the other accounts trade.
void check_refused(Stack& s, VenueView& venue, std::uint64_t seq, const std::string& reason, const std::string& tag) {
  s.start_omsd();
  const std::string named = "account binance_main refused: " + kStream + " seq " + std::to_string(seq) + ": " + reason;
  nlohmann::json h;
  REQUIRE_MESSAGE(wait_until([&] {
    h = account_health(s);
    return h.value("status", "") == "down" && h.at("refused").is_string();
  }, 15s), h.dump());
  CHECK_MESSAGE(h.at("refused").get<std::string>().find(named) != std::string::npos, h.dump());
  bool listed = false;
  for (const auto& r : h.at("reasons")) listed = listed || r.get<std::string>().find(named) != std::string::npos;
  CHECK(listed);
  const auto refused = resting_buy(s, "binance_main", "REFUSED-" + tag, wait_mid(venue));
  CHECK(refused.at("accepted") == false);
  CHECK(refused.at("code") == 3140);
  CHECK_MESSAGE(refused.at("message").get<std::string>().find(named) != std::string::npos, refused.dump());
  // The others trade.
  const auto other = resting_buy(s, "binance_spot_arb", "OTHER-" + tag, wait_mid(venue));
  CHECK_MESSAGE(other.at("accepted") == true, other.dump());
  // One error, no restart loop: after a while the log holds it once.
  std::this_thread::sleep_for(2s);
  CHECK(s.omsd_running());
  CHECK_EQ(count(read_text(s.data() / "log" / "omsd.log"), named), 1);
}

}  // namespace

TEST_CASE("stray record: a plain NATS client's 2-byte publish into an account stream refuses that account only -- one error naming stream, sequence and reason, /health down, orders refused, the others trading; omsctl quarantines it and the account rebuilds and trades, at every later start") {
  Stack s;
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const auto before = submit(s, "STRAY-1", "buy", "0.002", "", "market");
  REQUIRE_MESSAGE(before.at("accepted") == true, before.dump());
  wait_orders(s, [](const nlohmann::json& o) { return status_of(o, "STRAY-1") == "filled"; });
  // omsd made its MAC key beside its other secrets, owner-only.
  const auto key = s.data() / "store-mac.key";
  REQUIRE(std::filesystem::exists(key));
  CHECK((std::filesystem::status(key).permissions() & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);

  // A client without credentials is refused by nats-server; one with omsd's gets in.
  natsConnection* anonymous = nullptr;
  CHECK(plain_connect(s, false, &anonymous) != NATS_OK);
  natsConnection_Destroy(anonymous);
  natsConnection* nc = nullptr;
  REQUIRE(plain_connect(s, true, &nc) == NATS_OK);
  const auto seq = publish(nc, kSubject, "hi");
  natsConnection_Destroy(nc);
  CHECK(s.stop_omsd() == 0);

  check_refused(s, venue, seq, "does not decode as an event", "1");

  // The operator looks at it, then quarantines it (a valid event cannot be).
  const auto shown = omsctl_json(s, {"records", "show", "--stream", kStream, "--seq", std::to_string(seq)});
  CHECK(shown.at("payload") == "hi");
  CHECK(shown.at("subject") == kSubject);
  CHECK(shown.at("problem").get<std::string>().find("does not decode") != std::string::npos);
  CHECK(shown.value("quarantined", false) == false);
  const auto valid = s.omsctl({"records", "quarantine", "--stream", kStream, "--seq", "1"});
  CHECK(valid.code != 0);
  CHECK_MESSAGE(valid.err.find("is a valid event of the account") != std::string::npos, valid.err);
  const auto q = omsctl_json(s, {"records", "quarantine", "--stream", kStream, "--seq", std::to_string(seq),
                                 "--reason", "a test client's publish"});
  CHECK_MESSAGE(q.at("message") == "quarantined; the account rebuilt and trades", q.dump());
  CHECK(q.at("quarantined") == true);
  CHECK(q.at("account_status") == "ok");
  nlohmann::json h;
  REQUIRE_MESSAGE(wait_until([&] {
    h = account_health(s);
    return h.at("refused").is_null() && h.value("status", "") != "down";
  }, 15s), h.dump());
  // Rebuilt from its events: the earlier fill is there, and it trades.
  auto orders = omsctl_json(s, {"orders", "--account", "binance_main"}).at("orders");
  CHECK(status_of(orders, "STRAY-1") == "filled");
  const auto after = resting_buy(s, "binance_main", "STRAY-2", wait_mid(venue));
  CHECK_MESSAGE(after.at("accepted") == true, after.dump());
  wait_orders(s, [](const nlohmann::json& o) { return status_of(o, "STRAY-2") == "accepted"; });

  // Every later start passes it over.
  CHECK(s.stop_omsd() == 0);
  s.start_omsd();
  CHECK(account_health(s).at("refused").is_null());
  orders = omsctl_json(s, {"orders", "--account", "binance_main"}).at("orders");
  CHECK(status_of(orders, "STRAY-1") == "filled");
  CHECK(status_of(orders, "STRAY-2") == "accepted");
  const auto shown_again = omsctl_json(s, {"records", "show", "--stream", kStream, "--seq", std::to_string(seq)});
  CHECK(shown_again.at("quarantined") == true);

  // A forged copy of a real event: valid shape, a MAC that does not match.
  auto store = persistence::JetStreamStore::open(
      persistence::StreamLayout({{ExchangeId::kBinance, "binance_main"}}, {}), s.nats_options("test-reader"));
  REQUIRE(store.ok());
  std::string real, real_subject;
  REQUIRE((*store)->read(persistence::ReadRequest{kStream, 1, 1, {}}, [&](const persistence::StoredRecord& r) {
    real = r.payload;
    real_subject = r.subject;
    return true;
  }).ok());
  REQUIRE(real.size() > persistence::RecordMac::kSuffixSize);
  std::string forged = real;
  forged.replace(forged.size() - 2 - persistence::RecordMac::kMacHex, persistence::RecordMac::kMacHex,
                 std::string(persistence::RecordMac::kMacHex, 'a'));
  store->reset();
  REQUIRE(plain_connect(s, true, &nc) == NATS_OK);
  const auto forged_seq = publish(nc, real_subject, forged);
  natsConnection_Destroy(nc);
  CHECK(s.stop_omsd() == 0);
  check_refused(s, venue, forged_seq, "MAC does not match", "2");
  const auto q2 = omsctl_json(s, {"records", "quarantine", "--stream", kStream, "--seq", std::to_string(forged_seq)});
  CHECK_MESSAGE(q2.at("account_status") == "ok", q2.dump());
  orders = omsctl_json(s, {"orders", "--account", "binance_main"}).at("orders");
  CHECK(status_of(orders, "STRAY-2") == "accepted");
}
