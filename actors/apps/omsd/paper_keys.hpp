// Paper mode's API keys: DATA/paper-keys.json, plain text (paper only), 0600, shared with
// venue-sim (which registers an account per entry) and with any client library:
//   {"<entry>": {"api_key": "...", "api_secret": "...", "market": "spot" | "usdm"}}   Binance
//   {"<entry>": {"api_key": "...", "api_secret": "...", "exchange": "bybit"}}          Bybit
//   {"<entry>": {"api_key": "...", "api_secret": "...", "passphrase": "...",
//                "exchange": "okx"}}                                                OKX
//   {"<entry>": {"api_key": "...", "api_secret": "...", "exchange": "upbit"}}          Upbit
// Binance: one entry per configured account and market it trades: the spot account is named
// like the account ("binance_main"), the USD-M one gets ".usdm" ("binance_main.usdm").
// Bybit and OKX: one entry per account, named like it -- a unified account's key trades spot
// and linear alike (both markets' PaperEntry name the same entry). Upbit: one per account (spot).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "oms/configs/config.hpp"
#include "oms/connectors/secrets/secret_store.hpp"

namespace oms::omsd {

struct PaperEntry {
  std::string entry;    // the name in paper-keys.json
  std::string account;  // the configured account
  Market market = Market::kSpot;
  ExchangeId exchange = ExchangeId::kBinance;
  std::string email{};  // a Binance sub-account's (accounts.yaml): venue-sim's name for it
  // Bybit / OKX families (accounts.yaml), for venue-sim's transfers between them: a Bybit
  // account's UID, a sub-account's main account name, an OKX sub-account's name.
  std::uint64_t member_id = 0;
  std::string parent{};
  std::string sub_account{};
};

// Every account x market the config trades (exchange and market enabled).
[[nodiscard]] std::vector<PaperEntry> paper_entries(const configs::Config& config);

// Adds random keys for the entries the file lacks (creating it 0600); keeps the others, with a
// Binance sub-account's email set or brought up to date (venue-sim reads it). Returns how many
// entries were added. Throws std::runtime_error naming the file.
std::size_t ensure_paper_keys(const std::filesystem::path& file,
                              const std::vector<PaperEntry>& entries);

// The credentials of one entry; throws std::runtime_error naming the file and the entry
// (never a key) when it is missing or malformed, or the file is readable by others.
[[nodiscard]] secrets::ApiCredentials load_paper_key(const std::filesystem::path& file,
                                                     const PaperEntry& entry);

}  // namespace oms::omsd
