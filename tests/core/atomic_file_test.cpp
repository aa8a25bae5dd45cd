// The atomic writer never writes through a symbolic link: a link at the target is replaced by the
// file, temporaries are random and exclusive (none is left behind), and files opened in place are
// refused when they are links, folders or other non-regular files.
#include "lagm/core/atomic_file.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "lagm/core/error.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(AtomicFile, ALinkAtTheTargetIsReplacedNotFollowed) {
  const auto dir = lagm::test::fresh_temp_dir("atomic_link");
  fs::create_directories(dir / "out");
  lagm::core::write_file_atomic((dir / "outside.txt").string(), "precious");
  fs::create_symlink(dir / "outside.txt", dir / "out/result.json");
  lagm::core::write_file_atomic((dir / "out/result.json").string(), "new");
  EXPECT_EQ(lagm::core::read_file((dir / "outside.txt").string()), "precious");
  EXPECT_FALSE(fs::is_symlink(dir / "out/result.json"));
  EXPECT_EQ(lagm::core::read_file((dir / "out/result.json").string()), "new");
  // Written twice: nothing but the file in the folder (no temporary left behind).
  lagm::core::write_file_atomic((dir / "out/result.json").string(), "newer");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir / "out")) entries += e.exists() ? 1 : 0;
  EXPECT_EQ(entries, 1);
  EXPECT_EQ(fs::status(dir / "out/result.json").permissions() & fs::perms::others_read,
            fs::perms::others_read);
}

TEST(AtomicFile, FilesOpenedInPlaceMustBeRegularFilesNotLinks) {
  const auto dir = lagm::test::fresh_temp_dir("inplace_link");
  lagm::core::write_file_atomic((dir / "outside.txt").string(), "precious");
  fs::create_symlink(dir / "outside.txt", dir / "log.txt");
  try {
    lagm::core::open_regular_for_writing((dir / "log.txt").string(), O_APPEND, "log");
    ADD_FAILURE() << "a planted link was opened";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("symbolic link"));
  }
  EXPECT_EQ(lagm::core::read_file((dir / "outside.txt").string()), "precious");
  fs::create_directories(dir / "folder");
  EXPECT_THROW(lagm::core::open_regular_for_writing((dir / "folder").string(), O_APPEND, "log"),
               lagm::InputError);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  EXPECT_THROW(lagm::core::open_regular_for_writing((dir / "fifo").string(), O_APPEND, "log"),
               lagm::InputError);
  const int fd =
      lagm::core::open_regular_for_writing((dir / "fresh.txt").string(), O_APPEND, "log");
  EXPECT_GE(fd, 0);
  ::close(fd);
}

// Folders below an output folder: made when missing, kept when real, refused when a link (even
// one to a folder) or a file stands at any level, so nothing is written outside through them.
TEST(AtomicFile, FoldersInsideAnOutputFolderAreNeverLinks) {
  const auto dir = lagm::test::fresh_temp_dir("folder_inside");
  const auto root = (dir / "out").string();
  EXPECT_EQ(lagm::core::create_folder_inside(root, "masks/a/b"), (dir / "out/masks/a/b").string());
  EXPECT_TRUE(fs::is_directory(dir / "out/masks/a/b"));
  EXPECT_NO_THROW(lagm::core::create_folder_inside(root, "masks/a/b"));  // again: kept
  EXPECT_NO_THROW(lagm::core::create_folder_inside(root, ""));
  fs::create_directories(dir / "elsewhere");
  fs::create_symlink(dir / "elsewhere", dir / "out/img");
  fs::create_symlink(dir / "elsewhere", dir / "out/masks/deep");
  lagm::core::write_file_atomic((dir / "out/file").string(), "x");
  for (const std::string relative : {"img", "img/x", "masks/deep/x", "file", "file/y"}) {
    try {
      lagm::core::create_folder_inside(root, relative);
      ADD_FAILURE() << relative << " was accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr((dir / "out").string())) << relative;
    }
  }
  EXPECT_TRUE(fs::is_empty(dir / "elsewhere"));
  // The root itself may be a link: where the output goes is the user's choice.
  fs::create_symlink(dir / "elsewhere", dir / "chosen");
  EXPECT_NO_THROW(lagm::core::create_folder_inside((dir / "chosen").string(), "img"));
  EXPECT_TRUE(fs::is_directory(dir / "elsewhere/img"));
  EXPECT_THROW(lagm::core::create_folder_inside(root, "../escape"), std::logic_error);
}

// A link anywhere inside a folder handed to other stages is found without being followed.
TEST(AtomicFile, LinksAnywhereInsideAFolderAreFound) {
  const auto dir = lagm::test::fresh_temp_dir("links_inside");
  EXPECT_NO_THROW(lagm::core::refuse_links_inside((dir / "absent").string()));
  fs::create_directories(dir / "out/a/b");
  lagm::core::write_file_atomic((dir / "out/a/b/file").string(), "x");
  EXPECT_NO_THROW(lagm::core::refuse_links_inside((dir / "out").string()));
  fs::create_directories(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "out/a/b/arm");
  try {
    lagm::core::refuse_links_inside((dir / "out").string());
    ADD_FAILURE() << "the link was not found";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir / "out/a/b/arm").string()));
  }
}
