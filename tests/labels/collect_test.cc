// Labels of simulated nodes, read through Nvml: the story's node after
// `custom-mig` against its golden file, and what the collector reads.
#include "labels/collect.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "config/mig_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "reconcile/apply.h"
#include "sim/sim_nvml.h"

namespace migctl::labels {
namespace {

namespace fs = std::filesystem;
using ::testing::IsSupersetOf;

std::string ReadGolden(const std::string& name) {
  std::ifstream in(std::string(MIGCTL_SOURCE_DIR) + "/tests/golden/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<sim::SimNvml> Node(const std::vector<std::string>& models) {
  absl::StatusOr<sim::SimState> state = sim::NewNode("labels", models);
  EXPECT_TRUE(state.ok()) << state.status();
  return sim::SimNvml::InMemory(*state);
}

// The story's node: two H100 NVL after `migctl apply` of
// examples/custom-mig.yaml, config custom-mig.
std::unique_ptr<sim::SimNvml> StoryNode() {
  auto nvml = Node({"H100-NVL", "H100-NVL"});
  absl::StatusOr<config::MigConfigFile> file = config::LoadMigConfig(
      std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml");
  EXPECT_TRUE(file.ok()) << file.status();
  absl::StatusOr<reconcile::ApplyResult> applied =
      reconcile::Apply(*nvml, *file, "custom-mig", {});
  EXPECT_TRUE(applied.ok()) << applied.status();
  return nvml;
}

// Creates a GI of `profile` (lowest free placement) with a CI of
// `ci_slices` (the whole GI when 0).
void CreateInstance(nvml::Nvml& nvml, int gpu, const std::string& profile,
                    int ci_slices = 0) {
  absl::StatusOr<nvml::DeviceInfo> info = nvml.GetDevice(gpu);
  const mig::GpuModel* model = mig::FindModelByProductName(info->name);
  const mig::GpuInstanceProfile* p = model->FindProfileByName(profile);
  ASSERT_NE(p, nullptr) << profile;
  absl::StatusOr<nvml::GpuInstance> gi =
      nvml.CreateGpuInstance(gpu, p->id, std::nullopt);
  ASSERT_TRUE(gi.ok()) << gi.status();
  const mig::ComputeProfile* c = p->FullComputeProfile();
  for (const mig::ComputeProfile& cp : p->compute_profiles) {
    if (cp.slices == ci_slices) c = &cp;
  }
  ASSERT_TRUE(nvml.CreateComputeInstance(gpu, gi->id, c->id).ok());
}

// A scratch sysfs with each GPU's PCI class, as GFD reads it.
class LabelsCollectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("migctl_labels_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void WriteFile(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  // 3D controllers at every bus id of `nvml`.
  CollectOptions Options(nvml::Nvml& nvml) {
    for (int gpu = 0; gpu < *nvml.DeviceCount(); ++gpu) {
      std::string bus = nvml.GetDevice(gpu)->pci_bus_id;  // 00000000:18:00.0
      WriteFile(root_ / "pci" / absl::AsciiStrToLower(bus.substr(4)) / "class",
                "0x030200\n");
    }
    CollectOptions o;
    o.machine_type_file = (root_ / "no_product_name").string();
    o.pci_devices_dir = (root_ / "pci").string();
    o.cuda_version = CudaVersion{13, 0};
    return o;
  }

  Labels Collect(nvml::Nvml& nvml, MigStrategy strategy) {
    absl::StatusOr<Labels> l = NodeLabels(nvml, Options(nvml), {strategy});
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *l : Labels{};
  }

  fs::path root_;
};

TEST_F(LabelsCollectTest, StoryNodeMixedMatchesGolden) {
  auto nvml = StoryNode();
  EXPECT_EQ(FormatFeatureFile(Collect(*nvml, MigStrategy::kMixed)),
            ReadGolden("labels/story_mixed.txt"));
}

TEST_F(LabelsCollectTest, CudaVersionComesFromTheDriverUnlessOverridden) {
  absl::StatusOr<sim::SimState> state = sim::NewNode("labels", {"A30-24GB"});
  ASSERT_TRUE(state.ok()) << state.status();
  state->cuda_driver_version = 12040;
  auto nvml = sim::SimNvml::InMemory(*state);
  CollectOptions o = Options(*nvml);
  o.cuda_version.reset();
  absl::StatusOr<Labels> from_driver = NodeLabels(*nvml, o, {});
  ASSERT_TRUE(from_driver.ok()) << from_driver.status();
  EXPECT_THAT(*from_driver,
              IsSupersetOf(Labels{
                  {"nvidia.com/cuda.runtime-version.full", "12.4"},
                  {"nvidia.com/cuda.runtime-version.major", "12"},
                  {"nvidia.com/cuda.runtime-version.minor", "4"},
                  {"nvidia.com/cuda.runtime.major", "12"},
                  {"nvidia.com/cuda.runtime.minor", "4"},
              }));
  o.cuda_version = CudaVersion{13, 0};
  absl::StatusOr<Labels> overridden = NodeLabels(*nvml, o, {});
  ASSERT_TRUE(overridden.ok()) << overridden.status();
  EXPECT_EQ((*overridden)["nvidia.com/cuda.runtime-version.full"], "13.0");
}

TEST_F(LabelsCollectTest, StoryNodeMixedHasTheMissionLabels) {
  auto nvml = StoryNode();
  // MISSION.md step 6, less mig.config and mig.config.state (the agent's).
  // gpu.replicas=0 although the story's GPUs are ordinary H100 NVLs: GFD
  // labels MIG-enabled GPUs as nvidia.com/gpu "without sharing" (a nil
  // config), and a resource without a sharing config has 0 replicas; only
  // GPUs with MIG disabled get 1 (or the configured replicas).
  EXPECT_THAT(
      Collect(*nvml, MigStrategy::kMixed),
      IsSupersetOf(Labels{
          {"nvidia.com/gpu.product", "NVIDIA-H100-NVL"},
          {"nvidia.com/gpu.replicas", "0"},
          {"nvidia.com/gpu.sharing-strategy", "none"},
          {"nvidia.com/mig-1g.12gb.count", "7"},
          {"nvidia.com/mig-1g.12gb.engines.copy", "1"},
          {"nvidia.com/mig-1g.12gb.engines.decoder", "1"},
          {"nvidia.com/mig-1g.12gb.engines.encoder", "0"},
          {"nvidia.com/mig-1g.12gb.engines.jpeg", "1"},
          {"nvidia.com/mig-1g.12gb.engines.ofa", "0"},
          {"nvidia.com/mig-1g.12gb.memory", "11008"},
          {"nvidia.com/mig-1g.12gb.multiprocessors", "16"},
          {"nvidia.com/mig-1g.12gb.product", "NVIDIA-H100-NVL-MIG-1g.12gb"},
          {"nvidia.com/mig-1g.12gb.replicas", "1"},
          {"nvidia.com/mig-1g.12gb.sharing-strategy", "none"},
          {"nvidia.com/mig-1g.12gb.slices.ci", "1"},
          {"nvidia.com/mig-1g.12gb.slices.gi", "1"},
          {"nvidia.com/mig-1g.24gb.count", "1"},
          {"nvidia.com/mig-1g.24gb.engines.copy", "1"},
          {"nvidia.com/mig-1g.24gb.engines.decoder", "1"},
          {"nvidia.com/mig-1g.24gb.engines.encoder", "0"},
          {"nvidia.com/mig-1g.24gb.engines.jpeg", "1"},
          {"nvidia.com/mig-1g.24gb.engines.ofa", "0"},
          {"nvidia.com/mig-1g.24gb.memory", "22144"},
          {"nvidia.com/mig-1g.24gb.multiprocessors", "16"},
          {"nvidia.com/mig-1g.24gb.product", "NVIDIA-H100-NVL-MIG-1g.24gb"},
          {"nvidia.com/mig-1g.24gb.replicas", "1"},
          {"nvidia.com/mig-1g.24gb.sharing-strategy", "none"},
          {"nvidia.com/mig-1g.24gb.slices.ci", "1"},
          {"nvidia.com/mig-1g.24gb.slices.gi", "1"},
          {"nvidia.com/mig.capable", "true"},
          {"nvidia.com/mig.strategy", "mixed"},
      }));
}

TEST_F(LabelsCollectTest, StoryNodeFacts) {
  auto nvml = StoryNode();
  absl::StatusOr<NodeFacts> facts = CollectNodeFacts(*nvml, Options(*nvml));
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->gpus.size(), 2u);
  EXPECT_EQ(facts->driver_version, "580.159.04");
  EXPECT_EQ(facts->machine_type, std::nullopt);
  const GpuFacts& gpu1 = facts->gpus[1];
  EXPECT_TRUE(gpu1.mig_enabled);
  EXPECT_EQ(gpu1.pci_class, 0x030200u);
  std::vector<std::string> profiles;
  for (const MigDeviceFacts& d : gpu1.mig_devices)
    profiles.push_back(d.profile);
  EXPECT_EQ(profiles,
            (std::vector<std::string>{"1g.24gb", "1g.12gb", "1g.12gb",
                                      "1g.12gb", "1g.12gb", "1g.12gb"}));
  // The label describes the MIG device (its CI): 16 SMs, not the GI's 26.
  EXPECT_EQ(gpu1.mig_devices[0].multiprocessors, 16);
  EXPECT_EQ(gpu1.mig_devices[0].memory_mb, 22144u);
}

TEST_F(LabelsCollectTest, StoryNodeSingleIsInvalid) {
  auto nvml = StoryNode();
  EXPECT_THAT(Collect(*nvml, MigStrategy::kSingle),
              IsSupersetOf(Labels{
                  {"nvidia.com/gpu.product", "NVIDIA-H100-NVL-MIG-INVALID"},
                  {"nvidia.com/gpu.count", "0"},
                  {"nvidia.com/gpu.memory", "0"},
                  {"nvidia.com/mig.strategy", "single"}}));
}

TEST_F(LabelsCollectTest, MigDisabledGpuBesideMigGpuIsInvalidForSingle) {
  auto nvml = Node({"H100-NVL", "H100-NVL"});
  ASSERT_EQ(*nvml->SetMigMode(0, true), nvml::Return::kSuccess);
  CreateInstance(*nvml, 0, "3g.47gb");
  Labels single = Collect(*nvml, MigStrategy::kSingle);
  EXPECT_EQ(single["nvidia.com/gpu.product"], "NVIDIA-H100-NVL-MIG-INVALID");
  Labels mixed = Collect(*nvml, MigStrategy::kMixed);
  EXPECT_EQ(mixed["nvidia.com/mig-3g.47gb.count"], "1");
  EXPECT_EQ(mixed["nvidia.com/mig-3g.47gb.memory"], "47488");
  EXPECT_EQ(mixed["nvidia.com/gpu.count"], "2");
  EXPECT_EQ(mixed["nvidia.com/gpu.replicas"], "1");
}

TEST_F(LabelsCollectTest, UniformLayoutSingle) {
  auto nvml = Node({"H100-NVL"});
  ASSERT_EQ(*nvml->SetMigMode(0, true), nvml::Return::kSuccess);
  for (int i = 0; i < 3; ++i) CreateInstance(*nvml, 0, "2g.24gb");
  EXPECT_THAT(Collect(*nvml, MigStrategy::kSingle),
              IsSupersetOf(Labels{
                  {"nvidia.com/gpu.product", "NVIDIA-H100-NVL-MIG-2g.24gb"},
                  {"nvidia.com/gpu.count", "3"},
                  {"nvidia.com/gpu.replicas", "1"},
                  {"nvidia.com/gpu.memory", "22144"},
                  {"nvidia.com/gpu.multiprocessors", "32"},
                  {"nvidia.com/gpu.slices.gi", "2"},
                  {"nvidia.com/gpu.slices.ci", "2"},
                  {"nvidia.com/gpu.engines.copy", "2"},
                  {"nvidia.com/mig.strategy", "single"}}));
}

TEST_F(LabelsCollectTest, MediaExtensionAndComputeInstanceProfiles) {
  auto nvml = Node({"H100-NVL"});
  ASSERT_EQ(*nvml->SetMigMode(0, true), nvml::Return::kSuccess);
  CreateInstance(*nvml, 0, "1g.12gb+me");
  CreateInstance(*nvml, 0, "3g.47gb", 1);
  EXPECT_THAT(
      Collect(*nvml, MigStrategy::kMixed),
      IsSupersetOf(Labels{{"nvidia.com/mig-1g.12gb.me.count", "1"},
                          {"nvidia.com/mig-1g.12gb.me.product",
                           "NVIDIA-H100-NVL-MIG-1g.12gb.me"},
                          {"nvidia.com/mig-1g.12gb.me.engines.ofa", "1"},
                          {"nvidia.com/mig-1c.3g.47gb.count", "1"},
                          {"nvidia.com/mig-1c.3g.47gb.product",
                           "NVIDIA-H100-NVL-MIG-1c.3g.47gb"},
                          {"nvidia.com/mig-1c.3g.47gb.slices.gi", "3"},
                          {"nvidia.com/mig-1c.3g.47gb.slices.ci", "1"}}));
}

TEST_F(LabelsCollectTest, H200WholeGpuMemoryFloored) {
  auto nvml = Node({"H200"});
  WriteFile(root_ / "product_name", "  ProLiant DL380a Gen11\n");
  CollectOptions o = Options(*nvml);
  o.machine_type_file = (root_ / "product_name").string();
  absl::StatusOr<Labels> l = NodeLabels(*nvml, o, {MigStrategy::kMixed});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(*l, IsSupersetOf(Labels{
                      {"nvidia.com/gpu.product", "NVIDIA-H200"},
                      {"nvidia.com/gpu.memory", "143771"},
                      {"nvidia.com/gpu.count", "1"},
                      {"nvidia.com/gpu.replicas", "1"},
                      {"nvidia.com/gpu.machine", "ProLiant-DL380a-Gen11"},
                      {"nvidia.com/gpu.mode", "compute"},
                      {"nvidia.com/mig.capable", "true"},
                      {"nvidia.com/mig.strategy", "mixed"}}));
}

TEST_F(LabelsCollectTest, UnreadablePciClassIsUnknownMode) {
  auto nvml = Node({"H200"});
  CollectOptions o = Options(*nvml);
  o.pci_devices_dir = (root_ / "nowhere").string();
  absl::StatusOr<Labels> l = NodeLabels(*nvml, o, {});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->at("nvidia.com/gpu.mode"), "unknown");
  EXPECT_EQ(l->at("nvidia.com/gpu.machine"), "unknown");
}

TEST(CudaVersionTest, ParseAndNvml) {
  EXPECT_EQ(*ParseCudaVersion("13.0"), (CudaVersion{13, 0}));
  EXPECT_EQ(ParseCudaVersion("13").status(),
            absl::InvalidArgumentError(
                "invalid CUDA version \"13\": expected MAJOR.MINOR as "
                "nvidia-smi prints it, e.g. 13.0"));
  EXPECT_EQ(CudaVersionFromNvml(13000), (CudaVersion{13, 0}));
  EXPECT_EQ(CudaVersionFromNvml(12040), (CudaVersion{12, 4}));
}

}  // namespace
}  // namespace migctl::labels
