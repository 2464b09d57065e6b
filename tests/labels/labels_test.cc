// ComputeLabels against GFD's behaviour (NVIDIA/k8s-device-plugin
// internal/lm/*.go), on hand-built node facts.
#include "labels/labels.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::labels {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

constexpr uint64_t kH100NvlBytes = 95830ull << 20;
constexpr uint64_t kH200Bytes = 150754820096ull;  // 143771.23 MiB

MigDeviceFacts Mig1g12gb() {
  return {"1g.12gb", 11008, 16, 1, 1, {1, 1, 0, 1, 0}};
}
MigDeviceFacts Mig1g24gb() {
  return {"1g.24gb", 22144, 16, 1, 1, {1, 1, 0, 1, 0}};
}

GpuFacts H100Nvl(bool mig_enabled, std::vector<MigDeviceFacts> devices = {}) {
  GpuFacts g;
  g.name = "NVIDIA H100 NVL";
  g.memory_total_bytes = kH100NvlBytes;
  g.compute_major = 9;
  g.compute_minor = 0;
  g.mig_capable = true;
  g.mig_enabled = mig_enabled;
  g.mig_devices = std::move(devices);
  g.pci_class = 0x030200;
  return g;
}

NodeFacts Node(std::vector<GpuFacts> gpus) {
  NodeFacts n;
  n.gpus = std::move(gpus);
  n.driver_version = "580.159.04";
  n.cuda_version = CudaVersion{13, 0};
  return n;
}

// The story's layout: GPU 0 2x1g.12gb, GPU 1 1g.24gb + 5x1g.12gb.
NodeFacts StoryNode() {
  std::vector<MigDeviceFacts> gpu1 = {Mig1g24gb()};
  for (int i = 0; i < 5; ++i) gpu1.push_back(Mig1g12gb());
  return Node({H100Nvl(true, {Mig1g12gb(), Mig1g12gb()}), H100Nvl(true, gpu1)});
}

// Seven 1g.12gb on each of two GPUs.
NodeFacts UniformNode() {
  std::vector<MigDeviceFacts> seven(7, Mig1g12gb());
  return Node({H100Nvl(true, seven), H100Nvl(true, seven)});
}

Labels Compute(const NodeFacts& node, MigStrategy strategy,
               Sharing sharing = {}) {
  absl::StatusOr<Labels> l = ComputeLabels(node, {strategy, sharing, {}});
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? *l : Labels{};
}

TEST(SanitiseTest, MatchesGfd) {
  EXPECT_EQ(Sanitise("NVIDIA H100 NVL"), "NVIDIA-H100-NVL");
  EXPECT_EQ(Sanitise("NVIDIA H100 80GB HBM3"), "NVIDIA-H100-80GB-HBM3");
  EXPECT_EQ(Sanitise("  Tesla  T4 (PCIe)/x  "), "Tesla-T4-PCIex");
  EXPECT_EQ(Sanitise("1g.12gb.me"), "1g.12gb.me");
  EXPECT_EQ(Sanitise("A_b-c.d"), "A_b-c.d");
}

TEST(GfdProfileNameTest, FollowsGoNvlib) {
  EXPECT_EQ(GfdProfileName("1g.12gb", 1, 1, 11008, kH100NvlBytes), "1g.12gb");
  EXPECT_EQ(GfdProfileName("1g.24gb", 1, 1, 22144, kH100NvlBytes), "1g.24gb");
  // "+" is written "." in resource names and label keys.
  EXPECT_EQ(GfdProfileName("1g.12gb+me", 1, 1, 11008, kH100NvlBytes),
            "1g.12gb.me");
  // A CI smaller than its GI.
  EXPECT_EQ(GfdProfileName("3g.47gb", 3, 1, 47488, kH100NvlBytes),
            "1c.3g.47gb");
  EXPECT_EQ(GfdProfileName("7g.141gb", 7, 7, 143360, kH200Bytes), "7g.141gb");
}

TEST(ComputeLabelsTest, NoGpusNoLabels) {
  NodeFacts node;
  node.driver_version = "580.159.04";
  EXPECT_EQ(Compute(node, MigStrategy::kMixed), Labels{});
}

