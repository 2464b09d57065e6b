// migctl without --sim, over the simulator's libnvidia-ml.so.1 found through
// LD_LIBRARY_PATH, prints exactly what `migctl --sim STATE` prints: the CLI
// end to end over nvml::Library. Also: with no driver at all, a clear
// message and exit code 3.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"

namespace migctl {
namespace {

using ::testing::HasSubstr;

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr
};

Result Sh(const std::string& command) {
  Result r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CliOverShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = (std::filesystem::temp_directory_path() /
              absl::StrCat("migctl-cli-shim-", ::getpid(), ".json"))
                 .string();
    absl::StatusOr<sim::SimState> node =
        sim::NewNode("cli-node", {"H100-NVL", "A100-SXM4-40GB"});
    ASSERT_TRUE(node.ok());
    ASSERT_TRUE(sim::StateFile(state_).Save(*node).ok());
    std::unique_ptr<sim::SimNvml> sim = sim::SimNvml::FromFile(state_);
    ASSERT_TRUE(sim->SetMigMode(0, true).ok());
    ASSERT_TRUE(sim->CreateGpuInstance(0, 9, std::nullopt).ok());   // 3g
    ASSERT_TRUE(sim->CreateGpuInstance(0, 19, std::nullopt).ok());  // 1g
    absl::StatusOr<std::vector<nvml::GpuInstance>> gis =
        sim->ListGpuInstances(0);
    ASSERT_TRUE(gis.ok());
    for (const nvml::GpuInstance& gi : *gis) {
      ASSERT_TRUE(sim->CreateComputeInstance(0, gi.id, 0).ok());
    }
  }
  void TearDown() override {
    std::filesystem::remove(state_);
    std::filesystem::remove(state_ + ".lock");
  }
  std::string state_;
};

TEST_F(CliOverShimTest, EveryReadCommandPrintsTheSameAsWithSim) {
  const std::string migctl = MIGCTL_BINARY;
  for (const std::string args :
       {"list", "-o json list", "profiles", "-o json profiles", "placements",
        "ci-profiles", "-o json ci-profiles", "profiles -i 1"}) {
    SCOPED_TRACE(args);
    Result sim = Sh(absl::StrCat(migctl, " --sim ", state_, " ", args));
    Result shim = Sh(absl::StrCat("MIGCTL_SIM_STATE=", state_,
                                  " LD_LIBRARY_PATH=", MIGCTL_NVML_SHIM_DIR,
                                  " ", migctl, " ", args));
    EXPECT_EQ(sim.code, 0) << sim.out;
    EXPECT_EQ(shim.code, sim.code);
    EXPECT_EQ(shim.out, sim.out);
  }
  EXPECT_THAT(Sh(absl::StrCat(migctl, " --sim ", state_, " list")).out,
              HasSubstr("  MIG 1c.3g.47gb  Device  0: (UUID: MIG-"));
}

TEST(CliWithoutDriverTest, ListSaysNoDriverAndExits3) {
  if (std::filesystem::exists("/dev/nvidiactl")) GTEST_SKIP() << "has a driver";
  Result r =
      Sh(absl::StrCat("env -u LD_LIBRARY_PATH ", MIGCTL_BINARY, " list"));
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.out, HasSubstr("migctl: error: no NVIDIA driver found "
                               "(libnvidia-ml.so.1)"));
}

}  // namespace
}  // namespace migctl
