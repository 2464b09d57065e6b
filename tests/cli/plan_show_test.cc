// `migctl plan --show`: the plan, then each planned GPU drawn before and
// after — kept instances with their GI id and processes, new ones "GI new".
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "run_migctl.h"

namespace migctl::cli {
namespace {

class PlanShowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-plan-show-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    state_ = (dir_ / "node.json").string();
    ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpus", "2xH100-NVL"}).code,
              0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string state_;
};

TEST_F(PlanShowTest, StoryGpuResizedAroundABusyInstance) {
  const std::string story =
      std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml";
  ASSERT_EQ(RunMigctl({"--sim", state_, "apply", "-f", story}).code, 0);
  // A process on GPU 1's GI 13 (1g.12gb at slice 2) keeps it where it is.
  ASSERT_EQ(RunMigctl({"sim", "attach-process", state_, "-i", "1", "--gi", "13",
                       "--ci", "0", "--pid", "777"})
                .code,
            0);
  const std::string config = (dir_ / "resize.yaml").string();
  std::ofstream(config) << "version: v1\n"
                           "mig-configs:\n"
                           "  resize:\n"
                           "    - devices: [1]\n"
                           "      mig-enabled: true\n"
                           "      mig-devices:\n"
                           "        \"1g.24gb\": 1\n"
                           "        \"2g.24gb\": 1\n"
                           "        \"1g.12gb\": 3\n";
  MigctlResult r = RunMigctl({"--sim", state_, "plan", "-f", config, "--show"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string maps =
      "GPU 1 (NVIDIA H100 NVL), before:\n"
      "      0        1        2        3        4        5        6        7\n"
      "  "
      "+-----------------+--------+--------+--------+--------+--------+--------"
      "+\n"
      "  |     1g.24gb     |1g.12gb |1g.12gb |1g.12gb |1g.12gb |1g.12gb |  "
      "free  |\n"
      "  |      GI 5       | GI 13  | GI 14  |  GI 7  |  GI 8  |  GI 9  |      "
      "  |\n"
      "  |      idle       |  busy  |  idle  |  idle  |  idle  |  idle  |      "
      "  |\n"
      "  "
      "+-----------------+--------+--------+--------+--------+--------+--------"
      "+\n"
      "GPU 1 (NVIDIA H100 NVL), after:\n"
      "      0        1        2        3        4        5        6        7\n"
      "  "
      "+-----------------+--------+--------+-----------------+--------+--------"
      "+\n"
      "  |     1g.24gb     |1g.12gb |1g.12gb |     2g.24gb     |1g.12gb |  "
      "free  |\n"
      "  |      GI 5       | GI 13  | GI 14  |     GI new      |  GI 9  |      "
      "  |\n"
      "  |      idle       |  busy  |  idle  |      idle       |  idle  |      "
      "  |\n"
      "  "
      "+-----------------+--------+--------+-----------------+--------+--------"
      "+\n";
  ASSERT_GE(r.out.size(), maps.size());
  EXPECT_EQ(r.out.substr(r.out.size() - maps.size()), maps);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "GPU 1 (NVIDIA H100 NVL): 6 operations, keeps 4 GPU instances");
}

TEST_F(PlanShowTest, DisabledSidesAreOneDevice) {
  MigctlResult r = RunMigctl(
      {"--sim", state_, "plan", "-f",
       std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml", "--show"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("GPU 0 (NVIDIA H100 NVL), before:\n"
                       "  MIG disabled: the GPU is one device\n"
                       "GPU 0 (NVIDIA H100 NVL), after:\n"
                       "      0        1"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace migctl::cli
