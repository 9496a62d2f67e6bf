// Benchmarks of request signing and order encoding (connectors/src/signing, src/binance):
//   sign_hmac        HMAC-SHA256 hex of a typical signed order query string (reused context)
//   sign_hmac_oneshot  baseline in the same run: OpenSSL's one-shot HMAC() (a context per call)
//   order_encode     SubmitOrder -> WireEncoder::encode (spot_new_order, render_into): the
//                    signed HttpRequest, as the engine's shard builds each new order
//   sign_okx         SubmitOrder -> okx::new_order (a BTC-USDT-SWAP limit order, sz in
//                    contracts) -> okx::render_into: the JSON body, the ISO timestamp and the
//                    Base64 HMAC-SHA256 OK-ACCESS-SIGN, into a reused HttpRequest
//   sign_jwt         SubmitOrder -> upbit::new_order (a KRW-BTC limit order with its identifier)
//                    -> upbit::render_into: the JSON body, the unencoded query string, its SHA-512
//                    query_hash, the claims and the HS512 JWT in "Authorization: Bearer", into a
//                    reused HttpRequest (nonces drawn beforehand: new_nonce() is not timed)
// Reports p50/p99/p99.9 per operation (latency.hpp); perf/run takes the mean (real_time).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "latency.hpp"
#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/binance/wire_encoder.hpp"
#include "oms/connectors/okx/requests.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/connectors/upbit/requests.hpp"

namespace {

constexpr std::string_view kSecret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
constexpr std::string_view kApiKey =
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
// A spot limit order as render() signs it (~190 bytes).
constexpr std::string_view kOrderQuery =
    "symbol=BTCUSDT&side=BUY&newClientOrderId=strat7-000000000001234&newOrderRespType=RESULT&type="
    "LIMIT"
    "&timeInForce=GTC&quantity=0.00125&price=61837.63&recvWindow=5000&timestamp=1723161255208";

void bench_sign_hmac(benchmark::State& state) {
  auto h = oms::signing::HmacSha256::create(kSecret);
  if (!h) std::abort();
  std::string out;
  out.reserve(64);
  oms::perf::run_timed(state, [&](std::size_t) {
    out.clear();
    if (!h->sign_hex(kOrderQuery, out).ok()) std::abort();
    benchmark::DoNotOptimize(out.data());
  });
}

void bench_sign_hmac_oneshot(benchmark::State& state) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  oms::perf::run_timed(state, [&](std::size_t) {
    HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
         reinterpret_cast<const unsigned char*>(kOrderQuery.data()), kOrderQuery.size(), md, &len);
    benchmark::DoNotOptimize(md);
  });
}

void bench_order_encode(benchmark::State& state) {
  auto signer = oms::signing::BinanceSigner::hmac(kSecret);
  if (!signer) std::abort();
  oms::Instrument btc;
  btc.exchange = oms::ExchangeId::kBinance;
  btc.market = oms::Market::kSpot;
  btc.venue_symbol = "BTCUSDT";
  oms::SubmitOrder o;
  o.client_order_id = "strat7-000000000001234";
  o.side = oms::Side::kBuy;
  o.order_type = oms::OrderType::kLimit;
  o.price = oms::Decimal::parse("61837.63").value();
  o.quantity = oms::Decimal::parse("0.00125").value();
  const oms::binance::WireEncoder encoder(oms::Market::kSpot);
  const oms::binance::Credentials creds{kApiKey, &signer.value(), 5000};
  oms::binance::EncodedOrder out;
  std::int64_t ts = 1'723'161'255'208;
  oms::perf::run_timed(state, [&](std::size_t i) {
    // Vary the price tick so no two requests are identical.
    o.price =
        oms::Decimal::from_raw(61'837'630'000'000 + static_cast<std::int64_t>(i & 1023) * 10'000'000);
    if (!encoder.encode(btc, o, creds, ++ts, out).ok()) std::abort();
    benchmark::DoNotOptimize(out.http.body.data());
  });
}

void bench_sign_okx(benchmark::State& state) {
  auto h = oms::signing::HmacSha256::create(kSecret);
  if (!h) std::abort();
  oms::okx::InstrumentSpec swap;
  swap.inst_id = "BTC-USDT-SWAP";
  swap.inst_type = oms::okx::InstType::kSwap;
  swap.contract_value = oms::Decimal::parse("0.01").value();
  swap.lot_size = oms::Decimal::parse("0.01").value();
  swap.trade_mode = oms::okx::TradeMode::kCross;
  oms::SubmitOrder o;
  o.client_order_id = "C1000000000000000000001234";
  o.side = oms::Side::kBuy;
  o.order_type = oms::OrderType::kLimit;
  o.quantity = oms::Decimal::parse("0.0125").value();
  const oms::okx::Credentials creds{"985d5b66-57ce-40fb-b714-afc0b9787083", "passphrase-1", &h.value(), false};
  oms::net::HttpRequest out;
  std::int64_t ts = 1'723'161'255'208;
  oms::perf::run_timed(state, [&](std::size_t i) {
    // Vary the price tick so no two requests are identical.
    o.price = oms::Decimal::from_raw(61'837'600'000'000 + static_cast<std::int64_t>(i & 1023) * 100'000'000);
    auto req = oms::okx::new_order(swap, o);
    if (!req || !oms::okx::render_into(*req, creds, ++ts, out).ok()) std::abort();
    benchmark::DoNotOptimize(out.body.data());
  });
}

void bench_sign_jwt(benchmark::State& state) {
  auto signer = oms::upbit::JwtSigner::create(kSecret);
  if (!signer) std::abort();
  oms::SubmitOrder o;
  o.client_order_id = "C1000000000000000000001234";
  o.side = oms::Side::kBuy;
  o.order_type = oms::OrderType::kLimit;
  o.quantity = oms::Decimal::parse("0.0125").value();
  const oms::upbit::Credentials creds{"xr4Ye6RQzvZ5HL9mKtFcA2sWbN7pJdGu8EyTq3Vf", &signer.value()};
  constexpr std::size_t kNonces = 1024;  // a new UUID per request, drawn before timing
  std::vector<std::string> nonces;
  nonces.reserve(kNonces);
  for (std::size_t i = 0; i < kNonces; ++i) nonces.push_back(oms::upbit::new_nonce().value());
  oms::net::HttpRequest out;
  oms::perf::run_timed(state, [&](std::size_t i) {
    // Vary the price by 1,000 KRW ticks so no two requests are identical.
    o.price = oms::Decimal::from_raw((98'000'000 + static_cast<std::int64_t>(i & 1023) * 1'000) * oms::Decimal::kOne);
    auto req = oms::upbit::new_order("KRW-BTC", o);
    if (!req || !oms::upbit::render_into(*req, creds, nonces[i % kNonces], out).ok()) std::abort();
    benchmark::DoNotOptimize(out.headers.data());
  });
}

}  // namespace

BENCHMARK(bench_sign_hmac)->Name("sign_hmac");
BENCHMARK(bench_sign_hmac_oneshot)->Name("sign_hmac_oneshot");
BENCHMARK(bench_order_encode)->Name("order_encode");
BENCHMARK(bench_sign_okx)->Name("sign_okx");
BENCHMARK(bench_sign_jwt)->Name("sign_jwt");

BENCHMARK_MAIN();
