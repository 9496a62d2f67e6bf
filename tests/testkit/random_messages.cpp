#include "testkit/random_messages.hpp"

#include <limits>

namespace oms::testkit {

Directory sample_directory() {
  Directory d;
  for (const char* a : {"main", "sub_spot_arb", "sub_futures_trend", "sub_market_making", "okx-arb"})
    (void)d.accounts.intern(a);
  for (const char* s : {"arbitrage", "market_making", "trend_following"}) (void)d.strategies.intern(s);
  for (const char* i : {"binance:spot:BTC/USDT", "binance:usdm:BTC/USDT:USDT", "okx:spot:ETH/USDT",
                        "upbit:spot:BTC/KRW"})
    (void)d.instruments.intern(i);
  return d;
}

std::int64_t RandomMessages::decimal_raw() {
  switch (pick(5)) {
    case 0: return 0;
    case 1: return std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(pick(3));
    case 2: return std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(pick(3));
    case 3: return static_cast<std::int64_t>(pick(10'000'000'000)) * 1'000'000;  // round prices
    default: return static_cast<std::int64_t>(rng_());
  }
}

std::string RandomMessages::text(std::size_t capacity) {
  // ASCII, characters JSON must escape, and multi-byte UTF-8.
  static const char* const kPieces[] = {"a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\x01",
                                        "/", "é", "한", "€", "😀", "-", "_", "."};
  std::string out;
  const std::size_t want = pick(capacity + 1);
  while (out.size() < want) {
    const std::string piece = kPieces[pick(std::size(kPieces))];
    if (out.size() + piece.size() > capacity) break;
    out += piece;
  }
  return out;
}

Event RandomMessages::event(std::size_t kind) {
  Event e;
  fill(e.envelope);
  codec::with_alternative<EventPayload>(kind, [&]<std::size_t I>() { fill(e.payload.emplace<I>()); });
  return e;
}

Command RandomMessages::command(std::size_t kind) {
  Command c;
  fill(c.envelope);
  codec::with_alternative<CommandPayload>(kind, [&]<std::size_t I>() { fill(c.payload.emplace<I>()); });
  return c;
}

}  // namespace oms::testkit
