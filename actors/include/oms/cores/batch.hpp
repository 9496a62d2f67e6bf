// Batches of new orders: how many one venue request may carry, a request of any length cut
// into SubmitBatch commands, and a SubmitBatch cut into the SubmitOrder commands the order desk
// runs one by one (the one order path: risk inline, its own OrderSubmitted, its own answer).
// Pure: messages/ only.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "oms/messages/commands.hpp"

namespace oms::actors {

// The most new orders one request of the venue's batch endpoint carries; 1: the venue has
// none (its orders go as singles, side by side). From the venues' documentation:
//   Binance USD-M  POST /fapi/v1/batchOrders     5
//   Binance spot   none (order lists are OCO/OTO, not batches)
//   Bybit v5       POST /v5/order/create-batch   10 spot, 20 linear
//   OKX v5         POST /api/v5/trade/batch-orders 20
//   Upbit          none (batch cancel only)
[[nodiscard]] std::size_t venue_batch_limit(ExchangeId exchange, Market market) noexcept;

// What one SubmitBatch carries for this venue: the venue's limit, at most kMaxBatchOrders (a
// command is fixed-size and travels the rings by copy: every command is as large as the largest,
// so the command holds 5 orders -- Binance USD-M's limit, the smallest native one). A venue
// without a batch endpoint takes kMaxBatchOrders per command too; its session sends them as
// singles.
[[nodiscard]] std::size_t batch_command_size(ExchangeId exchange, Market market) noexcept;

// orders (one account) cut into commands of at most `per` orders, in order. per 0 counts as 1.
[[nodiscard]] std::vector<SubmitBatch> split_batch(AccountId account,
                                                   std::span<const SubmitOrder> orders,
                                                   std::size_t per);

// A SubmitBatch as the SubmitOrder commands it holds, in order: each order its own command, its
// id derived from the batch's id and the order's place in it (a batch sent again derives the
// same ids: its orders are found as duplicates), causation the batch's id, correlation the
// batch's correlation (else its id). A batch without an id gives orders without one (the desk
// refuses them: 3008). Empty for another payload.
[[nodiscard]] std::vector<Command> batch_commands(const Command& batch);

}  // namespace oms::actors
