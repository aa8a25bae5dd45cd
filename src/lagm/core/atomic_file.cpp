#include "lagm/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "lagm/core/error.h"

namespace lagm::core {
namespace {

// A new temporary file beside `path`, created exclusively under a random name (mkstemp: O_EXCL, so
// a link planted under any name is never followed), readable as an ordinary output (0644).
int create_temporary(const std::string& path, std::string& tmp) {
  std::vector<char> name(path.begin(), path.end());
  const std::string suffix = ".tmp.XXXXXX";
  name.insert(name.end(), suffix.begin(), suffix.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot create temporary file: " + std::strerror(errno));
  tmp.assign(name.data());
  (void)::fchmod(fd, 0644);
  return fd;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  std::string tmp;
  const int fd = create_temporary(path, tmp);
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(path + ": write failed: " + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(path + ": cannot flush: " + std::strerror(err));
  }
  // rename() replaces a link at `path` by the file itself: the link's target is never written.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(path + ": cannot rename temporary file: " + std::strerror(err));
  }
}

std::string create_folder_inside(const std::string& root, const std::string& relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (!fs::is_directory(root))
    throw InputError(root + ": cannot create the output folder" +
                     (ec ? ": " + ec.message() : std::string(" (a file is in the way)")));
  fs::path path(root);
  for (const fs::path& part : fs::path(relative).lexically_normal()) {
    if (part.empty() || part == ".") continue;
    if (part == ".." || part.is_absolute())
      throw std::logic_error("create_folder_inside: '" + relative + "' leaves " + root);
    path /= part;
    // mkdir never follows a link at its path: EEXIST then sends it to the look below.
    if (::mkdir(path.c_str(), 0755) == 0) continue;
    const int err = errno;
    struct stat st {};
    if (err != EEXIST || ::lstat(path.c_str(), &st) != 0)
      throw Error(path.string() + ": cannot create folder: " + std::strerror(err));
    if (S_ISLNK(st.st_mode))
      throw InputError(path.string() +
                       ": a symbolic link inside the output folder; lagm writes nothing through a "
                       "link (remove it)");
    if (!S_ISDIR(st.st_mode)) throw InputError(path.string() + ": not a folder");
  }
  return path.string();
}

void refuse_links_inside(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  // The iterator does not enter linked folders (no follow_directory_symlink).
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_symlink(ec))
      throw InputError(it->path().string() +
                       ": a symbolic link inside the output folder; lagm writes nothing through a "
                       "link (remove it)");
}

int open_regular_for_writing(const std::string& path, int flags, const std::string& what) {
  // Looked at before opening: opening a FIFO planted under the name would block for ever.
  struct stat before {};
  if (::lstat(path.c_str(), &before) == 0 && !S_ISLNK(before.st_mode) && !S_ISREG(before.st_mode))
    throw InputError(path + ": the " + what + " is not a regular file");
  // O_NONBLOCK: should a FIFO replace the file between the look and the open, the open fails
  // instead of waiting (it changes nothing for a regular file).
  const int fd =
      ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP)
      throw InputError(path + ": the " + what +
                       " is a symbolic link; lagm writes no file through a link (remove it)");
    if (err == EISDIR) throw InputError(path + ": the " + what + " is a folder, not a file");
    throw Error(path + ": cannot open the " + what + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path + ": the " + what + " is not a regular file");
  }
  return fd;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path + ": read error");
  return buffer.str();
}

}  // namespace lagm::core
