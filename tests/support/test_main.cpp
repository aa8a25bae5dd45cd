// main() of every test binary. Each binary runs once per CTest session (LibTorch's start-up costs
// seconds per process), and CTest still reports every test on its own: with LAGM_TEST_RESULTS_DIR
// set, a listener writes one small file per test, which the per-test CTest entries then check
// (tests/support/check_test_result.cmake).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

/// Writes `<dir>/<Suite.Name>.result` after each test: first line passed/failed/skipped, then every
/// failure message. '/' in parameterised names becomes '%'.
class ResultFileWriter : public testing::EmptyTestEventListener {
 public:
  explicit ResultFileWriter(std::filesystem::path dir) : dir_(std::move(dir)) {}

  static std::string file_name(std::string test) {
    for (auto& c : test)
      if (c == '/') c = '%';
    return test + ".result";
  }

 private:
  void OnTestEnd(const testing::TestInfo& info) override {
    const std::string name = std::string(info.test_suite_name()) + "." + info.name();
    const auto* r = info.result();
    const char* status = r->Skipped() ? "skipped" : r->Failed() ? "failed" : "passed";
    std::ofstream out(dir_ / file_name(name));
    out << status << "\n";
    for (int i = 0; i < r->total_part_count(); ++i) {
      const auto& part = r->GetTestPartResult(i);
      if (part.failed())
        out << (part.file_name() ? part.file_name() : "?") << ":" << part.line_number() << ": "
            << part.message() << "\n";
    }
    out << "(" << r->elapsed_time()
        << " ms; the test's own output is in the log of the binary's '.run' test)\n";
  }

  std::filesystem::path dir_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (const char* dir = std::getenv("LAGM_TEST_RESULTS_DIR"); dir && *dir) {
    std::filesystem::create_directories(dir);
    testing::UnitTest::GetInstance()->listeners().Append(new ResultFileWriter(dir));
  }
  return RUN_ALL_TESTS();
}
