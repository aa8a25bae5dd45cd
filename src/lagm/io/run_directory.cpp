#include "lagm/io/run_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::io {
namespace fs = std::filesystem;

std::string create_run_directory(const std::string& outdir, const std::string& name) {
  fs::create_directories(outdir);
  int next = 0;
  const std::regex pattern(R"(^(\d{5})-.*)");
  for (const auto& e : fs::directory_iterator(outdir)) {
    std::smatch m;
    const std::string fname = e.path().filename().string();
    if (std::regex_match(fname, m, pattern)) next = std::max(next, std::stoi(m[1]) + 1);
  }
  for (;; ++next) {
    char id[16];
    std::snprintf(id, sizeof id, "%05d", next);
    const fs::path dir = fs::path(outdir) / (std::string(id) + "-" + name);
    // create_directory is false when another process made it first: take the next id.
    if (fs::create_directory(dir)) return dir.string();
  }
}

void append_jsonl(const std::string& path, const nlohmann::json& record) {
  append_line(path, record.dump());
}

void truncate_jsonl_after(const std::string& path, const std::string& key, double last_kept) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains(key) && j[key].is_number() && j[key].get<double>() <= last_kept)
      kept += line + "\n";
  }
  core::write_file_atomic(path, kept);
}

void append_line(const std::string& path, const std::string& line) {
  // O_APPEND on a regular file that is not a link: a log planted as a link to another file is
  // refused, not written through.
  const int fd = core::open_regular_for_writing(path, O_APPEND, "log");
  const std::string text = line + "\n";
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw Error(path + ": cannot append: " + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::close(fd);
}

std::string format_duration(double seconds) {
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh %02ldm %02lds", s / 3600, (s / 60) % 60, s % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm %02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

}  // namespace lagm::io
