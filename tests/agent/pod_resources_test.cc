// Tests of the kubelet PodResources client (deviceplugin/pod_resources.h)
// against the kubelet stand-in, of the agent's layout annotation marking
// instances assigned to pods busy, and of its reconfigurations keeping them.
#include "deviceplugin/pod_resources.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <stop_token>
#include <thread>

#include "agent/agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "planner/layout_annotation.h"
#include "simulated_cluster.h"
#include "support/kubelet_stand_in.h"

namespace migctl::agent {
namespace {

using deviceplugin::ListPodDevices;
using deviceplugin::PodsByDevice;
using ::testing::ElementsAre;
using ::testing::StartsWith;
using PodDevices = testing::KubeletStandIn::PodDevices;

class PodResourcesTest : public SimulatedClusterTest {
 protected:
  void SetUp() override {
    SimulatedClusterTest::SetUp();
    absl::StatusOr<std::unique_ptr<testing::KubeletStandIn>> k =
        testing::KubeletStandIn::Start((dir_ / "dp").string());
    ASSERT_TRUE(k.ok()) << k.status();
    kubelet_ = *std::move(k);
    socket_ = (dir_ / "pr" / "kubelet.sock").string();
    ASSERT_TRUE(kubelet_->ServePodResources(socket_).ok());
  }
  void TearDown() override {
    kubelet_.reset();
    SimulatedClusterTest::TearDown();
  }

  // GPU 0 in MIG mode with two 1g.12gb instances (GI at slices 0 and 1);
  // returns their MIG device UUIDs.
  std::vector<std::string> TwoInstances() {
    EXPECT_EQ(*nvml_->SetMigMode(0, true), nvml::Return::kSuccess);
    const mig::GpuInstanceProfile* p =
        mig::FindModel("H100-NVL")->FindProfileByName("1g.12gb");
    for (int n = 0; n < 2; ++n) {
      absl::StatusOr<nvml::GpuInstance> gi =
          nvml_->CreateGpuInstance(0, p->id, std::nullopt);
      EXPECT_TRUE(gi.ok()) << gi.status();
      EXPECT_TRUE(
          nvml_->CreateComputeInstance(0, gi->id, p->FullComputeProfile()->id)
              .ok());
    }
    absl::StatusOr<std::vector<nvml::MigDevice>> devices =
        nvml_->ListMigDevices(0);
    EXPECT_TRUE(devices.ok()) << devices.status();
    std::vector<std::string> uuids;
    for (const nvml::MigDevice& d : *devices) {
      uuids.push_back(d.uuid);
    }
    return uuids;
  }

  nlohmann::json Layout() {
    return nlohmann::json::parse(Annotation(std::string(kLayoutAnnotation)));
  }

