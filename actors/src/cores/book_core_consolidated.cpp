// ConsolidatedBook: best fee-inclusive bid and ask across venues' books.
#include "oms/cores/book_core.hpp"

namespace oms {

namespace {

// A book whose top can be traded on: live, and not crossed (a crossed book is inconsistent).
bool usable(const BookCore& b) noexcept {
  return b.state() == BookState::kLive && !b.crossed();
}

}  // namespace

Result<Unit, ConsolidatedError> ConsolidatedBook::add(BookVenue venue, const BookCore& book,
                                                      Decimal taker_fee) {
  const Decimal one = Decimal::from_raw(Decimal::kOne);
  if (taker_fee.is_negative() || taker_fee >= one) {
    return Unexpected{ConsolidatedError::kInvalidFee};
  }
  // Cannot fail: 0 <= fee < 1.
  const Decimal buy = one.add(taker_fee).value();
  const Decimal sell = one.sub(taker_fee).value();
  sources_.push_back(Source{venue, &book, buy, sell});
  return Unit{};
}

Result<std::optional<ConsolidatedQuote>, ConsolidatedError> ConsolidatedBook::best_buy() const {
  std::optional<ConsolidatedQuote> best;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const Source& s = sources_[i];
    if (!usable(*s.book)) continue;
    const std::optional<PriceLevel> ask = s.book->best_ask();
    if (!ask) continue;
    // We pay the fee on top: round the effective price up, against us.
    const auto effective = ask->price.mul(s.buy_factor, Rounding::kCeiling);
    if (!effective) return Unexpected{ConsolidatedError::kOverflow};
    if (!best || *effective < best->effective_price) {  // strict: ties keep the earlier book
      best = ConsolidatedQuote{*effective, ask->price, ask->quantity, s.venue, i};
    }
  }
  return best;
}

Result<std::optional<ConsolidatedQuote>, ConsolidatedError> ConsolidatedBook::best_sell() const {
  std::optional<ConsolidatedQuote> best;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const Source& s = sources_[i];
    if (!usable(*s.book)) continue;
    const std::optional<PriceLevel> bid = s.book->best_bid();
    if (!bid) continue;
    // The fee comes off what we receive: round the effective price down, against us.
    const auto effective = bid->price.mul(s.sell_factor, Rounding::kFloor);
    if (!effective) return Unexpected{ConsolidatedError::kOverflow};
    if (!best || *effective > best->effective_price) {
      best = ConsolidatedQuote{*effective, bid->price, bid->quantity, s.venue, i};
    }
  }
  return best;
}

}  // namespace oms
