#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <map>

#include "oms/messages/codec.hpp"
#include "testkit/printers.hpp"
#include "testkit/random_messages.hpp"

using namespace oms;

namespace {
constexpr int kRoundsPerKind = 2000;

Event accepted_event() {
  Event e;
  e.envelope = {7, 42, 1723161255208000000, 1723161253937085768, 6, 5};
  OrderAccepted a;
  a.account = AccountId(1);
  a.instrument = InstrumentId(0);
  a.client_order_id = "C100000100000000000000001";
  a.venue_order_id = "28457";
  e.payload = a;
  return e;
}
}  // namespace

TEST_CASE("JSON encoding is canonical: fixed field order, names, exact decimals") {
  const auto d = testkit::sample_directory();
  const auto json = encode_json(accepted_event(), d);
  REQUIRE(json.ok());
  CHECK(*json ==
        R"({"type":"OrderAccepted","envelope":{"id":7,"global_seq":42,"event_time":1723161255208000000,)"
        R"("init_time":1723161253937085768,"causation_id":6,"correlation_id":5},"account":"sub_spot_arb",)"
        R"("instrument":"binance:spot:BTC/USDT","client_order_id":"C100000100000000000000001","venue_order_id":"28457"})");

  Event f;
  FillReceived fill;
  fill.account = AccountId(0);
  fill.price = *Decimal::parse("61837.63000000");
  fill.quantity = *Decimal::parse("0.00000001");
  fill.fee = *Decimal::parse("-0.5");
  fill.fee_asset = "BNB";
  fill.trade_id = "3735683259";
  fill.side = Side::kSell;
  fill.liquidity = Liquidity::kMaker;
  f.payload = fill;
  const auto fj = encode_json(f, d);
  REQUIRE(fj.ok());
  CHECK(fj->find(R"("account":"main","strategy":null,"instrument":null)") != std::string::npos);
  CHECK(fj->find(R"("side":"sell","price":"61837.63","quantity":"0.00000001","fee":"-0.5","fee_asset":"BNB","liquidity":"maker"})") != std::string::npos);
}

TEST_CASE("property: random events of every kind survive both codecs exactly") {
  const auto dir = testkit::sample_directory();
  testkit::RandomMessages gen(1234, dir);
  std::array<std::byte, kMaxBinarySize> buf{};
  for (std::size_t kind = 0; kind < std::variant_size_v<EventPayload>; ++kind) {
    for (int round = 0; round < kRoundsPerKind; ++round) {
      const Event e = gen.event(kind);
      const auto json = encode_json(e, dir);
      REQUIRE_MESSAGE(json.ok(), json.error().message);
      const auto back = decode_event_json(*json, dir);
      REQUIRE_MESSAGE(back.ok(), back.error().message, " in ", *json);
      REQUIRE_MESSAGE(*back == e, *json);
      REQUIRE(*encode_json(*back, dir) == *json);  // canonical: one text per value

      const auto n = encode_binary(e, buf);
      REQUIRE(n.ok());
      REQUIRE(*n == binary_size(e));
      const auto bin = decode_event_binary(std::span<const std::byte>(buf.data(), *n));
      REQUIRE(bin.ok());
      REQUIRE(*bin == e);
      Event slot = gen.event();  // in-place decoding overwrites whatever the slot held
      REQUIRE_FALSE(decode_binary(std::span<const std::byte>(buf.data(), *n), slot).has_value());
      REQUIRE(slot == e);
    }
  }
}

TEST_CASE("property: random commands of every kind survive both codecs exactly") {
  const auto dir = testkit::sample_directory();
  testkit::RandomMessages gen(99, dir);
  std::array<std::byte, kMaxBinarySize> buf{};
  for (std::size_t kind = 0; kind < std::variant_size_v<CommandPayload>; ++kind) {
    for (int round = 0; round < kRoundsPerKind; ++round) {
      const Command c = gen.command(kind);
      const auto json = encode_json(c, dir);
      REQUIRE_MESSAGE(json.ok(), json.error().message);
      const auto back = decode_command_json(*json, dir);
      REQUIRE_MESSAGE(back.ok(), back.error().message, " in ", *json);
      REQUIRE_MESSAGE(*back == c, *json);
      const auto n = encode_binary(c, buf);
      REQUIRE(n.ok());
      const auto bin = decode_command_binary(std::span<const std::byte>(buf.data(), *n));
      REQUIRE(bin.ok());
      REQUIRE(*bin == c);
    }
  }
}

TEST_CASE("binary sizes are fixed per kind and small for order events") {
  const auto dir = testkit::sample_directory();
  testkit::RandomMessages gen(5, dir);
  std::map<std::size_t, std::size_t> size_of_kind;
  for (int i = 0; i < 2000; ++i) {
    const Event e = gen.event();
    const auto [it, fresh] = size_of_kind.emplace(e.payload.index(), binary_size(e));
    CHECK(it->second == binary_size(e));
  }
  Event accepted = accepted_event();
  CHECK(binary_size(accepted) == 4 + 48 + 2 + 4 + 37 + 48);
}