  std::unique_ptr<testing::KubeletStandIn> kubelet_;
  std::string socket_;
};

TEST_F(PodResourcesTest, ClientListsGpuAndMigDevicesByPod) {
  kubelet_->SetPodDevices({
      {"ml", "infer-0", "main", "nvidia.com/mig-1g.12gb", {"MIG-a"}},
      {"ml", "infer-0", "side", "nvidia.com/mig-1g.12gb", {"MIG-a", "MIG-b"}},
      {"default", "b", "main", "nvidia.com/mig-1g.12gb", {"MIG-b"}},
      {"ml", "train-0", "main", "nvidia.com/gpu", {"GPU-x"}},
      {"ml", "fpga", "main", "example.com/fpga", {"FPGA-1"}},
  });
  absl::StatusOr<PodsByDevice> pods = ListPodDevices(socket_, absl::Seconds(5));
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_EQ(*pods, (PodsByDevice{{"MIG-a", {"ml/infer-0"}},
                                 {"MIG-b", {"default/b", "ml/infer-0"}},
                                 {"GPU-x", {"ml/train-0"}}}));
}

TEST_F(PodResourcesTest, ClientWithNoAssignmentsListsNothing) {
  absl::StatusOr<PodsByDevice> pods = ListPodDevices(socket_, absl::Seconds(5));
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_EQ(*pods, PodsByDevice{});
}

TEST_F(PodResourcesTest, ClientErrorsNameTheSocket) {
  const std::string missing = (dir_ / "none.sock").string();
  absl::StatusOr<PodsByDevice> pods = ListPodDevices(missing, absl::Seconds(5));
  EXPECT_EQ(pods.status(), absl::NotFoundError(
                               "no kubelet PodResources socket at " + missing));
  // A file that nothing serves on.
  const std::string dead = (dir_ / "dead.sock").string();
  std::ofstream(dead) << "";
  pods = ListPodDevices(dead, absl::Milliseconds(500));
  ASSERT_FALSE(pods.ok());
  EXPECT_THAT(std::string(pods.status().message()),
              StartsWith("kubelet PodResources List on " + dead + ": "));
}

TEST_F(PodResourcesTest, AssignedInstanceWithNoProcessIsBusyWithItsPods) {
  std::vector<std::string> mig = TwoInstances();
  ASSERT_EQ(mig.size(), 2u);
  const std::string gpu1 = nvml_->GetDevice(1)->uuid;
  kubelet_->SetPodDevices({
      {"ml", "infer-0", "main", "nvidia.com/mig-1g.12gb", {mig[1]}},
      {"ml", "infer-1", "main", "nvidia.com/mig-1g.12gb", {mig[1]}},
      {"ml", "train-0", "main", "nvidia.com/gpu", {gpu1}},
  });
  options_.pod_devices = [this] {
    return ListPodDevices(socket_, absl::Seconds(5));
  };
  Agent agent(*nvml_, *client_, options_);
  ASSERT_TRUE(agent.PublishLabels().ok());

  nlohmann::json layout = Layout();
  EXPECT_EQ(layout["gpus"][0]["gpu_instances"], nlohmann::json::parse(R"([
      {"profile": "1g.12gb", "start": 0, "size": 1, "busy": false,
       "pods": []},
      {"profile": "1g.12gb", "start": 1, "size": 1, "busy": true,
       "pods": ["ml/infer-0", "ml/infer-1"]}])"));
  EXPECT_FALSE(layout["gpus"][0].contains("pods"));
  EXPECT_EQ(layout["gpus"][1]["pods"],
            nlohmann::json::parse(R"(["ml/train-0"])"));

  // The planner reads the same: the assigned instance is busy.
  absl::StatusOr<std::vector<planner::Gpu>> gpus =
      planner::ParseLayoutAnnotation(layout.dump(), "node gpu-node-1");
  ASSERT_TRUE(gpus.ok()) << gpus.status();
  ASSERT_EQ((*gpus)[0].instances.size(), 2u);
  EXPECT_FALSE((*gpus)[0].instances[0].busy());
  EXPECT_THAT((*gpus)[0].instances[1].pods,
              ElementsAre("ml/infer-0", "ml/infer-1"));
  EXPECT_THAT((*gpus)[1].pods, ElementsAre("ml/train-0"));
}

TEST_F(PodResourcesTest, FinishedPodsHoldNothing) {
  std::vector<std::string> mig = TwoInstances();
  kubelet_->SetPodDevices({
      {"ml", "done-0", "main", "nvidia.com/mig-1g.12gb", {mig[0]}},
      {"ml", "infer-0", "main", "nvidia.com/mig-1g.12gb", {mig[1]}},
  });
  auto pod = [](const std::string& name, const std::string& phase) {
    return nlohmann::json{{"apiVersion", "v1"},
                          {"kind", "Pod"},
                          {"metadata", {{"name", name}, {"namespace", "ml"}}},
                          {"spec", {{"nodeName", "gpu-node-1"}}},
                          {"status", {{"phase", phase}}}};
  };
  ASSERT_TRUE(api_.CreateObject("pods", "ml", pod("done-0", "Succeeded")).ok());
  ASSERT_TRUE(api_.CreateObject("pods", "ml", pod("infer-0", "Running")).ok());
  options_.pod_devices = [this] {
    return ListPodDevices(socket_, absl::Seconds(5));
  };
  Agent agent(*nvml_, *client_, options_);
  ASSERT_TRUE(agent.PublishLabels().ok());
  EXPECT_EQ(Layout()["gpus"][0]["gpu_instances"], nlohmann::json::parse(R"([
      {"profile": "1g.12gb", "start": 0, "size": 1, "busy": false,
       "pods": []},
      {"profile": "1g.12gb", "start": 1, "size": 1, "busy": true,
       "pods": ["ml/infer-0"]}])"));
}

TEST_F(PodResourcesTest, MissingSocketFallsBackToProcessesOnly) {
  TwoInstances();
  const std::string missing = (dir_ / "none.sock").string();
  int calls = 0;
  options_.pod_devices = [&] {
    ++calls;
    return ListPodDevices(missing, absl::Seconds(5));
  };
  Agent agent(*nvml_, *client_, options_);
  ASSERT_TRUE(agent.PublishLabels().ok());
  ASSERT_TRUE(agent.PublishLabels().ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Layout()["gpus"][0]["gpu_instances"], nlohmann::json::parse(R"([
      {"profile": "1g.12gb", "start": 0, "size": 1, "busy": false,
       "pods": []},
      {"profile": "1g.12gb", "start": 1, "size": 1, "busy": false,
       "pods": []}])"));
}

TEST_F(PodResourcesTest, RunningAgentRepublishesWhenAssignmentsChange) {
  std::vector<std::string> mig = TwoInstances();
  options_.pod_devices = [this] {
    return ListPodDevices(socket_, absl::Seconds(5));
  };
  options_.layout_refresh = absl::Milliseconds(100);
  Agent agent(*nvml_, *client_, options_);
  std::stop_source stop;
  std::thread run([&] { ASSERT_TRUE(agent.Run(stop.get_token()).ok()); });
  auto busy0 = [&]() -> std::optional<bool> {
    std::string v = Annotation(std::string(kLayoutAnnotation));
    if (v.empty()) return std::nullopt;
    return nlohmann::json::parse(v)["gpus"][0]["gpu_instances"][0]["busy"]
        .get<bool>();
  };
  auto wait_for = [&](bool want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (busy0() != want && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    return busy0();
  };
  EXPECT_EQ(wait_for(false), false);
  kubelet_->SetPodDevices(
      {{"ml", "infer-0", "main", "nvidia.com/mig-1g.12gb", {mig[0]}}});
  EXPECT_EQ(wait_for(true), true);
  EXPECT_EQ(Layout()["gpus"][0]["gpu_instances"][0]["pods"],
            nlohmann::json::parse(R"(["ml/infer-0"])"));
  kubelet_->SetPodDevices({});
  EXPECT_EQ(wait_for(false), false);
  stop.request_stop();
  run.join();
}

TEST_F(PodResourcesTest, ReconfigurationKeepsWhatIsAssignedToPods) {
  std::vector<std::string> mig = TwoInstances();
  kubelet_->SetPodDevices(
      {{"ml", "infer-0", "main", "nvidia.com/mig-1g.12gb", {mig[1]}}});
  const std::string configs = (dir_ / "configs.yaml").string();
  std::ofstream(configs) << R"(version: v1
mig-configs:
  gpu0-7g:
    - devices: [0]
      mig-enabled: true
      mig-devices: {"7g.94gb": 1}
  gpu0-7g-again:
    - devices: [0]
      mig-enabled: true
      mig-devices: {"7g.94gb": 1}
  gpu1-7g:
    - devices: [1]
      mig-enabled: true
      mig-devices: {"7g.94gb": 1}
)";
  options_.reconfigure.config_paths = {configs};
  options_.pod_devices = [this] {
    return ListPodDevices(socket_, absl::Seconds(5));
  };
  Agent agent(*nvml_, *client_, options_);
  std::stop_source stop;
  std::thread run([&] { ASSERT_TRUE(agent.Run(stop.get_token()).ok()); });
  auto relabel = [&](const std::string& config) {
    ASSERT_TRUE(
        client_
            ->PatchNodeLabels("gpu-node-1", {{"nvidia.com/mig.config", config}})
            .ok());
  };

  // The pod's instance runs no process, yet the change is refused.
  relabel("gpu0-7g");
  EXPECT_EQ(WaitForState("failed"), "failed");
  EXPECT_EQ(Annotation("migctl.dev/mig.config.failure"),
            "GPU 0: GPU instance 12 (1g.12gb at {1}:1) is assigned to pod "
            "ml/infer-0; the target has no 1g.12gb. Delete that pod, or "
            "choose a config that keeps it");
  absl::StatusOr<std::vector<nvml::MigDevice>> devices =
      nvml_->ListMigDevices(0);
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[1].uuid, mig[1]);