TEST(ComputeLabelsTest, NoneStrategyOnMigLayoutGivesOnlyWholeGpuLabels) {
  EXPECT_EQ(Compute(StoryNode(), MigStrategy::kNone),
            (Labels{
                {"nvidia.com/cuda.driver-version.full", "580.159.04"},
                {"nvidia.com/cuda.driver-version.major", "580"},
                {"nvidia.com/cuda.driver-version.minor", "159"},
                {"nvidia.com/cuda.driver-version.revision", "04"},
                {"nvidia.com/cuda.driver.major", "580"},
                {"nvidia.com/cuda.driver.minor", "159"},
                {"nvidia.com/cuda.driver.rev", "04"},
                {"nvidia.com/cuda.runtime-version.full", "13.0"},
                {"nvidia.com/cuda.runtime-version.major", "13"},
                {"nvidia.com/cuda.runtime-version.minor", "0"},
                {"nvidia.com/cuda.runtime.major", "13"},
                {"nvidia.com/cuda.runtime.minor", "0"},
                {"nvidia.com/gpu.compute.major", "9"},
                {"nvidia.com/gpu.compute.minor", "0"},
                {"nvidia.com/gpu.count", "2"},
                {"nvidia.com/gpu.family", "hopper"},
                {"nvidia.com/gpu.machine", "unknown"},
                {"nvidia.com/gpu.memory", "95830"},
                {"nvidia.com/gpu.mode", "compute"},
                {"nvidia.com/gpu.product", "NVIDIA-H100-NVL"},
                {"nvidia.com/gpu.replicas", "0"},
                {"nvidia.com/gpu.sharing-strategy", "none"},
                {"nvidia.com/mig.capable", "true"},
                {"nvidia.com/mps.capable", "false"},
            }));
}

TEST(ComputeLabelsTest, SingleStrategyWithTwoProfilesIsInvalid) {
  Labels l = Compute(StoryNode(), MigStrategy::kSingle);
  EXPECT_THAT(l, IsSupersetOf(Labels{
                     {"nvidia.com/gpu.product", "NVIDIA-H100-NVL-MIG-INVALID"},
                     {"nvidia.com/gpu.count", "0"},
                     {"nvidia.com/gpu.replicas", "0"},
                     {"nvidia.com/gpu.memory", "0"},
                     {"nvidia.com/gpu.sharing-strategy", "none"},
                     {"nvidia.com/gpu.family", "hopper"},
                     {"nvidia.com/mig.strategy", "single"},
                 }));
  EXPECT_THAT(l, Not(Contains(Key("nvidia.com/gpu.multiprocessors"))));
  EXPECT_THAT(l, Not(Contains(Key("nvidia.com/mig-1g.12gb.count"))));
}

TEST(ComputeLabelsTest, SingleStrategyWithAGpuNotInMigModeIsInvalid) {
  NodeFacts node = Node({H100Nvl(true, {Mig1g12gb()}), H100Nvl(false)});
  Labels l = Compute(node, MigStrategy::kSingle);
  EXPECT_THAT(l, IsSupersetOf(Labels{
                     {"nvidia.com/gpu.product", "NVIDIA-H100-NVL-MIG-INVALID"},
                     {"nvidia.com/gpu.count", "0"},
                     {"nvidia.com/gpu.replicas", "0"},
                     {"nvidia.com/gpu.memory", "0"},
                     {"nvidia.com/mig.strategy", "single"},
                 }));
}

TEST(ComputeLabelsTest, SingleStrategyWithAnEmptyMigGpuIsInvalid) {
  NodeFacts node = Node({H100Nvl(true, {Mig1g12gb()}), H100Nvl(true)});
  EXPECT_EQ(Compute(node, MigStrategy::kSingle)["nvidia.com/gpu.product"],
            "NVIDIA-H100-NVL-MIG-INVALID");
  // Mixed ignores the empty GPU.
  Labels mixed = Compute(node, MigStrategy::kMixed);
  EXPECT_EQ(mixed["nvidia.com/mig-1g.12gb.count"], "1");
  EXPECT_EQ(mixed["nvidia.com/gpu.product"], "NVIDIA-H100-NVL");
}

TEST(ComputeLabelsTest, SingleStrategyOnUniformLayout) {
  Labels l = Compute(UniformNode(), MigStrategy::kSingle);
  EXPECT_THAT(l, IsSupersetOf(Labels{
                     {"nvidia.com/gpu.product", "NVIDIA-H100-NVL-MIG-1g.12gb"},
                     {"nvidia.com/gpu.count", "14"},
                     {"nvidia.com/gpu.replicas", "1"},
                     {"nvidia.com/gpu.sharing-strategy", "none"},
                     {"nvidia.com/gpu.memory", "11008"},
                     {"nvidia.com/gpu.multiprocessors", "16"},
                     {"nvidia.com/gpu.slices.gi", "1"},
                     {"nvidia.com/gpu.slices.ci", "1"},
                     {"nvidia.com/gpu.engines.copy", "1"},
                     {"nvidia.com/gpu.engines.decoder", "1"},
                     {"nvidia.com/gpu.engines.encoder", "0"},
                     {"nvidia.com/gpu.engines.jpeg", "1"},
                     {"nvidia.com/gpu.engines.ofa", "0"},
                     // From the whole-GPU labeler, not overridden.
                     {"nvidia.com/gpu.family", "hopper"},
                     {"nvidia.com/gpu.compute.major", "9"},
                     {"nvidia.com/mig.strategy", "single"},
                 }));
  EXPECT_THAT(l, Not(Contains(Key("nvidia.com/mig-1g.12gb.count"))));
}

