// The simulator's driver rules, each checked for its exact NVML code and
// message.
#include "sim/sim_nvml.h"

#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "sim/gpu_rules.h"

namespace migctl::sim {
namespace {

using nvml::Return;

constexpr int k1g12 = 19;    // 1g.12gb on H100 NVL
constexpr int k1g12me = 20;  // 1g.12gb+me
constexpr int k1g24 = 15;
constexpr int k3g47 = 9;
constexpr int k4g47 = 5;
constexpr int k7g94 = 0;

std::unique_ptr<SimNvml> Node(bool reset_supported = true) {
  absl::StatusOr<SimState> s = NewNode("test", {"H100-NVL", "H100-NVL"});
  s->reset_supported = reset_supported;
  return SimNvml::InMemory(*s);
}

std::unique_ptr<SimNvml> MigNode() {
  auto sim = Node();
  EXPECT_EQ(*sim->SetMigMode(0, true), Return::kSuccess);
  return sim;
}

void ExpectNvml(const absl::Status& s, Return code,
                const std::string& message) {
  EXPECT_EQ(nvml::ReturnOf(s), code) << s;
  EXPECT_EQ(s.message(), message);
}

TEST(MigModeTest, EnableOnIdleGpuTakesEffectAtOnce) {
  auto sim = Node();
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{false, false}));
  EXPECT_EQ(*sim->SetMigMode(0, true), Return::kSuccess);
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{true, true}));
  EXPECT_EQ(*sim->GetMigMode(1), (nvml::MigMode{false, false}));
}

TEST(MigModeTest, BusyGpuKeepsTheChangePendingUntilReset) {
  auto sim = Node();
  ASSERT_TRUE(sim->Update([](SimState& s) {
                   return rules::AttachProcess(
                       s, 0, {4242, "nv-hostengine", 0, {}, {}});
                 })
                  .ok());
  EXPECT_EQ(*sim->SetMigMode(0, true), Return::kInUse);
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{false, true}));
  ExpectNvml(
      sim->ResetGpu(0), Return::kInUse,
      "GPU reset (GPU 0): held by 1 process(es): In use by another client");
  ASSERT_TRUE(
      sim->Update([](SimState& s) { return rules::DetachProcess(s, 4242); })
          .ok());
  ASSERT_TRUE(sim->ResetGpu(0).ok());
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{true, true}));
}

TEST(MigModeTest, WithoutGpuResetTheChangeWaitsForAReboot) {
  auto sim = Node(/*reset_supported=*/false);
  EXPECT_EQ(*sim->SetMigMode(0, true), Return::kResetRequired);
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{false, true}));
  ExpectNvml(
      sim->ResetGpu(0), Return::kNotSupported,
      "GPU reset (GPU 0): this node does not expose GPU reset; reboot it: "
      "Not Supported");
  ASSERT_TRUE(sim->Update([](SimState& s) {
                   rules::Reboot(s);
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{true, true}));
}