  // Once the pod is gone, the same change goes through.
  kubelet_->SetPodDevices({});
  relabel("gpu0-7g-again");
  EXPECT_EQ(WaitForState("success"), "success");
  absl::StatusOr<std::vector<nvml::GpuInstance>> gis =
      nvml_->ListGpuInstances(0);
  ASSERT_TRUE(gis.ok()) << gis.status();
  ASSERT_EQ(gis->size(), 1u);
  EXPECT_EQ(
      mig::FindModel("H100-NVL")->FindProfileById((*gis)[0].profile_id)->name,
      "7g.94gb");

  // A GPU assigned whole to a pod keeps its MIG mode.
  kubelet_->SetPodDevices({{"ml",
                            "train-0",
                            "main",
                            "nvidia.com/gpu",
                            {nvml_->GetDevice(1)->uuid}}});
  relabel("gpu1-7g");
  EXPECT_EQ(WaitForState("failed"), "failed");
  EXPECT_EQ(Annotation("migctl.dev/mig.config.failure"),
            "GPU 1 is assigned whole (nvidia.com/gpu) to pod ml/train-0; the "
            "target enables MIG mode, which takes the GPU away from it. "
            "Delete that pod, or choose a config that leaves MIG mode as it "
            "is");
  EXPECT_EQ(*nvml_->GetMigMode(1), (nvml::MigMode{false, false}));
  stop.request_stop();
  run.join();
}

}  // namespace
}  // namespace migctl::agent
