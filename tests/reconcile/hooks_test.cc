// Hooks around an apply: order and run conditions as mig-parted's, the
// environment they get, and a failing hook stopping the apply untouched.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconcile/apply.h"
#include "reconcile/hooks_runner.h"
#include "sim/sim_nvml.h"

namespace migctl::reconcile {
namespace {

using ::testing::ElementsAre;

// Records each command (named after its hook) and fails those listed.
class RecordingRunner : public CommandRunner {
 public:
  absl::Status Run(const config::HookCommand& command,
                   const std::vector<std::string>& env) override {
    ran.push_back(command.command);
    last_env = env;
    if (command.command == fail)
      return absl::FailedPreconditionError("`false` exited with 1");
    return absl::OkStatus();
  }
  std::vector<std::string> ran;
  std::vector<std::string> last_env;
  std::string fail;
};

config::HooksFile AllHooks() {
  config::HooksFile f;
  for (absl::string_view name : {config::kApplyStart, config::kPreApplyMode,
                                 config::kPreApplyConfig, config::kApplyExit}) {
    f.hooks[std::string(name)] = {{std::string(name), {}, {}, ""}};
  }
  return f;
}

config::MigConfigFile Config() {
  return *config::ParseMigConfig(R"(version: v1
mig-configs:
  one:
    - devices: all
      mig-enabled: true
      mig-devices: {"3g.47gb": 2}
)",
                                 "hooks.yaml");
}

class HooksTest : public ::testing::Test {
 protected:
  std::unique_ptr<sim::SimNvml> node_ =
      sim::SimNvml::InMemory(*sim::NewNode("h", {"H100-NVL"}));
  config::HooksFile file_ = AllHooks();
  RecordingRunner runner_;
  ApplyOptions Options() {
    ApplyOptions o;
    o.hooks = {&file_, &runner_, {"MIG_PARTED_SELECTED_CONFIG=one"}};
    return o;
  }
};

TEST_F(HooksTest, AllFourRunInOrderWhenModeAndConfigChange) {
  ASSERT_TRUE(Apply(*node_, Config(), "one", Options()).ok());
  EXPECT_THAT(runner_.ran, ElementsAre("apply-start", "pre-apply-mode",
                                       "pre-apply-config", "apply-exit"));
  EXPECT_THAT(runner_.last_env, ElementsAre("MIG_PARTED_SELECTED_CONFIG=one"));
}

TEST_F(HooksTest, OnlyStartAndExitWhenAlreadyApplied) {
  ASSERT_TRUE(Apply(*node_, Config(), "one", Options()).ok());
  runner_.ran.clear();
  ASSERT_TRUE(Apply(*node_, Config(), "one", Options()).ok());
  EXPECT_THAT(runner_.ran, ElementsAre("apply-start", "apply-exit"));
}

TEST_F(HooksTest, FailingHookStopsBeforeTheGpuIsTouchedAndExitStillRuns) {
  runner_.fail = "pre-apply-mode";
  auto result = Apply(*node_, Config(), "one", Options());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "error running pre-apply-mode hook: `false` exited with 1");
  EXPECT_THAT(runner_.ran,
              ElementsAre("apply-start", "pre-apply-mode", "apply-exit"));
  EXPECT_EQ(node_->Snapshot()->mutating_calls, 0u);
}

TEST_F(HooksTest, FailingApplyStartRunsNothingElse) {
  runner_.fail = "apply-start";
  auto result = Apply(*node_, Config(), "one", Options());
  EXPECT_EQ(result.status().message(),
            "error running apply-start hook: `false` exited with 1");
  EXPECT_THAT(runner_.ran, ElementsAre("apply-start"));
}

TEST_F(HooksTest, FailingApplyExitFailsAnOtherwiseGoodApply) {
  runner_.fail = "apply-exit";
  auto result = Apply(*node_, Config(), "one", Options());
  EXPECT_EQ(result.status().message(),
            "error running apply-exit hook: `false` exited with 1");
  EXPECT_EQ(node_->ListGpuInstances(0)->size(), 2u);
}

TEST(ProcessRunnerTest, RunsWithEnvironmentArgsAndWorkdir) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("migctl-hook-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ProcessRunner runner;
  config::HookCommand cmd{
      "/bin/sh",
      {"-c", "echo \"$MIG_PARTED_SELECTED_CONFIG $EXTRA $1\" > out", "sh",
       "arg"},
      {"EXTRA=x"},
      dir.string()};
  ASSERT_TRUE(runner.Run(cmd, {"MIG_PARTED_SELECTED_CONFIG=custom-mig"}).ok());
  std::ifstream in(dir / "out");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "custom-mig x arg");

  EXPECT_EQ(runner.Run({"/bin/sh", {"-c", "exit 3"}, {}, ""}, {}).message(),
            "`/bin/sh -c exit 3` exited with 3");
  EXPECT_EQ(runner.Run({"/no/such/hook", {}, {}, ""}, {}).message(),
            "`/no/such/hook` could not start: No such file or directory");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace migctl::reconcile
