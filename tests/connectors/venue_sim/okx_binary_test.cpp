// The venue-sim binary with an OKX paper account: the paper-keys entry says "exchange":"okx"
// with a passphrase, its keys sign an /api/v5 request the server routes to the OKX front, the
// random walk fills the OKX books, Binance paths still reach the Binance front, SIGTERM exits 0.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "oms/connectors/net/https_client.hpp"
#include "okx_fixture.hpp"
#include "testkit/child_process.hpp"

using namespace oms;
using namespace oms::venue_sim::okx_test;

TEST_CASE("venue-sim binary: --account NAME:okx writes an okx paper key (with a passphrase) that signs /api/v5 requests; walk-filled OKX books") {
  testkit::TempDir tmp{"oms-venue-sim-okx-bin"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  const auto keys = (tmp.path() / "paper-keys.json").string();
  testkit::ChildProcess c({VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert", certs.cert.string(), "--key",
                           certs.key.string(), "--paper-keys", keys, "--account", "desk:okx", "--random-walk", "5",
                           "--walk-interval-ms", "5"},
                          tmp.path() / "venue-sim.log");
  const std::string first = c.wait_for_line("listening 127.0.0.1:");
  const auto port = static_cast<std::uint16_t>(std::stoi(first.substr(20)));

  struct stat st {};
  REQUIRE(::stat(keys.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(keys);
  const auto file = nlohmann::json::parse(in);
  REQUIRE(file.size() == 1);
  CHECK(file["desk"]["exchange"] == "okx");
  CHECK(file["desk"]["passphrase"].get<std::string>().size() == 24);
  const Keys k{file["desk"]["api_key"], file["desk"]["api_secret"], file["desk"]["passphrase"]};

  net::HttpsClient client({"127.0.0.1", port}, net::TlsClientConfig{certs.ca.string()});
  OkxFixture signer;  // only its request signing (its own front is not used)
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto r = client.request(signer.signed_request("GET", "/api/v5/account/balance?ccy=USDT", "", k, now_ms));
  REQUIRE(r.ok());
  INFO(r->body);
  const auto bal = nlohmann::json::parse(r->body);
  CHECK(bal["code"] == "0");
  CHECK(bal["data"][0]["details"][0]["cashBal"] == "200000");  // spot + SWAP USDT
  Keys wrong = k;
  wrong.passphrase = "not-it";
  auto refused = client.request(signer.signed_request("GET", "/api/v5/account/balance", "", wrong, now_ms));
  REQUIRE(refused.ok());
  CHECK(refused->status == 401);
  CHECK(nlohmann::json::parse(refused->body)["code"] == "50105");

  for (const char* inst : {"BTC-USDT", "BTC-USDT-SWAP", "ETH-USDT-SWAP"}) {
    net::HttpRequest book;
    book.method = "GET";
    book.target = std::string("/api/v5/market/books?instId=") + inst + "&sz=5";
    CHECK(wait_for([&] {
      auto b = client.request(book);
      if (!b.ok()) return false;
      const auto j = nlohmann::json::parse(b->body, nullptr, false);
      return !j.is_discarded() && j["code"] == "0" && j["data"][0]["bids"].size() == 5 && j["data"][0]["asks"].size() == 5;
    }));
  }
  net::HttpRequest time;
  time.method = "GET";
  time.target = "/api/v3/time";
  auto t = client.request(time);
  REQUIRE(t.ok());
  CHECK(nlohmann::json::parse(t->body).contains("serverTime"));
  CHECK(c.stop() == 0);
}

TEST_CASE("venue-sim binary: an okx paper-keys entry written beforehand is loaded as it is (keys and passphrase kept)") {
  testkit::TempDir tmp{"oms-venue-sim-okx-keys"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  const auto keys = (tmp.path() / "paper-keys.json").string();
  {
    std::ofstream out(keys);
    out << R"({"desk2": {"api_key": "k-desk2", "api_secret": "s-desk2", "passphrase": "Pass-desk2", "exchange": "okx"}})";
  }
  ::chmod(keys.c_str(), 0600);
  testkit::ChildProcess c({VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert", certs.cert.string(), "--key",
                           certs.key.string(), "--paper-keys", keys, "--okx"},
                          tmp.path() / "venue-sim.log");
  const std::string first = c.wait_for_line("listening 127.0.0.1:");
  const auto port = static_cast<std::uint16_t>(std::stoi(first.substr(20)));
  std::ifstream in(keys);
  const auto file = nlohmann::json::parse(in);
  // --okx found its account in the file (no "okx" one added); no --account was given, so the
  // Binance defaults main and futures are added as in any such run; desk2 is kept as written.
  CHECK(file.size() == 3);
  CHECK(file.contains("main"));
  CHECK(file.contains("futures"));
  CHECK(file["desk2"] == nlohmann::json{{"api_key", "k-desk2"}, {"api_secret", "s-desk2"}, {"passphrase", "Pass-desk2"}, {"exchange", "okx"}});
  net::HttpsClient client({"127.0.0.1", port}, net::TlsClientConfig{certs.ca.string()});
  OkxFixture signer;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto r = client.request(signer.signed_request("GET", "/api/v5/account/config", "", Keys{"k-desk2", "s-desk2", "Pass-desk2"}, now_ms));
  REQUIRE(r.ok());
  INFO(r->body);
  const auto cfg = nlohmann::json::parse(r->body);
  CHECK(cfg["code"] == "0");
  CHECK(cfg["data"][0]["label"] == "desk2");
  CHECK(c.stop() == 0);
}

TEST_CASE("venue-sim --help says what OKX serves") {
  const auto r = testkit::run_process({VENUE_SIM_BIN, "--help"}, std::chrono::seconds(10));
  CHECK(r.code == 0);
  CHECK(r.out.find("OKX v5") != std::string::npos);
  CHECK(r.out.find("--okx-basis-bps") != std::string::npos);
  CHECK(r.out.find("/ws/v5/private") != std::string::npos);
}
