#include "lagm/core/memory_budget.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "lagm/core/error.h"

namespace lagm::core {
namespace {

// "MemAvailable:  123456 kB" of /proc/meminfo, in bytes; 0 when absent.
uint64_t meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  uint64_t value = 0;
  while (in >> key >> value >> unit)
    if (key == "MemAvailable:") return value * 1024;
  return 0;
}

// What the cgroup v2 (or v1) memory limit leaves to this process's group; 0 = no limit known.
uint64_t cgroup_headroom() {
  auto read_number = [](const char* path) -> uint64_t {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text == "max") return 0;
    try {
      return std::stoull(text);
    } catch (const std::exception&) {
      return 0;
    }
  };
  for (const auto& [limit_path, usage_path] :
       {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
        std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    const uint64_t limit = read_number(limit_path);
    // cgroup v1 reports "no limit" as a huge number near 2^63.
    if (limit == 0 || limit > (uint64_t{1} << 60)) continue;
    const uint64_t usage = read_number(usage_path);
    return limit > usage ? limit - usage : 1;
  }
  return 0;
}

// LAGM_MEMORY_LIMIT: bytes, with an optional K/M/G/T suffix; 0 when unset or unreadable.
uint64_t user_limit() {
  const char* text = std::getenv("LAGM_MEMORY_LIMIT");
  if (!text || !*text) return 0;
  char* end = nullptr;
  const double number = std::strtod(text, &end);
  if (end == text || !(number > 0)) return 0;
  double scale = 1;
  switch (*end) {
    case 'K':
    case 'k':
      scale = 1024.0;
      break;
    case 'M':
    case 'm':
      scale = 1024.0 * 1024;
      break;
    case 'G':
    case 'g':
      scale = 1024.0 * 1024 * 1024;
      break;
    case 'T':
    case 't':
      scale = 1024.0 * 1024 * 1024 * 1024;
      break;
    default:
      break;
  }
  return static_cast<uint64_t>(std::min(number * scale, 1.8e19));
}

}  // namespace

uint64_t available_memory_bytes() {
  uint64_t available = 0;
  for (const uint64_t bound : {meminfo_available(), cgroup_headroom(), user_limit()})
    if (bound > 0) available = available == 0 ? bound : std::min(available, bound);
  return available;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000 && u < 5) bytes /= 1024, ++u;
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return text;
}

void require_memory(double bytes, const std::string& what, const std::string& how) {
  const uint64_t available = available_memory_bytes();
  if (available == 0 || bytes <= static_cast<double>(available)) return;
  throw InputError(what + " needs at least " + format_bytes(bytes) + " of memory (" + how + "); " +
                   format_bytes(static_cast<double>(available)) +
                   " is available: use smaller values");
}

}  // namespace lagm::core