TEST(MigModeTest, ModeIsLostAtRebootWhenNotPersistent) {
  auto sim = MigNode();
  ASSERT_TRUE(sim->Update([](SimState& s) {
                   s.mig_mode_persistent = false;
                   rules::Reboot(s);
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{false, false}));
}

TEST(MigModeTest, SettingThePendingModeBackCancelsIt) {
  auto sim = Node(/*reset_supported=*/false);
  EXPECT_EQ(*sim->SetMigMode(0, true), Return::kResetRequired);
  EXPECT_EQ(*sim->SetMigMode(0, false), Return::kSuccess);
  EXPECT_EQ(*sim->GetMigMode(0), (nvml::MigMode{false, false}));
}

TEST(MigModeTest, DisableIsRefusedWhileGpuInstancesExist) {
  auto sim = MigNode();
  ASSERT_TRUE(sim->CreateGpuInstance(0, k1g12, std::nullopt).ok());
  ExpectNvml(sim->SetMigMode(0, false).status(), Return::kInUse,
             "nvmlDeviceSetMigMode (GPU 0): 1 GPU instances exist; destroy "
             "them first: In use by another client");
}

TEST(GpuInstanceTest, RequiresMigMode) {
  auto sim = Node();
  ExpectNvml(sim->CreateGpuInstance(0, k1g12, std::nullopt).status(),
             Return::kNotSupported,
             "nvmlDeviceCreateGpuInstance (GPU 0) profile ID 19: MIG mode is "
             "disabled: Not Supported");
}

TEST(GpuInstanceTest, UnsupportedProfileIsNotSupported) {
  auto sim = MigNode();
  ExpectNvml(
      sim->CreateGpuInstance(0, 21, std::nullopt).status(),
      Return::kNotSupported,
      "nvmlDeviceCreateGpuInstance (GPU 0) profile ID 21: Not Supported");
}

TEST(GpuInstanceTest, LowestFreePlacementAndPlacementDerivedIds) {
  auto sim = MigNode();
  auto a = sim->CreateGpuInstance(0, k3g47, std::nullopt);
  auto b = sim->CreateGpuInstance(0, k3g47, std::nullopt);
  ASSERT_TRUE(a.ok() && b.ok());
  // As the A100 transcript shows: first 3g at 0:4 gets ID 2, the next at 4:4
  // ID 1.
  EXPECT_EQ(*a, (nvml::GpuInstance{2, k3g47, {0, 4}}));
  EXPECT_EQ(*b, (nvml::GpuInstance{1, k3g47, {4, 4}}));
  ExpectNvml(sim->CreateGpuInstance(0, k3g47, std::nullopt).status(),
             Return::kInsufficientResources,
             "nvmlDeviceCreateGpuInstance (GPU 0) profile ID 9: Insufficient "
             "resources for request");
}

TEST(GpuInstanceTest, ExplicitPlacementRules) {
  auto sim = MigNode();
  ExpectNvml(sim->CreateGpuInstance(0, k1g24, mig::Placement{1, 2}).status(),
             Return::kInvalidArgument,
             "nvmlDeviceCreateGpuInstanceWithPlacement (GPU 0) profile ID 15 "
             "at {1}:2: 1g.24gb cannot be placed there: Invalid Argument");
  auto gi = sim->CreateGpuInstance(0, k1g24, mig::Placement{6, 2});
  ASSERT_TRUE(gi.ok());
  EXPECT_EQ(*gi, (nvml::GpuInstance{4, k1g24, {6, 2}}));
  ExpectNvml(sim->CreateGpuInstance(0, k1g12, mig::Placement{6, 1}).status(),
             Return::kInsufficientResources,
             "nvmlDeviceCreateGpuInstanceWithPlacement (GPU 0) profile ID 19 "
             "at {6}:1: Insufficient resources for request");
  ExpectNvml(sim->CreateGpuInstance(0, k7g94, std::nullopt).status(),
             Return::kInsufficientResources,
             "nvmlDeviceCreateGpuInstance (GPU 0) profile ID 0: Insufficient "
             "resources for request");
}

TEST(GpuInstanceTest, InstanceCountIsEnforced) {
  auto sim = MigNode();
  ASSERT_TRUE(sim->CreateGpuInstance(0, k1g12me, std::nullopt).ok());
  EXPECT_EQ(
      nvml::ReturnOf(sim->CreateGpuInstance(0, k1g12me, std::nullopt).status()),
      Return::kInsufficientResources);
  EXPECT_EQ(*sim->GetGpuInstanceRemainingCapacity(0, k1g12me), 0);
  EXPECT_EQ(*sim->GetGpuInstanceRemainingCapacity(0, k1g12), 6);
  EXPECT_EQ(*sim->GetGpuInstanceRemainingCapacity(0, k4g47), 0);
  EXPECT_EQ(*sim->GetGpuInstanceRemainingCapacity(0, k3g47), 1);
}

TEST(GpuInstanceTest, DestroyRules) {
  auto sim = MigNode();
  auto gi = sim->CreateGpuInstance(0, k1g12, std::nullopt);
  auto ci = sim->CreateComputeInstance(0, gi->id, 0);
  ASSERT_TRUE(ci.ok()) << ci.status();
  ExpectNvml(sim->DestroyGpuInstance(0, gi->id), Return::kInUse,
             "nvmlGpuInstanceDestroy (GPU 0, GPU instance 11): 1 compute "
             "instances exist; destroy them first: In use by another client");
  ASSERT_TRUE(sim->Update([&](SimState& s) {
                   return rules::AttachProcess(
                       s, 0, {77, "python", 1 << 30, gi->id, ci->id});
                 })
                  .ok());
  ExpectNvml(sim->DestroyComputeInstance(0, gi->id, ci->id), Return::kInUse,
             "nvmlComputeInstanceDestroy (GPU 0, GPU instance 11, compute "
             "instance 0): In use by another client");
  ASSERT_TRUE(
      sim->Update([](SimState& s) { return rules::DetachProcess(s, 77); })
          .ok());
  ASSERT_TRUE(sim->DestroyComputeInstance(0, gi->id, ci->id).ok());
  ASSERT_TRUE(sim->DestroyGpuInstance(0, gi->id).ok());
  ExpectNvml(sim->DestroyGpuInstance(0, gi->id), Return::kNotFound,
             "nvmlGpuInstanceDestroy (GPU 0, GPU instance 11): Not Found");
  EXPECT_TRUE(sim->ListGpuInstances(0)->empty());
}

TEST(ComputeInstanceTest, ProfilesCapacityAndIds) {
  auto sim = MigNode();
  auto gi = sim->CreateGpuInstance(0, k3g47, std::nullopt);
  ASSERT_TRUE(gi.ok());
  ExpectNvml(sim->CreateComputeInstance(0, gi->id, 3).status(),
             Return::kNotSupported,
             "nvmlGpuInstanceCreateComputeInstance (GPU 0, GPU instance 2) CI "
             "profile ID 3: Not Supported");
  auto a = sim->CreateComputeInstance(0, gi->id, 1);
  auto b = sim->CreateComputeInstance(0, gi->id, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, (nvml::ComputeInstance{gi->id, 0, 1, {0, 2}}));
  EXPECT_EQ(*b, (nvml::ComputeInstance{gi->id, 1, 0, {2, 1}}));
  EXPECT_EQ(nvml::ReturnOf(sim->CreateComputeInstance(0, gi->id, 2).status()),
            Return::kInsufficientResources);
  auto devices = sim->ListMigDevices(0);
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].multiprocessors, 32);
  EXPECT_EQ((*devices)[1].multiprocessors, 16);
  EXPECT_EQ((*devices)[1].memory_mb, 47488u);
}

