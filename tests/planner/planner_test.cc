#include "planner/planner.h"

#include <algorithm>
#include <random>

#include "gtest/gtest.h"
#include "planner/model_layouts.h"
#include "planner/test_util.h"

namespace migctl::planner {
namespace {

using testing::Figures;
using testing::Layouts;
using testing::MakeGpu;

Node StoryNode(const std::string& name, const std::string& gpu0,
               const std::string& gpu1) {
  return {name, {MakeGpu("H100-NVL", 0, gpu0), MakeGpu("H100-NVL", 1, gpu1)}};
}

Plan MustPlan(const Cluster& c, const Demand& d, const Policy& p = {}) {
  absl::StatusOr<Plan> plan = PlanCluster(c, d, p);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *plan : Plan{};
}

// The story (MISSION.md): two empty H100 NVL GPUs, and demand that the
// story's custom-mig (1g.12gb x2 | 1g.24gb + 1g.12gb x5) serves.
TEST(PlanCluster, StoryDemandServedOnOneNodeWithoutDestroying) {
  Cluster c{{StoryNode("node-a", "", "")}};
  Demand d{{{"1g.12gb", 7, 0}, {"1g.24gb", 1, 0}}};
  const Plan p = MustPlan(c, d);
  EXPECT_EQ(Layouts(p),
            "node-a/0: empty -> 1g.12gb@0 1g.12gb@1 1g.12gb@2 1g.12gb@3 "
            "1g.12gb@4 1g.12gb@5 1g.24gb@6\n"
            "node-a/1: empty -> 1g.12gb@0\n");
  // The story's layouts serve 8 of 8 with 8 new instances, 1 node touched;
  // the plan matches that and leaves a whole GPU but one slice free.
  EXPECT_EQ(Figures(p.report),
            "served 8/8 created 8 destroyed 0 gpus 2 nodes 1 free 7 usable 7");
  ASSERT_TRUE(p.nodes[0].config.has_value());
  EXPECT_EQ(config::WriteMigConfig(*p.nodes[0].config),
            "version: v1\n"
            "mig-configs:\n"
            "  migctl-planner:\n"
            "    - devices: [0]\n"
            "      mig-enabled: true\n"
            "      mig-devices:\n"
            "        \"1g.12gb\": 6\n"
            "        \"1g.24gb\": 1\n"
            "    - devices: [1]\n"
            "      mig-enabled: true\n"
            "      mig-devices:\n"
            "        \"1g.12gb\": 1\n");
}

TEST(PlanCluster, StoryLayoutsAlreadyInPlaceTouchNothing) {
  Cluster c{{StoryNode("node-a", "1g.12gb@0 1g.12gb@1",
                       "1g.24gb@0 1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 "
                       "1g.12gb@6")}};
  Demand d{{{"1g.12gb", 7, 0}, {"1g.24gb", 1, 0}}};
  const Plan p = MustPlan(c, d);
  // Slice 7 of GPU 1 takes no 1g profile (they start at 0-6).
  EXPECT_EQ(Figures(p.report),
            "served 8/8 created 0 destroyed 0 gpus 0 nodes 0 free 7 usable 6");
  EXPECT_FALSE(p.nodes[0].touched);
  EXPECT_FALSE(p.nodes[0].config.has_value());
}

TEST(PlanCluster, FreeInstancesServeBeforeAnyChange) {
  // Node b has two free 1g.12gb; node a is empty. Nothing changes.
  Cluster c{{StoryNode("node-a", "", ""),
             StoryNode("node-b", "1g.12gb@0* 1g.12gb@1 1g.12gb@2", "")}};
  Demand d{{{"1g.12gb", 2, 0}}};
  const Plan p = MustPlan(c, d);
  EXPECT_EQ(Figures(p.report),
            "served 2/2 created 0 destroyed 0 gpus 0 nodes 0 free 29 usable "
            "25");
}

TEST(PlanCluster, NoDemandTouchesNothing) {
  Cluster c{{StoryNode("node-a", "1g.12gb@0* 3g.47gb@4", "")}};
  const Plan p = MustPlan(c, {});
  EXPECT_EQ(Figures(p.report),
            "served 0/0 created 0 destroyed 0 gpus 0 nodes 0 free 15 usable 0");
  EXPECT_TRUE(p.report.demand.empty());
}

TEST(PlanCluster, BusyInstancesAreKeptWhereTheyAre) {
  // A busy 4g.47gb blocks slices 0-3; the 3g.47gb is idle and may go.
  Cluster c{{{"node-a", {MakeGpu("H100-NVL", 0, "4g.47gb@0* 3g.47gb@4")}}}};
  Demand d{{{"1g.12gb", 3, 0}}};
  const Plan p = MustPlan(c, d);
  EXPECT_EQ(Layouts(p),
            "node-a/0: 4g.47gb@0 3g.47gb@4 -> 4g.47gb@0 1g.12gb@4 1g.12gb@5 "
            "1g.12gb@6\n");
  EXPECT_EQ(Figures(p.report),
            "served 3/3 created 3 destroyed 1 gpus 1 nodes 1 free 1 usable 0");
  EXPECT_EQ(p.nodes[0].gpus[0].destroyed.size(), 1u);
}

TEST(PlanCluster, DestroysNothingWhenAnEmptyGpuWillDo) {
  Cluster c{{StoryNode("node-a", "3g.47gb@4", ""),
             StoryNode("node-b", "7g.94gb@0", "7g.94gb@0")}};
  Demand d{{{"1g.12gb", 4, 0}}};
  const Plan p = MustPlan(c, d);
  EXPECT_EQ(Layouts(p),
            "node-a/0: 3g.47gb@4 -> 1g.12gb@0 1g.12gb@1 1g.12gb@2 1g.12gb@3 "
            "3g.47gb@4\n"
            "node-a/1: empty -> empty\n"
            "node-b/0: 7g.94gb@0 -> 7g.94gb@0\n"
            "node-b/1: 7g.94gb@0 -> 7g.94gb@0\n");
  EXPECT_EQ(p.report.instances_destroyed, 0);
}

TEST(PlanCluster, ChangesGoToOneNodeWhenOneSuffices) {
  // Four 1g.24gb and two 4g.47gb fit on node b's two empty GPUs (4g.47gb at
  // slices 0-3, 1g.24gb at 4-5 and 6-7 on each). The search alone puts the
  // four 1g.24gb on node a's GPU and touches both nodes; the cost pass moves
  // them next to the 4g.47gb instances.
  Cluster c{
      {{"node-a", {MakeGpu("H100-NVL", 0, "")}}, StoryNode("node-b", "", "")}};
  Demand d{{{"1g.24gb", 4, 0}, {"4g.47gb", 2, 0}}};
  const Plan p = MustPlan(c, d);
  EXPECT_EQ(Layouts(p),
            "node-a/0: empty -> empty\n"
            "node-b/0: empty -> 4g.47gb@0 1g.24gb@4 1g.24gb@6\n"
            "node-b/1: empty -> 4g.47gb@0 1g.24gb@4 1g.24gb@6\n");
  EXPECT_EQ(Figures(p.report),
            "served 6/6 created 6 destroyed 0 gpus 2 nodes 1 free 8 usable 8");
}

TEST(PlanCluster, ProfileNoModelOffersIsUnmetWithReason) {
  Cluster c{{StoryNode("node-a", "", "")}};
  Demand d{{{"1g.5gb", 2, 0}, {"1g.12gb", 1, 0}}};
  const Plan p = MustPlan(c, d);
  ASSERT_EQ(p.report.demand.size(), 2u);
  EXPECT_EQ(p.report.demand[0].profile, "1g.12gb");
  EXPECT_EQ(p.report.demand[0].served, 1);
  EXPECT_EQ(p.report.demand[0].unmet_reason, "");
  EXPECT_EQ(p.report.demand[1].profile, "1g.5gb");
  EXPECT_EQ(p.report.demand[1].served, 0);
  EXPECT_EQ(p.report.demand[1].unmet_reason,
            "no GPU model in the cluster offers 1g.5gb");
}

TEST(PlanCluster, MoreThanFitsIsUnmetWithReason) {
  // Two H100 NVL hold at most 14 1g.12gb (7 compute slices each).
  Cluster c{{StoryNode("node-a", "", "")}};
  Demand d{{{"1g.12gb", 20, 0}}};
  const Plan p = MustPlan(c, d);
  ASSERT_EQ(p.report.demand.size(), 1u);
  EXPECT_EQ(p.report.demand[0].served, 14);
  EXPECT_EQ(p.report.demand[0].unmet_reason,
            "not enough capacity: 6 more needed");
}

TEST(PlanCluster, ResourceNameFormIsAccepted) {
  Cluster c{{{"node-a", {MakeGpu("A100-SXM4-40GB", 0, "")}}}};
  Demand d{{{"1g.5gb.me", 1, 0}}};
  const Plan p = MustPlan(c, d);
  ASSERT_EQ(p.report.demand.size(), 1u);
  EXPECT_EQ(p.report.demand[0].profile, "1g.5gb+me");
  EXPECT_EQ(p.report.demand[0].served, 1);
}

TEST(PlanCluster, HigherPriorityWinsScarceCapacity) {
  // One GPU: 7g.94gb (priority 5) and 7 x 1g.12gb (priority 1) cannot both
  // be served.
  Cluster c{{{"node-a", {MakeGpu("H100-NVL", 0, "")}}}};
  Demand d{{{"1g.12gb", 7, 1}, {"7g.94gb", 1, 5}}};
  const Plan p = MustPlan(c, d);
  EXPECT_EQ(Layouts(p), "node-a/0: empty -> 7g.94gb@0\n");
  ASSERT_EQ(p.report.demand.size(), 2u);
  EXPECT_EQ(p.report.demand[0].profile, "7g.94gb");
  EXPECT_EQ(p.report.demand[0].served, 1);
  EXPECT_EQ(p.report.demand[1].served, 0);
}

TEST(PlanCluster, MaxNodesTouchedIsHonoured) {
  Cluster c{{StoryNode("node-a", "", ""), StoryNode("node-b", "", ""),
             StoryNode("node-c", "", "")}};
  Demand d{{{"7g.94gb", 6, 0}}};
  Policy policy;
  policy.max_nodes_touched = 2;
  const Plan p = MustPlan(c, d, policy);
  EXPECT_EQ(Figures(p.report),
            "served 4/6 created 4 destroyed 0 gpus 4 nodes 2 free 16 usable "
            "16");
  EXPECT_EQ(p.report.demand[0].unmet_reason,
            "not enough capacity: 2 more needed; node limit 2 reached");
  EXPECT_FALSE(p.nodes[2].touched);
}

TEST(PlanCluster, ProtectedNodesAreNotChangedButTheirFreeInstancesServe) {
  Cluster c{
      {StoryNode("node-a", "1g.12gb@0", ""), StoryNode("node-b", "", "")}};
  Demand d{{{"1g.12gb", 1, 0}, {"7g.94gb", 1, 0}}};
  Policy policy;
  policy.protected_nodes = {"node-a"};
  const Plan p = MustPlan(c, d, policy);
  EXPECT_EQ(Layouts(p),
            "node-a/0: 1g.12gb@0 -> 1g.12gb@0\n"
            "node-a/1: empty -> empty\n"
            "node-b/0: empty -> 7g.94gb@0\n"
            "node-b/1: empty -> empty\n");
  EXPECT_EQ(p.report.served, 2);
}

TEST(PlanCluster, MigDisabledGpuIsEnabledWhenNeeded) {
  Gpu off = MakeGpu("H100-NVL", 0, "");
  off.mig_enabled = false;
  Gpu held = MakeGpu("H100-NVL", 1, "");
  held.mig_enabled = false;
  held.pods = {"train-0"};
  Cluster c{{{"node-a", {off, held}}}};
  Demand d{{{"3g.47gb", 4, 0}}};
  const Plan p = MustPlan(c, d);
  EXPECT_EQ(Layouts(p),
            "node-a/0: empty -> 3g.47gb@0 3g.47gb@4\n"
            "node-a/1: empty -> empty\n");
  EXPECT_TRUE(p.nodes[0].gpus[0].mig_enabled_after);
  EXPECT_FALSE(p.nodes[0].gpus[1].mig_enabled_after);
  EXPECT_EQ(p.report.demand[0].served, 2);
}

TEST(PlanCluster, MalformedInputNamesTheCulprit) {
  Demand none;
  Cluster dup{{StoryNode("node-a", "", ""), StoryNode("node-a", "", "")}};
  EXPECT_EQ(PlanCluster(dup, none, {}).status().message(),
            "node node-a is listed twice");
  Cluster overlap{
      {{"node-b", {MakeGpu("H100-NVL", 3, "2g.24gb@0 1g.12gb@1")}}}};
  EXPECT_EQ(std::string(PlanCluster(overlap, none, {}).status().message()),
            "node node-b GPU 3: current layout is not valid on H100-NVL: "
            "1g.12gb at {1}:1 overlaps another GPU instance");
  Cluster ok{{StoryNode("node-a", "", "")}};
  EXPECT_EQ(PlanCluster(ok, {{{"1c.3g.47gb", 1, 0}}}, {}).status().message(),
            "demand item 0 (profile \"1c.3g.47gb\"): \"1c.3g.47gb\" is a "
            "compute-instance profile; demand names GPU-instance profiles "
            "such as 1g.12gb");
  EXPECT_EQ(PlanCluster(ok, {{{"1g.12gb", -1, 0}}}, {}).status().message(),
            "demand item 0 (profile 1g.12gb): count -1 is negative");
  Gpu nomodel;
  Cluster bad{{{"node-c", {nomodel}}}};
  EXPECT_EQ(PlanCluster(bad, none, {}).status().message(),
            "node node-c GPU 0: no GPU model");
}

TEST(PlanCluster, SameInputInAnyOrderGivesTheSamePlan) {
  Cluster c;
  const char* layouts[] = {"", "1g.12gb@0* 2g.24gb@2", "7g.94gb@0",
                           "3g.47gb@4*", "1g.24gb@0 1g.24gb@2*"};
  for (int n = 0; n < 12; ++n) {
    c.nodes.push_back(StoryNode(absl::StrCat("node-", n), layouts[n % 5],
                                layouts[(n * 3 + 1) % 5]));
  }
  Demand d{{{"1g.12gb", 9, 0},
            {"2g.24gb", 5, 1},
            {"1g.24gb", 4, 0},
            {"7g.94gb", 2, 2},
            {"1g.12gb", 3, 1}}};
  Policy policy;
  policy.max_nodes_touched = 6;
  const Plan want = MustPlan(c, d, policy);
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    Cluster s = c;
    std::shuffle(s.nodes.begin(), s.nodes.end(), rng);
    for (Node& n : s.nodes) std::shuffle(n.gpus.begin(), n.gpus.end(), rng);
    Demand sd = d;
    std::shuffle(sd.items.begin(), sd.items.end(), rng);
    const Plan got = MustPlan(s, sd, policy);
    EXPECT_EQ(Layouts(got), Layouts(want));
    EXPECT_EQ(Figures(got.report), Figures(want.report));
  }
}

TEST(EvaluateTargets, ScoresGivenLayoutsAndRefusesDroppingBusyOnes) {
  Cluster c{{{"node-a", {MakeGpu("H100-NVL", 0, "4g.47gb@0* 3g.47gb@4")}}}};
  Demand d{{{"3g.47gb", 1, 0}}};
  const mig::GpuModel& m = *mig::FindModel("H100-NVL");
  const int g4 = m.FindProfileByName("4g.47gb")->id;
  const int g3 = m.FindProfileByName("3g.47gb")->id;
  absl::StatusOr<Plan> same =
      EvaluateTargets(c, d, {}, {{{{g4, {0, 4}}, {g3, {4, 4}}}}});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(Figures(same->report),
            "served 1/1 created 0 destroyed 0 gpus 0 nodes 0 free 0 usable 0");
  EXPECT_EQ(EvaluateTargets(c, d, {}, {{{{g3, {4, 4}}}}}).status().message(),
            "node node-a GPU 0: target layout drops a busy instance");
}

TEST(ModelLayouts, EveryCatalogueModelFitsSlotMasks) {
  for (const mig::GpuModel& m : mig::Catalogue()) {
    const ModelLayouts& t = LayoutsOf(m);
    EXPECT_LE(t.slots.size(), 64u) << m.key;
    EXPECT_EQ(t.layouts.size(), mig::EnumerateLayouts(m).size() + 1) << m.key;
  }
}

}  // namespace
}  // namespace migctl::planner
