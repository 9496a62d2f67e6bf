// Benchmarks of the messages library's hot paths: decimals, order filters, codecs, symbols.
//
// Every case walks a rotating set of realistic inputs (never one constant the compiler could
// fold or the branch predictor could learn), one operation per benchmark iteration, and
// reports p50/p99/p99.9 per operation (latency.hpp). Decimal parse and format have a libc
// baseline in the same process, so their ratio stays honest on a noisy machine.
// perf/run runs this binary and compares the medians with the goals.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "latency.hpp"
#include "oms/messages/codec.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/messages/symbols.hpp"
#include "testkit/random_messages.hpp"

namespace {

using oms::perf::run_timed;

// Inputs per case: a power of two (the index is masked: a division would cost as much as a
// fast operation) and large enough that branch history cannot memorize the sequence.
constexpr std::size_t kInputCount = 1024;
// Events per codec case: enough kinds and field values to defeat prediction, few enough
// that the set stays in L2 as it would for a hot ring.
constexpr std::size_t kEventCount = 256;
// Event kinds 0..9 of EventPayload: OrderSubmitted .. FillReceived, the order/fill traffic.
constexpr std::size_t kOrderEventKinds = 10;
constexpr std::uint64_t kSeed = 0x6f6d732d70657266;  // "oms-perf": fixed, so runs compare

// The mask of a power-of-two sized input set; aborts on other sizes (a setup bug).
template <class T>
std::size_t mask_of(const std::vector<T>& v) {
  if (v.empty() || (v.size() & (v.size() - 1)) != 0) std::abort();
  return v.size() - 1;
}

oms::Decimal dec(std::string_view text) {
  auto d = oms::Decimal::parse(text);
  if (!d) std::abort();  // the constants below are ours: a failure is a setup bug
  return *d;
}

// ---- decimals ------------------------------------------------------------------------------

// Prices and quantities as Binance prints them: always 8 fractional digits, of which 0 to 8
// are significant, integer parts from 0 to 8 digits.
const std::vector<std::string>& binance_numbers() {
  static const std::vector<std::string> kNumbers = [] {
    std::vector<std::string> out = {
        "61837.63000000", "0.00100000",  "1.54698000", "0.00000001", "92141578.00000000",
        "3421.17000000",  "0.04870000",  "0.00054321", "9000.00000000", "5.00000000",
        "67211.50000000", "7.12345678"};
    std::mt19937_64 rng(kSeed);
    constexpr std::uint64_t kPow10[] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000,
                                        10'000'000, 100'000'000};
    constexpr int kMaxIntDigits = 8;
    constexpr int kScale = 8;  // Binance's fractional digits (Decimal keeps 9)
    while (out.size() < kInputCount) {
      const auto int_digits = static_cast<std::size_t>(rng() % (kMaxIntDigits + 1));
      const auto decimals = static_cast<std::size_t>(rng() % (kScale + 1));
      const std::uint64_t int_part = rng() % kPow10[int_digits];
      const std::uint64_t frac = (rng() % kPow10[decimals]) * kPow10[kScale - decimals];
      char buf[32];
      std::snprintf(buf, sizeof buf, "%llu.%08llu", static_cast<unsigned long long>(int_part),
                    static_cast<unsigned long long>(frac));
      out.emplace_back(buf);
    }
    return out;
  }();
  return kNumbers;
}

void bench_decimal_parse(benchmark::State& state) {
  const auto& numbers = binance_numbers();
  const std::vector<std::string_view> texts(numbers.begin(), numbers.end());
  const std::size_t mask = mask_of(texts);
  for (auto t : texts) {
    if (!oms::Decimal::parse(t)) return state.SkipWithError("an input does not parse");
  }
  run_timed(state, [&](std::size_t i) {
    auto d = oms::Decimal::parse(texts[i & mask]);
    benchmark::DoNotOptimize(d);
  });
}

void bench_decimal_parse_strtod(benchmark::State& state) {
  const auto& texts = binance_numbers();
  const std::size_t mask = mask_of(texts);
  run_timed(state, [&](std::size_t i) {
    char* end = nullptr;
    double v = std::strtod(texts[i & mask].c_str(), &end);
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(end);
  });
}

