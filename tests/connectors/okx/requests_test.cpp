// OKX v5 REST builders and rendering: the signature rule against the shared third-party
// vector, the ISO timestamp, the WebSocket login, exact bodies and queries, contract sizes, and
// each refusal naming its field.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "oms/connectors/okx/requests.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::okx;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

InstrumentSpec spot(const char* id = "BTC-USDT", const char* lot = "0.00000001") {
  InstrumentSpec s;
  s.inst_id = id;
  s.inst_type = InstType::kSpot;
  s.lot_size = d(lot);
  return s;
}

// BTC-USDT-SWAP as listed: 0.01 BTC a contract, whole contracts (lotSz 1, the 2022 listing).
InstrumentSpec swap(const char* id = "BTC-USDT-SWAP", const char* ct_val = "0.01", const char* lot = "1") {
  InstrumentSpec s;
  s.inst_id = id;
  s.inst_type = InstType::kSwap;
  s.contract_value = d(ct_val);
  s.lot_size = d(lot);
  s.trade_mode = TradeMode::kCross;
  return s;
}

SubmitOrder order(Side side, OrderType t, const char* qty, const char* price = "0", const char* stop = "0") {
  SubmitOrder o;
  o.side = side;
  o.order_type = t;
  o.quantity = d(qty);
  o.price = d(price);
  o.stop_price = d(stop);
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

signing::HmacSha256 hmac(const std::string& secret) {
  return std::move(signing::HmacSha256::create(secret)).value();
}

const std::string* header(const net::HttpRequest& h, std::string_view name) {
  for (const auto& [k, v] : h.headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

nlohmann::json shared_vector(std::string_view id) {
  const auto doc = nlohmann::json::parse(testkit::read_file(testkit::shared_data() / "signing" / "signing_vectors.json"));
  std::function<const nlohmann::json*(const nlohmann::json&)> find = [&](const nlohmann::json& j) -> const nlohmann::json* {
    if (j.is_object()) {
      if (j.contains("id") && j["id"] == id) return &j;
      for (const auto& [k, v] : j.items()) {
        if (const auto* f = find(v)) return f;
      }
    } else if (j.is_array()) {
      for (const auto& v : j) {
        if (const auto* f = find(v)) return f;
      }
    }
    return nullptr;
  };
  const auto* v = find(doc);
  REQUIRE(v != nullptr);
  return *v;
}

constexpr std::int64_t kVectorMs = 1'607'418'537'715;  // 2020-12-08T09:08:57.715Z

}  // namespace

TEST_CASE("okx timestamp: ISO-8601 UTC with milliseconds, exact across leap days and centuries") {
  CHECK(iso_timestamp(kVectorMs) == "2020-12-08T09:08:57.715Z");
  CHECK(iso_timestamp(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso_timestamp(951'782'400'000) == "2000-02-29T00:00:00.000Z");
  CHECK(iso_timestamp(1'709'251'199'999) == "2024-02-29T23:59:59.999Z");
  CHECK(iso_timestamp(4'102'444'799'999) == "2099-12-31T23:59:59.999Z");
}

TEST_CASE("okx signature: the shared vector okx_v5_rest_get_balance, reproduced by render()") {
  const auto v = shared_vector("okx_v5_rest_get_balance");
  const std::string key = v["key"]["api_key"], secret = v["key"]["secret_key"], pass = v["key"]["passphrase"];
  auto h = hmac(secret);
  std::string sig;
  REQUIRE(append_signature(h, v["timestamp"].get<std::string>(), "GET", v["request_path"].get<std::string>(), "", sig).ok());
  CHECK(sig == v["expected_signature"].get<std::string>());

  auto req = balance();
  REQUIRE(req.ok());
  auto http = render(*req, Credentials{key, pass, &h, false}, kVectorMs);
  REQUIRE(http.ok());
  CHECK(http->method == "GET");
  CHECK(http->target == v["request_path"].get<std::string>());
  CHECK(http->body.empty());
  CHECK(*header(*http, "OK-ACCESS-SIGN") == v["expected_signature"].get<std::string>());
  CHECK(*header(*http, "OK-ACCESS-KEY") == key);
  CHECK(*header(*http, "OK-ACCESS-PASSPHRASE") == pass);
  CHECK(*header(*http, "OK-ACCESS-TIMESTAMP") == v["timestamp"].get<std::string>());
  CHECK(header(*http, "Content-Type") == nullptr);
  CHECK(header(*http, "x-simulated-trading") == nullptr);
  CHECK(http->headers.size() == 4);
}

TEST_CASE("okx render: a GET signs path?query, a POST its JSON body; demo trading adds x-simulated-trading") {
  auto h = hmac("chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO");
  const Credentials creds{"985d5b66-57ce-40fb-b714-afc0b9787083", "1234567890", &h, true};
  auto get = render(*balance("BTC"), creds, kVectorMs);
  REQUIRE(get.ok());
  CHECK(get->target == "/api/v5/account/balance?ccy=BTC");
  // base64(HMAC(secret, "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC")), Python hmac
  CHECK(*header(*get, "OK-ACCESS-SIGN") == "ebNz0sDoc3LoFm1hqjP8LDT0fnRlDERj5C+I4ZqB4Cw=");
  CHECK(*header(*get, "x-simulated-trading") == "1");

  SubmitOrder o = order(Side::kBuy, OrderType::kLimit, "0.02", "30000");
  REQUIRE(o.client_order_id.assign("C1abc"));
  const InstrumentSpec btc = swap();
  auto post = render(*new_order(btc, o), creds, kVectorMs);
  REQUIRE(post.ok());
  CHECK(post->method == "POST");
  CHECK(post->target == "/api/v5/trade/order");
  CHECK(post->body ==
        R"({"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit","sz":"2","px":"30000","clOrdId":"C1abc"})");
  CHECK(*header(*post, "Content-Type") == "application/json");
  CHECK(*header(*post, "OK-ACCESS-SIGN") == "E1u0lpyvCqWG8DBvql4XxJCa4svaoWTZ8cP81RV/HpI=");

  // render_into reuses the request: a GET after a POST drops the body and Content-Type.
  net::HttpRequest reused = *post;
  REQUIRE(render_into(*server_time(), Credentials{}, 0, reused).ok());
  CHECK(reused.method == "GET");
  CHECK(reused.target == "/api/v5/public/time");
  CHECK(reused.body.empty());
  CHECK(reused.headers.empty());
}

TEST_CASE("okx render: a signed request without key, passphrase, signer or time is refused by name") {
  auto h = hmac("s");
  auto req = *balance();
  CHECK(render(req, Credentials{"", "p", &h, false}, kVectorMs).error().message == "/api/v5/account/balance: api key required");
  CHECK(render(req, Credentials{"k", "", &h, false}, kVectorMs).error().message == "/api/v5/account/balance: passphrase required");
  CHECK(render(req, Credentials{"k", "p", nullptr, false}, kVectorMs).error().message ==
        "/api/v5/account/balance: signer required for a signed endpoint");
  CHECK(render(req, Credentials{"k", "p", &h, false}, 0).error().message == "/api/v5/account/balance: timestamp must be positive");
}

TEST_CASE("okx ws login: sign = base64 HMAC(seconds + GET + /users/self/verify)") {
  auto h = hmac("chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO");
  auto msg = ws_login(Credentials{"985d5b66-57ce-40fb-b714-afc0b9787083", "1234567890", &h, false}, 1'607'418'537);
  REQUIRE(msg.ok());
  // sign from Python: base64(hmac_sha256(secret, "1607418537GET/users/self/verify"))
  CHECK(*msg ==
        R"({"op":"login","args":[{"apiKey":"985d5b66-57ce-40fb-b714-afc0b9787083","passphrase":"1234567890",)"
        R"("timestamp":"1607418537","sign":"2WEhuS72Vc5VV8eWTdpGFYWPyI5Tfix/HHLJN6m7PfA="}]})");
  CHECK(ws_login(Credentials{"k", "", &h, false}, 1).error().message == "login: passphrase required");
}

TEST_CASE("okx orders: spot sz in base with tgtCcy base_ccy; TIF inside ordType; market buy by quote") {
  const InstrumentSpec s = spot();
  CHECK(body(new_order(s, order(Side::kBuy, OrderType::kMarket, "0.5"))) ==
        R"({"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"0.5","tgtCcy":"base_ccy"})");
  SubmitOrder po = order(Side::kSell, OrderType::kLimit, "0.001", "61837.6");
  po.tif = TimeInForce::kPostOnly;
  CHECK(body(new_order(s, po)) ==
        R"({"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"post_only","sz":"0.001","tgtCcy":"base_ccy","px":"61837.6"})");
  po.tif = TimeInForce::kFok;
  CHECK(*new_order(s, po)->find("ordType") == "fok");
  po.tif = TimeInForce::kIoc;
  CHECK(*new_order(s, po)->find("ordType") == "ioc");
  OrderExtras by_cost;
  by_cost.quote_quantity = d("100");
  CHECK(body(new_order(s, order(Side::kBuy, OrderType::kMarket, "0"), by_cost)) ==
        R"({"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"100","tgtCcy":"quote_ccy"})");
  CHECK(new_order(s, order(Side::kBuy, OrderType::kMarket, "0.5"))->path == "/api/v5/trade/order");
  CHECK(new_order(s, order(Side::kBuy, OrderType::kMarket, "0.5"))->order_count == 1);
}

TEST_CASE("okx orders: swap sz in contracts (base / ctVal), refused unless whole lots") {
  const InstrumentSpec btc = swap();
  CHECK(*new_order(btc, order(Side::kBuy, OrderType::kMarket, "0.05"))->find("sz") == "5");
  CHECK(refusal(new_order(btc, order(Side::kBuy, OrderType::kMarket, "0.015"))) ==
        "new_order: sz: not a whole number of contracts (quantity 0.015, ctVal 0.01, lotSz 1)");
  const InstrumentSpec eth = swap("ETH-USDT-SWAP", "0.1", "0.01");
  CHECK(*new_order(eth, order(Side::kSell, OrderType::kLimit, "0.015", "2000"))->find("sz") == "0.15");
  CHECK(refusal(new_order(eth, order(Side::kSell, OrderType::kLimit, "0.0015", "2000"))) ==
        "new_order: sz: not a whole number of contracts (quantity 0.0015, ctVal 0.1, lotSz 0.01)");
  CHECK(refusal(new_order(spot("BTC-USDT", "0.0001"), order(Side::kBuy, OrderType::kLimit, "0.00015", "1"))) ==
        "new_order: sz: quantity 0.00015 is not a multiple of lotSz 0.0001");
  auto to = to_size(swap("ADA-USDT-SWAP", "100", "1"), d("5000"), "sz");
  REQUIRE(to.ok());
  CHECK(*to == d("50"));
}

TEST_CASE("okx orders: long/short mode posSide from side and reduce-only; net refuses long/short") {
  InstrumentSpec ls = swap();
  ls.long_short_mode = true;
  CHECK(*new_order(ls, order(Side::kBuy, OrderType::kMarket, "0.01"))->find("posSide") == "long");
  CHECK(*new_order(ls, order(Side::kSell, OrderType::kMarket, "0.01"))->find("posSide") == "short");
  SubmitOrder close = order(Side::kSell, OrderType::kMarket, "0.01");
  close.reduce_only = true;
  auto r = new_order(ls, close);
  CHECK(*r->find("posSide") == "long");
  CHECK(*r->find("reduceOnly") == "true");
  OrderExtras x;
  x.position_side = PositionSide::kShort;
  CHECK(refusal(new_order(swap(), order(Side::kBuy, OrderType::kMarket, "0.01"), x)) ==
        "new_order: position_side: long/short needs an account in long/short mode (posMode net_mode)");
  CHECK(new_order(swap(), order(Side::kBuy, OrderType::kMarket, "0.01"))->find("posSide") == nullptr);
}

TEST_CASE("okx algo orders: stop / take-profit kinds go to order-algo (conditional sl/tp, or trigger)") {
  const InstrumentSpec btc = swap();
  auto sl = new_order(btc, order(Side::kSell, OrderType::kStopLoss, "0.01", "0", "30000"));
  CHECK(sl->path == "/api/v5/trade/order-algo");
  CHECK(body(sl) ==
        R"({"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"conditional","sz":"1","slTriggerPx":"30000","slOrdPx":"-1","slTriggerPxType":"last"})");
  SubmitOrder tp = order(Side::kSell, OrderType::kTakeProfitLimit, "0.02", "41000", "40000");
  REQUIRE(tp.client_order_id.assign("C1tp"));
  CHECK(body(new_order(btc, tp)) ==
        R"({"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"conditional","sz":"2","tpTriggerPx":"40000","tpOrdPx":"41000","tpTriggerPxType":"last","algoClOrdId":"C1tp"})");
  OrderExtras trig;
  trig.algo = okx::AlgoKind::kTrigger;
  trig.trigger_price_type = TriggerPriceType::kMark;
  trig.stop_loss = d("29000");
  CHECK(body(new_order(btc, order(Side::kBuy, OrderType::kStopLossLimit, "0.01", "31000", "30500"), trig)) ==
        R"({"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"trigger","sz":"1","triggerPx":"30500","orderPx":"31000","triggerPxType":"mark","attachAlgoOrds":[{"slTriggerPx":"29000","slOrdPx":"-1","slTriggerPxType":"mark"}]})");
  OrderExtras whole;
  whole.close_position = true;
  SubmitOrder c = order(Side::kSell, OrderType::kTakeProfit, "0", "0", "120");
  c.reduce_only = true;
  CHECK(body(new_order(btc, c, whole)) ==
        R"({"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"conditional","closeFraction":"1","tpTriggerPx":"120","tpOrdPx":"-1","tpTriggerPxType":"last","reduceOnly":true})");
}

