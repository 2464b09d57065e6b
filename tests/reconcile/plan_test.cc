// The planner: minimal plans (checked against a brute force over every
// target layout), busy instances, mode changes.
#include "reconcile/plan.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"

namespace migctl::reconcile {
namespace {

const mig::GpuModel& Nvl() { return *mig::FindModel("H100-NVL"); }

// A GPU with MIG enabled holding `layout`, each GI with its full CI.
GpuState StateWith(const mig::GpuModel& model, const mig::Layout& layout) {
  GpuState s;
  s.model = &model;
  s.device.name = model.product_name;
  s.device.pci_device_id = model.pci_device_id;
  s.mode = {true, true};
  int id = 100;
  for (const mig::PlacedGpuInstance& gi : layout) {
    InstanceState i;
    i.gi = {id++, gi.profile_id, gi.placement};
    const mig::ComputeProfile* full =
        model.FindProfileById(gi.profile_id)->FullComputeProfile();
    i.cis.push_back({i.gi.id, 0, full->id, {0, full->slices}});
    s.instances.push_back(i);
  }
  return s;
}

config::GpuTarget Target(const mig::ProfileCounts& counts,
                         bool enabled = true) {
  config::GpuTarget t;
  t.mig_enabled = enabled;
  t.profiles = counts;
  return t;
}

// The most instances of `current` any valid layout with exactly `want`
// keeps in place: the brute force the planner must match.
int MaxKeepable(const mig::GpuModel& model, const mig::Layout& current,
                const mig::ProfileCounts& want,
                const std::vector<mig::Layout>& all) {
  int best = -1;
  mig::ProfileCounts want_nonzero;
  for (const auto& [id, n] : want)
    if (n > 0) want_nonzero[id] = n;
  if (want_nonzero.empty()) return static_cast<int>(0);
  for (const mig::Layout& l : all) {
    if (mig::CountProfiles(l) != want_nonzero) continue;
    int kept = 0;
    for (const mig::PlacedGpuInstance& gi : current) {
      if (std::find(l.begin(), l.end(), gi) != l.end()) ++kept;
    }
    best = std::max(best, kept);
  }
  (void)model;
  return best;
}

TEST(PlanTest, StoryGpu1FromEmptyCreatesSixInstancesWithTheirCIs) {
  GpuState s = StateWith(Nvl(), {});
  auto plan = PlanGpu(s, Target({{15, 1}, {19, 5}}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->created_gpu_instances(), 6);
  EXPECT_EQ(plan->destroyed_gpu_instances(), 0);
  ASSERT_EQ(plan->operations.size(), 12u);
  EXPECT_EQ(Describe(Nvl(), plan->operations[0]), "create 1g.24gb at {0}:2");
  EXPECT_EQ(Describe(Nvl(), plan->operations[1]),
            "create its compute instance in the new 1g.24gb at {0}:2");
  EXPECT_EQ(plan->operations[1].ci_profile_id, 7);
  EXPECT_EQ(Describe(Nvl(), plan->operations[2]), "create 1g.12gb at {2}:1");
  EXPECT_EQ(mig::DescribeLayout(Nvl(), plan->target_layout),
            "1g.24gb@0 1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 1g.12gb@6");
}

TEST(PlanTest, AlreadyAppliedPlansNothing) {
  GpuState s = StateWith(Nvl(), {{15, {0, 2}}, {19, {2, 1}}, {19, {3, 1}}});
  auto plan = PlanGpu(s, Target({{15, 1}, {19, 2}}));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->already_applied());
  EXPECT_EQ(plan->kept.size(), 3u);
}

TEST(PlanTest, KeepsWhatCanStayAndMovesNothingElse) {
  // 3g at {4}:4 plus 1g at {0}: going to 3g + 4g keeps the 3g, drops the 1g.
  GpuState s = StateWith(Nvl(), {{19, {0, 1}}, {9, {4, 4}}});
  auto plan = PlanGpu(s, Target({{9, 1}, {5, 1}}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> ops;
  for (const Operation& op : plan->operations)
    ops.push_back(Describe(Nvl(), op));
  EXPECT_THAT(
      ops,
      ::testing::ElementsAre(
          "destroy compute instance 0 of GPU instance 100 (1g.12gb at {0}:1)",
          "destroy GPU instance 100 (1g.12gb at {0}:1)",
          "create 4g.47gb at {0}:4",
          "create its compute instance in the new 4g.47gb at {0}:4"));
  ASSERT_EQ(plan->kept.size(), 1u);
  EXPECT_EQ(plan->kept[0].id, 101);
}

TEST(PlanTest, BusyInstanceIsNeverDestroyed) {
  GpuState s = StateWith(Nvl(), {{15, {0, 2}}, {19, {2, 1}}});
  s.instances[0].pids = {4242, 4243};
  auto plan = PlanGpu(s, Target({{0, 1}}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plan.status().message(),
            "GPU 0: GPU instance 100 (1g.24gb at {0}:2) runs processes 4242, "
            "4243; the target has no 1g.24gb. Stop those processes, or choose "
            "a config that keeps it");
  auto disable = PlanGpu(s, Target({}, false));
  EXPECT_EQ(disable.status().message(),
            "GPU 0: GPU instance 100 (1g.24gb at {0}:2) runs processes 4242, "
            "4243; the target disables MIG mode, which needs it destroyed. "
            "Stop those processes, or choose a config that keeps it");
}

TEST(PlanTest, InstanceAssignedToPodsIsNeverDestroyed) {
  GpuState s = StateWith(Nvl(), {{15, {0, 2}}, {19, {2, 1}}});
  s.instances[1].pods = {"ml/infer-0", "ml/infer-1"};
  auto plan = PlanGpu(s, Target({{15, 1}}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plan.status().message(),
            "GPU 0: GPU instance 101 (1g.12gb at {2}:1) is assigned to pods "
            "ml/infer-0, ml/infer-1; the target has no 1g.12gb. Delete those "
            "pods, or choose a config that keeps it");
  s.instances[1].pids = {7};
  s.instances[1].pods = {"ml/infer-0"};
  auto both = PlanGpu(s, Target({}, false));
  EXPECT_EQ(both.status().message(),
            "GPU 0: GPU instance 101 (1g.12gb at {2}:1) runs processes 7 and "
            "is assigned to pod ml/infer-0; the target disables MIG mode, "
            "which needs it destroyed. Stop those processes and delete that "
            "pod, or choose a config that keeps it");
  // Kept where the target allows it, like a busy one.
  auto keep = PlanGpu(s, Target({{19, 3}}));
  ASSERT_TRUE(keep.ok()) << keep.status();
  ASSERT_EQ(keep->kept.size(), 1u);
  EXPECT_EQ(keep->kept[0].id, 101);
}

TEST(PlanTest, MigModeOfAGpuAssignedWholeToAPodNeverChanges) {
  GpuState s = StateWith(Nvl(), {});
  s.mode = {false, false};
  s.pods = {"ml/train-0"};
  auto plan = PlanGpu(s, Target({{19, 7}}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plan.status().message(),
            "GPU 0 is assigned whole (nvidia.com/gpu) to pod ml/train-0; the "
            "target enables MIG mode, which takes the GPU away from it. Delete "
            "that pod, or choose a config that leaves MIG mode as it is");
  auto stay = PlanGpu(s, Target({}, false));
  ASSERT_TRUE(stay.ok()) << stay.status();
  EXPECT_TRUE(stay->already_applied());
}

TEST(PlanTest, BusyInstanceInTheWayOfTheLayoutIsRefused) {
  // A busy 1g.12gb at {1} blocks both 3g.47gb placements... only {0}:4.
  GpuState s = StateWith(Nvl(), {{19, {1, 1}}});
  s.instances[0].pids = {7};
  auto plan = PlanGpu(s, Target({{19, 1}, {9, 2}}));
  EXPECT_EQ(plan.status().message(),
            "GPU 0: GPU instance 100 (1g.12gb at {1}:1) runs processes 7; the "
            "target layout cannot be placed around it. Stop those processes, "
            "or choose a config that keeps it");
}

TEST(PlanTest, BusyInstanceIsKeptWhenTheTargetAllowsIt) {
  GpuState s = StateWith(Nvl(), {{19, {1, 1}}, {19, {6, 1}}});
  s.instances[0].pids = {7};
  auto plan = PlanGpu(s, Target({{19, 1}, {9, 1}}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->kept.size(), 1u);
  EXPECT_EQ(plan->kept[0].placement.start, 1);
  EXPECT_EQ(mig::DescribeLayout(Nvl(), plan->target_layout),
            "1g.12gb@1 3g.47gb@4");
}

TEST(PlanTest, ModeChanges) {
  GpuState off = StateWith(Nvl(), {});
  off.mode = {false, false};
  auto enable = PlanGpu(off, Target({{19, 1}}));
  ASSERT_TRUE(enable.ok());
  EXPECT_EQ(enable->operations[0].kind, OpKind::kSetMigMode);
  EXPECT_TRUE(enable->operations[0].enable);
  EXPECT_EQ(enable->operations.size(), 3u);

  auto mode_only = PlanGpu(off, Target({{19, 1}}), {.mode_only = true});
  EXPECT_EQ(mode_only->operations.size(), 1u);

  GpuState on = StateWith(Nvl(), {{0, {0, 8}}});
  auto disable = PlanGpu(on, Target({}, false));
  ASSERT_TRUE(disable.ok());
  std::vector<std::string> ops;
  for (const Operation& op : disable->operations)
    ops.push_back(Describe(Nvl(), op));
  EXPECT_THAT(
      ops,
      ::testing::ElementsAre(
          "destroy compute instance 0 of GPU instance 100 (7g.94gb at {0}:8)",
          "destroy GPU instance 100 (7g.94gb at {0}:8)", "disable MIG mode"));
  GpuState disabled = StateWith(Nvl(), {});
  disabled.mode = {false, false};
  EXPECT_TRUE(PlanGpu(disabled, Target({}, false))->already_applied());
}

TEST(PlanTest, WrongComputeInstancesAreReplacedButTheGpuInstanceKept) {
  GpuState s = StateWith(Nvl(), {{9, {0, 4}}});
  s.instances[0].cis = {{100, 0, 0, {0, 1}}, {100, 1, 0, {1, 1}}};
  auto plan = PlanGpu(s, Target({{9, 1}}));
  ASSERT_TRUE(plan.ok());
  std::vector<std::string> ops;
  for (const Operation& op : plan->operations)
    ops.push_back(Describe(Nvl(), op));
  EXPECT_THAT(
      ops,
      ::testing::ElementsAre(
          "destroy compute instance 0 of GPU instance 100 (3g.47gb at {0}:4)",
          "destroy compute instance 1 of GPU instance 100 (3g.47gb at {0}:4)",
          "create its compute instance in GPU instance 100 (3g.47gb at "
          "{0}:4)"));
  EXPECT_EQ(plan->destroyed_gpu_instances(), 0);
}

TEST(PlanTest, UnreachableTargetSaysWhy) {
  auto plan = PlanGpu(StateWith(Nvl(), {}), Target({{19, 8}}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.status().message(),
            "GPU 0: the target does not fit on NVIDIA H100 NVL: 8 × 1g.12gb "
            "requested, but NVIDIA H100 NVL supports at most 7");
}

// Minimality: for random current layouts and random reachable targets, the
// planner keeps exactly as many instances as the best of all target layouts
// does, and its result is a valid layout with the wanted counts.
class MinimalityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MinimalityTest, MatchesBruteForceOverAllTargetLayouts) {
  const mig::GpuModel& model = *mig::FindModel(GetParam());
  const std::vector<mig::Layout> all = mig::EnumerateLayouts(model);
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, all.size() - 1);
  int checked = 0;
  for (int round = 0; round < 400; ++round) {
    const mig::Layout& current = all[pick(rng)];
    const mig::ProfileCounts want = mig::CountProfiles(all[pick(rng)]);
    auto plan = PlanGpu(StateWith(model, current), Target(want));
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(static_cast<int>(plan->kept.size()),
              MaxKeepable(model, current, want, all))
        << mig::DescribeLayout(model, current);
    EXPECT_TRUE(mig::ValidateLayout(model, plan->target_layout).ok());
    EXPECT_EQ(mig::CountProfiles(plan->target_layout), want);
    EXPECT_EQ(plan->destroyed_gpu_instances(),
              static_cast<int>(current.size() - plan->kept.size()));
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

INSTANTIATE_TEST_SUITE_P(Models, MinimalityTest,
                         ::testing::Values("H100-NVL", "A100-SXM4-40GB",
                                           "A30-24GB"));

}  // namespace
}  // namespace migctl::reconcile
