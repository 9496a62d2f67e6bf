// Seeds for fuzz_codec: every event and command kind, random fields (testkit's generator), as
// JSON (one file per kind, one message a line) and binary (one file per message).
//   usage: fuzz_codec_seeds DIR
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "oms/messages/codec.hpp"
#include "testkit/random_messages.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_codec_seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const oms::Directory names = oms::testkit::sample_directory();
  oms::testkit::RandomMessages random(20240808, names);
  const auto write = [&](const std::string& stem, std::size_t kind, auto make) {
    std::ofstream json(dir / (stem + std::to_string(kind) + ".jsonl"));
    for (int i = 0; i < 4; ++i) {
      const auto m = make(kind);
      if (const auto text = oms::encode_json(m, names)) json << *text << "\n";
      std::array<std::byte, oms::kMaxBinarySize> buffer{};
      if (const auto n = oms::encode_binary(m, buffer)) {
        std::ofstream bin(dir / (stem + std::to_string(kind) + "_" + std::to_string(i) + ".bin"), std::ios::binary);
        bin.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(*n));
      }
    }
  };
  for (std::size_t k = 0; k < std::variant_size_v<oms::EventPayload>; ++k)
    write("event_", k, [&](std::size_t kind) { return random.event(kind); });
  for (std::size_t k = 0; k < std::variant_size_v<oms::CommandPayload>; ++k)
    write("command_", k, [&](std::size_t kind) { return random.command(kind); });
  return 0;
}
