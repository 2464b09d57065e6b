// StatusBoard and CollectNodeStatus on a simulated node: what the status page
// is given — labels and failure from the Node, GPUs from NVML, the operations
// the config label still needs, pending mode changes, the agent's Events.
#include "agent/status_board.h"

#include <thread>

#include "agent/agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "simulated_cluster.h"

namespace migctl::agent {
namespace {

using ::testing::ElementsAre;

const std::string kStory =
    std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml";

nlohmann::json Node(const std::string& config, const std::string& failure) {
  nlohmann::json node = {{"metadata",
                          {{"name", "gpu-node-1"},
                           {"labels",
                            {{"kubernetes.io/hostname", "gpu-node-1"},
                             {"nvidia.com/cuda.driver.major", "580"},
                             {"nvidia.com/gpu.product", "NVIDIA-H100-NVL"},
                             {"nvidia.com/mig.config", config},
                             {"nvidia.com/mig.config.state", "pending"}}}}}};
  if (!failure.empty()) {
    node["metadata"]["annotations"]["migctl.dev/mig.config.failure"] = failure;
  }
  return node;
}

TEST(StatusBoardTest, KeepsTheNvidiaLabelsTheFailureAndTheLastResult) {
  StatusBoard board;
  board.ObserveNode(Node("custom-mig", "no MIG config named \"x\""));
  board.SetPhase("[GPU 1 of 2] GPU 0, step 1 of 5: enable MIG mode");
  board.RecordReconfiguration(
      {"custom-mig", "failed", absl::FromUnixSeconds(10), absl::Seconds(1)});
  NodeStatus s = board.Snapshot();
  EXPECT_EQ(s.labels, (std::map<std::string, std::string>{
                          {"nvidia.com/gpu.product", "NVIDIA-H100-NVL"},
                          {"nvidia.com/mig.config", "custom-mig"},
                          {"nvidia.com/mig.config.state", "pending"}}));
  EXPECT_EQ(s.config_label, "custom-mig");
  EXPECT_EQ(s.state_label, "pending");
  EXPECT_EQ(s.failure, "no MIG config named \"x\"");
  EXPECT_EQ(s.phase, "[GPU 1 of 2] GPU 0, step 1 of 5: enable MIG mode");
  ASSERT_TRUE(s.last.has_value());
  EXPECT_EQ(s.last->state, "failed");
  // A later Node without the annotation clears it.
  board.ObserveNode(Node("custom-mig", ""));
  EXPECT_EQ(board.Snapshot().failure, "");
}

TEST(StatusBoardTest, CollectsGpusAndWhatTheConfigStillNeeds) {
  auto nvml =
      sim::SimNvml::InMemory(*sim::NewNode("n", {"H100-NVL", "H100-NVL"}));
  ASSERT_TRUE(nvml->SetMigMode(1, true).ok());
  StatusBoard board;
  board.ObserveNode(Node("custom-mig", ""));
  NodeStatus s = CollectNodeStatus(*nvml, board, "gpu-node-1", {kStory},
                                   absl::FromUnixSeconds(0));
  EXPECT_EQ(s.node, "gpu-node-1");
  ASSERT_EQ(s.gpus.size(), 2u);
  EXPECT_EQ(s.gpus[0].name, "NVIDIA H100 NVL");
  EXPECT_EQ(s.gpus[0].model, "H100-NVL");
  EXPECT_EQ(s.gpus[0].memory_slices, 8);
  EXPECT_EQ(s.gpus[0].compute_slices, 7);
  EXPECT_EQ(s.gpus[0].compute_slices_used, 0);
  EXPECT_EQ(s.gpus[0].mode, (nvml::MigMode{false, false}));
  EXPECT_EQ(s.gpus[1].mode, (nvml::MigMode{true, true}));
  EXPECT_EQ(s.gpus[1].health, "ok");
  ASSERT_EQ(s.pending.size(), 17u);
  EXPECT_EQ(s.pending[0], "GPU 0: enable MIG mode");
  EXPECT_EQ(s.pending[1], "GPU 0: create 1g.12gb at {0}:1");
  EXPECT_EQ(s.pending[5], "GPU 1: create 1g.24gb at {0}:2");
  EXPECT_EQ(s.pending[16],
            "GPU 1: create its compute instance in the new 1g.12gb at {6}:1");
}

TEST(StatusBoardTest, PendingModeChangeBusyInstanceAndUnknownConfig) {
  auto nvml =
      sim::SimNvml::InMemory(*sim::NewNode("n", {"H100-NVL", "H100-NVL"}));
  ASSERT_TRUE(nvml->Update([](sim::SimState& s) {
                    return sim::rules::AttachProcess(s, 0, {4242, "dcgm"});
                  })
                  .ok());
  ASSERT_EQ(*nvml->SetMigMode(0, true), nvml::Return::kInUse);
  StatusBoard board;
  board.ObserveNode(Node("no-such", ""));
  NodeStatus s = CollectNodeStatus(*nvml, board, "gpu-node-1", {kStory},
                                   absl::FromUnixSeconds(0));
  EXPECT_EQ(s.gpus[0].mode, (nvml::MigMode{false, true}));
  EXPECT_THAT(s.pending,
              ElementsAre("GPU 0: MIG mode change to enabled waits for a GPU "
                          "reset or a reboot",
                          "no MIG config named \"no-such\" in " + kStory));
}

class AgentStatusTest : public SimulatedClusterTest {};

TEST_F(AgentStatusTest,
       ReconfigurationPhasesAreNodeEventsAndTheResultIsRecorded) {
  // dcgm-exporter is deployed (no pods of it run here): paused, resumed.
  ASSERT_TRUE(
      client_
          ->PatchNodeLabels("gpu-node-1",
                            {{"nvidia.com/gpu.deploy.dcgm-exporter", "true"}})
          .ok());
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1",
                                    {{"nvidia.com/mig.config", "custom-mig"}})
                  .ok());
  ASSERT_EQ(WaitForState("success"), "success");
  std::vector<std::string> events;
  for (const nlohmann::json& e : api_.ListObjects("events", "")) {
    events.push_back(e.value("reason", "") + ": " + e.value("message", ""));
  }
  EXPECT_THAT(
      events,
      ElementsAre(
          "PausingGpuClients: Pausing GPU clients: dcgm-exporter",
          "MigConfigApplying: Changing GPU 0 (1 of 2): 5 operation(s), "
          "first: enable MIG mode",
          "MigConfigApplying: Changing GPU 1 (2 of 2): 13 operation(s), "
          "first: enable MIG mode",
          "ResumingGpuClients: Resuming GPU clients: dcgm-exporter",
          "MigConfigApplied: MIG config \"custom-mig\" applied"));
  // The result is recorded just after the state label is written.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  NodeStatus s = agent.Status();
  while (!s.last && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    s = agent.Status();
  }
  ASSERT_TRUE(s.last.has_value());
  EXPECT_EQ(s.last->config, "custom-mig");
  EXPECT_EQ(s.last->state, "success");
  EXPECT_EQ(s.phase, "");
  EXPECT_THAT(s.pending, ElementsAre());
}

}  // namespace
}  // namespace migctl::agent
