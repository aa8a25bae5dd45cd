// One writer per output folder, and resumed runs that never repeat a metrics line.
#include "lagm/io/folder_lock.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/io/folder_settings.h"
#include "lagm/io/run_directory.h"
#include "test_support.h"

using ::testing::HasSubstr;

TEST(FolderLock, ASecondWriterIsRefusedNamingTheFolderAndTheHolder) {
  const auto dir = (lagm::test::fresh_temp_dir("lock") / "out").string();
  {
    const lagm::io::FolderLock first(dir);
    try {
      const lagm::io::FolderLock second(dir);
      FAIL() << "two writers hold one folder";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr(dir));
      EXPECT_THAT(e.what(), HasSubstr("pid " + std::to_string(::getpid())));
    }
    // Writers that share a folder on purpose use their own lock names.
    EXPECT_NO_THROW(lagm::io::FolderLock(dir, ".lock-shard-1-of-2"));
  }
  EXPECT_NO_THROW(lagm::io::FolderLock{dir});  // released with its holder
}

// A writer killed with SIGKILL leaves its lock file behind; the next writer takes it over.
TEST(FolderLock, TheLockOfAKilledProcessIsTakenOver) {
  const auto dir = lagm::test::fresh_temp_dir("stale_lock").string();
  const std::string path = dir + "/.lock";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // only async-signal-safe calls here
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(1);
    (void)!::write(fd, "held", 4);
    for (;;) ::pause();
  }
  bool held = false;
  for (int i = 0; i < 500 && !held; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    held = lagm::core::read_file(path) == "held";
  }
  ASSERT_TRUE(held);
  EXPECT_THROW(lagm::io::FolderLock{dir}, lagm::InputError);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_NO_THROW(lagm::io::FolderLock{dir});
}

TEST(RunDirectory, TruncateJsonlKeepsTheSavedLinesOnly) {
  const auto path = (lagm::test::fresh_temp_dir("jsonl") / "metrics-val.jsonl").string();
  lagm::core::write_file_atomic(path,
                                "{\"epoch\":0,\"mIoU\":0.1}\n{\"epoch\":1,\"mIoU\":0.2}\n"
                                "{\"epoch\":2,\"mIoU\":0.3}\n{\"epoch\":2,\"mI");  // cut by a crash
  lagm::io::truncate_jsonl_after(path, "epoch", 1);
  EXPECT_EQ(lagm::core::read_file(path),
            "{\"epoch\":0,\"mIoU\":0.1}\n{\"epoch\":1,\"mIoU\":0.2}\n");
  EXPECT_NO_THROW(lagm::io::truncate_jsonl_after(path + ".absent", "epoch", 1));
}

TEST(RunDirectory, ConcurrentRunsGetDistinctIds) {
  const auto root = lagm::test::fresh_temp_dir("run_ids").string();
  std::vector<std::string> dirs(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < dirs.size(); ++i)
    threads.emplace_back([&, i] { dirs[i] = lagm::io::create_run_directory(root, "r"); });
  for (auto& t : threads) t.join();
  std::sort(dirs.begin(), dirs.end());
  EXPECT_EQ(std::unique(dirs.begin(), dirs.end()), dirs.end());
}

namespace fs = std::filesystem;

// A lock file or log planted as a link to a file outside the folder is refused, and the outside
// file is left as it was.
TEST(FolderLock, PlantedLinksAreRefusedNotFollowed) {
  const auto dir = lagm::test::fresh_temp_dir("lock_link");
  fs::create_directories(dir / "out");
  lagm::core::write_file_atomic((dir / "outside.txt").string(), "precious");
  fs::create_symlink(dir / "outside.txt", dir / "out/.lock");
  EXPECT_THROW(lagm::io::FolderLock((dir / "out").string()), lagm::InputError);
  fs::create_symlink(dir / "outside.txt", dir / "out/log.txt");
  EXPECT_THROW(lagm::io::append_line((dir / "out/log.txt").string(), "hello"), lagm::InputError);
  EXPECT_EQ(lagm::core::read_file((dir / "outside.txt").string()), "precious");
  lagm::io::append_line((dir / "out/new.log").string(), "one");
  lagm::io::append_line((dir / "out/new.log").string(), "two");
  EXPECT_EQ(lagm::core::read_file((dir / "out/new.log").string()), "one\ntwo\n");
}

TEST(FolderSettings, SameSettingsCompleteOthersAreRefusedByName) {
  const auto dir = lagm::test::fresh_temp_dir("folder_settings").string();
  lagm::io::claim_folder_settings(dir, "s.json", {{"style", "photo"}, {"res", 64}});
  lagm::io::claim_folder_settings(dir, "s.json", {{"res", 64}, {"style", "photo"}});
  try {
    lagm::io::claim_folder_settings(dir, "s.json", {{"style", "flat"}, {"res", 64}, {"seed", 3}});
    ADD_FAILURE() << "other settings accepted";
  } catch (const lagm::UsageError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("seed none -> 3, style \"photo\" -> \"flat\""));
  }
}
