// `migctl apply --progress`: one stderr line per operation as it starts,
// numbered by GPU among those the apply changes and by step within the GPU.
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "run_migctl.h"

namespace migctl::cli {
namespace {

class ApplyProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-progress-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    state_ = (dir_ / "node.json").string();
    config_ = (dir_ / "config.yaml").string();
    ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpus", "2xH100-NVL"}).code,
              0);
    std::ofstream(config_) << "version: v1\n"
                              "mig-configs:\n"
                              "  halves:\n"
                              "    - devices: all\n"
                              "      mig-enabled: true\n"
                              "      mig-devices:\n"
                              "        \"3g.47gb\": 1\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string state_;
  std::string config_;
};

TEST_F(ApplyProgressTest, OneLinePerOperationModesFirst) {
  MigctlResult r = RunMigctl(
      {"--sim", state_, "apply", "-f", config_, "-c", "halves", "--progress"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err,
            "[GPU 1 of 2] GPU 0, step 1 of 3: enable MIG mode\n"
            "[GPU 2 of 2] GPU 1, step 1 of 3: enable MIG mode\n"
            "[GPU 1 of 2] GPU 0, step 2 of 3: create 3g.47gb at {0}:4\n"
            "[GPU 1 of 2] GPU 0, step 3 of 3: create its compute instance in "
            "the new 3g.47gb at {0}:4\n"
            "[GPU 2 of 2] GPU 1, step 2 of 3: create 3g.47gb at {0}:4\n"
            "[GPU 2 of 2] GPU 1, step 3 of 3: create its compute instance in "
            "the new 3g.47gb at {0}:4\n");
  EXPECT_EQ(r.out, "MIG configuration applied successfully\n");
}

TEST_F(ApplyProgressTest, OnlyTheGpusThatChangeAreCounted) {
  ASSERT_EQ(RunMigctl({"--sim", state_, "mig-mode", "enable", "-i", "0"}).code,
            0);
  ASSERT_EQ(RunMigctl({"--sim", state_, "mig-mode", "enable", "-i", "1"}).code,
            0);
  ASSERT_EQ(
      RunMigctl({"--sim", state_, "apply", "-f", config_, "-c", "halves"}).code,
      0);
  std::ofstream(config_, std::ios::app) << "  one:\n"
                                           "    - devices: [0]\n"
                                           "      mig-enabled: true\n"
                                           "      mig-devices:\n"
                                           "        \"3g.47gb\": 1\n"
                                           "    - devices: [1]\n"
                                           "      mig-enabled: true\n"
                                           "      mig-devices:\n"
                                           "        \"3g.47gb\": 2\n";
  MigctlResult r = RunMigctl(
      {"--sim", state_, "apply", "-f", config_, "-c", "one", "--progress"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err,
            "[GPU 1 of 1] GPU 1, step 1 of 2: create 3g.47gb at {4}:4\n"
            "[GPU 1 of 1] GPU 1, step 2 of 2: create its compute instance in "
            "the new 3g.47gb at {4}:4\n");
}

TEST_F(ApplyProgressTest, NothingWithoutTheFlagWhenStderrIsNotATerminal) {
  MigctlResult r =
      RunMigctl({"--sim", state_, "apply", "-f", config_, "-c", "halves"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace migctl::cli
