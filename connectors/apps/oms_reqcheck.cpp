// oms-reqcheck FILE.json: runs ccxt's static request cases (shared/data/ccxt/request, schema
// {exchange, skipKeys, options, methods: {name: [{description, method, url, input, output}]}})
// through OUR Binance, Bybit, OKX or Upbit request builders. Binance: and compares HTTP method (implied by ccxt's method),
// parameter placement (query vs form body), path (host ignored) and parameters.
//
// Per case: ccxt's unified method + input are mapped the way ccxt maps them (its defaults:
// newOrderRespType FULL/RESULT, market buy with a price = quoteOrderQty, limit 500 for klines,
// endTime = since + 1h for aggTrades ...) onto our builders; the request is rendered with a
// throw-away HMAC key, then both sides are URL-decoded and compared as multisets of key=value.
// Ignored on both sides: the file's skipKeys, signature/timestamp/recvWindow. ccxt generates
// its own client order ids (x-...) unless the input gives one; those live under
// newClientOrderId / newClientStrategyId, which the binance file lists in skipKeys, and we
// send no client id unless the input names one, so nothing generated is ever compared.
// Expected parameters with an empty value (ccxt's "orderId=" when it has none) are dropped:
// an empty parameter carries nothing and our builders never send one. On PUT /fapi/v1/order
// ccxt also echoes the client id as clientOrderId, which Modify Order does not document: that
// one echo is dropped (only when equal to origClientOrderId). JSON-valued parameters
// (batchOrders, id lists) are compared as JSON, skipKeys removed inside objects.
// Skipped with a reason: COIN-M /dapi, portfolio margin /papi, options /eapi, /sapi, ccxt
// "disabled" cases. Everything on /api/v3 and /fapi must map, else it FAILs.
//
// Bybit v5 (exchange "bybit"): the HTTP method is GET for a case without a body, POST with one;
// query parameters compare as above, a body as JSON (types count: "qty":"1" is not "qty":1),
// skipKeys removed at every depth; signatures travel in headers and are not compared. Three
// differences from ccxt are documented protocol, not ours to copy: ccxt repeats `category`
// inside each create-batch item (the batch names it once: dropped when equal to the batch's);
// ccxt omits tpslMode and positionIdx that /v5/position/trading-stop documents as required (we
// send Full and 0: dropped on our side when ccxt has neither); ccxt pages the execution list
// with `size`, which v5 calls `limit` (compared as limit). Inverse contracts and options are
// skipped as products we do not trade.
//
// OKX v5 (exchange "okx"): as Bybit, and a batch body is a JSON array compared item by item.
// ccxt's swap amounts are contracts (our commands count base units: the mapping multiplies by
// ctVal and the builders divide back). Documented differences, not ours to copy: ccxt leaks
// its option createMarketBuyOrderRequiresPrice into a market-sell-by-cost item (dropped from
// ccxt's side); ccxt sends lever and timeOut as JSON numbers where the v5 reference types them
// String (equal when the texts are); ccxt omits the instType that /public/mark-price requires
// beside an instId (ours dropped when ccxt has none).
//
// Upbit (exchange "upbit"): as OKX, with the HTTP method from ccxt's unified method (fetch* GET,
// cancel* DELETE, create* / edit* POST); the JWT travels in a header and is not compared (its
// rule is pinned by connectors_upbit_tests). ccxt's host (api. / sg-api.upbit.com) is ignored.
#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/bybit/requests.hpp"
#include "oms/connectors/okx/requests.hpp"
#include "oms/connectors/upbit/requests.hpp"
#include "oms_reqcheck_ccxt.hpp"

