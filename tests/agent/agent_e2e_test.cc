// The user's story end to end: the API stand-in, `migctl agent` logic on a
// simulated node with two H100 NVL GPUs and the story's config, and real
// kubectl labelling the node. The state goes pending -> success and the node
// carries exactly MISSION.md's labels.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_join.h"
#include "agent/agent.h"
#include "agent/device_plugin_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"
#include "simulated_cluster.h"
#include "support/api_server.h"
#include "support/kubelet_stand_in.h"
#include "support/shell.h"

namespace migctl::agent {
namespace {

std::string Sh(const std::string& command, int* code = nullptr) {
  migctl::testing::ShellResult r = migctl::testing::RunShell(command + " 2>&1");
  if (code) *code = r.exit_code;
  return r.output;
}

class AgentE2eTest : public SimulatedClusterTest {
 protected:
  void SetUp() override {
    SimulatedClusterTest::SetUp();
    options_.health_port = 0;
  }

  // The device plugin's options: mixed strategy, kubelet at `socket_dir`.
  static deviceplugin::PluginOptions MixedPluginOptions(
      const std::string& socket_dir) {
    deviceplugin::PluginOptions dp;
    dp.config.mig_strategy = deviceplugin::MigStrategy::kMixed;
    dp.config.socket_dir = socket_dir;
    dp.config.poll_interval = absl::Milliseconds(50);
    return dp;
  }

  // Opens this test's simulated node, as the plugin does on each start.
  auto SimNvmlFactory() const {
    return [state = state_]() -> absl::StatusOr<std::unique_ptr<nvml::Nvml>> {
      return sim::SimNvml::FromFile(state);
    };
  }

  std::string Kubectl(const std::string& args, int* code = nullptr) {
    return Sh("/usr/bin/kubectl --kubeconfig " + kubeconfig_ + " " + args,
              code);
  }
};

TEST_F(AgentE2eTest,
       KubectlLabelReconfiguresTheNodeAndItCarriesTheStoryLabels) {
  if (!std::filesystem::exists("/usr/bin/kubectl"))
    GTEST_SKIP() << "no kubectl";
  // The kubelet, and the device plugin in the agent's process.
  const std::string socket_dir = (dir_ / "dp").string();
  auto kubelet = testing::KubeletStandIn::Start(socket_dir);
  ASSERT_TRUE(kubelet.ok()) << kubelet.status();
  DevicePluginRunner plugin(SimNvmlFactory(), MixedPluginOptions(socket_dir));
  options_.reconfigure.pause_device_plugin =
      [&plugin](bool paused, const std::vector<int>& gpus) {
        plugin.SetPaused(paused, gpus);
      };
  plugin.Start();
  // Before: two whole GPUs.
  ASSERT_TRUE(
      (*kubelet)->WaitForResources({"nvidia.com/gpu"}, absl::Seconds(10)).ok());
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });

  int code = -1;
  std::string out = Kubectl(
      "label nodes gpu-node-1 nvidia.com/mig.config=custom-mig --overwrite",
      &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(out, "node/gpu-node-1 labeled\n");
  ASSERT_EQ(WaitForState("success"), "success");

  // Exactly MISSION.md's labels, for every key it lists.
  std::ifstream golden(std::string(MIGCTL_SOURCE_DIR) +
                       "/tests/golden/story_labels.txt");
  std::string line;
  auto labels = NodeLabels();
  int checked = 0;
  while (std::getline(golden, line)) {
    const std::string key = line.substr(0, line.find('='));
    const std::string value = line.substr(line.find('=') + 1);
    EXPECT_EQ(labels[key], value) << key;
    ++checked;
  }
  EXPECT_EQ(checked, 33);
  // Every nvidia.com/mig-* label the node has is one the story lists.
  for (const auto& [key, value] : labels) {
    if (key.rfind("nvidia.com/mig-", 0) == 0) {
      EXPECT_THAT(key, ::testing::AnyOf(
                           ::testing::StartsWith("nvidia.com/mig-1g.12gb."),
                           ::testing::StartsWith("nvidia.com/mig-1g.24gb.")));
    }
  }
  // The listing of MISSION.md step 7.
  EXPECT_EQ(nvml_->ListMigDevices(0)->size(), 2u);
  EXPECT_EQ(nvml_->ListMigDevices(1)->size(), 6u);
  // kubectl sees it too.
  EXPECT_THAT(Kubectl("get nodes --show-labels"),
              ::testing::HasSubstr("nvidia.com/mig.config.state=success"));
  EXPECT_THAT(Kubectl("describe node gpu-node-1"),
              ::testing::HasSubstr("MigConfigApplied"));
  // The kubelet sees the new MIG devices: 1g.12gb x7 and 1g.24gb x1.
  ASSERT_TRUE((*kubelet)
                  ->WaitForResources(
                      {"nvidia.com/mig-1g.12gb", "nvidia.com/mig-1g.24gb"},
                      absl::Seconds(10))
                  .ok());
  auto count_is = [](size_t n) {
    return [n](const testing::KubeletStandIn::Devices& d) {
      return d.size() == n;
    };
  };
  auto small = (*kubelet)->WaitForDevices("nvidia.com/mig-1g.12gb", count_is(7),
                                          absl::Seconds(10));
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->size(), 7u);
  auto large = (*kubelet)->WaitForDevices("nvidia.com/mig-1g.24gb", count_is(1),
                                          absl::Seconds(10));
  ASSERT_TRUE(large.ok()) << large.status();
  EXPECT_EQ(large->size(), 1u);
  for (const auto& d : *small) EXPECT_EQ(d.health(), "Healthy");
  // Health and metrics.
  int port = agent.health_port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(Sh("curl -s http://127.0.0.1:" + std::to_string(port) + "/healthz"),
            "ok\n");
  EXPECT_THAT(
      Sh("curl -s http://127.0.0.1:" + std::to_string(port) + "/metrics"),
      ::testing::HasSubstr(
          "migctl_mig_instances{gpu=\"1\",profile=\"1g.24gb\"} 1"));
}