TEST_CASE("JSON decoding errors name the message and the field") {
  const auto d = testkit::sample_directory();
  const std::string good = *encode_json(accepted_event(), d);
  auto err = [&](const std::string& text) {
    const auto r = decode_event_json(text, d);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  auto replace = [&](std::string from, std::string to) {
    std::string s = good;
    const auto p = s.find(from);
    REQUIRE(p != std::string::npos);
    s.replace(p, from.size(), to);
    return s;
  };
  CHECK(err("{") == "event: malformed JSON");
  CHECK(err("[]") == "event: expected a JSON object");
  CHECK(err(R"({"envelope":{}})") == "event: missing string field 'type'");
  CHECK(err(replace("OrderAccepted", "OrderAccepted2")) == "event: unknown type 'OrderAccepted2'");
  CHECK(err(replace(R"("account":"sub_spot_arb")", R"("account":"nobody")")) ==
        "OrderAccepted.account: unknown account 'nobody'");
  CHECK(err(replace(R"("account":"sub_spot_arb",)", "")) == "OrderAccepted.account: missing");
  CHECK(err(replace(R"("venue_order_id":"28457")", R"("venue_order_id":28457)")) ==
        "OrderAccepted.venue_order_id: expected a string");
  CHECK(err(replace(R"("venue_order_id":"28457")", R"("venue_order_id":"28457","extra":1)")) ==
        "OrderAccepted: unknown field 'extra'");
  CHECK(err(replace(R"("venue_order_id":"28457")", R"("venue_order_id":"28457","account":"main")")) ==
        "OrderAccepted: duplicate field 'account'");
  CHECK(err(replace(R"("global_seq":42)", R"("global_seq":-1)")) ==
        "OrderAccepted.envelope.global_seq: expected a non-negative integer");
  CHECK(err(replace(R"("global_seq":42)", R"("global_seq":"42")")) ==
        "OrderAccepted.envelope.global_seq: expected an integer");
  CHECK(err(replace(R"("client_order_id":"C100000100000000000000001")",
                    R"("client_order_id":"C1000001000000000000000010000000000001")")) ==
        "OrderAccepted.client_order_id: text of 38 bytes exceeds 36");

  Event fill;
  fill.payload = FillReceived{};
  const std::string fj = *encode_json(fill, d);
  std::string bad = fj;
  bad.replace(bad.find(R"("price":"0")"), 11, R"("price":"1.1234567891")");
  CHECK(err(bad) == "FillReceived.price: more than 9 fractional digits: '1.1234567891'");
  bad = fj;
  bad.replace(bad.find(R"("price":"0")"), 11, R"("price":1.5)");
  CHECK(err(bad) == "FillReceived.price: expected a decimal string");
  bad = fj;
  bad.replace(bad.find(R"("side":"buy")"), 12, R"("side":"long")");
  CHECK(err(bad) == "FillReceived.side: unknown value 'long'");
}

TEST_CASE("JSON encoding refuses text that is not UTF-8 and ids outside the directory") {
  const auto d = testkit::sample_directory();
  Event e = accepted_event();
  REQUIRE(std::get<OrderAccepted>(e.payload).venue_order_id.assign(std::string_view("ab\xff", 3)));
  CHECK(encode_json(e, d).error().message == "OrderAccepted.venue_order_id: text is not valid UTF-8 at byte 2");
  e = accepted_event();
  std::get<OrderAccepted>(e.payload).account = AccountId(77);
  CHECK(encode_json(e, d).error().message == "OrderAccepted.account: id 77 is not in the directory");
}

TEST_CASE("binary decoding checks header, size and value ranges") {
  std::array<std::byte, kMaxBinarySize> buf{};
  const Event e = accepted_event();
  const std::size_t n = *encode_binary(e, buf);
  CHECK(encode_binary(e, std::span<std::byte>(buf.data(), n - 1)).error() == BinaryError::kBufferTooSmall);
  CHECK(decode_event_binary(std::span<const std::byte>(buf.data(), n - 1)).error() == BinaryError::kBufferTooSmall);
  CHECK(decode_command_binary(std::span<const std::byte>(buf.data(), n)).error() == BinaryError::kBadHeader);
  auto corrupt = buf;
  corrupt[1] = std::byte{200};  // unknown kind
  CHECK(decode_event_binary(corrupt).error() == BinaryError::kBadHeader);
  corrupt = buf;
  corrupt[2] = std::byte{0};  // wrong size for the kind
  CHECK(decode_event_binary(corrupt).error() == BinaryError::kBadHeader);
  corrupt = buf;
  corrupt[4 + 48 + 2 + 4] = std::byte{37};  // client order id length > 36
  CHECK(decode_event_binary(corrupt).error() == BinaryError::kBadValue);

  Event fill;
  fill.payload = FillReceived{};
  const std::size_t m = *encode_binary(fill, buf);
  // side is after account(2) strategy(2) instrument(4) client_order_id(37) trade_id(48)
  buf[4 + 48 + 2 + 2 + 4 + 37 + 48] = std::byte{9};
  CHECK(decode_event_binary(std::span<const std::byte>(buf.data(), m)).error() == BinaryError::kBadValue);
}
