// migctl end to end through cli::Run: flags, exit codes and messages.
#include "cli/app.h"

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "cli/run_migctl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::cli {
namespace {

using ::testing::HasSubstr;

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = (std::filesystem::temp_directory_path() /
              ("migctl-app-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() +
               ".json"))
                 .string();
    std::filesystem::remove(state_);
  }
  void TearDown() override {
    std::filesystem::remove(state_);
    std::filesystem::remove(state_ + ".lock");
  }
  std::string state_;
};

TEST_F(AppTest, WithoutSimAndWithoutDriverSaysSoAndExits3) {
  if (std::filesystem::exists("/dev/nvidiactl")) GTEST_SKIP() << "has a driver";
  MigctlResult r = RunMigctl({"list"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("migctl: error: no NVIDIA driver found "
                               "(libnvidia-ml.so.1)"));
  EXPECT_EQ(r.out, "");
}

TEST_F(AppTest, MissingStateFileIsAUsageErrorNamingTheCreateCommand) {
  MigctlResult r = RunMigctl({"--sim", state_, "list"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "migctl: error: simulated node " + state_ +
                       " does not exist; create it with `migctl sim create " +
                       state_ + " --gpu H100-NVL`\n");
}

TEST_F(AppTest, CreateThenPendingEnableExits4AndResetActivatesIt) {
  ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpus", "2xH100-NVL"}).code,
            0);
  ASSERT_EQ(
      RunMigctl({"sim", "attach-process", state_, "-i", "0", "--pid", "7"})
          .code,
      0);
  MigctlResult pending =
      RunMigctl({"--sim", state_, "mig-mode", "enable", "-i", "0"});
  EXPECT_EQ(pending.code, 4);
  EXPECT_THAT(pending.out,
              HasSubstr("Warning: MIG mode is in pending enable state for GPU "
                        "00000000:18:00.0:In use by another client\n"));
  EXPECT_THAT(pending.out,
              HasSubstr("migctl: GPU 0 keeps MIG mode disabled until it is "
                        "reset or the node reboots (processes hold the GPU: "
                        "stop them, then run `migctl reset -i 0`).\n"));
  MigctlResult refused = RunMigctl({"--sim", state_, "reset", "-i", "0"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.err,
            "migctl: error: GPU reset (GPU 0): held by 1 process(es): In use "
            "by another client\n");
  ASSERT_EQ(RunMigctl({"sim", "detach-process", state_, "--pid", "7"}).code, 0);
  EXPECT_EQ(RunMigctl({"--sim", state_, "reset", "-i", "0"}).code, 0);
  MigctlResult json = RunMigctl({"--sim", state_, "-o", "json", "list"});
  ASSERT_EQ(json.code, 0);
  nlohmann::json doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc[0]["mig_mode"]["current"], "Enabled");
  EXPECT_EQ(doc[1]["mig_mode"]["current"], "Disabled");
  EXPECT_EQ(doc[0]["pci_device_id"], "0x232110DE");
}

TEST_F(AppTest, BadGpuIndexAndUnknownModelAreUsageErrors) {
  EXPECT_EQ(RunMigctl({"sim", "create", state_, "--gpu", "RTX-9090"}).err,
            "migctl: error: unknown GPU model \"RTX-9090\"; `migctl models` "
            "lists them\n");
  ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpu", "H200"}).code, 0);
  MigctlResult r = RunMigctl({"--sim", state_, "profiles", "-i", "3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "migctl: error: no GPU 3: this node has 1 GPUs (0..0)\n");
  EXPECT_EQ(RunMigctl({"sim", "create", state_, "--gpu", "H200"}).err,
            "migctl: error: " + state_ +
                " already exists; pass --force to replace it\n");
  EXPECT_EQ(RunMigctl({"--sim", state_, "frobnicate"}).code, 2);
}

TEST_F(AppTest, CiProfilesWithMigDisabledPrintsWhatNvidiaSmiPrints) {
  ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpu", "H200"}).code, 0);
  MigctlResult r = RunMigctl({"--sim", state_, "ci-profiles"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "No MIG-enabled devices found.\n");
}

TEST_F(AppTest, FaultFlagsAreValidated) {
  ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpu", "H200"}).code, 0);
  EXPECT_EQ(
      RunMigctl({"sim", "fault", state_, "--after", "1", "--return", "BOGUS"})
          .err,
      "migctl: error: --return \"BOGUS\" is not an NVML error (e.g. "
      "IN_USE, 19)\n");
  EXPECT_EQ(
      RunMigctl({"sim", "fault", state_, "--after", "1", "--return", "IN_USE"})
          .code,
      0);
  MigctlResult r = RunMigctl({"--sim", state_, "mig-mode", "enable"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "migctl: error: nvmlDeviceSetMigMode (injected fault): In use by "
            "another client\n");
}

}  // namespace
}  // namespace migctl::cli
