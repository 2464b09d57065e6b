// Checkpoint and restore: exact placements by GPU UUID.
#include "reconcile/checkpoint.h"

#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"

namespace migctl::reconcile {
namespace {

// GPU 0: 1g.12gb at {5} and {6} and a 3g.47gb at {0}: placements the fitter
// would not choose by itself. GPU 1: MIG disabled.
std::unique_ptr<sim::SimNvml> Node() {
  auto node =
      sim::SimNvml::InMemory(*sim::NewNode("ck", {"H100-NVL", "H100-NVL"}));
  EXPECT_EQ(*node->SetMigMode(0, true), nvml::Return::kSuccess);
  for (auto [profile, start, size] :
       {std::tuple{19, 5, 1}, {19, 6, 1}, {9, 0, 4}}) {
    auto gi = node->CreateGpuInstance(0, profile, mig::Placement{start, size});
    EXPECT_TRUE(gi.ok()) << gi.status();
    EXPECT_TRUE(
        node->CreateComputeInstance(0, gi->id, profile == 9 ? 2 : 0).ok());
  }
  return node;
}

TEST(CheckpointTest, RestoresExactPlacementsAfterAReboot) {
  auto node = Node();
  auto checkpoint = TakeCheckpoint(*node);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  auto reread = CheckpointFromJson(CheckpointToJson(*checkpoint));
  ASSERT_TRUE(reread.ok()) << reread.status();
  ASSERT_TRUE(node->Update([](sim::SimState& s) {
                    sim::rules::Reboot(s);
                    return absl::OkStatus();
                  })
                  .ok());
  auto targets = RestoreTargets(*node, *reread);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_TRUE(ApplyTargets(*node, *targets, "checkpoint", {}).ok());
  const mig::GpuModel& nvl = *mig::FindModel("H100-NVL");
  auto after = TakeCheckpoint(*node);
  EXPECT_EQ(mig::DescribeLayout(nvl, after->gpus[0].layout),
            "3g.47gb@0 1g.12gb@5 1g.12gb@6");
  EXPECT_TRUE(after->gpus[0].mig_enabled);
  EXPECT_FALSE(after->gpus[1].mig_enabled);
}

TEST(CheckpointTest, RestoreKeepsWhatIsAlreadyInPlace) {
  auto node = Node();
  auto checkpoint = *TakeCheckpoint(*node);
  // Move things around: drop the 1g at {6}, add one at {4}.
  int gi6 = -1;
  const std::vector<nvml::GpuInstance> gis = *node->ListGpuInstances(0);
  for (const auto& gi : gis) {
    if (gi.placement.start == 6) gi6 = gi.id;
  }
  ASSERT_TRUE(node->DestroyComputeInstance(0, gi6, 0).ok());
  ASSERT_TRUE(node->DestroyGpuInstance(0, gi6).ok());
  ASSERT_TRUE(node->CreateGpuInstance(0, 19, mig::Placement{4, 1}).ok());
  const std::string kept_uuid = node->ListMigDevices(0)->front().uuid;
  auto targets = RestoreTargets(*node, checkpoint);
  auto plan = PlanTargets(*node, *targets, "checkpoint");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->gpus[0].kept.size(), 2u);
  EXPECT_EQ(plan->gpus[0].destroyed_gpu_instances(), 1);
  EXPECT_EQ(plan->gpus[0].created_gpu_instances(), 1);
  ASSERT_TRUE(ApplyTargets(*node, *targets, "checkpoint", {}).ok());
  EXPECT_EQ(node->ListMigDevices(0)->front().uuid, kept_uuid);
}

TEST(CheckpointTest, UnknownGpuAndBadDocumentsAreNamed) {
  auto node = Node();
  Checkpoint other;
  other.gpus.push_back({"GPU-0000", 0, "H100-NVL", false, {}});
  EXPECT_EQ(RestoreTargets(*node, other).status().message(),
            "GPU GPU-0000 of the checkpoint is not on this node");
  nlohmann::json doc = CheckpointToJson(*TakeCheckpoint(*node));
  doc["gpus"][0]["gpu_instances"][0]["placement"]["start"] = 1;
  EXPECT_EQ(CheckpointFromJson(doc).status().message(),
            "checkpoint: gpus[0]: 3g.47gb cannot be placed at {1}:4 on NVIDIA "
            "H100 NVL");
  doc["version"] = 9;
  EXPECT_EQ(CheckpointFromJson(doc).status().message(),
            "checkpoint: version 9 is not supported (this migctl reads 1)");
}

}  // namespace
}  // namespace migctl::reconcile
