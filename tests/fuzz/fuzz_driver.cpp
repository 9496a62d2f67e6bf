// A small stand-in for libFuzzer's driver, for compilers without it (g++): replays a seed
// corpus through LLVMFuzzerTestOneInput, then seeded random mutations of it for a bounded
// time. Run under the asan build by CTest.
//
// usage: fuzz_<target>_replay DIR_OR_FILE...
//   every regular file under the arguments is a seed (whole file = one input), plus each of
//   its lines (recordings hold one message per line).
// env:  OMS_FUZZ_SECONDS    mutation time budget (default 3)
//       OMS_FUZZ_ITERATIONS stop after this many mutated inputs (default: no cap)
//       OMS_FUZZ_SEED       RNG seed (default 20240808): a failure replays with the same seed
//       OMS_FUZZ_CRASH_DIR  where an input that crashes is written (default: the working
//                           directory), as fuzz-crash-<seed>-<n>.bin: n counts the mutated inputs
//                           (0: a seed), and the file alone replays it (pass it as the corpus)
#include <chrono>
#include <csignal>
#include <exception>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// ASan's hook, present only in a sanitized build.
extern "C" void __sanitizer_set_death_callback(void (*)()) __attribute__((weak));

namespace {

using Input = std::vector<std::uint8_t>;

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (end == nullptr || *end != '\0') {
    std::fprintf(stderr, "fuzz driver: %s=%s is not a number\n", name, v);
    std::exit(2);
  }
  return n;
}

void add_file(const std::filesystem::path& p, std::vector<Input>& corpus) {
  std::ifstream in(p, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  corpus.emplace_back(text.begin(), text.end());
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (nl > start && nl - start < text.size()) corpus.emplace_back(text.begin() + static_cast<std::ptrdiff_t>(start), text.begin() + static_cast<std::ptrdiff_t>(nl));
    start = nl + 1;
  }
}

// The input being run, written out if the process dies on it (ASan's death callback, an
// uncaught exception, abort, a trap); what is written is the input as passed, before the target
// touched it.
struct Current {
  const Input* input = nullptr;
  std::uint64_t seed = 0, n = 0;
} current;

void write_crash() {
  if (current.input == nullptr) return;
  const char* dir = std::getenv("OMS_FUZZ_CRASH_DIR");
  const std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : ".") + "/fuzz-crash-" +
                           std::to_string(current.seed) + "-" + std::to_string(current.n) + ".bin";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (!current.input->empty()) std::fwrite(current.input->data(), 1, current.input->size(), f);
    std::fclose(f);
    std::fprintf(stderr, "fuzz driver: the input that crashed is in %s (%zu bytes)\n", path.c_str(),
                 current.input->size());
  }
  current.input = nullptr;
}

// Runs one input from its own exactly sized heap block, so ASan sees any over-read.
void run(const Input& in, std::uint64_t n) {
  current.input = &in;
  current.n = n;
  std::vector<std::uint8_t> copy(in);
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  current.input = nullptr;
}

class Mutator {
 public:
  Mutator(std::uint64_t seed, const std::vector<Input>& corpus) : rng_(seed), corpus_(corpus) {}

  Input next() {
    Input in = pick();
    const int rounds = 1 + static_cast<int>(below(4));
    for (int i = 0; i < rounds; ++i) mutate(in);
    return in;
  }

 private:
  std::size_t below(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  const Input& pick() { return corpus_[below(corpus_.size())]; }

  void mutate(Input& in) {
    static constexpr std::string_view kTokens[] = {
        "\"", "{", "}", "[", "]", ",", ":", "0", "9", "-", ".", "e", "null", "true",
        "\"\"", "[]", "{}", "99999999999999999999", "1e400", "0.000000001", "\\u0000", "\\",
        // text protocols (HTTP requests, YAML)
        "\r\n", "\r\n\r\n", " ", "\t", "%", "%00", "?", "/", "-1", "Content-Length: ",
        "Transfer-Encoding: chunked\r\n", "ffffffffffffffff", "&", "="};
    const std::size_t pos = below(in.size() + 1);
    switch (below(8)) {
      case 0:  // flip a bit
        if (!in.empty()) in[below(in.size())] ^= static_cast<std::uint8_t>(1u << below(8));
        break;
      case 1:  // truncate
        in.resize(pos);
        break;
      case 2: {  // splice: our head, another input's tail
        const Input& other = pick();
        const std::size_t from = below(other.size() + 1);
        in.resize(pos);
        in.insert(in.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        break;
      }
      case 3:
      case 4: {  // insert a JSON token
        const std::string_view t = kTokens[below(std::size(kTokens))];
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(pos), t.begin(), t.end());
        break;
      }
      case 5: {  // remove a structural character or digit
        for (std::size_t tries = 0; tries < 8 && !in.empty(); ++tries) {
          const std::size_t i = below(in.size());
          const char c = static_cast<char>(in[i]);
          if (c == '"' || c == '{' || c == '}' || c == '[' || c == ']' || c == ',' ||
              c == ':' || (c >= '0' && c <= '9')) {
            in.erase(in.begin() + static_cast<std::ptrdiff_t>(i));
            break;
          }
        }
        break;
      }
      case 6: {  // duplicate a range
        if (in.empty()) break;
        const std::size_t a = below(in.size()), len = 1 + below(std::min<std::size_t>(64, in.size() - a));
        const Input piece(in.begin() + static_cast<std::ptrdiff_t>(a),
                          in.begin() + static_cast<std::ptrdiff_t>(a + len));
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(pos), piece.begin(), piece.end());
        break;
      }
      default:  // replace a byte with a random one
        if (!in.empty()) in[below(in.size())] = static_cast<std::uint8_t>(below(256));
        break;
    }
  }

  std::mt19937_64 rng_;
  const std::vector<Input>& corpus_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<Input> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p = argv[i];
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) add_file(e.path(), corpus);
    } else if (std::filesystem::is_regular_file(p)) {
      add_file(p, corpus);
    } else {
      std::fprintf(stderr, "fuzz driver: no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  corpus.emplace_back();  // the empty input
  const std::uint64_t seconds = env_or("OMS_FUZZ_SECONDS", 3);
  const std::uint64_t max_iterations = env_or("OMS_FUZZ_ITERATIONS", UINT64_MAX);
  const std::uint64_t seed = env_or("OMS_FUZZ_SEED", 20240808);

  current.seed = seed;
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(write_crash);
  std::set_terminate([] {
    write_crash();
    std::abort();
  });
  // abort(), a trap, a bad division: signals ASan leaves alone by default.
  for (const int sig : {SIGABRT, SIGILL, SIGFPE, SIGBUS}) {
    std::signal(sig, [](int s) {
      write_crash();
      std::signal(s, SIG_DFL);
      std::raise(s);
    });
  }
  for (const auto& in : corpus) run(in, 0);
  Mutator mutator(seed, corpus);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::uint64_t n = 0;
  while (n < max_iterations && std::chrono::steady_clock::now() < deadline) {
    for (int batch = 0; batch < 64 && n < max_iterations; ++batch) {
      ++n;
      const Input in = mutator.next();
      run(in, n);
    }
  }
  std::printf("fuzz driver: %zu seeds, %llu mutated inputs (seed %llu), no crash\n",
              corpus.size(), static_cast<unsigned long long>(n),
              static_cast<unsigned long long>(seed));
  return 0;
}