void bench_decimal_format(benchmark::State& state) {
  std::vector<oms::Decimal> values;
  for (const auto& t : binance_numbers()) values.push_back(dec(t));
  const std::size_t mask = mask_of(values);
  char buf[oms::Decimal::kMaxChars];
  run_timed(state, [&](std::size_t i) {
    std::size_t n = values[i & mask].format(buf);
    char* out = buf;
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  });
}

void bench_decimal_format_snprintf(benchmark::State& state) {
  std::vector<double> values;
  for (const auto& t : binance_numbers()) values.push_back(std::strtod(t.c_str(), nullptr));
  const std::size_t mask = mask_of(values);
  char buf[32];
  run_timed(state, [&](std::size_t i) {
    int n = std::snprintf(buf, sizeof buf, "%.8f", values[i & mask]);
    char* out = buf;
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  });
}

// ---- order filters -------------------------------------------------------------------------

// BTCUSDT on Binance spot, with its exchangeInfo filters.
oms::Instrument btcusdt() {
  oms::Instrument inst;
  inst.id = oms::InstrumentId(0);
  inst.venue_symbol = "BTCUSDT";
  inst.symbol = oms::CanonicalSymbol{"BTC", "USDT", "", ""};
  auto& r = inst.rules;
  r.tick_size = dec("0.01");
  r.min_price = dec("0.01");
  r.max_price = dec("1000000");
  r.step_size = dec("0.00001");
  r.min_qty = dec("0.00001");
  r.max_qty = dec("9000");
  r.min_notional = dec("5");
  r.max_notional = dec("9000000");
  r.bid_band = r.ask_band = oms::PriceBand{dec("5"), dec("0.2")};
  r.max_num_orders = 200;
  r.max_num_algo_orders = 5;
  return inst;
}

struct FilterCase {
  oms::OrderShape order;
  oms::FilterContext ctx;
};

// Limit orders within +/-4% of the reference price with sub-tick prices and sub-step
// quantities (so both round), from ~4 USDT (some fail MIN_NOTIONAL, as in life) to 0.5 BTC.
std::vector<FilterCase> filter_cases() {
  const oms::Decimal reference = dec("61837.63");
  constexpr std::int64_t kBandPercent = 4;
  constexpr std::int64_t kMinQtyRaw = 70'000;        // 0.00007 BTC, about 4.3 USDT
  constexpr std::int64_t kMaxQtyRaw = 500'000'000;   // 0.5 BTC
  constexpr std::uint32_t kMaxOpenOrders = 200;      // = MAX_NUM_ORDERS: a few reject
  std::mt19937_64 rng(kSeed);
  const auto ref = static_cast<std::int64_t>(reference.raw());  // 6.2e13: an int64
  const std::int64_t spread = ref * kBandPercent / 100;
  std::uniform_int_distribution<std::int64_t> price(ref - spread, ref + spread);
  std::uniform_int_distribution<std::int64_t> qty(kMinQtyRaw, kMaxQtyRaw);
  std::vector<FilterCase> out;
  for (std::size_t i = 0; i < kInputCount; ++i) {
    FilterCase c;
    c.order.side = (rng() & 1) != 0 ? oms::Side::kBuy : oms::Side::kSell;
    c.order.type = oms::OrderType::kLimit;
    c.order.price = oms::Decimal::from_raw(price(rng));
    c.order.quantity = oms::Decimal::from_raw(qty(rng));
    c.ctx.reference_price = reference;
    c.ctx.open_orders = static_cast<std::uint32_t>(rng() % (kMaxOpenOrders + 1));
    out.push_back(c);
  }
  return out;
}

void bench_filter_check(benchmark::State& state) {
  const oms::Instrument inst = btcusdt();
  const auto cases = filter_cases();
  const std::size_t mask = mask_of(cases);
  run_timed(state, [&](std::size_t i) {
    const FilterCase& c = cases[i & mask];
    auto r = oms::apply_filters(c.order, inst, c.ctx);
    benchmark::DoNotOptimize(r);
  });
}

// ---- codecs --------------------------------------------------------------------------------

const oms::Directory& directory() {
  static const oms::Directory kDirectory = oms::testkit::sample_directory();
  return kDirectory;
}