TEST(ComputeLabelsTest, MixedStrategyOnUniformLayout) {
  Labels l = Compute(UniformNode(), MigStrategy::kMixed);
  EXPECT_EQ(l["nvidia.com/mig-1g.12gb.count"], "14");
  EXPECT_EQ(l["nvidia.com/gpu.count"], "2");
  EXPECT_EQ(l["nvidia.com/gpu.memory"], "95830");
}

TEST(ComputeLabelsTest, SingleStrategyWithoutMigGpusIsLikeNone) {
  NodeFacts node = Node({H100Nvl(false), H100Nvl(false)});
  Labels none = Compute(node, MigStrategy::kNone);
  Labels single = Compute(node, MigStrategy::kSingle);
  none["nvidia.com/mig.strategy"] = "single";
  EXPECT_EQ(single, none);
  EXPECT_EQ(single["nvidia.com/gpu.replicas"], "1");
}

TEST(ComputeLabelsTest, MixedMigAndWholeGpusOfOneModel) {
  NodeFacts node = Node({H100Nvl(true, {Mig1g12gb()}), H100Nvl(false)});
  Labels l = Compute(node, MigStrategy::kMixed);
  // The whole GPU's labeler wins, with both GPUs counted.
  EXPECT_EQ(l["nvidia.com/gpu.count"], "2");
  EXPECT_EQ(l["nvidia.com/gpu.replicas"], "1");
  EXPECT_EQ(l["nvidia.com/mig-1g.12gb.count"], "1");
}

TEST(ComputeLabelsTest, WholeGpuMemoryIsFlooredMiB) {
  GpuFacts h200;
  h200.name = "NVIDIA H200";
  h200.memory_total_bytes = kH200Bytes;
  h200.compute_major = 9;
  h200.mig_capable = true;
  Labels l = Compute(Node({h200}), MigStrategy::kNone);
  EXPECT_EQ(l["nvidia.com/gpu.memory"], "143771");
  EXPECT_EQ(l["nvidia.com/gpu.product"], "NVIDIA-H200");
  EXPECT_EQ(l["nvidia.com/gpu.replicas"], "1");
  // No PCI class read: GFD says unknown.
  EXPECT_EQ(l["nvidia.com/gpu.mode"], "unknown");
}

TEST(ComputeLabelsTest, MediaExtensionProfileKeys) {
  MigDeviceFacts me{"1g.12gb.me", 11008, 16, 1, 1, {1, 1, 0, 1, 1}};
  Labels l =
      Compute(Node({H100Nvl(true, {me, Mig1g12gb()})}), MigStrategy::kMixed);
  EXPECT_THAT(l, IsSupersetOf(Labels{
                     {"nvidia.com/mig-1g.12gb.me.count", "1"},
                     {"nvidia.com/mig-1g.12gb.me.product",
                      "NVIDIA-H100-NVL-MIG-1g.12gb.me"},
                     {"nvidia.com/mig-1g.12gb.me.engines.ofa", "1"},
                     {"nvidia.com/mig-1g.12gb.count", "1"},
                     {"nvidia.com/mig-1g.12gb.engines.ofa", "0"},
                 }));
}

TEST(ComputeLabelsTest, TimeSlicingReplicas) {
  Sharing sharing{
      Sharing::Strategy::kTimeSlicing,
      {{"nvidia.com/gpu", 4, false}, {"nvidia.com/mig-1g.12gb", 2, true}}};
  Labels whole = Compute(Node({H100Nvl(false)}), MigStrategy::kNone, sharing);
  EXPECT_EQ(whole["nvidia.com/gpu.product"], "NVIDIA-H100-NVL-SHARED");
  EXPECT_EQ(whole["nvidia.com/gpu.replicas"], "4");
  EXPECT_EQ(whole["nvidia.com/gpu.sharing-strategy"], "time-slicing");

  Labels mixed = Compute(StoryNode(), MigStrategy::kMixed, sharing);
  // Renamed: no SHARED suffix.
  EXPECT_EQ(mixed["nvidia.com/mig-1g.12gb.product"],
            "NVIDIA-H100-NVL-MIG-1g.12gb");
  EXPECT_EQ(mixed["nvidia.com/mig-1g.12gb.replicas"], "2");
  EXPECT_EQ(mixed["nvidia.com/mig-1g.12gb.sharing-strategy"], "time-slicing");
  EXPECT_EQ(mixed["nvidia.com/mig-1g.24gb.replicas"], "1");
  EXPECT_EQ(mixed["nvidia.com/mig-1g.24gb.sharing-strategy"], "none");
  // MIG-enabled whole GPUs are labelled without sharing.
  EXPECT_EQ(mixed["nvidia.com/gpu.replicas"], "0");
  EXPECT_EQ(mixed["nvidia.com/gpu.product"], "NVIDIA-H100-NVL");
}