TEST_CASE("okx orders: attached take-profit / stop-loss on a plain order (attachAlgoOrds)") {
  OrderExtras x;
  x.take_profit = d("5");
  x.stop_loss = d("0.1");
  x.stop_loss_price = d("0.09");
  CHECK(body(new_order(swap("ADA-USDT-SWAP", "100", "1"), order(Side::kBuy, OrderType::kLimit, "5000", "0.2"), x)) ==
        R"({"instId":"ADA-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit","sz":"50","px":"0.2","attachAlgoOrds":[{"tpTriggerPx":"5","tpOrdPx":"-1","tpTriggerPxType":"last","slTriggerPx":"0.1","slOrdPx":"0.09","slTriggerPxType":"last"}]})");
}

TEST_CASE("okx orders: each refusal names its field") {
  const InstrumentSpec s = spot();
  const InstrumentSpec btc = swap();
  SubmitOrder bad_id = order(Side::kBuy, OrderType::kLimit, "1", "1");
  REQUIRE(bad_id.client_order_id.assign("has-dash"));
  CHECK(refusal(new_order(s, bad_id)) == "new_order: client_order_id: OKX takes 1 to 32 letters and digits");
  CHECK(refusal(new_order(s, order(Side::kBuy, OrderType::kLimit, "1"))) == "new_order: price: must be positive for a limit order");
  CHECK(refusal(new_order(s, order(Side::kBuy, OrderType::kMarket, "1", "5"))) == "new_order: price: must be zero for a market order");
  CHECK(refusal(new_order(s, order(Side::kBuy, OrderType::kMarket, "0"))) == "new_order: quantity: must be positive");
  CHECK(refusal(new_order(btc, order(Side::kBuy, OrderType::kStopLoss, "0.01"))) ==
        "new_order: stop_price: must be positive for a stop / take-profit order");
  SubmitOrder ro = order(Side::kSell, OrderType::kMarket, "1");
  ro.reduce_only = true;
  CHECK(refusal(new_order(s, ro)) == "new_order: reduce_only: a cash spot order cannot be reduce-only");
  SubmitOrder mpo = order(Side::kSell, OrderType::kMarket, "1");
  mpo.tif = TimeInForce::kPostOnly;
  CHECK(refusal(new_order(s, mpo)) == "new_order: tif: post-only and FOK need a limit price");
  OrderExtras q;
  q.quote_quantity = d("10");
  CHECK(refusal(new_order(btc, order(Side::kBuy, OrderType::kMarket, "0"), q)) ==
        "new_order: quote_quantity: only a spot market order trades a quote amount");
  OrderExtras tag;
  tag.tag = "a-tag";
  CHECK(refusal(new_order(s, order(Side::kBuy, OrderType::kMarket, "1"), tag)) == "new_order: tag: 1 to 16 letters and digits");
  InstrumentSpec cash_swap = btc;
  cash_swap.trade_mode = TradeMode::kCash;
  CHECK(refusal(new_order(cash_swap, order(Side::kBuy, OrderType::kMarket, "0.01"))) ==
        "new_order: instrument BTC-USDT-SWAP: a swap trades in cross or isolated mode, not cash");
}

