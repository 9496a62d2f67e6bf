// OKX market data's two readers (private to connectors/src/okx; tests pin them):
// parse_market_data() tries scan_book() first and reads with read_market_data() when the scan is
// not taken.
#pragma once

#include <string_view>

#include "oms/connectors/okx/market_data.hpp"

namespace oms::okx::detail {

// The fast path for the public stream's most frequent message, a books push as OKX sends it:
// {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["30243.5",
// "1.2112","0","6"],...],"bids":[...],"ts":"1652459225453","checksum":-652563973,"prevSeqId":..,
// "seqId":..}]} (books, books-l2-tbt, books50-l2-tbt). One pass over the bytes, no DOM; it takes
// only that shape -- arg first, known keys once each, strings of plain ASCII, numbers as OKX
// writes them -- and returns false on anything else with `out` unspecified: the general reader
// then decides, and alone names errors. When it returns true, `out` is exactly what the general
// reader gives for the same text (connectors_okx_parse_tests hold the two equal on the recorded
// capture and on mutations of it).
[[nodiscard]] bool scan_book(std::string_view text, const InstrumentFinder& find, MarketMessage& out);

// The general reader (simdjson on-demand): every channel, any layout, errors naming the field.
[[nodiscard]] Result<MarketMessageKind, ParseError> read_market_data(JsonParser& parser,
                                                                     std::string_view text,
                                                                     const InstrumentFinder& find,
                                                                     MarketMessage& out);

// What both readers clear before they read (the vectors keep their capacity).
void reset_message(MarketMessage& out);

}  // namespace oms::okx::detail
