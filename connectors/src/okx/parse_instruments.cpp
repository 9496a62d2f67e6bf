// OKX v5 public/instruments -> Instruments (see instruments.hpp for which field feeds which rule).
#include <simdjson.h>

#include "oms/connectors/okx/instruments.hpp"
#include "oms/messages/symbols.hpp"

namespace oms::okx {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

std::string str(object o, std::string_view field) {
  std::string_view v;
  if (o[field].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

// A decimal written as a string ("0.001"); missing, empty or negative is an error naming it.
Result<Decimal, std::string> decimal(object o, std::string_view field) {
  std::string_view text;
  if (o[field].get_string().get(text) != simdjson::SUCCESS || text.empty()) {
    return Unexpected{std::string(field) + (o[field].error() == simdjson::NO_SUCH_FIELD ? ": missing" : ": expected a decimal string")};
  }
  const auto d = Decimal::parse(text);
  if (!d) return Unexpected{std::string(field) + ": " + to_string(d.error()) + ": '" + std::string(text) + "'"};
  if (d->is_negative()) return Unexpected{std::string(field) + ": negative: '" + std::string(text) + "'"};
  return *d;
}

// value * ctVal, exact; an error naming the field when it does not fit.
Result<Decimal, std::string> in_base(Decimal value, Decimal ct_val, std::string_view field) {
  auto r = value.mul(ct_val, Rounding::kExact);
  if (!r) return Unexpected{std::string(field) + " * ctVal: " + to_string(r.error())};
  return *r;
}

// Why an instrument of the answer is not mapped; empty when it is.
std::string skip_reason(std::string_view inst_type, object s) {
  if (inst_type == "FUTURES") return "FUTURES: deliveries are not traded";
  if (inst_type == "OPTION") return "OPTION: options are not traded";
  if (inst_type == "MARGIN") return "MARGIN: margin pairs are traded as their SPOT instrument";
  if (inst_type != "SPOT" && inst_type != "SWAP") return "instType '" + std::string(inst_type) + "': not traded";
  if (inst_type == "SWAP") {
    const std::string ct_type = str(s, "ctType");
    if (ct_type == "inverse") return "SWAP ctType inverse: coin-margined swaps are not traded";
    if (ct_type != "linear") return "SWAP ctType '" + ct_type + "': only linear swaps are mapped";
  }
  const std::string state = str(s, "state");
  if (state != "live") return "state '" + state + "': not live";
  return {};
}

}  // namespace

InstrumentSpec OkxInstrument::spec(TradeMode mode, bool long_short_mode) const {
  InstrumentSpec s;
  s.inst_id = instrument.venue_symbol;
  s.inst_type = inst_type;
  s.contract_value = contract_value;
  s.lot_size = lot_size;
  s.trade_mode = mode;
  s.long_short_mode = long_short_mode;
  return s;
}

Result<InstrumentsPage, InstrumentsError> parse_instruments(std::string_view body) {
  auto fail = [](std::string m) { return Unexpected{InstrumentsError{"instruments: " + std::move(m)}}; };
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  element doc;
  if (auto e = parser.parse(padded).get(doc); e != simdjson::SUCCESS)
    return fail(std::string("malformed JSON: ") + simdjson::error_message(e));
  std::string_view code;
  if (doc["code"].get_string().get(code) != simdjson::SUCCESS) return fail("code: missing");
  if (code != "0") {
    std::string_view msg;
    if (doc["msg"].get_string().get(msg) != simdjson::SUCCESS) msg = "(no msg)";
    return fail("code " + std::string(code) + ": " + std::string(msg));
  }
  simdjson::dom::array data;
  if (doc["data"].get_array().get(data) != simdjson::SUCCESS) return fail("data: missing");
  InstrumentsPage page;
  page.instruments.reserve(data.size());
  std::size_t index = 0;
  for (element item : data) {
    const std::string at = "data[" + std::to_string(index++) + "]";
    object s;
    if (item.get_object().get(s) != simdjson::SUCCESS) return fail(at + ": expected an object");
    const std::string inst_id = str(s, "instId"), inst_type = str(s, "instType");
    if (inst_id.empty()) return fail(at + ".instId: missing");
    const std::string where = at + " (" + inst_id + ")";
    if (inst_type.empty()) return fail(where + ".instType: missing");
    if (std::string why = skip_reason(inst_type, s); !why.empty()) {
      page.skipped.push_back({inst_id, std::move(why)});
      continue;
    }
    OkxInstrument out;
    const bool swap = inst_type == "SWAP";
    out.inst_type = swap ? InstType::kSwap : InstType::kSpot;
    out.state = str(s, "state");
    Instrument& in = out.instrument;
    in.exchange = ExchangeId::kOkx;
    in.market = swap ? Market::kUsdm : Market::kSpot;
    in.venue_symbol = inst_id;
    std::string base, quote, settle;
    if (swap) {
      // A linear swap lists no baseCcy / quoteCcy: its underlying "BTC-USDT" names them.
      std::string family = str(s, "instFamily");
      if (family.empty()) family = str(s, "uly");
      const auto dash = family.find('-');
      if (dash == std::string::npos) return fail(where + ".uly: expected BASE-QUOTE, got '" + family + "'");
      base = family.substr(0, dash);
      quote = family.substr(dash + 1);
      settle = str(s, "settleCcy");
      if (settle.empty()) return fail(where + ".settleCcy: missing");
    } else {
      base = str(s, "baseCcy");
      quote = str(s, "quoteCcy");
      if (base.empty() || quote.empty()) return fail(where + ": missing baseCcy or quoteCcy");
    }
    auto symbol = from_venue(ExchangeId::kOkx, in.market, inst_id, base, quote, settle);
    if (!symbol) {
      page.skipped.push_back({inst_id, symbol.error().message});
      continue;
    }
    in.symbol = std::move(symbol).value();
    in.trading = true;  // only live instruments get here

    // A field we cannot hold in 1e-9 decimals (a tick finer than that) skips the instrument
    // with the reason; a maximum beyond our range (maxLmtSz 100000000000) is no limit we could
    // reach, so it maps to zero ("not imposed"); anything else malformed is an error.
    std::string skip;
    auto field = [&](std::string_view name, bool is_max) -> Result<Decimal, std::string> {
      std::string_view text;
      if (s[name].get_string().get(text) == simdjson::SUCCESS) {
        const auto d = Decimal::parse(text);
        if (!d && d.error() == DecimalError::kTooPrecise && skip.empty())
          skip = std::string(name) + " '" + std::string(text) + "': finer than 1e-9";
        if (!d && d.error() == DecimalError::kOverflow && is_max) return Decimal{};
      }
      return decimal(s, name);
    };
    auto scaled = [&](Decimal v, Decimal ct, std::string_view name, bool is_max) -> Result<Decimal, std::string> {
      auto r = v.mul(ct, Rounding::kExact);
      if (!r && r.error() == DecimalError::kOverflow && is_max) return Decimal{};
      if (!r && r.error() == DecimalError::kInexact && skip.empty())
        skip = std::string(name) + " * ctVal: finer than 1e-9";
      return in_base(v, ct, name);
    };
    Decimal ct_val = Decimal::from_raw(Decimal::kOne);
    if (swap) {
      auto c = field("ctVal", false);
      if (!c && skip.empty()) return fail(where + "." + c.error());
      if (c && !c->is_positive()) return fail(where + ".ctVal: must be positive");
      if (c) ct_val = *c;
    }
    out.contract_value = ct_val;
    auto tick = field("tickSz", false);
    auto lot = field("lotSz", false);
    auto min = field("minSz", false);
    auto max_limit = field("maxLmtSz", true);
    auto max_market = swap ? field("maxMktSz", true) : Result<Decimal, std::string>(Decimal{});
    if (skip.empty()) {
      for (const auto* r : {&tick, &lot, &min, &max_limit, &max_market}) {
        if (!*r) return fail(where + "." + r->error());
      }
      if (!tick->is_positive()) return fail(where + ".tickSz: must be positive");
      if (!lot->is_positive()) return fail(where + ".lotSz: must be positive");
    }
    Result<Decimal, std::string> step = Decimal{}, min_qty = Decimal{}, max_qty = Decimal{}, market_max = Decimal{};
    if (skip.empty()) {
      step = scaled(*lot, ct_val, "lotSz", false);
      min_qty = scaled(*min, ct_val, "minSz", false);
      max_qty = scaled(*max_limit, ct_val, "maxLmtSz", true);
      market_max = scaled(*max_market, ct_val, "maxMktSz", true);
    }
    if (!skip.empty()) {
      page.skipped.push_back({inst_id, std::move(skip)});
      continue;
    }
    for (const auto* r : {&step, &min_qty, &max_qty, &market_max}) {
      if (!*r) return fail(where + "." + r->error());
    }
    out.lot_size = *lot;
    InstrumentRules& rules = in.rules;
    rules.tick_size = *tick;
    rules.step_size = *step;
    rules.min_qty = *min_qty;
    rules.max_qty = *max_qty;
    rules.market_max_qty = *market_max;
    page.instruments.push_back(std::move(out));
  }
  return page;
}

}  // namespace oms::okx