namespace {

namespace bn = oms::binance;
using nlohmann::json;
using oms::Market;
using oms::reqcheck::Fail;
using oms::reqcheck::Skip;

// ---- comparison ---------------------------------------------------------------------------

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      const auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc{} && r.ptr == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

using Params = std::multimap<std::string, std::string>;

void parse_params(std::string_view s, Params& out) {
  while (!s.empty()) {
    const auto amp = s.find('&');
    const std::string_view kv = s.substr(0, amp);
    const auto eq = kv.find('=');
    out.emplace(url_decode(kv.substr(0, eq)),
                eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
}

void strip_keys(json& j, const std::set<std::string>& skip) {
  if (j.is_object()) {
    for (const auto& k : skip) j.erase(k);
    for (auto& [k, v] : j.items()) strip_keys(v, skip);
  } else if (j.is_array()) {
    for (auto& v : j) strip_keys(v, skip);
  }
}

// Values equal as text, or as JSON with skipKeys removed inside (batchOrders).
bool same_value(const std::string& a, const std::string& b, const std::set<std::string>& skip) {
  if (a == b) return true;
  if (a.empty() || (a[0] != '[' && a[0] != '{')) return false;
  json ja = json::parse(a, nullptr, false), jb = json::parse(b, nullptr, false);
  if (ja.is_discarded() || jb.is_discarded()) return false;
  strip_keys(ja, skip);
  strip_keys(jb, skip);
  return ja == jb;
}

std::string compare(const Params& expected, const Params& ours, const std::set<std::string>& skip) {
  std::string diff;
  std::vector<bool> used(ours.size(), false);
  for (const auto& [k, v] : expected) {
    bool found = false;
    std::size_t i = 0;
    for (auto it = ours.begin(); it != ours.end(); ++it, ++i) {
      if (!used[i] && it->first == k && same_value(v, it->second, skip)) {
        used[i] = found = true;
        break;
      }
    }
    if (!found) {
      const auto it = ours.find(k);
      diff +=
          "; " + k + ": expected " + v + (it == ours.end() ? ", missing" : ", got " + it->second);
    }
  }
  std::size_t i = 0;
  for (auto it = ours.begin(); it != ours.end(); ++it, ++i) {
    if (!used[i] && expected.find(it->first) == expected.end())
      diff += "; unexpected " + it->first + "=" + it->second;
  }
  return diff.empty() ? diff : diff.substr(2);
}

// The files carry no HTTP method; ccxt's unified method fixes it: fetch* GET, cancel* DELETE,
// create* / set* POST, edit* PUT (USD-M modify) or POST (spot cancelReplace).
std::string_view expected_http_method(std::string_view method, std::string_view path) {
  if (method.rfind("fetch", 0) == 0) return "GET";
  if (method.rfind("cancel", 0) == 0) return "DELETE";
  if (method.rfind("edit", 0) == 0) return path == "/api/v3/order/cancelReplace" ? "POST" : "PUT";
  return "POST";
}

struct Outcome {
  enum Kind { kPass, kFail, kSkip } kind;
  std::string detail;
};

Outcome run_case(const std::string& method, const json& tc, Market default_market,
                 const std::set<std::string>& skip, oms::signing::BinanceSigner& signer) {
  if (tc.value("disabled", false)) return {Outcome::kSkip, "disabled in ccxt"};
  const std::string url = tc.at("url").get<std::string>();
  const auto scheme = url.find("://");
  const auto path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_at == std::string::npos) return {Outcome::kFail, "url without a path: " + url};
  const auto q = url.find('?', path_at);
  const std::string path =
      url.substr(path_at, q == std::string::npos ? std::string::npos : q - path_at);
  static const std::pair<const char*, const char*> kNotTraded[] = {
      {"/dapi/", "COIN-M futures (/dapi) are not traded"},
      {"/papi/", "portfolio margin (/papi) is not supported"},
      {"/eapi/", "options (/eapi) are not traded"},
      {"/sapi/", "/sapi (margin, wallet, stocks) is not supported"}};
  for (const auto& [prefix, reason] : kNotTraded) {
    if (path.rfind(prefix, 0) == 0) return {Outcome::kSkip, reason};
  }
  Params expected;
  if (q != std::string::npos) parse_params(std::string_view(url).substr(q + 1), expected);
  const bool has_body = tc.contains("output") && tc["output"].is_string();
  if (has_body) parse_params(tc["output"].get<std::string>(), expected);

  bn::RestRequest req;
  try {
    req = oms::reqcheck::map_ccxt_call(method, tc.at("input"), default_market);
  } catch (const Skip& s) {
    return {Outcome::kSkip, s.reason};
  } catch (const Fail& f) {
    return {Outcome::kFail, f.reason};
  } catch (const json::exception& e) {
    return {Outcome::kFail, std::string("input: ") + e.what()};
  }
  bn::Credentials creds{"reqcheck-api-key", &signer, 5000};
  constexpr std::int64_t kTimestamp = 1'700'000'000'000;
  auto http = bn::render(req, creds, kTimestamp);
  if (!http) return {Outcome::kFail, "render: " + http.error().message};
  const auto our_q = http->target.find('?');
  const std::string our_path = http->target.substr(0, our_q);
  Params ours;
  if (our_q != std::string::npos)
    parse_params(std::string_view(http->target).substr(our_q + 1), ours);
  parse_params(http->body, ours);

  std::set<std::string> ignore = skip;
  ignore.insert({"signature", "timestamp", "recvWindow"});
  for (auto it = expected.begin(); it != expected.end();) {
    it = ignore.count(it->first) || it->second.empty() ? expected.erase(it) : std::next(it);
  }
  for (auto it = ours.begin(); it != ours.end();)
    it = ignore.count(it->first) ? ours.erase(it) : std::next(it);
  // ccxt's editOrderWithClientOrderId echoes the id as clientOrderId beside origClientOrderId;
  // Modify Order (PUT /fapi/v1/order) documents no clientOrderId, so we do not send it.
  if (path == "/fapi/v1/order" && expected.count("clientOrderId") == 1 &&
      expected.count("origClientOrderId") == 1 &&
      expected.find("clientOrderId")->second == expected.find("origClientOrderId")->second) {
    expected.erase("clientOrderId");
  }

  std::string diff;
  if (our_path != path) diff = "path: expected " + path + ", got " + our_path;
  const std::string_view want = expected_http_method(method, path);
  const std::string_view got = bn::to_string(req.method);
  if (want != got) {
    diff += std::string(diff.empty() ? "" : "; ") + "method: expected " + std::string(want) +
            ", got " + std::string(got);
  }
  const bool our_body = req.method == bn::HttpMethod::kPost || req.method == bn::HttpMethod::kPut;
  if (has_body != our_body) {
    diff += std::string(diff.empty() ? "" : "; ") + "placement: expected parameters in the " +
            (has_body ? "body" : "query") + ", we send them in the " +
            (our_body ? "body" : "query");
  }
  const std::string pdiff = compare(expected, ours, ignore);
  if (!pdiff.empty()) diff += (diff.empty() ? "" : "; ") + pdiff;
  if (!diff.empty()) return {Outcome::kFail, diff};
  return {Outcome::kPass, std::string(bn::to_string(req.method)) + " " + path};
}

// ---- Bybit v5 ----------------------------------------------------------------------------

std::string json_diff(const json& expected, const json& ours) {
  std::string diff;
  for (const auto& [k, v] : expected.items()) {
    if (!ours.contains(k)) diff += "; " + k + ": expected " + v.dump() + ", missing";
    else if (ours[k] != v) diff += "; " + k + ": expected " + v.dump() + ", got " + ours[k].dump();
  }
  for (const auto& [k, v] : ours.items()) {
    if (!expected.contains(k)) diff += "; unexpected " + k + "=" + v.dump();
  }
  return diff.empty() ? diff : diff.substr(2);
}

Outcome run_bybit_case(const std::string& method, const json& tc, const std::set<std::string>& skip,
                       oms::signing::HmacSha256& signer) {
  namespace bb = oms::bybit;
  if (tc.value("disabled", false)) return {Outcome::kSkip, "disabled in ccxt"};
  const std::string url = tc.at("url").get<std::string>();
  const auto scheme = url.find("://");
  const auto path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_at == std::string::npos) return {Outcome::kFail, "url without a path: " + url};
  const auto q = url.find('?', path_at);
  const std::string path = url.substr(path_at, q == std::string::npos ? std::string::npos : q - path_at);
  Params expected;
  if (q != std::string::npos) parse_params(std::string_view(url).substr(q + 1), expected);
  const bool has_body = tc.contains("output") && tc["output"].is_string();
  json expected_body = json::object();
  if (has_body) {
    expected_body = json::parse(tc["output"].get<std::string>(), nullptr, false);
    if (expected_body.is_discarded()) return {Outcome::kFail, "output: not JSON"};
  }
  bb::RestRequest req;
  try {
    req = oms::reqcheck::map_bybit_call(method, tc.at("input"), tc.value("options", json::object()));
  } catch (const Skip& s) {
    return {Outcome::kSkip, s.reason};
  } catch (const Fail& f) {
    return {Outcome::kFail, f.reason};
  } catch (const json::exception& e) {
    return {Outcome::kFail, std::string("input: ") + e.what()};
  }
  constexpr std::int64_t kTimestamp = 1'700'000'000'000;
  auto http = bb::render(req, bb::Credentials{"reqcheck-api-key", &signer, 5000}, kTimestamp);
  if (!http) return {Outcome::kFail, "render: " + http.error().message};
  const auto our_q = http->target.find('?');
  const std::string our_path = http->target.substr(0, our_q);
  Params ours;
  if (our_q != std::string::npos) parse_params(std::string_view(http->target).substr(our_q + 1), ours);
  json our_body = json::object();
  if (!http->body.empty()) {
    our_body = json::parse(http->body, nullptr, false);
    if (our_body.is_discarded()) return {Outcome::kFail, "our body is not JSON: " + http->body};
  }
  for (auto it = expected.begin(); it != expected.end();)
    it = skip.count(it->first) || it->second.empty() ? expected.erase(it) : std::next(it);
  for (auto it = ours.begin(); it != ours.end();) it = skip.count(it->first) ? ours.erase(it) : std::next(it);
  strip_keys(expected_body, skip);
  strip_keys(our_body, skip);
  if (path == "/v5/execution/list" && expected.count("size") == 1 && expected.count("limit") == 0) {
    expected.emplace("limit", expected.find("size")->second);
    expected.erase("size");
  }
  if (path == "/v5/order/create-batch" && expected_body.contains("request") && expected_body.contains("category")) {
    for (auto& item : expected_body["request"]) {
      if (item.is_object() && item.value("category", "") == expected_body["category"]) item.erase("category");
    }
  }
  if (path == "/v5/position/trading-stop" && !expected_body.contains("tpslMode") &&
      !expected_body.contains("positionIdx") && our_body.value("tpslMode", "") == "Full" &&
      our_body.value("positionIdx", -1) == 0) {
    our_body.erase("tpslMode");
    our_body.erase("positionIdx");
  }

  std::string diff;
  if (our_path != path) diff = "path: expected " + path + ", got " + our_path;
  const std::string_view want = has_body ? "POST" : "GET";
  if (bb::to_string(req.method) != want) {
    diff += std::string(diff.empty() ? "" : "; ") + "method: expected " + std::string(want) + ", got " +
            std::string(bb::to_string(req.method));
  }
  const std::string pdiff = compare(expected, ours, skip);
  if (!pdiff.empty()) diff += (diff.empty() ? "" : "; ") + pdiff;
  const std::string bdiff = json_diff(expected_body, our_body);
  if (!bdiff.empty()) diff += (diff.empty() ? "" : "; ") + bdiff;
  if (!diff.empty()) return {Outcome::kFail, diff};
  return {Outcome::kPass, std::string(bb::to_string(req.method)) + " " + path};
}

// ---- OKX v5 -------------------------------------------------------------------------------

// ccxt's numbers where the v5 reference says String (lever, timeOut): equal when the texts are.
void numbers_as_text(json& expected, const json& ours) {
  if (!expected.is_object() || !ours.is_object()) return;
  for (const char* k : {"lever", "timeOut"}) {
    if (expected.contains(k) && expected[k].is_number() && ours.contains(k) && ours[k].is_string() &&
        expected[k].dump() == ours[k].get<std::string>()) {
      expected[k] = ours[k];
    }
  }
}

std::string okx_body_diff(const json& expected, const json& ours) {
  if (expected.is_array() || ours.is_array()) {
    if (!expected.is_array() || !ours.is_array()) return "body: expected " + expected.dump() + ", got " + ours.dump();
    if (expected.size() != ours.size())
      return "body: expected " + std::to_string(expected.size()) + " items, got " + std::to_string(ours.size());
    std::string diff;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::string d = json_diff(expected[i], ours[i]);
      if (!d.empty()) diff += (diff.empty() ? "" : "; ") + ("[" + std::to_string(i) + "] " + d);
    }
    return diff;
  }
  return json_diff(expected, ours);
}

