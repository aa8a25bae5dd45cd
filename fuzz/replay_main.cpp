// Replays saved fuzz inputs (the seed corpora and every past finding in fuzz/regressions) through
// the fuzz targets' entry points in an ordinary build, so that CI re-checks each parser of outside
// bytes against everything the fuzzer ever found without needing clang or libFuzzer. Usage:
// fuzz_replay TARGET PATH... (files, or folders whose files are replayed in name order).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

// Each target's LLVMFuzzerTestOneInput, renamed at compile time (fuzz/CMakeLists.txt).
extern "C" {
int lagm_fuzz_safetensors(const uint8_t* data, size_t size);
int lagm_fuzz_npy(const uint8_t* data, size_t size);
int lagm_fuzz_image(const uint8_t* data, size_t size);
int lagm_fuzz_config(const uint8_t* data, size_t size);
int lagm_fuzz_voc_xml(const uint8_t* data, size_t size);
int lagm_fuzz_pascal_part_mat(const uint8_t* data, size_t size);
int lagm_fuzz_pickle(const uint8_t* data, size_t size);
}

namespace {

namespace fs = std::filesystem;
using EntryPoint = int (*)(const uint8_t*, size_t);

const std::map<std::string, EntryPoint> kTargets = {
    {"safetensors", lagm_fuzz_safetensors},
    {"npy", lagm_fuzz_npy},
    {"image", lagm_fuzz_image},
    {"config", lagm_fuzz_config},
    {"voc_xml", lagm_fuzz_voc_xml},
    {"pascal_part_mat", lagm_fuzz_pascal_part_mat},
    {"pickle", lagm_fuzz_pickle},
};

std::vector<fs::path> inputs_under(const fs::path& p) {
  std::vector<fs::path> files;
  if (fs::is_directory(p)) {
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(p);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || !kTargets.count(argv[1])) {
    std::fprintf(stderr,
                 "usage: fuzz_replay {safetensors|npy|image|config|voc_xml|pascal_part_mat|pickle} "
                 "PATH...\n");
    return 2;
  }
  const EntryPoint run = kTargets.at(argv[1]);
  int replayed = 0;
  for (int i = 2; i < argc; ++i) {
    if (!fs::exists(argv[i])) {
      std::fprintf(stderr, "fuzz_replay: %s: not found\n", argv[i]);
      return 2;
    }
    for (const auto& file : inputs_under(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      // A target lets through only what is not lagm's one-line refusal of bad input: a finding.
      try {
        run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_replay: FINDING %s: %s\n", file.c_str(), e.what());
        return 1;
      }
      ++replayed;
    }
  }
  std::printf("fuzz_replay %s: %d inputs, no finding\n", argv[1], replayed);
  return replayed > 0 ? 0 : 1;
}
