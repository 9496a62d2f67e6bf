// The venue-sim binary with a Bybit paper account: the paper-keys entry says "exchange":
// "bybit" (no market), its keys sign a /v5 request the server routes to the Bybit front, the
// random walk fills the Bybit books, Binance paths still reach the Binance front, SIGTERM exits 0.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "bybit_fixture.hpp"
#include "oms/connectors/net/https_client.hpp"
#include "testkit/child_process.hpp"

using namespace oms;
using namespace oms::venue_sim::bybit_test;
namespace bb = oms::bybit;

TEST_CASE("venue-sim binary: --account NAME:bybit writes a bybit paper key that signs /v5 requests; walk-filled Bybit books") {
  testkit::TempDir tmp{"oms-venue-sim-bybit-bin"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  const auto keys = (tmp.path() / "paper-keys.json").string();
  testkit::ChildProcess c({VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert", certs.cert.string(), "--key",
                           certs.key.string(), "--paper-keys", keys, "--account", "desk:bybit", "--random-walk", "5",
                           "--walk-interval-ms", "5"},
                          tmp.path() / "venue-sim.log");
  const std::string first = c.wait_for_line("listening 127.0.0.1:");
  const auto port = static_cast<std::uint16_t>(std::stoi(first.substr(20)));

  struct stat st {};
  REQUIRE(::stat(keys.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(keys);
  const auto file = nlohmann::json::parse(in);
  REQUIRE(file.size() == 1);  // only the Bybit account: no Binance defaults were asked for
  CHECK(file["desk"]["exchange"] == "bybit");
  CHECK(!file["desk"].contains("market"));

  net::HttpsClient client({"127.0.0.1", port}, net::TlsClientConfig{certs.ca.string()});
  auto signer = signing::HmacSha256::create(file["desk"]["api_secret"].get<std::string>());
  REQUIRE(signer.ok());
  const std::string key = file["desk"]["api_key"];
  bb::Credentials cr{key, &*signer, 5'000};
  auto http = bb::render(*bb::wallet_balance("USDT"), cr, wall_ms());
  REQUIRE(http.ok());
  auto r = client.request(*http);
  REQUIRE(r.ok());
  const auto wallet = nlohmann::json::parse(r->body);
  INFO(r->body);
  CHECK(wallet["retCode"] == 0);
  CHECK(wallet["result"]["list"][0]["coin"][0]["walletBalance"] == "200000");  // spot + linear USDT

  // The random walk fills the Bybit books (both categories).
  for (const char* cat : {"spot", "linear"}) {
    net::HttpRequest book;
    book.method = "GET";
    book.target = std::string("/v5/market/orderbook?category=") + cat + "&symbol=BTCUSDT&limit=5";
    CHECK(wait_for([&] {
      auto b = client.request(book);
      if (!b.ok()) return false;
      const auto j = nlohmann::json::parse(b->body, nullptr, false);
      return !j.is_discarded() && j["retCode"] == 0 && j["result"]["b"].size() == 5 && j["result"]["a"].size() == 5;
    }));
  }
  // Binance's paths still go to the Binance front.
  net::HttpRequest time;
  time.method = "GET";
  time.target = "/api/v3/time";
  auto t = client.request(time);
  REQUIRE(t.ok());
  CHECK(nlohmann::json::parse(t->body).contains("serverTime"));
  CHECK(c.stop() == 0);
}

TEST_CASE("venue-sim --help says what Bybit serves and which faults apply to it") {
  const auto r = testkit::run_process({VENUE_SIM_BIN, "--help"}, std::chrono::seconds(10));
  CHECK(r.code == 0);
  CHECK(r.out.find("Bybit v5") != std::string::npos);
  CHECK(r.out.find("--bybit") != std::string::npos);
  CHECK(r.out.find("NAME:MARKET  a paper account: spot|usdm (Binance) or bybit") != std::string::npos);
  CHECK(r.out.find("not late_exec") != std::string::npos);
}
