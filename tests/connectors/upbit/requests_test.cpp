// Upbit REST: the JWT (structure decoded and recomputed with OpenSSL directly, the shared rule's
// claims; a fixed nonce gives a pinned token), the query / body rendering incl. array
// parameters, UUID v4 nonces, exact order bodies for every ord_type, and each refusal naming
// its field.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "oms/connectors/signing.hpp"
#include "oms/connectors/upbit/requests.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::upbit;

namespace {

constexpr std::string_view kAccess = "upbit-test-access-key";
constexpr std::string_view kSecret = "upbit-test-secret-key";
constexpr std::string_view kNonce = "6f5570df-d8bc-4daf-85b4-976733feb624";

Decimal d(const char* s) { return *Decimal::parse(s); }

SubmitOrder order(Side side, OrderType t, const char* qty, const char* price = "0") {
  SubmitOrder o;
  o.side = side;
  o.order_type = t;
  o.quantity = d(qty);
  o.price = d(price);
  return o;
}

std::string body(const Req& r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return r->payload();
}

std::string refusal(const Req& r) {
  REQUIRE(!r.ok());
  return r.error().message;
}

JwtSigner signer(JwtAlgorithm alg = JwtAlgorithm::kHs512) {
  auto s = JwtSigner::create(kSecret, alg);
  REQUIRE(s.ok());
  return std::move(s).value();
}

// Independent of the code under test: base64url decoding, OpenSSL's one-shot SHA-512 / HMAC.
std::string b64url_decode(std::string_view s) {
  std::string t(s);
  for (auto& c : t) c = c == '-' ? '+' : c == '_' ? '/' : c;
  std::size_t pad = 0;
  for (; t.size() % 4 != 0; ++pad) t.push_back('=');
  std::string out(t.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(t.data()), static_cast<int>(t.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string sha512_hex(std::string_view text) {
  std::array<unsigned char, 64> d{};
  unsigned len = 0;
  REQUIRE(EVP_Digest(text.data(), text.size(), d.data(), &len, EVP_sha512(), nullptr) == 1);
  std::string out;
  signing::append_hex(d.data(), len, out);
  return out;
}

std::string hmac_b64url(const EVP_MD* md, std::string_view text) {
  std::array<unsigned char, 64> mac{};
  unsigned len = 0;
  REQUIRE(HMAC(md, kSecret.data(), static_cast<int>(kSecret.size()), reinterpret_cast<const unsigned char*>(text.data()),
               text.size(), mac.data(), &len) != nullptr);
  std::string out;
  append_base64url(mac.data(), len, out);
  return out;
}

struct Jwt {
  nlohmann::json header, payload;
  std::string signing_input, signature;
};

Jwt split_jwt(std::string_view token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  REQUIRE(a != std::string_view::npos);
  REQUIRE(b != std::string_view::npos);
  REQUIRE(token.find('.', b + 1) == std::string_view::npos);
  Jwt j;
  j.header = nlohmann::json::parse(b64url_decode(token.substr(0, a)));
  j.payload = nlohmann::json::parse(b64url_decode(token.substr(a + 1, b - a - 1)));
  j.signing_input = std::string(token.substr(0, b));
  j.signature = std::string(token.substr(b + 1));
  return j;
}

std::string bearer(const net::HttpRequest& h) {
  for (const auto& [k, v] : h.headers) {
    if (k == kAuthorizationHeader) {
      REQUIRE(v.rfind("Bearer ", 0) == 0);
      return v.substr(7);
    }
  }
  FAIL("no Authorization header");
  return {};
}

}  // namespace

TEST_CASE("base64url: RFC 4648 section 10 vectors, url alphabet, no padding") {
  const auto enc = [](std::string_view s) {
    std::string out;
    append_base64url(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), out);
    return out;
  };
  CHECK(enc("") == "");
  CHECK(enc("f") == "Zg");
  CHECK(enc("fo") == "Zm8");
  CHECK(enc("foo") == "Zm9v");
  CHECK(enc("foob") == "Zm9vYg");
  CHECK(enc("fooba") == "Zm9vYmE");
  CHECK(enc("foobar") == "Zm9vYmFy");
  CHECK(enc("\xfb\xff\xbf") == "-_-_");  // '+' and '/' of standard base64
}

TEST_CASE("signing vector file states the Upbit rule this code implements") {
  const auto doc = nlohmann::json::parse(testkit::read_file(testkit::shared_data() / "signing" / "signing_vectors.json"));
  const nlohmann::json* rule = nullptr;
  for (const auto& v : doc.at("vectors")) {
    if (v.value("id", "") == "upbit_jwt_rule") rule = &v;
  }
  REQUIRE(rule != nullptr);
  const std::string text = rule->at("rule").get<std::string>();
  for (const char* part : {"raw secret key", "access_key", "nonce", "query_hash", "SHA512", "states[]=wait&states[]=watch", "Bearer"})
    CHECK_MESSAGE(text.find(part) != std::string::npos, part);
}

TEST_CASE("signed POST /v1/orders: JSON body, query_hash over the same fields unencoded, HS512 recomputed") {
  SubmitOrder o = order(Side::kBuy, OrderType::kLimit, "0.0001", "100000000");
  REQUIRE(o.client_order_id.assign("C100001000100000000000001"));
  const Req r = new_order("KRW-BTC", o);
  CHECK(body(r) == R"({"market":"KRW-BTC","side":"bid","ord_type":"limit","price":"100000000","volume":"0.0001","identifier":"C100001000100000000000001"})");
  CHECK(r->query_string() == "market=KRW-BTC&side=bid&ord_type=limit&price=100000000&volume=0.0001&identifier=C100001000100000000000001");
  JwtSigner s = signer();
  auto http = render(*r, Credentials{kAccess, &s}, kNonce);
  REQUIRE(http.ok());
  CHECK(http->method == "POST");
  CHECK(http->target == "/v1/orders");
  CHECK(http->headers.size() == 2);
  CHECK(http->headers[0] == net::Header{"Content-Type", "application/json; charset=utf-8"});
  const std::string token = bearer(*http);
  const Jwt j = split_jwt(token);
  CHECK(j.header == nlohmann::json{{"alg", "HS512"}, {"typ", "JWT"}});
  CHECK(j.payload.size() == 4);
  CHECK(j.payload.at("access_key") == kAccess);
  CHECK(j.payload.at("nonce") == kNonce);
  CHECK(j.payload.at("query_hash") == sha512_hex(r->query_string()));
  CHECK(j.payload.at("query_hash_alg") == "SHA512");
  CHECK(j.signature == hmac_b64url(EVP_sha512(), j.signing_input));
  // The fixed nonce pins the whole token (Python's hashlib / hmac gave the same).
  CHECK(token ==
        "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3Nfa2V5IjoidXBiaXQtdGVzdC1hY2Nlc3Mta2V5Iiwibm9uY2UiOiI2ZjU1NzBkZi1kOGJjLTRk"
        "YWYtODViNC05NzY3MzNmZWI2MjQiLCJxdWVyeV9oYXNoIjoiNWY1YWQ5MWUwNGRiZjZlNmRjYzcyZDU1NDQwNzAwNTk3MDUzMzE2ZmUyMjYwOGE1YTI2ZTEz"
        "ZGQ3OTJkNDkxNjQ3OGU1MTJjYjFiNzQxOGZmYjE0Y2E3MTA3YzVhNzU3YTZhMzY2YmU4YjUwN2FiMTg4NDc1NGYzNDA2YzQ4OTciLCJxdWVyeV9oYXNoX2Fs"
        "ZyI6IlNIQTUxMiJ9.8SXHI7NL3aUxewFcujQie_VoyW8z4b0E_D8hr9u810MfMgqoVAppT7l2dyKl4udHiv7TKhHDJDvIOBH1kTA1WQ");
  // Another nonce, another token; the same nonce, the same token.
  auto again = render(*r, Credentials{kAccess, &s}, kNonce);
  REQUIRE(again.ok());
  CHECK(bearer(*again) == token);
  auto other = render(*r, Credentials{kAccess, &s}, "0b1c2d3e-0000-4000-8000-000000000000");
  REQUIRE(other.ok());
  CHECK(bearer(*other) != token);
}

TEST_CASE("signed GET with an array parameter: states[] repeated, hashed as written, HS256 on request") {
  const std::array<std::string_view, 2> states{"wait", "watch"};
  OpenOrdersQuery q;
  q.market = "KRW-BTC";
  q.states = states;
  q.limit = 100;
  const Req r = open_orders(q);
  REQUIRE(r.ok());
  CHECK(r->query_string() == "market=KRW-BTC&states[]=wait&states[]=watch&limit=100");
  JwtSigner s = signer(JwtAlgorithm::kHs256);
  auto http = render(*r, Credentials{kAccess, &s}, kNonce);
  REQUIRE(http.ok());
  CHECK(http->method == "GET");
  CHECK(http->target == "/v1/orders/open?market=KRW-BTC&states[]=wait&states[]=watch&limit=100");
  CHECK(http->body.empty());
  CHECK(http->headers.size() == 1);
  const std::string token = bearer(*http);
  const Jwt j = split_jwt(token);
  CHECK(j.header == nlohmann::json{{"alg", "HS256"}, {"typ", "JWT"}});
  CHECK(j.payload.at("query_hash") == "d770bf75568ecd7790c16ceae8d147a91c6d8b04b8eef6acbf868bed38e36a60e05d90da28a272e8627573e16712cfffe94bb2abb645cb6f2e16b3448a190729");
  CHECK(j.signature == hmac_b64url(EVP_sha256(), j.signing_input));
  CHECK(token == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3Nfa2V5IjoidXBiaXQtdGVzdC1hY2Nlc3Mta2V5Iiwibm9uY2UiOiI2ZjU1NzBkZi1kOGJjLTRkYWYtODViNC05NzY3MzNmZWI2MjQiLCJxdWVyeV9oYXNoIjoiZDc3MGJmNzU1NjhlY2Q3NzkwYzE2Y2VhZThkMTQ3YTkxYzZkOGIwNGI4ZWVmNmFjYmY4NjhiZWQzOGUzNmE2MGUwNWQ5MGRhMjhhMjcyZTg2Mjc1NzNlMTY3MTJjZmZmZTk0YmIyYWJiNjQ1Y2I2ZjJlMTZiMzQ0OGExOTA3MjkiLCJxdWVyeV9oYXNoX2FsZyI6IlNIQTUxMiJ9.DUvd8FyAiUh1_QlWiAjID3z1l4Wba9R6DKYkWH6lqqU");
}

TEST_CASE("a value needing escapes: percent-encoded on the wire, hashed unencoded") {
  RestRequest r;
  r.method = HttpMethod::kGet;
  r.path = "/v1/orders/closed";
  r.security = Security::kSigned;
  r.add("start_time", "2024-01-01T00:00:00+09:00");
  JwtSigner s = signer();
  auto http = render(r, Credentials{kAccess, &s}, kNonce);
  REQUIRE(http.ok());
  CHECK(http->target == "/v1/orders/closed?start_time=2024-01-01T00%3A00%3A00%2B09%3A00");
  CHECK(split_jwt(bearer(*http)).payload.at("query_hash") == sha512_hex("start_time=2024-01-01T00:00:00+09:00"));
}

TEST_CASE("no parameters: no query_hash claim (GET /v1/accounts, the private WebSocket token)") {
  JwtSigner s = signer();
  auto http = render(*accounts(), Credentials{kAccess, &s}, kNonce);
  REQUIRE(http.ok());
  CHECK(http->target == "/v1/accounts");
  const std::string token = bearer(*http);
  const Jwt j = split_jwt(token);
  CHECK(j.payload == nlohmann::json{{"access_key", kAccess}, {"nonce", kNonce}});
  CHECK(j.signature == hmac_b64url(EVP_sha512(), j.signing_input));
  CHECK(token == "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3Nfa2V5IjoidXBiaXQtdGVzdC1hY2Nlc3Mta2V5Iiwibm9uY2UiOiI2ZjU1NzBkZi1kOGJjLTRkYWYtODViNC05NzY3MzNmZWI2MjQifQ.zCOOC8wmxIjpAo9JpUSEVPtZqCvraCgSWXqMQjFwuF3O1v3FbGppQ7xQksWfRmj-GCuc-8rydj0mHgoUiTamVg");
  auto ws = ws_token(Credentials{kAccess, &s}, kNonce);
  REQUIRE(ws.ok());
  CHECK(*ws == token);
}

TEST_CASE("public requests carry no Authorization; signed ones refuse missing credentials") {
  const std::array<std::string_view, 2> markets{"USDT-BTC", "USDT-ETH"};
  auto http = render(*ticker(markets), Credentials{}, {});
  REQUIRE(http.ok());
  CHECK(http->target == "/v1/ticker?markets=USDT-BTC%2CUSDT-ETH");
  CHECK(http->headers.empty());
  CHECK(render(*accounts(), Credentials{}, kNonce).error().message == "/v1/accounts: access key required");
  CHECK(render(*accounts(), Credentials{kAccess, nullptr}, kNonce).error().message ==
        "/v1/accounts: signer required for a signed endpoint");
  JwtSigner s = signer();
  CHECK(render(*accounts(), Credentials{kAccess, &s}, "").error().message ==
        "/v1/accounts: jwt: nonce must be 1 to 64 letters, digits or '-' (a UUID)");
  CHECK(render(*accounts(), Credentials{kAccess, &s}, "a\"b").error().message ==
        "/v1/accounts: jwt: nonce must be 1 to 64 letters, digits or '-' (a UUID)");
  CHECK(!JwtSigner::create("").ok());
  RestRequest bad;
  bad.method = HttpMethod::kPost;
  bad.path = "/v1/orders";
  bad.add("states[]", "wait");
  CHECK(render(bad, Credentials{}, {}).error().message == "/v1/orders: states[]: an array parameter in a JSON body");
}

TEST_CASE("render_into reuses the request's buffers and drops stale headers") {
  JwtSigner s = signer();
  net::HttpRequest h;
  const Req post = new_order("KRW-BTC", order(Side::kSell, OrderType::kMarket, "0.5"));
  REQUIRE(render_into(*post, Credentials{kAccess, &s}, kNonce, h).ok());
  CHECK(h.headers.size() == 2);
  CHECK(h.body == R"({"market":"KRW-BTC","side":"ask","ord_type":"market","volume":"0.5"})");
  const std::array<std::string_view, 1> m{"KRW-BTC"};
  REQUIRE(render_into(*orderbook(m), Credentials{}, {}, h).ok());
  CHECK(h.method == "GET");
  CHECK(h.target == "/v1/orderbook?markets=KRW-BTC");
  CHECK(h.body.empty());
  CHECK(h.headers.empty());
}

TEST_CASE("nonces are UUID v4: version and variant set, 36 characters, new each time") {
  const std::array<std::uint8_t, 16> zero{};
  CHECK(nonce_from_bytes(zero) == "00000000-0000-4000-8000-000000000000");
  std::array<std::uint8_t, 16> ff{};
  ff.fill(0xFF);
  CHECK(nonce_from_bytes(ff) == "ffffffff-ffff-4fff-bfff-ffffffffffff");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto n = new_nonce();
    REQUIRE(n.ok());
    CHECK(n->size() == kNonceLen);
    CHECK((*n)[14] == '4');
    CHECK(std::string("89ab").find((*n)[19]) != std::string::npos);
    seen.insert(*n);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("orders: each ord_type's exact body") {
  // limit with each time in force
  SubmitOrder lim = order(Side::kSell, OrderType::kLimit, "10", "1.5");
  CHECK(body(new_order("SGD-XRP", lim)) == R"({"market":"SGD-XRP","side":"ask","ord_type":"limit","price":"1.5","volume":"10"})");
  lim.tif = TimeInForce::kIoc;
  CHECK(body(new_order("SGD-XRP", lim)).find(R"("time_in_force":"ioc")") != std::string::npos);
  lim.tif = TimeInForce::kFok;
  CHECK(body(new_order("SGD-XRP", lim)).find(R"("time_in_force":"fok")") != std::string::npos);
  lim.tif = TimeInForce::kPostOnly;
  CHECK(body(new_order("KRW-BTC", lim)) ==
        R"({"market":"KRW-BTC","side":"ask","ord_type":"limit","price":"1.5","volume":"10","time_in_force":"post_only"})");
  // market buy by quote amount: ord_type price
  OrderExtras by_quote;
  by_quote.quote_quantity = d("5000");
  CHECK(body(new_order("KRW-BTC", order(Side::kBuy, OrderType::kMarket, "0"), by_quote)) ==
        R"({"market":"KRW-BTC","side":"bid","ord_type":"price","price":"5000"})");
  // market sell by volume
  CHECK(body(new_order("KRW-BTC", order(Side::kSell, OrderType::kMarket, "0.0015"))) ==
        R"({"market":"KRW-BTC","side":"ask","ord_type":"market","volume":"0.0015"})");
  // best: a buy by quote total, a sell by volume, ioc / fok required
  OrderExtras best = by_quote;
  best.best = true;
  SubmitOrder bb = order(Side::kBuy, OrderType::kMarket, "0");
  bb.tif = TimeInForce::kIoc;
  CHECK(body(new_order("KRW-BTC", bb, best)) ==
        R"({"market":"KRW-BTC","side":"bid","ord_type":"best","price":"5000","time_in_force":"ioc"})");
  SubmitOrder bs = order(Side::kSell, OrderType::kMarket, "0.01");
  bs.tif = TimeInForce::kFok;
  OrderExtras best_sell;
  best_sell.best = true;
  best_sell.self_match = SelfMatch::kCancelMaker;
  CHECK(body(new_order("KRW-BTC", bs, best_sell)) ==
        R"({"market":"KRW-BTC","side":"ask","ord_type":"best","volume":"0.01","time_in_force":"fok","smp_type":"cancel_maker"})");
  // test orders go to /v1/orders/test and place nothing
  OrderExtras test;
  test.test = true;
  const Req t = new_order("KRW-BTC", order(Side::kSell, OrderType::kLimit, "1", "100000000"), test);
  REQUIRE(t.ok());
  CHECK(t->path == "/v1/orders/test");
  CHECK(t->order_count == 0);
  CHECK(new_order("KRW-BTC", lim)->order_count == 1);
}

TEST_CASE("orders: refusals name the field") {
  CHECK(refusal(new_order("KRW-BTC", order(Side::kBuy, OrderType::kMarket, "0.01"))) ==
        "new_order: quantity: a market buy on Upbit spends a quote amount (ord_type price): set quote_quantity to the "
        "total and leave quantity zero");
  OrderExtras q;
  q.quote_quantity = d("5000");
  CHECK(refusal(new_order("KRW-BTC", order(Side::kBuy, OrderType::kMarket, "0.01"), q)).rfind("new_order: quantity:", 0) == 0);
  CHECK(refusal(new_order("KRW-BTC", order(Side::kSell, OrderType::kMarket, "1"), q)) ==
        "new_order: quote_quantity: a market sell is sized by volume");
  CHECK(refusal(new_order("KRW-BTC", order(Side::kBuy, OrderType::kLimit, "1", "100"), q)) ==
        "new_order: quote_quantity: only a market or best buy spends a quote amount");
  CHECK(refusal(new_order("KRW-BTC", order(Side::kBuy, OrderType::kLimit, "1"))) ==
        "new_order: price: must be positive for a limit order");
  CHECK(refusal(new_order("KRW-BTC", order(Side::kBuy, OrderType::kLimit, "0", "100"))) == "new_order: volume: must be positive");
  CHECK(refusal(new_order("KRW-BTC", order(Side::kSell, OrderType::kMarket, "1", "100"))).rfind("new_order: price: must be zero", 0) == 0);
  SubmitOrder ioc_market = order(Side::kSell, OrderType::kMarket, "1");
  ioc_market.tif = TimeInForce::kIoc;
  CHECK(refusal(new_order("KRW-BTC", ioc_market)).rfind("new_order: tif: an Upbit market order takes no time in force", 0) == 0);
  OrderExtras best;
  best.best = true;
  CHECK(refusal(new_order("KRW-BTC", order(Side::kSell, OrderType::kMarket, "1"), best)) ==
        "new_order: tif: a best-price order takes ioc or fok");
  CHECK(refusal(new_order("KRW-BTC", order(Side::kSell, OrderType::kLimit, "1", "100"), best)).rfind("new_order: best:", 0) == 0);
  SubmitOrder po = order(Side::kSell, OrderType::kLimit, "1", "100");
  po.tif = TimeInForce::kPostOnly;
  OrderExtras smp;
  smp.self_match = SelfMatch::kReduce;
  CHECK(refusal(new_order("KRW-BTC", po, smp)) == "new_order: tif: post_only cannot go with smp_type (Upbit refuses both)");
  SubmitOrder stop = order(Side::kSell, OrderType::kStopLossLimit, "1", "100");
  stop.stop_price = d("90");
  CHECK(refusal(new_order("KRW-BTC", stop)) == "new_order: order_type: Upbit takes no stop / take-profit orders over the API");
  SubmitOrder ro = order(Side::kSell, OrderType::kLimit, "1", "100");
  ro.reduce_only = true;
  CHECK(refusal(new_order("KRW-BTC", ro)) == "new_order: reduce_only: Upbit is spot only (no positions)");
  SubmitOrder bad_id = order(Side::kSell, OrderType::kLimit, "1", "100");
  REQUIRE(bad_id.client_order_id.assign("has space"));
  CHECK(refusal(new_order("KRW-BTC", bad_id)) == "new_order: identifier: 1 to 64 letters, digits, '-' or '_'");
  CHECK(refusal(new_order("BTCKRW", order(Side::kSell, OrderType::kLimit, "1", "100"))) ==
        "new_order: market: 'BTCKRW' is not a market code (QUOTE-BASE, e.g. KRW-BTC)");
  CHECK(refusal(new_order("krw-btc", order(Side::kSell, OrderType::kLimit, "1", "100"))).rfind("new_order: market:", 0) == 0);
}

TEST_CASE("cancel and new: remain_only, new_ fields, a new identifier; AmendOrder through it") {
  ReplaceOrder q;
  q.prev.uuid = "cdd92199-2897-4e14-9448-f923320408ad";
  q.side = Side::kBuy;
  q.price = d("99000000");
  q.new_identifier = "C100001000100000000000002";
  CHECK(body(cancel_and_new(q)) ==
        R"({"prev_order_uuid":"cdd92199-2897-4e14-9448-f923320408ad","new_ord_type":"limit","new_price":"99000000","new_volume":"remain_only","new_identifier":"C100001000100000000000002"})");
  q.volume = d("0.002");
  q.tif = TimeInForce::kIoc;
  CHECK(body(cancel_and_new(q)).find(R"("new_volume":"0.002","new_time_in_force":"ioc")") != std::string::npos);
  ReplaceOrder mkt;
  mkt.prev.identifier = "C100001000100000000000001";
  mkt.side = Side::kBuy;
  mkt.order_type = OrderType::kMarket;
  mkt.quote_quantity = d("10000");
  CHECK(body(cancel_and_new(mkt)) == R"({"prev_order_identifier":"C100001000100000000000001","new_ord_type":"price","new_price":"10000"})");
  mkt.new_identifier = "C100001000100000000000001";
  CHECK(refusal(cancel_and_new(mkt)) == "cancel_and_new: new_identifier: must differ from prev_order_identifier");
  ReplaceOrder neither;
  CHECK(refusal(cancel_and_new(neither)) ==
        "cancel_and_new: prev_order_uuid / prev_order_identifier: name the order by one of them");

  AmendOrder a;
  REQUIRE(a.client_order_id.assign("C100001000100000000000001"));
  a.new_price = d("101000000");
  a.new_quantity = d("0.5");
  CHECK(body(amend_order(a, Side::kSell, "C100001000100000000000003")) ==
        R"({"prev_order_identifier":"C100001000100000000000001","new_ord_type":"limit","new_price":"101000000","new_volume":"0.5","new_identifier":"C100001000100000000000003"})");
  a.new_price = Decimal{};
  CHECK(refusal(amend_order(a, Side::kSell, "X2")) == "amend_order: new_price: required (cancel_and_new keeps no old price)");
}

TEST_CASE("cancels and order queries: exact queries") {
  CHECK(body(cancel_order(OrderRef{"4321cb06-94cc-4fd5-bb15-a514c721ff56", {}})) == "uuid=4321cb06-94cc-4fd5-bb15-a514c721ff56");
  CancelOrder c;
  REQUIRE(c.client_order_id.assign("C100001000100000000000001"));
  const Req co = cancel_order(c);
  REQUIRE(co.ok());
  CHECK(co->method == HttpMethod::kDelete);
  CHECK(co->path == "/v1/order");
  CHECK(co->payload() == "identifier=C100001000100000000000001");
  CHECK(refusal(cancel_order(OrderRef{"a", "b"})) == "cancel_order: uuid / identifier: name the order by one of them");
  CHECK(body(get_order(OrderRef{{}, "C1"})) == "identifier=C1");

  const std::array<std::string_view, 2> ids{"u-1", "u-2"};
  CHECK(body(cancel_orders(ids)) == "uuids[]=u-1&uuids[]=u-2");
  CHECK(body(cancel_orders({}, ids)) == "identifiers[]=u-1&identifiers[]=u-2");
  CHECK(refusal(cancel_orders(ids, ids)) == "cancel_orders: uuids / identifiers: one list, not both and not neither");
  std::array<std::string_view, 21> many{};
  many.fill("x");
  CHECK(refusal(cancel_orders(many)) == "cancel_orders: uuids: at most 20 a request");
  CHECK(body(orders_by_ids("KRW-BTC", ids, {}, OrderBy::kAsc)) == "market=KRW-BTC&uuids[]=u-1&uuids[]=u-2&order_by=asc");

  const std::array<std::string_view, 2> pairs{"KRW-BTC", "KRW-ETH"};
  BatchCancel b;
  b.side = CancelSide::kBid;
  b.pairs = pairs;
  b.count = 300;
  b.order_by = OrderBy::kAsc;
  const Req bc = cancel_open_orders(b);
  REQUIRE(bc.ok());
  CHECK(bc->method == HttpMethod::kDelete);
  CHECK(bc->query_string() == "cancel_side=bid&pairs=KRW-BTC,KRW-ETH&count=300&order_by=asc");
  const std::array<std::string_view, 1> krw{"KRW"};
  b.quote_currencies = krw;
  CHECK(refusal(cancel_open_orders(b)) == "cancel_open_orders: pairs / quote_currencies: one of them, not both");
  b.pairs = {};
  b.count = 301;
  CHECK(refusal(cancel_open_orders(b)) == "cancel_open_orders: count: at most 300");
  CHECK(cancel_all("KRW-BTC")->query_string() == "pairs=KRW-BTC&count=300");
  CHECK(cancel_all()->query_string() == "count=300");

  const std::array<std::string_view, 2> closed{"done", "cancel"};
  ClosedOrdersQuery cq;
  cq.market = "KRW-BTC";
  cq.states = closed;
  cq.start_ms = 1'700'000'000'000;
  cq.end_ms = 1'700'000'000'000 + 3'600'000;
  cq.limit = 1000;
  CHECK(closed_orders(cq)->query_string() ==
        "market=KRW-BTC&states[]=done&states[]=cancel&start_time=1700000000000&end_time=1700003600000&limit=1000");
  cq.end_ms = cq.start_ms + 7LL * 24 * 3'600'000 + 1;
  CHECK(refusal(closed_orders(cq)) == "closed_orders: end_ms: more than 7 days after start_ms");
  const std::array<std::string_view, 1> wrong{"wait"};
  cq.states = wrong;
  cq.end_ms = 0;
  CHECK(refusal(closed_orders(cq)) == "closed_orders: states[0]: 'wait' (one of done, cancel)");
  OpenOrdersQuery oq;
  oq.limit = 101;
  CHECK(refusal(open_orders(oq)) == "open_orders: limit: at most 100");
  CHECK(body(order_chance("KRW-BTC")) == "market=KRW-BTC");
  CHECK(order_chance("KRW-BTC")->security == Security::kSigned);
}

TEST_CASE("quotation: paths and queries") {
  CHECK(market_all()->payload().empty());
  CHECK(market_all(true)->query_string() == "is_details=true");
  const std::array<std::string_view, 1> one{"USDT-BTC"};
  CHECK(body(orderbook(one)) == "markets=USDT-BTC");
  CHECK(orderbook(one, d("10000"), 15)->query_string() == "markets=USDT-BTC&level=10000&count=15");
  CHECK(orderbook_instruments(one)->path == "/v1/orderbook/instruments");
  const std::array<std::string_view, 1> bad{"USDTBTC"};
  CHECK(refusal(ticker(bad)) == "ticker: markets[0]: 'USDTBTC' is not a market code (QUOTE-BASE, e.g. KRW-BTC)");
  const std::array<std::string_view, 2> quotes{"KRW", "BTC"};
  CHECK(ticker_all(quotes)->query_string() == "quote_currencies=KRW,BTC");
  TradesQuery tq;
  tq.market = "USDT-BTC";
  tq.count = 200;
  CHECK(trades(tq)->path == "/v1/trades/ticks");
  CHECK(trades(tq)->query_string() == "market=USDT-BTC&count=200");
  tq.count = 501;
  CHECK(refusal(trades(tq)) == "trades: count: at most 500");
  CandlesQuery cq;
  cq.market = "USDT-BTC";
  cq.count = 200;
  CHECK(candles(cq)->path == "/v1/candles/minutes/1");
  cq.minutes = 240;
  CHECK(candles(cq)->path == "/v1/candles/minutes/240");
  cq.minutes = 2;
  CHECK(refusal(candles(cq)) == "candles: minutes: one of 1, 3, 5, 10, 15, 30, 60, 240");
  cq.unit = CandleUnit::kDays;
  cq.to = "2024-03-13T00:00:00Z";
  CHECK(candles(cq)->path == "/v1/candles/days");
  CHECK(candles(cq)->query_string() == "market=USDT-BTC&to=2024-03-13T00:00:00Z&count=200");
  CHECK(candles(cq)->security == Security::kNone);
}
