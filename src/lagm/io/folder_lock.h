// One writer per output folder: an advisory lock (flock) on a file in the folder, held for the
// lifetime of the object. A second process that wants to write there gets an InputError naming the
// folder and the holder's pid. The kernel releases the lock when its process dies (even by kill
// -9), so the lock file a dead run leaves behind is simply taken over.
#pragma once

#include <string>

namespace lagm::io {

class FolderLock {
 public:
  /// Creates `dir` if needed and locks `dir/<name>`. Writers that may share a folder on purpose
  /// (synthesis shards) use different names.
  explicit FolderLock(const std::string& dir, const std::string& name = ".lock");
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace lagm::io
