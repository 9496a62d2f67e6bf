#include "oms/cores/valuation.hpp"

#include <limits>
#include <map>

namespace oms::actors {

QuoteSource usdt_rate_of(const InstrumentTable& instruments, std::string_view asset, ExchangeId prefer) {
  if (asset == "USDT") return {};
  QuoteSource best{InstrumentId{}, false, true};
  int best_score = -1;
  for (std::uint32_t i = 0; i < instruments.size(); ++i) {
    const InstrumentId id(static_cast<InstrumentId::rep_type>(i));
    const InstrumentAssets* a = instruments.find(id);
    if (a == nullptr || a->market != Market::kSpot) continue;
    const bool direct = a->base.view() == asset && a->quote.view() == "USDT";
    const bool inverse = a->base.view() == "USDT" && a->quote.view() == asset;
    if (!direct && !inverse) continue;
    const int score = (a->exchange == prefer ? 2 : 0) + (direct ? 1 : 0);
    if (score > best_score) {
      best_score = score;
      best = QuoteSource{id, inverse, false};
    }
  }
  return best;
}

std::vector<QuoteSource> quote_sources(const InstrumentTable& instruments, std::vector<std::string>* notes) {
  std::vector<QuoteSource> out(instruments.size());
  std::map<std::string, std::size_t, std::less<>> unpriced;  // quote -> instruments
  for (std::uint32_t i = 0; i < instruments.size(); ++i) {
    const InstrumentAssets* a = instruments.find(InstrumentId(static_cast<InstrumentId::rep_type>(i)));
    if (a == nullptr || a->quote.view() == "USDT") continue;
    out[i] = usdt_rate_of(instruments, a->quote.view(), a->exchange);
    if (out[i].unpriced) ++unpriced[std::string(a->quote.view())];
  }
  if (notes != nullptr) {
    for (const auto& [quote, n] : unpriced) {
      notes->push_back("risk: no spot instrument prices " + quote + " in USDT (" + quote + "/USDT or USDT/" + quote +
                       "): the " + std::to_string(n) + " instruments quoted in " + quote +
                       " are not valued, and their orders that add risk are refused");
    }
  }
  return out;
}

std::optional<Decimal> usdt_value(const QuoteSource& source, Decimal amount, std::span<const Decimal> marks) noexcept {
  if (source.unpriced) return std::nullopt;
  if (!source.rate.valid()) return amount;
  if (source.rate.index() >= marks.size() || !marks[source.rate.index()].is_positive()) return std::nullopt;
  const Decimal rate = marks[source.rate.index()];
  const auto v = source.inverse ? amount.div(rate, Rounding::kHalfEven) : amount.mul(rate, Rounding::kHalfEven);
  if (!v) return std::nullopt;
  return *v;
}

std::vector<PremiumPair> premium_pairs(const InstrumentTable& instruments, ExchangeId reference) {
  std::vector<PremiumPair> out;
  for (std::uint32_t i = 0; i < instruments.size(); ++i) {
    const InstrumentId id(static_cast<InstrumentId::rep_type>(i));
    const InstrumentAssets* a = instruments.find(id);
    if (a == nullptr || a->market != Market::kSpot || a->exchange == reference || a->quote.view() == "USDT" ||
        a->base.view() == "USDT") {
      continue;
    }
    const QuoteSource rate = usdt_rate_of(instruments, a->quote.view(), a->exchange);
    if (rate.unpriced || !rate.inverse) continue;  // a fiat-like quote: USDT/QUOTE prices it
    for (std::uint32_t j = 0; j < instruments.size(); ++j) {
      const InstrumentId rid(static_cast<InstrumentId::rep_type>(j));
      const InstrumentAssets* r = instruments.find(rid);
      if (r == nullptr || r->exchange != reference || r->market != Market::kSpot || r->base != a->base ||
          r->quote.view() != "USDT") {
        continue;
      }
      out.push_back(PremiumPair{id, rate.rate, rid});
      break;
    }
  }
  return out;
}

std::optional<Decimal> premium_bps(Decimal local, Decimal rate, Decimal reference) noexcept {
  if (!local.is_positive() || !rate.is_positive() || !reference.is_positive()) return std::nullopt;
  // local / (rate x reference) with raws at 1e-9: L x 1e9 / (R x F); in bps at 1e-9: x 1e13,
  // so q = L x 1e22 / (R x F). L x 1e22 leaves an Int128 for KRW prices, so the quotient is
  // taken in two steps: L x 1e13 / D, then its remainder x 1e9 / D (each product checked).
  constexpr Int128 kHead = 10'000'000'000'000;  // 1e13
  constexpr Int128 kTail = Decimal::kOne;        // 1e9
  Int128 den = 0, head = 0;
  if (__builtin_mul_overflow(rate.raw(), reference.raw(), &den) ||
      __builtin_mul_overflow(local.raw(), kHead, &head)) {
    return std::nullopt;
  }
  Int128 whole = 0, rest = 0, part = 0;
  if (__builtin_mul_overflow(head / den, kTail, &whole) ||
      __builtin_mul_overflow(head % den, kTail, &rest)) {
    return std::nullopt;
  }
  (void)round_quotient(rest, den, Rounding::kHalfEven, part);
  return Decimal::from_raw(whole + part - kHead);  // minus 1 (x 1e4 bps x 1e9)
}

UsdtPricing::UsdtPricing(const InstrumentTable& instruments) {
  std::map<std::string, bool, std::less<>> seen;
  for (std::uint32_t i = 0; i < instruments.size(); ++i) {
    const InstrumentAssets* a = instruments.find(InstrumentId(static_cast<InstrumentId::rep_type>(i)));
    if (a == nullptr || a->market != Market::kSpot) continue;
    for (const AssetCode& asset : {a->base, a->quote}) {
      if (asset.view() == "USDT" || !seen.emplace(std::string(asset.view()), true).second) continue;
      // The account's exchange is not known here: a direct pair anywhere before an inverse one.
      const QuoteSource s = usdt_rate_of(instruments, asset.view(), a->exchange);
      if (!s.unpriced && s.rate.valid()) priced_.push_back(Priced{asset, s.rate, s.inverse});
    }
  }
}

Decimal UsdtPricing::equity(const AccountCore& account, std::span<const Decimal> marks) const {
  Decimal equity;
  for (const Balance& b : account.balances()) {
    const auto total = b.free.add(b.locked);
    if (!total) continue;
    Decimal value;
    if (b.asset.view() == "USDT") {
      value = *total;
    } else {
      const Priced* p = nullptr;
      for (const Priced& x : priced_) {
        if (x.asset == b.asset) p = &x;
      }
      if (p == nullptr || p->instrument.index() >= marks.size()) continue;
      const Decimal mark = marks[p->instrument.index()];
      if (!mark.is_positive()) continue;
      const auto product = p->inverse ? total->div(mark, Rounding::kDown) : total->mul(mark, Rounding::kDown);
      if (!product) continue;
      value = *product;
    }
    if (const auto sum = equity.add(value)) equity = *sum;
  }
  return equity;
}

}  // namespace oms::actors
