// accounts.yaml -> AccountsConfig: the accounts (grouped by exchange) and their hierarchy.
#include "oms/configs/accounts.hpp"

#include <algorithm>
#include <unordered_map>

#include "loaders.hpp"

namespace oms::configs {
namespace detail {
namespace {

// Where each account was read, for errors found after all accounts are known.
struct AccountSource {
  YAML::Mark name;
  std::string parent;  // as written; empty for a main account
  YAML::Mark parent_value;
  YAML::Mark vault_path_value;
  YAML::Mark target_ratio_value{};  // where target_ratio was written (when it was)
};

class AccountsReader {
 public:
  AccountsReader(const References& refs, Diagnostics& diag) : refs_(refs), diag_(diag) {}

  AccountsConfig read(const YAML::Node& doc) {
    if (!expect_document_map(doc, diag_)) return std::move(out_);
    MapReader top(doc, " at top level", doc.Mark(), diag_);
    top.allow_only({"accounts", "account_routing"});
    if (const Field* accounts = top.require("accounts"); accounts && expect_map(*accounts, diag_)) {
      MapReader groups(accounts->value, " in accounts", accounts->key_mark(), diag_);
      for (const Field& group : groups.fields()) read_group(group);
    }
    resolve_parents();
    check_target_ratios();
    check_vault_paths();
    if (const Field* routing = top.require("account_routing")) {
      read_account_routing(*routing, out_, refs_, diag_);
    }
    return std::move(out_);
  }

 private:
  void read_group(const Field& group) {
    const auto exchange = parse_exchange(group.key);
    if (!exchange) {
      diag_.error(group.key_mark(),
                  "unknown exchange '" + group.key + "' (known: " + known_exchanges() + ")");
      return;
    }
    if (refs_.exchanges != nullptr) {
      const ExchangeConfig* ex = refs_.exchanges->find(*exchange);
      if (ex == nullptr || !ex->enabled) {
        diag_.error(group.key_mark(), "accounts on '" + group.key + "', which is " +
                                          (ex == nullptr ? "not defined" : "disabled") +
                                          " in exchanges.yaml");
      }
    }
    if (!expect_map(group, diag_)) return;
    MapReader entries(group.value, " in accounts." + group.key, group.key_mark(), diag_);
    for (const Field& entry : entries.fields()) read_account(entry, *exchange);
  }