TEST(MigDeviceTest, StoryGpu1EnumeratesThe1g24gbFirst) {
  auto sim = Node();
  ASSERT_EQ(*sim->SetMigMode(1, true), Return::kSuccess);
  for (int i = 0; i < 5; ++i) {
    auto gi = sim->CreateGpuInstance(1, k1g12, std::nullopt);
    ASSERT_TRUE(sim->CreateComputeInstance(1, gi->id, 0).ok());
  }
  auto big = sim->CreateGpuInstance(1, k1g24, std::nullopt);
  ASSERT_TRUE(big.ok()) << big.status();
  ASSERT_TRUE(sim->CreateComputeInstance(1, big->id, 7).ok());
  auto devices = sim->ListMigDevices(1);
  ASSERT_EQ(devices->size(), 6u);
  EXPECT_EQ((*devices)[0].gi_profile_id, k1g24);
  EXPECT_EQ((*devices)[0].multiprocessors, 16);
  EXPECT_EQ((*devices)[0].memory_mb, 22144u);
  for (int i = 1; i < 6; ++i) {
    EXPECT_EQ((*devices)[i].gi_profile_id, k1g12);
    EXPECT_EQ((*devices)[i].index, i);
  }
}

TEST(FaultTest, NthMutatingCallFailsWithTheChosenCode) {
  auto sim = MigNode();
  ASSERT_TRUE(sim->Update([](SimState& s) {
                   s.fault = {2, Return::kInsufficientResources, false};
                   return absl::OkStatus();
                 })
                  .ok());
  ASSERT_TRUE(sim->CreateGpuInstance(0, k1g12, std::nullopt).ok());
  ExpectNvml(sim->CreateGpuInstance(0, k1g12, std::nullopt).status(),
             Return::kInsufficientResources,
             "nvmlDeviceCreateGpuInstance (injected fault): Insufficient "
             "resources for request");
  EXPECT_TRUE(sim->CreateGpuInstance(0, k1g12, std::nullopt).ok());
  EXPECT_EQ(sim->Snapshot()->mutating_calls, 4u);
  EXPECT_EQ(sim->ListGpuInstances(0)->size(), 2u);
}

TEST(FaultTest, AbortKillsTheProcessAtTheNthCall) {
  EXPECT_DEATH(
      {
        auto sim = MigNode();
        (void)sim->Update([](SimState& s) {
          s.fault = {1, Return::kUnknown, true};
          return absl::OkStatus();
        });
        (void)sim->CreateGpuInstance(0, k1g12, std::nullopt);
      },
      "");
}

TEST(GpuIdTest, DerivedFromPlacement) {
  const mig::GpuModel& h100 = *mig::FindModel("H100-NVL");
  EXPECT_EQ(rules::GpuInstanceIdFor(h100, {0, 8}), 0);
  EXPECT_EQ(rules::GpuInstanceIdFor(h100, {4, 4}), 1);
  EXPECT_EQ(rules::GpuInstanceIdFor(h100, {0, 4}), 2);
  EXPECT_EQ(rules::GpuInstanceIdFor(h100, {4, 2}), 3);
  EXPECT_EQ(rules::GpuInstanceIdFor(h100, {2, 2}), 6);
  EXPECT_EQ(rules::GpuInstanceIdFor(h100, {6, 1}), 9);
  EXPECT_EQ(rules::GpuInstanceIdFor(h100, {3, 1}), 14);
}

}  // namespace
}  // namespace migctl::sim