std::vector<oms::Event> order_events() {
  oms::testkit::RandomMessages random(kSeed, directory());
  std::vector<oms::Event> out;
  for (std::size_t i = 0; i < kEventCount; ++i) out.push_back(random.event(i % kOrderEventKinds));
  return out;
}

void bench_json_codec_roundtrip(benchmark::State& state) {
  const oms::Directory& dir = directory();
  const auto events = order_events();
  const std::size_t mask = mask_of(events);
  for (const auto& e : events) {
    auto text = oms::encode_json(e, dir);
    if (!text) return state.SkipWithError("an event does not encode");
    auto back = oms::decode_event_json(*text, dir);
    if (!back || !(*back == e)) return state.SkipWithError("an event does not round-trip");
  }
  run_timed(state, [&](std::size_t i) {
    auto text = oms::encode_json(events[i & mask], dir);
    auto back = oms::decode_event_json(*text, dir);
    benchmark::DoNotOptimize(back);
  });
}

void bench_binary_codec_roundtrip(benchmark::State& state) {
  const auto events = order_events();
  const std::size_t mask = mask_of(events);
  std::array<std::byte, oms::kMaxBinarySize> buffer{};
  for (const auto& e : events) {
    auto n = oms::encode_binary(e, buffer);
    if (!n) return state.SkipWithError("an event does not encode");
    auto back = oms::decode_event_binary(std::span<const std::byte>(buffer.data(), *n));
    if (!back || !(*back == e)) return state.SkipWithError("an event does not round-trip");
  }
  // The hot path decodes into its ring slot: decode_binary(span, Event&).
  oms::Event slot;
  run_timed(state, [&](std::size_t i) {
    auto n = oms::encode_binary(events[i & mask], buffer);
    auto err = oms::decode_binary(std::span<const std::byte>(buffer.data(), *n), slot);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(slot);
  });
}

// ---- symbols -------------------------------------------------------------------------------

struct VenueCase {
  oms::ExchangeId exchange;
  oms::Market market;
  oms::CanonicalSymbol symbol;
};

// What the OMS maps when it sends orders: Binance spot and USD-M (perpetuals, deliveries),
// OKX spot and swaps, shuffled into kInputCount lookups.
std::vector<VenueCase> venue_cases() {
  using oms::ExchangeId;
  using oms::Market;
  const std::vector<VenueCase> distinct = {
      {ExchangeId::kBinance, Market::kSpot, {"BTC", "USDT", "", ""}},
      {ExchangeId::kBinance, Market::kSpot, {"ETH", "USDT", "", ""}},
      {ExchangeId::kBinance, Market::kSpot, {"SOL", "USDT", "", ""}},
      {ExchangeId::kBinance, Market::kSpot, {"BNB", "USDT", "", ""}},
      {ExchangeId::kBinance, Market::kSpot, {"DOGE", "USDT", "", ""}},
      {ExchangeId::kBinance, Market::kSpot, {"ETH", "BTC", "", ""}},
      {ExchangeId::kBinance, Market::kSpot, {"BTC", "FDUSD", "", ""}},
      {ExchangeId::kBinance, Market::kSpot, {"PEPE", "USDT", "", ""}},
      {ExchangeId::kBinance, Market::kUsdm, {"BTC", "USDT", "USDT", ""}},
      {ExchangeId::kBinance, Market::kUsdm, {"ETH", "USDT", "USDT", ""}},
      {ExchangeId::kBinance, Market::kUsdm, {"1000PEPE", "USDT", "USDT", ""}},
      {ExchangeId::kBinance, Market::kUsdm, {"SOL", "USDT", "USDT", ""}},
      {ExchangeId::kBinance, Market::kUsdm, {"BTC", "USDC", "USDC", ""}},
      {ExchangeId::kBinance, Market::kUsdm, {"BTC", "USDT", "USDT", "250328"}},
      {ExchangeId::kBinance, Market::kUsdm, {"ETH", "USDT", "USDT", "250627"}},
      {ExchangeId::kOkx, Market::kSpot, {"BTC", "USDT", "", ""}},
      {ExchangeId::kOkx, Market::kSpot, {"ETH", "USDT", "", ""}},
      {ExchangeId::kOkx, Market::kSpot, {"OKB", "USDT", "", ""}},
      {ExchangeId::kOkx, Market::kSpot, {"SOL", "USDC", "", ""}},
      {ExchangeId::kOkx, Market::kUsdm, {"BTC", "USDT", "USDT", ""}},
      {ExchangeId::kOkx, Market::kUsdm, {"ETH", "USDT", "USDT", ""}},
      {ExchangeId::kOkx, Market::kUsdm, {"DOGE", "USDT", "USDT", ""}},
      {ExchangeId::kOkx, Market::kUsdm, {"BTC", "USDT", "USDT", "250328"}},
  };
  std::mt19937_64 rng(kSeed);
  std::vector<VenueCase> out;
  for (std::size_t i = 0; i < kInputCount; ++i) out.push_back(distinct[rng() % distinct.size()]);
  return out;
}