Outcome run_okx_case(const std::string& method, const json& tc, const std::set<std::string>& skip,
                     oms::signing::HmacSha256& signer) {
  namespace ok = oms::okx;
  if (tc.value("disabled", false)) return {Outcome::kSkip, "disabled in ccxt"};
  const std::string url = tc.at("url").get<std::string>();
  const auto scheme = url.find("://");
  const auto path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_at == std::string::npos) return {Outcome::kFail, "url without a path: " + url};
  const auto q = url.find('?', path_at);
  const std::string path = url.substr(path_at, q == std::string::npos ? std::string::npos : q - path_at);
  Params expected;
  if (q != std::string::npos) parse_params(std::string_view(url).substr(q + 1), expected);
  const bool has_body = tc.contains("output") && tc["output"].is_string();
  json expected_body = json::object();
  if (has_body) {
    expected_body = json::parse(tc["output"].get<std::string>(), nullptr, false);
    if (expected_body.is_discarded()) return {Outcome::kFail, "output: not JSON"};
  }
  ok::RestRequest req;
  try {
    req = oms::reqcheck::map_okx_call(method, tc.at("input"), tc.value("options", json::object()));
  } catch (const Skip& s) {
    return {Outcome::kSkip, s.reason};
  } catch (const Fail& f) {
    return {Outcome::kFail, f.reason};
  } catch (const json::exception& e) {
    return {Outcome::kFail, std::string("input: ") + e.what()};
  }
  constexpr std::int64_t kTimestamp = 1'700'000'000'000;
  auto http = ok::render(req, ok::Credentials{"reqcheck-api-key", "reqcheck-passphrase", &signer, false}, kTimestamp);
  if (!http) return {Outcome::kFail, "render: " + http.error().message};
  const auto our_q = http->target.find('?');
  const std::string our_path = http->target.substr(0, our_q);
  Params ours;
  if (our_q != std::string::npos) parse_params(std::string_view(http->target).substr(our_q + 1), ours);
  json our_body = json::object();
  if (!http->body.empty()) {
    our_body = json::parse(http->body, nullptr, false);
    if (our_body.is_discarded()) return {Outcome::kFail, "our body is not JSON: " + http->body};
  }
  for (auto it = expected.begin(); it != expected.end();)
    it = skip.count(it->first) || it->second.empty() ? expected.erase(it) : std::next(it);
  for (auto it = ours.begin(); it != ours.end();) it = skip.count(it->first) ? ours.erase(it) : std::next(it);
  strip_keys(expected_body, skip);
  strip_keys(our_body, skip);
  if (method == "createMarketSellOrderWithCost" && expected_body.is_array()) {
    for (auto& item : expected_body) {
      if (item.is_object()) item.erase("createMarketBuyOrderRequiresPrice");
    }
  }
  numbers_as_text(expected_body, our_body);
  if (path == "/api/v5/public/mark-price" && expected.count("instId") == 1 && expected.count("instType") == 0)
    ours.erase("instType");

  std::string diff;
  if (our_path != path) diff = "path: expected " + path + ", got " + our_path;
  const std::string_view want = has_body ? "POST" : "GET";
  if (ok::to_string(req.method) != want) {
    diff += std::string(diff.empty() ? "" : "; ") + "method: expected " + std::string(want) + ", got " +
            std::string(ok::to_string(req.method));
  }
  const std::string pdiff = compare(expected, ours, skip);
  if (!pdiff.empty()) diff += (diff.empty() ? "" : "; ") + pdiff;
  const std::string bdiff = okx_body_diff(expected_body, our_body);
  if (!bdiff.empty()) diff += (diff.empty() ? "" : "; ") + bdiff;
  if (!diff.empty()) return {Outcome::kFail, diff};
  return {Outcome::kPass, std::string(ok::to_string(req.method)) + " " + path};
}

