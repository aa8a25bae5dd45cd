#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

namespace lagm::test {

std::filesystem::path fresh_temp_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string id = name;
  if (info) id = std::string(info->test_suite_name()) + "." + info->name() + "." + name;
  auto dir =
      std::filesystem::temp_directory_path() / ("lagm_test_" + std::to_string(::getpid())) / id;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::pair<int, std::string> run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

int run_python_file(const std::string& name, const std::vector<std::string>& args) {
  std::string command = "/usr/bin/python3 '" LAGM_TEST_PYTHON_DIR "/" + name + ".py'";
  for (const auto& a : args) command += " '" + a + "'";
  const auto [code, output] = run_command(command);
  if (code != 0)
    std::fprintf(stderr, "%s.py failed (%d):\n%s\n", name.c_str(), code, output.c_str());
  return code;
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace lagm::test