TEST_CASE("okx amend / cancel: by ordId or clOrdId, newSz in contracts as the new total") {
  const InstrumentSpec btc = swap();
  AmendOptions opt;
  opt.cancel_on_fail = true;
  opt.req_id = "r1";
  CHECK(body(amend_order(btc, OrderRef{"617122719557050368", {}}, d("0.05"), d("55"), opt)) ==
        R"({"instId":"BTC-USDT-SWAP","ordId":"617122719557050368","cxlOnFail":true,"reqId":"r1","newSz":"5","newPx":"55"})");
  AmendOrder a;
  REQUIRE(a.client_order_id.assign("C1x"));
  a.new_price = d("100");
  CHECK(body(amend_order(btc, a)) == R"({"instId":"BTC-USDT-SWAP","clOrdId":"C1x","newPx":"100"})");
  CHECK(refusal(amend_order(btc, OrderRef{"1", {}}, d("0.015"), Decimal{})) ==
        "amend_order: newSz: not a whole number of contracts (quantity 0.015, ctVal 0.01, lotSz 1)");
  CHECK(refusal(amend_order(btc, OrderRef{"1", {}}, Decimal{}, Decimal{})) == "amend_order: quantity / price: at least one must change");
  CancelOrder c;
  REQUIRE(c.client_order_id.assign("C1x"));
  auto cr = cancel_order(spot(), c);
  CHECK(cr->path == "/api/v5/trade/cancel-order");
  CHECK(body(cr) == R"({"instId":"BTC-USDT","clOrdId":"C1x"})");
  CHECK(refusal(cancel_order(spot(), OrderRef{"1", "C1"})) == "cancel_order: order: name it by ord_id or by cl_ord_id (one of them)");
}

