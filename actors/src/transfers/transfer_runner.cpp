// TransferRunner: see transfer_runner.hpp.
#include "oms/transfers/transfer_runner.hpp"

namespace oms::transfers {

using actors::TransferAction;
using actors::TransferQueryResult;
using actors::TransferSaga;
using actors::TransferSendResult;

TransferSaga TransferRunner::start(const TransferRequested& request, const TransferEnds& ends, std::int64_t now_ms) {
  std::vector<TransferAction> actions;
  TransferSaga saga(request, ends.plan.route, now_ms, actions);
  drive(saga, ends, std::move(actions));
  return saga;
}

std::optional<TransferSaga> TransferRunner::resume(const actors::RecordedTransfer& recorded, const TransferEnds& ends,
                                                   std::vector<std::string> claimed) {
  claimed_ = std::move(claimed);
  std::vector<TransferAction> actions;
  auto saga = TransferSaga::resume(recorded.events, ends.plan.route, actions);
  if (saga) drive(*saga, ends, std::move(actions));
  return saga;
}

void TransferRunner::retry(TransferSaga& saga, const TransferEnds& ends) {
  if (saga.state() != actors::TransferSagaState::kUnknown) return;
  drive(saga, ends, {TransferAction{TransferAction::Kind::kQuery, {}}});
}

void TransferRunner::drive(TransferSaga& saga, const TransferEnds& ends, std::vector<TransferAction> actions) {
  TransferVenue* venue = venues_ ? venues_(ends.plan.exchange) : nullptr;
  // Each action in order; the answers' actions after them. A step not recorded stops it all.
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const TransferAction a = actions[i];
    std::vector<TransferAction> next;
    switch (a.kind) {
      case TransferAction::Kind::kPersist:
        if (!persist_(a.event)) return;
        if (const auto* c = std::get_if<TransferCompleted>(&a.event)) claimed_.emplace_back(c->venue_transfer_id.view());
        break;
      case TransferAction::Kind::kSend: {
        std::string venue_id, reason;
        TransferSendResult r;
        if (venue == nullptr) {
          // Nothing sent: no connector of the venue here.
          r.outcome = TransferSendResult::Outcome::kRejected;
          reason = std::string("no ") + std::string(to_string(ends.plan.exchange)) + " connector in this process";
        } else {
          ++sends_;
          r = venue->send(saga, ends, venue_id, reason);
        }
        r.venue_id = venue_id;
        r.reason = reason;
        if (note_ && (r.outcome == TransferSendResult::Outcome::kUnknown ||
                      r.outcome == TransferSendResult::Outcome::kDuplicate)) {
          note_(saga.request().transfer_id,
                reason.empty() ? std::string_view("the venue took it; its outcome is asked") : std::string_view(reason));
        }
        saga.on_send(r, next);
        break;
      }
      case TransferAction::Kind::kQuery: {
        std::string venue_id;
        TransferQueryResult r;  // kUnanswered without a venue: asked again later
        if (venue != nullptr) r = venue->query(saga, ends, claimed_, venue_id);
        r.venue_id = venue_id;
        saga.on_query(r, next);
        break;
      }
      case TransferAction::Kind::kQueryLater:
        return;  // the caller retries later
    }
    actions.insert(actions.end(), next.begin(), next.end());
  }
}

}  // namespace oms::transfers
