// Runs a fuzz target without libFuzzer, as a ctest test. It feeds every
// file of the corpus folders named on the command line, then a fixed
// number of inputs from a seeded generator. CI thus exercises the target
// with g++ on every run, and a failed check aborts, which fails the test.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++files;
    }
  }
  // Random inputs biased towards frame-like bytes: headers with the mask
  // bit, short lengths and the extended length markers.
  std::mt19937_64 random(20261204);
  const uint8_t firsts[] = {0x81, 0x82, 0x01, 0x80, 0x88, 0x89, 0x8A, 0x09, 0xC1, 0x83};
  const uint8_t seconds[] = {0x80, 0x85, 0xFD, 0xFE, 0xFF, 0x05, 0xFE, 0x81};
  std::vector<uint8_t> input;
  for (int round = 0; round < 200000; ++round) {
    input.clear();
    input.push_back(static_cast<uint8_t>(random()));
    size_t frames = random() % 4;
    for (size_t f = 0; f < frames; ++f) {
      input.push_back(firsts[random() % std::size(firsts)]);
      input.push_back(seconds[random() % std::size(seconds)]);
      // Mostly short payloads. One frame in eight gets up to 700 bytes, past
      // the control and message limits.
      size_t tail = random() % 8 == 0 ? random() % 700 : random() % 40;
      for (size_t b = 0; b < tail; ++b) input.push_back(static_cast<uint8_t>(random()));
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("replayed %zu corpus files and 200000 generated inputs\n", files);
  return 0;
}