TEST_CASE("okx batches: JSON arrays, at most 20 orders, algo kinds refused; cancel-algos at most 10") {
  const InstrumentSpec s = spot();
  const InstrumentSpec btc = swap();
  std::vector<BatchItem> items{{&s, order(Side::kBuy, OrderType::kLimit, "0.0001", "25000"), {}},
                               {&btc, order(Side::kSell, OrderType::kMarket, "0.02"), {}}};
  auto b = batch_orders(items);
  CHECK(b->path == "/api/v5/trade/batch-orders");
  CHECK(b->order_count == 2);
  CHECK(body(b) ==
        R"([{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"0.0001","tgtCcy":"base_ccy","px":"25000"},)"
        R"({"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"market","sz":"2"}])");
  CHECK(max_batch() == 20);
  std::vector<BatchItem> many(21, items[0]);
  CHECK(refusal(batch_orders(many)) == "batch_orders: items: at most 20 a request");
  items[1].order = order(Side::kSell, OrderType::kStopLoss, "0.01", "0", "1");
  CHECK(refusal(batch_orders(items)) == "batch_orders items[1]: order_type: stop / take-profit orders are algo orders (no batch)");

  SubmitBatch sb;
  REQUIRE(sb.orders.push_back(order(Side::kBuy, OrderType::kLimit, "0.0001", "25000")));
  const InstrumentSpec* specs[] = {&s};
  CHECK(body(batch_orders(sb, specs)) ==
        R"([{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"0.0001","tgtCcy":"base_ccy","px":"25000"}])");

  const CancelItem cancels[] = {{&btc, OrderRef{"1", {}}}, {&s, OrderRef{{}, "C2"}}};
  CHECK(body(cancel_batch(cancels)) == R"([{"instId":"BTC-USDT-SWAP","ordId":"1"},{"instId":"BTC-USDT","clOrdId":"C2"}])");
  const AmendItem amends[] = {{&btc, OrderRef{"1", {}}, d("0.03"), Decimal{}, {}}};
  CHECK(body(amend_batch(amends)) == R"([{"instId":"BTC-USDT-SWAP","ordId":"1","newSz":"3"}])");
  const AlgoCancelItem algos[] = {{&btc, AlgoRef{"641788035268431872", {}}}};
  auto ca = cancel_algos(algos);
  CHECK(ca->path == "/api/v5/trade/cancel-algos");
  CHECK(body(ca) == R"([{"algoId":"641788035268431872","instId":"BTC-USDT-SWAP"}])");
  std::vector<AlgoCancelItem> eleven(11, algos[0]);
  CHECK(refusal(cancel_algos(eleven)) == "cancel_algos: items: at most 10 a request");
}

