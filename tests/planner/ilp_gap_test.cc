// The planner against the exact ILP reference (tests/support/planner_ilp.*):
// hand-checked clusters where the optimum is known, the ILP against a brute
// force over every pair of layouts, and seeded random fleets where the
// planner must serve within 2 % of the ILP optimum.
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "planner/planner.h"
#include "support/planner_ilp.h"
#include "support/synthetic_fleet.h"

namespace migctl::planner_ilp {
namespace {

using planner::Cluster;
using planner::Demand;
using planner::Gpu;
using planner::Instance;
using planner::Node;
using planner::Policy;

const mig::GpuModel& ModelOf(const std::string& key) {
  const mig::GpuModel* model = mig::FindModel(key);
  EXPECT_NE(model, nullptr) << key;
  return *model;
}

// `profile` at memory slice `start`, busy when `pod` is set.
Instance At(const mig::GpuModel& model, const std::string& profile, int start,
            const std::string& pod = "") {
  const mig::GpuInstanceProfile* p = model.FindProfileByName(profile);
  EXPECT_NE(p, nullptr) << profile;
  Instance i;
  i.gi.profile_id = p->id;
  i.gi.placement = {start, p->memory_slices()};
  if (!pod.empty()) i.pods.push_back(pod);
  return i;
}

Gpu Fresh(const mig::GpuModel& model, int index) {
  Gpu gpu;
  gpu.index = index;
  gpu.model = &model;
  gpu.mig_enabled = false;
  return gpu;
}

Gpu WithInstances(const mig::GpuModel& model, int index,
                  std::vector<Instance> instances) {
  Gpu gpu;
  gpu.index = index;
  gpu.model = &model;
  gpu.instances = std::move(instances);
  return gpu;
}

Gpu AllIdle1g(const mig::GpuModel& model, int index) {
  std::vector<Instance> instances;
  for (int s = 0; s < 7; ++s) instances.push_back(At(model, "1g.10gb", s));
  return WithInstances(model, index, std::move(instances));
}

// The ILP's answer, checked against the planner's own scoring of it.
IlpSolution SolveAndScore(const Cluster& cluster, const Demand& demand,
                          const Policy& policy) {
  absl::StatusOr<PlannerIlp> ilp = SolvePlannerIlp(cluster, demand, policy);
  EXPECT_TRUE(ilp.ok()) << ilp.status();
  if (!ilp.ok()) return {};
  EXPECT_TRUE(ilp->solution.optimal);
  absl::StatusOr<planner::Plan> scored =
      planner::EvaluateTargets(cluster, demand, policy, ilp->targets);
  EXPECT_TRUE(scored.ok()) << scored.status();
  if (scored.ok()) {
    EXPECT_EQ(scored->report.served, ilp->solution.served);
    EXPECT_EQ(scored->report.instances_destroyed, ilp->solution.destroyed);
    EXPECT_EQ(scored->report.nodes_touched, ilp->solution.nodes_touched);
  }
  return ilp->solution;
}

planner::Report PlannerReport(const Cluster& cluster, const Demand& demand,
                              const Policy& policy) {
  absl::StatusOr<planner::Plan> plan =
      planner::PlanCluster(cluster, demand, policy);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? plan->report : planner::Report{};
}

// Requests served per priority level, highest first.
using Levels = std::vector<int>;

Levels PlannerLevels(const planner::Report& report) {
  std::map<int, int, std::greater<>> by_priority;
  for (const planner::DemandReport& d : report.demand) {
    by_priority[d.priority] += d.served;
  }
  Levels out;
  for (const auto& [priority, served] : by_priority) out.push_back(served);
  return out;
}

Levels IlpLevels(const IlpSolution& solution) {
  Levels out;
  for (const auto& [priority, served] : solution.served_by_priority) {
    out.push_back(served);
  }
  return out;
}

TEST(IlpGap, StoryDemandIsServedInFullOnOneNode) {
  const mig::GpuModel& nvl = ModelOf("H100-NVL");
  const Cluster cluster{{Node{"story", {Fresh(nvl, 0), Fresh(nvl, 1)}}}};
  const Demand demand{{{"1g.12gb", 7, 0}, {"1g.24gb", 1, 0}}};
  const IlpSolution ilp = SolveAndScore(cluster, demand, {});
  EXPECT_EQ(ilp.served, 8);
  EXPECT_EQ(ilp.destroyed, 0);
  EXPECT_EQ(ilp.nodes_touched, 1);
  EXPECT_EQ(PlannerReport(cluster, demand, {}).served, 8);
}

TEST(IlpGap, SevenComputeSlicesBoundOneGpu) {
  const mig::GpuModel& nvl = ModelOf("H100-NVL");
  const Cluster cluster{{Node{"n", {Fresh(nvl, 0)}}}};
  const Demand demand{{{"1g.12gb", 9, 0}, {"1g.24gb", 1, 0}}};
  const IlpSolution ilp = SolveAndScore(cluster, demand, {});
  EXPECT_EQ(ilp.served, 7);
  EXPECT_EQ(PlannerReport(cluster, demand, {}).served, 7);
}

TEST(IlpGap, BusyInstancesStayAndBlockPlacements) {
  // Busy 1g.10gb at slices 0 and 4: no 3g.40gb fits; 2g.20gb only at {2,3},
  // which destroys the idle 1g.10gb there; idle ones at 1, 5, 6 serve 1g.
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  std::vector<Instance> instances;
  for (int s = 0; s < 7; ++s) {
    instances.push_back(At(h100, "1g.10gb", s,
                           s == 0 || s == 4 ? "pod-" + std::to_string(s) : ""));
  }
  const Cluster cluster{
      {Node{"n", {WithInstances(h100, 0, std::move(instances))}}}};
  const Demand demand{
      {{"3g.40gb", 1, 0}, {"2g.20gb", 1, 0}, {"1g.10gb", 2, 0}}};
  const IlpSolution ilp = SolveAndScore(cluster, demand, {});
  EXPECT_EQ(ilp.served, 3);
  EXPECT_EQ(ilp.served_by_resource.at("3g.40gb"), 0);
  EXPECT_EQ(ilp.served_by_resource.at("2g.20gb"), 1);
  EXPECT_EQ(ilp.served_by_resource.at("1g.10gb"), 2);
  EXPECT_EQ(ilp.destroyed, 2);
  EXPECT_EQ(ilp.nodes_touched, 1);
  const planner::Report report = PlannerReport(cluster, demand, {});
  EXPECT_EQ(report.served, 3);
  EXPECT_EQ(report.instances_destroyed, 2);
}

TEST(IlpGap, HigherPriorityWinsEvenWhenFewerRequestsAreServed) {
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  const Cluster cluster{{Node{"n", {Fresh(h100, 0)}}}};
  const Demand training_first{{{"7g.80gb", 1, 10}, {"1g.10gb", 7, 0}}};
  IlpSolution ilp = SolveAndScore(cluster, training_first, {});
  EXPECT_EQ(ilp.served, 1);
  EXPECT_EQ(ilp.served_by_priority.at(10), 1);
  EXPECT_EQ(ilp.served_by_priority.at(0), 0);
  EXPECT_EQ(PlannerReport(cluster, training_first, {}).served, 1);

  const Demand inference_first{{{"7g.80gb", 1, 0}, {"1g.10gb", 7, 10}}};
  ilp = SolveAndScore(cluster, inference_first, {});
  EXPECT_EQ(ilp.served, 7);
  EXPECT_EQ(ilp.served_by_priority.at(10), 7);
  EXPECT_EQ(PlannerReport(cluster, inference_first, {}).served, 7);
}

TEST(IlpGap, FreshGpuIsUsedBeforeIdleInstancesAreDestroyed) {
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  const Cluster cluster{
      {Node{"a", {AllIdle1g(h100, 0)}}, Node{"b", {Fresh(h100, 0)}}}};
  const Demand demand{{{"7g.80gb", 1, 0}}};
  const IlpSolution ilp = SolveAndScore(cluster, demand, {});
  EXPECT_EQ(ilp.served, 1);
  EXPECT_EQ(ilp.destroyed, 0);
  EXPECT_EQ(ilp.nodes_touched, 1);
  EXPECT_EQ(ilp.cost, 1);
  const planner::Report report = PlannerReport(cluster, demand, {});
  EXPECT_EQ(report.served, 1);
  EXPECT_EQ(report.instances_destroyed, 0);
}

TEST(IlpGap, ProtectedNodeForcesTheCostlyChange) {
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  const Cluster cluster{
      {Node{"a", {AllIdle1g(h100, 0)}}, Node{"b", {Fresh(h100, 0)}}}};
  const Demand demand{{{"7g.80gb", 1, 0}}};
  Policy policy;
  policy.protected_nodes = {"b"};
  const IlpSolution ilp = SolveAndScore(cluster, demand, policy);
  EXPECT_EQ(ilp.served, 1);
  EXPECT_EQ(ilp.destroyed, 7);
  EXPECT_EQ(ilp.nodes_touched, 1);
  EXPECT_EQ(ilp.cost, 8);
  EXPECT_EQ(PlannerReport(cluster, demand, policy).served, 1);
}

TEST(IlpGap, NodeLimitZeroServesFromIdleInstancesOnly) {
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  const Cluster cluster{
      {Node{"a", {AllIdle1g(h100, 0)}}, Node{"b", {Fresh(h100, 0)}}}};
  const Demand demand{{{"7g.80gb", 1, 0}, {"1g.10gb", 3, 0}}};
  Policy policy;
  policy.max_nodes_touched = 0;
  const IlpSolution ilp = SolveAndScore(cluster, demand, policy);
  EXPECT_EQ(ilp.served, 3);
  EXPECT_EQ(ilp.destroyed, 0);
  EXPECT_EQ(ilp.nodes_touched, 0);
  EXPECT_EQ(PlannerReport(cluster, demand, policy).served, 3);
}

TEST(IlpGap, NodeLimitAppliesWithinAClassOfIdenticalNodes) {
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  const Cluster cluster{
      {Node{"a", {Fresh(h100, 0)}}, Node{"b", {Fresh(h100, 0)}}}};
  const Demand demand{{{"7g.80gb", 2, 0}}};
  Policy policy;
  policy.max_nodes_touched = 1;
  const IlpSolution ilp = SolveAndScore(cluster, demand, policy);
  EXPECT_EQ(ilp.served, 1);
  EXPECT_EQ(ilp.nodes_touched, 1);
  EXPECT_EQ(PlannerReport(cluster, demand, policy).served, 1);
}

TEST(IlpGap, NoTimeLeftKeepsTheCurrentLayoutsUnproved) {
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  const Cluster cluster{
      {Node{"a", {AllIdle1g(h100, 0)}}, Node{"b", {Fresh(h100, 0)}}}};
  const Demand demand{{{"7g.80gb", 1, 0}, {"1g.10gb", 3, 0}}};
  absl::StatusOr<PlannerIlp> ilp =
      SolvePlannerIlp(cluster, demand, {}, {.time_limit_s = 0});
  ASSERT_TRUE(ilp.ok()) << ilp.status();
  EXPECT_FALSE(ilp->solution.optimal);
  EXPECT_EQ(ilp->solution.served, 3);
  EXPECT_EQ(ilp->solution.destroyed, 0);
  EXPECT_EQ(ilp->solution.nodes_touched, 0);
}

// Every pair of candidate layouts (planner::CandidateLayouts: all valid
// layouts, not only maximal ones) of two A30s on two nodes, scored by the
// planner's EvaluateTargets: the lexicographic best (served per priority, then
// cost) is what the ILP finds.
TEST(IlpGap, MatchesBruteForceOnTwoA30s) {
  const mig::GpuModel& a30 = ModelOf("A30-24GB");
  const std::vector<mig::Layout> layouts = mig::EnumerateLayouts(a30);
  // The brute force's answers, pinned so that the rounds stay non-trivial.
  const Levels kExpectedLevels[] = {{1, 4}, {2, 1}, {3, 1}};
  const int64_t kExpectedCost[] = {3, 1, 4};
  std::mt19937 random(7);
  for (int round = 0; round < 3; ++round) {
    Cluster cluster;
    for (const char* name : {"a", "b"}) {
      Gpu gpu = Fresh(a30, 0);
      if (random() % 3 != 0) {
        gpu.mig_enabled = true;
        for (const mig::PlacedGpuInstance& gi :
             layouts[random() % layouts.size()]) {
          gpu.instances.push_back({gi, {}});
          if (random() % 3 == 0) gpu.instances.back().pods.push_back("pod");
        }
      }
      cluster.nodes.push_back(Node{name, {gpu}});
    }
    Demand demand;
    for (const char* profile : {"1g.6gb", "2g.12gb", "4g.24gb", "1g.6gb+me"}) {
      demand.items.push_back({profile, static_cast<int>(random() % 3) + 1,
                              static_cast<int>(random() % 2) * 5});
    }
    Levels best_levels;
    int64_t best_cost = 0;
    for (const mig::Layout& a :
         planner::CandidateLayouts(cluster.nodes[0].gpus[0])) {
      for (const mig::Layout& b :
           planner::CandidateLayouts(cluster.nodes[1].gpus[0])) {
        absl::StatusOr<planner::Plan> plan =
            planner::EvaluateTargets(cluster, demand, {}, {{a}, {b}});
        ASSERT_TRUE(plan.ok()) << plan.status();
        const Levels levels = PlannerLevels(plan->report);
        if (best_levels.empty() || levels > best_levels ||
            (levels == best_levels && plan->report.cost < best_cost)) {
          best_levels = levels;
          best_cost = plan->report.cost;
        }
      }
    }
    const IlpSolution ilp = SolveAndScore(cluster, demand, {});
    EXPECT_EQ(IlpLevels(ilp), best_levels) << "round " << round;
    EXPECT_EQ(ilp.cost, best_cost) << "round " << round;
    EXPECT_EQ(best_levels, kExpectedLevels[round]);
    EXPECT_EQ(best_cost, kExpectedCost[round]);
  }
}

TEST(IlpGap, IdenticalGpusAggregateIntoOneClass) {
  const mig::GpuModel& nvl = ModelOf("H100-NVL");
  Cluster cluster;
  for (const char* name : {"n1", "n2"}) {
    Node node{name, {}};
    for (int g = 0; g < 8; ++g) node.gpus.push_back(Fresh(nvl, g));
    cluster.nodes.push_back(std::move(node));
  }
  const Demand demand{{{"1g.12gb", 100, 0}}};
  absl::StatusOr<PlannerIlp> ilp = SolvePlannerIlp(cluster, demand, {});
  ASSERT_TRUE(ilp.ok()) << ilp.status();
  ASSERT_EQ(ilp->problem.node_classes.size(), 1u);
  EXPECT_EQ(ilp->problem.node_classes[0].nodes, 2);
  EXPECT_EQ(ilp->problem.node_classes[0].gpus.size(), 1u);
  EXPECT_EQ(ilp->solution.served, 100);
  EXPECT_EQ(ilp->solution.nodes_touched, 2);
  EXPECT_EQ(PlannerReport(cluster, demand, {}).served, 100);
}

TEST(IlpGap, BusyInstanceOutsideTheLayoutIsRejected) {
  const mig::GpuModel& h100 = ModelOf("H100-SXM5-80GB");
  IlpProblem problem;
  IlpNodeClass nc;
  IlpGpuClass gpu;
  gpu.model = &h100;
  gpu.busy = {At(h100, "7g.80gb", 0).gi};
  nc.gpus.push_back(gpu);
  problem.node_classes.push_back(nc);
  absl::StatusOr<IlpSolution> solution = SolveIlp(problem);
  EXPECT_EQ(solution.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(solution.status().message(),
            "node class 0 GPU class 0: busy instances 7g.80gb@0 are not all "
            "in the current layout empty");
}

// Seeded 64-GPU fleets (8 nodes, 320 requests at priorities 10, 5, 0): the
// ILP proves its optimum; the planner is lexicographically no better (it may
// serve more in total by serving fewer higher-priority requests). At the
// highest priority p where it serves less, it serves within 2 % of the
// optimum's requests of priority >= p. The cost (instances destroyed, nodes
// touched) is pinned too: before the cost pass the planner paid (24, 8),
// (41, 8) and (41, 7).
struct FleetCase {
  uint32_t seed;
  Levels ilp;
  Levels planner;
  // Instances destroyed and nodes touched.
  std::pair<int, int> ilp_cost;
  std::pair<int, int> planner_cost;
};

void PrintTo(const FleetCase& c, std::ostream* os) { *os << "seed " << c.seed; }

class IlpGapFleet : public testing::TestWithParam<FleetCase> {};

TEST_P(IlpGapFleet, PlannerServesWithinTwoPercentOfTheOptimum) {
  const FleetCase& c = GetParam();
  const Fleet fleet =
      MakeFleet({.gpus = 64, .requests_per_gpu = 5, .seed = c.seed});
  ASSERT_EQ(fleet.requests, 320);
  const IlpSolution ilp = SolveAndScore(fleet.cluster, fleet.demand, {});
  const Levels optimum = IlpLevels(ilp);
  const planner::Report report = PlannerReport(fleet.cluster, fleet.demand, {});
  const Levels planned = PlannerLevels(report);
  EXPECT_EQ(optimum, c.ilp);
  EXPECT_EQ(planned, c.planner);
  EXPECT_EQ(std::make_pair(ilp.destroyed, ilp.nodes_touched), c.ilp_cost);
  EXPECT_EQ(std::make_pair(report.instances_destroyed, report.nodes_touched),
            c.planner_cost);
  ASSERT_EQ(planned.size(), optimum.size());
  EXPECT_LE(planned, optimum);
  int got = 0;
  int best = 0;
  for (size_t level = 0; level < optimum.size(); ++level) {
    got += planned[level];
    best += optimum[level];
    if (planned[level] != optimum[level]) break;
  }
  EXPECT_LE((best - got) * 100, best * 2);
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, IlpGapFleet,
    testing::Values(
        FleetCase{1, {76, 138, 12}, {76, 138, 11}, {17, 7}, {18, 7}},
        // Serving two fewer of priority 5, the planner destroys less.
        FleetCase{2, {85, 128, 5}, {85, 126, 4}, {38, 7}, {35, 7}},
        FleetCase{3, {93, 112, 1}, {93, 112, 1}, {39, 7}, {39, 7}}));

}  // namespace
}  // namespace migctl::planner_ilp