  void read_account(const Field& entry, ExchangeId exchange) {
    if (!check_name(entry, "account", diag_)) return;
    if (const Account* first = out_.find(entry.key)) {
      diag_.error(entry.key_mark(), "account '" + entry.key + "' is already defined on " +
                                        std::string(to_string(first->exchange)) + " (line " +
                                        std::to_string(sources_[first->id.index()].name.line + 1) +
                                        ")");
      return;
    }
    if (!expect_map(entry, diag_)) return;
    Account a;
    a.name = entry.key;
    a.exchange = exchange;
    AccountSource src{entry.key_mark(), {}, {}, {}};
    const std::string what = "account '" + entry.key + "'";
    MapReader m(entry.value, " in " + what, entry.key_mark(), diag_);
    m.allow_only({"type", "parent", "api_key_vault_path", "spot_enabled", "futures_enabled",
                  "strategy", "max_balance_usdt", "max_leverage", "max_position_usdt",
                  "email", "target_ratio", "member_id", "sub_account"});

    bool type_known = false;
    if (const Field* f = m.require("type")) {
      if (const auto type = read_string(*f, diag_)) {
        type_known = *type == "main" || *type == "sub";
        if (*type == "sub") {
          a.type = AccountType::kSub;
          if (exchange == ExchangeId::kUpbit) {
            diag_.error(f->value_mark(),
                        "sub-account '" + a.name + "' is on upbit, which has no sub-accounts");
          }
        } else if (*type != "main") {
          diag_.error(f->value_mark(), f->label() + " must be main or sub, got '" + *type + "'");
        }
      }
    }
    if (a.type == AccountType::kSub) {
      if (const Field* f = m.require("parent")) {
        src.parent = read_string(*f, diag_).value_or("");
        src.parent_value = f->value_mark();
      }
    } else if (const Field* f = m.find("parent"); f != nullptr && type_known) {
      diag_.error(f->key_mark(), "main account '" + a.name + "' cannot have a parent");
    }
    if (const Field* f = m.require("api_key_vault_path")) {
      a.api_key_vault_path = read_string(*f, diag_).value_or("");
      src.vault_path_value = f->value_mark();
    }
    const Field* spot = m.require("spot_enabled");
    if (spot != nullptr) a.spot_enabled = read_bool(*spot, diag_).value_or(false);
    const Field* futures = m.require("futures_enabled");
    if (futures != nullptr) a.futures_enabled = read_bool(*futures, diag_).value_or(false);
    check_markets(a, spot, futures);
    if (const Field* f = m.find("strategy")) read_strategy_name(*f, a);
    if (const Field* f = m.find("max_balance_usdt"))
      a.max_balance_usdt = read_decimal(*f, diag_, kPositive);
    if (const Field* f = m.find("max_leverage")) {
      a.max_leverage = read_small_int(*f, diag_, 1, kMaxLeverage);
      if (a.max_leverage && futures != nullptr && !a.futures_enabled) {
        diag_.error(f->key_mark(), f->label() + " is set but futures_enabled is false");
      }
    }
    if (const Field* f = m.find("max_position_usdt"))
      a.max_position_usdt = read_decimal(*f, diag_, kPositive);
    if (const Field* f = m.find("email")) read_email(*f, a, type_known);
    if (const Field* f = m.find("member_id")) read_member_id(*f, a);
    if (const Field* f = m.find("sub_account")) read_sub_account(*f, a, type_known);
    if (const Field* f = m.find("target_ratio")) {
      if (type_known && a.type == AccountType::kMain) {
        diag_.error(f->key_mark(), "main account '" + a.name +
                                       "' cannot have a target_ratio: it holds what its sub-accounts do not");
      } else {
        a.target_ratio = read_decimal(*f, diag_, DecimalRange{Decimal{}, false, Decimal::from_raw(1'000'000'000), true});
        src.target_ratio_value = f->value_mark();
      }
    }

    const auto id = out_.ids.intern(a.name);
    if (!id) {
      diag_.error(entry.key_mark(),
                  "too many accounts (at most " + std::to_string(AccountId::kInvalid) + ")");
      return;
    }
    a.id = *id;
    out_.accounts.push_back(std::move(a));
    sources_.push_back(std::move(src));
  }

  // The account's markets must be enabled for its venue in exchanges.yaml.
  void check_markets(const Account& a, const Field* spot, const Field* futures) {
    if (refs_.exchanges == nullptr) return;
    const ExchangeConfig* ex = refs_.exchanges->find(a.exchange);
    if (ex == nullptr || !ex->enabled) return;  // reported once for the whole group
    const std::string venue(to_string(a.exchange));
    if (a.spot_enabled && !ex->market_enabled(Market::kSpot)) {
      diag_.error(spot->value_mark(), "account '" + a.name + "' has spot_enabled true, but " +
                                          venue + " spot is not enabled in exchanges.yaml");
    }
    if (a.futures_enabled && !ex->market_enabled(Market::kUsdm) &&
        !ex->market_enabled(Market::kCoinm)) {
      diag_.error(futures->value_mark(), "account '" + a.name + "' has futures_enabled true, but " +
                                             venue +
                                             " has no futures market enabled in exchanges.yaml");
    }
  }

  // A sub-account's email: one '@' between two non-empty parts, no space, unique.
  void read_email(const Field& f, Account& a, bool type_known) {
    if (type_known && a.type == AccountType::kMain) {
      diag_.error(f.key_mark(), "main account '" + a.name +
                                    "' cannot have an email: transfers name sub-accounts only");
      return;
    }
    a.email = read_string(f, diag_).value_or("");
    const auto at = a.email.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == a.email.size() ||
        a.email.find('@', at + 1) != std::string::npos ||
        a.email.find_first_of(" \t") != std::string::npos) {
      diag_.error(f.value_mark(), f.label() + " must be an email (name@domain), got '" + a.email + "'");
      return;
    }
    for (const Account& other : out_.accounts) {
      if (other.email == a.email) {
        diag_.error(f.value_mark(), "email '" + a.email + "' of account '" + a.name +
                                        "' is already the email of account '" + other.name + "'");
      }
    }
  }

  // A Bybit account's UID: 1 to 19 digits, not zero, unique among the Bybit accounts.
  void read_member_id(const Field& f, Account& a) {
    if (a.exchange != ExchangeId::kBybit) {
      diag_.error(f.key_mark(), "account '" + a.name + "' is on " + std::string(to_string(a.exchange)) +
                                    ": member_id (a Bybit UID) is for bybit accounts only");
      return;
    }
    const std::string text = read_string(f, diag_).value_or("");
    std::uint64_t v = 0;
    const bool digits = !text.empty() && text.size() <= 19 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    if (digits) v = std::stoull(text);
    if (!digits || v == 0) {
      diag_.error(f.value_mark(), f.label() + " must be a Bybit UID (a positive integer), got '" + text + "'");
      return;
    }
    for (const Account& other : out_.accounts) {
      if (other.exchange == ExchangeId::kBybit && other.member_id == v) {
        diag_.error(f.value_mark(), "member_id " + text + " of account '" + a.name +
                                        "' is already the member_id of account '" + other.name + "'");
        return;
      }
    }
    a.member_id = v;
  }

  // An OKX sub-account's name (subAcct): letters and digits, 1 to 32, unique among the OKX ones.
  void read_sub_account(const Field& f, Account& a, bool type_known) {
    if (a.exchange != ExchangeId::kOkx) {
      diag_.error(f.key_mark(), "account '" + a.name + "' is on " + std::string(to_string(a.exchange)) +
                                    ": sub_account (an OKX sub-account name) is for okx sub-accounts only");
      return;
    }
    if (type_known && a.type == AccountType::kMain) {
      diag_.error(f.key_mark(), "main account '" + a.name + "' cannot have a sub_account: transfers name sub-accounts only");
      return;
    }
    const std::string text = read_string(f, diag_).value_or("");
    const bool ok = !text.empty() && text.size() <= 32 &&
                    std::all_of(text.begin(), text.end(), [](char c) {
                      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                    });
    if (!ok) {
      diag_.error(f.value_mark(), f.label() + " must be an OKX sub-account name (1 to 32 letters and digits), got '" + text + "'");
      return;
    }
    for (const Account& other : out_.accounts) {
      if (other.exchange == ExchangeId::kOkx && other.sub_account == text) {
        diag_.error(f.value_mark(), "sub_account '" + text + "' of account '" + a.name +
                                        "' is already the sub_account of account '" + other.name + "'");
        return;
      }
    }
    a.sub_account = text;
  }

  void read_strategy_name(const Field& f, Account& a) {
    a.strategy = read_string(f, diag_).value_or("");
    if (a.strategy.empty() || refs_.strategy_names == nullptr) return;
    const auto& names = *refs_.strategy_names;
    if (std::find(names.begin(), names.end(), a.strategy) == names.end()) {
      diag_.error(f.value_mark(), "account '" + a.name + "' names strategy '" + a.strategy +
                                      "', which is not defined in strategies.yaml");
    }
  }

  // The target ratios of one main account's sub-accounts sum to at most 1: the one that takes
  // the sum above 1 is named where it is written.
  void check_target_ratios() {
    std::unordered_map<std::uint16_t, Decimal> sum_per_main;
    for (const Account& a : out_.accounts) {
      if (!a.target_ratio || !a.parent.valid()) continue;
      Decimal& sum = sum_per_main[a.parent.value];
      auto next = sum.add(*a.target_ratio);
      if (!next || *next > Decimal::from_raw(1'000'000'000)) {
        diag_.error(sources_[a.id.index()].target_ratio_value,
                    "target_ratio of sub-account '" + a.name + "' takes the ratios under '" +
                        out_.at(a.parent).name + "' to " + (next ? next->to_string() : "beyond range") +
                        ", above 1");
        continue;
      }
      sum = *next;
    }
  }

  // Parents may be defined after their sub-accounts: resolved once all are read.
  void resolve_parents() {
    std::unordered_map<std::uint16_t, std::size_t> subs_per_main;
    for (Account& a : out_.accounts) {
      const AccountSource& src = sources_[a.id.index()];
      if (a.type != AccountType::kSub || src.parent.empty()) continue;
      const Account* parent = out_.find(src.parent);
      const std::string prefix =
          "sub-account '" + a.name + "' names parent '" + src.parent + "', which ";
      if (parent == nullptr) {
        diag_.error(src.parent_value, prefix + "is not defined");
      } else if (parent->type != AccountType::kMain) {
        diag_.error(src.parent_value, prefix + "is a sub-account, not a main account");
      } else if (parent->exchange != a.exchange) {
        diag_.error(src.parent_value, prefix + "is on " + std::string(to_string(parent->exchange)) +
                                          ", not " + std::string(to_string(a.exchange)));
      } else {
        a.parent = parent->id;
        if (++subs_per_main[parent->id.value] == kMaxSubAccountsPerMain + 1) {
          diag_.error(src.name, "sub-account '" + a.name + "' is number " +
                                    std::to_string(kMaxSubAccountsPerMain + 1) +
                                    " under main account '" + parent->name + "'; at most " +
                                    std::to_string(kMaxSubAccountsPerMain) + " are allowed");
        }
      }
    }
  }

  // Two accounts sharing one API key would share its rate limits and its orders.
  void check_vault_paths() {
    std::unordered_map<std::string, std::size_t> first_user;
    for (const Account& a : out_.accounts) {
      if (a.api_key_vault_path.empty()) continue;
      const auto [it, inserted] = first_user.emplace(a.api_key_vault_path, a.id.index());
      if (!inserted) {
        diag_.error(sources_[a.id.index()].vault_path_value,
                    "account '" + a.name + "' uses api_key_vault_path '" + a.api_key_vault_path +
                        "', already used by account '" + out_.accounts[it->second].name + "'");
      }
    }
  }

  const References& refs_;
  Diagnostics& diag_;
  AccountsConfig out_;
  std::vector<AccountSource> sources_;  // by account id
};

}  // namespace

AccountsConfig read_accounts(const YAML::Node& doc, const References& refs, Diagnostics& diag) {
  return AccountsReader(refs, diag).read(doc);
}

}  // namespace detail

bool Account::trades(Market m) const noexcept {
  return m == Market::kSpot ? spot_enabled : futures_enabled;
}

const Account* AccountsConfig::find(std::string_view name) const {
  const auto id = ids.find(name);
  return id ? &accounts[id->index()] : nullptr;
}

AccountsConfig load_accounts_from_string(std::string_view text, std::string_view filename) {
  detail::Diagnostics diag{std::string(filename)};
  AccountsConfig out;
  if (const auto doc = detail::parse_document(text, diag)) {
    out = detail::read_accounts(*doc, detail::References{}, diag);
  }
  detail::throw_if_errors(diag);
  return out;
}

}  // namespace oms::configs