void bench_symbol_to_venue(benchmark::State& state) {
  const auto cases = venue_cases();
  const std::size_t mask = mask_of(cases);
  for (const auto& c : cases) {
    if (!oms::to_venue(c.exchange, c.market, c.symbol))
      return state.SkipWithError("a symbol does not map");
  }
  run_timed(state, [&](std::size_t i) {
    const VenueCase& c = cases[i & mask];
    auto v = oms::to_venue(c.exchange, c.market, c.symbol);
    benchmark::DoNotOptimize(v);
  });
}

// A Binance spot map of realistic size (~200 pairs) and lookups of its venue symbols, the
// way a connector resolves each execution report.
void bench_symbol_map_canonical(benchmark::State& state) {
  static const char* const kBases[] = {
      "BTC",  "ETH",  "BNB",  "SOL",  "XRP",  "DOGE", "ADA",  "TRX",  "AVAX", "SHIB",
      "DOT",  "LINK", "MATIC", "LTC", "BCH",  "NEAR", "UNI",  "ATOM", "ETC",  "XLM",
      "FIL",  "APT",  "ARB",  "OP",   "INJ",  "SUI",  "PEPE", "WIF",  "1000SATS", "FET",
      "RNDR", "AAVE", "MKR",  "SEI",  "TIA",  "JUP",  "WLD",  "ORDI", "STX",  "IMX"};
  static const char* const kQuotes[] = {"USDT", "FDUSD", "USDC", "BTC", "ETH"};
  oms::SymbolMap map;
  std::vector<std::string> venue_symbols;
  for (const char* base : kBases) {
    for (const char* quote : kQuotes) {
      if (std::string_view(base) == quote) continue;
      std::string venue = std::string(base) + quote;
      if (!map.add(venue, oms::CanonicalSymbol{base, quote, "", ""}))
        return state.SkipWithError("the symbol map rejects a pair");
      venue_symbols.push_back(std::move(venue));
    }
  }
  std::mt19937_64 rng(kSeed);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < kInputCount; ++i)
    keys.push_back(venue_symbols[rng() % venue_symbols.size()]);
  const std::vector<std::string_view> lookups(keys.begin(), keys.end());
  const std::size_t mask = mask_of(lookups);
  run_timed(state, [&](std::size_t i) {
    const oms::CanonicalSymbol* s = map.canonical(lookups[i & mask]);
    benchmark::DoNotOptimize(s);
  });
}

}  // namespace

// Names are the figures' stems in perf/run (decimal_parse -> decimal_parse_ns).
BENCHMARK(bench_decimal_parse)->Name("decimal_parse");
BENCHMARK(bench_decimal_parse_strtod)->Name("decimal_parse_strtod");
BENCHMARK(bench_decimal_format)->Name("decimal_format");
BENCHMARK(bench_decimal_format_snprintf)->Name("decimal_format_snprintf");
BENCHMARK(bench_filter_check)->Name("filter_check");
BENCHMARK(bench_json_codec_roundtrip)->Name("json_codec_roundtrip");
BENCHMARK(bench_binary_codec_roundtrip)->Name("binary_codec_roundtrip");
BENCHMARK(bench_symbol_to_venue)->Name("symbol_to_venue");
BENCHMARK(bench_symbol_map_canonical)->Name("symbol_map_canonical");

BENCHMARK_MAIN();
