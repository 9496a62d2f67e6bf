// The venue-sim binary with an Upbit paper account: the paper-keys entry says "exchange":"upbit"
// (api_key = the access key, api_secret = the secret key), its keys sign a /v1 request the server
// routes to the Upbit front, the random walk fills the KRW books, Binance paths still reach the
// Binance front, --help names what Upbit serves, SIGTERM exits 0.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "oms/connectors/net/https_client.hpp"
#include "testkit/child_process.hpp"
#include "upbit_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim::upbit_test;

TEST_CASE("venue-sim binary: --account NAME:upbit writes an upbit paper key that signs /v1 requests; walk-filled KRW books") {
  testkit::TempDir tmp{"oms-venue-sim-upbit-bin"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  const auto keys = (tmp.path() / "paper-keys.json").string();
  testkit::ChildProcess c({VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert", certs.cert.string(), "--key", certs.key.string(),
                           "--paper-keys", keys, "--account", "desk:upbit", "--random-walk", "5", "--walk-interval-ms", "5"},
                          tmp.path() / "venue-sim.log");
  const std::string first = c.wait_for_line("listening 127.0.0.1:");
  const auto port = static_cast<std::uint16_t>(std::stoi(first.substr(20)));

  struct stat st {};
  REQUIRE(::stat(keys.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(keys);
  const auto file = nlohmann::json::parse(in);
  REQUIRE(file.size() == 1);
  CHECK(file["desk"]["exchange"] == "upbit");
  CHECK(file["desk"]["api_key"].get<std::string>().size() == 40);
  const Keys k{file["desk"]["api_key"], file["desk"]["api_secret"]};

  net::HttpsClient client({"127.0.0.1", port}, net::TlsClientConfig{certs.ca.string()});
  net::HttpRequest acc;
  acc.method = "GET";
  acc.target = "/v1/accounts";
  acc.headers = {{"Authorization", "Bearer " + jwt(k, "bin-nonce-1", "")}};
  auto r = client.request(acc);
  REQUIRE(r.ok());
  INFO(r->body);
  CHECK(r->status == 200);
  bool krw = false;
  for (const auto& row : nlohmann::json::parse(r->body)) {
    if (row.at("currency") == "KRW") krw = row.at("balance") == "500000000";
  }
  CHECK(krw);
  acc.headers = {{"Authorization", "Bearer " + jwt(Keys{k.access, "not-it"}, "bin-nonce-2", "")}};
  auto refused = client.request(acc);
  REQUIRE(refused.ok());
  CHECK(refused->status == 401);
  CHECK(nlohmann::json::parse(refused->body)["error"]["name"] == "jwt_verification");

  net::HttpRequest book;
  book.method = "GET";
  book.target = "/v1/orderbook?markets=KRW-BTC,KRW-ETH,KRW-USDT&count=5";
  CHECK(wait_for([&] {
    auto b = client.request(book);
    if (!b.ok() || b->status != 200) return false;
    const auto j = nlohmann::json::parse(b->body, nullptr, false);
    if (j.is_discarded() || j.size() != 3) return false;
    for (const auto& m : j) {
      const auto& units = m.at("orderbook_units");
      if (units.size() != 5 || dj(units[4].at("bid_price")).is_zero()) return false;
    }
    return true;
  }));
  net::HttpRequest time;
  time.method = "GET";
  time.target = "/api/v3/time";
  auto t = client.request(time);
  REQUIRE(t.ok());
  CHECK(nlohmann::json::parse(t->body).contains("serverTime"));
  CHECK(c.stop() == 0);
}

TEST_CASE("venue-sim --help says what Upbit serves; bad Upbit flags are named") {
  const auto r = testkit::run_process({VENUE_SIM_BIN, "--help"}, std::chrono::seconds(10));
  CHECK(r.code == 0);
  for (const char* s : {"--upbit", "--upbit-krw-per-usdt", "--upbit-premium-bps", "\"exchange\":\"upbit\"", "/websocket/v1/private",
                        "invalid_query_payload"})
    CHECK_MESSAGE(r.out.find(s) != std::string::npos, s);
  const auto bad = testkit::run_process({VENUE_SIM_BIN, "--cert", "c", "--key", "k", "--upbit-premium-bps", "x"}, std::chrono::seconds(10));
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--upbit-premium-bps") != std::string::npos);
}
