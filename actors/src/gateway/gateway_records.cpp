// The gateway's stored-record calls (issue 13): ShowRecord and QuarantineRecord over the
// runtime (Runtime::show_record / quarantine_record). A client needs the stream's account.
#include <spdlog/spdlog.h>

#include "gateway_service.hpp"

namespace oms::actors::gateway_detail {

namespace {

// Longest texts taken (checked before anything else is looked at).
constexpr std::size_t kMaxStreamName = 128;
constexpr std::size_t kMaxReason = 512;

void fill(const RecordReport& r, api::v1::RecordReply* reply) {
  reply->set_stream(r.stream);
  reply->set_sequence(r.sequence);
  reply->set_account(r.account);
  reply->set_subject(r.subject);
  reply->set_payload(r.payload);
  reply->set_problem(r.problem);
  reply->set_quarantined(r.quarantined);
  reply->set_account_status(r.account_status);
  reply->set_message(r.message);
}

}  // namespace

// The stream's account, when the client may use it.
static Result<AccountId, ApiError> stream_account(const GatewayCore& core, const Runtime& runtime,
                                                  const ApiClient& c, const std::string& stream) {
  if (stream.empty()) return Unexpected{ApiError{ApiStatus::kInvalidArgument, "stream: missing"}};
  if (stream.size() > kMaxStreamName) {
    return Unexpected{ApiError{ApiStatus::kInvalidArgument,
                               "stream: longer than " + std::to_string(kMaxStreamName) + " characters"}};
  }
  const auto account = runtime.account_of_stream(stream);
  if (!account) {
    return Unexpected{ApiError{ApiStatus::kInvalidArgument,
                               "stream: '" + stream + "' is not an account stream of this omsd"}};
  }
  if (!core.may_use(c, *account)) {
    return Unexpected{ApiError{ApiStatus::kPermissionDenied, "stream: " + stream + ": not your account"}};
  }
  return *account;
}

grpc::Status OmsService::ShowRecord(grpc::ServerContext* ctx, const api::v1::RecordRequest* req,
                                    api::v1::RecordReply* reply) {
  return guarded(ctx, "ShowRecord", [&](const ApiClient& c) -> std::optional<ApiError> {
    if (auto a = stream_account(core_, runtime_, c, req->stream()); !a) return a.error();
    auto r = runtime_.show_record(req->stream(), req->sequence());
    if (!r) return ApiError{ApiStatus::kInvalidArgument, r.error().message};
    fill(*r, reply);
    return std::nullopt;
  });
}

grpc::Status OmsService::QuarantineRecord(grpc::ServerContext* ctx, const api::v1::QuarantineRequest* req,
                                          api::v1::RecordReply* reply) {
  return guarded(ctx, "QuarantineRecord", [&](const ApiClient& c) -> std::optional<ApiError> {
    if (req->reason().size() > kMaxReason) {
      return ApiError{ApiStatus::kInvalidArgument, "reason: longer than " + std::to_string(kMaxReason) + " characters"};
    }
    if (auto a = stream_account(core_, runtime_, c, req->stream()); !a) return a.error();
    auto r = runtime_.quarantine_record(req->stream(), req->sequence(), req->reason(), c.name, timeout_);
    if (!r) return ApiError{ApiStatus::kInvalidArgument, r.error().message};
    fill(*r, reply);
    return std::nullopt;
  });
}

}  // namespace oms::actors::gateway_detail
