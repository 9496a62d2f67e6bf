// oms-keys: add, rotate, remove and list API keys in an encrypted key file (KeyFileStore).
// Never prints a key or secret: `list` shows names and API-key fingerprints only.
#include <openssl/crypto.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "oms/connectors/secrets/key_file_store.hpp"

using namespace oms::secrets;

namespace {

constexpr const char* kUsage = R"(usage: oms-keys --file FILE [--passphrase-file P] [--scrypt-log2n N (new files; default 15)] COMMAND
  add NAME      [--api-key K] [--api-secret S] [--private-key-file PEM] [--api-passphrase-file F]
                (creates FILE if missing)
  rotate NAME   [--api-key K] [--api-secret S] [--private-key-file PEM] [--api-passphrase-file F]
  remove NAME
  list          names and API-key fingerprints (never secrets)
NAME is {exchange}_{market}_{account}, e.g. binance_spot_main.
Secrets not given as flags are read from stdin: line 1 api_key, line 2 api_secret, then an
optional PEM private key up to end of input. Prefer stdin: flags show up in `ps` and history.
--api-passphrase-file: the API key's own passphrase (OKX keys have one), read from a file of
mode 0600 (first line).
The key file's passphrase comes from --passphrase-file (mode 0600) or $OMS_KEYFILE_PASSPHRASE.
)";

struct Usage {
  std::string what;
};

struct Args {
  std::string file, passphrase_file, command, name, private_key_file, api_passphrase_file;
  std::optional<std::string> api_key, api_secret;
  ScryptParams params;
};

Args parse(int argc, char** argv) {
  Args a;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Usage{arg + " needs a value"};
      return argv[++i];
    };
    if (arg == "--file") a.file = value();
    else if (arg == "--passphrase-file") a.passphrase_file = value();
    else if (arg == "--api-key") a.api_key = value();
    else if (arg == "--api-secret") a.api_secret = value();
    else if (arg == "--private-key-file") a.private_key_file = value();
    else if (arg == "--api-passphrase-file") a.api_passphrase_file = value();
    else if (arg == "--scrypt-log2n") {
      const std::string v = value();
      const int n = std::atoi(v.c_str());
      if (n < 10 || n > kMaxScryptLog2N) throw Usage{"--scrypt-log2n: expected 10.." + std::to_string(kMaxScryptLog2N)};
      a.params.log2_n = static_cast<std::uint8_t>(n);
    } else if (arg == "-h" || arg == "--help") throw Usage{""};
    else if (arg.starts_with("--")) throw Usage{"unknown option " + arg};
    else positional.push_back(arg);
  }
  if (a.file.empty()) throw Usage{"--file is required"};
  if (positional.empty()) throw Usage{"no command"};
  a.command = positional[0];
  const bool named = a.command == "add" || a.command == "rotate" || a.command == "remove";
  if (named && positional.size() != 2) throw Usage{a.command + " takes one NAME"};
  if (a.command == "list" && positional.size() != 1) throw Usage{"list takes no arguments"};
  if (!named && a.command != "list") throw Usage{"unknown command " + a.command};
  if (named) a.name = positional[1];
  return a;
}

template <class T>
T must(oms::Result<T, SecretError> r) {
  if (!r) throw r.error();
  return std::move(r).value();
}

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

ApiCredentials read_credentials(Args& a) {
  std::string in;  // stdin only when a flag is missing (both flags given: nothing to read)
  if (!a.api_key || !a.api_secret)
    in.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::string key, secret, pem;
  std::size_t pos = 0;
  const auto line = [&]() {
    const auto nl = in.find('\n', pos);
    std::string l = in.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? in.size() : nl + 1;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    return l;
  };
  key = a.api_key ? *a.api_key : line();
  secret = a.api_secret ? *a.api_secret : line();
  if (!a.private_key_file.empty()) {
    std::ifstream f(a.private_key_file, std::ios::binary);
    if (!f) throw SecretError{SecretErrorCode::kIo, "cannot read --private-key-file " + a.private_key_file};
    pem.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  } else if (pos < in.size()) {
    pem = in.substr(pos);
  }
  ApiCredentials c;
  const bool missing = key.empty() || secret.empty();
  if (!missing) {
    c.api_key = must(SecureBuffer::copy_of(key));
    c.api_secret = must(SecureBuffer::copy_of(secret));
    if (!pem.empty()) c.private_key = must(SecureBuffer::copy_of(pem));
    if (!a.api_passphrase_file.empty()) {
      // The same rules as the key file's passphrase file: 0600, first line.
      c.passphrase = must(passphrase_from_file(a.api_passphrase_file));
    }
  }
  for (std::string* s : {&in, &key, &secret, &pem}) wipe(*s);
  if (a.api_key) wipe(*a.api_key);
  if (a.api_secret) wipe(*a.api_secret);
  if (missing) throw Usage{"api_key and api_secret are required (flags or stdin lines 1 and 2)"};
  return c;
}

int run(Args& a) {
  if (auto h = harden_process(); !h) throw h.error();
  SecureBuffer pass = a.passphrase_file.empty() ? must(passphrase_from_env())
                                                : must(passphrase_from_file(a.passphrase_file));
  const auto mode = a.command == "add" ? KeyFileStore::Mode::kCreateIfMissing : KeyFileStore::Mode::kMustExist;
  KeyFileStore store = must(KeyFileStore::open(a.file, std::move(pass), mode, a.params));
  if (a.command == "list") {
    for (const auto& name : must(store.list())) {
      const ApiCredentials c = must(store.get(name));
      std::cout << name << "  api_key " << fingerprint(c.api_key)
                << "  private_key " << (c.private_key.empty() ? "no" : "yes")
                << "  passphrase " << (c.passphrase.empty() ? "no" : "yes") << '\n';
    }
    return 0;
  }
  if (a.command == "remove") {
    must(store.remove(a.name));
    std::cout << "removed " << a.name << '\n';
    return 0;
  }
  const ApiCredentials c = read_credentials(a);
  must(a.command == "add" ? store.put(a.name, c) : store.rotate(a.name, c));
  std::cout << (a.command == "add" ? "added " : "rotated ") << a.name << "  api_key "
            << fingerprint(c.api_key) << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    return run(a);
  } catch (const Usage& u) {
    if (!u.what.empty()) std::cerr << "oms-keys: " << u.what << '\n';
    std::cerr << kUsage;
    return 2;
  } catch (const SecretError& e) {
    std::cerr << "oms-keys: " << e.message << " (" << static_cast<int>(e.code) << ")\n";
    return 1;
  }
}