TEST(ComputeLabelsTest, MpsSharing) {
  Sharing mps{Sharing::Strategy::kMps, {{"nvidia.com/gpu", 2, false}}};
  Labels l = Compute(Node({H100Nvl(false)}), MigStrategy::kNone, mps);
  EXPECT_EQ(l["nvidia.com/mps.capable"], "true");
  EXPECT_EQ(l["nvidia.com/gpu.sharing-strategy"], "mps");
  absl::StatusOr<Labels> mig =
      ComputeLabels(StoryNode(), {MigStrategy::kMixed, mps, {}});
  EXPECT_EQ(mig.status(),
            absl::FailedPreconditionError(
                "MPS sharing is not supported for mig devices; use "
                "time-slicing or disable MIG mode"));
}

TEST(ComputeLabelsTest, DriverVersionFormat) {
  NodeFacts node = Node({H100Nvl(false)});
  node.driver_version = "550.90";
  Labels l = Compute(node, MigStrategy::kNone);
  EXPECT_EQ(l["nvidia.com/cuda.driver-version.revision"], "");
  EXPECT_EQ(l["nvidia.com/cuda.driver.rev"], "");
  node.driver_version = "580";
  EXPECT_EQ(ComputeLabels(node, {}).status(),
            absl::InvalidArgumentError(
                "error getting driver version: Version \"580\" does not "
                "match format \"X.Y[.Z]\""));
}

TEST(ComputeLabelsTest, WithoutCudaVersionNoRuntimeLabels) {
  NodeFacts node = Node({H100Nvl(false)});
  node.cuda_version.reset();
  Labels l = Compute(node, MigStrategy::kNone);
  EXPECT_THAT(l, Not(Contains(Key("nvidia.com/cuda.runtime-version.full"))));
  EXPECT_THAT(l, Not(Contains(Key("nvidia.com/cuda.runtime.major"))));
  EXPECT_EQ(l["nvidia.com/cuda.driver-version.full"], "580.159.04");
}

TEST(ComputeLabelsTest, MachineTimestampAndMode) {
  NodeFacts node = Node({H100Nvl(false)});
  node.machine_type = "PowerEdge R760xa";
  absl::StatusOr<Labels> l =
      ComputeLabels(node, {MigStrategy::kNone, {}, 1733000000});
  ASSERT_TRUE(l.ok());
  EXPECT_THAT(*l, IsSupersetOf(Labels{
                      {"nvidia.com/gpu.machine", "PowerEdge-R760xa"},
                      {"nvidia.com/gfd.timestamp", "1733000000"},
                      {"nvidia.com/gpu.mode", "compute"},
                  }));
  node.gpus[0].pci_class = 0x030000;
  EXPECT_EQ(Compute(node, MigStrategy::kNone)["nvidia.com/gpu.mode"],
            "graphics");
  node.gpus.push_back(H100Nvl(false));
  EXPECT_EQ(Compute(node, MigStrategy::kNone)["nvidia.com/gpu.mode"],
            "unknown");
}

TEST(ComputeLabelsTest, ArchitectureFamilies) {
  NodeFacts node = Node({H100Nvl(false)});
  const std::vector<std::tuple<int, int, std::string>> cases = {
      {7, 0, "volta"},        {7, 5, "turing"},    {8, 0, "ampere"},
      {8, 9, "ada-lovelace"}, {9, 0, "hopper"},    {10, 0, "blackwell"},
      {12, 0, "blackwell"},   {11, 0, "undefined"}};
  for (const auto& [major, minor, family] : cases) {
    node.gpus[0].compute_major = major;
    node.gpus[0].compute_minor = minor;
    EXPECT_EQ(Compute(node, MigStrategy::kNone)["nvidia.com/gpu.family"],
              family)
        << major << "." << minor;
  }
}

TEST(ParseMigStrategyTest, Names) {
  EXPECT_EQ(*ParseMigStrategy("mixed"), MigStrategy::kMixed);
  EXPECT_EQ(ParseMigStrategy("Mixed").status(),
            absl::InvalidArgumentError(
                "unknown MIG strategy \"Mixed\"; use none, single or mixed"));
}

TEST(FormatFeatureFileTest, SortedKeyValueLines) {
  EXPECT_EQ(FormatFeatureFile({{"nvidia.com/b", "2"}, {"nvidia.com/a", "1"}}),
            "nvidia.com/a=1\nnvidia.com/b=2\n");
}

}  // namespace
}  // namespace migctl::labels
