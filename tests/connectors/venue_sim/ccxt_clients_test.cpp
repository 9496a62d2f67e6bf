// A standard client library trades against venue-sim as against the real venues: ccxt's own
// binance, bybit, okx and upbit classes (npm; deploy/setup installs them), default options, only
// their API addresses pointed at the venue-sim binary over loopback TLS. Each loads markets
// (a default binance client asks /sapi margin pairs and coins and /dapi's exchangeInfo; bybit
// and okx their currencies and bybit its key's information), reads the book and the balance,
// places, fetches, lists and cancels a resting limit buy, sells at market and finds the sell's
// fills (tests/connectors/venue_sim/ccxt_client.cjs prints one line per step).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "testkit/child_process.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

using namespace oms;

namespace {

struct Venue {
  testkit::TempDir tmp{"oms-venue-sim-ccxt"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  std::unique_ptr<testkit::ChildProcess> sim;
  nlohmann::json keys;
  std::string base;

  Venue() {
    const auto file = tmp.path() / "paper-keys.json";
    sim = std::make_unique<testkit::ChildProcess>(
        std::vector<std::string>{VENUE_SIM_BIN, "--listen", "127.0.0.1:0", "--cert", certs.cert.string(), "--key",
                                 certs.key.string(), "--paper-keys", file.string(), "--account", "cc-binance:spot",
                                 "--account", "cc-bybit:bybit", "--account", "cc-okx:okx", "--account", "cc-upbit:upbit",
                                 "--random-walk", "11", "--walk-interval-ms", "500"},
        tmp.path() / "venue-sim.log");
    const std::string first = sim->wait_for_line("listening 127.0.0.1:");
    base = "https://127.0.0.1:" + first.substr(first.rfind(':') + 1);
    std::ifstream in(file);
    keys = nlohmann::json::parse(in);
  }

  // Runs the client for the venue; its output (one line per step).
  std::string client(const std::string& venue, const std::string& entry) {
    REQUIRE_MESSAGE(std::filesystem::exists(OMS_NODE_BIN), "node not found at configure time (" OMS_NODE_BIN ")");
    REQUIRE_MESSAGE(std::filesystem::exists(OMS_CCXT_NODE_PATH "/ccxt/package.json"),
                    "ccxt is not installed at " OMS_CCXT_NODE_PATH " (deploy/setup installs it)");
    const auto& k = keys.at(entry);
    std::vector<std::string> argv{OMS_NODE_BIN, OMS_CCXT_CLIENT, venue, base, k.at("api_key"), k.at("api_secret")};
    if (k.contains("passphrase")) argv.push_back(k.at("passphrase"));
    testkit::ChildProcess node(argv, tmp.path() / (venue + "-client.stderr"),
                               {std::string("NODE_PATH=") + OMS_CCXT_NODE_PATH,
                                "NODE_EXTRA_CA_CERTS=" + certs.ca.string()});
    std::string out = node.rest(std::chrono::seconds(90));
    const int code = node.wait(std::chrono::seconds(10));
    out += "exit " + std::to_string(code) + "\n";
    if (code != 0) out += "client stderr: " + node.stderr_tail() + "\n";
    return out;
  }
};

// Every step the client reports, and that none failed.
void check_steps(const std::string& out, const std::string& venue, const std::vector<std::string>& steps) {
  INFO(out);
  CHECK(out.find("\nfail ") == std::string::npos);
  CHECK(out.rfind("fail ", 0) == std::string::npos);
  for (const auto& s : steps) CHECK_MESSAGE(out.find("ok " + s + " ") != std::string::npos, s);
  CHECK(out.find("done " + venue + "\n") != std::string::npos);
  CHECK(out.find("exit 0\n") != std::string::npos);
}

}  // namespace

TEST_CASE("ccxt's binance, bybit, okx and upbit classes (default options) trade against venue-sim") {
  Venue v;
  struct Client {
    const char* venue;
    const char* entry;   // the paper-keys entry
    const char* trades;  // how the sell's fills are found (ccxt has no fetchMyTrades for Upbit)
  };
  for (const Client& c : {Client{"binance", "cc-binance", "fetchMyTrades"}, Client{"bybit", "cc-bybit", "fetchMyTrades"},
                          Client{"okx", "cc-okx", "fetchMyTrades"}, Client{"upbit", "cc-upbit", "fetchOrder market"}}) {
    INFO("venue " << c.venue);
    check_steps(v.client(c.venue, c.entry), c.venue,
                {"loadMarkets", "fetchOrderBook", "fetchBalance", "createOrder", "fetchOrder", "fetchOpenOrders",
                 "cancelOrder", "createOrder market", c.trades});
  }
}
