#include "lagm/io/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::io {

FolderLock::FolderLock(const std::string& dir, const std::string& name) {
  std::filesystem::create_directories(dir);
  const std::string path = (std::filesystem::path(dir) / name).string();
  // Write-only is enough for flock; pread of the holder's pid needs a read descriptor of its own.
  fd_ = core::open_regular_for_writing(path, 0, "folder's lock file");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {0};
    const int reader = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    const ssize_t n = reader >= 0 ? ::pread(reader, holder, sizeof holder - 1, 0) : -1;
    if (reader >= 0) ::close(reader);
    ::close(fd_);
    fd_ = -1;
    const std::string pid =
        n > 0 ? std::string(holder, static_cast<size_t>(n)) : std::string("unknown");
    throw InputError(
        dir + ": another lagm process (pid " + pid +
        ") is writing to this folder; wait for it to finish or choose another output folder");
  }
  // The pid only serves the message a second writer gets; failing to write it is harmless.
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace lagm::io
