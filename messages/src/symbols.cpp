#include "oms/messages/symbols.hpp"

#include <algorithm>

namespace oms {
namespace {

constexpr std::size_t kMaxAssetLen = 20;
constexpr std::size_t kExpiryLen = 6;  // YYMMDD

bool valid_asset(std::string_view a) {
  return !a.empty() && a.size() <= kMaxAssetLen &&
         std::all_of(a.begin(), a.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

bool valid_expiry(std::string_view e) {
  if (e.size() != kExpiryLen) return false;
  if (!std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  const int month = (e[2] - '0') * 10 + (e[3] - '0');
  const int day = (e[4] - '0') * 10 + (e[5] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

Unexpected<SymbolError> fail(std::string msg) { return Unexpected{SymbolError{std::move(msg)}}; }

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Splits s at the first occurrence of sep.
bool split(std::string_view s, char sep, std::string_view& head, std::string_view& tail) {
  const auto p = s.find(sep);
  if (p == std::string_view::npos) return false;
  head = s.substr(0, p);
  tail = s.substr(p + 1);
  return true;
}

Result<CanonicalSymbol, SymbolError> make(std::string_view text, std::string_view base,
                                          std::string_view quote, std::string_view settle,
                                          std::string_view expiry) {
  if (!valid_asset(base)) return fail("symbol " + quoted(text) + ": bad base asset " + quoted(base));
  if (!valid_asset(quote)) return fail("symbol " + quoted(text) + ": bad quote asset " + quoted(quote));
  if (!settle.empty() && !valid_asset(settle))
    return fail("symbol " + quoted(text) + ": bad settle asset " + quoted(settle));
  if (!expiry.empty() && !valid_expiry(expiry))
    return fail("symbol " + quoted(text) + ": bad expiry " + quoted(expiry) + " (want YYMMDD)");
  return CanonicalSymbol{std::string(base), std::string(quote), std::string(settle),
                         std::string(expiry)};
}

Result<bool, SymbolError> check_market(ExchangeId ex, Market m, const CanonicalSymbol& s) {
  const auto kind = s.kind();
  const bool spot_market = m == Market::kSpot;
  if (spot_market != (kind == ContractKind::kSpot)) {
    return fail("symbol " + quoted(s.to_string()) + " cannot trade on " +
                std::string(to_string(ex)) + " " + std::string(to_string(m)));
  }
  if (m == Market::kUsdm && s.settle != s.quote)
    return fail("symbol " + quoted(s.to_string()) + ": usdm contracts settle in the quote asset");
  if (m == Market::kCoinm && s.settle != s.base)
    return fail("symbol " + quoted(s.to_string()) + ": coinm contracts settle in the base asset");
  return true;
}

}  // namespace

std::string CanonicalSymbol::to_string() const {
  std::string out = base + "/" + quote;
  if (!settle.empty()) out += ":" + settle;
  if (!expiry.empty()) out += "-" + expiry;
  return out;
}

Result<CanonicalSymbol, SymbolError> parse_canonical(std::string_view s) {
  std::string_view base, rest;
  if (!split(s, '/', base, rest)) return fail("symbol " + quoted(s) + ": expected BASE/QUOTE");
  std::string_view quote = rest, settle, expiry;
  if (std::string_view q, tail; split(rest, ':', q, tail)) {
    quote = q;
    settle = tail;
    if (std::string_view st, ex; split(tail, '-', st, ex)) {
      settle = st;
      expiry = ex;
      if (expiry.empty()) return fail("symbol " + quoted(s) + ": empty expiry");
    }
    if (settle.empty()) return fail("symbol " + quoted(s) + ": empty settle asset after ':'");
  }
  return make(s, base, quote, settle, expiry);
}

Result<std::string, SymbolError> to_venue(ExchangeId ex, Market m, const CanonicalSymbol& s) {
  if (auto ok = check_market(ex, m, s); !ok) return Unexpected{std::move(ok).error()};
  const auto kind = s.kind();
  switch (ex) {
    case ExchangeId::kBinance:
      if (kind == ContractKind::kSpot) return s.base + s.quote;
      if (kind == ContractKind::kPerpetual)
        return m == Market::kCoinm ? s.base + s.quote + "_PERP" : s.base + s.quote;
      return s.base + s.quote + "_" + s.expiry;
    case ExchangeId::kBybit:
      if (kind == ContractKind::kDelivery)
        return fail("symbol " + quoted(s.to_string()) + ": bybit deliveries are not mapped");
      return s.base + s.quote;
    case ExchangeId::kOkx:
      if (kind == ContractKind::kSpot) return s.base + "-" + s.quote;
      if (kind == ContractKind::kPerpetual) return s.base + "-" + s.quote + "-SWAP";
      return s.base + "-" + s.quote + "-" + s.expiry;
    case ExchangeId::kUpbit:
      if (m != Market::kSpot) return fail("upbit lists spot markets only");
      return s.quote + "-" + s.base;
  }
  return fail("unknown exchange");
}

Result<CanonicalSymbol, SymbolError> from_venue(ExchangeId ex, Market m, std::string_view v,
                                                std::string_view base, std::string_view quote,
                                                std::string_view settle) {
  auto finish = [&](Result<CanonicalSymbol, SymbolError> r) -> Result<CanonicalSymbol, SymbolError> {
    if (!r) return r;
    if ((!base.empty() && r->base != base) || (!quote.empty() && r->quote != quote))
      return fail(std::string(to_string(ex)) + " symbol " + quoted(v) + " disagrees with base " +
                  quoted(base) + " / quote " + quoted(quote));
    if (auto ok = check_market(ex, m, *r); !ok) return Unexpected{std::move(ok).error()};
    // Round trip must give the venue symbol back, or the mapping is ambiguous.
    auto back = to_venue(ex, m, *r);
    if (!back || *back != v)
      return fail(std::string(to_string(ex)) + " symbol " + quoted(v) + " does not round-trip");
    return r;
  };
  const std::string_view settle_for_market =
      !settle.empty() ? settle : (m == Market::kUsdm ? quote : (m == Market::kCoinm ? base : ""));
  switch (ex) {
    case ExchangeId::kBinance:
    case ExchangeId::kBybit: {
      if (base.empty() || quote.empty())
        return fail(std::string(to_string(ex)) + " symbol " + quoted(v) +
                    ": base and quote come from the instrument list");
      std::string_view expiry;
      const std::string concat = std::string(base) + std::string(quote);
      std::string_view rest = v;
      if (rest.substr(0, concat.size()) != concat)
        return fail(std::string(to_string(ex)) + " symbol " + quoted(v) + " is not " +
                    quoted(base) + " + " + quoted(quote));
      rest.remove_prefix(concat.size());
      if (m == Market::kCoinm && rest == "_PERP") rest = {};
      if (!rest.empty()) {
        if (rest.front() != '_')
          return fail(std::string(to_string(ex)) + " symbol " + quoted(v) + ": unexpected suffix");
        expiry = rest.substr(1);
      }
      return finish(make(v, base, quote, settle_for_market, expiry));
    }
    case ExchangeId::kOkx: {
      std::string_view b, q, tail;
      if (!split(v, '-', b, tail)) return fail("okx symbol " + quoted(v) + ": expected BASE-QUOTE");
      q = tail;
      std::string_view suffix;
      if (std::string_view q2, s2; split(tail, '-', q2, s2)) {
        q = q2;
        suffix = s2;
      }
      if (m == Market::kSpot) {
        if (!suffix.empty()) return fail("okx spot symbol " + quoted(v) + " has a contract suffix");
        return finish(make(v, b, q, "", ""));
      }
      const std::string_view st = m == Market::kUsdm ? q : b;
      if (suffix == "SWAP") return finish(make(v, b, q, settle.empty() ? st : settle, ""));
      return finish(make(v, b, q, settle.empty() ? st : settle, suffix));
    }
    case ExchangeId::kUpbit: {
      std::string_view q, b;
      if (!split(v, '-', q, b)) return fail("upbit symbol " + quoted(v) + ": expected QUOTE-BASE");
      return finish(make(v, b, q, "", ""));
    }
  }
  return fail("unknown exchange");
}

Result<bool, SymbolError> SymbolMap::add(const std::string& venue_symbol,
                                         const CanonicalSymbol& canonical) {
  const std::string key = canonical.to_string();
  auto a = to_canonical_.find(venue_symbol);
  auto b = to_venue_.find(key);
  if (a != to_canonical_.end() && !(a->second == canonical))
    return fail("venue symbol " + quoted(venue_symbol) + " maps to both " +
                quoted(a->second.to_string()) + " and " + quoted(key));
  if (b != to_venue_.end() && b->second != venue_symbol)
    return fail("symbol " + quoted(key) + " maps to both " + quoted(b->second) + " and " +
                quoted(venue_symbol));
  to_canonical_.emplace(venue_symbol, canonical);
  to_venue_.emplace(key, venue_symbol);
  return true;
}

const CanonicalSymbol* SymbolMap::canonical(std::string_view venue_symbol) const {
  auto it = to_canonical_.find(std::string(venue_symbol));
  return it == to_canonical_.end() ? nullptr : &it->second;
}

const std::string* SymbolMap::venue(std::string_view canonical) const {
  auto it = to_venue_.find(std::string(canonical));
  return it == to_venue_.end() ? nullptr : &it->second;
}

}  // namespace oms
