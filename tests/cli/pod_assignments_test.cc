// migctl plan / apply / restore on a Kubernetes node: an instance the kubelet
// assigned to a pod (its PodResources API, here the kubelet stand-in) is
// busy even with no process on it; a socket that does not answer stops the
// command; --pod-resources-socket "" plans with processes alone.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/run_migctl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/sim_nvml.h"
#include "support/kubelet_stand_in.h"

namespace migctl::cli {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kStory =
    std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml";

class PodAssignmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-pods-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    state_ = (dir_ / "node.json").string();
    ASSERT_EQ(RunMigctl({"sim", "create", state_, "--gpus", "2xH100-NVL"}).code,
              0);
    ASSERT_EQ(RunMigctl({"--sim", state_, "apply", "-f", kStory}).code, 0);
    config_ = (dir_ / "gpu0-3g.yaml").string();
    std::ofstream(config_) << "version: v1\nmig-configs:\n  gpu0-3g:\n"
                              "    - devices: [0]\n      mig-enabled: true\n"
                              "      mig-devices: {\"3g.47gb\": 2}\n";
    absl::StatusOr<std::unique_ptr<testing::KubeletStandIn>> k =
        testing::KubeletStandIn::Start((dir_ / "dp").string());
    ASSERT_TRUE(k.ok()) << k.status();
    kubelet_ = *std::move(k);
    socket_ = (dir_ / "pr" / "kubelet.sock").string();
    ASSERT_TRUE(kubelet_->ServePodResources(socket_).ok());
  }
  void TearDown() override {
    kubelet_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The MIG device UUIDs of GPU 0, in NVML order.
  std::vector<std::string> MigDevices() {
    auto nvml = sim::SimNvml::FromFile(state_);
    absl::StatusOr<std::vector<nvml::MigDevice>> devices =
        nvml->ListMigDevices(0);
    EXPECT_TRUE(devices.ok()) << devices.status();
    std::vector<std::string> out;
    if (!devices.ok()) return {};
    for (const nvml::MigDevice& d : *devices) {
      out.push_back(d.uuid);
    }
    return out;
  }

  std::string GpuInstances() {
    return RunMigctl({"--sim", state_, "list"}).out;
  }

  std::filesystem::path dir_;
  std::string state_;
  std::string config_;
  std::string socket_;
  std::unique_ptr<testing::KubeletStandIn> kubelet_;
};

TEST_F(PodAssignmentsTest, InstanceAssignedToAPodIsNeverDestroyed) {
  const std::vector<std::string> mig = MigDevices();
  ASSERT_EQ(mig.size(), 2u);
  kubelet_->SetPodDevices(
      {{"ml", "infer-0", "main", "nvidia.com/mig-1g.12gb", {mig[1]}}});
  const std::string before = GpuInstances();

  MigctlResult plan = RunMigctl({"--sim", state_, "plan", "-f", config_,
                                 "--pod-resources-socket", socket_});
  EXPECT_EQ(plan.code, 1);
  EXPECT_THAT(plan.err,
              HasSubstr("GPU 0: GPU instance 12 (1g.12gb at {1}:1) is "
                        "assigned to pod ml/infer-0; the target has no "
                        "1g.12gb. Delete that pod, or choose a config that "
                        "keeps it"));
  MigctlResult apply = RunMigctl({"--sim", state_, "apply", "-f", config_,
                                  "--pod-resources-socket", socket_});
  EXPECT_EQ(apply.code, 1);
  EXPECT_THAT(apply.err, HasSubstr("is assigned to pod ml/infer-0"));
  EXPECT_EQ(GpuInstances(), before);

  // Without the kubelet's view only processes count: the plan goes ahead.
  MigctlResult alone = RunMigctl(
      {"--sim", state_, "plan", "-f", config_, "--pod-resources-socket", ""});
  EXPECT_EQ(alone.code, 0) << alone.err;
  EXPECT_THAT(alone.out, HasSubstr("destroy GPU instance 12"));
}

TEST_F(PodAssignmentsTest, UnassignedInstancesAreReconfigured) {
  kubelet_->SetPodDevices({});
  MigctlResult apply = RunMigctl({"--sim", state_, "apply", "-f", config_,
                                  "--pod-resources-socket", socket_});
  EXPECT_EQ(apply.code, 0) << apply.err;
  EXPECT_THAT(GpuInstances(), HasSubstr("MIG 3g.47gb"));
}

TEST_F(PodAssignmentsTest, RestoreKeepsAnInstanceAssignedToAPod) {
  const std::string checkpoint = (dir_ / "checkpoint.json").string();
  ASSERT_EQ(RunMigctl({"--sim", state_, "apply", "-f", config_,
                       "--pod-resources-socket", ""})
                .code,
            0);
  ASSERT_EQ(RunMigctl({"--sim", state_, "checkpoint", "-f", checkpoint}).code,
            0);
  ASSERT_EQ(RunMigctl({"--sim", state_, "apply", "-f", kStory}).code, 0);
  const std::vector<std::string> mig = MigDevices();
  ASSERT_EQ(mig.size(), 2u);
  kubelet_->SetPodDevices(
      {{"ml", "infer-0", "main", "nvidia.com/mig-1g.12gb", {mig[0]}}});
  const std::string before = GpuInstances();
  for (bool dry_run : {true, false}) {
    std::vector<std::string> args = {
        "--sim", state_, "restore", "-f", checkpoint, "--pod-resources-socket",
        socket_};
    if (dry_run) args.push_back("--dry-run");
    MigctlResult restore = RunMigctl(args);
    EXPECT_EQ(restore.code, 1) << "dry run: " << dry_run;
    EXPECT_THAT(restore.err, HasSubstr("is assigned to pod ml/infer-0"));
  }
  EXPECT_EQ(GpuInstances(), before);
}

TEST_F(PodAssignmentsTest, MissingSocketMeansNoKubernetesNode) {
  MigctlResult plan =
      RunMigctl({"--sim", state_, "plan", "-f", config_,
                 "--pod-resources-socket", (dir_ / "none.sock").string()});
  EXPECT_EQ(plan.code, 0) << plan.err;
}

TEST_F(PodAssignmentsTest, SocketThatDoesNotAnswerStopsTheCommand) {
  const std::string dead = (dir_ / "dead.sock").string();
  std::ofstream(dead) << "";
  const std::string before = GpuInstances();
  MigctlResult apply = RunMigctl({"--sim", state_, "apply", "-f", config_,
                                  "--pod-resources-socket", dead});
  EXPECT_EQ(apply.code, 1);
  EXPECT_THAT(apply.err,
              HasSubstr("cannot read which pods the kubelet assigned the GPUs "
                        "to (kubelet PodResources List on " +
                        dead + ": "));
  EXPECT_THAT(apply.err,
              HasSubstr("); an instance assigned to a pod may run no process "
                        "yet. Pass --pod-resources-socket \"\" to plan with "
                        "processes alone"));
  EXPECT_EQ(GpuInstances(), before);
}

}  // namespace
}  // namespace migctl::cli
