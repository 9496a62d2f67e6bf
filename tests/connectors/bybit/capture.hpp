// The cryptofeed Bybit capture (shared/data/cryptofeed-v3-agpl/BYBIT.jsonl.zst, AGPL-3.0: test
// input only, read here at test time, never copied into the product): its records with the
// market of their connection.
#pragma once

#include <zstd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "testkit/paths.hpp"

namespace oms::testkit::bybit_capture {

struct Record {
  std::size_t line = 0;  // 1-based line in the decompressed file
  std::string type;      // header, http, connect, send, recv
  std::string conn;
  std::string market;    // of the connection: "linear", "spot"
  std::string data;      // recv: the message as received
};

inline std::string decompress(const std::string& compressed) {
  std::string out;
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  std::vector<char> buf(ZSTD_DStreamOutSize());
  std::size_t r = 0;
  do {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    r = ZSTD_decompressStream(dctx, &o, &in);
    if (ZSTD_isError(r)) {
      ZSTD_freeDCtx(dctx);
      throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
    }
    out.append(buf.data(), o.pos);
  } while (in.pos < in.size || r != 0);
  ZSTD_freeDCtx(dctx);
  return out;
}

// Every record, in file order (read once per test binary).
inline const std::vector<Record>& records() {
  static const std::vector<Record> kRecords = [] {
    const auto text = decompress(
        read_file(shared_data() / "cryptofeed-v3-agpl" / "BYBIT.jsonl.zst"));
    std::vector<Record> out;
    std::map<std::string, std::string> market_of;
    std::size_t start = 0, line = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      ++line;
      const auto j = nlohmann::json::parse(text.substr(start, nl - start));
      Record r;
      r.line = line;
      r.type = j.at("t").get<std::string>();
      r.conn = j.value("conn", "");
      if (r.type == "connect") {
        const auto addr = j.at("addr").get<std::string>();
        market_of[r.conn] = addr.substr(addr.rfind('/') + 1);
      }
      r.market = market_of.count(r.conn) ? market_of[r.conn] : "";
      if (r.type == "recv") r.data = j.at("data").get<std::string>();
      out.push_back(std::move(r));
      start = nl + 1;
    }
    return out;
  }();
  return kRecords;
}

// The first recv message of a market whose text starts with prefix and contains needle.
inline const std::string& message(std::string_view market, std::string_view prefix,
                                  std::string_view needle = {}) {
  for (const auto& r : records()) {
    if (r.type == "recv" && r.market == market && std::string_view(r.data).starts_with(prefix) &&
        r.data.find(needle) != std::string::npos)
      return r.data;
  }
  throw std::runtime_error("no " + std::string(market) + " message starting " +
                           std::string(prefix));
}

}  // namespace oms::testkit::bybit_capture
