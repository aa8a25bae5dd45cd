// Atomic file output: data goes to a temporary file beside the target, is flushed to disk, and
// is renamed over the target, so a reader never sees a partial file and a crash leaves the old one.
// No write follows a symbolic link: temporaries are created exclusively under random names, the
// rename replaces a link at the target by the file, and files opened in place (locks, logs) are
// opened with O_NOFOLLOW and must be regular files.
#pragma once

#include <string>

namespace lagm::core {

/// Writes `bytes` to `path` atomically. Throws Error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// Opens `path` for writing in place (`flags`: e.g. O_APPEND; created 0644 if absent) as a regular
/// file that is not a symbolic link; returns the descriptor. InputError naming the path and `what`
/// ("log", "lock file") for a link or a non-regular file, Error for other failures.
int open_regular_for_writing(const std::string& path, int flags, const std::string& what);

/// Creates `root` (links above and at it are the user's choice and followed) and the folders of
/// `relative` below it, and returns root/relative. A component below `root` that exists as a
/// symbolic link, or as anything but a folder, is refused (InputError naming it): a link planted
/// inside an output folder would carry every file written under it outside. `relative` is a plain
/// relative path ("img", "masks/a/b"; no "..").
std::string create_folder_inside(const std::string& root, const std::string& relative);

/// Refuses (InputError naming it) the first symbolic link found anywhere inside the existing
/// folder `root` (links are not followed while looking). For commands that hand folders inside
/// their output to other stages (the demo's arms): what they write then stays inside. Nothing is
/// done when `root` does not exist yet.
void refuse_links_inside(const std::string& root);

/// Reads a whole file. Throws InputError("<path>: cannot open ...") when unreadable.
std::string read_file(const std::string& path);

}  // namespace lagm::core
