// RecordMac: the MAC every stored event carries (HMAC-SHA256 over subject NUL json-without-its-
// closing-brace "}"), checked against a value computed outside OpenSSL (Python's hmac module),
// from several threads at once (one keyed context, a copy per MAC).
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "oms/persistence/record_integrity.hpp"

namespace {

using oms::persistence::RecordMac;

std::string key_0_to_31() {
  std::string k;
  for (int i = 0; i < 32; ++i) k += static_cast<char>(i);
  return k;
}

// python3: hmac.new(bytes(range(32)), b'acct.binance.a.orders.BTCUSDT\x00{"x":1}', sha256)
constexpr const char* kSubject = "acct.binance.a.orders.BTCUSDT";
constexpr const char* kExpected = "c0ba165ef60a9bd6c70807ab2890a31b75659d33efcdcd637af5285ac72ae989";

}  // namespace

TEST_CASE("record MAC: HMAC-SHA256 over subject NUL head '}', as the last field") {
  const RecordMac mac(key_0_to_31(), {});
  const std::string signed_json = mac.sign(kSubject, R"({"x":1})");
  CHECK(signed_json == std::string(R"({"x":1,"mac":")") + kExpected + "\"}");
  CHECK_FALSE(mac.verify("S", 1, kSubject, signed_json).has_value());
  // Another subject, another byte: refused.
  CHECK(mac.verify("S", 1, "acct.binance.a.orders.ETHUSDT", signed_json).has_value());
  std::string changed = signed_json;
  changed[5] = '2';
  CHECK(mac.verify("S", 1, kSubject, changed).has_value());
  // Signing again gives the same MAC (the keyed context is not consumed by a MAC).
  CHECK(mac.sign(kSubject, R"({"x":1})") == signed_json);
}

TEST_CASE("record MAC: one RecordMac signs from many threads at once") {
  const RecordMac mac(key_0_to_31(), {});
  const std::string want = mac.sign(kSubject, R"({"x":1})");
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (mac.sign(kSubject, R"({"x":1})") != want) ++wrong[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) CHECK(w == 0);
}
