#include "paper_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace oms::omsd {
namespace {

nlohmann::json read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw std::runtime_error(file.string() + ": not a JSON object");
  }
  return j;
}

}  // namespace

std::vector<PaperEntry> paper_entries(const configs::Config& config) {
  std::vector<PaperEntry> out;
  for (const auto& a : config.accounts.accounts) {
    // Every exchange with a connector: Binance, Bybit, OKX, Upbit.
    for (const Market m : {Market::kSpot, Market::kUsdm}) {
      if (!a.trades(m) || !config.exchanges.trades(a.exchange, m)) continue;
      const bool usdm_entry = a.exchange == ExchangeId::kBinance && m == Market::kUsdm;
      PaperEntry e{usdm_entry ? a.name + ".usdm" : a.name, a.name, m, a.exchange, a.email};
      e.member_id = a.member_id;
      if (a.type == configs::AccountType::kSub) e.parent = config.accounts.at(a.parent).name;
      e.sub_account = a.sub_account;
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::size_t ensure_paper_keys(const std::filesystem::path& file,
                              const std::vector<PaperEntry>& entries) {
  nlohmann::json j = read_file(file);
  std::size_t added = 0;
  bool emails_changed = false;
  // A Bybit / OKX account's family reaches venue-sim (its universal / funds transfers move
  // within it): set, or brought up to date.
  const auto family = [&](const PaperEntry& e) {
    if (e.exchange != ExchangeId::kBybit && e.exchange != ExchangeId::kOkx) return;
    auto& v = j[e.entry];
    const auto set = [&](const char* key, const nlohmann::json& want, bool present) {
      if (!present) {
        if (v.contains(key)) {
          v.erase(key);
          emails_changed = true;
        }
        return;
      }
      if (!v.contains(key) || v[key] != want) {
        v[key] = want;
        emails_changed = true;
      }
    };
    set("parent", e.parent, !e.parent.empty());
    if (e.exchange == ExchangeId::kBybit) set("member_id", e.member_id, e.member_id != 0);
    if (e.exchange == ExchangeId::kOkx) set("sub_account", e.sub_account, !e.sub_account.empty());
  };
  for (const auto& e : entries) {
    // A Binance sub-account's email reaches venue-sim (its /sapi sub-account transfers name it).
    if (j.contains(e.entry)) {
      family(e);
      if (e.exchange == ExchangeId::kBinance && !e.email.empty() &&
          j[e.entry].value("email", "") != e.email) {
        j[e.entry]["email"] = e.email;
        emails_changed = true;
      }
      continue;
    }
    j[e.entry] = {{"api_key", secrets::random_key_text(64)},
                  {"api_secret", secrets::random_key_text(64)}};
    if (e.exchange == ExchangeId::kBybit) {
      j[e.entry]["exchange"] = "bybit";
    } else if (e.exchange == ExchangeId::kOkx) {
      j[e.entry]["exchange"] = "okx";
      j[e.entry]["passphrase"] = secrets::random_key_text(16);  // OKX keys carry a passphrase
    } else if (e.exchange == ExchangeId::kUpbit) {
      j[e.entry]["exchange"] = "upbit";  // api_key: the access key, api_secret: the secret key
    } else {
      j[e.entry]["market"] = e.market == Market::kSpot ? "spot" : "usdm";
      if (!e.email.empty()) j[e.entry]["email"] = e.email;
    }
    family(e);
    ++added;
  }
  if (added == 0 && !emails_changed) return 0;
  std::filesystem::create_directories(file.parent_path().empty() ? "." : file.parent_path());
  const std::string tmp = file.string() + ".tmp";
  // 0600 from creation: the keys are never readable by others, not even briefly.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error(file.string() + ": cannot write " + tmp);
  const std::string text = j.dump(2) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
    throw std::runtime_error(file.string() + ": cannot write");
  }
  return added;
}

secrets::ApiCredentials load_paper_key(const std::filesystem::path& file, const PaperEntry& entry) {
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) {
    throw std::runtime_error(file.string() + ": missing (run omsd --init-paper-keys, or deploy/run)");
  }
  if ((st.st_mode & 077) != 0) {
    throw std::runtime_error(file.string() + ": readable by others (chmod 600 it)");
  }
  const nlohmann::json j = read_file(file);
  const auto it = j.find(entry.entry);
  if (it == j.end() || !it->is_object()) {
    throw std::runtime_error(file.string() + ": no entry '" + entry.entry + "' (account " +
                             entry.account + ")");
  }
  const auto field = [&](const char* name) {
    const auto f = it->find(name);
    if (f == it->end() || !f->is_string() || f->get<std::string>().empty()) {
      throw std::runtime_error(file.string() + ": " + entry.entry + "." + name +
                               ": expected a non-empty string");
    }
    auto buf = secrets::SecureBuffer::copy_of(f->get<std::string>());
    if (!buf) throw std::runtime_error(file.string() + ": " + entry.entry + "." + name + ": " + buf.error().message);
    return std::move(buf).value();
  };
  if (entry.exchange != ExchangeId::kBinance) {
    const std::string want(to_string(entry.exchange));
    if (it->value("exchange", "") != want) {
      throw std::runtime_error(file.string() + ": " + entry.entry + ".exchange: expected '" + want + "'");
    }
  } else {
    const std::string want = entry.market == Market::kSpot ? "spot" : "usdm";
    if (it->value("exchange", "binance") != "binance" || it->value("market", "spot") != want) {
      throw std::runtime_error(file.string() + ": " + entry.entry + ".market: expected '" + want + "'");
    }
  }
  secrets::ApiCredentials c;
  c.api_key = field("api_key");
  c.api_secret = field("api_secret");
  if (entry.exchange == ExchangeId::kOkx) c.passphrase = field("passphrase");
  return c;
}

}  // namespace oms::omsd
