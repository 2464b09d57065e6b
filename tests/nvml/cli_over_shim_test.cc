// migctl without --sim, over the simulator's libnvidia-ml.so.1 found through
// LD_LIBRARY_PATH, prints exactly what `migctl --sim STATE` prints: the CLI
// end to end over nvml::Library. Also: with no driver at all, a clear
// message and exit code 3.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"
#include "support/shell.h"

namespace migctl {
namespace {

using ::testing::HasSubstr;

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr
};

Result Sh(const std::string& command) {
  migctl::testing::ShellResult r = migctl::testing::RunShell(command + " 2>&1");
  return {r.exit_code, std::move(r.output)};
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
        "ci-profiles", "-o json ci-profiles", "profiles -i 1",
        "labels --no-timestamp --mig-strategy mixed",
        "labels --no-timestamp --mig-strategy single -o json"}) {
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

// The apply path a second time, over nvml::Library and the shim: the story's
// apply, its no-op rerun, assert, export, a reconfiguration and a restore
// print the same and leave the same simulated node as with --sim.
TEST(ApplyOverShimTest, ApplyAssertExportAndRestoreMatchSim) {
  const std::string migctl = MIGCTL_BINARY;
  const std::string config =
      std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      absl::StrCat("migctl-apply-shim-", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string other = (dir / "all-3g.yaml").string();
  {
    std::ofstream out(other);
    out << "version: v1\nmig-configs:\n  all-3g:\n    - devices: all\n"
           "      mig-enabled: true\n      mig-devices: {\"3g.47gb\": 2}\n";
  }
  std::map<std::string, std::vector<Result>> runs;
  std::map<std::string, std::string> final_state;
  for (const std::string how : {"sim", "shim"}) {
    const std::string state = (dir / (how + ".json")).string();
    ASSERT_TRUE(sim::StateFile(state)
                    .Save(*sim::NewNode("apply-node", {"H100-NVL", "H100-NVL"}))
                    .ok());
    const std::string prefix =
        how == "sim" ? absl::StrCat(migctl, " --sim ", state, " ")
                     : absl::StrCat("MIGCTL_SIM_STATE=", state,
                                    " LD_LIBRARY_PATH=", MIGCTL_NVML_SHIM_DIR,
                                    " ", migctl, " ");
    const std::string journal =
        absl::StrCat(" --journal ", (dir / (how + ".journal")).string());
    const std::string checkpoint = (dir / (how + ".ckpt")).string();
    for (const std::string& args : std::vector<std::string>{
             "apply -f " + config + journal, "apply -f " + config + journal,
             "assert -f " + config, "list", "export",
             "checkpoint -f " + checkpoint, "-o json plan -f " + other,
             "apply -f " + other + journal, "assert -f " + config,
             "restore -f " + checkpoint + journal, "assert -f " + config,
             "list"}) {
      Result r = Sh(prefix + args);
      r.out = std::regex_replace(r.out, std::regex("time=\\S+ "), "");
      if (args.rfind("checkpoint", 0) == 0) r.out.clear();  // names the file
      runs[how].push_back(r);
    }
    final_state[how] = sim::ToJson(*sim::StateFile(state).Load()).dump();
  }
  ASSERT_EQ(runs["sim"].size(), runs["shim"].size());
  for (size_t i = 0; i < runs["sim"].size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(runs["shim"][i].code, runs["sim"][i].code);
    EXPECT_EQ(runs["shim"][i].out, runs["sim"][i].out);
  }
  EXPECT_THAT(
      runs["sim"][0].out,
      ::testing::EndsWith("\nMIG configuration applied successfully\n"));
  EXPECT_EQ(runs["sim"][2].code, 0);
  EXPECT_EQ(runs["sim"][8].code, 3);   // all-3g replaced the story layout
  EXPECT_EQ(runs["sim"][10].code, 0);  // and restore brought it back
  EXPECT_EQ(final_state["shim"], final_state["sim"]);
  std::filesystem::remove_all(dir);
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
