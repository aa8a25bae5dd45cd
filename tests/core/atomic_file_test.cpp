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