TEST_CASE("okx queries: order, pending, history with paging, fills, algo lists") {
  const InstrumentSpec btc = swap();
  CHECK(body(order_details(btc, OrderRef{{}, "C1abc"})) == "instId=BTC-USDT-SWAP&clOrdId=C1abc");
  CHECK(order_details(btc, OrderRef{{}, "C1abc"})->method == HttpMethod::kGet);
  CHECK(body(orders_pending()) == "");
  ListQuery q;
  q.inst_type = InstType::kSwap;
  q.instrument = &btc;
  q.state = "filled";
  q.after = "590908157585625111";
  q.limit = 100;
  CHECK(body(orders_history(q)) == "instType=SWAP&instId=BTC-USDT-SWAP&state=filled&after=590908157585625111&limit=100");
  CHECK(orders_history_archive(q)->path == "/api/v5/trade/orders-history-archive");
  CHECK(refusal(orders_history(ListQuery{})) == "orders_history: inst_type: required");
  q.inst_type = InstType::kSpot;
  CHECK(refusal(fills_history(q)) == "fills_history: inst_type: SPOT but instrument BTC-USDT-SWAP is SWAP");
  q.inst_type = InstType::kSwap;
  q.limit = 101;
  CHECK(refusal(fills(q)) == "fills: limit: at most 100");
  ListQuery a;
  a.instrument = &btc;
  CHECK(body(algo_orders_pending(AlgoOrdType::kConditional, a)) == "instId=BTC-USDT-SWAP&ordType=conditional");
  a.state = "effective";
  a.inst_type = InstType::kSwap;
  CHECK(body(algo_orders_history(AlgoOrdType::kTrigger, a)) == "instType=SWAP&instId=BTC-USDT-SWAP&ordType=trigger&state=effective");
  CHECK(refusal(algo_orders_history(AlgoOrdType::kTrigger, a, "123")) == "algo_orders_history: state / algo_id: exactly one");
  // One algo order, live or ended: by algoId or by algoClOrdId, never both.
  const auto one = algo_order_details(AlgoRef{"590920768125526016", {}});
  REQUIRE(one);
  CHECK(one->method == HttpMethod::kGet);
  CHECK(one->path == "/api/v5/trade/order-algo");
  CHECK(body(one) == "algoId=590920768125526016");
  CHECK(body(algo_order_details(AlgoRef{{}, "stop7"})) == "algoClOrdId=stop7");
  CHECK(refusal(algo_order_details(AlgoRef{})) == "algo_order_details: order: name it by algo_id or by algo_cl_ord_id (one of them)");
  CHECK(refusal(algo_order_details(AlgoRef{{}, "stop-7"})) == "algo_order_details: algo_cl_ord_id: 1 to 32 letters and digits");
}

