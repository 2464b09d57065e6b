// migctl apply / plan / assert / export end to end through cli::Run.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/app.h"
#include "cli/run_migctl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::cli {
namespace {

using ::testing::HasSubstr;

const std::string kStory =
    std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml";

class ConfigCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-cfg-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    state_ = (dir_ / "node.json").string();
    ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpus", "2xH100-NVL"}).code,
              0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
  std::string state_;
};

TEST_F(ConfigCommandsTest, ApplyAssertAndTheStoryListing) {
  EXPECT_EQ(
      RunMigctl({"--sim", state_, "assert", "-f", kStory, "-c", "custom-mig"})
          .code,
      3);
  MigctlResult apply =
      RunMigctl({"--sim", state_, "apply", "-f", kStory, "-c", "custom-mig"});
  EXPECT_EQ(apply.code, 0) << apply.err;
  EXPECT_EQ(apply.out, "MIG configuration applied successfully\n");
  EXPECT_EQ(RunMigctl({"--sim", state_, "assert", "-f", kStory}).code, 0);
  MigctlResult list = RunMigctl({"--sim", state_, "list"});
  EXPECT_THAT(list.out, HasSubstr("GPU 1: NVIDIA H100 NVL (UUID: GPU-"));
  EXPECT_THAT(list.out, HasSubstr("  MIG 1g.24gb     Device  0: (UUID: MIG-"));
  MigctlResult again =
      RunMigctl({"--sim", state_, "plan", "-f", kStory, "-c", "custom-mig"});
  EXPECT_EQ(again.out,
            "GPU 0 (NVIDIA H100 NVL): already set to desired value\n"
            "GPU 1 (NVIDIA H100 NVL): already set to desired value\n");
}

TEST_F(ConfigCommandsTest, PlanExplainsEveryOperation) {
  MigctlResult plan = RunMigctl({"--sim", state_, "plan", "-f", kStory});
  EXPECT_EQ(plan.code, 0);
  EXPECT_THAT(
      plan.out,
      HasSubstr("GPU 0 (NVIDIA H100 NVL): 5 operations, keeps 0 GPU instances\n"
                "  enable MIG mode — the config wants MIG mode enabled\n"
                "  create 1g.12gb at {0}:1 — the target needs it\n"));
  MigctlResult dry =
      RunMigctl({"--sim", state_, "apply", "--dry-run", "-f", kStory});
  EXPECT_EQ(dry.out, plan.out);
  EXPECT_EQ(RunMigctl({"--sim", state_, "assert", "-f", kStory}).code, 3);
}

TEST_F(ConfigCommandsTest, EnvironmentVariablesAsMigParted) {
  ::setenv("MIG_PARTED_CONFIG_FILE", kStory.c_str(), 1);
  ::setenv("MIG_PARTED_SELECTED_CONFIG", "custom-mig", 1);
  MigctlResult apply = RunMigctl({"--sim", state_, "apply"});
  ::unsetenv("MIG_PARTED_CONFIG_FILE");
  ::unsetenv("MIG_PARTED_SELECTED_CONFIG");
  EXPECT_EQ(apply.code, 0) << apply.err;
  EXPECT_EQ(RunMigctl({"--sim", state_, "assert", "-f", kStory}).code, 0);
}

TEST_F(ConfigCommandsTest, ConfigErrorsAreUsageErrorsWithFileLineColumn) {
  std::string bad = Write("bad.yaml",
                          "version: v1\nmig-configs:\n  x:\n    - devices: "
                          "all\n      mig-enabled: maybe\n");
  MigctlResult r = RunMigctl({"--sim", state_, "apply", "-f", bad});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(
      r.err,
      HasSubstr(bad +
                ":5:20: \"mig-enabled\" is \"maybe\"; expected true or false"));
  MigctlResult unknown =
      RunMigctl({"--sim", state_, "apply", "-f", kStory, "-c", "nope"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(
      unknown.err,
      HasSubstr("no MIG config named \"nope\"; the file has: custom-mig"));
  MigctlResult none = RunMigctl({"--sim", state_, "apply"});
  EXPECT_EQ(none.code, 2);
  EXPECT_THAT(none.err, HasSubstr("no config file: pass -f FILE"));
}

TEST_F(ConfigCommandsTest, BusyInstanceFailsWithExit1AndNamesIt) {
  ASSERT_EQ(RunMigctl({"--sim", state_, "apply", "-f", kStory}).code, 0);
  ASSERT_EQ(RunMigctl({"sim", "attach-process", state_, "-i", "1", "--gi", "5",
                       "--ci", "0", "--pid", "555", "--name", "jupyter"})
                .code,
            0);
  std::string all7 =
      Write("all7.yaml",
            "version: v1\nmig-configs:\n  all-7g:\n    - devices: all\n"
            "      mig-enabled: true\n      mig-devices: {\"7g.94gb\": 1}\n");
  MigctlResult r = RunMigctl({"--sim", state_, "apply", "-f", all7});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(
      r.err,
      HasSubstr("migctl: error: GPU 1: GPU instance 5 (1g.24gb at {0}:2) runs "
                "processes 555; the target has no 1g.24gb."));
  EXPECT_EQ(RunMigctl({"--sim", state_, "assert", "-f", kStory}).code, 0);
}

TEST_F(ConfigCommandsTest, PendingModeChangeExits4) {
  ASSERT_EQ(
      RunMigctl({"sim", "attach-process", state_, "-i", "0", "--pid", "42"})
          .code,
      0);
  MigctlResult r = RunMigctl({"--sim", state_, "apply", "-f", kStory});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.out, "");
}

TEST_F(ConfigCommandsTest, SecondApplyFailsClearlyWhileTheFirstHoldsTheLock) {
  const std::string lock = state_ + ".apply-journal.lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  MigctlResult r = RunMigctl({"--sim", state_, "apply", "-f", kStory});
  ::close(fd);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(
      r.err,
      "migctl: error: another migctl apply is running on this node (lock " +
          lock + "); wait for it to finish\n");
}

TEST_F(ConfigCommandsTest, ExportWritesAConfigThatAsserts) {
  ASSERT_EQ(RunMigctl({"--sim", state_, "apply", "-f", kStory}).code, 0);
  MigctlResult e = RunMigctl({"--sim", state_, "export"});
  ASSERT_EQ(e.code, 0);
  std::string exported = Write("exported.yaml", e.out);
  EXPECT_EQ(
      RunMigctl({"--sim", state_, "assert", "-f", exported, "-c", "current"})
          .code,
      0);
  MigctlResult json =
      RunMigctl({"--sim", state_, "export", "--format", "json"});
  nlohmann::json doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["mig-configs"]["current"][1]["mig-devices"]["1g.24gb"], 1);
}

}  // namespace
}  // namespace migctl::cli
