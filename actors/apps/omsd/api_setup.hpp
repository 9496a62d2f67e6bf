// The gRPC API's clients and certificate in the data dir:
//   DATA/api/tokens.json   the clients (name, token, accounts, rate); created at the first run
//                          with one local client "omsctl" for every account (0600)
//   DATA/api/omsctl.token  that client's token, which omsctl reads by default (0600)
//   DATA/tls/server.pem, server.key, ca.pem   the TLS certificate (deploy/gen-certs)
#pragma once

#include <filesystem>
#include <memory>

#include "oms/actors/gateway.hpp"
#include "oms/actors/observe/metrics.hpp"

namespace oms::omsd {

class Daemon;
class KillSweep;
class Alerting;

// Creates the tokens file and omsctl's token when the tokens file is missing; returns true when
// it did. Throws std::runtime_error naming the file.
bool ensure_api_tokens(const std::filesystem::path& data_dir);

// Starts the gateway on the daemon's --grpc address; throws std::runtime_error naming the file
// or the address. Every call is counted and timed in `metrics` (oms_api_calls_total by rpc and
// gRPC code, oms_api_call_seconds by rpc).
// A tripped kill switch the engine accepted goes to `sweep` (kill_sweep.hpp; null: none);
// RequestTransfer, ListTransfers and Rebalance to `transfers` (transfer_service.hpp; null:
// UNAVAILABLE); the trip is also posted to `alerting` (alerting.hpp; null: none).
std::unique_ptr<actors::GatewayServer> start_gateway(Daemon& daemon, observe::Metrics& metrics,
                                                     KillSweep* sweep, actors::TransferDesk* transfers,
                                                     Alerting* alerting = nullptr);

}  // namespace oms::omsd
