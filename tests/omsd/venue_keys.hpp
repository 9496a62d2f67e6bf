// Bybit and OKX paper accounts at venue-sim read the way a desk checks a venue: through our own
// connectors (REST only) with the account's paper key from the stack's paper-keys.json.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "oms/connectors/bybit/exchange_bybit.hpp"
#include "oms/connectors/okx/exchange_okx.hpp"
#include "stack.hpp"

namespace oms::omsd::test {

inline nlohmann::json paper_key(const Stack& s, const std::string& entry) {
  std::ifstream in(s.data() / "paper-keys.json");
  return nlohmann::json::parse(in).at(entry);
}

inline secrets::SecureBuffer secure(const std::string& text) { return std::move(secrets::SecureBuffer::copy_of(text)).value(); }

// An account's key at venue-sim through our Bybit connector (REST only).
inline std::unique_ptr<bybit::BybitVenue> bybit_key(const Stack& s, const std::string& entry) {
  const auto k = paper_key(s, entry);
  bybit::BybitConfig c;
  c.market = Market::kSpot;
  c.rest = {"127.0.0.1", static_cast<std::uint16_t>(s.venue_port())};
  c.stream = c.rest;
  c.tls.ca_file = (s.data() / "tls" / "ca.pem").string();
  c.private_stream = false;
  bybit::BybitAccountConfig a;
  a.account = AccountId(0);
  a.credentials.api_key = secure(k.at("api_key").get<std::string>());
  a.credentials.api_secret = secure(k.at("api_secret").get<std::string>());
  c.accounts.push_back(std::move(a));
  auto v = std::make_unique<bybit::BybitVenue>(std::move(c));
  REQUIRE(v->start().ok());
  return v;
}

// The same through our OKX connector.
inline std::unique_ptr<okx::OkxVenue> okx_key(const Stack& s, const std::string& entry) {
  const auto k = paper_key(s, entry);
  okx::OkxConfig c;
  c.market = Market::kSpot;
  c.rest = {"127.0.0.1", static_cast<std::uint16_t>(s.venue_port())};
  c.stream = c.rest;
  c.tls.ca_file = (s.data() / "tls" / "ca.pem").string();
  c.private_stream = false;
  okx::OkxAccountConfig a;
  a.account = AccountId(0);
  a.credentials.api_key = secure(k.at("api_key").get<std::string>());
  a.credentials.api_secret = secure(k.at("api_secret").get<std::string>());
  a.credentials.passphrase = secure(k.at("passphrase").get<std::string>());
  c.accounts.push_back(std::move(a));
  auto v = std::make_unique<okx::OkxVenue>(std::move(c));
  REQUIRE(v->start().ok());
  return v;
}

// The free USDT venue-sim holds for the key's account, read through the venue's connector (its
// wallet / balance endpoint).
template <class V>
Decimal connector_usdt(V& v) {
  auto b = v.account(0).balances();
  REQUIRE_MESSAGE(b.ok(), (b.ok() ? std::string() : b.error().message));
  for (const auto& x : *b) {
    if (x.asset.view() == "USDT") return x.free;
  }
  return Decimal{};
}

}  // namespace oms::omsd::test
