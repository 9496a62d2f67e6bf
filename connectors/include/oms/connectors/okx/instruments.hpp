// OKX v5 public/instruments (GET /api/v5/public/instruments, instType SPOT and SWAP) ->
// Instruments with their rules in BASE units, and each one's contract value. The venue's
// baseCcy / quoteCcy (spot) and uly / instFamily + settleCcy (swaps) give the canonical symbol;
// nothing is guessed.
//
// Rules: tick_size = tickSz; step_size = lotSz * ctVal, min_qty = minSz * ctVal, max_qty =
// maxLmtSz * ctVal (ctVal 1 on spot). Swaps: market_max_qty = maxMktSz * ctVal. A spot
// maxMktSz is not mapped: OKX counts it in the quote currency (USDT), not in base units; the
// venue enforces it. state "live" is trading. A maximum beyond our Decimal range (maxLmtSz
// 100000000000) is no limit an order could reach: zero ("not imposed"). A size or tick finer
// than our 1e-9 skips the instrument with the reason.
//
// Mapped: SPOT -> Market::kSpot, linear SWAP -> Market::kUsdm. Skipped with the reason (never
// silently): FUTURES, OPTION, MARGIN, coin-margined (inverse) swaps, and states other than live.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/okx/requests.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"

namespace oms::okx {

struct InstrumentsError {
  std::string message;  // "instruments: data[3] (ETH-USDT-SWAP).ctVal: missing"
};

struct SkippedInstrument {
  std::string inst_id;
  std::string reason;  // "FUTURES: deliveries are not traded"
};

struct OkxInstrument {
  Instrument instrument;   // exchange kOkx; id left invalid
  Decimal contract_value;  // ctVal: base units per contract (1 on spot)
  Decimal lot_size;        // lotSz in sz units (contracts on a swap)
  InstType inst_type = InstType::kSpot;
  std::string state;       // "live"

  // The builders' view of the instrument in a trade mode (cash spot; cross / isolated swap).
  [[nodiscard]] InstrumentSpec spec(TradeMode mode, bool long_short_mode = false) const;
};

struct InstrumentsPage {
  std::vector<OkxInstrument> instruments;
  std::vector<SkippedInstrument> skipped;
};

// Parses one answer (any instType). A code other than "0" is an error quoting code and msg; a
// malformed value in a field we apply is an error naming the instrument and the field.
[[nodiscard]] Result<InstrumentsPage, InstrumentsError> parse_instruments(std::string_view body);

}  // namespace oms::okx
