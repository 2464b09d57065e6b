// The agent with two config files — the user's and a planner's, as two
// mounted ConfigMaps — on the simulated node: a config name that reaches the
// second file only later is waited for (state pending) and then applied; one
// that never comes fails after --config-wait with the reason; a change of the
// second file re-applies the current value.
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simulated_cluster.h"

namespace migctl::agent {
namespace {

using ::testing::ElementsAre;

class AgentConfigFilesTest : public SimulatedClusterTest {
 protected:
  void SetUp() override {
    SimulatedClusterTest::SetUp();
    user_ = std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml";
    planner_ = (dir_ / "planner.yaml").string();
    options_.reconfigure.config_paths = {user_, planner_};
  }

  // Writes the planner's file with config `name`: `profile` ×`count` on
  // every GPU. Written to a temporary name and renamed, as the kubelet swaps
  // a ConfigMap volume's files.
  void WritePlannerFile(const std::string& name, const std::string& profile,
                        int count) {
    const std::string tmp = planner_ + ".tmp";
    std::ofstream(tmp) << "version: v1\nmig-configs:\n  " << name
                       << ":\n    - devices: all\n      mig-enabled: true\n"
                          "      mig-devices: {\""
                       << profile << "\": " << count << "}\n";
    std::filesystem::rename(tmp, planner_);
  }

  // "reason: message" of every Event, oldest first.
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    for (const nlohmann::json& e : api_.ListObjects("events", "")) {
      out.push_back(e.value("reason", "") + ": " + e.value("message", ""));
    }
    return out;
  }

  // Waits (bounded) until the agent's status shows `phase`.
  NodeStatus WaitForPhase(Agent& agent, const std::string& phase) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    NodeStatus s = agent.Status();
    while (s.phase != phase && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
      s = agent.Status();
    }
    return s;
  }

  void SetConfigLabel(const std::string& value) {
    ASSERT_TRUE(
        client_
            ->PatchNodeLabels("gpu-node-1", {{"nvidia.com/mig.config", value}})
            .ok());
  }

  std::string user_;
  std::string planner_;
};

TEST_F(AgentConfigFilesTest, ConfigThatReachesTheSecondFileLaterIsApplied) {
  options_.reconfigure.config_wait = absl::Minutes(3);
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  SetConfigLabel("planner-3g");
  ASSERT_EQ(WaitForState("pending"), "pending");
  // The status page says what it waits for.
  NodeStatus s = WaitForPhase(
      agent, "waiting for MIG config \"planner-3g\" to appear in " + user_ +
                 ", " + planner_);
  EXPECT_EQ(s.phase, "waiting for MIG config \"planner-3g\" to appear in " +
                         user_ + ", " + planner_);
  EXPECT_THAT(s.pending,
              ElementsAre("no MIG config named \"planner-3g\" in " + user_ +
                          ", " + planner_ + "; cannot read " + planner_ +
                          ": No such file or directory"));
  // The kubelet's volume sync brings the planner's file.
  WritePlannerFile("planner-3g", "3g.47gb", 2);
  ASSERT_EQ(WaitForState("success"), "success");
  EXPECT_THAT(
      Events(),
      ElementsAre(
          "MigConfigWaiting: Waiting up to 3m for MIG config \"planner-3g\" "
          "to appear in " +
              user_ + ", " + planner_ + " (cannot read " + planner_ +
              ": No such file or directory)",
          "MigConfigApplying: Changing GPU 0 (1 of 2): 5 operation(s), "
          "first: enable MIG mode",
          "MigConfigApplying: Changing GPU 1 (2 of 2): 5 operation(s), "
          "first: enable MIG mode",
          "MigConfigApplied: MIG config \"planner-3g\" applied"));
  EXPECT_EQ(nvml_->ListMigDevices(0)->size(), 2u);
  EXPECT_EQ(nvml_->ListMigDevices(1)->size(), 2u);
  EXPECT_EQ(Annotation("migctl.dev/mig.config.failure"), "");
}

TEST_F(AgentConfigFilesTest, ConfigInNoFileFailsAfterTheWaitWithTheReason) {
  options_.reconfigure.config_wait = absl::Milliseconds(300);
  WritePlannerFile("planner-3g", "3g.47gb", 2);
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  SetConfigLabel("planner-7g");
  ASSERT_EQ(WaitForState("failed"), "failed");
  const std::string reason = "no MIG config named \"planner-7g\" in " + user_ +
                             ", " + planner_ +
                             "; it has: custom-mig, planner-3g";
  EXPECT_EQ(Annotation("migctl.dev/mig.config.failure"), reason);
  const std::vector<std::string> events = Events();
  ASSERT_GE(events.size(), 2u);  // retries add more failures
  EXPECT_EQ(events[0],
            "MigConfigWaiting: Waiting up to 300ms for MIG config "
            "\"planner-7g\" to appear in " +
                user_ + ", " + planner_);
  EXPECT_EQ(events[1],
            "MigConfigFailed: MIG config \"planner-7g\" failed: " + reason);
  EXPECT_TRUE(nvml_->ListGpuInstances(0)->empty());
}

TEST_F(AgentConfigFilesTest, ChangeOfTheSecondFileReappliesTheValue) {
  WritePlannerFile("planner", "3g.47gb", 2);
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  SetConfigLabel("planner");
  ASSERT_EQ(WaitForState("success"), "success");
  ASSERT_EQ(nvml_->ListMigDevices(1)->size(), 2u);
  WritePlannerFile("planner", "1g.12gb", 7);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (nvml_->ListMigDevices(1)->size() != 7u && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(nvml_->ListMigDevices(0)->size(), 7u);
  EXPECT_EQ(nvml_->ListMigDevices(1)->size(), 7u);
  EXPECT_EQ(WaitForState("success"), "success");
}

}  // namespace
}  // namespace migctl::agent