// ---- Upbit --------------------------------------------------------------------------------

Outcome run_upbit_case(const std::string& method, const json& tc, const std::set<std::string>& skip) {
  namespace ub = oms::upbit;
  if (tc.value("disabled", false)) return {Outcome::kSkip, "disabled in ccxt"};
  const std::string url = tc.at("url").get<std::string>();
  const auto scheme = url.find("://");
  const auto path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_at == std::string::npos) return {Outcome::kFail, "url without a path: " + url};
  const auto q = url.find('?', path_at);
  const std::string path = url.substr(path_at, q == std::string::npos ? std::string::npos : q - path_at);
  Params expected;
  if (q != std::string::npos) parse_params(std::string_view(url).substr(q + 1), expected);
  const bool has_body = tc.contains("output") && tc["output"].is_string();
  json expected_body = json::object();
  if (has_body) {
    expected_body = json::parse(tc["output"].get<std::string>(), nullptr, false);
    if (expected_body.is_discarded()) return {Outcome::kFail, "output: not JSON"};
  }
  ub::RestRequest req;
  try {
    req = oms::reqcheck::map_upbit_call(method, tc.at("input"), tc.value("options", json::object()));
  } catch (const Skip& s) {
    return {Outcome::kSkip, s.reason};
  } catch (const Fail& f) {
    return {Outcome::kFail, f.reason};
  } catch (const json::exception& e) {
    return {Outcome::kFail, std::string("input: ") + e.what()};
  }
  // Signatures are not compared; a throw-away key and a fixed nonce exercise the signed rendering.
  static auto signer = ub::JwtSigner::create("oms-reqcheck-throwaway-secret");
  if (!signer) return {Outcome::kFail, "signer: " + signer.error().message};
  auto http = ub::render(req, ub::Credentials{"reqcheck-access-key", &*signer}, "00000000-0000-4000-8000-000000000000");
  if (!http) return {Outcome::kFail, "render: " + http.error().message};
  const auto our_q = http->target.find('?');
  const std::string our_path = http->target.substr(0, our_q);
  Params ours;
  if (our_q != std::string::npos) parse_params(std::string_view(http->target).substr(our_q + 1), ours);
  json our_body = json::object();
  if (!http->body.empty()) {
    our_body = json::parse(http->body, nullptr, false);
    if (our_body.is_discarded()) return {Outcome::kFail, "our body is not JSON: " + http->body};
  }
  for (auto it = expected.begin(); it != expected.end();)
    it = skip.count(it->first) || it->second.empty() ? expected.erase(it) : std::next(it);
  for (auto it = ours.begin(); it != ours.end();) it = skip.count(it->first) ? ours.erase(it) : std::next(it);
  strip_keys(expected_body, skip);
  strip_keys(our_body, skip);

  std::string diff;
  if (our_path != path) diff = "path: expected " + path + ", got " + our_path;
  const std::string_view want = method.rfind("fetch", 0) == 0    ? "GET"
                                : method.rfind("cancel", 0) == 0 ? "DELETE"
                                                                 : "POST";
  if (ub::to_string(req.method) != want) {
    diff += std::string(diff.empty() ? "" : "; ") + "method: expected " + std::string(want) + ", got " +
            std::string(ub::to_string(req.method));
  }
  if (has_body != (req.method == ub::HttpMethod::kPost)) {
    diff += std::string(diff.empty() ? "" : "; ") + "placement: expected parameters in the " +
            (has_body ? "body" : "query");
  }
  const std::string pdiff = compare(expected, ours, skip);
  if (!pdiff.empty()) diff += (diff.empty() ? "" : "; ") + pdiff;
  const std::string bdiff = json_diff(expected_body, our_body);
  if (!bdiff.empty()) diff += (diff.empty() ? "" : "; ") + bdiff;
  if (!diff.empty()) return {Outcome::kFail, diff};
  return {Outcome::kPass, std::string(ub::to_string(req.method)) + " " + path};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: oms-reqcheck FILE.json   (a ccxt static request case file)\n";
    return 2;
  }
  json doc;
  try {
    std::ifstream f(argv[1]);
    if (!f) throw std::runtime_error(std::string("cannot open ") + argv[1]);
    doc = json::parse(f);
  } catch (const std::exception& e) {
    std::cerr << "oms-reqcheck: " << e.what() << "\n";
    return 2;
  }
  const std::string exchange = doc.value("exchange", "");
  if (exchange != "binance" && exchange != "binanceusdm" && exchange != "bybit" && exchange != "okx" &&
      exchange != "upbit") {
    std::cerr << "oms-reqcheck: exchange '" << exchange
              << "' has no request builders here (binance, binanceusdm, bybit, okx, upbit)\n";
    return 2;
  }
  std::set<std::string> skip;
  for (const auto& k : doc.value("skipKeys", json::array())) skip.insert(k.get<std::string>());
  const Market default_market = exchange == "binanceusdm" ? Market::kUsdm : Market::kSpot;
  // Signatures are ignored in the comparison; a throw-away key exercises the signed rendering.
  auto signer = oms::signing::BinanceSigner::hmac("oms-reqcheck-throwaway-secret");
  auto hmac = oms::signing::HmacSha256::create("oms-reqcheck-throwaway-secret");
  if (!signer || !hmac) {
    std::cerr << "oms-reqcheck: cannot set up a throw-away signing key\n";
    return 2;
  }
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& [method, cases] : doc.at("methods").items()) {
    for (const auto& tc : cases) {
      const std::string desc = tc.value("description", "");
      const Outcome o = exchange == "bybit" ? run_bybit_case(method, tc, skip, *hmac)
                        : exchange == "okx"   ? run_okx_case(method, tc, skip, *hmac)
                        : exchange == "upbit" ? run_upbit_case(method, tc, skip)
                                              : run_case(method, tc, default_market, skip, *signer);
      switch (o.kind) {
        case Outcome::kPass:
          ++passed;
          std::cout << "pass " << method << " " << desc << "\n";
          break;
        case Outcome::kFail:
          ++failed;
          std::cout << "FAIL " << method << " " << desc << ": " << o.detail << "\n";
          break;
        case Outcome::kSkip:
          ++skipped;
          std::cout << "skip " << method << " " << desc << ": " << o.detail << "\n";
          break;
      }
    }
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return failed == 0 ? 0 : 1;
}