TEST_F(AgentE2eTest, WhileAGpuChangesTheKubeletKeepsTheOthers) {
  const std::string config = (dir_ / "config.yaml").string();
  std::filesystem::copy_file(
      std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml", config);
  std::ofstream(config, std::ios::app)
      << "  gpu1-all-1g:\n"
         "    - devices: [0]\n      mig-enabled: true\n"
         "      mig-devices: {\"1g.12gb\": 2}\n"
         "    - devices: [1]\n      mig-enabled: true\n"
         "      mig-devices: {\"1g.12gb\": 7}\n";
  options_.reconfigure.config_paths = {config};
  const std::string socket_dir = (dir_ / "dp").string();
  auto kubelet = testing::KubeletStandIn::Start(socket_dir);
  ASSERT_TRUE(kubelet.ok()) << kubelet.status();
  DevicePluginRunner plugin(SimNvmlFactory(), MixedPluginOptions(socket_dir));
  auto count_is = [](size_t n) {
    return [n](const testing::KubeletStandIn::Devices& d) {
      return d.size() == n;
    };
  };
  // What the kubelet has while only GPU 1 is being changed.
  std::vector<std::string> paused;
  absl::Status resources_during = absl::UnknownError("not paused for GPU 1");
  absl::StatusOr<testing::KubeletStandIn::Devices> small_during =
      absl::UnknownError("not paused for GPU 1");
  options_.reconfigure.pause_device_plugin = [&](bool pause,
                                                 const std::vector<int>& gpus) {
    plugin.SetPaused(pause, gpus);
    if (!pause) return;
    paused.push_back(absl::StrJoin(gpus, ","));
    if (gpus != std::vector<int>{1}) return;
    resources_during = (*kubelet)->WaitForResources({"nvidia.com/mig-1g.12gb"},
                                                    absl::Seconds(10));
    small_during = (*kubelet)->WaitForDevices("nvidia.com/mig-1g.12gb",
                                              count_is(2), absl::Seconds(10));
  };
  plugin.Start();
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1",
                                    {{"nvidia.com/mig.config", "custom-mig"}})
                  .ok());
  ASSERT_EQ(WaitForState("success"), "success");
  auto before = (*kubelet)->WaitForDevices("nvidia.com/mig-1g.12gb",
                                           count_is(7), absl::Seconds(10));
  ASSERT_TRUE(before.ok()) << before.status();
  std::set<std::string> gpu0;  // the IDs of GPU 0's two MIG devices
  auto gpu0_devices = nvml_->ListMigDevices(0);
  ASSERT_TRUE(gpu0_devices.ok()) << gpu0_devices.status();
  for (const nvml::MigDevice& m : *gpu0_devices) gpu0.insert(m.uuid);
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1",
                                    {{"nvidia.com/mig.config", "gpu1-all-1g"}})
                  .ok());
  ASSERT_TRUE((*kubelet)
                  ->WaitForDevices("nvidia.com/mig-1g.12gb", count_is(9),
                                   absl::Seconds(20))
                  .ok());
  EXPECT_EQ(WaitForState("success"), "success");
  EXPECT_THAT(paused, ::testing::ElementsAre("0,1", "1"));
  // During the change: GPU 1's 1g.24gb gone, GPU 0's two 1g.12gb kept.
  EXPECT_TRUE(resources_during.ok()) << resources_during;
  ASSERT_TRUE(small_during.ok()) << small_during.status();
  std::set<std::string> ids;
  for (const auto& d : *small_during) ids.insert(d.id());
  EXPECT_EQ(ids, gpu0);
  EXPECT_TRUE(
      (*kubelet)
          ->WaitForResources({"nvidia.com/mig-1g.12gb"}, absl::Seconds(10))
          .ok());
}

TEST_F(AgentE2eTest, BadConfigNameFailsWithReasonAndRecoversOnTheNextLabel) {
  options_.reconfigure.config_wait = absl::ZeroDuration();  // fail at once
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1", {{"nvidia.com/mig.config",
                                                    "no-such-config"}})
                  .ok());
  ASSERT_EQ(WaitForState("failed"), "failed");
  auto node = api_.GetObject("nodes", "", "gpu-node-1");
  EXPECT_THAT(
      (*node)["metadata"]["annotations"]["migctl.dev/mig.config.failure"]
          .get<std::string>(),
      ::testing::StartsWith("no MIG config named \"no-such-config\""));
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1",
                                    {{"nvidia.com/mig.config", "custom-mig"}})
                  .ok());
  ASSERT_EQ(WaitForState("success"), "success");
}

TEST_F(AgentE2eTest, ApiServerErrorsDuringReconfigurationStillEndInSuccess) {
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  api_.FailNextRequestsForTest(3, 500);
  api_.DropWatchesForTest();
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1",
                                    {{"nvidia.com/mig.config", "custom-mig"}})
                  .ok());
  api_.GoneOnNextWatchForTest();
  ASSERT_EQ(WaitForState("success"), "success");
  EXPECT_EQ(nvml_->ListMigDevices(1)->size(), 6u);
}

}  // namespace
}  // namespace migctl::agent
