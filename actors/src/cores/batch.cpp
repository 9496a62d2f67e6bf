#include "oms/cores/batch.hpp"

#include <algorithm>

#include "oms/cores/event_group.hpp"

namespace oms::actors {

namespace {

// The venues' documented limits (batch.hpp).
constexpr std::size_t kBinanceUsdmBatch = 5;
constexpr std::size_t kBybitSpotBatch = 10;
constexpr std::size_t kBybitLinearBatch = 20;
constexpr std::size_t kOkxBatch = 20;
// Keeps a batch order's ids apart from the desk's own derived causes (timers, cancel-all).
constexpr std::uint64_t kBatchSalt = 0xBA7C4ULL << 40U;

}  // namespace

std::size_t venue_batch_limit(ExchangeId exchange, Market market) noexcept {
  switch (exchange) {
    case ExchangeId::kBinance: return market == Market::kUsdm ? kBinanceUsdmBatch : 1;
    case ExchangeId::kBybit:
      return market == Market::kSpot ? kBybitSpotBatch
             : market == Market::kUsdm ? kBybitLinearBatch
                                       : 1;
    case ExchangeId::kOkx: return kOkxBatch;
    case ExchangeId::kUpbit: return 1;
  }
  return 1;
}

std::size_t batch_command_size(ExchangeId exchange, Market market) noexcept {
  const std::size_t venue = venue_batch_limit(exchange, market);
  return venue <= 1 ? kMaxBatchOrders : std::min(venue, kMaxBatchOrders);
}

std::vector<SubmitBatch> split_batch(AccountId account, std::span<const SubmitOrder> orders,
                                     std::size_t per) {
  per = std::clamp<std::size_t>(per, 1, kMaxBatchOrders);
  std::vector<SubmitBatch> out;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    if (i % per == 0) out.push_back(SubmitBatch{account, {}});
    (void)out.back().orders.push_back(orders[i]);  // at most per <= capacity each
  }
  return out;
}

std::vector<Command> batch_commands(const Command& batch) {
  std::vector<Command> out;
  const auto* b = std::get_if<SubmitBatch>(&batch.payload);
  if (b == nullptr) return out;
  out.reserve(b->orders.size());
  for (std::size_t i = 0; i < b->orders.size(); ++i) {
    Envelope e = batch.envelope;
    // group_key is a bijection before its truncation: distinct (batch, place) give distinct
    // ids; +1 keeps them non-zero.
    if (batch.envelope.id != 0) e.id = group_key(batch.envelope.id ^ kBatchSalt ^ ((i + 1) * 0x9E3779B97F4A7C15ULL)) + 1;
    e.causation_id = batch.envelope.id;
    if (e.correlation_id == 0) e.correlation_id = batch.envelope.id;
    out.push_back(Command{e, b->orders.items[i]});
  }
  return out;
}

}  // namespace oms::actors