TEST_CASE("okx account, funding and public builders: paths and exact fields") {
  InstrumentSpec btc = swap();
  CHECK(body(set_leverage(btc, d("5"))) == R"({"lever":"5","mgnMode":"cross","instId":"BTC-USDT-SWAP"})");
  btc.trade_mode = TradeMode::kIsolated;
  btc.long_short_mode = true;
  CHECK(refusal(set_leverage(btc, d("5"))) == "set_leverage: side: long or short (isolated, long/short mode)");
  CHECK(*set_leverage(btc, d("5"), PositionSide::kShort)->find("posSide") == "short");
  CHECK(refusal(set_leverage(spot(), d("3"))) == "set_leverage: instrument BTC-USDT: cash mode has no leverage");
  CHECK(body(set_position_mode(true)) == R"({"posMode":"long_short_mode"})");
  CHECK(account_config()->path == "/api/v5/account/config");
  CHECK(body(positions(&btc)) == "instId=BTC-USDT-SWAP&instType=SWAP");
  const InstrumentSpec s = spot();
  CHECK(refusal(positions(&s)) == "positions: instrument BTC-USDT: a swap's setting");
  CHECK(body(trade_fee(InstType::kSpot, &s)) == "instType=SPOT&instId=BTC-USDT");
  BillsQuery bq;
  bq.inst_type = InstType::kSpot;
  bq.currency = "USDT";
  bq.margin_mode = TradeMode::kIsolated;
  bq.sub_type = "160";
  CHECK(body(bills(bq)) == "instType=SPOT&ccy=USDT&mgnMode=isolated&subType=160");
  CHECK(bills_archive(bq)->path == "/api/v5/account/bills-archive");
  CHECK(body(transfer(Transfer{"USDT", d("1.5"), AccountType::kTrading, AccountType::kFunding, "t1",
                                  TransferType::kWithinAccount, {}})) ==
        R"({"ccy":"USDT","amt":"1.5","type":"0","from":"18","to":"6","clientId":"t1"})");
  CHECK(refusal(transfer(Transfer{"USDT", d("1"), AccountType::kFunding, AccountType::kFunding, {},
                                     TransferType::kWithinAccount, {}})) ==
        "transfer: to: the same account as from");
  CHECK(body(transfer_state("0")) == "transId=0");
  CHECK(body(cancel_all_after(10)) == R"({"timeOut":"10"})");
  CHECK(refusal(cancel_all_after(5)) == "cancel_all_after: seconds: 0, or 10 to 120");
  CHECK(body(close_position(swap(), std::nullopt)) == R"({"instId":"BTC-USDT-SWAP","mgnMode":"cross"})");
  CHECK(body(order_book(s, 5)) == "instId=BTC-USDT&sz=5");
  CHECK(body(candles(swap(), "1H", 100, true)) == "instId=BTC-USDT-SWAP&bar=1H&limit=100");
  CHECK(candles(swap(), "1H", 100, true)->path == "/api/v5/market/history-candles");
  CHECK(refusal(candles(swap(), "1H", 301, true)) == "candles: limit: at most 300");
  CHECK(refusal(candles(s, "1h")) == "candles: bar: 1h is not an OKX bar (1m, 1H, 1D, 1Dutc ...)");
  CHECK(body(tickers(InstType::kSwap)) == "instType=SWAP");
  CHECK(body(funding_rate(nullptr)) == "instId=ANY");
  CHECK(body(mark_price(&btc)) == "instType=SWAP&instId=BTC-USDT-SWAP");
  CHECK(body(instruments(InstType::kSwap)) == "instType=SWAP");
  CHECK(server_time()->security == Security::kNone);
  CHECK(balance()->security == Security::kSigned);
}
