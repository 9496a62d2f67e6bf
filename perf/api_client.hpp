// What the benchmarks that drive omsd over its gRPC API share.
#pragma once

#include <grpcpp/grpcpp.h>

#include <initializer_list>
#include <stdexcept>
#include <string>

#include "oms/api/v1/oms.grpc.pb.h"

namespace oms::perf {

// Sets each global risk limit kind ("order_rate", "daily_loss", ...) to unlimited over the API;
// throws naming the kind omsd refused. Benchmarks measure capacity and latency, not policy.
inline void lift_global_limits(api::v1::Oms::Stub& stub, const std::string& token,
                               std::initializer_list<const char*> kinds) {
  for (const char* kind : kinds) {
    api::v1::SetRiskLimitRequest l;
    l.set_scope("global");
    l.set_kind(kind);
    l.set_unlimited(true);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    api::v1::CommandReply reply;
    const auto st = stub.SetRiskLimit(&ctx, l, &reply);
    if (!st.ok() || !reply.accepted()) throw std::runtime_error(std::string("SetRiskLimit ") + kind);
  }
}

}  // namespace oms::perf
